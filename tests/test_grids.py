"""Grids for readers (peerlib.reporting.grids): items x groups, hidden cells as "n<k"."""
from __future__ import annotations

import pandas as pd
import pytest

from peerlib.disclosure import suppress_small_groups
from peerlib.part1 import scoring
from peerlib.reporting import grids
from peerlib.reporting import tables as report


def test_happening_grid_by_hand(long_df):
    """S01: 2.1 Yes 2 + Partly 1 of 4 = 75%; S02 (one person) hidden at k = 2."""
    dist = suppress_small_groups(scoring.happening_distribution(long_df, by="site_id"),
                                 n="n_asked", k=2, values=["count", "percent"])
    grid = grids.happening_grid(dist, group="site_id", k=2, labels={"2.1": "Shared"})
    assert grid.columns.tolist() == ["Statement", "S01", "S02"]
    assert grid["Statement"].tolist() == ["2.1 Shared", "2.2", "2.3"]
    assert grid.loc[0, "S01"] == "3 of 4 (75%)"
    assert grid.loc[1, "S01"] == "2 of 4 (50%)"  # the Missing answer counts as asked
    assert set(grid["S02"]) == {"n<2"}


def test_importance_grid_is_one_row_per_statement(long_df):
    imp = report.importance_with_overall(long_df, by="role", k=2)
    grid = grids.importance_grid(imp, k=2, names={"Peer worker": "Peer workers"})
    assert len(grid) == 3  # statements, not statements x roles
    assert grid.columns.tolist()[:3] == ["Statement", "All", "Peer workers"]
    # All, 2.1: (4+3+4+2+1)/5 = 2.80. Peer workers (P01, P02) rated 4 and 3: their mean and
    # SD beside S01's (4, 3, 4, 2) would leave S01's line manager and service user 2 and 4
    # between them (sum 6, squares 20), so the bounds step hides them ("hidden")
    assert grid.loc[0, "All"] == "2.80 (n = 5)"
    assert grid.loc[0, "Peer workers"] == "hidden"
    assert grid.loc[0, "Line manager"] == "n<2"  # one line manager
    assert grid.loc[2, "Peer workers"] == "–"  # nobody answered 2.3's importance at S01


def test_ipa_grid_hides_small_groups(long_df):
    """NHS 2.1: Yes, Yes, Partly, No -> (1 + 1 + 0.5 + 0) / 4 = 62.5 (shown "62", round half
    to even), importance (4+3+4+2)/4 = 3.25; Voluntary has one person."""
    ipa = scoring.importance_performance(long_df, by="sector", min_n=2)
    grid = grids.ipa_grid(ipa, group="sector", k=2)
    assert grid.loc[0, "Voluntary"] == "n<2"
    assert grid.loc[0, "NHS"].startswith(("Concentrate here", "Keep up", "Low priority",
                                          "Possible overkill"))
    assert "(performance 62, importance 3.25)" in grid.loc[0, "NHS"]


def test_site_interview_summary_never_writes_small_counts():
    counts = pd.DataFrame([
        {"Site": "S01", "Sector": "NHS", "Peer workers": "<5", "Line managers": "<5",
         "Service users": "0", "Total": "6"},
        {"Site": "S02", "Sector": "NHS", "Peer workers": "6", "Line managers": "<5",
         "Service users": "<5", "Total": "9"},
    ])
    out = grids.site_interview_summary(counts, k=5)
    many, few = "Roles with 5 or more", "Roles with fewer than 5 (or none)"
    # a "<5" role is not said to be interviewed: an empty cell reads "<5" too
    assert out.loc[0, many] == "–"
    assert out.loc[0, few] == "Peer workers, Line managers"
    assert out.loc[0, "Roles with none"] == "Service users"
    assert out.loc[1, many] == "Peer workers (6)"
    assert out.loc[1, few] == "Line managers, Service users"
    assert out.loc[1, "Roles with none"] == "–"
    # as the batch's mask shows them (no "0" at a site): no column of empty lists
    masked = grids.site_interview_summary(counts.replace({"0": "<5"}), k=5)
    assert "Roles with none" not in masked.columns
    assert out["Interviews"].tolist() == ["6", "9"]
    assert not out.astype(str).apply(lambda c: c.str.contains("<5")).any().any()


def test_statements_table_has_the_full_wording(codebook):
    table = grids.statements_table(codebook, items=["2.4"])
    assert table.columns.tolist() == ["Item", "Short label", "Statement"]
    assert table.loc[0, "Statement"].startswith("Peer Workers are expected to disclose")


def test_glossary_terms_and_k():
    site = grids.glossary("site", k=7)
    assert "Concentrate here" in site["Term"].tolist()
    assert "n<7" in site.loc[0, "Meaning"]
    cross = grids.glossary("cross_site", k=5, synthetic=True)
    assert {"p-value (exploratory)", "Cohen's kappa", "Synthetic demo data"} <= set(
        cross["Term"])
    with pytest.raises(ValueError, match="report must be one of"):
        grids.glossary("nope", k=5)


def test_missing_grid_is_one_row_per_site(long_df):
    """S01 2.2: P03 gave no answer to either question -> "1 / 1"; 2.3: nobody at S01 rated
    importance -> "0 / 4"."""
    grid = grids.missing_grid(report.missing_answers_table(long_df))
    assert grid.columns.tolist() == ["Site", "Interviews", "2.1", "2.2", "2.3"]
    s01 = grid[grid["Site"] == "S01"].iloc[0]
    assert (s01["Interviews"], s01["2.1"], s01["2.2"], s01["2.3"]) == ("4", "0 / 0", "1 / 1",
                                                                       "0 / 4")

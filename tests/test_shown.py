"""Figures as readers see them (peerlib.reporting.shown), and a batch published under the
NHS-style policy read back as a reader would: every count is 0, "<k" or a multiple of 5,
every percentage a ratio of two multiples of 5."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.io as pio
import pytest

from peerlib.disclosure import get_policy
from peerlib.reporting import figures, grids, keypoints, likert
from peerlib.reporting.shown import shown_counts, shown_happening, shown_importance

from shown_helpers import Checker, check_batch

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
LEVELS = ["Yes", "Partly", "No", "Don't know", "Not relevant", "Missing"]


def _dist(counts: dict[str, list[int]], *, hidden: tuple[str, ...] = ()) -> pd.DataFrame:
    """A masked happening distribution of item 2.1, one group per key of ``counts``."""
    rows = []
    for group, values in counts.items():
        n = sum(values)
        for level, c in zip(LEVELS, values):
            hide = group in hidden
            rows.append({"group": group, "item_id": "2.1", "happening": level,
                         "count": np.nan if hide else float(c), "n_asked": n,
                         "percent": np.nan if hide else 100.0 * c / n,
                         "union": f"site:{group}", "suppressed": hide,
                         "rule": "primary" if hide else ""})
    out = pd.DataFrame(rows)
    out["happening"] = pd.Categorical(out["happening"], categories=LEVELS, ordered=True)
    return out


def test_shown_counts_rounds_counts_and_takes_percentages_of_the_rounded_counts():
    """By hand (nhs: k = 8, base 5): n 23 -> 25; 12 -> 10 (40%); 3 -> "<8", no percentage;
    0 stays 0 (0%); 8 -> 10 (40%). A hidden group of 6 keeps no size and reads "n<8"."""
    nhs = get_policy("nhs")
    table = pd.DataFrame({"n": [23, 23, 23, 23, 6], "count": [12, 3, 0, 8, np.nan],
                          "percent": [52.17, 13.04, 0.0, 34.78, np.nan],
                          "suppressed": [False] * 4 + [True], "rule": [""] * 4 + ["primary"]})
    out = shown_counts(table, nhs, n="n", counts=["count"], percents={"percent": "count"})
    assert out["n"].tolist()[:4] == [25.0] * 4 and np.isnan(out["n"].iloc[4])
    assert out["count"].tolist()[:1] == [10.0] and np.isnan(out["count"].iloc[1])
    assert out["count"].tolist()[2:4] == [0.0, 10.0]
    assert out["percent"].tolist()[0] == 40.0 and np.isnan(out["percent"].iloc[1])
    assert out["percent"].tolist()[2:4] == [0.0, 40.0]
    assert out["count_text"].tolist() == ["10", "<8", "0", "10", "n<8"]
    assert out["n_text"].tolist() == ["25", "25", "25", "25", "n<8"]
    # the one rule: the same as the policy's own text for a table cell
    assert [nhs.count_percent_text(c, 23) for c in (12, 3, 0, 8)] == [
        "10 (40%)", "<8", "0 (0%)", "10 (40%)"]


def test_default_policy_leaves_every_number_as_it_is():
    dist = _dist({"A": [3, 2, 1, 1, 0, 0], "B": [1, 1, 1, 0, 0, 0]}, hidden=("B",))
    out = shown_happening(dist, get_policy())
    pd.testing.assert_frame_equal(out[dist.columns], dist)
    assert out.loc[out["group"] == "A", "count_text"].tolist() == ["3", "2", "1", "1", "0",
                                                                    "0"]
    assert out.loc[out["group"] == "A", "agree"].iloc[0] == 5
    assert out.loc[out["group"] == "B", "n_asked_text"].iloc[0] == "n<5"


def test_builders_show_only_shown_counts_under_rounding():
    """A group of 23 (Yes 9, Partly 3, No 7, Don't know 4): the chart's bars are 10/25,
    the Partly bar is not drawn ("<8"), "Yes or Partly" is 12 -> 10 of 25 (40%); importance
    n 21 -> 20. Nothing in the chart's data, its CSV rows, the grid or the key points
    reads 23, 9, 7, 12 or 21."""
    nhs = get_policy("nhs")
    dist = shown_happening(_dist({"This site": [9, 3, 7, 4, 0, 0]}), nhs)
    rows = likert.diverging_rows(dist, group="group", k=nhs.k)
    assert rows["bar"].tolist() == ["This site (n = 25)"]
    assert rows["Yes n"].tolist() == [10] and rows["Partly n"].tolist() == ["<8"]
    assert rows["Yes %"].tolist() == [40.0] and np.isnan(rows["Partly %"].iloc[0])
    fig = likert.happening_diverging(rows)
    spec = json.loads(pio.to_json(fig))
    checker = Checker(base=5, k=8)
    checker.figure(spec, "chart")
    grid = grids.happening_grid(dist, group="group", k=nhs.k)
    assert grid["This site"].tolist() == ["10 of 25 (40%)"]
    checker.frame(grid, "grid")
    checker.frame(rows, "csv")
    summary = shown_importance(pd.DataFrame({
        "group": ["This site"], "item_id": ["2.1"], "n": [21], "mean": [3.1], "sd": [0.5],
        "median": [3.0], "ci_low": [2.9], "ci_high": [3.3], "union": ["site:A"],
        "suppressed": [False], "rule": [""]}), nhs)
    # one decimal, as the tables print means under nhs (not "3.10")
    assert grids.importance_grid(summary, k=nhs.k)["This site"].tolist() == ["3.1 (n = 20)"]
    bars = json.loads(pio.to_json(figures.importance_bars(summary, group="group")))
    assert bars["data"][0]["customdata"] == [[20, "3.1"]]
    assert "mean %{customdata[1]}" in bars["data"][0]["hovertemplate"]
    points = keypoints.site_key_points(dist, summary, pd.DataFrame(
        columns=["item_id", "performance", "importance", "quadrant"]), k=nhs.k)
    text = " ".join(points["sentence"])
    assert "10 of 25 said Yes or Partly (40%)" in text and "20 answers" in text
    # the key points' own record of their figures: the mean as printed ("3.1")
    assert "mean=3.1;" in " ".join(points["figures"]) + ";"
    checker.text(text, "key points")
    assert not checker.problems, checker.problems
    assert checker.seen["counts"] > 5 and checker.seen["percents"] > 3


def test_the_check_fails_on_exact_counts():
    """The batch check must be able to fail: the same group drawn from its exact counts
    ("n = 23", 9 of 23 = 39%) is caught in the chart's data, the grid and a CSV cell."""
    dist = _dist({"This site": [9, 3, 7, 4, 0, 0]})
    rows = likert.diverging_rows(dist, group="group", k=8)
    checker = Checker(base=5, k=8)
    checker.figure(json.loads(pio.to_json(likert.happening_diverging(rows))), "chart")
    assert any("count 23" in p for p in checker.problems)
    assert any("bar length" in p for p in checker.problems)
    checker = Checker(base=5, k=8)
    checker.frame(grids.happening_grid(dist, group="group", k=8), "grid")
    checker.frame(pd.DataFrame({"No": ["3 (38%)"], "n": ["8"]}), "csv")
    assert {p.split(" [")[0].split(":")[0] for p in checker.problems} == {
        "grid, column 'This site'", "csv, column 'No'", "csv, column 'n'"}


@pytest.fixture(scope="module")
def nhs_batch(tmp_path_factory):
    """The session project's batch under the NHS-style policy with k = 5 (so that the
    demo's sites of 6 and 7 get full reports and PDF packs; counts still rounded to 5)."""
    from peerlib.batch import run_reports

    out = tmp_path_factory.mktemp("reports_nhs")
    result = run_reports(out=out, sites=["S01", "S09"], jobs=2, notebooks=NOTEBOOKS,
                         progress=False, disclosure="nhs", min_group_size=5)
    assert all(r.ok for r in result.results)
    return out


def test_nhs_batch_shows_only_rounded_counts_and_percentages_of_them(nhs_batch):
    """Every published HTML report (visible text and tables, chart data with hover text
    and bar lengths, CSV downloads) and PDF pack of the batch."""
    assert (nhs_batch / "sites" / "S01.pdf").exists()
    checker = check_batch(nhs_batch, base=5, k=5)
    assert not checker.problems, checker.problems[:20]
    seen = checker.seen  # percentages tied to their counts, bars tied to their group's n
    assert seen["counts"] > 1000 and seen["ratios"] > 300 and seen["bars"] > 200, seen
    site = (nhs_batch / "sites" / "S01.html").read_text(encoding="utf-8")
    assert "(n = 5)" in site and "(n = 7)" not in site  # S01 has 7 people


def test_a_shown_group_whose_every_count_is_withheld_keeps_its_n_not_n_below_k():
    """nhs: a group of 25 answering 7, 6, 5, 4, 2, 1 has every count withheld (1 to 7), so
    no bar is drawn; its label is still "(n = 25)", not "(n<8)", which would say the group
    has fewer than 8 people (a privacy tester's finding)."""
    nhs = get_policy("nhs")
    dist = shown_happening(_dist({"This site": [7, 6, 5, 4, 2, 1]}), nhs)
    rows = likert.diverging_rows(dist, group="group", k=nhs.k)
    assert rows["bar"].tolist() == ["This site (n = 25)"]
    assert not rows["hidden"].any()
    assert rows[[c for c in rows.columns if c.endswith(" %")]].isna().all().all()

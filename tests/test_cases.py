"""Cases are sites (peerlib.part2.cases): site x theme synthesis, documentary evidence,
cross-case comparison by any register attribute, with disclosure. Expected counts are read
off the hand-made table in tests/part2_fixtures.py."""
from __future__ import annotations

import pandas as pd
import pytest

from part2_fixtures import CODEBOOK, people, segments, sites
from peerlib.part2.cases import (cross_case, documentary_evidence, protect_partitions,
                                 site_attributes, site_theme_synthesis)


def test_documentary_evidence_is_never_a_person():
    ev = documentary_evidence(segments())
    assert ev.columns.tolist() == ["site_id", "document", "kind", "theme", "code", "text",
                                   "reference"]
    assert ev.values.tolist() == [["S01", "JD S01", "job description", "Boundaries",
                                   "Contact", "Contact within hours.", "JD S01, 0-5"]]


def test_site_theme_synthesis_counts_participants_and_hides_small_sites():
    """S01: 6 coded participants; Role: A1-A5 = 5, Boundaries: A1-A5 = 5, Support: A5, A6
    = 2; S02: Role B1, B2 = 2, Boundaries B3 = 1, Support B2 = 1. S02 has 3 (< k = 5): hidden; it is then the only hidden site of the whole study,
    so the smallest other site (S01) is hidden too (total minus S01 would give S02)."""
    summaries = pd.DataFrame({"theme": ["Role"], "site_id": ["S01"],
                              "participant_id": [pd.NA], "summary": ["Roles agreed."]})
    out = site_theme_synthesis(segments(), people(), sites(), k=5, summaries=summaries,
                               codebook=CODEBOOK)
    assert out["suppressed"].all() and out["n_spoke"].isna().all()
    assert out["n_participants"].tolist() == [6, 6, 6, 3, 3, 3]
    role = out[(out["site_id"] == "S01") & (out["theme"] == "Role")].iloc[0]
    assert role["site_summary"] == "Roles agreed."
    bound = out[(out["site_id"] == "S01") & (out["theme"] == "Boundaries")].iloc[0]
    assert bound["n_document_excerpts"] == 1
    assert bound["documents"] == "JD S01 (job description)"
    shown = site_theme_synthesis(segments(), people(), sites(), k=3, codebook=CODEBOOK)
    assert shown["n_spoke"].tolist() == [5, 5, 2, 2, 1, 1] and not shown["suppressed"].any()


def test_cross_case_by_a_column_the_study_added():
    """By region: North = S01 (6 participants), South = S02 (3)."""
    assert "region" in site_attributes(sites())
    out = cross_case(segments(), people(), sites(), by="region", k=3, codebook=CODEBOOK)
    north = out[out["group"] == "North"].set_index("theme")
    assert north.loc["Role", "n_spoke"] == 5 and north.loc["Role", "n_sites"] == 1
    assert north.loc["Support", "percent"] == pytest.approx(100 * 2 / 6)
    hidden = cross_case(segments(), people(), sites(), by="bme_focus", k=5,
                        codebook=CODEBOOK)
    assert hidden["suppressed"].all()  # South has 3; North is then hidden by subtraction
    with pytest.raises(KeyError, match="not an attribute of the site register.*region"):
        cross_case(segments(), people(), sites(), by="site_name")


def test_protect_partitions_hides_the_complement_of_a_lone_hidden_group():
    table = pd.DataFrame({"g": ["a", "b", "c"], "n": [2, 9, 7], "part": ["x"] * 3})
    hide = protect_partitions(table, table["n"] < 5, n="n", group="g", partitions=[["part"]])
    assert hide.tolist() == [True, False, True]

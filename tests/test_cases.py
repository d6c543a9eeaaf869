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


#: A project whose register has a column the study added (region): North = N1 + V1 (17
#: people), South = N2 + V2 (13), East = N3 (3), West = V3 (2).
REGION_PEOPLE = [
    ("N1", "NHS", "NHS trust", "Peer worker", 4), ("N1", "NHS", "NHS trust", "Line manager", 4),
    ("N2", "NHS", "NHS trust", "Non-peer staff", 7),
    ("N3", "NHS", "Partnership", "Service user", 3),
    ("V1", "Voluntary", "Voluntary sector", "Peer worker", 9),
    ("V2", "Voluntary", "Voluntary sector", "Service user", 6),
    ("V3", "Voluntary", "Voluntary sector", "Peer worker", 2)]
REGION = {"N1": "North", "V1": "North", "N2": "South", "V2": "South", "N3": "East",
          "V3": "West"}


@pytest.mark.filterwarnings("ignore:No redaction list")
def test_cross_case_by_an_added_register_column_under_the_batch_mask(tmp_path, monkeypatch):
    """``region``, added to ``sites.csv``, is compared by with no code change: the batch's
    mask (made as ``peerlib reports`` makes it) has its groups in the framework report's
    cross-case table, so under the mask the regions with k = 5 or more coded
    participants (North, South) show their counts and the small ones (East, West) are
    hidden; the cross-case tables of every attribute, as the framework notebook shows
    them, pass the publish-time audit. Coded participants are counted from the import
    (a transcript the helper gave no tag is not coded)."""
    from disclosure_helpers import write_part2, write_project
    from peerlib.disclosure import DisclosureMask, get_policy
    from peerlib.disclosure.audit import audit_reports
    from peerlib.part1.prepare import load_prepared, load_sites, prepare
    from peerlib.part2 import write_coded_segments
    from peerlib.part2.framework import participants
    from peerlib.part2.segments import load_coded_segments
    from peerlib.reporting.sections import cross_case_section
    from peerlib.reporting.tables import batch_mask_table, coded_participants, mask_data

    write_project(tmp_path, REGION_PEOPLE, site_columns={"region": REGION,
                                                          "contact_name": {"N1": "Jo"}})
    write_part2(tmp_path, REGION_PEOPLE)
    monkeypatch.setenv("PEERLIB_PROJECT_DIR", str(tmp_path))
    prepare()
    write_coded_segments(tmp_path / "data" / "raw" / "part2_taguette.csv")
    processed = tmp_path / "data" / "processed"
    policy = get_policy()
    sites = load_sites(processed)
    assert site_attributes(sites) == ["sector", "organisation_type", "bme_focus", "region"]
    table_ = batch_mask_table(processed, policy, list(sites["site_id"]))
    cross = table_[table_["table"] == "cross_case"]
    assert {"attr:region|North", "attr:region|South", "attr:region|East",
            "attr:region|West", "sector:NHS"} <= set(cross["union"])
    mask = DisclosureMask(table_, policy)
    segs, data = load_coded_segments(processed), load_prepared(processed)
    people = participants(data)
    coded = set(coded_participants(processed))
    out = cross_case(segs, people, sites, by="region", mask=mask)
    for region, group in out.groupby("group", sort=False):
        n = sum(1 for p, s in zip(people["participant_id"], people["site_id"])
                if p in coded and REGION[s] == region)
        assert (group["n_participants"] == n).all()
        if region in ("North", "South"):
            assert n >= policy.k and not group["suppressed"].any()
            assert group["n_spoke"].notna().all(), region
        else:
            assert 0 < n < policy.k and group["suppressed"].all()
            assert (group["rule"] == "primary").all() and group["n_spoke"].isna().all()
    page = tmp_path / "framework_matrix.html"  # the notebook's cross-case section
    page.write_text(cross_case_section(segs, people, sites, k=policy.k, mask=mask,
                                       policy=policy).data, encoding="utf-8")
    text = page.read_text(encoding="utf-8")
    assert [f"Themes by {a} of the site" in text for a in (
        "sector", "organisation type", "BME focus", "region")] == [True] * 4
    audit = audit_reports({"framework": page}, mask_data(data, processed), policy,
                          mask=table_, coded=sorted(coded))
    assert audit.passed, audit.failures


def test_site_attributes_leave_out_ids_names_and_free_text():
    """Added columns that identify, name or describe a site are not compared by (their
    values would be published as group labels): ``ods_id``, ``manager_name``, ``notes``,
    and ``history`` (a value longer than 60 characters)."""
    register = sites().assign(ods_id=["RX1", "RX2"], manager_name=["Jo", "Sam"],
                              notes=["", "moved"], history=["x" * 61, "short"],
                              setting=["Community", "Inpatient"])
    assert site_attributes(register) == ["sector", "organisation_type", "bme_focus",
                                         "region", "setting"]
    with pytest.raises(KeyError, match="'notes' is not an attribute of the site register"):
        cross_case(segments(), people(), register, by="notes")

"""Differencing between releases (peerlib.disclosure.releases): two batches published one
after the other must not give away the few people by whom they differ."""
from __future__ import annotations

import shutil

import pandas as pd
import pytest

from batch_helpers import tiny_templates
from peerlib.disclosure.releases import differencing_risks, read_release, release_path
from peerlib.paths import project_paths

COLUMNS = ["participant_id", "site_id", "role", "sector", "organisation_type"]


def _people(rows):
    return pd.DataFrame(rows, columns=COLUMNS)


BEFORE = _people([(f"P{i}", "S01", "Peer worker", "NHS", "NHS trust") for i in range(6)]
                 + [("Q0", "S01", "Line manager", "NHS", "NHS trust")]
                 + [(f"V{i}", "S02", "Peer worker", "Voluntary", "Voluntary sector")
                    for i in range(7)])
SHOWN = {"all", "site:S01", "site:S02", "sector:NHS", "sector:Voluntary", "role:Peer worker",
         "role:Line manager", "others:S01"}


def test_one_withdrawal_is_a_risk_for_every_shown_group_of_that_person():
    after = BEFORE[BEFORE["participant_id"] != "Q0"]
    risks = differencing_risks(BEFORE, after, SHOWN, SHOWN, k=5)
    assert set(risks["group"]) == {"all", "site:S01", "sector:NHS", "role:Line manager"}
    assert (risks["left"] == 1).all() and (risks["joined"] == 0).all()


def test_a_change_of_k_or_more_and_groups_shown_once_are_no_risk():
    added = _people([(f"N{i}", "S03", "Peer worker", "NHS", "Partnership") for i in range(5)])
    after = pd.concat([BEFORE, added], ignore_index=True)
    risks = differencing_risks(BEFORE, after, SHOWN, SHOWN | {"site:S03"}, k=5)
    assert risks.empty  # +5 everywhere it shows; site:S03 was not shown before
    one_more = pd.concat([BEFORE, added.head(1)], ignore_index=True)
    risks = differencing_risks(BEFORE, one_more, SHOWN - {"all"}, SHOWN, k=5)
    assert set(risks["group"]) == {"sector:NHS", "role:Peer worker", "others:S01"}
    assert differencing_risks(BEFORE, BEFORE, SHOWN, SHOWN, k=5).empty


def test_a_role_change_counts_as_leaving_one_group_and_joining_another():
    after = BEFORE.copy()
    after.loc[after["participant_id"] == "P0", "role"] = "Line manager"
    risks = differencing_risks(BEFORE, after, SHOWN, SHOWN, k=5).set_index("group")
    assert risks.loc["role:Peer worker", "left"] == 1
    assert risks.loc["role:Line manager", "joined"] == 1
    assert risks.loc["site:S01", "changed"] == 2  # left as one, joined as the other


def test_batch_after_a_withdrawal_warns_and_names_the_groups_but_not_in_reports(
        tmp_path, monkeypatch, capsys):
    """`peerlib reports`, then a withdrawal and `prepare` and `reports` again: the second
    batch publishes, exits 0, and warns on stderr that the two releases differ by one
    person; nothing of the warning is written into reports/. The record of the release is
    kept in data/processed/releases/, not in reports/."""
    from peerlib.cli import main

    raw = tmp_path / "data" / "raw"
    shutil.copytree(project_paths().raw, raw)
    monkeypatch.setenv("PEERLIB_PROJECT_DIR", str(tmp_path))
    templates = tiny_templates(tmp_path / "templates")
    assert main(["prepare"]) == 0
    args = ["reports", "--notebooks", str(templates), "--jobs", "1", "--no-progress"]
    assert main(args) == 0
    assert "Differencing risk" not in capsys.readouterr().err  # the first release
    record = release_path(tmp_path / "data" / "processed")
    assert read_release(record) is not None
    responses = pd.read_csv(raw / "part1_responses.csv", dtype=str, keep_default_na=False)
    gone = responses.iloc[0]
    (raw / "withdrawn.txt").write_text(gone["participant_id"] + "\n", encoding="utf-8")
    assert main(["prepare"]) == 0
    capsys.readouterr()
    assert main(args + ["--out", str(tmp_path / "elsewhere")]) == 0  # another folder too
    err = capsys.readouterr().err
    assert "peerlib reports: warning: Differencing risk" in err
    assert f"site:{gone['site_id']} (1 person)" in err and "all (1 person)" in err
    for path in [*(tmp_path / "reports").rglob("*"), *(tmp_path / "elsewhere").rglob("*")]:
        if path.is_file():
            assert b"Differencing risk" not in path.read_bytes(), path
    assert main(args) == 0  # the same data again: nothing changed since the last release
    assert "Differencing risk" not in capsys.readouterr().err


@pytest.mark.parametrize("text", ["", "not json", '{"people": 3}'])
def test_a_damaged_record_counts_as_no_earlier_release(tmp_path, text):
    path = tmp_path / "r.json"
    path.write_text(text, encoding="utf-8")
    assert read_release(path) is None

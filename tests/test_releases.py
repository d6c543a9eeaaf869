"""Differencing between releases (peerlib.disclosure.releases): two batches published one
after the other must not give away the few people by whom they differ."""
from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from batch_helpers import tiny_templates
from peerlib.disclosure import get_policy
from peerlib.disclosure.releases import (Release, differencing_risks, policy_conflicts,
                                         policy_settings,
                                         read_release, read_releases, release_risks,
                                         write_release)
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
    person; nothing of the warning is written into reports/. The record of every release
    is kept in data/releases/, not in reports/ or data/processed/."""
    from peerlib.cli import main

    raw = tmp_path / "data" / "raw"
    shutil.copytree(project_paths().raw, raw)
    monkeypatch.setenv("PEERLIB_PROJECT_DIR", str(tmp_path))
    templates = tiny_templates(tmp_path / "templates")
    assert main(["prepare"]) == 0
    args = ["reports", "--notebooks", str(templates), "--jobs", "1", "--no-progress"]
    assert main(args) == 0
    assert "Differencing risk" not in capsys.readouterr().err  # the first release
    records = sorted((tmp_path / "data" / "releases").glob("*.json"))
    assert len(records) == 1 and read_release(records[0]) is not None
    assert records[0].stat().st_mode & 0o077 == 0  # pseudonyms: the owner's only
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
    assert len(list((tmp_path / "data" / "releases").glob("*.json"))) == 2  # none added


@pytest.mark.parametrize("text", ["", "not json", '{"people": 3}'])
def test_a_damaged_record_counts_as_no_earlier_release(tmp_path, text):
    path = tmp_path / "r.json"
    path.write_text(text, encoding="utf-8")
    assert read_release(path) is None


def _release(run_id, people, shown=SHOWN, policy=None, retires=()):
    return Release(run_id=run_id, run_date=run_id, people=people, shown=set(shown),
                   policy=policy, reports_dir="reports", retires=list(retires))


def test_every_earlier_release_is_compared_not_only_the_last():
    """A, then B = A and five new people at S03 (each group +5: no risk), then C = B without
    them and without one more person (each group -6 against B: no risk): C differs from A by
    that one person, and the check names A's release (helper-29's D3)."""
    added = _people([(f"N{i}", "S01", "Peer worker", "NHS", "NHS trust") for i in range(5)])
    a = BEFORE
    b = pd.concat([BEFORE, added], ignore_index=True)
    c = BEFORE[BEFORE["participant_id"] != "P5"]
    assert differencing_risks(a, b, SHOWN, SHOWN, k=5).empty
    assert differencing_risks(b, c, SHOWN, SHOWN, k=5).empty
    found = release_risks([_release("A", a), _release("B", b)], c, SHOWN, k=5)
    assert [rel.run_id for rel, _ in found] == ["A"]
    assert set(found[0][1]["group"]) == {"all", "site:S01", "sector:NHS", "role:Peer worker"}
    # a rerun identical to the newest release: everything older was checked back then
    assert release_risks([_release("A", a), _release("B", b), _release("C", c)], c, SHOWN,
                         k=5) == []


def test_a_release_under_another_policy_of_the_same_people_conflicts():
    """The same people under k = 10 after k = 5 (helper-29's D1: each policy hides other
    cells, and the two sets of reports together gave single people's answers away)."""
    five, ten = get_policy("default"), get_policy("default", k=10)
    settings = policy_settings
    history = [_release("A", BEFORE, policy=settings(five))]
    assert [r.run_id for r in policy_conflicts(history, BEFORE, ten)] == ["A"]
    assert policy_conflicts(history, BEFORE, five) == []
    assert [r.run_id for r in policy_conflicts(history, BEFORE, get_policy("nhs"))] == ["A"]
    strangers = BEFORE.assign(participant_id="X" + BEFORE["participant_id"])
    assert policy_conflicts(history, strangers, ten) == []  # nobody in common
    retired = history + [_release("B", BEFORE, policy=settings(ten), retires=["A"])]
    assert policy_conflicts(retired, BEFORE, ten) == []
    assert [r.run_id for r in policy_conflicts(retired, BEFORE, five)] == ["B"]
    old = [_release("old", BEFORE, policy=None)]  # recorded before policies were
    assert policy_conflicts(old, BEFORE, five) == [] and policy_conflicts(old, BEFORE, ten)


def test_an_unchanged_rerun_adds_no_record_and_a_damaged_one_is_named(tmp_path):
    folder = tmp_path / "releases"
    policy = get_policy("default")
    assert write_release(folder, BEFORE, SHOWN, run_id="20260101T000000-1", policy=policy)
    history = read_releases(folder)
    assert write_release(folder, BEFORE, SHOWN, run_id="20260102T000000-1", policy=policy,
                         history=history) is None
    assert write_release(folder, BEFORE.head(10), SHOWN, run_id="20260103T000000-1",
                         policy=policy, history=history)
    assert [r.run_id for r in read_releases(folder)] == ["20260101T000000-1",
                                                         "20260103T000000-1"]
    (folder / "20260104T000000-1.json").write_text("{broken", encoding="utf-8")
    with pytest.warns(UserWarning, match="20260104T000000-1.json"):
        history = read_releases(folder)
    assert [(r.run_id, r.damaged) for r in history] == [
        ("20260101T000000-1", False), ("20260103T000000-1", False),
        ("20260104T000000-1", True)]


def test_the_history_survives_make_clean_and_a_policy_change_is_refused(tmp_path, monkeypatch,
                                                                        capsys):
    """The release history is kept by `make clean` (helper-29's D2: emptying
    data/processed lost it, and a withdrawal then re-added went unwarned); a batch under
    k = 10 after one under k = 5 is refused (exit 2, nothing written) until
    --accept-policy-change, which warns and retires the earlier release."""
    import subprocess

    from peerlib.cli import main

    raw = tmp_path / "data" / "raw"
    shutil.copytree(project_paths().raw, raw)
    monkeypatch.setenv("PEERLIB_PROJECT_DIR", str(tmp_path))
    templates = tiny_templates(tmp_path / "templates")
    args = ["reports", "--notebooks", str(templates), "--jobs", "1", "--no-progress"]
    assert main(["prepare"]) == 0 and main(args) == 0
    responses = pd.read_csv(raw / "part1_responses.csv", dtype=str, keep_default_na=False)
    (raw / "withdrawn.txt").write_text(responses.iloc[0]["participant_id"] + "\n",
                                       encoding="utf-8")
    assert main(["prepare"]) == 0 and main(args) == 0
    (raw / "withdrawn.txt").unlink()
    makefile = Path(__file__).resolve().parents[1] / "Makefile"  # the repository's
    done = subprocess.run(["make", "-f", str(makefile), "-C", str(tmp_path), "clean"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert not list((tmp_path / "data" / "processed").iterdir()) or \
        [p.name for p in (tmp_path / "data" / "processed").iterdir()] == [".gitkeep"]
    assert len(list((tmp_path / "data" / "releases").glob("*.json"))) == 2
    capsys.readouterr()
    assert main(["prepare"]) == 0 and main(args) == 0  # the withdrawn person is back
    assert "Differencing risk" in capsys.readouterr().err
    before = sorted(p.name for p in (tmp_path / "data" / "releases").iterdir())
    index = (tmp_path / "reports" / "index.html").read_bytes()
    assert main(args + ["--min-group-size", "10", "--force"]) == 2
    err = capsys.readouterr().err
    assert "another disclosure policy" in err and "--accept-policy-change" in err
    assert "k = 5" in err and "k = 10" in err
    assert sorted(p.name for p in (tmp_path / "data" / "releases").iterdir()) == before
    assert (tmp_path / "reports" / "index.html").read_bytes() == index
    assert main(args + ["--min-group-size", "10", "--accept-policy-change"]) == 0
    assert "recorded as withdrawn" in capsys.readouterr().err
    assert main(args + ["--min-group-size", "10"]) == 0  # the new policy from now on
    assert main(args) == 2  # and back to k = 5 is a change again


def test_a_new_pseudonym_key_does_not_hide_a_policy_change_or_a_withdrawal():
    """With a new key every pseudonym changes, so a release under the old key shares no
    participant with this one by pseudonym: a policy change is still a conflict, and the
    first batch under the new key says it cannot be compared with the one before."""
    five, ten = get_policy("default"), get_policy("default", k=10)
    settings = policy_settings
    old = _release("A", BEFORE, policy=settings(five))
    old.key = "old-key"
    renamed = BEFORE.assign(participant_id="X" + BEFORE["participant_id"])
    assert [r.run_id for r in policy_conflicts([old], renamed, ten, key="new-key")] == ["A"]
    assert policy_conflicts([old], renamed, five, key="new-key") == []
    found = release_risks([old], renamed, SHOWN, k=5, key="new-key")
    assert [(rel.run_id, risks.empty) for rel, risks in found] == [("A", True)]
    newer = _release("B", renamed, policy=settings(five))
    newer.key = "new-key"
    assert release_risks([old, newer], renamed, SHOWN, k=5, key="new-key") == []


def test_an_unreadable_record_blocks_a_policy_change_and_other_keys_are_passed_over(tmp_path):
    """helper-30: records emptied to {} let a batch under another policy through (each
    unreadable record now counts as a conflict: its policy is unknown); and a release under
    an older key was never compared once a release under another key came between."""
    folder = tmp_path / "releases"
    policy = get_policy("default")
    write_release(folder, BEFORE, SHOWN, run_id="20260101T000000-1", policy=policy)
    (folder / "20260102T000000-1.json").write_text("{}", encoding="utf-8")
    with pytest.warns(UserWarning, match="policy is refused while it is unreadable"):
        history = read_releases(folder)
    assert [r.run_id for r in policy_conflicts(history, BEFORE, policy)] == [
        "20260102T000000-1"]
    assert release_risks(history, BEFORE, SHOWN, k=5) == []  # the readable one: identical
    settings = policy_settings(policy)
    b = _release("B", BEFORE, policy=settings)
    b.key = "key-1"
    h = _release("H", BEFORE.assign(participant_id="X" + BEFORE["participant_id"]),
                 policy=settings)
    h.key = "key-2"
    back = BEFORE[BEFORE["participant_id"] != "Q0"]  # key 1 again, one person withdrawn
    found = release_risks([b, h], back, SHOWN, k=5, key="key-1")
    assert [(rel.run_id, risks.empty) for rel, risks in found] == [("H", True), ("B", False)]


def test_the_history_is_read_beside_the_data_whatever_the_project_folder(tmp_path):
    """helper-30: `peerlib --project-dir elsewhere reports --data <this project's processed>`
    read and wrote another project's history, so neither check saw this data's releases.
    The history beside the data comes first (and is written); the running project's own is
    read too when it is another folder."""
    from peerlib.batch.run import _release_folders

    here, elsewhere = project_paths(tmp_path / "study"), project_paths(tmp_path / "other")
    data = here.processed
    assert _release_folders(here, data) == [(tmp_path / "study" / "data" / "releases").resolve()]
    assert _release_folders(elsewhere, data) == [
        (tmp_path / "study" / "data" / "releases").resolve(),
        (tmp_path / "other" / "data" / "releases").resolve()]

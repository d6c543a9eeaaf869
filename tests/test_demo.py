"""Tests of peerlib.part1.demo: deterministic synthetic demo data that reproduces the study's sample."""
from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pytest
import yaml

from peerlib.part1.demo import demo_files, write_demo_data
from peerlib.errors import ParameterError
from peerlib.part1.prepare import load_part1
from peerlib.part1.scoring import sample_table
from peerlib.part1.validate import read_site_register

DEMO_FILES = ("dataset.yaml", "sites.csv", "part1_responses.csv")
#: SHA-256 of the demo files as last committed to data/raw (f28a0ab), before the demo stopped
#: being committed: the default seed keeps reproducing them (a deliberate change of the demo
#: updates these).
DEMO_SHA256 = {
    "dataset.yaml": "d11a6428f0bc5057dc8a93c4849d9c62d45eda5ee330b7c693c250945134a4d4",
    "part1_responses.csv": "2911e79010b3163f4153094e3fc258f622550262f7d36d19b5e552148a5e4a85",
    "sites.csv": "811f898cf756cc7527690d6432389379f9c820eaa3cec8562f49b1c8fe0c7af8",
}

#: DESIGN.md, "The study's preliminary Part 1 sample", typed in from the table there.
STUDY_TABLE = pd.DataFrame({
    "role": ["Peer worker", "Non-peer staff", "Line manager",
             "Senior/strategic manager or commissioner", "Service user", "Total"],
    "Voluntary": [9, 6, 4, 6, 8, 33],
    "NHS": [7, 8, 7, 8, 5, 35],
    "Total": [16, 14, 11, 14, 13, 68],
})


def _snapshot(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_demo_is_deterministic(tmp_path):
    first = write_demo_data(tmp_path / "a")
    second = write_demo_data(tmp_path / "b")
    assert sorted(p.name for p in first) == sorted(DEMO_FILES)
    assert _snapshot(tmp_path / "a") == _snapshot(tmp_path / "b")
    assert demo_files() == demo_files()


def test_demo_matches_committed_files(tmp_path):
    """The default seed reproduces the files once committed to data/raw byte for byte."""
    write_demo_data(tmp_path)
    for name in DEMO_FILES:
        assert hashlib.sha256((tmp_path / name).read_bytes()).hexdigest() == \
            DEMO_SHA256[name], name


def test_other_seed_gives_other_answers_same_sites():
    default, other = demo_files(), demo_files(seed=1)
    assert other["sites.csv"] == default["sites.csv"]
    assert other["part1_responses.csv"] != default["part1_responses.csv"]
    assert yaml.safe_load(other["dataset.yaml"])["seed"] == 1


def test_rerun_overwrites_own_files(tmp_path):
    """Files the command wrote (recorded by hash in dataset.yaml) may be replaced, e.g. by a
    run with another seed, and then by the default again."""
    write_demo_data(tmp_path, seed=1)
    write_demo_data(tmp_path)
    for name in DEMO_FILES:
        assert hashlib.sha256((tmp_path / name).read_bytes()).hexdigest() == DEMO_SHA256[name]


def test_role_by_sector_equals_study_table(tmp_path):
    write_demo_data(tmp_path)
    long = load_part1(tmp_path / "part1_responses.csv", tmp_path / "sites.csv")
    table = sample_table(long, rows="role", columns="sector", column_order=["Voluntary", "NHS"])
    pd.testing.assert_frame_equal(table, STUDY_TABLE, check_dtype=False)
    assert long["participant_id"].nunique() == 68


def test_demo_sites(tmp_path):
    write_demo_data(tmp_path)
    sites = read_site_register(tmp_path / "sites.csv")
    assert len(sites) == 10
    assert sites["site_id"].is_unique
    assert set(sites["sector"]) == {"NHS", "Voluntary"}
    assert set(sites["organisation_type"]) == {"NHS trust", "Partnership", "Voluntary sector"}
    assert 0 < int(sites["bme_focus"].sum()) < 10
    # partnerships count as NHS in the two-way split (the register decides)
    assert set(sites.loc[sites["organisation_type"] == "Partnership", "sector"]) == {"NHS"}
    long = load_part1(tmp_path / "part1_responses.csv", tmp_path / "sites.csv")
    assert long["site_id"].nunique() == 10                  # every site has interviews


def test_demo_is_labelled_synthetic_and_typed_messily(tmp_path):
    write_demo_data(tmp_path)
    spec = yaml.safe_load((tmp_path / "dataset.yaml").read_text(encoding="utf-8"))
    assert spec["synthetic"] is True
    assert spec["generated_by"] == "peerlib demo-data"
    for name in ("sites.csv", "part1_responses.csv"):
        assert spec["demo_files"][name] == hashlib.sha256(
            (tmp_path / name).read_bytes()).hexdigest()
    text = (tmp_path / "part1_responses.csv").read_text(encoding="utf-8")
    for typed in ("\u2019", " - Extremely important", ",,", "yes,", " Yes "):
        assert typed in text, typed


def test_refuses_to_overwrite_foreign_sites_csv(tmp_path):
    """A sites.csv that the command did not write is never overwritten (nor is anything
    else written)."""
    own = b"site_id,site_name,organisation_type,sector,bme_focus\nX1,Real,NHS trust,NHS,no\n"
    (tmp_path / "sites.csv").write_bytes(own)
    with pytest.raises(ParameterError, match=r"Refusing to overwrite files that `peerlib "
                                             r"demo-data` did not write: .*sites\.csv"):
        write_demo_data(tmp_path)
    assert (tmp_path / "sites.csv").read_bytes() == own
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sites.csv"]


def test_refuses_when_user_edited_a_demo_file(tmp_path):
    """After demo-data, a user replaces sites.csv with their own register: refused, kept."""
    write_demo_data(tmp_path)
    edited = (tmp_path / "sites.csv").read_bytes().replace(b"Lantern Collective", b"Real Org")
    (tmp_path / "sites.csv").write_bytes(edited)
    before = _snapshot(tmp_path)
    with pytest.raises(ParameterError, match=r"sites\.csv") as info:
        write_demo_data(tmp_path)
    assert "part1_responses.csv" not in str(info.value)
    assert _snapshot(tmp_path) == before


def test_refuses_foreign_dataset_yaml(tmp_path):
    own = b"name: Real study\nsynthetic: false\n"
    (tmp_path / "dataset.yaml").write_bytes(own)
    with pytest.raises(ParameterError, match=r"dataset\.yaml"):
        write_demo_data(tmp_path)
    assert (tmp_path / "dataset.yaml").read_bytes() == own

"""Pseudonyms, withdrawn participants and identifiers (peerlib.privacy, prepare, reports)."""
from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from peerlib.errors import ParameterError
from peerlib.paths import project_paths
from peerlib.part1.prepare import load_meta, load_prepared, prepare
from peerlib.privacy import load_key, pseudonymise, read_withdrawn


def test_pseudonyms_are_stable_per_key_and_differ_between_keys():
    ids = pd.Series(["S01-P01", "S01-P02", "S01-P01"])
    a, b = pseudonymise(ids, b"key-one"), pseudonymise(ids, b"key-one")
    assert a.tolist() == b.tolist() and a[0] == a[2] and a[0] != a[1]
    assert re.fullmatch(r"P-[0-9a-f]{12}", a[0])
    assert pseudonymise(ids, b"key-two")[0] != a[0]
    # HMAC-SHA-256 computed independently with the standard library
    import hashlib
    import hmac
    assert a[0] == "P-" + hmac.new(b"key-one", b"S01-P01", hashlib.sha256).hexdigest()[:12]


def test_key_file_created_once_with_a_message(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("PEERLIB_KEY", raising=False)
    key_file = tmp_path / ".peerlib_key"
    first = load_key(key_file)
    assert "created the pseudonym key" in capsys.readouterr().err
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert load_key(key_file) == first
    assert capsys.readouterr().err == ""
    monkeypatch.setenv("PEERLIB_KEY", "from-env")
    assert load_key(key_file) == b"from-env"
    monkeypatch.delenv("PEERLIB_KEY")
    with pytest.raises(ParameterError, match="No pseudonym key"):
        load_key(tmp_path / "missing", create=False)


def test_withdrawn_participant_is_removed_and_counted(demo_project):
    raw = demo_project / "data" / "raw"
    (raw / "withdrawn.txt").write_text("# withdrawn on request\nS01-P03\n\nS07-P02  # by email\n",
                                       encoding="utf-8")
    assert read_withdrawn(raw) == {"S01-P03", "S07-P02"}
    prepare()
    long = load_prepared()
    assert long["participant_id"].nunique() == 66
    gone = pseudonymise(pd.Series(["S01-P03", "S07-P02"]), load_key(demo_project / "k"))
    assert not long["participant_id"].isin(gone).any()
    assert load_meta()["n_withdrawn"] == 2
    text = "".join(p.read_text(encoding="utf-8", errors="ignore")
                   for p in (demo_project / "data" / "processed").glob("*.csv"))
    assert "S01-P03" not in text and "S07-P02" not in text


def _all_output_files(root: Path) -> list[Path]:
    return [p for folder in (root / "data" / "processed", root / "reports")
            if folder.exists() for p in folder.rglob("*") if p.is_file()]


def test_planted_identifiers_reach_no_output(batch):
    """The session project's raw file carries a planted value in every identifying column
    (root conftest). Neither they nor any raw participant ID appear in any processed file,
    report, executed notebook or figure (bytes searched, so PNG/SVG metadata too)."""
    root = project_paths().root
    files = _all_output_files(root) + [p for p in batch.out.rglob("*") if p.is_file()]
    assert any(p.suffix == ".parquet" for p in files) and any(p.suffix == ".png" for p in files)
    raw = pd.read_csv(project_paths().raw / "part1_responses.csv", dtype=str)
    planted = ["name", "email", "phone", "date_of_birth", "address", "comments"]
    assert set(planted) <= set(raw.columns)
    needles = [str(v).encode() for col in planted for v in raw[col]]
    needles += [pid.encode() for pid in raw["participant_id"]]
    for path in files:
        data = path.read_bytes()
        for needle in needles:
            assert needle not in data, (path, needle)

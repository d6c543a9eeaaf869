"""Pseudonyms, withdrawn participants and identifiers (peerlib.privacy, prepare, reports)."""
from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from peerlib.errors import ParameterError
from peerlib.paths import project_paths
from peerlib.part1.prepare import load_meta, load_prepared, prepare
from peerlib.privacy import (KEY_MIN_BYTES, checked_key, key_fingerprint, load_key,
                             pseudonymise, read_withdrawn)


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
    monkeypatch.setenv("PEERLIB_KEY", "from-env-0123456789")
    assert load_key(key_file) == b"from-env-0123456789"
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
        data = _searchable_bytes(path)
        for needle in needles:
            assert needle not in data, (path, needle)


def _searchable_bytes(path) -> bytes:
    """A file's bytes, plus what they hide from a byte search: the CSV downloads inside a
    report (base64 data: URIs) and the text of a PDF (compressed streams)."""
    import base64
    import re

    data = path.read_bytes()
    if path.suffix == ".html":
        for uri in re.findall(rb"data:text/csv;charset=utf-8;base64,([A-Za-z0-9+/=]+)", data):
            data += b"\n" + base64.b64decode(uri)
    if path.suffix == ".pdf":
        from pypdf import PdfReader

        data += "\n".join(page.extract_text() for page in PdfReader(str(path)).pages).encode()
    return data


# --------------------------------------------------------------------------- keys (issue 10)
@pytest.mark.parametrize("value, message", [("", "empty"), ("   ", "blank"),
                                             ("x", "1 byte"), ("a" * 15, "15 byte")])
def test_empty_blank_and_short_keys_are_refused(tmp_path, monkeypatch, value, message):
    monkeypatch.setenv("PEERLIB_KEY", value)
    with pytest.raises(ParameterError, match=message):
        load_key(tmp_path / ".peerlib_key")
    assert not (tmp_path / ".peerlib_key").exists()  # no silent fall-back to a new key file
    assert len(("a" * KEY_MIN_BYTES).encode()) == 16
    monkeypatch.setenv("PEERLIB_KEY", "a" * KEY_MIN_BYTES)
    assert load_key(tmp_path / ".peerlib_key") == b"a" * 16


def test_short_key_file_is_refused(tmp_path, monkeypatch):
    monkeypatch.delenv("PEERLIB_KEY", raising=False)
    key_file = tmp_path / ".peerlib_key"
    key_file.write_text("abc\n", encoding="utf-8")
    key_file.chmod(0o600)
    with pytest.raises(ParameterError, match="shorter than 16 bytes"):
        load_key(key_file)


def test_readable_key_file_gets_a_warning(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("PEERLIB_KEY", raising=False)
    key_file = tmp_path / ".peerlib_key"
    load_key(key_file)
    capsys.readouterr()
    key_file.chmod(0o644)
    load_key(key_file)
    err = capsys.readouterr().err
    assert "can be read by other users" in err and "chmod 600" in err and "0644" in err


def test_fingerprint_is_recorded_never_the_key(demo_project, monkeypatch):
    monkeypatch.setenv("PEERLIB_KEY", "the-secret-key-0123456789")
    prepare()
    meta_text = (demo_project / "data" / "processed" / "part1_meta.json").read_text()
    assert load_meta()["key_fingerprint"] == key_fingerprint(b"the-secret-key-0123456789")
    assert "the-secret-key" not in meta_text
    for path in (demo_project / "data" / "processed").iterdir():
        assert b"the-secret-key" not in path.read_bytes()


def test_lost_key_is_refused_by_prepare_import_and_reports(demo_project, monkeypatch, capsys):
    """Issue 10: delete the key file and prepare again -> exit 2 with what to do, nothing
    re-keyed; --new-key starts over on purpose; reports refuse mixed keys."""
    from peerlib.cli import main

    monkeypatch.delenv("PEERLIB_KEY", raising=False)
    processed = demo_project / "data" / "processed"
    key_file = demo_project / ".peerlib_key"
    assert main(["prepare"]) == 0
    before = (processed / "part1_long.parquet").read_bytes()
    backup = key_file.read_bytes()
    key_file.unlink()
    capsys.readouterr()

    assert main(["prepare"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert "no pseudonym key" in err.lower() and "--new-key" in err and "backed-up" in err
    assert not key_file.exists()  # nothing created behind the user's back
    assert (processed / "part1_long.parquet").read_bytes() == before

    from peerlib.part2.demo import write_qda_demo

    qdpx = next(p for p in write_qda_demo(demo_project / "data" / "raw")
                if p.suffix == ".qdpx")
    assert main(["import-codes", str(qdpx)]) == 2
    assert "--new-key" in capsys.readouterr().err
    assert not (processed / "coded_segments.parquet").exists()

    monkeypatch.setenv("PEERLIB_KEY", "another-key-entirely-0123")  # a different key
    assert main(["prepare"]) == 2
    err = capsys.readouterr().err
    assert "not the one" in err and "fingerprint" in err
    assert main(["reports", "--no-progress"]) == 2
    assert "--new-key" in capsys.readouterr().err
    monkeypatch.delenv("PEERLIB_KEY")

    key_file.write_bytes(backup)  # restored from the backup: all is well again
    key_file.chmod(0o600)
    assert main(["prepare"]) == 0
    assert (processed / "part1_long.parquet").read_bytes() == before
    assert main(["import-codes", str(qdpx)]) == 0

    monkeypatch.setenv("PEERLIB_KEY", "another-key-entirely-0123")
    assert main(["prepare", "--new-key"]) == 0  # on purpose: Part 1 re-keyed
    capsys.readouterr()
    monkeypatch.delenv("PEERLIB_KEY")
    key_file.unlink()
    assert main(["reports", "--no-progress"]) == 2  # Part 2 still has the old key
    err = capsys.readouterr().err
    assert "import-codes" in err and "another pseudonym key" in err and "Traceback" not in err


def test_checked_key_accepts_data_without_a_recorded_fingerprint(tmp_path, monkeypatch):
    monkeypatch.setenv("PEERLIB_KEY", "k" * 20)
    (tmp_path / "part1_meta.json").write_text("{}", encoding="utf-8")
    assert checked_key(tmp_path, tmp_path / ".peerlib_key") == b"k" * 20

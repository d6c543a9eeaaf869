"""The synthetic Part 2 demo (peerlib.part2.demo): determinism, round trip, redaction,
agreement on the double-coded documents against an independent computation."""
from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from peerlib.part2.agreement import agreement
from peerlib.errors import ParameterError
from peerlib.privacy import pseudonymise
from peerlib.part2 import import_codes, read_qdpx, read_redaction_list
from peerlib.part2.demo import DEMO_CODERS, DOUBLE_CODED, demo_segments, qda_demo_files, \
    write_qda_demo
from qda_helpers import QDA_SHA256, independent_character_agreement


@pytest.fixture(scope="module")
def files():
    return qda_demo_files()


@pytest.fixture
def qda_demo_project(tmp_path, monkeypatch, files):
    raw = tmp_path / "data" / "raw"
    raw.mkdir(parents=True)
    for name, data in files.items():
        (raw / name).write_bytes(data)
    monkeypatch.setenv("PEERLIB_PROJECT_DIR", str(tmp_path))
    monkeypatch.setenv("PEERLIB_KEY", "qda-demo-key-0123456789")
    return tmp_path


def test_deterministic_and_committed(files):
    assert qda_demo_files() == files
    for name, digest in QDA_SHA256.items():  # as once committed to data/raw
        assert hashlib.sha256(files[name]).hexdigest() == digest, name
    with zipfile.ZipFile(io.BytesIO(files["part2_demo.qdpx"])) as zf:
        names = zf.namelist()
        assert names[0] == "project.qde" and len(names) == 72  # 68 transcripts, 3 documents
        first = zf.read(names[1])
        assert first.startswith(b"\xef\xbb\xbfSYNTHETIC DEMO TRANSCRIPT") and b"\r\n" in first


def test_round_trip_of_the_demo_qdpx(qda_demo_project):
    """Our .qdpx read by our importer gives the table it was written from."""
    raw = qda_demo_project / "data" / "raw"
    export = read_qdpx(raw / "part2_demo.qdpx")
    got = export.segments
    want = demo_segments()
    cols = ["document", "code", "code_path", "start", "end", "text", "coder"]
    assert export.positions == "codepoints" and export.n_checked == len(want)
    pd.testing.assert_frame_equal(got[cols].astype(object).reset_index(drop=True),
                                  want[cols].astype(object).reset_index(drop=True))
    seg = import_codes(raw / "part2_demo.qdpx").segments
    talk = want["kind"] == "transcript"
    expected_ids = pseudonymise(want.loc[talk, "participant_id"], b"qda-demo-key-0123456789")
    assert seg.loc[talk.values, "participant_id"].tolist() == expected_ids.tolist()
    assert seg["site_id"].tolist() == want["site_id"].tolist()
    assert seg["participant_id"].nunique() == 68 and seg["coder"].notna().all()
    documents = seg[~talk.values]  # the site documents: a site and a kind, nobody's words
    assert documents["participant_id"].isna().all()
    assert set(documents["kind"]) == {"job description", "service specification",
                                      "strategic plan"}
    assert set(documents["site_id"]) == {"S02", "S06", "S09"}


def test_taguette_export_gives_the_same_first_coding(qda_demo_project):
    raw = qda_demo_project / "data" / "raw"
    from_qdpx = import_codes(raw / "part2_demo.qdpx").segments
    from_csv = import_codes(raw / "part2_demo_taguette.csv").segments
    first = from_qdpx[from_qdpx["coder"] == DEMO_CODERS[0]].reset_index(drop=True)
    cols = ["document", "participant_id", "site_id", "code", "code_path", "text"]
    pd.testing.assert_frame_equal(from_csv[cols], first[cols])
    assert from_csv["start"].isna().all() and from_csv["coder"].isna().all()


def test_no_redaction_term_or_raw_id_survives_import(qda_demo_project):
    raw = qda_demo_project / "data" / "raw"
    terms = read_redaction_list(raw / "redaction_list.csv")["term"].tolist()
    original = demo_segments()
    assert any(t in " ".join(original["text"]) for t in terms)  # the demo needs redacting
    seg = import_codes(raw / "part2_demo.qdpx").segments
    text = " ".join(seg["text"]) + " ".join(seg["document"])
    for term in terms + [t.lower() for t in terms]:
        assert term not in text
    for label in ("[name]", "[place]", "[service]"):
        assert label in text
    for pid in original["participant_id"].dropna().unique():
        assert pid not in text


def test_agreement_on_the_double_coded_documents(qda_demo_project):
    seg = read_qdpx(qda_demo_project / "data" / "raw" / "part2_demo.qdpx").segments
    table = agreement(seg).set_index("code_path")
    overall = table.iloc[-1]
    assert overall["n_documents"] == len(DOUBLE_CODED)
    pct, kappa, alpha = independent_character_agreement(seg, DEMO_CODERS)
    assert overall["percent_agreement"] == pytest.approx(pct)
    assert overall["cohen_kappa"] == pytest.approx(kappa)
    assert overall["krippendorff_alpha"] == pytest.approx(alpha)
    assert 0.5 < overall["cohen_kappa"] < 1  # the planted differences show


def test_refuses_to_overwrite_foreign_files(tmp_path):
    write_qda_demo(tmp_path)
    write_qda_demo(tmp_path)  # its own files: fine
    (tmp_path / "redaction_list.csv").write_text("term,category\nReal Name,name\n")
    (tmp_path / "part2_demo.yaml").unlink()
    with pytest.raises(ParameterError, match="redaction_list.csv"):
        write_qda_demo(tmp_path)

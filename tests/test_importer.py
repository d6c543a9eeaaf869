"""Importing coded Part 2 segments (peerlib.part2).

The REFI-QDA files are built by ``tests/qda_helpers.py``: structural copies of what NVivo,
ATLAS.ti, QualCoder and Taguette export, with neutral invented text. Expected positions are
computed there independently (code points = Python string indices of the stored text after
the byte-order mark, CR+LF counting 2; UTF-16 units from ``str.encode("utf-16-le")``).
"""
from __future__ import annotations

import hashlib
import shutil
import hmac
import re
import warnings
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from peerlib.errors import ParameterError
from peerlib.part2 import SEGMENT_COLUMNS, QDAError, QDAWarning, import_codes, load_coded_segments, load_qda_codebook, read_codebook, read_documents_map, read_qdpx, read_redaction_list, read_taguette, write_coded_segments
from qda_helpers import CODEBOOK_NS, PROJECT_NS, Doc, Sel, codebook_xml, project_xml, span, \
    utf16_pos, write_qdpx

EMOJI = "\U0001F642"  # outside the Basic Multilingual Plane: 1 code point, 2 UTF-16 units
TEXT_A = (f"Interviewer: How is the role seen here? {EMOJI}\r\n"
          "Participant: The team agreed what the role is for.\r\n"
          "Participant: Boundaries are talked about in supervision every month.\r\n")
TEXT_B = ("Participant: Training came late for the new starters.\n"
          "Participant: Sharing my story is my choice, not an expectation.\n")


def _docs(bom: bool = False) -> list[Doc]:
    return [
        Doc("Transcript 01", TEXT_A, [
            Sel("The team agreed what the role is for.", ["c-role"]),
            Sel("Boundaries are talked about in supervision every month.", ["c-bound",
                                                                           "c-supp"]),
        ], bom=bom),
        Doc("Transcript 02", TEXT_B, [
            Sel("Training came late for the new starters.", ["c-train"], user="u2"),
            Sel("Sharing my story is my choice", ["c-disc"], user=None),
        ]),
    ]


@pytest.fixture
def qda_project(tmp_path, monkeypatch):
    """An empty project (data/raw, data/processed) with PEERLIB_PROJECT_DIR set."""
    (tmp_path / "data" / "raw").mkdir(parents=True)
    (tmp_path / "data" / "processed").mkdir(parents=True)
    monkeypatch.setenv("PEERLIB_PROJECT_DIR", str(tmp_path))
    monkeypatch.setenv("PEERLIB_KEY", "qda-test-key-0123456789")
    return tmp_path


# --------------------------------------------------------------------------- positions
def test_codepoint_positions_recover_text_after_a_non_bmp_character(tmp_path):
    path = write_qdpx(tmp_path / "qc.qdpx", _docs(), origin="QualCoder 3.5")
    export = read_qdpx(path)
    seg = export.segments
    assert export.positions == "codepoints" and export.n_checked == 4
    assert list(seg["code_path"]) == ["Role", "Role > Boundaries", "Support",
                                      "Support > Training", "Role > Disclosure"]
    first = seg.iloc[0]
    assert first["text"] == "The team agreed what the role is for."
    # CR+LF counts 2 and the emoji 1: the phrase starts after 40 + 1 + 1 + 2 characters
    assert (first["start"], first["end"]) == span(TEXT_A, first["text"])
    assert first["start"] == TEXT_A.index("The team")
    assert list(seg["coder"].fillna("NA")) == ["Coder A", "Coder A", "Coder A", "Coder B",
                                               "NA"]


def test_nvivo_utf16_units_detected_and_stated_convention_checked(tmp_path):
    path = write_qdpx(tmp_path / "nv.qdpx", _docs(bom=True), origin="NVivo 14", units="utf16")
    export = read_qdpx(path)  # auto: NVivo -> UTF-16 code units, confirmed by the text
    seg = export.segments
    assert export.positions == "utf16"
    a, b = span(TEXT_A, "The team agreed what the role is for.")
    assert (seg["start"].iloc[0], seg["end"].iloc[0]) == (utf16_pos(TEXT_A, a),
                                                           utf16_pos(TEXT_A, b))
    assert seg["start"].iloc[0] == a + 1  # one surrogate pair before it
    assert seg["text"].iloc[0] == "The team agreed what the role is for."
    assert read_qdpx(path, positions="utf16").segments["text"].tolist() == seg["text"].tolist()
    with pytest.raises(QDAError, match=r"(?s)nv\.qdpx.*matches under --positions utf16"):
        read_qdpx(path, positions="codepoints")


def test_auto_detects_utf16_units_even_without_nvivo_origin(tmp_path):
    path = write_qdpx(tmp_path / "x.qdpx", _docs(), origin="SomeTool", units="utf16")
    assert read_qdpx(path).positions == "utf16"


def test_crlf_counted_as_one_is_reported_not_shifted(tmp_path):
    path = write_qdpx(tmp_path / "lf.qdpx", _docs(), crlf_as_one=True)
    with pytest.raises(QDAError) as err:
        read_qdpx(path)
    msg = str(err.value)
    assert "lf.qdpx" in msg and "PlainTextSelection guid='sel-0-1'" in msg
    assert "TextSource 'Transcript 01'" in msg and "nothing was written" in msg
    assert "sel-1-" not in msg  # Transcript 02 has LF endings: its positions are right


def test_inclusive_end_is_reported(tmp_path):
    path = write_qdpx(tmp_path / "incl.qdpx", _docs(), inclusive_end=True)
    with pytest.raises(QDAError, match="positions .* give 'The team agreed what the role is "
                                       "for' but"):
        read_qdpx(path)


def test_selection_outside_the_text_is_a_clear_error(tmp_path):
    docs = _docs()
    path = write_qdpx(tmp_path / "out.qdpx", docs)
    with zipfile.ZipFile(path) as zf:
        xml = zf.read("project.qde").decode()
    a, b = span(TEXT_B, "Training came late for the new starters.")
    xml = xml.replace(f'startPosition="{a}" endPosition="{b}"',
                      f'startPosition="{a}" endPosition="{len(TEXT_B) + 5}"')
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("project.qde", xml)
        for d in docs:
            zf.writestr(f"sources/{d.guid}.txt", d.text)
    with pytest.raises(QDAError, match=r"out\.qdpx.*sel-1-0.*point outside the text \(0-"
                                       f"{len(TEXT_B)} code points\\)"):
        read_qdpx(path)


def test_selection_splitting_a_surrogate_pair_is_reported(tmp_path):
    text = f"A{EMOJI}B and the rest of the sentence."
    doc = Doc("T", text, [Sel("B and the rest", ["c-role"], name="")])
    path = write_qdpx(tmp_path / "split.qdpx", [doc], units="utf16")
    with zipfile.ZipFile(path) as zf:
        xml = zf.read("project.qde").decode()
    xml = xml.replace('startPosition="3"', 'startPosition="2"')
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("project.qde", xml)
        zf.writestr(f"sources/{doc.guid}.txt", text)
    with pytest.raises(QDAError, match="surrogate pair"):
        read_qdpx(path, positions="utf16")


def test_label_names_cannot_be_checked_and_say_so(tmp_path):
    docs = _docs()
    for d in docs:
        for i, s in enumerate(d.selections):
            s.name = f"Quotation {i}"
    path = write_qdpx(tmp_path / "atlas.qdpx", docs, origin="ATLAS.ti 23")
    with pytest.warns(QDAWarning, match="could not be checked"):
        export = read_qdpx(path)
        seg = export.segments
    assert seg["text"].iloc[0] == "The team agreed what the role is for."


# --------------------------------------------------------------------------- structure
def test_entry_case_markers_guid_case_inline_text_and_mixed_namespaces(tmp_path):
    docs = _docs(bom=True)
    docs[1].inline = True
    path = write_qdpx(tmp_path / "mixed.qdpx", docs, project_name="Project.qde",
                      sources_dir="Sources", markers=True, codebook_ns=CODEBOOK_NS,
                      guid_case=str.upper)
    export = read_qdpx(path)
    seg = export.segments
    assert len(seg) == 5 and seg["text"].str.len().min() > 10
    assert export.codebook["code_path"].tolist() == [
        "Role", "Role > Boundaries", "Role > Disclosure", "Support", "Support > Training"]
    plain = write_qdpx(tmp_path / "plain.qdpx", _docs(), ns="")  # no namespace at all
    assert read_qdpx(plain).segments["text"].tolist() == seg["text"].tolist()


def test_malformed_xml_names_file_and_entry(tmp_path):
    path = tmp_path / "broken.qdpx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("project.qde", f'<Project xmlns="{PROJECT_NS}"><Sources></Project>')
    with pytest.raises(QDAError, match=r"broken\.qdpx, project\.qde: is not well-formed XML"):
        read_qdpx(path)


def test_not_a_zip_and_no_project_and_entities_refused(tmp_path):
    bad = tmp_path / "bad.qdpx"
    bad.write_text("not a zip")
    with pytest.raises(QDAError, match="bad.qdpx: is not a readable zip"):
        read_qdpx(bad)
    empty = tmp_path / "empty.qdpx"
    with zipfile.ZipFile(empty, "w") as zf:
        zf.writestr("sources/a.txt", "x")
    with pytest.raises(QDAError, match="holds no project.qde"):
        read_qdpx(empty)
    bomb = tmp_path / "bomb.qdpx"
    with zipfile.ZipFile(bomb, "w") as zf:
        zf.writestr("project.qde", '<!DOCTYPE p [<!ENTITY a "aaaa">]><Project>&a;</Project>')
    with pytest.raises(QDAError, match="declares XML entities"):
        read_qdpx(bomb)


def test_unknown_code_and_bad_position_name_the_element(tmp_path):
    path = write_qdpx(tmp_path / "ref.qdpx", _docs())
    with zipfile.ZipFile(path) as zf:
        xml = zf.read("project.qde").decode()
        files = {n: zf.read(n) for n in zf.namelist() if n != "project.qde"}

    def rewrite(new_xml):
        with zipfile.ZipFile(path, "w") as zf:
            zf.writestr("project.qde", new_xml)
            for n, d in files.items():
                zf.writestr(n, d)

    rewrite(xml.replace('targetGUID="c-train"', 'targetGUID="c-nowhere"'))
    with pytest.raises(QDAError, match=r"Coding guid='cd-1-0-0'.*'c-nowhere'.*not in the "
                                       "CodeBook"):
        read_qdpx(path)
    rewrite(re.sub(r'startPosition="\d+"', 'startPosition="zero"', xml, count=1))
    with pytest.raises(QDAError, match="attribute startPosition is 'zero'"):
        read_qdpx(path)
    rewrite(xml.replace('plainTextPath="internal://src-1.txt"',
                        'plainTextPath="internal://missing.txt"'))
    with pytest.raises(QDAError, match="TextSource guid='src-1'.*names no file"):
        read_qdpx(path)


def test_positions_parameter_is_checked(tmp_path):
    path = write_qdpx(tmp_path / "p.qdpx", _docs())
    with pytest.raises(ParameterError, match="positions must be one of"):
        read_qdpx(path, positions="bytes")


# --------------------------------------------------------------------------- codebooks
def test_qdc_codebook_and_taguettes_empty_sets(tmp_path):
    qdc = tmp_path / "book.qdc"
    qdc.write_text('<?xml version="1.0" encoding="utf-8"?>\n'
                   + codebook_xml(ns=CODEBOOK_NS), encoding="utf-8-sig")
    book = read_codebook(qdc)
    assert book.columns.tolist() == ["theme", "code", "code_path", "description"]
    assert book["code_path"].tolist() == ["Role", "Role > Boundaries", "Role > Disclosure",
                                          "Support", "Support > Training"]
    assert book["theme"].tolist() == ["Role", "Role", "Role", "Support", "Support"]
    assert book["description"].iloc[1] == "About Boundaries"
    with pytest.raises(QDAError, match="book2.qdc.*Code.*has no name"):
        (tmp_path / "book2.qdc").write_text(
            f'<CodeBook xmlns="{CODEBOOK_NS}"><Codes><Code guid="x" name=""/></Codes>'
            "<Sets/></CodeBook>")
        read_codebook(tmp_path / "book2.qdc")


@pytest.mark.parametrize("header", ["tag,description",
                                    "tag,description,number of highlights,number of documents"])
def test_taguette_codebook_csv_versions(tmp_path, header):
    extra = ",3,2" if "number" in header else ""
    path = tmp_path / "codebook.csv"
    path.write_text(f"{header}\nBoundaries,Keeping limits{extra}\nRole > Disclosure,"
                    f"Own story{extra}\n", encoding="utf-8")
    book = read_codebook(path)
    assert book["code_path"].tolist() == ["Boundaries", "Role > Disclosure"]
    assert book["code"].tolist() == ["Boundaries", "Disclosure"]


# --------------------------------------------------------------------------- Taguette
def _taguette_rows():
    return pd.DataFrame({"id": ["1", "1", "2"], "document": ["Transcript 01.txt"] * 2
                         + ["Transcript 02"],
                         "tag": ["Role", "Role > Boundaries", "Support"],
                         "content": ["We agreed the role.", "We agreed the role.",
                                     "Supervision helps."]})


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_taguette_highlights_csv_and_xlsx(tmp_path, suffix):
    path = tmp_path / f"highlights{suffix}"
    frame = _taguette_rows()
    frame.to_csv(path, index=False) if suffix == ".csv" else frame.to_excel(path, index=False)
    seg = read_taguette(path).segments
    assert seg["code_path"].tolist() == ["Role", "Role > Boundaries", "Support"]
    assert seg["start"].isna().all() and seg["coder"].isna().all()
    assert seg["text"].iloc[2] == "Supervision helps."


def test_taguette_missing_column_and_blank_tag(tmp_path):
    path = tmp_path / "h.csv"
    path.write_text("id,document,content\n1,T,x\n")
    with pytest.raises(QDAError, match="h.csv, header: lacks the column.*tag"):
        read_taguette(path)
    path.write_text("id,document,tag,content\n1,T,,x\n")
    with pytest.raises(QDAError, match="row 2: no tag"):
        read_taguette(path)


# --------------------------------------------------------------------------- import
def _pseudo(raw_id: str, key: str = "qda-test-key-0123456789") -> str:
    """The pseudonym computed independently (HMAC-SHA-256, first 12 hex digits)."""
    return "P-" + hmac.new(key.encode(), raw_id.encode(), hashlib.sha256).hexdigest()[:12]


def _write_project_files(root, *, withdrawn=()):
    raw = root / "data" / "raw"
    (raw / "qda_documents.csv").write_text(
        "document,participant_id,site_id\nTranscript 01,S01-P01,S01\n", encoding="utf-8")
    (raw / "redaction_list.csv").write_text(
        "term,category\nteam,service\nsupervision,place\n", encoding="utf-8")
    if withdrawn:
        (raw / "withdrawn.txt").write_text("\n".join(withdrawn) + "\n")


def test_import_maps_pseudonymises_redacts_and_warns_on_unmapped(qda_project):
    _write_project_files(qda_project)
    path = write_qdpx(qda_project / "data" / "raw" / "p.qdpx", _docs())
    with pytest.warns(QDAWarning, match="1 document.*not mapped.*Transcript 02"):
        imported = import_codes(path)
        seg = imported.segments
    assert seg.columns.tolist() == SEGMENT_COLUMNS
    one = seg[seg["document"] == _pseudo("S01-P01")]  # labelled, never named
    assert set(one["participant_id"]) == {_pseudo("S01-P01")}
    assert set(one["site_id"]) == {"S01"}
    assert one["text"].iloc[0] == "The [service] agreed what the role is for."
    assert one["text"].iloc[1].startswith("Boundaries are talked about in [place]")
    assert seg.loc[seg["document"] == "unmapped document 1", "participant_id"].isna().all()
    assert not seg["document"].str.contains("Transcript").any()
    assert str(seg["start"].dtype) == "Int64" and str(seg["text"].dtype).startswith("string")


def test_withdrawn_participants_are_dropped_at_import(qda_project):
    _write_project_files(qda_project, withdrawn=["S01-P01"])
    path = write_qdpx(qda_project / "data" / "raw" / "p.qdpx", _docs())
    with pytest.warns(QDAWarning):
        imported = import_codes(path)
        seg = imported.segments
    assert _pseudo("S01-P01") not in set(seg["participant_id"].dropna())
    assert imported.n_withdrawn == 3


def test_raw_ids_in_document_names_and_text_do_not_survive(qda_project):
    raw = qda_project / "data" / "raw"
    (raw / "redaction_list.csv").write_text("term,category\nJo Bloggs,name\n")
    doc = Doc("Interview S01-P02", "Participant S01-P02 said Jo Bloggs helped a lot.",
              [Sel("S01-P02 said Jo Bloggs helped", ["c-role"])])
    (raw / "map.csv").write_text("document,participant_id\nInterview S01-P02,S01-P02\n")
    imported = import_codes(write_qdpx(raw / "p.qdpx", [doc]), documents=raw / "map.csv")
    seg = imported.segments
    assert seg["document"].iloc[0] == _pseudo("S01-P02")  # its label, not its name
    assert seg["text"].iloc[0] == "[participant] said [name] helped"
    assert pd.isna(seg["site_id"].iloc[0])  # no map column, no prepared Part 1 data


def test_atlas_sets_and_cases_map_documents_without_a_map_file(qda_project):
    (qda_project / "data" / "raw" / "redaction_list.csv").write_text("term,category\n")
    docs = _docs()
    extra = ('<Sets><Set guid="s1" name="participant_id: S02-P04">'
             '<MemberSource targetGUID="SRC-0"/></Set>'
             '<Set guid="s2" name="gender: female"><MemberSource targetGUID="src-0"/></Set>'
             '</Sets>'
             '<Variables><Variable guid="v1" name="site_id" typeOfVariable="Text"/></Variables>'
             '<Cases><Case guid="k1" name="S03-P01"><VariableValue><VariableRef '
             'targetGUID="v1"/><TextValue>S03</TextValue></VariableValue>'
             '<SourceRef targetGUID="src-1"/></Case></Cases>')
    path = write_qdpx(qda_project / "data" / "raw" / "a.qdpx", docs, origin="ATLAS.ti",
                      extra=extra)
    with warnings.catch_warnings():
        warnings.simplefilter("error", QDAWarning)
        imported = import_codes(path)
        seg = imported.segments
    by_doc = seg.drop_duplicates("document").set_index("document")
    assert by_doc.loc[_pseudo("S02-P04"), "participant_id"] == _pseudo("S02-P04")
    assert by_doc.loc[_pseudo("S03-P01"), "participant_id"] == _pseudo("S03-P01")
    assert by_doc.loc[_pseudo("S03-P01"), "site_id"] == "S03"


def test_taguette_import_with_documents_map_ignoring_extension_and_case(qda_project):
    raw = qda_project / "data" / "raw"
    _write_project_files(qda_project)
    (raw / "qda_documents.csv").write_text(
        "document,participant_id\ntranscript 01,S01-P01\nTranscript 02.docx,S01-P02\n")
    _taguette_rows().to_csv(raw / "h.csv", index=False)
    imported = import_codes(raw / "h.csv")
    seg = imported.segments
    assert seg["participant_id"].tolist() == [_pseudo("S01-P01")] * 2 + [_pseudo("S01-P02")]
    assert seg["start"].isna().all()


def test_documents_map_and_redaction_list_problems(tmp_path):
    m = tmp_path / "m.csv"
    m.write_text("document,participant_id\nA,S01-P01\nA,S01-P02\nB,\n")
    with pytest.raises(QDAError) as err:
        read_documents_map(m)
    assert "row 3: document 'A' is mapped to 'S01-P01' and to 'S01-P02'" in str(err.value)
    assert ("row 4: document 'B' has neither a participant_id (an interview transcript) "
            "nor a site_id (a site document)") in str(err.value)
    r = tmp_path / "r.csv"
    r.write_text("term,category\nAsh Ward,ward\n,name\n")
    with pytest.raises(QDAError, match="row 2: category 'ward' is not one of name, place, "
                                       "service"):
        read_redaction_list(r)


def test_write_is_atomic_and_round_trips(qda_project):
    _write_project_files(qda_project)
    raw = qda_project / "data" / "raw"
    (raw / "qda_documents.csv").write_text(
        "document,participant_id\nTranscript 01,S01-P01\nTranscript 02,=cmd|'/C calc'!A0\n")
    path = write_qdpx(raw / "p.qdpx", _docs())
    files = write_coded_segments(path)
    back = load_coded_segments()
    imported = import_codes(path)
    seg = imported.segments
    pd.testing.assert_frame_equal(back, seg, check_dtype=True)
    assert load_qda_codebook()["code_path"].iloc[1] == "Role > Boundaries"
    assert not back.attrs  # read metadata travels in dataclasses, never in DataFrame.attrs
    assert [f.name for f in files][:2] == ["coded_segments.parquet", "coded_segments.csv"]
    csv_text = (qda_project / "data" / "processed" / "coded_segments.csv").read_text()
    assert "S01-P01" not in csv_text and "Coder A" in csv_text
    before = {p.name: p.read_bytes() for p in (qda_project / "data" / "processed").iterdir()}
    (raw / "redaction_list.csv").write_text("term,category\nx,colour\n")
    with pytest.raises(QDAError):
        write_coded_segments(path)
    after = {p.name: p.read_bytes() for p in (qda_project / "data" / "processed").iterdir()}
    assert after == before


def test_codings_of_non_text_sources_are_skipped_with_a_warning(tmp_path):
    extra_source = ('<PDFSource guid="pdf-1" name="Scanned notes" path="internal://x.pdf">'
                    '<PDFSelection guid="ps-1" page="1"/></PDFSource>')
    path = write_qdpx(tmp_path / "pdf.qdpx", _docs())
    with zipfile.ZipFile(path) as zf:
        xml = zf.read("project.qde").decode()
        files = {n: zf.read(n) for n in zf.namelist() if n != "project.qde"}
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("project.qde", xml.replace("</Sources>", extra_source + "</Sources>"))
        for n, d in files.items():
            zf.writestr(n, d)
    with pytest.warns(QDAWarning, match="non-text sources.*PDFSource 'Scanned notes'"):
        export = read_qdpx(path)
        seg = export.segments
    assert len(seg) == 5


def test_many_selections_in_a_long_utf16_text_are_quick(tmp_path):
    """Offsets and the normalised text are computed once per source, not per selection."""
    import time

    sentence = f"Participant {EMOJI}: the peer role was discussed again today.\r\n"
    text = sentence * 3000
    sels = [Sel("the peer role was discussed again today.", ["c-role"], occurrence=i)
            for i in range(0, 3000, 3)]
    path = write_qdpx(tmp_path / "long.qdpx", [Doc("Long", text, sels)], origin="NVivo",
                      units="utf16")
    start = time.perf_counter()
    export = read_qdpx(path)
    seg = export.segments
    assert len(seg) == 1000 and export.positions == "utf16"
    assert time.perf_counter() - start < 10


# --------------------------------------------------------------------------- against Part 1
def _prepared_part1(root, people: dict[str, str]) -> None:
    """A minimal prepared Part 1 table: raw participant ID -> site (pseudonymised)."""
    frame = pd.DataFrame({"participant_id": [_pseudo(p) for p in people],
                          "site_id": list(people.values())}).astype("string")
    frame.to_parquet(root / "data" / "processed" / "part1_long.parquet", index=False)


def test_documents_map_contradicting_part1_sites_is_an_error(qda_project):
    raw = qda_project / "data" / "raw"
    (raw / "redaction_list.csv").write_text("term,category\n")
    _prepared_part1(qda_project, {"S01-P01": "S01", "S01-P02": "S01", "S02-P09": "S02"})
    (raw / "qda_documents.csv").write_text(
        "document,participant_id,site_id\nTranscript 01,S01-P01,S02\n"
        "Transcript 02,S01-P02,s01\nTranscript 77,S02-P09,S03\n")
    path = write_qdpx(raw / "p.qdpx", _docs())
    with pytest.raises(QDAError) as err:
        import_codes(path)
    msg = str(err.value)
    assert msg.startswith("qda_documents.csv: 2 problems")
    assert ("row 2: document 'Transcript 01' is at site 'S02' here, but the prepared Part 1 "
            "data (part1_long.parquet) has participant 'S01-P01' at site 'S01'") in msg
    assert "row 4: document 'Transcript 77'" in msg  # not in this export: still wrong
    assert "row 3" not in msg  # the same site in another case
    assert "nothing was written" in msg


def test_site_from_export_cases_contradicting_part1_is_an_error(qda_project):
    raw = qda_project / "data" / "raw"
    (raw / "redaction_list.csv").write_text("term,category\n")
    _prepared_part1(qda_project, {"S01-P01": "S01"})
    extra = ('<Sets><Set guid="s1" name="participant_id: S01-P01">'
             '<MemberSource targetGUID="src-0"/></Set>'
             '<Set guid="s2" name="site_id: S04"><MemberSource targetGUID="src-0"/></Set>'
             '</Sets>')
    path = write_qdpx(raw / "a.qdpx", _docs(), origin="ATLAS.ti", extra=extra)
    with pytest.warns(QDAWarning, match="not mapped"), \
            pytest.raises(QDAError, match=r"^a\.qdpx: document 'Transcript 01' is at site "
                                          r"'S04' in the export's cases, but the prepared "
                                          r"Part 1 data .* at site 'S01'"):
        import_codes(path)


def test_participant_absent_from_part1_is_a_warning_naming_the_document(qda_project):
    raw = qda_project / "data" / "raw"
    (raw / "redaction_list.csv").write_text("term,category\n")
    _prepared_part1(qda_project, {"S01-P01": "S01"})
    (raw / "qda_documents.csv").write_text(
        "document,participant_id\nTranscript 01,S01-P01\nTranscript 02,S01-P44\n")
    path = write_qdpx(raw / "p.qdpx", _docs())
    with pytest.warns(QDAWarning, match=r"p\.qdpx: 1 document\(s\) mapped to a participant who "
                                        r"is not in the prepared Part 1 data.*'Transcript 02' "
                                        r"\(participant 'S01-P44', qda_documents.csv row 3\)"):
        imported = import_codes(path)
        seg = imported.segments
    assert set(seg.loc[seg["document"] == _pseudo("S01-P01"), "site_id"]) == {"S01"}  # Part 1's


def test_cli_refuses_a_map_contradicting_part1_and_prints_warnings_plainly(demo_project,
                                                                            demo_raw, capsys):
    from peerlib.cli import main

    raw = demo_project / "data" / "raw"
    for name in ("part2_demo.qdpx", "qda_documents.csv", "redaction_list.csv"):
        shutil.copy2(demo_raw / name, raw / name)
    assert main(["prepare"]) == 0
    processed = demo_project / "data" / "processed"
    before = {p.name: p.read_bytes() for p in processed.iterdir() if p.is_file()}
    good = (raw / "qda_documents.csv").read_text(encoding="utf-8")
    bad = good.replace("Part 2 transcript 08,S02-P01,S02", "Part 2 transcript 08,S02-P01,S03")
    bad = bad.replace("Part 2 transcript 60,S09-P04,S09", "Part 2 transcript 60,S09-P04,S01")
    (raw / "qda_documents.csv").write_text(bad, encoding="utf-8")
    capsys.readouterr()
    assert main(["import-codes", str(raw / "part2_demo.qdpx")]) == 1
    err = capsys.readouterr().err
    assert "qda_documents.csv: 2 problems" in err
    assert "row 9: document 'Part 2 transcript 08' is at site 'S03'" in err
    assert "row 61: document 'Part 2 transcript 60' is at site 'S01'" in err
    assert {p.name: p.read_bytes() for p in processed.iterdir() if p.is_file()} == before
    (raw / "qda_documents.csv").write_text(
        good.replace("Part 2 transcript 63,S10-P01,", "Part 2 transcript 63,S10-P99,"),
        encoding="utf-8")
    assert main(["import-codes", str(raw / "part2_demo.qdpx")]) == 0
    err = capsys.readouterr().err
    assert ("peerlib import-codes: warning: part2_demo.qdpx: 1 document(s) mapped to a "
            "participant who is not in the prepared Part 1 data") in err
    assert "'Part 2 transcript 63' (participant 'S10-P99', qda_documents.csv row 64)" in err
    assert "QDAWarning" not in err and ".py:" not in err


# --------------------------------------------------------------------------- safe messages
NAMED = "Participant: Jo Bloggs from Kestrel House helped me settle in.\n"


def _named_project(root, start: int, end: int, *, name: str | None = None):
    """A project whose one selection (named with its text, which names a person) has the
    positions given; the redaction list covers the person and the service."""
    raw = root / "data" / "raw"
    (raw / "redaction_list.csv").write_text(
        "term,category\nJo Bloggs,name\nKestrel House,service\n", encoding="utf-8")
    doc = Doc("Interview Jo Bloggs", NAMED,
              [Sel("Jo Bloggs from Kestrel House helped me", ["c-role"], name=name)])
    path = write_qdpx(raw / "n.qdpx", [doc])
    with zipfile.ZipFile(path) as zf:
        files = {n: zf.read(n) for n in zf.namelist()}
    a, b = span(NAMED, "Jo Bloggs from Kestrel House helped me")
    files["project.qde"] = files["project.qde"].replace(
        f'startPosition="{a}" endPosition="{b}"'.encode(),
        f'startPosition="{start}" endPosition="{end}"'.encode())
    with zipfile.ZipFile(path, "w") as zf:
        for n, data in files.items():
            zf.writestr(n, data)
    return path


@pytest.mark.parametrize("start, end, says", [
    (13, len(NAMED) + 9, "point outside the text (0-"),
    (40, 13, "start after end (startPosition 40, endPosition 13)"),
])
def test_position_errors_quote_no_unredacted_text(qda_project, start, end, says):
    path = _named_project(qda_project, start, end)
    with pytest.raises(QDAError) as err:
        import_codes(path)
    msg = str(err.value)
    assert says in msg and "PlainTextSelection guid='sel-0-0'" in msg
    assert "TextSource 'Interview [name]'" in msg
    assert "Jo" not in msg and "Bloggs" not in msg and "Kestrel" not in msg
    if start > end:
        assert "outside the text" not in msg
    with pytest.raises(QDAError) as err:  # the reader alone: the selection's name not quoted
        read_qdpx(path)
    assert "Kestrel" not in str(err.value)


def test_mismatch_error_quotes_redacted_excerpts(qda_project):
    a, b = span(NAMED, "Jo Bloggs from Kestrel House helped me")
    path = _named_project(qda_project, a - 3, b - 3)  # shifted by three
    with pytest.raises(QDAError) as err:
        import_codes(path)
    msg = str(err.value)
    assert "give 't: [name] from [service] helped' but the selection's text is '[name] " \
           "from [service] helped me'" in msg
    assert "Bloggs" not in msg and "Kestrel" not in msg


def test_several_missing_source_files_are_all_listed_with_what_to_do(tmp_path):
    docs = _docs() + [Doc("Transcript 03", "Participant: nothing more to add here.\n")]
    path = write_qdpx(tmp_path / "nosrc.qdpx", docs)
    with zipfile.ZipFile(path) as zf:
        keep = {n: zf.read(n) for n in zf.namelist() if n != "sources/src-1.txt"
                and n != "sources/src-2.txt"}
    with zipfile.ZipFile(path, "w") as zf:
        for n, data in keep.items():
            zf.writestr(n, data)
    with pytest.raises(QDAError) as err:
        read_qdpx(path)
    msg = str(err.value)
    assert "nosrc.qdpx: 2 problems" in msg
    assert "TextSource guid='src-1' name='Transcript 02': plainTextPath " \
           "'internal://src-1.txt' names no file" in msg
    assert "name='Transcript 03'" in msg and "Transcript 01" not in msg
    assert "Re-export the project from the QDA software including its sources" in msg


def test_unreadable_taguette_export_gets_advice_about_taguette_not_part1(demo_project,
                                                                         capsys):
    from peerlib.cli import main

    raw = demo_project / "data" / "raw"
    (raw / "redaction_list.csv").write_text("term,category\n")
    (raw / "h.csv").write_bytes(b"id,document,tag,content\n1,T,\x81\x8d\x00,x\n")
    assert main(["import-codes", str(raw / "h.csv")]) == 1
    err = capsys.readouterr().err
    assert "h.csv" in err and "cannot be read as text" in err
    assert "alias" not in err and "site register" not in err
    assert "A Taguette highlights export is a CSV or XLSX with the columns id, document, " \
           "tag, content" in err
    (raw / "h.csv").write_text("")
    assert main(["import-codes", str(raw / "h.csv")]) == 1
    err = capsys.readouterr().err
    assert "is empty" in err and "participant_id" not in err and "alias" not in err


# --------------------------------------------------------------------------- real-export shapes
def _qc_project(path: Path) -> Path:
    """A structural copy of a project exported by the ``qc`` tool (XSD-valid): a TextSource
    without ``name`` and with a bare relative ``plainTextPath`` naming a file in sources/."""
    docs = _docs()
    xml = project_xml(docs)
    xml = xml.replace(' name="Transcript 01" plainTextPath="internal://src-0.txt"',
                      ' plainTextPath="board_2017.txt"')
    assert 'plainTextPath="board_2017.txt"' in xml
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("project.qde", xml.encode("utf-8"))
        zf.writestr("sources/board_2017.txt", docs[0].text.encode("utf-8"))
        zf.writestr("sources/src-1.txt", docs[1].text.encode("utf-8"))
    return path


def test_textsource_without_name_and_bare_relative_path_import(tmp_path):
    seg = read_qdpx(_qc_project(tmp_path / "qc.qdpx")).segments
    first = seg[seg["document"] == "board_2017.txt"]
    assert first["text"].tolist()[0] == "The team agreed what the role is for."
    assert set(seg["document"]) == {"board_2017.txt", "Transcript 02"}
    # without a plainTextPath either (inline text), the guid names it
    docs = _docs()
    inline = [docs[0], Doc("", TEXT_B, docs[1].selections, inline=True)]
    path = write_qdpx(tmp_path / "inline.qdpx", inline)
    text = zipfile.ZipFile(path).read("project.qde").decode().replace(' name=""', "")
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("project.qde", text)
        zf.writestr("sources/src-0.txt", TEXT_A.encode())
    assert "src-1" in set(read_qdpx(path).segments["document"])


def _codebook_only(path: Path) -> Path:
    """A codebook-only export (NVivo 15 codebook export, MAXQDA/ATLAS.ti projects without
    codings): the code tree and sources, no selections."""
    docs = [Doc(d.name, d.text, []) for d in _docs()]
    return write_qdpx(path, docs)


def test_empty_import_is_refused_and_keeps_the_previous_import(qda_project, capsys):
    from peerlib.cli import main

    _write_project_files(qda_project)
    raw, processed = qda_project / "data" / "raw", qda_project / "data" / "processed"
    assert main(["import-codes", str(write_qdpx(raw / "full.qdpx", _docs()))]) == 0
    before = {p.name: p.read_bytes() for p in processed.iterdir()}
    empty = _codebook_only(raw / "codebook_only.qdpx")
    capsys.readouterr()
    assert main(["import-codes", str(empty)]) == 1
    err = capsys.readouterr().err
    assert "codebook_only.qdpx: holds no coded segments (its codebook has 5 codes)" in err
    assert "--allow-empty" in err and "Traceback" not in err
    assert {p.name: p.read_bytes() for p in processed.iterdir()} == before
    with pytest.raises(QDAError, match="holds no coded segments"):
        write_coded_segments(empty)
    assert main(["import-codes", str(empty), "--allow-empty"]) == 0
    assert len(load_coded_segments()) == 0


def test_header_only_taguette_csv_is_refused_and_allowed_with_theme_items(qda_project,
                                                                         capsys):
    """The issue's case: a Taguette export holding only its header row. Without
    --allow-empty: exit 1 and every file of the previous import byte for byte. With it: exit
    0 although data/raw/theme_items.csv links themes (an empty coding has none to check them
    against: a warning says so)."""
    from peerlib.cli import main

    _write_project_files(qda_project)
    raw, processed = qda_project / "data" / "raw", qda_project / "data" / "processed"
    (raw / "theme_items.csv").write_text("theme,item_id\nRole,2.1\nSupport,2.5\n",
                                         encoding="utf-8")
    assert main(["import-codes", str(write_qdpx(raw / "full.qdpx", _docs()))]) == 0
    before = {p.name: p.read_bytes() for p in processed.iterdir()}
    assert "theme_items.csv" in before
    header_only = raw / "empty_taguette.csv"
    header_only.write_text("id,document,tag,content\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["import-codes", str(header_only)]) == 1
    err = capsys.readouterr().err
    assert "empty_taguette.csv: holds no coded segments" in err and "Traceback" not in err
    assert {p.name: p.read_bytes() for p in processed.iterdir()} == before

    assert main(["import-codes", str(header_only), "--allow-empty"]) == 0
    err = capsys.readouterr().err
    assert "is not a theme of the coding" not in err
    assert "warning: theme_items.csv: the themes it links to Part 1 (Role, Support) were " \
           "not checked: empty_taguette.csv holds no coded segments" in err
    assert len(load_coded_segments()) == 0
    assert (processed / "theme_items.csv").read_bytes() == before["theme_items.csv"]
    # the items are still checked
    (raw / "theme_items.csv").write_text("theme,item_id\nRole,9.9\n", encoding="utf-8")
    assert main(["import-codes", str(header_only), "--allow-empty"]) == 1
    assert "item_id '9.9' is not an item" in capsys.readouterr().err


def test_qdc_with_flat_path_names_splits_them_like_csv(tmp_path):
    """A Taguette .qdc writes each tag as one flat Code named "Theme > Code"."""
    tags = [f"Theme {t} > Code {c}" for t in "ABCD" for c in (1, 2)] + [
        "Theme A", "Theme B", "Theme C", "Theme D"]
    codes = "".join(f'<Code guid="g{i}" name="{t.replace(">", "&gt;")}" isCodable="true"/>'
                    for i, t in enumerate(tags))
    qdc = tmp_path / "taguette.qdc"
    qdc.write_text(f'<CodeBook xmlns="{CODEBOOK_NS}"><Codes>{codes}</Codes></CodeBook>')
    csv = tmp_path / "codebook.csv"
    csv.write_text("tag,description\n" + "".join(f"{t},\n" for t in tags))
    from_qdc, from_csv = read_codebook(qdc), read_codebook(csv)
    assert sorted(set(from_qdc["theme"])) == ["Theme A", "Theme B", "Theme C", "Theme D"]
    pd.testing.assert_frame_equal(from_qdc, from_csv)
    assert from_qdc["code"].tolist()[:2] == ["Code 1", "Code 2"]


def test_codebook_sharing_no_code_is_a_warning_naming_both(qda_project):
    _write_project_files(qda_project)
    raw = qda_project / "data" / "raw"
    path = write_qdpx(raw / "p.qdpx", _docs())
    other = raw / "other.csv"
    other.write_text("tag,description\nHousing > Tenancy,\nMoney,\n")
    with pytest.warns(QDAWarning, match=r"codebook other\.csv shares no code with the "
                      r"export p\.qdpx \(codebook: Housing > Tenancy, Money; "
                      r"export: Role, Role > Boundaries"):
        write_coded_segments(path, codebook=other)
    same = raw / "same.csv"
    same.write_text("tag,description\nRole > Boundaries,\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error", QDAWarning)
        warnings.filterwarnings("ignore", ".*not mapped to a participant", QDAWarning)
        write_coded_segments(path, codebook=same)


def test_zip_holding_a_project_is_read_and_qde_gets_advice(qda_project, capsys):
    from peerlib.cli import main

    _write_project_files(qda_project)
    raw = qda_project / "data" / "raw"
    qdpx = write_qdpx(raw / "p.qdpx", _docs())
    renamed = raw / "p.zip"
    shutil.copy2(qdpx, renamed)
    pd.testing.assert_frame_equal(read_qdpx(renamed).segments, read_qdpx(qdpx).segments)
    assert len(read_codebook(renamed)) == 5
    assert main(["import-codes", str(renamed)]) == 0
    other = raw / "other.zip"
    with zipfile.ZipFile(other, "w") as zf:
        zf.writestr("notes.txt", "x")
    capsys.readouterr()
    assert main(["import-codes", str(other)]) == 1
    assert "other.zip: is a zip archive holding no project.qde" in capsys.readouterr().err
    qde = raw / "project.qde"
    qde.write_bytes(zipfile.ZipFile(qdpx).read("project.qde"))
    assert main(["import-codes", str(qde)]) == 1
    err = capsys.readouterr().err
    assert "export the project from the QDA software as .qdpx with its sources" in err
    with pytest.raises(QDAError, match="as .qdpx with its sources"):
        read_codebook(qde)


# --------------------------------------------------------------------------- site documents
def test_site_documents_map_to_a_site_never_to_a_person(qda_project):
    from peerlib.part2.framework import coding_summary, participants, quotes

    _write_project_files(qda_project)
    raw = qda_project / "data" / "raw"
    (raw / "qda_documents.csv").write_text(
        "document,participant_id,site_id,kind\nTranscript 01,S01-P01,S01,\n"
        "Transcript 02,,S01,job description\n", encoding="utf-8")
    path = write_qdpx(raw / "p.qdpx", _docs())
    with warnings.catch_warnings():
        warnings.simplefilter("error", QDAWarning)  # a site document is not "unmapped"
        seg = import_codes(path).segments
    doc = seg[seg["document"] == "S01 document 1"]
    assert doc["participant_id"].isna().all() and set(doc["site_id"]) == {"S01"}
    assert set(doc["kind"]) == {"job description"}
    assert set(seg.loc[seg["document"] == _pseudo("S01-P01"), "kind"]) == {"transcript"}
    people = pd.DataFrame({"participant_id": [_pseudo("S01-P01")], "site_id": ["S01"],
                           "sector": ["NHS"], "organisation_type": ["NHS trust"],
                           "role": ["Peer worker"]}).astype("string")
    shown = quotes(seg, participants(people.assign(item_id="2.1")), k=1, per_code=None)
    assert "Training came late for the new starters." not in set(shown["quote"])
    summary = dict(zip(*coding_summary(seg).T.values))
    assert summary["Site documents (documentary evidence)"] == "1"
    assert summary["Documents not mapped to a participant"] == "0"
    assert summary["Transcripts (documents)"] == "1"


def test_documents_map_problems_with_site_documents(qda_project):
    raw = qda_project / "data" / "raw"
    bad = raw / "map.csv"
    bad.write_text("document,participant_id,site_id,kind\nA,,,\nB,,S01,transcript\n"
                   "C,S01-P01,S01,\nC,,S01,job description\n", encoding="utf-8")
    with pytest.raises(QDAError) as err:
        read_documents_map(bad)
    text = str(err.value)
    assert "row 2: document 'A' has neither a participant_id" in text
    assert "row 3: document 'B' is a transcript without a participant_id" in text
    assert "row 5: document 'C' is mapped to 'S01-P01' and to 'site S01'" in text
    _write_project_files(qda_project)
    (raw / "qda_documents.csv").write_text(
        "document,participant_id,site_id,kind\nTranscript 01,S01-P01,S01,\n"
        "Transcript 02,,S99,strategic plan\n", encoding="utf-8")
    (qda_project / "data" / "processed" / "sites.csv").write_text("site_id,site_name\nS01,A\n")
    with pytest.raises(QDAError, match=r"row 3: site document 'Transcript 02' is mapped to "
                       r"site 'S99', which is not in the site register \(S01\)"):
        import_codes(write_qdpx(raw / "p.qdpx", _docs()))


def test_document_names_never_reach_the_processed_data_or_a_page(qda_project):
    """A document named in the QDA software with a name, a role and a date (helper-29's D4:
    "S01-P01 Jo Bloggs peer worker 2026-04-08" was printed beside the pseudonym in every
    quote reference of the framework report and workbook) is labelled with the pseudonym
    alone; two documents of one person, and site documents, get numbered labels."""
    from peerlib.part2.importer import document_labels

    raw = qda_project / "data" / "raw"
    (raw / "redaction_list.csv").write_text("term,category\n")
    docs = [Doc("S01-P01 Jo Bloggs peer worker 2026-04-08", "It went well in the end.",
                [Sel("It went well", ["c-role"])]),
            Doc("S01-P01 second session", "Later it went better.", [Sel("Later", ["c-role"])])]
    (raw / "map.csv").write_text("document,participant_id\n"
                                 "S01-P01 Jo Bloggs peer worker 2026-04-08,S01-P01\n"
                                 "S01-P01 second session,S01-P01\n")
    seg = import_codes(write_qdpx(raw / "p.qdpx", docs), documents=raw / "map.csv").segments
    pid = _pseudo("S01-P01")
    assert sorted(seg["document"].unique()) == [f"{pid} (1)", f"{pid} (2)"]
    assert not any("Bloggs" in str(v) or "2026" in str(v) for v in seg.to_numpy().ravel())
    labels = document_labels(pd.Series(["b", "a", "c", "d", "b"]),
                             pd.Series([pd.NA, pd.NA, "P-1", pd.NA, pd.NA], dtype="string"),
                             pd.Series(["S02", "S02", "S01", pd.NA, "S02"], dtype="string"))
    assert labels.tolist() == ["S02 document 2", "S02 document 1", "P-1",
                               "unmapped document 1", "S02 document 2"]


def test_contact_details_are_redacted_without_a_list(qda_project):
    """helper-29's D5: "Robin said: call me on 07700 900123" was published; phone numbers,
    e-mail addresses and postcodes need no redaction list. Years, dates and positions stay."""
    raw = qda_project / "data" / "raw"
    (raw / "redaction_list.csv").write_text("term,category\n")
    said = ("Call me on 07700 900123 or (020) 7946-0018, or write to robin@example.org at "
            "M1 1AE. Since 2019, 3 of 4 weeks.")
    doc = Doc("Interview S01-P02", said, [Sel(said, ["c-role"])])
    (raw / "map.csv").write_text("document,participant_id\nInterview S01-P02,S01-P02\n")
    seg = import_codes(write_qdpx(raw / "p.qdpx", [doc]), documents=raw / "map.csv").segments
    assert seg["text"].iloc[0] == ("Call me on [phone] or [phone], or write to [email] at "
                                   "[postcode]. Since 2019, 3 of 4 weeks.")

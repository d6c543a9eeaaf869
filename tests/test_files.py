"""One CSV/XLSX writer for every output (peerlib._files): hostile values written through every
output file can neither become a formula nor start a record (issue 10, item 4)."""
from __future__ import annotations

import csv
import io
import os
import re
import stat
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from peerlib._files import FORMULA_PREFIXES, csv_bytes, neutralise_formula, write_cell
from peerlib.cli import main

#: Values an attacker (or an unlucky copy-paste) puts in a cell.
HOSTILE = ["Lantern\r=SUM(1+1)", "\r=1+1", "=HYPERLINK(\"http://x\")", "+cmd", "-2+3",
           "@SUM(A1)", "\t=1", "a\n=2", "b\r\n+3", "c\n@x", "x\r\r-4"]


def _lines_are_safe(text: str, where: str) -> None:
    """No physical line (split at every CR, LF or CR LF, as a careless reader would) starts
    with a formula character."""
    for number, line in enumerate(re.split(r"\r\n|\r|\n", text), start=1):
        assert not line.startswith(FORMULA_PREFIXES), f"{where}: line {number}: {line!r}"


def assert_safe_csv(path: Path) -> list[list[str]]:
    """Check a CSV output: records parse back (RFC 4180), no physical line and no line inside
    a field starts a formula; return the records."""
    text = path.read_bytes().decode("utf-8-sig")
    _lines_are_safe(text, path.name)
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows, path
    width = len(rows[0])
    for row in rows:
        assert len(row) == width, f"{path.name}: a line break split a record: {row!r}"
        for field in row:
            _lines_are_safe(field, path.name)
    return rows


def assert_safe_xlsx(path: Path) -> None:
    book = load_workbook(path)
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.value is None:
                    continue
                assert cell.data_type != "f", f"{path.name}!{ws.title}!{cell.coordinate}"
                if isinstance(cell.value, str):
                    if cell.value.startswith(FORMULA_PREFIXES):
                        assert cell.quotePrefix, f"{ws.title}!{cell.coordinate}"
                    for line in re.split(r"\r\n|\r|\n", cell.value)[1:]:
                        assert not line.startswith(FORMULA_PREFIXES), (ws.title, cell.value)


@pytest.mark.parametrize("value", HOSTILE)
def test_neutralise_formula_covers_every_line(value):
    safe = neutralise_formula(value)
    _lines_are_safe(safe, "value")
    assert safe.replace("'", "") == value.replace("'", "")  # nothing but quotes added


def test_csv_bytes_quotes_line_breaks_and_round_trips():
    frame = pd.DataFrame({"id": ["007", "P-1"], "text": ["Lantern\r=SUM(1+1)", "ok"],
                          "n": [1, 2]})
    data = csv_bytes(frame)
    assert b'"Lantern\r\'=SUM(1+1)"' in data
    back = pd.read_csv(io.BytesIO(data), dtype={"id": str})
    assert back["id"].tolist() == ["007", "P-1"] and back["n"].tolist() == [1, 2]


def test_csv_text_of_repeated_values_is_what_pandas_writes():
    """The writer that renders each distinct value once gives pandas' to_csv text (CR LF,
    minimal quoting), checked against pandas itself: quotes, separators, line breaks,
    blanks, NA, integers and booleans, one empty column, no rows."""
    from peerlib._files import _csv_text

    frame = pd.DataFrame({
        "text": pd.array(["x", "", None, 'q"r', "c,d", "a\nb", "a\rb", " s ", "ü", "nan"],
                         dtype="string"),
        "n": pd.array([1, None, -3, 0, 5, 6, 7, 8, 9, 10], dtype="Int64"),
        "flag": pd.array([True, False, None] + [True] * 7, dtype="boolean"),
        "i": list(range(10)),
        "b": [True, False] * 5,
        "with, comma": pd.array([""] * 10, dtype="string"),
    })

    def pandas_text(table):
        buffer = io.StringIO()
        table.to_csv(buffer, index=False, lineterminator="\r\n")
        return buffer.getvalue()

    for table in (frame, frame.iloc[:0], frame[["text", "n"]], frame[["text"]],
                  frame.assign(x=0.5)):
        assert _csv_text(table) == pandas_text(table)


def test_write_cell_neutralises_every_line(tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    for i, value in enumerate(HOSTILE, start=1):
        write_cell(book.active, i, 1, value)
    book.save(tmp_path / "x.xlsx")
    assert_safe_xlsx(tmp_path / "x.xlsx")


def test_hostile_values_through_every_output_file(demo_project, monkeypatch, capsys):
    """part1_long.csv, sites.csv, validation.csv, coded_segments.csv, qda_codebook.csv,
    the data-entry template, the framework matrix workbook and disclosure_audit.csv."""
    raw = demo_project / "data" / "raw"
    processed = demo_project / "data" / "processed"
    sites = pd.read_csv(raw / "sites.csv", dtype=str, keep_default_na=False)
    sites.loc[0, "site_name"] = "Lantern\r=SUM(1+1)"
    sites.loc[1, "site_name"] = "=HYPERLINK(\"http://x\")\n@SUM(1)"
    sites.loc[2, "site_name"] = "-2+3"
    sites.to_csv(raw / "sites.csv", index=False, lineterminator="\r\n")

    # a bad answer first: validation.csv quotes the value as typed
    good = (raw / "part1_responses.csv").read_bytes()
    responses = pd.read_csv(raw / "part1_responses.csv", dtype=str, keep_default_na=False)
    responses.loc[0, "q2_1_happening"] = "\r=1+1"
    responses.loc[1, "q2_2_happening"] = "x\n+cmd"
    responses.to_csv(raw / "part1_responses.csv", index=False, lineterminator="\r\n")
    assert main(["prepare"]) == 1
    rows = assert_safe_csv(demo_project / "data" / "validation" / "validation.csv")
    assert "'=1+1" in "".join(sum(rows, []))

    (raw / "part1_responses.csv").write_bytes(good)
    assert main(["prepare"]) == 0
    for name in ("part1_long.csv", "sites.csv"):
        rows = assert_safe_csv(processed / name)
        assert any("Lantern\r'=SUM(1+1)" in field for row in rows for field in row), name
    assert_safe_csv(demo_project / "data" / "validation" / "validation.csv")

    taguette = raw / "taguette.csv"
    pd.DataFrame({"id": [1, 2, 3], "document": ["=cmd|' /C calc'!A0", "Doc B", "Doc C"],
                  "tag": ["+Role", "Role > @Boundaries", "Support"],
                  "content": ["\r=1+1", "fine\n-2+3", "@SUM(A1)"]}).to_csv(
        taguette, index=False, lineterminator="\r\n")
    assert main(["import-codes", str(taguette), "--new-key"]) == 0
    capsys.readouterr()
    for name in ("coded_segments.csv", "qda_codebook.csv"):
        assert_safe_csv(processed / name)

    assert main(["template", "--out", str(demo_project / "entry.xlsx")]) == 0
    assert_safe_xlsx(demo_project / "entry.xlsx")

    from peerlib.reporting.excel import write_framework_workbook

    sheet = pd.DataFrame({"site_id": ["S01"], "participant_id": ["=P"], "sector": ["NHS"],
                          "organisation_type": ["NHS trust"], "role": ["+x"],
                          "Boundaries": ["a\r=1+1 [doc, 1-5]"]})
    path = write_framework_workbook({"=Role": sheet}, demo_project / "framework_matrix.xlsx")
    assert_safe_xlsx(path)

    # reports/disclosure_audit.csv: the batch writes it with write_audit, through write_csv
    # (a batch is too slow for this test; tests/test_audit.py checks the batch's file)
    from peerlib.disclosure.audit import AUDIT_COLUMNS, write_audit

    audit = pd.DataFrame([{c: HOSTILE[i % len(HOSTILE)] for i, c in enumerate(AUDIT_COLUMNS)},
                          {c: HOSTILE[(i + 3) % len(HOSTILE)]
                           for i, c in enumerate(AUDIT_COLUMNS)}])
    audit_path = write_audit(audit, demo_project / "reports" / "disclosure_audit.csv")
    rows = assert_safe_csv(audit_path)
    assert len(rows) == 3 and audit_path.read_bytes() == csv_bytes(audit)


def test_report_downloads_use_the_same_safe_writer(tmp_path):
    """The CSV downloads behind report tables and charts (peerlib.reporting.downloads)."""
    from peerlib.reporting.downloads import csv_bytes as download_bytes

    data = download_bytes(pd.DataFrame({"Site": ["Lantern\r=SUM(1+1)", "x\n@y"],
                                        "n": ["n<5", "7"]}))
    path = tmp_path / "download.csv"
    path.write_bytes(data)
    rows = assert_safe_csv(path)
    assert rows[1][0] == "Lantern\r'=SUM(1+1)" and data.startswith(b"\xef\xbb\xbf")


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_atomic_writes_get_the_usual_permissions_so_readers_can_open_reports(tmp_path):
    """Reports on a shared drive must be readable by their readers: a file written whole
    gets the permissions any new file gets (0o666 less the umask), not a temporary file's
    0o600; a record for its owner only asks for 0o600."""
    from peerlib._files import atomic_write_bytes

    old = os.umask(0o022)
    try:
        report = atomic_write_bytes(tmp_path / "S01.pdf", b"%PDF")
        private = atomic_write_bytes(tmp_path / "record.json", b"{}", mode=0o600)
        replaced = atomic_write_bytes(tmp_path / "S01.pdf", b"%PDF again")
    finally:
        os.umask(old)
    assert stat.S_IMODE(report.stat().st_mode) == 0o644
    assert stat.S_IMODE(replaced.stat().st_mode) == 0o644
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["S01.pdf", "record.json"]


# --------------------------------------------------------------------------- atomic_outputs
def test_atomic_outputs_work_when_the_folder_is_a_file_system_of_its_own(tmp_path,
                                                                         own_file_system):
    """An output folder that is a mount point (a share, a USB disk): every rename stays
    inside it, so nothing fails with "Invalid cross-device link"; a failed block still
    leaves the previous files and no staging folder."""
    from peerlib._files import atomic_outputs

    out = tmp_path / "mnt"
    out.mkdir()
    (out / "a.csv").write_text("old")
    own_file_system(out)
    with atomic_outputs(out) as stage:
        (stage / "a.csv").write_text("new")
        (stage / "b.csv").write_text("b")
    assert (out / "a.csv").read_text() == "new" and (out / "b.csv").read_text() == "b"
    with pytest.raises(RuntimeError):
        with atomic_outputs(out) as stage:
            (stage / "a.csv").write_text("half")
            raise RuntimeError("stop")
    assert (out / "a.csv").read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mnt"]
    assert sorted(p.name for p in out.iterdir()) == ["a.csv", "b.csv"]  # no staging left


def test_atomic_outputs_in_a_read_only_folder_is_a_clear_error(tmp_path, read_only):
    """A real read-only folder (mode 0555; for root, whom modes do not stop, the same
    refusal simulated): OutputFolderError (exit 2) naming the folder, old file kept."""
    from peerlib._files import atomic_outputs
    from peerlib.errors import EXIT_USAGE, OutputFolderError

    out = tmp_path / "ro"
    out.mkdir()
    (out / "a.csv").write_text("old")
    read_only(out)
    with pytest.raises(OutputFolderError, match=re.escape(f"cannot write to {out} ")) as info:
        with atomic_outputs(out) as stage:
            (stage / "a.csv").write_text("new")
    assert info.value.exit_code == EXIT_USAGE and "permission denied" in str(info.value)
    assert (out / "a.csv").read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ro"]


def test_atomic_outputs_where_a_file_stands_is_a_clear_error(tmp_path):
    from peerlib._files import atomic_outputs
    from peerlib.errors import OutputFolderError

    (tmp_path / "afile").write_text("x")
    for out in (tmp_path / "afile", tmp_path / "afile" / "x"):
        with pytest.raises(OutputFolderError, match=re.escape(str(out))):
            with atomic_outputs(out):
                pass


def test_atomic_outputs_removes_staging_left_by_a_killed_run(tmp_path):
    from peerlib._files import STAGING_PREFIX, atomic_outputs

    out = tmp_path / "out"
    left = out / f"{STAGING_PREFIX}999999999-abc"  # no such process
    left.mkdir(parents=True)
    (left / "part1_long.csv").write_text("half")
    with atomic_outputs(out) as stage:
        (stage / "a.csv").write_text("a")
    assert sorted(p.name for p in out.iterdir()) == ["a.csv"]

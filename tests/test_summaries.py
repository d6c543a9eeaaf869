"""Charting (peerlib.part2.summaries): Summary columns in the framework workbook, read back
checked, redacted, warned about when the excerpts changed, kept by a re-export."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from part2_fixtures import CODEBOOK, people, segments
from peerlib.errors import QDAError, QDAWarning
from peerlib.part2.summaries import (FINGERPRINT_HEADER, SITE_ROW, SUMMARIES_FILE,
                                     load_summaries, read_summaries, write_summaries)
from peerlib.reporting.excel import export_workbook


def _fill(path, entries):
    """entries: (sheet, participant or SITE_ROW, site, text) -> typed into the workbook."""
    wb = load_workbook(path)
    for sheet, pid, site, text in entries:
        ws = wb[sheet]
        header = [c.value for c in ws[1]]
        col_s, col_p, col_site = (header.index(h) + 1 for h in ("Summary", "Participant",
                                                                 "Site"))
        row = next(r for r in range(2, ws.max_row + 1)
                   if ws.cell(r, col_p).value == pid and ws.cell(r, col_site).value == site)
        ws.cell(row, col_s).value = text
    wb.save(path)


@pytest.fixture
def workbook(tmp_path):
    return export_workbook(segments(), people(), tmp_path / "framework_matrix.xlsx", k=1,
                           codebook=CODEBOOK)


def test_workbook_has_summary_columns_and_site_rows(workbook):
    wb = load_workbook(workbook)
    assert "peerlib_index" in wb.sheetnames and wb["peerlib_index"].sheet_state == "hidden"
    ws = wb["Role"]
    header = [c.value for c in ws[1]]
    assert header[-2:] == ["Summary", FINGERPRINT_HEADER]
    letter = ws.cell(1, len(header)).column_letter
    assert ws.column_dimensions[letter].hidden
    people_col = [ws.cell(r, 2).value for r in range(2, ws.max_row + 1)]
    assert people_col == ["A1", "A2", "A3", "A4", "A5", "A6", SITE_ROW, "B1", "B2", "B3",
                          SITE_ROW]


def test_filled_summaries_are_read_back_redacted(workbook, tmp_path):
    _fill(workbook, [("Role", "A1", "S01", "Agrees the role; met Jo Bloggs."),
                     ("Role", SITE_ROW, "S01", "Shared view across the site.")])
    terms = pd.DataFrame({"term": ["Jo Bloggs"], "category": ["name"]})
    table = read_summaries(workbook, segments(), people(), redactions=terms)
    assert table[["theme", "site_id", "summary", "sheet"]].values.tolist() == [
        ["Role", "S01", "Agrees the role; met [name].", "Role"],
        ["Role", "S01", "Shared view across the site.", "Role"]]
    assert table["participant_id"].tolist()[0] == "A1"
    assert pd.isna(table["participant_id"].tolist()[1])
    assert table["row"].tolist() == [2, 8]


def test_unknown_participant_is_an_error_with_sheet_and_row(workbook, tmp_path):
    wb = load_workbook(workbook)
    wb["Support"].cell(3, 2).value = "Z9"
    wb["Support"].cell(3, wb["Support"].max_column - 1).value = "A summary."
    wb["Boundaries"].cell(2, 1).value = "S77"
    wb["Boundaries"].cell(2, wb["Boundaries"].max_column - 1).value = "Another."
    wb.save(workbook)
    with pytest.raises(QDAError) as err:
        read_summaries(workbook, segments(), people())
    text = str(err.value)
    assert "sheet 'Support', row 3: participant 'Z9' has no coded transcript" in text
    assert "sheet 'Boundaries', row 2: participant 'A1' is at site 'S01', not 'S77'" in text


def test_changed_excerpts_are_warned_and_nothing_replaced_on_error(workbook, tmp_path,
                                                                   monkeypatch):
    processed = tmp_path / "processed"
    processed.mkdir()
    monkeypatch.setenv("PEERLIB_PROJECT_DIR", str(tmp_path))
    changed = segments()
    changed.loc[changed["participant_id"] == "A2", "text"] = "re-coded"
    changed.to_parquet(processed / "coded_segments.parquet", index=False)
    _fill(workbook, [("Role", "A2", "S01", "Was fine."), ("Role", "A1", "S01", "Fine.")])
    with pytest.warns(QDAWarning, match=r"1 summary row\(s\).*sheet 'Role', row 3 "
                      r"\(participant A2\)"):
        written = write_summaries(workbook, people(), data=processed)
    assert written.name == SUMMARIES_FILE and len(load_summaries(processed)) == 2
    before = written.read_bytes()
    _fill(workbook, [("Role", "B1", "S02", "x")])
    wb = load_workbook(workbook)
    wb["Role"].cell(9, 2).value = "nobody"
    wb.save(workbook)
    with pytest.raises(QDAError, match="row 9: participant 'nobody'"):
        write_summaries(workbook, people(), data=processed)
    assert written.read_bytes() == before


def test_a_re_export_keeps_the_summaries(workbook, tmp_path):
    _fill(workbook, [("Boundaries", "A3", "S01", "Talks of limits."),
                     ("Boundaries", SITE_ROW, "S02", "Few spoke of it.")])
    table = read_summaries(workbook, segments(), people())
    again = export_workbook(segments(), people(), tmp_path / "again.xlsx", k=1,
                            codebook=CODEBOOK, summaries=table)
    pd.testing.assert_frame_equal(read_summaries(again, segments(), people())
                                  .drop(columns=["row"]), table.drop(columns=["row"]))


def test_not_a_framework_workbook(tmp_path):
    from openpyxl import Workbook

    path = tmp_path / "other.xlsx"
    Workbook().save(path)
    with pytest.raises(QDAError, match="not a framework workbook written by peerlib"):
        read_summaries(path, segments(), people())


def test_a_renamed_theme_sheet_is_an_error_naming_it_and_nothing_replaced(workbook, tmp_path,
                                                                          monkeypatch):
    """An analyst renames the theme sheet 'Support' to 'Weather' and charts on it: the
    hidden index still names 'Support', so the import would skip the sheet and lose its
    summary. Both sheets are named, with the names the theme sheets must have; the earlier
    summaries file is kept."""
    processed = tmp_path / "processed"
    processed.mkdir()
    monkeypatch.setenv("PEERLIB_PROJECT_DIR", str(tmp_path))
    segments().to_parquet(processed / "coded_segments.parquet", index=False)
    _fill(workbook, [("Role", "A1", "S01", "Fine.")])
    written = write_summaries(workbook, people(), data=processed)
    before = written.read_bytes()
    _fill(workbook, [("Support", "A5", "S01", "Support from the team.")])
    wb = load_workbook(workbook)
    wb["Support"].title = "Weather"
    wb.save(workbook)
    with pytest.raises(QDAError) as err:
        write_summaries(workbook, people(), data=processed)
    text = str(err.value)
    assert "sheet 'Support' (theme 'Support') is missing: was it renamed or deleted?" in text
    assert "sheet 'Weather', row 6: holds summaries but is not a theme sheet" in text
    assert "'Role', 'Boundaries', 'Support'" in text  # what the sheets must be called
    assert written.read_bytes() == before


def test_an_added_sheet_without_summaries_is_allowed(workbook):
    """A sheet of the analysts' own notes (no Summary column filled) is not an error."""
    wb = load_workbook(workbook)
    notes = wb.create_sheet("Our notes")
    notes["A1"], notes["A2"] = "Summary", None
    notes["B1"] = "Meeting on 3 March"
    wb.save(workbook)
    _fill(workbook, [("Role", "A1", "S01", "Fine.")])
    assert read_summaries(workbook, segments(), people())["summary"].tolist() == ["Fine."]


def test_an_unknown_theme_in_the_index_is_an_error_naming_the_sheet(workbook):
    """The hidden index names a theme the imported coding does not have (the coding was
    imported again with the theme renamed): an error naming the sheet, the theme and the
    themes there are."""
    wb = load_workbook(workbook)
    index = wb["peerlib_index"]
    row = next(r for r in range(2, index.max_row + 1) if index.cell(r, 1).value == "Support")
    index.cell(row, 2).value = "Weather"
    wb.save(workbook)
    with pytest.raises(QDAError, match=r"sheet 'Support': theme 'Weather' is not in the "
                       r"imported coding \(themes: Boundaries, Role, Support\)"):
        read_summaries(workbook, segments(), people())


def test_cli_renamed_sheet_exits_1_naming_it_and_help_names_the_charting_workbook(
        demo_project, demo_raw, capsys):
    """``peerlib import-summaries`` on a copy of the analysts' charting workbook whose
    theme sheet 'Support' was renamed: exit 1, both sheets named, no summaries file. Its
    help names the workbook that the README says to chart in."""
    import shutil

    from peerlib.cli import main
    from peerlib.part1.prepare import load_prepared
    from peerlib.part2.framework import participants
    from peerlib.part2.segments import load_coded_segments
    from peerlib.reporting.excel import CHARTING_XLSX, charting_path

    raw = demo_project / "data" / "raw"
    for name in ("part2_demo.qdpx", "qda_documents.csv", "redaction_list.csv"):
        shutil.copy2(demo_raw / name, raw / name)
    assert main(["prepare"]) == 0
    assert main(["import-codes", str(raw / "part2_demo.qdpx")]) == 0
    charting = export_workbook(load_coded_segments(), participants(load_prepared()),
                               charting_path(), k=1, analysts=True)
    filled = raw / "framework_summaries.xlsx"
    shutil.copy2(charting, filled)
    wb = load_workbook(filled)
    ws = wb["Support"]
    ws.cell(2, [c.value for c in ws[1]].index("Summary") + 1).value = "Support is good."
    ws.title = "Weather"
    wb.save(filled)
    capsys.readouterr()
    assert main(["import-summaries", str(filled)]) == 1
    err = capsys.readouterr().err
    assert "sheet 'Support' (theme 'Support') is missing" in err
    assert "sheet 'Weather', row 2: holds summaries but is not a theme sheet" in err
    assert not (demo_project / "data" / "processed" / SUMMARIES_FILE).exists()
    with pytest.raises(SystemExit):
        main(["import-summaries", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert f"data/processed/{CHARTING_XLSX}" in help_text
    assert "reports/framework_matrix.xlsx" not in help_text
    readme = " ".join((Path(__file__).resolve().parents[1] / "README.md").read_text(
        encoding="utf-8").split())
    assert f"Chart in the analysts' copy, `data/processed/{CHARTING_XLSX}`" in readme

"""Tests of peerlib.part1.read.read_table: raw files as people save them."""
from __future__ import annotations

import csv
import io

import openpyxl
import pandas as pd
import pytest

from peerlib.errors import AnswerDataError
from peerlib.part1.read import FIRST_DATA_ROW, detect_encoding, read_table

HEADER = ["participant_id", "site_id", "role", "comments", "q2_1_importance"]
ROWS = [
    ["007", "S01", "Peer worker", "Don\u2019t know, really", "4"],      # curly apostrophe
    ["012", "S02", "Service user", "caf\u00e9 \u2013 \u201cfine\u201d", "3 - Quite important"],
    ["100", "S01", "PW", "", ""],
]
EXPECTED = pd.DataFrame(ROWS, columns=HEADER, dtype=object)


def _csv_text(delimiter: str = ",") -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows(ROWS)
    return buf.getvalue()


@pytest.mark.parametrize("name, encoding, delimiter, detected", [
    ("utf8.csv", "utf-8", ",", "utf-8"),
    ("utf8_bom.csv", "utf-8-sig", ",", "utf-8-sig"),
    ("unicode_text.txt", "utf-16", "\t", "utf-16"),      # Excel's "Unicode Text"
    ("windows.csv", "cp1252", ",", "cp1252"),            # Excel's "CSV" on Windows
    ("semicolon.csv", "utf-8", ";", "utf-8"),            # European Excel
    ("semicolon_1252.csv", "cp1252", ";", "cp1252"),
    ("tabs.tsv", "utf-8", "\t", "utf-8"),
])
def test_read_table_encodings_and_delimiters(tmp_path, name, encoding, delimiter, detected):
    """The same small table saved in each way reads back cell for cell, as text."""
    path = tmp_path / name
    path.write_bytes(_csv_text(delimiter).encode(encoding))
    frame = read_table(path)
    pd.testing.assert_frame_equal(frame, EXPECTED)
    assert frame.attrs["encoding"] == detected
    assert frame.attrs["delimiter"] == delimiter
    assert frame.attrs["source"] == name


def test_windows_1252_curly_apostrophe_survives(tmp_path):
    """Byte 0x92 of Windows-1252 is U+2019, never Latin-1's control character U+0092."""
    path = tmp_path / "windows.csv"
    path.write_bytes(_csv_text().encode("cp1252"))
    assert b"\x92" in path.read_bytes()                   # the file really is Windows-1252
    comment = read_table(path).loc[0, "comments"]
    assert comment == "Don\u2019t know, really"
    assert "\x92" not in comment and "\u00e2\u20ac" not in comment   # no mojibake
    assert read_table(path).loc[1, "comments"] == "caf\u00e9 \u2013 \u201cfine\u201d"


def test_ids_with_leading_zeros_stay_text(tmp_path):
    path = tmp_path / "ids.csv"
    path.write_text("participant_id,site_id\n007,01\n0010,S02\n", encoding="utf-8")
    frame = read_table(path)
    assert frame["participant_id"].tolist() == ["007", "0010"]
    assert frame["site_id"].tolist() == ["01", "S02"]
    assert frame["participant_id"].dtype == object


def test_blank_cells_and_na_words_stay_as_typed(tmp_path):
    """Blank is "", and words pandas would read as NaN (NA, N/A, null) stay text."""
    path = tmp_path / "na.csv"
    path.write_text("a,b,c,d\n,NA,N/A,null\n", encoding="utf-8")
    assert read_table(path).iloc[0].tolist() == ["", "NA", "N/A", "null"]


def test_headers_cleaned_and_trailing_empty_columns_dropped(tmp_path):
    path = tmp_path / "h.csv"
    path.write_text(" Participant_ID ,SITE_ID,,\nP1,S01,,\n", encoding="utf-8")
    frame = read_table(path)
    assert list(frame.columns) == ["participant_id", "site_id"]
    assert frame.iloc[0].tolist() == ["P1", "S01"]


def test_trailing_separators_on_data_rows_do_not_shift_columns(tmp_path):
    """Excel and survey tools can end each data row, but not the header, with a separator:
    the columns keep their names (the parser would otherwise take the first column as the
    index and move every value one column left) and the rows keep their numbers."""
    path = tmp_path / "trailing.csv"
    path.write_text("participant_id,site_id,role\r\nP1,S01,Peer worker,\r\n"
                    "P2,S02,Service user,,\r\n", encoding="utf-8")
    frame = read_table(path)
    assert list(frame.columns) == ["participant_id", "site_id", "role"]
    assert frame.values.tolist() == [["P1", "S01", "Peer worker"],
                                     ["P2", "S02", "Service user"]]
    assert (frame.index + FIRST_DATA_ROW).tolist() == [2, 3]


def test_values_beyond_the_header_are_problems_with_their_rows(tmp_path):
    path = tmp_path / "wide.csv"
    path.write_text('participant_id,site_id,role\nP1,S01,Peer worker\n'
                    'P2,S02,"Service\nuser",late answer\nP3,S01,PW,,x\n', encoding="utf-8")
    with pytest.raises(AnswerDataError) as err:
        read_table(path)
    problems = err.value.problems
    assert problems["row"].tolist() == [3, 4]  # records, not lines: row 3 spans two lines
    assert problems["value"].tolist() == ["late answer", ",x"]
    assert problems["problem"].str.contains("beyond the 3 columns of the header row").all()
    assert (problems["file"] == "wide.csv").all()


def test_repeated_header_is_an_error(tmp_path):
    path = tmp_path / "dup.csv"
    path.write_text("participant_id,role,Role\nP1,PW,PW\n", encoding="utf-8")
    with pytest.raises(AnswerDataError, match=r"dup\.csv: column names appear more than once "
                                              r"in the header row: role"):
        read_table(path)


def test_explicit_delimiter_and_encoding(tmp_path):
    path = tmp_path / "pipe.txt"
    path.write_bytes("a|b\nx\u2019|y\n".encode("cp1252"))
    frame = read_table(path, delimiter="|", encoding="cp1252")
    assert frame.to_dict("list") == {"a": ["x\u2019"], "b": ["y"]}


def _write_xlsx(path, header, rows, *, sheet="Responses", extra_sheets=()):
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = sheet
    ws.append(header)
    for row in rows:
        ws.append(row)
    for name in extra_sheets:
        book.create_sheet(name).append(["x"])
    book.save(path)


def test_xlsx_mixed_typed_importance(tmp_path, codebook):
    """Numbers, numbers stored as text, blanks and labels in one column map to 1-4.

    Typed 4 (number), "3" (text), blank, 3.0 (number), "4 - Extremely important" (label)
    -> Int64 [4, 3, NA, 3, 4], by the codebook's codes.
    """
    path = tmp_path / "responses.xlsx"
    _write_xlsx(path, ["participant_id", "site_id", "q2_1_importance", "comments"], [
        ["007", "S01", 4, "Don\u2019t know"],
        ["008", "S01", "3", None],
        [9, "S02", None, "x"],
        ["010", "S02", 3.0, ""],
        ["011", "S02", "4 - Extremely important", 2.5],
    ])
    frame = read_table(path)
    assert frame["q2_1_importance"].tolist() == ["4", "3", "", "3", "4 - Extremely important"]
    # IDs typed as text keep their zeros; a number cell has no ".0"
    assert frame["participant_id"].tolist() == ["007", "008", "9", "010", "011"]
    assert frame["comments"].tolist() == ["Don\u2019t know", "", "x", "", "2.5"]
    assert frame.attrs["source"] == "responses.xlsx"
    scores, ok = codebook.normalise_importance(frame["q2_1_importance"])
    assert scores.dtype == "Int64"
    assert scores.tolist() == [4, 3, pd.NA, 3, 4]
    assert ok.all()


def test_xlsx_named_sheet(tmp_path):
    path = tmp_path / "book.xlsx"
    _write_xlsx(path, ["a"], [["first"]], sheet="Front", extra_sheets=["Part 1"])
    assert read_table(path)["a"].tolist() == ["first"]          # default: first sheet
    assert read_table(path, sheet="Part 1").columns.tolist() == ["x"]


def test_xlsx_missing_sheet_lists_sheets(tmp_path):
    path = tmp_path / "book.xlsx"
    _write_xlsx(path, ["a"], [["1"]], sheet="Front", extra_sheets=["Part 1", "Notes"])
    with pytest.raises(AnswerDataError,
                       match=r"book\.xlsx: 'Part1' is not a sheet of this workbook "
                             r"\(allowed: sheets found: Front, Part 1, Notes\)") as info:
        read_table(path, sheet="Part1")
    problems = info.value.problems
    assert problems.loc[0, "file"] == "book.xlsx"
    assert problems.loc[0, "value"] == "Part1"
    assert pd.isna(problems.loc[0, "row"])


@pytest.mark.parametrize("name, data", [
    ("binary.csv", bytes(range(256)) * 4),                                  # undecodable
    ("image.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01"),    # NUL bytes
    ("nul.txt", b"participant_id,site_id\nP1,\x00\x00S01\n"),
])
def test_file_that_is_not_text(tmp_path, name, data):
    """A binary file raises AnswerDataError naming the file (never read as garbage)."""
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(AnswerDataError, match=rf"{name.replace('.', '[.]')}: .*(text|NUL)") as info:
        read_table(path)
    assert info.value.problems.loc[0, "file"] == name


def test_xlsx_renamed_csv_is_not_text(tmp_path):
    """A workbook saved with a .csv name is reported, not parsed as text."""
    xlsx = tmp_path / "book.xlsx"
    _write_xlsx(xlsx, ["a"], [["1"]])
    path = tmp_path / "part1_responses.csv"
    path.write_bytes(xlsx.read_bytes())
    with pytest.raises(AnswerDataError, match=r"part1_responses\.csv: .*text"):
        read_table(path)


def test_broken_workbook_and_unsupported_type(tmp_path):
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"this is not a zip archive")
    with pytest.raises(AnswerDataError, match=r"broken\.xlsx: is not a readable Excel workbook"):
        read_table(broken)
    other = tmp_path / "data.json"
    other.write_text("{}", encoding="utf-8")
    with pytest.raises(AnswerDataError, match=r"data\.json: has an unsupported file type "
                                              r"'\.json'"):
        read_table(other)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="Input file not found"):
        read_table(tmp_path / "nothing.csv")


@pytest.mark.parametrize("data, expected", [
    ("Don\u2019t".encode("utf-8"), "utf-8"),
    (b"\xef\xbb\xbfabc", "utf-8-sig"),
    ("abc".encode("utf-16"), "utf-16"),
    ("Don\u2019t".encode("cp1252"), "cp1252"),
    (b"plain ascii", "utf-8"),
])
def test_detect_encoding(data, expected):
    assert detect_encoding(data) == expected


def test_detect_encoding_refuses_undefined_bytes():
    """0x81 is defined in neither UTF-8 (as a lead byte) nor Windows-1252."""
    with pytest.raises(UnicodeDecodeError):
        detect_encoding(b"abc\x81")


def test_first_data_row_is_two():
    """The header is spreadsheet row 1."""
    assert FIRST_DATA_ROW == 2


def test_blank_rows_skipped_but_row_numbers_kept(tmp_path):
    """A blank line and a row of separators only are not data, but the rows after them keep
    their spreadsheet row numbers: here P2 is on row 4 and P3 on row 6 (header = row 1)."""
    path = tmp_path / "gaps.csv"
    path.write_text("participant_id,site_id\nP1,S01\n\nP2,S02\n , \nP3,S01\n",
                    encoding="utf-8")
    frame = read_table(path)
    assert frame["participant_id"].tolist() == ["P1", "P2", "P3"]
    assert (frame.index + FIRST_DATA_ROW).tolist() == [2, 4, 6]
    assert frame.attrs["source"] == "gaps.csv"


def test_xlsx_blank_rows_skipped_but_row_numbers_kept(tmp_path):
    path = tmp_path / "gaps.xlsx"
    _write_xlsx(path, ["participant_id", "site_id"],
                [["P1", "S01"], [None, None], ["P2", "S02"], [None, "  "], ["P3", "S01"]])
    frame = read_table(path)
    assert frame["participant_id"].tolist() == ["P1", "P2", "P3"]
    assert (frame.index + FIRST_DATA_ROW).tolist() == [2, 4, 6]


# --------------------------------------------------------------------- issue 10: readings
def test_sav_string_user_missing_values_follow_the_numeric_rules(demo_project, tmp_path):
    """An SPSS string answer variable whose user-missing value is "NA" (no label): those
    answers are no answer (Missing), not "Not relevant"; a declared-missing value WITH a
    label is read through its label, as for numeric codes."""
    import pyreadstat

    from peerlib.part1.prepare import load_part1

    raw = pd.read_csv(demo_project / "data" / "raw" / "part1_responses.csv", dtype=str,
                      keep_default_na=False)
    raw.loc[:15, "q2_1_happening"] = "NA"         # 16 answers: declared missing, no label
    raw.loc[16:17, "q2_2_happening"] = "DK"       # declared missing, labelled Don't know
    path = tmp_path / "part1_responses.sav"
    pyreadstat.write_sav(raw, str(path), missing_ranges={"q2_1_happening": ["NA"],
                                                         "q2_2_happening": ["DK"]},
                         variable_value_labels={"q2_2_happening": {"DK": "Don't know"}})
    frame = read_table(path)
    assert frame.loc[:15, "q2_1_happening"].eq("").all()
    assert frame.attrs["declared_missing"]["q2_1_happening"] == {i: "NA" for i in range(16)}
    assert frame.loc[16, "q2_2_happening"] == "Don't know"
    long = load_part1(path, pseudonymise_ids=False)
    first16 = set(raw.loc[:15, "participant_id"])
    hap = long[(long["item_id"] == "2.1") & long["participant_id"].isin(first16)]["happening"]
    assert (hap == "Missing").sum() == 16 and (hap == "Not relevant").sum() == 0


def test_xlsx_formulas_without_a_saved_result_are_named_not_read_as_blank(tmp_path):
    """A workbook written by a script holds formulas without results (helper-29: ="Yes"
    became a blank answer and =A1 a missing importance, silently): each is named, with
    its row, column and formula. The same formulas saved with their results (as Excel
    saves them) read as those results."""
    import zipfile

    path = tmp_path / "responses.xlsx"
    _write_xlsx(path, ["participant_id", "q2_1_happening", "q2_1_importance"],
                [["S01-P01", '="Yes"', "=A1"], ["S01-P02", "No", 3]])
    with pytest.raises(AnswerDataError) as info:
        read_table(path)
    problems = info.value.problems
    assert problems[["row", "column", "value"]].values.tolist() == [
        [2, "q2_1_happening", '="Yes"'], [2, "q2_1_importance", "=A1"]]
    assert problems["problem"].str.contains("no saved result").all()
    saved = tmp_path / "saved.xlsx"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(saved, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b'<c r="B2"><f>"Yes"</f><v />',
                                    b'<c r="B2" t="str"><f>"Yes"</f><v>Yes</v>')
                data = data.replace(b'<c r="C2"><f>A1</f><v />',
                                    b'<c r="C2"><f>4</f><v>4</v>')
            dst.writestr(item, data)
    frame = read_table(saved)
    assert frame.loc[0, ["q2_1_happening", "q2_1_importance"]].tolist() == ["Yes", "4"]

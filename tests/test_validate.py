"""Tests of peerlib.part1.validate: the site register and the raw responses, every problem at once."""
from __future__ import annotations

import csv

import pandas as pd
import pytest

from peerlib.codebook import item_columns
from peerlib.errors import PROBLEM_COLUMNS, AnswerDataError
from peerlib.part1.read import read_table
from peerlib.part1.validate import normalise_responses, read_site_register

SITE_HEADER = ["site_id", "site_name", "organisation_type", "sector", "bme_focus", "aliases"]
GOOD_SITES = [
    ["S01", "Ashwell Moor", "NHS trust", "NHS", "false", "Ashwell;S1"],
    ["S02", "Lantern Collective", "Voluntary sector", "Voluntary", "true", "Lantern"],
]
HAPPENING_ALLOWED = ("1 = Yes; 2 = Partly; 3 = No; 8 = Don't know; 9 = Not relevant; "
                     "blank = no answer")
IMPORTANCE_ALLOWED = ("1 = Not at all important; 2 = Not very important; 3 = Quite important; "
                      "4 = Extremely important; blank = no answer")


def _write_csv(path, header, rows):
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture
def sites(tmp_path):
    return read_site_register(_write_csv(tmp_path / "sites.csv", SITE_HEADER, GOOD_SITES))


def _response_header(codebook, drop=()):
    header = ["participant_id", "site_id", "role", "comments"]
    for item in codebook.item_ids:
        header.extend(item_columns(item))
    return [c for c in header if c not in drop]


def _response_row(codebook, pid, site, role, **cells):
    row = {"participant_id": pid, "site_id": site, "role": role, "comments": ""}
    for item in codebook.item_ids:
        hap, imp = item_columns(item)
        row[hap], row[imp] = "Yes", "4"
    row.update(cells)
    return row


def _responses_file(tmp_path, codebook, rows, drop=()):
    header = _response_header(codebook, drop)
    return _write_csv(tmp_path / "part1_responses.csv", header,
                      [[r[c] for c in header] for r in rows])


# ------------------------------------------------------------------------------ site register
def test_site_register_valid(tmp_path):
    rows = [
        ["S01", " Ashwell Moor ", "nhs trust", "nhs", "FALSE", "Ashwell; S1 ;"],
        ["007", "Lantern", "Voluntary Sector", "third sector", "yes", ""],
        ["S03", "Wyndle", "partnership", "NHS", "1", "Wyndle"],
    ]
    reg = read_site_register(_write_csv(tmp_path / "sites.csv", SITE_HEADER, rows))
    assert list(reg.columns) == SITE_HEADER
    assert reg["site_id"].tolist() == ["S01", "007", "S03"]          # leading zeros kept
    assert reg["site_id"].dtype == "string"
    assert reg["site_name"].tolist() == ["Ashwell Moor", "Lantern", "Wyndle"]
    assert reg["organisation_type"].tolist() == ["NHS trust", "Voluntary sector", "Partnership"]
    assert reg["sector"].tolist() == ["NHS", "Voluntary", "NHS"]
    assert reg["bme_focus"].dtype == "boolean"
    assert reg["bme_focus"].tolist() == [False, True, True]
    assert reg["aliases"].tolist() == [("Ashwell", "S1"), (), ("Wyndle",)]


def test_site_register_keeps_extra_columns_for_cross_case_comparison(tmp_path):
    """Attributes a study adds to the register (region, employment model) are kept, as
    text, after the required columns; they never reach part1_long."""
    header = SITE_HEADER + ["region", "employment_model"]
    rows = [["S01", "Ashwell", "NHS trust", "NHS", "false", "", " North ", "Employed"],
            ["S02", "Lantern", "Voluntary sector", "Voluntary", "true", "", "South", ""]]
    reg = read_site_register(_write_csv(tmp_path / "sites.csv", header, rows))
    assert list(reg.columns) == header
    assert reg["region"].tolist() == ["North", "South"]
    assert reg["employment_model"].tolist() == ["Employed", ""]
    assert reg["region"].dtype == "string"


def test_site_register_aliases_optional(tmp_path):
    reg = read_site_register(_write_csv(tmp_path / "sites.csv", SITE_HEADER[:5],
                                        [r[:5] for r in GOOD_SITES]))
    assert reg["aliases"].tolist() == [(), ()]


def test_site_register_all_problems_at_once(tmp_path):
    """A missing column, a repeated site id, an unknown organisation type, an unknown sector
    and a bad bme_focus are all reported in one error, with spreadsheet rows (header = 1)."""
    header = ["site_id", "organisation_type", "sector", "bme_focus"]     # no site_name
    rows = [
        ["S01", "NHS trust", "NHS", "false"],        # row 2
        ["S01", "Charity", "NHS", "true"],           # row 3: repeated id, unknown org type
        ["S03", "Partnership", "Private", "maybe"],  # row 4: unknown sector, bad bme_focus
    ]
    path = _write_csv(tmp_path / "sites.csv", header, rows)
    with pytest.raises(AnswerDataError, match="6 problems found") as info:
        read_site_register(path)
    problems = info.value.problems
    assert list(problems.columns) == PROBLEM_COLUMNS
    got = {(r.column, None if pd.isna(r.row) else int(r.row),
            None if pd.isna(r.value) else r.value) for r in problems.itertuples()}
    assert got == {
        ("site_name", None, None),
        ("site_id", 2, "S01"),
        ("site_id", 3, "S01"),
        ("organisation_type", 3, "Charity"),
        ("sector", 4, "Private"),
        ("bme_focus", 4, "maybe"),
    }
    assert (problems["file"] == "sites.csv").all()
    by_col = problems.set_index("column")
    assert by_col.loc["organisation_type", "allowed"] == "NHS trust, Partnership, Voluntary sector"
    assert by_col.loc["sector", "allowed"] == "NHS, Voluntary"
    assert by_col.loc["bme_focus", "allowed"] == "true/false, yes/no, 1/0"
    assert "columns found: site_id, organisation_type, sector, bme_focus" in \
        by_col.loc["site_name", "allowed"]
    message = str(info.value)
    assert "sites.csv, column site_name: required column is missing" in message
    assert "sites.csv, column sector, row 4: 'Private' is not a known sector" in message
    assert "sites.csv, column bme_focus, row 4: 'maybe' is not true or false" in message
    assert ("sites.csv, column organisation_type, row 3: 'Charity' is not a known "
            "organisation type") in message
    assert "sites.csv, column site_id, row 3: 'S01' appears more than once (allowed: each " \
           "site once)" in message


def test_site_register_blank_id(tmp_path):
    rows = [GOOD_SITES[0], ["", "Nameless", "NHS trust", "NHS", "false", ""]]
    with pytest.raises(AnswerDataError, match=r"column site_id, row 3: '' is blank"):
        read_site_register(_write_csv(tmp_path / "sites.csv", SITE_HEADER, rows))


def test_site_register_alias_for_two_sites(tmp_path):
    """An alias that is another site's id or alias would misfile answers silently."""
    rows = [GOOD_SITES[0], ["S10", "Tidewell", "Voluntary sector", "Voluntary", "no", "S1"]]
    with pytest.raises(AnswerDataError, match=r"sites\.csv, column aliases, row 3: 'S1' alias "
                                              r"'S1' already stands for site S01"):
        read_site_register(_write_csv(tmp_path / "sites.csv", SITE_HEADER, rows))


# ------------------------------------------------------------------------------ responses
def test_responses_valid_and_normalised(tmp_path, codebook, sites):
    rows = [
        _response_row(codebook, "007", "S01", "PW", q2_1_happening="don\u2019t know",
                      q2_1_importance="4 - Extremely important", q2_2_importance=""),
        _response_row(codebook, "P02", " s1 ", "Service User ", q2_1_happening="",
                      q2_1_importance="3", q2_3_happening="2"),
        _response_row(codebook, "P03", "lantern", "commissioner", q2_8_happening="9",
                      q2_8_importance="1.0"),
    ]
    raw = read_table(_responses_file(tmp_path, codebook, rows))
    wide = normalise_responses(raw, sites, codebook, source="part1_responses.csv")
    assert "comments" not in wide.columns          # columns outside the contract dropped
    assert wide["participant_id"].tolist() == ["007", "P02", "P03"]
    assert wide["site_id"].tolist() == ["S01", "S01", "S02"]
    assert wide["role"].tolist() == ["Peer worker", "Service user",
                                     "Senior/strategic manager or commissioner"]
    assert wide["q2_1_happening"].tolist() == ["Don't know", "Missing", "Yes"]
    assert wide["q2_1_happening"].dtype == codebook.happening_dtype()
    assert wide["q2_1_importance"].dtype == "Int64"
    assert wide["q2_1_importance"].tolist() == [4, 3, 4]
    assert wide["q2_2_importance"].tolist() == [pd.NA, 4, 4]
    assert wide["q2_3_happening"].tolist() == ["Yes", "Partly", "Yes"]
    assert wide["q2_8_happening"].tolist() == ["Yes", "Yes", "Not relevant"]
    assert wide["q2_8_importance"].tolist() == [4, 4, 1]


def test_responses_all_problems_in_one_error(tmp_path, codebook, sites):
    """Bad values in two columns, an unknown site, an unknown role, a repeated participant id
    and a missing item column: one AnswerDataError lists them all, in row order, with the
    spreadsheet row (header = row 1, first data row = row 2)."""
    rows = [
        _response_row(codebook, "P01", "S01", "Peer worker"),                        # row 2
        _response_row(codebook, "P02", "S01", "PW", q2_1_happening="Maybe"),         # row 3
        _response_row(codebook, "P03", "S99", "Line manager"),                       # row 4
        _response_row(codebook, "P01", "S02", "Peer wrker"),                         # row 5
        _response_row(codebook, "P05", "S02", "Service user", q2_4_importance="6"),  # row 6
    ]
    path = _responses_file(tmp_path, codebook, rows, drop=("q2_8_importance",))
    raw = read_table(path)
    with pytest.raises(AnswerDataError, match="7 problems found in the input data") as info:
        normalise_responses(raw, sites, codebook, source=path.name)
    problems = info.value.problems
    assert list(problems.columns) == PROBLEM_COLUMNS
    assert (problems["file"] == "part1_responses.csv").all()
    assert problems["row"].dtype == "Int64"
    table = [(None if pd.isna(r.row) else int(r.row), r.column,
              None if pd.isna(r.value) else r.value) for r in problems.itertuples()]
    assert table == [
        (None, "q2_8_importance", None),
        (2, "participant_id", "P01"),
        (3, "q2_1_happening", "Maybe"),
        (4, "site_id", "S99"),
        (5, "participant_id", "P01"),
        (5, "role", "Peer wrker"),
        (6, "q2_4_importance", "6"),
    ]
    allowed = dict(zip(problems["row"].astype("string").fillna("-") + problems["column"],
                       problems["allowed"]))
    assert allowed["3q2_1_happening"] == HAPPENING_ALLOWED
    assert allowed["6q2_4_importance"] == IMPORTANCE_ALLOWED
    assert allowed["4site_id"] == "S01, S02 (or an alias in sites.csv)"
    assert allowed["5role"].startswith("Peer worker; Non-peer staff; Line manager; "
                                       "Senior/strategic manager or commissioner; Service user")
    assert allowed["2participant_id"] == "each participant once"
    assert allowed["-q2_8_importance"].startswith("columns found: participant_id, site_id")
    # the message names file, column, row, value, problem and what is allowed
    message = str(info.value)
    assert ("part1_responses.csv, column q2_4_importance, row 6: '6' is not on the "
            f'"How important is this to you?" scale (allowed: {IMPORTANCE_ALLOWED})') in message
    assert ("part1_responses.csv, column q2_1_happening, row 3: 'Maybe' is not on the "
            '"Is this happening here?" scale') in message
    assert "column q2_8_importance: required column is missing from the header row" in message
    assert "column site_id, row 4: 'S99' is not in the site register" in message


def test_responses_messages_match(tmp_path, codebook, sites):
    rows = [_response_row(codebook, "P01", "S01", "Peer worker", q2_4_importance="6")]
    raw = read_table(_responses_file(tmp_path, codebook, rows))
    with pytest.raises(AnswerDataError, match=r"column q2_4_importance, row 2: '6' is not on "
                                              r"the \"How important is this to you\?\" scale"):
        normalise_responses(raw, sites, codebook, source="part1_responses.csv")


def test_unknown_role_lists_close_matches(tmp_path, codebook, sites):
    rows = [_response_row(codebook, "P01", "S01", "Peer wrker"),
            _response_row(codebook, "P02", "S01", "Service usr")]
    raw = read_table(_responses_file(tmp_path, codebook, rows))
    with pytest.raises(AnswerDataError,
                       match=r"row 2: 'Peer wrker' is not a known role; close matches: "
                             r"Peer worker") as info:
        normalise_responses(raw, sites, codebook, source="part1_responses.csv")
    problems = info.value.problems
    assert problems.loc[1, "value"] == "Service usr"
    assert "close matches: Service user" in problems.loc[1, "problem"]


def test_unknown_site_lists_close_matches(tmp_path, codebook, sites):
    rows = [_response_row(codebook, "P01", "S03", "PW")]
    raw = read_table(_responses_file(tmp_path, codebook, rows))
    with pytest.raises(AnswerDataError, match=r"'S03' is not in the site register; close "
                                              r"matches: (S01, S02|S02, S01) \(allowed"):
        normalise_responses(raw, sites, codebook, source="part1_responses.csv")


def test_blank_required_cells(tmp_path, codebook, sites):
    rows = [_response_row(codebook, "P01", "", "PW"),
            _response_row(codebook, "P02", "S01", "  ")]
    raw = read_table(_responses_file(tmp_path, codebook, rows))
    with pytest.raises(AnswerDataError) as info:
        normalise_responses(raw, sites, codebook, source="part1_responses.csv")
    problems = info.value.problems
    assert problems[["row", "column", "problem"]].values.tolist() == [
        [2, "site_id", "is blank"], [3, "role", "is blank"]]


def test_value_quoted_as_typed(tmp_path, codebook, sites):
    """The problem table holds the cell exactly as typed (spaces and curly quotes kept)."""
    rows = [_response_row(codebook, "P01", "S01", "PW", q2_2_happening=" Perhaps\u2019 ")]
    raw = read_table(_responses_file(tmp_path, codebook, rows))
    with pytest.raises(AnswerDataError) as info:
        normalise_responses(raw, sites, codebook, source="part1_responses.csv")
    assert info.value.problems["value"].tolist() == [" Perhaps\u2019 "]


def test_error_message_is_truncated_but_table_complete(tmp_path, codebook, sites):
    rows = [_response_row(codebook, f"P{i:03d}", "S01", "PW", q2_1_happening="??")
            for i in range(250)]
    raw = read_table(_responses_file(tmp_path, codebook, rows))
    with pytest.raises(AnswerDataError, match=r"250 problems found") as info:
        normalise_responses(raw, sites, codebook, source="part1_responses.csv")
    assert len(info.value.problems) == 250
    assert info.value.problems["row"].tolist() == list(range(2, 252))
    assert "... and 50 more (see the full list in the problem table)" in str(info.value)
    assert info.value.exit_code == 1


def test_problem_rows_after_a_blank_line(tmp_path, codebook, sites):
    """A blank line in the CSV is spreadsheet row 3; the bad cell after it is on row 4."""
    rows = [_response_row(codebook, "P01", "S01", "PW"),
            _response_row(codebook, "P02", "S01", "PW", q2_3_happening="Sort of")]
    path = _responses_file(tmp_path, codebook, rows)
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join([*lines[:2], "\n", *lines[2:]]), encoding="utf-8")
    with pytest.raises(AnswerDataError, match=r"column q2_3_happening, row 4: 'Sort of'"):
        normalise_responses(read_table(path), sites, codebook, source=path.name)


def test_blank_participant_ids_reported_once_each(tmp_path, codebook, sites):
    """Two blank ids are each reported as blank, not also as duplicates of each other."""
    rows = [_response_row(codebook, "", "S01", "PW"),
            _response_row(codebook, " ", "S01", "PW"),
            _response_row(codebook, "P03", "S01", "PW")]
    raw = read_table(_responses_file(tmp_path, codebook, rows))
    with pytest.raises(AnswerDataError, match="2 problems found") as info:
        normalise_responses(raw, sites, codebook, source="part1_responses.csv")
    assert info.value.problems[["row", "column", "problem"]].values.tolist() == [
        [2, "participant_id", "is blank"], [3, "participant_id", "is blank"]]


def test_header_only_file_is_invalid_and_changes_nothing(demo_project):
    """A responses file with a header and no rows must not replace good prepared data."""
    import hashlib

    from peerlib.part1.prepare import prepare

    prepare()
    processed = demo_project / "data" / "processed"
    before = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in processed.iterdir()}
    raw = demo_project / "data" / "raw" / "part1_responses.csv"
    header = raw.read_text(encoding="utf-8").splitlines()[0]
    empty = demo_project / "header_only.csv"
    empty.write_text(header + "\n", encoding="utf-8")
    with pytest.raises(AnswerDataError, match="no data rows: only a header row"):
        prepare(empty)
    after = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in processed.iterdir()}
    assert after == before


def test_register_and_response_problems_are_reported_together(demo_project):
    from peerlib.part1.prepare import load_part1

    raw = demo_project / "data" / "raw"
    sites = (raw / "sites.csv").read_text(encoding="utf-8").replace(",NHS,false,", ",Private,false,", 1)
    (raw / "sites.csv").write_text(sites, encoding="utf-8")
    lines = (raw / "part1_responses.csv").read_text(encoding="utf-8").splitlines()
    lines[1] = lines[1].replace(",Peer worker,", ",Volunteer,", 1)
    (raw / "part1_responses.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(AnswerDataError) as info:
        load_part1()
    problems = info.value.problems
    assert set(problems["file"]) == {"sites.csv", "part1_responses.csv"}
    assert "Private" in problems["value"].tolist() and "Volunteer" in problems["value"].tolist()


def test_unknown_site_reported_even_when_the_register_has_problems(demo_project):
    from peerlib.part1.prepare import load_part1

    raw = demo_project / "data" / "raw"
    sites = (raw / "sites.csv").read_text(encoding="utf-8").replace(",NHS,false,", ",NHS,maybe,", 1)
    (raw / "sites.csv").write_text(sites, encoding="utf-8")
    lines = (raw / "part1_responses.csv").read_text(encoding="utf-8").splitlines()
    lines[1] = lines[1].replace("S01-P01,S01,", "S01-P01,S99,", 1)
    (raw / "part1_responses.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(AnswerDataError) as info:
        load_part1()
    values = info.value.problems["value"].tolist()
    assert "maybe" in values and "S99" in values


def test_empty_and_binary_files_get_plain_messages(tmp_path):
    from peerlib.part1.read import read_table

    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(AnswerDataError, match="empty.csv: is empty: it has no header row"):
        read_table(empty)
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"PK\x03\x04" + bytes(range(0x80, 0xA0)) * 4)
    with pytest.raises(AnswerDataError, match="not UTF-8, UTF-16 or Windows-1252 .*binary"):
        read_table(binary)


def test_missing_columns_on_first_sheet_point_to_the_other_sheets(demo_project, tmp_path):
    import openpyxl
    import pandas as pd

    from peerlib.part1.read import read_table
    from peerlib.part1.validate import normalise_responses, read_site_register
    from peerlib.codebook import load_codebook

    data = pd.read_csv(demo_project / "data" / "raw" / "part1_responses.csv", dtype=str,
                       keep_default_na=False)
    book = tmp_path / "two_sheets.xlsx"
    with pd.ExcelWriter(book, engine="openpyxl") as writer:
        pd.DataFrame({"notes": ["entered by the team"]}).to_excel(writer, sheet_name="Notes",
                                                                 index=False)
        data.to_excel(writer, sheet_name="Data", index=False)
    raw = read_table(book)
    sites = read_site_register(demo_project / "data" / "raw" / "sites.csv")
    with pytest.raises(AnswerDataError, match="also has sheet\\(s\\) 'Data': choose the data "
                                              "sheet with --sheet") as info:
        normalise_responses(raw, sites, load_codebook(), source=book.name)
    assert len(info.value.problems) == 1  # one line, not one per missing column


def test_alias_advice_only_for_answer_role_or_site_problems():
    """The advice to add an alias to the codebook or site register fits a spelling in an
    answer, role or site column, not a file that cannot be read at all."""
    from peerlib.errors import PROBLEM_COLUMNS

    def error(column):
        return AnswerDataError(pd.DataFrame([["f.csv", 2, column, "x", "is unknown", ""]],
                                             columns=PROBLEM_COLUMNS))

    for column in ("role", "site_id", "q2_1_happening", "q2_10_importance"):
        assert "alias to the codebook or the site register" in str(error(column))
    for column in ("", "participant_id", "tag"):
        assert "alias" not in str(error(column))
        assert str(error(column)).endswith("Correct the file and run again.")


# --------------------------------------------------------------------- issue 10: readings
def test_readings_that_are_judgements_are_visible(demo_project, capsys):
    """IDs that look like Excel dates are a warning naming the rows; "NA" and other
    software's missing-value words get a warning saying how they were read and where to
    change it; the validation report lists every raw spelling mapped to a canonical answer,
    role or site with its count ("sometimes" -> Partly x 3)."""
    from peerlib.cli import main

    raw = demo_project / "data" / "raw"
    frame = pd.read_csv(raw / "part1_responses.csv", dtype=str, keep_default_na=False)
    frame.loc[3, "participant_id"] = "2024-03-01 00:00:00"     # spreadsheet row 5
    frame.loc[7, "participant_id"] = "1-Mar"                   # spreadsheet row 9
    frame.loc[0:2, "q2_1_happening"] = "sometimes"
    frame.loc[4:5, "q2_2_happening"] = "NA"
    frame.loc[6, "q2_3_happening"] = "N/A"
    frame.to_csv(raw / "part1_responses.csv", index=False)
    assert main(["prepare"]) == 0
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert "participant_id looks like a date in rows 5, 9" in err
    assert "'NA' (2 cells, in q2_2_happening) was read as Not relevant" in err
    assert "'N/A' (1 cell, in q2_3_happening) was read as Not relevant" in err
    assert "change the alias in the codebook" in err
    page = (demo_project / "data" / "validation" / "validation.html").read_text()
    assert "Spellings read as another value" in page
    assert "<td>Is this happening here?</td><td class=\"value\">&#x27;sometimes&#x27;</td>" \
           "<td>Partly</td><td>3</td>" in page


def test_other_softwares_missing_words_are_no_answer_with_a_warning(demo_project, capsys,
                                                                    tmp_path):
    """"-99", "NULL", "NaN" on both scales and "NA" on the importance scale (the shipped
    codebook gives them no meaning) are read as no answer (Missing; NA for importance), not
    refused, with a warning naming the word, the cells, the rows and how to change it in the
    codebook; a codebook that maps a word keeps its reading."""
    from peerlib.cli import main
    from peerlib.part1.prepare import load_prepared

    raw = demo_project / "data" / "raw"
    frame = pd.read_csv(raw / "part1_responses.csv", dtype=str, keep_default_na=False)
    frame.loc[0, "q2_1_happening"] = "-99"        # spreadsheet row 2
    frame.loc[1, "q2_1_happening"] = "NULL"       # row 3
    frame.loc[2, "q2_2_happening"] = " nan "      # row 4
    frame.loc[3, "q2_1_importance"] = "NA"        # row 5
    frame.loc[4, "q2_1_importance"] = "-99"       # row 6
    frame.loc[5, "q2_3_importance"] = "N/A"       # row 7
    frame.to_csv(raw / "part1_responses.csv", index=False)
    assert main(["prepare"]) == 0
    err = capsys.readouterr().err
    assert "Traceback" not in err and "not on the" not in err
    assert "'-99' (2 cells, in q2_1_happening, q2_1_importance) was read as no answer " \
           "(rows 2, 6). The codebook gives '-99' no meaning" in err
    assert "'NULL' (1 cell, in q2_1_happening) was read as no answer (row 3)" in err
    assert "'nan' (1 cell, in q2_2_happening) was read as no answer (row 4)" in err
    assert "'NA' (1 cell, in q2_1_importance) was read as no answer (row 5)" in err
    assert "'N/A' (1 cell, in q2_3_importance) was read as no answer (row 7)" in err
    assert "add it to the codebook as an alias of that answer" in err
    long = load_prepared()
    first = long["participant_id"].drop_duplicates().tolist()[:6]  # the file's order
    data = long.set_index(["participant_id", "item_id"]).sort_index()
    assert data.loc[(first[0], "2.1"), "happening"] == "Missing"
    assert data.loc[(first[1], "2.1"), "happening"] == "Missing"
    assert data.loc[(first[2], "2.2"), "happening"] == "Missing"
    assert pd.isna(data.loc[(first[3], "2.1"), "importance"])
    assert pd.isna(data.loc[(first[4], "2.1"), "importance"])
    assert pd.isna(data.loc[(first[5], "2.3"), "importance"])

    # a codebook that gives -99 a meaning keeps it, and the warning says how to change it
    from peerlib.codebook import default_codebook_path

    text = default_codebook_path().read_text(encoding="utf-8")
    own = tmp_path / "codebook.yaml"
    own.write_text(text.replace('aliases: ["n", "not happening"]',
                                'aliases: ["n", "not happening", "-99"]'), encoding="utf-8")
    frame.loc[4, "q2_1_importance"] = "4"
    frame.to_csv(raw / "part1_responses.csv", index=False)
    assert main(["prepare", "--codebook", str(own)]) == 0
    err = capsys.readouterr().err
    assert "'-99' (1 cell, in q2_1_happening) was read as No (row 2). Other software " \
           "writes '-99' for a missing value; if that is what it means here, change the " \
           "alias in the codebook" in err
    assert load_prepared().set_index(["participant_id", "item_id"]).loc[
        (first[0], "2.1"), "happening"] == "No"

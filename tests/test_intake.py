"""Real-world intake (issue 3): SPSS .sav, XLSX on a named sheet, Windows-1252 CSV, column
maps, the data-entry template and the validation report, all against the committed demo data.

The reference in every equivalence test is what the original demo CSV prepares to: the same
participants, pseudonyms, answers and dtypes (``pd.testing.assert_frame_equal``).
"""
from __future__ import annotations

import hashlib
import importlib

import numpy as np
import openpyxl
import pandas as pd
import pyreadstat
import pytest
import yaml

from peerlib.cli import main
from peerlib.codebook import item_columns
from peerlib.errors import PROBLEM_COLUMNS, AnswerDataError
from peerlib.part1.read import read_column_map, read_table
from peerlib.part1.prepare import load_part1, load_prepared, prepare
from peerlib.part1.template import DATA_SHEET, INSTRUCTIONS_SHEET, write_entry_template
from peerlib.part1.validate import normalise_responses, read_site_register, response_columns

ITEMS = [f"2.{i}" for i in range(1, 9)]
ANSWER_COLUMNS = [c for item in ITEMS for c in item_columns(item)]

#: SPSS codes of the demo .sav, deliberately NOT the codebook's numeric convention (there
#: 2 = Partly, 3 = No, 9 = Not relevant): a .sav is read through its labels only.
SAV_HAPPENING = {"Yes": 1, "No": 2, "Partly": 3, "Not relevant": 7, "Don't know": 8,
                 "Missing": 99}
SAV_HAPPENING_LABELS = {1: "Yes", 2: "No", 3: "Partly", 7: "Not relevant", 8: "Don't know",
                        99: "No answer"}
SAV_IMPORTANCE_LABELS = {1: "Not at all important", 2: "Not very important",
                         3: "Quite important", 4: "Extremely important", 99: "Missing"}
SAV_ROLE_LABELS = {1: "PW", 2: "Non-peer staff", 3: "Line manager",
                   4: "Senior/strategic manager or commissioner", 5: "Service user"}


# ------------------------------------------------------------------------------ helpers
def _raw(project) -> pd.DataFrame:
    return pd.read_csv(project / "data" / "raw" / "part1_responses.csv", dtype=str,
                       keep_default_na=False)


def _sites(project):
    return project / "data" / "raw" / "sites.csv"


def _hashes(folder):
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _canonical(project, codebook) -> pd.DataFrame:
    """The demo responses with every answer, role and site canonical (one row per interview):
    what a clean data-entry tool would hold."""
    raw = read_table(project / "data" / "raw" / "part1_responses.csv")
    wide = normalise_responses(raw, read_site_register(_sites(project)), codebook)
    return wide


def write_demo_sav(project, codebook, path, *, tweak=None):
    """The demo responses as an SPSS file: numeric codes with value labels for site, role and
    every answer; "Don't know" (8) and "No answer" (99) declared user-missing on the happening
    scale, 90-99 a user-missing range on the importance scale with 99 labelled "Missing"; half
    of the importance non-answers are 99, the other half system-missing. ``tweak(frame)`` may
    change the numeric frame before it is written."""
    wide = _canonical(project, codebook)
    raw = _raw(project)
    register = read_site_register(_sites(project))
    site_codes = {sid: i for i, sid in enumerate(register["site_id"], start=1)}
    site_labels = {i: rec.aliases[0] for i, rec in enumerate(register.itertuples(), start=1)}
    role_codes = {label: code for code, label in SAV_ROLE_LABELS.items()}
    role_codes["Peer worker"] = 1
    frame = pd.DataFrame({
        "participant_id": raw["participant_id"],
        "site_id": wide["site_id"].map(site_codes).astype(float),
        "role": wide["role"].astype(str).map(role_codes).astype(float),
        "interview_date": raw["interview_date"],
        "interviewer": raw["interviewer"],
        "comments": raw["comments"],
    })
    labels = {"site_id": site_labels, "role": SAV_ROLE_LABELS}
    missing = {}
    for item in ITEMS:
        hap, imp = item_columns(item)
        frame[hap] = wide[hap].astype(str).map(SAV_HAPPENING).astype(float)
        scores = wide[imp].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
        blank = np.isnan(scores)
        scores[blank & (np.arange(len(scores)) % 2 == 0)] = 99.0
        frame[imp] = scores
        labels[hap], labels[imp] = SAV_HAPPENING_LABELS, SAV_IMPORTANCE_LABELS
        missing[hap] = [8, 99]
        missing[imp] = [{"lo": 90, "hi": 99}]
    if tweak is not None:
        tweak(frame)
    pyreadstat.write_sav(frame, str(path), variable_value_labels=labels, missing_ranges=missing)
    return path


def write_demo_xlsx(project, path, *, sheet="Part 1", title_rows=0):
    """The demo responses in a workbook with other sheets before and after the data; every
    cell stored as text (numbers included, as Excel's "number stored as text")."""
    raw = _raw(project)
    book = openpyxl.Workbook()
    notes = book.active
    notes.title = "Notes"
    notes.append(["Data entered by the research team; see the protocol."])
    data = book.create_sheet(sheet)
    if title_rows:
        data.append(["Peer worker study: Part 1 answers"])
        for _ in range(title_rows - 1):
            data.append([])
    data.append(list(raw.columns))
    for row in raw.itertuples(index=False):
        data.append([v if v != "" else None for v in row])
    lookup = book.create_sheet("Lookup")
    lookup.append(["code", "label"])
    lookup.append([1, "Yes"])
    book.save(path)
    return path


# ------------------------------------------------------------------------------ "Done when"
@pytest.mark.parametrize("kind", ["sav", "xlsx-named-sheet", "csv-windows-1252"])
def test_every_format_prepares_to_the_same_part1_long(demo_project, codebook, tmp_path, kind):
    """Issue 3, "Done when": .sav, .xlsx (named sheet) and Windows-1252 .csv versions of the
    demo data prepare to the same part1_long as the original CSV, file for file."""
    sites = _sites(demo_project)
    reference = prepare(out=tmp_path / "reference", validation_dir=tmp_path / "rep0")
    expected = load_prepared(reference.out)
    if kind == "sav":
        path = write_demo_sav(demo_project, codebook, tmp_path / "part1_responses.sav")
        sheet = None
        _, meta = pyreadstat.read_sav(str(path), user_missing=True, metadataonly=True)
        assert meta.missing_ranges["q2_1_happening"] == [{"lo": 8.0, "hi": 8.0},
                                                          {"lo": 99.0, "hi": 99.0}]
    elif kind == "xlsx-named-sheet":
        path = write_demo_xlsx(demo_project, tmp_path / "part1_responses.xlsx")
        sheet = "Part 1"
        cell = openpyxl.load_workbook(path)["Part 1"]["J2"]       # q2_2_importance
        assert (cell.value, cell.data_type) == ("3", "s")         # a number stored as text
    else:
        path = tmp_path / "part1_responses.csv"
        _raw(demo_project).to_csv(path, index=False, encoding="cp1252")
        assert b"\x92" in path.read_bytes()       # a curly apostrophe as Windows-1252 writes it
        sheet = None
    result = prepare(path, sites, out=tmp_path / "out", sheet=sheet,
                     validation_dir=tmp_path / "rep")
    got = load_prepared(result.out)
    pd.testing.assert_frame_equal(got, expected)
    for name in ("part1_long.parquet", "part1_long.csv"):
        assert (result.out / name).read_bytes() == (reference.out / name).read_bytes(), name
    assert (got["happening"] == "Don't know").sum() > 10      # user-missing yet Don't know
    assert (got["happening"] == "Missing").sum() > 0 and got["importance"].isna().sum() > 0


# ------------------------------------------------------------------------------ SPSS .sav
def test_sav_reads_codes_through_labels(demo_project, codebook, tmp_path):
    """read_table: labelled codes become their labels (user-missing ones included), system
    missing becomes blank, the index is the case number - 1."""
    path = write_demo_sav(demo_project, codebook, tmp_path / "r.sav")
    frame = read_table(path)
    assert frame.attrs["first_data_row"] == 1 and frame.attrs["source"] == "r.sav"
    assert frame.loc[0, "participant_id"] == "S01-P01"
    assert frame.loc[0, "site_id"] == "Ashwell Moor" and frame.loc[0, "role"] == "PW"
    assert frame.loc[0, "q2_1_happening"] == "Don't know"        # code 8, user-missing
    values = set(frame[ANSWER_COLUMNS].to_numpy().ravel())
    assert {"No answer", "Missing", ""} <= values                 # 99s and system-missing
    assert not any(v.replace(".", "").isdigit() for v in values if v)   # no bare code left
    assert frame.attrs["unlabelled_codes"] == {}


def test_sav_unlabelled_and_out_of_scale_codes_are_errors(demo_project, codebook, tmp_path):
    """An unlabelled code (even one the codebook's own convention knows, like 3), an
    unlabelled user-missing code and a code whose label is not on the scale are all reported
    in one error, by SPSS case number; none becomes an answer or disappears."""
    def tweak(frame):
        frame.loc[1, "q2_1_happening"] = 5.0          # case 2: no label
        frame.loc[2, "q2_2_happening"] = 4.0          # case 3: no label (codebook: none)
        frame.loc[3, "q2_3_importance"] = 95.0        # case 4: in the user-missing range
        frame.loc[4, "role"] = 6.0                    # case 5: no label
        frame.loc[5, "site_id"] = 11.0                # case 6: no label

    path = write_demo_sav(demo_project, codebook, tmp_path / "r.sav", tweak=tweak)
    # add a label that is not on the scale: rewrite with an extra label for code 6
    frame, meta = pyreadstat.read_sav(str(path), user_missing=True)
    frame.loc[6, "q2_4_importance"] = 6.0             # case 7: labelled, not on the scale
    labels = dict(meta.variable_value_labels)
    labels["q2_4_importance"] = {**labels["q2_4_importance"], 6.0: "Very very important"}
    pyreadstat.write_sav(frame, str(path), variable_value_labels=labels,
                         missing_ranges=meta.missing_ranges)
    with pytest.raises(AnswerDataError) as info:
        load_part1(path, _sites(demo_project))
    problems = info.value.problems
    table = problems[["row", "column", "value"]].values.tolist()
    assert table == [[2, "q2_1_happening", "5"], [3, "q2_2_happening", "4"],
                     [4, "q2_3_importance", "95"], [5, "role", "6"], [6, "site_id", "11"],
                     [7, "q2_4_importance", "6 = Very very important"]]
    message = str(info.value)
    assert "6 problems found" in message
    assert ("r.sav, column q2_1_happening, case 2: '5' code 5 has no value label in the "
            "file") in message
    assert "case 4: '95' code 95 has no value label in the file (it is declared " \
           "user-missing)" in message
    assert ("column q2_4_importance, case 7: '6 = Very very important' is not on the "
            '"How important is this to you?" scale') in message
    assert "row " not in message.split("\n", 1)[1].replace("a row", "")
    # the validation report quotes SPSS case numbers too
    with pytest.raises(AnswerDataError):
        prepare(path, _sites(demo_project))
    html = (demo_project / "data" / "validation" / "validation.html").read_text(encoding="utf-8")
    assert "<td>r.sav</td><td>case 2</td><td>q2_1_happening</td>" in html


def test_sav_no_answer_labels_and_system_missing(demo_project, codebook, tmp_path):
    """99 labelled "No answer" is Missing, 99 labelled "Missing" on importance is NA, exactly
    like a blank; the counts equal the blanks of the original CSV."""
    path = write_demo_sav(demo_project, codebook, tmp_path / "r.sav")
    long = load_part1(path, _sites(demo_project), pseudonymise_ids=False)
    raw = _raw(demo_project)
    hap = [c for c in raw.columns if c.endswith("_happening")]
    imp = [c for c in raw.columns if c.endswith("_importance")]
    assert (long["happening"] == "Missing").sum() == int(
        (raw[hap].apply(lambda s: s.str.strip()) == "").to_numpy().sum())
    assert long["importance"].isna().sum() == int(
        (raw[imp].apply(lambda s: s.str.strip()) == "").to_numpy().sum())


# ------------------------------------------------------------------------------ XLSX
def test_xlsx_needs_the_right_sheet(demo_project, tmp_path):
    path = write_demo_xlsx(demo_project, tmp_path / "r.xlsx", sheet="Interviews")
    sites = _sites(demo_project)
    with pytest.raises(AnswerDataError, match=r"'Part 1' is not a sheet of this workbook "
                                              r"\(allowed: sheets found: Notes, Interviews, "
                                              r"Lookup\)"):
        load_part1(path, sites, sheet="Part 1")
    assert load_part1(path, sites, sheet="Interviews")["participant_id"].nunique() == 68
    assert main(["prepare", "--responses", str(path), "--sheet", "Interviews"]) == 0


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_header_row_not_in_row_1_is_one_clear_error(demo_project, tmp_path, suffix):
    """A title in row 1, a blank row 2 and the header in row 3: one problem saying where the
    header seems to be, not a list of 19 missing columns."""
    if suffix == ".xlsx":
        path = write_demo_xlsx(demo_project, tmp_path / "r.xlsx", title_rows=2)
        sheet = "Part 1"
    else:
        path = tmp_path / "r.csv"                   # as Excel saves such a sheet as CSV
        raw = _raw(demo_project)
        pad = "," * (len(raw.columns) - 1)
        path.write_text(f"Peer worker study: Part 1 answers{pad}\n{pad}\n"
                        + raw.to_csv(index=False), encoding="utf-8")
        sheet = None
    with pytest.raises(AnswerDataError, match=r"the header row seems to be row 3; put it in "
                                              r"row 1 or delete the rows above it") as info:
        load_part1(path, _sites(demo_project), sheet=sheet)
    assert len(info.value.problems) == 1
    assert info.value.problems.loc[0, "row"] == 3


def test_ragged_csv_with_a_title_line_hints_at_the_header(demo_project, tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("Peer worker study\n" + _raw(demo_project).to_csv(index=False),
                    encoding="utf-8")
    with pytest.raises(AnswerDataError, match="the header row seems to be row 2; put it in "
                                              "row 1"):
        load_part1(path, _sites(demo_project))


def test_site_register_header_not_in_row_1(demo_project):
    sites = _sites(demo_project)
    sites.write_text("Site register, version 2\n" + sites.read_text(encoding="utf-8"),
                     encoding="utf-8")
    with pytest.raises(AnswerDataError, match="the header row seems to be row 2"):
        read_site_register(sites)


# ------------------------------------------------------------------------------ column map
#: The demo's columns as a differently named export would have them.
EXPORT_NAMES = {"participant_id": "ID", "site_id": "Site", "role": "Role",
                "interview_date": "Date", "comments": "Notes"}
for _i, _item in enumerate(ITEMS, start=1):
    _hap, _imp = item_columns(_item)
    EXPORT_NAMES[_hap], EXPORT_NAMES[_imp] = f"Q{_item}a", f"Q{_item}b"


def _export(project, path, drop=()):
    raw = _raw(project).rename(columns=EXPORT_NAMES).drop(columns=list(drop))
    raw.to_csv(path, index=False)
    return path


@pytest.mark.parametrize("form", ["yaml", "csv"])
def test_column_map_prepares_a_renamed_export(demo_project, tmp_path, form):
    """With a map, an export named Q2.1a, Q2.1b, ID, Site, Role... prepares exactly like the
    original; through prepare(), load_part1() and the CLI."""
    sites = _sites(demo_project)
    export = _export(demo_project, tmp_path / "export.csv")
    mapping = {v: k for k, v in EXPORT_NAMES.items()}
    if form == "yaml":
        map_path = tmp_path / "map.yaml"
        map_path.write_text(yaml.safe_dump(mapping, sort_keys=False), encoding="utf-8")
    else:
        map_path = tmp_path / "map.csv"
        pd.DataFrame({"from": list(mapping), "to": list(mapping.values())}).to_csv(
            map_path, index=False)
    expected = load_part1(demo_project / "data" / "raw" / "part1_responses.csv", sites)
    pd.testing.assert_frame_equal(load_part1(export, sites, column_map=map_path), expected)
    result = prepare(export, sites, column_map=map_path)
    pd.testing.assert_frame_equal(load_prepared(result.out), expected)
    assert main(["prepare", "--responses", str(export), "--column-map", str(map_path)]) == 0
    # without the map, the export misses every required column but role
    with pytest.raises(AnswerDataError, match="18 problems found"):
        load_part1(export, sites)


def test_column_map_problems_come_with_the_data_problems(demo_project, tmp_path, capsys):
    """One error lists: a column mapped twice, two columns mapped to one name, an unknown
    target, a needed column neither in the file nor in the map, a mapped column missing from
    the file, and a bad answer in the data."""
    sites = _sites(demo_project)
    raw = _raw(demo_project).rename(columns=EXPORT_NAMES).drop(columns=["Q2.8b"])
    raw.loc[3, "Q2.4b"] = "6"
    raw.to_csv(tmp_path / "export.csv", index=False)
    entries = [(v, k) for k, v in EXPORT_NAMES.items()
               if k not in ("q2_8_importance", "q2_3_happening", "q2_6_happening")]
    entries += [("Q2.3a", "q2_3_happening"), ("Q2.3a", "interviewer"),     # listed twice
                ("Q2.6a", "q2_2_happening"),                              # 2nd to q2_2_hap.
                ("Q2.7X", "q2_7_happenning"),                             # unknown target
                ("Q2.9a", "q2_6_happening")]                              # not in the file
    map_path = tmp_path / "map.csv"
    pd.DataFrame(entries, columns=["from", "to"]).to_csv(map_path, index=False)
    with pytest.raises(AnswerDataError) as info:
        load_part1(tmp_path / "export.csv", sites, column_map=map_path)
    problems = info.value.problems
    assert list(problems.columns) == PROBLEM_COLUMNS
    by_problem = {(r.file, r.column): r.problem for r in problems.itertuples()}
    assert by_problem[("map.csv", "from")].startswith("is listed 2 times in the column map "
                                                      "(to q2_3_happening, interviewer)")
    assert by_problem[("map.csv", "q2_2_happening")] == "2 columns are mapped to q2_2_happening"
    assert by_problem[("map.csv", "to")].startswith("is not a column peerlib reads; close "
                                                    "matches: q2_7_happening")
    assert by_problem[("export.csv", "q2_8_importance")] == (
        "required column is missing from the header row (row 1) and the column map does "
        "not name it")
    assert by_problem[("export.csv", "q2_6_happening")] == (
        "required column is missing: the column map takes it from 'Q2.9a', which is not in "
        "the header row (row 1)")
    assert by_problem[("export.csv", "q2_4_importance")].startswith("is not on the")
    assert problems.loc[problems["column"] == "q2_4_importance", "row"].tolist() == [5]
    # a doubly mapped target is not reported again as missing
    assert ("export.csv", "q2_2_happening") not in by_problem
    assert ("export.csv", "q2_3_happening") not in by_problem
    assert len(problems) == 6
    assert main(["prepare", "--responses", str(tmp_path / "export.csv"), "--column-map",
                 str(map_path)]) == 1
    assert "6 problems found" in capsys.readouterr().err


def test_column_map_onto_a_name_the_file_already_has(demo_project, tmp_path):
    raw = _raw(demo_project)
    raw["Site code"] = raw["site_id"]
    raw.to_csv(tmp_path / "r.csv", index=False)
    (tmp_path / "map.yaml").write_text("Site code: site_id\n", encoding="utf-8")
    with pytest.raises(AnswerDataError, match=r"map\.yaml, column site_id: 'Site code' the "
                                              r"file already has a column site_id"):
        load_part1(tmp_path / "r.csv", _sites(demo_project),
                   column_map=tmp_path / "map.yaml")


def test_malformed_column_maps(tmp_path):
    bad_yaml = tmp_path / "map.yaml"
    bad_yaml.write_text("2.10: q2_10_happening\nID: participant_id\nyes: role\n",
                        encoding="utf-8")
    with pytest.raises(AnswerDataError, match="2 problems found") as info:
        read_column_map(bad_yaml)
    assert "quote names" in info.value.problems.loc[0, "allowed"]
    no_header = tmp_path / "map.csv"
    no_header.write_text("export,peerlib\nQ2.1a,q2_1_happening\n", encoding="utf-8")
    with pytest.raises(AnswerDataError, match="needs the columns from and to"):
        read_column_map(no_header)
    blank = tmp_path / "blank.csv"
    blank.write_text("from,to\nQ2.1a,\n,q2_1_importance\n", encoding="utf-8")
    with pytest.raises(AnswerDataError) as info:
        read_column_map(blank)
    assert info.value.problems[["row", "column"]].values.tolist() == [[2, "to"], [3, "from"]]
    spaced = tmp_path / "ok.yaml"
    spaced.write_text("' Q2.1a ': Q2_1_Happening\n", encoding="utf-8")
    assert read_column_map(spaced)[["from", "to"]].values.tolist() == [
        ["Q2.1a", "q2_1_happening"]]


# ------------------------------------------------------------------------------ template
def _list_values(book, formula: str) -> list[str]:
    sheet, ref = formula.split("!")
    ws = book[sheet.strip("'")]
    return [c.value for row in ws[ref.replace("$", "")] for c in row]


def test_template_default_location_is_git_ignored_reports(demo_project, capsys):
    assert main(["template"]) == 0
    path = demo_project / "reports" / "part1_data_entry.xlsx"
    assert str(path) in capsys.readouterr().out
    assert openpyxl.load_workbook(path).sheetnames == [DATA_SHEET, INSTRUCTIONS_SHEET]
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]   # no temp file


def test_template_workbook_structure(demo_project, codebook, tmp_path):
    path = write_entry_template(tmp_path / "entry.xlsx", rows=100)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == [DATA_SHEET, INSTRUCTIONS_SHEET]
    data = book[DATA_SHEET]
    header = [c.value for c in data[1]]
    assert header == (["participant_id", "site_id", "role", "interview_date", "interviewer"]
                      + ANSWER_COLUMNS + ["comments"])
    assert data.max_row >= 2 and all(data.cell(row=r, column=1).value is None
                                     for r in range(2, 102))
    wording = dict(zip(codebook.items["item_id"], codebook.items["wording"]))
    for col, name in enumerate(header, start=1):
        comment = data.cell(row=1, column=col).comment
        if name in ANSWER_COLUMNS:
            item = name[1:].rsplit("_", 1)[0].replace("_", ".")
            assert comment is not None and wording[item] in comment.text, name
        else:
            assert comment is None, name
    lists = {}
    for dv in data.data_validations.dataValidation:
        assert dv.type == "list" and dv.allow_blank and dv.showErrorMessage
        values = _list_values(book, dv.formula1)
        for ref in str(dv.sqref).split():
            start, end = ref.split(":")
            assert start[-1] == "2" and end.endswith("101")
            lists[header[openpyxl.utils.column_index_from_string(start.rstrip("0123456789"))
                         - 1]] = values
    assert set(lists) == {"site_id", "role", *ANSWER_COLUMNS}
    assert lists["site_id"] == [f"S{i:02d}" for i in range(1, 11)]
    assert lists["role"] == codebook.role_labels
    assert lists["q2_5_happening"] == ["Yes", "Partly", "No", "Don't know", "Not relevant"]
    assert lists["q2_5_importance"] == ["Extremely important", "Quite important",
                                        "Not very important", "Not at all important"]
    text = " ".join(str(c.value) for c in book[INSTRUCTIONS_SHEET]["A"] if c.value)
    assert "one interview per row" in text and "blank" in text


def test_template_filled_in_prepares_cleanly(demo_project, codebook, tmp_path, capsys):
    """Issue 3, "Done when": the workbook of `peerlib template`, filled in (here with the demo
    answers chosen from its lists), prepares with no column map to what the CSV gives."""
    assert main(["template", "--out", str(tmp_path / "entry.xlsx")]) == 0
    assert "wrote the data-entry workbook" in capsys.readouterr().out
    book = openpyxl.load_workbook(tmp_path / "entry.xlsx")
    data = book[DATA_SHEET]
    header = [c.value for c in data[1]]
    allowed = {}
    for dv in data.data_validations.dataValidation:
        values = _list_values(book, dv.formula1)
        for ref in str(dv.sqref).split():
            col = openpyxl.utils.column_index_from_string(ref.split(":")[0].rstrip("0123456789"))
            allowed[header[col - 1]] = values
    wide = _canonical(demo_project, codebook)
    raw = _raw(demo_project)
    for r, (idx, rec) in enumerate(wide.iterrows(), start=2):
        for col, name in enumerate(header, start=1):
            if name in wide.columns:
                value = rec[name]
                if name.endswith("_importance"):
                    value = None if pd.isna(value) else codebook.importance_labels[int(value)]
                elif value == "Missing" or pd.isna(value):
                    value = None
                else:
                    value = str(value)
            else:
                value = raw.at[idx, name] or None
            if value is not None and name in allowed:
                assert value in allowed[name], (name, value)     # chosen from the list
            data.cell(row=r, column=col, value=value)
    book.save(tmp_path / "filled.xlsx")
    sites = _sites(demo_project)
    expected = load_part1(demo_project / "data" / "raw" / "part1_responses.csv", sites)
    result = prepare(tmp_path / "filled.xlsx", sites)
    pd.testing.assert_frame_equal(load_prepared(result.out), expected)

    # Saved as data/raw/part1_responses.xlsx beside the demo CSV: prepare will not guess
    # which one to read (exit 1, both named) ...
    raw_dir = demo_project / "data" / "raw"
    book.save(raw_dir / "part1_responses.xlsx")
    capsys.readouterr()
    assert main(["prepare"]) == 1
    err = capsys.readouterr().err
    assert "part1_responses.csv" in err and "part1_responses.xlsx" in err
    assert "prepare reads exactly one" in err
    # ... and once the workbook is the only one, it is what prepare reads (its values, not
    # the CSV's: one answer changed in the workbook shows up in the prepared data).
    (raw_dir / "part1_responses.csv").unlink()
    pid = str(raw.at[wide.index[0], "participant_id"])
    before = wide.iloc[0]["q2_1_importance"]
    changed = 1 if pd.isna(before) or int(before) != 1 else 2
    data.cell(row=2, column=header.index("q2_1_importance") + 1,
              value=codebook.importance_labels[changed])
    book.save(raw_dir / "part1_responses.xlsx")
    assert main(["prepare"]) == 0
    prepared = load_prepared()
    both = expected.merge(prepared, on=["participant_id", "item_id"], suffixes=("_csv", "_xlsx"))
    assert len(both) == len(expected) == len(prepared)
    differs = both[both["importance_csv"].fillna(-1) != both["importance_xlsx"].fillna(-1)]
    assert differs["item_id"].astype(str).tolist() == ["2.1"]
    assert differs["importance_xlsx"].tolist() == [changed]
    assert (both["happening_csv"].astype(str) == both["happening_xlsx"].astype(str)).all()
    assert pid not in set(prepared["participant_id"].astype(str))  # pseudonymised


# ------------------------------------------------------------------------------ validation report
def _bad_responses(project):
    raw = _raw(project)
    raw.loc[0, "q2_1_happening"] = "=HYPERLINK(\"http://evil.example\",\"x\")"
    raw.loc[1, "q2_2_happening"] = "<script>alert(1)</script>"
    raw.loc[2, "q2_3_importance"] = "+7"
    raw.loc[3, "q2_4_importance"] = "-1"
    raw.loc[4, "role"] = "@Nurse"
    raw.loc[5, "q2_5_happening"] = "\tMaybe"
    raw.to_csv(project / "data" / "raw" / "part1_responses.csv", index=False)


def test_validation_report_lists_every_problem_safely(demo_project):
    prepare()
    processed = demo_project / "data" / "processed"
    before = _hashes(processed)
    _bad_responses(demo_project)
    with pytest.raises(AnswerDataError) as info:
        prepare()
    assert _hashes(processed) == before
    reports = demo_project / "data" / "validation"
    assert info.value.validation_report == reports / "validation.html"
    assert sorted(p.name for p in reports.iterdir()) == ["validation.csv", "validation.html"]
    table = pd.read_csv(reports / "validation.csv", dtype=str, keep_default_na=False,
                        encoding="utf-8-sig")
    assert list(table.columns) == PROBLEM_COLUMNS
    problems = info.value.problems
    assert len(table) == len(problems) == 6
    assert table["row"].tolist() == ["2", "3", "4", "5", "6", "7"]
    assert table["file"].unique().tolist() == ["part1_responses.csv"]
    assert table["value"].tolist() == ["'=HYPERLINK(\"http://evil.example\",\"x\")",
                                       "<script>alert(1)</script>", "'+7", "'-1", "'@Nurse",
                                       "'\tMaybe"]
    assert problems["value"].tolist()[0].startswith("=")     # the exception keeps it as typed
    for col in table.columns:
        assert not table[col].str.match(r"[=+\-@\t\r]").any(), col
    html = (reports / "validation.html").read_text(encoding="utf-8")
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "6 problems found" in html and "row 2" in html
    assert "Nothing in <code>data/processed</code> was changed" in html
    for rec in problems.itertuples():
        assert rec.column in html


def test_validation_report_on_success_names_dropped_columns_not_values(demo_project):
    raw = _raw(demo_project)
    raw["email"] = "planted.person@example.invalid"
    raw["Favourite colour"] = "PLANTED-COLOUR"
    raw.to_csv(demo_project / "data" / "raw" / "part1_responses.csv", index=False)
    _bad_responses(demo_project)
    with pytest.raises(AnswerDataError):
        prepare()
    assert "6 problems" in (demo_project / "data" / "validation" / "validation.html").read_text("utf-8")
    raw.to_csv(demo_project / "data" / "raw" / "part1_responses.csv", index=False)
    prepare()                                        # fixed: the report is replaced
    reports = demo_project / "data" / "validation"
    html = (reports / "validation.html").read_text(encoding="utf-8")
    assert "No problems found." in html and "68 participants prepared" in html
    for name, why in [("email", "identifier"), ("comments", "free text"),
                      ("interviewer", "optional column"),
                      ("favourite colour", "not in the processed contract")]:
        assert f"<tr><td>{name}</td><td>{why}" in html
    data = (reports / "validation.html").read_bytes() + (reports / "validation.csv").read_bytes()
    for needle in (b"example.invalid", b"PLANTED-COLOUR", b"INT-A", b"Synthetic demo comment"):
        assert needle not in data
    assert (reports / "validation.csv").read_text(encoding="utf-8-sig").strip() == \
        ",".join(PROBLEM_COLUMNS)


def test_validation_report_written_atomically(demo_project, monkeypatch):
    """A failure while the report is written leaves the previous report whole and no
    temporary file behind; and the processed data of that run is not published either."""
    prepare()
    reports = demo_project / "data" / "validation"
    before = _hashes(reports)
    processed_before = _hashes(demo_project / "data" / "processed")
    import peerlib.part1.validation_report as vr

    def broken(table):
        raise OSError("disk full")

    monkeypatch.setattr(vr, "_csv_bytes", broken)
    raw = _raw(demo_project)
    raw.loc[0, "interviewer"] = "INT-Z"                     # a change the outputs would show
    raw.loc[0, "q2_1_happening"] = "Yes"
    raw.to_csv(demo_project / "data" / "raw" / "part1_responses.csv", index=False)
    with pytest.raises(OSError, match="disk full"):
        prepare()
    assert _hashes(reports) == before
    assert _hashes(demo_project / "data" / "processed") == processed_before
    # on invalid data, a report that cannot be written does not hide the data problems
    _bad_responses(demo_project)
    with pytest.raises(AnswerDataError) as info:
        prepare()
    assert info.value.validation_report is None
    assert _hashes(reports) == before


# ------------------------------------------------------------------------------ exit codes
def test_exit_codes_distinguish_data_usage_and_bugs(demo_project, capsys, monkeypatch):
    _bad_responses(demo_project)
    assert main(["prepare"]) == 1
    err = capsys.readouterr().err
    assert "invalid input data" in err and "validation.html" in err
    assert "Traceback" not in err
    assert main(["prepare", "--column-map", str(demo_project / "no-such-map.yaml")]) == 2
    assert "Column map not found" in capsys.readouterr().err
    with pytest.raises(SystemExit) as info:
        main(["template", "--no-such-option"])
    assert info.value.code == 2
    capsys.readouterr()
    prep = importlib.import_module("peerlib.part1.prepare")   # the module, not the function

    def bug(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(prep, "_read_part1", bug)  # where prepare reads the data
    assert main(["prepare"]) == 3
    assert "internal error" in capsys.readouterr().err


def test_response_columns_contract(codebook):
    cols = response_columns(codebook)
    assert cols.loc[cols["kind"] == "required", "column"].tolist() == (
        ["participant_id", "site_id", "role"] + ANSWER_COLUMNS)
    assert cols.loc[cols["kind"] == "optional", "column"].tolist() == [
        "interview_date", "interviewer", "comments"]
    assert "email" in cols.loc[cols["kind"] == "identifier", "column"].tolist()

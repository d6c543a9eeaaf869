"""Tests of peerlib.part1.prepare: raw demo files -> data/processed, atomically and reproducibly."""
from __future__ import annotations

import hashlib
import json

import openpyxl
import pandas as pd
import pytest
import yaml

from peerlib.codebook import default_codebook_path
from peerlib.errors import AnswerDataError
from peerlib.part1.prepare import LONG_COLUMNS, load_meta, load_part1, load_prepared, load_sites, prepare
from peerlib.privacy import pseudonymise


def _pid(raw_id: str) -> str:
    """The pseudonym of a raw ID under the test suite's key (PEERLIB_KEY, root conftest)."""
    import os

    return pseudonymise(pd.Series([raw_id]), os.environ["PEERLIB_KEY"].encode())[0]

#: DESIGN.md, "Processed: data/processed/part1_long.parquet": the columns, in order.
DESIGN_COLUMNS = ["participant_id", "site_id", "site_name", "organisation_type", "sector",
                  "bme_focus", "role", "section", "item_id", "happening", "importance"]
OUTPUT_FILES = ["codebook.yaml", "part1_long.csv", "part1_long.parquet", "part1_meta.json",
                "sites.csv"]
HAPPENING = ["Yes", "Partly", "No", "Don't know", "Not relevant", "Missing"]
ROLES = ["Peer worker", "Non-peer staff", "Line manager",
         "Senior/strategic manager or commissioner", "Service user"]


def _hashes(folder):
    """SHA-256 of every file under ``folder`` (relative path -> digest)."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _raw_responses(project) -> pd.DataFrame:
    return pd.read_csv(project / "data" / "raw" / "part1_responses.csv", dtype=str,
                       keep_default_na=False)


def _check_dtypes(long: pd.DataFrame):
    for col in ("participant_id", "site_id", "site_name", "organisation_type", "sector",
                "section"):
        assert long[col].dtype == "string", col
    assert long["bme_focus"].dtype == "boolean"
    assert long["importance"].dtype == "Int64"
    assert long["happening"].dtype == pd.CategoricalDtype(HAPPENING, ordered=True)
    assert long["role"].dtype == pd.CategoricalDtype(ROLES, ordered=True)
    assert all(type(v) is str for v in long["item_id"])
    assert all(type(v) is str for v in long["item_id"].cat.categories)


def test_prepare_demo_writes_the_five_files(demo_project):
    result = prepare()
    out = demo_project / "data" / "processed"
    assert result.out == out
    assert sorted(p.name for p in out.iterdir()) == OUTPUT_FILES
    assert sorted(p.name for p in result.files) == OUTPUT_FILES
    assert (result.n_rows, result.n_participants) == (544, 68)
    # nothing else was created beside data/processed (no staging folder left over)
    assert sorted(p.name for p in (demo_project / "data").iterdir()) == ["processed", "raw",
                                                                           "validation"]


def test_part1_long_contract(demo_project):
    """DESIGN.md's columns and dtypes; 68 participants x 8 items = 544 rows."""
    prepare()
    long = pd.read_parquet(demo_project / "data" / "processed" / "part1_long.parquet")
    assert list(long.columns) == DESIGN_COLUMNS == LONG_COLUMNS
    assert len(long) == 68 * 8 == 544
    assert long["participant_id"].nunique() == 68
    assert long.groupby("participant_id").size().eq(8).all()
    assert not long.duplicated(["participant_id", "item_id"]).any()
    _check_dtypes(long)
    assert sorted(set(long["item_id"])) == [f"2.{i}" for i in range(1, 9)]
    assert set(long["section"]) == {"2"}
    assert long["happening"].notna().all()                # no answer is "Missing", never NA
    assert long["importance"].dropna().between(1, 4).all()
    assert set(long["sector"]) == {"NHS", "Voluntary"}
    assert long["site_id"].nunique() == 10


def test_prepare_values_match_raw_file(demo_project, codebook):
    """Spot-check against the raw CSV: the first participant's row as typed there is
    (2.1) "Don't know" / "extremely important", (2.2) "No" / "3", (2.3) "1" / "4",
    (2.4) "Partly" / "3", (2.5) "yes" / "4", (2.6) "No" / "Extremely important",
    (2.7) " Yes " / "4", (2.8) "3" / "4"."""
    raw = _raw_responses(demo_project)
    first = raw.iloc[0]
    assert first["participant_id"] == "S01-P01"
    assert first["q2_1_happening"] == "Don't know" and first["q2_8_happening"] == "3"
    prepare()
    long = load_prepared()
    p1 = long[long["participant_id"] == _pid("S01-P01")]
    assert p1["item_id"].tolist() == [f"2.{i}" for i in range(1, 9)]
    assert p1["happening"].tolist() == ["Don't know", "No", "Yes", "Partly", "Yes", "No", "Yes",
                                        "No"]
    assert p1["importance"].tolist() == [4, 3, 4, 3, 4, 4, 4, 4]
    assert set(p1["site_name"]) == {"Ashwell Moor NHS Foundation Trust"}
    assert set(p1["role"]) == {"Peer worker"}
    # the raw file has 544 answers; every blank happening cell is "Missing" in the output
    hap_cols = [c for c in raw.columns if c.endswith("_happening")]
    n_blank = int((raw[hap_cols].apply(lambda s: s.str.strip()) == "").to_numpy().sum())
    assert (long["happening"] == "Missing").sum() == n_blank
    imp_cols = [c for c in raw.columns if c.endswith("_importance")]
    n_blank_imp = int((raw[imp_cols].apply(lambda s: s.str.strip()) == "").to_numpy().sum())
    assert long["importance"].isna().sum() == n_blank_imp


def test_csv_writes_ids_as_text(demo_project):
    prepare()
    out = demo_project / "data" / "processed"
    text = (out / "part1_long.csv").read_text(encoding="utf-8")
    header, first = text.splitlines()[:2]
    assert header.split(",") == DESIGN_COLUMNS
    assert first.startswith(f"{_pid('S01-P01')},S01,Ashwell Moor NHS Foundation Trust,"
                            "NHS trust,NHS,")
    assert ",2,2.1,Don't know,4" in first
    csv_long = pd.read_csv(out / "part1_long.csv", dtype=str, keep_default_na=False)
    assert sorted(set(csv_long["item_id"])) == [f"2.{i}" for i in range(1, 9)]
    assert len(csv_long) == 544


def test_ids_with_leading_zeros_and_item_2_10(tmp_path, demo_project):
    """With a codebook holding "2.1" and "2.10", and participant "007", parquet and CSV keep
    every id as text: "2.10" stays distinct from "2.1" and "007" keeps its zeros."""
    spec = yaml.safe_load(default_codebook_path().read_text(encoding="utf-8"))
    spec["items"] = [spec["items"][0], {"id": "2.10", "section": "2", "wording": "Tenth item"}]
    codebook = tmp_path / "two_items.yaml"
    codebook.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    responses = tmp_path / "responses.csv"
    responses.write_text(
        "participant_id,site_id,role,q2_1_happening,q2_1_importance,q2_10_happening,"
        "q2_10_importance\n"
        "007,S01,PW,Yes,4,No,1\n"
        "0010,S06,Service user,,,Partly,2\n", encoding="utf-8")
    out = tmp_path / "out"
    prepare(responses, demo_project / "data" / "raw" / "sites.csv", out=out, codebook=codebook)
    long = load_prepared(out, codebook=codebook)
    assert long["participant_id"].tolist() == [_pid("007")] * 2 + [_pid("0010")] * 2
    assert _pid("007") != _pid("7")  # leading zeros are part of the raw ID
    raw_ids = load_part1(responses, demo_project / "data" / "raw" / "sites.csv",
                         codebook=codebook, pseudonymise_ids=False)["participant_id"]
    assert raw_ids.tolist() == ["007", "007", "0010", "0010"]
    assert long["item_id"].tolist() == ["2.1", "2.10", "2.1", "2.10"]
    assert list(long["item_id"].cat.categories) == ["2.1", "2.10"]
    assert long["happening"].tolist() == ["Yes", "No", "Missing", "Partly"]
    assert long["importance"].tolist() == [4, 1, pd.NA, 2]
    lines = (out / "part1_long.csv").read_text(encoding="utf-8").splitlines()
    assert lines[1].startswith(f"{_pid('007')},S01,")
    assert ",2,2.1,Yes,4" in lines[1]
    assert ",2,2.10,No,1" in lines[2]
    assert lines[3].startswith(f"{_pid('0010')},S06,")


def test_rerun_is_byte_identical(demo_project):
    prepare()
    out = demo_project / "data" / "processed"
    first = _hashes(out)
    prepare()
    assert _hashes(out) == first
    assert set(first) == set(OUTPUT_FILES)


def test_invalid_input_leaves_out_unchanged(demo_project):
    """A "6" in q2_4_importance: AnswerDataError, and every file in the existing out folder is
    byte-for-byte what it was (hashed before and after)."""
    prepare()
    out = demo_project / "data" / "processed"
    (out / "notes.txt").write_text("analyst's own file\n", encoding="utf-8")
    before = _hashes(out)
    raw = _raw_responses(demo_project)
    raw.loc[12, "q2_4_importance"] = "6"
    raw.to_csv(demo_project / "data" / "raw" / "part1_responses.csv", index=False)
    with pytest.raises(AnswerDataError, match=r"part1_responses\.csv, column q2_4_importance, "
                                              r"row 14: '6' is not on the") as info:
        prepare()
    assert info.value.problems[["row", "column", "value"]].values.tolist() == [
        [14, "q2_4_importance", "6"]]
    assert _hashes(out) == before
    assert sorted(p.name for p in (demo_project / "data").iterdir()) == ["processed", "raw",
                                                                           "validation"]


def test_invalid_site_register_leaves_out_unchanged(demo_project):
    prepare()
    out = demo_project / "data" / "processed"
    before = _hashes(out)
    sites = demo_project / "data" / "raw" / "sites.csv"
    sites.write_text(sites.read_text(encoding="utf-8").replace(",NHS trust,NHS,", ",NHS trust,"
                                                               "Public,", 1), encoding="utf-8")
    with pytest.raises(AnswerDataError, match=r"sites\.csv, column sector, row 2: 'Public' "
                                              r"is not a known sector"):
        prepare()
    assert _hashes(out) == before


def test_invalid_input_with_no_out_folder_creates_nothing(demo_project):
    raw = _raw_responses(demo_project)
    raw.loc[0, "role"] = "Nurse"
    raw.to_csv(demo_project / "data" / "raw" / "part1_responses.csv", index=False)
    with pytest.raises(AnswerDataError, match="is not a known role"):
        prepare()
    assert sorted(p.name for p in (demo_project / "data").iterdir()) == ["raw", "validation"]


def test_load_prepared_round_trips(demo_project):
    """What prepare wrote reads back equal to what load_part1 builds, dtypes included."""
    prepare()
    direct = load_part1()
    loaded = load_prepared()
    pd.testing.assert_frame_equal(loaded, direct)
    _check_dtypes(loaded)


def test_load_sites_and_meta(demo_project):
    prepare()
    sites = load_sites()
    assert sites["site_id"].tolist() == [f"S{i:02d}" for i in range(1, 11)]
    assert sites["bme_focus"].dtype == "boolean"
    assert sites["bme_focus"].sum() == 3                          # S03, S08, S09
    assert sites.loc[0, "aliases"] == ("Ashwell Moor", "S1")
    meta = load_meta()
    assert meta["dataset"]["synthetic"] is True
    assert meta["n_participants"] == 68 and meta["n_rows"] == 544
    raw = demo_project / "data" / "raw"
    recorded = {d["file"]: d["sha256"] for d in meta["inputs"]}
    for name in ("part1_responses.csv", "sites.csv", "dataset.yaml"):
        assert recorded[name] == hashlib.sha256((raw / name).read_bytes()).hexdigest()
    assert json.loads((raw.parent / "processed" / "part1_meta.json").read_text()) == meta


def test_load_prepared_without_data(tmp_path, monkeypatch):
    monkeypatch.setenv("PEERLIB_PROJECT_DIR", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="Run `peerlib prepare`"):
        load_prepared()


def test_identifiers_and_extra_columns_not_carried(demo_project):
    """Columns outside the contract (an e-mail column, comments, interviewer) never reach
    data/processed."""
    raw = _raw_responses(demo_project)
    raw["email"] = "someone.secret@example.org"
    raw.loc[0, "comments"] = "Mentioned Dr Zebediah Quist by name"
    raw.to_csv(demo_project / "data" / "raw" / "part1_responses.csv", index=False)
    prepare()
    for path in (demo_project / "data" / "processed").iterdir():
        data = path.read_bytes()
        assert b"example.org" not in data, path.name
        assert b"Zebediah" not in data, path.name
        assert b"INT-A" not in data, path.name


def test_csv_neutralises_formulas(demo_project):
    sites = demo_project / "data" / "raw" / "sites.csv"
    sites.write_text(sites.read_text(encoding="utf-8").replace(
        "Ashwell Moor NHS Foundation Trust", "=HYPERLINK(\"x\")"), encoding="utf-8")
    prepare()
    out = demo_project / "data" / "processed"
    csv_long = pd.read_csv(out / "part1_long.csv", dtype=str, keep_default_na=False)
    assert csv_long.loc[0, "site_name"] == "'=HYPERLINK(\"x\")"
    assert load_prepared().loc[0, "site_name"] == "=HYPERLINK(\"x\")"   # parquet as typed


def test_windows_1252_and_xlsx_prepare_the_same(demo_project, tmp_path):
    """The demo responses re-saved as Windows-1252 CSV and as XLSX (cells that are whole
    numbers stored as numbers, the rest as text) give the same long table as the original."""
    raw = _raw_responses(demo_project)
    sites = demo_project / "data" / "raw" / "sites.csv"
    original = load_part1(demo_project / "data" / "raw" / "part1_responses.csv", sites)

    cp1252 = tmp_path / "responses_windows.csv"
    raw.to_csv(cp1252, index=False, encoding="cp1252")
    assert b"\x92" in cp1252.read_bytes()           # a curly apostrophe, Windows-1252 encoded
    pd.testing.assert_frame_equal(load_part1(cp1252, sites), original)

    xlsx = tmp_path / "responses.xlsx"
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "Part 1"
    ws.append(list(raw.columns))
    n_numbers = 0
    for row in raw.itertuples(index=False):
        cells = []
        for value in row:
            if value.isdigit():
                cells.append(int(value))
                n_numbers += 1
            else:
                cells.append(value if value != "" else None)
        ws.append(cells)
    book.save(xlsx)
    assert n_numbers > 100
    pd.testing.assert_frame_equal(load_part1(xlsx, sites), original)
    pd.testing.assert_frame_equal(load_part1(xlsx, sites, sheet="Part 1"), original)

"""Safe identifiers and output paths (peerlib.paths): nothing escapes its folder."""
from __future__ import annotations

import csv
from pathlib import Path

import pytest

from peerlib.cli import main
from peerlib.errors import UnsafePathError
from peerlib.paths import IDENTIFIER_MAX_LENGTH, check_identifier, identifier_problem, output_path

#: Site ids an attacker or an unlucky user typed (issue 10, "Path traversal through site_id").
HOSTILE_IDS = [
    "../../../PWNED_A",
    "S01/../../../X",
    "/tmp/PWNED_ABS",
    "C:\\PWNED",
    "..",
    "CON",
    "nul",
    "com1",
    "LPT9.txt",
    "S01\nS02",
    "S01\r",
    "S\u202e10",             # right-to-left override
    "S\u200f01",             # right-to-left mark
    "S\x0001",
    "N/1",
    "S" * 300,
    "S 01",
    "S01.",
    "Ünïcode",
    "",
]


@pytest.mark.parametrize("value", HOSTILE_IDS)
def test_hostile_identifiers_are_refused(value):
    assert identifier_problem(value) is not None
    with pytest.raises(UnsafePathError, match="site_id"):
        check_identifier(value)


@pytest.mark.parametrize("value", ["S01", "s-10", "SITE_007", "007", "A" * IDENTIFIER_MAX_LENGTH,
                                   "CONSORTIUM", "COM10"])
def test_ordinary_identifiers_pass(value):
    assert identifier_problem(value) is None
    assert check_identifier(value) == value


def test_identifier_length_limit_is_named():
    assert f"at most {IDENTIFIER_MAX_LENGTH}" in identifier_problem("A" * (IDENTIFIER_MAX_LENGTH + 1))


def test_output_path_stays_inside_its_folder(tmp_path):
    assert output_path(tmp_path, "sites", identifier="S01", suffix=".html") == \
        tmp_path / "sites" / "S01.html"
    assert output_path(tmp_path, "index.html") == tmp_path / "index.html"
    for bad in ("../x.html", "..", "a/b", "/etc/passwd"):
        with pytest.raises(UnsafePathError):
            output_path(tmp_path, bad)
    with pytest.raises(UnsafePathError):
        output_path(tmp_path, "sites", identifier="../../X", suffix=".html")


def test_output_path_refuses_a_symlink_out_of_the_folder(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    folder = tmp_path / "reports"
    folder.mkdir()
    (folder / "sites").symlink_to(outside)
    with pytest.raises(UnsafePathError, match="would not be inside"):
        output_path(folder, "sites", identifier="S01", suffix=".html")


def _write_register(path: Path, extra_ids: list[str]) -> None:
    rows = list(csv.reader(path.read_text(encoding="utf-8").splitlines()))
    header = rows[0]
    template = rows[1]
    for sid in extra_ids:
        row = list(template)
        row[header.index("site_id")] = sid
        row[header.index("site_name")] = f"Site {len(rows)}"
        if "aliases" in header:
            row[header.index("aliases")] = ""
        rows.append(row)
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)


def test_prepare_refuses_hostile_site_ids_naming_file_and_row(demo_project, capsys):
    ids = ["../../../PWNED_A", "CON", "S01/../../../X", "S\u202e10", "N/1", "S" * 300]
    _write_register(demo_project / "data" / "raw" / "sites.csv", ids)
    code = main(["prepare"])
    err = capsys.readouterr().err
    assert code == 1
    assert "Traceback" not in err
    assert not (demo_project / "data" / "processed" / "part1_long.parquet").exists()
    first = 11  # the demo register has 10 sites in rows 2-11
    for offset, _ in enumerate(ids, start=1):
        assert f"sites.csv, column site_id, row {first + offset}" in err
    assert "cannot be a site id" in err and "reserves for a device" in err
    assert "bidirectional" in err and "at most 64" in err


def test_reports_refuse_a_hostile_id_in_tampered_processed_data(demo_project, capsys):
    assert main(["prepare"]) == 0
    _write_register(demo_project / "data" / "processed" / "sites.csv", ["../../../PWNED_A"])
    out = demo_project / "reports"
    code = main(["reports", "--out", str(out), "--no-progress"])
    err = capsys.readouterr().err
    assert code in (1, 2)
    assert "Traceback" not in err
    assert "PWNED_A" in err and "sites.csv" in err
    assert not list(demo_project.parent.rglob("PWNED_A*"))

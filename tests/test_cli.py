"""The `peerlib` command: exit codes, messages, nothing changed on failure."""
from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from peerlib.cli import main

REPO = Path(__file__).resolve().parents[1]


def _digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_demo_data_then_prepare(demo_project, capsys):
    assert main(["demo-data"]) == 0
    assert "SYNTHETIC" in capsys.readouterr().out
    assert main(["prepare"]) == 0
    assert "prepared 68 participants, 544 rows" in capsys.readouterr().out
    assert (demo_project / "data" / "processed" / "part1_long.parquet").exists()


def test_prepare_bad_value_exit_1_lists_problem_and_changes_nothing(demo_project, capsys):
    assert main(["prepare"]) == 0
    processed = demo_project / "data" / "processed"
    before = _digest(processed)
    raw = demo_project / "data" / "raw" / "part1_responses.csv"
    lines = raw.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    col = header.index("q2_4_importance")
    cells = lines[5].split(",")
    cells[col] = "6"
    lines[5] = ",".join(cells)
    cells = lines[9].split(",")
    cells[header.index("q2_1_happening")] = "Maybe"
    lines[9] = ",".join(cells)
    raw.write_text("\n".join(lines) + "\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["prepare"]) == 1
    err = capsys.readouterr().err
    assert "2 problems found" in err
    assert "part1_responses.csv, column q2_4_importance, row 6: '6' is not on the" in err
    assert "allowed: 1 = Not at all important" in err
    assert "column q2_1_happening, row 10: 'Maybe'" in err
    assert "Traceback" not in err
    assert _digest(processed) == before


def test_demo_data_refuses_to_overwrite_real_data(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("PEERLIB_PROJECT_DIR", str(tmp_path))  # --project-dir sets it too
    raw = tmp_path / "data" / "raw"
    raw.mkdir(parents=True)
    (raw / "sites.csv").write_text("real register\n", encoding="utf-8")
    assert main(["--project-dir", str(tmp_path), "demo-data"]) == 2
    assert "Refusing to overwrite" in capsys.readouterr().err
    assert (raw / "sites.csv").read_text(encoding="utf-8") == "real register\n"


def test_reports_unknown_site_is_usage_error(capsys):
    assert main(["reports", "--sites", "S99", "--no-progress"]) == 2
    assert "Unknown site(s) S99" in capsys.readouterr().err


def test_reports_without_prepared_data_says_what_to_do(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("PEERLIB_PROJECT_DIR", str(tmp_path))  # --project-dir sets it too
    (tmp_path / "data" / "raw").mkdir(parents=True)
    assert main(["--project-dir", str(tmp_path), "reports", "--no-progress"]) == 2
    assert "peerlib prepare" in capsys.readouterr().err


def test_usage_errors_exit_2():
    with pytest.raises(SystemExit) as info:
        main(["no-such-command"])
    assert info.value.code == 2


@pytest.mark.parametrize("args, message", [
    (["--sites", ",,,"], "names no site"),
    (["--timeout", "0"], "--timeout must be at least 1"),
    (["--min-group-size", "0"], "min_group_size must be a whole number"),
    (["--jobs", "0"], "--jobs must be at least 1"),
])
def test_reports_rejects_bad_options_before_running(args, message, capsys, tmp_path):
    assert main(["reports", "--no-progress", "--out", str(tmp_path), *args]) == 2
    assert message in capsys.readouterr().err
    assert not any(tmp_path.iterdir())


def test_reports_warns_when_k_is_below_the_default(capsys, tmp_path):
    # an unknown site stops the run early; the warning comes first
    assert main(["reports", "--no-progress", "--out", str(tmp_path), "--min-group-size", "2",
                 "--sites", "S99"]) == 2
    assert "warning: --min-group-size 2 is below the default 5" in capsys.readouterr().err

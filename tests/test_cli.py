"""The `peerlib` command: exit codes, messages, nothing changed on failure."""
from __future__ import annotations

import hashlib
import os
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


def test_demo_data_if_empty_fills_a_fresh_data_raw_only(tmp_path, capsys, monkeypatch):
    """`make reports` on a fresh clone: data/raw holds only its README, so the whole demo is
    written; once it holds anything else (the study's files), nothing is touched."""
    monkeypatch.setenv("PEERLIB_PROJECT_DIR", str(tmp_path))  # --project-dir sets it too
    raw = tmp_path / "data" / "raw"
    raw.mkdir(parents=True)
    (raw / "README.md").write_text("what goes here\n", encoding="utf-8")
    assert main(["--project-dir", str(tmp_path), "demo-data", "--if-empty"]) == 0
    names = {p.name for p in raw.iterdir()}
    assert {"dataset.yaml", "sites.csv", "part1_responses.csv", "part2_demo.qdpx",
            "qda_documents.csv", "redaction_list.csv", "part2_demo.yaml"} <= names
    other = tmp_path / "other" / "data" / "raw"
    other.mkdir(parents=True)
    (other / "part1_responses.xlsx").write_bytes(b"the study's workbook")
    capsys.readouterr()
    assert main(["--project-dir", str(tmp_path / "other"), "demo-data", "--if-empty"]) == 0
    assert "already holds data" in capsys.readouterr().out
    assert [p.name for p in other.iterdir()] == ["part1_responses.xlsx"]


def test_prepare_refuses_demo_answers_called_real(demo_project, capsys):
    """A data set can call itself real (synthetic: false) only if its answers were not
    written by demo-data: exit 1, nothing prepared."""
    raw = demo_project / "data" / "raw"
    (raw / "dataset.yaml").write_text("name: Our study\nsynthetic: false\n", encoding="utf-8")
    assert main(["prepare"]) == 1
    err = capsys.readouterr().err
    assert "dataset.yaml" in err and "synthetic" in err
    assert "part1_responses.csv holds the synthetic demo answers" in err
    assert not (demo_project / "data" / "processed" / "part1_long.parquet").exists()
    text = (raw / "part1_responses.csv").read_text(encoding="utf-8")
    (raw / "part1_responses.csv").write_text(text.replace(",Yes,", ",No,", 1),
                                             encoding="utf-8")  # no longer the demo's file
    assert main(["prepare"]) == 0


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


# --------------------------------------------------------------------------- faults (issue 10)
import errno  # noqa: E402
import tempfile  # noqa: E402


@pytest.mark.parametrize("code, word", [(errno.EROFS, "read-only"), (errno.ENOSPC, "disk is full"),
                                        (errno.EACCES, "permission denied")])
def test_unwritable_output_folder_is_a_clear_error(demo_project, capsys, monkeypatch, code, word):
    """A read-only, full or forbidden --out: exit 2 naming the folder, no traceback, the
    previous outputs untouched."""
    out = demo_project / "elsewhere"
    assert main(["prepare", "--out", str(out)]) == 0
    before = _digest(out)
    capsys.readouterr()

    def refuse(*args, dir=None, **kwargs):
        raise OSError(code, os.strerror(code), str(dir))

    monkeypatch.setattr(tempfile, "mkdtemp", refuse)
    assert main(["prepare", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and word in err and str(demo_project) in err
    assert _digest(out) == before


def test_disk_full_while_writing_leaves_the_old_files(demo_project, capsys, monkeypatch):
    import pandas as pd

    assert main(["prepare"]) == 0
    processed = demo_project / "data" / "processed"
    before = _digest(processed)

    def full(self, path, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(pd.DataFrame, "to_parquet", full)
    assert main(["prepare"]) == 2
    err = capsys.readouterr().err
    assert "disk is full" in err and "Traceback" not in err
    assert _digest(processed) == before
    assert not [p for p in processed.parent.iterdir() if ".tmp-" in p.name]
    assert not [p for p in processed.iterdir() if p.name.startswith(".")]  # no staging left


def _taguette(folder: Path) -> Path:
    import pandas as pd

    path = folder / "taguette.csv"
    pd.DataFrame({"id": [1, 2], "document": ["Doc A", "Doc B"], "tag": ["Role", "Support"],
                  "content": ["one", "two"]}).to_csv(path, index=False)
    return path


def test_output_folder_on_a_file_system_of_its_own_is_written(demo_project, capsys,
                                                              own_file_system):
    """--out a mount point (a share, a USB disk, a tmpfs): prepare and import-codes write
    there (no "Invalid cross-device link", exit 3), and leave no staging folder."""
    mnt = demo_project / "mnt"
    mnt.mkdir()
    own_file_system(mnt)
    assert main(["prepare", "--out", str(mnt)]) == 0, capsys.readouterr().err
    assert main(["import-codes", str(_taguette(demo_project)), "--out", str(mnt)]) == 0, \
        capsys.readouterr().err
    names = sorted(p.name for p in mnt.iterdir())
    assert "part1_long.parquet" in names and "coded_segments.parquet" in names
    assert not [n for n in names if n.startswith(".")]
    assert not [p for p in demo_project.iterdir() if ".tmp-" in p.name]


@pytest.mark.parametrize("mounted", [False, True], ids=["folder", "mount point"])
def test_read_only_output_folder_is_a_clear_error(demo_project, capsys, read_only,
                                                  own_file_system, mounted):
    """A real read-only --out (mode 0555; simulated for root), also one that is a file
    system of its own (a read-only share): prepare and import-codes exit 2 naming the
    folder, no traceback, the previous outputs byte for byte."""
    out = demo_project / "ro"
    assert main(["prepare", "--out", str(out)]) == 0
    before = _digest(out)
    capsys.readouterr()
    read_only(out)
    if mounted:
        own_file_system(out)
    for args in (["prepare"], ["import-codes", str(_taguette(demo_project))]):
        assert main([*args, "--out", str(out)]) == 2
        err = capsys.readouterr().err
        assert "Traceback" not in err and "internal error" not in err, err
        assert f"cannot write to {out} (permission denied" in err, err
        assert _digest(out) == before


def test_full_disk_during_reports_names_the_reports_folder(demo_project, capsys, monkeypatch):
    """A write error that names no file (a full disk while writing) names the reports
    folder, not "."."""
    import peerlib.batch.run as run

    assert main(["prepare"]) == 0
    out = demo_project / "reports"

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(run, "write_mask", full)
    code = main(["reports", "--out", str(out), "--no-progress",
                 "--notebooks", str(REPO / "notebooks")])
    err = capsys.readouterr().err
    assert code == 2, err
    assert f"cannot write to {out} (the disk is full" in err and "Traceback" not in err
    assert not [p for p in out.iterdir() if p.name.startswith(".staging-")]


@pytest.mark.parametrize("command", ["prepare", "import-codes", "reports"])
def test_out_under_a_regular_file_is_a_usage_error(demo_project, capsys, command):
    afile = demo_project / "afile"
    afile.write_text("not a folder")
    assert main(["prepare"]) == 0
    args = {"prepare": ["prepare"], "reports": ["reports", "--no-progress", "--notebooks",
                                                   str(REPO / "notebooks")],
            "import-codes": ["import-codes", str(_taguette(demo_project))]}[command]
    for out in (afile / "x", afile):
        capsys.readouterr()
        assert main([*args, "--out", str(out)]) == 2
        err = capsys.readouterr().err
        assert f"cannot write to {out}" in err and "internal error" not in err, err
    assert afile.read_text() == "not a folder"


def test_reports_in_a_project_without_notebooks_is_a_usage_error(demo_project, capsys):
    assert main(["prepare"]) == 0
    capsys.readouterr()
    assert main(["reports", "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "internal error" not in err and "no folder of report templates" in err
    assert str(demo_project / "notebooks") in err
    assert main(["reports", "--no-progress", "--notebooks", str(demo_project)]) == 2
    assert "Report template not found" in capsys.readouterr().err


def _damage(path: Path, how: str) -> None:
    if how == "truncate":
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 2])
    elif how == "quote":  # as the checker found it: an unterminated quoted field
        path.write_bytes(b'\x00\xffgarbage: [\n"')
    else:
        path.write_bytes(b"\x00\xff garbage {[: \xfe")


@pytest.mark.parametrize("name, how, command", [
    ("part1_long.parquet", "truncate", "peerlib prepare"),
    ("part1_meta.json", "truncate", "peerlib prepare"),
    ("codebook.yaml", "garbage", "peerlib prepare"),
    ("codebook.yaml", "truncate", "peerlib prepare"),
    ("sites.csv", "garbage", "peerlib prepare"),
    ("coded_segments.parquet", "truncate", "peerlib import-codes"),
    ("theme_items.csv", "garbage", "peerlib import-codes"),
    ("theme_items.csv", "quote", "peerlib import-codes"),
    ("coded_segments_meta.json", "garbage", "peerlib import-codes"),
    ("coded_segments_meta.json", "truncate", "peerlib import-codes"),
])
def test_damaged_processed_file_names_it_and_the_command_that_rebuilds_it(
        tmp_path, capsys, name, how, command):
    from peerlib.paths import project_paths

    data = tmp_path / "processed"
    shutil.copytree(project_paths().processed, data)
    _damage(data / name, how)
    code = main(["reports", "--data", str(data), "--out", str(tmp_path / "reports"),
                 "--no-progress", "--notebooks", str(REPO / "notebooks")])
    err = capsys.readouterr().err
    assert code == 1, err
    assert "Traceback" not in err
    assert name in err and command in err and "damaged" in err
    assert "Correct the file" not in err


def test_a_bug_prints_no_traceback_but_names_a_file_holding_it(monkeypatch, capsys):
    import peerlib.cli as cli

    def boom(args):
        raise RuntimeError("unexpected state")

    monkeypatch.setattr(cli, "_run", boom)
    assert main(["prepare"]) == 3
    err = capsys.readouterr().err
    assert "Traceback" not in err and "unexpected state" in err and "internal error" in err
    log = Path(err.split("details in ")[1].split(".txt")[0] + ".txt")
    assert "Traceback" in log.read_text() and "RuntimeError" in log.read_text()
    log.unlink()


def test_report_failures_with_a_clear_cause_are_not_called_bugs():
    from peerlib.batch.plan import JobResult
    from peerlib.cli import _report_exit_code
    from peerlib.errors import ReportError

    def failed(*errors):
        return ReportError("x", [JobResult("S01", False, 0.0, e) for e in errors])

    assert _report_exit_code(failed("ProcessedDataError: damaged")) == 1
    assert _report_exit_code(failed("ParameterError: Unknown site_id")) == 2
    assert _report_exit_code(failed("CellTimeoutError: cell timed out")) == 2
    assert _report_exit_code(failed("ParameterError: x", "KeyError: 'a'")) == 3


def test_every_subcommand_explains_itself_and_every_option_is_in_the_readme():
    """Issue 12: `peerlib <command> --help` has a description line, and the README names
    every option of every command."""
    import argparse

    from peerlib.cli import build_parser

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    parser = build_parser()
    subs = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    missing = []
    for name, sub in subs.choices.items():
        assert sub.description and len(sub.description) > 40, name
        assert f"peerlib {name}" in readme, name
        for action in sub._actions + parser._actions:
            for flag in action.option_strings:
                if flag.startswith("--") and flag not in ("--help", "--version") \
                        and flag not in readme:
                    missing.append(f"{name} {flag}")
    assert not missing, "not in the README: " + ", ".join(missing)


def test_output_pipe_closed_early_is_not_reported_as_a_bug(demo_project):
    """`peerlib prepare | head -c 1`: the reader goes away before the command's last lines
    (helper-29 saw "internal error (a bug)", exit 3). Exit 141 as a command stopped by
    SIGPIPE, nothing on stderr, and the prepared data written whole."""
    import subprocess
    import sys

    code = ("import sys; from peerlib.cli import main; sys.exit(main(['prepare']))")
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader has gone before the first line
    for buffered in ("", "1"):  # block-buffered output, and PYTHONUNBUFFERED=1
        env = dict(os.environ, PYTHONUNBUFFERED=buffered)
        proc = subprocess.run([sys.executable, "-c", code], stdout=write_end,
                              stderr=subprocess.PIPE, env=env, timeout=300)
        err = proc.stderr.decode()
        assert proc.returncode == 141, err
        assert "internal error" not in err and "Traceback" not in err
        assert "Exception ignored" not in err
    os.close(write_end)
    assert (demo_project / "data" / "processed" / "part1_long.parquet").exists()

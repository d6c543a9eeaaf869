"""The ``peerlib`` command: ``demo-data``, ``prepare``, ``reports``, ``template``, ``import-codes``.

Exit codes: 0 success, 1 invalid input data, 2 wrong usage, 3 internal error (a bug: report
it), 130 interrupted, 141 output pipe closed early (as a command stopped by SIGPIPE).
"""
from __future__ import annotations

import argparse
import contextlib
import errno
import json
import os
import sys
import traceback
import warnings
from pathlib import Path

from . import __version__
from .disclosure import DEFAULT_MIN_GROUP_SIZE
from .errors import (
    EXIT_INTERNAL,
    EXIT_INVALID_DATA,
    EXIT_OK,
    EXIT_USAGE,
    AnswerDataError,
    ParameterError,
    PeerlibError,
    ReportError,
)

__all__ = ["main", "build_parser"]

#: Exit code when what reads the output stops early (128 + SIGPIPE, as shells report it).
EXIT_BROKEN_PIPE = 141


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``peerlib`` command."""
    parser = argparse.ArgumentParser(
        prog="peerlib",
        description="Peer worker case study workbench: prepare Part 1 data and build reports.")
    parser.add_argument("--version", action="version", version=f"peerlib {__version__}")
    parser.add_argument("--project-dir", help="project folder (default: PEERLIB_PROJECT_DIR, "
                        "else the current folder or the nearest parent with data/raw)")
    parser.add_argument("--limit", action="append", metavar="NAME=VALUE",
                        help="raise (or lower) a size limit for this run, e.g. --limit "
                        "raw_file=200 (MB); names: raw_file, source, archive, ratio, xml, "
                        "yaml, yaml_aliases (see peerlib.limits; also PEERLIB_MAX_<NAME>)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = sub.add_parser(
        "demo-data", help="write the synthetic demo data set",
        description="Write the synthetic demo data set (Part 1 answers of 68 invented "
        "interviews at 10 fictional sites, the site register, dataset.yaml with synthetic: "
        "true, and the coded Part 2 demo) into data/raw. Deterministic; never overwrites a "
        "file it did not write.")
    demo.add_argument("--out", help="folder (default data/raw)")
    demo.add_argument("--if-empty", action="store_true",
                      help="write only when the folder holds no data yet (nothing but "
                      "README.md); otherwise leave it as it is (what `make reports` runs)")

    prep = sub.add_parser(
        "prepare", help="validate raw Part 1 data and write data/processed",
        description="Read the raw Part 1 responses (the one part1_responses.* file in "
        "data/raw, or --responses) and the site register, normalise and validate them, "
        "pseudonymise participant IDs and write the tidy long table to data/processed. On "
        "invalid input every problem is listed (file, row, column, value, what is allowed), "
        "also in data/validation/, the exit code is 1 and data/processed is left as it was.")
    prep.add_argument("--responses", help="raw responses file (default data/raw/"
                      "part1_responses.csv/.xlsx)")
    prep.add_argument("--sites", help="site register (default data/raw/sites.csv)")
    prep.add_argument("--out", help="output folder (default data/processed)")
    prep.add_argument("--codebook", help="codebook YAML (default: the one shipped)")
    prep.add_argument("--sheet", help="worksheet of an .xlsx (default: the first)")
    prep.add_argument("--delimiter", help="CSV field separator (default: detected)")
    prep.add_argument("--encoding", help="CSV encoding (default: detected)")
    prep.add_argument("--column-map", help="CSV (from,to) or YAML file mapping the export's "
                      "column names to peerlib's (e.g. Q2.1a -> q2_1_happening)")
    prep.add_argument("--new-key", action="store_true", help="start over on purpose with "
                      "the pseudonym key now in use (or a new one), although data/processed "
                      "was prepared with another: every pseudonym changes")

    rep = sub.add_parser(
        "reports", help="run the report notebooks and export HTML",
        description="Build the reports from data/processed: the data-quality report, one "
        "report (HTML and PDF feedback pack) per site, the cross-site and framework-matrix "
        "reports, figures and the index, all published together. --sites S03 rebuilds that "
        "site's report. A failing report does not stop the others; the exit code says so.")
    rep.add_argument("--data", help="prepared data folder (default data/processed)")
    rep.add_argument("--out", help="reports folder (default reports)")
    rep.add_argument("--jobs", type=int, help="notebooks run at once (default: CPU cores)")
    rep.add_argument("--sites", help="comma-separated site ids (default: all in the register)")
    rep.add_argument("--min-group-size", type=int, default=None,
                     help="smallest group whose results are shown (default: the disclosure "
                     "policy's, 5 for default, 8 for nhs)")
    rep.add_argument("--disclosure", default=None, metavar="NAME",
                     help="disclosure policy: default (hide groups under 5) or nhs (hide "
                     "counts 1-7, round the others to 5, no means under 8); default: "
                     "disclosure: in data/raw/dataset.yaml, else default")
    rep.add_argument("--timeout", type=int, default=600,
                     help="seconds a notebook cell may run (default 600)")
    rep.add_argument("--notebooks", help="folder of the report templates (default notebooks)")
    rep.add_argument("--no-progress", action="store_true", help="no progress bar")
    rep.add_argument("--force", action="store_true",
                     help="build every report again, also those whose data, template and "
                          "code are unchanged (default: those are reused)")
    rep.add_argument("--scheduler", default=os.environ.get("PEERLIB_SCHEDULER") or None,
                     help="address of a Dask scheduler (tcp://host:8786) to run the reports "
                          "on (default: PEERLIB_SCHEDULER, else local worker processes)")
    rep.add_argument("--accept-policy-change", action="store_true",
                     help="publish under another disclosure policy than earlier reports of "
                          "the same participants (refused otherwise: the two sets together "
                          "could give small groups away); only after those reports have "
                          "been withdrawn from circulation")

    tpl = sub.add_parser(
        "template", help="write the Excel data-entry workbook (drop-down lists from the "
        "codebook and site register)",
        description="Write an Excel workbook for entering Part 1 answers: one row per "
        "interview, drop-down lists for site, role and every answer, the statement's wording "
        "on each header. Save the filled-in copy as data/raw/part1_responses.xlsx (and move "
        "any other part1_responses.* away): prepare then reads it as it is.")
    tpl.add_argument("--out", help="workbook to write (default reports/part1_data_entry.xlsx)")
    tpl.add_argument("--sites", help="site register (default data/raw/sites.csv)")
    tpl.add_argument("--codebook", help="codebook YAML (default: the one shipped)")

    imp = sub.add_parser(
        "import-codes", help="import coded Part 2 segments from a REFI-QDA project (.qdpx) "
        "or a Taguette highlights export (.csv/.xlsx)",
        description="Import the coded Part 2 transcripts from a QDA export: documents mapped "
        "to participants (data/raw/qda_documents.csv), withdrawn participants dropped, IDs "
        "pseudonymised and names, places and services redacted (data/raw/"
        "redaction_list.csv), written to data/processed/coded_segments.parquet. Nothing is "
        "written when anything is wrong.")
    imp.add_argument("path", help="the QDA export (e.g. data/raw/part2_demo.qdpx)")
    imp.add_argument("--documents", help="document name -> participant_id map (default "
                     "data/raw/qda_documents.csv when it exists)")
    imp.add_argument("--positions", choices=["auto", "codepoints", "utf16"], default="auto",
                     help="how .qdpx selection positions count: Unicode code points "
                     "(REFI-QDA 1.5), UTF-16 code units (NVivo), or auto (default)")
    imp.add_argument("--redactions", help="redaction list, columns term, category (default "
                     "data/raw/redaction_list.csv)")
    imp.add_argument("--codebook", help="code tree (.qdc or Taguette codebook CSV) to use")
    imp.add_argument("--sheet", help="worksheet of an .xlsx export (default: the first)")
    imp.add_argument("--out", help="output folder (default data/processed)")
    imp.add_argument("--new-key", action="store_true", help="import with the pseudonym key "
                     "now in use although data/processed was made with another")
    imp.add_argument("--allow-empty", action="store_true",
                     help="write an export with no coded segments (by default refused, so "
                     "that the earlier import is kept)")
    summ = sub.add_parser("import-summaries", help="read the summaries analysts wrote in "
                          "the framework workbook into data/processed (charting)",
                          description="Charting (framework method): read the Summary "
                          "columns and site summary rows that analysts filled in a copy of "
                          "the charting workbook data/processed/framework_charting.xlsx "
                          "(written by peerlib reports, with every participant; copy it "
                          "first, e.g. to data/raw/framework_summaries.xlsx, as the next "
                          "batch rewrites it), check them (unknown participants, sites or "
                          "themes, and renamed or missing theme sheets, are errors naming "
                          "the sheet and row), redact them, and write "
                          "data/processed/framework_summaries.parquet; nothing is replaced "
                          "on error.")
    summ.add_argument("path", help="the filled workbook: a copy of "
                      "data/processed/framework_charting.xlsx with its Summary columns "
                      "filled in (its theme sheets keep their names)")
    summ.add_argument("--data", help="processed folder (default data/processed)")
    summ.add_argument("--redactions", help="redaction list, columns term, category (default "
                      "data/raw/redaction_list.csv)")
    return parser


@contextlib.contextmanager
def _plain_warnings(command: str, category: type[Warning]):
    """Print warnings of ``category`` raised inside the block as plain messages on stderr
    ("peerlib import-codes: warning: ...", no Python source line), also when the block
    fails; other warnings are shown as Python shows them."""
    shown: list = []
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", category)
            try:
                yield
            finally:
                shown.extend(caught)
    finally:  # after the catch: showwarning is Python's again
        for w in shown:
            if issubclass(w.category, category):
                print(f"peerlib {command}: warning: {w.message}", file=sys.stderr)
            else:
                warnings.showwarning(w.message, w.category, w.filename, w.lineno)


def _mark_outdated(command: str, reports: Path, data: Path) -> None:
    """After the prepared data changed: mark the published reports made from earlier data as
    outdated now, not after the next batch."""
    from .batch import mark_outdated

    marked = mark_outdated(reports, data)
    if marked:
        print(f"peerlib {command}: {len(marked)} published reports are now marked outdated "
              "(made from earlier data); run peerlib reports to update them.")


def _run(args: argparse.Namespace) -> int:
    from .paths import project_paths

    if args.project_dir:
        os.environ["PEERLIB_PROJECT_DIR"] = str(Path(args.project_dir).resolve())
    from .limits import set_limits

    set_limits(args.limit)
    paths = project_paths()

    if args.command == "demo-data":
        from .part1.demo import write_demo_data
        from .part2.demo import write_qda_demo

        out = Path(args.out) if args.out else paths.raw
        if args.if_empty and out.is_dir() and any(
                p.name != "README.md" and not p.name.startswith(".") for p in out.iterdir()):
            print(f"{out} already holds data; the demo was not written.")
            return EXIT_OK
        for path in write_demo_data(out):
            print(f"wrote {path}")
        for path in write_qda_demo(out):
            print(f"wrote {path}")
        print("These files are SYNTHETIC demo data (dataset.yaml says synthetic: true).")
        return EXIT_OK

    if args.command == "prepare":
        from .errors import DataWarning
        from .part1.prepare import prepare

        with _plain_warnings(args.command, DataWarning):
            result = prepare(args.responses, args.sites, out=args.out,
                             codebook=args.codebook, sheet=args.sheet,
                             delimiter=args.delimiter, encoding=args.encoding,
                             column_map=args.column_map, new_key=args.new_key)
        print(f"prepared {result.n_participants} participants, {result.n_rows} rows "
              f"(participant x item) -> {result.out}")
        print(f"validation report (no problems; columns left behind): "
              f"{paths.validation / 'validation.html'}")
        _mark_outdated(args.command, paths.reports, result.out)
        return EXIT_OK

    if args.command == "template":
        from .part1.template import write_entry_template

        path = write_entry_template(args.out, sites=args.sites, codebook=args.codebook)
        print(f"wrote the data-entry workbook {path}\nFill in one row per interview on its "
              "first sheet and save it as data/raw/part1_responses.xlsx.")
        return EXIT_OK

    if args.command == "reports":
        from .batch import run_reports

        sites = None
        if args.sites is not None:
            sites = [s.strip() for s in args.sites.split(",") if s.strip()]
            if not sites:
                raise ParameterError(f"--sites {args.sites!r} names no site; give site ids "
                                     "separated by commas, e.g. --sites S01,S02")
        if args.timeout < 1:
            raise ParameterError(f"--timeout must be at least 1 second, got {args.timeout}")
        if args.min_group_size is not None \
                and 1 <= args.min_group_size < DEFAULT_MIN_GROUP_SIZE:
            print(f"peerlib reports: warning: --min-group-size {args.min_group_size} is below "
                  f"the default {DEFAULT_MIN_GROUP_SIZE}; results for groups this small can "
                  "identify participants. Do not share these reports outside the research "
                  "team.", file=sys.stderr)
        from .errors import DisclosureWarning

        with _plain_warnings(args.command, DisclosureWarning):
            batch = run_reports(args.data, args.out, jobs=args.jobs, sites=sites,
                                min_group_size=args.min_group_size, timeout=args.timeout,
                                notebooks=args.notebooks, progress=not args.no_progress,
                                force=args.force, scheduler=args.scheduler,
                                disclosure=args.disclosure,
                                accept_policy_change=args.accept_policy_change)
        reused = sum(r.reused for r in batch.results)
        print(f"{len(batch.results) - reused} reports written, {reused} reused (nothing they "
              f"are made from changed); open {batch.index}")
        return EXIT_OK
    if args.command == "import-codes":
        from .errors import QDAWarning
        from .part2.importer import write_coded_segments

        with _plain_warnings(args.command, QDAWarning):
            written = write_coded_segments(args.path, out=args.out, documents=args.documents,
                                           positions=args.positions,
                                           redactions=args.redactions, sheet=args.sheet,
                                           codebook=args.codebook, new_key=args.new_key,
                                           allow_empty=args.allow_empty)
        meta = json.loads(written[-1].read_text(encoding="utf-8"))
        print(f"imported {meta['n_segments']} coded segments from {meta['n_documents']} "
              f"documents ({meta['n_participants']} participants, "
              f"{meta.get('n_site_documents', 0)} site documents; positions: "
              f"{meta['positions']}, {meta['n_checked']} selections checked against the text)"
              f" -> {written[0].parent}")
        _mark_outdated(args.command, paths.reports, written[0].parent)
        return EXIT_OK
    if args.command == "import-summaries":
        from .errors import QDAWarning
        from .part1.prepare import load_prepared
        from .part2.framework import participants
        from .part2.summaries import load_summaries, write_summaries

        people = participants(load_prepared(args.data or None))
        with _plain_warnings(args.command, QDAWarning):
            written = write_summaries(args.path, people, data=args.data,
                                      redactions=args.redactions)
        table = load_summaries(written.parent)
        n_sites = int(table["participant_id"].isna().sum())
        print(f"imported {len(table)} summaries ({len(table) - n_sites} of participants, "
              f"{n_sites} of sites) -> {written}")
        return EXIT_OK
    raise AssertionError(args.command)  # argparse allows only the commands above


#: errno values that mean, for the output folder's own path, a file standing where the
#: folder or one of its parents should be (the others that mean "this folder cannot be
#: written" are :data:`peerlib._files.WRITE_ERRNOS`).
_NOT_A_FOLDER = {errno.ENOTDIR, errno.EEXIST}


def _output_folder(args: argparse.Namespace) -> Path | None:
    """The folder the command writes into (its ``--out``, else the project's default)."""
    from .paths import project_paths

    try:
        paths = project_paths()
    except Exception:  # noqa: BLE001 - only for naming the folder in a message
        return None
    out = getattr(args, "out", None)
    if args.command == "template":
        return Path(out).parent if out else paths.reports
    if args.command == "import-summaries":
        return Path(args.data) if getattr(args, "data", None) else paths.processed
    default = {"demo-data": paths.raw, "prepare": paths.processed, "import-codes":
               paths.processed, "reports": paths.reports}.get(args.command)
    return Path(out) if out else default


def _related(name: object, folder: Path | None) -> bool:
    """Whether the path ``name`` is ``folder``, inside it, or one of its parents."""
    from ._files import is_inside

    if folder is None or name is None:
        return False
    return is_inside(name, folder) or is_inside(folder, Path(os.fsdecode(name)))


def _write_problem(err: OSError, out: Path | None = None) -> str | None:
    """The message for an output folder that cannot be written, naming the folder: ``out``
    (the command's output folder) when the error is about it or names no file, else the
    folder of the file named. None when ``err`` is not such a problem (a bug)."""
    from ._files import WRITE_ERRNOS
    from .errors import OutputFolderError

    name = err.filename
    if err.errno in _NOT_A_FOLDER:
        if not _related(name, out):
            return None
        return str(OutputFolderError(out, err))
    if err.errno not in WRITE_ERRNOS:
        return None
    if out is not None and (name is None or _related(name, out)):
        return str(OutputFolderError(out, err))
    if name is None:
        return str(OutputFolderError("the output folder", err))
    target = Path(os.fsdecode(name))
    return str(OutputFolderError(target if target.is_dir() else target.parent, err))


def _report_exit_code(err: ReportError) -> int:
    """A batch whose reports failed only for reasons a user can act on (a damaged or
    mismatched file, a bad parameter, a timeout) exits with that reason's code; any other
    failure in a notebook is a bug (exit 3)."""
    from . import errors

    codes = set()
    for failure in err.failures:
        name = str(getattr(failure, "error", "")).split(":", 1)[0].strip()
        cls = getattr(errors, name, None)
        if isinstance(cls, type) and issubclass(cls, PeerlibError):
            codes.add(cls.exit_code)
        elif name in ("CellTimeoutError", "TimeoutError"):
            codes.add(EXIT_USAGE)
        else:
            codes.add(EXIT_INTERNAL)
    return max(codes) if codes else err.exit_code


def _crash_log() -> Path | None:
    """Write the current exception's traceback to a file; return it (None if impossible)."""
    import tempfile
    import time

    try:
        fd, name = tempfile.mkstemp(prefix=f"peerlib-error-{time.strftime('%Y%m%d-%H%M%S')}-",
                                    suffix=".txt")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(f"peerlib {__version__}\n")
            traceback.print_exc(file=fh)
        return Path(name)
    except OSError:
        return None


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit code (see the module docstring). No traceback
    is printed: a bug's traceback goes to a file the message names."""
    if argv is None:  # the command itself (a test calling main() passes its arguments)
        # pandera imports hypothesis, a test library, for its data-synthesis strategies at
        # its first validation whenever hypothesis is installed (it is, for the tests):
        # about 0.2 s of CPU a command that no command uses (as in batch kernels)
        sys.modules.setdefault("hypothesis", None)  # type: ignore[arg-type]
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code = _run(args)
        sys.stdout.flush()  # a closed pipe is met here, not in Python's final flush
        return code
    except AnswerDataError as err:
        print(f"peerlib {args.command}: invalid input data\n{err}", file=sys.stderr)
        report = getattr(err, "validation_report", None)
        if report is not None:
            print(f"Every problem is also listed in {report} (and validation.csv beside it).",
                  file=sys.stderr)
        return err.exit_code
    except ReportError as err:
        print(f"peerlib {args.command}: {err}", file=sys.stderr)
        return _report_exit_code(err)
    except PeerlibError as err:
        print(f"peerlib {args.command}: {err}", file=sys.stderr)
        return err.exit_code
    except FileNotFoundError as err:
        print(f"peerlib {args.command}: {err}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        # what reads our output stopped early (`peerlib prepare | head -1`): not a bug and
        # not an error to report to a reader who has gone; files are written atomically,
        # so none is half-written. Exit as a command stopped by SIGPIPE does (128 + 13),
        # with stdout sent nowhere so that Python's final flush cannot fail again.
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        return EXIT_BROKEN_PIPE
    except OSError as err:
        problem = _write_problem(err, _output_folder(args))
        if problem is None:
            return _internal(args.command)
        print(f"peerlib {args.command}: {problem}", file=sys.stderr)
        return EXIT_USAGE
    except MemoryError:
        print(f"peerlib {args.command}: ran out of memory. An input is probably far larger "
              "than expected; check it, or lower the size limits (--limit, see peerlib.limits)"
              "; nothing was written.", file=sys.stderr)
        return EXIT_INVALID_DATA
    except KeyboardInterrupt:
        print(f"peerlib {args.command}: interrupted; earlier outputs were left as they were",
              file=sys.stderr)
        return 130
    except Exception:  # a bug: say so plainly; the traceback goes to a file
        return _internal(args.command)


def _internal(command: str) -> int:
    """Report the exception being handled as a bug: one line, the traceback in a file."""
    kind, value, _ = sys.exc_info()
    log = _crash_log()
    print(f"peerlib {command}: internal error (a bug in peerlib {__version__}): "
          f"{getattr(kind, '__name__', kind)}: {str(value)[:300]}\nPlease report it"
          + (f" with the details in {log}." if log else "."), file=sys.stderr)
    return EXIT_INTERNAL


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

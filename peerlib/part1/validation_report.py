"""The validation report of ``peerlib prepare``: ``data/validation/validation.html`` and
``.csv`` (kept with the data managers, out of the shared ``reports/`` folder).

Every problem found in the input (file, row or SPSS case, column, value as typed, problem,
allowed values) in one place, so that a data manager can fix the file in one pass; on success,
a report saying so and naming the raw columns that were not carried into ``data/processed``
(identifiers, free text, anything outside the contract), never their values. Both files are
written beside each other's previous version and moved into place only once complete; text
from data is HTML-escaped, and CSV cells a spreadsheet would run as a formula are neutralised.
"""
from __future__ import annotations

import html
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from .. import __version__
from .._files import atomic_outputs, csv_bytes
from ..errors import PROBLEM_COLUMNS, row_word

__all__ = ["write_validation_report", "VALIDATION_FILES"]

#: File names written into the validation folder.
VALIDATION_FILES = ("validation.html", "validation.csv")
def _problems(problems: pd.DataFrame | None) -> pd.DataFrame:
    if problems is None:
        return pd.DataFrame(columns=PROBLEM_COLUMNS)
    return problems.reindex(columns=PROBLEM_COLUMNS).reset_index(drop=True)


def _csv_bytes(problems: pd.DataFrame) -> bytes:
    out = problems.copy()
    out["row"] = out["row"].astype("Int64")
    for col in ("file", "column", "value", "problem", "allowed"):
        out[col] = ["" if pd.isna(v) else str(v) for v in out[col]]
    # UTF-8 with a byte-order mark: Excel opens it with the right characters
    return csv_bytes(out, bom=True)


_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 72rem; color: #222; }
table { border-collapse: collapse; width: 100%; font-size: 0.9rem; }
th, td { border: 1px solid #ccc; padding: 0.3rem 0.5rem; text-align: left; vertical-align: top; }
th { background: #f0f0f0; }
td.value { font-family: ui-monospace, monospace; white-space: pre-wrap; }
.bad { background: #fdecea; border-left: 4px solid #c0392b; padding: 0.6rem 1rem; }
.ok { background: #eaf7ee; border-left: 4px solid #2e7d32; padding: 0.6rem 1rem; }
.note { color: #555; font-size: 0.85rem; }
"""


def _html(problems: pd.DataFrame, dropped: list[tuple[str, str]], inputs: list[str],
          dataset_name: str, n_participants: int | None, run_date: str,
          mapped: pd.DataFrame | None = None) -> str:
    e = html.escape
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             f"<title>Validation of the Part 1 input: {e(dataset_name)}</title>",
             f"<style>{_STYLE}</style></head><body>",
             "<h1>Validation of the Part 1 input</h1>",
             f'<p class="note">Data set: {e(dataset_name) or "(unnamed)"}. Files checked: '
             f'{e(", ".join(inputs)) or "(none)"}. Checked on {e(run_date)} by peerlib '
             f"{e(__version__)}.</p>"]
    n = len(problems)
    if n:
        parts.append(f'<p class="bad"><strong>{n} problem{"s" if n != 1 else ""} found.'
                     "</strong> Nothing in <code>data/processed</code> was changed. Correct "
                     "the entries (or add an alias to the codebook or site register) and run "
                     "<code>peerlib prepare</code> again. The same list is in "
                     "<code>validation.csv</code>.</p>")
        parts.append("<table><thead><tr><th>File</th><th>Row</th><th>Column</th>"
                     "<th>Value</th><th>Problem</th><th>Allowed</th></tr></thead><tbody>")
        for rec in problems.itertuples(index=False):
            where = "" if pd.isna(rec.row) else f"{row_word(rec.file)} {int(rec.row)}"
            value = "" if pd.isna(rec.value) else repr(str(rec.value))
            cells = ["" if pd.isna(v) else str(v) for v in (rec.file, where, rec.column)]
            parts.append("<tr>" + "".join(f"<td>{e(c)}</td>" for c in cells)
                         + f'<td class="value">{e(value)}</td>'
                         + f"<td>{e(str(rec.problem))}</td>"
                         + f"<td>{e('' if pd.isna(rec.allowed) else str(rec.allowed))}</td>"
                         + "</tr>")
        parts.append("</tbody></table>")
    else:
        who = ("" if n_participants is None else
               f" {n_participants} participant{'s' if n_participants != 1 else ''} prepared.")
        parts.append(f'<p class="ok"><strong>No problems found.</strong>{e(who)}</p>')
    parts.append("<h2>Raw columns not carried into data/processed</h2>")
    if dropped:
        parts.append("<p>Only the columns of the processed contract are kept "
                     "(participant IDs are replaced by pseudonyms). These columns of the raw "
                     "file were read and left behind; their values are not copied "
                     "anywhere.</p><table><thead><tr><th>Column</th><th>Why</th></tr>"
                     "</thead><tbody>")
        parts += [f"<tr><td>{e(str(name))}</td><td>{e(str(why))}</td></tr>"
                  for name, why in dropped]
        parts.append("</tbody></table>")
    elif not n:
        parts.append("<p>None: the raw file holds only the contract's columns.</p>")
    else:
        parts.append("<p>Listed once the problems above are fixed.</p>")
    if mapped is not None and not n:
        parts.append("<h2>Spellings read as another value</h2>")
        if len(mapped):
            parts.append("<p>Every spelling in the responses that was read as a different "
                         "answer, role or site, with how many cells had it. Check that each "
                         "reading is what was meant; to read a spelling otherwise, change its "
                         "alias in the codebook (or the site register's aliases).</p>"
                         "<table><thead><tr><th>Column</th><th>As typed</th><th>Read as</th>"
                         "<th>Cells</th></tr></thead><tbody>")
            parts += [f"<tr><td>{e(str(r.what))}</td><td class=\"value\">"
                      f"{e(repr(str(r.spelling)))}</td><td>{e(str(r.read_as))}</td>"
                      f"<td>{int(r.count)}</td></tr>" for r in mapped.itertuples(index=False)]
            parts.append("</tbody></table>")
        else:
            parts.append("<p>None: every answer, role and site was typed as its canonical "
                         "label.</p>")
    parts.append('<p class="note">This report quotes values from the raw files so that they '
                 "can be found and fixed: keep it with the raw data and do not circulate "
                 "it.</p></body></html>")
    return "\n".join(parts) + "\n"


def write_validation_report(out: str | Path, *, problems: pd.DataFrame | None = None,
                            dropped: list[tuple[str, str]] | None = None,
                            inputs: list[str] | tuple[str, ...] = (), dataset_name: str = "",
                            n_participants: int | None = None,
                            mapped: pd.DataFrame | None = None) -> tuple[Path, Path]:
    """Write ``validation.html`` and ``validation.csv`` into ``out``, replacing both at once.

    Parameters
    ----------
    out : str or Path
        The validation folder (created if needed); nothing else in it is touched.
    problems : pandas.DataFrame, optional
        The problem table of an :class:`~peerlib.errors.AnswerDataError` (columns
        :data:`~peerlib.errors.PROBLEM_COLUMNS`); None or empty for a clean run.
    dropped : list of (str, str), optional
        Raw columns not carried into processed data, as (column name in the file, why); names
        only.
    inputs : sequence of str
        Names of the files checked (shown in the report).
    dataset_name : str
        The data set's name (``dataset.yaml``).
    n_participants : int, optional
        Participants prepared (shown on success).
    mapped : pandas.DataFrame, optional
        :func:`peerlib.part1.validate.mapped_spellings`: every raw spelling read as another
        canonical answer, role or site, with its count (listed on success).

    Returns
    -------
    tuple of Path
        The HTML and CSV files written. The CSV has the columns ``file``, ``row`` (spreadsheet
        row, or SPSS case number for a ``.sav`` file; blank for a whole file or column),
        ``column``, ``value`` (as typed), ``problem``, ``allowed``; UTF-8 with a byte-order
        mark; header only when there are no problems.

    Raises
    ------
    OSError
        When the folder cannot be written; the previous report files are then unchanged.

    Notes
    -----
    Both files are staged beside ``out`` and moved over their namesakes only after both
    were written completely (:func:`peerlib._files.atomic_outputs`). Every text from data is
    escaped in the HTML (``html.escape``) and every CSV cell starting with ``=``, ``+``,
    ``-``, ``@``, tab or carriage return gets a leading ``'`` (:func:`peerlib._files.neutralise_formula`).
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    table = _problems(problems)
    run_date = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    text = _html(table, list(dropped or []), list(inputs), dataset_name, n_participants,
                 run_date, mapped)
    targets = (out / VALIDATION_FILES[0], out / VALIDATION_FILES[1])
    with atomic_outputs(out) as stage:
        (stage / VALIDATION_FILES[0]).write_bytes(text.encode("utf-8"))
        (stage / VALIDATION_FILES[1]).write_bytes(_csv_bytes(table))
    return targets

"""Charting: the analysts' summaries of the framework matrix, read back from the workbook.

In the framework method, *charting* is summarising each participant's data on each theme
in the matrix, with references to the excerpts that support the summary (Gale et al. 2013,
step 6). The framework workbooks (:func:`peerlib.reporting.excel.export_workbook`) have, on
every theme sheet, a "Summary" column beside each participant's excerpts and a site summary
row per site. The analysts fill them in a copy of the charting workbook
``data/processed/framework_charting.xlsx`` (every participant; the published
``reports/framework_matrix.xlsx`` leaves out the rows of hidden sites) and ``peerlib
import-summaries PATH`` reads them back into ``data/processed/framework_summaries.parquet``,
which the next reports show and the next workbooks are written with. A hidden sheet
(:data:`INDEX_SHEET`) names the theme of every sheet: a renamed or missing theme sheet is an
error, never a summary left out without a word.

Each row of a theme sheet carries (in a hidden column) a fingerprint of the excerpts it
showed when it was written; a summary whose participant's excerpts have changed since (a
re-import of the coding) is listed in a warning, since it may no longer fit them.

References
----------
Gale, N. K., Heath, G., Cameron, E., Rashid, S., & Redwood, S. (2013). Using the framework
method for the analysis of qualitative data in multi-disciplinary health research. BMC
Medical Research Methodology, 13, 117.
"""
from __future__ import annotations

import hashlib
import warnings
from pathlib import Path

import pandas as pd

from .._files import atomic_outputs
from ..errors import QDAError, QDAWarning
from ..paths import project_paths
from .framework import primary_coding, themes
from .redaction import REDACTION_FILE, read_redaction_list, redact
from .segments import PATH_SEPARATOR, is_transcript

__all__ = ["SUMMARY_HEADER", "SITE_ROW", "FINGERPRINT_HEADER", "INDEX_SHEET",
           "SUMMARY_COLUMNS", "SUMMARIES_FILE", "excerpt_fingerprints", "read_summaries",
           "write_summaries", "load_summaries", "supporting_references", "charting_sheets"]

#: Header of the analysts' column on every theme sheet.
SUMMARY_HEADER = "Summary"
#: What the participant column says on a site's summary row.
SITE_ROW = "(site summary)"
#: Header of the hidden column holding each row's excerpt fingerprint.
FINGERPRINT_HEADER = "peerlib excerpt fingerprint"
#: Hidden sheet mapping sheet names to themes.
INDEX_SHEET = "peerlib_index"
#: The processed file of summaries.
SUMMARIES_FILE = "framework_summaries.parquet"
#: Columns of the summaries table.
SUMMARY_COLUMNS = ["theme", "site_id", "participant_id", "summary", "fingerprint", "sheet",
                   "row"]
_SITE_HEADER = "Site"
_PARTICIPANT_HEADER = "Participant"


def _theme(paths: pd.Series) -> pd.Series:
    return paths.astype(str).str.split(PATH_SEPARATOR).str[0]


def excerpt_fingerprints(segments: pd.DataFrame) -> dict[tuple[str, str], str]:
    """A short fingerprint of each participant's excerpts under each theme.

    Returns
    -------
    dict
        (participant_id, theme) -> 16 hex digits of the SHA-256 of the participant's
        excerpts under the theme (document, positions, code path and text, in a fixed
        order); site documents and unmapped documents are left out.
    """
    seg = primary_coding(segments)
    seg = seg[is_transcript(seg)].dropna(subset=["participant_id"]).copy()
    seg["theme"] = _theme(seg["code_path"])
    out = {}
    for (pid, theme), sub in seg.groupby(["participant_id", "theme"], sort=True):
        lines = sorted(f"{d}\x1f{s}\x1f{e}\x1f{p}\x1f{t}" for d, s, e, p, t in zip(
            sub["document"], sub["start"], sub["end"], sub["code_path"], sub["text"]))
        out[(str(pid), str(theme))] = hashlib.sha256(
            "\x1e".join(lines).encode("utf-8")).hexdigest()[:16]
    return out


def _frame(rows: list[dict]) -> pd.DataFrame:
    out = pd.DataFrame(rows, columns=SUMMARY_COLUMNS)
    out = out.astype({c: "string" for c in SUMMARY_COLUMNS if c != "row"})
    out["row"] = pd.array(out["row"], dtype="Int64")
    return out


def _sheet_problems(wb, index: dict[str, str]) -> list[str]:
    """The sheets that do not match the hidden index: a theme sheet the index names that
    the workbook lacks (renamed or deleted), and a sheet holding summaries that the index
    does not know (a renamed theme sheet, or one added by hand), whose summaries would
    otherwise be left out without a word."""
    expected = ", ".join(repr(s) for s in index) or "none"
    problems = []
    for sheet, theme in index.items():
        if sheet not in wb.sheetnames:
            problems.append(f"sheet {sheet!r} (theme {theme!r}) is missing: was it renamed "
                            f"or deleted? The theme sheets must keep the names peerlib gave "
                            f"them: {expected}")
    for sheet in wb.sheetnames:
        if sheet == INDEX_SHEET or sheet in index:
            continue
        filled = _summary_rows(wb[sheet])
        if filled:
            problems.append(f"sheet {sheet!r}, row {filled[0]}: holds summaries but is not a "
                            f"theme sheet of this workbook (was it renamed?); the theme "
                            f"sheets are called {expected}. Rename it back to its theme's "
                            "name, or move the summaries to that sheet")
    return problems


def _summary_rows(ws) -> list[int]:
    """Spreadsheet rows of a sheet with text in a column headed :data:`SUMMARY_HEADER`."""
    values = ws.iter_rows(values_only=True)
    header = next(values, None) or ()
    header = [str(v).strip() if v is not None else "" for v in header]
    if SUMMARY_HEADER not in header:
        return []
    col = header.index(SUMMARY_HEADER)
    return [r for r, rec in enumerate(values, start=2)
            if col < len(rec) and rec[col] is not None and str(rec[col]).strip()]


def read_summaries(path: str | Path, segments: pd.DataFrame, people: pd.DataFrame, *,
                   redactions: pd.DataFrame | None = None) -> pd.DataFrame:
    """Read the summaries analysts typed into a framework workbook, checked.

    Parameters
    ----------
    path : str or Path
        A framework workbook written by peerlib (normally a copy of
        ``data/processed/framework_charting.xlsx``; it has a hidden sheet
        :data:`INDEX_SHEET` naming the theme of every sheet), with summaries filled in.
    segments : pandas.DataFrame
        The coded segments now imported (to check participants and themes, and whether the
        excerpts changed).
    people : pandas.DataFrame
        :func:`~peerlib.part2.framework.participants` of the Part 1 data (participants and
        their sites).
    redactions : pandas.DataFrame, optional
        The redaction list: its terms are replaced in every summary.

    Returns
    -------
    pandas.DataFrame
        One row per non-blank summary, columns :data:`SUMMARY_COLUMNS`: ``theme``,
        ``site_id``, ``participant_id`` (NA on a site summary row), ``summary`` (redacted,
        surrounding space removed), ``fingerprint`` (the row's excerpts when written),
        ``sheet`` and ``row`` (the spreadsheet row, header = 1). ``attrs`` is not used; a
        warning lists rows whose excerpts changed since the workbook was written.

    Raises
    ------
    QDAError
        The file is not a readable workbook or not a peerlib framework workbook; a theme
        sheet of the hidden index is missing (renamed or deleted), or a sheet the index
        does not know holds summaries (its summaries would be lost); a sheet names a theme
        that is not in the coding; a row names a participant who has no
        coded transcript or a site that is not theirs, or a site that is not in the data;
        a summary row has no site; a participant or site is summarised twice on one sheet.
        Every problem is listed with its sheet and row.
    FileNotFoundError
        When ``path`` does not exist.

    Warns
    -----
    QDAWarning
        Rows whose participant's excerpts changed since the workbook was written.
    """
    from openpyxl import load_workbook

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"Summaries workbook not found: {path}")
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as err:  # openpyxl raises several types for a damaged file
        raise QDAError(path, "", f"is not a readable Excel workbook ({err})",
                       "Save the framework workbook as .xlsx and run again; nothing was "
                       "written.") from err
    try:
        if INDEX_SHEET not in wb.sheetnames:
            raise QDAError(path, "", f"has no sheet {INDEX_SHEET!r}, so it is not a framework "
                           "workbook written by peerlib",
                           "Fill in the Summary columns of a copy of "
                           "data/processed/framework_charting.xlsx (written by peerlib "
                           "reports) and import that; nothing was written.")
        index = {}
        for rec in list(wb[INDEX_SHEET].iter_rows(min_row=2, values_only=True)):
            if rec and rec[0]:
                index[str(rec[0])] = str(rec[1])
        known_themes = set(themes(segments))
        coded = segments[is_transcript(segments)].dropna(subset=["participant_id"])
        coded_ids = set(coded["participant_id"].astype(str))
        site_of = dict(zip(people["participant_id"].astype(str),
                           people["site_id"].astype(str)))
        site_of.update({p: str(s) for p, s in zip(coded["participant_id"].astype(str),
                                                   coded["site_id"].astype(str))
                        if p not in site_of and not pd.isna(s)})
        sites = set(site_of.values()) | set(segments["site_id"].dropna().astype(str))
        current = excerpt_fingerprints(segments)
        rows, problems, changed = [], [], []
        problems += _sheet_problems(wb, index)
        for sheet, theme in index.items():
            if sheet not in wb.sheetnames:
                continue  # listed by _sheet_problems
            if theme not in known_themes:
                problems.append(f"sheet {sheet!r}: theme {theme!r} is not in the imported "
                                f"coding (themes: {', '.join(sorted(known_themes))})")
                continue
            values = list(wb[sheet].iter_rows(values_only=True))
            if not values:
                continue
            header = [str(v).strip() if v is not None else "" for v in values[0]]
            cols = {name: header.index(name) for name in
                    (_SITE_HEADER, _PARTICIPANT_HEADER, SUMMARY_HEADER, FINGERPRINT_HEADER)
                    if name in header}
            if SUMMARY_HEADER not in cols or _SITE_HEADER not in cols \
                    or _PARTICIPANT_HEADER not in cols:
                lacking = [n for n in (_SITE_HEADER, _PARTICIPANT_HEADER, SUMMARY_HEADER)
                           if n not in cols]
                problems.append(f"sheet {sheet!r}: the header row lacks "
                                f"{', '.join(lacking)}")
                continue
            seen = {}
            for r, rec in enumerate(values[1:], start=2):
                def cell(name):
                    i = cols.get(name)
                    v = rec[i] if i is not None and i < len(rec) else None
                    return "" if v is None else str(v).strip()

                text = cell(SUMMARY_HEADER)
                if not text:
                    continue
                site, pid = cell(_SITE_HEADER), cell(_PARTICIPANT_HEADER)
                where = f"sheet {sheet!r}, row {r}"
                if not site:
                    problems.append(f"{where}: a summary with no site")
                    continue
                if pid in ("", SITE_ROW):
                    if site not in sites:
                        problems.append(f"{where}: site {site!r} is not in the data "
                                        f"(sites: {', '.join(sorted(sites))})")
                        continue
                    pid_value = None
                elif pid not in coded_ids:
                    problems.append(f"{where}: participant {pid!r} has no coded transcript "
                                    "in the imported coding (unknown participant)")
                    continue
                elif site_of.get(pid) not in (None, site):
                    problems.append(f"{where}: participant {pid!r} is at site "
                                    f"{site_of.get(pid)!r}, not {site!r}")
                    continue
                else:
                    pid_value = pid
                key = (site, pid_value)
                if key in seen:
                    who = f"site {site}" if pid_value is None else f"participant {pid}"
                    problems.append(f"{where}: {who} is summarised twice on this sheet "
                                    f"(also row {seen[key]})")
                    continue
                seen[key] = r
                fp = cell(FINGERPRINT_HEADER)
                if pid_value is not None and fp and current.get((pid_value, theme), "") != fp:
                    changed.append(f"{where} (participant {pid_value})")
                rows.append({"theme": theme, "site_id": site, "participant_id": pid_value,
                             "summary": text, "fingerprint": fp or None, "sheet": sheet,
                             "row": r})
    finally:
        wb.close()
    if problems:
        raise QDAError(path, "", problems, "Correct the workbook and run again; nothing was "
                       "written.")
    out = _frame(rows)
    if redactions is not None and len(out):
        out["summary"] = redact(out["summary"], redactions)
    if changed:
        warnings.warn(f"{path.name}: {len(changed)} summary row(s) were written against "
                      f"excerpts that have changed since (the coding was imported again): "
                      f"{'; '.join(changed[:20])}{' ...' if len(changed) > 20 else ''}. "
                      "Check that these summaries still fit the excerpts.", QDAWarning,
                      stacklevel=2)
    return out


def write_summaries(path: str | Path, people: pd.DataFrame, *,
                    data: str | Path | None = None,
                    redactions: str | Path | None = None) -> Path:
    """``peerlib import-summaries``: read a filled framework workbook and write
    ``framework_summaries.parquet`` into the processed folder, atomically.

    Parameters
    ----------
    path : str or Path
        The filled workbook (:func:`read_summaries`).
    people : pandas.DataFrame
        :func:`~peerlib.part2.framework.participants` of the prepared Part 1 data.
    data : str or Path, optional
        The processed folder (default ``data/processed``) holding the coded segments.
    redactions : str or Path, optional
        The redaction list (default ``data/raw/redaction_list.csv`` when it exists).

    Returns
    -------
    pathlib.Path
        The file written.

    Raises
    ------
    QDAError, FileNotFoundError
        As :func:`read_summaries`; FileNotFoundError also when no coded segments were
        imported. Nothing is written when any is raised: an earlier
        ``framework_summaries.parquet`` stays as it was.
    """
    from .segments import load_coded_segments

    paths = project_paths()
    folder = Path(data) if data else paths.processed
    segments = load_coded_segments(folder)
    red_path = Path(redactions) if redactions else paths.raw / REDACTION_FILE
    if redactions and not red_path.exists():
        raise FileNotFoundError(f"Redaction list not found: {red_path}")
    terms = read_redaction_list(red_path) if red_path.exists() else None
    table = read_summaries(path, segments, people, redactions=terms)
    with atomic_outputs(folder) as stage:
        table.to_parquet(stage / SUMMARIES_FILE, index=False)
    return folder / SUMMARIES_FILE


def load_summaries(data: str | Path | None = None) -> pd.DataFrame:
    """The imported summaries (:data:`SUMMARY_COLUMNS`); an empty table when none were
    imported."""
    folder = Path(data) if data else project_paths().processed
    path = folder / SUMMARIES_FILE
    if not path.exists():
        return _frame([])
    table = pd.read_parquet(path)
    return _frame(table[SUMMARY_COLUMNS].to_dict("records"))


def supporting_references(segments: pd.DataFrame, participant_id: str, theme: str) -> str:
    """The references of a participant's excerpts under a theme ("document, start-end",
    "; "-separated), shown beside a summary as the excerpts that support it."""
    seg = primary_coding(segments)
    seg = seg[(seg["participant_id"].astype(str) == str(participant_id))
              & (_theme(seg["code_path"]) == theme)]
    refs = [str(d) if pd.isna(a) else f"{d}, {int(a)}-{int(b)}"
            for d, a, b in zip(seg["document"], seg["start"], seg["end"])]
    return "; ".join(dict.fromkeys(refs))


def charting_sheets(sheets: dict[str, pd.DataFrame], segments: pd.DataFrame,
                    summaries: pd.DataFrame | None = None) -> dict[str, pd.DataFrame]:
    """Theme sheets ready for charting: a summary column per participant and a site
    summary row per site, filled with the summaries imported so far.

    Parameters
    ----------
    sheets : dict of str to pandas.DataFrame
        :func:`~peerlib.part2.framework.theme_sheets` (roles masked for publishing).
    segments : pandas.DataFrame
        The coded segments (for the excerpt fingerprints).
    summaries : pandas.DataFrame, optional
        :func:`load_summaries`: a re-exported workbook keeps the analysts' summaries.

    Returns
    -------
    dict of str to pandas.DataFrame
        Theme -> the sheet's rows with, after each site's participants, a site row
        (``participant_id`` = :data:`SITE_ROW`, other case and code cells NA/""), and two
        more columns: ``summary`` (the imported summary, "" when none) and
        ``fingerprint`` (the participant's excerpts on the theme, :func:`excerpt_fingerprints`;
        "" on a site row).
    """
    prints = excerpt_fingerprints(segments)
    known: dict[tuple[str, str, str], str] = {}
    if summaries is not None and len(summaries):
        for t, s, p, text in zip(summaries["theme"], summaries["site_id"],
                                 summaries["participant_id"], summaries["summary"]):
            known[(str(t), str(s), SITE_ROW if pd.isna(p) else str(p))] = str(text)
    out = {}
    for theme, frame in sheets.items():
        code_cols = [c for c in frame.columns if c not in
                     ("site_id", "participant_id", "sector", "organisation_type", "role")]
        rows = []
        records = frame.to_dict("records")
        for i, rec in enumerate(records):
            site, pid = str(rec["site_id"]), str(rec["participant_id"])
            rows.append({**rec, "summary": known.get((theme, site, pid), ""),
                         "fingerprint": prints.get((pid, theme), "")})
            last = i + 1 == len(records) or str(records[i + 1]["site_id"]) != site
            if last:
                blank = {c: pd.NA for c in frame.columns}
                blank.update({c: "" for c in code_cols})
                rows.append({**blank, "site_id": site, "participant_id": SITE_ROW,
                             "summary": known.get((theme, site, SITE_ROW), ""),
                             "fingerprint": ""})
        table = pd.DataFrame(rows, columns=[*frame.columns, "summary", "fingerprint"])
        out[theme] = table.astype("string")
    return out

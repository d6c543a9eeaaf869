"""Validation of the site register and the raw Part 1 responses (pandera), all problems at once.

Values are first mapped through the codebook (:mod:`peerlib.codebook`); whatever could not be
mapped keeps the text as typed, so that the pandera checks below report it with its file,
spreadsheet row, column, value and the allowed values. Nothing is raised before every column
and every row has been checked.
"""
from __future__ import annotations

import difflib
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa

from ..codebook import (HAPPENING, IMPORTANCE, MISSING_TOKENS, Codebook, item_columns,
                        normalise_label)
from ..errors import row_word
from ..errors import PROBLEM_COLUMNS, AnswerDataError, DataWarning
from ..paths import IDENTIFIER_RULE, identifier_problem
from .read import _header_name, first_data_row, read_table

__all__ = [
    "ORGANISATION_TYPES",
    "SECTORS",
    "SITE_COLUMNS",
    "read_site_register",
    "normalise_responses",
    "response_columns",
    "long_schema",
    "problems_frame",
    "mapped_spellings",
    "MISSING_TOKENS",
]

#: Text Excel makes of an ID it took for a date: 2024-03-01 (00:00:00), 01/03/2024, 1-Mar,
#: Mar-01, 01-Mar-24.
_DATE_LIKE = re.compile(
    r"^(\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2})?)?|\d{1,2}/\d{1,2}/\d{2,4}|"
    r"\d{1,2}-[A-Za-z]{3}(-\d{2,4})?|[A-Za-z]{3}-\d{1,4})$")

#: Allowed organisation types of the site register (DESIGN.md).
ORGANISATION_TYPES = ("NHS trust", "Partnership", "Voluntary sector")
#: The two-way sector split used in the analysis.
SECTORS = ("NHS", "Voluntary")
#: Columns of the validated site register.
SITE_COLUMNS = ["site_id", "site_name", "organisation_type", "sector", "bme_focus", "aliases"]
_REQUIRED_SITE_COLUMNS = SITE_COLUMNS[:5]
_BOOL = {"true": True, "yes": True, "y": True, "1": True,
         "false": False, "no": False, "n": False, "0": False}


def problems_frame(rows: list[dict] | None = None) -> pd.DataFrame:
    """An empty (or filled) problem table with the columns of :data:`errors.PROBLEM_COLUMNS`."""
    frame = pd.DataFrame(rows or [], columns=PROBLEM_COLUMNS)
    frame["row"] = frame["row"].astype("Int64")
    return frame


def _close(value: str, options: list[str]) -> str:
    matches = difflib.get_close_matches(str(value), options, n=3, cutoff=0.5)
    return f"; close matches: {', '.join(matches)}" if matches else ""


def _collect(failures: pd.DataFrame, raw: pd.DataFrame, source: str,
             explain: dict[str, tuple[str, str]]) -> list[dict]:
    """Turn pandera failure cases into problem rows, quoting the value as typed."""
    rows = []
    for rec in failures.itertuples(index=False):
        column = rec.column if isinstance(rec.column, str) else ""
        index = rec.index
        if column == "" or pd.isna(index):
            continue  # schema-level failures are reported separately
        index = int(index)
        typed = raw.at[index, column] if column in raw.columns else rec.failure_case
        check = str(rec.check)
        if check == "field_uniqueness" and str(typed).strip() == "":
            continue  # reported once, as blank
        if check == "field_uniqueness":
            problem, allowed = "appears more than once", "each participant once"
        elif check.startswith("str_length"):
            problem, allowed = "is blank", "a value in every row"
        else:
            problem, allowed = explain.get(column, ("is not allowed", ""))
        rows.append({"file": source, "row": index + first_data_row(raw), "column": column,
                     "value": typed, "problem": problem, "allowed": allowed})
    return rows


def _validate(frame: pd.DataFrame, schema: pa.DataFrameSchema, raw: pd.DataFrame,
              source: str, explain: dict[str, tuple[str, str]]) -> list[dict]:
    try:
        schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as err:
        return _collect(err.failure_cases, raw, source, explain)
    return []


def _header_problem(raw: pd.DataFrame, names: list[str], source: str) -> dict | None:
    """When required columns are missing but a data row near the top holds their names, the
    header is not in row 1 (a title or notes above it): say so, rather than listing every
    column as missing."""
    missing = {_header_name(c) for c in names if _header_name(c) not in raw.columns}
    if not missing:
        return None
    needed = min(2, len(missing))
    for idx in list(raw.index)[:30]:
        cells = {_header_name(v) for v in raw.loc[idx].tolist()}
        if len(cells & missing) >= needed:
            row = idx + first_data_row(raw)
            return {"file": source, "row": row, "column": "", "value": pd.NA,
                    "problem": f"the header row seems to be row {row}; put it in row 1 or "
                               "delete the rows above it (a title, notes, blank rows), or "
                               "copy the table to a sheet of its own",
                    "allowed": "column names in row 1, one interview per row below"}
    return None


def _missing_columns(raw: pd.DataFrame, required: list[str], source: str,
                     mapped: dict[str, str] | None = None,
                     skip: set[str] = frozenset(), known: set[str] = frozenset()) -> list[dict]:
    """One problem per required column that is not in ``raw``. ``mapped`` is the column map
    (target -> export name) when one was given; ``skip`` the columns already reported;
    ``known`` the names peerlib reads (not offered as unmapped columns)."""
    missing = [c for c in required if c not in raw.columns and c not in skip]
    if not missing:
        return []
    sav = first_data_row(raw) == 1 and source.lower().endswith(".sav")
    where = "from the file's variables" if sav else "from the header row (row 1)"
    found = ", ".join(c for c in raw.columns if c) or "(none)"
    others = raw.attrs.get("other_sheets") or []
    if others and mapped is None:  # probably the wrong sheet: say so once, not per column
        return [{"file": source, "row": pd.NA, "column": ", ".join(missing), "value": pd.NA,
                 "problem": f"{len(missing)} required column(s) are missing from sheet "
                            f"{raw.attrs.get('sheet')!r}; the workbook also has sheet(s) "
                            f"{', '.join(map(repr, others))}: choose the data sheet with "
                            "--sheet",
                 "allowed": f"columns found: {found}"}]
    if mapped is None:
        return [{"file": source, "row": pd.NA, "column": c, "value": pd.NA,
                 "problem": f"required column is missing {where}",
                 "allowed": f"columns found: {found}"} for c in missing]
    unused = ", ".join(c for c in raw.columns if c and c not in required
                       and c not in known) or "(none)"
    rows = []
    for c in missing:
        if c in mapped:
            problem = (f"required column is missing: the column map takes it from "
                       f"{mapped[c]!r}, which is not {where.replace('from ', 'in ')}")
        else:
            problem = (f"required column is missing {where} and the column map does not "
                       "name it")
        rows.append({"file": source, "row": pd.NA, "column": c, "value": pd.NA,
                     "problem": problem,
                     "allowed": f"map it from one of the unmapped columns: {unused}"})
    return rows


def read_site_register(path: str | Path) -> pd.DataFrame:
    """Read and validate the site register (``data/raw/sites.csv``).

    Parameters
    ----------
    path : str or Path
        CSV or XLSX with columns ``site_id``, ``site_name``, ``organisation_type``
        (NHS trust | Partnership | Voluntary sector), ``sector`` (NHS | Voluntary),
        ``bme_focus`` (true/false, yes/no, 1/0) and optional ``aliases`` (``;``-separated
        other spellings of the site id or name used in response files).

    Returns
    -------
    pandas.DataFrame
        One row per site in register order, columns :data:`SITE_COLUMNS`, then any other
        column of the register (attributes a study adds, such as ``region`` or
        ``setting``, kept as ``string`` for cross-case comparison); ``site_id`` and
        names as ``string``, ``organisation_type`` and ``sector`` canonical spellings,
        ``bme_focus`` boolean, ``aliases`` a tuple of str.

    Raises
    ------
    AnswerDataError
        Listing every problem at once (missing column, blank or repeated site id, a site id
        that is not a safe identifier (:data:`peerlib.paths.IDENTIFIER_RULE`), unknown
        organisation type or sector, bme_focus not true/false), with file, row and value.
    """
    raw = read_table(path)
    source = raw.attrs.get("source", Path(path).name)
    if len(raw) == 0:
        raise AnswerDataError(problems_frame([{
            "file": source, "row": pd.NA, "column": "", "value": pd.NA,
            "problem": "has no sites: only a header row was found",
            "allowed": "one row per case-study site below the header"}]))
    header = _header_problem(raw, _REQUIRED_SITE_COLUMNS, source)
    if header is not None:
        raise AnswerDataError(problems_frame([header]))
    # A missing column is reported together with the problems of the columns present.
    problems = _missing_columns(raw, _REQUIRED_SITE_COLUMNS, source)

    out = pd.DataFrame(index=raw.index)
    if "site_id" in raw.columns:
        out["site_id"] = raw["site_id"].map(lambda v: str(v).strip())
    if "site_name" in raw.columns:
        out["site_name"] = raw["site_name"].map(lambda v: str(v).strip())
    org = {normalise_label(t): t for t in ORGANISATION_TYPES}
    org.update({"nhs": "NHS trust", "voluntary": "Voluntary sector",
                "voluntary sector organisation": "Voluntary sector"})
    if "organisation_type" in raw.columns:
        out["organisation_type"] = [org.get(normalise_label(v), v)
                                    for v in raw["organisation_type"]]
    sec = {normalise_label(s): s for s in SECTORS}
    sec.update({"voluntary sector": "Voluntary", "vcs": "Voluntary", "third sector": "Voluntary"})
    if "sector" in raw.columns:
        out["sector"] = [sec.get(normalise_label(v), v) for v in raw["sector"]]
    if "bme_focus" in raw.columns:
        out["bme_focus"] = [_BOOL.get(normalise_label(v), v) for v in raw["bme_focus"]]

    checks = {
        "site_id": pa.Column(None, pa.Check.str_length(min_value=1), unique=True),
        "site_name": pa.Column(None, pa.Check.str_length(min_value=1)),
        "organisation_type": pa.Column(None, pa.Check.isin(ORGANISATION_TYPES)),
        "sector": pa.Column(None, pa.Check.isin(SECTORS)),
        "bme_focus": pa.Column(None, pa.Check.isin([True, False])),
    }
    schema = pa.DataFrameSchema({c: check for c, check in checks.items() if c in out.columns})
    explain = {
        "organisation_type": ("is not a known organisation type", ", ".join(ORGANISATION_TYPES)),
        "sector": ("is not a known sector", ", ".join(SECTORS)),
        "bme_focus": ("is not true or false", "true/false, yes/no, 1/0"),
    }
    problems += _validate(out, schema, raw, source, explain)
    if "site_id" in out.columns:
        problems += _unsafe_ids(out["site_id"], raw, source)
    for p in problems:
        if p["column"] == "site_id" and p["problem"] == "appears more than once":
            p["allowed"] = "each site once"

    aliases = raw["aliases"] if "aliases" in raw.columns else pd.Series("", index=raw.index)
    out["aliases"] = [tuple(a.strip() for a in str(v).split(";") if a.strip()) for v in aliases]
    if "site_id" in out.columns:
        problems += _alias_clashes(out, raw, source)
    if problems:
        raise AnswerDataError(problems_frame(problems))
    for col in ("site_id", "site_name", "organisation_type", "sector"):
        out[col] = out[col].astype("string")
    out["bme_focus"] = out["bme_focus"].astype("boolean")
    # Columns a study adds (region, employment model, setting...) are site attributes that
    # cases can be compared by (peerlib.part2.cases.cross_case): kept as text, in order.
    extra = [c for c in raw.columns if c and c not in SITE_COLUMNS
             and not str(c).startswith("Unnamed")]
    for col in extra:
        out[col] = raw[col].map(lambda v: "" if pd.isna(v) else str(v).strip()).astype(
            "string")
    return out.reset_index(drop=True)[SITE_COLUMNS + extra]


def _unsafe_ids(ids: pd.Series, raw: pd.DataFrame, source: str) -> list[dict]:
    """A site id names files (``reports/sites/<site_id>.html``): every id that is not a safe
    identifier (:func:`peerlib.paths.identifier_problem`) is a problem of its row."""
    rows = []
    for idx, sid in ids.items():
        why = identifier_problem(sid) if sid != "" else None  # blank: reported already
        if why is not None:
            rows.append({"file": source, "row": idx + first_data_row(raw), "column": "site_id",
                         "value": raw.at[idx, "site_id"],
                         "problem": f"cannot be a site id: it {why}",
                         "allowed": IDENTIFIER_RULE + " (put other spellings in aliases)"})
    return rows


def _alias_clashes(out: pd.DataFrame, raw: pd.DataFrame, source: str) -> list[dict]:
    """An alias (or id) that folds to another site's id or alias would assign responses to
    the wrong site silently: report it."""
    owner: dict[str, str] = {}
    for sid in out["site_id"]:
        owner.setdefault(normalise_label(sid), sid)
    rows = []
    for idx, sid, aliases in zip(out.index, out["site_id"], out["aliases"]):
        for alias in aliases:
            key = normalise_label(alias)
            other = owner.setdefault(key, sid)
            if other != sid:
                rows.append({"file": source, "row": idx + first_data_row(raw),
                             "column": "aliases",
                             "value": raw.at[idx, "aliases"],
                             "problem": f"alias {alias!r} already stands for site {other}",
                             "allowed": "each alias (and site id) for one site only"})
    return rows


def _site_lookup(sites: pd.DataFrame) -> dict[str, str]:
    lookup: dict[str, str] = {}
    for rec in sites.itertuples(index=False):
        for spelling in (rec.site_id, *rec.aliases):
            lookup[normalise_label(spelling)] = str(rec.site_id)
    return lookup


#: Optional columns of the raw responses (read, checked for nothing, never carried).
OPTIONAL_RESPONSE_COLUMNS = ("interview_date", "interviewer", "comments")


def response_columns(codebook: Codebook) -> pd.DataFrame:
    """The raw column names of a Part 1 responses file, as DESIGN.md defines them.

    Parameters
    ----------
    codebook : Codebook
        The instrument (its items give the answer columns).

    Returns
    -------
    pandas.DataFrame
        One row per column in file order: ``column`` (raw name, e.g. ``q2_1_happening``),
        ``kind`` ("required", "optional": read but never carried into processed data, or
        "identifier": a codebook ``identifier_columns`` entry, always dropped), ``item_id``
        (the item of an answer column, else NA) and ``scale`` ("happening", "importance" or
        NA).

    Examples
    --------
    >>> from peerlib.codebook import load_codebook
    >>> response_columns(load_codebook()).head(5)["column"].tolist()
    ['participant_id', 'site_id', 'role', 'q2_1_happening', 'q2_1_importance']
    """
    rows = [(c, "required", pd.NA, pd.NA) for c in ("participant_id", "site_id", "role")]
    for item in codebook.item_ids:
        hap_col, imp_col = item_columns(item)
        rows += [(hap_col, "required", item, HAPPENING), (imp_col, "required", item, IMPORTANCE)]
    rows += [(c, "optional", pd.NA, pd.NA) for c in OPTIONAL_RESPONSE_COLUMNS]
    taken = {r[0] for r in rows}
    rows += [(c, "identifier", pd.NA, pd.NA) for c in codebook.identifier_columns
             if c not in taken]
    return pd.DataFrame(rows, columns=["column", "kind", "item_id", "scale"]).astype(
        {"item_id": "string", "scale": "string"})


def _apply_column_map(raw: pd.DataFrame, column_map: pd.DataFrame, known: list[str],
                      ) -> tuple[pd.DataFrame, list[dict], dict[str, str], set[str]]:
    """Rename the export's columns as the map says; return the renamed frame, the map's
    problems, target -> export name, and the targets already reported (not to be reported
    again as missing)."""
    map_file = column_map.attrs.get("source", "column map")
    problems: list[dict] = []
    reported: set[str] = set()
    keys = column_map["from"].map(_header_name)
    bad_entries: set[int] = set()

    for key in keys[keys.duplicated(keep=False)].unique():
        group = column_map[keys == key]
        bad_entries.update(group.index)
        reported.update(group["to"])       # not reported again as missing
        problems.append({"file": map_file, "row": group["row"].iloc[-1], "column": "from",
                         "value": group["from"].iloc[0],
                         "problem": f"is listed {len(group)} times in the column map (to "
                                    + ", ".join(group["to"]) + ")",
                         "allowed": "each of the export's columns once"})
    for idx, rec in column_map.iterrows():
        if rec["to"] not in known:
            bad_entries.add(idx)
            problems.append({"file": map_file, "row": rec["row"], "column": "to",
                             "value": rec["to"],
                             "problem": "is not a column peerlib reads" + _close(rec["to"],
                                                                                  known),
                             "allowed": ", ".join(known[:7]) + ", ... (the raw names of "
                                        "DESIGN.md; see the data dictionary)"})
    targets = column_map["to"]
    for target in targets[targets.duplicated(keep=False)].unique():
        group = column_map[targets == target]
        bad_entries.update(group.index)
        reported.add(target)
        problems.append({"file": map_file, "row": group["row"].iloc[-1], "column": target,
                         "value": ", ".join(group["from"]),
                         "problem": f"{len(group)} columns are mapped to {target}",
                         "allowed": "each peerlib column mapped from one column only"})

    rename: dict[str, str] = {}
    mapped: dict[str, str] = {}
    for idx, rec in column_map.iterrows():
        if idx in bad_entries:
            continue
        mapped[rec["to"]] = rec["from"]
        key = _header_name(rec["from"])
        if key in raw.columns and key != rec["to"]:
            rename[key] = rec["to"]
    final = [rename.get(c, c) for c in raw.columns]
    for name in sorted({n for n in final if final.count(n) > 1}):
        sources = [c for c in raw.columns if rename.get(c, c) == name]
        own = [c for c in sources if c not in rename]
        problems.append({"file": map_file, "row": pd.NA, "column": name,
                         "value": ", ".join(mapped.get(name, c) for c in sources
                                            if c in rename),
                         "problem": (f"the file already has a column {own[0]}; mapping "
                                     "another column to it too" if own else
                                     "more than one column would get this name"),
                         "allowed": "map a column only to a name the file does not use, "
                                    "or map the file's own column elsewhere"})
        reported.add(name)
        rename = {k: v for k, v in rename.items() if v != name}
    attrs = dict(raw.attrs)
    out = raw.rename(columns=rename)
    for key in ("value_labels", "unlabelled_codes"):
        if key in attrs:
            attrs[key] = {rename.get(c, c): v for c, v in attrs[key].items()}
    attrs["renamed_from"] = {target: column_map.loc[keys == src, "from"].iloc[0]
                             for src, target in rename.items()}
    out.attrs.update(attrs)
    return out, problems, mapped, reported


def _labels_allowed(codebook: Codebook, scale: str) -> str:
    """What a value label may say on a scale (for unlabelled SPSS codes)."""
    if scale == HAPPENING:
        labels = [lvl.label for lvl in codebook.happening_levels if not lvl.missing]
    elif scale == IMPORTANCE:
        labels = list(codebook.importance_labels.values())[::-1]
    else:
        labels = codebook.role_labels
    return ("a value label saying " + "; ".join(labels)
            + ("" if scale == "role" else ", or No answer / Missing")
            + " (or an alias in the codebook)")


def normalise_responses(raw: pd.DataFrame, sites: pd.DataFrame, codebook: Codebook,
                        *, source: str = "part1_responses",
                        column_map: pd.DataFrame | None = None) -> pd.DataFrame:
    """Map raw responses to canonical values and validate them; raise with every problem.

    Parameters
    ----------
    raw : pandas.DataFrame
        As returned by :func:`peerlib.io.read_table`: one row per interview, every cell text.
        Required columns: ``participant_id``, ``site_id``, ``role`` and, for every codebook
        item, ``q<item>_happening`` and ``q<item>_importance`` (e.g. ``q2_1_happening``).
    sites : pandas.DataFrame or None
        The validated site register (:func:`read_site_register`); None skips the site check
        (used when the register itself has problems, so that both are reported at once).
    codebook : Codebook
        The instrument.
    source : str
        File name used in problem messages.
    column_map : pandas.DataFrame, optional
        From :func:`peerlib.io.read_column_map`: the export's column names -> the raw names
        above. Applied first; its problems (a column listed twice, two columns mapped to one
        name or to a name the file already has, an unknown target) are reported together with
        the data's.

    Returns
    -------
    pandas.DataFrame
        One row per interview (same order as the file): ``participant_id`` (string),
        ``site_id`` (the register's id, string), ``role`` (ordered categorical, canonical
        labels) and for each item the canonical ``q.._happening`` (ordered categorical,
        Missing for no answer) and ``q.._importance`` (Int64 1-4, NA for no answer) columns.
        Columns not in this contract are not carried: ``attrs["dropped_columns"]`` lists them
        as (name in the file, why) pairs, why saying identifier, free text, optional column
        or not in the processed contract (names only, never values).

    Raises
    ------
    AnswerDataError
        With one problem row per bad cell (file, spreadsheet row or SPSS case, column, value
        as typed, problem, allowed values) and per missing column: values not on a scale,
        unknown roles or sites (with close matches), blank or repeated participant ids,
        numeric SPSS codes without a value label in an answer, role or site column, column-map
        conflicts. When the header row is not row 1 (a title above it), that is the one
        problem reported.

    Notes
    -----
    An SPSS code is read only through its value label, which then goes through the codebook
    like typed text: a code labelled "Don't know" is Don't know even when the file declares it
    user-missing, one labelled "No answer" or "Missing" is no answer (Missing, or NA for
    importance), and a code without a label is an error, never a number.

    Words other software writes for a missing value (:data:`~peerlib.codebook.MISSING_TOKENS`:
    "NA", "N/A", "NaN", "NULL", "-99", in any case) are read as the codebook says when it
    gives them a meaning (the shipped codebook makes "NA" and "N/A" Not relevant on the
    happening scale), and otherwise as no answer (Missing; NA for importance). Either way a
    :class:`~peerlib.errors.DataWarning` names the word, how it was read, the rows and the
    count of cells, and how to change the reading in the codebook.
    """
    items = codebook.item_ids
    columns = response_columns(codebook)
    required = columns.loc[columns["kind"] == "required", "column"].tolist()
    problems: list[dict] = []
    if len(raw) == 0:
        raise AnswerDataError(problems_frame([{
            "file": source, "row": pd.NA, "column": "", "value": pd.NA,
            "problem": "has no data rows: only a header row was found",
            "allowed": "one row per interview below the header"}]))
    map_targets, reported = None, set()
    file_raw = raw
    if column_map is not None:
        raw, problems, map_targets, reported = _apply_column_map(raw, column_map,
                                                                 columns["column"].tolist())
    if any(c not in raw.columns for c in required):
        names = required + ([] if column_map is None else column_map["from"].tolist())
        header = _header_problem(file_raw, names, source)
        if header is not None:
            raise AnswerDataError(problems_frame(problems + [header]))
    problems += _missing_columns(raw, required, source, map_targets, reported,
                                 set(columns["column"]))
    present = [c for c in required if c in raw.columns]

    norm = pd.DataFrame(index=raw.index)
    explain: dict[str, tuple[str, str]] = {}
    canonical: dict[str, pd.Series] = {}
    if "participant_id" in raw.columns:
        norm["participant_id"] = raw["participant_id"].map(lambda v: str(v).strip())
        canonical["participant_id"] = norm["participant_id"].astype("string")
    if "site_id" in raw.columns and sites is None:  # the register itself is bad: unchecked
        canonical["site_id"] = raw["site_id"].map(lambda v: str(v).strip()).astype("string")
    if "site_id" in raw.columns and sites is not None:
        lookup = _site_lookup(sites)
        # each distinct spelling folded once (a site's id repeats for all its interviews)
        codes, distinct = pd.factorize(pd.Series(raw["site_id"].tolist(), dtype=object),
                                       use_na_sentinel=False)
        found = [lookup.get(normalise_label(v)) for v in distinct]
        mapped = pd.Series([found[c] for c in codes], index=raw.index, dtype=object)
        norm["site_id"] = mapped.where(mapped.notna(), raw["site_id"])
        canonical["site_id"] = mapped.astype("string")
        known = list(sites["site_id"].astype(str))
        for idx in raw.index[mapped.isna()]:
            value = raw.at[idx, "site_id"]
            problem = ("is blank" if normalise_label(value) == "" else
                       "is not in the site register" + _close(value, known))
            problems.append({"file": source, "row": idx + first_data_row(raw),
                             "column": "site_id", "value": value, "problem": problem,
                             "allowed": ", ".join(known) + " (or an alias in sites.csv)"})
        norm = norm.drop(columns="site_id")  # reported above, with close matches
    if "role" in raw.columns:
        roles, ok = codebook.normalise_role(raw["role"])
        canonical["role"] = roles
        all_spellings = codebook.role_labels + [a for al in codebook.roles["aliases"] for a in al]
        for idx in raw.index[~ok]:
            value = raw.at[idx, "role"]
            problem = ("is blank" if normalise_label(value) == "" else
                       "is not a known role" + _close(value, all_spellings))
            problems.append({"file": source, "row": idx + first_data_row(raw),
                             "column": "role", "value": value, "problem": problem,
                             "allowed": codebook.allowed_text("role") + " (or an alias in the "
                                                                        "codebook)"})

    checks: dict[str, pa.Column] = {}
    if "participant_id" in norm.columns:
        checks["participant_id"] = pa.Column(None, pa.Check.str_length(min_value=1), unique=True)
    for item in items:
        hap_col, imp_col = item_columns(item)
        if hap_col in raw.columns:
            answers, ok = codebook.normalise_happening(raw[hap_col])
            canonical[hap_col] = answers
            norm[hap_col] = answers.astype(object).where(ok, raw[hap_col])
            checks[hap_col] = pa.Column(None, pa.Check.isin(codebook.happening_labels))
            explain[hap_col] = ('is not on the "Is this happening here?" scale',
                                codebook.allowed_text(HAPPENING))
        if imp_col in raw.columns:
            scores, ok = codebook.normalise_importance(raw[imp_col])
            canonical[imp_col] = scores
            norm[imp_col] = scores.astype(object).where(ok, raw[imp_col])
            norm.loc[ok & scores.isna(), imp_col] = None
            checks[imp_col] = pa.Column(None, pa.Check.isin(list(codebook.importance_labels)),
                                        nullable=True)
            explain[imp_col] = ('is not on the "How important is this to you?" scale',
                                codebook.allowed_text(IMPORTANCE))
    problems += _validate(norm, pa.DataFrameSchema(checks), raw, source, explain)
    problems = _spss_codes(problems, raw, codebook, source, present)
    if problems:
        frame = problems_frame(problems)
        order = {c: i for i, c in enumerate(raw.columns)}
        frame["_col"] = frame["column"].map(order).fillna(-1)
        frame["_file"] = (frame["file"] == source).astype(int)   # column-map problems first
        frame = frame.sort_values(["_file", "row", "_col"], na_position="first", kind="stable")
        raise AnswerDataError(frame.drop(columns=["_col", "_file"]))
    out = pd.DataFrame({c: canonical[c] for c in present})
    _warn_about_readings(raw, out, source, codebook)
    known = columns.set_index("column")["kind"]
    renamed = raw.attrs.get("renamed_from", {})
    why = {"identifier": "identifier (listed in the codebook's identifier_columns)",
           "optional": "optional column, kept in the raw file only"}
    out.attrs["dropped_columns"] = [
        (renamed.get(c, c), "free text" if c == "comments" else
         why.get(known.get(c), "not in the processed contract"))
        for c in raw.columns if c not in required]
    return out


def _warn_about_readings(raw: pd.DataFrame, out: pd.DataFrame, source: str,
                         codebook: Codebook) -> None:
    """Warn (:class:`~peerlib.errors.DataWarning`) about readings that are a judgement: IDs
    that look like dates Excel made of them, and answers typed as another software's
    missing-value word (:data:`~peerlib.codebook.MISSING_TOKENS`: "NA", "N/A", "NaN",
    "NULL", "-99"), saying how they were read (through the codebook's aliases, or as no
    answer where the codebook gives the word no meaning), where (rows, count) and how to
    change it in the codebook."""
    first = first_data_row(raw)
    word = row_word(source)
    for column in ("participant_id", "site_id"):
        if column not in raw.columns:
            continue
        text = raw[column].astype(str).str.strip()
        rows = [int(i) + first for i in raw.index[text.str.match(_DATE_LIKE)]]
        if rows:
            shown = ", ".join(map(str, rows[:20])) + (" ..." if len(rows) > 20 else "")
            warnings.warn(
                f"{source}: {column} looks like a date in {word}s {shown} "
                f"(e.g. {text[raw.index[text.str.match(_DATE_LIKE)][0]]!r}): Excel turns IDs "
                "such as 1-3 or 3/10 into dates. Check them against the original IDs; format "
                "the column as Text in Excel before typing IDs.", DataWarning, stacklevel=3)
    found: dict[tuple[str, str, bool], list] = {}
    # fold each distinct spelling of the whole block once, then look closer only at the
    # columns and cells holding a missing-value word
    columns, codes, distinct = _typed_block(raw, out)
    folded = [normalise_label(str(v).strip()) for v in distinct]
    words = np.flatnonzero(np.isin(folded, list(MISSING_TOKENS)))
    hits = np.isin(codes, words).reshape(len(raw), len(columns), order="F")
    for column in (c for c, any_hit in zip(columns, hits.any(axis=0)) if any_hit):
        scale = (HAPPENING if column.endswith("_happening") else
                 IMPORTANCE if column.endswith("_importance") else None)
        defaults = codebook.default_missing_tokens(scale) if scale else ()
        cells = raw[column]
        typed = cells[hits[:, columns.index(column)]].astype(str).str.strip()
        keys = typed.map(normalise_label)
        for idx in typed.index:
            value = out.at[idx, column]
            read = "no answer" if pd.isna(value) or value == "Missing" else str(value)
            entry = found.setdefault((typed[idx], read, keys[idx] in defaults),
                                     [0, set(), set()])
            entry[0] += 1
            entry[1].add(column)
            entry[2].add(int(idx) + first)
    where_file = ("peerlib/schedules/part1.yaml, or your copy given with --codebook")
    for (token, read, default), (count, cols, rows) in sorted(found.items()):
        where = ", ".join(sorted(cols)[:5]) + (" ..." if len(cols) > 5 else "")
        rows = sorted(rows)
        at = ", ".join(map(str, rows[:20])) + (" ..." if len(rows) > 20 else "")
        if default:
            how = (f"The codebook gives {token!r} no meaning, and other software writes it "
                   "for a missing value, so it was read as no answer. If it means an answer "
                   "here, add it to the codebook as an alias of that answer (the scale's "
                   f"levels in {where_file}) and prepare again.")
        else:
            how = (f"Other software writes {token!r} for a missing value; if that is what it "
                   "means here, change the alias in the codebook (the scale's aliases in "
                   f"{where_file}) and prepare again.")
        warnings.warn(
            f"{source}: {token!r} ({count} cell{'s' if count != 1 else ''}, in {where}) was "
            f"read as {read} ({word}{'s' if len(rows) != 1 else ''} {at}). {how}",
            DataWarning, stacklevel=3)


def _typed_block(raw: pd.DataFrame, out: pd.DataFrame
                 ) -> tuple[list[str], np.ndarray, np.ndarray]:
    """The raw cells of every normalised column but the participant id (site, role,
    answers), factorised as one block (the columns hold a few spellings many times): the
    columns, each cell's code (column after column) and the distinct values as typed."""
    columns = [c for c in out.columns if c != "participant_id" and c in raw.columns]
    codes, distinct = pd.factorize(raw[columns].to_numpy(dtype=object).ravel(order="F"),
                                   use_na_sentinel=False)
    return columns, codes, distinct


def _pair_counts(raw: pd.DataFrame, out: pd.DataFrame
                 ) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Each distinct (column, cell as typed, cell as read) once, with its count of cells:
    the columns (:func:`_typed_block`), then per triple the column position, the typed
    value, the read value (NA kept as a value) and the count."""
    columns, typed_codes, typed_values = _typed_block(raw, out)
    read_codes, read_values = pd.factorize(
        out[columns].astype(object).to_numpy().ravel(order="F"), use_na_sentinel=False)
    n_typed, n_read = max(len(typed_values), 1), max(len(read_values), 1)
    column = np.repeat(np.arange(len(columns), dtype=np.int64), len(raw))
    keys, counts = np.unique((column * n_typed + typed_codes) * n_read + read_codes,
                             return_counts=True)
    return (columns, keys // (n_typed * n_read), typed_values[keys // n_read % n_typed],
            read_values[keys % n_read], counts)


def mapped_spellings(raw: pd.DataFrame, out: pd.DataFrame) -> pd.DataFrame:
    """Every raw spelling that was read as a different canonical value, with its count.

    Parameters
    ----------
    raw : pandas.DataFrame
        The responses as read (:func:`peerlib.part1.read.read_table`).
    out : pandas.DataFrame
        :func:`normalise_responses` of it.

    Returns
    -------
    pandas.DataFrame
        One row per (column kind, spelling, canonical value): ``what`` ("site", "role",
        "Is this happening here?", "How important is this to you?"), ``spelling`` (as typed,
        outer spaces stripped; "(blank)" for an empty cell), ``read_as`` (the canonical
        value; "no answer" for Missing/NA) and ``count`` (cells), sorted by what, read_as
        and spelling. Spellings equal to their canonical value are left out.

    Examples
    --------
    >>> raw = pd.DataFrame({"role": ["PW", "Peer worker", "pw"]})
    >>> out = pd.DataFrame({"role": ["Peer worker"] * 3})
    >>> mapped_spellings(raw, out).values.tolist()
    [['role', 'PW', 'Peer worker', 1], ['role', 'pw', 'Peer worker', 1]]
    """
    columns, *pairs = _pair_counts(raw, out)
    whats, typed, read, counts = [], [], [], []
    for position, spelling, value, n in zip(*pairs):
        column = columns[position]
        whats.append("site" if column == "site_id" else "role" if column == "role" else
                     "Is this happening here?" if column.endswith("_happening") else
                     "How important is this to you?")
        if column.endswith("_importance"):
            read.append("no answer" if pd.isna(value) else str(int(value)))
        else:
            read.append("no answer" if pd.isna(value) or value == "Missing" else str(value))
        typed.append(spelling)
        counts.append(int(n))
    if not whats:
        return pd.DataFrame(columns=["what", "spelling", "read_as", "count"])
    pairs = pd.DataFrame({"what": whats,
                          "spelling": pd.Series(typed, dtype=object).astype(str).str.strip()
                          .replace("", "(blank)"),
                          "read_as": pd.Series(read, dtype=object),
                          "count": np.array(counts, dtype=np.int64)})
    pairs = pairs[pairs["spelling"] != pairs["read_as"]]
    table = pairs.groupby(["what", "spelling", "read_as"], sort=False)["count"].sum()
    table = table.reset_index()
    table = table[~((table["spelling"] == "(blank)") & (table["read_as"] == "no answer"))]
    return table.sort_values(["what", "read_as", "spelling"]).reset_index(drop=True)


def _spss_codes(problems: list[dict], raw: pd.DataFrame, codebook: Codebook, source: str,
                present: list[str]) -> list[dict]:
    """Replace the problems of SPSS cells holding an unlabelled numeric code by one problem
    saying so, and quote labelled values as "code = label"."""
    unlabelled = raw.attrs.get("unlabelled_codes") or {}
    labels = raw.attrs.get("value_labels") or {}
    if not unlabelled and not labels:
        return problems
    first = first_data_row(raw)
    scales = {c: s for c, s in zip(response_columns(codebook)["column"],
                                   response_columns(codebook)["scale"]) if not pd.isna(s)}
    flagged = []
    cells = set()
    for column in present:
        if column == "participant_id":
            continue
        for idx, (code, declared) in sorted(unlabelled.get(column, {}).items()):
            cells.add((idx + first, column))
            allowed = (_labels_allowed(codebook, scales[column]) if column in scales else
                       _labels_allowed(codebook, "role") if column == "role" else
                       "a value label holding a site id or alias of the site register")
            flagged.append({"file": source, "row": idx + first, "column": column,
                            "value": code,
                            "problem": f"code {code} has no value label in the file"
                                       + (" (it is declared user-missing)" if declared else "")
                                       + "; SPSS codes are read only through their labels",
                            "allowed": allowed})
    kept = []
    for p in problems:
        if p["file"] == source and not pd.isna(p["row"]) and (p["row"], p["column"]) in cells:
            continue
        reverse = {}
        for code, label in labels.get(p["column"], {}).items():
            reverse.setdefault(label, []).append(code)
        if p["file"] == source and isinstance(p["value"], str) \
                and len(reverse.get(p["value"], [])) == 1:
            p = {**p, "value": f"{reverse[p['value']][0]} = {p['value']}"}
        kept.append(p)
    return kept + flagged


def long_schema(codebook: Codebook) -> pa.DataFrameSchema:
    """The pandera schema of ``data/processed/part1_long`` (DESIGN.md's contract).

    One row per participant x item; ``participant_id``/``item_id`` unique together;
    ``happening`` an ordered categorical on the codebook's scale, never NA; ``importance``
    nullable Int64 in 1-4; ``sector`` NHS or Voluntary.
    """
    return pa.DataFrameSchema(
        {
            "participant_id": pa.Column("string"),
            "site_id": pa.Column("string"),
            "site_name": pa.Column("string"),
            "organisation_type": pa.Column("string", pa.Check.isin(ORGANISATION_TYPES)),
            "sector": pa.Column("string", pa.Check.isin(SECTORS)),
            "bme_focus": pa.Column("boolean"),
            "role": pa.Column(codebook.role_dtype()),
            "section": pa.Column("string"),
            "item_id": pa.Column(pd.CategoricalDtype(codebook.item_ids, ordered=True)),
            "happening": pa.Column(codebook.happening_dtype()),
            "importance": pa.Column("Int64", pa.Check.isin(list(codebook.importance_labels)),
                                    nullable=True),
        },
        strict=True,
        ordered=True,
        unique=["participant_id", "item_id"],
    )

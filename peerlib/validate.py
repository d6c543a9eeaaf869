"""Validation of the site register and the raw Part 1 responses (pandera), all problems at once.

Values are first mapped through the codebook (:mod:`peerlib.codebook`); whatever could not be
mapped keeps the text as typed, so that the pandera checks below report it with its file,
spreadsheet row, column, value and the allowed values. Nothing is raised before every column
and every row has been checked.
"""
from __future__ import annotations

import difflib
from pathlib import Path

import pandas as pd
import pandera.pandas as pa

from .codebook import HAPPENING, IMPORTANCE, Codebook, item_columns, normalise_label
from .errors import PROBLEM_COLUMNS, AnswerDataError
from .io import FIRST_DATA_ROW, read_table

__all__ = [
    "ORGANISATION_TYPES",
    "SECTORS",
    "SITE_COLUMNS",
    "read_site_register",
    "normalise_responses",
    "long_schema",
    "problems_frame",
]

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
        rows.append({"file": source, "row": index + FIRST_DATA_ROW, "column": column,
                     "value": typed, "problem": problem, "allowed": allowed})
    return rows


def _validate(frame: pd.DataFrame, schema: pa.DataFrameSchema, raw: pd.DataFrame,
              source: str, explain: dict[str, tuple[str, str]]) -> list[dict]:
    try:
        schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as err:
        return _collect(err.failure_cases, raw, source, explain)
    return []


def _missing_columns(raw: pd.DataFrame, required: list[str], source: str) -> list[dict]:
    missing = [c for c in required if c not in raw.columns]
    if not missing:
        return []
    found = ", ".join(c for c in raw.columns if c) or "(none)"
    return [{"file": source, "row": pd.NA, "column": c, "value": pd.NA,
             "problem": "required column is missing from the header row (row 1)",
             "allowed": f"columns found: {found}"} for c in missing]


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
        One row per site in register order, columns :data:`SITE_COLUMNS`; ``site_id`` and
        names as ``string``, ``organisation_type`` and ``sector`` canonical spellings,
        ``bme_focus`` boolean, ``aliases`` a tuple of str.

    Raises
    ------
    AnswerDataError
        Listing every problem at once (missing column, blank or repeated site id, unknown
        organisation type or sector, bme_focus not true/false), with file, row and value.
    """
    raw = read_table(path)
    source = raw.attrs.get("source", Path(path).name)
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
    return out.reset_index(drop=True)[SITE_COLUMNS]


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
                rows.append({"file": source, "row": idx + FIRST_DATA_ROW, "column": "aliases",
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


def normalise_responses(raw: pd.DataFrame, sites: pd.DataFrame, codebook: Codebook,
                        *, source: str = "part1_responses") -> pd.DataFrame:
    """Map raw responses to canonical values and validate them; raise with every problem.

    Parameters
    ----------
    raw : pandas.DataFrame
        As returned by :func:`peerlib.io.read_table`: one row per interview, every cell text.
        Required columns: ``participant_id``, ``site_id``, ``role`` and, for every codebook
        item, ``q<item>_happening`` and ``q<item>_importance`` (e.g. ``q2_1_happening``).
    sites : pandas.DataFrame
        The validated site register (:func:`read_site_register`).
    codebook : Codebook
        The instrument.
    source : str
        File name used in problem messages.

    Returns
    -------
    pandas.DataFrame
        One row per interview (same order as the file): ``participant_id`` (string),
        ``site_id`` (the register's id, string), ``role`` (ordered categorical, canonical
        labels) and for each item the canonical ``q.._happening`` (ordered categorical,
        Missing for no answer) and ``q.._importance`` (Int64 1-4, NA for no answer) columns.
        Columns not in this contract are not carried.

    Raises
    ------
    AnswerDataError
        With one problem row per bad cell (file, spreadsheet row, column, value as typed,
        problem, allowed values) and per missing column: values not on a scale, unknown
        roles or sites (with close matches), blank or repeated participant ids.
    """
    items = codebook.item_ids
    required = ["participant_id", "site_id", "role"]
    for item in items:
        required.extend(item_columns(item))
    problems = _missing_columns(raw, required, source)
    present = [c for c in required if c in raw.columns]

    norm = pd.DataFrame(index=raw.index)
    explain: dict[str, tuple[str, str]] = {}
    canonical: dict[str, pd.Series] = {}
    if "participant_id" in raw.columns:
        norm["participant_id"] = raw["participant_id"].map(lambda v: str(v).strip())
        canonical["participant_id"] = norm["participant_id"].astype("string")
    if "site_id" in raw.columns:
        lookup = _site_lookup(sites)
        mapped = raw["site_id"].map(lambda v: lookup.get(normalise_label(v)))
        norm["site_id"] = mapped.where(mapped.notna(), raw["site_id"])
        canonical["site_id"] = mapped.astype("string")
        known = list(sites["site_id"].astype(str))
        for idx in raw.index[mapped.isna()]:
            value = raw.at[idx, "site_id"]
            problem = ("is blank" if normalise_label(value) == "" else
                       "is not in the site register" + _close(value, known))
            problems.append({"file": source, "row": idx + FIRST_DATA_ROW, "column": "site_id",
                             "value": value, "problem": problem,
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
            problems.append({"file": source, "row": idx + FIRST_DATA_ROW, "column": "role",
                             "value": value, "problem": problem,
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
    if problems:
        frame = problems_frame(problems)
        order = {c: i for i, c in enumerate(raw.columns)}
        frame["_col"] = frame["column"].map(order).fillna(-1)
        frame = frame.sort_values(["row", "_col"], na_position="first", kind="stable")
        raise AnswerDataError(frame.drop(columns="_col"))
    return pd.DataFrame({c: canonical[c] for c in present})


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

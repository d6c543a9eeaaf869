"""Raw Part 1 files -> the tidy long table, written atomically to ``data/processed``.

``prepare`` reads the responses and the site register, normalises and validates them (every
problem at once), builds one row per participant x item and writes ``part1_long.parquet``,
``part1_long.csv``, ``sites.csv`` and ``part1_meta.json`` (data set description and the
SHA-256 of every input, for the reports' provenance footer). All outputs are first written to
a temporary folder beside the output folder and moved into place only when every one of them
was written, so invalid input or an interruption leaves ``--out`` exactly as it was.
"""
from __future__ import annotations

import json
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from .. import __version__
from ..codebook import Codebook, item_columns, load_codebook
from ..errors import (PROBLEM_COLUMNS, AnswerDataError, CodebookError, ProcessedDataError)
from .read import read_column_map, read_table
from ..limits import load_yaml
from ..paths import project_paths
from .._files import atomic_outputs, sha256_file, write_csv
from ..privacy import checked_key, key_fingerprint, pseudonymise, read_withdrawn
from .validate import (SITE_COLUMNS, long_schema, mapped_spellings, normalise_responses,
                       read_site_register)
from .validation_report import write_validation_report

__all__ = [
    "LONG_COLUMNS",
    "PreparedFiles",
    "build_long",
    "load_part1",
    "prepare",
    "read_dataset_info",
    "load_prepared",
    "load_sites",
    "site_attribute_columns",
    "with_site_attributes",
    "load_meta",
    "prepared_codebook_path",
    "load_prepared_codebook",
    "sha256_file",
    "atomic_outputs",
]

#: Columns of ``part1_long`` in order (DESIGN.md).
LONG_COLUMNS = ["participant_id", "site_id", "site_name", "organisation_type", "sector",
                "bme_focus", "role", "section", "item_id", "happening", "importance"]


#: What an extra register column's name says when it is not a site attribute: an
#: identifier, a name, or free text (matched on whole words of the casefolded name).
_NOT_ATTRIBUTE_WORDS = ("id", "name", "names", "note", "notes", "comment", "comments",
                        "description", "remarks", "contact", "email", "phone", "address")
#: Longest value of a site attribute: a longer one is free text, not a category.
_ATTRIBUTE_MAX_LENGTH = 60


def site_attribute_columns(sites: pd.DataFrame) -> list[str]:
    """The columns of a site register that are site attributes: ``bme_focus`` and every
    column a study added (such as ``region``, ``employment_model`` or ``setting``) that
    groups sites into categories.

    Parameters
    ----------
    sites : pandas.DataFrame
        The validated site register (:func:`peerlib.part1.validate.read_site_register`,
        :func:`load_sites`): :data:`~peerlib.part1.validate.SITE_COLUMNS`, then the
        columns a study added, kept as text.

    Returns
    -------
    list of str
        ``bme_focus`` (when present), then the added columns in register order, leaving
        out those that are not attributes of a site: a column whose name says it holds an
        identifier, a name or free text (a whole word of the name, split at ``_``, spaces
        and ``-``, is one of ``id``, ``name``, ``note(s)``, ``comment(s)``,
        ``description``, ``remarks``, ``contact``, ``email``, ``phone``, ``address``), a
        column with a value longer than 60 characters or on several lines (free text, not
        a category), and a column named like a column of the prepared long table
        (:data:`LONG_COLUMNS`) or with ``|`` in its name. ``site_id``, ``site_name`` and ``aliases`` are never
        attributes; ``organisation_type`` and ``sector`` are compared by on their own
        (:func:`peerlib.part2.cases.site_attributes`).

    Notes
    -----
    Every attribute returned is a way to compare cases in the framework report
    (``attr:<column>|<value>`` groups of the batch's disclosure mask), so its values are
    published as group labels.
    """
    import re

    out = ["bme_focus"] if "bme_focus" in sites.columns else []
    for col in sites.columns:
        if col in SITE_COLUMNS or col in LONG_COLUMNS or "|" in str(col):
            continue  # "|" separates column and value in the mask's group keys
        words = set(re.split(r"[\s_\-]+", str(col).strip().casefold()))
        if words & set(_NOT_ATTRIBUTE_WORDS):
            continue
        values = sites[col].dropna().astype(str)
        if (values.str.len() > _ATTRIBUTE_MAX_LENGTH).any() or \
                values.str.contains("\n").any():
            continue
        out.append(str(col))
    return out


def with_site_attributes(data: pd.DataFrame, sites: pd.DataFrame) -> pd.DataFrame:
    """The prepared long table with the register's site attributes added as columns.

    Parameters
    ----------
    data : pandas.DataFrame
        The prepared long table (:func:`load_prepared`), or any table with ``site_id``.
    sites : pandas.DataFrame
        The validated site register (:func:`load_sites`).

    Returns
    -------
    pandas.DataFrame
        A copy of ``data`` with one more text column per attribute of
        :func:`site_attribute_columns` that ``data`` does not hold yet (a blank value as
        ""), looked up by ``site_id``. The batch's disclosure mask and audit read the
        attributes from these columns (:func:`peerlib.disclosure.mask.site_attributes`).
    """
    add = [c for c in site_attribute_columns(sites) if c not in data.columns]
    out = data.copy()
    for col in add:
        lookup = {str(s): ("" if pd.isna(v) else str(v).strip())
                  for s, v in zip(sites["site_id"], sites[col])}
        out[col] = data["site_id"].astype(str).map(lookup).fillna("").astype("string")
    return out


def read_dataset_info(path: str | Path) -> dict:
    """Read ``data/raw/dataset.yaml``: ``name``, ``synthetic`` (bool), ``description`` and,
    when given, ``disclosure`` (a policy name of :mod:`peerlib.disclosure.policy`).

    A missing file gives ``{"name": "<folder name>", "synthetic": False, "description": ""}``.

    Raises
    ------
    AnswerDataError
        When the file is not a YAML mapping or ``synthetic`` is not true/false.
    """
    path = Path(path)
    if not path.exists():
        return {"name": path.parent.parent.parent.name, "synthetic": False, "description": ""}
    try:
        spec = load_yaml(path) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as err:
        spec = err
    if not isinstance(spec, dict) or not isinstance(spec.get("synthetic", False), bool):
        raise AnswerDataError(pd.DataFrame(
            [[path.name, pd.NA, "synthetic", str(spec)[:80],
              "dataset.yaml must be a mapping with name, synthetic (true/false), description",
              "synthetic: true | false"]], columns=PROBLEM_COLUMNS))
    info = {"name": str(spec.get("name") or path.parent.parent.parent.name),
            "synthetic": bool(spec.get("synthetic", False)),
            "description": str(spec.get("description") or "")}
    if spec.get("disclosure") is not None:
        from ..disclosure import POLICIES

        name = str(spec["disclosure"]).strip().casefold()
        if name not in POLICIES:
            raise AnswerDataError(pd.DataFrame(
                [[path.name, pd.NA, "disclosure", str(spec["disclosure"])[:80],
                  "unknown disclosure policy", " | ".join(POLICIES)]],
                columns=PROBLEM_COLUMNS))
        info["disclosure"] = name
    return info


def build_long(responses: pd.DataFrame, sites: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    """Reshape validated wide responses to the tidy long table of DESIGN.md.

    Parameters
    ----------
    responses : pandas.DataFrame
        Output of :func:`peerlib.validate.normalise_responses` (one row per interview).
    sites : pandas.DataFrame
        The validated site register.
    codebook : Codebook
        The instrument; its item order is the row order within a participant.

    Returns
    -------
    pandas.DataFrame
        One row per participant x item, columns :data:`LONG_COLUMNS`, sorted by site (register
        order), participant (file order) and item (codebook order).
    """
    items = list(codebook.item_ids)
    core = [c for c in SITE_COLUMNS if c != "aliases"]  # extra register columns stay there
    # participants in the output's order (their site's place in the register, then the
    # file's order), each then repeated once per item: no table of every answer is sorted
    site_order = {s: i for i, s in enumerate(sites["site_id"])}
    rank = pd.Series(responses["site_id"].map(site_order).to_numpy(dtype=float))
    people = responses.reset_index(drop=True).iloc[
        rank.sort_values(kind="stable").index.to_numpy()]
    n_items = len(items)
    repeat = np.repeat(np.arange(len(people)), n_items)  # row -> its participant
    item_of_row = np.tile(np.arange(n_items), len(people))  # row -> its item

    def per_person(values, dtype) -> pd.api.extensions.ExtensionArray:
        """One value per participant, repeated for each of their items (a take, not a
        conversion of 300,000 values)."""
        return pd.array(np.asarray(values, dtype=object), dtype=dtype).take(repeat)

    def stacked(columns: list[str], dtype: pd.CategoricalDtype) -> pd.Categorical:
        """The answer columns, participant by participant and item by item."""
        if all(people[c].dtype == dtype for c in columns):  # codes, not labels
            codes = np.column_stack([people[c].cat.codes.to_numpy() for c in columns])
            return pd.Categorical.from_codes(codes.ravel(), dtype=dtype)
        return pd.Categorical(people[columns].astype(object).to_numpy().ravel(), dtype=dtype)

    attributes = sites[core].drop_duplicates("site_id").set_index("site_id").reindex(
        people["site_id"].to_numpy())
    sections = codebook.items.set_index("item_id")["section"].reindex(items)
    long = pd.DataFrame({
        "participant_id": per_person(people["participant_id"], "string"),
        "site_id": per_person(people["site_id"], "string"),
        **{c: per_person(attributes[c], "string") for c in core
           if c not in ("site_id", "bme_focus")},
        "bme_focus": per_person(attributes["bme_focus"], "boolean"),
        "role": stacked(["role"], codebook.role_dtype()).take(repeat),
        "section": pd.array(sections.astype(object).to_numpy(), dtype="string").take(
            item_of_row),
        "item_id": pd.Categorical.from_codes(item_of_row,
                                             dtype=pd.CategoricalDtype(items, ordered=True)),
        "happening": stacked([item_columns(i)[0] for i in items], codebook.happening_dtype()),
        "importance": pd.array(people[[item_columns(i)[1] for i in items]].astype(
            "Float64").to_numpy(dtype=float, na_value=np.nan).ravel(),
            dtype="Float64").astype("Int64"),
    })[LONG_COLUMNS]
    return long_schema(codebook).validate(long)


def _site_ids_only(path: Path) -> pd.DataFrame | None:
    """The site ids and aliases of a register that failed validation, so that unknown sites
    in the responses can still be reported with its problems (None if even that fails)."""
    try:
        raw = read_table(path)
    except (AnswerDataError, OSError):
        return None
    if "site_id" not in raw.columns:
        return None
    ids = raw["site_id"].map(lambda v: str(v).strip())
    aliases = raw["aliases"] if "aliases" in raw.columns else pd.Series("", index=raw.index)
    frame = pd.DataFrame({
        "site_id": ids,
        "aliases": [tuple(a.strip() for a in str(v).split(";") if a.strip()) for v in aliases]})
    return frame[frame["site_id"] != ""].reset_index(drop=True)


def load_part1(responses: str | Path | None = None, sites: str | Path | None = None, *,
               codebook: str | Path | Codebook | None = None, sheet: str | None = None,
               delimiter: str | None = None, encoding: str | None = None,
               column_map: str | Path | None = None,
               pseudonymise_ids: bool = True) -> pd.DataFrame:
    """Read, normalise and validate raw Part 1 data; return the tidy long table.

    Participants listed in ``data/raw/withdrawn.txt`` are removed and participant IDs are
    replaced by keyed pseudonyms (:mod:`peerlib.privacy`); every column of the raw file
    outside the contract (names, contact details, comments...) is left behind.

    Parameters
    ----------
    responses : str or Path, optional
        Raw responses (CSV in UTF-8/UTF-8 with BOM/UTF-16/Windows-1252, XLSX, or SPSS
        ``.sav`` read through its value labels); default ``data/raw/part1_responses.*`` of
        the project.
    sites : str or Path, optional
        Site register; default ``data/raw/sites.csv``.
    codebook : str, Path or Codebook, optional
        The instrument; default the one shipped with peerlib.
    sheet, delimiter, encoding : str, optional
        Passed to :func:`peerlib.io.read_table` for the responses file.
    column_map : str or Path, optional
        A column-map file (YAML ``export name: raw name``, or CSV/XLSX with columns
        ``from,to``; :func:`peerlib.io.read_column_map`) renaming the export's columns to the
        raw names of DESIGN.md before validation.
    pseudonymise_ids : bool
        Replace raw IDs by pseudonyms (default); False keeps raw IDs (for checking a file).

    Returns
    -------
    pandas.DataFrame
        One row per participant x item with the columns :data:`LONG_COLUMNS` (see DESIGN.md),
        ``participant_id`` the pseudonym; ``attrs["n_withdrawn"]`` the number of withdrawn
        participants removed; ``attrs["dropped_columns"]`` the raw columns left behind, as
        (name in the file, why) pairs;
        ``happening`` ordered categorical (Yes, Partly, No, Don't know, Not relevant,
        Missing), ``importance`` Int64 on the 1-4 scale (NA = no answer).

    Raises
    ------
    AnswerDataError
        Every problem of the site register, or else of the responses (column-map conflicts
        included), at once; or the problems of a malformed column-map file.
    FileNotFoundError
        When an input file (or the column map) does not exist.
    CodebookError
        When the codebook is malformed.
    """
    return _read_part1(responses, sites, codebook=codebook, sheet=sheet, delimiter=delimiter,
                       encoding=encoding, column_map=column_map,
                       pseudonymise_ids=pseudonymise_ids)[0]


def _read_part1(responses, sites, *, codebook, sheet, delimiter, encoding, column_map,
                pseudonymise_ids, key: bytes | None = None
                ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """:func:`load_part1`, also returning the validated site register it read and the
    spellings mapped to canonical values (:func:`peerlib.part1.validate.mapped_spellings`;
    ``key``: the checked pseudonym key; default the project's, checked against
    ``data/processed``)."""
    paths = project_paths()
    cb = codebook if isinstance(codebook, Codebook) else load_codebook(codebook)
    responses_path = Path(responses) if responses else paths.responses()
    register_problems = None
    sites_path = Path(sites) if sites else paths.sites_csv
    try:
        register = read_site_register(sites_path)
    except AnswerDataError as err:  # check the responses too, then report both at once
        register, register_problems = _site_ids_only(sites_path), err.problems
    mapping = read_column_map(column_map) if column_map else None
    raw = read_table(responses_path, sheet=sheet, delimiter=delimiter, encoding=encoding)
    try:
        wide = normalise_responses(raw, register, cb, source=responses_path.name,
                                   column_map=mapping)
    except AnswerDataError as err:
        if register_problems is None:
            raise
        raise AnswerDataError(pd.concat([register_problems, err.problems],
                                        ignore_index=True)) from err
    if register_problems is not None:
        raise AnswerDataError(register_problems)
    dropped = list(wide.attrs.get("dropped_columns", []))
    mapped = mapped_spellings(raw, wide)
    withdrawn = read_withdrawn(paths.raw)
    keep = ~wide["participant_id"].astype(str).isin(withdrawn)
    n_withdrawn = int((~keep).sum())
    wide = wide[keep].reset_index(drop=True)
    if pseudonymise_ids:
        if key is None:
            key = checked_key(paths.processed, paths.key_file)
        wide["participant_id"] = pseudonymise(wide["participant_id"], key)
    long = build_long(wide, register, cb)
    long.attrs["n_withdrawn"] = n_withdrawn
    long.attrs["dropped_columns"] = dropped
    return long, register, mapped


@dataclass(frozen=True)
class PreparedFiles:
    """What :func:`prepare` wrote: the output folder, the files and the row count."""

    out: Path
    files: tuple[Path, ...]
    n_rows: int
    n_participants: int


def prepare(responses: str | Path | None = None, sites: str | Path | None = None, *,
            out: str | Path | None = None, codebook: str | Path | None = None,
            sheet: str | None = None, delimiter: str | None = None,
            encoding: str | None = None, dataset: str | Path | None = None,
            column_map: str | Path | None = None,
            validation_dir: str | Path | None = None, new_key: bool = False) -> PreparedFiles:
    """Validate the raw Part 1 data and write the processed files atomically.

    Parameters
    ----------
    responses, sites, codebook, sheet, delimiter, encoding, column_map
        As for :func:`load_part1`.
    out : str or Path, optional
        Output folder; default ``data/processed`` of the project.
    dataset : str or Path, optional
        The data set description; default ``data/raw/dataset.yaml``.
    validation_dir : str or Path, optional
        Where the validation report goes (``validation.html`` and ``validation.csv``,
        :func:`peerlib.validation_report.write_validation_report`); default ``data/validation`` of the
        project. Written on success (no problems; the raw columns left behind) and when the
        input data is invalid (every problem); never inside ``out``.
    new_key : bool
        Start over on purpose with the key now in use (or a new key file), although ``out``
        was prepared with another key (:func:`peerlib.privacy.checked_key`).

    Returns
    -------
    PreparedFiles
        The folder and files written: ``part1_long.parquet``, ``part1_long.csv`` (IDs as
        text, spreadsheet formulas neutralised), ``sites.csv`` (the validated register) and
        ``part1_meta.json`` (data set name, synthetic flag, SHA-256 of each input, peerlib
        version, counts, the key's fingerprint) and ``codebook.yaml`` (a copy of the codebook used).

    Raises
    ------
    KeyMismatchError
        When ``out`` was prepared with another pseudonym key (or there is none) and
        ``new_key`` is False; checked before anything is read or written.
    AnswerDataError, FileNotFoundError, CodebookError
        As :func:`load_part1`; nothing in ``out`` has changed when any is raised. An
        AnswerDataError has also been written to the validation report (its
        ``validation_report`` attribute is the HTML file, or None if writing failed).
    """
    paths = project_paths()
    cb = load_codebook(codebook)
    responses_path = Path(responses) if responses else paths.responses()
    sites_path = Path(sites) if sites else paths.sites_csv
    dataset_path = Path(dataset) if dataset else paths.dataset_yaml
    report_dir = Path(validation_dir) if validation_dir else paths.validation
    checked = [p.name for p in (responses_path, sites_path, dataset_path)
               + ((Path(column_map),) if column_map else ()) if p.exists()]
    out_dir = Path(out) if out else paths.processed
    key = checked_key(out_dir, paths.key_file, command="prepare", new_key=new_key)
    try:
        info = read_dataset_info(dataset_path)
        _check_real(info, dataset_path, responses_path)
        long, register, mapped = _read_part1(
            responses_path, sites_path, codebook=cb, sheet=sheet, delimiter=delimiter,
            encoding=encoding, column_map=column_map, pseudonymise_ids=True, key=key)
    except AnswerDataError as err:
        err.validation_report = _try_validation_report(report_dir, problems=err.problems,
                                                       inputs=checked)
        raise

    meta = {
        "dataset": info,
        "inputs": [{"file": p.name, "sha256": sha256_file(p)}
                   for p in (responses_path, sites_path, cb.path)
                   + ((dataset_path,) if dataset_path.exists() else ())],
        "peerlib_version": __version__,
        "n_participants": int(long["participant_id"].nunique()),
        "n_rows": int(len(long)),
        "n_sites_with_data": int(long["site_id"].nunique()),
        "n_withdrawn": int(long.attrs.get("n_withdrawn", 0)),
        "key_fingerprint": key_fingerprint(key),
    }
    names = ("part1_long.parquet", "part1_long.csv", "sites.csv", "part1_meta.json",
             "codebook.yaml")
    with atomic_outputs(out_dir) as stage:
        long.to_parquet(stage / names[0], index=False)
        write_csv(long, stage / names[1])
        reg = register.assign(aliases=register["aliases"].map(";".join))
        write_csv(reg, stage / names[2])
        (stage / names[3]).write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n",
                                      encoding="utf-8")
        shutil.copyfile(cb.path, stage / names[4])  # reports use the codebook data was
        # prepared with, so labels and scale order always match the data
        # last step before the outputs move in: a report that cannot be written fails the run
        write_validation_report(report_dir, dropped=long.attrs.get("dropped_columns", []),
                                mapped=mapped,
                                inputs=checked, dataset_name=info["name"],
                                n_participants=meta["n_participants"])
    return PreparedFiles(out=out_dir, files=tuple(out_dir / n for n in names),
                         n_rows=len(long), n_participants=meta["n_participants"])


def _check_real(info: dict, dataset_path: Path, responses_path: Path) -> None:
    """A data set may call itself real (``synthetic: false``) only if its answers were not
    written by ``peerlib demo-data``: otherwise reports would present invented answers as
    the study's, without the synthetic banner."""
    from .demo import written_by_demo

    if info["synthetic"] or not written_by_demo(responses_path):
        return
    raise AnswerDataError(pd.DataFrame(
        [[dataset_path.name, pd.NA, "synthetic", "false",
          f"says the data are real, but {responses_path.name} holds the synthetic demo "
          "answers written by `peerlib demo-data`",
          "synthetic: true for the demo; for the study's data, replace "
          f"{responses_path.name} with the real file"]], columns=PROBLEM_COLUMNS))


def _try_validation_report(folder: Path, **kwargs) -> Path | None:
    """Write the validation report of a failed run; a report that cannot be written must not
    hide the data problems, so say so on stderr and go on."""
    try:
        return write_validation_report(folder, **kwargs)[0]
    except OSError as err:
        print(f"peerlib: could not write the validation report in {folder}: {err}",
              file=sys.stderr)
        return None


def _processed_dir(data: str | Path | None) -> Path:
    return Path(data) if data else project_paths().processed


def load_prepared(data: str | Path | None = None, *, codebook: str | Path | None = None
                  ) -> pd.DataFrame:
    """Read ``part1_long.parquet`` written by :func:`prepare` and check its contract.

    Parameters
    ----------
    data : str or Path, optional
        The processed folder; default ``data/processed`` of the project.
    codebook : str or Path, optional
        The codebook the data was prepared with (for the scale order); default the copy
        prepare wrote beside the data, else the shipped one.

    Returns
    -------
    pandas.DataFrame
        One row per participant x item, columns :data:`LONG_COLUMNS`.

    Raises
    ------
    FileNotFoundError
        When the folder holds no prepared data: the message says to run ``peerlib prepare``.
    ProcessedDataError
        When the file (or the codebook copy beside it) is damaged: cannot be read, or does
        not hold the contract's columns and values; the message says to run prepare again.
    """
    path = _processed_dir(data) / "part1_long.parquet"
    if not path.exists():
        raise FileNotFoundError(f"No prepared data at {path}. Run `peerlib prepare` (or "
                                "`make reports`) first.")
    cb = load_codebook(codebook) if codebook else load_prepared_codebook(data)
    try:
        long = pd.read_parquet(path)
        for col in ("participant_id", "site_id", "site_name", "organisation_type", "sector",
                    "section"):
            long[col] = long[col].astype("string")
        long["item_id"] = pd.Categorical(long["item_id"].astype(str), categories=cb.item_ids,
                                         ordered=True)
        long["happening"] = pd.Categorical(long["happening"].astype(str),
                                           dtype=cb.happening_dtype())
        long["role"] = pd.Categorical(long["role"].astype(str), dtype=cb.role_dtype())
        long["bme_focus"] = long["bme_focus"].astype("boolean")
        long["importance"] = long["importance"].astype("Int64")
        long = long_schema(cb).validate(long)
    except Exception as err:  # pyarrow, pandas and pandera raise many types for a bad file
        raise ProcessedDataError(path, err, "peerlib prepare") from err
    long.attrs["codebook_path"] = str(cb.path)
    return long


def prepared_codebook_path(data: str | Path | None = None) -> Path | None:
    """The copy of the codebook that :func:`prepare` wrote beside the data, if any."""
    path = _processed_dir(data) / "codebook.yaml"
    return path if path.exists() else None


def load_prepared_codebook(data: str | Path | None = None):
    """The codebook :func:`prepare` copied beside the data (else the shipped one).

    Returns
    -------
    Codebook
        As :func:`peerlib.codebook.load_codebook`.

    Raises
    ------
    ProcessedDataError
        When the copy in ``data/processed`` is damaged (run ``peerlib prepare`` again).
    """
    path = prepared_codebook_path(data)
    try:
        return load_codebook(path)
    except CodebookError as err:
        if path is None:
            raise
        raise ProcessedDataError(path, err, "peerlib prepare") from err


def load_sites(data: str | Path | None = None) -> pd.DataFrame:
    """Read the site register copied by :func:`prepare` (one row per site, register order).

    Returns
    -------
    pandas.DataFrame
        As :func:`peerlib.validate.read_site_register` (it is read and checked the same way).
    """
    path = _processed_dir(data) / "sites.csv"
    if not path.exists():
        raise FileNotFoundError(f"No prepared site register at {path}. Run `peerlib prepare`.")
    try:
        return read_site_register(path)
    except AnswerDataError as err:  # not "correct the file": prepare wrote it
        raise ProcessedDataError(path, "; ".join(
            f"row {'' if pd.isna(r.row) else int(r.row)} {r.column}: {str(r.value)[:40]!r} "
            f"{r.problem}" for r in err.problems.head(3).itertuples(index=False)),
            "peerlib prepare") from err


def load_meta(data: str | Path | None = None) -> dict:
    """Read ``part1_meta.json`` (data set description, input hashes) written by prepare."""
    path = _processed_dir(data) / "part1_meta.json"
    if not path.exists():
        raise FileNotFoundError(f"No {path.name} in {path.parent}. Run `peerlib prepare`.")
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(meta, dict) or not isinstance(meta.get("dataset"), dict):
            raise ValueError("not the mapping prepare writes")
    except (ValueError, UnicodeDecodeError) as err:
        raise ProcessedDataError(path, err, "peerlib prepare") from err
    return meta

"""Coded Part 2 transcripts from QDA software -> one tidy table of coded segments.

Readers
-------
- REFI-QDA project exchange files (``.qdpx``: a zip holding ``project.qde`` and a
  ``sources/`` folder), as NVivo, ATLAS.ti, MAXQDA and QualCoder export them: users, the code
  tree, text sources (internal, relative or absolute plain-text files, or inline
  ``PlainTextContent``), plain-text selections and their codings, cases with variables and
  ATLAS.ti-style attribute Sets.
- REFI-QDA codebook files (``.qdc``): the code tree alone (:func:`read_codebook`).
- Taguette's highlights export (CSV or XLSX; columns ``id``, ``document``, ``tag``,
  ``content``, one row per highlight x tag, no positions) and its codebook export (CSV:
  ``tag``, ``description`` and, in newer versions, ``number of highlights`` and ``number of
  documents``).

XML is read with the standard library's ``xml.etree.ElementTree``; elements are matched by
their local name, so files with no namespace, the project namespace, the codebook namespace
or a mix of them all read the same. Documents that declare entities (``<!ENTITY``) are
refused, so a crafted file cannot expand itself in memory.

Character positions
-------------------
A ``PlainTextSelection`` gives ``startPosition`` and ``endPosition``; the end is exclusive in
every producer we know of. Positions count the source text *as stored*: a UTF-8 byte-order
mark is not counted, and a Windows line ending (CR+LF) counts as two characters. What the
positions count differs between producers:

- ``codepoints``: Unicode code points from 0, as the REFI-QDA 1.5 standard says (ATLAS.ti,
  MAXQDA, QualCoder);
- ``utf16``: UTF-16 code units, as NVivo counts them (a character outside the Basic
  Multilingual Plane, such as an emoji, counts 2);
- ``auto``: per file, the convention under which the selections' names (which producers set
  to the selected text, sometimes truncated) match the text; the producer (``origin``) breaks
  ties (NVivo: ``utf16``; others: ``codepoints``).

Whatever the convention, every selection whose name is text found in its document is checked:
a selection whose positions do not give that text is reported (:class:`QDAError`), never
shifted. Names that appear nowhere in the document (labels such as "Quotation 3") cannot be
checked; when no selection of a file could be checked, a warning says so.

Privacy at import
-----------------
Documents are mapped to raw participant IDs (a ``--documents`` file, else the export's Cases
or attribute Sets), participants listed in ``data/raw/withdrawn.txt`` are dropped, IDs become
the same keyed pseudonyms as in ``part1_long`` (:mod:`peerlib.privacy`), and every term of
the project's redaction list is replaced in the text by ``[name]``, ``[place]`` or
``[service]`` before anything is returned, so nothing unredacted reaches ``data/processed``.

References
----------
REFI-QDA Standard, version 1.5 (2019). Rotterdam Exchange Format Initiative: Project
Exchange (.qdpx) and Codebook Exchange (.qdc) formats. https://www.qdasoftware.org
"""
from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

import pandas as pd

from .._files import atomic_outputs, sha256_file, write_csv
from ..errors import ProcessedDataError, QDAError, QDAWarning
from ..paths import project_paths
from ..privacy import checked_key, key_fingerprint, pseudonymise, read_withdrawn
from .redaction import REDACTION_FILE, read_redaction_list, redact, redact_contacts, safe_text
from .refi import QDE_ADVICE, read_codebook, read_qdpx
from .segments import (DOCUMENTS_FILE, PATH_SEPARATOR, SEGMENT_COLUMNS, SITE_DOCUMENT_KIND,
                       TRANSCRIPT_KIND, ImportedSegments, QDAExport, codebook_frame,
                       read_qda_table)
from .framework import themes
from .linkage import THEME_ITEMS_FILE, read_theme_items
from .taguette import read_taguette

__all__ = ["read_documents_map", "import_codes", "write_coded_segments", "document_labels"]

_DOC_EXTENSIONS = (".txt", ".docx", ".doc", ".rtf", ".odt", ".pdf", ".md", ".html")


# =========================================================================== XML helpers


# =========================================================================== codebook


# =========================================================================== positions


# =========================================================================== .qdpx


# =========================================================================== Taguette


# =========================================================================== mapping, redaction
def _doc_key(name: object) -> str:
    key = str(name).strip().casefold()
    for ext in _DOC_EXTENSIONS:
        if key.endswith(ext):
            return key[: -len(ext)].strip()
    return key


def read_documents_map(path: str | Path) -> pd.DataFrame:
    """Read the file mapping QDA document names to raw participant IDs, or to sites.

    Parameters
    ----------
    path : str or Path
        CSV or XLSX with columns ``document`` and ``participant_id`` (the raw ID of the Part 1
        data, e.g. "S01-P03"), optionally ``site_id`` and ``kind``. A *site document* (a
        strategic plan, a service specification, a job description) has a ``site_id`` and
        no ``participant_id``, and its ``kind`` says what it is (default "site document").
        Document names match in any case and with or without an extension such as ``.txt``
        or ``.docx``.

    Returns
    -------
    pandas.DataFrame
        ``document``, ``participant_id`` (NA for a site document), ``site_id`` (NA where
        blank), ``kind`` (:data:`TRANSCRIPT_KIND` for a participant's transcript, else the
        document's kind), all string, and ``row`` (Int64: the entry's spreadsheet row,
        header = row 1, for messages), one row per document.

    Raises
    ------
    QDAError
        An unreadable file, missing columns, a row with neither a participant ID nor a
        site, a row naming the transcript kind without a participant, or a document listed
        twice with different participants or sites (every problem at once).
    """
    path = Path(path)
    table = read_qda_table(path, what="The documents map is a CSV or XLSX with the columns "
                           "document, participant_id (and optionally site_id, kind).",
                           required=("document", "participant_id"), kind="a documents map")
    def column(name):
        if name not in table.columns:
            return pd.Series("", index=table.index)
        return table[name].astype(str).str.strip()

    docs, pids, sites, kinds = (column(c) for c in ("document", "participant_id", "site_id",
                                                    "kind"))
    problems, seen = [], {}
    for idx in table.index:
        doc, pid, site, kind = docs[idx], pids[idx], sites[idx], kinds[idx]
        row = int(idx) + 2
        target = pid or f"site {site}"
        if not doc:
            problems.append(f"row {row}: blank document")
        elif not pid and not site:
            problems.append(f"row {row}: document {doc!r} has neither a participant_id (an "
                            "interview transcript) nor a site_id (a site document)")
        elif not pid and kind.casefold() == TRANSCRIPT_KIND:
            problems.append(f"row {row}: document {doc!r} is a {TRANSCRIPT_KIND} without a "
                            "participant_id")
        elif _doc_key(doc) in seen and seen[_doc_key(doc)] != target:
            problems.append(f"row {row}: document {doc!r} is mapped to {seen[_doc_key(doc)]!r} "
                            f"and to {target!r}")
        else:
            seen[_doc_key(doc)] = target
    if problems:
        raise QDAError(path, "", problems)
    kind = [TRANSCRIPT_KIND if p else (k or SITE_DOCUMENT_KIND) for p, k in zip(pids, kinds)]
    out = pd.DataFrame({"document": docs, "participant_id": pids, "site_id": sites,
                        "kind": kind})
    out = out.replace({"site_id": {"": pd.NA}, "participant_id": {"": pd.NA}}).astype("string")
    out["row"] = pd.array([int(i) + 2 for i in table.index], dtype="Int64")
    return out.drop_duplicates("document").reset_index(drop=True)


# =========================================================================== import
def _read_any(path: Path, positions: str, sheet: str | None,
              redactions: pd.DataFrame | None = None) -> QDAExport:
    suffix = path.suffix.lower()
    if suffix in (".qdpx", ".zip"):  # a .zip holding project.qde is a renamed .qdpx
        return read_qdpx(path, positions=positions, redactions=redactions)
    if suffix == ".qde":
        raise QDAError(path, "", QDE_ADVICE)
    if suffix in (".csv", ".xlsx", ".xlsm", ".tsv", ".txt"):
        return read_taguette(path, sheet=sheet)
    if suffix == ".qdc":
        raise QDAError(path, "", "is a codebook (.qdc), which holds no coded segments; use "
                       "it with --codebook, or import the project (.qdpx)")
    raise QDAError(path, "", f"has an unsupported file type {suffix!r} (.qdpx, a .zip "
                   "holding project.qde, or a Taguette highlights export .csv/.xlsx)")


def _site_lookup(processed: Path) -> dict[str, str] | None:
    """pseudonym -> site_id from the prepared Part 1 data (None when not prepared)."""
    path = processed / "part1_long.parquet"
    if not path.exists():
        return None
    try:
        people = pd.read_parquet(path, columns=["participant_id", "site_id"]).drop_duplicates(
            "participant_id")
    except Exception as err:  # a damaged file
        raise ProcessedDataError(path, err, "peerlib prepare") from err
    return dict(zip(people["participant_id"].astype(str), people["site_id"].astype(str)))


def _check_site_documents(mapping: pd.DataFrame, docs_path: Path, processed: Path,
                          safe) -> None:
    """Refuse site documents mapped to a site that is not in the prepared site register."""
    register = processed / "sites.csv"
    docs = mapping[mapping["participant_id"].isna()]
    if not len(docs) or not register.exists():
        return
    known = {str(s).casefold(): str(s) for s in
             pd.read_csv(register, dtype=str, usecols=["site_id"])["site_id"]}
    problems = [f"row {rec.row}: site document {safe(rec.document)!r} is mapped to site "
                f"{rec.site_id!r}, which is not in the site register ({', '.join(known.values())})"
                for rec in docs.itertuples(index=False)
                if str(rec.site_id).casefold() not in known]
    if problems:
        raise QDAError(docs_path, "", problems, "Correct the site_id and run again; nothing "
                       "was written.")


def _check_against_part1(export: Path, mapping: pd.DataFrame | None, docs_path: Path,
                         raw: pd.DataFrame, pid: pd.Series, site: pd.Series,
                         pseudo: pd.Series, lookup: dict[str, str], withdrawn: set,
                         key: bytes, safe) -> None:
    """Refuse sites that contradict the prepared Part 1 data; warn about participants
    absent from it (the documents of the export, by name; names go through ``safe``)."""
    part1 = "the prepared Part 1 data (part1_long.parquet)"
    problems = []
    if mapping is not None:  # every entry of the map, used by this export or not
        entries = mapping[mapping["site_id"].notna() & mapping["participant_id"].notna()
                          & ~mapping["participant_id"].isin(withdrawn).fillna(False)]
        if len(entries):
            ids = pseudonymise(entries["participant_id"], key).astype(str)
            for rec, p in zip(entries.itertuples(index=False), ids):
                there = lookup.get(p)
                if there is not None and str(rec.site_id).casefold() != there.casefold():
                    problems.append(
                        f"row {rec.row}: document {safe(rec.document)!r} is at site "
                        f"{rec.site_id!r} here, but {part1} has participant "
                        f"{rec.participant_id!r} at site {there!r}")
    mapped = set(mapping["document"].map(_doc_key)) if mapping is not None else set()
    from_export = pd.DataFrame({"document": raw["document"].astype(str), "pid": pid,
                                "site": site, "pseudo": pseudo})
    from_export = from_export[~from_export["document"].map(_doc_key).isin(mapped)]
    for rec in from_export.dropna(subset=["site", "pseudo"]).drop_duplicates(
            "document").itertuples(index=False):
        there = lookup.get(str(rec.pseudo))
        if there is not None and str(rec.site).casefold() != there.casefold():
            problems.append(f"{f'{export.name}: ' if mapping is not None else ''}"
                            f"document {safe(rec.document)!r} is at site "
                            f"{rec.site!r} in the export's cases, but {part1} has "
                            f"participant {rec.pid!r} at site {there!r}")
    if problems:
        raise QDAError(docs_path if mapping is not None else export, "", problems,
                       "A transcript must be at its participant's Part 1 site. Correct the "
                       "site_id (or leave it blank: the site then comes from Part 1) or the "
                       "participant_id, and run again; nothing was written.")
    rows = dict(zip(mapping["document"].map(_doc_key), mapping["row"])) \
        if mapping is not None else {}
    absent = []
    known = pd.DataFrame({"document": raw["document"].astype(str), "pid": pid,
                          "pseudo": pseudo}).dropna(subset=["pseudo"])
    for rec in known.drop_duplicates("document").itertuples(index=False):
        if str(rec.pseudo) not in lookup:
            row = rows.get(_doc_key(rec.document))
            absent.append(f"{safe(rec.document)!r} (participant {rec.pid!r}"
                          + (f", {docs_path.name} row {row})" if row is not None else ")"))
    if absent:
        warnings.warn(f"{export.name}: {len(absent)} document(s) mapped to a participant who "
                      f"is not in {part1}: {'; '.join(absent[:20])}"
                      f"{' ...' if len(absent) > 20 else ''}. Their segments are imported, "
                      "but reports cannot give these participants a site, sector or role: "
                      "check the participant_id (a typo?), or prepare Part 1 again with "
                      "their interviews.", QDAWarning, stacklevel=3)


def import_codes(path: str | Path, *, documents: str | Path | None = None,
                 positions: str = "auto", redactions: str | Path | None = None,
                 sheet: str | None = None, new_key: bool = False) -> ImportedSegments:
    """Import coded Part 2 segments: read, map to participants, drop withdrawn, redact.

    Parameters
    ----------
    path : str or Path
        A REFI-QDA project (``.qdpx``) or a Taguette highlights export (``.csv``/``.xlsx``).
    documents : str or Path, optional
        Map of document names to raw participant IDs (:func:`read_documents_map`); default
        ``data/raw/qda_documents.csv`` when it exists. Without a map, a ``.qdpx``'s Cases
        (case name, or a ``participant_id`` variable) and attribute Sets
        ("participant_id: S01-P03") are used.
    positions : {"auto", "codepoints", "utf16"}
        How a ``.qdpx`` counts positions (see the module docstring).
    redactions : str or Path, optional
        The redaction list (:func:`read_redaction_list`); default
        ``data/raw/redaction_list.csv`` when it exists (a warning otherwise).
    sheet : str, optional
        Worksheet of an XLSX export.
    new_key : bool
        Accept a pseudonym key other than the one ``data/processed`` was made with
        (:func:`peerlib.privacy.checked_key`); off by default.

    Returns
    -------
    ImportedSegments
        ``segments``: one row per coded segment (a selection x code), columns :data:`SEGMENT_COLUMNS`:
        ``document`` (a neutral label, never the name typed in the QDA software:
        :func:`document_labels`), ``participant_id`` (the pseudonym of ``part1_long``; NA where the
        document is not mapped, with a warning), ``site_id`` (the participant's site in
        ``part1_long`` when prepared, else from the map or the export; NA when unknown),
        ``code``, ``code_path`` ("Role > Boundaries"),
        ``start``, ``end`` (Int64 positions as the file gives them, end exclusive; NA for
        Taguette), ``text`` (the selected text, redacted: terms of the list become
        ``[name]``/``[place]``/``[service]`` and mapped raw participant IDs ``[participant]``),
        ``coder`` (NA when the export does not say), ``kind`` (:data:`TRANSCRIPT_KIND`
        for an interview transcript; for a site document, mapped to a ``site_id`` with no
        ``participant_id``, its kind from the map, e.g. "job description"). Segments of
        withdrawn participants are left out; site documents are not "unmapped". Beside
        it: ``positions``, ``producer``, ``n_checked``, ``n_withdrawn``
        (segments dropped), ``unmapped`` (document names), ``codebook`` (when the source
        has one), ``source`` (file name), ``key_fingerprint``.

    Raises
    ------
    QDAError
        As :func:`read_qdpx` / :func:`read_taguette` / the map and list readers; and, when
        the Part 1 data has been prepared (``data/processed/part1_long.parquet``), when a
        site contradicts it: an entry of the documents map (any entry, used by this export
        or not) or a Case of the export gives a participant a ``site_id`` other than their
        Part 1 site. Every such document is listed with the map's row.
    ParameterError
        Unknown ``positions``.
    FileNotFoundError
        When ``path`` or a named ``documents``/``redactions`` file does not exist.

    Warns
    -----
    QDAWarning
        Unmapped documents; no redaction list; positions that could not be checked;
        documents mapped to a participant who is not in the prepared Part 1 data (each
        named, with its row of the map).
    """
    paths = project_paths()
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"QDA export not found: {path}")
    docs_path = Path(documents) if documents else paths.raw / DOCUMENTS_FILE
    if documents and not docs_path.exists():
        raise FileNotFoundError(f"Documents map not found: {docs_path}")
    red_path = Path(redactions) if redactions else paths.raw / REDACTION_FILE
    if redactions and not red_path.exists():
        raise FileNotFoundError(f"Redaction list not found: {red_path}")
    terms = read_redaction_list(red_path) if red_path.exists() else None
    export = _read_any(path, positions, sheet, terms)  # messages quote redacted text only
    raw = export.segments

    pid = raw["raw_participant_id"].astype("string")
    site = raw["raw_site_id"].astype("string")
    kind = pd.Series(TRANSCRIPT_KIND, index=raw.index, dtype="string")
    mapping = None
    if docs_path.exists():
        mapping = read_documents_map(docs_path)
        keys = raw["document"].map(_doc_key)
        by_key = dict(zip(mapping["document"].map(_doc_key), mapping["participant_id"]))
        site_by_key = dict(zip(mapping["document"].map(_doc_key), mapping["site_id"]))
        kind_by_key = dict(zip(mapping["document"].map(_doc_key), mapping["kind"]))
        pid = keys.map(by_key).astype("string")
        site = keys.map(site_by_key).astype("string").fillna(site)
        kind = keys.map(kind_by_key).astype("string").fillna(TRANSCRIPT_KIND)
        _check_site_documents(mapping, docs_path, paths.processed, safe_text(terms))
    site_doc = kind != TRANSCRIPT_KIND
    unmapped = sorted(set(raw.loc[pid.isna() & ~site_doc, "document"].astype(str)))
    if unmapped:
        safe = safe_text(terms)
        warnings.warn(f"{path.name}: {len(unmapped)} document(s) not mapped to a participant "
                      f"(participant_id left NA): {', '.join(safe(d) for d in unmapped[:10])}"
                      f"{' ...' if len(unmapped) > 10 else ''}. Add them to "
                      f"{docs_path.name} (columns document, participant_id).",
                      QDAWarning, stacklevel=2)

    withdrawn = read_withdrawn(paths.raw)
    gone = pid.isin(withdrawn).fillna(False).astype(bool)
    raw, pid, site, kind = raw[~gone], pid[~gone], site[~gone], kind[~gone]

    mapped_ids = sorted({str(v) for v in pid.dropna()}, key=len, reverse=True)
    key = checked_key(paths.processed, paths.key_file, command="import-codes",
                      new_key=new_key)
    pseudo = pd.Series(pd.NA, index=pid.index, dtype="string")
    if pid.notna().any():
        pseudo[pid.notna()] = pseudonymise(pid[pid.notna()], key)
    lookup = _site_lookup(paths.processed)
    if lookup is not None:  # Part 1 prepared: the map and the export must agree with it
        _check_against_part1(path, mapping, docs_path, raw, pid, site, pseudo, lookup,
                             withdrawn, key, safe_text(terms))
        part1_site = pseudo.map(lookup).astype("string")
        site = part1_site.fillna(site)  # its spelling of the site (checked equal above)

    if terms is None:
        warnings.warn(f"No redaction list ({red_path}); coded text was imported without "
                      "redaction. Create it (columns term, category) before real data.",
                      QDAWarning, stacklevel=2)
    text = raw["text"]
    if mapped_ids:
        id_pattern = re.compile("|".join(rf"(?<!\w){re.escape(i)}(?!\w)" for i in mapped_ids))
        text = text.map(lambda v: id_pattern.sub("[participant]", v), na_action="ignore")
    if terms is not None:
        text = redact(text, terms)
    text = redact_contacts(text)  # e-mail addresses, phone numbers, postcodes: no list needed
    document = document_labels(raw["document"], pseudo, site)

    out = pd.DataFrame({
        "document": document.astype("string"), "participant_id": pseudo,
        "site_id": site.astype("string"), "code": raw["code"], "code_path": raw["code_path"],
        "start": raw["start"], "end": raw["end"], "text": text.astype("string"),
        "coder": raw["coder"], "kind": kind})[SEGMENT_COLUMNS].reset_index(drop=True)
    return ImportedSegments(out, producer=export.producer, positions=export.positions,
                            n_checked=export.n_checked, codebook=export.codebook,
                            n_withdrawn=int(gone.sum()), unmapped=unmapped, source=path.name,
                            key_fingerprint=key_fingerprint(key))


def document_labels(names: pd.Series, participant: pd.Series,
                    site: pd.Series) -> pd.Series:
    """Neutral labels for the QDA documents, in place of the names they were given.

    A document's name is free text typed in the QDA software ("S01-P01 Jo Bloggs peer
    worker 2026-04-08" is a common style): a name, a role and a date beside a pseudonym
    would undo it, and a redaction list cannot know every name. Every published quote
    reference and table, and ``data/processed`` itself, carry these labels instead.

    Parameters
    ----------
    names : pandas.Series
        Each segment's document name (as in the export).
    participant : pandas.Series
        Each segment's participant pseudonym (NA for a site document or an unmapped one).
    site : pandas.Series
        Each segment's site (NA when unknown).

    Returns
    -------
    pandas.Series
        string, aligned with ``names``: a participant's transcript is labelled with their
        pseudonym ("P-3fc941249bdc"), or "P-3fc941249bdc (2)" when they have more than one
        document; a site document "S01 document 1"; an unmapped document "unmapped
        document 1". Numbers follow the documents' names in sorted order, so that the
        same export gives the same labels. An analyst finds a document from its label
        through the documents map (raw ID -> name) and the pseudonym of the raw ID.
    """
    frame = pd.DataFrame({"name": names.astype("string"), "pid": participant.astype("string"),
                          "site": site.astype("string")}, index=names.index)
    docs = frame.drop_duplicates("name").dropna(subset=["name"])
    labels: dict[str, str] = {}
    for pid, group in docs.dropna(subset=["pid"]).groupby("pid", sort=False):
        ordered = sorted(group["name"].astype(str))
        for n, name in enumerate(ordered, start=1):
            labels[name] = str(pid) if len(ordered) == 1 else f"{pid} ({n})"
    rest = docs[docs["pid"].isna()]
    for site_id, group in rest.groupby(rest["site"].fillna(""), sort=True):
        prefix = f"{site_id} document" if site_id else "unmapped document"
        for n, name in enumerate(sorted(group["name"].astype(str)), start=1):
            labels[name] = f"{prefix} {n}"
    return frame["name"].map(labels, na_action="ignore").astype("string")


def _check_codebook_overlap(book: pd.DataFrame, segments: pd.DataFrame, export: Path,
                            codebook: Path) -> None:
    """Warn when a ``--codebook`` shares no code (by path or by name) with the export."""
    if not len(segments) or not len(book):
        return
    paths = set(book["code_path"].astype(str))
    names = {str(n).casefold() for n in book["code"]}
    used_paths = set(segments["code_path"].astype(str))
    used_names = {str(n).casefold() for n in segments["code"]}
    if paths & used_paths or names & used_names:
        return
    warnings.warn(f"the codebook {codebook.name} shares no code with the export "
                  f"{export.name} (codebook: {', '.join(sorted(paths)[:5])}"
                  f"{' ...' if len(paths) > 5 else ''}; export: "
                  f"{', '.join(sorted(used_paths)[:5])}{' ...' if len(used_paths) > 5 else ''})"
                  ": its themes will all be empty. Check that the two files belong to the "
                  "same project.", QDAWarning, stacklevel=3)


def write_coded_segments(path: str | Path, *, out: str | Path | None = None,
                         documents: str | Path | None = None, positions: str = "auto",
                         redactions: str | Path | None = None, sheet: str | None = None,
                         codebook: str | Path | None = None,
                         new_key: bool = False, allow_empty: bool = False) -> list[Path]:
    """Import coded segments and write them atomically to ``data/processed``.

    Parameters
    ----------
    path, documents, positions, redactions, sheet, new_key
        As for :func:`import_codes`.
    out : str or Path, optional
        Output folder; default ``data/processed``.
    codebook : str or Path, optional
        A code tree (:func:`read_codebook`: ``.qdc`` or Taguette codebook CSV) to write
        beside the segments; default the ``.qdpx``'s own CodeBook, else the codes used.
        One that shares no code with the export gives a warning naming both files.
    allow_empty : bool
        Write an import with no coded segments. By default such an import (a
        codebook-only export, a project without codings) is refused, so that it never
        replaces an earlier import with nothing.

    Returns
    -------
    list of Path
        ``coded_segments.parquet``, ``coded_segments.csv`` (IDs as text, spreadsheet
        formulas neutralised), ``qda_codebook.parquet`` and ``.csv`` (the code tree,
        :data:`CODEBOOK_COLUMNS`) and ``coded_segments_meta.json``
        (source file, SHA-256, producer, position convention, counts); and, when
        ``data/raw/theme_items.csv`` exists, its checked copy ``theme_items.csv`` (the
        framework's links to Part 1 statements, :func:`~peerlib.part2.linkage.read_theme_items`:
        an unknown theme or item is an error and nothing is written; an empty import
        allowed by ``allow_empty`` has no themes, so only the items are checked and a
        warning says so).

    Raises
    ------
    QDAError, ParameterError, FileNotFoundError
        As :func:`import_codes`; also (QDAError) when the export holds no coded segment
        and ``allow_empty`` is False. Nothing in ``out`` has changed when any is raised.

    Warns
    -----
    QDAWarning
        As :func:`import_codes`; a ``codebook`` sharing no code with the export; an empty
        import (``allow_empty``) whose theme-item links could not be checked against themes.
    """
    imported = import_codes(path, documents=documents, positions=positions,
                            redactions=redactions, sheet=sheet, new_key=new_key)
    segments = imported.segments
    if not len(segments) and not allow_empty:
        n_codes = len(imported.codebook) if imported.codebook is not None else 0
        withdrawn = int(imported.n_withdrawn)
        raise QDAError(path, "", "holds no coded segments"
                       + (f" (its codebook has {n_codes} codes)" if n_codes else "")
                       + (f"; the {withdrawn} segment(s) it had were all of withdrawn "
                          "participants" if withdrawn else ""),
                       "A codebook-only export, or a project exported without its codings, "
                       "would replace the earlier import with nothing: the coded segments "
                       "already in data/processed were kept. Export the project with its "
                       "codings, or run again with --allow-empty to replace them with an "
                       "empty import.")
    if codebook:
        book = read_codebook(codebook)
        _check_codebook_overlap(book, segments, Path(path), Path(codebook))
    elif imported.codebook is not None:
        book = imported.codebook
    else:
        used = segments.drop_duplicates("code_path")
        book = codebook_frame([{"theme": p.split(PATH_SEPARATOR)[0], "code": c,
                                 "code_path": p, "description": ""}
                                for c, p in zip(used["code"], used["code_path"])])
    out_dir = Path(out) if out else project_paths().processed
    meta = {"source": {"file": Path(path).name, "sha256": sha256_file(path)},
            "producer": imported.producer,
            "positions": imported.positions,
            "n_checked": int(imported.n_checked),
            "n_segments": int(len(segments)),
            "n_documents": int(segments["document"].nunique()),
            "n_participants": int(segments["participant_id"].nunique()),
            "n_site_documents": int(segments.loc[segments["kind"] != TRANSCRIPT_KIND,
                                                 "document"].nunique()),
            "n_withdrawn_segments": int(imported.n_withdrawn),
            "n_unmapped_documents": len(imported.unmapped),
            "key_fingerprint": imported.key_fingerprint}
    links_path = project_paths().raw / THEME_ITEMS_FILE
    links = None
    if links_path.exists():  # the framework codebook's links to Part 1 statements
        from ..codebook import load_codebook

        empty = not len(segments)  # allowed above: nothing coded, no theme to link
        links = read_theme_items(links_path, themes_known=None if empty else themes(
                                 segments, book), items_known=list(load_codebook().item_ids))
        if empty and len(links):
            linked = ", ".join(dict.fromkeys(links["theme"].astype(str)))
            warnings.warn(
                f"{links_path.name}: the themes it links to Part 1 ({linked}) were not "
                f"checked: {Path(path).name} holds no coded segments, so there is no coding "
                "to check them against. Its items were checked and it was copied as it is; "
                "the themes are checked at the next import with codings.",
                QDAWarning, stacklevel=2)
    names = ("coded_segments.parquet", "coded_segments.csv", "qda_codebook.parquet",
             "qda_codebook.csv", "coded_segments_meta.json")
    with atomic_outputs(out_dir) as stage:
        segments.to_parquet(stage / names[0], index=False)
        write_csv(segments, stage / names[1])
        book.to_parquet(stage / names[2], index=False)
        write_csv(book, stage / names[3])
        if links is not None:
            write_csv(links, stage / THEME_ITEMS_FILE)
        (stage / names[4]).write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n",
                                      encoding="utf-8")
    return [out_dir / n for n in names]



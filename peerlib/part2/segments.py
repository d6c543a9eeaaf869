"""The coded-segments table of Part 2: its columns, the code-path separator, the reader of
QDA-side tables (documents map, redaction list, Taguette files) and the loader of what
``peerlib import-codes`` wrote."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..errors import AnswerDataError, ProcessedDataError, QDAError
from ..part1.read import read_table
from ..paths import project_paths

__all__ = ["SEGMENT_COLUMNS", "CODEBOOK_COLUMNS", "PATH_SEPARATOR", "DOCUMENTS_FILE",
           "QDAExport", "ImportedSegments", "read_qda_table", "codebook_frame",
           "split_path", "TRANSCRIPT_KIND", "SITE_DOCUMENT_KIND", "is_transcript",
           "load_coded_segments", "load_qda_codebook", "IMPORT_META_FILE", "load_import_meta"]

_REIMPORT = "peerlib import-codes data/raw/<your export>"
#: What ``peerlib import-codes`` records about an import (``data/processed``).
IMPORT_META_FILE = "coded_segments_meta.json"

#: Columns of ``coded_segments`` in order (DESIGN.md, ``peerlib import-codes``).
SEGMENT_COLUMNS = ["document", "participant_id", "site_id", "code", "code_path", "start",
                   "end", "text", "coder", "kind"]


#: Columns of a codebook table (:func:`read_codebook`).
CODEBOOK_COLUMNS = ["theme", "code", "code_path", "description"]


#: Separator of the levels of a code path ("Role > Boundaries").
PATH_SEPARATOR = " > "


def split_path(name: str) -> list[str]:
    """The levels of a code path, as every codebook reader splits a name: "Role >
    Boundaries" -> ["Role", "Boundaries"] when the name holds :data:`PATH_SEPARATOR`
    (``" > "``; then any spacing around each ``>``, empty levels dropped), else one level
    (so "Age>65" stays one code).

    Examples
    --------
    >>> split_path("Role > Boundaries >Contact")
    ['Role', 'Boundaries', 'Contact']
    """
    if PATH_SEPARATOR not in str(name):
        return [str(name).strip()]
    parts = [p.strip() for p in str(name).split(PATH_SEPARATOR.strip())]
    parts = [p for p in parts if p]
    return parts or [str(name).strip()]


#: ``kind`` of an interview transcript (a participant's document); site documents have the
#: kind the documents map gives them ("job description", "service specification"...).
TRANSCRIPT_KIND = "transcript"
#: ``kind`` of a site document whose map row gives none.
SITE_DOCUMENT_KIND = "site document"


def is_transcript(segments: pd.DataFrame) -> pd.Series:
    """True for the rows of interview transcripts, False for site documents (documentary
    evidence, never attributed to a person). A table without a ``kind`` column (written
    before site documents existed) holds transcripts only."""
    if "kind" not in segments.columns:
        return pd.Series(True, index=segments.index)
    return (segments["kind"].fillna(TRANSCRIPT_KIND).astype(str) == TRANSCRIPT_KIND)


#: The default documents -> participants map in ``data/raw``.
DOCUMENTS_FILE = "qda_documents.csv"


@dataclass
class QDAExport:
    """What a QDA reader (:func:`~peerlib.part2.refi.read_qdpx`,
    :func:`~peerlib.part2.taguette.read_taguette`) read from one export, unredacted.

    Attributes
    ----------
    segments : pandas.DataFrame
        One row per coding of a selection: ``document``, ``code``, ``code_path``,
        ``start``, ``end`` (``Int64``, NA without positions), ``text``, ``coder``,
        ``raw_participant_id``, ``raw_site_id`` (``string``).
    producer : str
        The software that wrote the export ("NVivo", "Taguette", ...; "" if unknown).
    positions : str
        The position convention used: "codepoints", "utf16" or "none" (Taguette).
    n_checked : int
        Selections whose name is their text, checked against the positions.
    documents : list of str
        Every document (text source) of the export, coded or not.
    codebook : pandas.DataFrame or None
        The export's own code tree (:data:`CODEBOOK_COLUMNS`), None when it has none.
    """

    segments: pd.DataFrame
    producer: str
    positions: str
    n_checked: int
    documents: list[str] = field(default_factory=list)
    codebook: pd.DataFrame | None = None


@dataclass
class ImportedSegments:
    """The result of :func:`~peerlib.part2.importer.import_codes`: pseudonymised, redacted
    segments and what the import did.

    Attributes
    ----------
    segments : pandas.DataFrame
        :data:`SEGMENT_COLUMNS`, as written to ``coded_segments.parquet``.
    producer, positions, n_checked, codebook
        As in :class:`QDAExport`.
    n_withdrawn : int
        Segments dropped because their participant withdrew.
    unmapped : list of str
        Documents not mapped to a participant (their ``participant_id`` is NA).
    source : str
        The export's file name.
    key_fingerprint : str
        Fingerprint of the pseudonym key used (:func:`peerlib.privacy.key_fingerprint`).
    """

    segments: pd.DataFrame
    producer: str
    positions: str
    n_checked: int
    codebook: pd.DataFrame | None
    n_withdrawn: int
    unmapped: list[str]
    source: str
    key_fingerprint: str = ""


def read_qda_table(path: Path, *, sheet: str | None = None, what: str = "",
               required: tuple[str, ...] = (), kind: str = "") -> pd.DataFrame:
    """:func:`peerlib.io.read_table` for the files of a QDA import: a file that cannot be
    read, or lacks one of the ``required`` columns, is a :class:`QDAError` whose advice is
    about that file (``what`` it should be; ``kind`` names it in the missing-column
    message), not the Part 1 advice of :class:`~peerlib.errors.AnswerDataError`."""
    try:
        table = read_table(path, sheet=sheet)
    except AnswerDataError as err:
        problems = [f"{rec.problem}" + ("" if pd.isna(rec.value) else f" ({rec.value!s})")
                    for rec in err.problems.itertuples(index=False)]
        raise QDAError(path, "", problems if len(problems) > 1 else problems[0],
                       f"{what} Correct or export it again and run again; nothing was "
                       "written." if what else "Nothing was written.") from err
    missing = [c for c in required if c not in table.columns]
    if missing:
        raise QDAError(path, "header", f"lacks the column(s) {', '.join(missing)} of "
                       f"{kind} ({', '.join(required)})")
    return table


def codebook_frame(codes: list[dict]) -> pd.DataFrame:
    """A code tree as a table: :data:`CODEBOOK_COLUMNS`, all ``string``, in the given order."""
    frame = pd.DataFrame(codes, columns=CODEBOOK_COLUMNS)
    return frame.astype({c: "string" for c in CODEBOOK_COLUMNS}).reset_index(drop=True)


def load_coded_segments(data: str | Path | None = None) -> pd.DataFrame:
    """Read ``coded_segments.parquet`` written by :func:`write_coded_segments`.

    Parameters
    ----------
    data : str or Path, optional
        The processed folder; default ``data/processed``.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`SEGMENT_COLUMNS` (text columns ``string``, positions ``Int64``).
        The code tree written beside it is read by :func:`load_qda_codebook`.

    Raises
    ------
    FileNotFoundError
        When no coded segments were imported: the message says to run
        ``peerlib import-codes``.
    ProcessedDataError
        When the file is damaged: the message says to import the coded transcripts again.
    """
    folder = Path(data) if data else project_paths().processed
    path = folder / "coded_segments.parquet"
    if not path.exists():
        raise FileNotFoundError(f"No coded segments at {path}. Run `peerlib import-codes "
                                "data/raw/<export>.qdpx` (or `make reports`) first.")
    try:
        frame = pd.read_parquet(path)
        if "kind" not in frame.columns:  # written before site documents: transcripts only
            frame["kind"] = TRANSCRIPT_KIND
        for col in SEGMENT_COLUMNS:
            frame[col] = frame[col].astype("Int64" if col in ("start", "end") else "string")
        return frame[SEGMENT_COLUMNS]
    except Exception as err:  # pyarrow and pandas raise many types for a damaged file
        raise ProcessedDataError(path, err, _REIMPORT) from err


def load_qda_codebook(data: str | Path | None = None) -> pd.DataFrame | None:
    """Read the code tree ``qda_codebook.parquet`` written beside the coded segments.

    Parameters
    ----------
    data : str or Path, optional
        The processed folder; default ``data/processed``.

    Returns
    -------
    pandas.DataFrame or None
        :data:`CODEBOOK_COLUMNS` in tree order (all ``string``); None when no code tree was
        written (nothing imported yet).
    """
    folder = Path(data) if data else project_paths().processed
    book_path = folder / "qda_codebook.parquet"
    if not book_path.exists():
        return None
    try:
        return codebook_frame(pd.read_parquet(book_path).to_dict("records"))
    except Exception as err:  # a damaged file
        raise ProcessedDataError(book_path, err, _REIMPORT) from err



def load_import_meta(data: str | Path | None = None) -> dict | None:
    """Read ``coded_segments_meta.json``, what ``peerlib import-codes`` recorded about the
    import (source file and its SHA-256, producer, position convention, counts, the key's
    fingerprint).

    Parameters
    ----------
    data : str or Path, optional
        The processed folder; default ``data/processed``.

    Returns
    -------
    dict or None
        The record; None when nothing was imported (no file).

    Raises
    ------
    ProcessedDataError
        When the file is damaged (not UTF-8 JSON, not a mapping, or a ``source`` that is
        not a mapping): the message names it and says to import the coded transcripts
        again (``peerlib import-codes ...``).
    """
    import json

    folder = Path(data) if data else project_paths().processed
    path = folder / IMPORT_META_FILE
    if not path.exists():
        return None
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(meta, dict) or not isinstance(meta.get("source", {}), dict):
            raise ValueError("not the mapping import-codes writes")
    except (OSError, ValueError) as err:  # UnicodeDecodeError is a ValueError
        raise ProcessedDataError(path, err, _REIMPORT) from err
    return meta

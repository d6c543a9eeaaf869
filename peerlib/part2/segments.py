"""The coded-segments table of Part 2: its columns, the code-path separator, the reader of
QDA-side tables (documents map, redaction list, Taguette files) and the loader of what
``peerlib import-codes`` wrote."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..errors import AnswerDataError, QDAError
from ..part1.read import read_table
from ..paths import project_paths

__all__ = ["SEGMENT_COLUMNS", "CODEBOOK_COLUMNS", "PATH_SEPARATOR", "DOCUMENTS_FILE",
           "read_qda_table", "codebook_frame", "load_coded_segments"]

#: Columns of ``coded_segments`` in order (DESIGN.md, ``peerlib import-codes``).
SEGMENT_COLUMNS = ["document", "participant_id", "site_id", "code", "code_path", "start",
                   "end", "text", "coder"]


#: Columns of a codebook table (:func:`read_codebook`).
CODEBOOK_COLUMNS = ["theme", "code", "code_path", "description"]


#: Separator of the levels of a code path ("Role > Boundaries").
PATH_SEPARATOR = " > "


#: The default documents -> participants map in ``data/raw``.
DOCUMENTS_FILE = "qda_documents.csv"


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
        Columns :data:`SEGMENT_COLUMNS` (text columns ``string``, positions ``Int64``);
        ``attrs["codebook"]`` the code tree written beside it.

    Raises
    ------
    FileNotFoundError
        When no coded segments were imported: the message says to run
        ``peerlib import-codes``.
    """
    folder = Path(data) if data else project_paths().processed
    path = folder / "coded_segments.parquet"
    if not path.exists():
        raise FileNotFoundError(f"No coded segments at {path}. Run `peerlib import-codes "
                                "data/raw/<export>.qdpx` (or `make reports`) first.")
    frame = pd.read_parquet(path)
    for col in SEGMENT_COLUMNS:
        frame[col] = frame[col].astype("Int64" if col in ("start", "end") else "string")
    frame = frame[SEGMENT_COLUMNS]
    book_path = folder / "qda_codebook.parquet"
    if book_path.exists():
        frame.attrs["codebook"] = codebook_frame(pd.read_parquet(book_path).to_dict("records"))
    return frame


"""Taguette's highlights export (CSV or XLSX) as coded segments."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..errors import QDAError
from .segments import PATH_SEPARATOR, QDAExport, read_qda_table, split_path

__all__ = ["read_taguette"]

def read_taguette(path: str | Path, *, sheet: str | None = None) -> QDAExport:
    """Read Taguette's highlights export (CSV or XLSX), unredacted.

    Parameters
    ----------
    path : str or Path
        The export: columns ``id`` (highlight), ``document``, ``tag``, ``content``; one row
        per highlight x tag. Other columns are ignored.
    sheet : str, optional
        Worksheet of an XLSX export; default the first.

    Returns
    -------
    QDAExport
        As :func:`read_qdpx`, with ``start``/``end`` NA (Taguette exports carry no
        positions) and ``coder`` NA (nor coders). A tag containing ``" > "`` is read as a
        code path. ``positions`` "none", ``producer`` "Taguette", ``n_checked`` 0, no
        ``codebook``; ``documents`` in order of first use.

    Raises
    ------
    QDAError
        When the file cannot be read (empty, not text, not a workbook), a required column
        is missing or a row has no document or tag (the message names the file and the
        spreadsheet row, and says what the export should look like).
    """
    path = Path(path)
    table = read_qda_table(path, sheet=sheet, what="A Taguette highlights export is a CSV or "
                       "XLSX with the columns id, document, tag, content.",
                       required=("id", "document", "tag", "content"),
                       kind="a Taguette highlights export")
    rows, problems = [], []
    for idx, rec in table.iterrows():
        doc, tag = str(rec["document"]).strip(), str(rec["tag"]).strip()
        if not doc or not tag:
            problems.append(f"row {int(idx) + 2}: no {'document' if not doc else 'tag'}")
            continue
        parts = split_path(tag)
        rows.append({"document": doc, "code": parts[-1],
                     "code_path": PATH_SEPARATOR.join(parts), "start": pd.NA, "end": pd.NA,
                     "text": str(rec["content"]), "coder": pd.NA,
                     "raw_participant_id": pd.NA, "raw_site_id": pd.NA})
    if problems:
        raise QDAError(path, "", problems)
    frame = pd.DataFrame(rows, columns=["document", "code", "code_path", "start", "end", "text",
                                        "coder", "raw_participant_id", "raw_site_id"])
    frame = frame.astype({"start": "Int64", "end": "Int64"})
    for col in ("document", "code", "code_path", "text", "coder", "raw_participant_id",
                "raw_site_id"):
        frame[col] = frame[col].astype("string")
    return QDAExport(frame, producer="Taguette", positions="none", n_checked=0,
                     documents=list(dict.fromkeys(frame["document"].tolist())))


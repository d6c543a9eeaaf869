"""Part 2 of the interview: coded transcripts from QDA software, analysed with the framework
method.

Modules: :mod:`.refi` (REFI-QDA ``.qdpx``/``.qdc``), :mod:`.taguette` (Taguette exports),
:mod:`.redaction` (the redaction list), :mod:`.segments` (the coded-segments table),
:mod:`.importer` (documents map, Part 1 cross-check, writing), :mod:`.framework` (matrix,
patterns, quotes), :mod:`.agreement` (inter-coder agreement) and :mod:`.demo`.
"""
from __future__ import annotations

from ..errors import QDAError, QDAWarning
from .importer import import_codes, read_documents_map, write_coded_segments
from .redaction import REDACTION_FILE, REDACTION_LABELS, read_redaction_list, redact
from .refi import POSITION_CONVENTIONS, read_codebook, read_qdpx
from .segments import (CODEBOOK_COLUMNS, DOCUMENTS_FILE, PATH_SEPARATOR, SEGMENT_COLUMNS,
                       ImportedSegments, QDAExport, load_coded_segments, load_qda_codebook)
from .taguette import read_taguette

__all__ = ["QDAError", "QDAWarning", "import_codes", "read_documents_map",
           "write_coded_segments", "REDACTION_FILE", "REDACTION_LABELS", "read_redaction_list",
           "redact", "POSITION_CONVENTIONS", "read_codebook", "read_qdpx", "CODEBOOK_COLUMNS",
           "DOCUMENTS_FILE", "PATH_SEPARATOR", "SEGMENT_COLUMNS", "ImportedSegments", "QDAExport",
           "load_coded_segments", "load_qda_codebook",
           "read_taguette"]

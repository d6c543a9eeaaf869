"""Part 1 of the interview: the structured answers ("Is this happening here?", "How important
is this to you?") from raw files to the prepared long table, and their scoring.

Modules: :mod:`.read` (CSV/XLSX/SPSS files), :mod:`.validate` (all problems at once),
:mod:`.prepare` (pseudonymise, tidy, write), :mod:`.validation_report`, :mod:`.template`
(the data-entry workbook), :mod:`.scoring` (distributions, importance, IPA, comparisons) and
:mod:`.demo` (the synthetic demo data).
"""
from __future__ import annotations

from .prepare import load_meta, load_part1, load_prepared, load_sites, prepare

__all__ = ["load_meta", "load_part1", "load_prepared", "load_sites", "prepare"]

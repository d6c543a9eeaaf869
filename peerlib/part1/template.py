"""The Excel data-entry workbook of ``peerlib template``, generated from the codebook and the
site register.

Sheet "Part 1" holds one row per interview under the raw column names of DESIGN.md, with
drop-down lists (Excel data validation) for ``site_id``, ``role`` and every answer column and
the item wording as a comment on each answer column's header; sheet "Instructions" says how
to fill it in and holds the lists the drop-downs read. A workbook filled in this way is read
by ``peerlib prepare`` as it is, with no column map.
"""
from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation

from .._files import atomic_write_bytes, write_cell
from ..codebook import HAPPENING, IMPORTANCE, Codebook, load_codebook
from ..errors import ParameterError
from ..paths import project_paths
from .validate import read_site_register, response_columns

__all__ = ["write_entry_template", "DATA_SHEET", "INSTRUCTIONS_SHEET", "TEMPLATE_FILE"]

#: Name of the data-entry sheet (the first sheet, which ``prepare`` reads by default).
DATA_SHEET = "Part 1"
#: Name of the sheet with the instructions and the drop-down lists.
INSTRUCTIONS_SHEET = "Instructions"
#: Default file name, written into the project's ``reports`` folder.
TEMPLATE_FILE = "part1_data_entry.xlsx"

_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_TEXT_COLUMNS = ("participant_id", "site_id", "interview_date", "interviewer")


def _lists(codebook: Codebook, sites) -> dict[str, list[str]]:
    """The drop-down lists: key -> allowed entries (blank always allowed: no answer)."""
    return {
        "site_id": [str(s) for s in sites["site_id"]],
        "role": list(codebook.role_labels),
        HAPPENING: [lvl.label for lvl in codebook.happening_levels if not lvl.missing],
        IMPORTANCE: list(codebook.importance_labels.values())[::-1],
    }


def _instructions(codebook: Codebook) -> list[str]:
    return [
        "How to fill in this workbook",
        "",
        f"1. Enter one interview per row on the sheet '{DATA_SHEET}', starting in row 2. "
        "Do not rename, move or delete the columns or the header row.",
        "2. participant_id: the study's ID of the participant (never a name). Each ID once.",
        "3. site_id and role: choose from the drop-down list.",
        "4. For each statement (hover over a column header to read its wording) choose the "
        "answer to 'Is this happening here?' (…_happening) and 'How important is this to "
        "you?' (…_importance) from the drop-down list. Leave a cell blank when no answer "
        "was given.",
        "5. interview_date, interviewer and comments are optional and never leave the raw "
        "file. Do not type names, contact details or other identifying details anywhere.",
        "6. Save the workbook as data/raw/part1_responses.xlsx (or pass it with "
        "`peerlib prepare --responses FILE`); keep it out of version control and of e-mail.",
        "",
        f"Instrument: {codebook.name}. The lists the drop-downs offer are in the columns on "
        "the right of this sheet; they come from the codebook and the site register, so "
        "regenerate the workbook (`peerlib template`) after changing either.",
    ]


def write_entry_template(out: str | Path | None = None, *, sites: str | Path | None = None,
                         codebook: str | Path | Codebook | None = None,
                         rows: int = 500) -> Path:
    """Write the Part 1 data-entry workbook (XLSX) for the codebook and site register.

    Parameters
    ----------
    out : str or Path, optional
        The workbook to write; default ``reports/part1_data_entry.xlsx`` of the project (a
        git-ignored folder). Parent folders are created; an existing file is replaced only
        once the new one is complete.
    sites : str or Path, optional
        The site register; default ``data/raw/sites.csv``.
    codebook : str, Path or Codebook, optional
        The instrument; default the one shipped with peerlib.
    rows : int
        Number of interview rows that get the drop-down lists (rows 2 to ``rows + 1``).

    Returns
    -------
    pathlib.Path
        The workbook written. Its first sheet, "Part 1", has the header row of DESIGN.md's
        raw responses (``participant_id``, ``site_id``, ``role``, ``interview_date``,
        ``interviewer``, ``q<item>_happening`` and ``q<item>_importance`` for every item in
        codebook order, ``comments``) with the item wording as a comment on each answer
        header, list validations (site ids, canonical roles, the "Is this happening here?"
        labels but Missing, the importance labels from 4 down to 1; blank allowed = no
        answer) and text format for ID columns. The second sheet, "Instructions", holds the
        instructions (column A) and the lists (columns D to G).

    Raises
    ------
    AnswerDataError
        When the site register is invalid (every problem at once).
    FileNotFoundError
        When the site register or the codebook does not exist.
    CodebookError
        When the codebook is malformed.
    ParameterError
        When ``rows`` is less than 1.
    """
    if rows < 1:
        raise ParameterError(f"rows must be at least 1 (got {rows})")
    paths = project_paths()
    cb = codebook if isinstance(codebook, Codebook) else load_codebook(codebook)
    register = read_site_register(Path(sites) if sites else paths.sites_csv)
    target = Path(out) if out else paths.reports / TEMPLATE_FILE
    lists = _lists(cb, register)

    book = Workbook()
    data = book.active
    data.title = DATA_SHEET
    info = book.create_sheet(INSTRUCTIONS_SHEET)

    # ---------------------------------------------------------------- instructions and lists
    for r, line in enumerate(_instructions(cb), start=1):
        write_cell(info, r, 1, line).alignment = Alignment(wrap_text=True, vertical="top")
    info["A1"].font = Font(bold=True, size=14)
    info.column_dimensions["A"].width = 90
    list_ref: dict[str, str] = {}
    headings = {"site_id": "site_id", "role": "role", HAPPENING: "Is this happening here?",
                IMPORTANCE: "How important is this to you?"}
    for offset, (key, values) in enumerate(lists.items()):
        col = 4 + offset                                     # columns D, E, F, G
        letter = get_column_letter(col)
        info.cell(row=1, column=col, value=headings[key]).font = Font(bold=True)
        for r, value in enumerate(values, start=2):
            write_cell(info, r, col, value)  # text from the codebook and register
        info.column_dimensions[letter].width = max(14, max(len(v) for v in values) + 2)
        list_ref[key] = (f"{quote_sheetname(INSTRUCTIONS_SHEET)}!${letter}$2:"
                         f"${letter}${len(values) + 1}")
    names_col = 4 + len(lists)
    info.cell(row=1, column=names_col, value="site_name").font = Font(bold=True)
    for r, name in enumerate(register["site_name"], start=2):
        write_cell(info, r, names_col, str(name))
    info.column_dimensions[get_column_letter(names_col)].width = 40

    # ---------------------------------------------------------------- data-entry sheet
    columns = response_columns(cb)
    wanted = columns[columns["kind"] != "identifier"]
    optional = [c for c in wanted.loc[wanted["kind"] == "optional", "column"]
                if c != "comments"]
    answers = wanted.loc[wanted["scale"].notna(), "column"].tolist()
    order = ["participant_id", "site_id", "role", *optional, *answers, "comments"]
    meta = wanted.set_index("column")
    wording = cb.items.set_index("item_id")["wording"]
    questions = {HAPPENING: "Is this happening here?", IMPORTANCE: "How important is this to "
                                                                  "you?"}
    last = rows + 1
    validations: dict[str, DataValidation] = {}
    for col, name in enumerate(order, start=1):
        cell = data.cell(row=1, column=col, value=name)
        cell.font = Font(bold=True)
        cell.fill = _HEADER_FILL
        letter = get_column_letter(col)
        data.column_dimensions[letter].width = max(12, len(name) + 2)
        scale = None if pd.isna(meta.at[name, "scale"]) else str(meta.at[name, "scale"])
        key = name if name in ("site_id", "role") else scale
        if scale is not None:
            item = str(meta.at[name, "item_id"])
            cell.comment = Comment(f"{item} {wording[item]}\n\n{questions[scale]} "
                                   "(choose from the list; blank = no answer)", "peerlib",
                                   width=320, height=140)
        if key in list_ref:
            if key not in validations:
                validations[key] = DataValidation(
                    type="list", formula1=list_ref[key], allow_blank=True,
                    showErrorMessage=True, errorStyle="stop",
                    errorTitle="Not on the list",
                    error="Choose a value from the drop-down list, or leave the cell blank "
                          "for no answer.",
                    showInputMessage=False)
            validations[key].add(f"{letter}2:{letter}{last}")
        if name in _TEXT_COLUMNS:
            for r in range(2, last + 1):
                data.cell(row=r, column=col).number_format = "@"   # keep leading zeros
    for validation in validations.values():
        data.add_data_validation(validation)
    data.freeze_panes = "D2"
    data.column_dimensions[get_column_letter(len(order))].width = 40

    buffer = io.BytesIO()
    book.save(buffer)
    return atomic_write_bytes(target, buffer.getvalue())

"""Print setup of the framework workbook (peerlib.reporting.excel.print_setup)."""
from __future__ import annotations

import pandas as pd
from openpyxl import load_workbook

from peerlib.part2.framework import CASE_COLUMNS
from peerlib.reporting.excel import write_framework_workbook


def test_every_sheet_prints_fitted_to_width_with_repeated_header(tmp_path):
    """A 600-character excerpt in a 60-wide column: 600 / (60 x 1.1 = 66 chars) -> 10 lines
    -> 150 points; a short row keeps Excel's default height; a huge one stops at 409."""
    frame = pd.DataFrame({c: ["x", "y", "z"] for c in CASE_COLUMNS}
                         | {"Theme": ["word " * 120, "short", "word " * 2000]})
    path = write_framework_workbook({"Role": frame}, tmp_path / "fm.xlsx", title="T")
    wb = load_workbook(path)
    for ws in [w for w in wb.worksheets if w.sheet_state == "visible"]:  # not the index
        assert int(ws.page_setup.paperSize) == 9  # A4
        assert ws.page_setup.orientation == "landscape"
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0
        assert ws.print_title_rows == "$1:$1"
    ws = wb["Role"]
    assert ws.row_dimensions[2].height == 150
    assert ws.row_dimensions[3].height is None
    assert ws.row_dimensions[4].height == 409
    assert ws["F2"].alignment.wrap_text

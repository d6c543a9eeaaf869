"""What report notebooks call: tables for readers (:mod:`.tables`), figures (:mod:`.figures`:
plotly for HTML, matplotlib/seaborn for PNG/SVG), charts typeset by typst for the PDF pack
and PNG/SVG (:mod:`.typst_charts`), Part 2 sections (:mod:`.sections`) and
Excel workbooks (:mod:`.excel`). Everything here reads results computed in ``part1``/``part2``
and masked by :mod:`peerlib.disclosure`; nothing here computes a statistic."""
from __future__ import annotations

__all__: list[str] = []

"""Export an executed notebook to one self-contained offline HTML page (nbconvert).

The HTML shell (template, stylesheet, packed plotly.js, chart markup) lives in
:mod:`peerlib.reporting.html`; the batch calls it from here.
"""
from __future__ import annotations

from ..reporting.html import export_html

__all__ = ["export_html"]

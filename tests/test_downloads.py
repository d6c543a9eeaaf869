"""CSV downloads inside the reports (peerlib.reporting.downloads)."""
from __future__ import annotations

import base64
import re

import pandas as pd

from peerlib.reporting import downloads
from peerlib.reporting import tables as report


def _decode(html: str) -> str:
    uri = re.search(r'href="data:text/csv;charset=utf-8;base64,([^"]+)"', html).group(1)
    return base64.b64decode(uri).decode("utf-8")


def test_link_holds_the_table_formula_safe():
    frame = pd.DataFrame({"Statement": ["=HYPERLINK(\"http://x\")", "2.1 Shared"],
                          "This site": ["n<5", "3 of 7 (43%)"]})
    html = downloads.csv_link(frame, "happening-site-S01").data
    assert 'download="happening-site-s01.csv"' in html
    text = _decode(html)
    assert text.startswith("\ufeff")  # Excel reads UTF-8
    assert "'=HYPERLINK" in text and "\n=HYPERLINK" not in text
    assert "n<5" in text and "3 of 7 (43%)" in text


def test_link_text_is_escaped():
    html = downloads.csv_link(pd.DataFrame({"a": [1]}), "x", "<b>get</b>").data
    assert "&lt;b&gt;get" in html and "<b>" not in html


def test_every_table_carries_its_caption_and_download():
    frame = pd.DataFrame({"Item": ["2.1"], "n": ["n<5"], "Mean": [None]})
    html = report.table(frame, caption="Importance <by> role").data
    assert "<caption class='peerwork-caption'>Importance &lt;by&gt; role</caption>" in html
    assert 'download="importance-by-role.csv"' in html
    assert _decode(html).splitlines()[1] == "2.1,n<5,–"  # the page's cells, NA as on the page
    assert "download=" not in report.table(frame, caption="x", download=False).data


def test_filename_is_safe():
    assert downloads.csv_filename("../../etc/passwd") == "etc-passwd.csv"
    assert downloads.csv_filename("") == "table.csv"

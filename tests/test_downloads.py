"""CSV downloads inside the reports (peerlib.reporting.downloads)."""
from __future__ import annotations

import base64
import re

import pandas as pd
import pytest

from peerlib.reporting import downloads
from peerlib.reporting import tables as report


@pytest.fixture(autouse=True)
def _real_data_downloads():
    """Downloads as made from real data (an earlier test of the worker may have loaded the
    synthetic demo, which marks them: see the last test)."""
    downloads.mark_synthetic(False)
    yield
    downloads.mark_synthetic(False)


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


def test_downloads_from_the_synthetic_demo_say_so_in_name_and_rows():
    """helper-29's U3: 120 of 125 downloads of the demo's reports carried no mark that the
    figures are invented. From the demo (load_report_data marks it) every download is named
    synthetic-demo-... and has a last column saying so on every row; from real data, not."""
    frame = pd.DataFrame({"Statement": ["2.1", "2.2"], "n": ["7", "n<5"]})
    report.load_report_data("")  # the test project's demo data: synthetic
    try:
        html = downloads.csv_link(frame, "happening-site-S01").data
        assert 'download="synthetic-demo-happening-site-s01.csv"' in html
        rows = _decode(html).lstrip("\ufeff").splitlines()
        assert rows[0] == "Statement,n,Data"
        assert all(r.endswith(",SYNTHETIC DEMO DATA (invented figures)")
                   for r in rows[1:]) and len(rows) == 3
        downloads.mark_synthetic(False)  # as after loading real data
        html = downloads.csv_link(frame, "happening-site-S01").data
        assert 'download="happening-site-s01.csv"' in html
        assert _decode(html).lstrip("\ufeff").splitlines()[0] == "Statement,n"
    finally:
        downloads.mark_synthetic(False)

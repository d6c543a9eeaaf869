"""The HTML shell (peerlib.reporting.html): packed plotly.js, chart markup, the index page.

Pages in a real browser are tested in test_browser.py; the whole batch in test_batch.py.
"""
from __future__ import annotations

import html as html_lib
import json
import re

import plotly.graph_objects as go
import pytest
from plotly.offline import get_plotlyjs

from peerlib.reporting import html


def test_packed_plotly_js_unpacks_to_the_installed_plotly_js_and_is_smaller():
    packed = html.packed_plotly_js()
    assert html.unpack_script(packed.text, packed.length) == get_plotlyjs()
    assert packed.raw_size == len(get_plotlyjs().encode("utf-8"))
    assert len(packed.text) < 0.45 * packed.raw_size  # 4.8 MB -> about 1.8 MB
    assert len(packed.text) == 5 * -(-packed.length // 4)
    # nothing in it can open a tag, a comment or an entity, or end the <script> element
    assert not set(packed.text) & set("<&\"'\\/ \n")
    assert len(set(html.BASE85_ALPHABET)) == 85 and set(packed.text) <= set(
        html.BASE85_ALPHABET)
    assert html.packed_plotly_js() is packed  # packed once per process


@pytest.mark.parametrize("data", [b"", b"\x00", b"abc", b"\xff" * 4, b"\xff" * 5,
                                  bytes(range(256)) * 3])
def test_packed_text_is_rfc_1924_base85_in_the_page_alphabet(data):
    """The array encoder writes what the standard library's base85 writes (padded, the
    alphabet's two characters that HTML reads changed), and the page's decoder reverses it."""
    import base64
    import gzip

    expected = base64.b85encode(data, pad=True).decode("ascii").translate(
        str.maketrans("<&", ".,"))
    assert html._b85(data) == expected
    text = data.decode("latin-1") + " peer support \u2013 \u00fcn\u00efcode"
    packed = gzip.compress(text.encode("utf-8"), mtime=0)
    assert html.unpack_script(html._b85(packed), len(packed)) == text


def test_unpack_refuses_what_is_not_a_packed_script():
    with pytest.raises(ValueError, match="not a packed script"):
        html.unpack_script("0000000000", 8)


def _bars():
    fig = go.Figure()
    for name, x in (("Yes", [40.0, 25.5]), ("No", [60.0, None])):
        fig.add_trace(go.Bar(name=name, orientation="h", x=x,
                             y=[["2.1 Shared", "2.1 Shared"], ["NHS", "Voluntary"]]))
    fig.update_layout(title="Is this <b>happening</b> here? </script><!--",
                      xaxis_title="% of everyone asked", height=321)
    return fig


def test_chart_table_lists_what_the_chart_draws():
    table = html.chart_table(_bars())
    assert table["columns"] == ["Yes", "No"]
    assert table["rows"] == [{"label": "2.1 Shared · NHS", "cells": ["40", "60"]},
                             {"label": "2.1 Shared · Voluntary", "cells": ["25.5", "–"]}]
    assert table["unit"] == "% of everyone asked"


def test_chart_table_of_a_heatmap_uses_its_cell_text():
    fig = go.Figure(go.Heatmap(z=[[50, None]], x=["Theme A", "Theme B"], y=["NHS"],
                               text=[["3 of 6 (50%)", "n<5"]]))
    table = html.chart_table(fig)
    assert table["columns"] == ["Theme A", "Theme B"]
    assert table["rows"] == [{"label": "NHS", "cells": ["3 of 6 (50%)", "n<5"]}]


def test_chart_table_of_labelled_points():
    fig = go.Figure(go.Scatter(x=[50, 75.25], y=[3.5, 2], text=["2.1", "2.2"],
                               mode="markers+text"))
    fig.update_layout(xaxis_title="Performance", yaxis_title="Importance")
    table = html.chart_table(fig)
    assert table["columns"] == ["Performance", "Importance"]
    assert table["rows"][1] == {"label": "2.2", "cells": ["75.25", "2"]}


def test_chart_html_is_named_inert_and_draws_from_json():
    page = html.chart_html(_bars(), "peerwork-fig-7")
    assert '<div class="peerwork-plot" id="peerwork-fig-7" role="img"' in page
    label = re.search(r'aria-label="([^"]*)"', page).group(1)
    # plotly's markup tags (<b>) are dropped from the name; the rest is text
    assert html_lib.unescape(label) == ("Chart: Is this happening here? <!--. The "
                                        "numbers are in the table that follows.")
    assert "height:321px" in page
    spec = re.search(r'<script type="application/json" class="peerwork-figure" '
                     r'data-target="peerwork-fig-7">(.*?)</script>', page, re.S).group(1)
    assert "<" not in spec and "&" not in spec  # cannot close its element or open another
    fig = json.loads(spec)
    assert fig["layout"]["title"]["text"].startswith("Is this <b>happening</b>")
    assert page.count("</script>") == 1 and "<!--" not in page
    assert "<caption>The numbers in the chart" in page and "peerwork-sr-only" in page
    assert "Plotly.newPlot" not in page and "plotly.js" not in page


def test_the_shared_theme_is_the_one_plotly_writes_into_a_figure_and_charts_use_it():
    """The page stores the plotly_white layout once; read from plotly's own theme file, it
    must be exactly what plotly writes into each figure, or every chart would carry its
    own copy again (about 2.7 kB a chart)."""
    import plotly.io as pio

    written = json.loads(pio.to_json(go.Figure(layout={"template": "plotly_white"}),
                                     validate=False))["layout"]["template"]["layout"]
    assert html.shared_theme_layout() == written
    fig = go.Figure(go.Bar(x=["a"], y=[1]), layout={"template": "plotly_white"})
    spec = re.search(r'class="peerwork-figure" data-target="f">(.*?)</script>',
                     html.chart_html(fig, "f"), re.S).group(1)
    assert json.loads(spec)["layout"]["template"]["layout"] == html.SHARED_THEME


def test_index_lists_each_report_with_purpose_status_date_and_files(tmp_path):
    (tmp_path / "sites").mkdir()
    for rel in ("sites/S01.html", "sites/S01.pdf", "cross_site.html", "framework_matrix.html",
                "framework_matrix.xlsx"):
        (tmp_path / rel).write_text("x", encoding="utf-8")
    (tmp_path / "figures").mkdir()
    rows = [
        {"label": "Cross-site report", "rel": "cross_site.html", "kind": "cross_site",
         "state": "up to date", "cls": "ok", "date": "2026-12-01 10:00 UTC"},
        {"label": "Framework matrix (Part 2)", "rel": "framework_matrix.html",
         "kind": "framework", "state": "up to date", "cls": "ok", "date": "2026-12-01"},
        {"label": "S01: <b>Ashwell</b>", "rel": "sites/S01.html", "kind": "site",
         "state": "STALE: the latest run failed (KeyError: '<x>')", "cls": "stale",
         "date": "2026-11-30 09:00 UTC"},
        {"label": "S02: Calderbrook", "rel": "sites/S02.html", "kind": "site",
         "state": "FAILED: boom; no report yet", "cls": "failed", "date": None},
    ]
    page = html.render_index(tmp_path, rows, provenance={
        "dataset_name": "Demo & co", "synthetic": True, "run_date": "2026-12-01 10:00 UTC",
        "version": "0.1.0", "git_commit": "abc"})
    trs = [l for l in page.splitlines() if l.startswith("<tr class=")]
    assert len(trs) == len(rows)  # one line per report, in order
    line = {r["rel"]: tr for r, tr in zip(rows, trs)}
    s01 = line["sites/S01.html"]
    assert "S01: &lt;b&gt;Ashwell&lt;/b&gt;" in s01 and "&lt;x&gt;" in s01
    assert html.REPORT_PURPOSES["site"] in html_lib.unescape(s01) and "2026-11-30 09:00 UTC" in s01
    assert 'href="sites/S01.pdf"' in s01 and "Feedback pack (PDF)" in s01
    assert 'href="framework_matrix.xlsx"' in line["framework_matrix.html"]
    assert 'href="figures/"' in line["cross_site.html"]
    s02 = line["sites/S02.html"]
    assert "href=" not in s02 and "FAILED" in s02 and 'class="failed"' in s02
    assert "Demo &amp; co" in page and "SYNTHETIC DEMO DATA" in page
    for landmark in ("<header", "<main", "<footer"):
        assert page.count(landmark) == 1
    assert "<script" not in page and "http" not in page


def test_unknown_report_kind_is_a_key_error(tmp_path):
    with pytest.raises(KeyError):
        html.render_index(tmp_path, [{"label": "x", "rel": "x.html", "kind": "poster",
                                      "state": "", "cls": "ok", "date": None}],
                          provenance={"dataset_name": "d", "synthetic": False,
                                      "run_date": "", "version": "", "git_commit": ""})


def test_report_sizes_lists_report_files_and_the_folder_total(tmp_path):
    (tmp_path / "sites").mkdir()
    (tmp_path / "sites" / "S01.html").write_bytes(b"a" * 10)
    (tmp_path / "cross_site.html").write_bytes(b"b" * 7)
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / "x.ipynb").write_bytes(b"c" * 5)
    assert html.report_sizes(tmp_path) == [("cross_site.html", 7), ("sites/S01.html", 10),
                                           ("TOTAL (folder)", 22)]

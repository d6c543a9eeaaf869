"""Diverging "Is this happening here?" bars (peerlib.reporting.likert)."""
from __future__ import annotations

import pandas as pd
import pytest

from peerlib.disclosure import suppress_small_groups
from peerlib.errors import ParameterError
from peerlib.part1 import scoring
from peerlib.reporting import likert, typst_charts


def _dist(long_df, k):
    return suppress_small_groups(scoring.happening_distribution(long_df, by="site_id"),
                                 n="n_asked", k=k, values=["count", "percent"])


def test_rows_carry_n_and_hide_small_groups(long_df):
    rows = likert.diverging_rows(_dist(long_df, 2), group="site_id", k=2,
                                 item_labels={"2.1": "Shared"})
    s01 = rows[(rows["item_id"] == "2.1") & (rows["group"] == "S01")].iloc[0]
    assert s01["bar"] == "S01 (n = 4)" and s01["label"] == "2.1 Shared"
    assert s01["Yes %"] == pytest.approx(50.0) and s01["agree_percent"] == pytest.approx(75.0)
    s02 = rows[rows["group"] == "S02"]
    assert s02["hidden"].all() and (s02["bar"] == "S02 (n<2)").all()
    assert s02["Yes %"].isna().all() and s02["Yes n"].isna().all()


def test_order_by_agreement(long_df):
    """S01 Yes or Partly: 2.1 75%, 2.2 50%, 2.3 50% -> 2.1 first; ties keep study order."""
    rows = likert.diverging_rows(_dist(long_df, 1), group="site_id", k=1, order="agreement",
                                 group_order=["S01", "S02"])
    assert list(dict.fromkeys(rows["item_id"])) == ["2.1", "2.2", "2.3"]
    rows = likert.diverging_rows(_dist(long_df, 1), group="site_id", k=1, order="agreement",
                                 group_order=["S02", "S01"])
    # S02: 2.1 Yes, 2.2 Don't know, 2.3 Partly -> 2.1 and 2.3 (100%) before 2.2 (0%)
    assert list(dict.fromkeys(rows["item_id"])) == ["2.1", "2.3", "2.2"]
    with pytest.raises(ParameterError, match="bar_order must be 'study'"):
        likert.diverging_rows(_dist(long_df, 1), k=1, order="alphabet")


def test_plotly_bars_diverge_with_a_side_panel(long_df):
    rows = likert.diverging_rows(_dist(long_df, 2), group="site_id", k=2)
    fig = likert.happening_diverging(rows, wording={"2.1": "There is a shared understanding"})
    by_name = {t.name: t for t in fig.data if t.type == "bar"}
    assert set(by_name) == {"Yes", "Partly", "No", "Don't know", "Not relevant", "Missing"}
    assert all(x <= 0 for x in by_name["No"].x if x == x)  # left of zero
    assert all(x >= 0 for x in by_name["Yes"].x if x == x)
    assert by_name["Missing"].xaxis == "x2" and by_name["Yes"].xaxis == "x"
    assert "There is a shared understanding" in str(by_name["Yes"].customdata[0])
    assert fig.layout.barmode == "relative"
    texts = [t for t in fig.data if t.type == "scatter"]
    hidden_text = [t for t in texts[0].text if t]
    assert len(hidden_text) == 3 and all(t == "n<2: not shown" for t in hidden_text)
    assert not any("S02" in str(t.customdata) for t in by_name.values())  # no hidden bar
    assert any("(n = 4)" in y for y in by_name["Yes"].y[1])
    # hidden rows take their line too: the chart grows with every row (a tester read 40
    # rows squeezed into the height of the shown ones)
    big = pd.concat([rows] * 5, ignore_index=True)
    assert big["hidden"].sum() == 15
    assert likert.happening_diverging(big).layout.height == 110 + 28 * len(big)


def test_static_version_marks_synthetic_data(long_df, tmp_path):
    rows = likert.diverging_rows(_dist(long_df, 2), group="site_id", k=2)
    png, svg = typst_charts.save_chart(typst_charts.happening_chart_data(rows), tmp_path, "h",
                                       kind="happening", title="t", synthetic=True)
    assert "SYNTHETIC DEMO DATA" in svg.read_text(encoding="utf-8")
    assert png.stat().st_size > 0


def test_hover_text_from_the_codebook_is_escaped(long_df):
    rows = likert.diverging_rows(_dist(long_df, 1), group="site_id", k=1,
                                 item_labels={"2.1": "<a href='javascript:x'>L</a>"})
    fig = likert.happening_diverging(rows, wording={"2.1": "<b onmouseover=x>W</b>"})
    hover = str([t for t in fig.data if t.type == "bar"][0].customdata[0])
    assert "&lt;a href=" in hover and "&lt;b onmouseover" in hover
    assert "<a href" not in hover and "<b onmouseover" not in hover


def test_long_statement_and_group_labels_leave_the_bars_room(long_df):
    """By role, "2.1 Shared understanding of the role" beside "Senior/strategic manager or
    commissioner (n = 14)" took most of a 668 px chart (a tester could not read it): past
    AXIS_LABEL_CHARS the axis names the statement by its number; the hover keeps it whole."""
    rows = likert.diverging_rows(_dist(long_df, 2), group="site_id", k=2)
    rows = rows.assign(label=[f"{i} Shared understanding of the role" for i in rows["item_id"]])
    short = likert.happening_diverging(rows)
    assert likert._label_width(rows) <= likert.AXIS_LABEL_CHARS
    assert short.data[0].y[0][0] == "2.1 Shared understanding of the role"
    long = rows.assign(bar="Senior/strategic manager or commissioner (n = 14)")
    fig = likert.happening_diverging(long)
    assert list(dict.fromkeys(fig.data[0].y[0])) == list(dict.fromkeys(rows["item_id"]))
    bars = [t for t in fig.data if t.type == "bar" and t.name == "Yes"][0]
    assert "Shared understanding of the role" in str(bars.customdata[0][0])


def test_the_charts_table_reads_as_the_chart_does(long_df):
    """The table of numbers under the chart (what a screen reader reads, and what an
    executed notebook shows): one row per bar in the chart's order, "No" unsigned as the
    axis shows it, hidden groups named with their note, and no row or column made of the
    text trace's positions (helper-28 found a row holding a Python list, "x"/"y" columns
    of dashes and "No" as -28.57)."""
    from peerlib.reporting.html import chart_table

    rows = likert.diverging_rows(_dist(long_df, 2), group="site_id", k=2,
                                 item_labels={"2.1": "Shared"})
    table = chart_table(likert.happening_diverging(rows))
    assert table["columns"][0] == "Note" and "x" not in table["columns"]
    assert [r["label"] for r in table["rows"]] == [f"{a} · {b}" for a, b in
                                                   zip(rows["label"], rows["bar"])]
    by_label = {r["label"]: dict(zip(table["columns"], r["cells"])) for r in table["rows"]}
    s01 = by_label["2.1 Shared · S01 (n = 4)"]
    assert s01["No"] == "25" and s01["Yes"] == "50" and s01["Note"] == "–"
    assert not any(c.startswith("-") for r in table["rows"] for c in r["cells"])
    s02 = by_label["2.1 Shared · S02 (n<2)"]
    assert s02["Note"] == "n<2: not shown" and s02["No"] == "–"
    # a label is unescaped for the table once, and the page's template escapes it once
    from peerlib.reporting.html import chart_html

    rows = rows.assign(label=rows["label"].str.replace("Shared", "<a href='x'>S&T</a>"))
    fig = likert.happening_diverging(rows)
    assert chart_table(fig)["rows"][0]["label"].startswith("2.1 <a href='x'>S&T</a> · ")
    page = chart_html(fig, "peerwork-fig-t")
    assert "<th scope=\"row\">2.1 &lt;a href=&#39;x&#39;&gt;S&amp;T&lt;/a&gt;" in page
    assert "<a href='x'>" not in page and "&amp;lt;" not in page

"""Figure builders: scale order, colours, suppression respected, HTML output survives export."""
from __future__ import annotations

import json

import matplotlib
import pandas as pd

from peerlib.part1 import scoring
from peerlib.reporting import figures as plots
from peerlib.disclosure import suppress_small_groups

matplotlib.use("Agg")


def test_happening_bars_keep_scale_order_and_colours(long_df):
    dist = scoring.happening_distribution(long_df, by="sector")
    fig = plots.happening_bars(dist, group="sector")
    names = [t.name for t in fig.data]
    assert names == ["Yes", "Partly", "No", "Don't know", "Not relevant", "Missing"]
    assert [t.marker.color for t in fig.data] == [plots.HAPPENING_COLOURS[n] for n in names]


def test_suppressed_groups_are_not_drawn(long_df):
    dist = suppress_small_groups(scoring.happening_distribution(long_df, by="sector"),
                                 n="n_asked", k=2)
    fig = plots.happening_bars(dist, group="sector")
    groups = {g for t in fig.data for g in t.y[1]}
    assert groups == {"NHS"}  # Voluntary has one participant


def test_importance_bars_mark_hidden_means_without_a_value(long_df):
    """Voluntary has one participant (k = 2): its means are hidden, and each is a hatched
    grey column in Voluntary's place (no value, no n), not a gap that reads as 0."""
    imp = scoring.importance_summary(long_df, by="sector").rename(columns={"sector": "group"})
    imp = suppress_small_groups(imp, n="n", k=2, values=["mean", "sd", "median", "ci_low",
                                                         "ci_high"])
    fig = plots.importance_bars(imp, group="group")
    assert [t.name for t in fig.data][:2] == ["NHS", "Voluntary"]
    assert len(fig.data[1].x) == 0  # no Voluntary mean drawn
    hatched = [t for t in fig.data if t.legendgroup == "not shown"]
    assert len(hatched) == 1 and hatched[0].offsetgroup == "Voluntary"
    voluntary = imp[imp["group"] == "Voluntary"]
    assert list(hatched[0].x) == voluntary["item_id"].astype(str).tolist()
    assert set(hatched[0].y) == {4.0} and hatched[0].customdata is None
    assert "not shown" in hatched[0].hovertemplate and "%{" not in hatched[0].hovertemplate
    assert hatched[0].marker.pattern.shape == "/"
    assert list(fig.layout.xaxis.categoryarray) == ["2.1", "2.2", "2.3"]
    assert fig.layout.yaxis.range == (0, 4)


def test_plotly_output_offers_html_with_fixed_id_and_no_plotlyjs(long_df):
    fig = plots.ipa_chart(scoring.importance_performance(long_df))
    bundle = plots.show(fig, "ipa")._repr_mimebundle_()
    html = bundle["text/html"]
    assert 'id="peerwork-fig-ipa"' in html and 'class="peerwork-figure"' in html
    assert 'role="img"' in html and 'aria-label="Chart: ' in html
    assert "<script src" not in html and len(html) < 100_000  # plotly.js not inlined
    assert json.dumps(bundle["application/vnd.plotly.v1+json"])


def test_static_figures_are_written_identically_twice(long_df, tmp_path):
    dist = scoring.happening_distribution(long_df, by="sector")
    first = plots.save_static(plots.happening_bars_static(dist, group="sector"), tmp_path / "a",
                              "h")
    second = plots.save_static(plots.happening_bars_static(dist, group="sector"),
                               tmp_path / "b", "h")
    for a, b in zip(first, second):
        assert a.read_bytes() == b.read_bytes()
    assert first[1].read_text(encoding="utf-8").count("<dc:date>") == 0


def _luminance(hex_colour: str) -> float:
    """Relative luminance of an sRGB colour (WCAG 2.1, definition of relative luminance)."""
    channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def _contrast(a: str, b: str) -> float:
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_heatmap_text_keeps_4_5_to_1_contrast_on_every_fill():
    """WCAG 2.1 AA for text: checked at each stop of the scale and halfway between stops
    (plotly interpolates in RGB). Reference values: white on #4292c6 is 3.4:1, which is why
    the text is dark."""
    import plotly.colors as pc

    stops = [c for _, c in plots.HEATMAP_SCALE]
    fills = stops + [pc.label_rgb(pc.find_intermediate_color(
        pc.hex_to_rgb(a), pc.hex_to_rgb(b), 0.5)) for a, b in zip(stops, stops[1:])]
    fills = [f if f.startswith("#") else "#%02x%02x%02x" % tuple(round(v) for v in
                                                       pc.unlabel_rgb(f)) for f in fills]
    assert all(_contrast(plots.HEATMAP_TEXT, f) >= 4.5 for f in fills), fills
    assert _contrast("#ffffff", "#4292c6") < 4.5  # the check can fail


def test_charts_have_the_white_theme_whatever_plotly_default_a_user_chose(long_df):
    """The charts take plotly_white from plotly's default (no per-figure copy of the theme)
    only while nobody chose another default; a chosen default is kept, and the charts name
    their theme. Either way the figure's JSON is the same."""
    import plotly.io as pio

    dist = scoring.happening_distribution(long_df, by="sector")
    assert pio.templates.default == plots.THEME  # set on import: plotly's own was "plotly"
    cheap = plots.happening_bars(dist, group="sector")
    try:
        pio.templates.default = "ggplot2"  # an analyst's own choice
        named = plots.happening_bars(dist, group="sector")
        assert pio.templates.default == "ggplot2"
    finally:
        pio.templates.default = plots.THEME
    white = pio.templates["plotly_white"].layout.paper_bgcolor
    assert cheap.layout.template.layout.paper_bgcolor == white
    assert json.loads(pio.to_json(cheap)) == json.loads(pio.to_json(named))


def test_ipa_quadrant_names_are_outside_the_plot(long_df):
    """The quadrant names sit above (top quadrants) and below (bottom quadrants) the plot,
    so that no point at the end of a scale covers one."""
    ipa = scoring.importance_performance(long_df)
    fig = plots.ipa_chart(ipa)
    names = {a.text: a for a in fig.layout.annotations}
    for name in ("Concentrate here", "Keep up the good work"):
        a = names[name]
        assert (a.yref, a.y, a.yanchor) == ("paper", 1, "bottom"), name
    for name in ("Low priority", "Possible overkill"):
        a = names[name]
        assert (a.yref, a.y, a.yanchor) == ("paper", 0, "top") and a.yshift < 0, name


def test_chart_json_form_is_left_out_on_request_and_the_page_form_is_unchanged(
        long_df, monkeypatch):
    """PEERLIB_CHART_JSON=0 (the batch's kernels) drops plotly's JSON form of a chart's
    notebook output and nothing else: the HTML the report page is built from is the same."""
    fig = plots.ipa_chart(scoring.importance_performance(long_df))
    monkeypatch.delenv(plots.CHART_JSON_VARIABLE, raising=False)
    full = plots.show(fig, "ipa")._repr_mimebundle_()
    monkeypatch.setenv(plots.CHART_JSON_VARIABLE, "0")
    lean = plots.show(fig, "ipa")._repr_mimebundle_()
    assert "application/vnd.plotly.v1+json" in full
    assert sorted(lean) == ["text/html", "text/plain"]
    assert lean["text/html"] == full["text/html"] and lean["text/plain"] == full["text/plain"]
    monkeypatch.setenv(plots.CHART_JSON_VARIABLE, "1")
    assert plots.show(fig, "ipa")._repr_mimebundle_() == full

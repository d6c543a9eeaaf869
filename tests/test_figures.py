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


def test_importance_bars_skip_suppressed_means(long_df):
    imp = scoring.importance_summary(long_df, by="sector").rename(columns={"sector": "group"})
    imp = suppress_small_groups(imp, n="n", k=2, values=["mean", "sd", "median", "ci_low",
                                                         "ci_high"])
    fig = plots.importance_bars(imp, group="group")
    assert [t.name for t in fig.data] == ["NHS"]
    assert fig.layout.yaxis.range == (0, 4)


def test_plotly_output_offers_html_with_fixed_id_and_no_plotlyjs(long_df):
    fig = plots.ipa_chart(scoring.importance_performance(long_df))
    bundle = plots.show(fig, "ipa")._repr_mimebundle_()
    html = bundle["text/html"]
    assert 'id="peerwork-fig-ipa"' in html and "Plotly.newPlot" in html
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

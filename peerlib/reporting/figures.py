"""Figure builders: plotly for the HTML reports, matplotlib/seaborn for stacked bars and the
per-site heatmap as PNG/SVG (the report's three main charts as PNG/SVG and in the PDF pack are
typeset by typst: :mod:`peerlib.reporting.typst_charts`).

Every builder takes a result table from :mod:`peerlib.scoring` (already passed through
:mod:`peerlib.disclosure`) and only draws it: no statistic is computed here. Likert answers
keep their scale order and always the same colours: a diverging, colour-blind-safe blue/red
pair for the substantive answers (ColorBrewer RdBu) and neutral greys for Don't know, Not
relevant and Missing.

Every plotly chart uses plotly's ``plotly_white`` theme (:data:`THEME`). Importing this
module makes it plotly's default template when the default is still plotly's own
(``"plotly"``): a new figure then takes the theme without copying it, where naming it per
figure (``template="plotly_white"``) makes plotly deep-copy the theme every time (about
20 ms a figure). A default someone chose is left alone and the charts name their theme.
"""
from __future__ import annotations

import itertools
import json
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from .metadata import hidden_rows, ipa_cells, pattern_cells, view_cells, with_figure_cells
from .shown import count_value, mean_text

__all__ = [
    "HAPPENING_COLOURS",
    "IMPORTANCE_COLOURS",
    "GROUP_COLOURS",
    "HEATMAP_SCALE",
    "HEATMAP_TEXT",
    "happening_bars",
    "importance_bars",
    "ipa_chart",
    "theme_heatmap",
    "reset_figure_ids",
    "happening_bars_static",
    "save_static",
    "mark_synthetic",
    "show",
    "PlotlyOutput",
    "THEME",
    "theme_layout",
]

#: Colours of the "Is this happening here?" answers (ColorBrewer RdBu, Brewer 2002).
HAPPENING_COLOURS = {
    "Yes": "#2166ac",
    "Partly": "#92c5de",
    "No": "#d6604d",
    "Don't know": "#8c8c8c",
    "Not relevant": "#b3b3b3",
    "Missing": "#d9d9d9",
}
#: Colours of the importance scale values (1-4), same diverging palette.
IMPORTANCE_COLOURS = {1: "#b2182b", 2: "#f4a582", 3: "#92c5de", 4: "#2166ac"}
#: Colours of comparison groups (Okabe & Ito 2008, colour-blind safe).
GROUP_COLOURS = ["#555555", "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00"]

_FONT = dict(family="Arial, Helvetica, sans-serif", size=13)

#: The plotly theme (template) of every chart of the reports.
THEME = "plotly_white"
if pio.templates.default == "plotly":  # plotly's own default, not a choice: see above
    pio.templates.default = THEME


def theme_layout() -> dict:
    """The layout keyword that gives a new figure the reports' theme (:data:`THEME`).

    Returns
    -------
    dict
        Empty when plotly's default template is :data:`THEME` (every new figure already
        has it, without a copy), else ``{"template": THEME}``: pass it to
        ``fig.update_layout(**theme_layout())``.
    """
    return {} if pio.templates.default == THEME else {"template": THEME}

#: Heatmap fill from 0% to 100% (light ColorBrewer Blues) and the one text colour written on
#: it: every fill keeps a contrast of at least 4.5:1 with the text (WCAG 2.1 AA).
HEATMAP_SCALE = [[0.0, "#f7fbff"], [0.5, "#c6dbef"], [1.0, "#4292c6"]]
HEATMAP_TEXT = "#1a1a1a"


def _colour(label: object) -> str:
    return HAPPENING_COLOURS.get(str(label), "#888888")


_LABEL_SPOTS = ["top center", "bottom center", "middle right", "middle left", "top right",
                "bottom left"]


def _label_spots(x: Sequence[float], y: Sequence[float], *, dx: float = 7.0,
                 dy: float = 0.15) -> list[str]:
    """Where to put each point's label (a plotly ``textposition``) so that a reader can
    tell which point it names.

    A point with no other point within ``dx`` (x units) and ``dy`` (y units) is labelled
    above. Of two near points, each is labelled on the side away from the other, along the
    direction in which they are further apart (relative to ``dx`` and ``dy``): above and
    below, or left and right (left then right when they coincide), so that no label sits
    nearer the other point. Three or more near points take the free
    spots of :data:`_LABEL_SPOTS` in turn.

    Returns
    -------
    list of str
        One spot per point, in order.
    """
    n = len(x)
    near = [[j for j in range(n) if j != i and abs(x[j] - x[i]) < dx
             and abs(y[j] - y[i]) < dy] for i in range(n)]
    spots: list[str] = []
    for i in range(n):
        if not near[i]:
            spots.append("top center")
        elif len(near[i]) == 1 and len(near[near[i][0]]) == 1:
            j = near[i][0]
            across, up = abs(x[i] - x[j]) / dx, abs(y[i] - y[j]) / dy
            if up >= across and y[i] != y[j]:  # more apart up and down: above and below
                spots.append("top center" if y[i] > y[j] else "bottom center")
            elif x[i] != x[j]:
                spots.append("middle right" if x[i] > x[j] else "middle left")
            else:
                spots.append("middle left" if i < j else "middle right")
        else:
            taken = {spots[j] for j in near[i] if j < i}
            spots.append(next((s for s in _LABEL_SPOTS if s not in taken), _LABEL_SPOTS[0]))
    return spots


def _item_text(items: pd.Series, labels: dict[str, str] | None) -> list[str]:
    labels = labels or {}
    return [f"{i} {labels[str(i)]}" if str(i) in labels else str(i) for i in items]


def happening_bars(dist: pd.DataFrame, *, group: str | None = "sector",
                   item_labels: dict[str, str] | None = None, title: str = "",
                   response: str = "happening", item: str = "item_id",
                   group_order: Sequence[str] | None = None) -> go.Figure:
    """100% stacked horizontal bars of "Is this happening here?" per item (and group).

    Parameters
    ----------
    dist : pandas.DataFrame
        Output of :func:`peerlib.scoring.happening_distribution` (optionally suppressed;
        in reports its shown form, :func:`peerlib.reporting.shown.shown_happening`): one
        row per group x item x answer with ``percent``, ``count`` and ``n_asked``; a
        count the policy does not show ("<8") has no bar length and its text in the
        hover.
        Rows of suppressed groups (``suppressed`` True) are drawn as an empty bar labelled
        "n<k" by the caller's table; here they are left out.
    group : str or None
        Grouping column shown beside each item (None: one bar per item).
    item_labels : dict, optional
        Item id -> short label for the axis.
    title : str
        Figure title.
    group_order : sequence of str, optional
        Order of the groups within an item.

    Returns
    -------
    plotly.graph_objects.Figure
        One trace per answer option in scale order; x = percent (0-100) of everyone asked.
    """
    data = dist.copy()
    if "suppressed" in data.columns:
        data = data[~data["suppressed"].astype(bool)]
    levels = list(data[response].cat.categories) if isinstance(
        data[response].dtype, pd.CategoricalDtype) else list(HAPPENING_COLOURS)
    items = list(dict.fromkeys(data[item].astype(str)))
    if not group:
        ordered = [None]
    elif group_order:
        ordered = [g for g in group_order if g in set(data[group].astype(str))]
    elif isinstance(data[group].dtype, pd.CategoricalDtype):  # e.g. roles: the study's order
        ordered = [str(g) for g in data[group].cat.categories
                   if str(g) in set(data[group].astype(str))]
    else:
        ordered = sorted(data[group].astype(str).unique())
    fig = go.Figure()
    for level in levels:
        sub = data[data[response].astype(str) == level]
        xs, ys_item, ys_group, custom = [], [], [], []
        for it in items:
            for g in ordered:
                row = sub[(sub[item].astype(str) == it) & (
                    (sub[group].astype(str) == g) if group else True)]
                if row.empty:
                    continue
                rec = row.iloc[0]
                xs.append(float(rec["percent"]) if pd.notna(rec["percent"]) else 0.0)
                ys_item.append(_item_text(pd.Series([it]), item_labels)[0])
                ys_group.append(g if g is not None else "All")
                custom.append([count_value(rec["count"], rec.get("count_text")),
                               count_value(rec["n_asked"], rec.get("n_asked_text"))])
        fig.add_trace(go.Bar(
            name=level, orientation="h", x=xs,
            y=[ys_item, ys_group] if group else ys_item,
            marker_color=_colour(level), customdata=custom,
            hovertemplate=(f"{level}: %{{x:.0f}}% (%{{customdata[0]}} of "
                           "%{customdata[1]})<extra></extra>"),
        ))
    n_rows = len(items) * len(ordered)
    fig.update_layout(
        barmode="stack", title=title, font=_FONT, **theme_layout(),
        xaxis=dict(title="% of everyone asked (Missing included)", range=[0, 100],
                   ticksuffix="%"),
        yaxis=dict(autorange="reversed"),
        legend=dict(orientation="h", yanchor="bottom", y=1.0, x=0, traceorder="normal"),
        height=max(320, 70 + 26 * n_rows), margin=dict(l=10, r=10, t=80, b=40),
    )
    return with_figure_cells(fig, view_cells(dist, "happening", item=item))


def importance_bars(summary: pd.DataFrame, *, group: str = "group",
                    item_labels: dict[str, str] | None = None, title: str = "",
                    item: str = "item_id", group_order: Sequence[str] | None = None
                    ) -> go.Figure:
    """Grouped bars of mean importance per item (0-4 axis), one colour per group.

    Parameters
    ----------
    summary : pandas.DataFrame
        Output of :func:`peerlib.scoring.importance_summary` with a ``group`` column naming
        the comparison group of each row (e.g. "All", "NHS", "Voluntary"); a hidden row
        (suppressed, NaN mean) is drawn as a hatched grey column in its group's place, with
        no value. In reports its shown form
        (:func:`peerlib.reporting.shown.shown_importance`: ``n`` as the policy shows it).
    group : str
        Column naming the bar colours.
    item_labels : dict, optional
        Item id -> short label.
    title : str
        Figure title.
    group_order : sequence of str, optional
        Order of the groups (and their colours).

    Returns
    -------
    plotly.graph_objects.Figure
        One trace per group; y = mean importance (1 = not at all ... 4 = extremely
        important) on a 0-4 axis, error bars the 95% confidence interval, n in the hover.
    """
    data = summary.dropna(subset=["mean"])
    hidden = summary[hidden_rows(summary, "n", "importance").to_numpy()
                     & summary["mean"].isna().to_numpy()]
    groups = list(group_order) if group_order else list(dict.fromkeys(
        pd.concat([data[group], hidden[group]]).astype(str)))
    fig = go.Figure()
    marked = False
    for colour, g in zip(itertools.cycle(GROUP_COLOURS), groups):
        sub = data[data[group].astype(str) == g]
        fig.add_trace(go.Bar(
            name=g, x=_item_text(sub[item].astype(str), item_labels), y=sub["mean"],
            offsetgroup=str(g),
            marker_color=colour,
            error_y=dict(type="data", symmetric=False,
                         array=(sub["ci_high"] - sub["mean"]).fillna(0),
                         arrayminus=(sub["mean"] - sub["ci_low"]).fillna(0),
                         thickness=1, width=3, color="#333333"),
            customdata=(list(zip(_counts(sub, "n"), sub["mean_text"]))
                        if "mean_text" in sub.columns else _column_data(_counts(sub, "n"))),
            hovertemplate=(f"{g}: mean %{{customdata[1]}} (n = %{{customdata[0]}})"
                           "<extra></extra>" if "mean_text" in sub.columns else
                           f"{g}: mean %{{y:.2f}} (n = %{{customdata[0]}})<extra></extra>"),
        ))
        gone = hidden[hidden[group].astype(str) == g]
        if len(gone):
            # a hidden mean is a hatched grey column in its group's place, not a gap a
            # reader could take for a mean of 0 (no number behind it), with "not shown"
            # written up it: a column to the top of the scale alone could be taken for a
            # high mean (helper-29), on paper above all, where there is no hover text
            fig.add_trace(go.Bar(
                name="Not shown", legendrank=2000,  # last in the legend
                x=_item_text(gone[item].astype(str), item_labels),
                y=[4.0] * len(gone), offsetgroup=str(g), legendgroup="not shown",
                showlegend=not marked, text=["not shown"] * len(gone),
                textposition="inside", textangle=-90, insidetextanchor="middle",
                textfont=dict(color="#616161"),
                marker=dict(color="rgba(0,0,0,0)", line=dict(color="#9e9e9e", width=1),
                            pattern=dict(shape="/", fgcolor="#9e9e9e", size=6)),
                hovertemplate=(f"{g}: not shown (too few answers, or hidden so that a "
                               "small group cannot be worked out)<extra></extra>")))
            marked = True
    fig.update_layout(
        barmode="group", font=_FONT, **theme_layout(),
        # "not shown" up a hidden mean's column where it can be read (at least 9 px), none
        # where the column is too narrow (the legend's "Not shown" says what it is)
        uniformtext=dict(minsize=9, mode="hide"),
        # the title at the top of the figure, the legend below it (however many lines)
        title=dict(text=title, yref="container", y=1, yanchor="top", pad=dict(t=12)),
        yaxis=dict(title="Mean importance (1-4)", range=[0, 4], dtick=1),
        # the statements in the table's order, whichever trace first names them
        xaxis=dict(categoryorder="array", categoryarray=_item_text(
            pd.Series(list(dict.fromkeys(summary[item].astype(str)))), item_labels)),
        legend=dict(orientation="h", yanchor="bottom", y=1.0, x=0),
        # room for a legend of several lines (five roles and "Not shown") under the title
        height=460 + (60 if len(groups) > 3 else 0),
        margin=dict(l=10, r=10, t=80 if len(groups) <= 3 else 140, b=120),
    )
    return with_figure_cells(fig, view_cells(summary, "importance", item=item))


def ipa_chart(ipa: pd.DataFrame, *, item_labels: dict[str, str] | None = None,
              title: str = "", item: str = "item_id") -> go.Figure:
    """Importance-Performance grid: performance (x, 0-100) against mean importance (y, 1-4).

    Parameters
    ----------
    ipa : pandas.DataFrame
        Output of :func:`peerlib.scoring.importance_performance` for one group; rows with a
        NaN value (or suppressed) are left out. In reports its shown form
        (:func:`peerlib.reporting.shown.shown_ipa`: the n's as the policy shows them).
    item_labels : dict, optional
        Item id -> short label (hover text).
    title : str
        Figure title.

    Returns
    -------
    plotly.graph_objects.Figure
        One marker per item labelled with its id, dashed cross-hairs at the reference means
        and the four quadrant names of Martilla & James (1977) beside the plot's corners
        (above the top ones, below the bottom ones).
    """
    data = ipa.dropna(subset=["performance", "importance"])
    labels = _item_text(data[item].astype(str), item_labels)
    fig = go.Figure(go.Scatter(
        x=data["performance"], y=data["importance"], mode="markers+text",
        text=data[item].astype(str),
        textposition=_label_spots(list(data["performance"]), list(data["importance"])),
        marker=dict(size=11, color="#2166ac", line=dict(width=1, color="white")),
        customdata=list(zip(labels, _counts(data, "n_performance"),
                            _counts(data, "n_importance"), data["quadrant"].astype(str),
                            [mean_text(r, "importance") for _, r in data.iterrows()])),
        hovertemplate=("%{customdata[0]}<br>performance %{x:.0f} (n = %{customdata[1]})"
                       "<br>importance %{customdata[4]} (n = %{customdata[2]})"
                       "<br>%{customdata[3]}<extra></extra>"),
    ))
    if len(data):
        px, py = float(data["performance_reference"].iloc[0]), float(
            data["importance_reference"].iloc[0])
        fig.add_vline(x=px, line_dash="dash", line_color="#777777")
        fig.add_hline(y=py, line_dash="dash", line_color="#777777")
    # the quadrants are named outside the plot, above and below the corner each names: a
    # point at the end of a scale would cover a name written inside
    for text, x, y, xa, ya, shift in (("Concentrate here", 0, 1, "left", "bottom", 2),
                                      ("Keep up the good work", 1, 1, "right", "bottom", 2),
                                      ("Low priority", 0, 0, "left", "top", -22),
                                      ("Possible overkill", 1, 0, "right", "top", -22)):
        fig.add_annotation(x=x, y=y, xref="paper", yref="paper", yshift=shift, text=text,
                           showarrow=False, xanchor=xa, yanchor=ya,
                           font=dict(color="#555555", size=12))
    fig.update_layout(
        title=title, font=_FONT, **theme_layout(), showlegend=False,
        xaxis=dict(title=dict(text="Performance: Yes + ½ Partly, % of Yes/Partly/No answers",
                              standoff=26), range=[-2, 102]),
        yaxis=dict(title="Mean importance (1-4)", range=[0.9, 4.1]),
        height=500, margin=dict(l=10, r=10, t=80, b=80),
    )
    return with_figure_cells(fig, ipa_cells(ipa, item=item))


# ---------------------------------------------------------------------- static (slides)
def _counts(data: pd.DataFrame, column: str) -> list:
    """A count column for chart data: ints as they are, or the shown count (its text where
    the policy shows no number)."""
    if f"{column}_text" not in data.columns:
        return list(data[column])
    return [count_value(v, t) for v, t in zip(data[column], data[f"{column}_text"])]


def _column_data(values: list):
    """Values as one customdata column: an int array where every value is a count (as
    plotly stores a count column compactly), else a list of one-item lists."""
    if all(isinstance(v, (int, np.integer)) for v in values):
        return np.asarray(values, dtype="int64").reshape(-1, 1)
    return [[v] for v in values]


def _mpl():
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    import seaborn as sns

    plt.rcParams["svg.hashsalt"] = "peerwork"  # deterministic SVG ids
    sns.set_theme(style="whitegrid", font_scale=0.9)
    return plt, sns


def happening_bars_static(dist: pd.DataFrame, *, group: str = "sector",
                          item_labels: dict[str, str] | None = None, title: str = "",
                          response: str = "happening", item: str = "item_id"):
    """Matplotlib version of :func:`happening_bars` for slides (same order and colours).

    Returns
    -------
    matplotlib.figure.Figure
    """
    plt, _ = _mpl()
    data = dist.copy()
    if "suppressed" in data.columns:
        data = data[~data["suppressed"].astype(bool)]
    wide = data.pivot_table(index=[item, group], columns=response, values="percent",
                            observed=False, sort=True, dropna=False).fillna(0)
    wide = wide.loc[[k for k in wide.index if k in set(zip(data[item], data[group]))]]
    fig, ax = plt.subplots(figsize=(9, 0.42 * len(wide) + 1.6))
    left = pd.Series(0.0, index=wide.index)
    ylabels = [f"{_item_text(pd.Series([i]), item_labels)[0]} · {g}" for i, g in wide.index]
    for level in wide.columns:
        ax.barh(ylabels, wide[level], left=left, color=_colour(level), label=str(level),
                edgecolor="white", linewidth=0.5)
        left += wide[level]
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel("% of everyone asked (Missing included)")
    ax.set_title(title, loc="left")
    ax.legend(ncol=6, loc="upper center", bbox_to_anchor=(0.5, -0.6 / fig.get_figheight()),
              frameon=False, fontsize=8)
    fig.tight_layout()
    return fig


def mark_synthetic(fig, text: str = "SYNTHETIC DEMO DATA: invented answers, not study "
                   "results") -> None:
    """Write a visible "synthetic demo data" line at the foot of a matplotlib figure, so a
    figure copied into slides cannot pass for study results."""
    fig.text(0.5, -0.01, text, ha="center", va="top", fontsize=8, color="#7a5600",
             fontweight="bold")


def save_static(fig, folder: str | Path, name: str, *, synthetic: bool = False) -> list[Path]:
    """Save a matplotlib figure as ``name.png`` (150 dpi) and ``name.svg`` and close it.

    Metadata that changes between runs (dates) is left out, so two runs on the same data
    write identical files. With ``synthetic`` the figure is marked as synthetic demo data
    (:func:`mark_synthetic`).

    Returns
    -------
    list of Path
        The two files written.
    """
    plt, _ = _mpl()
    if synthetic:
        mark_synthetic(fig)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    png, svg = folder / f"{name}.png", folder / f"{name}.svg"
    fig.savefig(png, dpi=150, metadata={"Software": None}, bbox_inches="tight")
    fig.savefig(svg, metadata={"Date": None, "Creator": None}, bbox_inches="tight")
    plt.close(fig)
    return [png, svg]


# ---------------------------------------------------------------------- notebook display
_counter = itertools.count(1)


def reset_figure_ids() -> None:
    """Restart the figure ids (``peerwork-fig-1`` ...) of :func:`show` at 1.

    A batch worker reuses one kernel for many reports (:mod:`peerlib.batch.kernel`) and
    calls this between them, so that a report's ids never depend on the reports before it.
    """
    global _counter
    _counter = itertools.count(1)


#: Environment variable: "0" leaves plotly's own form (``application/vnd.plotly.v1+json``)
#: out of every chart's notebook output, so that only the report page's form is kept. The
#: batch sets it for its kernels (:func:`peerlib.batch.kernel.worker_environment`), unless
#: the user set it.
CHART_JSON_VARIABLE = "PEERLIB_CHART_JSON"


class PlotlyOutput:
    """A plotly figure as notebook output that survives HTML export.

    Plotly 6+ figures display only as ``application/vnd.plotly.v1+json``, which nbconvert
    drops without error. This object offers that mimetype (JupyterLab's renderer) and a
    ``text/html`` chart (:func:`peerlib.reporting.html.chart_html`: the figure as JSON with a
    deterministic id, an accessible name and a table of its numbers, no plotly.js: the report
    page stores plotly.js once and draws every chart).

    With :data:`CHART_JSON_VARIABLE` set to ``"0"`` (as in the batch's kernels) the
    JupyterLab form is left out: the HTML export never uses it, and as a tree of JSON objects
    it was a quarter to a third of what a batch worker spent on the notebooks (receiving,
    validating, copying and saving them, and copying them again for the export: 4.3 and
    5.5 s of CPU for the demo's 13 reports with it, 3.0 and 4.1 s without, two pairs of
    runs in one worker).
    The page is the same either way; an executed notebook of the batch then shows each
    chart's table of numbers in JupyterLab, where the report's HTML page shows the chart.
    """

    def __init__(self, fig: go.Figure, div_id: str, label: str | None = None):
        self.fig = fig
        self.div_id = div_id
        self.label = label

    def _repr_mimebundle_(self, include=None, exclude=None):
        from peerlib.reporting.html import chart_html

        text = pio.to_json(self.fig, validate=False)  # once for both forms
        bundle = {}
        if os.environ.get(CHART_JSON_VARIABLE, "1") != "0":
            bundle["application/vnd.plotly.v1+json"] = json.loads(text)
        bundle["text/html"] = chart_html(self.fig, self.div_id, label=self.label,
                                         spec=json.loads(text))
        bundle["text/plain"] = f"<plotly figure {self.div_id}>"
        return bundle


def show(fig: go.Figure, name: str | None = None, *, label: str | None = None
         ) -> PlotlyOutput:
    """Wrap a plotly figure for display in a notebook and in the exported HTML report.

    Parameters
    ----------
    fig : plotly.graph_objects.Figure
    name : str, optional
        Used in the ``<div>`` id; default a counter (``peerwork-fig-1`` ...), so ids are
        the same on every run of the same notebook.
    label : str, optional
        The chart's accessible name (read by screen readers); default "Chart: " and the
        figure's title.

    Returns
    -------
    PlotlyOutput
        Display it (last expression of a cell).
    """
    return PlotlyOutput(fig, f"peerwork-fig-{name or next(_counter)}", label)


def theme_heatmap(patterns: pd.DataFrame, *, by: str = "sector", title: str = "",
                  k: int | None = None) -> go.Figure:
    """Heatmap of the share of participants who spoke to each theme, by group.

    Parameters
    ----------
    patterns : pandas.DataFrame
        Output of :func:`peerlib.framework.theme_patterns` (already through disclosure:
        ``suppressed`` rows have NA ``n_spoke`` and ``percent``); in reports its shown form
        (:func:`peerlib.reporting.shown.shown_patterns`).
    by : str
        Which breakdown of ``patterns`` to draw (its ``by`` column: ``sector``,
        ``organisation_type`` or ``role``).
    title : str
        Figure title.
    k : int, optional
        The minimum group size, for the "n<k" label of suppressed cells.

    Returns
    -------
    plotly.graph_objects.Figure
        One row per group (in the table's order), one column per theme; colour = percent
        (0-100) of the group's participants with coded transcripts; each cell labelled
        "spoke of n (percent)"; suppressed cells are blank and labelled "n<k".
    """
    data = patterns[patterns["by"] == by]
    groups = list(dict.fromkeys(data["group"].astype(str)))
    themes = list(dict.fromkeys(data["theme"].astype(str)))
    cell = {(str(r.group), str(r.theme)): r for r in data.itertuples(index=False)}
    z, text = [], []
    small = f"n<{k}" if k else "hidden"
    for group in groups:
        z_row, t_row = [], []
        for theme in themes:
            r = cell[(group, theme)]
            nobody = pd.notna(r.n_participants) and int(r.n_participants) == 0
            unshown = (pd.isna(r.percent) and not nobody and not bool(r.suppressed)
                       and bool(getattr(r, "n_spoke_text", "")))
            if unshown:  # a count the policy does not show ("<8"): text, no colour
                z_row.append(None)
                t_row.append(f"{r.n_spoke_text} of {r.n_participants_text}")
            elif bool(r.suppressed) or pd.isna(r.percent):
                z_row.append(None)
                t_row.append(small if not nobody else "none")
            else:
                z_row.append(float(r.percent))
                spoke = getattr(r, "n_spoke_text", None) or f"{int(r.n_spoke)}"
                everyone = (getattr(r, "n_participants_text", None)
                            or f"{int(r.n_participants)}")
                t_row.append(f"{spoke} of {everyone} ({float(r.percent):.0f}%)")
        z.append(z_row)
        text.append(t_row)
    fig = go.Figure(go.Heatmap(
        z=z, x=themes, y=groups, text=text, texttemplate="%{text}", zmin=0, zmax=100,
        colorscale=HEATMAP_SCALE, textfont=dict(color=HEATMAP_TEXT),
        colorbar=dict(title="% of participants"),
        hovertemplate="%{y} - %{x}: %{text}<extra></extra>", xgap=2, ygap=2))
    fig.update_layout(title=title, font=_FONT, **theme_layout(),
                      height=140 + 48 * len(groups), margin=dict(l=10, r=10, t=60, b=10))
    fig.update_yaxes(autorange="reversed")
    return with_figure_cells(fig, pattern_cells(patterns[patterns["by"] == by]))

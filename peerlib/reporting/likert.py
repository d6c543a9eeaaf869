"""Diverging bars of "Is this happening here?", the way survey readers expect them.

Yes and Partly are drawn to the right of zero and No to the left; Don't know, Not relevant
and Missing, which are not answers on the Yes-No scale, stand in a separate panel beside
them, so they neither push the bars sideways nor disappear (the layout of R's
``ggstats::gglikert`` with its side panel of excluded answers, and of the ``likert``
package; Heiberger & Robbins 2014). Every bar carries its group's n, the hover text gives
the statement's full wording, and a hidden group (fewer than ``k`` people, or hidden by the
disclosure rules) keeps its row with "n<k" and no bar.

:func:`diverging_rows` shapes a shown distribution into one row per bar; the figure
builders only draw that table: plotly (:func:`happening_diverging`) for the HTML reports,
typst (:func:`peerlib.reporting.typst_charts.happening_chart_data`) for the PDF feedback pack
and the PNG/SVG figures.

References
----------
Heiberger, R. M., & Robbins, N. B. (2014). Design of diverging stacked bar charts for Likert
scales and other applications. Journal of Statistical Software 57(5), 1-32.
https://doi.org/10.18637/jss.v057.i05
"""
from __future__ import annotations

import html
import textwrap
from collections.abc import Mapping, Sequence

import pandas as pd
import plotly.graph_objects as go

from ..disclosure import check_min_group_size, small_group_label
from ..errors import ParameterError
from .figures import HAPPENING_COLOURS, theme_layout
from .metadata import DISCLOSURE_ATTR, view_cells, with_cells, with_figure_cells
from .shown import count_value

__all__ = ["AGREE", "AXIS_LABEL_CHARS", "DISAGREE", "SIDE", "diverging_rows",
           "happening_diverging"]

#: Answers drawn right of zero (nearest zero first), left of zero, and in the side panel.
AGREE = ("Partly", "Yes")
DISAGREE = ("No",)
SIDE = ("Don't know", "Not relevant", "Missing")
_FONT = dict(family="Arial, Helvetica, sans-serif", size=13)


def diverging_rows(dist: pd.DataFrame, *, group: str | None = None, k: int,
                   order: str = "study", item: str = "item_id", response: str = "happening",
                   group_order: Sequence[str] | None = None,
                   item_labels: Mapping[str, str] | None = None) -> pd.DataFrame:
    """One row per bar of the diverging chart, from a shown happening distribution.

    Parameters
    ----------
    dist : pandas.DataFrame
        A shown happening distribution (:func:`peerlib.reporting.shown.shown_happening` of
        a masked view: counts and ``n_asked`` as the policy shows them, ``percent`` of the
        shown counts, ``count``/``percent`` NA and ``suppressed`` True where hidden). A
        distribution without its ``*_text`` columns is drawn as it is.
    group : str, optional
        Grouping column (one bar per item and group); None for one bar per item.
    k : int
        Minimum group size, for the "n<k" label of hidden bars.
    order : {"study", "agreement"}
        Items in the codebook's order, or by the share answering Yes or Partly (highest
        first; the first group's share decides, hidden bars last).
    group_order : sequence of str, optional
        Order of the groups within an item (default: categorical order, else first seen).
    item_labels : dict, optional
        Item id -> short label for the axis.

    Returns
    -------
    pandas.DataFrame
        Columns ``item_id``, ``group`` ("All" without ``group``), ``label`` (the axis text:
        "2.1 Short label"), ``bar`` ("group (n = 7)" or "group (n<5)"), ``n_asked`` (text,
        "n<k" where hidden), ``hidden`` (bool), ``agree_percent`` (Yes + Partly, 0-100 of
        everyone asked) and, for each answer option, its ``percent`` (0-100, NaN where
        hidden or where the count is not shown) and ``count`` (the shown count, or its
        text such as "<8") columns named ``"<answer> %"`` and ``"<answer> n"``.

    Raises
    ------
    ParameterError
        For an ``order`` other than "study" or "agreement" (the ``bar_order`` parameter of
        the report notebooks).
    """
    k = check_min_group_size(k)
    if order not in ("study", "agreement"):
        raise ParameterError(f"bar_order must be 'study' (the schedule's order) or "
                             f"'agreement' (most Yes or Partly first), got {order!r}")
    data = dist.copy()
    data["_group"] = data[group].astype(str) if group else "All"
    if group_order:
        groups = [g for g in group_order if g in set(data["_group"])]
    elif group and isinstance(data[group].dtype, pd.CategoricalDtype):
        groups = [str(g) for g in data[group].cat.categories if str(g) in set(data["_group"])]
    else:
        groups = list(dict.fromkeys(data["_group"]))
    levels = [str(v) for v in (data[response].cat.categories if isinstance(
        data[response].dtype, pd.CategoricalDtype) else HAPPENING_COLOURS)]
    data["_item"] = data[item].astype(str)
    items = list(dict.fromkeys(data["_item"]))
    # plain Python columns read by row position (one bar is a few rows: pandas' per-row
    # indexing would cost more than the bar itself)
    hidden_col = (data["suppressed"].astype(bool).tolist() if "suppressed" in data
                  else [False] * len(data))
    column = {name: data[name].tolist() for name in ("percent", "n_asked", "count",
                                                     "count_text", "n_asked_text", "rule",
                                                     "agree_percent") if name in data}
    answers = [str(v) for v in data[response].tolist()]
    parts: dict = {}
    for pos, key in enumerate(zip(data["_item"], data["_group"])):
        parts.setdefault(key, []).append(pos)
    percent, n_asked = column.get("percent"), column.get("n_asked")
    count, count_text = column.get("count"), column.get("count_text")
    rows = []
    for it in items:
        for g in groups:
            sub = parts.get((it, g))
            if not sub:
                continue
            first = sub[0]
            # a shown group whose every count the policy withholds (nhs: each 1 to 7) is
            # still a shown group of its n: no bar, but not "n<k" (a privacy tester read
            # "NHS (n<10)" beside a sector of 25)
            hidden = (any(hidden_col[p] for p in sub)
                      or all(pd.isna(percent[p]) for p in sub) and pd.isna(n_asked[first]))
            if pd.notna(n_asked[first]) and int(n_asked[first]) == 0:
                continue  # nobody asked: no bar to draw
            n = (column["n_asked_text"][first] if "n_asked_text" in column
                 else str(int(n_asked[first])) if pd.notna(n_asked[first]) else "")
            text = (item_labels or {}).get(it)
            label = small_group_label(k, column["rule"][first] if "rule" in column else "")
            rec = {"item_id": it, "group": g, "label": f"{it} {text}" if text else it,
                   "n_asked": label if hidden else n, "hidden": hidden}
            rec["bar"] = f"{g} ({label})" if hidden else f"{g} (n = {n})"
            by_level = {answers[p]: p for p in sub}
            for level in levels:
                p = by_level.get(level)
                rec[f"{level} %"] = (float("nan") if hidden or p is None or pd.isna(percent[p])
                                     else float(percent[p]))
                rec[f"{level} n"] = (pd.NA if hidden or p is None else
                                     count_value(count[p], count_text[p])
                                     if count_text is not None else
                                     pd.NA if pd.isna(count[p]) else int(count[p]))
                if rec[f"{level} n"] is None:
                    rec[f"{level} n"] = pd.NA
            rec["agree_percent"] = (float("nan") if hidden else
                                    float(column["agree_percent"][first])
                                    if "agree_percent" in column else
                                    sum(rec.get(f"{a} %", 0.0) for a in AGREE))
            rows.append(rec)
    cells = view_cells(dist, "happening")  # what the chart's numbers describe
    out = with_cells(pd.DataFrame(rows), cells)
    if out.empty:
        return out
    if order == "agreement":
        first = out[out["group"] == groups[0]].set_index("item_id")["agree_percent"]
        rank = {it: i for i, it in enumerate(
            first.sort_values(ascending=False, na_position="last", kind="stable").index)}
        out["_rank"] = out["item_id"].map(lambda i: rank.get(i, len(rank)))
        out = out.sort_values("_rank", kind="stable").drop(columns="_rank")
    return with_cells(out.reset_index(drop=True), cells)


def _wrap(text: str, width: int = 60) -> str:
    """Codebook text for plotly's hover label: escaped (plotly reads a few HTML tags in
    text, links included), then broken into lines with ``<br>``."""
    return "<br>".join(html.escape(line) for line in textwrap.wrap(str(text), width)) or ""


#: Characters of statement plus group name beyond which the plotly chart's axis names a
#: statement by its number only.
AXIS_LABEL_CHARS = 60


def _label_width(rows: pd.DataFrame) -> int:
    """Characters of the longest statement label plus the longest group label."""
    return int(rows["label"].astype(str).str.len().max()
               + rows["bar"].astype(str).str.len().max())


def happening_diverging(rows: pd.DataFrame, *, wording: Mapping[str, str] | None = None,
                        title: str = "") -> go.Figure:
    """Plotly diverging bars of "Is this happening here?" with a side panel.

    Parameters
    ----------
    rows : pandas.DataFrame
        From :func:`diverging_rows`.
    wording : dict, optional
        Item id -> the statement's full wording (codebook), shown in the hover text.
    title : str
        Figure title.

    Returns
    -------
    plotly.graph_objects.Figure
        Two panels sharing the y axis (the statement, or only its number where statement
        and group labels together exceed :data:`AXIS_LABEL_CHARS` characters, then
        "group (n = ...)"; the hover has the whole statement): left, No to the left
        of zero and Partly then Yes to the right (x = % of everyone asked, shown unsigned);
        right, Don't know, Not relevant and Missing stacked. Hidden bars have no trace
        value and read "n<k: not shown". One trace per answer option, in scale order in
        the legend; each bar is labelled with its percentage where it is at least 8.
    """
    from plotly.subplots import make_subplots

    fig = make_subplots(rows=1, cols=2, shared_yaxes=True, column_widths=[0.72, 0.28],
                        horizontal_spacing=0.1,  # the panels' end ticks apart
                        subplot_titles=("No ← | → Yes or Partly", "Other answers"))
    with_figure_cells(fig, rows.attrs.get(DISCLOSURE_ATTR))
    if rows.empty:
        fig.update_layout(title=title, font=_FONT, **theme_layout())
        return fig
    # axis text is escaped too: plotly reads a few HTML tags (links included) in labels.
    # Long statement and group names together (roles) would leave the bars a sliver of
    # the page: the axis then names the statement by its number (the hover has it whole).
    outer = (rows["item_id"].astype(str) if _label_width(rows) > AXIS_LABEL_CHARS
             else rows["label"]).map(html.escape)
    rows = rows.assign(_axis=outer.to_numpy())
    # First a text trace over every row, in order (it fixes the rows' order on the axis):
    # "n<k: not shown" on a hidden row, nothing on the others.
    fig.add_trace(go.Scatter(
        x=[0] * len(rows), y=[rows["_axis"].tolist(), rows["bar"].map(html.escape).tolist()],
        mode="text", text=[f"{n}: not shown" if h else "" for n, h in
                           zip(rows["n_asked"], rows["hidden"])],
        textposition="middle center", showlegend=False, hoverinfo="skip"), row=1, col=1)
    n_rows = len(rows)  # every row takes its line, hidden or not
    rows = rows[~rows["hidden"]]  # a hidden group carries no value, label or name in a bar
    y = [rows["_axis"].tolist(), rows["bar"].map(html.escape).tolist()]
    words = [_wrap((wording or {}).get(i, "")) for i in rows["item_id"]]
    legend_rank = {lvl: i for i, lvl in enumerate(["Yes", "Partly", "No", *SIDE])}
    for col, levels, sign in ((1, DISAGREE, -1), (1, AGREE, 1), (2, SIDE, 1)):
        for level in levels:
            pct = rows[f"{level} %"]
            counts = rows[f"{level} n"]
            fig.add_trace(go.Bar(
                name=level, orientation="h", x=(sign * pct).tolist(), y=y,
                marker_color=HAPPENING_COLOURS.get(level, "#888888"),
                text=[f"{p:.0f}%" if pd.notna(p) and p >= 8 else "" for p in pct],
                textposition="inside", insidetextanchor="middle",
                textfont=dict(color="white" if level in ("Yes", "No") else "#222222"),
                customdata=list(zip(rows["label"].map(html.escape), words,
                                    rows["group"].map(html.escape), counts.astype(
                    object).where(counts.notna(), ""), rows["n_asked"], pct.abs().round(0))),
                hovertemplate=("<b>%{customdata[0]}</b><br>%{customdata[1]}<br>"
                               f"%{{customdata[2]}}: {level} %{{customdata[3]}} of "
                               "%{customdata[4]} (%{customdata[5]}%)<extra></extra>"),
                legendrank=legend_rank.get(level, 99), showlegend=True,
            ), row=1, col=col)
    side_max = rows[[f"{s} %" for s in SIDE]].fillna(0).sum(axis=1).max()
    fig.update_xaxes(range=[-100, 100], tickvals=[-100, -50, 0, 50, 100],
                     ticktext=["100%", "50%", "0", "50%", "100%"], zeroline=True,
                     zerolinecolor="#444444", row=1, col=1)
    fig.update_xaxes(range=[0, max(50.0, float(side_max) + 5)], ticksuffix="%", row=1, col=2)
    fig.update_yaxes(autorange="reversed", row=1, col=1)
    fig.update_layout(
        barmode="relative", title=title, font=_FONT, **theme_layout(),
        legend=dict(orientation="h", yanchor="bottom", y=1.06, x=0, traceorder="normal"),
        height=max(320, 110 + 28 * n_rows), margin=dict(l=10, r=10, t=100, b=40),
        uniformtext=dict(minsize=9, mode="hide"),
    )
    return fig

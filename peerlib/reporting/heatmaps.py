"""The cross-site report's per-site view: a sorted heatmap of sites x items.

Drawing only (plotly for the report, matplotlib for the PNG/SVG in ``reports/figures``, which
:func:`peerlib.reporting.figures.save_static` marks as synthetic for demo data; in the report
the page's banner does): the cells come from :func:`peerlib.reporting.tables.site_item_heatmap`, which
has already applied the batch's disclosure mask and policy; this module colours the shown
percentages and greys out every other cell with its label ("n<k", "hidden", "<k"), never a
value. Readable from the demo's 10 sites to a national trial's 200: one row per site, sorted,
with a height that grows with the sites and cell labels only while they fit.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from .figures import HEATMAP_SCALE, HEATMAP_TEXT, theme_layout
from .metadata import with_figure_cells

__all__ = ["site_heatmap", "site_heatmap_static", "HIDDEN_COLOUR"]

#: The colour of a cell with no shown value (hidden, not shown or nobody asked).
HIDDEN_COLOUR = "#9e9e9e"
_FONT = dict(family="Arial, Helvetica, sans-serif", size=13)
#: Sites up to which every cell is labelled and rows are tall (above: hover only).
_LABELLED_SITES = 30


def _cell_text(r, k: int | None) -> tuple[str, str]:
    """The short label drawn in a cell and the longer text shown on hover."""
    if r.status == "shown":
        return f"{r.percent:.0f}%", f"{r.agree_text} of {r.n_asked_text} ({r.percent:.0f}%)"
    if r.status == "hidden":
        if r.rule == "secondary":
            return (str(r.agree_text), "hidden: withheld so that a smaller group cannot be "
                                       "worked out by subtraction")
        return str(r.agree_text), f"{r.agree_text}: fewer than {k or 'k'} people"
    if r.status == "not shown":
        return str(r.agree_text), f"{r.agree_text} of {r.n_asked_text}: too few to show"
    return "–", "nobody asked"


def site_heatmap(heatmap: pd.DataFrame, *, title: str = "", k: int | None = None,
                 cells: list[dict] | None = None) -> go.Figure:
    """A sorted heatmap of sites (rows) x items (columns) from the cells of
    :func:`peerlib.reporting.tables.site_item_heatmap`.

    Parameters
    ----------
    heatmap : pandas.DataFrame
        :func:`~peerlib.reporting.tables.site_item_heatmap` output (in its order: the
        best-scoring site on top).
    title : str
        Figure title.
    k : int, optional
        The policy's threshold, for the legend and hover ("fewer than k people").
    cells : list of dict, optional
        Its disclosure metadata (default :func:`~peerlib.reporting.tables.heatmap_cells`).

    Returns
    -------
    plotly.graph_objects.Figure
        One heatmap trace: colour = percent answering "Yes" or "Partly" (0-100) where the
        cell is shown; a grey gap (no value in the figure) for a hidden cell, a count the
        policy does not print or nobody asked, with its label as the cell's text. A line
        above the plot says what grey means. Cell labels are drawn for up to 30 sites;
        above that the rows are 12 px high and the labels are on hover (site, item id
        and the counts; the statements' wording is in the report's statements table).
        The figure carries its disclosure metadata for the batch's audit.
    """
    from .tables import heatmap_cells

    sites = list(dict.fromkeys(heatmap["site_id"].astype(str)))
    items = list(dict.fromkeys(heatmap["item_id"].astype(str)))
    # object columns: iterating arrow-backed text columns in Python is slow (6,000 cells
    # at 200 sites x 30 items)
    at = {(str(r.site_id), str(r.item_id)): r
          for r in heatmap.astype(object).itertuples(index=False)}
    z, text, hover = [], [], []
    for site in sites:
        z_row, t_row, h_row = [], [], []
        for item in items:
            r = at.get((site, item))
            if r is None:  # not in the table: nothing to show
                z_row.append(None), t_row.append(""), h_row.append("")
                continue
            short, long = _cell_text(r, k)
            z_row.append(round(float(r.percent), 1) if r.status == "shown" else None)
            t_row.append(short)
            h_row.append(long)
        z.append(z_row), text.append(t_row), hover.append(h_row)
    labelled = len(sites) <= _LABELLED_SITES
    row = 26 if labelled else 12
    # object arrays, not nested lists: plotly takes an array as it is (it walks a list
    # cell by cell to check it) and writes the same JSON lists
    z, text, hover = (np.array(v, dtype=object).reshape(len(sites), len(items))
                      for v in (z, text, hover))
    fig = go.Figure(go.Heatmap(
        z=z, x=items, y=sites, text=text, customdata=hover, zmin=0, zmax=100,
        colorscale=HEATMAP_SCALE, hoverongaps=True, xgap=1, ygap=1 if labelled else 0,
        texttemplate="%{text}" if labelled else None,
        textfont=dict(color=HEATMAP_TEXT, size=11),
        colorbar=dict(title="% Yes or Partly", thickness=14, lenmode="pixels",
                      len=min(300, max(row * len(sites), 120)), y=1, yanchor="top"),
        hovertemplate="%{y}, %{x}: %{customdata}<extra></extra>", name="Yes or Partly"))
    small = f"n<{k}" if k else "n<k"
    legend = (f"Grey: no figure shown. {small}: fewer than {k or 'k'} people at the site; "
              "hidden: withheld so that a smaller group<br>cannot be worked out by "
              f"subtraction; <{k or 'k'}: too few answers to show. Sites are sorted by "
              "their average over the figures shown.")
    note = [dict(text=legend, xref="paper", yref="paper", x=0, y=1, yanchor="bottom",
                 yshift=30, showarrow=False, align="left", xanchor="left",
                 font=dict(size=11))]
    fig.update_layout(
        title=dict(text=title, y=1, yanchor="top", pad=dict(t=8)), font=_FONT,
        **theme_layout(), plot_bgcolor=HIDDEN_COLOUR, annotations=note,
        height=170 + row * len(sites), margin=dict(l=10, r=10, t=120, b=10))
    fig.update_xaxes(side="top", type="category", tickangle=0 if len(items) <= 15 else -60,
                     tickfont=dict(size=11))
    fig.update_yaxes(type="category", autorange="reversed", title_text="Site",
                     tickfont=dict(size=11 if labelled else 9))
    return with_figure_cells(fig, heatmap_cells(heatmap) if cells is None else cells)


def site_heatmap_static(heatmap: pd.DataFrame, *, title: str = "", k: int | None = None):
    """The per-site heatmap as a matplotlib figure (PNG/SVG for slides and papers): shown
    percentages coloured, every other cell grey with no value, sites in the table's order.

    Parameters
    ----------
    heatmap : pandas.DataFrame
        :func:`~peerlib.reporting.tables.site_item_heatmap` output.
    title : str
        Figure title.
    k : int, optional
        The policy's threshold, for the note on grey cells.

    Returns
    -------
    matplotlib.figure.Figure
        Save it with :func:`peerlib.reporting.figures.save_static` (``synthetic=True``
        for demo data). Not saved by the cross-site report: at 200 sites the PNG and SVG
        take about 5 s; an analyst saves it for slides.
    """
    import matplotlib

    from .figures import _mpl

    plt, _ = _mpl()
    sites = list(dict.fromkeys(heatmap["site_id"].astype(str)))
    items = list(dict.fromkeys(heatmap["item_id"].astype(str)))
    shown = heatmap["percent"].where(heatmap["status"] == "shown")
    grid = (heatmap.assign(value=shown.astype(float))
            .pivot(index="site_id", columns="item_id", values="value")
            .reindex(index=sites, columns=items))
    cmap = matplotlib.colors.LinearSegmentedColormap.from_list(
        "peerwork", [c for _, c in HEATMAP_SCALE]).with_extremes(bad=HIDDEN_COLOUR)
    fig, ax = plt.subplots(figsize=(1.2 + 0.32 * len(items), 1.4 + max(0.16 * len(sites), 2)))
    image = ax.imshow(grid.to_numpy(dtype=float), aspect="auto", cmap=cmap, vmin=0,
                      vmax=100, interpolation="nearest")
    ax.set_xticks(range(len(items)), items, rotation=90 if len(items) > 12 else 0,
                  fontsize=7)
    ax.set_yticks(range(len(sites)), sites, fontsize=6 if len(sites) > 30 else 8)
    ax.grid(False)
    fig.colorbar(image, ax=ax, label="% Yes or Partly", shrink=min(1.0, 12 / len(sites) + .2))
    ax.set_title(title, fontsize=10, loc="left")
    ax.text(0, -0.6 - 0.02 * len(sites), f"Grey: no figure shown (fewer than {k or 'k'} "
            "people, or withheld so that a smaller group cannot be worked out).",
            fontsize=7, va="top")
    return fig

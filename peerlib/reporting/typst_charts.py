"""Static charts typeset by typst: the PDF feedback pack's and the cross-site PNG/SVG figures.

Three charts are drawn with typst's own shapes (a few milliseconds each, where matplotlib
took 0.3-3 s of CPU a chart with its layout and text passes):

- :func:`happening_chart_data`: "Is this happening here?" as diverging bars (No to the left
  of zero, Partly then Yes to the right, the other answers in a side panel), the same rows,
  order, colours and labels as :func:`peerlib.reporting.likert.happening_diverging`;
- :func:`importance_chart_data`: mean importance per statement and group as horizontal bars
  (a hidden mean is a grey "not shown" bar, no value), as
  :func:`peerlib.reporting.figures.importance_bars`;
- :func:`ipa_chart_data`: the Importance-Performance chart (Martilla & James 1977) of
  :func:`peerlib.reporting.figures.ipa_chart`, with the averages as dashed lines.

The PDF pack (:mod:`peerlib.reporting.pack`) draws them inside its one compilation;
:func:`save_chart` writes one as PNG and SVG for slides and learning material.

Computing is separate from drawing: the ``*_chart_data`` functions turn shown tables into
plain data (numbers and strings, JSON-ready), and :data:`CHARTS_TYPST` is fixed typst text
that draws it. Strings from data (statement labels, group names, titles) reach typst only
as JSON strings, which typst prints literally and never parses. Chart text is set in DejaVu
Sans from the fonts installed with matplotlib, never the machine's: the same file on every
machine.
"""
from __future__ import annotations

import functools

import html
import importlib.util
import json
import math
import tempfile
from pathlib import Path

import pandas as pd

from .._files import atomic_write_bytes

from .figures import GROUP_COLOURS, HAPPENING_COLOURS, _item_text, _label_spots
from .likert import AGREE, AXIS_LABEL_CHARS, DISAGREE, SIDE, _label_width
from .metadata import hidden_rows
from .shown import mean_text

__all__ = ["CHARTS_TYPST", "CHART_KINDS", "happening_chart_data", "importance_chart_data",
           "ipa_chart_data",
           "chart_source", "render_chart", "save_chart", "chart_fonts", "typst_fonts", "typeset"]

#: A percentage is written inside its bar segment from this many percent up (as in the
#: report's charts).
MIN_LABELLED_PERCENT = 8.0
#: Answers whose segments carry white text (dark fills); the others carry dark text.
_WHITE_TEXT = ("Yes", "No")
_LEGEND = ("Yes", "Partly", "No", *SIDE)
#: The Importance-Performance chart's axes: performance 0-100 %, mean importance 1-4.
_IPA_X = (-2.0, 102.0)
#: The importance chart's 0-4 axis takes this share of its panel: the rest leaves room for
#: the value printed after a bar of 4.
_IMPORTANCE_SPAN = 0.9
_IPA_Y = (0.9, 4.1)
#: Where a point's label goes for each spot of :func:`peerlib.reporting.figures._label_spots`:
#: offset (points, x right and y up) and horizontal alignment.
_LABEL_OFFSETS = {"top center": (0, 6, "center"), "bottom center": (0, -12, "center"),
                  "middle right": (7, -3, "left"), "middle left": (-7, -3, "right"),
                  "top right": (5, 5, "left"), "bottom left": (-5, -12, "right")}
_QUADRANTS = (("Concentrate here", "left", "top"), ("Keep up the good work", "right", "top"),
              ("Low priority", "left", "bottom"), ("Possible overkill", "right", "bottom"))


def _fraction(value: float, low: float, high: float) -> float:
    """``value`` as a fraction of the axis from ``low`` to ``high`` (rounded: the PDF is
    the same on every machine)."""
    return round((value - low) / (high - low), 6)


def _side_range(rows: pd.DataFrame) -> float:
    if not len(rows):
        return 50.0
    most = float(rows.reindex(columns=[f"{s} %" for s in SIDE]).fillna(0).sum(axis=1).max())
    return max(50.0, most + 5)


def _side_ticks(top: float) -> list[float]:
    step = 20.0 if top <= 100 else 50.0
    return [step * i for i in range(int(math.floor(top / step)) + 1)]


def happening_chart_data(rows: pd.DataFrame) -> dict:
    """The "Is this happening here?" chart (pack and figures) as data for typst.

    Parameters
    ----------
    rows : pandas.DataFrame
        :func:`peerlib.reporting.likert.diverging_rows` of the site's shown table: one row
        per statement x group, with ``label``, ``bar``, ``hidden``, ``n_asked`` and
        ``"<answer> %"`` columns (percent of everyone asked, 0-100; NaN where the count is
        not shown, drawn as no bar).

    Returns
    -------
    dict
        ``rows``: for each row in order, ``label`` ("2.1 Short label · This site (n = 7)",
        or "2.1 · This site (n = 7)" where statement and group labels together exceed
        :data:`peerlib.reporting.likert.AXIS_LABEL_CHARS` characters),
        ``hidden`` (text drawn at zero for a hidden group, "n<5: not shown", else ""),
        ``main`` and ``side``: bar segments, each ``x`` and ``w`` (start and width as a
        fraction of the panel, 0-1), ``fill`` (hex colour), ``text`` ("43%", or "" below
        :data:`MIN_LABELLED_PERCENT`; typst prints it only where it fits inside the
        segment) and ``ink`` (text colour). ``main_ticks`` and
        ``side_ticks``: ``at`` (fraction) and ``text`` for each axis tick; ``zero`` (the
        fraction of the main panel where 0 is); ``legend``: ``text`` and ``fill`` of each
        answer drawn.
    """
    side_top = _side_range(rows)
    # as the report's chart: long statement and group names together would leave the bars
    # a sliver of the page, so the axis then names the statement by its number (the
    # statements table beside the chart gives it whole)
    by_number = len(rows) > 0 and "item_id" in rows.columns and \
        _label_width(rows) > AXIS_LABEL_CHARS
    out, drawn = [], set()
    for rec in rows.to_dict("records"):
        main: list[dict] = []
        side: list[dict] = []
        for target, levels, sign, low, high in ((main, DISAGREE, -1, -100.0, 100.0),
                                                (main, AGREE, 1, -100.0, 100.0),
                                                (side, SIDE, 1, 0.0, side_top)):
            edge = 0.0
            for level in levels:
                pct = rec.get(f"{level} %")
                pct = 0.0 if pct is None or pd.isna(pct) else float(pct)
                if pct <= 0:
                    continue
                start = edge - pct if sign < 0 else edge
                target.append({"x": _fraction(start, low, high),
                               "w": _fraction(pct, 0.0, high - low),
                               "fill": HAPPENING_COLOURS.get(level, "#888888"),
                               "text": f"{pct:.0f}%" if pct >= MIN_LABELLED_PERCENT else "",
                               "ink": "#ffffff" if level in _WHITE_TEXT else "#222222"})
                drawn.add(level)
                edge += sign * pct
        name = rec.get("item_id", "") if by_number else rec.get("label", "")
        out.append({"label": f"{name} · {rec.get('bar', '')}",
                    "hidden": f"{rec.get('n_asked', '')}: not shown" if rec.get("hidden")
                    else "", "main": main, "side": side})
    return {
        "rows": out,
        "main_ticks": [{"at": _fraction(v, -100, 100), "text": t} for v, t in
                       ((-100, "100%"), (-50, "50%"), (0, "0"), (50, "50%"), (100, "100%"))],
        "side_ticks": [{"at": _fraction(v, 0, side_top), "text": f"{v:.0f}"}
                       for v in _side_ticks(side_top)],
        "zero": 0.5,
        "legend": [{"text": lvl, "fill": HAPPENING_COLOURS[lvl]} for lvl in _LEGEND
                   if lvl in drawn],
    }


def importance_chart_data(summary: pd.DataFrame, *, group: str = "group",
                          item_labels: dict[str, str] | None = None, item: str = "item_id",
                          group_order: list[str] | None = None) -> dict:
    """Mean importance per statement and group as data for typst (horizontal bars, 0-4).

    Parameters
    ----------
    summary : pandas.DataFrame
        A shown importance table (:func:`peerlib.reporting.shown.shown_importance`): one row
        per statement x group with ``mean`` (1-4; NaN where not shown), ``n`` and
        ``mean_text``.
    group : str
        The column naming each bar's group.
    item_labels : dict, optional
        Item id -> short label.
    item : str
        The statement column.
    group_order : list of str, optional
        Order of the groups (and their colours, :data:`peerlib.reporting.figures.
        GROUP_COLOURS`); default their order in ``summary``.

    Returns
    -------
    dict
        ``items``: for each statement in the table's order, ``label`` and ``bars``: for each
        group with a row, ``group``, ``fill``, ``w`` (the bar's length as a fraction of the
        panel: mean / 4 x :data:`_IMPORTANCE_SPAN`) and ``text`` (the mean
        as the reports print it), or for a hidden mean ``hidden`` true, ``w`` 0 and ``text``
        "not shown". ``ticks``: ``at`` and ``text`` of 0-4; ``legend``: ``text`` and
        ``fill`` of each group (text "<group>: not shown" when none of its means is shown).
    """
    shown_rows = summary.dropna(subset=["mean"])
    hidden = summary[hidden_rows(summary, "n", "importance").to_numpy()
                     & summary["mean"].isna().to_numpy()]
    groups = list(group_order) if group_order else list(dict.fromkeys(
        pd.concat([shown_rows[group], hidden[group]]).astype(str)))
    colour = {g: GROUP_COLOURS[i % len(GROUP_COLOURS)] for i, g in enumerate(groups)}
    bars: dict[tuple[str, str], dict] = {}
    for rec in shown_rows.to_dict("records"):
        g = str(rec[group])
        if g in colour:
            bars[(str(rec[item]), g)] = {"group": g, "fill": colour[g], "hidden": False,
                                         "w": round(float(rec["mean"]) / 4 *
                                                    _IMPORTANCE_SPAN, 6),
                                         "text": mean_text(rec)}
    for rec in hidden.to_dict("records"):
        g = str(rec[group])
        if g in colour:
            bars[(str(rec[item]), g)] = {"group": g, "fill": colour[g], "hidden": True,
                                         "w": 0.0, "text": "not shown"}
    items = list(dict.fromkeys(summary[item].astype(str)))
    labels = _item_text(pd.Series(items, dtype=object), item_labels)
    drawn = set(shown_rows[group].astype(str))
    return {
        "items": [{"label": label, "bars": [bars[(i, g)] for g in groups if (i, g) in bars]}
                  for i, label in zip(items, labels)],
        "ticks": [{"at": round(v / 4 * _IMPORTANCE_SPAN, 6), "text": str(v)} for v in range(5)],
        # a group without one shown mean has no bar of its colour: its entry says so
        "legend": [{"text": g if g in drawn else f"{g}: not shown", "fill": colour[g]}
                   for g in groups],
    }


def ipa_chart_data(ipa: pd.DataFrame, *, item: str = "item_id") -> dict:
    """The Importance-Performance chart (pack and figures) as data for typst.

    Parameters
    ----------
    ipa : pandas.DataFrame
        The site's shown IPA table (:func:`peerlib.reporting.shown.shown_ipa`): one row per
        statement with ``performance`` (Yes + half of Partly, % of Yes, Partly and No),
        ``importance`` (mean, 1-4; NaN where not shown: no point), and
        ``performance_reference`` / ``importance_reference`` (the site's averages).
    item : str
        The column naming each point.

    Returns
    -------
    dict
        ``points``: ``x`` and ``y`` (fractions of the plot, 0-1, y upwards), ``text`` (the
        statement id) and ``dx``, ``dy`` (the label's offset from the point in typst points,
        y upwards) and ``ha`` ("left", "center", "right"): labels of near-identical points
        are moved apart as in the report's chart. ``x_ref`` / ``y_ref``: the dashed
        average lines (fractions, or None without points). ``x_ticks`` / ``y_ticks``:
        ``at`` and ``text``. ``quadrants``: ``text``, ``ha`` and ``va`` of the four corner
        names.
    """
    data = ipa.dropna(subset=["performance", "importance"])
    spots = _label_spots(list(data["performance"]), list(data["importance"]))
    points = []
    for rec, spot in zip(data.itertuples(index=False), spots):
        ox, oy, ha = _LABEL_OFFSETS[spot]
        points.append({"x": _fraction(float(rec.performance), *_IPA_X),
                       "y": _fraction(float(rec.importance), *_IPA_Y),
                       "text": str(getattr(rec, item)), "dx": ox, "dy": oy, "ha": ha})
    ref = data.iloc[0] if len(data) else None
    return {
        "points": points,
        "x_ref": None if ref is None else _fraction(float(ref["performance_reference"]),
                                                    *_IPA_X),
        "y_ref": None if ref is None else _fraction(float(ref["importance_reference"]),
                                                    *_IPA_Y),
        "x_ticks": [{"at": _fraction(v, *_IPA_X), "text": f"{v}"} for v in range(0, 101, 20)],
        "y_ticks": [{"at": _fraction(v / 2, *_IPA_Y), "text": f"{v / 2:.1f}"}
                    for v in range(2, 9)],
        "quadrants": [{"text": t, "ha": ha, "va": va} for t, ha, va in _QUADRANTS],
    }


#: typst functions drawing the two charts from the data above (fixed text: no data in it).
#: Chart text is set in DejaVu Sans (:func:`chart_fonts`).
CHARTS_TYPST = r"""
#let chart_font = "DejaVu Sans"
#let grid_ink = luma(225)

// one panel of one row: gridlines at the ticks, the segments, their percentages
#let bar_panel(segs, ticks, zero: none, hidden: "", height: 11pt) = layout(size => box(width: 100%, height: height, {
  for t in ticks { place(dx: t.at * 100%, line(length: height, angle: 90deg, stroke: 0.4pt + grid_ink)) }
  for s in segs {
    place(left + horizon, dx: s.x * 100%,
      rect(width: s.w * 100%, height: height - 3pt, fill: rgb(s.fill), stroke: 0.4pt + white))
  }
  if zero != none { place(dx: zero * 100%, line(length: height, angle: 90deg, stroke: 0.7pt + luma(70))) }
  for s in segs {
    if s.text != "" {
      let label = text(size: 6pt, fill: rgb(s.ink), s.text)
      // only where it fits inside its segment: a figure half outside would be misread
      if measure(label).width + 2pt <= s.w * size.width {
        place(center + horizon, dx: (s.x + s.w / 2 - 0.5) * 100%, label)
      }
    }
  }
  if hidden != "" { place(center + horizon, box(fill: white, inset: (x: 2pt), text(size: 6pt, fill: luma(50), hidden))) }
}))

#let tick_row(ticks) = box(width: 100%, height: 9pt, {
  for t in ticks { place(center + top, dx: (t.at - 0.5) * 100%, text(size: 6pt, t.text)) }
})

#let happening_chart(c) = {
  set text(font: chart_font, size: 6.5pt)
  set par(leading: 0.3em)
  grid(
    columns: (auto, 3fr, 1fr), column-gutter: (4pt, 16pt), align: (right + horizon, left, left),
    ..c.rows.map(r => (
      r.label,
      bar_panel(r.main, c.main_ticks, zero: c.zero, hidden: r.hidden),
      bar_panel(r.side, c.side_ticks),
    )).flatten(),
    [], tick_row(c.main_ticks), tick_row(c.side_ticks),
    [], align(center)[No ← #h(0.6em) % of everyone asked #h(0.6em) → Yes or Partly],
    align(center)[Other answers (%)],
  )
  v(2pt)
  align(center, c.legend.map(l => box[#box(width: 7pt, height: 7pt, fill: rgb(l.fill), baseline: 1pt) #l.text]).join(h(10pt)))
}

#let importance_chart(c) = {
  set text(font: chart_font, size: 6.5pt)
  grid(
    columns: (auto, 1fr), column-gutter: 4pt, align: (right + horizon, left),
    ..c.items.map(it => (
      grid.cell(colspan: 2, align: left, inset: (top: 3pt, bottom: 1pt), text(weight: "bold", it.label)),
      ..it.bars.map(b => (
        b.group,
        box(width: 100%, height: 10pt, {
          for t in c.ticks { place(dx: t.at * 100%, line(length: 10pt, angle: 90deg, stroke: 0.4pt + grid_ink)) }
          if b.hidden {
            place(left + horizon, rect(width: 100%, height: 7pt, fill: luma(245), stroke: 0.4pt + luma(160)))
            place(left + horizon, dx: 3pt, text(size: 6pt, fill: luma(60), b.text))
          } else {
            place(left + horizon, rect(width: b.w * 100%, height: 7pt, fill: rgb(b.fill)))
            place(left + horizon, dx: b.w * 100% + 2pt, text(size: 6pt, b.text))
          }
        }),
      )).flatten(),
    )).flatten(),
    [], tick_row(c.ticks),
    [], align(center)[Mean importance (1 = not at all, 4 = extremely important)],
  )
  v(2pt)
  align(center, c.legend.map(l => box[#box(width: 7pt, height: 7pt, fill: rgb(l.fill), baseline: 1pt) #l.text]).join(h(10pt)))
}

#let ipa_chart(c, width: 96mm, height: 70mm) = {
  set text(font: chart_font, size: 6.5pt)
  let plot = box(width: width, height: height, stroke: 0.5pt + luma(170), {
    for t in c.x_ticks { place(dx: t.at * width, line(length: height, angle: 90deg, stroke: 0.4pt + grid_ink)) }
    for t in c.y_ticks { place(dy: (1 - t.at) * height, line(length: width, stroke: 0.4pt + grid_ink)) }
    if c.x_ref != none {
      place(dx: c.x_ref * width, line(length: height, angle: 90deg, stroke: (paint: luma(120), thickness: 0.8pt, dash: "dashed")))
      place(dy: (1 - c.y_ref) * height, line(length: width, stroke: (paint: luma(120), thickness: 0.8pt, dash: "dashed")))
    }
    for p in c.points {
      let x = p.x * width
      let y = (1 - p.y) * height
      place(dx: x - 2.2pt, dy: y - 2.2pt, circle(radius: 2.2pt, fill: rgb("#2166ac")))
      let lx = x + p.dx * 1pt
      let ly = y - p.dy * 1pt
      let w = 24pt
      let bx = if p.ha == "left" { lx } else if p.ha == "right" { lx - w } else { lx - w / 2 }
      place(dx: bx, dy: ly - 7pt, box(width: w, height: 7pt,
        align((if p.ha == "left" { left } else if p.ha == "right" { right } else { center }) + bottom, p.text)))
    }
  })
  let yticks = box(width: 14pt, height: height, {
    for t in c.y_ticks { place(right + top, dy: (1 - t.at) * height - 3.5pt, t.text) }
  })
  let xticks = box(width: width, height: 9pt, {
    for t in c.x_ticks { place(center + top, dx: (t.at - 0.5) * width, t.text) }
  })
  // the quadrants are named outside the plot, beside the corner each names: a point at
  // the edge of the scale would cover a name written inside
  let names(va) = box(width: width, height: 8pt, {
    for q in c.quadrants.filter(q => q.va == va) {
      place((if q.ha == "left" { left } else { right }) + horizon, text(fill: luma(90), q.text))
    }
  })
  grid(
    columns: (auto, auto, width), column-gutter: (2pt, 3pt), align: horizon,
    [], [], names("top"),
    rotate(-90deg, reflow: true)[Mean importance (1-4)], yticks, plot,
    [], [], xticks,
    [], [], names("bottom"),
    [], [], align(center)[Performance (Yes + ½ Partly, %)],
  )
}
"""

#: What :func:`save_chart` draws: chart kind -> page width in mm.
CHART_KINDS = {"happening": 230, "importance": 180, "ipa": 126}
#: The line under every chart of synthetic data (as :func:`peerlib.reporting.figures.
#: mark_synthetic` writes under matplotlib figures).
SYNTHETIC_MARK = "SYNTHETIC DEMO DATA: invented answers, not study results"

_DOCUMENT = r"""
#let d = json("chart.json")
#set page(width: d.width * 1mm, height: auto, margin: 4mm, fill: white)
#set text(font: chart_font, size: 6.5pt)
#if d.title != "" { block(below: 6pt, text(size: 9pt, weight: "bold", d.title)) }
#if d.kind == "happening" { happening_chart(d.chart) } else if d.kind == "importance" {
  importance_chart(d.chart) } else { align(center, ipa_chart(d.chart)) }
#if d.synthetic { align(center, block(above: 6pt, text(weight: "bold", fill: rgb("#7a5600"), d.mark))) }
"""


def chart_fonts() -> str:
    """The folder of the TrueType fonts installed with matplotlib (DejaVu Sans among them),
    where typst finds the charts' font; found without importing matplotlib.

    Returns
    -------
    str
        An absolute folder path.
    """
    spec = importlib.util.find_spec("matplotlib")
    return str(Path(spec.submodule_search_locations[0]) / "mpl-data" / "fonts" / "ttf")


@functools.lru_cache(maxsize=1)
def typst_fonts():
    """The fonts every typst document of peerlib may use, read once per process: typst's
    own and those of :func:`chart_fonts`, never the machine's.

    Returns
    -------
    typst.Fonts
        Passed as ``font_paths`` to ``typst.Compiler``. Reading the font folder at every
        compilation cost about 0.02 s of a PDF pack's 0.3 s (typst's layout, about 0.1 s,
        is most of the rest); the same fonts give the same bytes.
    """
    import typst

    return typst.Fonts(include_system_fonts=False, include_embedded_fonts=True,
                       font_paths=[chart_fonts()])


def typeset(source: str, data: str, *, data_name: str = "data.json",
            formats: tuple[str, ...] = ("pdf",), ppi: float = 150.0) -> list[bytes]:
    """Compile one typst document that reads one JSON file, in each of ``formats``.

    The one place where peerlib runs typst: the PDF pack and the standalone charts. Fonts
    are typst's own and those of :func:`chart_fonts`, never the machine's, and a PDF's date
    is fixed: the same bytes on every machine.

    Parameters
    ----------
    source : str
        The typst markup (fixed text, never data).
    data : str
        JSON text, read by ``source`` as ``json(data_name)``.
    data_name : str
        Its file name next to the document.
    formats : tuple of str
        ``"pdf"``, ``"png"`` (at ``ppi`` pixels per inch) or ``"svg"``; the document is
        parsed and laid out once for all of them.
    ppi : float
        Resolution of a PNG.

    Returns
    -------
    list of bytes
        One file per format, in order.

    Raises
    ------
    typst.TypstError
        When typesetting fails (a bug: the markup is fixed text).
    """
    import typst

    with tempfile.TemporaryDirectory(prefix="peerwork-typst-") as tmp:
        folder = Path(tmp)
        (folder / data_name).write_text(data, encoding="utf-8")
        (folder / "main.typ").write_text(source, encoding="utf-8")
        compiler = typst.Compiler(str(folder / "main.typ"), root=str(folder),
                                  ignore_system_fonts=True, font_paths=typst_fonts())
        return [compiler.compile(format="png", ppi=ppi) if fmt == "png" else
                compiler.compile(format="pdf", timestamp=0) if fmt == "pdf" else
                compiler.compile(format=fmt) for fmt in formats]


def _check_kind(kind: str) -> int:
    if kind not in CHART_KINDS:
        raise ValueError(f"chart kind must be one of {sorted(CHART_KINDS)}, got {kind!r}")
    return CHART_KINDS[kind]


def chart_source(chart: dict, kind: str, *, title: str = "", synthetic: bool = False,
                 width: float | None = None) -> tuple[str, str]:
    """The typst document of one standalone chart and its data.

    Parameters
    ----------
    chart : dict
        :func:`happening_chart_data`, :func:`importance_chart_data` or
        :func:`ipa_chart_data`.
    kind : str
        ``"happening"``, ``"importance"`` or ``"ipa"`` (:data:`CHART_KINDS`).
    title : str
        Printed above the chart (data text: passed as JSON, never markup).
    synthetic : bool
        Print :data:`SYNTHETIC_MARK` under the chart.
    width : float, optional
        Page width in mm; default the kind's (:data:`CHART_KINDS`).

    Returns
    -------
    (str, str)
        The typst source (fixed text) and the JSON it reads as ``chart.json``.

    Raises
    ------
    ValueError
        For an unknown ``kind``.
    """
    width = float(width or _check_kind(kind))
    data = {"kind": kind, "title": str(title), "synthetic": bool(synthetic),
            "mark": SYNTHETIC_MARK, "width": width, "chart": chart}
    return CHARTS_TYPST + _DOCUMENT, json.dumps(data, ensure_ascii=False)


def render_chart(chart: dict, kind: str, *, fmt: str = "png", title: str = "",
                 synthetic: bool = False, ppi: float = 150.0,
                 width: float | None = None) -> bytes:
    """Typeset one standalone chart (:func:`chart_source`) with typst.

    Parameters
    ----------
    chart, kind, title, synthetic, width
        As for :func:`chart_source`.
    fmt : str
        ``"png"`` (at ``ppi`` pixels per inch), ``"svg"`` or ``"pdf"``.
    ppi : float
        Resolution of a PNG.

    Returns
    -------
    bytes
        The file's bytes; the same bytes for the same input on every machine.

    Raises
    ------
    ValueError
        For an unknown ``kind``.
    typst.TypstError
        When typesetting fails (a bug: the document is fixed text).
    """
    source, data = chart_source(chart, kind, title=title, synthetic=synthetic, width=width)
    return typeset(source, data, data_name="chart.json", formats=(fmt,), ppi=ppi)[0]


def _svg_with_title(svg: bytes, text: str) -> bytes:
    """Name an SVG for screen readers (``<title>`` first in the root element, as SVG 2
    places it): typst draws text as shapes, so the file has no words of its own."""
    head, sep, rest = svg.partition(b">")
    return head + sep + f"<title>{html.escape(text)}</title>".encode("utf-8") + rest


def save_chart(chart: dict, folder: str | Path, name: str, *, kind: str, title: str = "",
               synthetic: bool = False) -> list[Path]:
    """Write one chart as ``name.png`` (150 pixels per inch) and ``name.svg``.

    Parameters
    ----------
    chart : dict
        :func:`happening_chart_data`, :func:`importance_chart_data` or
        :func:`ipa_chart_data` of a shown table.
    folder : str or Path
        Created if missing.
    name : str
        File name without suffix.
    kind : str
        ``"happening"``, ``"importance"`` or ``"ipa"``.
    title : str
        Printed above the chart and the SVG's ``<title>``.
    synthetic : bool
        Mark the chart as synthetic demo data (under the chart and in the SVG's title), so a
        figure copied into slides cannot pass for study results.

    Returns
    -------
    list of Path
        The PNG and the SVG, each replaced whole; two runs on the same data write the same
        bytes.

    Raises
    ------
    ValueError
        For an unknown ``kind``.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    png, svg = folder / f"{name}.png", folder / f"{name}.svg"
    label = " - ".join(t for t in (title or "Chart", SYNTHETIC_MARK if synthetic else "") if t)
    source, data = chart_source(chart, kind, title=title, synthetic=synthetic)
    png_bytes, svg_bytes = typeset(source, data, data_name="chart.json",
                                   formats=("png", "svg"))
    atomic_write_bytes(png, png_bytes)
    atomic_write_bytes(svg, _svg_with_title(svg_bytes, label))
    return [png, svg]

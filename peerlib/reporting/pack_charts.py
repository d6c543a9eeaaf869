"""The feedback pack's two charts, typeset by typst with the rest of the pack.

The pack (:mod:`peerlib.reporting.pack`) used to draw its charts with matplotlib and embed
them as SVG: about 0.7 s of CPU a pack, most of a site report's own work. Here the same two
charts are drawn with typst's own shapes, in the pack's one compilation (a few milliseconds):

- :func:`happening_chart_data`: "Is this happening here?" as diverging bars (No to the left
  of zero, Partly then Yes to the right, the other answers in a side panel), the same rows,
  order, colours and labels as :func:`peerlib.reporting.likert.happening_diverging`;
- :func:`ipa_chart_data`: the Importance-Performance chart (Martilla & James 1977) of
  :func:`peerlib.reporting.figures.ipa_chart`, with the site's averages as dashed lines.

Computing is separate from drawing: these functions turn shown tables into plain data
(numbers and strings, JSON-ready), and :data:`CHARTS_TYPST` is fixed typst text that draws
it. Strings from data (statement labels, group names) reach typst only as JSON strings, which
typst prints literally and never parses.
"""
from __future__ import annotations

import math

import pandas as pd

from .figures import _LABEL_OFFSETS, HAPPENING_COLOURS, _label_spots
from .likert import AGREE, DISAGREE, SIDE

__all__ = ["CHARTS_TYPST", "happening_chart_data", "ipa_chart_data"]

#: A percentage is written inside its bar segment from this many percent up (as in the
#: report's charts).
MIN_LABELLED_PERCENT = 8.0
#: Answers whose segments carry white text (dark fills); the others carry dark text.
_WHITE_TEXT = ("Yes", "No")
_LEGEND = ("Yes", "Partly", "No", *SIDE)
#: The Importance-Performance chart's axes: performance 0-100 %, mean importance 1-4.
_IPA_X = (-2.0, 102.0)
_IPA_Y = (0.9, 4.1)
_QUADRANTS = (("Concentrate here", "left", "top"), ("Keep up the good work", "right", "top"),
              ("Low priority", "left", "bottom"), ("Possible overkill", "right", "bottom"))


def _fraction(value: float, low: float, high: float) -> float:
    """``value`` as a fraction of the axis from ``low`` to ``high`` (rounded: the PDF is
    the same on every machine)."""
    return round((value - low) / (high - low), 6)


def _side_range(rows: pd.DataFrame) -> float:
    if not len(rows):
        return 50.0
    most = float(rows[[f"{s} %" for s in SIDE]].fillna(0).sum(axis=1).max())
    return max(50.0, most + 5)


def _side_ticks(top: float) -> list[float]:
    step = 20.0 if top <= 100 else 50.0
    return [step * i for i in range(int(math.floor(top / step)) + 1)]


def happening_chart_data(rows: pd.DataFrame) -> dict:
    """The pack's "Is this happening here?" chart as data for typst.

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
        ``rows``: for each row in order, ``label`` ("2.1 Short label · This site (n = 7)"),
        ``hidden`` (text drawn at zero for a hidden group, "n<5: not shown", else ""),
        ``main`` and ``side``: bar segments, each ``x`` and ``w`` (start and width as a
        fraction of the panel, 0-1), ``fill`` (hex colour), ``text`` ("43%", or "" below
        :data:`MIN_LABELLED_PERCENT`) and ``ink`` (text colour). ``main_ticks`` and
        ``side_ticks``: ``at`` (fraction) and ``text`` for each axis tick; ``zero`` (the
        fraction of the main panel where 0 is); ``legend``: ``text`` and ``fill`` of each
        answer drawn.
    """
    side_top = _side_range(rows)
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
        out.append({"label": f"{rec.get('label', '')} · {rec.get('bar', '')}",
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


def ipa_chart_data(ipa: pd.DataFrame, *, item: str = "item_id") -> dict:
    """The pack's Importance-Performance chart as data for typst.

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
        ox, oy, ha, _ = _LABEL_OFFSETS[spot]
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
#: Chart text is set in DejaVu Sans, the pack's sans-serif font (shipped with matplotlib and
#: given to typst as a font folder, never the machine's fonts).
CHARTS_TYPST = r"""
#let chart_font = "DejaVu Sans"
#let grid_ink = luma(225)

// one panel of one row: gridlines at the ticks, the segments, their percentages
#let bar_panel(segs, ticks, zero: none, hidden: "", height: 11pt) = box(width: 100%, height: height, {
  for t in ticks { place(dx: t.at * 100%, line(length: height, angle: 90deg, stroke: 0.4pt + grid_ink)) }
  for s in segs {
    place(left + horizon, dx: s.x * 100%,
      rect(width: s.w * 100%, height: height - 3pt, fill: rgb(s.fill), stroke: 0.4pt + white))
  }
  if zero != none { place(dx: zero * 100%, line(length: height, angle: 90deg, stroke: 0.7pt + luma(70))) }
  for s in segs {
    if s.text != "" {
      place(center + horizon, dx: (s.x + s.w / 2 - 0.5) * 100%,
        text(size: 5.5pt, fill: rgb(s.ink), s.text))
    }
  }
  if hidden != "" { place(center + horizon, text(size: 6pt, fill: luma(50), hidden)) }
})

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

#let ipa_chart(c, width: 96mm, height: 70mm) = {
  set text(font: chart_font, size: 6.5pt)
  let plot = box(width: width, height: height, stroke: 0.5pt + luma(170), {
    for t in c.x_ticks { place(dx: t.at * width, line(length: height, angle: 90deg, stroke: 0.4pt + grid_ink)) }
    for t in c.y_ticks { place(dy: (1 - t.at) * height, line(length: width, stroke: 0.4pt + grid_ink)) }
    if c.x_ref != none {
      place(dx: c.x_ref * width, line(length: height, angle: 90deg, stroke: (paint: luma(120), thickness: 0.8pt, dash: "dashed")))
      place(dy: (1 - c.y_ref) * height, line(length: width, stroke: (paint: luma(120), thickness: 0.8pt, dash: "dashed")))
    }
    for q in c.quadrants {
      place((if q.ha == "left" { left } else { right }) + (if q.va == "top" { top } else { bottom }),
        dx: if q.ha == "left" { 3pt } else { -3pt }, dy: if q.va == "top" { 3pt } else { -3pt },
        text(fill: luma(110), q.text))
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
  grid(
    columns: (auto, auto, width), column-gutter: (2pt, 3pt), align: horizon,
    rotate(-90deg, reflow: true)[Mean importance (1-4)], yticks, plot,
    [], [], xticks,
    [], [], align(center)[Performance (Yes + ½ Partly, %)],
  )
}
"""

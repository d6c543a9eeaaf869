"""The printed feedback pack of a site: ``reports/sites/<site_id>.pdf``, at most 4 A4 pages.

For a site's feedback workshop: key points, the site against all other sites, its
Importance-Performance priorities, a few redacted quotes (attributed as the rules allow) and
questions for discussion. It is built from the same masked tables as the site's HTML report
(so it hides exactly what the report hides), typeset with its charts by the ``typst``
typesetter from PyPI (:mod:`peerlib.reporting.typst_charts`): no browser, no network.

Data text never enters typst markup: every string taken from data (site name, statement
wording, quotes, attributions, key points) is passed to typst as JSON and placed as a typst
string, which typst shows literally and never parses; the document's markup itself is fixed
text in this module.
"""
from __future__ import annotations

import json
import tempfile
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from .._files import atomic_write_bytes
from ..disclosure import DEFAULT_MIN_GROUP_SIZE, DisclosureMask, check_min_group_size, get_policy
from . import grids, keypoints, likert, shown, tables, typst_charts

__all__ = ["MAX_QUOTES", "pack_content", "render_pack", "pack_path", "write_site_pack",
           "pack_note", "site_shown_tables"]

#: Quotes in a pack at most (one per code, first codes of the codebook).
MAX_QUOTES = 4
_QUOTE_CHARS = 320

_TEMPLATE = r"""
#let d = json("content.json")
#set document(title: d.title)
#set page(paper: "a4", margin: (x: 16mm, top: 16mm, bottom: 18mm),
  footer: context [#set text(8pt, fill: luma(90)); #d.footer #h(1fr) Page #counter(page).display() of #counter(page).final().first()])
#set text(size: 9.5pt, lang: "en")
#set par(justify: false, leading: 0.55em)
#show heading.where(level: 1): set text(size: 15pt)
#show heading.where(level: 2): set text(size: 11.5pt)
#show heading: set block(above: 1.0em, below: 0.55em)
#set table(stroke: 0.4pt + luma(180), inset: 4pt, align: left)
#show table.cell.where(y: 0): set text(weight: "bold")

// a chart, and under it the synthetic-data mark where the data are synthetic
#let chart_box(body) = block(breakable: false, {
  body
  if d.synthetic { align(center, text(font: chart_font, size: 6.5pt, weight: "bold",
    fill: rgb("#7a5600"), "SYNTHETIC DEMO DATA")) }
})

#if d.synthetic [
  #block(fill: rgb("#fff3cd"), stroke: 1.5pt + rgb("#b58100"), inset: 8pt, width: 100%)[
    #text(weight: "bold", fill: rgb("#3d2b00"))[#d.synthetic_text]
  ]
]

= #d.title
#text(fill: luma(60))[#d.subtitle]

== Key points
#list(..d.key_points.map(p => [#p]))

#text(size: 8.5pt, style: "italic", fill: luma(60))[#d.disclosure]

== This site and all other sites
#text(size: 8.5pt)[#d.happening_intro]
#figure(chart_box(happening_chart(d.charts.happening)), kind: image,
  caption: [#d.happening_caption])

#let grid_table(t, widths) = table(
  columns: widths,
  ..t.header.map(h => [#h]),
  ..t.rows.flatten().map(c => [#c]),
)
#figure(grid_table(d.happening_grid, (2.4fr, 1fr, 1fr)), caption: [#d.happening_grid_caption],
  kind: table)
#figure(grid_table(d.importance_grid, (2.4fr, 1fr, 1fr)), caption: [#d.importance_grid_caption],
  kind: table)

== Priorities: importance and performance
#text(size: 8.5pt)[#d.ipa_intro]
#figure(chart_box(ipa_chart(d.charts.ipa)), kind: image, caption: [#d.ipa_caption])
#if d.concentrate.len() > 0 [
  #figure(grid_table(d.concentrate_table, (0.5fr, 3fr, 0.9fr, 0.9fr)),
    caption: [#d.concentrate_caption], kind: table)
] else [#d.no_concentrate]

== What people said
#if d.quotes.rows.len() > 0 [
  #figure(grid_table(d.quotes, (1fr, 3.6fr, 1fr)), caption: [#d.quotes_caption], kind: table)
] else [#d.no_quotes]

== Questions for discussion
#enum(..d.questions.map(q => [#q]))

#text(size: 8pt, fill: luma(60))[#d.notes]
"""


def pack_path(site_id: str, path: str | Path = "") -> Path:
    """Where a site's pack goes: ``path``, or ``reports/sites/<site_id>.pdf`` of the
    project (the site id is checked as a file name by :func:`peerlib.paths`)."""
    if path:
        return Path(path)
    from ..paths import output_path, project_paths

    return output_path(project_paths().reports, "sites", identifier=site_id, suffix=".pdf")


def _table(frame: pd.DataFrame) -> dict:
    return {"header": [str(c) for c in frame.columns],
            "rows": [["–" if pd.isna(v) else str(v) for v in row]
                     for row in frame.itertuples(index=False)]}


def _questions(points: pd.DataFrame, concentrate: list[str], labels: dict[str, str]) -> list[str]:
    qs = []
    for item in concentrate[:2]:
        qs.append(f"“{item} {labels.get(item, '')}” is rated important here but said to be "
                  "happening less often than other statements. What would it look like if "
                  "it were happening? What gets in the way?")
    gaps = points[points["sentence"].str.contains("other sites")]
    for items in gaps["items"].head(1):
        if items and items.split(",")[0] not in concentrate:
            item = items.split(",")[0]
            qs.append(f"Answers about “{item} {labels.get(item, '')}” differ here from the "
                      "other sites. Does that match your experience? What is different "
                      "about how it works here?")
    qs.append("Which of these results surprise you, and which do you recognise?")
    qs.append("What is one thing this site could do in the next six months to support its "
              "peer workers, and who would need to be involved?")
    return qs[:5]


def _quotes(data: pd.DataFrame, site_id: str, k: int, data_dir, mask) -> pd.DataFrame:
    from .sections import site_quotes  # the site report's own quotes (selected once)

    shown = site_quotes(data, site_id, k=k, data_dir=data_dir, per_code=1, mask=mask)
    if shown is None:
        return pd.DataFrame(columns=["Theme", "Quote", "Attribution"])
    shown = shown.head(MAX_QUOTES)
    text = [q if len(q) <= _QUOTE_CHARS else q[:_QUOTE_CHARS].rsplit(" ", 1)[0] + " …"
            for q in shown["quote"].astype(str)]
    return pd.DataFrame({"Theme": shown["theme"].astype(str).tolist(), "Quote": text,
                         "Attribution": shown["attribution"].astype(str).tolist()})


def pack_content(data: pd.DataFrame, site_id: str, *, k: int = DEFAULT_MIN_GROUP_SIZE,
                 data_dir: str | Path = "", mask: DisclosureMask | None = None,
                 shown_tables: Mapping[str, pd.DataFrame] | None = None) -> dict | None:
    """Everything a site's pack shows, as plain data (the same masked tables as the report).

    Parameters
    ----------
    data : pandas.DataFrame
        The prepared long table (all sites).
    site_id : str
        The site.
    k : int
        Minimum group size when no ``mask`` is given.
    data_dir : str or Path
        The processed folder ("" = ``data/processed``): site register, codebook, data set
        description and coded Part 2 segments.
    mask : DisclosureMask, optional
        The batch's disclosure mask (:func:`peerlib.reporting.tables.report_mask`); default
        the same mask computed from ``data``. The pack hides exactly what the site's HTML
        report hides (the same functions, the same mask), so that no figure withheld in one
        published file is printed in another.
    shown_tables : mapping, optional
        The site report's own shown tables, so that the pack prints exactly them and they
        are not computed twice: ``happening``, ``importance``, ``ipa``, ``points`` and
        ``bars`` as the site report template computes them (its first cells) from ``data``
        and ``mask`` with the short item labels. Default: computed here the same way.

    Returns
    -------
    dict or None
        None when the site has fewer than ``k`` participants (no pack). Otherwise the
        texts and tables of the pack (JSON-ready: str, bool, lists) plus the shown tables
        ``happening`` (:func:`peerlib.reporting.shown.shown_happening` of
        :func:`peerlib.reporting.tables.site_happening`), ``ipa`` and
        ``points`` (:func:`peerlib.reporting.keypoints.site_key_points`) under the key
        ``"frames"`` for the figures.
    """
    mask = tables.report_mask(data, get_policy(k=check_min_group_size(k)),
                              data_dir=data_dir) if mask is None else mask
    k = mask.k
    site = tables.check_site(site_id, data_dir)
    sid = site["site_id"]
    n_site = tables.site_size(data, sid)
    if n_site < k:
        return None
    labels = tables.item_labels(data_dir)
    cb = tables.prepared_codebook(data_dir)
    # the shown tables (counts as the policy shows them), as the site's HTML report
    if shown_tables is None:
        shown_tables = site_shown_tables(data, sid, mask=mask, labels=labels, n_site=n_site)
    happening, importance, ipa, points = (shown_tables[name] for name in
                                          ("happening", "importance", "ipa", "points"))
    wording = dict(zip(cb.items["item_id"].astype(str), cb.items["wording"].astype(str)))
    chosen = ipa.dropna(subset=["performance", "importance"])
    chosen = chosen[chosen["quadrant"].astype(str) == "Concentrate here"]
    concentrate = [str(i) for i in chosen["item_id"]]
    conc_table = pd.DataFrame({
        "Item": concentrate, "Statement": [wording.get(i, "") for i in concentrate],
        "Performance (0-100)": [f"{p:.0f}" for p in chosen["performance"]],
        "Importance (1-4)": [shown.mean_text(r, "importance") for _, r in chosen.iterrows()]})
    quotes = _quotes(data, sid, k, data_dir, mask)
    meta = tables.load_meta_dataset(data_dir)
    synthetic = bool(meta.get("synthetic"))
    return {
        "title": f"Feedback pack: {sid} {site['site_name']}",
        "subtitle": ("Peer worker case study, Part 1 structured interviews. Data set: "
                     f"{meta.get('name', '')}."),
        "synthetic": synthetic,
        "synthetic_text": ("SYNTHETIC DEMO DATA: every answer and quote in this pack is "
                           "invented. These are not study results and the site names are "
                           "fictional."),
        "footer": f"{sid} feedback pack" + (" (synthetic demo data)" if synthetic else ""),
        "key_points": points["sentence"].tolist(),
        "disclosure": tables.disclosure_note(mask.policy),
        "happening_intro": ("“Is this happening here?”: No to the left of zero, Yes and "
                            "Partly to the right, other answers beside them; percentages "
                            "of everyone asked. Each bar gives its number of people."),
        "happening_caption": "Is this happening here? This site and all other sites.",
        "happening_grid": _table(grids.happening_grid(happening, group="group", k=k,
                                                      labels=labels)),
        "happening_grid_caption": "People answering Yes or Partly, of everyone asked.",
        "importance_grid": _table(grids.importance_grid(importance, k=k, labels=labels)),
        "importance_grid_caption": "Mean importance (1 = not at all, 4 = extremely "
                                   "important) and number of answers.",
        "ipa_intro": ("Each statement by how important people here rate it (mean, 1-4) and "
                      "how often they say it is happening (Yes plus half of Partly, % of Yes, "
                      "Partly and No answers). The dashed lines are this site's averages."),
        "ipa_caption": "Importance-Performance at this site.",
        "concentrate": concentrate,
        "concentrate_table": _table(conc_table),
        "concentrate_caption": "“Concentrate here”: above-average importance, "
                               "below-average performance.",
        "no_concentrate": ("No statement shown falls in the “Concentrate here” quadrant at "
                           "this site."),
        "quotes": _table(quotes),
        "quotes_caption": ("Quotes from this site's interviews, redacted. A role is named "
                           f"only where at least {k} people here share it."),
        "no_quotes": "No coded Part 2 interview from this site has been imported yet.",
        "questions": _questions(points, concentrate, labels),
        "notes": (tables.small_numbers_note(data, sid, mask=mask) + " The full site report "
                  f"({sid}.html) gives every statement's wording, the tables and the data "
                  "behind them."),
        "frames": {"happening": happening, "ipa": ipa, "points": points, "labels": labels,
                   "bars": shown_tables.get("bars")},
    }


def site_shown_tables(data: pd.DataFrame, site_id: str, *, mask: DisclosureMask,
                      labels: Mapping[str, str], n_site: int) -> dict[str, pd.DataFrame]:
    """A site's shown tables as its report computes them (the pack's default).

    Parameters
    ----------
    data : pandas.DataFrame
        The prepared long table (all sites).
    site_id : str
        The site (checked).
    mask : DisclosureMask
        The batch's disclosure mask.
    labels : dict
        Item id -> short label.
    n_site : int
        The site's number of participants.

    Returns
    -------
    dict of str to pandas.DataFrame
        ``happening``, ``importance`` and ``ipa`` (:mod:`peerlib.reporting.shown` of the
        masked site views), ``points`` (:func:`peerlib.reporting.keypoints.site_key_points`)
        and ``bars`` (:func:`peerlib.reporting.likert.diverging_rows` of ``happening``).
    """
    policy, k = mask.policy, mask.k
    happening = shown.shown_happening(tables.site_happening(data, site_id, mask=mask), policy)
    importance = shown.shown_importance(tables.site_importance(data, site_id, mask=mask),
                                        policy)
    ipa = shown.shown_ipa(tables.site_ipa(data, site_id, mask=mask), policy)
    points = keypoints.site_key_points(happening, importance, ipa, k=k, labels=labels,
                                       n_site=n_site)
    bars = likert.diverging_rows(happening, group="group", k=k, item_labels=labels)
    return {"happening": happening, "importance": importance, "ipa": ipa, "points": points,
            "bars": bars}


def render_pack(content: dict) -> bytes:
    """Typeset a pack (:func:`pack_content`) to PDF bytes with typst.

    The two charts are drawn by typst itself (:mod:`peerlib.reporting.typst_charts`) in the
    same compilation: no image files, no matplotlib.

    Returns
    -------
    bytes
        The PDF.

    Raises
    ------
    typst.TypstError
        When typesetting fails (a bug: the template is fixed text).
    """
    frames = content["frames"]
    rows = frames.get("bars")
    if rows is None:
        rows = likert.diverging_rows(frames["happening"], group="group", k=_k_of(content),
                                     item_labels=frames["labels"])
    plain = {k: v for k, v in content.items() if k not in ("frames", "k")}
    plain["charts"] = {"happening": typst_charts.happening_chart_data(rows),
                       "ipa": typst_charts.ipa_chart_data(frames["ipa"])}
    pdf = typst_charts.typeset(typst_charts.CHARTS_TYPST + _TEMPLATE,
                               json.dumps(plain, ensure_ascii=False),
                               data_name="content.json")[0]
    _age_typst_cache()
    return pdf


#: typst-py keeps what a compilation memoised until this many later compilations have not
#: used it (it calls ``comemo::evict(10)`` after each one).
_TYPST_CACHE_AGE = 10


def _age_typst_cache() -> None:
    """Compile an empty document :data:`_TYPST_CACHE_AGE` times, so that typst forgets the
    pack just made now. A batch worker's kernel typesets pack after pack: otherwise it
    holds the last ten packs' figures and layouts (about 115 MB at 30 items), not one
    (about 10 ms)."""
    import typst

    with tempfile.TemporaryDirectory(prefix="peerwork-typst-") as tmp:
        (Path(tmp) / "empty.typ").write_text("", encoding="utf-8")
        blank = typst.Compiler(str(Path(tmp) / "empty.typ"), root=tmp,
                               ignore_system_fonts=True,
                               font_paths=typst_charts.typst_fonts())
        for _ in range(_TYPST_CACHE_AGE):
            blank.compile(format="pdf", timestamp=0)


def _k_of(content: dict) -> int:
    return int(content.get("k", DEFAULT_MIN_GROUP_SIZE))


def write_site_pack(data: pd.DataFrame, site_id: str, path: str | Path = "", *,
                    k: int = DEFAULT_MIN_GROUP_SIZE, data_dir: str | Path = "",
                    mask: DisclosureMask | None = None,
                    shown_tables: Mapping[str, pd.DataFrame] | None = None) -> Path | None:
    """Write a site's PDF feedback pack (at most 4 A4 pages), replacing it whole.

    Parameters
    ----------
    data : pandas.DataFrame
        The prepared long table (all sites).
    site_id : str
        The site.
    path : str or Path
        The PDF to write; default ``reports/sites/<site_id>.pdf`` of the project. The
        batch passes a path in its staging folder, so the pack is published with the
        site's HTML report, or not at all.
    k : int
        Minimum group size when no ``mask`` is given.
    data_dir : str or Path
        The processed folder ("" = ``data/processed``).
    mask : DisclosureMask, optional
        The batch's disclosure mask, as for :func:`pack_content`.
    shown_tables : mapping, optional
        The site report's own shown tables, as for :func:`pack_content`.

    Returns
    -------
    pathlib.Path or None
        The PDF written; None when the site has fewer than ``k`` participants, in which
        case no pack is made and an earlier pack at ``path`` is removed (its figures may no
        longer be publishable).

    Raises
    ------
    peerlib.errors.ParameterError
        For an unknown site.
    """
    content = pack_content(data, site_id, k=k, data_dir=data_dir, mask=mask,
                           shown_tables=shown_tables)
    target = pack_path(str(site_id), path)
    if content is None:
        target.unlink(missing_ok=True)
        return None
    content["k"] = mask.k if mask is not None else check_min_group_size(k)
    return atomic_write_bytes(target, render_pack(content))


def pack_note(written: Path | None, site_id: str, *, k: int) -> str:
    """What the site report says about its pack: the file name, or why there is none.

    Parameters
    ----------
    written : pathlib.Path or None
        The return value of :func:`write_site_pack`.
    site_id : str
        The site.
    k : int
        Minimum group size.

    Returns
    -------
    str
        Plain text for :func:`peerlib.reporting.tables.note`.
    """
    if written is None:
        return (f"No feedback pack is made for this site: it has fewer than {k} "
                "participants.")
    return (f"The feedback pack is the file {site_id}.pdf beside this report (A4, at most "
            "four pages).")

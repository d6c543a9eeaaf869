"""Key points: the few plain-language sentences that open a site or cross-site report.

Each sentence is written from the *display* tables of the report (the same masked tables
its sections show), so a figure hidden by the disclosure rules can never reach a key point:
a statement whose figure is hidden (``suppressed``, or NA) is simply not a candidate, and a
sentence that would need one is not written. Sentences are descriptive: they say what
people answered, never why, and never call a difference "significant" (the study's
comparisons are exploratory).

The tables returned here are tidy (one row per sentence); :func:`key_points_html` draws them.
"""
from __future__ import annotations

import html
from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..disclosure import check_min_group_size
from .shown import mean_text

__all__ = [
    "SECTION_TITLES",
    "KEY_POINT_COLUMNS",
    "agreement_shares",
    "site_key_points",
    "cross_site_key_points",
    "key_points_html",
]

#: Section anchors of the report notebooks (``<a id="...">``) and their titles, the link
#: text of a key point.
SECTION_TITLES = {
    "happening": "Is this happening here?",
    "importance": "How important is this to you?",
    "ipa": "Importance-Performance analysis",
    "sector-differences": "Sector differences",
    "notes": "Notes on small numbers",
}
#: Columns of a key-points table.
KEY_POINT_COLUMNS = ["sentence", "anchor", "section", "items", "figures"]

#: A difference smaller than this (percentage points of "Yes or Partly") is described as
#: "close"; a larger one is named.
MIN_PERCENT_GAP = 15.0
#: The same for means on the 1-4 importance scale.
MIN_MEAN_GAP = 0.3
_AGREE = ("Yes", "Partly")


def _label(item: object, labels: Mapping[str, str] | None) -> str:
    item = str(item)
    text = (labels or {}).get(item)
    return f"“{item} {text}”" if text else f"“{item}”"


def _list(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _row(sentence: str, anchor: str, items: list[str], figures: dict) -> dict:
    return {"sentence": sentence, "anchor": anchor, "section": SECTION_TITLES[anchor],
            "items": ",".join(str(i) for i in items),
            "figures": "; ".join(f"{k}={v}" for k, v in figures.items())}


def _frame(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=KEY_POINT_COLUMNS)


def agreement_shares(dist: pd.DataFrame, *, group: str | None = None,
                     response: str = "happening", item: str = "item_id") -> pd.DataFrame:
    """Share of everyone asked who said "Yes" or "Partly", from a shown distribution.

    Parameters
    ----------
    dist : pandas.DataFrame
        A happening distribution as a report shows it
        (:func:`peerlib.part1.scoring.happening_distribution`, passed through the
        disclosure rules: ``count``/``percent`` NA and ``suppressed`` True where hidden).
    group : str, optional
        Its grouping column.

    Returns
    -------
    pandas.DataFrame
        One row per item (x group) that is shown: ``item_id``, the group column, ``agree``
        (participants answering Yes or Partly), ``n_asked``, ``percent`` (0-100 of
        everyone asked, Missing included: the right-hand side of the report's chart) and
        the text of the two counts, ``agree_text`` and ``n_asked_text``. From a shown
        distribution (:func:`peerlib.reporting.shown.shown_happening`) these are the
        shown counts and the percentage of them; a "Yes or Partly" count the policy does
        not show ("<8") has NaN ``agree`` and ``percent``. Hidden or empty groups are left
        out, so nothing derived from them can be shown.
    """
    keys = [item] + ([group] if group else [])
    data = dist.copy()
    hidden = data["suppressed"].astype(bool) if "suppressed" in data else False
    if "agree_text" in data.columns:
        # a shown distribution (peerlib.reporting.shown.shown_happening): its "Yes or
        # Partly" count as the policy shows it ("<k": no count, no percentage)
        data = data[~hidden & (data["n_asked"].fillna(0) > 0)]
        out = (data.groupby(keys, observed=True, sort=False)
               .agg(agree=("agree", "first"), n_asked=("n_asked", "first"),
                    agree_text=("agree_text", "first"),
                    n_asked_text=("n_asked_text", "first")).reset_index())
        out = out[out["agree"].notna() | (out["agree_text"] != "")]
        out["percent"] = 100.0 * out["agree"] / out["n_asked"]
    else:
        data = data[~hidden & data["count"].notna() & (data["n_asked"].fillna(0) > 0)]
        data = data.assign(_agree=np.where(data[response].astype(str).isin(_AGREE),
                                           data["count"].astype(float), 0.0))
        out = (data.groupby(keys, observed=True, sort=False)
               .agg(agree=("_agree", "sum"), n_asked=("n_asked", "first")).reset_index())
        out["agree"] = out["agree"].astype(int)
        out["n_asked"] = out["n_asked"].astype(int)
        out["percent"] = 100.0 * out["agree"] / out["n_asked"]
        out["agree_text"] = out["agree"].astype(str)
        out["n_asked_text"] = out["n_asked"].astype(str)
    out[item] = out[item].astype(str)
    if group:
        out[group] = out[group].astype(str)
    return out.reset_index(drop=True)


def _shown_means(summary: pd.DataFrame, group: str, level: str) -> pd.DataFrame:
    sub = summary[(summary[group].astype(str) == level) & summary["mean"].notna()]
    if "suppressed" in sub:
        sub = sub[~sub["suppressed"].astype(bool)]
    return sub.assign(item_id=sub["item_id"].astype(str))


def _concentrate(ipa: pd.DataFrame, labels, where: str) -> dict | None:
    shown = ipa.dropna(subset=["performance", "importance"])
    if "quadrant" not in shown or shown.empty:
        return None
    chosen = shown[shown["quadrant"].astype(str) == "Concentrate here"]
    if chosen.empty:
        return _row(f"No statement is both rated more important and said to be happening less "
                    f"often than the average statement {where} (the “Concentrate here” "
                    "quadrant of the Importance-Performance analysis is empty).", "ipa", [],
                    {"concentrate_here": 0})
    chosen = chosen.sort_values("importance", ascending=False, kind="stable")
    items = [str(i) for i in chosen["item_id"]]
    names = _list([_label(i, labels) for i in items])
    verb = "is" if len(items) == 1 else "are"
    return _row(f"{names} {verb} rated more important {where} than the average statement but "
                f"said to be happening less often: the “Concentrate here” item"
                f"{'' if len(items) == 1 else 's'} of the Importance-Performance analysis.",
                "ipa", items,
                {f"{i}": f"performance {r['performance']:.0f}, importance "
                         f"{mean_text(r, 'importance')}"
                 for i, (_, r) in zip(items, chosen.iterrows())})


def _scope(shown: int, of_all: int | None) -> str:
    """The opening of a sentence naming the top or bottom statement: "" when every
    statement is shown, else "Of the 3 statements whose figures are shown, " (a statement
    picked among the few left after hiding is not the site's top or bottom statement,
    and a reader must not take it for one: helper-29)."""
    if of_all is None or shown >= of_all:
        return ""
    return (f"Of the {shown} statements (out of {of_all}) whose figures can be shown, ")


def _opening(scope: str, sentence: str) -> str:
    return scope + sentence[0].lower() + sentence[1:] if scope else sentence


def _most_important(means: pd.DataFrame, labels, where: str,
                    of_all: int | None = None) -> dict | None:
    if len(means) < 2 and of_all is not None and of_all > 1:
        return None  # one statement shown: no "most" to speak of
    if means.empty:
        return None
    top = means.sort_values("mean", ascending=False, kind="stable").iloc[0]
    n = top["n_text"] if "n_text" in means.columns else int(top["n"])
    return _row(_opening(_scope(len(means), of_all),
                         f"The statement rated most important {where} is "
                         f"{_label(top.item_id, labels)} (mean {top['mean']:.1f} on the 1-4 "
                         f"scale, {n} answers)."),
                "importance", [top.item_id], {"mean": mean_text(top), "n": n})


def _least_happening(shares: pd.DataFrame, labels, where: str,
                     of_all: int | None = None) -> dict | None:
    if shares.empty:
        return None
    shares = shares.dropna(subset=["percent"])
    if shares.empty or (len(shares) < 2 and of_all is not None and of_all > 1):
        return None
    low = shares.sort_values("percent", kind="stable").iloc[0]
    sentence = (f"The statement people {where} least often said was happening is "
                f"{_label(low.item_id, labels)}: {low.agree_text} of {low.n_asked_text} said "
                f"Yes or Partly ({low.percent:.0f}%).")
    return _row(_opening(_scope(len(shares), of_all), sentence), "happening", [low.item_id],
                {"agree": low.agree_text, "n_asked": low.n_asked_text,
                 "percent": f"{low.percent:.0f}"})


def _gap(a: pd.DataFrame, b: pd.DataFrame, value: str) -> pd.DataFrame:
    both = a.merge(b, on="item_id", suffixes=("_a", "_b"))
    both = both.dropna(subset=[f"{value}_a", f"{value}_b"])  # a figure not shown
    both["gap"] = both[f"{value}_a"] - both[f"{value}_b"]
    both["size"] = both["gap"].abs()
    return both.sort_values("size", ascending=False, kind="stable")


def site_key_points(happening: pd.DataFrame, importance: pd.DataFrame, ipa: pd.DataFrame, *,
                    k: int, labels: Mapping[str, str] | None = None, n_site: int | None = None,
                    this: str = "This site", others: str = "All other sites",
                    group: str = "group") -> pd.DataFrame:
    """The key points of a site report, from the tables the report shows.

    Parameters
    ----------
    happening : pandas.DataFrame
        "Is this happening here?" for this site and all other sites, as shown
        (:func:`peerlib.reporting.tables.site_happening`).
    importance : pandas.DataFrame
        Importance for both groups, as shown (:func:`peerlib.reporting.tables.site_importance`).
    ipa : pandas.DataFrame
        The site's Importance-Performance table as shown
        (:func:`peerlib.part1.scoring.importance_performance` with ``min_n=k``).
    k : int
        Minimum group size (named in the sentence written when nothing can be shown).
    labels : dict, optional
        Item id -> short label (from the codebook).
    n_site : int, optional
        Participants at the site; below ``k`` the only key point says that no result is
        shown.
    this, others, group : str
        The group labels and column of ``happening`` and ``importance``.

    Returns
    -------
    pandas.DataFrame
        One row per key point, in reading order (at most six): ``sentence`` (plain text),
        ``anchor`` (the id of its section, :data:`SECTION_TITLES`), ``section`` (that
        section's title), ``items`` (comma-separated item ids it mentions) and ``figures``
        (the shown figures it quotes, ``name=value; ...``). Points whose figures are all
        hidden are left out; when nothing at the site is shown, one sentence says so.

    Notes
    -----
    Which statements: the site's "Concentrate here" items (Martilla & James 1977), the
    statement rated most important, the one least often said to be happening (Yes or Partly,
    % of everyone asked), and the statements where the site differs most from all other
    sites in "Yes or Partly" (named when the gap is at least :data:`MIN_PERCENT_GAP` points)
    and in mean importance (at least :data:`MIN_MEAN_GAP`). Wording is descriptive.
    """
    k = check_min_group_size(k)
    if n_site == 0:
        return _frame([_row("Nobody from this site has been interviewed yet (or every "
                            "interview has been withdrawn), so there are no results.",
                            "notes", [], {"n_site": "0"})])
    if n_site is not None and n_site < k:
        return _frame([_row(f"This site has fewer than {k} participants, so none of its "
                            "results are shown, to protect the people who took part.",
                            "notes", [], {"n_site": f"<{k}"})])
    shares = agreement_shares(happening, group=group)
    here, there = (shares[shares[group] == this], shares[shares[group] == others])
    means_here = _shown_means(importance, group, this)
    means_there = _shown_means(importance, group, others)
    n_items = happening["item_id"].nunique()
    rows = [_concentrate(ipa, labels, "here"),
            _most_important(means_here, labels, "here", n_items),
            _least_happening(here, labels, "here", n_items)]
    gap = _gap(here, there, "percent")
    if len(gap) >= min(2, n_items):
        top = gap.iloc[0]
        if top["size"] >= MIN_PERCENT_GAP:
            rows.append(_row(_opening(
                _scope(len(gap), n_items),
                f"The largest difference from all other sites is on {_label(top.item_id, labels)}: "
                f"{top.percent_a:.0f}% of people here said Yes or Partly, against "
                f"{top.percent_b:.0f}% at all other sites."), "happening", [top.item_id],
                {"here": f"{top.percent_a:.0f}", "others": f"{top.percent_b:.0f}"}))
        else:
            rows.append(_row(
                "On every statement shown, the share of people here saying Yes or Partly is "
                f"within {top['size']:.0f} percentage points of all other sites.", "happening",
                list(gap["item_id"]), {"largest_gap": f"{top['size']:.0f}"}))
    mgap = _gap(means_here, means_there, "mean")
    if len(mgap) and mgap.iloc[0]["size"] >= MIN_MEAN_GAP:
        top = mgap.iloc[0]
        more = "more" if top["gap"] > 0 else "less"
        rows.append(_row(
            f"People here rate {_label(top.item_id, labels)} {more} important than people at "
            f"all other sites (mean {top.mean_a:.1f} against {top.mean_b:.1f}).",
            "importance", [top.item_id],
            {"here": mean_text(top, "mean_a", "mean_text_a"),
             "others": mean_text(top, "mean_b", "mean_text_b")}))
    rows = [r for r in rows if r is not None][:6]
    if not rows:
        rows = [_row(f"No result of this site can be shown: every figure rests on fewer than "
                     f"{k} answers or would give a hidden figure away.", "notes", [], {})]
    return _frame(rows)


def cross_site_key_points(by_sector: pd.DataFrame, importance: pd.DataFrame,
                          ipa: pd.DataFrame, *, k: int,
                          labels: Mapping[str, str] | None = None, sector: str = "sector",
                          overall: str = "All", group: str = "group") -> pd.DataFrame:
    """The key points of the cross-site report, from the tables it shows.

    Parameters
    ----------
    by_sector : pandas.DataFrame
        "Is this happening here?" by sector as shown (suppressed distribution).
    importance : pandas.DataFrame
        Importance for everyone and by sector as shown
        (:func:`peerlib.reporting.tables.importance_with_overall`, ``group`` column).
    ipa : pandas.DataFrame
        Importance-Performance for all participants as shown (``min_n=k``).
    k : int
        Minimum group size.
    labels : dict, optional
        Item id -> short label.
    sector, overall, group : str
        Column of sectors in ``by_sector``; label of everyone and group column in
        ``importance``.

    Returns
    -------
    pandas.DataFrame
        As :func:`site_key_points`: the study's "Concentrate here" items, the statement
        rated most important by everyone, the one least often said to be happening (both
        sectors shown, their counts added), and the statements where the two sectors differ
        most in "Yes or Partly" and in mean importance (named above :data:`MIN_PERCENT_GAP`
        and :data:`MIN_MEAN_GAP`).
    """
    k = check_min_group_size(k)
    shares = agreement_shares(by_sector, group=sector)
    sectors = list(dict.fromkeys(shares[sector]))
    n_items = by_sector["item_id"].nunique()
    rows = [_concentrate(ipa, labels, "across the sites"),
            _most_important(_shown_means(importance, group, overall), labels,
                            "across the sites", n_items)]
    if len(sectors) == 2:
        a, b = (shares[shares[sector] == s] for s in sectors)
        both = a.merge(b, on="item_id", suffixes=("_a", "_b"))
        total = pd.DataFrame({"item_id": both["item_id"],
                              "agree": both["agree_a"] + both["agree_b"],
                              "n_asked": both["n_asked_a"] + both["n_asked_b"]})
        total["percent"] = 100.0 * total["agree"] / total["n_asked"]
        # sums of shown counts (both sectors' counts as the policy shows them)
        total["agree_text"] = [f"{v:.0f}" for v in total["agree"]]
        total["n_asked_text"] = [f"{v:.0f}" for v in total["n_asked"]]
        rows.append(_least_happening(total, labels, "across the sites", n_items))
        gap = _gap(a, b, "percent")
        if len(gap):
            top = gap.iloc[0]
            if top["size"] >= MIN_PERCENT_GAP:
                rows.append(_row(
                    f"The sectors differ most on {_label(top.item_id, labels)}: "
                    f"{top.percent_a:.0f}% in the {sectors[0]} sector said Yes or Partly, "
                    f"against {top.percent_b:.0f}% in the {sectors[1]} sector (a descriptive "
                    "difference in a small sample).", "happening", [top.item_id],
                    {sectors[0]: f"{top.percent_a:.0f}", sectors[1]: f"{top.percent_b:.0f}"}))
            else:
                rows.append(_row(
                    f"The {sectors[0]} and {sectors[1]} sectors answer “Is this happening "
                    f"here?” alike: on every statement the share saying Yes or Partly is "
                    f"within {top['size']:.0f} percentage points.", "happening",
                    list(gap["item_id"]), {"largest_gap": f"{top['size']:.0f}"}))
        mgap = _gap(_shown_means(importance, group, sectors[0]),
                    _shown_means(importance, group, sectors[1]), "mean")
        if len(mgap) and mgap.iloc[0]["size"] >= MIN_MEAN_GAP:
            top = mgap.iloc[0]
            rows.append(_row(
                f"{_label(top.item_id, labels)} is rated "
                f"{'more' if top['gap'] > 0 else 'less'} important in the {sectors[0]} sector "
                f"than in the {sectors[1]} sector (mean {top.mean_a:.1f} against "
                f"{top.mean_b:.1f}).", "importance", [top.item_id],
                {sectors[0]: mean_text(top, "mean_a", "mean_text_a"),
                 sectors[1]: mean_text(top, "mean_b", "mean_text_b")}))
    rows = [r for r in rows if r is not None][:6]
    if not rows:
        rows = [_row(f"No result can be shown: every figure rests on fewer than {k} answers.",
                     "happening", [], {})]
    return _frame(rows)


def key_points_html(points: pd.DataFrame, *, title: str = "Key points"):
    """Draw a key-points table as the opening box of a report (escaped HTML).

    Parameters
    ----------
    points : pandas.DataFrame
        From :func:`site_key_points` or :func:`cross_site_key_points`.
    title : str
        The box's heading.

    Returns
    -------
    IPython.display.HTML
        A ``<section>`` with a heading and a bulleted list: each sentence followed by a link
        to its section (``href="#anchor"``). All text is escaped.
    """
    from IPython.display import HTML

    e = html.escape
    items = "".join(
        f'<li>{e(r.sentence)} <a href="#{e(r.anchor)}" class="peerwork-keypoint-link">'
        f'See “{e(r.section)}”</a></li>' for r in points.itertuples(index=False))
    return HTML(f'<section class="peerwork-keypoints" aria-labelledby="key-points">'
                f'<h2 id="key-points">{e(title)}</h2><ul>{items}</ul></section>')

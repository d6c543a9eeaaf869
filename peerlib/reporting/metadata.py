"""Disclosure metadata of published tables and charts: what each shown number describes.

Every table and chart a report publishes carries a hidden block (``<script
type="application/json" class="peerwork-disclosure">``) listing, for each number, the group
it describes (its ``union`` of site x role atoms, see :mod:`peerlib.disclosure.mask`), the
family of figures (``statistic``: participants, happening, importance, themes), the item,
and that group's size ``n``; a hidden number names its group and rule instead, never a
size. The batch's publish-time audit (:mod:`peerlib.disclosure.audit`) reads these blocks
from every staged report and refuses a report with a table or chart that has none.

Tables carry their cells in ``frame.attrs[DISCLOSURE_ATTR]`` (:func:`with_cells`); charts
in an attribute of the plotly figure (:func:`with_figure_cells`), written beside the chart
by :func:`peerlib.reporting.html.chart_html`. A table or chart with no figure about people
(the statements' wording, a glossary) carries an empty list, which says so explicitly.
"""
from __future__ import annotations

import json

import pandas as pd

__all__ = ["DISCLOSURE_ATTR", "cell", "disclosure_block", "with_cells", "hidden_rows",
           "view_cells", "ipa_cells", "pattern_cells", "with_figure_cells", "figure_cells"]

#: Key of a display table's ``attrs`` holding what each of its numbers describes.
DISCLOSURE_ATTR = "peerwork_disclosure"
_FIGURE_ATTR = "_peerwork_disclosure"
#: The column holding the size of each group in a masked view, per family of figures.
_N_COLUMN = {"happening": "n_asked", "importance": "n"}


def cell(union: str | None, statistic: str, item: object = "", n: object = None, *,
         rule: str = "", public: bool = False) -> dict:
    """One number's metadata: a shown group with its size, or a hidden one with its rule.

    Parameters
    ----------
    union : str or None
        The group's key in the mask (:func:`peerlib.disclosure.mask.union_key`); None for a
        number that describes no group of people.
    statistic : str
        The family of figures (``participants``, ``happening``, ``importance``, ``themes``).
    item : object
        The item id (importance is a family per item).
    n : int
        The group's size (people or answers); not written for a hidden number.
    rule : str
        "primary" or "secondary" for a hidden number; "public" for a figure the study
        publishes as is (sample composition); "" for a shown one.
    public : bool
        Same as ``rule="public"``.

    Returns
    -------
    dict
        ``union``, ``statistic``, ``item`` and either ``hidden`` (the rule) or ``n`` (and
        ``public`` when set).
    """
    rec = {"union": union, "statistic": statistic, "item": "" if item is None else str(item)}
    if rule in ("primary", "secondary"):
        rec["hidden"] = rule
    else:
        rec["n"] = int(n)
        if public or rule == "public":
            rec["public"] = True
    return rec


def disclosure_block(cells: list[dict] | None, caption: str = "") -> str:
    """The hidden metadata block that goes with a published table or chart.

    Parameters
    ----------
    cells : list of dict or None
        :func:`cell` records; None writes nothing (the audit then refuses the table). Their
        sizes ``n`` are not written.
    caption : str
        The table's caption or the chart's title, named in the audit's messages.

    Returns
    -------
    str
        ``<script type="application/json" class="peerwork-disclosure">`` holding
        ``{"caption", "cells"}`` with ``</`` escaped, or "".
    """
    if cells is None:
        return ""
    # No size is published: the block is part of the page, and a size can be more exact
    # than the cell shows (a count rounded to 5, "<8"); the audit takes each group's size
    # from the data. Compact: an empty item is left out (read as ""), no spaces.
    cells = [{k: v for k, v in c.items() if k != "n" and not (k == "item" and v == "")}
             for c in cells]
    text = json.dumps({"caption": caption, "cells": cells}, ensure_ascii=True,
                      separators=(",", ":"))
    text = text.replace("</", "<\\/").replace("<!--", "<\\!--")
    return f'<script type="application/json" class="peerwork-disclosure">{text}</script>'


class _Cells(list):
    """The cell records attached to a table, shared by the tables derived from it.

    pandas deep-copies ``attrs`` into every frame or column it derives (each column read,
    slice, ``copy``...), which for a table with a few hundred records cost more than the
    table's own work. The records are never changed once attached (every writer builds new
    ones), so a derived table may share them: a deep copy returns the same list.
    """

    def __deepcopy__(self, memo):
        return self


def with_cells(frame: pd.DataFrame, cells: list[dict] | None) -> pd.DataFrame:
    """Attach the disclosure metadata of a display table (in place; returns ``frame``).

    The records are attached as they are and must not be changed afterwards: tables
    derived from ``frame`` share them."""
    if cells is not None:
        frame.attrs[DISCLOSURE_ATTR] = cells if isinstance(cells, _Cells) else _Cells(cells)
    return frame


def hidden_rows(frame: pd.DataFrame, n: str, statistic: str = "") -> pd.Series:
    """Which rows of a result table read as hidden: the one rule every display follows.

    Parameters
    ----------
    frame : pandas.DataFrame
        A result table, optionally with ``suppressed`` (bool) and, for a masked view, the
        mask's ``union`` column.
    n : str
        The column holding the group's size (people, or answers for importance); NaN where
        a shown table no longer holds it.
    statistic : str
        The family of figures (``importance``, ``happening``...).

    Returns
    -------
    pandas.Series of bool, aligned with ``frame``
        True where the row is suppressed and its group has something to hide: a size
        above 0 or unknown. A suppressed 0 is shown ("nobody to protect"), except where
        ``n`` counts importance answers in a masked view: the mask hides such a 0 only for
        a group of 1 to ``k - 1`` people, and there it says none of them answered.
    """
    if "suppressed" not in frame.columns:
        return pd.Series(False, index=frame.index)
    hidden = frame["suppressed"].fillna(False).astype(bool)
    if statistic == "importance" and "union" in frame.columns:
        return hidden
    size = pd.to_numeric(frame[n], errors="coerce").fillna(1)
    return hidden & size.gt(0)


def view_cells(frame: pd.DataFrame, statistic: str, *, n: str | None = None,
               item: str = "item_id") -> list[dict] | None:
    """The metadata of a masked view, one record per group and item.

    Parameters
    ----------
    frame : pandas.DataFrame
        A view from :mod:`peerlib.reporting.tables` (``site_happening``,
        ``group_happening``, ``site_importance``, ``importance_with_overall``...): columns
        ``union``, ``item``, the size column ``n``, ``suppressed`` and ``rule``; a
        distribution has one row per answer option, which count once.
    statistic : str
        ``happening`` or ``importance``.
    n : str, optional
        The size column; default ``n_asked`` for happening, ``n`` for importance.
    item : str
        The item column.

    Returns
    -------
    list of dict or None
        :func:`cell` records (a group asked nobody is a shown 0; a hidden group whose size
        the table does not hold, as in a shown table, keeps its rule); None when ``frame`` is
        not a masked view (no ``union`` column: an analyst's own table, which the batch's
        audit would refuse to publish).
    """
    if "union" not in frame.columns or "suppressed" not in frame.columns:
        return None
    size = n or _N_COLUMN[statistic]
    rules = frame["rule"] if "rule" in frame.columns else pd.Series("", index=frame.index)
    out, seen = [], set()
    hides = hidden_rows(frame, size, statistic)
    for union, it, value, hidden, rule in zip(frame["union"], frame[item].astype(str),
                                              frame[size], hides, rules):
        if (union, it) in seen:
            continue
        seen.add((union, it))
        # a shown table (peerlib.reporting.shown) holds no size for a hidden group
        value = 0 if pd.isna(value) else int(value)
        out.append(cell(union, statistic, it, value,
                        rule=(rule or "primary") if bool(hidden) else ""))
    return out


def ipa_cells(ipa: pd.DataFrame, *, item: str = "item_id") -> list[dict] | None:
    """The metadata of a masked Importance-Performance view
    (:func:`peerlib.reporting.tables.ipa_view`, ``site_ipa``): per point, its
    "Is this happening here?" answers (``n_performance``) and its importance answers
    (``n_importance``), each hidden by its own family's decision
    (``suppressed_happening``, ``suppressed_importance``); a figure withheld only because
    the point's other figure is hidden names no group. None when ``ipa`` is not a masked
    view."""
    if "union" not in ipa.columns or "suppressed" not in ipa.columns:
        return None
    out = []
    for stat, n in (("happening", "n_performance"), ("importance", "n_importance")):
        own = f"suppressed_{stat}"
        if own not in ipa.columns:
            out += view_cells(ipa, stat, n=n, item=item) or []
            continue
        cells = view_cells(ipa.assign(suppressed=ipa[own]), stat, n=n, item=item) or []
        rules = ipa["rule"] if "rule" in ipa.columns else pd.Series("", index=ipa.index)
        for rec, point, mine, rule in zip(cells, ipa["suppressed"], ipa[own], rules):
            if bool(point) and not bool(mine):
                # withheld because the point's other figure is hidden: a hidden number,
                # not a hidden group (the group's figures are shown elsewhere)
                rec = cell(None, stat, rec["item"], rule=str(rule) or "secondary")
            out.append(rec)
    return out


def pattern_cells(patterns: pd.DataFrame) -> list[dict]:
    """The metadata of theme patterns (:func:`peerlib.part2.framework.theme_patterns`):
    per group (``by``, ``group``), its participants with coded transcripts (``themes``),
    hidden with its rule where ``suppressed``."""
    from ..disclosure.mask import union_key

    kinds = {"sector": "sector", "organisation_type": "orgtype", "role": "role"}
    rules = (patterns["rule"] if "rule" in patterns.columns
             else pd.Series("", index=patterns.index))
    out = []
    for r, rule in zip(patterns.itertuples(index=False), rules):
        hidden = bool(r.suppressed) and (pd.isna(r.n_participants)
                                         or int(r.n_participants) > 0)
        out.append(cell(union_key(kinds.get(r.by, r.by), r.group), "themes", "",
                        r.n_participants, rule=(rule or "primary") if hidden else ""))
    return out


def with_figure_cells(fig, cells: list[dict] | None):
    """Attach the disclosure metadata of a chart to its plotly figure (returns ``fig``);
    :func:`peerlib.reporting.html.chart_html` writes it beside the chart."""
    if cells is not None:
        setattr(fig, _FIGURE_ATTR, cells)
    return fig


def figure_cells(fig) -> list[dict] | None:
    """The disclosure metadata attached to a figure by :func:`with_figure_cells`, or None."""
    return getattr(fig, _FIGURE_ATTR, None)

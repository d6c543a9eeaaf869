"""Grids for readers: one row per statement, one column per group, one short text per cell.

A long list of item x group rows (48 rows for importance by role) is hard to compare; a
grid puts the groups side by side. Every grid is built from a table the report already
shows after the disclosure rules (hidden cells read "n<k"), so it shows nothing new, and
its cells are text ready for display and for the CSV download beside it.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from ..disclosure import check_min_group_size, small_group_label
from .keypoints import agreement_shares
from .metadata import DISCLOSURE_ATTR, hidden_rows, ipa_cells, view_cells, with_cells
from .shown import mean_text

__all__ = ["role_names", "statements_table", "happening_grid", "importance_grid", "ipa_grid",
           "missing_grid", "site_interview_summary", "GLOSSARY_TERMS", "glossary"]

DASH = "–"


def statements_table(codebook, items: Sequence[str] | None = None) -> pd.DataFrame:
    """The statements in full, as the interview schedule words them.

    Parameters
    ----------
    codebook : peerlib.codebook.Codebook
        The codebook the data was prepared with.
    items : sequence of str, optional
        Only these items (in codebook order); default every item.

    Returns
    -------
    pandas.DataFrame
        ``Item`` (id), ``Short label`` (as on the charts; "(draft)" for draft wording) and
        ``Statement`` (the full wording).
    """
    it = codebook.items
    if items is not None:
        it = it[it["item_id"].astype(str).isin([str(i) for i in items])]
    return with_cells(pd.DataFrame({
        "Item": it["item_id"].astype(str).tolist(),
        "Short label": [lab + (" (draft)" if d else "") for lab, d in
                        zip(it["label"], it["draft"])],
        "Statement": it["wording"].astype(str).tolist(),
    }), [])  # wording only: no figure about people


def _order(values: pd.Series, group_order: Sequence[str] | None) -> list[str]:
    seen = list(dict.fromkeys(values.astype(str)))
    if group_order:
        return [g for g in group_order if g in seen]
    if isinstance(values.dtype, pd.CategoricalDtype):
        return [str(g) for g in values.cat.categories if str(g) in seen]
    return seen


def _asked(n: object) -> bool:
    """Whether a group size means somebody was asked: a count above 0, or NaN (the size of
    a hidden group, which a shown table does not hold)."""
    return bool(pd.isna(n) or int(n) > 0)


def _item_column(items: Sequence[str], labels: Mapping[str, str] | None) -> list[str]:
    return [f"{i} {labels[i]}" if labels and i in labels else str(i) for i in items]


def role_names(codebook) -> dict[str, str]:
    """Role -> its short plural label from the codebook ("Peer workers", ...), for column
    headers."""
    return dict(zip(codebook.roles["role"].astype(str), codebook.roles["short"].astype(str)))


def happening_grid(dist: pd.DataFrame, *, group: str, k: int,
                   labels: Mapping[str, str] | None = None,
                   group_order: Sequence[str] | None = None,
                   names: Mapping[str, str] | None = None,
                   item: str = "item_id") -> pd.DataFrame:
    """"Yes or Partly" per statement and group: "5 of 7 (71%)".

    Parameters
    ----------
    dist : pandas.DataFrame
        A shown happening distribution (:func:`peerlib.reporting.shown.shown_happening`
        of a masked view: counts as the policy shows them).
    group : str
        Its grouping column (the grid's columns).
    k : int
        Minimum group size: hidden cells read "n<k" (a small group) or "hidden" (rule
        "secondary": withheld to protect a small one).
    labels : dict, optional
        Item id -> short label.
    group_order : sequence of str, optional
        Column order (default: categorical order, else first seen).
    names : dict, optional
        Group -> column header; default the group itself.

    Returns
    -------
    pandas.DataFrame
        ``Statement`` ("2.1 Short label") and one text column per group: participants who
        answered Yes or Partly "of" everyone asked (Missing included) with the percentage;
        "n<k" where hidden, "–" where nobody was asked.
    """
    k = check_min_group_size(k)
    groups = _order(dist[group], group_order)
    items = list(dict.fromkeys(dist[item].astype(str)))
    shares = agreement_shares(dist, group=group, item=item).set_index([item, group])
    asked = dist.groupby([dist[item].astype(str), dist[group].astype(str)],
                         observed=True)["n_asked"].first()
    rules = (dist.groupby([dist[item].astype(str), dist[group].astype(str)],
                          observed=True)["rule"].first()
             if "rule" in dist.columns else pd.Series(dtype=object))
    # each shown cell's texts, looked up by (item, group) (not one .loc per cell)
    shown = dict(zip(shares.index, zip(shares["agree_text"], shares["n_asked_text"],
                                       shares["percent"])))
    out = {"Statement": _item_column(items, labels)}
    for g in groups:
        col = []
        for it in items:
            if (it, g) in shown:
                agree, n_asked, percent = shown[(it, g)]
                col.append(f"{agree} of {n_asked}"
                           + ("" if pd.isna(percent) else f" ({percent:.0f}%)"))
            elif _asked(asked.get((it, g), 0)):
                col.append(small_group_label(k, rules.get((it, g), "")))
            else:
                col.append(DASH)
        out[(names or {}).get(g, g)] = col
    return with_cells(pd.DataFrame(out), view_cells(dist, "happening", item=item))


def importance_grid(summary: pd.DataFrame, *, group: str = "group", k: int,
                    labels: Mapping[str, str] | None = None,
                    group_order: Sequence[str] | None = None,
                    names: Mapping[str, str] | None = None,
                    item: str = "item_id") -> pd.DataFrame:
    """Mean importance per statement and group: "3.43 (n = 7)".

    Parameters
    ----------
    summary : pandas.DataFrame
        A shown importance summary (:func:`peerlib.reporting.shown.shown_importance` of a
        masked view: ``mean`` NaN where hidden, ``n`` as the policy shows it).
    group : str
        Its grouping column.
    k : int
        Minimum group size.
    labels, group_order : optional
        As :func:`happening_grid`.
    names : dict, optional
        Group -> column header (e.g. :func:`role_names`); default the group itself.

    Returns
    -------
    pandas.DataFrame
        ``Statement`` and one text column per group: the mean on the 1-4 scale (2 dp) and
        the number of answers; "n<k" where hidden; "–" where nobody answered.
    """
    k = check_min_group_size(k)
    groups = _order(summary[group], group_order)
    items = list(dict.fromkeys(summary[item].astype(str)))
    hides = hidden_rows(summary, "n", "importance")
    cells = {(str(getattr(r, item)), str(getattr(r, group))): (r, bool(h))
             for r, h in zip(summary.itertuples(index=False), hides)}
    out = {"Statement": _item_column(items, labels)}
    for g in groups:
        col = []
        for it in items:
            r, hidden = cells.get((it, g), (None, False))
            if r is None or (not _asked(r.n) and not hidden):
                col.append(DASH)
            elif pd.isna(r.mean) or hidden:
                col.append(small_group_label(k, getattr(r, "rule", "")))
            else:
                n = getattr(r, "n_text", None) or int(r.n)
                col.append(f"{mean_text(r)} (n = {n})")
        out[(names or {}).get(g, g)] = col
    return with_cells(pd.DataFrame(out), view_cells(summary, "importance", item=item))


def ipa_grid(ipa: pd.DataFrame, *, group: str, k: int,
             labels: Mapping[str, str] | None = None,
             group_order: Sequence[str] | None = None, item: str = "item_id") -> pd.DataFrame:
    """Importance-Performance quadrants per statement and group.

    Parameters
    ----------
    ipa : pandas.DataFrame
        :func:`peerlib.part1.scoring.importance_performance` by ``group`` with ``min_n=k``
        (hidden items have NaN values and no quadrant).
    group : str
        Its grouping column.
    k : int
        Minimum group size.

    Returns
    -------
    pandas.DataFrame
        ``Statement`` and one text column per group: "Concentrate here (performance 40,
        importance 3.50)"; "n<k" where hidden.
    """
    k = check_min_group_size(k)
    groups = _order(ipa[group], group_order)
    items = list(dict.fromkeys(ipa[item].astype(str)))
    cells = {(str(getattr(r, item)), str(getattr(r, group))): r
             for r in ipa.itertuples(index=False)}
    out = {"Statement": _item_column(items, labels)}
    for g in groups:
        col = []
        for it in items:
            r = cells.get((it, g))
            if r is None or pd.isna(r.performance) or pd.isna(r.importance):
                col.append(small_group_label(k, getattr(r, "rule", "")) if r is not None and (
                    _asked(r.n_performance) or _asked(r.n_importance)) else DASH)
            else:
                col.append(f"{r.quadrant} (performance {r.performance:.0f}, importance "
                           f"{mean_text(r, 'importance')})")
        out[g] = col
    return with_cells(pd.DataFrame(out), ipa_cells(ipa, item=item))


def missing_grid(missing: pd.DataFrame, *, by: str = "Site") -> pd.DataFrame:
    """Answers missing per site and statement, as a grid (data-quality report).

    Parameters
    ----------
    missing : pandas.DataFrame
        :func:`peerlib.reporting.tables.missing_answers_table` (one row per site x item:
        ``Site``, ``Item``, ``Participants``, ``Happening: no answer``, ``Importance: no
        answer``...). These are counts of records, shown as they are.
    by : str
        Its row column (``Site``).

    Returns
    -------
    pandas.DataFrame
        One row per site: ``Site``, ``Interviews`` (the most participants asked any item)
        and one column per item holding "happening / importance" counts of interviews with
        no answer recorded ("0 / 1"), "–" where the site was not asked the item.
    """
    items = list(dict.fromkeys(missing["Item"].astype(str)))
    rows = []
    for site, sub in missing.groupby(by, sort=False, observed=True):
        cells = {str(r["Item"]): f"{int(r['Happening: no answer'])} / "
                                 f"{int(r['Importance: no answer'])}"
                 for r in sub.to_dict("records")}
        rec = {by: str(site), "Interviews": str(int(sub["Participants"].max()))}
        rec.update({item: cells.get(item, DASH) for item in items})
        rows.append(rec)
    return pd.DataFrame(rows)


def site_interview_summary(counts: pd.DataFrame, *, k: int) -> pd.DataFrame:
    """Interviews per site in a readable form, from the masked per-site role counts.

    Parameters
    ----------
    counts : pandas.DataFrame
        :func:`peerlib.reporting.tables.site_interview_counts` (one row per site: ``Site``,
        ``Sector``, one text column per role holding "0", "<k" or a count, ``Total``).
    k : int
        Minimum group size.

    Returns
    -------
    pandas.DataFrame
        ``Site``, ``Sector``, ``Interviews`` (shown as is: the site's total), ``Roles
        with k or more`` (in the codebook's order, with the count where the rules show
        it) and ``Roles with fewer than k (or none)`` (the roles whose cell reads "<k");
        ``Roles with none`` only where some cell reads "0" (the mask shows a site's
        empty role cells as "<k": a "0" beside the sector's published count of the role
        could give another site's small count away,
        :func:`peerlib.disclosure.mask.batch_mask`). "–" where a list is empty. Counts
        between 1 and k-1 are never written.
    """
    k = check_min_group_size(k)
    roles = [c for c in counts.columns if c not in ("Site", "Sector", "Total")]
    many_column, few_column = f"Roles with {k} or more", f"Roles with fewer than {k} (or none)"
    rows = []
    for r in counts.to_dict("records"):
        present, few, absent = [], [], []
        for role in roles:
            value = str(r[role])
            if value == "0":
                absent.append(role)
            elif value.startswith("<"):
                few.append(role)
            elif value[:1].isdigit():
                present.append(f"{role} ({value})")
            else:  # "hidden": k or more, withheld
                present.append(role)
        rows.append({"Site": r["Site"], "Sector": r["Sector"], "Interviews": r["Total"],
                     many_column: ", ".join(present) or DASH,
                     few_column: ", ".join(few) or DASH,
                     "Roles with none": ", ".join(absent) or DASH})
    out = pd.DataFrame(rows)
    if len(out) and (out["Roles with none"] == DASH).all():
        out = out.drop(columns="Roles with none")
    # the same numbers as the masked counts it is made from, so the same metadata
    return with_cells(out, counts.attrs.get(DISCLOSURE_ATTR))


_GLOSSARY = {
    "k": ("k (smallest group shown)", "To protect the people who took part, no result is "
          "shown for a group of fewer than {k} people; such a cell reads \"n<{k}\". Where "
          "a figure could be worked out from others (by subtracting a shown group from a "
          "total), one more cell is hidden."),
    "n": ("n", "The number of people behind a figure: those asked the statement for \"Is "
          "this happening here?\" (no answer counts as Missing), those who answered for "
          "importance."),
    "yes_partly": ("Yes or Partly", "The share of everyone asked who answered Yes or Partly "
                   "to \"Is this happening here?\"; the bars right of zero."),
    "ci": ("95% confidence interval", "The range of mean importance that fits the answers "
           "given; with few people it is wide, so small differences between groups may be "
           "chance."),
    "ipa": ("Importance-Performance analysis", "Each statement placed by how important "
            "people rate it (mean, 1-4) and how often they say it is happening "
            "(performance: Yes plus half of Partly, as a % of Yes, Partly and No answers). "
            "The dashed lines are the averages over the statements (Martilla & James "
            "1977)."),
    "concentrate": ("Concentrate here", "Above-average importance, below-average "
                    "performance: the statements to discuss first."),
    "keep_up": ("Keep up the good work", "Above-average importance and performance."),
    "low_priority": ("Low priority", "Below-average importance and performance."),
    "overkill": ("Possible overkill", "Below-average importance, above-average "
                 "performance."),
    "p": ("p-value (exploratory)", "How often a difference at least this large would "
          "arise by chance if the groups did not differ. The sample is small and chosen on "
          "purpose, many statements are tested, so p-values here only point at differences "
          "worth discussing; they are not findings."),
    "holm": ("Holm-adjusted p", "The p-value raised to allow for testing many statements at "
             "once (Holm 1979)."),
    "kappa": ("Cohen's kappa", "Agreement between two coders beyond what chance would give: "
              "1 is perfect agreement, 0 no better than chance (Cohen 1960)."),
    "alpha": ("Krippendorff's alpha", "Like kappa, for two or more coders (Krippendorff "
              "2011)."),
    "units": ("Units", "What agreement is counted over: characters of transcript text "
              "(or coded segments)."),
    "synthetic": ("Synthetic demo data", "Invented answers used to show how the reports "
                  "work; not study results."),
}
#: The glossary entries of each report.
GLOSSARY_TERMS = {
    "site": ("k", "n", "yes_partly", "ci", "ipa", "concentrate", "keep_up", "low_priority",
             "overkill"),
    "cross_site": ("k", "n", "yes_partly", "ci", "ipa", "concentrate", "keep_up",
                   "low_priority", "overkill", "p", "holm", "kappa", "alpha", "units"),
    "data_quality": ("k", "n"),
}


def glossary(report: str, *, k: int, synthetic: bool = False) -> pd.DataFrame:
    """The short glossary at the end of a report.

    Parameters
    ----------
    report : {"site", "cross_site", "data_quality"}
        Which report (each gets the terms it uses, :data:`GLOSSARY_TERMS`).
    k : int
        Minimum group size, named in the entry for k.
    synthetic : bool
        Add an entry for synthetic demo data.

    Returns
    -------
    pandas.DataFrame
        ``Term`` and ``Meaning`` (plain language).

    Raises
    ------
    ValueError
        For an unknown report name.
    """
    k = check_min_group_size(k)
    if report not in GLOSSARY_TERMS:
        raise ValueError(f"glossary: report must be one of {', '.join(GLOSSARY_TERMS)}, "
                         f"got {report!r}")
    keys = list(GLOSSARY_TERMS[report]) + (["synthetic"] if synthetic else [])
    return with_cells(pd.DataFrame([{"Term": _GLOSSARY[key][0],
                                     "Meaning": _GLOSSARY[key][1].format(k=k)}
                                    for key in keys]), [])  # no figure about people

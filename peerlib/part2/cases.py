"""Cases are sites: the site x theme synthesis, site documents as documentary evidence, and
cross-case comparison by any attribute of the site register.

The study is a comparative case study whose cases are the ten sites; the framework matrix
(:mod:`.framework`) charts participants, and this module lifts the analysis to the cases:
for each site and theme, how many of the site's participants with a coded transcript spoke
to the theme (within the disclosure rules), the analysts' site summary (charting,
:mod:`.summaries`), and the excerpts of the site's documents (strategic plans, service
specifications, job descriptions) coded under the theme. Documents are documentary
evidence: they are never attributed to a person and never counted as participants.

Disclosure
----------
Every count here is a count of participants in a group: a site, or the sites sharing a
register attribute (e.g. all BME-focused sites). A group with 1 to ``k - 1`` participants
with coded transcripts shows no count ("n<k"); zero is shown. Because the same counts are
published for overlapping groups (each site, the sector and organisation-type totals of
:func:`~peerlib.part2.framework.theme_patterns`, every attribute's groups, everyone), a group
is also hidden when it is the only hidden group of a published partition (a total and its
parts), so that the total minus the shown parts cannot give it away (secondary suppression,
the rule of :func:`peerlib.disclosure.hidden_cells`, applied until nothing changes).

In a report, the batch's :class:`~peerlib.disclosure.DisclosureMask` decides instead
(``mask=``): a site or group is hidden exactly where the mask hides its Part 2 (``themes``)
group, the decision every other table of the batch (the matrix, theme patterns, quotes)
follows, and the tables gain ``union`` and ``rule`` columns for their disclosure metadata.

References
----------
Gale, N. K. et al. (2013). Using the framework method for the analysis of qualitative data
in multi-disciplinary health research. BMC Medical Research Methodology, 13, 117.
Yin, R. K. (2018). Case study research and applications (6th ed.), ch. 5 (cross-case
synthesis). Sage.
Hundepool, A. et al. (2012). Statistical Disclosure Control, ch. 4. Wiley.
"""
from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from ..disclosure import DEFAULT_MIN_GROUP_SIZE, DisclosureMask, check_min_group_size
from .framework import group_union, primary_coding, themes
from .segments import PATH_SEPARATOR, is_transcript

__all__ = ["SITE_ATTRIBUTE_EXCLUDE", "site_attributes", "documentary_evidence",
           "site_theme_synthesis", "cross_case", "protect_partitions"]

#: Site register columns that are never attributes to compare cases by.
SITE_ATTRIBUTE_EXCLUDE = ("site_id", "site_name", "aliases")


def site_attributes(sites: pd.DataFrame) -> list[str]:
    """The site-register attributes that cases are compared by, in the order the framework
    report shows them.

    Parameters
    ----------
    sites : pandas.DataFrame
        The site register (:func:`peerlib.part1.prepare.load_sites`).

    Returns
    -------
    list of str
        ``sector`` and ``organisation_type`` (those present), then ``bme_focus`` and every
        column a study added to ``sites.csv`` that is a site attribute, such as ``region``,
        ``employment_model`` or ``setting`` (:func:`peerlib.part1.prepare.
        site_attribute_columns`: not an identifier, a name or free text), in register
        order. The framework report compares cases by each (:func:`cross_case`) and the
        batch's disclosure mask protects each one's groups
        (:func:`peerlib.disclosure.mask.site_attributes`), so a new column needs no code
        change.
    """
    from ..part1.prepare import site_attribute_columns

    own = [c for c in ("sector", "organisation_type") if c in sites.columns]
    return own + site_attribute_columns(sites)


def _theme_of(paths: pd.Series) -> pd.Series:
    return paths.astype(str).str.split(PATH_SEPARATOR).str[0]


def documentary_evidence(segments: pd.DataFrame, *, site_id: str | None = None,
                         theme: str | None = None) -> pd.DataFrame:
    """The coded excerpts of site documents (not interview transcripts).

    Parameters
    ----------
    segments : pandas.DataFrame
        Coded segments (:func:`~peerlib.part2.segments.load_coded_segments`); site documents
        are the rows whose ``kind`` is not :data:`TRANSCRIPT_KIND` (``qda_documents.csv``
        maps them to a ``site_id`` with no ``participant_id``).
    site_id, theme : str, optional
        Keep one site, one theme.

    Returns
    -------
    pandas.DataFrame
        One row per excerpt (a double-coded document gives its first coder's coding), in
        site then document order: ``site_id``, ``document``, ``kind`` (e.g. "job
        description"), ``theme``, ``code`` (the path below the theme, or the theme),
        ``text`` (redacted at import) and ``reference`` ("document, start-end").
        Never a participant: documents are not attributed to anyone.
    """
    seg = primary_coding(segments)
    docs = seg[~is_transcript(seg)].copy()
    docs["theme"] = _theme_of(docs["code_path"])
    if site_id is not None:
        docs = docs[docs["site_id"].astype(str) == str(site_id)]
    if theme is not None:
        docs = docs[docs["theme"] == theme]
    code = [p[len(t) + len(PATH_SEPARATOR):] if p != t else t
            for p, t in zip(docs["code_path"].astype(str), docs["theme"])]
    ref = [str(d) if pd.isna(a) else f"{d}, {int(a)}-{int(b)}"
           for d, a, b in zip(docs["document"], docs["start"], docs["end"])]
    out = pd.DataFrame({"site_id": docs["site_id"].values, "document": docs["document"].values,
                        "kind": docs["kind"].values, "theme": docs["theme"].values,
                        "code": code, "text": docs["text"].values, "reference": ref})
    out = out.drop_duplicates(["document", "code", "text", "reference"])
    return out.astype("string").reset_index(drop=True)


def protect_partitions(table: pd.DataFrame, hide: pd.Series, *, n: str, group: str,
                       partitions: Sequence[Sequence[str]]) -> pd.Series:
    """Secondary suppression over several published partitions, until nothing changes.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per group (x whatever else ``partitions`` name, e.g. theme).
    hide : pandas.Series of bool
        The primary suppression (aligned with ``table``).
    n : str
        The group size column (groups with ``n`` = 0 are never hidden or used).
    group : str
        The column naming the groups.
    partitions : sequence of sequence of str
        Each a list of columns whose values identify one published total that the
        groups add up to (e.g. ``["theme", "sector"]``: within each theme, the sites of one
        sector add up to the sector's count, which is published).

    Returns
    -------
    pandas.Series of bool
        ``hide``, plus, in every partition cell with exactly one hidden group and a shown
        group with ``n`` > 0, the smallest such shown group (the rule of
        :func:`peerlib.disclosure.hidden_cells`), repeated over all partitions until stable.
    """
    hide = hide.copy().astype(bool)
    sizes = table[n].fillna(0).astype(float)
    changed = True
    while changed:
        changed = False
        for cols in partitions:
            keys = table[list(cols)].astype(str).agg("\x1f".join, axis=1)
            for idx in keys.groupby(keys, sort=False).groups.values():
                part = table.loc[idx]
                hidden = part.index[hide.loc[idx] & (sizes.loc[idx] > 0)]
                shown = part.index[~hide.loc[idx] & (sizes.loc[idx] > 0)]
                if len(set(table.loc[hidden, group])) == 1 and len(shown):
                    smallest = sizes.loc[shown].sort_values(kind="stable").index[0]
                    same = table.index[(table[group] == table.loc[smallest, group])
                                       & table.index.isin(idx)]
                    hide.loc[same] = True
                    changed = True
    return hide


def _spoke(segments: pd.DataFrame) -> pd.DataFrame:
    coded = primary_coding(segments)
    coded = coded[is_transcript(coded)].dropna(subset=["participant_id"]).copy()
    coded["theme"] = _theme_of(coded["code_path"])
    return coded.drop_duplicates(["participant_id", "theme"])[["participant_id", "theme"]]


def _coded_people(segments: pd.DataFrame, people: pd.DataFrame) -> pd.DataFrame:
    coded = segments[is_transcript(segments)].dropna(subset=["participant_id"])
    ids = set(coded["participant_id"].astype(str))
    return people[people["participant_id"].astype(str).isin(ids)]


def _apply_mask(out: pd.DataFrame, unions: list[str], mask: DisclosureMask) -> pd.Series:
    """Hide the rows whose group the mask hides (a group no report publishes: hidden);
    adds ``union`` and ``rule``; returns the hidden rows."""
    hidden, rules = [], []
    for union, n in zip(unions, out["n_participants"]):
        try:
            h, rule, _ = mask.decision("themes", union)
        except KeyError:
            h, rule = True, "primary"
        h = bool(h) and int(n) > 0
        hidden.append(h)
        rules.append(rule if h else "")
    out["union"] = unions
    out["rule"] = rules
    return pd.Series(hidden, index=out.index, dtype=bool)


def site_theme_synthesis(segments: pd.DataFrame, people: pd.DataFrame, sites: pd.DataFrame,
                         *, k: int = DEFAULT_MIN_GROUP_SIZE,
                         summaries: pd.DataFrame | None = None,
                         codebook: pd.DataFrame | None = None,
                         mask: DisclosureMask | None = None) -> pd.DataFrame:
    """The site x theme synthesis: per case (site) and theme, who spoke to it, the site
    summary, and the documentary evidence.

    Parameters
    ----------
    segments : pandas.DataFrame
        Coded segments (transcripts and site documents).
    people : pandas.DataFrame
        :func:`~peerlib.part2.framework.participants` of the Part 1 data.
    sites : pandas.DataFrame
        The site register (:func:`peerlib.part1.prepare.load_sites`): the cases, in order.
    k : int
        Minimum group size (module docstring).
    summaries : pandas.DataFrame, optional
        :func:`~peerlib.part2.summaries.load_summaries`; its site rows (``participant_id``
        NA) fill ``site_summary``.
    codebook : pandas.DataFrame, optional
        For the theme order (default: the one attached to ``segments``).
    mask : DisclosureMask, optional
        The batch's mask: a site's counts are hidden where it hides the site's Part 2
        group (module docstring).

    Returns
    -------
    pandas.DataFrame
        One row per site x theme, sites in register order: ``site_id``, ``theme``,
        ``n_participants`` (the site's participants with a coded transcript; the matrix
        shows them, so this is published as is), ``n_spoke`` (of them, those with an
        excerpt under the theme; NA when suppressed), ``suppressed`` (bool: ``n_spoke``
        hidden, the site has 1 to k-1 coded participants or its count could be worked out
        from the sector, organisation-type or overall totals), ``site_summary`` (""
        when none), ``n_document_excerpts`` (excerpts of the site's documents under the
        theme) and ``documents`` (their names and kinds, "; "-separated); with a
        ``mask``, also ``union`` (``site:<id>``) and ``rule`` ("", "primary",
        "secondary").

    Raises
    ------
    ValueError
        When ``k`` is not a whole number >= 1.
    """
    k = check_min_group_size(k)
    coded = _coded_people(segments, people)
    spoke = _spoke(segments).merge(coded[["participant_id", "site_id"]], on="participant_id")
    theme_list = themes(segments, codebook)
    evidence = documentary_evidence(segments)
    summary = {}
    if summaries is not None and len(summaries):
        site_rows = summaries[summaries["participant_id"].isna()]
        summary = {(str(s), str(t)): str(v) for s, t, v in
                   zip(site_rows["site_id"], site_rows["theme"], site_rows["summary"])}
    attrs = sites.drop(columns=[c for c in ("site_name", "aliases") if c in sites.columns])
    rows = []
    for site in sites["site_id"].astype(str):
        members = coded[coded["site_id"].astype(str) == site]
        for theme in theme_list:
            said = spoke[(spoke["site_id"].astype(str) == site) & (spoke["theme"] == theme)]
            ev = evidence[(evidence["site_id"] == site) & (evidence["theme"] == theme)]
            docs = list(dict.fromkeys(f"{d} ({kind})" for d, kind in
                                      zip(ev["document"], ev["kind"])))
            rows.append({"site_id": site, "theme": theme, "n_participants": len(members),
                         "n_spoke": len(said), "site_summary": summary.get((site, theme), ""),
                         "n_document_excerpts": len(ev), "documents": "; ".join(docs)})
    out = pd.DataFrame(rows, columns=["site_id", "theme", "n_participants", "n_spoke",
                                      "site_summary", "n_document_excerpts", "documents"])
    out = out.merge(attrs.astype({"site_id": str}), on="site_id", how="left")
    columns = ["site_id", "theme", "n_participants", "n_spoke", "suppressed", "site_summary",
               "n_document_excerpts", "documents"]
    if mask is not None:
        hide = _apply_mask(out, [group_union("site_id", s) for s in out["site_id"]], mask)
        columns += ["union", "rule"]
    else:
        sizes = out["n_participants"].astype(float)
        hide = (sizes > 0) & (sizes < k)
        out["_all"] = "all"
        parts = [["theme", "_all"]] + [["theme", c] for c in ("sector", "organisation_type")
                                       if c in out.columns]
        hide = protect_partitions(out, hide, n="n_participants", group="site_id",
                                  partitions=parts)
    out["n_spoke"] = out["n_spoke"].astype("Int64").mask(hide)
    out["suppressed"] = hide.to_numpy()
    return out[columns].reset_index(drop=True)


def cross_case(segments: pd.DataFrame, people: pd.DataFrame, sites: pd.DataFrame, *,
               by: str, k: int = DEFAULT_MIN_GROUP_SIZE,
               codebook: pd.DataFrame | None = None,
               mask: DisclosureMask | None = None) -> pd.DataFrame:
    """Cross-case comparison: themes by the groups of one site-register attribute.

    Parameters
    ----------
    segments, people, sites, k, codebook, mask
        As :func:`site_theme_synthesis` (with a ``mask``, a group is hidden where the mask
        hides it: the mask's catalogue has the groups of every attribute of
        :func:`site_attributes`, when it was made from the data with the register's
        attributes, :func:`peerlib.reporting.tables.mask_data`; a group no report of the
        batch publishes is hidden).
    by : str
        An attribute of the site register (:func:`site_attributes`): ``sector``,
        ``organisation_type``, ``bme_focus``, or a column the study added (``region``,
        ``setting``...): no code change is needed to compare by a new column.

    Returns
    -------
    pandas.DataFrame
        One row per group (attribute value, register order; blank values as "(blank)") x
        theme: ``by``, ``group``, ``theme``, ``n_sites`` (sites of the group with coded
        transcripts), ``n_participants`` (participants with coded
        transcripts in the group's sites), ``n_spoke`` (of them, those who spoke to the
        theme), ``percent`` (0-100 of ``n_participants``), ``suppressed`` (bool: the group
        has 1 to k-1 participants, or is the one group that the total minus the others
        would give away, or with a ``mask`` the group the mask hides: ``n_spoke`` and
        ``percent`` NA; with a ``mask`` also ``union`` and ``rule``). How many sites of a group had
        someone speak to a theme is not given: with a small site among them it would say
        something about its few participants.

    Raises
    ------
    KeyError
        When ``by`` is not an attribute of the site register (the message lists those
        that are).
    ValueError
        When ``k`` is not a whole number >= 1.
    """
    k = check_min_group_size(k)
    if by not in site_attributes(sites):
        raise KeyError(f"cross_case: {by!r} is not an attribute of the site register "
                       f"(available: {', '.join(site_attributes(sites))})")
    raw = {str(s): ("" if pd.isna(v) else str(v).strip())
           for s, v in zip(sites["site_id"], sites[by])}
    value = {s: v or "(blank)" for s, v in raw.items()}  # as readers see it
    union_of = {v or "(blank)": group_union(by, v) for v in raw.values()}  # as the mask
    coded = _coded_people(segments, people)
    site_of = dict(zip(coded["participant_id"].astype(str), coded["site_id"].astype(str)))
    spoke = _spoke(segments)
    spoke = spoke[spoke["participant_id"].astype(str).isin(site_of)]
    spoke = spoke.assign(site_id=spoke["participant_id"].astype(str).map(site_of))
    groups = list(dict.fromkeys(value.values()))
    rows = []
    for group in groups:
        group_sites = {s for s, v in value.items() if v == group}
        members = coded[coded["site_id"].astype(str).isin(group_sites)]
        for theme in themes(segments, codebook):
            said = spoke[(spoke["theme"] == theme) & spoke["site_id"].isin(group_sites)]
            n = len(members)
            rows.append({"by": by, "group": group, "theme": theme,
                         "n_sites": members["site_id"].nunique(), "n_participants": n,
                         "n_spoke": len(said),
                         "percent": 100.0 * len(said) / n if n else float("nan")})
    out = pd.DataFrame(rows, columns=["by", "group", "theme", "n_sites", "n_participants",
                                      "n_spoke", "percent"])
    if mask is not None:
        hide = _apply_mask(out, [union_of[g] for g in out["group"]], mask)
    else:
        sizes = out["n_participants"].astype(float)
        hide = protect_partitions(out, (sizes > 0) & (sizes < k), n="n_participants",
                                  group="group", partitions=[["theme"]])
    out["n_spoke"] = out["n_spoke"].astype("Int64").mask(hide)
    out["percent"] = out["percent"].mask(hide)
    out["suppressed"] = hide.to_numpy()
    return out

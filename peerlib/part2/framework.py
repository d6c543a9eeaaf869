"""The framework method on coded Part 2 segments: matrix, theme patterns and safe quotes.

The framework method (Ritchie & Spencer 1994; Gale et al. 2013) charts the data into a
matrix of cases (here participants, grouped by site) by themes (the framework's domains, the
top level of the code tree, and the codes beneath them); each cell holds what that person
said on that theme, with references back to the transcript. This module builds that matrix
from :func:`peerlib.part2.segments.load_coded_segments` and the prepared Part 1 data (which gives each
participant's site, sector, organisation type and role), writes it as an Excel workbook with
one sheet per theme, counts participants (not segments) per theme by group through the
disclosure rules, and picks quotes with a safe attribution.

References
----------
Gale, N. K., Heath, G., Cameron, E., Rashid, S., & Redwood, S. (2013). Using the framework
method for the analysis of qualitative data in multi-disciplinary health research. BMC
Medical Research Methodology, 13, 117.
Ritchie, J., & Spencer, L. (1994). Qualitative data analysis for applied policy research. In
A. Bryman & R. G. Burgess (Eds.), Analyzing qualitative data (pp. 173-194). Routledge.
"""
from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from ..disclosure import (DEFAULT_MIN_GROUP_SIZE, DisclosureMask, check_min_group_size,
                          suppress_small_groups, union_key)
from .segments import PATH_SEPARATOR, is_transcript

__all__ = [
    "CASE_COLUMNS",
    "A_PARTICIPANT",
    "participants",
    "primary_coding",
    "themes",
    "framework_matrix",
    "theme_sheets",
    "mask_roles",
    "site_shown",
    "group_union",
    "publish_matrix",
    "ROWS_NOT_SHOWN",
    "theme_patterns",
    "quotes",
    "QUOTE_HEADERS",
    "coding_summary",
    "codebook_paths",
    "EXCERPT_SEPARATOR",
]

#: Case (row) columns of the framework matrix, before the theme columns.
CASE_COLUMNS = ["site_id", "participant_id", "sector", "organisation_type", "role"]
#: Readers' headers of the columns of :func:`quotes`.
QUOTE_HEADERS = {"theme": "Theme", "code": "Code", "quote": "Quote",
                 "attribution": "Attribution"}
#: Attribution of a quote whose speaker's role at their site (and, cross-site, sector) has
#: fewer than k participants.
A_PARTICIPANT = "a participant"
#: Key of a published matrix's ``attrs``: how many participants' rows were left out.
ROWS_NOT_SHOWN = "rows_not_shown"
#: Between two excerpts in one cell of the framework matrix.
EXCERPT_SEPARATOR = "\n\n"


def participants(part1: pd.DataFrame) -> pd.DataFrame:
    """One row per participant of the prepared Part 1 data (its order: site register order).

    Parameters
    ----------
    part1 : pandas.DataFrame
        The long table of :func:`peerlib.prepare.load_prepared` (participant x item).

    Returns
    -------
    pandas.DataFrame
        ``participant_id`` (pseudonym), ``site_id``, ``sector``, ``organisation_type``,
        ``role`` (text), one row per participant.
    """
    people = part1.drop_duplicates("participant_id")[
        ["participant_id", "site_id", "sector", "organisation_type", "role"]]
    people = people.astype({c: "string" for c in people.columns})
    return people.reset_index(drop=True)


def primary_coding(segments: pd.DataFrame) -> pd.DataFrame:
    """Keep one coder's coding of each document: the first coder named in it.

    A document coded by two or more coders (for inter-coder agreement) would otherwise
    show the same passage twice in the matrix and count a theme that only the second
    coder saw. Segments without a coder are kept.

    Returns
    -------
    pandas.DataFrame
        The rows of ``segments`` to analyse (same columns).
    """
    first = segments.dropna(subset=["coder"]).drop_duplicates("document").set_index(
        "document")["coder"]
    lead = segments["document"].map(first)
    keep = lead.isna() | segments["coder"].isna() | (segments["coder"] == lead)
    return segments[keep.fillna(True).astype(bool)]


def themes(segments: pd.DataFrame, codebook: pd.DataFrame | None = None) -> list[str]:
    """The themes (top-level codes) in the order of ``codebook``
    (:func:`~peerlib.part2.segments.load_qda_codebook`), then any others in order of use."""
    book = codebook
    order = list(dict.fromkeys(book["theme"].astype(str))) if isinstance(
        book, pd.DataFrame) and len(book) else []
    used = list(dict.fromkeys(segments["code_path"].astype(str).str.split(
        PATH_SEPARATOR).str[0]))
    return order + [t for t in used if t not in order]


def _reference(rec) -> str:
    if pd.isna(rec.start):
        return f"{rec.document}"
    return f"{rec.document}, {int(rec.start)}-{int(rec.end)}"


def _cases(segments: pd.DataFrame, people: pd.DataFrame) -> pd.DataFrame:
    """Participants with coded segments, with their attributes: sites in register order,
    participants by pseudonym within a site. Not in the order of the Part 1 data, which
    follows the raw IDs: where IDs were given in interview order, someone at the site could
    match rows (and all of a person's quotes) to people by their place (helper-29's D6)."""
    coded = segments.dropna(subset=["participant_id"])
    ids = list(dict.fromkeys(coded["participant_id"].astype(str)))
    known = people[people["participant_id"].astype(str).isin(ids)]
    extra = [i for i in ids if i not in set(known["participant_id"].astype(str))]
    site_of = coded.drop_duplicates("participant_id").set_index("participant_id")["site_id"]
    rows = pd.DataFrame({"participant_id": extra,
                         "site_id": [site_of.get(i, pd.NA) for i in extra]})
    cases = pd.concat([known, rows], ignore_index=True)
    site_order = {s: n for n, s in enumerate(dict.fromkeys(people["site_id"].astype(str)))}
    cases["_site"] = cases["site_id"].astype(str).map(site_order).fillna(len(site_order))
    cases["_extra"] = cases["participant_id"].isin(extra)  # not in Part 1: last in site
    cases = cases.sort_values(["_site", "_extra", "participant_id"], kind="stable").drop(
        columns=["_site", "_extra"])
    return cases.reindex(columns=CASE_COLUMNS).astype("string").reset_index(drop=True)


def _chart(segments: pd.DataFrame, people: pd.DataFrame, key: pd.Series,
           columns: list[str], cases: pd.DataFrame | None = None) -> pd.DataFrame:
    cases = _cases(segments, people) if cases is None else cases
    coded = segments.dropna(subset=["participant_id"]).assign(_col=key)
    # A cell: the participant's distinct excerpts under the column, in order of first
    # appearance, each with its reference (one pass over the table, not one per cell).
    coded = coded.drop_duplicates(["participant_id", "_col", "document", "start", "end",
                                   "text"])
    coded = coded.assign(_excerpt=[f"\u201c{rec.text}\u201d [{_reference(rec)}]"
                                   for rec in coded.itertuples(index=False)])
    cells = {(pid, col): EXCERPT_SEPARATOR.join(excerpts) for (pid, col), excerpts in
             coded.groupby(["participant_id", "_col"], sort=False)["_excerpt"]}
    out = cases.copy()
    for col in columns:
        out[col] = pd.array([cells.get((pid, col), "") for pid in out["participant_id"]],
                            dtype="string")
    return out


def framework_matrix(segments: pd.DataFrame, people: pd.DataFrame, *,
                     codebook: pd.DataFrame | None = None) -> pd.DataFrame:
    """The framework matrix: participants (grouped by site) x themes, cells = excerpts.

    Parameters
    ----------
    segments : pandas.DataFrame
        Coded segments (:func:`peerlib.part2.segments.load_coded_segments`); rows whose
        ``participant_id`` is NA (unmapped documents) are left out (:func:`coding_summary`
        counts their documents).
    people : pandas.DataFrame
        :func:`participants` of the Part 1 data (site, sector, organisation type, role).
    codebook : pandas.DataFrame, optional
        The code tree (:func:`peerlib.part2.segments.load_qda_codebook` or
        :func:`peerlib.part2.refi.read_codebook`) for the theme order; default the order
        of use. A theme nobody spoke to is kept as an empty column.

    Returns
    -------
    pandas.DataFrame
        One row per participant with at least one coded segment, sites in register order and
        participants by pseudonym within a site (:func:`_cases`; participants not in the
        Part 1 data last, their attributes NA): :data:`CASE_COLUMNS`, then one text column
        per theme.
        A cell holds that participant's excerpts coded anywhere under the theme, each as
        ``“text” [document, start-end]`` (positions omitted for Taguette), separated by a
        blank line; "" when the participant did not speak to the theme. A double-coded
        document contributes its first coder's coding (:func:`primary_coding`).

    References
    ----------
    Gale et al. (2013), steps 6 (charting data into the framework matrix) and 7
    (interpreting it).
    """
    segments = primary_coding(segments)
    cols = themes(segments, codebook)
    key = segments["code_path"].astype(str).str.split(PATH_SEPARATOR).str[0]
    out = _chart(segments, people, key, cols)
    return out


def theme_sheets(segments: pd.DataFrame, people: pd.DataFrame, *,
                 codebook: pd.DataFrame | None = None) -> dict[str, pd.DataFrame]:
    """One chart per theme: participants x the theme's codes (the workbook's sheets).

    Returns
    -------
    dict of str to pandas.DataFrame
        Theme -> table with :data:`CASE_COLUMNS` and one column per code of the theme (its
        code path below the theme; excerpts coded on the theme itself go to a column named
        after the theme), cells as in :func:`framework_matrix`. Codes of the codebook that
        nobody used are kept as empty columns, and every participant with a coded
        transcript is a row of every sheet (empty cells where they did not speak to it).
    """
    segments = primary_coding(segments)
    book = codebook
    paths = segments["code_path"].astype(str)
    known = list(book["code_path"].astype(str)) if isinstance(book, pd.DataFrame) else []
    all_paths = known + [p for p in dict.fromkeys(paths) if p not in known]
    cases = _cases(segments, people)  # every sheet lists every participant
    sheets = {}
    for theme in themes(segments, codebook):
        under = [p for p in all_paths if p == theme or p.startswith(theme + PATH_SEPARATOR)]
        mask = paths.isin(under)
        labels = {p: (p[len(theme) + len(PATH_SEPARATOR):] if p != theme else theme)
                  for p in under}
        sub = segments[mask]
        sheets[theme] = _chart(sub, people, sub["code_path"].astype(str).map(labels),
                               list(dict.fromkeys(labels.values())), cases=cases)
    return sheets


def mask_roles(table: pd.DataFrame, people: pd.DataFrame, *,
               k: int = DEFAULT_MIN_GROUP_SIZE, mask: DisclosureMask | None = None
               ) -> pd.DataFrame:
    """Hide the role of each row whose role has fewer than ``k`` participants at its site.

    A matrix lists each participant with their site, so a role shown beside a site whose
    role group is small points at a person. Used for every published copy of the matrix
    (HTML and Excel); the unmasked matrix is for analysts working inside the project.

    With the batch's ``mask``, a role is shown where the mask shows that role at that site
    for Part 2 (``themes``): small role groups are hidden and, at a site where only one role
    would be hidden, another one too, so that the site's other labels cannot point at it.

    Returns
    -------
    pandas.DataFrame
        A copy; ``role`` is kept where at least ``k`` participants of the Part 1 data have
        that role at that site (or the mask shows it), else "not shown".
    """
    out = table.copy()
    if mask is not None:
        def shown(site, role):
            try:
                return not mask.hidden("themes", union_key("site_role", site, role))
            except KeyError:
                return False
        hidden = "not shown"
    else:
        k = check_min_group_size(k)
        counts = people.groupby(["site_id", "role"], observed=True).size()
        hidden = f"not shown (<{k} at site)"

        def shown(site, role):
            return counts.get((site, role), 0) >= k
    out["role"] = pd.array([
        role if not pd.isna(role) and shown(str(site), str(role)) else hidden
        for site, role in zip(out["site_id"], out["role"])], dtype="string")
    return out


def site_shown(site_id: object, mask: DisclosureMask) -> bool:
    """Whether the batch's ``mask`` shows the Part 2 group of a site.

    Parameters
    ----------
    site_id : object
        The site (NA allowed).
    mask : DisclosureMask
        The batch's mask.

    Returns
    -------
    bool
        True when the mask shows ``themes`` of ``site:<id>``: only then may a published
        table attribute a participant, an excerpt or a summary to that site. False for a
        site the mask does not know (not in the Part 1 data) or NA.
    """
    if site_id is None or pd.isna(site_id):
        return False
    try:
        return not mask.hidden("themes", union_key("site", str(site_id)))
    except KeyError:
        return False


def publish_matrix(table: pd.DataFrame, people: pd.DataFrame, *,
                   k: int = DEFAULT_MIN_GROUP_SIZE, mask: DisclosureMask | None = None
                   ) -> pd.DataFrame:
    """The published copy of a framework matrix or theme sheet (HTML and Excel alike).

    A row attributes a participant and their excerpts to a site, so the rows of a site
    whose Part 2 group is hidden are left out: with the batch's ``mask``, every site the
    mask hides (fewer than ``k`` participants with a coded transcript, or hidden so that
    such a site cannot be worked out from totals shown elsewhere: :func:`site_shown`);
    without it, the sites with 1 to ``k - 1`` rows. Participants not in the Part 1 data
    are left out too. Roles are then masked (:func:`mask_roles`).

    Parameters
    ----------
    table : pandas.DataFrame
        :func:`framework_matrix` or one sheet of :func:`theme_sheets` (unmasked).
    people : pandas.DataFrame
        :func:`participants` of the Part 1 data.
    k : int
        Minimum group size (used without a mask).
    mask : DisclosureMask, optional
        The batch's mask.

    Returns
    -------
    pandas.DataFrame
        The rows that may be published, same columns; ``attrs[ROWS_NOT_SHOWN]`` holds how
        many rows were left out (all hidden sites together: never a count per site).
    """
    if mask is None:
        k = check_min_group_size(k)
        counts = table["site_id"].astype("string").value_counts()
        keep = [not pd.isna(s) and int(counts.get(s, 0)) >= k for s in table["site_id"]]
    else:
        keep = [site_shown(s, mask) for s in table["site_id"]]
    known = set(people["participant_id"].astype(str))
    keep = pd.Series(keep, index=table.index, dtype=bool) & table["participant_id"].astype(
        str).isin(known)
    out = mask_roles(table[keep].reset_index(drop=True), people, k=k, mask=mask)
    out.attrs[ROWS_NOT_SHOWN] = int((~keep).sum())
    return out


def theme_patterns(segments: pd.DataFrame, people: pd.DataFrame, *,
                   by: Sequence[str] = ("sector", "organisation_type", "role"),
                   k: int = DEFAULT_MIN_GROUP_SIZE,
                   codebook: pd.DataFrame | None = None,
                   mask: DisclosureMask | None = None) -> pd.DataFrame:
    """How many participants (not segments) spoke to each theme, by group, with disclosure.

    Parameters
    ----------
    segments : pandas.DataFrame
        Coded segments; rows with NA ``participant_id`` are left out.
    people : pandas.DataFrame
        :func:`participants` of the Part 1 data.
    by : sequence of str
        Participant attributes to break down by (each on its own).
    k : int
        Minimum group size: a group with fewer than ``k`` participants with coded
        transcripts shows no count or percentage.
    codebook : pandas.DataFrame, optional
        For the theme order (and themes nobody spoke to, kept with 0).
    mask : DisclosureMask, optional
        The batch's mask: a group is hidden where the mask hides it (primary and
        secondary suppression across every report of the batch); without it, groups under
        ``k`` are hidden.

    Returns
    -------
    pandas.DataFrame
        One row per attribute x group x theme: ``by`` (attribute name), ``group`` (its
        value), ``theme``, ``n_participants`` (participants of the group with at least one
        coded segment: the denominator), ``n_spoke`` (of them, those with at least one
        segment coded under the theme, by the document's first coder), ``percent``
        (0-100 of ``n_participants``),
        ``suppressed`` (True when ``n_participants < k``, or with a ``mask`` when the mask
        hides the group: ``n_spoke`` and ``percent`` NA); with a ``mask`` also ``union``
        (the group's mask key, :func:`group_union`) and ``rule`` ("", "primary",
        "secondary").
        Groups follow the order of their categories in the Part 1 data (every role of the
        codebook, even one with nobody).

    Raises
    ------
    ValueError
        When ``k`` is not a whole number >= 1.
    KeyError
        When a ``by`` attribute is not a column of ``people``.
    """
    k = check_min_group_size(k)
    coded = primary_coding(segments).dropna(subset=["participant_id"]).copy()
    coded["theme"] = coded["code_path"].astype(str).str.split(PATH_SEPARATOR).str[0]
    ids = set(coded["participant_id"].astype(str))
    cases = people[people["participant_id"].astype(str).isin(ids)]
    spoke = coded.drop_duplicates(["participant_id", "theme"])[["participant_id", "theme"]]
    theme_list = themes(segments, codebook)
    rows = []
    for attr in by:
        if attr not in people.columns:
            raise KeyError(f"theme_patterns: people has no column {attr!r}")
        col = people[attr]
        levels = (list(col.cat.categories) if isinstance(col.dtype, pd.CategoricalDtype)
                  else list(dict.fromkeys(col.dropna().astype(str))))
        for level in levels:
            members = set(cases.loc[cases[attr].astype(str) == str(level),
                                    "participant_id"].astype(str))
            for theme in theme_list:
                said = spoke[(spoke["theme"] == theme)
                             & spoke["participant_id"].astype(str).isin(members)]
                n, s = len(members), len(said)
                rows.append({"by": attr, "group": str(level), "theme": theme,
                             "n_participants": n, "n_spoke": s,
                             "percent": 100.0 * s / n if n else float("nan")})
    out = pd.DataFrame(rows, columns=["by", "group", "theme", "n_participants", "n_spoke",
                                      "percent"])
    if mask is None:
        return suppress_small_groups(out, n="n_participants", k=k,
                                     values=["n_spoke", "percent"])
    hidden, rules, unions = [], [], []
    for attr, group, n in zip(out["by"], out["group"], out["n_participants"]):
        union = group_union(attr, group)
        try:
            h, rule, _ = mask.decision("themes", union)
        except KeyError:  # a breakdown no report of the batch publishes: hidden
            h, rule = True, "primary"
        hidden.append(bool(h) and int(n) > 0)
        rules.append(rule if h and int(n) > 0 else "")
        unions.append(union)
    hide = pd.Series(hidden, index=out.index, dtype=bool)
    out = out.astype({"n_spoke": "Int64"})
    out.loc[hide, ["n_spoke", "percent"]] = [pd.NA, float("nan")]
    out["suppressed"] = hide.to_numpy()
    out["union"] = unions
    out["rule"] = rules
    return out


def group_union(attribute: str, value: object) -> str:
    """The mask key of the participants whose ``attribute`` has ``value``.

    Parameters
    ----------
    attribute : str
        A participant or site-register column.
    value : object
        One of its values.

    Returns
    -------
    str
        :func:`peerlib.disclosure.union_key`: ``sector``, ``organisation_type``, ``role``
        and ``site_id`` have their own kinds; any other site attribute (``bme_focus``...)
        is ``attr:<column>|<value>``.
    """
    kinds = {"sector": "sector", "organisation_type": "orgtype", "role": "role",
             "site_id": "site"}
    if attribute in kinds:
        return union_key(kinds[attribute], value)
    return union_key("attr", attribute, value)


def quotes(segments: pd.DataFrame, people: pd.DataFrame, *, k: int = DEFAULT_MIN_GROUP_SIZE,
           site_id: str | None = None, theme: str | None = None,
           per_code: int | None = 2, codebook: pd.DataFrame | None = None,
           mask: DisclosureMask | None = None) -> pd.DataFrame:
    """Quotes for a report, each with an attribution that cannot single anyone out.

    Parameters
    ----------
    segments : pandas.DataFrame
        Coded (already redacted) segments.
    people : pandas.DataFrame
        :func:`participants` of the Part 1 data (the groups attributions are checked
        against).
    k : int
        Minimum group size.
    site_id : str, optional
        A site report: only this site's quotes, attributed by role alone where at least
        ``k`` participants of the site have that role, else "a participant". Default
        (None): cross-site, every site's quotes (see Notes for the attribution).
    theme : str, optional
        Only quotes coded under this theme.
    mask : DisclosureMask, optional
        The batch's mask: a quote names a role only where the framework matrix shows that
        role at the speaker's site (the mask's ``themes`` decision), which also protects
        role groups that other labels would give away.
    per_code : int or None
        At most this many quotes per code, taking turns between sectors (the first of each
        sector in document order, then the second...); None for all. Quotes come in
        codebook order; a double-coded document contributes its first
        coder's coding (:func:`primary_coding`).
    codebook : pandas.DataFrame, optional
        The code tree, whose order the quotes follow (:func:`codebook_paths`); default
        the order of use.

    Returns
    -------
    pandas.DataFrame
        ``theme``, ``code`` (path below the theme, or the theme), ``quote`` (the redacted
        text), ``attribution`` ("Peer worker, NHS" / "a participant, NHS" in a cross-site
        report; "Peer worker" in a site report; "a participant"). No document name,
        position or pseudonym is given. Segments of unmapped documents, and of
        participants not in the Part 1 data, are attributed to "a participant".
        :func:`quotes_display` gives the same table with readers' headers.

    Raises
    ------
    ValueError
        When ``k`` is not a whole number >= 1.

    Notes
    -----
    The same excerpt can be read elsewhere beside the speaker's site (the framework
    matrix lists each participant's excerpts with their site; a site report quotes its
    own site), so a quote's role is judged at the speaker's site, in both kinds of
    report: a quote names a role only where at least ``k`` participants of that
    participant's site (in the Part 1 data) share the role. A cross-site quote then
    reads "role, sector". Where the role group at the site is smaller, a cross-site
    quote names the sector alone ("a participant, NHS") where the sector has at least
    ``k`` participants, else "a participant"; a site-report quote reads "a participant".
    """
    k = check_min_group_size(k)
    order = {p: i for i, p in enumerate(codebook_paths(segments, codebook))}
    seg = primary_coding(segments)
    seg = seg[is_transcript(seg)].copy()  # site documents are never quoted as a person
    seg = seg.assign(_order=seg["code_path"].astype(str).map(order)).sort_values(
        "_order", kind="stable")
    if site_id is not None:
        seg = seg[seg["site_id"].astype(str) == str(site_id)]
    seg["theme"] = seg["code_path"].astype(str).str.split(PATH_SEPARATOR).str[0]
    if theme is not None:
        seg = seg[seg["theme"] == theme]
    info = people.set_index(people["participant_id"].astype(str))
    keyed = people.astype({"site_id": str, "role": str, "sector": str})
    at_site = keyed.groupby(["site_id", "role"]).size()  # role groups at each site
    in_sector = keyed.groupby("sector").size()

    def attribution(pid) -> str:
        if pd.isna(pid) or str(pid) not in info.index:
            return A_PARTICIPANT
        rec = info.loc[str(pid)]
        role, sector = str(rec["role"]), str(rec["sector"])
        if mask is not None:  # the framework matrix's label for this role at this site
            try:
                role_shown = not pd.isna(rec["role"]) and not mask.hidden(
                    "themes", union_key("site_role", str(rec["site_id"]), role))
            except KeyError:
                role_shown = False
        else:
            role_shown = (not pd.isna(rec["role"])
                          and at_site.get((str(rec["site_id"]), role), 0) >= k)
        if site_id is not None:
            return role if role_shown else A_PARTICIPANT
        if pd.isna(rec["sector"]):
            return A_PARTICIPANT
        if role_shown:
            return f"{role}, {sector}"
        return f"{A_PARTICIPANT}, {sector}" if in_sector.get(sector, 0) >= k \
            else A_PARTICIPANT

    seg["code"] = [p[len(t) + len(PATH_SEPARATOR):] if p != t else t
                   for p, t in zip(seg["code_path"].astype(str), seg["theme"])]
    # Take turns between sectors within a code (first NHS quote, first voluntary-sector
    # quote, second NHS quote...), so the few quotes shown are not all from one sector.
    sector = seg["participant_id"].astype(str).map(
        info["sector"].astype(str).to_dict() if len(info) else {}).fillna("")
    turn = seg.assign(_sector=sector).groupby(["theme", "code", "_sector"],
                                              sort=False).cumcount()
    seg = seg.assign(_turn=turn.values).sort_values(["_order", "_turn"], kind="stable")
    seg = seg.drop_duplicates(["theme", "code", "text"])
    if per_code is not None:
        seg = seg.groupby(["theme", "code"], sort=False).head(per_code)
    out = pd.DataFrame({"theme": seg["theme"].values, "code": seg["code"].values,
                        "quote": seg["text"].astype("string").values,
                        "attribution": [attribution(p) for p in seg["participant_id"]]})
    return out.astype("string").reset_index(drop=True)


def coding_summary(segments: pd.DataFrame) -> pd.DataFrame:
    """What was imported, as a two-column table for a report (counts of records, not
    results about people, so shown as they are).

    Returns
    -------
    pandas.DataFrame
        ``What``, ``Number``: transcripts, participants with coded transcripts,
        transcripts not mapped to a participant, site documents (documentary evidence, not
        participants), coded segments, coders named, themes and codes used, documents
        coded by two or more coders.
    """
    coders = segments.groupby("document")["coder"].nunique()
    paths = segments["code_path"].astype(str)
    talk = is_transcript(segments)
    rows = [("Transcripts (documents)", segments.loc[talk, "document"].nunique()),
            ("Participants with coded transcripts", segments["participant_id"].nunique()),
            ("Documents not mapped to a participant",
             segments.loc[talk & segments["participant_id"].isna(), "document"].nunique()),
            ("Site documents (documentary evidence)",
             segments.loc[~talk, "document"].nunique()),
            ("Coded segments", len(segments)),
            ("Coders named in the export", segments["coder"].nunique()),
            ("Themes used", paths.str.split(PATH_SEPARATOR).str[0].nunique()),
            ("Codes used", paths.nunique()),
            ("Documents coded by two or more coders", int((coders >= 2).sum()))]
    return pd.DataFrame({"What": [r[0] for r in rows],
                         "Number": [str(int(r[1])) for r in rows]})


def codebook_paths(segments: pd.DataFrame,
                   codebook: pd.DataFrame | None = None) -> list[str]:
    """Every code path of ``codebook`` (:func:`~peerlib.part2.segments.load_qda_codebook`;
    tree order), then any other code used in ``segments``; for reporting agreement on codes
    nobody used too."""
    book = codebook
    known = list(book["code_path"].astype(str)) if isinstance(book, pd.DataFrame) else []
    return known + [p for p in dict.fromkeys(segments["code_path"].astype(str))
                    if p not in known]



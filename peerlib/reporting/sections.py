"""Report sections for Part 2: quotes, the framework matrix, theme patterns and inter-coder
agreement as readers see them (escaped HTML, headers in words)."""
from __future__ import annotations

import html
import warnings
from pathlib import Path

import pandas as pd

from ..disclosure import DEFAULT_MIN_GROUP_SIZE, check_min_group_size
from ..part2.agreement import agreement, check_unit
from ..part2.framework import (CASE_COLUMNS, QUOTE_HEADERS, EXCERPT_SEPARATOR, ROWS_NOT_SHOWN,
                               codebook_paths, participants, quotes, site_shown)
from ..part2.linkage import EVERYONE_HIDDEN
from ..part2.segments import load_coded_segments, load_qda_codebook
from ..disclosure import union_key
from ..disclosure import DisclosurePolicy
from .metadata import pattern_cells
from .shown import shown_counts, shown_patterns
from .tables import DISPLAY_NAMES, _cell, disclosure_block, note, table, with_cells

__all__ = ["quotes_display", "coding_summary_display", "participants_roles", "case_headers",
           "matrix_html", "patterns_display", "site_quotes", "site_quotes_section",
           "agreement_display",
           "agreement_report", "agreement_section", "synthesis_display", "evidence_display",
           "cross_case_display", "cross_case_caption", "cross_case_section",
           "cooccurrence_display",
           "linkage_display",
           "summaries_display", "agreement_intervals_display", "disagreements_display"]


def quotes_display(shown: pd.DataFrame) -> pd.DataFrame:
    """:func:`quotes` with readers' headers (:data:`QUOTE_HEADERS`: ``Theme``, ``Code``,
    ``Quote``, ``Attribution``); same rows and values."""
    return with_cells(shown.rename(columns=QUOTE_HEADERS), [])  # no numbers


def case_headers() -> dict[str, str]:
    """Readers' headers of the :data:`CASE_COLUMNS` of a matrix or theme sheet: "Site",
    "Participant", "Sector", "Organisation type", "Participant's role" (not "Role": a
    theme or code may be called that)."""
    names = {**DISPLAY_NAMES, "role": "Participant's role"}
    return {c: names.get(c, c) for c in CASE_COLUMNS}


def matrix_html(matrix: pd.DataFrame, *, caption: str = "", k: int | None = None):
    """Show a published framework matrix (or theme sheet) as escaped HTML, excerpts on
    their own lines; returns an IPython ``HTML`` object (every value escaped, case columns
    headed in readers' words, :func:`case_headers`).

    Parameters
    ----------
    matrix : pandas.DataFrame
        :func:`~peerlib.part2.framework.publish_matrix` output: when its ``attrs`` say that
        rows were left out, a note below the caption says how many and why (one number for
        all hidden sites together, never per site).
    caption : str
        Shown above the table and named in its disclosure metadata.
    k : int, optional
        The policy's threshold, named in the note.

    Returns
    -------
    IPython.display.HTML
        The note, the table and its disclosure metadata (each site's rows and each role
        label published, as groups of the Part 2 family ``themes``).
    """
    from IPython.display import HTML

    e = html.escape
    names = case_headers()
    head = "".join(f"<th>{e(names.get(str(c), str(c)))}</th>" for c in matrix.columns)
    body = []
    for rec in matrix.itertuples(index=False):
        cells = []
        for value in rec:
            text = "–" if pd.isna(value) or value == "" else str(value)
            cells.append("<td>" + "<br><br>".join(e(p) for p in text.split(EXCERPT_SEPARATOR))
                         + "</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    cap = f"<p class='peerwork-caption'>{e(caption)}</p>" if caption else ""
    left_out = int(matrix.attrs.get(ROWS_NOT_SHOWN, 0) or 0)
    if left_out:
        few = f"fewer than {int(k)}" if k else "too few"
        cap += (f"<p class='peerwork-note'>{left_out} participant"
                f"{'s' if left_out != 1 else ''}' rows are not shown: at their sites {few} "
                "people have a coded transcript, or the site is hidden so that such a site "
                "cannot be worked out from the totals shown elsewhere in this report. Their "
                "excerpts still count in the theme patterns and may be quoted without a "
                "site.</p>")
    # what the matrix publishes about groups: each site's rows, and the roles it labels
    cells = []
    sites = matrix["site_id"].astype("string").fillna("")
    for site, count in sites.value_counts(sort=False).items():
        cells.append(_cell(union_key("site", site), "themes", n=count))
    roles = matrix.get("role", pd.Series(pd.NA, index=matrix.index)).astype("string")
    labelled = matrix.assign(_site=sites, _role=roles)[roles.isin(
        set(participants_roles()))]
    for (site, role), count in labelled.groupby(["_site", "_role"]).size().items():
        cells.append(_cell(union_key("site_role", site, role), "themes", n=count))
    cap = disclosure_block(cells, caption) + cap
    return HTML(f"{cap}<table class='peerwork-table peerwork-matrix'><thead><tr>{head}</tr>"
                f"</thead><tbody>{''.join(body)}</tbody></table>")


def participants_roles() -> list[str]:
    """The roles of the codebook (a matrix label that is one of them names a role)."""
    from ..codebook import load_codebook

    return list(load_codebook().role_labels)


def coding_summary_display(segments: pd.DataFrame) -> pd.DataFrame:
    """:func:`~peerlib.part2.framework.coding_summary` for a report, with its disclosure
    metadata (the number of participants with coded transcripts is the framework matrix's
    row count, published anyway)."""
    from ..part2.framework import coding_summary

    n = segments["participant_id"].dropna().nunique()
    return with_cells(coding_summary(segments), [_cell("all", "themes", n=n, public=True)])


def _hidden_text(rule: object, total: object, k: int) -> str:
    """The label of a hidden count: "hidden" (secondary) or "n<k"; without a rule (no
    mask), "n<k" for a group under ``k``, else "hidden"."""
    if isinstance(rule, str) and rule:
        return "hidden" if rule == "secondary" else f"n<{k}"
    return f"n<{k}" if int(total) < k else "hidden"


def _rule_of(r) -> str:
    rule = getattr(r, "rule", "")
    return rule if isinstance(rule, str) and rule else "primary"


def patterns_display(patterns: pd.DataFrame, *, k: int,
                     policy: DisclosurePolicy | None = None) -> pd.DataFrame:
    """:func:`theme_patterns` as text for a report: "3 of 7 (43%)", or "n<k" / "hidden".

    Returns
    -------
    pandas.DataFrame
        ``Breakdown``, ``Group``, one column per theme; a group with no participants with
        coded transcripts shows "–". Carries its disclosure metadata
        (:func:`peerlib.reporting.metadata.pattern_cells`). With a ``policy`` that rounds,
        counts and percentages are those of :func:`peerlib.reporting.shown.shown_patterns`.
    """
    k = check_min_group_size(k)
    labels = {"sector": "Sector", "organisation_type": "Organisation type", "role": "Role"}
    text = []
    for r, s in zip(patterns.itertuples(index=False), _shown_rows(patterns, policy)):
        if int(r.n_participants) == 0:
            value = "–"
        elif bool(r.suppressed):
            value = _hidden_text(getattr(r, "rule", ""), k - 1, k)
        else:
            value = _of_text(r, s)
        text.append(value)
    cells = pattern_cells(patterns)
    frame = patterns.assign(_text=text)
    wide = frame.pivot_table(index=["by", "group"], columns="theme", values="_text",
                             aggfunc="first", sort=False)
    wide = wide.reindex(columns=list(dict.fromkeys(patterns["theme"])))
    wide = wide.reset_index()
    wide.columns.name = None
    wide["by"] = wide["by"].map(lambda b: labels.get(b, b))
    return with_cells(wide.rename(columns={"by": "Breakdown", "group": "Group"}), cells)


#: The last site's quotes (:func:`site_quotes`): its inputs and the table.
_LAST_QUOTES: list = []


def site_quotes(data: pd.DataFrame, site_id: str, *, k: int = DEFAULT_MIN_GROUP_SIZE,
                data_dir: str | Path = "", per_code: int | None = 1, mask=None):
    """The quotes of a site report (:func:`peerlib.part2.framework.quotes` of this site's
    coded transcripts), or None when no coded transcripts were imported.

    A site report shows them and its feedback pack prints the first of them: the table
    is kept for the next call while the coded segments' files, the participants, the site,
    ``k``, ``per_code`` and the mask are the same, so the pack does not select them again.

    Parameters
    ----------
    data : pandas.DataFrame
        The prepared Part 1 long table (all sites).
    site_id : str
        The site.
    k : int
        Minimum group size.
    data_dir : str or Path
        The processed folder ("" = ``data/processed``) holding ``coded_segments.parquet``.
    per_code : int or None
        At most this many quotes per code.
    mask : DisclosureMask, optional
        The batch's mask.

    Returns
    -------
    pandas.DataFrame or None
        :func:`peerlib.part2.framework.quotes` (a copy), or None without coded segments.

    Raises
    ------
    peerlib.errors.ProcessedDataError
        When the coded segments or the code tree are damaged.
    """
    from .tables import _files_state, _shared

    files = _files_state(data_dir or None, ("coded_segments.parquet", "qda_codebook.parquet"))
    # one participants table per prepared table and process (0.04 s at 300,000 rows)
    people = _shared(data).total("participants", participants)
    key = (files, str(site_id), k, per_code)
    if _LAST_QUOTES:
        last_key, last_people, last_mask, last_table = _LAST_QUOTES
        if last_key == key and last_mask is mask and (last_people is people
                                                      or last_people.equals(people)):
            return None if last_table is None else last_table.copy()
    try:
        segments = load_coded_segments(data_dir or None)
    except FileNotFoundError:
        table = None
    else:
        table = quotes(segments, people, k=k, site_id=str(site_id), per_code=per_code,
                       codebook=load_qda_codebook(data_dir or None), mask=mask)
    _LAST_QUOTES[:] = [key, people, mask, table]
    return None if table is None else table.copy()


def site_quotes_section(data: pd.DataFrame, site_id: str, *, k: int = DEFAULT_MIN_GROUP_SIZE,
                        data_dir: str | Path = "", per_code: int | None = 1, mask=None):
    """The qualitative section of a site report: quotes from this site's coded transcripts.

    Parameters
    ----------
    data : pandas.DataFrame
        The prepared Part 1 long table (all sites: the attribution rule counts this site's
        participants by role).
    site_id : str
        The site.
    k : int
        Minimum group size: a quote names the speaker's role only where at least ``k``
        participants of this site have that role, else "a participant".
    data_dir : str or Path
        The processed folder ("" = ``data/processed``) holding ``coded_segments.parquet``.
    per_code : int or None
        At most this many quotes per code.
    mask : DisclosureMask, optional
        The batch's mask (a role is named only where the framework matrix shows it).

    Returns
    -------
    IPython.display.HTML
        An escaped table of quotes (theme, code, quote, attribution), or a note saying that
        no coded transcripts were imported or that none is from this site.
    """
    shown = site_quotes(data, site_id, k=k, data_dir=data_dir, per_code=per_code, mask=mask)
    if shown is None:
        return note("No coded Part 2 transcripts have been imported yet (peerlib "
                    "import-codes), so this report has no quotes.")
    if not len(shown):
        return note("No coded Part 2 transcript from this site has been imported.")
    return table(quotes_display(shown),
                 caption="Quotes from this site's interviews (redacted)")



def agreement_display(table: pd.DataFrame) -> pd.DataFrame:
    """The agreement table as text for a report (percentages 0 dp, kappa/alpha 2 dp,
    "–" where undefined)."""
    def f(v, fmt):
        return "–" if pd.isna(v) else format(v, fmt)

    return with_cells(pd.DataFrame({
        "Code": table["code_path"],
        "Documents": table["n_documents"].astype(str),
        "Coders": table["coders"],
        f"Units ({table['unit'].iloc[0] if len(table) else ''})": table["n_units"].astype(str),
        "Agreement (%)": [f(v, ".0f") for v in table["percent_agreement"]],
        "Cohen's kappa": [f(v, ".2f") for v in table["cohen_kappa"]],
        "Krippendorff's alpha": [f(v, ".2f") for v in table["krippendorff_alpha"]],
        "Note": table["note"],
    }), [])  # counts of documents and coders, not results about groups of people


def agreement_report(segments: pd.DataFrame, *, unit: str = "character",
                     codes: list[str] | None = None) -> pd.DataFrame:
    """:func:`agreement` shown for a report: :func:`agreement_display`, with the reason in
    the note when nothing could be computed (instead of a warning on the page).

    Returns
    -------
    pandas.DataFrame
        As :func:`agreement_display`. When the export records no positions or no coders
        (Taguette), or no transcript was coded twice, every statistic is "–" and the note
        says why.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        table = agreement(segments, unit=unit, codes=codes)
    if segments["start"].isna().all() or segments["coder"].isna().all():
        table["note"] = ("the export records no positions or no coders (e.g. Taguette): "
                         "agreement needs a REFI-QDA export in which each coder's coding "
                         "is kept")
    return agreement_display(table)


def agreement_section(data_dir: str | Path = "", *, unit: str = "character"):
    """The inter-coder agreement of the imported Part 2 coding, for a report (the cross-site
    report's "Inter-coder agreement (Part 2)" section).

    Parameters
    ----------
    data_dir : str or Path
        The processed folder ("" = ``data/processed`` of the project) holding
        ``coded_segments.parquet`` (and ``qda_codebook.parquet``, whose codes are all
        listed, used or not).
    unit : {"character", "segment"}
        The unit of analysis (module docstring), named in the table's header.

    Returns
    -------
    IPython.display.HTML
        An escaped table (:func:`agreement_report`: one row per code of the codebook, then
        :data:`OVERALL`; columns ``Code``, ``Documents``, ``Coders``, ``Units (unit)``,
        ``Agreement (%)``, ``Cohen's kappa``, ``Krippendorff's alpha``, ``Note``), or a
        note saying that no coded transcripts have been imported.

    Raises
    ------
    ParameterError
        When ``unit`` is not one of :data:`UNITS`.
    """
    unit = check_unit(unit)
    try:
        segments = load_coded_segments(data_dir or None)
    except FileNotFoundError:
        return note("No coded Part 2 transcripts have been imported yet (peerlib "
                    "import-codes), so there is no inter-coder agreement to report.")
    shown = agreement_report(segments, unit=unit, codes=codebook_paths(
        segments, load_qda_codebook(data_dir or None)))
    return table(shown, caption="Inter-coder agreement on the Part 2 transcripts coded by "
                                "two or more coders")



# ----------------------------------------------------------------------- cases, charting
def _count_text(n, total, suppressed: bool, k: int, rule: object = "", shown=None) -> str:
    if int(total) == 0:
        return "–"
    if suppressed or pd.isna(n):
        return _hidden_text(rule, total, k)
    if shown is not None:
        return f"{shown.n_spoke_text} of {shown.n_participants_text}"
    return f"{int(n)} of {int(total)}"


def _shown_rows(table: pd.DataFrame, policy: DisclosurePolicy | None) -> list:
    """The rows of :func:`peerlib.reporting.shown.shown_patterns` of ``table`` under a
    policy that changes counts; Nones otherwise (counts shown as they are)."""
    if policy is None or not policy.changes_counts or not len(table):
        return [None] * len(table)
    return list(shown_patterns(table, policy).itertuples(index=False))


def _of_text(r, shown) -> str:
    """"3 of 7 (43%)": exact, or the shown row's counts and percentage of them."""
    if shown is None:
        return f"{int(r.n_spoke)} of {int(r.n_participants)} ({float(r.percent):.0f}%)"
    return (f"{shown.n_spoke_text} of {shown.n_participants_text}"
            + ("" if pd.isna(shown.percent) else f" ({float(shown.percent):.0f}%)"))


def _group_cells(table: pd.DataFrame) -> list[dict]:
    """Metadata of a per-group Part 2 table: each row's group (its ``union`` column, else
    None) with its size, or its rule where hidden."""
    cells = []
    for r in table.itertuples(index=False):
        key = getattr(r, "union", None)
        hidden = bool(r.suppressed) and int(r.n_participants) > 0
        cells.append(_cell(key if isinstance(key, str) else None, "themes", "",
                           r.n_participants, rule=_rule_of(r) if hidden else ""))
    return cells


def synthesis_display(synthesis: pd.DataFrame, *, k: int,
                      policy: DisclosurePolicy | None = None) -> pd.DataFrame:
    """:func:`~peerlib.part2.cases.site_theme_synthesis` for a report: ``Site``,
    ``Theme``, ``Participants who spoke to it`` ("5 of 7"; "n<k" for a site with fewer
    than k coded participants; "hidden" where the count could be worked out from totals
    shown elsewhere), ``Site summary`` and ``Documentary evidence`` (documents, kinds,
    number of excerpts). Carries its disclosure metadata (each site's Part 2 group, with
    the ``union`` and ``rule`` of a masked synthesis). With a ``policy`` that rounds, the
    counts are those of :func:`peerlib.reporting.shown.shown_patterns`."""
    k = check_min_group_size(k)
    rules = synthesis["rule"] if "rule" in synthesis.columns else [""] * len(synthesis)
    frame = pd.DataFrame({
        "Site": synthesis["site_id"].astype(str),
        "Theme": synthesis["theme"].astype(str),
        "Participants who spoke to it": [
            _count_text(n, t, s, k, r, shown) for n, t, s, r, shown in zip(
                synthesis["n_spoke"], synthesis["n_participants"], synthesis["suppressed"],
                rules, _shown_rows(synthesis, policy))],
        "Site summary": synthesis["site_summary"].fillna("").astype(str),
        "Documentary evidence": [f"{d} ({int(n)} excerpt{'s' if int(n) != 1 else ''})"
                                 if int(n) else "" for d, n in
                                 zip(synthesis["documents"], synthesis["n_document_excerpts"])],
    })
    return with_cells(frame, _group_cells(synthesis))


def evidence_display(evidence: pd.DataFrame) -> pd.DataFrame:
    """:func:`~peerlib.part2.cases.documentary_evidence` with readers' headers: ``Site``,
    ``Document``, ``Kind``, ``Theme``, ``Code``, ``Excerpt``, ``Reference`` (no person is
    named: these are documents)."""
    shown = evidence.rename(columns={"site_id": "Site", "document": "Document",
                                     "kind": "Kind", "theme": "Theme", "code": "Code",
                                     "text": "Excerpt", "reference": "Reference"})
    return with_cells(shown, [])  # documents, not people: no figure about a group


def cross_case_display(table: pd.DataFrame, *, k: int,
                       policy: DisclosurePolicy | None = None) -> pd.DataFrame:
    """:func:`~peerlib.part2.cases.cross_case` as text: one row per group, ``Sites``
    (sites with coded transcripts), ``Participants`` (the label of a hidden group instead
    of its size), then per theme "3 of 7 (43%)", or "n<k" / "hidden". Carries its
    disclosure metadata. With a ``policy`` that rounds, counts and percentages are those
    of :func:`peerlib.reporting.shown.shown_patterns`."""
    k = check_min_group_size(k)
    text = []
    for r, s in zip(table.itertuples(index=False), _shown_rows(table, policy)):
        if int(r.n_participants) == 0:
            text.append("–")
        elif bool(r.suppressed):
            text.append(_hidden_text(getattr(r, "rule", ""), r.n_participants, k))
        else:
            text.append(_of_text(r, s))
    frame = table.assign(_text=text)
    wide = frame.pivot_table(index="group", columns="theme", values="_text", aggfunc="first",
                             sort=False).reindex(columns=list(dict.fromkeys(table["theme"])))
    sizes = table.drop_duplicates("group").set_index("group")

    def people(g):
        rec = sizes.loc[g]
        n = int(rec["n_participants"])
        if bool(rec["suppressed"]) and n > 0:
            return _hidden_text(rec.get("rule", ""), n, k)
        return policy.count_text(n) if policy is not None else str(n)

    wide.insert(0, "Participants", [people(g) for g in wide.index])
    wide.insert(0, "Sites", [str(int(sizes.loc[g, "n_sites"])) for g in wide.index])
    by = str(table["by"].iloc[0]) if len(table) else "Group"
    wide = wide.reset_index().rename(columns={"group": _attribute_label(by)})
    wide.columns.name = None
    return with_cells(wide, _group_cells(table.drop_duplicates("group")))


def _attribute_label(by: str) -> str:
    """A site attribute as a column header: "Organisation type", "BME focus", "Region"."""
    return {**DISPLAY_NAMES, "bme_focus": "BME focus"}.get(
        by, by.replace("_", " ").strip().capitalize())


def cross_case_caption(by: str) -> str:
    """The caption of the cross-case table of one site attribute
    (:func:`~peerlib.part2.cases.cross_case`).

    Parameters
    ----------
    by : str
        The attribute (:func:`~peerlib.part2.cases.site_attributes`).

    Returns
    -------
    str
        "Themes by <attribute> of the site", the attribute in readers' words: "Themes by
        sector of the site", "Themes by organisation type of the site", "Themes by BME
        focus of the site", "Themes by region of the site".
    """
    label = _attribute_label(by)
    first = label.split(" ", 1)[0]
    if not first.isupper():  # "BME focus" keeps its capitals
        label = label[:1].lower() + label[1:]
    return f"Themes by {label} of the site"


def cross_case_section(segments: pd.DataFrame, people: pd.DataFrame, sites: pd.DataFrame,
                       *, k: int, codebook: pd.DataFrame | None = None, mask=None,
                       policy: DisclosurePolicy | None = None):
    """The framework report's cross-case comparison: one table per site attribute of the
    register, so that a column a study adds to ``sites.csv`` is compared by with no code
    change (and no loop in the notebook).

    Parameters
    ----------
    segments, people, sites, k, codebook, mask
        As :func:`~peerlib.part2.cases.cross_case` (``mask``: the batch's
        :class:`~peerlib.disclosure.DisclosureMask`, which decides what is hidden).
    policy : DisclosurePolicy, optional
        As :func:`cross_case_display`.

    Returns
    -------
    IPython.display.HTML
        For each attribute of :func:`~peerlib.part2.cases.site_attributes` (sector,
        organisation type, BME focus, then the study's added columns such as region), the
        escaped table of :func:`cross_case_display` captioned by
        :func:`cross_case_caption`, each with its own disclosure metadata and download
        link (:func:`~peerlib.reporting.tables.table`).
    """
    from IPython.display import HTML

    from ..part2.cases import cross_case, site_attributes

    return HTML("".join(
        table(cross_case_display(cross_case(segments, people, sites, by=by, k=k,
                                            codebook=codebook, mask=mask),
                                 k=k, policy=policy), caption=cross_case_caption(by)).data
        for by in site_attributes(sites)))


def cooccurrence_display(table: pd.DataFrame, *, k: int,
                         policy: DisclosurePolicy | None = None) -> pd.DataFrame:
    """:func:`~peerlib.part2.cooccurrence.cooccurrence` as a square table of text: the
    number of participants coded with both, "<k" where fewer than k (or nothing shown at
    all when fewer than k participants have coded transcripts, or the batch's mask hides
    them). Its disclosure metadata names the group every count is part of (``all``).
    With a ``policy``, each shown count is written as the policy shows it
    (:func:`peerlib.reporting.shown.shown_counts`)."""
    k = check_min_group_size(k)
    shown = (shown_counts(table.drop(columns="suppressed"), policy, n="n_participants",
                          counts=["n_both"])["n_both_text"].tolist()
             if policy is not None and len(table) else [None] * len(table))
    text = ["0" if not s and int(n) == 0 else (f"<{k}" if s else t or str(int(n)))
            for n, s, t in zip(table["n_both"].fillna(0), table["suppressed"], shown)]
    wide = table.assign(_t=text).pivot_table(index="a", columns="b", values="_t",
                                             aggfunc="first", sort=False)
    order = list(dict.fromkeys(table["a"]))
    wide = wide.reindex(index=order, columns=order).reset_index().rename(columns={"a": ""})
    wide.columns.name = None
    n = int(table["n_participants"].iloc[0]) if len(table) else 0
    everything = bool(len(table)) and bool(table["suppressed"].all()) and n > 0
    return with_cells(wide, [_cell("all", "themes", "", n,
                                   rule="primary" if everything else "")])


def linkage_display(table: pd.DataFrame, *, item_labels: dict[str, str] | None = None,
                    policy: DisclosurePolicy | None = None) -> pd.DataFrame:
    """:func:`~peerlib.part2.linkage.part1_by_theme` as text: one row per theme x item x
    group with ``n``, the percentage of each "Is this happening here?" answer and the mean
    importance (n answers); "withheld" and the reason where the comparison is not shown.
    The groups (who spoke to a theme, who did not) are not unions of sites and roles, but
    together they are the participants with a coded transcript: each row's disclosure
    metadata names that group (``union`` ``all`` of the ``themes`` figures, as the
    co-occurrence matrix does), so the publish-time audit checks it like any Part 2 group;
    a withheld row is a hidden cell (naming the group only where the batch's mask hides
    it: otherwise the comparison's own groups were too small, and the group itself is shown
    elsewhere). The comparison's own rules protect the groups within it
    (:func:`~peerlib.part2.linkage.part1_by_theme`). With a ``policy`` that rounds, n's are
    shown under it and percentages are of the shown counts
    (:func:`peerlib.reporting.shown.shown_counts`), and the mean importance has
    ``policy.mean_digits`` decimals (one: two decimals fit only one exact n behind the
    rounded one)."""
    rows, cells = [], []
    keys = ["theme", "item_id", "group"]
    digits = policy.mean_digits if policy is not None else 2
    shown = (shown_counts(shown_counts(table, policy, n="n", counts=["count"],
                                       percents={"percent": "count"}),
                          policy, n="n_importance")
             if policy is not None and policy.changes_counts and len(table) else None)
    # the two groups of a theme together: everyone with a coded transcript
    coded = table.drop_duplicates(keys).groupby(["theme", "item_id"], sort=False,
                                                observed=True)["n"].sum()
    for (theme, item, group), sub in table.groupby(keys, sort=False, observed=True):
        first = sub.iloc[0]
        view = shown.loc[sub.index] if shown is not None else None
        row = {"Theme": theme, "Statement": (item_labels or {}).get(str(item), str(item)),
               "Group": group}
        union = str(first["union"]) if "union" in sub.columns else union_key("all")
        if bool(first["suppressed"]):
            row["n"] = "withheld"
            row.update({str(a): "" for a in sub["answer"]})
            row["Mean importance"] = f"withheld: {first['reason']}"
            rule = str(first["rule"]) if "rule" in sub.columns else "primary"
            mask_hides = first["reason"] == EVERYONE_HIDDEN  # else only this comparison
            cells.append(_cell(union if mask_hides else None, "themes", "",
                               rule=rule if rule in ("primary", "secondary") else "primary"))
        else:
            if view is None:
                row["n"] = str(int(first["n"]))
                row.update({str(a): f"{p:.0f}%" for a, p in zip(sub["answer"],
                                                                 sub["percent"])})
                n_imp = "" if pd.isna(first["mean_importance"]) else int(first["n_importance"])
            else:  # counts as the policy shows them, percentages of the shown counts
                row["n"] = view["n_text"].iloc[0]
                row.update({str(a): (t if pd.isna(p) else f"{p:.0f}%") for a, p, t in zip(
                    sub["answer"], view["percent"], view["count_text"])})
                n_imp = view["n_importance_text"].iloc[0]
            row["Mean importance"] = ("–" if pd.isna(first["mean_importance"]) else
                                      f"{first['mean_importance']:.{digits}f} (n={n_imp})")
            shown_cell = _cell(union, "themes", "", int(coded[(theme, item)]))
            shown_cell["split"] = [str(theme), str(item)]  # for the audit's rule 6
            cells.append(shown_cell)
        rows.append(row)
    return with_cells(pd.DataFrame(rows), cells)


def summaries_display(summaries: pd.DataFrame, segments: pd.DataFrame, *,
                      mask=None) -> pd.DataFrame:
    """The analysts' summaries (:func:`~peerlib.part2.summaries.load_summaries`) with the
    references of the excerpts that support each: ``Site``, ``Participant`` ("Site
    summary" for a site's row), ``Theme``, ``Summary``, ``Supporting excerpts``.

    With the batch's ``mask`` (a :class:`~peerlib.disclosure.DisclosureMask`), a
    participant's summary is shown only where the mask shows their site's Part 2 group
    (:func:`~peerlib.part2.framework.site_shown`, the rule of the published matrix), and
    the table carries disclosure metadata (each site whose participants are listed).
    """
    from ..part2.summaries import supporting_references

    if mask is not None:
        person = summaries["participant_id"].notna()
        keep = ~person | pd.Series([site_shown(s, mask) for s in summaries["site_id"]],
                                   index=summaries.index, dtype=bool)
        summaries = summaries[keep]
    frame = pd.DataFrame({
        "Site": summaries["site_id"].astype(str),
        "Participant": ["Site summary" if pd.isna(p) else str(p)
                        for p in summaries["participant_id"]],
        "Theme": summaries["theme"].astype(str),
        "Summary": summaries["summary"].astype(str),
        "Supporting excerpts": ["" if pd.isna(p) else supporting_references(segments, p, t)
                                for p, t in zip(summaries["participant_id"],
                                                summaries["theme"])],
    })
    if mask is None:
        return frame
    listed = summaries.loc[summaries["participant_id"].notna(), "site_id"].astype(str)
    cells = [_cell(union_key("site", s), "themes", "",
                   mask.decision("themes", union_key("site", s))[2])
             for s in dict.fromkeys(listed)]
    return with_cells(frame, cells)


def agreement_intervals_display(table: pd.DataFrame) -> pd.DataFrame:
    """:func:`~peerlib.part2.agreement.agreement_intervals` as text: each statistic with
    its 95% interval, "0.85 (0.74–0.92)"."""
    def f(v, lo, hi, fmt):
        if pd.isna(v):
            return "–"
        text = format(v, fmt)
        return text if pd.isna(lo) else f"{text} ({format(lo, fmt)}–{format(hi, fmt)})"

    scope = {"text": "all text", "coded": "coded stretches"}.get(
        str(table["scope"].iloc[0]) if len(table) else "", "")
    return with_cells(pd.DataFrame({
        "Code": table["code_path"], "Units": [f"{int(n)} ({scope})" for n in table["n_units"]],
        "Agreement (%)": [f(v, lo, hi, ".0f") for v, lo, hi in zip(
            table["percent_agreement"], table["percent_low"], table["percent_high"])],
        "Cohen's kappa": [f(v, lo, hi, ".2f") for v, lo, hi in zip(
            table["cohen_kappa"], table["kappa_low"], table["kappa_high"])],
        "Krippendorff's alpha": [f(v, lo, hi, ".2f") for v, lo, hi in zip(
            table["krippendorff_alpha"], table["alpha_low"], table["alpha_high"])],
        "Note": table["note"]}), [])  # units of text, not groups of people


def disagreements_display(table: pd.DataFrame) -> pd.DataFrame:
    """:func:`~peerlib.part2.agreement.disagreements` with readers' headers."""
    return with_cells(table.rename(columns={"document": "Document", "code_path": "Code",
                                            "start": "From", "end": "To",
                                            "excerpts": "Codings (redacted excerpts)"}),
                      [])  # stretches of text, not groups of people

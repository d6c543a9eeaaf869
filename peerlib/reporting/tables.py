"""What the report notebooks call: parameter checks, report tables and safe display.

Each ``*_table`` function combines :mod:`peerlib.scoring` with :mod:`peerlib.disclosure` and
returns a display-ready DataFrame (text cells, "n<k" where a group is too small, "–" where
there is nothing to show). Text from data or configuration is only ever shown through
DataFrame HTML (escaped) or :func:`heading` / :func:`note` (escaped), never pasted into
Markdown, so markup typed into a site name renders as inert text.
"""
from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ..part1 import scoring
from ..codebook import load_codebook
from ..disclosure import (
    DEFAULT_MIN_GROUP_SIZE,
    hidden_cells,
    check_min_group_size,
    mask_small_counts,
    small_group_label,
    suppress_small_groups,
)
from ..errors import ParameterError
from ..part1.prepare import load_meta, load_prepared, load_sites

__all__ = [
    "THIS_SITE",
    "OTHER_SITES",
    "check_site",
    "check_min_group_size_parameter",
    "load_report_data",
    "heading",
    "note",
    "table",
    "dataset_header",
    "is_synthetic",
    "load_meta_dataset",
    "site_size",
    "item_wording",
    "item_labels",
    "prepared_codebook",
    "site_comparison_data",
    "sample_table_display",
    "site_sample_table",
    "distribution_table",
    "importance_table",
    "ipa_table",
    "comparison_table",
    "missing_answers_table",
    "suppressed",
    "site_happening",
    "site_importance",
    "importance_with_overall",
    "site_interview_counts",
    "small_numbers_note",
    "figures_folder",
    "withdrawn_note",
    "DISPLAY_NAMES",
    "disclosure_note",
    "data_dictionary_table",
    "scale_display",
    "sections_table",
]

THIS_SITE = "This site"
#: Column headers shown to readers instead of our column names.
DISPLAY_NAMES = {"group": "Group", "sector": "Sector", "role": "Role", "site_id": "Site",
                 "item_id": "Item", "organisation_type": "Organisation type",
                 "participant_id": "Participant"}
OTHER_SITES = "All other sites"
ALL_SITES = "All sites"
DASH = "–"


# ---------------------------------------------------------------------- parameters
def check_site(site_id: object, data_dir: str | Path | None = None) -> dict:
    """Check a ``site_id`` notebook parameter against the prepared site register.

    Parameters
    ----------
    site_id : str or int
        A site code from ``data/raw/sites.csv``. A number is accepted for a numeric code
        (the papermill CLI turns ``-p site_id 007`` into 7): it matches the code whose
        digits equal it.
    data_dir : str or Path, optional
        The prepared data folder; default ``data/processed``.

    Returns
    -------
    dict
        The register's row for the site: ``site_id`` (str), ``site_name``,
        ``organisation_type``, ``sector``, ``bme_focus``.

    Raises
    ------
    ParameterError
        When no site has that code; the message lists the codes there are.
    """
    sites = load_sites(data_dir or None)
    codes = list(sites["site_id"].astype(str))
    wanted = str(site_id).strip()
    match = [c for c in codes if c == wanted]
    if not match and isinstance(site_id, (int, np.integer)) and not isinstance(site_id, bool):
        match = [c for c in codes if c.isdigit() and int(c) == int(site_id)]
    if not match:
        match = [c for c in codes if c.casefold() == wanted.casefold()]
    if len(match) != 1:
        raise ParameterError(f"Unknown site_id {site_id!r}: the site register has "
                             f"{', '.join(codes)}. Pass one of these, e.g. -p site_id "
                             f"{codes[0] if codes else 'S01'}.")
    row = sites[sites["site_id"].astype(str) == match[0]].iloc[0]
    return {k: (bool(v) if k == "bme_focus" else str(v)) for k, v in row.items()
            if k != "aliases"}


def check_min_group_size_parameter(k: object) -> int:
    """Check the ``min_group_size`` notebook parameter.

    Parameters
    ----------
    k : object
        As papermill passes it: an int (``-p min_group_size 5``), or a float with a whole
        value (``5.0``).

    Returns
    -------
    int
        ``k`` as an int, at least 1.

    Raises
    ------
    ParameterError
        When ``k`` is not a whole number >= 1: a bool (``-p min_group_size True`` would
        otherwise run with k = 1), an infinity or NaN, a fraction, text, None, 0 or less.

    Examples
    --------
    >>> check_min_group_size_parameter(5), check_min_group_size_parameter(7.0)
    (5, 7)
    """
    ok_type = isinstance(k, (int, float, np.integer, np.floating)) \
        and not isinstance(k, (bool, np.bool_))
    if not ok_type or (isinstance(k, (float, np.floating))
                       and not (np.isfinite(k) and float(k).is_integer())):
        raise ParameterError(f"min_group_size must be a whole number >= 1 (e.g. -p "
                             f"min_group_size 5), got {k!r} ({type(k).__name__})")
    try:
        return check_min_group_size(int(k))
    except ValueError as err:
        raise ParameterError(str(err)) from err


#: Prepared tables already read and validated in this process, by folder and file state.
_PREPARED: dict = {}


def load_report_data(data_dir: str | Path | None = None) -> pd.DataFrame:
    """The prepared long table for a report (``data_dir`` "" means ``data/processed``).

    Read and validated once per process while the prepared files are unchanged (a batch
    worker's kernel runs report after report): each call returns its own copy.

    Raises
    ------
    FileNotFoundError, ParameterError
        As :func:`peerlib.part1.prepare.load_prepared` (no or damaged prepared data).
    """
    from ..paths import project_paths

    folder = Path(data_dir) if data_dir else project_paths().processed
    state = []
    for name in ("part1_long.parquet", "codebook.yaml", "sites.csv", "part1_meta.json"):
        try:
            info = (folder / name).stat()
            state.append((name, info.st_mtime_ns, info.st_size))
        except OSError:
            state.append((name, None, None))
    key = (str(folder.resolve()), tuple(state))
    if key not in _PREPARED:
        _PREPARED.clear()
        _PREPARED[key] = load_prepared(data_dir or None)
    return _PREPARED[key].copy()


# ---------------------------------------------------------------------- display
def heading(text: object, level: int = 2):
    """An escaped HTML heading for text that comes from data (site names...)."""
    from IPython.display import HTML

    return HTML(f"<h{level}>{html.escape(str(text))}</h{level}>")


def note(text: object):
    """An escaped paragraph of text, styled as a note."""
    from IPython.display import HTML

    return HTML(f'<p class="peerwork-note">{html.escape(str(text))}</p>')


def table(frame: pd.DataFrame, caption: str = "", *, download: str | bool = True):
    """Show a display table as escaped HTML without the index (NA shown as "–").

    Parameters
    ----------
    frame : pandas.DataFrame
        The table as readers see it (already through the disclosure rules).
    caption : str
        Its caption, written as the table's ``<caption>`` (read out by screen readers).
    download : str or bool
        True (default): a link below the table saves the same cells as a CSV file named
        after the caption (:mod:`peerlib.reporting.downloads`); a str names the file;
        False: no link.

    Returns
    -------
    IPython.display.HTML
    """
    from IPython.display import HTML

    from .downloads import csv_link_html

    body = frame.to_html(index=False, escape=True, na_rep=DASH, border=0,
                         classes="peerwork-table")
    if caption:
        body = body.replace(">", f"><caption class='peerwork-caption'>"
                                 f"{html.escape(caption)}</caption>", 1)
    link = ""
    if download:
        name = download if isinstance(download, str) else (caption or "table")
        link = csv_link_html(frame.fillna(DASH), name, "Download this table (CSV)")
    return HTML(body + link)


def dataset_header(data_dir: str | Path | None = None):
    """The data set's name as escaped HTML.

    Synthetic data is announced once, by the banner at the top of every exported report
    (the report template), not here a second time.
    """
    from IPython.display import HTML

    info = load_meta(data_dir or None)["dataset"]
    return HTML(f"<p><strong>Data set:</strong> {html.escape(info['name'])}</p>")


def load_meta_dataset(data_dir: str | Path | None = None) -> dict:
    """The data set's description (``dataset.yaml`` as prepared): ``name``, ``synthetic``,
    ``description``."""
    return dict(load_meta(data_dir or None)["dataset"])


def site_size(data: pd.DataFrame, site_id: str) -> int:
    """Number of participants at a site in the prepared long table (0 when none)."""
    return int(data.loc[data["site_id"].astype(str) == str(site_id),
                        "participant_id"].nunique())


def is_synthetic(data_dir: str | Path | None = None) -> bool:
    """True when the prepared data set is the synthetic demo (``dataset.yaml``:
    ``synthetic: true``): figures and the PDF pack are then marked as such."""
    return bool(load_meta(data_dir or None)["dataset"].get("synthetic"))


def _codebook(data: pd.DataFrame | None = None, data_dir: str | Path | None = None):
    """The codebook the data was prepared with (see :func:`peerlib.load_prepared`)."""
    from ..part1.prepare import load_prepared_codebook

    if data is not None and data.attrs.get("codebook_path"):
        return load_codebook(data.attrs["codebook_path"])
    return load_prepared_codebook(data_dir or None)


def prepared_codebook(data_dir: str | Path | None = ""):
    """The codebook the data in ``data_dir`` was prepared with (a :class:`Codebook`)."""
    return _codebook(data_dir=data_dir)


def item_labels(data_dir: str | Path | None = "", *, with_id: bool = False) -> dict[str, str]:
    """Item id -> short label from the codebook the data in ``data_dir`` was prepared with
    (draft items marked "(draft)")."""
    cb = _codebook(data_dir=data_dir)
    return {r.item_id: (f"{r.item_id} " if with_id else "") + r.label
            + (" (draft)" if r.draft else "") for r in cb.items.itertuples()}


def item_wording(data_dir: str | Path | None = "") -> dict[str, str]:
    """Item id -> the statement's full wording, from the codebook the data in ``data_dir``
    was prepared with (hover text and the statements table of the reports)."""
    cb = _codebook(data_dir=data_dir)
    return dict(zip(cb.items["item_id"].astype(str), cb.items["wording"].astype(str)))


def _display_name(column: str) -> str:
    return DISPLAY_NAMES.get(column, column)


def disclosure_note(k: int) -> str:
    """Plain-language statement of the small-group rule with its threshold ``k``."""
    k = check_min_group_size(k)
    return (f"To protect the people who took part, no result is shown for any group of fewer "
            f"than {k} participants: such cells read \"{small_group_label(k)}\". Counts of "
            f"people by role at a site are shown as \"<{k}\" when they are between 1 and "
            f"{k - 1}.")


def data_dictionary_table(codebook) -> pd.DataFrame:
    """The items of the codebook for readers: one row per item in report order.

    Returns
    -------
    pandas.DataFrame
        ``Item``, ``Section``, ``Short label``, ``Wording``, ``Draft wording`` ("yes" or
        ""), ``Raw columns``.
    """
    dd = codebook.data_dictionary()
    return pd.DataFrame({
        "Item": dd["item_id"], "Section": dd["section"] + " " + dd["section_title"],
        "Short label": dd["label"], "Wording": dd["wording"],
        "Draft wording": dd["draft"].map({True: "yes", False: ""}),
        "Raw columns": dd["happening_column"] + ", " + dd["importance_column"],
    })


def scale_display(codebook) -> pd.DataFrame:
    """Both answer scales for readers: one row per answer option in scale order.

    Returns
    -------
    pandas.DataFrame
        ``Question``, ``Code`` ("–" where none), ``Label``, ``Also accepted`` (other
        spellings, "(blank)" for an empty cell) and ``Meaning``.
    """
    sc = codebook.scale_table()

    def spellings(text: str) -> str:
        parts = [p.strip().strip("'") for p in str(text).split(",")] if text else []
        return ", ".join("(blank)" if p == "" else p for p in parts)

    return pd.DataFrame({
        "Question": sc["question"],
        "Code": sc["code"].map(lambda c: DASH if pd.isna(c) else str(int(c))),
        "Label": sc["label"], "Also accepted": sc["aliases"].map(spellings),
        "Meaning": sc["meaning"],
    })


def sections_table(codebook) -> pd.DataFrame:
    """The schedule's sections for readers: ``Section``, ``Title``, ``Draft``, ``Note``."""
    sec = codebook.sections
    return pd.DataFrame({"Section": sec["section"], "Title": sec["title"],
                         "Draft": sec["draft"].map({True: "yes", False: ""}),
                         "Note": sec["note"]})


# ---------------------------------------------------------------------- data shaping
def site_comparison_data(data: pd.DataFrame, site_id: str) -> pd.DataFrame:
    """The long table with a ``group`` column: "This site" or "All other sites".

    Returns
    -------
    pandas.DataFrame
        Same rows as ``data``; ``group`` an ordered categorical (This site first).
    """
    out = data.copy()
    out["group"] = pd.Categorical(np.where(out["site_id"].astype(str) == str(site_id),
                                           THIS_SITE, OTHER_SITES),
                                  categories=[THIS_SITE, OTHER_SITES], ordered=True)
    return out


def sample_table_display(data: pd.DataFrame, *, column_order: Sequence[str] = ("Voluntary",
                                                                                "NHS")
                         ) -> pd.DataFrame:
    """The study's sample table (role x sector with totals), with the roles' plural labels.

    Shown as is: sector level and above is published composition (DESIGN.md).
    """
    cb = _codebook(data)
    out = scoring.sample_table(data, column_order=list(column_order))
    plural = dict(zip(cb.roles["role"], cb.roles["short"]))
    out["role"] = out["role"].map(lambda r: plural.get(r, r))
    return out.rename(columns={"role": "Role"})


def site_sample_table(data: pd.DataFrame, site_id: str, *, k: int = DEFAULT_MIN_GROUP_SIZE
                      ) -> pd.DataFrame:
    """Participants at one site by role, role counts below ``k`` shown as "<k".

    Returns
    -------
    pandas.DataFrame
        One row per role and a total row: ``Role``, ``This site`` (text: count, "0" or
        "<k", with secondary suppression) and ``All sites`` (the whole study's counts, as
        published in the cross-site report). "All other sites" is deliberately not shown:
        the study's count minus it would give the site's hidden role counts away.
    """
    k = check_min_group_size(k)
    cb = _codebook(data)
    comp = site_comparison_data(data, site_id)
    people = comp.drop_duplicates("participant_id")
    counts = pd.crosstab(people["role"], people["group"], dropna=False).reindex(
        index=cb.role_labels, columns=[THIS_SITE, OTHER_SITES], fill_value=0)
    out = pd.DataFrame({"Role": list(dict(zip(cb.roles["role"], cb.roles["short"])).values())})
    out[THIS_SITE] = mask_small_counts(counts[THIS_SITE].reset_index(drop=True), k=k).values
    everyone = counts[THIS_SITE] + counts[OTHER_SITES]
    out[ALL_SITES] = everyone.astype(int).astype(str).values
    total = pd.DataFrame({"Role": ["Total"], THIS_SITE: [str(int(counts[THIS_SITE].sum()))],
                          ALL_SITES: [str(int(everyone.sum()))]})
    return pd.concat([out, total], ignore_index=True)


def _fmt_pct(count: object, pct: object) -> str:
    if pd.isna(pct):
        return DASH
    return f"{int(count)} ({pct:.0f}%)"


def distribution_table(dist: pd.DataFrame, *, group: str | None, k: int,
                       labels: dict[str, str] | None = None,
                       response: str = "happening") -> pd.DataFrame:
    """Wide display of a happening distribution: "count (percent)" per answer option.

    Parameters
    ----------
    dist : pandas.DataFrame
        Output of :func:`peerlib.scoring.happening_distribution`.
    group : str or None
        Its grouping column.
    k : int
        Minimum group size: a group with ``n_asked < k`` shows "n<k" in every cell.
    labels : dict, optional
        Item id -> label.

    Returns
    -------
    pandas.DataFrame
        One row per item x group: ``Item``, the group, ``n asked`` and one text column per
        answer option in scale order ("3 (43%)"; percentages of everyone asked, Missing
        included; "–" when nobody was asked).
    """
    k = check_min_group_size(k)
    shown = suppress_small_groups(dist, n="n_asked", k=k, values=["count", "percent"])
    keys = ["item_id"] + ([group] if group else [])
    rows = []
    for key, sub in shown.groupby(keys, observed=True, sort=True):
        key = key if isinstance(key, tuple) else (key,)
        item = str(key[0])
        rec = {"Item": (labels or {}).get(item, item)}
        if group:
            rec[_display_name(group)] = str(key[1])
        n = int(sub["n_asked"].iloc[0])
        hidden = bool(sub["suppressed"].iloc[0]) and n > 0  # nobody asked: nothing to hide
        rec["n asked"] = small_group_label(k) if hidden else str(n)
        for r in sub.itertuples(index=False):
            level = str(getattr(r, response))
            rec[level] = small_group_label(k) if hidden else _fmt_pct(r.count, r.percent)
        rows.append(rec)
    return pd.DataFrame(rows)


def importance_table(summary: pd.DataFrame, *, group: str | None, k: int,
                     labels: dict[str, str] | None = None) -> pd.DataFrame:
    """Display of an importance summary: n, mean, SD, median and 95% CI per item x group.

    A group with fewer than ``k`` answers shows "n<k" and no statistics.

    Returns
    -------
    pandas.DataFrame
        Text columns ``Item``, the group, ``n``, ``Mean (1-4)``, ``SD``, ``Median``,
        ``95% CI``.
    """
    k = check_min_group_size(k)
    shown = suppress_small_groups(summary, n="n", k=k,
                                  values=["mean", "sd", "median", "ci_low", "ci_high"])
    rows = []
    for r in shown.itertuples(index=False):
        rec = {"Item": (labels or {}).get(str(r.item_id), str(r.item_id))}
        if group:
            rec[_display_name(group)] = str(getattr(r, group))
        hidden = bool(r.suppressed) and int(r.n) > 0  # no answers: nothing to hide
        rec["n"] = small_group_label(k) if hidden else str(int(r.n))

        def f(v, digits=2):
            return DASH if pd.isna(v) else f"{v:.{digits}f}"

        rec["Mean (1-4)"] = f(r.mean)
        rec["SD"] = f(r.sd)
        rec["Median"] = f(r.median, 1)
        rec["95% CI"] = (DASH if pd.isna(r.ci_low) else f"{r.ci_low:.2f} to {r.ci_high:.2f}")
        rows.append(rec)
    return pd.DataFrame(rows)


def ipa_table(ipa: pd.DataFrame, *, k: int, labels: dict[str, str] | None = None,
              group: str | None = None) -> pd.DataFrame:
    """Display of an Importance-Performance table; items whose performance or importance
    rests on fewer than ``k`` answers show "n<k" and no quadrant."""
    k = check_min_group_size(k)
    rows = []
    for r in ipa.itertuples(index=False):
        rec = {"Item": (labels or {}).get(str(r.item_id), str(r.item_id))}
        if group:
            rec[_display_name(group)] = str(getattr(r, group))
        small = min(int(r.n_performance), int(r.n_importance)) < k  # hidden by scoring too
        rec["n (performance)"] = str(int(r.n_performance))
        rec["Performance (0-100)"] = (small_group_label(k) if small else
                                      DASH if pd.isna(r.performance) else
                                      f"{r.performance:.0f}")
        rec["n (importance)"] = str(int(r.n_importance))
        rec["Importance (1-4)"] = (small_group_label(k) if small else
                                   DASH if pd.isna(r.importance) else f"{r.importance:.2f}")
        rec["Quadrant"] = DASH if small or pd.isna(r.quadrant) else str(r.quadrant)
        rows.append(rec)
    return pd.DataFrame(rows)


def comparison_table(comp: pd.DataFrame, *, k: int, labels: dict[str, str] | None = None
                     ) -> pd.DataFrame:
    """Display of :func:`peerlib.scoring.compare_two_groups` (exploratory p-values)."""
    k = check_min_group_size(k)
    rows = []
    for r in comp.itertuples(index=False):
        small = min(r.n_a, r.n_b) < k
        rows.append({
            "Item": (labels or {}).get(str(r.item_id), str(r.item_id)),
            "Measure": r.measure,
            str(r.group_a): small_group_label(k) if r.n_a < k else
            f"{r.x_a}/{r.n_a} ({r.percent_a:.0f}%)",
            str(r.group_b): small_group_label(k) if r.n_b < k else
            f"{r.x_b}/{r.n_b} ({r.percent_b:.0f}%)",
            "Fisher exact p (exploratory)": DASH if small or pd.isna(r.p_exact)
            else f"{r.p_exact:.3f}",
            "Holm-adjusted p": DASH if small or pd.isna(r.p_holm) else f"{r.p_holm:.3f}",
        })
    return pd.DataFrame(rows)


def missing_answers_table(data: pd.DataFrame, *, by: str = "site_id") -> pd.DataFrame:
    """Answers and missing answers per item and site (data-quality report).

    Returns
    -------
    pandas.DataFrame
        One row per site x item: ``Site`` (the ``by`` column, renamed for readers), ``Item``,
        ``Participants`` (asked), ``Happening: answered``, ``Happening: no answer``,
        ``Importance: answered``, ``Importance: no answer`` (counts of records, not
        results, so they are shown as they are).
    """
    frame = data.assign(_hm=data["happening"].astype(str) == "Missing",
                        _im=data["importance"].isna())
    g = frame.groupby([by, "item_id"], observed=True, sort=True)
    out = pd.DataFrame({
        "participants": g.size(),
        "happening missing": g["_hm"].sum().astype(int),
        "importance missing": g["_im"].sum().astype(int),
    }).reset_index()
    out["happening answered"] = out["participants"] - out["happening missing"]
    out["importance answered"] = out["participants"] - out["importance missing"]
    out = out[[by, "item_id", "participants", "happening answered", "happening missing",
               "importance answered", "importance missing"]]
    return out.rename(columns={by: _display_name(by), "item_id": "Item",
                               "participants": "Participants",
                               "happening answered": "Happening: answered",
                               "happening missing": "Happening: no answer",
                               "importance answered": "Importance: answered",
                               "importance missing": "Importance: no answer"})


def suppressed(table: pd.DataFrame, *, n: str, k: int, group: str | None = None,
               within: Sequence[str] = ("item_id",)) -> pd.DataFrame:
    """:func:`peerlib.disclosure.suppress_small_groups` for notebooks: small groups hidden
    and, when ``group`` names a partition of the sample (sectors, roles), secondary
    suppression per item so that a published total cannot give a hidden group away."""
    return suppress_small_groups(table, n=n, k=k, group=group,
                                 within=within if group else ())


_STATISTICS = {"n_asked": ["count", "percent"],
               "n": ["mean", "sd", "median", "ci_low", "ci_high"]}


def _site_view(data: pd.DataFrame, site_id: str, compute, *, n: str, k: int) -> pd.DataFrame:
    """``compute(frame, by=...)`` for "This site" against "All other sites", suppressed so
    that no report (nor the cross-site totals) gives a hidden site result away: the site
    is hidden for an item where it is small or is the complement chosen for another small
    site (the same rule in every site report), and "All other sites" goes with it."""
    k = check_min_group_size(k)
    values = _STATISTICS[n]
    per_site = compute(data, by="site_id")
    hide = hidden_cells(per_site, n=n, k=k, group="site_id", within=["item_id"])
    hidden_items = set(per_site.loc[hide & (per_site["site_id"].astype(str) == str(site_id)),
                                    "item_id"].astype(str))
    out = suppress_small_groups(compute(site_comparison_data(data, site_id), by="group"),
                                n=n, k=k, values=values, group="group", within=["item_id"])
    extra = out["item_id"].astype(str).isin(hidden_items)
    for col in values:
        out.loc[extra, col] = np.nan
    out["suppressed"] = out["suppressed"] | extra.to_numpy()
    return out


def site_happening(data: pd.DataFrame, site_id: str, *, k: int) -> pd.DataFrame:
    """"Is this happening here?" at one site and at all other sites, suppressed.

    Returns
    -------
    pandas.DataFrame
        :func:`peerlib.scoring.happening_distribution` by ``group`` ("This site", "All
        other sites") with ``count`` and ``percent`` NA and ``suppressed`` True where the
        results must not be shown (see :func:`peerlib.disclosure.hidden_cells`).
    """
    return _site_view(data, site_id, scoring.happening_distribution, n="n_asked", k=k)


def site_importance(data: pd.DataFrame, site_id: str, *, k: int) -> pd.DataFrame:
    """Importance at one site and at all other sites, suppressed like
    :func:`site_happening` (columns of :func:`peerlib.scoring.importance_summary` by
    ``group``; statistics NaN where hidden)."""
    return _site_view(data, site_id, scoring.importance_summary, n="n", k=k)


def importance_with_overall(data: pd.DataFrame, *, by: str = "sector", k: int,
                            overall_label: str = "All") -> pd.DataFrame:
    """Importance summaries for everyone and for each level of ``by``, in one table.

    Returns
    -------
    pandas.DataFrame
        :func:`peerlib.scoring.importance_summary` rows with a ``group`` column ("All",
        then the levels of ``by``), statistics of groups with ``n < k`` suppressed.
    """
    overall = scoring.importance_summary(data, by=None).assign(group=overall_label)
    parts = scoring.importance_summary(data, by=by)
    parts = parts.assign(group=parts[by].astype(str)).drop(columns=by)
    values = ["mean", "sd", "median", "ci_low", "ci_high"]
    parts = suppress_small_groups(parts, n="n", k=k, values=values, group="group",
                                  within=["item_id"])  # "All" is their published total
    overall = suppress_small_groups(overall, n="n", k=k, values=values)
    return pd.concat([overall, parts], ignore_index=True)


def site_interview_counts(data: pd.DataFrame, *, k: int = DEFAULT_MIN_GROUP_SIZE
                          ) -> pd.DataFrame:
    """Interviews per site and role (data-quality report), role counts below ``k`` as "<k".

    Returns
    -------
    pandas.DataFrame
        One row per site with data, in register order: ``Site``, ``Sector``, one text column
        per role (count, "0" or "<k", with secondary suppression within the site) and
        ``Total`` (interviews at the site, shown as is).
    """
    k = check_min_group_size(k)
    cb = _codebook(data)
    people = data.drop_duplicates("participant_id")
    counts = pd.crosstab(people["site_id"].astype(str), people["role"], dropna=False)
    counts = counts.reindex(columns=cb.role_labels, fill_value=0)
    order = list(dict.fromkeys(people["site_id"].astype(str)))
    sector = people.drop_duplicates("site_id").set_index(
        people.drop_duplicates("site_id")["site_id"].astype(str))["sector"].astype(str)
    rows = []
    plural = dict(zip(cb.roles["role"], cb.roles["short"]))
    for site in order:
        masked = mask_small_counts(counts.loc[site].reset_index(drop=True), k=k)
        rec = {"Site": site, "Sector": sector[site]}
        rec.update({plural[r]: v for r, v in zip(cb.role_labels, masked)})
        rec["Total"] = str(int(counts.loc[site].sum()))
        rows.append(rec)
    return pd.DataFrame(rows)


def small_numbers_note(data: pd.DataFrame, site_id: str, *, k: int) -> str:
    """Plain-language note on the numbers behind a site report.

    Returns
    -------
    str
        How many took part at the site, that results of groups under ``k`` are hidden,
        that the site is never broken down by role, and how wide intervals are at this size.
    """
    k = check_min_group_size(k)
    n = int(data.loc[data["site_id"].astype(str) == str(site_id), "participant_id"].nunique())
    text = (f"{n} people took part at this site. With so few, one person changes a "
            f"percentage by about {100 / max(n, 1):.0f} points, and confidence intervals are "
            f"wide: read differences from the other sites as prompts for discussion, not as "
            f"findings. Results are never broken down by role within a site, and any group of "
            f"fewer than {k} participants shows \"{small_group_label(k)}\" instead of results.")
    if n < k:
        text += (f" This site has fewer than {k} participants, so none of its results are "
                 "shown.")
    return text


def figures_folder(figures_dir: str | Path = "") -> Path:
    """Folder for static figures: ``figures_dir``, or ``reports/figures`` of the project."""
    from ..paths import project_paths

    folder = Path(figures_dir) if figures_dir else project_paths().reports / "figures"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def withdrawn_note(data_dir: str | Path | None = None) -> str:
    """How many participants were removed because they withdrew consent (never who)."""
    n = int(load_meta(data_dir or None).get("n_withdrawn", 0))
    if n == 0:
        return "No participant is on the withdrawal list."
    return (f"{n} participant{'s' if n != 1 else ''} withdrew consent; their answers were "
            "removed before analysis and appear in no report.")

"""What the report notebooks call: parameter checks, report tables and safe display.

Each ``*_table`` function combines :mod:`peerlib.scoring` with :mod:`peerlib.disclosure` and
returns a display-ready DataFrame (text cells, "n<k" where a group is too small, "–" where
there is nothing to show). Text from data or configuration is only ever shown through
DataFrame HTML (escaped) or :func:`heading` / :func:`note` (escaped), never pasted into
Markdown, so markup typed into a site name renders as inert text.
"""
from __future__ import annotations

import html
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ..part1 import scoring
from ..codebook import load_codebook
from ..disclosure import (
    DisclosureMask,
    DisclosurePolicy,
    batch_mask,
    check_min_group_size,
    get_policy,
    read_mask,
    small_group_label,
    suppress_small_groups,
    union_key,
)
from ..errors import ParameterError
from .metadata import (DISCLOSURE_ATTR, disclosure_block, hidden_rows, ipa_cells,
                       with_cells)
from .metadata import cell as _cell
from ..part1.prepare import load_meta, load_prepared, load_sites, with_site_attributes

__all__ = [
    "THIS_SITE",
    "OTHER_SITES",
    "check_site",
    "check_min_group_size_parameter",
    "load_report_data",
    "heading",
    "note",
    "table",
    "disclosure_block",
    "with_cells",
    "DISCLOSURE_ATTR",
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
    "sector_comparison_section",
    "missing_answers_table",
    "most_missing_first",
    "suppressed",
    "site_happening",
    "site_importance",
    "importance_with_overall",
    "group_happening",
    "ipa_view",
    "site_ipa",
    "check_disclosure",
    "report_mask",
    "batch_mask_table",
    "keep_no_leak_questions",
    "published_importance",
    "mask_data",
    "short_sites",
    "coded_participants",
    "site_interview_counts",
    "small_numbers_note",
    "figures_folder",
    "withdrawn_note",
    "DISPLAY_NAMES",
    "disclosure_note",
    "data_dictionary_table",
    "scale_display",
    "sections_table",
    "HEATMAP_STATUS",
    "site_item_heatmap",
    "heatmap_cells",
    "heatmap_table",
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
    sites = _load_sites(data_dir)
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


def check_disclosure(disclosure: object = "default", min_group_size: object = 0
                     ) -> DisclosurePolicy:
    """Check the ``disclosure`` and ``min_group_size`` notebook parameters.

    Parameters
    ----------
    disclosure : str
        A policy name (:data:`peerlib.disclosure.POLICIES`: ``default``, ``nhs``).
    min_group_size : int
        Overrides the policy's ``k``; 0 or None keeps it.

    Returns
    -------
    DisclosurePolicy

    Raises
    ------
    ParameterError
        For an unknown policy or a ``min_group_size`` that is not a whole number >= 0.
    """
    k = None if (min_group_size is None or (not isinstance(min_group_size, bool)
                                            and min_group_size in (0, "", "0"))) \
        else check_min_group_size_parameter(min_group_size)
    try:
        return get_policy(disclosure, k=k)
    except ValueError as err:
        raise ParameterError(str(err)) from err


def coded_participants(data_dir: str | Path | None):
    """Pseudonyms with a coded Part 2 transcript, or None when none were imported."""
    from ..part2.segments import load_coded_segments

    try:
        segments = load_coded_segments(data_dir or None)
    except FileNotFoundError:
        return None
    return list(dict.fromkeys(segments["participant_id"].dropna().astype(str)))


def report_mask(data: pd.DataFrame, policy: DisclosurePolicy | None = None, *,
                mask_path: str | Path = "", data_dir: str | Path | None = "") -> DisclosureMask:
    """The disclosure mask a report reads: the batch's (``mask_path``, written once per
    batch by ``peerlib reports``) or, for a notebook run on its own, the same mask
    computed from the prepared data (every site, every report of a batch).

    Parameters
    ----------
    data : pandas.DataFrame
        The prepared long table.
    policy : DisclosurePolicy, optional
        The report's policy (default: the ``default`` preset).
    mask_path : str or Path
        The batch's mask file; "" computes it.
    data_dir : str or Path
        The processed folder ("" = ``data/processed``), for the Part 2 participants.

    Returns
    -------
    DisclosureMask

    Raises
    ------
    ParameterError
        When the mask file was made with another policy than the report's.
    """
    policy = policy or get_policy()
    if mask_path:
        mask = _read_mask_once(mask_path)
        if (mask.policy.name, mask.k) != (policy.name, policy.k):
            raise ParameterError(f"The disclosure mask {Path(mask_path).name} was made with "
                                 f"policy {mask.policy.name} (k = {mask.k}), not "
                                 f"{policy.name} (k = {policy.k})")
        return mask
    coded = coded_participants(data_dir)
    if coded is not None:  # the Part 2 cross-case tables compare by every site attribute
        data = mask_data(data, data_dir)
    return DisclosureMask(batch_mask(data, policy, coded=coded), policy)


_READ_MASKS: dict = {}


def _read_mask_once(mask_path: str | Path) -> DisclosureMask:
    """:func:`peerlib.disclosure.read_mask`, read once per process while the file is
    unchanged (a batch worker's kernel runs report after report on the batch's one mask;
    reading it is proportional to the number of sites)."""
    path = Path(mask_path)
    info = path.stat()
    key = (str(path.resolve()), info.st_mtime_ns, info.st_size)
    if key not in _READ_MASKS:
        _READ_MASKS.clear()
        _READ_MASKS[key] = read_mask(path)
    return _READ_MASKS[key]


def mask_data(data: pd.DataFrame, data_dir: str | Path | None = "") -> pd.DataFrame:
    """The prepared long table as the batch's disclosure mask and audit read it: with the
    site attributes of the prepared register (``region``, ``setting``... a study added to
    ``sites.csv``) as columns (:func:`peerlib.part1.prepare.with_site_attributes`), so
    that the Part 2 cross-case groups of every attribute are protected and audited.

    Parameters
    ----------
    data : pandas.DataFrame
        The prepared long table.
    data_dir : str or Path
        The processed folder ("" = ``data/processed``) holding the prepared register.

    Returns
    -------
    pandas.DataFrame
        ``data`` with the attribute columns (``data`` itself when there is no prepared
        register, e.g. a hand-made table).

    Raises
    ------
    ProcessedDataError
        When the prepared register is damaged (as :func:`peerlib.part1.prepare.load_sites`).
    """
    try:
        sites = load_sites(data_dir or None)
    except FileNotFoundError:
        return data
    return with_site_attributes(data, sites)


def batch_mask_table(data_dir: str | Path, policy: DisclosurePolicy,
                     site_ids: Sequence[str], *, framework: bool = True,
                     data: pd.DataFrame | None = None) -> pd.DataFrame:
    """The mask table of a whole batch, computed once (``peerlib reports`` writes it for
    every notebook to read): every site of ``site_ids`` has a site report, and the Part 2
    framework report is included when ``framework`` and coded transcripts exist.

    ``data`` is the prepared long table when the caller has already read it (default: read
    from ``data_dir``); the register's site attributes are added to it (:func:`mask_data`).

    Returns
    -------
    pandas.DataFrame
        :func:`peerlib.disclosure.batch_mask` output.
    """
    data = load_prepared(data_dir or None) if data is None else data
    coded = coded_participants(data_dir) if framework else None
    site_ids = [str(s) for s in site_ids]
    data = mask_data(data, data_dir)  # the register's site attributes beside the answers
    cache = _MaskCache(data_dir, data, policy, site_ids, coded)
    _LAST_MASK_CACHE[:] = [cache]
    table = cache.get()
    if table is None:
        table = batch_mask(data, policy, site_ids=site_ids, coded=coded)
        cache.put(table)
    return table


#: The cache of the last :func:`batch_mask_table` of this process.
_LAST_MASK_CACHE: list = []


def keep_no_leak_questions() -> None:
    """Write, beside the last cached batch mask of this process, the bounds questions
    answered with no leak so far (the mask's and the audit's): the next run's audit of the
    same data need not solve them.

    Writes ``disclosure_mask-<key>.no_leak.json`` (a JSON list of SHA-256 hex digests,
    :func:`peerlib.disclosure.intervals.no_leak_questions`) atomically. Nothing happens
    when no mask was cached; a list that cannot be written is skipped (it costs the next
    audit time, never a result), so nothing is raised.
    """
    if _LAST_MASK_CACHE:
        _LAST_MASK_CACHE[0].put_questions()


class _MaskCache:
    """The last batch mask of a prepared-data folder, kept in ``<data_dir>/cache/`` (never
    published) under a key made of everything the mask is computed from: the prepared table
    itself, the policy, the sites with a report, the participants with coded transcripts,
    the importance scale and the disclosure code. An unchanged rerun reads it instead of
    solving again (the interval step takes seconds); any change gives another key, and the
    old file is replaced. A damaged or unreadable cache file is ignored."""

    def __init__(self, data_dir, data: pd.DataFrame, policy: DisclosurePolicy,
                 site_ids: list[str], coded):
        import hashlib

        from .. import disclosure

        self.folder = Path(data_dir) / "cache" if data_dir else None
        digest = hashlib.sha256()
        digest.update(pd.util.hash_pandas_object(data, index=False).values.tobytes())
        coded_ids = None if coded is None else sorted(str(c) for c in coded)
        digest.update(repr((policy, site_ids, coded_ids,
                            disclosure.importance_scale(data))).encode("utf-8"))
        for path in sorted(Path(disclosure.__file__).parent.glob("*.py")):
            digest.update(path.read_bytes())
        self.key = digest.hexdigest()[:32]

    @property
    def path(self) -> Path | None:
        return None if self.folder is None else self.folder / f"disclosure_mask-{self.key}.parquet"

    @property
    def questions_path(self) -> Path | None:
        """The bounds questions the mask's solving answered with no leak (digests, JSON):
        the batch's audit asks them again of the same data, and need not solve them."""
        return None if self.path is None else self.path.with_suffix(".no_leak.json")

    def get(self) -> pd.DataFrame | None:
        if self.path is None or not self.path.is_file():
            return None
        try:
            table = pd.read_parquet(self.path)
        except Exception:  # noqa: BLE001 - a damaged cache is recomputed, never trusted
            return None
        from ..disclosure.intervals import remember_no_leak

        try:
            questions = json.loads(self.questions_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            questions = []  # solved again by the audit: costs time, never a result
        if isinstance(questions, list):
            remember_no_leak(q for q in questions if isinstance(q, str))
        return table

    def put(self, table: pd.DataFrame) -> None:
        if self.path is None or not Path(self.folder).parent.is_dir():
            return
        from ..disclosure import write_mask

        try:
            self.folder.mkdir(exist_ok=True)
            for old in self.folder.glob("disclosure_mask-*"):
                if old not in (self.path, self.questions_path):
                    old.unlink(missing_ok=True)
            write_mask(table, self.path)
        except OSError:
            return  # a cache that cannot be written costs time, never a result
        self.put_questions()

    def put_questions(self) -> None:
        """Write :attr:`questions_path` (beside a mask already cached)."""
        from .._files import atomic_write_text
        from ..disclosure.intervals import no_leak_questions

        if self.path is None or not self.path.is_file():
            return
        try:
            atomic_write_text(self.questions_path, json.dumps(no_leak_questions()))
        except OSError:
            pass


def short_sites(mask: pd.DataFrame, policy: DisclosurePolicy) -> list[str]:
    """Sites of a batch's mask with fewer than ``k`` participants (none included): their
    report is the short one that says so (``notebooks/11_site_short.ipynb``).

    Returns
    -------
    list of str
        Site ids, in the mask's order.
    """
    sites = mask[(mask["statistic"] == "participants") & (mask["table"] == "sample")
                 & (mask["group"] == "Total") & mask["report"].str.startswith("site:")]
    return [r.split(":", 1)[1] for r, n in zip(sites["report"], sites["n"])
            if int(n) < policy.k]


_MASKS: dict[int, tuple] = {}


def _mask_for(data: pd.DataFrame, mask: DisclosureMask | None, k: object | None
              ) -> DisclosureMask:
    """``mask``, or the batch mask of ``data`` under the default policy with ``k`` (cached
    while ``data`` lives: the views of one notebook share it)."""
    if mask is not None:
        return mask
    import weakref

    policy = get_policy(k=k)
    entry = _MASKS.get(id(data))
    if entry is None or entry[0]() is not data:
        entry = (weakref.ref(data, lambda _, key=id(data): _MASKS.pop(key, None)), {})
        _MASKS[id(data)] = entry
    if policy not in entry[1]:
        entry[1][policy] = DisclosureMask(batch_mask(data, policy), policy)
    return entry[1][policy]


def _policy_for(policy: DisclosurePolicy | None, k: object | None,
                mask: DisclosureMask | None = None) -> DisclosurePolicy:
    if mask is not None:
        return mask.policy
    if policy is not None:
        return policy
    return get_policy(k=k)


def load_report_data(data_dir: str | Path | None = None) -> pd.DataFrame:
    """The prepared long table for a report (``data_dir`` "" means ``data/processed``).

    Read and validated once per process while the prepared files are unchanged (a batch
    worker's kernel runs report after report): each call returns its own copy. Every
    report template calls it first, so it also tells the CSV downloads of the report
    whether the data are the synthetic demo (:func:`peerlib.reporting.downloads.mark_synthetic`).

    Raises
    ------
    FileNotFoundError, ParameterError
        As :func:`peerlib.part1.prepare.load_prepared` (no or damaged prepared data).
    """
    from .downloads import mark_synthetic

    key = _files_state(data_dir, ("part1_long.parquet", "codebook.yaml", "sites.csv",
                                  "part1_meta.json"))
    if key not in _PREPARED:
        _PREPARED.clear()
        _PREPARED[key] = load_prepared(data_dir or None)
    mark_synthetic(is_synthetic(data_dir))
    return _PREPARED[key].copy()


def _files_state(data_dir: str | Path | None, names: tuple[str, ...]) -> tuple:
    """A key of prepared files' state: the folder and each file's time and size."""
    from ..paths import project_paths

    folder = Path(data_dir) if data_dir else project_paths().processed
    state = []
    for name in names:
        try:
            info = (folder / name).stat()
            state.append((name, info.st_mtime_ns, info.st_size))
        except OSError:
            state.append((name, None, None))
    return (str(folder.resolve()), tuple(state))


#: The prepared site register already read and checked in this process, by file state.
_SITES: dict = {}


def _load_sites(data_dir: str | Path | None = None) -> pd.DataFrame:
    """:func:`peerlib.part1.prepare.load_sites`, read and checked once per process while
    the file is unchanged (as :func:`load_report_data`); each call returns its own copy."""
    key = _files_state(data_dir, ("sites.csv",))
    if key not in _SITES:
        sites = load_sites(data_dir or None)  # raises before anything is kept
        _SITES.clear()
        _SITES[key] = sites
    return _SITES[key].copy()


class _Shared:
    """What every site report needs from all sites, computed once per process for one
    prepared table: each site's rows, and the all-site totals that "all other sites" is
    derived from (totals minus the site's own counts), so that a site report's own work
    does not grow with the number of sites. Holds its own copy of the table."""

    def __init__(self, data: pd.DataFrame):
        # the prepared table as read (load_report_data hands out copies only, so it is never
        # changed) when ``data`` is one of its copies, else a copy of its own
        prepared = next((t for t in _PREPARED.values() if _same_table(t, data)), None)
        self.data = data.copy() if prepared is None else prepared
        sites = self.data["site_id"].astype(str)
        self.rows = sites.groupby(sites, sort=False).indices
        self.values: dict = {}
        self._site: tuple[str, pd.DataFrame] | None = None

    def site(self, site_id: object) -> pd.DataFrame:
        """The rows of one site (none for a site without data): taken from the table once
        for the site last asked about (a report asks about its one site several times),
        each call a copy of its own (pandas copies on write: nothing is copied until
        changed)."""
        key = str(site_id)
        if self._site is None or self._site[0] != key:
            self._site = (key, self.data.iloc[self.rows.get(key, np.array([], dtype=int))])
        return self._site[1].copy(deep=False)

    def total(self, name: str, compute):
        """``compute(table)`` over every site, computed on first use."""
        if name not in self.values:
            self.values[name] = compute(self.data)
        return self.values[name]


_SHARED: list[_Shared] = []


def _same_table(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    return a is b or (a.shape == b.shape and a.columns.equals(b.columns) and a.equals(b))


def _shared(data: pd.DataFrame) -> _Shared:
    """The :class:`_Shared` results of ``data``, reused while the tables passed in have the
    same content (each report of a batch reads its own copy of the prepared table,
    :func:`load_report_data`; a table changed in place is compared again at every call, a
    few milliseconds even at 300,000 rows)."""
    last = _SHARED[0] if _SHARED else None
    if last is None or not _same_table(last.data, data):
        last = _Shared(data)
        _SHARED[:] = [last]
    return last


# ---------------------------------------------------------------------- display
def heading(text: object, level: int = 2):
    """An escaped HTML heading for text that comes from data (site names...)."""
    from IPython.display import HTML

    return HTML(f"<h{level}>{html.escape(str(text))}</h{level}>")


def note(text: object):
    """An escaped paragraph of text, styled as a note."""
    from IPython.display import HTML

    return HTML(f'<p class="peerwork-note">{html.escape(str(text))}</p>')


#: Tables of at most this many rows are kept on one printed page.
SHORT_TABLE_ROWS = 30


def table(frame: pd.DataFrame, caption: str = "", *, download: str | bool = True,
          max_rows: int | None = None):
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
    max_rows : int, optional
        Show at most this many rows on the page, with a line saying how many the download
        holds (a long detail table, e.g. thousands of site x item rows at trial size); the
        download and the disclosure metadata always cover every row.

    Returns
    -------
    IPython.display.HTML
        The table, preceded by its disclosure metadata (:func:`disclosure_block`) when the
        frame carries it: a published table without it is refused by the batch's audit.
    """
    from IPython.display import HTML

    from .downloads import csv_link_html

    page = frame if not max_rows or len(frame) <= max_rows else frame.head(max_rows)
    # a short table prints whole on one page: never its caption and header alone at the
    # foot of a page (peerwork.css)
    classes = "peerwork-table" + (" peerwork-table-short" if len(page) <= SHORT_TABLE_ROWS
                                  else "")
    body = page.to_html(index=False, escape=True, na_rep=DASH, border=0, classes=classes)
    if caption:
        body = body.replace(">", f"><caption class='peerwork-caption'>"
                                 f"{html.escape(caption)}</caption>", 1)
    link = ""
    if download:
        name = download if isinstance(download, str) else (caption or "table")
        link = csv_link_html(frame.fillna(DASH), name, "Download this table (CSV)")
    if len(page) < len(frame):
        link = (f'<p class="peerwork-note">The first {len(page):,} of {len(frame):,} rows '
                f'are shown{"; the download holds all of them" if download else ""}.</p>'
                + link)
    return HTML(disclosure_block(frame.attrs.get(DISCLOSURE_ATTR), caption) + body + link)


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
    return int(_shared(data).site(site_id)["participant_id"].nunique())


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


def disclosure_note(k: int | DisclosurePolicy) -> str:
    """Plain-language statement of the small-group rules (a policy, or just ``k``)."""
    policy = k if isinstance(k, DisclosurePolicy) else get_policy(k=k)
    k = policy.k
    return (f"To protect the people who took part, no result is shown for any group of fewer "
            f"than {k} participants: such cells read \"{small_group_label(k)}\". Cells "
            f"reading \"hidden\" are withheld so that a small group cannot be worked out by "
            f"adding or subtracting figures published anywhere in these reports. Counts of "
            f"people by role at a site show \"<{k}\" for fewer than {k}, none included: "
            f"beside the published count of each role in each sector, a \"0\" at one site "
            f"could give another site's small count away."
            # the policy's own sentence, where it says more than the rule above
            + (" " + policy.describe() if (policy.mean_k > policy.k or policy.rounding
                                           or policy.suppress_small_counts) else "")
            + (f" (disclosure policy: {policy.name})" if policy.name != "default" else ""))


def data_dictionary_table(codebook) -> pd.DataFrame:
    """The items of the codebook for readers: one row per item in report order.

    Returns
    -------
    pandas.DataFrame
        ``Item``, ``Section``, ``Short label``, ``Wording``, ``Draft wording`` ("yes" or
        ""), ``Raw columns``.
    """
    dd = codebook.data_dictionary()
    return with_cells(pd.DataFrame({
        "Item": dd["item_id"], "Section": dd["section"] + " " + dd["section_title"],
        "Short label": dd["label"], "Wording": dd["wording"],
        "Draft wording": dd["draft"].map({True: "yes", False: ""}),
        "Raw columns": dd["happening_column"] + ", " + dd["importance_column"],
    }), [])  # no figures about people


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

    return with_cells(pd.DataFrame({
        "Question": sc["question"],
        "Code": sc["code"].map(lambda c: DASH if pd.isna(c) else str(int(c))),
        "Label": sc["label"], "Also accepted": sc["aliases"].map(spellings),
        "Meaning": sc["meaning"],
    }), [])  # no figures about people


def sections_table(codebook) -> pd.DataFrame:
    """The schedule's sections for readers: ``Section``, ``Title``, ``Draft``, ``Note``."""
    sec = codebook.sections
    return with_cells(pd.DataFrame({"Section": sec["section"], "Title": sec["title"],
                                    "Draft": sec["draft"].map({True: "yes", False: ""}),
                                    "Note": sec["note"]}), [])  # no figures about people


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
                                                                                "NHS"),
                         policy: DisclosurePolicy | None = None) -> pd.DataFrame:
    """The study's sample table (role x sector with totals), with the roles' plural labels.

    Shown as is (counts, int): sector level and above is published composition
    (DESIGN.md). A policy that rounds or suppresses every count (``nhs``) gives text cells
    under its rules. Sectors not in the data are left out.
    """
    cb = _codebook(data)
    present = set(data["sector"].astype(str).unique())  # not a Python pass over every row
    order = [c for c in column_order if c in present] + sorted(
        present - set(column_order))
    out = scoring.sample_table(data, column_order=order)
    cells = []
    for rec in out.itertuples(index=False):
        role = str(rec[0])
        for sector, value in zip(out.columns[1:], rec[1:]):
            if role == "Total" and sector == "Total":
                union = "all"
            elif role == "Total":
                union = union_key("sector", sector)
            elif sector == "Total":
                union = union_key("role", role)
            else:
                union = union_key("sector_role", sector, role)
            cells.append(_cell(union, "participants", n=value, public=True))
    if policy is not None and (policy.rounding or policy.suppress_small_counts):
        for col in out.columns[1:]:
            out[col] = [policy.count_text(v) for v in out[col]]
    plural = dict(zip(cb.roles["role"], cb.roles["short"]))
    out["role"] = out["role"].map(lambda r: plural.get(r, r))
    return with_cells(out.rename(columns={"role": "Role"}), cells)


def site_sample_table(data: pd.DataFrame, site_id: str, *, k: int | None = None,
                      mask: DisclosureMask | None = None) -> pd.DataFrame:
    """Participants at one site by role, as the batch's disclosure mask allows.

    Parameters
    ----------
    data : pandas.DataFrame
        The prepared long table (every site).
    site_id : str
        The site.
    k : int, optional
        Threshold when no ``mask`` is given (the default policy's otherwise).
    mask : DisclosureMask, optional
        The batch's mask (:func:`report_mask`).

    Returns
    -------
    pandas.DataFrame
        One row per role and a total row: ``Role``, ``This site`` (text: count, "0", "<k"
        for a role of 1 to k-1 people, "hidden" where a published figure would give a hidden
        one away) and ``All sites`` (the whole study's counts, as published in the
        cross-site report). "All other sites" is deliberately not shown: the study's count
        minus it would give the site's hidden role counts away.
    """
    mask = _mask_for(data, mask, k)
    policy = mask.policy
    cb = _codebook(data)
    shared = _shared(data)
    everyone = shared.total("people_by_role", lambda d: d.drop_duplicates("participant_id")[
        "role"].astype(str).value_counts()).reindex(cb.role_labels, fill_value=0)
    here = shared.site(site_id).drop_duplicates("participant_id")["role"].astype(str)
    counts = pd.DataFrame({THIS_SITE: here.value_counts().reindex(cb.role_labels,
                                                                  fill_value=0)})
    plural = dict(zip(cb.roles["role"], cb.roles["short"]))
    rows, cells = [], []
    for role in cb.role_labels:
        here = int(counts.loc[role, THIS_SITE])
        key = union_key("site_role", site_id, role)
        rows.append({"Role": plural.get(role, role),
                     THIS_SITE: _count_cell(mask, "participants", key, here),
                     ALL_SITES: policy.count_text(int(everyone[role]))})
        cells += [_meta(mask, "participants", key, here),
                  _cell(union_key("role", role), "participants", n=everyone[role],
                        public=True)]
    key = union_key("site", site_id)
    rows.append({"Role": "Total",
                 THIS_SITE: _count_cell(mask, "participants", key,
                                        int(counts[THIS_SITE].sum())),
                 ALL_SITES: policy.count_text(int(everyone.sum()))})
    cells += [_meta(mask, "participants", key, int(counts[THIS_SITE].sum())),
              _cell("all", "participants", n=everyone.sum(), public=True)]
    return with_cells(pd.DataFrame(rows), cells)


def _meta(mask: DisclosureMask, statistic: str, union: str, value: int,
          item: object = "") -> dict:
    """The metadata of a count shown through :func:`_count_cell`."""
    try:
        hidden, rule, _ = mask.decision(statistic, union, item)
    except KeyError:
        hidden, rule = 0 < value < mask.k, "primary"
    return _cell(union, statistic, item, value, rule=rule if hidden else "")


def _count_cell(mask: DisclosureMask, statistic: str, union: str, value: int,
                item: object = "") -> str:
    """A count as the mask allows: the (rounded) count, "0", "<k" (a group of 1 to k-1, or
    an empty role cell the mask shows so to protect another site's small count) or
    "hidden" (secondary). A group no report publishes (not in the mask) with 1 to k-1
    people shows "<k" too."""
    try:
        hidden, rule, _ = mask.decision(statistic, union, item)
    except KeyError:
        hidden, rule = 0 < value < mask.k, "primary"
    if hidden:  # an empty role cell may read "<k" too (mask._cover_composition)
        return f"<{mask.k}" if rule == "primary" else mask.policy.hidden_label(rule)
    return mask.policy.count_text(value)


def _fmt_pct(count: object, pct: object) -> str:
    if pd.isna(pct):
        return DASH
    return f"{int(count)} ({pct:.0f}%)"


def _hidden_columns(frame: pd.DataFrame, n: str, k: int, values: list[str]) -> pd.DataFrame:
    """``suppressed`` and ``rule`` of a view; a raw result table (no ``suppressed``
    column) gets primary suppression on ``n``."""
    if "suppressed" not in frame.columns:
        frame = suppress_small_groups(frame, n=n, k=k, values=values)
    if "rule" not in frame.columns:
        frame = frame.assign(rule=np.where(frame["suppressed"], "primary", ""))
    return frame


def distribution_table(dist: pd.DataFrame, *, group: str | None, k: int | None = None,
                       labels: dict[str, str] | None = None,
                       response: str = "happening",
                       policy: DisclosurePolicy | None = None) -> pd.DataFrame:
    """Wide display of a happening distribution: "count (percent)" per answer option.

    Parameters
    ----------
    dist : pandas.DataFrame
        A view from :func:`site_happening` / :func:`group_happening` (its ``suppressed``
        and ``rule`` columns decide), or a raw :func:`peerlib.scoring.happening_distribution`
        (then a group with ``n_asked < k`` is hidden).
    group : str or None
        Its grouping column.
    k : int, optional
        Minimum group size of a raw distribution (default: the policy's).
    labels : dict, optional
        Item id -> label.
    policy : DisclosurePolicy, optional
        Display rules (rounding; default: the ``default`` preset with ``k``).

    Returns
    -------
    pandas.DataFrame
        One row per item x group: ``Item``, the group, ``n asked`` and one text column per
        answer option in scale order ("3 (43%)"; percentages of everyone asked, Missing
        included; "–" when nobody was asked; "n<k" or "hidden" for a hidden group).
    """
    policy = _policy_for(policy, k)
    shown = _hidden_columns(dist, "n_asked", policy.k, ["count", "percent"])
    keys = ["item_id"] + ([group] if group else [])
    rows, cells = [], []
    for key, sub in shown.groupby(keys, observed=True, sort=True):
        key = key if isinstance(key, tuple) else (key,)
        item = str(key[0])
        rec = {"Item": (labels or {}).get(item, item)}
        if group:
            rec[_display_name(group)] = str(key[1])
        n = int(sub["n_asked"].iloc[0])
        hidden = bool(sub["suppressed"].iloc[0]) and n > 0  # nobody asked: nothing to hide
        label = policy.hidden_label(str(sub["rule"].iloc[0]))
        rec["n asked"] = label if hidden else policy.count_text(n)
        for r in sub.itertuples(index=False):
            level = str(getattr(r, response))
            rec[level] = (label if hidden else DASH if n == 0 else
                          policy.count_percent_text(r.count, n))
        rows.append(rec)
        cells.append(_cell(_union_of(sub.iloc[0], group), "happening", item, n,
                           rule=str(sub["rule"].iloc[0]) if hidden else ""))
    return with_cells(pd.DataFrame(rows), cells)


def _union_of(row: pd.Series, group: str | None) -> str | None:
    """The mask key of a result row: its ``union`` column, or from its group column."""
    if "union" in row.index and isinstance(row["union"], str):
        return row["union"]
    if group is None:
        return "all"
    if group in _KINDS:
        return union_key(_KINDS[group], row[group])
    return None


def importance_table(summary: pd.DataFrame, *, group: str | None, k: int | None = None,
                     labels: dict[str, str] | None = None,
                     policy: DisclosurePolicy | None = None) -> pd.DataFrame:
    """Display of an importance summary: n, mean, SD, median and 95% CI per item x group.

    A hidden group (a view's ``suppressed``; for a raw summary, fewer than the policy's
    ``mean_k`` answers) shows "n<k" (or "hidden") and no statistics. Statistics are
    published as the policy allows (:func:`published_importance`: one decimal and no SD or
    interval under a policy that rounds counts).

    Returns
    -------
    pandas.DataFrame
        Text columns ``Item``, the group, ``n``, ``Mean (1-4)``, ``SD``, ``Median``,
        ``95% CI``.
    """
    policy = _policy_for(policy, k)
    shown = _hidden_columns(published_importance(summary, policy), "n", policy.mean_k,
                            ["mean", "sd", "median", "ci_low", "ci_high"])
    rows, cells = [], []
    hides = hidden_rows(shown, "n", "importance")
    for (_, row), r, hidden in zip(shown.iterrows(), shown.itertuples(index=False), hides):
        rec = {"Item": (labels or {}).get(str(r.item_id), str(r.item_id))}
        if group:
            rec[_display_name(group)] = str(getattr(r, group))
        hidden = bool(hidden)
        cells.append(_cell(_union_of(row, group), "importance", r.item_id, r.n,
                           rule=str(r.rule) if hidden else ""))
        rec["n"] = policy.hidden_label(str(r.rule)) if hidden else policy.count_text(int(r.n))

        def f(v, digits=2):
            return DASH if hidden or pd.isna(v) else f"{v:.{digits}f}"

        rec["Mean (1-4)"] = f(r.mean, policy.mean_digits)
        rec["SD"] = f(r.sd)
        rec["Median"] = f(r.median, 1)
        rec["95% CI"] = (DASH if hidden or pd.isna(r.ci_low)
                         else f"{r.ci_low:.2f} to {r.ci_high:.2f}")
        rows.append(rec)
    return with_cells(pd.DataFrame(rows), cells)


def ipa_table(ipa: pd.DataFrame, *, k: int | None = None,
              labels: dict[str, str] | None = None, group: str | None = None,
              policy: DisclosurePolicy | None = None) -> pd.DataFrame:
    """Display of an Importance-Performance table.

    A point hidden by the mask (a view from :func:`ipa_view` / :func:`site_ipa`: its
    ``suppressed`` column), or resting on fewer than ``k`` answers, shows "n<k" (or
    "hidden") in place of its values and of its n: no n under ``k`` is ever printed.

    Returns
    -------
    pandas.DataFrame
        ``Item``, the group, ``n (performance)``, ``Performance (0-100)``,
        ``n (importance)``, ``Importance (1-4)``, ``Quadrant``.
    """
    policy = _policy_for(policy, k)
    rows, cells = [], []
    has_mask = "suppressed" in ipa.columns
    for (_, row), r in zip(ipa.iterrows(), ipa.itertuples(index=False)):
        rec = {"Item": (labels or {}).get(str(r.item_id), str(r.item_id))}
        if group:
            rec[_display_name(group)] = str(getattr(r, group))
        small = (int(r.n_performance) < policy.k or int(r.n_importance) < policy.mean_k)
        hidden = (bool(r.suppressed) if has_mask else False) or small
        label = policy.hidden_label(str(getattr(r, "rule", "primary")) if has_mask and
                                    not small else "primary")
        rec["n (performance)"] = label if hidden else policy.count_text(int(r.n_performance))
        rec["Performance (0-100)"] = (label if hidden else DASH if pd.isna(r.performance)
                                      else f"{r.performance:.0f}")
        rec["n (importance)"] = label if hidden else policy.count_text(int(r.n_importance))
        rec["Importance (1-4)"] = (label if hidden else DASH if pd.isna(r.importance)
                                   else f"{r.importance:.{policy.mean_digits}f}")
        rec["Quadrant"] = DASH if hidden or pd.isna(r.quadrant) else str(r.quadrant)
        rows.append(rec)
        if "suppressed_happening" not in ipa.columns:  # a view without per-family decisions
            union = _union_of(row, group)
            rule = (str(getattr(r, "rule", "")) or "primary") if hidden else ""
            cells += [_cell(union, "happening", r.item_id, r.n_performance, rule=rule),
                      _cell(union, "importance", r.item_id, r.n_importance, rule=rule)]
    if "suppressed_happening" in ipa.columns:
        cells = ipa_cells(ipa)
    return with_cells(pd.DataFrame(rows), cells)


def comparison_table(comp: pd.DataFrame, *, k: int | None = None,
                     labels: dict[str, str] | None = None,
                     mask: DisclosureMask | None = None, by: str = "sector",
                     policy: DisclosurePolicy | None = None) -> pd.DataFrame:
    """Display of :func:`peerlib.scoring.compare_two_groups` (exploratory p-values).

    A group hidden by the ``mask`` (its "Is this happening here?" answers for the first
    measure, its importance answers for the second), or with a denominator under ``k``,
    shows "n<k" (or "hidden"), and the row has no p-values.

    The p-values are computed here from the counts as shown, never from ``comp``'s exact
    tallies: under a rounding policy Fisher's test runs on the rounded counts (a p-value of
    the exact counts would tell a reader which exact counts lie behind the rounded ones),
    and a row whose count is suppressed ("<k") has no p-value. Holm's adjustment runs over
    the rows that show a p-value only, so a hidden row adds nothing to it. Under a policy
    that shows counts as they are, the p-values equal ``comp``'s.

    Returns
    -------
    pandas.DataFrame
        One row per ``comp`` row (item x measure): ``Item``, ``Measure``, one column per
        group ("x/n (pct%)" or a label), ``Fisher exact p (exploratory)`` and
        ``Holm-adjusted p`` (text, three decimals, or a dash), with cell metadata
        (:func:`with_cells`).

    References
    ----------
    Fisher, R. A. (1935). The logic of inductive inference. JRSS 98(1), 39-82.
    Holm, S. (1979). A simple sequentially rejective multiple test procedure. Scandinavian
    Journal of Statistics 6(2), 65-70.
    """
    policy = _policy_for(policy, k, mask)
    kind = {"sector": "sector", "role": "role", "organisation_type": "orgtype"}.get(by, by)
    rows, meta, shown_p = [], [], []
    for r in comp.itertuples(index=False):
        stat = "happening" if str(r.measure).startswith("Yes") else "importance"
        cells, counts = {}, []
        for tag in "ab":
            group, n, x = getattr(r, f"group_{tag}"), getattr(r, f"n_{tag}"), getattr(
                r, f"x_{tag}")
            hidden, rule = n < (policy.k if stat == "happening" else policy.mean_k), "primary"
            if mask is not None and not hidden:
                hidden, rule, _ = mask.decision(stat, union_key(kind, group), r.item_id)
            meta.append(_cell(union_key(kind, group), stat, r.item_id, n,
                              rule=rule if hidden and n > 0 else ""))
            # under rounding, the percentage of the shown counts (none beside "<k")
            pct = (getattr(r, f"percent_{tag}") if not policy.changes_counts
                   else policy.shown_percent(x, n) if n > 0 else None)
            counts.append((policy.shown_count(x), policy.shown_count(n)))
            cells[tag] = (policy.hidden_label(rule) if hidden and n > 0 else
                          DASH if n == 0 else
                          f"{policy.count_text(x)}/{policy.count_text(n)}"
                          + ("" if pct is None else f" ({pct:.0f}%)"), hidden or n == 0)
        small = cells["a"][1] or cells["b"][1]
        p = np.nan
        if not small and all(v is not None for pair in counts for v in pair):
            (xa, na), (xb, nb) = counts
            if na > 0 and nb > 0:
                p = scoring.fisher_exact_2x2(int(xa), int(na), int(xb), int(nb))[1]
        shown_p.append(p)
        rows.append({
            "Item": (labels or {}).get(str(r.item_id), str(r.item_id)),
            "Measure": r.measure,
            str(r.group_a): cells["a"][0],
            str(r.group_b): cells["b"][0],
        })
    out = pd.DataFrame(rows)
    p = pd.Series(shown_p, index=out.index, dtype=float)
    holm = pd.Series(np.nan, index=out.index)
    if p.notna().any():
        holm[p.notna()] = scoring.holm_adjust(p[p.notna()].to_numpy(float))
    out["Fisher exact p (exploratory)"] = [DASH if pd.isna(v) else f"{v:.3f}" for v in p]
    out["Holm-adjusted p"] = [DASH if pd.isna(v) else f"{v:.3f}" for v in holm]
    return with_cells(out, meta)


def sector_comparison_section(data: pd.DataFrame, *, mask: DisclosureMask | None = None,
                              k: int | None = None, labels: dict[str, str] | None = None,
                              by: str = "sector",
                              caption: str = "Sector differences (exploratory)"):
    """The cross-site report's exploratory comparison of the two sectors, or a sentence.

    Returns
    -------
    IPython.display.HTML
        :func:`comparison_table` of :func:`peerlib.scoring.compare_two_groups` as an escaped
        table; a note instead when the data has not exactly two sectors (one sector only:
        there is nothing to compare) or when a sector is hidden by the mask for every item.
    """
    mask = _mask_for(data, mask, k)
    levels = sorted(set(data[by].astype(str).unique()))
    if len(levels) != 2:
        return note(f"The data has {len(levels)} {'sector' if by == 'sector' else by}"
                    f"{'' if len(levels) == 1 else 's'} ({', '.join(levels) or 'none'}), so "
                    "there is no comparison between two groups to show.")
    shown = comparison_table(scoring.compare_two_groups(data, by=by), mask=mask,
                             labels=labels, by=by)
    return table(shown, caption=caption)


def missing_answers_table(data: pd.DataFrame, *, by: str = "site_id",
                          mask: DisclosureMask | None = None) -> pd.DataFrame:
    """Answers and missing answers per item and site (data-quality report).

    Parameters
    ----------
    data : pandas.DataFrame
        The prepared long table.
    by : str
        The grouping column (``site_id``).
    mask : DisclosureMask, optional
        The batch's mask: a site whose answers are hidden elsewhere shows its label here
        too (the counts of answers and no answers would give them away). Without a mask,
        counts are shown as they are (for analysts).

    Returns
    -------
    pandas.DataFrame
        One row per site x item: ``Site`` (the ``by`` column, renamed for readers), ``Item``,
        ``Participants`` (asked), ``Happening: answered``, ``Happening: no answer``,
        ``Importance: answered``, ``Importance: no answer``: counts (int) without a mask,
        text with one.
    """
    no_answer = _codebook(data).happening_missing_label
    frame = data.assign(_hm=data["happening"].astype(str) == no_answer,
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
    cells = []
    for group, item, asked, answered in zip(out[by], out["item_id"], out["participants"],
                                            out["importance answered"]):
        site = union_key("site", group)
        if mask is None:
            cells += [_cell(site, "participants", "", asked),
                      _cell(site, "happening", item, asked),
                      _cell(site, "importance", item, answered)]
        else:
            cells += [_meta(mask, "participants", site, asked)]
            for stat, n in (("happening", asked), ("importance", answered)):
                hidden, rule, _ = mask.decision(stat, site, item)
                cells.append(_cell(site, stat, item, n,
                                   rule=rule if hidden and asked > 0 else ""))
    if mask is not None:  # built column by column (thousands of rows at trial size)
        columns = {c: [] for c in out.columns[2:]}
        for r in out.itertuples(index=False):
            site = union_key("site", getattr(r, by))
            columns["participants"].append(_count_cell(mask, "participants", site,
                                                       r.participants))
            hap = mask.decision("happening", site, r.item_id)
            imp = mask.decision("importance", site, r.item_id)
            for col, value, (hidden, rule, _) in (
                    ("happening answered", r[3], hap), ("happening missing", r[4], hap),
                    ("importance answered", r[5], imp), ("importance missing", r[6], imp)):
                columns[col].append(mask.policy.hidden_label(rule) if hidden and
                                    r.participants > 0 else mask.policy.count_text(int(value)))
        out = pd.DataFrame({by: out[by].astype(str).to_numpy(),
                            "item_id": out["item_id"].astype(str).to_numpy(),
                            **{c: pd.array(v, dtype=object) for c, v in columns.items()}})
    out = with_cells(out, cells)
    return out.rename(columns={by: _display_name(by), "item_id": "Item",
                               "participants": "Participants",
                               "happening answered": "Happening: answered",
                               "happening missing": "Happening: no answer",
                               "importance answered": "Importance: answered",
                               "importance missing": "Importance: no answer"})


def most_missing_first(missing: pd.DataFrame) -> pd.DataFrame:
    """:func:`missing_answers_table` with the rows that most need checking first: most
    answers recorded as missing ("Happening: no answer" plus "Importance: no answer", as
    shown), then by site and item. Rows whose counts are hidden (or not printed, "<k") come
    last in their original order, so the order says nothing about a hidden count.

    Returns
    -------
    pandas.DataFrame
        The same rows and metadata, reordered (index reset).
    """
    shown = [pd.to_numeric(missing[c], errors="coerce")
             for c in ("Happening: no answer", "Importance: no answer")]
    total = (shown[0] + shown[1]).fillna(-1)
    order = np.argsort(-total.to_numpy(), kind="stable")
    out = missing.iloc[order].reset_index(drop=True)
    return with_cells(out, missing.attrs.get(DISCLOSURE_ATTR))


def suppressed(table: pd.DataFrame, *, n: str, k: int, group: str | None = None,
               within: Sequence[str] = ("item_id",)) -> pd.DataFrame:
    """:func:`peerlib.disclosure.suppress_small_groups` for analysts' own tables: small
    groups hidden and, when ``group`` names a partition of the sample (sectors, roles),
    secondary suppression per item. Reports use the batch's mask instead
    (:func:`group_happening`, :func:`site_happening`...)."""
    return suppress_small_groups(table, n=n, k=k, group=group,
                                 within=within if group else ())


_STATISTICS = {"n_asked": ["count", "percent"],
               "n": ["mean", "sd", "median", "ci_low", "ci_high"]}
_KINDS = {"sector": "sector", "role": "role", "organisation_type": "orgtype",
          "site_id": "site"}


def published_importance(frame: pd.DataFrame, policy: DisclosurePolicy) -> pd.DataFrame:
    """Importance statistics as a policy publishes them.

    Under a policy that rounds counts (``nhs``), a mean to two decimals with its SD and 95%
    interval fits only one exact number of answers behind the rounded n (a privacy
    tester recovered every exact n of a data set that way), so means are rounded to
    ``policy.mean_digits`` decimals and the SD and interval are withheld (NaN). Other
    policies publish the statistics as computed.

    Parameters
    ----------
    frame : pandas.DataFrame
        Any table with some of the columns ``mean``, ``importance`` (means on the 1-4
        scale), ``sd``, ``ci_low``, ``ci_high``; other columns are kept as they are.
    policy : DisclosurePolicy
        The batch's policy.

    Returns
    -------
    pandas.DataFrame
        A copy, same shape.
    """
    out = frame.copy()
    if not policy.rounding:
        return out
    for col in ("mean", "importance"):
        if col in out.columns:
            out[col] = out[col].astype(float).round(policy.mean_digits)
    for col in ("sd", "ci_low", "ci_high"):
        if col in out.columns:
            out[col] = np.nan
    return out


def _apply_mask(frame: pd.DataFrame, mask: DisclosureMask, statistic: str,
                values: list[str]) -> pd.DataFrame:
    """Blank the ``values`` of the rows whose ``union`` the mask hides; add ``suppressed``
    (bool) and ``rule``; importance statistics as the policy publishes them
    (:func:`published_importance`)."""
    out = (published_importance(frame, mask.policy) if statistic == "importance"
           else frame.copy())
    # lists, not the columns: iterating an arrow-backed column in Python is slow
    dec = [mask.decision(statistic, u, i) for u, i in zip(out["union"].tolist(),
                                                          out["item_id"].astype(str).tolist())]
    hidden = np.array([d[0] for d in dec], dtype=bool)
    for col in values:
        if col in out.columns:
            out[col] = out[col].astype(float)
            out.loc[hidden, col] = np.nan
    out["suppressed"] = hidden
    out["rule"] = [d[1] for d in dec]
    return out


def _site_view(data: pd.DataFrame, site_id: str, statistic: str, *, k: int | None,
               mask: DisclosureMask | None) -> pd.DataFrame:
    """"This site" against "All other sites" (``statistic``: "happening" or "importance"),
    hidden as the batch's mask says (the same decisions in every report of the batch).

    The other sites' counts are every site's counts (computed once per prepared table,
    :func:`_shared`) minus this site's, so the work is the site's own whatever the number
    of sites; the results equal :func:`peerlib.scoring.happening_distribution` /
    ``importance_summary`` of :func:`site_comparison_data` by ``group``."""
    mask = _mask_for(data, mask, k)
    shared = _shared(data)
    here = shared.site(site_id)
    present = [g for g, rows in ((THIS_SITE, len(here)),
                                 (OTHER_SITES, len(shared.data) - len(here))) if rows]
    if statistic == "happening":
        keys, columns = ["item_id", "happening"], ["count"]
        total = shared.total("happening", lambda d: scoring.happening_distribution(d, by=None))
        this = scoring.happening_distribution(here, by=None)
    else:
        keys, columns = ["item_id", "importance"], ["count"]
        total = shared.total("importance", lambda d: scoring.importance_counts(d, by=None))
        this = scoring.importance_counts(here, by=None)
    both = total[keys + columns].merge(this[keys + columns], on=keys, how="left",
                                       suffixes=("", "_here"))
    here_count = both["count_here"].fillna(0).astype("int64")
    parts = {THIS_SITE: both[keys].assign(count=here_count),
             OTHER_SITES: both[keys].assign(count=both["count"] - here_count)}
    counts = pd.concat([parts[g].assign(group=g) for g in present], ignore_index=True)
    counts["group"] = pd.Categorical(counts["group"], categories=[THIS_SITE, OTHER_SITES],
                                     ordered=True)
    counts = counts[["group", *keys, "count"]]
    if statistic == "happening":
        out = scoring.happening_percentages(counts, by="group")
        values = _STATISTICS["n_asked"]
    else:
        out = scoring.importance_from_counts(counts, by="group")
        values = _STATISTICS["n"]
    out["union"] = np.where(out["group"].astype(str) == THIS_SITE,
                            union_key("site", site_id), union_key("others", site_id))
    return _apply_mask(out, mask, statistic, values)


def site_happening(data: pd.DataFrame, site_id: str, *, k: int | None = None,
                   mask: DisclosureMask | None = None) -> pd.DataFrame:
    """"Is this happening here?" at one site and at all other sites, as the mask allows.

    Parameters
    ----------
    data : pandas.DataFrame
        The prepared long table (every site).
    site_id : str
        The site.
    k : int, optional
        Threshold when no ``mask`` is given.
    mask : DisclosureMask, optional
        The batch's mask (:func:`report_mask`); default computed from ``data``.

    Returns
    -------
    pandas.DataFrame
        :func:`peerlib.scoring.happening_distribution` by ``group`` ("This site", "All
        other sites") with ``union`` (the group's key in the mask), ``count`` and
        ``percent`` NaN where hidden, ``suppressed`` (bool) and ``rule`` ("", "primary",
        "secondary").
    """
    return _site_view(data, site_id, "happening", k=k, mask=mask)


def site_importance(data: pd.DataFrame, site_id: str, *, k: int | None = None,
                    mask: DisclosureMask | None = None) -> pd.DataFrame:
    """Importance at one site and at all other sites, hidden as the mask says (columns
    of :func:`peerlib.scoring.importance_summary` by ``group``, plus ``union``,
    ``suppressed`` and ``rule``; statistics NaN where hidden)."""
    return _site_view(data, site_id, "importance", k=k, mask=mask)


def group_happening(data: pd.DataFrame, *, by: str = "sector", k: int | None = None,
                    mask: DisclosureMask | None = None) -> pd.DataFrame:
    """"Is this happening here?" by sector or role (cross-site report), as the mask allows.

    Returns
    -------
    pandas.DataFrame
        :func:`peerlib.scoring.happening_distribution` by ``by``, plus ``union``,
        ``suppressed`` and ``rule``; ``count`` and ``percent`` NaN where hidden.
    """
    mask = _mask_for(data, mask, k)
    out = scoring.happening_distribution(data, by=by)
    out["union"] = [union_key(_KINDS[by], v) for v in out[by].astype(str)]
    return _apply_mask(out, mask, "happening", _STATISTICS["n_asked"])


def importance_with_overall(data: pd.DataFrame, *, by: str = "sector", k: int | None = None,
                            overall_label: str = "All",
                            mask: DisclosureMask | None = None) -> pd.DataFrame:
    """Importance summaries for everyone and for each level of ``by``, in one table.

    Returns
    -------
    pandas.DataFrame
        :func:`peerlib.scoring.importance_summary` rows with a ``group`` column ("All",
        then the levels of ``by``), ``union``, ``suppressed`` and ``rule``; statistics NaN
        where the mask hides them.
    """
    mask = _mask_for(data, mask, k)
    overall = scoring.importance_summary(data, by=None).assign(group=overall_label,
                                                              union="all")
    parts = scoring.importance_summary(data, by=by)
    parts = parts.assign(group=parts[by].astype(str),
                         union=[union_key(_KINDS[by], v) for v in parts[by].astype(str)]
                         ).drop(columns=by)
    both = pd.concat([overall, parts], ignore_index=True)
    return _apply_mask(both, mask, "importance", _STATISTICS["n"])


def ipa_view(data: pd.DataFrame, *, by: str | None = None, k: int | None = None,
             mask: DisclosureMask | None = None) -> pd.DataFrame:
    """Importance-Performance for everyone (or by ``by``), hidden as the mask says.

    Returns
    -------
    pandas.DataFrame
        :func:`peerlib.scoring.importance_performance` columns plus ``union``,
        ``suppressed`` and ``rule``. A point is hidden where the mask hides the group's
        "Is this happening here?" or importance answers for the item, or where it rests on
        fewer than ``k`` substantive answers (``mean_k`` importance answers); hidden items
        are left out of the cross-hairs, which are recomputed.
    """
    mask = _mask_for(data, mask, k)
    ipa = scoring.importance_performance(data, by=by, shown_count=_shown_count(mask.policy))
    unions = (["all"] * len(ipa) if by is None else
              [union_key(_KINDS[by], v) for v in ipa[by].astype(str)])
    return _mask_ipa(ipa.assign(union=unions), mask, by)


def site_ipa(data: pd.DataFrame, site_id: str, *, k: int | None = None,
             mask: DisclosureMask | None = None) -> pd.DataFrame:
    """Importance-Performance at one site, hidden as the mask says (as :func:`ipa_view`):
    an item hidden in the site's other tables is hidden here too."""
    mask = _mask_for(data, mask, k)
    ipa = scoring.importance_performance(_shared(data).site(site_id),
                                         shown_count=_shown_count(mask.policy))
    return _mask_ipa(ipa.assign(union=union_key("site", site_id)), mask, None)


def _shown_count(policy: DisclosurePolicy):
    """The count performance is computed from under a policy that rounds counts (its
    rounding, small counts included: a count shown as "<k" would otherwise weigh 0 and
    pull the score far from the answers); None under a policy that does not round."""
    return policy.round_count if policy.rounding else None


def _mask_ipa(ipa: pd.DataFrame, mask: DisclosureMask, by: str | None) -> pd.DataFrame:
    items = ipa["item_id"].astype(str)
    hap = [mask.decision("happening", u, i) for u, i in zip(ipa["union"], items)]
    imp = [mask.decision("importance", u, i) for u, i in zip(ipa["union"], items)]
    policy = mask.policy
    small_hap = ipa["n_performance"].to_numpy() < policy.k
    small_imp = ipa["n_importance"].to_numpy() < policy.mean_k
    small = small_hap | small_imp
    own_hap = np.array([a[0] for a in hap], dtype=bool) | small_hap
    own_imp = np.array([b[0] for b in imp], dtype=bool) | small_imp
    hidden = own_hap | own_imp
    rule = np.where(small, "primary",
                    np.array([a[1] if a[0] else b[1] for a, b in zip(hap, imp)], dtype=object))
    out = published_importance(ipa, policy)
    out["performance"] = out["performance"].astype(float)
    out["importance"] = out["importance"].astype(float)
    out.loc[hidden, ["performance", "importance"]] = np.nan
    out = scoring.ipa_quadrants(out, by=by)
    out["suppressed"] = hidden
    out["rule"] = np.where(hidden, rule, "")
    # each family's own decision: a point withheld because its importance is hidden does
    # not make its "Is this happening here?" group a hidden one (the audit reads this)
    out["suppressed_happening"] = own_hap
    out["suppressed_importance"] = own_imp
    return out


def site_interview_counts(data: pd.DataFrame, *, k: int | None = None,
                          mask: DisclosureMask | None = None) -> pd.DataFrame:
    """Interviews per site and role (data-quality report), as the batch's mask allows.

    Returns
    -------
    pandas.DataFrame
        One row per site with data, in register order: ``Site``, ``Sector``, one text column
        per role (count, "0", "<k" or "hidden") and ``Total`` (interviews at the site;
        "<k" for a site of 1 to k-1, "hidden" where it would give a hidden count away).
    """
    mask = _mask_for(data, mask, k)
    cb = _codebook(data)
    people = data.drop_duplicates("participant_id")
    counts = pd.crosstab(people["site_id"].astype(str), people["role"], dropna=False)
    counts = counts.reindex(columns=cb.role_labels, fill_value=0)
    order = list(dict.fromkeys(people["site_id"].astype(str)))
    sector = people.drop_duplicates("site_id").set_index(
        people.drop_duplicates("site_id")["site_id"].astype(str))["sector"].astype(str)
    rows, cells = [], []
    plural = dict(zip(cb.roles["role"], cb.roles["short"]))
    for site in order:
        rec = {"Site": site, "Sector": sector[site]}
        for role in cb.role_labels:
            key, value = union_key("site_role", site, role), int(counts.loc[site, role])
            rec[plural[role]] = _count_cell(mask, "participants", key, value)
            cells.append(_meta(mask, "participants", key, value))
        key, value = union_key("site", site), int(counts.loc[site].sum())
        rec["Total"] = _count_cell(mask, "participants", key, value)
        cells.append(_meta(mask, "participants", key, value))
        rows.append(rec)
    return with_cells(pd.DataFrame(rows), cells)


def small_numbers_note(data: pd.DataFrame, site_id: str, *, k: int | None = None,
                       mask: DisclosureMask | None = None) -> str:
    """Plain-language note on the numbers behind a site report.

    Returns
    -------
    str
        How many took part at the site (or that it was fewer than ``k``), that results of
        groups under ``k`` are hidden, that the site is never broken down by role, and how
        wide intervals are at this size.
    """
    mask = _mask_for(data, mask, k)
    k = mask.k
    n = site_size(data, site_id)
    hidden, rule, _ = mask.decision("participants", union_key("site", site_id))
    if n == 0:
        return ("Nobody from this site has been interviewed yet (or every interview has been "
                "withdrawn), so this report has no results.")
    if hidden and n < k:
        return (f"Fewer than {k} people took part at this site, so none of its results are "
                "shown: with so few, anyone who knows who took part could work out what they "
                "said. Its answers do count in the study's totals in the cross-site report.")
    who = (f"{mask.policy.count_text(n)} people took part at this site." if not hidden else
           "The number of people who took part at this site is withheld (it would give "
           "a smaller site's number away).")
    return (f"{who} With so few, one person changes a percentage by several points, and "
            f"confidence intervals are wide: read differences from the other sites as "
            f"prompts for discussion, not as findings. Results are never broken down by "
            f"role within a site, and any group of fewer than {k} participants shows "
            f"\"{small_group_label(k)}\" instead of results; \"hidden\" marks a result "
            f"withheld so that a small group cannot be worked out by subtraction.")


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


#: Status of a cell of :func:`site_item_heatmap`.
HEATMAP_STATUS = ("shown", "hidden", "not shown", "nobody asked")


def site_item_heatmap(data: pd.DataFrame, *, mask: DisclosureMask | None = None,
                      k: int | None = None) -> pd.DataFrame:
    """Every site's share answering "Yes" or "Partly", item by item, as the batch's mask
    and policy allow: the cross-site report's per-site view (a sorted heatmap of sites x
    items, :func:`peerlib.reporting.heatmaps.site_heatmap`).

    Each cell is the figure the site's own report shows for the item ("This site"), under
    the same mask decision: a group the mask hides is ``hidden`` and carries no value, size
    or count; under a policy that rounds counts (``nhs``) the counts and the percentage are
    those of :func:`peerlib.reporting.shown.shown_happening`.

    Parameters
    ----------
    data : pandas.DataFrame
        The prepared long table (every site).
    mask : DisclosureMask, optional
        The batch's mask (:func:`report_mask`); default computed from ``data`` with ``k``.
    k : int, optional
        Threshold when no ``mask`` is given.

    Returns
    -------
    pandas.DataFrame
        One row per site with data x item, sites in display order: ``site_id``,
        ``item_id``, ``union`` (the site's key in the mask), ``status`` (one of
        :data:`HEATMAP_STATUS`: ``not shown`` is a count the policy does not print, e.g.
        "<8"), ``rule`` (the mask's rule of a hidden cell, else ""), ``percent`` (0-100 of
        everyone asked; NaN unless shown), ``agree_text`` and ``n_asked_text`` (the counts
        as a reader sees them: the hidden label in a hidden cell), ``site_mean`` (the mean
        of the site's shown percentages; NaN when none is shown) and ``site_order`` (0 for
        the top row). Sites are sorted by ``site_mean``, highest first, then by id; a site
        with no shown cell comes last. The order uses shown figures only, so it says
        nothing about a hidden one.
    """
    from .shown import shown_happening

    mask = _mask_for(data, mask, k)
    dist = _shared(data).total("happening_by_site", lambda d: scoring.happening_distribution(
        d, by="site_id"))
    dist = dist.assign(site_id=dist["site_id"].astype(str))
    keys = {s: union_key("site", s) for s in dist["site_id"].unique()}
    dist["union"] = [keys[s] for s in dist["site_id"].tolist()]
    view = shown_happening(_apply_mask(dist, mask, "happening", _STATISTICS["n_asked"]),
                           mask.policy)
    cells = view.drop_duplicates(["site_id", "item_id"]).reset_index(drop=True)
    hidden = cells["suppressed"].astype(bool) & (cells["n_asked_text"] != "0")
    nobody = ~hidden & (cells["n_asked_text"] == "0")
    percent = pd.to_numeric(cells["agree_percent"], errors="coerce").where(~hidden & ~nobody)
    status = np.select([hidden, nobody, percent.isna()],
                       ["hidden", "nobody asked", "not shown"], "shown")
    out = pd.DataFrame({
        "site_id": cells["site_id"],
        "item_id": cells["item_id"].astype(str),
        "union": cells["union"],
        "status": status,
        "rule": np.where(hidden, cells["rule"].replace("", "primary"), ""),
        "percent": percent.where(status == "shown"),
        "agree_text": np.where(hidden | nobody, cells["n_asked_text"],
                               cells["agree_text"]),
        "n_asked_text": cells["n_asked_text"],
    })
    means = out.groupby("site_id", sort=False)["percent"].mean()
    order = sorted(means.index, key=lambda s: (pd.isna(means[s]),
                                               -means[s] if pd.notna(means[s]) else 0, s))
    rank = {s: i for i, s in enumerate(order)}
    out["site_mean"] = out["site_id"].map(means)
    out["site_order"] = out["site_id"].map(rank).astype("int64")
    items = [str(i) for i in _levels_of(data["item_id"])]
    out["item_id"] = pd.Categorical(out["item_id"], categories=items, ordered=True)
    out = out.sort_values(["site_order", "item_id"], kind="stable").reset_index(drop=True)
    out["item_id"] = out["item_id"].astype(str)
    return out


def _levels_of(series: pd.Series) -> list:
    if isinstance(series.dtype, pd.CategoricalDtype):
        return list(series.cat.categories)
    return list(dict.fromkeys(series.astype(str)))


def heatmap_cells(heatmap: pd.DataFrame) -> list[dict]:
    """The disclosure metadata of :func:`site_item_heatmap` (for the audit): per cell, the
    site's "Is this happening here?" answers to the item, hidden with its rule.

    Returns
    -------
    list of dict
        :func:`peerlib.reporting.metadata.cell` records; the size of a shown cell is its
        number asked as shown (the audit takes sizes from the data, never from here).
    """
    sizes = pd.to_numeric(heatmap["n_asked_text"], errors="coerce").fillna(0).tolist()
    return [_cell(r.union, "happening", r.item_id, n,
                  rule=r.rule if r.status == "hidden" else "")
            for r, n in zip(heatmap.astype(object).itertuples(index=False), sizes)]


def heatmap_table(heatmap: pd.DataFrame, *, labels: dict[str, str] | None = None
                  ) -> pd.DataFrame:
    """The data behind the per-site heatmap as readers may download it: one row per site
    (in the heatmap's order) and one text column per item ("46%"; the hidden label, "<k"
    or "–"), with its disclosure metadata (:func:`heatmap_cells`).

    Returns
    -------
    pandas.DataFrame
        ``Site``, then one column per item (named by ``labels`` where given).
    """
    text = np.where(heatmap["status"] == "shown",
                    heatmap["percent"].map(lambda v: "" if pd.isna(v) else f"{v:.0f}%"),
                    np.where(heatmap["status"] == "nobody asked", DASH,
                             heatmap["agree_text"]))
    frame = heatmap.assign(text=text)
    items = list(dict.fromkeys(frame["item_id"]))
    wide = frame.pivot(index="site_id", columns="item_id", values="text")
    wide = wide.reindex(index=list(dict.fromkeys(frame["site_id"])), columns=items)
    wide.columns = [(labels or {}).get(i, i) for i in items]
    wide = wide.reset_index().rename(columns={"site_id": "Site"})
    wide.columns.name = None
    return with_cells(wide, heatmap_cells(heatmap))

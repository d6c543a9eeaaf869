"""One disclosure mask for the whole batch: which published figures are hidden, and why.

Every figure the batch publishes about people is a sum over *atoms*: the participants of one
site with one role (for importance, the answers of one item in that cell; for Part 2, the
participants with a coded transcript). A published *group* (a site, "all other sites", a
sector, "All", a role, a role at a site, an organisation type) is a union of atoms. For each
*family* of figures that add up over the same atoms (participant counts; the answers to
"Is this happening here?" of every item; the importance answers of one item; the Part 2
theme counts), this module collects every group that any report of the batch publishes (the
*catalogue*), then decides:

- **primary suppression**: a group of 1 to ``k - 1`` (for means, ``policy.mean_k - 1``) is
  hidden; a group of 0 is shown (zero is a real count, see :mod:`.policy`);
- **secondary suppression**: no hidden group, no single small atom and no pair of small atoms
  of one site may lie in the linear span of the published groups (the figures a reader could
  add and subtract: site against all other sites, sector and "All" totals, roles, the
  data-quality report's per-site counts, the framework matrix's role labels...). Atoms known
  to be zero count as published. A fast first pass hides, in every published partition (a
  total and its parts) that has exactly one hidden part, or hidden parts holding fewer than
  ``k`` together, the smallest other part; then an
  exact check (the indicator vector of each protected set projected on the row space of the
  published groups, by SVD) finds what is still recoverable, and the smallest published group
  that the recovery needs is hidden, until nothing small is recoverable;
- **bounds**: for "Is this happening here?", item by item, no small set's count of one
  answer may be pinned to a single value by the published counts, sizes and the fact that
  counts lie between 0 and the group's size (:mod:`.intervals`, linear programming); a
  cross-site breakdown (a role, a sector) whose figures pin one is hidden for that item
  before a site's own figures, and the exact check is run again. The same is done for who
  answered each item's importance question (answered or not, per small set), since a
  group's importance ``n`` with its known size gives its count of missing answers, and for
  what a small set rated: a shown mean and SD with the group's ``n`` are its sum of scores
  and its sum of squared scores, which bound every small set's count of each score;
- **composition**: every empty role cell of a site reads "<k" as a small one does (a "0"
  beside the sector's published count of the role could give another site's small count
  away), and the participant counts are bounded as their labels say ("<k" is 0 to
  ``k - 1``, "hidden" ``k`` or more): where a small role count is still pinned, a role
  count of ``k`` or more is hidden (:func:`_cover_composition`).

Groups that are published whatever the mask says (*forced*: the study's sample composition
at sector level, which DESIGN.md shows as is; the number of participants with a coded
transcript) are never hidden; a small set recoverable from them alone is recorded with the
rule ``public`` instead of failing. The framework matrix is not forced: it lists the rows of
a site only where the mask shows that site's Part 2 group
(:func:`peerlib.part2.framework.publish_matrix`), so its row counts are ordinary published
groups that secondary suppression accounts for.

Libraries evaluated
-------------------
Statistical offices protect linked tables with tau-ARGUS (its modular and hypercube
secondary-suppression methods) or R's sdcTable (``protectTable``). ``pytauargus`` (PyPI) only
writes batch files for, and runs, the tau-ARGUS executable, a Windows/Java program that
cannot be installed from PyPI, Debian or npm here; sdcTable is an R package (and would bring
R and GLPK into a Python workbench). Both also model tables as hierarchies of one cross-
classification, while our batch publishes many overlapping views (every site against its
complement, sectors, roles, per-site counts, matrix labels) that are easiest to express as
unions of atoms. So the linear-algebra audit above is our own, kept small and vectorised
(numpy); it checks exact recoverability (what addition and subtraction give away), and the
feasibility intervals of answer counts come from the HiGHS solver (``highspy``). Importance
means are protected by the exact check only (their bounds are not audited).

References
----------
Hundepool, A. et al. (2012). Statistical Disclosure Control, ch. 4 (magnitude and frequency
tables, secondary suppression, linked tables). Wiley.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from .intervals import (ANSWERED_OPTIONS, answer_counts, answered_counts, composition_pins,
                        interval_leaks, score_counts, score_measures)
from .policy import DEFAULT_POLICY, DisclosurePolicy

__all__ = [
    "split_leaks",
    "STATISTICS",
    "SITE_ATTRIBUTES",
    "site_attributes",
    "importance_scale",
    "MASK_COLUMNS",
    "union_key",
    "atoms_table",
    "protect",
    "catalogue",
    "batch_mask",
    "DisclosureMask",
    "write_mask",
    "read_mask",
]

#: Families of figures: participant counts, "Is this happening here?" answers (the same
#: groups for every item, then more hidden item by item where bounds pin a small set's
#: answers), importance answers (per item), Part 2 theme counts (participants with coded
#: transcripts).
STATISTICS = ("participants", "happening", "importance", "themes")
#: Site-register attributes of the prepared data that Part 2 tables group sites by (besides
#: ``sector`` and ``organisation_type``, which have their own kinds of group):
#: ``attr:<column>|<value>`` covers the atoms of the sites with that value. These are the
#: long table's own; a study's added register columns come with the data
#: (:func:`site_attributes`).
SITE_ATTRIBUTES = ("bme_focus",)
#: Columns of the long table (and of :func:`atoms_table`) that are not site attributes.
_NOT_ATTRIBUTES = frozenset({"participant_id", "site_id", "site_name", "organisation_type",
                             "sector", "role", "section", "item_id", "happening",
                             "importance", "aliases", "participants", "themes"})
#: Columns of the tidy mask table.
MASK_COLUMNS = ["report", "table", "group", "union", "item", "statistic", "n", "hidden",
                "rule", "policy", "k"]
_ATOM_KEYS = ["site_id", "role"]
#: Kinds of Part 2 group hidden before a site's own group when secondary suppression has a
#: choice (a hidden site takes its participants' rows out of the published matrix).
_BREAKDOWNS = ("sector", "orgtype", "attr", "role", "site_role", "sector_role")
_TOL = 1e-8
#: Families decided item by item.
_PER_ITEM = ("importance", "happening")


# ---------------------------------------------------------------------- unions of atoms
def site_attributes(frame: pd.DataFrame) -> list[str]:
    """The site attributes a table carries, in column order: :data:`SITE_ATTRIBUTES` and
    every other column that has one value per site, apart from the long table's own
    (participant, site, sector, organisation type, role, item, answers).

    Parameters
    ----------
    frame : pandas.DataFrame
        The prepared long table, with the register's attributes a study added as columns
        (:func:`peerlib.part1.prepare.with_site_attributes`: ``region``, ``setting``...),
        or :func:`atoms_table`.

    Returns
    -------
    list of str
        The columns whose ``attr:<column>|<value>`` groups the Part 2 cross-case tables
        publish (:func:`catalogue`). A column whose values differ within a site is not a
        site attribute and is left out.
    """
    cols = [c for c in frame.columns if c in SITE_ATTRIBUTES or (
        c not in _NOT_ATTRIBUTES and not str(c).startswith("importance:"))]
    if not cols or "site_id" not in frame.columns or not len(frame):
        return cols
    varies = frame[["site_id", *cols]].astype(str).groupby("site_id")[cols].nunique().max()
    return [c for c in cols if int(varies[c]) <= 1]


def union_key(kind: str, *values: object) -> str:
    """The key of a published group: ``all``, ``site:S01``, ``others:S01``,
    ``sector:NHS``, ``role:Peer worker``, ``orgtype:Partnership``,
    ``site_role:S01|Peer worker``, ``sector_role:NHS|Peer worker`` or
    ``attr:bme_focus|True``, ``attr:region|North`` (the sites with that value of a register
    attribute, :func:`site_attributes`)."""
    if kind == "all":
        return "all"
    return f"{kind}:" + "|".join(str(v) for v in values)


class _Members:
    """Which atoms each union key covers (bool rows), computed once per key."""

    def __init__(self, atoms: pd.DataFrame):
        self.n = len(atoms)
        self._atoms = atoms
        self._index: dict[tuple[str, str], np.ndarray] = {}
        for col, kind in (("site_id", "site"), ("sector", "sector"), ("role", "role"),
                          ("organisation_type", "orgtype")):
            codes, uniques = pd.factorize(atoms[col].astype(str))
            for code, value in enumerate(uniques):
                self._index[(kind, str(value))] = codes == code
        self._cache: dict[str, np.ndarray] = {}

    def _get(self, kind: str, value: str) -> np.ndarray:
        return self._index.get((kind, value), np.zeros(self.n, dtype=bool))

    def __call__(self, key: str) -> np.ndarray:
        if key in self._cache:
            return self._cache[key]
        if key == "all":
            row = np.ones(self.n, dtype=bool)
        else:
            kind, _, value = key.partition(":")
            if kind in ("site", "sector", "role", "orgtype"):
                row = self._get(kind, value)
            elif kind == "others":
                row = ~self._get("site", value)
            elif kind == "attr":
                column, _, level = value.partition("|")
                if column not in self._atoms.columns:
                    raise ValueError(f"Unknown site attribute in published group {key!r}")
                row = (self._atoms[column].astype(str) == level).to_numpy()
            elif kind in ("site_role", "sector_role"):
                first, _, role = value.rpartition("|")
                row = self._get("site" if kind == "site_role" else "sector", first) & \
                    self._get("role", role)
            else:
                raise ValueError(f"Unknown kind of published group {key!r}")
        self._cache[key] = row
        return row


def atoms_table(data: pd.DataFrame, *, coded: Iterable[str] | None = None) -> pd.DataFrame:
    """The atoms of a data set: one row per site x role that has participants.

    Parameters
    ----------
    data : pandas.DataFrame
        The prepared long table (participant x item).
    coded : iterable of str, optional
        Pseudonyms of the participants with a coded Part 2 transcript.

    Returns
    -------
    pandas.DataFrame
        ``site_id``, ``role``, ``sector``, ``organisation_type`` (text), the site
        attributes of ``data`` (:func:`site_attributes`, text), ``participants``
        (count), ``themes`` (participants with a coded transcript; 0 without ``coded``) and
        one column ``importance:<item>`` per item (importance answers given).
    """
    frame = data.assign(site_id=data["site_id"].astype(str), role=data["role"].astype(str),
                        sector=data["sector"].astype(str),
                        organisation_type=data["organisation_type"].astype(str),
                        item_id=data["item_id"].astype(str))
    people = frame.drop_duplicates("participant_id")
    extra = {c: (c, "first") for c in site_attributes(people)}
    people = people.assign(**{c: people[c].astype(str) for c in extra})
    atoms = (people.groupby(_ATOM_KEYS, sort=False)
             .agg(sector=("sector", "first"), organisation_type=("organisation_type", "first"),
                  **extra, participants=("participant_id", "size")).reset_index())
    ids = set(str(c) for c in coded) if coded is not None else set()
    themes = people[people["participant_id"].astype(str).isin(ids)].groupby(
        _ATOM_KEYS).size()
    atoms["themes"] = [int(themes.get((s, r), 0)) for s, r in
                       zip(atoms["site_id"], atoms["role"])]
    answered = frame[frame["importance"].notna()].groupby(
        [*_ATOM_KEYS, "item_id"]).size().unstack("item_id", fill_value=0)
    answered = answered.reindex(pd.MultiIndex.from_frame(atoms[_ATOM_KEYS]), fill_value=0)
    for item in _items(data):
        values = answered[item].to_numpy() if item in answered.columns else 0
        atoms[f"importance:{item}"] = np.asarray(values, dtype=int) * np.ones(len(atoms), int)
    return atoms


def _items(data: pd.DataFrame) -> list[str]:
    col = data["item_id"]
    if isinstance(col.dtype, pd.CategoricalDtype):  # the categories present, in order
        codes = col.cat.codes.to_numpy()
        return [str(c) for c in col.cat.categories[np.unique(codes[codes >= 0])]]
    return sorted(col.astype(str).unique().tolist())


# ---------------------------------------------------------------------- the solver
class _RowSpace:
    """The row space of a 0/1 matrix (published groups x atoms), for recoverability tests.

    Computed through the Gram matrix (groups x groups, symmetric eigen-decomposition), which
    is small whatever the number of atoms: ``basis`` is an orthonormal basis (atoms x rank).
    A vector ``v`` lies in the row space exactly when its projection keeps its length.
    """

    def __init__(self, matrix: np.ndarray):
        self.matrix = matrix
        if matrix.size == 0 or not matrix.any():
            self.basis = np.zeros((matrix.shape[1], 0))
            self._coef = np.zeros((len(matrix), 0))
            return
        gram = matrix @ matrix.T
        vals, vecs = np.linalg.eigh(gram)
        keep = vals > 1e-9 * max(1.0, float(vals[-1]))
        vals, vecs = vals[keep], vecs[:, keep]
        self._coef = vecs / vals  # groups x rank: coefficients giving A^T c = projection
        self._vecs = vecs
        self.basis = matrix.T @ (vecs / np.sqrt(vals))

    def contains(self, vectors: np.ndarray) -> np.ndarray:
        """Which rows of ``vectors`` (k x atoms) lie in the row space."""
        if len(vectors) == 0:
            return np.zeros(0, dtype=bool)
        proj = vectors @ self.basis
        return np.abs((proj * proj).sum(axis=1) - (vectors * vectors).sum(axis=1)) < 1e-7

    def contains_atoms(self, atoms: np.ndarray) -> np.ndarray:
        """Which single atoms (indices) lie in the row space."""
        rows = self.basis[atoms]
        return np.abs((rows * rows).sum(axis=1) - 1.0) < 1e-7

    def contains_pairs(self, pairs: np.ndarray) -> np.ndarray:
        """Which pairs of atoms (indices, shape p x 2), as one set, lie in the row space."""
        if len(pairs) == 0:
            return np.zeros(0, dtype=bool)
        rows = self.basis[pairs[:, 0]] + self.basis[pairs[:, 1]]
        return np.abs((rows * rows).sum(axis=1) - 2.0) < 1e-7

    def combination(self, vector: np.ndarray) -> np.ndarray:
        """Coefficients ``c`` (one per group, minimum norm) with ``matrix.T @ c`` = the
        vector's projection."""
        if self._coef.shape[1] == 0:
            return np.zeros(len(self.matrix))
        return self._coef @ (self._vecs.T @ (self.matrix @ vector))


def protect(sizes: Sequence[int], members: np.ndarray, *, k: int,
            forced: Sequence[bool] | None = None,
            partitions: Sequence[tuple[int, Sequence[int]]] = (),
            atom_site: Sequence[object] | None = None,
            prefer: Sequence[bool] | None = None,
            hide: Sequence[bool] | None = None,
            max_rounds: int = 10_000) -> tuple[np.ndarray, np.ndarray]:
    """Primary and secondary suppression of published groups over atoms (one family).

    Parameters
    ----------
    sizes : sequence of int, length a
        People (or answers) in each atom.
    members : numpy.ndarray of bool, shape (m, a)
        Row g: the atoms that published group g adds up.
    k : int
        Groups of 1 to ``k - 1`` are hidden; so are small sets of atoms recoverable from
        the published groups.
    forced : sequence of bool, length m, optional
        Groups that are published whatever happens (never hidden).
    partitions : sequence of (int, sequence of int)
        Published totals and their parts (row indices), for the fast first pass.
    atom_site : sequence, length a, optional
        The site of each atom: pairs of small atoms of one site are protected too.
    prefer : sequence of bool, length m, optional
        Groups to hide first when a choice is needed (e.g. those another family already
        hides, so that readers see the same groups hidden across tables).
    hide : sequence of bool, length m, optional
        Groups hidden from the start (rule "secondary") because another family's figures
        would give them away (an importance ``n`` plus the data-quality count of missing
        importance answers is a group's size, so where the participant count is hidden the
        importance figures are too). They are protected against subtraction like any
        hidden group. Groups of 0 are hidden this way too (0 answers beside the count of
        missing ones is the size); forced groups never are.
    max_rounds : int
        Safety bound on the rounds of the exact check.

    Returns
    -------
    hidden : numpy.ndarray of bool, shape (m,)
    rule : numpy.ndarray of str, shape (m,)
        "" (shown), "primary", "secondary" or "public" (a small group that is forced:
        shown). A hidden group whose figures follow from the forced groups alone stays
        hidden, but no more is hidden to protect it (nothing could).

    Raises
    ------
    RuntimeError
        When ``max_rounds`` rounds did not protect every small set (a bug).

    Notes
    -----
    Atoms of size 0 are dropped: they add nothing to any sum (a reader who knows they are
    empty learns nothing more). A protected set (a hidden group, a small atom, two small
    atoms of one site) is recoverable when its indicator vector lies in the row space of
    the shown groups. The greedy repair hides, for each recoverable set, the smallest
    shown group that its minimum-norm combination uses; it may hide more than an optimal
    (LP) solution would, never less than needed.
    """
    from threadpoolctl import threadpool_limits

    sizes = np.asarray(sizes, dtype=float)
    members = np.asarray(members, dtype=bool).reshape(-1, len(sizes))
    m = len(members)
    forced = np.zeros(m, bool) if forced is None else np.asarray(forced, dtype=bool)
    n = members.astype(float) @ sizes
    rule = np.full(m, "", dtype=object)
    small = (n > 0) & (n < k)
    hidden = small & ~forced
    rule[hidden] = "primary"
    rule[small & forced] = "public"
    hideable = ~forced & (n > 0)
    if hide is not None:
        linked = np.asarray(hide, dtype=bool) & ~forced & ~hidden
        hidden |= linked
        rule[linked] = "secondary"
    rank = np.zeros(m, int) if prefer is None else (~np.asarray(prefer, bool)).astype(int)

    # fast first pass: in a shown total with exactly one hidden part, or hidden parts of
    # fewer than k together, hide the smallest other
    changed = True
    while changed and partitions:
        changed = False
        for parent, children in partitions:
            children = [c for c in children if n[c] > 0]
            if hidden[parent] or len(children) < 2:
                continue
            held = sum(n[c] for c in children if hidden[c])
            if sum(hidden[c] for c in children) != 1 and not 0 < held < k:
                continue  # none hidden, or hidden parts that hold k or more together
            options = [c for c in children if not hidden[c] and hideable[c]]
            if options:
                pick = min(options, key=lambda c: (rank[c], n[c], c))
                hidden[pick], rule[pick] = True, "secondary"
                changed = True

    nz = sizes > 0
    if not nz.any():
        return hidden, rule.astype(str)
    mat = members[:, nz].astype(float)
    s = sizes[nz]
    n_atoms = int(nz.sum())
    small_atoms = np.flatnonzero(s < k)
    pairs = np.zeros((0, 2), dtype=int)
    if atom_site is not None and len(small_atoms) > 1:
        codes = pd.factorize(pd.Series(np.asarray(atom_site, dtype=object)[nz]))[0]
        by_site: dict[int, list[int]] = {}
        for j in small_atoms:
            by_site.setdefault(int(codes[j]), []).append(int(j))
        found = [(i, j) for group in by_site.values() for a, i in enumerate(group)
                 for j in group[a + 1:] if s[i] + s[j] < k]
        if found:
            pairs = np.array(found, dtype=int)
    with threadpool_limits(1):  # small matrices: threads only contend
        public = _RowSpace(mat[forced])
        small_atoms = small_atoms[~public.contains_atoms(small_atoms)]
        pairs = pairs[~public.contains_pairs(pairs)]
        public_group = np.zeros(m, bool)
        for _ in range(max_rounds):
            space = _RowSpace(mat[~hidden])
            groups = np.flatnonzero(hidden & (n > 0) & ~public_group)
            leaks: list[np.ndarray] = []
            for g in groups[space.contains(mat[groups])]:
                if public.contains(mat[g][None])[0]:
                    public_group[g] = True  # follows from forced groups alone
                else:
                    leaks.append(mat[g])
            eye = np.eye(n_atoms)
            leaks += [eye[j] for j in small_atoms[space.contains_atoms(small_atoms)]]
            leaks += [eye[i] + eye[j] for i, j in pairs[space.contains_pairs(pairs)]]
            if not leaks:
                return hidden, rule.astype(str)
            shown_rows = np.flatnonzero(~hidden)
            picked = False
            for v in leaks:
                coef = space.combination(v)
                used = shown_rows[np.abs(coef) > 1e-9]
                if any(hidden[r] for r in used):
                    continue  # a group hidden this round may already protect it: re-check
                options = [r for r in used if hideable[r]]
                if options:
                    pick = min(options, key=lambda r: (rank[r], n[r], r))
                    hidden[pick], rule[pick] = True, "secondary"
                    picked = True
            if not picked:  # pragma: no cover - every leak involves a hideable group
                raise RuntimeError("disclosure: secondary suppression made no progress")
    raise RuntimeError(f"disclosure: secondary suppression needed more than {max_rounds} "
                       "rounds")


# ---------------------------------------------------------------------- the catalogue
def catalogue(data: pd.DataFrame, *, site_ids: Sequence[str] | None = None,
              coded: Iterable[str] | None = None, cross_site: bool = True,
              data_quality: bool = True) -> pd.DataFrame:
    """Every group the batch's reports publish, table by table.

    Parameters
    ----------
    data : pandas.DataFrame
        The prepared long table.
    site_ids : sequence of str, optional
        The sites with a site report (default: every site in ``data``). Reports of sites
        not in the batch are protected too when given as part of ``site_ids``.
    coded : iterable of str, optional
        Participants with a coded Part 2 transcript; None when there is no framework report.
    cross_site, data_quality : bool
        Whether those reports are part of the batch.

    Returns
    -------
    pandas.DataFrame
        ``report`` (``data_quality``, ``site:<id>``, ``cross_site``, ``framework``),
        ``table``, ``group`` (as readers see it), ``union`` (:func:`union_key`), ``item``
        ("" when the figure is not per item), ``statistic`` (:data:`STATISTICS`) and
        ``forced`` (published whatever the mask says).
    """
    people = data.drop_duplicates("participant_id")
    sites = list(dict.fromkeys(people["site_id"].astype(str)))
    report_sites = [str(s) for s in site_ids] if site_ids is not None else sites
    roles = list(dict.fromkeys(people["role"].astype(str)))
    sectors = list(dict.fromkeys(people["sector"].astype(str)))
    orgtypes = list(dict.fromkeys(people["organisation_type"].astype(str)))
    items = _items(data)
    pairs = people[["site_id", "role"]].astype(str).drop_duplicates()
    rows: list[tuple] = []

    def add(report, table, group, union, item, statistic, forced=False):
        rows.append((report, table, group, union, item, statistic, forced))

    if data_quality:
        for s in sites:
            add("data_quality", "interview_counts", s, union_key("site", s), "", "participants")
            for r in roles:
                add("data_quality", "interview_counts", f"{s} {r}",
                    union_key("site_role", s, r), "", "participants")
            for i in items:
                for stat in ("happening", "importance"):
                    add("data_quality", "missing_answers", s, union_key("site", s), i, stat)
    for s in report_sites:
        rep = f"site:{s}"
        add(rep, "sample", "Total", union_key("site", s), "", "participants")
        for r in roles:
            add(rep, "sample", r, union_key("site_role", s, r), "", "participants")
            add(rep, "sample", f"All sites {r}", union_key("role", r), "", "participants",
                True)
        add(rep, "sample", "All sites Total", "all", "", "participants", True)
        for i in items:
            for stat in ("happening", "importance"):
                table = "happening" if stat == "happening" else "importance"
                add(rep, table, "This site", union_key("site", s), i, stat)
                add(rep, table, "All other sites", union_key("others", s), i, stat)
                add(rep, "ipa", "This site", union_key("site", s), i, stat)
        if coded is not None:
            for r in pairs.loc[pairs["site_id"] == s, "role"]:
                add(rep, "quotes", r, union_key("site_role", s, r), "", "themes")
    if cross_site:
        for x in sectors:
            for r in roles:
                add("cross_site", "sample", f"{x} {r}", union_key("sector_role", x, r), "",
                    "participants", True)
            add("cross_site", "sample", x, union_key("sector", x), "", "participants", True)
        for r in roles:
            add("cross_site", "sample", r, union_key("role", r), "", "participants", True)
        add("cross_site", "sample", "Total", "all", "", "participants", True)
        for i in items:
            for x in sectors:
                add("cross_site", "happening_by_sector", x, union_key("sector", x), i,
                    "happening")
                add("cross_site", "importance_by_sector", x, union_key("sector", x), i,
                    "importance")
                add("cross_site", "ipa_by_sector", x, union_key("sector", x), i, "happening")
                add("cross_site", "ipa_by_sector", x, union_key("sector", x), i, "importance")
            add("cross_site", "importance_by_sector", "All", "all", i, "importance")
            for r in roles:
                add("cross_site", "happening_by_role", r, union_key("role", r), i, "happening")
                add("cross_site", "importance_by_role", r, union_key("role", r), i,
                    "importance")
            add("cross_site", "ipa", "All", "all", i, "happening")
            add("cross_site", "ipa", "All", "all", i, "importance")
    if coded is not None:
        add("framework", "coding_summary", "All", "all", "", "themes", True)
        for s in sites:
            add("framework", "matrix", s, union_key("site", s), "", "themes")
            add("framework", "site_synthesis", s, union_key("site", s), "", "themes")
            add("framework", "summaries", s, union_key("site", s), "", "themes")
        for s, r in pairs.itertuples(index=False):
            add("framework", "matrix", f"{s} {r}", union_key("site_role", s, r), "", "themes")
        for x in sectors:
            add("framework", "theme_patterns", x, union_key("sector", x), "", "themes")
        for o in orgtypes:
            add("framework", "theme_patterns", o, union_key("orgtype", o), "", "themes")
            add("framework", "cross_case", o, union_key("orgtype", o), "", "themes")
        for x in sectors:  # cross-case by sector, organisation type and every attribute
            add("framework", "cross_case", x, union_key("sector", x), "", "themes")
        for col in site_attributes(people):
            for v in dict.fromkeys(people[col].astype(str)):
                add("framework", "cross_case", f"{col} {v}", union_key("attr", col, v),
                    "", "themes")
        for r in roles:
            add("framework", "theme_patterns", r, union_key("role", r), "", "themes")
        add("framework", "theme_patterns", "All", "all", "", "themes")
        add("framework", "cooccurrence", "All", "all", "", "themes")
        # Part 1 x Part 2: the groups who spoke to a theme or not, together everyone
        # with a coded transcript (peerlib.part2.linkage)
        add("framework", "linkage", "All", "all", "", "themes")
    return pd.DataFrame(rows, columns=["report", "table", "group", "union", "item",
                                       "statistic", "forced"])


def _partitions(keys: list[str], atoms: pd.DataFrame) -> list[tuple[int, list[int]]]:
    """Published totals and their published parts among ``keys`` (indices)."""
    pos = {key: i for i, key in enumerate(keys)}
    site_list = atoms["site_id"].tolist()
    sites = list(dict.fromkeys(site_list))
    sector_sites: dict[str, list[str]] = {}
    site_roles: dict[str, list[str]] = {}
    for site, sector, role in zip(site_list, atoms["sector"].tolist(), atoms["role"].tolist()):
        sector_sites.setdefault(sector, [])
        if site not in sector_sites[sector]:
            sector_sites[sector].append(site)
        site_roles.setdefault(site, []).append(role)
    out: list[tuple[int, list[int]]] = []

    def part(parent: str, children: list[str]):
        if parent in pos and children and all(c in pos for c in children):
            out.append((pos[parent], [pos[c] for c in children]))

    for x, members in sector_sites.items():  # finest first: a partner in the same sector
        part(union_key("sector", x), [union_key("site", s) for s in members])
    part("all", [union_key("sector", x) for x in sector_sites])
    part("all", [union_key("site", s) for s in sites])
    part("all", [union_key("role", r) for r in dict.fromkeys(atoms["role"].tolist())])
    part("all", [union_key("orgtype", o)
                 for o in dict.fromkeys(atoms["organisation_type"].tolist())])
    for col in site_attributes(atoms):
        part("all", [union_key("attr", col, v) for v in dict.fromkeys(atoms[col].tolist())])
    for s in sites:
        part("all", [union_key("site", s), union_key("others", s)])
        part(union_key("site", s), [union_key("site_role", s, r) for r in site_roles[s]])
    return out


def _solve(keys: list[str], atoms: pd.DataFrame, sizes: np.ndarray, forced: np.ndarray,
           k: int, prefer: np.ndarray | None = None, member: _Members | None = None,
           merge_identical: bool = False, hide: np.ndarray | None = None,
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`protect` on the groups ``keys``; with ``merge_identical``, groups that cover
    the same people under different names (a lone voluntary site, its sector and its
    organisation type) are decided once, together: forced when any name is forced,
    preferred for hiding only when every name is."""
    member = member or _Members(atoms)
    members = np.array([member(key) for key in keys]).reshape(len(keys), len(atoms))
    n = members.astype(int) @ np.asarray(sizes, dtype=int)
    if not merge_identical:
        hidden, rule = protect(sizes, members, k=k, forced=forced,
                               partitions=_partitions(keys, atoms),
                               atom_site=atoms["site_id"].to_numpy(), prefer=prefer,
                               hide=hide)
        return hidden, rule, n
    nz = np.asarray(sizes) > 0
    first: dict[bytes, int] = {}
    inverse = np.array([first.setdefault(row[nz].tobytes(), len(first)) for row in members],
                       dtype=int)
    reps = np.array([int(np.flatnonzero(inverse == u)[0]) for u in range(len(first))],
                    dtype=int)
    u_forced = np.array([forced[inverse == u].any() for u in range(len(first))], dtype=bool)
    u_prefer = None if prefer is None else np.array(
        [np.asarray(prefer)[inverse == u].all() for u in range(len(first))], dtype=bool)
    parts = []
    for parent, children in _partitions(keys, atoms):
        kids = list(dict.fromkeys(int(inverse[c]) for c in children))
        if int(inverse[parent]) not in kids and len(kids) == len(children):
            parts.append((int(inverse[parent]), kids))
    u_hide = None if hide is None else np.array(
        [np.asarray(hide)[inverse == u].any() for u in range(len(first))], dtype=bool)
    hidden, rule = protect(sizes, members[reps], k=k, forced=u_forced, partitions=parts,
                           atom_site=atoms["site_id"].to_numpy(), prefer=u_prefer,
                           hide=u_hide)
    return hidden[inverse], rule[inverse], n


def _protected_sets(atoms: pd.DataFrame, member: _Members, decisions: dict, k: int,
                    sizes: np.ndarray) -> list[tuple[str, np.ndarray]]:
    """The sets whose answers must not be pinned: hidden groups of 1 to k-1 people, site x
    role cells of fewer than k, and two such cells of one site (as :func:`protect`)."""
    out = [(key, member(key)) for key, (h, _, n) in decisions.items() if h and 0 < n < k]
    small = np.flatnonzero((sizes > 0) & (sizes < k))
    eye = np.eye(len(sizes), dtype=bool)
    site, role = atoms["site_id"].to_numpy(), atoms["role"].to_numpy()
    out += [(f"site_role:{site[j]}|{role[j]}", eye[j]) for j in small]
    for a, i in enumerate(small):
        for j in small[a + 1:]:
            if site[i] == site[j] and sizes[i] + sizes[j] < k:
                out.append((f"site_role:{site[i]}|{role[i]} and {role[j]}", eye[i] | eye[j]))
    return out


def split_leaks(data: pd.DataFrame, item: str, splits: Sequence[set[str]], *,
                coded: Iterable[str], shown: Sequence[str] | None, k: int,
                response: str = "happening") -> list:
    """Answers of a few people that groups cutting across sites and roles would give away.

    A table such as the Part 1 x Part 2 comparison (:mod:`peerlib.part2.linkage`) publishes
    the "Is this happening here?" answers of groups that are not unions of sites and roles:
    the participants with a coded transcript who spoke to a theme, and those who did not.
    The framework report also publishes how many of each site's participants spoke to the
    theme ("5 of 7"), so each such group is a union of known pieces (a site's 2 who did not
    speak to it). Set beside the site reports and the cross-site figures, a zero in one
    group and a zero at one site can leave those 2 people a single possible answer.

    The same bounds as the mask's (:func:`.intervals.interval_leaks`) are run on finer
    atoms: site x role x membership of every split (and of the coded participants). The
    reader is taken to know every atom's size, the distributions of the groups in
    ``shown`` and of every split group (members and non-members among the coded). The
    sets protected are every finer atom and every site's part of a split group, in or out,
    with 1 to ``k - 1`` people. Only what the splits add counts: a set pinned as much
    without the split groups is the mask's matter, not theirs.

    Parameters
    ----------
    data : pandas.DataFrame
        The prepared long table (participant x item).
    item : str
        The Part 1 item.
    splits : sequence of set of str
        For each split published for the item, the pseudonyms of its members ("spoke to
        the theme"); its other group is the rest of ``coded``.
    coded : iterable of str
        Pseudonyms of the participants with a coded transcript.
    shown : sequence of str or None
        Union keys (:func:`union_key`) of the groups whose answers to ``item`` are
        published (the batch's mask: those it does not hide). None: every site, the
        others of every site, every role, sector and organisation type, and everyone
        (more than any batch publishes, so more is protected).
    k : int
        Minimum group size.
    response : str
        "happening": the answers to "Is this happening here?" (every option, Missing
        included). "importance": who answered the importance question and who did not
        (:data:`.intervals.ANSWERED_OPTIONS`; a group's mean importance comes with the
        number of answers behind it, and its size is known).

    Returns
    -------
    list of peerlib.disclosure.intervals.IntervalLeak
        Empty when the split groups pin nothing; else each pinned set and answer (``what``
        names the site, role and which side of each split).

    Raises
    ------
    ValueError
        When ``response`` is neither "happening" nor "importance".

    References
    ----------
    Feasibility intervals for audited tables: Hundepool et al. (2012), section 4.3.
    """
    frame = data[data["item_id"].astype(str) == str(item)]
    if frame.empty or not splits:
        return []
    ids = frame["participant_id"].astype(str)
    coded = set(map(str, coded))
    is_in = {"coded": ids.isin(coded)}  # the finer atoms' extra keys (bool columns)
    for j, members in enumerate(splits):
        is_in[f"in{j}"] = ids.isin(set(map(str, members))) & is_in["coded"]
    cols = ["site_id", "role", "sector", "organisation_type",
            *site_attributes(frame.drop_duplicates("participant_id"))]
    # a table without sites or roles (a hand-made one) is one site of one role
    people = frame.assign(**{c: frame[c].astype(str) if c in frame.columns else "(none)"
                             for c in cols}, **is_in)
    if response == "importance":
        options = list(ANSWERED_OPTIONS)
        answer = pd.Series(np.where(people["importance"].notna().to_numpy(), options[0],
                                    options[1]), index=people.index)
    elif response == "happening":
        options = [str(c) for c in frame["happening"].cat.categories]
        answer = people["happening"].astype(str)
    else:
        raise ValueError(f"response must be 'happening' or 'importance', not {response!r}")
    table = pd.crosstab([people[c] for c in [*cols, *is_in]], answer).reindex(
        columns=options, fill_value=0)
    atoms = table.index.to_frame(index=False)
    counts = table.to_numpy(dtype=float)
    sizes = counts.sum(axis=1)
    member = _Members(atoms)
    if shown is None:
        shown = ["all"] + [union_key(kind, v) for kind, col in (
            ("site", "site_id"), ("others", "site_id"), ("role", "role"),
            ("sector", "sector"), ("orgtype", "organisation_type"))
            for v in dict.fromkeys(atoms[col])]
    base = [member(key) for key in shown]
    is_coded = atoms["coded"].to_numpy(dtype=bool)
    split_rows = []
    for j in range(len(splits)):
        inside = atoms[f"in{j}"].to_numpy(dtype=bool)
        split_rows += [is_coded & inside, is_coded & ~inside]

    def side(i: int) -> str:
        if not is_coded[i]:
            return "not coded"
        return ", ".join(f"{'in' if atoms[f'in{j}'][i] else 'out of'} split {j}"
                         for j in range(len(splits)))

    protected = []
    small = (sizes > 0) & (sizes < k)
    for i in np.flatnonzero(small):
        protected.append((f"{atoms['site_id'][i]} {atoms['role'][i]} ({side(i)})",
                          np.arange(len(atoms)) == i))
    site = atoms["site_id"].to_numpy()
    for s in dict.fromkeys(site):
        for j, row in enumerate(split_rows):
            part = row & (site == s)
            if 0 < sizes[part].sum() < k:
                protected.append((f"{s} ({'in' if j % 2 == 0 else 'out of'} split {j // 2})",
                                  part))
    if not protected:
        return []

    def leaks(rows):
        shown_rows = np.array(rows, dtype=bool).reshape(len(rows), len(atoms))
        return interval_leaks(counts, options, sizes, shown_rows, protected, item=str(item),
                              atom_site=site, atom_role=atoms["role"].to_numpy())

    before = {(leak.what, leak.option) for leak in leaks(base)} if base else set()
    return [leak for leak in leaks(base + split_rows) if (leak.what, leak.option) not in before]


#: Kinds of "Is this happening here?" group hidden first when a pinned answer count needs a
#: partner hidden: cross-site breakdowns before the site reports' own figures.
_PIN_ORDER = {"role": 0, "sector": 1, "orgtype": 1, "others": 2, "site": 3, "all": 4}


def _in_people(decisions: dict, atoms: pd.DataFrame, member: _Members) -> dict:
    """``decisions`` (key -> (hidden, rule, n)) with ``n`` the people in each group (an
    importance family counts answers)."""
    sizes = atoms["participants"].to_numpy()
    return {key: (h, r, int(sizes[member(key)].sum())) for key, (h, r, _) in decisions.items()}


def _pinned_partners(counts: np.ndarray, options: list[str], atoms: pd.DataFrame,
                     member: _Members, decisions: dict, k: int, item: str, *,
                     sizes: np.ndarray | None = None,
                     measures: np.ndarray | None = None) -> set[str]:
    """Shown groups of one item's family to hide so that no protected set's count is
    pinned by bounds (:mod:`.intervals`): for each pinned count, one of the shown groups
    whose figures pin it (a cross-site breakdown before a site's own figures, then the
    smallest). ``counts`` (atoms x options) are the item's "Is this happening here?"
    answers (:func:`.intervals.answer_counts`) or who answered its importance question
    (:func:`.intervals.answered_counts`); ``decisions`` count people. For importance
    scores (:func:`.intervals.score_counts`, whose shown groups publish a mean and an SD:
    ``measures``), ``sizes`` are the answers per atom, which ``decisions`` and ``k``
    count too."""
    sizes = atoms["participants"].to_numpy() if sizes is None else np.asarray(sizes)
    protected = _protected_sets(atoms, member, decisions, k, sizes)
    keys = [key for key, (h, _, n) in decisions.items() if not h and n > 0]
    if not protected or not keys:
        return set()
    shown = np.array([member(key) for key in keys]).reshape(len(keys), len(atoms))
    n_of = {key: decisions[key][2] for key in keys}
    picks: set[str] = set()
    for leak in interval_leaks(counts, options, sizes, shown, protected, item=item,
                               atom_site=atoms["site_id"].to_numpy(),
                               atom_role=atoms["role"].to_numpy(), measures=measures):
        used = [keys[g] for g in leak.groups]
        if used and not picks & set(used):
            picks.add(min(used, key=lambda key: (_PIN_ORDER.get(key.partition(":")[0], 5),
                                                 n_of[key], key)))
    return picks


def _grid(atoms: pd.DataFrame) -> pd.DataFrame:
    """Every site x role of ``atoms``' sites and roles, the empty ones with 0 participants
    (site columns copied from the site's atoms)."""
    site_cols = [c for c in atoms.columns if c not in ("role", "participants", "themes")
                 and not str(c).startswith("importance:")]
    sites = atoms[site_cols].drop_duplicates("site_id")
    roles = pd.DataFrame({"role": list(dict.fromkeys(atoms["role"]))})
    grid = sites.merge(roles, how="cross")
    sizes = atoms.set_index(["site_id", "role"])["participants"]
    grid["participants"] = sizes.reindex(pd.MultiIndex.from_frame(
        grid[["site_id", "role"]]), fill_value=0).to_numpy(dtype=int)
    return grid


def _cover_composition(atoms: pd.DataFrame, solve, forced: set[str], k: int) -> dict:
    """Participant-count decisions with more hidden until no small count is pinned by
    bounds (:func:`.intervals.composition_pins`).

    A site's role cell of 1 to ``k - 1`` people reads "<k". Were an empty one to read "0",
    a sector where one site reads "<k" and the others "0" would give that site's count
    (the sector's published count of the role), so every empty role cell of a site reads
    "<k" too, and "<k" means "0 to k - 1". Upper bounds can still pin: two "<k" cells that
    the site's total leaves 8 people are 4 and 4. For each pinned set, changes are tried
    one at a time, in this order, until one gives it room: a role count of ``k`` or more
    of the same site (then of the same role and sector, the same sector, the same role)
    hidden. Each change goes through ``solve`` (primary and secondary suppression), which
    hides whatever else the change needs against subtraction. A set pinned by the forced
    figures alone (the sector-level sample composition, and the totals of the groups
    whose answers are shown) and the labels no repair can change (a small group reads
    "<k") keeps its label: nothing hideable would help. (At k = 8 on the demo every site
    reads "<8", and a sector total of 7 times its number of sites says each has 7: that
    is the published sector composition with the primary rule, recorded as it is.)

    Parameters
    ----------
    atoms : pandas.DataFrame
        :func:`atoms_table`.
    solve : callable
        ``solve(hide)``: the participant family's decisions (union key -> (hidden, rule,
        n)) with the groups ``hide`` (a set of keys) hidden from the start.
    forced : set of str
        Groups published whatever the mask says.
    k : int
        The policy's threshold.

    Returns
    -------
    dict
        The decisions; an empty role cell hidden reads "<k": ``(True, "primary", 0)``.

    Raises
    ------
    RuntimeError
        When a pinned set finds no change that gives it room although the forced figures
        alone do not pin it (a bug: hiding every role cell would).
    """
    grid = _grid(atoms)
    member = _Members(grid)
    truth = grid["participants"].to_numpy(dtype=int)
    # Every empty role cell of a site reads "<k", not "0". Shown only where needed, a
    # reader who knows that rule could tell which "<k" cells cannot be disguised zeros
    # and read them as 1 to k-1 (a privacy tester did: five NHS sites "<5" for service
    # users beside the sector's 5 gave 1 each, on the demo); shown for all, "<k" means
    # "0 to k-1" at every site, and no reading of the rule pins it.
    hide: set[str] = {union_key("site_role", site, role) for site, role in
                      grid.loc[truth == 0, ["site_id", "role"]].itertuples(index=False)}
    hide -= set(forced)

    def decide(chosen: set[str]) -> dict:
        decided = solve(chosen)
        return {key: ((True, "primary", 0) if hidden and n == 0
                      and key.startswith("site_role:") else (hidden, rule, n))
                for key, (hidden, rule, n) in decided.items()}

    out = decide(hide)
    keys = [key for key in out if member(key).any()]
    rows_of = {key: member(key) for key in keys}
    single = {key: int(np.flatnonzero(row)[0]) for key, row in rows_of.items()
              if row.sum() == 1}
    protected = _protected_sets(grid, member, out, k, truth)
    if not protected:
        return out
    sets = np.array([v for _, v in protected], dtype=bool)

    def model(decided: dict, loosest: bool = False):
        """Bounds a reader reads from the labels; with ``loosest``, the loosest labels
        any repair could give (forced groups shown, small groups "<k", an empty role cell
        "<k", a count of k or more "hidden")."""
        low = np.zeros(len(grid))
        high = np.full(len(grid), np.inf)
        rows, row_low, row_high = [], [], []
        for key in keys:
            hidden, rule, n = decided[key]
            if loosest and key not in forced:
                hidden = True
                rule = "primary" if n < k and (n > 0 or key.startswith("site_role:")) \
                    else "secondary"
            if not hidden:
                lo = hi = float(n)
            elif rule == "primary":
                # a role cell "<k" may be an empty one shown so; a larger group has people
                lo, hi = (0.0 if key in single else 1.0), float(k - 1)
            else:
                lo, hi = (float(k) if n >= k else 0.0), np.inf
            if key in single:
                j = single[key]
                low[j], high[j] = max(low[j], lo), min(high[j], hi)
            else:
                rows.append(rows_of[key])
                row_low.append(lo)
                row_high.append(hi)
        return (low, high, np.array(rows, dtype=bool).reshape(-1, len(grid)),
                np.array(row_low), np.array(row_high))

    def pins(decided, which=None, loosest=False):
        chosen = sets if which is None else sets[which]
        return composition_pins(truth, *model(decided, loosest), chosen)

    public = np.zeros(len(sets), dtype=bool)
    settled = np.zeros(len(sets), dtype=bool)  # known whether the forced figures pin it
    site, role = grid["site_id"].to_numpy(), grid["role"].to_numpy()
    sector = grid["sector"].to_numpy()
    for _ in range(len(keys) + 1):
        pinned = pins(out)
        ask = np.flatnonzero(pinned & ~settled)
        if len(ask):  # only for pinned sets: most batches have none
            public[ask] = pins(out, ask, loosest=True)
            settled[ask] = True
        pinned = np.flatnonzero(pinned & ~public)
        if not len(pinned):
            return out
        i = int(pinned[0])
        inside = sets[i]
        here_sites, here_roles = set(site[inside]), set(role[inside])
        here_sectors = set(sector[inside])

        def near(j):
            """Where a hidden count of k or more gives the set room first: its own site's
            total, then the sector's count of the role, the sector, the role."""
            same_role, same_site = role[j] in here_roles, site[j] in here_sites
            same_sector = sector[j] in here_sectors
            return (0 if same_site else 1 if same_role and same_sector else
                    2 if same_sector else 3 if same_role else 4), site[j], role[j]

        ranked = sorted((near(j), key) for key, j in single.items()
                        if key.startswith("site_role:") and not out[key][0]
                        and key not in forced and truth[j] >= k)
        # one change at a time among the nearest cells, then as many as it takes
        singles = [key for rank, key in ranked if rank[0] <= 2]
        everything = [key for _, key in ranked]
        for key in singles:
            trial = decide(hide | {key})
            if not pins(trial, [i])[0]:
                hide.add(key)
                out = trial
                break
        else:
            # no one change is enough (the set's room needs counts hidden at two sites,
            # or a count farther away): add them in order until the set has room, then
            # take back each that it does not need
            added: list[str] = []
            for key in everything:
                added.append(key)
                if not pins(decide(hide | set(added)), [i])[0]:
                    break
            else:
                raise RuntimeError("disclosure: no hidden role count gives the pinned set "
                                   f"{protected[i][0]!r} room")
            for key in reversed(added[:-1]):
                fewer = [a for a in added if a != key]
                if not pins(decide(hide | set(fewer)), [i])[0]:
                    added = fewer
            hide.update(added)
            out = decide(hide)
    raise RuntimeError("disclosure: the composition check made no progress")  # pragma: no cover


def importance_scale(data: pd.DataFrame) -> list[int]:
    """The importance scale's scores (codes) of the codebook the data was prepared with
    (``data.attrs["codebook_path"]``, set by :func:`peerlib.load_prepared`), else of the
    packaged codebook.

    Returns
    -------
    list of int
        Ascending, e.g. ``[1, 2, 3, 4]``.
    """
    from ..codebook import load_codebook

    return sorted(load_codebook(data.attrs.get("codebook_path") or None).importance_labels)


def batch_mask(data: pd.DataFrame, policy: DisclosurePolicy = DEFAULT_POLICY, *,
               site_ids: Sequence[str] | None = None, coded: Iterable[str] | None = None,
               cross_site: bool = True, data_quality: bool = True) -> pd.DataFrame:
    """The batch's disclosure mask: for every figure of every report, hidden or not, and why.

    Parameters
    ----------
    data : pandas.DataFrame
        The prepared long table (every site: the reports of all sites are protected
        together).
    policy : DisclosurePolicy
        ``k`` for counts and distributions, ``mean_k`` for importance.
    site_ids, coded, cross_site, data_quality
        What the batch publishes (:func:`catalogue`).

    Returns
    -------
    pandas.DataFrame
        :data:`MASK_COLUMNS`: the catalogue's ``report``, ``table``, ``group``, ``union``,
        ``item``, ``statistic``; ``n`` (people, or importance answers, in the group),
        ``hidden`` (bool), ``rule`` ("", "primary", "secondary", "public"), ``policy`` and
        ``k``. The same group of the same family has the same decision in every report.

    Notes
    -----
    Families are solved in order: "Is this happening here?" answers (one family: every
    item has the same atoms), participant counts (the groups whose answers are shown print
    their ``n``, so those counts are published: forced here), importance per item (every
    group whose participant count is hidden is hidden too: its importance ``n`` plus the
    data-quality report's count of missing importance answers would give its size), then
    Part 2 themes (groups covering the same people decided together; breakdowns hidden
    before sites, whose hiding takes rows out of the framework matrix).
    """
    atoms = atoms_table(data, coded=coded)
    cat = catalogue(data, site_ids=site_ids, coded=coded, cross_site=cross_site,
                    data_quality=data_quality)
    decisions: dict[tuple[str, str, str], tuple[bool, str, int]] = {}
    member = _Members(atoms)
    by_family = {key: frame for key, frame in cat.groupby(
        np.where(cat["statistic"] == "importance", "importance:" + cat["item"],
                 cat["statistic"]), sort=False)}

    def solve(stat: str, item: str, sizes_col: str, k: int,
              extra_forced: set[str] = frozenset(), prefer: set[str] = frozenset(),
              prefer_kinds: tuple[str, ...] = (), merge: bool = False,
              hide: set[str] = frozenset()):
        rows = by_family.get(f"importance:{item}" if stat == "importance" else stat,
                             cat.iloc[:0])
        unions = rows["union"].to_numpy(dtype=object)  # not value by value from Arrow
        keys = list(dict.fromkeys(unions))
        keys += [u for u in sorted(extra_forced) if u not in set(keys)]
        forced_keys = set(unions[rows["forced"].to_numpy(dtype=bool)]) | set(extra_forced)
        forced = np.array([key in forced_keys for key in keys], dtype=bool)
        sizes = atoms[sizes_col].to_numpy()
        liked = np.array([key in prefer or key.partition(":")[0] in prefer_kinds
                          for key in keys], dtype=bool)
        hidden, rule, n = _solve(keys, atoms, sizes, forced, k, liked, member,
                                 merge_identical=merge,
                                 hide=np.array([key in hide for key in keys], dtype=bool))
        return {key: (bool(h), str(r), int(c)) for key, h, r, c in zip(keys, hidden, rule, n)}

    happening = solve("happening", "", "participants", policy.k)
    # bounds, not only subtraction: per item, hide more until no small set's answer count
    # is pinned (the answers differ from item to item, so do the groups that pin them)
    # Every item keeps at least the base pattern hidden: were another partner picked for
    # one item, the n's shown across items would give a hidden group's size away.
    shown: set[str] = set()
    base_hidden = {key for key, (h, _, _) in happening.items() if h}
    answers = answer_counts(data, atoms)  # every item's counts, one pass over the table
    for item in _items(data):
        per_item, pinned = happening, set(base_hidden)
        table, options = answers
        counts = table.get(str(item), np.zeros((len(atoms), len(options))))
        for _ in range(len(happening) + 1):
            more = _pinned_partners(counts, options, atoms, member, per_item, policy.k, item)
            if not more - pinned:
                break
            pinned |= more
            per_item = solve("happening", "", "participants", policy.k, hide=pinned)
        for key, dec in per_item.items():
            decisions[("happening", item, key)] = dec
        shown |= {key for key, (h, _, _) in per_item.items() if not h}
    people_rows = by_family.get("participants", cat.iloc[:0])
    forced_people = set(people_rows.loc[people_rows["forced"], "union"]) | shown
    participants = _cover_composition(
        atoms, lambda hide: solve("participants", "", "participants", policy.k, shown,
                                  hide=hide), forced_people, policy.k)
    for key, dec in participants.items():
        decisions[("participants", "", key)] = dec
    cache: dict[bytes, dict] = {}
    # an importance n plus the data-quality count of missing importance answers is the
    # group's size: where the participant count is hidden, importance is hidden too
    hidden_size = {key for (stat, _, key), (h, _, _) in decisions.items()
                   if stat == "participants" and h}
    # and bounds again: who answered (an importance n of a group whose size is known is its
    # count of missing answers too) must not be pinned for a small set either, nor what a
    # small set answered (a shown mean and SD with n give a group's sum of scores and of
    # their squares; the sector comparison adds its count of the top score)
    scores, score_options = score_counts(data, atoms, importance_scale(data))
    moments = score_measures([float(v) for v in score_options])
    people = atoms["participants"].to_numpy()
    importance_keys = {key: member(key) for key in dict.fromkeys(
        cat.loc[cat["statistic"] == "importance", "union"].to_numpy(dtype=object))}
    for item in _items(data):
        col = f"importance:{item}"
        given = scores.get(str(item), np.zeros((len(atoms), len(score_options))))
        sig = atoms[col].to_numpy().tobytes() + given.tobytes()
        if sig not in cache:
            # a group of 1 to k-1 people is small whatever its answers: an importance n of
            # 0 beside its published size says none of them answered (primary)
            answered = atoms[col].to_numpy()
            empty_small = {key for key, rows in importance_keys.items()
                           if 0 < people[rows].sum() < policy.k and answered[rows].sum() == 0}
            hide = set(hidden_size) | empty_small
            dec = solve("importance", item, col, policy.mean_k, prefer=base_hidden, hide=hide)
            counts, options = answered_counts(atoms, item)
            for _ in range(len(dec) + 1):
                more = _pinned_partners(counts, options, atoms, member,
                                        _in_people(dec, atoms, member), policy.k, item)
                more |= _pinned_partners(given, score_options, atoms, member, dec,
                                         policy.mean_k, item, sizes=atoms[col].to_numpy(),
                                         measures=moments)
                if not more - hide:
                    break
                hide |= more
                dec = solve("importance", item, col, policy.mean_k, prefer=base_hidden,
                            hide=hide)
            cache[sig] = {key: (h, "primary" if key in empty_small and h else r, n)
                          for key, (h, r, n) in dec.items()}
        for key, dec in cache[sig].items():
            decisions[("importance", item, key)] = dec
    if coded is not None:
        # the matrix lists a site's rows only where its group is shown: hide breakdowns
        # (sectors, organisation types, roles, role labels) before whole sites
        for key, dec in solve("themes", "", "themes", policy.k,
                              prefer_kinds=_BREAKDOWNS, merge=True).items():
            decisions[("themes", "", key)] = dec

    out = cat.drop(columns="forced").copy()
    lookup_item = np.where(out["statistic"].isin(["importance", "happening"]).to_numpy(),
                           out["item"].to_numpy(dtype=object), "")
    dec = [decisions[(s, i, u)] for s, i, u in zip(out["statistic"].to_numpy(dtype=object),
                                                     lookup_item,
                                                     out["union"].to_numpy(dtype=object))]
    out["n"] = np.array([d[2] for d in dec], dtype="int64")
    out["hidden"] = np.array([d[0] for d in dec], dtype=bool)
    out["rule"] = [d[1] for d in dec]
    out["rule"] = _label_bounds_only_small_groups(out, policy)
    out["policy"] = policy.name
    out["k"] = int(policy.k)
    return out[MASK_COLUMNS].reset_index(drop=True)


def _label_bounds_only_small_groups(out: pd.DataFrame, policy: DisclosurePolicy) -> list:
    """The rules of the mask's rows, with "primary" importance decisions of groups of ``k``
    or more people turned "secondary".

    A primary label reads "n<k": it tells the reader that the hidden count is 1 to k-1, an
    upper bound that the bounds check (equalities only) does not model. For a group of
    fewer than ``k`` people it adds nothing to what the group's size says. For the
    importance answers of a group of ``k`` or more people it bounds how many of them
    answered, and with the group's size and other published totals that can pin the count
    (a privacy tester read "n<10" beside a site of 12 and the sector's importance n, and
    got 9). Such a group is labelled "hidden" instead, which bounds nothing. The group's
    people are the "Is this happening here?" n of the same group and item (everyone
    asked).
    """
    rule = out["rule"].astype(object).to_numpy(copy=True)
    happening = out["statistic"] == "happening"
    people = dict(zip(zip(out.loc[happening, "item"].astype(str),
                          out.loc[happening, "union"]), out.loc[happening, "n"]))
    for i in np.flatnonzero((out["statistic"] == "importance").to_numpy()
                            & (rule == "primary")):
        if people.get((str(out["item"].iat[i]), out["union"].iat[i]), 0) >= policy.k:
            rule[i] = "secondary"
    return list(rule)


# ---------------------------------------------------------------------- reading the mask
class DisclosureMask:
    """The batch's mask as the report tables read it.

    Parameters
    ----------
    table : pandas.DataFrame
        :func:`batch_mask` output (or :func:`read_mask`).
    policy : DisclosurePolicy
        The policy it was made with.
    """

    def __init__(self, table: pd.DataFrame, policy: DisclosurePolicy):
        self.table = table
        self.policy = policy
        item = np.where(table["statistic"].isin(_PER_ITEM), table["item"], "")
        self._decisions = {(s, i, u): (bool(h), str(r), int(n)) for s, i, u, h, r, n in zip(
            table["statistic"], item, table["union"], table["hidden"], table["rule"],
            table["n"])}

    @property
    def k(self) -> int:
        """The policy's threshold."""
        return int(self.policy.k)

    def decision(self, statistic: str, union: str, item: object = "") -> tuple[bool, str, int]:
        """``(hidden, rule, n)`` of one group of one family.

        Raises
        ------
        KeyError
            When no report of the batch publishes that group (a table asking about it would
            publish a figure nobody protected).
        """
        key = (statistic, str(item) if statistic in _PER_ITEM else "", union)
        try:
            return self._decisions[key]
        except KeyError:
            raise KeyError(f"The disclosure mask has no decision for {statistic} of "
                           f"{union!r}{' item ' + str(item) if item else ''}: no report of "
                           "the batch is meant to publish it") from None

    def hidden(self, statistic: str, union: str, item: object = "") -> bool:
        """Whether the figures of that group are hidden."""
        return self.decision(statistic, union, item)[0]

    def rule(self, statistic: str, union: str, item: object = "") -> str:
        """"" (shown), "primary", "secondary" or "public"."""
        return self.decision(statistic, union, item)[1]

    def label(self, statistic: str, union: str, item: object = "") -> str:
        """What a hidden cell shows ("n<k" or "hidden")."""
        return self.policy.hidden_label(self.rule(statistic, union, item))


def write_mask(table: pd.DataFrame, path: str | Path) -> Path:
    """Write a mask table to parquet (atomically) for the batch's notebooks; returns the
    path."""
    from .._files import atomic_write_bytes
    import io

    buf = io.BytesIO()
    table.to_parquet(buf, index=False)
    path = Path(path)
    atomic_write_bytes(path, buf.getvalue())
    return path


def read_mask(path: str | Path) -> DisclosureMask:
    """Read a mask written by :func:`write_mask` (the policy from its ``policy``/``k``).

    Raises
    ------
    FileNotFoundError
        When the file does not exist.
    """
    from .policy import get_policy

    table = pd.read_parquet(path)
    name = str(table["policy"].iloc[0]) if len(table) else "default"
    k = int(table["k"].iloc[0]) if len(table) else None
    return DisclosureMask(table, get_policy(name, k=k))

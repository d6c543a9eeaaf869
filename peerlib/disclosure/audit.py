"""The publish-time audit: the batch's reports checked together before any is published.

Every published table and chart carries hidden metadata (a ``<script type="application/json"
class="peerwork-disclosure">`` block, :mod:`peerlib.reporting.metadata`): for each number,
the group it describes, or for a hidden one the group and the rule. It never holds a size
(the page is published, and a size can be more exact than the cell shows): the audit takes
each group's size from the data. Before publishing, the batch reads the metadata of every
staged report and checks the whole set:

1. every table of a report carries metadata (a table without it cannot be checked: the
   report is refused);
2. no shown number describes a group of 1 to ``k - 1`` people (``mean_k`` for importance),
   apart from the sample composition the study publishes as is (marked ``public``);
3. no hidden group, no set of small cells (site x role) of one site, and no sector, role,
   organisation type or other site attribute (BME focus, and the register columns a study
   added: :func:`peerlib.disclosure.mask.site_attributes`) of 1 to ``k - 1`` people can be
   worked out by adding and subtracting the numbers shown anywhere in the batch
   (the same exact linear check as :mod:`.mask`, run on what the reports actually show;
   a shown "Is this happening here?" distribution publishes its group's size);
4. no importance figure is shown for a group whose number of participants is hidden (its
   ``n`` and the count of missing answers add up to the size);
5. no small set's count of one "Is this happening here?" answer, nor its number of people
   who answered an item's importance question, nor its count of one importance score, is
   pinned to a single value by the figures shown for that item (feasibility intervals,
   :mod:`.intervals`; a shown importance mean is taken with its SD and n, i.e. the sum of
   the scores and of their squares);
6. the Part 1 x Part 2 comparison (:mod:`peerlib.part2.linkage`), whose groups (who spoke
   to a theme, who did not) cut across sites and roles, pins no small part of them (a
   site's few who did not speak to it) beside everything shown for the item
   (:func:`peerlib.disclosure.mask.split_leaks`, given ``themes``; its shown cells name
   their theme and item in a ``split`` field).

A report that fails is not published; the message names the report, the table and the
cell. :func:`audit_summary` gives, per report and table, how many cells were hidden and by
which rule (never the hidden values), for ``reports/disclosure_audit.csv``.
"""
from __future__ import annotations

import json
import re
from itertools import combinations
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .intervals import (answer_counts, answered_counts, interval_leaks, score_counts,
                        score_measures)
from .mask import (_PER_ITEM, _Members, _RowSpace, _protected_sets, atoms_table,
                   importance_scale, site_attributes)
from .policy import DisclosurePolicy

__all__ = ["AuditResult", "read_metadata", "audit_reports", "audit_summary", "write_audit",
           "AUDIT_COLUMNS"]

_BLOCK = re.compile(r"""<script\b[^>]*\bclass=["']peerwork-disclosure["'][^>]*>(.*?)"""
                    r"</script>", re.S | re.I)
_TABLE = re.compile(r"<table\b", re.I)
#: Columns of ``reports/disclosure_audit.csv``.
AUDIT_COLUMNS = ["report", "table", "cells_shown", "hidden_primary", "hidden_secondary",
                 "shown_public", "audit"]


@dataclass
class AuditResult:
    """The audit of one batch: ``failures`` maps a report to its problems (report, table
    and cell named in each message); ``checked`` lists the reports read; ``unchecked``
    counts, per report, tables that carry no metadata (when not required)."""

    checked: list[str]
    failures: dict[str, list[str]] = field(default_factory=dict)
    unchecked: dict[str, int] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return not self.failures

    def fail(self, report: str, message: str) -> None:
        self.failures.setdefault(report, [])
        if message not in self.failures[report]:
            self.failures[report].append(message)


def read_metadata(text: str) -> tuple[list[dict], int]:
    """The disclosure metadata blocks of one HTML report and the number of its tables that
    carry none.

    Returns
    -------
    (list of dict, int)
        One dict per block (``caption``, ``cells``), and how many ``<table>`` elements of
        the page are not covered by a block (each block covers one table).

    Raises
    ------
    ValueError
        When a block is not valid JSON (a damaged report).
    """
    blocks = [json.loads(b.replace("<\\/", "</").replace("<\\!--", "<!--"))
              for b in _BLOCK.findall(text)]
    return blocks, max(0, len(_TABLE.findall(text)) - len(blocks))


def _family(statistic: str, item: str) -> tuple[str, str]:
    return (statistic, item if statistic in _PER_ITEM else "")


def _describe(cell: dict) -> str:
    item = f", item {cell['item']}" if cell.get("item") else ""
    return f"{cell.get('union')} ({cell.get('statistic')}{item})"


def audit_reports(reports: Mapping[str, str | Path], data: pd.DataFrame,
                  policy: DisclosurePolicy, *, mask: pd.DataFrame | None = None,
                  coded: list[str] | None = None,
                  require_metadata: bool | Collection[str] = True,
                  themes: Mapping[str, set[str]] | None = None) -> AuditResult:
    """Audit the reports of one batch together (see the module docstring).

    Parameters
    ----------
    reports : mapping of str to str or Path
        Report name (as in the mask: ``data_quality``, ``site:S01``, ``cross_site``,
        ``framework``) -> its staged HTML file.
    data : pandas.DataFrame
        The prepared long table the reports were made from.
    policy : DisclosurePolicy
        The batch's policy.
    mask : pandas.DataFrame, optional
        The batch's mask (:func:`peerlib.disclosure.batch_mask`): the groups it hides are
        checked too, and the groups it shows in reports not in ``reports`` (a ``--sites``
        run) count as published.
    coded : list of str, optional
        Participants with a coded Part 2 transcript (sizes of the ``themes`` family).
    require_metadata : bool or collection of str
        Refuse a report with a table that carries no metadata (rule 1): True for every
        report, or the names of the reports that must (e.g. ``("framework",)``); the bare
        tables of the others are recorded in ``AuditResult.unchecked`` instead.
    themes : mapping of str to set of str, optional
        Theme -> the coded participants who spoke to it
        (:func:`peerlib.part2.linkage.theme_groups`), for rule 6. Without it a shown
        Part 1 x Part 2 comparison is not checked by rule 6.

    Returns
    -------
    AuditResult
    """
    result = AuditResult(checked=list(reports))
    shown: dict[tuple, dict[str, list[tuple[str, str]]]] = {}
    hidden: dict[tuple, set[str]] = {}
    forced: dict[tuple, set[str]] = {}
    expected = None
    if mask is not None:
        # the columns as numpy arrays: iterating pandas' Arrow-backed text columns costs a
        # Python call per value (about 1 s for the 52,000 rows of a 200-site mask)
        statistic, union_of, report_of = (mask[c].to_numpy(dtype=object)
                                          for c in ("statistic", "union", "report"))
        hidden_of = mask["hidden"].to_numpy(dtype=bool)
        per_item = np.where(mask["statistic"].isin(_PER_ITEM).to_numpy(dtype=bool),
                            mask["item"].to_numpy(dtype=object), "")
        expected = {(s, i, u) for s, i, u, h in zip(statistic, per_item, union_of, hidden_of)
                    if not h}
        for s, i, u, h, rep in zip(statistic, per_item, union_of, hidden_of, report_of):
            if h:
                hidden.setdefault((s, i), set()).add(u)
            elif rep not in reports:  # published by a report this run does not rebuild
                shown.setdefault((s, i), {}).setdefault(u, []).append((rep, ""))
    size = _GroupSizes(data, coded)
    splits: dict[str, dict[str, set[tuple[str, str]]]] = {}  # item -> theme -> places
    for name, path in reports.items():
        text = Path(path).read_text(encoding="utf-8")
        blocks, bare = read_metadata(text)
        required = (require_metadata if isinstance(require_metadata, bool)
                    else name in set(require_metadata))
        if bare and not required:
            result.unchecked[name] = bare
        elif bare:
            result.fail(name, f"{name}: {bare} table(s) carry no disclosure metadata (every "
                              "published table must come from peerlib.reporting.tables.table)")
        for block in blocks:
            caption = block.get("caption") or "(no caption)"
            for cell in block.get("cells") or []:
                stat, item = str(cell.get("statistic")), str(cell.get("item") or "")
                fam, union = _family(stat, item), cell.get("union")
                if "hidden" in cell:
                    if union:
                        hidden.setdefault(fam, set()).add(union)
                    continue
                n = size(fam, union)
                need = policy.mean_k if stat == "importance" else policy.k
                if n is not None and 0 < n < need and not cell.get("public"):
                    result.fail(name, f"{name}: table '{caption}': {_describe(cell)} shows a "
                                      f"figure for fewer than {need} people")
                elif stat == "importance" and n == 0 and not cell.get("public") and (
                        0 < (people := size(("participants", ""), union) or 0) < policy.k):
                    # no answers from a group of 1 to k-1 people says none of them answered
                    result.fail(name, f"{name}: table '{caption}': {_describe(cell)} shows "
                                      f"that none of {people} people (fewer than "
                                      f"{policy.k}) answered")
                if union is None:
                    continue
                if "split" in cell:
                    theme, split_item = (str(x) for x in cell["split"])
                    splits.setdefault(split_item, {}).setdefault(theme, set()).add(
                        (name, caption))
                shown.setdefault(fam, {}).setdefault(union, []).append((name, caption))
                if cell.get("public"):
                    forced.setdefault(fam, set()).add(union)
                if expected is not None and (fam[0], fam[1], union) not in expected:
                    # shown here though the batch's mask hides it (or never planned it)
                    shown[fam][union].append((name, "!" + caption))
    # A shown distribution prints its n: those sizes are published whatever the mask
    # decides for participant counts (the mask forces them too), so they count as public
    # composition, as the sample tables do.
    sizes_shown = shown.setdefault(("participants", ""), {})
    sizes_public = forced.setdefault(("participants", ""), set())
    for (stat, _), groups in list(shown.items()):
        if stat == "happening":
            for union, places in groups.items():
                sizes_shown.setdefault(union, []).extend(places)
                sizes_public.add(union)
    _check_linked_sizes(result, shown, hidden)
    _check_recoverable(result, size, policy, shown, hidden, forced)
    _check_bounds(result, size, data, policy, shown, hidden)
    if themes is not None:
        _check_splits(result, data, policy, shown, splits, themes, coded)
    return result


def _check_splits(result: AuditResult, data: pd.DataFrame, policy: DisclosurePolicy,
                  shown: dict, splits: dict, themes: Mapping[str, set[str]],
                  coded: list[str] | None) -> None:
    """Rule 6: the shown Part 1 x Part 2 comparisons of each item, together with every
    group shown for it anywhere in the batch, pin no small part of their groups."""
    from .mask import split_leaks

    everyone = set(map(str, coded or ())).union(*themes.values())
    for item, by_theme in splits.items():
        members = [set(themes.get(theme, set())) for theme in by_theme]
        places = sorted(set().union(*by_theme.values()))
        for family in ("happening", "importance"):
            unions = list(shown.get((family, item), {}))
            leaks = split_leaks(data, item, members, coded=everyone, shown=unions,
                                k=policy.k, response=family)
            for leak in leaks[:1]:
                for name, caption in places:
                    result.fail(name, f"{name}: table '{caption}': the comparison of who "
                                      f"spoke to {', '.join(sorted(by_theme))} on item "
                                      f"{item} pins {leak.what} ({leak.option}) beside "
                                      f"what the batch shows for the item")


def _check_bounds(result: AuditResult, size: "_GroupSizes", data: pd.DataFrame,
                  policy: DisclosurePolicy, shown: dict, hidden: dict) -> None:
    """Rule 5: for each item, no small set's count of one "Is this happening here?" answer,
    nor its count of people who answered the importance question, is pinned to one value
    by the figures the reports show (the bounds check of :mod:`.intervals`, on what the
    pages actually show, with the answers from the data)."""
    atoms, member = size.atoms, size.member
    people = atoms["participants"].to_numpy()
    answers = scores = None
    for (stat, item), groups in shown.items():
        if stat not in ("happening", "importance") or not item or not groups:
            continue
        checks = []  # (what the figures are, counts, options, sizes, k, measures)
        if stat == "importance":
            col = f"importance:{item}"
            if col not in atoms.columns:
                continue
            checks.append(("the importance answer counts", *answered_counts(atoms, item),
                           people, policy.k, None))
            if scores is None:
                scores = score_counts(data, atoms, importance_scale(data))
            table, options = scores
            if item in table:
                checks.append(("the importance means and SDs", table[item], options,
                               atoms[col].to_numpy(), policy.mean_k,
                               score_measures([float(v) for v in options])))
        else:
            if answers is None:
                answers = answer_counts(data, atoms)
            table, options = answers
            if item not in table:
                continue
            checks.append(("the answers", table[item], options, people, policy.k, None))
        secret = hidden.get((stat, item), set()) - set(groups)
        keys = list(groups)
        matrix = np.array([member(key) for key in keys]).reshape(len(keys), len(atoms))
        for what, counts, options, sizes, k, measures in checks:
            decisions = {}
            for key in secret:
                try:
                    decisions[key] = (True, "", int(sizes[member(key)].sum()))
                except ValueError:
                    continue
            protected = _protected_sets(atoms, member, decisions, k, sizes)
            for leak in interval_leaks(counts, options, sizes, matrix, protected, item=item,
                                       atom_site=atoms["site_id"].to_numpy(),
                                       atom_role=atoms["role"].to_numpy(),
                                       measures=measures):
                used = [keys[g] for g in leak.groups]
                for rep, cap in {(rep, cap.lstrip("!")) for key in used
                                 for rep, cap in groups[key]}:
                    if rep in result.checked:
                        result.fail(rep, f"{rep}: table '{cap or '(mask)'}': {what} of "
                                         f"{', '.join(used)} for item {item} leave "
                                         f"{leak.what} no room: its count of "
                                         f"'{leak.option}' can only be {leak.value}")


def _check_linked_sizes(result: AuditResult, shown: dict, hidden: dict) -> None:
    """Rule 4: an importance figure shown for a group whose participant count is hidden
    gives the count away (its ``n`` plus the data-quality report's count of missing
    importance answers is the group's size)."""
    secret = hidden.get(("participants", ""), set()) - set(shown.get(("participants", ""), {}))
    for (stat, item), groups in shown.items():
        if stat != "importance":
            continue
        for union in sorted(set(groups) & secret):
            for rep, cap in groups[union]:
                if rep in result.checked:
                    result.fail(rep, f"{rep}: table '{cap.lstrip('!') or '(mask)'}': "
                                     f"{union} (importance, item {item}) is shown though its "
                                     "number of participants is hidden: its n and the count "
                                     "of missing answers give the size away")


class _GroupSizes:
    """The size of a published group in its family, from the data (the published metadata
    names groups, never their sizes): participants for counts and "Is this happening
    here?", importance answers of the item, participants with a coded transcript for Part
    2. None for a cell that describes no group or a group of an unknown kind."""

    def __init__(self, data: pd.DataFrame, coded):
        self.atoms = atoms_table(data, coded=coded)
        self.member = _Members(self.atoms)
        self.attributes = site_attributes(self.atoms)  # once: a group-by over the atoms
        self._sizes: dict[str, np.ndarray] = {}  # each size column as an array, once
        # each (size column, group) once: 200 site reports name the same groups item after
        # item (100,000 cells at trial size)
        self._known: dict[tuple[str, str], int | None] = {}

    def __call__(self, fam: tuple[str, str], union) -> int | None:
        if union is None:
            return None
        key = (_size_column(*fam), str(union))
        if key not in self._known:
            self._known[key] = self._size(*key)
        return self._known[key]

    def _size(self, col: str, union: str) -> int | None:
        if col not in self.atoms.columns:
            return None
        try:
            rows = self.member(union)
        except ValueError:
            return None
        if col not in self._sizes:
            self._sizes[col] = self.atoms[col].to_numpy()
        return int(self._sizes[col][rows].sum())


def _size_column(stat: str, item: str) -> str:
    """The column of :func:`atoms_table` holding the sizes of a family of figures."""
    return {"participants": "participants", "happening": "participants",
            "themes": "themes"}.get(stat, f"importance:{item}")


def _check_recoverable(result: AuditResult, size: _GroupSizes, policy: DisclosurePolicy,
                       shown: dict, hidden: dict, forced: dict) -> None:
    """Rule 3 of the module docstring, family by family."""
    atoms, member = size.atoms, size.member  # the same atoms as the size check
    attributes = size.attributes
    for fam, groups in shown.items():
        if not groups:
            continue
        stat, item = fam
        col = _size_column(stat, item)
        if col not in atoms.columns:
            continue
        sizes = atoms[col].to_numpy().astype(float)
        nz = sizes > 0
        if not nz.any():
            continue
        need = policy.mean_k if stat == "importance" else policy.k
        keys = list(groups)
        mat = np.array([member(key)[nz] for key in keys], dtype=float).reshape(len(keys), -1)
        space = _RowSpace(mat)
        public = _RowSpace(np.array([member(key)[nz] for key in forced.get(fam, ())],
                                    dtype=float).reshape(-1, int(nz.sum())))
        s = sizes[nz]
        targets: list[tuple[str, np.ndarray]] = []
        for key in sorted(hidden.get(fam, set()) - set(keys)):
            v = member(key)[nz].astype(float)
            if v.any():
                targets.append((f"hidden group {key}", v))
        eye = np.eye(len(s))
        site = atoms["site_id"].to_numpy()[nz]
        role = atoms["role"].to_numpy()[nz]
        small = np.flatnonzero(s < need)
        by_site: dict[str, list[int]] = {}
        for j in small:
            by_site.setdefault(str(site[j]), []).append(int(j))
        for where, cells in by_site.items():  # every set of small cells of one site
            for size in range(1, len(cells) + 1):
                for combo in combinations(cells, size):
                    if s[list(combo)].sum() < need:
                        names = " and ".join(str(role[j]) for j in combo)
                        targets.append((f"the {names} group{'s' if size > 1 else ''} at "
                                        f"site {where}", eye[list(combo)].sum(axis=0)))
        breakdowns = [("sector", "", atoms["sector"]), ("role", "", atoms["role"]),
                      ("orgtype", "", atoms["organisation_type"])]
        breakdowns += [("attr", f"{col}|", atoms[col]) for col in attributes]
        for kind, prefix, values in breakdowns:
            for value in dict.fromkeys(values.astype(str)):
                v = member(f"{kind}:{prefix}{value}")[nz].astype(float)
                if 0 < v @ s < need:
                    targets.append((f"{kind} {value}", v))
        if not targets:
            continue
        vectors = np.array([v for _, v in targets])
        leaks = space.contains(vectors) & ~public.contains(vectors)
        for (what, v), leak in zip(targets, leaks):
            if not leak:
                continue
            coef = space.combination(v)
            used = [keys[r] for r in np.flatnonzero(np.abs(coef) > 1e-9)]
            places = [(rep, cap) for key in used for rep, cap in groups[key]]
            unexpected = [(rep, cap[1:], key) for key in used for rep, cap in groups[key]
                          if cap.startswith("!")]
            label = f"{stat}{', item ' + item if item else ''}"
            if unexpected:
                for rep, cap, key in unexpected:
                    result.fail(rep, f"{rep}: table '{cap}': {key} ({label}) lets a reader "
                                     f"work out {what} by adding and subtracting published "
                                     "figures")
            else:
                for rep, cap in places:
                    if rep in result.checked:
                        result.fail(rep, f"{rep}: table '{cap or '(mask)'}': the figures of "
                                         f"{', '.join(used)} ({label}) together give away "
                                         f"{what}")


def audit_summary(mask: pd.DataFrame, result: AuditResult | None = None) -> pd.DataFrame:
    """Per report and table: cells shown, hidden (by rule) and shown as public composition,
    and whether the report passed the audit. Counts of cells only, never their values.

    Returns
    -------
    pandas.DataFrame
        :data:`AUDIT_COLUMNS`, one row per report x table of the mask.
    """
    frame = mask.assign(
        cells_shown=(~mask["hidden"]).astype(int),
        hidden_primary=(mask["hidden"] & (mask["rule"] == "primary")).astype(int),
        hidden_secondary=(mask["hidden"] & (mask["rule"] == "secondary")).astype(int),
        shown_public=(~mask["hidden"] & (mask["rule"] == "public")).astype(int))
    out = frame.groupby(["report", "table"], sort=False)[
        ["cells_shown", "hidden_primary", "hidden_secondary", "shown_public"]].sum()
    out = out.reset_index()
    failures = result.failures if result is not None else {}
    checked = set(result.checked) if result is not None else set()
    unchecked = result.unchecked if result is not None else {}
    out["audit"] = [("refused: " + failures[r][0]) if r in failures else
                    ("passed" if r in checked or result is None else "not rebuilt")
                    + (f" ({unchecked[r]} table(s) without metadata not checked)"
                       if r in unchecked and r not in failures else "")
                    for r in out["report"]]
    return out[AUDIT_COLUMNS]


def write_audit(summary: pd.DataFrame, path: str | Path) -> Path:
    """Write :func:`audit_summary` as ``disclosure_audit.csv``.

    Parameters
    ----------
    summary : pandas.DataFrame
        :func:`audit_summary` (or any table of its columns).
    path : str or Path
        The file.

    Returns
    -------
    pathlib.Path
        ``path``, written whole by the project's one CSV writer
        (:func:`peerlib._files.write_csv`: formula-safe cells, RFC 4180 records).
    """
    from .._files import write_csv

    return write_csv(summary, Path(path))

"""Part 1 x Part 2: the structured answers of those who spoke to a theme beside those who
did not.

The provisional framework was built from the evidence base, and several of its themes
correspond to Part 1 statements (theme "Boundaries" to item 2.5, "Boundaries between Peer
Workers and service users are clearly managed"). The framework codebook's link to Part 1 is
a table ``theme_items.csv`` (``theme``, ``item_id``; one row per link) in ``data/raw``, read
by ``peerlib import-codes`` and checked against the coding's themes and the Part 1 codebook.
For each linked theme and item, the participants with a coded transcript split in two: those
with an excerpt under the theme, and those without; their "Is this happening here?" answers
and mean importance are set side by side.

Disclosure
----------
Each of the two groups is shown only with at least ``k`` participants. Because the answers
of everyone are published (the cross-site report), the participants *without* a coded
transcript are everyone minus the two groups: when they are 1 to ``k - 1``, no comparison
is shown. A theme is also withheld when one of its groups is contained in a group of an
earlier shown theme and differs from it by 1 to ``k - 1`` participants (the difference of
the two published distributions would describe those few). And a theme is withheld when its
groups, set beside everything else the batch publishes about the item, would pin the
answers of 1 to ``k - 1`` people (:func:`peerlib.disclosure.mask.split_leaks`): the
framework report says how many of each site's participants spoke to the theme, and its
matrix who they are, so "2 people at a site did not speak to it" is known; a 0 in the
"Did not" group and a 0 at that site can then leave those 2 a single possible answer. The
same check is run on who answered the item's importance question (each group's mean comes
with the number of answers behind it). A mean importance resting on
fewer than the policy's ``mean_k`` answers is not shown. In a report, the batch's mask
(``mask=``) withholds every comparison when it hides the Part 2 group of everyone with a
coded transcript, and gives ``k`` and ``mean_k``.

The two groups of a theme are not unions of sites and roles, but together they are the
participants with a coded transcript: every figure of the comparison rests on that group,
the ``all`` group of the Part 2 (``themes``) figures in the batch's mask (its catalogue lists
the table as ``linkage``). The table names it in its disclosure metadata (``union``), so the
publish-time audit (:mod:`peerlib.disclosure.audit`) checks that group, as for the
co-occurrence matrix; the rules above protect the groups within it.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..disclosure import (DEFAULT_MIN_GROUP_SIZE, DisclosureMask, check_min_group_size,
                          union_key)
from ..disclosure.mask import split_leaks
from ..errors import ProcessedDataError, QDAError
from .framework import primary_coding
from .segments import _REIMPORT, PATH_SEPARATOR, is_transcript, read_qda_table

__all__ = ["THEME_ITEMS_FILE", "SPOKE", "DID_NOT", "EVERYONE_HIDDEN", "read_theme_items",
           "load_theme_items", "theme_groups", "part1_by_theme"]

#: The framework codebook's link to Part 1 statements, in ``data/raw`` and, checked, in
#: ``data/processed``.
THEME_ITEMS_FILE = "theme_items.csv"
#: Names of the two groups compared.
SPOKE = "Spoke to the theme"
DID_NOT = "Did not"
#: The reason given when the batch's mask hides everyone with a coded transcript.
EVERYONE_HIDDEN = "the participants with coded transcripts are hidden"


def read_theme_items(path: str | Path, *, themes_known: list[str] | None = None,
                     items_known: list[str] | None = None) -> pd.DataFrame:
    """Read and check the theme <-> Part 1 item links.

    Parameters
    ----------
    path : str or Path
        CSV or XLSX with columns ``theme`` (a top-level code of the framework) and
        ``item_id`` (a Part 1 item such as "2.5"; read as text, so "2.10" stays 2.10).
    themes_known, items_known : list of str, optional
        The themes of the coding and the items of the Part 1 codebook; when given, a link
        to anything else is an error.

    Returns
    -------
    pandas.DataFrame
        ``theme``, ``item_id`` (string), one row per link, in file order, duplicates dropped.

    Raises
    ------
    QDAError
        Missing columns, blank cells, unknown themes or items: every problem with its
        spreadsheet row.
    """
    path = Path(path)
    table = read_qda_table(path, what="The theme-item links are a CSV or XLSX with the "
                           "columns theme, item_id.", required=("theme", "item_id"),
                           kind="the theme-item links")
    problems, rows = [], []
    for idx, rec in table.iterrows():
        theme, item = str(rec["theme"]).strip(), str(rec["item_id"]).strip()
        row = int(idx) + 2
        if not theme or not item:
            problems.append(f"row {row}: blank {'theme' if not theme else 'item_id'}")
            continue
        if themes_known is not None and theme not in themes_known:
            problems.append(f"row {row}: theme {theme!r} is not a theme of the coding "
                            f"(themes: {', '.join(themes_known)})")
            continue
        if items_known is not None and item not in items_known:
            problems.append(f"row {row}: item_id {item!r} is not an item of the Part 1 "
                            f"codebook (items: {', '.join(items_known)})")
            continue
        rows.append((theme, item))
    if problems:
        raise QDAError(path, "", problems, "Correct the file and run again; nothing was "
                       "written.")
    out = pd.DataFrame(rows, columns=["theme", "item_id"]).drop_duplicates()
    return out.astype("string").reset_index(drop=True)


def load_theme_items(data: str | Path | None = None) -> pd.DataFrame:
    """The checked theme-item links that ``peerlib import-codes`` wrote beside the coded
    segments.

    Parameters
    ----------
    data : str or Path, optional
        The processed folder; default ``data/processed``.

    Returns
    -------
    pandas.DataFrame
        ``theme``, ``item_id`` (string), one row per link; an empty table when there are
        none (no ``data/raw/theme_items.csv`` at import).

    Raises
    ------
    ProcessedDataError
        When ``theme_items.csv`` is damaged (cannot be read as CSV, lacks a column, has a
        blank cell): the message names it and says to import the coded transcripts again
        (``peerlib import-codes ...``), which copies it from ``data/raw``.
    """
    from ..paths import project_paths

    path = (Path(data) if data else project_paths().processed) / THEME_ITEMS_FILE
    if not path.exists():
        return pd.DataFrame({"theme": [], "item_id": []}, dtype="string")
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
        missing = [c for c in ("theme", "item_id") if c not in table.columns]
        if missing:
            raise ValueError(f"no column {', '.join(missing)} (columns: "
                             f"{', '.join(map(str, table.columns))})")
        table = table[["theme", "item_id"]]
        blank = table.apply(lambda col: col.str.strip() == "").any(axis=1)
        if blank.any():
            raise ValueError(f"blank cell in row {int(blank.idxmax()) + 2}")
    except (OSError, ValueError, pd.errors.ParserError) as err:  # UnicodeDecodeError too
        raise ProcessedDataError(path, err, _REIMPORT) from err
    return table.astype("string").reset_index(drop=True)


def theme_groups(segments: pd.DataFrame, people: pd.DataFrame) -> dict[str, set[str]]:
    """Theme -> the participants (with a coded transcript and in the Part 1 data) who have
    an excerpt under it (first coder's coding; site documents left out)."""
    seg = primary_coding(segments)
    seg = seg[is_transcript(seg)].dropna(subset=["participant_id"])
    known = set(people["participant_id"].astype(str))
    seg = seg[seg["participant_id"].astype(str).isin(known)]
    theme = seg["code_path"].astype(str).str.split(PATH_SEPARATOR).str[0]
    return {t: set(sub.astype(str)) for t, sub in seg["participant_id"].groupby(theme.values)}


def _shown_unions(mask: DisclosureMask | None, item: str, family: str) -> list[str] | None:
    """The groups whose answers to ``item`` the batch publishes (the mask's shown groups
    of ``family``: "happening", or "importance" for who answered it), or None without a
    mask (every site, role, sector...)."""
    if mask is None:
        return None
    table = mask.table
    rows = table[(table["statistic"] == family) & (table["item"].astype(str) == item)
                 & ~table["hidden"].astype(bool)]
    return list(dict.fromkeys(rows["union"].astype(str)))


def _rule(reason: str, everyone_hidden: bool, mask_rule: str) -> str:
    """A row's disclosure rule: "" when shown, the mask's when it hides everyone with a
    coded transcript, else "primary" (the comparison's own groups are too small)."""
    if not reason:
        return ""
    if everyone_hidden and mask_rule in ("primary", "secondary"):
        return mask_rule
    return "primary"


def part1_by_theme(data: pd.DataFrame, segments: pd.DataFrame, links: pd.DataFrame, *,
                   k: int = DEFAULT_MIN_GROUP_SIZE,
                   mask: DisclosureMask | None = None) -> pd.DataFrame:
    """Part 1 answers of participants who spoke to a theme beside those who did not.

    Parameters
    ----------
    data : pandas.DataFrame
        The prepared Part 1 long table (participant x item).
    segments : pandas.DataFrame
        Coded segments.
    links : pandas.DataFrame
        :func:`read_theme_items` (``theme``, ``item_id``).
    k : int
        Minimum group size (module docstring); with a ``mask``, the mask's policy gives it.
    mask : DisclosureMask, optional
        The batch's mask (module docstring).

    Returns
    -------
    pandas.DataFrame
        One row per link x group (:data:`SPOKE`, :data:`DID_NOT`) x answer option of "Is
        this happening here?": ``theme``, ``item_id``, ``group``, ``n`` (participants in the
        group), ``answer`` (ordered as the scale, Missing included), ``count``, ``percent``
        (0-100 of ``n``), ``mean_importance`` (1-4 scale, no answer left out),
        ``n_importance`` (answers behind the mean; the mean is NA when they are fewer
        than ``mean_k``), ``suppressed`` (bool: the counts, percentages and mean are NA),
        ``reason`` (why, "" when shown), ``union`` (``all``: the group of participants with
        a coded transcript, whose Part 2 figures these are; module docstring) and ``rule``
        ("" when shown; the mask's rule when the mask hides that group; else "primary": a
        group of the comparison is too small or would give a small one away).

    Raises
    ------
    ValueError
        When ``k`` is not a whole number >= 1.

    References
    ----------
    Gale et al. (2013) on comparing cases within and between groups in the framework
    matrix; the answer scale and means as in :mod:`peerlib.part1.scoring`.
    """
    from ..part1.scoring import happening_distribution, importance_summary

    k = check_min_group_size(mask.k if mask is not None else k)
    mean_k = int(mask.policy.mean_k) if mask is not None else k
    everyone = union_key("all")
    everyone_hidden, everyone_rule = False, ""
    if mask is not None:
        try:
            everyone_hidden, everyone_rule, _ = mask.decision("themes", everyone)
        except KeyError:
            everyone_hidden, everyone_rule = True, "primary"
    columns = ["theme", "item_id", "group", "n", "answer", "count", "percent",
               "mean_importance", "n_importance", "suppressed", "reason", "union", "rule"]
    people = data.drop_duplicates("participant_id")
    groups = theme_groups(segments, people)
    coded = set().union(*groups.values()) if groups else set()
    coded |= set(segments[is_transcript(segments)]["participant_id"].dropna().astype(str)) \
        & set(people["participant_id"].astype(str))
    uncoded = len(set(people["participant_id"].astype(str)) - coded)
    shown_sets: list[set[str]] = []
    shown_splits: dict[str, list[set[str]]] = {}  # item -> the splits shown for it
    reasons: dict[str, str] = {}
    items_of = {theme: list(dict.fromkeys(sub.astype(str))) for theme, sub in
                links["item_id"].groupby(links["theme"].astype(str).to_numpy(), sort=False)}
    for theme in dict.fromkeys(links["theme"].astype(str)):
        spoke = groups.get(theme, set())
        other = coded - spoke
        if everyone_hidden:
            reasons[theme] = EVERYONE_HIDDEN
        elif 0 < uncoded < k:
            reasons[theme] = (f"the {uncoded} participant(s) without a coded transcript are "
                              f"fewer than {k}")
        elif len(spoke) < k or len(other) < k:
            reasons[theme] = f"a group has fewer than {k} participants"
        elif any((a < b or b < a) and 0 < len(a ^ b) < k
                 for a in (spoke, other) for b in shown_sets):
            reasons[theme] = (f"its groups differ from those of another theme by fewer "
                              f"than {k} participants")
        elif any(split_leaks(data, item, [*shown_splits.get(item, []), spoke], coded=coded,
                             shown=_shown_unions(mask, item, family), k=k, response=family)
                 for item in items_of[theme] for family in ("happening", "importance")):
            reasons[theme] = (f"with the sites' counts of who spoke to it, its answers would "
                              f"give away those of fewer than {k} participants")
        else:
            for item in items_of[theme]:
                shown_splits.setdefault(item, []).append(spoke)
            reasons[theme] = ""
            shown_sets += [spoke, other]
    frames = []
    for rec in links.itertuples(index=False):
        theme, item = str(rec.theme), str(rec.item_id)
        spoke = groups.get(theme, set())
        for name, members in ((SPOKE, spoke), (DID_NOT, coded - spoke)):
            sub = data[(data["participant_id"].astype(str).isin(members))
                       & (data["item_id"].astype(str) == item)]
            dist = happening_distribution(sub, by=None)
            imp = importance_summary(sub, by=None)
            mean = float(imp["mean"].iloc[0]) if len(imp) else float("nan")
            n_imp = int(imp["n"].iloc[0]) if len(imp) else 0
            dist = dist[dist["item_id"].astype(str) == item] if len(sub) else dist.iloc[0:0]
            answers = list(data["happening"].cat.categories)
            counts = dict(zip(dist["happening"].astype(str), dist["count"]))
            for answer in answers:
                c = int(counts.get(answer, 0))
                frames.append({"theme": theme, "item_id": item, "group": name,
                               "n": len(members), "answer": answer, "count": c,
                               "percent": 100.0 * c / len(members) if members else
                               float("nan"), "mean_importance": mean,
                               "n_importance": n_imp, "suppressed": bool(reasons[theme]),
                               "reason": reasons[theme], "union": everyone,
                               "rule": _rule(reasons[theme], everyone_hidden,
                                             everyone_rule)})
    out = pd.DataFrame(frames, columns=columns)
    if len(out):
        out["answer"] = pd.Categorical(out["answer"], categories=list(
            data["happening"].cat.categories), ordered=True)
        hide = out["suppressed"].astype(bool)
        out["count"] = out["count"].astype("Int64").mask(hide)
        for col in ("percent", "mean_importance"):
            out[col] = out[col].astype(float).mask(hide)
        out["mean_importance"] = out["mean_importance"].mask(out["n_importance"] < mean_k)
        out["n_importance"] = out["n_importance"].astype("Int64").mask(hide)
    return out

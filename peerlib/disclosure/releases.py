"""Differencing between releases: what two batches published one after the other give away.

The batch's mask protects the reports of *one* batch together. A reader who keeps the
reports of an earlier batch and compares them with the next one can subtract too: when a
participant withdraws (or a few interviews are added), every group they belong to changes by
that person alone, and the difference between the two releases is their answers. No mask of
a single batch can prevent it, because the earlier figures are already out.

So every batch records, in the *processed* data folder (never in ``reports/``), who was
behind the groups it published: the participants' pseudonyms with their site and role, and
the keys of the groups shown. Before the next batch from the same data folder publishes
(into any reports folder),
:func:`differencing_risks` compares the two: a group shown in both releases whose membership
changed by 1 to ``k - 1`` people is a risk. The batch still publishes (a withdrawal must
reach the reports), but says so plainly, names the groups, and tells the analyst what to do:
withdraw the earlier reports from circulation (and say so to those who received them), or
hold the new release until the change is at least ``k`` people. The warning is not written
into ``reports/`` (a published note that a group changed by one person would help the
reader it warns against).

This is the "differencing" (or "linked releases") problem of statistical disclosure control
(Hundepool et al. 2012, sec. 4.2 and 5.6); the rule used here is the simple one for
frequency tables: a published group must not change by fewer than ``k`` units between
releases.
"""
from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from .._files import atomic_write_text
from .mask import _Members

__all__ = ["RELEASES_DIR", "release_people", "release_path", "read_release",
           "write_release", "differencing_risks", "risk_message"]

#: Folder of ``data/processed`` holding one record per reports folder.
RELEASES_DIR = "releases"
_COLUMNS = ["participant_id", "site_id", "role", "sector", "organisation_type"]


def release_people(data: pd.DataFrame) -> pd.DataFrame:
    """Who is behind a batch's figures: one row per participant.

    Parameters
    ----------
    data : pandas.DataFrame
        The prepared long table (participant x item).

    Returns
    -------
    pandas.DataFrame
        ``participant_id`` (pseudonym), ``site_id``, ``role``, ``sector``,
        ``organisation_type`` (text), sorted by pseudonym.
    """
    people = data.drop_duplicates("participant_id")[_COLUMNS].astype(str)
    return people.sort_values("participant_id", kind="stable").reset_index(drop=True)


def release_path(data_dir: str | Path) -> Path:
    """Where the record of the last release made from ``data_dir`` is kept
    (``data_dir/releases/last.json``). One record per prepared data folder, whatever
    reports folder (``--out``) a batch writes to: a reader can compare reports from two
    folders as well as two versions of one."""
    return Path(data_dir) / RELEASES_DIR / "last.json"


def read_release(path: str | Path) -> tuple[pd.DataFrame, set[str]] | None:
    """The record written by :func:`write_release`: (people, shown group keys), or None
    when there is none (the first release) or it cannot be read (then there is nothing
    to compare with, which the caller reports as the first release)."""
    try:
        record = json.loads(Path(path).read_text(encoding="utf-8"))
        people = pd.DataFrame(record["people"], columns=_COLUMNS, dtype=str)
        return people, set(map(str, record["shown"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def write_release(path: str | Path, people: pd.DataFrame, shown: Iterable[str], *,
                  run_date: str = "") -> Path:
    """Record a release (atomically, readable by the owner only).

    Parameters
    ----------
    path : str or Path
        :func:`release_path`.
    people : pandas.DataFrame
        :func:`release_people` of the data published.
    shown : iterable of str
        Keys of the groups the release shows (:func:`peerlib.disclosure.union_key`).
    run_date : str
        When it was published (for the analyst reading the record).

    Returns
    -------
    pathlib.Path
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    record = {"run_date": run_date, "shown": sorted(set(shown)),
              "people": people[_COLUMNS].astype(str).values.tolist()}
    return atomic_write_text(path, json.dumps(record, indent=0, sort_keys=True) + "\n",
                             mode=0o600)  # pseudonyms: for the owner only


def differencing_risks(previous: pd.DataFrame, current: pd.DataFrame,
                       shown_before: Iterable[str], shown_now: Iterable[str], *,
                       k: int) -> pd.DataFrame:
    """Groups shown in two releases whose membership changed by fewer than ``k`` people.

    Parameters
    ----------
    previous, current : pandas.DataFrame
        :func:`release_people` of the earlier release and of this one.
    shown_before, shown_now : iterable of str
        Keys of the groups each release shows.
    k : int
        The policy's minimum group size.

    Returns
    -------
    pandas.DataFrame
        ``group`` (key), ``left`` (people in it before, not now: withdrawn or moved),
        ``joined`` (now, not before) and ``changed`` (their sum), one row per group shown
        in both releases with 1 <= ``changed`` < ``k``, the smallest change first.

    Notes
    -----
    A person whose site or role changed counts once as leaving their old groups and once
    as joining the new ones.
    """
    old = previous[_COLUMNS].astype(str).drop_duplicates()
    new = current[_COLUMNS].astype(str).drop_duplicates()
    both = old.merge(new, how="outer", indicator=True)
    left = both[both["_merge"] == "left_only"].drop(columns="_merge")
    joined = both[both["_merge"] == "right_only"].drop(columns="_merge")
    keys = sorted(set(map(str, shown_before)) & set(map(str, shown_now)))
    rows = []
    if len(left) or len(joined):
        in_left, in_joined = _Members(left.reset_index(drop=True)), \
            _Members(joined.reset_index(drop=True))
        for key in keys:
            try:
                gone, came = int(in_left(key).sum()), int(in_joined(key).sum())
            except ValueError:  # a kind of group this check does not know
                continue
            if 0 < gone + came < k:
                rows.append({"group": key, "left": gone, "joined": came,
                             "changed": gone + came})
    out = pd.DataFrame(rows, columns=["group", "left", "joined", "changed"])
    return out.sort_values(["changed", "group"], kind="stable").reset_index(drop=True)


def risk_message(risks: pd.DataFrame, *, k: int, reports_dir: str | Path = "reports",
                 run_date: str = "") -> str:
    """What the batch tells the analyst about :func:`differencing_risks` ("" if none)."""
    if risks.empty:
        return ""
    groups = ", ".join(f"{g} ({n} {'person' if n == 1 else 'people'})"
                       for g, n in zip(risks["group"], risks["changed"]))
    since = f" published on {run_date}" if run_date else ""
    return (f"Differencing risk: since the reports{since} in {reports_dir}, these groups "
            f"changed by fewer than k = {k} people: {groups}. Anyone holding both the earlier "
            "and the new reports can subtract one from the other and read what those people "
            "said. The new reports are published (a withdrawal must reach them); withdraw the "
            "earlier reports from circulation and ask those who received them to delete "
            "them, or, for new interviews, hold the release until each group has changed by "
            f"at least {k}.")

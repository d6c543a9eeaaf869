"""Differencing between releases: what two batches published one after the other give away.

The batch's mask protects the reports of *one* batch together. A reader who keeps the
reports of an earlier batch and compares them with the next one can subtract too: when a
participant withdraws (or a few interviews are added), every group they belong to changes by
that person alone, and the difference between the two releases is their answers. No mask of
a single batch can prevent it, because the earlier figures are already out.

So every batch records, in the project's ``data/releases/`` (never in ``reports/``, and
kept by ``make clean``, which empties ``data/processed``), who was behind the groups it
published: the participants' pseudonyms with their site and role, the keys of the groups
shown and the disclosure policy. Every release is kept, not only the last: a reader may
hold any earlier set of reports, and two releases that each differ from the one between
them by ``k`` or more people can differ from each other by one. Before the next batch
publishes (into any reports folder), :func:`release_risks` compares it with every earlier
release (:func:`differencing_risks`): a group shown in both whose membership changed by 1
to ``k - 1`` people is a risk. The batch still publishes (a withdrawal must reach the
reports), but says so plainly, names the groups, and tells the analyst what to do: withdraw
the earlier reports from circulation (and say so to those who received them), or hold the
new release until the change is at least ``k`` people. The warning is not written into
``reports/`` (a published note that a group changed by one person would help the reader it
warns against).

Two releases of the same people under different disclosure policies (another ``k``, or
``nhs`` after ``default``) hide different cells: a cell one of them hides to protect a
small group, the other may show, and the two together give the small group away, with no
group's membership changed at all. A batch whose policy differs from that of an earlier
release of any of the same participants is therefore refused (:func:`policy_conflicts`),
unless the analyst says that the earlier reports have been withdrawn
(``--accept-policy-change``); those releases are then recorded as retired.

This is the "differencing" (or "linked releases") problem of statistical disclosure control
(Hundepool et al. 2012, sec. 4.2 and 5.6); the rule used here is the simple one for
frequency tables: a published group must not change by fewer than ``k`` units between
releases.
"""
from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .._files import atomic_write_text
from .mask import _Members

__all__ = ["RELEASES_DIR", "Release", "release_people", "release_path", "read_release",
           "read_releases", "write_release", "differencing_risks", "release_risks",
           "risk_message", "policy_conflicts", "policy_message", "policy_settings",
           "key_change_message"]

#: Folder of ``data/processed`` where earlier versions kept the record of the last release
#: (``last.json``); still read, as the oldest release of the history.
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
    """Where earlier versions kept the record of the last release made from ``data_dir``
    (``data_dir/releases/last.json``); :func:`read_releases` still reads it. New records
    go to the project's ``data/releases/`` (:attr:`peerlib.paths.ProjectPaths.releases`)."""
    return Path(data_dir) / RELEASES_DIR / "last.json"


@dataclass
class Release:
    """One published release, as recorded by :func:`write_release`.

    Attributes
    ----------
    run_id, run_date : str
        The batch's run id (sorts in time order) and date ("" in an old record).
    people : pandas.DataFrame
        :func:`release_people` of the data published.
    shown : set of str
        Keys of the groups shown.
    policy : dict or None
        The disclosure policy's settings (:func:`policy_settings`); None in an old record.
    reports_dir : str
        Where it was published (relative to the project where possible; "" if unknown).
    retires : list of str
        Run ids of earlier releases under another policy that the analyst said were
        withdrawn when this one was published (``--accept-policy-change``).
    key : str
        Fingerprint of the pseudonym key its pseudonyms were made with
        (:func:`peerlib.privacy.key_fingerprint`; "" in an old record): releases under two
        keys cannot be compared person by person.
    """

    run_id: str
    run_date: str
    people: pd.DataFrame
    shown: set
    policy: dict | None = None
    reports_dir: str = ""
    retires: list = field(default_factory=list)
    key: str = ""
    damaged: bool = False


def _parse(record: dict, run_id: str) -> Release:
    people = pd.DataFrame(record["people"], columns=_COLUMNS, dtype=str)
    policy = record.get("policy")
    return Release(run_id=str(record.get("run_id") or run_id),
                   run_date=str(record.get("run_date", "")), people=people,
                   shown=set(map(str, record["shown"])),
                   policy=dict(policy) if isinstance(policy, dict) else None,
                   reports_dir=str(record.get("reports_dir", "")),
                   retires=[str(r) for r in record.get("retires", [])],
                   key=str(record.get("key", "") or ""))


def read_release(path: str | Path) -> tuple[pd.DataFrame, set[str]] | None:
    """One record written by :func:`write_release`: (people, shown group keys), or None
    when there is none or it cannot be read."""
    try:
        release = _parse(json.loads(Path(path).read_text(encoding="utf-8")), "")
        return release.people, release.shown
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def read_releases(folder: str | Path, *, legacy: str | Path | None = None) -> list[Release]:
    """Every release recorded in ``folder`` (``data/releases``), oldest first.

    Parameters
    ----------
    folder : str or Path
        The project's release history (one ``<run_id>.json`` per release).
    legacy : str or Path, optional
        An earlier version's single record (:func:`release_path`), taken as the oldest.

    Returns
    -------
    list of Release
        Oldest first. A record that cannot be read is skipped with a
        :class:`~peerlib.errors.DisclosureWarning` naming it (a damaged history must not
        pass for a shorter one unnoticed); none at all before the first release.
    """
    import warnings

    from ..errors import DisclosureWarning

    paths = sorted(Path(folder).glob("*.json")) if Path(folder).is_dir() else []
    if legacy is not None and Path(legacy).is_file():
        paths.insert(0, Path(legacy))
    out = []
    for path in paths:
        try:
            out.append(_parse(json.loads(path.read_text(encoding="utf-8")), path.stem))
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as err:
            warnings.warn(f"The record of an earlier release, {path}, cannot be read "
                          f"({type(err).__name__}); this batch is not compared with it, and "
                          "a change of disclosure policy is refused while it is unreadable "
                          "(its policy is unknown). Restore it from a backup if you have "
                          "one.", DisclosureWarning, stacklevel=2)
            out.append(Release(run_id=path.stem, run_date="", people=pd.DataFrame(
                columns=_COLUMNS, dtype=str), shown=set(), reports_dir=str(path),
                damaged=True))
    return out


def policy_settings(policy) -> dict:
    """The settings of a :class:`~peerlib.disclosure.DisclosurePolicy` that decide what is
    hidden (its name, ``k``, rounding, ``min_n_mean``, small-count suppression), as a
    JSON-ready dict: two releases with equal settings hide the same cells of the same
    data."""
    from dataclasses import asdict

    return {key: value for key, value in sorted(asdict(policy).items())}


def write_release(folder: str | Path, people: pd.DataFrame, shown: Iterable[str], *,
                  run_id: str, run_date: str = "", policy=None, reports_dir: str = "",
                  retires: Iterable[str] = (), key: str = "",
                  history: list[Release] | None = None) -> Path | None:
    """Record a release in the history (atomically, readable by the owner only).

    Parameters
    ----------
    folder : str or Path
        The project's ``data/releases`` (created, mode 0700).
    people : pandas.DataFrame
        :func:`release_people` of the data published.
    shown : iterable of str
        Keys of the groups the release shows (:func:`peerlib.disclosure.union_key`).
    run_id : str
        The batch's run id: the record is ``<run_id>.json`` (run ids sort in time order).
    run_date : str
        When it was published (for the analyst reading the record).
    policy : DisclosurePolicy, optional
        Its disclosure policy (:func:`policy_settings` is recorded).
    reports_dir : str
        Where it was published.
    retires : iterable of str
        Run ids this release retires (:class:`Release`).
    key : str
        Fingerprint of the pseudonym key of ``people``.
    history : list of Release, optional
        :func:`read_releases` of ``folder``: when the newest release published the same
        people, groups and policy, nothing new is recorded (an unchanged rerun).

    Returns
    -------
    pathlib.Path or None
        The record, or None when nothing new was recorded.
    """
    shown = sorted(set(map(str, shown)))
    settings = policy_settings(policy) if policy is not None else None
    retires = sorted(set(map(str, retires)))
    if history and not retires:
        last = history[-1]
        if (last.policy == settings and last.shown == set(shown) and last.key == key and
                _same_people(last.people, people)):
            return None
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    record = {"run_id": run_id, "run_date": run_date, "shown": shown, "policy": settings,
              "reports_dir": reports_dir, "retires": retires, "key": key,
              "people": people[_COLUMNS].astype(str).values.tolist()}
    return atomic_write_text(folder / f"{run_id}.json",
                             json.dumps(record, indent=0, sort_keys=True) + "\n",
                             mode=0o600)  # pseudonyms: for the owner only


def _rows(frame: pd.DataFrame) -> set:
    return set(map(tuple, frame[_COLUMNS].astype(str).values.tolist()))


def _same_people(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    return _rows(a) == _rows(b)


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


def release_risks(history: list[Release], people: pd.DataFrame, shown: Iterable[str], *,
                  k: int, key: str = "") -> list[tuple[Release, pd.DataFrame]]:
    """:func:`differencing_risks` of this release against every earlier one.

    Parameters
    ----------
    history : list of Release
        :func:`read_releases`, oldest first.
    people, shown
        This release (:func:`release_people`, shown group keys).
    k : int
        The policy's minimum group size.
    key : str
        Fingerprint of this release's pseudonym key.

    Returns
    -------
    list of (Release, pandas.DataFrame)
        Each earlier release with its non-empty risks, newest first. The comparison stops
        at the newest earlier release identical to this one (same people, same groups
        shown): every older one was compared with that one when it was published, and
        saying so again at every rerun would only teach the analyst to skip the warning.
        A release made under another pseudonym key, whose people cannot be matched with
        these, is passed over (older releases under this key are still compared); when it
        is the release just before this one (the first under the new key), it is returned
        with an empty risks frame, which :func:`key_change_message` words. An unreadable
        record (:func:`read_releases`) is passed over.
    """
    shown = set(map(str, shown))
    current = _rows(people)  # once, not once per earlier release
    out = []
    newest = True
    for before in reversed(history):
        if before.damaged:
            continue  # named when read (read_releases)
        if key and before.key and before.key != key:
            if newest:
                out.append((before, pd.DataFrame(columns=["group", "left", "joined",
                                                          "changed"])))
            newest = False
            continue  # an older release may be under this key again (helper-30)
        newest = False
        if before.shown == shown and _rows(before.people) == current:
            break
        risks = differencing_risks(before.people, people, before.shown, shown, k=k)
        if len(risks):
            out.append((before, risks))
    return out


def policy_conflicts(history: list[Release], people: pd.DataFrame, policy, *,
                     key: str = "") -> list[Release]:
    """Earlier releases of any of the same participants under another disclosure policy.

    Parameters
    ----------
    history : list of Release
        :func:`read_releases`, oldest first.
    people : pandas.DataFrame
        :func:`release_people` of this batch.
    policy : DisclosurePolicy
        This batch's policy.
    key : str
        Fingerprint of this batch's pseudonym key.

    Returns
    -------
    list of Release
        The conflicting releases, oldest first: recorded with a policy whose settings
        (:func:`policy_settings`) differ from ``policy``'s, sharing at least one
        participant (pseudonym) with ``people`` (or made under another pseudonym key,
        whose people cannot be matched: a new key does not make new people), and not
        retired by a later release; and every unreadable record, whose policy is unknown
        (helper-30: emptied records let a second policy through). A
        record written before policies were recorded (an earlier version of peerlib) is
        taken to be of the ``default`` policy, which was then the only one used.
    """
    from .policy import get_policy

    settings = policy_settings(policy)
    retired = {r for rel in history for r in rel.retires}
    ids = set(people["participant_id"].astype(str))
    default = policy_settings(get_policy("default"))
    out = []
    for before in history:
        if before.run_id in retired:
            continue
        if before.damaged:  # its policy is unknown: it may be another
            out.append(before)
            continue
        theirs = before.policy if before.policy is not None else default
        other_key = bool(key and before.key and before.key != key)
        if theirs != settings and (other_key or
                                   ids & set(before.people["participant_id"].astype(str))):
            out.append(before)
    return out


def policy_message(conflicts: list[Release], policy, *, accepted: bool = False) -> str:
    """Why a batch under ``policy`` is refused after ``conflicts``
    (:func:`policy_conflicts`), and what the analyst can do; with ``accepted``
    (``--accept-policy-change``), the warning that those releases are taken as withdrawn."""
    def describe(settings: dict | None) -> str:
        if settings is None:
            return "the policy then in force (not recorded, or the record is unreadable)"
        return f"policy '{settings.get('name')}' with k = {settings.get('k')}"

    earlier = "; ".join(f"{rel.run_date or rel.run_id} into "
                        f"{rel.reports_dir or 'an unrecorded folder'} under "
                        f"{describe(rel.policy)}" for rel in conflicts)
    if accepted:
        return (f"--accept-policy-change: the reports published under another disclosure "
                f"policy ({earlier}) are recorded as withdrawn, and this batch publishes the "
                f"same participants under {describe(policy_settings(policy))}. Anyone who "
                "still holds those reports could combine them with these to work out what a "
                "few people said: make sure they have been withdrawn.")
    return (f"This batch would publish the same participants under "
            f"{describe(policy_settings(policy))}, but reports were already published under "
            f"another disclosure policy ({earlier}). Two policies hide different cells, and a "
            "reader holding both sets of reports could combine them to work out what a few "
            "people said. Publish under the policy used before (--disclosure / "
            "--min-group-size, or dataset.yaml's disclosure:), or, if the study has decided "
            "to change its policy, first withdraw the earlier reports from circulation (ask "
            "everyone who received them to delete them), then run again with "
            "--accept-policy-change.")


def risk_message(risks: pd.DataFrame, *, k: int, reports_dir: str | Path = "reports",
                 run_date: str = "") -> str:
    """What the batch tells the analyst about :func:`differencing_risks` ("" if none):
    ``reports_dir`` and ``run_date`` are those of the earlier release."""
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


def key_change_message(before: Release) -> str:
    """What the first batch under a new pseudonym key says about the release before it
    (:func:`release_risks`): its people cannot be matched with these."""
    when = f" published on {before.run_date}" if before.run_date else ""
    where = before.reports_dir or "an earlier folder"
    return (f"Differencing risk not checked: the reports{when} in {where} were made with "
            "another pseudonym key, so this batch's participants cannot be matched with "
            "theirs. If anyone withdrew or was added since, anyone holding both sets of "
            "reports may be able to subtract one from the other: withdraw the earlier "
            "reports from circulation, or check the change by hand.")

"""Disclosure policies: the threshold and display rules of small-cell suppression, as data.

A policy says which groups are too small to show (``k``), whether shown counts are rounded,
and how many answers a mean or median needs. Two presets ship:

``default``
    Suppress every figure of a group of 1 to ``k - 1`` participants (``k`` = 5, the common
    small-number rule of UK health and social care statistics); counts are shown as they are.
``nhs``
    The NHS-style rule used for Hospital Episode Statistics and similar releases: counts of 1
    to 7 are suppressed (``k`` = 8), every other count is rounded to the nearest 5,
    percentages are computed from the rounded counts, and means and medians are not shown
    for fewer than 8 people.

Zeros
-----
Zero is a real count and is never hidden by itself. A group with nobody in it has nobody to
protect, and hiding zeros would make an absent role look like a small one (readers would
then read "n<5" as "somebody is there"); inside a group that is shown (``k`` or more
people), a zero answer count ("nobody said No") says something about the whole group, not
about a few people in it. The same goes for "everyone" ("all 12 said Yes"): what a shown
group says of all its members, it says of every part of it, so a small set lying inside shown
groups that all say 0 (or all say everyone) on an answer is not protected from that value
(:mod:`peerlib.disclosure.intervals`). Zeros take part in the protection the other way round:
a cell known to be zero counts as published when the batch checks that no hidden figure can
be worked out by subtraction (:mod:`peerlib.disclosure.mask`).

One exception protects others: a site's count of people in a role. The sample composition
is published by sector, so in a sector where one site read "<5" for a role and every other
site "0", that site's count would be the sector's. Every role cell of a site with fewer than
``k`` people therefore reads "<5", none included, so "<5" means "0 to 4" there (shown only
where needed, a reader who knows the rule could read the other "<5" cells as 1 to 4). Where
upper bounds still pin a small count (whole-number bounds,
:func:`peerlib.disclosure.intervals.composition_pins`), a role count of ``k`` or more is
hidden too (:func:`peerlib.disclosure.mask.batch_mask`).

``peerlib reports --disclosure NAME`` or ``disclosure: NAME`` in ``data/raw/dataset.yaml``
selects a preset; ``--min-group-size K`` overrides its ``k``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace

from .suppression import DEFAULT_MIN_GROUP_SIZE, check_min_group_size, small_group_label

__all__ = ["DisclosurePolicy", "POLICIES", "DEFAULT_POLICY", "get_policy", "policy_parameters",
           "policy_from_parameters", "SECONDARY_LABEL"]

#: What a cell hidden by secondary suppression (to protect another, small group) shows.
SECONDARY_LABEL = "hidden"


@dataclass(frozen=True)
class DisclosurePolicy:
    """One disclosure policy.

    Attributes
    ----------
    name : str
        Preset name (``default``, ``nhs``), shown in reports and the audit file.
    k : int
        Smallest group whose figures are shown: groups of 1 to ``k - 1`` participants are
        hidden (primary suppression). A group of 0 is shown as 0.
    rounding : int or None
        Round every shown count to the nearest multiple of this (5 for ``nhs``); None shows
        counts as they are.
    min_n_mean : int or None
        Means, medians, SDs and intervals need at least this many answers (None: ``k``).
    suppress_small_counts : bool
        Also suppress counts of 1 to ``k - 1`` inside a shown group (the NHS rule applies to
        every published count), shown as "<k".
    """

    name: str = "default"
    k: int = DEFAULT_MIN_GROUP_SIZE
    rounding: int | None = None
    min_n_mean: int | None = None
    suppress_small_counts: bool = False

    def __post_init__(self):
        check_min_group_size(self.k)
        if self.rounding is not None and int(self.rounding) < 1:
            raise ValueError(f"rounding must be None or a whole number >= 1, got "
                             f"{self.rounding!r}")
        if self.min_n_mean is not None:
            check_min_group_size(self.min_n_mean)

    @property
    def mean_k(self) -> int:
        """Smallest number of answers behind a shown mean or median (at least ``k``)."""
        return max(self.k, self.min_n_mean or self.k)

    def with_k(self, k: object | None) -> DisclosurePolicy:
        """The same policy with another threshold (``--min-group-size``); None keeps it."""
        if k is None:
            return self
        return replace(self, k=check_min_group_size(k))

    def hidden_label(self, rule: str = "primary") -> str:
        """Text shown instead of a hidden figure: "n<k" for a small group, "hidden" for a
        group withheld so that a small one cannot be worked out by subtraction."""
        return SECONDARY_LABEL if rule == "secondary" else small_group_label(self.k)

    def round_count(self, value: float) -> int:
        """A count as shown: rounded half up to the nearest multiple of ``rounding``."""
        value = int(value)
        if not self.rounding:
            return value
        base = int(self.rounding)
        return int(math.floor(value / base + 0.5) * base)

    def shown_count(self, value: float) -> float | None:
        """A count inside a shown group as published: the (rounded) count, 0 for 0, or None
        where the policy suppresses it ("<k").

        Examples
        --------
        >>> p = get_policy("nhs")
        >>> p.shown_count(12), p.shown_count(3), p.shown_count(0), get_policy().shown_count(3)
        (10.0, None, 0.0, 3.0)
        """
        value = int(value)
        if value > 0 and self.suppress_small_counts and value < self.k:
            return None
        return float(self.round_count(value))

    def count_text(self, value: float) -> str:
        """A count inside a shown group as text: "0", the (rounded) count, or "<k" when the
        policy suppresses small counts."""
        value = int(value)
        if value == 0:
            return "0"
        if self.suppress_small_counts and value < self.k:
            return f"<{self.k}"
        return str(self.round_count(value))

    @property
    def mean_digits(self) -> int:
        """Decimals of a published mean: 1 under a policy that rounds counts (two decimals,
        an SD or a confidence interval fit only one exact number of answers behind a
        rounded n), else 2."""
        return 1 if self.rounding else 2

    @property
    def changes_counts(self) -> bool:
        """True when shown counts differ from the counts (rounding or small counts
        suppressed); False for a policy that shows counts as they are."""
        return bool(self.rounding or self.suppress_small_counts)

    def shown_percent(self, count: float, n: float) -> float | None:
        """The percentage shown for an answer count in a shown group of ``n``: of the
        rounded counts under rounding (``100 * round(count) / round(n)``), None where the
        count is not shown ("<k") or the shown denominator is 0.

        Examples
        --------
        >>> get_policy("nhs").shown_percent(12, 23), get_policy().shown_percent(3, 8)
        (40.0, 37.5)
        """
        count, n = int(count), int(n)
        if count > 0 and self.suppress_small_counts and count < self.k:
            return None
        denom = self.round_count(n) if self.rounding else n
        num = self.round_count(count) if self.rounding else count
        if denom <= 0:
            return None
        return 100.0 * num / denom

    def count_percent_text(self, count: float, n: float) -> str:
        """"count (percent%)" for an answer count in a shown group of ``n``: the count as
        :meth:`count_text`, the percentage as :meth:`shown_percent` (of the rounded counts
        under rounding; none beside "<k")."""
        shown = self.count_text(count)
        percent = self.shown_percent(count, n)
        return shown if percent is None else f"{shown} ({percent:.0f}%)"

    def describe(self) -> str:
        """One sentence for readers."""
        text = (f"Results are not shown for any group of fewer than {self.k} participants "
                f"(\"{small_group_label(self.k)}\")")
        if self.mean_k > self.k:
            text += f"; means and medians need at least {self.mean_k} answers"
        if self.rounding:
            text += (f"; counts are rounded to the nearest {self.rounding} and percentages "
                     "are of the rounded counts; mean importance has one decimal and no "
                     "standard deviation or confidence interval (with the exact number of "
                     "answers behind them they would give it away)")
        if self.suppress_small_counts:
            text += f"; counts of 1 to {self.k - 1} show as \"<{self.k}\""
        return text + "."


POLICIES = {
    "default": DisclosurePolicy("default", k=DEFAULT_MIN_GROUP_SIZE),
    "nhs": DisclosurePolicy("nhs", k=8, rounding=5, min_n_mean=8, suppress_small_counts=True),
}
DEFAULT_POLICY = POLICIES["default"]


def get_policy(name: object = "default", *, k: object | None = None) -> DisclosurePolicy:
    """The preset called ``name`` (case-insensitive), with ``k`` overriding its threshold.

    Raises
    ------
    ValueError
        For an unknown name (the message lists the presets) or a ``k`` that is not a whole
        number >= 1.
    """
    key = str(name or "default").strip().casefold()
    if key not in POLICIES:
        raise ValueError(f"Unknown disclosure policy {name!r}; choose one of "
                         f"{', '.join(POLICIES)}")
    return POLICIES[key].with_k(k)


def policy_parameters(policy: DisclosurePolicy) -> dict:
    """The policy as plain notebook parameters (``disclosure``, ``min_group_size``)."""
    return {"disclosure": policy.name, "min_group_size": int(policy.k)}


def policy_from_parameters(disclosure: object = "default",
                           min_group_size: object | None = None) -> DisclosurePolicy:
    """The policy a notebook was run with (the inverse of :func:`policy_parameters`)."""
    return get_policy(disclosure, k=min_group_size)

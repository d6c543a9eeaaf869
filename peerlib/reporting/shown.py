"""Figures as readers see them: a masked result table turned into its shown form.

The disclosure mask (:mod:`peerlib.disclosure.mask`) decides which groups are hidden; the
policy (:class:`~peerlib.disclosure.DisclosurePolicy`) decides how the figures of a shown
group are written. Under a policy that rounds counts (``nhs``: counts of 1 to ``k - 1``
suppressed as "<k", other counts rounded to the nearest 5, percentages of the rounded
counts), every count a reader can see anywhere (bar labels, hover text, the chart's data
in the page, grids, key points, CSV downloads, the PDF pack) must be the shown count, and
every percentage, bar lengths included, must be computed from the shown counts. This module
is the one place that turns a tidy table into that form: :func:`shown_counts` does it for
any table with a group size and counts in it, and the ``shown_*`` functions apply it to the
report's result tables. Chart, grid, key-point and pack builders take these shown tables
and only format them, so none of them can print an exact count by accident.

Under a policy that shows counts as they are (``default``), the numbers are left exactly as
they were; only the ``*_text`` columns are added.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ..disclosure import DisclosurePolicy
from .metadata import hidden_rows

__all__ = ["mean_text", "shown_counts", "shown_happening", "shown_importance", "shown_ipa",
           "shown_patterns", "count_value", "AGREE"]

#: The answers counted together as "Yes or Partly".
AGREE = ("Yes", "Partly")


def _labels(frame: pd.DataFrame, policy: DisclosurePolicy) -> pd.Series:
    rules = (frame["rule"] if "rule" in frame.columns
             else pd.Series("", index=frame.index)).fillna("").astype(str)
    labels = {rule: policy.hidden_label(rule or "primary") for rule in rules.unique()}
    return rules.map(labels)


def shown_counts(frame: pd.DataFrame, policy: DisclosurePolicy, *, n: str,
                 counts: Sequence[str] = (),
                 percents: Mapping[str, str] | None = None,
                 statistic: str = "") -> pd.DataFrame:
    """A tidy table's group sizes, counts and percentages as the policy shows them.

    Parameters
    ----------
    frame : pandas.DataFrame
        A result table after the disclosure mask: one row per group (and item, answer...),
        a group-size column ``n``, optionally ``suppressed`` (bool) and ``rule`` (the
        mask's decision for the row's group).
    policy : DisclosurePolicy
        The report's disclosure policy.
    n : str
        The column holding the group's size (the denominator of its percentages).
    counts : sequence of str
        Columns holding counts of people or answers within the group.
    percents : dict, optional
        Percentage column -> the count column it is a percentage of (of ``n``).
    statistic : str
        The family of figures: which rows read as hidden follows
        :func:`peerlib.reporting.metadata.hidden_rows` (a hidden 0 of importance answers
        stays hidden).

    Returns
    -------
    pandas.DataFrame
        A copy of ``frame``. Under a policy that changes counts
        (:attr:`DisclosurePolicy.changes_counts`): ``n`` and every count column hold the
        shown count (float: :meth:`~DisclosurePolicy.round_count`; NaN where the count is
        not shown, i.e. "<k" or a hidden group), every percentage is
        :meth:`~DisclosurePolicy.shown_percent` of the shown counts (NaN where none), and
        a hidden group (``suppressed`` with people in it) has NaN size, counts and
        percentages. Under any other policy the numbers are unchanged. Always: one text
        column ``<column>_text`` per size and count column, as a reader sees it
        (:meth:`~DisclosurePolicy.count_text`: "0", "10", "<8"; the hidden label, "n<k"
        or "hidden", in a hidden group; "" where the value is missing).

    Examples
    --------
    >>> import pandas as pd
    >>> from peerlib.disclosure import get_policy
    >>> t = pd.DataFrame({"n_asked": [23, 23], "count": [12, 3], "percent": [52.2, 13.0]})
    >>> s = shown_counts(t, get_policy("nhs"), n="n_asked", counts=["count"],
    ...                  percents={"percent": "count"})
    >>> s[["n_asked", "count", "percent", "count_text"]].values.tolist()
    [[25.0, 10.0, 40.0, '10'], [25.0, nan, nan, '<8']]
    """
    percents = dict(percents or {})
    out = frame.copy()
    hidden = hidden_rows(out, n, statistic)
    labels = _labels(out, policy)
    exact = {col: pd.to_numeric(out[col], errors="coerce") for col in [n, *counts]}

    said: dict = {}  # each count's text once: a table repeats a few counts many times

    def text(value, hide, label):
        if hide:
            return label
        if pd.isna(value):
            return ""
        if value not in said:
            said[value] = policy.count_text(value)
        return said[value]

    hide_rows, label_rows = list(hidden), labels.tolist()  # lists: quicker to iterate
    for col in [n, *counts]:
        out[f"{col}_text"] = [text(v, h, lab) for v, h, lab in
                              zip(exact[col].tolist(), hide_rows, label_rows)]
    if not policy.changes_counts:
        return out

    def shown(value, hide):
        if hide or pd.isna(value):
            return np.nan
        count = policy.shown_count(value)
        return np.nan if count is None else count

    for pct, col in percents.items():
        out[pct] = [np.nan if h or pd.isna(c) or pd.isna(size) else
                    (np.nan if (p := policy.shown_percent(c, size)) is None else p)
                    for c, size, h in zip(exact[col], exact[n], hidden)]
    for col in [n, *counts]:
        out[col] = [shown(v, h) for v, h in zip(exact[col], hidden)]
    return out


def count_value(value: object, text: object) -> object:
    """One shown count for chart data: the int where there is one, else its text ("<8")
    or None (for a plotly ``customdata`` or a CSV cell)."""
    if value is not None and not pd.isna(value):
        return int(value)
    return str(text) if isinstance(text, str) and text else None


def shown_happening(dist: pd.DataFrame, policy: DisclosurePolicy, *,
                    response: str = "happening", item: str = "item_id") -> pd.DataFrame:
    """A masked "Is this happening here?" distribution as readers see it.

    Parameters
    ----------
    dist : pandas.DataFrame
        :func:`peerlib.reporting.tables.site_happening` or ``group_happening`` (one row per
        group x item x answer: ``count``, ``percent``, ``n_asked``, ``suppressed``,
        ``rule``), or a raw :func:`peerlib.part1.scoring.happening_distribution`.
    policy : DisclosurePolicy
        The report's policy.
    response, item : str
        The answer and item columns.

    Returns
    -------
    pandas.DataFrame
        :func:`shown_counts` of ``count`` (percent of ``n_asked``), plus the "Yes or
        Partly" count of the row's group and item, repeated on each of its rows as
        ``n_asked`` is: ``agree`` (a count in its own right, shown under the same rules),
        ``agree_text`` and ``agree_percent`` (of the shown counts).
    """
    keys = [c for c in dist.columns if c not in (
        response, "count", "percent", "n_asked", "suppressed", "rule", "union")]
    data = dist.copy()
    yes = data[response].astype(str).isin(AGREE)
    groups = [data[k].astype(str) for k in keys] or [np.zeros(len(data))]
    codes = pd.Series(0, index=data.index).groupby(groups, sort=False).ngroup().to_numpy()

    def group_total(values: pd.Series) -> np.ndarray:
        """Each row's group total, NaN for a group with any NaN (a hidden group: a sum
        over nothing is not 0 here); added in row order, one group at a time (bincount),
        so that thousands of groups (sites x items) cost one pass."""
        v = values.to_numpy(dtype=float)
        gap = np.isnan(v)
        total = np.bincount(codes, weights=np.where(gap, 0.0, v))
        return np.where(np.bincount(codes, weights=gap)[codes] > 0, np.nan, total[codes])

    count = pd.to_numeric(data["count"], errors="coerce")
    data["agree"] = group_total(count.where(yes, 0.0))
    # as the chart stacks them: the percentages of Yes and of Partly added (replaced by
    # the percentage of the shown "Yes or Partly" count under a policy that rounds)
    data["agree_percent"] = group_total(pd.to_numeric(data["percent"], errors="coerce").where(
        yes, 0.0))
    return shown_counts(data, policy, n="n_asked", counts=["count", "agree"],
                        percents={"percent": "count", "agree_percent": "agree"})


def shown_importance(summary: pd.DataFrame, policy: DisclosurePolicy) -> pd.DataFrame:
    """A masked importance summary as readers see it: its ``n`` (answers behind each mean)
    shown under the policy (:func:`shown_counts`); means, SDs, medians and intervals are
    left as the view carries them (the mask hides them under ``mean_k`` answers; under a
    rounding policy the view already holds them as published,
    :func:`peerlib.reporting.tables.published_importance`). A 0 the mask hides
    (no answers from a group of 1 to ``k - 1`` people) stays hidden. Adds ``mean_text``:
    each mean with the policy's decimals (``policy.mean_digits``: two, or one under a
    rounding policy), "" where hidden, for grids and chart hover text."""
    out = shown_counts(summary, policy, n="n", statistic="importance")
    return _with_mean_text(out, "mean", policy)


def mean_text(record, column: str = "mean", text_column: str | None = None) -> str:
    """A mean as the reports print it: the shown table's text of it (``<column>_text``, or
    ``text_column``: the policy's decimals, :func:`shown_importance`), else two decimals.

    Parameters
    ----------
    record : pandas.Series, dict or named tuple
        One row of a table of means (scale 1-4).
    column, text_column : str
        The mean's column, and its text column when not ``<column>_text``.

    Returns
    -------
    str
        E.g. "3.1" under a rounding policy, "3.14" otherwise.

    Raises
    ------
    KeyError, AttributeError
        When the row has neither column.
    """
    name = text_column or f"{column}_text"
    text = record.get(name, "") if hasattr(record, "get") else getattr(record, name, "")
    if isinstance(text, str) and text:
        return text
    value = record[column] if hasattr(record, "get") else getattr(record, column)
    return f"{float(value):.2f}"


def _with_mean_text(frame: pd.DataFrame, column: str, policy: DisclosurePolicy
                    ) -> pd.DataFrame:
    """``frame`` with ``<column>_text``: the means as published (the policy's decimals)."""
    if column not in frame.columns:
        return frame
    digits = int(policy.mean_digits)
    return frame.assign(**{f"{column}_text": [
        "" if pd.isna(v) else f"{float(v):.{digits}f}" for v in frame[column]]})


def shown_ipa(ipa: pd.DataFrame, policy: DisclosurePolicy) -> pd.DataFrame:
    """A masked Importance-Performance table as readers see it: ``n_performance`` and
    ``n_importance`` shown under the policy (:func:`shown_counts`, with their own
    ``*_text`` columns, and ``importance_text``: the mean importance with the policy's
    decimals); performance and importance scores are left as they are (under a
    policy that changes counts, :func:`peerlib.reporting.tables.ipa_view` and
    ``site_ipa`` already computed performance from the shown counts)."""
    out = shown_counts(ipa, policy, n="n_performance")
    return _with_mean_text(shown_counts(out, policy, n="n_importance"), "importance", policy)


def shown_patterns(patterns: pd.DataFrame, policy: DisclosurePolicy, *,
                   count: str = "n_spoke", n: str = "n_participants") -> pd.DataFrame:
    """Part 2 theme patterns (:func:`peerlib.part2.framework.theme_patterns`, or
    :func:`peerlib.part2.cases.cross_case` / ``site_theme_synthesis``) as readers see
    them: participants who spoke to a theme and the group's participants with coded
    transcripts shown under the policy, the percentage (where the table has one) of the
    shown counts (:func:`shown_counts`)."""
    percents = {"percent": count} if "percent" in patterns.columns else {}
    return shown_counts(patterns, policy, n=n, counts=[count], percents=percents)

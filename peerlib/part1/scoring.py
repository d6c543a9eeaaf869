"""Descriptive scoring of Part 1: sample table, distributions, importance, IPA, comparisons.

Every function takes the tidy long table (one row per participant x item, DESIGN.md) and
returns a tidy DataFrame with the group keys as plain columns and an ``n`` beside every
statistic. Nothing here reads files or draws; nothing is rounded (round for display only).
"""
from __future__ import annotations

import functools

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from ..codebook import Codebook, load_codebook

__all__ = [
    "QUADRANTS",
    "sample_table",
    "sample_counts",
    "happening_distribution",
    "happening_percentages",
    "importance_summary",
    "importance_counts",
    "importance_from_counts",
    "importance_performance",
    "ipa_quadrants",
    "compare_two_groups",
    "holm_adjust",
    "fisher_exact_2x2",
]

#: Martilla & James (1977) quadrant names, keyed by (high importance, high performance).
QUADRANTS = {
    (True, False): "Concentrate here",
    (True, True): "Keep up the good work",
    (False, False): "Low priority",
    (False, True): "Possible overkill",
}



def _instrument(codebook: Codebook | str | None) -> Codebook:
    """The codebook whose scales score the answers: the one given, else the packaged one."""
    return codebook if isinstance(codebook, Codebook) else load_codebook(codebook)


def _by(by: str | Sequence[str] | None) -> list[str]:
    if by is None:
        return []
    return [by] if isinstance(by, str) else list(by)


def _check_columns(data: pd.DataFrame, columns: Sequence[str], func: str) -> None:
    missing = [c for c in columns if c not in data.columns]
    if missing:
        raise KeyError(f"{func}: the data has no column(s) {', '.join(missing)} "
                       f"(columns: {', '.join(map(str, data.columns))})")


def _levels(series: pd.Series) -> list:
    """Levels of a grouping column: categories in their order, else sorted observed values."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        return list(series.cat.categories)
    return sorted(series.dropna().unique().tolist(), key=str)


def sample_counts(data: pd.DataFrame, *, by: str | Sequence[str] = ("site_id", "role"),
                  participant: str = "participant_id") -> pd.DataFrame:
    """Number of participants per group (long form).

    Parameters
    ----------
    data : pandas.DataFrame
        The long table; one row per participant x item.
    by : str or sequence of str
        Grouping columns.
    participant : str
        Participant id column.

    Returns
    -------
    pandas.DataFrame
        One row per observed combination of ``by`` (categorical levels in their order):
        the ``by`` columns and ``n`` (count of distinct participants).
    """
    keys = _by(by)
    _check_columns(data, [*keys, participant], "sample_counts")
    people = data.drop_duplicates(participant)
    out = people.groupby(keys, observed=True, sort=True).size().rename("n").reset_index()
    return out


def sample_table(data: pd.DataFrame, *, rows: str = "role", columns: str = "sector",
                 column_order: Sequence[str] | None = None, participant: str = "participant_id",
                 total_label: str = "Total") -> pd.DataFrame:
    """The sample composition table: participants by ``rows`` x ``columns`` with totals.

    Parameters
    ----------
    data : pandas.DataFrame
        The long table; one row per participant x item.
    rows : str
        Row variable (default ``role``; every category of a categorical is listed, with 0).
    columns : str
        Column variable (default ``sector``).
    column_order : sequence of str, optional
        Order of the columns (e.g. ``["Voluntary", "NHS"]`` as in the study's table).
    participant : str
        Participant id column.
    total_label : str
        Label of the total row and column.

    Returns
    -------
    pandas.DataFrame
        One row per level of ``rows`` then a total row; columns: ``rows`` (text), one column
        per level of ``columns`` and ``total_label``; values are counts of participants
        (int64).

    Raises
    ------
    KeyError
        When a column is missing.

    Examples
    --------
    >>> df = pd.DataFrame({"participant_id": ["a", "b", "c"], "role": ["PW", "PW", "SU"],
    ...                    "sector": ["NHS", "Voluntary", "NHS"]})
    >>> sample_table(df)
        role  NHS  Voluntary  Total
    0     PW    1          1      2
    1     SU    1          0      1
    2  Total    2          1      3
    """
    _check_columns(data, [rows, columns, participant], "sample_table")
    people = data.drop_duplicates(participant)
    table = pd.crosstab(people[rows], people[columns], dropna=False)
    table = table.reindex(index=_levels(people[rows]), fill_value=0)
    cols = list(column_order) if column_order is not None else _levels(people[columns])
    table = table.reindex(columns=cols, fill_value=0).astype("int64")
    table[total_label] = table.sum(axis=1)
    table.loc[total_label] = table.sum(axis=0)
    table.index = table.index.astype(str)
    table.index.name = rows
    table.columns.name = None
    return table.reset_index()


def happening_distribution(data: pd.DataFrame, *, by: str | Sequence[str] | None = ("sector",),
                           item: str = "item_id", response: str = "happening") -> pd.DataFrame:
    """Distribution of "Is this happening here?" answers per item and group.

    Parameters
    ----------
    data : pandas.DataFrame
        The long table; ``response`` an ordered categorical (every category is kept, with 0,
        in scale order: Yes, Partly, No, Don't know, Not relevant, Missing).
    by : str, sequence of str or None
        Grouping columns (``()`` or None for everyone); groups are the observed ones.
    item, response : str
        Item and answer columns.

    Returns
    -------
    pandas.DataFrame
        One row per group x item x answer option: the ``by`` columns, ``item``, ``response``
        (ordered categorical), ``count`` (participants giving that answer), ``n_asked``
        (participants in the group asked the item, Missing included) and ``percent``
        (0-100: count / n_asked x 100, Missing included so options add up to 100; NaN
        where n_asked is 0).

    Notes
    -----
    "Missing" (no answer recorded) is a category of its own and counts in the denominator,
    as the study's charts stack all answers to 100%.
    """
    keys = _by(by)
    _check_columns(data, [*keys, item, response], "happening_distribution")
    if not isinstance(data[response].dtype, pd.CategoricalDtype):
        raise TypeError(f"happening_distribution: column {response!r} must be an ordered "
                        "categorical (load data with peerlib.load_prepared)")
    counts = (data.groupby([*keys, item, response], observed=False, sort=True, dropna=False)
              .size().rename("count").reset_index())
    if keys:  # keep only observed groups, but every item and answer within them
        groups = data[keys].drop_duplicates()
        counts = counts.merge(groups, on=keys, how="inner")
    counts["count"] = counts["count"].astype("int64")
    counts[response] = pd.Categorical(counts[response], dtype=data[response].dtype)
    return happening_percentages(counts, by=keys, item=item, response=response)


def happening_percentages(counts: pd.DataFrame, *, by: str | Sequence[str] | None = ("sector",),
                          item: str = "item_id", response: str = "happening") -> pd.DataFrame:
    """``n_asked`` and ``percent`` of answer counts, as :func:`happening_distribution`
    gives them (counts can be added and subtracted first, e.g. all sites minus one).

    Parameters
    ----------
    counts : pandas.DataFrame
        One row per group x item x answer option: the ``by`` columns, ``item``,
        ``response`` and ``count`` (int).
    by, item, response : str, sequence of str or None
        As :func:`happening_distribution`.

    Returns
    -------
    pandas.DataFrame
        ``counts`` with ``n_asked`` and ``percent`` (re)computed, sorted by group, item and
        answer option.
    """
    keys = _by(by)
    counts = counts.drop(columns=["n_asked", "percent"], errors="ignore")
    counts["n_asked"] = counts.groupby([*keys, item], observed=True)["count"].transform("sum")
    counts["percent"] = np.where(counts["n_asked"] > 0,
                                 100.0 * counts["count"] / counts["n_asked"].where(
                                     counts["n_asked"] > 0), np.nan)
    return counts.sort_values([*keys, item, response], kind="stable").reset_index(drop=True)


def importance_summary(data: pd.DataFrame, *, by: str | Sequence[str] | None = ("sector",),
                       item: str = "item_id", value: str = "importance",
                       confidence: float = 0.95,
                       bounds: tuple[float, float] | None = (1.0, 4.0)) -> pd.DataFrame:
    """Summary of "How important is this to you?" per item and group.

    Parameters
    ----------
    data : pandas.DataFrame
        The long table; ``value`` nullable integers on the 1-4 scale (NA = no answer).
    by : str, sequence of str or None
        Grouping columns (``()`` or None for everyone).
    item, value : str
        Item and importance columns.
    confidence : float
        Confidence level of the interval (0-1).
    bounds : (float, float) or None
        The scale's range; interval ends are clipped to it (a mean of a 1-4 scale cannot
        lie outside 1-4). None leaves the t interval as computed.

    Returns
    -------
    pandas.DataFrame
        One row per group x item: the ``by`` columns, ``item``, ``n`` (answers, int),
        ``n_missing`` (no answer), ``mean`` and ``median`` (importance scale, 1 = not at all
        important ... 4 = extremely important), ``sd`` (sample SD, ddof = 1), ``ci_low`` and
        ``ci_high`` (the interval for the mean). Statistics are NaN where n = 0 (SD and CI
        also where n = 1).

    Notes
    -----
    The interval is Student's t interval for a mean, mean +/- t(1 - a/2, n - 1) x SD /
    sqrt(n); treating the 4-point scale as interval-level is the convention of the study's
    own charts (means of importance). With n < 10 the interval is wide and approximate;
    reports print n beside every mean. Checked against hand computation in the tests.

    References
    ----------
    Student (1908). The probable error of a mean. Biometrika 6(1), 1-25.
    """
    keys = _by(by)
    _check_columns(data, [*keys, item, value], "importance_summary")
    return importance_from_counts(importance_counts(data, by=keys, item=item, value=value),
                                  by=keys, item=item, value=value, confidence=confidence,
                                  bounds=bounds)


def importance_counts(data: pd.DataFrame, *, by: str | Sequence[str] | None = ("sector",),
                      item: str = "item_id", value: str = "importance") -> pd.DataFrame:
    """Importance answers counted per group x item x value, no answer included.

    The counts hold everything :func:`importance_summary` reports, and counts can be added
    and subtracted: "all other sites" is every site's counts minus one site's, without
    passing over the whole table again (:func:`importance_from_counts`).

    Parameters
    ----------
    data : pandas.DataFrame
        The long table; ``value`` numbers (nullable integers 1-4 for the study's scale).
    by : str, sequence of str or None
        Grouping columns (``()`` or None for everyone).
    item, value : str
        Item and importance columns.

    Returns
    -------
    pandas.DataFrame
        One row per observed group x item x value: the ``by`` columns, ``item``, ``value``
        (float; NaN for no answer) and ``count`` (int). Every row of ``data`` is counted
        once, so the groups and items present are those of ``data``.
    """
    keys = _by(by)
    _check_columns(data, [*keys, item, value], "importance_counts")
    frame = data[[*keys, item]].copy()
    frame[value] = pd.to_numeric(data[value], errors="raise").astype(float)
    counts = (frame.groupby([*keys, item, value], observed=True, sort=True, dropna=False)
              .size().rename("count").reset_index())
    counts["count"] = counts["count"].astype("int64")
    return counts


def importance_from_counts(counts: pd.DataFrame, *, by: str | Sequence[str] | None = ("sector",),
                           item: str = "item_id", value: str = "importance",
                           confidence: float = 0.95,
                           bounds: tuple[float, float] | None = (1.0, 4.0)) -> pd.DataFrame:
    """:func:`importance_summary` from counted answers (:func:`importance_counts`).

    Parameters
    ----------
    counts : pandas.DataFrame
        The ``by`` columns, ``item``, ``value`` (NaN = no answer) and ``count``; rows with
        a count of 0 are allowed (e.g. after subtracting one group's counts from a total).
    by, item, value, confidence, bounds
        As :func:`importance_summary`.

    Returns
    -------
    pandas.DataFrame
        The columns of :func:`importance_summary`: every item (the categories of ``item``
        when categorical) for every group present in ``counts``.
    """
    keys = _by(by)
    _check_columns(counts, [*keys, item, value, "count"], "importance_from_counts")
    counts = counts.sort_values([*keys, item, value], kind="stable").reset_index(drop=True)
    gid = counts.groupby([*keys, item], observed=True, sort=True).ngroup().to_numpy()
    groups = gid.max() + 1 if len(gid) else 0
    v = counts[value].to_numpy(dtype=float)
    w = counts["count"].to_numpy(dtype=float)
    answered = ~np.isnan(v)
    wa = np.where(answered, w, 0.0)
    va = np.where(answered, v, 0.0)
    n = np.bincount(gid, weights=wa, minlength=groups)
    rows = np.bincount(gid, weights=w, minlength=groups)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.bincount(gid, weights=wa * va, minlength=groups) / np.where(n > 0, n, np.nan)
        squares = np.bincount(gid, weights=wa * (va - mean[gid]) ** 2, minlength=groups)
        sd = np.where(n >= 2, np.sqrt(squares / np.where(n >= 2, n - 1, np.nan)), np.nan)
    # median: the mean of the values at positions (n - 1) // 2 and n // 2 (0-based) of
    # each group's answers in order
    cum = pd.Series(wa).groupby(gid).cumsum().to_numpy()
    before = cum - wa

    def value_at(position: np.ndarray) -> np.ndarray:
        here = (wa > 0) & (before <= position[gid]) & (position[gid] < cum)
        at = np.full(groups, np.nan)
        at[gid[here]] = v[here]
        return at

    median = (value_at((n - 1) // 2) + value_at(n // 2)) / 2
    first = np.unique(gid, return_index=True)[1]
    out = counts.iloc[first][[*keys, item]].reset_index(drop=True)
    out["n"] = n.astype("int64")
    out["n_missing"] = (rows - n).astype("int64")
    out["mean"] = mean
    out["sd"] = sd
    out["median"] = median
    if keys:  # every item for every group present, even when nobody answered it
        full = out[keys].drop_duplicates().merge(
            pd.DataFrame({item: _levels(counts[item])}), how="cross")
        if isinstance(counts[item].dtype, pd.CategoricalDtype):
            full[item] = pd.Categorical(full[item], dtype=counts[item].dtype)
        out = full.merge(out, on=[*keys, item], how="left")
        out[["n", "n_missing"]] = out[["n", "n_missing"]].fillna(0).astype("int64")
    from scipy import special  # slow import (a fifth of a second), only needed here

    nf = out["n"].astype(float)
    tcrit = special.stdtrit(np.maximum(nf - 1, 1), 0.5 + confidence / 2)  # t quantile
    half = np.where(nf >= 2, tcrit * out["sd"] / np.sqrt(nf.where(nf > 0)), np.nan)
    out["ci_low"] = out["mean"] - half
    out["ci_high"] = out["mean"] + half
    if bounds is not None:
        out["ci_low"] = out["ci_low"].clip(lower=bounds[0])
        out["ci_high"] = out["ci_high"].clip(upper=bounds[1])
    if isinstance(counts[item].dtype, pd.CategoricalDtype):
        out[item] = pd.Categorical(out[item], dtype=counts[item].dtype)
    return out.sort_values([*keys, item], kind="stable").reset_index(drop=True)


def importance_performance(data: pd.DataFrame, *, by: str | Sequence[str] | None = None,
                           item: str = "item_id", response: str = "happening",
                           value: str = "importance", min_n: int = 0,
                           codebook: Codebook | str | None = None,
                           shown_count: Callable[[int], float | None] | None = None,
                           ) -> pd.DataFrame:
    """Importance-Performance analysis per item (Martilla & James, 1977).

    Parameters
    ----------
    data : pandas.DataFrame
        The long table.
    by : str, sequence of str or None
        Grouping columns; each group gets its own reference means and quadrants.
    item, response, value : str
        Item, "Is this happening here?" and importance columns.
    min_n : int
        Disclosure threshold: an item whose performance or importance rests on fewer than
        ``min_n`` answers gets NaN values and no quadrant, and is left out of the reference
        means (which would otherwise let a reader work the hidden value out). 0 hides
        nothing.
    codebook : Codebook or path, optional
        The instrument whose "happening" scale says which answers are substantive and what
        each scores (``substantive: true`` and ``score:`` in the YAML); default the
        packaged ``peerlib/schedules/part1.yaml`` (Yes 1, Partly 0.5, No 0). Pass the
        codebook the data was prepared with (:func:`peerlib.reporting.tables.prepared_codebook`).
    shown_count : callable, optional
        Under a disclosure policy that rounds counts (e.g.
        :meth:`peerlib.disclosure.DisclosurePolicy.round_count`): performance is computed
        from each substantive answer's rounded count, as percentages are from rounded
        counts, so that it does not hint at the exact ``n`` (a count mapped to None
        weighs 0). ``n_performance`` stays exact (the report rounds it when showing it).

    Returns
    -------
    pandas.DataFrame
        One row per group x item: the ``by`` columns, ``item``, ``n_performance``
        (substantive answers: Yes, Partly or No), ``performance`` (0-100: the mean score of
        the substantive answers x 100, i.e. (Yes + 0.5 x Partly) / (Yes + Partly + No) x 100
        with the packaged scores; NaN when there are none), ``n_importance``
        (importance answers), ``importance`` (mean, 1-4 scale), ``performance_reference`` and
        ``importance_reference`` (unweighted means over the group's items with a value: the
        cross-hairs) and ``quadrant`` (text; NA where either value is NaN).

    Notes
    -----
    Don't know, Not relevant and Missing (the levels without ``substantive: true``) are not
    performance judgements and are left out of performance. Quadrants follow Martilla and James: high importance and low performance
    "Concentrate here", high/high "Keep up the good work", low/low "Low priority", low
    importance and high performance "Possible overkill"; a value equal to the reference
    counts as high. The cross-hairs are the data-centred means, one of the placements the
    authors discuss.

    References
    ----------
    Martilla, J. A., & James, J. C. (1977). Importance-performance analysis. Journal of
    Marketing, 41(1), 77-79. https://doi.org/10.1177/002224297704100112
    """
    keys = _by(by)
    _check_columns(data, [*keys, item, response, value], "importance_performance")
    scores = data[response].astype(object).map(_instrument(codebook).substantive_scores)
    frame = data[[*keys, item]].copy()
    frame["_score"] = scores.astype(float)
    grouped = frame.groupby([*keys, item], observed=True, sort=True)["_score"]
    perf = pd.DataFrame({"n_performance": grouped.count().astype("int64"),
                         "performance": 100.0 * grouped.mean()}).reset_index()
    if shown_count is not None:
        perf["performance"] = _performance_of_shown(frame.assign(_answer=data[response]),
                                                    [*keys, item], shown_count, perf)
    imp = importance_summary(data, by=keys, item=item, value=value)[[*keys, item, "n", "mean"]]
    imp = imp.rename(columns={"n": "n_importance", "mean": "importance"})
    if isinstance(data[item].dtype, pd.CategoricalDtype):
        perf[item] = pd.Categorical(perf[item], dtype=data[item].dtype)
    out = imp.merge(perf, on=[*keys, item], how="left")
    out["n_performance"] = out["n_performance"].fillna(0).astype("int64")
    out = out[[*keys, item, "n_performance", "performance", "n_importance", "importance"]]
    hidden = np.minimum(out["n_performance"], out["n_importance"]) < min_n
    out.loc[hidden, ["performance", "importance"]] = np.nan
    return ipa_quadrants(out, by=keys)


def _performance_of_shown(frame: pd.DataFrame, keys: list[str],
                          shown_count: Callable[[int], float | None],
                          perf: pd.DataFrame) -> np.ndarray:
    """Performance (0-100) per row of ``perf`` from the shown count of each substantive
    answer (``_answer`` scored ``_score``; a count not shown taken as 0); NaN where the
    shown counts add up to 0."""
    sub = frame.dropna(subset=["_score"])
    counts = sub.groupby([*keys, sub["_answer"].astype(str).rename("_option")],
                         observed=True, sort=False)["_score"].agg(["size", "first"])
    shown = np.array([np.nan if (v := shown_count(int(c))) is None else v
                      for c in counts["size"]], dtype=float)
    shown = np.nan_to_num(shown, nan=0.0)
    total = pd.Series(shown, index=counts.index).groupby(level=keys, observed=True,
                                                         sort=False).sum()
    scored = pd.Series(shown * counts["first"].to_numpy(), index=counts.index).groupby(
        level=keys, observed=True, sort=False).sum()
    at = pd.MultiIndex.from_frame(perf[keys]) if len(keys) > 1 else pd.Index(perf[keys[0]])
    total, scored = total.reindex(at).to_numpy(), scored.reindex(at).to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, 100.0 * scored / np.where(total > 0, total, 1), np.nan)


def ipa_quadrants(ipa: pd.DataFrame, *, by: str | Sequence[str] | None = None
                  ) -> pd.DataFrame:
    """(Re)compute the cross-hairs and quadrants of an Importance-Performance table.

    Parameters
    ----------
    ipa : pandas.DataFrame
        Columns ``performance`` and ``importance`` (NaN for an item not shown, e.g. hidden
        by disclosure control) and the ``by`` columns.
    by : str, sequence of str or None
        Grouping columns: each group gets its own reference means.

    Returns
    -------
    pandas.DataFrame
        A copy with ``performance_reference`` and ``importance_reference`` (unweighted
        means over the group's items with a value) and ``quadrant`` (text; NA where either
        value is NaN, and in a group with fewer than two items with both values: one item
        is its own average, and would always read "Keep up the good work"), as in
        :func:`importance_performance`. Items without a value are left out of the means,
        which would otherwise let a reader work a hidden value out.
    """
    keys = _by(by)
    out = ipa.copy()
    valued = (out["performance"].notna() & out["importance"].notna()).astype(int)
    if keys:
        ref = out.groupby(keys, observed=True)[["performance", "importance"]].transform("mean")
        points = valued.groupby([out[k] for k in keys], observed=True).transform("sum")
    else:
        ref = pd.DataFrame({"performance": out["performance"].mean(),
                            "importance": out["importance"].mean()}, index=out.index)
        points = pd.Series(valued.sum(), index=out.index)
    out["performance_reference"] = ref["performance"]
    out["importance_reference"] = ref["importance"]
    quadrant = [
        QUADRANTS[(bool(i >= ir), bool(p >= pr))]
        if not (np.isnan(p) or np.isnan(i)) and m >= 2 else pd.NA
        for p, i, pr, ir, m in zip(out["performance"].astype(float),
                                   out["importance"].astype(float),
                                   out["performance_reference"], out["importance_reference"],
                                   points)
    ]
    out["quadrant"] = pd.array(quadrant, dtype="string")
    return out.reset_index(drop=True)


@functools.lru_cache(maxsize=4096)
def fisher_exact_2x2(x_a: int, n_a: int, x_b: int, n_b: int) -> tuple[float, float]:
    """Fisher's exact test (two-sided) of ``x_a`` of ``n_a`` against ``x_b`` of ``n_b``.

    Parameters
    ----------
    x_a, n_a, x_b, n_b : int
        Counts with the outcome and group sizes (``n_a``, ``n_b`` > 0; ``0 <= x <= n``).

    Returns
    -------
    (float, float)
        The sample odds ratio and the p-value, as ``scipy.stats.fisher_exact`` computes
        them on ``[[x_a, n_a - x_a], [x_b, n_b - x_b]]``. Remembered per table: the
        cross-site report tests the same tables twice (the comparison, then the
        comparison as shown).

    References
    ----------
    Fisher, R. A. (1935). The logic of inductive inference. JRSS 98(1), 39-82.
    """
    from scipy import stats  # slow import, only needed here

    res = stats.fisher_exact([[x_a, n_a - x_a], [x_b, n_b - x_b]], alternative="two-sided")
    return float(res.statistic), float(res.pvalue)


def holm_adjust(p_values: np.ndarray) -> np.ndarray:
    """Holm's step-down adjustment of p-values for multiple tests.

    Parameters
    ----------
    p_values : numpy.ndarray
        One p-value per test, shape ``(m,)``, each in [0, 1]; no NaN.

    Returns
    -------
    numpy.ndarray
        The adjusted p-values, shape ``(m,)``, in the input's order: with the p-values
        sorted ascending, the i-th (from 0) is multiplied by ``m - i``, made non-decreasing
        along the sorted order and capped at 1. The same values as statsmodels'
        ``multipletests(p, method="holm")[1]`` (a test checks), without the full garbage
        collection that function runs on every call (0.2 s in a notebook's kernel).

    References
    ----------
    Holm, S. (1979). A simple sequentially rejective multiple test procedure. Scandinavian
    Journal of Statistics 6(2), 65-70.
    """
    p = np.asarray(p_values, dtype=float)
    order = np.argsort(p, kind="stable")
    scaled = p[order] * (len(p) - np.arange(len(p)))
    out = np.empty_like(p)
    out[order] = np.minimum(np.maximum.accumulate(scaled), 1.0)
    return out


def compare_two_groups(data: pd.DataFrame, *, by: str = "sector",
                       groups: Sequence[str] | None = None, item: str = "item_id",
                       response: str = "happening", value: str = "importance",
                       codebook: Codebook | str | None = None) -> pd.DataFrame:
    """Exploratory comparison of two groups per item with Fisher's exact test.

    Two dichotomies are compared, each in a 2 x 2 table: the top-scoring answer ("Yes")
    among substantive answers (Yes, Partly, No) and the top of the importance scale
    ("Extremely important") among importance answers.

    Parameters
    ----------
    data : pandas.DataFrame
        The long table.
    by : str
        Column holding the two groups (e.g. ``sector``).
    groups : sequence of two str, optional
        The two levels to compare; default the two levels present (an error if not two).
    item, response, value : str
        Item, happening and importance columns.
    codebook : Codebook or path, optional
        The instrument: which happening answers are substantive, which scores highest, and
        the top importance code; default the packaged codebook.

    Returns
    -------
    pandas.DataFrame
        One row per item x measure: ``item``, ``measure`` (text), and for each group ``a``
        and ``b``: ``group_a``/``group_b``, ``n_a``/``n_b`` (denominators, counts),
        ``x_a``/``x_b`` (participants with the outcome), ``percent_a``/``percent_b`` (0-100);
        ``odds_ratio`` (conditional MLE is not used: the sample odds ratio from scipy),
        ``p_exact`` (two-sided Fisher exact p), ``p_holm`` (Holm-adjusted across all rows of
        the table) and ``note`` ("exploratory").

    Raises
    ------
    ValueError
        When ``by`` does not hold exactly two groups (or ``groups`` is not two levels).

    Notes
    -----
    The study is qualitative and comparative; its Part 1 samples are small and purposive.
    These p-values describe the sample only, are not confirmatory, and are labelled
    exploratory wherever shown. Fisher's test is exact for any cell size.

    References
    ----------
    Fisher, R. A. (1935). The logic of inductive inference. JRSS 98(1), 39-82.
    Holm, S. (1979). A simple sequentially rejective multiple test procedure. Scandinavian
    Journal of Statistics 6(2), 65-70.
    """
    _check_columns(data, [by, item, response, value], "compare_two_groups")
    levels = list(groups) if groups is not None else _levels(data[by].astype(object))
    if len(levels) != 2:
        raise ValueError(f"compare_two_groups: {by!r} must hold exactly two groups to compare; "
                         f"found {len(levels)}: {', '.join(map(str, levels))}")
    cb = _instrument(codebook)
    scores = cb.substantive_scores
    top = max(scores, key=scores.get)
    top_code = max(cb.importance_labels)
    rows = []
    answers = data[response].astype(object)
    substantive = answers.isin(list(scores))
    answered = data[value].notna()
    measures = (
        (f'{top} among {"/".join(scores)} ("Is this happening here?")', substantive,
         answers == top),
        (f'"{cb.importance_labels[top_code]}" among importance answers', answered,
         data[value].fillna(0) == top_code),
    )
    # One pass over the table per measure (not one full-table mask per item and group).
    tallies = []
    for _, base, outcome in measures:
        frame = pd.DataFrame({"item": data[item][base], "group": data[by][base].astype(object),
                              "x": outcome[base].astype(bool)})
        agg = frame.groupby(["item", "group"], observed=True, sort=False)["x"].agg(
            ["size", "sum"])
        tallies.append({key: (int(n), int(x)) for key, n, x in
                        zip(agg.index, agg["size"], agg["sum"])})
    for item_id in _levels(data[item]):
        for (measure, _, _), tally in zip(measures, tallies):
            row = {item: item_id, "measure": measure}
            for tag, group in zip("ab", levels):
                n, x = tally.get((item_id, group), (0, 0))
                row.update({f"group_{tag}": group, f"n_{tag}": n, f"x_{tag}": x,
                            f"percent_{tag}": 100.0 * x / n if n else np.nan})
            if min(row["n_a"], row["n_b"]) > 0:
                row["odds_ratio"], row["p_exact"] = fisher_exact_2x2(
                    row["x_a"], row["n_a"], row["x_b"], row["n_b"])
            else:
                row["odds_ratio"], row["p_exact"] = np.nan, np.nan
            rows.append(row)
    out = pd.DataFrame(rows)
    valid = out["p_exact"].notna()
    out["p_holm"] = np.nan
    if valid.any():
        out.loc[valid, "p_holm"] = holm_adjust(out.loc[valid, "p_exact"].to_numpy(float))
    out["note"] = "exploratory"
    if isinstance(data[item].dtype, pd.CategoricalDtype):
        out[item] = pd.Categorical(out[item], dtype=data[item].dtype)
    return out

"""Small-cell disclosure control, applied before any result is shown.

Participants are people who use mental-health services and the staff who support them; at a
site of 7 interviews, a breakdown of two line managers identifies them. The rules (DESIGN.md):

- no distribution, mean, chart or quote attribution for a group of fewer than ``k``
  participants: it shows "n<k" instead;
- inside a group that is shown, the counts of each answer are shown;
- sample composition is shown as is at sector level and above; at site level, role counts
  from 1 to ``k - 1`` show as "<k", with one more cell hidden where a total would otherwise
  give the hidden one away (secondary suppression).

The default ``k = 5`` follows the common small-number rule of UK health and social care
statistics (counts below 5 are not published; see NHS Digital's and ONS's disclosure
control guidance), and it is larger than every role group at a site of this study (8-10
interviews per site), so no role is ever shown on its own at a site.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = [
    "DEFAULT_MIN_GROUP_SIZE",
    "hidden_cells",
    "check_min_group_size",
    "suppress_small_groups",
    "mask_small_counts",
    "small_group_label",
]

DEFAULT_MIN_GROUP_SIZE = 5


def check_min_group_size(k: object) -> int:
    """Return ``k`` as an int, or raise ValueError when it is not a whole number >= 1.

    Raises
    ------
    ValueError
        When ``k`` is not a whole number of at least 1 (e.g. 0, -3, 2.5, "five").
    """
    try:
        value = int(k)
    except (TypeError, ValueError):
        raise ValueError(f"min_group_size must be a whole number >= 1, got {k!r}") from None
    if value < 1 or (isinstance(k, float) and not float(k).is_integer()):
        raise ValueError(f"min_group_size must be a whole number >= 1, got {k!r}")
    return value


def small_group_label(k: int, rule: object = "primary") -> str:
    """The text shown instead of a suppressed result: ``"n<5"`` for k = 5 (a small group,
    rule "primary"), ``"hidden"`` for a group withheld so that a small one cannot be worked
    out (rule "secondary": its size may well be ``k`` or more, so "n<5" would be untrue).

    Examples
    --------
    >>> small_group_label(5), small_group_label(8, "secondary")
    ('n<5', 'hidden')
    """
    return "hidden" if str(rule) == "secondary" else f"n<{k}"


def hidden_cells(table: pd.DataFrame, *, n: str, k: int = DEFAULT_MIN_GROUP_SIZE,
                 group: str | None = None, within: Sequence[str] = ()) -> pd.Series:
    """Which rows of a result table must be hidden: small groups and their complements.

    Parameters
    ----------
    table : pandas.DataFrame
        A result table; several rows may belong to one group (e.g. the six answers of a
        distribution), all carrying the group's ``n``.
    n : str
        Column with the group's number of participants (answers) behind its results.
    k : int
        Minimum group size.
    group : str, optional
        The column naming the groups of a partition whose total is published elsewhere
        (sites, sectors, roles, or "This site" / "All other sites"). When given, secondary
        suppression applies within each cell of ``within``: if exactly one group with n > 0
        is hidden, the smallest other group with n > 0 is hidden too, so that the total
        minus the shown groups cannot reveal it.
    within : sequence of str
        Columns that identify one partition (e.g. ``("item_id",)``).

    Returns
    -------
    pandas.Series of bool
        Aligned with ``table``: True where the row's results must not be shown. A group with
        n = 0 has nothing to hide and is never marked.

    Raises
    ------
    KeyError
        When a named column is missing.
    """
    k = check_min_group_size(k)
    for col in [n, *([group] if group else []), *within]:
        if col not in table.columns:
            raise KeyError(f"hidden_cells: no column {col!r}")
    sizes = table[n].fillna(0).astype(float)
    primary = (sizes > 0) & (sizes < k)
    if group is None:
        return primary
    keys = [*within, group]
    cells = table[keys].astype(str).assign(_n=sizes, _hide=primary).drop_duplicates(keys)
    hide = {}
    for _, part in cells.groupby(list(within), sort=False) if within else [((), cells)]:
        chosen = set(part.loc[part["_hide"], group])
        shown = part[(~part["_hide"]) & (part["_n"] > 0)]
        if len(chosen) == 1 and len(shown):
            chosen.add(shown.sort_values("_n", kind="stable").iloc[0][group])
        for g in chosen:
            hide[tuple(part.iloc[0][list(within)]) + (g,)] = True
    row_keys = list(zip(*[table[c].astype(str) for c in keys]))
    return pd.Series([hide.get(key, False) for key in row_keys], index=table.index)


def suppress_small_groups(table: pd.DataFrame, *, n: str, k: int = DEFAULT_MIN_GROUP_SIZE,
                          values: Sequence[str] | None = None, group: str | None = None,
                          within: Sequence[str] = ()) -> pd.DataFrame:
    """Hide every statistic of a group with fewer than ``k`` participants.

    Parameters
    ----------
    table : pandas.DataFrame
        A result table from :mod:`peerlib.scoring`, one row per group x item (x answer).
    n : str
        The column holding the group's number of participants (e.g. ``n_asked`` for a
        distribution, ``n`` for an importance summary, ``n_group`` for IPA).
    k : int
        Minimum group size (default :data:`DEFAULT_MIN_GROUP_SIZE`).
    values : sequence of str, optional
        Columns to blank; default every numeric column except ``n``.
    group, within : optional
        Turn on secondary suppression within a partition (see :func:`hidden_cells`).

    Returns
    -------
    pandas.DataFrame
        A copy with the ``values`` set to NA where ``n < k`` and a boolean column
        ``suppressed``; ``n`` itself is kept (callers show "n<k" for it, see
        :func:`small_group_label`).

    Raises
    ------
    KeyError
        When ``n`` is not a column.
    ValueError
        When ``k`` is not a whole number >= 1.
    """
    k = check_min_group_size(k)
    if n not in table.columns:
        raise KeyError(f"suppress_small_groups: no column {n!r}")
    out = table.copy()
    hide = hidden_cells(out, n=n, k=k, group=group, within=within) | (
        out[n].fillna(0).astype(float) < k)
    cols = list(values) if values is not None else [
        c for c in out.columns if c != n and pd.api.types.is_numeric_dtype(out[c])
        and not pd.api.types.is_bool_dtype(out[c])]
    for col in cols:
        if pd.api.types.is_integer_dtype(out[col]):
            out[col] = out[col].astype("Int64")
        elif not pd.api.types.is_float_dtype(out[col]):
            out[col] = out[col].astype(object)
        out.loc[hide, col] = pd.NA if out[col].dtype != float else np.nan
    out["suppressed"] = hide.to_numpy()
    return out


def mask_small_counts(counts: pd.Series, *, k: int = DEFAULT_MIN_GROUP_SIZE,
                      secondary: bool = True) -> pd.Series:
    """Counts as text, with 1 to k-1 shown as "<k" (and secondary suppression).

    Parameters
    ----------
    counts : pandas.Series of int
        Counts of participants in the cells of one row or column of a table whose total is
        shown (e.g. the roles at one site).
    k : int
        Minimum group size.
    secondary : bool
        When exactly one cell is hidden, also hide the smallest other non-zero cell, so the
        total minus the shown cells cannot reveal the hidden one.

    Returns
    -------
    pandas.Series of str
        Same index; ``"0"``, the count, or ``"<k"``.

    Examples
    --------
    The one small cell (2) is hidden, and so is the smallest other one (7):

    >>> mask_small_counts(pd.Series([7, 2, 0, 9]), k=5).tolist()
    ['<5', '<5', '0', '9']
    """
    k = check_min_group_size(k)
    values = counts.fillna(0).astype(int)
    hidden = (values > 0) & (values < k)
    if secondary and hidden.sum() == 1:
        others = values[(~hidden) & (values > 0)]
        if len(others):
            hidden.loc[others.idxmin()] = True
    text = values.astype(str)
    text[hidden] = f"<{k}"
    return text

"""Small-cell disclosure control (peerlib.disclosure)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from peerlib.disclosure import (
    check_min_group_size,
    mask_small_counts,
    small_group_label,
    suppress_small_groups,
)


def test_suppress_hides_statistics_of_groups_below_k_and_keeps_n():
    table = pd.DataFrame({"group": ["a", "b", "c"], "n": [4, 5, 0],
                          "mean": [3.0, 2.5, np.nan], "count": [1, 2, 0]})
    out = suppress_small_groups(table, n="n", k=5)
    assert out["suppressed"].tolist() == [True, False, True]
    assert out["n"].tolist() == [4, 5, 0]
    assert np.isnan(out.loc[0, "mean"]) and out.loc[1, "mean"] == 2.5
    assert pd.isna(out.loc[0, "count"]) and out.loc[1, "count"] == 2
    assert table.loc[0, "mean"] == 3.0  # the input is not changed


def test_changing_k_changes_what_is_suppressed():
    table = pd.DataFrame({"n": [3, 6, 9], "percent": [10.0, 20.0, 30.0]})
    assert suppress_small_groups(table, n="n", k=5)["suppressed"].tolist() == [True, False,
                                                                                False]
    assert suppress_small_groups(table, n="n", k=7)["suppressed"].tolist() == [True, True,
                                                                                False]
    assert suppress_small_groups(table, n="n", k=1)["suppressed"].tolist() == [False] * 3


@pytest.mark.parametrize("bad", [0, -1, 2.5, "five", None])
def test_k_must_be_a_whole_number_of_at_least_one(bad):
    with pytest.raises(ValueError, match="min_group_size must be a whole number"):
        check_min_group_size(bad)


def test_mask_small_counts_with_secondary_suppression():
    """Roles at a site with total 11: 2 is primary; without the secondary cell, 11 - 9 = 2
    would give it away, so the smallest other non-zero count (9 here, the only one) hides."""
    assert mask_small_counts(pd.Series([9, 2, 0]), k=5).tolist() == ["<5", "<5", "0"]
    # two small cells already protect each other: no secondary suppression
    assert mask_small_counts(pd.Series([9, 2, 3]), k=5).tolist() == ["9", "<5", "<5"]
    assert mask_small_counts(pd.Series([6, 7]), k=5).tolist() == ["6", "7"]
    assert mask_small_counts(pd.Series([2, 0, 0]), k=5, secondary=False).tolist() == [
        "<5", "0", "0"]
    assert small_group_label(5) == "n<5"


def test_hidden_cells_adds_the_smallest_complement_within_each_partition():
    """Item 2.1: sites of 3, 6, 7 people (k = 5): site A (3) is hidden and, because the
    total is published, the smallest other site (B, 6) too. Item 2.2: two small sites hide
    each other, nothing more. Item 2.3: nobody small, nothing hidden."""
    from peerlib.disclosure import hidden_cells

    table = pd.DataFrame({
        "item_id": ["2.1"] * 3 + ["2.2"] * 3 + ["2.3"] * 3,
        "site_id": ["A", "B", "C"] * 3,
        "n": [3, 6, 7, 2, 4, 9, 5, 6, 7],
    })
    hidden = hidden_cells(table, n="n", k=5, group="site_id", within=["item_id"])
    assert hidden.tolist() == [True, True, False, True, True, False, False, False, False]
    primary = hidden_cells(table, n="n", k=5)
    assert primary.tolist() == [True, False, False, True, True, False, False, False, False]


def test_two_way_partition_hides_both_sides():
    """This site (4) against all other sites (60): with the study total published, showing
    "All other sites" would give this site away, so both go."""
    table = pd.DataFrame({"item_id": ["2.1", "2.1"], "group": ["This site", "All other sites"],
                          "n": [4, 60], "mean": [3.5, 3.1]})
    out = suppress_small_groups(table, n="n", k=5, group="group", within=["item_id"])
    assert out["suppressed"].tolist() == [True, True] and out["mean"].isna().all()

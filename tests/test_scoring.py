"""Tests of peerlib.part1.scoring against hand-computed values on the tiny fixture ``long_df``.

The fixture (tests/conftest.py, TINY_PEOPLE) as a table, happening/importance:

    site  sector     pid  role            2.1         2.2             2.3
    S01   NHS        P01  Peer worker     Yes/4       Partly/3        Don't know/-
    S01   NHS        P02  Peer worker     Yes/3       No/2            Yes/-
    S01   NHS        P03  Line manager    Partly/4    Missing/-       No/-
    S01   NHS        P04  Service user    No/2        Yes/4           Yes/-
    S02   Voluntary  P05  Non-peer staff  Yes/1       Don't know/3    Partly/4
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from peerlib.part1.scoring import (
    QUADRANTS,
    compare_two_groups,
    happening_distribution,
    importance_performance,
    importance_summary,
    sample_counts,
    sample_table,
)

LEVELS = ["Yes", "Partly", "No", "Don't know", "Not relevant", "Missing"]
ROLES = ["Peer worker", "Non-peer staff", "Line manager",
         "Senior/strategic manager or commissioner", "Service user"]


# ------------------------------------------------------------------------------ sample
def test_sample_table(long_df):
    """Counted by hand from the fixture: NHS has 2 peer workers, 1 line manager and 1
    service user; Voluntary 1 non-peer staff; nobody is a senior manager (a zero row)."""
    table = sample_table(long_df)
    expected = pd.DataFrame({
        "role": [*ROLES, "Total"],
        "NHS": [2, 0, 1, 0, 1, 4],
        "Voluntary": [0, 1, 0, 0, 0, 1],
        "Total": [2, 1, 1, 0, 1, 5],
    })
    pd.testing.assert_frame_equal(table, expected, check_dtype=False)
    assert (table[["NHS", "Voluntary", "Total"]].dtypes == "int64").all()


def test_sample_table_column_order_and_sites(long_df):
    table = sample_table(long_df, columns="site_id", column_order=["S02", "S01"])
    assert list(table.columns) == ["role", "S02", "S01", "Total"]
    assert table.set_index("role").loc["Total"].tolist() == [1, 4, 5]


def test_sample_counts(long_df):
    """Distinct participants (not rows: each has 3 rows) per observed site x role."""
    counts = sample_counts(long_df)
    assert counts.astype({"role": object, "site_id": object}).values.tolist() == [
        ["S01", "Peer worker", 2], ["S01", "Line manager", 1], ["S01", "Service user", 1],
        ["S02", "Non-peer staff", 1]]
    assert sample_counts(long_df, by="sector")["n"].tolist() == [4, 1]


# ------------------------------------------------------------------------------ distribution
def test_happening_distribution_by_sector(long_df):
    """Counts read off the fixture table; percent = count / n_asked x 100 with n_asked 4
    (NHS, Missing included) or 1 (Voluntary). "Not relevant" nobody chose: count 0."""
    dist = happening_distribution(long_df, by="sector")
    assert len(dist) == 2 * 3 * 6
    assert list(dist.columns) == ["sector", "item_id", "happening", "count", "n_asked",
                                  "percent"]
    assert dist["happening"].dtype == pd.CategoricalDtype(LEVELS, ordered=True)
    expected_counts = {
        ("NHS", "2.1"): [2, 1, 1, 0, 0, 0],
        ("NHS", "2.2"): [1, 1, 1, 0, 0, 1],
        ("NHS", "2.3"): [2, 0, 1, 1, 0, 0],
        ("Voluntary", "2.1"): [1, 0, 0, 0, 0, 0],
        ("Voluntary", "2.2"): [0, 0, 0, 1, 0, 0],
        ("Voluntary", "2.3"): [0, 1, 0, 0, 0, 0],
    }
    expected_percent = {
        ("NHS", "2.1"): [50, 25, 25, 0, 0, 0],
        ("NHS", "2.2"): [25, 25, 25, 0, 0, 25],
        ("NHS", "2.3"): [50, 0, 25, 25, 0, 0],
        ("Voluntary", "2.1"): [100, 0, 0, 0, 0, 0],
        ("Voluntary", "2.2"): [0, 0, 0, 100, 0, 0],
        ("Voluntary", "2.3"): [0, 100, 0, 0, 0, 0],
    }
    for (sector, item), counts in expected_counts.items():
        part = dist[(dist["sector"] == sector) & (dist["item_id"] == item)]
        assert part["happening"].astype(str).tolist() == LEVELS      # all six, scale order
        assert part["count"].tolist() == counts, (sector, item)
        assert part["n_asked"].tolist() == [4 if sector == "NHS" else 1] * 6
        np.testing.assert_allclose(part["percent"], expected_percent[(sector, item)])
    sums = dist.groupby(["sector", "item_id"], observed=True)["percent"].sum()
    np.testing.assert_allclose(sums, 100.0)
    assert dist["count"].dtype == "int64"


def test_happening_distribution_everyone(long_df):
    """by=None: all 5 participants; item 2.1 Yes 3 (P01, P02, P05), Partly 1, No 1 ->
    60/20/20 %; 2.2 one each of Yes, Partly, No, Don't know, Missing -> 20 % each."""
    dist = happening_distribution(long_df, by=None)
    assert list(dist.columns) == ["item_id", "happening", "count", "n_asked", "percent"]
    i21 = dist[dist["item_id"] == "2.1"]
    assert i21["count"].tolist() == [3, 1, 1, 0, 0, 0]
    np.testing.assert_allclose(i21["percent"], [60, 20, 20, 0, 0, 0])
    i22 = dist[dist["item_id"] == "2.2"]
    np.testing.assert_allclose(i22["percent"], [20, 20, 20, 20, 0, 20])
    assert set(dist["n_asked"]) == {5}


def test_happening_distribution_one_participant_site(long_df):
    dist = happening_distribution(long_df, by=["site_id"])
    s02 = dist[dist["site_id"] == "S02"]
    assert len(s02) == 18
    assert set(s02["n_asked"]) == {1}
    assert s02["count"].sum() == 3


def test_happening_distribution_unasked_item_is_nan(long_df, codebook):
    """With the full codebook's items as categories, items 2.4-2.8 were asked of nobody:
    count 0 and n_asked 0, and percent NaN (not 0, and no division error)."""
    df = long_df.copy()
    df["item_id"] = pd.Categorical(df["item_id"].astype(str), categories=codebook.item_ids,
                                   ordered=True)
    dist = happening_distribution(df, by="sector")
    assert len(dist) == 2 * 8 * 6
    unasked = dist[dist["item_id"] == "2.4"]
    assert (unasked["count"] == 0).all() and (unasked["n_asked"] == 0).all()
    assert unasked["percent"].isna().all()
    asked = dist[dist["item_id"] == "2.1"]
    assert asked["percent"].notna().all()


def test_happening_distribution_needs_categorical(long_df):
    df = long_df.assign(happening=long_df["happening"].astype(str))
    with pytest.raises(TypeError, match="must be an ordered categorical"):
        happening_distribution(df)
    with pytest.raises(KeyError, match="no column"):
        happening_distribution(long_df, by="region")


# ------------------------------------------------------------------------------ importance
def test_importance_summary_by_sector(long_df):
    """NHS 2.1: answers 4, 3, 4, 2 -> n 4, mean 13/4 = 3.25, squared deviations
    0.5625 + 0.0625 + 0.5625 + 1.5625 = 2.75, SD = sqrt(2.75 / 3) = 0.957427, median of
    (2, 3, 4, 4) = 3.5. NHS 2.2: 3, 2, 4 (one blank) -> n 3, n_missing 1, mean 3, SD 1,
    median 3. NHS 2.3: no answers -> n 0, n_missing 4, NaN. Voluntary: one answer each ->
    n 1, SD and interval NaN. Intervals checked against scipy.stats.t.interval."""
    summary = importance_summary(long_df, by="sector", bounds=None)
    assert list(summary.columns) == ["sector", "item_id", "n", "n_missing", "mean", "sd",
                                     "median", "ci_low", "ci_high"]
    s = summary.set_index(["sector", summary["item_id"].astype(str)])
    assert s.loc[("NHS", "2.1"), ["n", "n_missing"]].tolist() == [4, 0]
    assert s.loc[("NHS", "2.1"), "mean"] == pytest.approx(3.25)
    assert s.loc[("NHS", "2.1"), "sd"] == pytest.approx(math.sqrt(2.75 / 3))
    assert s.loc[("NHS", "2.1"), "sd"] == pytest.approx(0.957427, abs=1e-6)
    assert s.loc[("NHS", "2.1"), "median"] == pytest.approx(3.5)
    low, high = stats.t.interval(0.95, df=3, loc=3.25, scale=math.sqrt(2.75 / 3) / 2)
    assert s.loc[("NHS", "2.1"), "ci_low"] == pytest.approx(low)
    assert s.loc[("NHS", "2.1"), "ci_high"] == pytest.approx(high)
    # t(0.975, 3) = 3.182446 (printed tables): half-width 3.182446 x 0.957427 / 2
    assert high - 3.25 == pytest.approx(3.182446 * 0.957427 / 2, abs=1e-5)

    assert s.loc[("NHS", "2.2"), ["n", "n_missing"]].tolist() == [3, 1]
    assert s.loc[("NHS", "2.2"), ["mean", "sd", "median"]].tolist() == pytest.approx([3, 1, 3])
    low, high = stats.t.interval(0.95, df=2, loc=3.0, scale=1 / math.sqrt(3))
    assert s.loc[("NHS", "2.2"), ["ci_low", "ci_high"]].tolist() == pytest.approx([low, high])

    nobody = s.loc[("NHS", "2.3")]
    assert nobody[["n", "n_missing"]].tolist() == [0, 4]
    assert nobody[["mean", "sd", "median", "ci_low", "ci_high"]].isna().all()

    one = s.loc[("Voluntary", "2.1")]
    assert one[["n", "n_missing"]].tolist() == [1, 0]
    assert one[["mean", "median"]].tolist() == [1.0, 1.0]
    assert one[["sd", "ci_low", "ci_high"]].isna().all()
    assert s.loc[("Voluntary", "2.3"), "mean"] == 4.0
    assert summary["n"].dtype == "int64"


def test_importance_summary_everyone(long_df):
    """2.1: 4, 3, 4, 2, 1 -> mean 14/5 = 2.8, squared deviations 1.44 + 0.04 + 1.44 + 0.64 +
    3.24 = 6.8, SD sqrt(6.8 / 4) = 1.303840, median 3. 2.2: 3, 2, 4, 3 -> mean 3, SD
    sqrt(2/3), median 3. 2.3: one answer (4)."""
    summary = importance_summary(long_df, by=None, bounds=None)
    assert list(summary.columns) == ["item_id", "n", "n_missing", "mean", "sd", "median",
                                     "ci_low", "ci_high"]
    assert summary["n"].tolist() == [5, 4, 1]
    assert summary["n_missing"].tolist() == [0, 1, 4]
    assert summary["mean"].tolist() == pytest.approx([2.8, 3.0, 4.0])
    assert summary["sd"].iloc[:2].tolist() == pytest.approx([math.sqrt(1.7), math.sqrt(2 / 3)])
    assert summary["median"].tolist() == [3.0, 3.0, 4.0]
    low, high = stats.t.interval(0.95, df=4, loc=2.8, scale=math.sqrt(1.7) / math.sqrt(5))
    assert [summary.loc[0, "ci_low"], summary.loc[0, "ci_high"]] == pytest.approx([low, high])
    ninety = importance_summary(long_df, by=None, confidence=0.90, bounds=None)
    low90, high90 = stats.t.interval(0.90, df=4, loc=2.8, scale=math.sqrt(1.7) / math.sqrt(5))
    assert ninety.loc[0, "ci_low"] == pytest.approx(low90)
    assert ninety.loc[0, "ci_high"] == pytest.approx(high90)


def test_importance_summary_item_without_answers_does_not_raise(long_df):
    """Site S01 only: nobody there answered importance for 2.3 -> n 0, NaN mean."""
    s01 = long_df[long_df["site_id"] == "S01"]
    summary = importance_summary(s01, by=None)
    row = summary[summary["item_id"] == "2.3"].iloc[0]
    assert row["n"] == 0 and row["n_missing"] == 4
    assert np.isnan(row["mean"]) and np.isnan(row["sd"]) and np.isnan(row["ci_low"])
    by_site = importance_summary(s01, by="site_id")
    assert by_site.loc[by_site["item_id"] == "2.3", "n"].tolist() == [0]


# ------------------------------------------------------------------------------ IPA
def test_importance_performance_everyone(long_df):
    """Performance = (Yes + 0.5 Partly) / (Yes + Partly + No) x 100:
    2.1: Yes 3, Partly 1, No 1 -> 3.5/5 = 70; 2.2: 1, 1, 1 (Don't know and Missing left out)
    -> 1.5/3 = 50; 2.3: Yes 2, Partly 1, No 1 (Don't know left out) -> 2.5/4 = 62.5.
    Importance means 2.8, 3.0, 4.0. Cross-hairs (unweighted over items): performance
    (70 + 50 + 62.5)/3 = 60.8333, importance (2.8 + 3 + 4)/3 = 3.2667.
    2.1 low importance, high performance -> Possible overkill; 2.2 low/low -> Low priority;
    2.3 high/high -> Keep up the good work."""
    ipa = importance_performance(long_df)
    assert list(ipa.columns) == ["item_id", "n_performance", "performance", "n_importance",
                                 "importance", "performance_reference",
                                 "importance_reference", "quadrant"]
    assert ipa["item_id"].astype(str).tolist() == ["2.1", "2.2", "2.3"]
    assert ipa["n_performance"].tolist() == [5, 3, 4]
    assert ipa["performance"].tolist() == pytest.approx([70.0, 50.0, 62.5])
    assert ipa["n_importance"].tolist() == [5, 4, 1]
    assert ipa["importance"].tolist() == pytest.approx([2.8, 3.0, 4.0])
    assert ipa["performance_reference"].tolist() == pytest.approx([182.5 / 3] * 3)
    assert ipa["importance_reference"].tolist() == pytest.approx([9.8 / 3] * 3)
    assert ipa["quadrant"].tolist() == ["Possible overkill", "Low priority",
                                        "Keep up the good work"]


def test_importance_performance_scores_come_from_the_codebook(long_df, tmp_path):
    """Editing the codebook's scores changes the result (nothing is hard-coded). With
    Partly scored 0.25 and "Don't know" made substantive with score 0.5, by hand:
    2.1: Yes 3, Partly 1, No 1 -> (3 + 0.25)/5 = 65; 2.2: Yes, Partly, No, Don't know ->
    (1 + 0.25 + 0 + 0.5)/4 = 43.75; 2.3: Yes 2, Partly 1, No 1, Don't know 1 ->
    (2 + 0.25 + 0.5)/5 = 55."""
    from peerlib.codebook import default_codebook_path, load_codebook

    text = default_codebook_path().read_text(encoding="utf-8")
    text = text.replace("substantive: true\n        score: 0.5",
                        "substantive: true\n        score: 0.25")
    text = text.replace("      - label: Don't know\n        code: 8\n",
                        "      - label: Don't know\n        code: 8\n"
                        "        substantive: true\n        score: 0.5\n")
    path = tmp_path / "edited.yaml"
    path.write_text(text, encoding="utf-8")
    edited = load_codebook(path)
    assert edited.substantive_scores == {"Yes": 1.0, "Partly": 0.25, "No": 0.0,
                                         "Don't know": 0.5}
    ipa = importance_performance(long_df, codebook=edited)
    assert ipa["n_performance"].tolist() == [5, 4, 5]
    assert ipa["performance"].tolist() == pytest.approx([65.0, 43.75, 55.0])
    assert importance_performance(long_df, codebook=path)["performance"].tolist() == \
        pytest.approx([65.0, 43.75, 55.0])  # a path works too
    assert importance_performance(long_df)["performance"].tolist() == pytest.approx(
        [70.0, 50.0, 62.5])  # the packaged codebook is untouched
    out = compare_two_groups(long_df, by="sector", codebook=edited)
    assert out["measure"].iloc[0] == ('Yes among Yes/Partly/No/Don\'t know '
                                      '("Is this happening here?")')


def test_importance_performance_by_sector(long_df):
    """NHS: performance 2.1 (2 + 0.5)/4 = 62.5, 2.2 1.5/3 = 50, 2.3 (Yes 2, No 1) 2/3 =
    66.667; importance 3.25, 3.0, none. Cross-hairs 179.1667/3 = 59.722 and (3.25 + 3)/2 =
    3.125 (items with a value). 2.1 high/high, 2.2 low/low, 2.3 no importance -> NA.
    Voluntary: performance 100, none (Don't know only), 50; importance 1, 3, 4; cross-hairs
    75 and 8/3. 2.1 low importance, high performance -> Possible overkill; 2.2 NA; 2.3 high
    importance, low performance -> Concentrate here."""
    ipa = importance_performance(long_df, by="sector")
    nhs = ipa[ipa["sector"] == "NHS"]
    vol = ipa[ipa["sector"] == "Voluntary"]
    assert nhs["performance"].tolist() == pytest.approx([62.5, 50.0, 200 / 3])
    assert nhs["n_importance"].tolist() == [4, 3, 0]
    assert nhs["performance_reference"].iloc[0] == pytest.approx((62.5 + 50 + 200 / 3) / 3)
    assert nhs["importance_reference"].iloc[0] == pytest.approx(3.125)
    assert nhs["quadrant"].iloc[:2].tolist() == ["Keep up the good work", "Low priority"]
    assert pd.isna(nhs["quadrant"].iloc[2])
    assert vol["n_performance"].tolist() == [1, 0, 1]
    assert np.isnan(vol["performance"].iloc[1])
    assert vol["performance_reference"].iloc[0] == pytest.approx(75.0)
    assert vol["importance_reference"].iloc[0] == pytest.approx(8 / 3)
    assert vol["quadrant"].iloc[0] == "Possible overkill"
    assert pd.isna(vol["quadrant"].iloc[1])
    assert vol["quadrant"].iloc[2] == "Concentrate here"
    # all four quadrant names of Martilla & James appear across the two tables
    names = set(ipa["quadrant"].dropna()) | set(importance_performance(long_df)["quadrant"])
    assert names == set(QUADRANTS.values()) == {"Concentrate here", "Keep up the good work",
                                                "Low priority", "Possible overkill"}


def test_importance_performance_value_at_reference_counts_high(long_df):
    """Two items with identical answers sit exactly on both cross-hairs -> "Keep up the good
    work" (a value equal to the reference counts as high)."""
    df = long_df[long_df["item_id"] != "2.3"].copy()
    same = df[df["item_id"] == "2.1"].copy()
    df = pd.concat([same, same.assign(item_id="2.2")], ignore_index=True)
    df["item_id"] = pd.Categorical(df["item_id"].astype(str), categories=["2.1", "2.2"],
                                   ordered=True)
    ipa = importance_performance(df)
    assert ipa["performance"].tolist() == pytest.approx([70.0, 70.0])
    assert ipa["quadrant"].tolist() == ["Keep up the good work"] * 2


# ------------------------------------------------------------------------------ comparisons
def test_compare_two_groups_on_fixture(long_df):
    """2x2 tables built by hand from the fixture, [[x_a, n_a - x_a], [x_b, n_b - x_b]]:
    2.1 Yes among Yes/Partly/No: NHS 2 of 4, Voluntary 1 of 1 -> [[2, 2], [1, 0]];
    2.1 Extremely important: NHS 2 of 4, Voluntary 0 of 1 -> [[2, 2], [0, 1]];
    2.2 Yes: NHS 1 of 3, Voluntary 0 of 0 -> no test (NaN);
    2.2 Extremely important: NHS 1 of 3, Voluntary 0 of 1 -> [[1, 2], [0, 1]];
    2.3 Yes: NHS 2 of 3, Voluntary 0 of 1 -> [[2, 1], [0, 1]];
    2.3 Extremely important: NHS 0 of 0 -> NaN."""
    out = compare_two_groups(long_df, by="sector")
    assert len(out) == 6
    assert out["item_id"].astype(str).tolist() == ["2.1", "2.1", "2.2", "2.2", "2.3", "2.3"]
    assert (out["group_a"] == "NHS").all() and (out["group_b"] == "Voluntary").all()
    tables = [[[2, 2], [1, 0]], [[2, 2], [0, 1]], None, [[1, 2], [0, 1]], [[2, 1], [0, 1]],
              None]
    for i, table in enumerate(tables):
        row = out.iloc[i]
        if table is None:
            assert np.isnan(row["p_exact"]) and np.isnan(row["odds_ratio"])
            continue
        (xa, ya), (xb, yb) = table
        assert [row["x_a"], row["n_a"] - row["x_a"], row["x_b"], row["n_b"] - row["x_b"]] \
            == [xa, ya, xb, yb]
        ref = stats.fisher_exact(table, alternative="two-sided")
        assert row["p_exact"] == pytest.approx(ref.pvalue)
        assert row["odds_ratio"] == pytest.approx(ref.statistic)
        assert row["percent_a"] == pytest.approx(100 * xa / (xa + ya))
    # [[2, 2], [1, 0]]: P(x_a = 3) = 2/5, P(x_a = 2) = 3/5, both <= 3/5 -> p = 1
    assert out.loc[0, "p_exact"] == pytest.approx(1.0)
    assert (out["note"] == "exploratory").all()


def _two_group_data(codebook):
    """One item; NHS: 11 people, happening 8 Yes, 1 Partly, 1 No, 1 Don't know (excluded),
    importance 3 x 4, 7 x 3, 1 blank; Voluntary: 7 people, happening 1 Yes, 2 Partly, 3 No,
    1 Missing, importance 6 x 4, 1 blank."""
    happening = (["Yes"] * 8 + ["Partly", "No", "Don't know"]
                 + ["Yes", "Partly", "Partly", "No", "No", "No", "Missing"])
    importance = [4] * 3 + [3] * 7 + [None] + [4] * 6 + [None]
    sector = ["NHS"] * 11 + ["Voluntary"] * 7
    return pd.DataFrame({
        "participant_id": [f"P{i}" for i in range(18)],
        "sector": pd.array(sector, dtype="string"),
        "item_id": pd.Categorical(["2.1"] * 18, categories=["2.1"], ordered=True),
        "happening": pd.Categorical(happening, dtype=codebook.happening_dtype()),
        "importance": pd.array(importance, dtype="Int64"),
    })


def test_compare_two_groups_hand_computed_p(codebook):
    """Yes: [[8, 2], [1, 5]]. Hypergeometric with 16 answers, 9 Yes, 10 NHS: C(16,10) = 8008
    and P(x) x 8008 for x = 3..9 is 84, 882, 2646, 2940, 1260, 189, 7. Observed x = 8 (189);
    two-sided p sums the tables no more likely: (84 + 189 + 7) / 8008 = 0.0349650. Sample
    odds ratio 8 x 5 / (2 x 1) = 20.
    Extremely important: [[3, 7], [6, 0]]: same margins, observed x = 3 (84); p = (84 + 7) /
    8008 = 0.0113636; odds ratio 0.
    Holm over the two: 0.0113636 x 2 = 0.0227273; 0.0349650 x 1 = 0.0349650."""
    out = compare_two_groups(_two_group_data(codebook), by="sector")
    yes, extreme = out.iloc[0], out.iloc[1]
    assert [yes["n_a"], yes["x_a"], yes["n_b"], yes["x_b"]] == [10, 8, 6, 1]
    assert yes["p_exact"] == pytest.approx(280 / 8008)
    assert yes["odds_ratio"] == pytest.approx(20.0)
    assert yes["percent_a"] == pytest.approx(80.0)
    assert yes["percent_b"] == pytest.approx(100 / 6)
    assert [extreme["n_a"], extreme["x_a"], extreme["n_b"], extreme["x_b"]] == [10, 3, 6, 6]
    assert extreme["p_exact"] == pytest.approx(91 / 8008)
    assert extreme["odds_ratio"] == pytest.approx(0.0)
    assert out["p_holm"].tolist() == pytest.approx([280 / 8008, 2 * 91 / 8008])
    assert yes["p_exact"] == pytest.approx(stats.fisher_exact([[8, 2], [1, 5]]).pvalue)


def test_compare_two_groups_order_and_errors(long_df):
    swapped = compare_two_groups(long_df, by="sector", groups=["Voluntary", "NHS"])
    assert (swapped["group_a"] == "Voluntary").all()
    assert swapped.loc[0, "x_a"] == 1 and swapped.loc[0, "n_b"] == 4
    three = long_df.copy()
    three.loc[three["participant_id"] == "P04", "sector"] = "Partnership"
    with pytest.raises(ValueError, match=r"'sector' must hold exactly two groups to compare; "
                                         r"found 3: NHS, Partnership, Voluntary"):
        compare_two_groups(three, by="sector")
    with pytest.raises(ValueError, match="found 3"):
        compare_two_groups(long_df, by="sector", groups=["NHS", "Voluntary", "Other"])
    with pytest.raises(ValueError, match="found 1: S01"):
        compare_two_groups(long_df[long_df["site_id"] == "S01"], by="site_id")


def test_importance_interval_is_clipped_to_the_scale(long_df):
    """Everyone's 2.1 importance: 4, 3, 4, 2, 1 -> mean 2.8, SD 1.3038, n 5; the t interval
    2.8 +/- 2.776 x 1.3038 / sqrt(5) = 1.181 to 4.419 ends above the 1-4 scale, so the upper
    end is clipped to 4 while the lower end stays."""
    raw = importance_summary(long_df, by=None, bounds=None)
    clipped = importance_summary(long_df, by=None)
    r, c = raw[raw["item_id"] == "2.1"].iloc[0], clipped[clipped["item_id"] == "2.1"].iloc[0]
    assert r["ci_high"] == pytest.approx(4.4189, abs=1e-3)
    assert c["ci_high"] == 4.0
    assert c["ci_low"] == pytest.approx(r["ci_low"]) == pytest.approx(1.1811, abs=1e-3)


def test_ipa_min_n_hides_small_items_and_their_share_of_the_references(long_df):
    """Everyone: item 2.3 has 4 substantive answers but only 1 importance answer (P05), so
    with min_n = 2 it is hidden; the reference means are then over 2.1 and 2.2 only
    (performance: 2.1 = (3 + 0.5) / 5 = 70, 2.2 = (1 + 0.5) / 3 = 50 -> reference 60),
    so nobody can work the hidden item back out of the cross-hairs."""
    from peerlib.part1.scoring import importance_performance

    shown = importance_performance(long_df, min_n=2)
    hidden = shown[shown["item_id"] == "2.3"].iloc[0]
    assert pd.isna(hidden["performance"]) and pd.isna(hidden["importance"])
    assert pd.isna(hidden["quadrant"])
    assert hidden["n_performance"] == 4 and hidden["n_importance"] == 1
    assert shown["performance_reference"].iloc[0] == pytest.approx(60.0)
    everything = importance_performance(long_df)
    assert everything[everything["item_id"] == "2.3"]["performance"].iloc[0] == pytest.approx(
        62.5)


def test_holm_adjust_equals_statsmodels_holm():
    """Our Holm adjustment (without statsmodels' full garbage collection per call) gives the
    values statsmodels gives, ties and values near 1 included, in the input's order."""
    from statsmodels.stats.multitest import multipletests

    from peerlib.part1.scoring import holm_adjust

    rng = np.random.default_rng(7)
    cases = [rng.uniform(size=40), np.array([0.01, 0.04, 0.04, 0.2, 0.9, 1.0]),
             np.array([0.3]), rng.choice([0.001, 0.02, 0.5], size=25)]
    for p in cases:
        np.testing.assert_allclose(holm_adjust(p), multipletests(p, method="holm")[1],
                                   rtol=0, atol=1e-15)
    assert holm_adjust(np.array([])).shape == (0,)


def test_a_single_shown_point_gets_no_quadrant():
    """helper-29: a site with one IPA point left after hiding had it labelled "Keep up the
    good work", being its own average. Fewer than two points with both values in a group:
    no quadrant; two or more: quadrants as before (a value equal to the reference is high)."""
    from peerlib.part1.scoring import ipa_quadrants

    ipa = pd.DataFrame({"g": ["a", "a", "b", "b", "b"],
                        "performance": [60.0, float("nan"), 40.0, 80.0, 60.0],
                        "importance": [3.0, 2.0, 2.0, 3.0, 2.5]})
    out = ipa_quadrants(ipa, by="g")
    assert out["quadrant"].isna().tolist()[:2] == [True, True]
    assert out["quadrant"].tolist()[2:] == ["Low priority", "Keep up the good work",
                                            "Keep up the good work"]
    alone = ipa_quadrants(ipa.head(2))
    assert alone["quadrant"].isna().all()

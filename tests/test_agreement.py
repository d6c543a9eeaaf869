"""Inter-coder agreement (peerlib.part2.agreement) against hand-computed small cases."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest

from peerlib.part2.agreement import OVERALL, agreement, cohen_kappa, coding_units, krippendorff_alpha, percent_agreement
from peerlib.reporting.sections import agreement_display, agreement_report


def _seg(rows):
    """rows: (document, code_path, start, end, coder)."""
    frame = pd.DataFrame(rows, columns=["document", "code_path", "start", "end", "coder"])
    frame["participant_id"] = "P-x"
    frame["site_id"] = "S01"
    frame["code"] = frame["code_path"]
    frame["text"] = "t"
    return frame.astype({"start": "Int64", "end": "Int64"})


# Document D1, 10 characters. Coder A codes X on [0, 4); coder B on [0, 3) and [9, 10).
# Units 0..9:  A = 1 1 1 1 0 0 0 0 0 0
#              B = 1 1 1 0 0 0 0 0 0 1
CASE = [("D1", "X", 0, 4, "A"), ("D1", "X", 0, 3, "B"), ("D1", "X", 9, 10, "B")]


def test_hand_computed_character_units():
    """By hand: agreement 8/10 = 80%. Kappa: p_o = .8, each coder codes 4 of 10, so
    p_e = .4 * .4 + .6 * .6 = .52 and kappa = (.8 - .52) / .48 = 0.58333.
    Alpha (nominal, 2 coders, no missing; Krippendorff 2011): 20 pairable values, n_1 = 8,
    n_0 = 12, mismatched ordered pairs o_01 + o_10 = 4, so
    alpha = 1 - (n - 1) * 4 / (2 * n_0 * n_1) = 1 - 19 * 4 / 192 = 0.60417."""
    table = agreement(_seg(CASE))
    x = table.set_index("code_path").loc["X"]
    assert x["n_units"] == 10 and x["n_units_coded"] == 5 and x["coders"] == "A, B"
    assert x["percent_agreement"] == pytest.approx(80.0)
    assert x["cohen_kappa"] == pytest.approx(0.28 / 0.48)
    assert x["krippendorff_alpha"] == pytest.approx(1 - 19 * 4 / 192)
    assert set(table["unit"]) == {"character"}


def test_segment_units_cut_at_every_boundary():
    """Boundaries 0, 3, 4, 9, 10 give 4 units: A = 1 1 0 0, B = 1 0 0 1 -> 50% agreement;
    p_e = .5 * .5 + .5 * .5 = .5, kappa = (.5 - .5) / .5 = 0."""
    units = coding_units(_seg(CASE), unit="segment")
    assert units["unit_start"].tolist() == [0, 3, 4, 9]
    assert units["A"].tolist() == [1, 1, 0, 0] and units["B"].tolist() == [1, 0, 0, 1]
    x = agreement(_seg(CASE), unit="segment").set_index("code_path").loc["X"]
    assert x["percent_agreement"] == pytest.approx(50.0)
    assert x["cohen_kappa"] == pytest.approx(0.0)


def test_perfect_agreement_unused_code_and_single_coded_document():
    rows = [("D1", "X", 2, 5, "A"), ("D1", "X", 2, 5, "B"), ("D1", "Y", 0, 8, "A"),
            ("D1", "Y", 0, 8, "B"),
            ("D2", "X", 0, 50, "A")]  # D2: one coder only, takes no part
    table = agreement(_seg(rows), codes=["X", "Y", "Z"]).set_index("code_path")
    assert table.loc["X", "percent_agreement"] == 100.0
    assert table.loc["X", "cohen_kappa"] == pytest.approx(1.0)
    assert table.loc["X", "krippendorff_alpha"] == pytest.approx(1.0)
    assert table.loc["X", "n_documents"] == 1 and table.loc["X", "n_units"] == 8
    z = table.loc["Z"]  # a code nobody used
    assert z["percent_agreement"] == 100.0 and math.isnan(z["cohen_kappa"])
    assert math.isnan(z["krippendorff_alpha"]) and "no coder used this code" in z["note"]
    # pooled over the codes used: X and Y units stacked (16 units; Z is left out)
    assert table.loc[OVERALL, "n_units"] == 16
    assert table.loc[OVERALL, "percent_agreement"] == 100.0


def test_no_double_coded_document_gives_nan_and_a_warning():
    with pytest.warns(UserWarning, match="No document was coded by two"):
        table = agreement(_seg([("D1", "X", 0, 4, "A"), ("D2", "X", 0, 4, "B")]))
    assert table["percent_agreement"].isna().all()
    assert table["note"].str.contains("no document").all()


def test_segments_without_a_coder_are_left_out_with_a_warning():
    rows = CASE + [("D1", "X", 5, 8, None)]
    with pytest.warns(UserWarning, match="1 coded segment"):
        table = agreement(_seg(rows))
    assert table.set_index("code_path").loc["X", "percent_agreement"] == pytest.approx(80.0)


def test_three_coders_alpha_with_missing_and_no_kappa():
    """Alpha with a coder absent from one document, against Krippendorff's (2011) worked
    layout computed by hand: units u1..u3 with values (A, B, C) = (1, 1, -), (0, 0, 0),
    (-, 1, 1) are all in agreement, so alpha = 1; percentage agreement 100."""
    data = np.array([[1, 0, np.nan], [1, 0, 1], [np.nan, 0, 1]])
    assert krippendorff_alpha(data) == pytest.approx(1.0)
    assert percent_agreement(data) == 100.0
    rows = [("D1", "X", 0, 2, "A"), ("D1", "X", 0, 2, "B"), ("D1", "X", 0, 1, "C")]
    row = agreement(_seg(rows)).set_index("code_path").loc["X"]
    assert row["n_coders"] == 3 and math.isnan(row["cohen_kappa"])
    assert "exactly two coders" in row["note"]
    assert row["percent_agreement"] == 50.0  # unit 1: C disagrees


def test_kappa_function_and_bad_unit():
    assert math.isnan(cohen_kappa(np.array([1, 1, 1]), np.array([1, 1, 1])))
    assert cohen_kappa(np.array([1, 0, np.nan]), np.array([1, 0, 1])) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="unit must be one of character, segment"):
        agreement(_seg(CASE), unit="sentence")


def test_display_formats_and_dashes():
    shown = agreement_display(agreement(_seg(CASE), codes=["X", "Q"]))
    assert shown.columns[3] == "Units (character)"
    assert shown["Cohen's kappa"].tolist()[:2] == ["0.58", "–"]
    assert shown["Agreement (%)"].tolist()[0] == "80"


def test_report_table_explains_exports_without_coders():
    rows = _seg(CASE).assign(coder=None)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the report version warns nothing
        shown = agreement_report(rows, codes=["X"])
    assert (shown["Agreement (%)"] == "–").all()
    assert shown["Note"].str.contains("no positions or no coders").all()


def test_pooled_row_leaves_out_unused_codes():
    """Adding an unused code to the report changes nothing in the pooled row."""
    plain = agreement(_seg(CASE)).set_index("code_path").loc[OVERALL]
    padded = agreement(_seg(CASE), codes=["X", "Unused"]).set_index("code_path").loc[OVERALL]
    assert padded["n_units"] == plain["n_units"] == 10
    assert padded["cohen_kappa"] == pytest.approx(plain["cohen_kappa"])


# ------------------------------------------------------------------ coded stretches, intervals
def test_coded_stretches_leave_out_text_nobody_coded():
    """CASE by hand over the coded stretches only: units coded by A or B are 0-3 and 9,
    i.e. 5 units; they agree on 0, 1, 2 (both 1) and differ on 3 and 9: 3/5 = 60%, where
    all text gave 80%. Kappa: A codes 4 of 5, B 4 of 5, p_o = .6, p_e = .8*.8 + .2*.2 =
    .68, kappa = (.6 - .68) / .32 = -0.25."""
    text = agreement(_seg(CASE)).set_index("code_path").loc["X"]
    coded = agreement(_seg(CASE), scope="coded").set_index("code_path").loc["X"]
    assert text["percent_agreement"] == pytest.approx(80.0)
    assert coded["n_units"] == 5 and coded["percent_agreement"] == pytest.approx(60.0)
    assert coded["cohen_kappa"] == pytest.approx(-0.25)
    from peerlib.errors import ParameterError
    with pytest.raises(ParameterError, match="scope must be one of text, coded"):
        agreement(_seg(CASE), scope="all")


def _three_documents():
    return _seg(CASE + [("D2", "X", 0, 5, "A"), ("D2", "X", 0, 5, "B"),
                        ("D2", "Y", 6, 9, "A"), ("D3", "X", 2, 8, "A"),
                        ("D3", "X", 3, 8, "B"), ("D3", "Y", 0, 2, "B")])


def test_bootstrap_intervals_are_seeded_and_bracket_the_estimate():
    from peerlib.part2.agreement import agreement_intervals

    seg = _three_documents()
    one = agreement_intervals(seg, n_boot=300, seed=7)
    assert one.equals(agreement_intervals(seg, n_boot=300, seed=7))
    overall = one.set_index("code_path").loc[OVERALL]
    for stat, short in (("percent_agreement", "percent"), ("cohen_kappa", "kappa"),
                        ("krippendorff_alpha", "alpha")):
        assert overall[f"{short}_low"] <= overall[stat] <= overall[f"{short}_high"]
    assert overall["kappa_low"] < overall["kappa_high"]
    none = agreement_intervals(seg, n_boot=0)
    assert none["kappa_low"].isna().all()
    with pytest.raises(ValueError, match="confidence"):
        agreement_intervals(seg, confidence=1.5)


def test_bootstrap_sums_give_the_library_statistics():
    """A bootstrap sample is summarised by additive per-document sums; on the original
    sample (every document once) they must give exactly the statistics computed by
    percent_agreement, cohen_kappa and the krippendorff package."""
    from peerlib.part2.agreement import _from_sufficient, _per_document

    seg = _three_documents()
    units = coding_units(seg)
    coders = ["A", "B"]
    table = agreement(seg).set_index("code_path")
    sums = _per_document(units, coders, ["D1", "D2", "D3"]).sum(axis=0, keepdims=True)
    got = _from_sufficient(sums, two_coders=True)
    assert got["percent_agreement"][0] == pytest.approx(table.loc[OVERALL,
                                                                  "percent_agreement"])
    assert got["cohen_kappa"][0] == pytest.approx(table.loc[OVERALL, "cohen_kappa"])
    assert got["krippendorff_alpha"][0] == pytest.approx(
        table.loc[OVERALL, "krippendorff_alpha"])


def test_disagreement_list_gives_each_stretch_with_both_codings():
    from peerlib.part2.agreement import disagreements

    seg = _seg(CASE)
    seg["text"] = ["alpha beta", "alpha", "z"]
    out = disagreements(seg)
    assert out[["document", "code_path", "start", "end", "A", "B"]].values.tolist() == [
        ["D1", "X", 3, 4, "coded", "not coded"], ["D1", "X", 9, 10, "not coded", "coded"]]
    assert out["excerpts"].iloc[0] == "A: \u201calpha beta\u201d [0-4]"
    assert out["excerpts"].iloc[1] == "B: \u201cz\u201d [9-10]"
    assert disagreements(seg[seg["coder"] == "A"]).empty


def test_note_names_every_undefined_coefficient_and_why():
    """Issue 10: with both coders coding every unit, alpha is blank; the note must say so,
    not only speak of kappa. By hand: both coders code all of [0, 6) with X, so every unit is
    1 for both: agreement 100%, p_e = 1 (kappa 0/0) and no variation (alpha's expected
    disagreement is 0)."""
    x = agreement(_seg([("D1", "X", 0, 6, "A"), ("D1", "X", 0, 6, "B")])).set_index(
        "code_path").loc["X"]
    assert x["percent_agreement"] == pytest.approx(100.0)
    assert math.isnan(x["cohen_kappa"]) and math.isnan(x["krippendorff_alpha"])
    assert "Cohen's kappa undefined: chance agreement is 100%" in x["note"]
    assert "Krippendorff's alpha undefined: every unit got the same value" in x["note"]
    three = agreement(_seg([("D1", "X", 0, 3, "A"), ("D1", "X", 0, 4, "B"),
                            ("D1", "X", 2, 6, "C")])).set_index("code_path").loc["X"]
    assert "needs exactly two coders, here 3" in three["note"]
    assert "alpha undefined" not in three["note"]

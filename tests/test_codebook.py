"""Tests of peerlib.codebook: loading the instrument and mapping typed answers through it."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from peerlib.codebook import (
    default_codebook_path,
    item_columns,
    load_codebook,
    normalise_label,
)
from peerlib.errors import CodebookError

PROPERTY = settings(max_examples=100, deadline=None, database=None)

HAPPENING_LABELS = ["Yes", "Partly", "No", "Don't know", "Not relevant", "Missing"]
ROLE_LABELS = ["Peer worker", "Non-peer staff", "Line manager",
               "Senior/strategic manager or commissioner", "Service user"]


def _happening(cb, *values):
    answers, ok = cb.normalise_happening(pd.Series(list(values), dtype=object))
    return answers.astype(object).tolist(), ok.tolist()


def _importance(cb, *values):
    scores, ok = cb.normalise_importance(pd.Series(list(values), dtype=object))
    return scores, ok.tolist()


def _spec() -> dict:
    """The shipped codebook as a plain dict, to modify and write to tmp_path."""
    return yaml.safe_load(default_codebook_path().read_text(encoding="utf-8"))


def _write(tmp_path, spec_or_text, name="codebook.yaml"):
    path = tmp_path / name
    text = spec_or_text if isinstance(spec_or_text, str) else yaml.safe_dump(
        spec_or_text, sort_keys=False, allow_unicode=True)
    path.write_text(text, encoding="utf-8")
    return path


# ------------------------------------------------------------------------------ the codebook
def test_shipped_codebook_matches_design(codebook):
    """Items 2.1-2.8 in order, the six happening levels in DESIGN.md's order, the 1-4 scale
    and the five roles."""
    assert codebook.item_ids == [f"2.{i}" for i in range(1, 9)]
    assert codebook.happening_labels == HAPPENING_LABELS
    assert codebook.importance_labels == {1: "Not at all important", 2: "Not very important",
                                          3: "Quite important", 4: "Extremely important"}
    assert codebook.role_labels == ROLE_LABELS
    assert codebook.happening_missing_label == "Missing"
    assert codebook.items.loc[0, "wording"] == ("There is a shared understanding of the role "
                                                "of Peer Workers in the organisation")


def test_item_ids_stay_strings(codebook):
    """Item ids are text; "2.10" must never become 2.1."""
    assert all(type(i) is str for i in codebook.item_ids)
    assert item_columns("2.1") == ("q2_1_happening", "q2_1_importance")
    assert item_columns("2.10") == ("q2_10_happening", "q2_10_importance")
    assert item_columns("2.10") != item_columns("2.1")


def test_data_dictionary_and_scale_table(codebook):
    dd = codebook.data_dictionary()
    assert list(dd["item_id"]) == codebook.item_ids
    assert dd.loc[3, "happening_column"] == "q2_4_happening"
    assert dd.loc[3, "importance_column"] == "q2_4_importance"
    assert (dd["section_title"] == "Expectations of the role").all()
    scales = codebook.scale_table()
    hap = scales[scales["scale"] == "happening"]
    assert list(hap["label"]) == HAPPENING_LABELS
    imp = scales[scales["scale"] == "importance"]
    assert list(imp["code"].iloc[:4]) == [4, 3, 2, 1]
    assert imp["code"].iloc[4] is pd.NA


# ------------------------------------------------------------------------------ normalise_label
@pytest.mark.parametrize("typed, folded", [
    ("Yes", "yes"),
    ("YES", "yes"),
    ("  yes  ", "yes"),
    ("Not   relevant", "not relevant"),
    ("Not\u00a0relevant", "not relevant"),           # non-breaking space
    ("\u00a0Partly\u00a0", "partly"),
    ("Not\t relevant\n", "not relevant"),
    ("Don\u2019t know", "don't know"),                # right single quotation mark (Word)
    ("Don\u2018t know", "don't know"),                # left single quotation mark
    ("Don`t know", "don't know"),                     # backtick
    ("Don\u00b4t know", "don't know"),                # acute accent
    ("  DON\u2019T\u00a0\u00a0KNOW ", "don't know"),
    ("4 \u2013 Extremely important", "4 - extremely important"),  # en dash
    (4, "4"),
    (4.0, "4.0"),
    (None, ""),
    (np.nan, ""),
    (pd.NA, ""),
    ("", ""),
])
def test_normalise_label(typed, folded):
    assert normalise_label(typed) == folded


# ------------------------------------------------------------------------------ happening scale
@pytest.mark.parametrize("typed, expected", [
    ("Yes", "Yes"), ("yes", "Yes"), (" YES ", "Yes"), ("y", "Yes"),
    ("Partly", "Partly"), ("partially", "Partly"),
    ("No", "No"), ("no ", "No"),
    ("Don't know", "Don't know"), ("Don\u2019t know", "Don't know"),
    ("DON\u2019T KNOW", "Don't know"), ("dont know", "Don't know"), ("DK", "Don't know"),
    ("Not relevant", "Not relevant"), ("n/a", "Not relevant"),
    # numeric codes as numbers, text and spreadsheet floats
    (1, "Yes"), (2, "Partly"), (3, "No"), (8, "Don't know"), (9, "Not relevant"),
    ("1", "Yes"), ("2", "Partly"), ("3", "No"), ("8", "Don't know"), ("9", "Not relevant"),
    (1.0, "Yes"), ("8.0", "Don't know"), (np.int64(9), "Not relevant"),
    # code and label together
    ("1 - Yes", "Yes"), ("8 - Don\u2019t know", "Don't know"),
    # no answer is the Missing category, never NA
    ("", "Missing"), ("   ", "Missing"), (None, "Missing"), (np.nan, "Missing"),
    ("no answer", "Missing"),
])
def test_happening_typed_forms(codebook, typed, expected):
    answers, ok = _happening(codebook, typed)
    assert answers == [expected]
    assert ok == [True]


@pytest.mark.parametrize("typed", ["Maybe", "yess", "4", 4, "0", 7, "10", "1 - No",
                                   "3 - Yes", "Quite important", "Peer worker", "y e s",
                                   "1.1", "3-3", "8 - 8", "1.5"])
def test_happening_unknown_not_recognised(codebook, typed):
    """Unknown values are flagged (recognised False) and left NA, never mapped to a level."""
    answers, ok = _happening(codebook, typed)
    assert ok == [False]
    assert pd.isna(answers[0])


def test_happening_dtype_and_index(codebook):
    values = pd.Series(["yes", "", "Maybe"], index=[10, 11, 12])
    answers, ok = codebook.normalise_happening(values)
    assert answers.dtype == pd.CategoricalDtype(HAPPENING_LABELS, ordered=True)
    assert list(answers.index) == [10, 11, 12]
    assert ok.tolist() == [True, True, False]
    assert answers.isna().tolist() == [False, False, True]


# ------------------------------------------------------------------------------ importance scale
@pytest.mark.parametrize("typed, expected", [
    ("4 - Extremely important", 4),
    ("extremely important", 4),
    ("Extremely important  ", 4),
    ("EXTREMELY IMPORTANT", 4),
    (4, 4), ("4", 4), (4.0, 4), ("4.0", 4), (" 4 ", 4),
    ("4. Extremely important", 4),
    ("(4) Extremely important", 4),
    ("4 \u2013 Extremely important", 4),
    ("3 - Quite important", 3), ("Quite important", 3), (3, 3), ("3", 3),
    ("Not very important", 2), (2, 2),
    ("Not at all important", 1), ("1 - Not at all important", 1), (1.0, 1),
    ("very important", 4),
])
def test_importance_typed_forms(codebook, typed, expected):
    scores, ok = _importance(codebook, typed)
    assert scores.dtype == "Int64"
    assert scores.tolist() == [expected]
    assert ok == [True]


@pytest.mark.parametrize("typed", ["", "  ", None, np.nan, pd.NA, "no answer", "-", "."])
def test_importance_blank_is_na_and_recognised(codebook, typed):
    """No answer is NA on the importance scale (not an error)."""
    scores, ok = _importance(codebook, typed)
    assert scores.dtype == "Int64"
    assert scores.isna().tolist() == [True]
    assert ok == [True]


@pytest.mark.parametrize("typed", ["5", 5, 0, "0", 6.0, "4.5", "-1", "important",
                                   "4 - Not at all important",   # code and label disagree
                                   "1 - Extremely important",
                                   "3 - Yes", "Yes", "Don't know", "four",
                                   "3.3", "4 - 4", "2-2.0", "3.5"])
def test_importance_unknown_not_recognised(codebook, typed):
    scores, ok = _importance(codebook, typed)
    assert ok == [False]
    assert scores.isna().tolist() == [True]


def test_importance_mixed_column(codebook):
    """A column typed partly as numbers, text numbers and labels maps in place."""
    scores, ok = _importance(codebook, 4, "3", "", 3.0, "4 - Extremely important", "x")
    assert scores.tolist() == [4, 3, pd.NA, 3, 4, pd.NA]
    assert ok == [True, True, True, True, True, False]


# ------------------------------------------------------------------------------ roles
@pytest.mark.parametrize("typed, expected", [
    ("PW", "Peer worker"),
    ("peer support worker", "Peer worker"),
    ("Peer Worker", "Peer worker"),
    ("Service User ", "Service user"),
    ("service-user", "Service user"),
    ("Non peer staff", "Non-peer staff"),
    ("line managers", "Line manager"),
    ("Commissioner", "Senior/strategic manager or commissioner"),
    ("senior/strategic managers/commissioners", "Senior/strategic manager or commissioner"),
])
def test_role_aliases(codebook, typed, expected):
    roles, ok = codebook.normalise_role(pd.Series([typed]))
    assert roles.tolist() == [expected]
    assert ok.tolist() == [True]
    assert roles.dtype == pd.CategoricalDtype(ROLE_LABELS, ordered=True)


@pytest.mark.parametrize("typed", ["Nurse", "", None, "1", "peer workerz"])
def test_role_unknown_or_blank(codebook, typed):
    roles, ok = codebook.normalise_role(pd.Series([typed], dtype=object))
    assert ok.tolist() == [False]
    assert roles.isna().tolist() == [True]


# ------------------------------------------------------------------------------ codebook as data
def test_extra_item_and_aliases_need_no_code_change(tmp_path):
    """A study adds item 2.9 and 2.10, an importance alias and a role alias in its own copy."""
    spec = _spec()
    spec["items"].append({"id": "2.9", "section": "2", "wording": "A new item", "label": "New"})
    spec["items"].append({"id": "2.10", "section": "3", "wording": "Tenth", "draft": True})
    for lvl in spec["scales"]["importance"]["levels"]:
        if lvl["code"] == 4:
            lvl["aliases"].append("absolutely vital")
    for lvl in spec["scales"]["happening"]["levels"]:
        if lvl["label"] == "Partly":
            lvl["aliases"].append("halfway")
    spec["roles"][0]["aliases"].append("peer mentor")
    cb = load_codebook(_write(tmp_path, spec))

    assert cb.item_ids == [f"2.{i}" for i in range(1, 11)]
    assert cb.item_ids[-1] == "2.10" and cb.item_ids[0] == "2.1"
    dd = cb.data_dictionary().set_index("item_id")
    assert dd.loc["2.10", "happening_column"] == "q2_10_happening"
    assert dd.loc["2.10", "section_title"] == "Training and support"
    assert bool(dd.loc["2.10", "draft"]) is True
    assert dd.loc["2.10", "label"] == "2.10"      # no label given: the id stands in
    assert _importance(cb, "Absolutely  Vital")[0].tolist() == [4]
    assert _happening(cb, "HALFWAY") == (["Partly"], [True])
    roles, ok = cb.normalise_role(pd.Series(["Peer Mentor"]))
    assert roles.tolist() == ["Peer worker"] and ok.all()
    # the shipped codebook is untouched by the copy
    shipped = load_codebook()
    assert _importance(shipped, "absolutely vital")[1] == [False]
    assert len(shipped.item_ids) == 8


def test_extra_role_needs_no_code_change(tmp_path):
    spec = _spec()
    spec["roles"].append({"label": "Carer", "short": "Carers", "aliases": ["family carer"]})
    cb = load_codebook(_write(tmp_path, spec))
    assert cb.role_labels[-1] == "Carer"
    roles, ok = cb.normalise_role(pd.Series(["Family Carer", "PW"]))
    assert roles.tolist() == ["Carer", "Peer worker"]
    assert list(roles.cat.categories) == [*ROLE_LABELS, "Carer"]


def test_alias_given_to_two_answers(tmp_path):
    spec = _spec()
    for lvl in spec["scales"]["happening"]["levels"]:
        if lvl["label"] == "No":
            lvl["aliases"].append("Partially")        # already an alias of Partly
    with pytest.raises(CodebookError, match=r"happening scale, 'Partially' stands for both"):
        load_codebook(_write(tmp_path, spec))


def test_importance_alias_given_to_two_answers(tmp_path):
    spec = _spec()
    spec["scales"]["importance"]["levels"][0]["aliases"].append("Quite")  # code 1 and 3
    with pytest.raises(CodebookError, match=r"importance scale, 'quite' stands for both 1 and 3"):
        load_codebook(_write(tmp_path, spec))


def test_role_alias_given_to_two_roles(tmp_path):
    spec = _spec()
    spec["roles"][1]["aliases"].append("PW")
    with pytest.raises(CodebookError, match=r"role alias 'PW' is given for both "
                                            r"'Peer worker' and 'Non-peer staff'"):
        load_codebook(_write(tmp_path, spec))


def test_missing_alias_that_is_an_answer(tmp_path):
    spec = _spec()
    spec["scales"]["importance"]["missing_aliases"].append("quite")
    with pytest.raises(CodebookError, match="missing alias 'quite' is also the label"):
        load_codebook(_write(tmp_path, spec))


def test_unquoted_numeric_item_id(tmp_path):
    """YAML reads an unquoted 2.10 as the number 2.1: the loader must refuse it."""
    text = default_codebook_path().read_text(encoding="utf-8")
    text = text.replace('- id: "2.8"', "- id: 2.10")
    assert "- id: 2.10" in text
    path = _write(tmp_path, text)
    with pytest.raises(CodebookError, match=r"items\[7\] id 2\.1 must be quoted text") as info:
        load_codebook(path)
    assert str(path.name) in str(info.value)


def test_unknown_section(tmp_path):
    spec = _spec()
    spec["items"][2]["section"] = "9"
    with pytest.raises(CodebookError, match=r"item 2\.3 names section '9', which is not "
                                            r"among the sections \(1, 2, 3\)"):
        load_codebook(_write(tmp_path, spec))


@pytest.mark.parametrize("change, message", [
    (lambda s: s["items"].append(dict(s["items"][0])), r"listed more than once: 2\.1"),
    (lambda s: s.update(items=[]), "lists no items"),
    (lambda s: s.update(roles=[]), "lists no roles"),
    (lambda s: s["scales"]["happening"]["levels"][5].pop("missing"),
     "exactly one level with 'missing: true'"),
    (lambda s: s["scales"]["importance"]["levels"][0].update(code="one"), "whole numbers"),
    (lambda s: s["items"][0].pop("wording"), r"item 2\.1 has no 'wording'"),
])
def test_malformed_codebook(tmp_path, change, message):
    spec = _spec()
    change(spec)
    with pytest.raises(CodebookError, match=message):
        load_codebook(_write(tmp_path, spec))


def test_invalid_yaml_and_missing_file(tmp_path):
    with pytest.raises(CodebookError, match="not valid YAML"):
        load_codebook(_write(tmp_path, "items: [unclosed"))
    with pytest.raises(FileNotFoundError, match="Codebook not found"):
        load_codebook(tmp_path / "nope.yaml")


# ------------------------------------------------------------------------------ properties
_APOSTROPHE_FORMS = ["'", "\u2019", "\u2018", "\u201b", "`", "\u00b4", "\uff07"]
_SPACE_FORMS = [" ", "  ", "\u00a0", "\t", " \u00a0 ", "\u2009", "\u202f"]


@st.composite
def _typed_variant(draw, label: str) -> str:
    """``label`` as someone might type it: any case, any apostrophe, extra spaces."""
    out = [draw(st.sampled_from(["", *_SPACE_FORMS]))]
    for ch in label:
        if ch == "'":
            out.append(draw(st.sampled_from(_APOSTROPHE_FORMS)))
        elif ch == " ":
            out.append(draw(st.sampled_from(_SPACE_FORMS)))
        elif draw(st.booleans()):
            out.append(ch.swapcase())
        else:
            out.append(ch)
    out.append(draw(st.sampled_from(["", *_SPACE_FORMS])))
    return "".join(out)


def _spellings(cb):
    """(spelling, scale, canonical value) for every label and alias of the codebook."""
    rows = []
    for lvl in cb.happening_levels:
        rows += [(s, "happening", lvl.label) for s in (lvl.label, *lvl.aliases)]
    for lvl in cb.importance_levels:
        rows += [(s, "importance", lvl.code) for s in (lvl.label, *lvl.aliases)]
    rows += [(s, "importance", None) for s in cb.importance_missing_aliases]
    for rec in cb.roles.itertuples(index=False):
        rows += [(s, "role", rec.role) for s in (rec.role, *rec.aliases)]
    return rows


_CB = load_codebook()
_ALL_SPELLINGS = _spellings(_CB)


@PROPERTY
@given(data=st.data(), entry=st.sampled_from(_ALL_SPELLINGS))
def test_property_typed_variants_map_to_canonical(data, entry):
    spelling, scale, canonical = entry
    typed = data.draw(_typed_variant(spelling))
    # folding the variant gives the same key as folding the label
    assert normalise_label(typed) == normalise_label(spelling)
    series = pd.Series([typed], dtype=object)
    if scale == "happening":
        values, ok = _CB.normalise_happening(series)
        assert values.tolist() == [canonical]
    elif scale == "importance":
        values, ok = _CB.normalise_importance(series)
        assert values.tolist() == [pd.NA if canonical is None else canonical]
    else:
        values, ok = _CB.normalise_role(series)
        assert values.tolist() == [canonical]
    assert ok.tolist() == [True]


@PROPERTY
@given(data=st.data(), label=st.sampled_from(HAPPENING_LABELS[:5]))
def test_property_happening_label_variants_canonical(data, label):
    """Canonical happening labels in any typed form come back as exactly that label."""
    typed = data.draw(_typed_variant(label))
    values, ok = _CB.normalise_happening(pd.Series([typed]))
    assert values.tolist() == [label] and ok.all()


_KNOWN_KEYS = {
    scale: {normalise_label(s) for s, sc, _ in _ALL_SPELLINGS if sc == scale}
    for scale in ("happening", "importance", "role")
}
# other software's missing-value words ("NULL", "-99"...) are read as no answer, by design
for _scale in ("happening", "importance"):
    _KNOWN_KEYS[_scale] |= {normalise_label(t) for t in _CB.default_missing_tokens(_scale)}


def _has_digit(key: str) -> bool:
    return any(ch.isdigit() or ch.isnumeric() for ch in key)


@PROPERTY
@given(text=st.text(max_size=30))
def test_property_unknown_text_is_never_mapped(text):
    """Text that is no label, alias or code of a scale is reported as not recognised.

    Digits are excluded here (numbers are tested below), as are texts that fold to a known
    spelling; the oracle is the set of folded labels and aliases of the codebook.
    """
    key = normalise_label(text)
    series = pd.Series([text], dtype=object)
    if not _has_digit(key):
        if key not in _KNOWN_KEYS["happening"]:
            values, ok = _CB.normalise_happening(series)
            assert ok.tolist() == [False] and values.isna().all()
        if key not in _KNOWN_KEYS["importance"]:
            values, ok = _CB.normalise_importance(series)
            assert ok.tolist() == [False] and values.isna().all()
    if key not in _KNOWN_KEYS["role"]:
        values, ok = _CB.normalise_role(series)
        assert ok.tolist() == [False] and values.isna().all()


@PROPERTY
@given(data=st.data(), entry=st.sampled_from(_ALL_SPELLINGS),
       junk=st.text(alphabet="abcdefghijklmnopqrstuvwxyz?!*#/", min_size=1, max_size=4))
def test_property_near_misses_are_not_mapped(data, entry, junk):
    """A valid spelling with letters added is not silently mapped to an answer."""
    spelling, scale, _ = entry
    typed = spelling + junk if data.draw(st.booleans()) else junk + spelling
    key = normalise_label(typed)
    assert not _has_digit(key)
    lookups = {"happening": _CB.normalise_happening, "importance": _CB.normalise_importance,
               "role": _CB.normalise_role}
    values, ok = lookups[scale](pd.Series([typed]))
    assert ok.tolist() == [key in _KNOWN_KEYS[scale]]
    if key not in _KNOWN_KEYS[scale]:
        assert values.isna().all()


@PROPERTY
@given(number=st.integers(min_value=-10_000, max_value=10_000).filter(lambda n: n != -99),
       form=st.sampled_from([int, str, float, lambda n: f"{n}.0", lambda n: f" {n} "]))
def test_property_numbers_off_the_scale_are_not_mapped(number, form):
    """Only the codebook's codes are accepted as numbers (happening 1,2,3,8,9; importance
    1-4). -99 is left out: it is other software's missing-value word, read as no answer
    by design (tests below and test_validate)."""
    typed = form(number)
    _, ok = _CB.normalise_happening(pd.Series([typed], dtype=object))
    assert ok.tolist() == [number in (1, 2, 3, 8, 9)]
    scores, ok = _CB.normalise_importance(pd.Series([typed], dtype=object))
    assert ok.tolist() == [number in (1, 2, 3, 4)]
    assert scores.tolist() == [number if number in (1, 2, 3, 4) else pd.NA]


_CODED = [(lvl.code, lvl.label, "happening") for lvl in _CB.happening_levels
          if lvl.code is not None] + [(lvl.code, lvl.label, "importance")
                                      for lvl in _CB.importance_levels]


@PROPERTY
@given(a=st.sampled_from(_CODED), b=st.sampled_from(_CODED),
       sep=st.sampled_from([" - ", "-", ". ", ": ", " = ", ") ", " \u2013 "]))
def test_property_code_and_label_must_agree(a, b, sep):
    """"<code> - <label>" is accepted only when code and label are the same answer."""
    code, _, scale = a
    label = b[1]
    typed = f"{code}{sep}{label}"
    func = _CB.normalise_happening if scale == "happening" else _CB.normalise_importance
    _, ok = func(pd.Series([typed]))
    assert ok.tolist() == [a == b]


def test_blank_plus_a_missing_word_is_no_answer_on_both_scales():
    """The property test's find: "null" (a blank spelling plus the word) is other
    software's missing value, read as no answer rather than refused."""
    for normalise in (_CB.normalise_happening, _CB.normalise_importance):
        values, ok = normalise(pd.Series(["null", " NULL ", "-99"]))
        assert ok.all(), normalise
    values, ok = _CB.normalise_role(pd.Series(["null"]))
    assert ok.tolist() == [False]

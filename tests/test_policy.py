"""Disclosure policies (peerlib.disclosure.policy)."""
from __future__ import annotations

import pytest

from peerlib.disclosure import POLICIES, get_policy, policy_from_parameters, policy_parameters


def test_presets_and_override():
    default, nhs = get_policy(), get_policy("NHS ")
    assert (default.k, default.rounding, default.mean_k) == (5, None, 5)
    assert (nhs.k, nhs.rounding, nhs.mean_k, nhs.suppress_small_counts) == (8, 5, 8, True)
    assert get_policy("nhs", k=10).k == 10 and get_policy("nhs", k=10).mean_k == 10
    assert get_policy("default", k=None) is POLICIES["default"]
    assert policy_from_parameters(**policy_parameters(nhs)) == nhs
    with pytest.raises(ValueError, match="choose one of default, nhs"):
        get_policy("strict")
    with pytest.raises(ValueError, match="whole number"):
        get_policy("default", k=0)


def test_nhs_counts_are_suppressed_or_rounded_and_percentages_use_rounded_counts():
    """Hand-computed: 12 of 23 -> 10 of 25 -> 40%; 3 -> "<8"; 0 stays 0; 8 -> 10."""
    nhs = get_policy("nhs")
    assert nhs.count_text(0) == "0" and nhs.count_text(3) == "<8"
    assert nhs.count_text(8) == "10" and nhs.count_text(12) == "10" and nhs.count_text(13) == "15"
    assert nhs.count_percent_text(12, 23) == "10 (40%)"
    assert nhs.count_percent_text(3, 23) == "<8"
    assert nhs.count_percent_text(0, 23) == "0 (0%)"
    default = get_policy()
    assert default.count_percent_text(3, 7) == "3 (43%)" and default.count_text(2) == "2"


def test_labels():
    assert get_policy().hidden_label("primary") == "n<5"
    assert get_policy().hidden_label("secondary") == "hidden"
    assert "rounded to the nearest 5" in get_policy("nhs").describe()

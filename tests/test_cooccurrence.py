"""Co-occurrence of codes over participants (peerlib.part2.cooccurrence), counted by hand
from tests/part2_fixtures.py."""
from __future__ import annotations

import pytest

from part2_fixtures import CODEBOOK, segments
from peerlib.part2.cooccurrence import cooccurrence


def test_participants_coded_with_both_themes():
    """Role: A1-A5, B1, B2 (7); Boundaries: A1-A5, B3 (6); both: A1-A5 = 5. Support: A5,
    A6, B2 (3); Role and Support: A5, B2 = 2. The site document takes no part."""
    out = cooccurrence(segments(), k=1, codebook=CODEBOOK).set_index(["a", "b"])
    assert out.loc[("Role", "Role"), "n_both"] == 7
    assert out.loc[("Role", "Boundaries"), "n_both"] == 5
    assert out.loc[("Boundaries", "Role"), "n_both"] == 5
    assert out.loc[("Boundaries", "Boundaries"), "n_both"] == 6
    assert out.loc[("Role", "Support"), "n_both"] == 2
    assert (out["n_participants"] == 9).all()


def test_small_counts_are_not_shown():
    out = cooccurrence(segments(), k=5, codebook=CODEBOOK).set_index(["a", "b"])
    assert out.loc[("Role", "Boundaries"), "n_both"] == 5
    assert out.loc[("Role", "Support"), "suppressed"]
    assert out["n_both"][out["suppressed"]].isna().all()
    assert cooccurrence(segments(), k=10)["suppressed"].all()  # 9 people: nothing shown


def test_code_level_and_bad_level():
    out = cooccurrence(segments(), level="code", k=1, codebook=CODEBOOK).set_index(["a", "b"])
    assert out.loc[("Role > Shared", "Boundaries > Contact"), "n_both"] == 4  # A1-3, A5
    assert out.loc[("Role", "Role"), "n_both"] == 0  # nobody coded on the theme itself
    with pytest.raises(ValueError, match="level must be one of code, theme"):
        cooccurrence(segments(), level="document")

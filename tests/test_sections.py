"""Part 2 display tables (peerlib.reporting.sections): what a reader sees for hidden
figures. Inputs are the hand-made tables of tests/part2_fixtures.py."""
from __future__ import annotations

import pandas as pd

from part2_fixtures import CODEBOOK, people, segments, sites
from peerlib.part2.cases import cross_case, site_theme_synthesis
from peerlib.part2.cooccurrence import cooccurrence
from peerlib.reporting.sections import (cooccurrence_display, cross_case_display,
                                        summaries_display, synthesis_display)


def test_synthesis_shows_n_below_k_and_hidden_by_subtraction():
    shown = synthesis_display(site_theme_synthesis(segments(), people(), sites(), k=5,
                                                   codebook=CODEBOOK), k=5)
    column = shown["Participants who spoke to it"].tolist()
    assert column == ["hidden"] * 3 + ["n<5"] * 3  # S01 (6) hidden to protect S02 (3)
    assert shown["Documentary evidence"].tolist()[1] == "JD S01 (job description) (1 excerpt)"
    visible = synthesis_display(site_theme_synthesis(segments(), people(), sites(), k=3,
                                                     codebook=CODEBOOK), k=3)
    assert visible["Participants who spoke to it"].tolist()[0] == "5 of 6"


def test_cross_case_and_cooccurrence_text():
    table = cross_case_display(cross_case(segments(), people(), sites(), by="region", k=3,
                                          codebook=CODEBOOK), k=3)
    assert table.columns.tolist()[:3] == ["Region", "Sites", "Participants"]
    assert table.iloc[0].tolist()[:4] == ["North", "1", "6", "5 of 6 (83%)"]
    cooc = cooccurrence_display(cooccurrence(segments(), k=5, codebook=CODEBOOK), k=5)
    role = cooc.set_index("").loc["Role"]
    assert role["Boundaries"] == "5" and role["Support"] == "<5"


def test_summaries_show_their_supporting_excerpts():
    table = pd.DataFrame({"theme": ["Role", "Role"], "site_id": ["S01", "S01"],
                          "participant_id": ["A5", pd.NA], "summary": ["Sees it.", "Site."]})
    shown = summaries_display(table, segments())
    assert shown["Participant"].tolist() == ["A5", "Site summary"]
    assert shown["Supporting excerpts"].tolist() == ["T-A5, 0-8", ""]

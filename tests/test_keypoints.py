"""Key points of the site and cross-site reports (peerlib.reporting.keypoints), on the
hand-made long table of tests/conftest.py (S01: 4 people, S02: 1 person, items 2.1-2.3)."""
from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from peerlib.disclosure import suppress_small_groups
from peerlib.part1 import scoring
from peerlib.reporting import keypoints as kp
from peerlib.reporting import tables as report

_VALUES = {"n_asked": ["count", "percent"], "n": ["mean", "sd", "median", "ci_low", "ci_high"]}
_CAUSAL = re.compile(r"\b(significant\w*|because|caus\w*|due to|leads? to|proves?)\b", re.I)


def _site_tables(data, site, k):
    comp = report.site_comparison_data(data, site)
    hap = suppress_small_groups(scoring.happening_distribution(comp, by="group"),
                                n="n_asked", k=k, values=_VALUES["n_asked"])
    imp = suppress_small_groups(scoring.importance_summary(comp, by="group"), n="n", k=k,
                                values=_VALUES["n"])
    ipa = scoring.importance_performance(comp[comp["group"] == report.THIS_SITE], min_n=k)
    return hap, imp, ipa


def _check_shape(points):
    assert list(points.columns) == kp.KEY_POINT_COLUMNS
    assert set(points["anchor"]) <= set(kp.SECTION_TITLES)
    for sentence in points["sentence"]:
        assert not _CAUSAL.search(sentence), sentence
        assert sentence.endswith("."), sentence


def test_agreement_shares_by_hand(long_df):
    """S01 (4 asked): 2.1 Yes 2 + Partly 1 = 3 (75%); 2.2 Partly 1 + Yes 1 = 2 (50%, one
    Missing counted in the denominator); 2.3 Yes 2 = 2 (50%, a Don't know counted)."""
    dist = scoring.happening_distribution(long_df, by="site_id")
    shares = kp.agreement_shares(dist, group="site_id").set_index(["item_id", "site_id"])
    assert shares.loc[("2.1", "S01"), ["agree", "n_asked"]].tolist() == [3, 4]
    assert shares.loc[("2.2", "S01"), "percent"] == pytest.approx(50.0)
    assert shares.loc[("2.3", "S01"), "percent"] == pytest.approx(50.0)
    hidden = suppress_small_groups(dist, n="n_asked", k=2, values=["count", "percent"])
    shown = kp.agreement_shares(hidden, group="site_id")
    assert set(shown["site_id"]) == {"S01"}  # S02 (one person) is left out altogether


def test_site_key_points_name_the_sites_figures(long_df):
    """k = 1 shows everything. Hand computation for S01 against S02:
    most important 2.1 (mean (4+3+4+2)/4 = 3.25; 2.3 has no answer at S01); least happening
    2.2 (2 of 4, first of the two 50% items); largest gap: 2.2 (S01 50% against S02 0%, a
    Don't know) and 2.3 (50% against 100%) tie at 50 points, 2.2 comes first in item order;
    importance gap 2.1: 3.25 against 1."""
    hap, imp, ipa = _site_tables(long_df, "S01", 1)
    points = kp.site_key_points(hap, imp, ipa, k=1, labels={"2.1": "Shared understanding"},
                                n_site=4)
    _check_shape(points)
    assert 3 <= len(points) <= 6
    text = " ".join(points["sentence"])
    assert "most important here is “2.1 Shared understanding” (mean 3.2" in text
    assert "least often said was happening is “2.2”: 2 of 4 said Yes or Partly (50%)" in text
    assert "largest difference from all other sites is on “2.2”: 50% of people here" in text
    assert "against 0% at all other sites" in text
    assert "rate “2.1 Shared understanding” more important than people at all other sites " \
           "(mean 3.2 against 1.0)" in text
    first = points.iloc[0]
    assert first["anchor"] == "ipa" and "Concentrate here" in first["sentence"]


def test_a_hidden_figure_is_never_written(long_df):
    """k = 2 hides "All other sites" (S02 has one person): no key point compares the site
    with them. Hiding 2.1 at the site too removes it from every sentence."""
    hap, imp, ipa = _site_tables(long_df, "S01", 2)
    points = kp.site_key_points(hap, imp, ipa, k=2, n_site=4)
    _check_shape(points)
    assert not points["sentence"].str.contains("other sites").any()
    hap.loc[hap["item_id"] == "2.1", ["count", "percent"]] = np.nan
    hap.loc[hap["item_id"] == "2.1", "suppressed"] = True
    imp.loc[imp["item_id"] == "2.1", "mean"] = np.nan
    imp.loc[imp["item_id"] == "2.1", "suppressed"] = True
    ipa.loc[ipa["item_id"] == "2.1", ["performance", "importance"]] = np.nan
    points = kp.site_key_points(hap, imp, ipa, k=2, n_site=4)
    assert "2.1" not in ",".join(points["items"]) and "2.1" not in " ".join(points["sentence"])
    # the values 3.25 (2.1 mean) and 75% (2.1 share) appear nowhere
    assert not points["figures"].str.contains("3.25|=75").any()


def test_small_site_gets_one_sentence_without_figures(long_df):
    hap, imp, ipa = _site_tables(long_df, "S02", 5)
    points = kp.site_key_points(hap, imp, ipa, k=5, n_site=1)
    assert len(points) == 1 and points.iloc[0]["anchor"] == "notes"
    assert "fewer than 5 participants" in points.iloc[0]["sentence"]
    assert not re.search(r"\d+%|mean", points.iloc[0]["sentence"])
    # a site with nobody interviewed says so, not "fewer than 5" (the tester read both)
    empty = kp.site_key_points(hap, imp, ipa, k=5, n_site=0)
    assert len(empty) == 1 and empty.iloc[0]["sentence"].startswith("Nobody from this site")
    everything_hidden = kp.site_key_points(hap, imp, ipa, k=5)  # n_site not given
    assert len(everything_hidden) == 1 and "No result" in everything_hidden.iloc[0]["sentence"]


def test_cross_site_key_points_sector_differences(long_df):
    """k = 1, NHS (S01) against Voluntary (S02): 'Yes or Partly' 2.3 50% against 100% and
    2.2 50% against 0% (Don't know) tie at 50 points; 2.2 is first in item order.
    Everyone: least happening 2.2 = 2 of 5 (40%)."""
    by_sector = suppress_small_groups(scoring.happening_distribution(long_df, by="sector"),
                                      n="n_asked", k=1, values=["count", "percent"])
    imp = report.importance_with_overall(long_df, by="sector", k=1)
    ipa = scoring.importance_performance(long_df, min_n=1)
    points = kp.cross_site_key_points(by_sector, imp, ipa, k=1)
    _check_shape(points)
    text = " ".join(points["sentence"])
    assert "least often said was happening is “2.2”: 2 of 5 said Yes or Partly (40%)" in text
    assert "The sectors differ most on “2.2”: 50% in the NHS sector" in text
    assert "against 0% in the Voluntary sector" in text


def test_cross_site_with_a_hidden_sector_compares_nothing(long_df):
    by_sector = suppress_small_groups(scoring.happening_distribution(long_df, by="sector"),
                                      n="n_asked", k=2, values=["count", "percent"])
    imp = report.importance_with_overall(long_df, by="sector", k=2)
    ipa = scoring.importance_performance(long_df, min_n=2)
    points = kp.cross_site_key_points(by_sector, imp, ipa, k=2)
    _check_shape(points)
    assert not points["sentence"].str.contains("sector").any()


def test_key_points_html_links_and_escapes():
    points = pd.DataFrame([{"sentence": "<b>x</b> said", "anchor": "ipa",
                            "section": kp.SECTION_TITLES["ipa"], "items": "", "figures": ""}])
    html = kp.key_points_html(points).data
    assert "&lt;b&gt;x&lt;/b&gt;" in html and "<b>x" not in html
    assert 'href="#ipa"' in html and 'id="key-points"' in html


def test_a_statement_picked_among_the_few_shown_says_so(long_df):
    """helper-29's C1: with most statements hidden, "the statement least often said to be
    happening" was read as the site's lowest although it was picked among those left. With
    2.3 hidden, the points say "Of the 2 statements (out of 3) whose figures can be shown";
    with only one statement shown, no "most" or "least" point is made."""
    hap, imp, ipa = _site_tables(long_df, "S01", 1)
    hidden = hap["item_id"].astype(str) == "2.3"
    hap.loc[hidden, ["count", "percent"]] = np.nan
    hap.loc[hidden, "suppressed"] = True
    imp = imp[imp["item_id"].astype(str) != "2.3"]
    points = kp.site_key_points(hap, imp, ipa, k=1, n_site=4)
    least = points[points["sentence"].str.contains("least often")]["sentence"].iloc[0]
    assert least.startswith("Of the 2 statements (out of 3) whose figures can be shown, the "
                            "statement people here least often said")
    most = points[points["sentence"].str.contains("most important")]["sentence"].iloc[0]
    assert most.startswith("Of the 2 statements (out of 3)")
    hap, imp, ipa = _site_tables(long_df, "S01", 1)
    only = hap["item_id"].astype(str) != "2.1"
    hap.loc[only, ["count", "percent"]] = np.nan
    hap.loc[only, "suppressed"] = True
    imp = imp[imp["item_id"].astype(str) == "2.1"]
    points = kp.site_key_points(hap, imp, ipa, k=1, n_site=4)
    assert not points["sentence"].str.contains("least often|most important|largest").any()

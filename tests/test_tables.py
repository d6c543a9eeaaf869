"""Report helpers used by the notebooks (peerlib.reporting.tables)."""
from __future__ import annotations

import json

from pathlib import Path

import pandas as pd
import pytest

from peerlib.part1 import scoring
from peerlib.reporting import tables as report
from peerlib.errors import ParameterError
from peerlib.part1.prepare import load_prepared


def _register(folder, codes):
    folder.mkdir(parents=True, exist_ok=True)
    rows = "\n".join(f"{c},Site {c},NHS trust,NHS,false," for c in codes)
    (folder / "sites.csv").write_text("site_id,site_name,organisation_type,sector,bme_focus,"
                                      "aliases\n" + rows + "\n", encoding="utf-8")
    return folder


def test_check_site_accepts_number_for_numeric_code(tmp_path):
    """`papermill -p site_id 007` passes the int 7."""
    data = _register(tmp_path / "processed", ["007", "012"])
    assert report.check_site(7, data)["site_id"] == "007"
    assert report.check_site("007", data)["site_id"] == "007"
    assert report.check_site(12, data)["site_name"] == "Site 012"


def test_check_site_unknown_lists_the_codes(tmp_path):
    data = _register(tmp_path / "processed", ["S01", "S02"])
    with pytest.raises(ParameterError, match=r"Unknown site_id 'NOPE'.*S01, S02"):
        report.check_site("NOPE", data)
    with pytest.raises(ParameterError, match="Unknown site_id 3"):
        report.check_site(3, data)


def test_check_min_group_size_parameter():
    assert report.check_min_group_size_parameter(5) == 5
    with pytest.raises(ParameterError, match="whole number"):
        report.check_min_group_size_parameter(0)


@pytest.mark.parametrize("value", [True, False, float("inf"), float("-inf"), float("nan"),
                                   2.5, "5", "five", None, 0, -3])
def test_min_group_size_parameter_refuses_booleans_infinities_and_fractions(value):
    """Issue 10: `papermill ... -p min_group_size True` ran with k = 1; `inf` raised
    OverflowError. Both are now a ParameterError naming the value."""
    import numpy as np

    with pytest.raises(ParameterError, match="min_group_size"):
        report.check_min_group_size_parameter(value)
    assert report.check_min_group_size_parameter(np.int64(6)) == 6
    assert report.check_min_group_size_parameter(5.0) == 5


def test_display_text_from_data_is_escaped():
    evil = '<script>alert(1)</script><img src=x onerror=alert(2)>'
    for obj in (report.heading(evil), report.note(evil),
                report.table(pd.DataFrame({"site_name": [evil]}), caption=evil)):
        html = obj.data
        assert "<script>" not in html and "<img" not in html
        assert "&lt;script&gt;" in html


def test_item_with_no_valid_answers_shows_zero_n_and_dashes(long_df):
    """Fault 6 of the issue: at S01 nobody rated the importance of 2.3."""
    imp = scoring.importance_summary(long_df, by="site_id")
    shown = report.importance_table(imp, group="site_id", k=1)
    row = shown[(shown["Item"] == "2.3") & (shown["Site"] == "S01")].iloc[0]
    assert row["n"] == "0"
    assert row["Mean (1-4)"] == "–" and row["95% CI"] == "–"


def test_distribution_table_shows_counts_percent_and_small_groups(long_df):
    dist = scoring.happening_distribution(long_df, by="site_id")
    shown = report.distribution_table(dist, group="site_id", k=2)
    s01 = shown[(shown["Item"] == "2.1") & (shown["Site"] == "S01")].iloc[0]
    # S01 item 2.1: Yes 2, Partly 1, No 1 of 4 asked
    assert s01["n asked"] == "4" and s01["Yes"] == "2 (50%)" and s01["No"] == "1 (25%)"
    assert s01["Not relevant"] == "0 (0%)"
    assert list(shown.columns)[3:] == ["Yes", "Partly", "No", "Don't know", "Not relevant",
                                       "Missing"]
    s02 = shown[(shown["Item"] == "2.1") & (shown["Site"] == "S02")].iloc[0]
    assert s02["n asked"] == "n<2" and s02["Yes"] == "n<2"


def test_site_sample_table_masks_role_counts_below_k():
    data = load_prepared()
    shown = report.site_sample_table(data, "S01", k=5)
    assert shown["Role"].tolist()[-1] == "Total"
    site = shown["This site"].tolist()
    assert site[-1] == "7"
    assert all(v in ("0", "<5") for v in site[:-1])
    others = shown["All sites"].tolist()
    assert others[-1] == "68"  # the study total, not "all other sites" (61)


def test_sample_table_display_is_the_studys_table():
    data = load_prepared()
    shown = report.sample_table_display(data)
    assert shown.columns.tolist() == ["Role", "Voluntary", "NHS", "Total"]
    assert shown.values.tolist() == [
        ["Peer workers", 9, 7, 16], ["Non-peer staff", 6, 8, 14], ["Line managers", 4, 7, 11],
        ["Senior managers/commissioners", 6, 8, 14], ["Service users", 8, 5, 13],
        ["Total", 33, 35, 68]]


def test_importance_with_overall_and_ipa_table(long_df):
    imp = report.importance_with_overall(long_df, by="sector", k=2)
    assert imp["group"].unique().tolist() == ["All", "NHS", "Voluntary"]
    volunteer = imp[imp["group"] == "Voluntary"]
    assert volunteer["suppressed"].all() and volunteer["mean"].isna().all()
    ipa = scoring.importance_performance(long_df)
    shown = report.ipa_table(ipa, k=4)
    # item 2.3: 4 substantive answers but only one importance answer (P05) -> hidden
    row = shown[shown["Item"] == "2.3"].iloc[0]
    assert row["Importance (1-4)"] == "n<4" and row["Quadrant"] == "–"


def test_missing_answers_table(long_df):
    out = report.missing_answers_table(long_df)
    row = out[(out["Site"] == "S01") & (out["Item"] == "2.2")].iloc[0]
    assert (row["Participants"], row["Happening: no answer"], row["Importance: no answer"]) == (
        4, 1, 1)
    row = out[(out["Site"] == "S01") & (out["Item"] == "2.3")].iloc[0]
    assert row["Importance: answered"] == 0


def test_site_views_leave_nothing_to_subtract():
    """With k = 8 every demo site (6-7 people) is hidden: no site report shows "This site"
    or "All other sites" results, so the cross-site total minus "All other sites" gives
    nothing away. With k = 5 both are shown for an item where the site has 7 answers."""
    data = load_prepared()
    for k, expect_hidden in ((8, True), (5, False)):
        hap = report.site_happening(data, "S01", k=k)
        rows = hap[hap["item_id"] == "2.1"]
        assert rows["suppressed"].all() == expect_hidden
        assert rows["percent"].isna().all() == expect_hidden
        imp = report.site_importance(data, "S01", k=k)
        assert imp[imp["item_id"] == "2.1"]["mean"].isna().all() == expect_hidden


def test_site_hidden_for_one_item_hides_a_complement_site_in_the_same_report_logic():
    """Blank three importance answers of 2.5 at S01 (7 -> 4 answers): S01 is hidden for 2.5,
    and so is the smallest other site for 2.5 (its own report applies the same rule), so
    the cross-site total minus the shown sites cannot give S01 away."""
    data = load_prepared().copy()
    s01 = data.index[(data["site_id"] == "S01") & (data["item_id"] == "2.5")][:3]
    data.loc[s01, "importance"] = pd.NA
    per_site = scoring.importance_summary(data, by="site_id")
    per_site = per_site[per_site["item_id"] == "2.5"].sort_values("n")
    hidden_sites = [s for s in per_site["site_id"]
                    if report.site_importance(data, s, k=5).query("item_id == '2.5'")
                    ["mean"].isna().all()]
    assert "S01" in hidden_sites and len(hidden_sites) >= 2


def test_site_ipa_hides_what_the_other_tables_hide_and_never_prints_small_n():
    """The issue's bug: cut one demo site to 3 interviews; every site report's IPA table
    must hide an item exactly where that report's importance or happening table hides it,
    and never print an n under k."""
    from peerlib.disclosure import DisclosureMask, batch_mask, get_policy

    data = load_prepared()
    keep = data["participant_id"].drop_duplicates()
    small_site = data.loc[data["site_id"] == "S03", "participant_id"].drop_duplicates()[:3]
    data = data[(data["site_id"] != "S03") | data["participant_id"].isin(small_site)]
    data = data.reset_index(drop=True)
    assert keep.size > 3
    policy = get_policy()
    mask = DisclosureMask(batch_mask(data, policy), policy)
    labels = {"n<5", "hidden"}
    hidden_somewhere = 0
    for site in sorted(data["site_id"].astype(str).unique()):
        imp = report.site_importance(data, site, mask=mask)
        hap = report.site_happening(data, site, mask=mask)
        ipa = report.site_ipa(data, site, mask=mask)
        here = imp[imp["group"] == report.THIS_SITE]
        here = here.set_index(here["item_id"].astype(str))
        there = hap[hap["group"] == report.THIS_SITE].drop_duplicates("item_id")
        there = there.set_index(there["item_id"].astype(str))
        for rec in ipa.itertuples(index=False):
            item = str(rec.item_id)
            expect = bool(here.loc[item, "suppressed"] or there.loc[item, "suppressed"])
            assert bool(rec.suppressed) or not expect, (site, item)
            hidden_somewhere += expect
        shown = report.ipa_table(ipa, policy=policy)
        for col in ("n (performance)", "n (importance)"):
            for value in shown[col]:
                assert value in labels or int(value) >= 5, (site, col, value)
        assert (shown.loc[ipa["suppressed"].to_numpy(), "Importance (1-4)"].isin(labels)).all()
    assert hidden_somewhere  # the small site (and its partner) are hidden somewhere


def test_one_sector_skips_the_comparison_with_a_sentence():
    data = load_prepared()
    nhs = data[data["sector"] == "NHS"].reset_index(drop=True)
    html = report.sector_comparison_section(nhs, labels={})
    assert "no comparison" in html.data
    html = report.sector_comparison_section(data, labels={})
    assert "<table" in html.data


def test_batch_mask_table_reuses_its_cache_only_for_the_same_inputs(tmp_path, monkeypatch):
    """An unchanged rerun reads the batch's mask from data/processed/cache instead of
    solving again; another policy, other data or a damaged cache file computes it anew."""
    import sys

    from peerlib.disclosure import get_policy
    from peerlib.reporting import tables as tables_mod

    sys.path.insert(0, str(Path(__file__).parent))
    from disclosure_helpers import WORKED_EXAMPLE, make_long

    data = make_long(WORKED_EXAMPLE)
    sites = ["N1", "N2", "N3", "V1"]
    first = tables_mod.batch_mask_table(tmp_path, get_policy(), sites, data=data)
    cached = list((tmp_path / "cache").glob("disclosure_mask-*.parquet"))
    assert len(cached) == 1

    def refuse(*args, **kwargs):
        raise AssertionError("solved again")

    real = tables_mod.batch_mask
    monkeypatch.setattr(tables_mod, "batch_mask", refuse)
    again = tables_mod.batch_mask_table(tmp_path, get_policy(), sites, data=data)
    pd.testing.assert_frame_equal(again, first)
    for policy, frame in ((get_policy(k=10), data),
                          (get_policy(), data.assign(happening=data["happening"].shift(
                              1).fillna("Yes")))):
        with pytest.raises(AssertionError, match="solved again"):
            tables_mod.batch_mask_table(tmp_path, policy, sites, data=frame)
    cached[0].write_bytes(b"not parquet")
    monkeypatch.setattr(tables_mod, "batch_mask", real)
    pd.testing.assert_frame_equal(
        tables_mod.batch_mask_table(tmp_path, get_policy(), sites, data=data), first)
    assert len(list((tmp_path / "cache").glob("disclosure_mask-*.parquet"))) == 1


def test_a_cached_mask_brings_the_bounds_questions_it_answered_for_the_audit(tmp_path,
                                                                           monkeypatch):
    """Beside the cached mask, the bounds questions its solving answered with no leak: a
    rerun that reads the mask reads them too, so the audit, asking the same questions of
    the same data, does not solve them again; a damaged list is ignored (solved again)."""
    import sys

    from peerlib.disclosure import get_policy
    from peerlib.disclosure import intervals
    from peerlib.reporting import tables as tables_mod

    sys.path.insert(0, str(Path(__file__).parent))
    from disclosure_helpers import WORKED_EXAMPLE, make_long

    data = make_long(WORKED_EXAMPLE)
    sites = ["N1", "N2", "N3", "V1"]
    monkeypatch.setattr(intervals, "_NO_LEAK", set())
    tables_mod.batch_mask_table(tmp_path, get_policy(), sites, data=data)
    answered = intervals.no_leak_questions()
    assert answered
    (listed,) = (tmp_path / "cache").glob("disclosure_mask-*.no_leak.json")
    assert json.loads(listed.read_text(encoding="utf-8")) == answered
    monkeypatch.setattr(intervals, "_NO_LEAK", set())  # a new process
    tables_mod.batch_mask_table(tmp_path, get_policy(), sites, data=data)
    assert intervals.no_leak_questions() == answered
    listed.write_text("{not json", encoding="utf-8")
    monkeypatch.setattr(intervals, "_NO_LEAK", set())
    tables_mod.batch_mask_table(tmp_path, get_policy(), sites, data=data)
    assert intervals.no_leak_questions() == []
    # the audit then solves them again, and the batch keeps what it answered
    intervals.remember_no_leak(answered)
    tables_mod.keep_no_leak_questions()
    assert json.loads(listed.read_text(encoding="utf-8")) == answered


def test_ipa_performance_under_a_rounding_policy_comes_from_the_rounded_counts():
    """Under the nhs policy counts are rounded to 5, and the performance score must be made
    from the rounded counts as percentages are: from the exact answers it would hint at the
    exact n. All sites: 12 Yes, 0 Partly and 11 No on item 2.1 give 52.17 exactly, 50.0
    from the rounded 10 and 10 (Yes, Partly and No score 1, 0.5 and 0 in the codebook)."""
    from peerlib.disclosure import DisclosureMask, batch_mask, get_policy

    from disclosure_helpers import make_long

    people = [("A", "NHS", "NHS trust", "Peer worker", 12),
              ("B", "NHS", "NHS trust", "Non-peer staff", 11)]
    data = make_long(people, items=("2.1",))
    data["happening"] = data["happening"].where(data["site_id"] != "A", "Yes")
    data["happening"] = data["happening"].where(data["site_id"] != "B", "No")
    for name, expected in (("nhs", 50.0), ("default", 100 * 12 / 23)):
        policy = get_policy(name)
        mask = DisclosureMask(batch_mask(data, policy), policy)
        ipa = report.ipa_view(data, mask=mask)
        assert ipa["performance"].iloc[0] == pytest.approx(expected), name
        assert int(ipa["n_performance"].iloc[0]) == 23  # shown rounded by shown_ipa
    exact = scoring.importance_performance(data)
    rounded = scoring.importance_performance(data, shown_count=get_policy("nhs").round_count)
    assert exact["performance"].iloc[0] == pytest.approx(100 * 12 / 23)
    assert rounded["performance"].iloc[0] == pytest.approx(50.0)


def test_an_ipa_point_withheld_for_its_importance_names_no_hidden_happening_group():
    """The privacy tester's set A: everyone's "Is this happening here?" for the whole study
    is shown, but the "All" importance of the item is hidden, so the IPA point is withheld.
    Its metadata recorded the "All" happening group as hidden too, and the audit then found
    that the sectors "give away hidden group all": the batch refused its own reports. The
    happening figure is withheld as a number, naming no group; the importance group stays
    hidden with its rule."""
    from peerlib.reporting.metadata import ipa_cells

    ipa = pd.DataFrame({"item_id": ["2.6", "2.7"], "union": ["all", "all"],
                        "n_performance": [30, 30], "n_importance": [20, 25],
                        "performance": [float("nan"), 60.0],
                        "importance": [float("nan"), 3.1], "quadrant": [pd.NA, "x"],
                        "suppressed": [True, False], "rule": ["secondary", ""],
                        "suppressed_happening": [False, False],
                        "suppressed_importance": [True, False]})
    cells = ipa_cells(ipa)
    hap = [c for c in cells if c["statistic"] == "happening"]
    imp = [c for c in cells if c["statistic"] == "importance"]
    assert hap[0] == {"union": None, "statistic": "happening", "item": "2.6",
                      "hidden": "secondary"}
    assert imp[0]["union"] == "all" and imp[0]["hidden"] == "secondary"
    assert hap[1]["union"] == "all" and hap[1]["n"] == 30 and "hidden" not in hap[1]
    shown = report.ipa_table(ipa, group=None)
    assert shown.loc[0, "Performance (0-100)"] == "hidden"


def test_a_group_hidden_to_protect_another_reads_hidden_not_n_below_k():
    """A group hidden by secondary suppression may hold k or more people: charts and grids
    label it "hidden", never "n<5" (the privacy tester saw "This site (n<5)" on a site of
    8)."""
    from peerlib.reporting import grids, likert

    dist = pd.DataFrame({
        "item_id": ["2.1"] * 4, "group": ["This site"] * 2 + ["All other sites"] * 2,
        "happening": ["Yes", "No"] * 2, "count": [float("nan")] * 2 + [10.0, 12.0],
        "percent": [float("nan")] * 2 + [45.5, 54.5], "n_asked": [8, 8, 22, 22],
        "suppressed": [True, True, False, False], "rule": ["secondary"] * 2 + ["", ""],
        "union": ["site:S01"] * 2 + ["others:S01"] * 2})
    dist["happening"] = pd.Categorical(dist["happening"], categories=["Yes", "No"])
    from peerlib.disclosure import get_policy
    from peerlib.reporting.shown import shown_happening

    dist = shown_happening(dist, get_policy())
    rows = likert.diverging_rows(dist, group="group", k=5)
    bar = rows.loc[rows["group"] == "This site", "bar"].iloc[0]
    assert bar == "This site (hidden)", bar
    grid = grids.happening_grid(dist, group="group", k=5)
    assert grid["This site"].iloc[0] == "hidden"
    primary = dist.assign(rule=dist["rule"].replace("secondary", "primary"))
    assert grids.happening_grid(primary, group="group", k=5)["This site"].iloc[0] == "n<5"


def _site_view_reference(data, site_id, compute):
    """The site views as computed before the shared totals: ``compute`` over the whole
    table with a This site / All other sites column."""
    return compute(report.site_comparison_data(data, site_id), by="group")


@pytest.mark.parametrize("site_id", ["S01", "S04"])
def test_site_views_from_shared_totals_equal_the_whole_table_computation(site_id):
    """"All other sites" is every site's counts minus the site's own (computed once per
    table): the same counts, percentages and statistics as grouping the whole table, for
    and a changed table is not served stale totals (k = 1: nothing hidden; the views hold
    counts as floats, for the NaN of hidden cells)."""
    data = load_prepared()
    for _ in range(2):  # the second time from the shared totals
        hap = report.site_happening(data, site_id, k=1)
        ref = _site_view_reference(data, site_id, scoring.happening_distribution)
        pd.testing.assert_frame_equal(hap[ref.columns.tolist()], ref, check_dtype=False)
        imp = report.site_importance(data, site_id, k=1)
        ref = _site_view_reference(data, site_id, scoring.importance_summary)
        pd.testing.assert_frame_equal(imp[ref.columns.tolist()], ref, check_exact=False,
                                      rtol=1e-12, check_dtype=False)
    changed = data.copy()
    changed.loc[changed["site_id"] != site_id, "importance"] = 4
    imp = report.site_importance(changed, site_id, k=1)
    assert (imp.loc[imp["group"] == report.OTHER_SITES, "mean"] == 4).all()


def test_long_detail_table_shows_its_first_rows_and_downloads_all(long_df):
    """The data-quality detail (site x item) sorted most-missing first, hidden rows last;
    ``max_rows`` cuts the page, never the download or the disclosure metadata."""
    import base64
    import re

    from peerlib.disclosure import DisclosureMask, batch_mask, get_policy

    policy = get_policy(k=2)
    mask = DisclosureMask(batch_mask(long_df, policy), policy)
    full = report.missing_answers_table(long_df, mask=mask)
    ordered = report.most_missing_first(full)
    assert len(ordered) == len(full)
    assert ordered.attrs[report.DISCLOSURE_ATTR] == full.attrs[report.DISCLOSURE_ATTR]
    missing = (pd.to_numeric(ordered["Happening: no answer"], errors="coerce")
               + pd.to_numeric(ordered["Importance: no answer"], errors="coerce"))
    shown = missing.dropna().tolist()
    assert shown == sorted(shown, reverse=True)
    assert missing.iloc[len(shown):].isna().all()  # hidden or unprinted counts last
    html = report.table(ordered, "Answers and missing answers", max_rows=2).data
    assert html.count("<tr") == 3  # header + 2 rows
    assert f"The first 2 of {len(ordered)} rows are shown" in html
    uri = re.search(r'href="data:text/csv;[^,]*base64,([^"]+)"', html)
    csv = base64.b64decode(uri.group(1)).decode("utf-8-sig")
    assert len(csv.strip().splitlines()) == len(ordered) + 1
    whole = report.table(ordered, "Answers and missing answers").data
    assert "rows are shown" not in whole
    assert whole.split("</script>")[0] == html.split("</script>")[0]  # same metadata


def test_a_hidden_zero_of_importance_answers_stays_hidden_on_the_page():
    """No answers from the 3 senior managers of the worked example on 2.1: the mask hides
    that 0 (it says none of them answered), and the importance table, its shown form and
    its metadata keep it hidden instead of printing "0" (the privacy tester's set D, whose
    cross-site report the audit then refused)."""
    from peerlib.disclosure import DisclosureMask, batch_mask, get_policy
    from peerlib.reporting.metadata import DISCLOSURE_ATTR
    from peerlib.reporting.shown import shown_importance

    from disclosure_helpers import WORKED_EXAMPLE, make_long

    data = make_long(WORKED_EXAMPLE)
    managers = data["role"] == "Senior/strategic manager or commissioner"
    data.loc[managers & (data["item_id"] == "2.1"), "importance"] = pd.NA
    policy = get_policy()
    mask = DisclosureMask(batch_mask(data, policy), policy)
    view = report.importance_with_overall(data, by="role", mask=mask)
    view = shown_importance(view, policy)
    row = view[(view["item_id"].astype(str) == "2.1")
               & (view["group"].astype(str) == "Senior/strategic manager or commissioner")]
    assert bool(row["suppressed"].iloc[0]) and row["n_text"].iloc[0] == "n<5"
    shown = report.importance_table(view, group="group", policy=policy)
    cells = [c for c in shown.attrs[DISCLOSURE_ATTR]
             if c["union"] == "role:Senior/strategic manager or commissioner"
             and c["item"] == "2.1"]
    assert cells and all(c.get("hidden") == "primary" for c in cells)
    assert "n<5" in set(shown["n"])


def _comparison_rows(rows):
    out = []
    for item, (na, xa), (nb, xb) in rows:
        out.append({"item_id": item, "measure": "Yes among Yes/No",
                    "group_a": "NHS", "n_a": na, "x_a": xa, "percent_a": 100 * xa / na,
                    "group_b": "Voluntary", "n_b": nb, "x_b": xb, "percent_b": 100 * xb / nb,
                    "odds_ratio": 1.0, "p_exact": 0.5, "p_holm": 0.5, "note": "exploratory"})
    return pd.DataFrame(out)


def test_comparison_p_values_come_from_the_shown_counts_and_holm_from_the_shown_rows():
    """A privacy tester recovered 8/16 vs 0/5 behind rounded counts from the exact Fisher
    p-value (0.111) under the nhs policy, and Holm's adjustment counted rows whose figures
    were hidden. The p-values must be those of the counts a reader sees."""
    from scipy.stats import fisher_exact
    from statsmodels.stats.multitest import multipletests

    from peerlib.disclosure.policy import get_policy

    comp = _comparison_rows([("2.4", (16, 8), (25, 0)), ("2.5", (23, 12), (27, 20)),
                             ("2.6", (23, 12), (3, 1))])  # 2.6: a group of 3, hidden
    nhs = get_policy("nhs")
    shown = report.comparison_table(comp, policy=nhs)
    p_shown = [fisher_exact([[10, 5], [0, 25]]).pvalue, fisher_exact([[10, 15], [20, 5]]).pvalue]
    assert abs(p_shown[0] - fisher_exact([[8, 8], [0, 25]]).pvalue) > 1e-4  # not the exact p
    p_col, holm_col = "Fisher exact p (exploratory)", "Holm-adjusted p"
    assert list(shown[p_col]) == [f"{p:.3f}" for p in p_shown] + [report.DASH]
    holm = multipletests(p_shown, method="holm")[1]  # two shown rows, not three
    assert list(shown[holm_col]) == [f"{p:.3f}" for p in holm] + [report.DASH]
    # counts shown as they are: the p-values of the exact counts
    exact = report.comparison_table(comp.iloc[:2], policy=get_policy())
    assert list(exact[p_col]) == [f"{fisher_exact([[8, 8], [0, 25]]).pvalue:.3f}",
                                  f"{fisher_exact([[12, 11], [20, 7]]).pvalue:.3f}"]


def _counts_fitting(n_text: str, mean_text: str, rounding: int) -> set[int]:
    """Every whole n whose rounding gives ``n_text`` and for which some sum of 1-4 scores
    gives the published mean (the privacy tester's search, from the mean alone)."""
    shown, digits = int(n_text), len(mean_text.split(".")[1])
    fits = set()
    for n in range(max(1, shown - rounding), shown + rounding + 1):
        if int(n / rounding + 0.5) * rounding != shown:
            continue
        if any(f"{s / n:.{digits}f}" == mean_text for s in range(n, 4 * n + 1)):
            fits.add(n)
    return fits


def test_under_rounding_importance_statistics_do_not_give_the_exact_n_away():
    """A privacy tester recovered every exact importance n behind the nhs policy's rounded
    n from the mean to two decimals, the SD and the 95% interval. Under rounding the tables
    and the IPA publish the mean to one decimal only, no SD and no interval, and every
    shown mean fits more than one n behind the rounded one."""
    from peerlib.disclosure import DisclosureMask, batch_mask, get_policy

    from disclosure_helpers import make_long

    people = [("A", "NHS", "NHS trust", "Peer worker", 26),
              ("B", "NHS", "NHS trust", "Non-peer staff", 17),
              ("C", "Voluntary", "Voluntary organisation", "Service user", 23)]
    data = make_long(people, items=("2.1", "2.2", "2.4"), missing=0.1)
    policy = get_policy("nhs")
    mask = DisclosureMask(batch_mask(data, policy), policy)
    view = report.importance_with_overall(data, by="sector", mask=mask)
    assert view["sd"].isna().all() and view["ci_low"].isna().all()
    shown = report.importance_table(view, group="group", policy=policy)
    shown = shown[shown["Mean (1-4)"] != report.DASH]
    assert len(shown) >= 6
    assert (shown["SD"] == report.DASH).all() and (shown["95% CI"] == report.DASH).all()
    for n_text, mean_text in zip(shown["n"], shown["Mean (1-4)"]):
        assert len(mean_text.split(".")[1]) == 1
        assert len(_counts_fitting(n_text, mean_text, policy.rounding)) > 1, (n_text, mean_text)
    ipa = report.ipa_table(report.ipa_view(data, by="sector", mask=mask), group="sector",
                           policy=policy)
    values = [v for v in ipa["Importance (1-4)"] if v[0].isdigit()]
    assert values and all(len(v.split(".")[1]) == 1 for v in values)
    # a policy that shows counts as they are keeps two decimals, the SD and the interval
    plain = report.importance_with_overall(data, by="sector", mask=DisclosureMask(
        batch_mask(data, get_policy()), get_policy()))
    assert plain["sd"].notna().any() and plain["ci_low"].notna().any()

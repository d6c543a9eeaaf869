"""Part 1 x Part 2 (peerlib.part2.linkage): answers of those who spoke to a theme beside
those who did not, with disclosure. Counts by hand from tests/part2_fixtures.py."""
from __future__ import annotations

import pandas as pd
import pytest

from part2_fixtures import SPOKE, segments
from peerlib.errors import QDAError
from peerlib.part2.linkage import DID_NOT, SPOKE as SPOKE_GROUP, part1_by_theme, \
    read_theme_items


def _part1(codebook, extra=()):
    """Every coded participant answers item 2.5: A1-A3 'Yes' (importance 4), the others
    'No' (importance 2); ``extra`` participants without a coded transcript answer 'Yes'."""
    rows = []
    for pid in list(SPOKE) + list(extra):
        yes = pid in ("A1", "A2", "A3") or pid in extra
        rows.append({"participant_id": pid, "item_id": "2.5",
                     "happening": "Yes" if yes else "No", "importance": 4 if yes else 2})
    data = pd.DataFrame(rows)
    data["happening"] = pd.Categorical(data["happening"], dtype=codebook.happening_dtype())
    data["item_id"] = pd.Categorical(data["item_id"], categories=["2.5"], ordered=True)
    data["importance"] = data["importance"].astype("Int64")
    return data


def test_spoke_beside_did_not(codebook):
    """Boundaries: spoke A1-A5, B3 (6; Yes: A1-A3 = 3, mean (3*4 + 3*2)/6 = 3.0); did not:
    A6, B1, B2 (3; all No, mean 2.0)."""
    links = pd.DataFrame({"theme": ["Boundaries"], "item_id": ["2.5"]})
    out = part1_by_theme(_part1(codebook), segments(), links, k=3)
    spoke = out[(out["group"] == SPOKE_GROUP)].set_index("answer")
    assert spoke.loc["Yes", "n"] == 6 and spoke.loc["Yes", "count"] == 3
    assert spoke.loc["Yes", "percent"] == pytest.approx(50.0)
    assert spoke.loc["Yes", "mean_importance"] == pytest.approx(3.0)
    other = out[(out["group"] == DID_NOT)].set_index("answer")
    assert other.loc["No", "count"] == 3 and other.loc["Yes", "mean_importance"] == 2.0
    assert not out["suppressed"].any()


def test_small_groups_and_small_remainders_are_hidden(codebook):
    links = pd.DataFrame({"theme": ["Boundaries"], "item_id": ["2.5"]})
    small = part1_by_theme(_part1(codebook), segments(), links, k=5)
    assert small["suppressed"].all() and small["count"].isna().all()
    assert "fewer than 5" in small["reason"].iloc[0]
    # two participants without a coded transcript: everyone minus both groups gives them
    rem = part1_by_theme(_part1(codebook, extra=("C1", "C2")), segments(), links, k=3)
    assert rem["suppressed"].all()
    assert "without a coded transcript" in rem["reason"].iloc[0]


def test_nested_groups_differing_by_few_are_hidden(codebook):
    """Boundaries: spoke A1-A5, B3 (6), did not A6, B1, B2 (3). A theme "Extra" coded for
    A1-A5 only: spoke 5, did not 4 (both >= k = 3), but its spoke group lies inside
    Boundaries' and differs by one person (B3), whose answers the difference of the two
    published distributions would give: Extra is withheld, Boundaries shown."""
    seg = segments()
    extra = seg[seg["code_path"] == "Boundaries > Contact"].copy()
    extra = extra[extra["participant_id"].isin(["A1", "A2", "A3", "A4", "A5"])]
    extra["code_path"] = "Extra"
    seg = pd.concat([seg, extra], ignore_index=True)
    links = pd.DataFrame({"theme": ["Boundaries", "Extra"], "item_id": ["2.5", "2.5"]})
    out = part1_by_theme(_part1(codebook), seg, links, k=3)
    assert not out.loc[out["theme"] == "Boundaries", "suppressed"].any()
    withheld = out[out["theme"] == "Extra"]
    assert withheld["suppressed"].all() and withheld["mean_importance"].isna().all()
    assert "differ from those of another theme by fewer than 3" in withheld["reason"].iloc[0]


def test_read_theme_items_checks_themes_and_items(tmp_path):
    path = tmp_path / "theme_items.csv"
    path.write_text("theme,item_id\nBoundaries,2.5\nHousing,2.1\nRole,9.9\nRole,\n")
    with pytest.raises(QDAError) as err:
        read_theme_items(path, themes_known=["Boundaries", "Role"],
                         items_known=["2.1", "2.5"])
    text = str(err.value)
    assert "row 3: theme 'Housing' is not a theme of the coding" in text
    assert "row 4: item_id '9.9' is not an item of the Part 1 codebook" in text
    assert "row 5: blank item_id" in text
    path.write_text("theme,item_id\nBoundaries,2.5\nBoundaries,2.5\nRole,2.10\n")
    ok = read_theme_items(path)
    assert ok.values.tolist() == [["Boundaries", "2.5"], ["Role", "2.10"]]


@pytest.mark.parametrize("content", [b'\x00\xffgarbage: [\n"', b"theme,item\nRole,2.1\n",
                                     b"theme,item_id\nRole,\n"])
def test_damaged_theme_items_name_the_file_and_the_command(tmp_path, content):
    """The framework notebook reads theme_items.csv through load_theme_items: a damaged copy
    is a ProcessedDataError (exit 1) naming it and `peerlib import-codes`, not a pandas
    ParserError."""
    from peerlib.errors import ProcessedDataError
    from peerlib.part2.linkage import load_theme_items

    (tmp_path / "theme_items.csv").write_bytes(content)
    with pytest.raises(ProcessedDataError, match=r"theme_items\.csv.*peerlib import-codes"):
        load_theme_items(tmp_path)


def _long(codebook):
    """:func:`_part1` as a prepared long table: the fixture's sites, sectors and roles."""
    from part2_fixtures import people

    data = _part1(codebook).merge(people(), on="participant_id")
    data = data.assign(site_name="Site " + data["site_id"], bme_focus=False, section="2")
    data["role"] = pd.Categorical(data["role"], dtype=codebook.role_dtype())
    data["bme_focus"] = data["bme_focus"].astype("boolean")
    return data[["participant_id", "site_id", "site_name", "organisation_type", "sector",
                 "bme_focus", "role", "section", "item_id", "happening", "importance"]]


def test_the_audit_checks_the_part1_by_part2_table(codebook, tmp_path):
    """Every figure of the table rests on the 9 participants with a coded transcript (the
    two groups of a theme together): its metadata names that group (``all``, Part 2
    figures), so the publish-time audit checks it. Shown with k = 3 and audited with k =
    10, the table shows figures of a group of 9 < 10: refused, naming the table. With
    k = 3 it passes, and the batch's mask lists the table, so ``disclosure_audit.csv``
    has a row for it. A comparison withheld because the mask hides that group names it
    as hidden."""
    from peerlib.disclosure import DisclosureMask, batch_mask, get_policy
    from peerlib.disclosure.audit import audit_reports, audit_summary
    from peerlib.reporting.metadata import DISCLOSURE_ATTR
    from peerlib.reporting.sections import linkage_display
    from peerlib.reporting.tables import table

    caption = "Part 1 answers by whether the participant spoke to the theme"
    data, coded = _long(codebook), list(SPOKE)
    links = pd.DataFrame({"theme": ["Boundaries"], "item_id": ["2.5"]})
    shown = linkage_display(part1_by_theme(data, segments(), links, k=3))
    cells = shown.attrs[DISCLOSURE_ATTR]
    assert len(cells) == 2
    assert all((c["union"], c["statistic"], c.get("hidden")) == ("all", "themes", None)
               for c in cells), cells
    page = tmp_path / "framework_matrix.html"
    page.write_text(table(shown, caption=caption).data, encoding="utf-8")
    refused = audit_reports({"framework": page}, data, get_policy(k=10), coded=coded)
    assert not refused.passed
    assert (f"framework: table '{caption}': all (themes) shows a figure for fewer than 10 "
            "people") in refused.failures["framework"]
    policy = get_policy(k=3)
    mask = batch_mask(data, policy, coded=coded)
    passed = audit_reports({"framework": page}, data, policy, mask=mask, coded=coded)
    assert passed.passed, passed.failures
    summary = audit_summary(mask, passed).set_index(["report", "table"])
    assert summary.loc[("framework", "linkage"), "audit"] == "passed"
    assert summary.loc[("framework", "linkage"), "cells_shown"] == 1
    hiding = mask.assign(hidden=mask["hidden"] | (mask["union"] == "all")
                         & (mask["statistic"] == "themes"),
                         rule=mask["rule"].where(mask["union"] != "all", "secondary"))
    withheld = linkage_display(part1_by_theme(data, segments(), links,
                                              mask=DisclosureMask(hiding, policy)))
    assert {(c["union"], c["statistic"], c["hidden"])
            for c in withheld.attrs[DISCLOSURE_ATTR]} == {("all", "themes", "secondary")}


def test_under_rounding_the_linkage_mean_importance_has_one_decimal(codebook):
    """Beside a rounded n, a mean importance to two decimals fits only one exact n (the
    privacy tester's finding on the Part 1 tables); the theme linkage prints it too."""
    from peerlib.disclosure import get_policy
    from peerlib.reporting.sections import linkage_display

    data = _long(codebook)
    links = pd.DataFrame({"theme": ["Boundaries"], "item_id": ["2.5"]})
    table = part1_by_theme(data, segments(), links, k=3)
    means = [m for m in linkage_display(table, policy=get_policy("nhs"))["Mean importance"]
             if m[0].isdigit()]
    assert means and all(len(m.split(" ")[0].split(".")[1]) == 1 for m in means), means
    plain = [m for m in linkage_display(table)["Mean importance"] if m[0].isdigit()]
    assert plain and all(len(m.split(" ")[0].split(".")[1]) == 2 for m in plain), plain


def _pinned_by_zeros(out, data, segs, k):
    """The helper-26 attack on every comparison that ``out`` shows: a site's part of a
    group (its participants who spoke to the theme, or who did not; their number is
    published by the framework report) can only have given an answer that the group and
    the site both gave. When 1 to k-1 people are left one possible answer, which neither
    the group nor the site gave to all its members, their answers are known."""
    from peerlib.part2.linkage import theme_groups

    people = data.drop_duplicates("participant_id")
    groups = theme_groups(segs, people)
    coded = set().union(*groups.values())
    found = []
    shown = out[~out["suppressed"].astype(bool)]
    for (theme, item), rows in shown.groupby(["theme", "item_id"], observed=True):
        answers = data[data["item_id"].astype(str) == str(item)]
        for name, members in ((SPOKE_GROUP, groups.get(theme, set())),
                              (DID_NOT, coded - groups.get(theme, set()))):
            group = rows[rows["group"] == name].set_index("answer")["count"]
            for site, at_site in answers.groupby("site_id", observed=True):
                site_counts = at_site["happening"].astype(str).value_counts()
                part = at_site[at_site["participant_id"].astype(str).isin(members)]
                if not 0 < len(part) < k:
                    continue
                possible = [a for a in group.index.astype(str) if group[a] > 0
                            and site_counts.get(a, 0) > 0]
                if len(possible) == 1 and group[possible[0]] < len(members) \
                        and site_counts[possible[0]] < len(at_site):
                    found.append((theme, item, name, site, len(part), possible[0]))
    return found


def test_a_small_part_of_a_site_gets_no_answer_pinned_by_two_zeros():
    """helper-26 found on the demo: "Did not" speak to Boundaries answered 2.5 with no No,
    Not relevant or Missing; S04 (Yes 6, No 1) has 2 coded participants who did not speak
    to Boundaries and S10 (Yes 4, No 1, Not relevant 1) one, so all three said Yes. Without
    the mask's bounds on the finer groups (site x role x spoke or not) the demo's
    comparison gives them away; with them, no shown comparison leaves a site's small part
    one possible answer."""
    from peerlib.disclosure import get_policy
    from peerlib.part2.linkage import load_theme_items
    from peerlib.part2.segments import load_coded_segments
    from peerlib.reporting.tables import load_report_data, report_mask

    data = load_report_data("")
    segs = load_coded_segments("")
    links = load_theme_items("")
    mask = report_mask(data, get_policy(k=5))
    import peerlib.part2.linkage as linkage

    real = linkage.split_leaks
    linkage.split_leaks = lambda *a, **kw: []  # the rule off: the comparison as before
    try:
        before = part1_by_theme(data, segs, links, mask=mask)
    finally:
        linkage.split_leaks = real
    assert ("Boundaries", "2.5", DID_NOT, "S04", 2, "Yes") in _pinned_by_zeros(
        before, data, segs, 5)
    out = part1_by_theme(data, segs, links, mask=mask)
    assert _pinned_by_zeros(out, data, segs, 5) == []
    hidden = out[out["theme"] == "Boundaries"]
    assert hidden["suppressed"].all() and hidden["count"].isna().all()
    assert "who spoke to it" in hidden["reason"].iloc[0]


def test_who_left_importance_blank_is_not_given_away_by_a_group_count(monkeypatch):
    """helper-26 on the demo's item 2.1: every participant who left its importance question
    blank did not speak to the Role theme, so the "Did not" group's number of importance
    answers (published beside its mean) would say that all of them, site by site as the
    data-quality report counts them, are in that group. The comparison is withheld."""
    from peerlib.disclosure import get_policy
    from peerlib.part2.linkage import load_theme_items, theme_groups
    from peerlib.part2.segments import load_coded_segments
    from peerlib.reporting.tables import load_report_data, report_mask

    data = load_report_data("")
    segs = load_coded_segments("")
    item = data[data["item_id"].astype(str) == "2.1"]
    blank = set(item.loc[item["importance"].isna(), "participant_id"].astype(str))
    spoke = theme_groups(segs, data.drop_duplicates("participant_id"))["Role"]
    assert blank and not blank & spoke  # the demo has the case
    import peerlib.part2.linkage as linkage

    real = linkage.split_leaks  # only the importance check (item 2.1's answers would
    monkeypatch.setattr(linkage, "split_leaks",  # withhold the theme by themselves)
                        lambda *a, **kw: [] if kw.get("response") != "importance"
                        else real(*a, **kw))
    out = part1_by_theme(data, segs, load_theme_items(""),
                         mask=report_mask(data, get_policy(k=5)))
    role = out[(out["theme"] == "Role") & (out["item_id"].astype(str) == "2.1")]
    assert role["suppressed"].all() and role["n_importance"].isna().all()


def test_the_audit_refuses_a_comparison_that_pins_a_small_part(monkeypatch, tmp_path):
    """Rule 6 of the audit, on the published page: the demo's Boundaries x 2.5 comparison
    built without the rule that withholds it (as a notebook run without it would) is
    refused, naming the table; the comparison the report builds now passes. Every site
    report and the cross-site report count as published (the batch's mask)."""
    from peerlib.disclosure import get_policy
    from peerlib.disclosure.audit import audit_reports
    from peerlib.part2.linkage import load_theme_items, theme_groups
    from peerlib.part2.segments import load_coded_segments
    from peerlib.reporting.sections import linkage_display
    from peerlib.reporting.tables import coded_participants, load_report_data, report_mask
    from peerlib.reporting.tables import table
    import peerlib.part2.linkage as linkage

    data = load_report_data("")
    segs = load_coded_segments("")
    links = load_theme_items("")
    links = links[links["theme"] == "Boundaries"]
    policy = get_policy(k=5)
    mask = report_mask(data, policy)
    themes = theme_groups(segs, data.drop_duplicates("participant_id"))
    caption = "Part 1 answers by whether the participant spoke to the theme"

    def audit(comparison):
        page = tmp_path / "framework_matrix.html"
        page.write_text(table(linkage_display(comparison), caption=caption).data,
                        encoding="utf-8")
        return audit_reports({"framework": page}, data, policy, mask=mask.table,
                             coded=coded_participants(""), themes=themes)

    with monkeypatch.context() as m:
        m.setattr(linkage, "split_leaks", lambda *a, **kw: [])
        refused = audit(part1_by_theme(data, segs, links, mask=mask))
    assert not refused.passed
    assert any(f"table '{caption}': the comparison of who spoke to Boundaries on item 2.5 "
               "pins" in message for message in refused.failures["framework"])
    passed = audit(part1_by_theme(data, segs, links, mask=mask))
    assert passed.passed, passed.failures

"""The PDF feedback pack of a site (peerlib.reporting.pack), read back with pypdf.

Uses the prepared demo data of the session project (root conftest): every demo site has 6
or 7 participants, so k = 5 gives packs and k = 8 gives none.
"""
from __future__ import annotations

import re

import pandas as pd
import pytest
from pypdf import PdfReader

from peerlib.part1.prepare import load_prepared
from peerlib.reporting import pack


def _text(path) -> tuple[int, str]:
    reader = PdfReader(str(path))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return len(reader.pages), re.sub(r"\s+", " ", text)


@pytest.fixture(scope="module")
def s01_pack(tmp_path_factory):
    data = load_prepared()
    path = tmp_path_factory.mktemp("pack") / "S01.pdf"
    content = pack.pack_content(data, "S01", k=5)
    assert pack.write_site_pack(data, "S01", path, k=5) == path
    return path, content


def test_pack_is_short_names_the_site_and_carries_the_key_points(s01_pack):
    path, content = s01_pack
    pages, text = _text(path)
    assert 1 <= pages <= 4
    assert "S01 Ashwell Moor NHS Foundation Trust" in text
    assert len(content["key_points"]) >= 3
    for sentence in content["key_points"]:
        assert re.sub(r"\s+", " ", sentence)[:40] in text
    assert "Questions for discussion" in text and "What people said" in text


def test_pack_of_demo_data_is_marked_synthetic(s01_pack):
    path, content = s01_pack
    assert content["synthetic"] is True
    pages, text = _text(path)
    assert "SYNTHETIC DEMO DATA" in text
    reader = PdfReader(str(path))
    assert all("synthetic demo data" in p.extract_text() for p in reader.pages)  # footer


def test_chart_words_are_text_in_the_pack_set_in_the_charts_own_font(s01_pack):
    """The charts' labels are text in the PDF (a reader can search them, a screen reader
    can read them), set in DejaVu Sans from matplotlib's own fonts: no font of the
    machine that made the pack."""
    path, _ = s01_pack
    _, text = _text(path)
    assert "2.1 Shared understanding of the role · This site (n = 7)" in text
    assert "% of everyone asked" in text and "Concentrate here" in text
    reader = PdfReader(str(path))
    fonts = set()
    for page in reader.pages:
        for font in (page["/Resources"].get_object().get("/Font") or {}).values():
            fonts.add(str(font.get_object()["/BaseFont"]).split("+")[-1])
    assert any(name.startswith("DejaVuSans") for name in fonts), fonts
    allowed = ("DejaVuSans", "LibertinusSerif", "NewCM", "DejaVuSansMono")
    assert all(name.startswith(allowed) for name in fonts), fonts


def test_no_pack_for_a_site_below_k(tmp_path):
    data = load_prepared()
    stale = tmp_path / "S01.pdf"
    stale.write_bytes(b"%PDF old")
    assert pack.write_site_pack(data, "S01", stale, k=8) is None
    assert not stale.exists()  # an earlier pack is not left behind
    assert "fewer than 8" in pack.pack_note(None, "S01", k=8)


def test_pack_shows_no_figure_for_fewer_than_k_people(tmp_path):
    """Blank three importance answers of 2.5 at S01 (7 -> 4 answers): the pack shows "n<5"
    for 2.5 at the site and never its mean (hand computation of the hidden mean below),
    and no statement's figure rests on fewer than 5 answers."""
    data = load_prepared().copy()
    rows = data.index[(data["site_id"] == "S01") & (data["item_id"] == "2.5")]
    data.loc[rows[:3], "importance"] = pd.NA
    kept = data.loc[rows[3:], "importance"].astype(float)
    hidden_mean = f"{kept.mean():.2f} (n = 4)"
    path = pack.write_site_pack(data, "S01", tmp_path / "S01.pdf", k=5)
    pages, text = _text(path)
    assert pages <= 4
    assert "n<5" in text
    assert hidden_mean not in text
    assert not re.search(r"\(n = [1-4]\)", text)
    assert not re.search(r"\b[1-4] of [1-4] \(", text)


def test_data_text_never_becomes_typst_markup(tmp_path, monkeypatch):
    """A site name full of typst markup is printed as it is, not run."""
    data = load_prepared()
    evil = '#import "x.typ": * = *bold* $x$ @ref <lab> [a] \\ #panic("boom")'
    real = pack.tables.check_site

    def fake_site(site_id, data_dir=None):
        site = real(site_id, data_dir)
        site["site_name"] = evil
        return site

    monkeypatch.setattr(pack.tables, "check_site", fake_site)
    path = pack.write_site_pack(data, "S01", tmp_path / "S01.pdf", k=5)
    pages, text = _text(path)
    assert '#panic("boom")' in text and "*bold*" in text


def test_pack_hides_exactly_what_the_site_report_hides(tmp_path, monkeypatch):
    """The pack is built from the batch's mask: an item hidden as a complement in the
    site's HTML tables (shown there as "hidden") is never in the pack's "Concentrate here"
    table, and a site whose size is withheld does not get it printed in the pack."""
    from disclosure_helpers import SUBTRACTION_SET, write_project

    from peerlib.part1.prepare import prepare
    from peerlib.reporting import shown, tables

    write_project(tmp_path, SUBTRACTION_SET)
    monkeypatch.setenv("PEERLIB_PROJECT_DIR", str(tmp_path))
    prepare()
    data = load_prepared()
    mask = tables.report_mask(data)
    withheld = hidden_items = 0
    for site in ["S01", "S02", "S04", "S05"]:
        content = pack.pack_content(data, site, mask=mask)
        ipa = shown.shown_ipa(tables.site_ipa(data, site, mask=mask), mask.policy)
        pd.testing.assert_frame_equal(content["frames"]["ipa"], ipa)
        hidden = set(ipa.loc[ipa["suppressed"], "item_id"].astype(str))
        hidden_items += len(hidden)
        assert not hidden & set(content["concentrate"]), site
        n = int(data.loc[data["site_id"] == site, "participant_id"].nunique())
        if mask.hidden("participants", tables.union_key("site", site)):
            withheld += 1
            assert f"{n} people" not in content["subtitle"] + content["notes"], site
        imp = tables.site_importance(data, site, mask=mask)
        imp = imp[imp["group"] == tables.THIS_SITE]
        no_mean = set(imp.loc[imp["suppressed"], "item_id"].astype(str))
        hidden_items += len(no_mean)
        _, text = _text(pack.write_site_pack(data, site, tmp_path / f"{site}.pdf", mask=mask))
        for item in no_mean:  # the importance grid prints no mean beside a hidden item
            row = re.search(rf"\b{re.escape(item)} [A-Z][^0-9]*?(\S+)", text)
            assert row and not re.fullmatch(r"\d\.\d\d", row.group(1)), (site, item)
    assert withheld >= 1 and hidden_items >= 1  # the set does exercise complement hiding


def test_happening_chart_data_places_each_answer_on_its_side_and_draws_no_hidden_count():
    """The typst chart's geometry, by hand: No 40% runs from -40 to 0 on the -100..100 axis
    (fractions 0.3 to 0.5), Partly 10% then Yes 30% from 0 to the right; a count the policy
    does not show (NaN percent) has no segment; a hidden group is a row of text only."""
    from peerlib.reporting.pack_charts import happening_chart_data

    rows = pd.DataFrame([
        {"label": "2.1 Role", "bar": "This site (n = 10)", "hidden": False, "n_asked": "10",
         "No %": 40.0, "Partly %": 10.0, "Yes %": 30.0, "Don't know %": float("nan"),
         "Not relevant %": 0.0, "Missing %": 20.0},
        {"label": "2.1 Role", "bar": "Small group (n<5)", "hidden": True, "n_asked": "n<5",
         "No %": float("nan"), "Partly %": float("nan"), "Yes %": float("nan"),
         "Don't know %": float("nan"), "Not relevant %": float("nan"),
         "Missing %": float("nan")},
    ])
    chart = happening_chart_data(rows)
    shown, hidden = chart["rows"]
    assert shown["label"] == "2.1 Role · This site (n = 10)" and shown["hidden"] == ""
    no, partly, yes = shown["main"]
    assert (no["x"], no["w"], no["text"]) == (0.3, 0.2, "40%")
    assert (partly["x"], partly["w"], partly["text"]) == (0.5, 0.05, "10%")
    assert (yes["x"], yes["w"], yes["text"]) == (0.55, 0.15, "30%")
    assert [s["fill"] for s in shown["side"]] == ["#d9d9d9"]  # Missing only: no NaN bar
    assert shown["side"][0]["w"] == 20 / 50  # side axis 0..50
    assert hidden["main"] == [] and hidden["side"] == []
    assert hidden["hidden"] == "n<5: not shown"
    assert [t["text"] for t in chart["main_ticks"]] == ["100%", "50%", "0", "50%", "100%"]
    assert [entry["text"] for entry in chart["legend"]] == ["Yes", "Partly", "No", "Missing"]


def test_ipa_chart_data_draws_no_point_for_a_hidden_mean():
    from peerlib.reporting.pack_charts import ipa_chart_data

    ipa = pd.DataFrame({"item_id": ["2.1", "2.2"], "performance": [50.0, 80.0],
                        "importance": [2.5, float("nan")],
                        "performance_reference": [60.0, 60.0],
                        "importance_reference": [3.0, 3.0]})
    chart = ipa_chart_data(ipa)
    assert [p["text"] for p in chart["points"]] == ["2.1"]
    point = chart["points"][0]
    assert point["x"] == round(52 / 104, 6) and point["y"] == round(1.6 / 3.2, 6)
    assert chart["x_ref"] == round(62 / 104, 6) and chart["y_ref"] == round(2.1 / 3.2, 6)
    assert ipa_chart_data(ipa.iloc[0:0])["x_ref"] is None  # no points, no average lines

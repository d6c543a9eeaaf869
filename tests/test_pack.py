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


def test_quadrant_names_sit_outside_the_plot_where_no_point_can_cover_them(s01_pack):
    """The Importance-Performance chart names its quadrants above and below the plot, not in
    its corners (a point at the end of a scale covered the name there)."""
    heights: dict[str, list[float]] = {}

    def seen(text, cm, tm, font, size):
        heights.setdefault(text.strip(), []).append(cm[5] + tm[5] * cm[3])

    for page in PdfReader(str(s01_pack[0])).pages:
        page.extract_text(visitor_text=seen)
    top_tick, bottom_tick = max(heights["4.0"]), min(heights["1.0"])  # PDF y: upwards
    for name in ("Concentrate here", "Keep up the good work"):
        assert min(heights[name]) > top_tick, name
    for name in ("Low priority", "Possible overkill"):
        assert max(heights[name]) < bottom_tick, name


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

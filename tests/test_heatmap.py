"""The cross-site report's per-site view: a sorted heatmap of sites x items
(peerlib.reporting.tables.site_item_heatmap, peerlib.reporting.heatmaps.site_heatmap)."""
from __future__ import annotations

import functools
import re

import numpy as np
import pandas as pd
import pytest

from peerlib.disclosure import DisclosureMask, batch_mask, get_policy, union_key
from peerlib.disclosure.audit import read_metadata
from peerlib.part1.prepare import load_prepared
from peerlib.reporting import heatmaps, shown
from peerlib.reporting import tables as report

from disclosure_helpers import SUBTRACTION_SET, make_long

#: Data sets and policies with hidden cells of both rules, and with none (the demo under
#: the default policy; under nhs with k = 5: counts too small to print, none hidden).
CASES = [("demo", "default", None), ("demo", "default", 7), ("demo", "nhs", None),
         ("demo", "nhs", 5), ("subtraction", "default", None), ("subtraction", "nhs", None)]
NOTHING_HIDDEN = {("demo", "default", None), ("demo", "nhs", 5)}


@functools.lru_cache(maxsize=None)
def _data(name: str) -> pd.DataFrame:
    return load_prepared() if name == "demo" else make_long(SUBTRACTION_SET)


@functools.lru_cache(maxsize=None)
def _case(name: str, policy_name: str, k) -> tuple[pd.DataFrame, DisclosureMask]:
    data = _data(name)
    policy = get_policy(policy_name, k=k)
    return data, DisclosureMask(batch_mask(data, policy), policy)


def _mask(data, policy_name, k) -> DisclosureMask:
    policy = get_policy(policy_name, k=k)
    return DisclosureMask(batch_mask(data, policy), policy)


def _true_agree(data: pd.DataFrame) -> pd.DataFrame:
    """Each site's exact "Yes or Partly" percentage per item, computed here from the rows."""
    frame = data.assign(site_id=data["site_id"].astype(str), item_id=data["item_id"].astype(str),
                        agree=data["happening"].astype(str).isin(["Yes", "Partly"]))
    out = frame.groupby(["site_id", "item_id"])["agree"].agg(["sum", "size"]).reset_index()
    return out.assign(percent=100 * out["sum"] / out["size"])


@pytest.mark.parametrize("name,policy_name,k", CASES)
def test_heatmap_hides_exactly_what_the_mask_hides(name, policy_name, k):
    """A cell is hidden exactly when the batch's mask hides the site's answers to the item
    (with its rule); a hidden cell carries no value, no count and no size anywhere: not in
    the tidy table, the figure (colour, label, hover), the download or the metadata."""
    data, mask = _case(name, policy_name, k)
    heat = report.site_item_heatmap(data, mask=mask)
    true = _true_agree(data).set_index(["site_id", "item_id"])
    labels = {mask.policy.hidden_label(r) for r in ("primary", "secondary")}
    hidden_seen = 0
    for r in heat.itertuples(index=False):
        hidden, rule, _ = mask.decision("happening", union_key("site", r.site_id), r.item_id)
        assert (r.status == "hidden") == hidden, (r.site_id, r.item_id)
        if hidden:
            hidden_seen += 1
            assert r.rule == (rule or "primary")
            assert np.isnan(r.percent)
            assert r.agree_text in labels and r.n_asked_text in labels
    assert (hidden_seen > 0) == ((name, policy_name, k) not in NOTHING_HIDDEN)
    fig = heatmaps.site_heatmap(heat, k=mask.k)
    trace = fig.data[0]
    sites, items = list(trace.y), list(trace.x)
    table = report.heatmap_table(heat).set_index("Site")
    cells = {(c["union"], c["item"]): c for c in fig._peerwork_disclosure}
    for r in heat[heat["status"] == "hidden"].itertuples(index=False):
        i, j = sites.index(r.site_id), items.index(r.item_id)
        assert trace.z[i][j] is None
        assert trace.text[i][j] in labels
        exact = true.loc[(r.site_id, r.item_id)]
        for number in (f"{exact['percent']:.0f}%", f"{int(exact['sum'])} of"):
            assert number not in trace.customdata[i][j]
        assert not re.search(r"\d+ of \d+|\d+%", trace.customdata[i][j])
        assert table.loc[r.site_id, r.item_id] in labels
        meta = cells[(union_key("site", r.site_id), r.item_id)]
        assert meta["hidden"] == r.rule and "n" not in meta


@pytest.mark.parametrize("name,policy_name,k", CASES)
def test_shown_cells_are_the_site_reports_own_figures(name, policy_name, k):
    """A shown cell is the "Yes or Partly" percentage the site's own report shows ("This
    site", through peerlib.reporting.shown under the policy): exact under the default
    policy, of the rounded counts under nhs."""
    data, mask = _case(name, policy_name, k)
    heat = report.site_item_heatmap(data, mask=mask)
    for site in heat["site_id"].unique():
        view = shown.shown_happening(report.site_happening(data, site, mask=mask), mask.policy)
        view = view[view["group"] == report.THIS_SITE].drop_duplicates("item_id")
        expect = dict(zip(view["item_id"].astype(str), view["agree_percent"]))
        for r in heat[(heat["site_id"] == site) & (heat["status"] == "shown")].itertuples():
            assert r.percent == pytest.approx(expect[r.item_id])
    if policy_name == "default" and k is None and name == "demo":
        true = _true_agree(data).set_index(["site_id", "item_id"])["percent"]
        got = heat.set_index(["site_id", "item_id"])["percent"]
        assert np.allclose(got, true.reindex(got.index))


def test_heatmap_shape_and_order():
    """One row per site with data x item; items in the codebook's order; sites sorted by
    the mean of their shown percentages, highest first, then sites with nothing shown
    (by id); the order does not change when only a hidden figure changes."""
    data = make_long(SUBTRACTION_SET)
    mask = _mask(data, "default", None)
    heat = report.site_item_heatmap(data, mask=mask)
    sites = data["site_id"].astype(str).unique()
    items = list(data["item_id"].cat.categories)
    assert len(heat) == len(sites) * len(items)
    assert set(heat.columns) >= {"site_id", "item_id", "status", "rule", "percent",
                                 "site_mean", "site_order"}
    order = list(dict.fromkeys(heat["site_id"]))
    assert sorted(order) == sorted(sites)
    for site in order:
        assert heat.loc[heat["site_id"] == site, "item_id"].tolist() == items
    means = heat.drop_duplicates("site_id")["site_mean"].tolist()
    shown_means = [m for m in means if not np.isnan(m)]
    assert shown_means == sorted(shown_means, reverse=True)
    assert all(np.isnan(m) for m in means[len(shown_means):])
    assert heat["site_order"].tolist() == sorted(heat["site_order"])
    for site in order:
        expect = heat.loc[heat["site_id"] == site, "percent"].mean()
        assert heat.loc[heat["site_id"] == site, "site_mean"].iloc[0] == pytest.approx(
            expect, nan_ok=True)
    # the answers behind the hidden cells changed: same order, same shown cells
    hidden = heat.loc[heat["status"] == "hidden", ["site_id", "item_id"]]
    assert len(hidden)
    changed = data.copy()
    keys = pd.MultiIndex.from_frame(hidden)
    rows = pd.MultiIndex.from_arrays([changed["site_id"].astype(str),
                                      changed["item_id"].astype(str)]).isin(keys)
    changed.loc[rows, "happening"] = "Yes"
    again = report.site_item_heatmap(changed, mask=mask)
    assert list(dict.fromkeys(again["site_id"])) == order
    pd.testing.assert_frame_equal(again, heat)


@pytest.mark.parametrize("n_sites", [10, 200])
def test_heatmap_figure_reads_at_ten_and_two_hundred_sites(n_sites, tmp_path):
    """Rows in the table's order, top first; cell labels while they fit (10 sites), hover
    only and thin rows at 200; the height grows with the sites; the legend says what grey
    means; the static PNG/SVG greys hidden cells (no value) and is marked synthetic."""
    from peerlib.reporting import figures

    people = [(f"X{s:03d}", "NHS" if s % 2 else "Voluntary",
               "NHS trust" if s % 2 else "Voluntary sector", "Peer worker", 3 + s % 5)
              for s in range(n_sites)]
    data = make_long(people, items=tuple(f"2.{i}" for i in range(1, 9)))
    heat = report.site_item_heatmap(data, k=5)
    assert (heat["status"] == "hidden").any() and (heat["status"] == "shown").any()
    fig = heatmaps.site_heatmap(heat, k=5, title="T")
    trace = fig.data[0]
    assert list(trace.y) == list(dict.fromkeys(heat["site_id"]))
    assert list(trace.x) == [f"2.{i}" for i in range(1, 9)]
    assert fig.layout.yaxis.autorange == "reversed"
    notes = " ".join(a.text for a in fig.layout.annotations)
    assert "n<5" in notes and "hidden" in notes
    if n_sites <= 30:
        assert trace.texttemplate == "%{text}"
        assert fig.layout.height <= 600
    else:
        assert trace.texttemplate is None
        assert 12 * n_sites <= fig.layout.height <= 16 * n_sites + 300
    assert len(fig._peerwork_disclosure) == len(heat)
    static = heatmaps.site_heatmap_static(heat, k=5, title="T")
    values = static.axes[0].images[0].get_array()
    hidden = (heat["status"] != "shown").to_numpy().reshape(n_sites, 8)
    assert np.ma.getmaskarray(values)[hidden].all() or np.isnan(
        np.ma.filled(values, np.nan)[hidden]).all()
    paths = figures.save_static(static, tmp_path, "sites", synthetic=True)
    assert "SYNTHETIC DEMO DATA" in paths[1].read_text(encoding="utf-8")


def test_cross_site_report_publishes_the_heatmap_with_its_metadata(batch):
    """The batch's cross-site report draws the per-site heatmap and carries its disclosure
    metadata (one cell per site and item, hidden ones with their rule), so the audit
    checks it like any table."""
    cross = (batch.out / "cross_site.html").read_text(encoding="utf-8")
    blocks, _ = read_metadata(cross)
    chart = [b for b in blocks if b["caption"] == "Chart: Yes or Partly, site by site"]
    assert len(chart) == 1
    data = load_prepared()
    n_sites, n_items = data["site_id"].nunique(), data["item_id"].nunique()
    assert len(chart[0]["cells"]) == n_sites * n_items
    assert {c["statistic"] for c in chart[0]["cells"]} == {"happening"}
    assert "happening-by-site" in cross
    audit = pd.read_csv(batch.out / "disclosure_audit.csv")
    assert (audit.loc[audit["report"] == "cross_site", "audit"] == "passed").all()
    assert audit["audit"].isin(["passed", "not rebuilt"]).all()

"""End-to-end tests of the report batch (papermill + nbconvert), sharing one batch run.

The session project of the root conftest holds the prepared demo data. One batch for two
sites (plus data quality and cross-site) runs once per test session; the tests below inspect
its outputs. Failure handling and disclosure with a larger k need their own runs.
"""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import nbformat
import numpy as np
import pytest

from peerlib.batch import check_template, plain_parameters, plan_jobs, run_reports
from peerlib.errors import ParameterError, ReportError
from peerlib.paths import project_paths

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = REPO / "notebooks"
SITES = ["S01", "S02"]  # the sites of the session batch (tests/conftest.py)
DATE = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC")


def _html(batch, rel: str) -> str:
    return (batch.out / rel).read_text(encoding="utf-8")


def _report_paths(batch) -> list[str]:
    return ["data_quality.html", "cross_site.html"] + [f"sites/{s}.html" for s in SITES]


def test_batch_writes_every_report_and_index(batch):
    assert [r.name for r in batch.results] == ["data_quality", "S01", "S02", "cross_site",
                                               "framework_matrix"]
    assert all(r.ok for r in batch.results)
    for rel in _report_paths(batch) + ["index.html"]:
        assert (batch.out / rel).stat().st_size > 1000, rel
    index = _html(batch, "index.html")
    for rel in _report_paths(batch):
        assert f'href="{rel}"' in index
    assert "SYNTHETIC DEMO DATA" in index
    assert (batch.out / "notebooks" / "sites" / "S01.ipynb").exists()


def test_each_site_report_names_its_own_site(batch):
    """A lost `parameters` tag would make every site report show the default site."""
    s01, s02 = _html(batch, "sites/S01.html"), _html(batch, "sites/S02.html")
    assert "S01: Ashwell Moor NHS Foundation Trust" in s01
    assert "S02: Calderbrook Mental Health NHS Trust" in s02
    assert "Ashwell Moor" not in s02
    assert "Calderbrook" not in s01
    nb = nbformat.read(batch.out / "notebooks" / "sites" / "S02.ipynb", as_version=4)
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1 and "site_id = \"S02\"" in injected[0].source


def test_one_plotly_graph_per_chart_and_plotly_js_once(batch):
    """Plotly 6+ figures are dropped by nbconvert unless offered as HTML; each chart is one
    JSON figure, plotly.js is stored once (packed) in a page with charts."""
    expected = {"sites/S01.html": 3, "sites/S02.html": 3, "cross_site.html": 6,
                "data_quality.html": 0}
    for rel, charts in expected.items():
        page = _html(batch, rel)
        assert page.count('class="peerwork-figure"') == charts, rel
        assert page.count('id="peerwork-plotly-js"') == (1 if charts else 0), rel


def test_reports_load_nothing_from_the_network(batch):
    for rel in _report_paths(batch) + ["index.html"]:
        page = _html(batch, rel)
        assert not re.search(r"<script[^>]*\bsrc\s*=", page, re.I), rel
        assert not re.search(r"<link[^>]*href\s*=\s*[\"']?(https?:)?//", page, re.I), rel
        assert not re.search(r"@import\s+url\(\s*[\"']?https?:", page, re.I), rel
        assert "require.min.js" not in page and "MathJax.js" not in page, rel


def test_reports_hide_code_and_carry_banner_and_provenance(batch):
    meta = json.loads((project_paths().processed / "part1_meta.json").read_text())
    sha = next(i["sha256"] for i in meta["inputs"] if i["file"] == "part1_responses.csv")
    for rel in _report_paths(batch):
        page = _html(batch, rel)
        assert "report.load_report_data(" not in page, rel  # no code cells
        assert 'class="highlight hl-ipython3' not in page, rel
        assert 'class="jp-CodeMirrorEditor' not in page, rel
        assert 'class="peerwork-banner"' in page, rel
        assert "Provenance" in page and sha in page, rel
        assert "peerlib 0.1.0" in page and DATE.search(page), rel


def test_every_report_is_at_most_2_mib(batch):
    """Small enough to send by email (issue 8): plotly.js packed, a lean stylesheet."""
    for rel in _report_paths(batch) + ["framework_matrix.html", "index.html"]:
        assert (batch.out / rel).stat().st_size <= 2 * 1024 * 1024, rel


def test_cross_site_sample_table_is_the_studys(batch):
    """DESIGN.md: Voluntary/NHS/Total per role, 33/35/68 in all."""
    page = re.sub(r"\s+", " ", _html(batch, "cross_site.html"))
    study = [("Peer workers", 9, 7, 16), ("Non-peer staff", 6, 8, 14),
             ("Line managers", 4, 7, 11), ("Senior managers/commissioners", 6, 8, 14),
             ("Service users", 8, 5, 13), ("Total", 33, 35, 68)]
    for role, vol, nhs, total in study:
        row = f"<td>{role}</td> <td>{vol}</td> <td>{nhs}</td> <td>{total}</td>"
        assert row in page, row
    assert "<th>Voluntary</th> <th>NHS</th> <th>Total</th>" in page


def test_static_figures_for_slides(batch):
    names = sorted(p.name for p in (batch.out / "figures").iterdir())
    assert names == ["happening_by_sector.png", "happening_by_sector.svg",
                     "importance_by_sector.png", "importance_by_sector.svg",
                     "ipa_all.png", "ipa_all.svg"]


@pytest.mark.slow  # the reused-kernel identity test covers reproducibility in make test
def test_two_runs_give_the_same_reports_apart_from_the_date(batch, tmp_path):
    again = run_reports(out=tmp_path, sites=["S01"], jobs=2, notebooks=NOTEBOOKS,
                        progress=False)
    for rel in ("sites/S01.html", "cross_site.html", "data_quality.html"):
        first = DATE.sub("DATE", _html(batch, rel))
        second = DATE.sub("DATE", (again.out / rel).read_text(encoding="utf-8"))
        assert first == second, rel
    for fig in ("ipa_all.svg", "happening_by_sector.png"):
        assert (batch.out / "figures" / fig).read_bytes() == (tmp_path / "figures" /
                                                              fig).read_bytes()


def test_failed_site_keeps_last_good_report_marked_stale(batch, tmp_path):
    """A planted failure at S02: S01 still finishes, S02's old report is kept and marked
    stale, its partial notebook is kept, and the batch raises naming S02 and the cell."""
    out = tmp_path / "reports"
    shutil.copytree(batch.out, out)
    old_s02 = (out / "sites" / "S02.html").read_bytes()
    broken = tmp_path / "notebooks"
    shutil.copytree(NOTEBOOKS, broken)
    nb = nbformat.read(broken / "10_site_report.ipynb", as_version=4)
    check = next(i for i, c in enumerate(nb.cells)
                 if "parameters" in c.metadata.get("tags", [])) + 1
    nb.cells[check].source += ('\nif site["site_id"] == "S02":\n'
                               '    raise RuntimeError("planted failure for the test")')
    nbformat.write(nb, broken / "10_site_report.ipynb")

    with pytest.raises(ReportError, match="S02.*planted failure") as info:
        run_reports(out=out, sites=SITES, jobs=2, notebooks=broken, progress=False)
    assert [f.name for f in info.value.failures] == ["S02"]
    assert info.value.failures[0].cell is not None
    kept = (out / "sites" / "S02.html").read_text(encoding="utf-8")
    assert "This report is out of date: the run of" in kept  # readers of the file see it
    unmarked = re.sub(r"<!-- peerwork-stale -->.*?<!-- /peerwork-stale -->", "", kept,
                      flags=re.S)
    assert unmarked.encode("utf-8") == old_s02
    assert (out / "notebooks" / "failed" / "S02.ipynb").exists()
    index = (out / "index.html").read_text(encoding="utf-8")
    s02_row = next(line for line in index.splitlines() if "sites/S02.html" in line)
    assert "STALE" in s02_row and "planted failure" in s02_row
    s01_row = next(line for line in index.splitlines() if "sites/S01.html" in line)
    assert "up to date" in s01_row
    assert not any(p.name.startswith(".staging-") for p in out.iterdir())


def test_template_without_parameters_cell_is_refused(tmp_path):
    nbdir = tmp_path / "notebooks"
    shutil.copytree(NOTEBOOKS, nbdir)
    nb = nbformat.read(nbdir / "10_site_report.ipynb", as_version=4)
    for cell in nb.cells:
        cell.metadata.pop("tags", None)
    nbformat.write(nb, nbdir / "10_site_report.ipynb")
    with pytest.raises(ReportError, match="0 cells tagged 'parameters'"):
        check_template(nbdir / "10_site_report.ipynb")
    with pytest.raises(ReportError, match="10_site_report.ipynb"):
        plan_jobs(["S01"], data_dir="", min_group_size=5, notebooks=nbdir)


def test_committed_templates_have_one_parameters_cell_and_no_outputs():
    for path in NOTEBOOKS.glob("*.ipynb"):
        check_template(path)
        nb = nbformat.read(path, as_version=4)
        assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), path
        code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
        assert not re.search(r"^\s*(def|class|for|if)\b", code, re.M), path


def test_numpy_parameters_become_plain_types():
    """np.bool_(False) through papermill would arrive as the truthy string "False"."""
    params = plain_parameters({"flag": np.bool_(False), "k": np.int64(5), "x": np.float64(.5),
                               "site_id": "007", "path": Path("/tmp")})
    assert params == {"flag": False, "k": 5, "x": 0.5, "site_id": "007", "path": "/tmp"}
    assert type(params["flag"]) is bool and type(params["k"]) is int
    with pytest.raises(ParameterError, match="not a plain"):
        plain_parameters({"bad": object()})


def test_unknown_site_and_bad_options_fail_before_running(tmp_path):
    with pytest.raises(ParameterError, match="Unknown site.*S99"):
        run_reports(out=tmp_path, sites=["S99"], notebooks=NOTEBOOKS, progress=False)
    with pytest.raises(ParameterError, match="--jobs"):
        run_reports(out=tmp_path, jobs=0, notebooks=NOTEBOOKS, progress=False)
    with pytest.raises(ParameterError, match="min_group_size"):
        run_reports(out=tmp_path, min_group_size=0, notebooks=NOTEBOOKS, progress=False)
    assert not (tmp_path / "index.html").exists()


def _outputs_html(path: Path) -> list[str]:
    nb = nbformat.read(path, as_version=4)
    return [o["data"]["text/html"] for c in nb.cells if c.cell_type == "code"
            for o in c.get("outputs", []) if "text/html" in o.get("data", {})]


def _rows_of(tables: list[str], label: str) -> list[list[str]]:
    rows = []
    for tbl in tables:
        for row in re.findall(r"<tr>(.*?)</tr>", tbl, re.S):
            cells = re.findall(r"<td>(.*?)</td>", row)
            if label in cells:
                rows.append(cells)
    return rows


def _column_of(tables: list[str], header: str) -> list[list[str]]:
    """The cells under a column header of grids (statements x groups), one list per table."""
    columns = []
    for tbl in tables:
        heads = [re.sub(r"<[^>]+>", "", h).strip()
                 for h in re.findall(r"<th[^>]*>(.*?)</th>", tbl, re.S)]
        if header not in heads or heads[0] != "Statement":  # grids, not the sample table
            continue
        j = heads.index(header)
        cells = [re.findall(r"<td>(.*?)</td>", row)
                 for row in re.findall(r"<tr>(.*?)</tr>", tbl, re.S)]
        columns.append([row[j] for row in cells if len(row) > j])
    return columns


def _traces_naming(fig_html: str, label: str) -> list[dict]:
    """The traces of a report chart (its figure JSON) named after a group or drawn in its
    place (``offsetgroup``)."""
    spec = json.loads(re.search(r'class="peerwork-figure"[^>]*>(.*?)</script>', fig_html,
                                re.S).group(1))
    return [t for t in spec["data"] if label in (t.get("name"), t.get("offsetgroup"))]


@pytest.mark.slow  # k = 10 end to end; the audit tests run the hard sets at k = 10 in make test
def test_larger_k_hides_every_result_of_small_groups(tmp_path):
    """With k = 12, a site of 7 participants shows no result of its own (it gets the short
    report, which says so and has no chart or result table), and the cross-site report
    shows no result for line managers (11): no chart trace carries them and every table
    cell for them is "n<12" (or a label). With k = 5 (the session batch) both show."""
    result = run_reports(out=tmp_path, sites=["S03"], jobs=2, min_group_size=12,
                         notebooks=NOTEBOOKS, progress=False)
    assert all(r.ok for r in result.results)
    site = _outputs_html(tmp_path / "notebooks" / "sites" / "S03.ipynb")
    assert not [h for h in site if 'class="peerwork-figure"' in h]
    assert "Fewer than 12 people took part" in (tmp_path / "sites" / "S03.html").read_text(
        encoding="utf-8")
    assert not (tmp_path / "sites" / "S03.pdf").exists()  # no feedback pack either
    cross = _outputs_html(tmp_path / "notebooks" / "20_cross_site.ipynb")
    for html, label, header in ((cross, "Line manager", "Line managers"),):
        figures = [h for h in html if 'class="peerwork-figure"' in h]
        assert figures
        for fig in figures:
            # a trace may name the group (its legend entry, the hatched "Not shown" column
            # in its place) but carries none of its values
            for trace in _traces_naming(fig, label):
                if trace.get("name") == "Not shown":
                    assert "not shown" in trace["hovertemplate"] and not trace.get("text")
                    assert "customdata" not in trace, label
                else:
                    assert not [v for v in trace.get("y") or [] if v is not None], label
                    assert not trace.get("x") and not trace.get("customdata"), label
        tables = [h for h in html if "peerwork-table" in h]
        rows = _rows_of(tables, label) + _column_of(tables, header)
        assert rows, f"the tables should still list {label}"
        for cells in rows:
            values = [c for c in cells if c != label and not c.startswith("2.")]
            assert values and all(v in ("n&lt;12", "–") for v in values), cells


def test_default_k_shows_the_groups_that_k12_hides(batch):
    site = _outputs_html(batch.out / "notebooks" / "sites" / "S01.ipynb")
    cross = _outputs_html(batch.out / "notebooks" / "20_cross_site.ipynb")
    assert any('"This site"' in h for h in site if 'class="peerwork-figure"' in h)
    assert any('"Line manager"' in h for h in cross if 'class="peerwork-figure"' in h)


def test_markup_in_site_names_and_item_text_renders_inert(tmp_path, monkeypatch, demo_raw):
    """A <script> or <img onerror> typed into a site name or an item label (in a codebook
    passed to prepare) is escaped in every report: no such tag exists in the HTML."""
    import yaml

    from peerlib.codebook import default_codebook_path
    from peerlib.part1.prepare import prepare

    evil_site = "<script>alert('site')</script><img src=x onerror=alert(1)>"
    evil_item = '<img src=y onerror=alert(2)>Shared <b>understanding</b>'
    raw = tmp_path / "data" / "raw"
    shutil.copytree(demo_raw, raw)
    sites = (raw / "sites.csv").read_text(encoding="utf-8").replace(
        "Ashwell Moor NHS Foundation Trust", f'"{evil_site}"')
    (raw / "sites.csv").write_text(sites, encoding="utf-8")
    spec = yaml.safe_load(default_codebook_path().read_text(encoding="utf-8"))
    spec["items"][0]["label"] = evil_item
    codebook = tmp_path / "codebook.yaml"
    codebook.write_text(yaml.safe_dump(spec), encoding="utf-8")
    monkeypatch.setenv("PEERLIB_PROJECT_DIR", str(tmp_path))
    prepare(codebook=codebook)
    run_reports(sites=["S01"], jobs=2, notebooks=NOTEBOOKS, progress=False)
    for rel in ("sites/S01.html", "cross_site.html", "index.html", "data_quality.html"):
        page = (tmp_path / "reports" / rel).read_text(encoding="utf-8")
        assert "<script>alert" not in page and "<img src=x" not in page, rel
        assert "<img src=y" not in page and "<b>understanding</b>" not in page, rel
    s01 = (tmp_path / "reports" / "sites" / "S01.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert" in s01  # shown, as text
    assert "understanding&lt;/b&gt;" in s01 or "understanding\\u003c/b\\u003e" in s01


def test_reports_from_earlier_data_are_marked_outdated(batch, tmp_path):
    """After the data changed, a partial run (S01 only) leaves S02's report from the old
    data: the index says OUTDATED and the file itself carries a banner; once S02 is rebuilt
    from the current data (simulated here), the banner goes."""
    import datetime as dt

    from peerlib.batch import JobResult, data_fingerprint, write_index
    from peerlib.part1.prepare import load_meta, load_sites

    out = tmp_path / "reports"
    shutil.copytree(batch.out, out)
    meta = load_meta()
    new_inputs = [dict(i, sha256="0" * 64) for i in meta["inputs"]]
    provenance = {"dataset_name": "changed", "synthetic": True, "run_date": "2099-01-01 00:00 UTC",
                  "version": "x", "git_commit": "x", "inputs": new_inputs}
    jobs = plan_jobs(["S01"], data_dir=str(project_paths().processed), min_group_size=5,
                     notebooks=NOTEBOOKS, include_data_quality=False, include_cross_site=False,
                     include_framework=False)
    write_index(out, jobs, [JobResult("S01", True, 1.0)], register=load_sites(),
                provenance=provenance)
    index = (out / "index.html").read_text(encoding="utf-8")
    row = lambda rel: next(l for l in index.splitlines() if f'href="{rel}"' in l)
    assert "up to date" in row("sites/S01.html")
    assert "OUTDATED" in row("sites/S02.html") and "OUTDATED" in row("cross_site.html")
    assert "from earlier data" in (out / "sites" / "S02.html").read_text(encoding="utf-8")
    assert "out of date" not in (out / "sites" / "S01.html").read_text(encoding="utf-8")
    assert data_fingerprint(provenance) != data_fingerprint({"inputs": meta["inputs"]})
    shutil.copy2(batch.out / "sites" / "S02.html", out / "sites" / "S02.html")  # republished
    jobs2 = plan_jobs(["S02"], data_dir=str(project_paths().processed), min_group_size=5,
                      notebooks=NOTEBOOKS, include_data_quality=False,
                      include_cross_site=False, include_framework=False)
    write_index(out, jobs2, [JobResult("S02", True, 1.0)], register=load_sites(),
                provenance=provenance)
    assert "out of date" not in (out / "sites" / "S02.html").read_text(encoding="utf-8")


def test_footer_shows_project_relative_paths(batch):
    page = _html(batch, "sites/S01.html")
    footer = page[page.index('<footer class="peerwork-page">'):]
    assert "<code>data_dir: data/processed</code>" in footer
    assert str(project_paths().root) not in footer


def test_reports_without_prepared_long_table_fail_before_running(tmp_path, monkeypatch):
    data = tmp_path / "processed"
    shutil.copytree(project_paths().processed, data)
    (data / "part1_long.parquet").unlink()
    with pytest.raises(FileNotFoundError, match="peerlib prepare"):
        run_reports(data, tmp_path / "reports", notebooks=NOTEBOOKS, progress=False)
    assert not (tmp_path / "reports" / "index.html").exists()


def test_a_withdrawal_makes_earlier_reports_outdated(batch, tmp_path):
    """Withdrawing someone changes no raw input file's hash shown in the footer, but the
    prepared data changes: reports from before must then be marked outdated."""
    from peerlib.batch import data_fingerprint

    base = {"inputs": [{"file": "part1_responses.csv", "sha256": "a" * 64}]}
    assert data_fingerprint({**base, "data_digest": "1"}) != data_fingerprint(
        {**base, "data_digest": "2"})


def test_damaged_prepared_data_says_to_prepare_again(tmp_path):
    from peerlib.errors import ParameterError
    from peerlib.part1.prepare import load_prepared

    data = tmp_path / "processed"
    shutil.copytree(project_paths().processed, data)
    blob = (data / "part1_long.parquet").read_bytes()
    (data / "part1_long.parquet").write_bytes(blob[: len(blob) // 2])
    with pytest.raises(ParameterError, match="cannot be read.*peerlib prepare"):
        load_prepared(data)


def test_a_hung_cell_times_out_and_publishes_nothing(tmp_path):
    """Fault 5 of the issue: a cell that never ends must fail the notebook after --timeout
    seconds, and the failed site's HTML (which would show a traceback) is not published."""
    from batch_helpers import tiny_templates

    # the small templates (the timeout is the batch's, whatever the notebook does)
    hung = tiny_templates(tmp_path / "notebooks")
    nb = nbformat.read(hung / "10_site_report.ipynb", as_version=4)
    check = next(i for i, c in enumerate(nb.cells)
                 if "parameters" in c.metadata.get("tags", [])) + 1
    nb.cells[check].source += "\nimport time\ntime.sleep(600)"
    nbformat.write(nb, hung / "10_site_report.ipynb")
    out = tmp_path / "reports"
    with pytest.raises(ReportError, match="S01") as info:
        run_reports(out=out, sites=["S01"], jobs=2, notebooks=hung, timeout=5, progress=False)
    # On a loaded machine (CI) a cross-site cell can also pass 5 s: that is the same rule
    # working, so only S01 must be among the failures and every failure must be a timeout.
    failed = {f.name: f.error.lower() for f in info.value.failures}
    assert "S01" in failed
    assert all("timed out" in e or "timeout" in e for e in failed.values()), failed
    assert not (out / "sites" / "S01.html").exists()
    assert (out / "notebooks" / "failed" / "S01.ipynb").exists()


def test_site_packs_are_published_with_the_reports(batch):
    """Every demo site has at least k = 5 interviews: its PDF pack sits beside its HTML."""
    from pypdf import PdfReader

    for site in SITES:
        pdf = batch.out / "sites" / f"{site}.pdf"
        assert pdf.exists(), site
        reader = PdfReader(str(pdf))
        assert len(reader.pages) <= 4
        assert site in reader.pages[0].extract_text()
    assert not list((batch.out / "sites").glob("*.tmp*"))


def test_reports_open_with_key_points_and_one_synthetic_banner(batch):
    for rel in ["cross_site.html"] + [f"sites/{s}.html" for s in SITES]:
        page = _html(batch, rel)
        assert page.count('class="peerwork-keypoints"') == 1, rel
        body = page[page.index("<body"):]
        assert body.index('id="key-points"') < body.index('id="happening"'), rel
        for anchor in re.findall(r'class="peerwork-keypoint-link"', page):
            assert anchor
        for target in re.findall(r'href="#([^"]+)" class="peerwork-keypoint-link"', page):
            assert f'id="{target}"' in page, (rel, target)
    for rel in _report_paths(batch):
        page = _html(batch, rel)
        assert page.count("SYNTHETIC DEMO DATA") == 1, rel  # one banner, not two
        assert "Synthetic demo data.</strong>" not in page, rel


def test_every_table_has_a_caption_and_every_chart_its_data(batch):
    for rel in _report_paths(batch):
        page = _html(batch, rel)
        tables = re.findall(r"<table[^>]*>\s*(<caption)?", page)
        assert tables and all(tables), rel
        n_charts = page.count('class="peerwork-figure"')
        assert page.count("Download the data behind this chart (CSV)") == n_charts, rel


def test_every_table_and_chart_of_the_part1_reports_carries_disclosure_metadata(batch):
    """The audit can only check what is labelled: every table and every chart (its numbers
    table) of the data-quality, site and cross-site reports is preceded by a metadata
    block, so these reports pass the audit with metadata required."""
    from peerlib.disclosure.audit import read_metadata

    for rel in ["data_quality.html", "cross_site.html"] + [f"sites/{s}.html" for s in SITES]:
        page = _html(batch, rel)
        blocks, bare = read_metadata(page)
        assert bare == 0, rel
        charts = page.count('class="peerwork-figure"')
        chart_blocks = [b for b in blocks if str(b.get("caption", "")).startswith("Chart: ")]
        assert len(chart_blocks) == charts and (charts >= 1 or rel == "data_quality.html"), rel
        for block in chart_blocks:  # a chart's metadata names the groups it shows
            assert block["cells"] and all("union" in c for c in block["cells"])
        for block in blocks:  # and no size: it could be more exact than the cell shows
            assert not any("n" in c for c in block["cells"]), (rel, block["caption"])


def test_published_notebooks_name_no_absolute_path(batch):
    """reports/notebooks is shared with the reports: its injected parameters and papermill's
    metadata show project paths relative to the project (no home folder, no staging
    folder, which is gone once published: helper-29 found the mask's dead path), the
    disclosure mask as "" and the template by its path, not copied whole."""
    root = str(project_paths().root)
    notebooks = list((batch.out / "notebooks").rglob("*.ipynb"))
    assert notebooks
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        injected = [c.source for c in nb.cells
                    if "injected-parameters" in c.metadata.get("tags", [])]
        assert injected, path.name
        meta = json.dumps(nb.metadata.get("papermill", {}))
        for source in [*injected, meta]:
            assert root not in source and str(batch.out) not in source, (path.name, source)
            assert ".staging-" not in source, (path.name, source)
        assert 'disclosure_mask = ""' in injected[0], injected[0]
        assert nb.metadata.papermill["parameters"]["disclosure_mask"] == ""
        assert not isinstance(nb.metadata.papermill["input_path"], dict)  # not the template


def test_staged_paths_are_shown_where_they_are_published(tmp_path):
    """A staging path (figures, workbook, pack) is shown at its published place, relative
    to the project; the mask as ""."""
    from peerlib.batch.worker import _shown_parameters

    stage = tmp_path / "reports" / ".staging-1-x"
    nb = nbformat.v4.new_notebook(metadata={"papermill": {"parameters": {}}})
    params = {"figures_dir": str(stage / "figures"), "disclosure_mask": str(stage / "m.parquet"),
              "site_id": "S01"}
    cell = nbformat.v4.new_code_cell(
        "".join(f"{k} = {json.dumps(v)}\n" for k, v in params.items()))
    cell.metadata["tags"] = ["injected-parameters"]
    nb.cells.append(cell)
    _shown_parameters(nb, params, str(tmp_path), stage=stage,
                      template=str(tmp_path / "notebooks" / "10_site_report.ipynb"))
    assert nb.cells[0].source.splitlines() == ['figures_dir = "reports/figures"',
                                               'disclosure_mask = ""', 'site_id = "S01"']
    assert nb.metadata.papermill["parameters"] == {"figures_dir": "reports/figures",
                                                   "disclosure_mask": "", "site_id": "S01"}
    assert nb.metadata.papermill["input_path"] == "notebooks/10_site_report.ipynb"


def test_index_says_what_each_report_is_for(batch):
    """Issue 8: the index is a portal, one line per report saying what it is for."""
    import html as html_module

    from peerlib.batch.index import PURPOSES

    index = _html(batch, "index.html")
    assert '<th scope="col">What it is for</th>' in index
    for rel, kind in [("data_quality.html", "data_quality"), ("cross_site.html", "cross_site"),
                      ("sites/S01.html", "site"), ("sites/S02.html", "site")]:
        row = next(line for line in index.splitlines() if f'href="{rel}"' in line)
        assert html_module.escape(PURPOSES[kind]) in row, rel


def test_a_damaged_template_is_a_clear_error(tmp_path):
    """Templates are read as plain JSON (nbformat's schema checks cost seconds per run): a
    file that is not a notebook is named, with what to do."""
    bad = tmp_path / "10_site_report.ipynb"
    bad.write_text("{ not json", encoding="utf-8")
    with pytest.raises(ReportError, match="cannot be read as a notebook.*git checkout"):
        check_template(bad)


def test_framework_and_cross_site_run_in_turn_on_one_worker():
    """run_groups: the two reports that import scipy.stats, statsmodels and krippendorff
    form one group (framework first, submitted first); every other job is alone; every job
    is in exactly one group."""
    from peerlib.batch.plan import run_groups

    jobs = plan_jobs(["S01", "S02", "S03"], data_dir=str(project_paths().processed),
                     min_group_size=5, notebooks=NOTEBOOKS)
    assert {j.kind for j in jobs} >= {"framework", "cross_site", "site", "data_quality"}
    groups = run_groups(jobs)
    assert [j.kind for j in groups[0]] == ["framework", "cross_site"]
    assert all(len(g) == 1 for g in groups[1:])
    assert sorted(j.name for g in groups for j in g) == sorted(j.name for j in jobs)
    assert [g[0].kind for g in groups[1:]] == ["data_quality", "site", "site", "site"]
    without = [j for j in jobs if j.kind != "framework"]  # no coded transcripts
    assert [[j.kind for j in g] for g in run_groups(without)][0] == ["cross_site"]

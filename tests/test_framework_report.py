"""The framework matrix report (notebooks/30_framework_matrix.ipynb) in the batch, and the
``peerlib import-codes`` command.

The session project (root conftest) imported the demo .qdpx after preparing Part 1, so the
shared batch run includes the framework matrix job.
"""
from __future__ import annotations

import hashlib
import html
import re
import shutil
from pathlib import Path

import nbformat
import pandas as pd
import papermill as pm
import pytest
from openpyxl import load_workbook

from peerlib.cli import main
from qda_helpers import QDA_SHA256
from peerlib.paths import project_paths
from peerlib.part1.prepare import load_prepared

REPO = Path(__file__).resolve().parents[1]
QDA_FILES = ("part2_demo.qdpx", "part2_demo_taguette.csv", "qda_documents.csv",
             "redaction_list.csv", "theme_items.csv")


def _page(batch) -> str:
    return (batch.out / "framework_matrix.html").read_text(encoding="utf-8")


def _outputs(path: Path) -> list[str]:
    nb = nbformat.read(path, as_version=4)
    return [o["data"]["text/html"] for c in nb.cells if c.cell_type == "code"
            for o in c.get("outputs", []) if "text/html" in o.get("data", {})]


def test_framework_report_and_workbook_are_published(batch):
    res = next(r for r in batch.results if r.name == "framework_matrix")
    assert res.ok and "framework_matrix.xlsx" in res.outputs
    page = _page(batch)
    assert page.count('class="peerwork-figure"') == 2
    assert page.count('id="peerwork-plotly-js"') == 1
    assert 'class="peerwork-banner"' in page and "Provenance" in page
    assert "framework.framework_matrix(" not in page  # code hidden
    qdpx = project_paths().raw / "part2_demo.qdpx"
    assert hashlib.sha256(qdpx.read_bytes()).hexdigest() in page  # provenance
    assert "Cohen&#x27;s kappa" in page or "Cohen's kappa" in page
    index = (batch.out / "index.html").read_text(encoding="utf-8")
    assert 'href="framework_matrix.html"' in index and 'href="framework_matrix.xlsx"' in index
    wb = load_workbook(batch.out / "framework_matrix.xlsx")
    assert wb.sheetnames == ["About", "Role", "Disclosure", "Boundaries", "Support",
                             "peerlib_index"]  # the last one hidden (for import-summaries)
    assert wb["peerlib_index"].sheet_state == "hidden"
    assert [c.value for c in wb["Role"][1][:5]] == ["Site", "Participant", "Sector",
                                                    "Organisation type", "Participant's role"]
    assert wb["Role"].max_row == 79  # header, 68 participants, a summary row per site
    assert not list((batch.out).glob(".staging-*"))


def test_no_redaction_term_or_participant_id_in_any_output(batch):
    """The demo transcripts name invented people, places and services; none of them, and
    no raw participant ID, appears in the report, the executed notebook or the workbook."""
    raw = project_paths().raw
    terms = pd.read_csv(raw / "redaction_list.csv")["term"].tolist()
    ids = pd.read_csv(raw / "qda_documents.csv")["participant_id"].dropna().tolist()
    texts = [html.unescape(_page(batch)),
             (batch.out / "notebooks" / "30_framework_matrix.ipynb").read_text(encoding="utf-8")]
    wb = load_workbook(batch.out / "framework_matrix.xlsx")
    texts.append(" ".join(str(c.value) for ws in wb for row in ws.iter_rows() for c in row
                          if c.value is not None))
    texts.append((project_paths().processed / "coded_segments.csv").read_text(encoding="utf-8"))
    for text in texts:
        low = text.lower()
        for term in terms:
            assert term.lower() not in low, term
        for pid in ids:
            assert not re.search(rf"(?<![\w-]){re.escape(pid)}(?!\w)", text), pid
    assert "[name]" in texts[0] and "[service]" in texts[0]


def test_quote_attributions_name_only_groups_of_at_least_k(batch):
    """A role is named only where k participants of the speaker's site share it (none in
    the demo: at most two per role and site), else the sector where k share it."""
    people = load_prepared().drop_duplicates("participant_id")
    at_site = people.groupby(["site_id", "role"], observed=True).size()
    sectors = people.groupby("sector", observed=True).size()
    allowed = ({f"{r}, {people.loc[people['site_id'] == s, 'sector'].iloc[0]}"
                for (s, r), n in at_site.items() if n >= 5}
               | {f"a participant, {s}" for s, n in sectors.items() if n >= 5}
               | {"a participant"})
    tables = _outputs(batch.out / "notebooks" / "30_framework_matrix.ipynb")
    quotes = next(t for t in tables if "Quotes by theme" in t)
    assert re.findall(r"<th>(.*?)</th>", quotes) == ["Theme", "Code", "Quote", "Attribution"]
    rows = re.findall(r"<tr>\s*(.*?)</tr>", quotes, re.S)[1:]
    attributions = {html.unescape(re.findall(r"<td>(.*?)</td>", r, re.S)[-1]) for r in rows}
    assert attributions <= allowed and len(attributions) >= 2
    assert "Peer worker, NHS" not in attributions  # 7 in the sector, at most 2 at a site
    assert any(a.endswith("NHS") for a in attributions)
    assert any(a.endswith("Voluntary") for a in attributions)


def test_larger_k_hides_small_groups_in_patterns_quotes_and_roles(tmp_path):
    """k = 12: line managers (11) and every role x sector group (at most 9) are too small,
    so their pattern cells show n<12, no quote names a role, and, as no site has 12
    participants, the matrix lists nobody: a note says that all 68 rows are left out."""
    out = tmp_path / "fm.ipynb"
    pm.execute_notebook(str(REPO / "notebooks" / "30_framework_matrix.ipynb"), str(out),
                        parameters={"min_group_size": 12,
                                    "excel_path": str(tmp_path / "fm.xlsx")},
                        kernel_name="python3", progress_bar=False)
    tables = _outputs(out)
    patterns = next(t for t in tables if "spoke to each theme" in t and "<table" in t
                    and "peerwork-chart" not in t)  # not the chart's text alternative
    row = next(r for r in re.findall(r"<tr>(.*?)</tr>", patterns, re.S) if "Line manager" in r)
    cells = re.findall(r"<td>(.*?)</td>", row)
    assert cells[2:] and all(c == "n&lt;12" for c in cells[2:])
    figs = [t for t in tables if 'class="peerwork-figure"' in t]
    role_fig = next(f for f in figs if "by role" in f)
    assert "n<12" in role_fig or "n\\u003c12" in role_fig
    quotes = next(t for t in tables if "Quotes by theme" in t)
    said = {html.unescape(re.findall(r"<td>(.*?)</td>", r, re.S)[-1])
            for r in re.findall(r"<tr>\s*(.*?)</tr>", quotes, re.S)[1:]}
    assert said == {"a participant, NHS", "a participant, Voluntary"}  # 35 and 33 >= 12
    matrix = next(t for t in tables if "peerwork-matrix" in t)
    rows = re.findall(r"<tr>(.*?)</tr>", matrix[matrix.index("<tbody>"):], re.S)
    assert rows == []  # every site has fewer than 12 participants with a coded transcript
    assert "68 participants' rows are not shown" in html.unescape(matrix)


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.iterdir()) if p.is_file()}


def test_cli_import_codes(demo_project, demo_raw, capsys):
    raw = demo_project / "data" / "raw"
    for name in QDA_FILES:
        shutil.copy2(demo_raw / name, raw / name)
    assert main(["prepare"]) == 0
    assert main(["import-codes", str(raw / "part2_demo.qdpx")]) == 0
    out = capsys.readouterr().out
    assert "imported 287 coded segments from 71 documents (68 participants, 3 site " \
           "documents; positions: codepoints, 287 selections checked" in out
    processed = demo_project / "data" / "processed"
    seg = pd.read_parquet(processed / "coded_segments.parquet")
    assert seg["site_id"].notna().all()  # from the documents map
    before = _digest(processed)
    broken = raw / "broken.qdpx"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    assert main(["import-codes", str(broken)]) == 1
    assert "broken.qdpx" in capsys.readouterr().err
    with pytest.raises(SystemExit) as usage:  # argparse: wrong usage exits 2
        main(["import-codes", str(raw / "part2_demo.qdpx"), "--positions", "bytes"])
    assert usage.value.code == 2
    assert _digest(processed) == before
    assert main(["import-codes", str(raw / "part2_demo_taguette.csv")]) == 0
    assert pd.read_parquet(processed / "coded_segments.parquet")["start"].isna().all()


def test_cli_demo_data_writes_the_part2_demo(demo_project, capsys):
    assert main(["demo-data"]) == 0
    for name, digest in QDA_SHA256.items():
        got = (demo_project / "data" / "raw" / name).read_bytes()
        assert hashlib.sha256(got).hexdigest() == digest, name


@pytest.mark.slow  # the importer is tested in test_importer.py; make test-slow
def test_framework_notebook_runs_on_a_taguette_import(demo_project, demo_raw, tmp_path):
    """The same report from the Taguette CSV export: no positions and no coders, so the
    matrix has no positions in its references and agreement says why it is missing."""
    raw = demo_project / "data" / "raw"
    for name in QDA_FILES:
        shutil.copy2(demo_raw / name, raw / name)
    assert main(["prepare"]) == 0
    assert main(["import-codes", str(raw / "part2_demo_taguette.csv")]) == 0
    out = tmp_path / "fm.ipynb"
    pm.execute_notebook(str(REPO / "notebooks" / "30_framework_matrix.ipynb"), str(out),
                        parameters={"excel_path": str(tmp_path / "fm.xlsx")},
                        kernel_name="python3", progress_bar=False, cwd=str(demo_project))
    nb = nbformat.read(out, as_version=4)
    streams = [o for c in nb.cells for o in c.get("outputs", [])
               if o.get("output_type") == "stream" and o.get("name") == "stderr"]
    assert not streams, streams
    tables = _outputs(out)
    assert "[Part 2 transcript 01]" in next(t for t in tables if "peerwork-matrix" in t)
    assert "no positions or no coders" in next(t for t in tables if "Inter-coder" in t)
    assert (tmp_path / "fm.xlsx").exists()


def test_site_reports_quote_their_own_site_with_safe_attribution(batch):
    """No role has 5 participants at one demo site, so every quote says "a participant";
    and no quote carries a redaction-list term."""
    raw = project_paths().raw
    terms = pd.read_csv(raw / "redaction_list.csv")["term"].tolist()
    for site in ("S01", "S02"):
        tables = _outputs(batch.out / "notebooks" / "sites" / f"{site}.ipynb")
        quotes = next(t for t in tables if "Quotes from this site" in t)
        rows = re.findall(r"<tr>\s*(.*?)</tr>", quotes, re.S)[1:]
        assert rows
        assert {re.findall(r"<td>(.*?)</td>", r, re.S)[-1] for r in rows} == {"a participant"}
        page = html.unescape((batch.out / "sites" / f"{site}.html").read_text(encoding="utf-8"))
        assert "What people said (Part 2)" in page
        for term in terms:
            assert term.lower() not in page.lower(), term


def test_site_section_without_coded_transcripts_says_so(tmp_path, long_df):
    from peerlib.reporting.sections import site_quotes_section

    shown = site_quotes_section(long_df, "S01", k=5, data_dir=tmp_path)
    assert "No coded Part 2 transcripts have been imported" in shown.data


def test_summaries_filled_in_the_workbook_reach_the_next_framework_report(batch, tmp_path,
                                                                          capsys):
    """Charting end to end: the analysts fill the published workbook, import it, the batch
    runs again, and the framework report (and its new workbook) carry their summaries; a
    summary naming an unknown participant is refused with its sheet and row."""
    from peerlib.batch import run_reports

    data = tmp_path / "processed"
    shutil.copytree(project_paths().processed, data)
    filled = tmp_path / "framework_summaries.xlsx"
    shutil.copy2(batch.out / "framework_matrix.xlsx", filled)
    wb = load_workbook(filled)
    ws = wb["Boundaries"]
    header = [c.value for c in ws[1]]
    col = header.index("Summary") + 1
    ws.cell(2, col).value = "CHARTED-SUMMARY-7 keeps limits clear."
    site_row = next(r for r in range(2, ws.max_row + 1)
                    if ws.cell(r, 2).value == "(site summary)")
    ws.cell(site_row, col).value = "CHARTED-SITE-8 boundaries are discussed openly."
    wb.save(filled)
    assert main(["import-summaries", str(filled), "--data", str(data)]) == 0
    assert "imported 2 summaries (1 of participants, 1 of sites)" in capsys.readouterr().out
    out = tmp_path / "reports"
    run_reports(data=data, out=out, sites=["S01"], jobs=2, notebooks=REPO / "notebooks",
                progress=False)
    page = html.unescape((out / "framework_matrix.html").read_text(encoding="utf-8"))
    assert "CHARTED-SUMMARY-7 keeps limits clear." in page
    assert "CHARTED-SITE-8 boundaries are discussed openly." in page
    again = load_workbook(out / "framework_matrix.xlsx")["Boundaries"]
    assert again.cell(2, col).value == "CHARTED-SUMMARY-7 keeps limits clear."
    ws.cell(3, 2).value = "P-000000000000"
    ws.cell(3, col).value = "Someone else."
    wb.save(filled)
    before = (data / "framework_summaries.parquet").read_bytes()
    assert main(["import-summaries", str(filled), "--data", str(data)]) == 1
    assert ("sheet 'Boundaries', row 3: participant 'P-000000000000' has no coded "
            "transcript") in capsys.readouterr().err
    assert (data / "framework_summaries.parquet").read_bytes() == before

"""Inter-coder agreement of the Part 2 coding in the cross-site report (issue 4: "agreement
figures on the demo's double-coded documents are in the cross-site report and match an
independent computation").

The session project (root conftest) imported the demo .qdpx, so the shared batch's
cross-site report has the section; the figures are checked against
:func:`qda_helpers.independent_character_agreement`, which does not use peerlib.agreement.
"""
from __future__ import annotations

import html
import re

from peerlib.part2.agreement import OVERALL
from peerlib.reporting.sections import agreement_section
from peerlib.paths import project_paths
from peerlib.part2 import read_qdpx
from peerlib.part2.demo import DEMO_CODERS, DOUBLE_CODED
from qda_helpers import independent_character_agreement

HEADER = ["Code", "Documents", "Coders", "Units (character)", "Agreement (%)",
          "Cohen's kappa", "Krippendorff's alpha", "Note"]


def _agreement_table(page: str) -> dict[str, dict[str, str]]:
    """The rows of the agreement table after the section heading: code -> column -> text."""
    section = page[page.index(">Inter-coder agreement (Part 2)<"):]
    body = section[section.index("<table"):section.index("</table>")]
    head = [html.unescape(h) for h in re.findall(r"<th>(.*?)</th>", body, re.S)]
    assert head == HEADER
    rows = {}
    for row in re.findall(r"<tr>\s*(.*?)</tr>", body, re.S)[1:]:
        cells = [html.unescape(c) for c in re.findall(r"<td>(.*?)</td>", row, re.S)]
        rows[cells[0]] = dict(zip(HEADER, cells))
    return rows


def test_cross_site_report_shows_agreement_matching_an_independent_computation(batch):
    assert next(r for r in batch.results if r.name == "cross_site").ok
    page = (batch.out / "cross_site.html").read_text(encoding="utf-8")
    assert "agreement.agreement_section(" not in page  # code hidden
    rows = _agreement_table(page)
    seg = read_qdpx(project_paths().raw / "part2_demo.qdpx").segments
    overall = rows[OVERALL]
    pct, kappa, alpha = independent_character_agreement(seg, DEMO_CODERS)
    assert overall["Documents"] == str(len(DOUBLE_CODED))
    assert overall["Agreement (%)"] == f"{pct:.0f}"
    assert overall["Cohen's kappa"] == f"{kappa:.2f}"
    assert overall["Krippendorff's alpha"] == f"{alpha:.2f}"
    assert 0.5 < kappa < 1 and 0.5 < alpha < 1  # the planted differences show
    checked = 0
    for code in seg["code_path"].unique():  # and each code with variation on its own
        if rows[code]["Cohen's kappa"] == "–":
            continue
        pct, kappa, alpha = independent_character_agreement(seg, DEMO_CODERS, [code])
        assert rows[code]["Cohen's kappa"] == f"{kappa:.2f}", code
        assert rows[code]["Krippendorff's alpha"] == f"{alpha:.2f}", code
        assert rows[code]["Agreement (%)"] == f"{pct:.0f}", code
        checked += 1
    assert checked >= 3


def test_section_says_so_when_no_coded_transcripts_were_imported(tmp_path):
    shown = agreement_section(tmp_path)
    assert "No coded Part 2 transcripts have been imported" in shown.data
    assert "<table" not in shown.data

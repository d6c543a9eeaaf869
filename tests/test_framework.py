"""Framework matrix, theme patterns, quotes and the Excel export (peerlib.part2.framework, peerlib.reporting.excel)."""
from __future__ import annotations

import zipfile

import pandas as pd
import pytest
from openpyxl import load_workbook

from peerlib.part2.framework import A_PARTICIPANT, CASE_COLUMNS, coding_summary, framework_matrix, mask_roles, quotes, theme_patterns, theme_sheets
from peerlib.reporting.sections import quotes_display
from peerlib.reporting.excel import write_framework_workbook


@pytest.fixture
def people():
    """Seven participants in register order: S01 (NHS) has five peer workers and a line
    manager, S02 (Voluntary) one service user."""
    rows = [(f"P{i}", "S01", "NHS", "NHS trust", "Peer worker") for i in range(1, 6)]
    rows += [("P6", "S01", "NHS", "NHS trust", "Line manager"),
             ("P7", "S02", "Voluntary", "Voluntary sector", "Service user")]
    frame = pd.DataFrame(rows, columns=["participant_id", "site_id", "sector",
                                        "organisation_type", "role"])
    return frame.astype("string")


@pytest.fixture
def segments():
    """Seven segments; P7 (S02) is listed first to check the site ordering; one segment of
    an unmapped document; theme 'Support' is in the codebook but nobody spoke to it."""
    rows = [
        ("T7", "P7", "S02", "Boundaries", "Role > Boundaries", 0, 5, "Clear limits.", "A"),
        ("T1", "P1", "S01", "Role", "Role", 10, 20, "The role is new.", "A"),
        ("T1", "P1", "S01", "Boundaries", "Role > Boundaries", 30, 40, "We set limits.", "A"),
        ("T1", "P1", "S01", "Boundaries", "Role > Boundaries", 30, 40, "We set limits.", "B"),
        ("T2", "P2", "S01", "Boundaries", "Role > Boundaries", 0, 9, "=HYPERLINK(x)", "A"),
        ("T6", "P6", "S01", "Disclosure", "Role > Disclosure", 3, 9, "Stories shared.", "A"),
        ("T9", None, None, "Role", "Role", 0, 4, "Unmapped words.", "A"),
    ]
    frame = pd.DataFrame(rows, columns=["document", "participant_id", "site_id", "code",
                                        "code_path", "start", "end", "text", "coder"])
    frame = frame.astype({c: "string" for c in frame.columns if c not in ("start", "end")})
    frame = frame.astype({"start": "Int64", "end": "Int64"})
    return frame


@pytest.fixture
def codebook():
    """The code tree imported beside the segments ('Support' unused)."""
    return pd.DataFrame({
        "theme": ["Role", "Role", "Role", "Support"],
        "code": ["Role", "Boundaries", "Disclosure", "Support"],
        "code_path": ["Role", "Role > Boundaries", "Role > Disclosure", "Support"],
        "description": ["", "", "", ""]}).astype("string")


def test_matrix_rows_cells_and_references(segments, people, codebook):
    m = framework_matrix(segments, people, codebook=codebook)
    assert m.columns.tolist() == CASE_COLUMNS + ["Role", "Support"]
    assert m["participant_id"].tolist() == ["P1", "P2", "P6", "P7"]  # S01 first, Part 1 order
    p1 = m.set_index("participant_id").loc["P1", "Role"]
    # two coders coded the same passage: shown once; reference = document, positions
    assert p1 == ("\u201cThe role is new.\u201d [T1, 10-20]\n\n"
                  "\u201cWe set limits.\u201d [T1, 30-40]")
    assert (m["Support"] == "").all()
    summary = coding_summary(segments).set_index("What")["Number"]
    assert summary["Documents not mapped to a participant"] == "1"


def test_theme_sheets_have_the_codes_of_each_theme(segments, people, codebook):
    sheets = theme_sheets(segments, people, codebook=codebook)
    assert list(sheets) == ["Role", "Support"]
    assert sheets["Role"].columns.tolist() == CASE_COLUMNS + ["Role", "Boundaries",
                                                              "Disclosure"]
    assert sheets["Role"].set_index("participant_id").loc["P6", "Disclosure"].startswith(
        "\u201cStories shared.")
    assert sheets["Support"].columns.tolist() == CASE_COLUMNS + ["Support"]
    assert len(sheets["Support"]) == 4 and (sheets["Support"]["Support"] == "").all()


def test_mask_roles_hides_roles_small_at_the_site(segments, people, codebook):
    m = mask_roles(framework_matrix(segments, people, codebook=codebook), people, k=5)
    roles = dict(zip(m["participant_id"], m["role"]))
    assert roles["P1"] == "Peer worker"  # five peer workers at S01
    assert roles["P6"] == roles["P7"] == "not shown (<5 at site)"


def test_workbook_one_sheet_per_theme_and_no_formulas(segments, people, codebook, tmp_path):
    sheets = {t: mask_roles(s, people, k=5)
              for t, s in theme_sheets(segments, people, codebook=codebook).items()}
    path = write_framework_workbook(sheets, tmp_path / "fm.xlsx", title="T", synthetic=True)
    wb = load_workbook(path)
    # readers' sheets, in order; the charting index (excerpt fingerprints) is hidden, last
    assert [n for n in wb.sheetnames if wb[n].sheet_state == "visible"] == [
        "About", "Role", "Support"]
    assert wb.sheetnames[-1] == "peerlib_index" and wb["peerlib_index"].sheet_state != "visible"
    ws = wb["Role"]
    values = [[c.value for c in row] for row in ws.iter_rows()]
    assert values[0][:5] == ["Site", "Participant", "Sector", "Organisation type",
                             "Participant's role"]
    assert values[0][5:] == ["Role", "Boundaries", "Disclosure"]  # codes as they are
    cell = next(c for row in ws.iter_rows() for c in row
                if isinstance(c.value, str) and "HYPERLINK" in c.value)
    assert cell.data_type == "s" and cell.value.startswith("\u201c=HYPERLINK")
    with zipfile.ZipFile(path) as zf:  # no formula element anywhere in the workbook
        assert not any(b"<f>" in zf.read(n) or b"<f " in zf.read(n)
                       for n in zf.namelist() if n.startswith("xl/worksheets/"))
    assert "SYNTHETIC" in wb["About"]["A2"].value


def test_formula_like_cell_value_is_stored_as_text(tmp_path):
    frame = pd.DataFrame({c: ["x"] for c in CASE_COLUMNS} | {"Theme": ["=1+1"]})
    path = write_framework_workbook({"A/B:[c]": frame}, tmp_path / "f.xlsx")
    wb = load_workbook(path)
    assert wb.sheetnames[1] == "A_B__c_"
    cell = wb["A_B__c_"]["F2"]
    assert cell.value == "=1+1" and cell.data_type == "s" and cell.quotePrefix


def test_theme_patterns_count_participants_not_segments(segments, people, codebook):
    """By hand, k = 3: NHS has three participants with coded transcripts (P1, P2, P6),
    all of whom spoke to Role (P1 with three segments counts once): 3 of 3 = 100%; the
    Voluntary group has one (P7 of S02) and is suppressed; peer workers with transcripts
    are two (P1, P2), also suppressed."""
    pat = theme_patterns(segments, people, k=3, codebook=codebook)
    nhs = pat[(pat["by"] == "sector") & (pat["group"] == "NHS")].set_index("theme")
    assert nhs.loc["Role", "n_participants"] == 3 and nhs.loc["Role", "n_spoke"] == 3
    assert nhs.loc["Role", "percent"] == 100.0 and nhs.loc["Support", "n_spoke"] == 0
    vol = pat[(pat["by"] == "sector") & (pat["group"] == "Voluntary")].iloc[0]
    assert vol["suppressed"] and pd.isna(vol["n_spoke"])  # 1 participant < 3
    roles = pat[pat["by"] == "role"].set_index(["group", "theme"])
    assert roles.loc[("Peer worker", "Role"), "n_participants"] == 2
    assert roles.loc[("Peer worker", "Role"), "suppressed"]  # 2 < 3


def test_quotes_attribution_follows_group_sizes(segments, people):
    cross = quotes(segments, people, k=5, per_code=None)
    by_text = dict(zip(cross["quote"], cross["attribution"]))
    assert by_text["We set limits."] == "Peer worker, NHS"  # 5 peer workers at S01
    assert by_text["Stories shared."] == "a participant, NHS"  # one line manager; 6 NHS
    assert by_text["Clear limits."] == A_PARTICIPANT  # one voluntary-sector participant
    assert by_text["Unmapped words."] == A_PARTICIPANT
    assert cross.columns.tolist() == ["theme", "code", "quote", "attribution"]
    shown = quotes_display(cross)
    assert shown.columns.tolist() == ["Theme", "Code", "Quote", "Attribution"]
    assert shown["Quote"].tolist() == cross["quote"].tolist()
    site = quotes(segments, people, k=5, site_id="S01", theme="Role", per_code=1)
    assert set(site["code"]) == {"Role", "Boundaries", "Disclosure"}
    assert dict(zip(site["quote"], site["attribution"]))["The role is new."] == "Peer worker"
    assert "Clear limits." not in set(site["quote"])  # another site's quote
    assert quotes(segments, people, k=6, site_id="S01")["attribution"].eq(
        A_PARTICIPANT).all()


def test_cross_site_quote_names_a_role_only_where_k_share_it_at_the_speakers_site():
    """Five peer workers in the NHS sector but at most three at one site: the matrix shows
    each excerpt beside its site, so a cross-site quote naming "Peer worker, NHS" would
    tell readers of the matrix a role the site rule hides. The sector alone is named (six
    NHS participants); the voluntary sector (one participant) is not."""
    rows = [(f"A{i}", "S01", "NHS", "NHS trust", "Peer worker") for i in range(3)]
    rows += [(f"B{i}", "S02", "NHS", "NHS trust", "Peer worker") for i in range(2)]
    rows += [("B9", "S02", "NHS", "NHS trust", "Line manager"),
             ("C1", "S03", "Voluntary", "Voluntary sector", "Peer worker")]
    people = pd.DataFrame(rows, columns=["participant_id", "site_id", "sector",
                                         "organisation_type", "role"]).astype("string")
    seg = pd.DataFrame({"document": ["D1", "D2", "D3"], "participant_id": ["A0", "B0", "C1"],
                        "site_id": ["S01", "S02", "S03"], "code": "Role", "code_path": "Role",
                        "start": [0, 0, 0], "end": [3, 3, 3], "coder": "A",
                        "text": ["One.", "Two.", "Three."]}).astype(
        {"start": "Int64", "end": "Int64"})
    got = dict(zip(*quotes(seg, people, k=5, per_code=None)[["quote", "attribution"]]
                   .T.values))
    assert got == {"One.": "a participant, NHS", "Two.": "a participant, NHS",
                   "Three.": A_PARTICIPANT}
    got = dict(zip(*quotes(seg, people, k=3, per_code=None)[["quote", "attribution"]]
                   .T.values))
    assert got == {"One.": "Peer worker, NHS", "Two.": "a participant, NHS",
                   "Three.": A_PARTICIPANT}
    site = quotes(seg, people, k=3, site_id="S01", per_code=None)
    assert site["attribution"].tolist() == ["Peer worker"]


def test_demo_cross_site_quotes_name_no_role_unless_k_is_1():
    """The demo's role groups at a site have one or two participants: with k = 5 no
    cross-site quote names a role (only a sector, both sectors having over 30); with k = 1
    every mapped quote does."""
    from peerlib.part2.framework import participants
    from peerlib.part1.prepare import load_prepared
    from peerlib.part2 import load_coded_segments

    people = participants(load_prepared())
    assert people.groupby(["site_id", "role"], observed=True).size().max() <= 2
    segments = load_coded_segments()
    roles = set(people["role"].astype(str))
    shown = quotes(segments, people, k=5, per_code=None)
    assert len(shown) > 20
    assert not any(a.split(",")[0] in roles for a in shown["attribution"])
    assert set(shown["attribution"]) == {"a participant, NHS", "a participant, Voluntary"}
    every = quotes(segments, people, k=1, per_code=None)
    assert all(a.split(", ")[0] in roles for a in every["attribution"])


def test_matrix_rows_follow_pseudonyms_not_the_order_of_the_raw_ids():
    """Within a site the matrix (and workbook) rows are in pseudonym order, not in Part 1's
    order, which follows the raw IDs (often the order of the interviews): a reader at the
    site could otherwise match rows, and all of a person's quotes, to people by their
    place (helper-29's D6)."""
    from peerlib.part1.prepare import load_prepared
    from peerlib.part2 import load_coded_segments
    from peerlib.part2.framework import participants

    people = participants(load_prepared())
    matrix = framework_matrix(load_coded_segments(), people)
    in_part1 = {pid: n for n, pid in enumerate(people["participant_id"].astype(str))}
    moved = 0
    for _, rows in matrix.groupby("site_id", sort=False):
        ids = rows["participant_id"].astype(str).tolist()
        assert ids == sorted(ids)
        moved += ids != sorted(ids, key=in_part1.get)
    assert moved  # the demo's Part 1 order differs from the pseudonyms' at some site
    sites = list(dict.fromkeys(matrix["site_id"].astype(str)))
    assert sites == [s for s in dict.fromkeys(people["site_id"].astype(str)) if s in sites]

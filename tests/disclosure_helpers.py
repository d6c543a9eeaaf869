"""Hard data sets and an independent recoverability check for the disclosure tests.

The check is written apart from :mod:`peerlib.disclosure.mask` on purpose: exact rational
Gaussian elimination (``fractions``) instead of floating-point projections, and brute-force
enumeration of every set of people (cells of site x role) of 1 to k-1 people instead of a
pruned list.
"""
from __future__ import annotations

from fractions import Fraction
from itertools import combinations

import numpy as np
import pandas as pd

ROLES = ["Peer worker", "Non-peer staff", "Line manager",
         "Senior/strategic manager or commissioner", "Service user"]


def make_long(people: list[tuple[str, str, str, str, int]], *, items=("2.1", "2.2", "2.4"),
              seed: int = 7, missing: float = 0.0) -> pd.DataFrame:
    """A prepared-like long table from (site, sector, organisation type, role, count)."""
    rng = np.random.default_rng(seed)
    rows = []
    for site, sector, org, role, count in people:
        for j in range(count):
            pid = f"P-{site}-{role[:3]}-{j}"
            for item in items:
                imp = pd.NA if rng.random() < missing else int(rng.integers(1, 5))
                rows.append({"participant_id": pid, "site_id": site, "site_name": f"Site {site}",
                             "organisation_type": org, "sector": sector, "bme_focus": False,
                             "role": role, "section": "2", "item_id": item,
                             "happening": str(rng.choice(["Yes", "Partly", "No", "Don't know"])),
                             "importance": imp})
    data = pd.DataFrame(rows)
    data["happening"] = pd.Categorical(data["happening"], categories=[
        "Yes", "Partly", "No", "Don't know", "Not relevant", "Missing"], ordered=True)
    data["importance"] = data["importance"].astype("Int64")
    data["role"] = pd.Categorical(data["role"], categories=ROLES, ordered=True)
    data["item_id"] = pd.Categorical(data["item_id"], categories=list(items), ordered=True)
    return data


#: The issue's worked example: NHS sites of 8, 7 and 3; a voluntary site of 5 peer workers
#: and 1 service user.
WORKED_EXAMPLE = [
    ("N1", "NHS", "NHS trust", "Peer worker", 2), ("N1", "NHS", "NHS trust", "Non-peer staff", 2),
    ("N1", "NHS", "NHS trust", "Line manager", 2), ("N1", "NHS", "NHS trust", "Service user", 2),
    ("N2", "NHS", "NHS trust", "Peer worker", 2), ("N2", "NHS", "NHS trust", "Non-peer staff", 2),
    ("N2", "NHS", "NHS trust", "Senior/strategic manager or commissioner", 3),
    ("N3", "NHS", "Partnership", "Peer worker", 1), ("N3", "NHS", "Partnership", "Line manager", 1),
    ("N3", "NHS", "Partnership", "Service user", 1),
    ("V1", "Voluntary", "Voluntary sector", "Peer worker", 5),
    ("V1", "Voluntary", "Voluntary sector", "Service user", 1),
]


#: The privacy tester's data set: NHS sites of 8, 7 and 3 people, a partnership (NHS sector)
#: of 6 and a voluntary site of 5 peer workers and 1 service user. The 3-person site is
#: hidden, so another NHS site must be hidden as its complement (else the NHS total minus the
#: others gives it away); that site has 6 people and gets a pack.
SUBTRACTION_SET = [
    ("S01", "NHS", "NHS trust", "Peer worker", 4), ("S01", "NHS", "NHS trust", "Service user", 1),
    ("S01", "NHS", "NHS trust", "Non-peer staff", 1), ("S01", "NHS", "NHS trust", "Line manager", 1),
    ("S01", "NHS", "NHS trust", "Senior/strategic manager or commissioner", 1),
    ("S02", "NHS", "NHS trust", "Peer worker", 4), ("S02", "NHS", "NHS trust", "Non-peer staff", 3),
    ("S03", "NHS", "NHS trust", "Peer worker", 2), ("S03", "NHS", "NHS trust", "Service user", 1),
    ("S04", "Voluntary", "Voluntary sector", "Peer worker", 5),
    ("S04", "Voluntary", "Voluntary sector", "Service user", 1),
    ("S05", "NHS", "Partnership", "Peer worker", 3), ("S05", "NHS", "Partnership", "Line manager", 3),
]


#: The privacy tester's second set: NHS sites of 8, 6, 3 and 7 and a voluntary site of 6
#: peer workers and 1 service user.
SECOND_SET = [
    ("S01", "NHS", "NHS trust", "Peer worker", 3), ("S01", "NHS", "NHS trust", "Non-peer staff", 3),
    ("S01", "NHS", "NHS trust", "Line manager", 2),
    ("S02", "NHS", "NHS trust", "Peer worker", 3), ("S02", "NHS", "NHS trust", "Non-peer staff", 3),
    ("S03", "NHS", "NHS trust", "Peer worker", 2), ("S03", "NHS", "NHS trust", "Service user", 1),
    ("S05", "NHS", "Partnership", "Peer worker", 4),
    ("S05", "NHS", "Partnership", "Non-peer staff", 3),
    ("S04", "Voluntary", "Voluntary sector", "Peer worker", 6),
    ("S04", "Voluntary", "Voluntary sector", "Service user", 1),
]


def _rref(rows: list[list[Fraction]]) -> list[tuple[int, list[Fraction]]]:
    """Reduced row echelon form: (pivot column, row) pairs."""
    basis: list[tuple[int, list[Fraction]]] = []
    for row in rows:
        row = _reduce(row, basis)
        pivot = next((i for i, v in enumerate(row) if v != 0), None)
        if pivot is None:
            continue
        lead = row[pivot]
        row = [v / lead for v in row]
        basis = [(p, [a - b[p] * c for a, c in zip(b, row)]) if b[pivot] != 0 else (p, b)
                 for p, b in basis]
        basis.append((pivot, row))
    return basis


def _reduce(vec: list[Fraction], basis) -> list[Fraction]:
    vec = list(vec)
    for pivot, row in basis:
        if vec[pivot] != 0:
            factor = vec[pivot]
            vec = [a - factor * b for a, b in zip(vec, row)]
    return vec


def recoverable_small_sets(sizes: dict, visible: list[set], hidden: list[set], k: int,
                           known_zero: bool = True) -> list[tuple]:
    """Every set of cells of 1 to k-1 people, and every hidden group, whose total lies in
    the span of the visible groups (cells of size 0 count as published).

    Parameters
    ----------
    sizes : dict
        Cell -> number of people.
    visible, hidden : list of set
        Published and hidden groups, as sets of cells.

    Returns
    -------
    list of tuple
        The recoverable sets (sorted cells).
    """
    cells = [c for c, n in sizes.items() if n > 0]
    index = {c: i for i, c in enumerate(cells)}

    def vec(group):
        v = [Fraction(0)] * len(cells)
        for c in group:
            if c in index:
                v[index[c]] = Fraction(1)
        return v

    basis = _rref([vec(g) for g in visible])
    found = []
    small = [c for c in cells if sizes[c] < k]
    for r in range(1, k):
        for combo in combinations(small, r):
            if sum(sizes[c] for c in combo) >= k:
                continue
            if not any(_reduce(vec(combo), basis)):
                found.append(tuple(sorted(combo)))
    for group in hidden:
        members = [c for c in group if c in index]
        if members and not any(_reduce(vec(members), basis)):
            found.append(tuple(sorted(members)))
    return found


def write_project(root, people, *, empty_sites=(), name="Hard data set (synthetic)",
                  seed: int = 3, bme_sites=(), site_columns: dict | None = None) -> None:
    """Raw files of a synthetic project in ``root/data/raw``: a site register (with
    ``empty_sites``: (site, sector, organisation type) with no interviews; ``bme_sites``
    BME-focused; ``site_columns``: more register columns a study added, column -> {site:
    value}) and one response row per person of ``people`` ((site, sector, organisation
    type, role, count))."""
    from pathlib import Path

    from peerlib.codebook import load_codebook

    raw = Path(root) / "data" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    sites = {}
    for site, sector, org, *_ in list(people) + [tuple(e) + ("", 0) for e in empty_sites]:
        sites.setdefault(site, (sector, org))
    extra = dict(site_columns or {})
    (raw / "sites.csv").write_text(
        "site_id,site_name,organisation_type,sector,bme_focus,aliases"
        + "".join(f",{c}" for c in extra) + "\n" + "".join(
            f"{s},Invented site {s},{org},{sector},{str(s in bme_sites).lower()},"
            + "".join(f",{v.get(s, '')}" for v in extra.values()) + "\n"
            for s, (sector, org) in sites.items()), encoding="utf-8")
    dd = load_codebook().data_dictionary()
    rng = np.random.default_rng(seed)
    header = ["participant_id", "site_id", "role"]
    for h, i in zip(dd["happening_column"], dd["importance_column"]):
        header += [h, i]
    lines = [",".join(header)]
    for site, _, _, role, count in people:
        for j in range(count):
            row = [f"{site}-{role[:4].strip()}-{j}", site, role]
            for _ in range(len(dd)):
                row.append(str(rng.choice(["Yes", "Partly", "No", "Don't know", ""])))
                row.append("" if rng.random() < 0.1 else str(int(rng.integers(1, 5))))
            lines.append(",".join(f'"{v}"' for v in row))
    (raw / "part1_responses.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (raw / "dataset.yaml").write_text(f"name: {name}\nsynthetic: true\ndescription: "
                                      "invented for the disclosure tests\n", encoding="utf-8")


#: Themes of the Part 2 helper's coding (Taguette tags "Theme > code").
PART2_TAGS = ("Role > Shared understanding", "Disclosure > Pressure to disclose",
              "Boundaries > Contact and availability", "Support > Supervision")


def write_part2(root, people, *, seed: int = 11, only: dict | None = None) -> None:
    """A Taguette highlights export (``part2_taguette.csv``) and the documents map of
    ``write_project``'s participants in ``root/data/raw``: one transcript per person, each
    tag used with probability 0.6 (``only``: site -> the one theme every participant of that
    site speaks to, so that a hidden count would say something about all of them)."""
    from pathlib import Path

    raw = Path(root) / "data" / "raw"
    rng = np.random.default_rng(seed)
    highlights, documents = [], []
    for site, _, _, role, count in people:
        for j in range(count):
            pid = f"{site}-{role[:4].strip()}-{j}"
            doc = f"Transcript {pid}"
            documents.append(f'"{doc}","{pid}","{site}","interview transcript"')
            for tag in PART2_TAGS:
                use = (tag.startswith((only or {})[site]) if site in (only or {})
                       else rng.random() < 0.6)
                if use:
                    n = len(highlights) + 1
                    highlights.append(f'{n},"{doc}","{tag}","Invented sentence {n}."')
    (raw / "part2_taguette.csv").write_text(
        "id,document,tag,content\n" + "\n".join(highlights) + "\n", encoding="utf-8")
    (raw / "qda_documents.csv").write_text(
        "document,participant_id,site_id,kind\n" + "\n".join(documents) + "\n",
        encoding="utf-8")


# ------------------------------------------------------------------ reading published HTML
def _is_count(text: str) -> bool:
    return text.strip().isdigit()


def published_groups(reports_dir, people: pd.DataFrame, roles_plural: dict):
    """Read every published HTML report's tables (not their metadata) and say which groups
    each family of figures shows and hides.

    Parameters
    ----------
    reports_dir : Path
        The published ``reports`` folder.
    people : pandas.DataFrame
        One row per participant: ``site_id``, ``sector``, ``role`` (and, for the
        framework report, ``organisation_type``, ``bme_focus`` and any other site attribute
        its cross-case tables compare by, e.g. ``region``).
    roles_plural : dict
        Readers' plural role label -> role.

    Returns
    -------
    shown, hidden : dict of family -> set of frozenset
        Families ``("happening", item)``, ``("importance", item)``, ``("participants", "")``,
        ``("themes", "")`` (participants with a coded transcript: the framework report);
        each group as the frozenset of its (site, role) cells.
    small : list of str
        Shown figures for 1 to k-1 people (filled by :func:`small_figures`).
    public : set of frozenset
        Groups of the sample composition table (published as is).
    """
    import re
    from pathlib import Path

    from bs4 import BeautifulSoup

    cells = people.astype(str)
    every = set(map(tuple, cells[["site_id", "role"]].to_numpy()))

    def where(**kw):
        sel = np.ones(len(cells), bool)
        for col, value in kw.items():
            sel &= (cells[col] == value).to_numpy()
        return frozenset(map(tuple, cells.loc[sel, ["site_id", "role"]].to_numpy()))

    shown: dict = {}
    hidden: dict = {}
    figures: list = []  # (report, caption, family, group, n)
    public: set = set()

    def put(fam, group, text, report, caption, record_hidden=True):
        target = shown if _is_count(text) else hidden if (
            text not in ("–", "0") and record_hidden) else None
        if target is not None:
            target.setdefault(fam, set()).add(group)
        if _is_count(text):
            figures.append((report, caption, fam, group, int(text)))

    themes = ("themes", "")

    def of_n(text: str) -> str:
        """The group size of a Part 2 cell ("3 of 7 (43%)" -> "7"), or the cell's label."""
        m = re.match(r"\s*\d+ of (\d+)", text)
        return m.group(1) if m else text

    for path in sorted(Path(reports_dir).rglob("*.html")):
        if path.name == "index.html":
            continue
        report = path.relative_to(reports_dir).as_posix()
        soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
        site = path.stem if path.parent.name == "sites" else None
        for tab in soup.find_all("table"):
            cap = tab.find("caption") or tab.find_previous_sibling(
                "p", class_="peerwork-caption")
            caption = cap.get_text() if cap else ""
            head = [th.get_text() for th in tab.find_all("th")]
            rows = [[td.get_text() for td in tr.find_all("td")] for tr in tab.find_all("tr")]
            rows = [r for r in rows if r]
            col = {h: i for i, h in enumerate(head)}
            if caption.startswith("Framework matrix"):  # count the rows, as a reader would
                sites_seen = pd.Series([r[col["Site"]] for r in rows], dtype=object)
                for s, n in sites_seen.value_counts().items():
                    put(themes, where(site_id=s), str(n), report, caption)
                labels = pd.Series([(r[col["Site"]], roles_plural.get(
                    r[col["Participant's role"]])) for r in rows], dtype=object)
                for (s, role), n in labels.value_counts().items():
                    if role:
                        put(themes, where(site_id=s, role=role), str(n), report, caption)
                continue
            for r in rows:
                try:
                    m = re.match(r"(\d+\.\d+)", r[0]) if r else None
                    item = m.group(1) if m else ""
                    if caption == "Participants by role" and site:
                        role = roles_plural.get(r[0])
                        group = where(site_id=site) if r[0] == "Total" else where(
                            site_id=site, role=role)
                        put(("participants", ""), group, r[col["This site"]], report, caption)
                    elif caption.startswith("Answers: count") and site:
                        group = where(site_id=site) if r[col["Group"]] == "This site" else \
                            frozenset(every - where(site_id=site))
                        put(("happening", item), group, r[col["n asked"]], report, caption)
                    elif caption.startswith("Importance (1-4") and site:
                        group = where(site_id=site) if r[col["Group"]] == "This site" else \
                            frozenset(every - where(site_id=site))
                        put(("importance", item), group, r[col["n"]], report, caption)
                    elif caption.startswith("Importance-Performance"):
                        if site:
                            group = where(site_id=site)
                        elif "Sector" in col:
                            group = where(sector=r[col["Sector"]])
                        else:
                            group = frozenset(every)
                        # a point rests on both answers: hidden when either is too few, so a
                        # label here does not say which group is hidden
                        put(("happening", item), group, r[col["n (performance)"]], report, caption,
                            False)
                        put(("importance", item), group, r[col["n (importance)"]], report,
                            caption, False)
                    elif caption.startswith("Answers by sector"):
                        put(("happening", item), where(sector=r[col["Sector"]]), r[col["n asked"]],
                            report, caption)
                    elif caption.startswith("Importance by sector") or caption.startswith(
                            "Importance by role"):
                        g = r[col["Group"]]
                        group = frozenset(every) if g == "All" else (
                            where(sector=g) if "sector" in caption else where(role=g))
                        put(("importance", item), group, r[col["n"]], report, caption)
                    elif caption.startswith("Sector differences"):
                        fam = ("happening", item) if r[col["Measure"]].startswith("Yes") else (
                            "importance", item)
                        for sector in head[2:4]:
                            text = r[col[sector]]
                            n = text.split(" ")[0].split("/")[-1] if "/" in text else text
                            # the denominators are sub-counts (substantive answers): a label
                            # may hide a small denominator of a shown group
                            put(fam, where(sector=sector), n, report, caption, False)
                    elif caption == "Interviews per site and role":
                        s = r[col["Site"]]
                        for h in head[2:]:
                            group = where(site_id=s) if h == "Total" else where(
                                site_id=s, role=roles_plural.get(h))
                            put(("participants", ""), group, r[col[h]], report, caption)
                    elif caption.startswith("Answers and missing answers"):
                        s, item = r[col["Site"]], r[col["Item"]]
                        put(("participants", ""), where(site_id=s), r[col["Participants"]],
                            report, caption)
                        put(("happening", item), where(site_id=s), r[col["Participants"]]
                            if _is_count(r[col["Happening: answered"]]) else "hidden",
                            report, caption)
                        imp = r[col["Importance: answered"]]
                        put(("importance", item), where(site_id=s), imp, report, caption)
                    elif caption == "Imported coded transcripts":
                        if r[0] == "Participants with coded transcripts":
                            put(themes, frozenset(every), r[1], report, caption)
                    elif caption == "Site by theme synthesis":
                        put(themes, where(site_id=r[0]), of_n(r[col[
                            "Participants who spoke to it"]]), report, caption)
                    elif caption.startswith("Participants who spoke to each theme"):
                        kind = {"Sector": "sector", "Organisation type": "organisation_type",
                                "Role": "role"}[r[0]]
                        value = r[1] if kind != "role" else roles_plural.get(r[1], r[1])
                        for text in r[2:]:
                            put(themes, where(**{kind: value}), of_n(text), report, caption)
                    elif caption.startswith("Themes by"):
                        label = caption[len("Themes by "):-len(" of the site")]
                        kind = {"BME focus": "bme_focus"}.get(
                            label, label.replace(" ", "_").casefold())
                        group = where(**{kind: r[0]})
                        put(themes, group, r[col["Participants"]], report, caption)
                        for text in r[col["Participants"] + 1:]:
                            put(themes, group, of_n(text), report, caption)
                    elif caption == "Participants by role and sector":
                        for h in head[1:]:
                            role = roles_plural.get(r[0])
                            kw = {} if h == "Total" else {"sector": h}
                            if r[0] != "Total":
                                kw["role"] = role
                            public.add(where(**kw))
                except (KeyError, IndexError):
                    continue  # a layout this reader does not know (grids...)
    return shown, hidden, figures, public

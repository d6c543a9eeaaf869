"""Deterministic synthetic demo data, clearly labelled as such.

``peerlib demo-data`` writes ``dataset.yaml`` (``synthetic: true``), ``sites.csv`` (10
fictional sites) and ``part1_responses.csv`` (68 interviews whose role x sector counts are
exactly the study's preliminary Part 1 sample, DESIGN.md). The answers are invented: they are
drawn from per-item propensities shifted by sector and role, so that charts show differences,
and typed the way people type them (mixed case, stray spaces, curly apostrophes, numeric codes,
"4 - Extremely important", a few blanks). No real organisation or person is represented.
"""
from __future__ import annotations

import csv
import hashlib
import io
from pathlib import Path

import numpy as np
import yaml

from .._files import atomic_write_bytes
from ..codebook import item_columns, load_codebook
from ..errors import ParameterError

__all__ = ["DEMO_SITES", "STUDY_SAMPLE", "demo_files", "write_demo_data", "write_owned_files",
           "DEMO_SEED", "written_by_demo", "demo_responses", "csv_bytes"]

DEMO_SEED = 20_261_130

#: Fictional case-study sites: (site_id, site_name, organisation_type, sector, bme_focus, aliases).
DEMO_SITES = [
    ("S01", "Ashwell Moor NHS Foundation Trust", "NHS trust", "NHS", False, "Ashwell Moor;S1"),
    ("S02", "Calderbrook Mental Health NHS Trust", "NHS trust", "NHS", False, "Calderbrook;S2"),
    ("S03", "Fennick Vale NHS Trust", "NHS trust", "NHS", True, "Fennick Vale;S3"),
    ("S04", "Wyndle Cross Recovery Partnership", "Partnership", "NHS", False, "Wyndle Cross;S4"),
    ("S05", "Orchard Lane Community Partnership", "Partnership", "NHS", False, "Orchard Lane;S5"),
    ("S06", "Kestrel House Peer Support", "Voluntary sector", "Voluntary", False, "Kestrel;S6"),
    ("S07", "Lantern Collective", "Voluntary sector", "Voluntary", False, "Lantern;S7"),
    ("S08", "Meridian Roots Wellbeing Network", "Voluntary sector", "Voluntary", True,
     "Meridian Roots;S8"),
    ("S09", "Harbour Voices Community Link", "Voluntary sector", "Voluntary", True,
     "Harbour Voices;S9"),
    ("S10", "Tidewell Peer Network", "Voluntary sector", "Voluntary", False, "Tidewell;S10"),
]

#: The study's preliminary Part 1 sample: role -> {sector: count} (DESIGN.md).
STUDY_SAMPLE = {
    "Peer worker": {"Voluntary": 9, "NHS": 7},
    "Non-peer staff": {"Voluntary": 6, "NHS": 8},
    "Line manager": {"Voluntary": 4, "NHS": 7},
    "Senior/strategic manager or commissioner": {"Voluntary": 6, "NHS": 8},
    "Service user": {"Voluntary": 8, "NHS": 5},
}

# Propensity (log-odds shift) of a positive "happening" answer, per item; then shifts by sector
# and role. Invented to make the demo charts show something, not estimates of anything.
_ITEM_BASE = {"2.1": -0.2, "2.2": 0.3, "2.3": 1.0, "2.4": -0.6, "2.5": 0.6, "2.6": -0.3,
              "2.7": 0.9, "2.8": -0.5}
_SECTOR_SHIFT = {
    "NHS": {"2.1": -0.5, "2.2": -0.4, "2.3": 0.5, "2.5": 0.6, "2.6": 0.4, "2.7": -0.3},
    "Voluntary": {"2.1": 0.5, "2.2": 0.5, "2.3": -0.3, "2.4": 0.4, "2.7": 0.6, "2.8": -0.3},
}
_ROLE_SHIFT = {
    "Peer worker": {"2.1": -0.7, "2.6": -0.4, "2.8": 0.3},
    "Non-peer staff": {"2.2": -0.3, "2.8": -0.5},
    "Line manager": {"2.1": 0.4, "2.5": 0.4},
    "Senior/strategic manager or commissioner": {"2.1": 0.7, "2.2": 0.4, "2.6": 0.5},
    "Service user": {"2.4": 0.3, "2.7": 0.6},
}
_ROLE_UNSURE = {"Service user": 0.14, "Senior/strategic manager or commissioner": 0.06}
# Mean importance (1-4 scale) per item and shifts.
_IMPORTANCE_BASE = {"2.1": 3.5, "2.2": 3.1, "2.3": 3.3, "2.4": 2.3, "2.5": 3.6, "2.6": 2.9,
                    "2.7": 3.2, "2.8": 3.5}
_IMPORTANCE_SHIFT = {
    "Peer worker": {"2.4": 0.4, "2.7": 0.3, "2.6": -0.4},
    "Service user": {"2.7": 0.4, "2.3": -0.4},
    "Senior/strategic manager or commissioner": {"2.6": 0.3, "2.3": 0.2},
}

_HAPPENING_CODES = {"Yes": 1, "Partly": 2, "No": 3, "Don't know": 8, "Not relevant": 9}
_IMPORTANCE_LABELS = {4: "Extremely important", 3: "Quite important", 2: "Not very important",
                      1: "Not at all important"}
_COMMENTS = ["", "", "", "", "", "Synthetic demo comment: answered by phone.",
             "Synthetic demo comment: interview cut short.", "Synthetic demo comment."]


def _typed_happening(rng: np.random.Generator, label: str) -> str:
    """One way a person might type ``label`` into a spreadsheet."""
    form = rng.random()
    if form < 0.55:
        return label
    if form < 0.65:
        return label.lower()
    if form < 0.72:
        return label.upper() if label != "Don't know" else "DON'T KNOW"
    if form < 0.80:
        return f" {label} "
    if form < 0.90:
        return str(_HAPPENING_CODES[label])
    return label.replace("'", "\u2019") if "'" in label else label + " "


def _typed_importance(rng: np.random.Generator, score: int) -> str:
    form = rng.random()
    label = _IMPORTANCE_LABELS[score]
    if form < 0.40:
        return str(score)
    if form < 0.65:
        return label
    if form < 0.80:
        return f"{score} - {label}"
    if form < 0.90:
        return label.lower()
    return f"{label}  "


def _happening_answer(rng, item, sector, role) -> str:
    unsure = _ROLE_UNSURE.get(role, 0.03)
    draw = rng.random()
    if draw < unsure:
        return "Don't know"
    if draw < unsure + 0.025:
        return "Not relevant"
    logit = (_ITEM_BASE[item] + _SECTOR_SHIFT[sector].get(item, 0.0)
             + _ROLE_SHIFT[role].get(item, 0.0) + rng.normal(0, 0.6))
    p_yes = 1 / (1 + np.exp(-(logit - 0.7)))
    p_no = 1 / (1 + np.exp(logit + 0.7))
    u = rng.random()
    return "Yes" if u < p_yes else "No" if u < p_yes + p_no else "Partly"


def _importance_answer(rng, item, role) -> int:
    mean = _IMPORTANCE_BASE[item] + _IMPORTANCE_SHIFT.get(role, {}).get(item, 0.0)
    return int(np.clip(np.rint(rng.normal(mean, 0.7)), 1, 4))


def demo_responses(seed: int) -> list[dict]:
    rng = np.random.default_rng(seed)
    items = load_codebook().item_ids
    rows: list[dict] = []
    for sector in ("NHS", "Voluntary"):
        sites = [s for s in DEMO_SITES if s[3] == sector]
        roles = [role for role, counts in STUDY_SAMPLE.items() for _ in range(counts[sector])]
        per_site: dict[str, list[str]] = {s[0]: [] for s in sites}
        for i, role in enumerate(roles):  # deal roles out like cards: every site gets a mix
            per_site[sites[i % len(sites)][0]].append(role)
        for site_id, site_roles in per_site.items():
            for n, role in enumerate(site_roles, start=1):
                row = {"participant_id": f"{site_id}-P{n:02d}",
                       "site_id": site_id if rng.random() > 0.1 else site_id.lower() + " ",
                       "role": role if rng.random() > 0.15 else role.lower(),
                       "interview_date": f"2026-{3 + n % 6:02d}-{1 + (7 * n) % 27:02d}",
                       "interviewer": f"INT-{'ABC'[n % 3]}",
                       "comments": _COMMENTS[int(rng.integers(len(_COMMENTS)))]}
                for item in items:
                    hap_col, imp_col = item_columns(item)
                    answer = _happening_answer(rng, item, sector, role)
                    row[hap_col] = "" if rng.random() < 0.02 else _typed_happening(rng, answer)
                    score = _importance_answer(rng, item, role)
                    row[imp_col] = "" if rng.random() < 0.03 else _typed_importance(rng, score)
                rows.append(row)
    return rows


def csv_bytes(header: list[str], rows: list[list]) -> bytes:
    """A small CSV file's bytes (UTF-8, ``\\n`` line ends, header first), for demo files."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8")


def _csv(rows: list[dict], columns: list[str]) -> bytes:
    return csv_bytes(columns, [[row[c] for c in columns] for row in rows])


def demo_files(seed: int = DEMO_SEED) -> dict[str, bytes]:
    """The demo files' contents, by file name (deterministic for a given ``seed``).

    Returns
    -------
    dict of str to bytes
        ``sites.csv`` (10 rows), ``part1_responses.csv`` (68 rows, one per interview; columns
        participant_id, site_id, role, interview_date, interviewer, comments and two per item)
        and ``dataset.yaml`` (``synthetic: true`` and the SHA-256 of the two CSV files, which
        marks them as written by this command).
    """
    sites = [{"site_id": s[0], "site_name": s[1], "organisation_type": s[2], "sector": s[3],
              "bme_focus": str(s[4]).lower(), "aliases": s[5]} for s in DEMO_SITES]
    items = load_codebook().item_ids
    columns = ["participant_id", "site_id", "role", "interview_date", "interviewer", "comments"]
    for item in items:
        columns.extend(item_columns(item))
    files = {
        "sites.csv": _csv(sites, list(sites[0])),
        "part1_responses.csv": _csv(demo_responses(seed), columns),
    }
    dataset = {
        "name": "Peer worker case study - synthetic demo data",
        "synthetic": True,
        "description": ("Invented answers for 68 interviews at 10 fictional sites, generated "
                        "by `peerlib demo-data`. The role x sector counts match the study's "
                        "preliminary Part 1 sample; every answer is made up. Not study results."),
        "generated_by": "peerlib demo-data",
        "seed": seed,
        "demo_files": {name: hashlib.sha256(data).hexdigest() for name, data in files.items()},
    }
    header = "# Synthetic demo data set, written by `peerlib demo-data`. Not real study data.\n"
    files["dataset.yaml"] = (header + yaml.safe_dump(dataset, sort_keys=False,
                                                      allow_unicode=True)).encode("utf-8")
    return files


def _owned_by_demo(folder: Path, manifest: str) -> dict[str, str]:
    """Hashes of the files the demo command wrote last time, from its manifest (a YAML file
    with ``generated_by: peerlib demo-data`` and ``demo_files``); the manifest itself is
    always the command's own ("*")."""
    spec_path = folder / manifest
    if not spec_path.exists():
        return {}
    try:
        spec = yaml.safe_load(spec_path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError:
        return {}
    if not isinstance(spec, dict) or spec.get("generated_by") != "peerlib demo-data":
        return {}
    return {**spec.get("demo_files", {}), manifest: "*"}


def write_owned_files(out: str | Path, files: dict[str, bytes], manifest: str) -> list[Path]:
    """Write generated demo files into ``out``, never over a file the command did not write.

    Parameters
    ----------
    out : str or Path
        Target folder (created if needed).
    files : dict of str to bytes
        File name -> content; ``files[manifest]`` records the SHA-256 of the others.
    manifest : str
        Name of the manifest among ``files`` (e.g. ``dataset.yaml``).

    Returns
    -------
    list of Path
        The files written (each written to a temporary name, then renamed).

    Raises
    ------
    ParameterError
        When a target exists, differs from the new content and its hash is not the one the
        previous manifest recorded: real data is never overwritten. Nothing is written then.
    """
    out = Path(out)
    owned = _owned_by_demo(out, manifest)
    foreign = []
    for name, data in files.items():
        target = out / name
        if not target.exists() or target.read_bytes() == data:
            continue
        recorded = owned.get(name)
        if recorded == "*" or recorded == hashlib.sha256(target.read_bytes()).hexdigest():
            continue
        foreign.append(str(target))
    if foreign:
        raise ParameterError("Refusing to overwrite files that `peerlib demo-data` did not "
                             "write: " + ", ".join(foreign) + ". Move them away or choose "
                             "another folder with --out.")
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, data in files.items():
        written.append(atomic_write_bytes(out / name, data))
    return written


def write_demo_data(out: str | Path, *, seed: int = DEMO_SEED) -> list[Path]:
    """Write the synthetic demo files into ``out`` (normally ``data/raw``).

    Parameters
    ----------
    out : str or Path
        Target folder (created if needed).
    seed : int
        Random seed; the default reproduces the committed demo files byte for byte.

    Returns
    -------
    list of Path
        The files written.

    Raises
    ------
    ParameterError
        When a target file exists and was not written by this command (real data is never
        overwritten); the message lists those files.
    """
    return write_owned_files(out, demo_files(seed), "dataset.yaml")


def written_by_demo(path: str | Path, manifest: str = "dataset.yaml") -> bool:
    """Whether ``path`` is a file that ``peerlib demo-data`` wrote.

    Parameters
    ----------
    path : str or Path
        A raw input file, e.g. ``data/raw/part1_responses.csv``.
    manifest : str
        The demo's manifest beside it, whose ``demo_files`` record the SHA-256 of what the
        command wrote.

    Returns
    -------
    bool
        True when the file's SHA-256 is the one the manifest recorded for it, or the one
        the default seed writes (so replacing only ``dataset.yaml`` does not make the demo
        answers real).
    """
    path = Path(path)
    if not path.is_file():
        return False
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    recorded = _owned_by_demo(path.parent, manifest).get(path.name)
    if recorded == digest:
        return True
    default = demo_files().get(path.name)
    return default is not None and hashlib.sha256(default).hexdigest() == digest


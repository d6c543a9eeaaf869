"""Hand-made Part 2 tables for the case, co-occurrence, linkage and summary tests.

Two sites: S01 (NHS trust, NHS, region North) with six coded participants A1-A6, and S02
(Voluntary sector, Voluntary, region South) with three, B1-B3; one site document at S01.
Themes (code paths): "Role > Shared", "Role > Distinct", "Boundaries > Contact",
"Support > Training".
"""
from __future__ import annotations

import pandas as pd

SPOKE = {  # participant -> code paths in their transcript
    "A1": ["Role > Shared", "Boundaries > Contact"],
    "A2": ["Role > Shared", "Boundaries > Contact"],
    "A3": ["Role > Shared", "Boundaries > Contact"],
    "A4": ["Role > Distinct", "Boundaries > Contact"],
    "A5": ["Role > Shared", "Boundaries > Contact", "Support > Training"],
    "A6": ["Support > Training"],
    "B1": ["Role > Shared"],
    "B2": ["Role > Shared", "Support > Training"],
    "B3": ["Boundaries > Contact"],
}
SITE = {p: ("S01" if p.startswith("A") else "S02") for p in SPOKE}
CODEBOOK = pd.DataFrame({
    "theme": ["Role", "Role", "Role", "Boundaries", "Boundaries", "Support", "Support"],
    "code": ["Role", "Shared", "Distinct", "Boundaries", "Contact", "Support", "Training"],
    "code_path": ["Role", "Role > Shared", "Role > Distinct", "Boundaries",
                  "Boundaries > Contact", "Support", "Support > Training"],
    "description": [""] * 7}).astype("string")


def segments() -> pd.DataFrame:
    rows = []
    for pid, paths in SPOKE.items():
        for i, path in enumerate(paths):
            rows.append({"document": f"T-{pid}", "participant_id": pid, "site_id": SITE[pid],
                         "code": path.split(" > ")[-1], "code_path": path,
                         "start": 10 * i, "end": 10 * i + 8, "text": f"{pid} on {path}",
                         "coder": "Coder A", "kind": "transcript"})
    rows.append({"document": "JD S01", "participant_id": pd.NA, "site_id": "S01",
                 "code": "Contact", "code_path": "Boundaries > Contact", "start": 0,
                 "end": 5, "text": "Contact within hours.", "coder": "Coder A",
                 "kind": "job description"})
    frame = pd.DataFrame(rows)
    frame = frame.astype({c: "string" for c in frame.columns if c not in ("start", "end")})
    return frame.astype({"start": "Int64", "end": "Int64"})


def people() -> pd.DataFrame:
    return pd.DataFrame({
        "participant_id": list(SPOKE), "site_id": [SITE[p] for p in SPOKE],
        "sector": ["NHS" if SITE[p] == "S01" else "Voluntary" for p in SPOKE],
        "organisation_type": ["NHS trust" if SITE[p] == "S01" else "Voluntary sector"
                              for p in SPOKE],
        "role": ["Peer worker"] * len(SPOKE)}).astype("string")


def sites() -> pd.DataFrame:
    return pd.DataFrame({"site_id": ["S01", "S02"], "site_name": ["Ashwell", "Lantern"],
                         "organisation_type": ["NHS trust", "Voluntary sector"],
                         "sector": ["NHS", "Voluntary"], "bme_focus": [False, True],
                         "aliases": [(), ()], "region": ["North", "South"]})

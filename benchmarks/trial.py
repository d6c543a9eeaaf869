"""A synthetic national trial: 200 sites x 50 participants x 30 items (300,000 answers).

Writes a project's ``data/raw/`` (``dataset.yaml`` marked synthetic, ``sites.csv`` across the
three organisation types and both sectors, ``part1_responses.csv``) and a 30-item codebook
(the shipped codebook's scales and roles, items 2.1-2.8 and 22 drafted items in sections 1
and 3) for ``peerlib prepare --codebook``. Answers are random but deterministic (a seed), with
site- and item-level tendencies so that charts show differences.

Run: ``.venv/bin/python benchmarks/trial.py PROJECT_DIR [--sites 200] [--people 50]``;
``benchmarks/batch.py --trial`` uses it. Synthetic data only: every site name is invented.
"""
from __future__ import annotations

import argparse
import csv
import io
from pathlib import Path

import numpy as np
import yaml

HAPPENING = ["Yes", "Partly", "No", "Don't know", "Not relevant"]
ROLES = ["Peer worker", "Non-peer staff", "Line manager",
         "Senior/strategic manager or commissioner", "Service user"]
ORG_TYPES = [("NHS trust", "NHS"), ("Partnership", "NHS"), ("Partnership", "Voluntary"),
             ("Voluntary sector", "Voluntary")]
_PLACES = ["Ash", "Birch", "Cedar", "Elm", "Fern", "Hazel", "Holly", "Larch", "Maple", "Oak",
           "Rowan", "Willow", "Yew", "Alder", "Beech"]
_FEATURES = ["brook", "dale", "field", "ford", "gate", "ham", "hurst", "leigh", "mere",
             "moor", "stead", "ton", "well", "wick"]


def trial_codebook(n_items: int = 30) -> dict:
    """The shipped codebook with ``n_items`` items: 2.1-2.8 as shipped, the rest drafted
    (sections 1 and 3, marked ``draft: true``)."""
    from peerlib.codebook import default_codebook_path

    spec = yaml.safe_load(default_codebook_path().read_text(encoding="utf-8"))
    items = [item for item in spec["items"] if item["section"] == "2"]
    extra = n_items - len(items)
    for i in range(extra):
        section = "1" if i < extra // 2 else "3"
        number = i + 1 if section == "1" else i - extra // 2 + 1
        items.append({"id": f"{section}.{number}", "section": section,
                      "wording": f"Drafted trial statement {section}.{number} (synthetic)",
                      "label": f"Trial item {section}.{number}", "draft": True})
    order = {"1": 0, "2": 1, "3": 2}
    spec["items"] = sorted(items, key=lambda it: (order[it["section"]],
                                                  int(it["id"].split(".")[1])))
    return spec


def trial_files(n_sites: int = 200, n_people: int = 50, n_items: int = 30,
                seed: int = 2026) -> dict[str, bytes]:
    """The raw files of the trial (``dataset.yaml``, ``sites.csv``, ``part1_responses.csv``,
    ``codebook.yaml``) as bytes."""
    rng = np.random.default_rng(seed)
    codebook = trial_codebook(n_items)
    item_ids = [item["id"] for item in codebook["items"]]
    sites = []
    for s in range(n_sites):
        org, sector = ORG_TYPES[s % len(ORG_TYPES)]
        name = (f"{_PLACES[s % len(_PLACES)]}{_FEATURES[(s // len(_PLACES)) % len(_FEATURES)]}"
                f" {org} {s + 1:03d}")
        sites.append([f"T{s + 1:03d}", name, org, sector, "true" if s % 7 == 0 else "false",
                      ""])
    site_lean = rng.normal(0, 0.8, n_sites)
    item_lean = rng.normal(0, 0.8, len(item_ids))
    header = ["participant_id", "site_id", "role"]
    for item in item_ids:
        stem = "q" + item.replace(".", "_")
        header += [f"{stem}_happening", f"{stem}_importance"]
    rows = []
    for s, site in enumerate(sites):
        roles = rng.choice(len(ROLES), size=n_people, p=[.25, .2, .15, .15, .25])
        for p in range(n_people):
            row = [f"{site[0]}-P{p + 1:02d}", site[0], ROLES[roles[p]]]
            lean = site_lean[s] + item_lean
            p_yes = 1 / (1 + np.exp(-lean))
            u = rng.random(len(item_ids))
            happening = np.where(u < p_yes * .6, 0, np.where(u < p_yes * .6 + .2, 1,
                                 np.where(u < .9, 2, np.where(u < .96, 3, 4))))
            missing = rng.random(len(item_ids)) < .02
            importance = np.clip(np.round(rng.normal(3 + lean / 3, .8)), 1, 4).astype(int)
            no_importance = rng.random(len(item_ids)) < .03
            for i in range(len(item_ids)):
                row.append("" if missing[i] else HAPPENING[happening[i]])
                row.append("" if no_importance[i] else str(importance[i]))
            rows.append(row)

    def csv_bytes(head, body):
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(head)
        writer.writerows(body)
        return buf.getvalue().encode("utf-8")

    dataset = {"name": f"Synthetic national trial ({n_sites} sites)", "synthetic": True,
               "description": f"Invented answers of {n_sites * n_people} participants at "
                              f"{n_sites} fictional sites on {len(item_ids)} items, written by "
                              "benchmarks/trial.py for timing. Not study results."}
    return {
        "dataset.yaml": yaml.safe_dump(dataset, sort_keys=False).encode("utf-8"),
        "sites.csv": csv_bytes(["site_id", "site_name", "organisation_type", "sector",
                                "bme_focus", "aliases"], sites),
        "part1_responses.csv": csv_bytes(header, rows),
        "codebook.yaml": yaml.safe_dump(codebook, sort_keys=False,
                                        allow_unicode=True).encode("utf-8"),
    }


def write_trial(project: Path, **kwargs) -> Path:
    """Write the trial's raw files into ``project/data/raw`` (the codebook beside them);
    return the codebook's path."""
    raw = Path(project) / "data" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    for name, data in trial_files(**kwargs).items():
        (raw / name).write_bytes(data)
    return raw / "codebook.yaml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("project", type=Path, help="project folder to write data/raw into")
    parser.add_argument("--sites", type=int, default=200)
    parser.add_argument("--people", type=int, default=50)
    parser.add_argument("--items", type=int, default=30)
    args = parser.parse_args()
    codebook = write_trial(args.project, n_sites=args.sites, n_people=args.people,
                           n_items=args.items)
    print(f"wrote {args.project / 'data' / 'raw'}; prepare with: peerlib prepare --codebook "
          f"{codebook}")


if __name__ == "__main__":
    main()

"""Deterministic synthetic Part 2 demo: coded transcripts as a REFI-QDA project and Taguette CSV.

For every participant of the synthetic Part 1 demo (:mod:`peerlib.demo`), a short invented
"transcript" of a few sentences, each sentence coded with one code of a small framework
(four themes). Every transcript starts with a line saying it is synthetic. Some sentences
name invented people, places and services, which the demo redaction list covers, so the
redaction at import shows. A few documents are coded a second time by another coder, with
deliberate differences (a sentence missed, a different code, a longer span), so inter-coder
agreement has something to measure.

Files written into ``data/raw`` by ``peerlib demo-data`` (beside the Part 1 demo):

- ``part2_demo.qdpx``: REFI-QDA 1.5 project (``project.qde`` + ``sources/*.txt``, UTF-8 with
  a byte-order mark, Windows line endings; positions in code points, end exclusive);
- ``part2_demo_taguette.csv``: the first coder's highlights as Taguette exports them
  (``id``, ``document``, ``tag``, ``content``; tags are code paths "Theme > Code");
- ``qda_documents.csv``: document name -> raw participant ID and site; three invented site
  documents (a job description, a service specification, a strategic plan) map to a site
  with no participant and say their ``kind``;
- ``redaction_list.csv``: the invented names, places and services (``term``, ``category``);
- ``theme_items.csv``: the demo framework's links to Part 1 statements (theme "Boundaries"
  to item 2.5, ...), for the Part 1 x Part 2 comparison;
- ``part2_demo.yaml``: marks these files (SHA-256) as written by the command, so it may
  replace them and refuses to replace anything else.
"""
from __future__ import annotations

import hashlib
import io
import uuid
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from ..part1.demo import csv_bytes as _csv
from ..part1.demo import write_owned_files

__all__ = ["QDA_DEMO_SEED", "DEMO_FRAMEWORK", "DEMO_CODERS", "DOUBLE_CODED", "SITE_DOCUMENTS",
           "demo_segments", "qda_demo_files", "write_qda_demo"]

QDA_DEMO_SEED = 20_261_201
PROJECT_NS = "urn:QDA-XML:project:1.0"
_NS_UUID = uuid.UUID("6f1d2c3e-0000-4000-8000-7065657277a0")
_ZIP_DATE = (2026, 1, 1, 0, 0, 0)
_HEADER = "SYNTHETIC DEMO TRANSCRIPT: invented text, not from any interview."

#: The demo framework: theme -> {code: invented sentences}. {name}/{place}/{service} are
#: filled with invented terms that the demo redaction list covers.
DEMO_FRAMEWORK: dict[str, dict[str, list[str]]] = {
    "Role": {
        "Shared understanding": [
            "People here mostly agree what the peer role is for.",
            "Some teams still ask what exactly the peer worker does.",
            "It took a year before the ward understood the role.",
            "{name} explained the role to every new team at {place}.",
        ],
        "Distinct from other roles": [
            "The role is different because it starts from shared experience.",
            "Sometimes the role gets pulled into covering support work.",
            "We are not there to do what the nurses do.",
        ],
    },
    "Disclosure": {
        "Using lived experience": [
            "Sharing a bit of my story can open a conversation.",
            "I choose what to share and when it helps the person.",
            "Hearing that someone had been through it gave me hope.",
        ],
        "Pressure to disclose": [
            "Nobody should expect you to tell your whole history.",
            "At the start I felt I had to share more than I wanted.",
        ],
    },
    "Boundaries": {
        "Contact and availability": [
            "We agreed I would not give out my own phone number.",
            "Contact after the support ends is talked through with {name}.",
            "Being available in the evenings was never part of the job.",
        ],
        "Confidentiality": [
            "Confidentiality works the same for peer workers as for staff.",
            "Meeting people from {service} outside work needed a plan.",
        ],
    },
    "Support": {
        "Supervision": [
            "Supervision with {name} every month keeps me going.",
            "Peer supervision from {service} was the most useful support.",
            "Supervision is there, but it is often cancelled.",
        ],
        "Training": [
            "The training covered crisis work only briefly.",
            "Training at {place} was shared with other new starters.",
            "More training on recording notes would help.",
        ],
    },
}

#: Invented terms used in the transcripts, and their redaction categories.
_TERMS = {
    "name": ["Robin Castell", "Dana Orwell", "Sam Penhale", "Alex Morrow"],
    "place": ["Ferncombe", "Little Ashby", "Northgate Road"],
    "service": ["the Larchfield crisis team", "Brightwater Recovery College",
                "the Stonebridge day service"],
}
#: Invented site documents (documentary evidence, mapped to a site, not a participant):
#: (document, site_id, kind, [(theme, code, sentence), ...]).
SITE_DOCUMENTS = [
    ("Peer support worker job description (synthetic)", "S02", "job description", [
        ("Role", "Distinct from other roles",
         "The post holder uses their own lived experience of mental distress to support "
         "people."),
        ("Boundaries", "Contact and availability",
         "Contact with people supported is within working hours, from a work phone."),
        ("Support", "Supervision",
         "Monthly supervision is provided by a peer support lead."),
    ]),
    ("Peer support service specification (synthetic)", "S06", "service specification", [
        ("Role", "Shared understanding",
         "All staff receive a briefing on what peer workers do and do not do."),
        ("Support", "Training",
         "Peer workers complete accredited peer support training within six months."),
    ]),
    ("Recovery strategy 2025-2028 (synthetic)", "S09", "strategic plan", [
        ("Role", "Shared understanding",
         "Peer roles are part of every community team by the end of the strategy."),
        ("Disclosure", "Using lived experience",
         "Lived experience is valued as expertise alongside professional training."),
    ]),
]

#: The two demo coders (REFI-QDA Users).
DEMO_CODERS = ("Coder A (synthetic)", "Coder B (synthetic)")
#: Documents coded a second time by Coder B (by position in the document list).
DOUBLE_CODED = (0, 9, 20, 35, 50, 61)


def _guid(*parts: object) -> str:
    return str(uuid.uuid5(_NS_UUID, "/".join(map(str, parts)))).upper()


def _people(seed: int) -> list[tuple[str, str, str]]:
    """(raw participant ID, site_id, role) of the Part 1 demo, in its order."""
    from ..codebook import load_codebook
    from ..part1.demo import DEMO_SEED, demo_responses

    roles = {r.casefold(): r for r in load_codebook().role_labels}
    return [(r["participant_id"], r["participant_id"].split("-")[0],
             roles[r["role"].strip().casefold()]) for r in demo_responses(DEMO_SEED)]


def _code_paths() -> list[tuple[str, str, str]]:
    return [(theme, code, f"{theme} > {code}") for theme, codes in DEMO_FRAMEWORK.items()
            for code in codes]


def _transcripts(seed: int):
    """Per participant: document name, text (CRLF) and the coded sentences with spans."""
    rng = np.random.default_rng(seed)
    codes = _code_paths()
    docs = []
    for n, (pid, site, role) in enumerate(_people(seed), start=1):
        name = f"Part 2 transcript {n:02d}"
        chosen = sorted(rng.choice(len(codes), size=int(rng.integers(3, 6)), replace=False))
        lines = [_HEADER, "Interviewer: Thank you for talking with us about the peer "
                          "worker role."]
        spans = []
        text = "\r\n".join(lines) + "\r\n"
        for idx in chosen:
            theme, code, path = codes[idx]
            options = DEMO_FRAMEWORK[theme][code]
            sentence = options[int(rng.integers(len(options)))]
            for cat, terms in _TERMS.items():
                sentence = sentence.replace("{" + cat + "}", terms[int(rng.integers(len(
                    terms)))])
            question = f"Interviewer: Can you say more about {code.lower()}?"
            text += question + "\r\n" + "Participant: "
            start = len(text)
            text += sentence
            spans.append({"theme": theme, "code": code, "code_path": path, "start": start,
                          "end": len(text), "text": sentence})
            text += "\r\n"
        docs.append({"document": name, "participant_id": pid, "site_id": site, "role": role,
                     "text": text, "spans": spans, "kind": "transcript"})
    return docs + _site_documents()


def _site_documents():
    """The invented site documents, as :func:`_transcripts` gives transcripts."""
    docs = []
    for name, site, kind, parts in SITE_DOCUMENTS:
        text = f"SYNTHETIC DEMO DOCUMENT: invented text ({kind}).\r\n"
        spans = []
        for theme, code, sentence in parts:
            start = len(text)
            text += sentence
            spans.append({"theme": theme, "code": code, "code_path": f"{theme} > {code}",
                          "start": start, "end": len(text), "text": sentence})
            text += "\r\n"
        docs.append({"document": name, "participant_id": None, "site_id": site,
                     "role": None, "text": text, "spans": spans, "kind": kind})
    return docs


def _second_coding(doc: dict, k: int) -> list[dict]:
    """Coder B's coding of a double-coded document: mostly the same, with differences."""
    spans = [dict(s) for s in doc["spans"]]
    if k % 3 == 0 and len(spans) > 2:  # a sentence missed
        spans.pop(1)
    if k % 3 == 1:  # a different code for the first sentence
        first = spans[0]
        theme = first["theme"]
        other = [c for c in DEMO_FRAMEWORK[theme] if c != first["code"]][0]
        first.update(code=other, code_path=f"{theme} > {other}")
    if k % 2 == 0:  # a longer span: Coder B includes "Participant: "
        last = spans[-1]
        last["start"] -= len("Participant: ")
        last["text"] = doc["text"][last["start"]:last["end"]]
    return spans


def demo_segments(seed: int = QDA_DEMO_SEED) -> pd.DataFrame:
    """The demo coding as it is meant to be read back (unredacted, raw participant IDs).

    Returns
    -------
    pandas.DataFrame
        One row per coded segment in document order (the transcripts, then the site
        documents): ``document``, ``participant_id`` (raw, e.g. "S01-P01"; None for a site
        document), ``site_id``, ``code``, ``code_path``, ``start``, ``end`` (code points,
        end exclusive, CR+LF counting 2), ``text``, ``coder``, ``kind`` ("transcript", or
        the site document's kind); Coder A's segments of a document before Coder B's.
        The round-trip test compares this with
        what :func:`peerlib.part2.refi.read_qdpx` reads from :func:`qda_demo_files`' project.
    """
    rows = []
    for i, doc in enumerate(_transcripts(seed)):
        codings = [(DEMO_CODERS[0], doc["spans"])]
        if i in DOUBLE_CODED:
            codings.append((DEMO_CODERS[1], _second_coding(doc, DOUBLE_CODED.index(i))))
        for coder, spans in codings:
            for s in spans:
                rows.append({"document": doc["document"], "participant_id":
                             doc["participant_id"], "site_id": doc["site_id"],
                             "code": s["code"], "code_path": s["code_path"],
                             "start": s["start"], "end": s["end"], "text": s["text"],
                             "coder": coder, "kind": doc["kind"]})
    return pd.DataFrame(rows)


def _element(parent, tag, **attrs):
    return ET.SubElement(parent, f"{{{PROJECT_NS}}}{tag}", {k: str(v) for k, v in
                                                             attrs.items()})


def _project(seed: int) -> tuple[bytes, dict[str, bytes]]:
    ET.register_namespace("", PROJECT_NS)
    root = ET.Element(f"{{{PROJECT_NS}}}Project", {
        "name": "Peer worker case study - synthetic Part 2 demo",
        "origin": "peerlib demo-data (synthetic)",
        "creationDateTime": "2026-01-01T00:00:00Z"})
    users = _element(root, "Users")
    user_guid = {c: _guid("user", c) for c in DEMO_CODERS}
    for coder in DEMO_CODERS:
        _element(users, "User", guid=user_guid[coder], name=coder)
    book = _element(root, "CodeBook")
    codes_el = _element(book, "Codes")
    code_guid = {}
    for theme, codes in DEMO_FRAMEWORK.items():
        theme_el = _element(codes_el, "Code", guid=_guid("code", theme), name=theme,
                            isCodable="true")
        code_guid[theme] = _guid("code", theme)
        for code in codes:
            path = f"{theme} > {code}"
            code_guid[path] = _guid("code", path)
            el = _element(theme_el, "Code", guid=code_guid[path], name=code,
                          isCodable="true")
            _element(el, "Description").text = f"Synthetic demo code: {code.lower()}."
    sources_el = _element(root, "Sources")
    files = {}
    segments = demo_segments(seed)
    for doc in _transcripts(seed):
        guid = _guid("source", doc["document"])
        src = _element(sources_el, "TextSource", guid=guid, name=doc["document"],
                       plainTextPath=f"internal://{guid}.txt",
                       creatingUser=user_guid[DEMO_CODERS[0]])
        files[f"sources/{guid}.txt"] = b"\xef\xbb\xbf" + doc["text"].encode("utf-8")
        sub = segments[segments["document"] == doc["document"]]
        for j, rec in enumerate(sub.itertuples(index=False)):
            sel = _element(src, "PlainTextSelection",
                           guid=_guid("sel", doc["document"], rec.coder, j),
                           name=rec.text, startPosition=rec.start, endPosition=rec.end,
                           creatingUser=user_guid[rec.coder])
            coding = _element(sel, "Coding", guid=_guid("coding", doc["document"],
                                                        rec.coder, j),
                              creatingUser=user_guid[rec.coder])
            _element(coding, "CodeRef", targetGUID=code_guid[rec.code_path])
    ET.indent(root, space=" ")
    xml = b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="utf-8",
                                                                   xml_declaration=False)
    return xml, files


def _zip(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in entries.items():
            info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, data)
    return buf.getvalue()


def qda_demo_files(seed: int = QDA_DEMO_SEED) -> dict[str, bytes]:
    """The Part 2 demo files' contents by file name (deterministic for a ``seed``).

    Returns
    -------
    dict of str to bytes
        ``part2_demo.qdpx``, ``part2_demo_taguette.csv``, ``qda_documents.csv``,
        ``redaction_list.csv`` and ``part2_demo.yaml`` (the manifest: SHA-256 of the
        others, ``synthetic: true``).
    """
    xml, sources = _project(seed)
    qdpx = _zip({"project.qde": xml, **sources})
    segments = demo_segments(seed)
    first = segments[segments["coder"] == DEMO_CODERS[0]]
    taguette = _csv(["id", "document", "tag", "content"],
                    [[i, r.document, r.code_path, r.text]
                     for i, r in enumerate(first.itertuples(index=False), start=1)])
    docs = segments.drop_duplicates("document")
    documents = _csv(["document", "participant_id", "site_id", "kind"],
                     [[r.document, "" if pd.isna(r.participant_id) else r.participant_id, r.site_id,
                       "" if r.kind == "transcript" else r.kind]
                      for r in docs.itertuples(index=False)])
    redactions = _csv(["term", "category"], [[t, cat] for cat, terms in _TERMS.items()
                                             for t in terms])
    links = _csv(["theme", "item_id"], [["Role", "2.1"], ["Role", "2.2"],
                                        ["Disclosure", "2.4"], ["Boundaries", "2.5"]])
    files = {"part2_demo.qdpx": qdpx, "part2_demo_taguette.csv": taguette,
             "qda_documents.csv": documents, "redaction_list.csv": redactions,
             "theme_items.csv": links}
    manifest = {"generated_by": "peerlib demo-data", "synthetic": True, "seed": seed,
                "description": "Synthetic Part 2 demo: invented transcripts and codings.",
                "demo_files": {n: hashlib.sha256(d).hexdigest() for n, d in files.items()}}
    files["part2_demo.yaml"] = ("# Synthetic Part 2 demo files, written by `peerlib "
                                "demo-data`. Not real study data.\n" + yaml.safe_dump(
                                    manifest, sort_keys=False)).encode("utf-8")
    return files


def write_qda_demo(out: str | Path, *, seed: int = QDA_DEMO_SEED) -> list[Path]:
    """Write the Part 2 demo files into ``out`` (normally ``data/raw``).

    Returns
    -------
    list of Path
        The files written.

    Raises
    ------
    ParameterError
        When a target exists, differs, and was not written by this command (its hash is not
        in ``part2_demo.yaml``): real files are never overwritten.
    """
    return write_owned_files(out, qda_demo_files(seed), "part2_demo.yaml")

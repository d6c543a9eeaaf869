"""Build small REFI-QDA files for tests: structural copies of real exports, neutral text.

Positions are computed here independently of peerlib: code points are Python string indices
of the text *as stored* (after a UTF-8 byte-order mark, CR+LF counting 2); UTF-16 code units
are ``len(text[:i].encode("utf-16-le")) // 2``.
"""
from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import quoteattr

PROJECT_NS = "urn:QDA-XML:project:1.0"
CODEBOOK_NS = "urn:QDA-XML:codebook:1.0"


def utf16_pos(text: str, index: int) -> int:
    """UTF-16 code units before code-point ``index`` of ``text``."""
    return len(text[:index].encode("utf-16-le")) // 2


@dataclass
class Sel:
    """A plain-text selection: code-point span of ``phrase`` in the text, codes, user."""

    phrase: str
    codes: list[str]
    user: str | None = "u1"
    occurrence: int = 0
    name: str | None = None  # default: the phrase itself (what NVivo/QualCoder write)


@dataclass
class Doc:
    name: str
    text: str
    selections: list[Sel] = field(default_factory=list)
    guid: str = ""
    bom: bool = False
    inline: bool = False


def span(text: str, phrase: str, occurrence: int = 0) -> tuple[int, int]:
    start = -1
    for _ in range(occurrence + 1):
        start = text.index(phrase, start + 1)
    return start, start + len(phrase)


CODES = {  # guid: (name, parent guid)
    "c-role": ("Role", None),
    "c-bound": ("Boundaries", "c-role"),
    "c-disc": ("Disclosure", "c-role"),
    "c-supp": ("Support", None),
    "c-train": ("Training", "c-supp"),
}
USERS = {"u1": "Coder A", "u2": "Coder B"}


def codebook_xml(codes: dict = CODES, *, ns: str = PROJECT_NS, guid_case=str.lower) -> str:
    def children(parent):
        out = []
        for guid, (name, par) in codes.items():
            if par == parent:
                out.append(f'<Code guid="{guid_case(guid)}" name={quoteattr(name)} '
                           f'isCodable="true"><Description>About {name}</Description>'
                           f'{children(guid)}</Code>')
        return "".join(out)
    xmlns = f' xmlns="{ns}"' if ns else ""
    return f"<CodeBook{xmlns}><Codes>{children(None)}</Codes><Sets/></CodeBook>"


def project_xml(docs: list[Doc], *, origin: str = "QualCoder 3.5", units: str = "codepoints",
                crlf_as_one: bool = False, inclusive_end: bool = False,
                codebook_ns: str | None = None, extra: str = "", ns: str = PROJECT_NS,
                guid_case=str.lower) -> str:
    """The project.qde text; selection positions in ``units`` (codepoints | utf16)."""
    sources = []
    for i, doc in enumerate(docs):
        doc.guid = doc.guid or f"src-{i}"
        sels = []
        for j, sel in enumerate(doc.selections):
            a, b = span(doc.text, sel.phrase, sel.occurrence)
            if units == "utf16":
                a, b = utf16_pos(doc.text, a), utf16_pos(doc.text, b)
            if crlf_as_one:  # a wrong count, to be reported
                a -= doc.text[:a].count("\r\n")
                b -= doc.text[:b].count("\r\n")
            if inclusive_end:
                b -= 1
            codings = "".join(
                f'<Coding guid="cd-{i}-{j}-{k}"' + (f' creatingUser="{sel.user}"' if sel.user
                                                  else "")
                + f'><CodeRef targetGUID="{guid_case(code)}"/></Coding>'
                for k, code in enumerate(sel.codes))
            name = sel.phrase if sel.name is None else sel.name
            sels.append(f'<PlainTextSelection guid="sel-{i}-{j}" name={quoteattr(name)} '
                        f'startPosition="{a}" endPosition="{b}">{codings}'
                        "</PlainTextSelection>")
        if doc.inline:
            content = f"<PlainTextContent>{_esc(doc.text)}</PlainTextContent>"
            path = ""
        else:
            content, path = "", f' plainTextPath="internal://{doc.guid}.txt"'
        sources.append(f'<TextSource guid="{doc.guid}" name={quoteattr(doc.name)}{path}>'
                       f'{content}{"".join(sels)}</TextSource>')
    users = "".join(f'<User guid="{g}" name="{n}"/>' for g, n in USERS.items())
    book = codebook_xml(ns=codebook_ns if codebook_ns is not None else "",
                        guid_case=guid_case)
    xmlns = f' xmlns="{ns}"' if ns else ""
    return (f'<?xml version="1.0" encoding="utf-8"?>\n<Project{xmlns} name="Test" '
            f'origin={quoteattr(origin)}><Users>{users}</Users>{book}'
            f'<Sources>{"".join(sources)}</Sources>{extra}</Project>')


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def write_qdpx(path: Path, docs: list[Doc], *, project_name: str = "project.qde",
               sources_dir: str = "sources", markers: bool = False, **kwargs) -> Path:
    """Write a .qdpx: project XML plus one UTF-8 text file per non-inline document."""
    xml = project_xml(docs, **kwargs)
    with zipfile.ZipFile(path, "w") as zf:
        if markers:
            zf.writestr(f"{sources_dir}/", b"")
            zf.writestr(f"{sources_dir}/.keep", b"")
        zf.writestr(project_name, xml.encode("utf-8"))
        for doc in docs:
            if not doc.inline:
                data = doc.text.encode("utf-8")
                zf.writestr(f"{sources_dir}/{doc.guid}.txt",
                            (b"\xef\xbb\xbf" if doc.bom else b"") + data)
    return path


def independent_character_agreement(seg, coders, codes=None) -> tuple[float, float, float]:
    """Percentage agreement, Cohen's kappa and Krippendorff's alpha of two coders, written
    out independently of peerlib.agreement: character units from 0 to the last coded
    position of each double-coded document, pooled over ``codes`` (default every code path
    in ``seg``); kappa and alpha by their textbook formulas (Cohen 1960; Krippendorff 2011
    for two coders without missing values)."""
    import numpy as np

    first, second = coders
    a_all, b_all = [], []
    for _, d in seg.groupby("document"):
        if d["coder"].nunique() < 2:
            continue
        extent = int(d["end"].max())
        for code in (seg["code_path"].unique() if codes is None else codes):
            vec = {}
            for coder in (first, second):
                v = np.zeros(extent)
                for s, e in d[(d["coder"] == coder) & (d["code_path"] == code)][
                        ["start", "end"]].to_numpy(int):
                    v[s:e] = 1
                vec[coder] = v
            a_all.append(vec[first])
            b_all.append(vec[second])
    a, b = np.concatenate(a_all), np.concatenate(b_all)
    p_o = np.mean(a == b)
    p_e = a.mean() * b.mean() + (1 - a.mean()) * (1 - b.mean())
    n = 2 * len(a)
    n1 = a.sum() + b.sum()
    n0 = n - n1
    disagree = 2 * np.sum(a != b)
    alpha = 1 - (n - 1) * disagree / (2 * n0 * n1)
    return 100 * p_o, (p_o - p_e) / (1 - p_e), alpha


#: SHA-256 of the Part 2 demo files as they were committed to data/raw before the demo
#: stopped being committed (d28148d): `peerlib demo-data` must keep writing them unchanged.
QDA_SHA256 = {
    "part2_demo.qdpx":
        "d85c41b31621d1104d935c4e2c8d6ac18e3101b6266fddf84e3c1c295f28029e",
    "part2_demo_taguette.csv":
        "fe0618bf12b81b90facacf42e967ae1a1829ff7edf12830a45efd787f9c5e5cc",
    "qda_documents.csv":
        "c8f56be68810bbc9baafcc4413b89c173d11bdd40ecc134a271d8d266a1b61c4",
    "redaction_list.csv":
        "b33b159e26059bb404254e2da9c3bbcaa2f5e5306cc8f3260e424ad2c7142f5a",
    "theme_items.csv":
        "78d7f31233dfdbdd6ec4e3dee9a873040b189001ee436f576c638eeaedb18d27",
    "part2_demo.yaml":
        "30b7c83cb6f59434f4b017d47d1f891ae415a9302536fd4d4ea22304841025d6",
}

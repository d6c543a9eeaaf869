"""Coded Part 2 transcripts from QDA software -> one tidy table of coded segments.

Readers
-------
- REFI-QDA project exchange files (``.qdpx``: a zip holding ``project.qde`` and a
  ``sources/`` folder), as NVivo, ATLAS.ti, MAXQDA and QualCoder export them: users, the code
  tree, text sources (internal, relative or absolute plain-text files, or inline
  ``PlainTextContent``), plain-text selections and their codings, cases with variables and
  ATLAS.ti-style attribute Sets.
- REFI-QDA codebook files (``.qdc``): the code tree alone (:func:`read_codebook`).
- Taguette's highlights export (CSV or XLSX; columns ``id``, ``document``, ``tag``,
  ``content``, one row per highlight x tag, no positions) and its codebook export (CSV:
  ``tag``, ``description`` and, in newer versions, ``number of highlights`` and ``number of
  documents``).

XML is read with the standard library's ``xml.etree.ElementTree``; elements are matched by
their local name, so files with no namespace, the project namespace, the codebook namespace
or a mix of them all read the same. Documents that declare entities (``<!ENTITY``) are
refused, so a crafted file cannot expand itself in memory.

Character positions
-------------------
A ``PlainTextSelection`` gives ``startPosition`` and ``endPosition``; the end is exclusive in
every producer we know of. Positions count the source text *as stored*: a UTF-8 byte-order
mark is not counted, and a Windows line ending (CR+LF) counts as two characters. What the
positions count differs between producers:

- ``codepoints``: Unicode code points from 0, as the REFI-QDA 1.5 standard says (ATLAS.ti,
  MAXQDA, QualCoder);
- ``utf16``: UTF-16 code units, as NVivo counts them (a character outside the Basic
  Multilingual Plane, such as an emoji, counts 2);
- ``auto``: per file, the convention under which the selections' names (which producers set
  to the selected text, sometimes truncated) match the text; the producer (``origin``) breaks
  ties (NVivo: ``utf16``; others: ``codepoints``).

Whatever the convention, every selection whose name is text found in its document is checked:
a selection whose positions do not give that text is reported (:class:`QDAError`), never
shifted. Names that appear nowhere in the document (labels such as "Quotation 3") cannot be
checked; when no selection of a file could be checked, a warning says so.

Privacy at import
-----------------
Documents are mapped to raw participant IDs (a ``--documents`` file, else the export's Cases
or attribute Sets), participants listed in ``data/raw/withdrawn.txt`` are dropped, IDs become
the same keyed pseudonyms as in ``part1_long`` (:mod:`peerlib.privacy`), and every term of
the project's redaction list is replaced in the text by ``[name]``, ``[place]`` or
``[service]`` before anything is returned, so nothing unredacted reaches ``data/processed``.

References
----------
REFI-QDA Standard, version 1.5 (2019). Rotterdam Exchange Format Initiative: Project
Exchange (.qdpx) and Codebook Exchange (.qdc) formats. https://www.qdasoftware.org
"""
from __future__ import annotations

import json
import re
import warnings
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .errors import EXIT_INVALID_DATA, AnswerDataError, PeerlibError
from .io import read_table
from .paths import project_paths
from .privacy import load_key, pseudonymise, read_withdrawn

__all__ = [
    "SEGMENT_COLUMNS",
    "CODEBOOK_COLUMNS",
    "PATH_SEPARATOR",
    "POSITION_CONVENTIONS",
    "REDACTION_FILE",
    "DOCUMENTS_FILE",
    "REDACTION_LABELS",
    "QDAError",
    "QDAWarning",
    "read_codebook",
    "read_qdpx",
    "read_taguette",
    "read_documents_map",
    "read_redaction_list",
    "redact",
    "import_codes",
    "write_coded_segments",
    "load_coded_segments",
]

#: Columns of ``coded_segments`` in order (DESIGN.md, ``peerlib import-codes``).
SEGMENT_COLUMNS = ["document", "participant_id", "site_id", "code", "code_path", "start",
                   "end", "text", "coder"]
#: Columns of a codebook table (:func:`read_codebook`).
CODEBOOK_COLUMNS = ["theme", "code", "code_path", "description"]
#: Separator of the levels of a code path ("Role > Boundaries").
PATH_SEPARATOR = " > "
POSITION_CONVENTIONS = ("auto", "codepoints", "utf16")
#: The project's redaction list in ``data/raw`` (columns ``term``, ``category``).
REDACTION_FILE = "redaction_list.csv"
#: The default documents -> participants map in ``data/raw``.
DOCUMENTS_FILE = "qda_documents.csv"
#: Redaction categories and what replaces their terms.
REDACTION_LABELS = {"name": "[name]", "place": "[place]", "service": "[service]"}
_CATEGORY_ALIASES = {"person": "name", "people": "name", "names": "name", "places": "place",
                     "location": "place", "services": "service", "organisation": "service",
                     "organization": "service"}
_DOC_EXTENSIONS = (".txt", ".docx", ".doc", ".rtf", ".odt", ".pdf", ".md", ".html")
_MIN_FIND_LENGTH = 8  # a name shorter than this is not searched for elsewhere in the text


class QDAError(PeerlibError, ValueError):
    """A QDA export (or a file that goes with it) cannot be imported.

    Attributes
    ----------
    file : str
        The file name.
    element : str
        Where in it ("PlainTextSelection guid=..."; a zip entry; a column), or "".
    problems : list of str
        Every problem found (for position mismatches there may be many).
    """

    exit_code = EXIT_INVALID_DATA

    def __init__(self, file: str | Path, element: str, problem: str | list[str],
                 hint: str = ""):
        self.file = Path(str(file)).name
        self.element = element
        self.problems = [problem] if isinstance(problem, str) else list(problem)
        where = self.file + (f", {element}" if element else "")
        if len(self.problems) == 1:
            text = f"{where}: {self.problems[0]}"
        else:
            shown = self.problems[:50]
            text = f"{where}: {len(self.problems)} problems:\n" + "\n".join(
                f"  - {p}" for p in shown)
            if len(self.problems) > 50:
                text += f"\n  ... and {len(self.problems) - 50} more"
        super().__init__(text + (f"\n{hint}" if hint else ""))


class QDAWarning(UserWarning):
    """Something in a QDA import a data manager should look at (unmapped documents...)."""


def _qda_table(path: Path, *, sheet: str | None = None, what: str = "",
               required: tuple[str, ...] = (), kind: str = "") -> pd.DataFrame:
    """:func:`peerlib.io.read_table` for the files of a QDA import: a file that cannot be
    read, or lacks one of the ``required`` columns, is a :class:`QDAError` whose advice is
    about that file (``what`` it should be; ``kind`` names it in the missing-column
    message), not the Part 1 advice of :class:`~peerlib.errors.AnswerDataError`."""
    try:
        table = read_table(path, sheet=sheet)
    except AnswerDataError as err:
        problems = [f"{rec.problem}" + ("" if pd.isna(rec.value) else f" ({rec.value!s})")
                    for rec in err.problems.itertuples(index=False)]
        raise QDAError(path, "", problems if len(problems) > 1 else problems[0],
                       f"{what} Correct or export it again and run again; nothing was "
                       "written." if what else "Nothing was written.") from err
    missing = [c for c in required if c not in table.columns]
    if missing:
        raise QDAError(path, "header", f"lacks the column(s) {', '.join(missing)} of "
                       f"{kind} ({', '.join(required)})")
    return table


# =========================================================================== XML helpers
def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _kids(el: ET.Element, name: str) -> list[ET.Element]:
    return [c for c in el if _local(c.tag) == name]


def _kid(el: ET.Element, name: str) -> ET.Element | None:
    found = _kids(el, name)
    return found[0] if found else None


def _guid(value: str | None) -> str:
    return (value or "").strip().strip("{}").lower()


def _describe(el: ET.Element, safe=None) -> str:
    """The element for a message: its tag, guid and name (a selection's name is the
    selected text, so a selection is named by its guid alone; other names go through
    ``safe``, the redaction of :func:`_safe_text`)."""
    parts = [_local(el.tag)]
    attrs = ("guid",) if _local(el.tag).endswith("Selection") else ("guid", "name")
    for attr in attrs:
        if el.get(attr):
            value = el.get(attr)
            if attr == "name" and safe is not None:
                value = safe(value)  # before cutting, so that no term is cut in half
            value = value[:40]
            parts.append(f"{attr}={value!r}")
    return " ".join(parts)


def _safe_text(redactions: pd.DataFrame | None):
    """A function that redacts text quoted in a message (an excerpt, a document name) with
    the project's redaction list (:func:`redact`); the identity without a list."""
    if redactions is None or not len(redactions):
        return lambda text: text

    def safe(text: str) -> str:
        return str(redact(pd.Series([text], dtype="string"), redactions).iloc[0])

    return safe


def _parse_xml(data: bytes, file: str, entry: str) -> ET.Element:
    """Parse XML bytes (UTF-8 with or without BOM, or as the declaration says)."""
    if b"<!ENTITY" in data[:4096] or b"<!ENTITY" in data:
        raise QDAError(file, entry, "declares XML entities, which are not allowed in a "
                       "REFI-QDA file (refused for safety)")
    try:
        return ET.fromstring(data)
    except ET.ParseError as err:
        raise QDAError(file, entry, f"is not well-formed XML ({err})",
                       "Export the project again from the QDA software.") from err


# =========================================================================== codebook
def _walk_codes(parent: ET.Element, prefix: list[str], file: str, entry: str,
                out: dict[str, dict]) -> None:
    for code in _kids(parent, "Code"):
        name = (code.get("name") or "").strip()
        if not name:
            raise QDAError(file, f"{entry}: {_describe(code)}", "a Code has no name")
        guid = _guid(code.get("guid"))
        if not guid:
            raise QDAError(file, f"{entry}: {_describe(code)}", "a Code has no guid")
        path = prefix + [name]
        desc_el = _kid(code, "Description")
        out[guid] = {"code": name, "code_path": PATH_SEPARATOR.join(path),
                     "theme": path[0],
                     "description": (desc_el.text or "").strip() if desc_el is not None
                     else ""}
        _walk_codes(code, path, file, entry, out)


def _codes_from(root: ET.Element, file: str, entry: str) -> dict[str, dict]:
    """guid -> {code, code_path, theme, description} from a Project or CodeBook root."""
    book = root if _local(root.tag) == "CodeBook" else _kid(root, "CodeBook")
    out: dict[str, dict] = {}
    if book is None:
        return out
    codes = _kid(book, "Codes")
    if codes is not None:
        _walk_codes(codes, [], file, entry, out)
    return out


def _codebook_frame(codes: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(codes, columns=CODEBOOK_COLUMNS)
    return frame.astype({c: "string" for c in CODEBOOK_COLUMNS}).reset_index(drop=True)


def read_codebook(path: str | Path) -> pd.DataFrame:
    """Read the framework's code tree from a ``.qdc``, a ``.qdpx`` or a Taguette codebook CSV.

    Parameters
    ----------
    path : str or Path
        A REFI-QDA codebook (``.qdc``), a project (``.qdpx``, its ``CodeBook``), or
        Taguette's codebook export (``.csv``/``.xlsx`` with ``tag`` and ``description``;
        other columns such as ``number of highlights`` are ignored).

    Returns
    -------
    pandas.DataFrame
        One row per code in tree order (a parent before its children), columns
        :data:`CODEBOOK_COLUMNS`: ``theme`` (the top-level code, the framework's domain),
        ``code`` (the code's own name), ``code_path`` (names from the top, joined by
        ``" > "``) and ``description`` ("" when none). A Taguette tag whose name contains
        ``" > "`` is read as a path.

    Raises
    ------
    QDAError
        When the file is not well-formed XML, a code has no name or guid, or a Taguette
        codebook has no ``tag`` column; the message names the file and element.
    FileNotFoundError
        When ``path`` does not exist.

    References
    ----------
    REFI-QDA Standard 1.5, Codebook Exchange format (``CodeBook``/``Codes``/``Code``).
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"Codebook not found: {path}")
    suffix = path.suffix.lower()
    if suffix == ".qdc":
        root = _parse_xml(path.read_bytes(), path.name, "")
        return _codebook_frame(list(_codes_from(root, path.name, "").values()))
    if suffix == ".qdpx":
        with _open_zip(path) as (zf, names):
            entry = _project_entry(path, names)
            root = _parse_xml(zf.read(entry), path.name, entry)
        return _codebook_frame(list(_codes_from(root, path.name, entry).values()))
    table = _qda_table(path, what="A Taguette codebook export is a CSV or XLSX with the "
                       "columns tag, description.", required=("tag",),
                       kind="a Taguette codebook export")
    rows = []
    for tag, desc in zip(table["tag"], table.get("description", [""] * len(table))):
        tag = str(tag).strip()
        if tag:
            parts = [p.strip() for p in tag.split(PATH_SEPARATOR.strip())] \
                if PATH_SEPARATOR in tag else [tag]
            rows.append({"theme": parts[0], "code": parts[-1],
                         "code_path": PATH_SEPARATOR.join(parts),
                         "description": str(desc).strip()})
    return _codebook_frame(rows)


# =========================================================================== positions
def _utf16_offsets(text: str) -> list[int]:
    """UTF-16 offset of every code-point index 0..len(text) (inclusive)."""
    offsets = [0] * (len(text) + 1)
    total = 0
    for i, ch in enumerate(text):
        offsets[i] = total
        total += 2 if ord(ch) > 0xFFFF else 1
    offsets[len(text)] = total
    return offsets




def _to_index(pos: int, convention: str, offsets: list[int] | None) -> int | None:
    """Code-point index of ``pos`` under ``convention``; None if it splits a character."""
    if convention == "codepoints":
        return pos
    import bisect

    i = bisect.bisect_left(offsets, pos)
    return i if i < len(offsets) and offsets[i] == pos else None


_WS = re.compile(r"\s+")


def _norm(text: str) -> str:
    text = _WS.sub(" ", text.replace("\ufeff", "")).strip()
    for tail in ("...", "\u2026"):
        if text.endswith(tail):
            text = text[: -len(tail)].rstrip()
    return text


@dataclass
class _Selection:
    element: str
    start: int
    end: int
    name: str
    codings: list[tuple[str, str | None]]  # (code guid, user guid)
    user: str | None


@dataclass
class _Source:
    name: str
    guid: str
    text: str
    element: str
    selections: list[_Selection] = field(default_factory=list)
    _offsets: list[int] | None = None
    _norm_text: str | None = None

    @property
    def offsets(self) -> list[int]:
        """UTF-16 offsets of the text (computed once)."""
        if self._offsets is None:
            self._offsets = _utf16_offsets(self.text)
        return self._offsets

    @property
    def norm_text(self) -> str:
        """The text with white space collapsed (computed once)."""
        if self._norm_text is None:
            self._norm_text = _norm(self.text)
        return self._norm_text


def _extract(src: _Source, sel: _Selection, convention: str) -> str | None:
    """Selected text under ``convention``; None when a position splits a character."""
    offsets = src.offsets if convention == "utf16" else None
    a = _to_index(sel.start, convention, offsets)
    b = _to_index(sel.end, convention, offsets)
    if a is None or b is None:
        return None
    return src.text[a:b]


def _check(src: _Source, sel: _Selection, convention: str) -> str:
    """'ok', 'mismatch' or 'unverifiable' for one selection under one convention."""
    name = _norm(sel.name)
    if not name:
        return "unverifiable"
    got = _extract(src, sel, convention)
    if got is not None:
        got = _norm(got)
        if got == name or (len(name) >= 3 and got.startswith(name)):
            return "ok"
    if len(name) >= _MIN_FIND_LENGTH and name in src.norm_text:
        return "mismatch"
    return "unverifiable"


def _decide_convention(sources: list[_Source], wanted: str, producer: str
                       ) -> tuple[str, dict[str, int]]:
    """Choose the convention of one file (see the module docstring); count the checks."""
    preferred = "utf16" if "nvivo" in producer.lower() else "codepoints"
    if wanted != "auto":
        return wanted, {}
    score = {}
    for conv in ("codepoints", "utf16"):
        score[conv] = sum(_check(s, sel, conv) == "ok" for s in sources for sel in s.selections)
    other = "codepoints" if preferred == "utf16" else "utf16"
    return (other if score[other] > score[preferred] else preferred), score


def _verify_positions(file: str, sources: list[_Source], convention: str, safe=None) -> int:
    """Raise QDAError for every out-of-range, reversed or mismatched selection; return the
    number of selections checked against their text. Excerpts and document names quoted in
    the messages go through ``safe`` (the redaction list)."""
    safe = safe or (lambda text: text)
    problems, checked = [], 0
    other = "utf16" if convention == "codepoints" else "codepoints"
    for src in sources:
        length = len(src.text) if convention == "codepoints" else src.offsets[-1]
        for sel in src.selections:
            where = f"{sel.element} in TextSource {safe(src.name)!r}"
            if sel.start > sel.end:
                problems.append(f"{where}: start after end (startPosition {sel.start}, "
                                f"endPosition {sel.end})")
                continue
            if sel.start < 0 or sel.end > length:
                problems.append(
                    f"{where}: positions {sel.start}-{sel.end} point outside the text "
                    f"(0-{length} {convention.replace('codepoints', 'code points')}"
                    f"{', UTF-16 code units' if convention == 'utf16' else ''})")
                continue
            if _extract(src, sel, convention) is None:
                problems.append(f"{where}: position {sel.start}-{sel.end} falls inside a "
                                "character outside the Basic Multilingual Plane (UTF-16 "
                                "surrogate pair); the positions are not UTF-16 code units")
                continue
            status = _check(src, sel, convention)
            if status == "ok":
                checked += 1
            elif status == "mismatch":
                got = _extract(src, sel, convention) or ""
                hint = ""
                if _check(src, sel, other) == "ok":
                    hint = f" (it matches under --positions {other})"
                problems.append(f"{where}: positions {sel.start}-{sel.end} give "
                                f"{safe(got)[:40]!r} but the selection's text is "
                                f"{safe(sel.name)[:40]!r}{hint}")  # redacted, then cut
    if problems:
        raise QDAError(file, "", problems,
                       f"Positions were counted as {convention}. Check --positions "
                       "(auto | codepoints | utf16); nothing was written.")
    return checked


# =========================================================================== .qdpx
class _open_zip:
    """Context manager: the zip file and a map lower-case entry name -> real name."""

    def __init__(self, path: Path):
        self.path = path

    def __enter__(self):
        try:
            self.zf = zipfile.ZipFile(self.path)
        except (zipfile.BadZipFile, OSError) as err:
            raise QDAError(self.path, "", f"is not a readable zip archive ({err}); a .qdpx "
                           "file is a zip holding project.qde and sources/") from err
        names = {}
        for info in self.zf.infolist():
            if info.is_dir():
                continue
            names.setdefault(info.filename.replace("\\", "/").lower(), info.filename)
        return self.zf, names

    def __exit__(self, *exc):
        self.zf.close()
        return False


def _project_entry(path: Path, names: dict[str, str]) -> str:
    if "project.qde" in names:
        return names["project.qde"]
    nested = [real for low, real in names.items() if low.endswith("/project.qde")]
    if len(nested) == 1:
        return nested[0]
    raise QDAError(path, "", "holds no project.qde (a .qdpx is a zip with project.qde "
                   "and a sources/ folder)")


def _decode_source(data: bytes, file: str, entry: str) -> str:
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise QDAError(file, entry, f"is not UTF-8 text ({err})") from err


class _MissingSource(Exception):
    """A TextSource whose text file is not there (collected, then reported together)."""


def _source_text(src_el: ET.Element, path: Path, zf: zipfile.ZipFile, names: dict[str, str],
                 base: str, safe=None) -> str:
    inline = _kid(src_el, "PlainTextContent")
    if inline is not None and inline.text is not None:
        return inline.text.lstrip("\ufeff")
    ref = (src_el.get("plainTextPath") or "").strip()
    where = _describe(src_el, safe)
    if not ref:
        raise QDAError(path, where, "has neither plainTextPath nor PlainTextContent")
    scheme, _, rest = ref.partition("://")
    scheme = scheme.lower()
    if scheme == "internal":
        key = ("sources/" + rest.lstrip("/")).lower()
        real = names.get(key) or names.get(rest.lstrip("/").lower())
        if real is None:
            raise _MissingSource(f"{where}: plainTextPath {ref!r} names no file in the "
                                 "archive's sources/ folder")
        return _decode_source(zf.read(real), path.name, real)
    if scheme in ("relative", "absolute", "file"):
        target = Path(rest)
        if scheme == "relative":
            target = (Path(base) if base else path.parent) / rest
        if not target.exists() and scheme == "relative":
            target = path.parent / rest
        if not target.exists():
            raise _MissingSource(f"{where}: plainTextPath {ref!r} points to a file that "
                                 f"does not exist ({target})")
        return _decode_source(target.read_bytes(), path.name, str(target))
    raise QDAError(path, where, f"plainTextPath {ref!r} has an unknown scheme "
                   "(internal://, relative:// or absolute:// expected)")


def _int_attr(el: ET.Element, attr: str, path: Path, src_name: str, safe=None) -> int:
    value = el.get(attr)
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        shown = safe(src_name) if safe is not None else src_name
        raise QDAError(path, f"{_describe(el)} in TextSource {shown!r}",
                       f"attribute {attr} is {value!r}, not a whole number") from None


def _case_links(root: ET.Element, path: Path) -> tuple[dict[str, str], dict[str, str]]:
    """source guid -> raw participant ID and -> site from Cases/Variables and from Sets."""
    variables = {}
    vars_el = _kid(root, "Variables")
    if vars_el is not None:
        for var in _kids(vars_el, "Variable"):
            variables[_guid(var.get("guid"))] = (var.get("name") or "").strip().lower()
    people: dict[str, str] = {}
    sites: dict[str, str] = {}
    cases = _kid(root, "Cases")
    for case in (_kids(cases, "Case") if cases is not None else []):
        pid, site = (case.get("name") or "").strip(), ""
        for vv in _kids(case, "VariableValue"):
            ref = _kid(vv, "VariableRef")
            vname = variables.get(_guid(ref.get("targetGUID")) if ref is not None else "", "")
            value = next((c.text or "" for c in vv if _local(c.tag).endswith("Value")
                          and _local(c.tag) != "VariableValue"), "").strip()
            if vname in ("participant_id", "participant id", "participant") and value:
                pid = value
            elif vname in ("site_id", "site id", "site") and value:
                site = value
        for ref in _kids(case, "SourceRef"):
            g = _guid(ref.get("targetGUID"))
            if pid:
                people[g] = pid
            if site:
                sites[g] = site
    # ATLAS.ti: attributes as Sets named "attribute: value" with MemberSource refs
    pattern = re.compile(r"^\s*(participant(?:[ _]id)?|site(?:[ _]id)?)\s*:\s*(.+?)\s*$", re.I)
    for sets in [root] + _kids(root, "CodeBook"):
        sets_el = _kid(sets, "Sets")
        for set_el in (_kids(sets_el, "Set") if sets_el is not None else []):
            m = pattern.match(set_el.get("name") or "")
            if not m:
                continue
            target = people if m.group(1).lower().startswith("participant") else sites
            for member in _kids(set_el, "MemberSource"):
                target.setdefault(_guid(member.get("targetGUID")), m.group(2))
    return people, sites


def read_qdpx(path: str | Path, *, positions: str = "auto",
              redactions: pd.DataFrame | None = None) -> pd.DataFrame:
    """Read the coded text segments of a REFI-QDA project (``.qdpx``), unredacted.

    Most users want :func:`import_codes`, which maps, pseudonymises and redacts; this
    function is the reader beneath it.

    Parameters
    ----------
    path : str or Path
        The ``.qdpx`` file (entry names in any case: ``project.qde``/``Project.qde``,
        ``sources/``/``Sources/``; empty marker entries are ignored).
    positions : {"auto", "codepoints", "utf16"}
        How ``startPosition``/``endPosition`` count (module docstring).
    redactions : pandas.DataFrame, optional
        The redaction list (:func:`read_redaction_list`), applied to every excerpt and
        document name that an error message quotes (the returned text is not redacted).
        Selections are named in messages by their guid, never by their name (which
        producers set to the selected text).

    Returns
    -------
    pandas.DataFrame
        One row per coding of a plain-text selection, in file order: ``document`` (the
        TextSource's name), ``code``, ``code_path``, ``start``, ``end`` (Int64, as the file
        gives them, end exclusive), ``text`` (the selected text recovered from the source,
        unredacted), ``coder`` (the User's name; NA when the export does not say),
        ``raw_participant_id`` and ``raw_site_id`` (from Cases/Variables or attribute Sets;
        NA when none). ``attrs``: ``positions`` (the convention used), ``producer``,
        ``n_checked`` (selections whose text was verified), ``codebook`` (the code tree as
        :func:`read_codebook`), ``documents`` (every TextSource name, in file order).

    Raises
    ------
    QDAError
        Not a zip, no ``project.qde``, malformed XML, a coding of an unknown code, missing
        or non-numeric positions, source files that cannot be found (all of them listed,
        with what to do) or decoded, positions outside the text, a start after the end, or
        positions not matching the selected text. The message names the file and the
        element (and lists every such selection).
    ParameterError
        When ``positions`` is not one of the conventions.
    FileNotFoundError
        When ``path`` does not exist.

    References
    ----------
    REFI-QDA Standard 1.5: Project Exchange format (``Project``, ``Users``, ``CodeBook``,
    ``Sources/TextSource``, ``PlainTextSelection``, ``Coding``, ``CodeRef``, ``Cases``,
    ``Variables``, ``Sets``).
    """
    from .errors import ParameterError

    path = Path(path)
    if positions not in POSITION_CONVENTIONS:
        raise ParameterError(f"positions must be one of {', '.join(POSITION_CONVENTIONS)}, "
                             f"got {positions!r}")
    if not path.exists():
        raise FileNotFoundError(f"QDA export not found: {path}")
    with _open_zip(path) as (zf, names):
        entry = _project_entry(path, names)
        root = _parse_xml(zf.read(entry), path.name, entry)
        if _local(root.tag) != "Project":
            raise QDAError(path, entry, f"the root element is {_local(root.tag)!r}, not "
                           "'Project' (is this a codebook .qdc?)")
        producer = root.get("origin") or ""
        users = {}
        users_el = _kid(root, "Users")
        for user in (_kids(users_el, "User") if users_el is not None else []):
            users[_guid(user.get("guid"))] = (user.get("name") or "").strip() or None
        codes = _codes_from(root, path.name, entry)
        safe = _safe_text(redactions)
        sources: list[_Source] = []
        skipped: list[str] = []
        missing: list[str] = []
        sources_el = _kid(root, "Sources")
        for src_el in (list(sources_el) if sources_el is not None else []):
            if _local(src_el.tag) != "TextSource":
                if any(_local(c.tag).endswith("Selection") for c in src_el):
                    skipped.append(f"{_local(src_el.tag)} {src_el.get('name') or ''!r}")
                continue
            name = (src_el.get("name") or "").strip()
            if not name:
                raise QDAError(path, _describe(src_el), "a TextSource has no name")
            try:
                text = _source_text(src_el, path, zf, names, root.get("basePath") or "",
                                    safe)
            except _MissingSource as gone:
                missing.append(str(gone))
                continue
            src = _Source(name, _guid(src_el.get("guid")), text, _describe(src_el, safe))
            for sel_el in _kids(src_el, "PlainTextSelection"):
                start = _int_attr(sel_el, "startPosition", path, name, safe)
                end = _int_attr(sel_el, "endPosition", path, name, safe)
                codings = []
                for coding in _kids(sel_el, "Coding"):
                    ref = _kid(coding, "CodeRef")
                    target = _guid(ref.get("targetGUID")) if ref is not None else ""
                    if target not in codes:
                        raise QDAError(path, f"{_describe(coding)} in {_describe(sel_el)}",
                                       f"refers to code {target or '(none)'!r}, which is not "
                                       "in the CodeBook")
                    codings.append((target, _guid(coding.get("creatingUser")) or None))
                src.selections.append(_Selection(
                    _describe(sel_el), start, end, sel_el.get("name") or "", codings,
                    _guid(sel_el.get("creatingUser")) or None))
            sources.append(src)
    if missing:
        raise QDAError(path, "", missing if len(missing) > 1 else missing[0],
                       f"{len(missing)} source text(s) missing. Re-export the project from the "
                       "QDA software including its sources (the .qdpx then holds every "
                       "transcript's text in its sources/ folder), or put the text files "
                       "where plainTextPath points; nothing was written.")
    if skipped:
        warnings.warn(f"{path.name}: codings of non-text sources are not imported "
                      f"({', '.join(skipped[:5])}{' ...' if len(skipped) > 5 else ''})",
                      QDAWarning, stacklevel=2)
    convention, _ = _decide_convention(sources, positions, producer)
    checked = _verify_positions(path.name, sources, convention, safe)
    if sources and any(s.selections for s in sources) and checked == 0:
        warnings.warn(f"{path.name}: no selection name is the selected text, so the "
                      f"positions ({convention}) could not be checked against the text",
                      QDAWarning, stacklevel=2)
    people, sites = _case_links(root, path)
    rows = []
    for src in sources:
        for sel in src.selections:
            text = _extract(src, sel, convention)
            for code_guid, user in sel.codings:
                code = codes[code_guid]
                coder = users.get(user or sel.user or "") if (user or sel.user) else None
                rows.append({"document": src.name, "code": code["code"],
                             "code_path": code["code_path"], "start": sel.start,
                             "end": sel.end, "text": text, "coder": coder,
                             "raw_participant_id": people.get(src.guid),
                             "raw_site_id": sites.get(src.guid)})
    frame = pd.DataFrame(rows, columns=["document", "code", "code_path", "start", "end", "text",
                                        "coder", "raw_participant_id", "raw_site_id"])
    frame = frame.astype({"start": "Int64", "end": "Int64"})
    for col in ("document", "code", "code_path", "text", "coder", "raw_participant_id",
                "raw_site_id"):
        frame[col] = frame[col].astype("string")
    frame.attrs.update(positions=convention, producer=producer, n_checked=checked,
                       codebook=_codebook_frame(list(codes.values())),
                       documents=[s.name for s in sources])
    return frame


# =========================================================================== Taguette
def read_taguette(path: str | Path, *, sheet: str | None = None) -> pd.DataFrame:
    """Read Taguette's highlights export (CSV or XLSX), unredacted.

    Parameters
    ----------
    path : str or Path
        The export: columns ``id`` (highlight), ``document``, ``tag``, ``content``; one row
        per highlight x tag. Other columns are ignored.
    sheet : str, optional
        Worksheet of an XLSX export; default the first.

    Returns
    -------
    pandas.DataFrame
        As :func:`read_qdpx`, with ``start``/``end`` NA (Taguette exports carry no
        positions) and ``coder`` NA (nor coders). A tag containing ``" > "`` is read as a
        code path. ``attrs``: ``positions`` ("none"), ``producer`` ("Taguette"),
        ``documents``.

    Raises
    ------
    QDAError
        When the file cannot be read (empty, not text, not a workbook), a required column
        is missing or a row has no document or tag (the message names the file and the
        spreadsheet row, and says what the export should look like).
    """
    path = Path(path)
    table = _qda_table(path, sheet=sheet, what="A Taguette highlights export is a CSV or "
                       "XLSX with the columns id, document, tag, content.",
                       required=("id", "document", "tag", "content"),
                       kind="a Taguette highlights export")
    rows, problems = [], []
    for idx, rec in table.iterrows():
        doc, tag = str(rec["document"]).strip(), str(rec["tag"]).strip()
        if not doc or not tag:
            problems.append(f"row {int(idx) + 2}: no {'document' if not doc else 'tag'}")
            continue
        parts = [p.strip() for p in tag.split(PATH_SEPARATOR.strip())] \
            if PATH_SEPARATOR in tag else [tag]
        rows.append({"document": doc, "code": parts[-1],
                     "code_path": PATH_SEPARATOR.join(parts), "start": pd.NA, "end": pd.NA,
                     "text": str(rec["content"]), "coder": pd.NA,
                     "raw_participant_id": pd.NA, "raw_site_id": pd.NA})
    if problems:
        raise QDAError(path, "", problems)
    frame = pd.DataFrame(rows, columns=["document", "code", "code_path", "start", "end", "text",
                                        "coder", "raw_participant_id", "raw_site_id"])
    frame = frame.astype({"start": "Int64", "end": "Int64"})
    for col in ("document", "code", "code_path", "text", "coder", "raw_participant_id",
                "raw_site_id"):
        frame[col] = frame[col].astype("string")
    frame.attrs.update(positions="none", producer="Taguette", n_checked=0,
                       documents=list(dict.fromkeys(frame["document"].tolist())))
    return frame


# =========================================================================== mapping, redaction
def _doc_key(name: object) -> str:
    key = str(name).strip().casefold()
    for ext in _DOC_EXTENSIONS:
        if key.endswith(ext):
            return key[: -len(ext)].strip()
    return key


def read_documents_map(path: str | Path) -> pd.DataFrame:
    """Read the file mapping QDA document names to raw participant IDs.

    Parameters
    ----------
    path : str or Path
        CSV or XLSX with columns ``document`` and ``participant_id`` (the raw ID of the Part 1
        data, e.g. "S01-P03"), optionally ``site_id``. Document names match in any case and
        with or without an extension such as ``.txt`` or ``.docx``.

    Returns
    -------
    pandas.DataFrame
        ``document``, ``participant_id``, ``site_id`` (string; NA where blank) and ``row``
        (Int64: the entry's spreadsheet row, header = row 1, for messages), one row per
        document.

    Raises
    ------
    QDAError
        An unreadable file, missing columns, a blank participant ID or a document listed
        twice with different participants (every problem at once).
    """
    path = Path(path)
    table = _qda_table(path, what="The documents map is a CSV or XLSX with the columns "
                       "document, participant_id (and optionally site_id).",
                       required=("document", "participant_id"), kind="a documents map")
    problems, seen = [], {}
    for idx, rec in table.iterrows():
        doc, pid = str(rec["document"]).strip(), str(rec["participant_id"]).strip()
        row = int(idx) + 2
        if not doc or not pid:
            problems.append(f"row {row}: blank {'document' if not doc else 'participant_id'}")
        elif _doc_key(doc) in seen and seen[_doc_key(doc)] != pid:
            problems.append(f"row {row}: document {doc!r} is mapped to {seen[_doc_key(doc)]!r} "
                            f"and to {pid!r}")
        else:
            seen[_doc_key(doc)] = pid
    if problems:
        raise QDAError(path, "", problems)
    out = pd.DataFrame({
        "document": table["document"].astype(str).str.strip(),
        "participant_id": table["participant_id"].astype(str).str.strip(),
        "site_id": (table["site_id"].astype(str).str.strip() if "site_id" in table.columns
                    else ""),
    })
    out = out.replace({"site_id": {"": pd.NA}}).astype("string")
    out["row"] = pd.array([int(i) + 2 for i in table.index], dtype="Int64")
    return out.drop_duplicates("document").reset_index(drop=True)


def read_redaction_list(path: str | Path) -> pd.DataFrame:
    """Read the project's redaction list.

    Parameters
    ----------
    path : str or Path
        CSV or XLSX with columns ``term`` (a name of a person, place or service as it may
        appear in transcripts) and ``category`` (``name``, ``place`` or ``service``; also
        accepted: person, location, organisation).

    Returns
    -------
    pandas.DataFrame
        ``term``, ``category`` (canonical), longest terms first.

    Raises
    ------
    QDAError
        An unreadable file, missing columns, blank terms or unknown categories (every
        problem at once).
    """
    path = Path(path)
    table = _qda_table(path, what="The redaction list is a CSV or XLSX with the columns "
                       "term, category.", required=("term", "category"),
                       kind="a redaction list")
    rows, problems = [], []
    for idx, rec in table.iterrows():
        term = str(rec["term"]).strip()
        cat = str(rec["category"]).strip().lower()
        cat = _CATEGORY_ALIASES.get(cat, cat)
        if not term:
            problems.append(f"row {int(idx) + 2}: blank term")
        elif cat not in REDACTION_LABELS:
            problems.append(f"row {int(idx) + 2}: category {rec['category']!r} is not one of "
                            f"{', '.join(REDACTION_LABELS)}")
        else:
            rows.append((term, cat))
    if problems:
        raise QDAError(path, "", problems)
    out = pd.DataFrame(rows, columns=["term", "category"]).drop_duplicates("term")
    order = out["term"].str.len().sort_values(ascending=False, kind="stable").index
    return out.loc[order].reset_index(drop=True)


def _term_pattern(term: str) -> str:
    words = ["".join("['\u2019]" if ch in "'\u2019" else re.escape(ch) for ch in w)
             for w in term.split()]
    body = r"\s+".join(words)
    left = r"(?<!\w)" if re.match(r"\w", term) else ""
    right = r"(?!\w)" if re.search(r"\w$", term) else ""
    return left + body + right


def redact(texts: pd.Series, redactions: pd.DataFrame) -> pd.Series:
    """Replace every redaction-list term in ``texts`` by its category's label.

    Parameters
    ----------
    texts : pandas.Series of str
        Text (NA stays NA).
    redactions : pandas.DataFrame
        From :func:`read_redaction_list` (``term``, ``category``).

    Returns
    -------
    pandas.Series of string
        Same index. Matching ignores case, treats any run of white space (line breaks
        included) inside a term as a space and straight/curly apostrophes alike, and only
        replaces whole words ("Jo" is replaced in "Jo's" but not in "Joanna"). Longer terms
        are replaced first, so "Kestrel House" becomes "[service]" even when "Kestrel" is a
        place.

    Examples
    --------
    >>> terms = pd.DataFrame({"term": ["Alex Smith", "Alex"], "category": ["name", "name"]})
    >>> redact(pd.Series(["Alex  smith said Alex's idea"]), terms).tolist()
    ["[name] said [name]'s idea"]
    """
    out = texts.astype("string")
    if redactions is None or not len(redactions):
        return out
    ordered = sorted(zip(redactions["term"], redactions["category"]),
                     key=lambda tc: -len(tc[0]))
    pattern = re.compile("|".join(f"({_term_pattern(t)})" for t, _ in ordered), re.IGNORECASE)
    labels = [REDACTION_LABELS[c] for _, c in ordered]

    def sub(value):
        if value is pd.NA or value is None:
            return value
        return pattern.sub(lambda m: labels[m.lastindex - 1], value)

    return out.map(sub, na_action="ignore").astype("string")


# =========================================================================== import
def _read_any(path: Path, positions: str, sheet: str | None,
              redactions: pd.DataFrame | None = None) -> pd.DataFrame:
    suffix = path.suffix.lower()
    if suffix == ".qdpx":
        return read_qdpx(path, positions=positions, redactions=redactions)
    if suffix in (".csv", ".xlsx", ".xlsm", ".tsv", ".txt"):
        return read_taguette(path, sheet=sheet)
    if suffix == ".qdc":
        raise QDAError(path, "", "is a codebook (.qdc), which holds no coded segments; use "
                       "it with --codebook, or import the project (.qdpx)")
    raise QDAError(path, "", f"has an unsupported file type {suffix!r} (.qdpx, or a Taguette "
                   "highlights export .csv/.xlsx)")


def _site_lookup(processed: Path) -> dict[str, str] | None:
    """pseudonym -> site_id from the prepared Part 1 data (None when not prepared)."""
    path = processed / "part1_long.parquet"
    if not path.exists():
        return None
    people = pd.read_parquet(path, columns=["participant_id", "site_id"]).drop_duplicates(
        "participant_id")
    return dict(zip(people["participant_id"].astype(str), people["site_id"].astype(str)))


def _check_against_part1(export: Path, mapping: pd.DataFrame | None, docs_path: Path,
                         raw: pd.DataFrame, pid: pd.Series, site: pd.Series,
                         pseudo: pd.Series, lookup: dict[str, str], withdrawn: set,
                         key: bytes, safe) -> None:
    """Refuse sites that contradict the prepared Part 1 data; warn about participants
    absent from it (the documents of the export, by name; names go through ``safe``)."""
    part1 = "the prepared Part 1 data (part1_long.parquet)"
    problems = []
    if mapping is not None:  # every entry of the map, used by this export or not
        entries = mapping[mapping["site_id"].notna()
                          & ~mapping["participant_id"].isin(withdrawn)]
        if len(entries):
            ids = pseudonymise(entries["participant_id"], key).astype(str)
            for rec, p in zip(entries.itertuples(index=False), ids):
                there = lookup.get(p)
                if there is not None and str(rec.site_id).casefold() != there.casefold():
                    problems.append(
                        f"row {rec.row}: document {safe(rec.document)!r} is at site "
                        f"{rec.site_id!r} here, but {part1} has participant "
                        f"{rec.participant_id!r} at site {there!r}")
    mapped = set(mapping["document"].map(_doc_key)) if mapping is not None else set()
    from_export = pd.DataFrame({"document": raw["document"].astype(str), "pid": pid,
                                "site": site, "pseudo": pseudo})
    from_export = from_export[~from_export["document"].map(_doc_key).isin(mapped)]
    for rec in from_export.dropna(subset=["site", "pseudo"]).drop_duplicates(
            "document").itertuples(index=False):
        there = lookup.get(str(rec.pseudo))
        if there is not None and str(rec.site).casefold() != there.casefold():
            problems.append(f"{f'{export.name}: ' if mapping is not None else ''}"
                            f"document {safe(rec.document)!r} is at site "
                            f"{rec.site!r} in the export's cases, but {part1} has "
                            f"participant {rec.pid!r} at site {there!r}")
    if problems:
        raise QDAError(docs_path if mapping is not None else export, "", problems,
                       "A transcript must be at its participant's Part 1 site. Correct the "
                       "site_id (or leave it blank: the site then comes from Part 1) or the "
                       "participant_id, and run again; nothing was written.")
    rows = dict(zip(mapping["document"].map(_doc_key), mapping["row"])) \
        if mapping is not None else {}
    absent = []
    known = pd.DataFrame({"document": raw["document"].astype(str), "pid": pid,
                          "pseudo": pseudo}).dropna(subset=["pseudo"])
    for rec in known.drop_duplicates("document").itertuples(index=False):
        if str(rec.pseudo) not in lookup:
            row = rows.get(_doc_key(rec.document))
            absent.append(f"{safe(rec.document)!r} (participant {rec.pid!r}"
                          + (f", {docs_path.name} row {row})" if row is not None else ")"))
    if absent:
        warnings.warn(f"{export.name}: {len(absent)} document(s) mapped to a participant who "
                      f"is not in {part1}: {'; '.join(absent[:20])}"
                      f"{' ...' if len(absent) > 20 else ''}. Their segments are imported, "
                      "but reports cannot give these participants a site, sector or role: "
                      "check the participant_id (a typo?), or prepare Part 1 again with "
                      "their interviews.", QDAWarning, stacklevel=3)


def import_codes(path: str | Path, *, documents: str | Path | None = None,
                 positions: str = "auto", redactions: str | Path | None = None,
                 sheet: str | None = None) -> pd.DataFrame:
    """Import coded Part 2 segments: read, map to participants, drop withdrawn, redact.

    Parameters
    ----------
    path : str or Path
        A REFI-QDA project (``.qdpx``) or a Taguette highlights export (``.csv``/``.xlsx``).
    documents : str or Path, optional
        Map of document names to raw participant IDs (:func:`read_documents_map`); default
        ``data/raw/qda_documents.csv`` when it exists. Without a map, a ``.qdpx``'s Cases
        (case name, or a ``participant_id`` variable) and attribute Sets
        ("participant_id: S01-P03") are used.
    positions : {"auto", "codepoints", "utf16"}
        How a ``.qdpx`` counts positions (see the module docstring).
    redactions : str or Path, optional
        The redaction list (:func:`read_redaction_list`); default
        ``data/raw/redaction_list.csv`` when it exists (a warning otherwise).
    sheet : str, optional
        Worksheet of an XLSX export.

    Returns
    -------
    pandas.DataFrame
        One row per coded segment (a selection x code), columns :data:`SEGMENT_COLUMNS`:
        ``document`` (redacted name; a raw participant ID in it is replaced by the
        pseudonym), ``participant_id`` (the pseudonym of ``part1_long``; NA where the
        document is not mapped, with a warning), ``site_id`` (the participant's site in
        ``part1_long`` when prepared, else from the map or the export; NA when unknown),
        ``code``, ``code_path`` ("Role > Boundaries"),
        ``start``, ``end`` (Int64 positions as the file gives them, end exclusive; NA for
        Taguette), ``text`` (the selected text, redacted: terms of the list become
        ``[name]``/``[place]``/``[service]`` and mapped raw participant IDs ``[participant]``),
        ``coder`` (NA when the export does not say). Segments of withdrawn participants are
        left out. ``attrs``: ``positions``, ``producer``, ``n_checked``, ``n_withdrawn``
        (segments dropped), ``unmapped`` (document names), ``codebook`` (when the source
        has one), ``source`` (file name).

    Raises
    ------
    QDAError
        As :func:`read_qdpx` / :func:`read_taguette` / the map and list readers; and, when
        the Part 1 data has been prepared (``data/processed/part1_long.parquet``), when a
        site contradicts it: an entry of the documents map (any entry, used by this export
        or not) or a Case of the export gives a participant a ``site_id`` other than their
        Part 1 site. Every such document is listed with the map's row.
    ParameterError
        Unknown ``positions``.
    FileNotFoundError
        When ``path`` or a named ``documents``/``redactions`` file does not exist.

    Warns
    -----
    QDAWarning
        Unmapped documents; no redaction list; positions that could not be checked;
        documents mapped to a participant who is not in the prepared Part 1 data (each
        named, with its row of the map).
    """
    paths = project_paths()
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"QDA export not found: {path}")
    docs_path = Path(documents) if documents else paths.raw / DOCUMENTS_FILE
    if documents and not docs_path.exists():
        raise FileNotFoundError(f"Documents map not found: {docs_path}")
    red_path = Path(redactions) if redactions else paths.raw / REDACTION_FILE
    if redactions and not red_path.exists():
        raise FileNotFoundError(f"Redaction list not found: {red_path}")
    terms = read_redaction_list(red_path) if red_path.exists() else None
    raw = _read_any(path, positions, sheet, terms)  # messages quote redacted text only

    pid = raw["raw_participant_id"].astype("string")
    site = raw["raw_site_id"].astype("string")
    mapping = None
    if docs_path.exists():
        mapping = read_documents_map(docs_path)
        keys = raw["document"].map(_doc_key)
        by_key = dict(zip(mapping["document"].map(_doc_key), mapping["participant_id"]))
        site_by_key = dict(zip(mapping["document"].map(_doc_key), mapping["site_id"]))
        pid = keys.map(by_key).astype("string")
        site = keys.map(site_by_key).astype("string").fillna(site)
    unmapped = sorted(set(raw.loc[pid.isna(), "document"].astype(str)))
    if unmapped:
        safe = _safe_text(terms)
        warnings.warn(f"{path.name}: {len(unmapped)} document(s) not mapped to a participant "
                      f"(participant_id left NA): {', '.join(safe(d) for d in unmapped[:10])}"
                      f"{' ...' if len(unmapped) > 10 else ''}. Add them to "
                      f"{docs_path.name} (columns document, participant_id).",
                      QDAWarning, stacklevel=2)

    withdrawn = read_withdrawn(paths.raw)
    gone = pid.isin(withdrawn).fillna(False).astype(bool)
    raw, pid, site = raw[~gone], pid[~gone], site[~gone]

    mapped_ids = sorted({str(v) for v in pid.dropna()}, key=len, reverse=True)
    key = load_key(paths.key_file)
    pseudo = pd.Series(pd.NA, index=pid.index, dtype="string")
    if pid.notna().any():
        pseudo[pid.notna()] = pseudonymise(pid[pid.notna()], key)
    lookup = _site_lookup(paths.processed)
    if lookup is not None:  # Part 1 prepared: the map and the export must agree with it
        _check_against_part1(path, mapping, docs_path, raw, pid, site, pseudo, lookup,
                             withdrawn, key, _safe_text(terms))
        part1_site = pseudo.map(lookup).astype("string")
        site = part1_site.fillna(site)  # its spelling of the site (checked equal above)

    if terms is None:
        warnings.warn(f"No redaction list ({red_path}); coded text was imported without "
                      "redaction. Create it (columns term, category) before real data.",
                      QDAWarning, stacklevel=2)
    text, document = raw["text"], raw["document"]
    if mapped_ids:
        id_pattern = re.compile("|".join(rf"(?<!\w){re.escape(i)}(?!\w)" for i in mapped_ids))
        text = text.map(lambda v: id_pattern.sub("[participant]", v), na_action="ignore")
        id_map = dict(zip(pid.dropna().astype(str), pseudo[pid.notna()].astype(str)))
        document = document.map(lambda v: id_pattern.sub(lambda m: id_map[m.group(0)], v),
                                na_action="ignore")
    if terms is not None:
        text, document = redact(text, terms), redact(document, terms)

    out = pd.DataFrame({
        "document": document.astype("string"), "participant_id": pseudo,
        "site_id": site.astype("string"), "code": raw["code"], "code_path": raw["code_path"],
        "start": raw["start"], "end": raw["end"], "text": text.astype("string"),
        "coder": raw["coder"]})[SEGMENT_COLUMNS].reset_index(drop=True)
    out.attrs.update({k: v for k, v in raw.attrs.items() if k != "documents"})
    out.attrs.update(n_withdrawn=int(gone.sum()), unmapped=unmapped, source=path.name)
    return out


def write_coded_segments(path: str | Path, *, out: str | Path | None = None,
                         documents: str | Path | None = None, positions: str = "auto",
                         redactions: str | Path | None = None, sheet: str | None = None,
                         codebook: str | Path | None = None) -> list[Path]:
    """Import coded segments and write them atomically to ``data/processed``.

    Parameters
    ----------
    path, documents, positions, redactions, sheet
        As for :func:`import_codes`.
    out : str or Path, optional
        Output folder; default ``data/processed``.
    codebook : str or Path, optional
        A code tree (:func:`read_codebook`: ``.qdc`` or Taguette codebook CSV) to write
        beside the segments; default the ``.qdpx``'s own CodeBook, else the codes used.

    Returns
    -------
    list of Path
        ``coded_segments.parquet``, ``coded_segments.csv`` (IDs as text, spreadsheet
        formulas neutralised), ``qda_codebook.parquet`` and ``.csv`` (the code tree,
        :data:`CODEBOOK_COLUMNS`) and ``coded_segments_meta.json``
        (source file, SHA-256, producer, position convention, counts).

    Raises
    ------
    QDAError, ParameterError, FileNotFoundError
        As :func:`import_codes`; nothing in ``out`` has changed when any is raised.
    """
    from .prepare import _csv_text, atomic_outputs, sha256_file

    segments = import_codes(path, documents=documents, positions=positions,
                            redactions=redactions, sheet=sheet)
    if codebook:
        book = read_codebook(codebook)
    elif isinstance(segments.attrs.get("codebook"), pd.DataFrame):
        book = segments.attrs["codebook"]
    else:
        used = segments.drop_duplicates("code_path")
        book = _codebook_frame([{"theme": p.split(PATH_SEPARATOR)[0], "code": c,
                                 "code_path": p, "description": ""}
                                for c, p in zip(used["code"], used["code_path"])])
    out_dir = Path(out) if out else project_paths().processed
    meta = {"source": {"file": Path(path).name, "sha256": sha256_file(path)},
            "producer": segments.attrs.get("producer", ""),
            "positions": segments.attrs.get("positions", ""),
            "n_checked": int(segments.attrs.get("n_checked", 0)),
            "n_segments": int(len(segments)),
            "n_documents": int(segments["document"].nunique()),
            "n_participants": int(segments["participant_id"].nunique()),
            "n_withdrawn_segments": int(segments.attrs.get("n_withdrawn", 0)),
            "n_unmapped_documents": len(segments.attrs.get("unmapped", []))}
    names = ("coded_segments.parquet", "coded_segments.csv", "qda_codebook.parquet",
             "qda_codebook.csv", "coded_segments_meta.json")
    plain = segments.copy()
    plain.attrs = {}
    with atomic_outputs(out_dir) as stage:
        plain.to_parquet(stage / names[0], index=False)
        _csv_text(plain).to_csv(stage / names[1], index=False, encoding="utf-8")
        book.to_parquet(stage / names[2], index=False)
        _csv_text(book).to_csv(stage / names[3], index=False, encoding="utf-8")
        (stage / names[4]).write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n",
                                      encoding="utf-8")
    return [out_dir / n for n in names]


def load_coded_segments(data: str | Path | None = None) -> pd.DataFrame:
    """Read ``coded_segments.parquet`` written by :func:`write_coded_segments`.

    Parameters
    ----------
    data : str or Path, optional
        The processed folder; default ``data/processed``.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`SEGMENT_COLUMNS` (text columns ``string``, positions ``Int64``);
        ``attrs["codebook"]`` the code tree written beside it.

    Raises
    ------
    FileNotFoundError
        When no coded segments were imported: the message says to run
        ``peerlib import-codes``.
    """
    folder = Path(data) if data else project_paths().processed
    path = folder / "coded_segments.parquet"
    if not path.exists():
        raise FileNotFoundError(f"No coded segments at {path}. Run `peerlib import-codes "
                                "data/raw/<export>.qdpx` (or `make reports`) first.")
    frame = pd.read_parquet(path)
    for col in SEGMENT_COLUMNS:
        frame[col] = frame[col].astype("Int64" if col in ("start", "end") else "string")
    frame = frame[SEGMENT_COLUMNS]
    book_path = folder / "qda_codebook.parquet"
    if book_path.exists():
        frame.attrs["codebook"] = _codebook_frame(pd.read_parquet(book_path).to_dict("records"))
    return frame

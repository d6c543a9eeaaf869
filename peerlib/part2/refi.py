"""REFI-QDA readers: project exchange files (``.qdpx``) and codebook files (``.qdc``).

See :mod:`peerlib.part2.importer` for how positions are checked and how the import goes on;
this module reads the XML (elements matched by local name, entity declarations refused) and
returns unredacted rows with raw participant IDs.

References
----------
REFI-QDA Standard, version 1.5 (2019). Rotterdam Exchange Format Initiative: Project
Exchange (.qdpx) and Codebook Exchange (.qdc) formats. https://www.qdasoftware.org
"""
from __future__ import annotations

import re
import warnings
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..errors import QDAError, QDAWarning
from ..limits import limit, read_bytes, read_zip_entry
from .redaction import safe_text
from .segments import PATH_SEPARATOR, QDAExport, codebook_frame, read_qda_table, split_path

_MIN_FIND_LENGTH = 8  # a name shorter than this is not searched for elsewhere in the text

__all__ = ["POSITION_CONVENTIONS", "QDE_ADVICE", "read_codebook", "read_qdpx"]

POSITION_CONVENTIONS = ("auto", "codepoints", "utf16")

#: What to do with a bare ``project.qde`` (its sources are not inside it).
QDE_ADVICE = ("is a bare REFI-QDA project file (.qde) without its source texts: export the "
              "project from the QDA software as .qdpx with its sources, and import that")


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
    ``safe``, the redaction of :func:`~peerlib.part2.redaction.safe_text`)."""
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




def _parse_xml(data: bytes, file: str, entry: str) -> ET.Element:
    """Parse XML bytes (UTF-8 with or without BOM, or as the declaration says) with
    defusedxml: entity declarations and external references are refused (billion laughs,
    external entity attacks), as the REFI-QDA standard never needs them."""
    import defusedxml
    import defusedxml.ElementTree as DET

    try:
        return DET.fromstring(data, forbid_dtd=False, forbid_entities=True,
                              forbid_external=True)
    except (defusedxml.EntitiesForbidden, defusedxml.ExternalReferenceForbidden) as err:
        raise QDAError(file, entry, "declares XML entities, which are not allowed in a "
                       "REFI-QDA file (refused for safety)") from err
    except ET.ParseError as err:
        raise QDAError(file, entry, f"is not well-formed XML ({err})",
                       "Export the project again from the QDA software.") from err


def _walk_codes(parent: ET.Element, prefix: list[str], file: str, entry: str,
                out: dict[str, dict]) -> None:
    for code in _kids(parent, "Code"):
        name = (code.get("name") or "").strip()
        if not name:
            raise QDAError(file, f"{entry}: {_describe(code)}", "a Code has no name")
        guid = _guid(code.get("guid"))
        if not guid:
            raise QDAError(file, f"{entry}: {_describe(code)}", "a Code has no guid")
        # A flat code named "Theme > Code" (Taguette's .qdc, tools without nesting) is a
        # path, as in a CSV/XLSX codebook.
        path = prefix + split_path(name)
        name = path[-1]
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
        root = _parse_xml(read_bytes(path, "xml"), path.name, "")
        return codebook_frame(list(_codes_from(root, path.name, "").values()))
    if suffix == ".qde":
        raise QDAError(path, "", QDE_ADVICE)
    if suffix in (".qdpx", ".zip"):
        with _open_zip(path) as (zf, names):
            entry = _project_entry(path, names)
            root = _parse_xml(read_zip_entry(zf, entry, path, name="xml"), path.name, entry)
        return codebook_frame(list(_codes_from(root, path.name, entry).values()))
    table = read_qda_table(path, what="A Taguette codebook export is a CSV or XLSX with the "
                       "columns tag, description.", required=("tag",),
                       kind="a Taguette codebook export")
    rows = []
    for tag, desc in zip(table["tag"], table.get("description", [""] * len(table))):
        tag = str(tag).strip()
        if tag:
            parts = split_path(tag)
            rows.append({"theme": parts[0], "code": parts[-1],
                         "code_path": PATH_SEPARATOR.join(parts),
                         "description": str(desc).strip()})
    return codebook_frame(rows)


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
    if path.suffix.lower() == ".zip":
        raise QDAError(path, "", "is a zip archive holding no project.qde, so it is not a "
                       "REFI-QDA project: export the project from the QDA software as .qdpx "
                       "(a .qdpx renamed to .zip is read as it is)")
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
                 base: str, safe=None, budget: list[int] | None = None) -> str:
    """The text of a TextSource: inline, from the archive (``internal://``), or from a file
    in the export's own folder (``relative://``, resolved, never outside that folder).

    ``base`` (the project's ``basePath``) is not used to find files: a crafted export could
    point it anywhere. ``absolute://`` and ``file://`` paths, and ``relative://`` paths that
    resolve outside the export's folder, are refused, so an export can never read another
    file of the computer (the pseudonym key, other raw data) into the outputs. Sizes are
    bounded by :mod:`peerlib.limits` (``source``, ``archive``, ``ratio``).
    """
    inline = _kid(src_el, "PlainTextContent")
    if inline is not None and inline.text is not None:
        return inline.text.lstrip("\ufeff")
    ref = (src_el.get("plainTextPath") or "").strip()
    where = _describe(src_el, safe)
    if not ref:
        raise QDAError(path, where, "has neither plainTextPath nor PlainTextContent")
    scheme, sep, rest = ref.partition("://")
    scheme = scheme.lower()
    if not sep:  # a bare relative path ("board_2017.txt"), as the qc tool writes it
        scheme, rest = "internal", ref.replace("\\", "/").lstrip("/")
    if scheme == "internal":
        key = ("sources/" + rest.lstrip("/")).lower()
        real = names.get(key) or names.get(rest.lstrip("/").lower())
        if real is None:
            raise _MissingSource(f"{where}: plainTextPath {ref!r} names no file in the "
                                 "archive's sources/ folder")
        return _decode_source(read_zip_entry(zf, real, path, name="source", budget=budget),
                              path.name, real)
    if scheme in ("absolute", "file"):
        raise QDAError(path, where, f"plainTextPath {ref!r} points outside the export: "
                       f"{scheme}:// sources are not read (a project file must not pull in "
                       "other files of this computer)",
                       "Re-export the project with its sources inside the .qdpx (internal://), "
                       "or put the text beside the export and use relative://; nothing was "
                       "written.")
    if scheme == "relative":
        folder = path.parent.resolve()
        target = (folder / rest.lstrip("/")).resolve()
        if Path(rest).is_absolute() or not target.is_relative_to(folder):
            raise QDAError(path, where, f"plainTextPath {ref!r} leads outside the export's "
                           f"folder ({path.parent}); only files inside it are read",
                           "Re-export the project with its sources inside the .qdpx "
                           "(internal://); nothing was written.")
        if not target.is_file():
            raise _MissingSource(f"{where}: plainTextPath {ref!r} points to a file that "
                                 f"does not exist ({target})")
        return _decode_source(read_bytes(target, "source"), path.name, target.name)
    raise QDAError(path, where, f"plainTextPath {ref!r} has an unknown scheme "
                   "(internal://, relative:// or absolute:// expected)")


def _source_name(src_el: ET.Element) -> str:
    """The name of a TextSource without one (the name is optional in REFI-QDA 1.5): its
    text file's name, else its guid."""
    ref = (src_el.get("plainTextPath") or "").strip()
    tail = ref.partition("://")[2] if "://" in ref else ref
    tail = tail.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]
    return tail or _guid(src_el.get("guid"))


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
              redactions: pd.DataFrame | None = None) -> QDAExport:
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
    QDAExport
        ``segments``: one row per coding of a plain-text selection, in file order: ``document`` (the
        TextSource's name), ``code``, ``code_path``, ``start``, ``end`` (Int64, as the file
        gives them, end exclusive), ``text`` (the selected text recovered from the source,
        unredacted), ``coder`` (the User's name; NA when the export does not say),
        ``raw_participant_id`` and ``raw_site_id`` (from Cases/Variables or attribute Sets;
        NA when none). Beside it: ``positions`` (the convention used), ``producer``,
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
    from ..errors import ParameterError

    path = Path(path)
    if positions not in POSITION_CONVENTIONS:
        raise ParameterError(f"positions must be one of {', '.join(POSITION_CONVENTIONS)}, "
                             f"got {positions!r}")
    if not path.exists():
        raise FileNotFoundError(f"QDA export not found: {path}")
    # the archive's own size is not limited (media files in it are never read); what is
    # read from it is: entries are streamed within the source, xml and archive limits
    budget = [int(limit("archive") * 1_000_000)]
    with _open_zip(path) as (zf, names):
        entry = _project_entry(path, names)
        root = _parse_xml(read_zip_entry(zf, entry, path, name="xml", budget=budget),
                          path.name, entry)
        if _local(root.tag) != "Project":
            raise QDAError(path, entry, f"the root element is {_local(root.tag)!r}, not "
                           "'Project' (is this a codebook .qdc?)")
        producer = root.get("origin") or ""
        users = {}
        users_el = _kid(root, "Users")
        for user in (_kids(users_el, "User") if users_el is not None else []):
            users[_guid(user.get("guid"))] = (user.get("name") or "").strip() or None
        codes = _codes_from(root, path.name, entry)
        safe = safe_text(redactions)
        sources: list[_Source] = []
        skipped: list[str] = []
        missing: list[str] = []
        sources_el = _kid(root, "Sources")
        for src_el in (list(sources_el) if sources_el is not None else []):
            if _local(src_el.tag) != "TextSource":
                if any(_local(c.tag).endswith("Selection") for c in src_el):
                    skipped.append(f"{_local(src_el.tag)} {src_el.get('name') or ''!r}")
                continue
            name = (src_el.get("name") or "").strip() or _source_name(src_el)
            if not name:
                raise QDAError(path, _describe(src_el), "a TextSource has neither a name, "
                               "a plainTextPath nor a guid to name it by")
            try:
                text = _source_text(src_el, path, zf, names, root.get("basePath") or "",
                                    safe, budget)
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
    return QDAExport(frame, producer=producer, positions=convention, n_checked=checked,
                     documents=[s.name for s in sources],
                     codebook=codebook_frame(list(codes.values())))


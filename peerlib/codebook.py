"""The Part 1 instrument (codebook) as data, and label normalisation through it.

The codebook is one YAML file (``peerlib/schedules/part1.yaml`` by default): sections, items
(id, full wording, short label, ``draft`` flag), the two response scales with their order,
numeric codes and label aliases, and the roles with their aliases. Everything that maps what
people type to a canonical value reads it, so adding an item, an alias or a role is an edit of
that file and never of code.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from .limits import load_yaml

from .errors import CodebookError

__all__ = [
    "Codebook",
    "Level",
    "load_codebook",
    "default_codebook_path",
    "normalise_label",
    "item_columns",
    "HAPPENING",
    "IMPORTANCE",
    "MISSING_TOKENS",
]

HAPPENING = "happening"
IMPORTANCE = "importance"

#: Words other software writes for a missing value (R, SPSS, SQL, Stata, SAS exports), as
#: folded by :func:`normalise_label`. On a scale whose codebook gives one of them no meaning
#: (no label or alias), it is read as no answer, and validation warns where it was found
#: (:func:`peerlib.part1.validate.normalise_responses`).
MISSING_TOKENS = ("na", "n/a", "nan", "null", "-99")

# Apostrophe-like characters people's keyboards and Word produce, all read as "'".
_APOSTROPHES = dict.fromkeys(map(ord, "\u2018\u2019\u201a\u201b\u2032\u00b4\u0060\uff07"), "'")
_QUOTES = dict.fromkeys(map(ord, "\u201c\u201d\u201e\u201f\u2033"), '"')
_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"), "-")
_SPACE = re.compile(r"\s+")
# "4 - Extremely important", "4. Extremely important", "(4) Extremely important", "4: ..."
_CODE_AND_LABEL = re.compile(r"^\(?\s*(\d+(?:\.0+)?)\s*\)?\s*[-.:=)]\s*(.+)$")
_NUMBER = re.compile(r"^[+]?\d+(?:\.0+)?$")


def normalise_label(value: object) -> str:
    """Fold a typed answer or label into the form used for look-ups.

    Unicode NFKC, curly or typographic apostrophes and quotes made straight, dashes made
    ``-``, runs of white space (non-breaking included) made one space, outer space stripped,
    case folded. ``None``/NaN become ``""`` (no answer).

    Parameters
    ----------
    value : object
        A cell value as read from a file (str, int, float, None or NA).

    Returns
    -------
    str
        The folded text; numbers keep their digits (``4.0`` -> ``"4.0"``).

    Examples
    --------
    >>> normalise_label("  Don\u2019t   KNOW ")
    "don't know"
    >>> normalise_label(None)
    ''
    """
    if value is None:
        return ""
    try:
        if pd.isna(value):
            return ""
    except (TypeError, ValueError):
        pass
    # Map apostrophes before NFKC too: NFKC splits the acute accent (U+00B4) into a space
    # and a combining accent, and the double prime (U+2033) into two primes.
    text = str(value).translate(_APOSTROPHES).translate(_QUOTES)
    text = unicodedata.normalize("NFKC", text)
    text = text.translate(_APOSTROPHES).translate(_QUOTES).translate(_DASHES)
    return _SPACE.sub(" ", text).strip().casefold()


def _number_key(text: str) -> str | None:
    """``"4"``, ``"4.0"``, ``"+4"`` -> ``"4"``; anything else -> None."""
    if _NUMBER.match(text):
        return str(int(float(text)))
    return None


@dataclass(frozen=True)
class Level:
    """One answer option of a scale.

    Attributes
    ----------
    label : str
        Canonical label (as reported).
    code : int or None
        Numeric code accepted as input (for importance: the scale value 1-4).
    aliases : tuple of str
        Other spellings accepted (compared after :func:`normalise_label`).
    missing : bool
        True for the category that stands for "no answer recorded".
    substantive : bool
        True for answers scored by Importance-Performance analysis.
    score : float or None
        Performance score of a substantive answer (Yes 1, Partly 0.5, No 0).
    """

    label: str
    code: int | None = None
    aliases: tuple[str, ...] = ()
    missing: bool = False
    substantive: bool = False
    score: float | None = None


@dataclass
class Codebook:
    """The instrument: sections, items, scales and roles, with look-ups built from them.

    Build it with :func:`load_codebook`. Attributes hold the YAML content; the methods map
    typed values to canonical ones.

    Attributes
    ----------
    path : pathlib.Path
        The YAML file it was read from.
    name : str
        Name of the instrument.
    sections : pandas.DataFrame
        One row per section: ``section`` (id, str), ``title``, ``draft`` (bool), ``note``.
    items : pandas.DataFrame
        One row per item in report order: ``item_id`` (str, e.g. "2.1"), ``section``,
        ``wording``, ``label`` (short label for charts), ``draft`` (bool).
    happening_levels, importance_levels : list of Level
        The two scales in report order.
    roles : pandas.DataFrame
        One row per role in report order: ``role`` (canonical label), ``short`` (plural
        short label for tables), ``aliases`` (tuple).
    identifier_columns : list of str
        Raw column names that may hold direct identifiers (never carried into processed data).
    """

    path: Path
    name: str
    sections: pd.DataFrame
    items: pd.DataFrame
    happening_levels: list[Level]
    importance_levels: list[Level]
    importance_missing_aliases: tuple[str, ...]
    roles: pd.DataFrame
    identifier_columns: list[str] = field(default_factory=list)

    # ------------------------------------------------------------------ look-up tables
    def __post_init__(self) -> None:
        self._happening_lookup = self._build_lookup(self.happening_levels, HAPPENING)
        self._importance_lookup = self._build_lookup(self.importance_levels, IMPORTANCE)
        for alias in self.importance_missing_aliases:
            key = normalise_label(alias)
            if key in self._importance_lookup and self._importance_lookup[key] is not None:
                raise CodebookError(
                    f"{self.path}: importance missing alias {alias!r} is also the label or "
                    f"alias of {self._importance_lookup[key]!r}"
                )
            self._importance_lookup[key] = None
        # other software's missing-value words the codebook gives no meaning: no answer
        self._default_missing: dict[str, tuple[str, ...]] = {}
        missing_label = next((lvl.label for lvl in self.happening_levels if lvl.missing), None)
        for scale, lookup, value in ((HAPPENING, self._happening_lookup, missing_label),
                                     (IMPORTANCE, self._importance_lookup, None)):
            tokens = tuple(t for t in MISSING_TOKENS if t not in lookup) \
                if scale == IMPORTANCE or missing_label is not None else ()
            for token in tokens:
                lookup[token] = value
            self._default_missing[scale] = tokens
        self._role_lookup: dict[str, str] = {}
        for rec in self.roles.itertuples(index=False):
            for spelling in (rec.role, *rec.aliases):
                key = normalise_label(spelling)
                other = self._role_lookup.get(key)
                if other is not None and other != rec.role:
                    raise CodebookError(
                        f"{self.path}: role alias {spelling!r} is given for both "
                        f"{other!r} and {rec.role!r}"
                    )
                self._role_lookup[key] = rec.role

    def _build_lookup(self, levels: list[Level], scale: str) -> dict[str, object]:
        lookup: dict[str, object] = {}
        for level in levels:
            value: object = level.code if scale == IMPORTANCE else level.label
            spellings = [level.label, *level.aliases]
            if level.code is not None:
                spellings.append(str(level.code))
            for spelling in spellings:
                key = normalise_label(spelling)
                if key in lookup and lookup[key] != value:
                    raise CodebookError(
                        f"{self.path}: on the {scale} scale, {spelling!r} stands for both "
                        f"{lookup[key]!r} and {value!r}; each spelling may mean one answer"
                    )
                lookup[key] = value
        return lookup

    # ------------------------------------------------------------------ properties
    def default_missing_tokens(self, scale: str) -> tuple[str, ...]:
        """Other software's missing-value words (:data:`MISSING_TOKENS`) that this codebook
        gives no meaning on ``scale``, and that are therefore read as no answer.

        Parameters
        ----------
        scale : str
            ``"happening"`` or ``"importance"``.

        Returns
        -------
        tuple of str
            The words as folded by :func:`normalise_label` (e.g. ``("nan", "null",
            "-99")`` on the happening scale of the shipped codebook, whose aliases make
            "NA" and "N/A" Not relevant).

        Raises
        ------
        KeyError
            For another scale.

        Examples
        --------
        >>> cb = load_codebook()
        >>> cb.default_missing_tokens("happening"), cb.default_missing_tokens("importance")
        (('nan', 'null', '-99'), ('na', 'n/a', 'nan', 'null', '-99'))
        """
        return self._default_missing[scale]

    @property
    def item_ids(self) -> list[str]:
        """Item ids in report order (strings: "2.10" never becomes 2.1)."""
        return list(self.items["item_id"])

    @property
    def happening_labels(self) -> list[str]:
        """The "Is this happening here?" categories in scale order, Missing last."""
        return [lvl.label for lvl in self.happening_levels]

    @property
    def happening_missing_label(self) -> str:
        """The label of the no-answer category on the happening scale (e.g. "Missing")."""
        return next(lvl.label for lvl in self.happening_levels if lvl.missing)

    @property
    def substantive_scores(self) -> dict[str, float]:
        """Performance score of each substantive happening answer (Yes 1, Partly .5, No 0)."""
        return {lvl.label: float(lvl.score) for lvl in self.happening_levels if lvl.substantive}

    @property
    def importance_labels(self) -> dict[int, str]:
        """Importance scale value (1-4) -> label, ascending."""
        return {int(lvl.code): lvl.label for lvl in sorted(self.importance_levels,
                                                            key=lambda lvl: lvl.code)}

    @property
    def role_labels(self) -> list[str]:
        """Canonical role labels in report order."""
        return list(self.roles["role"])

    def happening_dtype(self) -> pd.CategoricalDtype:
        """The ordered categorical dtype of the ``happening`` column."""
        return pd.CategoricalDtype(self.happening_labels, ordered=True)

    def role_dtype(self) -> pd.CategoricalDtype:
        """The ordered categorical dtype of the ``role`` column (report order)."""
        return pd.CategoricalDtype(self.role_labels, ordered=True)

    def allowed_text(self, scale: str) -> str:
        """Human-readable list of what a cell on ``scale`` may hold, for error messages."""
        if scale == HAPPENING:
            parts = [f"{lvl.code} = {lvl.label}" if lvl.code is not None else lvl.label
                     for lvl in self.happening_levels if not lvl.missing]
            return "; ".join(parts) + "; blank = no answer"
        if scale == IMPORTANCE:
            parts = [f"{code} = {label}" for code, label in self.importance_labels.items()]
            return "; ".join(parts) + "; blank = no answer"
        if scale == "role":
            return "; ".join(self.role_labels)
        raise KeyError(scale)

    # ------------------------------------------------------------------ normalisation
    def _lookup_one(self, raw: object, lookup: dict[str, object]) -> tuple[object, bool]:
        key = normalise_label(raw)
        if key in lookup:
            return lookup[key], True
        number = _number_key(key)
        if number is not None:
            return (lookup[number], True) if number in lookup else (None, False)
        match = _CODE_AND_LABEL.match(key)
        if match:
            code, label = _number_key(match.group(1)), match.group(2).strip()
            # the second part must be a label or alias: "3.3" or "4 - 4" is not "3 - Quite"
            if (_number_key(label) is None and code in lookup and label in lookup
                    and lookup[code] == lookup[label]):
                return lookup[code], True
        return None, False

    def _normalise(self, values: pd.Series, lookup: dict[str, object]
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Look up each distinct value once (a column holds a few spellings many times):
        each cell's code (int array), and per code the canonical value (object array, None
        where not recognised or no answer) and whether it was recognised (bool array)."""
        cells = values.to_numpy(dtype=object)
        try:
            codes, uniques = pd.factorize(cells, use_na_sentinel=False)
        except TypeError:  # an unhashable cell: compare it by its text
            codes, uniques = pd.factorize(np.array([v if isinstance(v, (str, int, float,
                                                                        type(None)))
                                                    else str(v) for v in cells], dtype=object),
                                          use_na_sentinel=False)
        found = [self._lookup_one(raw, lookup) for raw in uniques]
        out = np.empty(len(found), dtype=object)
        out[:] = [value for value, _ in found]
        return codes, out, np.array([good for _, good in found], dtype=bool)

    def normalise_happening(self, values: pd.Series) -> tuple[pd.Series, pd.Series]:
        """Map typed "Is this happening here?" answers to canonical categories.

        Parameters
        ----------
        values : pandas.Series
            Cells as read (labels in any case/spacing/apostrophe form, numeric codes as
            numbers or text, "1 - Yes", blank).

        Returns
        -------
        answers : pandas.Series
            Ordered categorical (:meth:`happening_dtype`), same index; no answer is the
            ``Missing`` category, never NA; a value that is not recognised is NA.
        recognised : pandas.Series of bool
            False where the value was not recognised (an error for the caller to report).
        """
        codes, out, ok = self._normalise(values, self._happening_lookup)
        dtype = self.happening_dtype()
        # each distinct answer's category code, spread over the cells (-1: NA)
        place = {c: i for i, c in enumerate(dtype.categories)}
        answer_codes = np.array([place.get(v, -1) for v in out], dtype=np.int64)
        answers = pd.Series(pd.Categorical.from_codes(
            answer_codes[codes], dtype=dtype), index=values.index)
        return answers, pd.Series(ok[codes], index=values.index, dtype=bool)

    def normalise_importance(self, values: pd.Series) -> tuple[pd.Series, pd.Series]:
        """Map typed "How important is this to you?" answers to the 1-4 scale.

        Parameters
        ----------
        values : pandas.Series
            Cells as read: 4, "3", 4.0, "4 - Extremely important", "extremely important",
            blank.

        Returns
        -------
        scores : pandas.Series
            Nullable ``Int64`` 1-4, same index; no answer and unrecognised values are NA.
        recognised : pandas.Series of bool
            False where the value was not recognised.
        """
        codes, out, ok = self._normalise(values, self._importance_lookup)
        missing = np.array([v is None for v in out], dtype=bool)
        score = np.array([0 if v is None else int(v) for v in out], dtype=np.int64)
        scores = pd.Series(pd.arrays.IntegerArray(score[codes], missing[codes]),
                           index=values.index)
        return scores, pd.Series(ok[codes], index=values.index, dtype=bool)

    def normalise_role(self, values: pd.Series) -> tuple[pd.Series, pd.Series]:
        """Map typed roles ("PW", "peer support worker", "Service User ") to canonical roles.

        Returns
        -------
        roles : pandas.Series
            Ordered categorical of the canonical roles (:meth:`role_dtype`); NA where unknown.
        recognised : pandas.Series of bool
            False where the role is blank or unknown.
        """
        # each distinct spelling folded once (10,000 interviews hold a few spellings)
        codes, distinct = pd.factorize(pd.Series(values.tolist(), dtype=object),
                                       use_na_sentinel=False)
        found = [self._role_lookup.get(normalise_label(raw)) for raw in distinct]
        out = [found[c] for c in codes]
        roles = pd.Series(pd.Categorical(out, dtype=self.role_dtype()), index=values.index)
        return roles, pd.Series([role is not None for role in out], index=values.index,
                                dtype=bool)

    # ------------------------------------------------------------------ documentation
    def data_dictionary(self) -> pd.DataFrame:
        """The data dictionary of the instrument, for reports.

        Returns
        -------
        pandas.DataFrame
            One row per item in report order: ``item_id``, ``section``, ``section_title``,
            ``label``, ``wording``, ``draft`` (bool), ``happening_column`` and
            ``importance_column`` (the raw column names).
        """
        out = self.items.merge(
            self.sections[["section", "title"]].rename(columns={"title": "section_title"}),
            on="section", how="left",
        )
        cols = out["item_id"].map(item_columns)
        out["happening_column"] = [c[0] for c in cols]
        out["importance_column"] = [c[1] for c in cols]
        return out[["item_id", "section", "section_title", "label", "wording", "draft",
                    "happening_column", "importance_column"]]

    def scale_table(self) -> pd.DataFrame:
        """Both response scales as a table, for the data dictionary.

        Returns
        -------
        pandas.DataFrame
            One row per answer option in scale order: ``scale`` ("happening" or
            "importance"), ``question``, ``code`` (Int64; NA where the option has no code),
            ``label``, ``aliases`` (comma-separated), ``meaning`` (how analysis treats it).
        """
        rows = []
        for lvl in self.happening_levels:
            meaning = ("no answer recorded; counted in percentages of everyone asked"
                       + _also(self.default_missing_tokens(HAPPENING))
                       if lvl.missing else
                       f"substantive; performance score {lvl.score:g}" if lvl.substantive else
                       "not substantive; excluded from performance")
            rows.append(("happening", "Is this happening here?", lvl.code, lvl.label,
                         ", ".join(lvl.aliases), meaning))
        for lvl in sorted(self.importance_levels, key=lambda lvl: -lvl.code):
            rows.append(("importance", "How important is this to you?", lvl.code, lvl.label,
                         ", ".join(lvl.aliases), f"scale value {lvl.code}"))
        rows.append(("importance", "How important is this to you?", None, "(no answer)",
                     ", ".join(repr(a) for a in self.importance_missing_aliases),
                     "missing (NA); excluded from means"
                     + _also(self.default_missing_tokens(IMPORTANCE))))
        out = pd.DataFrame(rows, columns=["scale", "question", "code", "label", "aliases",
                                          "meaning"])
        out["code"] = out["code"].astype("Int64")
        return out


def _also(tokens: tuple[str, ...]) -> str:
    """The note of the data dictionary on missing-value words read as no answer."""
    if not tokens:
        return ""
    return ("; also " + ", ".join(t.upper() if t != "nan" else "NaN" for t in tokens)
            + " (other software's words for a missing value, read with a warning)")


def item_columns(item_id: str) -> tuple[str, str]:
    """Raw column names of an item: ``"2.1"`` -> ``("q2_1_happening", "q2_1_importance")``.

    Examples
    --------
    >>> item_columns("2.10")
    ('q2_10_happening', 'q2_10_importance')
    """
    stem = "q" + str(item_id).replace(".", "_")
    return f"{stem}_{HAPPENING}", f"{stem}_{IMPORTANCE}"


def default_codebook_path() -> Path:
    """Path of the codebook shipped with peerlib (``schedules/part1.yaml``)."""
    return Path(str(resources.files("peerlib") / "schedules" / "part1.yaml"))


def _require(entry: dict, key: str, where: str, path: Path) -> object:
    if not isinstance(entry, dict) or key not in entry or entry[key] in (None, ""):
        raise CodebookError(f"{path}: {where} has no {key!r}")
    return entry[key]


def _levels(spec: object, scale: str, path: Path) -> list[Level]:
    if not isinstance(spec, dict) or not isinstance(spec.get("levels"), list):
        raise CodebookError(f"{path}: scales.{scale} needs a list 'levels'")
    levels = []
    for i, lvl in enumerate(spec["levels"]):
        where = f"scales.{scale}.levels[{i}]"
        label = str(_require(lvl, "label", where, path))
        code = lvl.get("code")
        if code is not None and not isinstance(code, int):
            raise CodebookError(f"{path}: {where} ({label}) has code {code!r}; codes are "
                                "whole numbers")
        aliases = lvl.get("aliases") or []
        if not isinstance(aliases, list):
            raise CodebookError(f"{path}: {where} ({label}) aliases must be a list")
        levels.append(Level(label=label, code=code, aliases=tuple(str(a) for a in aliases),
                            missing=bool(lvl.get("missing", False)),
                            substantive=bool(lvl.get("substantive", False)),
                            score=lvl.get("score")))
    return levels


@lru_cache(maxsize=8)
def _load_cached(path: Path, mtime: float) -> Codebook:
    try:
        spec = load_yaml(path)
    except (yaml.YAMLError, UnicodeDecodeError) as err:
        raise CodebookError(f"{path}: not valid YAML: {err}") from err
    if not isinstance(spec, dict):
        raise CodebookError(f"{path}: expected a mapping at the top level")

    sections = []
    for i, sec in enumerate(spec.get("sections") or []):
        sections.append({"section": str(_require(sec, "id", f"sections[{i}]", path)),
                         "title": str(_require(sec, "title", f"sections[{i}]", path)),
                         "draft": bool(sec.get("draft", False)),
                         "note": sec.get("note") or ""})
    section_ids = {s["section"] for s in sections}

    items = []
    for i, item in enumerate(spec.get("items") or []):
        where = f"items[{i}]"
        item_id = _require(item, "id", where, path)
        if not isinstance(item_id, str):
            raise CodebookError(f"{path}: {where} id {item_id!r} must be quoted text (e.g. "
                                f"\"2.10\"), so that 2.10 does not become 2.1")
        section = str(_require(item, "section", f"{where} ({item_id})", path))
        if section not in section_ids:
            raise CodebookError(f"{path}: item {item_id} names section {section!r}, which is "
                                f"not among the sections ({', '.join(sorted(section_ids))})")
        items.append({"item_id": item_id, "section": section,
                      "wording": str(_require(item, "wording", f"item {item_id}", path)),
                      "label": str(item.get("label") or item_id),
                      "draft": bool(item.get("draft", False))})
    if not items:
        raise CodebookError(f"{path}: the codebook lists no items")
    ids = [it["item_id"] for it in items]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise CodebookError(f"{path}: item ids listed more than once: {', '.join(dupes)}")

    scales = spec.get("scales") or {}
    happening = _levels(scales.get(HAPPENING), HAPPENING, path)
    importance = _levels(scales.get(IMPORTANCE), IMPORTANCE, path)
    if sum(lvl.missing for lvl in happening) != 1:
        raise CodebookError(f"{path}: the happening scale needs exactly one level with "
                            "'missing: true' (the no-answer category)")
    if any(lvl.substantive and lvl.score is None for lvl in happening):
        raise CodebookError(f"{path}: every substantive happening level needs a 'score'")
    if any(lvl.code is None for lvl in importance):
        raise CodebookError(f"{path}: every importance level needs a numeric 'code' (its "
                            "scale value)")

    roles = []
    for i, role in enumerate(spec.get("roles") or []):
        label = str(_require(role, "label", f"roles[{i}]", path))
        roles.append({"role": label, "short": str(role.get("short") or label),
                      "aliases": tuple(str(a) for a in role.get("aliases") or [])})
    if not roles:
        raise CodebookError(f"{path}: the codebook lists no roles")

    return Codebook(
        path=path,
        name=str(spec.get("name") or path.stem),
        sections=pd.DataFrame(sections, columns=["section", "title", "draft", "note"]),
        items=pd.DataFrame(items, columns=["item_id", "section", "wording", "label", "draft"]),
        happening_levels=happening,
        importance_levels=importance,
        importance_missing_aliases=tuple(
            str(a) for a in scales[IMPORTANCE].get("missing_aliases") or [""]),
        roles=pd.DataFrame(roles, columns=["role", "short", "aliases"]),
        identifier_columns=[str(c) for c in spec.get("identifier_columns") or []],
    )


def load_codebook(path: str | Path | None = None) -> Codebook:
    """Load and check the codebook.

    Parameters
    ----------
    path : str or Path, optional
        A codebook YAML file; default the one shipped with peerlib
        (:func:`default_codebook_path`).

    Returns
    -------
    Codebook
        The instrument with its look-up tables (cached per file and modification time).

    Raises
    ------
    CodebookError
        When the file is not valid YAML or an entry is missing or contradictory (an alias
        given to two answers, an item id that is not quoted text, an unknown section...). The
        message names the file and the entry.
    FileNotFoundError
        When ``path`` does not exist.

    Examples
    --------
    >>> cb = load_codebook()
    >>> cb.item_ids[:3]
    ['2.1', '2.2', '2.3']
    >>> cb.happening_labels
    ['Yes', 'Partly', 'No', "Don't know", 'Not relevant', 'Missing']
    """
    p = Path(path) if path else default_codebook_path()
    if not p.exists():
        raise FileNotFoundError(f"Codebook not found: {p}")
    p = p.resolve()
    return _load_cached(p, p.stat().st_mtime)

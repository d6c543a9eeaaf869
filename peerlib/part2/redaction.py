"""The project's redaction list and the redaction of excerpts at import."""
from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from ..errors import QDAError
from .segments import read_qda_table

__all__ = ["REDACTION_FILE", "REDACTION_LABELS", "read_redaction_list", "redact", "safe_text",
           "redact_contacts"]

#: The project's redaction list in ``data/raw`` (columns ``term``, ``category``).
REDACTION_FILE = "redaction_list.csv"


#: Redaction categories and what replaces their terms.
REDACTION_LABELS = {"name": "[name]", "place": "[place]", "service": "[service]"}


_CATEGORY_ALIASES = {"person": "name", "people": "name", "names": "name", "places": "place",
                     "location": "place", "services": "service", "organisation": "service",
                     "organization": "service"}


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
    table = read_qda_table(path, what="The redaction list is a CSV or XLSX with the columns "
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


def safe_text(redactions: pd.DataFrame | None):
    """A function that redacts text quoted in a message (an excerpt, a document name) with
    the project's redaction list (:func:`redact`); the identity without a list."""
    if redactions is None or not len(redactions):
        return lambda text: text

    def safe(text: str) -> str:
        return str(redact(pd.Series([text], dtype="string"), redactions).iloc[0])

    return safe


#: E-mail addresses: something@domain.tld.
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
#: Candidate telephone numbers: a run of digits, spaces, hyphens, dots and brackets that
#: starts with +, 0 or a bracket; kept as a number when it holds 10 to 13 digits (UK
#: numbers have 10 or 11 after the 0, 12 with +44) - not a year, a date or a score.
_PHONE = re.compile(r"(?<![\w+])(?:\+|\(?0)[\d ().-]{8,20}\d(?!\w)")
#: UK postcodes ("SW1A 1AA", "M1 1AE"), capitals as written on letters.
_POSTCODE = re.compile(r"(?<![A-Za-z0-9])[A-Z]{1,2}\d[A-Z\d]? {0,2}\d[ABD-HJLNP-UW-Z]{2}"
                       r"(?![A-Za-z0-9])")


def redact_contacts(texts: pd.Series) -> pd.Series:
    """Replace e-mail addresses, telephone numbers and UK postcodes by ``[email]``,
    ``[phone]`` and ``[postcode]``, whatever the redaction list says.

    A redaction list names the people, places and services the team thought of; a
    participant who reads out a phone number or an address in an interview is not on it
    (helper-29: "call me on 07700 900123" was published). These forms can be recognised
    without a list.

    Parameters
    ----------
    texts : pandas.Series of str
        Text (NA stays NA).

    Returns
    -------
    pandas.Series of string
        Same index. A telephone number is a run starting with "+", "0" or "(0" of 10 to 13
        digits with spaces, hyphens, dots or brackets between them (UK numbers: 10 or 11
        digits, 12 with +44); years, dates, scores and segment positions are left alone.

    Examples
    --------
    >>> redact_contacts(pd.Series(["Ring 07700 900123 or +44 (0)20 7946 0018, "
    ...                            "mail jo.b@example.org, SW1A 1AA; in 2019 we scored 3-4",
    ...                            "rated 0 1 2 3 4 5 6 7 8 9 10; M1  1AE"])).tolist()
    ... # doctest: +NORMALIZE_WHITESPACE
    ['Ring [phone] or [phone], mail [email], [postcode]; in 2019 we scored 3-4',
     'rated 0 1 2 3 4 5 6 7 8 9 10; [postcode]']
    """
    def phone(match: re.Match) -> str:
        text = match.group(0)
        digits = sum(ch.isdigit() for ch in text)
        # a telephone number has a group of at least 3 digits ("0 1 2 ... 10" is a scale)
        longest = max(len(group) for group in re.findall(r"\d+", text))
        return "[phone]" if 10 <= digits <= 13 and longest >= 3 else text

    def sub(value):
        value = _EMAIL.sub("[email]", value)
        value = _PHONE.sub(phone, value)
        return _POSTCODE.sub("[postcode]", value)

    return texts.astype("string").map(sub, na_action="ignore").astype("string")

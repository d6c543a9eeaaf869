"""Participant privacy at intake: pseudonyms, withdrawn participants, identifier columns.

- Pseudonyms are a keyed hash (HMAC-SHA-256, RFC 2104 with FIPS 180-4's SHA-256) of the raw
  participant ID under a project key kept outside the repository: the environment variable
  ``PEERLIB_KEY``, else a git-ignored key file ``.peerlib_key`` in the project folder, created
  on first use. The same raw ID always gets the same pseudonym under the same key, so data
  prepared later (and coded Part 2 segments) link up; without the key nobody can recompute
  which pseudonym is whose.
- Withdrawn participants are listed by raw ID, one per line, in the git-ignored file
  ``data/raw/withdrawn.txt``; they are removed before anything is written.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import sys
from pathlib import Path

import pandas as pd

from .errors import ParameterError

__all__ = [
    "KEY_ENV",
    "PSEUDONYM_PREFIX",
    "load_key",
    "pseudonymise",
    "read_withdrawn",
    "WITHDRAWN_FILE",
]

KEY_ENV = "PEERLIB_KEY"
PSEUDONYM_PREFIX = "P-"
WITHDRAWN_FILE = "withdrawn.txt"
_HEX_CHARS = 12  # 48 bits: collisions are checked for, and improbable below ~10^6 people


def load_key(key_file: str | Path, *, create: bool = True) -> bytes:
    """The project's pseudonym key.

    Parameters
    ----------
    key_file : str or Path
        The key file (normally ``<project>/.peerlib_key``), used when ``PEERLIB_KEY`` is not
        set.
    create : bool
        Create the key file (random 256-bit key, owner-only permissions) when it is missing,
        with a message on stderr saying where it is and why to back it up.

    Returns
    -------
    bytes
        The key.

    Raises
    ------
    ParameterError
        When there is no key and ``create`` is False, or the key file is empty.
    """
    env = os.environ.get(KEY_ENV)
    if env:
        return env.encode("utf-8")
    path = Path(key_file)
    if not path.exists():
        if not create:
            raise ParameterError(f"No pseudonym key: set {KEY_ENV} or create {path}")
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(secrets.token_hex(32) + "\n")
        print(f"peerlib: created the pseudonym key {path}. Keep it out of version control "
              "(it is git-ignored) and back it up securely: the same key is needed to give "
              f"the same participants the same pseudonyms next time. Or set {KEY_ENV}.",
              file=sys.stderr)
    key = path.read_text(encoding="utf-8").strip()
    if not key:
        raise ParameterError(f"The pseudonym key file {path} is empty")
    return key.encode("utf-8")


def pseudonymise(ids: pd.Series, key: bytes) -> pd.Series:
    """Replace raw participant IDs by stable pseudonyms.

    Parameters
    ----------
    ids : pandas.Series of str
        Raw participant IDs (whitespace-stripped text).
    key : bytes
        The project key (:func:`load_key`).

    Returns
    -------
    pandas.Series of string
        Same index; ``"P-"`` followed by the first 12 hex digits of
        HMAC-SHA-256(key, raw ID as UTF-8).

    Raises
    ------
    ParameterError
        When two different raw IDs would share a pseudonym (astronomically unlikely; the
        key is then unusable for this data).

    References
    ----------
    Krawczyk, H., Bellare, M., & Canetti, R. (1997). HMAC: Keyed-hashing for message
    authentication. RFC 2104.

    Examples
    --------
    >>> pseudonymise(pd.Series(["S01-P01"]), b"demo").tolist()
    ['P-...']
    """
    raw = ids.astype(str)
    mapping = {v: PSEUDONYM_PREFIX + hmac.new(key, v.encode("utf-8"),
                                              hashlib.sha256).hexdigest()[:_HEX_CHARS]
               for v in raw.unique()}
    if len(set(mapping.values())) != len(mapping):
        raise ParameterError("Two participant IDs map to the same pseudonym under this key; "
                             "use another key")
    return raw.map(mapping).astype("string")


def read_withdrawn(raw_dir: str | Path) -> set[str]:
    """Raw participant IDs listed in ``data/raw/withdrawn.txt`` (one per line; ``#``
    comments and blank lines ignored); an empty set when the file does not exist."""
    path = Path(raw_dir) / WITHDRAWN_FILE
    if not path.exists():
        return set()
    ids = set()
    for line in path.read_text(encoding="utf-8-sig").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            ids.add(line)
    return ids

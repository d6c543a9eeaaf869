"""Participant privacy at intake: pseudonyms, withdrawn participants, identifier columns.

- Pseudonyms are a keyed hash (HMAC-SHA-256, RFC 2104 with FIPS 180-4's SHA-256) of the raw
  participant ID under a project key kept outside the repository: the environment variable
  ``PEERLIB_KEY``, else a git-ignored key file ``.peerlib_key`` in the project folder, created
  on first use. The same raw ID always gets the same pseudonym under the same key, so data
  prepared later (and coded Part 2 segments) link up; without the key nobody can recompute
  which pseudonym is whose.
- The prepared data records a *fingerprint* of the key it was made with (an HMAC of a fixed
  label under the key: it identifies the key without revealing it). A command whose key
  differs from the one the existing processed data was made with refuses to run
  (:class:`~peerlib.errors.KeyMismatchError`), so a lost key never silently re-keys
  everything; ``--new-key`` starts over on purpose.
- Withdrawn participants are listed by raw ID, one per line, in the git-ignored file
  ``data/raw/withdrawn.txt``; they are removed before anything is written.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import stat
import sys
from pathlib import Path

import pandas as pd

from .errors import KeyMismatchError, ParameterError

__all__ = [
    "KEY_ENV",
    "KEY_MIN_BYTES",
    "KEY_RECORDS",
    "PSEUDONYM_PREFIX",
    "load_key",
    "key_fingerprint",
    "recorded_key_fingerprints",
    "checked_key",
    "check_processed_key",
    "pseudonymise",
    "read_withdrawn",
    "WITHDRAWN_FILE",
]

KEY_ENV = "PEERLIB_KEY"
PSEUDONYM_PREFIX = "P-"
WITHDRAWN_FILE = "withdrawn.txt"
_HEX_CHARS = 12  # 48 bits: collisions are checked for, and improbable below ~10^6 people
#: Shortest key accepted, in bytes (UTF-8): a short key could be guessed, and with it every
#: pseudonym recomputed from a list of raw IDs.
KEY_MIN_BYTES = 16
#: The metadata files in ``data/processed`` that record the key fingerprint, in the order a
#: command compares them: Part 1 first (the data everything links to).
KEY_RECORDS = ("part1_meta.json", "coded_segments_meta.json")
_FINGERPRINT_LABEL = b"peerlib pseudonym key fingerprint v1"


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
        When there is no key and ``create`` is False; ``PEERLIB_KEY`` is set but empty or
        blank; the key (from either place) is shorter than :data:`KEY_MIN_BYTES` bytes; the
        key file is empty or cannot be read.

    Warns
    -----
    A message on stderr when the key file can be read by other users (group or world
    permissions): restrict it with ``chmod 600``.
    """
    env = os.environ.get(KEY_ENV)
    if env is not None:
        if not env.strip():
            raise ParameterError(
                f"{KEY_ENV} is set but {'empty' if not env else 'blank'}. Set it to the "
                f"project's pseudonym key, or unset it to use the key file {Path(key_file)}.")
        return _long_enough(env.encode("utf-8"), f"the key in {KEY_ENV}")
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
    _warn_if_readable(path)
    try:
        key = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as err:
        raise ParameterError(f"The pseudonym key file {path} cannot be read ({err}). Restore "
                             "it from your backup, or set PEERLIB_KEY.") from err
    if not key:
        raise ParameterError(f"The pseudonym key file {path} is empty. Restore it from your "
                             f"backup (or set {KEY_ENV}).")
    return _long_enough(key.encode("utf-8"), f"the key file {path}")


def _long_enough(key: bytes, where: str) -> bytes:
    if len(key) < KEY_MIN_BYTES:
        raise ParameterError(f"The pseudonym key in {where} is {len(key)} byte(s) long; keys "
                             f"shorter than {KEY_MIN_BYTES} bytes are refused (a short key can "
                             "be guessed, and with it every pseudonym). Use the key file "
                             "peerlib creates (64 random hex digits), or a long random value.")
    return key


def _warn_if_readable(path: Path) -> None:
    """Say on stderr when a key file can be read by users other than its owner."""
    if os.name == "nt":  # permissions are ACLs there; mode bits say nothing
        return
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return
    if mode & 0o077:
        print(f"peerlib: warning: the pseudonym key file {path} can be read by other users "
              f"(permissions {mode:04o}). Anyone who can read it can link pseudonyms back to "
              f"participant IDs: restrict it with `chmod 600 {path}`.", file=sys.stderr)


def key_fingerprint(key: bytes) -> str:
    """A fingerprint of the key, safe to store beside the data: it tells keys apart but
    does not reveal the key.

    Parameters
    ----------
    key : bytes
        The pseudonym key.

    Returns
    -------
    str
        16 lowercase hex digits: the start of HMAC-SHA-256(key, a fixed label). The label
        differs from every raw ID, so the fingerprint is no participant's pseudonym.

    Examples
    --------
    >>> len(key_fingerprint(b"0123456789abcdef"))
    16
    """
    return hmac.new(key, _FINGERPRINT_LABEL, hashlib.sha256).hexdigest()[:16]


def recorded_key_fingerprints(processed: str | Path) -> dict[str, str]:
    """The key fingerprints recorded in the prepared data of ``processed``.

    Returns
    -------
    dict
        Metadata file name (of :data:`KEY_RECORDS`) -> fingerprint, for the files that exist
        and record one (data prepared before fingerprints were recorded has none). A file
        that cannot be read is skipped here: reading the data reports it.
    """
    out = {}
    for name in KEY_RECORDS:
        path = Path(processed) / name
        try:
            value = json.loads(path.read_text(encoding="utf-8")).get("key_fingerprint")
        except (OSError, ValueError, AttributeError):
            continue
        if isinstance(value, str) and value:
            out[name] = value
    return out


def _key_available(key_file: Path) -> bool:
    return os.environ.get(KEY_ENV) is not None or key_file.exists()


def _mismatch(processed: Path, recorded: dict[str, str], command: str, missing: bool,
              key_file: Path, current: str | None = None) -> KeyMismatchError:
    files = ", ".join(str(processed / f) for f in recorded)
    if missing:
        what = (f"There is no pseudonym key ({KEY_ENV} is not set and {key_file} does not "
                f"exist), but {files} was made with one")
    else:
        what = (f"The pseudonym key now in use (fingerprint {current}) is not the one {files} "
                f"was made with (fingerprint {', '.join(sorted(set(recorded.values())))})")
    return KeyMismatchError(
        f"{what}. Going on would give every participant a new pseudonym, so Part 2 codings "
        "would no longer link to Part 1 answers. Restore the key: put the backed-up key file "
        f"back at {key_file}, or set {KEY_ENV} to it. To start over on purpose with a new "
        f"key (every pseudonym changes; prepare Part 1 and import the coded transcripts "
        f"again), run `peerlib {command} --new-key`.")


def checked_key(processed: str | Path, key_file: str | Path, *, command: str = "prepare",
                new_key: bool = False, create: bool = True) -> bytes:
    """The project key, checked against the key the prepared data was made with.

    Parameters
    ----------
    processed : str or Path
        The processed-data folder the command writes (``data/processed``).
    key_file : str or Path
        The key file (used when ``PEERLIB_KEY`` is not set).
    command : str
        The command, for the message (``prepare``, ``import-codes``).
    new_key : bool
        Start over on purpose: accept a key that differs (or create one when it is missing).
    create : bool
        Create a key file when there is none and nothing was prepared with a key.

    Returns
    -------
    bytes
        The key (:func:`load_key`).

    Raises
    ------
    KeyMismatchError
        When ``new_key`` is False and the data in ``processed`` records a key fingerprint
        (Part 1's when prepared, else the coded segments') but there is no key, or the key's
        fingerprint differs. Nothing is created in that case. The message says how to
        restore the key or start over with ``--new-key``.
    ParameterError
        As :func:`load_key`.
    """
    processed, key_file = Path(processed), Path(key_file)
    recorded = recorded_key_fingerprints(processed)
    first = dict(list(recorded.items())[:1])  # Part 1's when prepared
    if first and not new_key and not _key_available(key_file):
        raise _mismatch(processed, first, command, True, key_file)
    key = load_key(key_file, create=create or new_key)
    current = key_fingerprint(key)
    if first and not new_key and set(first.values()) != {current}:
        raise _mismatch(processed, first, command, False, key_file, current)
    return key


def check_processed_key(processed: str | Path, key_file: str | Path) -> None:
    """Before reports: the prepared files were all made with one key, and (when a key is at
    hand) with the current one.

    Raises
    ------
    KeyMismatchError
        When ``part1_meta.json`` and ``coded_segments_meta.json`` record different
        fingerprints (the message says to import the coded transcripts again with the key
        Part 1 was prepared with), or a key is set or in the key file and differs from the
        recorded one. Without any key, the recorded fingerprints are only compared with
        each other (reports need no key).
    ParameterError
        As :func:`load_key`.
    """
    processed, key_file = Path(processed), Path(key_file)
    recorded = recorded_key_fingerprints(processed)
    if len(set(recorded.values())) > 1:
        raise KeyMismatchError(
            f"The coded transcripts ({processed / KEY_RECORDS[1]}) were imported with another "
            f"pseudonym key than Part 1 ({processed / KEY_RECORDS[0]}) was prepared with, so "
            "their participants would not link to Part 1 answers (no sector, no role). Run "
            "`peerlib import-codes <export>` again with the key Part 1 was prepared with.")
    if recorded and _key_available(key_file):
        current = key_fingerprint(load_key(key_file, create=False))
        if set(recorded.values()) != {current}:
            raise _mismatch(processed, recorded, "prepare", False, key_file, current)


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

"""Size limits on everything peerlib reads, so that one file cannot take the machine.

A file that is larger than its limit is refused with :class:`~peerlib.errors.LimitError`
(exit 1) naming the file, its size, the limit and how to raise it, before it is read into
memory. Limits are in megabytes (MB, 10^6 bytes) except the ratio and the alias budget:

============  ==========================================  =======  =============================
name          what                                        default  environment variable
============  ==========================================  =======  =============================
raw_file      a raw input file (CSV, XLSX, SPSS, Taguette)     20  ``PEERLIB_MAX_RAW_FILE``
source        one source text inside a ``.qdpx``               10  ``PEERLIB_MAX_SOURCE``
archive       all entries of a ``.qdpx``, uncompressed        500  ``PEERLIB_MAX_ARCHIVE``
ratio         uncompressed / compressed size of an entry      200  ``PEERLIB_MAX_RATIO``
xml           an XML document (``project.qde``, ``.qdc``)     100  ``PEERLIB_MAX_XML``
yaml          a YAML file (codebook, dataset, column map)       2  ``PEERLIB_MAX_YAML``
yaml_aliases  YAML aliases (``*name``) in one file            100  ``PEERLIB_MAX_YAML_ALIASES``
============  ==========================================  =======  =============================

Every command also takes ``--limit NAME=VALUE`` (e.g. ``--limit raw_file=500``), which sets
the environment variable for that run. Reading is bounded: archive entries are read through a
stream that stops one byte past the limit, whatever size the archive declares.

A ratio above 200 is far beyond any transcript (plain text compresses about 3-10 times) and
typical of a "zip bomb"; YAML aliases are few in a codebook, and an "alias bomb" (each alias
doubling the one before) is how a 1 KB file becomes billions of nodes.
"""
from __future__ import annotations

import os
import zipfile
from pathlib import Path

import yaml

from .errors import LimitError

__all__ = ["DEFAULT_LIMITS", "limit", "limit_env", "check_file_size", "check_zip", "read_bytes",
           "read_zip_entry", "load_yaml", "set_limits"]

#: Default limits (MB, except ``ratio`` and ``yaml_aliases``); see the module docstring.
DEFAULT_LIMITS = {"raw_file": 20, "source": 10, "archive": 500, "ratio": 200, "xml": 100,
                  "yaml": 2, "yaml_aliases": 100}
_MB = 1_000_000
_WHAT = {"raw_file": "raw input files", "source": "one source text of a .qdpx",
         "archive": "the uncompressed content of a .qdpx", "xml": "XML documents",
         "yaml": "YAML files", "ratio": "the compression ratio of a .qdpx entry",
         "yaml_aliases": "YAML aliases in one file"}


def limit_env(name: str) -> str:
    """The environment variable of limit ``name`` (``PEERLIB_MAX_RAW_FILE``)."""
    return f"PEERLIB_MAX_{name.upper()}"


def limit(name: str) -> float:
    """The limit ``name`` now in force: its environment variable, else the default.

    Returns
    -------
    float
        In MB for sizes; a plain number for ``ratio`` and ``yaml_aliases``.

    Raises
    ------
    ParameterError
        When the environment variable is not a positive number.
    """
    from .errors import ParameterError

    raw = os.environ.get(limit_env(name))
    if raw is None or not raw.strip():
        return float(DEFAULT_LIMITS[name])
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not value > 0 or value == float("inf"):
        raise ParameterError(f"{limit_env(name)}={raw!r} is not a positive number (the limit "
                             f"on {_WHAT[name]}; default {DEFAULT_LIMITS[name]})")
    return value


def set_limits(pairs: list[str] | None) -> None:
    """Apply ``--limit NAME=VALUE`` options (by setting their environment variables).

    Raises
    ------
    ParameterError
        For an unknown name or a value that is not a positive number.
    """
    from .errors import ParameterError

    for pair in pairs or []:
        name, _, value = pair.partition("=")
        name = name.strip().lower().replace("-", "_")
        if name not in DEFAULT_LIMITS:
            raise ParameterError(f"--limit {pair!r}: unknown limit {name!r}; the limits are "
                                 + ", ".join(f"{n} (default {v})"
                                             for n, v in DEFAULT_LIMITS.items()))
        os.environ[limit_env(name)] = value.strip()
        limit(name)  # check the value now


def _refuse(file: str | Path, size: str, name: str, what: str = "") -> LimitError:
    unit = "" if name in ("ratio", "yaml_aliases") else " MB"
    return LimitError(
        f"{Path(str(file)).name}{f', {what}' if what else ''}: {size}, more than the limit on "
        f"{_WHAT[name]} ({limit(name):g}{unit}). If the file is what you meant to read, "
        f"raise the limit with --limit {name}=VALUE or the environment variable "
        f"{limit_env(name)}; nothing was written.")


def check_file_size(path: str | Path, name: str = "raw_file") -> int:
    """Refuse a file larger than limit ``name``; return its size in bytes.

    Raises
    ------
    LimitError
        Naming the file, its size and the limit.
    """
    size = Path(path).stat().st_size
    if size > limit(name) * _MB:
        raise _refuse(path, f"{size / _MB:.1f} MB", name)
    return size


def check_zip(path: str | Path) -> None:
    """Refuse a zip-based file (``.xlsx``, ``.qdpx``) whose entries declare more than limit
    ``archive`` uncompressed, or an entry compressed more than limit ``ratio`` (a "zip
    bomb"); Python's zip reader never returns more than an entry declares.

    Raises
    ------
    LimitError
        Naming the file and the entry.
    """
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError):
        return  # the reader says what is wrong with it
    total = sum(i.file_size for i in infos)
    if total > limit("archive") * _MB:
        raise _refuse(path, f"{total / _MB:.1f} MB uncompressed", "archive")
    for info in infos:
        if info.file_size > 1 << 20 and info.file_size / max(info.compress_size, 1) \
                > limit("ratio"):
            raise _refuse(path, f"compressed {info.file_size // max(info.compress_size, 1)} "
                          "to 1", "ratio", f"entry {info.filename}")


def read_bytes(path: str | Path, name: str = "raw_file") -> bytes:
    """The bytes of a file no larger than limit ``name`` (:func:`check_file_size`)."""
    check_file_size(path, name)
    with open(path, "rb") as fh:
        data = fh.read(int(limit(name) * _MB) + 1)
    if len(data) > limit(name) * _MB:  # grew while we looked
        raise _refuse(path, f"more than {limit(name):g} MB", name)
    return data


def read_zip_entry(zf: zipfile.ZipFile, entry: str, archive: str | Path, *,
                   name: str = "source", budget: list[int] | None = None) -> bytes:
    """Read one entry of a zip archive, bounded.

    Parameters
    ----------
    zf : zipfile.ZipFile
        The open archive.
    entry : str
        The entry's name.
    archive : str or Path
        The archive (for messages).
    name : {"source", "xml"}
        The limit that applies to the entry.
    budget : list of one int, optional
        Bytes still allowed for the whole archive (limit ``archive``); decreased in place.

    Returns
    -------
    bytes
        The uncompressed entry.

    Raises
    ------
    LimitError
        When the entry is larger than its limit, or than the archive's remaining budget, or
        its compression ratio is above limit ``ratio``; the stream is never read more than
        one byte past the limit, whatever size the archive declares.
    """
    info = zf.getinfo(entry)
    cap = int(limit(name) * _MB)
    if budget is not None:
        cap = min(cap, budget[0])
    if info.file_size > cap:
        raise _refuse(archive, f"{info.file_size / _MB:.1f} MB uncompressed", name
                      if budget is None or cap < budget[0] else "archive", f"entry {entry}")
    chunks, total = [], 0
    with zf.open(info) as fh:
        while True:
            chunk = fh.read(1 << 20)
            if not chunk:
                break
            total += len(chunk)
            if total > cap:
                raise _refuse(archive, f"more than {cap / _MB:.1f} MB uncompressed", name,
                              f"entry {entry}")
            if info.compress_size and total > 1 << 20 \
                    and total / info.compress_size > limit("ratio"):
                raise _refuse(archive, f"compressed {total // max(info.compress_size, 1)} to 1"
                              " or more", "ratio", f"entry {entry}")
            chunks.append(chunk)
    if budget is not None:
        budget[0] -= total
    return b"".join(chunks)


class _BudgetLoader(yaml.SafeLoader):
    """PyYAML's safe loader counting aliases, refusing more than the budget."""

    aliases = 0
    budget = 100
    file = ""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            self.aliases += 1
            if self.aliases > self.budget:
                raise _refuse(self.file, f"more than {self.budget} aliases", "yaml_aliases")
        return super().compose_node(parent, index)


def load_yaml(path: str | Path, *, text: str | None = None):
    """Parse a YAML file with the safe loader, within the size and alias limits.

    Parameters
    ----------
    path : str or Path
        The file (read as UTF-8 with or without a byte-order mark unless ``text`` is given).
    text : str, optional
        Its text, when already read.

    Returns
    -------
    object
        What :func:`yaml.safe_load` returns.

    Raises
    ------
    LimitError
        A file over limit ``yaml`` or with more aliases than ``yaml_aliases``.
    yaml.YAMLError, UnicodeDecodeError
        As the parser raises them (callers turn them into their own messages).
    """
    if text is None:
        text = read_bytes(path, "yaml").decode("utf-8-sig")
    elif len(text) > limit("yaml") * _MB:
        raise _refuse(path, f"{len(text) / _MB:.1f} MB", "yaml")
    loader = _BudgetLoader(text)
    loader.budget = int(limit("yaml_aliases"))
    loader.file = str(path)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()

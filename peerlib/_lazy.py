"""Names of a package imported on first use (:pep:`562`), for ``peerlib`` and
``peerlib.batch``: importing the package then imports none of its submodules, so that a
batch worker process, which needs only a few light modules, never pays for pandas."""
from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping

__all__ = ["lazy_names"]


def lazy_names(package: str, names: Mapping[str, str]
               ) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """The module-level ``__getattr__`` and ``__dir__`` of a package whose public names are
    imported from their submodules when first asked for.

    Parameters
    ----------
    package : str
        The package's ``__name__``.
    names : mapping of str to str
        Public name -> the submodule that defines it, relative to the package
        (``"part1.prepare"``).

    Returns
    -------
    (callable, callable)
        ``__getattr__(name)``: imports the submodule, stores the name on the package (so it
        is looked up once) and returns it; raises AttributeError for any other name.
        ``__dir__()``: the package's attributes and the lazy names, sorted.
    """
    def __getattr__(name: str) -> object:
        module = names.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f".{module}", package), name)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(names))

    return __getattr__, __dir__

"""peerlib: loading, validation, scoring and reporting for the peer worker case study.

The names below are imported when first used (:pep:`562`), not when ``peerlib`` is: a batch
worker process, which only drives a notebook kernel and exports HTML, then never imports
pandas or pandera (about a second of CPU per process), and ``peerlib --help`` answers at once.
``from peerlib import load_prepared`` works as before.
"""
from __future__ import annotations

from ._lazy import lazy_names

__version__ = "0.1.0"

#: Public name -> the submodule that defines it.
_LAZY = {
    "Codebook": "codebook",
    "load_codebook": "codebook",
    "normalise_label": "codebook",
    "AnswerDataError": "errors",
    "CodebookError": "errors",
    "ParameterError": "errors",
    "PeerlibError": "errors",
    "ReportError": "errors",
    "project_dir": "paths",
    "project_paths": "paths",
    "load_part1": "part1.prepare",
    "load_prepared": "part1.prepare",
    "load_sites": "part1.prepare",
    "prepare": "part1.prepare",
}

__all__ = ["__version__", *_LAZY]


__getattr__, __dir__ = lazy_names(__name__, _LAZY)

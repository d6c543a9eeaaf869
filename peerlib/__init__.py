"""peerlib: loading, validation, scoring and reporting for the peer worker case study."""
from __future__ import annotations

__version__ = "0.1.0"

from .codebook import Codebook, load_codebook, normalise_label  # noqa: E402
from .errors import (  # noqa: E402
    AnswerDataError,
    CodebookError,
    ParameterError,
    PeerlibError,
    ReportError,
)
from .paths import project_dir, project_paths  # noqa: E402
from .part1.prepare import load_part1, load_prepared, load_sites, prepare  # noqa: E402

__all__ = [
    "__version__",
    "Codebook",
    "load_codebook",
    "normalise_label",
    "AnswerDataError",
    "CodebookError",
    "ParameterError",
    "PeerlibError",
    "ReportError",
    "project_dir",
    "project_paths",
    "load_part1",
    "load_prepared",
    "load_sites",
    "prepare",
]

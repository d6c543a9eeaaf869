"""CSV downloads inside a report: the data behind each table and chart, in the page itself.

Readers get reports by email or on a shared drive, offline; a link to a server would not
work. Each download is therefore a ``data:`` URI in an ``<a download>`` link: the browser
saves it as a CSV file without any script or network. The table written is the one the
page shows (already through the disclosure rules: hidden cells read "n<k"), written
by the one formula-safe CSV writer (:func:`peerlib._files.csv_bytes`) and encoded as UTF-8 with a byte order
mark, so that Excel shows accents and curly quotes correctly.

A download made from the synthetic demo says so wherever the file goes (:func:`mark_synthetic`,
set by :func:`peerlib.reporting.tables.load_report_data`): its name starts with
``synthetic-demo-`` and it has a last column :data:`SYNTHETIC_COLUMN` on every row, so that
an invented figure saved from a report cannot later pass for a study result.
"""
from __future__ import annotations

import base64
import html
import re

import pandas as pd

from .._files import csv_bytes as safe_csv_bytes

__all__ = ["csv_bytes", "csv_filename", "csv_data_uri", "csv_link_html", "csv_link",
           "mark_synthetic", "SYNTHETIC_COLUMN"]

#: The last column of every download made from the synthetic demo, and its value.
SYNTHETIC_COLUMN = ("Data", "SYNTHETIC DEMO DATA (invented figures)")
#: Whether the current report's data are the synthetic demo (:func:`mark_synthetic`).
_SYNTHETIC = [False]


def mark_synthetic(synthetic: bool) -> None:
    """Say whether the downloads made from now on come from the synthetic demo.

    Called by :func:`peerlib.reporting.tables.load_report_data`, the first call of every
    report template (a batch kernel runs report after report, each loading its data
    first). With True, :func:`csv_bytes` adds :data:`SYNTHETIC_COLUMN` and
    :func:`csv_link_html` prefixes the file name with ``synthetic-demo-``.
    """
    _SYNTHETIC[0] = bool(synthetic)


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """A display table as CSV bytes, by the one CSV writer of every output
    (:func:`peerlib._files.csv_bytes`): formula-safe, UTF-8 with BOM, no index, RFC 4180
    records (a cell holding a line break is quoted, and none of its lines starts a formula);
    from the synthetic demo, with a last column saying so (:func:`mark_synthetic`).

    Parameters
    ----------
    frame : pandas.DataFrame
        The table as the page shows it (text cells; NA written as an empty cell).

    Returns
    -------
    bytes
        The CSV file's content.
    """
    frame = frame.reset_index(drop=True)
    if _SYNTHETIC[0]:
        name, value = SYNTHETIC_COLUMN
        frame = frame.assign(**{name: value}) if name not in frame.columns else frame
    return safe_csv_bytes(frame, bom=True)


def csv_filename(text: str, *, default: str = "table") -> str:
    """A safe file name from a caption: lower case letters, digits and hyphens, ``.csv``.

    Examples
    --------
    >>> csv_filename("Importance by role (1-4 scale)")
    'importance-by-role-1-4-scale.csv'
    """
    slug = re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-")[:60].strip("-")
    return f"{slug or default}.csv"


def csv_data_uri(frame: pd.DataFrame) -> str:
    """The CSV of :func:`csv_bytes` as a base64 ``data:text/csv`` URI."""
    return "data:text/csv;charset=utf-8;base64," + base64.b64encode(
        csv_bytes(frame)).decode("ascii")


def csv_link_html(frame: pd.DataFrame, filename: str,
                  label: str = "Download these figures (CSV)") -> str:
    """The download link as an HTML string (see :func:`csv_link`)."""
    name = csv_filename(filename.removesuffix(".csv"))
    if _SYNTHETIC[0] and not name.startswith("synthetic-demo-"):
        name = "synthetic-demo-" + name
    return (f'<p class="peerwork-download"><a download="{html.escape(name)}" '
            f'href="{csv_data_uri(frame)}">{html.escape(label)}</a> '
            f'<span class="peerwork-download-size">({len(frame)} rows, '
            f'{html.escape(name)})</span></p>')


def csv_link(frame: pd.DataFrame, filename: str,
             label: str = "Download the data behind this chart (CSV)"):
    """A link that saves ``frame`` as a CSV file, for a notebook cell.

    Parameters
    ----------
    frame : pandas.DataFrame
        The figures as the page shows them (display text, masked); never a table holding
        hidden values.
    filename : str
        The saved file's name (made safe by :func:`csv_filename`).
    label : str
        The link text.

    Returns
    -------
    IPython.display.HTML
        ``<a download="name.csv" href="data:text/csv;...">`` in a paragraph; all text
        escaped.
    """
    from IPython.display import HTML

    return HTML(csv_link_html(frame, filename, label))

"""CSV downloads inside a report: the data behind each table and chart, in the page itself.

Readers get reports by email or on a shared drive, offline; a link to a server would not
work. Each download is therefore a ``data:`` URI in an ``<a download>`` link: the browser
saves it as a CSV file without any script or network. The table written is the one the
page shows (already through the disclosure rules: hidden cells read "n<k"), written
by the one formula-safe CSV writer (:func:`peerlib._files.csv_bytes`) and encoded as UTF-8 with a byte order
mark, so that Excel shows accents and curly quotes correctly.
"""
from __future__ import annotations

import base64
import html
import re

import pandas as pd

from .._files import csv_bytes as safe_csv_bytes

__all__ = ["csv_bytes", "csv_filename", "csv_data_uri", "csv_link_html", "csv_link"]


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """A display table as CSV bytes, by the one CSV writer of every output
    (:func:`peerlib._files.csv_bytes`): formula-safe, UTF-8 with BOM, no index, RFC 4180
    records (a cell holding a line break is quoted, and none of its lines starts a formula).

    Parameters
    ----------
    frame : pandas.DataFrame
        The table as the page shows it (text cells; NA written as an empty cell).

    Returns
    -------
    bytes
        The CSV file's content.
    """
    return safe_csv_bytes(frame.reset_index(drop=True), bom=True)


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

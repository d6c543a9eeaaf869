"""The HTML shell of the reports: one self-contained, offline, accessible page per report.

What every report page shares lives here, apart from what the notebooks put in it:

- :func:`export_html` turns an executed notebook into the page (nbconvert with the
  ``peerwork`` template in ``templates/peerwork/``: landmarks, our own stylesheet
  ``static/peerwork.css`` for screen, phone and A4 print, no code, provenance footer);
- :func:`packed_plotly_js` stores the plotly.js of the installed plotly package in the page
  gzip-compressed and base85-encoded, unpacked by the browser's ``DecompressionStream``
  (``static/peerwork.js``), so a report is about 2 MB instead of 5;
- :func:`chart_html` is the markup of one chart: its figure as JSON, an accessible name and
  the chart's numbers as a table for screen readers;
- :func:`render_index` is the index page that links every report.
"""
from __future__ import annotations

import base64
import functools
import gzip
import json
import math
import threading
from dataclasses import dataclass
from pathlib import Path

import jinja2
from markupsafe import Markup

__all__ = [
    "BASE85_ALPHABET",
    "PackedScript",
    "packed_plotly_js",
    "unpack_script",
    "stylesheet",
    "chart_table",
    "chart_html",
    "export_html",
    "prepare_export",
    "EXPORTER_OPTIONS",
    "REPORT_PURPOSES",
    "render_index",
    "report_sizes",
]

TEMPLATE_DIR = Path(__file__).parent / "templates"

# RFC 1924's base85 alphabet (Python's base64.b85encode) with "<" and "&" swapped for "." and
# ",": the encoded text can then never open a tag, a comment or an entity inside the page.
_RFC1924 = ("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
            "!#$%&()*+-;<=>?@^_`{|}~")
#: The base85 alphabet of the packed plotly.js (85 characters, in digit order).
BASE85_ALPHABET = _RFC1924.replace("<", ".").replace("&", ",")
_TO_PAGE = str.maketrans("<&", ".,")
_FROM_PAGE = str.maketrans(".,", "<&")


@dataclass(frozen=True)
class PackedScript:
    """A script stored in a page as gzip + base85 text.

    Attributes
    ----------
    text : str
        The base85 text (alphabet :data:`BASE85_ALPHABET`), ``5 * ceil(length / 4)``
        characters.
    length : int
        Number of gzip bytes (the last base85 group is padded with zero bytes).
    alphabet : str
        :data:`BASE85_ALPHABET`, written into the page for the decoder.
    version : str
        The plotly version the script comes from.
    raw_size : int
        Size of the script before compression, in bytes.
    """

    text: str
    length: int
    alphabet: str
    version: str
    raw_size: int


@functools.lru_cache(maxsize=1)
def packed_plotly_js() -> PackedScript:
    """plotly.js of the installed plotly package, gzip-compressed (level 9, no timestamp, so
    two exports give the same bytes) and base85-encoded for embedding in a report.

    Returns
    -------
    PackedScript
        About 1.8 MB of text for plotly.js 3 (4.8 MB raw): gzip takes it to ~30%, base85
        adds 25% (base64 would add 33%).

    Notes
    -----
    The page unpacks it with ``DecompressionStream("gzip")`` (Chrome/Edge 80, Firefox 113,
    Safari 16.4 and later); older browsers show the chart's table instead of the chart.
    """
    import plotly
    from plotly.offline import get_plotlyjs

    raw = get_plotlyjs().encode("utf-8")
    packed = gzip.compress(raw, compresslevel=9, mtime=0)
    text = _b85(packed)
    return PackedScript(text=text, length=len(packed), alphabet=BASE85_ALPHABET,
                        version=plotly.__version__, raw_size=len(raw))


def _b85(data: bytes) -> str:
    """``base64.b85encode(data, pad=True)`` in the alphabet :data:`BASE85_ALPHABET`,
    computed on whole arrays (the standard library's loop takes about 0.25 s for plotly.js,
    once in every batch worker): each group of 4 bytes, read as a big-endian number, is
    written as 5 base-85 digits, most significant first (RFC 1924's encoding)."""
    import numpy as np

    padded = data + b"\0" * (-len(data) % 4)
    words = np.frombuffer(padded, dtype=">u4").astype(np.uint64)
    digits = np.empty((len(words), 5), dtype=np.uint8)
    for place in range(4, -1, -1):
        words, digits[:, place] = np.divmod(words, 85)
    alphabet = np.frombuffer(BASE85_ALPHABET.encode("ascii"), dtype=np.uint8)
    return alphabet[digits].tobytes().decode("ascii")


def unpack_script(text: str, length: int) -> str:
    """Inverse of :func:`packed_plotly_js` in Python (what ``static/peerwork.js`` does in the
    browser): base85 text of :data:`BASE85_ALPHABET` -> gzip bytes -> script text.

    Raises
    ------
    ValueError
        When the text is not base85 of that alphabet or not gzip data.
    """
    data = base64.b85decode("".join(text.split()).translate(_FROM_PAGE))[:length]
    try:
        return gzip.decompress(data).decode("utf-8")
    except (OSError, EOFError) as err:
        raise ValueError(f"not a packed script: {err}") from err


def _read(name: str) -> str:
    return (TEMPLATE_DIR / name).read_text(encoding="utf-8")


def stylesheet() -> str:
    """The CSS of every report and of the index (``templates/peerwork/static/peerwork.css``):
    screen, phone (reflows at 390 px) and A4 portrait print."""
    return _read("peerwork/static/peerwork.css")


@functools.lru_cache(maxsize=1)
def _pages() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATE_DIR / "pages")),
                              autoescape=True, undefined=jinja2.StrictUndefined,
                              keep_trailing_newline=True)


# ---------------------------------------------------------------------- charts
def _seq(values) -> list:
    return [] if values is None else list(values)


def _categories(values) -> list[str]:
    """Category labels of one axis as the reader sees them; a two-level (multicategory)
    axis gives "outer · inner". Plotly draws axis labels as HTML, so the charts escape
    them; here they are unescaped, and the page's template escapes them once."""
    from html import unescape

    vals = _seq(values)
    if len(vals) == 2 and all(isinstance(v, (list, tuple)) for v in vals) and len(
            vals[0]) == len(vals[1]):
        return [unescape(f"{a} · {b}") for a, b in zip(vals[0], vals[1])]
    return [unescape(str(v)) for v in vals]


def _cell(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, str):
        return value
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    if math.isnan(number):
        return "–"
    return f"{number:.0f}" if number == round(number) else f"{number:.2f}".rstrip("0")


def _title(fig) -> str:
    """The figure's title as plain text (plotly titles may hold <b>, <br> and the like)."""
    import re

    text = fig.layout.title.text if fig.layout.title else None
    return re.sub(r"\s+", " ", re.sub(r"<[^>]*>", " ", str(text or ""))).strip()


def _axis_title(axis) -> str:
    return str(axis.title.text or "").strip() if axis and axis.title else ""


def _unsigned_axis(axis) -> bool:
    """True when an axis labels negative positions without a minus sign (a diverging
    chart's "100% ← 0 → 100%"): its values are read unsigned."""
    ticks, labels = _seq(axis.tickvals) if axis else [], _seq(axis.ticktext) if axis else []
    return (len(ticks) == len(labels)
            and any(isinstance(t, (int, float)) and t < 0 for t in ticks)
            and not any(str(lab).lstrip().startswith(("-", "\u2212")) for lab in labels))


def _value_axis(fig, trace, horizontal: bool):
    """The layout axis a bar trace's values are drawn along (``xaxis2`` for a trace of a
    second panel drawn on ``x2``)."""
    ref = (trace.xaxis if horizontal else trace.yaxis) or ("x" if horizontal else "y")
    return fig.layout[ref[0] + "axis" + ref[1:]]


def chart_table(fig) -> dict:
    """The numbers a plotly figure draws, as a table: one row per category, one column per
    trace (or per heatmap column).

    Parameters
    ----------
    fig : plotly.graph_objects.Figure
        Bars (either orientation, two-level axes as "item · group"; values at negative
        positions of an axis whose tick labels are unsigned, as in a diverging chart, are
        listed unsigned), scatter points labelled by their ``text``, a heatmap (its cell
        ``text`` when given, else ``z``), and text placed on a category axis (a "Note"
        column, e.g. "n<5: not shown"; its rows keep the chart's order).

    Returns
    -------
    dict
        ``row_header`` (str), ``columns`` (list of str), ``rows`` (list of
        ``{"label", "cells"}`` with one formatted string per column; "–" where a trace has
        no value for the row) and ``unit`` (the value axis title, or "").

    Notes
    -----
    Only what the figure already shows is listed (hover-only fields are not), so the table
    discloses nothing the chart does not.
    """
    columns: list[str] = []
    values: dict[str, dict[str, str]] = {}
    order: list[str] = []
    unit = ""
    row_header = "Category"

    def add_row(row: str) -> None:
        if row not in values:
            values[row] = {}
            order.append(row)

    def put(row: str, col: str, value) -> None:
        if col not in columns:
            columns.append(col)
        add_row(row)
        values[row][col] = _cell(value)

    for i, trace in enumerate(fig.data):
        name = str(getattr(trace, "name", None) or f"Series {i + 1}")
        kind = trace.type
        if kind == "heatmap":
            rows, cols = _categories(trace.y), _categories(trace.x)
            z = _seq(trace.z)
            text = _seq(trace.text) if trace.text is not None else None
            for r, label in enumerate(rows):
                for c, col in enumerate(cols):
                    cell = (text[r][c] if text is not None else z[r][c])
                    put(label, col, cell)
            unit = str(trace.colorbar.title.text or "") if trace.colorbar else ""
            row_header = _axis_title(fig.layout.yaxis) or "Group"
        elif kind == "scatter" and trace.mode == "text" and trace.text is not None:
            # words written on the chart's rows (a diverging chart's "n<5: not shown"):
            # every row in the chart's order, the words where there are any
            xs = _seq(trace.x)  # numbers along x: the categories are on y
            horizontal = bool(xs) and all(isinstance(v, (int, float)) for v in xs)
            cats = _categories(trace.y if horizontal else trace.x)
            texts = _seq(trace.text) if not isinstance(trace.text, str) else [trace.text]
            for j, label in enumerate(cats):
                add_row(label)
                if j < len(texts) and str(texts[j]).strip():
                    put(label, "Note", texts[j])
        elif kind == "scatter" and trace.text is not None and not isinstance(trace.text, str):
            labels = [str(t) for t in _seq(trace.text)]
            xname = _axis_title(fig.layout.xaxis) or "x"
            yname = _axis_title(fig.layout.yaxis) or "y"
            for label, x, y in zip(labels, _seq(trace.x), _seq(trace.y)):
                put(label, xname, x)
                put(label, yname, y)
            row_header = "Point"
        elif kind in ("bar", "scatter"):
            horizontal = getattr(trace, "orientation", None) == "h"
            cats = _categories(trace.y if horizontal else trace.x)
            vals = _seq(trace.x if horizontal else trace.y)
            value_axis = _value_axis(fig, trace, horizontal)
            unit = unit or _axis_title(value_axis)
            unsigned = _unsigned_axis(value_axis)
            for label, value in zip(cats, vals):
                if unsigned and isinstance(value, (int, float)) and not isinstance(value, bool):
                    value = abs(value)
                put(label, name, value)
        # other trace types: the accessible name and the report's own tables describe them
    rows = [{"label": r, "cells": [values[r].get(c, "–") for c in columns]} for r in order]
    return {"row_header": row_header, "columns": columns, "rows": rows, "unit": unit}


#: What a chart's ``layout.template.layout`` reads when it is the page's shared theme layout.
SHARED_THEME = "peerwork:shared-theme"


@functools.lru_cache(maxsize=1)
def shared_theme_layout() -> dict:
    """The layout part of plotly's ``plotly_white`` theme, as plotly writes it into a
    figure's JSON: stored once per page (``<script id="peerwork-theme">``) instead of once
    per chart.

    Read from the theme file plotly ships (``package_data/templates/plotly_white.json``,
    where ``plotly.io.templates`` loads it from): the same dict as a figure's
    ``layout.template.layout`` (tests/test_html.py checks), without importing
    ``plotly.graph_objects`` into a batch worker, which never draws (about 0.5-1.4 s of CPU
    per worker). A chart whose theme differs keeps its own copy.

    Returns
    -------
    dict
        Plotly layout attributes (JSON-ready).
    """
    import pkgutil

    return json.loads(pkgutil.get_data("plotly", "package_data/templates/plotly_white.json")
                      )["layout"]


def _safe_json(fig, spec: dict | None = None) -> Markup:
    """Figure JSON that cannot end its ``<script>`` element (``<``, ``>``, ``&`` escaped as
    JSON unicode escapes, which only occur inside JSON strings); ``spec``: the figure's JSON
    already parsed (changed here), when the caller has it."""
    if spec is None:
        import plotly.io as pio

        spec = json.loads(pio.to_json(fig, validate=False))
    template = spec.get("layout", {}).get("template")
    if isinstance(template, dict) and isinstance(template.get("data"), dict):
        # the theme's defaults for trace types this figure does not draw are dead weight
        # (about 5 kB a chart): keep those of the types it has
        kinds = {trace.get("type", "scatter") for trace in spec.get("data", [])}
        template["data"] = {k: v for k, v in template["data"].items() if k in kinds}
    if isinstance(template, dict) and template.get("layout") == shared_theme_layout():
        # the theme's layout is the same in every chart (about 2.7 kB): the page stores it
        # once (#peerwork-theme) and the drawing script puts it back
        template["layout"] = SHARED_THEME
    text = json.dumps(spec, separators=(",", ":"), ensure_ascii=False)
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e")  # noqa: S704
                  .replace("&", "\\u0026"))


def chart_html(fig, div_id: str, *, label: str | None = None, spec: dict | None = None
               ) -> str:
    """The markup of one chart in a report.

    Parameters
    ----------
    fig : plotly.graph_objects.Figure
        The figure (its ``layout.height`` in px sets the box's height; the width follows
        the page).
    div_id : str
        The id of the chart's ``<div>`` (stable across runs).
    label : str, optional
        The chart's accessible name; default "Chart: " + the figure's title.
    spec : dict, optional
        ``json.loads(plotly.io.to_json(fig))`` when the caller has it (it is changed here),
        so that the figure is serialised once; default computed here.

    Returns
    -------
    str
        A ``<figure>`` holding a ``role="img"`` box named by ``aria-label``, the figure as
        ``<script type="application/json" class="peerwork-figure">`` (drawn by the page's
        bootstrap script, see :func:`export_html`) and the chart's numbers
        (:func:`chart_table`) as a visually hidden table, preceded by the chart's
        disclosure metadata when the figure carries it
        (:func:`peerlib.reporting.metadata.with_figure_cells`: the batch's audit refuses a
        chart without it). No plotly.js.
    """
    title = _title(fig) or "chart"
    table = chart_table(fig)
    height = int(fig.layout.height or 450)
    name = label or (f"Chart: {title}. The numbers are in the table that follows."
                     if table["rows"] else f"Chart: {title}.")
    from .metadata import disclosure_block, figure_cells

    return _pages().get_template("chart.html.j2").render(
        div_id=div_id, label=name, height=height, figure_json=_safe_json(fig, spec),
        title=title,
        disclosure=Markup(disclosure_block(figure_cells(fig), f"Chart: {title}")), **table)


# ---------------------------------------------------------------------- pages
def _has_charts(nb) -> bool:
    """Whether a notebook shows a chart made by :func:`chart_html`."""
    for cell in nb.get("cells", []):
        for output in cell.get("outputs", []) or []:
            text = (output.get("data") or {}).get("text/html", "")
            if 'class="peerwork-figure"' in ("".join(text) if isinstance(text, list)
                                             else text):
                return True
    return False


_EXPORTERS = threading.local()


def _exporter():
    """The HTML exporter of this thread (a batch worker exports report after report: the
    templates are compiled once; each page's data comes with its notebook, as resources).
    One per thread, as a Dask worker may export from several threads at once.

    The notebook is validated once, after all of nbconvert's preprocessors have run
    (``optimistic_validation``), not again after each of them: the page is the same, and
    a batch worker no longer validates every executed notebook a dozen times."""
    exporter = getattr(_EXPORTERS, "exporter", None)
    if exporter is None:
        exporter = _EXPORTERS.exporter = _exporter_class()(**EXPORTER_OPTIONS)
    return exporter


def prepare_export() -> None:
    """Pay the first export's costs now: this thread's HTML exporter (:func:`export_html`)
    and plotly.js packed for the pages (:func:`packed_plotly_js`). A batch worker calls it
    while it waits for its first report; the pages are the same either way.
    """
    _exporter()
    packed_plotly_js()


#: The options of the reports' nbconvert HTML exporter: the peerwork template, no code.
EXPORTER_OPTIONS = dict(template_name="peerwork", extra_template_basedirs=[str(TEMPLATE_DIR)],
                        exclude_input=True, exclude_input_prompt=True,
                        exclude_output_prompt=True, optimistic_validation=True)


@functools.lru_cache(maxsize=1)
def _exporter_class():
    """nbconvert's HTML exporter without its last pass.

    ``HTMLExporter.from_notebook_node`` ends by parsing the whole page with BeautifulSoup
    and writing it out again, to give ``<img>`` elements without ``alt`` a placeholder and
    cells inside ``.jp-Notebook`` a ``tabindex``. The peerwork template writes neither (no
    ``<img>``, no ``.jp-Notebook``; its tables get their ``tabindex`` from the template), so
    that pass changed nothing but cost about 0.13 s a report (a chart's JSON is a long text
    to parse). This class does the same set-up (the code highlighter and the output
    mimetype filter) and renders the template; tests/test_kernel.py checks that the two
    pages parse to the same document for every report template.
    """
    from nbconvert import HTMLExporter
    from nbconvert.exporters.templateexporter import TemplateExporter
    from nbconvert.filters.highlight import Highlight2HTML
    from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

    class PeerworkHTMLExporter(HTMLExporter):
        def from_notebook_node(self, nb, resources=None, **kw):
            info = nb.metadata.get("language_info", {})
            self.register_filter("highlight_code", self.filters.get("highlight_code") or
                                 Highlight2HTML(pygments_lexer=info.get(
                                     "pygments_lexer", info.get("name")), parent=self))
            resources = self._init_resources(resources)
            self.register_filter("filter_data_type", WidgetsDataTypeFilter(
                notebook_metadata=self._nb_metadata, parent=self, resources=resources))
            return TemplateExporter.from_notebook_node(self, nb, resources, **kw)

    return PeerworkHTMLExporter


def export_html(nb, *, provenance: dict, title: str) -> str:
    """Export an executed notebook to one self-contained, offline HTML page without code.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        The executed notebook.
    provenance : dict
        ``dataset_name``, ``synthetic`` (bool: adds the synthetic-data banner), ``run_date``,
        ``version``, ``git_commit``, ``parameters`` (list of (name, value) pairs) and
        ``inputs`` (list of {file, sha256}).
    title : str
        The page title.

    Returns
    -------
    str
        The HTML: ``<header>`` (the synthetic-data banner), ``<main>`` (the notebook's
        markdown and outputs) and ``<footer>`` (provenance), styled by :func:`stylesheet`.
        When the notebook shows a chart (:func:`chart_html`), plotly.js is stored once,
        packed (:func:`packed_plotly_js`), with the script that unpacks it and draws the
        charts; no script or stylesheet is loaded from the network.
    """
    import nbformat

    exporter = _exporter()
    info = dict(provenance)
    if _has_charts(nb):
        info["plotly"] = packed_plotly_js()
        info["bootstrap_js"] = Markup(_read("peerwork/static/peerwork.js"))  # noqa: S704
        theme = json.dumps(shared_theme_layout(), separators=(",", ":"), ensure_ascii=True)
        info["theme_json"] = Markup(theme.replace("<", "\\u003c").replace(">", "\\u003e")  # noqa: S704
                                    .replace("&", "\\u0026"))
    nb = nbformat.from_dict(nb)
    nb.metadata["title"] = title
    for i, cell in enumerate(nb.cells):  # papermill gives its injected cell a random id
        cell["id"] = f"cell-{i:02d}"
    body, _ = exporter.from_notebook_node(nb, resources={"peerwork": info})
    return body


def report_sizes(folder: str | Path) -> list[tuple[str, int]]:
    """Sizes of the published report files of a reports folder, for the benchmark.

    Parameters
    ----------
    folder : str or Path
        A ``reports/`` folder.

    Returns
    -------
    list of (str, int)
        ``(path relative to folder, size in bytes)`` of every ``.html``, ``.pdf``, ``.xlsx``
        and ``.csv`` file (``os.stat`` size: the bytes a reader downloads or receives by
        email), sorted by path, then ``("TOTAL (folder)", n)``: every file under the folder,
        executed notebooks and figures included.
    """
    root = Path(folder)
    files = [p for p in root.rglob("*") if p.is_file()]
    shown = sorted((p.relative_to(root).as_posix(), p.stat().st_size) for p in files
                   if p.suffix in {".html", ".pdf", ".xlsx", ".csv"})
    return shown + [("TOTAL (folder)", sum(p.stat().st_size for p in files))]


#: What each kind of report is for, as the index says it.
REPORT_PURPOSES = {
    "data_quality": "For the analysts: answers and missing answers per item and site, the "
                    "data dictionary and the problems found in the data.",
    "cross_site": "For the steering group: what all sites say, by sector and by role, with "
                  "the priorities across the study.",
    "framework": "For the research team: the Part 2 themes by site and group (framework "
                 "matrix), patterns and redacted quotes.",
    "site": "For this site's feedback workshop: its answers beside all other sites, and its "
            "priorities.",
}


def _index_links(out_dir: Path, rel: str, kind: str) -> list[dict]:
    links = []
    if (out_dir / rel).exists():
        links.append({"label": "Web page (HTML)", "href": rel})
    if kind == "site":
        pack = Path(rel).with_suffix(".pdf").as_posix()
        if (out_dir / pack).exists():
            links.append({"label": "Feedback pack (PDF)", "href": pack})
    if kind == "framework" and (out_dir / "framework_matrix.xlsx").exists():
        links.append({"label": "Workbook (Excel)", "href": "framework_matrix.xlsx"})
    if kind == "cross_site" and (out_dir / "figures").is_dir():
        links.append({"label": "Figures (PNG, SVG)", "href": "figures/"})
    return links


def render_index(out_dir: str | Path, rows: list[dict], *, provenance: dict) -> str:
    """The reports index: one line per report with what it is for, status, date and links.

    Parameters
    ----------
    out_dir : str or Path
        The reports folder (links are given only to files that exist there).
    rows : list of dict
        One per report, in display order: ``label`` (e.g. "S01: Ashwell Moor"), ``rel``
        (the HTML file relative to ``out_dir``), ``kind`` (a key of
        :data:`REPORT_PURPOSES`), ``state`` (plain text, e.g. "up to date"), ``cls``
        ("ok", "stale" or "failed") and ``date`` (run date of the file shown, or None).
    provenance : dict
        ``dataset_name``, ``synthetic``, ``run_date``, ``version``, ``git_commit``.

    Returns
    -------
    str
        A self-contained page (our stylesheet inline; header, main and footer landmarks),
        every value escaped by Jinja2's autoescape. Links: the HTML report, the site's PDF
        feedback pack (``sites/<site_id>.pdf``) when it exists, the framework workbook, the
        figures folder.

    Raises
    ------
    KeyError
        When a row's ``kind`` is not one of :data:`REPORT_PURPOSES`.
    """
    out = Path(out_dir)
    shown = []
    for row in rows:
        exists = (out / row["rel"]).exists()
        shown.append(dict(row, purpose=REPORT_PURPOSES[row["kind"]],
                          href=row["rel"] if exists else None,
                          links=_index_links(out, row["rel"], row["kind"])))
    return _pages().get_template("index.html.j2").render(
        css=Markup(stylesheet()), rows=shown,  # noqa: S704 - our own file
        dataset_name=provenance["dataset_name"], synthetic=bool(provenance["synthetic"]),
        run_date=provenance["run_date"], version=provenance["version"],
        git_commit=provenance["git_commit"])

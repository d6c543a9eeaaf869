"""Export an executed notebook to one self-contained offline HTML page (nbconvert)."""
from __future__ import annotations

import functools
import json
from pathlib import Path

import nbformat

__all__ = ["export_html"]

_TEMPLATE_DIR = Path(__file__).parent.parent / "reporting" / "templates"


@functools.lru_cache(maxsize=1)
def _exporter():
    """One HTML exporter per process: building one loads and compiles its Jinja templates."""
    from nbconvert import HTMLExporter

    return HTMLExporter(template_name="peerwork", extra_template_basedirs=[str(_TEMPLATE_DIR)],
                        exclude_input=True, exclude_input_prompt=True,
                        exclude_output_prompt=True)


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
        The HTML. plotly.js is embedded once when the notebook shows a plotly chart; no
        script or stylesheet is loaded from the network.
    """
    exporter = _exporter()
    info = dict(provenance)
    text = json.dumps(nb.get("cells", []))
    if "Plotly.newPlot" in text:
        from plotly.offline import get_plotlyjs

        info["plotly_js"] = get_plotlyjs()
    nb = nbformat.from_dict(nb)
    nb.metadata["title"] = title
    for i, cell in enumerate(nb.cells):  # papermill gives its injected cell a random id
        cell["id"] = f"cell-{i:02d}"
    body, _ = exporter.from_notebook_node(nb, resources={"peerwork": info})
    return body

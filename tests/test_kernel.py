"""The warmed kernel of a batch worker (peerlib.batch.kernel): a report built by a reused
kernel is identical, apart from the run date, to one built by a fresh kernel, for every
template; a failure or a timeout discards the kernel.

The session project of the root conftest holds the prepared demo data and the imported demo
QDA export, so all four templates run.
"""
from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import nbformat
import papermill as pm
import pytest

from peerlib.batch import TEMPLATES, export_html
from peerlib.batch.kernel import WarmKernel
from peerlib.paths import project_paths

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = REPO / "notebooks"
MASK = "disclosure_mask.parquet"
DATE = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC")
PROVENANCE = {"dataset_name": "test", "synthetic": True, "run_date": "2026-01-01 00:00 UTC",
              "version": "test", "git_commit": "test", "parameters": [], "inputs": []}


def _params(kind: str, tmp: Path, site: str = "S01") -> dict:
    params = {"data_dir": "", "min_group_size": 5}
    if (tmp / MASK).exists():  # the batch's way: one mask file for every report
        params["disclosure_mask"] = str(tmp / MASK)
    if kind == "site":
        params["site_id"] = site
    if kind == "cross_site":
        params["figures_dir"] = str(tmp / "figures")
    if kind == "framework":
        params["excel_path"] = str(tmp / "framework_matrix.xlsx")
    return params


def _template(kind: str):
    return nbformat.read(NOTEBOOKS / TEMPLATES[kind], as_version=4)


def _comparable(nb) -> tuple[str, list]:
    """The exported page (run date blanked) and every code cell's source, execution count
    and outputs (papermill's timing metadata differs between any two runs)."""
    page = DATE.sub("DATE", export_html(nb, provenance=PROVENANCE, title="t"))
    cells = [(c.source, c.get("execution_count"), c.get("outputs"))
             for c in nb.cells if c.cell_type == "code"]
    return page, cells


@pytest.fixture(scope="module")
def fresh(tmp_path_factory):
    """Each template (the site template for S02) run in a kernel of its own."""
    from peerlib.disclosure import get_policy, write_mask
    from peerlib.reporting.tables import load_report_data, report_mask

    tmp = tmp_path_factory.mktemp("fresh")
    root = str(project_paths().root)
    # the mask a notebook run on its own would compute (5 s in each of nine runs), once
    write_mask(report_mask(load_report_data(""), get_policy(k=5)).table, tmp / MASK)
    built = {}
    for kind in TEMPLATES:
        kernel = WarmKernel(root)
        try:
            nb = kernel.execute(_template(kind), _params(kind, tmp, "S02"), timeout=300)
            built[kind] = (*_comparable(nb), nb)
        finally:
            kernel.shutdown()
    return tmp, built


def test_export_without_nbconverts_reparse_gives_the_same_document(fresh):
    """peerlib's exporter leaves out nbconvert's last pass (BeautifulSoup parsing and
    rewriting the page to add alt text and tabindex where the peerwork template has nothing
    to add): for every template the page parses to the same document as nbconvert's own
    HTMLExporter's page, and has no element that pass would have changed."""
    from bs4 import BeautifulSoup
    from nbconvert import HTMLExporter

    from peerlib.reporting import html

    for kind, (_, _, nb) in fresh[1].items():
        ours = export_html(nb, provenance=PROVENANCE, title="t")
        saved = getattr(html._EXPORTERS, "exporter", None)
        html._EXPORTERS.exporter = HTMLExporter(**html.EXPORTER_OPTIONS)
        try:
            stock = export_html(nb, provenance=PROVENANCE, title="t")
        finally:
            html._EXPORTERS.exporter = saved
        page = BeautifulSoup(ours, "html.parser")
        assert page == BeautifulSoup(stock, "html.parser"), kind
        assert not page.select("img:not([alt])") and not page.select(".jp-Notebook"), kind


def test_worker_side_imports_no_data_libraries(fresh, tmp_path):
    """A batch worker only drives its kernel and exports pages: importing what it runs
    (peerlib.batch.worker, papermill) and exporting every template's executed notebook, as
    a spawned worker does, imports neither pandas nor pandera, scipy, matplotlib or
    plotly's figure classes (about a second of CPU per worker process; they belong in the
    kernel). The exported pages equal the ones this process exports."""
    import json
    import subprocess
    import sys

    notebooks = {}
    for kind, (_, _, nb) in fresh[1].items():
        notebooks[kind] = tmp_path / f"{kind}.ipynb"
        nbformat.write(nb, notebooks[kind])
    code = f"""
import json, sys
from peerlib.batch.kernel import worker_environment
worker_environment({str(project_paths().root)!r})
import nbformat, papermill
import peerlib.batch.worker as worker
from peerlib._files import atomic_write_text
for kind, path in {json.dumps({k: str(v) for k, v in notebooks.items()})}.items():
    page = worker.export_html(nbformat.read(path, as_version=4),
                              provenance={PROVENANCE!r}, title="t")
    atomic_write_text(path[:-6] + ".html", page)
heavy = ["pandas", "pandera", "scipy", "matplotlib", "plotly.graph_objects", "seaborn"]
print(json.dumps([name for name in heavy if name in sys.modules]))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=300, check=False)
    assert out.returncode == 0, out.stderr[-3000:]
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []
    for kind, path in notebooks.items():
        page = path.with_suffix(".html").read_text(encoding="utf-8")
        assert page == export_html(fresh[1][kind][2], provenance=PROVENANCE, title="t"), kind


@pytest.mark.parametrize("kind", sorted(TEMPLATES))
def test_prepared_notebook_is_papermills_own_for_every_template(kind, tmp_path, caplog):
    """WarmKernel.prepare (the template parsed once per worker) gives the notebook that
    papermill's execute_notebook prepares, apart from the injected cell's random id; the
    template is left as it was, and a parameter the template lacks is warned about."""
    template = _template(kind)
    before = nbformat.writes(template)
    params = _params(kind, tmp_path, "S02")
    kernel = WarmKernel(str(tmp_path))  # no kernel is started: preparing needs none

    def text(nb):
        nb = nbformat.from_dict(nb)
        for cell in nb.cells:
            if "injected-parameters" in cell.metadata.get("tags", []):
                cell.id = "injected"
        return nbformat.writes(nb)

    expected = text(pm.execute_notebook(template, None, parameters=params, prepare_only=True,
                                        kernel_name="python3", progress_bar=False))
    assert text(kernel.prepare(template, params)) == expected
    assert text(kernel.prepare(template, params)) == expected  # from the parsed template
    assert nbformat.writes(template) == before
    with caplog.at_level("WARNING", logger="papermill"):
        kernel.prepare(template, dict(params, not_a_parameter=1))
    assert "Passed unknown parameter: not_a_parameter" in caplog.text


@pytest.mark.parametrize("chosen, kept", [(None, "0"), ("1", "1")])
def test_worker_environment_keeps_charts_in_page_form_unless_the_user_chose(chosen, kept):
    """A batch worker's kernels leave plotly's JSON form out of the executed notebooks
    (PEERLIB_CHART_JSON=0) unless the user set the variable."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "PEERLIB_CHART_JSON"}
    if chosen is not None:
        env["PEERLIB_CHART_JSON"] = chosen
    code = ("import os\nfrom peerlib.batch.kernel import worker_environment\n"
            "worker_environment('.')\nprint(os.environ['PEERLIB_CHART_JSON'])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, timeout=120, check=True)
    assert out.stdout.strip() == kept


def test_reused_kernel_builds_the_same_reports_as_fresh_kernels(fresh):
    """One kernel runs S01's site report first, then every template in turn: each later
    report equals the one a fresh kernel built (page, execution counts, outputs)."""
    tmp_path, fresh = fresh  # the same output paths, so the injected parameters match
    kernel = WarmKernel(str(project_paths().root))
    try:
        kernel.execute(_template("site"), _params("site", tmp_path, "S01"), timeout=300)
        pid = kernel.km.provisioner.pid
        for kind in ("framework", "cross_site", "data_quality", "site"):
            nb = kernel.execute(_template(kind), _params(kind, tmp_path, "S02"), timeout=300)
            page, cells = _comparable(nb)
            assert cells == fresh[kind][1], kind
            assert page == fresh[kind][0], kind
        assert kernel.km.provisioner.pid == pid  # one kernel throughout
        assert kernel.runs == 5
    finally:
        kernel.shutdown()


def test_failure_discards_the_kernel_and_the_next_report_is_clean(fresh):
    """A failing notebook leaves a variable and a changed setting behind in its kernel; the
    kernel is discarded (its notebook keeps the failing cell marked) and the next report,
    in a new kernel, equals the fresh one."""
    tmp_path, fresh = fresh
    broken = _template("site")
    check = next(i for i, c in enumerate(broken.cells)
                 if "parameters" in c.metadata.get("tags", [])) + 1
    broken.cells[check].source += ("\nimport pandas as _pd\n_pd.set_option('display.precision', 1)"
                                   "\nleftover = 1\nraise RuntimeError('planted failure')")
    kernel = WarmKernel(str(project_paths().root))
    try:
        with pytest.raises(pm.PapermillExecutionError, match="planted failure"):
            kernel.execute(broken, _params("site", tmp_path), timeout=300)
        assert kernel.km is None
        marked = nbformat.writes(kernel.notebook)
        assert "An Exception was encountered" in marked and "planted failure" in marked
        nb = kernel.execute(_template("site"), _params("site", tmp_path, "S02"), timeout=300)
        assert _comparable(nb) == fresh["site"][:2]
    finally:
        kernel.shutdown()


def test_reset_clears_the_namespace_but_keeps_imports(tmp_path):
    """Between two notebooks the user namespace and execution counter start afresh, while
    modules stay imported (the point of a warm kernel)."""
    first = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("import peerlib.reporting.tables\nleft = 'over'")])
    second = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("import sys\nprint('left' in dir(), "
                                  "'peerlib.reporting.tables' in sys.modules)")])
    for nb in (first, second):
        nb.metadata["kernelspec"] = {"name": "python3", "language": "python",
                                     "display_name": "Python 3"}
    kernel = WarmKernel(str(tmp_path))
    try:
        kernel.execute(first, {"x": 2}, timeout=60)
        nb = kernel.execute(second, {"x": 3}, timeout=60)
    finally:
        kernel.shutdown()
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert [c.execution_count for c in code] == [1, 2, 3]  # parameters, injected, last
    assert code[-1].outputs[0]["text"] == "False True\n"


def _notebook(parameters: str, code: str):
    """A notebook of a ``parameters`` cell and one code cell, for the python3 kernel."""
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell(parameters, metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell(code)])
    nb.metadata["kernelspec"] = {"name": "python3", "language": "python",
                                 "display_name": "Python 3"}
    return nb


def test_batch_kernels_write_no_history_of_the_reports_cells(tmp_path, monkeypatch):
    """IPython keeps each cell it runs in a history database in the user's home, outside
    the project; a batch kernel keeps none: no file of the IPython folder holds a report's
    code or parameters after two reports."""
    home = tmp_path / "ipython"
    monkeypatch.setenv("IPYTHONDIR", str(home))
    nb = _notebook("site_id = 'S01'", "marker = 'peerwork-history-' + site_id\n"
                   "print(get_ipython().history_manager.enabled)")
    kernel = WarmKernel(str(tmp_path / "project"))
    (tmp_path / "project").mkdir()
    try:
        for site in ("S01", "S02"):
            out = kernel.execute(nb, {"site_id": site}, timeout=60)
    finally:
        kernel.shutdown()
    assert out.cells[-1].outputs[0]["text"] == "False\n"
    assert home.is_dir()  # the kernels did use this IPython folder
    written = [p for p in home.rglob("*") if p.is_file()]
    for path in written:
        data = path.read_bytes()
        assert b"peerwork-history" not in data and b"S02" not in data, path


@pytest.mark.skipif(os.name != "posix", reason="ZeroMQ's ipc transport is POSIX only")
def test_kernel_talks_over_socket_files_in_a_private_folder(tmp_path):
    """A batch kernel publishes every output of a report; over TCP on the loopback
    interface any user of the machine could subscribe to them. Its channels are socket
    files in a folder only this user can enter, removed with the kernel."""
    import stat

    kernel = WarmKernel(str(tmp_path))
    kernel.start()
    try:
        info = kernel.km.get_connection_info()
        folder = Path(kernel.km.connection_file).parent
        assert info["transport"] == "ipc"
        assert stat.S_IMODE(folder.stat().st_mode) & 0o777 == 0o700  # (+ sticky bit)
        assert folder != tmp_path and not any(tmp_path.iterdir())  # nothing in the project
        for channel in ("shell", "iopub", "stdin", "control", "hb"):
            socket = Path(f"{info['ip']}-{info[channel + '_port']}")
            assert socket.parent == folder and socket.is_socket(), channel
        assert kernel._silent("x = 1")["status"] == "ok"
    finally:
        kernel.shutdown()
    assert not folder.exists()


def test_text_sent_to_the_kernels_loopback_port_never_reaches_a_page(tmp_path, monkeypatch):
    """ipykernel listens on a loopback TCP port for the output of forked processes; any
    local user can send to it, and it prints what it refuses ("Bad pipe message: ...") to
    the kernel's standard error. With ipykernel's default capture of that file descriptor,
    the text became output of the running cell, and so of a published page (helper-28).
    Batch kernels send it to the worker's log; a cell's own prints are kept."""
    import threading
    import time

    import psutil
    import zmq

    nb = _notebook("x = 1", "import sys, time\ntime.sleep(3)\n"
                   "print('cell-text', file=sys.stderr)")
    log = tmp_path / "worker.log"
    # ipykernel never captures its descriptors under pytest (it looks for this variable);
    # the kernel of a batch does not run under pytest
    monkeypatch.delenv("PYTEST_CURRENT_TEST", raising=False)
    kernel = WarmKernel(str(tmp_path), log=str(log))
    kernel.start()
    ports = [c.laddr.port for c in psutil.Process(kernel.km.provisioner.pid)
             .net_connections(kind="tcp") if c.status == psutil.CONN_LISTEN]
    assert ports  # (the pipe is still there: the test would prove nothing without it)

    def stranger():
        time.sleep(1.0)  # while the cell runs
        context = zmq.Context()
        for port in ports:
            sock = context.socket(zmq.PUSH)
            sock.linger = 1000
            sock.connect(f"tcp://127.0.0.1:{port}")
            sock.send_multipart([b"x", b"stranger-text"])
            sock.close()
        context.term()

    thread = threading.Thread(target=stranger)
    thread.start()
    try:
        out = kernel.execute(nb, {"x": 2}, timeout=60)
    finally:
        thread.join()
        kernel.shutdown()
    shown = "".join(o.get("text", "") for o in out.cells[-1].outputs)
    assert "cell-text" in shown and "stranger-text" not in shown
    assert "stranger-text" in log.read_text(encoding="utf-8", errors="replace")


def test_timeout_fires_in_a_reused_kernel(tmp_path):
    """The async client lets nbclient's per-cell timeout fire; the kernel is then
    discarded and a new one serves the next notebook."""
    hung = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("t = 60", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("import time\ntime.sleep(t)")])
    hung.metadata["kernelspec"] = {"name": "python3", "language": "python",
                                   "display_name": "Python 3"}
    kernel = WarmKernel(str(tmp_path))
    try:
        kernel.execute(hung, {"t": 0}, timeout=30)
        with pytest.raises(Exception, match="(?i)timed? ?out"):
            kernel.execute(hung, {"t": 60}, timeout=2)
        assert kernel.km is None and kernel.notebook is not None
        nb = kernel.execute(hung, {"t": 0}, timeout=30)
        assert nb.cells[-1].execution_count == 3
    finally:
        kernel.shutdown()
    shutil.rmtree(tmp_path, ignore_errors=True)

"""A warmed Jupyter kernel kept by a batch worker across reports, run through papermill.

Starting a kernel and importing pandas, plotly and peerlib costs more CPU than a site
report's own cells. A batch worker therefore keeps one kernel (jupyter_client's
``AsyncKernelManager`` and its async client: with a blocking client nbclient's per-cell
timeout never fires) and runs notebook after notebook in it through papermill (its
``execute_notebook`` prepares the notebook, its engine call runs it with the engine below
and its error check marks a failing cell), so papermill's semantics are unchanged: the
``parameters`` cell, the injected-parameters cell, the executed notebook with the failing
cell marked, the per-cell timeout.

Between reports the kernel is reset (:data:`RESET_CODE`): the user namespace and execution
counter start afresh (``InteractiveShell.reset(new_session=True)``), warnings already shown
are shown again, open matplotlib figures are closed and its settings restored, figure ids
restart at 1 (:func:`peerlib.reporting.figures.reset_figure_ids`). Modules stay
imported: that is the saving. What survives the reset (modules, their caches) is then moved
out of the garbage collector's sight (:func:`gc.freeze`): IPython's reset runs a full
collection, which otherwise walks every object of pandas, plotly and matplotlib again before
each report (about 0.2 s of CPU a report); reference counting still frees them. A report that fails or times out discards the kernel; the next
report gets a fresh one. The batch's tests check that a report built by a reused kernel is
identical, apart from the run date, to one built by a fresh kernel, for every template.
"""
from __future__ import annotations

import asyncio
import atexit
import functools
import os
import signal
import threading
import time

__all__ = ["WarmKernel", "RESET_CODE", "ENGINE_NAME", "worker_environment"]

#: Name under which the reusing engine is registered with papermill.
ENGINE_NAME = "peerwork-warm"

#: Run silently in the kernel before it is handed to a notebook (the first time too, so that
#: every report starts from the same state).
RESET_CODE = """\
import sys as _pw_sys, warnings as _pw_warnings
_pw_state = _pw_sys.modules.setdefault('_peerwork_kernel_state',
                                       type(_pw_sys)('_peerwork_kernel_state'))
if not hasattr(_pw_state, 'filters'):
    _pw_state.filters = list(_pw_warnings.filters)
_pw_warnings.resetwarnings()
_pw_warnings.filters[:] = _pw_state.filters
if 'matplotlib.pyplot' in _pw_sys.modules:
    _pw_sys.modules['matplotlib.pyplot'].close('all')
if 'matplotlib' in _pw_sys.modules:
    _pw_sys.modules['matplotlib'].rc_file_defaults()
if 'peerlib.reporting.figures' in _pw_sys.modules:
    _pw_sys.modules['peerlib.reporting.figures'].reset_figure_ids()
get_ipython().reset(new_session=True, aggressive=False)
import gc as _pw_gc
_pw_gc.freeze()
del _pw_gc
"""

#: Run silently once in every new kernel: the modules the report templates import. Not
#: ``hypothesis`` (a test library): pandera imports it for its data-synthesis strategies
#: whenever it is installed, a sixth of a second per kernel that no report uses.
WARM_UP_CODE = """\
import sys as _pw_sys
_pw_sys.modules.setdefault('hypothesis', None)
del _pw_sys
try:
    import peerlib.part1.scoring, peerlib.reporting.figures, peerlib.reporting.tables
    import peerlib.reporting.sections
except Exception:
    pass
"""

#: Options of every batch kernel: IPython keeps no history of the cells it runs (its
#: history database is in the user's home, outside the project: every report's code and
#: parameters, run after run, in a file that only grows); and what is written straight to
#: the kernel process's file descriptors 1 and 2 (compiled libraries, ipykernel's own
#: messages) goes to the worker's log, not into the running cell's output: ipykernel's
#: pipe for the output of forked processes is a loopback TCP port that any local user can
#: send to, and it prints what it refuses ("Bad pipe message: ...") to descriptor 2, which
#: put a stranger's text into a published page (found by helper-28). What a cell prints
#: through Python's sys.stdout and sys.stderr is kept in its output as before.
KERNEL_ARGUMENTS = ["--HistoryManager.enabled=False", "--IPKernelApp.capture_fd_output=False"]

_current: "WarmKernel | None" = None


@functools.lru_cache(maxsize=1)
def _engine():
    """The papermill engine that runs a notebook in the current worker's warm kernel
    (built lazily so that importing this module does not import papermill), registered
    with papermill once per process."""
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, papermill_engines
    from papermill.log import logger

    class WarmEngine(NBClientEngine):
        """papermill's nbclient engine, given the worker's running kernel."""

        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False,
                                     stdout_file=None, stderr_file=None, start_timeout=60,
                                     execution_timeout=None, **kwargs):
            warm = _current
            warm.nb_man = nb_man
            client = PapermillNotebookClient(
                nb_man, km=warm.km, timeout=execution_timeout, startup_timeout=start_timeout,
                kernel_name=kernel_name, log=logger, log_output=log_output,
                stdout_file=stdout_file, stderr_file=stderr_file)
            client.kc = warm.kc
            try:
                return client.execute()
            finally:
                atexit.unregister(client._cleanup_kernel)  # the worker shuts it down
                warm.restore_signals()

    papermill_engines.register(ENGINE_NAME, WarmEngine)
    return WarmEngine


class WarmKernel:
    """One kernel kept by one worker process, reset between notebooks.

    Parameters
    ----------
    cwd : str
        Working directory of the kernel (the project directory: every job of a batch runs
        there).
    start_timeout : float
        Seconds to wait for a new kernel to answer.
    kernel_name : str
        Jupyter kernel spec name.
    log : str, optional
        File that receives the kernel's own stdout and stderr (appended), so that its chatter
        never reaches the terminal where the progress bar is.
    """

    def __init__(self, cwd: str, *, start_timeout: float = 120,
                 kernel_name: str = "python3", log: str | None = None) -> None:
        self.cwd = cwd
        self.log = log
        self.start_timeout = start_timeout
        self.kernel_name = kernel_name
        self.km = None
        self.kc = None
        self.nb_man = None
        self.runs = 0
        self._signals: dict[int, object] = {}
        self._private: str | None = None  # the folder of the kernel's connection
        self._templates: dict[int, tuple] = {}  # id -> (template, loaded, parameter names)

    # -- lifecycle ----------------------------------------------------------------------
    def _run(self, coro):
        from jupyter_core.utils import run_sync

        async def wrap():
            return await coro
        return run_sync(wrap)()

    def start(self) -> None:
        """Start a new kernel (after shutting down any previous one)."""
        from jupyter_client.manager import AsyncKernelManager

        self.shutdown()
        self._signals = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
        km = AsyncKernelManager(kernel_name=self.kernel_name, **self._connection())
        if self.log:
            with open(self.log, "ab") as log:
                self._run(km.start_kernel(cwd=self.cwd, stdout=log, stderr=log,
                                          extra_arguments=KERNEL_ARGUMENTS))
        else:
            self._run(km.start_kernel(cwd=self.cwd, extra_arguments=KERNEL_ARGUMENTS))
        kc = km.client()
        kc.start_channels()
        self._run(kc.wait_for_ready(timeout=self.start_timeout))
        self.km, self.kc, self.runs = km, kc, 0
        # Imports the report templates need, once, outside any cell's timeout (the reset
        # before each notebook keeps modules, so no report depends on what ran before).
        self._silent(WARM_UP_CODE)

    def _connection(self) -> dict:
        """Where the kernel and this worker talk: a folder of this user's only (mode 0700,
        made anew for each kernel) holding the connection file and, on Linux and macOS, the
        kernel's sockets as files (ZeroMQ's ``ipc`` transport).

        Over jupyter_client's default, TCP on the loopback interface, the kernel publishes
        every output of a report (participants' answers, quotes) unencrypted on a port that
        any user of the machine can subscribe to (the connection key signs messages; it
        does not hide them), as a shared server or a cluster's node would allow. A socket
        file in a private folder can only be reached by its owner. (Windows has no ``ipc``
        transport: there the connection file is private and the transport stays TCP.)
        """
        import tempfile

        self._private = tempfile.mkdtemp(prefix="peerwork-kernel-")
        options = {"connection_file": os.path.join(self._private, "kernel.json")}
        if os.name == "posix":
            options["transport"] = "ipc"  # sockets: <folder>/kernel-ipc-<n>
        return options

    def _silent(self, code: str) -> dict:
        """Run ``code`` silently in the kernel; return the reply's content."""
        msg_id = self.kc.execute(code, silent=True, store_history=False)
        deadline = time.monotonic() + self.start_timeout
        while True:
            reply = self._run(self.kc.get_shell_msg(timeout=max(1.0, deadline -
                                                                 time.monotonic())))
            if reply["parent_header"].get("msg_id") == msg_id:
                return reply["content"]

    def shutdown(self) -> None:
        """Stop the kernel now (no-op when none is running)."""
        km, kc = self.km, self.kc
        self.km = self.kc = None
        if kc is not None:
            try:
                kc.stop_channels()
            except Exception:  # noqa: BLE001 - a dead kernel's channels may already be gone
                pass
        if km is not None:
            try:
                self._run(km.shutdown_kernel(now=True))
            except Exception:  # noqa: BLE001 - already dead
                pass
        self.remove_connection_folder()

    def remove_connection_folder(self) -> None:
        """Remove the private folder of the kernel's connection file and socket files
        (:meth:`_connection`), if any is left; also for a worker that kills its kernel on
        its way out."""
        private, self._private = self._private, None
        if private is not None:
            import shutil

            shutil.rmtree(private, ignore_errors=True)

    def restore_signals(self) -> None:
        """Give SIGINT/SIGTERM back to the worker's own handlers (nbclient installs event
        loop handlers that would otherwise outlive the notebook)."""
        if threading.current_thread() is not threading.main_thread():
            return  # (a Dask worker thread) no signal handlers were installed
        try:
            loop = asyncio.get_event_loop()
            for sig in self._signals:
                loop.remove_signal_handler(sig)
        except (RuntimeError, ValueError):
            pass
        for sig, handler in self._signals.items():
            if handler is not None:
                signal.signal(sig, handler)

    def reset(self) -> None:
        """Reset the kernel's state (see :data:`RESET_CODE`); start a kernel if none is
        running or the last one died.

        Raises
        ------
        RuntimeError
            When the reset code fails in the kernel (the caller then starts a new one).
        """
        if self.km is None or not self._run(self.km.is_alive()):
            self.start()
        content = self._silent(RESET_CODE)
        if content.get("status") != "ok":
            raise RuntimeError("kernel reset failed: " + str(content.get("evalue")))

    # -- running ------------------------------------------------------------------------
    def execute(self, template, parameters: dict, *, timeout: int, start_timeout: float = 120):
        """Run one notebook through papermill in this kernel.

        Parameters
        ----------
        template : nbformat.NotebookNode or str
            The template notebook (a node is copied by papermill, never changed).
        parameters : dict
            Injected after the cell tagged ``parameters``.
        timeout : int
            Seconds any one cell may run.

        Returns
        -------
        nbformat.NotebookNode
            The executed notebook.

        Raises
        ------
        papermill.PapermillExecutionError
            A cell raised; :attr:`notebook` holds the notebook with the failing cell marked.
        Exception
            A timeout or a dead kernel; :attr:`notebook` holds the partial notebook. In
            either case the kernel has been discarded.
        """
        from papermill.engines import papermill_engines
        from papermill.execute import raise_for_execution_errors
        from papermill.utils import chdir

        global _current
        _engine()
        self.nb_man = None
        try:
            self.reset()
        except Exception:  # noqa: BLE001 - a broken kernel: take a new one
            self.start()
            self.reset()
        _current = self
        try:
            # papermill's execute_notebook in two steps, so that the executed notebook is
            # not serialised once more only to be discarded (its final write to an output
            # path of None: about as much work as the worker's own save): the notebook
            # parameterised as papermill prepares it (:meth:`prepare`), then papermill's
            # engine call and its check for errors, as execute_notebook makes them.
            nb = self.prepare(template, parameters)
            with chdir(self.cwd):
                nb = papermill_engines.execute_notebook_with_engine(
                    ENGINE_NAME, nb, input_path=template, output_path=None,
                    kernel_name=self.kernel_name, progress_bar=False, log_output=False,
                    start_timeout=start_timeout, execution_timeout=timeout)
            raise_for_execution_errors(nb, None)
        except BaseException:
            self.shutdown()  # a failed or timed-out report never leaves its kernel behind
            raise
        finally:
            _current = None
        self.runs += 1
        return nb

    def prepare(self, template, parameters: dict):
        """The notebook as papermill's ``execute_notebook`` prepares it for its engine: the
        template loaded with papermill's metadata, the injected-parameters cell after the
        ``parameters`` cell, papermill's notebook metadata, no error markers; a warning
        (papermill's logger) for a parameter the template does not declare.

        papermill's own preparation serialises the template and parses it back (it reads a
        notebook node as a file) and infers the template's parameters by parsing its
        ``parameters`` cell, for every notebook. Here both are done once per template
        object (a batch worker parses each template once) and each report starts from a
        deep copy; the result is the same notebook, apart from the injected cell's random
        id (tests/test_kernel.py checks it). About 10 ms less per report, measured on the
        site template.

        Parameters
        ----------
        template : nbformat.NotebookNode or str
            The template notebook (never changed) or its path (loaded every time).
        parameters : dict
            Name -> value, injected as papermill injects them.

        Returns
        -------
        nbformat.NotebookNode
            A new notebook, ready for papermill's engine.
        """
        import copy

        from papermill.execute import prepare_notebook_metadata, remove_error_markers
        from papermill.inspection import _infer_parameters
        from papermill.iorw import load_notebook_node
        from papermill.log import logger
        from papermill.parameterize import parameterize_notebook

        _engine()  # registered: papermill asks it for the notebook's kernel name
        cached = self._templates.get(id(template))
        if cached is None or cached[0] is not template:
            loaded = load_notebook_node(template)
            names = {p.name for p in _infer_parameters(loaded, name=self.kernel_name)}
            cached = (template, loaded, names)
            if not isinstance(template, str):  # a path is read again next time
                self._templates[id(template)] = cached
        _, loaded, names = cached
        for name in parameters:
            if name not in names:
                logger.warning(f"Passed unknown parameter: {name}")
        nb = copy.deepcopy(loaded)
        if parameters:
            nb = parameterize_notebook(nb, parameters, False, kernel_name=self.kernel_name,
                                       engine_name=ENGINE_NAME)
        nb = prepare_notebook_metadata(nb, template, None, False)
        return remove_error_markers(nb)

    @property
    def notebook(self):
        """The notebook of the last run (also after a failure: partial, failing cell
        marked), or None before any cell ran."""
        return None if self.nb_man is None else self.nb_man.nb


def worker_environment(root: str) -> None:
    """Environment of a batch worker and the kernels it starts: the project directory,
    matplotlib's Agg backend, one thread for numpy's BLAS in the kernels (unless set),
    charts in the executed notebooks in the report page's form only
    (:data:`peerlib.reporting.figures.CHART_JSON_VARIABLE`, unless set), and
    no import of ``rfc3987_syntax`` (jsonschema's optional
    checker for the ``iri`` formats, which notebook validation never uses; importing it
    builds a grammar and costs most of a second per process)."""
    import sys

    os.environ["PEERLIB_PROJECT_DIR"] = root
    os.environ.setdefault("MPLBACKEND", "Agg")
    # one report per core: threads of numpy's BLAS in a kernel would only contend with
    # the other workers (unless the user chose a number)
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(name, "1")
    # the published page uses a chart's HTML form only; plotly's JSON form of every chart
    # would be received, validated, copied and saved by the worker for nothing (the name is
    # peerlib.reporting.figures.CHART_JSON_VARIABLE, not imported: that module needs pandas)
    os.environ.setdefault("PEERLIB_CHART_JSON", "0")
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]

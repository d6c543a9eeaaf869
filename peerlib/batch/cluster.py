"""Report runs on a Dask distributed cluster instead of local worker processes.

``peerlib reports --scheduler tcp://HOST:8786`` (or ``PEERLIB_SCHEDULER``) sends each
notebook run to the cluster's workers as a task; everything else (planning, the progress
bar, failure handling, publishing all or nothing, the index) stays in the ``peerlib``
process, exactly as with the local pool. Each Dask worker keeps its own warm kernel
(:mod:`peerlib.batch.kernel`). Workers write into the batch's staging folder inside the
reports folder, so the project folder must be reachable at the same path from every worker
(a shared file system, as on a university HPC cluster).
"""
from __future__ import annotations

import concurrent.futures as cf

__all__ = ["dask_executor", "CONNECT_TIMEOUT"]

#: Seconds to wait for the scheduler to answer before giving up with a clear error.
CONNECT_TIMEOUT = 20


class _DaskExecutor(cf.Executor):
    """A :class:`concurrent.futures.Executor` over a ``distributed.Client`` whose futures
    work with :func:`concurrent.futures.as_completed` (the local pool's loop)."""

    def __init__(self, address: str) -> None:
        from distributed import Client

        self.client = Client(address, set_as_default=False, timeout=CONNECT_TIMEOUT)
        self._executor = self.client.get_executor(pure=False)

    def submit(self, fn, /, *args, **kwargs):
        return self._executor.submit(fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        try:
            self._executor.shutdown(wait=wait)
        finally:
            self.client.close()


def dask_executor(address: str) -> cf.Executor:
    """Connect to the Dask scheduler at ``address`` (e.g. ``tcp://10.0.0.5:8786``).

    Returns
    -------
    concurrent.futures.Executor
        Submits report runs as Dask tasks; ``shutdown`` closes the connection (the cluster
        keeps running).

    Raises
    ------
    ParameterError
        When ``distributed`` is not installed or no scheduler answers at ``address``.
    """
    from ..errors import ParameterError

    try:
        import distributed  # noqa: F401
    except ImportError as err:
        raise ParameterError("--scheduler needs the 'distributed' package (Dask): "
                             "pip install distributed") from err
    try:
        return _DaskExecutor(address)
    except (OSError, TimeoutError, ValueError) as err:
        raise ParameterError(f"No Dask scheduler answers at {address!r} ({err}); start one "
                             "(dask scheduler, or a dask-jobqueue cluster) and pass its "
                             "address.") from err

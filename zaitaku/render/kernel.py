"""A warm Jupyter kernel for the renderer, and the papermill engine that runs notebooks on it.

Papermill's nbclient engine accepts an already-started kernel manager (``km=``) and leaves a
kernel it does not own alive (nbclient PR #94). Kernels use IPC transport with a connection file
in the worker's own temp folder, so kernels started side by side never race for TCP ports
(papermill #511, #239); a failed start is retried once. Between reports the kernel runs
:func:`zaitaku.render.kernel_reset.reset`; a kernel that died, timed out or cannot be reset is
replaced before the next report.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
import uuid
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

ENGINE_NAME = "zaitaku_warm"


def setup_code(preload: tuple[str, ...], data_dir: str = "") -> str:
    return (f"from zaitaku.render import kernel_reset as __zk\n__zk.setup({list(preload)!r}, {data_dir!r})\n"
            "del __zk\n")


def stats_code(path: str) -> str:
    return f"__import__('zaitaku.render.kernel_reset', fromlist=['dump_stats']).dump_stats({path!r})\n"


def reset_code(data_dir: str | None) -> str:
    return f"__import__('zaitaku.render.kernel_reset', fromlist=['reset']).reset({data_dir!r})\n"


# --------------------------------------------------------------------------------------------
# papermill engine: nbclient with a kernel we own


_engine_registered = False


def register_engine() -> None:
    global _engine_registered
    if _engine_registered:
        return
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, papermill_engines

    class WarmKernelEngine(NBClientEngine):
        """nbclient engine that runs on a given, already started kernel (manager and client)
        and leaves it running; ``holder`` receives the notebook being executed, so a failed
        run's outputs are kept even when nbclient raises."""

        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False, stdout_file=None,
                                     stderr_file=None, start_timeout=60, execution_timeout=None,
                                     km=None, kc=None, holder=None, **kwargs):
            if holder is not None:
                holder["nb"] = nb_man.nb
            client = PapermillNotebookClient(
                nb_man,
                km=km,
                timeout=execution_timeout,
                startup_timeout=start_timeout,
                kernel_name=kernel_name,
                log=logging.getLogger("papermill"),
                log_output=log_output,
                stdout_file=stdout_file,
                stderr_file=stderr_file,
                interrupt_on_timeout=False,
            )
            client.kc = kc  # reuse the warm client: no new channels per report
            return client.execute()

    papermill_engines.register(ENGINE_NAME, WarmKernelEngine)
    _engine_registered = True


def run_notebook(nb: Any, source_path: str, parameters: dict[str, Any], settings: Any, *, km: Any, kc: Any,
                 holder: dict[str, Any], cells_file: Path) -> Any:
    """What ``papermill.execute_notebook`` does for an in-memory notebook, on the warm kernel:
    parameters injected, metadata prepared, error markers removed, executed, and
    ``PapermillExecutionError`` raised for a failed cell (its banner cells added). Papermill's
    copy of the notebook through JSON on the way in and its serialisation for the (absent)
    output file on the way out are left out: ``nb`` is the worker's fresh copy already.

    The cells run in one request (:mod:`zaitaku.render.cells`) unless ``settings.execution`` is
    ``papermill`` or the notebook needs papermill's cell-by-cell engine (top-level ``await``)."""
    from papermill.engines import papermill_engines
    from papermill.execute import (
        prepare_notebook_metadata,
        raise_for_execution_errors,
        remove_error_markers,
    )
    from papermill.parameterize import parameterize_notebook

    from zaitaku.render.cells import can_run, execute_cells

    nb = parameterize_notebook(nb, parameters, kernel_name=settings.kernel_name, language="python",
                               engine_name=ENGINE_NAME)
    nb = remove_error_markers(prepare_notebook_metadata(nb, source_path, None))
    if settings.execution == "cells" and can_run(nb):
        holder["nb"] = nb
        nb = execute_cells(nb, km=km, kc=kc, cells_file=cells_file, timeout=settings.cell_timeout)
    else:
        nb = papermill_engines.execute_notebook_with_engine(
            ENGINE_NAME, nb, input_path=source_path, output_path=None, kernel_name=settings.kernel_name,
            progress_bar=False, log_output=False, start_timeout=settings.start_timeout, stdout_file=None,
            stderr_file=None, execution_timeout=settings.cell_timeout, km=km, kc=kc, holder=holder,
        )
    raise_for_execution_errors(nb, None)
    return nb


# --------------------------------------------------------------------------------------------
# the warm kernel


class KernelStartError(RuntimeError):
    pass


class KernelCodeError(RuntimeError):
    """Code sent to the kernel raised: its exception's name and value, as the kernel reported them."""

    def __init__(self, ename: str, evalue: str):
        super().__init__(f"{ename}: {evalue}")
        self.ename, self.evalue = ename, evalue


class WarmKernel:
    """A kernel over IPC in ``tmpdir``, started on first use, reset before each report."""

    def __init__(self, settings: Any, tmpdir: Path):
        self.settings = settings
        self.tmpdir = tmpdir
        self.km: Any = None  # AsyncKernelManager
        self.kc: Any = None  # AsyncKernelClient
        self.starts = 0
        self.broken = False
        self.used = False
        self._setup_id: str | None = None  # setup sent, reply not read yet
        self.data_dir: str | None = None  # the last report's processed data (checked by the reset)

    @property
    def pid(self) -> int | None:
        prov = getattr(self.km, "provisioner", None)
        return getattr(prov, "pid", None)

    # async parts run on the thread's event loop (the one nbclient uses too)
    async def _astart(self, wait: bool = True) -> None:
        from jupyter_client.manager import AsyncKernelManager

        s = self.settings
        last: Exception | None = None
        for attempt in (1, 2):  # retry a failed start once
            conn = self.tmpdir / f"k{uuid.uuid4().hex[:8]}.json"
            km = AsyncKernelManager(kernel_name=s.kernel_name, transport="ipc", connection_file=str(conn))
            kc = None
            try:
                env = dict(os.environ)
                env.update(dict(s.env))
                env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
                await km.start_kernel(
                    cwd=s.kernel_cwd or str(Path.cwd()),
                    env=env,
                    extra_arguments=["--HistoryManager.hist_file=:memory:"],
                )
                kc = km.client()
                kc.start_channels()
                await kc.wait_for_ready(timeout=s.start_timeout)
                self.km, self.kc = km, kc
                self.starts += 1
                break
            except Exception as exc:
                last = exc
                log.warning("kernel start failed (attempt %d): %s", attempt, exc)
                await self._ateardown(km, kc)
        else:
            raise KernelStartError(f"kernel {s.kernel_name!r} did not start: {last}") from last
        # the preload runs in the kernel while the worker goes on (imports papermill, nbconvert)
        self._setup_id = self.kc.execute(setup_code(s.preload, s.data_dir), silent=True, store_history=False,
                                         allow_stdin=False)
        self.broken = False
        self.used = False
        if wait:
            await self._await_setup()

    async def _await_setup(self, timeout: float = 600) -> None:
        if self._setup_id is None:
            return
        msg_id, self._setup_id = self._setup_id, None
        deadline = time.monotonic() + timeout
        while True:
            reply = await self.kc.get_shell_msg(timeout=max(0.1, deadline - time.monotonic()))
            if reply.get("parent_header", {}).get("msg_id") == msg_id:
                break
        content = reply["content"]
        if content.get("status") != "ok":
            raise RuntimeError(f"kernel setup failed: {content.get('ename')}: {content.get('evalue')}")

    async def _arun(self, code: str, timeout: float | None = 120) -> None:
        reply = await self.kc.execute_interactive(
            code, silent=True, store_history=False, allow_stdin=False, timeout=timeout,
            output_hook=lambda msg: None,
        )
        content = reply["content"]
        if content.get("status") != "ok":
            raise KernelCodeError(str(content.get("ename")), str(content.get("evalue")))

    @staticmethod
    async def _ateardown(km, kc) -> None:
        from jupyter_core.utils import ensure_async

        if kc is not None:
            with contextlib.suppress(Exception):
                kc.stop_channels()
        if km is not None:
            with contextlib.suppress(Exception):
                if km.has_kernel:
                    await km.shutdown_kernel(now=True)
            with contextlib.suppress(Exception):
                await ensure_async(km.cleanup_resources())

    async def _aprepare(self) -> None:
        if self.km is not None and (self.broken or not await self.km.is_alive()):
            await self._ateardown(self.km, self.kc)
            self.km = self.kc = None
            self._setup_id = None
        if self.km is None:
            await self._astart()
        await self._await_setup()
        if self.used:
            try:
                await self._arun(reset_code(self.data_dir), timeout=120)
            except Exception:
                await self._ateardown(self.km, self.kc)
                self.km = self.kc = None
                await self._astart()
        self.used = True

    async def _ashutdown(self) -> None:
        await self._ateardown(self.km, self.kc)
        self.km = self.kc = None
        self._setup_id = None

    def launch(self) -> None:
        """Start the kernel and its preload without waiting for the preload to finish."""
        from jupyter_core.utils import run_sync

        if self.km is None:
            run_sync(self._astart)(wait=False)

    def prepare(self) -> None:
        from jupyter_core.utils import run_sync

        run_sync(self._aprepare)()

    def run(self, code: str, timeout: float | None = 60) -> None:
        """Run ``code`` silently in the kernel; :class:`KernelCodeError` if it raised, ``TimeoutError``
        when it ran longer than ``timeout`` seconds (None: no limit)."""
        from jupyter_core.utils import run_sync

        run_sync(self._arun)(code, timeout=timeout)

    def shutdown(self) -> None:
        from jupyter_core.utils import run_sync

        if self.km is not None:
            run_sync(self._ashutdown)()


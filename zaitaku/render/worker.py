"""Worker side of ``zaitaku render``: one warm Jupyter kernel (:mod:`.kernel`), papermill's parameters, a
report's cells in one request (:mod:`.cells`), one HTML exporter.

A worker (a local process, or a Dask worker thread) keeps its kernel across reports. Between
reports the kernel's namespace and global state are reset by :mod:`.kernel_reset` (``%reset -f``,
matplotlib rcParams and figures, pandas/numpy options, warnings filters, cwd, sys.path,
environment, execution count, and a check that the cached processed data is unchanged) so a
warm run's output equals a fresh run's.

The reference state is a snapshot taken after the kernel has imported every module the batch's
notebooks import, not ``rcdefaults()``: modules such as matplotlib_fontja or the house style set
rcParams when first imported, and a warm kernel imports them only once. After the snapshot, and
after each reset, long-lived objects are frozen out of the cyclic garbage collector
(``gc.freeze()``): collections then skip pandas', matplotlib's and the data caches' objects,
which makes the notebooks' own code about 1.5× faster than in a fresh kernel.

Workers never write into the reports folder: a report's HTML, figures CSV or failed notebook
travel back to the parent process in a :class:`Result`, and the parent writes them.
"""

from __future__ import annotations

import html
import logging
import os
import shutil
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from zaitaku.render.jobs import Job, Result, WorkerSettings, notebook_imports
from zaitaku.render.kernel import WarmKernel, register_engine, run_notebook, stats_code

log = logging.getLogger(__name__)

STATS_ENV = "ZAITAKU_RENDER_STATS"  # a folder: each worker writes its peak memory and chart-cache counters there
FAILED_MARKER_TAG = "papermill-error-cell-tag"  # papermill's tag, so papermill strips it on re-run


# --------------------------------------------------------------------------------------------
# the worker


def _failing_cell(nb) -> int | None:
    """Index (in ``nb``) of the cell that was executing when the run stopped."""
    last = None
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        pm = cell.get("metadata", {}).get("papermill", {})
        if pm.get("exception"):
            return i
        if pm.get("start_time"):  # papermill marks unstarted cells "completed" at the end
            last = i
    return last


def _source_index(nb, index: int | None) -> int | None:
    """Map a cell index of the executed notebook to the source notebook's (drop injected cells)."""
    if index is None:
        return None
    skip = 0
    for cell in nb.cells[:index]:
        tags = cell.get("metadata", {}).get("tags", [])
        if "injected-parameters" in tags or FAILED_MARKER_TAG in tags:
            skip += 1
    return index - skip


def _add_error_banner(nb, index: int | None, ename: str, evalue: str) -> None:
    """Papermill-style banner for failures papermill does not mark (timeouts, dead kernels)."""
    import nbformat

    if any(FAILED_MARKER_TAG in c.get("metadata", {}).get("tags", []) for c in nb.cells):
        return
    style = 'style="color:red; font-size:1.5em;"'
    ename, evalue = html.escape(ename), html.escape(evalue)  # error text is data, not markup
    top = nbformat.v4.new_markdown_cell(
        f'<span {style}>zaitaku render: {ename} at <a href="#papermill-error-cell">this cell</a>: {evalue}</span>'
    )
    top.metadata["tags"] = [FAILED_MARKER_TAG]
    anchor = nbformat.v4.new_markdown_cell(
        f'<span id="papermill-error-cell" {style}>Execution stopped here: {ename}</span>'
    )
    anchor.metadata["tags"] = [FAILED_MARKER_TAG]
    if index is not None:
        nb.cells.insert(index, anchor)
    nb.cells.insert(0, top)


def _stderr_text(nb, limit: int = 500) -> str:
    parts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []) if cell.cell_type == "code" else []:
            if out.get("output_type") == "stream" and out.get("name") == "stderr":
                parts.append(out.get("text", ""))
    text = "".join(parts).strip()
    return text[:limit]


class Worker:
    """Renders jobs one after another on one warm kernel."""

    def __init__(self, settings: WorkerSettings):
        self.settings = settings
        self.tmpdir = Path(tempfile.mkdtemp(prefix="zaitaku-w-"))
        self.kernel = WarmKernel(settings, self.tmpdir)
        self._exporter = None
        self._notebooks: dict[str, str] = {}
        self.name = f"{os.uname().nodename}:{os.getpid()}"
        self.ready_cpu_seconds: float | None = None  # CPU when warm_up ended (the start-up, for the bench)
        self.seconds_by_kind: dict[str, float] = {}  # wall seconds spent on reports and on decks (the bench)
        self._last_kind = ""
        for name in ("papermill", "traitlets", "nbclient"):
            logging.getLogger(name).setLevel(logging.CRITICAL)

    @property
    def exporter(self):
        if self._exporter is None:
            from zaitaku.render.html import make_exporter

            self._exporter = make_exporter()
        return self._exporter

    def _notebook(self, path: str):
        """A fresh copy of the notebook as papermill loads it (read and prepared once per worker)."""
        import json

        import nbformat

        text = self._notebooks.get(path)
        if text is None:
            from papermill.iorw import load_notebook_node

            text = self._notebooks[path] = json.dumps(load_notebook_node(path))
        return nbformat.from_dict(json.loads(text))

    def warm_up(self) -> None:
        """Start the kernel, and while it imports the notebooks' modules, import papermill and
        nbconvert here and build the exporter."""
        try:
            self.kernel.launch()
        except Exception as exc:
            log.warning("kernel launch failed: %s", exc)
            self.kernel.broken = True
        register_engine()
        _ = self.exporter
        import gc

        gc.collect()
        gc.freeze()  # papermill, nbconvert, jinja templates: out of every later collection
        self.ready_cpu_seconds = time.process_time()

    def close(self) -> None:
        stats_dir = os.environ.get(STATS_ENV)
        if stats_dir:
            self._write_stats(Path(stats_dir))
        try:
            self.kernel.shutdown()
        finally:
            shutil.rmtree(self.tmpdir, ignore_errors=True)

    def _write_stats(self, folder: Path) -> None:
        """Peak memory and CPU seconds of this worker and of its kernel, and the kernel's chart-cache counters."""
        import json
        import resource

        folder.mkdir(parents=True, exist_ok=True)
        kernel_file = folder / f"kernel-{os.getpid()}-{self.kernel.starts}.json"
        if self.kernel.km is not None and not self.kernel.broken:
            try:
                self.kernel.run(stats_code(str(kernel_file)))
            except Exception as exc:
                log.warning("kernel statistics not collected: %s", exc)
        kernel = json.loads(kernel_file.read_text(encoding="utf-8")) if kernel_file.is_file() else {}
        ru = resource.getrusage(resource.RUSAGE_SELF)
        (folder / f"worker-{os.getpid()}.json").write_text(json.dumps({
            "pid": os.getpid(), "maxrss_kb": ru.ru_maxrss, "cpu_seconds": ru.ru_utime + ru.ru_stime, "kernel": kernel,
            "cpu_seconds_at_ready": self.ready_cpu_seconds,
            "seconds_by_kind": {k: round(v, 3) for k, v in self.seconds_by_kind.items()},
        }), encoding="utf-8")

    def execute(self, job: Job, parameters: dict[str, Any]):
        """Run the notebook; returns (executed notebook, error tuple or None)."""
        from nbclient.exceptions import CellTimeoutError, DeadKernelError
        from papermill.exceptions import PapermillExecutionError

        holder: dict[str, Any] = {}
        try:
            register_engine()
            self.kernel.prepare()
            self.kernel.data_dir = str(parameters.get("data_dir") or "") or None
            nb = run_notebook(self._notebook(job.notebook), job.notebook, parameters, self.settings,
                              km=self.kernel.km, kc=self.kernel.kc, holder=holder,
                              cells_file=self.tmpdir / "cells.json")
            return nb, None
        except PapermillExecutionError as exc:
            # papermill has marked the failing cell and added its banner cells to the notebook
            return holder.get("nb"), (exc.ename, exc.evalue, None, exc.exec_count, True)
        except (CellTimeoutError, DeadKernelError) as exc:
            self.kernel.broken = True
            nb = holder.get("nb")
            evalue = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            if isinstance(exc, CellTimeoutError):
                evalue = f"a cell ran longer than {self.settings.cell_timeout:g} s"
            return nb, (type(exc).__name__, evalue, None, None, False)
        except Exception as exc:
            self.kernel.broken = True
            return holder.get("nb"), (type(exc).__name__, str(exc), None, None, False)

    def run_deck(self, job: Job) -> Result:
        """Have the warm kernel build a scope's slide deck (see :mod:`.decks`); its bytes travel back in the result."""
        from zaitaku.render.decks import deck_code
        from zaitaku.render.kernel import KernelCodeError

        t0 = time.perf_counter()
        starts0 = self.kernel.starts
        res = Result(key=job.key, status="ok", worker=self.name, input_hash=job.input_hash)
        path = self.tmpdir / "deck.pptx"
        try:
            path.unlink(missing_ok=True)
            self.kernel.prepare()
            self.kernel.data_dir = str(job.parameters.get("data_dir") or "") or None
            self.kernel.run(deck_code(job.parameters, path), timeout=self.settings.cell_timeout)
            res.content = path.read_bytes()
        except KernelCodeError as exc:  # the deck's own error (a broken closing template, ...): the kernel is fine
            res.status, res.ename, res.evalue = "failed", exc.ename, exc.evalue
        except Exception as exc:  # timed out, died, did not start: replaced before the next job
            self.kernel.broken = True
            res.status, res.ename, res.evalue = "failed", type(exc).__name__, str(exc)
            if isinstance(exc, TimeoutError):
                res.evalue = f"a deck took longer than {self.settings.cell_timeout:g} s"
        finally:
            path.unlink(missing_ok=True)
        res.seconds = time.perf_counter() - t0
        res.kernel_starts = self.kernel.starts - starts0
        return res

    def run(self, job: Job) -> Result:
        result = self.run_deck(job) if job.kind == "deck" else self.run_report(job)
        self.seconds_by_kind[job.kind] = self.seconds_by_kind.get(job.kind, 0.0) + result.seconds
        if job.kind == "report" and self._last_kind == "deck":  # also counted apart: does a deck slow the next report?
            self.seconds_by_kind["report after deck"] = self.seconds_by_kind.get("report after deck", 0.0) + result.seconds
        self._last_kind = job.kind
        return result

    def run_report(self, job: Job) -> Result:
        t0 = time.perf_counter()
        starts0 = self.kernel.starts
        fig_dir = Path(tempfile.mkdtemp(dir=self.tmpdir, prefix="fig-"))
        csv_path = fig_dir / f"{job.group}_figures.csv"
        params = dict(job.parameters)
        params["figures_csv"] = str(csv_path)
        res = Result(key=job.key, status="ok", worker=self.name, input_hash=job.input_hash)
        try:
            nb, error = self.execute(job, params)
            if error is None:
                from zaitaku.render.html import export_report

                html, title, n_toc = export_report(
                    self.exporter, nb, fallback_title=job.label, footer=job.footer,
                    path=str(Path(job.notebook).parent),
                )
                res.html, res.title, res.toc_entries = html, title, n_toc
                res.stderr = _stderr_text(nb)
                if csv_path.exists():
                    res.figures_csv = csv_path.read_bytes()
            else:
                ename, evalue, idx, exec_count, marked = error
                res.status, res.ename, res.evalue = "failed", ename, evalue
                if nb is not None:
                    idx = _failing_cell(nb)
                    res.cell_index = _source_index(nb, idx)
                    if exec_count is None and idx is not None and idx < len(nb.cells):
                        exec_count = nb.cells[idx].get("execution_count")
                    res.execution_count = exec_count
                    if not marked:
                        _add_error_banner(nb, idx, ename, evalue)
                    import nbformat

                    res.failed_notebook = nbformat.writes(nb)
                    res.stderr = _stderr_text(nb)
        except Exception as exc:
            res.status, res.ename, res.evalue = "failed", type(exc).__name__, str(exc)
            res.html = None
        finally:
            shutil.rmtree(fig_dir, ignore_errors=True)
        res.seconds = time.perf_counter() - t0
        res.kernel_starts = self.kernel.starts - starts0
        return res


# --------------------------------------------------------------------------------------------
# entry points: a local worker process, and a chunk function for Dask

_local = threading.local()


def _cached_worker(settings: WorkerSettings) -> Worker:
    w = getattr(_local, "worker", None)
    if w is not None and w.settings != settings:
        w.close()
        w = None
    if w is None:
        w = Worker(settings)
        w.warm_up()
        _local.worker = w
        import atexit

        atexit.register(w.close)
    return w


def render_chunk(jobs: list[Job], settings: WorkerSettings) -> list[Result]:
    """Render a chunk of jobs on this thread's warm kernel (the Dask task; picklable by name)."""
    w = _cached_worker(settings)
    return [w.run(job) for job in jobs]


def worker_main(conn, settings: WorkerSettings) -> None:
    """Body of a local worker process: receive chunks over ``conn``, send one result per report.

    Messages to the parent: ("hello", pid, tmpdir), ("start", chunk_id, key, kernel_pid),
    ("result", chunk_id, Result), ("done", chunk_id). From the parent: ("chunk", id, jobs), ("stop",).
    """
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C

    def _term(signum, frame):
        # stopped mid-report: the kernel's pending asyncio tasks are abandoned on purpose
        logging.getLogger("asyncio").setLevel(logging.CRITICAL)
        raise SystemExit(143)

    signal.signal(signal.SIGTERM, _term)
    w = Worker(settings)
    try:
        conn.send(("hello", os.getpid(), str(w.tmpdir)))
        w.warm_up()
        while True:
            msg = conn.recv()
            if msg[0] != "chunk":
                break
            _, chunk_id, jobs = msg
            for job in jobs:
                conn.send(("start", chunk_id, job.key, w.kernel.pid))
                res = w.run(job)
                conn.send(("result", chunk_id, res))
            conn.send(("done", chunk_id))
    except (EOFError, BrokenPipeError, KeyboardInterrupt):
        pass
    finally:
        w.close()


__all__ = [
    "Job",
    "Result",
    "WarmKernel",
    "Worker",
    "WorkerSettings",
    "notebook_imports",
    "render_chunk",
    "worker_main",
]

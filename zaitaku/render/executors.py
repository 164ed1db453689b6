"""Executors: run chunks of jobs on warm-kernel workers and hand each result to ``on_result``.

``run_local``: worker processes (spawned) over pipes, one warm kernel each; a worker that dies
loses only the report in flight (``WorkerLost``), the rest of its chunk is requeued and a
replacement starts. ``run_dask``: the same chunk function on a Dask distributed scheduler
(an address, or a ``LocalCluster``).
"""

from __future__ import annotations

import contextlib
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from zaitaku.render.jobs import Job, Result, WorkerSettings


class WorkerLost(RuntimeError):
    pass


@dataclass
class _WState:
    proc: Any
    conn: Any
    pid: int | None = None
    tmpdir: str = ""
    chunk: int | None = None
    left: list[Job] = field(default_factory=list)
    current: str | None = None
    kernel_pid: int | None = None
    stopping: bool = False
    hello: bool = False


def _kill_orphan_kernel(kernel_pid: int | None, tmpdir: str) -> None:
    """Kill the kernel(s) of a dead worker: processes whose connection file is in its temp folder."""
    if not tmpdir:
        return
    import psutil

    for proc in psutil.process_iter(["pid", "cmdline"]):
        try:
            if any(tmpdir in part for part in proc.info["cmdline"] or ()):
                proc.kill()
        except (psutil.Error, TypeError):  # gone already, or not ours to see
            pass


def run_local(chunks: list[list[Job]], settings: WorkerSettings, workers: int,
              on_result: Callable[[Job, Result], None]) -> None:
    """Run chunks on ``workers`` processes (spawned), one warm kernel each.

    Each worker reports every finished report at once; when a worker dies (kill -9, OOM) the
    report it was rendering fails with ``WorkerLost``, its unstarted reports go back to the queue
    and a replacement worker starts.
    """
    import multiprocessing as mp
    import shutil
    from multiprocessing.connection import wait

    from zaitaku.render.worker import worker_main

    ctx = mp.get_context("spawn")
    pending: deque[tuple[int, list[Job]]] = deque(enumerate(chunks))
    next_chunk = len(chunks)
    active: list[_WState] = []
    early_deaths = 0

    def spawn() -> None:
        parent, child = ctx.Pipe(duplex=True)
        proc = ctx.Process(target=worker_main, args=(child, settings), daemon=True, name="zaitaku-render-worker")
        proc.start()
        child.close()
        active.append(_WState(proc, parent))

    def assign(ws: _WState) -> None:
        if pending:
            ws.chunk, jobs = pending.popleft()
            ws.left = list(jobs)
            ws.conn.send(("chunk", ws.chunk, jobs))
        else:
            ws.stopping = True
            with contextlib.suppress(OSError):
                ws.conn.send(("stop",))

    def handle(ws: _WState, msg: tuple) -> None:
        kind = msg[0]
        if kind == "hello":
            ws.hello, ws.pid, ws.tmpdir = True, msg[1], msg[2]
            assign(ws)
        elif kind == "start":
            ws.current, ws.kernel_pid = msg[2], msg[3]
        elif kind == "result":
            res: Result = msg[2]
            job = next((j for j in ws.left if j.key == res.key), None)
            if job is not None:
                ws.left.remove(job)
                on_result(job, res)
            ws.current = None
        elif kind == "done":
            ws.chunk, ws.left = None, []
            assign(ws)

    def died(ws: _WState) -> None:
        nonlocal next_chunk, early_deaths
        with contextlib.suppress(Exception):
            while ws.conn.poll():
                handle(ws, ws.conn.recv())
        active.remove(ws)
        ws.proc.join(timeout=1)
        code = ws.proc.exitcode
        if ws.left:
            lost = next((j for j in ws.left if j.key == ws.current), None)
            if lost is not None:
                ws.left.remove(lost)
                on_result(lost, Result(key=lost.key, status="failed", ename="WorkerLost",
                                       evalue=f"worker process {ws.pid} exited (code {code}) while rendering",
                                       worker=f"pid {ws.pid}", input_hash=lost.input_hash))
            if ws.left:
                pending.appendleft((next_chunk, ws.left))
                next_chunk += 1
        _kill_orphan_kernel(ws.kernel_pid, ws.tmpdir)
        if ws.tmpdir:
            shutil.rmtree(ws.tmpdir, ignore_errors=True)
        if not ws.hello:
            early_deaths += 1
            if early_deaths > 3:
                raise WorkerLost(f"render workers exit right after starting (exit code {code})")
        if pending and len(active) < workers:
            spawn()

    try:
        for _ in range(min(workers, len(pending))):
            spawn()
        while active:
            ready = wait([ws.conn for ws in active] + [ws.proc.sentinel for ws in active], timeout=1.0)
            for ws in list(active):
                if ws not in active:
                    continue
                if ws.conn in ready:
                    try:
                        msg = ws.conn.recv()
                    except (EOFError, OSError):
                        died(ws)
                        continue
                    handle(ws, msg)
                elif ws.proc.sentinel in ready:
                    died(ws)
                    continue
                if ws.stopping and not ws.proc.is_alive():
                    active.remove(ws)
    finally:
        # only on an error or Ctrl-C: SIGTERM lets a worker shut its kernel down
        for ws in active:
            ws.proc.terminate()
        for ws in active:
            ws.proc.join(timeout=5)
            if ws.proc.is_alive():
                ws.proc.kill()
                ws.proc.join(timeout=1)
            _kill_orphan_kernel(ws.kernel_pid, ws.tmpdir)
            if ws.tmpdir:
                shutil.rmtree(ws.tmpdir, ignore_errors=True)


# --------------------------------------------------------------------------------------------
# execution: Dask distributed


def run_dask(chunks: list[list[Job]], settings: WorkerSettings, scheduler: Any,
             on_result: Callable[[Job, Result], None]) -> None:
    """Send each chunk to a Dask scheduler (address, or a Cluster object); collect as they finish."""
    import uuid

    from distributed import Client, as_completed

    from zaitaku.render.worker import render_chunk

    client = Client(scheduler) if not isinstance(scheduler, Client) else scheduler
    token = uuid.uuid4().hex[:8]
    try:
        futures = {
            client.submit(render_chunk, jobs, settings, key=f"zaitaku-render-{token}-{i}", pure=False): jobs
            for i, jobs in enumerate(chunks)
        }
        for fut in as_completed(futures):
            jobs = futures[fut]
            try:
                results = fut.result()
            except Exception as exc:
                results = [Result(key=j.key, status="failed", ename=type(exc).__name__, evalue=str(exc)[:500],
                                  input_hash=j.input_hash) for j in jobs]
            by_key = {r.key: r for r in results}
            for job in jobs:
                on_result(job, by_key.get(job.key) or Result(key=job.key, status="failed", ename="Missing",
                                                             evalue="no result from worker"))
            fut.release()
    finally:
        if client is not scheduler:
            client.close()




# --------------------------------------------------------------------------------------------
# execution: concurrent.futures (the well-kept alternative, measured against run_local)


def run_pool(chunks: list[list[Job]], settings: WorkerSettings, workers: int,
             on_result: Callable[[Job, Result], None]) -> None:
    """Chunks on a ``ProcessPoolExecutor`` (spawned processes, one warm kernel each).

    Results arrive per chunk, not per report; a worker that dies breaks the pool, and every chunk
    not finished yet fails with ``WorkerLost`` (run again to complete the batch).
    """
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from concurrent.futures.process import BrokenProcessPool

    from zaitaku.render.worker import render_chunk

    with ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn")) as pool:
        futures = {pool.submit(render_chunk, jobs, settings): jobs for jobs in chunks}
        for fut in as_completed(futures):
            jobs = futures[fut]
            try:
                by_key = {r.key: r for r in fut.result()}
            except BrokenProcessPool as exc:
                by_key = {j.key: Result(key=j.key, status="failed", ename="WorkerLost", evalue=str(exc)[:500],
                                        input_hash=j.input_hash) for j in jobs}
            for job in jobs:
                on_result(job, by_key.get(job.key) or Result(key=job.key, status="failed", ename="Missing",
                                                             evalue="no result from worker"))

"""One request per report: the kernel runs the notebook's code cells itself, the worker files the outputs.

nbclient sends each code cell as its own ``execute_request`` and waits for its reply and its idle
status: on a report of twenty short cells that round trip (messages, status, reply, the kernel's
dispatch, nbclient's bookkeeping) costs more CPU than the cells' own figures and sentences. Here the
worker sends one request; inside the kernel :func:`run` executes the cells one after another with
IPython's ``run_cell`` (magics, display hooks and the inline backend as usual, history on), each
under a parent header of its own (``<request id>:<cell index>:<execution count>``), so every output
the kernel publishes names its cell. The worker (:func:`execute_cells`) files the outputs under
their cells as nbclient would (``clear_output``, display ids, execution counts, papermill's cell
metadata; cells without output from the list of cells the kernel started) and the run stops at
the first error, as papermill's does.

Timeouts are per cell (from its first output, or from when the worker sees it in the list of started
cells, to the next cell); a kernel that dies or exceeds the timeout
raises nbclient's ``DeadKernelError`` / ``CellTimeoutError``, and the worker replaces the kernel.
Notebooks with top-level ``await`` cannot be run from inside a cell; :func:`can_run` sends them to
papermill's cell-by-cell engine instead.

The kernel side imports only the standard library at module level.
"""

from __future__ import annotations

import ast
import datetime as dt
import json
import time
from pathlib import Path
from typing import Any

# --------------------------------------------------------------------------------------------
# in the kernel


def run(path: str) -> None:
    """Run the cells listed in the JSON file ``path`` (``[[index, source], ...]``); stop at the first error.

    Each cell's outputs go out under a parent header of their own, ``<request id>:<index>:<count>``
    (streams flushed at every boundary), so the worker can tell the cells apart without a message
    of its own per cell. Before each cell, ``<index> <count>`` is appended to ``<path>.running``
    (a write to the page cache, which outlives the kernel): the worker learns from it which cells
    ran, including those without output, and in which cell a dying kernel stopped."""
    import os
    import sys

    ip = get_ipython()  # type: ignore[name-defined] # noqa: F821 - run inside an IPython kernel
    outer = ip.get_parent()
    cells = json.loads(Path(path).read_text(encoding="utf-8"))
    fd = os.open(running_file(path), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        for index, source in cells:
            count = ip.execution_count
            os.write(fd, f"{index} {count}\n".encode())
            sys.stdout.flush()
            sys.stderr.flush()  # the previous cell's text goes out under its own header
            ip.set_parent(dict(outer, header=dict(outer["header"], msg_id=f"{outer['header']['msg_id']}:{index}:{count}")))
            result = ip.run_cell(source, store_history=True)
            if not result.success:
                break
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        ip.set_parent(outer)
        os.close(fd)


def running_file(path: str | Path) -> Path:
    """Where :func:`run` notes the cells it starts (``<index> <count>`` per line)."""
    return Path(f"{path}.running")


def runner_code(path: str) -> str:
    return f"__import__('zaitaku.render.cells', fromlist=['run']).run({path!r})\n"


# --------------------------------------------------------------------------------------------
# in the worker


def can_run(nb: Any) -> bool:
    """False when a code cell needs the kernel's own event loop (top-level ``await``)."""
    from zaitaku.render.jobs import python_lines

    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        src = python_lines(cell.source)
        try:
            ast.parse(src)
        except SyntaxError:
            try:
                compile(src, "<cell>", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT | ast.PyCF_ONLY_AST)
            except SyntaxError:
                continue  # a plain syntax error: IPython reports it in the cell, as nbclient would
            return False
    return True


OUTPUT_FIELDS = {"execute_result": ("metadata", "data", "execution_count"), "display_data": ("metadata", "data"),
                 "stream": ("name", "text"), "error": ("ename", "evalue", "traceback")}


def _output(kind: str, content: dict) -> Any:
    """An output as ``nbformat.v4.output_from_msg`` makes it, without its JSON-schema validation of
    every output (a tenth of the worker's time on a report); the fields are the kernel's own."""
    from nbformat import NotebookNode

    out = NotebookNode(output_type=kind)
    for name in OUTPUT_FIELDS[kind]:
        out[name] = content[name]
    return out


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat()


class _Filing:
    """Outputs filed under the cell their parent header names (nbclient's rules for clear and display ids)."""

    def __init__(self, nb: Any):
        self.nb = nb
        self.cell: Any = None
        self.index: int | None = None
        self.clear_next = False
        self.display_ids: dict[str, list[Any]] = {}
        self.started = 0.0
        self.seen: set[int] = set()

    def start(self, index: int, count: int) -> None:
        if index in self.seen:  # already filed (caught up before its output came): back to it, outputs kept
            self.index, self.cell = index, self.nb.cells[index]
            return
        self.finish("completed")
        self.seen.add(index)
        self.index, self.cell = index, self.nb.cells[index]
        self.cell.execution_count = count
        self.cell.outputs = []
        self.clear_next = False
        self.started = time.monotonic()
        self.cell.metadata.setdefault("papermill", {}).update(start_time=_now(), status="running")

    def catch_up(self, started: list[tuple[int, int]]) -> None:
        """Mark the cells the kernel started that sent no output (yet): execution count, papermill
        timing; the last of them becomes the current cell (the one a timeout or a crash is in)."""
        for index, count in started:
            if index not in self.seen and 0 <= index < len(self.nb.cells):
                self.start(index, count)

    def finish(self, status: str) -> None:
        if self.cell is None:
            return
        pm = self.cell.metadata.setdefault("papermill", {})
        if pm.get("status") != "running":
            return
        pm.update(end_time=_now(), duration=round(time.monotonic() - self.started, 6), status=status,
                  exception=status == "failed")

    def add(self, msg: dict) -> None:
        kind, content = msg["msg_type"], msg["content"]
        transient = content.get("transient") or {}
        display_id = str(transient.get("display_id") or "")
        if kind == "update_display_data":
            for out in self.display_ids.get(display_id, []):
                out["data"], out["metadata"] = content.get("data", {}), content.get("metadata", {})
            return
        if self.cell is None:
            return
        if kind == "clear_output":
            if content.get("wait"):
                self.clear_next = True
            else:
                self.cell.outputs = []
            return
        if kind not in OUTPUT_FIELDS:  # not an output message
            return
        out = _output(kind, content)
        if self.clear_next:
            self.cell.outputs = []
            self.clear_next = False
        if display_id and kind in ("display_data", "execute_result"):
            self.display_ids.setdefault(display_id, []).append(out)
            for old in self.display_ids[display_id][:-1]:  # a new display with the id updates the old ones
                old["data"], old["metadata"] = out["data"], out["metadata"]
        self.cell.outputs.append(out)
        if kind == "error":
            self.finish("failed")


def _started(cells_file: Path) -> list[tuple[int, int]]:
    """The cells the kernel started, in order, with their execution counts."""
    try:
        lines = running_file(cells_file).read_text(encoding="utf-8").split("\n")
    except OSError:
        return []
    started = []
    for line in lines:
        parts = line.split()
        if len(parts) == 2 and all(p.isdigit() for p in parts):
            started.append((int(parts[0]), int(parts[1])))
    return started


async def _execute(nb: Any, km: Any, kc: Any, cells_file: Path, timeout: float | None) -> None:
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    code = [c for c in nb.cells if c.cell_type == "code"]
    for cell in code:  # as papermill leaves a notebook before its run
        cell.outputs, cell.execution_count = [], None
        cell.metadata["papermill"] = {"exception": None, "start_time": None, "end_time": None,
                                      "duration": None, "status": "pending"}
    todo = [[i, c.source] for i, c in enumerate(nb.cells) if c.cell_type == "code" and c.source.strip()]
    cells_file.write_text(json.dumps(todo, ensure_ascii=False), encoding="utf-8")
    running_file(cells_file).write_bytes(b"")  # no cells from an earlier report
    filing = _Filing(nb)
    msg_id = kc.execute(runner_code(str(cells_file)), silent=True, store_history=False, allow_stdin=False)
    prefix = f"{msg_id}:"
    began = time.monotonic()
    idle = False
    while not idle:
        since = filing.started if filing.cell is not None else began
        if timeout is not None and time.monotonic() - since > timeout:
            filing.catch_up(_started(cells_file))
            raise CellTimeoutError(f"A cell timed out while it was being executed, after {timeout} seconds.")
        try:
            msg = await kc.get_iopub_msg(timeout=1.0)
        except Exception:  # queue.Empty: a second without output
            if not await km.is_alive():
                filing.catch_up(_started(cells_file))
                raise DeadKernelError("Kernel died") from None
            filing.catch_up(_started(cells_file))  # a cell without output is running: its timeout starts now
            continue
        parent = msg.get("parent_header", {}).get("msg_id", "")
        kind, content = msg["msg_type"], msg["content"]
        if parent == msg_id:
            if kind == "status":
                idle = content.get("execution_state") == "idle"
            elif kind == "error":  # the runner itself failed (zaitaku missing in the kernel?)
                raise RuntimeError(f"{content.get('ename')}: {content.get('evalue')}")
        elif parent.startswith(prefix):
            index, count = (int(x) for x in parent[len(prefix):].split(":"))
            if index != filing.index:
                filing.catch_up([(i, c) for i, c in _started(cells_file) if i < index])
                filing.start(index, count)
            filing.add(msg)
    filing.catch_up(_started(cells_file))
    while True:  # the request's reply (sent before the idle status): read it, so no stale reply is left
        reply = await kc.get_shell_msg(timeout=max(30.0, timeout or 0))
        if reply.get("parent_header", {}).get("msg_id") == msg_id:
            break
    filing.finish("completed")


def execute_cells(nb: Any, *, km: Any, kc: Any, cells_file: Path, timeout: float | None) -> Any:
    """Run ``nb``'s code cells on the kernel in one request (see the module docstring); ``nb`` gets
    the outputs, execution counts and papermill's cell metadata, and is returned."""
    from jupyter_core.utils import run_sync

    nb.metadata.setdefault("papermill", {})["start_time"] = _now()
    run_sync(_execute)(nb, km, kc, cells_file, timeout)
    nb.metadata.papermill["end_time"] = _now()
    return nb

"""Render the reports: notebooks × municipalities to self-contained HTML, with index pages.

``zaitaku render`` executes each question-group notebook once per municipality (and once per
prefecture in prefecture mode) on warm kernels (parameters injected by papermill, the cells sent in
one request: :mod:`.cells`), converts it to HTML without code, and writes::

    reports/<year>/index.html                                   searchable list of municipalities
    reports/<year>/implementation_timing.html                   the ministry's roll-out tables
    reports/<year>/manifest.json                                input hash of every report (resume)
    reports/<year>/failures.csv                                 reports whose notebook raised
    reports/<year>/<pref_code>_<prefecture>/index.html
    reports/<year>/<pref_code>_<prefecture>/<code>_<name>/{index.html, <group>.html, <group>_figures.csv}
    reports/<year>/<pref_code>_<prefecture>/<code>_<name>/failed/<group>.ipynb
    reports/<year>/<pref_code>_<prefecture>/prefecture/<group>.html        (prefecture mode)

This module is the orchestration; the parts are :mod:`.scope` (what to render), :mod:`.fingerprint`
(input hashes), :mod:`.plan`, :mod:`.manifest`, :mod:`.results`, :mod:`.site` (index pages),
:mod:`.executors` (local processes, Dask), :mod:`.worker` / :mod:`.kernel` / :mod:`.kernel_reset` /
:mod:`.cells` (warm kernels), :mod:`.timing`, :mod:`.decks` and :mod:`.command` (the command line).

Only this process writes into the reports folder (each file atomically), so a worker killed
mid-batch loses only the report it was rendering; re-running completes the batch. A report whose
inputs did not change since its last successful render is skipped unless ``force``. While it
runs, the batch holds ``reports/<year>/.render.lock`` (one batch per folder) and a shared lock on
``<data_dir>/.zaitaku.lock`` (``zaitaku ingest`` cannot replace the data underneath it).

The workers' kernels share the charts they draw through a temporary folder the batch creates and
removes (:mod:`zaitaku.report.charts.cache`): a distinct chart is drawn once per batch, not once per
worker. Dask workers on other machines do not see the folder and draw their own.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zaitaku.paths import PROCESSED_DATA_DIR, REPORTS_DIR, SHARED_CHARTS_ENV
from zaitaku.render.data import check_data, data_lock, is_synthetic, problem_counts
from zaitaku.render.executors import run_dask, run_local, run_pool
from zaitaku.render.fingerprint import InputHasher, data_fingerprint
from zaitaku.render.manifest import Manifest
from zaitaku.render.opendata import write_batch_opendata
from zaitaku.render.plan import Planned, auto_chunk_size, chunked, kernel_cwd, plan
from zaitaku.render.results import apply_result, write_failures
from zaitaku.render.scope import Scope, check_year
from zaitaku.render.site import build_indexes
from zaitaku.render.timing import render_timing_report
from zaitaku.render.worker import Job, Result, WorkerSettings, notebook_imports

__all__ = ["BatchSummary", "RenderError", "Scope", "data_fingerprint", "print_summary", "render_batch",
           "render_timing_report"]

# the temp files zaitaku.files.atomic writes beside what the renderer writes
_TEMP_FILE = re.compile(r"\..+\.(html|csv|ipynb|json|md5|pptx|xlsx)\.[0-9a-f]{12}\.tmp")


class RenderError(RuntimeError):
    """An expected stop (lock held, data unreadable); the message is for staff."""


@dataclass
class BatchSummary:
    out_year: Path
    index: Path | None
    total: int
    rendered: int
    skipped: int
    failed: list[tuple[Job, Result]]
    seconds: float
    reasons: dict[str, int]
    timing: Path | None = None
    decks: list[Path] | None = None
    opendata: list[Path] | None = None  # open-data workbooks written (zaitaku.render.opendata)
    accessibility: tuple[Path | None, int] | None = None  # (accessibility.json or None if not run, violations)
    opendata_failed: list[str] | None = None  # workbooks (prefecture names, 全国) that could not be written

    @property
    def ok(self) -> bool:
        return not self.failed and not self.opendata_failed


def available_cpus() -> int:
    """CPUs this process may use (respects affinity / container CPU sets)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


@contextlib.contextmanager
def batch_lock(out_year: Path) -> Iterator[None]:
    """One batch per reports/<year> at a time (the manifest has a single writer).

    The file is opened without truncating it, and the PID written only once the lock is held,
    so a render that loses the race leaves the winner's PID in place.
    """
    out_year.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock
        yield
        return
    fd = os.open(out_year / ".render.lock", os.O_RDWR | os.O_CREAT, 0o666)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip()
            raise RenderError(f"別の zaitaku render（PID {holder or '不明'}）が {out_year} に書き込み中です。"
                              "終わってからもう一度実行してください") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)


def sweep_temp_files(out_year: Path) -> int:
    """Remove temp files of atomic writes that a killed batch left in ``out_year`` (we hold the lock).

    Only names of the form the renderer's own writes use; symbolic links are not followed.
    """
    n = 0
    for root, _dirs, files in os.walk(out_year, followlinks=False):
        for name in files:
            if _TEMP_FILE.fullmatch(name):
                with contextlib.suppress(OSError):
                    (Path(root) / name).unlink()
                    n += 1
    return n


def render_batch(scopes: Sequence[Scope], *, notebooks: Mapping[str, Path], survey_year: str = "R3",
                 out: Path = REPORTS_DIR, data_dir: Path = PROCESSED_DATA_DIR, national: str = "auto",
                 workers: int | None = None, scheduler: Any = None, force: bool = False,
                 cell_timeout: float | None = 300.0, chunk_size: int | None = None, kernel_name: str = "python3",
                 params: Mapping[str, Any] | None = None,
                 params_for: Callable[[Scope, str], Mapping[str, Any]] | None = None,
                 progress: bool | None = None, dry_run: bool = False, stream=None,
                 timing_notebooks: Path | None = None, formats: Sequence[str] = ("html",),
                 executor: str = "local", deck_closing: Path | None = None,
                 check_accessibility: bool = False) -> BatchSummary:
    """Render ``notebooks`` for every scope into ``out/<survey_year>``; see the module docstring.

    ``timing_notebooks``: folder holding ``implementation_timing.ipynb`` (rendered once, inside the
    lock). ``formats``: ``html`` and/or ``pptx`` (slide decks, built in the workers: :mod:`.decks`;
    ``deck_closing``: the decks' closing-page template, as ``zaitaku deck --closing``).
    ``executor``: ``local`` (worker processes over pipes, the default) or ``pool``
    (``concurrent.futures``); ``scheduler`` sends the work to Dask instead. ``check_accessibility``:
    axe-core over one page of every kind, recorded in ``accessibility.json`` (:mod:`.accessibility`).
    """
    stream = stream or sys.stdout
    t0 = time.perf_counter()
    out_root = Path(out).resolve()
    out_year = (out_root / check_year(survey_year)).resolve()
    if not out_year.is_relative_to(out_root):
        raise RenderError(f"出力先 {out_year} が {out_root} の外です")
    workers = max(1, workers or available_cpus())
    data_dir = Path(data_dir)
    imports = list(dict.fromkeys(m for p in notebooks.values() for m in notebook_imports(p)))
    with batch_lock(out_year), data_lock(data_dir, stream=stream):
        uses_zaitaku = any(m == "zaitaku" or m.startswith("zaitaku.") for m in imports)
        if uses_zaitaku:
            check_data(data_dir, survey_year)  # before the first report: one message, not one failure per report
        hasher = InputHasher(notebooks, data_dir, survey_year)
        manifest = Manifest(out_year / "manifest.json", survey_year)
        planned = plan(scopes, notebooks, survey_year=survey_year, data_dir=data_dir, national=national,
                       manifest=manifest, out_year=out_year, hasher=hasher, force=force, params=params,
                       params_for=params_for)
        if "pptx" in formats:
            from zaitaku.render.decks import plan_decks

            planned = plan_decks(planned, survey_year=survey_year, data_dir=data_dir, national=national,
                                 manifest=manifest, out_year=out_year, force=force, closing=deck_closing)
        todo = [p for p in planned if p.reason]
        reasons: dict[str, int] = {}
        for p in todo:
            reasons[p.reason] = reasons.get(p.reason, 0) + 1
        why = "、".join(f"{reason_text(r)} {n}" for r, n in sorted(reasons.items(), key=lambda x: -x[1]))
        n_decks = sum(1 for p in planned if p.job.kind == "deck")
        what = f"報告書 {len(planned) - n_decks} 件" + (f"・スライド資料 {n_decks} 件" if n_decks else "")
        print(f"zaitaku render: {what}のうち、作るもの {len(todo)} 件" + (f"（{why}）" if why else "")
              + f"、最新のもの {len(planned) - len(todo)} 件", file=stream)
        if dry_run:
            for p in todo:
                print(f"  {p.job.key}: {reason_text(p.reason)}", file=stream)
            return BatchSummary(out_year, None, len(planned), 0, len(planned) - len(todo), [], 0.0, reasons)
        sweep_temp_files(out_year)
        chart_dir = tempfile.mkdtemp(prefix="zaitaku-charts-")  # the kernels share their drawings here
        settings = WorkerSettings(
            kernel_name=kernel_name,
            cell_timeout=cell_timeout if cell_timeout and cell_timeout > 0 else None,
            kernel_cwd=str(kernel_cwd(notebooks)),
            preload=tuple(imports),
            data_dir=str(data_dir.resolve()) if uses_zaitaku else "",
            env=((SHARED_CHARTS_ENV, chart_dir),),
        )
        failed: list[tuple[Job, Result]] = []
        try:
            rendered = _execute(todo, settings, manifest, out_year, failed, workers=workers, scheduler=scheduler,
                                chunk_size=chunk_size, progress=progress, stream=stream,
                                executor=executor, chart_dir=Path(chart_dir)) if todo else 0
        finally:
            shutil.rmtree(chart_dir, ignore_errors=True)
        write_failures(out_year, manifest)
        timing = None
        if timing_notebooks is not None:
            timing = render_timing_report(timing_notebooks, out_year, force=force, kernel_name=kernel_name,
                                          cell_timeout=settings.cell_timeout)
        decks = None
        if "pptx" in formats:
            decks = [out_year / p.job.key for p in todo
                     if p.job.kind == "deck" and manifest.reports.get(p.job.key, {}).get("status") == "ok"]
        opendata, opendata_failed = write_batch_opendata(scopes, out_year, data_dir, national, force=force,
                                                         stream=stream) if uses_zaitaku else ([], [])
        index = build_indexes(out_year, manifest, survey_year, synthetic=is_synthetic(data_dir, survey_year),
                              problems=problem_counts(data_dir, survey_year))
        accessibility = None
        if check_accessibility:
            accessibility = _check_accessibility(out_year, stream)
            index = build_indexes(out_year, manifest, survey_year, synthetic=is_synthetic(data_dir, survey_year),
                                  problems=problem_counts(data_dir, survey_year))  # now linking the record
        manifest.save()
    return BatchSummary(out_year, index, len(planned), rendered, len(planned) - len(todo), failed,
                        time.perf_counter() - t0, reasons, timing, decks, opendata, accessibility, opendata_failed)


def _check_accessibility(out_year: Path, stream) -> tuple[Path | None, int]:
    """Run the accessibility check; a check that cannot run is reported, not raised (-1 violations)."""
    from zaitaku.render.accessibility import AccessibilityCheckError, check_batch

    try:
        return check_batch(out_year)
    except AccessibilityCheckError as exc:
        print(f"zaitaku render: アクセシビリティの検査ができませんでした: {exc}", file=stream)
        return None, -1


def _execute(todo: list[Planned], settings: WorkerSettings, manifest: Manifest, out_year: Path,
             failed: list[tuple[Job, Result]], *, workers: int, scheduler: Any, chunk_size: int | None,
             progress: bool | None, stream, executor: str = "local", chart_dir: Path | None = None) -> int:
    """Render ``todo``; each result is written and recorded as it arrives. Returns how many succeeded.

    ``chart_dir``: the kernels' shared charts, kept to the newest :data:`SHARED_CHARTS_KEPT` as the
    batch goes (charts are not shared across prefectures: each carries its prefecture's bar)."""
    by_key = {p.job.key: p for p in todo}
    size = chunk_size or auto_chunk_size(len({p.scope for p in todo}), workers)
    chunks = chunked(todo, size)
    rendered = 0
    bar = Progress(len(todo), progress)

    def on_result(job: Job, res: Result) -> None:
        nonlocal rendered
        apply_result(out_year, manifest, by_key[job.key], res)
        manifest.save(every=1.0)
        if chart_dir is not None and (rendered + len(failed)) % 256 == 255:
            prune_charts(chart_dir, SHARED_CHARTS_KEPT)
        if res.status == "ok":
            rendered += 1
        else:
            failed.append((job, res))
        bar.update(failed=len(failed))

    try:
        if scheduler:
            print(f"zaitaku render: {len(chunks)} まとまりを Dask のスケジューラ {scheduler} に送ります", file=stream)
            run_dask(chunks, settings, scheduler, on_result)
        else:
            run = run_pool if executor == "pool" else run_local
            run(chunks, settings, min(workers, len(chunks)), on_result)
    finally:
        bar.close()
        manifest.save()
        write_failures(out_year, manifest)
    return rendered


class Progress:
    """The batch's progress on stderr: one tqdm bar on a terminal, plain lines in a log (a line every
    10 % or every minute, whichever comes first, and at the end); nothing with ``enabled=False``.
    ``enabled=None`` means on (a bar only where stderr is a terminal)."""

    def __init__(self, total: int, enabled: bool | None, stream: Any = None, every: float = 60.0) -> None:
        self.total, self.done, self.failed = total, 0, 0
        self.stream = stream or sys.stderr
        self.enabled = enabled is not False and total > 0
        self.every = every
        self.t0 = self.last = time.monotonic()
        self.step = max(1, -(-total // 10))
        self.bar = None
        if self.enabled and self.stream.isatty():
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="件", desc="作成", dynamic_ncols=True, file=self.stream)

    def update(self, failed: int = 0) -> None:
        self.done += 1
        if failed != self.failed and self.bar is not None:
            self.bar.set_postfix_str(f"失敗 {failed} 件", refresh=False)
        self.failed = failed
        if self.bar is not None:
            self.bar.update(1)
        elif self.enabled:
            now = time.monotonic()
            if self.done == self.total or self.done % self.step == 0 or now - self.last >= self.every:
                self.last = now
                print(f"zaitaku render: {self.done}/{self.total} 件（失敗 {self.failed} 件、{now - self.t0:.0f} 秒）",
                      file=self.stream, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


SHARED_CHARTS_KEPT = 4096  # ~27 MB of SVG: more than one prefecture's distinct charts


def prune_charts(folder: Path, keep: int) -> int:
    """Delete all but the ``keep`` newest ``*.svg`` in ``folder``; how many were deleted."""
    files = []
    for entry in os.scandir(folder):
        if entry.name.endswith(".svg"):
            with contextlib.suppress(OSError):
                files.append((entry.stat().st_mtime_ns, entry.path))
    files.sort(reverse=True)
    n = 0
    for _, path in files[keep:]:
        with contextlib.suppress(OSError):
            Path(path).unlink()
            n += 1
    return n


def print_summary(summary: BatchSummary, stream=None, errors=None) -> None:
    """Counts and the index path to ``stream``; the failed reports and decks to ``errors`` (stderr)."""
    stream = stream or sys.stdout
    errors = errors or sys.stderr
    print(f"zaitaku render: 作成 {summary.rendered} 件、最新のため省略 {summary.skipped} 件、"
          f"失敗 {len(summary.failed)} 件（{summary.seconds:.1f} 秒）", file=stream)
    if summary.failed:
        print("失敗した報告書・スライド資料（報告書は実行したノートブックを failed/ に残しています）:", file=errors)
        for job, res in summary.failed:
            cell = "" if res.cell_index is None else f"［セル {res.cell_index}］"
            evalue = " ".join(res.evalue.split())
            evalue = evalue if len(evalue) <= 100 else evalue[:97] + "..."
            print(f"  {job.key}{cell}: {res.ename}: {evalue}", file=errors)
        print(f"一覧: {summary.out_year / 'failures.csv'}", file=errors)
    if summary.timing:
        print(f"実施時期の報告書（厚生労働省の表）: {summary.timing}", file=stream)
    for path in summary.opendata or []:
        print(f"集計表（オープンデータ）: {path}", file=stream)
    if summary.accessibility and summary.accessibility[0]:
        record, violations = summary.accessibility
        print(f"アクセシビリティ検査（axe-core）: 違反 {violations} 件 {record}", file=stream)
    if summary.index:
        print(summary.index, file=stream)


_REASONS = {"new": "新規", "forced": "--force", "failed before": "前回失敗", "HTML missing": "ファイルなし",
            "manifest rebuilt": "記録を作り直し", "changed": "入力が変更"}
_PARTS = {"data": "データ", "notebook": "ノートブック", "package": "zaitaku", "parameters": "パラメータ",
          "template": "テンプレート", "environment": "実行環境", "reports": "報告書", "closing": "結びのテンプレート"}


def reason_text(reason: str) -> str:
    """Why an item is rendered (:meth:`Manifest.reason`'s English key), for staff."""
    if reason in _REASONS:
        return _REASONS[reason]
    if reason.endswith(" changed"):
        parts = reason[: -len(" changed")].split(", ")
        return "・".join(_PARTS.get(p, p) for p in parts) + "が変更"
    return reason

"""The ministry's implementation-timing report: one per batch (``<year>/implementation_timing.html``).

Rendered on the batch's kernel (``--kernel``, IPC transport) while the batch holds its lock, and
again only when the notebook or the timing tables change (their md5 is kept beside it).
"""

from __future__ import annotations

from pathlib import Path

from zaitaku.files.atomic import md5_file, write_bytes, write_text
from zaitaku.render.fingerprint import md5_bytes
from zaitaku.render.results import figures_path
from zaitaku.render.worker import Job, Worker, WorkerSettings, notebook_imports

TIMING_NOTEBOOK = "implementation_timing"
TIMING_TITLE = "在宅医療・介護連携推進事業 実施（予定）時期"


class TimingReportError(RuntimeError):
    pass


def render_timing_report(notebooks_dir: Path, out_year: Path, *, force: bool = False,
                         kernel_name: str = "python3", cell_timeout: float | None = 300.0) -> Path | None:
    """Write ``<out_year>/implementation_timing.html`` if its inputs changed; its path (None: no notebook)."""
    from zaitaku.paths import REFERENCE_DIR

    nb_path = (Path(notebooks_dir) / f"{TIMING_NOTEBOOK}.ipynb").resolve()
    if not nb_path.is_file():
        return None
    inputs = [nb_path, *sorted((REFERENCE_DIR / "timing").glob("*.csv"))]
    digest = md5_bytes("".join(md5_file(p) for p in inputs).encode())
    target, stamp = out_year / f"{TIMING_NOTEBOOK}.html", out_year / f".{TIMING_NOTEBOOK}.md5"
    figures = figures_path(out_year, target.name)  # the report links its charts' figures there
    if (not force and target.is_file() and figures.is_file() and stamp.is_file()
            and stamp.read_text() == digest):
        return target
    settings = WorkerSettings(kernel_name=kernel_name, cell_timeout=cell_timeout, kernel_cwd=str(nb_path.parent),
                              preload=tuple(notebook_imports(nb_path)))
    job = Job(key=f"{TIMING_NOTEBOOK}.html", group=TIMING_NOTEBOOK, notebook=str(nb_path), parameters={},
              code="", name="", pref_code="", prefecture="", title=TIMING_TITLE,
              footer=(("ノートブック", f"{nb_path.name} ({digest[:12]})"),))
    worker = Worker(settings)
    try:
        res = worker.run(job)
    finally:
        worker.close()
    if res.status != "ok" or res.html is None:
        raise TimingReportError(f"実施時期のレポート（{nb_path.name}）の作成に失敗しました: {res.ename}: {res.evalue}")
    if res.figures_csv is not None:
        write_bytes(figures, res.figures_csv)
    else:
        figures.unlink(missing_ok=True)
    write_text(target, res.html)
    write_text(stamp, digest)
    return target

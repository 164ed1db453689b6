"""Writing what workers send back (parent process only): report HTML, figures CSV, failed
notebooks, manifest entries, and ``failures.csv``."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import pandas as pd

from zaitaku.files.atomic import write_bytes, write_csv, write_text
from zaitaku.render.jobs import Result
from zaitaku.render.manifest import Manifest, now
from zaitaku.render.plan import Planned

FAILURE_COLUMNS = ("report", "municipality_code", "name", "prefecture", "group", "ename", "evalue",
                   "cell_index", "execution_count", "failed_notebook", "rendered_at")


def inside(out_year: Path, key: str) -> Path:
    """``out_year / key``, refused when it would leave ``out_year``."""
    path = (out_year / key).resolve()
    if not path.is_relative_to(out_year.resolve()):
        raise ValueError(f"出力先 {key!r} が {out_year} の外を指しています")
    return path


def failed_path(out_year: Path, key: str) -> Path:
    html = inside(out_year, key)
    return html.parent / "failed" / f"{html.stem}.ipynb"


def figures_path(out_year: Path, key: str) -> Path:
    html = inside(out_year, key)
    return html.with_name(f"{html.stem}_figures.csv")


def apply_result(out_year: Path, manifest: Manifest, item: Planned, res: Result) -> None:
    """Write one report's files and record it in the manifest."""
    job = item.job
    html_path = inside(out_year, job.key)
    fpath = failed_path(out_year, job.key)
    entry: dict[str, Any] = {
        "status": res.status,
        "hash": job.input_hash,
        "parts": item.parts,
        "group": job.group,
        "pref_code": job.pref_code,
        "prefecture": job.prefecture,
        "code": job.code,
        "name": job.name,
        "kana": item.scope.kana,
        "rendered_at": now(),
        "seconds": round(res.seconds, 3),
        "worker": res.worker,
    }
    if job.kind == "deck":
        entry["kind"] = "deck"
    if res.status == "ok" and job.kind == "deck" and res.content is not None:
        write_bytes(html_path, res.content)
        entry.update(bytes=len(res.content))
    elif res.status == "ok" and res.html is not None:
        data = res.html.encode("utf-8")
        write_bytes(html_path, data)
        csv_path = figures_path(out_year, job.key)
        if res.figures_csv is not None:
            write_bytes(csv_path, res.figures_csv)
        else:
            csv_path.unlink(missing_ok=True)
        fpath.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            fpath.parent.rmdir()
        entry.update(title=res.title, bytes=len(data), toc=res.toc_entries,
                     figures_csv=res.figures_csv is not None, warnings=res.stderr[:200])
    else:
        entry["status"] = "failed"
        if res.failed_notebook is not None:
            write_text(fpath, res.failed_notebook)
            entry["failed_notebook"] = fpath.relative_to(out_year.resolve()).as_posix()
        entry["error"] = {"ename": res.ename, "evalue": res.evalue[:2000], "cell_index": res.cell_index,
                          "execution_count": res.execution_count}
    manifest.set(job.key, entry)


def failure_rows(manifest: Manifest) -> list[dict[str, Any]]:
    rows = []
    for key, e in sorted(manifest.reports.items()):
        if e.get("status") == "failed":
            err = e.get("error", {})
            rows.append({
                "report": key, "municipality_code": e.get("code", ""), "name": e.get("name", ""),
                "prefecture": e.get("prefecture", ""), "group": e.get("group", ""),
                "ename": err.get("ename", ""), "evalue": err.get("evalue", ""),
                "cell_index": "" if err.get("cell_index") is None else err["cell_index"],
                "execution_count": "" if err.get("execution_count") is None else err["execution_count"],
                "failed_notebook": e.get("failed_notebook", ""), "rendered_at": e.get("rendered_at", ""),
            })
    return rows


def write_failures(out_year: Path, manifest: Manifest) -> Path | None:
    """``failures.csv`` (UTF-8 with BOM, formulas written as text): every report whose last render failed."""
    path = out_year / "failures.csv"
    rows = failure_rows(manifest)
    if not rows:
        path.unlink(missing_ok=True)
        return None
    write_csv(pd.DataFrame(rows, columns=list(FAILURE_COLUMNS), dtype=object), path, excel=True)
    return path

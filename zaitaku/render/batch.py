"""Render the reports: notebooks × municipalities to self-contained HTML, with index pages.

``zaitaku render`` executes each question-group notebook once per municipality (and once per
prefecture in prefecture mode) with papermill on warm kernels, converts it to HTML without code,
and writes::

    reports/<year>/index.html                                   searchable list of municipalities
    reports/<year>/manifest.json                                input hash of every report (resume)
    reports/<year>/failures.csv                                 reports whose notebook raised
    reports/<year>/<pref_code>_<prefecture>/index.html
    reports/<year>/<pref_code>_<prefecture>/<code>_<name>/{index.html, <group>.html, <group>_figures.csv}
    reports/<year>/<pref_code>_<prefecture>/<code>_<name>/failed/<group>.ipynb
    reports/<year>/<pref_code>_<prefecture>/prefecture/<group>.html        (prefecture mode)

Work is split into chunks of municipalities; each worker process keeps one kernel warm across
its chunks (``--workers``, default one per core), or the same chunk function runs on an existing
Dask distributed scheduler (``--scheduler tcp://host:8786``; workers need the package, the
notebooks and ``--data-dir`` at the same paths, and send the HTML back to this process).

Only this process writes into the reports folder (each file atomically), so a worker killed
mid-batch loses only the report it was rendering; re-running completes the batch. A report whose
inputs (notebook, parameters, processed data, package, template) did not change since its last
successful render is skipped unless ``--force``.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import csv
import datetime as dt
import hashlib
import io
import json
import os
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from zaitaku.files.atomic import md5_file, write_bytes, write_text
from zaitaku.paths import NOTEBOOKS_DIR, PACKAGE_DIR, PROCESSED_DATA_DIR, PROJ_ROOT, REPORTS_DIR
from zaitaku.render.worker import Job, Result, WorkerSettings, notebook_imports

DEFAULT_GROUPS = ("partnerships", "pdca_indicators", "four_scenes", "prefectural_support")
DEFAULT_PREFECTURE = "島根県"
MANIFEST_FORMAT = 1
PREFECTURE_DIR = "prefecture"


# --------------------------------------------------------------------------------------------
# what to render


@dataclass(frozen=True, order=True)
class Scope:
    """A municipality, or a whole prefecture (``code == ""``, prefecture mode)."""

    pref_code: str
    prefecture: str
    code: str = ""
    name: str = ""
    kana: str = ""

    @property
    def is_prefecture(self) -> bool:
        return not self.code

    @property
    def pref_dir(self) -> str:
        return f"{self.pref_code}_{_safe(self.prefecture)}"

    @property
    def dir(self) -> str:
        return PREFECTURE_DIR if self.is_prefecture else f"{self.code}_{_safe(self.name)}"

    @property
    def rel_dir(self) -> str:
        return f"{self.pref_dir}/{self.dir}"

    def sort_key(self) -> tuple:
        return (self.pref_code, self.is_prefecture, self.code)


def _safe(name: str) -> str:
    bad = '/\\:*?"<>|'
    return "".join("_" if (c in bad or c.isspace()) else c for c in str(name)) or "_"


def scopes_from_registry(prefectures: Sequence[str] = (), municipalities: Sequence[str] = (),
                         all_: bool = False, prefecture_mode: bool = True) -> list[Scope]:
    """Resolve the CLI selection with :mod:`zaitaku.reference.municipalities` (default: the demo prefecture)."""
    from zaitaku.reference import municipalities as reg

    registry = reg.load_registry()
    pref_codes: list[str] = []
    if all_:
        pref_codes += sorted(registry["pref_code"].astype(str).unique())
    pref_codes += [reg.normalize_prefecture(p) for p in prefectures]
    if not pref_codes and not municipalities:
        pref_codes.append(reg.normalize_prefecture(DEFAULT_PREFECTURE))
    scopes: list[Scope] = []
    for pc in dict.fromkeys(pref_codes):
        pname = reg.prefecture_name(pc)
        for row in reg.municipalities_in(pc).itertuples(index=False):
            scopes.append(Scope(pc, pname, str(row.code), str(row.name), str(getattr(row, "kana", "") or "")))
        if prefecture_mode:
            scopes.append(Scope(pc, pname))
    if municipalities:
        by_code = registry.set_index("code")
        for value in municipalities:
            code = reg.resolve(value)
            row = by_code.loc[code]
            scopes.append(Scope(str(row["pref_code"]), str(row["prefecture"]), code, str(row["name"]),
                                str(row.get("kana", "") or "")))
    return sorted(dict.fromkeys(scopes), key=Scope.sort_key)


def find_notebooks(groups: Sequence[str] | None, notebooks_dir: Path) -> dict[str, Path]:
    """group -> notebook path (``<notebooks_dir>/<group>.ipynb``)."""
    notebooks_dir = Path(notebooks_dir)
    groups = list(groups or DEFAULT_GROUPS)
    out: dict[str, Path] = {}
    missing = []
    for g in groups:
        p = notebooks_dir / f"{g}.ipynb"
        if p.is_file():
            out[g] = p.resolve()
        else:
            missing.append(g)
    if missing:
        have = ", ".join(sorted(p.stem for p in notebooks_dir.glob("*.ipynb"))) or "none"
        raise SystemExit(f"zaitaku render: no notebook for group(s) {', '.join(missing)} in {notebooks_dir} (found: {have})")
    return out


# --------------------------------------------------------------------------------------------
# input hashes


def _md5_bytes(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def data_fingerprint(data_dir: Path) -> str:
    """md5 over the processed data files (relative name + content md5), README and dot-files excluded."""
    data_dir = Path(data_dir)
    h = hashlib.md5()
    if data_dir.is_dir():
        for p in sorted(data_dir.rglob("*")):
            rel = p.relative_to(data_dir)
            if not p.is_file() or any(part.startswith(".") for part in rel.parts) or p.name.lower().startswith("readme"):
                continue
            h.update(f"{rel.as_posix()}\0{_content_md5(p)}\n".encode())
    return h.hexdigest()


def _content_md5(path: Path) -> str:
    """md5 of a data file; ``ingest_meta.json`` without its ``created`` time, so re-ingesting the
    same raw files does not re-render every report."""
    if path.name == "ingest_meta.json":
        meta = json.loads(path.read_text(encoding="utf-8"))
        meta.pop("created", None)
        return _md5_bytes(json.dumps(meta, sort_keys=True, ensure_ascii=False).encode())
    return md5_file(path)


def _package_modules(imports: Iterable[str]) -> set[Path]:
    """Source files of the zaitaku modules reachable from the notebooks' imports."""
    root = PACKAGE_DIR.parent
    todo = deque(m for m in imports if m == "zaitaku" or m.startswith("zaitaku."))
    seen: set[str] = set()
    files: set[Path] = set()
    while todo:
        mod = todo.popleft()
        if mod in seen:
            continue
        seen.add(mod)
        parts = mod.split(".")
        todo.extend(".".join(parts[:i]) for i in range(1, len(parts)))  # parent packages' __init__
        base = root.joinpath(*parts)
        for cand in (base.with_suffix(".py"), base / "__init__.py"):
            if cand.is_file():
                files.add(cand)
                try:
                    tree = ast.parse(cand.read_text(encoding="utf-8"))
                except SyntaxError:
                    break
                pkg = mod if cand.name == "__init__.py" else ".".join(parts[:-1])
                for node in ast.walk(tree):
                    if isinstance(node, ast.Import):
                        todo.extend(a.name for a in node.names if a.name.startswith("zaitaku"))
                    elif isinstance(node, ast.ImportFrom):
                        if node.level:
                            anchor = pkg.split(".")[: len(pkg.split(".")) - (node.level - 1)]
                            target = ".".join(anchor + ([node.module] if node.module else []))
                        else:
                            target = node.module or ""
                        if target.startswith("zaitaku"):
                            todo.append(target)
                            todo.extend(f"{target}.{a.name}" for a in node.names)
                break
    return files


class InputHasher:
    """Hash parts of a report's inputs; a report re-renders when any part changes."""

    def __init__(self, notebooks: Mapping[str, Path], data_dir: Path, survey_year: str):
        from importlib.metadata import PackageNotFoundError, version

        import zaitaku

        self.notebook_md5 = {g: md5_file(p) for g, p in notebooks.items()}
        self.data = data_fingerprint(data_dir)
        imports: list[str] = []
        for p in notebooks.values():
            imports += notebook_imports(p)
        self.imports = list(dict.fromkeys(imports))
        h = hashlib.md5(f"zaitaku {zaitaku.__version__}\n".encode())
        data_files = sorted(p for p in PACKAGE_DIR.rglob("*") if p.suffix in {".yaml", ".csv"})
        for f in sorted(_package_modules(self.imports)) + [f for f in data_files if f.is_file()]:
            h.update(f"{f.relative_to(PACKAGE_DIR).as_posix()}\0{md5_file(f)}\n".encode())
        self.package = h.hexdigest()
        from zaitaku.render import html as render_html

        t = hashlib.md5(render_html.HTML_FORMAT.encode())
        for f in sorted(render_html.TEMPLATES_DIR.rglob("*")) + [Path(render_html.__file__)]:
            if f.is_file():
                t.update(f"{f.name}\0{md5_file(f)}\n".encode())
        self.template = t.hexdigest()
        env = [f"python {sys.version_info[0]}.{sys.version_info[1]}"]
        for dist in ("matplotlib", "pandas", "numpy", "seaborn", "nbconvert", "papermill", "matplotlib-fontja"):
            try:
                env.append(f"{dist} {version(dist)}")
            except PackageNotFoundError:
                pass
        self.environment = _md5_bytes("\n".join(env).encode())
        self.survey_year = survey_year

    def parts(self, group: str, parameters: Mapping[str, Any]) -> dict[str, str]:
        # paths are not inputs (moving the project must not re-render); their contents are
        params = {k: v for k, v in parameters.items() if k not in ("data_dir", "figures_csv")}
        return {
            "notebook": self.notebook_md5[group],
            "parameters": _md5_bytes(json.dumps(params, sort_keys=True, ensure_ascii=False).encode()),
            "data": self.data,
            "package": self.package,
            "template": self.template,
            "environment": self.environment,
        }

    @staticmethod
    def combine(parts: Mapping[str, str]) -> str:
        return hashlib.sha256(json.dumps(dict(parts), sort_keys=True).encode()).hexdigest()


def codebook_version(survey_year: str) -> str:
    try:
        from zaitaku.reference.codebook import load_codebook

        return load_codebook(survey_year).version
    except Exception:  # noqa: BLE001
        return "–"


def group_labels(survey_year: str) -> dict[str, str]:
    try:
        from zaitaku.reference.codebook import load_codebook

        return dict(load_codebook(survey_year).groups)
    except Exception:  # noqa: BLE001
        return {}


# --------------------------------------------------------------------------------------------
# planning


@dataclass
class Planned:
    job: Job
    scope: Scope
    parts: dict[str, str]
    reason: str  # "" = up to date


def plan(scopes: Sequence[Scope], notebooks: Mapping[str, Path], *, survey_year: str, data_dir: Path,
         national: str, manifest: Manifest, out_year: Path, hasher: InputHasher,
         force: bool = False, params: Mapping[str, Any] | None = None,
         params_for: Callable[[Scope, str], Mapping[str, Any]] | None = None) -> list[Planned]:
    from zaitaku import __version__

    data_dir = Path(data_dir).resolve()
    cwd = kernel_cwd(notebooks)
    # as the notebooks name it when opened in JupyterLab (e.g. "../data/processed"); absolute elsewhere
    data_param = os.path.relpath(data_dir, cwd) if data_dir.is_relative_to(PROJ_ROOT) and cwd.is_relative_to(PROJ_ROOT) else str(data_dir)
    cb_version = codebook_version(survey_year)
    planned: list[Planned] = []
    for scope in scopes:
        for group, nb_path in notebooks.items():
            p = {
                "municipality_code": scope.code,
                "prefecture": scope.pref_code if scope.is_prefecture else "",
                "survey_year": survey_year,
                "data_dir": data_param,
                "national": national,
            }
            p.update(params or {})
            if params_for is not None:
                p.update(params_for(scope, group) or {})
            parts = hasher.parts(group, p)
            ihash = InputHasher.combine(parts)
            key = f"{scope.rel_dir}/{group}.html"
            who = f"{scope.code} {scope.name}" if scope.code else f"{scope.prefecture}（都道府県全体）"
            footer = (
                ("調査年度", survey_year),
                ("対象", who),
                ("全国値", national),
                ("データ", parts["data"][:12]),
                ("コードブック", cb_version),
                ("zaitaku", __version__),
                ("ノートブック", f"{nb_path.name} ({parts['notebook'][:12]})"),
                ("入力ハッシュ", ihash[:16]),
            )
            job = Job(key=key, group=group, notebook=str(nb_path), parameters=p, code=scope.code,
                      name=scope.name, pref_code=scope.pref_code, prefecture=scope.prefecture,
                      input_hash=ihash, footer=footer)
            reason = "forced" if force else manifest.reason(key, ihash, parts, out_year)
            planned.append(Planned(job, scope, parts, reason))
    return planned


def kernel_cwd(notebooks: Mapping[str, Path]) -> Path:
    """Kernels start in the notebooks' folder, as JupyterLab runs them (relative paths agree)."""
    parents = {Path(p).resolve().parent for p in notebooks.values()}
    return parents.pop() if len(parents) == 1 else PROJ_ROOT


def chunked(planned: Sequence[Planned], chunk_size: int) -> list[list[Job]]:
    """Chunks of whole scopes (all groups of a municipality stay together)."""
    by_scope: dict[Scope, list[Job]] = {}
    for p in planned:
        by_scope.setdefault(p.scope, []).append(p.job)
    scopes = list(by_scope)
    return [
        [j for s in scopes[i: i + chunk_size] for j in by_scope[s]]
        for i in range(0, len(scopes), max(1, chunk_size))
    ]


def auto_chunk_size(n_scopes: int, workers: int) -> int:
    """About four chunks per worker (load balance), at most 8 municipalities each."""
    return max(1, min(8, -(-n_scopes // max(1, workers * 4))))


# --------------------------------------------------------------------------------------------
# manifest


class Manifest:
    """``manifest.json``: per report its input hash and status. Written only by the parent."""

    def __init__(self, path: Path, survey_year: str):
        self.path = Path(path)
        self.survey_year = survey_year
        self.reports: dict[str, dict[str, Any]] = {}
        self._dirty = False
        self._last_save = 0.0
        self._cost = 0.0
        if self.path.exists():
            try:
                data = json.loads(self.path.read_text(encoding="utf-8"))
                self.reports = dict(data.get("reports", {}))
            except (OSError, ValueError) as exc:
                backup = self.path.with_name(f"manifest.corrupt-{int(time.time())}.json")
                os.replace(self.path, backup)
                print(f"zaitaku render: {self.path} unreadable ({exc}); moved to {backup.name}, re-rendering",
                      file=sys.stderr)

    def reason(self, key: str, ihash: str, parts: Mapping[str, str], out_year: Path) -> str:
        entry = self.reports.get(key)
        if entry is None:
            return "new"
        if entry.get("status") != "ok":
            return "failed before"
        if not (out_year / key).is_file():
            return "HTML missing"
        if entry.get("hash") == ihash:
            return ""
        old = entry.get("parts", {})
        changed = [k for k in parts if old.get(k) != parts[k]]
        return (", ".join(changed) + " changed") if changed else "changed"

    def set(self, key: str, entry: dict[str, Any]) -> None:
        self.reports[key] = entry
        self._dirty = True

    def save(self, *, every: float = 0.0) -> None:
        """Write atomically; with ``every``, at most that often (and at most ~5% of the time)."""
        if not self._dirty or time.monotonic() - self._last_save < max(every, 20 * self._cost):
            return
        t0 = time.perf_counter()
        head = json.dumps({"format": MANIFEST_FORMAT, "survey_year": self.survey_year, "updated": _now()},
                          ensure_ascii=False)
        lines = ",\n".join(
            f" {json.dumps(k, ensure_ascii=False)}: {json.dumps(v, ensure_ascii=False, separators=(',', ':'))}"
            for k, v in sorted(self.reports.items())
        )  # one line per report: readable, diffable, quick to write
        write_text(self.path, f'{head[:-1]}, "reports": {{\n{lines}\n}}}}\n')
        self._dirty = False
        self._last_save = time.monotonic()
        self._cost = time.perf_counter() - t0


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).astimezone().isoformat(timespec="seconds")


# --------------------------------------------------------------------------------------------
# writing results (parent only)


def failed_path(out_year: Path, key: str) -> Path:
    html = out_year / key
    return html.parent / "failed" / f"{html.stem}.ipynb"


def figures_path(out_year: Path, key: str) -> Path:
    html = out_year / key
    return html.with_name(f"{html.stem}_figures.csv")


def apply_result(out_year: Path, manifest: Manifest, item: Planned, res: Result) -> None:
    job = item.job
    html_path = out_year / job.key
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
        "rendered_at": _now(),
        "seconds": round(res.seconds, 3),
        "worker": res.worker,
    }
    if res.status == "ok" and res.html is not None:
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
            entry["failed_notebook"] = fpath.relative_to(out_year).as_posix()
        entry["error"] = {"ename": res.ename, "evalue": res.evalue[:2000], "cell_index": res.cell_index,
                          "execution_count": res.execution_count}
    manifest.set(job.key, entry)


FAILURE_COLUMNS = ("report", "municipality_code", "name", "prefecture", "group", "ename", "evalue",
                   "cell_index", "execution_count", "failed_notebook", "rendered_at")


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
    """``failures.csv`` (UTF-8 with BOM for Excel): every report whose last render failed."""
    path = out_year / "failures.csv"
    rows = failure_rows(manifest)
    if not rows:
        path.unlink(missing_ok=True)
        return None
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(FAILURE_COLUMNS), lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    write_bytes(path, buf.getvalue().encode("utf-8-sig"))
    return path


# --------------------------------------------------------------------------------------------
# index pages


def _write_if_changed(path: Path, text: str) -> None:
    data = text.encode("utf-8")
    try:
        if path.read_bytes() == data:
            return
    except OSError:
        pass
    write_bytes(path, data)


def build_indexes(out_year: Path, manifest: Manifest, survey_year: str) -> Path:
    """Top, prefecture and municipality index pages from the manifest (all reports of the year)."""
    from zaitaku.render import html as rh

    labels = group_labels(survey_year)
    scopes: dict[Scope, dict[str, tuple[str, dict]]] = {}
    seen_groups: list[str] = []
    for key, e in manifest.reports.items():
        scope = Scope(e.get("pref_code", ""), e.get("prefecture", ""), e.get("code", ""), e.get("name", ""),
                      e.get("kana", ""))
        scopes.setdefault(scope, {})[e.get("group", "")] = (key, e)
        if e.get("group") and e.get("group") not in seen_groups:
            seen_groups.append(e["group"])
    groups = [g for g in DEFAULT_GROUPS if g in seen_groups] + sorted(g for g in seen_groups if g not in DEFAULT_GROUPS)

    def links(scope: Scope, page_dir: Path) -> list[rh.ReportLink]:
        out = []
        for g, (key, e) in scopes[scope].items():
            html_path = out_year / key
            href = rh.relative_href(html_path, page_dir) if html_path.is_file() else None
            status = e.get("status", "ok") if href or e.get("status") == "failed" else "missing"
            out.append(rh.ReportLink(g, href, status, e.get("title", "")))
        return out

    ordered = sorted(scopes, key=Scope.sort_key)
    top_rows, pref_rows = [], {}
    prefs: dict[str, str] = {}
    for scope in ordered:
        prefs.setdefault(scope.pref_code, scope.prefecture)
        sdir = out_year / scope.pref_dir / scope.dir
        # municipality page
        mrow = rh.IndexRow(scope.pref_code, scope.prefecture, scope.code, scope.name, scope.kana,
                           href=None, links=links(scope, sdir))
        _write_if_changed(
            sdir / "index.html",
            rh.municipality_index_html(survey_year, mrow, groups, labels,
                                       rh.relative_href(out_year / "index.html", sdir),
                                       rh.relative_href(out_year / scope.pref_dir / "index.html", sdir)),
        )
        top_rows.append(rh.IndexRow(scope.pref_code, scope.prefecture, scope.code, scope.name, scope.kana,
                                    href=rh.relative_href(sdir / "index.html", out_year), links=links(scope, out_year)))
        pdir = out_year / scope.pref_dir
        pref_rows.setdefault(scope.pref_code, []).append(
            rh.IndexRow(scope.pref_code, scope.prefecture, scope.code, scope.name, scope.kana,
                        href=rh.relative_href(sdir / "index.html", pdir), links=links(scope, pdir)))
    pref_list = []
    for pc, pname in sorted(prefs.items()):
        pscope = Scope(pc, pname)
        pdir = out_year / pscope.pref_dir
        _write_if_changed(
            pdir / "index.html",
            rh.prefecture_index_html(survey_year, pc, pname, pref_rows[pc], groups, labels,
                                     rh.relative_href(out_year / "index.html", pdir)),
        )
        pref_list.append((pc, pname, rh.relative_href(pdir / "index.html", out_year)))
    top = out_year / "index.html"
    _write_if_changed(top, rh.top_index_html(survey_year, top_rows, groups, labels, pref_list))
    return top


# --------------------------------------------------------------------------------------------
# execution: local processes


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
            except Exception as exc:  # noqa: BLE001 - e.g. KilledWorker: the chunk fails, the batch goes on
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
# the batch


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

    @property
    def ok(self) -> bool:
        return not self.failed


def available_cpus() -> int:
    """CPUs this process may use (respects affinity / container CPU sets)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


@contextlib.contextmanager
def batch_lock(out_year: Path) -> Iterator[None]:
    """One batch per reports/<year> at a time (the manifest has a single writer)."""
    out_year.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock
        yield
        return
    fh = open(out_year / ".render.lock", "w")
    try:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise SystemExit(f"zaitaku render: another render is writing {out_year}") from None
        fh.write(str(os.getpid()))
        fh.flush()
        yield
    finally:
        fh.close()


def _sweep_temp_files(out_year: Path) -> None:
    """Temp files of atomic writes interrupted by a killed batch (we hold the lock)."""
    for p in out_year.rglob(".*.tmp"):
        with contextlib.suppress(OSError):
            p.unlink()


def render_batch(scopes: Sequence[Scope], *, notebooks: Mapping[str, Path], survey_year: str = "R3",
                 out: Path = REPORTS_DIR, data_dir: Path = PROCESSED_DATA_DIR, national: str = "computed",
                 workers: int | None = None, scheduler: Any = None, force: bool = False,
                 cell_timeout: float | None = 300.0, chunk_size: int | None = None, kernel_name: str = "python3",
                 params: Mapping[str, Any] | None = None,
                 params_for: Callable[[Scope, str], Mapping[str, Any]] | None = None,
                 progress: bool | None = None, dry_run: bool = False, stream=None) -> BatchSummary:
    """Render ``notebooks`` for every scope into ``out/<survey_year>``; see the module docstring."""
    stream = stream or sys.stdout
    t0 = time.perf_counter()
    out_year = Path(out).resolve() / survey_year
    workers = max(1, workers or available_cpus())
    with batch_lock(out_year):
        _sweep_temp_files(out_year)
        manifest = Manifest(out_year / "manifest.json", survey_year)
        hasher = InputHasher(notebooks, Path(data_dir), survey_year)
        planned = plan(scopes, notebooks, survey_year=survey_year, data_dir=Path(data_dir), national=national,
                       manifest=manifest, out_year=out_year, hasher=hasher, force=force, params=params,
                       params_for=params_for)
        todo = [p for p in planned if p.reason]
        reasons: dict[str, int] = {}
        for p in todo:
            reasons[p.reason] = reasons.get(p.reason, 0) + 1
        why = "; ".join(f"{n} {r}" for r, n in sorted(reasons.items(), key=lambda x: -x[1]))
        print(f"zaitaku render: {len(planned)} reports, {len(todo)} to render"
              + (f" ({why})" if why else "") + f", {len(planned) - len(todo)} up to date", file=stream)
        failed: list[tuple[Job, Result]] = []
        if dry_run:
            for p in todo:
                print(f"  {p.job.key}: {p.reason}", file=stream)
            return BatchSummary(out_year, None, len(planned), 0, len(planned) - len(todo), [], 0.0, reasons)
        by_key = {p.job.key: p for p in todo}
        rendered = 0
        if todo:
            n_scopes = len({p.scope for p in todo})
            size = chunk_size or auto_chunk_size(n_scopes, workers)
            chunks = chunked(todo, size)
            settings = WorkerSettings(
                kernel_name=kernel_name,
                cell_timeout=cell_timeout if cell_timeout and cell_timeout > 0 else None,
                kernel_cwd=str(kernel_cwd(notebooks)),
                preload=tuple(hasher.imports),
            )
            from tqdm import tqdm

            bar = tqdm(total=len(todo), unit="report", desc="render", dynamic_ncols=True,
                       disable=(None if progress is None else not progress), file=sys.stderr)

            def on_result(job: Job, res: Result) -> None:
                nonlocal rendered
                apply_result(out_year, manifest, by_key[job.key], res)
                manifest.save(every=1.0)
                if res.status == "ok":
                    rendered += 1
                else:
                    failed.append((job, res))
                    bar.set_postfix(failed=len(failed), refresh=False)
                bar.update(1)

            try:
                if scheduler:
                    print(f"zaitaku render: {len(chunks)} chunks to the Dask scheduler {scheduler}", file=stream)
                    run_dask(chunks, settings, scheduler, on_result)
                else:
                    run_local(chunks, settings, min(workers, len(chunks)), on_result)
            finally:
                bar.close()
                manifest.save()
                write_failures(out_year, manifest)
        else:
            write_failures(out_year, manifest)
        index = build_indexes(out_year, manifest, survey_year)
        manifest.save()
    return BatchSummary(out_year, index, len(planned), rendered, len(planned) - len(todo), failed,
                        time.perf_counter() - t0, reasons)


def print_summary(summary: BatchSummary, stream=None) -> None:
    stream = stream or sys.stdout
    print(f"zaitaku render: {summary.rendered} rendered, {summary.skipped} up to date, "
          f"{len(summary.failed)} failed in {summary.seconds:.1f} s", file=stream)
    if summary.failed:
        print("failed reports (the executed notebooks are kept under failed/):", file=stream)
        for job, res in summary.failed:
            cell = "" if res.cell_index is None else f" [cell {res.cell_index}]"
            evalue = " ".join(res.evalue.split())
            evalue = evalue if len(evalue) <= 100 else evalue[:97] + "..."
            print(f"  {job.key}{cell}: {res.ename}: {evalue}", file=stream)
        print(f"see {summary.out_year / 'failures.csv'}", file=stream)
    if summary.index:
        print(summary.index, file=stream)


# --------------------------------------------------------------------------------------------
# CLI


def _param(text: str) -> tuple[str, Any]:
    key, sep, value = text.partition("=")
    if not sep or not key.isidentifier():
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    try:
        return key, json.loads(value)
    except ValueError:
        return key, value


def configure_parser(parser: argparse.ArgumentParser) -> None:
    sel = parser.add_argument_group("selection (default: the demo prefecture 島根県)")
    sel.add_argument("--prefecture", action="extend", nargs="+", default=[], metavar="PREF",
                     help="prefecture name or 2-digit code: all its municipalities and the prefecture-mode reports")
    sel.add_argument("--municipality", action="extend", nargs="+", default=[], metavar="CODE",
                     help="municipality code (or name) to render")
    sel.add_argument("--all", action="store_true", help="every municipality and prefecture")
    sel.add_argument("--no-prefecture-mode", action="store_true",
                     help="skip the prefecture-mode reports of the selected prefectures")
    sel.add_argument("--groups", default=",".join(DEFAULT_GROUPS),
                     help="comma-separated question groups (notebooks/<group>.ipynb); default: all four")
    parser.add_argument("--year", default="R3", help="survey year (default R3)")
    parser.add_argument("--workers", type=int, default=None, help="local worker processes (default: one per core)")
    parser.add_argument("--scheduler", default=None, metavar="ADDRESS",
                        help="run on an existing Dask distributed scheduler, e.g. tcp://host:8786")
    parser.add_argument("--out", type=Path, default=REPORTS_DIR, help="reports folder (default reports/)")
    parser.add_argument("--data-dir", type=Path, default=PROCESSED_DATA_DIR, help="processed data (default data/processed)")
    parser.add_argument("--national", choices=("computed", "published"), default="computed",
                        help="national figures: computed from the data or the published ones")
    parser.add_argument("--notebooks", type=Path, default=NOTEBOOKS_DIR, help="notebooks folder (default notebooks/)")
    parser.add_argument("--force", action="store_true", help="re-render reports whose inputs did not change")
    parser.add_argument("--cell-timeout", type=float, default=300.0, metavar="S",
                        help="seconds a single cell may run (default 300; 0 = no limit)")
    parser.add_argument("--chunk-size", type=int, default=None, metavar="N",
                        help="municipalities per chunk (default: about four chunks per worker, at most 8)")
    parser.add_argument("--kernel", default="python3", help="Jupyter kernel name (default python3)")
    parser.add_argument("-p", "--param", type=_param, action="append", default=[], metavar="NAME=VALUE",
                        help="extra notebook parameter for every report (VALUE parsed as JSON if it can be)")
    parser.add_argument("--dry-run", action="store_true", help="list what would be rendered and why")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    groups = [g.strip() for g in args.groups.split(",") if g.strip()]
    notebooks = find_notebooks(groups, args.notebooks)
    data_dir = Path(args.data_dir)
    if not data_dir.is_dir() or not any(
        p.is_file() and not p.name.startswith(".") and not p.name.lower().startswith("readme")
        for p in data_dir.iterdir()
    ):
        print(f"zaitaku render: no processed data in {data_dir}; run `zaitaku ingest` (or `make demo`) "
              "or pass --data-dir", file=sys.stderr)
        return 2
    try:
        scopes = scopes_from_registry(args.prefecture, args.municipality, args.all,
                                      prefecture_mode=not args.no_prefecture_mode)
    except (KeyError, ValueError, LookupError) as exc:
        print(f"zaitaku render: {exc}", file=sys.stderr)
        return 2
    try:
        summary = render_batch(
            scopes, notebooks=notebooks, survey_year=args.year, out=args.out, data_dir=args.data_dir,
            national=args.national, workers=args.workers, scheduler=args.scheduler, force=args.force,
            cell_timeout=args.cell_timeout, chunk_size=args.chunk_size, kernel_name=args.kernel,
            params=dict(args.param), progress=False if args.quiet else None, dry_run=args.dry_run,
        )
    except KeyboardInterrupt:
        print("zaitaku render: interrupted; finished reports are recorded, run again to continue",
              file=sys.stderr)
        return 130
    if not args.dry_run:
        print_summary(summary)
        timing = render_timing_report(Path(args.notebooks), summary.out_year, force=args.force)
        if timing:
            print(f"implementation timing (ministry tables): {timing}")
    return 0 if summary.ok else 1


TIMING_NOTEBOOK = "implementation_timing"


def render_timing_report(notebooks_dir: Path, out_year: Path, *, force: bool = False) -> Path | None:
    """The ministry's implementation-timing report (one per batch, not per municipality).

    Written to ``<out_year>/implementation_timing.html``; re-rendered only when the notebook or the
    timing tables change (their md5 is kept beside it) or with ``force``.
    """
    import nbformat
    import papermill as pm

    from zaitaku.paths import REFERENCE_DIR
    from zaitaku.render.html import export_report, make_exporter

    nb_path = Path(notebooks_dir) / f"{TIMING_NOTEBOOK}.ipynb"
    if not nb_path.is_file():
        return None
    inputs = [nb_path, *sorted((REFERENCE_DIR / "timing").glob("*.csv"))]
    digest = _md5_bytes("".join(md5_file(p) for p in inputs).encode())
    target, stamp = out_year / f"{TIMING_NOTEBOOK}.html", out_year / f".{TIMING_NOTEBOOK}.md5"
    if not force and target.is_file() and stamp.is_file() and stamp.read_text() == digest:
        return target
    executed = pm.execute_notebook(str(nb_path), None, kernel_name="python3", progress_bar=False,
                                   cwd=str(nb_path.parent))
    html, _, _ = export_report(make_exporter(), nbformat.from_dict(executed),
                               fallback_title="在宅医療・介護連携推進事業 実施（予定）時期",
                               footer=(("ノートブック", f"{nb_path.name} ({digest[:12]})"),),
                               path=str(nb_path.parent))
    write_text(target, html)
    write_text(stamp, digest)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="zaitaku render", description=__doc__.splitlines()[0])
    configure_parser(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())

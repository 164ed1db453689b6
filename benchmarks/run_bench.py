"""Benchmark: ways of turning notebooks × municipalities into HTML reports, side by side.

    python -m benchmarks.run_bench                 # the four report notebooks × 5 島根県 municipalities
    python -m benchmarks.run_bench --quick         # the toy test notebook × 8 municipalities (no data needed)
    python -m benchmarks.run_bench --notebook notebooks/partnerships.ipynb --municipalities 322016,322024

Modes (each runs in its own Python process, timed from outside, one after the other):

a  naive: ``papermill`` CLI then ``jupyter nbconvert --to html --no-input`` CLI, per report
b  papermill Python API, a fresh kernel per report, + nbconvert HTMLExporter API
c  ploomber-engine in-process (``papermill.execute_notebook(..., engine_name="embedded")``) + nbconvert API
d1 ``zaitaku render`` with 1 worker      d2  with 2 workers (warm kernels, slim template)
d2pool  ``zaitaku render`` with 2 workers on ``concurrent.futures`` instead of its pipe protocol
d2dask  ``zaitaku render`` with 2 workers of a Dask ``LocalCluster``
e  floor: the notebooks' code cells exec'd in one Python process, parameters set, charts to memory
   (imports done first; long-lived objects frozen out of the garbage collector after the imports
   and after each report, as zaitaku's kernels do)

Prints wall times, ratios against (a) and against (e), median and largest report size, peak memory
per worker (worker process + its kernel, from ``ru_maxrss``), the share of charts drawn from the
chart cache (the kernels' counters: their own drawings and the batch's shared folder), and two
extrapolations to the national batch (1,741 municipalities × 4 groups + 47 prefectures × 4): linear
from this run, and from whole sample prefectures of different size rendered with 2 workers
(``--sample-prefectures``, default 鳥取県 19, 高知県 34 and 長野県 77 municipalities; time = fixed +
per report, fitted through them). The floor runs the same sample prefectures with the parameters
the renderer gives them, in one process (``e:``) and in two processes taking the reports one at a
time from a shared queue and sharing their charts through a folder, as render's two workers do
(``e2:``). Render and floor are compared per report with each side's start-up left out, measured
inside the processes (``after_startup_vs_floor``: CPU after the imports and the data load, plus
the render parent's whole CPU), and, as before, with start-up fitted out across the samples
(``per_report_cpu_vs_floor``).
Writes ``benchmarks/results/<date>.json``. Timings only: nothing here asserts on them.

``--national`` (``make bench-national``, not in CI) renders all 7,152 reports with 2 workers and
writes the measured time to ``benchmarks/results/<date>-national.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import io
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
RESULTS_DIR = PROJECT / "benchmarks" / "results"
TOY = PROJECT / "tests" / "fixtures" / "toy_report.ipynb"
REAL_GROUPS = ("partnerships", "pdca_indicators", "four_scenes", "prefectural_support")
DEFAULT_MUNICIPALITIES = ("322016", "322024", "322032", "322041", "322059")  # 松江 浜田 出雲 益田 大田
QUICK_MUNICIPALITIES = (*DEFAULT_MUNICIPALITIES, "322067", "322075", "322091")  # + 安来 江津 雲南
NATIONAL_REPORTS = 1741 * 4 + 47 * 4
MODES = {
    "a": "papermill CLI + nbconvert CLI per report",
    "b": "papermill API, fresh kernel per report + nbconvert API",
    "c": "ploomber-engine in-process (embedded) + nbconvert API",
    "d1": "zaitaku render, 1 worker",
    "d2": "zaitaku render, 2 workers",
    "d2pool": "zaitaku render, 2 workers on concurrent.futures",
    "d2dask": "zaitaku render, 2 workers of a Dask LocalCluster",
    "e": "floor: code cells exec'd in one process",
}


# --------------------------------------------------------------------------------------------
# the selection


def build_spec(args) -> dict:
    if args.notebook:
        notebooks = [Path(p).resolve() for p in args.notebook]
    elif args.quick:
        notebooks = [TOY]
    else:
        notebooks = [PROJECT / "notebooks" / f"{g}.ipynb" for g in REAL_GROUPS]
    missing = [str(p) for p in notebooks if not p.is_file()]
    if missing:
        sys.exit(f"run_bench: notebook(s) not found: {', '.join(missing)}")
    default = QUICK_MUNICIPALITIES if (args.quick or all(p == TOY for p in notebooks)) else DEFAULT_MUNICIPALITIES
    codes = [c.strip() for c in (args.municipalities or ",".join(default)).split(",") if c.strip()]
    if args.n_municipalities:
        codes = codes[: args.n_municipalities]
    data_dir = Path(args.data_dir).resolve() if args.data_dir else None
    if data_dir is None:
        if args.quick or all(p == TOY for p in notebooks):
            data_dir = Path(tempfile.mkdtemp(prefix="bench-data-"))
            (data_dir / "dummy.csv").write_text("a\n1\n", encoding="utf-8")
        else:
            data_dir = PROJECT / "data" / "processed"
    if not any(data_dir.glob("*.parquet")) and not (args.quick or all(p == TOY for p in notebooks)):
        sys.exit(f"run_bench: no processed data in {data_dir}; run `make demo` (or zaitaku demo + ingest) "
                 "or pass --data-dir")
    names = {}
    with contextlib.suppress(Exception):
        from zaitaku.reference import municipalities as reg

        names = {c: (str(reg.municipality(c)["name"])) for c in codes}
    reports = []
    for code in codes:
        for nb in notebooks:
            reports.append({
                "notebook": str(nb),
                "group": nb.stem,
                "code": code,
                "name": names.get(code, code),
                "parameters": {
                    "municipality_code": code, "prefecture": "", "survey_year": "R3",
                    "data_dir": str(data_dir), "national": "computed",
                },
            })
    return {"reports": reports, "codes": codes, "notebooks": [str(p) for p in notebooks],
            "data_dir": str(data_dir), "cell_timeout": args.cell_timeout}


# --------------------------------------------------------------------------------------------
# the modes (each runs in a child process: ``--run MODE --spec FILE --out DIR``)


def _html_exporter():
    from nbconvert import HTMLExporter

    return HTMLExporter(exclude_input=True)  # nbconvert's own lab template, as --no-input gives


def run_a(spec: dict, out: Path) -> None:
    bindir = Path(sys.executable).parent
    papermill = str(bindir / "papermill")
    jupyter = str(bindir / "jupyter")
    for i, r in enumerate(spec["reports"]):
        nb_out = out / f"{i:03d}_{r['group']}.ipynb"
        params = dict(r["parameters"], figures_csv=str(out / f"{i:03d}_{r['group']}_figures.csv"))
        cmd = [papermill, r["notebook"], str(nb_out), "-k", "python3", "--cwd", str(Path(r["notebook"]).parent)]
        for k, v in params.items():
            cmd += ["-r", k, str(v)]
        subprocess.run(cmd, check=True, capture_output=True)
        subprocess.run([jupyter, "nbconvert", "--to", "html", "--no-input", str(nb_out), "--output-dir", str(out)],
                       check=True, capture_output=True)


def run_b(spec: dict, out: Path, engine: str | None = None) -> None:
    import logging

    import nbformat
    import papermill as pm

    logging.getLogger("papermill").setLevel(logging.ERROR)
    exporter = _html_exporter()
    for i, r in enumerate(spec["reports"]):
        params = dict(r["parameters"], figures_csv=str(out / f"{i:03d}_{r['group']}_figures.csv"))
        kw = {"engine_name": engine} if engine else {"kernel_name": "python3"}
        nb = pm.execute_notebook(r["notebook"], None, parameters=params, progress_bar=False,
                                 cwd=str(Path(r["notebook"]).parent), **kw)
        nb = nbformat.from_dict(nb)
        body, _ = exporter.from_notebook_node(nb)
        (out / f"{i:03d}_{r['group']}.html").write_text(body, encoding="utf-8")


def run_c(spec: dict, out: Path) -> None:
    run_b(spec, out, engine="embedded")


def _scopes(spec: dict, prefecture: str = "") -> list:
    from zaitaku.render.scope import Scope, scopes_from_registry

    if prefecture:
        return scopes_from_registry([prefecture])
    scopes = []
    with contextlib.suppress(Exception):
        from zaitaku.reference import municipalities as reg

        for code in spec["codes"]:
            row = reg.municipality(code)
            scopes.append(Scope(str(row["pref_code"]), str(row["prefecture"]), code, str(row["name"])))
    return scopes or [Scope(code[:2], code[:2], code, code) for code in spec["codes"]]


def prefecture_reports(spec: dict, prefecture: str, work: Path) -> list[dict]:
    """Every report ``zaitaku render --prefecture`` makes (municipalities and the prefecture), with the
    parameters its plan gives them, for the floor to run the same work."""
    from zaitaku.render.fingerprint import InputHasher
    from zaitaku.render.manifest import Manifest
    from zaitaku.render.plan import plan

    notebooks = {Path(p).stem: Path(p) for p in spec["notebooks"]}
    data_dir = Path(spec["data_dir"])
    planned = plan(_scopes(spec, prefecture), notebooks, survey_year="R3", data_dir=data_dir, national="auto",
                   manifest=Manifest(work / "plan-manifest.json", "R3"), out_year=work, force=True,
                   hasher=InputHasher(notebooks, data_dir, "R3"))
    return [{"notebook": p.job.notebook, "group": p.job.group, "code": p.job.code, "name": p.job.name,
             "parameters": dict(p.job.parameters)} for p in planned]


def run_d(spec: dict, out: Path, workers: int, executor: str = "local", prefecture: str = "",
          scopes: list | None = None, formats: tuple[str, ...] = ("html",)) -> None:
    """``zaitaku render`` (``render_batch``), its workers writing their statistics to ``out/stats``."""
    from zaitaku.render.batch import render_batch
    from zaitaku.render.worker import STATS_ENV

    os.environ[STATS_ENV] = str(out / "stats")
    notebooks = {Path(p).stem: Path(p) for p in spec["notebooks"]}
    kw = {}
    cluster = None
    if executor == "dask":
        from distributed import LocalCluster

        cluster = LocalCluster(n_workers=workers, processes=True, threads_per_worker=1, dashboard_address=None)
        kw["scheduler"] = cluster.scheduler_address
    cpu0 = time.process_time()
    try:
        summary = render_batch(scopes if scopes is not None else _scopes(spec, prefecture), notebooks=notebooks,
                               out=out / "reports", data_dir=Path(spec["data_dir"]), workers=workers, force=True,
                               progress=False, cell_timeout=spec["cell_timeout"], stream=io.StringIO(),
                               executor="pool" if executor == "pool" else "local", formats=formats, **kw)
    finally:
        if cluster is not None:
            cluster.close()
    (out / "reports.txt").write_text(str(summary.total), encoding="utf-8")
    (out / "parent_cpu.json").write_text(json.dumps({"cpu_seconds_during_batch": time.process_time() - cpu0}),
                                         encoding="utf-8")
    decks = sorted((out / "reports").rglob("*.pptx"))
    (out / "decks.txt").write_text(str(len(decks)), encoding="utf-8")
    if summary.failed:
        raise SystemExit(f"{len(summary.failed)} report(s) failed: {summary.failed[0][1].ename}")


def run_e(spec: dict, out: Path, queue=None, tag: str = "", finished=None) -> None:
    """No kernel, no papermill, no nbconvert: the code cells exec'd with the parameters set.

    With ``queue``: the reports whose indexes it hands out (``None`` ends), as one of several floor
    processes (:func:`run_e2`); ``tag`` names this process's files. With ``finished`` as well: the index
    of each report put there when it is finished (``"ready"`` first, after the start-up), so that
    a caller can interleave the floor with render report by report (``bench_steady``)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import nbformat

    charts: list[bytes] = []

    def show(*args, **kwargs):  # charts rendered to memory, as the inline backend would
        for num in plt.get_fignums():
            buf = io.BytesIO()
            plt.figure(num).savefig(buf, format="png")
            charts.append(buf.getvalue())
        plt.close("all")

    plt.show = show
    import importlib

    from zaitaku.render.jobs import python_lines
    from zaitaku.render.worker import notebook_imports

    for p in spec["notebooks"]:  # imports first, then a reference state to restore after each report
        for mod in notebook_imports(p):
            with contextlib.suppress(Exception):
                importlib.import_module(mod)
    rc0 = matplotlib.rcParams.copy()
    import gc

    from zaitaku.analysis import processed

    data_dirs = {Path(r["notebook"]).parent / r["parameters"]["data_dir"]  # relative to the notebook's folder
                 for r in spec["reports"] if r["parameters"].get("data_dir")}
    for d in data_dirs:  # as zaitaku render's kernels load it at setup: every survey year (reports show trends)
        processed.load_years(str(d.resolve()))
    loaded = processed.loaded_count()
    gc.collect()
    gc.freeze()  # as zaitaku render's kernels do after their imports: the floor gets the same GC
    sources = {}
    for p in spec["notebooks"]:
        nb = nbformat.read(p, as_version=4)
        cells = [c for c in nb.cells if c.cell_type == "code"]
        sources[p] = [compile(python_lines(c.source),
                              f"{Path(p).stem}[{i}]", "exec") for i, c in enumerate(cells)]
    ready = time.process_time()  # start-up done: imports, data, notebooks compiled
    if finished is not None:
        finished.put("ready")
    cwd = Path.cwd()

    def reports():
        if queue is None:
            yield from enumerate(spec["reports"])
            return
        while (i := queue.get()) is not None:
            yield i, spec["reports"][i]

    done = 0
    per_report = []  # [group, code, CPU seconds] in the order run
    for i, r in reports():
        done += 1
        cpu0 = time.process_time()
        ns = {"__name__": "__main__"}
        os.chdir(Path(r["notebook"]).parent)
        codes = sources[r["notebook"]]
        exec(codes[0], ns)  # the parameters cell
        ns.update(r["parameters"], figures_csv=str(out / f"{i:03d}_{r['group']}_figures.csv"))
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            for code in codes[1:]:
                exec(code, ns)
            show()
        os.chdir(cwd)
        if "zaitaku.report.charts.cache" in sys.modules:
            stats = sys.modules["zaitaku.report.charts.cache"].chart_cache_stats()
            (out / f"chart_cache{tag}.json").write_text(json.dumps(stats), encoding="utf-8")
        plt.close("all")
        matplotlib.rcParams.update(rc0)
        del ns
        gc.collect()
        gc.freeze()
        per_report.append([r["group"], r["code"], time.process_time() - cpu0])
        if finished is not None:
            finished.put(i)
    (out / f"charts{tag}.txt").write_text(str(len(charts)), encoding="utf-8")
    if queue is None:
        (out / "reports.txt").write_text(str(done), encoding="utf-8")
    if processed.loaded_count() != loaded:  # the preload missed: the floor's reports loaded the data again
        raise SystemExit(f"floor: the reports loaded the processed data again ({processed.loaded_count()} loads)")
    (out / f"floor_cpu{tag}.json").write_text(json.dumps({"cpu_seconds": time.process_time(), "reports": done,
                                                          "cpu_seconds_at_ready": ready}), encoding="utf-8")
    (out / f"floor_reports{tag}.json").write_text(json.dumps(per_report, ensure_ascii=False), encoding="utf-8")


def run_e2(spec: dict, out: Path, processes: int = 2) -> None:
    """The floor in ``processes`` processes taking the reports one at a time from a shared queue, and
    sharing their drawn charts through a folder: split the way ``zaitaku render`` splits them."""
    import multiprocessing

    from zaitaku.paths import SHARED_CHARTS_ENV

    chart_dir = tempfile.mkdtemp(prefix="zaitaku-floor-charts-")
    os.environ[SHARED_CHARTS_ENV] = chart_dir
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    for i in range(len(spec["reports"])):
        queue.put(i)
    for _ in range(processes):
        queue.put(None)
    procs = [ctx.Process(target=run_e, args=(spec, out, queue, f"-{k}")) for k in range(processes)]
    try:
        for proc in procs:
            proc.start()
        for proc in procs:
            proc.join()
    finally:
        shutil.rmtree(chart_dir, ignore_errors=True)
    if any(proc.exitcode != 0 for proc in procs):
        raise SystemExit(f"floor process(es) failed: exit codes {[proc.exitcode for proc in procs]}")
    (out / "reports.txt").write_text(str(len(spec["reports"])), encoding="utf-8")


def child(mode: str, spec_path: Path, out: Path) -> None:
    spec = json.loads(spec_path.read_text(encoding="utf-8"))
    out.mkdir(parents=True, exist_ok=True)
    if mode.startswith("n:"):  # a whole sample prefecture, 2 workers
        run_d(spec, out, 2, prefecture=mode[2:])
        return
    if mode.startswith("e:"):  # the floor over the same prefecture, the same parameters as render gives
        run_e(dict(spec, reports=prefecture_reports(spec, mode[2:], out)), out)
        return
    if mode.startswith("e2:"):  # the same, in 2 processes splitting the reports as render's 2 workers do
        run_e2(dict(spec, reports=prefecture_reports(spec, mode[3:], out)), out)
        return
    if mode == "national":
        from zaitaku.render.scope import scopes_from_registry

        run_d(spec, out, 2, scopes=scopes_from_registry(all_=True), formats=tuple(spec.get("formats", ["html"])))
        return
    {"a": run_a, "b": run_b, "c": run_c, "e": run_e,
     "d1": lambda s, o: run_d(s, o, 1), "d2": lambda s, o: run_d(s, o, 2),
     "d2pool": lambda s, o: run_d(s, o, 2, "pool"), "d2dask": lambda s, o: run_d(s, o, 2, "dask")}[mode](spec, out)


# --------------------------------------------------------------------------------------------
# the parent: run each mode, measure, compare


def html_sizes(out: Path) -> list[int]:
    return sorted(p.stat().st_size for p in out.rglob("*.html") if p.name != "index.html")


def worker_stats(out: Path) -> dict:
    """Peak memory per worker (MB: the worker process, its kernel, both) and chart-cache reuse."""
    workers = [json.loads(p.read_text(encoding="utf-8")) for p in sorted((out / "stats").glob("worker-*.json"))]
    res: dict = {}
    if workers:
        mb = [((w["maxrss_kb"]) / 1024, (w.get("kernel", {}).get("maxrss_kb", 0)) / 1024) for w in workers]
        res["peak_memory_mb_per_worker"] = [{"worker": round(a), "kernel": round(b), "total": round(a + b)}
                                            for a, b in mb]
        res["cpu_seconds_by_process"] = {  # where a mode's CPU went (the rest of cpu_seconds: the parent)
            "workers": round(sum(w.get("cpu_seconds", 0) for w in workers), 2),
            "kernels": round(sum(w.get("kernel", {}).get("cpu_seconds", 0) for w in workers), 2)}
    res.update(after_startup_cpu(out, workers))
    caches = [w["kernel"]["chart_cache"] for w in workers if "chart_cache" in w.get("kernel", {})]
    caches += [json.loads(p.read_text(encoding="utf-8")) for p in sorted(out.glob("chart_cache*.json"))]
    hits = sum(c["hits"] + c.get("shared", 0) for c in caches)  # reused: own drawings and other kernels'
    misses = sum(c["misses"] for c in caches)
    if hits + misses:
        res["charts"] = {"drawn": misses, "reused": hits, "reused_share": round(hits / (hits + misses), 3)}
    return res


def after_startup_cpu(out: Path, workers: list[dict]) -> dict:
    """CPU seconds a mode spent on its reports, start-up left out, measured inside its processes.

    Render: the parent's CPU during the batch (planning, dispatch, index pages: all counted), each
    worker's CPU after its warm-up and each kernel's after its setup (imports, data loaded). Floor:
    its CPU after the same imports, data load and compiling. Same reports, same way: comparable
    without a fit across prefectures (whose noise moves a fitted slope by ±30 %)."""
    floors = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(out.glob("floor_cpu*.json"))]
    if floors:
        return {"after_startup_cpu_seconds": round(sum(f["cpu_seconds"] - f["cpu_seconds_at_ready"]
                                                       for f in floors), 2),
                "floor_processes": len(floors), "reports_per_process": [f["reports"] for f in floors]}
    parent = out / "parent_cpu.json"
    if not workers or not parent.is_file():
        return {}
    parts = {"parent": json.loads(parent.read_text(encoding="utf-8"))["cpu_seconds_during_batch"],
             "workers": 0.0, "kernels": 0.0}
    for w in workers:
        k = w.get("kernel", {})
        if w.get("cpu_seconds_at_ready") is None or k.get("cpu_seconds_at_setup") is None:
            return {}  # an older worker or a kernel without stats: not measurable
        parts["workers"] += w["cpu_seconds"] - w["cpu_seconds_at_ready"]
        parts["kernels"] += k["cpu_seconds"] - k["cpu_seconds_at_setup"]
    return {"after_startup_cpu_seconds": round(sum(parts.values()), 2),
            "after_startup_cpu_by_process": {k: round(v, 2) for k, v in parts.items()}}


def sample_what(mode: str) -> str:
    """What a sample mode (``e:``, ``e2:``, ``n:`` + prefecture, or ``national``) runs."""
    kind, _, pref = mode.partition(":")
    return {"national": "zaitaku render, 2 workers, every report",
            "e": f"floor (code cells exec'd in one process), all of {pref}",
            "e2": f"floor in 2 processes sharing the reports and charts, all of {pref}",
            }.get(kind, f"zaitaku render, 2 workers, all of {pref}")


def measure(mode: str, spec_path: Path, work: Path, timeout: float) -> dict:
    out = work / mode.replace(":", "_")
    shutil.rmtree(out, ignore_errors=True)
    cmd = [sys.executable, "-m", "benchmarks.run_bench", "--run", mode, "--spec", str(spec_path), "--out", str(out)]
    t0, cpu0 = time.perf_counter(), _children_cpu()
    proc = subprocess.run(cmd, cwd=PROJECT, capture_output=True, text=True, timeout=timeout)
    wall, cpu = time.perf_counter() - t0, _children_cpu() - cpu0
    what = MODES.get(mode) or sample_what(mode)
    res = {"mode": mode, "what": what, "seconds": round(wall, 2), "cpu_seconds": round(cpu, 2),
           "ok": proc.returncode == 0}
    if proc.returncode != 0:
        res["error"] = (proc.stderr or proc.stdout)[-2000:]
    sizes = html_sizes(out)
    if sizes:
        res.update(reports=len(sizes), median_bytes=int(statistics.median(sizes)), max_bytes=max(sizes))
    if (out / "decks.txt").is_file():
        res["decks"] = int((out / "decks.txt").read_text(encoding="utf-8"))
    elif mode.startswith("e") and (out / "reports.txt").is_file():  # the floor writes no HTML
        res["reports"] = int((out / "reports.txt").read_text(encoding="utf-8"))
    res.update(worker_stats(out))
    return res


def _children_cpu() -> float:
    """CPU seconds (user + system) of the finished child processes and their waited-for descendants
    (workers, kernels): the core-seconds a mode used, whatever else the machine was doing."""
    import resource

    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def chart_costs(data_dir: str, timeout: float) -> dict | None:
    """Median ms per chart kind and 島根県's chart reuse, from :mod:`benchmarks.bench_charts` (no legacy run)."""
    cmd = [sys.executable, "-m", "benchmarks.bench_charts", "--data", data_dir, "--legacy", ""]
    try:
        proc = subprocess.run(cmd, cwd=PROJECT, capture_output=True, text=True, timeout=timeout, check=True)
        return json.loads(proc.stdout)
    except (subprocess.SubprocessError, ValueError) as exc:
        print(f"chart costs not measured: {exc}", file=sys.stderr)
        return None


def sample_extrapolation(samples: list[dict], workers: int = 2) -> dict | None:
    """Fit seconds = fixed + per_report × reports through the sample prefectures (and the same for CPU
    seconds); the national estimate. ``workers``: processes working side by side (core-seconds)."""
    pts = [(r["reports"], r["seconds"]) for r in samples if r["ok"] and r.get("reports")]
    if len({n for n, _ in pts}) < 2:
        return None
    n_mean = statistics.fmean(n for n, _ in pts)
    t_mean = statistics.fmean(t for _, t in pts)
    per = sum((n - n_mean) * (t - t_mean) for n, t in pts) / sum((n - n_mean) ** 2 for n, _ in pts)
    fixed = t_mean - per * n_mean
    national = fixed + per * NATIONAL_REPORTS
    cpu = [(r["reports"], r["cpu_seconds"]) for r in samples if r["ok"] and r.get("reports") and r.get("cpu_seconds")]
    cpu_per = None
    if len(cpu) == len(pts):
        c_mean = statistics.fmean(c for _, c in cpu)
        cpu_per = sum((n - n_mean) * (c - c_mean) for n, c in cpu) / sum((n - n_mean) ** 2 for n, _ in cpu)
    return {"prefectures": [r["mode"][2:] for r in samples], "points": pts, "fixed_seconds": round(fixed, 1),
            "cpu_points": cpu, "cpu_seconds_per_report": round(cpu_per, 3) if cpu_per is not None else None,
            "seconds_per_report": round(per, 3), "core_seconds_per_report": round(workers * per, 3),
            "national_seconds_estimate": round(national), "national_estimate": _fmt_dur(national)}


def after_startup_comparison(samples: list[dict], floor_kind: str = "e") -> dict | None:
    """Render (2 workers) against the floor (``e``: one process; ``e2``: two, as render's workers)
    per sample prefecture, CPU seconds per report with each side's start-up left out
    (:func:`after_startup_cpu`), and over all samples together."""
    by = {r["mode"]: r for r in samples if r["ok"]}
    rows = []
    for mode, render in by.items():
        floor = by.get(f"{floor_kind}:{mode[2:]}")
        if not mode.startswith("n:") or floor is None or not render.get("reports") \
                or render.get("reports") != floor.get("reports") \
                or "after_startup_cpu_seconds" not in render or "after_startup_cpu_seconds" not in floor:
            continue
        n, r_cpu, f_cpu = render["reports"], render["after_startup_cpu_seconds"], floor["after_startup_cpu_seconds"]
        rows.append({"prefecture": mode[2:], "reports": n, "render_cpu_seconds": r_cpu, "floor_cpu_seconds": f_cpu,
                     "render_by_process": render["after_startup_cpu_by_process"],
                     "render_cpu_per_report": round(r_cpu / n, 4), "floor_cpu_per_report": round(f_cpu / n, 4),
                     "times_floor": round(r_cpu / f_cpu, 2)})
    if not rows:
        return None
    n = sum(r["reports"] for r in rows)
    r_cpu, f_cpu = sum(r["render_cpu_seconds"] for r in rows), sum(r["floor_cpu_seconds"] for r in rows)
    return {"prefectures": rows, "reports": n, "render_cpu_per_report": round(r_cpu / n, 4),
            "floor_cpu_per_report": round(f_cpu / n, 4), "times_floor": round(r_cpu / f_cpu, 2)}


def _fmt_bytes(n: int | None) -> str:
    return "–" if n is None else f"{n / 1000:.0f} kB"


def _fmt_dur(s: float) -> str:
    return f"{s / 3600:.1f} h" if s >= 3600 else f"{s / 60:.0f} min" if s >= 60 else f"{s:.0f} s"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.run_bench", description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="the toy test notebook, 8 municipalities, no data needed")
    ap.add_argument("--notebook", action="append", default=[], help="notebook(s) to use instead of the report notebooks")
    ap.add_argument("--municipalities", default=None,
                    help="comma-separated codes (default: 5 of 島根県; 8 with --quick)")
    ap.add_argument("-n", "--n-municipalities", type=int, default=0, help="use only the first N codes")
    ap.add_argument("--data-dir", default=None, help="processed data (default data/processed)")
    ap.add_argument("--modes", default="a,b,c,d1,d2,e",
                    help="comma-separated subset of a,b,c,d1,d2,d2pool,d2dask,e")
    ap.add_argument("--sample-prefectures", default="鳥取県,高知県,長野県",
                    help="whole prefectures (at least two, of different size) for the national extrapolation; "
                         "'' to skip")
    ap.add_argument("--national", action="store_true",
                    help="render all 7,152 reports with 2 workers and write the measured time (not in CI)")
    ap.add_argument("--formats", default="html", help="with --national: html or html,pptx (decks built in the workers)")
    ap.add_argument("--no-chart-costs", action="store_true", help="skip the chart cost per kind (bench_charts)")
    ap.add_argument("--cell-timeout", type=float, default=600)
    ap.add_argument("--timeout", type=float, default=3600, help="seconds per mode")
    ap.add_argument("--results", type=Path, default=RESULTS_DIR, help="folder for <date>.json")
    ap.add_argument("--run", help=argparse.SUPPRESS)
    ap.add_argument("--spec", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.run:
        child(args.run, args.spec, args.out)
        return 0

    spec = build_spec(args)
    if args.national:
        return national(spec, args)
    n = len(spec["reports"])
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    unknown = [m for m in modes if m not in MODES]
    if unknown:
        ap.error(f"unknown mode(s) {unknown}; modes: {', '.join(MODES)}")
    print(f"{n} reports: {len(spec['codes'])} municipalities × {len(spec['notebooks'])} notebook(s) "
          f"({', '.join(Path(p).stem for p in spec['notebooks'])}); {os.cpu_count()} CPU(s)", flush=True)
    results = []
    load_before = list(os.getloadavg())
    with tempfile.TemporaryDirectory(prefix="zaitaku-bench-") as tmp:
        work = Path(tmp)
        spec_path = work / "spec.json"
        spec_path.write_text(json.dumps(spec, ensure_ascii=False), encoding="utf-8")
        prefs = [p.strip() for p in args.sample_prefectures.split(",") if p.strip()]
        samples = [f"{m}:{p}" for p in prefs for m in ("e", "e2", "n")]  # floors and render, one after another
        sample_results = []
        for mode in modes + samples:
            r = measure_and_print(mode, spec_path, work, args.timeout)
            (sample_results if mode in samples else results).append(r)
    charts = None if (args.quick or args.notebook or args.no_chart_costs) else chart_costs(spec["data_dir"], args.timeout)

    by = {r["mode"]: r for r in results if r["ok"]}
    base, floor = by.get("a"), by.get("e")
    print()
    print(f"{'mode':<6} {'seconds':>8} {'s/report':>9} {'cpu s/rep':>9} {'vs a':>7} {'vs e':>7} {'median':>8} {'largest':>8}  national batch ({NATIONAL_REPORTS} reports)")
    for r in results:
        if not r["ok"]:
            print(f"{r['mode']:<6} failed")
            continue
        per = r["seconds"] / n
        r["seconds_per_report"] = round(per, 3)
        r["cpu_seconds_per_report"] = round(r["cpu_seconds"] / n, 3)
        r["speedup_vs_a"] = round(base["seconds"] / r["seconds"], 2) if base else None
        r["times_floor"] = round(r["seconds"] / floor["seconds"], 2) if floor else None
        r["national_seconds_estimate"] = round(per * NATIONAL_REPORTS)
        vs_a = "" if r["speedup_vs_a"] is None else f"{r['speedup_vs_a']:.1f}×"
        vs_e = "" if r["times_floor"] is None else f"{r['times_floor']:.1f}×"
        print(f"{r['mode']:<6} {r['seconds']:>8.1f} {per:>9.2f} {r['cpu_seconds_per_report']:>9.2f} {vs_a:>7} {vs_e:>7} "
              f"{_fmt_bytes(r.get('median_bytes')):>8} {_fmt_bytes(r.get('max_bytes')):>8}  "
              f"≈ {_fmt_dur(r['national_seconds_estimate'])}")
    print("(vs a: how many times faster than the naive CLI loop; vs e: how many times the floor. "
          "cpu s/rep: CPU seconds of the mode's processes (all cores) per report, startup included. "
          "National = linear extrapolation of this run on this machine.)")
    for r in results:
        if r.get("peak_memory_mb_per_worker"):
            peaks = ", ".join(f"{p['total']} MB ({p['worker']} + kernel {p['kernel']})"
                              for p in r["peak_memory_mb_per_worker"])
            print(f"{r['mode']}: peak memory per worker {peaks}")
        if r.get("charts"):
            c = r["charts"]
            print(f"{r['mode']}: charts drawn {c['drawn']}, reused {c['reused']} ({c['reused_share']:.0%})")
    render_samples = [r for r in sample_results if r["mode"].startswith("n:")]
    floor_samples = [r for r in sample_results if r["mode"].startswith("e:")]
    extrapolation = sample_extrapolation(render_samples)
    floor_extrapolation = sample_extrapolation(floor_samples, workers=1)
    for r in sample_results:
        who = {"n": "render, 2 workers", "e": "floor, 1 process", "e2": "floor, 2 processes"}[r["mode"].split(":")[0]]
        print(f"sample {r['mode'].partition(':')[2]} ({who}): {r.get('reports', '?')} reports in {r['seconds']:.1f} s "
              f"({r['cpu_seconds']:.0f} CPU s)"
              + (f", charts reused {r['charts']['reused_share']:.0%}" if r.get("charts") else ""))
    per_report_vs_floor = None
    if extrapolation and floor_extrapolation and extrapolation["cpu_seconds_per_report"] \
            and floor_extrapolation["cpu_seconds_per_report"]:
        per_report_vs_floor = round(extrapolation["cpu_seconds_per_report"]
                                    / floor_extrapolation["cpu_seconds_per_report"], 2)
        print(f"per report, start-up fitted out (CPU s per extra report over {', '.join(prefs)}): "
              f"render {extrapolation['cpu_seconds_per_report']} vs floor "
              f"{floor_extrapolation['cpu_seconds_per_report']} = {per_report_vs_floor}× the floor")
    after_startup = {kind: after_startup_comparison(sample_results, kind) for kind in ("e", "e2")}
    for kind, comparison in after_startup.items():
        who = "floor in 1 process" if kind == "e" else "floor in 2 processes"
        for row in comparison["prefectures"] if comparison else []:
            print(f"per report after start-up, {row['prefecture']} ({row['reports']} reports): render "
                  f"{row['render_cpu_per_report']:.3f} CPU s (kernels {row['render_by_process']['kernels']:.1f}, "
                  f"workers {row['render_by_process']['workers']:.1f}, parent "
                  f"{row['render_by_process']['parent']:.1f} s) vs {who} {row['floor_cpu_per_report']:.3f}"
                  f" = {row['times_floor']}×")
        if comparison:
            print(f"per report after start-up, all samples: render {comparison['render_cpu_per_report']:.3f} vs "
                  f"{who} {comparison['floor_cpu_per_report']:.3f} CPU s = {comparison['times_floor']}×")
    if extrapolation:
        print(f"national batch from the samples ({', '.join(extrapolation['prefectures'])}): "
              f"{extrapolation['fixed_seconds']:.0f} s + {extrapolation['seconds_per_report']:.2f} s × "
              f"{NATIONAL_REPORTS} ≈ {extrapolation['national_estimate']} on 2 workers "
              f"({extrapolation['core_seconds_per_report']:.2f} core-s/report of wall time; "
              f"{extrapolation['cpu_seconds_per_report']} CPU s/report)")
    if charts:
        kinds = ", ".join(f"{k} {v['after']:.0f} ms (n={v['n']})" for k, v in charts["median_ms_per_kind"].items())
        reuse = charts["prefecture_reuse"]
        print(f"charts: median per kind {kinds}; all {charts['median_ms_all']['after']:.0f} ms; "
              f"{reuse['municipalities']} municipalities of {charts['prefecture']} reuse {reuse['reuse_rate']:.0%}")

    record = {
        "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
                    "load_average_before": load_before, "load_average_after": list(os.getloadavg())},
        "selection": {"reports": n, "municipalities": spec["codes"],
                      "notebooks": [Path(p).name for p in spec["notebooks"]], "quick": args.quick},
        "national_reports": NATIONAL_REPORTS,
        "results": results,
        "samples": sample_results,
        "national_extrapolation": extrapolation,
        "floor_extrapolation": floor_extrapolation,
        "per_report_cpu_vs_floor": per_report_vs_floor,
        "after_startup_vs_floor": after_startup,
        "charts": charts,
    }
    args.results.mkdir(parents=True, exist_ok=True)
    suffix = "-quick" if (args.quick or args.notebook) else ""
    path = args.results / f"{dt.date.today().isoformat()}{suffix}.json"
    path.write_text(json.dumps(record, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {path}")
    return 0 if all(r["ok"] for r in results) else 1


def measure_and_print(mode: str, spec_path: Path, work: Path, timeout: float) -> dict:
    what = MODES.get(mode) or sample_what(mode)
    print(f"  {mode:>6}  {what} ...", end=" ", flush=True)
    r = measure(mode, spec_path, work, timeout)
    print(f"{r['seconds']:.1f} s" + ("" if r["ok"] else "  FAILED"), flush=True)
    if not r["ok"]:
        print(textwrap_indent(r.get("error", "")), file=sys.stderr)
    return r


def national(spec: dict, args) -> int:
    """All 7,152 reports with 2 workers; the measured time to ``<date>-national.json``."""
    formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    with tempfile.TemporaryDirectory(prefix="zaitaku-bench-national-") as tmp:
        work = Path(tmp)
        spec_path = work / "spec.json"
        spec_path.write_text(json.dumps(dict(spec, formats=formats), ensure_ascii=False), encoding="utf-8")
        r = measure_and_print("national", spec_path, work, max(args.timeout, 6 * 3600))
    record = {"date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
              "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
              "notebooks": [Path(p).name for p in spec["notebooks"]], "formats": formats, "result": r,
              "seconds_per_report": round(r["seconds"] / max(1, r.get("reports", NATIONAL_REPORTS)), 3)}
    args.results.mkdir(parents=True, exist_ok=True)
    suffix = "" if formats == ["html"] else "-" + "-".join(formats)
    path = args.results / f"{dt.date.today().isoformat()}-national{suffix}.json"
    path.write_text(json.dumps(record, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    decks = f" and {r['decks']} decks" if "decks" in r else ""
    print(f"{r.get('reports', '?')} reports{decks} in {_fmt_dur(r['seconds'])}; wrote {path}")
    return 0 if r["ok"] else 1


def textwrap_indent(text: str) -> str:
    return "\n".join("      " + line for line in text.strip().splitlines()[-20:])


if __name__ == "__main__":
    sys.exit(main())

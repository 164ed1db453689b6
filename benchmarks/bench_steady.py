"""Benchmark: what one report costs on a warm kernel beyond the floor, report by report.

    python -m benchmarks.bench_steady                      # 鳥取県, the first 8 reports left out
    python -m benchmarks.bench_steady --prefecture 高知県 --skip 8

Runs the floor (:func:`benchmarks.run_bench.run_e`: the code cells exec'd in one process) and one
``zaitaku render`` worker over every report of the prefecture in the same order, in turns (the
floor's report, then render's), and compares the CPU seconds of each report: the kernel's (every
thread of the kernel process) and the worker's. The first ``--skip`` reports (caches still cold,
on both sides) are left out of the sums. One worker: the cost of the machinery itself, without the
price of running two processes (see ``make bench`` for that). Writes ``benchmarks/results/steady-<date>.json``.
Timings only: nothing here asserts on them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.run_bench import PROJECT, REAL_GROUPS, RESULTS_DIR, prefecture_reports


def interleaved(spec: dict, prefecture: str, out: Path) -> tuple[list[tuple[str, str, float, float]], dict]:
    """(group, code, kernel CPU s, worker CPU s) of each report on one warm worker, and the floor's
    CPU seconds of each report (:func:`benchmarks.run_bench.run_e` in a child process), run in
    turns: the floor's report i, then render's report i. Whatever else the machine does then
    weighs on both sides alike, so the ratio holds on a machine that is not quiet."""
    import multiprocessing

    import psutil

    from benchmarks.run_bench import run_e
    from zaitaku.render.jobs import Job, WorkerSettings, notebook_imports
    from zaitaku.render.plan import kernel_cwd
    from zaitaku.render.worker import Worker

    notebooks = {Path(p).stem: Path(p) for p in spec["notebooks"]}
    reports = prefecture_reports(spec, prefecture, out)
    floor_out = out / "floor"
    floor_out.mkdir()
    ctx = multiprocessing.get_context("spawn")
    todo, done = ctx.Queue(), ctx.Queue()
    floor = ctx.Process(target=run_e, args=(dict(spec, reports=reports), floor_out, todo, "", done))
    floor.start()
    imports = tuple(dict.fromkeys(m for p in notebooks.values() for m in notebook_imports(p)))
    worker = Worker(WorkerSettings(kernel_cwd=str(kernel_cwd(notebooks)), preload=imports,
                                   data_dir=spec["data_dir"]))
    rows = []
    try:
        worker.warm_up()  # the kernel's setup runs into the first reports, which --skip leaves out
        if done.get(timeout=600) != "ready":
            raise SystemExit("floor: no start-up signal")
        for i, r in enumerate(reports):
            todo.put(i)
            if done.get(timeout=600) != i:
                raise SystemExit(f"floor: report {i} out of turn")
            job = Job(key=f"{i:04d}.html", group=r["group"], notebook=r["notebook"], code=r["code"],
                      name=r["name"], pref_code=r["code"][:2], prefecture=prefecture,
                      parameters=dict(r["parameters"], figures_csv=str(out / f"{i:04d}.csv")))
            pid = worker.kernel.pid
            kernel = psutil.Process(pid)
            k0, w0 = sum(kernel.cpu_times()[:2]), time.process_time()
            result = worker.run(job)
            if result.status != "ok" or worker.kernel.pid != pid:
                raise SystemExit(f"{r['code']} {r['group']}: {result.status}, kernel {pid} -> {worker.kernel.pid}")
            rows.append((r["group"], r["code"], sum(kernel.cpu_times()[:2]) - k0, time.process_time() - w0))
        todo.put(None)
        floor.join(timeout=600)
    finally:
        worker.close()
        if floor.is_alive():
            floor.terminate()
    if floor.exitcode != 0:
        raise SystemExit(f"floor process failed: exit code {floor.exitcode}")
    per_report = json.loads((floor_out / "floor_reports.json").read_text(encoding="utf-8"))
    return rows, {(group, code): cpu for group, code, cpu in per_report}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.bench_steady", description=__doc__.splitlines()[0])
    ap.add_argument("--prefecture", default="鳥取県")
    ap.add_argument("--skip", type=int, default=8, help="reports left out at the start (cold caches)")
    ap.add_argument("--data-dir", default=str(PROJECT / "data" / "processed"))
    ap.add_argument("--results", type=Path, default=RESULTS_DIR)
    args = ap.parse_args(argv)
    spec = {"notebooks": [str(PROJECT / "notebooks" / f"{g}.ipynb") for g in REAL_GROUPS],
            "data_dir": str(Path(args.data_dir).resolve()), "codes": [], "cell_timeout": 600}
    with tempfile.TemporaryDirectory(prefix="zaitaku-steady-") as tmp:
        work = Path(tmp)
        rows, floor = interleaved(spec, args.prefecture, work)
    kept = rows[args.skip:]
    n = len(kept)
    kernel, worker = sum(r[2] for r in kept), sum(r[3] for r in kept)
    floor_sum = sum(floor[(g, c)] for g, c, _, _ in kept)
    by_group = {}
    for group in REAL_GROUPS:
        mine = [r for r in kept if r[0] == group]
        if mine:
            by_group[group] = {"reports": len(mine),
                               "kernel_ms": round(sum(r[2] for r in mine) / len(mine) * 1000, 1),
                               "worker_ms": round(sum(r[3] for r in mine) / len(mine) * 1000, 1),
                               "floor_ms": round(sum(floor[(r[0], r[1])] for r in mine) / len(mine) * 1000, 1)}
    record = {"date": dt.datetime.now().astimezone().isoformat(timespec="seconds"), "prefecture": args.prefecture,
              "reports": len(rows), "skipped": args.skip, "run": "interleaved (floor report, render report)",
              "load_average_after": [round(x, 2) for x in os.getloadavg()],
              "per_report_ms": {"kernel": round(kernel / n * 1000, 1), "worker": round(worker / n * 1000, 1),
                                "floor": round(floor_sum / n * 1000, 1)},
              "kernel_vs_floor": round(kernel / floor_sum, 3),
              "kernel_and_worker_vs_floor": round((kernel + worker) / floor_sum, 3), "by_group": by_group}
    print(f"{args.prefecture}, {n} reports after the first {args.skip}: kernel {kernel / n * 1000:.1f} ms, "
          f"worker {worker / n * 1000:.1f} ms, floor {floor_sum / n * 1000:.1f} ms per report -> kernel "
          f"{record['kernel_vs_floor']}× the floor, kernel + worker {record['kernel_and_worker_vs_floor']}×")
    for group, g in by_group.items():
        print(f"  {group}: kernel {g['kernel_ms']} ms, worker {g['worker_ms']} ms, floor {g['floor_ms']} ms "
              f"({g['reports']} reports)")
    args.results.mkdir(parents=True, exist_ok=True)
    path = args.results / f"steady-{dt.date.today().isoformat()}.json"
    path.write_text(json.dumps(record, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

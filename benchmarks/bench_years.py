"""What survey years cost a warm kernel: memory of one year vs every year, and the first trend vs later ones.

    python benchmarks/bench_years.py [data/processed] [--pref 32] [--out benchmarks/results/years-<date>.json]

Without a processed folder holding two years it writes the demo's (R3, R4) to a temporary folder first.
Each measurement runs in a fresh process (``python -c``), as a kernel starts: RSS (VmRSS, VmHWM from
/proc/self/status) after the imports, after loading one year (the newest), after loading every year
(:func:`zaitaku.analysis.processed.load_years`), and after the first report-like pass over a prefecture.
Then the trend (:func:`zaitaku.analysis.trend.trend`) of every question of the newest year for the
prefecture's municipalities: CPU ms of the very first call, of the rest of the first municipality's
questions, and per question for the later municipalities. Results printed and written as JSON.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
import tempfile
from pathlib import Path

CHILD = r"""
import json, sys, time
def rss():
    out = {}
    for line in open("/proc/self/status"):
        if line.startswith(("VmRSS", "VmHWM")):
            k, v = line.split(":")
            out[k] = int(v.split()[0]) / 1024
    return out
data_dir, pref, mode = sys.argv[1], sys.argv[2], sys.argv[3]
import pandas, pyarrow  # what a kernel has imported before the data
from zaitaku.analysis import processed
from zaitaku.analysis.aggregate import focus_of
from zaitaku.analysis.trend import trend
res = {"imports": rss()}
t = time.process_time()
newest = processed.available_years(data_dir)[-1]
if mode == "one":
    years = {newest: processed.load_processed(data_dir, newest)}
else:
    years = processed.load_years(data_dir)
res["load_s"] = time.process_time() - t
res["loaded"] = rss()
data = years[newest]
codes = data.municipalities.query("pref_code == @pref and responded")["code"].tolist()
if mode == "all":
    cb = data.codebook
    focuses = [focus_of(data, c) for c in codes]
    t = time.process_time()
    trend(years, newest, next(iter(cb)).id, focuses[0])
    first = time.process_time() - t
    t = time.process_time()
    for q in cb:
        trend(years, newest, q.id, focuses[0])
    rest_first = time.process_time() - t
    n_first = sum(1 for _ in cb)
    t = time.process_time()
    for f in focuses[1:]:
        for q in cb:
            trend(years, newest, q.id, f)
    later = time.process_time() - t
    res["trend"] = {"municipalities": len(codes), "questions": n_first,
                    "first_call_ms": first * 1000,
                    "first_municipality_other_calls_ms_per_question": rest_first / max(n_first - 1, 1) * 1000,
                    "later_municipalities_ms_per_question": later / max(len(codes) - 1, 1) / n_first * 1000}
    res["after_trends"] = rss()
print(json.dumps(res))
"""


def demo_folder(tmp: Path) -> Path:
    from zaitaku.demo.generate import DEFAULT_SEED, write_demo
    from zaitaku.ingest.pipeline import ingest, write_outputs

    raw, out = tmp / "raw", tmp / "processed"
    write_demo(raw, DEFAULT_SEED, ("R3", "R4"))
    write_outputs(ingest([raw / "demo_r3.xlsx"]), out)
    write_outputs(ingest([raw / "demo_r4.xlsx"], survey_year="R4"), out)
    return out


def child(data_dir: Path, pref: str, mode: str) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, str(data_dir), pref, mode],
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("data_dir", nargs="?", type=Path)
    p.add_argument("--pref", default="32")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--out", type=Path,
                   default=Path(__file__).parent / "results" / f"years-{dt.date.today().isoformat()}.json")
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        from zaitaku.analysis.processed import available_years

        data_dir = args.data_dir
        if data_dir is None or len(available_years(data_dir)) < 2:
            data_dir = demo_folder(Path(tmp))
        runs = {mode: [child(data_dir, args.pref, mode) for _ in range(args.repeat)] for mode in ("one", "all")}
    summary = {}
    for mode, rs in runs.items():
        best = min(rs, key=lambda r: r["loaded"]["VmRSS"])
        summary[mode] = {"imports_rss_mb": round(best["imports"]["VmRSS"], 1),
                         "loaded_rss_mb": round(best["loaded"]["VmRSS"], 1),
                         "data_mb": round(best["loaded"]["VmRSS"] - best["imports"]["VmRSS"], 1),
                         "load_cpu_s": round(min(r["load_s"] for r in rs), 3)}
    trends = [r["trend"] for r in runs["all"]]
    summary["trend"] = {k: round(min(t[k] for t in trends), 2) if isinstance(trends[0][k], float) else trends[0][k]
                        for k in trends[0]}
    summary["all"]["after_trends_rss_mb"] = round(min(r["after_trends"]["VmRSS"] for r in runs["all"]), 1)
    result = {"date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), "pref": args.pref,
              "repeat": args.repeat, "summary": summary, "runs": runs}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    print(json.dumps(summary, ensure_ascii=False, indent=1))
    print(f"-> {args.out}")


if __name__ == "__main__":
    main()

"""Benchmark: ingest of one data row repeated 10,000 times (issue: duplicates in linear time, bounded output).

Run: ``PYTHONPATH=. python benchmarks/bench_ingest_duplicates.py`` — writes a synthetic CSV in the
standard layout (the demo export's two header rows and its first data row × 10,000), ingests it
in a subprocess and prints wall time, peak memory, the problems file's size and row count.
"""

from __future__ import annotations

import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from zaitaku.demo.generate import DEFAULT_SEED, write_demo

ROOT = Path(__file__).resolve().parents[1]


def main(repeats: int = 10_000) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        write_demo(d / "demo", DEFAULT_SEED)
        lines = (d / "demo" / "demo_r3_cp932.csv").read_bytes().splitlines()
        raw = d / "dup.csv"
        raw.write_bytes(b"\n".join(lines[:2] + [lines[2]] * repeats) + b"\n")
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "zaitaku.cli", "ingest", str(raw), "--out", str(d / "out")],
                              capture_output=True, cwd=ROOT, check=False)
        wall = time.perf_counter() - start
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        problems = d / "out" / "problems.csv"
        rows = problems.read_bytes().count(b"\n") - 1
        print(f"input {raw.stat().st_size / 1e6:.1f} MB, {repeats:,} repeated rows: exit {proc.returncode}, "
              f"{wall:.1f} s, peak {peak:.0f} MB, problems.csv {problems.stat().st_size / 1e6:.2f} MB, {rows:,} rows")


if __name__ == "__main__":
    main()

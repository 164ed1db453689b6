"""Data access per question: comparison() + selected_options() and build_section() without the chart.

    python benchmarks/bench_data_access.py [data/processed] [prefecture code, default 32]

Prints CPU ms per question over every question × every responding municipality of the prefecture
(warm: the data loaded and indexed once, as in a render kernel), and the standing summary per page.
"""

from __future__ import annotations

import sys
import time

from zaitaku.analysis.aggregate import comparison, focus_of, load_processed, selected_options
from zaitaku.report.section import build_section


def main(data_dir: str = "data/processed", pref: str = "32") -> None:
    t0 = time.process_time()
    data = load_processed(data_dir)
    codes = data.municipalities.query("pref_code == @pref and responded")["code"].tolist()
    comparison(data, "q1", focus_of(data, codes[0]))
    print(f"load + index: {time.process_time() - t0:.2f} s")
    cb = data.codebook
    focuses = [focus_of(data, c) for c in codes]
    t = time.process_time()
    for f in focuses:
        for q in cb:
            comparison(data, q.id, f)
            for r in q.row_ids:
                selected_options(data, f.code, q.id, r)
    n = len(focuses) * len(cb)
    print(f"comparison + selected_options: {(time.process_time() - t) / n * 1000:.2f} ms per question ({n})")
    t = time.process_time()
    for f in focuses:
        for q in cb:
            build_section(data, q.id, f)
    print(f"build_section (no chart): {(time.process_time() - t) / n * 1000:.2f} ms per question ({n})")
    try:
        from zaitaku.analysis.standing import summary_for
    except ImportError:
        return
    t = time.process_time()
    for f in focuses:
        summary_for(data, f)
    print(f"summary_for: {(time.process_time() - t) / len(focuses) * 1000:.2f} ms per municipality")


if __name__ == "__main__":
    main(*sys.argv[1:])

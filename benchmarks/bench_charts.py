"""Chart cost per kind, before and after, in one run; and how often a prefecture's charts repeat.

    python -m benchmarks.bench_charts --data /tmp/x/processed [--prefecture 島根県] [--municipalities 4]
        [--legacy 433d9a9] [--out benchmarks/results/charts.json]

For each question of the codebook, for a few municipalities of the prefecture and for the prefecture
itself, the chart is drawn and serialized (``after``: :func:`zaitaku.report.section.chart_for` +
inline SVG, no cache; ``before``: the PNG charts of ``zaitaku/report/charts.py`` at git ref
``--legacy``, if git can show it), interleaved so both see the same machine load. Reports the median
ms per chart kind and overall. Then every municipality of the prefecture renders every chart through
:meth:`Section.chart_html` (the content cache) and the hit rate is reported: the share of charts
reused within the prefecture.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType

from zaitaku.analysis.aggregate import focus_of
from zaitaku.analysis.processed import load_processed
from zaitaku.report.charts import chart_cache_stats, chart_kind, clear_chart_cache, svg_tag
from zaitaku.report.section import Section, build_section


def load_legacy(ref: str) -> ModuleType | None:
    """The single-module charts of an earlier commit, loaded under another name (None without git)."""
    try:
        src = subprocess.run(["git", "show", f"{ref}:zaitaku/report/charts.py"], capture_output=True, text=True,
                             check=True, cwd=Path(__file__).resolve().parents[1]).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    path = Path(tempfile.mkdtemp()) / "legacy_charts.py"
    path.write_text(src, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("legacy_charts", path)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    mod.use_house_style()
    return mod


def legacy_chart(mod: ModuleType, s: Section) -> str:
    q = s.question
    if q.is_matrix:
        sel = {r: v or [] for r, v in s.selected.items()} if s.selected else None
        fig = mod.matrix_grid(s.figures, sel, s.focus_scope)
    elif q.is_multi:
        fig = mod.option_bars(s.figures, s.selected.get(""), s.focus_scope)
    else:
        fig = mod.single_bars(s.figures, s.selected.get(""), s.focus_scope)
    return mod.img_tag(fig, s.alt)


def median_ms(xs: list[float]) -> float | None:
    """Median in ms; None (JSON null) when nothing was measured, e.g. no ``--legacy`` run."""
    return round(statistics.median(xs) * 1000, 1) if xs else None


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default="data/processed")
    ap.add_argument("--prefecture", default="島根県")
    ap.add_argument("--municipalities", type=int, default=4)
    ap.add_argument("--legacy", default="433d9a9", help="git ref of the single-module PNG charts ('' to skip)")
    ap.add_argument("--out", default="")
    args = ap.parse_args(argv)

    data = load_processed(args.data)
    m = data.municipalities
    members = m[(m["prefecture"] == args.prefecture) & m["responded"]]["code"].tolist()
    focuses = [focus_of(data, c, "") for c in members[:args.municipalities]] + [focus_of(data, "", args.prefecture)]
    questions = [q.id for q in data.codebook.questions]
    sections = [s for f in focuses for s in (build_section(data, q, f, "computed") for q in questions) if s.has_figures]
    legacy = load_legacy(args.legacy) if args.legacy else None

    for s in sections[:3]:  # warm-up: imports, fonts, budoux model
        svg_tag(s.report_figure(), s.alt)
        if legacy:
            legacy_chart(legacy, s)
    before: dict[str, list[float]] = {}
    after: dict[str, list[float]] = {}
    bytes_after: list[int] = []
    for s in sections:
        kind = chart_kind(s.question.type, s.figures)
        t = time.perf_counter()
        markup = svg_tag(s.report_figure(), s.alt)
        after.setdefault(kind, []).append(time.perf_counter() - t)
        bytes_after.append(len(markup.encode()))
        if legacy:
            t = time.perf_counter()
            legacy_chart(legacy, s)
            before.setdefault(kind, []).append(time.perf_counter() - t)

    # reuse within the prefecture: every municipality, every question, through the content cache
    clear_chart_cache()
    t = time.perf_counter()
    for code in members:
        f = focus_of(data, code, "")
        for q in questions:
            s = build_section(data, q, f, "computed")
            if s.has_figures:
                s.chart_html()
    stats = chart_cache_stats()
    total = stats["hits"] + stats["misses"]
    result = {
        "prefecture": args.prefecture, "charts_timed": len(sections), "legacy_ref": args.legacy if legacy else None,
        "median_ms_per_kind": {k: {"before": median_ms(before.get(k, [])), "after": median_ms(v), "n": len(v)}
                               for k, v in sorted(after.items())},
        "median_ms_all": {"before": median_ms([x for v in before.values() for x in v]),
                          "after": median_ms([x for v in after.values() for x in v])},
        "median_svg_bytes": int(statistics.median(bytes_after)),
        "prefecture_reuse": {"municipalities": len(members), "charts": total, **stats,
                             "reuse_rate": round(stats["hits"] / total, 3) if total else None,
                             "seconds_with_sections": round(time.perf_counter() - t, 2)},
    }
    text = json.dumps(result, ensure_ascii=False, indent=2)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n", encoding="utf-8")
    return result


if __name__ == "__main__":
    main(sys.argv[1:])

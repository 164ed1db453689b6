"""The benchmark's per-report accounting (start-up left out) on hand-written statistics files."""

from __future__ import annotations

import json

from benchmarks.run_bench import after_startup_comparison, after_startup_cpu, worker_stats


def _write(path, data):
    path.write_text(json.dumps(data), encoding="utf-8")


def test_render_after_startup_counts_parent_workers_and_kernels_after_their_setup(tmp_path):
    (tmp_path / "stats").mkdir()
    _write(tmp_path / "parent_cpu.json", {"cpu_seconds_during_batch": 0.5})
    for pid, (w, w_ready, k, k_setup) in {1: (3.0, 2.0, 20.0, 4.0), 2: (2.5, 2.0, 15.0, 4.5)}.items():
        _write(tmp_path / "stats" / f"worker-{pid}.json",
               {"maxrss_kb": 1024, "cpu_seconds": w, "cpu_seconds_at_ready": w_ready,
                "kernel": {"maxrss_kb": 2048, "cpu_seconds": k, "cpu_seconds_at_setup": k_setup}})
    res = worker_stats(tmp_path)
    # by hand: parent 0.5 + workers (1.0 + 0.5) + kernels (16.0 + 10.5) = 28.5
    assert res["after_startup_cpu_seconds"] == 28.5
    assert res["after_startup_cpu_by_process"] == {"parent": 0.5, "workers": 1.5, "kernels": 26.5}
    assert res["cpu_seconds_by_process"] == {"workers": 5.5, "kernels": 35.0}


def test_a_worker_without_its_start_up_mark_is_not_measured(tmp_path):
    _write(tmp_path / "parent_cpu.json", {"cpu_seconds_during_batch": 0.5})
    workers = [{"cpu_seconds": 3.0, "kernel": {"cpu_seconds": 20.0, "cpu_seconds_at_setup": None}}]
    assert after_startup_cpu(tmp_path, workers) == {}


def test_floor_processes_are_summed(tmp_path):
    _write(tmp_path / "floor_cpu-0.json", {"cpu_seconds": 10.0, "cpu_seconds_at_ready": 3.0, "reports": 41})
    _write(tmp_path / "floor_cpu-1.json", {"cpu_seconds": 9.0, "cpu_seconds_at_ready": 3.5, "reports": 39})
    assert after_startup_cpu(tmp_path, []) == {"after_startup_cpu_seconds": 12.5, "floor_processes": 2,
                                               "reports_per_process": [41, 39]}


def test_comparison_per_prefecture_and_pooled():
    by_process = {"parent": 0.1, "workers": 1.0, "kernels": 10.0}
    samples = [
        {"mode": "e:A", "ok": True, "reports": 10, "after_startup_cpu_seconds": 2.0},
        {"mode": "e2:A", "ok": True, "reports": 10, "after_startup_cpu_seconds": 2.5},
        {"mode": "n:A", "ok": True, "reports": 10, "after_startup_cpu_seconds": 3.0,
         "after_startup_cpu_by_process": by_process},
        {"mode": "e:B", "ok": True, "reports": 30, "after_startup_cpu_seconds": 6.0},
        {"mode": "e2:B", "ok": False, "reports": 30, "after_startup_cpu_seconds": 1.0},  # failed: left out
        {"mode": "n:B", "ok": True, "reports": 30, "after_startup_cpu_seconds": 9.0,
         "after_startup_cpu_by_process": by_process},
    ]
    one = after_startup_comparison(samples, "e")
    assert [r["times_floor"] for r in one["prefectures"]] == [1.5, 1.5]
    assert one["reports"] == 40 and one["render_cpu_per_report"] == 0.3 and one["floor_cpu_per_report"] == 0.2
    two = after_startup_comparison(samples, "e2")
    assert [r["prefecture"] for r in two["prefectures"]] == ["A"] and two["times_floor"] == 1.2

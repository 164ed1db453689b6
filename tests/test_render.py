"""The batch renderer (zaitaku.render.batch) on a toy notebook: warm kernels, HTML, resume, faults, Dask.

The toy notebook (tests/fixtures/toy_report.ipynb) follows the report-notebook contract, draws a
matplotlib chart, shows an HTML table, warns on stderr, changes global state at its end
(rcParams, a pandas option), raises when ``fail=True`` and sleeps ``sleep`` seconds.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import nbformat
import pytest

from zaitaku.render import html as rh
from zaitaku.render.batch import Scope, render_batch
from zaitaku.render.worker import Job, Worker, WorkerSettings, notebook_imports

PROJECT = Path(__file__).resolve().parents[1]
TOY = PROJECT / "tests" / "fixtures" / "toy_report.ipynb"
NOTEBOOKS = {"toy_report": TOY}
PREF = "32_島根県"
SCOPES = [
    Scope("32", "島根県", "322016", "松江市", "まつえし"),
    Scope("32", "島根県", "322024", "浜田市", "はまだし"),
    Scope("32", "島根県", "322032", "出雲市", "いずもし"),
    Scope("32", "島根県", "322041", "益田市", "ますだし"),
    Scope("32", "島根県"),  # prefecture mode
]
FAILING = "322032"
BUDGET = 200_000


def expected_keys(scopes=SCOPES, group="toy_report") -> set[str]:
    return {f"{s.rel_dir}/{group}.html" for s in scopes}


def fail_one(scope, group):
    return {"fail": scope.code == FAILING}


def html_files(out_year: Path) -> set[str]:
    return {
        p.relative_to(out_year).as_posix()
        for p in out_year.rglob("*.html")
        if p.name != "index.html"
    }


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("processed")
    (d / "shares.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    return d


@pytest.fixture(scope="module")
def batch(tmp_path_factory, data_dir):
    """The toy batch rendered once with two local workers; one municipality fails."""
    out = tmp_path_factory.mktemp("reports")
    summary = render_batch(SCOPES, notebooks=NOTEBOOKS, out=out, data_dir=data_dir, workers=2,
                           params_for=fail_one, progress=False, cell_timeout=60)
    return summary


# --------------------------------------------------------------------------------------------
# small units


def test_toc_from_h2_h3_with_missing_ids():
    body = ('<body><!--zaitaku:toc--><div class="cell"><h1>題</h1><div class="banner">注意</div></div>'
            '<h2 id="a">概要<a class="anchor-link" href="#a">¶</a></h2>'
            "<h3>細目 &amp; 注</h3><h2>まとめ</h2><!--zaitaku:footer--></body>")
    page, title, n = rh.finish_report("<head><title>x</title></head>" + body, [("調査年度", "R3")])
    assert title == "題" and n == 3
    assert "<title>題</title>" in page
    assert '<a href="#a">概要</a>' in page
    assert 'id="sec-1"' in page and '<a href="#sec-1">細目 &amp; 注</a>' in page
    assert page.index('<nav class="toc"') > page.index("</h1>")  # the ToC follows the title
    assert '</nav><div class="banner">注意</div></div>' in page.replace("\n", "")  # nothing cut
    assert '<footer class="provenance">' in page and "<!--zaitaku" not in page


def test_notebook_imports_for_preload():
    mods = notebook_imports(nbformat.read(TOY, as_version=4))
    assert "matplotlib.pyplot" in mods and "matplotlib_fontja" in mods and "pandas" in mods


# --------------------------------------------------------------------------------------------
# warm kernels


def _job(code: str, **params) -> Job:
    p = {"municipality_code": code, "prefecture": "", "survey_year": "R3", "data_dir": "", "national": "computed"}
    p.update(params)
    return Job(key=f"{code}.html", group="toy_report", notebook=str(TOY), parameters=p, code=code,
               name="x", pref_code="32", prefecture="島根県")


def _normalized_outputs(nb) -> list:
    """Cell outputs without stderr, execution metadata, ids or timestamps."""
    out = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for o in cell.get("outputs", []):
            if o.get("output_type") == "stream" and o.get("name") == "stderr":
                continue
            o = dict(o)
            o.pop("metadata", None)
            out.append(json.dumps(o, sort_keys=True))
        out.append(f"count={cell.get('execution_count')}")
    return out


@pytest.mark.slow
def test_warm_run_equals_fresh_run():
    settings = WorkerSettings(preload=tuple(notebook_imports(nbformat.read(TOY, as_version=4))), cell_timeout=60)
    warm = Worker(settings)
    try:
        first = warm.run(_job("322016"))
        warm_nb, err = warm.execute(_job("322024"), dict(_job("322024").parameters, figures_csv=""))
        assert err is None
        warm_html = warm.run(_job("322024")).html
        assert warm.kernel.starts == 1  # one kernel for all three runs
        # without the reset, the first run's global state (rcParams, pandas options) leaks
        warm.kernel.used = False
        leaky_nb, _ = warm.execute(_job("322024"), dict(_job("322024").parameters, figures_csv=""))
    finally:
        warm.close()
    assert first.status == "ok"
    fresh = Worker(settings)
    try:
        fresh_nb, err = fresh.execute(_job("322024"), dict(_job("322024").parameters, figures_csv=""))
        assert err is None
    finally:
        fresh.close()
    fresh2 = Worker(settings)
    try:
        fresh_html = fresh2.run(_job("322024")).html
    finally:
        fresh2.close()
    assert _normalized_outputs(warm_nb) == _normalized_outputs(fresh_nb)
    assert warm_html == fresh_html  # byte for byte, charts included
    assert _normalized_outputs(leaky_nb) != _normalized_outputs(fresh_nb)  # the test can tell


@pytest.mark.slow
def test_timeout_and_dead_kernel_fail_one_report_and_the_kernel_is_replaced():
    import psutil

    toy = nbformat.read(TOY, as_version=4)
    w = Worker(WorkerSettings(preload=tuple(notebook_imports(toy)), cell_timeout=2))
    try:
        slow = w.run(_job("322016", sleep=30))
        conn = json.loads(Path(w.kernel.km.connection_file).read_text())
        assert conn["transport"] == "ipc" and conn["ip"].startswith(str(w.tmpdir))  # no TCP ports to race for
        assert slow.status == "failed" and slow.ename == "CellTimeoutError"
        assert "time.sleep" in toy.cells[slow.cell_index].source
        assert "zaitaku render: CellTimeoutError" in slow.failed_notebook
        assert w.run(_job("322016")).status == "ok"  # on a new kernel
        assert w.kernel.starts == 2

        crashed = w.run(_job("322016", crash=True))  # the kernel dies inside a cell
        assert crashed.status == "failed" and crashed.ename == "DeadKernelError"
        assert "os._exit" in toy.cells[crashed.cell_index].source
        assert w.run(_job("322024")).status == "ok"
        assert w.kernel.starts == 3

        psutil.Process(w.kernel.pid).kill()  # the kernel dies between reports
        psutil.wait_procs([psutil.Process(w.kernel.pid)], timeout=5)
        after = w.run(_job("322024"))
        assert after.status == "ok" and after.kernel_starts == 1
    finally:
        w.close()


# --------------------------------------------------------------------------------------------
# the batch and its HTML


@pytest.mark.slow
def test_batch_writes_every_report_but_the_failing_one(batch):
    out_year = batch.out_year
    failing = f"{PREF}/{FAILING}_出雲市/toy_report.html"
    assert html_files(out_year) == expected_keys() - {failing}
    assert batch.rendered == 4 and len(batch.failed) == 1 and not batch.ok
    assert (out_year / "index.html").is_file()
    assert (out_year / PREF / "index.html").is_file()
    assert (out_year / PREF / "322016_松江市" / "index.html").is_file()
    manifest = json.loads((out_year / "manifest.json").read_text(encoding="utf-8"))
    assert set(manifest["reports"]) == expected_keys()
    assert manifest["reports"][failing]["status"] == "failed"


@pytest.mark.slow
def test_failing_report_is_isolated_and_reported(batch):
    out_year = batch.out_year
    rows = list(csv.DictReader((out_year / "failures.csv").open(encoding="utf-8-sig")))
    assert len(rows) == 1
    row = rows[0]
    assert row["municipality_code"] == FAILING and row["ename"] == "ValueError"
    assert "toy failure for 322032" in row["evalue"]
    toy = nbformat.read(TOY, as_version=4)
    assert "raise ValueError" in toy.cells[int(row["cell_index"])].source  # index in the source notebook
    failed = out_year / row["failed_notebook"]
    assert failed == out_year / PREF / f"{FAILING}_出雲市" / "failed" / "toy_report.ipynb"
    nb = nbformat.read(failed, as_version=4)
    assert nb.metadata.papermill.input_path == str(TOY)
    assert nb.metadata.papermill.parameters["municipality_code"] == FAILING
    assert any("papermill-error-cell-tag" in c.metadata.get("tags", []) for c in nb.cells)
    assert any(o.get("ename") == "ValueError" for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert not (out_year / PREF / f"{FAILING}_出雲市" / "toy_report.html").exists()
    job, res = batch.failed[0]
    assert job.code == FAILING and res.ename == "ValueError"


@pytest.mark.slow
def test_report_html_is_slim_self_contained_and_has_no_code(batch):
    out_year = batch.out_year
    sizes = []
    for key in html_files(out_year):
        text = (out_year / key).read_text(encoding="utf-8")
        sizes.append(len(text.encode()))
        assert '<html lang="ja">' in text
        assert '"Hiragino Kaku Gothic ProN", "Hiragino Sans", "Yu Gothic", "Meiryo"' in text
        assert "jp-InputArea" not in text and "jp-InputPrompt" not in text and "In&nbsp;[" not in text
        assert "municipality_code =" not in text and "import matplotlib" not in text  # no code
        assert '<nav class="toc"' in text and ">概要</a>" in text and ">まとめ</a>" in text  # the notebook's headings
        assert "data:image/png;base64," in text
        assert "<script src" not in text and "<link" not in text  # nothing loaded from elsewhere
        assert "toy warning" not in text  # stderr dropped
        assert '<footer class="provenance">' in text
        assert "<title>トイ報告：" in text
    assert len(sizes) == 4 and sorted(sizes)[len(sizes) // 2] < BUDGET
    muni = out_year / PREF / "322016_松江市"
    html = (muni / "toy_report.html").read_text(encoding="utf-8")
    assert 'href="toy_report_figures.csv"' in html
    assert (muni / "toy_report_figures.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    pref_mode = (out_year / PREF / "prefecture" / "toy_report.html").read_text(encoding="utf-8")
    assert "都道府県 32" in pref_mode


@pytest.mark.slow
def test_index_pages(batch):
    out_year = batch.out_year
    top = (out_year / "index.html").read_text(encoding="utf-8")
    assert '<html lang="ja">' in top and '<input type="search" id="search"' in top
    assert '"Hiragino Kaku Gothic ProN"' in top and "<script>" in top  # inline filter, no external JS
    assert f'href="{PREF}/322016_松江市/toy_report.html"' in top
    assert 'data-search="322016 松江市 まつえし' in top
    assert "失敗" in top  # the failing report is flagged
    pref = (out_year / PREF / "index.html").read_text(encoding="utf-8")
    assert 'href="322024_浜田市/index.html"' in pref and 'href="prefecture/toy_report.html"' in pref
    muni = (out_year / PREF / "322016_松江市" / "index.html").read_text(encoding="utf-8")
    assert 'href="toy_report.html"' in muni and 'href="../../index.html"' in muni


# --------------------------------------------------------------------------------------------
# resume


@pytest.mark.slow
def test_resume_skips_unchanged_and_rerenders_on_data_change(batch, data_dir, tmp_path):
    out = tmp_path / "reports"
    shutil.copytree(batch.out_year.parent, out)
    data = tmp_path / "processed"
    shutil.copytree(data_dir, data)  # another path, same content: still up to date
    kw = {"notebooks": NOTEBOOKS, "out": out, "data_dir": data, "workers": 2, "progress": False, "cell_timeout": 60}
    out_year = out / "R3"
    before = {k: (out_year / k).stat().st_mtime_ns for k in html_files(out_year)}

    again = render_batch(SCOPES, params_for=fail_one, **kw)
    assert again.skipped == 4 and again.rendered == 0 and len(again.failed) == 1  # only the failed one re-runs
    assert {k: (out_year / k).stat().st_mtime_ns for k in html_files(out_year)} == before

    no_fail = lambda scope, group: {"fail": False}  # noqa: E731
    fixed = render_batch(SCOPES, params_for=no_fail, **kw)  # the failing report now succeeds
    assert fixed.ok and fixed.rendered == 1 and fixed.skipped == 4
    assert not (out_year / PREF / f"{FAILING}_出雲市" / "failed").exists()  # stale failed notebook removed
    assert not (out_year / "failures.csv").exists()
    assert html_files(out_year) == expected_keys()

    (data / "shares.csv").write_text("a,b\n1,3\n", encoding="utf-8")
    changed = render_batch(SCOPES, params_for=no_fail, **kw)
    assert changed.rendered == 5 and changed.reasons == {"data changed": 5}
    manifest = json.loads((out_year / "manifest.json").read_text(encoding="utf-8"))
    assert all(e["status"] == "ok" for e in manifest["reports"].values())

    forced = render_batch(SCOPES[:1], params_for=no_fail, force=True, **kw)
    assert forced.rendered == 1 and forced.reasons == {"forced": 1}


# --------------------------------------------------------------------------------------------
# faults: a worker killed mid-batch


KILL_SCRIPT = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from zaitaku.render.batch import Scope, render_batch, print_summary

    if __name__ == "__main__":
        out, data, sleep = Path(sys.argv[1]), Path(sys.argv[2]), float(sys.argv[3])
        scopes = [Scope("32", "島根県", f"3299{i:02d}", f"町{i}") for i in range(10)]
        summary = render_batch(scopes, notebooks={"toy_report": Path(TOY_PATH)}, out=out, data_dir=data,
                               workers=2, chunk_size=2, params={"sleep": sleep}, progress=False)
        print_summary(summary)
        sys.exit(0 if summary.ok else 1)
    """
).replace("TOY_PATH", repr(str(TOY)))


def _worker_pids(parent_pid: int) -> list[int]:
    import psutil

    pids = []
    for child in psutil.Process(parent_pid).children():
        try:
            cmd = " ".join(child.cmdline())
        except psutil.Error:
            continue
        if "spawn_main" in cmd:
            pids.append(child.pid)
    return pids


@pytest.mark.slow
def test_killed_worker_then_rerun_leaves_complete_set(tmp_path, data_dir):
    import psutil

    script = tmp_path / "batch.py"
    script.write_text(KILL_SCRIPT, encoding="utf-8")
    out = tmp_path / "reports"
    out_year = out / "R3"
    keys = {f"{PREF}/3299{i:02d}_町{i}/toy_report.html" for i in range(10)}
    env = dict(os.environ, PYTHONPATH=str(PROJECT))
    proc = subprocess.Popen([sys.executable, str(script), str(out), str(data_dir), "1.5"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=PROJECT)
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and not (out_year.exists() and html_files(out_year)):
            time.sleep(0.2)
        assert html_files(out_year), "no report appeared"
        victims = _worker_pids(proc.pid)
        assert victims, "no worker process found"
        victim = psutil.Process(victims[0])
        kernels = victim.children()
        os.kill(victim.pid, signal.SIGKILL)
        output, _ = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 1, output  # the report in flight is lost and reported
    assert "WorkerLost" in output
    _, alive = psutil.wait_procs(kernels, timeout=10)
    assert not alive, "the killed worker's kernel was left running"
    done = html_files(out_year)
    assert 8 <= len(done) < 10 and done < keys  # the other worker and the requeued reports carried on

    rerun = subprocess.run([sys.executable, str(script), str(out), str(data_dir), "0"],
                           capture_output=True, text=True, env=env, cwd=PROJECT, timeout=120)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert html_files(out_year) == keys
    manifest = json.loads((out_year / "manifest.json").read_text(encoding="utf-8"))
    assert set(manifest["reports"]) == keys
    assert all(e["status"] == "ok" for e in manifest["reports"].values())
    assert not list(out_year.rglob("*.tmp")) and not list(out_year.rglob("failed"))
    assert not (out_year / "failures.csv").exists()


# --------------------------------------------------------------------------------------------
# Dask distributed


@pytest.mark.slow
def test_dask_local_cluster_renders_the_same_reports(batch, data_dir, tmp_path):
    from distributed import LocalCluster

    out = tmp_path / "reports"
    with LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None) as cluster:
        summary = render_batch(SCOPES, notebooks=NOTEBOOKS, out=out, data_dir=data_dir,
                               scheduler=cluster.scheduler_address, params_for=fail_one, progress=False,
                               cell_timeout=60)
    out_year = out / "R3"
    assert html_files(out_year) == html_files(batch.out_year)
    for key in html_files(out_year):
        assert (out_year / key).read_bytes() == (batch.out_year / key).read_bytes(), key
    assert [j.key for j, _ in summary.failed] == [j.key for j, _ in batch.failed]
    local = json.loads((batch.out_year / "manifest.json").read_text(encoding="utf-8"))["reports"]
    dask = json.loads((out_year / "manifest.json").read_text(encoding="utf-8"))["reports"]
    assert {k: (e["status"], e["hash"]) for k, e in dask.items()} == {
        k: (e["status"], e["hash"]) for k, e in local.items()
    }


# --------------------------------------------------------------------------------------------
# the command line


@pytest.mark.slow
def test_cli_render_exit_code_and_index_path(tmp_path, data_dir):
    out = tmp_path / "reports"
    cmd = [sys.executable, "-m", "zaitaku.cli", "render", "--municipality", "322016", "浜田市",
           "--groups", "toy_report", "--notebooks", str(TOY.parent), "--out", str(out),
           "--data-dir", str(data_dir), "--workers", "1", "--quiet"]
    ok = subprocess.run(cmd, capture_output=True, text=True, cwd=PROJECT, timeout=120)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert ok.stdout.strip().splitlines()[-1] == str(out.resolve() / "R3" / "index.html")
    assert html_files(out / "R3") == {f"{PREF}/322016_松江市/toy_report.html", f"{PREF}/322024_浜田市/toy_report.html"}
    bad = subprocess.run([*cmd, "-p", "fail=true"], capture_output=True, text=True, cwd=PROJECT, timeout=120)
    assert bad.returncode == 1
    assert "ValueError" in bad.stderr and "Traceback" not in bad.stderr
    assert (out / "R3" / "failures.csv").is_file()


def test_data_fingerprint_ignores_ingest_time_but_not_data(processed_dir, tmp_path):
    import json
    import shutil

    from zaitaku.render.batch import data_fingerprint

    copy = tmp_path / "processed"
    shutil.copytree(processed_dir, copy)
    before = data_fingerprint(copy)
    meta_path = copy / "ingest_meta.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta["years"]["R3"]["created"] = "2000-01-01T00:00:00+00:00"  # the same raw files ingested at another time
    meta_path.write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    assert data_fingerprint(copy) == before
    meta["years"]["R3"]["synthetic"] = not meta["years"]["R3"]["synthetic"]
    meta_path.write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    assert data_fingerprint(copy) != before


# --------------------------------------------------------------------------------------------
# one request per report (zaitaku.render.cells) against papermill's request per cell


OUTPUT_KINDS = [  # every kind of output nbclient files under a cell, and an error that stops the run
    "municipality_code = ''\nfail = False",
    "print('out 1'); import sys; print('err 1', file=sys.stderr); print('out 2')",
    "from IPython.display import HTML, Markdown, clear_output, display, update_display\n"
    "display(HTML('<b>shown then cleared</b>')); clear_output(wait=True); display(Markdown('**after clear**'))",
    "h = display(HTML('<i>first</i>'), display_id='d1')",
    "update_display(HTML('<i>updated</i>'), display_id='d1'); 6 * 7",
    "%%capture cap\nprint('captured, not shown')",
    "print(cap.stdout.strip()); {'a': 1}",
    "if fail:\n    raise ValueError(f'failed in {municipality_code}')\nprint('not failed')",
    "print('after the failing cell')",
]


def _kinds_notebook(tmp_path: Path) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# 出力の種類")]
    nb.cells += [nbformat.v4.new_code_cell(src) for src in OUTPUT_KINDS]
    nb.cells[1].metadata["tags"] = ["parameters"]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = tmp_path / "kinds.ipynb"
    nbformat.write(nb, path)
    return path


@pytest.mark.slow
@pytest.mark.parametrize("fail", [False, True])
def test_one_request_per_report_files_outputs_as_papermill_does(tmp_path, fail):
    path = _kinds_notebook(tmp_path)
    job = Job(key="k.html", group="kinds", notebook=str(path), parameters={"municipality_code": "322016", "fail": fail},
              code="322016", name="x", pref_code="32", prefecture="島根県")
    results = {}
    for execution in ("papermill", "cells"):  # papermill's engine is the truth here
        w = Worker(WorkerSettings(cell_timeout=60, execution=execution))
        try:
            nb, err = w.execute(job, dict(job.parameters))
            res = w.run(job)
        finally:
            w.close()
        stderr = [o.get("text") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
                  if o.get("name") == "stderr"]
        results[execution] = (_normalized_outputs(nb), stderr, err and err[:2], res.status, res.cell_index,
                              res.execution_count, res.html)
    assert results["cells"] == results["papermill"]
    outputs, stderr, err, status, cell_index, _, html = results["cells"]
    assert stderr == ["err 1\n"]
    assert ("after clear" in "".join(outputs)) and ("shown then cleared" not in "".join(outputs))
    assert "updated" in "".join(outputs) and "first" not in "".join(outputs)
    if fail:
        assert status == "failed" and err[0] == "ValueError"
        assert "raise ValueError" in OUTPUT_KINDS[cell_index - 1]  # index in the source notebook (1 markdown cell)
        assert not any("after the failing cell" in o for o in outputs)
    else:
        assert status == "ok" and "after the failing cell" in html and "42" in html


def test_shared_charts_are_pruned_to_the_newest(tmp_path):
    from zaitaku.render.batch import prune_charts

    for i in range(10):
        p = tmp_path / f"{i:02d}.svg"
        p.write_text("<svg/>", encoding="utf-8")
        os.utime(p, ns=(i * 10**9, i * 10**9))
    (tmp_path / "other.txt").write_text("x", encoding="utf-8")
    assert prune_charts(tmp_path, 3) == 7
    assert sorted(p.name for p in tmp_path.iterdir()) == ["07.svg", "08.svg", "09.svg", "other.txt"]

"""Faults and bad input for ``zaitaku render``: each case injects the fault and asserts the outcome.

Fast cases work on small hand-built data; the few that need a kernel or a subprocess are marked
``slow`` (run them singly).
"""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from zaitaku.ingest.problems import COLUMNS_JA as PROBLEM_COLUMNS_JA
from zaitaku.render.batch import RenderError, batch_lock, render_batch, sweep_temp_files
from zaitaku.render.data import DataError, data_lock
from zaitaku.render.manifest import Manifest
from zaitaku.render.plan import ReservedParameterError, check_parameters
from zaitaku.render.results import write_failures
from zaitaku.render.scope import Scope, SelectionError, check_year, find_notebooks
from zaitaku.render.site import build_indexes

pytestmark = pytest.mark.filterwarnings("ignore:The inplace keyword")
PROJECT = Path(__file__).resolve().parents[1]
FIXTURES = PROJECT / "tests" / "fixtures"
TOY = FIXTURES / "toy_report.ipynb"
MUTATING = FIXTURES / "mutating_report.ipynb"
MATSUE = Scope("32", "島根県", "322016", "松江市", "まつえし")
HAMADA = Scope("32", "島根県", "322024", "浜田市", "はまだし")


def cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(PROJECT))
    return subprocess.run([sys.executable, "-m", "zaitaku.cli", "render", *args], capture_output=True, text=True,
                          cwd=PROJECT, env=env, timeout=timeout)


def tiny_processed(d: Path) -> Path:
    """A processed folder with two municipalities (the layout ``zaitaku ingest`` writes, by hand)."""
    d.mkdir(parents=True, exist_ok=True)
    munis = pd.DataFrame({"code": ["322016", "322024"], "pref_code": ["32", "32"], "prefecture": ["島根県"] * 2,
                          "name": ["松江市", "浜田市"], "responded": [True, True]})
    responses = pd.DataFrame({"survey_year": ["R3"] * 4, "municipality_code": ["322016", "322016", "322024", "322024"],
                              "question_id": ["q1", "q2", "q1", "q2"], "row_id": [""] * 4,
                              "option_id": ["1", "2", "1", "1"], "value": pd.array([1, 1, 0, 1], dtype="Int8")})
    shares = pd.DataFrame({"scope": ["national", "national"], "scope_code": ["", ""], "question_id": ["q1", "q2"],
                           "option_id": ["1", "1"], "n_selected": pd.array([1, 1], dtype="Int64"),
                           "n_base": pd.array([2, 2], dtype="Int64"), "share": [0.5, 0.5]})
    munis.to_parquet(d / "municipalities.parquet", index=False)
    responses.to_parquet(d / "responses.parquet", index=False)
    shares.to_parquet(d / "shares.parquet", index=False)
    (d / "problems.csv").write_text(",".join(PROBLEM_COLUMNS_JA.values()) + "\n", encoding="utf-8")
    (d / "ingest_meta.json").write_text(json.dumps({"survey_year": "R3", "synthetic": True}), encoding="utf-8")
    return d


# --------------------------------------------------------------------------------------------
# 2. warm kernels: a notebook that changes the loaded data does not change the next report


MUTATIONS = {
    "column replaced": lambda d: d.municipalities.__setitem__("name", "XXX"),
    "text cell set in place": lambda d: d.municipalities.loc.__setitem__((0, "name"), "XXX"),
    "float cells set in place": lambda d: d.shares.loc.__setitem__((slice(None), "share"), 0.0),
    "Int8 cell set in place": lambda d: d.responses.loc.__setitem__((0, "value"), 0),
    "row dropped in place": lambda d: d.responses.drop(index=0, inplace=True),
    "meta changed": lambda d: d.meta.__setitem__("synthetic", False),
    "derived index entry replaced": lambda d: d._shares_by_question.__setitem__("q1", d.shares.iloc[0:0]),
    "derived index entry removed": lambda d: d._responses_by_code.pop(next(iter(d._responses_by_code))),
    "float buffer written through .array": lambda d: d.shares["share"].array.__setitem__(0, 0.0),
    "Int8 buffer written through .array": lambda d: d.responses["value"].array.__setitem__(0, 0),
    "float buffer written through .values": lambda d: d.shares["share"].values.__setitem__(0, 0.0),
    "index name changed": lambda d: setattr(d.shares.index, "name", "x"),
    "columns renamed in place": lambda d: d.shares.rename(columns={"share": "s"}, inplace=True),
}


@pytest.mark.parametrize("how", list(MUTATIONS))
def test_fingerprint_sees_every_kind_of_in_place_change(tmp_path, how):
    from zaitaku.analysis import processed
    from zaitaku.render.kernel_reset import data_fingerprint, same

    processed.forget_loaded()
    data = processed.load_processed(tiny_processed(tmp_path / "p"))
    data.question_shares("q1")  # the derived indexes exist before the change
    data.municipality_responses(str(data.responses["municipality_code"].iloc[0]))
    before = data_fingerprint(data)
    assert all(same(before[k], v) for k, v in data_fingerprint(data).items())  # unchanged: same
    loaded = (data.shares["share"].tolist(), data.responses["value"].tolist(), data.municipalities["name"].tolist())
    try:
        MUTATIONS[how](data)
    except ValueError as exc:  # the cached buffers are read-only: the write was refused, nothing changed
        assert "read-only" in str(exc), exc
        assert (data.shares["share"].tolist(), data.responses["value"].tolist(),
                data.municipalities["name"].tolist()) == loaded
    else:
        after = data_fingerprint(data)
        assert not all(same(before[k], after[k]) for k in before), how
    finally:
        processed.forget_loaded()


def test_a_change_to_a_handed_out_derived_frame_does_not_reach_the_cache(tmp_path):
    """The derived index is checked by identity only: what the accessors hand out must be a copy."""
    from zaitaku.analysis import processed
    from zaitaku.render.kernel_reset import data_fingerprint, same

    processed.forget_loaded()
    try:
        data = processed.load_processed(tiny_processed(tmp_path / "p"))
        handed = data.question_shares("q1")
        before = data_fingerprint(data)
        share = float(handed["share"].iloc[0])
        handed.loc[handed.index[0], "share"] = share + 0.25  # through pandas, as a notebook would
        assert float(data.question_shares("q1")["share"].iloc[0]) == share  # the cache kept its value
        assert float(data.shares.loc[data.shares["question_id"] == "q1", "share"].iloc[0]) == share
        assert all(same(before[k], v) for k, v in data_fingerprint(data).items())
    finally:
        processed.forget_loaded()


def _mutating_job(code: str, data_dir: Path, mutate: bool):
    from zaitaku.render.worker import Job

    p = {"municipality_code": code, "prefecture": "", "survey_year": "R3", "data_dir": str(data_dir),
         "national": "computed", "mutate": mutate}
    return Job(key=f"{code}.html", group="mutating_report", notebook=str(MUTATING), parameters=p, code=code,
               name="x", pref_code="32", prefecture="島根県")


def _printed(worker, job) -> str:
    nb, err = worker.execute(job, dict(job.parameters, figures_csv=""))
    assert err is None, err
    return "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
                   if o.get("name") == "stdout").strip()


@pytest.mark.slow
@pytest.mark.parametrize("preloaded", [False, True], ids=["loaded-by-first-report", "loaded-at-kernel-setup"])
def test_mutating_notebook_does_not_change_the_next_report_on_a_warm_kernel(tmp_path, preloaded):
    from zaitaku.render.worker import Worker, WorkerSettings, notebook_imports

    data = tiny_processed(tmp_path / "processed")
    # preloaded: as render_batch starts its kernels, the data loaded during the kernel's setup
    settings = WorkerSettings(preload=tuple(notebook_imports(MUTATING)), cell_timeout=60,
                              data_dir=str(data) if preloaded else "")
    fresh = Worker(settings)
    try:
        truth = _printed(fresh, _mutating_job("322024", data, False))
    finally:
        fresh.close()
    assert truth == "浜田市 1.0 3"  # by hand: shares 0.5 + 0.5, values 1 + 1 + 0 + 1

    warm = Worker(settings)
    try:
        warm.warm_up()
        warm.kernel.prepare()  # waits for the setup
        loaded = "__import__('zaitaku.analysis.processed', fromlist=['x']).loaded_count()"
        warm.kernel.run(f"assert {loaded} == {int(preloaded)}, {loaded}")  # raises if not
        assert _printed(warm, _mutating_job("322016", data, True)) == "XXX 0.0 0"
        after_first = _printed(warm, _mutating_job("322024", data, False))  # data first loaded, then changed
        assert _printed(warm, _mutating_job("322016", data, True)) == "XXX 0.0 0"
        after_second = _printed(warm, _mutating_job("322024", data, False))  # the reference copy changed
        assert _printed(warm, _mutating_job("322016", data, True)) == "XXX 0.0 0"
        warm.kernel.data_dir = None  # the reset without the data check: the test can tell
        leaked = _printed(warm, _mutating_job("322024", data, False))
        assert warm.kernel.starts == 1
    finally:
        warm.close()
    assert after_first == truth and after_second == truth
    assert leaked == "XXX 0.0 0"


# --------------------------------------------------------------------------------------------
# 4. failures.csv: cells from notebooks and data cannot run as formulas in Excel


def test_failures_csv_neutralises_formulas(tmp_path):
    m = Manifest(tmp_path / "manifest.json", "R3")
    evil = {"=cmd|' /C calc'!A0": "@SUM(A1:A9)", "+1+1": "-2+3", "\tx": "\ry"}
    for i, (name, evalue) in enumerate(evil.items()):
        m.set(f"32_島根県/32201{i}_x/g.html", {"status": "failed", "code": f"32201{i}", "name": name,
                                               "prefecture": "島根県", "group": "g",
                                               "error": {"ename": "ValueError", "evalue": evalue}})
    path = write_failures(tmp_path, m)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel opens it as UTF-8
    rows = list(csv.DictReader(path.open(encoding="utf-8-sig", newline="")))
    assert sorted(r["name"] for r in rows) == sorted("'" + n for n in evil)
    assert sorted(r["evalue"] for r in rows) == sorted(["'@SUM(A1:A9)", "'-2+3", "'\ry"])  # a CR cell stays one cell
    assert all(not r[c].startswith(("=", "+", "-", "@", "\t", "\r")) for r in rows for c in r)


# --------------------------------------------------------------------------------------------
# 5. names that become paths; the temp-file sweep


@pytest.mark.parametrize("year", ["../x", "R3/../../x", "..", "", "R99"])
def test_year_must_name_a_codebook(year):
    with pytest.raises(SelectionError, match="コードブック"):
        check_year(year)
    assert check_year("R3") == "R3"


@pytest.mark.parametrize("group", ["../../tests/fixtures/toy_report", "../x", "nope", ".hidden"])
def test_groups_must_name_a_notebook(group):
    with pytest.raises(SelectionError, match="ノートブック"):
        find_notebooks([group], FIXTURES)
    assert find_notebooks(["toy_report"], FIXTURES) == {"toy_report": TOY.resolve()}


def test_cli_refuses_path_arguments_without_writing(tmp_path):
    out = tmp_path / "out" / "reports"
    data = tiny_processed(tmp_path / "processed")
    for extra in (["--year", "../x"], ["--groups", "../../x"], ["--groups", "../fixtures/toy_report"]):
        r = cli("--municipality", "322016", "--notebooks", str(FIXTURES), "--out", str(out),
                "--data-dir", str(data), "--quiet", *(["--groups", "toy_report"] if "--groups" not in extra else []),
                *extra)
        assert r.returncode == 2, r.stdout + r.stderr
        assert "Traceback" not in r.stderr and r.stdout == ""
    assert not (tmp_path / "out").exists() and not (tmp_path / "x").exists()


def test_sweep_touches_only_the_renderers_temp_files_and_not_on_dry_run(tmp_path):
    out = tmp_path / "reports"
    out_year = out / "R3"
    mine = out_year / "32_島根県" / "322016_松江市" / ".toy_report.html.0123456789ab.tmp"
    theirs = [out_year / ".notes.tmp", out_year / "32_島根県" / ".x.txt.0123456789ab.tmp", tmp_path / ".a.html.0123456789ab.tmp"]
    for p in [mine, *theirs]:
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("x")
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / ".b.html.0123456789ab.tmp").write_text("x")
    (out_year / "link").symlink_to(outside, target_is_directory=True)
    render_batch([MATSUE], notebooks={"toy_report": TOY}, out=out, data_dir=tiny_processed(tmp_path / "p"),
                 dry_run=True, progress=False, stream=io.StringIO())
    assert mine.exists()  # a dry run removes nothing
    assert sweep_temp_files(out_year) == 1
    assert not mine.exists() and all(p.exists() for p in theirs)
    assert (outside / ".b.html.0123456789ab.tmp").exists()  # not through a symbolic link


# --------------------------------------------------------------------------------------------
# 6. reserved parameters; a manifest of the wrong shape; data that cannot be loaded


@pytest.mark.parametrize("name", ["municipality_code", "prefecture", "survey_year", "data_dir", "national"])
def test_reserved_parameters_cannot_be_overridden(name, tmp_path):
    with pytest.raises(ReservedParameterError, match=name):
        check_parameters({name: "322024", "sleep": 1})
    assert check_parameters({"sleep": 1}) == {"sleep": 1}
    with pytest.raises(ReservedParameterError):  # nor per report
        render_batch([MATSUE], notebooks={"toy_report": TOY}, out=tmp_path / "r", data_dir=tiny_processed(tmp_path / "p"),
                     dry_run=True, params_for=lambda s, g: {name: "322024"}, stream=io.StringIO())


def test_cli_reserved_parameter_is_one_japanese_line(tmp_path):
    r = cli("--municipality", "322016", "--groups", "toy_report", "--notebooks", str(FIXTURES), "--out",
            str(tmp_path / "r"), "--data-dir", str(tiny_processed(tmp_path / "p")), "-p", "municipality_code=322024")
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.strip().splitlines() == [r.stderr.strip()] and "変更できません" in r.stderr
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize("content", ["null", "[]", '{"reports": []}', '{"reports": {"a": 1}}', "{not json"])
def test_manifest_of_the_wrong_shape_is_set_aside_and_rebuilt_from_disk(tmp_path, content, capsys):
    out_year = tmp_path / "R3"
    for scope in (MATSUE, HAMADA, Scope("32", "島根県")):
        d = out_year / scope.rel_dir
        d.mkdir(parents=True)
        (d / "partnerships.html").write_text(f"<html><head><title>{scope.label} 連携</title></head></html>",
                                             encoding="utf-8")
    (out_year / "manifest.json").write_text(content, encoding="utf-8")
    m = Manifest(out_year / "manifest.json", "R3")
    assert "退避" in capsys.readouterr().err
    assert len(list(out_year.glob("manifest.corrupt-*.json"))) == 1
    assert sorted(m.reports) == ["32_島根県/322016_松江市/partnerships.html", "32_島根県/322024_浜田市/partnerships.html",
                                 "32_島根県/prefecture/partnerships.html"]
    assert m.reports["32_島根県/322024_浜田市/partnerships.html"]["name"] == "浜田市"
    assert m.reason("32_島根県/322016_松江市/partnerships.html", "h", {}, out_year) == "manifest rebuilt"
    top = build_indexes(out_year, m, "R3").read_text(encoding="utf-8")
    assert 'href="32_島根県/322024_浜田市/partnerships.html"' in top  # still in the index
    m.save()
    assert set(json.loads((out_year / "manifest.json").read_text(encoding="utf-8"))["reports"]) == set(m.reports)


def test_data_that_cannot_be_loaded_stops_before_the_first_report(tmp_path):
    nb = nbformat.read(MUTATING, as_version=4)  # imports zaitaku: needs the processed data
    good = tiny_processed(tmp_path / "good")
    cases = {"missing": tmp_path / "empty", "truncated": tmp_path / "trunc", "meta": tmp_path / "meta"}
    cases["missing"].mkdir()
    tiny_processed(cases["truncated"])
    data = (good / "responses.parquet").read_bytes()
    (cases["truncated"] / "responses.parquet").write_bytes(data[: len(data) // 2])
    tiny_processed(cases["meta"])
    (cases["meta"] / "ingest_meta.json").write_text("[]", encoding="utf-8")
    for what, d in cases.items():
        out = tmp_path / f"reports-{what}"
        with pytest.raises(DataError, match="zaitaku ingest"):
            render_batch([MATSUE, HAMADA], notebooks={"mutating_report": MUTATING}, out=out, data_dir=d,
                         progress=False, stream=io.StringIO())
        assert not list(out.rglob("*.html")) and not (out / "R3" / "manifest.json").exists(), what
    assert nb.cells  # the notebook itself is fine
    r = cli("--municipality", "322016", "浜田市", "--groups", "mutating_report", "--notebooks", str(FIXTURES),
            "--out", str(tmp_path / "cli"), "--data-dir", str(cases["truncated"]), "--quiet")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "読めません" in r.stderr


# --------------------------------------------------------------------------------------------
# 8. locks, stderr, Ctrl-C, the timing report


def test_losing_render_keeps_the_winners_pid(tmp_path):
    out_year = tmp_path / "R3"
    with batch_lock(out_year):
        lock = out_year / ".render.lock"
        assert lock.read_text() == str(os.getpid())
        with pytest.raises(RenderError, match=str(os.getpid())), batch_lock(out_year):
            pass
        assert lock.read_text() == str(os.getpid())


def test_render_and_ingest_exclude_each_other_on_the_data_folder(tmp_path):
    from filelock import FileLock, Timeout

    d = tiny_processed(tmp_path / "p")
    ingest_lock = FileLock(str(d / ".zaitaku.lock"), timeout=0.2)  # what zaitaku ingest takes
    with data_lock(d), data_lock(d), pytest.raises(Timeout):  # renders share it; ingest waits
        ingest_lock.acquire()
    with ingest_lock, pytest.raises(DataError, match="取り込み"), data_lock(d, wait=0.5, stream=io.StringIO()):
        pass
    with data_lock(d):
        pass


def test_timing_report_uses_the_batch_kernel_inside_the_lock(tmp_path, monkeypatch):
    import fcntl

    from zaitaku.render import batch

    seen = {}

    def fake(notebooks_dir, out_year, *, force, kernel_name, cell_timeout):
        fd = os.open(out_year / ".render.lock", os.O_RDWR)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            seen["locked"] = False
        except OSError:
            seen["locked"] = True
        finally:
            os.close(fd)
        seen["kernel"] = kernel_name
        return None

    monkeypatch.setattr(batch, "render_timing_report", fake)
    monkeypatch.setattr(batch, "run_local", lambda chunks, settings, workers, on_result: None)
    render_batch([MATSUE], notebooks={"toy_report": TOY}, out=tmp_path / "r", data_dir=tiny_processed(tmp_path / "p"),
                 progress=False, kernel_name="zaitaku-test-kernel", timing_notebooks=FIXTURES,
                 stream=io.StringIO())
    assert seen == {"locked": True, "kernel": "zaitaku-test-kernel"}


@pytest.mark.slow
def test_timing_report_runs_on_the_named_kernel_over_ipc(tmp_path, capfd):
    from zaitaku.paths import NOTEBOOKS_DIR
    from zaitaku.render.timing import TimingReportError, render_timing_report

    with pytest.raises(TimingReportError, match="no-such-kernel"):
        render_timing_report(NOTEBOOKS_DIR, tmp_path, kernel_name="no-such-kernel")
    path = render_timing_report(NOTEBOOKS_DIR, tmp_path)
    assert path is not None and "（ア）" in path.read_text(encoding="utf-8")
    err = capfd.readouterr().err
    assert "unencrypted" not in err.lower() and "Traceback" not in err


@pytest.mark.slow
def test_ctrl_c_stops_cleanly(tmp_path):
    out = tmp_path / "reports"
    env = dict(os.environ, PYTHONPATH=str(PROJECT))
    cmd = [sys.executable, "-m", "zaitaku.cli", "render", "--prefecture", "島根県", "--no-prefecture-mode",
           "--groups", "toy_report", "--notebooks", str(FIXTURES), "--out", str(out), "--data-dir",
           str(tiny_processed(tmp_path / "p")), "--workers", "2", "--quiet", "-p", "sleep=1"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=PROJECT)
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and not list((out / "R3").rglob("toy_report.html")):
            time.sleep(0.2)
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 2, stderr
    assert "中断しました" in stderr
    assert "Task exception was never retrieved" not in stderr and "Traceback" not in stderr, stderr
    manifest = json.loads((out / "R3" / "manifest.json").read_text(encoding="utf-8"))
    assert any(e["status"] == "ok" for e in manifest["reports"].values())  # finished reports recorded

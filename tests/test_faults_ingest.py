"""Fault injection for ingest: kill -9 at every step, mixed sets, duplicates, bad input, paths, lock.

Data: the prefecture fixture CSV (tests/fixtures/prefecture, built at test time from the answer
table) and its drafted map; "old" and "new" data sets differ in which municipalities they hold.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from helpers import cli, fixture_module, ingest_process, kill_ingest_at
from zaitaku.analysis.processed import ProcessedDataError, load_processed, processed_lock
from zaitaku.ingest.draft_map import draft
from zaitaku.ingest.problems import COLUMNS_JA as PROBLEM_COLUMNS_JA

build = fixture_module("prefecture/build.py")


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.name != ".zaitaku.lock"}


@pytest.fixture(scope="module")
def raw(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("faults")
    answers = build.load_answers()
    old = build.excel_csv(d / "old.csv", answers)
    new = build.excel_csv(d / "new.csv", answers.iloc[:10].reset_index(drop=True))
    df, _ = draft([old])
    df.to_csv(d / "map.csv", index=False, encoding="utf-8-sig")
    return {"old": old, "new": new, "map": d / "map.csv", "dir": d}


@pytest.fixture
def old_set(raw, tmp_path) -> Path:
    out = tmp_path / "processed"
    rc, _, err = cli("ingest", raw["old"], "--header-map", raw["map"], "--out", out)
    assert rc == 0, err
    return out


def frames(out: Path) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    d = load_processed(out)
    return d.responses, d.municipalities, d.shares


def same(a, b) -> bool:
    return all(x.equals(y) for x, y in zip(a, b, strict=True))


@pytest.mark.parametrize("step", range(7))
def test_kill_9_at_each_step_leaves_the_old_or_the_new_set(raw, old_set, tmp_path, step):
    old = frames(old_set)
    reference = tmp_path / "reference"
    assert cli("ingest", raw["new"], "--header-map", raw["map"], "--out", reference)[0] == 0
    new = frames(reference)
    kill_ingest_at(step, raw["new"], "--header-map", raw["map"], "--out", old_set)
    got = frames(old_set)
    assert same(got, old) if step < 5 else same(got, new)  # the commit is step 5 (meta replaced)
    # the next ingest runs normally and leaves only its own members
    assert cli("ingest", raw["new"], "--header-map", raw["map"], "--out", old_set)[0] == 0
    assert same(frames(old_set), new)
    names = set(snapshot(old_set))
    assert names == set(snapshot(reference))


def test_a_mixed_set_is_refused(raw, old_set, tmp_path):
    other = tmp_path / "other"
    assert cli("ingest", raw["new"], "--header-map", raw["map"], "--out", other)[0] == 0
    meta = json.loads((old_set / "ingest_meta.json").read_text(encoding="utf-8"))
    target = old_set / meta["years"]["R3"]["members"]["shares"]["file"]
    new_meta = json.loads((other / "ingest_meta.json").read_text(encoding="utf-8"))
    shutil.copy(other / new_meta["years"]["R3"]["members"]["shares"]["file"], target)  # new shares under the old name
    with pytest.raises(ProcessedDataError, match="新旧のデータが混在しているため読み込みを中止しました"):
        load_processed(old_set)


def test_10000_duplicate_rows_give_one_problem_each(raw, tmp_path):
    lines = raw["old"].read_bytes().split(b"\r\n")
    path = tmp_path / "dup.csv"
    path.write_bytes(b"\r\n".join([lines[0]] + [lines[1]] * 10_000) + b"\r\n")
    out = tmp_path / "out"
    rc, _, err = cli("ingest", path, "--header-map", raw["map"], "--out", out)
    assert rc == 0, err
    size = (out / "problems.csv").stat().st_size
    problems = pd.read_csv(out / "problems.csv", dtype=str, encoding="utf-8-sig")
    assert len(problems) == 9_999 and size < 1_300_000
    assert (problems["問題"] == "重複（最初は 2 行目）").all() and (problems["列"] == "A列").all()
    assert list(problems["行"].astype(int)) == list(range(3, 10_002))
    assert load_processed(out).meta["n_municipalities"] == 1


def test_header_only_file_leaves_the_data(raw, old_set, tmp_path):
    before = snapshot(old_set)
    path = tmp_path / "header_only.csv"
    path.write_bytes(raw["old"].read_bytes().split(b"\r\n")[0] + b"\r\n")
    rc, _, err = cli("ingest", path, "--header-map", raw["map"], "--out", old_set)
    assert rc == 2 and "データ行がありません" in err and "処理済みデータは変更していません" in err
    assert "Traceback" not in err and snapshot(old_set) == before


def test_ingest_over_its_own_input_is_refused(raw, old_set):
    before = snapshot(old_set)
    rc, _, err = cli("ingest", old_set / "problems.csv", "--out", old_set)
    assert rc == 2 and "上書き" in err and snapshot(old_set) == before
    meta = load_processed(old_set).meta
    member = old_set / meta["members"]["shares"]["file"]
    rc, _, err = cli("ingest", member, "--out", old_set)
    assert rc == 2 and snapshot(old_set) == before


def test_one_unreadable_file_is_reported_and_the_others_ingested(raw, tmp_path):
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a workbook")
    out = tmp_path / "out"
    rc, stdout, err = cli("ingest", broken, raw["old"], "--header-map", raw["map"], "--out", out)
    assert rc == 1 and "19 市区町村" in stdout
    assert "broken.xlsx: Excel ファイルとして読めません" in err and "Traceback" not in err
    assert load_processed(out).meta["failed_files"][0]["path"] == str(broken)


@pytest.mark.parametrize("case", ["missing", "folder", "garbage"])
def test_bad_header_map_is_one_line(raw, tmp_path, case):
    path = {"missing": tmp_path / "nowhere.csv", "folder": tmp_path}[case] if case != "garbage" else tmp_path / "g.csv"
    if case == "garbage":
        path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\xff\xfe")
    rc, _, err = cli("ingest", raw["old"], "--header-map", path, "--out", tmp_path / "out")
    assert rc == 2 and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert str(path) in err and not (tmp_path / "out").exists()


def test_a_folder_of_raw_files(raw, tmp_path):
    folder = tmp_path / "raw"
    folder.mkdir()
    shutil.copy(raw["old"], folder / "old.csv")
    rc, stdout, _ = cli("ingest", folder, "--header-map", raw["map"], "--out", tmp_path / "out")
    assert rc == 0 and "19 市区町村" in stdout


def test_problems_csv_is_safe_in_excel(raw, tmp_path):
    text = raw["old"].read_bytes().decode("cp932").split("\r\n")
    cells = text[1].split(",")
    cells[0], cells[1] = "", "=cmd|' /C calc'!A0"
    text[1] = ",".join(cells)
    path = tmp_path / "inject.csv"
    path.write_bytes("\r\n".join(text).encode("cp932"))
    out = tmp_path / "out"
    assert cli("ingest", path, "--header-map", raw["map"], "--out", out)[0] == 1  # written, the row left out
    problems = pd.read_csv(out / "problems.csv", dtype=str, encoding="utf-8-sig")
    assert list(problems.columns) == list(PROBLEM_COLUMNS_JA.values())
    assert problems["値"].tolist() == ["'=cmd|' /C calc'!A0"]


@pytest.mark.slow  # a separate ingest process reads the files, then waits
def test_ingest_waits_for_the_lock(raw, old_set):
    before = snapshot(old_set)
    with processed_lock(old_set):  # what a render holds while it loads the data
        proc = ingest_process(raw["new"], "--header-map", raw["map"], "--out", old_set)
        assert proc.stderr is not None
        line = proc.stderr.readline()  # said as soon as it finds the lock taken: no sleep needed to see it wait
        assert "終わるのを待っています" in line
        assert proc.poll() is None and snapshot(old_set) == before
    assert proc.wait(timeout=60) == 0
    assert load_processed(old_set).meta["n_municipalities"] == 10

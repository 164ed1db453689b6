"""A prefecture's own files as delivered: drafted maps, ingest, every answer equal to the answer table.

The fixtures are written at test time by tests/fixtures/prefecture/build.py from the separately
kept answer table tests/fixtures/prefecture/answers.csv (invented answers, 19 municipalities of
島根県).
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from helpers import cli, fixture_module
from zaitaku.analysis.processed import load_processed
from zaitaku.ingest.draft_map import draft
from zaitaku.ingest.pipeline import ingest

build = fixture_module("prefecture/build.py")

KEYS = ["municipality_code", "question_id", "row_id", "option_id"]


def md5(path: Path) -> str:
    """md5 of a file, or of every file in a folder."""
    if path.is_dir():
        return hashlib.md5("".join(f"{p.name}:{md5(p)}" for p in sorted(path.iterdir())).encode()).hexdigest()
    return hashlib.md5(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("prefecture")
    return {"compiled": build.compiled_workbook(d / "島根県_集計表.xlsx"), "csv": build.excel_csv(d / "島根県_回答.csv"),
            "forms": build.forms_folder(d / "調査票")}


@pytest.fixture(scope="module")
def expected() -> pd.DataFrame:
    return build.expected_tidy()


def mismatches(responses: pd.DataFrame, expected: pd.DataFrame) -> pd.DataFrame:
    got = responses[[*KEYS, "value"]]
    m = expected.merge(got, on=KEYS, how="outer", suffixes=("_want", "_got"), indicator=True)
    same = (m["_merge"] == "both") & (m["value_want"].fillna(-1).astype(int) == m["value_got"].fillna(-1).astype(int))
    return m[~same]


@pytest.mark.parametrize("kind", ["compiled", "csv", "forms"])
def test_drafted_map_needs_no_edits_and_ingest_equals_the_answer_table(kind, files, expected, tmp_path):
    raw = files[kind]
    before = md5(raw)
    rc, out, _ = cli("draft-map", raw, "--out", tmp_path / "map.csv")
    assert rc == 0 and "要確認 0 行" in out
    drafted = pd.read_csv(tmp_path / "map.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert (drafted["review"] == "").all()
    rc, out, err = cli("ingest", raw, "--header-map", tmp_path / "map.csv", "--out", tmp_path / "out",
                       "--prefecture", "島根県")
    assert rc == 0, err
    assert "19 市区町村" in out
    data = load_processed(tmp_path / "out")
    assert mismatches(data.responses, expected).empty  # every (municipality, question, row, option)
    problems = pd.read_csv(tmp_path / "out" / "problems.csv", dtype=str, encoding="utf-8-sig")
    assert list(problems.columns) == ["ファイル", "行", "列", "値", "問題", "対応", "種類", "市区町村コード"]
    # not-applicable marks (―, 該当なし, 対象外 …) are read as not asked without a problem row each
    assert set(problems["問題"]) <= {"合計行を読み飛ばしました", "注記行を読み飛ばしました"}
    assert md5(raw) == before


def test_compiled_workbook_layout_is_found(files):
    from zaitaku.ingest.pipeline import read_table

    t = read_table(files["compiled"])
    assert t.grid.sheet == "集計表"  # the remarks sheet in front is skipped
    assert [r + 1 for r in t.header_rows] == [4, 5, 6, 7]  # under the title rows
    assert len(t.data_rows) == 19
    assert [(r + 1, what) for r, _, what in t.skipped] == [(27, "合計行"), (29, "注記行"), (30, "注記行")]
    assert t.grid.hidden_cols == {4}  # column E: last year's 問1
    assert t.headers[3] == t.headers[4]


def test_hidden_duplicate_in_the_draft_is_ignored_by_column(files):
    df, failed = draft([files["compiled"]])
    assert not failed
    q1 = df[df["header"].str.startswith("問1 |") & (df["kind"] != "value")]
    assert q1[["kind", "question_id", "column"]].values.tolist() == [["answer", "q1", "D"], ["ignore", "", "E"]]
    values = df[df["kind"] == "value"][["header", "question_id", "option_id"]].values.tolist()
    assert values == [["設置済", "q1", "1"], ["未設置", "q1", "2"]]  # the prefecture's wording of 問1


def test_hidden_duplicate_with_a_typed_map_fails_loudly(files, expected, tmp_path):
    df, _ = draft([files["compiled"]])
    df.loc[df["header"].str.startswith("問1 |") & (df["kind"] != "value"), ["kind", "question_id", "column"]] = \
        ["answer", "q1", ""]  # what a person typing headers would write: one row for the header
    typed = df.drop_duplicates(subset=["header", "kind", "question_id", "row_id", "option_id", "column"])
    typed.to_csv(tmp_path / "typed.csv", index=False, encoding="utf-8-sig")
    rc, _, err = cli("ingest", files["compiled"], "--header-map", tmp_path / "typed.csv", "--out",
                     tmp_path / "out", "--prefecture", "島根県")
    assert rc == 1 and "警告" in err and "1 列を読みませんでした" in err
    problems = pd.read_csv(tmp_path / "out" / "problems.csv", dtype=str, encoding="utf-8-sig")
    clash = problems[problems["問題"].str.contains("同じ対応先")]
    assert len(clash) == 1
    row = clash.iloc[0]
    assert row["列"].startswith("E列") and "（非表示）" in row["列"] and "D列" in row["問題"]
    assert row["対応"].startswith("D列を使い、E列は読みませんでした")
    assert mismatches(load_processed(tmp_path / "out").responses, expected).empty  # the visible 問1 won


def test_only_names_matched_stops_with_a_message(files, tmp_path):
    out = tmp_path / "out"
    rc, stdout, err = cli("ingest", files["compiled"], "--out", out)  # the standard layout's map
    assert rc == 2 and not (out / "ingest_meta.json").exists()
    assert "回答の列が 0 問分しか対応付けられませんでした" in err and "zaitaku draft-map" in err
    assert "Traceback" not in err + stdout
    assert all(line.startswith("zaitaku ingest: ") for line in err.strip().splitlines())


def test_nationally_ambiguous_name_is_read_in_the_prefecture_the_file_holds(files, tmp_path):
    """美郷町 is in 秋田県, 島根県 and 宮崎県: the other 18 names are all 島根県's, so it is 島根県's."""
    df, _ = draft([files["compiled"]])
    df.to_csv(tmp_path / "map.csv", index=False, encoding="utf-8-sig")
    result = ingest([files["compiled"]], header_map=tmp_path / "map.csv")
    assert result.problems[result.problems["value"] == "美郷町"].empty
    assert "324485" in set(result.responses["municipality_code"])
    assert result.n_municipalities == 19
    other = ingest([files["compiled"]], header_map=tmp_path / "map.csv", prefecture="宮崎県")
    assert set(other.responses["municipality_code"]) == {"454311"}  # a stated prefecture wins over the inference


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp932"])
def test_map_saved_by_excel_in_any_encoding(files, expected, tmp_path, encoding):
    df, _ = draft([files["csv"]])
    df.to_csv(tmp_path / "map.csv", index=False, encoding=encoding)
    result = ingest([files["csv"]], header_map=tmp_path / "map.csv")
    assert mismatches(result.responses, expected).empty


def test_excel_error_cells_are_problems(files, tmp_path):
    path = tmp_path / "errors.xlsx"
    shutil.copy(files["compiled"], path)
    wb = openpyxl.load_workbook(path)
    ws = wb["集計表"]
    ws["C8"] = "#N/A"
    ws["C8"].data_type = "e"
    ws["F9"] = "=1/0"  # a formula without a cached value (never calculated)
    wb.save(path)
    df, _ = draft([files["compiled"]])
    df.to_csv(tmp_path / "map.csv", index=False, encoding="utf-8-sig")
    result = ingest([path], header_map=tmp_path / "map.csv", prefecture="島根県")
    p = result.problems[result.problems["problem"].str.contains("Excel|数式")]
    assert [(int(r), c[:2], v) for r, c, v in p[["row", "column", "value"]].values] == [
        (8, "C列", "#N/A"), (9, "F列", "=1/0")]
    assert list(p["action"]) == ["この設問は未回答として扱いました",  # 担当部署: the question
                                 "問2の『郡市区医師会』の行を未回答として扱いました"]  # a matrix: only its row


def test_two_marks_in_a_single_choice_grid_row(files, tmp_path):
    path = tmp_path / "two_marks.xlsx"
    shutil.copy(files["compiled"], path)
    wb = openpyxl.load_workbook(path)
    ws = wb["集計表"]
    f_to_j = [ws.cell(7, c).value for c in range(6, 11)]  # 問2 郡市区医師会 A–E in F:J
    assert [str(v)[0] for v in f_to_j] == list("ABCDE")
    ws["F8"], ws["G8"] = "○", "○"
    wb.save(path)
    df, _ = draft([files["compiled"]])
    df.to_csv(tmp_path / "map.csv", index=False, encoding="utf-8-sig")
    result = ingest([path], header_map=tmp_path / "map.csv", prefecture="島根県")
    p = result.problems[result.problems["problem"].str.contains("印が 2 つ")]
    assert [(int(r), c) for r, c in p[["row", "column"]].values] == [(8, "F列・G列")]
    assert list(p["action"]) == ["問2の『郡市区医師会』の行を未回答として扱いました"]  # that row, not the question
    na = result.responses.query("municipality_code == '322016' and question_id == 'q2' and row_id == 'med_assoc'")
    assert na.set_index("option_id")["value"].to_dict() == {"A": 0, "B": 0, "C": 0, "D": 0, "E": 0, "na": 1}


def test_forms_are_one_municipality_each_and_problems_name_the_cell(files, tmp_path):
    folder = tmp_path / "forms"
    shutil.copytree(files["forms"], folder)
    df, failed = draft([folder])
    assert not failed and (df["confidence"] >= 80).all()
    df.to_csv(tmp_path / "map.csv", index=False, encoding="utf-8-sig")
    path = folder / "調査票_松江市.xlsx"
    wb = openpyxl.load_workbook(path)
    ws = wb.active
    assert (ws["A6"].value, ws["A7"].value) == ("問1", "回答")
    ws["B7"] = 7
    wb.save(path)
    result = ingest([folder], header_map=tmp_path / "map.csv", prefecture="島根県")
    assert result.n_municipalities == 19  # 隠岐の島町's form names it only in the file name
    assert result.problems[["file", "column", "value"]].values.tolist() == [
        ["調査票_松江市.xlsx", "セル B7「問1 | 回答」", "7"]]


def test_a_header_written_excel_safe_in_the_map_still_matches(tmp_path):
    from zaitaku.files import atomic
    from zaitaku.ingest.layout import read_header_map
    from zaitaku.reference.codebook import load_codebook

    atomic.write_csv(pd.DataFrame([{"header": "-問1", "kind": "answer", "question_id": "q1", "row_id": "",
                                    "option_id": ""}]), tmp_path / "map.csv", excel=True)
    assert "'-問1" in (tmp_path / "map.csv").read_text(encoding="utf-8-sig")
    assert "-問1" in read_header_map(tmp_path / "map.csv", load_codebook("R3"))

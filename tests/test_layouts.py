"""Every layout of tests/fixtures/layouts, read with its drafted map and no edits (issue 22).

Per layout: the drafted map ingests without a stop, every municipality is found without
``--prefecture``, ≥ 99% of (municipality, question, row) cells equal the answer table, no wrong
cell without a problem row of that municipality naming its question (``q2: …``), and the raw files are
byte-identical afterwards.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from helpers import fixture_module
from zaitaku.ingest.draft_map import draft
from zaitaku.ingest.pipeline import ingest

gen = fixture_module("layouts/generate.py")



def _md5s(path: Path) -> dict[str, str]:
    files = sorted(path.rglob("*")) if path.is_dir() else [path]
    return {str(f): hashlib.md5(f.read_bytes()).hexdigest() for f in files if f.is_file()}


def observed(responses: pd.DataFrame) -> tuple[dict, dict]:
    obs, texts = {}, {}
    for (code, q, row), g in responses.groupby(["municipality_code", "question_id", "row_id"], sort=False):
        if g["value"].isna().all():
            v: object = "not_asked"
        elif (g.loc[g.option_id == "na", "value"] == 1).any():
            v = "blank"
        else:
            v = tuple(sorted(g.loc[g["value"] == 1, "option_id"], key=str))
        obs[(code, q, row)] = v
        for r in g[g.free_text.notna()].itertuples():
            texts[(code, q, row, r.option_id)] = r.free_text
    return obs, texts


def judge(want: dict, obs: dict, problems: pd.DataFrame) -> tuple[list, list]:
    """The wrong (municipality, question, row) cells, and those of them no problem row reports: reported means a
    row of that municipality naming that question (``q2: …``), as in tests/test_forms.py."""
    named = set(zip(problems["code"], problems["problem"].str.split(":").str[0], strict=True))
    wrong = [(k, v, obs.get(k)) for k, v in want.items() if obs.get(k) != v]
    return wrong, [w for w in wrong if (w[0][0], w[0][1]) not in named]


def truth(layout: str) -> dict:
    """The answer table's cells of the municipalities ``layout`` writes."""
    want, _ = gen.expected(gen.LAYOUTS[layout][1])
    codes = gen.codes_written(layout)
    return {k: v for k, v in want.items() if k[0] in codes}


def run_layout(layout: str, tmp: Path) -> dict:
    write, pref = gen.LAYOUTS[layout]
    raw = write(tmp)
    before = _md5s(raw)
    wrong = gen.WRONG_FILES.get(layout)
    map_df, failed = draft([raw])
    assert [Path(f.split(":")[0]).name for f in failed] == ([wrong] if wrong else []), failed
    map_path = tmp / "map.csv"
    map_df.to_csv(map_path, index=False, encoding="utf-8-sig")
    result = ingest([raw], header_map=map_path, strict=False)
    assert [Path(f).name for f, _ in result.failed] == ([wrong] if wrong else []), result.failed
    assert _md5s(raw) == before, "raw files changed"
    want, want_texts = gen.expected(pref)
    codes = gen.codes_written(layout)
    want = {k: v for k, v in want.items() if k[0] in codes}
    obs, texts = observed(result.responses)
    found = {k[0] for k in obs}
    wrong, silent = judge(want, obs, result.problems)
    text_lost = [k for k, t in want_texts.items() if k[0] in codes and texts.get(k) != t]
    return {"missing": sorted(codes - found), "n": len(want), "right": len(want) - len(wrong), "wrong": wrong,
            "silent": silent, "text_lost": text_lost, "map": map_df}


@pytest.mark.parametrize("layout", sorted(gen.LAYOUTS))
def test_layout_read_with_drafted_map(layout: str, tmp_path: Path) -> None:
    res = run_layout(layout, tmp_path)
    assert res["missing"] == [], f"municipalities not found: {res['missing']}"
    assert not res["silent"], f"silently wrong cells: {res['silent'][:5]}"
    assert res["right"] >= 0.99 * res["n"], f"{res['right']}/{res['n']} cells right; e.g. {res['wrong'][:5]}"
    if layout in gen.TEXT_LAYOUTS:
        assert not res["text_lost"], f"その他 text lost: {res['text_lost'][:5]}"


def test_ingest_meta_counts_cells_read_under_guesses(tmp_path: Path) -> None:
    """A map row left 要確認 shows in ingest_meta.json's per-question summary as cells read under a guess."""
    raw = gen.write_excel_csv(tmp_path)
    map_df, _ = draft([raw])
    map_df.loc[map_df["header"] == "問1", "review"] = "要確認"
    map_path = tmp_path / "map.csv"
    map_df.to_csv(map_path, index=False, encoding="utf-8-sig")
    meta = ingest([raw], header_map=map_path).meta
    n = len(gen.codes_written("excel_csv"))
    assert meta["questions"]["q1"] == {"number": "問1", "cells": n, "rules": {"answer": n}, "guessed": n,
                                       "problems": 0}
    assert meta["questions"]["q2"]["cells"] == 10 * n and meta["questions"]["q2"]["guessed"] == 0
    assert meta["prefecture_inferred"] == [  # used only for names several prefectures share
        {"file": "excel_r3.csv", "prefecture": "02", "how": "一意に決まる市区町村名 8 件がすべて青森県"}]


def _damage_transposed(path: Path) -> tuple[int, str]:
    wb = openpyxl.load_workbook(path)
    ws = wb.active
    row = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "問1")
    ws.cell(row, 5, 9)  # E: the second municipality
    wb.save(path)
    return row, "E列"


def _damage_multisheet(path: Path) -> tuple[int, str]:
    wb = openpyxl.load_workbook(path)
    ws = wb["partnerships"]
    col = next(c for c in range(1, ws.max_column + 1) if str(ws.cell(1, c).value).startswith("問1 "))
    ws.cell(4, col, 9)
    wb.save(path)
    return 4, f"シート「partnerships」 {openpyxl.utils.get_column_letter(col)}列"


def _damage_long(path: Path) -> tuple[int, str]:
    lines = path.read_text(encoding="utf-8-sig").split("\n")
    i = next(i for i, line in enumerate(lines) if ",問1,," in line and line.split(",")[0] == "322024")
    cells = lines[i].split(",")
    cells[4], cells[5] = "9", "1"
    lines[i] = ",".join(cells)
    path.write_bytes(("\ufeff" + "\n".join(lines)).encode("utf-8"))
    return i + 1, "E列"


@pytest.mark.parametrize(("layout", "damage"), [("transposed", _damage_transposed),
                                                ("multisheet", _damage_multisheet), ("long", _damage_long)])
def test_reshaped_layouts_name_the_cell_as_delivered(layout, damage, tmp_path: Path) -> None:
    """A bad answer in a reshaped layout is a problem naming the file's own row and column."""
    raw = gen.LAYOUTS[layout][0](tmp_path)
    map_df, _ = draft([raw])
    row, col = damage(raw)
    map_path = tmp_path / "map.csv"
    map_df.to_csv(map_path, index=False, encoding="utf-8-sig")
    result = ingest([raw], header_map=map_path)
    problems = result.problems
    bad = problems[problems["value"] == "9"]
    assert len(bad) == 1, problems.to_string()
    assert bad.iloc[0]["row"] == str(row) and bad.iloc[0]["column"].startswith(f"{col}「"), bad.iloc[0].to_dict()
    assert bad.iloc[0]["problem"].startswith("q1:") and bad.iloc[0]["kind"] == "read_as_blank"
    wrong, silent = judge(truth(layout), observed(result.responses)[0], problems)
    assert [w[0] for w in wrong] == [(bad.iloc[0]["code"], "q1", "")] and silent == []
    elsewhere = problems.copy()  # the same problem row given to another municipality: the cell is then silent
    elsewhere.loc[bad.index, "code"] = next(c for c in sorted(gen.codes_written(layout)) if c != bad.iloc[0]["code"])
    assert judge(truth(layout), observed(result.responses)[0], elsewhere)[1] == wrong


def test_a_municipality_missing_from_one_question_group_sheet_is_not_silent(tmp_path):
    """Multi-sheet workbook with one municipality's row deleted from one question-group sheet: its questions on
    that sheet are 未回答, and a problem row of that municipality says which sheet lacked it."""
    path = gen.write_multisheet(tmp_path)
    wb = openpyxl.load_workbook(path)
    groups = [ws for ws in wb.worksheets if ws.title not in ("表紙", "注意事項", "集計")]
    sheet = groups[1]
    code = str(sheet.cell(3, 1).value)
    sheet.delete_rows(3)
    wb.save(path)
    df, _ = draft([path])
    df.to_csv(tmp_path / "map.csv", index=False, encoding="utf-8-sig")
    result = ingest([path], header_map=tmp_path / "map.csv", strict=False)
    full = next(c for c in result.municipalities["code"] if c.startswith(code.zfill(6)[:5]))
    mine = result.problems[result.problems["code"] == full]
    on_sheet = [q for q in gen.CB if q.group[:28] == sheet.title]
    assert list(mine["problem"]) == [f"{q.id}: シート「{sheet.title}」にこの市区町村の行がありません" for q in on_sheet]
    assert list(mine["action"]) == [f"{q.number.replace(' ', '')}を未回答として扱いました" for q in on_sheet]
    assert set(mine["kind"]) == {"read_as_blank"}
    wrong, silent = judge(truth("multisheet"), observed(result.responses)[0], result.problems)
    assert wrong and {w[0][:2] for w in wrong} <= {(full, q.id) for q in on_sheet} and silent == []


def test_transposed_municipality_problems_name_the_cell_of_the_value(tmp_path: Path) -> None:
    """A code that contradicts the name above it, in the 市町村別一覧: the problem names the code's own cell (its
    row and the municipality's column as delivered), not the row of the names or the swapped sheet's letters."""
    path = gen.write_transposed(tmp_path)
    wb = openpyxl.load_workbook(path)
    ws = wb.active
    ws.cell(4, 5, ws.cell(4, 6).value)  # E4: the second municipality given the third one's code
    wb.save(path)
    map_df, _ = draft([path])
    map_df.to_csv(tmp_path / "map.csv", index=False, encoding="utf-8-sig")
    problems = ingest([path], header_map=tmp_path / "map.csv", strict=False).problems
    bad = problems[problems["problem"].str.contains("が一致しません")]
    assert len(bad) == 1, problems.to_string()
    assert bad.iloc[0]["row"] == "4" and bad.iloc[0]["column"].startswith("E列「"), bad.iloc[0].to_dict()

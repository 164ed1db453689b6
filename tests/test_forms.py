"""Filled 調査票 (zaitaku.ingest.forms), one per municipality, in every style of tests/fixtures/forms/generate.py.

The generator (which never imports zaitaku.ingest) writes each style from its own answer table, printing 問1, 問4 ①-1,
問7 and the matrices 問3 and 問4 ①-3.1 in another order than the codebook. Read with the drafted map and no edits, every (municipality, question,
row) cell must equal the answer table; a cell the reader cannot place is a problem row naming file, row, cell and
value (never a guess).
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from helpers import fixture_module
from zaitaku.ingest.draft_map import draft
from zaitaku.ingest.pipeline import ingest
from zaitaku.reference.municipalities import resolve

gen = fixture_module("forms/generate.py")

NAMES = ["松江市", "浜田市", "出雲市", "益田市", "奥出雲町", "知夫村"]
KEYS = ["municipality_code", "question_id", "row_id", "option_id"]


def write_folder(folder: Path, style: str, answers: list[dict[str, str]], *, quirks: bool = False) -> Path:
    """One filled form per municipality, its options numbered as the printed questionnaire numbers them."""
    cb = gen.base_codebook()
    printed = gen.printed_form_codebook(cb)
    for a in answers:
        gen.write_form(printed, folder / f"{a['name']}.xlsx", style, gen.printed_answers(cb, printed, a), a["name"],
                       quirks=quirks)
    return folder


def compare(result, answers: list[dict[str, str]]) -> tuple[pd.Series, list[tuple[str, str, str]]]:
    """Per (municipality, question, row): equal to the answer table; and the wrong cells no problem row names."""
    cb = gen.base_codebook()
    codes = {n: resolve(n, prefecture="32") for n in NAMES}
    want = pd.DataFrame(gen.expected_tidy(cb, answers, codes), columns=[*KEYS, "value"])
    m = want.merge(result.responses[[*KEYS, "value"]], on=KEYS, how="left", suffixes=("_want", "_got"))
    m["ok"] = m["value_want"].fillna(-1).astype(int) == m["value_got"].fillna(-1).astype(int)
    cells = m.groupby(["municipality_code", "question_id", "row_id"])["ok"].all()
    p = result.problems
    named = set(zip(p["code"], p["problem"].str.split(":").str[0], strict=True))
    silent = [k for k in cells[~cells].index if (k[0], k[1]) not in named]
    return cells, silent


@pytest.fixture(scope="module")
def answers() -> list[dict[str, str]]:
    return gen.answer_table(gen.base_codebook(), NAMES, seed=11)


@pytest.mark.parametrize("quirks", [False, True], ids=["plain", "quirks"])
@pytest.mark.parametrize("style", gen.FILLED_STYLES)
def test_filled_forms_read_with_the_drafted_map(style: str, quirks: bool, tmp_path: Path, answers) -> None:
    folder = write_folder(tmp_path / "調査票", style, answers, quirks=quirks)
    map_df, failed = draft([folder])
    assert failed == []
    map_df.to_csv(tmp_path / "map.csv", index=False, encoding="utf-8-sig")
    result = ingest([folder], header_map=tmp_path / "map.csv", strict=False)
    assert result.failed == []
    cells, silent = compare(result, answers)
    assert silent == [], f"silently wrong: {silent[:5]}"
    assert cells.all(), f"{cells.sum()}/{len(cells)} cells right; e.g. {list(cells[~cells].index[:5])}"
    assert len(cells) == len(NAMES) * len(gen.compiled_keys(gen.base_codebook()))
    p = result.problems
    by_label = set(p.loc[p["kind"] == "read_by_label", "problem"].str.split(":").str[0])
    unnumbered = {"q3"} if style == "left" else set()  # a grid printing labels only: nothing renumbered
    assert by_label == {"q1", "q3", "q4_1_1", "q4_1_3_1", "q7"} - unnumbered  # reordered options read by label
    cell_row = p["column"].str.extract(r"^セル [A-Z]+(\d+)「", expand=False)
    named = p[cell_row.notna()]
    assert len(named) >= len(by_label)  # header-level problems too name the form's row of their cell, never row 1
    assert (named["row"] == cell_row[cell_row.notna()]).all(), named[["row", "column"]].to_string()


def _cell(path: Path, text: str) -> tuple[int, int]:
    ws = openpyxl.load_workbook(path).active
    return next((c.row, c.column) for row in ws.iter_rows() for c in row if str(c.value or "").startswith(text))


def test_a_mark_outside_the_grid_is_a_problem_not_a_guess(tmp_path: Path, answers) -> None:
    """A ○ in a grid column that prints no option, and a stray number beside a single-choice option: the answer
    is 未回答 and a problem names the file, the row, the cell and the value."""
    folder = write_folder(tmp_path / "調査票", "circles", answers[:2])
    path = folder / f"{answers[0]['name']}.xlsx"
    wb = openpyxl.load_workbook(path)
    ws = wb.active
    r, _ = _cell(path, "郡市区医師会")
    ws.cell(r, 9, "○")  # column I: the grid of 問2 prints its options in D–H
    r, _ = _cell(path, "約1年")
    ws.cell(r, 4, "3")  # 問4 ①-9: a number where a ○ goes
    wb.save(path)
    map_df, _ = draft([folder])
    map_df.to_csv(tmp_path / "map.csv", index=False, encoding="utf-8-sig")
    result = ingest([folder], header_map=tmp_path / "map.csv", strict=False)
    p = result.problems
    code = resolve(answers[0]["name"], prefecture="32")
    mine = p[(p["code"] == code) & (p["kind"] == "read_as_blank")]
    q2 = mine[mine["problem"].str.startswith("q2:")]
    assert len(q2) == 1 and q2.iloc[0]["value"] == "○" and q2.iloc[0]["column"].startswith("セル I"), mine.to_string()
    assert q2.iloc[0]["file"] == path.name and q2.iloc[0]["row"] == str(_cell(path, "郡市区医師会")[0])
    q49 = mine[mine["problem"].str.startswith("q4_1_9:")]
    assert len(q49) == 1 and q49.iloc[0]["value"] == "3" and q49.iloc[0]["column"].startswith("セル D")
    assert q49.iloc[0]["action"] == "問4①-9を未回答として扱いました"  # a question without rows: the question
    got = result.responses
    na = got[(got.municipality_code == code) & (got.option_id == "na") & (got.value == 1)]
    assert {("q2", "med_assoc"), ("q4_1_9", "")} <= set(zip(na.question_id, na.row_id, strict=True))


def _row_under(path: Path, heading: str, text: str) -> int:
    """The first form row under the question ``heading`` whose cells hold ``text`` (a matrix row's label)."""
    ws = openpyxl.load_workbook(path)["調査票"]
    rows = [[str(v or "").strip() for v in row] for row in ws.iter_rows(values_only=True)]
    start = next(i for i, r in enumerate(rows) if heading in r)
    return next(i for i, r in enumerate(rows) if i > start and text in r) + 1


@pytest.mark.parametrize(("style", "qid", "heading", "row_id", "label", "breaks"), [
    ("circles", "q2", "問2", "dental_assoc", "歯科医師会", "a ○ right of the grid"),
    ("left", "q4_1_3_1", "問4 ①-3.1", "discharge", "【入退院支援】", "a lone number beside the 2nd option"),
], ids=["grid", "sub-heading"])
def test_one_broken_matrix_row_names_that_row(style: str, qid: str, heading: str, row_id: str, label: str,
                                              breaks: str, tmp_path: Path, answers) -> None:
    """One cell of one matrix row that cannot be placed: the problem row says that row (by its label) was read as
    未回答, not the question; every other row of the question, and of the form, is still read as answered."""
    folder = write_folder(tmp_path / "調査票", style, answers[:2])
    path = folder / f"{answers[0]['name']}.xlsx"
    r = _row_under(path, heading, label)
    wb = openpyxl.load_workbook(path)
    if style == "circles":
        at = (r, 9)  # column I: the grid of 問2 prints its five options in D–H
        wb["調査票"].cell(*at, "○")
    else:
        at = (r + 2, 5)  # beside the 2nd option of the row's own option list (labels in D, marks in C)
        wb["調査票"].cell(*at, "3")
    wb.save(path)
    map_df, _ = draft([folder])
    map_df.to_csv(tmp_path / "map.csv", index=False, encoding="utf-8-sig")
    result = ingest([folder], header_map=tmp_path / "map.csv", strict=False)
    code = resolve(answers[0]["name"], prefecture="32")
    p = result.problems
    mine = p[(p["code"] == code) & (p["kind"] == "read_as_blank")]
    assert len(mine) == 1, mine.to_string()
    got = mine.iloc[0]
    row_name = label.strip("【】")
    number = heading.replace(" ", "")
    assert got["action"] == f"{number}の『{row_name}』の行を未回答として扱いました", breaks
    assert got["problem"].startswith(f"{qid}:") and got["row"] == str(at[0])
    assert got["column"].startswith(f"セル {openpyxl.utils.get_column_letter(at[1])}{at[0]}")
    cells, silent = compare(result, answers[:2])
    assert silent == []
    wrong = list(cells[~cells].index)
    truth_blank = answers[0][f"{qid}:{row_id}"] == ""  # the answer table may itself leave the row 未回答
    assert wrong == ([] if truth_blank else [(code, qid, row_id)])
    na = result.responses
    na = na[(na.municipality_code == code) & (na.question_id == qid) & (na.option_id == "na") & (na.value == 1)]
    assert set(na.row_id) == {row_id} | {k.split(":")[1] for k, v in answers[0].items() if k.startswith(f"{qid}:")
                                         and v == ""}


def test_a_form_without_a_question_says_so_for_the_whole_file(tmp_path: Path, answers) -> None:
    """A form whose 問7 block was cut off (the last question, rows cleared): 問7 is 未回答 for that municipality and
    one problem row names the file and the question, with no row (the form has none for it); the other form is
    read in full."""
    folder = write_folder(tmp_path / "調査票", "circles", answers[:2])
    path = folder / f"{answers[0]['name']}.xlsx"
    wb = openpyxl.load_workbook(path)
    ws = wb["調査票"]
    start, _ = _cell(path, "問7")
    for row in ws.iter_rows(min_row=start):
        for c in row:
            if not isinstance(c, openpyxl.cell.cell.MergedCell):
                c.value = None
    wb.save(path)
    map_df, _ = draft([folder])
    map_df.to_csv(tmp_path / "map.csv", index=False, encoding="utf-8-sig")
    result = ingest([folder], header_map=tmp_path / "map.csv", strict=False)
    assert result.failed == []
    p = result.problems
    cut, whole = (resolve(a["name"], prefecture="32") for a in answers[:2])
    missing = p[p["kind"] == "question_missing"]
    assert len(missing) == 1, p.to_string()
    assert missing.iloc[0]["file"] == path.name and missing.iloc[0]["row"] == "" and missing.iloc[0]["code"] == cut
    assert missing.iloc[0]["column"].startswith("問7") and missing.iloc[0]["problem"] == "q7: 調査票にこの設問の欄がありません"
    got = result.responses
    q7 = got[got.question_id == "q7"]
    assert set(q7[(q7.municipality_code == cut) & (q7.value == 1)].option_id) == {"na"}
    cells, silent = compare(result, answers[:2])
    assert silent == []
    keys = cells.index.to_frame()
    assert cells[(keys.iloc[:, 0] == whole).to_numpy()].all()  # the other form: every cell right
    assert not cells[(keys.iloc[:, 0] == cut).to_numpy() & (keys.iloc[:, 1] == "q7").to_numpy()].any()

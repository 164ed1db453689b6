"""The drafting rules one by one, on headers and values as staff write them (expectations typed by hand)."""

from __future__ import annotations

from pathlib import Path

import pytest

from zaitaku.ingest import qmatch
from zaitaku.ingest.draft_map import draft_column
from zaitaku.ingest.header import Table
from zaitaku.ingest.prefecture import infer
from zaitaku.ingest.workbook import Grid
from zaitaku.reference.codebook import load_codebook

CB = load_codebook("R3")


@pytest.mark.parametrize(("header", "want"), [
    ("問2_3", ("q2", 3, None, False, False)),
    ("問２_１０", ("q2", 10, None, False, False)),
    ("問4①-3.1_2_選択肢3", ("q4_1_3_1", 2, "3", False, False)),
    ("問5②-1_4", ("q5_2_1", 4, None, False, False)),
    ("問4①-5.1_付_選択肢1", ("q4_1_5_2", None, "1", False, False)),
    ("問4①-6.1_付_その他内容", ("q4_1_6_2", None, None, False, True)),
    ("問6①(複数回答)", ("q6_1", None, None, True, False)),
    ("問7_その他内容", ("q7", None, None, False, True)),
    ("担当部署_その他内容", ("dept", None, None, False, True)),
    ("問4②-2.1_選択肢9", ("q4_2_2_1", None, "9", False, False)),
])
def test_positional_headers(header, want):
    p = qmatch.positional(CB, header)
    assert p is not None
    assert (p.question.id, p.row_index, p.option, p.as_list, p.free_text) == want


@pytest.mark.parametrize("header", ["問1", "市町村名", "問4②-3.2-1", "備考"])
def test_headers_without_positional_parts(header):
    assert qmatch.positional(CB, header) is None


@pytest.mark.parametrize(("header", "values", "want"), [
    (["問2_3"], ["A", "C", "E"], ("answer", "q2", "pharm_assoc", "")),
    (["問4①-3.1_2_選択肢3"], ["1", "0"], ("flag", "q4_1_3_1", "discharge", "3")),
    (["問6①(複数回答)"], ["1，3", "５"], ("list", "q6_1", "", "")),
    (["問4①-5.1_付_その他内容"], ["地域ケア会議"], ("text", "q4_1_5_2", "", "9")),
    # a header that prints every option is the answer column of the question
    (["問1", "協議会を設置されていますか", "1.設置している 2.設置していない"], ["2", "1.設置している", "設置していない"],
     ("answer", "q1", "", "")),
    (["問4 ②-1.3", "生活支援コーディネーター", "1.連携できている 2.連携しているが課題がある 3.連携していない"], ["1", "3"],
     ("answer", "q4_2_1_3", "life_support", "")),
])
def test_drafted_column(header, values, want):
    r = draft_column(CB, header, values)
    assert (r.kind, r.question_id, r.row_id, r.option_id) == want
    assert r.confidence >= 80, r.reason


def test_option_list_without_values_is_not_an_answer_column():
    r = draft_column(CB, ["問3", "1.全部を委託している 2.一部を委託している 3.委託していない"], [])
    assert r.kind == "ignore"


def _table(cells: list[list[object]], name: str = "回答.xlsx", header_rows: int = 1) -> Table:
    grid = Grid(Path(name), cells)
    parts = [[str(cells[header_rows - 1][c])] for c in range(len(cells[0]))]
    return Table(grid, [header_rows - 1], parts, list(range(header_rows, len(cells))), [], 0)


def test_prefecture_from_title_row():
    t = _table([["市町村回答一覧（島根県）", None], ["市町村名", "問1"], ["美郷町", 1]], header_rows=2)
    assert infer(t, [0])[0] == "32"


def test_prefecture_from_file_name():
    assert infer(_table([["市町村名", "問1"], ["美郷町", 1]], name="秋田県_R3回答.csv"), [0])[0] == "05"


def test_prefecture_from_unambiguous_names():
    t = _table([["市町村名", "問1"], ["美郷町", 1], ["西都市", 2], ["宮崎県 日南市", 1]])
    assert infer(t, [0]) == ("45", "一意に決まる市区町村名 2 件がすべて宮崎県")


def test_no_prefecture_when_names_span_prefectures_or_are_all_shared():
    assert infer(_table([["市町村名"], ["美郷町"], ["府中市"]]), [0])[0] is None
    assert infer(_table([["市町村名"], ["松江市"], ["秋田市"]]), [0])[0] is None

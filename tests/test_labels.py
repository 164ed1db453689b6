"""Option labels a file prints are checked against the codebook (zaitaku.ingest.labels).

A compiled workbook written by tests/fixtures/forms/generate.py from an answer table kept apart: its headers
print 問1's options reworded and reversed, 問4 ①-1's reversed and 問7's (multiple choice) reordered, its answers are codes, 「n.label」 and bare
labels in the file's own numbering. Ingest must give the answer table back: 0 cells silently wrong.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from helpers import fixture_module
from zaitaku.analysis.processed import load_processed
from zaitaku.cli import main
from zaitaku.ingest.labels import match_printed, printed_options, read_by_label
from zaitaku.reference.codebook import load_codebook
from zaitaku.reference.municipalities import resolve

gen = fixture_module("forms/generate.py")

NAMES = ["松江市", "浜田市", "出雲市", "益田市", "大田市", "安来市", "江津市", "雲南市", "奥出雲町", "飯南町", "川本町",
         "美郷町", "邑南町", "津和野町", "吉賀町", "海士町", "西ノ島町", "知夫村", "隠岐の島町"]
KEYS = ["municipality_code", "question_id", "row_id", "option_id"]


def reviewed_map(workbook: Path, cb: dict, out: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """draft-map's map as a person leaves it after review: each column's question and row set by hand."""
    assert main(["draft-map", str(workbook), "--out", str(out)]) in (0, 1)
    capsys.readouterr()
    drafted = pd.read_csv(out, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    headers = list(drafted[drafted["kind"] != "value"]["header"])  # one row per column, in the file's order
    keys = gen.compiled_keys(cb)
    assert len(headers) == 1 + len(keys)
    rows = [{"header": headers[0], "kind": "name", "question_id": "", "row_id": "", "option_id": "", "column": "A"}]
    for k, (qid, row, multi) in enumerate(keys):
        letter = gen.openpyxl.utils.get_column_letter(2 + k)
        rows.append({"header": headers[1 + k], "kind": "list" if multi else "answer", "question_id": qid,
                     "row_id": row, "option_id": "", "column": letter})
    pd.DataFrame(rows).to_csv(out, index=False, encoding="utf-8-sig")
    return out


@pytest.fixture(scope="module")
def answers() -> list[dict[str, str]]:
    return gen.answer_table(gen.base_codebook(), NAMES)


def test_printed_options_reordered_and_reworded_are_read_by_label(tmp_path: Path, answers, capsys) -> None:
    cb = gen.base_codebook()
    printed = gen.printed_codebook(cb)
    book = gen.write_compiled(cb, printed, answers, tmp_path / "raw" / "集計表.xlsx")
    header_map = reviewed_map(book, cb, tmp_path / "map.csv", capsys)
    rc = main(["ingest", str(book), "--header-map", str(header_map), "--prefecture", "島根県", "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert rc == 0, err
    got = load_processed(tmp_path / "out").responses[[*KEYS, "value"]]
    codes = {n: resolve(n, prefecture="32") for n in NAMES}
    want = pd.DataFrame(gen.expected_tidy(cb, answers, codes), columns=[*KEYS, "value"])
    m = want.merge(got, on=KEYS, how="outer", suffixes=("_want", "_got"), indicator=True)
    same = (m["_merge"] == "both") & (m["value_want"].fillna(-1).astype(int) == m["value_got"].fillna(-1).astype(int))
    wrong = m[~same]
    assert wrong.empty, wrong.head(20)
    q1 = [a["q1"] for a in answers]
    assert set(q1) >= {"1", "2"} and {a["q4_1_1"] for a in answers} >= {"1", "5"}  # both printed orders exercised
    problems = pd.read_csv(tmp_path / "out" / "problems.csv", dtype=str, encoding="utf-8-sig")
    notes = problems[problems["問題"].str.contains("印刷された選択肢の番号がコードブックと違います", na=False)]
    assert sorted(notes["問題"].str.split(":").str[0]) == ["q1", "q4_1_1", "q7"]
    assert "1.設置していない → 2.設置していない" in notes["問題"].iloc[0] + notes["問題"].iloc[1]


def test_a_printed_option_the_codebook_lacks_stops_the_file(tmp_path: Path, answers, capsys) -> None:
    cb = gen.base_codebook()
    printed = gen.printed_codebook(cb)
    gen._q(printed, "q1")["options"].append({"id": "3", "label": "設置に向けて準備中"})
    book = gen.write_compiled(cb, printed, answers, tmp_path / "raw" / "集計表.xlsx")
    header_map = reviewed_map(book, cb, tmp_path / "map.csv", capsys)
    rc = main(["ingest", str(book), "--header-map", str(header_map), "--prefecture", "島根県", "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert rc == 2
    assert "問1（q1）の選択肢「3.設置に向けて準備中」がコードブック" in err and "zaitaku codebook draft" in err
    assert not (tmp_path / "out").exists()


def test_answer_text_number_and_label_disagreeing() -> None:
    q1 = load_codebook("R3")["q1"]
    assert read_by_label("2.設置していない", q1, None) == ("2", "")
    oid, note = read_by_label("1.設置していない", q1, None)
    assert oid == "2" and "番号 1 と文言「設置していない」が食い違う" in note
    assert read_by_label("設置していない", q1, None) == ("2", "")
    assert read_by_label("1", q1, None) == (None, "")  # a bare code: the ordinary reader
    po = match_printed(q1, printed_options("問1（1.設置していない　2.協議会を設置している）"), "x")
    assert po.to_codebook == {"1": "2", "2": "1"}
    assert read_by_label("1", q1, po) == ("2", "")
    assert read_by_label("2.協議会を設置している", q1, po) == ("1", "")
    q41 = load_codebook("R3")["q4_1_9"]
    assert printed_options("問4 ①-9 目安期間（1.1年未満 2.約1年 3.約2年）") == {"1": "1年未満", "2": "約1年", "3": "約2年"}
    assert read_by_label("1.1年未満", q41, None) == ("1", "")


@pytest.mark.parametrize("style", ["lines", "boxes", "circles"])
def test_forms_printing_options_in_another_order_are_read_by_label(tmp_path: Path, answers, capsys, style) -> None:
    """A folder of filled 調査票 whose printed options (問1, 問4 ①-1, 問7) are in another order: the numbers marked
    are the form's, the labels beside them say which codebook option they are."""
    cb = gen.base_codebook()
    printed = gen.printed_codebook(cb)
    folder = tmp_path / "調査票"
    for a in answers[:4]:
        marked = {}
        for key, cell in a.items():
            if key == "name" or cell in ("", "-"):
                continue
            q, pq = gen._q(cb, key.split(":")[0]), gen._q(printed, key.split(":")[0])
            marked[key] = {gen._printed_option(q, pq, t)["id"] for t in cell.split(";")}
        gen.write_form(printed, folder / f"{a['name']}.xlsx", style, marked, a["name"])
    assert main(["draft-map", str(folder), "--out", str(tmp_path / "map.csv")]) in (0, 1)
    rc = main(["ingest", str(folder), "--header-map", str(tmp_path / "map.csv"), "--prefecture", "島根県",
               "--out", str(tmp_path / "out")])
    capsys.readouterr()
    assert rc in (0, 1)
    got = load_processed(tmp_path / "out").responses
    for a in answers[:4]:
        code = resolve(a["name"], prefecture="32")
        for qid in ("q1", "q4_1_1", "q7"):
            chosen = got[(got.municipality_code == code) & (got.question_id == qid) & (got.value == 1)]
            want = set(a[qid].split(";")) if a[qid] else {"na"}
            assert set(chosen["option_id"]) == want, (a["name"], qid)

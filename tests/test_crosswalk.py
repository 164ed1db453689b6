"""The R3 → R4 crosswalk (demo construction) and the reader's checks; each expected level is written here."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from zaitaku.reference.codebook import load_codebook
from zaitaku.reference.crosswalk import (
    CrosswalkError,
    comparability,
    crosswalk_path,
    parse_crosswalk,
)

EXPECTED = {  # (question, row, option) in R4 -> level, as the demo codebook r4.yaml changed them
    ("q1", "", None): "caution",            # reworded
    ("q4_1_9", "", None): "none",           # removed in R4
    ("q4_2_2_2", "", "9"): "none",          # option added in R4
    ("q4_2_2_2", "", "8"): "caution",       # 実施していない: no longer the complement of the same options
    ("q4_2_2_2", "", "1"): "compare",
    ("q2", "home", "A"): "compare",          # not listed: the default
    ("q4_1_1", "", "1"): "compare",
}


@pytest.mark.parametrize(("key", "level"), list(EXPECTED.items()))
def test_r3_r4_levels(key, level):
    link = comparability("R3", "R4", *key)
    assert link.comparability == level
    assert level == "compare" or link.reason


def test_same_year_and_missing_file():
    assert comparability("R3", "R3", "q1").comparability == "compare"
    assert comparability("R4", "R3", "q1").comparability == "none"  # no r4_r3.csv


@pytest.mark.parametrize(("old", "new", "message"), [
    ("", "", None),  # the shipped file is valid
    (",caution,令和4年度は設問文", ",maybe,令和4年度は設問文", "comparability 列（'maybe'）"),
    ("R3,q4_1_9,,,R4,,,,", "R3,q4_1_99,,,R4,,,,", "question_a 列（'q4_1_99'）: R3 の調査票にない設問です"),
    ("R3,q4_2_2_2,,,R4,q4_2_2_2,,9,", "R3,q4_2_2_2,,,R4,q4_2_2_2,,10,", "option_b 列（'10'）: q4_2_2_2 の選択肢ではありません"),
    ("R3,q4_1_9,,,R4,,,,取組改善（PDCA）に要する目安期間,none,令和4年度の調査票にない（デモ用の架空の変更：設問の削除）",
     "R3,q4_1_9,,,R4,,,,取組改善（PDCA）に要する目安期間,none,", "reason 列（''）"),
])
def test_bad_rows_name_file_line_column_value(tmp_path: Path, old, new, message):
    path = tmp_path / "r3_r4.csv"
    shutil.copy(crosswalk_path("R3", "R4"), path)
    text = path.read_text(encoding="utf-8")
    if message is None:
        parse_crosswalk(path, load_codebook("R3"), load_codebook("R4"))
        return
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(CrosswalkError) as err:
        parse_crosswalk(path, load_codebook("R3"), load_codebook("R4"))
    assert "r3_r4.csv" in str(err.value) and "行目" in str(err.value) and message in str(err.value)


def test_merged_options_map_values(tmp_path: Path):
    """A hand-made merge: R4's 設置している (1) stands for R3's 1 and 2 (for the reader only)."""
    path = tmp_path / "r3_r4.csv"
    path.write_text("year_a,question_a,row_a,option_a,year_b,question_b,row_b,option_b,concept,comparability,reason\n"
                    "R3,q1,,1,R4,q1,,1,設置,caution,統合\nR3,q1,,2,R4,q1,,1,設置,compare,\n", encoding="utf-8")
    cw = parse_crosswalk(path, load_codebook("R3"), load_codebook("R4"))
    assert cw.options_a("q1", "", "1") == ("1", "2")
    assert cw.link("q1", "", "1").comparability == "caution"
    assert cw.options_a("q1", "", "2") == ("2",)


def test_codebook_diff_drafts_the_crosswalk(tmp_path: Path):
    """`zaitaku codebook diff R3 R4 --crosswalk` writes a draft the reader accepts, with the levels written above
    for what the diff sees (the exclusive option 8's caution is a person's judgement, not the diff's)."""
    from zaitaku.cli import main

    out = tmp_path / "r3_r4.csv"
    assert main(["codebook", "diff", "R3", "R4", "--crosswalk", str(out)]) == 0
    cw = parse_crosswalk(out, load_codebook("R3"), load_codebook("R4"))
    for key in [("q1", "", None), ("q4_1_9", "", None), ("q4_2_2_2", "", "9"), ("q4_2_2_2", "", "1"), ("q2", "home", "A")]:
        q, row, option = key
        link = cw.removed[q] if q in cw.removed else cw.link(q, row, option)
        assert link.comparability == EXPECTED[key], key
        assert link.comparability == "compare" or "要確認" in link.reason

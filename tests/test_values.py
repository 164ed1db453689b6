"""Reading one answer cell (zaitaku.ingest.values): codes, multi-select marks and lists, blanks (未回答)."""

from __future__ import annotations

import math

import pytest

from zaitaku.ingest.values import (
    CellError,
    is_blank,
    is_not_asked,
    normalize_cell,
    parse_code,
    parse_flag,
    parse_list,
)

Q1 = ("1", "2")  # 問1 協議会: 1 設置している / 2 設置していない
Q2 = ("A", "B", "C", "D", "E")  # 問2 relation scale
Q6 = tuple(str(i) for i in range(1, 14))  # 問6 ① challenges, 13 options
Q1_LABELS = {"1": "設置している", "2": "設置していない"}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, ""),
        (math.nan, ""),
        (float("nan"), ""),
        (3.0, "3"),  # Excel numbers arrive as floats
        (12.0, "12"),
        (3, "3"),
        (2.5, "2.5"),
        ("3.0", "3"),
        ("3.00", "3"),
        ("  2 ", "2"),
        ("\u30002\u3000", "2"),  # ideographic spaces
        ("１２", "12"),  # full-width digits
        ("①", "1"),
        ("⑬", "13"),
        ("Ａ", "A"),
        ("○", "○"),
        ("設置している", "設置している"),
    ],
)
def test_normalize_cell(raw, expected):
    assert normalize_cell(raw) == expected


@pytest.mark.parametrize("text", ["", "nan", "NaN", "None", "null", "未回答", "無回答"])
def test_blank_spellings(text):
    assert is_blank(text)


@pytest.mark.parametrize("text", ["-", "−", "―", "ー", "－", "該当なし", "非該当", "対象外", " 対象外 "])
def test_not_applicable_marks_are_not_asked_not_blank(text):
    assert is_not_asked(text) and not is_blank(text)


@pytest.mark.parametrize("text", ["--", "0", "設置していない", ""])
def test_other_text_is_not_a_not_applicable_mark(text):
    assert not is_not_asked(text)


@pytest.mark.parametrize("text", ["0", "1", "×", "設置している", "--"])
def test_not_blank(text):
    assert not is_blank(text)


@pytest.mark.parametrize(
    ("raw", "options", "expected"),
    [
        ("1", Q1, "1"),
        ("2", Q1, "2"),
        (1.0, Q1, "1"),
        (2, Q1, "2"),
        ("１", Q1, "1"),
        ("②", Q1, "2"),
        ("1.", Q1, "1"),
        ("1．", Q1, "1"),
        ("2)", Q1, "2"),
        ("2）", Q1, "2"),
        ("1. 設置している", Q1, "1"),
        ("1．設置している", Q1, "1"),
        ("2:設置していない", Q1, "2"),
        ("設置している", Q1, "1"),  # the label itself
        ("設置していない", Q1, "2"),
        ("C", Q2, "C"),
        ("c", Q2, "C"),
        ("Ｃ", Q2, "C"),
        ("E 特に無し", Q2, "E"),
        ("13", Q6, "13"),
        ("⑬", Q6, "13"),
        (13.0, Q6, "13"),
    ],
)
def test_parse_code_accepts(raw, options, expected):
    labels = Q1_LABELS if options == Q1 else None
    assert parse_code(raw, options, labels) == expected


@pytest.mark.parametrize("raw", ["", None, math.nan, "  ", "未回答", "無回答"])
def test_parse_code_blank_is_none(raw):
    assert parse_code(raw, Q1, Q1_LABELS) is None


@pytest.mark.parametrize(
    ("raw", "options"),
    [
        ("7", Q1),  # out of range
        ("0", Q1),
        (3.0, Q1),
        ("F", Q2),
        ("1,2", Q1),  # two answers to a single-choice question
        ("1、2", Q1),
        ("1 2", Q1),
        ("1・2", Q1),
        ("A B", Q2),
        ("1.5", Q1),  # not a code
        (1.5, Q1),
        ("①②", Q1),
        ("設置", Q1),  # not a whole label
        ("14", Q6),
    ],
)
def test_parse_code_rejects(raw, options):
    with pytest.raises(CellError):
        parse_code(raw, options, Q1_LABELS if options == Q1 else None)


def test_parse_code_error_names_the_options():
    with pytest.raises(CellError, match="1, 2"):
        parse_code("7", Q1)


@pytest.mark.parametrize("raw", ["1", 1, 1.0, "１", "○", "◯", "〇", "●", "✓", "✔", "☑", "レ", "v", "V", "TRUE", "true", "yes", "済"])
def test_flag_selected(raw):
    assert parse_flag(raw) is True


@pytest.mark.parametrize("raw", ["0", 0, 0.0, "０", "×", "x", "X", "false", "no", "□", "☐", "未回答"])
def test_flag_not_selected(raw):
    assert parse_flag(raw) is False


@pytest.mark.parametrize("raw", ["", None, math.nan, "   "])
def test_flag_blank(raw):
    assert parse_flag(raw) is None


@pytest.mark.parametrize("raw", ["2", "△", "◎", "?", "はい", "11"])
def test_flag_rejects(raw):
    with pytest.raises(CellError, match="選択の印"):
        parse_flag(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1,3,5", {"1", "3", "5"}),
        ("1, 3, 5", {"1", "3", "5"}),
        ("１、３", {"1", "3"}),
        ("1，3", {"1", "3"}),
        ("1;3", {"1", "3"}),
        ("1/3", {"1", "3"}),
        ("1・3", {"1", "3"}),
        ("1 3", {"1", "3"}),
        ("1. 3.", {"1", "3"}),
        ("①③", {"1", "3"}),  # circled numbers side by side are two codes, not 13
        ("13", {"13"}),
        ("12,13", {"12", "13"}),
        (4.0, {"4"}),
        ("3,3", {"3"}),
    ],
)
def test_parse_list(raw, expected):
    assert parse_list(raw, Q6) == frozenset(expected)


@pytest.mark.parametrize("raw", ["", None, "未回答"])
def test_parse_list_blank_is_none(raw):
    assert parse_list(raw, Q6) is None


def test_parse_list_names_the_bad_parts():
    with pytest.raises(CellError, match=r"0, 14 はこの設問の選択肢ではありません"):
        parse_list("0,3,14", Q6)
    with pytest.raises(CellError):
        parse_list("1,x", Q6)


@pytest.mark.parametrize(
    ("raw", "options", "labels", "expected"),
    [
        ("1.1年未満", ("1", "2", "3"), {"1": "1年未満", "2": "1年以上3年未満", "3": "3年以上"}, "1"),
        ("2.1年以上3年未満", ("1", "2", "3"), {"1": "1年未満", "2": "1年以上3年未満", "3": "3年以上"}, "2"),
        ("4.4つの場面で設定", ("4", "5"), {"4": "4つの場面で設定", "5": "特に設定はしていない"}, "4"),
    ],
)
def test_code_followed_by_a_label_that_starts_with_a_digit(raw, options, labels, expected):
    assert parse_code(raw, options, labels) == expected


def test_prefecture_wording_through_the_value_map():
    assert parse_code("設置済", Q1, Q1_LABELS, {"設置済": "1", "未設置": "2"}) == "1"
    assert parse_code(" 未設置 ", Q1, Q1_LABELS, {"設置済": "1", "未設置": "2"}) == "2"
    with pytest.raises(CellError):
        parse_code("設置済", Q1, Q1_LABELS)  # without the value map it is not an option


@pytest.mark.parametrize("raw", ["#N/A", "#DIV/0!", "#VALUE!", "#REF!", "=A1*2"])
def test_excel_error_values_are_cell_errors(raw):
    for parse in (lambda v: parse_code(v, Q1), parse_flag, lambda v: parse_list(v, Q6)):
        with pytest.raises(CellError, match=r"Excel のエラー値|値のない数式"):
            parse(raw)

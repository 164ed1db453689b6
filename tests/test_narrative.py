"""Sentence rules on hand-built comparison frames whose answers a person can check.

Each frame is written out by hand (scope, option, count, base), so the expected sentence follows
from the numbers in the test, not from the code under test.
"""

from __future__ import annotations

import re

import pandas as pd
import pytest

from zaitaku.analysis.aggregate import Focus
from zaitaku.reference.codebook import load_codebook
from zaitaku.report.narrative import matrix_sentence, multi_sentence, single_sentence

CB = load_codebook("R3")
MATSUE = Focus("32", "島根県", "322016", "松江市", "市", core_city=True)
SHIMANE = Focus("32", "島根県")
LABELS = {"prefecture": "島根県", "type": "全国の中核市（n=62）", "nation": "全国", "municipality": "松江市"}


def frame(qid: str, counts: dict[str, dict[str, tuple[int, int]]], row: str = "") -> pd.DataFrame:
    """counts: scope -> option id -> (n_selected, n_base)."""
    q = CB[qid]
    recs = []
    for scope, opts in counts.items():
        for oid, (sel, base) in opts.items():
            recs.append({"question_id": qid, "row_id": row, "row_label": q.row(row).label if row else "",
                         "scope": scope, "scope_code": scope, "scope_label": LABELS[scope], "option_id": oid,
                         "option_label": q.option_label(oid), "is_group": oid.startswith("grp:"),
                         "n_selected": sel, "n_base": base, "share": sel / base if base else float("nan"),
                         "source": "computed"})
    return pd.DataFrame(recs)


def test_ties_are_named_together():
    # 問6① in 島根県: ノウハウの不足 (1) and 事業評価のしにくさ (4) both 15 of 19; 人材の不足 (3) 12
    df = frame("q6_1", {"prefecture": {"1": (15, 19), "3": (12, 19), "4": (15, 19)},
                        "nation": {"1": (1200, 1700), "3": (1000, 1700), "4": (1190, 1700)}})
    text = multi_sentence(df, SHIMANE, None)
    assert "『事業実施のためのノウハウの不足』と『指標設定等の事業評価のしにくさ』で19市町村のうちともに15（79%）" in text
    assert "全国では71%・70%（順に）" in text  # 1200/1700 = 70.6%, 1190/1700 = 70.0%


def test_largest_gaps_first_not_questionnaire_order():
    # prefecture − nation: option 1: +20 points, option 2: −40, option 3: +20 (tie with 1: questionnaire order)
    df = frame("q6_1", {"prefecture": {"1": (10, 20), "2": (4, 20), "3": (18, 20)},
                        "nation": {"1": (300, 1000), "2": (600, 1000), "3": (700, 1000)}})
    text = multi_sentence(df, SHIMANE, None)
    gaps = re.findall(r"『([^』]+)』は全国より(\d+)ポイント(高く|低く)", text)
    assert gaps == [("本事業を総合的に進めることができるような人材の育成", "40", "低く"),
                    ("事業実施のためのノウハウの不足", "20", "高く")]


def test_one_precision_per_sentence():
    df = frame("q1", {"municipality": {"1": (0, 1), "2": (1, 1), "na": (0, 1)},
                      "prefecture": {"1": (14, 19), "2": (5, 19), "na": (0, 19)},
                      "type": {"1": (40, 62), "2": (20, 62), "na": (2, 62)},
                      "nation": {"1": (1171, 1741), "2": (551, 1741), "na": (19, 1741)}})
    text = single_sentence(df, MATSUE, ["2"], CB["q1"])
    assert text == ("松江市は『設置していない』と回答。県内19市町村のうち5（26%）、全国の中核市（n=62）では32%、"
                    "全国では32%が同じ回答です。")
    assert not re.search(r"\d\.\d+%", text)


def test_municipality_first_against_prefecture_and_own_kind():
    df = frame("q1", {"municipality": {"1": (1, 1), "2": (0, 1), "na": (0, 1)},
                      "prefecture": {"1": (14, 19), "2": (5, 19), "na": (0, 19)},
                      "type": {"1": (40, 62), "2": (20, 62), "na": (2, 62)}})
    text = single_sentence(df, MATSUE, ["1"], CB["q1"])
    assert text.startswith("松江市は『設置している』と回答。県内19市町村のうち14（74%）、全国の中核市（n=62）では65%")


def test_matrix_sentence_names_the_items():
    # 問5①-1: 松江市 does 4 of 5 items; the one it does not do is named
    q = CB["q5_1_1"]
    rows = [r.id for r in q.rows]
    parts = [frame("q5_1_1", {"municipality": {"1": (int(r != "physician_network"), 1)},
                              "prefecture": {"1": (n, 19), "2": (19 - n, 19)}}, row=r)
             for r, n in zip(rows, [14, 10, 8, 4, 10], strict=True)]
    df = pd.concat(parts, ignore_index=True)
    selected = {r: (["2"] if r == "physician_network" else ["1"]) for r in rows}
    text = matrix_sentence(df, q, MATSUE, selected)
    assert "松江市は5項目中4項目で『取り組んでいる』と回答し、そうでないのは『主治医・副主治医制等の医師間の連携体制の構築』です。" in text
    # highest 14/19 (74%), lowest 4/19 (21%); 10/19 twice is neither
    assert "最も高いのは『認知症施策との連動』で74%、最も低いのは『主治医・副主治医制等の医師間の連携体制の構築』で21%" in text
    assert "5項目中1項目" not in text


def test_matrix_uses_the_declared_group_and_names_tied_rows():
    # 問3 委託: 委託している = 全部+一部 (grp:outsourced); both rows 6 of 19
    df = pd.concat([frame("q3", {"prefecture": {"1": (1, 19), "2": (5, 19), "3": (13, 19), "grp:outsourced": (6, 19)}},
                          row=r) for r in ("analysis", "measures")], ignore_index=True)
    text = matrix_sentence(df, CB["q3"], SHIMANE, None)
    assert text == "島根県で『委託している（全部+一部）』の割合はすべての項目で32%です。"


def test_missing_data_is_described_as_missing():
    # 松江市 has no rows at all (did not respond): 回答がありません, never 対象外
    df = frame("q1", {"prefecture": {"1": (14, 19), "2": (5, 19), "na": (0, 19)}})
    text = single_sentence(df, MATSUE, None, CB["q1"])
    assert text.startswith("松江市はこの設問に回答がありません。")
    assert "対象外" not in text
    multi = multi_sentence(frame("q6_1", {"prefecture": {"1": (15, 19)}}), MATSUE, None)
    assert multi.startswith("松江市はこの設問に回答がありません。")


@pytest.mark.parametrize("qid", ["q1", "q6_1", "q2"])
def test_prefecture_without_data_does_not_crash(qid):
    # a prefecture without responding municipalities: bases are NA (the old code raised
    # "TypeError: boolean value of NA is ambiguous")
    q = CB[qid]
    row = q.row_ids[0]
    df = frame(qid, {"prefecture": {q.options[0].id: (0, 0)}}, row=row)
    df["n_selected"] = pd.array([pd.NA] * len(df), dtype="Int64")
    df["n_base"] = pd.array([pd.NA] * len(df), dtype="Int64")
    df["share"] = float("nan")
    if q.is_matrix:
        text = matrix_sentence(df, q, SHIMANE, None)
    elif q.is_multi:
        text = multi_sentence(df, SHIMANE, None)
    else:
        text = single_sentence(df, SHIMANE, None, q)
    assert text == "島根県にはこの設問に回答した市町村がありません。"


def test_option_group_sentence():
    # 問4①-1: 4つの場面で整理 = 1+2+3: 7+2+0 = 9 of 19 (47%)
    df = frame("q4_1_1", {"prefecture": {"1": (7, 19), "2": (2, 19), "3": (0, 19), "4": (7, 19), "5": (3, 19),
                                         "grp:four_scenes": (9, 19)},
                          "nation": {"1": (247, 1717), "4": (879, 1717), "grp:four_scenes": (532, 1717)}})
    text = single_sentence(df, SHIMANE, None, CB["q4_1_1"])
    assert "『4つの場面で整理（1〜3）』は県内では9（47%）、全国では31%です。" in text
    assert "ともに7（37%）" in text  # options 1 and 4 tie


def test_no_clause_repeated_on_every_section_of_a_page():
    # 松江市 not asked two conditional questions: the two sections share no sentence (the old text
    # repeated 「比較は回答対象となった市町村で行っています。」 in every such section)
    from zaitaku.report.section import sentence_for

    texts = []
    for qid, n in (("q4_1_7_2", 10), ("q4_1_5_2", 12)):
        q = CB[qid]
        df = frame(qid, {"municipality": dict.fromkeys(q.option_ids, (0, 0)),
                         "prefecture": {q.option_ids[0]: (n - 3, n), q.option_ids[1]: (2, n)}})
        texts.append(sentence_for(q, df, MATSUE, {"": None}, CB))
    clauses = [set(filter(None, t.split("。"))) for t in texts]
    assert all("対象外" in t for t in texts)
    assert clauses[0] & clauses[1] == set()

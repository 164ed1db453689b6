"""Who to learn from, per item: the most comparable municipalities that did it, varied across items.

A hand-built set of six municipalities (answers below); the expected names and reasons are worked out
here by hand from the rule in zaitaku.analysis.standing's docstring, not by the code.

==========  ======  ======  ==  ============================
name        pref    kind    q1  q4_1_2_2 (1 推移, 2 地域間, 3 課題)
==========  ======  ======  ==  ============================
松江市      島根県  中核市   2   4 only (none of 1–3)
浜田市      島根県  市       1   2, 3
出雲市      島根県  市       1   1, 2, 3
奥出雲町    島根県  町       1   3
鳥取市      鳥取県  中核市   1   1
倉敷市      岡山県  中核市   1   2
==========  ======  ======  ==  ============================

For 松江市 (two names per item): the items it did not do, most common in 島根県 first: q1 (3 of 4),
3 (3 of 4; after q1 in questionnaire order), 2 (2 of 4), 1 (1 of 4).

- q1: 浜田・出雲・奥出雲 (same prefecture) did it, none named yet, 1 partnership item each → by code: 浜田市, 出雲市.
- 3: 奥出雲町 not named yet comes first; then 出雲市 (3 PDCA items) before 浜田市 (2), both named once.
- 2: 浜田市 (named once) before 出雲市 (twice); 倉敷市 (same kind, other prefecture) ranks after the prefecture.
- 1: 出雲市 (same prefecture) and 鳥取市 (same kind elsewhere).
"""

from __future__ import annotations

import pandas as pd
import pytest

from zaitaku.analysis.aggregate import focus_of, load_processed
from zaitaku.analysis.standing import summary_for
from zaitaku.ingest.output import write_processed
from zaitaku.ingest.pipeline import Record, to_tidy
from zaitaku.reference.codebook import load_codebook
from zaitaku.reference.municipalities import load_registry
from zaitaku.report.html_summary import summary_view

ANSWERS = {  # code: (q1, q4_1_2_2)
    "322016": ("2", {"4"}),  # 松江市
    "322024": ("1", {"2", "3"}),  # 浜田市
    "322032": ("1", {"1", "2", "3"}),  # 出雲市
    "323438": ("1", {"3"}),  # 奥出雲町
    "312011": ("1", {"1"}),  # 鳥取市
    "332020": ("1", {"2"}),  # 倉敷市
}
EXPECTED_MATSUE = {
    ("q1", ""): [("浜田市", "同じ県で実施"), ("出雲市", "同じ県で実施")],
    ("q4_1_2_2", "3"): [("奥出雲町", "同じ県で実施"), ("出雲市", "同じ県で実施")],
    ("q4_1_2_2", "2"): [("浜田市", "同じ県で実施"), ("出雲市", "同じ県で実施")],
    ("q4_1_2_2", "1"): [("出雲市", "同じ県で実施"), ("鳥取市", "同じ種類の中核市で実施")],
}


@pytest.fixture(scope="module")
def six(tmp_path_factory):
    cb = load_codebook("R3")
    records = [Record(code=code, file="six.csv", row=i + 2, answers={("q1", ""): {q1}, ("q4_1_2_2", ""): set(q4)})
               for i, (code, (q1, q4)) in enumerate(ANSWERS.items())]
    munis = load_registry().assign(responded=lambda m: m["code"].isin(ANSWERS), source_file="six.csv",
                                   source_row=0)
    out = tmp_path_factory.mktemp("six")
    meta = {"survey_year": "R3", "codebook_version": cb.version, "synthetic": False, "raw_files": [],
            "n_municipalities": len(ANSWERS)}
    write_processed(to_tidy(records, cb), munis, pd.DataFrame(), meta, out)
    return load_processed(out)


def test_names_and_reasons_per_item(six):
    s = summary_for(six, focus_of(six, "322016"), exemplars=2)
    got = {(lf.item.question_id, "" if lf.item.question_id == "q1" else lf.item.option_ids[0]):
           [(e.name, e.reason) for e in lf.exemplars] for lf in s.learn_from}
    assert got == EXPECTED_MATSUE
    assert [lf.item.question_id for lf in s.learn_from] == ["q1", "q4_1_2_2", "q4_1_2_2", "q4_1_2_2"]


def test_same_prefecture_and_kind_first(six):
    s = summary_for(six, focus_of(six, "322024"), exemplars=2)  # 浜田市 (市) did not do 1: 出雲市 (市, 島根県) did
    got = {lf.item.option_ids[0]: [(e.name, e.reason) for e in lf.exemplars] for lf in s.learn_from
           if lf.item.question_id == "q4_1_2_2"}
    assert got["1"] == [("出雲市", "同じ県・同じ種類（市）で実施")]  # 鳥取市 is a 中核市: not the same kind


def test_report_lines_show_the_reason(six):
    view = summary_view(summary_for(six, focus_of(six, "322016"), exemplars=2))
    lines = [e for p in view.parts if p.title.startswith("参考になる") for e in p.entries]
    assert any(line.endswith("出雲市（同じ県で実施）、鳥取市（鳥取県・同じ種類の中核市で実施）") for line in lines)


def test_demo_names_vary_across_items(processed_dir):
    data = load_processed(processed_dir)
    for code in ("322016", "014702"):  # 松江市, 音威子府村: the issue found the same three for (nearly) every item
        s = summary_for(data, focus_of(data, code))
        named = [tuple(e.name for e in lf.exemplars) for lf in s.learn_from]
        assert len(named) >= 4
        assert len(set(named)) == len(named)  # no two items name the same municipalities
        assert len({n for names in named for n in names}) >= len(named)  # before: 3 names for 7–8 items

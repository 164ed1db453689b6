"""Aggregation rules on hand-built answers a person can check (the comparison rules of zaitaku.analysis.aggregate)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from zaitaku.analysis.aggregate import comparison, compute_shares, focus_of, load_processed
from zaitaku.reference.codebook import load_codebook
from zaitaku.reference.municipalities import load_registry
from zaitaku.report.narrative import multi_sentence, single_sentence

CB = load_codebook("R3")
# 島根県: 松江市 322016, 浜田市 322024, 出雲市 322032; 鳥取県: 鳥取市 312011
SHIMANE = ["322016", "322024", "322032"]
TOTTORI = ["312011"]


def _rows(code: str, qid: str, chosen: list[str] | None, row: str = "") -> list[dict]:
    """Tidy rows of one answer: chosen option ids, [] for 未回答, None for not asked."""
    q = CB[qid]
    out = []
    for oid in [*q.option_ids, "na"]:
        if chosen is None:
            v = pd.NA
        elif not chosen:
            v = int(oid == "na")
        else:
            v = int(oid in chosen)
        out.append({"survey_year": "R3", "municipality_code": code, "question_id": qid, "row_id": row,
                    "option_id": oid, "value": v, "free_text": None})
    return out


@pytest.fixture()
def tiny(tmp_path):
    """Four municipalities; answers chosen by hand (see each test)."""
    rows = []
    # q1 (single): 松江 1, 浜田 2, 出雲 未回答, 鳥取 1
    for code, ans in zip(SHIMANE + TOTTORI, [["1"], ["2"], [], ["1"]], strict=True):
        rows += _rows(code, "q1", ans)
    # q4_1_7_1 (single) and the conditional q4_1_7_2 (multi), asked only after 1 or 2
    for code, ans in zip(SHIMANE + TOTTORI, [["1"], ["2"], ["3"], ["1"]], strict=True):
        rows += _rows(code, "q4_1_7_1", ans)
    rows += _rows("322016", "q4_1_7_2", ["1", "5"])
    rows += _rows("322024", "q4_1_7_2", ["5"])
    rows += _rows("322032", "q4_1_7_2", None)  # not asked
    rows += _rows("312011", "q4_1_7_2", [])     # asked, 未回答
    responses = pd.DataFrame(rows).astype({"value": "Int8", "free_text": "string"})
    reg = load_registry()
    munis = reg.assign(responded=reg["code"].isin(SHIMANE + TOTTORI), source_file="hand", source_row=0)
    responses.to_parquet(tmp_path / "responses.parquet", index=False)
    munis.to_parquet(tmp_path / "municipalities.parquet", index=False)
    (tmp_path / "ingest_meta.json").write_text(json.dumps({"survey_year": "R3", "synthetic": False}), encoding="utf-8")
    return tmp_path


def _share(shares, scope, code, qid, oid, row=""):
    s = shares[(shares.scope == scope) & (shares.scope_code == code) & (shares.question_id == qid)
               & (shares.row_id == row) & (shares.option_id == oid)]
    assert len(s) == 1
    return int(s.n_selected.iloc[0]), int(s.n_base.iloc[0]), s.share.iloc[0]


def test_no_answer_is_its_own_option_and_singles_add_up(tiny):
    shares = load_processed(tiny).shares
    assert _share(shares, "prefecture", "32", "q1", "1") == (1, 3, pytest.approx(1 / 3))
    assert _share(shares, "prefecture", "32", "q1", "na") == (1, 3, pytest.approx(1 / 3))
    assert _share(shares, "nation", "全国", "q1", "1") == (2, 4, 0.5)
    pref = shares[(shares.scope == "prefecture") & (shares.scope_code == "32") & (shares.question_id == "q1")]
    assert pref.share.sum() == pytest.approx(1.0)


def test_conditional_base_is_the_municipalities_asked(tiny):
    shares = load_processed(tiny).shares
    # 出雲市 answered 3 to ①-7.1, so it was not asked ①-7.2: base in 島根県 is 2, not 3
    assert _share(shares, "prefecture", "32", "q4_1_7_2", "5") == (2, 2, 1.0)
    assert _share(shares, "prefecture", "32", "q4_1_7_2", "1") == (1, 2, 0.5)
    # nation: 松江, 浜田 and 鳥取 (未回答) were asked
    assert _share(shares, "nation", "全国", "q4_1_7_2", "5") == (2, 3, pytest.approx(2 / 3))
    assert _share(shares, "nation", "全国", "q4_1_7_2", "na") == (1, 3, pytest.approx(1 / 3))
    assert _share(shares, "municipality", "322032", "q4_1_7_2", "5")[1] == 0


def test_multi_select_share_is_share_of_municipalities(tiny):
    shares = load_processed(tiny).shares
    multi = shares[(shares.scope == "nation") & (shares.question_id == "q4_1_7_2")]
    # 松江 chose two options: the shares are per municipality, so they add to more than 1
    assert multi.share.sum() == pytest.approx((1 + 2 + 1) / 3)


def test_type_scope_is_the_peer_group(tiny):
    shares = load_processed(tiny).shares
    # 松江市 and 鳥取市 are 中核市 (both answered 1); 浜田市 (2) and 出雲市 (未回答) are other 市
    assert _share(shares, "type", "中核市", "q1", "1") == (2, 2, 1.0)
    assert _share(shares, "type", "市", "q1", "1") == (0, 2, 0.0)
    assert _share(shares, "type", "市", "q1", "na") == (1, 2, 0.5)
    assert focus_of(load_processed(tiny), "322016").peer == "中核市"
    assert focus_of(load_processed(tiny), "322024").peer == "市"


def test_small_base_shows_counts_not_percentages(tiny):
    data = load_processed(tiny)
    focus = focus_of(data, "322016")
    df = comparison(data, "q1", focus, national="computed")
    sentence = single_sentence(df, focus, ["1"])
    assert "松江市は『設置している』と回答" in sentence
    assert "3市町村のうち1、" in sentence  # base 3 < 5: a count, no percentage
    # four municipalities are not the nation: relabelled, never 「全国」
    assert "手元データ全体（全国ではありません）では2/4市町村が同じ回答" in sentence
    assert "%" not in sentence
    multi = comparison(data, "q4_1_7_2", focus, national="computed")
    text = multi_sentence(multi, focus, ["1", "5"])
    assert "松江市が選んだのは『在宅療養者の生活満足度』と『入院時の情報提供の割合』（2項目）" in text
    assert "%" not in text


def test_prefecture_mode_focus(tiny):
    data = load_processed(tiny)
    focus = focus_of(data, "", "島根")
    assert focus.is_prefecture_mode and focus.pref_code == "32"
    df = comparison(data, "q1", focus)
    # the data does not cover the nation and 問1's only published figure is of 令和6年度: no 全国 for 令和3年度
    assert list(df.scope.unique()) == ["prefecture"]
    assert list(comparison(data, "q4_1_1", focus).scope.unique()) == ["nation"]  # not answered here; published R3


def test_compute_shares_on_demo_passes_the_sanity_checks(demo_result):
    from zaitaku.analysis.aggregate import check_single_sums

    shares = compute_shares(demo_result.responses, demo_result.municipalities)
    assert check_single_sums(shares, CB) == []
    nation = shares[(shares.scope == "nation") & (shares.question_id == "q1")]
    assert nation.n_base.unique().tolist() == [1741]


def test_index_keeps_a_bounded_number_of_municipalities_and_prefecture_contexts(tiny, monkeypatch):
    """A national batch renders 1,741 municipalities of 47 prefectures on one kernel: the per-municipality
    answer frames and the per-prefecture comparison contexts are kept for the most recent ones only,
    and what is rebuilt after being dropped equals what was there."""
    from zaitaku.analysis import index as index_module
    from zaitaku.analysis.index import data_index

    monkeypatch.setattr(index_module, "ANSWERS_KEPT", 2)
    monkeypatch.setattr(index_module, "RECENT_KEPT", 1)
    data = load_processed(tiny)
    idx = data_index(data)
    first = {c: comparison(data, "q1", focus_of(data, c, "")) for c in SHIMANE + TOTTORI}
    chosen = {c: idx.selected(c, "q1") for c in SHIMANE + TOTTORI}
    assert chosen == {"322016": ["1"], "322024": ["2"], "322032": ["na"], "312011": ["1"]}  # by hand (fixture)
    answers, recent = idx._answers_of.cache_info(), idx._recent.cache_info()
    assert answers.currsize == 2 and recent.currsize == 1
    for c in [*SHIMANE, *TOTTORI][-2:]:  # the two most recent municipalities are still kept: hits
        idx.answers(c, "q1")
    assert idx._answers_of.cache_info().misses == answers.misses
    idx.answers(SHIMANE[0], "q1")  # the first was dropped: rebuilt
    assert idx._answers_of.cache_info().misses == answers.misses + 1
    idx.recent("comparison-context:q1:31:中核市:auto", lambda: 1 / 0)  # 鳥取県's context, the last used: not rebuilt
    for c in SHIMANE + TOTTORI:  # rebuilt after being dropped: the same figures
        pd.testing.assert_frame_equal(comparison(data, "q1", focus_of(data, c, "")), first[c])
    assert {c: idx.selected(c, "q1") for c in SHIMANE + TOTTORI} == chosen
    assert idx._answers_of.cache_info().currsize == 2

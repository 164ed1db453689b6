"""National coverage, peer groups, option groups, standing, problems and free text on hand-built data."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from zaitaku.analysis.aggregate import (
    Coverage,
    comparison,
    compute_shares,
    covers_nation,
    focus_of,
    load_processed,
    with_option_groups,
)
from zaitaku.analysis.free_text import free_text_for
from zaitaku.analysis.problems import problem_counts, problems_for
from zaitaku.analysis.standing import summary_for
from zaitaku.files.atomic import write_csv
from zaitaku.ingest.problems import Problem, ProblemKind, problems_frame, to_excel_columns
from zaitaku.reference.codebook import load_codebook, parse_codebook
from zaitaku.reference.municipalities import load_registry
from zaitaku.report.figures_csv import figures_frame, municipality_matrix
from zaitaku.report.section import build_section

CB = load_codebook("R3")


def _rows(code: str, qid: str, chosen: list[str] | None, row: str = "", text: dict | None = None) -> list[dict]:
    """Tidy rows of one answer: chosen option ids, [] for 未回答, None for not asked."""
    q = CB[qid]
    out = []
    for oid in [*q.option_ids, "na"]:
        v = pd.NA if chosen is None else int(oid in chosen) if chosen else int(oid == "na")
        out.append({"survey_year": "R3", "municipality_code": code, "question_id": qid, "row_id": row,
                    "option_id": oid, "value": v, "free_text": (text or {}).get(oid)})
    return out


def _write(tmp: Path, rows: list[dict], responded: list[str], problems: pd.DataFrame | None = None) -> Path:
    responses = pd.DataFrame(rows).astype({"value": "Int8", "free_text": "string"})
    reg = load_registry()
    resp = reg["code"].isin(responded)
    munis = reg.assign(responded=resp, source_file=resp.map({True: "raw.csv", False: ""}),
                       source_row=0)
    munis.loc[resp, "source_row"] = range(3, 3 + int(resp.sum()))
    responses.to_parquet(tmp / "responses.parquet", index=False)
    munis.to_parquet(tmp / "municipalities.parquet", index=False)
    compute_shares(responses, munis).to_parquet(tmp / "shares.parquet", index=False)
    if problems is not None:
        write_csv(to_excel_columns(problems), tmp / "problems.csv", excel=True)
    (tmp / "ingest_meta.json").write_text(json.dumps({"survey_year": "R3"}), encoding="utf-8")
    return tmp


# ------------------------------------------------------------------ coverage and peers


def test_coverage_rule():
    assert Coverage(47, 1655, 1741).covers_nation  # 95.06%
    assert not Coverage(47, 1653, 1741).covers_nation  # 94.9%
    assert not Coverage(46, 1741, 1741).covers_nation  # a prefecture missing


@pytest.fixture(scope="module")
def nation(tmp_path_factory):
    """Every municipality answers q1: 中核市 say 1, 政令指定都市 say 1, everyone else 2."""
    reg = load_registry()
    rows = []
    for code, typ, core in zip(reg["code"], reg["type"], reg["core_city"], strict=True):
        rows += _rows(code, "q1", ["1"] if core or typ == "政令指定都市" else ["2"])
    return load_processed(_write(tmp_path_factory.mktemp("nation"), rows, reg["code"].tolist()))


def test_core_city_is_compared_with_core_cities(nation):
    assert covers_nation(nation)
    matsue = focus_of(nation, "322016")
    assert matsue.peer == "中核市"
    df = comparison(nation, "q1", matsue)
    peer = df[(df.scope == "type") & (df.option_id == "1")].iloc[0]
    assert peer.scope_label == "全国の中核市（n=62）" and peer.share == 1.0
    nat = df[(df.scope == "nation") & (df.option_id == "1")].iloc[0]
    assert (nat.scope_label, nat.source, int(nat.n_base)) == ("全国", "computed", 1741)
    hamada = comparison(nation, "q1", focus_of(nation, "322024"))
    assert hamada[hamada.scope == "type"].scope_label.iloc[0] == "全国の市（中核市を除く）（n=710）"
    sapporo = comparison(nation, "q1", focus_of(nation, "011002"))
    assert sapporo[sapporo.scope == "type"].scope_label.iloc[0] == "全国の政令指定都市（n=20）"


# ------------------------------------------------------------------ option groups


def test_option_group_counts_a_municipality_once_in_a_multi_select():
    text = """
version: t
survey_year: R3
groups: {g: G}
questions:
  - {id: m, group: g, number: Q, title: T, text: T, type: multi, source: reconstructed,
     options: [{id: "1", label: a}, {id: "2", label: b}, {id: "3", label: c}],
     option_groups: [{id: ab, label: a or b, options: ["1", "2"]}]}
"""
    cb = parse_codebook(text, Path("t.yaml"))
    recs = []
    for code, vals in (("322016", [1, 1, 0]), ("322024", [0, 0, 1]), ("322032", [pd.NA] * 3)):
        for oid, v in zip(["1", "2", "3"], vals, strict=True):
            recs.append({"survey_year": "R3", "municipality_code": code, "question_id": "m", "row_id": "",
                         "option_id": oid, "value": v, "free_text": None})
    r = pd.DataFrame(recs).astype({"value": "Int8", "free_text": "string"})
    g = with_option_groups(r, cb)
    grp = g[g.option_id == "grp:ab"].set_index("municipality_code")["value"]
    assert grp["322016"] == 1  # chose a and b: counted once
    assert grp["322024"] == 0
    assert pd.isna(grp["322032"])  # not asked


def test_codebook_rejects_a_group_of_unknown_options():
    text = """
version: t
survey_year: R3
groups: {g: G}
questions:
  - {id: m, group: g, number: Q, title: T, text: T, type: single, source: reconstructed,
     options: [{id: "1", label: a}, {id: "2", label: b}],
     option_groups: [{id: x, label: X, options: ["1", "9"]}]}
"""
    with pytest.raises(ValueError, match=r"option group x names unknown option\(s\) \['9'\]"):
        parse_codebook(text, Path("t.yaml"))


@pytest.fixture()
def shimane5(tmp_path):
    """5 municipalities of 島根県. q1: 松江 2 (not set up), the others 1. q3 (委託):
    出雲 全部 in both rows, 益田 一部 in ②, 浜田 and 大田 none, 松江 一部 in ①."""
    codes = ["322016", "322024", "322032", "322041", "322059"]
    rows = []
    for c in codes:
        rows += _rows(c, "q1", ["2"] if c == "322016" else ["1"])
    q3 = {"322016": ("2", "3"), "322024": ("3", "3"), "322032": ("1", "1"), "322041": ("3", "2"),
          "322059": ("3", "3")}
    for c, (a, m) in q3.items():
        rows += _rows(c, "q3", [a], "analysis") + _rows(c, "q3", [m], "measures")
    rows += _rows("322024", "dept", ["6"], text={"6": "<script>alert(1)</script> &amp; 課"})
    problems = problems_frame([  # through ingest's own writer: the reader must take what it writes
        Problem("raw.csv", 3, "E列「問1」", "=cmd|' /C calc'!A0", "q1: 選択肢として読めません",
                "この設問は未回答として扱いました", ProblemKind.READ_AS_BLANK, "322016"),
        Problem("raw.csv", 99, "A列「コード」", "999999", "市区町村を特定できません", "行を除外しました",
                ProblemKind.ROW_EXCLUDED),
    ])
    return load_processed(_write(tmp_path, rows, codes, problems))


def test_group_share_in_frame_table_and_csv(shimane5):
    s = build_section(shimane5, "q3", focus_of(shimane5, prefecture="32"))
    g = s.figures[s.figures.is_group & (s.figures.scope == "prefecture")].set_index("row_id")
    # ① 委託: 松江 (一部) + 出雲 (全部) = 2 of 5; ②: 出雲 (全部) + 益田 (一部) = 2 of 5
    assert g.loc["analysis", ["n_selected", "n_base"]].tolist() == [2, 5]
    assert g.loc["measures", ["n_selected", "n_base"]].tolist() == [2, 5]
    assert "委託している（全部+一部）" in s.table().index.get_level_values("選択肢")
    csv = figures_frame([s])
    row = csv[(csv["選択肢"] == "委託している（全部+一部）") & (csv["項目"] == "①現状分析・課題抽出・施策立案")].iloc[0]
    assert (row["該当数"], row["分母"], row["割合(%)"], row["種別"]) == (2, 5, 40.0, "選択肢のまとめ")
    assert list(csv.columns[:8]) == ["設問番号", "設問", "項目", "選択肢", "集計範囲", "該当数", "分母", "割合(%)"]


def test_municipality_matrix(shimane5):
    t = municipality_matrix(shimane5, "32", ["q1"])
    assert t.set_index("市町村").loc["松江市", "問1 協議会の設置"] == "設置していない"
    assert t.set_index("市町村").loc["安来市", "問1 協議会の設置"] == "回答なし"  # did not respond


# ------------------------------------------------------------------ standing


def test_behind_and_who_to_learn_from(shimane5):
    s = summary_for(shimane5, focus_of(shimane5, "322016"))
    behind = [(g.item.question_id, g.reference, round(g.gap)) for g in s.behind]
    assert behind == [("q1", "prefecture", -80)]  # 4 of 5 set one up; 松江市 did not
    # ① 委託: 松江 did it, 2 of 5 (40%) did: ahead by 60 points
    assert ("q3", "prefecture", 60) in [(g.item.question_id, g.reference, round(g.gap)) for g in s.ahead]
    learn = {lf.item.question_id + lf.item.row_id: [e.name for e in lf.exemplars] for lf in s.learn_from}
    # q1: the four others did it; more partnership items done first (出雲 3, 益田 2), then by code
    assert learn["q1"] == ["出雲市", "益田市", "浜田市"]
    assert any("全国の中核市とは比べていません" in n for n in s.notes)
    from zaitaku.report.narrative import standing_sentences

    text = standing_sentences(s)
    assert text[0].startswith("島根県（n=5）と比べて、進んでいるのは『在宅医療・介護連携推進事業の委託：①")
    assert "遅れているのは『協議会の設置（設置している）』（実施80%）です。" in text[0]
    assert "『協議会の設置（設置している）』は出雲市、益田市、浜田市が実施しています。" in text


def test_prefecture_mode_without_nation(shimane5):
    s = summary_for(shimane5, focus_of(shimane5, prefecture="32"))
    assert s.ahead == [] and s.behind == []
    assert [e.name for e in s.stand_out] == []  # fewer than 10 items asked: nobody stands out on 3 items


# ------------------------------------------------------------------ problems and free text


def test_problems_for_a_municipality(shimane5):
    p = problems_for(shimane5, "322016")  # source row 3 of raw.csv
    assert len(p) == 1
    r = p.iloc[0]
    assert r["value"] == "=cmd|' /C calc'!A0"  # as delivered (the CSV writer's quote removed)
    assert (r["kind"], r["kind_ja"]) == ("read_as_blank", "未回答として集計")
    counts = problem_counts(shimane5).set_index("pref_code")
    assert counts.loc["32", ["responded", "with_problems", "problems"]].tolist() == [5, 1, 1]


def test_free_text_is_returned_as_delivered(shimane5):
    t = free_text_for(shimane5, "dept", pref_code="32")
    assert t[["name", "option_label", "text"]].values.tolist() == [
        ["浜田市", "その他", "<script>alert(1)</script> &amp; 課"]]
    assert free_text_for(shimane5, "dept", code="322016").empty


def test_prefecture_report_counts_the_municipalities_with_problems():
    """Hand-made counts: 19 responded, 2 with 3 problems, 1 excluded; another prefecture clean."""
    import pandas as pd

    from zaitaku.report.html_summary import prefecture_problem_lines

    counts = pd.DataFrame([
        {"pref_code": "31", "prefecture": "鳥取県", "responded": 19, "with_problems": 0, "problems": 0, "excluded": 0},
        {"pref_code": "32", "prefecture": "島根県", "responded": 19, "with_problems": 2, "problems": 3, "excluded": 1},
    ])
    assert prefecture_problem_lines(counts, "31") == []
    assert prefecture_problem_lines(counts, "32") == [
        "回答した19市町村のうち2市町村のデータに、取り込み時の問題が計3件ありました、うち1市町村は回答を除外。"
        "内容は各市町村のレポートの冒頭にあります。"]


def test_a_long_free_text_is_shortened_in_reports_with_a_note():
    from zaitaku.report.html_summary import FREE_TEXT_MAX, free_text_lines

    texts = pd.DataFrame([{"name": "浜田市", "row_id": "", "row_label": "", "option_id": "6",
                           "text": "連携" * 100_000}, {"name": "松江市", "row_id": "", "row_label": "", "option_id": "6",
                                                      "text": "短い回答"}])
    long, short = free_text_lines(texts, None, None, with_names=True)
    assert short == "松江市：短い回答"
    assert long.startswith("浜田市：" + "連携" * (FREE_TEXT_MAX // 2) + "…")
    assert "全 200,000 文字" in long and len(long) < FREE_TEXT_MAX + 100

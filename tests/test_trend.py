"""Change over years on a hand-built two-year data set (島根県's 19 municipalities, 令和3年度 and the demo
令和4年度). Each change is written down here, apart from the code:

- 問4 ①-7.1 (q4_1_7_1, compare): 「1 現在実施している」 6 of 19 in R3 → 8 of 19 in R4:
  31.6% → 42.1% (+10.5 ポイント), two municipalities: not small. 松江市 answers 1 in both years.
- 問1 (q1, reworded in the demo R4: caution): 「1 設置している」 10 of 19 → 11 of 19: 52.6% → 57.9%
  (+5.3 ポイント), one municipality: small; its reason is the crosswalk's.
- 問4 ①-9 (q4_1_9, removed in R4): not compared.
- 問4 ②-2.2 option 9 (added in R4): not compared; option 1 compared.
- The data covers one prefecture: no same-kind bar, and 全国 only from figures published for that year:
  問1's figure is of 令和6年度, so it is a reference row (令和6年度（参考）), never 全国 of R3 or R4.
"""

from __future__ import annotations

import pandas as pd
import pytest

from zaitaku.analysis.aggregate import focus_of
from zaitaku.analysis.processed import load_years
from zaitaku.analysis.trend import Change, change_sentence, changes, not_compared, trend
from zaitaku.ingest.output import write_processed
from zaitaku.reference.codebook import load_codebook
from zaitaku.reference.municipalities import registry_as_of

MATSUE = "322016"


def shimane() -> list[str]:
    reg = registry_as_of("R3")
    return sorted(reg.loc[reg["pref_code"] == "32", "code"])


# question -> year -> the option each municipality chose, in code order (19 municipalities)
ANSWERS = {
    "q4_1_7_1": {"R3": ["1"] * 6 + ["3"] * 13, "R4": ["1"] * 8 + ["3"] * 11},
    "q1": {"R3": ["1"] * 10 + ["2"] * 9, "R4": ["1"] * 11 + ["2"] * 8},
    "q4_1_9": {"R3": ["2"] * 19},
}
MULTI = {"q4_2_2_2": {"R3": [{"1"}] * 5 + [{"8"}] * 14, "R4": [{"1", "9"}] * 3 + [{"1"}] * 3 + [{"8"}] * 13}}


def _tidy(year: str) -> pd.DataFrame:
    cb = load_codebook(year)
    rows = []
    for qid, by_year in {**ANSWERS, **MULTI}.items():
        if year not in by_year:
            continue
        q = cb[qid]
        for code, chosen in zip(shimane(), by_year[year], strict=True):
            chosen = chosen if isinstance(chosen, set) else {chosen}
            for oid in [*q.option_ids, "na"]:
                rows.append({"survey_year": year, "municipality_code": code, "question_id": qid, "row_id": "",
                             "option_id": oid, "value": int(oid in chosen), "free_text": None})
    return pd.DataFrame(rows).astype({"value": "Int8", "free_text": "string"})


@pytest.fixture(scope="module")
def years(tmp_path_factory):
    out = tmp_path_factory.mktemp("two_years")
    for year in ("R3", "R4"):
        reg = registry_as_of(year)
        munis = reg.assign(survey_year=year, responded=reg["code"].isin(shimane()), source_file="hand", source_row=0)
        problems = pd.DataFrame(columns=["ファイル", "行", "列", "値", "問題", "対応"])
        write_processed(_tidy(year), munis, problems, {"survey_year": year, "synthetic": True}, out)
    return load_years(out)


def test_trend_figures(years):
    focus = focus_of(years["R4"], MATSUE)
    df = trend(years, "R4", "q4_1_7_1", focus)
    pref = df[(df["scope"] == "prefecture") & (df["option_id"] == "1")].set_index("survey_year")
    assert pref["n_selected"].to_dict() == {"R3": 6, "R4": 8} and set(pref["n_base"]) == {19}
    assert (pref["share"] * 100).round(1).to_dict() == {"R3": 31.6, "R4": 42.1}
    own = df[(df["scope"] == "municipality") & (df["option_id"] == "1")]
    assert own["n_selected"].tolist() == [1, 1]
    assert "type" not in set(df["scope"])  # one prefecture's data: no same-kind bar
    assert set(df["comparability"]) == {"compare"}


def test_sentence_numbers(years):
    q = years["R4"].codebook["q4_1_7_1"]
    df = trend(years, "R4", "q4_1_7_1", focus_of(years["R4"], MATSUE))
    top = changes(df, q, "R3", "R4")[0]
    assert (top.option_label, round(top.points, 1), top.small) == ("現在実施している", 10.5, False)  # before its complement
    assert change_sentence(top) == ("県内で『現在実施している』は 令和3年度 31.6%（n=19）→ 令和4年度 42.1%（n=19）"
                                    "（+10.5 ポイント）。")


def test_caution_and_small(years):
    q = years["R4"].codebook["q1"]
    df = trend(years, "R4", "q1", focus_of(years["R4"], MATSUE))
    c = next(c for c in changes(df, q, "R3", "R4") if c.option_label == "設置している")
    assert round(c.points, 1) == 5.3 and c.small and c.comparability == "caution"
    text = change_sentence(c)
    assert text.startswith("県内で『設置している』は 令和3年度 52.6%（n=19）→ 令和4年度 57.9%（n=19）（+5.3 ポイント）")
    assert "2市町村の回答に満たない小さな変化です" in text and "比較に注意：令和4年度は設問文が" in text
    # 全国: 問1's only published figure is of 令和6年度: a labelled reference, never 全国
    assert "nation" not in set(df["scope"])
    ref = df[df["scope"] == "reference"]
    assert set(ref["year_label"]) == {"令和6年度（参考）"} and set(ref["survey_year"]) == {"R6"}


def test_none_is_not_compared(years):
    assert trend(years, "R3", "q4_1_9", focus_of(years["R3"], MATSUE))["survey_year"].unique().tolist() == ["R3"]
    with pytest.raises(KeyError):
        trend(years, "R4", "q4_1_9", focus_of(years["R4"], MATSUE))  # not a question of R4
    df = trend(years, "R4", "q4_2_2_2", focus_of(years["R4"], MATSUE))
    nine = df[df["option_id"] == "9"]
    assert nine["survey_year"].unique().tolist() == ["R4"]  # added in R4: no R3 figure
    one = df[(df["scope"] == "prefecture") & (df["option_id"] == "1")].set_index("survey_year")["n_selected"]
    assert one.to_dict() == {"R3": 5, "R4": 6}
    eight = df[(df["scope"] == "prefecture") & (df["option_id"] == "8")]
    assert eight.set_index("survey_year")["comparability"].to_dict() == {"R3": "caution", "R4": "compare"}
    assert not_compared(years, "R4", "q4_1_7_1") == []


def test_small_threshold_is_two_municipalities():
    assert Change("島根県", "x", "R3", "R4", 6 / 19, 7 / 19, 19, 19).small
    assert not Change("島根県", "x", "R3", "R4", 6 / 19, 8 / 19, 19, 19).small


def test_report_shows_the_trend_under_a_question_and_in_the_summary(years, monkeypatch):
    import zaitaku.report.report as report_module

    shown: list[str] = []
    monkeypatch.setattr(report_module, "display", lambda obj: shown.append(obj.data))
    data_dir = years["R4"].data_dir
    rep = report_module.Report("pdca_indicators", MATSUE, "", "R4", data_dir)
    rep.section("q4_1_7_1")
    html = "".join(shown)
    assert "年度の推移（令和3年度・令和4年度）" in html
    assert "県内で『現在実施している』は 令和3年度 31.6%（n=19）→ 令和4年度 42.1%（n=19）（+10.5 ポイント）。" in html
    assert "31.6%（6/19）" in html and "42.1%（8/19）" in html
    assert "松江市の回答：令和3年度「現在実施している」 → 令和4年度「現在実施している」" in html
    shown.clear()
    rep.summary()
    summary = "".join(shown)
    assert "前の年度から大きく変わったこと" in summary and "+10.5 ポイント" in summary
    shown.clear()
    report_module.Report("pdca_indicators", MATSUE, "", "R3", data_dir).section("q4_1_7_1")
    assert "年度の推移（令和3年度）" not in "".join(shown) and "令和4年度" not in "".join(shown)  # no later year


def test_deck_gains_a_changes_slide(years):
    from zaitaku.report.deck.build import build_deck, slide_titles

    prs, _ = build_deck(years["R4"], focus_of(years["R4"], MATSUE))
    titles = list(slide_titles(prs))
    assert "前の年度からの変化（令和4年度）" in titles
    assert titles.index("前の年度からの変化（令和4年度）") == titles.index("まとめ") - 1


def test_a_question_removed_in_r4_is_a_note_in_the_r4_report(years, monkeypatch):
    import zaitaku.report.report as report_module

    shown: list[str] = []
    monkeypatch.setattr(report_module, "display", lambda obj: shown.append(obj.data))
    rep = report_module.Report("pdca_indicators", MATSUE, "", "R4", years["R4"].data_dir)
    assert rep.section("q4_1_9") is None
    assert "問4 ①-9 取組改善（PDCAの運用）に要する目安期間 は令和4年度の調査票にない設問です（令和3年度の調査票にはあります）。" in shown[-1]

"""The explorer's survey years and trend view, and the change-over-time tutorial's check, on the hand-built
two-year set of ``tests/fixtures/two_years.py`` (島根県's 19 municipalities; 松江市 first in code order).

Written down here from that answer table, apart from the code:

- 問4 ①-7.1 (q4_1_7_1, compare) 「1 現在実施している」: 島根県 5 of 19 = 26.3% (R3) → 9 of 19 = 47.4% (R4),
  +21.1 ポイント, four municipalities: not small. 松江市: 「設定していない」 → 「現在実施している」.
- 問1 (q1, caution: reworded in R4) 「1 設置している」: 12 of 19 = 63.2% → 13 of 19 = 68.4%, +5.2 ポイント,
  one municipality: small; the reason is the crosswalk's (「協議会等の会議体」).
- 問4 ①-9 (q4_1_9): an R3 question only (none in R4).
- 問4 ②-2.2 (q4_2_2_2): option 9 (added in R4, none): R4 4 of 19 = 21.1%, R3 not compared;
  option 8 (caution): 15 of 19 = 78.9% → 12 of 19 = 63.2% (-15.7); option 1: 4 → 5 of 19, 21.1% → 26.3%.
- 問4 ①-1 (q4_1_1) option 4: 島根県 7 → 8 of 19 (36.8% → 42.1%); 全国 R3 is the figure published for
  令和3年度, 51.2% of n = 1,717; the data covers one prefecture, so no same-kind line.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from zaitaku.analysis.aggregate import focus_of
from zaitaku.analysis.processed import load_years
from zaitaku.explore.explorer import Explorer
from zaitaku.explore.tables import answers_over_years, crosswalk_table
from zaitaku.explore.trend_view import build_trend, trend_view
from zaitaku.explore.tutorials import check_change
from zaitaku.lookup import InputError

MATSUE = "322016"


@pytest.fixture(scope="module")
def years(two_years_dir):
    return load_years(two_years_dir)


@pytest.fixture
def explorer(two_years_dir, tmp_path):
    return Explorer(two_years_dir, municipality="松江市", question="q4_1_7_1", exports_dir=tmp_path / "exports")


def pref_figure(ex: Explorer, option: str) -> tuple[int, int]:
    f = ex.current_figures
    row = f[(f["scope"] == "prefecture") & (f["option_id"] == option)]
    return int(row["n_selected"].item()), int(row["n_base"].item())


def test_year_selector_offers_every_year_newest_first(explorer):
    assert explorer.year.options == (("令和4年度", "R4"), ("令和3年度", "R3"))
    assert explorer.year.value == "R4" and explorer.data.survey_year == "R4"


def test_year_selector_changes_the_figures(explorer):
    ex = explorer
    assert pref_figure(ex, "1") == (9, 19)
    mine = ex.current_figures[(ex.current_figures["scope"] == "municipality") & (ex.current_figures["option_id"] == "1")]
    assert int(mine["n_selected"].item()) == 1  # 松江市 answered 1 in R4
    ex.year.value = "R3"
    assert ex.last_error is None and ex.data.survey_year == "R3"
    assert pref_figure(ex, "1") == (5, 19)
    mine = ex.current_figures[(ex.current_figures["scope"] == "municipality") & (ex.current_figures["option_id"] == "1")]
    assert int(mine["n_selected"].item()) == 0
    assert "26.3%（5/19）" in ex.current_html and "47.4%" not in ex.current_html.split("zaitaku-trend")[0]
    assert ex.current_trend is None and "令和3年度より前の年度のデータがありません" in ex.current_html


def test_a_question_missing_in_the_chosen_year(two_years_dir, tmp_path):
    ex = Explorer(two_years_dir, municipality="松江市", question="q4_1_9", exports_dir=tmp_path, year="R3")
    assert ex.question.value == "q4_1_9" and ex.last_error is None
    ex.year.value = "R4"  # removed in R4: another question of its group is shown
    assert ex.last_error is None and ex.question.value != "q4_1_9"
    assert "q4_1_9" not in {v for _, v in ex.question.options}
    with pytest.raises(InputError, match="令和5年度"):
        Explorer(two_years_dir, year="R5")


def test_trend_in_the_explorer(explorer):
    ex = explorer
    tv = ex.current_trend
    assert tv is not None and tv.option_id == "1" and tv.held == ["R3", "R4"]
    assert tv.shares("prefecture")[["年度", "該当数", "n", "割合（%）", "比較"]].to_dict("records") == [
        {"年度": "令和3年度", "該当数": 5, "n": 19, "割合（%）": 26.3, "比較": "比較できる"},
        {"年度": "令和4年度", "該当数": 9, "n": 19, "割合（%）": 47.4, "比較": "比較できる"}]
    assert tv.own_answers == {"R3": "設定していない", "R4": "現在実施している"}
    assert ("県内で『現在実施している』は 令和3年度 26.3%（n=19）→ 令和4年度 47.4%（n=19）（+21.1 ポイント）。"
            in ex.current_html)
    assert "松江市の回答：令和3年度「設定していない」・令和4年度「現在実施している」" in ex.current_html
    ex.trend_option.value = "|3"
    assert ex.current_trend is not None and ex.current_trend.option_id == "3"
    assert (ex.current_trend.shares()["割合（%）"].tolist()) == [73.7, 52.6]  # 14 → 10 of 19


def test_trend_view_caution_is_marked_with_its_reason(years):
    tv = trend_view(years, "q1", "松江市")
    pref = tv.shares("prefecture")
    assert pref["割合（%）"].tolist() == [63.2, 68.4] and pref["比較"].tolist() == ["注意", "比較できる"]
    assert "協議会等の会議体" in pref["理由"].iloc[0]
    table = tv.table()
    assert table.loc["島根県", "令和3年度"] == "63.2%（12/19）（注意）" and table.loc["島根県", "令和4年度"] == "68.4%（13/19）"
    assert any(n.startswith("令和3年度との比較は注意が必要です：令和4年度は設問文が「協議会等の会議体」") for n in tv.notes)
    (c,) = [c for c in tv.changes if c.scope_label == "島根県"]
    assert round(c.points, 1) == 5.2 and c.small and c.comparability == "caution"
    lines = tv.chart().axes[0].get_lines()
    segments = [ln for ln in lines if len(set(ln.get_xdata())) == 2]  # between two years
    assert [ln.get_linestyle() for ln in segments] == ["--"]  # the one segment (島根県) dashed
    hollow = [ln for ln in lines if len(ln.get_xdata()) == 1 and ln.get_markerfacecolor() == "white"]
    assert len(hollow) == 1  # the R3 point


def test_trend_view_none_is_not_compared_and_the_line_broken(years):
    tv = trend_view(years, "q4_2_2_2", "松江市", option="9")
    assert tv.not_compared == {"R3": "令和4年度に加わった選択肢で、令和3年度には相当する選択肢がない"}
    assert tv.shares("prefecture").to_dict("records")[0]["比較"] == "比較しない"
    assert tv.shares("prefecture")["割合（%）"].tolist()[1] == 21.1
    assert tv.table().loc["島根県"].tolist() == ["比較しない", "21.1%（4/19）"]
    assert tv.changes == [] and tv.sentences == []
    assert not [ln for ln in tv.chart().axes[0].get_lines() if len(set(ln.get_xdata())) == 2]  # no line into R3
    eight = trend_view(years, "q4_2_2_2", "松江市", option="8")
    assert eight.shares()["割合（%）"].tolist() == [78.9, 63.2] and list(eight.caution) == ["R3"]
    assert round(eight.changes[0].points, 1) == -15.7
    one = trend_view(years, "q4_2_2_2", "松江市", option="1")
    assert one.shares()["該当数"].tolist() == [4, 5] and one.caution == {}


def test_trend_view_national_is_the_same_years_figure(years):
    tv = trend_view(years, "q4_1_1", "松江市", option="4")
    nation = tv.frame[tv.frame["scope"] == "nation"].set_index("survey_year")
    assert nation.loc["R3", "share"] == pytest.approx(0.512) and nation.loc["R3", "n_base"] == 1717
    assert nation.loc["R3", "source"] == "published" and nation.loc["R3", "year_label"] == "令和3年度"
    assert set(nation.index) <= {"R3", "R4"}  # never another year's figure as 全国
    assert "type" not in set(tv.frame["scope"])
    assert tv.shares("prefecture")["割合（%）"].tolist() == [36.8, 42.1]


def test_trend_view_for_the_older_year_and_bad_input(years):
    tv = build_trend(years, "R3", "q4_1_7_1", focus_of(years["R3"], MATSUE))
    assert tv.held == ["R3"] and tv.changes == []
    with pytest.raises(InputError, match="選択肢「99」はありません"):
        trend_view(years, "q4_1_7_1", "松江市", option="99")
    with pytest.raises(InputError, match="令和6年度のデータがありません"):
        trend_view(years, "q4_1_7_1", "松江市", year="R6")


def test_save_writes_the_trend(explorer, tmp_path):
    ex = explorer
    ex.select("q4_2_2_2")
    ex.trend_option.value = "|9"
    paths = ex.save()
    names = [p.name for p in paths]
    assert names[-3:] == ["R4_322016_松江市_q4_2_2_2_推移.csv", "R4_322016_松江市_q4_2_2_2_推移.png",
                          "R4_322016_松江市_q4_2_2_2_推移.svg"]
    csv = paths[-3]
    assert csv.read_bytes().startswith(b"\xef\xbb\xbf")
    back = pd.read_csv(csv, encoding="utf-8-sig")
    pref = back[back["集計範囲"] == "島根県"]
    assert pref[["年度", "該当数", "分母", "割合(%)"]].values.tolist() == [["令和4年度", 4, 19, 21.1]]
    r3 = back[back["年度"] == "令和3年度"]
    assert r3["比較"].tolist() == ["比較しない"] and "加わった選択肢" in r3["理由"].item()
    svg = paths[-1].read_text(encoding="utf-8")
    for text in ("SNS・動画による情報発信", "令和3年度とは比較しません", "デモ用の架空データ"):
        assert text in svg
    assert paths[-2].read_bytes().startswith(b"\x89PNG")


def test_answers_over_years_and_the_crosswalk_table(years):
    assert answers_over_years(years, "q4_1_7_1", "松江市")["回答"].tolist() == ["設定していない", "現在実施している"]
    assert answers_over_years(years, "q4_1_9", "松江市")["回答"].tolist() == ["約1年", "この年度の調査票にない設問"]
    cw = crosswalk_table("R3", "R4")
    caution = cw[cw["比較"] == "比較に注意"]
    assert caution["設問番号"].tolist() == ["問1", "問4 ②-2.2"]
    assert caution["選択肢"].tolist() == ["", "8 実施していない"]
    assert cw[cw["比較"] == "比較しない"]["設問番号"].tolist() == ["問4 ①-9", "問4 ②-2.2"]


def test_check_change_accepts_the_right_answer_only(years, capsys):
    tv = trend_view(years, "q1", "松江市")  # 島根県 63.2% → 68.4%: +5.2 ポイント, caution
    assert check_change(tv, 5.2)
    out = capsys.readouterr().out
    assert out.startswith("正解です：県内で『設置している』は 令和3年度 63.2%（n=19）→ 令和4年度 68.4%（n=19）（+5.2 ポイント）")
    assert "ただし比較に注意：令和4年度は設問文が" in out
    assert check_change(tv, 5.26)  # subtracted before rounding: within 0.1
    capsys.readouterr()
    for wrong, hint in ((-5.2, "符号が逆"), (0.052, "パーセントの数"), (68.4, "+68.4 ポイントではありません"),
                        ("たくさん", "数で答えてください"), (float("nan"), "NaN")):
        assert not check_change(tv, wrong), wrong
        out = capsys.readouterr().out
        assert hint in out and "5.2" not in out.replace("例：5.2", ""), out  # the answer is not given away
    none = trend_view(years, "q4_2_2_2", "松江市", option="9")
    assert not check_change(none, 21.1) and "比べられる2つの年度がありません" in capsys.readouterr().out


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="/usr/bin/chromium not installed (apt-get install chromium)")
def test_axe_on_the_trend_view(explorer, tmp_path):
    """The explorer's panel and trend (caution and none both shown) as a page: axe-core finds nothing (WCAG 2.1 A, AA)."""
    from zaitaku.render.accessibility import check_pages

    ex = explorer
    ex.select("q1")
    caution = ex.current_html
    ex.select("q4_2_2_2")
    ex.trend_option.value = "|9"
    page = tmp_path / "trend.html"
    page.write_text('<!DOCTYPE html><html lang="ja"><head><meta charset="utf-8"><title>年度の推移</title></head>'
                    f"<body><main><h1>年度の推移</h1>{caution}{ex.current_html}</main></body></html>", encoding="utf-8")
    (result,), _ = check_pages([("年度の推移", page)], tmp_path)
    assert result.passes > 5
    assert [f"{v['id']}: {v['nodes'][0]['html'] if v['nodes'] else ''}" for v in result.violations] == []


def test_a_question_without_answers_shows_no_figures_not_an_error(two_years_dir, tmp_path):
    ex = Explorer(two_years_dir, municipality="松江市", exports_dir=tmp_path)  # the first question: nobody answered it
    assert ex.last_error is None and ex.current_trend is not None
    assert ex.current_trend.not_compared == {}  # compared, only empty: no 「比較しない」
    assert ex.current_trend.shares()["比較"].tolist() == ["数値なし", "数値なし"]
    assert "令和3年度・令和4年度の『" in ex.current_html and "の数値はありません（回答がありません）" in ex.current_html

"""The explorer driven from pytest, on a processed dataset small enough to check by hand.

Eight municipalities answer (everything else 未回答):

=========  ======  ====  ==========  ================
name       pref    type  q1          q4_1_7_1 → 7_2
=========  ======  ====  ==========  ================
松江市     島根県  市    1 設置      3 (not asked)
浜田市     島根県  市    1 設置      1 → 5, 6
出雲市     島根県  市    2 なし      2 → 6
奥出雲町   島根県  町    1 設置      1 → 6, 11
飯南町     島根県  町    (blank)     3
鳥取市     鳥取県  市    1 設置      1 → 11
米子市     鳥取県  市    1 設置      3
日吉津村   鳥取県  村    2 なし      3
=========  ======  ====  ==========  ================

So for q1 ``設置している``: 島根県 3 of 5 = 60.0%, 鳥取県 2 of 3 = 66.7% (shown as a count,
n < 5), 全国 5 of 8 = 62.5%. For q4_1_7_2 the base is the 4 municipalities that answered 1 or 2
to q4_1_7_1: option 6 (退院時の連携) 3 of 4, in 島根県 3 of 3. The data covers 8 of 1,741
municipalities, so there is no same-type (全国の市) comparison here; that one is checked on the demo.
"""

from __future__ import annotations

import html

import pandas as pd
import pytest

from zaitaku.analysis.aggregate import load_processed
from zaitaku.explore.explorer import build_view
from zaitaku.ingest.output import write_processed
from zaitaku.ingest.pipeline import BLANK, NOT_ASKED, Record, to_tidy
from zaitaku.reference.codebook import load_codebook
from zaitaku.reference.municipalities import load_registry

ANSWERS = {  # code: (q1, q4_1_7_1, q4_1_7_2)
    "322016": ("1", "3", None),  # 松江市
    "322024": ("1", "1", {"5", "6"}),  # 浜田市
    "322032": ("2", "2", {"6"}),  # 出雲市
    "323438": ("1", "1", {"6", "11"}),  # 奥出雲町
    "323861": (None, "3", None),  # 飯南町
    "312011": ("1", "1", {"11"}),  # 鳥取市
    "312029": ("1", "3", None),  # 米子市
    "313840": ("2", "3", None),  # 日吉津村
}


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory):
    """The processed set written as `zaitaku ingest` writes it (zaitaku.ingest.output.write_processed)."""
    cb = load_codebook("R3")
    records = []
    for i, (code, (q1, q71, q72)) in enumerate(ANSWERS.items()):
        answers = {("q1", ""): {q1} if q1 else BLANK, ("q4_1_7_1", ""): {q71},
                   ("q4_1_7_2", ""): q72 if q72 else NOT_ASKED}
        records.append(Record(code=code, file="tiny.csv", row=i + 2, answers=answers))
    responses = to_tidy(records, cb)
    munis = load_registry().assign(responded=lambda m: m["code"].isin(ANSWERS), source_file="tiny.csv",
                                   source_row=0)
    out = tmp_path_factory.mktemp("tiny_processed")
    meta = {"survey_year": "R3", "codebook_version": cb.version, "synthetic": False, "raw_files": [],
            "n_municipalities": len(ANSWERS)}
    write_processed(responses, munis, pd.DataFrame(), meta, out)
    return out


@pytest.fixture
def explorer(tiny_dir, tmp_path):
    from zaitaku.explore.explorer import Explorer

    ex = Explorer(tiny_dir, municipality="322016", question="q1", exports_dir=tmp_path / "exports")
    assert ex.last_error is None
    return ex


def figure(ex, scope: str, option: str = "1", focus: str | None = None) -> tuple[int, int, float]:
    f = ex.current_figures
    f = f[(f["scope"] == scope) & (f["option_id"] == option)]
    if focus:
        f = f[f["focus_code"] == focus]
    assert len(f) == 1, f
    r = f.iloc[0]
    return int(r["n_selected"]), int(r["n_base"]), round(float(r["share"]) * 100, 1)


def test_tiny_dataset_is_what_the_docstring_says(tiny_dir):
    s = load_processed(tiny_dir).shares
    q1 = s[(s["question_id"] == "q1") & (s["option_id"] == "1")].set_index(["scope", "scope_code"])
    assert q1.loc[("prefecture", "32"), "n_selected"] == 3 and q1.loc[("prefecture", "32"), "n_base"] == 5
    assert q1.loc[("prefecture", "31"), "n_selected"] == 2 and q1.loc[("prefecture", "31"), "n_base"] == 3
    assert q1.loc[("nation", "全国"), "n_selected"] == 5 and q1.loc[("nation", "全国"), "n_base"] == 8


def test_initial_view_matsue_q1(explorer):
    ex = explorer
    assert ex.prefecture.value == "32" and ex.municipality.value == "322016 松江市"
    assert ex.question.value == "q1" and ex.group.value == "partnerships"
    assert figure(ex, "municipality") == (1, 1, 100.0)
    assert figure(ex, "prefecture") == (3, 5, 60.0)
    assert figure(ex, "nation") == (5, 8, 62.5)
    assert figure(ex, "prefecture", "na") == (1, 5, 20.0)  # 飯南町 left it blank
    assert set(ex.current_figures["scope"]) == {"municipality", "prefecture", "nation"}
    # 8 municipalities are not the nation: the computed figure is relabelled (figures rules, issue 11)
    assert ex.current_sentence == ("松江市は『設置している』と回答。県内5市町村のうち3（60%）、"
                                   "手元データ全体（全国ではありません）では62%が同じ回答です。")
    assert ex.current_png.startswith(b"\x89PNG")
    # what the Output widget shows: the chart, the sentence and the figures table
    (shown,) = ex.output.outputs
    html = shown["data"]["text/html"]
    assert 'class="zaitaku-chart"' in html and '<svg class="chart"' in html and ex.current_sentence in html
    assert "60.0%（3/5）" in html and "62.5%（5/8）" in html


def test_municipality_in_other_prefecture_by_label(explorer):
    ex = explorer
    before_png, before = ex.current_png, ex.n_refreshes
    ex.municipality.value = "312011 鳥取市"
    assert ex.n_refreshes == before + 1  # one change, one redraw
    assert ex.prefecture.value == "31"  # followed the municipality
    assert "312029 米子市" in ex.municipality.options and "322024 浜田市" not in ex.municipality.options
    assert figure(ex, "prefecture") == (2, 3, 66.7)  # 2 of 3
    assert figure(ex, "nation") == (5, 8, 62.5)
    assert ex.current_sentence == ("鳥取市は『設置している』と回答。県内3市町村のうち2、"
                                   "手元データ全体（全国ではありません）では62%が同じ回答です。")
    assert ex.current_png != before_png
    assert "2/3" in ex.current_html  # under 5: a count, not a percentage


@pytest.mark.parametrize("typed, code", [("322024", "322024"), ("出雲", "322032"), ("奥出雲町", "323438"),
                                         ("32386", "323861")])
def test_typed_name_or_code(explorer, typed, code):
    explorer.municipality.value = typed
    assert explorer.last_error is None
    assert explorer.current_views[0].focus.code == code
    assert explorer.municipality.value.startswith(code + " ")


def test_type_ahead_options_match_name_and_code(explorer):
    # the browser filters the Combobox's options by substring: both the code and the name must be in them
    opts = explorer.municipality.options
    assert [o for o in opts if "松江" in o] == ["322016 松江市"]
    assert [o for o in opts if "32203" in o] == ["322032 出雲市"]
    assert len(explorer.compare_with.options) == len(ANSWERS)  # only municipalities with answers


def test_unknown_municipality_keeps_the_view(explorer):
    ex = explorer
    sentence = ex.current_sentence
    ex.municipality.value = "大阪市"  # exists, but did not answer
    assert "回答データがありません" in ex.status.value
    ex.municipality.value = "どこにもない町"
    assert "見つかりません" in ex.status.value
    assert ex.current_sentence == sentence and ex.last_error is None
    ex.municipality.value = "322016 松江市"
    assert ex.status.value == ""


def test_prefecture_dropdown(explorer):
    ex = explorer
    assert [v for _, v in ex.prefecture.options] == ["31", "32"]
    before = ex.n_refreshes
    ex.prefecture.value = "31"
    assert ex.n_refreshes == before + 1
    assert ex.municipality.value == "312011 鳥取市"  # the first of the prefecture
    assert figure(ex, "prefecture") == (2, 3, 66.7)


def test_scopes(explorer):
    ex = explorer
    ex.scopes["prefecture"].value = False
    assert "prefecture" not in set(ex.current_figures["scope"])
    assert figure(ex, "nation") == (5, 8, 62.5)
    ex.scopes["nation"].value = False  # nothing left to compare with: a message, no chart
    assert set(ex.current_figures["scope"]) == {"municipality"}
    assert ex.current_png is None and "1つ以上" in ex.current_html
    ex.scopes["prefecture"].value = True
    assert figure(ex, "prefecture") == (3, 5, 60.0) and ex.current_png is not None


def test_same_type_needs_data_for_the_nation(explorer):
    # 8 of 1,741 municipalities: a 「全国の市」 bar would be the 5 市 of two prefectures, so it is off
    box = explorer.scopes["type"]
    assert box.disabled and not box.value and "全国を含まない" in box.description
    view = build_view(explorer.data, "q1", explorer.current_views[0].focus, ["prefecture", "type"])
    assert "type" not in set(view.figures["scope"])
    assert any("同じ種類の市町村との比較は表示していません" in n.text for n in view.notes)


def test_same_type_on_the_demo_data(processed_dir, tmp_path):
    """The demo covers the nation: 全国の市 appears, equal to a count straight from the responses."""
    from zaitaku.explore.explorer import Explorer

    ex = Explorer(processed_dir, municipality="松江市", question="q1", exports_dir=tmp_path)
    box = ex.scopes["type"]  # on by default, as in the reports, and named as the bars and the sentence name it
    assert not box.disabled and box.value and box.description == "全国の中核市"
    assert "全国の中核市（n=62）" in ex.current_sentence
    data = ex.data
    m = data.municipalities
    # 松江市 is a 中核市: compared with its own kind (figures rules, issue 11)
    cities = set(m.loc[m["responded"] & (m["type"] == "市") & m["core_city"], "code"])
    r = data.responses
    r = r[(r["question_id"] == "q1") & (r["option_id"] == "1") & r["municipality_code"].isin(cities)]
    n_sel, n_base = int((r["value"] == 1).sum()), int(r["value"].notna().sum())
    assert figure(ex, "type")[:2] == (n_sel, n_base) and n_base == 62
    assert "全国の中核市（n=62）" in set(ex.current_figures["scope_label"])
    ex.municipality.value = "奥出雲町"
    assert box.description == "全国の町"
    labels = set(ex.current_figures.loc[ex.current_figures["scope"] == "type", "scope_label"])
    assert len(labels) == 1 and labels.pop().startswith("全国の町（n=")


def test_published_national_figures(explorer):
    from zaitaku.reference.published import published_comparison, published_note

    ex = explorer
    ex.scopes["published"].value = True
    # 問1's only published figure is of 令和6年度: never the 全国 of 令和3年度 (a reference in the trend only)
    assert published_comparison("q1", "R3") is None
    f = ex.current_figures
    assert not (f["source"] == "published").any()
    computed = f[(f["scope"] == "nation") & (f["source"] == "computed") & (f["option_id"] == "1")]
    assert (int(computed["n_selected"].item()), int(computed["n_base"].item())) == (5, 8)
    pub = published_comparison("q4_1_1", "R3")
    assert pub is not None, "q4_1_1 has a published 令和3年度 national figure (data/raw/reference)"
    ex.select("q4_1_1")
    f = ex.current_figures
    shown = f[(f["source"] == "published") & ~f["is_group"]].set_index("option_id")["share"]
    assert shown.to_dict() == pub.set_index("option_id")["share"].to_dict()
    assert set(f.loc[f["source"] == "published", "scope_label"]) == {pub.attrs["label"]}
    note = published_note("q4_1_1", "R3")  # where the published figure comes from, as in the reports
    assert note and note.startswith("全国は厚生労働省資料等の公表値です")
    assert any(note in n.text for n in ex.current_views[0].notes)
    assert html.escape(note) in ex.current_html
    ex.scopes["nation"].value = False  # the published bar alone
    assert set(ex.current_figures.loc[ex.current_figures["scope"] == "nation", "source"]) == {"published"}


def test_published_fallback_note(explorer):
    ex = explorer
    ex.select("q4_1_7_2")
    ex.scopes["nation"].value = False
    ex.scopes["published"].value = True
    assert ex.last_error is None
    f = ex.current_figures
    if (f["source"] == "published").any():
        pytest.skip("q4_1_7_2 has a published national figure now")
    # no published figure, and this data covers 8 of 1,741 municipalities: no national bar, as the note says
    assert "全国の公表値がなく" in " ".join(n.text for n in ex.current_views[0].notes)
    assert "nation" not in set(f["scope"])
    ex.scopes["nation"].value = True
    assert figure(ex, "nation", "6") == (3, 4, 75.0)


def test_conditional_question_not_asked(explorer):
    ex = explorer
    ex.select("q4_1_7_2")
    assert ex.group.value == "pdca_indicators"
    # 松江市 answered 3 to q4_1_7_1: not asked; the base is the municipalities that were asked
    assert ex.current_sentence.startswith("松江市はこの設問の対象外です")
    assert figure(ex, "prefecture", "6") == (3, 3, 100.0)
    assert figure(ex, "nation", "6") == (3, 4, 75.0)
    assert figure(ex, "nation", "11") == (2, 4, 50.0)
    assert "対象：問4 ①-7.1" in ex.current_html


def test_group_then_question(explorer):
    ex = explorer
    ex.group.value = "pdca_indicators"
    assert ex.question.value == "q4_1_1"
    ex.question.value = "q4_1_7_1"
    assert figure(ex, "prefecture", "3") == (2, 5, 40.0)  # 松江市 飯南町
    assert figure(ex, "nation", "1") == (3, 8, 37.5)  # 浜田市 奥出雲町 鳥取市


def test_second_municipality_side_by_side(explorer):
    ex = explorer
    ex.select("q4_1_7_2")
    ex.compare_with.value = "鳥取市"
    assert ex.compare_with.value == "312011 鳥取市"
    assert list(ex.current_figures["focus_code"].unique()) == ["322016", "312011"]
    assert len(ex.current_sentences) == 2
    assert ex.current_sentences[1].startswith("鳥取市が選んだのは『研修会の開催回数・参加者数』（1項目）です。")
    assert figure(ex, "prefecture", "11", focus="312011") == (1, 1, 100.0)
    assert "zaitaku-side-by-side" in ex.current_html and ex.current_html.count("zaitaku-chart") == 2
    ex.compare_with.value = ""
    assert list(ex.current_figures["focus_code"].unique()) == ["322016"]


def test_save_writes_csv_with_bom_and_png(explorer, tmp_path):
    ex = explorer
    ex.compare_with.value = "312011 鳥取市"
    ex.save_button.click()
    csv, *charts = ex.last_saved
    assert csv == tmp_path / "exports" / "R3_322016_松江市_q1_vs_312011_鳥取市.csv"
    assert csv.read_bytes().startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM: Excel reads the Japanese
    back = pd.read_csv(csv, encoding="utf-8-sig")
    assert list(back.columns[:9]) == ["対象", "設問番号", "設問", "項目", "選択肢", "集計範囲", "該当数", "分母", "割合(%)"]
    assert len(back) == len(ex.current_figures)
    row = back[(back["対象"] == "鳥取市（鳥取県）") & (back["集計範囲"] == "鳥取県") & (back["選択肢"] == "設置している")]
    assert (row["該当数"].item(), row["分母"].item()) == (2, 3)
    assert pd.isna(row["割合(%)"].item())  # n under 5: read 該当数/分母, as in the reports' CSV
    mine = back[(back["対象"] == "松江市（島根県）") & (back["集計範囲"] == "島根県") & (back["選択肢"] == "設置している")]
    assert mine["割合(%)"].item() == 60.0  # a percentage, not a share: 3 of 5
    assert [p.name for p in charts] == ["R3_322016_松江市_q1.png", "R3_322016_松江市_q1.svg",
                                        "R3_312011_鳥取市_q1.png", "R3_312011_鳥取市_q1.svg"]
    assert charts[0].read_bytes().startswith(b"\x89PNG") and charts[2].read_bytes().startswith(b"\x89PNG")
    assert charts[0].read_bytes() == ex.current_png
    svg = charts[1].read_text(encoding="utf-8")
    for text in ("問1 協議会の設置", "松江市（島根県）", "島根県（n=5）", "手元データ全体（全国ではありません）（n=8）",
                 "出典：令和3年度 在宅医療・介護連携推進事業の実施状況に関する調査（市町村票）", "設問：貴市区町村では"):
        assert text in svg, text
    assert "デモ用の架空データ" not in svg  # the tiny set is not marked synthetic
    assert "保存しました" in ex.status.value


def test_tutorial_helpers(tiny_dir, tmp_path):
    from zaitaku.explore.explorer import answers, compare, question_info

    data = load_processed(tiny_dir)
    info = question_info(data, "q1")
    assert list(info.options["選択肢"]) == ["設置している", "設置していない", "未回答"]
    a = answers(data, "q1", prefecture="島根県")
    assert list(a["市町村"]) == ["松江市", "浜田市", "出雲市", "奥出雲町", "飯南町"]
    assert a.set_index("市町村")["回答"].to_dict()["飯南町"] == "未回答"
    a = answers(data, "q4_1_7_2", prefecture="島根県", type="市")
    assert a.set_index("市町村")["回答"].to_dict() == {
        "松江市": "対象外", "浜田市": "入院時の情報提供の割合・退院時の連携（退院調整）の割合",
        "出雲市": "退院時の連携（退院調整）の割合"}
    v = compare(data, "q4_1_7_2", "浜田市", scopes=["prefecture"])
    shares = v.shares("prefecture")  # asked in 島根県: 浜田市 出雲市 奥出雲町
    top = shares.iloc[0]
    assert (top["選択肢"], top["該当数"], top["n"], top["割合（%）"]) == ("退院時の連携（退院調整）の割合", 3, 3, 100.0)
    assert shares.set_index("選択肢").loc["入院時の情報提供の割合", "割合（%）"] == 33.3
    paths = v.save(tmp_path / "out")
    assert [p.suffix for p in paths] == [".csv", ".png", ".svg"] and all(p.stat().st_size for p in paths)


@pytest.mark.parametrize("typed, code", [
    (14702, "014702"),            # an int that lost its leading zero (papermill -p municipality_code 014702)
    ("14702", "014702"),          # the same, typed
    ("014702", "014702"),
    (322016, "322016"),
    ("32201", "322016"),          # 5-digit code without the check digit
    ("３２２０１６", "322016"),   # full width
    ("松江", "322016"),           # part of a name
    ("島根県松江市", "322016"),
    (" 松江市 ", "322016"),
])
def test_codes_as_people_type_them(typed, code):
    """Against the whole registry (every municipality answering), independent of the tiny data."""
    from types import SimpleNamespace

    from zaitaku.explore.explorer import find_code

    everyone = SimpleNamespace(municipalities=load_registry().assign(responded=True))
    assert find_code(everyone, typed) == code
    hokkaido = load_registry().set_index("code").loc["014702"]
    assert hokkaido["prefecture"] == "北海道"  # the code of the example exists (registry, not the code under test)


def test_explorer_html_escapes_names(explorer):
    """Text from the data goes through the templates' autoescape: a label with markup stays text."""
    from dataclasses import replace

    view = explorer.current_views[0]
    q = replace(view.question, title="<b>危険</b>&")
    html_out = replace(view, section=replace(view.section, question=q)).html()
    assert "&lt;b&gt;危険&lt;/b&gt;&amp;" in html_out and "<b>危険</b>" not in html_out


def test_show_and_save_a_section(tiny_dir, tmp_path):
    """The tutorials' Section path: build_section -> show_section (HTML panel) -> save_section (CSV + PNG)."""
    from zaitaku.analysis.aggregate import focus_of
    from zaitaku.explore.explorer import save_section, show_section
    from zaitaku.report.section import build_section

    data = load_processed(tiny_dir)
    s = build_section(data, "q1", focus_of(data, "322016"))
    panel = show_section(s)._repr_html_()
    assert 'class="zaitaku-chart"' in panel and '<svg class="chart"' in panel
    assert "60.0%（3/5）" in panel and s.sentences[0] in panel
    csv, png, svg = save_section(s, tmp_path)
    assert (csv.name, png.name, svg.name) == ("322016_松江市_q1.csv", "322016_松江市_q1.png", "322016_松江市_q1.svg")
    assert png.read_bytes().startswith(b"\x89PNG") and csv.read_bytes().startswith(b"\xef\xbb\xbf")

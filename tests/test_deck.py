"""The PowerPoint deck: written decks opened with python-pptx and checked against independent figures.

Decks are built once per module from the synthetic demo data (島根県, and 出雲市 in it). Expected
figures come from :func:`zaitaku.report.section.build_section` (not from the deck code), one value
from the raw tidy responses, the slide order from the 島根県 deck written out by hand, and the
timing table from the printed source table.
"""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
import types
from pathlib import Path

import pandas as pd
import pytest
from pptx import Presentation
from pptx.enum.chart import XL_CHART_TYPE
from pptx.enum.shapes import MSO_SHAPE_TYPE

from zaitaku.analysis.aggregate import focus_of, load_processed
from zaitaku.cli import main
from zaitaku.report.blocks import deck_blocks, subset_section
from zaitaku.report.deck.build import build_deck, to_bytes, write_deck
from zaitaku.report.deck.style import SYNTHETIC_TEXT
from zaitaku.report.section import build_section

PINK = "E4007F"
IZUMO = "322032"
# the 島根県 deck's numbered slides in order, by hand ("-" = 問1, shown without a number)
DECK_ORDER = ["1", "-", "2.①", "2.②", "3", "4", "5.①", "5.②", "6", "7", "8", "9", "10", "11", "12.①",
              "12.②", "12.③", "12.④", "13", "14", "15", "16", "17.①", "17.②", "18", "19", "20", "21.①",
              "21.②", "21.③", "21.④", "21.⑤", "22.①", "22.②", "23.①", "23.②", "24"]


@pytest.fixture(scope="module")
def data(processed_dir):
    return load_processed(processed_dir)


@pytest.fixture(scope="module")
def decks(data, tmp_path_factory):
    """(focus, path, Presentation) for the prefecture deck and the 出雲市 deck, as written to disk."""
    out = tmp_path_factory.mktemp("decks")
    result = {}
    for key, code in (("pref", ""), ("muni", IZUMO)):
        focus = focus_of(data, code, "島根県")
        path = write_deck(data, focus, out, "computed", timing=key == "pref")
        result[key] = (focus, path, Presentation(str(path)))
    return result


def _charts(slide):
    return [sh.chart for sh in slide.shapes if sh.has_chart]


def _fill_rgb(shape_format) -> str | None:
    try:
        return str(shape_format.fill.fore_color.rgb)
    except (AttributeError, TypeError):
        return None


def _line_rgb(shape_format) -> str | None:
    try:
        return str(shape_format.line.color.rgb)
    except (AttributeError, TypeError):
        return None


# --------------------------------------------------------------------------------------------
# order and titles


@pytest.mark.parametrize("key", ["pref", "muni"])
def test_slide_order_follows_the_codebook_blocks(decks, data, key):
    _, path, prs = decks[key]
    blocks = deck_blocks(data.codebook)
    assert [b.number for b in blocks] == DECK_ORDER
    titles = [s.shapes.title.text for s in prs.slides]
    assert titles[1] == "調査の概要"
    assert titles[2:2 + len(blocks)] == [b.label for b in blocks]
    assert titles[2 + len(blocks)] == "まとめ"
    assert titles[3 + len(blocks)] == "市町村担当者のみなさまへ"
    extra = 4 if key == "pref" else 0  # the timing slides
    assert len(prs.slides) == 4 + len(blocks) + extra
    assert all(t.strip() for t in titles), "a slide without a title"
    assert path.suffix == ".pptx" and path.stat().st_size > 50_000
    assert prs.slide_width * 9 == prs.slide_height * 16  # 16:9


def test_title_slide_names_the_survey_the_area_and_the_synthetic_data(decks):
    for key, who in (("pref", "島根県内市町村"), ("muni", "出雲市")):
        text = "\n".join(sh.text_frame.text for sh in decks[key][2].slides[0].shapes if sh.has_text_frame)
        assert "在宅医療・介護連携推進事業の実施状況に関する調査" in text
        assert "令和3年度" in text and who in text
        assert SYNTHETIC_TEXT in text
        # every other slide says it too, in its footer
        for slide in list(decks[key][2].slides)[1:]:
            assert any(sh.name == "架空データの表示" for sh in slide.shapes)


def test_no_synthetic_banner_on_real_data(data):
    real = dataclasses.replace(data, meta={**data.meta, "synthetic": False})
    prs, _ = build_deck(real, focus_of(real, "", "島根県"), "computed")
    for slide in prs.slides:
        for sh in slide.shapes:
            assert not (sh.has_text_frame and "synthetic" in sh.text_frame.text)


# --------------------------------------------------------------------------------------------
# charts: embedded values, labels, colours


def _expected_sections(data, focus, block, national="computed"):
    return [subset_section(build_section(data, p.question_id, focus, national), p) for p in block.parts]


def _options_only(figures: pd.DataFrame) -> pd.DataFrame:
    """Named option groups (sums of options, where the codebook declares them) are not drawn."""
    if "is_group" in figures.columns:
        figures = figures[~figures["is_group"].fillna(False).astype(bool)]
    return figures


def _check_stacked(chart, figures: pd.DataFrame, focus) -> None:
    figures = _options_only(figures)
    plot = chart.plots[0]
    # a 100% bar: the options of each category add up to 100% wherever all are known
    for j in range(len(list(plot.categories))):
        values = [s.values[j] for s in plot.series]
        if all(v is not None for v in values):
            assert sum(values) == pytest.approx(100, abs=1e-4)
    options = figures.drop_duplicates("option_id")
    assert [s.name for s in plot.series] == options["option_label"].tolist()
    keys = figures.drop_duplicates(["row_id", "scope"])[["row_id", "row_label", "scope", "scope_label"]]
    labels = list(plot.categories)
    assert len(labels) == len(keys)
    for label, (_, k) in zip(labels, keys.iterrows(), strict=True):
        last = label.split("\n")[-1].split("：")[-1]
        if k["scope"] == "municipality":  # its own answer, or 対象外 when it was not asked
            asked = figures.loc[(figures["row_id"] == k["row_id"]) & (figures["scope"] == "municipality"),
                                "n_base"].max() > 0
            assert last == (f"{focus.name}の回答" if asked else f"{focus.name}（対象外）")
        else:
            assert last.startswith(k["scope_label"].split("（")[0]), (label, k.to_dict())
    for s, (_, opt) in zip(plot.series, options.iterrows(), strict=True):
        for value, (_, k) in zip(s.values, keys.iterrows(), strict=True):
            r = figures[(figures["row_id"] == k["row_id"]) & (figures["scope"] == k["scope"])
                        & (figures["option_id"] == opt["option_id"])]
            share = r["share"].iloc[0] if len(r) else None
            if share is None or pd.isna(share):
                assert value is None
            else:
                assert value == pytest.approx(float(share) * 100, abs=1e-6)


def _check_clustered(chart, figures: pd.DataFrame, focus) -> None:
    figures = _options_only(figures)
    plot = chart.plots[0]
    scopes = figures.drop_duplicates("scope")[["scope", "scope_label"]]
    names = [s.name for s in plot.series]
    assert len(names) == len(scopes)
    for name, (_, sc) in zip(names, scopes.iterrows(), strict=True):
        expected = f"{focus.name}の回答" if sc["scope"] == "municipality" else sc["scope_label"]
        assert name.startswith(expected.split("（")[0])
    keys = figures.drop_duplicates(["row_id", "option_id"])[["row_id", "option_id", "option_label"]]
    labels = list(plot.categories)
    assert [x.split("\n")[-1].split("：")[-1] for x in labels] == keys["option_label"].tolist()
    for s, (_, sc) in zip(plot.series, scopes.iterrows(), strict=True):
        for value, (_, k) in zip(s.values, keys.iterrows(), strict=True):
            r = figures[(figures["scope"] == sc["scope"]) & (figures["row_id"] == k["row_id"])
                        & (figures["option_id"] == k["option_id"])]
            if r.empty or pd.isna(r["share"].iloc[0]):
                assert value is None
            else:
                assert value == pytest.approx(float(r["share"].iloc[0]) * 100, abs=1e-6)


@pytest.mark.parametrize("key", ["pref", "muni"])
def test_every_chart_holds_the_figures_of_its_block(decks, data, key):
    focus, _, prs = decks[key]
    blocks = deck_blocks(data.codebook)
    n_charts = 0
    for i, block in enumerate(blocks):
        slide = prs.slides[2 + i]
        charts = _charts(slide)
        sections = [s for s in _expected_sections(data, focus, block) if s.has_figures]
        assert len(charts) == len(sections), block.number
        for chart, s in zip(charts, sections, strict=True):
            if s.question.is_multi:
                _check_clustered(chart, s.figures, focus)
            else:
                _check_stacked(chart, s.figures, focus)
            n_charts += 1
    assert n_charts >= 35
    # no chart is a picture
    assert not any(sh.shape_type == MSO_SHAPE_TYPE.PICTURE for slide in prs.slides for sh in slide.shapes)


def test_one_value_against_the_raw_answers(decks, data):
    """Block 1 (担当部署), 島根県 bar: counted here from the tidy responses, not from shares."""
    _, _, prs = decks["pref"]
    r, m = data.responses, data.municipalities
    members = m[(m["pref_code"] == "32") & m["responded"]]["code"]
    r = r[(r["question_id"] == "dept") & r["municipality_code"].isin(members) & r["value"].notna()]
    n = r["municipality_code"].nunique()
    chosen = r[r["value"] == 1].groupby("option_id")["municipality_code"].nunique()
    chart = _charts(prs.slides[2])[0]
    assert chart.plots[0].categories[0] == f"島根県（n={n}）"
    for s in chart.plots[0].series:
        oid = next(o.id for o in data.codebook["dept"].options if o.label == s.name) if s.name != "未回答" else "na"
        assert s.values[0] == pytest.approx(chosen.get(oid, 0) / n * 100, abs=1e-6)


def test_focus_is_pink(decks, data):
    blocks = deck_blocks(data.codebook)
    for key in ("pref", "muni"):
        focus, _, prs = decks[key]
        for i, block in enumerate(blocks):
            for chart in _charts(prs.slides[2 + i]):
                plot = chart.plots[0]
                cats = list(plot.categories)
                if chart.chart_type == XL_CHART_TYPE.BAR_STACKED_100:  # the focus bar: outlined/filled pink
                    if any(f"{focus.name}（対象外）" in c for c in cats):
                        continue  # the municipality was not asked: nothing of its own to colour
                    focus_idx = [j for j, c in enumerate(cats)
                                 if (focus.name + "の" if focus.code else "島根県（") in c]
                    assert focus_idx, (key, block.number, cats)
                    for j in focus_idx:
                        colours = set()
                        for s in plot.series:
                            p = s.points[j].format
                            colours |= {_line_rgb(p), _fill_rgb(p)}
                        assert PINK in colours, (key, block.number, j)
                else:  # clustered: the focus series is filled pink
                    first = plot.series[0]
                    assert _fill_rgb(first.format) == PINK
                    assert first.name.startswith(focus.name if focus.code else "島根県")


def test_data_labels_follow_the_small_n_rule(decks):
    """In the municipality deck the municipality's own bar is labelled 「回答」, never 100%."""
    _, _, prs = decks["muni"]
    chart = _charts(prs.slides[2])[0]  # block 1, single choice
    xml = chart._chartSpace.xml
    assert "回答" in xml and 'formatCode="0.0&quot;%&quot;"' in xml


# --------------------------------------------------------------------------------------------
# text: editable boxes, commentary, notes


@pytest.mark.parametrize("key", ["pref", "muni"])
def test_block_slides_have_editable_commentary_and_notes(decks, data, key):
    focus, _, prs = decks[key]
    for i, block in enumerate(deck_blocks(data.codebook)):
        slide = prs.slides[2 + i]
        boxes = {sh.name: sh for sh in slide.shapes if sh.shape_type == MSO_SHAPE_TYPE.TEXT_BOX}
        assert "コメント" in boxes and "設問文" in boxes, block.number
        sections = _expected_sections(data, focus, block)
        expected = [t for s in sections for t in s.sentences]
        assert [p.text for p in boxes["コメント"].text_frame.paragraphs] == (expected or ["（コメントを記入）"])
        assert sections[0].question.text in boxes["設問文"].text_frame.text
        note = slide.notes_slide.notes_text_frame.text
        assert f"資料 {block.label}" in note
        assert "手元の調査データから集計" in note
        assert "処理済みデータ md5 " + data.data_hash in note
    # the editable text boxes use the Japanese font for East Asian text
    xml = prs.slides[2].shapes[-1]._element.xml
    assert 'ea typeface="Meiryo"' in xml or "<a:ea" in prs.slides[2].shapes.title._element.xml


def test_published_national_figures_are_named_in_chart_and_notes(data):
    focus = focus_of(data, "", "島根県")
    prs, built = build_deck(data, focus, "published")
    b = next(x for x in built if x.block.number == "4")  # q4_1_1: published R3 figures
    slide = prs.slides[b.slide_index]
    cats = list(_charts(slide)[0].plots[0].categories)
    assert any("公表値" in c and "1,717" in c for c in cats)
    note = slide.notes_slide.notes_text_frame.text
    assert "厚生労働省資料等の公表値" in note and "n=1,717" in note


def _summary_texts(prs, built):
    slide = prs.slides[built[-1].slide_index + 1]
    assert slide.shapes.title.text == "まとめ"
    return {sh.name: sh.text_frame.text for sh in slide.shapes if sh.has_text_frame}, slide


def test_summary_slide_lists_the_standing_of_the_municipality(data):
    """The real Summary: every gap line names an item summary_for found, with its reference's share."""
    from zaitaku.analysis.standing import summary_for

    focus = focus_of(data, IZUMO, "島根県")
    summary = summary_for(data, focus, "computed")
    prs, built = build_deck(data, focus, "computed")
    texts, _ = _summary_texts(prs, built)
    body = texts["まとめ本文"].splitlines()
    assert body[0] == "出雲市が進んでいる項目" and "出雲市が遅れている項目" in body
    expected = {f"・{g.item.number} {g.item.label}：{g.reference_label}では{g.share * 100:.0f}%（n={g.n:,}）"
                for g in [*summary.ahead, *summary.behind]}
    gap_lines = [x for x in body if x.startswith("・") and "では" in x]
    assert gap_lines and set(gap_lines) <= expected
    learn = texts["参考になる市町村"].splitlines()
    assert learn[0] == "参考になる市町村"
    names = {e.name for lf in summary.learn_from for e in lf.exemplars}
    assert len(learn) > 1 and all(any(n in line for n in names) for line in learn[1:] if line.startswith("・"))


def test_summary_shows_standing_and_whom_to_learn_from(data, monkeypatch):
    """With zaitaku.analysis.standing present, its Summary fills both boxes (a stand-in here)."""
    item = types.SimpleNamespace(number="問1", label="協議会の設置（設置している）")
    gap = types.SimpleNamespace(item=item, reference="prefecture", reference_label="島根県", value=1.0,
                                share=0.25, n=19, gap=75.0)
    summary = types.SimpleNamespace(
        ahead=[gap], behind=[], notes=["注記です。"], stand_out=[],
        learn_from=[types.SimpleNamespace(item=item, exemplars=(
            types.SimpleNamespace(name="松江市", pref_name="島根県", same_prefecture=True),
            types.SimpleNamespace(name="鳥取市", pref_name="鳥取県", same_prefecture=False)))])
    monkeypatch.setattr("zaitaku.report.deck.summary.summary_for", lambda d, f, national: summary)
    prs, built = build_deck(data, focus_of(data, IZUMO, "島根県"), "computed")
    texts, slide = _summary_texts(prs, built)
    assert texts["まとめ本文"].splitlines() == [
        "出雲市が進んでいる項目", "・問1 協議会の設置（設置している）：島根県では25%（n=19）",
        "出雲市が遅れている項目", "・該当する項目はありません。", "（注記です。）"]
    assert texts["参考になる市町村"].splitlines() == [
        "参考になる市町村", "・協議会の設置（設置している）：松江市、鳥取市（鳥取県）"]
    assert "zaitaku.analysis.standing.summary_for" in slide.notes_slide.notes_text_frame.text


def test_closing_page_comes_from_an_editable_template(data, tmp_path):
    template = tmp_path / "closing.txt.j2"
    template.write_text("{{ prefecture }}からのお知らせ\n{{ area }}の結果です。\n連絡先：{{ contact }}\n",
                        encoding="utf-8")
    focus = focus_of(data, "", "島根県")
    prs, built = build_deck(data, focus, "computed", closing_template=template, contact="高齢者福祉課")
    closing = prs.slides[built[-1].slide_index + 2]
    assert closing.shapes.title.text == "島根県からのお知らせ"
    body = next(sh for sh in closing.shapes if sh.name == "結びの言葉").text_frame.text
    assert body == "島根県内市町村の結果です。\n連絡先：高齢者福祉課"
    template.write_text("{{ unknown_name }}\n", encoding="utf-8")
    with pytest.raises(ValueError, match="結びのページのテンプレート"):
        build_deck(data, focus, "computed", closing_template=template)


# --------------------------------------------------------------------------------------------
# timing tables


def test_timing_slides_show_the_printed_tables(decks):
    _, _, prs = decks["pref"]
    slides = list(prs.slides)[-4:]
    assert [s.shapes.title.text for s in slides] == [
        "参考：在宅医療介護連携推進事業の実施（予定）時期（事業全体）",
        "参考：事業項目別の実施（予定）時期（平成28年1月現在）",
        "参考：事業項目別の実施（予定）時期（平成28年7月現在）",
        "参考：事業項目別の増減（平成28年1月→平成28年7月）",
    ]

    def table(slide):
        t = next(sh for sh in slide.shapes if sh.has_table).table
        return [[c.text for c in row.cells] for row in t.rows]

    # the source's printed rows (seed 001), written out by hand
    assert table(slides[0])[1] == ["平成27年度", "32", "72", "76"]
    assert table(slides[2])[1] == ["平成27年度", "58", "50", "17", "24", "22", "37", "31", "18"]
    change = table(slides[3])
    assert change[1] == ["平成27～29年度", "+22", "+25", "+24", "+22", "+16", "+15", "+28", "+26"]
    assert change[2] == ["平成30年4月", "▲14", "▲14", "+3", "▲1", "+7", "+3", "▲6", "+3"]
    chart = _charts(slides[2])[0]
    first = chart.plots[0].series[0]  # 平成27年度, item ア: 58/156
    assert first.values[0] == pytest.approx(58 / 156 * 100, abs=1e-6)


# --------------------------------------------------------------------------------------------
# command line and rendering


def test_cli_writes_the_deck_and_rejects_a_municipality_of_another_prefecture(processed_dir, tmp_path, capsys):
    rc = main(["deck", "--prefecture", "島根県", "--municipality", IZUMO, "--national", "computed",
               "--data-dir", str(processed_dir), "--out", str(tmp_path)])
    assert rc == 0
    assert (tmp_path / f"R3_{IZUMO}_出雲市.pptx").is_file()
    rc = main(["deck", "--prefecture", "鳥取県", "--municipality", IZUMO,
               "--data-dir", str(processed_dir), "--out", str(tmp_path)])
    assert rc == 2
    assert "島根県" in capsys.readouterr().err


def test_deck_bytes_open_again(data):
    prs, _ = build_deck(data, focus_of(data, "", "島根県"), "computed")
    blob = to_bytes(prs)
    assert blob[:2] == b"PK" and len(blob) > 100_000


@pytest.mark.skipif(shutil.which("soffice") is None or shutil.which("pdftoppm") is None,
                    reason="LibreOffice (soffice) or poppler (pdftoppm) is not installed: no visual check")
def test_deck_renders_to_images(decks, tmp_path):
    """Every slide renders (LibreOffice → PDF → PNG); the images are kept for a look."""
    _, path, prs = decks["pref"]
    subprocess.run(["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(path)],
                   check=True, capture_output=True, timeout=300)
    pdf = tmp_path / (path.stem + ".pdf")
    subprocess.run(["pdftoppm", "-png", "-r", "50", str(pdf), str(tmp_path / "slide")], check=True, timeout=300)
    images = sorted(Path(tmp_path).glob("slide-*.png"))
    assert len(images) == len(prs.slides)


def test_charts_equal_the_html_reports_figures_csv(decks, data, processed_dir, tmp_path, capsys):
    """The partnerships report (as the notebooks call it) writes its figures CSV; the deck's charts
    of the same blocks hold the same shares."""
    from zaitaku.report.report import Report

    csv = tmp_path / "partnerships_figures.csv"
    rep = Report("partnerships", "", "島根県", "R3", processed_dir, "computed", str(csv))
    for block in rep.blocks:
        for part in block.parts:
            rep.section(part.question_id, block=block.number)
    rep.footer()
    capsys.readouterr()  # display() outside a notebook prints
    figures = pd.read_csv(csv, dtype={"row_id": str, "option_id": str, "deck_block": str},
                          keep_default_na=False, na_values=[""], encoding="utf-8-sig")
    # the Excel-safe writer keeps a leading "-" as text: 「'-」
    figures["deck_block"] = figures["deck_block"].str.removeprefix("'")
    focus, _, prs = decks["pref"]
    titles = [s.shapes.title.text for s in prs.slides]
    checked = 0
    for block in rep.blocks:
        slide = prs.slides[titles.index(block.label)]
        for chart, part in zip(_charts(slide), block.parts, strict=True):
            f = figures[(figures["deck_block"] == block.number) & (figures["question_id"] == part.question_id)]
            f = f.assign(row_id=f["row_id"].fillna(""))
            assert len(f), block.number
            _check_stacked(chart, f, focus) if not data.codebook[part.question_id].is_multi \
                else _check_clustered(chart, f, focus)
            checked += 1
    assert checked == len([p for b in rep.blocks for p in b.parts]) >= 5

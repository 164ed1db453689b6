"""The deck's blocks, the notebooks built from them, the report's HTML pieces and the notebook ToC.

Fast: the codebook, hand-built figures and the templates; no kernel, no processed data.
"""

from __future__ import annotations

import posixpath
import re

import nbformat
import pandas as pd
import pytest

from zaitaku.analysis.aggregate import Focus
from zaitaku.paths import NOTEBOOKS_DIR
from zaitaku.reference.codebook import load_codebook
from zaitaku.render import html as render_html
from zaitaku.report import html as rh
from zaitaku.report import notebook_builder
from zaitaku.report.blocks import Part, deck_blocks, subset_section
from zaitaku.report.section import Section

CB = load_codebook("R3")

# The 島根県 deck's slides in order (numbers as printed on the slides), written out by hand;
# "問1" is the slide the deck shows without a number, between 1 and 2.①.
DECK_ORDER = ["1", "問1", "2.①", "2.②", "3", "4", "5.①", "5.②", "6", "7", "8", "9", "10", "11", "12.①",
              "12.②", "12.③", "12.④", "13", "14", "15", "16", "17.①", "17.②", "18", "19", "20", "21.①",
              "21.②", "21.③", "21.④", "21.⑤", "22.①", "22.②", "23.①", "23.②", "24"]


def test_blocks_follow_the_deck_order_and_numbers():
    blocks = deck_blocks(CB)
    assert [b.number if b.number != "-" else b.question_numbers[0] for b in blocks] == DECK_ORDER


def test_groups_are_contiguous_runs_of_the_deck():
    groups = [b.group for b in deck_blocks(CB)]
    runs = [g for i, g in enumerate(groups) if i == 0 or groups[i - 1] != g]
    assert runs == ["partnerships", "pdca_indicators", "four_scenes", "prefectural_support"]
    by_group = {g: [b.number for b in deck_blocks(CB, g)] for g in CB.groups}
    assert by_group["partnerships"] == ["1", "-", "2.①", "2.②", "3"]
    assert by_group["four_scenes"][:2] == ["14", "15"] and by_group["four_scenes"][-1] == "21.⑤"


def test_split_slides_partition_rows_and_options():
    blocks = {b.number: b for b in deck_blocks(CB)}
    assert blocks["2.①"].parts[0].rows == ("med_assoc", "dental_assoc", "pharm_assoc", "nursing", "cm_assoc")
    assert set(blocks["2.②"].parts[0].rows or ()) == {"hospital", "care_providers", "health_center",
                                                        "social_welfare", "fire_dept"}
    assert blocks["7"].parts[0].rows == ("daily_care", "discharge")
    assert blocks["8"].parts[0].rows == ("emergency", "end_of_life")
    assert blocks["12.②"].parts[0].options == ("1", "2", "3", "4")
    assert blocks["12.③"].parts[0].options == ("5", "6", "7", "8")
    assert blocks["12.④"].parts[0].options[-1] == "na"  # 未回答 once, on the last slide
    assert blocks["23.①"].question_ids == ("q6_2", "q6_4")  # priority beside expected support
    assert blocks["6"].question_ids == ("q4_1_2_2", "q4_1_3_2")
    # every question shown; each row / option of a split question on exactly one slide
    shown = {q for b in deck_blocks(CB) for q in b.question_ids}
    assert shown == {q.id for q in CB}
    for q in CB:
        parts = [p for b in deck_blocks(CB) for p in b.parts if p.question_id == q.id]
        if any(p.rows for p in parts):
            assert sorted(r for p in parts for r in p.rows or ()) == sorted(q.row_ids)
        if any(p.options for p in parts):
            assert sorted(o for p in parts for o in p.options or ()) == sorted([*q.option_ids, "na"])


def test_block_anchor_and_heading():
    b = {b.number: b for b in deck_blocks(CB)}["2.①"]
    assert b.anchor == "deck-2-1"
    assert b.heading.startswith("2.① 各団体との関係") and b.heading.endswith("（問2）")
    assert {b.number: b for b in deck_blocks(CB)}["24"].heading.startswith("24. ")


def _section(q_id: str) -> Section:
    """問2 for a hand-made municipality: two rows, prefecture scope only."""
    q = CB[q_id]
    rows = []
    for row in ("med_assoc", "hospital"):
        for opt, n in zip(["A", "B", "C", "D", "E", "na"], [3, 1, 0, 0, 1, 0], strict=True):
            rows.append({"question_id": q.id, "row_id": row, "row_label": q.row(row).label, "scope": "prefecture",
                         "scope_code": "32", "scope_label": "島根県", "option_id": opt,
                         "option_label": q.option_label(opt), "n_selected": n, "n_base": 5, "share": n / 5,
                         "source": "computed"})
    focus = Focus("32", "島根県", "322016", "松江市", "中核市")
    return Section(q, focus, pd.DataFrame(rows), {"med_assoc": ["A"], "hospital": ["E"]}, ["全体の文"], [], CB)


def test_subset_section_keeps_only_its_rows():
    s = _section("q2")
    sub = subset_section(s, Part("q2", rows=("hospital",)))
    assert set(sub.figures["row_id"]) == {"hospital"} and len(sub.figures) == 6
    assert sub.selected == {"hospital": ["E"]}
    assert "郡市区医師会" not in " ".join(sub.sentences)
    assert subset_section(s, Part("q2")) is s


# ------------------------------------------------------------------------------------ HTML pieces

NASTY = ['<script>alert("x")</script>', "A &amp; B", "<b>閉じていない", "言った\"'"]


def test_free_text_and_labels_are_escaped():
    out = rh.render("section.html.j2", q=CB["q2"], anchor="q2", show_label=True, subtitle="<i>", notes=[], chart=rh.markup("<svg></svg>"),
                    sentences=["<em>文</em>"], free_texts=NASTY, open_table=False, table=rh.markup("<table></table>"),
                    municipalities=None)
    assert "<script>" not in out and "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in out
    assert "A &amp;amp; B" in out  # an entity typed by a user is shown as typed
    assert "&lt;b&gt;閉じていない" in out and "<b>" not in out
    assert "&lt;em&gt;文&lt;/em&gt;" in out and "&lt;i&gt;" in out
    assert "<svg></svg>" in out and "<table></table>" in out  # markup zaitaku built is kept


def test_page_header_is_a_safe_css_string():
    css = rh.css_string('松江市"</style><script>')
    assert "<" not in css and '"' not in css and "松江市" in css


def test_navigation_links_resolve_in_the_render_layout():
    from zaitaku.render.scope import Scope

    town = Scope("32", "島根県", "322016", "松江市")
    pref = Scope("32", "島根県")
    here = f"R3/{town.rel_dir}/partnerships.html"
    nav = rh.navigation("partnerships", CB.groups, "島根県", False, "松江市")
    resolved = {link.label: posixpath.normpath(posixpath.join(posixpath.dirname(here), link.href))
                for link in (*nav.up, *nav.groups)}
    assert resolved == {
        "全国の一覧": "R3/index.html",
        "島根県の市町村一覧": f"R3/{town.pref_dir}/index.html",
        "松江市のレポート一覧": f"R3/{town.rel_dir}/index.html",
        "島根県全体の同じレポート": f"R3/{pref.rel_dir}/partnerships.html",
        "連携の体制": f"R3/{town.rel_dir}/partnerships.html",
        "現状分析・課題抽出・施策立案": f"R3/{town.rel_dir}/pdca_indicators.html",
        "対応策の実施と「4つの場面」を意識した取組": f"R3/{town.rel_dir}/four_scenes.html",
        "課題と都道府県の支援": f"R3/{town.rel_dir}/prefectural_support.html",
    }
    assert [link.current for link in nav.groups] == [True, False, False, False]
    nav = rh.navigation("four_scenes", CB.groups, "島根県", True)
    assert all("モード" not in link.label for link in (*nav.up, *nav.groups))


# ------------------------------------------------------------------------------------ notebooks


@pytest.mark.parametrize("group", list(CB.groups))
def test_committed_notebooks_are_what_the_builder_writes(group):
    committed = nbformat.read(NOTEBOOKS_DIR / f"{group}.ipynb", as_version=4)
    built = notebook_builder.build(group)
    assert nbformat.writes(committed) == nbformat.writes(built), (
        f"notebooks/{group}.ipynb differs from notebook_builder: run python -m zaitaku.report.notebook_builder")
    assert all(not c.get("outputs") for c in committed.cells if c.cell_type == "code")


def test_notebook_has_a_heading_per_block_and_no_relative_paths():
    nb = notebook_builder.build("pdca_indicators")
    headings = render_html.notebook_headings(nb)
    blocks = deck_blocks(CB, "pdca_indicators")
    assert [h.id for h in headings if h.id.startswith("deck-")] == [b.anchor for b in blocks]
    assert headings[0].level == 1  # the introduction (removed from the report)
    source = "\n".join(c.source for c in nb.cells)
    assert "../" not in source and 'data_dir = ""' in source and 'national = "auto"' in source
    assert 's = rep.section("q4_1_3_1", block="7")' in source
    assert 's = rep.section("q4_1_4")' in source


def test_report_toc_comes_from_the_notebook_headings():
    nb = notebook_builder.build("partnerships")
    nb = render_html.prepare_for_report(nb)  # drops the introduction
    headings = render_html.notebook_headings(nb)
    body = ('<body><!--zaitaku:toc--><div class="cell"><h1 id="top">松江市 &amp; 題</h1></div>'
            "<h2>出力の見出し</h2><!--zaitaku:footer--></body>")
    page, title, n = render_html.finish_report("<head><title>x</title></head>" + body, [], headings)
    assert title == "松江市 & 題"
    toc = re.search(r'<nav class="toc".*?</nav>', page, re.S).group(0)
    assert "出力の見出し" not in toc  # not taken from the output HTML
    assert '<a href="#deck-2-1">2.① 各団体との関係' in toc and '<a href="#summary">まとめ</a>' in toc
    assert n == len(deck_blocks(CB, "partnerships")) + 2


def test_header_and_summary_escape_names_and_place_the_toc():
    nav = rh.navigation("partnerships", CB.groups, "島根県", False, "<松江>")
    overview = {"survey": "調査", "year": "R3", "subject": "<b>主題</b>", "respondents": "全国 1,741",
                "how_to_read": ["ピンク色が<松江>の回答です。"]}
    out = rh.render("header.html.j2", css=rh.markup(rh.CSS), title="<松江> & 題", nav=nav, synthetic=True,
                    overview=overview, page_header='<松江>" 連携',
                    problems={"lines": ["行 3 の値 <x>"], "count": 1, "by_kind": "除外 1 件", "excluded": True,
                              "notes": []})
    assert "&lt;松江&gt; &amp; 題" in out and "<松江>" not in out and "&lt;b&gt;主題" in out
    assert "データについての注意" in out and "行 3 の値 &lt;x&gt;" in out
    assert "問題 1 件：除外 1 件" in out and "取り込み時に除外" in out
    assert "デモ用の架空データ" in out
    assert out.index("<!--zaitaku:toc-here-->") > out.index('class="overview"')
    summary = {"parts": [{"title": "県より進んでいる項目", "entries": ["<i>協議会</i>"], "empty": ""},
                         {"title": "参考になる市町村", "entries": [], "empty": "該当なし"}], "rules": ["規則"],
               "notes": []}
    out = rh.render("summary.html.j2", summary=summary)
    assert "&lt;i&gt;協議会" in out and "該当なし" in out and "規則" in out


def test_priority_beside_expected_support():
    """Deck 23: the two questions' figures per option in one table, the municipality's choices marked."""
    from zaitaku.report.blocks import is_paired, side_by_side

    blocks = {b.number: b for b in deck_blocks(CB)}
    assert is_paired(blocks["23.①"], CB) and not is_paired(blocks["10"], CB)
    focus = Focus("32", "島根県", "322016", "松江市", "中核市")
    sections = []
    for qid, counts, chosen in (("q6_2", [10, 3, 3], ["2"]), ("q6_4", [6, 10, 1], ["1", "2"])):
        q = CB[qid]
        rows = [{"question_id": qid, "row_id": "", "row_label": "", "scope": scope, "scope_code": code,
                 "scope_label": label, "option_id": o, "option_label": q.option_label(o),
                 "n_selected": n if scope == "prefecture" else int(o in chosen),
                 "n_base": 19 if scope == "prefecture" else 1, "share": (n / 19) if scope == "prefecture" else
                 float(o in chosen), "source": "computed"}
                for scope, code, label in (("municipality", "322016", "松江市"), ("prefecture", "32", "島根県"))
                for o, n in zip(["1", "2", "3"], counts, strict=True)]
        sections.append(Section(q, focus, pd.DataFrame(rows), {"": chosen}, [], [], CB))
    table = side_by_side(sections)
    first, second = CB["q6_2"].title, CB["q6_4"].title
    assert list(table.columns) == [(first, "松江市"), (first, "島根県"), (second, "松江市"), (second, "島根県")]
    knowhow = CB["q6_2"].option_label("1")
    assert table.loc[knowhow].tolist() == ["", "52.6%", "○", "31.6%"]
    assert table[(first, "松江市")].tolist() == ["", "○", ""]


def test_a_section_shows_itself_in_jupyterlab_with_escaped_sentences(processed_dir):
    from zaitaku.analysis.aggregate import focus_of, load_processed
    from zaitaku.report.section import build_section

    data = load_processed(processed_dir)
    s = build_section(data, "q1", focus_of(data, "322016"))
    s.sentences = ["<script>alert(1)</script> & 『協議会』"]
    shown = s._repr_html_()
    assert shown.startswith("<svg") and 'role="img"' in shown
    assert "<script>" not in shown and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; 『協議会』" in shown

"""The four report notebooks executed end to end with papermill on the demo data, then as HTML."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import papermill as pm
import pytest
from nbconvert import HTMLExporter

from zaitaku.reference.codebook import load_codebook
from zaitaku.render.html import prepare_for_report
from zaitaku.report.blocks import deck_blocks

pytestmark = pytest.mark.slow
NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
CB = load_codebook("R3")
GROUPS = list(CB.groups)
# 松江市 (中核市), a 町 and a 村 of other prefectures, and 島根県 in prefecture mode
CASES = {
    "matsue": {"municipality_code": "322016", "prefecture": ""},
    "town": {"municipality_code": "013030", "prefecture": ""},      # 北海道 当別町
    "village": {"municipality_code": "203041", "prefecture": ""},   # 長野県 (村)
    "shimane": {"municipality_code": "", "prefecture": "島根県"},
}
EXPECT_TITLE = {"matsue": "松江市（島根県）", "town": "当別町（北海道）", "village": "（長野県）",
                "shimane": "島根県（都道府県集計）"}


@pytest.fixture(scope="module")
def executed(processed_dir, tmp_path_factory):
    """Every group × case, executed once: {(case, group): (notebook, html, figures csv path)}."""
    out = tmp_path_factory.mktemp("executed")
    exporter = HTMLExporter(exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
    results = {}
    for case, params in CASES.items():
        for group in GROUPS:
            csv = out / f"{case}_{group}_figures.csv"
            nb_path = out / f"{case}_{group}.ipynb"
            pm.execute_notebook(
                str(NOTEBOOKS / f"{group}.ipynb"), str(nb_path), kernel_name="python3", progress_bar=False,
                parameters=dict(params, survey_year="R3", data_dir=str(processed_dir), national="computed",
                                figures_csv=str(csv)),
                cwd=str(NOTEBOOKS),
            )
            nb = nbformat.read(nb_path, as_version=4)
            html, _ = exporter.from_notebook_node(prepare_for_report(nb))  # as zaitaku render does
            results[(case, group)] = (nb, html, csv)
    return results


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("group", GROUPS)
def test_report_has_every_question_a_chart_each_and_no_code(executed, case, group):
    nb, html, csv = executed[(case, group)]
    questions = CB.in_group(group)
    missing = [q.id for q in questions if f'id="{q.id}"' not in html]
    assert missing == []
    blocks = deck_blocks(CB, group)
    anchors = [html.find(f'id="{b.anchor}"') for b in blocks]  # the notebook's headings, in the deck's order
    assert -1 not in anchors and anchors == sorted(anchors)
    charts = [t for t in re.findall(r"<svg [^>]*>", html) if 'class="chart"' in t]  # inline SVG charts
    assert len(charts) == sum(len(b.parts) for b in blocks)  # split slides are separate charts
    assert all('role="img"' in t and re.search(r'aria-label="[^"]{10,}"', t) for t in charts)  # any attribute order
    assert EXPECT_TITLE[case] in html
    assert "rep.section(" not in html and "from zaitaku" not in html  # no code cells
    assert "デモ用の架空データ" in html                                # synthetic banner
    assert 'id="provenance"' in html and CB.version in html
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            text = output.get("text", "") if output.get("output_type") == "stream" else ""
            assert output.get("output_type") != "error"
            assert output.get("name") != "stderr", f"stderr in report: {text[:200]}"
    assert "missing from font" not in html and "Warning" not in html and "Traceback" not in html
    assert csv.read_bytes().startswith(b"\xef\xbb\xbf")  # UTF-8 BOM so that Excel opens it
    assert csv.name in html


def test_prefecture_mode_lists_every_municipality(executed):
    _, html, _ = executed[("shimane", "partnerships")]
    parts = sum(len(b.parts) for b in deck_blocks(CB, "partnerships"))
    assert html.count("県内市町村の回答一覧（19市町村）") == parts
    for name in ("松江市", "隠岐の島町", "知夫村"):
        assert name in html


def test_same_type_comparison_and_conditional_questions(executed, processed_dir):

    _, html, _ = executed[("village", "pdca_indicators")]
    assert "全国の村" in html
    from zaitaku.analysis.processed import load_processed

    r = load_processed(processed_dir).responses
    asked = r[(r.municipality_code == "203041") & (r.question_id == "q4_1_7_2")]["value"].notna().any()
    section = html.split('id="q4_1_7_2"')[1].split("<h2")[0]
    assert ("対象外" in section) != bool(asked)


def test_kept_page_skeletons_give_the_same_html_as_a_fresh_export(executed):
    """The worker's exporter reuses nbconvert's page for reports of the same notebook (only the
    outputs differ): every report it writes so equals the one a fresh exporter writes."""
    from zaitaku.render.html import export_report, make_exporter

    kept = make_exporter()
    for group in GROUPS:
        hits_before = kept.skeleton_hits
        for case in CASES:  # 松江市, a 町 and a 村 of other prefectures, then 島根県: parameters differ
            nb = executed[(case, group)][0]
            footer = [("ノートブック", f"{group}.ipynb"), ("市区町村", case)]
            ours = export_report(kept, nb, fallback_title=case, footer=footer, path=str(NOTEBOOKS))
            fresh = export_report(make_exporter(), nb, fallback_title=case, footer=footer, path=str(NOTEBOOKS))
            assert ours == fresh, (case, group)
            assert EXPECT_TITLE[case] in ours[1]
        assert kept.skeleton_hits - hits_before >= 2, group  # the municipalities' pages came from the kept one

"""notebooks/implementation_timing.ipynb executed with papermill and converted to HTML without code."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pandas as pd
import papermill as pm
import pytest
from nbconvert import HTMLExporter

from zaitaku.reference.timing import load_items

pytestmark = pytest.mark.slow
NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOK = NOTEBOOKS / "implementation_timing.ipynb"
# what the batch renderer injects into every notebook: municipality parameters are ignored, and
# a data_dir without timing tables falls back to data/raw/reference/timing
RENDERER_PARAMS = {"municipality_code": "322016", "prefecture": "", "survey_year": "R3",
                   "national": "computed"}


def _execute(tmp_path: Path, name: str, **params) -> tuple[nbformat.NotebookNode, str]:
    out = tmp_path / f"{name}.ipynb"
    pm.execute_notebook(str(NOTEBOOK), str(out), kernel_name="python3", progress_bar=False,
                        parameters=params, cwd=str(NOTEBOOKS))
    nb = nbformat.read(out, as_version=4)
    html, _ = HTMLExporter(exclude_input=True).from_notebook_node(nb)
    return nb, html


def _assert_clean(nb: nbformat.NotebookNode, html: str) -> None:
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            assert output.get("output_type") != "error"
            assert output.get("name") != "stderr", output.get("text", "")[:300]
            text = str(output.get("text", "")) + str(output.get("data", {}).get("text/html", ""))
            assert "Warning" not in text and "Traceback" not in text
    assert "Warning" not in html and "Traceback" not in html and "missing from font" not in html


def test_timing_notebook_stored_without_outputs_and_parameters_tagged():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in code)
    params = code[0]
    assert "parameters" in params.metadata.get("tags", [])
    assert 'data_dir = ""' in params.source and 'figures_csv = ""' in params.source
    assert nb.metadata["kernelspec"]["name"] == "python3"


def test_timing_notebook_executes_and_shows_the_slides(tmp_path):
    csv = tmp_path / "implementation_timing_figures.csv"
    nb, html = _execute(tmp_path, "timing", data_dir="", figures_csv=str(csv))
    _assert_clean(nb, html)
    assert re.search(r'<h1 id="top">[^<]*156保険者', html)
    for section in ("programme", "items", "change", "deadline", "provenance"):
        assert f'<h2 id="{section}">' in html, section
    for it in load_items():  # a heading for each of the eight items, with its definition
        assert f'<h2 id="item-{it.id}">{it.label}</h2>' in html, it.kana
        assert it.definition in html
    charts = [t for t in re.findall(r"<svg [^>]*>", html) if 'class="chart"' in t]  # inline SVG charts
    assert len(charts) >= 2
    assert len(charts) == 4 + 8
    assert all(re.search(r'aria-label="[^"]{20,}"', t) and 'role="img"' in t for t in charts)
    # what the slides show, recomputed from the transcribed tables
    assert "76（48.7%）" in html            # programme, 平成27年度 at 平成28年7月
    assert "▲14" in html and "+28" in html   # 増減
    assert "すべて一致します" in html       # printed 増減 = recomputed
    assert "（ウ）切れ目のない在宅医療と在宅介護の提供体制の構築推進で81保険者（51.9%）" in html
    # provenance footer: the source document, the tables, the scope
    assert "公開URL未確認" in html and "医療・介護連携推進事業 実施状況" in html  # from the .meta.yaml sidecar
    assert "item_start.csv" in html and "programme_start.csv" in html
    assert "全国の値ではありません" in html and "156" in html
    assert "rep.item(" not in html and "from zaitaku" not in html
    assert csv.read_bytes().startswith(b"\xef\xbb\xbf") and csv.name in html


def test_timing_notebook_ignores_municipality_parameters(tmp_path, processed_dir):
    nb, html = _execute(tmp_path, "timing_batch", data_dir=str(processed_dir), figures_csv="",
                        **RENDERER_PARAMS)
    _assert_clean(nb, html)
    assert html.count('<h2 id="item-') == 8
    assert "data/raw/reference/timing/README.md" in html  # fell back to the reference tables


def test_timing_report_rendered_once_per_batch_and_reused(tmp_path):
    from zaitaku.paths import NOTEBOOKS_DIR
    from zaitaku.render.batch import render_timing_report

    path = render_timing_report(NOTEBOOKS_DIR, tmp_path)
    html = path.read_text(encoding="utf-8")
    assert path.name == "implementation_timing.html"
    assert "（ア）" in html and "（ク）" in html and 'lang="ja"' in html
    assert "<svg" in html and "Traceback" not in html
    # every file the page links is there: the figures of its charts, as the municipality reports have them
    links = [h for h in re.findall(r'href="([^"#][^"]*)"', html) if "://" not in h and not h.startswith("mailto:")]
    assert "implementation_timing_figures.csv" in links
    assert [h for h in links if not (tmp_path / h).is_file()] == []
    figures = pd.read_csv(tmp_path / "implementation_timing_figures.csv", encoding="utf-8-sig")
    assert len(figures) > 0 and figures.notna().any().all()
    mtime = path.stat().st_mtime_ns
    assert render_timing_report(NOTEBOOKS_DIR, tmp_path) == path
    assert path.stat().st_mtime_ns == mtime  # unchanged inputs: not rendered again

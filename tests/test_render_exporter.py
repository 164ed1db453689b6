"""The cheap report exporter: same page as nbconvert's own HTMLExporter, up to BeautifulSoup's
re-serialisation, without parsing the outputs' markup."""

from __future__ import annotations

import nbformat
from bs4 import BeautifulSoup
from nbconvert import HTMLExporter
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from zaitaku.render import html as zh
from zaitaku.render.exporter import restore_html, stash_html

SVG = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10" role="img" '
       'style="font-family:&quot;IPAexGothic&quot;"><title>問1 協議会の設置</title>'
       '<path d="M0 0L10 10" style="fill:#d81b60"/></svg>')
SECTION = (f'<section><h2 id="q1">問1 協議会の設置 &#9312;</h2><figure class="chart">{SVG}</figure>'
           '<table class="figures"><tr><th>選択肢</th><td>42.1%（8/19）</td></tr></table>'
           '<p>松江市は「設置している」を選びました。</p></section>')
IMG = '<div><img src="data:image/png;base64,iVBORw0KGgo="><p>図</p></div>'


def _notebook():
    cells = [new_markdown_cell("## 1. 協議会の設置（問1）"),
             new_code_cell("rep.section('q1')", outputs=[new_output("display_data", data={"text/html": SECTION})]),
             new_code_cell("display(img)", outputs=[new_output("display_data", data={"text/html": IMG})]),
             new_markdown_cell("## 1. 協議会の設置（問1）")]  # the same markdown twice: memoised
    nb = new_notebook(cells=cells)
    nbformat.validate(nb)
    return nb


def test_stash_leaves_the_notebook_alone_and_restores_the_markup():
    nb = _notebook()
    before = nbformat.writes(nb)
    stashed, markup = stash_html(nb)
    assert nbformat.writes(nb) == before
    first = stashed.cells[1].outputs[0]["data"]["text/html"]
    assert first.startswith("<!--zaitaku-html-") and "<svg" not in first and markup[first[4:-3]] == SECTION
    with_img = stashed.cells[2].outputs[0]["data"]["text/html"]
    assert with_img == IMG  # an <img> goes through nbconvert (alt text)
    assert restore_html(f"<main>{first}</main>", markup) == f"<main>{SECTION}</main>"


def test_page_equals_nbconverts_up_to_reserialisation():
    nb = _notebook()
    plain = HTMLExporter(template_name=zh.TEMPLATE_NAME, extra_template_basedirs=[str(zh.TEMPLATES_DIR)],
                         exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True,
                         embed_images=True)
    resources = {"metadata": {"name": "x", "path": ""}, "zaitaku_css": zh.CSS}
    expected, _ = plain.from_notebook_node(zh.prepare_for_report(nb), resources=resources)
    exporter = zh.make_exporter()
    for _ in range(2):  # the second time with the markdown memoised
        ours, _title, _n = zh.export_report(exporter, nb, fallback_title="x")
        headings = zh.notebook_headings(zh.prepare_for_report(nb))
        reference, _title, _n = zh.finish_report(expected, (), headings if any(h.level > 1 for h in headings) else None)
        assert str(BeautifulSoup(ours, "html.parser")) == str(BeautifulSoup(reference, "html.parser"))
        assert SVG in ours and 'viewBox="0 0 10 10"' in ours  # the chart as the kernel wrote it
        assert "問1 協議会の設置" in ours and "zaitaku-html-" not in ours
        assert 'alt="No description has been provided for this image"' in ours  # nbconvert still adds alt


def test_kept_page_takes_the_next_reports_title_and_markup():
    """A second report of the same notebook reuses the kept page: its own title (escaped as
    nbconvert escapes it) and its own outputs, never the first report's."""
    exporter = zh.make_exporter()
    first = _notebook()
    second = _notebook()
    second.cells[1].outputs[0]["data"]["text/html"] = SECTION.replace("42.1%（8/19）", "10.0%（1/10）")
    second.cells.pop(0)  # no h2 before the chart: the ToC falls back to the page's headings
    second.cells.pop()  # and no markdown at all, so no h1 either: the fallback title stays
    for nb, title in ((first, "松江市 & <partnerships>"), (first, "浜田市 'x'"), (second, "出雲市 & co"),
                      (second, "益田市 <b>")):
        ours = zh.export_report(exporter, nb, fallback_title=title)
        fresh = zh.export_report(zh.make_exporter(), nb, fallback_title=title)
        assert ours == fresh, title
    assert exporter.skeleton_hits == 2
    page = zh.export_report(exporter, second, fallback_title="益田市 <b>")[0]
    assert "10.0%（1/10）" in page and "42.1%" not in page and "<title>益田市 &lt;b&gt;</title>" in page

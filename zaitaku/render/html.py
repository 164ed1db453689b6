"""HTML for ``zaitaku render``: the report exporter (slim template, table of contents, provenance
footer). The index pages are :mod:`zaitaku.render.site`.

Every page is one self-contained file: ``<html lang="ja">``, a small inline stylesheet with a
Japanese font stack, images as ``data:`` URIs, no external scripts, no JupyterLab CSS.
"""

from __future__ import annotations

import copy
import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from zaitaku.paths import PACKAGE_DIR
from zaitaku.report import html as report_html

TEMPLATES_DIR = PACKAGE_DIR / "report" / "templates"
TEMPLATE_NAME = "zaitaku_report"
# bump when the HTML produced from the same notebook outputs changes (part of the input hash)
HTML_FORMAT = "zaitaku-html-2"  # 2: HTML outputs as the kernel wrote them (see render.exporter)

FONT_STACK = (
    '"Hiragino Kaku Gothic ProN", "Hiragino Sans", "Yu Gothic", "Meiryo", '
    '"Noto Sans CJK JP", "IPAexGothic", sans-serif'
)

CSS = (
    """
:root { --fg: #222; --muted: #666; --line: #d9d9d9; --accent: #c2185b; --bg-soft: #f7f7f9; }
html { font-family: FONT_STACK; color: var(--fg); line-height: 1.7; }
body { margin: 0; background: #fff; }
main { max-width: 62rem; margin: 0 auto; padding: 1.5rem 1.25rem 3rem; }
h1 { font-size: 1.6rem; line-height: 1.35; margin: 0.5rem 0 1rem; border-bottom: 3px solid var(--accent); padding-bottom: 0.3rem; }
h2 { font-size: 1.3rem; margin: 2.2rem 0 0.8rem; border-left: 6px solid var(--accent); padding-left: 0.5rem; }
h3 { font-size: 1.1rem; margin: 1.6rem 0 0.6rem; }
h4, h5, h6 { font-size: 1rem; }
a { color: #1a5fb4; }
a:focus-visible, summary:focus-visible, input:focus-visible, button:focus-visible { outline: 3px solid #1a5fb4; outline-offset: 2px; }
a.anchor-link { display: none; }
p, ul, ol { margin: 0.5rem 0; }
img { max-width: 100%; height: auto; }
pre { white-space: pre-wrap; font-size: 0.85rem; background: var(--bg-soft); padding: 0.5rem; overflow-x: auto; }
table { border-collapse: collapse; margin: 0.6rem 0; font-size: 0.9rem; }
th, td { border: 1px solid var(--line); padding: 0.25rem 0.6rem; text-align: left; vertical-align: top; }
th { background: var(--bg-soft); }
td.num, th.num, .jp-RenderedHTML td:not(:first-child) { font-variant-numeric: tabular-nums; }
.cell { margin: 0.4rem 0; }
.jp-RenderedImage { margin: 0.6rem 0; }
.jp-needs-dark-background { background: #fff; }
nav.toc { background: var(--bg-soft); border: 1px solid var(--line); border-radius: 4px; padding: 0.6rem 1rem; margin: 1rem 0 1.5rem; }
nav.toc .toc-title { font-weight: bold; margin: 0 0 0.3rem; }
nav.toc ol { margin: 0; padding-left: 1.4rem; }
nav.toc ol ol { padding-left: 1.2rem; font-size: 0.95em; }
footer.provenance { margin-top: 3rem; border-top: 1px solid var(--line); padding-top: 0.6rem; color: var(--muted); font-size: 0.8rem; }
footer.provenance dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.1rem 1rem; margin: 0; }
footer.provenance dt { font-weight: bold; }
footer.provenance dd { margin: 0; overflow-wrap: anywhere; }
.render-info { font-size: 0.75rem; margin-top: 0.5rem; }
.crumbs { font-size: 0.9rem; color: var(--muted); margin-bottom: 0.5rem; }
.status-failed { color: #b00020; font-weight: bold; }
.muted { color: var(--muted); }
input[type=search] { font: inherit; padding: 0.35rem 0.6rem; width: min(28rem, 100%); border: 1px solid #999; border-radius: 4px; }
table.index { width: 100%; }
table.index { font-size: 0.9rem; }
table.index td { white-space: nowrap; }
table.index th { vertical-align: bottom; }
@media print {
  main { max-width: none; padding: 0; }
  nav.toc, input[type=search] { display: none; }
  h2, h3 { break-after: avoid; }
  .jp-RenderedImage, table { break-inside: avoid; }
}
""".replace("FONT_STACK", FONT_STACK).strip()
)


# --------------------------------------------------------------------------------------------
# report export


def make_exporter():
    """One HTMLExporter per worker: the zaitaku template, code and prompts excluded."""
    from zaitaku.render.exporter import ReportExporter

    return ReportExporter(
        template_name=TEMPLATE_NAME,
        extra_template_basedirs=[str(TEMPLATES_DIR)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        embed_images=True,
    )


REMOVE_CELL_TAGS = {"remove-cell", "remove_cell", "injected-parameters", "parameters"}
REMOVE_OUTPUT_TAGS = {"remove-output", "remove_output"}


def prepare_for_report(nb):
    """A copy of the executed notebook fit for the report.

    Drops stderr streams (warnings never reach a report), cells tagged ``remove-cell`` (and the
    parameters cells), outputs of cells tagged ``remove-output``, and code cells left without output.
    """
    nb = copy.copy(nb)
    cells = []
    for cell in nb.cells:
        tags = set(cell.get("metadata", {}).get("tags", []))
        if tags & REMOVE_CELL_TAGS:
            continue
        if cell.cell_type == "code":
            if tags & REMOVE_OUTPUT_TAGS:
                continue
            outputs = [
                o for o in cell.get("outputs", [])
                if not (o.get("output_type") == "stream" and o.get("name") == "stderr")
            ]
            if not outputs:
                continue
            cell = copy.copy(cell)
            cell["outputs"] = outputs
        cells.append(cell)
    nb.cells = cells
    return nb


@dataclass
class Heading:
    level: int
    id: str
    text: str


_HEADING_RE = re.compile(r"<h([1-3])((?:\s[^>]*)?)>(.*?)</h\1\s*>", re.S | re.I)
_ID_RE = re.compile(r"""\sid\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.I)
_ANCHOR_RE = re.compile(r'<a\s[^>]*class="anchor-link"[^>]*>.*?</a>', re.S | re.I)
_TAG_RE = re.compile(r"<[^>]+>")


def heading_text(inner_html: str) -> str:
    text = _TAG_RE.sub("", _ANCHOR_RE.sub("", inner_html))
    return " ".join(html.unescape(text).split())


def collect_headings(body: str) -> tuple[str, list[Heading]]:
    """Find h1–h3 in document order; give every h2/h3 a unique id. Returns (new body, headings)."""
    headings: list[Heading] = []
    used: set[str] = {m.group(1) or m.group(2) for m in _ID_RE.finditer(body)}
    counter = 0

    def fix(m: re.Match) -> str:
        nonlocal counter
        level, attrs, inner = int(m.group(1)), m.group(2) or "", m.group(3)
        text = heading_text(inner)
        idm = _ID_RE.search(attrs)
        if idm:
            hid = html.unescape(idm.group(1) if idm.group(1) is not None else idm.group(2))
        elif level == 1:
            hid = ""
        else:
            counter += 1
            hid = f"sec-{counter}"
            while hid in used:
                counter += 1
                hid = f"sec-{counter}"
            used.add(hid)
            attrs = f'{attrs} id="{hid}"'
        headings.append(Heading(level, hid, text))
        return f"<h{level}{attrs}>{inner}</h{level}>"

    return _HEADING_RE.sub(fix, body), headings


def toc_html(headings: Sequence[Heading]) -> str:
    """Nested ordered list of the h2 (and their h3) headings; empty when there are none."""
    items: list[dict[str, Any]] = []
    for h in (h for h in headings if h.level in (2, 3) and h.text):
        if h.level == 2:
            items.append({"heading": h, "children": []})
        else:
            if not items:  # an h3 before any h2
                items.append({"heading": None, "children": []})
            items[-1]["children"].append(h)
    return report_html.render("toc.html.j2", items=items).strip() if items else ""


def footer_html(items: Iterable[tuple[str, str]]) -> str:
    return report_html.render("provenance.html.j2", items=[(k, str(v)) for k, v in items]).strip()


TOC_MARK = "<!--zaitaku:toc-->"
FOOTER_MARK = "<!--zaitaku:footer-->"
TOC_HERE = "<!--zaitaku:toc-here-->"  # written by the report's header where its ToC belongs


_MD_HEADING_RE = re.compile(r"^(#{1,3})\s+(.+?)\s*#*\s*$")
_MD_ANCHOR_RE = re.compile(r"""<a\s+(?:name|id)\s*=\s*["']([^"']+)["'][^>]*>\s*</a>""", re.I)


def notebook_headings(nb) -> list[Heading]:
    """The headings of the notebook's markdown cells (levels 1–3), as the report and JupyterLab show them.

    A heading's id is its explicit anchor (``## 2.① … <a id="deck-2-1"></a>``) or else the id
    nbconvert gives it.
    """
    from xml.etree import ElementTree

    from nbconvert.filters.strings import add_anchor

    out: list[Heading] = []
    in_fence = False
    for cell in nb.cells:
        if cell.get("cell_type") != "markdown":
            continue
        for line in str(cell.get("source", "")).splitlines():
            if line.lstrip().startswith(("```", "~~~")):
                in_fence = not in_fence
            m = None if in_fence else _MD_HEADING_RE.match(line)
            if not m:
                continue
            level, raw = len(m.group(1)), m.group(2)
            anchor = _MD_ANCHOR_RE.search(raw)
            text = heading_text(_MD_ANCHOR_RE.sub("", raw))
            if anchor:
                hid = anchor.group(1)
            else:
                tagged = add_anchor(f"<h{level}>{html.escape(text)}</h{level}>")
                try:
                    hid = ElementTree.fromstring(tagged).get("id") or ""
                except ElementTree.ParseError:
                    hid = ""
            out.append(Heading(level, hid, text))
    return out


def finish_report(page: str, footer: Iterable[tuple[str, str]] = (),
                  headings: Sequence[Heading] | None = None) -> tuple[str, str, int]:
    """Fill the template's markers: ToC after the first h1 (or at the top), footer, <title>.

    ``headings`` are the notebook's (:func:`notebook_headings`); without them (a notebook whose
    headings come from its outputs) the h1–h3 of the page are used.
    Returns (html, title, number of headings in the ToC).
    """
    head, sep, body = page.partition("<body>")
    if not sep:  # not our template
        head, body = "", page
    if headings is None:
        body, headings = collect_headings(body)
    toc = toc_html(headings)
    first_h1 = re.search(r"<h1(?:\s[^>]*)?>(.*?)</h1\s*>", body, re.I | re.S)
    mark = body.find(TOC_MARK)
    if toc and TOC_HERE in body:  # the report's header says where (after its overview)
        body = body.replace(TOC_HERE, toc, 1).replace(TOC_MARK, "", 1)
    elif toc and first_h1 and first_h1.start() > mark >= 0:
        body = body[: first_h1.end()] + "\n" + toc + body[first_h1.end():]
        body = body.replace(TOC_MARK, "", 1)  # before the h1, so the offsets above were unaffected
    else:
        body = body.replace(TOC_MARK, toc, 1)
    footer = list(footer)
    if 'class="provenance"' in body:  # the notebook wrote its own provenance footer: add one line
        info = "・".join(f"{k} {v}" for k, v in footer if k in ("ノートブック", "入力ハッシュ"))
        extra = f'<p class="render-info muted">{html.escape(info)}</p>' if info else ""
        body = body.replace(FOOTER_MARK, extra, 1)
    else:
        body = body.replace(FOOTER_MARK, footer_html(footer), 1)
    title = heading_text(first_h1.group(1)) if first_h1 else ""
    if title and head:
        head = re.sub(r"<title>.*?</title>", f"<title>{html.escape(title)}</title>", head, count=1, flags=re.S)
    n_toc = sum(1 for h in headings if h.level in (2, 3))
    return (head + sep + body if sep else body), title, n_toc


def export_report(exporter, nb, *, fallback_title: str, footer: Iterable[tuple[str, str]] = (),
                  path: str = "") -> tuple[str, str, int]:
    """Executed notebook -> (html, title, ToC size) with the reused exporter.

    ``path`` is the notebook's folder: images a markdown cell links to are inlined from there.
    """
    import secrets

    from zaitaku.render.exporter import renonce, restore_html, skeleton_key, stash_html

    nb = prepare_for_report(nb)
    nonce = secrets.token_hex(6)
    stashed, markup = stash_html(nb, nonce)  # zaitaku's markup skips nbconvert's BeautifulSoup pass
    keep = getattr(exporter, "skeleton", None)  # a ReportExporter: pages kept by what nbconvert reads
    name = f"zaitaku-title-{nonce}" if keep is not None else fallback_title  # the title: filled in below
    resources = {"metadata": {"name": name, "path": path}, "zaitaku_css": CSS}
    key = skeleton_key(stashed, nonce, resources) if keep is not None else ""
    kept = keep(key) if keep is not None else None
    if kept is not None:
        page, kept_nonce, headings = kept
        markup = renonce(markup, nonce, kept_nonce)
        name = f"zaitaku-title-{kept_nonce}"
    else:
        page, _ = exporter.from_notebook_node(stashed, resources=resources)
        headings = notebook_headings(nb)  # from the markdown cells: part of the key
        if keep is not None:
            exporter.keep_skeleton(key, page, nonce, headings)
    if keep is not None:
        page = page.replace(name, _as_exported(fallback_title))
    page = restore_html(page, markup)
    return finish_report(page, footer, headings if any(h.level > 1 for h in headings) else None)


def _as_exported(title: str) -> str:
    """``title`` as nbconvert's page holds it: escaped by its template, re-serialised by BeautifulSoup."""
    from bs4 import BeautifulSoup

    tag = BeautifulSoup(f"<title>{html.escape(title)}</title>", "html.parser").title
    return tag.decode_contents() if tag is not None else html.escape(title)

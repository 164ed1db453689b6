"""The report exporter made cheap: nbconvert's HTMLExporter without re-parsing what never changes.

nbconvert's ``HTMLExporter`` parses every page with BeautifulSoup (alt text for ``<img>``,
``tabindex`` on outputs) and, with ``embed_images``, every markdown cell's HTML too. On a report
that is most of the export time, and most of the page's tags are the inline SVG charts, which hold
neither ``<img>`` nor notebook ``div``\\ s. So:

- the HTML outputs (zaitaku's own markup: headings, charts as inline SVG, tables) are set aside
  before the export (an HTML comment holds their place, which BeautifulSoup passes through
  verbatim) and put back afterwards, as the kernel wrote them. Outputs with an ``<img>`` still go
  through nbconvert (it adds missing alt text), and so do the charts of such outputs;
- a markdown cell's HTML is computed once per worker (a notebook's markdown does not depend on the
  parameters; cells with attachments are not cached).

- the notebook is not validated again after each of nbconvert's preprocessors (papermill
  parameterised it, the worker filed its outputs; a dozen full validations cost more than the
  rest of a small report's export).

Everything else goes through nbconvert unchanged.
"""

from __future__ import annotations

import copy
import re
import secrets
from typing import Any

from jinja2 import pass_context
from nbconvert import HTMLExporter

_SVG_RE = re.compile(r"<svg\b.*?</svg\s*>", re.S | re.I)
MARKDOWN_ENTRIES = 4096


class ReportExporter(HTMLExporter):
    """``HTMLExporter`` with the markdown cells' HTML memoised (see the module docstring)."""

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self._markdown: dict[tuple[str, str], str] = {}

    def _validate_preprocessor(self, nbc: Any, preprocessor: Any) -> None:
        """No validation between preprocessors (see the module docstring)."""

    @pass_context
    def markdown2html(self, context: Any, source: str) -> str:
        if context.get("cell", {}).get("attachments"):
            return super().markdown2html(context, source)
        key = (source, str(context.get("resources", {}).get("metadata", {}).get("path", "")))
        html = self._markdown.get(key)
        if html is None:
            html = super().markdown2html(context, source)
            if len(self._markdown) < MARKDOWN_ENTRIES:
                self._markdown[key] = html
        return html


def _html_text(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def stash_html(nb: Any) -> tuple[Any, dict[str, str]]:
    """A copy of ``nb`` whose HTML outputs are ``<!--token-->`` (or hold it where their ``<svg>``
    were, if they have an ``<img>``), and the token -> markup map. ``nb`` is not changed."""
    nonce = secrets.token_hex(6)
    stash: dict[str, str] = {}

    def put(markup: str) -> str:
        token = f"zaitaku-html-{nonce}-{len(stash)}"
        stash[token] = markup
        return f"<!--{token}-->"

    def svg(m: re.Match) -> str:
        return m.group(0) if "<svg" in m.group(0)[4:].lower() else put(m.group(0))  # nested: left as is

    def stashed(markup: str) -> str:
        if "<img" not in markup.lower():
            return put(markup)
        return _SVG_RE.sub(svg, markup)

    nb = copy.copy(nb)
    cells = []
    for cell in nb.cells:
        outputs = cell.get("outputs") if cell.get("cell_type") == "code" else None
        if outputs and any("text/html" in o.get("data", {}) for o in outputs):
            cell = copy.copy(cell)
            new = []
            for o in outputs:
                data = o.get("data", {})
                if "text/html" in data:
                    o = copy.copy(o)
                    o["data"] = copy.copy(data)
                    o["data"]["text/html"] = stashed(_html_text(data["text/html"]))
                new.append(o)
            cell["outputs"] = new
        cells.append(cell)
    nb.cells = cells
    return nb, stash


def restore_html(page: str, stash: dict[str, str]) -> str:
    """Put the stashed markup back in place of its comments."""
    if not stash:
        return page
    return re.sub(r"<!--(zaitaku-html-[0-9a-f]+-\d+)-->", lambda m: stash.get(m.group(1), m.group(0)), page)

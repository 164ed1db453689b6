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

- once the HTML outputs are set aside, most reports of a notebook are the same page around them:
  nbconvert's page for a notebook is kept under that notebook's :func:`skeleton_key` (everything
  nbconvert reads, without papermill's timings and parameters, which its templates never show) and
  reused with the next report's markup in place of the comments.

Everything else goes through nbconvert unchanged.
"""

from __future__ import annotations

import copy
import json
import re
import secrets
from collections import OrderedDict
from typing import Any

from jinja2 import pass_context
from nbconvert import HTMLExporter

_SVG_RE = re.compile(r"<svg\b.*?</svg\s*>", re.S | re.I)
MARKDOWN_ENTRIES = 4096
SKELETON_ENTRIES = 64  # pages kept per worker: a few per notebook (municipality, prefecture, failed)
_TOKEN_PREFIX = "zaitaku-html-"


class ReportExporter(HTMLExporter):
    """``HTMLExporter`` with the markdown cells' HTML memoised (see the module docstring)."""

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self._markdown: dict[tuple[str, str], str] = {}
        self.skeletons: OrderedDict[str, tuple[str, str, Any]] = OrderedDict()  # key -> (page, nonce, extra)
        self.skeleton_hits = 0

    def skeleton(self, key: str) -> tuple[str, str, Any] | None:
        """The page kept under ``key`` (with the nonce of its comments and what the caller kept with it)."""
        hit = self.skeletons.get(key)
        if hit is not None:
            self.skeletons.move_to_end(key)
            self.skeleton_hits += 1
        return hit

    def keep_skeleton(self, key: str, page: str, nonce: str, extra: Any = None) -> None:
        self.skeletons[key] = (page, nonce, extra)
        while len(self.skeletons) > SKELETON_ENTRIES:
            self.skeletons.popitem(last=False)

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


def stash_html(nb: Any, nonce: str = "") -> tuple[Any, dict[str, str]]:
    """A copy of ``nb`` whose HTML outputs are ``<!--token-->`` (or hold it where their ``<svg>``
    were, if they have an ``<img>``), and the token -> markup map. ``nb`` is not changed.
    ``nonce`` (random if not given) makes the tokens unguessable by the notebook's own content."""
    nonce = nonce or secrets.token_hex(6)
    stash: dict[str, str] = {}

    def put(markup: str) -> str:
        token = f"{_TOKEN_PREFIX}{nonce}-{len(stash)}"
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


_VOLATILE_CELL_METADATA = {"execution"}  # timestamps; the templates never show them
_VOLATILE_PAPERMILL = {"start_time", "end_time", "duration"}


def skeleton_key(stashed: Any, nonce: str, resources: dict[str, Any]) -> str:
    """What nbconvert reads of a stashed notebook, as a string: cells, outputs (with their tokens
    under a fixed nonce) and metadata, without the timings of each cell and papermill's notebook
    metadata (parameters, paths, times), which differ from report to report and are never shown."""
    cells = []
    for cell in stashed.cells:
        meta = {k: v for k, v in cell.get("metadata", {}).items() if k not in _VOLATILE_CELL_METADATA}
        if isinstance(meta.get("papermill"), dict):
            meta["papermill"] = {k: v for k, v in meta["papermill"].items() if k not in _VOLATILE_PAPERMILL}
        cells.append({**{k: v for k, v in cell.items() if k != "metadata"}, "metadata": meta})
    doc = {"cells": cells, "metadata": {k: v for k, v in stashed.get("metadata", {}).items() if k != "papermill"},
           "nbformat": [stashed.get("nbformat"), stashed.get("nbformat_minor")], "resources": resources}
    return (json.dumps(doc, sort_keys=True, ensure_ascii=False, default=str)
            .replace(f"{_TOKEN_PREFIX}{nonce}-", "").replace(f"zaitaku-title-{nonce}", ""))


def restore_html(page: str, stash: dict[str, str]) -> str:
    """Put the stashed markup back in place of its comments."""
    if not stash:
        return page
    return re.sub(r"<!--(zaitaku-html-[0-9a-f]+-\d+)-->", lambda m: stash.get(m.group(1), m.group(0)), page)


def renonce(stash: dict[str, str], nonce: str, kept_nonce: str) -> dict[str, str]:
    """``stash`` with its tokens under ``kept_nonce`` (those of a kept page)."""
    old, new = f"{_TOKEN_PREFIX}{nonce}-", f"{_TOKEN_PREFIX}{kept_nonce}-"
    return {new + token[len(old):]: markup for token, markup in stash.items()}

"""A report's pieces as HTML, from the Jinja2 templates in ``templates/report/`` (autoescaped).

Text from the data (names, labels, free text) is always escaped by the templates; only markup
zaitaku builds itself (the chart, tables from ``DataFrame.to_html(escape=True)``, the stylesheet)
is passed in as :class:`markupsafe.Markup`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import jinja2
from markupsafe import Markup

from zaitaku.paths import PACKAGE_DIR

TEMPLATES = PACKAGE_DIR / "report" / "templates" / "report"
PREFECTURE_DIR = "prefecture"  # the render layout: reports/<year>/<pref>/prefecture/<group>.html

NOTE_CLASS = {"condition": "condition", "source": "source-note", "published": "source-note published-note",
              "national": "source-note"}

# Report-specific styles (the page's base stylesheet comes from zaitaku.render.html); A4 print.
CSS = """
.report-nav ul { list-style: none; padding: 0; margin: .3rem 0; display: flex; flex-wrap: wrap; gap: .2rem 1.2rem; font-size: .9rem; }
.report-nav .groups li[aria-current] strong { color: var(--accent, #c2185b); }
.synthetic-banner { border: 3px solid #E4007F; padding: .6em 1em; background: #FFF0F7; font-weight: bold; margin: 1em 0; }
.overview { background: #f7f7f9; border: 1px solid #d9d9d9; border-radius: 4px; padding: .4rem 1rem; margin: 1rem 0; }
.overview .how-to-read { margin: .3rem 0; padding-left: 1.2rem; font-size: .92rem; }
.data-problems { border-left: 4px solid #b26a00; padding: .2rem .8rem; margin: 1rem 0; background: #fff8e6; font-size: .92rem; }
section.question { margin: 0 0 1.6rem; }
.question-label { font-weight: bold; margin-bottom: 0; }
p.question { margin-top: .1rem; }
p.condition, p.source-note { font-size: .88rem; color: #555; }
figure.chart { margin: .6rem 0; }
figure.chart img, figure.chart svg { max-width: 100%; height: auto; }
.free-text { font-size: .92rem; border-left: 3px solid #d9d9d9; padding-left: .8rem; }
.free-text-title { font-weight: bold; margin-bottom: 0; }
.summary h3 { margin-top: 1rem; }
h3.question-label { font-size: 1.05rem; margin: 1.2rem 0 .2rem; }
nav.toc ol { list-style: none; padding-left: .4rem; }
.pair-table { overflow-x: auto; }
table.side-by-side { font-size: .9rem; }
table.side-by-side tbody th { min-width: 16em; }
table.side-by-side td { white-space: nowrap; text-align: right; }
.muted { color: #666; }
.trend { border-left: 3px solid #9e9e9e; padding: .1rem .8rem; margin: .6rem 0 1rem; background: #fafafa; }
.trend-title { font-weight: bold; margin: .3rem 0; }
table.trend-table { font-size: .9rem; }
table.trend-table td { white-space: nowrap; text-align: right; }
@page { size: A4; margin: 16mm 14mm 16mm 14mm;
  @top-left { font-size: 8pt; color: #555; }
  @bottom-right { content: counter(page) " / " counter(pages); font-size: 8pt; color: #555; } }
@media print {
  html { font-size: 10.5pt; }
  .report-nav, nav.toc, input[type=search] { display: none; }
  details::details-content { content-visibility: visible; display: contents; }
  details > summary { list-style: none; font-weight: bold; break-after: avoid; page-break-after: avoid; }
  h1, h2, h3, .question-label, p.question { break-after: avoid; page-break-after: avoid; }
  .cell.md:has(h2) { break-after: avoid; page-break-after: avoid; }
  figure.chart, figure.chart img, figure.chart svg, .jp-RenderedImage { break-inside: avoid; page-break-inside: avoid; }
  tr { break-inside: avoid; }
  a { color: inherit; text-decoration: none; }
}
""".strip()


def css_string(text: object) -> Markup:
    """A value inside a CSS double-quoted string in a <style> element (no quote, newline or `<`)."""
    out = []
    for ch in str(text):
        if ch in '"\\<>&' or ord(ch) < 0x20:
            out.append(f"\\{ord(ch):X} ")
        else:
            out.append(ch)
    return Markup("".join(out))


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True,
                             trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined)
    env.filters["css_string"] = css_string
    return env


def render(template: str, **context: Any) -> str:
    return environment().get_template(template).render(**context)


# ------------------------------------------------------------------------------------ navigation


@dataclass(frozen=True)
class Link:
    label: str
    href: str
    current: bool = False


@dataclass(frozen=True)
class Navigation:
    up: tuple[Link, ...]
    groups: tuple[Link, ...]


def short_group_label(label: str) -> str:
    """「連携の体制（担当部署・…）」 -> 「連携の体制」."""
    return re.split(r"[（(]", label, maxsplit=1)[0] or label


def navigation(group: str, groups: Mapping[str, str], pref_name: str, is_prefecture: bool,
               municipality_name: str = "") -> Navigation:
    """Links from a report at ``reports/<year>/<pref>/<municipality or prefecture>/<group>.html``.

    The municipality's page is ``index.html`` beside the report; the prefecture report of the same
    group is ``../prefecture/<group>.html``; the prefecture's list ``../index.html``; the top index
    ``../../index.html``.
    """
    up = [Link("全国の一覧", "../../index.html"), Link(f"{pref_name}の市町村一覧", "../index.html")]
    if is_prefecture:
        up.append(Link(f"{pref_name}全体のレポート一覧", "index.html"))
    else:
        up.append(Link(f"{municipality_name}のレポート一覧", "index.html"))
        up.append(Link(f"{pref_name}全体の同じレポート", f"../{PREFECTURE_DIR}/{group}.html"))
    links = tuple(Link(short_group_label(label), f"{g}.html", g == group) for g, label in groups.items())
    return Navigation(tuple(up), links)


def markup(html: str) -> Markup:
    """Mark markup zaitaku built itself as safe for the templates."""
    return Markup(html)

"""Index pages of a batch (top, prefecture, municipality), from Jinja2 templates with autoescape.

Built from the manifest, so every report of the year is listed, not only the current selection.
The top page links the implementation-timing report when it exists; every page carries the
synthetic-data banner when the data are synthetic; slide decks (``.pptx`` beside a scope's
reports, written by ``zaitaku deck`` or ``zaitaku render --formats pptx``) are linked.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import jinja2

from zaitaku.render.manifest import Manifest
from zaitaku.render.scope import DEFAULT_GROUPS, Scope

TEMPLATES = Path(__file__).resolve().parent / "templates"
TIMING_PAGE = "implementation_timing.html"


@dataclass(frozen=True)
class Group:
    name: str
    label: str  # full Japanese name from the codebook

    @property
    def short(self) -> str:
        return self.label.split("（")[0] or self.name


@dataclass
class ReportLink:
    group: str
    href: str | None  # relative to the page; None when there is no HTML
    status: str  # "ok" | "failed" | "missing"
    title: str = ""


@dataclass
class DeckLink:
    name: str
    href: str


@dataclass
class Row:
    scope: Scope
    href: str | None = None  # the row's own index page
    by_group: dict[str, ReportLink] = field(default_factory=dict)
    decks: list[DeckLink] = field(default_factory=list)
    problems: int = 0  # ingest problems of the municipality (prefecture rows: of its municipalities)

    def __getattr__(self, name: str):  # code, name, prefecture, pref_code, kana of the scope
        return getattr(self.scope, name)

    @property
    def label(self) -> str:
        return self.scope.name if self.scope.code else f"{self.scope.prefecture}（県全体）"

    @property
    def search(self) -> str:
        s = self.scope
        return " ".join(x for x in (s.code, s.name, s.kana, s.prefecture, s.pref_code) if x)


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=False)
    from zaitaku.render.html import CSS

    env.globals.update(css=CSS, search_js=(TEMPLATES / "search.js").read_text(encoding="utf-8"))
    return env


def relative_href(target: Path, page_dir: Path) -> str:
    """URL of ``target`` relative to a page in ``page_dir``."""
    return Path(os.path.relpath(target, page_dir)).as_posix()


def group_labels(survey_year: str) -> dict[str, str]:
    try:
        from zaitaku.reference.codebook import load_codebook

        return dict(load_codebook(survey_year).groups)
    except Exception:
        return {}


def _write_if_changed(path: Path, text: str) -> None:
    from zaitaku.files.atomic import write_bytes

    data = text.encode("utf-8")
    try:
        if path.read_bytes() == data:
            return
    except OSError:
        pass
    write_bytes(path, data)


def render_page(template: str, **context) -> str:
    context.setdefault("search", False)
    return environment().get_template(template).render(**context)


def build_indexes(out_year: Path, manifest: Manifest, survey_year: str, *, synthetic: bool = False,
                  problems: Mapping[str, int] | None = None) -> Path:
    """Top, prefecture and municipality index pages from the manifest (all reports of the year).

    ``problems`` (municipality code → number of ingest problems) adds a column that says which
    municipalities' data had problems; a prefecture's row counts its municipalities with problems.
    """
    problems = dict(problems or {})
    labels = group_labels(survey_year)
    entries: dict[Scope, dict[str, tuple[str, Mapping]]] = {}
    seen: list[str] = []
    for key, e in manifest.reports.items():
        if e.get("kind") == "deck":  # linked from the scope's folder (*.pptx) below
            continue
        scope = Scope(e.get("pref_code", ""), e.get("prefecture", ""), e.get("code", ""), e.get("name", ""),
                      e.get("kana", ""))
        entries.setdefault(scope, {})[e.get("group", "")] = (key, e)
        if e.get("group") and e["group"] not in seen:
            seen.append(e["group"])
    names = [g for g in DEFAULT_GROUPS if g in seen] + sorted(g for g in seen if g not in DEFAULT_GROUPS)
    groups = [Group(g, labels.get(g, g)) for g in names]
    common = {"year": survey_year, "groups": groups, "synthetic": synthetic, "has_problems": bool(problems)}
    other_years = sorted((d.name for d in out_year.parent.iterdir()
                          if d.is_dir() and d.name != out_year.name and (d / "index.html").is_file()),
                         key=lambda y: (len(y), y))  # the other survey years rendered beside this one

    def row(scope: Scope, page_dir: Path, href: str | None) -> Row:
        r = Row(scope, href)
        for g, (key, e) in entries[scope].items():
            html_path = out_year / key
            link = relative_href(html_path, page_dir) if html_path.is_file() else None
            status = e.get("status", "ok") if link or e.get("status") == "failed" else "missing"
            r.by_group[g] = ReportLink(g, link, status, e.get("title", ""))
        sdir = out_year / scope.pref_dir / scope.dir
        r.decks = [DeckLink(p.name, relative_href(p, page_dir)) for p in sorted(sdir.glob("*.pptx"))]
        r.problems = (problems.get(scope.code, 0) if scope.code
                      else sum(1 for c in problems if c[:2] == scope.pref_code))
        return r

    top_rows: list[Row] = []
    pref_rows: dict[str, list[Row]] = {}
    prefs: dict[str, str] = {}
    top = out_year / "index.html"
    for scope in sorted(entries, key=Scope.sort_key):
        prefs.setdefault(scope.pref_code, scope.prefecture)
        sdir = out_year / scope.pref_dir / scope.dir
        pdir = out_year / scope.pref_dir
        _write_if_changed(sdir / "index.html", render_page(
            "municipality.html.j2", title=f"{row(scope, sdir, None).label} 振り返りレポート（{survey_year}）",
            row=row(scope, sdir, None), top_href=relative_href(top, sdir),
            pref_href=relative_href(pdir / "index.html", sdir), **common))
        top_rows.append(row(scope, out_year, relative_href(sdir / "index.html", out_year)))
        pref_rows.setdefault(scope.pref_code, []).append(row(scope, pdir, relative_href(sdir / "index.html", pdir)))
    pref_list = []
    for pc, pname in sorted(prefs.items()):
        pdir = out_year / Scope(pc, pname).pref_dir
        rows = pref_rows[pc]
        _write_if_changed(pdir / "index.html", render_page(
            "prefecture.html.j2", title=f"{pname} 振り返りレポート（{survey_year}）", pref_code=pc, prefecture=pname,
            rows=rows, top_href=relative_href(top, pdir), has_decks=any(r.decks for r in rows), search=True,
            **common))
        pref_list.append({"name": pname, "href": relative_href(pdir / "index.html", out_year)})
    timing = out_year / TIMING_PAGE
    _write_if_changed(top, render_page(
        "top.html.j2", title=f"振り返りレポート一覧（{survey_year}）", rows=top_rows, prefectures=pref_list,
        timing_href=TIMING_PAGE if timing.is_file() else None, has_decks=any(r.decks for r in top_rows),
        search=True, other_years=[(y, f"../{y}/index.html") for y in other_years], **common))
    return top

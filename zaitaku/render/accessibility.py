"""Accessibility check of a batch: axe-core in Chromium over one page of every kind, and its record.

``zaitaku render --check-accessibility`` runs axe-core (vendored: ``render/vendor/axe.min.js``, with its
licence and provenance sidecar) in Debian's Chromium through Playwright (no browser is downloaded)
over the top index, every prefecture index, a municipality's index, every report group of the first
municipality and of every prefecture in the batch, and the implementation-timing report; the rules
are those tagged WCAG 2.0/2.1 A and AA (``wcag2a``, ``wcag2aa``, ``wcag21a``, ``wcag21aa``: what
JIS X 8341-3:2016 level AA asks of a web page that a tool can test). The result goes to
``reports/<year>/accessibility.json`` (tool and version, browser, rule set, pages, violations), which
the top index links, so that a prefecture can hand it to its web team.

::

    results = check_pages([Path("reports/R3/index.html")])
    write_record(Path("reports/R3"), results)
"""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import json
import os
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from zaitaku.files.atomic import write_text

VENDOR = Path(__file__).resolve().parent / "vendor"
AXE_JS = VENDOR / "axe.min.js"
RECORD_NAME = "accessibility.json"
CHROMIUM = Path(os.environ.get("ZAITAKU_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")
STANDARD = "WCAG 2.1 レベル A・AA のうち axe-core が自動で判定できる項目（JIS X 8341-3:2016 AA の機械検査分）"


class AccessibilityCheckError(RuntimeError):
    """The check could not run (no Chromium, no Playwright); the message is for staff."""


@dataclass
class PageResult:
    """One page: where, what kind, and what axe found."""

    path: str  # relative to the year folder
    kind: str
    title: str = ""
    violations: list[dict] = field(default_factory=list)
    passes: int = 0
    incomplete: int = 0


def axe_version() -> str:
    """The vendored axe-core's version, from its licence header (``/*! axe v4.14.1``)."""
    head = AXE_JS.read_text(encoding="utf-8")[:200]
    found = re.search(r"axe v(\d+\.\d+\.\d+)", head)
    if not found:
        raise AccessibilityCheckError(f"{AXE_JS} の版が読めません")
    return found.group(1)


def _summarise(violation: dict) -> dict:
    """A violation as recorded: rule, impact, help, where (CSS selector and the element's start)."""
    return {"id": violation["id"], "impact": violation.get("impact"), "help": violation.get("help", ""),
            "help_url": violation.get("helpUrl", ""), "tags": violation.get("tags", []),
            "nodes": [{"target": n.get("target"), "html": str(n.get("html", ""))[:300],
                       "summary": n.get("failureSummary", "")} for n in violation.get("nodes", [])]}


def _run(pages: Sequence[tuple[str, Path]], root: Path, tags: Sequence[str]) -> tuple[list[PageResult], str]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        raise AccessibilityCheckError(f"playwright がありません（pip install playwright）：{exc}") from None
    if not CHROMIUM.exists():
        raise AccessibilityCheckError(f"Chromium（{CHROMIUM}）がありません。apt-get install chromium で入れてください"
                                      "（別の場所なら環境変数 ZAITAKU_CHROMIUM）")
    script = AXE_JS.read_text(encoding="utf-8")
    options = {"runOnly": {"type": "tag", "values": list(tags)}, "resultTypes": ["violations"]}
    results = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            version = browser.version
            page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="ja-JP")
            for kind, path in pages:
                page.goto(path.resolve().as_uri(), wait_until="load")
                page.add_script_tag(content=script)
                raw = page.evaluate("options => axe.run(document, options)", options)
                results.append(PageResult(path.resolve().relative_to(root).as_posix(), kind, page.title(),
                                          [_summarise(v) for v in raw["violations"]], len(raw["passes"]),
                                          len(raw["incomplete"])))
        finally:
            browser.close()
    return results, version


def check_pages(pages: Sequence[tuple[str, Path]], root: Path, tags: Sequence[str] = TAGS
                ) -> tuple[list[PageResult], str]:
    """Run axe-core over ``(kind, path)`` pages; (results, Chromium's version).

    Playwright's synchronous API refuses a thread with a running event loop, so it runs in a thread of its own.
    """
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(_run, pages, Path(root).resolve(), tags).result()


def pages_to_check(out_year: Path) -> list[tuple[str, Path]]:
    """One page of every kind in a year's folder: indexes, each report group of the first municipality
    and of every prefecture, the timing report (what exists)."""
    out_year = Path(out_year)
    pages: list[tuple[str, Path]] = []
    if (out_year / "index.html").is_file():
        pages.append(("一覧（トップ）", out_year / "index.html"))
    for pdir in sorted(p for p in out_year.iterdir() if p.is_dir() and (p / "index.html").is_file()):
        pages.append(("都道府県の一覧", pdir / "index.html"))
        munis = sorted(d for d in pdir.iterdir() if d.is_dir() and d.name[:1].isdigit() and (d / "index.html").is_file())
        if munis:
            pages.append(("市町村のページ", munis[0] / "index.html"))
            pages += [(f"市町村の報告書（{r.stem}）", r) for r in sorted(munis[0].glob("*.html")) if r.name != "index.html"]
        pref = pdir / "prefecture"
        pages += [(f"都道府県の報告書（{r.stem}）", r) for r in sorted(pref.glob("*.html")) if r.name != "index.html"]
    timing = out_year / "implementation_timing.html"
    if timing.is_file():
        pages.append(("実施時期の報告書", timing))
    return pages


def record(results: Sequence[PageResult], browser_version: str, tags: Sequence[str] = TAGS) -> dict:
    """The conformance record as a dict (what ``accessibility.json`` holds)."""
    from zaitaku import __version__

    total = sum(len(r.violations) for r in results)
    return {
        "tool": {"name": "axe-core", "version": axe_version(), "source": "zaitaku/render/vendor/axe.min.js"},
        "browser": {"name": "Chromium", "version": browser_version, "driver": "Playwright"},
        "rule_set": {"tags": list(tags), "standard": STANDARD},
        "checked_at": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "zaitaku": __version__,
        "pages_checked": len(results),
        "violations_total": total,
        "result": "違反なし" if total == 0 else f"違反 {total} 件",
        "pages": [asdict(r) for r in results],
        "note": "自動検査で確かめられるのは達成基準の一部です。色だけに頼らない表現や代替テキストの内容は人が確かめてください。",
    }


def write_record(out_year: Path, results: Sequence[PageResult], browser_version: str,
                 tags: Sequence[str] = TAGS) -> Path:
    path = Path(out_year) / RECORD_NAME
    write_text(path, json.dumps(record(results, browser_version, tags), ensure_ascii=False, indent=2) + "\n")
    return path


def check_batch(out_year: Path) -> tuple[Path, int]:
    """Check one page of every kind in ``out_year`` and write the record; (its path, violations)."""
    results, version = check_pages(pages_to_check(out_year), out_year)
    return write_record(out_year, results, version), sum(len(r.violations) for r in results)

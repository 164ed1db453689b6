"""Decks built by ``zaitaku render`` in a worker's warm kernel equal the decks ``zaitaku deck`` builds in a
fresh process, part by part, even after the scope's reports (the same kernel, the same cached sections
and trends) and after a notebook that writes into every Section and trend frame it is handed.

Truth: ``zaitaku deck`` run as its own process on the same folder (nothing cached, nothing written into).
Data: the hand-built two-year set of 島根県 (synthetic), so the deck has its trend slide.
"""

from __future__ import annotations

import io
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from zaitaku.cli import main

pytestmark = pytest.mark.slow

FIXTURES = Path(__file__).resolve().parent / "fixtures"
MATSUE = ("322016", "32_島根県/322016_松江市", "R4_322016_松江市.pptx")


def _without_made_at(html: str) -> str:
    """The report with its made-at time (「2026年12月5日 15:05（日本時間）」) masked; it must be there once or more."""
    masked, count = re.subn(r"\d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2}（日本時間）", "（作成日時）", html)
    assert count >= 1
    return masked


def deck_parts(blob: bytes) -> dict[str, bytes]:
    """Every part of a .pptx but its timestamps (docProps/core.xml); embedded workbooks by their sheets."""
    parts = {}
    with zipfile.ZipFile(io.BytesIO(blob)) as z:
        for name in sorted(z.namelist()):
            if name == "docProps/core.xml":
                continue
            data = z.read(name)
            if name.endswith(".xlsx"):  # a workbook zip carries its own timestamps: compare its sheets
                with zipfile.ZipFile(io.BytesIO(data)) as book:
                    data = b"".join(book.read(m) for m in sorted(book.namelist())
                                    if m.startswith("xl/worksheets") or "sharedStrings" in m)
            parts[name] = data
    return parts


def fresh_deck(data_dir: Path, out: Path) -> bytes:
    """The deck as ``zaitaku deck`` writes it in a process of its own."""
    argv = ["deck", "--prefecture", "32", "--municipality", MATSUE[0], "--year", "R4", "--data-dir", str(data_dir),
            "--out", str(out)]
    subprocess.run([sys.executable, "-c", f"import sys; from zaitaku.cli import main; sys.exit(main({argv!r}))"],
                   check=True, capture_output=True)
    return (out / MATSUE[2]).read_bytes()


def rendered_deck(data_dir: Path, out: Path, notebooks: Path, groups: str) -> bytes:
    argv = ["render", "--municipality", MATSUE[0], "--year", "R4", "--groups", groups, "--notebooks",
            str(notebooks), "--out", str(out), "--data-dir", str(data_dir), "--workers", "1", "--quiet",
            "--formats", "html,pptx"]
    assert main(argv) == 0
    return (out / "R4" / MATSUE[1] / MATSUE[2]).read_bytes()


def assert_same_deck(got: bytes, want: bytes) -> None:
    a, b = deck_parts(got), deck_parts(want)
    assert sorted(a) == sorted(b)
    differing = [name for name in a if a[name] != b[name]]
    assert not differing, f"parts that differ from the fresh deck: {differing[:5]}"


def test_a_deck_built_after_the_scopes_reports_equals_a_fresh_deck(tmp_path, two_years_dir):
    """The real notebooks (all four groups) run first in the same kernel and fill its section and trend caches."""
    want = fresh_deck(two_years_dir, tmp_path / "fresh")
    got = rendered_deck(two_years_dir, tmp_path / "reports", Path(__file__).resolve().parents[1] / "notebooks",
                        "partnerships,pdca_indicators,four_scenes,prefectural_support")
    assert b"<c:chart" in b"".join(deck_parts(got).values())  # native charts, not an empty deck
    assert_same_deck(got, want)


def test_a_notebook_writing_into_its_sections_and_trends_does_not_reach_the_deck(tmp_path, two_years_dir):
    """The fixture notebook overwrites the figures, sentences, notes and choices of every question's Section
    and every trend frame, for the same municipality, just before its deck is built in the same kernel."""
    want = fresh_deck(two_years_dir, tmp_path / "fresh")
    got = rendered_deck(two_years_dir, tmp_path / "reports", FIXTURES / "meddling", "meddling")
    text = b"".join(deck_parts(got).values()).decode("utf-8", errors="replace")
    assert "ノートブックによる改変" not in text
    assert_same_deck(got, want)


def _report_job(code: str, data_dir: Path):
    from zaitaku.render.jobs import Job

    notebook = Path(__file__).resolve().parents[1] / "notebooks" / "partnerships.ipynb"
    p = {"municipality_code": code, "prefecture": "", "survey_year": "R4", "data_dir": str(data_dir),
         "national": "auto"}
    return Job(key=f"{code}/partnerships.html", group="partnerships", notebook=str(notebook), parameters=p,
               code=code, name="", pref_code="32", prefecture="島根県")


def _deck_job(code: str, data_dir: Path):
    from zaitaku.render.jobs import Job

    p = {"municipality_code": code, "prefecture": "", "data_dir": str(data_dir), "national": "auto",
         "survey_year": "R4", "closing": ""}
    return Job(key=f"{code}/deck.pptx", group="deck", notebook="", parameters=p, code=code, name="",
               pref_code="32", prefecture="島根県", kind="deck")


def test_a_report_after_a_deck_on_the_same_kernel_equals_a_fresh_report(two_years_dir):
    """The deck runs in the kernel between two municipalities' reports; the next report is as a fresh kernel's."""
    from zaitaku.render.jobs import WorkerSettings, notebook_imports
    from zaitaku.render.worker import Worker

    notebook = _report_job("322016", two_years_dir).notebook
    settings = WorkerSettings(preload=tuple(notebook_imports(notebook)), cell_timeout=300,
                              data_dir=str(two_years_dir))
    warm = Worker(settings)
    try:
        warm.warm_up()
        assert warm.run(_report_job("322016", two_years_dir)).status == "ok"
        deck = warm.run(_deck_job("322016", two_years_dir))
        assert deck.status == "ok" and deck.content and deck.content[:2] == b"PK"
        after_deck = warm.run(_report_job("322024", two_years_dir))
        assert warm.kernel.starts == 1  # one kernel for reports and deck
        assert warm.seconds_by_kind["report after deck"] == pytest.approx(after_deck.seconds)  # the bench's split
    finally:
        warm.close()
    fresh = Worker(settings)
    try:
        fresh.warm_up()
        truth = fresh.run(_report_job("322024", two_years_dir))
    finally:
        fresh.close()
    assert after_deck.status == truth.status == "ok"
    assert after_deck.figures_csv == truth.figures_csv and truth.figures_csv
    # byte for byte, charts included; only the minute the report was made (「作成日時」) may differ
    assert _without_made_at(after_deck.html) == _without_made_at(truth.html)

"""Index pages (zaitaku.render.site) built from a hand-made manifest and files on disk."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from zaitaku.render.manifest import Manifest
from zaitaku.render.scope import Scope
from zaitaku.render.site import build_indexes

MATSUE = Scope("32", "島根県", "322016", "松江市", "まつえし")
PREF = Scope("32", "島根県")
GROUPS = ("partnerships", "four_scenes")


def _batch(tmp_path: Path, *, name: str = "松江市") -> tuple[Path, Manifest]:
    out_year = tmp_path / "R3"
    m = Manifest(out_year / "manifest.json", "R3")
    for scope in (Scope("32", "島根県", "322016", name, "まつえし"), PREF):
        for g in GROUPS:
            key = f"{scope.rel_dir}/{g}.html"
            (out_year / key).parent.mkdir(parents=True, exist_ok=True)
            (out_year / key).write_text("<html></html>", encoding="utf-8")
            m.set(key, {"status": "ok", "group": g, "pref_code": "32", "prefecture": "島根県", "code": scope.code,
                        "name": scope.name, "kana": scope.kana})
    return out_year, m


def _pages(out_year: Path) -> dict[str, str]:
    return {p.relative_to(out_year).as_posix(): p.read_text(encoding="utf-8") for p in out_year.rglob("index.html")}


def test_every_index_page_carries_the_synthetic_banner_only_for_synthetic_data(tmp_path):
    out_year, m = _batch(tmp_path)
    build_indexes(out_year, m, "R3", synthetic=True)
    pages = _pages(out_year)
    assert set(pages) == {"index.html", "32_島根県/index.html", "32_島根県/322016_松江市/index.html",
                          "32_島根県/prefecture/index.html"}
    assert all("デモ用の架空データ" in html for html in pages.values())
    build_indexes(out_year, m, "R3", synthetic=False)
    assert not any("架空" in html for html in _pages(out_year).values())


def test_top_index_links_the_timing_report_when_it_exists(tmp_path):
    out_year, m = _batch(tmp_path)
    build_indexes(out_year, m, "R3")
    assert "implementation_timing.html" not in (out_year / "index.html").read_text(encoding="utf-8")
    (out_year / "implementation_timing.html").write_text("<html></html>", encoding="utf-8")
    build_indexes(out_year, m, "R3")
    top = (out_year / "index.html").read_text(encoding="utf-8")
    assert re.search(r'<a href="implementation_timing.html">[^<]*実施（予定）時期', top)


def test_plain_japanese_labels(tmp_path):
    out_year, m = _batch(tmp_path)
    build_indexes(out_year, m, "R3")
    for page, html in _pages(out_year).items():
        assert "モード" not in html, page
    pref = (out_year / "32_島根県" / "index.html").read_text(encoding="utf-8")
    assert ">島根県（県全体）</a>" in pref


def test_names_are_escaped_by_the_templates(tmp_path):
    out_year, m = _batch(tmp_path, name='<script>alert("x")</script>')
    build_indexes(out_year, m, "R3")
    for html in _pages(out_year).values():
        assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in (out_year / "index.html").read_text(encoding="utf-8")


def test_decks_beside_the_reports_are_linked(tmp_path):
    out_year, m = _batch(tmp_path)
    build_indexes(out_year, m, "R3")
    assert ".pptx" not in (out_year / "index.html").read_text(encoding="utf-8")
    deck = out_year / MATSUE.rel_dir / "R3_322016_松江市.pptx"
    deck.write_bytes(b"pptx")
    build_indexes(out_year, m, "R3")
    assert 'href="32_島根県/322016_松江市/R3_322016_松江市.pptx"' in (out_year / "index.html").read_text(encoding="utf-8")
    assert 'href="322016_松江市/R3_322016_松江市.pptx"' in (out_year / "32_島根県" / "index.html").read_text(encoding="utf-8")
    muni = (out_year / MATSUE.rel_dir / "index.html").read_text(encoding="utf-8")
    assert 'href="R3_322016_松江市.pptx"' in muni and "スライド資料" in muni


def test_formats_option():
    from zaitaku.render.command import configure_parser

    p = argparse.ArgumentParser()
    configure_parser(p)
    assert p.parse_args([]).formats == ("html",)
    assert p.parse_args(["--formats", "html,pptx"]).formats == ("html", "pptx")
    with pytest.raises(SystemExit):
        p.parse_args(["--formats", "pdf"])


def test_formats_pptx_writes_a_deck_per_scope_and_links_it(tmp_path, processed_dir):
    from zaitaku.render.batch import render_batch

    toy = Path(__file__).resolve().parent / "fixtures" / "toy_report.ipynb"
    summary = render_batch([MATSUE], notebooks={"toy_report": toy}, out=tmp_path, data_dir=processed_dir,
                           workers=1, progress=False, formats=("html", "pptx"))
    assert summary.ok and summary.decks and summary.decks[0].suffix == ".pptx"
    assert summary.decks[0].parent == summary.out_year / MATSUE.rel_dir
    from pptx import Presentation

    assert len(Presentation(str(summary.decks[0])).slides) > 3
    assert summary.decks[0].name in (summary.out_year / "index.html").read_text(encoding="utf-8")
    again = render_batch([MATSUE], notebooks={"toy_report": toy}, out=tmp_path, data_dir=processed_dir,
                         workers=1, progress=False, formats=("html", "pptx"))
    assert again.decks == []  # inputs unchanged: not rewritten


def test_index_pages_count_each_municipalitys_ingest_problems(tmp_path):
    out_year, m = _batch(tmp_path)
    build_indexes(out_year, m, "R3")
    assert "データの問題" not in (out_year / "index.html").read_text(encoding="utf-8")  # clean data: no column
    build_indexes(out_year, m, "R3", problems={"322016": 2})
    top = (out_year / "index.html").read_text(encoding="utf-8")
    pref = (out_year / "32_島根県" / "index.html").read_text(encoding="utf-8")
    assert "データの問題" in top and "データの問題" in pref
    matsue_row = next(r for r in re.findall(r"<tr data-search=.*?</tr>", top) if "松江市" in r)
    pref_row = next(r for r in re.findall(r"<tr data-search=.*?</tr>", top) if "県全体" in r)
    assert ">2件<" in matsue_row and ">1市町村<" in pref_row


def test_a_failing_deck_is_a_failed_item_in_failures_csv_and_the_exit_code(tmp_path, processed_dir):
    """Decks are built by the workers; a deck that fails (here: a closing template with a Jinja syntax
    error, a mistake a prefecture can make) is in failures.csv, the manifest and the exit code,
    and the scope's HTML reports are still written."""
    import csv
    import json

    from zaitaku.cli import main

    toy = Path(__file__).resolve().parent / "fixtures" / "toy_report.ipynb"
    broken = tmp_path / "closing.txt.j2"
    broken.write_text("{% if %}おわりに{% endif %}\n", encoding="utf-8")
    out = tmp_path / "reports"
    argv = ["render", "--municipality", "322016", "--groups", "toy_report", "--notebooks", str(toy.parent),
            "--out", str(out), "--data-dir", str(processed_dir), "--workers", "1", "--quiet",
            "--formats", "html,pptx", "--closing", str(broken)]
    assert main(argv) == 1
    year = out / "R3"
    rows = list(csv.DictReader((year / "failures.csv").read_text(encoding="utf-8-sig").splitlines()))
    assert [(r["report"], r["group"]) for r in rows] == [(f"{MATSUE.rel_dir}/R3_322016_松江市.pptx", "deck")]
    assert rows[0]["ename"] == "ValueError" and "結びのページのテンプレート" in rows[0]["evalue"]
    manifest = json.loads((year / "manifest.json").read_text(encoding="utf-8"))["reports"]
    assert manifest[f"{MATSUE.rel_dir}/R3_322016_松江市.pptx"]["status"] == "failed"
    assert (year / MATSUE.rel_dir / "toy_report.html").is_file()
    assert not list((year / MATSUE.rel_dir).glob("*.pptx"))
    # the template mended: only the deck is built again, and the batch succeeds
    broken.write_text("おわりに\n", encoding="utf-8")
    assert main(argv) == 0
    assert (year / MATSUE.rel_dir / "R3_322016_松江市.pptx").is_file()
    assert not (year / "failures.csv").exists()

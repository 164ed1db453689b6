"""Round trip on the demo: the R3 codebook → a 調査票 form (tests/fixtures/forms/generate.py) → a drafted codebook
→ ``zaitaku ingest --codebook`` of the demo export gives the same responses (md5) as the built-in codebook; the
processed set, the report footer and the deck's notes name the codebook in use with its md5 and source."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers import fixture_module
from zaitaku.analysis.aggregate import focus_of
from zaitaku.analysis.processed import load_processed
from zaitaku.cli import main
from zaitaku.files.atomic import md5_file
from zaitaku.reference.codebook import load_codebook
from zaitaku.reference.codebook_source import describe, use_codebook
from zaitaku.report.section import build_section

gen = fixture_module("forms/generate.py")


@pytest.fixture(scope="module")
def drafted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("codebook")
    form = gen.write_form(gen.base_codebook(), d / "令和3年度_調査票.xlsx", "boxes")
    out = d / "r3_from_form.yaml"
    assert main(["codebook", "draft", str(form), "--year", "R3", "--out", str(out)]) == 0
    return out


def test_demo_round_trip_gives_the_same_responses(demo_raw: Path, drafted: Path, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    raw = demo_raw / "demo_r3.xlsx"
    assert main(["ingest", str(raw), "--out", str(tmp_path / "built_in")]) == 0
    assert main(["ingest", str(raw), "--codebook", str(drafted), "--out", str(tmp_path / "drafted")]) == 0
    capsys.readouterr()
    built_in = json.loads((tmp_path / "built_in" / "ingest_meta.json").read_text(encoding="utf-8"))["years"]["R3"]
    from_form = json.loads((tmp_path / "drafted" / "ingest_meta.json").read_text(encoding="utf-8"))["years"]["R3"]
    assert from_form["responses_md5"] == built_in["responses_md5"]
    assert built_in["codebook"]["source"] == "built in (33 questions reconstructed)"
    assert "yaml" not in built_in["codebook"]
    assert from_form["codebook"]["md5"] == md5_file(drafted)
    assert from_form["codebook"]["source"].startswith("drafted from a form on ")
    # the set carries its codebook: loading it puts the drafted one in use, loading the other set puts it back
    try:
        data = load_processed(tmp_path / "drafted")
        assert data.codebook.provenance["source"] == "form" and load_codebook("R3").provenance["source"] == "form"
        q = data.codebook["q2"]
        s = build_section(data, q.id, focus_of(data, "322016", "島根県"))
        assert q.source == "form" and not any("推定" in n.text for n in s.notes)
        load_processed(tmp_path / "built_in")
        assert load_codebook("R3").version == "r3-2026.11.1"
        s = build_section(load_processed(tmp_path / "built_in"), "q2", focus_of(load_processed(tmp_path / "built_in"), "322016", "島根県"))
        assert any("推定" in n.text for n in s.notes)
    finally:
        use_codebook(None)


@pytest.mark.slow
def test_codebook_placed_in_the_raw_folder_is_used(demo_raw: Path, drafted: Path, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "raw"
    folder.mkdir()
    (folder / "demo_r3.xlsx").write_bytes((demo_raw / "demo_r3.xlsx").read_bytes())
    (folder / "codebook.yaml").write_bytes(drafted.read_bytes())
    assert main(["ingest", str(folder), "--out", str(tmp_path / "out")]) == 0
    assert "コードブック:" in capsys.readouterr().out
    meta = json.loads((tmp_path / "out" / "ingest_meta.json").read_text(encoding="utf-8"))["years"]["R3"]
    assert meta["codebook"]["md5"] == md5_file(drafted)
    assert load_codebook("R3").version == "r3-2026.11.1"  # ingest leaves the built-in codebook in use


@pytest.mark.slow
def test_render_refuses_a_codebook_other_than_the_data_s(demo_raw: Path, drafted: Path, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ingest", str(demo_raw / "demo_r3.xlsx"), "--out", str(tmp_path / "out")]) == 0
    capsys.readouterr()
    rc = main(["deck", "--prefecture", "島根県", "--data-dir", str(tmp_path / "out"), "--codebook", str(drafted),
               "--out", str(tmp_path / "decks")])
    err = capsys.readouterr().err
    use_codebook(None)
    assert rc == 2 and "取り込まれています" in err and drafted.name in err


def test_describe_names_file_md5_and_source(drafted: Path) -> None:
    info = describe(load_codebook("R3"))
    assert info["file"] == "r3.yaml" and info["md5"] == md5_file(load_codebook("R3").path)
    assert "37 問中 33 問の選択肢は推定" in info["label"]
    book = use_codebook(drafted)
    try:
        assert book is not None
        assert "令和3年度_調査票.xlsx" in describe(book)["label"] and md5_file(drafted)[:8] in describe(book)["label"]
    finally:
        use_codebook(None)

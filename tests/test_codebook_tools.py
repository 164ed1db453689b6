"""``zaitaku codebook check`` and ``diff``, and the codebook in use (``--codebook``): on the R3 codebook and a
later year's questionnaire written by tests/fixtures/forms/generate.py (its changes are known there)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from helpers import fixture_module
from zaitaku.cli import main
from zaitaku.reference.codebook import CodebookError, load_codebook, parse_codebook
from zaitaku.reference.codebook_check import check_text
from zaitaku.reference.codebook_diff import diff_codebooks
from zaitaku.reference.codebook_draft import draft
from zaitaku.reference.codebook_source import codebook_from_file, describe, use_codebook

gen = fixture_module("forms/generate.py")
R3_TEXT = gen.R3_YAML.read_text(encoding="utf-8")


def test_check_accepts_the_built_in_codebook() -> None:
    assert check_text(R3_TEXT, "r3.yaml") == []


def test_check_names_question_and_line_in_japanese() -> None:
    lines = R3_TEXT.splitlines()
    at = next(i for i, t in enumerate(lines) if "asked_if: {question: q4_1_7_1" in t)
    lines[at] = lines[at].replace('in: ["1", "2"]', 'in: ["1", "9"]')
    t1 = next(i for i, t in enumerate(lines) if t.strip() == "type: single")
    lines[t1] = lines[t1].replace("single", "singel")
    msgs = check_text("\n".join(lines), "r3.yaml")
    assert [m.level for m in msgs] == ["エラー", "エラー"]
    assert msgs[0].line == t1 + 1 and "singel" in msgs[0].text and msgs[0].question == "担当部署 dept"
    assert msgs[1].line == at + 1 and "問4 ①-7.1の選択肢" in msgs[1].text and "q4_1_7_2" in msgs[1].question
    assert str(msgs[1]).startswith(f"エラー: {at + 1}行目（問4 ①-7.2 q4_1_7_2）")
    assert check_text("questions: [\n  {id: q1", "x.yaml")[0].text.startswith("YAML として読めません")


def test_diff_lists_what_the_later_year_changed(tmp_path: Path) -> None:
    truth = gen.varied_codebook("R4")
    b = parse_codebook(yaml.safe_dump(truth, allow_unicode=True), tmp_path / "r4.yaml")
    df = diff_codebooks(load_codebook("R3"), b)
    got = {(r.change, r.question_a or r.question_b, r.id_a, r.id_b) for r in df.itertuples()}
    expected = {
        ("question_removed", "q4_1_9", "", ""), ("question_added", "q4_1_10", "", ""),
        ("option_reworded", "q4_1_8", "2", "2"), ("option_reworded", "q4_2_1_4", "3", "3"),
        ("option_reordered", "q4_1_4", "3", "1"), ("option_reordered", "q4_1_4", "1", "2"),
        ("option_reordered", "q4_1_4", "2", "3"), ("option_reordered", "q4_2_4_1", "3", "1"),
        ("option_reordered", "q4_2_4_1", "1", "3"), ("option_added", "q7", "", "9"),
        ("option_reordered", "q7", "9", "10"), ("option_reordered", "q7", "10", "11"), ("row_added", "q2", "", "clinic"),
    }
    assert got == expected
    assert diff_codebooks(load_codebook("R3"), load_codebook("R3")).empty


def test_codebook_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    form = gen.write_form(gen.varied_codebook("R4"), tmp_path / "調査票.xlsx", "circles")
    out = tmp_path / "r4.yaml"
    assert main(["codebook", "draft", str(form), "--year", "R4", "--base", "R3", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "要確認 3 問" in text and "問4 ①-9" in text
    assert main(["codebook", "check", str(out)]) == 0
    assert "エラー 0 件、注意 3 件" in capsys.readouterr().out
    assert main(["codebook", "diff", "R3", str(out), "--out", str(tmp_path / "diff.csv")]) == 0
    assert (tmp_path / "diff.csv").read_text(encoding="utf-8-sig").count("\n") == 14
    bad = tmp_path / "bad.yaml"
    bad.write_text(out.read_text(encoding="utf-8").replace("type: multi", "type: many", 1), encoding="utf-8")
    assert main(["codebook", "check", str(bad)]) == 2
    with pytest.raises(CodebookError, match="many"):
        codebook_from_file(bad)


def test_codebook_in_use_and_its_source(tmp_path: Path) -> None:
    form = gen.write_form(gen.base_codebook(), tmp_path / "調査票.xlsx", "lines")
    text, _ = draft([form], load_codebook("R3"), "R3")
    path = tmp_path / "r3_form.yaml"
    path.write_text(text, encoding="utf-8")
    built_in = describe(load_codebook("R3"))
    assert built_in["source"] == "built in (33 questions reconstructed)" and len(built_in["md5"]) == 32
    try:
        book = use_codebook(path)
        assert load_codebook("R3") is book and load_codebook("r3") is book
        assert all(q.source == "form" for q in book)
        info = describe(book)
        assert info["source"].startswith("drafted from a form on ") and "調査票.xlsx" in info["label"]
    finally:
        use_codebook(None)
    assert load_codebook("R3").version == "r3-2026.11.1"

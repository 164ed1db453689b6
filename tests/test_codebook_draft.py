"""``zaitaku codebook draft``: forms written by tests/fixtures/forms/generate.py (which never imports the drafter)
from a varied codebook kept as the truth; the draft must give it back for ≥ 95 % of questions, options, rows and
conditions, and every miss must be on a question marked 要確認."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from helpers import fixture_module
from zaitaku.reference.codebook import load_codebook, parse_codebook
from zaitaku.reference.codebook_draft import REVIEW, draft

gen = fixture_module("forms/generate.py")


def compare(truth: dict[str, Any], drafted: dict[str, Any]) -> tuple[dict[str, list[int]], list[tuple[str, str]]]:
    """Per kind [right, total] and the misses (question id, what) of a drafted codebook against the truth."""
    score = {k: [0, 0] for k in ("questions", "options", "rows", "conditions")}
    misses: list[tuple[str, str]] = []
    got = {q["number"]: q for q in drafted["questions"]}

    def tally(kind: str, ok: bool, qid: str, what: str) -> None:
        score[kind][1] += 1
        score[kind][0] += ok
        if not ok:
            misses.append((qid, what))

    for tq in truth["questions"]:
        dq = got.get(tq["number"])
        keys = ("id", "group", "type", "text", "title")
        tally("questions", dq is not None and all(dq.get(k) == tq.get(k) for k in keys), tq["id"],
              f"question {[(k, dq.get(k), tq.get(k)) for k in keys if dq and dq.get(k) != tq.get(k)]}")
        dq = dq or {}
        dopts = {o["id"]: o for o in dq.get("options", [])}
        for o in tq["options"]:
            d = dopts.get(o["id"], {})
            same = (d.get("label") == o["label"] and bool(d.get("free_text")) == bool(o.get("free_text"))
                    and bool(d.get("exclusive")) == bool(o.get("exclusive")) and d.get("block") == o.get("block"))
            tally("options", same, tq["id"], f"option {o} got {d}")
        drows = dq.get("rows", [])
        for k, r in enumerate(tq.get("rows") or ()):
            d = drows[k] if k < len(drows) else {}
            tally("rows", d.get("id") == r["id"] and d.get("label") == r["label"], tq["id"], f"row {r} got {d}")
        if tq.get("asked_if") or dq.get("asked_if"):
            t, d = tq.get("asked_if") or {}, dq.get("asked_if") or {}
            same = (t.get("question"), t.get("row"), [str(v) for v in t.get("in", [])]) == (
                d.get("question"), d.get("row"), [str(v) for v in d.get("in", [])])
            tally("conditions", same, tq["id"], f"condition {t} got {d}")
    return score, misses


@pytest.fixture(scope="module")
def truth() -> dict[str, Any]:
    return gen.varied_codebook("R4")


@pytest.mark.parametrize("style", gen.STYLES)
@pytest.mark.parametrize(("filled", "quirks"), [(False, False), (True, False), (False, True)])
def test_draft_gives_back_the_questionnaire(tmp_path: Path, truth: dict[str, Any], style: str, filled: bool,
                                            quirks: bool) -> None:
    answers = None
    if filled:
        table = gen.answer_table(truth, ["松江市"])[0]
        answers = {k: set(v.split(";")) for k, v in table.items() if k != "name" and v and v != "-"}
    form = gen.write_form(truth, tmp_path / f"調査票_{style}.xlsx", style, answers, "松江市" if filled else "", quirks)
    text, _drafts = draft([form], load_codebook("R3"), "R4")
    drafted = yaml.safe_load(text)
    cb = parse_codebook(text, tmp_path / "r4.yaml")
    assert cb.survey_year == "R4" and cb.provenance["source"] == "form"
    score, misses = compare(truth, drafted)
    for kind, (right, total) in score.items():
        assert total > 0
        assert right / total >= 0.95, (kind, right, total, misses)
    flagged = {q["id"] for q in drafted["questions"] if q.get("review") == REVIEW}
    assert {qid for qid, _ in misses} <= flagged, misses
    # what changed from the old questionnaire is where a person looks
    assert {"q4_1_10", "q7", "q2"} <= flagged
    assert "q4_1_9" not in {q["id"] for q in drafted["questions"]}
    assert len(flagged) <= 5, flagged


def test_form_without_hints_is_flagged(tmp_path: Path, truth: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gen, "hint", lambda q, style: "")
    form = gen.write_form(truth, tmp_path / "調査票.xlsx", "lines")
    text, _drafts = draft([form], load_codebook("R3"), "R4")
    drafted = yaml.safe_load(text)
    assert all(q.get("review") == REVIEW for q in drafted["questions"])
    assert all("指示が読めない" in " ".join(q["reasons"]) for q in drafted["questions"])


def test_draft_from_a_compiled_workbook_s_headers(tmp_path: Path) -> None:
    """Headers 「問1 協議会の設置（1.設置していない　2.協議会を設置している）」: options in the file's order and
    wording, matrix rows from the line under the title, 複数回答 from its mark; wording and conditions carried."""
    base = gen.base_codebook()
    printed = gen.printed_codebook(base)
    book = gen.write_compiled(base, printed, gen.answer_table(base, ["松江市", "出雲市"]), tmp_path / "集計表.xlsx")
    text, _ = draft([book], load_codebook("R3"), "R3")
    drafted = yaml.safe_load(text)
    score, misses = compare(printed, drafted)
    assert all(right == total for right, total in score.values()), misses
    flagged = {q["id"] for q in drafted["questions"] if q.get("review") == REVIEW}
    assert flagged == {"q6_2"}  # its condition is not printed in a header: carried, to be confirmed
    q1 = next(q for q in drafted["questions"] if q["id"] == "q1")
    assert q1["options"] == [{"id": "1", "label": "設置していない"}, {"id": "2", "label": "協議会を設置している"}]

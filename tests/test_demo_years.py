"""The synthetic 令和4年度: labelled synthetic, read by ingest without a problem, moving plausibly from R3."""

from __future__ import annotations

from pathlib import Path

import pytest

from zaitaku.demo.generate import DEFAULT_SEED, write_demo
from zaitaku.ingest.pipeline import ingest


@pytest.fixture(scope="module")
def both(tmp_path_factory) -> tuple[Path, object, object]:
    d = tmp_path_factory.mktemp("demo_years")
    write_demo(d, DEFAULT_SEED, ("R3", "R4"))
    return d, ingest([d / "demo_r3.xlsx"]), ingest([d / "demo_r4.xlsx"], survey_year="R4")


@pytest.mark.slow
def test_r4_is_synthetic_and_clean(both):
    d, _r3, r4 = both
    assert r4.meta["synthetic"] and r4.meta["survey_year"] == "R4" and r4.n_municipalities == 1741
    assert len(r4.problems) == 0
    assert "demo_r4.xlsx" in (d / "README.md").read_text(encoding="utf-8")
    assert set(r4.responses["survey_year"]) == {"R4"}
    assert "q4_1_9" not in set(r4.responses["question_id"])  # removed in the demo R4 codebook
    new = r4.responses[(r4.responses["question_id"] == "q4_2_2_2") & (r4.responses["option_id"] == "9")]
    assert 0.05 < new["value"].mean() < 0.4  # the added option is taken by some


@pytest.mark.slow
def test_adoption_more_likely_than_abandonment(both):
    _, r3, r4 = both
    key = ["municipality_code", "question_id", "row_id", "option_id"]
    a = r3.responses.set_index(key)["value"]
    b = r4.responses.set_index(key)["value"]
    common = a.index.intersection(b.index)
    a, b = a.loc[common], b.loc[common]
    doing = common.get_level_values("option_id") == "1"  # option 1 is the "doing it" end of the survey's questions
    up = int(((a == 0) & (b == 1) & doing).sum())
    down = int(((a == 1) & (b == 0) & doing).sum())
    assert up > 2 * down > 0
    moved = float((a != b).fillna(False).mean())
    assert 0.01 < moved < 0.15  # most answers stay as they were

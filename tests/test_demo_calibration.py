"""The synthetic 令和4年度 lands near the published 令和4年度 national figures, moving from R3 as they did.

Truth: the published figures as transcribed in data/raw/reference/national_r{3,4}.csv, read here with the
csv module (not with zaitaku's loader nor the generator's own targets); the shares are counted here from
what the generator decided (fast) and, in the slow test, from the ingested R4 export.
"""

from __future__ import annotations

import csv
import shutil
from dataclasses import replace

import pytest

from zaitaku.analysis.aggregate import comparison, focus_of, load_processed
from zaitaku.demo.generate import DEFAULT_SEED, NOT_ASKED, generate, write_demo
from zaitaku.demo.years import evolve
from zaitaku.ingest.pipeline import ingest, write_outputs
from zaitaku.paths import REFERENCE_DIR
from zaitaku.reference.codebook import load_codebook

TOLERANCE = 0.5
"""Percentage points between a synthetic national R4 share and the published R4 figure."""
MATSUE = "322016"


def published(year: str, published_year: str) -> dict[tuple[str, str, str], float]:
    with (REFERENCE_DIR / f"national_{year.lower()}.csv").open(encoding="utf-8", newline="") as f:
        return {(r["question_id"], r["row_id"], r["option_id"]): float(r["percent"])
                for r in csv.DictReader(f) if r["published_year"] == published_year}


R4 = published("R4", "令和4年度")
R3 = published("R3", "令和3年度")


def share(answers: list, option: str) -> float:
    """Percent of those asked (未回答 in the base) that chose ``option``; "na" counts 未回答."""
    base = [v for v in answers if v != NOT_ASKED]
    hit = [v for v in base if (v == "na" if option == "na" else isinstance(v, frozenset) and option in v)]
    return 100 * len(hit) / len(base)


@pytest.fixture(scope="module")
def surveys():
    r3 = generate(DEFAULT_SEED)
    return r3, evolve(r3, load_codebook("R3"), load_codebook("R4"), DEFAULT_SEED)


def test_the_published_r4_figures_are_there():
    assert len(R4) >= 15  # 問5 (5), 問5②-1 (11), 問6① (4)
    assert {q for q, _, _ in R4} == {"q5", "q5_2_1", "q6_1"}
    assert R4[("q5", "daily_care", "1")] == 78.2 and R4[("q6_1", "", "2")] == 71.8


def test_synthetic_r4_lands_near_the_published_r4(surveys):
    _, r4 = surveys
    off = {k: round(share(r4.answers[(k[0], k[1])], k[2]), 1) for k in R4}
    off = {k: v for k, v in off.items() if abs(v - R4[k]) > TOLERANCE}
    assert not off, off


def test_r3_to_r4_direction_follows_the_published_shift(surveys):
    r3, r4 = surveys
    both = sorted(set(R3) & set(R4))
    assert both == [("q6_1", "", "1"), ("q6_1", "", "2"), ("q6_1", "", "4")]
    for k in both:
        demo = share(r4.answers[(k[0], k[1])], k[2]) - share(r3.answers[(k[0], k[1])], k[2])
        pub = R4[k] - R3[k]
        assert demo * pub > 0, (k, round(demo, 1), pub)
        assert abs(demo - pub) < 2 * TOLERANCE + 1.5, (k, round(demo, 1), pub)


def test_elsewhere_adoption_stays_more_likely_than_abandonment(surveys):
    r3, r4 = surveys
    cb = load_codebook("R4")
    up = down = 0
    for q in (q for q in cb if not q.is_multi and q.id not in {"dept", "q5", "q5_2_1"}):
        for row in q.row_ids:
            for a, b in zip(r3.answers.get((q.id, row), []), r4.answers[(q.id, row)], strict=False):
                if isinstance(a, frozenset) and isinstance(b, frozenset) and a and b:
                    up += "1" in b and "1" not in a
                    down += "1" in a and "1" not in b
    assert up > 2 * down > 0


@pytest.mark.slow
def test_ingested_r4_national_shares_and_the_r4_national_bar(tmp_path):
    """Through ingest: the nation's R4 shares near the published R4 figures; with one prefecture's R4 data
    the 全国 bar is the published 令和4年度 figure, and 問1 (only a 令和6年度 figure) has none."""
    write_demo(tmp_path, DEFAULT_SEED, ("R3", "R4"))
    r4 = ingest([tmp_path / "demo_r4.xlsx"], survey_year="R4")
    write_outputs(r4, tmp_path / "all")
    shares = load_processed(tmp_path / "all", "R4").shares
    s = shares[shares["scope"] == "nation"].set_index(["question_id", "row_id", "option_id"])["share"]
    off = {k: round(100 * s.loc[k], 1) for k in R4 if abs(100 * s.loc[k] - R4[k]) > TOLERANCE}
    assert not off, off

    m = r4.municipalities
    codes = set(m.loc[m["pref_code"] == "32", "code"])
    one = replace(r4, responses=r4.responses[r4.responses["municipality_code"].isin(codes)].reset_index(drop=True),
                  municipalities=m.assign(responded=m["responded"] & m["code"].isin(codes)))
    out = tmp_path / "processed"
    write_outputs(one, out)
    data = load_processed(out, "R4")
    focus = focus_of(data, MATSUE)
    nation = comparison(data, "q5", focus)
    nation = nation[nation["scope"] == "nation"]
    assert (nation["source"] == "published").all()
    got = {(r.row_id, r.option_id): round(100 * r.share, 1) for r in nation.itertuples()}
    assert got == {(k[1], k[2]): v for k, v in R4.items() if k[0] == "q5"}
    assert "nation" not in set(comparison(data, "q1", focus)["scope"])
    shutil.rmtree(out)

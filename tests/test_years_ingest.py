"""Processed data with years: ``ingest --year R4`` adds or replaces that year only.

Data: the prefecture fixture CSV (tests/fixtures/prefecture, built from its answer table) ingested as
令和3年度 and, with the R4 map (the same map with the column of the question removed in R4 set to
``ignore``, as staff would), as 令和4年度 — all 19 municipalities ("old" R4) or the first 10 ("new" R4).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from helpers import cli, fixture_module, kill_ingest_at
from zaitaku.analysis.processed import (
    ProcessedDataError,
    available_years,
    load_processed,
    load_years,
)
from zaitaku.ingest.draft_map import draft

build = fixture_module("prefecture/build.py")


def listed_names(members: dict) -> set[str]:
    return {m["file"] for m in members.values()}


def year_files(folder: Path, year: str) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.glob(f"*-{year}-*"))}


@pytest.fixture(scope="module")
def raw(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("years")
    answers = build.load_answers()
    r3 = build.excel_csv(d / "r3.csv", answers)
    new = build.excel_csv(d / "r4_new.csv", answers.iloc[:10].reset_index(drop=True))
    df, _ = draft([r3])
    df.to_csv(d / "map_r3.csv", index=False, encoding="utf-8-sig")
    removed = df["question_id"] == "q4_1_9"  # not in the 令和4年度 form (demo codebook r4.yaml)
    assert removed.any()
    df.loc[removed, ["kind", "question_id", "row_id", "option_id"]] = ["ignore", "", "", ""]
    df.to_csv(d / "map_r4.csv", index=False, encoding="utf-8-sig")
    return {"r3": r3, "r4_old": r3, "r4_new": new, "map_r3": d / "map_r3.csv", "map_r4": d / "map_r4.csv"}


@pytest.fixture
def two_years(raw, tmp_path) -> Path:
    out = tmp_path / "processed"
    rc, _, err = cli("ingest", raw["r3"], "--header-map", raw["map_r3"], "--out", out)
    assert rc == 0, err
    rc, _, err = cli("ingest", raw["r4_old"], "--header-map", raw["map_r4"], "--year", "R4", "--out", out)
    assert rc == 0, err
    return out


def test_r4_beside_r3_leaves_r3_byte_identical(raw, tmp_path):
    out = tmp_path / "processed"
    assert cli("ingest", raw["r3"], "--header-map", raw["map_r3"], "--out", out)[0] == 0
    r3_before = year_files(out, "R3")
    meta_before = json.loads((out / "ingest_meta.json").read_text(encoding="utf-8"))["years"]["R3"]
    assert len(r3_before) == 4
    rc, printed, err = cli("ingest", raw["r4_new"], "--header-map", raw["map_r4"], "--year", "R4", "--out", out)
    assert rc == 0, err
    assert "10 市区町村" in printed
    assert year_files(out, "R3") == r3_before  # same names, same bytes
    whole = json.loads((out / "ingest_meta.json").read_text(encoding="utf-8"))
    assert list(whole["years"]) == ["R3", "R4"] and whole["years"]["R3"] == meta_before
    assert available_years(out) == ["R3", "R4"]
    years = load_years(out)
    assert years["R3"].meta["n_municipalities"] == 19 and years["R4"].meta["n_municipalities"] == 10
    for year, data in years.items():  # every table carries its survey year
        for table in (data.responses, data.shares):
            assert set(table["survey_year"]) == {year}
        assert set(data.municipalities["survey_year"]) == {year}
    assert "q4_1_9" in set(years["R3"].responses["question_id"])
    assert "q4_1_9" not in set(years["R4"].responses["question_id"])
    assert load_processed(out).survey_year == "R4"  # the newest by default
    readme = (out / "README.md").read_text(encoding="utf-8")
    assert "## R3" in readme and "## R4" in readme and all(f"`{n}`" in readme for n in r3_before)
    # replacing R4 again: R3 still untouched, the old R4 members gone
    r4_first = year_files(out, "R4")
    assert cli("ingest", raw["r4_old"], "--header-map", raw["map_r4"], "--year", "R4", "--out", out)[0] == 0
    assert year_files(out, "R3") == r3_before
    listed = json.loads((out / "ingest_meta.json").read_text(encoding="utf-8"))["years"]["R4"]["members"]
    assert set(year_files(out, "R4")) == {m["file"] for m in listed.values()}  # only the new R4's members
    assert {n for n in r4_first if n.startswith("responses-")} != {n for n in listed_names(listed) if n.startswith("responses-")}


def test_a_year_not_held_is_named(two_years):
    with pytest.raises(ProcessedDataError, match=r"R5 の処理済みデータがありません（あるのは R3、R4）"):
        load_processed(two_years, "R5")


@pytest.mark.parametrize("step", range(7))
def test_kill_9_during_an_r4_ingest_leaves_r3_and_the_old_or_new_r4(raw, two_years, tmp_path, step):
    r3_before = year_files(two_years, "R3")
    r3 = load_processed(two_years, "R3").responses
    old_r4 = load_processed(two_years, "R4").responses
    kill_ingest_at(step, raw["r4_new"], "--header-map", raw["map_r4"], "--year", "R4", "--out", two_years)
    assert year_files(two_years, "R3") == r3_before
    pd.testing.assert_frame_equal(load_processed(two_years, "R3").responses, r3)
    r4 = load_processed(two_years, "R4").responses
    if step < 5:  # the commit is step 5 (meta replaced)
        pd.testing.assert_frame_equal(r4, old_r4)
    else:  # the new R4: the first 10 municipalities of the 19
        assert old_r4["municipality_code"].nunique() == 19 and r4["municipality_code"].nunique() == 10


def test_index_page_offers_the_other_years(tmp_path):
    from zaitaku.render.manifest import Manifest
    from zaitaku.render.site import build_indexes

    (tmp_path / "R3").mkdir()
    (tmp_path / "R3" / "index.html").write_text("<html></html>", encoding="utf-8")
    (tmp_path / "R4").mkdir()
    top = build_indexes(tmp_path / "R4", Manifest(tmp_path / "R4" / "manifest.json", "R4"), "R4")
    html = top.read_text(encoding="utf-8")
    assert "ほかの調査年度" in html and 'href="../R3/index.html"' in html
    r3 = build_indexes(tmp_path / "R3", Manifest(tmp_path / "R3" / "manifest.json", "R3"), "R3")
    assert 'href="../R4/index.html"' in r3.read_text(encoding="utf-8")


def test_the_newest_years_members_are_also_at_the_top_of_the_meta(two_years):
    """A tool written for one-year folders reads ``members`` at the top of ingest_meta.json: the newest year's."""
    meta = json.loads((two_years / "ingest_meta.json").read_text(encoding="utf-8"))
    assert list(meta["years"]) == ["R3", "R4"]
    assert meta["members"] == meta["years"]["R4"]["members"] and meta["survey_year"] == "R4"
    responses = pd.read_parquet(two_years / meta["members"]["responses"]["file"])
    assert set(responses["survey_year"]) == {"R4"}

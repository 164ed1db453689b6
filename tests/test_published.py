"""Published national figures (data/raw/reference/national_r3.csv) as the national reference."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest

import zaitaku.report.report as report_module
from zaitaku.analysis.aggregate import comparison, focus_of, load_processed
from zaitaku.ingest.pipeline import write_outputs
from zaitaku.paths import REFERENCE_DIR
from zaitaku.reference.codebook import NO_ANSWER, load_codebook
from zaitaku.reference.published import (
    PublishedDataError,
    coverage,
    load_published,
    published_comparison,
    published_reference,
)

CB = load_codebook("R3")
CSV = REFERENCE_DIR / "national_r3.csv"
MATSUE = "322016"
SHIMANE = "32"
# As printed on wic-net 8383/62 (令和3年度, n=1,717): options 1–5 and 未回答
Q4_1_1 = {"1": 14.4, "2": 13.2, "3": 3.4, "4": 51.2, "5": 17.7, NO_ANSWER: 0.1}


def test_published_mapping_matches_codebook():
    pub = load_published("R3")
    assert len(pub) > 0
    for _, r in pub.iterrows():
        q = CB[r["question_id"]]
        assert r["row_id"] in q.row_ids, (r["line"], r["question_id"], r["row_id"])
        assert r["option_id"] in (*q.option_ids, NO_ANSWER), (r["line"], r["option_id"])
    assert not pub.duplicated(["question_id", "row_id", "option_id"]).any()
    assert set(pub["confidence"]) <= {"high", "medium"} | {"low"}
    # single-choice distributions that are complete add to 100 ± 0.2
    for (qid, row), g in pub.groupby(["question_id", "row_id"]):
        q = CB[qid]
        if not q.is_multi and set(g["option_id"]) == {*q.option_ids, NO_ANSWER}:
            assert abs(g["percent"].sum() - 100) <= 0.2, (qid, row)
    got = pub[pub["question_id"] == "q4_1_1"].set_index("option_id")["percent"].to_dict()
    assert got == Q4_1_1
    assert len(pub[pub["question_id"] == "q4_1_9"]) == 7
    assert (pub.loc[pub["question_id"] == "q1", "published_year"] == "令和6年度").all()


def test_published_low_confidence_unassigned_values_not_mapped():
    """The R4 問5 values of options 2–4 whose order is unknown stay out (except 看取り option 2)."""
    pub = load_published("R3")
    q5 = pub[pub["question_id"] == "q5"]
    assert set(zip(q5["row_id"], q5["option_id"], strict=True)) == {
        ("daily_care", "1"), ("end_of_life", "1"), ("end_of_life", "2"), ("emergency", "1"), ("discharge", "1")}
    q5_2_1 = pub[pub["question_id"] == "q5_2_1"]
    assert set(q5_2_1["row_id"]) == {"review_meeting", "citizen_survey", "volume_estimate", "system_building"}
    assert (q5_2_1["n"] == 1183).all()
    q6_1 = pub[pub["question_id"] == "q6_1"]
    assert set(q6_1["option_id"]) == {"1", "2", "4", "5"}
    assert q6_1["n"].isna().all()


def _damaged(tmp_path: Path, old: str, new: str) -> Path:
    text = CSV.read_text(encoding="utf-8")
    assert old in text
    (tmp_path / "national_r3.csv").write_text(text.replace(old, new, 1), encoding="utf-8")
    return tmp_path


def test_published_sum_check_on_damaged_copy(tmp_path):
    d = _damaged(tmp_path, "R3,令和3年度,q4_1_1,,1,14.4,", "R3,令和3年度,q4_1_1,,1,24.4,")
    with pytest.raises(PublishedDataError) as err:
        load_published("R3", d)
    msg = str(err.value)
    assert "national_r3.csv" in msg and "lines 2, 3, 4, 5, 6, 7" in msg
    assert "q4_1_1" in msg and "110.0" in msg


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("R3,令和3年度,q4_1_9,,5,2.6,", "R3,令和3年度,q4_1_9,,9,2.6,", "line 12: (q4_1_9/-/9) option_id='9'"),
    ("R3,令和3年度,q4_1_9,,5,2.6,", "R3,令和3年度,q4_9,,5,2.6,", "line 12: question_id='q4_9'"),
    ("R3,令和4年度,q5,daily_care,1,", "R3,令和4年度,q5,daily,1,", "row_id='daily' is not a row of q5"),
    ("R3,令和3年度,q4_1_9,,5,2.6,1717", "R3,令和3年度,q4_1_9,,5,2.6,17x7", "n='17x7'"),
    ("R3,令和3年度,q4_1_9,,5,2.6,", "R3,令和3年度,q4_1_9,,5,-2.6,", "percent=-2.6"),
])
def test_published_bad_value_is_located(tmp_path, old, new, expected):
    with pytest.raises(PublishedDataError, match=None) as err:
        load_published("R3", _damaged(tmp_path, old, new))
    assert "national_r3.csv" in str(err.value)
    assert expected in str(err.value)


def test_published_comparison_shape():
    pub = published_comparison("q4_1_1", "R3")
    assert list(pub.columns) == ["survey_year", "scope", "scope_code", "question_id", "row_id", "option_id",
                                 "n_selected", "n_base", "share", "source"]
    assert pub.attrs["label"] == "全国（公表値・令和3年度, n=1,717）"
    assert (pub["source"] == "published").all() and (pub["scope"] == "nation").all()
    assert pub.set_index("option_id")["n_selected"].to_dict() == {
        "1": 247, "2": 227, "3": 58, "4": 879, "5": 304, NO_ANSWER: 2}
    assert published_comparison("q2", "R3") is None
    # 問5's figures are of 令和4年度 and 問1's of 令和6年度: never the 全国 of 令和3年度, only a labelled reference
    assert published_comparison("q5", "R3") is None and published_comparison("q1", "R3") is None
    ref = published_reference("q5", "R3")
    assert ref.attrs["label"] == "参考：全国公表値（令和4年度, n=1,741）"
    assert (ref["published_year"] == "令和4年度").all()
    assert published_reference("q1", "R3").attrs["label"].startswith("参考：全国公表値（令和6年度")
    assert published_reference("q4_1_1", "R3") is None
    no_n = published_comparison("q6_1", "R3")
    assert set(no_n["option_id"]) == {"1", "2", "4"}  # the 令和4年度 option is left out
    assert no_n["n_base"].isna().all() and no_n["share"].notna().all()


def test_published_coverage():
    cov = coverage("R3")
    assert len(cov) == len(CB)
    pub = cov[cov["published"]]
    assert set(pub["question_id"]) == {"q1", "q4_1_1", "q4_1_9", "q5", "q5_2_1", "q6_1"}
    assert pub.set_index("question_id")["complete"].to_dict()["q4_1_1"]
    assert pub.set_index("question_id")["confidence"].to_dict()["q5_2_1"] == "low"


@pytest.fixture()
def captured(monkeypatch):
    shown: list[str] = []
    monkeypatch.setattr(report_module, "display", lambda obj: shown.append(obj.data))
    return shown


def test_published_report_section_matsue(processed_dir, captured):
    data = load_processed(processed_dir)
    df = comparison(data, "q4_1_1", focus_of(data, MATSUE), national="published")
    nation = df[(df["scope"] == "nation") & ~df["is_group"]].set_index("option_id")
    assert (nation["share"] * 100).round(1).to_dict() == Q4_1_1
    assert (nation["scope_label"] == "全国（公表値・令和3年度, n=1,717）").all()
    assert (nation["n_base"] == 1717).all() and (nation["source"] == "published").all()
    # the other scopes are still computed from the data
    assert (df.loc[df["scope"] != "nation", "source"] == "computed").all()

    rep = report_module.Report("pdca_indicators", MATSUE, "", "R3", processed_dir, "published")
    rep.section("q4_1_1")
    html = captured[-1]
    for value in ("14.4%（247/1717）", "13.2%", "3.4%", "51.2%", "17.7%", "0.1%（2/1717）"):
        assert value in html
    assert "全国（公表値・令和3年度, n=1,717）" in html
    assert "wic-net 8383/62" in html


def test_published_partial_options_show_dash(processed_dir, captured):
    """q6_1: only some options are published for 令和3年度; the table shows "–" for the others, charts draw;
    q5's only published figure is of 令和4年度: with ``published`` the 全国 bar of 令和3年度 is computed, not it."""
    rep = report_module.Report("four_scenes", MATSUE, "", "R3", processed_dir, "published")
    rep.section("q6_1")  # multi-select, n not printed
    q6_1 = "".join(captured)
    captured.clear()
    rep.section("q5")
    q5 = "".join(captured)
    assert "72.8%" in q6_1 and "<svg" in q6_1  # the inline SVG chart
    assert "<td>–</td>" in q6_1
    assert "64.7%" not in q6_1  # option 5's figure is of 令和4年度
    assert "令和4年度の全国公表値は令和3年度の値ではないため全国の棒には使わず" in q6_1
    assert "全国（公表値" not in q5  # (the demo is calibrated to it, so the computed share is also 78.2%)
    assert "全国の公表値がないため、全国の棒は手元データからの集計値です（n=1,741）" in q5


def test_published_missing_falls_back_to_computed(processed_dir, captured):
    data = load_processed(processed_dir)
    df = comparison(data, "q4_1_8", focus_of(data, MATSUE), national="published")
    nation = df[df["scope"] == "nation"]
    assert len(nation) and (nation["source"] == "computed").all()
    assert (nation["n_base"] == 1741).all()
    rep = report_module.Report("pdca_indicators", MATSUE, "", "R3", processed_dir, "published")
    rep.section("q4_1_8")
    assert "全国の公表値がないため、全国の棒は手元データからの集計値です（n=1,741）" in captured[-1]


@pytest.fixture(scope="module")
def one_prefecture_dir(demo_result, tmp_path_factory) -> Path:
    """Processed data of 島根県 only (the data does not cover the nation)."""
    m = demo_result.municipalities
    codes = set(m.loc[m["pref_code"] == SHIMANE, "code"])
    one = replace(
        demo_result,
        responses=demo_result.responses[demo_result.responses["municipality_code"].isin(codes)].reset_index(drop=True),
        municipalities=m.assign(responded=m["responded"] & m["code"].isin(codes)),
    )
    out = tmp_path_factory.mktemp("processed_shimane")
    write_outputs(one, out)
    yield out
    shutil.rmtree(out, ignore_errors=True)


def test_published_missing_without_nation_omits_national_bar(one_prefecture_dir, captured):
    data = load_processed(one_prefecture_dir)
    assert data.municipalities["responded"].sum() == 19
    focus = focus_of(data, MATSUE)
    df = comparison(data, "q4_1_8", focus, national="published")
    assert "nation" not in set(df["scope"])
    # with a published figure the nation is the published one, even without national data
    pub = comparison(data, "q4_1_1", focus, national="published")
    assert (pub.loc[pub["scope"] == "nation", "source"] == "published").all()
    rep = report_module.Report("pdca_indicators", MATSUE, "", "R3", one_prefecture_dir, "published")
    for qid in ("q4_1_8", "q4_1_2_1", "q4_1_7_2"):  # single, matrix, multi
        rep.section(qid)
        html = captured[-1]
        assert "回答のみのため、全国の値は表示していません" in html
        assert "全国（" not in html.split("<svg")[0]
        assert "<svg" in html


def test_published_demo_calibration(processed_dir):
    """The demo's national shares land within 3 points of every published figure."""
    shares = load_processed(processed_dir).shares
    nation = shares[shares["scope"] == "nation"].set_index(["question_id", "row_id", "option_id"])["share"]
    pub = load_published("R3")
    off = []
    for _, r in pub.iterrows():
        demo = nation.loc[(r["question_id"], r["row_id"], r["option_id"])] * 100
        if abs(demo - r["percent"]) > 3:
            off.append((r["question_id"], r["row_id"], r["option_id"], r["percent"], round(demo, 1)))
    assert not off

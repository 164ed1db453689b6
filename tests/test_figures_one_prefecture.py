"""One prefecture's data alone (島根県's 19 rows of the demo): no computed 「全国」 anywhere.

Every Section (37 questions × 19 municipalities + prefecture mode) with the default options:
no nation or same-kind figure computed from the data, published national figures where they exist
(labelled 公表値, with n where the source prints it, their survey year in the note), and elsewhere
a note saying why there is no national figure. Tables, the figures CSV frame, the sentences and
the standing summary likewise.
"""

from __future__ import annotations

import re

import pytest

from zaitaku.analysis.aggregate import (
    NATIONAL_CHOICES,
    covers_nation,
    focus_of,
    load_processed,
    national_coverage,
)
from zaitaku.analysis.standing import summary_for
from zaitaku.ingest.pipeline import ingest, write_outputs
from zaitaku.reference.published import published_comparison
from zaitaku.report.figures_csv import figures_frame
from zaitaku.report.section import build_section

NATION_WORD = re.compile(r"全国(?!（公表値)")  # 「全国」 not followed by （公表値


@pytest.fixture(scope="module")
def shimane(demo_raw, tmp_path_factory):
    lines = (demo_raw / "demo_r3_cp932.csv").read_text(encoding="cp932").splitlines()
    rows = [ln for ln in lines[2:] if ln.startswith("32")]
    assert len(rows) == 19
    raw = tmp_path_factory.mktemp("raw_shimane") / "shimane_r3.csv"
    raw.write_text("\n".join(lines[:2] + rows) + "\n", encoding="cp932")
    out = tmp_path_factory.mktemp("processed_shimane")
    write_outputs(ingest([raw]), out)
    return load_processed(out)


def _check_section(s, published: dict) -> None:
    q, df = s.question, s.figures
    where = f"{s.focus.label} {q.id}"
    assert not (df["scope"] == "type").any(), f"{where}: a same-kind bar from one prefecture"
    nat = df[df["scope"] == "nation"]
    assert not (nat["source"] == "computed").any(), f"{where}: a computed national figure"
    assert not (df["scope_label"] == "全国").any(), where
    notes = " ".join(n.text for n in s.notes)
    if published[q.id] is not None:
        assert len(nat) and set(nat["source"]) == {"published"}, where
        label = nat["scope_label"].iloc[0]
        assert re.match(r"全国（公表値・令和\d+年度", label), where
        if published[q.id]["n_base"].notna().any():
            assert "n=" in label, where
        assert re.search(r"令和\d+年度調査", notes), where
    else:
        assert nat.empty, where
        assert "全国の値は表示していません" in notes, where
    for sentence in s.sentences:  # option labels (『…』) may contain the word, e.g. 『地域間（…全国）で比較』
        assert not NATION_WORD.search(re.sub(r"『[^』]*』", "", sentence)), f"{where}: {sentence}"
    for col in s.table().columns:
        assert col == s.focus.pref_name or "公表値" in col, f"{where}: table column {col}"


def test_one_prefecture_never_shows_a_computed_nation(shimane):
    data = shimane
    assert not covers_nation(data)
    cov = national_coverage(data)
    assert (cov.prefectures, cov.responded) == (1, 19)
    published = {q.id: published_comparison(q.id, "R3") for q in data.codebook}
    assert any(v is not None for v in published.values()) and any(v is None for v in published.values())
    codes = data.municipalities.query("responded")["code"].tolist()
    assert len(codes) == 19
    focuses = [focus_of(data, c) for c in codes] + [focus_of(data, prefecture="島根県")]
    sections = []
    for f in focuses:
        for q in data.codebook:
            s = build_section(data, q.id, f)
            _check_section(s, published)
            sections.append(s)
        summary = summary_for(data, f)
        for g in summary.ahead + summary.behind:
            assert g.reference == "prefecture", f"{f.label}: {g}"
    assert len(sections) == 20 * len(data.codebook)
    csv = figures_frame(sections)
    assert not (csv["集計範囲"] == "全国").any()
    national = csv[csv["集計範囲"].str.startswith("全国")]
    assert len(national) and set(national["出典"]) == {"公表値"}


def test_computed_is_relabelled_not_called_the_nation(shimane):
    s = build_section(shimane, "q2", focus_of(shimane, "322016"), national="computed")
    nat = s.figures[s.figures["scope"] == "nation"]
    assert set(nat["scope_label"]) == {"手元データ全体（全国ではありません）"}
    assert any("全国の値ではありません" in n.text for n in s.notes)


def test_the_overview_names_what_the_national_bars_are(shimane, processed_dir):
    from zaitaku.report.report import Report

    one = {n: Report("partnerships", "322016", "", "R3", shimane.data_dir, n).nation_words() for n in NATIONAL_CHOICES}
    assert one == {"auto": "全国の公表値（公表値のある設問）", "published": "全国の公表値（公表値のある設問）",
                   "computed": "手元データ全体（全国ではありません）"}
    whole = {n: Report("partnerships", "322016", "", "R3", processed_dir, n).nation_words() for n in NATIONAL_CHOICES}
    assert whole == {"auto": "全国", "computed": "全国", "published": "全国の公表値（公表値のある設問）"}

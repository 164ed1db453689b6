"""The synthetic demo export: deterministic, labelled synthetic everywhere, realistic structure.

The raw files are read here with pandas (not through ingest); statistics come from the
generator's record (``DemoSurvey``) and are checked against published figures and plain
statistical expectations.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
import unicodedata

import numpy as np
import pandas as pd
import pytest

from helpers import tops
from zaitaku.demo.generate import DEFAULT_SEED, export_frame, generate, write_csv
from zaitaku.reference.codebook import load_codebook
from zaitaku.reference.municipalities import load_registry

CB = load_codebook("R3")
CSV = "demo_r3_cp932.csv"
XLSX = "demo_r3.xlsx"


def is_synthetic_label(text: str) -> bool:
    return "架空" in text and "synthetic" in text


def single(survey, qid: str, row_id: str = "") -> np.ndarray:
    """One answer per municipality: the option id, "na" (未回答) or "not_asked"."""
    return np.array(
        [next(iter(v)) if isinstance(v, frozenset) else v for v in survey.answers[(qid, row_id)]], dtype=object
    )


@pytest.fixture(scope="module")
def grid(demo_raw) -> pd.DataFrame:
    return pd.read_csv(demo_raw / CSV, header=None, dtype=str, keep_default_na=False, encoding="cp932")


@pytest.fixture(scope="module")
def sheets(demo_raw) -> dict[str, pd.DataFrame]:
    return pd.read_excel(demo_raw / XLSX, sheet_name=None, header=None, dtype=object, engine="calamine")


def columns_of(grid: pd.DataFrame, top_prefix: str) -> list[int]:
    return [j for j, t in enumerate(tops(grid)) if t.startswith(top_prefix + " ")]


# ---------------------------------------------------------------- determinism


def test_same_seed_gives_identical_bytes(demo_raw, tmp_path):
    headers, frame = export_frame(generate(DEFAULT_SEED))
    write_csv(headers, frame, tmp_path / "again.csv")
    assert (tmp_path / "again.csv").read_bytes() == (demo_raw / CSV).read_bytes()


def test_same_seed_in_another_process_gives_identical_bytes(demo_raw, tmp_path):
    # a fresh interpreter with a different string-hash seed: no dependence on set ordering
    out = tmp_path / "other_process.csv"
    code = (
        "import sys; from pathlib import Path; from zaitaku.demo import generate as demo; "
        "h, f = demo.export_frame(demo.generate(demo.DEFAULT_SEED)); demo.write_csv(h, f, Path(sys.argv[1]))"
    )
    env = dict(os.environ, PYTHONHASHSEED="12345")
    subprocess.run([sys.executable, "-c", code, str(out)], check=True, env=env, timeout=300)
    assert out.read_bytes() == (demo_raw / CSV).read_bytes()


def test_different_seed_gives_different_answers(demo_raw, grid, tmp_path):
    headers, frame = export_frame(generate(DEFAULT_SEED + 1))
    write_csv(headers, frame, tmp_path / "other_seed.csv")
    assert (tmp_path / "other_seed.csv").read_bytes() != (demo_raw / CSV).read_bytes()
    other = pd.read_csv(tmp_path / "other_seed.csv", header=None, dtype=str, keep_default_na=False, encoding="cp932")
    # same layout and municipalities, different answers
    assert other.iloc[:2].equals(grid.iloc[:2])
    assert other[0].equals(grid[0])
    changed = (other.iloc[2:, 4:] != grid.iloc[2:, 4:]).to_numpy().mean()
    assert changed > 0.1


# ---------------------------------------------------------------- labelled synthetic


def test_xlsx_says_synthetic(sheets):
    assert list(sheets) == ["回答", "説明"]
    note = " ".join(str(v) for v in sheets["説明"].to_numpy().ravel() if isinstance(v, str))
    assert is_synthetic_label(note) and "実在の市区町村の回答ではありません" in note
    answers = sheets["回答"]
    assert answers.iat[0, 3] == "データ区分"
    labels = answers.iloc[2:, 3]
    assert len(labels) == 1741 and labels.map(is_synthetic_label).all()


def test_csv_says_synthetic(grid):
    assert grid.iat[0, 3] == "データ区分"
    assert len(grid) - 2 == 1741
    assert grid.iloc[2:, 3].map(is_synthetic_label).all()


def test_readme_says_synthetic(demo_raw):
    text = (demo_raw / "README.md").read_text(encoding="utf-8")
    assert text.startswith("# デモ用の架空データ (synthetic")
    assert "実在の市区町村の回答ではありません" in text
    assert f"--seed {DEFAULT_SEED}" in text and "1,741" in text


def test_only_the_three_files(demo_raw):
    assert sorted(p.name for p in demo_raw.iterdir()) == ["README.md", XLSX, CSV]


# ---------------------------------------------------------------- structure


def test_every_municipality_once_in_code_order(grid, sheets):
    reg = load_registry()
    assert grid.iloc[2:, 0].tolist() == sorted(reg["code"])
    assert grid.iloc[2:, 1].tolist() == reg.sort_values("code")["prefecture"].tolist()
    assert grid.iloc[2:, 2].tolist() == reg.sort_values("code")["name"].tolist()
    # the xlsx keeps codes as text, leading zeros included
    assert sheets["回答"].iloc[2:, 0].tolist() == sorted(reg["code"])


def test_xlsx_and_csv_hold_the_same_cells(grid, sheets):
    xl = sheets["回答"].iloc[2:].reset_index(drop=True)
    xl = xl.map(lambda v: "" if v is None or (isinstance(v, float) and math.isnan(v)) else
                str(int(v)) if isinstance(v, float) and v.is_integer() else str(v))
    csv = grid.iloc[2:].reset_index(drop=True)
    assert xl.shape == csv.shape
    assert (xl.to_numpy() == csv.to_numpy()).all()


def test_two_header_rows_with_merged_tops(grid):
    top, sub = grid.iloc[0].tolist(), grid.iloc[1].tolist()
    assert top[:4] == ["市区町村コード", "都道府県名", "市区町村名", "データ区分"]
    assert top[4:7] == ["担当部署 在宅医療・介護連携推進事業の担当課", "", "問1 協議会の設置"]
    assert sub[6] == "回答"
    q7 = columns_of(grid, "問7")
    assert [sub[j] for j in q7][:2] == ["1. データ活用を含めた情報提供", "2. 市町村職員向け研修会の実施"]
    assert [top[j] for j in q7[1:]] == [""] * (len(q7) - 1)  # the top cell spans the options


# ---------------------------------------------------------------- answers


def test_conditional_questions_are_skipped_in_the_file(grid):
    data = grid.iloc[2:]
    (parent,) = columns_of(grid, "問4 ①-7.1")
    child = columns_of(grid, "問4 ①-7.2")
    asked = data[parent].isin(["1", "2"])
    assert 200 < asked.sum() < 1741 - 200
    blank = (data[child] == "").all(axis=1)
    assert blank[~asked].all()  # not asked: every cell empty
    assert (~blank[asked]).mean() > 0.95  # asked: answered, apart from a few 未回答
    # 問5 ②-1 (看取り) only after 問5 看取り = 1 or 2
    q5 = [j for j in columns_of(grid, "問5") if tops(grid)[j].startswith("問5 「4つの場面」")]
    eol = next(j for j in q5 if grid.iat[1, j] == "看取り")
    q521 = columns_of(grid, "問5 ②-1")
    assert len(q521) == len(CB["q5_2_1"].rows)
    asked = data[eol].isin(["1", "2"])
    assert 100 < asked.sum() < 1741 - 100
    assert (data.loc[~asked, q521] == "").all().all()
    assert (data.loc[asked, q521] != "").any(axis=1).mean() > 0.95


def test_skips_in_the_record_follow_every_condition(demo_survey):
    for q in (q for q in CB if q.asked_if):
        c = q.asked_if
        parent = demo_survey.answers[(c.question, c.row or "")]
        asked = [isinstance(v, frozenset) and bool(v & set(c.values)) for v in parent]
        for r in q.row_ids:
            child = demo_survey.answers[(q.id, r)]
            assert [v != "not_asked" for v in child] == asked, (q.id, r)


def test_some_answers_are_missing(demo_survey):
    truth = demo_survey.truth()
    asked = truth[truth["status"] != "not_asked"]
    rate = (asked["status"] == "na").mean()
    assert 0.005 <= rate <= 0.03
    # spread over the questionnaire, not concentrated in one question
    per_question = asked.groupby("question_id")["status"].apply(lambda s: (s == "na").mean())
    assert (per_question > 0).mean() > 0.8
    assert per_question.max() < 0.1


def test_free_text_for_other(grid, demo_survey):
    data = grid.iloc[2:]
    sub = grid.iloc[1].tolist()
    text_cols = [j for j, s in enumerate(sub) if s.endswith("（自由記述）")]
    expected = sum(len(q.row_ids) for q in CB for o in q.options if o.free_text)
    assert len(text_cols) == expected
    texts = set()
    for j in text_cols:
        option = sub[j].split(". ")[0]
        if tops(grid)[j].startswith("担当部署"):  # single answer: the text goes with answer 6
            selected = data[j - 1] == option
        else:
            flag = next(k for k in range(j - 1, 3, -1) if sub[k].split(". ")[0] == option and tops(grid)[k] == tops(grid)[j])
            selected = data[flag] == "1"
        has_text = data[j] != ""
        assert (has_text == selected).all(), sub[j]
        texts |= set(data.loc[has_text, j])
    n_texts = sum(len(t) for t in demo_survey.free_text.values())
    assert n_texts > 100
    assert len(texts) >= 4
    assert all(unicodedata.east_asian_width(t[0]) == "W" for t in texts)  # Japanese sentences


def test_related_answers_correlate(demo_survey):
    q1 = single(demo_survey, "q1")
    q451 = single(demo_survey, "q4_1_5_1")
    both = np.isin(q1, ["1", "2"]) & np.isin(q451, ["1", "2"])
    with_council = q451[both & (q1 == "1")] == "1"
    without = q451[both & (q1 == "2")] == "1"
    p1, p2 = with_council.mean(), without.mean()
    pooled = np.concatenate([with_council, without]).mean()
    z = (p1 - p2) / math.sqrt(pooled * (1 - pooled) * (1 / len(with_council) + 1 / len(without)))
    assert p1 - p2 > 0.1
    assert z > 4


def _chi2_quantile(df: int, z: float) -> float:
    """Wilson–Hilferty approximation of the chi-square quantile at standard-normal ``z``."""
    a = 2 / (9 * df)
    return df * (1 - a + z * math.sqrt(a)) ** 3


def test_prefectures_differ_more_than_noise(demo_survey):
    reg = load_registry().set_index("code").loc[demo_survey.codes]
    q1 = single(demo_survey, "q1")
    df = pd.DataFrame({"pref": reg["pref_code"].to_numpy(), "yes": q1 == "1", "answered": np.isin(q1, ["1", "2"])})
    df = df[df["answered"]]
    p = df["yes"].mean()
    g = df.groupby("pref")["yes"].agg(["size", "sum"])
    assert len(g) == 47
    expected_yes, expected_no = g["size"] * p, g["size"] * (1 - p)
    chi2 = (((g["sum"] - expected_yes) ** 2) / expected_yes + ((g["size"] - g["sum"] - expected_no) ** 2) / expected_no).sum()
    # binomial noise alone exceeds this one time in a thousand (chi-square, 46 degrees of freedom)
    assert chi2 > _chi2_quantile(46, 3.09)
    shares = g["sum"] / g["size"]
    assert shares.max() - shares.min() > 0.25


def test_national_shares_match_published_figures(demo_survey):
    q1 = single(demo_survey, "q1")
    answered = q1[np.isin(q1, ["1", "2"])]
    assert (answered == "1").mean() == pytest.approx(0.680, abs=0.005)  # R6 national: 68.0%
    q411 = single(demo_survey, "q4_1_1")
    answered = q411[np.isin(q411, list("12345"))]
    published = {"1": 0.144, "2": 0.132, "3": 0.034, "4": 0.512, "5": 0.177}  # R3, n=1,717
    for option, share in published.items():
        assert (answered == option).mean() == pytest.approx(share, abs=0.01), option


def test_generator_record_matches_registry(demo_survey):
    assert list(demo_survey.codes) == sorted(load_registry()["code"])
    assert demo_survey.seed == DEFAULT_SEED
    keys = {(q.id, r) for q in CB for r in q.row_ids}
    assert set(demo_survey.answers) == keys
    assert all(len(v) == 1741 for v in demo_survey.answers.values())

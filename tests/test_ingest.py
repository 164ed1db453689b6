"""Ingest: demo round trip, tidy invariants, export variants, every bad input, CLI and atomic output.

Expected values come from the generator's own record (``DemoSurvey.truth()``), from the raw files
read independently with pandas, or are written out by hand; never from ingest itself. Variants and
damaged copies are built in ``tmp_path`` from a sample of the demo export (the fixture files are
only read).
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from helpers import cli_text as run_cli
from helpers import tops
from zaitaku.analysis.processed import load_processed
from zaitaku.ingest.pipeline import IngestError, ingest, write_outputs
from zaitaku.reference.codebook import load_codebook
from zaitaku.reference.municipalities import load_registry

CB = load_codebook("R3")
KEY = ["municipality_code", "question_id", "row_id"]
CODE_COL = "市区町村コード"
Q1 = ("問1 協議会の設置", "回答")
Q7 = "問7 都道府県から受けている支援"
Q4172 = "問4 ①-7.2 モニタリングしている評価指標"
Q4171 = ("問4 ①-7.1 評価項目（指標）の設定", "回答")
Q4232 = "問4 ②-3.2 医療・介護関係者の情報共有の方法"
AS_NA = "この設問は未回答として扱いました"
ROW_EXCLUDED = "行を除外しました（同じ名前が複数あるときは --prefecture を指定してください）"
NOT_ASKED_KEPT = "非該当として扱いました（回答はこの一覧にだけ残ります）"
SAPPORO = "011002"
# 5-digit numbers that are both a 6-digit code without its leading zero and a 5-digit code
# without check digit: 12203 = 北海道士別市 012203 or 千葉県 122033
AMBIGUOUS = ("012203", "122033")


# ---------------------------------------------------------------- helpers


def md5(path: Path) -> str:
    return hashlib.md5(Path(path).read_bytes()).hexdigest()


def clean(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).split())


def read_grid(path: Path, encoding: str = "cp932") -> pd.DataFrame:
    """A raw CSV as a grid of strings (row 0 and 1: the two header rows)."""
    return pd.read_csv(path, header=None, dtype=str, keep_default_na=False, encoding=encoding)


def write_grid(grid: pd.DataFrame, path: Path, encoding: str = "utf-8") -> Path:
    grid.to_csv(path, header=False, index=False, encoding=encoding)
    return path


def col(grid: pd.DataFrame, top: str, option: str | None = None) -> int:
    """Column of an answer (``option=None``, second header 回答) or of one option of a multi-select."""
    found = [
        j for j, (t, s) in enumerate(zip(tops(grid), grid.iloc[1], strict=True))
        if t == top and (s == "回答" if option is None else s.split(". ")[0] == option and "自由記述" not in s)
    ]
    assert len(found) == 1, (top, option, found)
    return found[0]


def row(grid: pd.DataFrame, code: str) -> int:
    found = np.flatnonzero(grid[0].to_numpy() == code)
    assert len(found) == 1, code
    return int(found[0])


def option_key(o: str) -> tuple[int, int, str]:
    return (0, int(o), "") if o.isdigit() else (1, 0, o)


def observed(responses: pd.DataFrame) -> pd.DataFrame:
    """Tidy responses back to one row per municipality × question × row: status and selection."""
    columns = [responses[c].to_numpy(dtype=object) for c in (*KEY, "option_id")]
    values = responses["value"].to_numpy(dtype="float64", na_value=np.nan)
    cells: dict[tuple, list] = {}  # key -> [n options, n NA, 未回答 selected, selected options]
    for code, qid, row_id, option, v in zip(*columns, values, strict=True):
        c = cells.setdefault((code, qid, row_id), [0, 0, False, []])
        c[0] += 1
        if v != v:
            c[1] += 1
        elif v == 1:
            if option == "na":
                c[2] = True
            else:
                c[3].append(option)
    rows = []
    for (code, qid, row_id), (n, n_na, no_answer, selected) in cells.items():
        status = "not_asked" if n_na == n else "na" if no_answer else "answered"
        rows.append((code, qid, row_id, status, ",".join(sorted(selected, key=option_key))))
    return pd.DataFrame(rows, columns=[*KEY, "status", "selected"])


def subset(responses: pd.DataFrame, codes) -> pd.DataFrame:
    return responses[responses["municipality_code"].isin(set(codes))].reset_index(drop=True)


def as_no_answer(expected: pd.DataFrame, code: str, qid: str, row_id: str = "") -> pd.DataFrame:
    """``expected`` with one question of one municipality turned into 未回答."""
    out = expected.copy()
    m = (out["municipality_code"] == code) & (out["question_id"] == qid) & (out["row_id"] == row_id)
    assert m.sum() == len(CB[qid].options) + 1 and out.loc[m, "value"].notna().all()
    out.loc[m, "value"] = (out.loc[m, "option_id"] == "na").astype("int8").to_numpy()
    out.loc[m, "free_text"] = pd.NA
    return out


def header_of(column: str) -> str:
    """The header in a problem's column (``F列「問1 協議会の設置 | 回答」`` → ``問1 協議会の設置 | 回答``)."""
    m = re.fullmatch(r"[A-Z]+列「(.*)」(?:（非表示）)?", column)
    return m.group(1) if m else column


def problems_as_tuples(problems: pd.DataFrame) -> set[tuple]:
    return {(p.file, int(p.row), header_of(p.column), p.value, p.action) for p in problems.itertuples()}


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def grid(demo_raw) -> pd.DataFrame:
    """The whole demo CSV as strings (read independently of ingest)."""
    return read_grid(demo_raw / "demo_r3_cp932.csv")


@pytest.fixture(scope="module")
def sample_codes(grid) -> list[str]:
    """~40 municipalities: every 50th, 札幌市, the ambiguous pair, and answers of every kind."""
    codes = list(grid[0].iloc[2::50])
    data = grid.iloc[2:]
    picks = {
        "q1 未回答": data[data[col(grid, *Q1)] == ""][0].iloc[0],
        "q4_1_7_1 = 3": data[data[col(grid, *Q4171)] == "3"][0].iloc[0],
        "q7 その他 with text": data[data[col(grid, Q7, "9")] == "1"][0].iloc[0],
    }
    return sorted(set(codes) | {SAPPORO, *AMBIGUOUS} | set(picks.values()))


@pytest.fixture(scope="module")
def sample(grid, sample_codes) -> pd.DataFrame:
    """Header rows plus the sample municipalities, as in the demo CSV."""
    rows = [0, 1] + [row(grid, c) for c in sample_codes]
    return grid.iloc[rows].reset_index(drop=True)


@pytest.fixture(scope="module")
def expected(demo_result, sample_codes) -> pd.DataFrame:
    return subset(demo_result.responses, sample_codes)


@pytest.fixture(scope="module")
def header_map(tmp_path_factory) -> pd.DataFrame:
    """The default header map as `zaitaku ingest --write-header-map` writes it."""
    path = tmp_path_factory.mktemp("map") / "header_map.csv"
    rc, out = run_cli("ingest", "--write-header-map", path)
    assert rc == 0 and str(path) in out
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")  # Excel-friendly
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


@pytest.fixture(scope="module")
def csv_run(demo_raw):
    """Ingest of the cp932 CSV with the file's bytes and mtime before and after."""
    path = demo_raw / "demo_r3_cp932.csv"
    before = (path.read_bytes(), path.stat().st_mtime_ns)
    result = ingest([path])
    return result, before, (path.read_bytes(), path.stat().st_mtime_ns)


# ---------------------------------------------------------------- 1. round trip


def test_round_trip_equals_generator_truth(demo_result, demo_survey):
    truth = demo_survey.truth()
    got = observed(demo_result.responses)
    assert len(got) == len(truth)
    merged = truth.merge(got, on=KEY, how="outer", suffixes=("_truth", "_got"), indicator=True)
    assert (merged["_merge"] == "both").all()
    diff = merged[(merged["status_truth"] != merged["status_got"]) | (merged["selected_truth"] != merged["selected_got"])]
    assert diff.empty, diff.head()
    assert set(got["municipality_code"]) == set(load_registry()["code"])
    # the truth holds every kind of answer, so the comparison is not vacuous
    assert set(truth["status"]) == {"answered", "na", "not_asked"}
    assert truth["selected"].str.contains(",").any()


def test_round_trip_free_text(demo_result, demo_survey):
    got = demo_result.responses.dropna(subset=["free_text"])
    got = {(r.municipality_code, r.question_id, r.row_id, r.option_id): r.free_text for r in got.itertuples()}
    truth = {
        (demo_survey.codes[i], qid, row_id, opt): text
        for (qid, row_id, opt), texts in demo_survey.free_text.items()
        for i, text in texts.items()
    }
    assert len(truth) > 50
    assert got == truth


def test_round_trip_summary(demo_result, demo_raw):
    assert demo_result.problems.empty
    assert list(demo_result.problems.columns) == ["file", "row", "column", "value", "problem", "action", "kind", "code"]
    assert demo_result.n_municipalities == 1741
    assert demo_result.meta["n_municipalities"] == 1741
    assert demo_result.meta["n_problems"] == 0
    assert demo_result.meta["synthetic"] is True
    assert demo_result.meta["survey_year"] == "R3"
    assert demo_result.meta["codebook_version"] == CB.version
    munis = demo_result.municipalities
    assert len(munis) == 1741 and munis["responded"].all()
    assert (munis["source_file"] == "demo_r3.xlsx").all()
    # the xlsx has two header rows, then the municipalities in code order
    assert munis.set_index("code").loc[SAPPORO, "source_row"] == 3
    assert sorted(munis["source_row"]) == list(range(3, 1741 + 3))


def test_meta_records_md5_of_the_unchanged_raw_file(demo_result, demo_raw):
    (raw,) = demo_result.meta["raw_files"]
    path = demo_raw / "demo_r3.xlsx"
    assert raw["name"] == "demo_r3.xlsx"
    assert raw["md5"] == hashlib.md5(path.read_bytes()).hexdigest()  # taken at ingest, still true now
    assert raw["bytes"] == path.stat().st_size
    assert (raw["header_rows"], raw["data_rows"]) == ([1, 2], 1741)  # Excel rows of the header block


def test_cp932_csv_gives_identical_responses(csv_run, demo_result, demo_raw):
    result, _, _ = csv_run
    pd.testing.assert_frame_equal(result.responses, demo_result.responses)
    assert result.problems.empty
    assert result.meta["synthetic"] is True
    (raw,) = result.meta["raw_files"]
    assert raw["encoding"] == "cp932"
    assert raw["md5"] == hashlib.md5((demo_raw / "demo_r3_cp932.csv").read_bytes()).hexdigest()


def test_raw_file_unchanged_by_ingest(csv_run):
    _, before, after = csv_run
    assert after[0] == before[0]  # bytes
    assert after[1] == before[1]  # mtime


# ---------------------------------------------------------------- 2. tidy invariants


@pytest.fixture(scope="module")
def wide(demo_result) -> pd.DataFrame:
    """value per municipality × question × row (rows) and option (columns)."""
    return demo_result.responses.pivot(index=KEY, columns="option_id", values="value")


def test_every_cell_of_the_questionnaire_is_present(demo_result):
    per_municipality = sum((len(q.options) + 1) * len(q.row_ids) for q in CB)
    assert len(demo_result.responses) == 1741 * per_municipality
    assert not demo_result.responses.duplicated([*KEY, "option_id"]).any()


def test_single_choice_rows_sum_to_one_where_asked(demo_result, wide):
    singles = [q.id for q in CB if not q.is_multi]
    w = wide[wide.index.get_level_values("question_id").isin(singles)]
    asked = w["na"].notna()
    assert asked.sum() > 0.9 * len(w)
    assert (w[asked].sum(axis=1) == 1).all()
    assert w[asked]["na"].eq(1).any()  # 未回答 counted as an option


def test_multi_select_rows_where_asked(wide):
    multis = [q.id for q in CB if q.is_multi]
    w = wide[wide.index.get_level_values("question_id").isin(multis)]
    asked = w[w["na"].notna()]
    others = asked.drop(columns="na").fillna(0)  # options absent from a question are NaN in the pivot
    assert (others[asked["na"] == 1].sum(axis=1) == 0).all()
    assert (others[asked["na"] == 0].sum(axis=1) >= 1).all()
    assert (others.sum(axis=1) >= 2).any()


def test_not_asked_means_all_values_na(demo_result):
    r = demo_result.responses
    by = [r[k] for k in KEY]
    n_na = r["value"].isna().groupby(by).sum()
    n = r["value"].groupby(by).size()
    assert set(n_na[n_na > 0].index) == set(n_na[n_na == n].index)  # all or nothing
    assert (n_na == n).sum() > 1000
    # free text only where the option was selected
    assert r.loc[r["free_text"].notna(), "value"].eq(1).all()


def test_exclusive_options_stand_alone(wide):
    for q in CB:
        for o in (o for o in q.options if o.exclusive):
            w = wide.xs(q.id, level="question_id")
            chosen = w[w[o.id] == 1]
            assert (chosen[list(q.option_ids)].sum(axis=1) == 1).all(), q.id


def _asked(wide, qid, row_id=""):
    return wide.xs((qid, row_id), level=("question_id", "row_id"))["na"].notna()


def _chose(wide, qid, values, row_id=""):
    w = wide.xs((qid, row_id), level=("question_id", "row_id"))
    return w[list(values)].eq(1).any(axis=1)


def test_q4_1_7_2_asked_only_after_1_or_2(wide):
    asked = _asked(wide, "q4_1_7_2")
    parent_12 = _chose(wide, "q4_1_7_1", ["1", "2"])
    assert (asked == parent_12).all()
    assert 100 < asked.sum() < 1741 - 100  # both branches occur


def test_q5_2_1_asked_only_after_end_of_life_1_or_2(wide):
    parent_12 = _chose(wide, "q5", ["1", "2"], "end_of_life")
    assert 100 < parent_12.sum() < 1741 - 100
    for r in CB["q5_2_1"].row_ids:
        assert (_asked(wide, "q5_2_1", r) == parent_12).all(), r


def test_every_condition_of_the_codebook_is_respected(wide):
    for q in (q for q in CB if q.asked_if):
        c = q.asked_if
        parent = _chose(wide, c.question, list(c.values), c.row or "")
        for r in q.row_ids:
            assert (_asked(wide, q.id, r) == parent).all(), (q.id, r)


def test_q6_2_priorities_are_among_the_challenges(wide):
    q61 = wide.xs(("q6_1", ""), level=("question_id", "row_id"))
    q62 = wide.xs(("q6_2", ""), level=("question_id", "row_id"))
    opts = list(CB["q6_1"].option_ids)
    chosen = q62[opts].fillna(0) == 1
    assert chosen.to_numpy().sum() > 100
    assert not (chosen & (q61[opts].fillna(0) == 0)).to_numpy().any()


# ---------------------------------------------------------------- 3. export variants


def test_sample_covers_what_the_variants_need(sample, expected):
    assert SAPPORO in set(sample[0]) and set(AMBIGUOUS) <= set(sample[0])
    assert 35 <= len(sample) - 2 <= 50
    # 未回答, conditional skips, free text and multi-selections are all in the sample
    assert expected["value"].isna().any() and expected["free_text"].notna().any()
    assert (expected[expected["option_id"] == "na"]["value"] == 1).any()


def test_sample_as_is(sample, expected, tmp_path):
    result = ingest([write_grid(sample, tmp_path / "sample.csv", "cp932")])
    pd.testing.assert_frame_equal(result.responses, expected)
    assert result.problems.empty


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig"])
def test_utf8_csv(sample, expected, tmp_path, encoding):
    path = write_grid(sample, tmp_path / f"export_{encoding}.csv", encoding)
    assert path.read_bytes().startswith(b"\xef\xbb\xbf") == (encoding == "utf-8-sig")
    result = ingest([path])
    pd.testing.assert_frame_equal(result.responses, expected)
    assert result.problems.empty
    assert result.meta["raw_files"][0]["encoding"] == "utf-8-sig"  # reads both


def _map_matches_columns(header_map: pd.DataFrame, grid: pd.DataFrame) -> None:
    joined = [clean(t) + (" | " + clean(s) if s else "") for t, s in zip(tops(grid), grid.iloc[1], strict=True)]
    assert joined == header_map["header"].tolist()


def _short_header(r) -> str:
    """A one-row header as a prefecture's own tool might name the columns."""
    fixed = {"code": "団体コード", "prefecture": "都道府県", "name": "市町村名", "synthetic": "区分"}
    if r.kind in fixed:
        return fixed[r.kind]
    base = r.question_id + (f"[{r.row_id}]" if r.row_id else "")
    return {"answer": base, "flag": f"{base}-{r.option_id}", "text": f"{base}-{r.option_id}記述"}[r.kind]


def _one_row_layout(sample: pd.DataFrame, header_map: pd.DataFrame, lists: bool):
    """The sample with a one-row header, and the edited header map (flags → lists if asked)."""
    _map_matches_columns(header_map, sample)
    hm = header_map.assign(header=[_short_header(r) for r in header_map.itertuples()])
    assert hm["header"].is_unique
    data = sample.iloc[2:].reset_index(drop=True)
    columns = {h: data[j] for j, h in enumerate(hm["header"])}
    if not lists:
        return pd.DataFrame([hm["header"].tolist(), *data.to_numpy().tolist()]), hm
    out, rows = {}, []
    seps = [",", "、", "，", " "]
    for (kind, qid, row_id), g in hm.groupby(["kind", "question_id", "row_id"], sort=False):
        if kind != "flag":
            for r in g.itertuples():
                out[r.header] = columns[r.header]
                rows.append(r._asdict())
            continue
        head = qid + (f"[{row_id}]" if row_id else "") + "（複数回答）"
        sel = pd.DataFrame({r.option_id: columns[r.header] for r in g.itertuples()})
        out[head] = [
            seps[i % 4].join(o for o in sel.columns if v[o] == "1") for i, v in enumerate(sel.to_dict("records"))
        ]
        rows.append({"header": head, "kind": "list", "question_id": qid, "row_id": row_id, "option_id": ""})
    frame = pd.DataFrame(out)
    return pd.DataFrame([list(frame.columns), *frame.to_numpy().tolist()]), pd.DataFrame(rows)


@pytest.mark.parametrize("lists", [False, True], ids=["flags", "lists"])
def test_one_row_header_with_custom_header_map(sample, expected, header_map, tmp_path, lists):
    grid, hm = _one_row_layout(sample, header_map, lists)
    if lists:
        assert (hm["kind"] == "list").sum() == sum(len(q.row_ids) for q in CB if q.is_multi)
        assert grid.iloc[1:].apply(lambda c: c.str.contains("[,、，]")).any().any()
    map_path = tmp_path / "my_map.csv"
    hm.to_csv(map_path, index=False, encoding="utf-8-sig")
    path = write_grid(grid, tmp_path / "one_row.csv", "utf-8")
    result = ingest([path], header_map=map_path)
    assert result.problems.empty, result.problems.head()
    assert result.meta["raw_files"][0]["header_rows"] == [1]
    assert result.municipalities.set_index("code").loc[SAPPORO, "source_row"] == row(grid, SAPPORO) + 1
    pd.testing.assert_frame_equal(result.responses, expected)
    # the same map through the CLI
    rc, out = run_cli("ingest", path, "--header-map", map_path, "--out", tmp_path / "out")
    assert rc == 0 and f"{len(sample) - 2} 市区町村" in out
    pd.testing.assert_frame_equal(load_processed(tmp_path / "out").responses, expected)


CIRCLED = "⓪①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬"


def _full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def test_full_width_and_circled_single_answers(sample, expected, header_map, tmp_path):
    grid = sample.copy()
    answer_cols = np.flatnonzero(header_map["kind"] == "answer")
    n_changed = 0
    for i in range(2, len(grid)):
        for k, j in enumerate(answer_cols):
            v = grid.iat[i, j]
            if v:
                style = (i + k) % 3
                if style == 0 or not v.isdigit():
                    grid.iat[i, j] = _full_width(v)  # "１", "Ｃ"
                elif style == 1:
                    grid.iat[i, j] = CIRCLED[int(v)]
                else:
                    grid.iat[i, j] = v + "．"
                n_changed += 1
    assert n_changed > 1000
    cells = set(grid.iloc[2:, answer_cols].to_numpy().ravel())
    assert {"①", "１", "1．"} <= cells and cells & set("ＡＢＣＤＥ")
    assert not cells & {"1", "2", "A"}
    result = ingest([write_grid(grid, tmp_path / "full_width.csv", "cp932")])
    assert result.problems.empty
    pd.testing.assert_frame_equal(result.responses, expected)


def test_multi_select_marks(sample, expected, header_map, tmp_path):
    grid = sample.copy()
    flag_cols = np.flatnonzero(header_map["kind"] == "flag")
    marks = [("○", ""), ("●", "×"), ("✓", "0"), ("◯", "")]
    for i in range(2, len(grid)):
        yes, no = marks[i % 4]
        for j in flag_cols:
            grid.iat[i, j] = {"1": yes, "0": no}.get(grid.iat[i, j], grid.iat[i, j])
    assert not grid.iloc[2:, flag_cols].isin(["1"]).any().any()
    result = ingest([write_grid(grid, tmp_path / "marks.csv", "utf-8-sig")])
    assert result.problems.empty
    pd.testing.assert_frame_equal(result.responses, expected)


@pytest.mark.parametrize(
    "form",
    ["five_digits", "lost_zero", "full_width", "hyphen"],
)
def test_municipality_code_forms_in_csv(sample, expected, tmp_path, form):
    grid = sample.copy()
    codes = grid.loc[2:, 0]
    grid.loc[2:, 0] = {
        "five_digits": codes.str[:5],
        "lost_zero": codes.map(lambda c: str(int(c))),  # 011002 → "11002", as Excel saves it
        "full_width": codes.map(_full_width),
        "hyphen": codes.str[:5] + "-" + codes.str[5],
    }[form]
    if form == "lost_zero":
        assert grid.iat[row(sample, SAPPORO), 0] == "11002"
    result = ingest([write_grid(grid, tmp_path / f"codes_{form}.csv", "cp932")])
    assert result.problems.empty, result.problems.head().to_dict("records")
    pd.testing.assert_frame_equal(result.responses, expected)


def _write_xlsx_numbers(grid: pd.DataFrame, path: Path) -> Path:
    """An .xlsx as a person re-typing the export would save it: digits become numbers."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "回答"
    for i, values in enumerate(grid.to_numpy().tolist()):
        ws.append([int(v) if i >= 2 and v.isascii() and v.isdigit() else (v or None) for v in values])
    wb.save(path)
    return path


def test_xlsx_with_numbers_and_codes_that_lost_the_leading_zero(sample, expected, tmp_path):
    path = _write_xlsx_numbers(sample, tmp_path / "numbers.xlsx")
    ws = openpyxl.load_workbook(path).active
    assert ws.cell(row=row(sample, SAPPORO) + 1, column=1).value == 11002  # as an integer
    result = ingest([path])
    assert result.problems.empty, result.problems.head().to_dict("records")
    pd.testing.assert_frame_equal(result.responses, expected)
    assert result.municipalities.set_index("code").loc[SAPPORO, "source_row"] == row(sample, SAPPORO) + 1


def test_ambiguous_number_without_a_name_is_reported(sample, tmp_path):
    # 12203: 北海道士別市 (012203) lost its zero, or 千葉県 122033 without check digit
    grid = sample.copy()
    i = row(sample, AMBIGUOUS[0])
    grid.iat[i, 0] = "12203"
    grid.iat[i, 2] = ""  # no name to decide
    grid.iat[i, 1] = ""
    result = ingest([write_grid(grid, tmp_path / "ambiguous.csv")])
    assert problems_as_tuples(result.problems) == {("ambiguous.csv", i + 1, CODE_COL, "12203", ROW_EXCLUDED)}
    assert "コードが 2 通りに読めます" in result.problems["problem"].iloc[0]
    assert AMBIGUOUS[0] not in set(result.responses["municipality_code"])


@pytest.mark.parametrize("mark", ["-", "－", "―", "該当なし", "非該当", "対象外"])
def test_not_applicable_mark_is_not_asked_without_a_problem(sample, expected, tmp_path, mark):
    code = _answered(sample, col(sample, *Q1))[2]
    grid, _ = _damage(sample, code, col(sample, *Q1), mark)
    result = ingest([write_grid(grid, tmp_path / "na.csv", "cp932")])
    assert result.problems.empty
    got = result.responses.query("municipality_code == @code and question_id == 'q1'")
    assert got["value"].isna().all() and len(got) == 3  # options 1, 2 and na: not asked


@pytest.mark.parametrize("blank", ["", "未回答", "無回答"])
def test_blank_is_no_answer(sample, expected, header_map, tmp_path, blank):
    grid = sample.copy()
    answered = [c for c in sample.loc[2:, 0] if sample.iat[row(sample, c), col(sample, *Q1)] and
                sample.iat[row(sample, c), col(sample, Q7, "9")] == "0" and
                sample.iat[row(sample, c), col(sample, Q7, "1")] != ""]
    a, b = answered[:2]
    grid.iat[row(sample, a), col(sample, *Q1)] = blank
    for j in np.flatnonzero((header_map["kind"] == "flag") & (header_map["question_id"] == "q7")):
        grid.iat[row(sample, b), j] = blank
    result = ingest([write_grid(grid, tmp_path / "blank.csv", "cp932")])
    assert result.problems.empty
    want = as_no_answer(as_no_answer(expected, a, "q1"), b, "q7")
    pd.testing.assert_frame_equal(result.responses, want)


def test_empty_lines_are_skipped(sample, expected, tmp_path):
    grid = pd.concat([sample, pd.DataFrame([[""] * sample.shape[1]] * 3)], ignore_index=True)
    result = ingest([write_grid(grid, tmp_path / "trailing.csv")])
    assert result.problems.empty
    pd.testing.assert_frame_equal(result.responses, expected)


# ---------------------------------------------------------------- 4. bad input


def _damage(sample: pd.DataFrame, code: str, j: int, value: str) -> tuple[pd.DataFrame, int]:
    grid = sample.copy()
    i = row(sample, code)
    grid.iat[i, j] = value
    return grid, i + 1  # line number in the file


def _answered(sample, j, values=None) -> list[str]:
    data = sample.iloc[2:]
    ok = data[j] != "" if values is None else data[j].isin(values)
    return list(data.loc[ok, 0])


def test_identical_duplicate_is_kept_once(sample, expected, tmp_path):
    code = sample.iat[5, 0]
    grid = pd.concat([sample, sample.iloc[[5]]], ignore_index=True)
    result = ingest([write_grid(grid, tmp_path / "dup.csv")])
    pd.testing.assert_frame_equal(result.responses, expected)
    assert problems_as_tuples(result.problems) == {  # one row per repeat, naming the first
        ("dup.csv", len(grid), "A列", code, "同じ回答のため除外"),
    }
    assert result.problems["problem"].iloc[0] == "重複（最初は 6 行目）"
    assert result.n_municipalities == len(sample) - 2


def test_conflicting_duplicate_is_excluded(sample, expected, tmp_path):
    code = _answered(sample, col(sample, *Q1), ["1"])[0]
    i = row(sample, code)
    extra = sample.iloc[[i]].copy()
    extra.iat[0, col(sample, *Q1)] = "2"
    grid = pd.concat([sample, extra], ignore_index=True)
    result = ingest([write_grid(grid, tmp_path / "conflict.csv")])
    assert problems_as_tuples(result.problems) == {
        ("conflict.csv", i + 1, "A列", code, "この市区町村は除外しました。元のファイルで重複を解消してください"),
        ("conflict.csv", len(grid), "A列", code, "回答が食い違うため、この市区町村を除外"),
    }
    assert result.problems["problem"].str.contains("食い違います|回答が異なる").all()
    pd.testing.assert_frame_equal(result.responses, subset(expected, set(sample.loc[2:, 0]) - {code}))
    assert not result.municipalities.set_index("code").loc[code, "responded"]


def test_duplicate_across_two_files_names_each_file(sample, expected, tmp_path):
    code = sample.iat[10, 0]
    first = write_grid(sample.iloc[:11], tmp_path / "part1.csv")  # rows 3..11 of part1
    second = write_grid(sample.iloc[[0, 1, *range(10, len(sample))]], tmp_path / "part2.csv")
    result = ingest([first, second])
    assert problems_as_tuples(result.problems) == {
        ("part2.csv", 3, "A列", code, "同じ回答のため除外"),
    }
    assert result.problems["problem"].iloc[0] == "重複（最初は part1.csv 11 行目）"
    pd.testing.assert_frame_equal(result.responses, expected)
    assert [f["name"] for f in result.meta["raw_files"]] == ["part1.csv", "part2.csv"]


def _check_digit(code5: str) -> str:
    return str((11 - sum(w * int(d) for w, d in zip((6, 5, 4, 3, 2), code5, strict=True)) % 11) % 10)


@pytest.mark.parametrize("case", ["wrong_check_digit", "unknown_code", "prefecture_code", "garbage"])
def test_unknown_municipality_code(sample, expected, tmp_path, case):
    code = sample.iat[7, 0]
    registry = set(load_registry()["code"])
    if case == "wrong_check_digit":
        bad, words = code[:5] + str((int(code[5]) + 1) % 10), "検査数字"
    elif case == "unknown_code":
        bad = next(c for c in (f"01{n:03d}" + _check_digit(f"01{n:03d}") for n in range(900, 1000))
                   if c not in registry)
        words = "は現在の市区町村コードではありません"
    elif case == "prefecture_code":
        bad, words = "320005", "都道府県（島根県）のコードです"  # 島根県 itself
    else:
        bad, words = "松江", "市区町村を特定できません"
    assert bad not in registry
    grid, line = _damage(sample, code, 0, bad)
    result = ingest([write_grid(grid, tmp_path / "codes.csv")])
    assert problems_as_tuples(result.problems) == {("codes.csv", line, CODE_COL, bad, ROW_EXCLUDED)}
    assert words in result.problems["problem"].iloc[0]
    pd.testing.assert_frame_equal(result.responses, subset(expected, set(sample.loc[2:, 0]) - {code}))
    assert result.n_municipalities == len(sample) - 3


def test_code_and_name_disagree(sample, expected, tmp_path):
    code = sample.iat[7, 0]
    other = sample.iat[8, 2]  # the next municipality's name
    grid, line = _damage(sample, code, 2, other)
    grid.iat[line - 1, 1] = sample.iat[8, 1]
    result = ingest([write_grid(grid, tmp_path / "names.csv")])
    assert problems_as_tuples(result.problems) == {
        ("names.csv", line, CODE_COL, code, "行を除外しました。元のファイルのコードか名前を直してください")
    }
    assert "一致しません" in result.problems["problem"].iloc[0]
    assert code not in set(result.responses["municipality_code"])


def test_name_without_code(sample, expected, tmp_path):
    grid = sample.copy()
    grid.loc[2:, 0] = ""
    result = ingest([write_grid(grid, tmp_path / "names_only.csv")])
    assert result.problems.empty
    pd.testing.assert_frame_equal(result.responses, expected)


def test_out_of_range_answer(sample, expected, tmp_path):
    code = _answered(sample, col(sample, *Q1))[3]
    grid, line = _damage(sample, code, col(sample, *Q1), "7")
    result = ingest([write_grid(grid, tmp_path / "range.csv")])
    assert problems_as_tuples(result.problems) == {("range.csv", line, "問1 協議会の設置 | 回答", "7", AS_NA)}
    assert result.problems["problem"].iloc[0].startswith("q1: ")
    pd.testing.assert_frame_equal(result.responses, as_no_answer(expected, code, "q1"))


def test_invalid_multi_mark(sample, expected, tmp_path):
    j = col(sample, Q7, "1")
    code = next(c for c in _answered(sample, j) if sample.iat[row(sample, c), col(sample, Q7, "9")] == "0")
    grid, line = _damage(sample, code, j, "△")
    result = ingest([write_grid(grid, tmp_path / "mark.csv")])
    column = "問7 都道府県から受けている支援 | 1. データ活用を含めた情報提供"
    assert problems_as_tuples(result.problems) == {("mark.csv", line, column, "△", AS_NA)}
    assert "選択の印" in result.problems["problem"].iloc[0]
    pd.testing.assert_frame_equal(result.responses, as_no_answer(expected, code, "q7"))


def test_invalid_list_entry(sample, expected, header_map, tmp_path):
    grid, hm = _one_row_layout(sample, header_map, lists=True)
    j = list(grid.iloc[0]).index("q7（複数回答）")
    i = next(i for i in range(1, len(grid)) if grid.iat[i, j] and "9" not in re.split("[,、， ]", grid.iat[i, j]))
    code = grid.iat[i, 0]
    grid.iat[i, j] = "1,11"
    hm.to_csv(tmp_path / "map.csv", index=False, encoding="utf-8-sig")
    result = ingest([write_grid(grid, tmp_path / "lists.csv")], header_map=tmp_path / "map.csv")
    assert problems_as_tuples(result.problems) == {("lists.csv", i + 1, "q7(複数回答)", "1,11", AS_NA)}
    assert "11 はこの設問の選択肢ではありません" in result.problems["problem"].iloc[0]
    pd.testing.assert_frame_equal(result.responses, as_no_answer(expected, code, "q7"))


def test_answer_to_a_question_not_asked(sample, expected, tmp_path):
    code = _answered(sample, col(sample, *Q4171), ["3"])[0]
    assert sample.iat[row(sample, code), col(sample, Q4172, "2")] == ""
    grid, line = _damage(sample, code, col(sample, Q4172, "2"), "1")
    grid.iat[line - 1, col(sample, Q4172, "5")] = "1"
    result = ingest([write_grid(grid, tmp_path / "skip.csv")])
    assert problems_as_tuples(result.problems) == {
        ("skip.csv", line, Q4172, "2,5", NOT_ASKED_KEPT)
    }
    assert "条件" in result.problems["problem"].iloc[0]
    assert result.problems["problem"].iloc[0].startswith("q4_1_7_2: ")
    pd.testing.assert_frame_equal(result.responses, expected)  # still 非該当


def test_exclusive_option_with_others(sample, expected, tmp_path):
    one, two, none = (col(sample, Q4232, o) for o in "123")
    data = sample.iloc[2:]
    code = data[(data[one] == "0") & (data[two] == "0") & (data[none] == "1")][0].iloc[0]
    grid, line = _damage(sample, code, one, "1")
    result = ingest([write_grid(grid, tmp_path / "exclusive.csv")])
    assert problems_as_tuples(result.problems) == {("exclusive.csv", line, Q4232, "1,3", AS_NA)}
    assert "排他的な選択肢 3" in result.problems["problem"].iloc[0]
    pd.testing.assert_frame_equal(result.responses, as_no_answer(expected, code, "q4_2_3_2"))


def test_column_not_in_the_header_map(sample, expected, tmp_path):
    grid = sample.copy()
    grid[len(grid.columns)] = ["備考", ""] + ["メモ"] * (len(grid) - 2)
    result = ingest([write_grid(grid, tmp_path / "extra.csv")])
    assert problems_as_tuples(result.problems) == {("extra.csv", 2, "備考", "", "この列は読みませんでした")}
    pd.testing.assert_frame_equal(result.responses, expected)


def test_missing_question_columns(sample, expected, header_map, tmp_path):
    q7 = np.flatnonzero(header_map["question_id"] == "q7")
    grid = sample.drop(columns=sample.columns[q7])
    result = ingest([write_grid(grid, tmp_path / "no_q7.csv")])
    assert problems_as_tuples(result.problems) == {
        ("no_q7.csv", 2, "問7 都道府県から受けている支援", "",
         "このファイルの市区町村はこの設問を未回答として扱いました")
    }
    want = expected.copy()
    q7_rows = want["question_id"] == "q7"
    want.loc[q7_rows, "value"] = (want.loc[q7_rows, "option_id"] == "na").astype("int8").to_numpy()
    want.loc[q7_rows, "free_text"] = pd.NA
    pd.testing.assert_frame_equal(result.responses, want)


def test_excel_unicode_text_is_read(demo_raw, tmp_path):
    """Excel's 「Unicode テキスト」: UTF-16 with a byte-order mark, tab-separated, saved as .txt."""
    from zaitaku.ingest.workbook import read_grid

    csv = demo_raw / "demo_r3_cp932.csv"
    rows = [line.split(",") for line in csv.read_bytes().decode("cp932").splitlines()[:40]]
    path = tmp_path / "export.txt"
    path.write_bytes("\r\n".join("\t".join(r) for r in rows).encode("utf-16"))
    got = read_grid(path)
    assert got.encoding == "utf-16 タブ区切り"
    assert [[("" if v is None else v) for v in r] for r in got.cells] == rows


@pytest.mark.parametrize("encoding", ["utf-16-be", "euc_jis_2004"])
def test_whole_file_in_the_wrong_encoding(demo_raw, tmp_path, encoding):
    text = (demo_raw / "demo_r3_cp932.csv").read_bytes().decode("cp932")
    path = tmp_path / f"export_{encoding}.csv"
    path.write_bytes(text.encode(encoding))
    with pytest.raises(IngestError) as err:
        ingest([path])
    msg = str(err.value)
    assert str(path) in msg and "utf-8-sig" in msg and "cp932" in msg
    # the CLI says so and writes nothing
    rc, out = run_cli("ingest", path, "--out", tmp_path / "out")
    assert rc == 2 and str(path) in out
    assert not (tmp_path / "out").exists()


def test_named_encoding_that_does_not_fit(demo_raw, tmp_path):
    path = demo_raw / "demo_r3_cp932.csv"
    with pytest.raises(IngestError) as err:
        ingest([path], encoding="utf-8")
    msg = str(err.value)
    assert str(path) in msg and "文字コード utf-8 のいずれでも読めません（utf-8: 1 行目" in msg  # the first header cell
    rc, out = run_cli("ingest", path, "--encoding", "utf-8", "--out", tmp_path / "out")
    assert rc == 2 and "読めません" in out and "Traceback" not in out


def test_headers_that_match_nothing(tmp_path):
    path = tmp_path / "other_survey.csv"
    path.write_text("ID,氏名,年齢\n1,山田,40\n2,佐藤,51\n", encoding="utf-8")
    with pytest.raises(IngestError, match="市区町村名・コードとして読めるデータ行がありません") as err:
        ingest([path])
    assert str(path) in str(err.value)


def test_no_municipality_column(sample, header_map, tmp_path):
    grid = sample.drop(columns=[0, 1, 2])
    with pytest.raises(IngestError, match="市区町村名・コードとして読めるデータ行がありません") as err:
        ingest([write_grid(grid, tmp_path / "anonymous.csv")])
    assert "anonymous.csv" in str(err.value)


def test_missing_file(tmp_path):
    with pytest.raises(IngestError, match="ファイルがありません"):
        ingest([tmp_path / "nowhere.csv"])


@pytest.mark.parametrize(
    ("column", "old", "new", "words"),
    [
        ("question_id", "q1", "q99", "question_id 列: 設問「q99」は調査票にありません"),
        ("kind", "answer", "anwser", "kind 列: 「anwser」は使えません"),
        ("row_id", "med_assoc", "medical", "row_id 列: 「medical」は q2 の行ではありません"),
        ("option_id", "13", "14", "option_id 列: 「14」は q4_1_7_2 の選択肢ではありません"),
    ],
)
def test_bad_header_map_row_is_a_problem_naming_file_and_row(header_map, sample, tmp_path, column, old, new, words):
    hm = header_map.copy()
    i = int(np.flatnonzero(hm[column] == old)[0])
    if column == "option_id":
        i = int(np.flatnonzero((hm["question_id"] == "q4_1_7_2") & (hm["option_id"] == old))[0])
    hm.iat[i, hm.columns.get_loc(column)] = new
    path = tmp_path / "my_map.csv"
    hm.to_csv(path, index=False, encoding="utf-8-sig")
    line = next(n for n, text in enumerate(path.read_text(encoding="utf-8-sig").splitlines(), start=1)
                if f",{new}," in f"{text},")
    result = ingest([write_grid(sample, tmp_path / "sample.csv")], header_map=path)  # one bad row: no stop
    bad = result.problems[(result.problems["file"] == path.name) & (result.problems["row"] == str(line))]
    assert len(bad) == 1, result.problems.head()
    assert words in bad["problem"].iloc[0]
    assert result.n_municipalities > 0


def test_damaged_copy_gives_one_located_problem_per_damage(grid, demo_result, tmp_path):
    data = grid.iloc[2:]
    q1 = col(grid, *Q1)
    q7_1, q7_9 = col(grid, Q7, "1"), col(grid, Q7, "9")
    q4171 = col(grid, *Q4171)
    ict, other, none = (col(grid, Q4232, o) for o in "123")
    taken: set[str] = set()

    def pick(mask, start):
        code = next(c for c in data.loc[mask, 0].iloc[start:] if c not in taken)
        taken.add(code)
        return code, row(grid, code)

    a, ia = pick(data[q1] != "", 100)  # prefecture 01 … spread over the file
    b, ib = pick((data[q7_1] != "") & (data[q7_9] == "0"), 500)
    c, ic = pick(data[0] != "", 900)
    _, id_ = pick(data[q4171] == "3", 60)
    e, ie = pick((data[ict] == "0") & (data[other] == "0") & (data[none] == "1"), 30)
    damaged = grid.copy()
    wrong = c[:5] + str((int(c[5]) + 3) % 10)
    damaged.iat[ia, q1] = "7"
    damaged.iat[ib, q7_1] = "△"
    damaged.iat[ic, 0] = wrong
    damaged.iat[id_, col(grid, Q4172, "4")] = "1"
    damaged.iat[ie, ict] = "1"
    path = write_grid(damaged, tmp_path / "damaged_copy.csv", "cp932")
    result = ingest([path])

    f = "damaged_copy.csv"
    assert problems_as_tuples(result.problems) == {
        (f, ia + 1, "問1 協議会の設置 | 回答", "7", AS_NA),
        (f, ib + 1, "問7 都道府県から受けている支援 | 1. データ活用を含めた情報提供", "△", AS_NA),
        (f, ic + 1, CODE_COL, wrong, ROW_EXCLUDED),
        (f, id_ + 1, Q4172, "4", NOT_ASKED_KEPT),
        (f, ie + 1, Q4232, "1,3", AS_NA),
    }
    assert len(result.problems) == 5
    assert result.n_municipalities == 1740
    want = demo_result.responses
    want = want[want["municipality_code"] != c]
    want = as_no_answer(as_no_answer(as_no_answer(want, a, "q1"), b, "q7"), e, "q4_2_3_2").reset_index(drop=True)
    pd.testing.assert_frame_equal(result.responses, want)


# ---------------------------------------------------------------- 5. CLI and atomic output


MEMBERS = ("responses", "municipalities", "shares", "problems")


def outputs(out: Path) -> dict[str, Path]:
    """The members ingest_meta.json lists, plus the meta and the fixed-name problems.csv."""
    from zaitaku.analysis.processed import member_paths

    return {**member_paths(out), "meta": out / "ingest_meta.json", "problems.csv": out / "problems.csv"}


@pytest.fixture(scope="module")
def cli_out(demo_raw, tmp_path_factory):
    out = tmp_path_factory.mktemp("cli") / "processed"
    rc, printed = run_cli("ingest", demo_raw / "demo_r3.xlsx", "--out", out)
    return rc, printed, out


def test_cli_writes_every_output(cli_out):
    rc, printed, out = cli_out
    assert rc == 0
    assert "1,741 市区町村" in printed and "問題 0 件" in printed and "架空" in printed
    listed = {p.name for p in outputs(out).values()}
    assert {p.name for p in out.iterdir()} == listed | {".zaitaku.lock", "README.md"}  # no .tmp leftovers
    assert len(listed) == 6
    readme = (out / "README.md").read_text(encoding="utf-8")  # names the members as they are now
    members = {n for n in listed if n.startswith(("responses-R3-", "municipalities-R3-", "shares-R3-", "problems-R3-"))}
    assert len(members) == 4 and all(f"`{n}`" in readme for n in members)
    assert "responses.parquet" not in readme and "## R3" in readme


def test_cli_responses_and_municipalities(cli_out, demo_result, demo_survey):
    _, _, out = cli_out
    responses = pd.read_parquet(outputs(out)["responses"])
    pd.testing.assert_frame_equal(responses, demo_result.responses)
    assert str(responses["value"].dtype) == "Int8"
    munis = pd.read_parquet(outputs(out)["municipalities"])
    assert len(munis) == 1741 and munis["responded"].all()
    assert set(munis["code"]) == set(demo_survey.codes)


def test_cli_shares_match_the_responses(cli_out, demo_survey):
    _, _, out = cli_out
    shares = pd.read_parquet(outputs(out)["shares"])
    assert set(shares["scope"]) >= {"municipality", "prefecture", "nation"}
    nation = shares[(shares["scope"] == "nation") & (shares["question_id"] == "q1")].set_index("option_id")
    q1 = demo_survey.answers[("q1", "")]
    n_yes = sum(isinstance(v, frozenset) and "1" in v for v in q1)
    n_na = sum(v == "na" for v in q1)
    assert nation.loc["1", "n_selected"] == n_yes
    assert nation.loc["na", "n_selected"] == n_na
    assert (nation["n_base"] == 1741).all()
    assert nation.loc["1", "share"] == pytest.approx(n_yes / 1741)


def test_cli_problems_csv_and_meta(cli_out, demo_raw):
    _, _, out = cli_out
    raw = (out / "problems.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert raw.decode("utf-8-sig").splitlines() == ["ファイル,行,列,値,問題,対応,種類,市区町村コード"]
    assert raw == outputs(out)["problems"].read_bytes()
    whole = json.loads((out / "ingest_meta.json").read_text(encoding="utf-8"))
    assert whole["format"] == 2 and list(whole["years"]) == ["R3"]
    meta = whole["years"]["R3"]
    assert meta["synthetic"] is True and meta["n_municipalities"] == 1741 and meta["n_problems"] == 0
    (f,) = meta["raw_files"]
    assert f["md5"] == md5(demo_raw / "demo_r3.xlsx")
    assert meta["responses_md5"] == md5(outputs(out)["responses"])
    for key in MEMBERS:
        assert meta["members"][key]["md5"] == md5(outputs(out)[key])


def test_cli_problems_csv_with_problems(sample, tmp_path):
    code = _answered(sample, col(sample, *Q1))[0]
    grid, line = _damage(sample, code, col(sample, *Q1), "７")
    path = write_grid(grid, tmp_path / "京都府_回答.csv", "cp932")
    rc, printed = run_cli("ingest", path, "--out", tmp_path / "out")
    assert rc == 0 and "問題 1 件" in printed and "京都府_回答.csv" in printed
    problems = pd.read_csv(tmp_path / "out" / "problems.csv", dtype=str, encoding="utf-8-sig")
    assert problems.to_dict("records") == [{
        "ファイル": "京都府_回答.csv", "行": str(line), "列": "G列「問1 協議会の設置 | 回答」", "値": "7",
        "問題": problems["問題"].iloc[0], "対応": AS_NA, "種類": "read_as_blank", "市区町村コード": code,
    }]
    assert problems["問題"].iloc[0].startswith("q1: この設問の選択肢ではありません")


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def _broken_writer():
    """Start writing (a few bytes reach the file), then fail as a full disk would."""

    def write(self, path, *args, **kwargs):
        Path(path).write_bytes(b"PAR1 partial")
        raise OSError(28, "No space left on device", str(path))

    return write


def test_failed_write_leaves_previous_output_intact(sample, tmp_path, monkeypatch):
    out = tmp_path / "processed"
    first = write_grid(sample, tmp_path / "first.csv")
    assert run_cli("ingest", first, "--out", out)[0] == 0
    before = _snapshot(out)
    old = load_processed(out).responses

    code = _answered(sample, col(sample, *Q1))[0]
    second = write_grid(_damage(sample, code, col(sample, *Q1), "9")[0], tmp_path / "second.csv")
    # the first member, or the last one written before the commit, fails: nothing changes
    for method in ("to_parquet", "to_csv"):
        monkeypatch.setattr(pd.DataFrame, method, _broken_writer())
        rc, printed = run_cli("ingest", second, "--out", out)
        monkeypatch.undo()
        assert rc == 2 and "ディスクの空きが足りない" in printed and "前の状態のまま" in printed
        assert "Traceback" not in printed
        assert _snapshot(out) == before  # no new member, no temporary file left behind
        pd.testing.assert_frame_equal(load_processed(out).responses, old)

    # a clean run replaces everything
    assert run_cli("ingest", second, "--out", out)[0] == 0
    final = _snapshot(out)
    assert final["problems.csv"] != before["problems.csv"]
    assert not set(before) - {"ingest_meta.json", "problems.csv", ".zaitaku.lock", "README.md"} & set(final)  # old members gone
    assert not load_processed(out).responses.equals(old)


def test_write_outputs_twice_is_byte_stable_for_data(demo_result, processed_dir, tmp_path):
    out = tmp_path / "again"
    write_outputs(demo_result, out)
    for key in MEMBERS:
        assert md5(outputs(out)[key]) == md5(outputs(processed_dir)[key]), key


def test_raw_folder_untouched_by_cli(demo_raw, cli_out):
    names = sorted(p.name for p in demo_raw.iterdir())
    assert names == ["README.md", "demo_r3.xlsx", "demo_r3_cp932.csv"]



def test_blank_line_does_not_shift_row_numbers(sample, tmp_path):
    code = _answered(sample, col(sample, *Q1))[5]
    grid, line = _damage(sample, code, col(sample, *Q1), "7")
    lines = grid.to_csv(header=False, index=False).splitlines()
    lines.insert(line - 3, "")  # an empty line a few rows above the damaged one
    path = tmp_path / "blank_line.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert path.read_text(encoding="utf-8").splitlines()[line].startswith(code)  # now one line lower
    result = ingest([path])
    assert problems_as_tuples(result.problems) == {("blank_line.csv", line + 1, "問1 協議会の設置 | 回答", "7", AS_NA)}
    assert result.municipalities.set_index("code").loc[code, "source_row"] == line + 1

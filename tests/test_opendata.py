"""The open-data workbook, reopened with openpyxl and checked against 総務省's rules and independent sums.

Truth: the processed tidy responses (what each municipality chose) and shares recomputed here from the
workbook's own data sheet and from the responses with pandas (chosen / asked), not through
:mod:`zaitaku.analysis.aggregate`. The rendered reports' figures CSVs are compared in the slow test.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from zaitaku.analysis.processed import load_processed
from zaitaku.report.opendata import main as opendata_main
from zaitaku.report.opendata import prefecture_body_code, write_workbook

SHIMANE_CODES = {"322016": "松江市", "325279": "知夫村", "325287": "隠岐の島町"}
SHEETS = ["説明", "データ", "設問", "割合", "グラフ"]


@pytest.fixture(scope="module")
def data(processed_dir):
    return load_processed(processed_dir)


@pytest.fixture(scope="module")
def shimane(data, tmp_path_factory) -> Path:
    return write_workbook(data, tmp_path_factory.mktemp("od"), "島根県", "computed")


@pytest.fixture(scope="module")
def book(shimane):
    return openpyxl.load_workbook(shimane)


def _frame(ws) -> pd.DataFrame:
    rows = list(ws.iter_rows(values_only=True))
    df = pd.DataFrame(rows[1:], columns=rows[0])
    if "項目ID" in df.columns:  # an empty cell: not a matrix question
        df["項目ID"] = df["項目ID"].fillna("")
    return df


def test_file_name_sheets_and_no_merged_cells_formulas_or_objects(shimane, book):
    assert shimane.name == "R3_島根県_集計.xlsx"
    assert book.sheetnames == SHEETS
    for ws in book.worksheets:
        assert not ws.merged_cells.ranges, ws.title
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate)
                assert not (isinstance(cell.value, str) and cell.value.startswith("=")), (ws.title, cell.coordinate)
    # objects (charts, drawings) only on the chart sheet
    with zipfile.ZipFile(shimane) as z:
        drawings = [n for n in z.namelist() if n.startswith("xl/drawings/drawing")]
        sheet_rels = {n: z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/_rels/")}
    assert len(drawings) == 1
    assert [n for n, t in sheet_rels.items() if "drawing" in t] == ["xl/worksheets/_rels/sheet5.xml.rels"]


def test_synthetic_data_is_labelled(book, data):
    assert data.synthetic
    assert "架空データ" in book["説明"]["A1"].value
    d = _frame(book["データ"])
    assert set(d["備考"]) == {"デモ用の架空データ（synthetic）"}


def test_data_sheet_one_row_per_municipality_codes_as_text_and_year(book, data):
    ws = book["データ"]
    d = _frame(ws)
    members = data.municipalities[data.municipalities["pref_code"] == "32"]
    assert len(d) == len(members) == 19
    assert d["団体コード"].tolist() == sorted(members["code"])
    for name_row in range(2, ws.max_row + 1):
        cell = ws.cell(name_row, 1)
        assert cell.data_type == "s" and len(cell.value) == 6 and cell.value.isdigit()
    assert ws.cell(2, 5).data_type == "n" and set(d["年度"]) == {2021}
    assert set(d["年度（和暦）"]) == {"令和3年度"}
    for code, name in SHIMANE_CODES.items():
        assert d.loc[d["団体コード"] == code, "市区町村名"].item() == name
    assert d.columns.is_unique


def test_data_cells_equal_the_answers(book, data):
    d = _frame(book["データ"]).set_index("団体コード")
    cb = _frame(book["設問"])
    assert cb["列名"].tolist() == [c for c in d.columns if c not in
                                 ("都道府県名", "市区町村名", "市区町村の種類", "年度", "年度（和暦）", "回答の有無", "備考")]
    r = data.responses.set_index(["municipality_code", "question_id", "row_id", "option_id"])["value"]
    checked = 0
    for code in SHIMANE_CODES:
        for _, c in cb.iterrows():
            expected = r.get((code, c["設問ID"], c["項目ID"], c["選択肢ID"]))
            got = d.loc[code, c["列名"]]
            if expected is None or pd.isna(expected):
                assert got is None or pd.isna(got), (code, c["列名"])
            else:
                assert got == int(expected), (code, c["列名"])
                checked += 1
    assert checked > 1000
    # a municipality that was not asked a conditional question has empty cells there
    asked = cb[cb["対象"] != "全市区町村"]
    assert asked["列名"].map(lambda col: d[col].isna().any()).any()


def test_codebook_sheet_names_question_options_and_source(book, data):
    cb = _frame(book["設問"])
    q1 = cb[cb["設問ID"] == "q1"]
    assert q1["選択肢"].tolist() == ["設置している", "設置していない", "未回答"]
    assert set(q1["設問番号"]) == {"問1"} and q1["設問文"].iloc[0] == data.codebook["q1"].text
    assert cb["出典"].str.startswith(("調査票・公表資料", "推定")).all()
    assert cb["設問ID"].nunique() == len(data.codebook.questions)


def _recomputed(d: pd.DataFrame, cb: pd.DataFrame) -> pd.DataFrame:
    """Shares from the data sheet: chosen / asked per column (asked = any answer in that question × row)."""
    rows = []
    for (qid, row_id), cols in cb.groupby(["設問ID", "項目ID"], dropna=False, sort=False):
        block = d[cols["列名"].tolist()]
        asked = block.notna().any(axis=1)
        for _, c in cols.iterrows():
            rows.append((qid, row_id, c["選択肢ID"], int(block.loc[asked, c["列名"]].sum()), int(asked.sum())))
    return pd.DataFrame(rows, columns=["設問ID", "項目ID", "選択肢ID", "該当数", "分母"])


def test_prefecture_shares_equal_sums_of_the_data_sheet(book):
    d, cb, shares = _frame(book["データ"]), _frame(book["設問"]), _frame(book["割合"])
    pref = shares[(shares["集計範囲コード"] == prefecture_body_code("32")) & (shares["種別"] == "選択肢")]
    assert prefecture_body_code("32") == "320005"
    merged = pref.merge(_recomputed(d, cb), on=["設問ID", "項目ID", "選択肢ID"], suffixes=("", "_truth"),
                        validate="one_to_one")
    assert len(merged) == len(pref) == len(cb)
    assert (merged["該当数"] == merged["該当数_truth"]).all()
    assert (merged["分母"] == merged["分母_truth"]).all()
    big = merged[merged["分母"] >= 5]
    assert ((big["割合(%)"] - (big["該当数"] / big["分母"] * 100).round(1)).abs() < 1e-9).all()
    assert merged.loc[merged["分母"].between(1, 4), "割合(%)"].isna().all()


def test_national_shares_equal_the_responses(book, data):
    shares = _frame(book["割合"])
    nation = shares[(shares["集計範囲"] == "全国") & (shares["種別"] == "選択肢")]
    r = data.responses.dropna(subset=["value"])
    truth = r.groupby(["question_id", "row_id", "option_id"])["value"].agg(["sum", "count"]).reset_index()
    truth.columns = ["設問ID", "項目ID", "選択肢ID", "該当数_truth", "分母_truth"]
    merged = nation.merge(truth, on=["設問ID", "項目ID", "選択肢ID"], validate="one_to_one")
    assert len(merged) == len(nation) > 400
    assert (merged["該当数"] == merged["該当数_truth"]).all() and (merged["分母"] == merged["分母_truth"]).all()
    assert set(nation["年度"]) == {2021} and nation["集計範囲コード"].isna().all()


def test_option_groups_are_in_the_shares(book):
    shares = _frame(book["割合"])
    groups = shares[shares["種別"] == "選択肢のまとめ"]
    assert "協力している（A+B+C）" in set(groups["選択肢"])


def test_chart_sheet_describes_every_chart(shimane, book):
    ws = book["グラフ"]
    descriptions = [c.value for c in ws["A"] if c.value]
    assert len(descriptions) > 10
    assert all("回答割合" in t and "シート「割合」" in t for t in descriptions)
    with zipfile.ZipFile(shimane) as z:
        charts = [n for n in z.namelist() if n.startswith("xl/charts/chart")]
        drawing = z.read("xl/drawings/drawing1.xml").decode()
    assert len(charts) == len(descriptions)
    for text in descriptions:  # each chart's alternative text is the sentence above it
        assert f'descr="{text}"' in drawing


def test_command_writes_prefecture_workbook(processed_dir, tmp_path, capsys):
    assert opendata_main(["--prefecture", "32", "--out", str(tmp_path), "--data-dir", str(processed_dir)]) == 0
    path = tmp_path / "R3" / "32_島根県" / "R3_島根県_集計.xlsx"
    assert str(path) in capsys.readouterr().out
    assert openpyxl.load_workbook(path).sheetnames == SHEETS


@pytest.mark.slow
def test_render_writes_and_links_the_workbook_equal_to_the_figures_csvs(processed_dir, tmp_path):
    """The four prefecture-mode reports of 島根県 rendered: their figures CSVs hold the workbook's numbers."""
    from zaitaku.paths import NOTEBOOKS_DIR
    from zaitaku.render.batch import render_batch
    from zaitaku.render.scope import DEFAULT_GROUPS, Scope

    notebooks = {g: NOTEBOOKS_DIR / f"{g}.ipynb" for g in DEFAULT_GROUPS}
    summary = render_batch([Scope("32", "島根県")], notebooks=notebooks, out=tmp_path, data_dir=processed_dir,
                           national="computed", workers=1, progress=False)
    assert summary.ok
    pdir = tmp_path / "R3" / "32_島根県"
    workbook = pdir / "R3_島根県_集計.xlsx"
    assert summary.opendata == [workbook]
    assert 'href="R3_島根県_集計.xlsx"' in (pdir / "index.html").read_text(encoding="utf-8")
    assert 'href="32_島根県/R3_島根県_集計.xlsx"' in (tmp_path / "R3" / "index.html").read_text(encoding="utf-8")
    shares = _frame(openpyxl.load_workbook(workbook)["割合"])
    csvs = [pd.read_csv(p, dtype=str, keep_default_na=False, encoding="utf-8-sig")
            for p in sorted((pdir / "prefecture").glob("*_figures.csv"))]
    assert len(csvs) == 4
    figures = pd.concat(csvs, ignore_index=True)
    assert set(figures["fiscal_year"]) == {"2021"} and set(figures["fiscal_year_ja"]) == {"令和3年度"}
    assert set(figures.loc[figures["scope"] == "prefecture", "scope_body_code"]) == {"320005"}
    figures = figures.drop_duplicates(["question_id", "row_id", "scope", "option_id"])
    merged = figures.merge(shares.astype({"該当数": "Int64", "分母": "Int64"}),
                           left_on=["question_id", "row_id", "option_id", "scope_label"],
                           right_on=["設問ID", "項目ID", "選択肢ID", "集計範囲"], validate="one_to_one")
    assert len(merged) == len(figures) == len(shares)
    assert (merged["n_selected"].astype(int) == merged["該当数"]).all()
    assert (merged["n_base"].astype(int) == merged["分母"]).all()
    big = merged[merged["分母"] >= 5]
    assert ((big["share"].astype(float) * 100).round(1) == big["割合(%)"]).all()
    # unchanged data: the workbook is not rewritten
    again = render_batch([Scope("32", "島根県")], notebooks=notebooks, out=tmp_path, data_dir=processed_dir,
                         national="computed", workers=1, progress=False)
    assert again.opendata == []


@pytest.mark.slow
def test_national_workbook_all_municipalities_and_prefectures(data, tmp_path):
    path = write_workbook(data, tmp_path, None, "computed")
    assert path.name == "R3_全国_集計.xlsx"
    book = openpyxl.load_workbook(path, read_only=True)
    d = _frame(book["データ"])
    assert len(d) == 1741 and d["団体コード"].is_unique and d["団体コード"].str.fullmatch(r"\d{6}").all()
    shares = _frame(book["割合"])
    prefs = shares.loc[shares["集計範囲コード"].notna(), "集計範囲コード"].unique()
    assert len(prefs) == 47 and set(prefs) >= {"010006", "320005", "470007"}
    assert (shares["集計範囲"] == "全国").any()
    # a prefecture's rows equal those of its own workbook
    own = _frame(openpyxl.load_workbook(write_workbook(data, tmp_path / "pref", "島根県", "computed"))["割合"])
    shimane = shares[shares["集計範囲コード"] == "320005"].reset_index(drop=True)
    assert shimane.equals(own[own["集計範囲コード"] == "320005"].reset_index(drop=True))


def test_a_workbook_that_cannot_be_written_shows_in_the_batch_result(processed_dir, tmp_path, monkeypatch, capsys):
    """A workbook forced to fail (its writer raises) is named, and the batch is not ok (exit code 1)."""
    from zaitaku.render.opendata import write_batch_opendata
    from zaitaku.render.scope import Scope
    from zaitaku.report import opendata

    def broken(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(opendata, "write_workbook", broken)
    (tmp_path / "R3").mkdir()
    written, failed = write_batch_opendata([Scope("32", "島根県")], tmp_path / "R3", processed_dir, "computed")
    assert written == [] and failed == ["島根県"]
    assert "島根県の集計表（xlsx）を作れませんでした" in capsys.readouterr().err

    from zaitaku.render.batch import BatchSummary

    summary = BatchSummary(tmp_path / "R3", None, 0, 0, 0, [], 0.0, {}, opendata_failed=failed)
    assert not summary.ok

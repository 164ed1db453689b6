"""The open-data workbook a prefecture may publish: ``R3_<都道府県>_集計.xlsx`` (or ``R3_全国_集計.xlsx``).

Written with XlsxWriter after 総務省「機械判読可能なデータの表記方法の統一ルール」: one value per cell,
one header row, no merged cells, no formulas, no objects on a data sheet, codes as text and the
Western year beside the Japanese era. Sheets:

* ``説明`` — what the workbook is (synthetic data said so), the sheets, what the values mean;
* ``データ`` — one row per municipality: 団体コード (6-digit text), names, 年度 2021 and 令和3年度,
  then one column per question × row × option: 1 chosen, 0 not chosen, empty where the
  municipality was not asked or did not respond;
* ``設問`` — the codebook, one row per data column: column name, number, question, row, option, source;
* ``割合`` — scope × question × row × option: 該当数, 分母, 割合(%) — the same numbers as the reports'
  figures CSVs (:func:`zaitaku.report.figures_csv.figures_frame`), small bases without a percentage;
* ``グラフ`` — charts of the single- and multi-choice questions, each with a description above it
  and as alternative text (charts live only here).

``zaitaku render`` writes it for each rendered prefecture and, with ``--all``, for the nation;
``python -m zaitaku.report.opendata --prefecture 島根県 [--all] --out reports`` writes it alone.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

import pandas as pd
import xlsxwriter

from zaitaku.analysis.aggregate import NATIONAL_CHOICES, comparison, focus_of
from zaitaku.analysis.processed import ProcessedData, load_processed
from zaitaku.files.atomic import atomic_path
from zaitaku.reference.codebook import NO_ANSWER, NO_ANSWER_LABEL, Question
from zaitaku.reference.municipalities.codes import check_digit
from zaitaku.report.figures_csv import figures_frame

NATION = "全国"
SYNTHETIC_NOTE = "デモ用の架空データ（synthetic）"
ERA_START = {"R": 2018, "H": 1988}
ID_COLUMNS = ["団体コード", "都道府県名", "市区町村名", "市区町村の種類", "年度", "年度（和暦）", "回答の有無"]
SHARE_COLUMNS = ["年度", "年度（和暦）", "集計範囲コード", "集計範囲", "設問番号", "設問ID", "設問", "項目ID", "項目",
                 "選択肢ID", "選択肢", "種別", "該当数", "分母", "割合(%)", "出典"]
CODEBOOK_COLUMNS = ["列名", "設問番号", "設問ID", "設問", "設問文", "回答形式", "項目ID", "項目", "選択肢ID", "選択肢",
                    "対象", "出典"]
TYPE_JA = {"single": "単一回答", "multi": "複数回答", "matrix-single": "項目ごとの単一回答",
           "matrix-multi": "項目ごとの複数回答"}


def fiscal_year(survey_year: str) -> tuple[int, str]:
    """``"R3"`` → ``(2021, "令和3年度")``."""
    era, number = survey_year[:1].upper(), survey_year[1:]
    if era not in ERA_START or not number.isdigit():
        raise ValueError(f"調査年度 {survey_year!r} を西暦に直せません（R3 のように指定してください）")
    name = {"R": "令和", "H": "平成"}[era]
    return ERA_START[era] + int(number), f"{name}{int(number)}年度"


def prefecture_body_code(pref_code: str) -> str:
    """The prefecture's 団体コード: 2 digits, 000 and the check digit (島根県 32 → 320005)."""
    five = f"{int(pref_code):02d}000"
    return five + check_digit(five)


def with_codes(figures: pd.DataFrame, survey_year: str) -> pd.DataFrame:
    """A report's figures CSV frame with the open-data columns added at the end: ``fiscal_year`` (2021),
    ``fiscal_year_ja`` (令和3年度) and ``scope_body_code`` (the scope's 6-digit 団体コード; empty for the
    nation and the same-kind groups)."""
    if figures.empty:
        return figures
    year, era = fiscal_year(survey_year)
    codes = [prefecture_body_code(c) if s == "prefecture" else str(c) if s == "municipality" else ""
             for s, c in zip(figures["scope"], figures["scope_code"], strict=True)]
    return figures.assign(fiscal_year=year, fiscal_year_ja=era, scope_body_code=codes)


def workbook_filename(survey_year: str, prefecture: str | None) -> str:
    return f"{survey_year}_{prefecture or NATION}_集計.xlsx"


def _option_ids(q: Question) -> list[tuple[str, str]]:
    return [(o.id, o.label) for o in q.options] + [(NO_ANSWER, NO_ANSWER_LABEL)]


def column_name(q: Question, row_id: str, option_label: str) -> str:
    """The data sheet's header of one question × row × option: 「問2［郡市区医師会］特に無し」."""
    row = f"［{q.row(row_id).label}］" if row_id else " "
    return f"{q.number}{row}{option_label}"


def codebook_frame(data: ProcessedData) -> pd.DataFrame:
    """設問 sheet: one row per answer column of the data sheet."""
    cb, rows = data.codebook, []
    for q in cb:
        source = "調査票・公表資料" if q.source != "reconstructed" else f"推定（{q.source_note}）"
        asked = q.asked_if.describe(cb) if q.asked_if else "全市区町村"
        for row_id in q.row_ids:
            for oid, label in _option_ids(q):
                rows.append([column_name(q, row_id, label), q.number, q.id, q.title, q.text, TYPE_JA.get(q.type, q.type),
                             row_id, q.row(row_id).label if row_id else "", oid, label, asked, source])
    return pd.DataFrame(rows, columns=CODEBOOK_COLUMNS)


def data_frame(data: ProcessedData, pref_code: str | None) -> pd.DataFrame:
    """データ sheet: municipalities (of a prefecture, or all) × answer columns; Int8 0/1, <NA> not asked."""
    year, era = fiscal_year(data.codebook.survey_year)
    m = data.municipalities
    if pref_code:
        m = m[m["pref_code"] == pref_code]
    m = m.sort_values("code")
    out = pd.DataFrame({"団体コード": m["code"].astype(str).to_numpy(), "都道府県名": m["prefecture"].to_numpy(),
                        "市区町村名": m["name"].to_numpy(), "市区町村の種類": m["type"].to_numpy(),
                        "年度": year, "年度（和暦）": era,
                        "回答の有無": m["responded"].astype(int).to_numpy()})
    r = data.responses
    r = r[r["municipality_code"].isin(out["団体コード"])]
    wide = r.pivot_table(index="municipality_code", columns=["question_id", "row_id", "option_id"],
                         values="value", aggfunc="first", dropna=False)
    columns: dict[str, pd.Series] = {}
    for q in data.codebook:
        for row_id in q.row_ids:
            for oid, label in _option_ids(q):
                key = (q.id, row_id, oid)
                values = wide[key] if key in wide.columns else pd.Series(pd.NA, index=wide.index)
                columns[column_name(q, row_id, label)] = pd.array(
                    values.reindex(out["団体コード"]).to_numpy(), dtype="Int8")
    out = pd.concat([out, pd.DataFrame(columns)], axis=1)
    if data.synthetic:
        out.insert(len(ID_COLUMNS), "備考", SYNTHETIC_NOTE)
    return out


class _Figures(NamedTuple):
    question: Question
    figures: pd.DataFrame


def scope_figures(data: ProcessedData, prefectures: Sequence[tuple[str, str]], national: str) -> list[_Figures]:
    """Per question the figures of the prefecture reports: per matrix row, each prefecture, then the nation."""
    out = []
    for q in data.codebook:
        frames = [comparison(data, q.id, focus_of(data, "", code), national) for code, _name in prefectures]
        parts = []
        for row_id in q.row_ids:
            parts += [df[(df["row_id"] == row_id) & (df["scope"] == "prefecture")] for df in frames]
            parts.append(frames[0][(frames[0]["row_id"] == row_id) & (frames[0]["scope"] == "nation")])
        out.append(_Figures(q, pd.concat(parts, ignore_index=True)))
    return out


def shares_frame(data: ProcessedData, figures: Sequence[_Figures]) -> pd.DataFrame:
    """割合 sheet: the figures CSV's columns with the ids, the scope's 団体コード and the year."""
    year, era = fiscal_year(data.codebook.survey_year)
    frames = []
    for f in figures:
        base = figures_frame([f])
        df = f.figures.reset_index(drop=True)
        codes = [prefecture_body_code(c) if s == "prefecture" else "" for s, c in
                 zip(df["scope"], df["scope_code"], strict=True)]
        frames.append(pd.DataFrame({
            "年度": year, "年度（和暦）": era, "集計範囲コード": codes, "集計範囲": base["集計範囲"],
            "設問番号": base["設問番号"], "設問ID": f.question.id, "設問": base["設問"],
            "項目ID": df["row_id"].astype(str), "項目": base["項目"], "選択肢ID": df["option_id"].astype(str),
            "選択肢": base["選択肢"], "種別": base["種別"], "該当数": base["該当数"], "分母": base["分母"],
            "割合(%)": base["割合(%)"], "出典": base["出典"]}))
    return pd.concat(frames, ignore_index=True)


def _write_frame(ws, df: pd.DataFrame, formats: dict) -> None:
    """Header in row 1, one value per cell: strings as strings (never formulas), numbers as numbers."""
    for j, name in enumerate(df.columns):
        ws.write_string(0, j, str(name), formats["header"])
    for j, name in enumerate(df.columns):
        col = df[name]
        numeric = pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col)
        for i, value in enumerate(col.tolist(), start=1):
            if (isinstance(value, str) and not value) or (not isinstance(value, str) and pd.isna(value)):
                continue  # empty cell: not asked, no figure, no matrix row
            if numeric:
                ws.write_number(i, j, float(value) if isinstance(value, float) else int(value))
            else:
                ws.write_string(i, j, str(value))
    ws.freeze_panes(1, 0)


def _readme_lines(data: ProcessedData, scope: str, n_rows: int) -> list[str]:
    year, era = fiscal_year(data.codebook.survey_year)
    lines = []
    if data.synthetic:
        lines.append(f"⚠ {SYNTHETIC_NOTE}です。実在の市区町村の回答ではありません。")
    lines += [
        f"{data.codebook.title}　集計表（{scope}、{era}＝{year}年度）",
        f"データ：{n_rows}市区町村（1行に1団体）。処理済みデータ md5 {data.data_hash}。作成：zaitaku",
        "シート「データ」：団体コード（6桁、文字列）、年度（西暦）と年度（和暦）、回答の有無（1=回答あり、0=回答なし）、"
        "設問×項目×選択肢ごとの列（1=選んだ、0=選ばなかった、空欄=対象外または回答なし）。",
        "シート「設問」：データの列ごとに、設問番号・設問・項目・選択肢・対象・出典。",
        "シート「割合」：集計範囲（都道府県・全国）×設問×項目×選択肢の該当数・分母・割合(%)。"
        "分母が5未満の割合は空欄です（該当数/分母をご覧ください）。報告書の数値CSVと同じ値です。",
        "シート「グラフ」：単一回答・複数回答の設問の割合のグラフ（説明文つき）。",
        "自由記述（その他の内容）は含めていません。",
        "総務省「機械判読可能なデータの表記方法の統一ルール」に沿って作成しています（結合セル・数式・図なし）。",
    ]
    return lines


def _chart_sheet(wb, shares: pd.DataFrame, sheet: str) -> None:
    """One clustered bar chart per question without rows: a series per scope, from the 割合 sheet."""
    ws = wb.add_worksheet("グラフ")
    ws.set_column(0, 0, 110)
    pct_col, opt_col = SHARE_COLUMNS.index("割合(%)"), SHARE_COLUMNS.index("選択肢")
    row = 0
    for qid, part in shares.groupby("設問ID", sort=False):
        if (part["項目ID"] != "").any():
            continue
        part = part[part["種別"] == "選択肢"]
        scopes = list(dict.fromkeys(part["集計範囲"]))
        if len(scopes) > 3:  # the national workbook: the nation only
            scopes = [s for s in scopes if s.startswith(NATION)] or scopes[:1]
        first = part.iloc[0]
        description = (f"{first['設問番号']} {first['設問']}：選択肢ごとの回答割合（%）。"
                       f"{'、'.join(scopes)}。数値はシート「割合」の設問ID {qid} の行にあります。")
        ws.write_string(row, 0, description)
        chart = wb.add_chart({"type": "bar"})
        for scope in scopes:
            rows = part[part["集計範囲"] == scope].index
            lo, hi = int(rows.min()) + 1, int(rows.max()) + 1  # +1: header row
            chart.add_series({"name": scope, "categories": [sheet, lo, opt_col, hi, opt_col],
                              "values": [sheet, lo, pct_col, hi, pct_col]})
        chart.set_title({"name": f"{first['設問番号']} {first['設問']}"})
        chart.set_x_axis({"min": 0, "max": 100, "name": "割合(%)"})
        chart.set_y_axis({"reverse": True})
        chart.set_legend({"position": "bottom"})
        chart.set_size({"width": 760, "height": 120 + 28 * len(part) // max(len(scopes), 1) * len(scopes)})
        ws.insert_chart(row + 1, 0, chart, {"description": description})
        row += 2 + (120 + 28 * len(part)) // 20 + 2


def write_workbook(data: ProcessedData, out_dir: Path | str, prefecture: str | None = None,
                   national: str = "auto") -> Path:
    """Write ``<out_dir>/R3_<prefecture|全国>_集計.xlsx`` atomically; returns its path."""
    m = data.municipalities
    if prefecture:
        focus = focus_of(data, "", prefecture)
        prefectures = [(focus.pref_code, focus.pref_name)]
        pref_code, scope = focus.pref_code, focus.pref_name
    else:
        prefectures = sorted(set(zip(m["pref_code"], m["prefecture"], strict=True)))
        pref_code, scope = None, NATION
    path = Path(out_dir) / workbook_filename(data.codebook.survey_year, None if pref_code is None else scope)
    records = data_frame(data, pref_code)
    shares = shares_frame(data, scope_figures(data, prefectures, national))
    codebook = codebook_frame(data)
    with atomic_path(path) as tmp:
        wb = xlsxwriter.Workbook(str(tmp), {"strings_to_formulas": False, "strings_to_numbers": False,
                                            "strings_to_urls": False})
        wb.set_properties({"title": f"{data.codebook.title} 集計表（{scope}）",
                           "subject": SYNTHETIC_NOTE if data.synthetic else "在宅医療・介護連携推進事業",
                           "author": "zaitaku", "comments": f"処理済みデータ md5 {data.data_hash}"})
        formats = {"header": wb.add_format({"bold": True})}
        readme = wb.add_worksheet("説明")
        readme.set_column(0, 0, 120)
        for i, line in enumerate(_readme_lines(data, scope, len(records))):
            readme.write_string(i, 0, line)
        for name, frame in (("データ", records), ("設問", codebook), ("割合", shares)):
            _write_frame(wb.add_worksheet(name), frame, formats)
        _chart_sheet(wb, shares, "割合")
        wb.close()
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m zaitaku.report.opendata",
                                     description="オープンデータ用の集計表（R3_<都道府県>_集計.xlsx）を書きます。")
    parser.add_argument("--prefecture", action="extend", nargs="+", default=[], help="都道府県名または2桁のコード")
    parser.add_argument("--all", action="store_true", help="全国の集計表（R3_全国_集計.xlsx）も書く")
    parser.add_argument("--out", type=Path, default=Path("reports"), help="出力フォルダ（既定 reports/、年度のフォルダの下）")
    parser.add_argument("--data-dir", type=Path, default=Path("data/processed"))
    parser.add_argument("--national", choices=NATIONAL_CHOICES, default="auto")
    parser.add_argument("--year", default=None, help="調査年度（例 R3。既定は処理済みデータの最新の年度）")
    args = parser.parse_args(argv)
    data = load_processed(args.data_dir, args.year)
    for path in write_opendata(data, args.out, args.prefecture, nation=args.all, national=args.national):
        print(path)
    return 0


def opendata_dir(out_year: Path, pref_code: str | None, prefecture: str | None) -> Path:
    """Where a workbook goes: beside the prefecture's index page, or the top index for the nation."""
    from zaitaku.render.scope import Scope

    return out_year / Scope(pref_code, prefecture or "").pref_dir if pref_code else out_year


def write_opendata(data: ProcessedData, out: Path, prefectures: Sequence[str], *, nation: bool = False,
                   national: str = "auto", stream=None) -> list[Path]:
    """The workbooks of ``prefectures`` (and the nation) under ``out/<year>/``; one failing does not stop the others."""
    out_year = Path(out) / data.codebook.survey_year
    written = []
    targets: list[str | None] = [*prefectures, *([None] if nation else [])]
    for pref in targets:
        try:
            pref_code = focus_of(data, "", pref).pref_code if pref else None
            name = focus_of(data, "", pref).pref_name if pref else None
            written.append(write_workbook(data, opendata_dir(out_year, pref_code, name), name, national))
        except Exception as exc:
            print(f"zaitaku: {pref or NATION}の集計表（xlsx）を作れませんでした: {type(exc).__name__}: {exc}",
                  file=stream or sys.stderr)
    return written


if __name__ == "__main__":
    sys.exit(main())

"""Read survey files as delivered (xlsx/csv, any header layout with a map), validate, write tidy data.

``zaitaku ingest RAW... --out data/processed`` writes ``responses`` (tidy, one row per
municipality × question × row × option, 未回答 as option ``na``), ``municipalities``, ``shares``,
``problems`` (ファイル, 行, 列, 値, 問題, 対応 — rows of the files as delivered) and
``ingest_meta.json`` (md5 of every raw file, codebook version, members), as one unit
(:mod:`zaitaku.ingest.output`). Raw files are only read. A file that cannot be read is reported
and the others are still ingested (exit 1); nothing readable leaves the processed data as it was
(exit 2).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from zaitaku import __version__
from zaitaku.analysis.schema import responses_schema
from zaitaku.files import atomic
from zaitaku.files.oserrors import os_error_line
from zaitaku.ingest import shapes
from zaitaku.ingest.forms import form_table, looks_like_form
from zaitaku.ingest.header import Table, find_table
from zaitaku.ingest.layout import (
    HeaderMap,
    HeaderMapError,
    default_header_map,
    read_header_map,
    validate_header_map,
)
from zaitaku.ingest.output import PROBLEMS_NAME, OutputError, write_processed
from zaitaku.ingest.parse import FileParser
from zaitaku.ingest.problems import (
    KIND_JA,
    LEFT_OUT,
    Problem,
    ProblemKind,
    problems_frame,
    to_excel_columns,
)
from zaitaku.ingest.records import (  # noqa: F401  (re-exported)
    BLANK,
    INVALID,
    NOT_ASKED,
    Record,
    check_logic,
    dedupe,
    to_tidy,
)
from zaitaku.ingest.workbook import CSV_SUFFIXES, EXCEL_SUFFIXES, ReadError, read_grid
from zaitaku.paths import PROCESSED_DATA_DIR
from zaitaku.reference.codebook import Codebook, CodebookError, load_codebook
from zaitaku.reference.codebook_source import (
    FOLDER_NAMES,
    codebook_in_folders,
    for_meta,
    use_codebook,
)
from zaitaku.reference.municipalities import CodeError, registry_as_of

IngestError = ReadError  # a whole file cannot be read (encoding, no municipality column, too few columns)


@dataclass
class IngestResult:
    responses: pd.DataFrame
    municipalities: pd.DataFrame
    problems: pd.DataFrame
    meta: dict
    failed: list[tuple[str, str]] = field(default_factory=list)  # (file, message)

    @property
    def n_municipalities(self) -> int:
        return int(self.municipalities["responded"].sum())


# files an operating system leaves in folders: not survey files, passed over without a word
SYSTEM_FILES = {"thumbs.db", "desktop.ini", ".ds_store"}


def expand_inputs(paths: list[Path], unread: list[tuple[str, str]] | None = None) -> list[Path]:
    """Files as given; a folder stands for the files directly inside it (sorted) that zaitaku reads.

    Every other file of a folder (not hidden, not an Excel lock file ``~$…``, not an operating
    system's) is added to ``unread`` with a Japanese reason, so no file passes unaccounted for.
    """
    out: list[Path] = []
    for p in map(Path, paths):
        if not p.is_dir():
            out.append(p)
            continue
        for f in sorted(p.iterdir()):
            if not f.is_file() or f.name.startswith((".", "~$")) or f.name.lower() in SYSTEM_FILES:
                continue
            if f.name in FOLDER_NAMES:
                continue  # the folder's codebook (choose_codebook), not a data file
            if f.suffix.lower() in EXCEL_SUFFIXES | CSV_SUFFIXES:
                out.append(f)
            elif unread is not None:
                unread.append((str(f), f"{f}: zaitaku が読まない種類のファイルです（{f.suffix or '拡張子なし'}）。"
                                       "調査結果なら xlsx・xls・xlsb・ods・csv・txt のどれかで保存してください"))
    return out


def read_table(path: Path, encoding: str | None = None, sheet: str | None = None, survey_year: str = "R3") -> Table:
    """The table in one file: a compiled table, or a questionnaire form (調査票) read as one row."""
    grid = read_grid(path, sheet=sheet, encoding=encoding)
    cb = load_codebook(survey_year)
    if looks_like_form(grid):
        return form_table(grid, cb)
    transposed = shapes.is_transposed(grid)
    if transposed:
        grid = shapes.transpose(grid)
    try:
        table = find_table(grid)
        if transposed:
            table.locate = shapes.locate_transposed
    except ReadError:
        if sheet is not None or Path(path).suffix.lower() not in EXCEL_SUFFIXES:
            raise
        table = shapes.first_table(Path(path), cb)  # the sheet with most cells is a cover or a summary
    long = shapes.long_table(table, cb)
    if long is not None:
        return long
    return shapes.multi_sheet_table(Path(path), table, cb) if sheet is None else table


def load_map(header_map: Path | None, survey_year: str) -> HeaderMap:
    cb = load_codebook(survey_year)
    if header_map is None:
        return validate_header_map(default_header_map(cb), cb, "標準の対応表")
    return read_header_map(Path(header_map), cb)


def ingest(paths: list[Path], *, header_map: Path | None = None, survey_year: str = "R3",
           encoding: str | None = None, sheet: str | None = None, prefecture: str | None = None,
           strict: bool = True) -> IngestResult:
    """Read, normalize and validate raw files; return tidy data and every problem found.

    ``strict`` raises the first file's :class:`ReadError`; otherwise unreadable files are listed in
    ``result.failed`` and the others are ingested.
    """
    cb = load_codebook(survey_year)
    spec_map = load_map(header_map, survey_year)
    problems: list[Problem] = [
        Problem(Path(src).name, line, header, "", f"対応表の行を使えません: {why}",
                "この行は使わず、この見出しの列は読みませんでした。対応表を直すと読めます", ProblemKind.MAP_ROW_UNUSED)
        for src, line, header, why in spec_map.unusable]
    records: list[Record] = []
    raw_files: list[dict] = []
    failed: list[tuple[str, str]] = []
    synthetic = False
    clashes = 0
    reads: Counter[tuple[str, str, bool]] = Counter()
    inferred: list[dict[str, str]] = []
    files = expand_inputs(paths, failed)
    if failed and strict:
        raise ReadError(failed[0][1])
    for p in files:
        try:
            table = read_table(p, encoding, sheet, survey_year)
            parser = FileParser(table, spec_map, cb, problems, prefecture)
        except ReadError as exc:
            if strict:
                raise
            failed.append((str(p), str(exc)))
            continue
        for why in table.grid.skipped_sheets:
            parser.report("", "", "", why, "このシートは読みませんでした", ProblemKind.SHEET_SKIPPED)
        recs = parser.parse()
        clashes += parser.clashes
        reads.update(parser.reads)
        if parser.inferred:
            inferred.append({"file": p.name, "prefecture": parser.inferred, "how": parser.inferred_how})
        syn = [c.index for c in parser.columns if c.spec.kind == "synthetic"]
        synthetic |= any("synthetic" in str(table.cell(r, j)) or "架空" in str(table.cell(r, j))
                         for j in syn for r in table.data_rows[:50])

        def report(rec, q, row, value, problem, action, kind, _parser=parser):
            col = f"{q.number} {q.title}" + (f"：{q.row(row).label}" if row else "")
            _parser.report(rec.row, col, value, f"{q.id}: {problem}", action, kind, rec.code)

        for r in recs:
            check_logic(r, cb, report)
        records += recs
        raw_files.append({"path": str(p), "name": p.name, "md5": atomic.md5_file(p), "bytes": p.stat().st_size,
                          "encoding": table.grid.encoding, "sheet": table.grid.sheet,
                          "header_rows": [r + 1 for r in table.header_rows], "data_rows": len(table.data_rows)})
    problems += [Problem(Path(f).name, "", "", "", message, "このファイルは読みませんでした", ProblemKind.FILE_FAILED)
                 for f, message in failed]
    records = dedupe(records, problems)
    tidy = responses_schema.validate(to_tidy(records, cb))
    reg = registry_as_of(cb.survey_year)  # 中核市 as of that year
    src = {r.code: (r.file, r.row) for r in records}
    munis = reg.assign(
        survey_year=cb.survey_year,
        responded=reg["code"].isin(src.keys()),
        source_file=reg["code"].map(lambda c: src.get(c, ("", 0))[0]),
        source_row=reg["code"].map(lambda c: src.get(c, ("", 0))[1]).astype("int64"),
    )
    problems_df = problems_frame(problems)
    meta = {
        "survey_year": cb.survey_year,
        "codebook_version": cb.version,
        "codebook": for_meta(cb),
        "zaitaku_version": __version__,
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "synthetic": synthetic,
        "raw_files": raw_files,
        "failed_files": [{"path": f, "message": m} for f, m in failed],
        "n_municipalities": len(records),
        "n_problems": len(problems),
        "column_clashes": clashes,
        "prefecture_inferred": inferred,
        "questions": question_summary(cb, reads, problems),
    }
    return IngestResult(tidy, munis, problems_df, meta, failed)


def question_summary(cb: Codebook, reads: Counter[tuple[str, str, bool]], problems: list[Problem]) -> dict:
    """Per question: cells read, by which rule (the map's kind), how many under a guess (要確認), problems."""
    n_problems = Counter(p.problem.split(":", 1)[0] for p in problems if ":" in p.problem)
    out = {}
    for q in cb:
        by_rule: dict[str, int] = {}
        for (qid, k, _), n in reads.items():
            if qid == q.id:
                by_rule[k] = by_rule.get(k, 0) + n
        out[q.id] = {"number": q.number, "cells": sum(by_rule.values()), "rules": by_rule,
                     "guessed": sum(n for (qid, _, g), n in reads.items() if qid == q.id and g),
                     "problems": n_problems.get(q.id, 0)}
    return out


RULE_JA = {"answer": "回答の列", "list": "複数回答の一覧", "flag": "選択肢ごとの印", "choice": "○の格子", "text": "自由記述"}


def print_question_summary(meta: dict) -> None:
    """The per-question summary as staff read it: a strange count shows a wrong rule."""
    print("設問ごとの読み取り（セル数・読み方・推定で読んだセル・問題）:")
    for s in meta.get("questions", {}).values():
        rules = "、".join(f"{RULE_JA.get(k, k)} {n}" for k, n in s["rules"].items()) or "列なし"
        guess = f"、推定 {s['guessed']}" if s["guessed"] else ""
        print(f"  {s['number']:<12} {s['cells']:>6} セル（{rules}）{guess}、問題 {s['problems']}")
    for f in meta.get("prefecture_inferred", []):
        print(f"  {f['file']}: 都道府県を {f['how']} から推定しました")


def write_outputs(result: IngestResult, out_dir: Path, inputs: Sequence[Path | str] = ()) -> list[Path]:
    """Write the processed set as one unit (refused when it would overwrite an input)."""
    if result.meta["n_municipalities"] == 0:
        raise ReadError("読み取れた市区町村が 0 件です。処理済みデータは変更していません")
    return write_processed(result.responses, result.municipalities, to_excel_columns(result.problems),
                           result.meta, Path(out_dir), inputs=[Path(p) for p in inputs])


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("raw", nargs="*", type=Path, help="調査結果のファイル（xlsx/csv）またはフォルダ")
    parser.add_argument("--out", type=Path, default=PROCESSED_DATA_DIR, help="出力フォルダ（既定 data/processed）")
    parser.add_argument("--year", help="調査年度（既定: コードブックの年度、なければ R3）")
    parser.add_argument("--codebook", type=Path,
                        help="使うコードブック（zaitaku codebook draft で作成。既定: 入力フォルダの codebook.yaml、なければ組み込み）")
    parser.add_argument("--header-map", type=Path, help="列の対応表 CSV（zaitaku draft-map で作成）")
    parser.add_argument("--encoding", help="CSV の文字コード（既定: utf-8-sig、だめなら cp932）")
    parser.add_argument("--sheet", help="読むシート名（既定: データの最も多いシート）")
    parser.add_argument("--prefecture", help="市区町村名だけのファイルの都道府県（同名の市町村を区別）")
    parser.add_argument("--write-header-map", type=Path, metavar="CSV",
                        help="標準レイアウトの対応表を書き出して終了")


def _err(message: str) -> None:
    print(f"zaitaku ingest: {message}", file=sys.stderr)


KEPT = "処理済みデータは前の状態のままです"


def choose_codebook(args: argparse.Namespace, raw: list[Path]) -> str:
    """Put in use the codebook of ``--codebook`` or of a raw folder; returns the survey year to read."""
    path = args.codebook or codebook_in_folders([Path(p) for p in raw])
    book = use_codebook(path) if path else None
    if book is None:
        return args.year or "R3"
    if args.year and args.year.upper() != book.survey_year.upper():
        raise CodebookError(f"{path}: コードブックの年度 {book.survey_year} と --year {args.year} が違います")
    print(f"コードブック: {path}（{book.version}）")
    return book.survey_year


def run(args: argparse.Namespace) -> int:
    """Exit 0: every file read and the set written; 1: written, some files, sheets or columns left out
    (listed); 2: nothing written, the previous processed data kept — whatever the cause."""
    try:
        return _run(args)
    finally:
        use_codebook(None)  # in-process callers (tests, notebooks) get the built-in codebook back


def _run(args: argparse.Namespace) -> int:
    try:
        args.year = choose_codebook(args, list(args.raw))
        if args.write_header_map:
            atomic.write_csv(default_header_map(load_codebook(args.year)), args.write_header_map, excel=True)
            print(f"{args.write_header_map} に書き出しました")
            return 0
        if not args.raw:
            _err("調査結果のファイルを 1 つ以上指定してください")
            return 2
        unread: list[tuple[str, str]] = []
        inputs = expand_inputs(args.raw, unread)
        if not inputs:
            for _, message in unread:
                _err(message)
            _err(f"指定したフォルダに読めるファイル（xlsx・xls・xlsb・ods・csv・txt）がありません。{KEPT}")
            return 2
        from zaitaku.ingest.output import check_not_inputs

        check_not_inputs(inputs, args.out)
        result = ingest(list(args.raw), header_map=args.header_map, survey_year=args.year, encoding=args.encoding,
                        sheet=args.sheet, prefecture=args.prefecture, strict=False)
        for _, message in result.failed:
            _err(message)
        if not result.meta["raw_files"]:
            _err(f"読めたファイルがありません。{KEPT}")
            return 2
        write_outputs(result, args.out, inputs)
    except (ReadError, HeaderMapError, OutputError, CodeError, CodebookError) as exc:
        _err(f"{exc}" if KEPT in str(exc) else f"{exc}（{KEPT}）")
        return 2
    except OSError as exc:  # disk full, read-only folder, long name: nothing was committed
        _err(os_error_line(exc, kept=KEPT))
        return 2
    except KeyboardInterrupt:
        _err(f"中断しました。{KEPT}")
        return 130
    try:
        print_question_summary(result.meta)
    except BrokenPipeError:
        sys.stdout = None
    label = "（デモ用の架空データ）" if result.meta["synthetic"] else ""
    print(f"{result.n_municipalities:,} 市区町村、{len(result.responses):,} 行、問題 {len(result.problems):,} 件{label}")
    print(f"{args.out} に書き出しました（問題の一覧: {args.out / PROBLEMS_NAME}）")
    if len(result.problems):
        try:
            print_problems(result.problems)
        except BrokenPipeError:  # `zaitaku ingest … | head`: the data is written; stop printing quietly
            sys.stdout = None
    left_out = result.problems[result.problems["kind"].isin({k.value for k in LEFT_OUT})]
    if result.meta["column_clashes"]:
        _err(f"警告: 同じ設問に対応する列が重なっていたため {result.meta['column_clashes']} 列を読みませんでした"
             f"（{args.out / PROBLEMS_NAME} に両方の列と使った列があります）。対応表を確かめてください")
    if result.failed:
        _err(f"{len(result.failed)} 個のファイルを読めませんでした（上記）。他のファイルは取り込みました")
    if len(left_out):
        counts = "、".join(f"{KIND_JA[ProblemKind(k)]} {n} 件" for k, n in left_out["kind"].value_counts(sort=False).items())
        _err(f"一部を読まずに書き出しました（{counts}）。内容は {args.out / PROBLEMS_NAME} にあります")
        return 1
    return 0


def print_problems(problems: pd.DataFrame, limit: int = 10) -> None:
    """What was found, by kind, then the first ``limit`` problems one line each (all of them in problems.csv)."""
    counts = "、".join(f"{KIND_JA[ProblemKind(k)]} {n} 件" for k, n in problems["kind"].value_counts(sort=False).items())
    print(f"問題の内訳: {counts}")
    for p in problems.head(limit).itertuples(index=False):
        where = p.file + (f" {p.row} 行目" if p.row else "") + (f" {p.column[:40]}" if p.column else "")
        value = f"（値「{p.value[:30]}」）" if p.value else ""
        print(f"  {where}{value}: {p.problem} → {p.action}")
    if len(problems) > limit:
        print(f"  …ほか {len(problems) - limit:,} 件")

"""Read survey exports (xlsx/csv), normalize them against the codebook and registry, write tidy data.

``zaitaku ingest RAW... --out data/processed`` writes ``responses.parquet`` (tidy, one row per
municipality × question × row × option, 未回答 as option ``na``), ``municipalities.parquet``,
``problems.csv`` (file, row, column, value, problem, action) and ``ingest_meta.json`` (md5 of
every raw file, codebook version, whether the data is synthetic). Raw files are only read.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from zaitaku import __version__
from zaitaku.analysis.aggregate import compute_shares
from zaitaku.analysis.schema import responses_schema
from zaitaku.files import atomic
from zaitaku.ingest.layout import (
    ColumnSpec,
    clean_header,
    default_header_map,
    joined_header,
    read_header_map,
    validate_header_map,
)
from zaitaku.ingest.values import CellError, normalize_cell, parse_code, parse_flag, parse_list
from zaitaku.paths import PROCESSED_DATA_DIR
from zaitaku.reference.codebook import NO_ANSWER, Codebook, Question, load_codebook
from zaitaku.reference.municipalities import CodeError, load_registry, normalize_prefecture, resolve

EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls"}
CSV_ENCODINGS = ("utf-8-sig", "cp932")
PROBLEM_COLUMNS = ["file", "row", "column", "value", "problem", "action"]
# per municipality and (question, row): a set of options, or one of these
BLANK, NOT_ASKED, INVALID = "blank", "not_asked", "invalid"


class IngestError(Exception):
    """A whole file cannot be read (encoding, no code column, nothing recognisable)."""


@dataclass
class Problem:
    file: str
    row: int | str
    column: str
    value: str
    problem: str
    action: str


@dataclass
class RawTable:
    """A raw export as read: normalized headers, string cells, where its data rows start."""

    path: Path
    headers: list[str]
    cells: pd.DataFrame
    header_rows: int
    encoding: str

    def excel_row(self, i: int) -> int:
        """1-based row number as a person sees it in Excel or a text editor."""
        return i + self.header_rows + 1


@dataclass
class Record:
    code: str
    file: str
    row: int
    code_column: str = ""
    answers: dict[tuple[str, str], object] = field(default_factory=dict)
    texts: dict[tuple[str, str, str], str] = field(default_factory=dict)


@dataclass
class IngestResult:
    responses: pd.DataFrame
    municipalities: pd.DataFrame
    problems: pd.DataFrame
    meta: dict

    @property
    def n_municipalities(self) -> int:
        return int(self.municipalities["responded"].sum())


# ---------------------------------------------------------------- reading


def _decode(path: Path, encoding: str | None) -> tuple[str, str]:
    data = path.read_bytes()
    tried = [encoding] if encoding else list(CSV_ENCODINGS)
    errors = []
    for enc in tried:
        try:
            return data.decode(enc), enc
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            errors.append(f"{enc}: byte 0x{data[exc.start]:02x} at offset {exc.start} (line {line})")
    raise IngestError(
        f"{path}: cannot decode the file as {' or '.join(tried)} ({'; '.join(errors)}). "
        "Save it as UTF-8 or cp932 (Shift_JIS), or name the encoding with --encoding."
    )


def read_raw(path: Path, spec_map: dict[str, ColumnSpec], encoding: str | None = None) -> RawTable:
    """Read one export; decide between a one- and a two-row header by which matches the map better."""
    path = Path(path)
    if not path.exists():
        raise IngestError(f"{path}: no such file")
    if path.suffix.lower() in EXCEL_SUFFIXES:
        try:
            grid = pd.read_excel(path, header=None, dtype=object, engine="calamine", sheet_name=0)
        except Exception as exc:  # noqa: BLE001 - any reader failure is a whole-file error
            raise IngestError(f"{path}: cannot read as Excel: {exc}") from exc
        enc = "xlsx"
    else:
        text, enc = _decode(path, encoding)
        try:
            # keep blank lines so that row numbers in problems.csv stay those of the file
            grid = pd.read_csv(io.StringIO(text), header=None, dtype=str, keep_default_na=False,
                               skip_blank_lines=False)
        except Exception as exc:  # noqa: BLE001
            raise IngestError(f"{path}: cannot parse as CSV ({enc}): {exc}") from exc
    if len(grid) < 2:
        raise IngestError(f"{path}: fewer than two rows; expected a header and data")
    top = [clean_header(v) for v in grid.iloc[0]]
    one = top
    filled, last = [], ""
    for t in top:
        last = t or last
        filled.append(last)
    two = [joined_header(t, s) for t, s in zip(filled, grid.iloc[1], strict=True)]
    hits1 = sum(h in spec_map for h in one)
    hits2 = sum(h in spec_map for h in two)
    headers, nrows = (two, 2) if hits2 > hits1 else (one, 1)
    if max(hits1, hits2) == 0:
        raise IngestError(
            f"{path}: none of its {len(top)} column headers match the header map "
            f"(read as {enc}; first headers: {', '.join(repr(h) for h in top[:3])}). "
            "Is the encoding right, or does the export need its own header map (--header-map)?"
        )
    cells = grid.iloc[nrows:].reset_index(drop=True)
    cells = cells.map(normalize_cell)
    return RawTable(path, headers, cells, nrows, enc)


# ---------------------------------------------------------------- parsing rows


def _resolve_code_cell(value: str, name: str, pref: str | None) -> str:
    """The municipality code of a code cell.

    Up to 5 digits is a 5-digit code without check digit (``32201``) or a 6-digit code whose
    leading zero was lost when Excel stored it as a number (``11002`` for 札幌市 ``011002``):
    the registered reading wins; when both are registered the name (or prefecture) cell decides.
    """
    if not (value.isascii() and value.isdigit() and len(value) < 6):
        return resolve(value)
    found = []
    for cand in (value.zfill(6), value.zfill(5)):
        try:
            found.append(resolve(cand))
        except CodeError:
            pass
    if len(found) == 2 and (name or pref):
        try:
            hint = resolve(name, prefecture=pref or None) if name else normalize_prefecture(pref)
        except CodeError:
            hint = None
        found = [c for c in found if hint in (c, c[:2])] or found
    return found[0] if len(found) == 1 else resolve(int(value))  # raises: unknown or ambiguous


class _FileParser:
    def __init__(self, table: RawTable, spec_map: dict[str, ColumnSpec], codebook: Codebook,
                 problems: list[Problem]):
        self.t = table
        self.cb = codebook
        self.problems = problems
        self.fname = table.path.name
        self.columns: dict[int, ColumnSpec] = {}
        for j, h in enumerate(table.headers):
            if h in spec_map:
                self.columns[j] = spec_map[h]
            elif h:
                self.report(table.header_rows, h, "", "column not in the header map", "column ignored")
        key_cols = [j for j, s in self.columns.items() if s.kind in ("code", "name")]
        if not key_cols:
            raise IngestError(f"{table.path}: no municipality code or name column (map a column with kind 'code')")
        self.key_header = self.header(key_cols[0])
        covered = {s.question_id for s in self.columns.values() if s.question_id}
        for q in codebook:
            if q.id not in covered:
                self.report(table.header_rows, f"{q.number} {q.title}", "", f"no column for question {q.id}",
                            "question left empty for this file's municipalities (未回答)")

    def report(self, row: int | str, column: str, value: object, problem: str, action: str) -> None:
        self.problems.append(Problem(self.fname, row, column, str(value), problem, action))

    def header(self, j: int) -> str:
        return self.t.headers[j]

    def code_of(self, i: int, row: pd.Series) -> str | None:
        code_cols = [j for j, s in self.columns.items() if s.kind == "code"]
        name_cols = [j for j, s in self.columns.items() if s.kind == "name"]
        pref_cols = [j for j, s in self.columns.items() if s.kind == "prefecture"]
        pref = row[pref_cols[0]] if pref_cols else None
        value = row[code_cols[0]] if code_cols else ""
        try:
            if value:
                code = _resolve_code_cell(value, row[name_cols[0]] if name_cols else "", pref)
                if name_cols and row[name_cols[0]]:
                    named = resolve(row[name_cols[0]], prefecture=pref or None)
                    if named != code:
                        self.report(self.t.excel_row(i), self.header(code_cols[0]), value,
                                    f"code {code} and name {row[name_cols[0]]!r} ({named}) disagree",
                                    "row excluded: fix the code or the name in the raw file")
                        return None
                return code
            if name_cols and row[name_cols[0]]:
                return resolve(row[name_cols[0]], prefecture=pref or None)
        except CodeError as exc:
            col = self.header(code_cols[0]) if value and code_cols else self.header(name_cols[0])
            self.report(self.t.excel_row(i), col, value or row[name_cols[0]], f"unknown municipality: {exc}",
                        "row excluded")
            return None
        self.report(self.t.excel_row(i), self.header(code_cols[0]) if code_cols else "", "",
                    "no municipality code or name", "row excluded")
        return None

    def parse(self) -> list[Record]:
        records = []
        for i, row in self.t.cells.iterrows():
            if not any(row.tolist()):
                continue  # an empty line, e.g. trailing rows in a spreadsheet
            code = self.code_of(int(i), row)
            if code is None:
                continue
            records.append(self.parse_row(int(i), row, code))
        return records

    def parse_row(self, i: int, row: pd.Series, code: str) -> Record:
        rec = Record(code, self.fname, self.t.excel_row(i), self.key_header)
        flags: dict[tuple[str, str], dict[str, bool | None]] = {}
        for j, spec in self.columns.items():
            value = row[j]
            if spec.kind in ("code", "name", "prefecture", "synthetic", "ignore"):
                continue
            q = self.cb[spec.question_id]
            key = (q.id, spec.row_id)
            try:
                if spec.kind == "answer":
                    opt = parse_code(value, q.option_ids, {o.id: o.label for o in q.options})
                    rec.answers[key] = BLANK if opt is None else frozenset({opt})
                elif spec.kind == "list":
                    sel = parse_list(value, q.option_ids)
                    rec.answers[key] = BLANK if sel is None else sel
                elif spec.kind == "flag":
                    flags.setdefault(key, {})[spec.option_id] = parse_flag(value)
                elif spec.kind == "text" and value:
                    rec.texts[(q.id, spec.row_id, spec.option_id)] = value
            except CellError as exc:
                self.report(rec.row, self.header(j), value, f"{q.id}: {exc}",
                            "answer to this question treated as 未回答")
                rec.answers[key] = INVALID
        for key, marks in flags.items():
            if rec.answers.get(key) == INVALID:
                continue
            chosen = frozenset(o for o, m in marks.items() if m)
            rec.answers[key] = chosen if chosen else BLANK
        return rec


def _check_logic(rec: Record, codebook: Codebook, report) -> None:
    """Exclusive options, conditions (asked_if) and subset rules, in questionnaire order."""
    for q in codebook:
        for row in q.row_ids:
            key = (q.id, row)
            val = rec.answers.get(key, BLANK)
            if isinstance(val, frozenset) and len(val) > 1:
                excl = [o.id for o in q.options if o.exclusive and o.id in val]
                if excl:
                    report(rec, q, row, ",".join(sorted(val)),
                           f"exclusive option {excl[0]} selected together with others",
                           "answer to this question treated as 未回答")
                    val = INVALID
            if q.asked_if is not None and not _condition_met(q, rec):
                if isinstance(val, frozenset):
                    report(rec, q, row, ",".join(sorted(val)),
                           f"answered although not asked ({q.asked_if.question} condition not met)",
                           "treated as not asked (非該当); the answer is kept only here")
                val = NOT_ASKED
            if q.subset_of and isinstance(val, frozenset):
                parent = rec.answers.get((q.subset_of, row))
                extra = sorted(val - parent) if isinstance(parent, frozenset) else sorted(val)
                if extra:
                    report(rec, q, row, ",".join(sorted(val)),
                           f"option(s) {','.join(extra)} not selected in {q.subset_of}", "kept as answered")
            rec.answers[key] = BLANK if val == INVALID else val
        for (qid, row, opt), text in list(rec.texts.items()):
            if qid == q.id:
                val = rec.answers.get((qid, row))
                if not (isinstance(val, frozenset) and opt in val):
                    report(rec, q, row, text, f"free text for option {opt}, which is not selected",
                           "free text kept in problems.csv only")
                    del rec.texts[(qid, row, opt)]


def _condition_met(q: Question, rec: Record) -> bool:
    c = q.asked_if
    parent = rec.answers.get((c.question, c.row or ""))
    return isinstance(parent, frozenset) and bool(parent & set(c.values))


def _dedupe(records: list[Record], problems: list[Problem]) -> list[Record]:
    by_code: dict[str, list[Record]] = {}
    for r in records:
        by_code.setdefault(r.code, []).append(r)
    kept = []
    for code, recs in by_code.items():
        if len(recs) == 1:
            kept.append(recs[0])
            continue
        where = ", ".join(f"{r.file} row {r.row}" for r in recs)
        same = all(r.answers == recs[0].answers and r.texts == recs[0].texts for r in recs[1:])
        for r in recs:
            if same:
                action = "kept the first, identical row" if r is recs[0] else "dropped: identical to the first"
            else:
                action = "municipality excluded: resolve the duplicate in the raw file"
            problems.append(Problem(r.file, r.row, r.code_column, code,
                                    f"municipality appears {len(recs)} times ({where})"
                                    + ("" if same else " with different answers"), action))
        if same:
            kept.append(recs[0])
    return kept


# ---------------------------------------------------------------- tidy output


def to_tidy(records: list[Record], codebook: Codebook) -> pd.DataFrame:
    """One row per municipality × question × row × option (plus ``na`` = 未回答); value NA = not asked."""
    codes = np.array([r.code for r in records], dtype=object)
    n = len(records)
    frames = []
    for q in codebook:
        opts = list(q.option_ids) + [NO_ANSWER]
        for row in q.row_ids:
            sel = np.zeros((n, len(opts)), dtype="float64")
            for i, r in enumerate(records):
                v = r.answers.get((q.id, row), BLANK)
                if v == NOT_ASKED:
                    sel[i, :] = np.nan
                elif v == BLANK:
                    sel[i, -1] = 1
                else:
                    for k, o in enumerate(q.option_ids):
                        if o in v:
                            sel[i, k] = 1
            text = np.full((n, len(opts)), None, dtype=object)
            for k, o in enumerate(opts):
                for i, r in enumerate(records):
                    t = r.texts.get((q.id, row, o))
                    if t:
                        text[i, k] = t
            frames.append(pd.DataFrame({
                "municipality_code": np.repeat(codes, len(opts)),
                "question_id": q.id,
                "row_id": row,
                "option_id": np.tile(np.array(opts, dtype=object), n),
                "value": pd.array(sel.reshape(-1), dtype="Float64").astype("Int8"),
                "free_text": pd.array(text.reshape(-1), dtype="string"),
            }))
    df = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    df.insert(0, "survey_year", codebook.survey_year)
    return df.sort_values(["municipality_code"], kind="stable").reset_index(drop=True)


def ingest(paths: list[Path], *, header_map: Path | None = None, survey_year: str = "R3",
           encoding: str | None = None) -> IngestResult:
    """Read, normalize and validate raw exports; return tidy data and every problem found."""
    cb = load_codebook(survey_year)
    if header_map is None:
        spec_map = validate_header_map(default_header_map(cb), cb, "default header map")
    else:
        spec_map = read_header_map(Path(header_map), cb)
    problems: list[Problem] = []
    records: list[Record] = []
    raw_files = []
    synthetic = False
    for p in paths:
        table = read_raw(Path(p), spec_map, encoding)
        parser = _FileParser(table, spec_map, cb, problems)
        recs = parser.parse()
        syn_cols = [j for j, s in parser.columns.items() if s.kind == "synthetic"]
        synthetic |= any(table.cells[j].str.contains("synthetic|架空", regex=True).any() for j in syn_cols)

        def report(rec, q, row, value, problem, action, _parser=parser):
            col = f"{q.number} {q.title}" + (f"：{q.row(row).label}" if row else "")
            _parser.report(rec.row, col, value, f"{q.id}: {problem}", action)

        for r in recs:
            _check_logic(r, cb, report)
        records += recs
        raw_files.append({"path": str(p), "name": Path(p).name, "md5": atomic.md5_file(p),
                          "bytes": Path(p).stat().st_size, "encoding": table.encoding,
                          "header_rows": table.header_rows, "data_rows": len(table.cells)})
    records = _dedupe(records, problems)
    tidy = responses_schema.validate(to_tidy(records, cb))
    reg = load_registry()
    src = {r.code: (r.file, r.row) for r in records}
    munis = reg.assign(
        responded=reg["code"].isin(src.keys()),
        source_file=reg["code"].map(lambda c: src.get(c, ("", 0))[0]),
        source_row=reg["code"].map(lambda c: src.get(c, ("", 0))[1]).astype("int64"),
    )
    problems_df = pd.DataFrame([asdict(p) for p in problems], columns=PROBLEM_COLUMNS)
    meta = {
        "survey_year": cb.survey_year,
        "codebook_version": cb.version,
        "zaitaku_version": __version__,
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "synthetic": synthetic,
        "raw_files": raw_files,
        "n_municipalities": len(records),
        "n_problems": len(problems),
    }
    return IngestResult(tidy, munis, problems_df, meta)


def write_outputs(result: IngestResult, out_dir: Path) -> list[Path]:
    """Write every output atomically; the meta file goes last so it never describes stale data."""
    out_dir.mkdir(parents=True, exist_ok=True)
    names = ("responses.parquet", "municipalities.parquet", "shares.parquet", "problems.csv", "ingest_meta.json")
    paths = [out_dir / n for n in names]
    atomic.write_parquet(result.responses, paths[0])
    atomic.write_parquet(result.municipalities, paths[1])
    atomic.write_parquet(compute_shares(result.responses, result.municipalities), paths[2])
    atomic.write_csv(result.problems, paths[3], excel=True)
    meta = dict(result.meta, responses_md5=atomic.md5_file(paths[0]))
    atomic.write_text(paths[4], json.dumps(meta, ensure_ascii=False, indent=2))
    return paths


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("raw", nargs="*", type=Path, help="raw export files (.xlsx or .csv)")
    parser.add_argument("--out", type=Path, default=PROCESSED_DATA_DIR, help="output folder (default data/processed)")
    parser.add_argument("--year", default="R3", help="survey year of the codebook (default R3)")
    parser.add_argument("--header-map", type=Path, help="CSV mapping raw headers to codebook ids")
    parser.add_argument("--encoding", help="CSV encoding (default: try utf-8-sig, then cp932)")
    parser.add_argument("--write-header-map", type=Path, metavar="CSV",
                        help="write the standard layout's header map (to copy and edit) and exit")


def run(args: argparse.Namespace) -> int:
    if args.write_header_map:
        atomic.write_csv(default_header_map(load_codebook(args.year)), args.write_header_map, excel=True)
        print(f"wrote {args.write_header_map}")
        return 0
    if not args.raw:
        print("zaitaku ingest: give at least one raw export file")
        return 2
    try:
        result = ingest(args.raw, header_map=args.header_map, survey_year=args.year, encoding=args.encoding)
    except IngestError as exc:
        print(f"zaitaku ingest: {exc}")
        return 2
    paths = write_outputs(result, args.out)
    label = "  (デモ用の架空データ / synthetic)" if result.meta["synthetic"] else ""
    print(f"{result.n_municipalities:,} municipalities, {len(result.responses):,} tidy rows, "
          f"{len(result.problems)} problems{label}")
    for p in paths:
        print(f"wrote {p}")
    if len(result.problems):
        print(result.problems.head(20).to_string(index=False))
    return 0

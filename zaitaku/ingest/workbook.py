"""Read one raw file (xlsx/xlsm/xls/csv) into a grid of cells as delivered.

For xlsx the cell values come from python-calamine (fast); the sheet XML is scanned once for what
calamine does not say: hidden columns, merged ranges, Excel error cells (``#N/A``, ``#DIV/0!``…)
and formulas without a cached value. The data sheet is chosen automatically (the sheet with the
most filled cells, so a remarks sheet in front is skipped) unless a sheet name is given.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import pandas as pd
import python_calamine

from zaitaku.ingest.limits import (
    archive_reason,
    check_file_size,
    check_sheet,
    check_text,
    long_cell,
    scan_xlsx,
)

EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"}  # python-calamine reads all five
CSV_SUFFIXES = {".csv", ".txt", ".tsv"}
CSV_ENCODINGS = ("utf-8-sig", "cp932")
# Excel's 「Unicode テキスト」 is UTF-16 with a byte-order mark
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
EXCEL_ERRORS = {"#N/A", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#NULL!", "#GETTING_DATA", "#SPILL!",
                "#CALC!"}


class ReadError(Exception):
    """The whole file cannot be read; the message (Japanese) names the file and what to do."""


@dataclass
class Grid:
    """A sheet as delivered: ``cells[r][c]`` (0-based) as str/float/int/None."""

    path: Path
    cells: list[list[object]]
    sheet: str = ""
    encoding: str = ""
    hidden_cols: set[int] = field(default_factory=set)
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)  # r0, c0, r1, c1 inclusive
    errors: dict[tuple[int, int], str] = field(default_factory=dict)  # error cells and formulas without value
    skipped_sheets: list[str] = field(default_factory=list)  # other sheets not read, each with its reason

    @property
    def width(self) -> int:
        return max((len(r) for r in self.cells), default=0)


def col_letter(j: int) -> str:
    """Excel column letter of a 0-based column index (0 → A, 26 → AA)."""
    s = ""
    j += 1
    while j:
        j, r = divmod(j - 1, 26)
        s = chr(65 + r) + s
    return s


def _col_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def decode(path: Path, encoding: str | None = None) -> tuple[str, str]:
    data = path.read_bytes()
    if data[:4] == b"PK\x03\x04" and not encoding:  # a zip: an Excel or OpenDocument file under another name
        raise ReadError(f"{path}: 中身は Excel などの表計算ファイル（zip 形式）で、CSV ではありません。"
                        "拡張子を .xlsx（または .ods）に直すか、CSV で保存し直してください")
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" and not encoding:
        raise ReadError(f"{path}: 中身は古い形式の Excel ファイル（.xls）で、CSV ではありません。拡張子を .xls に直してください")
    tried = [encoding] if encoding else (["utf-16"] if data.startswith(UTF16_BOMS) else list(CSV_ENCODINGS))
    errors = []
    for enc in tried:
        try:
            return data.decode(enc), enc
        except (UnicodeDecodeError, LookupError) as exc:
            if isinstance(exc, LookupError):
                errors.append(f"{enc}: 不明な文字コード")
                continue
            line = data[: exc.start].count(b"\n") + 1
            errors.append(f"{enc}: {line} 行目（オフセット {exc.start}）のバイト 0x{data[exc.start]:02x}")
    raise ReadError(
        f"{path}: 文字コード {' / '.join(tried)} のいずれでも読めません（{'; '.join(errors)}）。"
        "UTF-8 か cp932（Shift_JIS）で保存し直すか、--encoding で文字コードを指定してください")


def delimiter(text: str, suffix: str) -> str:
    """Tab or comma: Excel's 「テキスト（タブ区切り）」 and 「Unicode テキスト」 are saved as .txt with tabs."""
    if suffix == ".tsv":
        return "\t"
    head = [line for line in text[:200_000].splitlines()[:50] if line.strip()]
    tabs = sum(line.count("\t") for line in head)
    commas = sum(line.count(",") for line in head)
    return "\t" if tabs > commas else ","


def _read_csv(path: Path, encoding: str | None) -> Grid:
    text, enc = decode(path, encoding)
    reason = check_text(path, text)
    if reason:
        raise ReadError(reason)
    sep = delimiter(text, path.suffix.lower())
    try:
        # keep blank lines so that row numbers stay those of the file
        df = pd.read_csv(io.StringIO(text), header=None, dtype=str, keep_default_na=False,
                         skip_blank_lines=False, sep=sep)
    except Exception as exc:  # any parser failure is a whole-file error
        raise ReadError(f"{path}: CSV（{enc}）として読めません: {str(exc).splitlines()[0]}") from None
    cells = df.to_numpy(dtype=object).tolist()
    reason = long_cell(path, cells)
    if reason:
        raise ReadError(reason)
    return Grid(path, cells, encoding=enc + (" タブ区切り" if sep == "\t" else ""))


def _sheet_xml_paths(zf: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name → path of its XML inside the xlsx."""
    wb = zf.read("xl/workbook.xml").decode("utf-8")
    rels = zf.read("xl/_rels/workbook.xml.rels").decode("utf-8")
    targets = {}
    for m in re.finditer(r"<Relationship\b[^>]*>", rels):
        tag = m.group(0)
        rid = re.search(r'\bId="([^"]+)"', tag)
        tgt = re.search(r'\bTarget="([^"]+)"', tag)
        if rid and tgt:
            t = tgt.group(1)
            targets[rid.group(1)] = t.lstrip("/") if t.startswith("/") else str(PurePosixPath("xl") / t)
    out = {}
    for m in re.finditer(r"<(?:\w+:)?sheet\b[^>]*>", wb):
        tag = m.group(0)
        name = re.search(r'\bname="([^"]*)"', tag)
        rid = re.search(r'\br:id="([^"]+)"|\bid="([^"]+)"', tag)
        if name and rid:
            key = rid.group(1) or rid.group(2)
            if key in targets:
                out[_unescape(name.group(1))] = targets[key]
    return out


def _unescape(s: str) -> str:
    return s.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&apos;", "'").replace("&amp;", "&")


_CELL = re.compile(r'<c\b([^>]*?)(?:/>|>(.*?)</c>)', re.S)
_REF = re.compile(r'\br="([A-Z]+)([0-9]+)"')


def _scan_sheet_xml(xml: str, grid: Grid) -> None:
    for m in re.finditer(r"<col\b[^>]*>", xml):
        tag = m.group(0)
        if re.search(r'\bhidden="(1|true)"', tag):
            lo_m = re.search(r'\bmin="(\d+)"', tag)
            hi_m = re.search(r'\bmax="(\d+)"', tag)
            if lo_m is None or hi_m is None:  # malformed <col>: nothing to hide
                continue
            lo, hi = int(lo_m.group(1)), int(hi_m.group(1))
            if hi - lo < 16384:
                grid.hidden_cols.update(range(lo - 1, hi))
    for m in re.finditer(r'<mergeCell\b[^>]*\bref="([A-Z]+)(\d+):([A-Z]+)(\d+)"', xml):
        grid.merged.append((int(m.group(2)) - 1, _col_index(m.group(1)), int(m.group(4)) - 1, _col_index(m.group(3))))
    if "<f" not in xml and 't="e"' not in xml:
        return
    for m in _CELL.finditer(xml):
        attrs, body = m.group(1), m.group(2) or ""
        is_error = 't="e"' in attrs
        no_value = "<f" in body and not re.search(r"<v>[^<]", body)
        if is_error or no_value:
            ref = _REF.search(attrs)
            if not ref:
                continue
            r, c = int(ref.group(2)) - 1, _col_index(ref.group(1))
            if is_error:
                v = re.search(r"<v>(.*?)</v>", body)
                grid.errors[(r, c)] = v.group(1) if v else "#エラー"
            else:
                f = re.search(r"<f[^>]*>(.*?)</f>", body, re.S)
                grid.errors[(r, c)] = "=" + _unescape(f.group(1)) if f else "=（数式）"


def _prescan(path: Path) -> tuple[dict[str, str], dict[str, int]]:
    """xlsx/xlsm: per sheet, the reason it may not be read ("" when it may) and its number of values."""
    try:
        with zipfile.ZipFile(path) as zf:
            xml_paths = _sheet_xml_paths(zf)
        total, scans = scan_xlsx(path, xml_paths)
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise ReadError(f"{path}: Excel ファイルとして読めません（ファイルが壊れています: {type(exc).__name__}）。"
                        "Excel で開けるか確かめ、xlsx で保存し直してください") from None
    if not scans and total:
        raise ReadError(archive_reason(path, total))
    return {sc.name: check_sheet(path, sc) for sc in scans}, {sc.name: sc.values for sc in scans}


def _read_excel(path: Path, sheet: str | None) -> Grid:
    reason = check_file_size(path)
    if reason:
        raise ReadError(reason)
    refused: dict[str, str] = {}
    sizes: dict[str, int] = {}
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        refused, sizes = _prescan(path)
    try:
        wb = python_calamine.CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # any reader failure is a whole-file error
        raise ReadError(f"{path}: Excel ファイルとして読めません（{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}）。"
                        "Excel で開けるか確かめ、xlsx で保存し直してください") from None
    names = list(wb.sheet_names)
    if sheet is not None and sheet not in names:
        raise ReadError(f"{path}: シート「{sheet}」がありません（シート: {'、'.join(names)}）")
    if sheet is not None and refused.get(sheet):
        raise ReadError(refused[sheet])
    if sizes and not sheet:  # the sheet with the most values is the data sheet: it must be readable
        biggest = max(sizes, key=lambda n: sizes[n])
        if refused.get(biggest):
            raise ReadError(refused[biggest])
    skipped = [why for why in refused.values() if why] if sheet is None else []
    data = {}
    failures = []
    for name in [sheet] if sheet else [n for n in names if not refused.get(n)]:
        try:
            data[name] = wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
        except Exception as exc:  # a chart sheet, or a sheet calamine cannot parse: named in the message
            failures.append(f"シート「{name}」: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}")
            continue
    if not data:
        why = "；".join(failures + skipped) or "シートがありません"
        raise ReadError(f"{path}: 読めるシートがありません（{why}）")

    def filled(rows: Sequence[Sequence[object]]) -> int:
        return sum(1 for r in rows for v in r if v not in ("", None))

    chosen = sheet or max(data, key=lambda n: filled(data[n]))
    cells: list[list[object]] = [[None if v == "" else v for v in r] for r in data[chosen]]
    reason = long_cell(path, cells)
    if reason:
        raise ReadError(reason)
    grid = Grid(path, cells, sheet=chosen, encoding="xlsx", skipped_sheets=skipped)
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        try:
            with zipfile.ZipFile(path) as zf:
                xml_path = _sheet_xml_paths(zf).get(chosen)
                if xml_path:
                    _scan_sheet_xml(zf.read(xml_path).decode("utf-8", errors="replace"), grid)
        except (zipfile.BadZipFile, KeyError):
            pass
    for (r, c), text in grid.errors.items():
        while len(grid.cells) <= r:
            grid.cells.append([])
        row = grid.cells[r]
        while len(row) <= c:
            row.append(None)
        row[c] = text
    return grid


def read_grid(path: Path | str, *, sheet: str | None = None, encoding: str | None = None) -> Grid:
    """The file's cells as delivered; :class:`ReadError` (Japanese, one line) when it cannot be read."""
    path = Path(path)
    if not path.exists():
        raise ReadError(f"{path}: ファイルがありません")
    if path.is_dir():
        raise ReadError(f"{path}: フォルダです。ファイルを指定してください（draft-map はフォルダも受け付けます）")
    if path.suffix.lower() in EXCEL_SUFFIXES:
        return _read_excel(path, sheet)
    return _read_csv(path, encoding)


def is_excel_error(value: object) -> bool:
    return isinstance(value, str) and (value in EXCEL_ERRORS or value.startswith("="))

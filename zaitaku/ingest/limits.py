"""What one raw file may cost, checked before a reader allocates anything.

A sheet's size is taken from the cells that hold a value, not from its declared range: python-calamine
allocates the rectangle from A1 to the farthest value, so one stray value at ``XFD1048576`` in a 23 KB
file asks for 512 GiB and aborts the process. :func:`scan_xlsx` streams each sheet's XML once (no
DOM), measuring its decompressed size, the rectangle of its values and the first XML-invalid
character; :func:`check_sheet` turns a sheet over the limits into a Japanese reason naming the sheet
and the cell. Text files are checked by :func:`check_text` (size, line length, cell length).
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

# Limits per file. A prefecture's compiled workbook has at most a few thousand rows and ~1,000 columns;
# a long table (municipality × question × option) of one prefecture about 50,000 rows.
MAX_FILE_BYTES = 200 * 1024 * 1024          # the file as delivered
MAX_SHEET_XML_BYTES = 400 * 1024 * 1024     # one sheet's XML, decompressed
MAX_ARCHIVE_BYTES = 1024 * 1024 * 1024      # everything in an xlsx, decompressed
MAX_ROWS = 300_000
MAX_COLUMNS = 2_000
MAX_CELLS = 20_000_000                      # rows × columns of the rectangle a reader allocates
MAX_LINE_CHARS = 1_000_000                  # one line of a text file
MAX_CELL_CHARS = 32_767                     # Excel's own limit for one cell


def col_index(letters: str) -> int:
    """0-based column index of Excel column letters (A → 0, AA → 26)."""
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def cell_name(row: int, col: int) -> str:
    """Excel name of a 0-based cell (0, 0 → A1)."""
    s, j = "", col + 1
    while j:
        j, r = divmod(j - 1, 26)
        s = chr(65 + r) + s
    return f"{s}{row + 1}"


@dataclass
class SheetScan:
    """What one sheet's XML holds, measured without building it."""

    name: str
    xml_bytes: int
    values: int = 0          # cells with a value
    last_row: int = -1       # farthest row / column holding a value (0-based)
    last_col: int = -1
    far_cell: str = ""       # the cell that sets the farthest row or column
    invalid: str = ""        # the first XML-invalid character reference, as written
    invalid_cell: str = ""   # the cell it is in

    @property
    def cells(self) -> int:
        return (self.last_row + 1) * (self.last_col + 1)


# a cell start tag with its reference; self-closing cells (<c r="A1" s="2"/>) hold no value
_CELL = re.compile(rb'<c\b[^>]*?\br="([A-Z]{1,3})([0-9]{1,7})"[^>]*?(/?)>')
# character references that XML 1.0 forbids: controls other than tab/LF/CR, surrogates, FFFE/FFFF
_INVALID = re.compile(rb"&#(?:x0*(?:[0-8bcef]|1[0-9a-f]|d[89a-f][0-9a-f]{2}|fff[ef])|0*(?:[0-8]|1[124-9]|2[0-9]|3[01]|5529[6-9]|55[3-9][0-9]{2}|56[0-9]{3}|57[0-2][0-9]{2}|573[0-4][0-9]|5734[0-3]|6553[45]));", re.I)
_CHUNK = 4 * 1024 * 1024


def _scan_sheet(zf: zipfile.ZipFile, info: zipfile.ZipInfo, name: str) -> SheetScan:
    scan = SheetScan(name, info.file_size)
    if info.file_size > MAX_SHEET_XML_BYTES:
        return scan  # not read at all: check_sheet refuses it on its size
    tail = b""
    last_ref = ""
    with zf.open(info) as fh:
        while True:
            chunk = fh.read(_CHUNK)
            if not chunk:
                break
            buf = tail + chunk
            cut = buf.rfind(b"<")  # a tag may straddle two chunks: keep the last partial tag for the next
            body, tail = (buf[:cut], buf[cut:]) if cut > 0 and len(buf) - cut < 4096 else (buf, b"")
            for m in _CELL.finditer(body):
                last_ref = (m.group(1) + m.group(2)).decode()
                if m.group(3):
                    continue
                r, c = int(m.group(2)) - 1, col_index(m.group(1).decode())
                scan.values += 1
                if r > scan.last_row or c > scan.last_col:
                    scan.far_cell = last_ref
                    scan.last_row, scan.last_col = max(scan.last_row, r), max(scan.last_col, c)
            if not scan.invalid:
                bad = _INVALID.search(body)
                if bad:
                    scan.invalid = bad.group(0).decode()
                    before = list(_CELL.finditer(body, 0, bad.start()))
                    scan.invalid_cell = (before[-1].group(1) + before[-1].group(2)).decode() if before else last_ref
    return scan


def scan_xlsx(path: Path, sheet_paths: dict[str, str]) -> tuple[int, list[SheetScan]]:
    """The archive's decompressed size and one :class:`SheetScan` per sheet (sheet name → XML path)."""
    with zipfile.ZipFile(path) as zf:
        total = sum(i.file_size for i in zf.infolist())
        if total > MAX_ARCHIVE_BYTES:
            return total, []
        infos = {i.filename: i for i in zf.infolist()}
        return total, [_scan_sheet(zf, infos[p], n) for n, p in sheet_paths.items() if p in infos]


def archive_reason(path: Path, total: int) -> str:
    return (f"{path.name}: 展開すると {total / 2**20:,.0f} MB になります（上限 {MAX_ARCHIVE_BYTES / 2**20:,.0f} MB）。"
            "不要なシートや書式を削除して保存し直してください")


def check_sheet(path: Path, scan: SheetScan) -> str:
    """A Japanese reason when the sheet is over a limit or holds an XML-invalid character, else ""."""
    where = f"{path.name} のシート「{scan.name}」"
    if scan.xml_bytes > MAX_SHEET_XML_BYTES:
        return (f"{where}は展開すると {scan.xml_bytes / 2**20:,.0f} MB あり、上限（{MAX_SHEET_XML_BYTES / 2**20:,.0f} MB）を"
                "超えるため読みませんでした。不要な行・列や書式を削除して保存し直してください")
    if scan.last_row + 1 > MAX_ROWS or scan.last_col + 1 > MAX_COLUMNS or scan.cells > MAX_CELLS:
        return (f"{where}は {scan.far_cell} まで値があり（{scan.last_row + 1:,} 行 × {scan.last_col + 1:,} 列）、"
                f"上限（{MAX_ROWS:,} 行・{MAX_COLUMNS:,} 列）を超えるため読みませんでした。{scan.far_cell} などの"
                "離れた位置の値を削除して保存し直してください")
    if scan.invalid:
        return (f"{where}のセル {scan.invalid_cell or '（不明）'} に XML で使えない文字 {scan.invalid} があるため読めません。"
                "そのセルを直して保存し直してください")
    return ""


def check_file_size(path: Path) -> str:
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        return (f"{path.name}: ファイルが {size / 2**20:,.0f} MB あり、上限（{MAX_FILE_BYTES / 2**20:,.0f} MB）を"
                "超えるため読みませんでした")
    return ""


def check_text(path: Path, text: str) -> str:
    """A Japanese reason when a text file has a line or a cell over the limits, else ""."""
    for lineno, line in enumerate(text.splitlines(), start=1):
        if len(line) > MAX_LINE_CHARS:
            return (f"{path.name}: {lineno} 行目が {len(line):,} 文字あり、1 行の上限（{MAX_LINE_CHARS:,} 文字）を"
                    "超えるため読みませんでした。区切り文字や改行を確かめてください")
    return ""


def long_cell(path: Path, rows: list[list[object]]) -> str:
    """A Japanese reason naming the first cell longer than Excel allows, else ""."""
    for r, row in enumerate(rows):
        for c, v in enumerate(row):
            if isinstance(v, str) and len(v) > MAX_CELL_CHARS:
                return (f"{path.name}: セル {cell_name(r, c)}（{r + 1} 行目・{c + 1} 列目）が {len(v):,} 文字あり、"
                        f"1 セルの上限（{MAX_CELL_CHARS:,} 文字）を超えるため読みませんでした")
    return ""

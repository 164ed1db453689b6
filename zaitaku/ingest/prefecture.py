"""Which prefecture a file holds, when nobody says so: its title, the file name, or the names it lists.

Used only to resolve a name several prefectures share (美郷町 is in 秋田県, 島根県 and 宮崎県): a
row whose name is unambiguous is never changed by it. The first rule that finds exactly one
prefecture wins: a title row above the header (「…市町村回答一覧（島根県）」), the file name, then the
municipalities the file names unambiguously (all in one prefecture).
"""

from __future__ import annotations

import re
from collections import Counter
from functools import cache
from pathlib import Path

from zaitaku.ingest.header import Table, part_text
from zaitaku.reference.municipalities import CodeError, load_registry, normalize_prefecture, resolve

UNANIMOUS = 0.9  # share of the unambiguous names that must lie in one prefecture


@cache
def _names() -> tuple[str, ...]:
    """Prefecture names, longest first (so 京都府 is tried before 京都 would be)."""
    return tuple(sorted(set(load_registry()["prefecture"]), key=len, reverse=True))


def prefectures_in(text: str) -> set[str]:
    """pref_codes of the prefecture names written in ``text``."""
    found = set()
    for name in _names():
        if name in text:
            found.add(normalize_prefecture(name))
            text = text.replace(name, "")
    return found


def infer(table: Table, key_cols: list[int]) -> tuple[str | None, str]:
    """(pref_code, how it was found) or (None, why not)."""
    grid = table.grid
    top = table.header_rows[0] if table.header_rows else 0
    title = " ".join(part_text(v) for row in grid.cells[:top] for v in row if v not in (None, ""))
    found = prefectures_in(title)
    if len(found) == 1:
        (p,) = found
        return p, f"表題の都道府県名（{_label(p)}）"
    found = prefectures_in(Path(grid.path).stem)
    if len(found) == 1:
        (p,) = found
        return p, f"ファイル名の都道府県名（{_label(p)}）"
    counts: Counter[str] = Counter()
    for r in table.data_rows[:2000]:
        for c in key_cols:
            v = table.cell(r, c)
            if not isinstance(v, (str, int, float)) or v == "":
                continue
            try:
                counts[resolve(re.sub(r"[※＊*]\d*$", "", v.strip()) if isinstance(v, str) else v)[:2]] += 1
            except (CodeError, ValueError, TypeError):
                continue
            break
    if counts:
        p, n = counts.most_common(1)[0]
        if n >= UNANIMOUS * sum(counts.values()):
            return p, f"一意に決まる市区町村名 {n} 件がすべて{_label(p)}"
    return None, "都道府県を推定できません"


def _label(pref_code: str) -> str:
    reg = load_registry()
    return str(reg.loc[reg["pref_code"] == pref_code, "prefecture"].iloc[0])

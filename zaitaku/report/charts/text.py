"""Japanese text for charts: estimated widths and wrapping at phrase boundaries (budoux), never mid-word.

Layouts are computed from these estimates instead of measuring drawn text (``tight_layout``):
a full-width character is one em, a half-width one about 0.6 em (IPAexGothic's Latin is
proportional; 0.6 is on the safe side).
"""

from __future__ import annotations

import functools
import unicodedata

_BREAK_AFTER = "・、）)／"  # a line may also end after these (between words, never inside one)
_GLUE_END = set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz,.=%（(")
_GLUE_START = set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz,.%）)")


def text_width(text: str, size: float) -> float:
    """Estimated width in px of one line of ``text`` at font size ``size`` px."""
    return size * sum(1.0 if unicodedata.east_asian_width(c) in "WFA" else 0.6 for c in text)


@functools.cache
def _parser():
    import budoux

    return budoux.load_default_japanese_parser()


@functools.lru_cache(maxsize=4096)
def phrases(text: str) -> tuple[str, ...]:
    """``text`` cut into phrases (budoux), each also cut after 「・」「、」「）」 and the like."""
    out: list[str] = []
    for phrase in _parser().parse(text):
        start = 0
        for i, c in enumerate(phrase):
            if c in _BREAK_AFTER and i + 1 < len(phrase):
                out.append(phrase[start:i + 1])
                start = i + 1
        out.append(phrase[start:])
    glued: list[str] = []
    for p in out:  # never inside a number or a Latin word (budoux cuts 「平成2|8年」), never after 「（」
        if glued and p and ((glued[-1][-1] in _GLUE_END and p[0] in _GLUE_START) or glued[-1][-1] in "（("):
            glued[-1] += p
        elif p:
            glued.append(p)
    return tuple(glued)


@functools.lru_cache(maxsize=4096)
def wrap(text: str, width_px: float, size: float, max_lines: int = 0) -> tuple[str, ...]:
    """Lines of ``text`` no wider than ``width_px`` where the phrases allow (a longer phrase keeps its own line).

    With ``max_lines``, the last line ends in 「…」 when the text does not fit (only for labels that are
    repeated in full elsewhere, e.g. in the table under the chart).
    """
    lines: list[str] = []
    current = ""
    for p in _units(phrases(text), width_px, size):
        if current and text_width(current + p, size) > width_px:
            lines.append(current)
            current = p.lstrip()
        else:
            current += p
    if current:
        lines.append(current)
    if max_lines and len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1].rstrip("・、") + "…"
    return tuple(lines) or ("",)


def _units(parts: tuple[str, ...], width_px: float, size: float) -> list[str]:
    """Phrases, with a parenthesized run of phrases kept as one unit when it fits on a line
    (budoux may cut 「（その他の協力）」 after 「その」)."""
    out: list[str] = []
    i = 0
    while i < len(parts):
        p = parts[i]
        if "（" in p and "）" not in p[p.rindex("（"):]:
            j = i + 1
            while j < len(parts) and "）" not in parts[j]:
                j += 1
            unit = "".join(parts[i:j + 1])
            if j < len(parts) and text_width(unit, size) <= width_px:
                out.append(unit)
                i = j + 1
                continue
        out.append(p)
        i += 1
    return out


def block_width(lines: tuple[str, ...], size: float) -> float:
    """Width of the widest line."""
    return max((text_width(line, size) for line in lines), default=0.0)

"""Parsing one answer cell: option codes, multi-select marks and lists, blanks (未回答)."""

from __future__ import annotations

import re
import unicodedata

BLANKS = {"", "nan", "none", "null", "-", "ー", "―", "未回答", "無回答"}
TRUE_MARKS = {"1", "○", "◯", "〇", "●", "✓", "✔", "☑", "レ", "v", "true", "yes", "済"}
FALSE_MARKS = {"0", "×", "x", "false", "no", "□", "☐"}
_CIRCLED = re.compile("[\u2460-\u2473\u3251-\u325f]")  # ①–⑳, ㉑–㉟
_LIST_SPLIT = re.compile(r"[,、，;；/・\s]+")


class CellError(ValueError):
    """A cell that cannot be read as an answer; the message says why."""


def normalize_cell(value: object) -> str:
    """NFKC (full-width digits and letters, ①→1), trimmed; floats from Excel lose their ``.0``."""
    if value is None:
        return ""
    if isinstance(value, float):
        if value != value:  # NaN
            return ""
        if value.is_integer():
            value = int(value)
    text = unicodedata.normalize("NFKC", str(value)).strip()
    if re.fullmatch(r"\d+\.0+", text):
        text = text.split(".")[0]
    return text


def is_blank(text: str) -> bool:
    return text.lower() in BLANKS


def parse_code(value: object, option_ids: tuple[str, ...], labels: dict[str, str] | None = None) -> str | None:
    """One option id from a code cell (``"1"``, ``"１"``, ``"①"``, ``"1."``, ``"A"``); None if blank."""
    text = normalize_cell(value)
    if is_blank(text):
        return None
    head = re.match(r"(\d+|[A-Za-z])[\.．:：)）\s]", text)
    rest = text[head.end():].strip(" .．:：)）") if head else ""
    if rest[:1].isdigit() or (len(rest) == 1 and rest.isalpha()):
        # "1 2", "A B", "1.5": a second code (or a decimal), not a code followed by its label
        raise CellError(f"{text!r} is not one option code (a single-choice question takes one answer)")
    cand = re.sub(r"^(\d+|[A-Za-z])[\.．:：)）\s].*$", r"\1", text).rstrip(".．")
    cand = cand.upper() if len(cand) == 1 and cand.isalpha() else cand
    if cand in option_ids:
        return cand
    if labels:
        for oid, label in labels.items():
            if unicodedata.normalize("NFKC", label) == text:
                return oid
    raise CellError(f"not an option of this question (options: {', '.join(option_ids)})")


def parse_flag(value: object) -> bool | None:
    """One multi-select column: True selected, False not selected, None blank."""
    text = normalize_cell(value)
    if text == "" or text.lower() in ("nan", "none"):
        return None
    low = text.lower()
    if low in TRUE_MARKS:
        return True
    if low in FALSE_MARKS or is_blank(text):
        return False
    raise CellError("not a selection mark (use 1/0, ○/●/✓, or leave blank)")


def parse_list(value: object, option_ids: tuple[str, ...]) -> frozenset[str] | None:
    """A multi-select written as a list (``"1,3,5"``, ``"１、３"``, ``"①③"``); None if blank."""
    if isinstance(value, str):  # circled numbers are separate codes even when written side by side
        value = _CIRCLED.sub(lambda m: f",{m.group(0)},", value)
    text = normalize_cell(value)
    if is_blank(text):
        return None
    parts = [p.rstrip(".．") for p in _LIST_SPLIT.split(text) if p]
    bad = [p for p in parts if p not in option_ids]
    if bad:
        raise CellError(f"{', '.join(bad)} not option(s) of this question (options: {', '.join(option_ids)})")
    return frozenset(parts)

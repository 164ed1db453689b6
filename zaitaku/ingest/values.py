"""Reading one answer cell as a person reads it: codes, ``1.label``, ○ marks, lists, blanks, 非該当.

* blank (未回答): empty, 未回答, 無回答
* not asked (非該当, no problem row): ``−`` ``―`` ``-`` ``ー`` 該当なし 非該当 対象外 (and their
  full-width forms)
* Excel error cells (``#N/A``, ``#DIV/0!``…, a formula without a value) are :class:`CellError`.
"""

from __future__ import annotations

import re
import unicodedata

BLANKS = {"", "nan", "none", "null", "未回答", "無回答"}
NOT_ASKED_MARKS = {"-", "−", "―", "ー", "—", "–", "‐", "－", "該当なし", "非該当", "対象外", "該当無し", "n/a"}
TRUE_MARKS = {"1", "○", "◯", "〇", "●", "✓", "✔", "☑", "レ", "v", "true", "yes", "済"}
FALSE_MARKS = {"0", "×", "x", "false", "no", "□", "☐"}
EXCEL_ERRORS = {"#n/a", "#div/0!", "#value!", "#ref!", "#name?", "#num!", "#null!", "#getting_data", "#spill!",
                "#calc!"}
_CIRCLED = re.compile("[\u2460-\u2473\u3251-\u325f]")  # ①–⑳, ㉑–㉟
_LIST_SPLIT = re.compile(r"[,、，;；/・\s]+")
_HEAD = re.compile(r"(\d+|[A-Za-z])[\.．:：)）\s]")


class CellError(ValueError):
    """A cell that cannot be read as an answer; the message (Japanese) says why."""


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


def is_not_asked(text: str) -> bool:
    return "".join(text.split()).lower() in NOT_ASKED_MARKS


def check_excel_error(text: str) -> None:
    if text.lower() in EXCEL_ERRORS:
        raise CellError(f"Excel のエラー値 {text}（元の表で計算が失敗しています）")
    if text.startswith("="):
        raise CellError("値のない数式（Excel で開いて保存し直すと値が入ります）")


def _squash(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split())


def parse_code(value: object, option_ids: tuple[str, ...], labels: dict[str, str] | None = None,
               values: dict[str, str] | None = None) -> str | None:
    """One option id from a code cell (``1``, ``１``, ``①``, ``1.``, ``A``, ``1.1年未満``); None if blank.

    ``labels`` (option → wording) accepts the codebook wording; ``values`` (written text → option,
    the value map) the prefecture's own.
    """
    text = normalize_cell(value)
    if is_blank(text):
        return None
    check_excel_error(text)
    if values:
        hit = values.get(_squash(text))
        if hit is not None:
            return hit
    if len(text) == 1 and text.isalpha():
        text = text.upper()
    if text.rstrip(".．") in option_ids:
        return text.rstrip(".．")
    head = _HEAD.match(text)
    if head:
        cand = head.group(1).upper() if head.group(1).isalpha() else head.group(1)
        rest = text[head.end():].strip(" .．:：)）")
        if cand in option_ids:
            label = _squash(labels.get(cand, "")) if labels else ""
            if not rest or (label and (_squash(rest) == label or _squash(rest).startswith(label[:4]))):
                return cand
            if not (rest[:1].isdigit() or (len(rest) == 1 and rest.isalpha())):
                return cand  # "1 設置している": a code followed by (its own) wording
        if rest[:1].isdigit() or (len(rest) == 1 and rest.isalpha()):
            raise CellError(f"「{text}」は選択肢の番号 1 つではありません（単一回答の設問です）")
    if labels:
        key = _squash(text)
        for oid, label in labels.items():
            if _squash(label) == key:
                return oid
    raise CellError(f"この設問の選択肢ではありません（選択肢: {', '.join(option_ids)}）")


def parse_flag(value: object) -> bool | None:
    """One multi-select column: True selected, False not selected, None blank."""
    text = normalize_cell(value)
    if text == "" or text.lower() in ("nan", "none"):
        return None
    check_excel_error(text)
    low = text.lower()
    if low in TRUE_MARKS:
        return True
    if low in FALSE_MARKS or is_blank(text):
        return False
    raise CellError("選択の印として読めません（1/0、○/●/✓ か空欄にしてください）")


def parse_list(value: object, option_ids: tuple[str, ...]) -> frozenset[str] | None:
    """A multi-select written as a list (``"1,3,5"``, ``"１，３"``, ``"①③"``); None if blank."""
    if isinstance(value, str):  # circled numbers are separate codes even when written side by side
        value = _CIRCLED.sub(lambda m: f",{m.group(0)},", value)
    text = normalize_cell(value)
    if is_blank(text):
        return None
    check_excel_error(text)
    parts = [p.rstrip(".．") for p in _LIST_SPLIT.split(text) if p]
    parts = [re.sub(r"^(\d+)\..*$", r"\1", p) for p in parts]
    bad = [p for p in parts if p not in option_ids]
    if bad:
        raise CellError(f"{', '.join(bad)} はこの設問の選択肢ではありません（選択肢: {', '.join(option_ids)}）")
    return frozenset(parts)

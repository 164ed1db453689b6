"""Matching header text to the codebook: question numbers (問4 ②-2.1), rows and options by wording.

Fuzzy scores come from rapidfuzz on NFKC text without spaces; a question number is matched
exactly (問4②-2.1, 問4 ②－2.1, ②-2.1 under a 問4 parent, full-width digits all give one key).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from rapidfuzz import fuzz

from zaitaku.reference.codebook import Codebook, Option, Question

_CIRCLED = {chr(0x2460 + i): str(i + 1) for i in range(20)}
_DASH = "-‐‑‒–—―−ー－"
_QNUM = re.compile(
    r"問\s*(\d+)\s*(?:\|?\s*[({（]?c(\d+)[)}）]?)?\s*(?:-\s*(\d+(?:\.\d+)?(?:-\d+)?))?\s*(付問)?")
_NEG = re.compile(r"(していない|しない|ない|無い|無し|なし|未|不|非|せず)")
_POS = re.compile(r"(している|してい|する|あり|有り|済み|済|有)$")


def _core(s: str) -> str:
    return _POS.sub("", _NEG.sub("", s))


def fold(text: str) -> str:
    """NFKC with spaces removed, keeping circled numbers as c1, c2…"""
    text = "".join(f"c{_CIRCLED[ch]}" if ch in _CIRCLED else ch for ch in str(text))
    return "".join(unicodedata.normalize("NFKC", text).split())


def number_key(text: str) -> tuple[str, str, str, bool] | None:
    """(問, ①…, sub-number, 付問) from text holding a question number, or None."""
    s = fold(text)
    s = re.sub(rf"[{_DASH}]", "-", s)
    m = _QNUM.search(s)
    if not m:
        return None
    sub = (m.group(3) or "").replace("－", "-")
    return (m.group(1), m.group(2) or "", sub, bool(m.group(4)))


def number_span(text: str) -> str:
    """The rest of ``text`` once the question number is removed (for option detection)."""
    s = fold(text)
    m = _QNUM.search(re.sub(rf"[{_DASH}]", "-", s))  # same length: cut the original text
    return s[: m.start()] + s[m.end():] if m else s


@dataclass(frozen=True)
class Hit:
    id: str
    score: float
    reason: str


def question_by_number(codebook: Codebook, text: str) -> Question | None:
    key = number_key(text)
    if key is None:
        parts = {fold(p) for p in str(text).split("|")}
        named = [q for q in codebook if fold(q.number) in parts]  # 「担当部署」: a number without 問
        return named[0] if len(named) == 1 else None
    for q in codebook:
        if number_key(q.number) == key:
            return q
    # "問4②-3.2 付問" written without 付問 but codebook has only one match on the first three parts
    loose = [q for q in codebook if (k := number_key(q.number)) and k[:3] == key[:3]]
    if len(loose) == 1:
        return loose[0]
    if key[1] and not key[2]:  # 「問3 ①現状分析…」: ① numbers the row of 問3, not a sub-question
        bare = [q for q in codebook if number_key(q.number) == (key[0], "", "", False)]
        return bare[0] if len(bare) == 1 and bare[0].is_matrix else None
    return None


def score(a: str, b: str) -> float:
    a, b = fold(a), fold(b)
    if not a or not b:
        return 0.0
    if a == b:
        return 100.0
    s = max(fuzz.ratio(a, b), 0.95 * fuzz.partial_ratio(a, b) if min(len(a), len(b)) >= 3 else 0)
    ca, cb = _core(a), _core(b)
    if ca and cb and len(min(ca, cb, key=len)) >= 2:
        if ca == cb:
            s = max(s, 92)
        elif ca in cb or cb in ca:
            s = max(s, 85)
    if bool(_NEG.search(a)) != bool(_NEG.search(b)):
        s *= 0.6  # 「設置」と「設置していない」は別物
    return float(s)


def best_question(codebook: Codebook, text: str) -> Hit | None:
    hits = sorted(((score(text, f"{q.title}"), q.id) for q in codebook), reverse=True)
    if not hits or hits[0][0] < 60:
        return None
    s, qid = hits[0]
    margin = s - (hits[1][0] if len(hits) > 1 else 0)
    return Hit(qid, s if margin >= 5 else min(s, 70), f"設問文の一致度 {s:.0f}")


_OPT_CODE = re.compile(r"^(?:選択肢|選択|回答|op|opt)?_?(\d+|[A-Ea-e])(?:[\.．:：)）\s_]|$)")


def option_of(q: Question, text: str) -> Hit | None:
    """The option a header part names: ``選択肢1``, ``1.label``, ``A``, ①, or the label's wording."""
    t = fold(text).lstrip("_-・:：")
    if not t:
        return None
    for oid in sorted(q.option_ids, key=len, reverse=True):  # "A協力している…": code then its label
        if t.upper().startswith(oid) and len(t) > len(oid) and score(t[len(oid):].lstrip(".．:：)）_"),
                                                                      q.option(oid).label) >= 90:
            return Hit(oid, 100, f"選択肢番号 {oid} と文言")
    m = _OPT_CODE.match(t) or re.match(r"^c(\d+)", t)
    if m:
        code = m.group(1).upper() if m.group(1).isalpha() else m.group(1)
        if code in q.option_ids:
            rest = t[m.end():]
            label = q.option(code).label
            if rest and score(rest, label) < 60:
                return Hit(code, 70, f"番号 {code} だが文言「{rest}」が選択肢「{label}」と違う")
            return Hit(code, 100, f"選択肢番号 {code}")
    best = _best_label(q.options, t)
    return best


def _best_label(options: tuple[Option, ...], text: str) -> Hit | None:
    hits = sorted(((score(text, o.label), o.id) for o in options), reverse=True)
    if not hits or hits[0][0] < 50:
        return None
    s, oid = hits[0]
    margin = s - (hits[1][0] if len(hits) > 1 else 0)
    conf = s if margin >= 8 else min(s, 70)
    return Hit(oid, conf, f"選択肢の文言の一致度 {s:.0f}" + ("" if margin >= 8 else "（候補が近い）"))


def row_of(q: Question, parts: list[str]) -> Hit | None:
    """The matrix row a header names (its label, possibly shortened, in one of the parts)."""
    best: Hit | None = None
    for p in parts:
        if not p:
            continue
        hits = sorted(((score(p, r.label), r.id) for r in q.rows), reverse=True)
        if not hits:
            continue
        s, rid = hits[0]
        margin = s - (hits[1][0] if len(hits) > 1 else 0)
        conf = s if margin >= 8 else min(s, 70)
        if best is None or conf > best.score:
            best = Hit(rid, conf, f"行「{q.row(rid).label}」との一致度 {s:.0f}")
    return best if best and best.score >= 60 else None


def value_option(q: Question, text: str) -> Hit | None:
    """Option for an answer written as text in the prefecture's own wording."""
    return _best_label(q.options, text)


_LISTED = re.compile(r"(?:^|[\s　、,])([0-9]{1,2}|[A-E])\s*[\.．:：)）]")


def listed_options(q: Question, text: str) -> list[str]:
    """Option ids printed as a numbered list in ``text`` (「1.設置している 2.設置していない」); [] if fewer than 2.

    Each must be an option of ``q``, in order, and most of their labels must match the codebook's."""
    t = unicodedata.normalize("NFKC", str(text))
    found = [m.group(1) for m in _LISTED.finditer(t)]
    if len(found) < 2 or any(o not in q.option_ids for o in found) or found != sorted(
            found, key=lambda o: q.option_ids.index(o)):
        return []
    return found


@dataclass(frozen=True)
class Positional:
    """What a short positional header says after its question number (``問4①-3.1_2_選択肢3``)."""

    question: Question
    row_index: int | None  # 1-based matrix row
    option: str | None
    as_list: bool  # (複数回答)
    free_text: bool  # その他内容
    words: tuple[str, ...] = ()  # other parts (a row's or option's wording: 問2_郡市区医師会)


def positional(codebook: Codebook, text: str) -> Positional | None:
    """Read ``問2_3`` (row 3), ``問4①-3.1_2_選択肢3`` (row 2, option 3), ``問5②-1_4``, ``…_付_選択肢1`` (the
    付問), ``問6①(複数回答)`` (a list), ``…_その他内容`` (free text); None if the header has no such parts."""
    raw = fold(text)
    s = re.sub(rf"[{_DASH}]", "-", raw)  # same length: the rest is cut from the text as written (コーディネーター)
    m = _QNUM.search(s)
    if m is not None:
        head, rest = s[: m.end()], raw[m.end():]
    else:
        named = [q for q in codebook if not fold(q.number).startswith("問") and s.startswith(fold(q.number))]
        if len(named) != 1:
            return None
        head, rest = fold(named[0].number), s[len(fold(named[0].number)):]
    tokens = [t for t in re.split(r"[_]+", rest) if t]
    as_list = "(複数回答)" in rest or "複数回答" in rest
    tokens = [t.replace("(複数回答)", "") for t in tokens]
    if not tokens and not as_list:
        return None
    sub = any(t in ("付", "付問") for t in tokens)
    q = question_by_number(codebook, head + ("付問" if sub else ""))
    if q is None:
        return None
    free = any("内容" in t or "自由記述" in t for t in tokens)
    digits = [t for t in tokens if t.isdigit()]
    opt_tok = [m2.group(1) for t in tokens if (m2 := re.fullmatch(r"(?:選択肢|選択|op)(\w+)", t))]
    row_index = int(digits[0]) if q.is_matrix and digits else None
    option = opt_tok[0] if opt_tok else (digits[-1] if not q.is_matrix and digits else
                                         digits[1] if q.is_matrix and len(digits) > 1 else None)
    words = tuple(t for t in tokens if not t.isdigit() and t not in ("付", "付問") and t not in opt_tok
                  and not re.fullmatch(r"(?:選択肢|選択|op)\w+", t) and "内容" not in t)
    return Positional(q, row_index, option, as_list, free, words)

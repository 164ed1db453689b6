"""Registry of Japan's 47 prefectures and 1,741 municipalities (総務省 全国地方公共団体コード).

The data ship in ``zaitaku/reference/data`` (see its README): 23 特別区 are municipalities, each 政令指定都市
is one municipality (its wards are not). Codes are 6-digit strings with the check digit
(松江市 ``"322016"``); prefecture codes are 2-digit strings (``"32"``).

Code normalization (:func:`normalize_code`):

* str: NFKC (full-width digits), surrounding spaces and hyphens dropped (``"32201-6"``);
  6 digits must carry a valid check digit, 5 digits get it appended.
  A numeric-looking string such as ``"11002.0"`` follows the int rule.
* int (or an integral float such as ``11002.0``) whose leading zero may have been lost:
  candidate A is the number zero-padded to 6 digits, kept only if its check digit is valid;
  candidate B (numbers below 100000) is the number zero-padded to 5 digits plus its check digit.
  One candidate → it. Two → the one in the registry; both in the registry → :class:`CodeError`;
  neither → A. So ``11002 → "011002"`` (札幌市), ``1100 → "011002"``, ``32201 → "322016"``.

The prefecture part must be 01–47; existence in the registry is not required by
:func:`normalize_code`, but is by :func:`resolve` and :func:`municipality`.
"""

from __future__ import annotations

import difflib
import math
import numbers
import re
import unicodedata
from dataclasses import dataclass
from functools import cache

import pandas as pd

from zaitaku.paths import PACKAGE_DATA_DIR

__all__ = [
    "MUNICIPALITY_TYPES",
    "CodeError",
    "check_digit",
    "is_valid_code",
    "load_prefectures",
    "load_registry",
    "municipalities_in",
    "municipality",
    "normalize_code",
    "normalize_prefecture",
    "prefecture_name",
    "resolve",
]

MUNICIPALITY_TYPES = ("政令指定都市", "市", "町", "村", "特別区")

# Names of Tokyo's 特別区 that are also ward names inside 政令指定都市 (as of 2024-01-01, after
# 浜松市's reorganisation into 中央区・浜名区・天竜区). Without a prefecture they are ambiguous.
_WARD_HOMONYMS: dict[str, str] = {
    "中央区": "札幌市 さいたま市 千葉市 相模原市 新潟市 浜松市 大阪市 神戸市 福岡市 熊本市",
    "北区": "札幌市 さいたま市 新潟市 名古屋市 京都市 大阪市 堺市 神戸市 岡山市 熊本市",
    "港区": "名古屋市 大阪市",
}

# Spelling variants folded for name matching only (the registry keeps the 総務省 spelling).
_VARIANTS = str.maketrans({"ケ": "ヶ", "ヵ": "ヶ", "檮": "梼"})
_DASHES = re.escape("-‐‑‒–—―−ー")
_CODE_LIKE = re.compile(rf"[0-9\s{_DASHES}]+(?:\.0*)?")
_NUMERIC = re.compile(r"[0-9]+\.0*")


class CodeError(ValueError):
    """A value that is not a valid (or not a known, or an ambiguous) code or name."""


# ---------------------------------------------------------------------------------------------
# data


@cache
def load_registry() -> pd.DataFrame:
    """All 1,741 municipalities, sorted by code (shared cached frame: copy before mutating).

    Columns: code, pref_code, prefecture, name, kana, type, core_city (bool), lat, lng.
    """
    return pd.read_csv(
        PACKAGE_DATA_DIR / "municipalities.csv",
        dtype={
            "code": str,
            "pref_code": str,
            "prefecture": str,
            "name": str,
            "kana": str,
            "type": str,
            "core_city": bool,
            "lat": float,
            "lng": float,
        },
        keep_default_na=False,
        na_values={"lat": [""], "lng": [""]},
    )


@cache
def load_prefectures() -> pd.DataFrame:
    """The 47 prefectures: pref_code, code (6 digits), prefecture, kana, name_en."""
    return pd.read_csv(PACKAGE_DATA_DIR / "prefectures.csv", dtype=str, keep_default_na=False)


@dataclass(frozen=True)
class _Index:
    codes: dict[str, int]  # municipality code -> row position
    pref_codes: dict[str, str]  # 6-digit prefecture code -> pref_code
    pref_names: dict[str, str]  # pref_code -> 島根県
    pref_keys: dict[str, str]  # 島根県 / 島根 / shimane -> pref_code
    names: dict[str, list[int]]  # name key -> row positions
    designated: dict[str, list[int]]  # 政令指定都市 name key -> row positions


def _key(text: str) -> str:
    """Matching key: NFKC, no whitespace, spelling variants folded."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).translate(_VARIANTS)


@cache
def _index() -> _Index:
    reg, prefs = load_registry(), load_prefectures()
    pref_keys: dict[str, str] = {}
    for p in prefs.itertuples():
        for k in (p.prefecture, re.sub("[都府県]$", "", p.prefecture), p.name_en.casefold()):
            pref_keys[_key(k)] = p.pref_code
    names: dict[str, list[int]] = {}
    designated: dict[str, list[int]] = {}
    for pos, (name, kind) in enumerate(zip(reg["name"], reg["type"], strict=True)):
        names.setdefault(_key(name), []).append(pos)
        if kind == "政令指定都市":
            designated.setdefault(_key(name), []).append(pos)
    return _Index(
        codes={c: i for i, c in enumerate(reg["code"])},
        pref_codes=dict(zip(prefs["code"], prefs["pref_code"], strict=True)),
        pref_names=dict(zip(prefs["pref_code"], prefs["prefecture"], strict=True)),
        pref_keys=pref_keys,
        names=names,
        designated=designated,
    )


# ---------------------------------------------------------------------------------------------
# codes


def check_digit(code5: str) -> str:
    """Check digit of a 5-digit code: ``(11 - Σ(6,5,4,3,2 × digit) mod 11) mod 10``."""
    if len(code5) != 5 or not code5.isascii() or not code5.isdigit():
        raise CodeError(f"{code5!r}: a check digit needs exactly 5 ASCII digits")
    s = sum(w * int(d) for w, d in zip((6, 5, 4, 3, 2), code5, strict=True))
    return str((11 - s % 11) % 10)


def _pref_ok(code: str) -> bool:
    return 1 <= int(code[:2]) <= 47


def is_valid_code(code: str) -> bool:
    """True for a 6-digit str with a correct check digit and a prefecture part 01–47."""
    return (
        isinstance(code, str)
        and len(code) == 6
        and code.isascii()
        and code.isdigit()
        and _pref_ok(code)
        and check_digit(code[:5]) == code[5]
    )


def _from_int(n: int, shown: object) -> str:
    if n < 0 or n >= 10**6:
        raise CodeError(f"{shown!r}: a code has at most 6 digits and is not negative")
    cands = []
    a = f"{n:06d}"
    if is_valid_code(a):
        cands.append(a)
    if n < 10**5:
        b5 = f"{n:05d}"
        b = b5 + check_digit(b5)
        if _pref_ok(b):
            cands.append(b)
    if not cands:
        if n >= 10**5:
            raise CodeError(
                f"{shown!r}: wrong check digit {a[5]} (expected {check_digit(a[:5])} for {a[:5]})"
            )
        raise CodeError(f"{shown!r}: prefecture part is not 01–47 whether read as 5 or 6 digits")
    if len(cands) == 1:
        return cands[0]
    idx = _index()
    known = [c for c in cands if c in idx.codes or c in idx.pref_codes]
    if len(known) == 2:
        raise CodeError(
            f"{shown!r} is ambiguous: {known[0]} ({_describe(known[0])}) as a 6-digit code that "
            f"lost its leading zero, or {known[1]} ({_describe(known[1])}) as a 5-digit code "
            "without check digit; pass the code as a zero-padded string"
        )
    return known[0] if known else cands[0]


def normalize_code(value: str | int | float) -> str:
    """A 6-digit code with check digit from a str/int/float code (rules in the module doc).

    Raises CodeError for non-digits, a wrong length, a wrong check digit or a prefecture part
    outside 01–47. The code need not exist in the registry.
    """
    if isinstance(value, bool) or value is None:
        raise CodeError(f"{value!r}: not a code")
    if isinstance(value, numbers.Integral):
        return _from_int(int(value), value)
    if isinstance(value, numbers.Real):
        f = float(value)
        if not math.isfinite(f) or not f.is_integer():
            raise CodeError(f"{value!r}: not a whole number, so not a code")
        return _from_int(int(f), value)
    if not isinstance(value, str):
        raise CodeError(f"{value!r}: expected a str, int or float code, got {type(value).__name__}")
    s = unicodedata.normalize("NFKC", value).strip()
    if _NUMERIC.fullmatch(s):
        return _from_int(int(s.split(".")[0]), value)
    digits = re.sub(rf"[\s{_DASHES}]", "", s)
    if not digits or not (digits.isascii() and digits.isdigit()):
        raise CodeError(f"{value!r}: a code has only digits (and optionally a hyphen)")
    if len(digits) == 5:
        digits += check_digit(digits)
    elif len(digits) != 6:
        raise CodeError(f"{value!r}: a code has 5 or 6 digits, not {len(digits)}")
    expected = check_digit(digits[:5])
    if digits[5] != expected:
        raise CodeError(
            f"{value!r}: wrong check digit {digits[5]} (expected {expected} for {digits[:5]})"
        )
    if not _pref_ok(digits):
        raise CodeError(f"{value!r}: prefecture part {digits[:2]} is not 01–47")
    return digits


# ---------------------------------------------------------------------------------------------
# prefectures


def normalize_prefecture(value: str | int | float) -> str:
    """2-digit pref_code from "島根県", "島根", "Shimane", "32", 32, "320005" or "32000"."""
    if isinstance(value, bool) or value is None:
        raise CodeError(f"{value!r}: not a prefecture")
    idx = _index()
    if isinstance(value, numbers.Real):
        f = float(value)
        if not math.isfinite(f) or not f.is_integer():
            raise CodeError(f"{value!r}: not a prefecture code")
        n = int(f)
        if 1 <= n <= 47:
            return f"{n:02d}"
        if n < 100:
            raise CodeError(f"{value!r}: prefecture codes are 01–47")
        return _pref_from_code(normalize_code(n), value)
    if not isinstance(value, str):
        raise CodeError(f"{value!r}: expected a prefecture name or code")
    s = _key(value)
    if s.isascii() and s.isdigit() and len(s) <= 2:
        if 1 <= int(s) <= 47:
            return f"{int(s):02d}"
        raise CodeError(f"{value!r}: prefecture codes are 01–47")
    if _CODE_LIKE.fullmatch(s):
        return _pref_from_code(normalize_code(value), value)
    found = idx.pref_keys.get(s) or idx.pref_keys.get(s.casefold())
    if found:
        return found
    close = difflib.get_close_matches(s, list(idx.pref_names.values()), n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise CodeError(f"{value!r}: not a prefecture name or code{hint}")


def _pref_from_code(code: str, shown: object) -> str:
    pref = _index().pref_codes.get(code)
    if pref is None:
        raise CodeError(
            f"{shown!r}: {code} is not a prefecture code (those end in 000 + check digit)"
        )
    return pref


def prefecture_name(pref_code: str | int) -> str:
    """Prefecture name ("島根県") for anything :func:`normalize_prefecture` accepts."""
    return _index().pref_names[normalize_prefecture(pref_code)]


def municipalities_in(prefecture: str | int) -> pd.DataFrame:
    """The registry rows of one prefecture (a copy, index reset)."""
    reg = load_registry()
    return reg[reg["pref_code"] == normalize_prefecture(prefecture)].reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# municipalities


def _describe(code: str) -> str:
    idx = _index()
    if code in idx.codes:
        row = load_registry().iloc[idx.codes[code]]
        return f"{row['prefecture']}{row['name']}"
    if code in idx.pref_codes:
        return idx.pref_names[idx.pref_codes[code]]
    return "not in the registry"


def _label(pos: int) -> str:
    row = load_registry().iloc[pos]
    return f"{row['prefecture']}{row['name']} ({row['code']})"


def _resolve_code(value: str | int | float, pref: str | None) -> str:
    code = normalize_code(value)
    idx = _index()
    if code in idx.pref_codes:
        raise CodeError(
            f"{value!r}: {code} is the code of {idx.pref_names[idx.pref_codes[code]]}, "
            "a prefecture, not a municipality"
        )
    if code not in idx.codes:
        raise CodeError(
            f"{value!r}: {code} has a valid check digit but is not a current municipality code"
        )
    if pref is not None and code[:2] != pref:
        raise CodeError(f"{value!r}: {_label(idx.codes[code])} is not in {idx.pref_names[pref]}")
    return code


_FOOTNOTE = re.compile(r"(?:※|\*|＊|注)\s*[0-9０-９]*|[（(](?:注|※)[^）)]*[）)]|[0-9０-９]+\)$")


def _resolve_name(value: str, pref: str | None) -> str:
    idx = _index()
    key = _key(_FOOTNOTE.sub("", value))
    for pc, pname in idx.pref_names.items():
        pkey = _key(pname)
        if key == pkey:
            raise CodeError(f"{value!r} is a prefecture (pref_code {pc}), not a municipality")
        if key.startswith(pkey):
            if pref is not None and pref != pc:
                raise CodeError(f"{value!r} is in {pname}, but prefecture={idx.pref_names[pref]}")
            pref, key = pc, key[len(pkey) :]
            break
    reg = load_registry()
    codes = reg["code"]

    def in_pref(positions: list[int]) -> list[int]:
        return [p for p in positions if pref is None or codes.iat[p][:2] == pref]

    hits = in_pref(idx.names.get(key, []))
    if not hits and (m := re.fullmatch(r"(.+?郡)(.+[町村])", key)):
        hits = [
            p for p in in_pref(idx.names.get(m.group(2), [])) if reg["type"].iat[p] in ("町", "村")
        ]
    where = f" in {idx.pref_names[pref]}" if pref is not None else ""
    if len(hits) > 1:
        cands = ", ".join(_label(p) for p in hits)
        raise CodeError(
            f"{value!r} is ambiguous: {cands}; pass prefecture= or prefix the prefecture"
        )
    if len(hits) == 1:
        if key in _WARD_HOMONYMS and pref is None:
            raise CodeError(
                f"{value!r} is ambiguous: {_label(hits[0])} is a 特別区, and "
                f"{'・'.join(_WARD_HOMONYMS[key].split())} also have a ward {key} (a ward of a 政令指定都市 "
                "is not a municipality: use the city); pass prefecture='東京都' for the 特別区"
            )
        return codes.iat[hits[0]]
    if m := re.fullmatch(r"(.+?市)(.+区)", key):
        cities = in_pref(idx.designated.get(m.group(1), []))
        if cities:
            raise CodeError(
                f"{value!r} is a ward of the 政令指定都市 {_label(cities[0])}; wards are not "
                "municipalities in this registry: use the city"
            )
    if key.endswith("区") and pref not in (None, "13"):
        raise CodeError(
            f"{value!r}: no 特別区 outside 東京都; a ward of a 政令指定都市 counts as its city"
        )
    elsewhere = idx.names.get(key, [])
    if elsewhere:
        found = ", ".join(_label(p) for p in elsewhere)
        raise CodeError(f"{value!r}: no municipality named {key!r}{where}; found {found}")
    pool = [_key(n) for n in reg["name"][reg["pref_code"] == pref]] if pref else list(idx.names)
    close = difflib.get_close_matches(key, pool, n=5, cutoff=0.5)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise CodeError(f"{value!r}: no municipality named {key!r}{where}{hint}")


def resolve(value: str | int | float, prefecture: str | int | None = None) -> str:
    """6-digit code of a municipality given a code in any accepted form or a name.

    Names may carry the prefecture (``島根県松江市``), a 郡 (``仁多郡奥出雲町``), spaces and
    full-width characters. ``prefecture`` disambiguates (``resolve("府中市", "広島県")``).
    Raises CodeError for unknown, ambiguous or inconsistent input.
    """
    pref = None if prefecture is None else normalize_prefecture(prefecture)
    if isinstance(value, str):
        s = unicodedata.normalize("NFKC", value).strip()
        if not s:
            raise CodeError(f"{value!r}: empty")
        if not _CODE_LIKE.fullmatch(s):
            return _resolve_name(value, pref)
        digits = re.sub(rf"[\s{_DASHES}]", "", s)
        if digits.isascii() and digits.isdigit() and len(digits) <= 5:
            # "14702" typed or stored without its leading zero: the registered reading wins
            return _resolve_code(int(digits), pref)
    return _resolve_code(value, pref)


def municipality(code_or_name: str | int | float, prefecture: str | int | None = None) -> pd.Series:
    """The registry row (a Series) of one municipality; see :func:`resolve` for accepted input."""
    code = resolve(code_or_name, prefecture)
    return load_registry().iloc[_index().codes[code]].copy()


def looks_like_municipality(value: object) -> str | None:
    """Fast check (no suggestions): ``"code"`` for a registered code, ``"name"`` for a registered name.

    Names may carry the prefecture, a 郡, spaces and a footnote mark (※1); codes may have lost
    their leading zero. Used to find where the data rows of a table start.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, numbers.Real):
        try:
            _resolve_code(value, None)
            return "code"
        except CodeError:
            return None
    s = unicodedata.normalize("NFKC", str(value)).strip()
    if not s or len(s) > 40:
        return None
    idx = _index()
    if _CODE_LIKE.fullmatch(s):
        try:
            resolve(s)
            return "code"
        except CodeError:
            return None
    key = _key(_FOOTNOTE.sub("", s))
    for pname in idx.pref_names.values():
        pk = _key(pname)
        if key.startswith(pk) and len(key) > len(pk):
            key = key[len(pk):]
            break
    if key in idx.names:
        return "name"
    m = re.fullmatch(r"(.+?郡)(.+[町村])", key)
    return "name" if m and m.group(2) in idx.names else None

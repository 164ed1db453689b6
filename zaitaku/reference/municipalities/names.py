"""Municipality resolution: a code in any accepted form or a name → the registry's 6-digit code.

Names may carry the prefecture (``島根県松江市``), a 郡 (``仁多郡奥出雲町``), spaces, full-width
characters and a footnote mark (``※1``). A ward of a 政令指定都市 is not a municipality (use the
city); a 特別区 name shared with such wards needs the prefecture.
"""

from __future__ import annotations

import difflib
import numbers
import re
import unicodedata

import pandas as pd

from zaitaku.reference.municipalities.codes import CODE_LIKE, DASHES, CodeValue, normalize_code
from zaitaku.reference.municipalities.prefectures import normalize_prefecture
from zaitaku.reference.municipalities.registry import (
    CodeError,
    label,
    load_registry,
    match_key,
    registry_index,
)

# Names of Tokyo's 特別区 that are also ward names inside 政令指定都市 (as of 2024-01-01, after
# 浜松市's reorganisation into 中央区・浜名区・天竜区). Without a prefecture they are ambiguous.
_WARD_HOMONYMS: dict[str, str] = {
    "中央区": "札幌市 さいたま市 千葉市 相模原市 新潟市 浜松市 大阪市 神戸市 福岡市 熊本市",
    "北区": "札幌市 さいたま市 新潟市 名古屋市 京都市 大阪市 堺市 神戸市 岡山市 熊本市",
    "港区": "名古屋市 大阪市",
}


def _resolve_code(value: CodeValue, pref: str | None) -> str:
    code = normalize_code(value)
    idx = registry_index()
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
        raise CodeError(f"{value!r}: {label(idx.codes[code])} is not in {idx.pref_names[pref]}")
    return code


_FOOTNOTE = re.compile(r"(?:※|\*|＊|注)\s*[0-9０-９]*|[（(](?:注|※)[^）)]*[）)]|[0-9０-９]+\)$")


def _resolve_name(value: str, pref: str | None) -> str:
    idx = registry_index()
    key = match_key(_FOOTNOTE.sub("", value))
    for pc, pname in idx.pref_names.items():
        pkey = match_key(pname)
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
        return [p for p in positions if pref is None or str(codes.iat[p])[:2] == pref]

    hits = in_pref(idx.names.get(key, []))
    if not hits and (m := re.fullmatch(r"(.+?郡)(.+[町村])", key)):
        hits = [
            p for p in in_pref(idx.names.get(m.group(2), [])) if reg["type"].iat[p] in ("町", "村")
        ]
    where = f" in {idx.pref_names[pref]}" if pref is not None else ""
    if len(hits) > 1:
        cands = ", ".join(label(p) for p in hits)
        raise CodeError(
            f"{value!r} is ambiguous: {cands}; pass prefecture= or prefix the prefecture"
        )
    if len(hits) == 1:
        if key in _WARD_HOMONYMS and pref is None:
            raise CodeError(
                f"{value!r} is ambiguous: {label(hits[0])} is a 特別区, and "
                f"{'・'.join(_WARD_HOMONYMS[key].split())} also have a ward {key} (a ward of a 政令指定都市 "
                "is not a municipality: use the city); pass prefecture='東京都' for the 特別区"
            )
        return str(codes.iat[hits[0]])
    if m := re.fullmatch(r"(.+?市)(.+区)", key):
        cities = in_pref(idx.designated.get(m.group(1), []))
        if cities:
            raise CodeError(
                f"{value!r} is a ward of the 政令指定都市 {label(cities[0])}; wards are not "
                "municipalities in this registry: use the city"
            )
    if key.endswith("区") and pref not in (None, "13"):
        raise CodeError(
            f"{value!r}: no 特別区 outside 東京都; a ward of a 政令指定都市 counts as its city"
        )
    elsewhere = idx.names.get(key, [])
    if elsewhere:
        found = ", ".join(label(p) for p in elsewhere)
        raise CodeError(f"{value!r}: no municipality named {key!r}{where}; found {found}")
    pool = [match_key(n) for n in reg["name"][reg["pref_code"] == pref]] if pref else list(idx.names)
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
        if not CODE_LIKE.fullmatch(s):
            return _resolve_name(value, pref)
        digits = re.sub(rf"[\s{DASHES}]", "", s)
        if digits.isascii() and digits.isdigit() and len(digits) <= 5:
            # "14702" typed or stored without its leading zero: the registered reading wins
            return _resolve_code(int(digits), pref)
    return _resolve_code(value, pref)


def municipality(code_or_name: str | int | float, prefecture: str | int | None = None) -> pd.Series:
    """The registry row (a Series) of one municipality; see :func:`resolve` for accepted input."""
    code = resolve(code_or_name, prefecture)
    return load_registry().iloc[registry_index().codes[code]].copy()


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
    idx = registry_index()
    if CODE_LIKE.fullmatch(s):
        try:
            resolve(s)
            return "code"
        except CodeError:
            return None
    key = match_key(_FOOTNOTE.sub("", s))
    for pname in idx.pref_names.values():
        pk = match_key(pname)
        if key.startswith(pk) and len(key) > len(pk):
            key = key[len(pk):]
            break
    if key in idx.names:
        return "name"
    m = re.fullmatch(r"(.+?郡)(.+[町村])", key)
    return "name" if m and m.group(2) in idx.names else None

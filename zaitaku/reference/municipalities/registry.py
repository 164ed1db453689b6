"""The shipped registry (総務省 全国地方公共団体コード) as frames, and the lookup index built from it.

The data live in ``zaitaku/reference/data`` (see its README): 1,741 municipalities (23 特別区 are
municipalities; each 政令指定都市 is one municipality, its wards are not) and 47 prefectures.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache

import pandas as pd

from zaitaku.paths import PACKAGE_DATA_DIR

MUNICIPALITY_TYPES = ("政令指定都市", "市", "町", "村", "特別区")

# Spelling variants folded for name matching only (the registry keeps the 総務省 spelling).
_VARIANTS = str.maketrans({"ケ": "ヶ", "ヵ": "ヶ", "檮": "梼"})


class CodeError(ValueError):
    """A value that is not a valid (or not a known, or an ambiguous) code or name."""


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
class RegistryIndex:
    """Dictionaries over the registry for constant-time lookups (row positions into load_registry())."""

    codes: dict[str, int]  # municipality code -> row position
    pref_codes: dict[str, str]  # 6-digit prefecture code -> pref_code
    pref_names: dict[str, str]  # pref_code -> 島根県
    pref_keys: dict[str, str]  # 島根県 / 島根 / shimane -> pref_code
    names: dict[str, list[int]]  # name key -> row positions
    designated: dict[str, list[int]]  # 政令指定都市 name key -> row positions


def match_key(text: str) -> str:
    """Matching key: NFKC, no whitespace, spelling variants folded."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).translate(_VARIANTS)


@cache
def registry_index() -> RegistryIndex:
    """The index over the shipped registry (built once)."""
    reg, prefs = load_registry(), load_prefectures()
    pref_keys: dict[str, str] = {}
    for p in prefs.itertuples():
        prefecture, name_en = str(p.prefecture), str(p.name_en)
        for k in (prefecture, re.sub("[都府県]$", "", prefecture), name_en.casefold()):
            pref_keys[match_key(k)] = str(p.pref_code)
    names: dict[str, list[int]] = {}
    designated: dict[str, list[int]] = {}
    for pos, (name, kind) in enumerate(zip(reg["name"], reg["type"], strict=True)):
        names.setdefault(match_key(name), []).append(pos)
        if kind == "政令指定都市":
            designated.setdefault(match_key(name), []).append(pos)
    return RegistryIndex(
        codes={c: i for i, c in enumerate(reg["code"])},
        pref_codes=dict(zip(prefs["code"], prefs["pref_code"], strict=True)),
        pref_names=dict(zip(prefs["pref_code"], prefs["prefecture"], strict=True)),
        pref_keys=pref_keys,
        names=names,
        designated=designated,
    )


def describe(code: str) -> str:
    """Name of a code: "島根県松江市" (municipality), "島根県" (prefecture) or "not in the registry"."""
    idx = registry_index()
    if code in idx.codes:
        row = load_registry().iloc[idx.codes[code]]
        return f"{row['prefecture']}{row['name']}"
    if code in idx.pref_codes:
        return idx.pref_names[idx.pref_codes[code]]
    return "not in the registry"


def label(pos: int) -> str:
    """Row label for messages: "島根県松江市 (322016)" for a registry row position."""
    row = load_registry().iloc[pos]
    return f"{row['prefecture']}{row['name']} ({row['code']})"

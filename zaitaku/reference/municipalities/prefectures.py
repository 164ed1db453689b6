"""Prefectures: a 2-digit pref_code from a name, romaji, 2-digit or 6-digit code; their municipalities."""

from __future__ import annotations

import difflib
import math
import numbers

import pandas as pd

from zaitaku.reference.municipalities.codes import CODE_LIKE, normalize_code
from zaitaku.reference.municipalities.registry import (
    CodeError,
    load_registry,
    match_key,
    registry_index,
)


def normalize_prefecture(value: str | int | float) -> str:
    """2-digit pref_code from "島根県", "島根", "Shimane", "32", 32, "320005" or "32000"."""
    if isinstance(value, bool) or value is None:
        raise CodeError(f"{value!r}: not a prefecture")
    idx = registry_index()
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
    s = match_key(value)
    if s.isascii() and s.isdigit() and len(s) <= 2:
        if 1 <= int(s) <= 47:
            return f"{int(s):02d}"
        raise CodeError(f"{value!r}: prefecture codes are 01–47")
    if CODE_LIKE.fullmatch(s):
        return _pref_from_code(normalize_code(value), value)
    found = idx.pref_keys.get(s) or idx.pref_keys.get(s.casefold())
    if found:
        return found
    close = difflib.get_close_matches(s, list(idx.pref_names.values()), n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise CodeError(f"{value!r}: not a prefecture name or code{hint}")


def _pref_from_code(code: str, shown: object) -> str:
    pref = registry_index().pref_codes.get(code)
    if pref is None:
        raise CodeError(
            f"{shown!r}: {code} is not a prefecture code (those end in 000 + check digit)"
        )
    return pref


def prefecture_name(pref_code: str | int) -> str:
    """Prefecture name ("島根県") for anything :func:`normalize_prefecture` accepts."""
    return registry_index().pref_names[normalize_prefecture(pref_code)]


def municipalities_in(prefecture: str | int) -> pd.DataFrame:
    """The registry rows of one prefecture (a copy, index reset)."""
    reg = load_registry()
    return reg[reg["pref_code"] == normalize_prefecture(prefecture)].reset_index(drop=True)

"""Code normalization: 6-digit municipality codes with check digit from str, int or float.

Codes are 6-digit strings with the check digit (松江市 ``"322016"``); prefecture codes are 2-digit
strings (``"32"``). :func:`normalize_code`:

* str: NFKC (full-width digits), surrounding spaces and hyphens dropped (``"32201-6"``);
  6 digits must carry a valid check digit; 5 digits get it appended (``"32201"`` → ``"322016"``),
  unless only the zero-padded 6-digit reading is registered (``"14702"`` → ``"014702"``, the str of
  a code that lost its leading zero). Both registered → the 5-digit reading (``"12203"`` → ``"122033"``).
  A numeric-looking string such as ``"11002.0"`` follows the int rule.
* int (or an integral float such as ``11002.0``) whose leading zero may have been lost:
  candidate A is the number zero-padded to 6 digits, kept only if its check digit is valid;
  candidate B (numbers below 100000) is the number zero-padded to 5 digits plus its check digit.
  One candidate → it. Two → the one in the registry; both in the registry → :class:`CodeError`;
  neither → A. So ``11002 → "011002"`` (札幌市), ``1100 → "011002"``, ``32201 → "322016"``.

The prefecture part must be 01–47; existence in the registry is not required here, but is by
``resolve`` and ``municipality``.
"""

from __future__ import annotations

import math
import numbers
import re
import unicodedata

from zaitaku.reference.municipalities.registry import CodeError, describe, registry_index

# what callers may hand in as a code: numpy numbers count as numbers.Real
CodeValue = str | int | float | numbers.Real

DASHES = re.escape("-‐‑‒–—―−ー")
CODE_LIKE = re.compile(rf"[0-9\s{DASHES}]+(?:\.0*)?")
_NUMERIC = re.compile(r"[0-9]+\.0*")


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
    idx = registry_index()
    known = [c for c in cands if c in idx.codes or c in idx.pref_codes]
    if len(known) == 2:
        raise CodeError(
            f"{shown!r} is ambiguous: {known[0]} ({describe(known[0])}) as a 6-digit code that "
            f"lost its leading zero, or {known[1]} ({describe(known[1])}) as a 5-digit code "
            "without check digit; pass the code as a zero-padded string"
        )
    return known[0] if known else cands[0]


def normalize_code(value: CodeValue) -> str:
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
    digits = re.sub(rf"[\s{DASHES}]", "", s)
    if not digits or not (digits.isascii() and digits.isdigit()):
        raise CodeError(f"{value!r}: a code has only digits (and optionally a hyphen)")
    if len(digits) == 5 and digits[0] != "0":
        # "14702" (str(14702) of a code that lost its leading zero): when only the zero-padded
        # 6-digit reading is registered, it wins; otherwise the 5-digit code without check digit
        idx = registry_index()
        five = digits + check_digit(digits)
        six = "0" + digits
        if five not in idx.codes and five not in idx.pref_codes and is_valid_code(six) and six in idx.codes:
            return six
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

"""Every rule for writing a figure as text, in one place: the small-n rule, percentages, escaping.

A base under :data:`SMALL_N` is written as a count (``3/4``), never as a percentage; a share
without a base (a published figure whose n was not printed) as a percentage; a missing figure as
「–」. Charts, tables, sentences, the explorer and the slide deck all call these.
"""

from __future__ import annotations

import html

import pandas as pd

SMALL_N = 5  # a base under this shows counts, not percentages
MISSING = "–"

# Figures arrive as ``object`` (Python, numpy or pandas scalars, pd.NA). The ``type: ignore`` comments
# below mark the float()/int() conversions of such values once they are known not to be missing.


def is_missing(x: object) -> bool:
    """None, NaN, pd.NA or NaT (scalars only)."""
    return x is None or bool(pd.isna(x))  # type: ignore[call-overload]


def is_small(n_base: object) -> bool:
    """Whether a base is under the small-n rule (an unknown base is not small)."""
    return not is_missing(n_base) and 0 < float(n_base) < SMALL_N  # type: ignore[arg-type]


def pct(share: object, digits: int = 1) -> str:
    """「42.1%」, or 「–」 for a missing share."""
    return MISSING if is_missing(share) else f"{float(share) * 100:.{digits}f}%"  # type: ignore[arg-type]


def cell(n_selected: object, n_base: object, share: object) -> str:
    """A chart label: a percentage, 「3/4」 under the small-n rule, 「–」 when there is no figure."""
    if is_missing(share):
        return MISSING
    if is_missing(n_base):  # a published share whose n was not printed
        return pct(share)
    if not float(n_base):  # type: ignore[arg-type]
        return MISSING
    if is_small(n_base):
        return f"{int(n_selected)}/{int(n_base)}"  # type: ignore[call-overload]
    return pct(share)


def table_cell(n_selected: object, n_base: object, share: object) -> str:
    """A table cell: 「42.1%（8/19）」, 「3/4」 under the small-n rule, 「–」 without a figure."""
    if is_missing(n_base):
        return pct(share)
    if not float(n_base):  # type: ignore[arg-type]
        return MISSING
    if is_small(n_base):
        return f"{int(n_selected)}/{int(n_base)}"  # type: ignore[call-overload]
    return f"{pct(share)}（{int(n_selected)}/{int(n_base)}）"  # type: ignore[call-overload]


def count_share(n_selected: object, n_base: object) -> str:
    """A sentence figure: 「15（79%）」, or 「15」 under the small-n rule."""
    if is_missing(n_base) or not float(n_base):  # type: ignore[arg-type]
        return MISSING
    if is_small(n_base):
        return f"{int(n_selected)}"  # type: ignore[call-overload]
    return f"{int(n_selected)}（{float(n_selected) / float(n_base) * 100:.0f}%）"  # type: ignore[arg-type, call-overload]


def n_label(n_base: object) -> str:
    """「1,741」 or 「–」."""
    return MISSING if is_missing(n_base) else f"{int(n_base):,}"  # type: ignore[call-overload]


def esc(text: object) -> str:
    """HTML-escape any value (quotes included)."""
    return html.escape(str(text), quote=True)

"""Reading a comparison frame for drawing: the scopes (bars), the options, named option groups, labels.

The frame is :func:`zaitaku.analysis.aggregate.comparison`'s: one row per scope × row × option with
``n_selected``, ``n_base`` and ``share``; an optional ``is_group`` column marks named option groups
(``option_id`` like ``grp:…``), which are drawn as extras and never needed.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from zaitaku.report.charts.style import PINK, SCOPE_COLOURS
from zaitaku.report.format import cell, n_label


@dataclass(frozen=True)
class Scope:
    """One comparison bar: its kind (prefecture, peer, type, nation), label and base."""

    kind: str
    label: str
    n_base: object

    def caption(self) -> str:
        """「島根県（n=19）」; a label that already states its n is kept."""
        return self.label if "n=" in self.label else f"{self.label}（n={n_label(self.n_base)}）"

    def short(self) -> str:
        """The name inside a grid cell (the caption under the grid names it in full): 「全国」, the kind for the
        same kind nationwide (「中核市」; 「市」 for 全国の市（中核市を除く））."""
        return self.label.removeprefix("全国の").split("（")[0] if self.kind == "type" else self.label.split("（")[0]

    def colour(self, focus_scope: str) -> str:
        return PINK if self.kind == focus_scope else SCOPE_COLOURS.get(self.kind, "#8C8C8C")


Figure3 = tuple[float, str, bool]  # share (0 when missing), label text, whether the figure exists
_COLS = ["scope", "scope_label", "row_id", "row_label", "option_id", "option_label", "n_selected", "n_base", "share"]


@dataclass
class Parsed:
    """A frame read once into plain Python (pandas per lookup would cost more than the drawing)."""

    scopes: list[Scope]
    rows: list[tuple[str, str]]
    options: list[tuple[str, str]]  # named groups excluded
    groups: list[tuple[str, str]]
    figures: dict[tuple[str, str, str], Figure3]  # (scope_label, row_id, option_id)
    focus_label: str  # the municipality's name (empty in prefecture mode)

    def get(self, scope_label: str, row_id: str, option_id: str) -> Figure3:
        return self.figures.get((scope_label, row_id, option_id), (0.0, "–", False))


def parse(df: pd.DataFrame) -> Parsed:
    """Read a comparison frame: scopes, rows, options and groups in frame order, and every figure."""
    groups_col = is_group(df).tolist()
    scopes: dict[str, Scope] = {}
    rows: dict[str, str] = {}
    opts: dict[str, str] = {}
    groups: dict[str, str] = {}
    figures: dict[tuple[str, str, str], Figure3] = {}
    focus = ""
    for (scope, slabel, rid, rlabel, oid, olabel, ns, nb, sh), grp in zip(
            df[_COLS].itertuples(index=False, name=None), groups_col, strict=True):
        slabel, rid, oid = str(slabel), str(rid), str(oid)
        rows.setdefault(rid, str(rlabel))
        (groups if grp else opts).setdefault(oid, str(olabel))
        if scope == "municipality":
            focus = focus or slabel
        else:
            prev = scopes.get(slabel)
            nb_known = nb if not pd.isna(nb) else None
            if prev is None:
                scopes[slabel] = Scope(str(scope), slabel, nb_known)
            elif nb_known is not None and (prev.n_base is None or nb_known > prev.n_base):
                scopes[slabel] = Scope(prev.kind, slabel, nb_known)
        present = not pd.isna(sh)
        figures[(slabel, rid, oid)] = (float(sh) if present else 0.0, cell(ns, nb, sh), present)
    return Parsed(list(scopes.values()), list(rows.items()), list(opts.items()), list(groups.items()), figures, focus)


def is_group(df: pd.DataFrame) -> pd.Series:
    """Rows that are named option groups (not options)."""
    if "is_group" in df.columns:
        return df["is_group"].fillna(False).astype(bool)
    return df["option_id"].astype(str).str.startswith("grp:")

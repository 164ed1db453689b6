"""Shares of each option by scope (municipality, prefecture, nation, peer group) and the comparison frame.

The shares themselves are computed at ingest (:mod:`zaitaku.analysis.shares`, rules there); this
module looks them up through the one index of a loaded set (:mod:`zaitaku.analysis.index`). Small
bases are a presentation matter (:mod:`zaitaku.report.format`).

National figures (``national=``): see :func:`national_coverage` for when the data *is* the nation.

- ``"auto"`` (default): the nation computed from the data if the data covers the nation; otherwise
  the published national figure (year and n in its label) where one exists; otherwise no national bar.
- ``"published"``: the published figure where one exists; otherwise as ``"auto"``.
- ``"computed"``: the figure computed from the data. When the data does not cover the nation it is
  **relabelled** 「手元データ全体（全国ではありません）」, never 「全国」.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from zaitaku.analysis.index import data_index
from zaitaku.analysis.processed import ProcessedData, load_processed  # noqa: F401  (re-exported)
from zaitaku.analysis.shares import (  # noqa: F401  (re-exported)
    KEYS,
    NATION_LABEL,
    check_single_sums,
    compute_shares,
    peer_group,
    with_option_groups,
)
from zaitaku.reference.codebook import GROUP_PREFIX, NO_ANSWER

SCOPES = ("municipality", "prefecture", "nation", "type")
NATIONAL_CHOICES = ("auto", "computed", "published")
N_PREFECTURES = 47
COVERAGE_MIN = 0.95  # share of the country's municipalities that must have responded
NOT_NATION_LABEL = "手元データ全体（全国ではありません）"
PEER_LABELS = {"政令指定都市": "全国の政令指定都市", "中核市": "全国の中核市", "市": "全国の市（中核市を除く）",
               "町": "全国の町", "村": "全国の村", "特別区": "東京都の特別区"}


def answer_of(data: ProcessedData, code: str, question_id: str) -> pd.DataFrame:
    """A municipality's answer rows of one question (value NA = not asked)."""
    return data_index(data).answers(code, question_id)


def scope_shares(data: ProcessedData, question_id: str, scope: str, scope_code: str) -> pd.DataFrame:
    return data_index(data).shares(question_id, scope, scope_code)


def selected_options(data: ProcessedData, code: str, question_id: str, row_id: str = "") -> list[str] | None:
    """Options a municipality selected (``["na"]`` for 未回答); None when it was not asked or did not respond."""
    return data_index(data).selected(code, question_id, row_id)


@dataclass(frozen=True)
class Coverage:
    """How much of the country the processed data holds (see :data:`COVERAGE_MIN`)."""

    prefectures: int  # prefectures with at least one responding municipality
    responded: int
    total: int

    @property
    def share(self) -> float:
        return self.responded / self.total if self.total else 0.0

    @property
    def covers_nation(self) -> bool:
        """The rule: every prefecture present and at least 95% of the country's municipalities responded."""
        return self.prefectures >= N_PREFECTURES and self.share >= COVERAGE_MIN

    def describe(self, clause: bool = False) -> str:
        """「手元のデータは47都道府県中1都道府県、…の回答です」 (``clause``: 「…の回答のみの」, to go before ため)."""
        return (f"手元のデータは{N_PREFECTURES}都道府県中{self.prefectures}都道府県、全国{self.total:,}市町村中"
                f"{self.responded:,}市町村（{self.share * 100:.1f}%）の回答" + ("のみの" if clause else "です"))


def national_coverage(data: ProcessedData) -> Coverage:
    """Coverage of the loaded data (computed once per loaded data set)."""
    return data_index(data).coverage(lambda m: Coverage(
        int(m.loc[m["responded"], "pref_code"].nunique()), int(m["responded"].sum()), len(m)))


def covers_nation(data: ProcessedData, fraction: float | None = None) -> bool:
    """Whether the data is the nation: every prefecture present and ≥ 95% of municipalities responded."""
    c = national_coverage(data)
    if fraction is None:
        return c.covers_nation
    return c.prefectures >= N_PREFECTURES and c.share >= fraction


@dataclass(frozen=True)
class Focus:
    """Whom a report is about: a municipality (``code``) or, in prefecture mode, a prefecture."""

    pref_code: str
    pref_name: str
    code: str | None = None
    name: str | None = None
    type: str | None = None
    core_city: bool = False

    @property
    def is_prefecture_mode(self) -> bool:
        return self.code is None

    @property
    def label(self) -> str:
        return self.name if self.code and self.name is not None else self.pref_name

    @property
    def peer(self) -> str | None:
        """The municipality's own kind (政令指定都市, 中核市, 市, 町, 村, 特別区); None in prefecture mode."""
        return peer_group(self.type, self.core_city) if self.code and self.type else None

    @property
    def peer_label(self) -> str:
        return PEER_LABELS.get(self.peer or "", f"全国の{self.peer}")


def focus_of(data: ProcessedData, municipality_code: str = "", prefecture: str = "") -> Focus:
    """Resolve report parameters (code, or prefecture in prefecture mode) against the registry."""
    from zaitaku.reference.municipalities import normalize_code, normalize_prefecture

    m = data.municipalities
    if municipality_code:
        code = normalize_code(municipality_code)
        row = m[m["code"] == code]
        if row.empty:
            raise ValueError(f"municipality_code {municipality_code!r}: not in the municipality registry")
        r = row.iloc[0]
        return Focus(r["pref_code"], r["prefecture"], code, r["name"], r["type"], bool(r.get("core_city", False)))
    if not prefecture:
        raise ValueError("give municipality_code, or prefecture for prefecture mode")
    pc = normalize_prefecture(prefecture)
    names = m.loc[m["pref_code"] == pc, "prefecture"]
    if names.empty:
        from zaitaku.reference.municipalities import prefecture_name

        return Focus(pc, prefecture_name(pc))
    return Focus(pc, names.iloc[0])


def national_part(data: ProcessedData, question_id: str, national: str = "auto") -> tuple[pd.DataFrame, str] | None:
    """The nation's rows of one question and their label under the ``national`` rule, or None (no national bar)."""
    if national not in NATIONAL_CHOICES:
        raise ValueError(f"national must be one of {NATIONAL_CHOICES}, not {national!r}")
    covered = covers_nation(data)
    computed = data_index(data).shares(question_id, "nation", NATION_LABEL)
    if national == "computed":
        return computed, NATION_LABEL if covered else NOT_NATION_LABEL
    if national == "auto" and covered:
        return computed, NATION_LABEL
    from zaitaku.reference.published import published_comparison

    pub = published_comparison(question_id, data.meta.get("survey_year", "R3"))
    if pub is not None:
        return _published_groups(data.codebook[question_id], pub), pub.attrs.get("label", "全国（公表値）")
    if covered:
        return computed, NATION_LABEL
    return None


def _published_groups(q, pub: pd.DataFrame) -> pd.DataFrame:
    """Add option-group rows to published figures of a single-choice question when every member is published
    (single choice: the group's share is the sum of its members'; multi-select groups cannot be derived)."""
    if q.is_multi or not q.option_groups:
        return pub
    extra = []
    for _row, part in pub.groupby("row_id", sort=False):
        for g in q.option_groups:
            members = part[part["option_id"].isin(g.options)]
            if len(members) != len(g.options):
                continue
            r = members.iloc[[0]].assign(option_id=g.option_id, share=float(members["share"].sum()),
                                         n_selected=members["n_selected"].sum(min_count=len(g.options)))
            extra.append(r)
    if not extra:
        return pub
    out = pd.concat([pub, *extra], ignore_index=True)
    out.attrs = pub.attrs
    return out


def comparison(data: ProcessedData, question_id: str, focus: Focus, national: str = "auto") -> pd.DataFrame:
    """The figures behind one chart: each scope's n and share per row and option (groups included), labelled.

    Scopes in display order: the municipality (if any), its prefecture, its peer group nationwide
    (only when the data covers the nation), the nation (per the ``national`` rule in the module
    docstring). Option groups come after the options with ``is_group`` True.
    """
    q = data.codebook[question_id]
    idx = data_index(data)
    key = f"comparison-context:{q.id}:{focus.pref_code}:{focus.peer}:{national}"
    context = idx.recent(key, lambda: _context(data, q, focus, national))  # shared by a prefecture's municipalities
    if not focus.code:
        return context.copy()  # the cached frame is shared: callers may change theirs
    own = _labelled(q, [("municipality", focus.code, focus.name, idx.shares(q.id, "municipality", focus.code))])
    out = pd.concat([own, context], ignore_index=True)
    order = np.lexsort((out["_scope"].to_numpy(), out["_row"].to_numpy()))
    return out.take(order).reset_index(drop=True)[COMPARISON_COLUMNS]


COMPARISON_COLUMNS = ["question_id", "row_id", "row_label", "scope", "scope_code", "scope_label", "option_id",
                      "option_label", "is_group", "n_selected", "n_base", "share", "source"]


def _context(data: ProcessedData, q, focus: Focus, national: str) -> pd.DataFrame:
    """The prefecture, peer and national rows of one question (the same for every municipality of a prefecture)."""
    idx = data_index(data)
    parts = [("prefecture", focus.pref_code, focus.pref_name, idx.shares(q.id, "prefecture", focus.pref_code))]
    if focus.peer and covers_nation(data):  # a peer bar from one prefecture's data would mislead
        peer = idx.shares(q.id, "type", focus.peer)
        n = int(peer["n_base"].max()) if len(peer) and peer["n_base"].notna().any() else 0
        parts.append(("type", focus.peer, f"{focus.peer_label}（n={n:,}）", peer))
    nat = national_part(data, q.id, national)
    if nat is not None:
        parts.append(("nation", NATION_LABEL, nat[1], nat[0]))
    out = _labelled(q, parts, first=1)
    return out if focus.code else out[COMPARISON_COLUMNS]


def _labelled(q, parts: Sequence[tuple[str, str, str | None, pd.DataFrame]], first: int = 0) -> pd.DataFrame:
    """The parts with labels and display order, built from arrays (column-by-column assign is slow)."""
    row_order = {r: i for i, r in enumerate(q.row_ids)}
    opt_order = {o: i for i, o in enumerate([*q.option_ids, NO_ANSWER, *(g.option_id for g in q.option_groups)])}
    row_labels = {r: (q.row(r).label if r else "") for r in q.row_ids}
    opt_labels = {o: q.option_label(o) for o in opt_order}
    recs: dict[str, list] = {c: [] for c in (*COMPARISON_COLUMNS, "_row", "_scope", "_opt")}
    for position, (scope, code, label, part) in enumerate(parts, start=first):
        rows, opts = part["row_id"].tolist(), part["option_id"].tolist()
        keep = [o in opt_order and r in row_order for r, o in zip(rows, opts, strict=True)]
        for column in ("n_selected", "n_base", "share", "source"):
            recs[column] += [v for v, k in zip(part[column].tolist(), keep, strict=True) if k]
        rows = [r for r, k in zip(rows, keep, strict=True) if k]
        opts = [o for o, k in zip(opts, keep, strict=True) if k]
        n = len(rows)
        recs["question_id"] += [q.id] * n
        recs["row_id"] += rows
        recs["row_label"] += [row_labels[r] for r in rows]
        recs["scope"] += [scope] * n
        recs["scope_code"] += [code] * n
        recs["scope_label"] += [label] * n
        recs["option_id"] += opts
        recs["option_label"] += [opt_labels[o] for o in opts]
        recs["is_group"] += [o.startswith(GROUP_PREFIX) for o in opts]
        recs["_row"] += [row_order[r] for r in rows]
        recs["_scope"] += [position] * n
        recs["_opt"] += [opt_order[o] for o in opts]
    order = np.lexsort((recs["_opt"], recs["_scope"], recs["_row"])) if recs["_row"] else np.array([], dtype=int)

    def col(name: str, dtype=object) -> np.ndarray:
        return np.asarray(recs[name], dtype=dtype)[order] if len(order) else np.asarray([], dtype=dtype)

    def nullable_int(name: str) -> pd.api.extensions.ExtensionArray:
        v = col(name)
        mask = np.array([x is None or x is pd.NA for x in v], dtype=bool)
        ints = np.array([0 if m else int(x) for x, m in zip(v, mask, strict=True)], dtype="int64")
        return pd.arrays.IntegerArray(ints, mask)

    data: dict[str, np.ndarray | pd.api.extensions.ExtensionArray] = {
        c: col(c) for c in COMPARISON_COLUMNS if c not in ("n_selected", "n_base", "share", "is_group")}
    data |= {"n_selected": nullable_int("n_selected"), "n_base": nullable_int("n_base"),
             "share": col("share", "float64"), "is_group": col("is_group", bool),
             "_row": col("_row", "int64"), "_scope": col("_scope", "int64")}
    return pd.DataFrame(data)


def without_groups(df: pd.DataFrame) -> pd.DataFrame:
    """The comparison frame without its option-group rows (what the stacked charts draw)."""
    return df[~df["is_group"]] if "is_group" in df else df

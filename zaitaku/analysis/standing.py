"""Where a municipality (or a prefecture) stands, and who to learn from: plain data, no HTML.

Items: every "doing it" indicator of the questionnaire (:func:`items`): for a single-choice question
or matrix row, having chosen its positive option (the first option, or the declared option group
containing it, e.g. 協力している = A+B+C); for a multi-select question, each option that is an action
(not その他, not the exclusive 「…ない」). 課題 and 都道府県の支援 (問6・問7), the 担当課 and the
PDCA period are not items. A municipality that was not asked an item is left out of that item.

Rules (stated for the reports):

- **ahead / behind** (municipality): against its prefecture and against its own kind nationwide
  (the latter only when the data covers the nation). Ahead = it did the item while fewer than half
  of the comparison group did; behind = it did not while more than half did. The gap is the
  difference in points between the municipality (100 or 0) and the group's share (the group
  includes the municipality, as in the charts); groups under 5 municipalities are not used.
  Largest gaps first; ties in questionnaire order.
- **ahead / behind** (prefecture): the prefecture's share against the nation's (computed, only when
  the data covers the nation), by at least :data:`PREF_GAP` points.
- **learn from**: for each item the municipality did not do (the ones most common in its prefecture
  first), up to :data:`EXEMPLARS` municipalities that did that item, ranked by how comparable they are:
  the same prefecture and the same kind (「同じ県・同じ種類（中核市）で実施」), the same prefecture
  (「同じ県で実施」), the same kind elsewhere (「同じ種類の市で実施」); within a rank, those named for
  fewer of the items before it first (so that the items name different municipalities where they
  can), then those that did more items of the same questionnaire group, ties by municipality code.
  Each carries its reason. The registry has no population, so size enters only through the kind. In
  prefecture mode, for the items where the prefecture is behind (or, without national data, the least
  common ones), the municipalities of the prefecture that did them, varied across items the same way.
- **stand out** (prefecture): the municipalities that did the largest share of the items they were
  asked, at least :data:`STAND_OUT_MIN_ITEMS` items asked, ties by code.

API::

    s = summary_for(data, focus, national="auto", group=None)   # -> Summary
    s.ahead, s.behind      # list[Gap]
    s.learn_from           # list[LearnFrom] (item + exemplars)
    s.stand_out            # list[Exemplar] (prefecture mode)
    s.notes, s.rules       # plain Japanese sentences
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from zaitaku.analysis.aggregate import Focus, ProcessedData, covers_nation
from zaitaku.analysis.index import data_index
from zaitaku.reference.codebook import Codebook

EXCLUDED_GROUPS = ("prefectural_support",)
EXCLUDED_QUESTIONS = ("dept", "q4_1_9")  # a department type and a period, not things one does or not
MIN_GROUP = 5  # comparison groups under this are not used (small-n rule)
PREF_GAP = 0.10
LIMIT = 5
EXEMPLARS = 3
LEARN_ITEMS = 8
STAND_OUT_MIN_ITEMS = 10

RULES = (
    "「進んでいる／遅れている」は、その項目を実施していて比較先（県内・同じ種類の市町村）の半数未満しか実施していない場合／"
    "実施しておらず比較先の半数超が実施している場合で、差（ポイント）の大きい順に示します。比較先が5市町村未満の場合は比べません。",
    "「参考になる市町村」は、実施していない項目ごとに、その項目を実施している市町村を、同じ県で同じ種類、同じ県、"
    f"全国の同じ種類の順に最大{EXEMPLARS}つ挙げ、理由を添えます。同じ順位の中では、ほかの項目でまだ挙げていない市町村、"
    "同じ分野の取組の多い市町村の順（同数は市町村コード順）です。",
)


@dataclass(frozen=True)
class Item:
    """One "doing it" indicator: ``option_ids`` chosen in ``question_id`` (matrix row ``row_id``)."""

    question_id: str
    row_id: str
    option_ids: tuple[str, ...]
    label: str
    number: str
    group: str


@dataclass(frozen=True)
class Gap:
    """The focus against one comparison group on one item (``gap`` in points, + ahead / − behind)."""

    item: Item
    reference: str  # "prefecture", "type" or "nation"
    reference_label: str  # 島根県, 全国の中核市, 全国
    value: float  # the focus: 1.0/0.0 for a municipality, a share for a prefecture
    share: float  # the comparison group's share
    n: int  # the comparison group's base
    gap: float  # (value − share) × 100


@dataclass(frozen=True)
class Exemplar:
    code: str
    name: str
    pref_name: str
    peer: str
    same_prefecture: bool
    related: int  # items done in the same questionnaire group (stand out: items done)
    asked: int = 0  # stand out: items asked
    reason: str = ""  # learn from: why this one (「同じ県で実施」「同じ種類の市で実施」)


@dataclass(frozen=True)
class LearnFrom:
    item: Item
    exemplars: tuple[Exemplar, ...]


@dataclass
class Summary:
    focus: Focus
    ahead: list[Gap] = field(default_factory=list)
    behind: list[Gap] = field(default_factory=list)
    learn_from: list[LearnFrom] = field(default_factory=list)
    stand_out: list[Exemplar] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    rules: tuple[str, ...] = RULES


def items(codebook: Codebook, group: str | None = None) -> list[Item]:
    """Every item of the questionnaire (of one group), in questionnaire order."""
    out = []
    for q in codebook:
        if q.group in EXCLUDED_GROUPS or q.id in EXCLUDED_QUESTIONS or (group and q.group != group):
            continue
        for row in q.row_ids:
            where = f"{q.title}" + (f"：{q.row(row).label}" if row else "")
            if q.is_multi:
                for o in q.options:
                    if not (o.exclusive or o.free_text):
                        out.append(Item(q.id, row, (o.id,), f"{where}（{o.label}）", q.number, q.group))
            else:
                _, label, members = q.positive
                out.append(Item(q.id, row, members, f"{where}（{label}）", q.number, q.group))
    return out


@dataclass(frozen=True)
class _Table:
    """Municipality × item: 1 done, 0 not done, NaN not asked / no response."""

    codes: np.ndarray
    items: list[Item]
    done: np.ndarray
    munis: pd.DataFrame  # indexed by code: name, pref_code, prefecture, peer


def _table(data: ProcessedData) -> _Table:
    def build() -> _Table:
        from zaitaku.analysis.aggregate import peer_group

        all_items = items(data.codebook)
        r = data.responses
        m = data.municipalities.set_index("code")
        codes = pd.Categorical(r["municipality_code"])
        key = pd.Categorical(r["question_id"].astype(str) + "|" + r["row_id"].astype(str) + "|"
                             + r["option_id"].astype(str))
        wide = np.full((len(codes.categories), len(key.categories)), np.nan)
        wide[codes.codes, key.codes] = r["value"].to_numpy(dtype="float64", na_value=np.nan)
        col = {k: i for i, k in enumerate(key.categories)}
        done = np.full((len(codes.categories), len(all_items)), np.nan)
        for j, it in enumerate(all_items):
            cols = [col[k] for k in (f"{it.question_id}|{it.row_id}|{o}" for o in it.option_ids) if k in col]
            if cols:
                block = wide[:, cols]
                asked = ~np.isnan(block).all(axis=1)
                done[asked, j] = np.nanmax(block[asked], axis=1)
        cc = np.asarray(codes.categories, dtype=object)
        mm = m.reindex(cc)
        core = mm["core_city"] if "core_city" in mm else pd.Series(False, index=mm.index)
        munis = pd.DataFrame({"name": mm["name"], "pref_code": mm["pref_code"], "prefecture": mm["prefecture"],
                              "peer": [peer_group(t, c) for t, c in zip(mm["type"], core, strict=True)]}, index=cc)
        return _Table(cc, all_items, done, munis)

    return data_index(data).memo("standing-table", build)


def _shares(t: _Table, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    sub = t.done[mask]
    n = (~np.isnan(sub)).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(n > 0, np.nansum(sub, axis=0) / np.maximum(n, 1), np.nan)
    return share, n


def _selected(t: _Table, group: str | None) -> list[int]:
    return [j for j, it in enumerate(t.items) if not group or it.group == group]


def reason(same_prefecture: bool, same_kind: bool, kind: str) -> str:
    """Why a municipality is named for an item (the rank of :func:`_exemplars`)."""
    if same_prefecture and same_kind:
        return f"同じ県・同じ種類（{kind}）で実施"
    if same_prefecture:
        return "同じ県で実施"
    return f"同じ種類の{kind}で実施"


def _exemplars(t: _Table, j: int, in_pref: np.ndarray, same_kind: np.ndarray, focus: Focus, k: int,
               uses: dict[str, int]) -> list[Exemplar]:
    """Up to k municipalities that did item j, the most comparable first (same prefecture and kind, same
    prefecture, same kind elsewhere); in a rank, named less often so far (``uses``, updated), more items
    of the same group, then code."""
    grp = [i for i, it in enumerate(t.items) if it.group == t.items[j].group]
    related = np.nansum(t.done[:, grp], axis=1)
    rank = np.where(in_pref & same_kind, 0, np.where(in_pref, 1, 2))
    rows = [i for i in np.flatnonzero((in_pref | same_kind) & (t.done[:, j] == 1)) if t.codes[i] != focus.code]
    rows.sort(key=lambda i: (rank[i], uses.get(str(t.codes[i]), 0), -related[i], t.codes[i]))
    out = []
    for i in rows[:k]:
        mu, code = t.munis.iloc[i], str(t.codes[i])
        uses[code] = uses.get(code, 0) + 1
        kind = str(mu["peer"])
        out.append(Exemplar(code, str(mu["name"]), str(mu["prefecture"]), kind, bool(in_pref[i]), int(related[i]),
                            reason=reason(bool(in_pref[i]), bool(same_kind[i]), kind) if focus.code else "県内で実施"))
    return out


def _gap_order(gaps: list[Gap], order: dict[Item, int]) -> list[Gap]:
    return sorted(gaps, key=lambda g: (-round(abs(g.gap), 6), order[g.item], g.reference))


def summary_for(data: ProcessedData, focus: Focus, national: str = "auto", group: str | None = None,
                limit: int = LIMIT, exemplars: int = EXEMPLARS, learn_items: int = LEARN_ITEMS) -> Summary:
    """The まとめ of a report: ahead, behind, who to learn from (see the module docstring for the rules).

    ``group`` restricts the items to one questionnaire group (a group report's まとめ). ``national`` is
    accepted for symmetry with the sections: a computed nation is used only when the data covers the
    nation (published figures are per option, not per item, and are not used here).
    """
    t = _table(data)
    cols = _selected(t, group)
    order = {t.items[j]: n for n, j in enumerate(cols)}
    s = Summary(focus)
    covered = covers_nation(data)
    in_pref = (t.munis["pref_code"] == focus.pref_code).to_numpy()
    if not focus.code:
        return _prefecture_summary(t, s, cols, order, in_pref, covered, limit, exemplars, learn_items)
    where = np.flatnonzero(t.codes == focus.code)
    if not len(where):
        s.notes.append(f"{focus.name}はこの調査に回答がありません。")
        return s
    me = t.done[where[0]]
    refs = [("prefecture", focus.pref_name, in_pref)]
    if covered and focus.peer:
        refs.append(("type", focus.peer_label, (t.munis["peer"] == focus.peer).to_numpy()))
    elif focus.peer:
        s.notes.append(f"データが全国を含まないため、{focus.peer_label}とは比べていません。")
    for ref, label, mask in refs:
        share, n = _shares(t, mask)
        ahead: list[Gap] = []
        behind: list[Gap] = []
        for j in cols:
            if np.isnan(me[j]) or n[j] < MIN_GROUP:
                continue
            g = Gap(t.items[j], ref, label, float(me[j]), float(share[j]), int(n[j]), (me[j] - share[j]) * 100)
            if me[j] == 1 and share[j] < 0.5:
                ahead.append(g)
            elif me[j] == 0 and share[j] > 0.5:
                behind.append(g)
        s.ahead += _gap_order(ahead, order)[:limit]
        s.behind += _gap_order(behind, order)[:limit]
    pref_share, _ = _shares(t, in_pref)
    todo = [j for j in cols if me[j] == 0]
    todo.sort(key=lambda j: (-np.nan_to_num(pref_share[j]), order[t.items[j]]))
    same_kind = (t.munis["peer"] == focus.peer).to_numpy() if focus.peer else np.zeros(len(t.codes), dtype=bool)
    uses: dict[str, int] = {}
    for j in todo[:learn_items]:
        ex = _exemplars(t, j, in_pref, same_kind, focus, exemplars, uses)
        if ex:
            s.learn_from.append(LearnFrom(t.items[j], tuple(ex)))
    return s


def _prefecture_summary(t: _Table, s: Summary, cols: list[int], order: dict[Item, int], in_pref: np.ndarray,
                        covered: bool, limit: int, exemplars: int, learn_items: int) -> Summary:
    focus = s.focus
    share, n = _shares(t, in_pref)
    if not in_pref.any() or not (n > 0).any():
        s.notes.append(f"{focus.pref_name}にはこの調査に回答した市町村がありません。")
        return s
    if covered:
        nat, nn = _shares(t, np.ones(len(t.codes), dtype=bool))
        ahead: list[Gap] = []
        behind: list[Gap] = []
        for j in cols:
            if n[j] < MIN_GROUP or nn[j] < MIN_GROUP:
                continue
            d = share[j] - nat[j]
            g = Gap(t.items[j], "nation", "全国", float(share[j]), float(nat[j]), int(nn[j]), d * 100)
            if d >= PREF_GAP:
                ahead.append(g)
            elif d <= -PREF_GAP:
                behind.append(g)
        s.ahead = _gap_order(ahead, order)[:limit]
        s.behind = _gap_order(behind, order)[:limit]
        weak = [g.item for g in s.behind]
        idx = {it: j for j, it in enumerate(t.items)}
        todo = [idx[it] for it in weak]
    else:
        s.notes.append("データが全国を含まないため、全国とは比べていません。県内で実施の少ない項目について、実施している市町村を挙げます。")
        todo = [j for j in cols if n[j] >= 1 and share[j] < 0.5]
        todo.sort(key=lambda j: (share[j], order[t.items[j]]))
    uses: dict[str, int] = {}
    none = np.zeros(len(t.codes), dtype=bool)
    for j in todo[:learn_items]:
        ex = _exemplars(t, j, in_pref, none, focus, exemplars, uses)
        if ex:
            s.learn_from.append(LearnFrom(t.items[j], tuple(ex)))
    sub = t.done[:, cols]
    asked = (~np.isnan(sub)).sum(axis=1)
    did = np.nansum(sub, axis=1)
    rows = [i for i in np.flatnonzero(in_pref) if asked[i] >= STAND_OUT_MIN_ITEMS]
    rows.sort(key=lambda i: (-did[i] / asked[i], t.codes[i]))
    for i in rows[:exemplars]:
        mu = t.munis.iloc[i]
        s.stand_out.append(Exemplar(str(t.codes[i]), str(mu["name"]), str(mu["prefecture"]), str(mu["peer"]),
                                    True, int(did[i]), int(asked[i])))
    return s

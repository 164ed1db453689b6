"""Change over the survey years: a question's figures in every comparable year, and the sentences.

:func:`trend` gives, for one question of year B and a focus, the figures of each year A held in the
processed folder (A ≤ B) that the crosswalk (:mod:`zaitaku.reference.crosswalk`) lets us compare:

- the municipality's own answer, the prefecture's share and the same-kind share (only where that year's
  data covers the nation), each with n; the kind is the municipality's kind *in that year* (松本市 is a
  市 in 令和2年度 and a 中核市 in 令和3年度);
- the national figure of that year under the ``national`` rule (computed when that year's data covers
  the nation, otherwise the figure published *for that year*);
- published figures of other years mapped onto the codebook as labelled references (``scope`` =
  ``reference``), never as 「全国」.

``comparability`` is ``compare`` or ``caution`` (with ``reason``); options of a year that are ``none``
are left out and named by :func:`not_compared`. Options merged in the crosswalk take the union of
year A's options (computed from the answers).

:func:`change_sentence` states a change in the deck's manner: 「県内で『設定している』は 31.6% → 42.1%
（+10.5 ポイント）」; a change smaller than :data:`SMALL_MUNICIPALITIES` municipalities' answers (at year
B's base) is called small.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from zaitaku.analysis.aggregate import Focus, covers_nation, focus_of, national_part
from zaitaku.analysis.index import handed_out
from zaitaku.analysis.processed import ProcessedData, year_order
from zaitaku.analysis.records import records
from zaitaku.reference.codebook import GROUP_PREFIX, NO_ANSWER, Question
from zaitaku.reference.crosswalk import Link, comparability, crosswalk_path, load_crosswalk
from zaitaku.reference.published import published_reference, year_ja

SMALL_MUNICIPALITIES = 2
"""A change smaller than this many municipalities' answers (at the later year's base) is called small."""
COLUMNS = ["survey_year", "year_label", "scope", "scope_label", "row_id", "option_id", "n_selected", "n_base",
           "share", "source", "comparability", "reason"]


@dataclass(frozen=True)
class Change:
    """One scope's share of one option in two years."""

    scope_label: str
    option_label: str
    year_a: str
    year_b: str
    share_a: float
    share_b: float
    n_a: int | None
    n_b: int | None
    comparability: str = "compare"
    reason: str = ""

    @property
    def points(self) -> float:
        """The difference of the two shares as printed (rounded to 0.1 first, as the deck does)."""
        return round(self.share_b * 100, 1) - round(self.share_a * 100, 1)

    @property
    def small(self) -> bool:
        """Within what fewer than :data:`SMALL_MUNICIPALITIES` municipalities' answers move at year B's base."""
        if not self.n_b:
            return False
        return abs(self.share_b - self.share_a) * self.n_b < SMALL_MUNICIPALITIES - 1e-9


def _year_code(label: str) -> str:
    digits = "".join(ch for ch in label if ch.isdigit())
    return f"R{int(digits)}" if label.startswith("令和") and digits else label


def _options_a(year_a: str, year_b: str, q: Question, row: str, option: str) -> tuple[str, ...]:
    if year_a == year_b or not crosswalk_path(year_a, year_b).is_file():
        return (option,)
    return load_crosswalk(year_a, year_b).options_a(q.id, row, option)


def _missing(value: object) -> bool:
    """None, pandas' NA or NaN (a record's empty cell)."""
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _question_responses(data: ProcessedData, question_id: str) -> pd.DataFrame:
    """The answer rows of one question (positions grouped once per loaded set)."""
    positions = data.index.memo("responses_by_question", lambda: {
        str(k): v for k, v in data.responses.groupby("question_id", sort=False, observed=True).indices.items()})
    found = positions.get(question_id)
    return data.responses.iloc[found] if found is not None else data.responses.iloc[0:0]


def _union_share(data: ProcessedData, question_id: str, row: str, options: tuple[str, ...], scope: str,
                 scope_code: str) -> tuple[int, int]:
    """(selected any of ``options``, asked) in one scope, from the answers (merged options)."""
    r = _question_responses(data, question_id)
    r = r[r["row_id"] == row]
    m = data.municipalities.set_index("code")
    if scope == "prefecture":
        r = r[r["municipality_code"].map(m["pref_code"]) == scope_code]
    elif scope == "municipality":
        r = r[r["municipality_code"] == scope_code]
    elif scope == "type":
        from zaitaku.analysis.shares import peers_of

        peer = pd.Series(peers_of(data.municipalities).to_numpy(), index=data.municipalities["code"])
        r = r[r["municipality_code"].map(peer) == scope_code]
    asked = r[r["value"].notna()]
    per = asked.assign(hit=asked["option_id"].isin(options) & (asked["value"] == 1)).groupby("municipality_code")["hit"].any()
    return int(per.sum()), len(per)


def _scope_rows(data: ProcessedData, year_b: str, q: Question, cw_q: str, scope: str, code: str, label: str,
                part: pd.DataFrame) -> dict[tuple[str, str], dict]:
    """One scope's figures of question ``q`` (year B's ids) in this year, by (row, option)."""
    year = data.survey_year
    options = [*q.option_ids, NO_ANSWER, *(g.option_id for g in q.option_groups)]
    groups: dict[tuple[str, str], list[dict]] = {}  # plain records: a report asks for hundreds of tiny sums
    for rec in records(part[["row_id", "option_id", "n_selected", "n_base", "share", "source"]]):
        groups.setdefault((str(rec["row_id"]), str(rec["option_id"])), []).append(rec)
    out: dict[tuple[str, str], dict] = {}
    for row in q.row_ids:
        for option in options:
            link = comparability(year, year_b, q.id, row, option if not option.startswith(GROUP_PREFIX) else None)
            if link.comparability == "none":
                continue
            opts_a = _options_a(year, year_b, q, row, option)
            sel = [rec for o in opts_a for rec in groups.get((row, o), ())]
            if not sel:
                continue
            n_sel: int | None
            n_base: int | None
            if len(opts_a) > 1 and scope != "nation":
                n_sel, n_base = _union_share(data, cw_q, row, opts_a, scope, code)
                share = n_sel / n_base if n_base else math.nan
                source = "computed"
            else:
                selected = [rec["n_selected"] for rec in sel]
                bases = [rec["n_base"] for rec in sel if not _missing(rec["n_base"])]
                n_sel = int(sum(selected)) if not any(map(_missing, selected)) else None
                n_base = int(max(bases)) if bases else None
                share = float(sum(rec["share"] for rec in sel if not _missing(rec["share"])))  # as pandas' sum
                source = str(sel[0]["source"])
            shown = f"{label}（n={n_base or 0:,}）" if scope == "type" else label
            out[(row, option)] = {"survey_year": year, "year_label": year_ja(year), "scope": scope,
                                  "scope_label": shown, "row_id": row, "option_id": option, "n_selected": n_sel,
                                  "n_base": n_base, "share": share, "source": source,
                                  "comparability": link.comparability, "reason": link.reason}
    return out


def _rows(data: ProcessedData, year_b: str, q: Question, focus: Focus, national: str) -> list[dict]:
    """One year's figures of question ``q`` (year B's ids) mapped through the crosswalk.

    The prefecture's, same-kind and national parts are the same for every municipality of a
    prefecture: kept with the year's loaded set (its index's bounded cache), so a prefecture's
    reports and decks compute them once; the municipality's own part is computed for each."""
    year = data.survey_year
    ids = {qq.id for qq in data.codebook}
    cw_q = load_crosswalk(year, year_b).question_a(q.id) if year != year_b and crosswalk_path(year, year_b).is_file() else q.id
    if cw_q not in ids:
        return []
    f = focus_of(data, focus.code or "", "" if focus.code else focus.pref_code)  # the kind as of this year
    idx = data.index
    scopes: list[tuple[str, str, str, pd.DataFrame | None]] = []
    if f.code:
        scopes.append(("municipality", f.code, f.name or f.code, idx.shares(cw_q, "municipality", f.code)))
    scopes.append(("prefecture", f.pref_code, f.pref_name, None))
    if f.peer and covers_nation(data):
        scopes.append(("type", f.peer, f.peer_label, None))
    nat = national_part(data, cw_q, national)
    if nat is not None:
        scopes.append(("nation", "全国", nat[1], nat[0]))
    parts = []
    for scope, code, label, part in scopes:
        if scope == "municipality":
            parts.append(_scope_rows(data, year_b, q, cw_q, scope, code, label, part))  # type: ignore[arg-type]
            continue

        def build(scope: str = scope, code: str = code, label: str = label, part: pd.DataFrame | None = part):
            return _scope_rows(data, year_b, q, cw_q, scope, code, label,
                               part if part is not None else idx.shares(cw_q, scope, code))

        parts.append(idx.recent(f"trend-part:{year_b}:{q.id}:{scope}:{code}:{label}:{national}", build))
    options = [*q.option_ids, NO_ANSWER, *(g.option_id for g in q.option_groups)]
    return [found[(row, option)] for row in q.row_ids for option in options for found in parts
            if (row, option) in found]


def trend(years: Mapping[str, ProcessedData], year_b: str, question_id: str, focus: Focus,
          national: str = "auto") -> pd.DataFrame:
    """The figures of ``question_id`` (year B's codebook) in every held year up to ``year_b`` (see the module doc).

    Kept with year B's loaded set (its index's bounded cache): the report's sections, its まとめ and the
    deck share it; each call returns its own shallow copy (under copy-on-write a write stays in it)."""
    key = f"trend:{question_id}:{focus.code or focus.pref_code}:{national}:{','.join(sorted(years))}"
    return handed_out(years[year_b].index.recent(key, lambda: _trend(years, year_b, question_id, focus, national)))


def _trend(years: Mapping[str, ProcessedData], year_b: str, question_id: str, focus: Focus,
           national: str) -> pd.DataFrame:
    q = years[year_b].codebook[question_id]
    rows: list[dict] = []
    for year in sorted(years, key=year_order):
        if year_order(year) > year_order(year_b):
            continue
        rows += _rows(years[year], year_b, q, focus, national)
    for year in (y for y in sorted(years, key=year_order) if year_order(y) <= year_order(year_b)):
        ref = published_reference(question_id, year) if question_id in {x.id for x in years[year].codebook} else None
        if ref is None:
            continue
        for (row, option, published), g in ref.groupby(["row_id", "option_id", "published_year"], sort=False):
            code = _year_code(str(published))
            if code in years:  # that year is held: its own figure is there
                continue
            rows.append({"survey_year": code, "year_label": f"{published}（参考）", "scope": "reference",
                         "scope_label": "参考：全国公表値", "row_id": row, "option_id": option,
                         "n_selected": g["n_selected"].iloc[0], "n_base": g["n_base"].iloc[0],
                         "share": float(g["share"].iloc[0]), "source": "published", "comparability": "caution",
                         "reason": f"{published}の公表値は参考です（{year_ja(year_b)}の全国値ではありません）"})
    df = pd.DataFrame(rows, columns=COLUMNS)
    if df.empty:
        return df
    years_of_rows = df["survey_year"].tolist()
    order = sorted(range(len(df)), key=lambda i: year_order(years_of_rows[i]))  # stable: scopes stay in order
    return df.iloc[order].drop_duplicates(["survey_year", "scope", "row_id", "option_id"]).reset_index(drop=True)


def not_compared(years: Mapping[str, ProcessedData], year_b: str, question_id: str) -> list[tuple[str, Link]]:
    """The held years before ``year_b`` this question is not compared with at all, with the reason."""
    out = []
    for year in sorted(years, key=year_order):
        if year_order(year) >= year_order(year_b):
            continue
        link = comparability(year, year_b, question_id)
        if link.comparability == "none":
            out.append((year, link))
    return out


def _pct(share: float) -> str:
    return f"{share * 100:.1f}%"


def change_sentence(c: Change) -> str:
    """「県内で『設定している』は 31.6% → 42.1%（+10.5 ポイント）」, small changes and caution said."""
    where = "県内" if c.scope_label.endswith(("県", "都", "府", "道")) else c.scope_label
    text = (f"{where}で『{c.option_label}』は {year_ja(c.year_a)} {_pct(c.share_a)}（n={c.n_a or 0:,}）→ "
            f"{year_ja(c.year_b)} {_pct(c.share_b)}（n={c.n_b or 0:,}）（{c.points:+.1f} ポイント）")
    if round(c.points, 1) == 0:
        text = text.replace(f"（{c.points:+.1f} ポイント）", "で、変わっていません")
    elif c.small:
        text += f"。{SMALL_MUNICIPALITIES}市町村の回答に満たない小さな変化です"
    if c.comparability == "caution":
        text += f"（比較に注意：{c.reason}）"
    return text + "。"


def changes(df: pd.DataFrame, q: Question, year_a: str, year_b: str, scope: str = "prefecture") -> list[Change]:
    """One scope's changes between two years for every option (and group), largest first."""
    rows = [r for r in records(df) if r["scope"] == scope]
    a = {(r["row_id"], r["option_id"]): r for r in rows if r["survey_year"] == year_a}
    out, keys = [], []
    for rb in rows:
        if rb["survey_year"] != year_b:
            continue
        key = (rb["row_id"], rb["option_id"])
        ra = a.get(key)
        row, option = key
        if ra is None or option == NO_ANSWER or _missing(ra["share"]) or _missing(rb["share"]):
            continue
        label = q.option_label(option) + (f"（{q.row(row).label}）" if row else "")
        keys.append(key)
        out.append(Change(str(rb["scope_label"]), label, year_a, year_b, float(ra["share"]), float(rb["share"]),
                          None if _missing(ra["n_base"]) else int(ra["n_base"]),
                          None if _missing(rb["n_base"]) else int(rb["n_base"]),
                          str(ra["comparability"]), str(ra["reason"])))  # how year A compares with B
    position = {o: i for i, o in enumerate([*q.option_ids, *(g.option_id for g in q.option_groups)])}
    return [c for _, c in sorted(zip(keys, out, strict=True),
                                 key=lambda kc: (-round(abs(kc[1].points), 1), position.get(kc[0][1], 99)))]

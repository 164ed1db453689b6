"""Implementation timing of the programme and of its eight items (ア)～(ク), one prefecture's 156 insurers.

Published tables of 「医療・介護連携推進事業 実施状況」 (source in each CSV's ``.meta.yaml``), transcribed by
hand into ``data/raw/reference/timing/*.csv`` (see the README there). :func:`load_timing` validates
them on load: an unknown label, a missing or duplicated row, a negative or non-integer count, a
group that does not total 156 or two tables that disagree is a :class:`TimingDataError` naming the
file, the CSV line and the value. The printed check values (``published_checks.csv``) are loaded
but never used to derive anything; tests compare them with what is computed here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml

from zaitaku.files.reference_csv import read_reference_csv
from zaitaku.paths import PACKAGE_DIR, REFERENCE_DIR

TOTAL_INSURERS = 156
ITEMS = ("ア", "イ", "ウ", "エ", "オ", "カ", "キ", "ク")
PROGRAMME_SNAPSHOTS = ("平成27年4月", "平成28年1月", "平成28年7月")
ITEM_SNAPSHOTS = ("平成28年1月", "平成28年7月")
PROGRAMME_PERIODS = ("平成27年度", "平成28年度", "平成29年度", "平成30年度", "未定")
ITEM_PERIODS = ("平成27年度", "平成28年度", "平成29年度", "平成30年4月", "未定")
BAND_PERIODS = ("平成27年度", "平成28年度4～6月", "平成28年度7～3月", "平成29年度", "平成30年度")
DEADLINE = "平成30年4月"
"""Legal deadline: every insurer has to run all eight items from 平成30年4月1日 at the latest."""
BEFORE_DEADLINE = ("平成27年度", "平成28年度", "平成29年度")
BEFORE_DEADLINE_LABEL = "平成27～29年度"
ITEMS_YAML = PACKAGE_DIR / "reference" / "items.yaml"

_INT = re.compile(r"-?\d+")


class TimingDataError(ValueError):
    """A timing table (or items.yaml) is inconsistent; the message names the file, row and value."""


@dataclass(frozen=True)
class TimingTables:
    """The transcribed tables, tidy (one count per row), labels as ordered categoricals."""

    programme_start: pd.DataFrame
    """snapshot, period, insurers: 「1 実施（予定）時期」 at 平成27年4月/平成28年1月/平成28年7月."""
    item_start: pd.DataFrame
    """snapshot, item, period, insurers: per item at 平成28年1月 and 平成28年7月."""
    item_start_bands: pd.DataFrame
    """item, period, insurers: 「2 メニュー別の実施（予定）時期」 (平成28年7月, month bands)."""
    programme_start_bands: pd.DataFrame
    """period, insurers: the programme at 平成28年7月 by month band (the table with 小計)."""
    published_checks: pd.DataFrame
    """table, check, item, label, value, rows: printed 増減 and 小計, for comparison only."""
    source_dir: Path = field(default=Path())


@dataclass(frozen=True)
class Item:
    """One 事業項目 of items.yaml."""

    id: str
    kana: str
    title: str
    definition: str
    examples: tuple[str, ...]
    key_points: tuple[str, ...]
    source: str
    table_titles: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """Label as printed in the tables, e.g. 「（ア）地域の医療・介護の資源の把握」."""
        return f"（{self.kana}）{self.title}"


# file name -> (key columns with their allowed values in order, which key columns form one group)
_SPECS: dict[str, tuple[dict[str, tuple[str, ...]], tuple[str, ...]]] = {
    "programme_start.csv": (
        {"snapshot": PROGRAMME_SNAPSHOTS, "period": PROGRAMME_PERIODS},
        ("snapshot",),
    ),
    "item_start.csv": (
        {"snapshot": ITEM_SNAPSHOTS, "item": ITEMS, "period": ITEM_PERIODS},
        ("snapshot", "item"),
    ),
    "item_start_bands_h28_07.csv": ({"item": ITEMS, "period": BAND_PERIODS}, ("item",)),
    "programme_start_bands_h28_07.csv": ({"period": BAND_PERIODS}, ()),
}
_BAND_TO_PERIOD = {
    "平成28年度4～6月": "平成28年度",
    "平成28年度7～3月": "平成28年度",
    "平成30年度": DEADLINE,
}
_CHECK_COLUMNS = ("table", "check", "item", "label", "value", "rows")


def _read(path: Path, columns: tuple[str, ...]) -> pd.DataFrame:
    return read_reference_csv(path, columns, TimingDataError)


def _to_int(df: pd.DataFrame, column: str, name: str, *, negative_ok: bool = False) -> pd.Series:
    for line, value in df[column].items():
        if not _INT.fullmatch(value):
            raise TimingDataError(f"{name} line {line}: {column}={value!r} is not an integer")
        if int(value) < 0 and not negative_ok:
            raise TimingDataError(f"{name} line {line}: {column}={value} is negative")
    return df[column].astype(int)


def _lines(index: pd.Index) -> str:
    return ", ".join(str(i) for i in index)


def _validate_counts(df: pd.DataFrame, name: str) -> pd.DataFrame:
    keys, group_by = _SPECS[name]
    for column, allowed in keys.items():
        for line, value in df.loc[~df[column].isin(allowed), column].items():
            raise TimingDataError(
                f"{name} line {line}: {column}={value!r} is not one of {', '.join(allowed)}"
            )
    df["insurers"] = _to_int(df, "insurers", name)
    dup = df[df.duplicated(list(keys), keep=False)]
    if not dup.empty:
        raise TimingDataError(f"{name} lines {_lines(dup.index)}: duplicated {list(keys)}")
    groups = df.groupby(list(group_by), sort=False) if group_by else [((), df)]
    for key, rows in groups:
        what = ", ".join(f"{c}={v}" for c, v in zip(group_by, key, strict=True)) or "the table"
        for column in keys.keys() - set(group_by):
            missing = [v for v in keys[column] if v not in set(rows[column])]
            if missing:
                raise TimingDataError(f"{name}: {what} has no row for {column}={missing}")
        total = int(rows["insurers"].sum())
        if total != TOTAL_INSURERS:
            raise TimingDataError(
                f"{name} lines {_lines(rows.index)} ({what}): insurers total {total}, "
                f"expected {TOTAL_INSURERS}"
            )
    for column, allowed in keys.items():
        df[column] = pd.Categorical(df[column], categories=list(allowed), ordered=True)
    return df.sort_values(list(keys)).reset_index(drop=True)


def _cross_check(t: TimingTables) -> None:
    """The 平成28年7月 tables must agree with each other (bands add up to the 平成28年度 count)."""

    def fold(bands: pd.DataFrame, by: list[str]) -> pd.Series:
        period = bands["period"].astype(str).replace(_BAND_TO_PERIOD)
        return bands.assign(period=period).groupby([*by, "period"])["insurers"].sum()

    jul = t.item_start[t.item_start["snapshot"] == "平成28年7月"]
    mine = jul[jul["period"] != "未定"].astype({"item": str, "period": str})
    a = mine.set_index(["item", "period"])["insurers"].sort_index()
    b = fold(t.item_start_bands.astype({"item": str}), ["item"]).sort_index()
    for key in a.index.union(b.index):
        if a.get(key) != b.get(key):
            raise TimingDataError(
                f"item_start.csv (平成28年7月) and item_start_bands_h28_07.csv disagree for "
                f"item={key[0]}, period={key[1]}: {a.get(key)} vs {b.get(key)}"
            )
    prog = t.programme_start[t.programme_start["snapshot"] == "平成28年7月"]
    a = prog.astype({"period": str}).set_index("period")["insurers"]
    a = a.rename(index={"平成30年度": DEADLINE})
    b = fold(t.programme_start_bands.assign(k=0), ["k"]).droplevel("k")
    for key in a.index.union(b.index):
        if a.get(key, 0) != b.get(key, 0):
            raise TimingDataError(
                f"programme_start.csv (平成28年7月) and programme_start_bands_h28_07.csv disagree "
                f"for period={key}: {a.get(key, 0)} vs {b.get(key, 0)}"
            )


def load_timing(reference_dir: Path | None = None) -> TimingTables:
    """Load and validate the timing CSVs (default ``data/raw/reference/timing``)."""
    d = Path(reference_dir) if reference_dir is not None else REFERENCE_DIR / "timing"
    frames = {}
    for name, (keys, _) in _SPECS.items():
        frames[name] = _validate_counts(_read(d / name, (*keys, "insurers")), name)
    checks = _read(d / "published_checks.csv", _CHECK_COLUMNS)
    checks["value"] = _to_int(checks, "value", "published_checks.csv", negative_ok=True)
    tables = TimingTables(
        programme_start=frames["programme_start.csv"],
        item_start=frames["item_start.csv"],
        item_start_bands=frames["item_start_bands_h28_07.csv"],
        programme_start_bands=frames["programme_start_bands_h28_07.csv"],
        published_checks=checks.reset_index(drop=True),
        source_dir=d,
    )
    _cross_check(tables)
    return tables


def load_items(path: Path | None = None) -> list[Item]:
    """The eight 事業項目 (ア)～(ク) from ``zaitaku/items.yaml``, in order."""
    path = Path(path) if path is not None else ITEMS_YAML
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    source = doc["source"]["title"]
    items = []
    for i, raw in enumerate(doc.get("items") or []):
        missing = [k for k in ("id", "kana", "title", "definition", "examples") if not raw.get(k)]
        if missing:
            raise TimingDataError(
                f"{path.name} item #{i + 1} ({raw.get('kana')}): missing {missing}"
            )
        items.append(
            Item(
                id=raw["id"],
                kana=raw["kana"],
                title=raw["title"],
                definition=raw["definition"],
                examples=tuple(raw["examples"]),
                key_points=tuple(raw.get("key_points") or ()),
                source=source,
                table_titles=tuple(raw.get("table_titles") or ()),
            )
        )
    kana = tuple(it.kana for it in items)
    if kana != ITEMS or len({it.id for it in items}) != len(items):
        raise TimingDataError(f"{path.name}: items {kana}, expected {ITEMS} with unique ids")
    return items


def _wide(tables: TimingTables) -> pd.DataFrame:
    """item_start as snapshot × item rows, period columns."""
    return tables.item_start.pivot_table(
        index=["snapshot", "item"], columns="period", values="insurers", observed=True
    ).astype(int)


def change_between_snapshots(tables: TimingTables) -> pd.DataFrame:
    """増減 per item, 平成28年7月 minus 平成28年1月.

    Columns: 平成27～29年度 (the three periods before the deadline combined), 平成30年4月 (the
    deadline) — the two printed rows — and 未定 (not printed; the three columns sum to 0).
    """
    w = _wide(tables)
    jul, jan = w.xs("平成28年7月"), w.xs("平成28年1月")
    diff = pd.DataFrame(jul - jan)
    out = pd.DataFrame(
        {
            BEFORE_DEADLINE_LABEL: diff[list(BEFORE_DEADLINE)].sum(axis=1),
            DEADLINE: diff[DEADLINE],
            "未定": diff["未定"],
        }
    )
    out.index = out.index.astype(str)
    out.index.name = "item"
    return out


def cumulative_subtotals(tables: TimingTables) -> pd.DataFrame:
    """The printed 小計 of the 平成28年7月 programme table: running totals of the month bands.

    One row per band: ``insurers``, ``cumulative`` (from 平成27年度 down to this band) and
    ``printed`` (whether the document prints this running total: 99 = 実施済み by 平成28年6月,
    114 = by the end of 平成28年度, 126 = by the end of 平成29年度).
    """
    df = tables.programme_start_bands[["period", "insurers"]].copy()
    df["cumulative"] = df["insurers"].cumsum()
    df["printed"] = df["period"].isin(["平成28年度4～6月", "平成28年度7～3月", "平成29年度"])
    return df


def shares_by_snapshot(tables: TimingTables) -> pd.DataFrame:
    """Share of insurers per period, per snapshot and item (tidy; for 100% stacked bars).

    Columns: snapshot, item, period, insurers, share (each snapshot × item sums to 1).
    """
    df = tables.item_start.copy()
    total = df.groupby(["snapshot", "item"], observed=True)["insurers"].transform("sum")
    df["share"] = df["insurers"] / total
    return df


def left_to_deadline(tables: TimingTables, snapshot: str = "平成28年7月") -> pd.DataFrame:
    """Items ranked by the number of insurers that leave them to 平成30年4月 (the legal deadline).

    Columns: rank (1 = most insurers waiting; ties share a rank), item, title, insurers, share,
    change (vs. the other snapshot, 7月 minus 1月). Sorted by rank, ties in ア～ク order.
    """
    if snapshot not in ITEM_SNAPSHOTS:
        raise ValueError(f"snapshot={snapshot!r}, expected one of {ITEM_SNAPSHOTS}")
    w = _wide(tables)[DEADLINE]
    counts = w.xs(snapshot)
    titles = {it.kana: it.title for it in load_items()}
    out = pd.DataFrame(
        {
            "item": counts.index.astype(str),
            "title": [titles[k] for k in counts.index.astype(str)],
            "insurers": counts.to_numpy(),
            "share": counts.to_numpy() / TOTAL_INSURERS,
            "change": (w.xs("平成28年7月") - w.xs("平成28年1月")).to_numpy(),
        }
    )
    out.insert(0, "rank", out["insurers"].rank(method="min", ascending=False).astype(int))
    return out.sort_values(["rank", "item"], kind="stable").reset_index(drop=True)

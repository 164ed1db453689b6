"""Timing tables of 「医療・介護連携推進事業 実施状況」 (source: data/raw/reference/timing/*.meta.yaml): transcription and checks."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from zaitaku.paths import REFERENCE_DIR
from zaitaku.reference.timing import (
    ITEMS,
    TimingDataError,
    change_between_snapshots,
    cumulative_subtotals,
    left_to_deadline,
    load_items,
    load_timing,
    shares_by_snapshot,
)

TIMING_DIR = REFERENCE_DIR / "timing"

# Printed in the source document (増減 row, ▲ = minus; 小計 column) — test data, not derived.
PUBLISHED_CHANGE_H27_29 = [22, 25, 24, 22, 16, 15, 28, 26]
PUBLISHED_CHANGE_H30_04 = [-14, -14, 3, -1, 7, 3, -6, 3]
PUBLISHED_SUBTOTALS = {"平成28年度4～6月": 99, "平成28年度7～3月": 114, "平成29年度": 126}

COUNT_FILES = {
    "programme_start.csv": ["snapshot"],
    "item_start.csv": ["snapshot", "item"],
    "item_start_bands_h28_07.csv": ["item"],
    "programme_start_bands_h28_07.csv": [],
}


@pytest.fixture(scope="module")
def tables():
    return load_timing()


@pytest.fixture
def timing_copy(tmp_path: Path) -> Path:
    d = tmp_path / "timing"
    shutil.copytree(TIMING_DIR, d)
    return d


def _damage(path: Path, line: int, new_value: str) -> None:
    """Replace the last field of CSV ``line`` (1-based, header = 1)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    head, _, _ = lines[line - 1].rpartition(",")
    lines[line - 1] = f"{head},{new_value}"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.mark.parametrize("name", COUNT_FILES)
def test_timing_every_snapshot_totals_156_in_files(name: str) -> None:
    df = pd.read_csv(TIMING_DIR / name, encoding="utf-8")
    assert df["insurers"].dtype.kind == "i" and (df["insurers"] >= 0).all()
    by = COUNT_FILES[name]
    totals = df.groupby(by)["insurers"].sum() if by else pd.Series([df["insurers"].sum()])
    assert (totals == 156).all(), totals[totals != 156]


def test_timing_load_shapes(tables) -> None:
    assert len(tables.programme_start) == 3 * 5
    assert len(tables.item_start) == 2 * 8 * 5
    assert len(tables.item_start_bands) == 8 * 5
    assert tables.programme_start_bands["insurers"].tolist() == [76, 23, 15, 12, 30]


def test_timing_change_equals_published(tables) -> None:
    change = change_between_snapshots(tables)
    assert change.index.tolist() == list(ITEMS)
    assert change["平成27～29年度"].tolist() == PUBLISHED_CHANGE_H27_29
    assert change["平成30年4月"].tolist() == PUBLISHED_CHANGE_H30_04
    assert (change.sum(axis=1) == 0).all()  # with 未定, the changes cancel out (total stays 156)
    printed = tables.published_checks.query("check == '増減'")
    for row in printed.itertuples():
        assert change.loc[row.item, row.label] == row.value, row


def test_timing_published_checks_match_literal_values(tables) -> None:
    printed = tables.published_checks.query("check == '増減'").set_index(["label", "item"])
    assert (
        printed.loc["平成27～29年度"].loc[list(ITEMS), "value"].tolist() == PUBLISHED_CHANGE_H27_29
    )
    assert printed.loc["平成30年4月"].loc[list(ITEMS), "value"].tolist() == PUBLISHED_CHANGE_H30_04
    subtotals = tables.published_checks.query("check == '小計'")["value"].tolist()
    assert subtotals == list(PUBLISHED_SUBTOTALS.values())


def test_timing_subtotals_equal_published(tables) -> None:
    sub = cumulative_subtotals(tables).set_index("period")
    assert sub.loc[sub["printed"], "cumulative"].to_dict() == PUBLISHED_SUBTOTALS
    assert sub["cumulative"].iloc[-1] == 156
    bands = tables.programme_start_bands.set_index("period")["insurers"]
    for row in tables.published_checks.query("check == '小計'").itertuples():
        rows = row.rows.split("|")
        assert bands[rows].sum() == row.value, row
        assert sub.loc[rows[-1], "cumulative"] == row.value, row


@pytest.mark.parametrize(
    ("name", "line"),
    [
        ("programme_start.csv", 14),
        ("item_start.csv", 7),
        ("item_start_bands_h28_07.csv", 40),
        ("programme_start_bands_h28_07.csv", 3),
    ],
)
def test_timing_damaged_total_names_file_and_row(timing_copy: Path, name: str, line: int) -> None:
    path = timing_copy / name
    value = int(path.read_text(encoding="utf-8").splitlines()[line - 1].rpartition(",")[2])
    _damage(path, line, str(value - 1))  # that group now totals 155
    with pytest.raises(TimingDataError, match="total 155") as err:
        load_timing(timing_copy)
    message = str(err.value)
    assert name in message
    assert re.search(rf"\b{line}\b", message.split(":")[0]), message


@pytest.mark.parametrize(("value", "problem"), [("-3", "negative"), ("12.5", "not an integer")])
def test_timing_bad_value_names_file_row_and_value(
    timing_copy: Path, value: str, problem: str
) -> None:
    _damage(timing_copy / "item_start.csv", 9, value)
    with pytest.raises(TimingDataError, match=problem) as err:
        load_timing(timing_copy)
    assert "item_start.csv line 9" in str(err.value) and value in str(err.value)


def test_timing_tables_disagreeing_are_caught(timing_copy: Path) -> None:
    # move one insurer of (ア) from 4～6月 to 平成29年度: still 156, but no longer matches item_start
    path = timing_copy / "item_start_bands_h28_07.csv"
    _damage(path, 3, "17")
    _damage(path, 5, "18")
    with pytest.raises(TimingDataError, match="disagree") as err:
        load_timing(timing_copy)
    assert "item_start_bands_h28_07.csv" in str(err.value)


def test_timing_unknown_label_is_caught(timing_copy: Path) -> None:
    path = timing_copy / "programme_start.csv"
    path.write_text(
        path.read_text(encoding="utf-8").replace("平成27年4月,未定", "平成27年4月,不明"),
        encoding="utf-8",
    )
    with pytest.raises(TimingDataError, match=r"programme_start.csv line 6: period='不明'"):
        load_timing(timing_copy)


def test_timing_shares_sum_to_one(tables) -> None:
    shares = shares_by_snapshot(tables)
    sums = shares.groupby(["snapshot", "item"], observed=True)["share"].sum()
    assert len(sums) == 16
    assert sums.to_numpy() == pytest.approx(1.0)


def test_timing_left_to_deadline_ranking(tables) -> None:
    jul = left_to_deadline(tables)
    assert jul["item"].tolist() == ["ウ", "ク", "オ", "エ", "カ", "キ", "イ", "ア"]
    assert jul["insurers"].tolist() == [81, 79, 74, 66, 63, 54, 41, 34]
    jan = left_to_deadline(tables, "平成28年1月")
    assert jan["rank"].tolist() == [1, 2, 3, 3, 5, 5, 7, 8]  # エ=オ=67, カ=キ=60


def test_timing_programme_bounds_items(tables) -> None:
    """An insurer has started the programme once it has started any item: programme ≥ each item."""
    periods = ["平成27年度", "平成28年度", "平成29年度"]
    prog = tables.programme_start.pivot(index="snapshot", columns="period", values="insurers")
    items = tables.item_start.pivot_table(
        index=["snapshot", "item"], columns="period", values="insurers", observed=True
    )
    for snap in ["平成28年1月", "平成28年7月"]:
        by_prog = prog.loc[snap, periods].cumsum()
        by_item = items.xs(snap)[periods].cumsum(axis=1)
        assert (by_item.le(by_prog, axis=1)).all().all(), snap
        assert prog.loc[snap, "未定"] <= items.xs(snap)["未定"].min()


def test_timing_items_yaml_has_eight_items() -> None:
    items = load_items()
    assert [it.kana for it in items] == ["ア", "イ", "ウ", "エ", "オ", "カ", "キ", "ク"]
    assert len({it.id for it in items}) == 8
    assert all(it.title and it.definition and it.examples for it in items)
    assert all(it.source == "医療・介護連携推進事業 実施状況" for it in items)
    assert items[0].label == "（ア）地域の医療・介護の資源の把握"

"""``records(df)`` is ``df.to_dict("records")``: the same keys, values and value types on every dtype the
processed data and the sections use (pandas is the truth), missing values included."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from zaitaku.analysis.records import records


def _same(a, b) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return a is b or a == b


def _check(df: pd.DataFrame) -> None:
    want, got = df.to_dict("records"), records(df)
    assert len(got) == len(want)
    for w, g in zip(want, got, strict=True):
        assert list(g) == list(w)
        bad = {k: (w[k], g[k]) for k in w if not _same(w[k], g[k])}
        assert not bad, bad


def test_records_equal_pandas_on_every_dtype_with_missing_values():
    df = pd.DataFrame({
        "text": pd.array(["松江市", None, "出雲市"], dtype="string"),
        "python_text": pd.array(["a", None, "c"], dtype="string[python]"),
        "obj": ["x", None, 3],
        "n": pd.array([3, None, 19], dtype="Int64"),
        "i64": np.array([1, 2, 3], dtype="int64"),
        "share": [0.25, math.nan, 1.0],
        "flag": [True, False, True],
        "nflag": pd.array([True, None, False], dtype="boolean"),
        "cat": pd.Categorical(["市", "町", None]),
        "when": pd.to_datetime(["2026-04-01", None, "2021-04-01"]),
    })
    _check(df)
    _check(df.iloc[0:0])  # no rows
    _check(df.iloc[[2, 0]])  # a filtered frame keeps its order


def test_records_of_a_sections_figures_equal_pandas(processed_dir):
    from zaitaku.analysis.aggregate import focus_of
    from zaitaku.analysis.processed import load_processed
    from zaitaku.report.section import build_section

    data = load_processed(processed_dir)
    focus = focus_of(data, "322016", "")
    for q in ("q1", "q2", "q4_1_3_1", "q6_1"):
        _check(build_section(data, q, focus, "auto").figures)


def test_duplicate_column_labels_follow_pandas():
    df = pd.DataFrame([[1, 2]], columns=["a", "a"])
    with pytest.warns(UserWarning, match="not unique"):  # pandas says so, and so does records()
        want = df.to_dict("records")
    with pytest.warns(UserWarning, match="not unique"):
        assert records(df) == want

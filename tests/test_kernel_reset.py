"""kernel_reset's public-API restore, in this process (the kernel runs the same functions between reports):
warnings filters and rcParams through catch_warnings/rc_context, every pandas option through pandas.options,
sys.path, the environment and the cwd; and protect() keeps a table's values and dtypes exactly."""

from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd

from zaitaku.render import kernel_reset as kr


def test_restore_options_puts_back_what_a_notebook_changed(tmp_path, monkeypatch):
    monkeypatch.setenv("ZAITAKU_TEST_ENV", "before")
    st = kr.Snapshot(str(Path.cwd()), list(sys.path), dict(os.environ), kr._saved_contexts(),
                     pandas=kr.pandas_options())
    filters = list(warnings.filters)
    width = matplotlib.rcParams["lines.linewidth"]
    rows = pd.get_option("display.max_rows")
    try:
        warnings.simplefilter("error")  # what a notebook may do
        matplotlib.rcParams["lines.linewidth"] = width + 3
        pd.set_option("display.max_rows", rows + 7)
        sys.path.insert(0, str(tmp_path))
        os.environ["ZAITAKU_TEST_ENV"] = "changed"
        os.environ["ZAITAKU_TEST_NEW"] = "1"
        os.chdir(tmp_path)
        kr._restore_options(st)
        assert list(warnings.filters) == filters
        assert matplotlib.rcParams["lines.linewidth"] == width
        assert pd.get_option("display.max_rows") == rows
        assert str(tmp_path) not in sys.path
        assert os.environ["ZAITAKU_TEST_ENV"] == "before" and "ZAITAKU_TEST_NEW" not in os.environ
        assert str(Path.cwd()) == st.cwd
        warnings.simplefilter("error")  # the second report: restored again from the new contexts
        kr._restore_options(st)
        assert list(warnings.filters) == filters
    finally:
        st.saved.close()
        pd.set_option("display.max_rows", rows)


def test_pandas_options_lists_every_option_by_its_public_name():
    options = kr.pandas_options()
    assert {"display.max_rows", "display.float_format", "mode.chained_assignment"} <= set(options)
    assert options["display.max_rows"] == pd.get_option("display.max_rows") and len(options) > 50


def test_protect_keeps_values_and_dtypes_and_makes_buffers_read_only():
    df = pd.DataFrame({
        "code": pd.Series(["322016", "322024", None], dtype="str"),
        "value": pd.array([1, None, 0], dtype="Int8"),
        "n": pd.array([3, 4, None], dtype="Int64"),
        "share": [0.5, np.nan, 0.25],
        "flag": [True, False, True],
    }, index=pd.RangeIndex(3, name="row"))
    df.attrs["source"] = "synthetic"
    new = kr.protect(df)
    assert new is not df
    pd.testing.assert_frame_equal(new, df, check_exact=True)
    assert new.attrs == {"source": "synthetic"} and new.index is df.index
    assert not new["share"].to_numpy().flags.writeable
    for column, value in (("value", 3), ("share", 9.0), ("flag", False)):
        try:
            new[column].array[0] = value
        except (ValueError, TypeError) as exc:  # read-only buffer: refused
            assert "read-only" in str(exc) or "not writeable" in str(exc), exc
        else:
            raise AssertionError(f"{column}: a write into the cached buffer went through")
    pd.testing.assert_frame_equal(new, df, check_exact=True)
    before = kr.frame_print(new)
    assert kr.frame_print(new) == before
    new.loc[0, "share"] = 0.0  # through pandas: copy-on-write gives the frame a new array
    assert not kr.same(before, kr.frame_print(new))

"""What the data index hands out can be written into without reaching its cache, with and without
pandas' copy-on-write (pandas 3 always; pandas 2, which Python 3.10 installs, only when opted in)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from zaitaku.analysis import index


def _cached() -> pd.DataFrame:
    return pd.DataFrame({"share": [0.25, 0.5], "n_base": pd.array([4, 19], dtype="Int64"),
                         "scope_label": ["松江市", "島根県"]})


def _write_into(df: pd.DataFrame) -> None:
    df.loc[:, "share"] = 0.99
    df["n_base"] = 0
    df.iloc[0, 2] = "書き換え"


def test_a_write_into_the_handed_out_copy_stays_in_it():
    cached = _cached()
    before = cached.copy(deep=True)
    _write_into(index.handed_out(cached))
    pd.testing.assert_frame_equal(cached, before)


def test_without_copy_on_write_the_copy_shares_no_memory(monkeypatch):
    monkeypatch.setattr(index, "copy_on_write", lambda: False)
    cached = _cached()
    out = index.handed_out(cached)
    assert not np.shares_memory(out["share"].to_numpy(), cached["share"].to_numpy())
    before = cached.copy(deep=True)
    _write_into(out)
    pd.testing.assert_frame_equal(cached, before)


def test_copy_on_write_is_read_from_pandas():
    assert index.copy_on_write() is (int(pd.__version__.split(".")[0]) >= 3 or
                                     pd.get_option("mode.copy_on_write") is True)

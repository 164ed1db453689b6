"""Run inside a warm kernel: snapshot the global state after the preload, restore it between reports.

The worker runs ``from zaitaku.render.kernel_reset import setup; setup([...], data_dir)`` once per
kernel (imports, the processed data loaded before any notebook runs) and ``reset(data_dir)`` before
every later report. Only public API of pandas, matplotlib, ipykernel and the standard library is used. ``reset`` clears the namespace (``%reset -f``),
closes figures and restores matplotlib rcParams, the inline backend's settings, pandas and numpy
options, warnings filters, ``sys.path``, the environment and the cwd, then checks that the
processed data cached by :mod:`zaitaku.analysis.processed` was not changed by the last notebook
(see :func:`data_fingerprint`); a changed data set is dropped and loaded afresh by the next report.

Imports only the standard library at module level: importing it must not change the kernel.
"""

from __future__ import annotations

import contextlib
import copy
import gc
import importlib
import os
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Snapshot:
    cwd: str
    path: list[str]
    environ: dict[str, str]
    saved: contextlib.ExitStack  # warnings.catch_warnings() and matplotlib.rc_context(), entered at setup
    inline: dict[str, Any] | None = None
    pandas: dict[str, Any] | None = None
    numpy: Any = None
    data: dict[int, tuple] = field(default_factory=dict)  # id(ProcessedData) -> (it, fingerprint)
    setup_cpu_seconds: float = 0.0  # this process's CPU when the setup ended (the start-up, for the bench)


_state: Snapshot | None = None


def _preload(modules: list[str]) -> None:
    for name in modules:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                importlib.import_module(name)
        except Exception:
            continue


def _saved_contexts() -> contextlib.ExitStack:
    """The warnings filters and matplotlib's rcParams as they are now, restored when the stack is
    closed: ``warnings.catch_warnings`` and ``matplotlib.rc_context`` (both public; both put back
    every value without validating it again)."""
    stack = contextlib.ExitStack()
    stack.enter_context(warnings.catch_warnings())
    if "matplotlib" in sys.modules:
        import matplotlib

        stack.enter_context(matplotlib.rc_context())
    return stack


def setup(preload: list[str], data_dir: str = "") -> None:
    """Import the notebooks' modules, load the processed data in ``data_dir`` (if any) so the
    first report finds it loaded, then take the reference snapshot."""
    global _state
    _preload(preload)
    data = _preload_data(data_dir)
    if "matplotlib" in sys.modules:
        import matplotlib.pyplot  # noqa: F401 - the backend is chosen before the snapshot
    st = Snapshot(str(Path.cwd()), list(sys.path), dict(os.environ), _saved_contexts())
    if "matplotlib" in sys.modules:
        try:
            from matplotlib_inline.config import InlineBackend

            cfg = InlineBackend.instance()
            st.inline = {k: copy.deepcopy(getattr(cfg, k))
                         for k in ("figure_formats", "print_figure_kwargs", "close_figures", "rc")}
        except ImportError:
            pass
    if "pandas" in sys.modules:
        st.pandas = copy.deepcopy(pandas_options())
    if "numpy" in sys.modules:
        import numpy

        st.numpy = numpy.get_printoptions()
    if data:
        st.data = {id(d): (d, data_fingerprint(d)) for d in data}
    _state = st
    gc.collect()
    gc.freeze()  # the imported modules' objects: later collections (one per reset) skip them
    st.setup_cpu_seconds = _cpu_seconds()


def _cpu_seconds() -> float:
    import resource

    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def _preload_data(data_dir: str) -> list[Any]:
    """Every survey year of the processed data loaded once, before any notebook could change it
    (a report reads its own year and, for the trend, the others; [] if it cannot be loaded)."""
    if not data_dir:
        return []
    try:
        processed = importlib.import_module("zaitaku.analysis.processed")
        return list(processed.load_years(data_dir).values())
    except Exception:  # the first report loads it (and reports the problem) itself
        return []


def _option_keys(options: Any, prefix: str = "") -> list[str]:
    keys = []
    for name in dir(options):
        value = getattr(options, name)
        key = f"{prefix}{name}"
        keys += _option_keys(value, f"{key}.") if type(value) is type(options) else [key]
    return keys


def pandas_options(keys: list[str] | None = None) -> dict[str, Any]:
    """Every pandas option (or those of ``keys``) and its value, through ``pandas.options`` and ``get_option``."""
    import pandas as pd

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # deprecated options warn when read
        return {key: pd.get_option(key) for key in (keys if keys is not None else _option_keys(pd.options))}


def _restore_matplotlib(st: Snapshot) -> None:
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")
    if st.inline is not None:
        from matplotlib_inline.config import InlineBackend

        cfg = InlineBackend.instance()
        for k, v in st.inline.items():
            if getattr(cfg, k) != v:
                setattr(cfg, k, copy.deepcopy(v))


def _restore_options(st: Snapshot) -> None:
    st.saved.close()  # warnings filters and rcParams back as they were at setup
    st.saved = _saved_contexts()
    if st.pandas is not None and "pandas" in sys.modules:
        now = pandas_options(list(st.pandas))
        if now != st.pandas:
            import pandas as pd

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                for key, value in st.pandas.items():
                    if now.get(key) != value:
                        pd.set_option(key, copy.deepcopy(value))
    if st.numpy is not None and "numpy" in sys.modules:
        import numpy

        if numpy.get_printoptions() != st.numpy:
            numpy.set_printoptions(**st.numpy)
    sys.path[:] = st.path
    if dict(os.environ) != st.environ:
        os.environ.clear()
        os.environ.update(st.environ)
    if str(Path.cwd()) != st.cwd:
        os.chdir(st.cwd)


# --------------------------------------------------------------------------------------------
# the cached processed data, through pandas' public API
#
# With copy-on-write (always on from pandas 3) a write through pandas into a frame whose blocks are
# shared with another frame lands in a new array. So each cached table is rebuilt once, without copying
# its Arrow columns, from NumPy buffers made read-only (``pd.arrays.IntegerArray`` & co. for the nullable
# kinds: public constructors), and a shallow copy of it is kept: a write through pandas then gives the
# cached frame a new column array (seen as a new object below), and a write into the buffers themselves
# (``Series.array[i] = v``, ``.values[i] = v``) raises instead of changing the data. The check compares the
# public objects a frame hands out (``Series.array``, its Arrow array, the ``to_numpy()`` view's memory,
# ``columns``, ``index``) by identity: microseconds. Without copy-on-write (pandas 2 by default) every
# table is compared by content (``pandas.util.hash_pandas_object``), slower but still exact.

_MASKED = {"Int": "IntegerArray", "UInt": "IntegerArray", "Float": "FloatingArray", "boolean": "BooleanArray"}

# id(object) -> what keeps its parts alive (so no id can be given to a later object)
_KEPT: dict[int, tuple[Any, ...]] = {}


def _frozen(values: Any) -> Any:
    values = values.copy()
    values.flags.writeable = False
    return values


def _arrow_backed(dtype: Any) -> bool:
    import pandas as pd

    return isinstance(dtype, pd.ArrowDtype) or (isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow")


def _protected_column(series: Any) -> Any:
    """The column's data as an array pandas keeps without copying, its buffers read-only
    (``None``: a kind left as it is and compared by content)."""
    import numpy as np
    import pandas as pd

    dtype = series.dtype
    if isinstance(dtype, np.dtype) and dtype.kind in "biuf":
        return _frozen(series.to_numpy())
    if _arrow_backed(dtype):
        return series.array  # Arrow data cannot change in place (a write replaces the Arrow array)
    kind = next((v for k, v in _MASKED.items() if str(dtype).startswith(k)), None)
    if kind is not None:
        mask = _frozen(series.isna().to_numpy())
        values = _frozen(series.array.to_numpy(dtype=dtype.numpy_dtype, na_value=dtype.numpy_dtype.type(0)))
        return getattr(pd.arrays, kind)(values, mask)
    return None


def protect(df: Any) -> Any:
    """``df`` rebuilt from read-only buffers (same columns, index, dtypes and values), with a shallow
    copy kept (see above); ``df`` itself when a column holds a kind compared by content."""
    import pandas as pd

    arrays = [_protected_column(df.iloc[:, i]) for i in range(df.shape[1])]
    if any(a is None for a in arrays):
        return df
    new = pd.DataFrame(dict(enumerate(arrays)), index=df.index, copy=False)
    new.columns = df.columns
    new.attrs = dict(df.attrs)
    _KEPT[id(new)] = (new, new.copy(deep=False))
    return new


def _column_parts(series: Any) -> tuple:
    """A column's public objects: its extension array and Arrow array, or the NumPy array that owns
    the memory its ``to_numpy()`` view sees (``ndarray.base`` to the root)."""
    import numpy as np

    arr = series.array
    if _arrow_backed(series.dtype):
        return ("arrow", arr, arr.__arrow_array__())
    if not isinstance(series.dtype, np.dtype):
        return ("array", arr)
    root = series.to_numpy()
    while isinstance(root.base, np.ndarray):
        root = root.base
    return ("numpy", root)


def frame_print(df: Any) -> tuple:
    """``df`` as a comparable value: a protected frame by the identity of its public parts, any other
    frame by a hash of its content."""
    import pandas as pd

    kept = _KEPT.get(id(df))
    if kept is None or kept[0] is not df:
        return ("content", tuple(map(str, df.columns)), tuple(map(str, df.index.names)), df.shape,
                df.index.dtype.str if hasattr(df.index.dtype, "str") else str(df.index.dtype),
                tuple(map(str, df.dtypes)),
                pd.util.hash_pandas_object(df, index=True).to_numpy().tobytes())
    parts = [_column_parts(df.iloc[:, i]) for i in range(df.shape[1])]
    _KEPT[id(df)] = (*kept[:2], *parts)  # the parts stay alive, so their ids stay theirs
    columns = tuple((kind, *map(id, objs)) for kind, *objs in parts)
    return ("protected", id(df), id(df.columns), tuple(map(str, df.columns)), id(df.index),
            tuple(map(str, df.index.names)), df.shape, columns)


def _copy_on_write() -> bool:
    from zaitaku.analysis.index import copy_on_write

    return copy_on_write()


def protect_data(data: Any) -> None:
    """Rebuild the tables of a loaded data set from read-only buffers (see above). Only with
    copy-on-write: without it a write through pandas would hit the read-only buffers and fail where
    a fresh kernel succeeds. (The derived indexes are protected by :func:`_derived_print`.)"""
    if not _copy_on_write():
        return
    for name in ("responses", "municipalities", "shares"):
        table = getattr(data, name)
        if id(table) not in _KEPT:
            object.__setattr__(data, name, protect(table))  # ProcessedData is a frozen dataclass


def _derived_print(items: dict) -> tuple:
    """A derived index (a dict of frames or arrays built from the tables) as a comparable value.

    Entries first seen are protected (frames rebuilt from read-only buffers, arrays made read-only)
    and kept alive (so no id is reused). With copy-on-write the index is compared by the identity
    of its entries: microseconds for thousands of entries. Enough because no entry is handed out:
    the data set's accessors return shallow copies (a write into one stays in the copy) or rows taken
    by position, and the buffers are read-only; what is left is replacing or removing an entry,
    which changes the identities. Without copy-on-write frames are compared by content."""
    import numpy as np

    cow = _copy_on_write()
    for key, item in items.items():
        if id(item) in _KEPT:
            continue
        if cow and hasattr(item, "columns"):
            item = items[key] = protect(item)  # replacing a key's value while iterating is allowed
        elif isinstance(item, np.ndarray):
            item.flags.writeable = False
        _KEPT.setdefault(id(item), (item,))
    if not cow:
        return tuple((k, frame_print(v) if hasattr(v, "columns") else id(v)) for k, v in items.items())
    return tuple(items), tuple(map(id, items.values()))


def forget_kept() -> None:
    """Drop the shallow copies (the data they protect was dropped)."""
    _KEPT.clear()


def data_fingerprint(data: Any) -> dict[str, Any]:
    """The tables, the meta and the derived indexes (frames and arrays held in dicts on the data
    object, once built) of a loaded data set, as comparable values; protects them first."""
    protect_data(data)
    parts: dict[str, Any] = {"meta": repr(sorted(data.meta.items(), key=str))}
    for name in ("responses", "municipalities", "shares"):
        parts[name] = frame_print(getattr(data, name))
    for name, value in vars(data).items():
        if isinstance(value, dict) and name not in parts and name != "meta":
            parts[name] = _derived_print(value)
    return parts


def _unchanged(ref: Any, now: Any) -> bool:
    """``ref`` and ``now`` are the same fingerprint. Tuple equality checks identity first, in C: an
    unchanged data set compares without calling any array's ``__eq__``; a part that compares
    element-wise (a replaced pandas Index) is compared with :func:`same`."""
    try:
        return bool(ref == now)
    except (TypeError, ValueError):
        return same(ref, now)


def same(a: Any, b: Any) -> bool:
    """Two fingerprint parts are the same: tuples item by item, pandas objects by ``equals``."""
    if type(a) is not type(b):
        return False
    if isinstance(a, tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if hasattr(a, "equals") and not isinstance(a, (str, bytes)):  # pandas Index: identity first
        return a is b or bool(a.equals(b))
    return bool(a == b)


def check_data(data_dir: str | None) -> bool:
    """True when the cached processed data is as loaded; otherwise it is dropped (and False).

    A data set first seen here was loaded during the last report, which may have changed it
    already: it is dropped and loaded afresh once, and that copy's fingerprint is the reference.
    """
    st = _state
    if st is None or not data_dir or "zaitaku.analysis.processed" not in sys.modules:
        return True
    processed = sys.modules["zaitaku.analysis.processed"]
    if not processed.loaded_count():
        return True
    try:
        sets = list(processed.load_years(data_dir).values())  # every survey year (reports show the trend)
        same = True
        for data in sets:
            ref = st.data.get(id(data))
            if ref is None or ref[0] is not data:
                same = False
                break
            now = data_fingerprint(data)
            if not all(_unchanged(ref[1][k], now[k]) for k in ref[1]):
                same = False
                break
            ref[1].update(now)  # indexes built since are part of the reference from now on
        if same:
            return True
        processed.forget_loaded()
        st.data = {}
        forget_kept()
        st.data = {id(fresh): (fresh, data_fingerprint(fresh)) for fresh in processed.load_years(data_dir).values()}
    except Exception:
        processed.forget_loaded()
        st.data = {}
        forget_kept()
    return False


def reset(data_dir: str | None = None) -> None:
    """Back to the snapshot taken by :func:`setup` (see the module docstring)."""
    st = _state
    if st is None:
        raise RuntimeError("kernel_reset.setup() was not run in this kernel")
    ip = get_ipython()  # type: ignore[name-defined] # noqa: F821 - run inside an IPython kernel
    ip.run_line_magic("reset", "-f")
    _restore_matplotlib(st)
    _restore_options(st)
    check_data(data_dir)
    ip.execution_count = 1
    gc.freeze()  # what survived %reset -f (and its gc.collect) is long-lived: module caches


def dump_stats(path: str) -> None:
    """Write the kernel's peak memory, CPU seconds and chart-cache counters (if the charts keep any) as JSON."""
    import json
    import resource

    stats: dict[str, Any] = {"pid": os.getpid(), "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                             "cpu_seconds": _cpu_seconds(),
                             "cpu_seconds_at_setup": _state.setup_cpu_seconds if _state is not None else None}
    cache = sys.modules.get("zaitaku.report.charts.cache")
    if cache is not None and hasattr(cache, "chart_cache_stats"):
        stats["chart_cache"] = cache.chart_cache_stats()
    Path(path).write_text(json.dumps(stats), encoding="utf-8")

"""Run inside a warm kernel: snapshot the global state after the preload, restore it between reports.

The worker runs ``from zaitaku.render.kernel_reset import setup; setup([...], data_dir)`` once per
kernel (imports, the processed data loaded before any notebook runs, ipykernel's empty stream flushes
made free) and ``reset(data_dir)`` before every later report. ``reset`` clears the namespace (``%reset -f``),
closes figures and restores matplotlib rcParams, the inline backend's settings, pandas and numpy
options, warnings filters, ``sys.path``, the environment and the cwd, then checks that the
processed data cached by :mod:`zaitaku.analysis.processed` was not changed by the last notebook
(see :func:`data_fingerprint`); a changed data set is dropped and loaded afresh by the next report.

Imports only the standard library at module level: importing it must not change the kernel.
"""

from __future__ import annotations

import copy
import gc
import importlib
import os
import sys
import warnings
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Snapshot:
    cwd: str
    path: list[str]
    environ: dict[str, str]
    filters: list
    rc: Any = None
    inline: dict[str, Any] | None = None
    pandas: Any = None
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


def setup(preload: list[str], data_dir: str = "") -> None:
    """Import the notebooks' modules, load the processed data in ``data_dir`` (if any) so the
    first report finds it loaded, then take the reference snapshot."""
    global _state
    _preload(preload)
    data = _preload_data(data_dir)
    _skip_empty_flushes()
    st = Snapshot(str(Path.cwd()), list(sys.path), dict(os.environ), list(warnings.filters))
    if "matplotlib" in sys.modules:
        import matplotlib
        import matplotlib.pyplot

        st.rc = matplotlib.rcParams.copy()
        try:
            from matplotlib_inline.config import InlineBackend

            cfg = InlineBackend.instance()
            st.inline = {k: copy.deepcopy(getattr(cfg, k))
                         for k in ("figure_formats", "print_figure_kwargs", "close_figures", "rc")}
        except ImportError:
            pass
    if "pandas" in sys.modules:
        from pandas._config import config as pandas_config

        st.pandas = copy.deepcopy(_pandas_options(pandas_config))
    if "numpy" in sys.modules:
        import numpy

        st.numpy = numpy.get_printoptions()
    if data is not None:
        st.data = {id(data): (data, data_fingerprint(data))}
    _state = st
    gc.collect()
    gc.freeze()  # the imported modules' objects: later collections (one per reset) skip them
    st.setup_cpu_seconds = _cpu_seconds()


def _cpu_seconds() -> float:
    import resource

    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def _skip_empty_flushes() -> None:
    """Make ipykernel's stdout/stderr ``flush()`` return at once when nothing was written since the
    last one. ipykernel flushes both streams before every display and twice around every cell,
    and each flush is a round trip to its IO thread even when there is nothing to send: about a
    hundred per report. A stream with text pending still flushes as before (same order)."""
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        flush = getattr(type(stream), "flush", None)
        if flush is None or not all(hasattr(stream, a) for a in ("_buffers", "_flush_pending", "echo")):
            continue  # not ipykernel's OutStream (or a version without these): left as it is

        def quick(stream: Any = stream, flush: Any = flush) -> None:
            if stream._flush_pending or stream._buffers or stream.echo is not None:
                flush(stream)

        stream.flush = quick


def _preload_data(data_dir: str) -> Any:
    """The processed data loaded once, before any notebook could change it (None if it cannot be)."""
    if not data_dir:
        return None
    try:
        processed = importlib.import_module("zaitaku.analysis.processed")
        return processed.load_processed(data_dir)
    except Exception:  # the first report loads it (and reports the problem) itself
        return None


def _pandas_options(pandas_config: Any) -> dict:
    return pandas_config._global_config  # no public way to snapshot and restore every option


def _restore_matplotlib(st: Snapshot) -> None:
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")
    if st.rc is not None:
        import matplotlib

        rc = matplotlib.rcParams
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for k, v in st.rc.items():
                if k != "backend" and rc.get(k) is not v:
                    try:
                        dict.__setitem__(rc, k, v)  # the snapshot's values were validated already
                    except Exception:
                        rc[k] = v
    if st.inline is not None:
        from matplotlib_inline.config import InlineBackend

        cfg = InlineBackend.instance()
        for k, v in st.inline.items():
            if getattr(cfg, k) != v:
                setattr(cfg, k, copy.deepcopy(v))


def _restore_options(st: Snapshot) -> None:
    if st.pandas is not None and "pandas" in sys.modules:
        from pandas._config import config as pandas_config

        if _pandas_options(pandas_config) != st.pandas:
            _pandas_options(pandas_config).clear()
            _pandas_options(pandas_config).update(copy.deepcopy(st.pandas))
    if st.numpy is not None and "numpy" in sys.modules:
        import numpy

        if numpy.get_printoptions() != st.numpy:
            numpy.set_printoptions(**st.numpy)
    warnings.filters[:] = st.filters  # type: ignore[index]  # typeshed: a Sequence; it is a list
    if hasattr(warnings, "_filters_mutated"):
        warnings._filters_mutated()
    sys.path[:] = st.path
    if dict(os.environ) != st.environ:
        os.environ.clear()
        os.environ.update(st.environ)
    if str(Path.cwd()) != st.cwd:
        os.chdir(st.cwd)


# --------------------------------------------------------------------------------------------
# the cached processed data


def _column_print(series: Any) -> tuple:
    """What a column holds, by content: a CRC of its buffers (the fallback of :func:`frame_print`
    for a frame holding an array kind it does not know)."""
    import numpy as np

    arr = series.array
    arrow = getattr(arr, "__arrow_array__", None)
    if arrow is not None and type(arr).__name__.startswith("Arrow"):
        chunked = arrow()
        return ("arrow", str(series.dtype), chunked)  # pyarrow arrays cannot change in place
    values, mask = getattr(arr, "_data", None), getattr(arr, "_mask", None)
    if isinstance(values, np.ndarray) and isinstance(mask, np.ndarray):  # masked: values and mask as they are
        buffers = [np.ascontiguousarray(values).data, np.ascontiguousarray(mask).data]
    elif arrow is not None:  # other extension arrays: their Arrow form's buffers
        buffers = [b for chunk in _chunks(arrow()) for b in chunk.buffers() if b is not None]
    elif series.dtype == object:
        return ("object", hash(tuple(series.tolist())))
    else:
        buffers = [np.ascontiguousarray(series.to_numpy()).data]
    crc = 0
    for b in buffers:
        crc = zlib.crc32(b, crc)
    return ("crc", str(series.dtype), len(series), crc)


def _chunks(arrow_obj: Any) -> list:
    return list(getattr(arrow_obj, "chunks", [arrow_obj]))


# id(frame) -> (the frame, a shallow copy of it, the objects its print names). While the copy
# lives, pandas' copy-on-write (always on from pandas 3) gives the frame a new block before any
# write through pandas, so a changed block shows as a new object; holding the original objects
# keeps their ids from being given to a later one. Derived NumPy indexes: id -> (the array, None, ()).
_KEPT: dict[int, tuple[Any, Any, tuple]] = {}


def _writable_arrays(values: Any) -> list | None:
    """The NumPy arrays a block's values are written into; ``None`` for a kind not known here."""
    import numpy as np

    if isinstance(values, np.ndarray):
        return [values]
    data, mask = getattr(values, "_data", None), getattr(values, "_mask", None)
    if isinstance(data, np.ndarray) and isinstance(mask, np.ndarray):  # Int8, Int64, boolean
        return [data, mask]
    ndarray = getattr(values, "_ndarray", None)  # NumPy-backed extension arrays, categorical codes
    return [ndarray] if isinstance(ndarray, np.ndarray) else None


def _blocks_print(df: Any) -> tuple | None:
    """Each block of ``df`` by identity: Arrow data (immutable) by its object, NumPy buffers by their
    object and read-only flag. ``None`` if a block holds a kind :func:`_writable_arrays` does not know."""
    out: list[tuple] = []
    for block in df._mgr.blocks:  # pandas' block manager: no public way to reach the blocks
        values = block.values
        arrow = getattr(values, "_pa_array", None)
        if arrow is not None:
            out.append(("arrow", id(values), id(arrow)))
            continue
        arrays = _writable_arrays(values)
        if arrays is None:
            return None
        out.append(("numpy", id(values), tuple((id(a), a.flags.writeable) for a in arrays)))
    return tuple(out)


def _protect(df: Any) -> None:
    """Make ``df``'s NumPy buffers read-only and keep a shallow copy of it (see ``_KEPT``): a write
    through pandas then lands in a new block, and a write into the buffers themselves
    (``Series.array[i] = v``) raises instead of changing the cached data."""
    named: list[Any] = []
    for block in df._mgr.blocks:
        arrays = _writable_arrays(block.values) or []
        for array in arrays:
            if array.flags.writeable:
                array.flags.writeable = False
        named += [block.values, getattr(block.values, "_pa_array", None), *arrays]
    _KEPT[id(df)] = (df, df.copy(deep=False), (df._mgr, df.columns, df.index, *named))


def frame_print(df: Any) -> tuple:
    """``df`` as a comparable value. Protected frames (pandas with copy-on-write, known array kinds)
    by the identity of their parts, in microseconds; any other frame by a CRC of its columns."""
    import pandas as pd

    blocks = _blocks_print(df)
    kept = _KEPT.get(id(df))
    if blocks is not None and (kept is None or kept[0] is not df):
        if _copy_on_write(pd):
            _protect(df)
            blocks = _blocks_print(df)  # the buffers are read-only now
        else:
            blocks = None
    if blocks is None:
        return (id(df), tuple(map(str, df.columns)), df.shape, df.index,
                tuple(_column_print(df[c]) for c in df.columns))
    return (id(df), id(df._mgr), id(df.columns), tuple(map(str, df.columns)), id(df.index),
            tuple(map(str, df.index.names)), df.shape, blocks)


def _copy_on_write(pd: Any) -> bool:
    """pandas copies a shared block before writing to it (always from pandas 3; opt-in before)."""
    if int(pd.__version__.split(".")[0]) >= 3:
        return True
    return pd.get_option("mode.copy_on_write") is True


def _array_print(values: Any) -> tuple:
    """A derived NumPy index (row positions): read-only from its first print, then by identity."""
    if values.flags.writeable:
        values.flags.writeable = False
    _KEPT.setdefault(id(values), (values, None, ()))
    return (id(values), values.flags.writeable)


def forget_kept() -> None:
    """Drop the shallow copies (the data they protect was dropped)."""
    _KEPT.clear()


def data_fingerprint(data: Any) -> dict[str, Any]:
    """The tables, the meta and the derived indexes of a loaded data set, as comparable values."""
    parts: dict[str, Any] = {"meta": repr(sorted(data.meta.items(), key=str))}
    for name in ("responses", "municipalities", "shares"):
        parts[name] = frame_print(getattr(data, name))
    derived = vars(data)
    for name in ("_shares_by_question", "_responses_by_code"):  # cached_property indexes, once built
        value = derived.get(name)
        if isinstance(value, dict):
            parts[name] = tuple((k, frame_print(v) if hasattr(v, "columns") else _array_print(v))
                                for k, v in value.items())
    return parts


def _unchanged(ref: Any, now: Any) -> bool:
    """``ref`` and ``now`` are the same fingerprint. Tuple equality checks identity first, in C: an
    unchanged data set compares without calling any array's ``__eq__``; a part that compares
    element-wise (a replaced pandas Index) is compared with :func:`_same`."""
    try:
        return bool(ref == now)
    except (TypeError, ValueError):
        return _same(ref, now)


def _same(a: Any, b: Any) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if hasattr(a, "equals") and not isinstance(a, (str, bytes)):  # pandas Index, pyarrow arrays: identity first
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
        data = processed.load_processed(data_dir)
        ref = st.data.get(id(data))
        if ref is not None and ref[0] is data:
            now = data_fingerprint(data)
            if all(_unchanged(ref[1][k], now[k]) for k in ref[1]):
                ref[1].update(now)  # indexes built since are part of the reference from now on
                return True
        processed.forget_loaded()
        st.data = {}
        forget_kept()
        fresh = processed.load_processed(data_dir)
        st.data = {id(fresh): (fresh, data_fingerprint(fresh))}
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

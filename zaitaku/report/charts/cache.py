"""Each distinct chart drawn once per kernel: SVG markup keyed by the chart's content.

The key is a hash of everything the drawing depends on: the chart kind, the figures (rows, scopes,
options, their labels, counts and shares; not the municipality's own rows, which enter as the
highlighted options), the highlighted options and the focus scope. The drawing names no municipality
and the alt text is added after the cache, so municipalities that answered alike share one drawing.
Within a prefecture most municipalities share a question's chart, so a warm kernel reuses it. The
cache holds at most :data:`MAX_ENTRIES` charts (least recently used dropped first).

The kernels of one ``zaitaku render`` batch also share their drawings through a folder named by
the environment variable :data:`SHARED_ENV` (a temporary folder the batch creates and removes):
a chart one kernel drew is read, not drawn again, by the others. Files are written atomically and
named by the key, so a file is either absent or whole; within one batch every kernel runs the same
code, so a chart read from the folder is the chart this kernel would have drawn.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from zaitaku.paths import SHARED_CHARTS_ENV

MAX_ENTRIES = 2048  # ~10 KB each: ~20 MB at most
COLUMNS = ["row_id", "row_label", "scope", "scope_label", "option_id", "option_label", "n_selected",
           "n_base", "share"]

_store: OrderedDict[str, str] = OrderedDict()
_stats = {"hits": 0, "shared": 0, "misses": 0}
SHARED_ENV = SHARED_CHARTS_ENV


def frame_digest(df: pd.DataFrame, columns: list[str] | None = None) -> bytes:
    """A digest of the rows other than the municipality's own, in order, of ``columns`` (default
    :data:`COLUMNS` and ``is_group``): the exact values' ``repr`` (shortest round-trip for floats;
    NaN, None and NA apart), cheaper than ``pandas.util.hash_pandas_object`` on small frames."""
    cols = [c for c in (columns or [*COLUMNS, "is_group"]) if c in df.columns]
    keep = df["scope"].to_numpy(dtype=object) != "municipality"
    values = [df[c].to_numpy(dtype=object)[keep].tolist() for c in cols]
    return hashlib.blake2b(repr((cols, values)).encode(), digest_size=16).digest()


def content_key(kind: str, df: pd.DataFrame, *parts: object) -> str:
    """A hash of the chart kind, the frame's drawn columns (and ``is_group``) and any further parts."""
    h = hashlib.blake2b(digest_size=16)
    h.update(kind.encode())
    h.update(frame_digest(df))  # its own answer enters as the highlighted options
    h.update(repr(parts).encode())
    return h.hexdigest()


def shared_folder() -> Path | None:
    """The batch's shared chart folder (:data:`SHARED_ENV`), if set and present."""
    folder = os.environ.get(SHARED_ENV)
    return Path(folder) if folder and Path(folder).is_dir() else None


def _read_shared(folder: Path, key: str) -> str | None:
    try:
        return (folder / f"{key}.svg").read_text(encoding="utf-8")
    except OSError:
        return None


def _write_shared(folder: Path, key: str, value: str) -> None:
    from zaitaku.files.atomic import write_text

    with contextlib.suppress(OSError):  # sharing is an optimisation: a full disk only costs drawing again
        write_text(folder / f"{key}.svg", value)


def cached(key: str, make: Callable[[], str]) -> str:
    """The markup stored under ``key``; else the batch's shared copy; else ``make()``, stored (and shared)."""
    hit = _store.get(key)
    if hit is not None:
        _stats["hits"] += 1
        _store.move_to_end(key)
        return hit
    folder = shared_folder()
    value = _read_shared(folder, key) if folder is not None else None
    if value is not None:
        _stats["shared"] += 1
    else:
        _stats["misses"] += 1
        value = make()
        if folder is not None:
            _write_shared(folder, key, value)
    _store[key] = value
    if len(_store) > MAX_ENTRIES:
        _store.popitem(last=False)
    return value


def chart_cache_stats() -> dict[str, int]:
    """Hits (this kernel's own drawings), shared (read from the batch's folder), misses (drawn) and
    entries since the kernel started (or :func:`clear_chart_cache`)."""
    return {**_stats, "entries": len(_store)}


def clear_chart_cache() -> None:
    _store.clear()
    _stats.update(hits=0, shared=0, misses=0)

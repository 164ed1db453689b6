"""Atomic file output (temporary file in the same folder, then ``Path.replace``) and file hashing."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@contextlib.contextmanager
def atomic_path(target: Path | str) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; it replaces ``target`` only if the block succeeds."""
    target = Path(target)
    if len(target.name.encode()) > 255:  # said before anything is written, naming the file asked for
        raise OSError(errno.ENAMETOOLONG, os.strerror(errno.ENAMETOOLONG), str(target))
    target.parent.mkdir(parents=True, exist_ok=True)
    token = secrets.token_hex(6)
    tmp_name = f".{target.name}.{token}.tmp"
    if len(tmp_name.encode()) > 255:  # a legal long name: the temporary one must stay legal too
        tmp_name = f".{token}.tmp"
    tmp_path = target.parent / tmp_name
    # O_EXCL: never another's file; mode 0o666 lets the process umask give the usual permissions
    os.close(os.open(tmp_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    try:
        yield tmp_path
        tmp_path.replace(target)
    finally:
        tmp_path.unlink(missing_ok=True)


@contextlib.contextmanager
def atomic_open(target: Path | str, mode: str = "w", encoding: str | None = "utf-8") -> Iterator[IO]:
    """``open`` for writing that leaves either the old file or the complete new one."""
    with atomic_path(target) as tmp, tmp.open(mode, encoding=None if "b" in mode else encoding) as fh:
        yield fh


def write_text(target: Path | str, text: str, encoding: str = "utf-8") -> None:
    with atomic_open(target, "w", encoding=encoding) as fh:
        fh.write(text)


def write_bytes(target: Path | str, data: bytes) -> None:
    with atomic_open(target, "wb") as fh:
        fh.write(data)


def write_parquet(df: pd.DataFrame, target: Path | str) -> None:
    with atomic_path(target) as tmp:
        df.to_parquet(tmp, index=False)


def excel_text(value: object) -> object:
    """A cell Excel would run as a formula (``=``, ``+``, ``-``, ``@``, tab, CR first) as text: ``'`` before it.

    Numbers stay numbers (``-3`` is a value, not text); only strings are changed.
    """
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def excel_safe(df: pd.DataFrame) -> pd.DataFrame:
    """The frame with every string cell (and column name) made safe to open in Excel."""
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(excel_text, na_action="ignore")
    out.columns = [excel_text(c) for c in out.columns]
    return out


def write_csv(df: pd.DataFrame, target: Path | str, *, excel: bool = False) -> None:
    """CSV; ``excel=True`` writes UTF-8 with BOM (Excel opens Japanese text) and neutralises formulas."""
    frame = excel_safe(df) if excel else df
    with atomic_path(target) as tmp:
        if excel:  # CRLF as Excel writes it; then a CR inside a cell is quoted too and cannot split the row
            frame.to_csv(tmp, index=False, encoding="utf-8-sig", lineterminator="\r\n")
        else:
            frame.to_csv(tmp, index=False, encoding="utf-8")


def md5_file(path: Path | str, chunk: int = 1 << 20) -> str:
    h = hashlib.md5()
    with Path(path).open("rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()

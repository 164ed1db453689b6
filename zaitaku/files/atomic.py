"""Atomic file output (temporary file in the same folder, then ``os.replace``) and file hashing."""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pandas as pd

_UMASK = os.umask(0)
os.umask(_UMASK)


@contextlib.contextmanager
def atomic_path(target: Path | str) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; it replaces ``target`` only if the block succeeds."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    os.chmod(tmp_path, 0o666 & ~_UMASK)  # mkstemp makes 0600; give outputs the usual permissions
    try:
        yield tmp_path
        os.replace(tmp_path, target)
    finally:
        tmp_path.unlink(missing_ok=True)


@contextlib.contextmanager
def atomic_open(target: Path | str, mode: str = "w", encoding: str | None = "utf-8") -> Iterator[IO]:
    """``open`` for writing that leaves either the old file or the complete new one."""
    with atomic_path(target) as tmp, open(tmp, mode, encoding=None if "b" in mode else encoding) as fh:
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


def write_csv(df: pd.DataFrame, target: Path | str, *, excel: bool = False) -> None:
    """CSV; ``excel=True`` writes UTF-8 with BOM so that Excel opens Japanese text correctly."""
    with atomic_path(target) as tmp:
        df.to_csv(tmp, index=False, encoding="utf-8-sig" if excel else "utf-8")


def md5_file(path: Path | str, chunk: int = 1 << 20) -> str:
    h = hashlib.md5()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()

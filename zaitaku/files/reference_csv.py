"""Reading the project's reference CSVs: all text, stripped, indexed by their line numbers in the file."""

from __future__ import annotations

from pathlib import Path

import pandas as pd


def read_reference_csv(path: Path, columns: tuple[str, ...], error: type[Exception]) -> pd.DataFrame:
    """The CSV as strings (UTF-8, with or without BOM); ``error`` names the file when it is missing or
    its columns differ. The index is the CSV line number (line 1 is the header), for messages."""
    if not path.is_file():
        raise error(f"{path}: file not found")
    df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    if tuple(df.columns) != columns:
        raise error(f"{path.name}: columns {list(df.columns)}, expected {list(columns)}")
    df = df.apply(lambda s: s.str.strip())
    df.index = df.index + 2
    return df

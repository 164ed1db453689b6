"""Ingest's side of writing the processed set: refuse an output folder that would overwrite an input,
compute the shares, and hand one survey year's tables to :func:`zaitaku.analysis.processed.write_year`
(the one writer: members named by year and content, ``ingest_meta.json`` replaced last as the commit
point, the other years untouched; the kill-test hook ``ZAITAKU_INGEST_PAUSE`` is documented there).
``problems.csv`` is also written under its fixed name for staff to open in Excel.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from zaitaku.analysis.processed import (
    LEGACY_NAMES,
    META_NAME,
    PAUSE_ENV,  # noqa: F401  (re-exported for the fault-injection tests)
    PROBLEMS_NAME,
    listed_paths,
    write_year,
)
from zaitaku.analysis.shares import compute_shares
from zaitaku.files import atomic


class OutputError(RuntimeError):
    """The output folder cannot be written as asked (e.g. it would overwrite an input)."""


def check_not_inputs(inputs: list[Path], out_dir: Path) -> None:
    """Refuse an output folder where writing would replace or remove one of the inputs."""
    out_dir = Path(out_dir).resolve()
    touched = {out_dir / META_NAME, out_dir / PROBLEMS_NAME, *(p.resolve() for p in listed_paths(out_dir)),
               *(out_dir / n for n in LEGACY_NAMES.values())}
    for p in inputs:
        rp = Path(p).resolve()
        if rp in touched:
            raise OutputError(
                f"{p}: 出力先 {out_dir} に書き込むとこの入力ファイルを上書き（または削除）してしまうため中止しました。"
                "--out に別のフォルダを指定してください")
        if rp == out_dir:
            raise OutputError(f"{p}: 入力フォルダと同じフォルダには出力できません。--out に別のフォルダを指定してください")


def write_processed(responses: pd.DataFrame, municipalities: pd.DataFrame, problems: pd.DataFrame,
                    meta: dict, out_dir: Path | str, inputs: Sequence[Path] = ()) -> list[Path]:
    """Write one survey year (``meta["survey_year"]``) of the set as one unit; return the paths written."""
    out_dir = Path(out_dir)
    check_not_inputs(list(inputs), out_dir)
    shares = compute_shares(responses, municipalities)
    year = str(meta.get("survey_year", "R3"))
    tables = {
        "responses": lambda p: atomic.write_parquet(responses, p),
        "municipalities": lambda p: atomic.write_parquet(municipalities, p),
        "shares": lambda p: atomic.write_parquet(shares, p),
        "problems": lambda p: atomic.write_csv(problems, p, excel=True),
    }
    paths = write_year(out_dir, year, tables, meta, keep=tuple(Path(p) for p in inputs),
                       check=lambda: check_not_inputs(list(inputs), out_dir))
    return [*paths.values(), out_dir / META_NAME, out_dir / PROBLEMS_NAME]

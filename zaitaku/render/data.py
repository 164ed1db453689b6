"""The processed data as the renderer sees it: held against ingest, checked before the first report.

Reading, checking and locking the folder is :mod:`zaitaku.analysis.processed`'s (the one reader and
writer); this module turns its errors into :class:`DataError` for the render command and answers the
index pages' two questions (synthetic? problems per municipality?).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from zaitaku.analysis.processed import (
    LOCK_NAME,  # noqa: F401  (re-exported)
    ProcessedDataError,
    member_paths,
    read_meta,
    shared_lock,
    verify_members,
    year_meta,
)


class DataError(RuntimeError):
    """Processed data that cannot be used (message for staff, in Japanese)."""


@contextlib.contextmanager
def data_lock(data_dir: Path, *, wait: float = 3600.0, stream=None) -> Iterator[None]:
    """Shared lock on ``<data_dir>/.zaitaku.lock`` while ingest is not writing (waits up to ``wait`` s)."""
    try:
        with shared_lock(data_dir, wait=wait, stream=stream):
            yield
    except ProcessedDataError as exc:
        raise DataError(str(exc)) from None


def _meta(data_dir: Path, year: str | None = None) -> dict:
    try:
        return year_meta(read_meta(data_dir), year, data_dir)
    except ProcessedDataError as exc:
        raise DataError(f"処理済みデータ: {exc}（--data-dir で別のフォルダも指定できます）") from None


def check_data(data_dir: Path, year: str | None = None) -> None:
    """Raise :class:`DataError` unless the year's processed data can be loaded (meta, members, their
    schemas): the md5 of each member against the meta, then each parquet file's footer and schema,
    which finds missing, truncated and foreign files."""
    meta = _meta(data_dir, year)
    try:
        paths = verify_members(data_dir, meta)
    except ProcessedDataError as exc:
        raise DataError(str(exc)) from None
    import pyarrow.parquet as pq

    for name in ("responses", "municipalities"):
        try:
            pq.read_schema(paths[name])
        except Exception as exc:
            raise DataError(f"処理済みデータ {paths[name]} を読めません（{type(exc).__name__}: {exc}）。"
                            "`zaitaku ingest` をやり直してください") from None
    problems = paths.get("problems", Path(data_dir) / "problems.csv")  # this year's
    if problems.is_file():  # every report lists its municipality's problems: the file must be one ingest writes
        from zaitaku.ingest.problems import ProblemsFileError, read_problems

        try:
            read_problems(problems)
        except (ProblemsFileError, ValueError, OSError) as exc:
            raise DataError(str(exc)) from None


def is_synthetic(data_dir: Path, year: str | None = None) -> bool:
    try:
        return bool(_meta(data_dir, year).get("synthetic"))
    except DataError:
        return False


def problem_counts(data_dir: Path, year: str | None = None) -> dict[str, int]:
    """Municipality code → number of ingest problems, for the index pages ({} when there are none).

    The processed data is loaded only when the year's problems member lists any problem (to
    attribute each problem to its municipality, as the reports do).
    """
    try:
        path = member_paths(data_dir, _meta(data_dir, year)).get("problems")
        if path is None or not path.is_file():
            return {}
        with path.open(encoding="utf-8-sig") as fh:
            fh.readline()  # the header
            if not fh.readline().strip():  # no problem row
                return {}
        from zaitaku.analysis.problems import problems_by_code
        from zaitaku.analysis.processed import load_processed

        return problems_by_code(load_processed(data_dir, year))
    except (DataError, ProcessedDataError, OSError, ValueError):
        return {}  # the reports themselves say what is wrong with the data

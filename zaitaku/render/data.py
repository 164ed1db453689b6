"""The processed data as the renderer sees it: held against ingest, checked before the first report.

``zaitaku ingest`` takes ``<data_dir>/.zaitaku.lock`` exclusively while it writes (filelock, i.e.
``flock``); a render takes the same file shared for the whole batch, so renders run side by side
and an ingest waits for them (and they for it).
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

LOCK_NAME = ".zaitaku.lock"


class DataError(RuntimeError):
    """Processed data that cannot be used (message for staff, in Japanese)."""


@contextlib.contextmanager
def data_lock(data_dir: Path, *, wait: float = 3600.0, stream=None) -> Iterator[None]:
    """Shared lock on ``<data_dir>/.zaitaku.lock`` while ingest is not writing (waits up to ``wait`` s)."""
    try:
        import fcntl
    except ImportError:  # not POSIX
        yield
        return
    path = Path(data_dir) / LOCK_NAME
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    except OSError:  # a read-only data folder: nothing can ingest into it either
        yield
        return
    try:
        deadline, told = time.monotonic() + wait, False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise DataError(f"{data_dir} は取り込み（zaitaku ingest）中のため読めません。終わってから実行してください") from None
                if not told:
                    print(f"zaitaku render: {data_dir} の取り込みが終わるのを待っています…", file=stream or sys.stderr)
                    told = True
                time.sleep(0.5)
        yield
    finally:
        os.close(fd)


def _meta(data_dir: Path) -> dict:
    path = Path(data_dir) / "ingest_meta.json"
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError(f"処理済みデータ {path} がありません。`zaitaku ingest`（または `make demo`）を実行するか "
                        "--data-dir を指定してください") from None
    except (OSError, ValueError) as exc:
        raise DataError(f"処理済みデータ {path} を読めません（{exc}）。`zaitaku ingest` をやり直してください") from None
    if not isinstance(meta, dict):
        raise DataError(f"処理済みデータ {path} の形式が違います。`zaitaku ingest` をやり直してください")
    return meta


def check_data(data_dir: Path) -> None:
    """Raise :class:`DataError` unless the processed data can be loaded (meta, members, their schemas).

    Uses the ingest's own member check (md5 against the meta) when it has one; otherwise reads each
    parquet file's footer and schema, which finds missing, truncated and foreign files.
    """
    meta = _meta(data_dir)
    from zaitaku.analysis import processed

    verify = getattr(processed, "verify_members", None)
    if verify is not None:
        try:
            verify(data_dir, meta)
        except Exception as exc:
            raise DataError(str(exc)) from None
    import pyarrow.parquet as pq

    for name in ("responses", "municipalities"):
        path = Path(data_dir) / f"{name}.parquet"
        members = meta.get("members")
        if isinstance(members, dict) and isinstance(members.get(name), dict):
            path = Path(data_dir) / str(members[name].get("file", path.name))
        try:
            pq.read_schema(path)
        except Exception as exc:
            raise DataError(f"処理済みデータ {path} を読めません（{type(exc).__name__}: {exc}）。"
                            "`zaitaku ingest` をやり直してください") from None
    problems = Path(data_dir) / "problems.csv"
    if problems.is_file():  # every report lists its municipality's problems: the file must be one ingest writes
        from zaitaku.ingest.problems import ProblemsFileError, read_problems

        try:
            read_problems(problems)
        except (ProblemsFileError, ValueError, OSError) as exc:
            raise DataError(str(exc)) from None


def is_synthetic(data_dir: Path) -> bool:
    try:
        return bool(_meta(data_dir).get("synthetic"))
    except DataError:
        return False


def problem_counts(data_dir: Path) -> dict[str, int]:
    """Municipality code → number of ingest problems, for the index pages ({} when there are none).

    The processed data is loaded only when ``problems.csv`` lists any problem (to attribute each
    problem to its municipality, as the reports do).
    """
    from zaitaku.analysis.processed import ProcessedDataError, member_paths

    try:
        path = member_paths(data_dir, _meta(data_dir)).get("problems")
        if path is None or not path.is_file():
            return {}
        with path.open(encoding="utf-8-sig") as fh:
            fh.readline()  # the header
            if not fh.readline().strip():  # no problem row
                return {}
        from zaitaku.analysis.problems import problems_by_code
        from zaitaku.analysis.processed import load_processed

        return problems_by_code(load_processed(data_dir))
    except (DataError, ProcessedDataError, OSError, ValueError):
        return {}  # the reports themselves say what is wrong with the data

"""Write the processed data set as one unit under a lock on the output folder.

Members are named by their content (``responses-<md5 prefix>.parquet`` …), written first as
``*-pending-*`` files; ``ingest_meta.json`` listing them
with their md5 is replaced atomically last (the commit point); members of the previous set are
removed only after that. A kill at any moment leaves the old set or the new one, never a mix
(:func:`zaitaku.analysis.processed.load_processed` checks the md5s). ``problems.csv`` is also
written under its fixed name for staff to open in Excel (a copy of the committed member).

``ZAITAKU_INGEST_PAUSE=<seconds>`` (or ``<seconds>@<step>``: only there) pauses after each step and
prints ``ZAITAKU_INGEST_STEP <n> <what>`` to stderr: a hook for the fault-injection tests.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import pandas as pd
from filelock import Timeout

from zaitaku.analysis.aggregate import compute_shares
from zaitaku.analysis.processed import (
    LEGACY_NAMES,
    META_NAME,
    ProcessedDataError,
    member_paths,
    processed_lock,
    read_meta,
)
from zaitaku.files import atomic

PROBLEMS_NAME = "problems.csv"
PAUSE_ENV = "ZAITAKU_INGEST_PAUSE"
_MEMBER_NAME = re.compile(r"(responses|municipalities|shares|problems)-(?:[0-9a-f]{12}|pending-[0-9a-f]{8})\.(parquet|csv)")


class OutputError(RuntimeError):
    """The output folder cannot be written as asked (e.g. it would overwrite an input)."""


def _step(n: int, what: str) -> None:
    pause = os.environ.get(PAUSE_ENV)
    if pause:
        seconds, _, at = pause.partition("@")
        print(f"ZAITAKU_INGEST_STEP {n} {what}", file=sys.stderr, flush=True)
        if not at or int(at) == n:
            time.sleep(float(seconds))


@contextlib.contextmanager
def _locked(out_dir: Path) -> Iterator[None]:
    """The processed set's lock, saying so on stderr when it has to wait for a running render or ingest."""
    lock = processed_lock(out_dir)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        print(f"zaitaku ingest: {out_dir} を他の zaitaku（render など）が使っているため、終わるのを待っています…",
              file=sys.stderr, flush=True)
        lock.acquire()
    try:
        yield
    finally:
        lock.release()


def _old_members(out_dir: Path) -> list[Path]:
    if not (out_dir / META_NAME).exists():
        return [out_dir / n for n in LEGACY_NAMES.values()]
    try:
        return list(member_paths(out_dir, read_meta(out_dir)).values())
    except ProcessedDataError:
        return []


def check_not_inputs(inputs: list[Path], out_dir: Path) -> None:
    """Refuse an output folder where writing would replace or remove one of the inputs."""
    out_dir = Path(out_dir).resolve()
    touched = {out_dir / META_NAME, out_dir / PROBLEMS_NAME, *(p.resolve() for p in _old_members(out_dir)),
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
    """Write the set as one unit (see the module doc); return the paths written."""
    out_dir = Path(out_dir)
    check_not_inputs(list(inputs), out_dir)
    shares = compute_shares(responses, municipalities)
    with _locked(out_dir):
        check_not_inputs(list(inputs), out_dir)
        old = _old_members(out_dir)
        listed = {p.resolve() for p in old} | {Path(p).resolve() for p in inputs}
        for stale in out_dir.iterdir():  # left by an ingest that was killed before its commit
            if _MEMBER_NAME.fullmatch(stale.name) and stale.resolve() not in listed:
                stale.unlink(missing_ok=True)
        token = secrets.token_hex(4)
        writers = {
            "responses": (".parquet", lambda p: atomic.write_parquet(responses, p)),
            "municipalities": (".parquet", lambda p: atomic.write_parquet(municipalities, p)),
            "shares": (".parquet", lambda p: atomic.write_parquet(shares, p)),
            "problems": (".csv", lambda p: atomic.write_csv(problems, p, excel=True)),
        }
        paths: dict[str, Path] = {}
        members: dict[str, dict[str, str]] = {}
        _step(0, "locked")
        try:
            for n, (key, (suffix, write)) in enumerate(writers.items(), start=1):
                pending = out_dir / f"{key}-pending-{token}{suffix}"
                write(pending)
                digest = atomic.md5_file(pending)
                # named by content: re-ingesting the same data gives the same names
                paths[key] = out_dir / f"{key}-{digest[:12]}{suffix}"
                pending.replace(paths[key])
                members[key] = {"file": paths[key].name, "md5": digest}
                _step(n, key)
            full = dict(meta, members=members, responses_md5=members["responses"]["md5"])
            atomic.write_text(out_dir / META_NAME, json.dumps(full, ensure_ascii=False, indent=2))
        except BaseException:
            keep_old = {p.resolve() for p in old}
            for p in [*paths.values(), *out_dir.glob(f"*-pending-{token}*")]:  # not committed
                if p.resolve() not in keep_old:
                    p.unlink(missing_ok=True)
            raise
        _step(5, "meta (commit)")
        atomic.write_bytes(out_dir / PROBLEMS_NAME, paths["problems"].read_bytes())
        keep = {p.resolve() for p in paths.values()}
        for p in old:
            if p.resolve() not in keep and p.name != PROBLEMS_NAME:
                p.unlink(missing_ok=True)
        _step(6, "old members removed")
    return [*paths.values(), out_dir / META_NAME, out_dir / PROBLEMS_NAME]

"""Write the processed data set as one unit under a lock on the output folder.

Members get new unique names (``responses-<stamp>.parquet`` …); ``ingest_meta.json`` listing them
with their md5 is replaced atomically last (the commit point); members of the previous set are
removed only after that. A kill at any moment leaves the old set or the new one, never a mix
(:func:`zaitaku.analysis.processed.load_processed` checks the md5s). ``problems.csv`` is also
written under its fixed name for staff to open in Excel (a copy of the committed member).

``ZAITAKU_INGEST_PAUSE=<seconds>`` pauses after each step and prints ``ZAITAKU_INGEST_STEP <n> <what>``
to stderr: a hook for the fault-injection tests.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import sys
import time
from pathlib import Path

import pandas as pd

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


class OutputError(RuntimeError):
    """The output folder cannot be written as asked (e.g. it would overwrite an input)."""


def _step(n: int, what: str) -> None:
    pause = os.environ.get(PAUSE_ENV)
    if pause:
        print(f"ZAITAKU_INGEST_STEP {n} {what}", file=sys.stderr, flush=True)
        time.sleep(float(pause))


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
                    meta: dict, out_dir: Path | str, inputs: list[Path] = ()) -> list[Path]:
    """Write the set as one unit (see the module doc); return the paths written."""
    out_dir = Path(out_dir)
    check_not_inputs(list(inputs), out_dir)
    shares = compute_shares(responses, municipalities)
    with processed_lock(out_dir):
        check_not_inputs(list(inputs), out_dir)
        old = _old_members(out_dir)
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S") + "-" + secrets.token_hex(3)
        names = {"responses": f"responses-{stamp}.parquet", "municipalities": f"municipalities-{stamp}.parquet",
                 "shares": f"shares-{stamp}.parquet", "problems": f"problems-{stamp}.csv"}
        paths = {k: out_dir / n for k, n in names.items()}
        _step(0, "locked")
        try:
            atomic.write_parquet(responses, paths["responses"])
            _step(1, "responses")
            atomic.write_parquet(municipalities, paths["municipalities"])
            _step(2, "municipalities")
            atomic.write_parquet(shares, paths["shares"])
            _step(3, "shares")
            atomic.write_csv(problems, paths["problems"], excel=True)
            _step(4, "problems")
            members = {k: {"file": names[k], "md5": atomic.md5_file(p)} for k, p in paths.items()}
            full = dict(meta, members=members, responses_md5=members["responses"]["md5"])
            atomic.write_text(out_dir / META_NAME, json.dumps(full, ensure_ascii=False, indent=2))
        except BaseException:
            for p in paths.values():  # not committed: the previous set stays as it was
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

"""The processed data set (``data/processed``) as one loaded object, cached per folder.

``zaitaku ingest`` writes it as one unit: the member files carry new unique names and
``ingest_meta.json`` (replaced atomically, last) lists them with their md5 — that replacement is
the commit point. :func:`load_processed` reads only the members the meta lists and checks their
md5, so a mixed set (old members beside a new meta, or the reverse) is refused with a message.
A folder written before members were listed (fixed names, no ``members``) is still read.

Ingest and anything that loads the folder exclude each other with :func:`processed_lock`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
from filelock import FileLock

from zaitaku.files import atomic
from zaitaku.reference.codebook import Codebook, load_codebook

META_NAME = "ingest_meta.json"
LOCK_NAME = ".zaitaku.lock"
MEMBERS = ("responses", "municipalities", "shares", "problems")
LEGACY_NAMES = {"responses": "responses.parquet", "municipalities": "municipalities.parquet",
                "shares": "shares.parquet", "problems": "problems.csv"}


class ProcessedDataError(RuntimeError):
    """The processed folder is missing, unreadable or a mixed set; the message is for staff (Japanese)."""


def processed_lock(data_dir: Path | str, timeout: float = -1) -> FileLock:
    """The lock that ingest holds while it writes ``data_dir`` (``<data_dir>/.zaitaku.lock``).

    Use it as a context manager around loading: ``with processed_lock(d): data = load_processed(d)``.
    ``timeout`` in seconds (-1 waits for ever); on timeout ``filelock.Timeout`` is raised.
    The folder is created if missing so that the lock file can exist.
    """
    d = Path(data_dir)
    d.mkdir(parents=True, exist_ok=True)
    return FileLock(str(d / LOCK_NAME), timeout=timeout)


def member_paths(data_dir: Path | str, meta: dict | None = None) -> dict[str, Path]:
    """Paths of the members a meta lists (fixed names for a folder written before members existed)."""
    d = Path(data_dir)
    if meta is None:
        meta = read_meta(d)
    members = meta.get("members")
    if isinstance(members, dict) and members:
        return {k: d / str(v["file"]) for k, v in members.items()}
    return {k: d / n for k, n in LEGACY_NAMES.items()}


def read_meta(data_dir: Path | str) -> dict:
    path = Path(data_dir) / META_NAME
    if not path.exists():
        raise ProcessedDataError(f"{path} がありません: 先に `zaitaku ingest`（または `make demo`）を実行してください")
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ProcessedDataError(f"{path} を読めません（{exc}）: `zaitaku ingest` をやり直してください") from None
    if not isinstance(meta, dict):
        raise ProcessedDataError(f"{path} の形式が違います: `zaitaku ingest` をやり直してください")
    return meta


def verify_members(data_dir: Path | str, meta: dict) -> dict[str, Path]:
    """The member paths, after checking that each exists and has the md5 the meta lists."""
    paths = member_paths(data_dir, meta)
    listed = meta.get("members")
    members: dict = listed if isinstance(listed, dict) else {}
    for key, path in paths.items():
        if key in ("shares", "problems") and not path.exists() and not members:
            continue  # written by an older ingest (shares computed on load) or by hand without problems
        if not path.exists():
            raise ProcessedDataError(
                f"{path.parent}: {META_NAME} が示す {path.name} がありません（取り込みが途中で止まった可能性）。"
                "`zaitaku ingest` をやり直してください")
        want = (members.get(key) or {}).get("md5")
        if want and atomic.md5_file(path) != want:
            raise ProcessedDataError(
                f"{path}: 内容が {META_NAME} の記録（md5 {want}）と一致しません。"
                "新旧のデータが混在しているため読み込みを中止しました。`zaitaku ingest` をやり直してください")
    return paths


@dataclass(frozen=True)
class ProcessedData:
    """Everything a report needs from ``data/processed``."""

    responses: pd.DataFrame
    municipalities: pd.DataFrame
    shares: pd.DataFrame
    meta: dict
    data_dir: Path

    @property
    def codebook(self) -> Codebook:
        return load_codebook(self.meta.get("survey_year", "R3"))

    @property
    def synthetic(self) -> bool:
        return bool(self.meta.get("synthetic"))

    @property
    def data_hash(self) -> str:
        return str(self.meta.get("responses_md5", ""))

    @cached_property
    def _shares_by_question(self) -> dict[str, pd.DataFrame]:
        return {str(k): g for k, g in self.shares.groupby("question_id", sort=False, observed=True)}

    @cached_property
    def _responses_by_code(self) -> dict[str, np.ndarray]:
        groups = self.responses.groupby("municipality_code", sort=False).indices
        return {str(k): np.asarray(v) for k, v in groups.items()}  # asarray: already arrays (for the stubs)

    def question_shares(self, question_id: str) -> pd.DataFrame:
        """Shares of one question, all scopes (indexed once per loaded dataset)."""
        return self._shares_by_question.get(question_id, self.shares.iloc[0:0])

    def municipality_responses(self, code: str) -> pd.DataFrame:
        """Tidy answers of one municipality (indexed once per loaded dataset)."""
        idx = self._responses_by_code.get(code)
        return self.responses.iloc[idx] if idx is not None else self.responses.iloc[0:0]


@lru_cache(maxsize=4)
def _load(data_dir: str, stamp: int) -> ProcessedData:
    d = Path(data_dir)
    meta = read_meta(d)
    paths = verify_members(d, meta)
    try:
        responses = pd.read_parquet(paths["responses"])
        municipalities = pd.read_parquet(paths["municipalities"])
        if paths["shares"].exists():
            shares = pd.read_parquet(paths["shares"])
        else:  # written by an older ingest
            from zaitaku.analysis.aggregate import compute_shares

            shares = compute_shares(responses, municipalities)
    except (OSError, ValueError) as exc:
        raise ProcessedDataError(f"{d}: 処理済みデータを読めません（{exc}）。`zaitaku ingest` をやり直してください") from None
    from zaitaku.reference.codebook_source import use_meta_codebook

    use_meta_codebook(meta)  # the questionnaire the set was ingested with (a drafted codebook)
    return ProcessedData(responses, municipalities, shares, meta, d)


def load_processed(data_dir: Path | str = "data/processed") -> ProcessedData:
    """Load processed data (cached until ``ingest_meta.json`` changes); a mixed set is refused.

    If an ingest commits while this reads (so the members it started from are gone), it reads the
    new set once more; hold :func:`processed_lock` to avoid even that.
    """
    d = Path(data_dir).resolve()
    meta = d / META_NAME
    for attempt in range(2):
        if not meta.exists():
            raise ProcessedDataError(f"{meta} がありません: 先に `zaitaku ingest`（または `make demo`）を実行してください")
        st = meta.stat()
        try:
            return _load(str(d), st.st_mtime_ns ^ st.st_ino)
        except ProcessedDataError:
            now = meta.stat() if meta.exists() else None
            if attempt or now is None or (now.st_mtime_ns, now.st_ino) == (st.st_mtime_ns, st.st_ino):
                raise
    raise AssertionError("unreachable")


def loaded_count() -> int:
    """How many data sets this process holds loaded (the renderer's warm-kernel check)."""
    return _load.cache_info().currsize


def forget_loaded() -> None:
    """Drop every loaded data set; the next :func:`load_processed` reads the folder again."""
    _load.cache_clear()

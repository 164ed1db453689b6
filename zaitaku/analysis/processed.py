"""The processed data set (``data/processed``): the one place that writes, checks and reads it.

The folder holds one or more survey years. Each year's members (``responses``, ``municipalities``,
``shares``, ``problems``) are named by year and content (``responses-R3-<md5 prefix>.parquet`` …)
and ``ingest_meta.json`` lists every year with its members and their md5::

    {"format": 2, "years": {"R3": {"survey_year": "R3", …, "members": {…}}, "R4": {…}}}

:func:`write_year` writes one year's members as ``*-pending-*`` files, then replaces
``ingest_meta.json`` atomically (the commit point: the other years' entries are copied unchanged,
their files are not touched), then removes that year's previous members. A kill at any moment
leaves the old set or the new one, never a mix; :func:`load_processed` reads only the members the
meta lists for one year and checks their md5, so a mixed set is refused with a message. A folder
written before years (one ``survey_year`` at the top, fixed or content names) is still read, as
that one year.

Ingest and anything that loads the folder exclude each other with :func:`processed_lock` (held
exclusively by the writer); a batch of renders holds it shared with :func:`shared_lock`.

``ZAITAKU_INGEST_PAUSE=<seconds>`` (or ``<seconds>@<step>``: only there) pauses after each step of
:func:`write_year` and prints ``ZAITAKU_INGEST_STEP <n> <what>`` to stderr: a hook for the
fault-injection tests.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from filelock import FileLock, Timeout

from zaitaku.analysis.index import handed_out
from zaitaku.files import atomic
from zaitaku.reference.codebook import Codebook, load_codebook

if TYPE_CHECKING:
    from zaitaku.analysis.index import DataIndex

META_NAME = "ingest_meta.json"
LOCK_NAME = ".zaitaku.lock"
README_NAME = "README.md"
PROBLEMS_NAME = "problems.csv"
FORMAT = 2
MEMBERS = ("responses", "municipalities", "shares", "problems")
SUFFIXES = {"responses": ".parquet", "municipalities": ".parquet", "shares": ".parquet", "problems": ".csv"}
LEGACY_NAMES = {"responses": "responses.parquet", "municipalities": "municipalities.parquet",
                "shares": "shares.parquet", "problems": "problems.csv"}
PAUSE_ENV = "ZAITAKU_INGEST_PAUSE"
YEAR_PATTERN = re.compile(r"[RH]\d{1,2}")
MEMBER_NAME = re.compile(
    r"(responses|municipalities|shares|problems)-(?:[RH]\d{1,2}-)?(?:[0-9a-f]{12}|pending-[0-9a-f]{8})\.(parquet|csv)")
"""A member file (committed or pending) of this or an earlier version of the writer."""


class ProcessedDataError(RuntimeError):
    """The processed folder is missing, unreadable or a mixed set; the message is for staff (Japanese)."""


# ---------------------------------------------------------------------------------------------- locks


def processed_lock(data_dir: Path | str, timeout: float = -1) -> FileLock:
    """The lock that ingest holds while it writes ``data_dir`` (``<data_dir>/.zaitaku.lock``).

    Use it as a context manager around loading: ``with processed_lock(d): data = load_processed(d)``.
    ``timeout`` in seconds (-1 waits for ever); on timeout ``filelock.Timeout`` is raised.
    The folder is created if missing so that the lock file can exist.
    """
    d = Path(data_dir)
    d.mkdir(parents=True, exist_ok=True)
    return FileLock(str(d / LOCK_NAME), timeout=timeout)


@contextlib.contextmanager
def shared_lock(data_dir: Path | str, *, wait: float = 3600.0, stream=None) -> Iterator[None]:
    """The same lock file held shared (``flock``) while ingest is not writing, so renders run side by
    side and an ingest waits for them (and they for it); waits up to ``wait`` s."""
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
                    raise ProcessedDataError(
                        f"{data_dir} は取り込み（zaitaku ingest）中のため読めません。終わってから実行してください") from None
                if not told:
                    print(f"zaitaku: {data_dir} の取り込みが終わるのを待っています…", file=stream or sys.stderr)
                    told = True
                time.sleep(0.5)
        yield
    finally:
        os.close(fd)


# ----------------------------------------------------------------------------------------------- meta


def year_order(year: str) -> tuple[int, str]:
    """Sort key of a survey-year code: H30 < R1 < R3 < R4."""
    m = re.fullmatch(r"([RH])(\d+)", year)
    if not m:
        return (9999, year)
    return ((1988 if m.group(1) == "H" else 2018) + int(m.group(2)), year)


def read_meta(data_dir: Path | str) -> dict:
    """``ingest_meta.json`` as written (all years)."""
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


def years_of(meta: Mapping) -> dict[str, dict]:
    """Survey year → that year's meta (with its ``members``), oldest first; a folder written before
    years is its one ``survey_year`` (R3 when it says none)."""
    years = meta.get("years")
    if isinstance(years, dict):
        out = {str(y): dict(m, survey_year=str(y)) for y, m in years.items() if isinstance(m, dict)}
    else:
        out = {str(meta.get("survey_year", "R3")): dict(meta)}
    return dict(sorted(out.items(), key=lambda kv: year_order(kv[0])))


def year_meta(meta: Mapping, year: str | None = None, where: Path | str = "") -> dict:
    """One year's meta (the newest year when ``year`` is None)."""
    years = years_of(meta)
    if year is None:
        if not years:
            raise ProcessedDataError(f"{where}: 処理済みデータに年度がありません。`zaitaku ingest` をやり直してください")
        return years[list(years)[-1]]
    if year not in years:
        held = "、".join(years) or "なし"
        raise ProcessedDataError(f"{where}: {year} の処理済みデータがありません（あるのは {held}）。"
                                 f"`zaitaku ingest … --year {year}` で取り込んでください")
    return years[year]


def available_years(data_dir: Path | str) -> list[str]:
    """The survey years the folder holds, oldest first."""
    return list(years_of(read_meta(data_dir)))


def member_paths(data_dir: Path | str, meta: Mapping | None = None, year: str | None = None) -> dict[str, Path]:
    """Paths of one year's members (the newest year when ``year`` is None; ``meta`` may be the
    whole meta or one year's); fixed names for a folder written before members were listed."""
    d = Path(data_dir)
    if meta is None:
        meta = read_meta(d)
    if "years" in meta:
        meta = year_meta(meta, year, d)
    members = meta.get("members")
    if isinstance(members, dict) and members:
        return {k: d / str(v["file"]) for k, v in members.items()}
    return {k: d / n for k, n in LEGACY_NAMES.items()}


def all_member_paths(data_dir: Path | str, meta: Mapping) -> dict[str, dict[str, Path]]:
    """Year → its member paths, for every year the meta lists."""
    return {y: member_paths(data_dir, m) for y, m in years_of(meta).items()}


def verify_members(data_dir: Path | str, meta: Mapping, year: str | None = None) -> dict[str, Path]:
    """One year's member paths, after checking that each exists and has the md5 the meta lists."""
    d = Path(data_dir)
    one = year_meta(meta, year, d) if "years" in meta else dict(meta)
    paths = member_paths(d, one)
    listed = one.get("members")
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


# ---------------------------------------------------------------------------------------------- write


def _step(n: int, what: str) -> None:
    pause = os.environ.get(PAUSE_ENV)
    if pause:
        seconds, _, at = pause.partition("@")
        print(f"ZAITAKU_INGEST_STEP {n} {what}", file=sys.stderr, flush=True)
        if not at or int(at) == n:
            time.sleep(float(seconds))


@contextlib.contextmanager
def _locked(out_dir: Path) -> Iterator[None]:
    """The set's lock held exclusively, saying so on stderr when it has to wait for a running render or ingest."""
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


def listed_paths(out_dir: Path) -> list[Path]:
    """Every file the current meta lists (all years; the fixed names of a folder written before members)."""
    if not (out_dir / META_NAME).exists():
        return [out_dir / n for n in LEGACY_NAMES.values()]
    try:
        return [p for paths in all_member_paths(out_dir, read_meta(out_dir)).values() for p in paths.values()]
    except ProcessedDataError:
        return []


def write_year(out_dir: Path | str, year: str, tables: Mapping[str, Callable[[Path], object]], meta: dict,
               keep: tuple[Path, ...] = (), check: Callable[[], None] | None = None) -> dict[str, Path]:
    """Write one survey year's members as one unit (see the module doc): the other years stay as they are.

    ``tables`` maps each of :data:`MEMBERS` to a function writing that member to a path; ``keep`` are
    files never removed (the inputs); ``check`` runs once the lock is held (it may raise to refuse).
    Returns the member paths written. Hold no lock when calling.
    """
    if not YEAR_PATTERN.fullmatch(year):
        raise ValueError(f"survey year {year!r} is not like R3")
    out_dir = Path(out_dir)
    with _locked(out_dir):
        if check is not None:
            check()
        old_meta = read_meta(out_dir) if (out_dir / META_NAME).exists() else None
        listed = {p.resolve() for p in listed_paths(out_dir)} | {Path(p).resolve() for p in keep}
        for stale in out_dir.iterdir():  # left by an ingest that was killed before its commit
            if MEMBER_NAME.fullmatch(stale.name) and stale.resolve() not in listed:
                stale.unlink(missing_ok=True)
        try:
            years = years_of(old_meta) if old_meta is not None else {}
        except ProcessedDataError:
            years = {}
        replaced = list(member_paths(out_dir, years[year]).values()) if year in years else []
        if old_meta is not None and "years" not in old_meta and year not in years:
            replaced = []  # an older single-year folder: its members stay, listed as that year
        token = secrets.token_hex(4)
        paths: dict[str, Path] = {}
        members: dict[str, dict[str, str]] = {}
        _step(0, "locked")
        try:
            for n, key in enumerate(MEMBERS, start=1):
                suffix = SUFFIXES[key]
                pending = out_dir / f"{key}-pending-{token}{suffix}"
                tables[key](pending)
                digest = atomic.md5_file(pending)
                # named by year and content: re-ingesting the same data gives the same names
                paths[key] = out_dir / f"{key}-{year}-{digest[:12]}{suffix}"
                pending.replace(paths[key])
                members[key] = {"file": paths[key].name, "md5": digest}
                _step(n, key)
            years[year] = dict(meta, survey_year=year, members=members, responses_md5=members["responses"]["md5"])
            ordered = dict(sorted(years.items(), key=lambda kv: year_order(kv[0])))
            newest = ordered[list(ordered)[-1]]
            # the newest year's members also at the top: tools written for one-year folders (a meta with
            # ``members``) keep reading them; zaitaku itself reads ``years``
            full = {"format": FORMAT, "years": ordered, "survey_year": newest["survey_year"],
                    "members": newest["members"], "responses_md5": newest["responses_md5"]}
            atomic.write_text(out_dir / META_NAME, json.dumps(full, ensure_ascii=False, indent=2))
        except BaseException:
            keep_old = listed
            for p in [*paths.values(), *out_dir.glob(f"*-pending-{token}*")]:  # not committed
                if p.resolve() not in keep_old:
                    p.unlink(missing_ok=True)
            raise
        _step(5, "meta (commit)")
        atomic.write_bytes(out_dir / PROBLEMS_NAME, paths["problems"].read_bytes())
        still = {p.resolve() for p in listed_paths(out_dir)} | {Path(p).resolve() for p in keep}
        for p in replaced:
            if p.resolve() not in still and p.name != PROBLEMS_NAME:
                p.unlink(missing_ok=True)
        write_readme(out_dir)
        _step(6, "old members removed")
    return paths


def write_readme(out_dir: Path) -> None:
    """``README.md`` of the folder: what each member is, per year, as the meta lists them now."""
    lines = ["# 処理済みデータ（zaitaku ingest が書き出し。手で編集しないでください）", "",
             f"`{META_NAME}` が年度ごとの構成ファイルと md5 を記録しています（最後に一度に書き換わる、確定の印）。",
             "ファイル名は「種類-年度-内容の md5 の先頭 12 桁」です。同じデータを取り込み直すと同じ名前になります。", ""]
    what = {"responses": "回答（市区町村 × 設問 × 行 × 選択肢、1 行 1 値）",
            "municipalities": "市区町村（類型・中核市はその年度時点）と回答の有無",
            "shares": "割合（市区町村・都道府県・同じ類型・全国）",
            "problems": "取り込み時の問題（元ファイルの行・列・値）"}
    for year, paths in all_member_paths(out_dir, read_meta(out_dir)).items():
        lines += [f"## {year}", ""]
        lines += [f"- `{p.name}`: {what.get(k, k)}" for k, p in paths.items()]
        lines.append("")
    lines += [f"`{PROBLEMS_NAME}` は最後に取り込んだ年度の問題一覧の写しです（Excel で開けます）。",
              "このフォルダは消しても `make demo` または `zaitaku ingest` で作り直せます。", ""]
    atomic.write_text(out_dir / README_NAME, "\n".join(lines))


# ----------------------------------------------------------------------------------------------- read


@dataclass(frozen=True)
class ProcessedData:
    """One survey year of ``data/processed``: everything a report needs."""

    responses: pd.DataFrame
    municipalities: pd.DataFrame
    shares: pd.DataFrame
    meta: dict
    data_dir: Path

    @property
    def survey_year(self) -> str:
        return str(self.meta.get("survey_year", "R3"))

    @property
    def codebook(self) -> Codebook:
        return load_codebook(self.survey_year)

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

    @cached_property
    def index(self) -> DataIndex:
        """The lookups over this set (:class:`zaitaku.analysis.index.DataIndex`), built on first use."""
        from zaitaku.analysis.index import DataIndex

        return DataIndex(self)

    def question_shares(self, question_id: str) -> pd.DataFrame:
        """Shares of one question, all scopes: the one index of the shares (grouped once per loaded set).

        A shallow copy: under copy-on-write a change to it never reaches the cached frame, so a
        notebook cannot change what the next report on the same kernel reads."""
        frame = self._shares_by_question.get(question_id)
        return handed_out(frame) if frame is not None else self.shares.iloc[0:0]

    def municipality_responses(self, code: str) -> pd.DataFrame:
        """Tidy answers of one municipality (indexed once per loaded set)."""
        idx = self._responses_by_code.get(code)
        return self.responses.iloc[idx] if idx is not None else self.responses.iloc[0:0]


def _current_shares(shares: pd.DataFrame | None, responses: pd.DataFrame, municipalities: pd.DataFrame,
                    meta: Mapping) -> pd.DataFrame:
    """The stored shares, or shares computed now when an older ingest (before years) wrote none, or
    none with the option groups or the 中核市 peer group."""
    from zaitaku.analysis.shares import compute_shares
    from zaitaku.reference.codebook import GROUP_PREFIX

    if shares is None:
        return compute_shares(responses, municipalities)
    if meta.get("format") == FORMAT or "zaitaku_version" not in meta:  # current, or not written by ingest
        return shares
    codebook = load_codebook(str(meta.get("survey_year", "R3")))
    groups = any(q.option_groups for q in codebook)
    has_groups = bool(shares["option_id"].str.startswith(GROUP_PREFIX).any())
    m = municipalities
    core = bool(m.loc[m["responded"], "core_city"].any()) if "core_city" in m and "responded" in m else False
    has_core = bool(((shares["scope"] == "type") & (shares["scope_code"] == "中核市")).any())
    if (groups and not has_groups and len(responses)) or (core and not has_core):
        return compute_shares(responses, municipalities)
    return shares


@lru_cache(maxsize=8)
def _newest(data_dir: str, stamp: int) -> str:
    years = list(years_of(read_meta(data_dir)))
    return years[-1] if years else "R3"


@lru_cache(maxsize=8)
def _load(data_dir: str, stamp: int, year: str) -> ProcessedData:
    d = Path(data_dir)
    whole = read_meta(d)
    meta = year_meta(whole, year, d)
    paths = verify_members(d, meta)
    try:
        responses = pd.read_parquet(paths["responses"])
        municipalities = pd.read_parquet(paths["municipalities"])
        stored = pd.read_parquet(paths["shares"]) if paths["shares"].exists() else None
        shares = _current_shares(stored, responses, municipalities, dict(meta, format=whole.get("format")))
    except (OSError, ValueError) as exc:
        raise ProcessedDataError(f"{d}: 処理済みデータを読めません（{exc}）。`zaitaku ingest` をやり直してください") from None
    from zaitaku.reference.codebook_source import use_meta_codebook

    use_meta_codebook(meta)  # the questionnaire the set was ingested with (a drafted codebook)
    return ProcessedData(responses, municipalities, shares, meta, d)


def load_processed(data_dir: Path | str = "data/processed", year: str | None = None) -> ProcessedData:
    """Load one survey year (the newest when ``year`` is None), cached until ``ingest_meta.json``
    changes; only that year's members are read. A mixed set is refused.

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
            stamp = st.st_mtime_ns ^ st.st_ino
            return _load(str(d), stamp, year or _newest(str(d), stamp))
        except ProcessedDataError:
            now = meta.stat() if meta.exists() else None
            if attempt or now is None or (now.st_mtime_ns, now.st_ino) == (st.st_mtime_ns, st.st_ino):
                raise
    raise AssertionError("unreachable")


def load_years(data_dir: Path | str = "data/processed") -> dict[str, ProcessedData]:
    """Every survey year the folder holds, oldest first (each loaded and cached as :func:`load_processed`)."""
    return {y: load_processed(data_dir, y) for y in available_years(data_dir)}


def loaded_count() -> int:
    """How many data sets this process holds loaded (the renderer's warm-kernel check)."""
    return _load.cache_info().currsize


def forget_loaded() -> None:
    """Drop every loaded data set; the next :func:`load_processed` reads the folder again."""
    _load.cache_clear()
    _newest.cache_clear()

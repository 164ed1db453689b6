"""The processed data set (``data/processed``) as one loaded object, cached per folder.

``zaitaku ingest`` writes it; reports, the explorer and the deck read it through
:func:`load_processed`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from zaitaku.reference.codebook import Codebook, load_codebook


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
        return {str(k): v for k, v in self.responses.groupby("municipality_code", sort=False).indices.items()}

    def question_shares(self, question_id: str) -> pd.DataFrame:
        """Shares of one question, all scopes (indexed once per loaded dataset)."""
        return self._shares_by_question.get(question_id, self.shares.iloc[0:0])

    def municipality_responses(self, code: str) -> pd.DataFrame:
        """Tidy answers of one municipality (indexed once per loaded dataset)."""
        idx = self._responses_by_code.get(code)
        return self.responses.iloc[idx] if idx is not None else self.responses.iloc[0:0]


@lru_cache(maxsize=4)
def _load(data_dir: str, stamp: float) -> ProcessedData:
    d = Path(data_dir)
    meta = json.loads((d / "ingest_meta.json").read_text(encoding="utf-8"))
    responses = pd.read_parquet(d / "responses.parquet")
    municipalities = pd.read_parquet(d / "municipalities.parquet")
    shares_path = d / "shares.parquet"
    if shares_path.exists():
        shares = pd.read_parquet(shares_path)
    else:  # written by an older ingest
        from zaitaku.analysis.aggregate import compute_shares

        shares = compute_shares(responses, municipalities)
    return ProcessedData(responses, municipalities, shares, meta, d)


def load_processed(data_dir: Path | str = "data/processed") -> ProcessedData:
    """Load processed data (cached until ``ingest_meta.json`` changes)."""
    d = Path(data_dir).resolve()
    meta = d / "ingest_meta.json"
    if not meta.exists():
        raise FileNotFoundError(f"{meta} not found: run `zaitaku ingest` (or `make demo`) first")
    return _load(str(d), meta.stat().st_mtime_ns)


def loaded_count() -> int:
    """How many data sets this process holds loaded (the renderer's warm-kernel check)."""
    return _load.cache_info().currsize


def forget_loaded() -> None:
    """Drop every loaded data set; the next :func:`load_processed` reads the folder again."""
    _load.cache_clear()

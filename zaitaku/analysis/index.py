"""The lookups over one loaded survey year: shares by question and scope, answers by municipality.

``data_index(data)`` (the same as ``data.index``) is built on first use and kept with the
:class:`~zaitaku.analysis.processed.ProcessedData`. It builds on the set's one grouping of the shares
by question (:meth:`ProcessedData.question_shares`): per question one small frame with positions
per scope, so that a section's figures cost dictionary lookups, not scans of the 736k-row responses
table. Bounded caches are :func:`functools.lru_cache`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from zaitaku.reference.codebook import NO_ANSWER

if TYPE_CHECKING:
    from zaitaku.analysis.processed import ProcessedData

ANSWERS_KEPT = 256  # municipalities whose answer frames stay indexed: more than the largest prefecture (179)
RECENT_KEPT = 2048  # per-prefecture results kept by recent(): 37 questions × 6 peer groups for ~9 prefectures


def copy_on_write() -> bool:
    """pandas copies a shared block before writing to it (always from pandas 3; opt-in before)."""
    if int(pd.__version__.split(".")[0]) >= 3:
        return True
    return pd.get_option("mode.copy_on_write") is True


def handed_out(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of a cached frame its caller may write into without reaching the cache: shallow under
    copy-on-write (a write copies the block it touches), deep on pandas 2 without it."""
    return frame.copy(deep=not copy_on_write())


class DataIndex:
    """Positional indexes into one loaded data set (see the module docstring)."""

    def __init__(self, data: ProcessedData) -> None:
        self.data = data
        self._scoped: dict[str, tuple[pd.DataFrame, dict[tuple[str, str], np.ndarray]]] = {}
        self._memo: dict[str, Any] = {}
        # a national batch would otherwise keep 1,741 × 37 answer frames and all 47 prefectures' results
        self._answers_of = lru_cache(maxsize=ANSWERS_KEPT)(self._build_answers)
        self._build: Callable[[], Any] | None = None
        self._recent = lru_cache(maxsize=RECENT_KEPT)(self._build_recent)

    @property
    def all_shares(self) -> pd.DataFrame:
        return self.data.shares

    def question_shares(self, question_id: str) -> pd.DataFrame:
        return self.data.question_shares(question_id)

    def shares(self, question_id: str, scope: str, scope_code: str) -> pd.DataFrame:
        """The rows of one question for one scope (e.g. ``"prefecture", "32"``)."""
        entry = self._scoped.get(question_id)
        if entry is None:  # one small frame per question (taking rows of the big one is slow)
            q = self.question_shares(question_id).reset_index(drop=True)
            # object columns (fast row selection) whose cells share one str per distinct value: through a
            # categorical, not str by str from Arrow (which made ~600 MB of copies of the same few strings)
            labels = ("survey_year", "scope", "scope_code", "question_id", "row_id", "option_id", "source")
            q = q.astype(dict.fromkeys(labels, "category")).astype(dict.fromkeys(labels, object))
            groups = q.groupby(["scope", "scope_code"], sort=False, observed=True).indices
            entry = (q, {(str(a), str(b)): v for (a, b), v in groups.items()})
            self._scoped[question_id] = entry
        frame, scoped = entry
        p = scoped.get((scope, scope_code))
        return frame.iloc[p] if p is not None else frame.iloc[0:0]

    def _build_answers(self, code: str) -> dict[str, pd.DataFrame]:
        r = self.data.municipality_responses(code)
        return {str(k): r.iloc[v] for k, v in r.groupby("question_id", sort=False, observed=True).indices.items()}

    def answers(self, code: str, question_id: str) -> pd.DataFrame:
        """A municipality's answer rows of one question (empty when it did not respond)."""
        return self._answers_of(code).get(question_id, self.data.responses.iloc[0:0])

    def selected(self, code: str, question_id: str, row_id: str = "") -> list[str] | None:
        """Options chosen (``["na"]`` for 未回答); None when not asked or not responded."""
        a = self.answers(code, question_id)
        if a.empty:
            return None
        rows = a["row_id"].to_numpy()
        vals = a["value"].to_numpy(dtype="float64", na_value=np.nan)[rows == row_id]
        if not len(vals) or np.isnan(vals).all():
            return None
        opts = a["option_id"].to_numpy()[rows == row_id]
        return [str(o) for o in opts[vals == 1]] or [NO_ANSWER]

    def coverage(self, build: Callable[[pd.DataFrame], Any]) -> Any:
        return self.memo("coverage", lambda: build(self.data.municipalities))

    def memo(self, key: str, build: Callable[[], Any]) -> Any:
        """Anything else computed once per loaded data set (e.g. standing tables)."""
        if key not in self._memo:
            self._memo[key] = build()
        return self._memo[key]

    def _build_recent(self, key: str) -> Any:
        assert self._build is not None
        return self._build()

    def recent(self, key: str, build: Callable[[], Any]) -> Any:
        """Like :meth:`memo` for results of one prefecture (shared by its municipalities): only the
        :data:`RECENT_KEPT` most recently used keys are kept, so a national batch does not keep all 47."""
        self._build = build
        try:
            return self._recent(key)
        finally:
            self._build = None


def data_index(data: ProcessedData) -> DataIndex:
    """The index of a loaded data set (``data.index``), built on first use and kept with it."""
    return data.index

"""The loaded data indexed once per kernel: shares by question and scope, answers by municipality.

``data_index(data)`` builds (lazily, per question or per municipality) positional indexes into
the tables of a :class:`~zaitaku.analysis.processed.ProcessedData`, so that a section's figures
cost dictionary lookups, not scans of the 736k-row responses table. Shares come from
``shares.parquet`` as computed at ingest; shares written by an ingest older than the peer groups
and option groups are recomputed once.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from zaitaku.analysis.processed import ProcessedData
from zaitaku.reference.codebook import GROUP_PREFIX, NO_ANSWER

_ATTR = "_zaitaku_index"
ANSWERS_KEPT = 256  # municipalities whose answer frames stay indexed: more than the largest prefecture (179)
RECENT_KEPT = 2048  # per-prefecture results kept by recent(): 37 questions × 6 peer groups for ~9 prefectures


class DataIndex:
    """Positional indexes into one loaded data set (see the module docstring)."""

    def __init__(self, data: ProcessedData) -> None:
        self.data = data
        self._shares = self._current_shares(data)
        self._by_question = {str(k): v for k, v in
                             self._shares.groupby("question_id", sort=False, observed=True).indices.items()}
        self._scoped: dict[str, tuple[pd.DataFrame, dict[tuple[str, str], np.ndarray]]] = {}
        self._answers: OrderedDict[str, dict[str, pd.DataFrame]] = OrderedDict()  # most recent last
        self._memo: dict[str, Any] = {}
        self._recent: OrderedDict[str, Any] = OrderedDict()

    @staticmethod
    def _current_shares(data: ProcessedData) -> pd.DataFrame:
        s = data.shares
        groups = any(q.option_groups for q in data.codebook)
        has_groups = bool(s["option_id"].str.startswith(GROUP_PREFIX).any())
        m = data.municipalities
        core = bool(m.loc[m["responded"], "core_city"].any()) if "core_city" in m else False
        has_core = bool(((s["scope"] == "type") & (s["scope_code"] == "中核市")).any())
        if (groups and not has_groups and len(data.responses)) or (core and not has_core):
            from zaitaku.analysis.aggregate import compute_shares

            return compute_shares(data.responses, m)  # written by an older ingest
        return s

    @property
    def all_shares(self) -> pd.DataFrame:
        return self._shares

    def question_shares(self, question_id: str) -> pd.DataFrame:
        pos = self._by_question.get(question_id)
        return self._shares.iloc[pos] if pos is not None else self._shares.iloc[0:0]

    def shares(self, question_id: str, scope: str, scope_code: str) -> pd.DataFrame:
        """The rows of one question for one scope (e.g. ``"prefecture", "32"``)."""
        entry = self._scoped.get(question_id)
        if entry is None:  # one small frame per question (taking rows of the big one is slow)
            q = self.question_shares(question_id).reset_index(drop=True)
            q = q.astype(dict.fromkeys(("survey_year", "scope", "scope_code", "question_id", "row_id",
                                         "option_id", "source"), object))
            groups = q.groupby(["scope", "scope_code"], sort=False, observed=True).indices
            entry = (q, {(str(a), str(b)): v for (a, b), v in groups.items()})
            self._scoped[question_id] = entry
        frame, scoped = entry
        p = scoped.get((scope, scope_code))
        return frame.iloc[p] if p is not None else frame.iloc[0:0]

    def answers(self, code: str, question_id: str) -> pd.DataFrame:
        """A municipality's answer rows of one question (empty when it did not respond)."""
        per = self._answers.get(code)
        if per is None:
            r = self.data.municipality_responses(code)
            per = {str(k): r.iloc[v] for k, v in r.groupby("question_id", sort=False, observed=True).indices.items()}
            self._answers[code] = per
            if len(self._answers) > ANSWERS_KEPT:  # a national batch would otherwise keep 1,741 × 37 frames
                self._answers.popitem(last=False)
        else:
            self._answers.move_to_end(code)
        return per.get(question_id, self.data.responses.iloc[0:0])

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
        if "coverage" not in self._memo:
            self._memo["coverage"] = build(self.data.municipalities)
        return self._memo["coverage"]

    def memo(self, key: str, build: Callable[[], Any]) -> Any:
        """Anything else computed once per loaded data set (e.g. standing tables)."""
        if key not in self._memo:
            self._memo[key] = build()
        return self._memo[key]


    def recent(self, key: str, build: Callable[[], Any]) -> Any:
        """Like :meth:`memo` for results of one prefecture (shared by its municipalities): only the
        :data:`RECENT_KEPT` most recently used are kept, so a national batch does not keep all 47."""
        if key in self._recent:
            self._recent.move_to_end(key)
            return self._recent[key]
        value = self._recent[key] = build()
        if len(self._recent) > RECENT_KEPT:
            self._recent.popitem(last=False)
        return value


def data_index(data: ProcessedData) -> DataIndex:
    """The index of a loaded data set, built on first use and kept with it."""
    idx = data.__dict__.get(_ATTR)
    if idx is None:
        idx = DataIndex(data)
        data.__dict__[_ATTR] = idx
    return idx

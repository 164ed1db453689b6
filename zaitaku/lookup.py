"""What staff type in a notebook, the explorer or a tutorial: questions and municipalities, found or
refused in one Japanese line that names the nearest valid ones.

:class:`InputError` is a ``ValueError`` (and a ``KeyError``, for callers that look things up) whose
message is that line; IPython shows only the line, not a traceback, through ``_render_traceback_``
(IPython's documented hook for custom exception tracebacks, "Integrating your objects with IPython")::

    find_question(codebook, "問1")     # -> q1 (the number as printed on the questionnaire works too)
    find_question(codebook, "q11")    # InputError: 設問「q11」はありません。近いもの：q1（問1 協議会の設置）、…
"""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Mapping

from zaitaku.reference.codebook import Codebook, Question


class InputError(KeyError, ValueError):
    """A wrong id or name typed by a person: one Japanese line (``str(exc)``), no traceback in IPython."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""

    def _render_traceback_(self) -> list[str]:
        return [f"入力エラー：{self}"]


def _key(text: str) -> str:
    return unicodedata.normalize("NFKC", str(text)).replace(" ", "").replace("　", "").lower()


def nearest(text: str, choices: Mapping[str, str], n: int = 3) -> list[str]:
    """The display texts of the ``n`` choices (key → display) closest to ``text`` (difflib ratio ≥ 0.4)."""
    keys = {_key(k): v for k, v in choices.items()}
    close = difflib.get_close_matches(_key(text), list(keys), n=n * 3, cutoff=0.4)
    return list(dict.fromkeys(keys[k] for k in close))[:n]


def suggestion(text: str, choices: Mapping[str, str], n: int = 3) -> str:
    """「近いもの：A、B、C」 or an empty string."""
    near = nearest(text, choices, n)
    return f"近いもの：{'、'.join(near)}" if near else ""


def question_label(q: Question) -> str:
    return f"{q.id}（{q.number} {q.title}）"


def find_question(codebook: Codebook, text: str) -> Question:
    """The question whose id (``q1``) or printed number (「問1」「問4 ①-1」) is ``text``; else :class:`InputError`."""
    key = _key(text)
    for q in codebook.questions:
        if _key(q.id) == key:
            return q
    by_number = [q for q in codebook.questions if _key(q.number) == key]
    if len(by_number) == 1:
        return by_number[0]
    choices = {q.id: question_label(q) for q in codebook.questions}
    choices.update({q.number: question_label(q) for q in codebook.questions})
    choices.update({q.title: question_label(q) for q in codebook.questions})
    hint = suggestion(text, choices)
    raise InputError(f"設問「{text}」はありません。" + (hint + "。" if hint else "")
                     + "設問の一覧は question_info や explorer の「設問」の一覧で確かめられます。")

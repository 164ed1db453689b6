"""A synthetic 令和4年度 (デモ用の架空データ) that moves plausibly from the synthetic 令和3年度.

Each municipality's R3 answer is carried to R4 (codebook ``r4.yaml``, itself a demo construction) and
moved a little, adoption more likely than abandonment: a single choice moves one option towards the
first (which in this survey is the "doing it" end) with probability :data:`UP`, one away with
:data:`DOWN`; a multi-select option not chosen is taken up with :data:`ADOPT`, one chosen is dropped with
:data:`DROP`. Questions whose condition (``asked_if``) changes with the parent's answer are asked or
not as the R4 parent says (a newly asked municipality takes a random asked municipality's R3 answer);
``subset_of`` and exclusive options hold. The option added in R4 (問4 ②-2.2 の 9) is taken by
:data:`NEW_OPTION` of those answering. Not calibrated to published R3 → R4 shifts: none of the
questions the demo changes has a published 令和4年度 figure in ``national_r3.csv`` except 問5 and 問6,
which are not moved differently.
"""

from __future__ import annotations

import numpy as np

from zaitaku.demo.generate import NO_ANSWER, NOT_ASKED, DemoSurvey, _Generator
from zaitaku.reference.codebook import Codebook, Question

UP, DOWN = 0.12, 0.03
ADOPT, DROP = 0.06, 0.02
NEW_OPTION = 0.18
FIXED = ("dept",)  # a department's type is not adopted


def _single(q: Question, v: frozenset, rng: np.random.Generator) -> frozenset:
    ids = [o.id for o in q.options]
    (o,) = tuple(v)
    k = ids.index(o)
    r = rng.random()
    if r < UP and k > 0:
        k -= 1
    elif r > 1 - DOWN and k < len(ids) - 1:
        k += 1
    return frozenset({ids[k]})


def _multi(q: Question, v: frozenset, rng: np.random.Generator, r3_ids: set[str]) -> frozenset:
    excl = {o.id for o in q.options if o.exclusive}
    chosen = set(v) - excl
    for o in q.options:
        if o.exclusive or o.free_text:
            continue
        p = NEW_OPTION if o.id not in r3_ids else DROP if o.id in chosen else ADOPT
        if rng.random() < p:
            chosen ^= {o.id}
    if chosen:
        return frozenset(chosen | (set(v) & {o.id for o in q.options if o.free_text}))
    return frozenset(v & excl) or (frozenset(excl) if excl else frozenset())


def evolve(r3: DemoSurvey, cb_r3: Codebook, cb_r4: Codebook, seed: int) -> DemoSurvey:
    """The R4 survey (same municipalities) from the R3 one; see the module docstring."""
    g = _Generator(cb_r4, seed + 4)
    rng = g.rng
    r3_questions = {q.id: q for q in cb_r3}
    n = len(r3.codes)
    for q in cb_r4:
        old_q = r3_questions.get(q.id)
        r3_ids = {o.id for o in old_q.options} if old_q else set()
        asked = g.asked(q)
        for row in q.row_ids:
            before = r3.answers.get((q.id, row), [NOT_ASKED] * n)
            pool = [v for v in before if isinstance(v, frozenset)]
            out: list = []
            for i in range(n):
                v = before[i]
                if not asked[i]:
                    out.append(NOT_ASKED)
                    continue
                if v == NOT_ASKED:  # newly asked: someone else's R3 answer
                    v = pool[int(rng.integers(len(pool)))] if pool else NO_ANSWER
                if isinstance(v, frozenset) and v and q.id not in FIXED:
                    v = _multi(q, v, rng, r3_ids) if q.is_multi else _single(q, v, rng)
                if q.subset_of and isinstance(v, frozenset):
                    parent = g.answers.get((q.subset_of, row), [NO_ANSWER] * n)[i]
                    allowed = parent if isinstance(parent, frozenset) else frozenset()
                    v = frozenset(v & allowed) or NO_ANSWER
                out.append(v if not isinstance(v, frozenset) or v else NO_ANSWER)
            g.answers[(q.id, row)] = out
            for o in (o for o in q.options if o.free_text):
                texts = r3.free_text.get((q.id, row, o.id), {})
                g.free_text[(q.id, row, o.id)] = {i: t for i, t in texts.items()
                                                  if isinstance(out[i], frozenset) and o.id in out[i]}
    return DemoSurvey(r3.codes, g.answers, g.free_text, r3.seed)

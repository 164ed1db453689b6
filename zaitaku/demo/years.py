"""A synthetic 令和4年度 (デモ用の架空データ) that moves plausibly from the synthetic 令和3年度.

Each municipality's R3 answer is carried to R4 (codebook ``r4.yaml``, itself a demo construction) and
moved a little, adoption more likely than abandonment: a single choice moves one option towards the
first (which in this survey is the "doing it" end) with probability :data:`UP`, one away with
:data:`DOWN`; a multi-select option not chosen is taken up with :data:`ADOPT`, one chosen is dropped with
:data:`DROP`. Questions whose condition (``asked_if``) changes with the parent's answer are asked or
not as the R4 parent says (a newly asked municipality takes a random asked municipality's R3 answer);
``subset_of`` and exclusive options hold. The option added in R4 (問4 ②-2.2 の 9) is taken by
:data:`NEW_OPTION` of those answering.

Where a 令和4年度 national figure is published (``targets_r4.yaml``, copied from
``data/raw/reference/national_r4.csv``: 問5, 問5②-1, 問6①), the moved answers are then matched to it
(:func:`calibrate_single`, :func:`calibrate_multi`) with as few further moves as the counts need, so the
synthetic R3 → R4 shift follows the published one (問6①: 1 and 4 down, 2 up).
"""

from __future__ import annotations

import math
from functools import cache

import numpy as np
import yaml

from zaitaku.demo.generate import NO_ANSWER, NOT_ASKED, DemoSurvey, _Generator
from zaitaku.paths import PACKAGE_DIR
from zaitaku.reference.codebook import Codebook, Question

UP, DOWN = 0.12, 0.03
ADOPT, DROP = 0.06, 0.02
NEW_OPTION = 0.18
FIXED = ("dept",)  # a department's type is not adopted


@cache
def load_r4_targets() -> dict:
    """``targets_r4.yaml``: the published 令和4年度 shares the synthetic R4 is matched to."""
    return yaml.safe_load((PACKAGE_DIR / "demo" / "targets_r4.yaml").read_text(encoding="utf-8"))


def r4_target(question_id: str, row: str) -> dict[str, float]:
    """Option id → published percent of those asked for one question row (empty when none is published)."""
    q = load_r4_targets()["questions"].get(question_id, {})
    spec = q.get("rows", {}).get(row, {}) if row else q
    return {str(k): float(v) for k, v in (spec.get("shares") or spec.get("prevalence") or {}).items()}


def _round(x: float) -> int:
    return math.floor(x + 0.5)


def _counts(want: dict[str, float], total: int) -> dict[str, int]:
    """Whole numbers adding to ``total`` in proportion to ``want`` (largest remainder)."""
    s = sum(want.values())
    exact = {k: (v / s * total if s > 0 else total / len(want)) for k, v in want.items()}
    out = {k: math.floor(v) for k, v in exact.items()}
    for k in sorted(exact, key=lambda k: out[k] - exact[k])[: total - sum(out.values())]:
        out[k] += 1
    return out


def calibrate_single(q: Question, values: list, target: dict[str, float], rng: np.random.Generator) -> list:
    """Match one row's answers to the published shares in ``target`` (percent of those asked).

    The options not published keep their share of the rest. The answers are ranked by option (the first
    option, "doing it", on top; ties in random order) and given the target counts in that order, so a
    municipality moves at most to a neighbouring block and only as far as the counts need. 未回答 stays."""
    ids = [o.id for o in q.options]
    n_base = sum(v != NOT_ASKED for v in values)
    answering = [i for i, v in enumerate(values) if isinstance(v, frozenset) and v]
    if not answering:
        return values
    now = {o: sum(o in values[i] for i in answering) for o in ids}
    want = {o: p / 100 * n_base for o, p in target.items()}
    others = [o for o in ids if o not in want]
    rest = len(answering) - sum(want.values())
    if others and rest > 0:
        spread = sum(now[o] for o in others)
        want |= {o: rest * (now[o] / spread if spread else 1 / len(others)) for o in others}
    counts = _counts({o: want.get(o, 0.0) for o in ids}, len(answering))
    order = sorted(answering, key=lambda i: (ids.index(min(values[i], key=ids.index)), rng.random()))
    out = list(values)
    k = 0
    for o in ids:
        for i in order[k:k + counts[o]]:
            out[i] = frozenset({o})
        k += counts[o]
    return out


def calibrate_multi(q: Question, values: list, target: dict[str, float], rng: np.random.Generator,
                    allowed: list | None = None) -> list:
    """Match each published option of a multi-select row to its percent of those asked.

    Too few: the option is added to randomly chosen municipalities that answered without an exclusive
    option (and whose parent answer allows it); too many: dropped from randomly chosen ones that keep
    another option."""
    excl = {o.id for o in q.options if o.exclusive}
    n_base = sum(v != NOT_ASKED for v in values)
    out = list(values)
    for o, pct in target.items():
        want = _round(pct / 100 * n_base)
        have = [i for i, v in enumerate(out) if isinstance(v, frozenset) and o in v]
        if len(have) > want:
            pool = [i for i in have if len(out[i]) > 1]
            for i in rng.permutation(pool)[: len(have) - want]:
                out[i] = out[i] - {o}
        elif len(have) < want:
            pool = [i for i, v in enumerate(out) if isinstance(v, frozenset) and v and o not in v and not v & excl
                    and (allowed is None or (isinstance(allowed[i], frozenset) and o in allowed[i]))]
            for i in rng.permutation(pool)[: want - len(have)]:
                out[i] = out[i] | {o}
    return out


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
            target = r4_target(q.id, row)
            if target and q.is_multi:
                parent = g.answers.get((q.subset_of, row)) if q.subset_of else None
                out = calibrate_multi(q, out, target, rng, parent)
            elif target:
                out = calibrate_single(q, out, target, rng)
            g.answers[(q.id, row)] = out
            for o in (o for o in q.options if o.free_text):
                texts = r3.free_text.get((q.id, row, o.id), {})
                g.free_text[(q.id, row, o.id)] = {i: t for i, t in texts.items()
                                                  if isinstance(out[i], frozenset) and o.id in out[i]}
    return DemoSurvey(r3.codes, g.answers, g.free_text, r3.seed)

"""``zaitaku codebook diff A B``: what changed between two codebooks (two years, or a built-in and a drafted one).

One row per change — questions added, removed, renumbered, reworded or of another type; options and matrix rows
added, removed, reordered (the same label under another id) or reworded; conditions changed — with both sides'
question id, number, item id and label: the raw material of a crosswalk between years (``diff_codebooks`` returns
the table as a DataFrame; the command writes it as a CSV Excel opens).
"""

from __future__ import annotations

import pandas as pd

from zaitaku.reference.codebook import Codebook, Question
from zaitaku.reference.codebook_draft import MOVED_TEXT, SAME_TEXT, best_label, similarity
from zaitaku.reference.codebook_form import fold_number

COLUMNS = ("change", "question_a", "question_b", "number_a", "number_b", "item", "id_a", "id_b", "label_a",
           "label_b", "similarity", "description")
CHANGES = {
    "question_added": "設問の追加", "question_removed": "設問の削除", "question_renumbered": "問番号の変更",
    "question_reworded": "設問文の変更", "type_changed": "回答の形式の変更", "condition_changed": "条件の変更",
    "option_added": "選択肢の追加", "option_removed": "選択肢の削除", "option_reordered": "選択肢の番号の変更",
    "option_reworded": "選択肢の文言の変更", "row_added": "行の追加", "row_removed": "行の削除",
    "row_reordered": "行の順序の変更", "row_reworded": "行の文言の変更",
}


def pair_questions(a: Codebook, b: Codebook) -> list[tuple[Question | None, Question | None]]:
    """Questions of ``a`` and ``b`` paired by id, then by number and wording, then by wording alone."""
    pairs: list[tuple[Question | None, Question | None]] = []
    left = {q.id: q for q in a}
    right = {q.id: q for q in b}
    for qid in list(left):
        if qid in right and similarity(left[qid].text, right[qid].text) >= 50:
            pairs.append((left.pop(qid), right.pop(qid)))
    for qa in list(left.values()):
        cands = [qb for qb in right.values() if fold_number(qb.number) == fold_number(qa.number)]
        cands = [qb for qb in cands if similarity(qa.text, qb.text) >= 60] or [
            qb for qb in right.values() if similarity(qa.text, qb.text) >= MOVED_TEXT]
        if cands:
            qb = max(cands, key=lambda x: similarity(qa.text, x.text))
            pairs.append((left.pop(qa.id), right.pop(qb.id)))
    pairs += [(q, None) for q in left.values()] + [(None, q) for q in right.values()]
    order = {q.id: i for i, q in enumerate(b)}
    order_a = {q.id: i for i, q in enumerate(a)}
    pairs.sort(key=lambda p: (order[p[1].id] if p[1] else order_a[p[0].id] if p[0] else 0, p[1] is None))
    return pairs


def _items(kind: str, qa: Question, qb: Question, old: list[tuple[str, str]], new: list[tuple[str, str]]) -> list[dict]:
    rows: list[dict] = []
    base = {"question_a": qa.id, "question_b": qb.id, "number_a": qa.number, "number_b": qb.number, "item": kind}
    matched_old: set[str] = set()
    for nid, nlabel in new:
        oid, score = best_label(nlabel, [x for x in old if x[0] not in matched_old])
        if oid is None:
            same_id = dict(old).get(nid)
            if same_id is not None and nid not in matched_old and similarity(same_id, nlabel) >= 50:
                oid, score = nid, similarity(same_id, nlabel)
        if oid is None:
            rows.append({**base, "change": f"{kind}_added", "id_b": nid, "label_b": nlabel})
            continue
        matched_old.add(oid)
        olabel = dict(old)[oid]
        if oid != nid:
            rows.append({**base, "change": f"{kind}_reordered", "id_a": oid, "id_b": nid, "label_a": olabel,
                         "label_b": nlabel, "similarity": round(score)})
        if similarity(olabel, nlabel) < SAME_TEXT:
            rows.append({**base, "change": f"{kind}_reworded", "id_a": oid, "id_b": nid, "label_a": olabel,
                         "label_b": nlabel, "similarity": round(similarity(olabel, nlabel))})
    for oid, olabel in old:
        if oid not in matched_old:
            rows.append({**base, "change": f"{kind}_removed", "id_a": oid, "label_a": olabel})
    return rows


def _question_changes(qa: Question, qb: Question) -> list[dict]:
    base = {"question_a": qa.id, "question_b": qb.id, "number_a": qa.number, "number_b": qb.number}
    rows: list[dict] = []
    if fold_number(qa.number) != fold_number(qb.number):
        rows.append({**base, "change": "question_renumbered"})
    s = similarity(qa.text, qb.text)
    if s < SAME_TEXT:
        rows.append({**base, "change": "question_reworded", "label_a": qa.text, "label_b": qb.text, "similarity": round(s)})
    if qa.type != qb.type:
        rows.append({**base, "change": "type_changed", "label_a": qa.type, "label_b": qb.type})
    ca, cb = qa.asked_if, qb.asked_if
    if (ca is None) != (cb is None) or (ca and cb and (ca.question, ca.row, ca.values) != (cb.question, cb.row, cb.values)):
        def show(c: object) -> str:
            return "" if c is None else f"{c.question}{':' + c.row if c.row else ''} in {','.join(c.values)}"  # type: ignore[attr-defined]
        rows.append({**base, "change": "condition_changed", "label_a": show(ca), "label_b": show(cb)})
    rows += _items("row", qa, qb, [(r.id, r.label) for r in qa.rows], [(r.id, r.label) for r in qb.rows])
    rows += _items("option", qa, qb, [(o.id, o.label) for o in qa.options], [(o.id, o.label) for o in qb.options])
    return rows


def diff_codebooks(a: Codebook, b: Codebook) -> pd.DataFrame:
    """Every change from ``a`` to ``b`` (columns :data:`COLUMNS`; empty when the questionnaires are the same)."""
    rows: list[dict] = []
    for qa, qb in pair_questions(a, b):
        if qa is None and qb is not None:
            rows.append({"change": "question_added", "question_b": qb.id, "number_b": qb.number, "label_b": qb.text})
        elif qb is None and qa is not None:
            rows.append({"change": "question_removed", "question_a": qa.id, "number_a": qa.number, "label_a": qa.text})
        elif qa is not None and qb is not None:
            rows += _question_changes(qa, qb)
    df = pd.DataFrame(rows, columns=list(COLUMNS))
    text = [c for c in COLUMNS if c != "similarity"]
    df[text] = df[text].astype(object).where(df[text].notna(), "")
    df = df.astype({"similarity": "Int64"})
    df["description"] = [_describe(r) for r in df.itertuples(index=False)]
    return df


def _describe(r: object) -> str:
    change = str(getattr(r, "change", ""))
    number = getattr(r, "number_b", None) or getattr(r, "number_a", None) or ""
    if not isinstance(number, str):
        number = ""
    what = CHANGES.get(change, change)
    a, b = getattr(r, "label_a", None), getattr(r, "label_b", None)
    ia, ib = getattr(r, "id_a", None), getattr(r, "id_b", None)
    if change.startswith(("option", "row")):
        def side(i: object, lab: object) -> str:
            return f"{i}.{lab}" if isinstance(lab, str) and lab else ""
        arrow = " → ".join(x for x in (side(ia, a), side(ib, b)) if x)
        return f"{number}: {what}「{arrow}」"
    if change == "question_renumbered":
        return f"{what}: {getattr(r, 'number_a', '')} → {getattr(r, 'number_b', '')}"
    return f"{number}: {what}"

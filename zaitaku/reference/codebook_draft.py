"""Draft a codebook from the questionnaire a prefecture holds (``zaitaku codebook draft``).

The form (blank or filled 調査票, or a compiled workbook whose headers print numbers and options) gives the
numbers, wording, options as numbered, rows and conditions; the nearest existing codebook gives what a form
does not print: question ids, groups, titles, deck blocks, option groups, exclusive options. Each question is
matched to the old codebook by number and wording (a question moved to another number is found by its
wording), options and rows by their labels (NFKC, fuzzy). Each question gets a confidence and ``review:
要確認`` with the reasons where a person should look; the draft is always a valid codebook (checked by
parsing it before it is written).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from rapidfuzz import fuzz

from zaitaku.reference.codebook import Codebook, Question, parse_codebook
from zaitaku.reference.codebook_form import (
    OPTION,
    FormQuestion,
    fold_number,
    nfkc,
    option_id,
    read_form,
    read_header_questions,
)

REVIEW = "要確認"
SAME_TEXT = 95.0  # wording at least this similar counts as unchanged
MATCH_TEXT = 60.0  # same number, wording at least this similar: the same question reworded
MOVED_TEXT = 85.0  # another number, wording at least this similar: the same question renumbered
LABEL_MATCH = 80.0
REVIEW_BELOW = 0.8


def squash(text: str) -> str:
    """Wording compared without width, spaces and punctuation differences."""
    return re.sub(r"[\s　、。，．,.・「」『』（）()]", "", nfkc(text))


def similarity(a: str, b: str) -> float:
    return float(fuzz.ratio(squash(a), squash(b)))


def best_label(label: str, candidates: list[tuple[str, str]]) -> tuple[str | None, float]:
    """(id, score) of the candidate (id, label) closest to ``label``; None under :data:`LABEL_MATCH`."""
    best, score = None, 0.0
    for cid, clabel in candidates:
        s = similarity(label, clabel)
        if squash(label) and (squash(label) in squash(clabel) or squash(clabel) in squash(label)):
            s = max(s, 90.0)
        if s > score:
            best, score = cid, s
    return (best, score) if score >= LABEL_MATCH else (None, score)


def pair_labels(new: list[tuple[str, str]], old: list[tuple[str, str]]) -> dict[str, str]:
    """New id → old id, one to one, the most similar labels paired first (each pair at least :data:`LABEL_MATCH`)."""
    scored = []
    for nid, nlabel in new:
        for oid, olabel in old:
            s = similarity(nlabel, olabel)
            a, b = squash(nlabel), squash(olabel)
            if a and b and (a in b or b in a):
                s = max(s, 90.0)
            scored.append((s, nid, oid))
    out: dict[str, str] = {}
    used: set[str] = set()
    for s, nid, oid in sorted(scored, key=lambda t: -t[0]):
        if s >= LABEL_MATCH and nid not in out and oid not in used:
            out[nid] = oid
            used.add(oid)
    return out


@dataclass
class Draft:
    """One drafted question: the YAML dict, its confidence and why a person should look."""

    raw: dict[str, Any]
    form: FormQuestion
    base: Question | None
    confidence: float = 1.0
    reasons: list[str] = field(default_factory=list)
    must_review: bool = False

    def flag(self, reason: str, cost: float, *, review: bool = True) -> None:
        self.reasons.append(reason)
        self.confidence = max(0.0, self.confidence - cost)
        self.must_review = self.must_review or review


def question_id(number: str, taken: set[str]) -> str:
    """An id from a number: 「問4 ①-10」→ ``q4_1_10``, 付問 → ``…_sub``."""
    circled = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"
    text = "".join(str(circled.index(ch) + 1) if ch in circled else ch for ch in number)
    parts = re.findall(r"\d+", text)
    qid = "q" + "_".join(parts) if parts else "q_new"
    if "付問" in number:
        qid += "_sub"
    base, k = qid, 2
    while qid in taken:
        qid, k = f"{base}_{k}", k + 1
    return qid


def match_questions(forms: list[FormQuestion], base: Codebook) -> list[Question | None]:
    """The old question of each form question: same number and similar wording, else very similar wording."""
    by_number = {fold_number(q.number): q for q in base}
    out: list[Question | None] = []
    used: set[str] = set()
    for fq in forms:
        q = by_number.get(fold_number(fq.number))
        if q is not None and q.id not in used and (
                not fq.text or max(similarity(fq.text, q.text), similarity(fq.text, q.title)) >= MATCH_TEXT):
            out.append(q)
            used.add(q.id)
            continue
        out.append(None)
    for i, fq in enumerate(forms):  # renumbered: wording found under another number
        if out[i] is not None or not fq.text:
            continue
        scored = [(similarity(fq.text, q.text), q) for q in base if q.id not in used]
        if scored:
            s, q = max(scored, key=lambda t: t[0])
            if s >= MOVED_TEXT:
                out[i] = q
                used.add(q.id)
    return out


def _options(d: Draft) -> None:
    fq, base = d.form, d.base
    old = [(o.id, o.label) for o in base.options] if base else []
    options: list[dict[str, Any]] = []
    changed: list[str] = []
    pairing = pair_labels([(o.id, o.label) for o in fq.options], old)
    for o in fq.options:
        entry: dict[str, Any] = {"id": o.id, "label": o.label}
        oid = pairing.get(o.id)
        if base and oid is not None:
            bo = base.option(oid)
            if bo.exclusive:
                entry["exclusive"] = True
            if bo.free_text or o.free_text:
                entry["free_text"] = True
            if bo.block:
                entry["block"] = bo.block
            if oid != o.id:
                changed.append(f"{oid}→{o.id}")
        else:
            if o.free_text:
                entry["free_text"] = True
            if base and base.blocks and options:
                entry["block"] = options[-1].get("block")
            if base:
                d.flag(f"選択肢「{o.id}.{o.label}」は前年の設問にありません（追加）", 0.1)
        options.append(entry)
    if changed:
        d.flag("選択肢の番号が前年と異なります（" + "、".join(changed) + "）", 0.0, review=False)
    if len(options) < 2:
        d.flag("選択肢が2つ未満しか読めませんでした", 0.5)
    d.raw["options"] = options
    if base is None:
        return
    ids_by_label = {o["label"]: o["id"] for o in options}
    groups = []
    for g in base.option_groups:
        members = []
        for m in g.options:
            got, _ = best_label(base.option(m).label, [(v, k) for k, v in ids_by_label.items()])
            if got is not None:
                members.append(got)
        if len(members) == len(g.options):
            groups.append({"id": g.id, "label": g.label, "options": members, **({"note": g.note} if g.note else {})})
        else:
            d.flag(f"選択肢のまとめ「{g.label}」の選択肢が見つからないため外しました", 0.1)
    if groups:
        d.raw["option_groups"] = groups
    if base.blocks:
        d.raw["blocks"] = {k: dict(v) for k, v in base.blocks.items()}


def _rows(d: Draft) -> None:
    fq, base = d.form, d.base
    if not fq.rows:
        return
    old = [(r.id, r.label) for r in base.rows] if base else []
    rows: list[dict[str, Any]] = []
    taken: set[str] = set()
    for k, (label, _line) in enumerate(fq.rows, 1):
        rid, _ = best_label(label, old) if old else (None, 0.0)
        entry: dict[str, Any] = {"id": rid or f"row{k}", "label": label}
        if rid is None or rid in taken:
            entry["id"] = f"row{k}"
            d.flag(f"行「{label}」は前年の設問にありません（id は仮）", 0.1)
        elif base and base.row(rid).deck:
            entry["deck"] = base.row(rid).deck
        taken.add(entry["id"])
        rows.append(entry)
    d.raw["rows"] = rows


def _type(d: Draft) -> None:
    hinted = d.form.hinted_type
    if d.form.rows and hinted is None and d.base is not None and d.base.is_matrix:
        hinted = None
    if hinted is not None:
        d.raw["type"] = hinted
        if d.base is not None and d.base.type != hinted:
            d.flag(f"回答の形式が前年（{d.base.type}）と異なります", 0.1)
        return
    if d.form.from_header and d.base is not None and d.base.is_matrix == bool(d.form.rows) and not d.base.is_multi:
        d.raw["type"] = d.base.type  # a compiled workbook marks 複数回答 only: no mark, one answer
        return
    if d.base is not None and d.base.is_matrix == bool(d.form.rows):
        d.raw["type"] = d.base.type
        d.flag("「１つ選択」「複数回答」などの指示が読めないため回答の形式は前年のまま", 0.3)
        return
    d.raw["type"] = ("matrix-single" if d.form.rows else "single")
    d.flag("「１つ選択」「複数回答」などの指示が読めないため回答の形式は推定", 0.3)


CONDITION_TARGET = re.compile(r"(上の問|質問\s*[0-9０-９]+|問\s*[0-9０-９]+(?:\s*[①-⑳][-－0-9０-９.．]*)?|[①-⑳](?:[-－][0-9０-９.．]+)?)\s*で")
ROW_VALUES = re.compile(r"」に\s*([0-9０-９]+(?:\s*(?:もしくは|又は|または|か|、|・)\s*[0-9０-９]+)*)\s*と")


def _condition_sentence(fq: FormQuestion) -> str:
    if fq.condition:
        return fq.condition
    m = re.search(r"^(.*?(?:伺います|お答えください))", fq.text)
    return m.group(1) if m else ""


def _find_target(where: str, i: int, drafts: list[Draft]) -> Draft | None:
    where = fold_number(where)
    earlier = drafts[:i]
    if where == "上の問":
        return earlier[-1] if earlier else None
    number = where.replace("質問", "問")
    for d in reversed(earlier):
        n = fold_number(d.raw["number"])
        if n == number or (number[0] in "①②③④⑤⑥⑦⑧⑨⑩" and n.split(" ")[-1] == number):
            return d
    return None


def _conditions(drafts: list[Draft]) -> None:
    for i, d in enumerate(drafts):
        sentence = _condition_sentence(d.form)
        if not sentence and d.form.from_header and d.base is not None and d.base.asked_if is not None:
            c = d.base.asked_if
            target = next((x for x in drafts[:i] if x.raw["id"] == c.question), None)
            ids = {o["id"] for o in target.raw["options"]} if target else set()
            if target is not None and set(c.values) <= ids and (c.row is None or c.row in {r["id"] for r in target.raw.get("rows", [])}):
                d.raw["asked_if"] = {"question": c.question, **({"row": c.row} if c.row else {}), "in": list(c.values)}
                d.flag("集計表の見出しには回答の条件が印刷されないため、前年の条件を引き継ぎました", 0.1)
                continue
        if not sentence:
            if d.base is not None and d.base.asked_if is not None:
                d.flag("前年は条件付きの設問ですが、調査票に条件の文が見つかりません（条件なしとしました）", 0.3)
            continue
        m = CONDITION_TARGET.search(sentence)
        target = _find_target(m.group(1), i, drafts) if m else None
        if target is None:
            d.flag(f"条件「{sentence[:40]}」の設問が特定できません（条件なしとしました）", 0.3)
            continue
        cond = _resolve(sentence, target)
        if cond is None:
            d.flag(f"条件「{sentence[:40]}」の選択肢が特定できません（条件なしとしました）", 0.3)
            continue
        d.raw["asked_if"] = cond


def _drop_invalid_conditions(drafts: list[Draft]) -> None:
    """A condition the drafted target cannot carry (option or row missing, matrix without row) is removed and
    flagged, so the draft stays a valid codebook."""
    for i, d in enumerate(drafts):
        c = d.raw.get("asked_if")
        if not c:
            continue
        target = next((x for x in drafts[:i] if x.raw["id"] == c["question"]), None)
        ids = {o["id"] for o in target.raw["options"]} if target else set()
        rows = {r["id"] for r in target.raw.get("rows", [])} if target else set()
        ok = target is not None and set(c["in"]) <= ids and (c.get("row") in rows if rows else "row" not in c)
        if not ok:
            del d.raw["asked_if"]
            d.flag(f"条件（{c['question']} の {'・'.join(c['in'])}）が下書きの設問と合わないため外しました", 0.3)


def _resolve(sentence: str, target: Draft) -> dict[str, Any] | None:
    items = re.findall(r"「([^」]*)」", sentence)
    options = [(o["id"], o["label"]) for o in target.raw["options"]]
    cond: dict[str, Any] = {"question": target.raw["id"]}
    if target.raw.get("rows"):
        rows = [(r["id"], r["label"]) for r in target.raw["rows"]]
        rv = ROW_VALUES.search(sentence)
        if not items or rv is None:
            return None
        item = items[0]
        m = OPTION.match(item)
        rid, _ = best_label(m.group("label") if m else item, rows)
        if rid is None:
            return None
        values = [option_id(v) for v in re.findall(r"[0-9０-９]+", rv.group(1))]
        if not values or any(v not in dict(options) for v in values):
            return None
        cond["row"] = rid
        cond["in"] = values
        return cond
    named: list[str] = []
    for item in items:
        m = OPTION.match(item)
        oid, _ = best_label(m.group("label") if m else item, options)
        if oid is None:
            return None
        named.append(oid)
    if not named:
        return None
    cond["in"] = [o for o, _ in options if o not in named] if re.search(r"」\s*以外", sentence) else named
    return cond


def _carry(d: Draft, taken: set[str], previous_group: str) -> None:
    fq, base = d.form, d.base
    if base is not None:
        d.raw.update(id=base.id, group=base.group, number=fq.number, deck=base.deck, title=base.title)
        if fold_number(base.number) != fold_number(fq.number):
            d.flag(f"前年の{base.number}と同じ設問とみなしました（番号が変わっています）", 0.2)
        if fq.from_header:
            fq.text = base.text
        elif fq.text and similarity(fq.text, base.text) < SAME_TEXT:
            d.flag("設問文が前年と異なります", 0.1, review=False)
    else:
        title = re.split(r"[、。？?]", fq.text)[0][:30] if fq.text else fq.number
        d.raw.update(id=question_id(fq.number, taken), group=previous_group, number=fq.number, deck="", title=title)
        d.flag("前年の調査票にない設問です（グループ・見出し・資料番号を確かめてください）", 0.4)
    taken.add(d.raw["id"])
    d.raw["text"] = fq.text or (base.text if base else fq.number)


def read_questions(path: Path) -> list[FormQuestion]:
    """A form's questions; a compiled workbook's header questions when it is not a form."""
    questions = read_form(path)
    if sum(1 for q in questions if q.options) >= 3:
        return questions
    return read_header_questions(path)


def draft(paths: list[Path], base: Codebook, year: str, today: dt.date | None = None) -> tuple[str, list[Draft]]:
    """(codebook YAML text, drafts) from the forms ``paths``; ``base`` is the nearest existing codebook."""
    today = today or dt.date.today()
    forms: list[FormQuestion] = []
    seen: set[str] = set()
    for path in paths:
        for fq in read_questions(path):
            if fold_number(fq.number) not in seen:
                seen.add(fold_number(fq.number))
                forms.append(fq)
    if not forms:
        raise ValueError("、".join(p.name for p in paths) + ": 設問（問番号と選択肢）が読めませんでした。空欄の調査票か、"
                         "見出しに問番号と選択肢（1.… 2.…）が印刷された集計表を指定してください")
    matched = match_questions(forms, base)
    drafts: list[Draft] = []
    taken: set[str] = set()
    group = next(iter(base.groups))
    names = "、".join(p.name for p in paths)
    for fq, bq in zip(forms, matched, strict=True):
        d = Draft({}, fq, bq)
        _carry(d, taken, group)
        group = d.raw["group"]
        _rows(d)
        _options(d)
        _type(d)
        d.raw["source"] = "form"
        d.raw["source_note"] = f"調査票 {names} から下書き（{today.isoformat()}）"
        for note in fq.notes:
            d.flag(note, 0.1)
        drafts.append(d)
    _conditions(drafts)
    _drop_invalid_conditions(drafts)
    for d in drafts:
        if d.base is not None and d.base.subset_of and d.base.subset_of in taken:
            target = next(x for x in drafts if x.raw["id"] == d.base.subset_of)
            if [o["id"] for o in target.raw["options"]] == [o["id"] for o in d.raw["options"]]:
                d.raw["subset_of"] = d.base.subset_of
        d.confidence = round(d.confidence, 2)
        d.raw["confidence"] = d.confidence
        if d.must_review or d.confidence < REVIEW_BELOW:
            d.raw["review"] = REVIEW
        if d.reasons:
            d.raw["reasons"] = d.reasons
    text = dump_codebook(drafts, base, year, paths, today)
    parse_codebook(text, Path(f"{year.lower()}.yaml"))  # the draft is always a valid codebook
    return text, drafts


KEY_ORDER = ("id", "group", "number", "deck", "title", "text", "type", "source", "source_note", "confidence",
             "review", "reasons", "asked_if", "subset_of", "blocks", "rows", "options", "option_groups")


class _Flow(dict[str, Any]):  # a mapping written on one line
    pass


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(_Flow, lambda d, v: d.represent_mapping("tag:yaml.org,2002:map", v, flow_style=True))


def _ordered(raw: dict[str, Any]) -> dict[str, Any]:
    out = {k: raw[k] for k in KEY_ORDER if k in raw}
    for key in ("rows", "options", "option_groups"):
        if key in out:
            out[key] = [_Flow(x) for x in out[key]]
    if "asked_if" in out:
        out["asked_if"] = _Flow(out["asked_if"])
    if "blocks" in out:
        out["blocks"] = {k: _Flow(v) for k, v in out["blocks"].items()}
    return out


def era(year: str) -> str:
    """``R4`` → 「令和4年度」."""
    m = re.fullmatch(r"[Rr](\d+)", year.strip())
    return f"令和{m.group(1)}年度" if m else year


def dump_codebook(drafts: list[Draft], base: Codebook, year: str, paths: list[Path], today: dt.date) -> str:
    used = {d.raw["group"] for d in drafts}
    review = sum(1 for d in drafts if d.raw.get("review"))
    doc = {
        "version": f"{year.lower()}-draft-{today.isoformat()}",
        "survey_year": year,
        "title": re.sub(r"令和\d+年度", era(year), base.title) if base.title else year,
        "provenance": {
            "source": "form",
            "files": [p.name for p in paths],
            "drafted": today.isoformat(),
            "base": base.version,
        },
        "groups": {g: label for g, label in base.groups.items() if g in used},
        "questions": [_ordered(d.raw) for d in drafts],
    }
    head = (
        f"# {year} codebook drafted by `zaitaku codebook draft` from {', '.join(p.name for p in paths)}"
        f" on {today.isoformat()}\n# ids, groups, titles and deck blocks carried from {base.version};"
        f" {review} of {len(drafts)} questions marked review: {REVIEW}.\n"
    )
    return head + yaml.dump(doc, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=200)

"""``zaitaku codebook check``: a codebook's problems in Japanese, each naming the question and the YAML line.

Errors make the codebook unusable (the same rules as :func:`zaitaku.reference.codebook.parse_codebook`, which
this runs last as a safety net); warnings are what a drafted codebook still asks a person to confirm
(``review: 要確認``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from zaitaku.reference.codebook import (
    GROUPS,
    NO_ANSWER,
    QUESTION_TYPES,
    SOURCES,
    CodebookError,
    parse_codebook,
)

TYPE_NAMES = "、".join(QUESTION_TYPES)


@dataclass(frozen=True)
class Message:
    level: str  # エラー / 注意
    line: int
    question: str
    text: str

    def __str__(self) -> str:
        where = f"{self.line}行目" + (f"（{self.question}）" if self.question else "")
        return f"{self.level}: {where}: {self.text}"


def _lines(node: yaml.Node | None) -> dict[str, Any]:
    """question index -> {"line": n, "options": [lines], "rows": [lines]} from the composed YAML."""
    out: dict[str, Any] = {}
    if not isinstance(node, yaml.MappingNode):
        return out
    for key, value in node.value:
        if key.value == "questions" and isinstance(value, yaml.SequenceNode):
            for i, qnode in enumerate(value.value):
                entry: dict[str, Any] = {"line": qnode.start_mark.line + 1}
                if isinstance(qnode, yaml.MappingNode):
                    for k, v in qnode.value:
                        entry[f"@{k.value}"] = k.start_mark.line + 1
                        if isinstance(v, yaml.SequenceNode):
                            entry[k.value] = [x.start_mark.line + 1 for x in v.value]
                out[str(i)] = entry
    return out


def check_text(text: str, name: str = "codebook.yaml") -> list[Message]:
    """Every problem found in codebook YAML ``text`` (empty: usable, no warnings)."""
    try:
        node = yaml.compose(text)
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 0
        return [Message("エラー", line, "", f"YAML として読めません（{getattr(exc, 'problem', exc)}）")]
    if not isinstance(raw, dict):
        return [Message("エラー", 1, "", "コードブックの形（version・survey_year・groups・questions）になっていません")]
    lines = _lines(node)
    msgs: list[Message] = []
    for key in ("version", "survey_year", "groups", "questions"):
        if key not in raw:
            msgs.append(Message("エラー", 1, "", f"先頭に「{key}」がありません"))
    if msgs:
        return msgs
    groups = raw["groups"] or {}
    unknown_groups = [g for g in groups if g not in GROUPS]
    for g in unknown_groups:
        msgs.append(Message("注意", 1, "", f"グループ「{g}」は報告書（{'・'.join(GROUPS)}）にありません"))
    seen: dict[str, dict[str, Any]] = {}
    for i, q in enumerate(raw["questions"] or ()):
        msgs.extend(_check_question(q, lines.get(str(i), {"line": 0}), groups, seen))
        if isinstance(q, dict) and q.get("id"):
            seen[str(q["id"])] = q
    if not any(m.level == "エラー" for m in msgs):
        try:
            parse_codebook(text, Path(name))
        except CodebookError as exc:  # a rule this check does not yet say in Japanese
            msgs.append(Message("エラー", 0, "", f"コードブックとして使えません: {exc}"))
    return msgs


def _check_question(q: Any, where: dict[str, Any], groups: dict[str, str], seen: dict[str, dict[str, Any]]) -> list[Message]:
    line = where["line"]
    if not isinstance(q, dict):
        return [Message("エラー", line, "", "設問が「id: …」の形になっていません")]
    qid = str(q.get("id") or "")
    name = f"{q.get('number', '')} {qid}".strip()
    out: list[Message] = []

    def err(text: str, at: int | None = None) -> None:
        out.append(Message("エラー", at or line, name, text))

    if not qid:
        err("設問に id がありません")
    elif qid in seen:
        err(f"id「{qid}」が2回使われています")
    for key, ja in (("group", "グループ"), ("number", "問番号"), ("title", "見出し"), ("text", "設問文"),
                    ("type", "回答の形式"), ("options", "選択肢"), ("source", "出典")):
        if key not in q:
            err(f"{ja}（{key}）がありません")
    if q.get("group") is not None and q.get("group") not in groups:
        err(f"グループ「{q.get('group')}」が groups にありません", where.get("@group"))
    qtype = q.get("type")
    if qtype is not None and qtype not in QUESTION_TYPES:
        err(f"回答の形式「{qtype}」は使えません（使えるもの: {TYPE_NAMES}）", where.get("@type"))
    if q.get("source") is not None and q.get("source") not in SOURCES:
        err(f"出典「{q.get('source')}」は使えません（使えるもの: {'、'.join(SOURCES)}）", where.get("@source"))
    opt_lines = where.get("options", [])
    ids: list[str] = []
    for k, o in enumerate(q.get("options") or ()):
        at = opt_lines[k] if k < len(opt_lines) else line
        oid = str(o.get("id", "")) if isinstance(o, dict) else ""
        if not oid or not (isinstance(o, dict) and o.get("label")):
            err(f"{k + 1}番目の選択肢に id と label がありません", at)
            continue
        if oid == NO_ANSWER:
            err(f"選択肢の id「{NO_ANSWER}」は未回答のために予約されています", at)
        if oid in ids:
            err(f"選択肢の id「{oid}」が2回あります", at)
        if o.get("block") is not None and o["block"] not in (q.get("blocks") or {}):
            err(f"選択肢{oid}の block「{o['block']}」が blocks にありません", at)
        ids.append(oid)
    if q.get("options") is not None and len(ids) < 2 and qtype != "free":
        err("選択肢が2つ未満です", where.get("@options"))
    rows = q.get("rows") or []
    is_matrix = str(qtype or "").startswith("matrix")
    if is_matrix and not rows:
        err(f"回答の形式 {qtype} には行（rows）が必要です")
    if rows and not is_matrix:
        err(f"回答の形式 {qtype} に行（rows）は付けられません（matrix-single か matrix-multi にしてください）", where.get("@rows"))
    row_ids = [str(r.get("id")) for r in rows if isinstance(r, dict)]
    if len(set(row_ids)) != len(row_ids):
        err("行の id が重複しています", where.get("@rows"))
    for g in q.get("option_groups") or ():
        bad = [str(m) for m in g.get("options") or () if str(m) not in ids]
        if bad:
            err(f"選択肢のまとめ「{g.get('label', g.get('id'))}」に無い選択肢 {'、'.join(bad)} があります",
                where.get("@option_groups"))
    cond = q.get("asked_if")
    if cond:
        out.extend(_check_condition(cond, seen, name, where.get("@asked_if", line)))
    if q.get("review"):
        reasons = "；".join(str(r) for r in q.get("reasons") or ()) or "理由の記載なし"
        out.append(Message("注意", where.get("@review", line), name, f"{q['review']}: {reasons}"))
    return out


def _check_condition(cond: Any, seen: dict[str, dict[str, Any]], name: str, line: int) -> list[Message]:
    if not isinstance(cond, dict) or "question" not in cond or "in" not in cond:
        return [Message("エラー", line, name, "asked_if には question と in が必要です")]
    target = seen.get(str(cond["question"]))
    if target is None:
        return [Message("エラー", line, name, f"条件の設問「{cond['question']}」がこの設問より前にありません")]
    tids = [str(o.get("id")) for o in target.get("options") or () if isinstance(o, dict)]
    bad = [str(v) for v in cond["in"] if str(v) not in tids]
    out = []
    if bad:
        out.append(Message("エラー", line, name,
                           f"条件の選択肢 {'、'.join(bad)} は{target.get('number', cond['question'])}の選択肢（{'、'.join(tids)}）にありません"))
    trows = [str(r.get("id")) for r in target.get("rows") or () if isinstance(r, dict)]
    if cond.get("row") is not None and str(cond["row"]) not in trows:
        out.append(Message("エラー", line, name, f"条件の行「{cond['row']}」は{target.get('number')}の行にありません"))
    if trows and cond.get("row") is None:
        out.append(Message("エラー", line, name, f"{target.get('number')}は表形式の設問なので、条件に row が必要です"))
    return out


def check_file(path: Path) -> list[Message]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        return [Message("エラー", 0, "", f"{path.name} は UTF-8 で保存されていません")]
    return check_text(text, path.name)

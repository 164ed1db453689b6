"""The questionnaire as data: questions, options, matrix rows, groups and conditions (``asked_if``).

Loaded from ``zaitaku/reference/codebooks/<year>.yaml`` and validated on load: a duplicate id, an unknown
option in ``asked_if``, a dangling reference or an unknown type is a :class:`CodebookError` that
names the file and the question.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

from zaitaku.paths import CODEBOOK_DIR

QUESTION_TYPES = ("single", "multi", "matrix-single", "matrix-multi", "free")
GROUPS = ("partnerships", "pdca_indicators", "four_scenes", "prefectural_support")
SOURCES = ("published", "seed000", "reconstructed", "form")
NO_ANSWER = "na"
NO_ANSWER_LABEL = "未回答"
GROUP_PREFIX = "grp:"


class CodebookError(ValueError):
    """The codebook YAML is inconsistent; the message names the file and the question."""


@dataclass(frozen=True)
class Option:
    id: str
    label: str
    exclusive: bool = False
    free_text: bool = False
    block: str | None = None


@dataclass(frozen=True)
class OptionGroup:
    """A named total of options (``option_id`` ``grp:<id>`` in the figures), e.g. 協力している = A+B+C.

    A municipality counts once when it selected any member (multi-select questions included).
    """

    id: str
    label: str
    options: tuple[str, ...]
    note: str = ""

    @property
    def option_id(self) -> str:
        return GROUP_PREFIX + self.id


@dataclass(frozen=True)
class Row:
    id: str
    label: str
    deck: str | None = None


@dataclass(frozen=True)
class Condition:
    """Asked only when the answer to ``question`` (its ``row`` for matrices) includes one of ``values``."""

    question: str
    values: tuple[str, ...]
    row: str | None = None

    def describe(self, codebook: Codebook) -> str:
        q = codebook[self.question]
        labels = "・".join(f"「{o.label}」" for o in q.options if o.id in self.values)
        target = q.number + (f"「{q.row(self.row).label}」" if self.row else "")
        return f"{target}で{labels}と回答した市町村のみ"


@dataclass(frozen=True)
class Question:
    id: str
    group: str
    number: str
    title: str
    text: str
    type: str
    options: tuple[Option, ...]
    source: str
    deck: str = ""
    source_note: str = ""
    rows: tuple[Row, ...] = ()
    asked_if: Condition | None = None
    subset_of: str | None = None
    blocks: dict[str, dict[str, str]] = field(default_factory=dict)
    option_groups: tuple[OptionGroup, ...] = ()

    @property
    def is_matrix(self) -> bool:
        return self.type.startswith("matrix")

    @property
    def is_multi(self) -> bool:
        return self.type in ("multi", "matrix-multi")

    @property
    def row_ids(self) -> tuple[str, ...]:
        """Row ids; a non-matrix question has the single row id ``""``."""
        return tuple(r.id for r in self.rows) if self.is_matrix else ("",)

    @property
    def option_ids(self) -> tuple[str, ...]:
        return tuple(o.id for o in self.options)

    def option(self, option_id: str) -> Option:
        for o in self.options:
            if o.id == option_id:
                return o
        raise KeyError(f"{self.id}: no option {option_id!r}")

    def row(self, row_id: str) -> Row:
        for r in self.rows:
            if r.id == row_id:
                return r
        raise KeyError(f"{self.id}: no row {row_id!r}")

    def option_label(self, option_id: str) -> str:
        if option_id == NO_ANSWER:
            return NO_ANSWER_LABEL
        if option_id.startswith(GROUP_PREFIX):
            return self.option_group(option_id).label
        return self.option(option_id).label

    @property
    def positive(self) -> tuple[str, str, tuple[str, ...]]:
        """What "doing it" means in sentences and standings: the first option, or the declared option
        group that contains it (e.g. 協力している = A+B+C). Returns (option id, label, member option ids)."""
        first = self.options[0]
        for g in self.option_groups:
            if first.id in g.options:
                return g.option_id, g.label, g.options
        return first.id, first.label, (first.id,)

    def option_group(self, group_id: str) -> OptionGroup:
        """An option group by id (``"cooperating"`` or ``"grp:cooperating"``)."""
        gid = group_id.removeprefix(GROUP_PREFIX)
        for g in self.option_groups:
            if g.id == gid:
                return g
        raise KeyError(f"{self.id}: no option group {group_id!r}")

    @property
    def heading(self) -> str:
        """Section heading as in the deck: number, title and deck block."""
        deck = f"（資料 {self.deck}）" if self.deck and self.deck != "-" else ""
        return f"{self.number} {self.title}{deck}"


@dataclass(frozen=True)
class Codebook:
    version: str
    survey_year: str
    title: str
    groups: dict[str, str]
    questions: tuple[Question, ...]
    path: Path
    provenance: dict[str, object] = field(default_factory=dict)

    def __getitem__(self, question_id: str) -> Question:
        for q in self.questions:
            if q.id == question_id:
                return q
        raise KeyError(f"codebook {self.version}: no question {question_id!r}")

    def __iter__(self) -> Iterator[Question]:
        return iter(self.questions)

    def __len__(self) -> int:
        return len(self.questions)

    def in_group(self, group: str) -> list[Question]:
        if group not in self.groups:
            raise KeyError(f"unknown group {group!r}; groups: {', '.join(self.groups)}")
        return [q for q in self.questions if q.group == group]

    def describe(self, group: str | None = None) -> str:
        """Plain-text listing of every question (of one group) with its text and options."""
        lines: list[str] = []
        for g, label in self.groups.items():
            if group and g != group:
                continue
            lines.append(f"## {g}: {label}")
            for q in self.in_group(g):
                lines.append(f"- {q.id} [{q.type}, {q.source}] {q.number} {q.title}: {q.text}")
                for r in q.rows:
                    lines.append(f"    row {r.id}: {r.label}")
                for o in q.options:
                    lines.append(f"    {o.id}. {o.label}")
        return "\n".join(lines)


def _fail(path: Path, where: str, message: str) -> CodebookError:
    return CodebookError(f"{path.name}: {where}: {message}")


def _parse_question(raw: dict, path: Path, groups: dict[str, str]) -> Question:
    qid = raw.get("id")
    if not qid:
        raise _fail(path, "question without id", repr(raw)[:80])
    where = f"question {qid}"
    for key in ("group", "number", "title", "text", "type", "options", "source"):
        if key not in raw:
            raise _fail(path, where, f"missing field {key!r}")
    if raw["group"] not in groups:
        raise _fail(path, where, f"unknown group {raw['group']!r} (groups: {', '.join(groups)})")
    if raw["type"] not in QUESTION_TYPES:
        raise _fail(path, where, f"unknown type {raw['type']!r} (types: {', '.join(QUESTION_TYPES)})")
    if raw["source"] not in SOURCES:
        raise _fail(path, where, f"unknown source {raw['source']!r} (sources: {', '.join(SOURCES)})")
    blocks = raw.get("blocks") or {}
    options = []
    for o in raw["options"]:
        oid = str(o.get("id", ""))
        if not oid or not o.get("label"):
            raise _fail(path, where, f"option needs id and label: {o!r}")
        if oid == NO_ANSWER:
            raise _fail(path, where, f"option id {NO_ANSWER!r} is reserved for 未回答")
        if o.get("block") is not None and o["block"] not in blocks:
            raise _fail(path, where, f"option {oid} names unknown block {o['block']!r}")
        options.append(
            Option(oid, str(o["label"]), bool(o.get("exclusive")), bool(o.get("free_text")), o.get("block"))
        )
    ids = [o.id for o in options]
    dup = {i for i in ids if ids.count(i) > 1}
    if dup:
        raise _fail(path, where, f"duplicate option id(s) {sorted(dup)}")
    rows = tuple(Row(str(r["id"]), str(r["label"]), r.get("deck")) for r in raw.get("rows") or ())
    is_matrix = raw["type"].startswith("matrix")
    if is_matrix and not rows:
        raise _fail(path, where, f"type {raw['type']} needs rows")
    if rows and not is_matrix:
        raise _fail(path, where, f"type {raw['type']} cannot have rows")
    row_ids = [r.id for r in rows]
    if len(set(row_ids)) != len(row_ids):
        raise _fail(path, where, "duplicate row id")
    groups_: list[OptionGroup] = []
    for g in raw.get("option_groups") or ():
        gid, label, members = str(g.get("id", "")), str(g.get("label", "")), [str(m) for m in g.get("options") or ()]
        if not gid or not label or len(members) < 2:
            raise _fail(path, where, f"option group needs id, label and at least two options: {g!r}")
        bad = [m for m in members if m not in ids]
        if bad:
            raise _fail(path, where, f"option group {gid} names unknown option(s) {bad} (options: {', '.join(ids)})")
        if gid in {x.id for x in groups_}:
            raise _fail(path, where, f"duplicate option group id {gid!r}")
        groups_.append(OptionGroup(gid, label, tuple(members), str(g.get("note", ""))))
    cond = None
    if raw.get("asked_if"):
        c = raw["asked_if"]
        if "question" not in c or "in" not in c:
            raise _fail(path, where, "asked_if needs 'question' and 'in'")
        cond = Condition(str(c["question"]), tuple(str(v) for v in c["in"]), c.get("row"))
    return Question(
        id=str(qid),
        group=raw["group"],
        number=str(raw["number"]),
        title=str(raw["title"]),
        text=str(raw["text"]),
        type=raw["type"],
        options=tuple(options),
        source=raw["source"],
        deck=str(raw.get("deck", "")),
        source_note=str(raw.get("source_note", "")),
        rows=rows,
        asked_if=cond,
        subset_of=raw.get("subset_of"),
        blocks=blocks,
        option_groups=tuple(groups_),
    )


def _check_references(questions: list[Question], path: Path) -> None:
    seen: dict[str, Question] = {}
    for q in questions:
        if q.id in seen:
            raise _fail(path, f"question {q.id}", "duplicate question id")
        if q.asked_if:
            c = q.asked_if
            target = seen.get(c.question)
            if target is None:
                known = c.question in {x.id for x in questions}
                why = "must come before the question it conditions" if known else "no such question"
                raise _fail(path, f"question {q.id}", f"asked_if refers to {c.question!r}: {why}")
            bad = [v for v in c.values if v not in target.option_ids]
            if bad:
                raise _fail(
                    path, f"question {q.id}",
                    f"asked_if option(s) {bad} not options of {c.question} ({', '.join(target.option_ids)})",
                )
            if c.row is not None and c.row not in target.row_ids:
                raise _fail(path, f"question {q.id}", f"asked_if row {c.row!r} is not a row of {c.question}")
            if target.is_matrix and c.row is None:
                raise _fail(path, f"question {q.id}", f"asked_if on matrix {c.question} needs a row")
        if q.subset_of:
            target = seen.get(q.subset_of)
            if target is None or target.option_ids != q.option_ids:
                raise _fail(path, f"question {q.id}", f"subset_of {q.subset_of!r} must be an earlier question with the same options")
        seen[q.id] = q


def parse_codebook(text: str, path: Path) -> Codebook:
    """Parse and validate codebook YAML text (``path`` is used in messages)."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise CodebookError(f"{path.name}: not valid YAML: {exc}") from exc
    for key in ("version", "survey_year", "groups", "questions"):
        if key not in raw:
            raise _fail(path, "top level", f"missing {key!r}")
    groups = dict(raw["groups"])
    questions = [_parse_question(q, path, groups) for q in raw["questions"]]
    _check_references(questions, path)
    for g in groups:
        if not any(q.group == g for q in questions):
            raise _fail(path, f"group {g}", "has no questions")
    return Codebook(
        version=str(raw["version"]),
        survey_year=str(raw["survey_year"]),
        title=str(raw.get("title", "")),
        groups=groups,
        questions=tuple(questions),
        path=path,
        provenance=dict(raw.get("provenance") or {}),
    )


def codebook_path(survey_year: str = "R3") -> Path:
    path = CODEBOOK_DIR / f"{survey_year.lower()}.yaml"
    if not path.exists():
        known = ", ".join(p.stem.upper() for p in CODEBOOK_DIR.glob("*.yaml"))
        raise CodebookError(f"no codebook for survey year {survey_year!r} (available: {known})")
    return path


_override: list[Codebook] = []


def set_override(book: Codebook | None) -> None:
    """Use ``book`` for its survey year instead of the built-in one (see :mod:`zaitaku.reference.codebook_source`)."""
    _override.clear()
    if book is not None:
        _override.append(book)


def _from_environment(survey_year: str) -> Codebook | None:
    """The codebook named by ``ZAITAKU_CODEBOOK`` (set by the process that started this kernel or worker)."""
    import os

    name = os.environ.get("ZAITAKU_CODEBOOK")
    if not name or _override:
        return None
    path = Path(name)
    book = parse_codebook(path.read_text(encoding="utf-8-sig"), path)
    _override.append(book)
    return book


def load_codebook(survey_year: str = "R3") -> Codebook:
    """The validated codebook of one survey year: the one chosen with ``--codebook`` for that year, else built in."""
    chosen = _override[0] if _override else _from_environment(survey_year)
    if chosen is not None and chosen.survey_year.upper() == survey_year.upper():
        return chosen
    return _built_in(survey_year.upper())


@cache
def _built_in(survey_year: str) -> Codebook:
    path = codebook_path(survey_year)
    return parse_codebook(path.read_text(encoding="utf-8"), path)

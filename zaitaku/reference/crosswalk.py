"""Crosswalks between two survey years' codebooks: what each question, row and option of year B measures
in year A's terms, and whether the two can be compared.

``zaitaku/reference/crosswalks/<a>_<b>.csv`` (e.g. ``r3_r4.csv``; UTF-8, edited in Excel like the maps):
one row per question, row or option that needs saying; columns ``year_a, question_a, row_a, option_a,
year_b, question_b, row_b, option_b, concept, comparability, reason``.

- ``comparability``: ``compare`` (same concept, same options), ``caution`` (comparable with a stated
  reason, e.g. reworded), ``none`` (not compared: removed, added, or changed meaning). ``reason`` is
  required unless ``compare``.
- A question row has blank row/option columns; a row (matrix item) or option row is more specific and
  wins for its row/option. ``*`` in ``question_a`` is the default for every question the file does not
  list (the same id in both years).
- Value maps: an option row whose ``option_a`` and ``option_b`` differ says year B's option is year A's
  (renumbered); several rows with the same ``option_b`` merge year A's options into it (its share in year A
  is the share selecting any of them), and several ``option_b`` for one ``option_a`` split it (each is
  compared with caution at most). A blank side is an option that exists in one year only (``none``).

:func:`load_crosswalk` validates every row against both codebooks: a wrong id, level or a missing
reason is a :class:`CrosswalkError` naming the file, the CSV line, the column and the value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from zaitaku.files.reference_csv import read_reference_csv
from zaitaku.paths import PACKAGE_DIR
from zaitaku.reference.codebook import Codebook, load_codebook

CROSSWALK_DIR = PACKAGE_DIR / "reference" / "crosswalks"
COLUMNS = ("year_a", "question_a", "row_a", "option_a", "year_b", "question_b", "row_b", "option_b", "concept",
           "comparability", "reason")
LEVELS = ("compare", "caution", "none")
LEVELS_JA = {"compare": "比較可", "caution": "比較に注意", "none": "比較しない"}


class CrosswalkError(ValueError):
    """A crosswalk row that does not fit the codebooks; the message names the file, line, column and value."""


@dataclass(frozen=True)
class Link:
    """How one question (row, option) of year B relates to year A."""

    comparability: str
    reason: str = ""
    concept: str = ""
    options_a: tuple[str, ...] = ()  # year A's options whose union is year B's option (value map)

    @property
    def label(self) -> str:
        return LEVELS_JA[self.comparability]


@dataclass
class Crosswalk:
    year_a: str
    year_b: str
    path: Path
    default: Link = field(default_factory=lambda: Link("compare"))
    questions: dict[str, Link] = field(default_factory=dict)  # question_b (or question_a when removed)
    removed: dict[str, Link] = field(default_factory=dict)  # year A's questions with no year B counterpart
    renamed: dict[str, str] = field(default_factory=dict)  # question_b -> question_a
    rows: dict[tuple[str, str], Link] = field(default_factory=dict)
    options: dict[tuple[str, str, str], Link] = field(default_factory=dict)  # (question_b, row_b, option_b)

    def question_a(self, question_b: str) -> str:
        return self.renamed.get(question_b, question_b)

    def link(self, question_b: str, row_b: str = "", option_b: str | None = None) -> Link:
        """The most specific link: option, then row, then question, then the default."""
        if option_b is not None and (question_b, row_b, option_b) in self.options:
            return self.options[(question_b, row_b, option_b)]
        if option_b is not None and (question_b, "", option_b) in self.options:
            return self.options[(question_b, "", option_b)]
        if (question_b, row_b) in self.rows:
            return self.rows[(question_b, row_b)]
        return self.questions.get(question_b, self.default)

    def options_a(self, question_b: str, row_b: str, option_b: str) -> tuple[str, ...]:
        """Year A's options that year B's option stands for (the option itself unless mapped)."""
        link = self.options.get((question_b, row_b, option_b)) or self.options.get((question_b, "", option_b))
        return link.options_a if link is not None and link.options_a else (option_b,)


def _ids(book: Codebook) -> set[str]:
    return {q.id for q in book}


def crosswalk_path(year_a: str, year_b: str) -> Path:
    return CROSSWALK_DIR / f"{year_a.lower()}_{year_b.lower()}.csv"


def _fail(path: Path, line: object, column: str, value: str, message: str) -> CrosswalkError:
    return CrosswalkError(f"{path.name} {line} 行目 {column} 列（{value!r}）: {message}")


def parse_crosswalk(path: Path, a: Codebook, b: Codebook) -> Crosswalk:
    df = read_reference_csv(path, COLUMNS, CrosswalkError)
    cw = Crosswalk(a.survey_year, b.survey_year, path)
    merged: dict[tuple[str, str, str], list[str]] = {}
    for line, r in df.iterrows():
        for col, want in (("year_a", a.survey_year), ("year_b", b.survey_year)):
            if r[col].upper() != want:
                raise _fail(path, line, col, r[col], f"{want} のはずです")
        level = r["comparability"]
        if level not in LEVELS:
            raise _fail(path, line, "comparability", level, "compare・caution・none のいずれかにしてください")
        if level != "compare" and not r["reason"]:
            raise _fail(path, line, "reason", "", "caution と none には理由を書いてください")
        link = Link(level, r["reason"], r["concept"])
        qa, qb = r["question_a"], r["question_b"]
        if qa == "*":
            cw.default = link
            continue
        for col, q, book in (("question_a", qa, a), ("question_b", qb, b)):
            if q and q not in _ids(book):
                raise _fail(path, line, col, q, f"{book.survey_year} の調査票にない設問です")
        if not qa and not qb:
            raise _fail(path, line, "question_a", "", "question_a か question_b のどちらかは必要です")
        for side, q, book in (("a", qa, a), ("b", qb, b)):
            row, opt = r[f"row_{side}"], r[f"option_{side}"]
            if q and row and row not in book[q].row_ids:
                raise _fail(path, line, f"row_{side}", row, f"{q} の行ではありません")
            if q and opt and opt not in book[q].option_ids:
                raise _fail(path, line, f"option_{side}", opt, f"{q} の選択肢ではありません")
        if not qb:
            if level != "none":
                raise _fail(path, line, "comparability", level, f"{b.survey_year} にない設問は none です")
            cw.removed[qa] = link
            continue
        if qa and qa != qb:
            cw.renamed[qb] = qa
        row_b, opt_a, opt_b = r["row_b"], r["option_a"], r["option_b"]
        if opt_b:
            if opt_a:
                merged.setdefault((qb, row_b, opt_b), []).append(opt_a)
            elif level != "none":
                raise _fail(path, line, "comparability", level, f"{a.survey_year} にない選択肢は none です")
            cw.options[(qb, row_b, opt_b)] = link
        elif opt_a:
            raise _fail(path, line, "option_b", "", "option_a だけの行は書けません（削除された選択肢は説明の行に）")
        elif row_b:
            cw.rows[(qb, row_b)] = link
        else:
            cw.questions[qb] = link
    for key, opts in merged.items():
        link = cw.options[key]
        level = link.comparability if len(opts) == 1 or link.comparability == "none" else max(
            link.comparability, "caution", key=LEVELS.index)
        cw.options[key] = Link(level, link.reason, link.concept, tuple(opts))
    for qb, q in cw.questions.items():
        if qb not in _ids(a) and qb not in cw.renamed and q.comparability != "none":
            raise CrosswalkError(f"{path.name}: {qb} は {a.survey_year} にない設問です。comparability を none にしてください")
    return cw


@cache
def load_crosswalk(year_a: str, year_b: str) -> Crosswalk:
    """The validated crosswalk from ``year_a`` to ``year_b`` (cached)."""
    path = crosswalk_path(year_a, year_b)
    return parse_crosswalk(path, load_codebook(year_a), load_codebook(year_b))


def comparability(year_a: str, year_b: str, question_b: str, row_b: str = "", option_b: str | None = None) -> Link:
    """How year B's question (row, option) compares with year A; questions of year B missing from year A
    and years without a crosswalk file are ``none`` with the reason."""
    if year_a == year_b:
        return Link("compare")
    if not crosswalk_path(year_a, year_b).is_file():
        return Link("none", f"{year_a} と {year_b} の対応表（crosswalk）がありません")
    cw = load_crosswalk(year_a, year_b)
    if question_b in cw.removed:
        return cw.removed[question_b]
    if question_b not in _ids(load_codebook(year_b)):
        return Link("none", f"{year_b} の調査票にない設問です")
    qa = cw.question_a(question_b)
    if qa not in _ids(load_codebook(year_a)):
        return Link("none", f"{year_a} の調査票にない設問です")
    return cw.link(question_b, row_b, option_b)


def draft_crosswalk(a: Codebook, b: Codebook) -> list[dict[str, str]]:
    """A crosswalk drafted from ``zaitaku codebook diff`` (rows of :data:`COLUMNS`, reasons ending 要確認):
    added or removed questions, options and rows are ``none``, reworded ones and changed conditions
    ``caution``, options renumbered with the same label a value map; everything else the ``*`` default."""
    from zaitaku.reference.codebook_diff import diff_codebooks

    check = "（下書き：要確認）"
    ya, yb = a.survey_year, b.survey_year
    rows: list[dict[str, str]] = [dict(zip(COLUMNS, (ya, "*", "", "", yb, "*", "", "",
                                                     "（下の行にない設問は同じ id・同じ選択肢で同じ概念）", "compare",
                                                     "codebook diff で違いのない設問"), strict=True))]
    per_question: dict[str, tuple[str, str, list[str]]] = {}  # question_b (or _a) -> (level, question_a, reasons)

    def question(qa: str, qb: str, level: str, reason: str) -> None:
        key = qb or qa
        old = per_question.get(key, ("compare", qa, []))
        per_question[key] = (max(old[0], level, key=LEVELS.index), qa, [*old[2], reason])

    def item(qa: str, qb: str, kind: str, id_a: str, id_b: str, concept: str, level: str, reason: str) -> None:
        rows.append({"year_a": ya, "question_a": qa, "row_a": id_a if kind == "row" else "",
                     "option_a": id_a if kind == "option" else "", "year_b": yb, "question_b": qb,
                     "row_b": id_b if kind == "row" else "", "option_b": id_b if kind == "option" else "",
                     "concept": concept, "comparability": level, "reason": reason + check})

    for r in diff_codebooks(a, b).to_dict("records"):
        change, qa, qb = str(r["change"]), str(r["question_a"]), str(r["question_b"])
        kind = "option" if change.startswith("option") else "row" if change.startswith("row") else ""
        label = str(r["label_b"] or r["label_a"])
        if change == "question_added":
            question("", qb, "none", f"{yb}で加わった設問")
        elif change == "question_removed":
            question(qa, "", "none", f"{yb}の調査票にない設問")
        elif change == "question_reworded":
            question(qa, qb, "caution", "設問文が変わった")
        elif change == "type_changed":
            question(qa, qb, "none", f"回答の形式が変わった（{r['label_a']} → {r['label_b']}）")
        elif change == "condition_changed":
            question(qa, qb, "caution", f"回答の条件が変わった（{r['label_a']} → {r['label_b']}）")
        elif change.endswith("_added"):
            item(qa, qb, kind, "", str(r["id_b"]), label, "none", f"{yb}で加わった{'選択肢' if kind == 'option' else '行'}")
        elif change.endswith("_removed"):
            question(qa, qb, "caution", f"{'選択肢' if kind == 'option' else '行'}「{r['id_a']}.{r['label_a']}」が{yb}にない")
        elif change.endswith("_reordered"):
            item(qa, qb, kind, str(r["id_a"]), str(r["id_b"]), label, "compare" if kind == "option" else "caution",
                 "同じ文言で番号が変わった")
        elif change.endswith("_reworded"):
            item(qa, qb, kind, str(r["id_a"]), str(r["id_b"]), label, "caution", "文言が変わった")
    for key, (level, qa, reasons) in per_question.items():
        qb = "" if level == "none" and any(x.endswith("の調査票にない設問") for x in reasons) else key
        rows.insert(1, {"year_a": ya, "question_a": qa, "row_a": "", "option_a": "", "year_b": yb, "question_b": qb,
                        "row_b": "", "option_b": "", "concept": "", "comparability": level,
                        "reason": "、".join(dict.fromkeys(reasons)) + check})
    return rows

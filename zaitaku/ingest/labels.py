"""Option labels a file prints, checked against the codebook: a printed number is never trusted in silence.

A compiled workbook's header may list its options (「問1 協議会の設置（1.設置していない　2.協議会を設置している）」),
an answer may be written 「2.設置していない」 or 「設置していない」, a 調査票 prints each option beside its cell. Labels
are matched to the codebook's (NFKC, rapidfuzz, negation-aware: :func:`zaitaku.ingest.qmatch.score`) one to one.
When the printed number and the printed label disagree with the codebook, the label wins and a problem row says
so; when the file's questionnaire has an option the codebook lacks, :class:`LabelMismatch` stops the file with one
message naming the question and the differing options, saying to draft the codebook from the form.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from zaitaku.ingest.qmatch import score
from zaitaku.ingest.workbook import ReadError
from zaitaku.reference.codebook import Question
from zaitaku.reference.codebook_form import clean_option, printed_listing

MATCH = 75.0  # a printed label and a codebook label at least this similar are the same option
MARGIN = 8.0  # ...and clearly closer than the next option
_ANSWER = re.compile(r"^\s*(\d{1,2}|[A-Ea-e])\s*[.．:：)）]\s*(\S.*)$")


class LabelMismatch(ReadError):
    """The file's questionnaire has an option the codebook lacks (message in Japanese)."""


def fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def printed_options(header: str) -> dict[str, str]:
    """Options a header lists, printed id → label (see :func:`zaitaku.reference.codebook_form.printed_listing`)."""
    return printed_listing(header)


def label_to_option(q: Question, label: str, exclude: frozenset[str] = frozenset()) -> tuple[str | None, float]:
    """(codebook option id, score) that ``label`` names; None when none is close and clearly the closest."""
    hits = sorted(((score(label, o.label), o.id) for o in q.options if o.id not in exclude), reverse=True)
    if not hits or hits[0][0] < MATCH:
        return None, hits[0][0] if hits else 0.0
    if len(hits) > 1 and hits[0][0] - hits[1][0] < MARGIN and hits[0][0] < 100:
        return None, hits[0][0]
    return hits[0][1], hits[0][0]


@dataclass
class PrintedOptions:
    """A column's printed options matched to the codebook: printed id → codebook id, and what differs."""

    printed: dict[str, str]
    to_codebook: dict[str, str] = field(default_factory=dict)
    renumbered: list[str] = field(default_factory=list)
    reworded: list[str] = field(default_factory=list)

    @property
    def note(self) -> str:
        parts = []
        if self.renumbered:
            parts.append("印刷された選択肢の番号がコードブックと違います（" + "、".join(self.renumbered) + "）")
        if self.reworded:
            parts.append("文言の違う選択肢があります（" + "、".join(self.reworded) + "）")
        return "。".join(parts)


def match_printed(q: Question, printed: dict[str, str], where: str) -> PrintedOptions:
    """Match a header's printed options to ``q``'s one to one, best pairs first; :class:`LabelMismatch` when the
    file prints an option the codebook does not have."""
    pairs = sorted(((score(lab, o.label), pid, o.id) for pid, lab in printed.items() for o in q.options), reverse=True)
    out = PrintedOptions(printed)
    used: set[str] = set()
    for s, pid, oid in pairs:
        if s < MATCH or pid in out.to_codebook or oid in used:
            continue
        out.to_codebook[pid] = oid
        used.add(oid)
    unknown = [pid for pid in printed if pid not in out.to_codebook]
    if unknown:
        theirs = "、".join(f"{p}.{printed[p]}" for p in unknown)
        ours = "、".join(f"{o.id}.{o.label}" for o in q.options)
        raise LabelMismatch(
            f"{where}: {q.number}（{q.id}）の選択肢「{theirs}」がコードブック（{ours}）にありません。"
            "このファイルの調査票はコードブックと違う年度・版のものです。その年度の調査票から "
            "`zaitaku codebook draft 調査票.xlsx --year 年度 --out codebook.yaml` でコードブックを作り、"
            "確かめてから `--codebook codebook.yaml` で指定してください")
    for pid, oid in out.to_codebook.items():
        if pid != oid:
            out.renumbered.append(f"{pid}.{printed[pid]} → {oid}.{q.option(oid).label}")
        elif fold(clean_option(printed[pid])[0]) != fold(q.option(oid).label):  # a write-in blank is not a rewording
            out.reworded.append(f"{pid}.{printed[pid]} ＝ {oid}.{q.option(oid).label}")
    return out


def read_by_label(text: str, q: Question, printed: PrintedOptions | None) -> tuple[str | None, str]:
    """(option id, note) for an answer cell read by its label: 「2.設置していない」, 「設置していない」, or a bare
    number translated through the header's printed options. (None, "") when the labels cannot tell."""
    m = _ANSWER.match(text)
    number, label = (m.group(1).upper(), m.group(2).strip()) if m else (None, text.strip())
    if m is None and re.fullmatch(r"\d{1,2}|[A-Ea-e]", label):
        number, label = label.upper(), ""
    by_number = None
    if number is not None:
        by_number = printed.to_codebook.get(number) if printed else (number if number in q.option_ids else None)
    if not label:
        if printed and by_number is not None and by_number != number:
            return by_number, ""  # the column's note says how its numbers were read
        return None, ""
    oid, _ = label_to_option(q, label)
    if oid is None and printed:  # the file's own wording of one of its printed options
        hits = [(score(label, lab), pid) for pid, lab in printed.printed.items()]
        best = max(hits, default=(0.0, ""))
        if best[0] >= 95:
            oid = printed.to_codebook.get(best[1])
    if oid is None:
        return None, ""
    if number is not None and by_number != oid:
        shown = f"{number}.{label}"
        return oid, (f"番号 {number} と文言「{label}」が食い違うため、文言で「{oid}.{q.option(oid).label}」と読みました"
                     if by_number is not None or number not in q.option_ids else
                     f"「{shown}」を文言で「{oid}.{q.option(oid).label}」と読みました")
    return oid, ""


def check_option_column(q: Question, header: str, option_id: str, where: str) -> tuple[str, str]:
    """(option id, note) of a one-option column (○ / 1-0) whose header prints 「n.label」: the label decides when
    it names another option; :class:`LabelMismatch` when it names none and clearly is not the mapped one."""
    last = re.split(r"[|｜\n]", fold(header))[-1].strip()
    m = _ANSWER.match(last)
    if m is None:
        return option_id, ""
    number, label = m.group(1).upper(), m.group(2).strip()
    oid, _ = label_to_option(q, label)
    if oid is None:
        if score(label, q.option(option_id).label) < 50 and number == option_id:
            ours = "、".join(f"{o.id}.{o.label}" for o in q.options)
            raise LabelMismatch(
                f"{where}: {q.number}（{q.id}）の選択肢「{number}.{label}」がコードブック（{ours}）にありません。"
                "その年度の調査票から `zaitaku codebook draft` でコードブックを作り、`--codebook` で指定してください")
        return option_id, ""
    if oid == option_id:
        return option_id, ""
    return oid, (f"見出しの「{number}.{label}」は番号ではコードブックの {option_id}.{q.option(option_id).label} ですが、"
                 f"文言は {oid}.{q.option(oid).label} です")

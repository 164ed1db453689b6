"""The prefectural deck's blocks as data: which question (and which of its rows or options) each
numbered slide shows, in the deck's order.

The codebook carries the deck's numbering (``deck:`` on a question, on matrix rows, and on the
``blocks`` that options belong to). :func:`deck_blocks` turns it into the ordered list the reports,
their notebooks and the slide deck share::

    for b in deck_blocks(codebook):
        b.number, b.title, b.group, b.question_ids   # "2.①", "各団体との関係（郡市区医師会ほか）", …
        for part in b.parts:                          # one question, or a subset of its rows/options
            section = subset_section(build_section(data, part.question_id, focus), part)

A split slide (2.①/2.② by rows, 12.②③④ by option blocks, …) becomes one block per slide; a slide
showing two questions (6, 10, 23 …) is one block with two parts.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

import pandas as pd

from zaitaku.analysis.aggregate import Focus, ProcessedData
from zaitaku.analysis.index import data_index, handed_out
from zaitaku.reference.codebook import NO_ANSWER, Codebook, Question
from zaitaku.report.section import Section, build_section, copy_selected, sentence_for

CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩"
NO_NUMBER = "-"  # a question the deck shows without a block number (問1)


@dataclass(frozen=True)
class Part:
    """One question in a block, or the subset of its rows (matrix) or options shown there."""

    question_id: str
    rows: tuple[str, ...] | None = None
    options: tuple[str, ...] | None = None
    subtitle: str = ""  # what the subset is (「郡市区医師会・歯科医師会…」, the option block's label)

    @property
    def is_subset(self) -> bool:
        return self.rows is not None or self.options is not None


@dataclass(frozen=True)
class Block:
    """One numbered slide of the deck: its number, a title, the report group and what it shows."""

    number: str  # "2.①", "7", "12.③"; "-" when the deck shows it without a number
    title: str
    group: str
    parts: tuple[Part, ...]
    question_numbers: tuple[str, ...] = ()  # 「問2」, 「問4 ①-2.2」 …

    @property
    def question_ids(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(p.question_id for p in self.parts))

    @property
    def anchor(self) -> str:
        """An id usable in HTML: ``deck-2-1`` for 2.①, ``deck-q1`` for an unnumbered block."""
        if self.number == NO_NUMBER:
            return f"deck-{self.parts[0].question_id}"
        return "deck-" + "-".join(str(_number_key(self.number)[i]) for i in (0, 1) if _number_key(self.number)[i])

    @property
    def heading(self) -> str:
        """The block's heading as the reports show it: 「2.① 各団体との関係（問2）」."""
        numbers = "・".join(n for n in self.question_numbers if n.startswith("問"))
        return f"{self.label}（{numbers}）" if numbers else self.label

    @property
    def label(self) -> str:
        if self.number == NO_NUMBER:
            return self.title
        return f"{self.number}{'' if '.' in self.number else '.'} {self.title}"


def _number_key(number: str) -> tuple[int, int]:
    """「12.③」 -> (12, 3); 「7」 -> (7, 0)."""
    m = re.fullmatch(r"\s*(\d+)\s*(?:\.\s*([①-⑩]))?\s*", number)
    if not m:
        raise ValueError(f"deck number {number!r} is not like 「12」 or 「12.③」")
    return int(m.group(1)), (CIRCLED.index(m.group(2)) + 1 if m.group(2) else 0)


def _subset_title(labels: list[str]) -> str:
    if len(labels) <= 2:
        return "".join(f"「{x}」" for x in labels)
    return f"{labels[0]}ほか{len(labels) - 1}項目"


def _parts_of(q: Question) -> list[tuple[str, Part]]:
    """(deck number, part) for each slide one question appears on."""
    if any(r.deck for r in q.rows):
        by_number: dict[str, list[str]] = {}
        for r in q.rows:
            by_number.setdefault(r.deck or q.deck, []).append(r.id)
        if len(by_number) > 1:
            return [(n, Part(q.id, rows=tuple(ids), subtitle=_subset_title([q.row(i).label for i in ids])))
                    for n, ids in by_number.items()]
    if q.blocks and any(o.block for o in q.options):
        out = []
        for name, spec in q.blocks.items():
            ids = [o.id for o in q.options if o.block == name]
            out.append((str(spec["deck"]), Part(q.id, options=tuple(ids), subtitle=str(spec.get("label", "")))))
        # 未回答 goes with the last slide, so that it is shown once
        n, last = out[-1]
        out[-1] = (n, dataclasses.replace(last, options=(*(last.options or ()), NO_ANSWER)))
        return out
    return [(q.deck or NO_NUMBER, Part(q.id))]


def _title(codebook: Codebook, parts: list[Part]) -> str:
    titles = list(dict.fromkeys(codebook[p.question_id].title for p in parts))
    title = "／".join(titles[:2]) + ("ほか" if len(titles) > 2 else "")
    subtitles = list(dict.fromkeys(p.subtitle for p in parts if p.subtitle))
    return f"{title}：{'・'.join(subtitles)}" if subtitles else title


def deck_blocks(codebook: Codebook, group: str | None = None) -> list[Block]:
    """The deck's blocks in its order (a question without a number stays after the block before it).

    With ``group``, only that report's blocks. Every question of the codebook appears in exactly one
    or more blocks; every row and option of a split question in exactly one.
    """
    entries: list[tuple[tuple[int, int], int, str, Part]] = []
    last_key = (0, 0)
    for i, q in enumerate(codebook):
        for number, part in _parts_of(q):
            sort_key = last_key if number == NO_NUMBER else _number_key(number)
            entries.append((sort_key, i, number, part))
            last_key = sort_key
    entries.sort(key=lambda e: (e[0], e[2] == NO_NUMBER, e[1]))
    parts_of: dict[str, list[Part]] = {}  # deck number (or question id when unnumbered) -> parts
    order: list[tuple[str, str]] = []  # (key, number)
    for _, _, number, part in entries:
        key = part.question_id if number == NO_NUMBER else number
        if key not in parts_of:
            parts_of[key] = []
            order.append((key, number))
        parts_of[key].append(part)
    out = []
    for key, number in order:
        parts = parts_of[key]
        qids = list(dict.fromkeys(p.question_id for p in parts))
        out.append(Block(number, _title(codebook, parts), codebook[qids[0]].group, tuple(parts),
                         tuple(codebook[q].number for q in qids)))
    if group is not None:
        if group not in codebook.groups:
            raise KeyError(f"unknown group {group!r}; groups: {', '.join(codebook.groups)}")
        out = [b for b in out if b.group == group]
    return out


def _restricted(section: Section, part: Part) -> tuple[pd.DataFrame, dict, str]:
    """A Section's figures, answers and sentence restricted to a part's rows or options."""
    f = section.figures
    keep = f.index == f.index
    if part.rows is not None:
        keep &= f["row_id"].isin(part.rows)
    if part.options is not None:
        keep &= f["option_id"].isin(part.options)
    figures = f[keep].reset_index(drop=True)
    selected = dict(section.selected)
    if part.rows is not None:
        selected = {r: v for r, v in selected.items() if r in part.rows}
    if part.options is not None:
        selected = {r: (None if v is None else [o for o in v if o in part.options]) for r, v in selected.items()}
    return figures, selected, sentence_for(section.question, figures, section.focus, selected, section.codebook)


def _with_part(section: Section, part: Part, figures: pd.DataFrame, selected: dict, sentence: str) -> Section:
    return dataclasses.replace(section, figures=figures, selected=selected, sentences=[sentence] if sentence else [],
                               extras=dict(section.extras, part=part))


def subset_section(section: Section, part: Part) -> Section:
    """The Section restricted to a part's rows or options (figures, answers and sentences)."""
    if not part.is_subset:
        return section
    return _with_part(section, part, *_restricted(section, part))


def part_section(data: ProcessedData, part: Part, focus: Focus, national: str = "auto") -> Section:
    """The Section of a block's part, as ``subset_section(build_section(...), part)``; the restriction,
    like the Section, is computed once per data set, part, focus and national rule (kept in the data
    index's bounded cache, so a municipality's reports and its deck share it), and every call returns
    a Section of its own (shallow copies: under copy-on-write a write stays in them)."""
    section = build_section(data, part.question_id, focus, national)
    if not part.is_subset:
        return section
    figures, selected, sentence = data_index(data).recent(
        f"part:{part!r}:{national}:{focus!r}", lambda: _restricted(section, part))
    return _with_part(section, part, handed_out(figures), copy_selected(selected), sentence)


def block_sections(data: ProcessedData, block: Block, focus: Focus, national: str = "computed") -> list[Section]:
    """The Sections a block shows (one per part), for the reports and the slide deck."""
    return [part_section(data, p, focus, national) for p in block.parts]


def is_paired(block: Block, codebook: Codebook) -> bool:
    """Whether a block shows two or more questions with the same options (deck 23: priority and
    expected support), so that their figures can stand side by side."""
    qids = block.question_ids
    return len(qids) > 1 and len({codebook[q].option_ids for q in qids}) == 1


def side_by_side(sections: list[Section]) -> pd.DataFrame:
    """Options down; for each question, the focus's answer (○), its prefecture's and the nation's share
    across (the same-type scope is left to the charts, to keep the table narrow)."""
    from zaitaku.report import format as fmt

    columns = {}
    for s in sections:
        q, f = s.question, s.figures
        title = q.title
        if s.focus.code:
            chosen = set(s.selected.get("") or [])
            options = f.drop_duplicates("option_id")
            columns[(title, s.focus.name or "")] = pd.Series(
                ["○" if o in chosen else "" for o in options["option_id"]], index=options["option_label"])
        for label, d in f[f["scope"].isin(["prefecture", "nation"])].groupby("scope_label", sort=False):
            cells = [fmt.cell(a, b, c) for a, b, c in zip(d["n_selected"], d["n_base"], d["share"], strict=True)]
            columns[(title, str(label))] = pd.Series(cells, index=d["option_label"].to_numpy())
    table = pd.DataFrame(columns).fillna(fmt.MISSING)
    table.index.name = None
    return table

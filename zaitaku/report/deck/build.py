"""Assemble a deck: title, 調査の概要, one slide per deck block (in the deck's order), まとめ, closing.

::

    prs, built = build_deck(data, focus, national="auto")
    path = write_deck(data, focus, out_dir)            # <out_dir>/R3_32_島根県.pptx

``built`` lists each block with the Sections its slide shows (the figures behind every chart), so
callers and tests can check the charts against :func:`zaitaku.report.section.build_section`.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import jinja2
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment
from pptx import Presentation
from pptx.presentation import Presentation as PresentationType

from zaitaku.analysis.aggregate import Focus, ProcessedData, covers_nation
from zaitaku.files import atomic
from zaitaku.reference.codebook_source import describe
from zaitaku.report.blocks import Block, deck_blocks, part_section
from zaitaku.report.deck import slides
from zaitaku.report.deck.accessibility import finish_deck
from zaitaku.report.deck.parts import number_parts_as_added
from zaitaku.report.deck.style import SLIDE_HEIGHT, SLIDE_WIDTH
from zaitaku.report.deck.summary import standing_summary
from zaitaku.report.format import SMALL_N
from zaitaku.report.section import Section

TEMPLATES = Path(__file__).resolve().parent / "templates"
CLOSING_TEMPLATE = TEMPLATES / "closing.txt.j2"
# characters XML 1.0 (and so PowerPoint) cannot hold: controls other than tab, LF and CR
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
SURVEY_YEAR_JA = {"R3": "令和3年度", "R4": "令和4年度", "R5": "令和5年度", "R6": "令和6年度"}


@dataclass(frozen=True)
class BuiltBlock:
    block: Block
    sections: tuple[Section, ...]
    slide_index: int


def block_sections(data: ProcessedData, focus: Focus, national: str) -> list[tuple[Block, list[Section]]]:
    """Each deck block with the Sections (subset to the block's rows/options) its slide shows."""
    return [(block, [part_section(data, part, focus, national) for part in block.parts])
            for block in deck_blocks(data.codebook)]


def _respondents(data: ProcessedData, focus: Focus) -> list[str]:
    m = data.municipalities
    answered = m[m["responded"]]
    in_pref = answered[answered["pref_code"] == focus.pref_code]
    lines = [f"{focus.pref_name}：{len(in_pref)}市町村が回答"
             f"（{focus.pref_name}の市町村 {int((m['pref_code'] == focus.pref_code).sum())}）"]
    if covers_nation(data):
        lines.append(f"全国：{len(answered):,}市区町村が回答")
    if focus.code and focus.type:
        same = answered[answered["type"] == focus.type]
        if covers_nation(data):
            lines.append(f"全国の{focus.type}：{len(same):,}が回答")
    return lines


def _how_to_read(focus: Focus, national: str) -> list[str]:
    if focus.code:
        lines = [f"ピンク色が{focus.name}の回答です。ほかの棒は、比べる相手（{focus.pref_name}の市町村、"
                 f"全国の{focus.type}、全国）の回答割合です。"]
    else:
        lines = [f"ピンク色（棒・枠）が{focus.pref_name}の市町村の回答割合です。灰色は全国です。"]
    lines += [
        "割合の分母（n）は設問の対象となった市町村数で、グラフの項目名・凡例に示しています。未回答も一つの選択肢として数えます。",
        f"分母が{SMALL_N}未満の場合は割合ではなく「該当数/分母」で示します。",
        "単一回答の設問は帯グラフ（合計100%）、複数回答の設問は選択肢ごとの棒グラフです。",
        "グラフはPowerPointのグラフです。右クリック→「データの編集」で数値を確認・変更できます。各スライドのノートに数値と出典があります。",
    ]
    if national == "published":
        lines.append("全国の値は厚生労働省資料等の公表値を用い、公表値のない設問はノートと注記に示します。")
    return lines


def closing_text(focus: Focus, survey: str, year: str, template: Path | None = None,
                 contact: str = "") -> tuple[str, list[str]]:
    """(title, paragraphs) of the closing page, rendered from the template the prefecture edits."""
    path = Path(template) if template else CLOSING_TEMPLATE
    if not path.is_file():
        raise FileNotFoundError(f"結びのページのテンプレート {path} が見つかりません")
    bad = CONTROL.search(contact)
    if bad:
        raise ValueError(f"連絡先に使えない制御文字（U+{ord(bad.group()):04X}）があります。取り除いてください")
    # the template comes from users: a sandbox keeps it from reaching Python (no os, no attributes with _)
    env = SandboxedEnvironment(autoescape=False, trim_blocks=True, lstrip_blocks=True,
                               undefined=jinja2.StrictUndefined, keep_trailing_newline=False)
    try:
        text = env.from_string(path.read_text(encoding="utf-8")).render(
            prefecture=focus.pref_name, area=slides.who(focus), survey=survey, year=year, contact=contact)
    except SecurityError as exc:
        raise ValueError(f"結びのページのテンプレート {path}：テンプレートで使えない操作があります（{exc}）") from exc
    except jinja2.TemplateError as exc:
        raise ValueError(f"結びのページのテンプレート {path}：{exc}") from exc
    bad = CONTROL.search(text)
    if bad:
        raise ValueError(f"結びのページのテンプレート {path} に使えない制御文字（U+{ord(bad.group()):04X}）があります")
    lines = [x.strip() for x in text.splitlines() if x.strip()]
    if not lines:
        raise ValueError(f"結びのページのテンプレート {path} が空です（1行目がタイトルです）")
    return lines[0], lines[1:]


def build_deck(data: ProcessedData, focus: Focus, national: str = "auto", *,
               closing_template: Path | None = None, contact: str = "",
               timing: bool = False) -> tuple[PresentationType, list[BuiltBlock]]:
    """The whole deck in memory, and each block's slide with the Sections behind it."""
    cb = data.codebook
    year = SURVEY_YEAR_JA.get(cb.survey_year, cb.survey_year)
    survey = cb.title.split("（")[0]
    ctx = slides.DeckContext(focus, survey, year, data.synthetic, data.data_hash, national,
                             describe(data.codebook)["label"])
    prs = Presentation()
    number_parts_as_added(prs)
    prs.slide_width, prs.slide_height = SLIDE_WIDTH, SLIDE_HEIGHT
    prs.core_properties.title = f"{slides.who(focus)} {survey}"
    prs.core_properties.subject = "zaitaku deck" + ("（デモ用の架空データ）" if data.synthetic else "")
    slides.title_slide(prs, ctx)
    slides.overview_slide(prs, ctx, _respondents(data, focus), _how_to_read(focus, national))
    blocks = block_sections(data, focus, national)
    built = []
    for block, sections in blocks:
        slides.block_slide(prs, ctx, block, sections)
        built.append(BuiltBlock(block, tuple(sections), len(prs.slides) - 1))
    from zaitaku.report.deck.trend_slide import changes_slide

    changes_slide(prs, ctx, data, focus, national)  # only when the folder holds more than one year
    left, right = standing_summary(data, focus, national)
    slides.summary_slide(prs, ctx, left, ["作成元：zaitaku.analysis.standing.summary_for"], right=right)
    title, body = closing_text(focus, survey, year, closing_template, contact)
    slides.closing_slide(prs, ctx, title, body)
    if timing:
        from zaitaku.report.deck.timing_slides import add_timing_slides

        add_timing_slides(prs, ctx)
    finish_deck(prs)
    return prs, built


def deck_filename(focus: Focus, survey_year: str) -> str:
    def safe(name: str) -> str:
        return "".join("_" if (c in '/\\:*?"<>|' or c.isspace()) else c for c in str(name)) or "_"

    if focus.code:
        return f"{survey_year}_{focus.code}_{safe(focus.name or '')}.pptx"
    return f"{survey_year}_{focus.pref_code}_{safe(focus.pref_name)}.pptx"


def to_bytes(prs: PresentationType) -> bytes:
    buf = io.BytesIO()
    prs.save(buf)
    return buf.getvalue()


def write_deck(data: ProcessedData, focus: Focus, out_dir: Path | str, national: str = "auto", *,
               closing_template: Path | None = None, contact: str = "", timing: bool = False) -> Path:
    """Build the deck (options as :func:`build_deck`) and write it atomically into ``out_dir``; returns its path."""
    prs, _ = build_deck(data, focus, national, closing_template=closing_template, contact=contact, timing=timing)
    path = Path(out_dir) / deck_filename(focus, data.codebook.survey_year)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic.write_bytes(path, to_bytes(prs))
    return path


def slide_titles(prs: PresentationType) -> Sequence[str]:
    return [s.shapes.title.text if s.shapes.title is not None else "" for s in prs.slides]

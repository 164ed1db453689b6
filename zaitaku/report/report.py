"""What a report notebook calls: title and overview, まとめ, one section per deck block, footer.

A notebook reads as the prefectural deck: a markdown heading per deck block (its number and
question), then a code cell that shows the block and returns its :class:`Section`::

    rep = Report("partnerships", municipality_code, prefecture, survey_year, data_dir, national, figures_csv)
    rep.header()
    rep.summary()
    s = rep.section("q2", block="2.①")   # the rows of 問2 the deck shows on slide 2.①
    s.figures                             # the numbers behind the chart (a DataFrame)
    s.chart()                             # the chart as a matplotlib Figure, to adapt
    rep.footer()

Each call displays HTML built from the templates in ``templates/report/`` (autoescaped). The
figures behind every chart are collected and written by :meth:`Report.footer` as one
UTF-8-with-BOM CSV when ``figures_csv`` is set.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
from IPython.display import HTML, display

from zaitaku import __version__
from zaitaku.analysis.aggregate import (
    NATIONAL_CHOICES,
    ProcessedData,
    covers_nation,
    focus_of,
    load_processed,
)
from zaitaku.analysis.free_text import free_text_for
from zaitaku.analysis.problems import EXCLUDED, problem_counts, problems_for
from zaitaku.analysis.standing import EXCLUDED_GROUPS, summary_for
from zaitaku.files import atomic
from zaitaku.lookup import InputError
from zaitaku.paths import PROCESSED_DATA_DIR
from zaitaku.reference.codebook import Question
from zaitaku.reference.codebook_source import describe, require_codebook
from zaitaku.report import html as rh
from zaitaku.report.blocks import (
    Block,
    Part,
    block_sections,
    deck_blocks,
    part_section,
    side_by_side,
)
from zaitaku.report.format import SMALL_N
from zaitaku.report.html_summary import (
    free_text_lines,
    prefecture_problem_lines,
    problem_lines,
    summary_view,
)
from zaitaku.report.opendata import with_codes
from zaitaku.report.section import (
    Section,
    coverage_note,
    mark_shown,
    municipality_answers,
)

JST = dt.timezone(dt.timedelta(hours=9), "JST")
SURVEY_YEAR_JA = {"R3": "令和3年度", "R4": "令和4年度", "R5": "令和5年度", "R6": "令和6年度"}
NOTE_CLASS = rh.NOTE_CLASS  # kept for the explorer
SUMMARY_SCOPE_ALL = "課題と都道府県の支援は取組の有無ではないため、このまとめは調査全体の取組で比べています。"


def free_texts(section: Section, data: ProcessedData) -> list[str]:
    """「その他」 text written for this question (and part): the municipality's own, or in prefecture
    mode each municipality's, prefixed with its name."""
    q, focus = section.question, section.focus
    part = section.extras.get("part")
    texts = free_text_for(data, q.id, code=focus.code or None, pref_code=None if focus.code else focus.pref_code)
    rows = part.rows if isinstance(part, Part) else None
    options = part.options if isinstance(part, Part) else None
    return free_text_lines(texts, rows, options, with_names=not focus.code)


def jst_now(now: dt.datetime | None = None) -> str:
    """「2026年12月4日 22:05（日本時間）」."""
    t = (now or dt.datetime.now(dt.timezone.utc)).astimezone(JST)
    return f"{t.year}年{t.month}月{t.day}日 {t:%H:%M}（日本時間）"


class Report:
    """One report: a question group for a municipality, or for a prefecture (prefecture mode)."""

    def __init__(self, group: str, municipality_code: str = "", prefecture: str = "",
                 survey_year: str = "R3", data_dir: str | Path = "",
                 national: str = "auto", figures_csv: str = "", codebook: str | Path = "") -> None:
        if national not in NATIONAL_CHOICES:
            raise ValueError(f"national は {'・'.join(NATIONAL_CHOICES)} のいずれかです（{national!r} が指定されました）")
        data_dir = data_dir or PROCESSED_DATA_DIR
        if codebook:  # must be the one the data was ingested with
            require_codebook(codebook, data_dir)
        self.group = group
        self.params = {"municipality_code": municipality_code, "prefecture": prefecture,
                       "survey_year": survey_year, "data_dir": str(data_dir), "national": national}
        self.data = load_processed(data_dir, survey_year)
        self.codebook = self.data.codebook
        if self.codebook.survey_year != survey_year:
            raise InputError(f"調査年度が {survey_year} と指定されましたが、データは {self.codebook.survey_year} の調査です。")
        try:
            self.focus = focus_of(self.data, str(municipality_code or ""), str(prefecture or ""))
        except ValueError as exc:  # the parameters cell: a code that is not a municipality, nothing given
            raise InputError(f"市区町村コード「{municipality_code}」・都道府県「{prefecture}」から報告書の対象が"
                             "決まりません。6桁の市区町村コード（例：322016）か、都道府県名（例：島根県）を"
                             "指定してください。") from exc
        self.national = national
        self.figures_csv = figures_csv
        self.figures: list[pd.DataFrame] = []
        self.blocks: list[Block] = deck_blocks(self.codebook, group)
        self.questions: list[Question] = [self.codebook[q] for b in self.blocks for q in b.question_ids]
        self._shown: set[str] = set()
        self._sections: dict[tuple[str, str | None], Section] = {}  # shown so far, by (question, block)
        self._years: dict[str, ProcessedData] | None = None

    # ------------------------------------------------------------------ pieces
    @property
    def group_label(self) -> str:
        return self.codebook.groups[self.group]

    @property
    def title(self) -> str:
        f = self.focus
        who = f"{f.name}（{f.pref_name}）" if f.code else f"{f.pref_name}（都道府県集計）"
        return f"{who} 在宅医療・介護連携推進事業 実施状況：{self.group_label}"

    def navigation(self) -> rh.Navigation:
        f = self.focus
        return rh.navigation(self.group, self.codebook.groups, f.pref_name, not f.code, f.name or "")

    def overview(self) -> dict[str, object]:
        f, m = self.focus, self.data.municipalities
        answered = m[m["responded"]]
        in_pref = int((answered["pref_code"] == f.pref_code).sum())
        if covers_nation(self.data):
            respondents = f"全国 {len(answered):,} 市区町村が回答しました（うち{f.pref_name} {in_pref} 市町村）。"
        else:
            respondents = f"このデータには {len(answered):,} 市区町村の回答があります（うち{f.pref_name} {in_pref} 市町村）。"
        if f.code:
            kind = f"{f.peer_label}、" if f.peer and covers_nation(self.data) else ""
            subject = (f"{f.name}（{f.peer}）の回答を、{f.pref_name}の市町村、{kind}{self.nation_words()}と比べます。"
                       f"見出しの番号は県の説明資料（スライド）の番号です。")
            focus_line = f"ピンク色（棒・枠）が{f.name}の回答です。ほかの棒は、比べる相手（県内の市町村、全国など）の回答割合です。"
        else:
            subject = (f"{f.pref_name}の市町村の回答を{self.nation_words()}と比べます。"
                       "見出しの番号は県の説明資料（スライド）の番号です。")
            focus_line = f"ピンク色が{f.pref_name}の市町村の割合です。各設問の後に県内市町村の回答一覧があります。"
        how = [focus_line,
               "割合の分母（n）は設問の対象となった市町村数です。未回答も一つの選択肢として数えます。",
               f"分母が{SMALL_N}未満の場合は割合ではなく「該当数/分母」で示します。",
               "グラフの下の「数値」を開くと、グラフの数値を表で確認できます。"]
        if self.national == "published":
            how.append("全国の値は公表値（厚生労働省資料）を用い、公表値のない設問は注記します。")
        return {"survey": self.codebook.title.split("（")[0], "year": self.codebook.survey_year,
                "subject": subject, "respondents": respondents, "how_to_read": how}

    def header(self) -> None:
        f = self.focus
        who = f.name if f.code else f"{f.pref_name}全体"
        display(HTML(rh.render(
            "header.html.j2", css=rh.markup(rh.CSS), title=self.title, nav=self.navigation(),
            synthetic=self.data.synthetic, overview=self.overview(), problems=self.problems(),
            page_header=f"{who}　{rh.short_group_label(self.group_label)}")))

    def nation_words(self) -> str:
        """What the national bars are, in the overview's words (the notes under each chart say more)."""
        if self.national != "published" and covers_nation(self.data):
            return "全国"
        if self.national == "computed":
            return "手元データ全体（全国ではありません）"
        return "全国の公表値（公表値のある設問）"

    def problems(self) -> dict[str, object]:
        """Notes near the top: the ingest problems (each with what was done: excluded, read as 未回答, not
        asked), counted by what was done, and what the data covers."""
        if self.focus.code:
            mine = problems_for(self.data, self.focus.code)
            lines = problem_lines(mine)
            count = len(mine)
            by_kind = "、".join(f"{k} {n} 件" for k, n in mine["kind_ja"].value_counts(sort=False).items())
            excluded = bool((mine["kind"] == EXCLUDED).any())
        else:
            lines = prefecture_problem_lines(problem_counts(self.data), self.focus.pref_code)
            count, by_kind, excluded = 0, "", False
        note = coverage_note(self.data, self.focus)
        return {"lines": lines, "count": count, "by_kind": by_kind, "excluded": excluded,
                "notes": [note] if note else []}

    def summary(self) -> object:
        """まとめ: ahead of / behind the prefecture and the same kind (largest gaps first), and whom to
        learn from (rules stated under the lists). Returns the :class:`~zaitaku.analysis.standing.Summary`."""
        whole = self.group in EXCLUDED_GROUPS
        s = summary_for(self.data, self.focus, self.national, None if whole else self.group)
        view = summary_view(s, SUMMARY_SCOPE_ALL if whole else "")
        display(HTML(rh.render("summary.html.j2", summary=view)))
        if len(self.years) > 1:
            from zaitaku.report.trend_html import largest_changes

            qs = list({q.id: q for q in self.questions}.values())
            lines = largest_changes(self.years, self.codebook.survey_year, qs, self.focus, self.national)
            if self.focus.code:
                lines = largest_changes(self.years, self.codebook.survey_year, qs, self.focus, self.national,
                                        scope="municipality") + lines
            display(HTML(rh.render("trend_summary.html.j2", lines=lines)))
        return s

    def block(self, number: str) -> Block:
        """The deck block ``number`` (「2.①」, 「7」) of this report."""
        for b in self.blocks:
            if b.number == number:
                return b
        raise InputError(f"このレポートに資料番号「{number}」のブロックはありません"
                         f"（あるもの：{'、'.join(b.number for b in self.blocks)}）。")

    def part(self, question_id: str, block: str | None = None) -> Part:
        if block is not None:
            for p in self.block(block).parts:
                if p.question_id == question_id:
                    return p
            raise InputError(f"資料 {block} に設問「{question_id}」はありません"
                             f"（あるもの：{'、'.join(p.question_id for p in self.block(block).parts)}）。")
        return Part(question_id)

    def build(self, question_id: str, block: str | None = None) -> Section:
        """The Section of one question (or of the part of it deck block ``block`` shows)."""
        return part_section(self.data, self.part(question_id, block), self.focus, self.national)

    def section(self, question_id: str | Section, block: str | None = None) -> Section | None:
        """Display one question (or its part in deck block ``block``) and return its Section.

        Pass a Section (e.g. one whose figures or chart you adapted) to display that instead.
        """
        if isinstance(question_id, str) and self._of_another_year(question_id):
            display(HTML(self.absent_html(question_id)))
            return None
        s = question_id if isinstance(question_id, Section) else self.build(question_id, block)
        self._sections[(s.question.id, block)] = s
        self.figures.append(s.figures.assign(deck_block=block or s.question.deck))
        display(HTML(self.section_html(s)))
        mark_shown(s)  # as a cell's last line, the returned Section is not shown a second time
        return s

    def _of_another_year(self, question_id: str) -> bool:
        """An id of another year's questionnaire (R3's 問4 ①-9 in an R4 report), not of this year's."""
        if question_id in {q.id for q in self.codebook}:
            return False
        from zaitaku.reference.codebook import load_codebook
        from zaitaku.reference.codebook_source import built_in_years

        return any(question_id in {q.id for q in load_codebook(y)} for y in built_in_years())

    def absent_html(self, question_id: str) -> str:
        """A question of another year's questionnaire that this year's lacks (the notebooks list every year's)."""
        from zaitaku.reference.published import year_ja

        year = self.codebook.survey_year
        others = [(y, d.codebook[question_id]) for y, d in self.years.items()
                  if question_id in {q.id for q in d.codebook}]
        name = f"{others[-1][1].number} {others[-1][1].title}" if others else question_id
        held = "・".join(year_ja(y) for y, _ in others)
        where = f"（{held}の調査票にはあります）" if held else ""
        return rh.render("absent.html.j2", text=f"{name} は{year_ja(year)}の調査票にない設問です{where}。")

    def section_html(self, s: Section) -> str:
        q = s.question
        anchor = "" if q.id in self._shown else q.id  # the first part of a question carries its id
        self._shown.add(q.id)
        part = s.extras.get("part")
        municipalities = None
        if self.focus.is_prefecture_mode:
            table = municipality_answers(self.data, q, self.focus.pref_code)
            if isinstance(part, Part) and part.rows is not None:
                table = table[[q.row(r).label for r in part.rows]]
            municipalities = {"count": len(table),
                              "legend": "、".join(f"{o.id}={o.label}" for o in q.options),
                              "table": rh.markup(table.to_html(classes="municipal-answers", border=0, escape=True))}
        blocks = [b for b in self.blocks if q.id in b.question_ids]
        shared = any(len(b.question_ids) > 1 for b in blocks)  # the heading alone does not name it
        return self._section_markup(s, q, anchor, shared, part, municipalities) + self.trend_html(q)

    @property
    def years(self) -> dict[str, ProcessedData]:
        """Every survey year the processed folder holds (the report's own year included), loaded once."""
        if self._years is None:
            from zaitaku.analysis.processed import load_years

            self._years = load_years(self.data.data_dir)
        return self._years

    def trend_html(self, q: Question) -> str:
        """年度の推移 under a question ("" when the folder holds one year only)."""
        from zaitaku.report.trend_html import trend_html

        years = self.years
        if len(years) < 2:
            return ""
        return trend_html(years, self.codebook.survey_year, q, self.focus, self.national)

    def _section_markup(self, s: Section, q: Question, anchor: str, shared: bool, part: object,
                        municipalities: dict | None) -> str:
        return rh.render(
            "section.html.j2", q=q, anchor=anchor, show_label=shared,
            subtitle=part.subtitle if isinstance(part, Part) else "",
            notes=[{"css": rh.NOTE_CLASS[n.kind], "text": n.text} for n in s.notes],
            chart=rh.markup(s.chart_html()), sentences=s.sentences, free_texts=free_texts(s, self.data),
            open_table=not q.is_matrix,
            table=rh.markup(s.table_html()),
            municipalities=municipalities)

    def side_by_side(self, number: str) -> pd.DataFrame:
        """Display the questions of deck block ``number`` side by side in one table and return it."""
        block = self.block(number)
        split = any(p.is_subset for p in block.parts)
        shown = [self._sections.get((q, block.number if split else None)) for q in block.question_ids]
        sections = ([s for s in shown if s is not None] if all(shown)
                    else block_sections(self.data, block, self.focus, self.national))
        table = side_by_side(sections)
        titles = "」と「".join(self.codebook[q].title for q in block.question_ids)
        who = self.focus.name if self.focus.code else self.focus.pref_name
        note = (f"「{titles}」を選択肢ごとに並べました。"
                + (f"○は{who}が選んだ選択肢です。" if self.focus.code else ""))
        html = table.to_html(classes="figures side-by-side", border=0, escape=True)
        display(HTML(rh.render("pair.html.j2", title="並べて比べる", note=note, table=rh.markup(html))))
        return table

    @staticmethod
    def _table_html(q: Question, s: Section) -> str:
        """The figures table under a chart (collapsed for matrices); the explorer shows it too."""
        table = rh.markup(s.table_html())
        return rh.render("figures_table.html.j2", table=table, open_table=not q.is_matrix)

    def footer(self) -> None:
        """Provenance footer; writes the figures CSV (if asked) and links it."""
        csv_name = ""
        if self.figures_csv:
            path = Path(self.figures_csv)
            figures = pd.concat(self.figures, ignore_index=True) if self.figures else pd.DataFrame()
            figures = with_codes(figures, self.codebook.survey_year)
            atomic.write_csv(figures, path, excel=True)
            csv_name = path.name
        display(HTML(rh.render("footer.html.j2", synthetic=self.data.synthetic, csv_name=csv_name,
                               rows=self.footer_rows(), nav=self.navigation())))

    def footer_rows(self) -> list[tuple[str, str]]:
        """The provenance table in plain Japanese: survey and year, whom it is about, the data and its
        files, the codebook and data versions, and when it was made (Japan time)."""
        meta, f = self.data.meta, self.focus
        raw = "、".join(f"{r['name']}（md5 {r['md5'][:12]}）" for r in meta.get("raw_files", []))
        kind = "デモ用の架空データ" if self.data.synthetic else "都道府県の回答ファイルから取り込んだデータ"
        nation = {"auto": "データが全国を含むときはデータから集計、含まないときは厚生労働省の公表値",
                  "computed": "手元のデータから集計", "published": "厚生労働省の公表値"}[self.national]
        return [
            ("調査", self.codebook.title.split(" ", 1)[-1]),
            ("調査年度", SURVEY_YEAR_JA.get(self.codebook.survey_year, self.codebook.survey_year)),
            ("対象", f"{f.name}（{f.pref_name}、市区町村コード {f.code}）" if f.code else f"{f.pref_name}（都道府県集計）"),
            ("データ", f"{kind}" + (f"：{raw}" if raw else "")),
            ("全国の値", nation),
            ("コードブック", describe(self.codebook)["label"]),
            ("データの版", f"{self.data.data_hash[:12]}（取り込んだデータの md5）"),
            ("作成", f"zaitaku {__version__}"),
            ("作成日時", jst_now()),
        ]



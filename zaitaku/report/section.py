"""One question for one focus, built once: figures, chart, sentences, notes and table.

A :class:`Section` is what the reports, the explorer, the tutorials and the slide deck share::

    s = build_section(data, "q1", focus, national="auto")
    s.figures            # the comparison frame behind the chart (one row per scope × row × option)
    s.chart()            # a matplotlib Figure (not shown, not attached to pyplot): adapt it freely
    s.sentences          # the generated sentences under the chart
    s.notes              # conditions, source and national-figure notes (:class:`Note`, plain text)
    s.figures[s.figures.is_group]   # the codebook's option groups (option_id ``grp:<id>``), e.g. 協力している
    s.table()            # the figures as a formatted wide table (項目 × 集計範囲)

Nothing here writes HTML: :mod:`zaitaku.report.html` turns a Section into markup.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import NamedTuple

import pandas as pd
from markupsafe import Markup
from matplotlib.figure import Figure

from zaitaku.analysis.aggregate import (
    NOT_NATION_LABEL,
    Focus,
    ProcessedData,
    comparison,
    covers_nation,
    national_coverage,
    selected_options,
    without_groups,
)
from zaitaku.analysis.index import data_index, handed_out
from zaitaku.lookup import find_question
from zaitaku.reference.codebook import NO_ANSWER, Codebook, Question
from zaitaku.report import format as fmt
from zaitaku.report.charts import chart_kind, chart_markup, draw
from zaitaku.report.charts.axes import axes_chart
from zaitaku.report.charts.cache import frame_digest
from zaitaku.report.narrative import (
    matrix_sentence,
    multi_sentence,
    not_asked_sentence,
    single_sentence,
)

Selected = dict[str, list[str] | None]  # row id ("" outside matrices) -> options chosen; None = not asked


class Note(NamedTuple):
    """A note beside a chart: ``kind`` is condition, source (reconstructed wording) or national."""

    kind: str
    text: str


def chart_for(q: Question, df: pd.DataFrame, selected: Selected, focus_scope: str) -> Figure:
    """The house chart of one question: stacked bars (single), option bars (multi), bars of the share
    that does (yes/no matrices), a grid (other matrices). A fresh Figure, not attached to pyplot."""
    return draw(chart_kind(q.type, df), df, selected, focus_scope)


def sentence_for(q: Question, df: pd.DataFrame, focus: Focus, selected: Selected, codebook: Codebook) -> str:
    """The generated sentence(s) under a chart; says first when the municipality was not asked."""
    if q.is_matrix:
        sentence = matrix_sentence(df, q, focus, selected or None)
    elif q.is_multi:
        sentence = multi_sentence(df, focus, selected.get(""))
    else:
        sentence = single_sentence(df, focus, selected.get(""), q)
    responded = not focus.code or not df[df["scope"] == "municipality"].empty
    if responded and selected and all(v is None for v in selected.values()):
        sentence = not_asked_sentence(q, focus, codebook) + sentence
    return sentence


def selected_of(data: ProcessedData, focus: Focus, q: Question) -> Selected:
    """What the focus municipality chose in each row (empty in prefecture mode)."""
    if not focus.code:
        return {}
    return {row: selected_options(data, focus.code, q.id, row) for row in q.row_ids}


def question_notes(q: Question, codebook: Codebook) -> list[Note]:
    """Who was asked, and whether the option wording is reconstructed."""
    notes = []
    if q.asked_if:
        notes.append(Note("condition", f"対象：{q.asked_if.describe(codebook)}"))
    if q.source == "reconstructed":
        notes.append(Note("source", f"※ 選択肢は公表資料で確認できなかったため推定したものです（{q.source_note}）"))
    return notes


def national_note(data: ProcessedData, q: Question, df: pd.DataFrame, national: str = "auto") -> Note | None:
    """Where the national figure comes from, when it is not simply computed from data that covers the nation."""
    nat = df[df["scope"] == "nation"]
    if (nat["source"] == "published").any():
        from zaitaku.reference.published import published_note

        note = published_note(q.id, data.codebook.survey_year)
        return Note("published", f"※ {note}") if note else None
    cov = national_coverage(data)
    if len(nat) and (nat["scope_label"] == NOT_NATION_LABEL).any():
        return Note("national", f"※ {cov.describe()}。「{NOT_NATION_LABEL}」は手元のデータの合計で、全国の値ではありません。")
    if len(nat):
        if national == "published":
            return Note("national", "※ この設問には全国の公表値がないため、全国の棒は手元データからの集計値です"
                                    f"（n={int(nat['n_base'].max()):,}）。")
        return None
    from zaitaku.reference.published import other_year_note, year_ja

    year = data.codebook.survey_year
    other = other_year_note(q.id, year)
    if other:
        return Note("national", f"※ この設問には{year_ja(year)}の全国の公表値がなく、{cov.describe(clause=True)}ため、"
                                f"全国の値は表示していません。{other}")
    return Note("national", f"※ この設問には全国の公表値がなく、{cov.describe(clause=True)}ため、全国の値は表示していません。")


def coverage_note(data: ProcessedData, focus: Focus) -> str | None:
    """Once per page: why there is no same-kind (peer) comparison when the data does not cover the nation."""
    if covers_nation(data):
        return None
    cov = national_coverage(data)
    peer = f"{focus.peer_label}との比較や、" if focus.peer else ""
    return (f"{cov.describe()}。{peer}全国の値はデータから計算できないため、全国は公表値のある設問だけ"
            "公表値（調査年度とnを併記）で示します。")


def figures_table(q: Question, df: pd.DataFrame) -> pd.DataFrame:
    """The figures as shown under a chart: options (× rows) down, comparison scopes across."""
    d = df[df["scope"] != "municipality"]
    values = [fmt.table_cell(s, b, sh) for s, b, sh in zip(d["n_selected"], d["n_base"], d["share"], strict=True)]
    d = d.assign(値=values)
    index = ["row_label", "option_label"] if q.is_matrix else ["option_label"]
    wide = d.pivot_table(index=index, columns="scope_label", values="値", aggfunc="first", sort=False)
    wide = wide[[c for c in d.drop_duplicates("scope_label")["scope_label"] if c in wide.columns]]
    wide = wide.fillna(fmt.MISSING)  # an option without a figure in that scope (e.g. not published)
    wide.index.names = ["項目", "選択肢"] if q.is_matrix else ["選択肢"]
    wide.columns.name = None
    return wide


_TABLE_HTML: OrderedDict[bytes, str] = OrderedDict()  # digest of the figures -> the table's HTML
TABLE_HTML_ENTRIES = 2048


def figures_table_html(q: Question, df: pd.DataFrame) -> str:
    """:func:`figures_table` as HTML, made once per distinct content (it leaves out the municipality's
    own rows, so a prefecture's municipalities share it; the digest covers every column it shows)."""
    key = frame_digest(df) + (b"matrix" if q.is_matrix else b"")
    html = _TABLE_HTML.get(key)
    if html is None:
        html = figures_table(q, df).to_html(classes="figures", border=0, escape=True)
        _TABLE_HTML[key] = html
        if len(_TABLE_HTML) > TABLE_HTML_ENTRIES:
            _TABLE_HTML.popitem(last=False)
    else:
        _TABLE_HTML.move_to_end(key)
    return html


def municipality_answers(data: ProcessedData, q: Question, pref_code: str) -> pd.DataFrame:
    """Prefecture mode: each responding municipality's answer (option ids; 対象外, 未回答)."""
    m = data.municipalities
    members = m[(m["pref_code"] == pref_code) & m["responded"]][["code", "name"]]
    idx = data_index(data)

    def answer(code: str, row: str) -> str:
        chosen = idx.selected(code, q.id, row)
        if chosen is None:
            return "対象外" if not idx.answers(code, q.id).empty else "回答なし"
        return "未回答" if chosen == [NO_ANSWER] else "・".join(chosen)

    cols = {q.row(row).label if row else "回答": [answer(c, row) for c in members["code"]] for row in q.row_ids}
    return pd.DataFrame(cols, index=pd.Index(members["name"].to_numpy(), name="市町村"))


@dataclass
class Section:
    """One question for one focus: everything a report, the explorer or a slide shows of it."""

    question: Question
    focus: Focus
    figures: pd.DataFrame
    selected: Selected
    sentences: list[str]
    notes: list[Note]
    codebook: Codebook
    national: str = "auto"
    extras: dict[str, object] = field(default_factory=dict)

    @property
    def focus_scope(self) -> str:
        return "municipality" if self.focus.code else "prefecture"

    @property
    def has_figures(self) -> bool:
        return bool((self.figures["scope"] != "municipality").any())

    @property
    def chart_description(self) -> str:
        """What the chart is, in one sentence (the start of the report's alt text and the deck's)."""
        q = self.question
        scopes = "、".join(dict.fromkeys(self.figures["scope_label"].tolist()))
        return f"{q.number} {q.title}の回答割合のグラフ（{scopes}）。"

    @property
    def alt(self) -> str:
        """Alt text of the chart in a report (the table of figures follows it)."""
        return f"{self.chart_description}数値は下の表にあります。"

    @property
    def has_data(self) -> bool:
        """Whether the focus (the municipality; the prefecture in prefecture mode) has answers to show."""
        own = self.figures[self.figures["scope"] == self.focus_scope]
        if self.focus.code:  # responded (a question it was not asked still has its rows, with base 0)
            return bool(len(own))
        return bool(len(own)) and bool((own["n_base"].fillna(0) > 0).any())

    def chart(self) -> Figure:
        """The chart as a Figure with Axes to adapt (bars, tick labels, legend; see
        :mod:`zaitaku.report.charts.axes`): the figures of :meth:`chart_html`, drawn with matplotlib's
        ordinary artists on a fresh Figure (pyplot and its backend are not touched).

        Without data for the focus (see :attr:`has_data`) a small figure that says so: charts of
        nothing but a published national bar would mislead (and the chart code expects the focus).
        """
        if not self.has_data:
            from matplotlib.backends.backend_agg import FigureCanvasAgg

            fig = Figure(figsize=(6.4, 0.8))
            FigureCanvasAgg(fig)
            fig.text(0.5, 0.5, f"{self.focus.label}はこの設問に回答がありません", ha="center", va="center")
            return fig
        return axes_chart(chart_kind(self.question.type, self.figures), self.figures, self.selected, self.focus_scope)

    def report_figure(self) -> Figure:
        """The report's drawing (laid out in pixels, no Axes) on a fresh Figure, e.g. for a PNG."""
        return chart_for(self.question, without_groups(self.figures), self.selected, self.focus_scope)

    def chart_html(self) -> str:
        """The chart as the report embeds it: inline SVG with the alt text as title, drawn once per content."""
        q = self.question
        return chart_markup(chart_kind(q.type, self.figures), self.figures, self.selected, self.focus_scope, self.alt)

    def table(self) -> pd.DataFrame:
        return figures_table(self.question, self.figures)

    def table_html(self) -> str:
        """:meth:`table` as the report shows it (``<table class="figures">``)."""
        return figures_table_html(self.question, self.figures)

    def _repr_html_(self) -> str:
        """In JupyterLab a Section shows its chart and sentences (the report adds heading, notes, table)."""
        sentences = Markup("").join(Markup('<p class="narrative">{}</p>').format(s) for s in self.sentences)
        return Markup(self.chart_html()) + sentences

    def _ipython_display_(self) -> None:
        """Shown as chart and sentences, except as the value of a cell whose report call displayed it already
        (``rep.section(s2)`` as a cell's last line shows the section once)."""
        if id(self) in _SHOWN:
            return
        from IPython.display import display

        display({"text/html": self._repr_html_(),
                 "text/plain": f"Section({self.question.number} {self.question.title}、{self.focus.label})"}, raw=True)


_SHOWN: set[int] = set()  # Sections a report displayed in the running cell (cleared after the cell)


def _forget_shown(*_args: object) -> None:
    from IPython import get_ipython

    _SHOWN.clear()
    ip = get_ipython()
    if ip is not None:
        ip.events.unregister("post_run_cell", _forget_shown)


def mark_shown(section: Section) -> None:
    """Note that a report displayed ``section`` in this cell, so the cell's value does not show it again."""
    from IPython import get_ipython

    ip = get_ipython()
    if ip is None:
        return
    if not _SHOWN:
        ip.events.register("post_run_cell", _forget_shown)
    if len(_SHOWN) > 10_000:  # a kernel that never fires post_run_cell: forget rather than grow
        _SHOWN.clear()
    _SHOWN.add(id(section))


def _section_parts(data: ProcessedData, q: Question, focus: Focus,
                   national: str) -> tuple[pd.DataFrame, Selected, tuple[Note, ...], str]:
    df = comparison(data, q.id, focus, national)
    sel = selected_of(data, focus, q)
    notes = question_notes(q, data.codebook)
    nat_note = national_note(data, q, df, national)
    if nat_note is not None:
        notes.append(nat_note)
    return df, sel, tuple(notes), sentence_for(q, df, focus, sel, data.codebook)


def copy_selected(selected: Selected) -> Selected:
    """The chosen options with lists of their own (what a cached Section part hands out)."""
    return {row: None if v is None else list(v) for row, v in selected.items()}


def build_section(data: ProcessedData, question_id: str, focus: Focus, national: str = "auto") -> Section:
    """Build the Section of one question for a focus.

    Its parts are computed once per data set, question, focus and national rule (kept in the data
    index's bounded cache), so a municipality's reports and its deck share them; every call returns
    a Section of its own (a shallow copy of the figures: under copy-on-write a write stays in it)."""
    q = find_question(data.codebook, question_id)
    df, sel, notes, sentence = data_index(data).recent(
        f"section:{q.id}:{national}:{focus!r}", lambda: _section_parts(data, q, focus, national))
    return Section(q, focus, handed_out(df), copy_selected(sel), [sentence] if sentence else [], list(notes),
                   data.codebook, national,
                   extras={"synthetic": bool(data.synthetic)})

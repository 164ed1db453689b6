"""What a report notebook calls: title, one section per question, footer.

A notebook stays thin::

    rep = Report("partnerships", municipality_code, prefecture, survey_year, data_dir, national, figures_csv)
    rep.header()
    rep.section("q1")
    ...
    rep.footer()

Each call displays HTML (headings carry the question id as anchor, charts are inline PNG with alt
text). The figures behind every chart are collected and written by :meth:`Report.footer` as one
UTF-8-with-BOM CSV when ``figures_csv`` is set.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
from IPython.display import HTML, display

from zaitaku import __version__
from zaitaku.analysis.aggregate import NATIONAL_CHOICES, focus_of, load_processed
from zaitaku.files import atomic
from zaitaku.reference.codebook import Question
from zaitaku.report import format as fmt
from zaitaku.report.charts import use_house_style
from zaitaku.report.format import SMALL_N
from zaitaku.report.section import Section, build_section, municipality_answers

SYNTHETIC_BANNER = (
    '<div class="synthetic-banner" role="note" style="border:3px solid #E4007F;padding:.6em 1em;'
    'background:#FFF0F7;font-weight:bold;margin:1em 0">⚠ デモ用の架空データ（synthetic）です。'
    "実在の市区町村の回答ではありません。数値を業務に用いないでください。</div>"
)


NOTE_CLASS = {"condition": "condition", "source": "source-note", "published": "source-note published-note",
              "national": "source-note"}


def _esc(text: object) -> str:
    return fmt.esc(text)


class Report:
    """One report: a question group for a municipality, or for a prefecture (prefecture mode)."""

    def __init__(self, group: str, municipality_code: str = "", prefecture: str = "",
                 survey_year: str = "R3", data_dir: str | Path = "data/processed",
                 national: str = "auto", figures_csv: str = "") -> None:
        if national not in NATIONAL_CHOICES:
            raise ValueError(f"national must be one of {NATIONAL_CHOICES}, not {national!r}")
        use_house_style()
        self.group = group
        self.params = {"municipality_code": municipality_code, "prefecture": prefecture,
                       "survey_year": survey_year, "data_dir": str(data_dir), "national": national}
        self.data = load_processed(data_dir)
        self.codebook = self.data.codebook
        if self.codebook.survey_year != survey_year:
            raise ValueError(f"survey_year {survey_year!r} but the processed data is {self.codebook.survey_year}")
        self.focus = focus_of(self.data, str(municipality_code or ""), str(prefecture or ""))
        self.national = national
        self.figures_csv = figures_csv
        self.figures: list[pd.DataFrame] = []
        self.questions = self.codebook.in_group(group)

    # ------------------------------------------------------------------ pieces
    @property
    def title(self) -> str:
        f = self.focus
        who = f"{f.name}（{f.pref_name}）" if f.code else f"{f.pref_name}（都道府県集計）"
        return f"{who} 在宅医療・介護連携推進事業 実施状況：{self.codebook.groups[self.group]}"

    def header(self) -> None:
        f = self.focus
        parts = [f'<h1 id="top">{_esc(self.title)}</h1>']
        if self.data.synthetic:
            parts.append(SYNTHETIC_BANNER)
        if f.code:
            compare = f"{_esc(f.pref_name)}の市町村、全国の{_esc(f.type)}、全国"
            parts.append(f"<p>{_esc(self.codebook.title)}の回答を、{_esc(f.name)}（{_esc(f.type)}）と{compare}とで比べます。"
                         "グラフのピンク色が" + _esc(f.name) + "の回答です。</p>")
        else:
            parts.append(f"<p>{_esc(self.codebook.title)}の回答を、{_esc(f.pref_name)}の市町村と全国とで比べます。"
                         "ピンク色が" + _esc(f.pref_name) + "です。各設問の後に県内市町村の回答一覧があります。</p>")
        parts.append(f"<p class='note'>割合の分母（n）は設問の対象となった市町村数です。未回答も一つの選択肢として数えます。"
                     f"分母が{SMALL_N}未満の場合は割合ではなく数で示します。"
                     + ("全国の値は公表値（厚生労働省資料）を用い、公表値のない設問は注記します。" if self.national == "published" else "")
                     + "</p>")
        display(HTML("\n".join(parts)))

    def build(self, question_id: str) -> Section:
        """The Section of one question for this report's focus (figures, chart, sentences, table)."""
        return build_section(self.data, question_id, self.focus, self.national)

    def section(self, question_id: str | Section) -> Section:
        """Display one question (heading, text, notes, chart, sentences, figures) and return its Section.

        Pass a Section (e.g. one whose figures or chart you adapted) to display that instead.
        """
        s = question_id if isinstance(question_id, Section) else self.build(question_id)
        self.figures.append(s.figures)
        display(HTML(self.section_html(s)))
        return s

    def section_html(self, s: Section) -> str:
        q = s.question
        out = [f'<h2 id="{_esc(q.id)}">{_esc(q.heading)}</h2>',
               f'<p class="question">{_esc(q.text)}</p>']
        out += [f'<p class="{NOTE_CLASS[n.kind]}">{_esc(n.text)}</p>' for n in s.notes]
        out.append(s.chart_html())
        out += [f'<p class="narrative">{_esc(sentence)}</p>' for sentence in s.sentences]
        out.append(self._table_html(q, s))
        if self.focus.is_prefecture_mode:
            out.append(self._municipality_table(q))
        return "\n".join(out)

    @staticmethod
    def _table_html(q: Question, s: Section) -> str:
        table = s.table().to_html(classes="figures", border=0, escape=True)
        opened = "" if q.is_matrix else " open"
        return f'<details class="figures"{opened}><summary>数値（割合と 該当数/n）</summary>{table}</details>'

    def _municipality_table(self, q: Question) -> str:
        table = municipality_answers(self.data, q, self.focus.pref_code)
        legend = "、".join(f"{o.id}={o.label}" for o in q.options)
        return (f'<details class="municipalities"><summary>県内市町村の回答一覧（{len(table)}市町村）</summary>'
                f'<p class="legend">{_esc(legend)}</p>{table.to_html(classes="municipal-answers", border=0)}</details>')

    def footer(self) -> None:
        """Provenance footer; writes the figures CSV (if asked) and links it."""
        link = ""
        if self.figures_csv:
            path = Path(self.figures_csv)
            figures = pd.concat(self.figures, ignore_index=True) if self.figures else pd.DataFrame()
            atomic.write_csv(figures, path, excel=True)
            link = f'<p>グラフの数値（CSV）：<a href="{_esc(path.name)}">{_esc(path.name)}</a></p>'
        meta = self.data.meta
        raw = "、".join(f"{f['name']}（md5 {f['md5'][:12]}）" for f in meta.get("raw_files", []))
        params = "、".join(f"{k}={v!r}" for k, v in self.params.items())
        now = dt.datetime.now().astimezone().isoformat(timespec="seconds")
        rows = [
            ("パラメータ", params),
            ("調査年度", self.codebook.title),
            ("処理済みデータのハッシュ", f"md5 {self.data.data_hash}"),
            ("元データ", raw),
            ("コードブック", self.codebook.version),
            ("zaitaku", __version__),
            ("作成日時", f'<span class="generated-at">{now}</span>'),
        ]
        body = "".join(f"<tr><th>{_esc(k)}</th><td>{v if k == '作成日時' else _esc(v)}</td></tr>" for k, v in rows)
        synthetic = SYNTHETIC_BANNER if self.data.synthetic else ""
        display(HTML(f'<footer class="provenance"><h2 id="provenance">このレポートについて</h2>{synthetic}{link}'
                     f'<table class="provenance">{body}</table></footer>'))

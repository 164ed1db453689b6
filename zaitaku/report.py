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
import html
from pathlib import Path

import pandas as pd
from IPython.display import HTML, display
from matplotlib.figure import Figure

from zaitaku import __version__, atomic
from zaitaku.aggregate import (
    SMALL_N,
    Focus,
    comparison,
    covers_nation,
    focus_of,
    load_processed,
    selected_options,
)
from zaitaku.codebook import NO_ANSWER, Codebook, Question
from zaitaku.narrative import (
    fmt_pct,
    matrix_sentence,
    multi_sentence,
    not_asked_sentence,
    single_sentence,
)
from zaitaku.plots import img_tag, matrix_grid, option_bars, single_bars, use_house_style

SYNTHETIC_BANNER = (
    '<div class="synthetic-banner" role="note" style="border:3px solid #E4007F;padding:.6em 1em;'
    'background:#FFF0F7;font-weight:bold;margin:1em 0">⚠ デモ用の架空データ（synthetic）です。'
    "実在の市区町村の回答ではありません。数値を業務に用いないでください。</div>"
)
NATIONAL_CHOICES = ("computed", "published")


def _esc(text: object) -> str:
    return html.escape(str(text))


def chart_for(q: Question, df: pd.DataFrame, selected: dict[str, list[str] | None], focus_scope: str) -> Figure:
    """The house chart of one question: grid for matrices, option bars for multi, stacked bars for single."""
    if q.is_matrix:
        return matrix_grid(df, {r: v or [] for r, v in selected.items()} if selected else None, focus_scope)
    if q.is_multi:
        return option_bars(df, selected.get(""), focus_scope)
    return single_bars(df, selected.get(""), focus_scope)


def sentence_for(q: Question, df: pd.DataFrame, focus: Focus, selected: dict[str, list[str] | None],
                 codebook: Codebook) -> str:
    """The generated sentence(s) under a chart; says first when the municipality was not asked."""
    if q.is_matrix:
        sentence = matrix_sentence(df, q, focus, selected or None)
    elif q.is_multi:
        sentence = multi_sentence(df, focus, selected.get(""))
    else:
        sentence = single_sentence(df, focus, selected.get(""))
    if selected and all(v is None for v in selected.values()):
        sentence = not_asked_sentence(q, focus, codebook) + sentence
    return sentence


class Report:
    """One report: a question group for a municipality, or for a prefecture (prefecture mode)."""

    def __init__(self, group: str, municipality_code: str = "", prefecture: str = "",
                 survey_year: str = "R3", data_dir: str | Path = "data/processed",
                 national: str = "computed", figures_csv: str = "") -> None:
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

    def _selected(self, q: Question) -> dict[str, list[str] | None]:
        if not self.focus.code:
            return {}
        return {row: selected_options(self.data, self.focus.code, q.id, row) for row in q.row_ids}

    def section(self, question_id: str) -> None:
        """Heading, question text, chart, figures table and generated sentences of one question."""
        q = self.codebook[question_id]
        df = comparison(self.data, q.id, self.focus, self.national)
        self.figures.append(df)
        sel = self._selected(q)
        out = [f'<h2 id="{q.id}">{_esc(q.heading)}</h2>',
               f'<p class="question">{_esc(q.text)}</p>']
        if q.asked_if:
            out.append(f'<p class="condition">対象：{_esc(q.asked_if.describe(self.codebook))}</p>')
        if q.source == "reconstructed":
            out.append(f'<p class="source-note">※ 選択肢は公表資料で確認できなかったため推定したものです（{_esc(q.source_note)}）</p>')
        if self.national == "published" and not (df["source"] == "published").any():
            out.append(self._no_published_note(df))
        elif self.national == "published":
            out.append(self._published_note(q))
        fig = chart_for(q, df, sel, "municipality" if self.focus.code else "prefecture")
        sentence = sentence_for(q, df, self.focus, sel, self.codebook)
        out.append(img_tag(fig, self._alt(q, df)))
        out.append(f'<p class="narrative">{_esc(sentence)}</p>')
        out.append(self._table(q, df))
        if self.focus.is_prefecture_mode:
            out.append(self._municipality_table(q))
        display(HTML("\n".join(out)))

    def _no_published_note(self, df: pd.DataFrame) -> str:
        nat = df[df["scope"] == "nation"]
        if covers_nation(self.data) and len(nat):
            return ('<p class="source-note">※ この設問には全国の公表値がないため、全国の棒は手元データからの集計値です'
                    f"（n={int(nat['n_base'].max()):,}）。</p>")
        return '<p class="source-note">※ この設問には全国の公表値がなく、手元のデータも全国を含まないため、全国の値は表示していません。</p>'

    def _published_note(self, q: Question) -> str:
        """Where the published national figure comes from (year, source, confidence)."""
        from zaitaku.published import published_note

        note = published_note(q.id, self.codebook.survey_year)
        return f'<p class="source-note published-note">※ {_esc(note)}</p>' if note else ""

    def _alt(self, q: Question, df: pd.DataFrame) -> str:
        scopes = "、".join(df.drop_duplicates("scope_label")["scope_label"])
        return f"{q.number} {q.title}の回答割合のグラフ（{scopes}）。数値は下の表にあります。"

    def _table(self, q: Question, df: pd.DataFrame) -> str:
        d = df[df["scope"] != "municipality"].copy()
        d["値"] = [
            fmt_pct(sh) if pd.isna(b)  # a published share whose n was not printed ("–" if none)
            else "–" if b == 0
            else (f"{int(s)}/{int(b)}" if b < SMALL_N else f"{fmt_pct(sh)}（{int(s)}/{int(b)}）")
            for s, b, sh in zip(d["n_selected"], d["n_base"], d["share"], strict=True)
        ]
        index = ["row_label", "option_label"] if q.is_matrix else ["option_label"]
        wide = d.pivot_table(index=index, columns="scope_label", values="値", aggfunc="first", sort=False)
        wide = wide[[c for c in d.drop_duplicates("scope_label")["scope_label"] if c in wide.columns]]
        wide = wide.fillna("–")  # an option without a figure in that scope (e.g. not published)
        wide.index.names = ["項目", "選択肢"] if q.is_matrix else ["選択肢"]
        wide.columns.name = None
        table = wide.to_html(classes="figures", border=0, escape=True)
        opened = "" if q.is_matrix else " open"
        return f'<details class="figures"{opened}><summary>数値（割合と 該当数/n）</summary>{table}</details>'

    def _municipality_table(self, q: Question) -> str:
        m = self.data.municipalities
        members = m[(m["pref_code"] == self.focus.pref_code) & m["responded"]][["code", "name"]]
        r = self.data.responses
        r = r[(r["question_id"] == q.id) & r["municipality_code"].isin(members["code"])]
        def answer(g: pd.DataFrame) -> str:
            if g["value"].isna().all():
                return "対象外"
            chosen = g.loc[g["value"] == 1, "option_id"].tolist()
            return "未回答" if chosen == [NO_ANSWER] else "・".join(chosen)
        cols = {}
        for row in q.row_ids:
            rr = r[r["row_id"] == row]
            cols[q.row(row).label if row else "回答"] = rr.groupby("municipality_code").apply(answer, include_groups=False)
        table = pd.DataFrame(cols).reindex(members["code"])
        table.index = members["name"].to_numpy()
        table.index.name = "市町村"
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

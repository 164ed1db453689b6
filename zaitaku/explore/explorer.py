"""Look at the data interactively: the ipywidgets :class:`Explorer` and the plain functions behind it.

Everything shown is built from the same pieces as a report section (:func:`zaitaku.analysis.aggregate.comparison`,
the charts of :mod:`zaitaku.report.charts`, the sentences of :mod:`zaitaku.report.narrative`, the figures table and
notes of :class:`zaitaku.report.report.Report`); the explorer only lets one choose what to compare.

In a notebook (``notebooks/explorer.ipynb``)::

    from zaitaku.explore.explorer import Explorer
    Explorer("../data/processed").show()

The tutorials (``notebooks/tutorial/``) use the functions directly::

    data = load_processed("../../data/processed")
    compare(data, "q1", "松江市")                 # chart, sentence and figures of one question
    question_info(data, "q1")                    # the question and its options
    answers(data, "q1", prefecture="島根県")      # each municipality's answer
"""

from __future__ import annotations

import base64
import contextlib
import html
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from zaitaku.analysis.aggregate import (
    Focus,
    ProcessedData,
    comparison,
    covers_nation,
    focus_of,
    load_processed,
)
from zaitaku.files import atomic
from zaitaku.paths import PROJ_ROOT
from zaitaku.reference.codebook import NO_ANSWER, NO_ANSWER_LABEL, Question
from zaitaku.reference.municipalities import CodeError, resolve
from zaitaku.report.charts import figure_png, use_house_style
from zaitaku.report.report import NOTE_CLASS, Report
from zaitaku.report.section import (
    Note,
    Section,
    chart_for,
    national_note,
    question_notes,
    selected_of,
    sentence_for,
)

#: comparison scopes one can switch on and off (``published`` = the ministry's national figures)
SCOPES = {
    "prefecture": "都道府県",
    "nation": "全国（データからの集計）",
    "published": "全国（公表値）",
    "type": "全国の同じ類型（市・町・村など）",
}
DEFAULT_SCOPES = ("prefecture", "nation")
DEFAULT_PREFECTURE = "島根県"
EXPORTS_DIR = PROJ_ROOT / "exports"


def _esc(text: object) -> str:
    return html.escape(str(text))


def _safe(text: str) -> str:
    """A file-name-safe form of a (Japanese) name."""
    return re.sub(r'[\\/:*?"<>|\s]+', "_", text).strip("_")


# --------------------------------------------------------------------------------------------
# finding municipalities


def responded(data: ProcessedData) -> pd.DataFrame:
    """Municipalities that answered the survey (code, pref_code, prefecture, name, type), by code."""
    m = data.municipalities
    if "responded" in m.columns:
        m = m[m["responded"].astype(bool)]
    return m.sort_values("code")[["code", "pref_code", "prefecture", "name", "type"]].reset_index(drop=True)


def municipality_label(code: str, name: str) -> str:
    """How a municipality appears in the explorer's lists: 「322016 松江市」."""
    return f"{code} {name}"


def find_code(data: ProcessedData, text: str | int, prefecture: str | None = None) -> str:
    """The code of an answering municipality from 「322016 松江市」, a code (5 or 6 digits) or a name.

    Part of a name or code is enough when only one municipality fits (in ``prefecture``, a
    2-digit code, first). Raises ValueError (in Japanese) for unknown, ambiguous or
    non-answering municipalities.
    """
    s = str(text).strip()
    if not s:
        raise ValueError("市町村名またはコードを入力してください。")
    m = re.match(r"^(\d{6})\s+\S", s)  # a label from the list
    ok = responded(data)
    try:
        code = m.group(1) if m else resolve(s)
    except CodeError as exc:
        # typed part of a name or code (「松江」, 「3220」): accept it when only one municipality fits
        key = unicodedata.normalize("NFKC", s)
        labels = ok["code"] + " " + ok["prefecture"] + ok["name"]
        hits = ok[labels.str.contains(key, regex=False)]
        # several fit: prefer the current prefecture, then names (codes) that start with the text,
        # so that 「出雲」 typed in 島根県 is 出雲市 (not 奥出雲町, nor 新潟県の出雲崎町)
        for narrower in (lambda h: h["pref_code"] == (prefecture or ""),
                         lambda h: h["name"].str.startswith(key) | h["code"].str.startswith(key)):
            if len(hits) > 1 and narrower(hits).any():
                hits = hits[narrower(hits)]
        if len(hits) == 1:
            return str(hits["code"].iloc[0])
        if len(hits) > 1:
            names = "、".join(municipality_label(c, n) for c, n in zip(hits["code"][:5], hits["name"][:5], strict=True))
            more = "…" if len(hits) > 5 else ""
            raise ValueError(f"「{s}」に当たる市区町村が{len(hits)}あります（{names}{more}）。") from exc
        raise ValueError(f"「{s}」に当たる市区町村が見つかりません（{exc}）。") from exc
    if code not in set(ok["code"]):
        raise ValueError(f"「{s}」（{code}）の回答データがありません。")
    return code


def find_focus(data: ProcessedData, municipality: str | int) -> Focus:
    """The :class:`~zaitaku.analysis.aggregate.Focus` of a municipality given by name or code."""
    return focus_of(data, find_code(data, municipality))


# --------------------------------------------------------------------------------------------
# one question for one municipality


@dataclass
class View:
    """One question compared for one municipality: what the explorer shows in one panel.

    ``figures`` holds exactly the numbers of the chart and the table (one row per scope × option,
    as :func:`zaitaku.analysis.aggregate.comparison`); ``sentence`` is the generated sentence; ``png`` the
    chart (None when no comparison scope is chosen). In a notebook a View displays itself.
    """

    question: Question
    focus: Focus
    scopes: tuple[str, ...]
    figures: pd.DataFrame
    sentence: str
    notes: list[str] = field(default_factory=list)
    selected: dict[str, list[str] | None] = field(default_factory=dict)
    png: bytes | None = None
    alt: str = ""
    table_html: str = ""

    def __repr__(self) -> str:
        return f"View({self.question.id}, {self.focus.label}, scopes={list(self.scopes)})"

    @property
    def title(self) -> str:
        f = self.focus
        return f"{f.name}（{f.pref_name}・{f.type}）" if f.code else f.pref_name

    def img_tag(self) -> str:
        if self.png is None:
            return '<p class="empty">比較する範囲を1つ以上選んでください。</p>'
        data = base64.b64encode(self.png).decode("ascii")
        return f'<img class="chart zaitaku-chart" alt="{_esc(self.alt)}" src="data:image/png;base64,{data}" style="max-width:100%">'

    def html(self, heading: bool = True) -> str:
        q = self.question
        parts = [f"<h3>{_esc(self.title)}</h3>"] if heading else []
        parts += [f'<p class="question"><b>{_esc(q.number)} {_esc(q.title)}</b>：{_esc(q.text)}</p>', *self.notes,
                  self.img_tag(), f'<p class="narrative">{_esc(self.sentence)}</p>', self.table_html]
        return "\n".join(parts)

    def _repr_html_(self) -> str:
        return self.html()

    def shares(self, scope: str = "prefecture") -> pd.DataFrame:
        """One scope's figures as a plain table (選択肢, 該当数, n, 割合（%）), largest share first.

        ``scope``: ``"prefecture"``, ``"type"``, ``"nation"``, ``"published"`` or ``"municipality"``.
        Matrix questions keep the question's order and add the row (項目).
        """
        f = self.figures
        if scope == "published":
            d = f[(f["scope"] == "nation") & (f["source"] == "published")]
        elif scope == "nation":
            d = f[(f["scope"] == "nation") & (f["source"] != "published")]
        else:
            d = f[f["scope"] == scope]
        out = pd.DataFrame({"項目": d["row_label"], "選択肢": d["option_label"], "該当数": d["n_selected"],
                            "n": d["n_base"], "割合（%）": (d["share"] * 100).round(1)})
        if self.question.is_matrix:
            return out.reset_index(drop=True)
        return out.drop(columns="項目").sort_values("割合（%）", ascending=False, kind="stable").reset_index(drop=True)

    def save(self, folder: Path | str = EXPORTS_DIR, stem: str | None = None) -> list[Path]:
        """Write ``<stem>.csv`` (UTF-8 with BOM, opens in Excel) and ``<stem>.png`` into ``folder``."""
        stem = stem or _safe(f"{self.focus.code}_{self.focus.name}_{self.question.id}")
        folder = Path(folder)
        paths = [folder / f"{stem}.csv"]
        atomic.write_csv(self.figures, paths[0], excel=True)
        if self.png is not None:
            paths.append(folder / f"{stem}.png")
            atomic.write_bytes(paths[1], self.png)
        return paths


def _note_html(note: Note) -> str:
    return f'<p class="{NOTE_CLASS[note.kind]}">{_esc(note.text)}</p>'


def _chart_frame(q: Question, df: pd.DataFrame) -> pd.DataFrame:
    """Matrices draw one scope large (``prefecture``) and the nation small: pick the first chosen."""
    if not q.is_matrix or (df["scope"] == "prefecture").any():
        return df
    for scope in ("type", "nation"):
        if (df["scope"] == scope).any():
            return df.assign(scope=df["scope"].replace({scope: "prefecture"}))
    return df


def build_view(data: ProcessedData, question_id: str, focus: Focus,
               scopes: Iterable[str] = DEFAULT_SCOPES) -> View:
    """Compare one question for one municipality against the chosen scopes (see :data:`SCOPES`).

    ``published`` shows the ministry's national figures where they exist; where they do not, the
    same note as in the reports is shown and the nation computed from the data is used only when
    the data covers the nation.
    """
    requested = set(scopes)
    if requested - set(SCOPES):
        raise ValueError(f"unknown scope(s) {sorted(requested - set(SCOPES))}; choose from {', '.join(SCOPES)}")
    scopes = tuple(s for s in SCOPES if s in requested)
    q = data.codebook[question_id]
    df_c = comparison(data, q.id, focus, "computed")  # the "nation" scope toggle = computed (relabelled when partial)
    national = "published" if "published" in scopes else "computed"
    parts = [df_c[df_c["scope"] == "municipality"]]
    parts += [df_c[df_c["scope"] == s] for s in ("prefecture", "type") if s in scopes]
    if "nation" in scopes:
        parts.append(df_c[df_c["scope"] == "nation"])
    notes: list[str] = []
    sentence_df = df_c
    if "published" in scopes:
        df_p = comparison(data, q.id, focus, "published")
        pub = df_p[(df_p["scope"] == "nation") & (df_p["source"] == "published")]
        if len(pub):
            parts.append(pub)
            sentence_df = df_p
        elif "nation" not in scopes:  # comparison() keeps the computed nation only when the data covers it
            parts.append(df_p[df_p["scope"] == "nation"])
        note = national_note(data, q, df_p, "published")
        if note is not None:
            notes.append(_note_html(note))
    if "type" in scopes and not covers_nation(data):  # as in comparison(): no same-type bar from partial data
        notes.append('<p class="source-note">※ 手元のデータが全国を含まないため、全国の同じ類型との比較は表示していません。</p>')
    notes = [_note_html(n) for n in question_notes(q, data.codebook)] + notes
    rows = {r: i for i, r in enumerate(q.row_ids)}
    shown = pd.concat(parts, ignore_index=True)
    shown = shown.iloc[shown["row_id"].map(rows).argsort(kind="stable")].reset_index(drop=True)
    shown_section = Section(q, focus, shown, selected_of(data, focus, q), [], [], data.codebook, national)
    sel = shown_section.selected
    sentence = sentence_for(q, sentence_df, focus, sel, data.codebook)
    png = None
    if shown_section.has_figures:
        png = figure_png(chart_for(q, _chart_frame(q, shown), sel, shown_section.focus_scope))
    table = Report._table_html(q, shown_section) if shown_section.has_figures else ""
    return View(q, focus, scopes, shown, sentence, notes, sel, png, shown_section.alt, table)


def compare(data: ProcessedData, question_id: str, municipality: str | int,
            scopes: Iterable[str] = DEFAULT_SCOPES) -> View:
    """One question for a municipality (name or code) against its prefecture and the nation.

    ``scopes`` chooses the comparison: any of ``"prefecture"``, ``"nation"``, ``"published"``,
    ``"type"`` (municipalities of the same type nationwide).
    """
    use_house_style()
    return build_view(data, question_id, find_focus(data, municipality), scopes)


# --------------------------------------------------------------------------------------------
# tables for the tutorials


@dataclass
class QuestionInfo:
    """A question with its options; displays as a small table."""

    question: Question
    options: pd.DataFrame
    condition: str = ""

    def __repr__(self) -> str:
        return f"QuestionInfo({self.question.id}: {self.question.number} {self.question.title})"

    KINDS = {"single": "単一回答", "multi": "複数回答", "matrix-single": "表形式（各行で1つ）",
             "matrix-multi": "表形式（各行で複数）", "free": "自由記述"}

    def _repr_html_(self) -> str:
        q = self.question
        cond = f"<p>対象：{_esc(self.condition)}</p>" if self.condition else ""
        return (f"<p><b>{_esc(q.id)}：{_esc(q.number)} {_esc(q.title)}</b>（{self.KINDS[q.type]}）</p>"
                f"<p>{_esc(q.text)}</p>{cond}{self.options.to_html(index=False, border=0)}")


def question_info(data: ProcessedData, question_id: str) -> QuestionInfo:
    """The question's text, type and options (番号・選択肢) as a table."""
    q = data.codebook[question_id]
    opts = pd.DataFrame({"番号": [*q.option_ids, NO_ANSWER], "選択肢": [*(o.label for o in q.options), NO_ANSWER_LABEL]})
    if q.is_matrix:
        opts = pd.concat([pd.DataFrame({"番号": ["（行）"] * len(q.rows), "選択肢": [r.label for r in q.rows]}), opts],
                         ignore_index=True)
    return QuestionInfo(q, opts, q.asked_if.describe(data.codebook) if q.asked_if else "")


def _answer_text(q: Question, chosen: list[str] | None) -> str:
    if chosen is None:
        return "対象外"
    return "・".join(q.option_label(o) for o in chosen)


def answers(data: ProcessedData, question_id: str, prefecture: str | None = None,
            type: str | None = None, municipality: str | int | None = None) -> pd.DataFrame:
    """Each answering municipality's answer to one question (選択肢 in words; 対象外 = not asked).

    Narrow down with ``prefecture`` (name or code), ``type`` (市, 町, 村, 特別区, 政令市) or
    ``municipality`` (name or code). Matrix questions get one column per row.
    """
    from zaitaku.reference.municipalities import normalize_prefecture

    q = data.codebook[question_id]
    m = responded(data)
    if prefecture:
        m = m[m["pref_code"] == normalize_prefecture(prefecture)]
    if type:
        m = m[m["type"] == type]
    if municipality is not None:
        m = m[m["code"] == find_code(data, municipality)]
    r = data.responses
    r = r[(r["question_id"] == q.id) & r["municipality_code"].isin(m["code"])]
    out = m.rename(columns={"code": "コード", "prefecture": "都道府県", "name": "市町村", "type": "類型"})
    out = out[["コード", "都道府県", "市町村", "類型"]].set_index("コード")
    for row in q.row_ids:
        rr = r[r["row_id"] == row]
        asked = rr[rr["value"].notna()]
        chosen = asked[asked["value"] == 1].groupby("municipality_code")["option_id"].agg(list)
        col = q.row(row).label if row else "回答"
        texts = {c: _answer_text(q, chosen.get(c, [NO_ANSWER])) for c in asked["municipality_code"].unique()}
        out[col] = [texts.get(c, "対象外") for c in out.index]
    return out.reset_index()


# --------------------------------------------------------------------------------------------
# the widget


class Explorer:
    """ipywidgets explorer: prefecture → municipality, question group → question, comparison scopes,
    a second municipality side by side, and a button that saves the figures (CSV) and chart (PNG).

    The state behind the display is public, for tests and for further work in the notebook:
    ``current_figures`` (DataFrame of every panel, with ``focus_code``/``focus_name`` columns),
    ``current_sentence`` (the main panel's), ``current_sentences``, ``current_png``,
    ``current_views``, ``current_html``, ``last_saved`` (paths), ``last_error``.
    """

    def __init__(self, data_dir: Path | str = "data/processed", municipality: str | int = "",
                 question: str = "", exports_dir: Path | str | None = None) -> None:
        import ipywidgets as w

        self.data = load_processed(data_dir)
        self.codebook = self.data.codebook
        self.exports_dir = Path(exports_dir) if exports_dir else EXPORTS_DIR
        self._muni = responded(self.data)
        if self._muni.empty:
            raise ValueError(f"{data_dir}: no municipality answered the survey")
        self._by_code = self._muni.set_index("code")
        self._busy = False
        self.n_refreshes = 0
        self.last_error: str | None = None
        self.last_saved: list[Path] = []
        self.current_views: list[View] = []
        self.current_figures = pd.DataFrame()
        self.current_sentence = ""
        self.current_sentences: list[str] = []
        self.current_png: bytes | None = None
        self.current_html = ""

        code = self._initial_code(municipality)
        pref = self._by_code.loc[code, "pref_code"]
        prefs = self._muni.drop_duplicates("pref_code")
        wide = {"width": "32em"}
        style = {"description_width": "5em"}
        self.prefecture = w.Dropdown(options=[(f"{p} {n}", p) for p, n in zip(prefs["pref_code"], prefs["prefecture"], strict=True)],
                                     value=pref, description="都道府県", layout=wide, style=style)
        self.municipality = w.Combobox(options=self._labels(pref), value=self._label(code), ensure_option=False,
                                       continuous_update=False, placeholder="市町村名またはコード（例：松江、322016）",
                                       description="市町村", layout=wide, style=style)
        q = self.codebook[question] if question else self.codebook.in_group(next(iter(self.codebook.groups)))[0]
        self.group = w.Dropdown(options=[(label, g) for g, label in self.codebook.groups.items()], value=q.group,
                                description="設問群", layout={"width": "48em"}, style=style)
        self.question = w.Dropdown(options=self._questions(q.group), value=q.id, description="設問",
                                   layout={"width": "48em"}, style=style)
        self.scopes = {s: w.Checkbox(value=s in DEFAULT_SCOPES, description=label, indent=False,
                                     layout={"width": "auto"}) for s, label in SCOPES.items()}
        self.compare_with = w.Combobox(options=[self._label(c) for c in self._muni["code"]], value="",
                                       ensure_option=False, continuous_update=False,
                                       placeholder="並べて比べる市町村（任意・空欄でなし）",
                                       description="比較相手", layout=wide, style=style)
        self.save_button = w.Button(description="CSVとPNGを保存", icon="download", button_style="info",
                                    tooltip=f"数値（CSV）とグラフ（PNG）を {self.exports_dir} に保存します")
        self.status = w.HTML()
        self.output = w.Output(layout={"border": "1px solid #ddd", "padding": "0.5em"})
        for widget, name in ((self.prefecture, "prefecture"), (self.municipality, "municipality"),
                             (self.group, "group"), (self.question, "question"), (self.compare_with, "compare"),
                             (self.save_button, "save"), (self.status, "status"), (self.output, "output")):
            widget.add_class(f"zaitaku-{name}")  # stable hooks for styling and browser tests
        self._code = code
        self._compare_code: str | None = None
        self._update_type_label()

        self.prefecture.observe(self._on_prefecture, names="value")
        self.municipality.observe(self._on_municipality, names="value")
        self.group.observe(self._on_group, names="value")
        self.question.observe(self._on_change, names="value")
        for box in self.scopes.values():
            box.observe(self._on_change, names="value")
        self.compare_with.observe(self._on_compare, names="value")
        self.save_button.on_click(lambda _b: self.save())

        self.widget = w.VBox([
            w.HTML("<b>在宅医療・介護連携推進事業 調査結果エクスプローラー</b>"
                   + (" <span style='color:#E4007F'>（デモ用の架空データ）</span>" if self.data.synthetic else "")),
            w.HBox([self.prefecture, self.municipality]),
            self.group, self.question,
            w.HBox([w.Label("比べる範囲："), *self.scopes.values()]),
            self.compare_with,
            w.HBox([self.save_button, self.status]),
            self.output,
        ])
        self._refresh()

    # ------------------------------------------------------------------ helpers
    def _initial_code(self, municipality: str | int) -> str:
        if municipality not in ("", None):
            return find_code(self.data, municipality)
        in_pref = self._muni[self._muni["prefecture"] == DEFAULT_PREFECTURE]
        return str((in_pref if len(in_pref) else self._muni)["code"].iloc[0])

    def _label(self, code: str) -> str:
        return municipality_label(code, self._by_code.loc[code, "name"])

    def _labels(self, pref_code: str) -> list[str]:
        return [self._label(c) for c in self._muni.loc[self._muni["pref_code"] == pref_code, "code"]]

    def _questions(self, group: str) -> list[tuple[str, str]]:
        return [(f"{q.number} {q.title}", q.id) for q in self.codebook.in_group(group)]

    def _update_type_label(self) -> None:
        box = self.scopes["type"]
        if covers_nation(self.data):
            box.description = f"全国の{self._by_code.loc[self._code, 'type']}（同じ類型）"
        else:  # the same type nationwide needs data for the nation
            box.value, box.disabled = False, True
            box.description = "全国の同じ類型（データが全国を含まないため使えません）"

    @contextlib.contextmanager
    def _hold(self) -> Iterator[None]:
        """Change several widgets, then refresh once."""
        busy, self._busy = self._busy, True
        try:
            yield
        finally:
            self._busy = busy

    def _say(self, message: str, error: bool = False) -> None:
        colour = "#B00020" if error else "#333333"
        self.status.value = f"<span style='color:{colour}'>{_esc(message)}</span>" if message else ""

    # ------------------------------------------------------------------ observers
    def _on_prefecture(self, change: dict) -> None:
        if self._busy:
            return
        with self._hold():
            self.municipality.options = self._labels(change["new"])
            if self._by_code.loc[self._code, "pref_code"] != change["new"]:
                self._code = str(self._muni.loc[self._muni["pref_code"] == change["new"], "code"].iloc[0])
            self.municipality.value = self._label(self._code)
            self._update_type_label()
        self._refresh()

    def _on_municipality(self, change: dict) -> None:
        if self._busy:
            return
        try:
            code = find_code(self.data, change["new"], self.prefecture.value)
        except ValueError as exc:
            self._say(f"{exc} 一覧から選ぶか、名前やコードを入れて Enter を押してください。", error=True)
            return
        with self._hold():
            self._code = code
            pref = self._by_code.loc[code, "pref_code"]
            if self.prefecture.value != pref:
                self.prefecture.value = pref
                self.municipality.options = self._labels(pref)
            self.municipality.value = self._label(code)
            self._update_type_label()
        self._refresh()

    def _on_group(self, change: dict) -> None:
        if self._busy:
            return
        with self._hold():
            self.question.options = self._questions(change["new"])
            self.question.value = self.question.options[0][1]
        self._refresh()

    def _on_compare(self, change: dict) -> None:
        if self._busy:
            return
        text = str(change["new"]).strip()
        if not text:
            self._compare_code = None
        else:
            try:
                self._compare_code = find_code(self.data, text)
            except ValueError as exc:
                self._say(str(exc), error=True)
                return
            with self._hold():
                self.compare_with.value = self._label(self._compare_code)
        self._refresh()

    def _on_change(self, _change: dict) -> None:
        if not self._busy:
            self._refresh()

    def select(self, question_id: str) -> None:
        """Show a question of any group (sets the group, then the question; refreshes once)."""
        q = self.codebook[question_id]
        with self._hold():
            self.group.value = q.group
            self.question.options = self._questions(q.group)
            self.question.value = q.id
        self._refresh()

    # ------------------------------------------------------------------ state
    @property
    def selected_scopes(self) -> tuple[str, ...]:
        return tuple(s for s, box in self.scopes.items() if box.value)

    def _refresh(self) -> None:
        """Rebuild chart, sentence and table for the current choices (called on every change)."""
        self.n_refreshes += 1
        codes = [self._code] + ([self._compare_code] if self._compare_code else [])
        try:
            views = [build_view(self.data, self.question.value, focus_of(self.data, c), self.selected_scopes)
                     for c in codes]
        except Exception as exc:  # shown in the widget; the explorer keeps working
            self.last_error = f"{type(exc).__name__}: {exc}"
            self._say(f"表示できませんでした：{self.last_error}", error=True)
            return
        self.last_error = None
        self._say("")
        self.current_views = views
        self.current_figures = pd.concat(
            [v.figures.assign(focus_code=v.focus.code, focus_name=v.focus.name) for v in views], ignore_index=True)
        self.current_figures = self.current_figures[["focus_code", "focus_name", *views[0].figures.columns]]
        self.current_sentences = [v.sentence for v in views]
        self.current_sentence = views[0].sentence
        self.current_png = views[0].png
        if len(views) == 1:
            body = views[0].html()
        else:
            cols = "".join(f'<div style="flex:1 1 0;min-width:22em">{v.html()}</div>' for v in views)
            body = f'<div class="zaitaku-side-by-side" style="display:flex;gap:1.5em;flex-wrap:wrap">{cols}</div>'
        self.current_html = body
        self.output.outputs = ({"output_type": "display_data", "metadata": {},
                                "data": {"text/html": body, "text/plain": self.current_sentence}},)

    # ------------------------------------------------------------------ saving
    def save(self, exports_dir: Path | str | None = None) -> list[Path]:
        """Save the current figures (CSV, UTF-8 with BOM) and each panel's chart (PNG)."""
        folder = Path(exports_dir) if exports_dir else self.exports_dir
        views = self.current_views
        if not views:
            self._say("保存するものがありません。", error=True)
            return []
        main = views[0]
        stem = _safe(f"{main.focus.code}_{main.focus.name}_{main.question.id}")
        if len(views) > 1:
            stem += "_vs_" + _safe(f"{views[1].focus.code}_{views[1].focus.name}")
        paths = [folder / f"{stem}.csv"]
        atomic.write_csv(self.current_figures, paths[0], excel=True)
        for v in views:
            if v.png is not None:
                p = folder / (_safe(f"{v.focus.code}_{v.focus.name}_{v.question.id}") + ".png")
                atomic.write_bytes(p, v.png)
                paths.append(p)
        self.last_saved = paths
        self._say("保存しました：" + "、".join(str(p) for p in paths))
        return paths

    # ------------------------------------------------------------------ display
    def show(self) -> None:
        """Display the explorer in a notebook."""
        from IPython.display import display

        display(self.widget)

    def _ipython_display_(self) -> None:
        self.show()


__all__ = ["SCOPES", "Explorer", "View", "answers", "build_view", "compare", "find_code", "find_focus",
           "question_info", "responded"]

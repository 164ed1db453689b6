"""Look at the data interactively: the ipywidgets :class:`Explorer`.

Everything shown is a :class:`zaitaku.report.section.Section` (the same figures, chart, sentences
and notes as a report section), rendered by :mod:`zaitaku.explore.html`; the explorer only lets
one choose what to compare. In a notebook (``notebooks/explorer.ipynb``)::

    from zaitaku.explore.explorer import Explorer
    Explorer().show()                      # the project's data/processed; or Explorer("folder")

The tutorials (``notebooks/tutorial/``) use the functions directly (re-exported here)::

    compare(data, "q1", "松江市")            # a View: chart, sentence and figures of one question
    question_info(data, "q1")               # the question and its options
    answers(data, "q1", prefecture="島根県") # each municipality's answer
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from zaitaku.analysis.aggregate import covers_nation, focus_of, load_processed
from zaitaku.analysis.processed import ProcessedData, available_years, load_years, year_order
from zaitaku.explore import html
from zaitaku.explore.tables import QuestionInfo, answers, question_info
from zaitaku.explore.trend_view import (
    TrendView,
    build_trend,
    default_option,
    trend_options,
    trend_view,
)
from zaitaku.explore.views import (
    DEFAULT_SCOPES,
    EXPORTS_DIR,
    SCOPES,
    View,
    build_view,
    compare,
    default_scopes,
    find_code,
    find_focus,
    municipality_label,
    responded,
    safe_name,
    save_section,
    show_section,
)
from zaitaku.lookup import InputError, find_question
from zaitaku.paths import PROCESSED_DATA_DIR
from zaitaku.reference.codebook import Question
from zaitaku.reference.codebook_source import require_codebook
from zaitaku.reference.published import year_ja

DEFAULT_PREFECTURE = "島根県"


class Explorer:
    """ipywidgets explorer: survey year, prefecture → municipality, question group → question, comparison
    scopes, a second municipality shown under the first (each chart at the reports' size: text ≥ 12 px), the
    trend of one option over the held years (:mod:`zaitaku.explore.trend_view`), and a button that saves the
    figures (CSV with the reports' columns) and the charts (PNG, SVG with title and source).

    The state behind the display is public, for tests and for further work in the notebook:
    ``current_figures`` (DataFrame of every panel, with ``focus_code``/``focus_name`` columns),
    ``current_sentence`` (the main panel's), ``current_sentences``, ``current_png``,
    ``current_views``, ``current_html``, ``current_trend`` (a :class:`TrendView`, None with one year),
    ``last_saved`` (paths), ``last_error``; ``current_png`` is the main panel's chart as it would be saved.
    ``year`` (a dropdown) chooses the survey year (every year the processed folder holds; the newest first shown).
    """

    def __init__(self, data_dir: Path | str = "", municipality: str | int = "",
                 question: str = "", exports_dir: Path | str | None = None, codebook: Path | str = "",
                 year: str = "") -> None:
        import ipywidgets as w

        if codebook:  # must be the one the data was ingested with
            require_codebook(codebook, data_dir or PROCESSED_DATA_DIR)

        self.data_dir = Path(data_dir or PROCESSED_DATA_DIR)
        self.data = load_processed(self.data_dir)  # the newest year (and the check that there is data)
        held = sorted(available_years(self.data_dir), key=year_order) or [self.data.survey_year]
        if year and year not in held:
            raise InputError(f"{year_ja(year)}（{year}）のデータがありません（あるのは {'・'.join(map(year_ja, held))}）。")
        if year:
            self.data = load_processed(self.data_dir, year)
        self.codebook = self.data.codebook
        self.current_trend: TrendView | None = None
        self.exports_dir = Path(exports_dir) if exports_dir else EXPORTS_DIR
        self._muni = responded(self.data)
        if self._muni.empty:
            raise ValueError(f"{data_dir or PROCESSED_DATA_DIR}: 回答した市町村がありません。")
        self._by_code = self._muni.set_index("code")
        self._busy = False
        self.n_refreshes = 0
        self.last_error: str | None = None
        self.last_saved: list[Path] = []
        self.current_views: list[View] = []
        self.current_figures = pd.DataFrame()
        self.current_sentence = ""
        self.current_sentences: list[str] = []
        self.current_html = ""

        code = self._initial_code(municipality)
        pref = self._by_code.loc[code, "pref_code"]
        prefs = self._muni.drop_duplicates("pref_code")
        wide = {"width": "32em"}
        style = {"description_width": "5em"}
        self.year = w.Dropdown(options=[(year_ja(y), y) for y in reversed(held)], value=self.data.survey_year,
                               description="調査年度", layout={"width": "18em"}, style=style)
        self.prefecture = w.Dropdown(options=[(f"{p} {n}", p) for p, n in zip(prefs["pref_code"], prefs["prefecture"], strict=True)],
                                     value=pref, description="都道府県", layout=wide, style=style)
        self.municipality = w.Combobox(options=self._labels(pref), value=self._label(code), ensure_option=False,
                                       continuous_update=False, placeholder="市町村名またはコード（例：松江、322016）",
                                       description="市町村", layout=wide, style=style)
        q = find_question(self.codebook, question) if question else self.codebook.in_group(next(iter(self.codebook.groups)))[0]
        self.group = w.Dropdown(options=[(label, g) for g, label in self.codebook.groups.items()], value=q.group,
                                description="設問群", layout={"width": "48em"}, style=style)
        self.question = w.Dropdown(options=self._questions(q.group), value=q.id, description="設問",
                                   layout={"width": "48em"}, style=style)
        defaults = default_scopes(self.data)
        self.scopes = {s: w.Checkbox(value=s in defaults, description=label, indent=False,
                                     layout={"width": "auto"}) for s, label in SCOPES.items()}
        self.compare_with = w.Combobox(options=[self._label(c) for c in self._muni["code"]], value="",
                                       ensure_option=False, continuous_update=False,
                                       placeholder="並べて比べる市町村（任意・空欄でなし）",
                                       description="比較相手", layout=wide, style=style)
        self.trend_option = w.Dropdown(options=trend_options(q), value=default_option(q), description="推移を見る",
                                       layout={"width": "48em"}, style=style)
        self.save_button = w.Button(description="CSVと画像を保存", icon="download", button_style="info",
                                    layout={"width": "auto"},
                                    tooltip=f"数値（CSV）とグラフ（PNG・SVG）を {self.exports_dir} に保存します")
        self.status = w.HTML()
        self.output = w.Output(layout={"border": "1px solid #ddd", "padding": "0.5em"})
        for widget, name in ((self.year, "year"), (self.trend_option, "trend-option"), (self.prefecture, "prefecture"), (self.municipality, "municipality"),
                             (self.group, "group"), (self.question, "question"), (self.compare_with, "compare"),
                             (self.save_button, "save"), (self.status, "status"), (self.output, "output")):
            widget.add_class(f"zaitaku-{name}")  # stable hooks for styling and browser tests
        self._code = code
        self._compare_code: str | None = None
        self._update_type_label()

        self.prefecture.observe(self._on_prefecture, names="value")
        self.municipality.observe(self._on_municipality, names="value")
        self.group.observe(self._on_group, names="value")
        self.year.observe(self._on_year, names="value")
        self.question.observe(self._on_question, names="value")
        self.trend_option.observe(self._on_change, names="value")
        for box in self.scopes.values():
            box.observe(self._on_change, names="value")
        self.compare_with.observe(self._on_compare, names="value")
        self.save_button.on_click(lambda _b: self.save())

        self.widget = w.VBox([
            w.HTML(html.render("title.html.j2", synthetic=self.data.synthetic)),
            self.year,
            w.HBox([self.prefecture, self.municipality]),
            self.group, self.question,
            w.HBox([w.Label("比べる範囲："), *self.scopes.values()]),
            self.compare_with,
            self.trend_option,
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

    def _set_trend_options(self, q: Question) -> None:
        """The trend selector's options for ``q`` (kept when the option is still there)."""
        options = trend_options(q)
        keep = self.trend_option.value if self.trend_option.value in {k for _, k in options} else default_option(q)
        self.trend_option.options = options
        self.trend_option.value = keep

    @property
    def years(self) -> dict[str, ProcessedData]:
        """Every survey year the processed folder holds (each loaded once per process)."""
        return load_years(self.data_dir)

    def _update_type_label(self) -> None:
        box = self.scopes["type"]
        if covers_nation(self.data):  # named as the bars and the sentences name it: 全国の中核市
            box.description = focus_of(self.data, self._code).peer_label
        else:  # the same kind nationwide needs data for the nation
            box.value, box.disabled = False, True
            box.description = "全国の同じ種類（データが全国を含まないため使えません）"

    @contextlib.contextmanager
    def _hold(self) -> Iterator[None]:
        """Change several widgets, then refresh once."""
        busy, self._busy = self._busy, True
        try:
            yield
        finally:
            self._busy = busy

    def _say(self, message: str, error: bool = False) -> None:
        self.status.value = html.render("status.html.j2", message=message, error=error).strip()

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
            self._set_trend_options(self.codebook[self.question.value])
        self._refresh()

    def _on_question(self, change: dict) -> None:
        if self._busy:
            return
        with self._hold():
            self._set_trend_options(self.codebook[change["new"]])
        self._refresh()

    def _on_year(self, change: dict) -> None:
        """Another survey year: its data and codebook; the municipality and question kept where they exist."""
        if self._busy:
            return
        self.data = load_processed(self.data_dir, change["new"])
        self.codebook = self.data.codebook
        self._muni = responded(self.data)
        self._by_code = self._muni.set_index("code")
        with self._hold():
            if self._code not in self._by_code.index:
                pref = self.prefecture.value
                in_pref = self._muni[self._muni["pref_code"] == pref]
                self._code = str((in_pref if len(in_pref) else self._muni)["code"].iloc[0])
            if self._compare_code and self._compare_code not in self._by_code.index:
                self._compare_code = None
                self.compare_with.value = ""
            self.municipality.options = self._labels(str(self._by_code.loc[self._code, "pref_code"]))
            self.municipality.value = self._label(self._code)
            self.compare_with.options = [self._label(c) for c in self._muni["code"]]
            ids = {q.id for q in self.codebook}
            qid = self.question.value if self.question.value in ids else self.codebook.in_group(self.group.value or "")[0].id \
                if self.codebook.in_group(self.group.value or "") else next(iter(self.codebook)).id
            q = self.codebook[qid]
            self.group.options = [(label, g) for g, label in self.codebook.groups.items()]
            self.group.value = q.group
            self.question.options = self._questions(q.group)
            self.question.value = q.id
            self._set_trend_options(q)
            self._update_type_label()
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
        q = find_question(self.codebook, question_id)
        with self._hold():
            self.group.value = q.group
            self.question.options = self._questions(q.group)
            self.question.value = q.id
            self._set_trend_options(q)
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
            trend = self._trend(views[0])
            trend_part = trend.html() if trend is not None else html.render(
                "status.html.j2", message=f"年度の推移：{year_ja(self.data.survey_year)}より前の年度のデータがありません。",
                error=False)
        except InputError as exc:  # a wrong name or id: its one Japanese line
            self.last_error = str(exc)
            self._say(f"表示できませんでした：{exc}", error=True)
            return
        except Exception as exc:  # shown in the widget; the explorer keeps working
            self.last_error = f"{type(exc).__name__}: {exc}"
            self._say("表示できませんでした（プログラムの不具合です。この表示を担当者に伝えてください："
                      f"{self.last_error}）", error=True)
            return
        self.last_error = None
        self._say("")
        self.current_views = views
        self.current_figures = pd.concat(
            [v.figures.assign(focus_code=v.focus.code, focus_name=v.focus.name) for v in views], ignore_index=True)
        self.current_figures = self.current_figures[["focus_code", "focus_name", *views[0].figures.columns]]
        self.current_sentences = [v.sentence for v in views]
        self.current_sentence = views[0].sentence
        if len(views) == 1:
            body = views[0].html()
        else:
            body = html.render("side_by_side.html.j2", panels=[html.trusted(v.html()) for v in views])
        self.current_trend = trend
        body += trend_part
        self.current_html = body
        self.output.outputs = ({"output_type": "display_data", "metadata": {},
                                "data": {"text/html": body, "text/plain": self.current_sentence}},)

    def _trend(self, view: View) -> TrendView | None:
        """The trend of the chosen option for the main panel's municipality (None without an earlier year)."""
        years = self.years
        if sum(year_order(y) <= year_order(self.data.survey_year) for y in years) < 2:
            return None
        return build_trend(years, self.data.survey_year, view.question.id, view.focus, self.trend_option.value)

    @property
    def current_png(self) -> bytes | None:
        """The main panel's chart as saved (PNG with title and source); None without a comparison scope."""
        return self.current_views[0].png if self.current_views else None

    # ------------------------------------------------------------------ saving
    def save(self, exports_dir: Path | str | None = None) -> list[Path]:
        """Save the current figures (CSV with the reports' Japanese columns, UTF-8 with BOM) and each
        panel's chart (PNG and SVG carrying title, question, municipality, scopes with n and source)."""
        from zaitaku.explore.export import save_views

        folder = Path(exports_dir) if exports_dir else self.exports_dir
        views = self.current_views
        if not views:
            self._say("保存するものがありません。", error=True)
            return []
        main = views[0]
        stem = safe_name(f"{self.data.survey_year}_{main.focus.code}_{main.focus.name}_{main.question.id}")
        if len(views) > 1:
            stem += "_vs_" + safe_name(f"{views[1].focus.code}_{views[1].focus.name}")
        chart_stems = [safe_name(f"{self.data.survey_year}_{v.focus.code}_{v.focus.name}_{v.question.id}") for v in views]
        try:
            paths = save_views([v.drawn for v in views], folder, stem, self.data.synthetic, chart_stems)
            if self.current_trend is not None:
                paths += self.current_trend.save(folder, f"{chart_stems[0]}_推移")
        except OSError as exc:
            self._say(f"保存できませんでした（{folder}）：{exc.strerror or exc}", error=True)
            return []
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


__all__ = [
    "DEFAULT_SCOPES",
    "EXPORTS_DIR",
    "SCOPES",
    "Explorer",
    "QuestionInfo",
    "TrendView",
    "View",
    "answers",
    "build_trend",
    "build_view",
    "compare",
    "default_scopes",
    "find_code",
    "find_focus",
    "municipality_label",
    "question_info",
    "responded",
    "save_section",
    "show_section",
    "trend_view",
]

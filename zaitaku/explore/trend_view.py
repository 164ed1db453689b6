"""One question's option over the survey years, as the explorer and the tutorials show it.

The figures are :func:`zaitaku.analysis.trend.trend`'s (the reports' 年度の推移), never recomputed:
the municipality's answer in each year, the prefecture's and the same-kind share with n, the national
figure of that year, and comparability from the crosswalk (caution: marked, with its reason; none: not
compared, the line broken at that year)::

    years = load_years(data_dir)
    tv = trend_view(years, "q4_1_7_1", "松江市")          # newest year, the question's headline option
    tv.shares("prefecture")                                # 年度, 該当数, n, 割合（%）, 比較, 理由
    tv.changes                                             # the changes in the deck's manner
    tv.save("exports")                                     # CSV, PNG, SVG
"""

from __future__ import annotations

import functools
import io
import itertools
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from zaitaku.analysis.aggregate import Focus, focus_of
from zaitaku.analysis.processed import ProcessedData, year_order
from zaitaku.analysis.trend import Change, change_sentence, changes, trend
from zaitaku.explore import html
from zaitaku.explore.export import CAPTION_PX, SYNTHETIC_LABEL
from zaitaku.explore.tables import answers
from zaitaku.explore.views import find_code, safe_name
from zaitaku.files import atomic
from zaitaku.lookup import InputError, find_question
from zaitaku.reference.codebook import GROUP_PREFIX, Question
from zaitaku.reference.crosswalk import comparability, crosswalk_path, load_crosswalk
from zaitaku.reference.published import year_ja
from zaitaku.report import format as fmt
from zaitaku.report.charts import house_style
from zaitaku.report.charts.style import FS_SMALL, MUTED, SCOPE_COLOURS, TEXT, WIDTH_PX
from zaitaku.report.charts.svg import figure_png, figure_svg, svg_markup
from zaitaku.report.charts.text import wrap
from zaitaku.report.trend_html import headline_options, trend_table

SEP = "|"
CHART_SCOPES = ("prefecture", "type", "nation")
LINE_STYLE = {"prefecture": (SCOPE_COLOURS["prefecture"], "o"), "type": (SCOPE_COLOURS["peer"], "s"),
              "nation": (SCOPE_COLOURS["nation"], "^")}
CAUTION_MARK = "（注意）"
NOT_COMPARED = "比較しない"


def option_key(row_id: str, option_id: str) -> str:
    return f"{row_id}{SEP}{option_id}"


def trend_options(q: Question) -> list[tuple[str, str]]:
    """(label, key) of every row × option and option group of a question, for a selector."""
    out = []
    for row in q.row_ids:
        prefix = f"{q.row(row).label}：" if row else ""
        for o in [*q.option_ids, *(g.option_id for g in q.option_groups)]:
            out.append((prefix + q.option_label(o), option_key(row, o)))
    return out


def default_option(q: Question) -> str:
    """The option the reports' trend states first (:func:`~zaitaku.report.trend_html.headline_options`)."""
    return option_key(q.row_ids[0], headline_options(q)[0])


def _question_in(year: str, year_b: str, question_b: str) -> str:
    if year == year_b or not crosswalk_path(year, year_b).is_file():
        return question_b
    return load_crosswalk(year, year_b).question_a(question_b)


@dataclass
class TrendView:
    """One option of one question over the held survey years (the figures of :func:`trend`)."""

    question: Question
    focus: Focus
    year: str
    row_id: str
    option_id: str
    frame: pd.DataFrame
    """:func:`trend`'s rows of this row and option (every scope), oldest year first."""
    held: list[str]
    """The survey years held up to ``year``."""
    not_compared: dict[str, str]
    """Held years this option is not compared with: year → the crosswalk's reason."""
    own_answers: dict[str, str] = field(default_factory=dict)
    """The municipality's answer in each compared year, in words."""
    synthetic: bool = False
    no_figures: list[str] = field(default_factory=list)
    """Held years that could be compared but have no figure (nobody answered)."""

    def __repr__(self) -> str:
        return f"TrendView({self.question.id}, {self.option_label}, {self.focus.label}, {'・'.join(self.held)})"

    @property
    def option_label(self) -> str:
        q = self.question
        return (f"{q.row(self.row_id).label}：" if self.row_id else "") + q.option_label(self.option_id)

    @property
    def compared(self) -> list[str]:
        """Held years with figures (year B itself included)."""
        present = set(self.frame["survey_year"])
        return [y for y in self.held if y in present]

    @property
    def caution(self) -> dict[str, str]:
        """Years compared with caution: year → reason."""
        f = self.frame[(self.frame["comparability"] == "caution") & (self.frame["scope"] != "reference")]
        return dict(zip(f["survey_year"], f["reason"], strict=True))

    def shares(self, scope: str = "prefecture") -> pd.DataFrame:
        """One scope over the years: 年度, 該当数, n, 割合（%）, 比較 (比較できる/注意/比較しない), 理由."""
        f = self.frame[self.frame["scope"] == scope].set_index("survey_year")
        rows = []
        for y in self.held:
            if y in f.index:
                r = f.loc[y]
                rows.append({"年度": year_ja(y), "該当数": r["n_selected"], "n": r["n_base"],
                             "割合（%）": round(float(r["share"]) * 100, 1),
                             "比較": "注意" if r["comparability"] == "caution" else "比較できる",
                             "理由": r["reason"] if r["comparability"] == "caution" else ""})
            elif y in self.not_compared:
                rows.append({"年度": year_ja(y), "該当数": None, "n": None, "割合（%）": None,
                             "比較": NOT_COMPARED, "理由": self.not_compared[y]})
            else:
                rows.append({"年度": year_ja(y), "該当数": None, "n": None, "割合（%）": None,
                             "比較": "数値なし", "理由": "回答がありません"})
        return pd.DataFrame(rows, columns=["年度", "該当数", "n", "割合（%）", "比較", "理由"])

    @functools.cached_property
    def changes(self) -> list[Change]:
        """Each scope's change from the previous compared year to ``year`` (prefecture, same kind, nation)."""
        prev = [y for y in self.compared if y != self.year]
        if not prev:
            return []
        return [c for scope in CHART_SCOPES for c in changes(self.frame, self.question, prev[-1], self.year, scope)]

    @property
    def sentences(self) -> list[str]:
        """The changes in the deck's manner; a caution's reason is said once, in :attr:`notes`."""
        return [change_sentence(c).replace(f"（比較に注意：{c.reason}）", "（比較に注意：下の※）") for c in self.changes]

    @property
    def notes(self) -> list[str]:
        out = [f"{'・'.join(map(year_ja, self.no_figures))}の『{self.option_label}』の数値はありません（回答がありません）。"
               ] if self.no_figures else []
        out += [f"{year_ja(y)}とは比較しません（{reason}）。グラフの線はこの年度で切れています。"
               for y, reason in self.not_compared.items()]
        out += [f"{year_ja(y)}との比較は注意が必要です：{reason}" for y, reason in self.caution.items()]
        if (self.frame["scope"] == "reference").any():
            out.append("「参考：全国公表値」は別の年度の公表値で、その年度の全国値ではありません。")
        return out

    def table(self) -> pd.DataFrame:
        """Scopes down, years across (the reports' 年度の推移 table), the municipality's answer on top."""
        if (self.frame["scope"] != "municipality").any():
            wide = trend_table(self.frame, self.question, [self.option_id])
            wide = wide.droplevel(0) if isinstance(wide.index, pd.MultiIndex) else wide
        else:  # no figures in any year (nobody was asked): an empty table, the notes say why
            wide = pd.DataFrame(index=pd.Index([], name="集計範囲"))
        for y in self.not_compared:
            wide[year_ja(y)] = NOT_COMPARED
        wide = wide.reindex(columns=[c for c in self._year_columns() if c in wide.columns] or None)
        if wide.empty and not self.own_answers:
            return wide
        if self.focus.code and self.own_answers:
            own = pd.DataFrame([{year_ja(y): a for y, a in self.own_answers.items()}],
                               index=[f"{self.focus.name}の回答"])
            for y in self.not_compared:
                own[year_ja(y)] = NOT_COMPARED
            wide = pd.concat([own, wide]).reindex(columns=wide.columns).fillna(fmt.MISSING)
        wide.index.name = "集計範囲"
        return wide

    def _year_columns(self) -> list[str]:
        labels = dict(zip(self.frame["survey_year"], self.frame["year_label"], strict=True))
        years = sorted({*self.held, *labels}, key=year_order)
        return [labels.get(y, year_ja(y)) for y in years]

    @property
    def title(self) -> str:
        q, f = self.question, self.focus
        who = f"{f.name}（{f.pref_name}）" if f.code else f.pref_name
        return f"{q.number} {q.title}：『{self.option_label}』の年度の推移　{who}"

    def figures(self) -> pd.DataFrame:
        """The numbers for a CSV: one row per year × scope (Japanese columns), not-compared years included."""
        q = self.question
        rows = []
        rec: dict[Hashable, Any]
        for rec in self.frame.to_dict("records"):
            share = rec["share"]
            rows.append({"対象": self.focus.name or self.focus.pref_name, "設問番号": q.number, "設問": q.title,
                         "選択肢": self.option_label, "年度": rec["year_label"], "集計範囲": rec["scope_label"],
                         "該当数": rec["n_selected"], "分母": rec["n_base"],
                         "割合(%)": round(float(share) * 100, 1) if pd.notna(share) else None,
                         "比較": {"caution": "注意", "compare": "比較できる"}.get(str(rec["comparability"]), ""),
                         "理由": rec["reason"], "出典": "公表値" if rec["source"] == "published" else "データから集計"})
        for y, reason in self.not_compared.items():
            rows.append({"対象": self.focus.name or self.focus.pref_name, "設問番号": q.number, "設問": q.title,
                         "選択肢": self.option_label, "年度": year_ja(y), "集計範囲": "", "該当数": None, "分母": None,
                         "割合(%)": None, "比較": NOT_COMPARED, "理由": reason, "出典": ""})
        return pd.DataFrame(rows)

    def chart(self) -> Figure:
        """Lines over the years per scope; dashed into a year compared with caution; broken at a year not compared."""
        years = self.held
        x = {y: i for i, y in enumerate(years)}
        fig = Figure(figsize=(WIDTH_PX / 72, 300 / 72))
        with house_style():
            ax = fig.add_subplot()
            for scope in CHART_SCOPES:
                f = self.frame[(self.frame["scope"] == scope)].set_index("survey_year")
                f = f[f.index.isin(years) & f["share"].notna()]
                if f.empty:
                    continue
                colour, marker = LINE_STYLE[scope]
                label = str(f["scope_label"].iloc[-1])
                for a, b in itertools.pairwise(years):
                    if a in f.index and b in f.index:
                        dashed = "caution" in (f.loc[a, "comparability"], f.loc[b, "comparability"])
                        ax.plot([x[a], x[b]], [f.loc[a, "share"] * 100, f.loc[b, "share"] * 100], color=colour,
                                linestyle="--" if dashed else "-", linewidth=2)
                for y, r in f.iterrows():
                    caution = r["comparability"] == "caution"
                    ax.plot([x[str(y)]], [r["share"] * 100], marker=marker, markersize=8, color=colour,
                            markerfacecolor="white" if caution else colour, linestyle="none")
                    if scope == CHART_SCOPES[0]:  # the others' figures are in the table (labels would collide)
                        n = "" if pd.isna(r["n_base"]) else f"（n={int(r['n_base']):,}）"
                        later = f[f.index.map(year_order) > year_order(str(y))]["share"]
                        below = len(later) > 0 and later.iloc[0] > r["share"]  # keep the label off a rising line
                        ax.annotate(f"{r['share'] * 100:.1f}%{n}" + (CAUTION_MARK if caution else ""),
                                    (x[str(y)], r["share"] * 100), textcoords="offset points",
                                    xytext=(10, -18 if below else 6),
                                    fontsize=FS_SMALL, color=TEXT)
                ax.plot([], [], color=colour, marker=marker, linewidth=2, label=label)
            if self.caution:
                ax.plot([], [], color=MUTED, marker="o", markerfacecolor="white", linestyle="--",
                        label="比較に注意（白抜き・破線）")
            for y in self.not_compared:
                ax.axvline(x[y], color=MUTED, linestyle=":", linewidth=1)
                ax.annotate(NOT_COMPARED, (x[y], 2), ha="center", fontsize=FS_SMALL, color=MUTED)
            ax.set_xticks(range(len(years)), [year_ja(y) for y in years])
            ax.set_xlim(-0.3, len(years) - 0.4)
            ax.set_ylim(0, 105)
            ax.set_ylabel("割合（%）")
            ax.grid(axis="y", color="#D9D9D9")
            if ax.get_legend_handles_labels()[0]:
                ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=FS_SMALL)
            fig.subplots_adjust(left=0.07, right=0.72, bottom=0.12, top=0.95)
        return fig

    def chart_html(self) -> str:
        alt = f"{self.title}。" + " ".join(self.sentences or ["比較できる前の年度がありません。"])
        return svg_markup(figure_svg(self.chart()), alt, WIDTH_PX)

    def html(self) -> str:
        own = "・".join(f"{year_ja(y)}「{a}」" for y, a in self.own_answers.items())
        return html.render("trend.html.j2", title=self.title, years="・".join(map(year_ja, self.held)),
                           chart=html.trusted(self.chart_html()), sentences=self.sentences,
                           own=f"{self.focus.name}の回答：{own}" if own and self.focus.code else "",
                           table=html.frame_html(self.table()), notes=self.notes, synthetic=self.synthetic)

    def _repr_html_(self) -> str:
        return self.html()

    def save(self, folder: Path | str, stem: str | None = None) -> list[Path]:
        """``<stem>.csv`` (UTF-8 with BOM) and the chart as ``<stem>.png`` and ``<stem>.svg`` with title and notes."""
        folder = Path(folder)
        stem = stem or safe_name(f"{self.focus.code or self.focus.pref_code}_{self.focus.name}_{self.question.id}_推移")
        csv, png, svg = (folder / f"{stem}.{ext}" for ext in ("csv", "png", "svg"))
        atomic.write_csv(self.figures(), csv, excel=True)
        fig = self.chart()
        with house_style():
            fig.suptitle(self.title + ("　［デモ用の架空データ］" if self.synthetic else ""), x=0.01, ha="left",
                         fontsize=15)
            texts = [*self.notes, f"出典：{self.question_source}"] + ([SYNTHETIC_LABEL] if self.synthetic else [])
            caption = [line for text in texts for line in wrap(text, CAPTION_PX, FS_SMALL)]
            fig.set_figheight(fig.get_figheight() + 0.25 * len(caption))
            fig.subplots_adjust(top=0.86, bottom=0.12 + 0.06 * len(caption))
            fig.supxlabel("\n".join(caption), x=0.01, ha="left", fontsize=FS_SMALL, color=MUTED, linespacing=1.4)
        atomic.write_bytes(png, figure_png(fig, scale=2.0))
        out = io.BytesIO()
        with house_style():
            fig.savefig(out, format="svg", metadata={"Date": None})
        atomic.write_bytes(svg, out.getvalue())
        return [csv, png, svg]

    @property
    def question_source(self) -> str:
        return "在宅医療・介護連携推進事業の実施状況調査（" + "・".join(map(year_ja, self.held)) + "）"


def build_trend(years: Mapping[str, ProcessedData], year: str, question_id: str, focus: Focus,
                option: str = "", national: str = "auto") -> TrendView:
    """The :class:`TrendView` of ``option`` (``"row|option"``, or an option id; default: the reports' headline
    option) of a question of ``year`` for ``focus``, over every held year up to ``year``."""
    if year not in years:
        there = "・".join(map(year_ja, sorted(years, key=year_order)))
        raise InputError(f"{year_ja(year)}のデータがありません（あるのは {there}）。")
    q = find_question(years[year].codebook, question_id)
    key = option or default_option(q)
    row, _, opt = key.rpartition(SEP) if SEP in key else (q.row_ids[0], "", key)
    if option_key(row, opt) not in {k for _, k in trend_options(q)}:
        raise InputError(f"{q.number} に選択肢「{option}」はありません（"
                         + "、".join(f"{k.split(SEP)[1]} {label}" for label, k in trend_options(q)[:9]) + "…）。")
    df = trend(years, year, q.id, focus, national)
    frame = df[(df["row_id"] == row) & (df["option_id"] == opt)].reset_index(drop=True)
    held = [y for y in sorted(years, key=year_order) if year_order(y) <= year_order(year)]
    present = set(frame["survey_year"])
    missing, empty = {}, []
    for y in held:
        if y not in present:
            link = comparability(y, year, q.id, row, None if opt.startswith(GROUP_PREFIX) else opt)
            if link.comparability == "none":
                missing[y] = link.reason
            else:
                empty.append(y)
    own = _own_answers(years, year, q, focus, [y for y in held if y in present])
    return TrendView(q, focus, year, row, opt, frame, held, missing, own, bool(years[year].synthetic), empty)


def _own_answers(years: Mapping[str, ProcessedData], year: str, q: Question, focus: Focus,
                 compared: list[str]) -> dict[str, str]:
    if not focus.code or q.is_matrix:
        return {}
    out = {}
    for y in compared:
        try:
            a = answers(years[y], _question_in(y, year, q.id), municipality=focus.code)
        except (InputError, KeyError):
            out[y] = "回答なし"
            continue
        out[y] = str(a["回答"].iloc[0]) if len(a) else "回答なし"
    return out


def trend_view(years: Mapping[str, ProcessedData], question_id: str, municipality: str | int = "",
               option: str = "", year: str = "", prefecture: str = "") -> TrendView:
    """A question's option over the years for a municipality (name or code, as typed) or a prefecture.

    ``year``: the latest year shown (default the newest held); ``option``: an option id (``"1"``) or
    ``"row|option"`` (default: the option the reports' trend states first)."""
    if not years:
        raise InputError("処理済みデータに調査年度がありません。先に `zaitaku ingest` を実行してください。")
    year = year or sorted(years, key=year_order)[-1]
    if year not in years:
        raise InputError(f"{year_ja(year)}のデータがありません（あるのは {'・'.join(map(year_ja, years))}）。")
    data = years[year]
    focus = focus_of(data, find_code(data, municipality)) if municipality not in ("", None) else focus_of(data, "", prefecture)
    return build_trend(years, year, question_id, focus, option)

"""One question compared for one municipality, as the explorer and the tutorials show it.

A :class:`View` wraps the :class:`~zaitaku.report.section.Section` of what is shown (the chosen
comparison scopes only) and its chart as PNG; in a notebook it displays itself::

    v = compare(data, "q1", "松江市")              # name, 6- or 5-digit code, 14702 as an int
    v.section.figures                              # the numbers of the chart and the table
    v.shares("prefecture")                         # one scope as a plain table
    v.save("exports")                              # CSV (the reports' columns), PNG and SVG with title and source
"""

from __future__ import annotations

import dataclasses
import functools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from zaitaku.analysis.aggregate import Focus, ProcessedData, covers_nation, focus_of
from zaitaku.explore import html
from zaitaku.lookup import InputError, find_question, suggestion
from zaitaku.paths import PROJ_ROOT
from zaitaku.reference.codebook import Question
from zaitaku.reference.municipalities import CodeError, resolve
from zaitaku.report import charts
from zaitaku.report.section import Note, Section, build_section, national_note

#: comparison scopes one can switch on and off (``published`` = the ministry's national figures)
SCOPES = {
    "prefecture": "都道府県",
    "nation": "全国（データからの集計）",
    "published": "全国（公表値）",
    "type": "全国の同じ種類（中核市・市・町・村など）",
}
DEFAULT_SCOPES = ("prefecture", "type", "nation")
"""As the reports: the prefecture, the same kind nationwide and the nation (the same kind only when the data
covers the nation: :func:`default_scopes`)."""
EXPORTS_DIR = PROJ_ROOT / "exports"
NO_SAME_TYPE = "※ 手元のデータが全国を含まないため、全国の同じ種類の市町村との比較は表示していません。"


def default_scopes(data: ProcessedData) -> tuple[str, ...]:
    """The scopes a report compares with: the same kind nationwide only when the data covers the nation."""
    return DEFAULT_SCOPES if covers_nation(data) else tuple(s for s in DEFAULT_SCOPES if s != "type")


def safe_name(text: str) -> str:
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


def _typed_part(ok: pd.DataFrame, s: str, prefecture: str | None) -> pd.DataFrame:
    """Answering municipalities whose 「code 県名市町村名」 contains the typed text."""
    key = unicodedata.normalize("NFKC", s)
    labels = ok["code"] + " " + ok["prefecture"] + ok["name"]
    hits = ok[labels.str.contains(key, regex=False)]
    # several fit: prefer the current prefecture, then names (codes) that start with the text,
    # so that 「出雲」 typed in 島根県 is 出雲市 (not 奥出雲町, nor 新潟県の出雲崎町)
    for narrower in (lambda h: h["pref_code"] == (prefecture or ""),
                     lambda h: h["name"].str.startswith(key) | h["code"].str.startswith(key)):
        if len(hits) > 1 and narrower(hits).any():
            hits = hits[narrower(hits)]
    return hits


def find_code(data: ProcessedData, text: str | int, prefecture: str | None = None) -> str:
    """The code of an answering municipality, given as people type it.

    「322016 松江市」 (a label from the list), a 6-digit code, a 5-digit code, a code that lost its
    leading zero (``14702`` for 014702, also as an int), a name with or without the prefecture, or
    part of a name or code when only one municipality fits (in ``prefecture``, a 2-digit code,
    first). Raises ValueError (in Japanese) for unknown, ambiguous or non-answering municipalities.
    """
    s = unicodedata.normalize("NFKC", str(text)).strip()
    if not s:
        raise InputError("市町村名またはコードを入力してください。")
    label = re.match(r"^(\d{6})\s+\S", s)
    ok = responded(data)
    try:
        code = label.group(1) if label else resolve(text if isinstance(text, int) else s)
    except CodeError as exc:
        hits = _typed_part(ok, s, prefecture)
        if s.isdigit() and len(s) == 5 and len(hits) > 1:  # 14702: the 6-digit code without its zero
            hits = hits[hits["code"] == s.zfill(6)]
        if len(hits) == 1:
            return str(hits["code"].iloc[0])
        if len(hits) > 1:
            names = "、".join(municipality_label(c, n) for c, n in zip(hits["code"][:5], hits["name"][:5], strict=True))
            more = "…" if len(hits) > 5 else ""
            raise InputError(f"「{s}」に当たる市区町村が{len(hits)}あります（{names}{more}）。") from exc
        choices = {**{f"{p}{n}": municipality_label(c, n) for c, p, n in ok[["code", "prefecture", "name"]].itertuples(index=False)},
                   **{n: municipality_label(c, n) for c, n in ok[["code", "name"]].itertuples(index=False)}}
        hint = suggestion(s, choices)
        raise InputError(f"「{s}」に当たる市区町村が見つかりません。" + (f"{hint}。" if hint else "")) from exc
    if code not in set(ok["code"]):
        raise InputError(f"「{s}」（{code}）の回答データがありません。")
    return code


def find_focus(data: ProcessedData, municipality: str | int) -> Focus:
    """The :class:`~zaitaku.analysis.aggregate.Focus` of a municipality given by name or code."""
    return focus_of(data, find_code(data, municipality))


# --------------------------------------------------------------------------------------------
# one question for one municipality


@dataclass
class View:
    """One question compared for one municipality: what the explorer shows in one panel.

    ``section`` holds exactly the numbers of the chart and the table (its ``figures``: one row per
    shown scope × option), the sentence and the notes. The panel shows the report's inline SVG chart
    at its full width (text ≥ 12 px; scrolled sideways in a narrower window); ``png`` is the chart
    as saved (title, question, municipality, scopes with n, source; None when no comparison scope
    is chosen). In a notebook a View displays itself.
    """

    section: Section
    scopes: tuple[str, ...]

    @property
    def drawn(self) -> Section:
        """The section as charted (matrices draw the first chosen scope large)."""
        return dataclasses.replace(self.section, figures=_chart_frame(self.question, self.section.figures))

    @functools.cached_property
    def png(self) -> bytes | None:
        """The saved chart (:func:`zaitaku.explore.export.captioned_figure`) as PNG, made when first asked."""
        if not self.section.has_figures:
            return None
        from zaitaku.explore.export import captioned_figure

        return charts.figure_png(captioned_figure(self.drawn, self.synthetic))

    @property
    def synthetic(self) -> bool:
        return bool(self.section.extras.get("synthetic", False))

    def __repr__(self) -> str:
        return f"View({self.question.id}, {self.focus.label}, scopes={list(self.scopes)})"

    @property
    def question(self) -> Question:
        return self.section.question

    @property
    def focus(self) -> Focus:
        return self.section.focus

    @property
    def figures(self) -> pd.DataFrame:
        return self.section.figures

    @property
    def sentence(self) -> str:
        return " ".join(self.section.sentences)

    @property
    def notes(self) -> list[Note]:
        return self.section.notes

    @property
    def title(self) -> str:
        f = self.focus
        return f"{f.name}（{f.pref_name}・{f.peer or f.type}）" if f.code else f.pref_name

    def html(self, heading: bool = True) -> str:
        s = self.section
        table = html.frame_html(s.table(), classes="figures") if s.has_figures else ""
        chart = html.trusted(self.drawn.chart_html()) if s.has_figures else ""
        return html.render("view.html.j2", heading=heading, title=self.title, q=s.question, notes=s.notes,
                           chart=chart, sentences=s.sentences, table=table, open_table=not s.question.is_matrix)

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
        """Write ``<stem>.csv`` (UTF-8 with BOM, the reports' Japanese columns and percentages) and the chart
        as ``<stem>.png`` and ``<stem>.svg`` (title, question, municipality, scopes with n, source) into ``folder``."""
        from zaitaku.explore.export import save_views

        stem = stem or safe_name(f"{self.focus.code}_{self.focus.name}_{self.question.id}")
        return save_views([self.drawn], folder, stem, self.synthetic, [stem])


def _chart_frame(q: Question, df: pd.DataFrame) -> pd.DataFrame:
    """Matrices draw one scope large (``prefecture``) and the nation small: pick the first chosen."""
    if not q.is_matrix or (df["scope"] == "prefecture").any():
        return df
    for scope in ("type", "nation"):
        if (df["scope"] == scope).any():
            return df.assign(scope=df["scope"].replace({scope: "prefecture"}))
    return df


def _shown_figures(data: ProcessedData, q: Question, focus: Focus, scopes: tuple[str, ...]
                   ) -> tuple[pd.DataFrame, Section, list[Note]]:
    """The figures of the chosen scopes, the Section whose sentence applies, and the scope notes."""
    base = build_section(data, q.id, focus, "computed")  # the "nation" toggle = computed (relabelled when partial)
    df_c = base.figures
    parts = [df_c[df_c["scope"] == "municipality"]]
    parts += [df_c[df_c["scope"] == s] for s in ("prefecture", "type") if s in scopes]
    if "nation" in scopes:
        parts.append(df_c[df_c["scope"] == "nation"])
    notes: list[Note] = []
    told = base
    if "published" in scopes:
        published = build_section(data, q.id, focus, "published")
        df_p = published.figures
        pub = df_p[(df_p["scope"] == "nation") & (df_p["source"] == "published")]
        if len(pub):
            parts.append(pub)
            told = published
        elif "nation" not in scopes:  # comparison() keeps the computed nation only when the data covers it
            parts.append(df_p[df_p["scope"] == "nation"])
        note = national_note(data, q, df_p, "published")
        if note is not None:
            notes.append(note)
    if "type" in scopes and not covers_nation(data):  # as in comparison(): no same-type bar from partial data
        notes.append(Note("national", NO_SAME_TYPE))
    rows = {r: i for i, r in enumerate(q.row_ids)}
    shown = pd.concat(parts, ignore_index=True)
    shown = shown.iloc[shown["row_id"].map(rows).argsort(kind="stable")].reset_index(drop=True)
    return shown, told, [n for n in base.notes if n.kind in ("condition", "source")] + notes


def build_view(data: ProcessedData, question_id: str, focus: Focus,
               scopes: Iterable[str] | None = None) -> View:
    """Compare one question for one municipality against the chosen scopes (see :data:`SCOPES`).

    ``published`` shows the ministry's national figures where they exist; where they do not, the
    same note as in the reports is shown and the nation computed from the data is used only when
    the data covers the nation.
    """
    requested = set(default_scopes(data) if scopes is None else scopes)
    if requested - set(SCOPES):
        raise ValueError(f"比べる範囲 {sorted(requested - set(SCOPES))} はありません（{'、'.join(SCOPES)} から選びます）")
    chosen = tuple(s for s in SCOPES if s in requested)
    q = find_question(data.codebook, question_id)
    shown, told, notes = _shown_figures(data, q, focus, chosen)
    section = dataclasses.replace(told, figures=shown, notes=notes,
                                  national="published" if "published" in chosen else "computed")
    return View(section, chosen)


def compare(data: ProcessedData, question_id: str, municipality: str | int,
            scopes: Iterable[str] | None = None) -> View:
    """One question for a municipality (name or code, as typed) against its prefecture and the nation.

    ``scopes`` chooses the comparison: any of ``"prefecture"``, ``"nation"``, ``"published"``,
    ``"type"`` (municipalities of the same kind nationwide); by default those of the reports
    (:func:`default_scopes`).
    """
    return build_view(data, question_id, find_focus(data, municipality), scopes)


def show_section(section: Section) -> View:
    """A Section as the explorer shows it (chart, sentence, figures table); displays itself in a notebook."""
    return View(section, ())


def save_section(section: Section, folder: Path | str = EXPORTS_DIR) -> list[Path]:
    """Save a Section's figures (CSV with the reports' columns) and chart (PNG, SVG) as ``<code>_<name>_<question>``."""
    f = section.focus
    stem = safe_name(f"{f.code or f.pref_code}_{f.label}_{section.question.id}")
    return show_section(section).save(folder, stem)

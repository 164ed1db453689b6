"""What ``notebooks/implementation_timing.ipynb`` calls: one HTML block per section.

The implementation-timing tables of 「医療・介護連携推進事業 実施状況」 (one prefecture's 156
insurers, 平成27–28年) shown as its slides show them: the programme's start period at three
snapshots, each item (ア)～(ク) at 平成28年1月 and 平成28年7月, the 増減 between them, and the items
most insurers leave to the legal deadline 平成30年4月. A notebook stays thin::

    rep = TimingReport(data_dir, figures_csv)
    rep.header(); rep.programme(); rep.items_overview(); rep.change(); rep.deadline()
    for kana in ITEMS: rep.item(kana)
    rep.footer()
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
import pandas as pd
from IPython.display import HTML, display
from markupsafe import Markup
from matplotlib.figure import Figure

from zaitaku import __version__
from zaitaku.files import atomic, provenance
from zaitaku.paths import PROJ_ROOT, REFERENCE_DIR
from zaitaku.reference.timing import (
    BEFORE_DEADLINE_LABEL,
    DEADLINE,
    ITEM_SNAPSHOTS,
    ITEMS,
    PROGRAMME_SNAPSHOTS,
    TOTAL_INSURERS,
    TimingTables,
    change_between_snapshots,
    cumulative_subtotals,
    left_to_deadline,
    load_items,
    load_timing,
    shares_by_snapshot,
)
from zaitaku.report.charts import svg_tag
from zaitaku.report.timing_charts import (
    change_chart,
    deadline_chart,
    fmt_change,
    item_chart,
    items_chart,
    programme_chart,
)

SOURCE_TITLE = "医療・介護連携推進事業 実施状況"
TABLE_FILES = {
    "programme_start.csv": "「1 在宅医療介護連携推進事業の実施（予定）時期」（平成27年4月・平成28年1月・平成28年7月現在）",
    "item_start.csv": "「在宅医療介護連携推進事業の実施状況調査結果」事業項目別（平成28年1月現在・平成28年7月現在）",
    "item_start_bands_h28_07.csv": "「2 メニュー別の実施（予定）時期」（平成28年7月現在）",
    "programme_start_bands_h28_07.csv": "「1 在宅医療介護連携推進事業の実施（予定）時期」（平成28年7月現在、保険者数と小計）",
    "published_checks.csv": "印刷された「増減」と「小計」（照合にのみ使用）",
}
SCOPE_NOTE = (
    "この資料の数値は、ある1県の保険者156の回答です。全国の値ではありません（資料は県名を記していません）。"
    "時期は平成27～28年の調査時点の実施（予定）で、事業項目（ア）～（ク）は平成27年度からの旧事業項目です"
    "（令和3年度調査の設問とは対応しません）。"
)
PROGRAMME_NOTE = (
    "注）「保険者数」欄は、当該時期に「（ア）地域の医療・介護の資源の把握」から「（ク）在宅医療・介護連携に関する"
    "関係市町村の連携」のいずれか1つ以上の取組に着手（予定）の保険者数。（資料の注記）"
)
SECTIONS = [("programme", "事業全体の実施（予定）時期"), ("items", "事業項目別の実施（予定）時期"),
            ("change", "平成28年1月から7月への増減"), ("deadline", "平成30年4月（期限）からの実施を予定している項目")]


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.PackageLoader("zaitaku.report", "templates/timing"), autoescape=True,
                              trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined)


def _show(template: str, **context: Any) -> None:
    """Display one block of the report, rendered from ``templates/timing/`` (autoescaped)."""
    display(HTML(_environment().get_template(template).render(**context)))


def _origin(table: Path) -> dict:
    """The source of a timing table, from its provenance sidecar (empty when it has none)."""
    try:
        return dict(provenance.read(table).get("meta", {}).get("origin") or {})
    except FileNotFoundError:
        return {}


def _pct(n: int, total: int = TOTAL_INSURERS) -> str:
    return f"{n / total * 100:.1f}%"


def _count(n: int, total: int = TOTAL_INSURERS) -> str:
    """Table cell: 「76（48.7%）」."""
    return f"{int(n)}（{_pct(int(n), total)}）"


def _insurers(n: int, total: int = TOTAL_INSURERS) -> str:
    """In a sentence: 「76保険者（48.7%）」."""
    return f"{int(n)}保険者（{_pct(int(n), total)}）"


def timing_dir(data_dir: str | Path = "") -> Path:
    """The folder with the timing CSVs: ``data_dir`` (or its ``timing/``) if it holds them, else the reference."""
    if data_dir:
        d = Path(data_dir)
        for candidate in (d, d / "timing"):
            if (candidate / "programme_start.csv").is_file():
                return candidate
    return REFERENCE_DIR / "timing"


def _table(df: pd.DataFrame, caption: str, open_: bool = True) -> dict[str, Any]:
    """A figures table for ``section.html.j2`` (cells escaped by pandas)."""
    return {"caption": caption, "open": open_, "html": Markup(df.to_html(classes="figures", border=0, escape=True))}


class TimingReport:
    """The implementation-timing report (not per municipality: the same for every run)."""

    def __init__(self, data_dir: str | Path = "", figures_csv: str | Path = "") -> None:
        self.params = {"data_dir": str(data_dir), "figures_csv": str(figures_csv)}
        self.dir = timing_dir(data_dir)
        self.tables: TimingTables = load_timing(self.dir)
        self.items = {it.kana: it for it in load_items()}
        self.figures_csv = str(figures_csv or "")
        self.figures: list[pd.DataFrame] = []
        self.charts = 0

    # ------------------------------------------------------------------ helpers
    def _img(self, fig: Figure, alt: str) -> Markup:
        self.charts += 1
        return Markup(svg_tag(fig, alt))  # inline SVG built by charts.svg_tag (alt escaped)

    def _label(self, kana: str) -> str:
        return self.items[kana].label

    def _keep(self, chart: str, df: pd.DataFrame) -> None:
        cols = ["chart", "snapshot", "item", "period", "insurers", "share"]
        d = df.assign(chart=chart)
        for c in cols:
            if c not in d.columns:
                d[c] = ""
        self.figures.append(d[cols].astype({"snapshot": str, "item": str, "period": str}))

    def _item_wide(self, snapshot: str) -> pd.DataFrame:
        d = self.tables.item_start[self.tables.item_start["snapshot"] == snapshot]
        w = d.pivot_table(index="item", columns="period", values="insurers", observed=True).astype(int)
        w.index = w.index.astype(str)
        w.columns = w.columns.astype(str)
        return w

    # ------------------------------------------------------------------ sections
    def header(self) -> None:
        _show("header.html.j2", scope_note=SCOPE_NOTE, source_title=SOURCE_TITLE, sections=SECTIONS,
              items=[self.items[k] for k in ITEMS])

    def programme(self) -> None:
        t = self.tables
        w = t.programme_start.pivot_table(index="period", columns="snapshot", values="insurers",
                                          observed=True).astype(int)
        w.index, w.columns = w.index.astype(str), w.columns.astype(str)
        first, last = PROGRAMME_SNAPSHOTS[0], PROGRAMME_SNAPSHOTS[-1]
        sub = cumulative_subtotals(t).set_index("period")["cumulative"]
        sentence = (
            f"いずれか1項目以上に着手（予定）の時期は、{first}現在では「平成30年度」が{_insurers(w.loc['平成30年度', first])}、"
            f"「未定」が{int(w.loc['未定', first])}保険者でしたが、{last}現在では「平成30年度」が{_insurers(w.loc['平成30年度', last])}、"
            f"「未定」は{int(w.loc['未定', last])}です。{last}現在、実施済み（平成27年度～平成28年6月）は"
            f"{_insurers(sub['平成28年度4～6月'])}、平成28年度末までに{int(sub['平成28年度7～3月'])}、"
            f"平成29年度末までに{int(sub['平成29年度'])}保険者が着手する予定です（資料の小計）。"
        )
        table = w.map(_count)
        table.index.name = "実施（予定）年度"
        table.columns = [f"{c}現在" for c in table.columns]
        alt = (f"事業全体の実施（予定）時期の100%積み上げ横棒グラフ（{'・'.join(PROGRAMME_SNAPSHOTS)}現在、各156保険者）。"
               "数値は下の表にあります。")
        _show("section.html.j2", id=SECTIONS[0][0], title=SECTIONS[0][1], definition="",
              chart=self._img(programme_chart(t), alt), sentence=sentence,
              tables=[_table(table, "数値（保険者数と割合）")], note=PROGRAMME_NOTE)
        d = t.programme_start.copy()
        d["share"] = d["insurers"] / TOTAL_INSURERS
        self._keep("programme", d)

    def items_overview(self) -> None:
        t = self.tables
        jan, jul = (self._item_wide(s) for s in ITEM_SNAPSHOTS)
        early = str(jul["平成27年度"].idxmax())
        late = str(jul[DEADLINE].idxmax())
        sentence = (
            f"{ITEM_SNAPSHOTS[0]}現在では各項目とも{jan['未定'].min()}～{jan['未定'].max()}保険者が「未定」でしたが、"
            + (f"{ITEM_SNAPSHOTS[1]}現在ではすべての項目で「未定」が0です。" if (jul["未定"] == 0).all()
               else f"{ITEM_SNAPSHOTS[1]}現在では{jul['未定'].min()}～{jul['未定'].max()}です。")
            + f"平成27年度に着手した保険者が最も多いのは{self._label(early)}で{_insurers(int(jul['平成27年度'].max()))}、"
            f"平成30年4月からの予定が最も多いのは{self._label(late)}で{_insurers(int(jul[DEADLINE].max()))}です。"
        )
        parts = []
        for snap, w in zip(ITEM_SNAPSHOTS, (jan, jul), strict=True):
            tw = w.map(_count)
            tw.index = [self._label(k) for k in tw.index]
            tw.index.name = "事業項目"
            tw.columns.name = None
            parts.append(_table(tw, f"数値：{snap}現在（保険者数と割合）", open_=False))
        alt = ("事業項目（ア）～（ク）ごとの実施（予定）時期の100%積み上げ横棒グラフ。左が平成28年1月現在、右が平成28年7月現在、"
               "各156保険者。数値は下の表にあります。")
        _show("section.html.j2", id=SECTIONS[1][0], title=SECTIONS[1][1], definition="",
              chart=self._img(items_chart(t), alt), sentence=sentence, tables=parts, note="")
        self._keep("items", shares_by_snapshot(t))

    def _check_printed_change(self, ch: pd.DataFrame) -> str:
        printed = self.tables.published_checks.query("check == '増減'")
        bad = [f"（{r.item}）{r.label}: 印刷 {r.value}, 再計算 {ch.loc[r.item, r.label]}"
               for r in printed.itertuples() if ch.loc[r.item, r.label] != r.value]
        if bad:
            return "資料に印刷された増減と再計算値が一致しません: " + "、".join(bad)
        return (f"資料に印刷された増減（「{BEFORE_DEADLINE_LABEL}」「{DEADLINE}」の2行、{len(printed)}値）は、"
                "転記した2時点の表からの再計算値とすべて一致します。「未定」の増減は資料にはなく、ここで計算したものです。")

    def change(self) -> None:
        ch = change_between_snapshots(self.tables)
        up = ch[BEFORE_DEADLINE_LABEL]
        dl = ch[DEADLINE]
        fewer = [self._label(k) for k in dl.index[dl == dl.min()]]
        more = [self._label(k) for k in dl.index[dl == dl.max()]]
        sentence = (
            f"{ITEM_SNAPSHOTS[0]}から{ITEM_SNAPSHOTS[1]}にかけて、すべての項目で平成27～29年度に実施する保険者が増えました"
            f"（{fmt_change(up.min())}～{fmt_change(up.max())}）。平成30年4月からの予定は{'・'.join(fewer)}で"
            f"{fmt_change(dl.min())}と減った一方、{'・'.join(more)}では{fmt_change(dl.max())}と増えています。"
            "未定だった保険者が時期を決めたためです。"
        )
        table = ch.map(fmt_change)
        table.index = [self._label(k) for k in table.index]
        table.index.name = "事業項目"
        table = table.rename(columns={"未定": "未定（計算値）"})
        alt = ("事業項目ごとの保険者数の増減（平成28年7月現在−平成28年1月現在）の横棒グラフ。"
               "平成27～29年度、平成30年4月、未定の3系列。数値は下の表にあります。")
        _show("section.html.j2", id=SECTIONS[2][0], title=SECTIONS[2][1], definition="",
              chart=self._img(change_chart(self.tables), alt), sentence=sentence,
              tables=[_table(table, "数値（保険者数の増減、▲はマイナス）")], note=self._check_printed_change(ch))
        long = ch.reset_index().melt(id_vars="item", var_name="period", value_name="insurers")
        self._keep("change", long.assign(snapshot=f"{ITEM_SNAPSHOTS[1]}−{ITEM_SNAPSHOTS[0]}", share=pd.NA))

    def deadline(self) -> None:
        jul = left_to_deadline(self.tables, ITEM_SNAPSHOTS[1])
        top = jul.head(3)
        rest = "、".join(f"{self._label(r.item)}{int(r.insurers)}" for r in top.iloc[1:].itertuples())
        first = top.iloc[0]
        low = jul.iloc[-1]
        sentence = (
            f"{ITEM_SNAPSHOTS[1]}現在、平成30年4月（法定の期限）から実施を予定している保険者が最も多いのは"
            f"{self._label(first['item'])}で{_insurers(first['insurers'])}、次いで{rest}です。"
            f"最も少ないのは{self._label(low['item'])}の{int(low['insurers'])}です。"
        )
        table = pd.DataFrame({
            "順位": jul["rank"].to_numpy(),
            "平成30年4月から（7月現在）": [_count(v) for v in jul["insurers"]],
            "1月現在からの増減": [fmt_change(v) for v in jul["change"]],
        }, index=[self._label(k) for k in jul["item"]])
        table.index.name = "事業項目"
        alt = ("平成30年4月から実施を予定している保険者数の多い順に事業項目を並べた横棒グラフ"
               "（平成28年7月現在、点線の枠は平成28年1月現在）。数値は下の表にあります。")
        _show("section.html.j2", id=SECTIONS[3][0], title=SECTIONS[3][1], definition="",
              chart=self._img(deadline_chart(self.tables, ITEM_SNAPSHOTS[1]), alt), sentence=sentence,
              tables=[_table(table, "数値（保険者数と割合）")], note="")
        self._keep("deadline", jul.assign(snapshot=ITEM_SNAPSHOTS[1], period=DEADLINE))

    def item(self, kana: str) -> None:
        it = self.items[kana]
        jan, jul = (self._item_wide(s).loc[kana] for s in ITEM_SNAPSHOTS)
        bands = self.tables.item_start_bands
        b = bands[bands["item"].astype(str) == kana].astype({"period": str}).set_index("period")["insurers"]
        done = int(b["平成27年度"] + b["平成28年度4～6月"])
        planned = int(b["平成28年度7～3月"] + b["平成29年度"])
        ch = change_between_snapshots(self.tables).loc[kana]
        sentence = (
            f"{ITEM_SNAPSHOTS[1]}現在、{TOTAL_INSURERS}保険者のうち{_insurers(done)}が実施済み（平成27年度～平成28年6月）、"
            f"{_insurers(planned)}が平成28年7月～平成29年度に、{_insurers(int(b['平成30年度']))}が平成30年4月（期限）から"
            f"実施する予定です。{ITEM_SNAPSHOTS[0]}現在と比べると、期限前（{BEFORE_DEADLINE_LABEL}）は{fmt_change(ch[BEFORE_DEADLINE_LABEL])}、"
            f"平成30年4月からは{fmt_change(ch[DEADLINE])}、未定は{fmt_change(ch['未定'])}です。"
        )
        table = pd.DataFrame({f"{ITEM_SNAPSHOTS[0]}現在": jan.map(_count), f"{ITEM_SNAPSHOTS[1]}現在": jul.map(_count),
                              "増減": (jul - jan).map(fmt_change)})
        table.index.name = "実施（予定）年度"
        alt = (f"{it.label}の実施（予定）時期の100%積み上げ横棒グラフ（平成28年1月現在と平成28年7月現在、各156保険者）。"
               "数値は下の表にあります。")
        _show("section.html.j2", id=f"item-{it.id}", title=it.label, definition=it.definition,
              examples=it.examples, chart=self._img(item_chart(self.tables, kana), alt), sentence=sentence,
              tables=[_table(table, "数値（保険者数と割合）", open_=False)], note="")

    def footer(self) -> None:
        """Provenance: the source document and tables, the files read, the scope; writes the CSV."""
        csv_name = ""
        if self.figures_csv:
            path = Path(self.figures_csv)
            atomic.write_csv(pd.concat(self.figures, ignore_index=True), path, excel=True)
            csv_name = path.name
        files = [{"name": name, "md5": atomic.md5_file(self.dir / name)[:12], "what": what}
                 for name, what in TABLE_FILES.items()]
        try:
            shown = self.dir.resolve().relative_to(PROJ_ROOT)
        except ValueError:
            shown = self.dir
        origin = {"title": SOURCE_TITLE, "producer": "", "url_main": "", "date_accessed": "",
                  **_origin(self.dir / next(iter(TABLE_FILES)))}
        _show("footer.html.j2", csv_name=csv_name, origin=origin, files=files, folder=str(shown),
              scope_note=SCOPE_NOTE, params="、".join(f"{k}={v!r}" for k, v in self.params.items()),
              version=__version__, now=dt.datetime.now().astimezone().isoformat(timespec="seconds"))

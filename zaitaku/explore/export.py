"""Files for a meeting from the explorer and the tutorials: the figures as the reports' CSV, the chart as a
PNG and an SVG that say what they show.

- :func:`figures_csv_frame`: the reports' Japanese columns (設問番号, 設問, 項目, 選択肢, 集計範囲, 該当数,
  分母, 割合(%) …, see :func:`zaitaku.report.figures_csv.figures_frame`), one block per panel, led by 対象.
- :func:`captioned_figure`: :meth:`Section.chart` with a title (question, municipality) and a caption
  (the question, the comparison scopes with n, the source, 「デモ用の架空データ」 on demo data), so a saved
  image stands on its own in slides or minutes.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from zaitaku.files import atomic
from zaitaku.report.charts import frame as fr
from zaitaku.report.charts import house_style
from zaitaku.report.charts.style import FS_SMALL, MUTED
from zaitaku.report.charts.svg import figure_png
from zaitaku.report.charts.text import wrap
from zaitaku.report.figures_csv import figures_frame
from zaitaku.report.section import Section

SYNTHETIC_LABEL = "デモ用の架空データ（実在の市町村の回答ではありません）"
CAPTION_PX = 900.0


def figures_csv_frame(sections: Iterable[Section]) -> pd.DataFrame:
    """The figures of each section with the reports' Japanese columns, led by 対象 (the municipality)."""
    frames = []
    for s in sections:
        f = figures_frame([s])
        f.insert(0, "対象", f"{s.focus.name}（{s.focus.pref_name}）" if s.focus.code else s.focus.pref_name)
        frames.append(f)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def scope_captions(section: Section) -> list[str]:
    """The comparison scopes of the chart with their n: 「島根県（n=19）」, 「全国の中核市（n=62）」."""
    return [s.caption() for s in fr.parse(section.figures).scopes]


def caption_lines(section: Section, synthetic: bool) -> list[str]:
    """The lines under a saved chart: the question, the scopes with n, the source, the demo label."""
    q, cb = section.question, section.codebook
    published = bool((section.figures["source"] == "published").any()) if "source" in section.figures else False
    source = f"出典：{cb.title}" + ("。全国は厚生労働省の公表値" if published else "")
    lines = [f"設問：{q.text}", f"比べた範囲：{'、'.join(scope_captions(section))}", source]
    return lines + ([SYNTHETIC_LABEL] if synthetic else [])


def chart_title(section: Section) -> str:
    q, f = section.question, section.focus
    who = f"{f.name}（{f.pref_name}）" if f.code else f"{f.pref_name}（都道府県集計）"
    return f"{q.number} {q.title}　{who}"


def captioned_figure(section: Section, synthetic: bool) -> Figure:
    """The section's chart (:meth:`Section.chart`) with its title and caption drawn on the figure."""
    fig = section.chart()
    with house_style():
        title = chart_title(section) + ("　［デモ用の架空データ］" if synthetic else "")
        fig.suptitle(title, x=0.01, ha="left", fontsize=17)
        lines = [line for text in caption_lines(section, synthetic) for line in wrap(text, CAPTION_PX, FS_SMALL)]
        fig.supxlabel("\n".join(lines), x=0.01, ha="left", fontsize=FS_SMALL, linespacing=1.4, color=MUTED)
    return fig


def save_chart(section: Section, folder: Path | str, stem: str, synthetic: bool) -> list[Path]:
    """``<stem>.png`` (2×) and ``<stem>.svg`` (text kept as text: searchable and editable) of the captioned chart."""
    folder = Path(folder)
    fig = captioned_figure(section, synthetic)
    png, svg = folder / f"{stem}.png", folder / f"{stem}.svg"
    atomic.write_bytes(png, figure_png(fig, scale=2.0))
    out = io.BytesIO()
    with house_style():
        fig.savefig(out, format="svg", metadata={"Date": None})
    atomic.write_bytes(svg, out.getvalue())
    return [png, svg]


def save_views(sections: Sequence[Section], folder: Path | str, stem: str, synthetic: bool,
               chart_stems: Sequence[str]) -> list[Path]:
    """``<stem>.csv`` (UTF-8 with BOM, the reports' columns) and each section's captioned chart."""
    folder = Path(folder)
    csv = folder / f"{stem}.csv"
    atomic.write_csv(figures_csv_frame(sections), csv, excel=True)
    paths = [csv]
    for s, chart_stem in zip(sections, chart_stems, strict=True):
        if s.has_figures:
            paths += save_chart(s, folder, chart_stem, synthetic)
    return paths

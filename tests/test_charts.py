"""Charts: no side effects at import, legible SVG, the pink focus in every kind, yes/no bars, the cache.

Frames are built by hand (a few scopes, rows and options with counts chosen here), so the expected
percentages below are computed by hand, not by the code under test.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import matplotlib
import pandas as pd
import pytest
from matplotlib.patches import Rectangle

from zaitaku.report import charts
from zaitaku.report.charts.text import wrap

PROJECT = Path(__file__).resolve().parents[1]
PINK = "#e4007f"
YES_NO = [("1", "取り組んでいる"), ("2", "取り組んでいない"), ("na", "未回答")]
SCOPES = [("prefecture", "32", "島根県"), ("nation", "", "全国")]


def frame(counts: dict[tuple[str, str, str], tuple[int, int]], rows: list[tuple[str, str]],
          options: list[tuple[str, str]], scopes=SCOPES, municipality: str = "") -> list[dict]:
    """Comparison-frame records: counts[(scope_label, row_id, option_id)] = (n_selected, n_base)."""
    recs = []
    all_scopes = ([("municipality", "32201", municipality)] if municipality else []) + list(scopes)
    for scope, code, label in all_scopes:
        for rid, rlabel in rows:
            for oid, olabel in options:
                ns, nb = counts.get((label, rid, oid), (0, 1 if scope == "municipality" else 0))
                recs.append({"question_id": "qx", "row_id": rid, "row_label": rlabel, "scope": scope,
                             "scope_code": code, "scope_label": label, "option_id": oid, "option_label": olabel,
                             "n_selected": ns, "n_base": nb, "share": ns / nb if nb else float("nan"),
                             "source": "computed"})
    return recs


YN_ROWS = [("a", "認知症施策との連動"), ("b", "多職種による事例検討会の開催")]
YN_COUNTS = {("島根県", "a", "1"): (3, 10), ("島根県", "a", "2"): (6, 10), ("島根県", "a", "na"): (1, 10),
             ("島根県", "b", "1"): (8, 10), ("島根県", "b", "2"): (2, 10), ("島根県", "b", "na"): (0, 10),
             ("全国", "a", "1"): (40, 100), ("全国", "a", "2"): (55, 100), ("全国", "a", "na"): (5, 100),
             ("全国", "b", "1"): (25, 100), ("全国", "b", "2"): (70, 100), ("全国", "b", "na"): (5, 100),
             ("松江市", "a", "1"): (1, 1), ("松江市", "b", "2"): (1, 1)}
SINGLE_OPTS = [("1", "設置している"), ("2", "設置していない"), ("na", "未回答")]
SINGLE_COUNTS = {("島根県", "", "1"): (14, 19), ("島根県", "", "2"): (5, 19),
                 ("全国", "", "1"): (1171, 1741), ("全国", "", "2"): (550, 1741), ("全国", "", "na"): (20, 1741)}
MULTI_OPTS = [("1", "専門職へのヒアリング"), ("2", "関係者との会議・意見交換"), ("3", "住民・家族の声の把握"),
              ("4", "把握していない")]
MULTI_COUNTS = {("島根県", "", "1"): (15, 19), ("島根県", "", "2"): (9, 19), ("島根県", "", "3"): (4, 19),
                ("島根県", "", "4"): (1, 19), ("全国", "", "1"): (1100, 1741), ("全国", "", "2"): (900, 1741),
                ("全国", "", "3"): (300, 1741), ("全国", "", "4"): (200, 1741)}
GRID_OPTS = [("A", "協力している（在宅医療・介護連携に関する会議への参加）"),
             ("B", "協力している（在宅医療・介護連携に関する事業への参加）"),
             ("C", "協力している（その他の協力）"), ("D", "協力を予定している"), ("E", "特に無し")]
GRID_ROWS = [("med", "郡市区医師会"), ("nurse", "看護協会・訪問看護ステーション連絡協議会")]
GRID_COUNTS = {("島根県", r, o): (n, 19) for r, _ in GRID_ROWS for o, n in zip("ABCDE", [8, 4, 3, 2, 2], strict=True)}


def cases(municipality: str):
    """(kind, question type, records, selected) for every chart kind, in municipality or prefecture mode."""
    mine = bool(municipality)
    return [
        ("single", "single", frame(SINGLE_COUNTS, [("", "")], SINGLE_OPTS, municipality=municipality),
         {"": ["1"]} if mine else {}),
        ("multi", "multi", frame(MULTI_COUNTS, [("", "")], MULTI_OPTS, municipality=municipality),
         {"": ["1", "3"]} if mine else {}),
        ("yesno", "matrix-single", frame(YN_COUNTS, YN_ROWS, YES_NO, municipality=municipality),
         {"a": ["1"], "b": ["2"]} if mine else {}),
        ("matrix", "matrix-single", frame(GRID_COUNTS, GRID_ROWS, GRID_OPTS, municipality=municipality),
         {"med": ["A"], "nurse": ["E"]} if mine else {}),
    ]


def svg_of(qtype: str, recs: list[dict], selected, focus_scope: str) -> str:
    df = pd.DataFrame(recs)
    return charts.svg_tag(charts.draw(charts.chart_kind(qtype, df), df, selected, focus_scope), "テストのグラフ")


def texts(svg: str) -> list[tuple[str, str]]:
    """(style, text) of every <text> element."""
    return re.findall(r"<text [^>]*style=\"([^\"]*)\"[^>]*>([^<]*)</text>", svg)


def rects(fig) -> list[Rectangle]:
    return [a for a in fig.artists if isinstance(a, Rectangle)]


# --------------------------------------------------------------------------------------------
# no side effects


def test_import_and_drawing_leave_matplotlib_alone():
    """In a fresh interpreter: importing the charts (and drawing one) switches no backend, changes no rcParams."""
    code = (
        "import sys, matplotlib\n"
        "before = dict(dict.items(matplotlib.rcParams)); backend = matplotlib.rcParams._get_backend_or_none()\n"
        "import zaitaku.report.charts, zaitaku.report.section\n"
        "assert 'matplotlib.pyplot' not in sys.modules, 'pyplot imported'\n"
        "assert matplotlib.rcParams._get_backend_or_none() == backend, 'backend switched'\n"
        "changed = {k for k, v in dict.items(matplotlib.rcParams) if before.get(k) != v}\n"
        "assert not changed, changed\n"
        "import pandas as pd\n"
        "df = pd.DataFrame([dict(question_id='q', row_id='', row_label='', scope='nation', scope_code='',\n"
        "    scope_label='全国', option_id='1', option_label='はい', n_selected=3, n_base=4, share=0.75,\n"
        "    source='computed')])\n"
        "zaitaku.report.charts.svg_tag(zaitaku.report.charts.draw('single', df, {}, 'prefecture'), 'x')\n"
        "changed = {k for k, v in dict.items(matplotlib.rcParams) if before.get(k) != v}\n"
        "assert not changed, ('rcParams changed by drawing', changed)\n"
        "assert matplotlib.rcParams._get_backend_or_none() == backend, 'backend switched by drawing'\n"
        "if 'matplotlib.pyplot' in sys.modules:  # seaborn imports pyplot; no pyplot figure may exist\n"
        "    assert sys.modules['matplotlib.pyplot'].get_fignums() == []\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=PROJECT)
    assert r.returncode == 0, r.stderr


# --------------------------------------------------------------------------------------------
# legible, pink, wrapped


@pytest.mark.parametrize("municipality", ["松江市", ""])
def test_every_kind_is_legible_svg_with_the_focus_in_pink(municipality):
    focus_scope = "municipality" if municipality else "prefecture"
    for kind, qtype, recs, sel in cases(municipality):
        assert charts.chart_kind(qtype, pd.DataFrame(recs)) == kind
        svg = svg_of(qtype, recs, sel, focus_scope)
        assert svg.startswith("<svg") and 'role="img"' in svg and "<title>テストのグラフ</title>" in svg
        width = float(re.search(r'viewBox="0 0 ([\d.]+) ', svg).group(1))
        assert width == charts.WIDTH_PX and f"max-width:{charts.WIDTH_PX}px" in svg  # 1 unit = 1 px at 100%
        found = texts(svg)
        assert len(found) >= 5, kind
        sizes = [float(re.search(r"font-size:([\d.]+)px", style).group(1)) for style, _ in found]
        assert min(sizes) >= 11, (kind, min(sizes))
        assert PINK in svg.lower(), f"{kind} ({focus_scope}): no pink focus"
        assert "IPAexGothic" in svg[:600]  # the font stack, once, on the root
        assert "<image" not in svg and "data:image/png" not in svg  # text as text, no raster


def test_focus_marks_the_right_things():
    """Municipality mode: its answer is framed/marked; prefecture mode: the prefecture's bars are pink."""
    single = svg_of("single", frame(SINGLE_COUNTS, [("", "")], SINGLE_OPTS, municipality="松江市"),
                    {"": ["1"]}, "municipality")
    assert "stroke:#e4007f" in single and "ピンクの枠：この市町村の回答" in single
    multi = [t for _, t in texts(svg_of("multi", frame(MULTI_COUNTS, [("", "")], MULTI_OPTS), {}, "prefecture"))]
    assert "79.0%" not in multi and "78.9%" in multi  # 15/19, rounded by report.format
    pref = svg_of("multi", frame(MULTI_COUNTS, [("", "")], MULTI_OPTS), {}, "prefecture")
    assert pref.lower().count("fill:#e4007f") >= 4  # one pink bar per option
    chosen = [t for s, t in texts(svg_of("multi", frame(MULTI_COUNTS, [("", "")], MULTI_OPTS, municipality="松江市"),
                                          {"": ["1", "3"]}, "municipality")) if "#e4007f" in s.lower()]
    assert any(t.startswith("● 専門職への") for t in chosen) and any(t.startswith("● 住民・") for t in chosen)


@pytest.mark.parametrize("text,word", [("専門職へのヒアリング", "ヒアリング"), ("住民・家族の声の把握", "把握"),
                                       ("把握していない", "把握"), ("全国の市（n=1,741）", "1,741"),
                                       ("平成28年7月現在（n=156）", "平成28年")])
def test_wrapping_never_splits_a_word(text, word):
    for width in range(12, 300, 6):
        lines = wrap(text, width, 12)
        assert "".join(lines) == text
        assert any(word in line for line in lines), (width, lines)


def test_grid_headers_do_not_run_into_each_other():
    """問2-like grid: each column header is wrapped to its column; no line wider than the column."""
    svg = svg_of("matrix-single", frame(GRID_COUNTS, GRID_ROWS, GRID_OPTS), {}, "prefecture")
    heads = re.findall(r'<text x="([\d.]+)" y="([\d.]+)" style="font-size:12px;text-anchor:middle">([^<]*)</text>',
                       svg)
    xs = sorted({float(x) for x, y, t in heads if float(y) < 100})
    assert len(xs) == 5
    col = xs[1] - xs[0]
    from zaitaku.report.charts.text import text_width

    for _x, y, t in heads:
        if float(y) < 100:
            assert text_width(t, 12) <= col - 8, t
    lines = [t for x, y, t in heads if float(y) < 100]
    assert "（その他の協力）" in lines  # the parenthesis kept whole when it fits


# --------------------------------------------------------------------------------------------
# yes/no matrices


def test_yes_no_matrix_draws_the_share_that_does():
    """Rows a, b: 島根県 3/10 and 8/10 do; 全国 40/100 and 25/100. The does-not shares are not drawn."""
    df = pd.DataFrame(frame(YN_COUNTS, YN_ROWS, YES_NO, municipality="松江市"))
    assert charts.chart_kind("matrix-single", df) == "yesno"
    shares = charts.yesno.yes_shares(df)
    assert shares[["row_id", "scope_label", "share"]].values.tolist() == [
        ["a", "島根県", 0.3], ["b", "島根県", 0.8], ["a", "全国", 0.4], ["b", "全国", 0.25]]
    fig = charts.draw("yesno", df, {"a": ["1"], "b": ["2"]}, "municipality")
    svg = charts.svg_tag(fig, "x")
    drawn = [t for _, t in texts(svg)]
    figures = [t for t in drawn if t.endswith("%") and not re.fullmatch(r"\d+%", t)]
    assert figures == ["30.0%", "40.0%", "80.0%", "25.0%"]  # per row: prefecture, then nation
    for not_drawn in ("60.0%", "20.0%", "55.0%", "70.0%"):
        assert not_drawn not in drawn
    assert "● 取り組んでいる" in drawn and "○ 取り組んでいない" in drawn
    blue = sorted(p.get_width() for p in rects(fig) if matplotlib.colors.to_hex(p.get_facecolor()) == "#0072b2"
                  and p.get_x() > 100)  # not the legend swatch
    assert blue[0] / blue[1] == pytest.approx(0.3 / 0.8)
    # prefecture mode: the prefecture's bars are the pink ones
    fig = charts.draw("yesno", df, {}, "prefecture")
    pink = sorted(p.get_width() for p in rects(fig) if matplotlib.colors.to_hex(p.get_facecolor()) == PINK
                  and p.get_x() > 100)
    assert len(pink) == 2 and pink[0] / pink[1] == pytest.approx(0.3 / 0.8)


def test_yes_no_small_base_shows_counts():
    counts = {("島根県", "a", "1"): (3, 4), ("島根県", "a", "2"): (1, 4), ("全国", "a", "1"): (50, 100),
              ("全国", "a", "2"): (50, 100)}
    drawn = [t for _, t in texts(svg_of("matrix-single", frame(counts, YN_ROWS[:1], YES_NO[:2]), {}, "prefecture"))]
    assert "3/4" in drawn and "75.0%" not in drawn and "50.0%" in drawn


def test_three_option_matrix_stays_a_grid():
    opts = [("1", "全部を委託している"), ("2", "一部を委託している"), ("3", "委託していない")]
    assert charts.chart_kind("matrix-single", pd.DataFrame(frame({}, YN_ROWS, opts))) == "matrix"
    assert charts.chart_kind("matrix-multi", pd.DataFrame(frame({}, YN_ROWS, YES_NO))) == "matrix"


def test_named_option_groups_are_drawn_when_present():
    recs = frame(MULTI_COUNTS, [("", "")], MULTI_OPTS)
    recs += [dict(r, option_id="grp:any", option_label="何らかの方法で把握", is_group=True,
                  n_selected={"島根県": 17, "全国": 1500}[r["scope_label"]],
                  share={"島根県": 17, "全国": 1500}[r["scope_label"]] / r["n_base"])
             for r in recs if r["option_id"] == "1"]
    drawn = [t for _, t in texts(svg_of("multi", recs, {}, "prefecture"))]
    assert "計：何らかの方法で把握" in drawn and "89.5%" in drawn  # 17/19


def test_named_option_groups_in_single_choice_are_totals_under_the_legend():
    recs = frame(SINGLE_COUNTS, [("", "")], SINGLE_OPTS)
    recs += [dict(r, option_id="grp:set", option_label="設置（予定を含む）", is_group=True) for r in recs
             if r["option_id"] == "1"]
    drawn = [t for _, t in texts(svg_of("single", recs, {}, "prefecture"))]
    assert "計：設置（予定を含む）　島根県 73.7%、全国 67.3%" in drawn  # 14/19, 1171/1741
    assert sum(t == "73.7%" for t in drawn) == 1  # the group is not drawn as another segment


# --------------------------------------------------------------------------------------------
# cache and determinism


def test_cache_draws_each_distinct_chart_once():
    charts.clear_chart_cache()
    a = pd.DataFrame(frame(SINGLE_COUNTS, [("", "")], SINGLE_OPTS, municipality="松江市"))
    b = pd.DataFrame(frame(SINGLE_COUNTS, [("", "")], SINGLE_OPTS, municipality="浜田市"))
    first = charts.chart_markup("single", a, {"": ["1"]}, "municipality", "松江市のグラフ")
    again = charts.chart_markup("single", a, {"": ["1"]}, "municipality", "松江市のグラフ")
    assert first == again
    assert charts.chart_cache_stats() == {"hits": 1, "shared": 0, "misses": 1, "entries": 1}
    other = charts.chart_markup("single", b, {"": ["1"]}, "municipality", "浜田市のグラフ")  # same answer
    assert charts.chart_cache_stats()["hits"] == 2 and "<title>浜田市のグラフ</title>" in other
    assert other.replace("浜田市", "松江市") == first
    charts.chart_markup("single", b, {"": ["2"]}, "municipality", "浜田市のグラフ")  # another answer
    assert charts.chart_cache_stats() == {"hits": 2, "shared": 0, "misses": 2, "entries": 2}
    changed = a.assign(n_selected=a["n_selected"].where(a["scope"] != "nation", a["n_selected"] + 1))
    charts.chart_markup("single", changed, {"": ["1"]}, "municipality", "松江市のグラフ")
    assert charts.chart_cache_stats()["misses"] == 3


def test_kernels_of_one_batch_share_their_drawings_through_a_folder(tmp_path, monkeypatch):
    from zaitaku.report.charts.cache import SHARED_ENV

    a = pd.DataFrame(frame(SINGLE_COUNTS, [("", "")], SINGLE_OPTS, municipality="松江市"))
    b = pd.DataFrame(frame(SINGLE_COUNTS, [("", "")], SINGLE_OPTS, municipality="浜田市"))
    charts.clear_chart_cache()
    alone = charts.chart_markup("single", a, {"": ["1"]}, "municipality", "松江市のグラフ")  # no folder set
    monkeypatch.setenv(SHARED_ENV, str(tmp_path))
    charts.clear_chart_cache()  # kernel 1 of the batch
    first = charts.chart_markup("single", a, {"": ["1"]}, "municipality", "松江市のグラフ")
    assert first == alone and charts.chart_cache_stats()["misses"] == 1
    assert [p.suffix for p in tmp_path.iterdir()] == [".svg"]  # written whole, under its key
    charts.clear_chart_cache()  # kernel 2: never drew it, reads it
    other = charts.chart_markup("single", b, {"": ["1"]}, "municipality", "浜田市のグラフ")
    assert charts.chart_cache_stats() == {"hits": 0, "shared": 1, "misses": 0, "entries": 1}
    assert other.replace("浜田市", "松江市") == first
    charts.chart_markup("single", b, {"": ["2"]}, "municipality", "浜田市のグラフ")  # another answer: drawn
    assert charts.chart_cache_stats()["misses"] == 1 and len(list(tmp_path.iterdir())) == 2
    monkeypatch.setenv(SHARED_ENV, str(tmp_path / "gone"))  # the batch's folder removed: drawn again
    charts.clear_chart_cache()
    assert charts.chart_markup("single", a, {"": ["1"]}, "municipality", "松江市のグラフ") == first
    assert charts.chart_cache_stats()["misses"] == 1
    charts.clear_chart_cache()


def test_png_for_files_is_twice_the_drawn_size():
    from PIL import Image

    fig = charts.draw("single", pd.DataFrame(frame(SINGLE_COUNTS, [("", "")], SINGLE_OPTS)), {}, "prefecture")
    import io

    png = Image.open(io.BytesIO(charts.figure_png(fig)))
    assert png.size[0] == 2 * charts.WIDTH_PX


def test_bytes_are_the_same_in_another_process():
    recs = frame(YN_COUNTS, YN_ROWS, YES_NO, municipality="松江市")
    here = svg_of("matrix-single", recs, {"a": ["1"], "b": ["2"]}, "municipality")
    code = ("import json, sys, pandas as pd\nfrom zaitaku.report import charts\n"
            "df = pd.DataFrame(json.loads(sys.stdin.read()))\n"
            "sys.stdout.write(charts.svg_tag(charts.draw('yesno', df, {'a': ['1'], 'b': ['2']}, 'municipality'),"
            " 'テストのグラフ'))\n")
    r = subprocess.run([sys.executable, "-c", code], input=json.dumps(recs, ensure_ascii=False), capture_output=True,
                       text=True, cwd=PROJECT, check=True)
    assert r.stdout == here

"""Published national figures (厚生労働省資料) as the national reference of the reports.

``data/raw/reference/national_<year>.csv`` maps published MHLW figures (sources in its ``.meta.yaml``) onto codebook
ids (one row per question × row × option; see ``data/raw/reference/README.md``). Only figures
whose option is unambiguous are mapped; some come from a later survey year (``published_year``).
A year's national bar uses only figures published *for that year* (:func:`published_comparison`);
another year's figure is at most a labelled reference in the trend (:func:`published_reference`),
never 「全国」 beside this year's answers.

:func:`load_published` validates the file against the codebook: an unknown question, row or
option, a bad percent or n, a duplicate, or a single-choice distribution that does not add up is
a :class:`PublishedDataError` naming the file, the CSV line and the value.
:func:`published_comparison` gives the nation rows that :func:`zaitaku.analysis.aggregate.comparison`
swaps in when ``national="published"``; :func:`coverage` lists which questions have a figure.
"""

from __future__ import annotations

import math
import re
from functools import cache
from pathlib import Path
from typing import SupportsInt, cast

import pandas as pd

from zaitaku.files.reference_csv import read_reference_csv
from zaitaku.paths import REFERENCE_DIR
from zaitaku.reference.codebook import NO_ANSWER, Codebook, load_codebook

COLUMNS = ("survey_year", "published_year", "question_id", "row_id", "option_id", "percent", "n",
           "confidence", "source_url", "note")
CONFIDENCE = ("high", "medium", "low")
CONFIDENCE_JA = {"high": "高", "medium": "中", "low": "低"}
SUM_TOLERANCE = 0.2
"""Percentage points: printed shares are rounded to 0.1, so a complete distribution may miss 100."""
NATION_LABEL = "全国"
SURVEY_YEAR_JA = {"R3": "令和3年度", "R4": "令和4年度", "R5": "令和5年度", "R6": "令和6年度"}
_YEAR = re.compile(r"(令和|平成)\d+年度")
_INT = re.compile(r"\d+")


class PublishedDataError(ValueError):
    """The published-figures CSV is inconsistent; the message names the file, line and value."""


def published_path(survey_year: str = "R3", reference_dir: Path | str | None = None) -> Path:
    d = Path(reference_dir) if reference_dir is not None else REFERENCE_DIR
    return d / f"national_{survey_year.lower()}.csv"


def _fail(path: Path, lines: object, message: str) -> PublishedDataError:
    where = f"line {lines}" if isinstance(lines, int) else f"lines {lines}"
    return PublishedDataError(f"{path.name} {where}: {message}")


def _read(path: Path) -> pd.DataFrame:
    return read_reference_csv(path, COLUMNS, PublishedDataError)


def _check_row(path: Path, line: int, r: pd.Series, codebook: Codebook, survey_year: str) -> None:
    key = f"({r['question_id']}/{r['row_id'] or '-'}/{r['option_id']})"
    if r["survey_year"] != survey_year:
        raise _fail(path, line, f"survey_year={r['survey_year']!r}, expected {survey_year!r}")
    if not _YEAR.fullmatch(r["published_year"]):
        raise _fail(path, line, f"{key} published_year={r['published_year']!r} is not like 令和3年度")
    try:
        q = codebook[r["question_id"]]
    except KeyError:
        raise _fail(path, line, f"question_id={r['question_id']!r} is not a question of codebook "
                                f"{codebook.version}") from None
    if q.is_matrix and r["row_id"] not in q.row_ids:
        raise _fail(path, line, f"{key} row_id={r['row_id']!r} is not a row of {q.id} "
                                f"({', '.join(q.row_ids)})")
    if not q.is_matrix and r["row_id"]:
        raise _fail(path, line, f"{key} row_id={r['row_id']!r}, but {q.id} ({q.type}) has no rows")
    if r["option_id"] != NO_ANSWER and r["option_id"] not in q.option_ids:
        raise _fail(path, line, f"{key} option_id={r['option_id']!r} is not an option of {q.id} "
                                f"({', '.join([*q.option_ids, NO_ANSWER])})")
    try:
        pct = float(r["percent"])
    except ValueError:
        raise _fail(path, line, f"{key} percent={r['percent']!r} is not a number") from None
    if not 0 <= pct <= 100:
        raise _fail(path, line, f"{key} percent={r['percent']} is outside 0–100")
    if r["n"] and (not _INT.fullmatch(r["n"]) or int(r["n"]) == 0):
        raise _fail(path, line, f"{key} n={r['n']!r} is not a positive integer (leave it empty if unknown)")
    if r["confidence"] not in CONFIDENCE:
        raise _fail(path, line, f"{key} confidence={r['confidence']!r} is not one of {', '.join(CONFIDENCE)}")
    if not r["source_url"]:
        raise _fail(path, line, f"{key} source_url is empty")


def _check_distributions(path: Path, df: pd.DataFrame, codebook: Codebook) -> None:
    """Single-choice rows: one base and one year per distribution, shares adding up to 100%."""
    for (qid, row), g in df.groupby(["question_id", "row_id"], sort=False):
        q = codebook[str(qid)]
        lines = ", ".join(str(i) for i in g.index)
        where = f"{qid}" + (f" row {row}" if row else "")
        if q.is_multi:
            continue  # multi-select: each share stands alone
        for column in ("n", "published_year"):
            if g[column].nunique() > 1:
                raise _fail(path, lines, f"{where}: {column} differs within one distribution "
                                         f"({', '.join(g[column].unique())})")
        total = g["percent"].astype(float).sum()
        complete = set(g["option_id"]) == {*q.option_ids, NO_ANSWER}
        if complete and abs(total - 100) > SUM_TOLERANCE:
            raise _fail(path, lines, f"{where}: shares add to {total:.1f}, expected 100 ± "
                                     f"{SUM_TOLERANCE} (every option incl. 未回答 present)")
        if not complete and total > 100 + SUM_TOLERANCE:
            raise _fail(path, lines, f"{where}: shares add to {total:.1f}, more than 100 "
                                     f"although some options are missing")


@cache
def _load(path_str: str, stamp: int, survey_year: str) -> pd.DataFrame:
    path = Path(path_str)
    codebook = load_codebook(survey_year)
    df = _read(path)
    for line, r in df.iterrows():
        _check_row(path, int(cast(SupportsInt, line)), r, codebook, survey_year)  # index: CSV line numbers
    dup = df[df.duplicated(["question_id", "row_id", "option_id"], keep=False)]
    if not dup.empty:
        lines = ", ".join(str(i) for i in dup.index)
        raise _fail(path, lines, "duplicated question_id/row_id/option_id "
                                 f"{dup.iloc[0][['question_id', 'row_id', 'option_id']].tolist()}")
    _check_distributions(path, df, codebook)
    out = df.reset_index(names="line")
    out["percent"] = out["percent"].astype(float)
    out["n"] = pd.array([int(v) if v else pd.NA for v in out["n"]], dtype="Int64")
    return out


def load_published(survey_year: str = "R3", reference_dir: Path | str | None = None) -> pd.DataFrame:
    """The validated published national figures of one survey year (the CSV's columns + ``line``).

    Cached until the file changes. Raises :class:`PublishedDataError` naming file, line and value.
    """
    path = published_path(survey_year, reference_dir)
    if not path.is_file():
        raise PublishedDataError(f"{path}: file not found (no published figures for {survey_year})")
    return _load(str(path.resolve()), path.stat().st_mtime_ns, survey_year).copy()


def year_ja(survey_year: str) -> str:
    """「令和3年度」 for ``R3`` (the code itself when it is not a 令和 year code)."""
    m = re.fullmatch(r"R(\d+)", survey_year)
    return f"令和{int(m.group(1))}年度" if m else survey_year


def _figures(question_id: str, survey_year: str, reference_dir: Path | str | None,
             same_year: bool | None = True) -> pd.DataFrame | None:
    """Published rows of one question: of ``survey_year`` itself (True), of other years (False) or all (None)."""
    if not published_path(survey_year, reference_dir).is_file():
        return None
    pub = load_published(survey_year, reference_dir)
    pub = pub[pub["question_id"] == question_id]
    if same_year is not None:
        pub = pub[(pub["published_year"] == year_ja(survey_year)) == same_year]
    return None if pub.empty else pub


def _n_text(ns: pd.Series) -> str:
    known = sorted({int(v) for v in ns.dropna()})
    if not known:
        return ""
    if len(known) == 1:
        return f", n={known[0]:,}"
    return f", n={known[0]:,}–{known[-1]:,}"


def published_label(pub: pd.DataFrame, survey_year: str) -> str:
    """「全国（公表値・令和3年度, n=1,717）」: the survey year of the figures always named, and n where printed."""
    years = list(dict.fromkeys(pub["published_year"]))
    return f"{NATION_LABEL}（公表値・{'/'.join(years)}{_n_text(pub['n'])}）"


def published_comparison(question_id: str, survey_year: str = "R3",
                         reference_dir: Path | str | None = None) -> pd.DataFrame | None:
    """Nation rows of one question from the figures published for ``survey_year``, or None if it has none.

    Figures of another year are never returned here (see :func:`published_reference`).

    Shaped like the nation rows of ``shares`` (``source="published"``): ``share`` = percent/100,
    ``n_base`` = the published n, ``n_selected`` = round(percent × n / 100); both NA where n was not
    printed. Only the published options are returned; the report shows "–" for the others.
    ``.attrs["label"]`` is the scope label, e.g. 「全国（公表値・令和3年度, n=1,717）」.
    """
    pub = _figures(question_id, survey_year, reference_dir)
    if pub is None:
        return None
    return _nation_rows(question_id, survey_year, pub)


def published_reference(question_id: str, survey_year: str = "R3",
                        reference_dir: Path | str | None = None) -> pd.DataFrame | None:
    """Figures of *other* years mapped onto ``survey_year``'s codebook (e.g. 問1's 令和6年度 figure), or None.

    Shaped as :func:`published_comparison` plus ``published_year``; ``.attrs["label"]`` is
    「参考：全国公表値（令和6年度, n=…）」. For the trend only, never the 全国 bar of ``survey_year``.
    """
    pub = _figures(question_id, survey_year, reference_dir, same_year=False)
    if pub is None:
        return None
    out = _nation_rows(question_id, survey_year, pub).assign(published_year=pub["published_year"].to_numpy())
    years = list(dict.fromkeys(pub["published_year"]))
    out.attrs["label"] = f"参考：全国公表値（{'/'.join(years)}{_n_text(pub['n'])}）"
    return out


def _nation_rows(question_id: str, survey_year: str, pub: pd.DataFrame) -> pd.DataFrame:
    n = pub["n"]
    selected = [pd.NA if pd.isna(b) else math.floor(p * int(b) / 100 + 0.5)
                for p, b in zip(pub["percent"], n, strict=True)]
    out = pd.DataFrame({
        "survey_year": survey_year,
        "scope": "nation",
        "scope_code": NATION_LABEL,
        "question_id": question_id,
        "row_id": pub["row_id"].to_numpy(),
        "option_id": pub["option_id"].to_numpy(),
        "n_selected": pd.array(selected, dtype="Int64"),
        "n_base": pd.array(n.to_numpy(), dtype="Int64"),
        "share": (pub["percent"] / 100).to_numpy(),
        "source": "published",
    })
    out.attrs["label"] = published_label(pub, survey_year)
    return out


def published_note(question_id: str, survey_year: str = "R3",
                   reference_dir: Path | str | None = None) -> str | None:
    """One sentence for the report: where the published figure comes from and how sure it is."""
    pub = _figures(question_id, survey_year, reference_dir)
    other = _figures(question_id, survey_year, reference_dir, same_year=False)
    if pub is None:
        return other_year_note(question_id, survey_year, reference_dir)
    years = list(dict.fromkeys(pub["published_year"]))
    hosts = "、".join(dict.fromkeys(_source_name(u) for u in pub["source_url"]))
    parts = [f"全国は厚生労働省資料等の公表値です（{'・'.join(years)}調査、出典: {hosts}）。"]
    if other is not None:
        parts.append(other_year_note(question_id, survey_year, reference_dir) or "")
    q = load_codebook(survey_year)[question_id]
    real = pub[pub["option_id"] != NO_ANSWER]
    if len(real) < len(q.options) * len(q.row_ids):
        parts.append("公表値のない選択肢は「–」で示し、全国の棒には含めていません。")
    if pub["n"].isna().any():
        parts.append("公表資料にnの記載がないため、全国のnは「–」です。")
    worst = max(pub["confidence"], key=CONFIDENCE.index)
    if worst != "high":
        parts.append(f"選択肢との対応づけの確度：{CONFIDENCE_JA[worst]}（公表資料のグラフから読み取った値を、"
                     "凡例の並びなどから調査票の選択肢に対応づけています）。")
    return "".join(parts)


def other_year_note(question_id: str, survey_year: str = "R3",
                    reference_dir: Path | str | None = None) -> str | None:
    """Why another year's published figure is not the 全国 bar of ``survey_year`` (None when there is none)."""
    other = _figures(question_id, survey_year, reference_dir, same_year=False)
    if other is None:
        return None
    years = "・".join(dict.fromkeys(other["published_year"]))
    return (f"{years}の全国公表値は{year_ja(survey_year)}の値ではないため全国の棒には使わず、"
            "年度の推移に参考として示します。")


def _source_name(url: str) -> str:
    m = re.search(r"wic-net\.com/material/document/(\d+)/(\d+)", url)
    if m:
        return f"wic-net {m.group(1)}/{m.group(2)}"
    if "nli-research" in url:
        return "ニッセイ基礎研究所（二次資料）"
    return url


def coverage(survey_year: str = "R3", reference_dir: Path | str | None = None) -> pd.DataFrame:
    """Which codebook questions have a published national figure, and how sure the mapping is.

    One row per codebook question: question_id, number, title, type, published (bool), figures
    (number of mapped values), rows_covered (matrix rows with a figure / all rows),
    complete (every option incl. 未回答 of every row), published_year, n, confidence (the lowest
    among its figures), confidences (e.g. "high 5, medium 1").
    """
    cb = load_codebook(survey_year)
    path = published_path(survey_year, reference_dir)
    pub = load_published(survey_year, reference_dir) if path.is_file() else pd.DataFrame(columns=COLUMNS)
    rows = []
    for q in cb:
        g = pub[pub["question_id"] == q.id]
        per_row = g.groupby("row_id")["option_id"].apply(set) if len(g) else pd.Series(dtype=object)
        full = {*q.option_ids, NO_ANSWER}
        counts = g["confidence"].value_counts() if len(g) else pd.Series(dtype=int)
        rows.append({
            "question_id": q.id,
            "number": q.number,
            "title": q.title,
            "type": q.type,
            "published": not g.empty,
            "figures": len(g),
            "rows_covered": f"{len(per_row)}/{len(q.row_ids)}",
            "complete": (not g.empty and len(per_row) == len(q.row_ids)
                         and all(s == full for s in per_row)),
            "published_year": "・".join(dict.fromkeys(g["published_year"])) if len(g) else "",
            "n": _n_text(g["n"]).removeprefix(", n=") if len(g) else "",
            "confidence": max(g["confidence"], key=CONFIDENCE.index) if len(g) else "",
            "confidences": ", ".join(f"{c} {int(counts[c])}" for c in CONFIDENCE if c in counts),
        })
    return pd.DataFrame(rows)

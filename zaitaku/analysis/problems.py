"""Ingest problems as data, per municipality and per prefecture (``problems.csv`` of the processed folder).

``zaitaku ingest`` writes one row per problem (file, row, column, value, problem, action). A problem
belongs to a municipality when its file and row are the municipality's source row, when it is a
duplicate of that municipality's code, or when it concerns the whole file (a column or question
missing from the file) the municipality came from. ``kind`` says what happened to the answer:

- ``excluded``: the row or municipality was left out (unknown code, conflicting duplicates);
- ``no_answer``: the answer was read as 未回答;
- ``not_asked``: the answer was treated as not asked (非該当);
- ``dropped``: an identical duplicate row was dropped;
- ``file``: the file lacks a question or has an unknown column;
- ``kept``: kept as delivered (e.g. an option not chosen in the parent question).
"""

from __future__ import annotations

import pandas as pd

from zaitaku.analysis.index import data_index
from zaitaku.analysis.processed import ProcessedData
from zaitaku.files.atomic import FORMULA_START

KIND_JA = {"excluded": "除外", "no_answer": "未回答として集計", "not_asked": "非該当（対象外）として集計",
           "dropped": "重複行を除外", "file": "ファイル全体", "kept": "そのまま集計"}
COLUMNS = ["code", "name", "file", "row", "column", "value", "problem", "action", "kind", "kind_ja"]


def _kind(problem: str, action: str) -> str:
    if "column ignored" in action or problem.startswith("no column for question"):
        return "file"
    if "dropped" in action:
        return "dropped"
    if "excluded" in action:
        return "excluded"
    if "未回答" in action:
        return "no_answer"
    if "not asked" in action or "非該当" in action:
        return "not_asked"
    return "kept"


def _delivered(value: str) -> str:
    """The value as delivered (undo the CSV writer's protection against Excel formulas)."""
    return value[1:] if value.startswith("'") and value[1:2] and value[1:].startswith(FORMULA_START) else value


def load_problems(data: ProcessedData) -> pd.DataFrame:
    """All problems with the municipality each concerns (``code`` empty when none could be named); cached."""
    def build() -> pd.DataFrame:
        path = data.data_dir / "problems.csv"
        if not path.exists():
            return pd.DataFrame(columns=COLUMNS)
        p = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        if p.empty:
            return pd.DataFrame(columns=COLUMNS)
        p["value"] = p["value"].map(_delivered)
        p["kind"] = [_kind(a, b) for a, b in zip(p["problem"], p["action"], strict=True)]
        p["kind_ja"] = p["kind"].map(KIND_JA)
        m = data.municipalities
        by_row = {(f, str(r)): c for c, f, r in zip(m["code"], m["source_file"], m["source_row"], strict=True) if f}
        codes = set(m["code"])
        names = dict(zip(m["code"], m["name"], strict=True))
        p["code"] = [by_row.get((f, r), v if v in codes and "appears" in pr else "")
                     for f, r, v, pr in zip(p["file"], p["row"], p["value"], p["problem"], strict=True)]
        files = [(row, f) for row, f in zip(p.index, p["file"], strict=True) if p.at[row, "kind"] == "file"]
        extra = []
        for i, f in files:  # a file-level problem concerns every municipality read from that file
            for c in m.loc[m["source_file"] == f, "code"]:
                extra.append(p.loc[i].to_dict() | {"code": c})
        p = p[p["kind"] != "file"]
        if extra:
            p = pd.concat([p, pd.DataFrame(extra)], ignore_index=True)
        p["name"] = p["code"].map(names).fillna("")
        return p[COLUMNS].reset_index(drop=True)

    return data_index(data).memo("problems", build)


def problems_for(data: ProcessedData, code: str) -> pd.DataFrame:
    """The problems of one municipality (what was excluded, read as 未回答 or not asked, the value as delivered)."""
    p = load_problems(data)
    return p[p["code"] == code].reset_index(drop=True)


def problem_counts(data: ProcessedData) -> pd.DataFrame:
    """Per prefecture: municipalities that responded, municipalities with problems, problems, excluded ones.

    Columns: pref_code, prefecture, responded, with_problems, problems, excluded.
    """
    m = data.municipalities
    p = load_problems(data)
    p = p[p["code"] != ""].merge(m[["code", "pref_code"]], on="code", how="left")
    rows = []
    for (pc, name), g in m.groupby(["pref_code", "prefecture"], sort=True):
        mine = p[p["pref_code"] == pc]
        rows.append({"pref_code": pc, "prefecture": name, "responded": int(g["responded"].sum()),
                     "with_problems": int(mine["code"].nunique()), "problems": len(mine),
                     "excluded": int(mine.loc[mine["kind"] == "excluded", "code"].nunique())})
    return pd.DataFrame(rows)


def problems_by_code(data: ProcessedData) -> dict[str, int]:
    """How many ingest problems concern each municipality (municipalities without problems left out)."""
    p = load_problems(data)
    return {str(k): int(v) for k, v in p.loc[p["code"] != "", "code"].value_counts().items()}

"""Ingest problems as data, per municipality and per prefecture (``problems.csv`` of the processed folder).

The file is read by :func:`zaitaku.ingest.problems.read_problems`, next to its writer. A problem
belongs to the municipality ingest named in its ``code`` column; failing that, to the municipality
whose source row it concerns; a problem about the whole file (a column not read, a question
missing) concerns every municipality read from that file. ``kind`` is the code ingest wrote
(:class:`~zaitaku.ingest.problems.ProblemKind`); ``kind_ja`` says it for people.
"""

from __future__ import annotations

import pandas as pd

from zaitaku.analysis.index import data_index
from zaitaku.analysis.processed import ProcessedData
from zaitaku.ingest.problems import COLUMNS as FILE_COLUMNS
from zaitaku.ingest.problems import FILE_KINDS, KIND_JA, ProblemKind, read_problems

COLUMNS = ["code", "name", "file", "row", "column", "value", "problem", "action", "kind", "kind_ja"]
EXCLUDED = ProblemKind.ROW_EXCLUDED.value


def load_problems(data: ProcessedData) -> pd.DataFrame:
    """All problems with the municipality each concerns (``code`` empty when none could be named); cached."""
    def build() -> pd.DataFrame:
        from zaitaku.analysis.processed import member_paths

        path = member_paths(data.data_dir, data.meta).get("problems", data.data_dir / "problems.csv")  # this year's
        if not path.exists():
            return pd.DataFrame(columns=COLUMNS)
        p = read_problems(path)
        if p.empty:
            return pd.DataFrame(columns=COLUMNS)
        m = data.municipalities
        by_row = {(f, str(r)): c for c, f, r in zip(m["code"], m["source_file"], m["source_row"], strict=True) if f}
        p["code"] = [c or by_row.get((f, r), "") for c, f, r in zip(p["code"], p["file"], p["row"], strict=True)]
        file_level = p["kind"].isin({k.value for k in FILE_KINDS})
        extra = [p.loc[i].to_dict() | {"code": c}  # a file-level problem concerns every municipality of that file
                 for i in p.index[file_level] for c in m.loc[m["source_file"] == p.at[i, "file"], "code"]]
        p = p[~file_level]
        if extra:
            p = pd.concat([p, pd.DataFrame(extra, columns=FILE_COLUMNS)], ignore_index=True)
        p["kind_ja"] = p["kind"].map({k.value: v for k, v in KIND_JA.items()})
        p["name"] = p["code"].map(dict(zip(m["code"], m["name"], strict=True))).fillna("")
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
                     "excluded": int(mine.loc[mine["kind"] == EXCLUDED, "code"].nunique())})
    return pd.DataFrame(rows)


def problems_by_code(data: ProcessedData) -> dict[str, int]:
    """How many ingest problems concern each municipality (municipalities without problems left out)."""
    p = load_problems(data)
    return {str(k): int(v) for k, v in p.loc[p["code"] != "", "code"].value_counts().items()}

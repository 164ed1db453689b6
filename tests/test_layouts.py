"""Every layout of tests/fixtures/layouts, read with its drafted map and no edits (issue 22).

Per layout: the drafted map ingests without a stop, every municipality is found without
``--prefecture``, ≥ 99% of (municipality, question, row) cells equal the answer table, no wrong
cell without a problem row naming its question, and the raw files are byte-identical afterwards.
"""

from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path

import pandas as pd
import pytest

from zaitaku.ingest.draft_map import draft
from zaitaku.ingest.pipeline import ingest

_spec = importlib.util.spec_from_file_location(
    "layouts_generate", Path(__file__).parent / "fixtures" / "layouts" / "generate.py")
assert _spec is not None and _spec.loader is not None
gen = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gen)

# layouts the reader does not handle yet: strict xfail, so a layout that starts passing fails until removed
NOT_YET: dict[str, str] = {
    "compiled_listing": "問2 の A–E 一覧の見出し（一列に回答）を行ごとに読めない",
    "compiled_wording": "問番号のない見出しの一部（行の文言）を取り違える",
    "long": "縦長（市町村×設問×選択肢）の表をまだ検出しない",
    "multisheet": "設問グループごとのシートをまだ結合しない",
    "transposed": "市町村が列方向の表をまだ検出しない",
}


def _md5s(path: Path) -> dict[str, str]:
    files = sorted(path.rglob("*")) if path.is_dir() else [path]
    return {str(f): hashlib.md5(f.read_bytes()).hexdigest() for f in files if f.is_file()}


def observed(responses: pd.DataFrame) -> tuple[dict, dict]:
    obs, texts = {}, {}
    for (code, q, row), g in responses.groupby(["municipality_code", "question_id", "row_id"], sort=False):
        if g["value"].isna().all():
            v: object = "not_asked"
        elif (g.loc[g.option_id == "na", "value"] == 1).any():
            v = "blank"
        else:
            v = tuple(sorted(g.loc[g["value"] == 1, "option_id"], key=str))
        obs[(code, q, row)] = v
        for r in g[g.free_text.notna()].itertuples():
            texts[(code, q, row, r.option_id)] = r.free_text
    return obs, texts


def run_layout(layout: str, tmp: Path) -> dict:
    write, pref = gen.LAYOUTS[layout]
    raw = write(tmp)
    before = _md5s(raw)
    map_df, failed = draft([raw])
    assert not failed, failed
    map_path = tmp / "map.csv"
    map_df.to_csv(map_path, index=False, encoding="utf-8-sig")
    result = ingest([raw], header_map=map_path, strict=True)
    assert _md5s(raw) == before, "raw files changed"
    want, want_texts = gen.expected(pref)
    codes = gen.codes_written(layout)
    want = {k: v for k, v in want.items() if k[0] in codes}
    obs, texts = observed(result.responses)
    found = {k[0] for k in obs}
    problems = result.problems
    flagged_q = {q.id for q in gen.CB if problems["problem"].str.contains(q.id, regex=False).any()
                 or problems["column"].str.contains(q.number, regex=False).any()}
    wrong = [(k, v, obs.get(k)) for k, v in want.items() if obs.get(k) != v]
    silent = [w for w in wrong if w[0][1] not in flagged_q]
    text_lost = [k for k, t in want_texts.items() if k[0] in codes and texts.get(k) != t]
    return {"missing": sorted(codes - found), "n": len(want), "right": len(want) - len(wrong), "wrong": wrong,
            "silent": silent, "text_lost": text_lost, "map": map_df}


@pytest.mark.parametrize("layout", [
    pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=NOT_YET[name])) if name in NOT_YET else name
    for name in sorted(gen.LAYOUTS)])
def test_layout_read_with_drafted_map(layout: str, tmp_path: Path) -> None:
    res = run_layout(layout, tmp_path)
    assert res["missing"] == [], f"municipalities not found: {res['missing']}"
    assert not res["silent"], f"silently wrong cells: {res['silent'][:5]}"
    assert res["right"] >= 0.99 * res["n"], f"{res['right']}/{res['n']} cells right; e.g. {res['wrong'][:5]}"

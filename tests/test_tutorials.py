"""The workshop tutorials (one source each; student and answers versions generated) and the
explorer notebook, run top to bottom as users run them.

Each notebook is executed with papermill, with ``data_dir`` pointing at the demo data of the
``processed_dir`` fixture and ``export_dir`` at a temporary folder. A traceback, any stderr output
or the word "Warning" in any output fails the test.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import nbformat
import papermill as pm
import pytest

from zaitaku.explore import tutorials

PROJECT = Path(__file__).resolve().parents[1]
NOTEBOOKS = PROJECT / "notebooks"
TUTORIAL = NOTEBOOKS / "tutorial"
TUTORIALS = sorted(TUTORIAL.glob("[0-9][0-9]_*.ipynb"))


def _problems(nb: nbformat.NotebookNode) -> list[str]:
    """Errors, stderr streams and warnings anywhere in an executed notebook's outputs."""
    found = []
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            kind = out.get("output_type")
            if kind == "error":
                found.append(f"cell {i}: {out.get('ename')}: {out.get('evalue')}")
            elif kind == "stream" and out.get("name") == "stderr":
                found.append(f"cell {i}: stderr: {out.get('text', '')[:300]}")
            text = json.dumps(out.get("data", {}), ensure_ascii=False) + str(out.get("text", ""))
            if "Warning" in text:
                found.append(f"cell {i}: warning in output: {text[:300]}")
    return found


def _execute(path: Path, out: Path, parameters: dict) -> nbformat.NotebookNode:
    start = time.perf_counter()
    pm.execute_notebook(str(path), str(out), parameters=parameters, cwd=str(path.parent),
                        progress_bar=False, log_output=False, kernel_name="python3")
    where = path.relative_to(PROJECT) if path.is_relative_to(PROJECT) else path.name
    print(f"{where}: executed in {time.perf_counter() - start:.1f} s")
    return nbformat.read(out, as_version=4)


def _tags(cell) -> list[str]:
    return cell.metadata.get("tags", [])


def test_the_series_is_complete():
    names = [p.name for p in TUTORIALS]
    assert names == ["01_データを読み込む.ipynb", "02_自分のまちを比べる.ipynb", "03_指標を選んで振り返る.ipynb",
                     "04_前回からの変化を読む.ipynb"]
    assert tutorials.sources() == TUTORIALS
    assert (TUTORIAL / "README.md").exists()
    assert not (TUTORIAL / "solutions").exists(), "answers are generated, not stored"


@pytest.mark.parametrize("path", [*TUTORIALS, NOTEBOOKS / "explorer.ipynb"], ids=lambda p: str(p.relative_to(NOTEBOOKS)))
def test_stored_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{path.name}: outputs not stripped"
    text = path.read_text(encoding="utf-8")
    assert "../" not in text, "data paths come from the package (zaitaku.paths), not from the notebook's folder"


@pytest.mark.parametrize("path", TUTORIALS, ids=lambda p: p.stem)
def test_each_exercise_is_followed_by_its_answer(path):
    nb = nbformat.read(path, as_version=4)
    assert "parameters" in _tags(nb.cells[1]), "the second cell sets data_dir (tagged parameters)"
    kinds = ["e" if "exercise" in _tags(c) else "s" if "solution" in _tags(c) else "-" for c in nb.cells]
    exercises = [i for i, k in enumerate(kinds) if k == "e"]
    assert 1 <= len(exercises) <= 2
    for i in exercises:
        assert nb.cells[i].source.startswith("# ここに書いてみましょう") and nb.cells[i].cell_type == "code"
        assert kinds[i + 1] == "s", f"cell {i}: an exercise without an answer right below it"
    assert all(c.cell_type == "code" for c in nb.cells if "solution" in _tags(c))


@pytest.mark.parametrize("path", TUTORIALS, ids=lambda p: p.stem)
def test_versions_remove_exactly_the_tagged_cells(path):
    nb = nbformat.read(path, as_version=4)
    student, answers = tutorials.student_version(nb), tutorials.solution_version(nb)
    n_sol = sum("solution" in _tags(c) for c in nb.cells)
    n_ex = sum("exercise" in _tags(c) for c in nb.cells)
    assert n_sol >= n_ex >= 1
    assert len(student.cells) == len(nb.cells) - n_sol and len(answers.cells) == len(nb.cells) - n_ex
    assert not any("solution" in _tags(c) for c in student.cells)
    assert not any("exercise" in _tags(c) for c in answers.cells)
    assert "答えの例" not in "".join(c.source for c in student.cells if c.cell_type == "code")
    assert len(nb.cells) == sum(1 for c in nbformat.read(path, as_version=4).cells), "the source is not changed"


def test_write_versions(tmp_path):
    written = tutorials.write_versions(tmp_path)
    assert sorted(p.relative_to(tmp_path).as_posix() for p in written) == sorted(
        [p.name for p in TUTORIALS] + [f"solutions/{p.name}" for p in TUTORIALS])
    for p in written:
        nbformat.validate(nbformat.read(p, as_version=4))


@pytest.fixture(scope="module")
def versions(tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("workshop")
    return {p.relative_to(out).as_posix(): p for p in tutorials.write_versions(out)}


VERSIONS = [p.name for p in TUTORIALS] + [f"solutions/{p.name}" for p in TUTORIALS]


TWO_YEARS = "04_"  # the change-over-time tutorial runs on the hand-built two-year set (tests/fixtures/two_years.py)


@pytest.mark.slow
@pytest.mark.parametrize("name", VERSIONS)
def test_tutorial_runs_clean(name, versions, request, tmp_path):
    path = versions[name]
    data_dir = request.getfixturevalue("two_years_dir" if path.name.startswith(TWO_YEARS) else "processed_dir")
    nb = _execute(path, tmp_path / path.name,
                  {"data_dir": str(data_dir), "export_dir": str(tmp_path / "exports")})
    assert _problems(nb) == []
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.execution_count for c in code), "every cell ran"
    shown = [o for c in code for o in c.outputs if {"text/html", "image/png"} & set(o.get("data", {}))]
    assert len(shown) >= 3
    if path.name.startswith("02_"):  # Sections shown with their chart, and saved (CSV with BOM, PNG, SVG)
        assert sum('<svg class="chart"' in o["data"].get("text/html", "") for o in shown) >= 2
        exports = tmp_path / "exports"
        assert sorted(p.name for p in exports.iterdir()) == ["322016_松江市_q1.csv", "322016_松江市_q1.png",
                                                             "322016_松江市_q1.svg"]
        csv = (exports / "322016_松江市_q1.csv").read_bytes()
        assert csv.startswith(b"\xef\xbb\xbf") and "設問番号,設問,項目,選択肢,集計範囲,該当数,分母,割合(%)" in csv.decode("utf-8-sig")
    if path.name.startswith(TWO_YEARS):  # the trend shown with its chart; the answer's check passes
        assert sum('<svg class="chart"' in o["data"].get("text/html", "") for o in shown) >= 2
        printed = "".join(str(o.get("text", "")) for c in code for o in c.outputs if o.get("output_type") == "stream")
        if "solutions/" in name:  # 問1 in 島根県: 63.2% → 68.4% (tests/fixtures/two_years.py), caution
            assert printed.startswith("正解です：県内で『設置している』は 令和3年度 63.2%（n=19）→ 令和4年度 68.4%（n=19）"
                                      "（+5.2 ポイント）")
            assert "ただし比較に注意" in printed
        else:
            assert "正解です" not in printed


@pytest.mark.slow
def test_explorer_notebook_runs_headless(processed_dir, tmp_path, monkeypatch):
    """explorer.ipynb as it is stored (no parameters), in a copy laid out like the project."""
    monkeypatch.setenv("ZAITAKU_ROOT", str(tmp_path))  # the kernel's zaitaku.paths: data/processed of the copy
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "processed").symlink_to(processed_dir, target_is_directory=True)
    path = tmp_path / "notebooks" / "explorer.ipynb"
    path.write_bytes((NOTEBOOKS / "explorer.ipynb").read_bytes())
    nb = _execute(path, tmp_path / "explorer_out.ipynb", {})
    assert _problems(nb) == []
    widget_views = [o for c in nb.cells for o in c.get("outputs", [])
                    if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    assert len(widget_views) == 1
    state = nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    outputs = [m["state"].get("outputs", []) for m in state.values() if m["model_name"] == "OutputModel"]
    html = "".join(o["data"].get("text/html", "") for outs in outputs for o in outs)
    assert "zaitaku-chart" in html and '<svg class="chart"' in html

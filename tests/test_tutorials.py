"""The workshop tutorials, their solutions and the explorer notebook, run top to bottom as users run them.

Each notebook is executed with papermill in its own folder (so relative paths behave as in
JupyterLab), with ``data_dir`` pointing at the demo data of the ``processed_dir`` fixture and
``export_dir`` at a temporary folder. A traceback, any stderr output or the word "Warning" in
any output fails the test.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import nbformat
import papermill as pm
import pytest

PROJECT = Path(__file__).resolve().parents[1]
NOTEBOOKS = PROJECT / "notebooks"
TUTORIAL = NOTEBOOKS / "tutorial"
TUTORIALS = sorted(TUTORIAL.glob("[0-9][0-9]_*.ipynb"))
SOLUTIONS = sorted((TUTORIAL / "solutions").glob("[0-9][0-9]_*.ipynb"))


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


def test_the_series_is_complete():
    names = [p.name for p in TUTORIALS]
    assert names == ["01_データを読み込む.ipynb", "02_自分のまちを比べる.ipynb", "03_指標を選んで振り返る.ipynb"]
    assert [p.name for p in SOLUTIONS] == names
    assert (TUTORIAL / "README.md").exists()


@pytest.mark.parametrize("path", [*TUTORIALS, *SOLUTIONS, NOTEBOOKS / "explorer.ipynb"],
                         ids=lambda p: str(p.relative_to(NOTEBOOKS)))
def test_stored_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{path.name}: outputs not stripped"


@pytest.mark.parametrize("path", TUTORIALS, ids=lambda p: p.stem)
def test_tutorial_has_parameters_exercises_and_solutions(path):
    nb = nbformat.read(path, as_version=4)
    sol = nbformat.read(TUTORIAL / "solutions" / path.name, as_version=4)
    tags = [c.metadata.get("tags", []) for c in nb.cells]
    assert "parameters" in tags[1], "the second cell sets data_dir (tagged parameters)"
    exercises = [c for c in nb.cells if "exercise" in c.metadata.get("tags", [])]
    answers = [c for c in sol.cells if "solution" in c.metadata.get("tags", [])]
    assert 1 <= len(exercises) <= 2 <= len(answers) + 1
    assert all(c.source.startswith("# ここに書いてみましょう") for c in exercises)
    assert not [c for c in sol.cells if "exercise" in c.metadata.get("tags", [])], "every exercise answered"


@pytest.mark.slow
@pytest.mark.parametrize("path", [*TUTORIALS, *SOLUTIONS], ids=lambda p: str(p.relative_to(TUTORIAL)))
def test_tutorial_runs_clean(path, processed_dir, tmp_path):
    nb = _execute(path, tmp_path / path.name,
                  {"data_dir": str(processed_dir), "export_dir": str(tmp_path / "exports")})
    assert _problems(nb) == []
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.execution_count for c in code), "every cell ran"
    assert sum(1 for c in code for o in c.outputs if "text/html" in o.get("data", {})) >= 3
    if path.name.startswith("02_"):  # saves the figures (CSV, UTF-8 with BOM) and the chart (PNG)
        exports = tmp_path / "exports"
        assert sorted(p.name for p in exports.iterdir()) == ["322016_松江市_q1.csv", "322016_松江市_q1.png"]
        assert (exports / "322016_松江市_q1.csv").read_bytes().startswith(b"\xef\xbb\xbf")


@pytest.mark.slow
def test_explorer_notebook_runs_headless(processed_dir, tmp_path):
    """explorer.ipynb as it is stored (no parameters), in a copy laid out like the project."""
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
    assert "zaitaku-chart" in html and "data:image/png;base64," in html

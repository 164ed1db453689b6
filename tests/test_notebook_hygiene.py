"""Notebooks that stay clean: the workspace copies are ignored by git, and a committed notebook run and saved as
JupyterLab saves it (outputs, widget state, execution counts) leaves ``git status`` clean through the nbstripout
filter that ``make demo`` installs."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from zaitaku.explore import workspace

PROJECT = Path(__file__).resolve().parents[1]
NOTEBOOKS = PROJECT / "notebooks"


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout


def make_repo(tmp_path: Path, notebooks: list[str]) -> Path:
    """A git repository laid out as the project: the committed notebooks, .gitignore and .gitattributes."""
    repo = tmp_path / "repo"
    (repo / "notebooks").mkdir(parents=True)
    for name in notebooks:
        shutil.copy2(NOTEBOOKS / name, repo / "notebooks" / name)
    for name in (".gitignore", ".gitattributes"):
        shutil.copy2(PROJECT / name, repo / name)
    git(repo, "init", "-q")
    git(repo, "config", "user.email", "test@example.invalid")
    git(repo, "config", "user.name", "test")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "notebooks as committed")  # byte for byte, before any filter
    workspace.install_filter(repo, python=sys.executable)  # the venv's python here; make demo uses .venv/bin/python
    return repo


@pytest.mark.slow
def test_committed_notebooks_are_what_the_filter_stores(tmp_path):
    """Every committed notebook passes the filter unchanged (cell ids, language name and all)."""
    repo = make_repo(tmp_path, [p.name for p in NOTEBOOKS.glob("*.ipynb")])
    git(repo, "add", "--renormalize", "-A")  # every file through the filter again
    assert git(repo, "status", "--porcelain") == ""


def test_workspace_copies_are_ignored_and_kept(tmp_path):
    repo = make_repo(tmp_path, ["partnerships.ipynb", "explorer.ipynb"])
    made = workspace.prepare(repo / "lab", repo / "notebooks")
    assert sorted(p.name for p in made) == ["explorer.ipynb", "partnerships.ipynb"]
    assert (repo / "lab" / "README.md").read_text(encoding="utf-8").startswith("# 作業用フォルダ")
    assert git(repo, "status", "--porcelain", "--untracked-files=all") == ""  # lab/ is ignored
    mine = repo / "lab" / "partnerships.ipynb"
    mine.write_text(mine.read_text(encoding="utf-8").replace('municipality_code = \\"', 'municipality_code = \\"014702'),
                    encoding="utf-8")
    edited = mine.read_bytes()
    assert workspace.prepare(repo / "lab", repo / "notebooks") == []  # the analyst's copy is never overwritten
    assert mine.read_bytes() == edited


def run_and_save(path: Path, root: Path) -> None:
    """Execute ``path`` in a kernel whose project root is ``root`` and save it as JupyterLab does: JSON with
    indent 1, outputs, execution counts, widget state and the kernel's language details."""
    nb = nbformat.read(path, as_version=4)
    before = path.read_bytes()
    old = dict(os.environ)
    os.environ["ZAITAKU_ROOT"] = str(root)  # the kernel inherits it: zaitaku.paths finds data/processed there
    try:
        NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    finally:
        os.environ.clear()
        os.environ.update(old)
    nb.metadata["language_info"] = {"name": "python", "version": sys.version.split()[0], "mimetype": "text/x-python"}
    nbformat.write(nb, path)
    assert path.read_bytes() != before and '"outputs": [\n    {' in path.read_text(encoding="utf-8")


@pytest.mark.slow
def test_running_notebooks_as_jupyterlab_saves_them_leaves_git_clean(tmp_path, processed_dir):
    """The workspace copies (make lab) run and saved: ``git status`` clean. The committed notebooks themselves
    run and saved: the filter stores nothing of it (no diff, nothing to commit after ``git add``)."""
    repo = make_repo(tmp_path, ["explorer.ipynb", "partnerships.ipynb"])
    root = tmp_path / "root"  # the kernel's project root: data/processed, outside the repository
    (root / "data").mkdir(parents=True)
    (root / "data" / "processed").symlink_to(processed_dir, target_is_directory=True)
    workspace.prepare(repo / "lab", repo / "notebooks")
    for name in ("explorer.ipynb", "partnerships.ipynb"):
        run_and_save(repo / "lab" / name, root)
    assert git(repo, "status", "--porcelain", "--untracked-files=all") == ""

    run_and_save(repo / "notebooks" / "partnerships.ipynb", root)
    assert git(repo, "diff") == ""  # through the filter the saved notebook is the committed one
    git(repo, "add", "-A")  # git compares sizes first: the add refreshes the index, and stages nothing
    assert git(repo, "status", "--porcelain") == "" and git(repo, "diff", "--cached") == ""
    (repo / ".gitattributes").write_text("", encoding="utf-8")  # without the filter the outputs would be committed
    git(repo, "add", "--renormalize", "-A")
    assert "notebooks/partnerships.ipynb" in git(repo, "diff", "--cached", "--stat")

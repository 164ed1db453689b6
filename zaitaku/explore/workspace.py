"""Notebooks that stay clean: analysts work on copies, and git never takes a notebook's outputs.

- :func:`prepare` copies the notebooks (the four report notebooks, the timing report, the explorer and the
  workshop tutorials) into the workspace folder ``lab/`` (ignored by git). A copy that exists is kept: it
  is the analyst's work. ``make lab`` calls it, then opens JupyterLab on the project folder at ``lab/``,
  so the reports in ``reports/`` open from the file browser with working links.
- :func:`install_filter` registers nbstripout as the git filter named in ``.gitattributes`` (``make demo``
  calls it): a notebook saved with outputs, widget state and execution counts is stored without them, so
  running a committed notebook in JupyterLab leaves ``git status`` clean. Its settings are those of
  ``make strip``.

``python -m zaitaku.explore.workspace`` prepares ``lab/``; ``--install-filter`` registers the filter.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
from pathlib import Path

from zaitaku.paths import NOTEBOOKS_DIR, PROJ_ROOT

WORKSPACE_DIR = PROJ_ROOT / "lab"
EXTRA_KEYS = " ".join(["cell.metadata.execution", *(f"metadata.language_info.{k}" for k in (
    "codemirror_mode", "file_extension", "mimetype", "nbconvert_exporter", "pygments_lexer", "version"))])
"""What the filter and ``make strip`` remove besides nbstripout's defaults (outputs, execution counts, widget
state): a kernel's language details, keeping ``language_info.name`` as the committed notebooks have it."""
VENV_PYTHON = ".venv/bin/python"  # git runs filters at the top of the work tree: each worktree uses its own venv
README = """# 作業用フォルダ（lab/）

`make lab` が `notebooks/` のノートブックをここにコピーしました。このフォルダは git に入りません。
ここで自由に書き換え・実行・保存してください（元の `notebooks/` は変わりません）。

- `partnerships.ipynb` ほか4冊：報告書のノートブック。最初のセルで市区町村コードを書き換えて「すべて実行」。
- `explorer.ipynb`：エクスプローラー（設問と市町村を選んで比べ、CSV・画像を保存）。
- `workshop/`：ワークショップの教材（`solutions/` は答えの例）。
- 報告書は `reports/R3/index.html` から開けます（ファイルブラウザで右クリック →「Open in New Browser Tab」）。

元の状態に戻すには、戻したいファイル（またはこのフォルダ）を消して、もう一度 `make lab` を実行します。
"""


def sources(notebooks_dir: Path = NOTEBOOKS_DIR) -> list[Path]:
    """The notebooks an analyst works on: ``notebooks/*.ipynb`` and the workshop versions (``make tutorials``)."""
    out = sorted(notebooks_dir.glob("*.ipynb"))
    workshop = notebooks_dir / "workshop"
    if workshop.is_dir():
        out += sorted(workshop.rglob("*.ipynb"))
    return [p for p in out if ".ipynb_checkpoints" not in p.parts]


def prepare(dest: Path | str = WORKSPACE_DIR, notebooks_dir: Path | str = NOTEBOOKS_DIR) -> list[Path]:
    """Copy the notebooks into ``dest`` (keeping any copy already there); returns the copies made now."""
    dest, notebooks_dir = Path(dest), Path(notebooks_dir)
    made = []
    for src in sources(notebooks_dir):
        target = dest / src.relative_to(notebooks_dir)
        if target.exists():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, target)
        made.append(target)
    readme = dest / "README.md"
    if not readme.exists():
        dest.mkdir(parents=True, exist_ok=True)
        readme.write_text(README, encoding="utf-8")
    return made


def filter_command(python: str = VENV_PYTHON) -> str:
    return f'{python} -m nbstripout --keep-id --extra-keys "{EXTRA_KEYS}"'


def install_filter(repo: Path | str = PROJ_ROOT, python: str = VENV_PYTHON) -> None:
    """Register the ``nbstripout`` filter of ``.gitattributes`` in ``repo``'s git configuration."""
    settings = {"filter.nbstripout.clean": filter_command(python), "filter.nbstripout.smudge": "cat",
                "diff.ipynb.textconv": f"{python} -m nbstripout -t"}
    for key, value in settings.items():
        subprocess.run(["git", "config", key, value], cwd=repo, check=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m zaitaku.explore.workspace",
                                 description="作業用フォルダ（lab/）にノートブックのコピーを作ります。")
    ap.add_argument("--install-filter", action="store_true",
                    help="ノートブックの出力を git に入れないフィルター（nbstripout）を登録します")
    args = ap.parse_args(argv)
    if args.install_filter:
        install_filter()
        print("git のフィルター nbstripout を登録しました（ノートブックの出力は git に入りません）。")
        return 0
    made = prepare()
    print(f"作業用フォルダ：{WORKSPACE_DIR}（新しくコピーしたノートブック {len(made)} 冊）")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

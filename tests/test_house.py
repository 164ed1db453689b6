"""House rules a successor relies on: provenance beside every reference file, nothing cited from
outside the project, dependencies declared as imported, no side effects when zaitaku is imported."""

from __future__ import annotations

import ast
import hashlib
import os
import re
import subprocess
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

from zaitaku.files import provenance

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: the backport (dev extra)
    import tomli as tomllib


PROJECT = Path(__file__).resolve().parents[1]
REFERENCE_FOLDERS = [PROJECT / "data" / "raw" / "reference", PROJECT / "zaitaku" / "reference" / "data"]

# ---------------------------------------------------------------------------- provenance


def _tracked_files() -> list[Path]:
    """Files under version control (every file of the tree when git is not available)."""
    try:
        out = subprocess.run(["git", "ls-files", "-z"], cwd=PROJECT, capture_output=True, check=True).stdout
        return [PROJECT / p for p in out.decode().split("\0") if p]
    except (OSError, subprocess.CalledProcessError):
        skip = {".git", ".venv", "reports", "exports", "__pycache__"}
        return [p for p in PROJECT.rglob("*") if p.is_file() and not skip & set(p.relative_to(PROJECT).parts)]


def test_reference_folders_hold_data():
    files = [f for folder in REFERENCE_FOLDERS for f in provenance.data_files(folder)]
    names = {f.name for f in files}
    assert {"national_r3.csv", "programme_start.csv", "municipalities.csv", "prefectures.csv"} <= names


@pytest.mark.parametrize("path", [f for folder in REFERENCE_FOLDERS for f in provenance.data_files(folder)],
                         ids=lambda p: str(p.relative_to(PROJECT)))
def test_every_reference_file_has_a_matching_sidecar(path):
    assert provenance.check(path) == []
    origin = provenance.read(path)["meta"]["origin"]
    url = str(origin["url_main"])
    assert url.startswith("https://") or "公開URL未確認" in url, url
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(origin["date_accessed"]))


def test_a_changed_file_no_longer_matches_its_sidecar(tmp_path):
    data = tmp_path / "table.csv"
    data.write_text("a,b\n1,2\n", encoding="utf-8")
    assert [m.problem for m in provenance.check(data)] == ["no provenance sidecar table.csv.meta.yaml"]
    provenance.sidecar_of(data).write_text(
        "meta:\n  origin: {title: t, producer: p, url_main: 'https://example.org/x', date_accessed: '2026-11-24'}\n"
        "outs: []\n", encoding="utf-8")
    provenance.update(data)
    assert provenance.check(data) == []
    side = provenance.read(data)
    assert side["outs"] == [{"path": "table.csv", "md5": hashlib.md5(b"a,b\n1,2\n").hexdigest(), "size": 8}]
    assert side["meta"]["origin"]["title"] == "t"  # update keeps the description
    data.write_text("a,b\n1,3\n", encoding="utf-8")  # same size, other content
    problems = provenance.check(data)
    assert len(problems) == 1 and problems[0].problem.startswith("md5 ")


OUTSIDE = re.compile(r"\.\./shared|shared/seeds|shared/reference|seeds/\d{3}_|DESIGN\.md|001_697034|27147ba2|national_reference\.md")


def test_no_tracked_file_cites_material_outside_the_project():
    this = Path(__file__).resolve()
    hits = []
    for path in _tracked_files():
        if path.resolve() == this or path.suffix in {".png", ".parquet", ".xlsx", ".whl"} or not path.is_file():
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        hits += [f"{path.relative_to(PROJECT)}:{i}: {line.strip()[:100]}"
                 for i, line in enumerate(text.splitlines(), 1) if OUTSIDE.search(line)]
    assert hits == []


# ---------------------------------------------------------------------------- dependencies

# declared, needed at run time, but never imported by name in zaitaku/
RUNTIME_ONLY = {
    "pyarrow": "pandas' parquet engine (processed data)",
    "openpyxl": "pandas' xlsx engine (raw workbooks)",
    "python-calamine": "pandas' fast Excel engine (raw workbooks)",
    "ipykernel": "the python3 kernel the notebooks run in",
    "dask": "parent package of distributed (dask[distributed])",
    "matplotlib-fontja": "ships IPAexGothic; zaitaku.report.charts.style registers its font file without importing it",
}
# declared for work being merged from other branches; remove an entry once its import lands
PENDING: dict[str, str] = {}


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _declared() -> set[str]:
    deps = tomllib.loads((PROJECT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    names = set()
    for dep in deps:
        m = re.match(r"([A-Za-z0-9_.-]+)(?:\[([^\]]+)\])?", dep)
        assert m, dep
        names.add(_norm(m.group(1)))
        names |= {_norm(x) for x in (m.group(2) or "").split(",") if x}  # dask[distributed] declares distributed
    return names


def _imported() -> dict[str, str]:
    """Distribution -> first module of zaitaku/ importing it (third-party only)."""
    dists = packages_distributions()
    found: dict[str, str] = {}
    for path in sorted((PROJECT / "zaitaku").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                mods = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                mods = [node.module]
            else:
                continue
            for mod in mods:
                top = mod.split(".")[0]
                if top in sys.stdlib_module_names or top == "zaitaku":
                    continue
                for dist in dists.get(top, [top]):
                    found.setdefault(_norm(dist), str(path.relative_to(PROJECT)))
    return found


def test_every_imported_package_is_declared():
    missing = {d: where for d, where in _imported().items() if d not in _declared()}
    assert missing == {}, "add these to [project] dependencies in pyproject.toml"


def test_every_declared_package_is_imported_or_explained():
    unused = _declared() - set(_imported()) - {_norm(d) for d in (*RUNTIME_ONLY, *PENDING)}
    assert unused == set(), "remove these from [project] dependencies, or say in RUNTIME_ONLY why they are needed"


# ---------------------------------------------------------------------------- import side effects

IMPORT_ALL = "import zaitaku, zaitaku.report.report, zaitaku.explore.explorer"


def test_import_changes_no_process_state():
    """In a plain interpreter: backend, rcParams (e.g. font.family) and umask are as before the import."""
    code = (
        "import os, matplotlib\n"
        "before = (matplotlib.get_backend(), dict(matplotlib.rcParams), os.umask(0o022))\n"
        f"{IMPORT_ALL}\n"
        "after = (matplotlib.get_backend(), dict(matplotlib.rcParams), os.umask(0o022))\n"
        "changed = {k: (before[1][k], after[1].get(k)) for k in before[1] if before[1][k] != after[1].get(k)}\n"
        "assert before[0] == after[0], ('backend', before[0], after[0])\n"
        "assert before[2] == after[2], 'umask'\n"
        "assert not changed, ('rcParams changed at import', changed)\n"
    )
    env = {**os.environ, "MPLBACKEND": "svg"}
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=PROJECT)
    assert run.returncode == 0, run.stderr[-2000:]


@pytest.mark.slow
def test_plt_show_still_displays_in_a_kernel_after_import():
    """A real Jupyter kernel (installed python3 kernelspec): after importing zaitaku, an analyst's
    own ``plt.plot(); plt.show()`` still returns an inline PNG."""
    from jupyter_client.manager import start_new_kernel

    km, kc = start_new_kernel(kernel_name="python3", cwd=str(PROJECT))
    try:
        outputs: list[dict] = []

        def run(code: str) -> None:
            reply = kc.execute_interactive(code, timeout=120, output_hook=lambda m: outputs.append(m))
            assert reply["content"]["status"] == "ok", reply["content"]

        run(IMPORT_ALL)
        run("import matplotlib.pyplot as plt\nplt.plot([1, 2])\nplt.show()")
        shown = [m for m in outputs if m["msg_type"] == "display_data" and "image/png" in m["content"]["data"]]
        assert shown, [m["msg_type"] for m in outputs]
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


# ---------------------------------------------------------------------------- templates


def test_timing_report_templates_escape_text():
    """Text reaches the timing report's HTML through autoescaped templates; only built markup is trusted."""
    from markupsafe import Markup

    from zaitaku.report.timing_report import _environment

    html = _environment().get_template("section.html.j2").render(
        id="x", title="<script>alert(1)</script>", definition="A & B", examples=["<b>例</b>"],
        chart=Markup('<img class="chart" alt="a">'), sentence="1 < 2",
        tables=[{"caption": "数値 <注>", "open": True, "html": Markup("<table></table>")}], note="")
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "A &amp; B" in html and "&lt;b&gt;例&lt;/b&gt;" in html and "1 &lt; 2" in html
    assert '<img class="chart" alt="a">' in html and "<table></table>" in html and "数値 &lt;注&gt;" in html

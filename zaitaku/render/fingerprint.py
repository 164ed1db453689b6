"""Input hashes: a report re-renders when its notebook, parameters, data, package, template or
environment changed since its last successful render.

The package part is the hash of every source and data file of ``zaitaku`` (a superset of what a
notebook can reach, so a change is never missed; a change anywhere in the package re-renders).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from zaitaku.files.atomic import md5_file
from zaitaku.paths import PACKAGE_DIR

PACKAGE_SUFFIXES = {".py", ".yaml", ".csv", ".j2", ".tpl", ".css", ".json"}
ENVIRONMENT_DISTS = ("matplotlib", "pandas", "numpy", "seaborn", "nbconvert", "papermill", "matplotlib-fontja",
                     "jinja2", "budoux")
PATH_PARAMETERS = ("data_dir", "figures_csv")  # paths are not inputs; their contents are


def md5_bytes(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def data_fingerprint(data_dir: Path) -> str:
    """md5 over the processed data files (relative name + content md5), README and dot-files excluded."""
    data_dir = Path(data_dir)
    h = hashlib.md5()
    if data_dir.is_dir():
        for p in sorted(data_dir.rglob("*")):
            rel = p.relative_to(data_dir)
            if not p.is_file() or any(part.startswith(".") for part in rel.parts) or p.name.lower().startswith("readme"):
                continue
            h.update(f"{rel.as_posix()}\0{_content_md5(p)}\n".encode())
    return h.hexdigest()


def _content_md5(path: Path) -> str:
    """md5 of a data file; ``ingest_meta.json`` without its ``created`` time, so re-ingesting the
    same raw files does not re-render every report."""
    if path.name == "ingest_meta.json":
        try:
            meta = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            meta = None
        if isinstance(meta, dict):  # every year's entry (reports show the other years' figures too)
            meta.pop("created", None)
            for entry in (meta.get("years") or {}).values():
                if isinstance(entry, dict):
                    entry.pop("created", None)
            return md5_bytes(json.dumps(meta, sort_keys=True, ensure_ascii=False).encode())
    return md5_file(path)


def package_fingerprint() -> str:
    """md5 over the package's version and its source, template and data files."""
    import zaitaku

    h = hashlib.md5(f"zaitaku {zaitaku.__version__}\n".encode())
    for f in sorted(PACKAGE_DIR.rglob("*")):
        if f.suffix in PACKAGE_SUFFIXES and f.is_file() and "__pycache__" not in f.parts:
            h.update(f"{f.relative_to(PACKAGE_DIR).as_posix()}\0{md5_file(f)}\n".encode())
    return h.hexdigest()


def environment_fingerprint() -> str:
    from importlib.metadata import PackageNotFoundError, version

    env = [f"python {sys.version_info[0]}.{sys.version_info[1]}"]
    for dist in ENVIRONMENT_DISTS:
        with contextlib.suppress(PackageNotFoundError):
            env.append(f"{dist} {version(dist)}")
    return md5_bytes("\n".join(env).encode())


class InputHasher:
    """Hash parts of a report's inputs; a report re-renders when any part changes."""

    def __init__(self, notebooks: Mapping[str, Path], data_dir: Path, survey_year: str):
        from zaitaku.render import html as render_html

        self.notebook_md5 = {g: md5_file(p) for g, p in notebooks.items()}
        self.data = data_fingerprint(data_dir)
        self.package = package_fingerprint()
        self.template = md5_bytes(render_html.HTML_FORMAT.encode())
        self.environment = environment_fingerprint()
        self.survey_year = survey_year

    def parts(self, group: str, parameters: Mapping[str, Any]) -> dict[str, str]:
        params = {k: v for k, v in parameters.items() if k not in PATH_PARAMETERS}
        return {
            "notebook": self.notebook_md5[group],
            "parameters": md5_bytes(json.dumps(params, sort_keys=True, ensure_ascii=False).encode()),
            "data": self.data,
            "package": self.package,
            "template": self.template,
            "environment": self.environment,
        }

    @staticmethod
    def combine(parts: Mapping[str, str]) -> str:
        return hashlib.sha256(json.dumps(dict(parts), sort_keys=True).encode()).hexdigest()

"""``manifest.json``: per report its input hash, status and where it came from (resume, index pages).

Written only by the parent process, with :mod:`json`, atomically. A manifest that cannot be read
or has the wrong shape is set aside (``manifest.corrupt-<time>.json``) and rebuilt from the
reports on disk, so reports outside the current selection stay in the index.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from zaitaku.files.atomic import write_text

MANIFEST_FORMAT = 1
_TITLE = re.compile(r"<title>(.*?)</title>", re.S | re.I)
_DIR = re.compile(r"(\d{2})_(.+)")


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).astimezone().isoformat(timespec="seconds")


def _valid(data: Any) -> bool:
    return (isinstance(data, dict) and isinstance(data.get("reports"), dict)
            and all(isinstance(k, str) and isinstance(v, dict) for k, v in data["reports"].items()))


class Manifest:
    """Per report (key: HTML path relative to ``reports/<year>``) its entry; see the module docstring."""

    def __init__(self, path: Path, survey_year: str, *, stream=None):
        self.path = Path(path)
        self.survey_year = survey_year
        self.reports: dict[str, dict[str, Any]] = {}
        self.recovered = 0
        self._dirty = False
        self._last_save = 0.0
        self._cost = 0.0
        if not self.path.exists():
            return
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            problem = "" if _valid(data) else f"JSON の形が違います（{type(data).__name__}）"
        except (OSError, ValueError) as exc:
            problem = f"読めません（{exc}）"
        if not problem:
            self.reports = dict(data["reports"])
            return
        backup = self.path.with_name(f"manifest.corrupt-{time.time_ns()}.json")
        self.path.replace(backup)
        self.recovered = self.rebuild_from_disk()
        print(f"zaitaku render: {self.path} が{problem}。{backup.name} に退避し、ディスク上の "
              f"{self.recovered} 件のレポートから作り直しました", file=stream or sys.stderr)
        self._dirty = True

    def rebuild_from_disk(self) -> int:
        """Entries for the reports found under the manifest's folder (``<pref>/<scope>/<group>.html``)."""
        out_year = self.path.parent
        names = _registry_kana()
        n = 0
        for html in sorted(out_year.glob("*/*/*.html")):
            pref_dir, scope_dir = html.parent.parent.name, html.parent.name
            m = _DIR.fullmatch(pref_dir)
            if html.name == "index.html" or not m:
                continue
            code, _, name = scope_dir.partition("_")
            if scope_dir == "prefecture":
                code, name = "", ""
            elif not (code.isdigit() and len(code) == 6):
                continue
            head = html.read_text(encoding="utf-8", errors="replace")[:4000]
            title = _TITLE.search(head)
            key = html.relative_to(out_year).as_posix()
            self.reports[key] = {
                "status": "ok", "hash": "", "parts": {}, "recovered": True, "group": html.stem,
                "pref_code": m.group(1), "prefecture": m.group(2), "code": code, "name": name,
                "kana": names.get(code, ""), "title": title.group(1).strip() if title else "",
            }
            n += 1
        return n

    def reason(self, key: str, ihash: str, parts: Mapping[str, str], out_year: Path) -> str:
        """Why the report must be rendered ("" = up to date)."""
        entry = self.reports.get(key)
        if entry is None:
            return "new"
        if entry.get("recovered"):
            return "manifest rebuilt"
        if entry.get("status") != "ok":
            return "failed before"
        if not (out_year / key).is_file():
            return "HTML missing"
        if entry.get("hash") == ihash:
            return ""
        old = entry.get("parts", {})
        changed = [k for k in parts if old.get(k) != parts[k]]
        return (", ".join(changed) + " changed") if changed else "changed"

    def set(self, key: str, entry: dict[str, Any]) -> None:
        self.reports[key] = entry
        self._dirty = True

    def save(self, *, every: float = 0.0) -> None:
        """Write atomically; with ``every``, at most that often (and at most ~5% of the time)."""
        if not self._dirty or time.monotonic() - self._last_save < max(every, 20 * self._cost):
            return
        t0 = time.perf_counter()
        data = {"format": MANIFEST_FORMAT, "survey_year": self.survey_year, "updated": now(),
                "reports": dict(sorted(self.reports.items()))}
        write_text(self.path, json.dumps(data, ensure_ascii=False, indent=1) + "\n")
        self._dirty = False
        self._last_save = time.monotonic()
        self._cost = time.perf_counter() - t0


def _registry_kana() -> dict[str, str]:
    try:
        from zaitaku.reference.municipalities import load_registry

        reg = load_registry()
        return dict(zip(reg["code"].astype(str), reg.get("kana", reg["name"]).astype(str), strict=False))
    except Exception:
        return {}

"""What to render: scopes (a municipality, or a whole prefecture) and the notebooks of the groups.

Every name that becomes part of a path is checked here: survey years against the codebooks,
groups against the notebooks folder.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

DEFAULT_GROUPS = ("partnerships", "pdca_indicators", "four_scenes", "prefectural_support")
DEFAULT_PREFECTURE = "島根県"
PREFECTURE_DIR = "prefecture"
_PLAIN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")


class SelectionError(ValueError):
    """A selection that cannot be rendered (message in Japanese, shown without a traceback)."""


@dataclass(frozen=True, order=True)
class Scope:
    """A municipality, or a whole prefecture (``code == ""``, prefecture mode)."""

    pref_code: str
    prefecture: str
    code: str = ""
    name: str = ""
    kana: str = ""

    @property
    def is_prefecture(self) -> bool:
        return not self.code

    @property
    def pref_dir(self) -> str:
        return f"{self.pref_code}_{safe_name(self.prefecture)}"

    @property
    def dir(self) -> str:
        return PREFECTURE_DIR if self.is_prefecture else f"{self.code}_{safe_name(self.name)}"

    @property
    def rel_dir(self) -> str:
        return f"{self.pref_dir}/{self.dir}"

    @property
    def label(self) -> str:
        return f"{self.code} {self.name}" if self.code else f"{self.prefecture}（都道府県全体）"

    def sort_key(self) -> tuple:
        return (self.pref_code, self.is_prefecture, self.code)


def safe_name(name: str) -> str:
    """A name usable as one path component (separators, wildcards, blanks and dot-names replaced)."""
    bad = '/\\:*?"<>|'
    out = "".join("_" if (c in bad or c.isspace()) else c for c in str(name))
    return "_" if out in ("", ".", "..") else out


def check_year(survey_year: str) -> str:
    """The survey year if a codebook exists for it (``R3`` → ``zaitaku/reference/codebooks/r3.yaml``)."""
    from zaitaku.paths import CODEBOOK_DIR

    known = sorted(p.stem.upper() for p in CODEBOOK_DIR.glob("*.yaml"))
    if not _PLAIN_NAME.fullmatch(survey_year or "") or survey_year.upper() not in known:
        raise SelectionError(f"調査年度 {survey_year!r} のコードブックがありません（あるもの: {', '.join(known) or 'なし'}）")
    return survey_year


def scopes_from_registry(prefectures: Sequence[str] = (), municipalities: Sequence[str] = (),
                         all_: bool = False, prefecture_mode: bool = True) -> list[Scope]:
    """Resolve the CLI selection with :mod:`zaitaku.reference.municipalities` (default: the demo prefecture)."""
    from zaitaku.reference import municipalities as reg

    registry = reg.load_registry()
    pref_codes: list[str] = []
    if all_:
        pref_codes += sorted(registry["pref_code"].astype(str).unique())
    pref_codes += [reg.normalize_prefecture(p) for p in prefectures]
    if not pref_codes and not municipalities:
        pref_codes.append(reg.normalize_prefecture(DEFAULT_PREFECTURE))
    scopes: list[Scope] = []
    for pc in dict.fromkeys(pref_codes):
        pname = reg.prefecture_name(pc)
        for row in reg.municipalities_in(pc).itertuples(index=False):
            scopes.append(Scope(pc, pname, str(row.code), str(row.name), str(getattr(row, "kana", "") or "")))
        if prefecture_mode:
            scopes.append(Scope(pc, pname))
    if municipalities:
        by_code = registry.set_index("code")
        for value in municipalities:
            code = reg.resolve(value)
            row = by_code.loc[code]
            scopes.append(Scope(str(row["pref_code"]), str(row["prefecture"]), code, str(row["name"]),
                                str(row.get("kana", "") or "")))
    return sorted(dict.fromkeys(scopes), key=Scope.sort_key)


def find_notebooks(groups: Sequence[str] | None, notebooks_dir: Path) -> dict[str, Path]:
    """group -> notebook path (``<notebooks_dir>/<group>.ipynb``); unknown or unsafe names refused."""
    notebooks_dir = Path(notebooks_dir)
    groups = list(groups or DEFAULT_GROUPS)
    out: dict[str, Path] = {}
    missing = []
    for g in groups:
        p = notebooks_dir / f"{g}.ipynb"
        if _PLAIN_NAME.fullmatch(g) and p.is_file():
            out[g] = p.resolve()
        else:
            missing.append(g)
    if missing:
        have = ", ".join(sorted(p.stem for p in notebooks_dir.glob("*.ipynb"))) or "なし"
        raise SelectionError(f"グループ {', '.join(map(repr, missing))} のノートブックが {notebooks_dir} にありません"
                             f"（あるもの: {have}）")
    return out

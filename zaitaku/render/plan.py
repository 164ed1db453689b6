"""The plan: one job per scope × group, with its parameters, footer and why it must be rendered."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zaitaku.paths import PROJ_ROOT
from zaitaku.render.fingerprint import InputHasher
from zaitaku.render.jobs import Job
from zaitaku.render.manifest import Manifest
from zaitaku.render.scope import Scope

# set by the renderer for every report; ``-p`` cannot change them
RESERVED_PARAMETERS = ("municipality_code", "prefecture", "survey_year", "data_dir", "national", "figures_csv")


class ReservedParameterError(ValueError):
    pass


def check_parameters(params: Mapping[str, Any] | None) -> dict[str, Any]:
    """Extra notebook parameters, refusing the ones the renderer sets itself."""
    params = dict(params or {})
    taken = [k for k in params if k in RESERVED_PARAMETERS]
    if taken:
        raise ReservedParameterError(
            f"パラメータ {', '.join(taken)} はレンダラーが設定するため -p では変更できません"
            "（対象は --municipality / --prefecture、年度は --year、データは --data-dir で選びます）")
    return params


@dataclass
class Planned:
    job: Job
    scope: Scope
    parts: dict[str, str]
    reason: str  # "" = up to date


def codebook_version(survey_year: str) -> str:
    try:
        from zaitaku.reference.codebook import load_codebook

        return load_codebook(survey_year).version
    except Exception:
        return "–"


def kernel_cwd(notebooks: Mapping[str, Path]) -> Path:
    """Kernels start in the notebooks' folder, as JupyterLab runs them (relative paths agree)."""
    parents = {Path(p).resolve().parent for p in notebooks.values()}
    return parents.pop() if len(parents) == 1 else PROJ_ROOT


def plan(scopes: Sequence[Scope], notebooks: Mapping[str, Path], *, survey_year: str, data_dir: Path,
         national: str, manifest: Manifest, out_year: Path, hasher: InputHasher,
         force: bool = False, params: Mapping[str, Any] | None = None,
         params_for: Callable[[Scope, str], Mapping[str, Any]] | None = None) -> list[Planned]:
    from zaitaku import __version__

    extra = check_parameters(params)
    data_dir = Path(data_dir).resolve()
    cwd = kernel_cwd(notebooks)
    # as the notebooks name it when opened in JupyterLab (e.g. "../data/processed"); absolute elsewhere
    inside = data_dir.is_relative_to(PROJ_ROOT) and cwd.is_relative_to(PROJ_ROOT)
    data_param = os.path.relpath(data_dir, cwd) if inside else str(data_dir)
    cb_version = codebook_version(survey_year)
    planned: list[Planned] = []
    for scope in scopes:
        for group, nb_path in notebooks.items():
            p: dict[str, Any] = dict(extra)
            if params_for is not None:
                p.update(check_parameters(params_for(scope, group)))
            p.update({
                "municipality_code": scope.code,
                "prefecture": scope.pref_code if scope.is_prefecture else "",
                "survey_year": survey_year,
                "data_dir": data_param,
                "national": national,
            })
            parts = hasher.parts(group, p)
            ihash = InputHasher.combine(parts)
            key = f"{scope.rel_dir}/{group}.html"
            footer = (
                ("調査年度", survey_year),
                ("対象", scope.label),
                ("全国値", national),
                ("データ", parts["data"][:12]),
                ("コードブック", cb_version),
                ("zaitaku", __version__),
                ("ノートブック", f"{nb_path.name} ({parts['notebook'][:12]})"),
                ("入力ハッシュ", ihash[:16]),
            )
            job = Job(key=key, group=group, notebook=str(nb_path), parameters=p, code=scope.code,
                      name=scope.name, pref_code=scope.pref_code, prefecture=scope.prefecture,
                      input_hash=ihash, footer=footer)
            reason = "forced" if force else manifest.reason(key, ihash, parts, out_year)
            planned.append(Planned(job, scope, parts, reason))
    return planned


def chunked(planned: Sequence[Planned], chunk_size: int) -> list[list[Job]]:
    """Chunks of whole scopes (all groups of a municipality stay together)."""
    by_scope: dict[Scope, list[Job]] = {}
    for p in planned:
        by_scope.setdefault(p.scope, []).append(p.job)
    scopes = list(by_scope)
    return [
        [j for s in scopes[i: i + chunk_size] for j in by_scope[s]]
        for i in range(0, len(scopes), max(1, chunk_size))
    ]


def auto_chunk_size(n_scopes: int, workers: int) -> int:
    """About four chunks per worker (load balance), at most 8 municipalities each."""
    return max(1, min(8, -(-n_scopes // max(1, workers * 4))))

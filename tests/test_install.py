"""Reproducible installs: pyproject.toml's ranges have upper bounds, requirements.lock pins every
distribution with hashes and fits those ranges, environment.yml lists every dependency with the same range."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import Version

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: the backport (dev extra)
    import tomli as tomllib

PROJECT = Path(__file__).resolve().parents[1]


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirements() -> list[Requirement]:
    project = tomllib.loads((PROJECT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return [Requirement(r) for r in (*project["dependencies"], *project["optional-dependencies"]["dev"])]


def _lock() -> dict[str, list[tuple[Version, Marker | None, int]]]:
    """Distribution -> [(pinned version, environment marker, number of hashes)] from requirements.lock."""
    text = (PROJECT / "requirements.lock").read_text(encoding="utf-8")
    pins: dict[str, list[tuple[Version, Marker | None, int]]] = {}
    for entry in re.split(r"\n(?=[A-Za-z0-9])", text):
        if not entry.strip() or entry.startswith("#"):
            continue
        head = entry.split("\\\n")[0].strip()
        m = re.fullmatch(r"([A-Za-z0-9_.-]+)==([^ ;]+)(?:\s*;\s*(.+))?", head)
        assert m, f"requirements.lock: not an exact pin: {head!r}"
        marker = Marker(m.group(3)) if m.group(3) else None
        pins.setdefault(_norm(m.group(1)), []).append((Version(m.group(2)), marker, entry.count("--hash=sha256:")))
    return pins


def test_every_dependency_has_a_compatible_range_with_an_upper_bound():
    for req in _requirements():
        ops = {spec.operator for spec in req.specifier}
        assert ">=" in ops and "<" in ops, f"pyproject.toml: {req} needs a lower and an upper bound (>=x,<y)"


def test_lock_pins_every_dependency_with_hashes_within_its_range():
    pins = _lock()
    assert all(n > 0 for entries in pins.values() for _, _, n in entries), "every pin carries --hash"
    for req in _requirements():
        if req.marker is not None and not req.marker.evaluate({"extra": "dev"}):
            continue  # e.g. tomli on Python 3.10 only
        entries = pins.get(_norm(req.name))
        assert entries, f"requirements.lock lacks {req.name}: run `make lock`"
        here = [v for v, marker, _ in entries if marker is None or marker.evaluate()]
        assert len(here) == 1, f"requirements.lock: {req.name} pinned {len(here)} times for this Python"
        assert here[0] in req.specifier, f"requirements.lock: {req.name}=={here[0]} outside {req.specifier}: run `make lock`"
        for extra in req.extras:  # dask[distributed]
            assert _norm(extra) in pins, f"requirements.lock lacks {extra}"


def test_this_environment_runs_the_locked_versions():
    """`make venv` installed the lock: what is imported here is what the lock says."""
    from importlib.metadata import PackageNotFoundError, version

    for name, entries in _lock().items():
        here = [v for v, marker, _ in entries if marker is None or marker.evaluate()]
        if not here:
            continue
        try:
            installed = Version(version(name))
        except PackageNotFoundError:
            continue  # a platform's extra (e.g. pywin32) or not installed in this interpreter
        assert installed == here[0], f"{name} {installed} installed, {here[0]} locked: run `make venv`"


def test_environment_yml_lists_every_dependency_with_the_same_range():
    listed: dict[str, SpecifierSet] = {}
    for line in (PROJECT / "environment.yml").read_text(encoding="utf-8").splitlines():
        m = re.fullmatch(r"\s*-\s+([A-Za-z][A-Za-z0-9_.-]*)([<>=!].*)?", line)
        if m:
            listed[_norm(m.group(1))] = SpecifierSet(m.group(2) or "")
    for req in _requirements():
        names = [req.name, *req.extras]  # dask[distributed]: dask and distributed on conda-forge
        for name in names:
            assert _norm(name) in listed, f"environment.yml lacks {name}"
            assert listed[_norm(name)] == req.specifier, (
                f"environment.yml: {name}{listed[_norm(name)]} but pyproject.toml says {req.specifier}"
            )

"""Shared fixtures: the synthetic demo export and its processed data, built once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import fixture_module
from zaitaku.demo.generate import DEFAULT_SEED, generate, write_demo
from zaitaku.ingest.pipeline import ingest, write_outputs


@pytest.fixture(scope="session")
def demo_survey():
    """The generator's truth (answers per municipality) for the default seed."""
    return generate(DEFAULT_SEED)


@pytest.fixture(scope="session")
def demo_raw(tmp_path_factory) -> Path:
    """A folder with demo_r3.xlsx, demo_r3_cp932.csv and README.md (synthetic)."""
    out = tmp_path_factory.mktemp("raw_demo")
    write_demo(out, DEFAULT_SEED)
    return out


@pytest.fixture(scope="session")
def demo_result(demo_raw):
    return ingest([demo_raw / "demo_r3.xlsx"])


@pytest.fixture(scope="session")
def processed_dir(demo_result, tmp_path_factory) -> Path:
    """data/processed as `make demo` writes it, in a temporary folder."""
    out = tmp_path_factory.mktemp("processed")
    write_outputs(demo_result, out)
    return out


@pytest.fixture(scope="session")
def two_years_dir(tmp_path_factory) -> Path:
    """The hand-built two-year set of tests/fixtures/two_years.py (島根県, 令和3年度 and 令和4年度; synthetic)."""
    return fixture_module("two_years.py").write_two_years(tmp_path_factory.mktemp("two_years"))

"""Helpers the test modules share: the fixture generators loaded by path, the command line run in-process, and
reading the demo export's two header rows independently of the reader.

The generators under tests/fixtures are plain files, not a package, and never import the code under test;
:func:`fixture_module` loads one once per session (``gen = fixture_module("forms/generate.py")``).
:func:`cli` runs ``zaitaku.cli.main`` as ``zaitaku ARGS…`` would and returns its exit status and what it printed.
:func:`ingest_process` starts ``zaitaku ingest`` as a child process; :func:`kill_ingest_at` kills one with SIGKILL
at a step of its write (crash tests). :func:`tops` is the demo export's top header row with its merged cells filled.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import os
import signal
import subprocess
import sys
from functools import cache
from pathlib import Path
from types import ModuleType

import pandas as pd
import pytest

from zaitaku.analysis.processed import PAUSE_ENV
from zaitaku.cli import main

PROJECT = Path(__file__).resolve().parents[1]
FIXTURES = PROJECT / "tests" / "fixtures"


@cache
def fixture_module(relative: str) -> ModuleType:
    """The module at tests/fixtures/``relative`` (e.g. ``prefecture/build.py``), executed once."""
    path = FIXTURES / relative
    name = "fixture_" + "_".join(path.relative_to(FIXTURES).with_suffix("").parts)
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"no fixture module at {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def cli(*args: object) -> tuple[int, str, str]:
    """``zaitaku ARGS…`` in this process: (exit status, stdout, stderr); arguments may be paths."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main([str(a) for a in args])
    return rc, out.getvalue(), err.getvalue()


def cli_text(*args: object) -> tuple[int, str]:
    """As :func:`cli`, with everything printed in one text (stdout, then stderr)."""
    rc, out, err = cli(*args)
    return rc, out + err


def ingest_process(*args: object, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """``zaitaku ingest ARGS…`` started in a child process (this checkout's code), its stderr a text pipe."""
    return subprocess.Popen([sys.executable, "-m", "zaitaku.cli", "ingest", *(str(a) for a in args)],
                            env=dict(os.environ, **(env or {}), PYTHONPATH=str(PROJECT)),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def kill_ingest_at(step: int, *args: object) -> None:
    """``zaitaku ingest ARGS…`` in a child process, killed with SIGKILL once it says it reached write ``step``
    (it pauses there, see ``PAUSE_ENV``); fails the test if it never does."""
    proc = ingest_process(*args, env={PAUSE_ENV: f"60@{step}"})
    assert proc.stderr is not None
    try:
        for line in proc.stderr:
            if line.startswith(f"ZAITAKU_INGEST_STEP {step} "):
                break
        else:
            pytest.fail(f"step {step} never reached")
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
        proc.stderr.close()


def tops(grid: pd.DataFrame) -> list[str]:
    """The top header row of a grid read with ``header=None``, merged (blank) cells filled from the left."""
    out, last = [], ""
    for t in grid.iloc[0]:
        last = t or last
        out.append(last)
    return out

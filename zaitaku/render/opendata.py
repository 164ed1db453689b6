"""``zaitaku render``: the open-data workbooks of a batch (:mod:`zaitaku.report.opendata`).

One ``R3_<都道府県>_集計.xlsx`` beside the index page of every prefecture rendered in prefecture mode,
and ``R3_全国_集計.xlsx`` beside the top index when the batch covers every prefecture (``--all``).
A workbook is rewritten when the data, the national mode or zaitaku changed (``.opendata.md5`` beside
it) or with ``force``; one that fails is reported and does not stop the others.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Sequence
from pathlib import Path

from zaitaku.files.atomic import write_text
from zaitaku.render.scope import Scope

PREFECTURES = 47


def _digest(data, national: str) -> str:
    from zaitaku import __version__

    text = "\n".join([data.data_hash, national, data.codebook.version, __version__])
    return hashlib.md5(text.encode()).hexdigest()


def write_batch_opendata(scopes: Sequence[Scope], out_year: Path, data_dir: Path, national: str, *,
                         force: bool = False, stream=None) -> tuple[list[Path], list[str]]:
    """Write the workbooks of the batch's prefectures (and the nation when all are in it).

    Returns the paths written and the names of the workbooks that failed (each printed with its reason;
    the batch's exit code counts them)."""
    from zaitaku.analysis.processed import load_processed
    from zaitaku.report.opendata import opendata_dir, workbook_filename, write_opendata

    prefs = sorted({(s.pref_code, s.prefecture) for s in scopes if s.is_prefecture})
    nation = len(prefs) >= PREFECTURES
    if not prefs:
        return [], []
    data = load_processed(data_dir, out_year.name)  # the batch's survey year
    digest = _digest(data, national)
    written: list[Path] = []
    failed: list[str] = []
    targets = [*prefs, *([(None, None)] if nation else [])]
    for code, name in targets:
        folder = opendata_dir(out_year, code, name)
        stamp = folder / f".opendata-{code or 'nation'}.md5"
        target = folder / workbook_filename(data.codebook.survey_year, name)
        if not force and target.is_file() and stamp.is_file() and stamp.read_text() == digest:
            continue
        paths = write_opendata(data, out_year.parent, [name] if name else [], nation=name is None,
                               national=national, stream=stream or sys.stderr)
        if paths:
            write_text(stamp, digest)
        else:
            failed.append(name or "全国")
        written += paths
    return written, failed

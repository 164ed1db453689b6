"""Render the reports (HTML, and slide decks with --formats pptx) for municipalities and prefectures.

``zaitaku render [--prefecture P ...] [--municipality CODE ...] [--all] [--out reports] ...``; see
:mod:`zaitaku.render.batch` for what is written where. Expected errors (bad selection, reserved
parameter, data that cannot be loaded, a render already running) print one line to stderr and
exit 2, without a traceback.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any

from zaitaku.analysis.aggregate import NATIONAL_CHOICES
from zaitaku.paths import NOTEBOOKS_DIR, PROCESSED_DATA_DIR, REPORTS_DIR
from zaitaku.reference.codebook_source import add_codebook_argument, apply_codebook_argument
from zaitaku.render.scope import DEFAULT_GROUPS

FORMATS = ("html", "pptx")


def _param(text: str) -> tuple[str, Any]:
    key, sep, value = text.partition("=")
    if not sep or not key.isidentifier():
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    try:
        return key, json.loads(value)
    except ValueError:
        return key, value


def _formats(text: str) -> tuple[str, ...]:
    out = tuple(dict.fromkeys(f.strip().lower() for f in text.split(",") if f.strip()))
    bad = [f for f in out if f not in FORMATS]
    if bad or "html" not in out:
        raise argparse.ArgumentTypeError(f"formats: html, or html,pptx (got {text!r})")
    return out



def configure_parser(parser: argparse.ArgumentParser) -> None:
    sel = parser.add_argument_group("selection (default: the demo prefecture 島根県)")
    sel.add_argument("--prefecture", action="extend", nargs="+", default=[], metavar="PREF",
                     help="prefecture name or 2-digit code: all its municipalities and the prefecture-mode reports")
    sel.add_argument("--municipality", action="extend", nargs="+", default=[], metavar="CODE",
                     help="municipality code (or name) to render")
    sel.add_argument("--all", action="store_true", help="every municipality and prefecture")
    sel.add_argument("--no-prefecture-mode", action="store_true",
                     help="skip the prefecture-mode reports of the selected prefectures")
    sel.add_argument("--groups", default=",".join(DEFAULT_GROUPS),
                     help="comma-separated question groups (notebooks/<group>.ipynb); default: all four")
    parser.add_argument("--year", default="R3", help="survey year, one with a codebook (default R3)")
    add_codebook_argument(parser)
    parser.add_argument("--formats", type=_formats, default=("html",), metavar="html[,pptx]",
                        help="html (default); html,pptx also writes a slide deck per municipality/prefecture")
    parser.add_argument("--workers", type=int, default=None, help="local worker processes (default: one per core)")
    parser.add_argument("--scheduler", default=None, metavar="ADDRESS",
                        help="run on an existing Dask distributed scheduler, e.g. tcp://host:8786")
    parser.add_argument("--out", type=Path, default=REPORTS_DIR, help="reports folder (default reports/)")
    parser.add_argument("--data-dir", type=Path, default=PROCESSED_DATA_DIR, help="processed data (default data/processed)")
    parser.add_argument("--national", choices=NATIONAL_CHOICES, default="auto",
                        help="national figures: auto (computed when the data covers the nation, else the published "
                             "figure, else none; default), computed, or published")
    parser.add_argument("--notebooks", type=Path, default=NOTEBOOKS_DIR, help="notebooks folder (default notebooks/)")
    parser.add_argument("--force", action="store_true", help="re-render reports whose inputs did not change")
    parser.add_argument("--cell-timeout", type=float, default=300.0, metavar="S",
                        help="seconds a single cell may run (default 300; 0 = no limit)")
    parser.add_argument("--chunk-size", type=int, default=None, metavar="N",
                        help="municipalities per chunk (default: about four chunks per worker, at most 8)")
    parser.add_argument("--kernel", default="python3", help="Jupyter kernel name (default python3)")
    parser.add_argument("-p", "--param", type=_param, action="append", default=[], metavar="NAME=VALUE",
                        help="extra notebook parameter for every report (VALUE parsed as JSON if it can be); "
                             "municipality_code, prefecture, survey_year, data_dir, national are refused")
    parser.add_argument("--dry-run", action="store_true", help="list what would be rendered and why")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def _fail(message: str) -> int:
    print(f"zaitaku render: {message}", file=sys.stderr)
    return 2


def run(args: argparse.Namespace) -> int:
    if apply_codebook_argument(args, "render"):
        return 2
    from zaitaku.render.batch import RenderError, print_summary, render_batch
    from zaitaku.render.data import DataError
    from zaitaku.render.decks import DeckWriterMissing
    from zaitaku.render.plan import ReservedParameterError, check_parameters
    from zaitaku.render.scope import (
        SelectionError,
        check_year,
        find_notebooks,
        scopes_from_registry,
    )
    from zaitaku.render.timing import TimingReportError

    try:
        check_year(args.year)
        params = check_parameters(dict(args.param))
        notebooks = find_notebooks([g.strip() for g in args.groups.split(",") if g.strip()], args.notebooks)
        scopes = scopes_from_registry(args.prefecture, args.municipality, args.all,
                                      prefecture_mode=not args.no_prefecture_mode)
    except (SelectionError, ReservedParameterError, KeyError, LookupError, ValueError) as exc:
        return _fail(str(exc).strip("'\""))
    try:
        summary = render_batch(
            scopes, notebooks=notebooks, survey_year=args.year, out=args.out, data_dir=args.data_dir,
            national=args.national, workers=args.workers, scheduler=args.scheduler, force=args.force,
            cell_timeout=args.cell_timeout, chunk_size=args.chunk_size, kernel_name=args.kernel,
            params=params, progress=False if args.quiet else None, dry_run=args.dry_run,
            timing_notebooks=Path(args.notebooks), formats=args.formats,
        )
    except (RenderError, DataError, DeckWriterMissing, TimingReportError, ReservedParameterError) as exc:
        return _fail(str(exc))
    except KeyboardInterrupt:
        logging.getLogger("asyncio").setLevel(logging.CRITICAL)  # no "Task exception was never retrieved"
        return _fail("中断しました。終わったレポートは記録済みです。もう一度実行すると続きから作ります")
    if not args.dry_run:
        print_summary(summary)
    return 0 if summary.ok else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="zaitaku render", description=(__doc__ or "").splitlines()[0])
    configure_parser(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())

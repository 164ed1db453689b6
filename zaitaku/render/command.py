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
import re
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
        raise argparse.ArgumentTypeError(f"NAME=VALUE の形で書いてください（{text!r}）")
    try:
        return key, json.loads(value)
    except ValueError:
        return key, value


def _formats(text: str) -> tuple[str, ...]:
    out = tuple(dict.fromkeys(f.strip().lower() for f in text.split(",") if f.strip()))
    bad = [f for f in out if f not in FORMATS]
    if bad or "html" not in out:
        raise argparse.ArgumentTypeError(f"html または html,pptx と書いてください（{text!r}）")
    return out



def configure_parser(parser: argparse.ArgumentParser) -> None:
    sel = parser.add_argument_group("対象（省略時はデモの県 島根県）")
    sel.add_argument("--prefecture", action="extend", nargs="+", default=[], metavar="PREF",
                     help="都道府県名または 2 桁のコード：その県の全市区町村と、県全体の報告書")
    sel.add_argument("--municipality", action="extend", nargs="+", default=[], metavar="CODE",
                     help="市区町村コード（または名前）")
    sel.add_argument("--all", action="store_true", help="全市区町村と全都道府県")
    sel.add_argument("--no-prefecture-mode", action="store_true", help="県全体の報告書は作らない")
    sel.add_argument("--groups", default=",".join(DEFAULT_GROUPS),
                     help="設問グループ（notebooks/<group>.ipynb）をカンマ区切りで。既定: 4 つすべて")
    parser.add_argument("--year", default="R3", help="調査年度（コードブックのある年度。既定 R3）")
    add_codebook_argument(parser)
    parser.add_argument("--formats", type=_formats, default=("html",), metavar="html[,pptx]",
                        help="html（既定）。html,pptx で市区町村・県ごとのスライド資料も作る")
    parser.add_argument("--closing", type=Path, default=None, metavar="T.txt.j2",
                        help="スライド資料の結びのページのテンプレート（zaitaku deck --closing と同じ）")
    parser.add_argument("--workers", type=int, default=None,
                        help="並行して動かすワーカーの数（既定: CPU コアの数）")
    parser.add_argument("--scheduler", default=None, metavar="ADDRESS",
                        help="動いている Dask distributed のスケジューラで実行する（例 tcp://host:8786）")
    parser.add_argument("--out", type=Path, default=REPORTS_DIR, help="報告書のフォルダ（既定 reports/）")
    parser.add_argument("--data-dir", type=Path, default=PROCESSED_DATA_DIR,
                        help="処理済みデータのフォルダ（既定 data/processed）")
    parser.add_argument("--national", choices=NATIONAL_CHOICES, default="auto",
                        help="全国の値: auto（既定。データが全国をカバーすれば計算値、なければ公表値、"
                             "それもなければ出さない）、computed（手元データ）、published（公表値）")
    parser.add_argument("--notebooks", type=Path, default=NOTEBOOKS_DIR,
                        help="ノートブックのフォルダ（既定 notebooks/）")
    parser.add_argument("--force", action="store_true", help="入力が変わっていない報告書も作り直す")
    parser.add_argument("--cell-timeout", type=float, default=300.0, metavar="S",
                        help="1 つのセルが動いてよい秒数（既定 300。0 で無制限）")
    parser.add_argument("--chunk-size", type=int, default=None, metavar="N",
                        help="ひとまとまりで渡す市区町村の数（既定: ワーカーあたり約 4 まとまり、最大 8）")
    parser.add_argument("--kernel", default="python3", help="Jupyter カーネルの名前（既定 python3）")
    parser.add_argument("-p", "--param", type=_param, action="append", default=[], metavar="NAME=VALUE",
                        help="全報告書に渡すノートブックのパラメータ（VALUE は JSON として読めればその値）。"
                             "municipality_code, prefecture, survey_year, data_dir, national は指定できない")
    parser.add_argument("--dry-run", action="store_true", help="作るもの（とその理由）を表示するだけで実行しない")
    parser.add_argument("--quiet", action="store_true", help="進み具合を表示しない")


_CODE_ERRORS = [  # zaitaku.reference.municipalities.codes' messages not covered by ingest.parse.japanese
    (re.compile(r"prefecture part is not 01–47 whether read as 5 or 6 digits"), "都道府県の部分（先頭 2 桁）が 01〜47 になりません"),
    (re.compile(r"prefecture part (\d+) is not 01–47"), r"都道府県の部分（先頭 2 桁）\1 が 01〜47 ではありません"),
    (re.compile(r"a code has 5 or 6 digits, not (\d+)"), r"市区町村コードは 5 桁か 6 桁です（\1 桁）"),
    (re.compile(r"a code has only digits.*"), "市区町村コードは数字で書きます"),
    (re.compile(r"a code has at most 6 digits.*"), "市区町村コードは 6 桁までです"),
]


def selection_message(exc: Exception) -> str:
    """A selection error for staff: the registry's English messages in Japanese (see ingest.parse.japanese),
    with the value as given."""
    from zaitaku.ingest.parse import japanese

    text = str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)
    value, sep, rest = text.partition(": ")
    value = value.strip(chr(39))
    ja = japanese(ValueError(text))
    if ja != text:
        return ja if not sep or value in ja else f"{value}: {ja}"
    for pattern, repl in _CODE_ERRORS:
        if sep and pattern.fullmatch(rest):
            return f"{value}: {pattern.sub(repl, rest)}"
    return f"指定が正しくありません: {text}" if text.isascii() else text


def _fail(message: str) -> int:
    print(f"zaitaku render: {message}", file=sys.stderr)
    return 2


def run(args: argparse.Namespace) -> int:
    if apply_codebook_argument(args, "render"):
        return 2
    from zaitaku.render.batch import RenderError, print_summary, render_batch
    from zaitaku.render.data import DataError
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
        return _fail(selection_message(exc))
    try:
        summary = render_batch(
            scopes, notebooks=notebooks, survey_year=args.year, out=args.out, data_dir=args.data_dir,
            national=args.national, workers=args.workers, scheduler=args.scheduler, force=args.force,
            cell_timeout=args.cell_timeout, chunk_size=args.chunk_size, kernel_name=args.kernel,
            params=params, progress=False if args.quiet else None, dry_run=args.dry_run,
            timing_notebooks=Path(args.notebooks), formats=args.formats, deck_closing=args.closing,
        )
    except (RenderError, DataError, TimingReportError, ReservedParameterError) as exc:
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

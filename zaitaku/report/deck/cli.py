"""Write the prefecture's deck (PowerPoint, native charts) for a prefecture or one municipality.

::

    zaitaku deck --prefecture 島根県 --out decks/
    zaitaku deck --prefecture 島根県 --municipality 322016 --out decks/
    zaitaku deck --prefecture 島根県 --timing --closing my_closing.txt.j2 --out decks/
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from zaitaku.paths import PROCESSED_DATA_DIR
from zaitaku.reference.codebook_source import add_codebook_argument, apply_codebook_argument

NATIONAL = ("auto", "computed", "published")



def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--prefecture", required=True, help="都道府県名またはコード（例: 島根県, 32）")
    parser.add_argument("--municipality", default="", help="市町村コード（省略時は県全体の資料）")
    parser.add_argument("--year", default="R3", help="調査年度（既定 R3）")
    add_codebook_argument(parser)
    parser.add_argument("--national", choices=NATIONAL, default="auto",
                        help="全国の値: auto（既定）、computed（手元データ）、published（公表値）")
    parser.add_argument("--data-dir", type=Path, default=PROCESSED_DATA_DIR, help="処理済みデータのフォルダ")
    parser.add_argument("--closing", type=Path, default=None,
                        help="結びのページのテンプレート（既定: zaitaku/report/deck/templates/closing.txt.j2）")
    parser.add_argument("--contact", default="", help="結びのページに載せる連絡先")
    parser.add_argument("--timing", action="store_true", help="実施時期の表（参考）のスライドを末尾に加える")
    parser.add_argument("--out", type=Path, required=True, help="出力フォルダ")


def run(args: argparse.Namespace) -> int:
    from zaitaku.analysis.aggregate import focus_of, load_processed
    from zaitaku.analysis.processed import ProcessedDataError
    from zaitaku.reference.municipalities import normalize_prefecture
    from zaitaku.report.deck.build import write_deck

    started = time.perf_counter()
    if apply_codebook_argument(args, "deck"):
        return 2
    try:
        data = load_processed(args.data_dir, args.year)
    except (FileNotFoundError, ProcessedDataError) as exc:
        print(f"エラー: {exc}", file=sys.stderr)
        return 2
    if data.codebook.survey_year != args.year:
        print(f"エラー: --year {args.year} ですが、処理済みデータ（{args.data_dir}）は "
              f"{data.codebook.survey_year} です。", file=sys.stderr)
        return 2
    try:
        focus = focus_of(data, args.municipality, args.prefecture)
        if focus.code and focus.pref_code != normalize_prefecture(args.prefecture):
            print(f"エラー: 市町村コード {args.municipality}（{focus.name}）は {args.prefecture} の市町村ではありません"
                  f"（{focus.pref_name}）。", file=sys.stderr)
            return 2
        path = write_deck(data, focus, args.out, args.national, closing_template=args.closing,
                          contact=args.contact, timing=args.timing)
    except (ValueError, KeyError, FileNotFoundError) as exc:
        print(f"エラー: {exc}", file=sys.stderr)
        return 2
    size = path.stat().st_size
    note = "（デモ用の架空データ）" if data.synthetic else ""
    print(f"wrote {path}  ({size / 1024:.0f} KiB, {time.perf_counter() - started:.1f} s){note}")
    return 0

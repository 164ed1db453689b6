"""The ``zaitaku`` command: one sub-command per step, each defined in its own module.

A command module exposes ``configure_parser(parser)`` and ``run(args) -> int``. Help, usage and argparse's
own errors are in Japanese (:class:`JapaneseParser`); options and identifiers stay English.
"""

from __future__ import annotations

import argparse
import importlib
import re
import sys
from typing import Any, NoReturn

# sub-command name -> (module that implements it, one line of help for staff)
COMMANDS: dict[str, tuple[str, str]] = {
    "demo": ("zaitaku.demo.generate", "全 1,741 市区町村のデモ用の架空データ（synthetic）の調査結果ファイルを書き出す"),
    "draft-map": ("zaitaku.ingest.draft_map", "県のファイルの列と設問の対応表（下書き）を作る：zaitaku draft-map 元ファイル... --out 対応表.csv"),
    "ingest": ("zaitaku.ingest.pipeline", "調査結果のファイルを届いたまま読み込み、確かめて、処理済みデータを書き出す"),
    "render": ("zaitaku.render.command", "市区町村・都道府県ごとの報告書（HTML）と、--formats html,pptx でスライド資料を作る"),
    "deck": ("zaitaku.report.deck.cli", "県または市区町村のスライド資料（PowerPoint、編集できるグラフ）を書き出す"),
    "codebook": ("zaitaku.reference.codebook_cli", "調査票からコードブック（設問・選択肢の定義）を下書き・確認・比較する（draft / check / diff）"),
}

_HEADINGS = {"positional arguments": "引数", "options": "オプション", "optional arguments": "オプション"}

_ERRORS = [  # argparse's own messages, as staff read them
    (re.compile(r"the following arguments are required: (.*)"), r"次の指定が必要です: \1"),
    (re.compile(r"unrecognized arguments: (.*)"), r"知らない指定です: \1"),
    (re.compile(r"argument (\S+): invalid choice: (.*?) \(choose from (.*)\)"), r"\1 に \2 は選べません（選べるもの: \3）"),
    (re.compile(r"argument (\S+): invalid (\w+) value: (.*)"), r"\1 の値 \3 が正しくありません（\2 が必要です）"),
    (re.compile(r"argument (\S+): expected one argument"), r"\1 の後に値を 1 つ書いてください"),
    (re.compile(r"argument (\S+): expected at least one argument"), r"\1 の後に値を 1 つ以上書いてください"),
    (re.compile(r"argument (\S+): not allowed with argument (\S+)"), r"\1 と \2 は一緒に指定できません"),
    (re.compile(r"argument (\S+): (.*)"), r"\1: \2"),
]


_TYPES = {"int": "整数", "float": "数値"}


def japanese_usage_error(message: str) -> str:
    """argparse's English error ``message`` in Japanese (as it is where no rule fits)."""
    for pattern, repl in _ERRORS:
        if pattern.fullmatch(message):
            text = pattern.sub(repl, message)
            return re.sub(r"（(int|float) が必要です）", lambda m: f"（{_TYPES[m.group(1)]}で書いてください）", text)
    return message


class JapaneseHelpFormatter(argparse.HelpFormatter):
    """argparse's help with Japanese headings and usage prefix."""

    def add_usage(self, usage: str | None, actions: Any, groups: Any, prefix: str | None = None) -> None:
        super().add_usage(usage, actions, groups, "使い方: " if prefix is None else prefix)

    def start_section(self, heading: str | None) -> None:
        super().start_section(_HEADINGS.get(heading or "", heading))


class JapaneseParser(argparse.ArgumentParser):
    """An ``ArgumentParser`` that speaks Japanese: help (``-h``), headings and usage errors (exit 2)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", JapaneseHelpFormatter)
        add_help = kwargs.get("add_help", True)
        kwargs["add_help"] = False
        super().__init__(*args, **kwargs)
        if add_help:
            self.add_argument("-h", "--help", action="help", default=argparse.SUPPRESS,
                              help="この説明を表示して終わる")

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: エラー: {japanese_usage_error(message)}\n"
                     f"（`{self.prog} --help` で指定のしかたを表示します）\n")


def build_parser() -> argparse.ArgumentParser:
    parser = JapaneseParser(
        prog="zaitaku",
        description="在宅医療・介護連携推進事業の実施状況調査（市町村票）から、市区町村ごとの報告書とスライド資料を作る。",
        epilog="各コマンドの説明: zaitaku <コマンド> --help（例: zaitaku render --help）")
    from zaitaku import __version__

    parser.add_argument("--version", action="version", version=f"zaitaku {__version__}",
                        help="バージョンを表示して終わる")
    sub = parser.add_subparsers(dest="command", required=True, title="コマンド", metavar="<コマンド>")
    for name, (module_name, doc) in COMMANDS.items():
        module = importlib.import_module(module_name)
        p = sub.add_parser(name, help=doc, description=doc)
        module.configure_parser(p)
        p.set_defaults(command_module=module)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.command_module.run(args) or 0)
    except OSError as exc:  # disk full, read-only folder, long name…: one Japanese line, exit 2
        from zaitaku.files.oserrors import os_error_line

        print(f"zaitaku {args.command}: {os_error_line(exc)}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

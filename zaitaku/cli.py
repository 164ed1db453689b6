"""The ``zaitaku`` command: one sub-command per step, each defined in its own module.

A command module exposes ``configure_parser(parser)`` and ``run(args) -> int``.
"""

from __future__ import annotations

import argparse
import importlib
import sys

# sub-command name -> module that implements it (help text is the module's first docstring line)
COMMANDS: dict[str, str] = {
    "codebook": "zaitaku.reference.codebook_cli",
    "deck": "zaitaku.report.deck.cli",
    "demo": "zaitaku.demo.generate",
    "draft-map": "zaitaku.ingest.draft_map",
    "ingest": "zaitaku.ingest.pipeline",
    "render": "zaitaku.render.command",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="zaitaku", description=__doc__.splitlines()[0])
    from zaitaku import __version__

    parser.add_argument("--version", action="version", version=f"zaitaku {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, module_name in COMMANDS.items():
        module = importlib.import_module(module_name)
        doc = (module.__doc__ or name).strip().splitlines()[0]
        p = sub.add_parser(name, help=doc, description=doc)
        module.configure_parser(p)
        p.set_defaults(_module=module)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args._module.run(args) or 0)


if __name__ == "__main__":
    sys.exit(main())

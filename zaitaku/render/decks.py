"""``zaitaku render --formats pptx``: a slide deck per scope beside its reports (``<scope>/*.pptx``).

The deck writer is :func:`zaitaku.report.deck.build.write_deck` (``zaitaku deck``), imported when
called. A scope's deck is rewritten when the input hashes of its reports changed (kept in
``<scope>/.deck.md5``) or with ``force``.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Sequence
from pathlib import Path

from zaitaku.files.atomic import write_text
from zaitaku.render.plan import Planned
from zaitaku.render.results import inside


class DeckWriterMissing(RuntimeError):
    pass


def deck_writer():
    try:
        from zaitaku.report.deck.build import write_deck
    except ImportError as exc:
        raise DeckWriterMissing(f"スライド資料（pptx）を書く zaitaku.report.deck がありません（{exc}）") from None
    return write_deck


def write_decks(planned: Sequence[Planned], out_year: Path, data_dir: Path, national: str, *,
                force: bool = False, stream=None) -> list[Path]:
    """Write the deck of every planned scope whose inputs changed; the paths written."""
    write_deck = deck_writer()
    from zaitaku.analysis.aggregate import focus_of
    from zaitaku.analysis.processed import load_processed

    data = load_processed(data_dir, out_year.name)  # out/<survey year>
    hashes: dict = {}
    for p in planned:
        hashes.setdefault(p.scope, []).append(p.job.input_hash)
    written: list[Path] = []
    for scope, parts in hashes.items():
        sdir = inside(out_year, scope.rel_dir)
        digest = hashlib.md5("\n".join(sorted(parts)).encode()).hexdigest()
        stamp = sdir / ".deck.md5"
        if not force and stamp.is_file() and stamp.read_text() == digest and any(sdir.glob("*.pptx")):
            continue
        try:
            focus = focus_of(data, scope.code, scope.pref_code)
            written.append(write_deck(data, focus, sdir, national))
            write_text(stamp, digest)
        except Exception as exc:
            print(f"zaitaku render: {scope.label} のスライド資料を作れませんでした: {type(exc).__name__}: {exc}",
                  file=stream or sys.stderr)
    return written

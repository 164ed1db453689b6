"""``zaitaku render --formats pptx``: a slide deck per scope, built by the worker that rendered the scope's reports.

A deck is a job of its own (``Job.kind == "deck"``) planned after its scope's reports, so it travels in
the same chunk to the same worker and is built there (decks of different scopes in parallel). The worker
has its warm kernel build it (:func:`deck_code`), after the reset every report gets: the kernel holds the
processed data already, and the scope's reports have just computed the same sections and trends (kept in
the data index's bounded cache), so the deck reuses them instead of a second copy of the data in the
worker. The kernel writes the ``.pptx`` into the worker's temp folder and the worker returns its bytes; the
parent writes it atomically beside the reports and records it in ``manifest.json`` like a report. A deck
that fails is a failed item: in ``failures.csv``, in the summary and in the exit code. Its input hash is the
scope's report hashes (and the closing template's), so it is rebuilt exactly when one of them changed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from zaitaku.render.jobs import Job
from zaitaku.render.plan import Planned

DECK_GROUP = "deck"


def deck_name(scope: Any, survey_year: str) -> str:
    """The deck's file name, as ``zaitaku deck`` names it (:func:`zaitaku.report.deck.build.deck_filename`)."""
    from types import SimpleNamespace

    from zaitaku.report.deck.build import deck_filename

    focus = SimpleNamespace(code=scope.code, name=scope.name, pref_code=scope.pref_code, pref_name=scope.prefecture)
    return deck_filename(focus, survey_year)  # type: ignore[arg-type]  # reads only these four fields


def plan_decks(planned: Sequence[Planned], *, survey_year: str, data_dir: Path, national: str, manifest: Any,
               out_year: Path, force: bool = False, closing: Path | None = None) -> list[Planned]:
    """``planned`` with each scope's deck job right after the scope's reports."""
    closing_md5 = hashlib.md5(Path(closing).read_bytes()).hexdigest() if closing else ""
    by_scope: dict[Any, list[Planned]] = {}
    for p in planned:
        by_scope.setdefault(p.scope, []).append(p)
    out: list[Planned] = []
    for scope, items in by_scope.items():
        out += items
        parts = {"reports": hashlib.md5("\n".join(sorted(p.job.input_hash for p in items)).encode()).hexdigest(),
                 "closing": closing_md5}
        ihash = hashlib.md5(f"{parts['reports']}:{parts['closing']}".encode()).hexdigest()
        key = f"{scope.rel_dir}/{deck_name(scope, survey_year)}"
        params = {"municipality_code": scope.code, "prefecture": scope.pref_code if scope.is_prefecture else "",
                  "data_dir": str(Path(data_dir).resolve()), "national": national, "survey_year": survey_year,
                  "closing": str(Path(closing).resolve()) if closing else ""}
        job = Job(key=key, group=DECK_GROUP, notebook="", parameters=params, code=scope.code, name=scope.name,
                  pref_code=scope.pref_code, prefecture=scope.prefecture, input_hash=ihash, kind="deck")
        reason = "forced" if force else manifest.reason(key, ihash, parts, out_year)
        out.append(Planned(job, scope, parts, reason))
    return out


def build_deck_bytes(parameters: dict[str, Any]) -> bytes:
    """The deck of one scope as ``.pptx`` bytes (run in a worker process)."""
    from zaitaku.analysis.aggregate import focus_of
    from zaitaku.analysis.processed import load_processed
    from zaitaku.report.deck.build import build_deck, to_bytes

    data = load_processed(parameters["data_dir"], parameters.get("survey_year"))
    focus = focus_of(data, parameters["municipality_code"], parameters["prefecture"])
    closing = Path(parameters["closing"]) if parameters.get("closing") else None
    prs, _ = build_deck(data, focus, parameters["national"], closing_template=closing)
    return to_bytes(prs)


def write_deck_file(parameters: dict[str, Any], path: str) -> None:
    """Build the deck of one scope and write it to ``path`` (a temp file of the worker; run in its kernel)."""
    Path(path).write_bytes(build_deck_bytes(parameters))


def deck_code(parameters: dict[str, Any], path: Path | str) -> str:
    """The code a worker's kernel runs to build a deck into ``path``."""
    return (f"__import__('zaitaku.render.decks', fromlist=['write_deck_file'])"
            f".write_deck_file({dict(parameters)!r}, {str(path)!r})\n")

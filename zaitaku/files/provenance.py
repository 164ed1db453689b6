"""Provenance sidecars of reference data files (in the style of owid/etl snapshot metadata).

Every committed reference file ``X`` has ``X.meta.yaml`` beside it::

    meta:
      origin:                      # where the content comes from
        title: ...                 # document title as published
        producer: ...              # who published it
        url_main: ...              # public address ("公開URL未確認" when none could be established)
        date_accessed: YYYY-MM-DD
        citation_full: ...
      license: {name: ..., note: ...}
      transcribed: ...             # which tables/pages went into the file, and how
    outs:
      - path: X                    # file name, relative to the sidecar
        md5: ...
        size: ...                  # bytes

:func:`check` compares ``outs`` with the file; ``python -m zaitaku.files.provenance --update FILE...``
refreshes md5 and size after a deliberate correction (the ``meta`` block is never rewritten).
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

import yaml

from zaitaku.files import atomic

SUFFIX = ".meta.yaml"
REQUIRED_ORIGIN = ("title", "producer", "url_main", "date_accessed")


@dataclass(frozen=True)
class Mismatch:
    """A reference file whose sidecar is missing, incomplete or out of date."""

    path: Path
    problem: str

    def __str__(self) -> str:
        return f"{self.path}: {self.problem}"


def sidecar_of(path: Path | str) -> Path:
    p = Path(path)
    return p.with_name(p.name + SUFFIX)


def is_sidecar(path: Path) -> bool:
    return path.name.endswith(SUFFIX)


def data_files(folder: Path | str) -> list[Path]:
    """The reference data files under ``folder`` (everything but READMEs and sidecars)."""
    return sorted(p for p in Path(folder).rglob("*")
                  if p.is_file() and not is_sidecar(p) and p.suffix != ".md" and not p.name.startswith("."))


def read(path: Path | str) -> dict:
    with sidecar_of(path).open(encoding="utf-8") as fh:
        return yaml.safe_load(fh) or {}


def check(path: Path | str) -> list[Mismatch]:
    """What is wrong with the sidecar of ``path`` (empty when it matches the file)."""
    p = Path(path)
    side = sidecar_of(p)
    if not side.exists():
        return [Mismatch(p, f"no provenance sidecar {side.name}")]
    doc = read(p)
    problems = []
    origin = (doc.get("meta") or {}).get("origin") or {}
    problems += [Mismatch(p, f"meta.origin.{k} is missing") for k in REQUIRED_ORIGIN if not origin.get(k)]
    outs = {o.get("path"): o for o in doc.get("outs") or []}
    out = outs.get(p.name)
    if out is None:
        return [*problems, Mismatch(p, f"{side.name} has no outs entry for {p.name}")]
    md5, size = atomic.md5_file(p), p.stat().st_size
    if out.get("md5") != md5:
        problems.append(Mismatch(p, f"md5 {md5} but the sidecar says {out.get('md5')}"))
    if out.get("size") != size:
        problems.append(Mismatch(p, f"size {size} but the sidecar says {out.get('size')}"))
    return problems


def update(path: Path | str) -> None:
    """Rewrite the ``outs`` block of an existing sidecar from the file (md5, size)."""
    p = Path(path)
    side = sidecar_of(p)
    text = side.read_text(encoding="utf-8")
    head = text.split("\nouts:", 1)[0].rstrip("\n")
    outs = yaml.safe_dump({"outs": [{"path": p.name, "md5": atomic.md5_file(p), "size": p.stat().st_size}]},
                          sort_keys=False, allow_unicode=True)
    atomic.write_text(side, f"{head}\n{outs}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m zaitaku.files.provenance",
                                 description="参照データの出典ファイル（.meta.yaml）を確認・更新します。")
    ap.add_argument("files", nargs="+", type=Path)
    ap.add_argument("--update", action="store_true", help="md5 とサイズを書き直す（出典の記述は変えません）")
    args = ap.parse_args(argv)
    bad = 0
    for f in args.files:
        if args.update:
            update(f)
        for m in check(f):
            print(m)
            bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())

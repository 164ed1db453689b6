"""Which codebook is in use, and where it came from.

A codebook is chosen with ``--codebook FILE`` (draft-map, ingest, render, deck), or by placing
``codebook.yaml`` in a raw data folder given to ingest; ingest copies the one it used into the processed set
(:data:`PROCESSED_NAME`), so reports, decks, notebooks and the explorer use the same one. :func:`use_codebook`
makes it the answer of :func:`zaitaku.reference.codebook.load_codebook` for its survey year in this process
(and, through :data:`ENV`, in the kernels and workers it starts). :func:`describe` names it with its md5 and
source for ``ingest_meta.json``, report footers and deck notes.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from zaitaku.files.atomic import md5_file
from zaitaku.paths import CODEBOOK_DIR
from zaitaku.reference import codebook as cb_module
from zaitaku.reference.codebook import Codebook, CodebookError, parse_codebook
from zaitaku.reference.codebook_check import check_file

ENV = "ZAITAKU_CODEBOOK"
PROCESSED_NAME = "codebook.yaml"
FOLDER_NAMES = ("codebook.yaml", "コードブック.yaml")


def codebook_from_file(path: Path) -> Codebook:
    """A codebook file checked first (Japanese messages with lines), then parsed."""
    if not path.exists():
        raise CodebookError(f"{path}: コードブックのファイルがありません")
    errors = [m for m in check_file(path) if m.level == "エラー"]
    if errors:
        shown = "\n  ".join(str(m) for m in errors[:5])
        more = f"\n  ほか {len(errors) - 5} 件" if len(errors) > 5 else ""
        raise CodebookError(f"{path.name}: コードブックとして使えません（`zaitaku codebook check {path}` で一覧）:\n  {shown}{more}")
    return parse_codebook(path.read_text(encoding="utf-8-sig"), path)


def built_in_years() -> list[str]:
    return sorted((p.stem.upper() for p in CODEBOOK_DIR.glob("*.yaml")), key=_year_number)


def _year_number(year: str) -> int:
    m = re.fullmatch(r"R(\d+)", year.upper())
    return int(m.group(1)) if m else 0


def nearest_codebook(year: str) -> Codebook:
    """The built-in codebook of ``year``, else of the latest year before it, else the earliest."""
    years = built_in_years()
    before = [y for y in years if _year_number(y) <= _year_number(year)]
    return cb_module.load_codebook((before or years)[-1])


def use_codebook(path: Path | None) -> Codebook | None:
    """Make the codebook in ``path`` the one :func:`load_codebook` gives for its year (None: built-in again)."""
    if path is None:
        cb_module.set_override(None)
        os.environ.pop(ENV, None)
        return None
    book = codebook_from_file(path)
    cb_module.set_override(book)
    os.environ[ENV] = str(path.resolve())
    return book


def codebook_in_folders(folders: list[Path]) -> Path | None:
    """A codebook placed in one of the raw data folders (``codebook.yaml``)."""
    for folder in folders:
        if folder.is_dir():
            for name in FOLDER_NAMES:
                if (folder / name).is_file():
                    return folder / name
    return None


def use_processed_codebook(data_dir: Path) -> Codebook | None:
    """The codebook ingest stored with the processed set, put in use (None when the set has none)."""
    path = Path(data_dir) / PROCESSED_NAME
    return use_codebook(path) if path.is_file() else None


def describe(book: Codebook) -> dict[str, str]:
    """{file, md5, source, label}: what the codebook is, for metadata, footers and deck notes."""
    path = Path(book.path)
    built_in = path.parent.resolve() == CODEBOOK_DIR.resolve()
    md5 = md5_file(path) if path.exists() else ""
    prov = book.provenance
    n_rec = sum(q.source == "reconstructed" for q in book)
    if prov.get("source") == "form":
        listed = prov.get("files")
        files = "、".join(str(f) for f in listed) if isinstance(listed, list) else str(listed or "")
        source = f"drafted from a form on {prov.get('drafted', '')}"
        label = f"調査票（{files}）から下書き（{prov.get('drafted', '')}、{prov.get('base', '')} から引き継ぎ）"
    elif built_in:
        source = "built in" + (f" ({n_rec} questions reconstructed)" if n_rec else "")
        label = "組み込み" + (f"（{len(book)} 問中 {n_rec} 問の選択肢は推定）" if n_rec else "")
    else:
        source = "file" + (f" ({n_rec} questions reconstructed)" if n_rec else "")
        label = "指定されたファイル" + (f"（{len(book)} 問中 {n_rec} 問の選択肢は推定）" if n_rec else "")
    return {"file": path.name, "version": book.version, "md5": md5, "source": source,
            "label": f"コードブック {path.name}（{book.version}、md5 {md5[:8]}）: {label}"}

"""Which codebook is in use, and where it came from.

A codebook is chosen with ``--codebook FILE`` (draft-map, ingest, render, deck), or by placing
``codebook.yaml`` in a raw data folder given to ingest; ingest copies the one it used into the processed set
(:data:`PROCESSED_NAME`), so reports, decks, notebooks and the explorer use the same one. :func:`use_codebook`
makes it the answer of :func:`zaitaku.reference.codebook.load_codebook` for its survey year in this process
(and, through :data:`ENV`, in the kernels and workers it starts). :func:`describe` names it with its md5 and
source for ``ingest_meta.json``, report footers and deck notes.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

from zaitaku.files.atomic import md5_file, write_text
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
    """The built-in codebook of ``year``, else of the latest year before it, else the earliest; a demo
    construction (``r4.yaml``: version ``…-demo-…``, synthetic changes) is never the base of a real form."""
    years = [y for y in built_in_years() if "-demo-" not in cb_module.load_codebook(y).version] or built_in_years()
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


def for_meta(book: Codebook) -> dict[str, str]:
    """What ``ingest_meta.json`` records of the codebook: :func:`describe`, plus its text when not built in
    (so reports, decks and notebooks on the processed set use the same questionnaire)."""
    info = describe(book)
    path = Path(book.path)
    if path.parent.resolve() != CODEBOOK_DIR.resolve() and path.exists():
        info["yaml"] = path.read_text(encoding="utf-8-sig")
    return info


_from_meta: dict[str, Codebook] = {}


def use_meta_codebook(meta: dict) -> Codebook | None:
    """Put in use the codebook a processed set was ingested with (None: the set used a built-in one)."""
    info = meta.get("codebook") or {}
    text = info.get("yaml") if isinstance(info, dict) else None
    if not text:
        if _from_meta_in_use:  # the previous set's codebook is not this one's
            use_codebook(None)
            _from_meta_in_use.clear()
        return None
    key = str(info.get("md5", "")) or str(hash(text))
    book = _from_meta.get(key)
    if book is None:
        book = parse_codebook(text, Path(str(info.get("file", "codebook.yaml"))))
        book = replace(book, path=_materialize(text, key, book.path.name))
        _from_meta[key] = book
    cb_module.set_override(book)
    os.environ[ENV] = str(book.path)
    _from_meta_in_use[:] = [key]
    return book


_from_meta_in_use: list[str] = []


def _materialize(text: str, key: str, name: str) -> Path:
    """The stored codebook as a file (for md5 and for kernels started later), in the temporary folder."""
    folder = Path(tempfile.gettempdir()) / "zaitaku-codebooks" / key[:12]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name  # the name it had when ingested, for footers and notes
    if not path.exists():
        write_text(path, text)
    return path


def add_codebook_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--codebook", type=Path, metavar="YAML",
                        help="使うコードブック（既定: 取り込んだときのもの、なければ組み込み）")


def require_codebook(path: Path | str, data_dir: Path | str | None = None) -> Codebook:
    """Put the codebook ``path`` in use, refusing it (:class:`CodebookError`, Japanese) when the processed set in
    ``data_dir`` was ingested with another one."""
    book = use_codebook(Path(path))
    assert book is not None
    meta_path = Path(data_dir) / "ingest_meta.json" if data_dir else None
    if meta_path is not None and meta_path.is_file():
        from zaitaku.analysis.processed import years_of

        year_meta = years_of(json.loads(meta_path.read_text(encoding="utf-8"))).get(book.survey_year, {})
        info = year_meta.get("codebook") or {}  # the codebook the set's year of this codebook was ingested with
        mine = md5_file(Path(path))
        if info.get("md5") and info["md5"] != mine:
            use_codebook(None)
            raise CodebookError(
                f"{data_dir} のデータはコードブック {info.get('file')}（md5 {str(info['md5'])[:8]}）で取り込まれています。"
                f"指定されたコードブック {Path(path).name}（md5 {mine[:8]}）とは違います。"
                f"`zaitaku ingest … --codebook {path}` で取り込み直すか、コードブックの指定を外してください")
    return book


def apply_codebook_argument(args: argparse.Namespace, command: str) -> int:
    """``--codebook`` of render/deck/draft-map put in use; 0, or 2 after a Japanese message (the file is not
    usable, or the processed data was ingested with another codebook)."""
    path = getattr(args, "codebook", None)
    if path is None:
        return 0
    try:
        book = require_codebook(path, getattr(args, "data_dir", None))
    except CodebookError as exc:
        print(f"zaitaku {command}: {exc}", file=sys.stderr)
        return 2
    if getattr(args, "year", None) and str(args.year).upper() != book.survey_year.upper():
        args.year = book.survey_year
    return 0

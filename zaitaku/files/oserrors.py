"""Operating-system errors said to staff in one Japanese line (disk full, read-only, long names…)."""

from __future__ import annotations

import errno
from pathlib import Path

NAME_MAX_BYTES = 255  # the longest file name most file systems take, in bytes of UTF-8


def os_error_line(exc: OSError, *, kept: str = "") -> str:
    """One Japanese line for ``exc`` naming the file; ``kept`` says what was left as it was."""
    where = exc.filename or exc.filename2 or ""
    tail = f"{kept}" if kept else ""
    code = exc.errno
    if code == errno.ENOSPC or code == errno.EDQUOT:
        what = f"ディスクの空きが足りないため {where} に書き込めませんでした。空きを作ってからやり直してください"
    elif code in (errno.EROFS, errno.EACCES, errno.EPERM):
        what = f"{where} に書き込めません（読み取り専用か、書き込む権限がありません）。別の出力先を指定してください"
    elif code == errno.ENAMETOOLONG:
        name = Path(str(where)).name
        what = (f"ファイル名が長すぎます（{len(name.encode())} バイト、上限 {NAME_MAX_BYTES} バイト）: {name}。"
                "短い名前にしてください")
    elif code == errno.ENOENT:
        what = f"{where} がありません"
    elif code == errno.EISDIR:
        what = f"{where} はフォルダです。ファイルを指定してください"
    elif code == errno.ENOTDIR:
        what = f"{where} の途中にフォルダでないものがあります"
    else:
        what = f"{where or 'ファイル'} を読み書きできませんでした（{exc.strerror or type(exc).__name__}）"
    return f"{what}。{tail}" if tail else f"{what}。"

"""調査票からコードブック（設問・選択肢の定義）を下書き・確認・比較する（draft / check / diff）

``zaitaku codebook draft FORM... --year R4 --out codebook.yaml`` drafts from blank or filled 調査票 and compiled
workbooks; ``zaitaku codebook check FILE`` lists problems in Japanese with their line; ``zaitaku codebook diff A B
[--out diff.csv]`` lists what changed between two codebooks (A and B: a file or a built-in year such as R3).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from zaitaku.files import atomic
from zaitaku.reference.codebook import Codebook, CodebookError, load_codebook
from zaitaku.reference.codebook_check import check_file
from zaitaku.reference.codebook_diff import diff_codebooks
from zaitaku.reference.codebook_draft import REVIEW, draft
from zaitaku.reference.codebook_source import codebook_from_file, nearest_codebook


def configure_parser(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", required=True)
    p = sub.add_parser("draft", help="調査票（空欄・記入済み）や集計表の見出しからコードブックを下書きする")
    p.add_argument("forms", nargs="+", type=Path, help="調査票の Excel ファイル（複数可）")
    p.add_argument("--year", required=True, help="調査年度（例 R4）")
    p.add_argument("--out", type=Path, required=True, help="書き出すコードブック（YAML）")
    p.add_argument("--base", help="id・グループ・資料番号を引き継ぐコードブック（ファイルまたは年度。既定: 最も近い年度）")
    p = sub.add_parser("check", help="コードブックを確かめる（問題を日本語で行番号つきで表示）")
    p.add_argument("file", type=Path, help="コードブック（YAML）")
    p = sub.add_parser("diff", help="2つのコードブックの違い（設問・選択肢の追加・削除・番号・文言）")
    p.add_argument("a", help="比べる元（ファイルまたは年度 R3 など）")
    p.add_argument("b", help="比べる先（ファイルまたは年度）")
    p.add_argument("--out", type=Path, help="違いを書き出す CSV（Excel で開けます）")
    p.add_argument("--crosswalk", type=Path, help="年度間の対応表（crosswalk）の下書きを書き出す CSV（Excel で直せます）")


def _load(spec: str) -> Codebook:
    path = Path(spec)
    return codebook_from_file(path) if path.suffix.lower() in (".yaml", ".yml") or path.exists() else load_codebook(spec.upper())


def _draft(args: argparse.Namespace) -> int:
    missing = [p for p in args.forms if not p.exists()]
    if missing:
        print(f"zaitaku codebook draft: ファイルがありません: {'、'.join(map(str, missing))}", file=sys.stderr)
        return 2
    if args.out.resolve() in {p.resolve() for p in args.forms}:
        print(f"zaitaku codebook draft: {args.out}: 入力ファイルと同じです。別の名前を指定してください", file=sys.stderr)
        return 2
    base = _load(args.base) if args.base else nearest_codebook(args.year)
    text, drafts = draft(args.forms, base, args.year.upper())
    atomic.write_text(args.out, text)
    review = [d for d in drafts if d.raw.get("review") == REVIEW]
    print(f"{args.out} に {len(drafts)} 問のコードブックを書きました（{base.version} から引き継ぎ、要確認 {len(review)} 問）")
    for d in review:
        print(f"  要確認: {d.raw['number']}（{d.raw['id']}、確からしさ {d.confidence}）: {'；'.join(d.reasons)}")
    removed = sorted({q.number for q in base} - {d.raw["number"] for d in drafts if d.base is None} -
                     {d.base.number for d in drafts if d.base is not None})
    if removed:
        print(f"  {base.version} にあって調査票にない設問: {'、'.join(removed)}")
    print(f"確かめたら `zaitaku codebook check {args.out}` を実行し、`--codebook {args.out}` で使ってください")
    return 0


def _check(args: argparse.Namespace) -> int:
    if not args.file.exists():
        print(f"zaitaku codebook check: ファイルがありません: {args.file}", file=sys.stderr)
        return 2
    msgs = check_file(args.file)
    for m in msgs:
        print(f"{args.file.name}: {m}")
    errors = sum(m.level == "エラー" for m in msgs)
    print(f"{args.file.name}: エラー {errors} 件、注意 {len(msgs) - errors} 件" + ("" if errors else "（使えます）"))
    return 2 if errors else 0


def _diff(args: argparse.Namespace) -> int:
    a, b = _load(args.a), _load(args.b)
    df = diff_codebooks(a, b)
    if args.crosswalk:
        import pandas as pd

        from zaitaku.reference.crosswalk import COLUMNS, draft_crosswalk

        rows = draft_crosswalk(a, b)
        atomic.write_csv(pd.DataFrame(rows, columns=list(COLUMNS)), args.crosswalk, excel=True)
        print(f"{args.crosswalk} に年度間の対応表の下書き {len(rows)} 行を書きました（reason の「要確認」を確かめてください）")
    if args.out:
        atomic.write_csv(df, args.out, excel=True)
        print(f"{args.out} に {len(df)} 行の違いを書きました（{a.version} → {b.version}）")
    else:
        for line in df["description"]:
            print(line)
        print(f"{a.version} → {b.version}: {len(df)} 件の違い")
    return 0


def run(args: argparse.Namespace) -> int:
    try:
        return {"draft": _draft, "check": _check, "diff": _diff}[args.action](args)
    except (CodebookError, ValueError, OSError) as exc:
        print(f"zaitaku codebook {args.action}: {exc}", file=sys.stderr)
        return 2

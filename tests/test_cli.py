"""The command speaks Japanese to staff: help, usage errors, selection errors, progress and summaries;
options and identifiers stay English."""

from __future__ import annotations

import io
import re

import pytest

from zaitaku.cli import COMMANDS, build_parser, main


def _help(argv: list[str], capsys) -> str:
    with pytest.raises(SystemExit) as exit_:
        main([*argv, "--help"])
    assert exit_.value.code == 0
    return capsys.readouterr().out


def test_top_level_help_is_japanese_and_lists_every_command(capsys):
    text = _help([], capsys)
    assert text.startswith("使い方: zaitaku")
    assert "オプション:" in text and "コマンド:" in text and "この説明を表示して終わる" in text
    for name in COMMANDS:
        assert re.search(rf"^\s+{re.escape(name)}\s", text, re.M), name
    assert "``" not in text and "show this help" not in text and "positional arguments" not in text


@pytest.mark.parametrize("command", list(COMMANDS))
def test_each_command_help_is_japanese_without_markup(command, capsys):
    text = _help([command], capsys)
    assert text.startswith(f"使い方: zaitaku {command}")
    assert "オプション:" in text and "この説明を表示して終わる" in text
    assert "``" not in text and ":mod:" not in text and "show this help" not in text
    description = text.split("\n\n")[1]
    assert re.search(r"[ぁ-んァ-ン一-龥]", description), description  # the command's line for staff


def test_render_help_has_no_english_sentences(capsys):
    text = _help(["render"], capsys)
    options = text.split("オプション:", 1)[1]
    helps = [line for line in options.splitlines() if line.startswith("  ") and not line.lstrip().startswith("-")]
    assert len(helps) > 5
    english = [line for line in helps if re.fullmatch(r"[\x00-\x7f]*[a-z]{4,} [a-z]{3,}[\x00-\x7f]*", line.strip())]
    assert english == []


def test_usage_errors_are_japanese_and_exit_2(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["render", "--workers", "two"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "zaitaku render: エラー: --workers の値 'two' が正しくありません（整数で書いてください）" in err
    with pytest.raises(SystemExit):
        main(["render", "--national", "guess"])
    assert "--national に 'guess' は選べません（選べるもの: 'auto', 'computed', 'published'）" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["frobnicate"])
    assert "zaitaku: エラー: " in capsys.readouterr().err


@pytest.mark.parametrize(("code", "message"), [
    ("999999", "zaitaku render: 999999: 検査数字 9 が合いません（99999 なら 7）"),
    ("12", "zaitaku render: 12: 都道府県の部分（先頭 2 桁）が 01〜47 になりません"),
    ("1234567", "zaitaku render: 1234567: 市区町村コードは 5 桁か 6 桁です（7 桁）"),
    ("松江", "zaitaku render: 「松江」という市区町村はありません（もしかして 松江市）"),
])
def test_a_wrong_municipality_is_named_in_japanese(code, message, capsys, tmp_path):
    assert main(["render", "--municipality", code, "--out", str(tmp_path), "--dry-run"]) == 2
    assert capsys.readouterr().err.strip() == message


def test_progress_is_plain_lines_in_a_log_and_a_bar_on_a_terminal():
    from zaitaku.render.batch import Progress

    log = io.StringIO()
    p = Progress(20, None, stream=log)
    for i in range(20):
        p.update(failed=1 if i >= 5 else 0)
    p.close()
    lines = log.getvalue().splitlines()
    assert len(lines) == 10  # every 10 %
    assert re.fullmatch(r"zaitaku render: 20/20 件（失敗 1 件、\d+ 秒）", lines[-1])

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    tty = Terminal()
    p = Progress(3, None, stream=tty)
    for _ in range(3):
        p.update()
    p.close()
    assert "作成" in tty.getvalue() and "3/3" in tty.getvalue() and "zaitaku render:" not in tty.getvalue()
    quiet = io.StringIO()
    p = Progress(3, False, stream=quiet)
    p.update()
    p.close()
    assert quiet.getvalue() == ""


def test_reasons_and_summary_in_japanese():
    from pathlib import Path

    from zaitaku.render.batch import BatchSummary, print_summary, reason_text
    from zaitaku.render.jobs import Job, Result

    assert reason_text("new") == "新規"
    assert reason_text("data, package changed") == "データ・zaitakuが変更"
    job = Job(key="32_島根県/322016_松江市/R3_322016_松江市.pptx", group="deck", notebook="", parameters={},
              code="322016", name="松江市", pref_code="32", prefecture="島根県", kind="deck")
    res = Result(key=job.key, status="failed", ename="ValueError", evalue="結びのページのテンプレートが読めません")
    out, err = io.StringIO(), io.StringIO()
    print_summary(BatchSummary(Path("/r/R3"), Path("/r/R3/index.html"), 5, 4, 0, [(job, res)], 12.34, {}),
                  stream=out, errors=err)
    assert out.getvalue().splitlines() == ["zaitaku render: 作成 4 件、最新のため省略 0 件、失敗 1 件（12.3 秒）",
                                           "/r/R3/index.html"]
    assert "32_島根県/322016_松江市/R3_322016_松江市.pptx: ValueError: 結びのページのテンプレートが読めません" in err.getvalue()
    assert "一覧: /r/R3/failures.csv" in err.getvalue()


def test_the_parser_builds_every_command():
    parser = build_parser()
    assert parser.prog == "zaitaku"

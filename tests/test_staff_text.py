"""What staff see in a notebook: one Japanese line for a wrong id or name (no traceback), a section shown
once, a footer in plain Japanese, notes that do not point into the repository."""

from __future__ import annotations

import datetime as dt

import pytest
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output

from zaitaku.explore.views import find_code
from zaitaku.lookup import InputError, find_question
from zaitaku.reference.codebook import load_codebook
from zaitaku.reference.published import published_note
from zaitaku.report.report import Report, jst_now


@pytest.fixture(scope="module")
def rep(processed_dir):
    return Report("partnerships", "322016", "", data_dir=processed_dir)


@pytest.fixture
def shell(rep):
    sh = InteractiveShell.instance()
    sh.user_ns["rep"] = rep
    yield sh
    InteractiveShell.clear_instance()


def test_question_by_id_or_printed_number():
    cb = load_codebook("R3")
    assert find_question(cb, "q1").id == "q1"
    assert find_question(cb, "問1").id == "q1"
    assert find_question(cb, "問４ ①-1").id == "q4_1_1"  # full-width digit, as typed in Japanese input


def test_wrong_question_is_one_japanese_line_with_the_nearest():
    cb = load_codebook("R3")
    with pytest.raises(InputError) as err:
        find_question(cb, "q11")
    msg = str(err.value)
    assert msg.startswith("設問「q11」はありません。近いもの：q1（問1 協議会の設置）")
    assert "\n" not in msg and "KeyError" not in msg and "codebook" not in msg
    assert isinstance(err.value, KeyError) and isinstance(err.value, ValueError)  # old callers still catch it


def test_ipython_shows_the_line_not_a_traceback(shell):
    with capture_output() as out:
        shell.run_cell('rep.section("問11")')
    text = out.stdout + out.stderr
    assert "入力エラー：設問「問11」はありません。近いもの：" in text
    assert "Traceback" not in text and "File " not in text and len(text.strip().splitlines()) == 1


def test_wrong_municipality_names_the_nearest(rep):
    with pytest.raises(InputError, match=r"^「松江氏」に当たる市区町村が見つかりません。近いもの：.*322016 松江市"):
        find_code(rep.data, "松江氏")


def test_wrong_code_in_the_parameters_cell(processed_dir):
    with pytest.raises(InputError, match="6桁の市区町村コード"):
        Report("partnerships", "999999", "", data_dir=processed_dir)


def test_adapted_section_as_last_line_shows_once(shell):
    with capture_output() as out:
        shell.run_cell('s = rep.build("q1")\nrep.section(s)')
    shown = [o for o in out.outputs if "text/html" in o.data]
    assert len(shown) == 1 and "協議会の設置" in shown[0].data["text/html"]
    assert "Section(" not in out.stdout
    with capture_output() as out:  # the next cell: ``s`` alone shows it again
        shell.run_cell("s")
    assert len([o for o in out.outputs if "text/html" in o.data]) == 1


def test_footer_in_plain_japanese(rep):
    rows = dict(rep.footer_rows())
    assert rows["調査年度"] == "令和3年度"
    assert rows["対象"] == "松江市（島根県、市区町村コード 322016）"
    assert rows["データ"].startswith("デモ用の架空データ")
    assert rows["作成日時"].endswith("（日本時間）")
    assert rep.codebook.version in rows["コードブック"]
    assert "データの版" in rows
    text = "".join(rows.values())
    assert "=" not in text and "'" not in text and "UTC" not in text and "+00:00" not in text


def test_time_is_japan_time():
    assert jst_now(dt.datetime(2026, 12, 4, 15, 30, tzinfo=dt.timezone.utc)) == "2026年12月5日 00:30（日本時間）"


def test_published_note_does_not_point_into_the_repository():
    notes = [published_note(q.id) for q in load_codebook("R3").questions]
    notes = [n for n in notes if n]
    assert notes and any("確度" in n for n in notes)
    assert not any("data/" in n or ".csv" in n or "note" in n for n in notes)

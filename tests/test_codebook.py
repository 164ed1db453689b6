"""The questionnaire codebook: content against the deck, and validation of broken YAML."""

from pathlib import Path

import pytest
import yaml

from zaitaku.reference.codebook import CodebookError, load_codebook, parse_codebook

CB = load_codebook("R3")
SRC = CB.path.read_text(encoding="utf-8")


def test_every_deck_question_is_present():
    # the sub-questions the 島根県 deck 「令和3年度 在宅医療・介護連携推進事業の実施状況に関する調査結果（島根県）」 shows, by their printed numbers
    deck_numbers = [
        "担当部署", "問1", "問2", "問3", "問4 ①-1", "問4 ①-2.1", "問4 ①-2.2", "問4 ①-3.1", "問4 ①-3.2",
        "問4 ①-4", "問4 ①-5.1", "問4 ①-6.1", "問4 ①-7.1", "問4 ①-7.2", "問4 ①-8", "問4 ①-9",
        "問4 ②-1.2", "問4 ②-1.3", "問4 ②-1.4", "問4 ②-2.1", "問4 ②-2.2", "問4 ②-3.1", "問4 ②-3.2",
        "問4 ②-3.2-1", "問4 ②-4.1", "問4 ②-4.2", "問5", "問5 ①-1", "問5 ②-1", "問5 ③-1", "問5 ④-1",
        "問6 ①", "問6 ②", "問6 ④", "問7",
    ]
    numbers = {q.number for q in CB}
    assert [n for n in deck_numbers if n not in numbers] == []


def test_groups_and_published_wording():
    assert set(CB.groups) == {"partnerships", "pdca_indicators", "four_scenes", "prefectural_support"}
    assert all(CB.in_group(g) for g in CB.groups)
    # exact wording published by MHLW (data/raw/reference/national_r3.csv.meta.yaml)
    assert CB["q4_1_1"].option("4").label == "本事業の実施によって目指す姿の設定はしているが、特に4つの場面での設定はしていない"
    assert CB["q4_1_9"].option("6").label == "わからない・設定することは想定していない"
    assert [r.label for r in CB["q5"].rows] == ["日常の療養支援", "看取り", "急変時の対応", "入退院支援"]
    assert CB["q2"].option("D").label == "協力を予定している"


def test_conditions_as_in_the_questionnaire():
    c = CB["q4_1_7_2"].asked_if
    assert (c.question, c.values) == ("q4_1_7_1", ("1", "2"))
    for qid, row in [("q5_1_1", "daily_care"), ("q5_2_1", "end_of_life"), ("q5_3_1", "emergency"), ("q5_4_1", "discharge")]:
        assert CB[qid].asked_if.row == row and CB[qid].asked_if.values == ("1", "2")
    assert "①-7.1" in c.describe(CB)


def test_describe_lists_every_question_with_text_and_options():
    text = CB.describe("four_scenes")
    for q in CB.in_group("four_scenes"):
        assert q.text in text
        assert all(o.label in text for o in q.options)


def _mutate(fn):
    raw = yaml.safe_load(SRC)
    fn(raw)
    return yaml.safe_dump(raw, allow_unicode=True)


@pytest.mark.parametrize(
    ("mutation", "message"),
    [
        (lambda r: r["questions"].append(dict(r["questions"][1])), "q1: duplicate question id"),
        (lambda r: next(q for q in r["questions"] if q["id"] == "q4_1_7_2")["asked_if"].update({"in": ["1", "7"]}),
         "asked_if option(s) ['7'] not options of q4_1_7_1"),
        (lambda r: next(q for q in r["questions"] if q["id"] == "q4_1_7_2")["asked_if"].update({"question": "q9"}),
         "asked_if refers to 'q9': no such question"),
        (lambda r: next(q for q in r["questions"] if q["id"] == "q5_1_1")["asked_if"].update({"row": "nope"}),
         "asked_if row 'nope' is not a row of q5"),
        (lambda r: r["questions"][1]["options"].append({"id": "1", "label": "重複"}), "duplicate option id(s) ['1']"),
        (lambda r: r["questions"][1].update({"type": "ranking"}), "unknown type 'ranking'"),
        (lambda r: r["questions"][1].update({"group": "misc"}), "unknown group 'misc'"),
    ],
)
def test_broken_codebooks_are_clear_errors(mutation, message):
    with pytest.raises(CodebookError) as err:
        parse_codebook(_mutate(mutation), Path("broken.yaml"))
    assert "broken.yaml" in str(err.value)
    assert message in str(err.value)

"""The municipality registry: shipped data, code normalization, name resolution."""

import numpy as np
import pandas as pd
import pytest

from zaitaku.reference.municipalities import (
    MUNICIPALITY_TYPES,
    CodeError,
    check_digit,
    is_valid_code,
    load_prefectures,
    load_registry,
    municipalities_in,
    municipality,
    normalize_code,
    normalize_prefecture,
    prefecture_name,
    resolve,
)

REG = load_registry()
PREFS = load_prefectures()


# --- shipped data --------------------------------------------------------------------------


def test_counts():
    assert len(PREFS) == 47
    assert len(REG) == 1741
    assert REG["code"].is_unique
    assert REG["type"].value_counts().to_dict() == {
        "町": 743,
        "市": 772,
        "村": 183,
        "特別区": 23,
        "政令指定都市": 20,
    }
    assert REG["core_city"].sum() == 62
    assert not (REG["core_city"] & (REG["type"] != "市")).any()
    assert set(REG["type"]) == set(MUNICIPALITY_TYPES)


def test_per_prefecture_counts():
    per = REG.groupby("pref_code").size()
    assert len(per) == 47
    assert per["32"] == 19  # 島根県: 8 市, 10 町, 1 村
    assert per["01"] == 179  # 北海道
    assert per["13"] == 62  # 東京都: 23 特別区 + 26 市 + 5 町 + 8 村
    assert per["31"] == 19  # 鳥取県
    assert len(municipalities_in("島根県")) == 19
    assert municipalities_in("32")["type"].value_counts().to_dict() == {"町": 10, "市": 8, "村": 1}


def test_special_wards_are_tokyo_13101_to_13123():
    wards = REG[REG["type"] == "特別区"]
    assert list(wards["code"].str[:5]) == [f"13{n}" for n in range(101, 124)]
    assert set(wards["prefecture"]) == {"東京都"}


def test_dtypes_and_columns():
    assert list(REG.columns) == [
        "code",
        "pref_code",
        "prefecture",
        "name",
        "kana",
        "type",
        "core_city",
        "lat",
        "lng",
    ]
    assert REG["core_city"].dtype == bool
    assert pd.api.types.is_string_dtype(REG["code"])
    assert pd.api.types.is_string_dtype(REG["pref_code"])
    assert (REG["code"].str.len() == 6).all() and (REG["pref_code"].str.len() == 2).all()
    assert (REG["code"].str[:2] == REG["pref_code"]).all()
    assert REG["lat"].between(20, 46).all() and REG["lng"].between(122, 154).all()
    assert list(PREFS.columns) == ["pref_code", "code", "prefecture", "kana", "name_en"]
    assert list(PREFS["pref_code"]) == [f"{i:02d}" for i in range(1, 48)]


def test_kana_is_full_width():
    assert not REG["kana"].str.contains("[\uff61-\uff9f]").any()
    assert (REG["kana"] != "").all()
    assert municipality("札幌市")["kana"] == "サッポロシ"


def test_every_code_has_a_valid_check_digit():
    assert all(is_valid_code(c) for c in REG["code"])
    assert all(is_valid_code(c) for c in PREFS["code"])
    assert (PREFS["code"].str[2:5] == "000").all()


def test_load_registry_is_cached():
    assert load_registry() is load_registry()


# --- known municipalities ------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, code, kind, core",
    [
        ("島根県松江市", "322016", "市", True),
        ("北海道札幌市", "011002", "政令指定都市", False),
        ("東京都千代田区", "131016", "特別区", False),
        ("島根県奥出雲町", "323438", "町", False),
        ("大阪府大阪市", "271004", "政令指定都市", False),
        ("東京都檜原村", "133078", "村", False),
        ("東京都八王子市", "132012", "市", True),
        ("熊本県熊本市", "431001", "政令指定都市", False),
        ("島根県出雲市", "322032", "市", False),
    ],
)
def test_known_municipalities(name, code, kind, core):
    row = municipality(name)
    assert row["code"] == code
    assert row["type"] == kind
    assert bool(row["core_city"]) is core
    assert municipality(code)["prefecture"] + municipality(code)["name"] == name


def test_prefecture_table():
    shimane = PREFS.set_index("pref_code").loc["32"]
    assert (shimane["code"], shimane["prefecture"], shimane["name_en"]) == (
        "320005",
        "島根県",
        "Shimane",
    )
    assert shimane["kana"] == "シマネケン"


# --- codes ---------------------------------------------------------------------------------


def test_check_digit():
    assert check_digit("32201") == "6"
    assert check_digit("01100") == "2"
    assert check_digit("13101") == "6"
    assert check_digit("32000") == "5"
    with pytest.raises(CodeError, match="5 ASCII digits"):
        check_digit("3220")


def test_is_valid_code():
    assert is_valid_code("322016")
    assert not is_valid_code("322017")
    assert not is_valid_code("32201")
    assert not is_valid_code("３２２０１６")
    assert not is_valid_code(322016)
    assert not is_valid_code("990009")  # prefecture part 99


@pytest.mark.parametrize(
    "value, expected",
    [
        ("322016", "322016"),
        ("32201", "322016"),  # 5 digits: check digit appended
        ("32201-6", "322016"),
        ("32201－6", "322016"),  # full-width hyphen
        ("３２２０１６", "322016"),  # full-width digits
        (" 322016\u3000", "322016"),
        ("011002", "011002"),
        ("01100", "011002"),
        (11002, "011002"),  # int that lost its leading zero
        (11002.0, "011002"),
        ("11002.0", "011002"),
        (np.int64(11002), "011002"),
        (np.float64(11002.0), "011002"),
        (1100, "011002"),  # 5-digit code that lost its leading zero
        (32201, "322016"),  # 5-digit code as an int
        (322016, "322016"),
        (131016, "131016"),
        ("320005", "320005"),  # a prefecture code is a valid code
    ],
)
def test_normalize_code(value, expected):
    assert normalize_code(value) == expected


@pytest.mark.parametrize(
    "value, message",
    [
        ("322017", "wrong check digit 7 .expected 6"),
        (322017, "wrong check digit 7 .expected 6"),
        ("3220", "5 or 6 digits, not 4"),
        ("3220166", "5 or 6 digits, not 7"),
        ("32a016", "only digits"),
        ("", "only digits"),
        ("99001", "prefecture part 99"),
        (1234567, "at most 6 digits"),
        (-1, "not negative"),
        (11002.5, "not a whole number"),
        (float("nan"), "not a whole number"),
        (True, "not a code"),
        (None, "not a code"),
    ],
)
def test_normalize_code_rejects(value, message):
    with pytest.raises(CodeError, match=message):
        normalize_code(value)


def test_int_code_ambiguous_when_both_readings_exist():
    # 012203 北海道士別市 (lost zero) vs 122033 千葉県市川市 (5-digit code)
    with pytest.raises(CodeError, match=r"ambiguous.*012203.*士別市.*122033.*市川市"):
        normalize_code(12203)
    assert normalize_code("012203") == "012203"
    assert normalize_code("12203") == "122033"


def test_code_error_is_a_value_error():
    assert issubclass(CodeError, ValueError)


# --- prefectures ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    ["島根県", "島根", "32", 32, 32.0, "320005", 320005, "32000", "３２", " 島根県 ", "Shimane"],
)
def test_normalize_prefecture(value):
    assert normalize_prefecture(value) == "32"


def test_normalize_prefecture_other_forms():
    assert normalize_prefecture("東京") == "13"
    assert normalize_prefecture("東京都") == "13"
    assert normalize_prefecture("北海道") == "01"
    assert normalize_prefecture("京都") == "26"
    assert normalize_prefecture("大阪") == "27"
    assert normalize_prefecture(1) == "01"
    assert prefecture_name("32") == "島根県"
    assert prefecture_name(13) == "東京都"


@pytest.mark.parametrize(
    "value, message",
    [
        ("48", "01–47"),
        (0, "01–47"),
        ("島根件", "did you mean 島根県"),
        ("322016", "not a prefecture code"),
        ("ニューヨーク", "not a prefecture"),
    ],
)
def test_normalize_prefecture_rejects(value, message):
    with pytest.raises(CodeError, match=message):
        normalize_prefecture(value)


# --- names ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "松江市",
        "島根県松江市",
        "島根県 松江市",
        "島根県\u3000松江市",
        " 松江市 ",
        "322016",
        "32201",
        "32201-6",
        "３２２０１６",
        322016,
        32201,
    ],
)
def test_resolve_matsue(value):
    assert resolve(value) == "322016"


@pytest.mark.parametrize(
    "value", ["島根県仁多郡奥出雲町", "仁多郡奥出雲町", "奥出雲町", "島根県 仁多郡 奥出雲町"]
)
def test_resolve_with_gun(value):
    assert resolve(value) == "323438"


def test_names_containing_gun_are_not_split():
    assert municipality("郡山市")["prefecture"] == "福島県"
    assert municipality("大和郡山市")["prefecture"] == "奈良県"
    assert municipality("郡上市")["prefecture"] == "岐阜県"
    with pytest.raises(CodeError):
        resolve("八束郡松江市")  # a 郡 holds only 町 and 村


def test_spelling_variants():
    assert resolve("龍ヶ崎市") == resolve("龍ケ崎市") == "082082"
    assert resolve("茅ケ崎市") == resolve("茅ヶ崎市")
    assert resolve("高知県檮原町") == "394050"  # registry spells it 梼原町


def test_resolve_int_and_float():
    assert resolve(11002) == "011002"
    assert resolve(11002.0) == "011002"
    assert municipality(11002)["name"] == "札幌市"


@pytest.mark.parametrize(
    "name, prefecture, code",
    [
        ("府中市", "東京都", "132063"),
        ("府中市", "広島県", "342084"),
        ("府中市", 34, "342084"),
        ("伊達市", "北海道", "012335"),
        ("伊達市", "福島", "072133"),
        ("北区", "東京都", "131172"),
        ("東京都北区", None, "131172"),
        ("広島県府中市", None, "342084"),
        ("松江市", "島根県", "322016"),
        ("322016", "島根県", "322016"),
    ],
)
def test_prefecture_disambiguates(name, prefecture, code):
    assert resolve(name, prefecture=prefecture) == code


@pytest.mark.parametrize(
    "name, candidates",
    [
        ("府中市", ["東京都府中市 (132063)", "広島県府中市 (342084)"]),
        ("伊達市", ["北海道伊達市 (012335)", "福島県伊達市 (072133)"]),
        ("北区", ["東京都北区 (131172)", "大阪市", "prefecture='東京都'"]),
        ("中央区", ["東京都中央区 (131024)", "札幌市"]),
        ("港区", ["東京都港区 (131032)", "名古屋市"]),
    ],
)
def test_ambiguous_names_list_candidates(name, candidates):
    with pytest.raises(CodeError, match="ambiguous") as err:
        resolve(name)
    for c in candidates:
        assert c in str(err.value)


@pytest.mark.parametrize(
    "value, prefecture, message",
    [
        ("松江", None, "did you mean 松江市"),
        ("奥出雲", None, "did you mean 奥出雲町"),
        ("存在しない村", None, "no municipality named"),
        ("松江市", "鳥取県", "in 鳥取県; found 島根県松江市 .322016."),
        ("島根県府中市", None, "found 東京都府中市"),
        ("島根県松江市", "鳥取県", "is in 島根県, but prefecture=鳥取県"),
        ("322016", "鳥取県", "not in 鳥取県"),
        ("島根県", None, "is a prefecture"),
        ("320005", None, "code of 島根県, a prefecture"),
        ("123455", None, "not a current municipality code"),
        ("大阪市北区", None, "ward of the 政令指定都市 大阪府大阪市 .271004."),
        ("札幌市 中央区", None, "ward of the 政令指定都市 北海道札幌市"),
        ("北区", "大阪府", "no 特別区 outside 東京都"),
        ("322017", None, "wrong check digit"),
        ("", None, "empty"),
    ],
)
def test_unknown_or_inconsistent_names_raise(value, prefecture, message):
    with pytest.raises(CodeError, match=message):
        resolve(value, prefecture=prefecture)


def test_every_registry_name_resolves_with_its_prefecture():
    for code, pref, name in zip(REG["code"], REG["prefecture"], REG["name"], strict=True):
        assert resolve(pref + name) == code
        assert resolve(name, prefecture=pref) == code


def test_municipality_returns_a_copy_of_one_row():
    row = municipality("松江市")
    assert isinstance(row, pd.Series)
    row["name"] = "changed"
    assert municipality("松江市")["name"] == "松江市"

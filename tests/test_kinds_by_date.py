"""Kinds by date: 中核市 as of each survey year, from the designation dates (written down here, apart
from the data file: 総務省「中核市・施行時特例市一覧」)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from zaitaku.analysis.shares import compute_shares
from zaitaku.reference.municipalities import load_registry, registry_as_of
from zaitaku.reference.municipalities.kinds import load_core_cities, reference_date

MATSUMOTO, ICHINOMIYA, MITO, SUITA = "202029", "232033", "082015", "272051"
NEYAGAWA, YAMAGATA, FUKUI, KOFU, MATSUE = "272159", "062014", "182010", "192015", "322016"

# designations since 令和元年度, as the issue lists them
SINCE_R1 = {NEYAGAWA: "2019-04-01", YAMAGATA: "2019-04-01", FUKUI: "2019-04-01", KOFU: "2019-04-01",
            MITO: "2020-04-01", SUITA: "2020-04-01", ICHINOMIYA: "2021-04-01", MATSUMOTO: "2021-04-01"}


def core(year: str) -> set[str]:
    reg = registry_as_of(year)
    return set(reg.loc[reg["core_city"], "code"])


def test_reference_dates():
    assert reference_date("R2") == dt.date(2020, 4, 1) and reference_date("R3") == dt.date(2021, 4, 1)
    assert reference_date("H30") == dt.date(2018, 4, 1)


def test_designation_dates_since_r1():
    cc = load_core_cities().set_index("code")["designated"]
    assert {c: str(cc[c]) for c in SINCE_R1} == SINCE_R1
    later = {c for c, d in cc.items() if d >= dt.date(2019, 4, 1)}
    assert later == set(SINCE_R1)
    reg = load_registry()
    assert set(cc.index) == set(reg.loc[reg["core_city"], "code"])  # the registry's 62 (as of 2024)


def test_counts_by_year():
    assert len(core("R1")) == 62 - 4  # 58 after 寝屋川・山形・福井・甲府
    assert len(core("R2")) == 60
    assert len(core("R3")) == len(core("R4")) == len(core("R6")) == 62


@pytest.mark.parametrize(("code", "r2", "r3"), [(MATSUMOTO, False, True), (ICHINOMIYA, False, True),
                                                (MITO, True, True), (SUITA, True, True), (MATSUE, True, True)])
def test_matsumoto_is_a_city_in_r2_and_a_core_city_in_r3(code, r2, r3):
    assert (code in core("R2"), code in core("R3")) == (r2, r3)
    assert (MITO in core("R1"), KOFU in core("R1")) == (False, True)


def test_the_peer_group_follows_the_year():
    """松本市's answer counts among 市 with the 令和2年度 municipalities and among 中核市 with 令和3年度's
    (the shares take the kind from the municipalities table of the year; R3's codebook for both)."""
    for year, peer in (("R2", "市"), ("R3", "中核市")):
        m = registry_as_of(year).assign(responded=True)
        r = pd.DataFrame({"survey_year": "R3", "municipality_code": [MATSUMOTO], "question_id": ["q1"], "row_id": [""],
                          "option_id": ["1"], "value": pd.array([1], dtype="Int8"),
                          "free_text": pd.array([pd.NA], dtype="string")})
        s = compute_shares(r, m)
        t = s[(s["scope"] == "type") & (s["option_id"] == "1")]
        assert list(t["scope_code"]) == [peer]


def test_the_shared_registry_is_not_changed():
    registry_as_of("R1")
    assert int(load_registry()["core_city"].sum()) == 62
    with pytest.raises(ValueError):
        registry_as_of("H30")

"""Kinds by date: which municipalities were 中核市 in a survey year.

``data/core_cities.csv`` (source in its ``.meta.yaml``: 総務省「中核市・施行時特例市一覧」) gives each
中核市's designation date. A survey year Rn is judged as of its fiscal year's first day, (2018+n)-04-01:
松本市 (中核市 from 2021-04-01) is a 市 in 令和2年度 and a 中核市 in 令和3年度. 政令指定都市 have not
changed since 2012 (熊本市) and the municipalities' kinds since 2018-10-01 (那珂川市), so the other kinds
are the registry's for every year from 令和元年度.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import cache

import pandas as pd

from zaitaku.paths import PACKAGE_DATA_DIR
from zaitaku.reference.municipalities.registry import load_registry

FIRST_YEAR = "R1"  # the registry's kinds hold from 令和元年度 (2019-04-01) on


def reference_date(survey_year: str) -> dt.date:
    """The day a survey year's kinds are judged: 令和n年度 → (2018+n)-04-01 (平成n年度 → (1988+n)-04-01)."""
    m = re.fullmatch(r"([RH])(\d{1,2})", survey_year)
    if not m:
        raise ValueError(f"survey year {survey_year!r} is not like R3")
    return dt.date((2018 if m.group(1) == "R" else 1988) + int(m.group(2)), 4, 1)


@cache
def load_core_cities() -> pd.DataFrame:
    """The 62 中核市 with their designation date: code, name, designated (datetime.date)."""
    df = pd.read_csv(PACKAGE_DATA_DIR / "core_cities.csv", dtype=str, keep_default_na=False)
    return df.assign(designated=[dt.date.fromisoformat(d) for d in df["designated"]])


def core_cities_on(day: dt.date) -> frozenset[str]:
    """Codes of the cities that were 中核市 on ``day``."""
    cc = load_core_cities()
    return frozenset(cc.loc[[d <= day for d in cc["designated"]], "code"])


def registry_as_of(survey_year: str) -> pd.DataFrame:
    """The registry with ``core_city`` as of the survey year (a new frame; the shared one is not touched)."""
    day = reference_date(survey_year)
    if day < reference_date(FIRST_YEAR):
        raise ValueError(f"{survey_year}: kinds are known from {FIRST_YEAR} (令和元年度) on")
    reg = load_registry().copy()
    reg["core_city"] = reg["code"].isin(core_cities_on(day))
    return reg

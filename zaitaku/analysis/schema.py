"""pandera schemas of the tidy tables (one row per municipality × question × row × option)."""

from __future__ import annotations

import pandera.pandas as pa

CODE_PATTERN = r"^\d{6}$"

responses_schema = pa.DataFrameSchema(
    {
        "survey_year": pa.Column(str),
        "municipality_code": pa.Column(str, pa.Check.str_matches(CODE_PATTERN)),
        "question_id": pa.Column(str),
        "row_id": pa.Column(str),
        "option_id": pa.Column(str),
        "value": pa.Column("Int8", pa.Check.isin([0, 1]), nullable=True),
        "free_text": pa.Column("string", nullable=True),
    },
    unique=["survey_year", "municipality_code", "question_id", "row_id", "option_id"],
    strict=True,
    coerce=True,
    name="responses",
)

shares_schema = pa.DataFrameSchema(
    {
        "survey_year": pa.Column(str),
        "scope": pa.Column(str, pa.Check.isin(["municipality", "prefecture", "nation", "type"])),
        "scope_code": pa.Column(str),
        "question_id": pa.Column(str),
        "row_id": pa.Column(str),
        "option_id": pa.Column(str),
        "n_selected": pa.Column("Int64", pa.Check.ge(0), nullable=True),
        "n_base": pa.Column("Int64", pa.Check.ge(0), nullable=True),
        "share": pa.Column(float, pa.Check.in_range(0.0, 1.0), nullable=True),
        "source": pa.Column(str, pa.Check.isin(["computed", "published"])),
    },
    checks=pa.Check(lambda df: (df["n_selected"].isna() | df["n_base"].isna() | (df["n_selected"] <= df["n_base"])).all(),
                    error="n_selected exceeds n_base"),
    coerce=True,
    name="shares",
)

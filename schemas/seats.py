"""The Seats tab: one row per seat (licence key or activation)."""

import re

import numpy as np
import pandas as pd
import pandera.pandas as pa

STATUSES = ("active", "suspended", "available", "retired")
EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
_EMAIL = re.compile(EMAIL)


def _is_email(emails: pd.Series) -> pd.Series:
    """What pa.Check.str_matches(EMAIL) answers, with re.match mapped in C.

    pandas' str.match calls a Python lambda per cell: most of validating a million
    seats. pandera drops blank cells before a check, so every cell here is text.
    """
    matched = map(_EMAIL.match, emails.to_numpy(dtype=object))
    return pd.Series(np.fromiter(map(bool, matched), bool, len(emails)), index=emails.index)


schema = pa.DataFrameSchema(
    {
        "seat_id": pa.Column("string", nullable=False),
        "contract_id": pa.Column("string", nullable=False),
        "client": pa.Column("string", nullable=True),
        "product": pa.Column("string", nullable=True),
        "assigned_to": pa.Column("string", nullable=True),
        "email": pa.Column(
            "string",
            pa.Check(_is_email, error="is not an email address"),
            nullable=True,
        ),
        "status": pa.Column(
            "string",
            pa.Check.isin(STATUSES, error="is not one of " + ", ".join(STATUSES)),
            nullable=False,
        ),
        "activated_on": pa.Column("datetime64[us]", nullable=True, coerce=True),
        "expires_on": pa.Column("datetime64[us]", nullable=True, coerce=True),
    },
    strict=True,
)

ROW_CHECK_COLUMN: dict[str, str] = {}

"""The Seats tab: one row per seat (licence key or activation)."""

import pandera.pandas as pa

STATUSES = ("active", "suspended", "available", "retired")
EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"

schema = pa.DataFrameSchema(
    {
        "seat_id": pa.Column("string", nullable=False),
        "contract_id": pa.Column("string", nullable=False),
        "client": pa.Column("string", nullable=True),
        "product": pa.Column("string", nullable=True),
        "assigned_to": pa.Column("string", nullable=True),
        "email": pa.Column(
            "string",
            pa.Check.str_matches(EMAIL, error="is not an email address"),
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

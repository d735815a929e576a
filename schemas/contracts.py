"""The Contracts tab: one row per signed contract."""

import pandas as pd
import pandera.pandas as pa

STATUSES = ("pending", "active", "terminated")
ENDS_BEFORE_START = "is before the start date"


def _ends_after_start(frame: pd.DataFrame) -> pd.Series:
    return ~(frame["end_date"] < frame["start_date"])


schema = pa.DataFrameSchema(
    {
        "contract_id": pa.Column("string", nullable=False),
        "client": pa.Column("string", nullable=False),
        "product": pa.Column("string", nullable=True),
        "seats": pa.Column("Int64", pa.Check.ge(0, error="must be 0 or more"), nullable=False),
        "start_date": pa.Column("datetime64[us]", nullable=False, coerce=True),
        "end_date": pa.Column("datetime64[us]", nullable=False, coerce=True),
        "auto_renew": pa.Column("boolean", nullable=False),
        "status": pa.Column(
            "string",
            pa.Check.isin(STATUSES, error="is not one of " + ", ".join(STATUSES)),
            nullable=False,
        ),
        "notice_days": pa.Column(
            "Int64", pa.Check.ge(0, error="must be 0 or more"), nullable=True
        ),
        "price_per_seat": pa.Column(
            "Float64", pa.Check.ge(0, error="must be 0 or more"), nullable=True
        ),
        "owner": pa.Column("string", nullable=True),
        "channel": pa.Column("string", nullable=True),
    },
    # The end date is the renewal date; one before the start is a typo in either cell,
    # and it is reported on the end date where people look for renewals.
    checks=[pa.Check(_ends_after_start, error=ENDS_BEFORE_START)],
    strict=True,
)

# Row-level checks report every column they read; name the one cell a person fixes.
ROW_CHECK_COLUMN = {ENDS_BEFORE_START: "end_date"}

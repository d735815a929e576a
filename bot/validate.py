"""Apply a tab's pandera schema lazily and turn every failure into a finding.

One bad cell never stops the others: pandera collects every failure in one pass, each
becomes an ``invalid_value`` finding, and only the failing rows are set aside.
"""

from __future__ import annotations

from types import ModuleType

import pandas as pd
import pandera.pandas as pa

from bot.findings import Finding
from bot.ingest import Table, invalid_findings

# pandera's built-in check names, in the words a spreadsheet user reads.
REASONS = {
    "not_nullable": "is required but blank",
    "field_uniqueness": "appears more than once",
}
KEYS = {"contracts": "contract_id", "seats": "seat_id"}


def validate(table: Table, raw: pd.DataFrame, schema: ModuleType) -> Table:
    """Check ``table`` against ``schema`` (a module of schemas/); drop failing rows."""
    if not table.usable:
        return table

    parse_failed = {(f.row, f.column) for f in table.findings}
    failures = _schema_failures(table.frame, schema)
    for name, reasons in failures.items():
        column = table.columns.get(name)
        if column is None:
            continue
        reasons = reasons[[(row, column.header) not in parse_failed for row in reasons.index]]
        table.findings.extend(invalid_findings(table, raw, name, reasons))

    invalid_rows = {f.row for f in table.findings if f.kind == "invalid_value"}
    key = KEYS[table.role]
    duplicates = _duplicates(table, key, invalid_rows)
    table.findings.extend(duplicates)

    frame = table.frame
    invalid = frame.index.isin(list(invalid_rows))
    duplicate = frame.index.isin([f.row for f in duplicates])
    # Seats of a contract row that failed are held back with it, not called orphans
    # (unless another, valid row has the same key). isin, not a set of every key: a
    # million-row set is built one Python string at a time.
    # The failed keys are few: the valid keys are matched against them, not the reverse.
    failed_keys = frame.loc[invalid, key].dropna()
    valid_keys = frame.loc[~invalid & ~duplicate, key]
    also_valid = valid_keys[valid_keys.isin(failed_keys)]
    table.held_back = set(failed_keys[~failed_keys.isin(also_valid)])
    table.frame = frame[~invalid & ~duplicate]
    return table


def _schema_failures(frame: pd.DataFrame, schema: ModuleType) -> dict[str, pd.Series]:
    """Per field, the failing rows (sheet row numbers) and the reason for each."""
    try:
        schema.schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as errors:
        cases = errors.failure_cases
    else:
        return {}

    cases = cases[cases["index"].notna() & cases["column"].notna()].copy()
    cases = cases[cases["check"] != "field_uniqueness"]  # reported as duplicate_key
    row_checks = cases["schema_context"].eq("DataFrameSchema")
    if row_checks.any():
        # A row check reports every column it read; keep the one cell a person fixes.
        named = cases.loc[row_checks, "check"].map(schema.ROW_CHECK_COLUMN)
        cases = cases[~row_checks | cases["column"].eq(named.reindex(cases.index))]
    cases["reason"] = cases["check"].map(lambda check: REASONS.get(check, check))
    cases = cases.drop_duplicates(["column", "index"])
    return {
        column: pd.Series(group["reason"].values, index=group["index"].astype(int).values)
        for column, group in cases.groupby("column", sort=False)
    }


def _duplicates(table: Table, key: str, invalid_rows: set[int]) -> list[Finding]:
    ids = table.frame[key]
    given = ids.notna()
    later = ids.duplicated(keep="first")
    repeated = given & later
    if not repeated.any():
        return []
    first_row = ids[given & ~later]
    first_row = first_row[first_row.isin(ids[repeated])]
    first_row = pd.Series(first_row.index, index=first_row.values)
    column = table.columns[key]
    noun = "contract id" if key == "contract_id" else "seat id"
    findings = []
    for row, value in ids[repeated].items():
        first = int(first_row[value])
        cell = f"{column.letter}{row}"
        findings.append(
            Finding(
                kind="duplicate_key",
                severity="warning",
                subject=value,
                client=_text_or_none(table.frame.at[row, "client"]),
                contract_id=_text_or_none(table.frame.at[row, "contract_id"]),
                tab=table.tab,
                row=int(row),
                column=column.header,
                cell=cell,
                value=value,
                message=_repeat_message(noun, value, f"{table.tab}!{cell}", first, invalid_rows),
            )
        )
    return findings


def _repeat_message(noun: str, value: str, where: str, first: int, invalid_rows) -> str:
    if first in invalid_rows:
        # The first row is left out for a bad cell, so neither row is used: guessing
        # that this one is the real record could hide the wrong contract's seats.
        return (
            f"{noun.capitalize()} {value} on {where} repeats row {first}, which has an "
            f"invalid cell; neither row is used until row {first} is corrected and this "
            f"row gets its own {noun} or is deleted."
        )
    return (
        f"{noun.capitalize()} {value} on {where} repeats row {first}; "
        f"only row {first} is used, so give this row its own {noun} or delete it."
    )


def _text_or_none(value: object) -> str | None:
    return value if isinstance(value, str) else None

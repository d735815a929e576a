"""What a poll found: one record per thing a human should look at."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SEVERITIES = ("critical", "warning", "info")
SEVERITY_RANK = {name: rank for rank, name in enumerate(SEVERITIES)}


@dataclass(frozen=True)
class Finding:
    """One problem or signal, with where it sits in the sheet when that applies.

    ``facts`` holds the values that make a finding new for the alert lifecycle
    (a renewal's threshold and end date, an over-provisioned contract's excess).
    """

    kind: str
    severity: str
    subject: str
    message: str
    client: str | None = None
    contract_id: str | None = None
    tab: str | None = None
    row: int | None = None
    column: str | None = None
    cell: str | None = None
    value: Any = None
    facts: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        # A shallow copy: dataclasses.asdict deep-copies every value, which costs the
        # alert diff a measurable share of its time at 100k seats; facts is copied so
        # callers may change it.
        return {**self.__dict__, "facts": dict(self.facts)}


def most_urgent_first(findings: list[Finding]) -> list[Finding]:
    """Critical before warning before info; then by client, contract and sheet row."""
    return sorted(
        findings,
        key=lambda f: (
            SEVERITY_RANK[f.severity],
            (f.client or "").casefold(),
            f.contract_id or "",
            f.kind,
            f.tab or "",
            f.row or 0,
            f.subject,
        ),
    )

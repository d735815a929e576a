"""How a poll's report reads: JSON for machines, a digest for people at a console."""

from __future__ import annotations

import json
from itertools import groupby

import pandas as pd

from bot.findings import SEVERITIES, SEVERITY_RANK
from bot.poll import Report

TOTAL_FIELDS = ("purchased", "allocated", "active", "suspended", "available", "retired", "free")
NO_CLIENT = "Register data (no client)"


def as_dict(report: Report) -> dict:
    return {
        "as_of": report.as_of.isoformat(),
        "register": report.register,
        "counts": {s: report.count(s) for s in SEVERITIES},
        "findings": [f.to_dict() for f in report.findings],
        "totals": totals_records(report.totals),
    }


def totals_records(totals: pd.DataFrame) -> list[dict]:
    records = []
    for row in totals.to_dict("records"):
        record = {
            "contract_id": row["contract_id"],
            "client": row["client"],
            "product": None if pd.isna(row["product"]) else row["product"],
            "status": row["status"],
            "end_date": pd.Timestamp(row["end_date"]).date().isoformat(),
        }
        record.update({name: int(row[name]) for name in TOTAL_FIELDS})
        records.append(record)
    return records


def as_json(report: Report) -> str:
    return json.dumps(as_dict(report), indent=2, ensure_ascii=False)


def digest(report: Report) -> str:
    """Most urgent first, grouped by client, one line per finding, a summary line last."""
    lines = [f"seatbot: {report.register}, as of {report.as_of.isoformat()}", ""]
    groups: dict[str, list] = {}
    for finding in report.findings:
        groups.setdefault(finding.client or NO_CLIENT, []).append(finding)

    def urgency(item):
        name, findings = item
        return (
            min(SEVERITY_RANK[f.severity] for f in findings),
            name == NO_CLIENT,
            name.casefold(),
        )

    for client, findings in sorted(groups.items(), key=urgency):
        lines.append(client)
        for _, same in groupby(findings, key=lambda f: f.severity):
            for f in same:
                where = f"{f.tab}!{f.cell}" if f.cell else (f.tab or "")
                lines.append(f"  {f.severity.upper():<8} {f.kind:<32} {where:<14} {f.message}")
        lines.append("")
    if not report.findings:
        lines.append("Nothing needs attention.")
        lines.append("")
    lines.append(summary_line(report))
    return "\n".join(lines)


def summary_line(report: Report) -> str:
    counts = ", ".join(f"{report.count(s)} {s}" for s in SEVERITIES)
    contracts = len(report.totals)
    seats = report.seats.rows_read
    return (
        f"{_count(len(report.findings), 'finding')} ({counts}) across "
        f"{_count(contracts, 'contract')} and {_count(seats, 'seat row')}."
    )


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"

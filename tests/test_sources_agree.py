"""The same register gives the same findings from an .xlsx file and from Google Sheets."""

from __future__ import annotations

from pathlib import Path

from bot import poll
from bot.config import parse
from bot.workbook import WorkbookSource

ROOT = Path(__file__).resolve().parent.parent
REGISTER = ROOT / "examples" / "register.xlsx"
AS_OF = __import__("datetime").date(2026, 12, 3)


def comparable(report: poll.Report) -> list[tuple]:
    # Cell values keep their source's type (a date cell is a datetime in the workbook
    # and a serial number in Sheets), so findings are compared on what a person reads.
    return sorted(
        (f.kind, f.severity, f.subject, f.tab, f.row, f.column, f.cell, f.message)
        for f in report.findings
    )


def test_the_bundled_register_reads_the_same_from_xlsx_and_from_google_sheets(
    sheets_standin, sheets_source
):
    workbook = WorkbookSource(REGISTER)
    grids = workbook.read(["Contracts", "Seats"])
    key = sheets_standin.create_spreadsheet(
        "Seat register", {name: tab.grid for name, tab in grids.items()}
    )
    config = parse({"register": {"path": str(REGISTER)}})

    from_xlsx = poll.check(config, workbook, AS_OF)
    from_sheets = poll.check(config, sheets_source(key), AS_OF)

    assert len(from_xlsx.findings) == 18
    assert comparable(from_sheets) == comparable(from_xlsx)
    totals = ["contract_id", "purchased", "allocated", "active", "suspended", "free"]
    assert from_sheets.totals[totals].to_dict("records") == from_xlsx.totals[totals].to_dict(
        "records"
    )
    assert sheets_standin.count("values.batchGet") == 1

"""Write-back: seatbot's own tabs in the sheet or workbook, never a teammate's edit at risk."""

from __future__ import annotations

import datetime as dt
import io
import os
import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot import job
from bot.config import ConfigError, parse
from bot.console import ConsoleDelivery
from bot.state import Store
from bot.workbook import WorkbookSource

ROOT = Path(__file__).resolve().parent.parent
REGISTER = ROOT / "examples" / "register.xlsx"
AS_OF = dt.date(2026, 12, 3)
FORMULA_TEXT = '=IMPORTXML("http://x","//a")'


def poll(config, source, store):
    return job.run_poll(config, source, store, ConsoleDelivery(io.StringIO()), AS_OF)


def edit_register(path: Path, seat_id: str, **cells) -> None:
    """Change cells of one seat row as a teammate would, in Excel."""
    columns = {"status": 6, "assigned_to": 4, "client": 2}
    workbook = load_workbook(path)
    for row in workbook["Seats"].iter_rows(min_row=3):
        if row[0].value == seat_id:
            for name, value in cells.items():
                row[columns[name]].value = value
                row[columns[name]].data_type = "s"
    workbook.save(path)


def sheet_contents(path: Path, tabs: list[str]) -> dict:
    workbook = load_workbook(path)  # formulas as written, not their cached values
    return {
        tab: [[cell.value for cell in row] for row in workbook[tab].iter_rows()] for tab in tabs
    }


@pytest.fixture
def xlsx_setup(tmp_path):
    register = tmp_path / "register.xlsx"
    shutil.copy(REGISTER, register)

    def build(**writeback):
        config = parse(
            {
                "register": {"path": str(register)},
                "state": {"path": str(tmp_path / "state.sqlite")},
                "writeback": {"enabled": True, **writeback},
            }
        )
        return config, WorkbookSource(register), Store(config.state.path)

    return register, build


def test_a_companion_workbook_gets_the_tabs_and_an_unchanged_poll_writes_nothing(xlsx_setup):
    register, build = xlsx_setup
    config, source, store = build()
    companion = register.with_name("register.seatbot.xlsx")

    first = poll(config, source, store)
    assert first.written.tabs == ["seatbot", "seatbot log"]
    stamp = companion.stat().st_mtime_ns
    second = poll(config, source, store)
    assert second.written.tabs == []
    assert companion.stat().st_mtime_ns == stamp

    summary = list(load_workbook(companion)["seatbot"].iter_rows(values_only=True))
    assert summary[1][:5] == ("Contract", "Client", "Product", "Purchased", "Allocated")
    northwind = next(row for row in summary if row[0] == "NW-2024-01")
    assert northwind[1:10] == ("Northwind Traders", "Atlas Pro", 10, 12, 11, 1, 1, 0, 1.2)
    assert northwind[10:12] == ("2027-01-10", 38)
    assert northwind[12] == 2  # over-provisioned and renewal due


def test_a_status_edited_between_polls_shows_in_the_log_with_before_and_after(xlsx_setup):
    register, build = xlsx_setup
    config, source, store = build()
    poll(config, source, store)

    edit_register(register, "ATP-NW-0013", status="Suspended")
    poll(config, source, store)

    log = list(
        load_workbook(register.with_name("register.seatbot.xlsx"))["seatbot log"].iter_rows(
            values_only=True
        )
    )
    assert log[0] == ("When (UTC)", "What", "Subject", "Field", "Before", "After", "Detail")
    events = [row[1:6] for row in log[1:] if not row[1].startswith("alert")]
    assert events == [("seats suspended", "ATP-NW-0013", "status", "available", "suspended")]
    alerts = [row for row in log if row[1] == "alert new"]
    assert len(alerts) == 18  # the first poll's alerts, logged once


def test_formula_like_text_from_the_sheet_is_written_back_as_text_in_xlsx(xlsx_setup):
    register, build = xlsx_setup
    config, source, store = build()
    poll(config, source, store)
    edit_register(register, "ATP-NW-0013", assigned_to=FORMULA_TEXT)
    poll(config, source, store)

    companion = load_workbook(register.with_name("register.seatbot.xlsx"))
    cells = [
        cell
        for row in companion["seatbot log"].iter_rows()
        for cell in row
        if cell.value == FORMULA_TEXT
    ]
    assert len(cells) == 1
    assert cells[0].data_type == "s"  # a string cell: Excel will not run it


def test_writing_into_the_register_keeps_every_other_tab_and_a_backup(xlsx_setup):
    register, build = xlsx_setup
    config, source, store = build(into_register=True)
    before = sheet_contents(register, ["Contracts", "Seats"])

    result = poll(config, source, store)

    assert result.written.tabs == ["seatbot", "seatbot log"]
    assert sheet_contents(register, ["Contracts", "Seats"]) == before
    assert load_workbook(register).sheetnames == ["Contracts", "Seats", "seatbot", "seatbot log"]
    backup = register.with_name("register.seatbot-backup.xlsx")
    assert load_workbook(backup).sheetnames == ["Contracts", "Seats"]
    assert poll(config, source, store).written.tabs == []  # nothing changed, no write


def test_a_register_saved_by_someone_since_the_read_is_left_alone(xlsx_setup, caplog):
    register, build = xlsx_setup
    config, source, store = build(into_register=True)
    source.read(["Contracts", "Seats"])
    edit_register(register, "ATP-NW-0013", status="retired")  # a teammate saves meanwhile
    edited = register.read_bytes()

    from bot import writeback

    report = job.poll.check(config, WorkbookSource(register), AS_OF)
    written = writeback.write_back(config, source, store, report)

    assert written.tabs == [] and written.skipped == "register changed since it was read"
    assert register.read_bytes() == edited
    assert "someone is editing" in caplog.text


def test_google_sheets_write_back_is_one_request_and_none_when_nothing_changed(
    sheets_standin, sheets_source
):
    grids = WorkbookSource(REGISTER).read(["Contracts", "Seats"])
    key = sheets_standin.create_spreadsheet(
        "Register", {name: tab.grid for name, tab in grids.items()}
    )
    # A teammate types formula-like text into Northwind's client cell (stored as text).
    sheets_source(key, write=True).write({"'Contracts'!B4": [[FORMULA_TEXT]]})
    config = parse(
        {
            "register": {"source": "google_sheets", "spreadsheet": key},
            "writeback": {"enabled": True},
        }
    )
    source = sheets_source(key, write=True)
    store = Store(":memory:")
    own_tabs_before = {tab: sheets_standin.values(key, tab) for tab in ("Contracts", "Seats")}

    poll(config, source, store)
    assert sheets_standin.count("spreadsheets.batchUpdate") == 1  # the two tabs added
    assert sheets_standin.count("values.batchUpdate") == 2  # the teammate's, then seatbot's
    summary = sheets_standin.values(key, "seatbot")
    assert [FORMULA_TEXT, "NW-2024-01"] in [row[1::-1] for row in summary]

    poll(config, source, store)
    assert sheets_standin.count("values.batchUpdate") == 2  # unchanged: no write at all
    assert sheets_standin.count("values.batchGet") == 2
    written = [call for call in sheets_standin.calls if call.api == "values.batchUpdate"]
    ranges = [entry["range"] for entry in written[1].body["data"]]
    assert ranges == ["'seatbot'!A1", "'seatbot log'!A1"]
    assert written[1].body["valueInputOption"] == "RAW"
    assert {tab: sheets_standin.values(key, tab) for tab in own_tabs_before} == own_tabs_before


@pytest.mark.parametrize("tab", ["Contracts", "Seats"])
def test_write_back_refuses_to_target_the_register_tabs(tab):
    with pytest.raises(ConfigError, match=f"writeback.summary_tab = '{tab}' is not allowed"):
        parse({"register": {"path": "r.xlsx"}, "writeback": {"summary_tab": tab}})


def test_writing_into_a_shared_register_keeps_its_permissions(xlsx_setup):
    register, build = xlsx_setup
    register.chmod(0o664)  # the team's group may edit it
    config, source, store = build(into_register=True)

    poll(config, source, store)

    assert register.stat().st_mode & 0o777 == 0o664
    companion_mode = register.with_name("register.seatbot-backup.xlsx").stat().st_mode
    assert companion_mode & 0o777 == 0o664  # the backup is a copy, permissions and all


def test_a_new_companion_workbook_gets_the_usual_permissions(xlsx_setup):
    register, build = xlsx_setup
    config, source, store = build()
    mask = os.umask(0o022)
    try:
        poll(config, source, store)
    finally:
        os.umask(mask)

    assert register.with_name("register.seatbot.xlsx").stat().st_mode & 0o777 == 0o644

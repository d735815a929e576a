"""Cells real spreadsheets hold that once stopped a whole poll: each is now one finding
at most, and every other row is still reconciled."""

from __future__ import annotations

import datetime as dt
import json

from registers import check_rows, contract, kinds, of_kind, seat, seats_on, totals_of

from bot import report as report_module

D = dt.date


def test_a_never_expires_date_far_in_the_future_is_an_ordinary_date(tmp_path):
    result = check_rows(
        tmp_path,
        [contract("C-1", end_date="31/12/9999"), contract("C-2", end_date=D(9999, 12, 31))],
        [seat("S-1", "C-1", expires_on=D(9999, 12, 31)), seat("S-2", "C-2")],
    )

    assert kinds(result) == []  # S-1 expires the day its contract ends: fine
    assert totals_of(result, "C-1")["end_date"] == dt.datetime(9999, 12, 31)
    assert totals_of(result, "C-2")["allocated"] == 1
    json.loads(report_module.as_json(result))  # and the report still serialises


def test_a_poll_far_in_the_future_still_runs(tmp_path):
    result = check_rows(tmp_path, [contract("C-1")], seats_on("C-1", 2), as_of=D(2300, 1, 1))

    assert kinds(result) == [("contract_ended_seats_active", "C-1")]


def test_full_width_digits_are_not_a_seat_count(tmp_path):
    result = check_rows(
        tmp_path,
        [contract("C-1", seats="１０"), contract("C-2", seats="٣")],
        seats_on("C-1", 1),
    )

    messages = [f.message for f in of_kind(result, "invalid_value")]
    assert messages == [
        "Contracts!D2 (Seats) = '１０' is not a whole number; correct the cell (the row is "
        "left out until then).",
        "Contracts!D3 (Seats) = '٣' is not a whole number; correct the cell (the row is "
        "left out until then).",
    ]


def test_a_time_of_day_in_a_date_column_is_reported_and_the_json_report_still_works(tmp_path):
    result = check_rows(
        tmp_path, [contract("C-1")], [seat("S-1", activated_on=dt.time(10, 0)), seat("S-2")]
    )

    [finding] = of_kind(result, "invalid_value")
    assert finding.cell == "G2" and finding.value == "10:00:00"
    assert "is not a date" in finding.message
    assert json.loads(report_module.as_json(result))["findings"][0]["value"] == "10:00:00"
    assert totals_of(result, "C-1")["allocated"] == 1


def test_a_missing_column_names_the_header_row_not_the_first_data_row(tmp_path):
    from registers import check, write_workbook

    path = write_workbook(
        tmp_path / "register.xlsx",
        {
            "Contracts": [
                ["Contract #", None, "Product", "Seats", "Start", "End"],
                ["C-1", "Acme Corporation", "Atlas Pro", 10, D(2026, 1, 1), D(2027, 1, 1)],
            ],
            "Seats": [["Seat ID", "Contract ID", "Status"]],
        },
    )

    [finding] = check(path).findings
    assert finding.kind == "missing_column"
    assert "(headers found: 'Contract #', 'Product', 'Seats', 'Start', 'End')" in (finding.message)


def test_two_columns_read_as_one_field_are_named_in_a_warning(tmp_path, caplog):
    from registers import check, write_workbook

    path = write_workbook(
        tmp_path / "register.xlsx",
        {
            "Contracts": [
                ["Contract #", "Client", "Seats", "Seats Purchased", "Start", "End"],
                ["C-1", "Acme", 10, 10, D(2026, 1, 1), D(2027, 12, 31)],
            ],
            "Seats": [["Seat ID", "Contract ID", "Status"]],
        },
    )

    check(path)
    assert (
        "Contracts tab: columns C ('Seats') and D ('Seats Purchased') both read as seats; "
        "using C, the first" in caplog.text
    )


def test_a_file_that_is_not_an_xlsx_workbook_says_so(tmp_path):
    import pytest

    from bot.source import RegisterError
    from bot.workbook import WorkbookSource

    path = tmp_path / "register.xlsx"
    path.write_text("Contract,Client\nC-1,Acme\n")  # a CSV saved under the wrong name

    with pytest.raises(RegisterError) as raised:
        WorkbookSource(path).read(["Contracts", "Seats"])

    assert str(raised.value) == (
        f"register workbook {path} is not an .xlsx workbook (an old .xls, a CSV or another "
        "file renamed?); save it from Excel as .xlsx"
    )
    assert raised.value.retryable is False


def test_common_header_spellings_email_address_and_price_per_seat_are_understood(tmp_path):
    from registers import check, write_workbook

    path = write_workbook(
        tmp_path / "register.xlsx",
        {
            "Contracts": [
                ["Contract ID", "Client", "Seats", "Start", "End", "Price / seat"],
                ["C-1", "Acme", 1, D(2026, 1, 1), D(2027, 12, 31), 40],
            ],
            "Seats": [
                ["Seat ID", "Contract ID", "Status", "Email address"],
                ["S-1", "C-1", "active", "ann@acme.example"],
                ["S-2", "C-1", "active", "not an address"],
            ],
        },
    )

    result = check(path)

    [invalid] = of_kind(result, "invalid_value")
    assert invalid.column == "Email address" and invalid.cell == "D3"
    assert totals_of(result, "C-1")["price_per_seat"] == 40

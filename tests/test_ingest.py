"""Reading a register as people lay it out: titles, odd headers, aliases, spacer rows."""

from __future__ import annotations

from registers import (
    D,
    check,
    contract,
    kinds,
    of_kind,
    seat,
    write_register,
    write_workbook,
)


def test_a_merged_title_row_above_the_header_is_not_taken_for_the_header(tmp_path):
    path = write_register(
        tmp_path / "r.xlsx",
        [contract(end_date=D(2027, 1, 1))],
        [seat(email="not an email")],
        title="Client contracts - one row per signed contract",
    )

    report = check(path)

    assert report.contracts.frame.index.tolist() == [3]
    [renewal] = of_kind(report, "renewal_due")
    assert (renewal.tab, renewal.row, renewal.cell) == ("Contracts", 3, "F3")
    [bad_email] = of_kind(report, "invalid_value")
    assert (bad_email.tab, bad_email.row, bad_email.column, bad_email.cell) == (
        "Seats",
        3,
        "Email",
        "E3",
    )


def test_the_header_is_found_below_a_title_and_empty_rows(tmp_path):
    grid = [
        ["Seat register"],
        None,
        None,
        ["Contract ID", "Client", "Seats", "Start date", "End date"],
        ["C-1", "Acme", "ten", D(2026, 1, 1), D(2027, 12, 31)],
    ]
    path = write_workbook(
        tmp_path / "r.xlsx",
        {"Contracts": grid, "Seats": [["Seat ID", "Contract ID", "Status"]]},
    )

    [finding] = check(path).findings

    assert finding.message == (
        "Contracts!C5 (Seats) = 'ten' is not a whole number; "
        "correct the cell (the row is left out until then)."
    )


def test_headers_differing_in_case_spaces_and_punctuation_are_matched(tmp_path):
    headers = {
        "contract_id": "CONTRACT-ID",
        "client": "  client ",
        "seats": "Seats.",
        "start_date": "start_date",
        "end_date": "END  DATE",
        "auto_renew": "Auto-Renew?",
        "status": "Status:",
    }
    path = write_register(
        tmp_path / "r.xlsx",
        [contract(seats="twenty")],
        contract_headers=headers,
    )

    report = check(path)

    [finding] = report.findings
    assert (finding.column, finding.cell) == ("Seats.", "D2")
    assert {name: column.header for name, column in report.contracts.columns.items()} == {
        "contract_id": "CONTRACT-ID",
        "client": "client",
        "product": "Product",
        "seats": "Seats.",
        "start_date": "start_date",
        "end_date": "END  DATE",
        "auto_renew": "Auto-Renew?",
        "status": "Status:",
    }


def test_common_header_names_from_other_tools_are_known_without_config(tmp_path):
    contract_headers = {
        "contract_id": "Agreement ID",
        "client": "Company",
        "seats": "Qty",
        "start_date": "Effective date",
        "end_date": "Expiry date",
        "price_per_seat": "Unit price",
    }
    seat_headers = {
        "seat_id": "License Key",
        "contract_id": "Contract No.",
        "client": "Customer",
        "assigned_to": "Licensed to name",
        "email": "E-mail",
        "status": "Seat status",
    }
    path = write_register(
        tmp_path / "r.xlsx",
        [contract(seats=1, price_per_seat=30)],
        [seat("S-1"), seat("S-2")],
        contract_headers=contract_headers,
        seat_headers=seat_headers,
    )

    [finding] = check(path).findings

    assert finding.kind == "over_provisioned"
    assert finding.column == "Qty"
    assert "(a true-up of 30.00 EUR)" in finding.message


def test_a_header_nobody_anticipated_is_reported_as_missing_with_the_headers_found(tmp_path):
    path = write_register(
        tmp_path / "r.xlsx",
        [contract()],
        contract_headers={"seats": "Seat count"},
    )

    report = check(path)

    [finding] = report.findings
    assert finding.kind == "missing_column"
    assert finding.severity == "critical"
    assert finding.subject == "Contracts.seats"
    assert finding.tab == "Contracts"
    assert finding.message == (
        "The Contracts tab has no seats column (headers found: 'Contract ID', 'Client', "
        "'Product', 'Seat count', 'Start date', 'End date', 'Auto renew', 'Status'); add it, "
        "or map its header under [aliases.contracts] in the config."
    )


def test_an_alias_from_config_maps_that_header(tmp_path):
    path = write_register(
        tmp_path / "r.xlsx",
        [contract(seats=1)],
        [seat("S-1"), seat("S-2")],
        contract_headers={"seats": "Seat count"},
        seat_headers={"seat_id": "Activation code"},
    )

    report = check(
        path,
        aliases={"contracts": {"seats": ["Seat count"]}, "seats": {"seat_id": "Activation code"}},
    )

    assert kinds(report) == [("over_provisioned", "C-1")]
    assert report.contracts.columns["seats"].header == "Seat count"
    assert report.seats.columns["seat_id"].header == "Activation code"


def test_a_missing_seats_column_disables_the_seats_tab_but_contracts_are_still_checked(
    tmp_path,
):
    path = write_register(
        tmp_path / "r.xlsx",
        [contract(end_date=D(2027, 1, 1))],
        [seat()],
        seat_fields=["seat_id", "client", "status"],
    )

    report = check(path)

    assert kinds(report) == [
        ("missing_column", "Seats.contract_id"),
        ("renewal_due", "C-1"),
    ]


def test_blank_spacer_rows_are_skipped_and_later_rows_keep_their_sheet_numbers(tmp_path):
    path = write_register(
        tmp_path / "r.xlsx",
        [contract(), None, None, contract("C-2", seats="lots")],
        [seat("S-1"), None, seat("S-2", email="s2 at acme"), None, seat("S-3")],
    )

    report = check(path)

    assert report.seats.rows_read == 3
    assert report.seats.frame.index.tolist() == [2, 6]
    assert sorted((f.tab, f.row, f.cell) for f in of_kind(report, "invalid_value")) == [
        ("Contracts", 5, "D5"),
        ("Seats", 4, "E4"),
    ]


def test_a_row_of_empty_text_cells_counts_as_blank(tmp_path):
    path = write_register(
        tmp_path / "r.xlsx",
        [contract(), {"contract_id": "  ", "client": "", "seats": " "}],
    )

    report = check(path)

    assert report.findings == []
    assert report.contracts.rows_read == 1


def test_columns_seatbot_does_not_know_are_ignored(tmp_path):
    grid = [
        ["Notes", "Contract ID", "Client", "Seats", "Start date", "End date", "Region"],
        ["call back", "C-1", "Acme", 5, D(2026, 1, 1), D(2027, 12, 31), "EMEA"],
    ]
    path = write_workbook(
        tmp_path / "r.xlsx",
        {"Contracts": grid, "Seats": [["Seat ID", "Contract", "Status"]]},
    )

    report = check(path)

    assert report.findings == []
    assert report.contracts.columns["seats"].letter == "D"


def test_tab_names_come_from_config(tmp_path):
    path = write_register(
        tmp_path / "r.xlsx",
        [contract(end_date=D(2027, 1, 1))],
        tab_names=("Agreements", "Licences"),
    )

    report = check(path, tabs={"contracts": "Agreements", "seats": "Licences"})

    [finding] = report.findings
    assert (finding.kind, finding.tab) == ("renewal_due", "Agreements")


def test_an_empty_tab_reports_each_required_column_with_no_headers_found(tmp_path):
    path = write_workbook(tmp_path / "r.xlsx", {"Contracts": [["Contract ID"]], "Seats": []})

    report = check(path)

    assert kinds(report) == [
        ("missing_column", "Contracts.client"),
        ("missing_column", "Contracts.end_date"),
        ("missing_column", "Contracts.seats"),
        ("missing_column", "Contracts.start_date"),
        ("missing_column", "Seats.contract_id"),
        ("missing_column", "Seats.seat_id"),
        ("missing_column", "Seats.status"),
    ]
    [seat_id] = [f for f in report.findings if f.subject == "Seats.seat_id"]
    assert seat_id.message == (
        "The Seats tab has no seat_id column (headers found: none); add it, "
        "or map its header under [aliases.seats] in the config."
    )


def test_ids_typed_as_numbers_match_the_same_ids_typed_as_text(tmp_path):
    path = write_register(
        tmp_path / "r.xlsx",
        [contract(1001, seats=1)],
        [seat(7, 1001.0), seat("8", "1001")],
    )

    report = check(path)

    assert kinds(report) == [("over_provisioned", "1001")]
    assert report.seats.frame["seat_id"].tolist() == ["7", "8"]

"""Each finding kind fires when it should, and stays quiet on a near miss.

Every test is evaluated as of 2026-12-03 (registers.AS_OF); contracts built with
``contract()`` end on 2027-12-31 unless a test says otherwise.
"""

from __future__ import annotations

import datetime as dt

import pytest
from registers import (
    AS_OF,
    D,
    check_rows,
    contract,
    kinds,
    of_kind,
    seat,
    seats_on,
    totals_of,
)


def in_days(days: int) -> dt.date:
    return AS_OF + dt.timedelta(days=days)


# --- over_provisioned -------------------------------------------------------------------


def test_over_provisioned_when_more_seats_are_allocated_than_bought(tmp_path):
    report = check_rows(tmp_path, [contract(seats=10)], seats_on("C-1", 11))

    [finding] = report.findings
    assert (finding.kind, finding.severity, finding.subject) == (
        "over_provisioned",
        "critical",
        "C-1",
    )
    assert (finding.tab, finding.row, finding.column, finding.cell, finding.value) == (
        "Contracts",
        2,
        "Seats",
        "D2",
        10,
    )
    assert finding.message == (
        "Acme has 11 seats allocated on C-1 but bought 10, 1 over; "
        "invoice the extra seats or retire 1."
    )


def test_over_provisioning_names_the_true_up_when_the_contract_has_a_price(tmp_path):
    report = check_rows(
        tmp_path,
        [contract(seats=10, price_per_seat="1,250.50")],
        seats_on("C-1", 12),
        rules={"currency": "USD"},
    )

    [finding] = report.findings
    assert finding.message == (
        "Acme has 12 seats allocated on C-1 but bought 10, 2 over; "
        "invoice the extra seats (a true-up of 2,501.00 USD) or retire 2."
    )
    assert finding.facts == {"excess": 2, "allocated": 12, "purchased": 10, "true_up": 2501.0}


def test_suspended_seats_count_as_allocated_available_and_retired_do_not(tmp_path):
    seats = [
        *seats_on("C-1", 9),
        seat("SUS", status="suspended"),
        seat("AVA", status="available", assigned_to=None, email=None),
        seat("RET", status="retired"),
    ]
    report = check_rows(tmp_path, [contract(seats=10)], seats)

    assert of_kind(report, "over_provisioned") == []
    totals = totals_of(report, "C-1")
    assert {k: totals[k] for k in ("purchased", "allocated", "active", "suspended")} == {
        "purchased": 10,
        "allocated": 10,
        "active": 9,
        "suspended": 1,
    }
    assert (totals["available"], totals["retired"], totals["free"]) == (1, 1, 0)


def test_not_over_provisioned_when_allocated_equals_purchased(tmp_path):
    report = check_rows(tmp_path, [contract(seats=10)], seats_on("C-1", 10))

    assert of_kind(report, "over_provisioned") == []


def test_allocated_statuses_come_from_config(tmp_path):
    seats = [*seats_on("C-1", 10), seat("SUS", status="suspended")]

    default = check_rows(tmp_path, [contract(seats=10)], seats)
    active_only = check_rows(
        tmp_path, [contract(seats=10)], seats, rules={"allocated_statuses": ["active"]}
    )

    assert kinds(default) == [("over_provisioned", "C-1")]
    assert of_kind(active_only, "over_provisioned") == []


# --- seats_running_out ------------------------------------------------------------------


def test_seats_running_out_when_free_seats_reach_the_threshold(tmp_path):
    report = check_rows(tmp_path, [contract(seats=10)], seats_on("C-1", 8))

    [finding] = report.findings
    assert (finding.kind, finding.severity, finding.cell) == ("seats_running_out", "info", "D2")
    assert finding.message == (
        "Acme has 2 of 10 seats free on C-1; a good moment to offer more seats."
    )


def test_no_seats_running_out_with_one_free_seat_more_than_the_threshold(tmp_path):
    report = check_rows(tmp_path, [contract(seats=10)], seats_on("C-1", 7))

    assert report.findings == []


def test_the_running_out_threshold_comes_from_config(tmp_path):
    report = check_rows(
        tmp_path, [contract(seats=10)], seats_on("C-1", 7), rules={"seats_running_out_at": 3}
    )

    assert kinds(report) == [("seats_running_out", "C-1")]


def test_a_full_contract_is_running_out_but_an_over_provisioned_one_is_only_over(tmp_path):
    report = check_rows(
        tmp_path,
        [contract("FULL", seats=5), contract("OVER", seats=5)],
        [*seats_on("FULL", 5), *seats_on("OVER", 6)],
    )

    assert kinds(report) == [("over_provisioned", "OVER"), ("seats_running_out", "FULL")]


def test_pending_contracts_and_contracts_of_zero_seats_are_not_running_out(tmp_path):
    report = check_rows(
        tmp_path, [contract("PEND", seats=2, status="pending"), contract("ZERO", seats=0)]
    )

    assert report.findings == []


# --- renewal_due ------------------------------------------------------------------------


def test_renewal_due_at_exactly_90_days_with_the_90_day_threshold(tmp_path):
    report = check_rows(tmp_path, [contract(end_date=in_days(90))], seats_on("C-1", 3))

    [finding] = report.findings
    assert (finding.kind, finding.severity, finding.subject) == ("renewal_due", "warning", "C-1")
    assert (finding.column, finding.cell, finding.value) == ("End date", "F2", "2027-03-03")
    assert finding.facts == {"threshold": 90, "end_date": "2027-03-03", "days_left": 90}
    assert finding.message == (
        "C-1 for Acme (10 seats) ends on 2027-03-03, in 90 days; "
        "confirm the renewal with the client."
    )


def test_no_renewal_due_at_91_days_with_the_default_thresholds(tmp_path):
    report = check_rows(tmp_path, [contract(end_date=in_days(91))])

    assert report.findings == []


@pytest.mark.parametrize(
    ("days", "threshold", "severity", "when"),
    [
        (61, 90, "warning", "in 61 days"),
        (60, 60, "warning", "in 60 days"),
        (45, 60, "warning", "in 45 days"),
        (30, 30, "warning", "in 30 days"),
        (8, 14, "warning", "in 8 days"),
        (7, 7, "critical", "in 7 days"),
        (1, 1, "critical", "tomorrow"),
        (0, 1, "critical", "today"),
    ],
)
def test_renewal_due_names_the_reminder_threshold_it_crossed(
    tmp_path, days, threshold, severity, when
):
    end = in_days(days)
    report = check_rows(tmp_path, [contract(end_date=end)])

    [finding] = report.findings
    assert (finding.severity, finding.facts["threshold"]) == (severity, threshold)
    assert finding.message == (
        f"C-1 for Acme (10 seats) ends on {end.isoformat()}, {when}; "
        "confirm the renewal with the client."
    )


def test_reminder_days_come_from_config(tmp_path):
    contracts = [contract("C-45", end_date=in_days(45)), contract("C-20", end_date=in_days(20))]

    report = check_rows(tmp_path, contracts, rules={"renewal_reminder_days": [30]})

    [finding] = report.findings
    assert (finding.subject, finding.facts["threshold"]) == ("C-20", 30)


def test_a_contract_that_already_ended_is_no_longer_due_for_renewal(tmp_path):
    report = check_rows(tmp_path, [contract(end_date=in_days(-1))])

    assert report.findings == []


def test_an_auto_renewing_contract_gets_a_notice_deadline_instead_of_renewal_due(tmp_path):
    report = check_rows(tmp_path, [contract(end_date=in_days(45), auto_renew="yes")])

    assert kinds(report) == [("notice_deadline", "C-1")]


def test_a_terminated_contract_is_not_due_for_renewal(tmp_path):
    report = check_rows(tmp_path, [contract(end_date=in_days(45), status="terminated")])

    assert report.findings == []


# --- notice_deadline --------------------------------------------------------------------


def test_notice_deadline_counts_back_the_notice_days_from_the_end_date(tmp_path):
    end = in_days(100)  # 2027-03-13; notice of 30 days is due on 2027-02-11, in 70 days
    report = check_rows(
        tmp_path, [contract(end_date=end, auto_renew="Yes", notice_days=30)], seats_on("C-1", 3)
    )

    [finding] = report.findings
    assert (finding.kind, finding.severity, finding.subject) == (
        "notice_deadline",
        "warning",
        "C-1",
    )
    assert (finding.column, finding.cell, finding.value) == ("Notice days", "I2", "2027-02-11")
    assert finding.facts == {
        "threshold": 90,
        "end_date": "2027-03-13",
        "notice_date": "2027-02-11",
        "days_left": 70,
    }
    assert finding.message == (
        "C-1 for Acme renews itself on 2027-03-13; notice to cancel or change it is due by "
        "2027-02-11, in 70 days, so decide now."
    )


def test_no_notice_deadline_while_the_notice_date_is_more_than_90_days_away(tmp_path):
    report = check_rows(
        tmp_path, [contract(end_date=in_days(121), auto_renew="yes", notice_days=30)]
    )

    assert report.findings == []


def test_without_notice_days_the_notice_date_is_the_end_date(tmp_path):
    report = check_rows(tmp_path, [contract(end_date=in_days(7), auto_renew="yes")])

    [finding] = report.findings
    assert (finding.kind, finding.severity, finding.cell) == ("notice_deadline", "critical", "F2")
    assert finding.facts["notice_date"] == in_days(7).isoformat()


def test_no_notice_deadline_once_the_notice_date_has_passed(tmp_path):
    report = check_rows(
        tmp_path, [contract(end_date=in_days(20), auto_renew="yes", notice_days=30)]
    )

    assert report.findings == []


# --- contract_ended_seats_active ----------------------------------------------------------


def test_ended_contract_with_seats_still_allocated(tmp_path):
    seats = [*seats_on("C-1", 2), seat("SUS", status="suspended"), seat("RET", status="retired")]
    report = check_rows(tmp_path, [contract(end_date=D(2026, 10, 31))], seats)

    [finding] = report.findings
    assert (finding.kind, finding.severity, finding.cell, finding.value) == (
        "contract_ended_seats_active",
        "critical",
        "F2",
        "2026-10-31",
    )
    assert finding.message == (
        "C-1 for Acme ended on 2026-10-31 but 3 seats are still allocated; "
        "renew it or retire the seats."
    )


def test_an_ended_contract_that_auto_renews_has_not_ended(tmp_path):
    report = check_rows(
        tmp_path, [contract(end_date=D(2026, 10, 31), auto_renew="yes")], seats_on("C-1", 3)
    )

    assert of_kind(report, "contract_ended_seats_active") == []


def test_an_ended_contract_whose_seats_are_all_retired_or_available_is_fine(tmp_path):
    seats = [seat("RET", status="retired"), seat("AVA", status="available")]
    report = check_rows(tmp_path, [contract(end_date=D(2026, 10, 31))], seats)

    assert report.findings == []


def test_a_contract_ending_today_has_not_ended_yet(tmp_path):
    report = check_rows(tmp_path, [contract(end_date=AS_OF)], seats_on("C-1", 2))

    assert kinds(report) == [("renewal_due", "C-1")]


def test_an_ended_over_provisioned_contract_is_reported_as_ended_only(tmp_path):
    report = check_rows(
        tmp_path, [contract(seats=1, end_date=D(2026, 10, 31))], seats_on("C-1", 3)
    )

    assert kinds(report) == [("contract_ended_seats_active", "C-1")]


# --- contract_terminated_seats_active -----------------------------------------------------


def test_terminated_contract_with_seats_still_allocated(tmp_path):
    seats = [seat("A"), seat("B", status="suspended"), seat("C", status="retired")]
    report = check_rows(tmp_path, [contract(status=" Terminated")], seats)

    [finding] = report.findings
    assert (finding.kind, finding.severity, finding.column, finding.cell, finding.value) == (
        "contract_terminated_seats_active",
        "critical",
        "Status",
        "H2",
        "terminated",
    )
    assert finding.message == (
        "C-1 for Acme is terminated but 2 seats are still allocated; retire them."
    )


def test_a_terminated_contract_with_nothing_allocated_says_nothing(tmp_path):
    report = check_rows(
        tmp_path,
        [contract(status="terminated", seats=2, end_date=D(2026, 10, 31))],
        [seat("A", status="retired"), seat("B", status="available")],
    )

    assert report.findings == []


def test_a_terminated_contract_past_its_end_date_is_reported_as_terminated_only(tmp_path):
    report = check_rows(
        tmp_path,
        [contract(status="terminated", seats=1, end_date=D(2026, 10, 31))],
        seats_on("C-1", 3),
    )

    assert kinds(report) == [("contract_terminated_seats_active", "C-1")]


# --- seat_outlives_contract and seat_expired_active ---------------------------------------


def test_a_seat_expiring_after_its_contract_ends_outlives_it(tmp_path):
    report = check_rows(tmp_path, [contract()], [seat("S-1", expires_on=D(2028, 6, 30))])

    [finding] = report.findings
    assert (finding.kind, finding.severity, finding.subject) == (
        "seat_outlives_contract",
        "warning",
        "S-1",
    )
    assert (finding.tab, finding.row, finding.column, finding.cell, finding.value) == (
        "Seats",
        2,
        "Expires on",
        "G2",
        "2028-06-30",
    )
    assert finding.message == (
        "Seat S-1 expires on 2028-06-30, after its contract C-1 ends on 2027-12-31; "
        "shorten the seat's expiry or extend the contract."
    )


def test_a_seat_expiring_on_the_contracts_end_date_does_not_outlive_it(tmp_path):
    report = check_rows(tmp_path, [contract()], [seat("S-1", expires_on="2027-12-31")])

    assert report.findings == []


def test_a_retired_seat_with_a_late_expiry_is_left_alone(tmp_path):
    report = check_rows(
        tmp_path, [contract()], [seat("S-1", status="retired", expires_on=D(2028, 6, 30))]
    )

    assert report.findings == []


def test_an_active_seat_past_its_own_expiry(tmp_path):
    report = check_rows(tmp_path, [contract()], [seat("S-1", expires_on="2026-11-15")])

    [finding] = report.findings
    assert (finding.kind, finding.cell, finding.value) == (
        "seat_expired_active",
        "G2",
        "2026-11-15",
    )
    assert finding.message == (
        "Seat S-1 expired on 2026-11-15 but is still active; retire it or extend its expiry."
    )


@pytest.mark.parametrize(
    ("status", "expires_on"),
    [("retired", D(2026, 11, 15)), ("available", D(2026, 11, 15)), ("active", AS_OF)],
)
def test_no_seat_expired_active_for_retired_seats_or_a_seat_expiring_today(
    tmp_path, status, expires_on
):
    report = check_rows(
        tmp_path, [contract()], [seat("S-1", status=status, expires_on=expires_on)]
    )

    assert report.findings == []


def test_a_seat_without_its_own_expiry_is_neither_expired_nor_outliving(tmp_path):
    report = check_rows(tmp_path, [contract()], [seat("S-1", expires_on=None)])

    assert report.findings == []


# --- duplicate_assignment ---------------------------------------------------------------


def test_one_person_holding_two_allocated_seats_on_one_contract(tmp_path):
    seats = [
        seat("S-1", assigned_to="Ann", email="ann@acme.example"),
        seat("S-2", assigned_to="Bob", email="bob@acme.example"),
        seat("S-3", assigned_to="Ann", email=" ANN@acme.example", status="suspended"),
    ]
    report = check_rows(tmp_path, [contract()], seats)

    [finding] = report.findings
    assert (finding.kind, finding.subject, finding.cell, finding.value) == (
        "duplicate_assignment",
        "S-3",
        "E4",
        "ANN@acme.example",
    )
    assert finding.message == (
        "ANN@acme.example holds more than one allocated seat on C-1 (S-1, S-3); "
        "retire or reassign seat S-3."
    )


def test_without_emails_the_same_name_is_the_same_person(tmp_path):
    seats = [
        seat("S-1", assigned_to="Ann Lee", email=None),
        seat("S-2", assigned_to="ann lee ", email=None),
    ]
    report = check_rows(tmp_path, [contract()], seats)

    [finding] = report.findings
    assert (finding.kind, finding.subject, finding.column) == (
        "duplicate_assignment",
        "S-2",
        "Assigned to",
    )


def test_the_same_person_on_two_different_contracts_is_fine(tmp_path):
    seats = [
        seat("S-1", "C-1", email="ann@acme.example"),
        seat("S-2", "C-2", email="ann@acme.example"),
    ]
    report = check_rows(tmp_path, [contract("C-1"), contract("C-2")], seats)

    assert report.findings == []


def test_a_person_whose_second_seat_is_retired_or_available_holds_one_seat(tmp_path):
    seats = [
        seat("S-1", email="ann@acme.example"),
        seat("S-2", email="ann@acme.example", status="retired"),
        seat("S-3", email="ann@acme.example", status="available"),
    ]
    report = check_rows(tmp_path, [contract()], seats)

    assert report.findings == []


def test_unassigned_available_seats_are_not_one_person(tmp_path):
    seats = [seat(f"S-{n}", status="available", assigned_to=None, email=None) for n in range(3)]
    report = check_rows(tmp_path, [contract()], seats)

    assert report.findings == []


# --- unknown_contract and client_mismatch -------------------------------------------------


def test_a_seat_naming_a_contract_that_is_not_in_contracts(tmp_path):
    report = check_rows(tmp_path, [contract()], [seat("S-1", "C-404", client="LexCorp")])

    [finding] = report.findings
    assert (finding.kind, finding.severity, finding.subject, finding.client) == (
        "unknown_contract",
        "warning",
        "S-1",
        "LexCorp",
    )
    assert (finding.column, finding.cell, finding.value) == ("Contract ID", "B2", "C-404")
    assert finding.message == (
        "Seat S-1 names contract C-404, which is not in the Contracts tab; "
        "correct the contract id or add the contract."
    )


def test_contract_ids_match_exactly_after_trimming_spaces(tmp_path):
    report = check_rows(tmp_path, [contract(" C-1 ")], [seat("S-1", "C-1  ")])

    assert report.findings == []


def test_seats_of_an_invalid_contract_row_are_not_unknown_contracts(tmp_path):
    report = check_rows(tmp_path, [contract(auto_renew="sometimes")], [seat("S-1"), seat("S-2")])

    assert kinds(report) == [("invalid_value", "C-1")]


def test_a_seat_filed_under_another_client(tmp_path):
    report = check_rows(tmp_path, [contract(client="Globex")], [seat("S-1", client="Initech")])

    [finding] = report.findings
    assert (finding.kind, finding.client, finding.cell, finding.value) == (
        "client_mismatch",
        "Globex",
        "C2",
        "Initech",
    )
    assert finding.message == (
        "Seat S-1 is filed under Initech but its contract C-1 belongs to Globex; "
        "correct the seat's client or move it to the right contract."
    )


@pytest.mark.parametrize("client", ["ACME", " acme ", None])
def test_client_case_spaces_and_blanks_are_no_mismatch(tmp_path, client):
    report = check_rows(tmp_path, [contract(client="Acme")], [seat("S-1", client=client)])

    assert report.findings == []


# --- a quiet register -------------------------------------------------------------------


def test_a_healthy_register_has_nothing_to_say(tmp_path):
    report = check_rows(
        tmp_path,
        [contract("C-1", seats=10), contract("C-2", seats=50, auto_renew="yes", notice_days=30)],
        [*seats_on("C-1", 5), *seats_on("C-2", 20), seat("AVA", status="available")],
    )

    assert report.findings == []
    assert totals_of(report, "C-2")["free"] == 30

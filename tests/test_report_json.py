"""The report as machines read it (JSON) and as people read it (the console digest)."""

from __future__ import annotations

import json

import pytest
from registers import D, check_rows, contract, seat, seats_on

from bot.report import as_json, digest

FINDING_FIELDS = {
    "kind",
    "severity",
    "subject",
    "message",
    "client",
    "contract_id",
    "tab",
    "row",
    "column",
    "cell",
    "value",
    "facts",
}


@pytest.fixture
def report(tmp_path):
    contracts = [
        contract("GLX-1", client="Globex", seats=2, price_per_seat=40),
        contract("ACM-1", client="Acme", seats=5, end_date=D(2027, 1, 1)),
        contract("ACM-2", client="Acme", seats="twenty"),
    ]
    seats = [
        *seats_on("GLX-1", 3, client="Globex"),
        seat("ACM-S1", "ACM-1", status="suspended"),
        seat("ACM-S2", "ACM-1", status="available", assigned_to=None, email=None),
        seat("ACM-S3", "ACM-1", email="nobody at acme"),
    ]
    return check_rows(tmp_path, contracts, seats)


def test_the_json_report_has_as_of_findings_and_totals(report):
    data = json.loads(as_json(report))

    assert set(data) == {"as_of", "register", "counts", "findings", "totals"}
    assert data["as_of"] == "2026-12-03"
    assert data["register"].endswith("register.xlsx")
    assert data["counts"] == {"critical": 1, "warning": 3, "info": 0}


def test_every_finding_carries_the_fields_the_design_lists(report):
    findings = json.loads(as_json(report))["findings"]

    assert [set(f) for f in findings] == [FINDING_FIELDS] * len(findings)
    assert [(f["kind"], f["severity"], f["subject"]) for f in findings] == [
        ("over_provisioned", "critical", "GLX-1"),
        ("invalid_value", "warning", "ACM-S3"),
        ("renewal_due", "warning", "ACM-1"),
        ("invalid_value", "warning", "ACM-2"),
    ]


def test_a_contract_finding_in_json(report):
    findings = json.loads(as_json(report))["findings"]

    assert findings[0] == {
        "kind": "over_provisioned",
        "severity": "critical",
        "subject": "GLX-1",
        "message": (
            "Globex has 3 seats allocated on GLX-1 but bought 2, 1 over; "
            "invoice the extra seats (a true-up of 40.00 EUR) or retire 1."
        ),
        "client": "Globex",
        "contract_id": "GLX-1",
        "tab": "Contracts",
        "row": 2,
        "column": "Seats",
        "cell": "D2",
        "value": 2,
        "facts": {"excess": 1, "allocated": 3, "purchased": 2, "true_up": 40.0},
    }


def test_a_seat_finding_in_json(report):
    findings = json.loads(as_json(report))["findings"]

    assert findings[1] == {
        "kind": "invalid_value",
        "severity": "warning",
        "subject": "ACM-S3",
        "message": (
            "Seats!E7 (Email) = 'nobody at acme' is not an email address; "
            "correct the cell (the row is left out until then)."
        ),
        "client": "Acme",
        "contract_id": "ACM-1",
        "tab": "Seats",
        "row": 7,
        "column": "Email",
        "cell": "E7",
        "value": "nobody at acme",
        "facts": {},
    }


def test_dates_in_json_are_iso_days(report):
    [renewal] = [f for f in json.loads(as_json(report))["findings"] if f["kind"] == "renewal_due"]

    assert renewal["value"] == "2027-01-01"
    assert renewal["facts"] == {"threshold": 30, "end_date": "2027-01-01", "days_left": 29}


def test_totals_per_contract_count_seats_by_status(report):
    totals = json.loads(as_json(report))["totals"]

    assert totals == [
        {
            "contract_id": "GLX-1",
            "client": "Globex",
            "product": "Atlas Pro",
            "status": "active",
            "end_date": "2027-12-31",
            "purchased": 2,
            "allocated": 3,
            "active": 3,
            "suspended": 0,
            "available": 0,
            "retired": 0,
            "free": 0,
        },
        {
            "contract_id": "ACM-1",
            "client": "Acme",
            "product": "Atlas Pro",
            "status": "active",
            "end_date": "2027-01-01",
            "purchased": 5,
            "allocated": 1,
            "active": 0,
            "suspended": 1,
            "available": 1,
            "retired": 0,
            "free": 4,
        },
    ]


def test_a_quiet_register_reports_no_findings_and_its_totals(tmp_path):
    report = check_rows(tmp_path, [contract(product=None)], seats_on("C-1", 4))

    data = json.loads(as_json(report))

    assert data["findings"] == []
    assert data["counts"] == {"critical": 0, "warning": 0, "info": 0}
    [totals] = data["totals"]
    assert totals["product"] is None
    assert (totals["purchased"], totals["allocated"], totals["free"]) == (10, 4, 6)


def test_the_digest_puts_the_most_urgent_first_grouped_by_client(report):
    text = digest(report)

    register = report.register
    assert text.splitlines() == [
        f"seatbot: {register}, as of 2026-12-03",
        "",
        "Globex",
        "  CRITICAL over_provisioned                 Contracts!D2   Globex has 3 seats "
        "allocated on GLX-1 but bought 2, 1 over; invoice the extra seats "
        "(a true-up of 40.00 EUR) or retire 1.",
        "",
        "Acme",
        "  WARNING  invalid_value                    Seats!E7       Seats!E7 (Email) = "
        "'nobody at acme' is not an email address; correct the cell "
        "(the row is left out until then).",
        "  WARNING  renewal_due                      Contracts!F3   ACM-1 for Acme (5 seats) "
        "ends on 2027-01-01, in 29 days; confirm the renewal with the client.",
        "  WARNING  invalid_value                    Contracts!D4   Contracts!D4 (Seats) = "
        "'twenty' is not a whole number; correct the cell (the row is left out until then).",
        "",
        "4 findings (1 critical, 3 warning, 0 info) across 2 contracts and 6 seat rows.",
    ]


def test_findings_without_a_client_come_last_under_their_own_heading(tmp_path):
    report = check_rows(
        tmp_path,
        [contract(client=None), contract("C-2", end_date=D(2026, 12, 5))],
        [seat("S-1", "C-2")],
    )

    lines = digest(report).splitlines()

    assert [line for line in lines if line and not line.startswith(" ")][1:] == [
        "Acme",
        "Register data (no client)",
        "2 findings (1 critical, 1 warning, 0 info) across 1 contract and 1 seat row.",
    ]


def test_the_digest_of_a_quiet_register_says_so(tmp_path):
    report = check_rows(tmp_path, [contract()], [seat("S-1")])

    assert digest(report).splitlines()[-3:] == [
        "Nothing needs attention.",
        "",
        "0 findings (0 critical, 0 warning, 0 info) across 1 contract and 1 seat row.",
    ]

"""Every cell is read strictly: what people type is accepted, nothing is ever guessed."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest
from registers import (
    D,
    check,
    check_rows,
    contract,
    kinds,
    of_kind,
    seat,
    seats_on,
    write_register,
    write_workbook,
)

SNIPE_IT_CSV = Path(__file__).parent / "data" / "snipe-it-licenses-sample.csv"
LEFT_OUT = "; correct the cell (the row is left out until then)."
MDY_HINT = ' (if this column is month/day/year, set register.date_order = "mdy")'
NOT_YES_OR_NO = "is not yes or no (use yes/no, true/false, y/n or 1/0)"


def only_invalid(report):
    [finding] = of_kind(report, "invalid_value")
    return finding


# --- booleans ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "read_as"),
    [
        ("yes", True),
        ("YES", True),
        (" Yes ", True),
        ("y", True),
        ("TRUE", True),
        ("true", True),
        ("1", True),
        (1, True),
        (True, True),
        ("no", False),
        ("NO", False),
        ("N", False),
        ("false", False),
        ("FALSE", False),
        ("0", False),
        (0, False),
        (False, False),
        (None, False),
        ("", False),
    ],
)
def test_auto_renew_accepts_the_usual_spellings_of_yes_and_no(tmp_path, typed, read_as):
    report = check_rows(tmp_path, [contract(auto_renew=typed)])

    assert report.findings == []
    assert report.contracts.frame.at[2, "auto_renew"] == read_as


@pytest.mark.parametrize("typed", ["sometimes", "maybe", "2", 2, "yes please"])
def test_auto_renew_rejects_anything_else_instead_of_guessing(tmp_path, typed):
    report = check_rows(tmp_path, [contract(auto_renew=typed)])

    finding = only_invalid(report)
    assert finding.message == f"Contracts!G2 (Auto renew) = {typed!r} {NOT_YES_OR_NO}{LEFT_OUT}"
    assert report.contracts.frame.empty


# --- seat counts and money --------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "read_as"),
    [(12, 12), ("12", 12), (" 7 ", 7), ("1,200", 1200), (12.0, 12), ("12.0", 12), (0, 0)],
)
def test_seat_counts_read_as_written(tmp_path, typed, read_as):
    report = check_rows(tmp_path, [contract(seats=typed)])

    assert of_kind(report, "invalid_value") == []
    assert report.contracts.frame.at[2, "seats"] == read_as


@pytest.mark.parametrize(
    ("typed", "shown", "reason"),
    [
        ("twenty", "'twenty'", "is not a whole number"),
        (12.5, "12.5", "is not a whole number"),
        ("1.200", "'1.200'", "is not a whole number"),
        ("12,00", "'12,00'", "is not a whole number"),
        (-1, "-1", "must be 0 or more"),
        ("-3", "'-3'", "must be 0 or more"),
        (None, "(blank)", "is required but blank"),
    ],
)
def test_a_seat_count_that_is_not_a_whole_number_of_zero_or_more_is_invalid(
    tmp_path, typed, shown, reason
):
    report = check_rows(tmp_path, [contract(seats=typed)])

    finding = only_invalid(report)
    assert finding.message == f"Contracts!D2 (Seats) = {shown} {reason}{LEFT_OUT}"


@pytest.mark.parametrize(
    ("typed", "read_as"),
    [("$12.58", 12.58), ("€ 1,234.50", 1234.5), (45, 45.0), (38.5, 38.5), (0, 0.0)],
)
def test_prices_per_seat_read_with_a_currency_sign_and_separators(tmp_path, typed, read_as):
    report = check_rows(tmp_path, [contract(price_per_seat=typed)])

    assert report.findings == []
    assert report.contracts.frame.at[2, "price_per_seat"] == read_as


@pytest.mark.parametrize(
    ("typed", "reason"),
    [("free", "is not an amount"), ("12,58", "is not an amount"), (-5, "must be 0 or more")],
)
def test_a_price_that_is_not_an_amount_is_invalid(tmp_path, typed, reason):
    report = check_rows(tmp_path, [contract(price_per_seat=typed)])

    assert only_invalid(report).message == (
        f"Contracts!I2 (Price per seat) = {typed!r} {reason}{LEFT_OUT}"
    )


# --- dates ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        D(2027, 3, 31),
        dt.datetime(2027, 3, 31, 0, 0),
        "2027-03-31",
        " 2027-03-31 ",
        "2027-03-31T00:00:00",
        46477,  # the spreadsheet serial number of 2027-03-31
        46477.75,  # a serial with a time of day
        "31/03/2027",
        "31.03.2027",
        "31-03-2027",
    ],
)
def test_dates_read_from_cells_serials_iso_text_and_day_month_text(tmp_path, typed):
    report = check_rows(tmp_path, [contract(end_date=typed)])

    assert of_kind(report, "invalid_value") == []
    assert report.contracts.frame.at[2, "end_date"] == dt.datetime(2027, 3, 31)


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("31/02/2026", "is not a real calendar date"),
        ("2026-02-30", "is not a real calendar date"),
        ("13/13/2026", "is not a real calendar date"),
        ("next spring", "is not a date (use YYYY-MM-DD or DD/MM/YYYY)"),
        ("March 2027", "is not a date (use YYYY-MM-DD or DD/MM/YYYY)"),
        ("31/03/27", "is not a date (use YYYY-MM-DD or DD/MM/YYYY)"),
    ],
)
def test_a_date_that_does_not_exist_or_cannot_be_read_is_invalid(tmp_path, typed, reason):
    report = check_rows(tmp_path, [contract(start_date=typed)])

    assert (
        only_invalid(report).message == f"Contracts!E2 (Start date) = {typed!r} {reason}{LEFT_OUT}"
    )


def test_text_dates_follow_the_configured_day_month_order(tmp_path):
    path = write_register(
        tmp_path / "r.xlsx", [contract(start_date="03/04/2026", end_date="2027-12-31")]
    )

    day_first = check(path, register={"date_order": "dmy"})
    month_first = check(path, register={"date_order": "mdy"})

    assert day_first.contracts.frame.at[2, "start_date"] == dt.datetime(2026, 4, 3)
    assert month_first.contracts.frame.at[2, "start_date"] == dt.datetime(2026, 3, 4)


def test_a_us_date_under_day_first_order_is_rejected_not_swapped(tmp_path):
    path = write_register(tmp_path / "r.xlsx", [contract(end_date="12/31/2027")])

    report = check(path, register={"date_order": "dmy"})

    assert only_invalid(report).message == (
        f"Contracts!F2 (End date) = '12/31/2027' is not a real calendar date{MDY_HINT}{LEFT_OUT}"
    )
    assert check(path, register={"date_order": "mdy"}).findings == []


def test_the_hint_for_unreadable_dates_follows_the_configured_order(tmp_path):
    path = write_register(tmp_path / "r.xlsx", [contract(end_date="soon")])

    report = check(path, register={"date_order": "mdy"})

    assert only_invalid(report).message == (
        f"Contracts!F2 (End date) = 'soon' is not a date (use YYYY-MM-DD or MM/DD/YYYY){LEFT_OUT}"
    )


def test_an_end_date_before_the_start_is_reported_on_the_end_date_cell(tmp_path):
    report = check_rows(tmp_path, [contract(start_date=D(2026, 5, 1), end_date=D(2026, 4, 1))])

    finding = only_invalid(report)
    assert (finding.column, finding.cell, finding.value) == ("End date", "F2", "2026-04-01")
    assert finding.message == (
        f"Contracts!F2 (End date) = '2026-04-01' is before the start date{LEFT_OUT}"
    )


def test_an_end_date_on_the_start_date_is_fine(tmp_path):
    report = check_rows(tmp_path, [contract(start_date=D(2027, 5, 1), end_date=D(2027, 5, 1))])

    assert of_kind(report, "invalid_value") == []


# --- statuses and emails ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "read_as"),
    [("Active ", "active"), ("ACTIVE", "active"), (" pending", "pending"), (None, "active")],
)
def test_contract_status_ignores_case_and_spaces_and_defaults_to_active(tmp_path, typed, read_as):
    report = check_rows(tmp_path, [contract(status=typed)])

    assert report.findings == []
    assert report.contracts.frame.at[2, "status"] == read_as


def test_an_unknown_contract_status_is_invalid(tmp_path):
    report = check_rows(tmp_path, [contract(status="Paused")])

    assert only_invalid(report).message == (
        f"Contracts!H2 (Status) = 'Paused' is not one of pending, active, terminated{LEFT_OUT}"
    )


@pytest.mark.parametrize("typed", ["Active ", "ACTIVE", " Suspended", "available", "RETIRED"])
def test_seat_status_ignores_case_and_spaces(tmp_path, typed):
    report = check_rows(tmp_path, [contract()], [seat(status=typed)])

    assert report.findings == []
    assert report.seats.frame.at[2, "status"] == typed.strip().lower()


@pytest.mark.parametrize(
    ("typed", "shown", "reason"),
    [
        ("actve", "'actve'", "is not one of active, suspended, available, retired"),
        (None, "(blank)", "is required but blank"),
    ],
)
def test_a_seat_status_that_is_unknown_or_blank_is_invalid(tmp_path, typed, shown, reason):
    report = check_rows(tmp_path, [contract()], [seat(status=typed)])

    assert only_invalid(report).message == f"Seats!F2 (Status) = {shown} {reason}{LEFT_OUT}"


@pytest.mark.parametrize("typed", ["bob at acme", "bob@acme", "bob@@acme.example", 12])
def test_an_email_that_is_not_an_address_is_invalid(tmp_path, typed):
    report = check_rows(tmp_path, [contract()], [seat(email=typed)])

    finding = only_invalid(report)
    assert (finding.subject, finding.cell, finding.value) == ("S-1", "E2", typed)
    assert finding.message == (f"Seats!E2 (Email) = {typed!r} is not an email address{LEFT_OUT}")


def test_a_blank_email_is_allowed(tmp_path):
    report = check_rows(tmp_path, [contract()], [seat(email="  "), seat("S-2", email=None)])

    assert report.findings == []


# --- what an invalid finding carries ----------------------------------------------------


def test_an_invalid_value_names_tab_row_header_cell_value_subject_and_client(tmp_path):
    path = write_register(
        tmp_path / "r.xlsx",
        [contract("C-1"), None, contract("GLX-9", client="Globex", seats="twenty")],
        contract_headers={"seats": "Seats Purchased"},
        title="Contracts 2026",
    )

    finding = only_invalid(check(path))

    assert finding.to_dict() == {
        "kind": "invalid_value",
        "severity": "warning",
        "subject": "GLX-9",
        "message": (
            "Contracts!D5 (Seats Purchased) = 'twenty' is not a whole number; "
            "correct the cell (the row is left out until then)."
        ),
        "client": "Globex",
        "contract_id": "GLX-9",
        "tab": "Contracts",
        "row": 5,
        "column": "Seats Purchased",
        "cell": "D5",
        "value": "twenty",
        "facts": {},
    }


def test_a_row_without_its_own_id_is_named_by_its_cell(tmp_path):
    report = check_rows(tmp_path, [contract(), {**contract("C-2"), "contract_id": None}])

    finding = only_invalid(report)
    assert finding.subject == "Contracts!A3"
    assert (
        finding.message == f"Contracts!A3 (Contract ID) = (blank) is required but blank{LEFT_OUT}"
    )


def test_every_bad_cell_of_a_row_is_reported(tmp_path):
    report = check_rows(
        tmp_path, [contract(seats="twenty", auto_renew="sometimes", status="paused")]
    )

    assert [f.cell for f in of_kind(report, "invalid_value")] == ["D2", "G2", "H2"]


def test_bad_rows_are_left_out_and_every_other_row_is_still_reconciled(tmp_path):
    contracts = [
        contract("C-1", seats=2),  # over-provisioned below
        contract("C-2", seats="twenty"),
        contract("C-3", end_date=D(2027, 1, 1)),  # renewal due
        contract("C-4", auto_renew="sometimes"),
        contract("C-5", start_date="31/02/2026"),
    ]
    seats = [
        *seats_on("C-1", 3),
        seat("S-BAD", "C-1", email="nobody at all"),
        seat("S-TYPO", "C-3", status="actve"),
        seat("S-LOST", "C-9"),
    ]

    report = check_rows(tmp_path, contracts, seats)

    assert kinds(report) == [
        ("invalid_value", "C-2"),
        ("invalid_value", "C-4"),
        ("invalid_value", "C-5"),
        ("invalid_value", "S-BAD"),
        ("invalid_value", "S-TYPO"),
        ("over_provisioned", "C-1"),
        ("renewal_due", "C-3"),
        ("unknown_contract", "S-LOST"),
    ]
    assert report.contracts.frame["contract_id"].tolist() == ["C-1", "C-3"]


def test_seats_of_an_invalid_contract_row_are_held_back_not_called_unknown(tmp_path):
    report = check_rows(
        tmp_path,
        [contract("C-1"), contract("C-2", seats="twenty", end_date=D(2026, 10, 1))],
        seats_on("C-2", 30),
    )

    assert kinds(report) == [("invalid_value", "C-2")]
    assert report.totals["contract_id"].tolist() == ["C-1"]


# --- duplicate keys ---------------------------------------------------------------------


def test_a_repeated_contract_id_is_reported_and_only_its_first_row_is_used(tmp_path):
    report = check_rows(
        tmp_path,
        [contract("C-1", seats=5), contract("C-2"), contract("C-1", seats=500)],
        seats_on("C-1", 6),
    )

    [duplicate] = of_kind(report, "duplicate_key")
    assert (duplicate.tab, duplicate.row, duplicate.cell, duplicate.value) == (
        "Contracts",
        4,
        "A4",
        "C-1",
    )
    assert duplicate.message == (
        "Contract id C-1 on Contracts!A4 repeats row 2; only row 2 is used, "
        "so give this row its own contract id or delete it."
    )
    assert kinds(report) == [("duplicate_key", "C-1"), ("over_provisioned", "C-1")]


def test_a_repeated_seat_id_is_reported_once_per_repeat(tmp_path):
    report = check_rows(
        tmp_path,
        [contract()],
        [seat("S-1"), seat("S-2"), seat("S-1", email="x@acme.example"), seat("S-1")],
    )

    duplicates = of_kind(report, "duplicate_key")
    assert [(f.subject, f.cell) for f in duplicates] == [("S-1", "A4"), ("S-1", "A5")]
    assert duplicates[0].message == (
        "Seat id S-1 on Seats!A4 repeats row 2; only row 2 is used, "
        "so give this row its own seat id or delete it."
    )


def test_the_same_seat_id_on_two_rows_of_which_one_is_invalid_is_still_a_duplicate(tmp_path):
    report = check_rows(tmp_path, [contract()], [seat("S-1"), seat("S-1", email="not an email")])

    assert kinds(report) == [("duplicate_key", "S-1"), ("invalid_value", "S-1")]


# --- the Snipe-IT licence export: what people really type -------------------------------

# Every boolean spelling in the export's `maintained` and `reassignable` columns, and
# what seatbot makes of it (None: an invalid_value, never a guess).
SNIPE_IT_BOOLEANS = {
    "TRUE": True,
    "true": True,
    "yes": True,
    "YES": True,
    "no": False,
    "NO": False,
    "false": False,
    "FALSE": False,
    "": False,
    "sometimes": None,
}


def snipe_it_rows() -> list[dict[str, str]]:
    with SNIPE_IT_CSV.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def snipe_it_register(tmp_path) -> Path:
    """The export's rows, all as text, as a Contracts tab."""
    with SNIPE_IT_CSV.open(newline="", encoding="utf-8") as handle:
        grid = list(csv.reader(handle))
    return write_workbook(
        tmp_path / "snipe-it.xlsx",
        {"Contracts": grid, "Seats": [["Seat ID", "Contract ID", "Status"]]},
    )


def snipe_it_aliases(bool_column: str) -> dict:
    return {
        "contracts": {
            "contract_id": "serial number",
            "client": "Licensed To Name",
            "auto_renew": bool_column,
        }
    }


def test_the_snipe_it_export_holds_exactly_the_boolean_spellings_tested_here():
    rows = snipe_it_rows()

    spellings = {row[name] for row in rows for name in ("maintained", "reassignable")}

    assert spellings == set(SNIPE_IT_BOOLEANS)


@pytest.mark.parametrize("spelling", list(SNIPE_IT_BOOLEANS))
def test_each_snipe_it_boolean_spelling_reads_as_expected(tmp_path, spelling):
    report = check_rows(tmp_path, [contract(auto_renew=spelling)])

    expected = SNIPE_IT_BOOLEANS[spelling]
    if expected is None:
        assert only_invalid(report).message == (
            f"Contracts!G2 (Auto renew) = {spelling!r} {NOT_YES_OR_NO}{LEFT_OUT}"
        )
    else:
        assert report.findings == []
        assert report.contracts.frame.at[2, "auto_renew"] == expected


@pytest.mark.parametrize("column", ["maintained", "reassignable"])
def test_the_snipe_it_export_reads_row_by_row_with_us_dates(tmp_path, column):
    rows = snipe_it_rows()
    path = snipe_it_register(tmp_path)

    report = check(path, register={"date_order": "mdy"}, aliases=snipe_it_aliases(column))

    frame = report.contracts.frame
    expected_findings = []
    for sheet_row, row in enumerate(rows, start=2):
        start = row["purchase date"]
        start_day = dt.datetime.strptime(start, "%m/%d/%Y") if start else None
        end_day = dt.datetime.strptime(row["expiration date"], "%m/%d/%Y")
        flag = SNIPE_IT_BOOLEANS[row[column]]
        if flag is None:
            expected_findings.append((sheet_row, column))
        if start_day is None:
            expected_findings.append((sheet_row, "purchase date"))
        elif end_day < start_day:
            expected_findings.append((sheet_row, "expiration date"))
        if sheet_row not in frame.index:
            continue
        assert frame.at[sheet_row, "start_date"] == start_day
        assert frame.at[sheet_row, "end_date"] == end_day
        assert frame.at[sheet_row, "auto_renew"] == flag
        assert frame.at[sheet_row, "price_per_seat"] == float(row["purchase cost"].lstrip("$"))
        assert frame.at[sheet_row, "seats"] == int(row["seats"])

    found = sorted((f.row, f.column) for f in report.findings)
    assert found == sorted(expected_findings)
    assert {f.kind for f in report.findings} == {"invalid_value"}
    assert len(frame) == len(rows) - len({row for row, _ in expected_findings})


def test_snipe_it_us_dates_under_day_first_order_are_rejected_or_read_day_first(tmp_path):
    path = snipe_it_register(tmp_path)
    aliases = snipe_it_aliases("reassignable")

    day_first = check(path, register={"date_order": "dmy"}, aliases=aliases)
    month_first = check(path, register={"date_order": "mdy"}, aliases=aliases)

    # Row 2: purchased 11/24/2008, expires 02/26/2016; there is no 24th or 26th month.
    assert [f.message for f in day_first.findings if f.row == 2] == [
        f"Contracts!H2 (purchase date) = '11/24/2008' is not a real calendar date"
        f"{MDY_HINT}{LEFT_OUT}",
        f"Contracts!N2 (expiration date) = '02/26/2016' is not a real calendar date"
        f"{MDY_HINT}{LEFT_OUT}",
    ]
    assert [f for f in month_first.findings if f.row == 2] == []
    # Row 39: 05/02/1998 to 02/06/2016 reads either way, and reads differently.
    dates = ["start_date", "end_date"]
    assert day_first.contracts.frame.loc[39, dates].tolist() == [
        dt.datetime(1998, 2, 5),
        dt.datetime(2016, 6, 2),
    ]
    assert month_first.contracts.frame.loc[39, dates].tolist() == [
        dt.datetime(1998, 5, 2),
        dt.datetime(2016, 2, 6),
    ]


def test_a_repeat_of_an_invalid_row_uses_neither_row_and_says_so(tmp_path):
    # Guards a fixed bug: the message said "only row 2 is used" of a row left out.
    report = check_rows(
        tmp_path, [contract(seats="twenty"), contract(seats=2)], seats_on("C-1", 5)
    )

    assert kinds(report) == [("duplicate_key", "C-1"), ("invalid_value", "C-1")]
    assert of_kind(report, "duplicate_key")[0].message == (
        "Contract id C-1 on Contracts!A3 repeats row 2, which has an invalid cell; neither "
        "row is used until row 2 is corrected and this row gets its own contract id or is "
        "deleted."
    )
    assert report.totals.empty

"""The register read from Google Sheets: gspread's real code over real HTTP to the stand-in."""

from __future__ import annotations

import datetime as dt
import json
import socket
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sheets_fixtures import ServiceAccountKey
from sheets_standin import SheetsStandin, StandinAdapter

from bot.gsheet import GoogleSheetsSource, service_account_email
from bot.source import MissingTabError, RawTab, RegisterError

SourceFactory = Callable[..., GoogleSheetsSource]

CONTRACTS = [
    ["contract_id", "client", "seats", "start_date", "end_date"],
    ["C-001", "Acme", 25, dt.date(2024, 1, 1), dt.date(2025, 3, 31)],
]
SEATS = [
    ["Seat register, exported by ops"],
    [],
    ["seat_id", "contract_id", "assigned_to", "status"],
    ["007", "C-001", "Ann", "active"],
    ["K-2", "C-001", "", "available"],
    [],
    ["K-3", "C-001"],
]


@pytest.fixture
def register(sheets_standin: SheetsStandin) -> str:
    return sheets_standin.create_spreadsheet(
        "Seat register", {"Contracts": CONTRACTS, "Seats": SEATS}
    )


def batch_get_queries(standin: SheetsStandin) -> list[dict[str, list[str]]]:
    return [call.query for call in standin.calls if call.api == "values.batchGet"]


# one request a poll


def test_a_poll_reads_all_tabs_in_one_batch_get_and_the_tab_list_only_on_the_first(
    sheets_standin: SheetsStandin, sheets_source: SourceFactory, register: str
) -> None:
    source = sheets_source(register)

    source.read(["Contracts", "Seats"])
    source.read(["Contracts", "Seats"])

    assert sheets_standin.api_calls() == [
        "spreadsheets.get",
        "values.batchGet",
        "values.batchGet",
    ]
    assert batch_get_queries(sheets_standin)[0] == {
        "ranges": ["'Contracts'", "'Seats'"],
        "valueRenderOption": ["UNFORMATTED_VALUE"],
        "dateTimeRenderOption": ["SERIAL_NUMBER"],
        "majorDimension": ["ROWS"],
    }


def test_rows_keep_their_sheet_row_numbers_with_blank_and_short_rows(
    sheets_source: SourceFactory, register: str
) -> None:
    tabs = sheets_source(register).read(["Seats"])

    assert tabs == {
        "Seats": RawTab(
            "Seats",
            [
                ["Seat register, exported by ops"],
                [],
                ["seat_id", "contract_id", "assigned_to", "status"],
                ["007", "C-001", "Ann", "active"],
                ["K-2", "C-001", "", "available"],
                [],
                ["K-3", "C-001"],
            ],
        )
    }


def test_an_empty_tab_reads_as_an_empty_grid(
    sheets_standin: SheetsStandin, sheets_source: SourceFactory
) -> None:
    key = sheets_standin.create_spreadsheet("Register", {"Contracts": CONTRACTS, "Seats": []})

    tabs = sheets_source(key).read(["Seats", "Contracts"])

    assert tabs["Seats"] == RawTab("Seats", [])
    assert len(tabs["Contracts"].grid) == 2


def test_dates_arrive_as_serial_numbers_and_text_stays_as_typed(
    sheets_standin: SheetsStandin, sheets_source: SourceFactory
) -> None:
    key = sheets_standin.create_spreadsheet(
        "Register",
        {"Contracts": [["C-9", dt.date(2020, 1, 1), "2025-03-31", "007", "1,5", 1200, 2.5, True]]},
    )

    grid = sheets_source(key).read(["Contracts"])["Contracts"].grid

    assert grid == [["C-9", 43831, "2025-03-31", "007", "1,5", 1200, 2.5, True]]


@pytest.mark.parametrize(
    "written",
    [
        "{key}",
        "  {key}  ",
        "https://docs.google.com/spreadsheets/d/{key}/edit#gid=0",
        "https://docs.google.com/spreadsheets/d/{key}/edit?usp=sharing",
        "https://docs.google.com/spreadsheets/d/{key}",
    ],
)
def test_the_sheet_can_be_given_by_key_or_by_its_browser_address(
    sheets_standin: SheetsStandin, sheets_source: SourceFactory, register: str, written: str
) -> None:
    source = sheets_source(written.format(key=register))

    tabs = source.read(["Contracts"])

    assert source.key == register
    assert tabs["Contracts"].grid[1][0] == "C-001"


@pytest.mark.parametrize(
    ("written", "message"),
    [
        (
            "https://example.com/my-sheet",
            "'https://example.com/my-sheet' is not a Google Sheets address: expected one "
            "like https://docs.google.com/spreadsheets/d/<key>/edit, or the key alone.",
        ),
        (
            "my register",
            "'my register' is not a Google Sheets key: a key holds only letters, digits, "
            "'-' and '_' (it is the part of the address between /d/ and /edit).",
        ),
    ],
)
def test_a_mistyped_sheet_address_is_refused_before_any_request(
    sheets_standin: SheetsStandin, sheets_source: SourceFactory, written: str, message: str
) -> None:
    with pytest.raises(RegisterError) as caught:
        sheets_source(written)

    assert str(caught.value) == message
    assert caught.value.retryable is False
    assert sheets_standin.api_calls() == []


# retries and timeouts


def test_a_rate_limited_read_is_retried_within_the_poll(
    sheets_standin: SheetsStandin, sheets_source: SourceFactory, register: str
) -> None:
    sheets_standin.fail(429, times=1, only="values.batchGet")

    tabs = sheets_source(register, attempts=3).read(["Contracts"])

    assert tabs["Contracts"].grid[1][0] == "C-001"
    assert sheets_standin.count("values.batchGet") == 2


def test_a_rate_limit_that_never_lifts_fails_the_poll_after_the_configured_attempts(
    sheets_standin: SheetsStandin, sheets_source: SourceFactory, register: str
) -> None:
    source = sheets_source(register, attempts=3, backoff=0.01)
    source.read(["Contracts"])
    sheets_standin.fail(429, times=None)

    started = time.monotonic()
    with pytest.raises(RegisterError) as caught:
        source.read(["Contracts"])

    assert time.monotonic() - started < 2
    assert sheets_standin.count("values.batchGet") == 1 + 3
    assert caught.value.retryable is True
    assert str(caught.value).startswith(
        "Reading the register from Google Sheet 'Seat register' failed: Google answered "
        "429 RESOURCE_EXHAUSTED on all 3 attempts. (Google said: Quota exceeded"
    )
    assert str(caught.value).endswith("The next poll will try again.")


@pytest.mark.parametrize("status", [500, 503])
def test_a_google_server_error_is_retried_within_the_poll(
    sheets_standin: SheetsStandin, sheets_source: SourceFactory, register: str, status: int
) -> None:
    sheets_standin.fail(status, times=2)

    tabs = sheets_source(register, attempts=3).read(["Seats"])

    assert tabs["Seats"].grid[3][0] == "007"
    assert sheets_standin.api_calls() == ["spreadsheets.get"] * 3 + ["values.batchGet"]


def test_a_server_error_on_every_attempt_fails_the_poll_with_a_retryable_error(
    sheets_standin: SheetsStandin, sheets_source: SourceFactory, register: str
) -> None:
    sheets_standin.fail(503, times=None)

    with pytest.raises(RegisterError) as caught:
        sheets_source(register, attempts=2).read(["Seats"])

    assert str(caught.value) == (
        f"Reading the tab list of Google Sheet {register} failed: Google answered 503 "
        "UNAVAILABLE on all 2 attempts. (Google said: The service is currently "
        "unavailable.) The next poll will try again."
    )
    assert caught.value.retryable is True


def test_an_answer_slower_than_the_timeout_is_retried(
    sheets_standin: SheetsStandin, sheets_source: SourceFactory, register: str
) -> None:
    sheets_standin.delay(1.0, times=1, only="values.batchGet")

    started = time.monotonic()
    tabs = sheets_source(register, timeout=0.3, attempts=2).read(["Seats"])

    assert time.monotonic() - started < 0.9
    assert tabs["Seats"].grid[3][0] == "007"
    assert sheets_standin.count("values.batchGet") == 2


def test_a_sheet_that_never_answers_fails_the_poll_after_the_timeouts(
    sheets_standin: SheetsStandin, sheets_source: SourceFactory, register: str
) -> None:
    sheets_standin.delay(3.0, times=None)

    started = time.monotonic()
    with pytest.raises(RegisterError) as caught:
        sheets_source(register, timeout=0.2, attempts=2).read(["Seats"])

    assert time.monotonic() - started < 1.5
    assert str(caught.value) == (
        f"Reading the tab list of Google Sheet {register} failed: no answer within the "
        "0.2 s timeout after 2 attempts. The next poll will try again."
    )
    assert caught.value.retryable is True


def test_an_unreachable_google_fails_the_poll_with_a_retryable_error(
    sheets_standin: SheetsStandin, service_account_key: ServiceAccountKey, register: str
) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    source = GoogleSheetsSource(
        register,
        attempts=2,
        backoff=0.01,
        adapter=StandinAdapter(f"http://127.0.0.1:{closed_port}"),
    )

    with pytest.raises(RegisterError) as caught:
        source.read(["Seats"])

    assert str(caught.value) == (
        f"Reading the tab list of Google Sheet {register} failed: the connection failed "
        "after 2 attempts. The next poll will try again."
    )
    assert caught.value.retryable is True


def test_a_page_that_is_not_json_fails_the_poll_with_a_retryable_error(
    sheets_standin: SheetsStandin, sheets_source: SourceFactory, register: str
) -> None:
    source = sheets_source(register)
    source.read(["Seats"])
    sheets_standin.answer_not_json(times=1)

    with pytest.raises(RegisterError) as caught:
        source.read(["Seats"])

    assert str(caught.value) == (
        "Reading the register from Google Sheet 'Seat register' failed: Google answered "
        "with something that is not JSON (a proxy or an outage page?). The next poll will "
        "try again."
    )
    assert caught.value.retryable is True


def test_an_outage_page_with_a_502_is_retried_within_the_poll(
    sheets_standin: SheetsStandin, sheets_source: SourceFactory, register: str
) -> None:
    sheets_standin.answer_not_json(status=502, times=1, only="values.batchGet")

    tabs = sheets_source(register, attempts=2).read(["Seats"])

    assert tabs["Seats"].grid[3][0] == "007"
    assert sheets_standin.count("values.batchGet") == 2


# what people get wrong


def test_a_sheet_not_shared_with_the_service_account_says_which_address_to_share_it_with(
    sheets_standin: SheetsStandin,
    sheets_source: SourceFactory,
    service_account_key: ServiceAccountKey,
    register: str,
) -> None:
    sheets_standin.unshare(register)

    with pytest.raises(RegisterError) as caught:
        sheets_source(register).read(["Seats"])

    email = service_account_key.email
    assert str(caught.value) == (
        f"The service account {email} may not open Google Sheet {register}. Share the "
        f"sheet with {email} (Viewer is enough). (Google said: The caller does not have "
        "permission)"
    )
    assert caught.value.retryable is False
    assert sheets_standin.api_calls() == ["spreadsheets.get"]  # a 403 is not retried


def test_a_wrong_key_says_no_sheet_has_that_key(
    sheets_standin: SheetsStandin, sheets_source: SourceFactory
) -> None:
    with pytest.raises(RegisterError) as caught:
        sheets_source("1NoSuchSheetxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx").read(["Seats"])

    assert str(caught.value) == (
        "There is no Google Sheet with the key '1NoSuchSheetxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx': "
        "check the key or address in the config (the key is the part of the address "
        "between /d/ and /edit)."
    )
    assert caught.value.retryable is False


def test_a_missing_tab_names_the_tabs_the_sheet_has(
    sheets_standin: SheetsStandin, sheets_source: SourceFactory
) -> None:
    key = sheets_standin.create_spreadsheet(
        "Seat register", {"Contracts": CONTRACTS, "Seat list": SEATS}
    )

    with pytest.raises(MissingTabError) as caught:
        sheets_source(key).read(["Contracts", "Seats"])

    assert str(caught.value) == (
        "Google Sheet 'Seat register' has no tab named 'Seats'; the tabs it has are: "
        "'Contracts', 'Seat list'. Rename the tab or set [tabs] in the config."
    )
    assert caught.value.retryable is False
    assert sheets_standin.api_calls() == ["spreadsheets.get"]


def test_a_tab_added_after_the_first_poll_is_found_on_the_next(
    sheets_standin: SheetsStandin, sheets_source: SourceFactory
) -> None:
    key = sheets_standin.create_spreadsheet("Seat register", {"Contracts": CONTRACTS})
    source = sheets_source(key)
    source.read(["Contracts"])
    sheets_standin.add_tab(key, "Seats", SEATS)

    tabs = source.read(["Contracts", "Seats"])

    assert tabs["Seats"].grid[3][0] == "007"
    assert sheets_standin.api_calls() == [
        "spreadsheets.get",
        "values.batchGet",
        "spreadsheets.get",
        "values.batchGet",
    ]


def test_a_tab_deleted_after_the_first_poll_is_reported_as_missing(
    sheets_standin: SheetsStandin, sheets_source: SourceFactory, register: str
) -> None:
    source = sheets_source(register)
    source.read(["Contracts", "Seats"])
    sheets_standin.remove_tab(register, "Seats")

    with pytest.raises(MissingTabError) as caught:
        source.read(["Contracts", "Seats"])

    assert caught.value.tab == "Seats"
    assert caught.value.existing == ["Contracts"]


# credentials


@pytest.mark.parametrize(
    ("write", "scope"),
    [
        (False, "https://www.googleapis.com/auth/spreadsheets.readonly"),
        (True, "https://www.googleapis.com/auth/spreadsheets"),
    ],
)
def test_the_key_file_signs_in_read_only_unless_write_back_is_on(
    sheets_standin: SheetsStandin,
    sheets_source: SourceFactory,
    service_account_key: ServiceAccountKey,
    register: str,
    write: bool,
    scope: str,
) -> None:
    sheets_source(register, write=write).read(["Seats"])

    [(token, claims)] = sheets_standin.tokens.items()
    assert claims["scope"] == scope
    assert claims["iss"] == service_account_key.email
    assert {call.bearer for call in sheets_standin.calls if call.api != "oauth.token"} == {token}


def test_the_key_file_can_come_from_another_variable(
    sheets_standin: SheetsStandin,
    service_account_key: ServiceAccountKey,
    monkeypatch: pytest.MonkeyPatch,
    register: str,
) -> None:
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS")
    monkeypatch.setenv("SEATBOT_GOOGLE_KEY", str(service_account_key.path))

    source = GoogleSheetsSource(
        register, credentials_env="SEATBOT_GOOGLE_KEY", adapter=sheets_standin.adapter()
    )

    assert source.read(["Seats"])["Seats"].grid[3][0] == "007"
    assert source.service_account == service_account_key.email


def test_without_the_key_file_variable_the_source_says_which_variable_to_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("SEATBOT_GOOGLE_KEY", raising=False)

    with pytest.raises(RegisterError) as caught:
        GoogleSheetsSource("1abc", credentials_env="SEATBOT_GOOGLE_KEY")

    assert str(caught.value) == (
        "SEATBOT_GOOGLE_KEY is not set: set it to the path of the service account's JSON "
        "key file to read the register from Google Sheets."
    )
    assert caught.value.retryable is False


def test_the_service_account_address_is_read_from_the_key_file(
    service_account_key: ServiceAccountKey,
) -> None:
    assert service_account_email(service_account_key.path) == service_account_key.email


def test_a_key_file_that_is_not_a_service_account_key_is_refused_without_quoting_it(
    tmp_path: Path,
) -> None:
    oauth_client = tmp_path / "client_secret.json"
    oauth_client.write_text(json.dumps({"installed": {"client_secret": "s3cr3t-value"}}))
    broken = tmp_path / "broken.json"
    broken.write_text('{"private_key": "s3cr3t-value", ')

    with pytest.raises(RegisterError) as not_service_account:
        service_account_email(oauth_client)
    with pytest.raises(RegisterError) as not_json:
        service_account_email(broken)

    assert str(not_service_account.value) == (
        f"{oauth_client} has no client_email: it is not a service account key file "
        "(create one under IAM > Service accounts > Keys)."
    )
    assert str(not_json.value) == (
        f"The service account key file {broken} could not be read as JSON."
    )


# write-back


def test_write_back_sends_one_raw_batch_update_so_formulas_stay_text(
    sheets_standin: SheetsStandin, sheets_source: SourceFactory
) -> None:
    key = sheets_standin.create_spreadsheet("Register", {"Seats": SEATS, "Findings": []})
    source = sheets_source(key, write=True)

    updated = source.write(
        {
            "Findings": [["kind", "value"], ["invalid_value", '=HYPERLINK("x")']],
            "'Findings'!A4": [["007", 3]],
        }
    )

    assert updated == 6
    assert sheets_standin.api_calls() == ["values.batchUpdate"]
    [call] = [c for c in sheets_standin.calls if c.api == "values.batchUpdate"]
    assert call.body["valueInputOption"] == "RAW"
    assert sheets_standin.values(key, "Findings") == [
        ["kind", "value"],
        ["invalid_value", '=HYPERLINK("x")'],
        [],
        ["007", 3],
    ]


def test_write_back_is_refused_when_the_sheet_was_opened_read_only(
    sheets_standin: SheetsStandin, sheets_source: SourceFactory, register: str
) -> None:
    source = sheets_source(register)

    with pytest.raises(RegisterError) as caught:
        source.write({"Findings": [["x"]]})

    assert str(caught.value) == (
        f"Cannot write to Google Sheet {register}: write-back is off, so the sheet was "
        "opened read-only. Switch write-back on in the config."
    )
    assert sheets_standin.api_calls() == []


def test_add_tabs_adds_only_the_tabs_the_sheet_lacks_in_one_request(
    sheets_standin: SheetsStandin, sheets_source: SourceFactory
) -> None:
    key = sheets_standin.create_spreadsheet("Register", {"Seats": SEATS, "Findings": []})
    source = sheets_source(key, write=True)

    added = source.add_tabs(["Findings", "History", "History"])
    added_again = source.add_tabs(["Findings", "History"])

    assert added == ["History"]
    assert added_again == []
    assert sheets_standin.count("spreadsheets.batchUpdate") == 1
    titles = [sheet.title for sheet in sheets_standin.spreadsheets[key].sheets]
    assert titles == ["Seats", "Findings", "History"]

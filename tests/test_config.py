"""Configuration fails at start, naming the key, the value and what is allowed."""

from __future__ import annotations

from pathlib import Path

import pytest
from registers import REPO, raw_config, write_config

from bot import config as config_module
from bot.config import ConfigError, parse


def parse_error(raw: dict) -> str:
    with pytest.raises(ConfigError) as caught:
        parse(raw)
    return str(caught.value)


def test_the_bundled_config_runs_against_the_bundled_register():
    config = config_module.load(REPO / "config" / "seatbot.toml")

    assert config.register.source == "xlsx"
    assert config.register.path == REPO / "examples" / "register.xlsx"
    assert config.register.date_order == "dmy"
    assert (config.tabs.contracts, config.tabs.seats) == ("Contracts", "Seats")
    assert config.rules.renewal_reminder_days == (90, 60, 30, 14, 7, 1)
    assert config.rules.allocated_statuses == ("active", "suspended")
    assert config.state.path == REPO / "state" / "seatbot.sqlite"


def test_a_minimal_config_gets_the_documented_defaults(tmp_path):
    config = parse(raw_config(tmp_path / "r.xlsx"))

    assert config.register.date_order == "dmy"
    assert config.rules.renewal_reminder_days == (90, 60, 30, 14, 7, 1)
    assert config.rules.seats_running_out_at == 2
    assert config.rules.allocated_statuses == ("active", "suspended")
    assert config.aliases == {"contracts": {}, "seats": {}}


def test_an_unknown_key_names_the_keys_its_section_allows(tmp_path):
    raw = raw_config(tmp_path / "r.xlsx", rules={"renewal_days": [30]})

    assert parse_error(raw) == (
        "unknown config key rules.renewal_days; the keys [rules] allows are: "
        "allocated_statuses, renewal_reminder_days, seats_running_out_at, currency"
    )


def test_an_unknown_section_names_the_sections(tmp_path):
    raw = raw_config(tmp_path / "r.xlsx", rule={"currency": "EUR"})

    message = parse_error(raw)

    assert message.startswith("unknown config section [rule]; the sections are: ")
    assert "rules" in message and "register" in message and "aliases" in message


@pytest.mark.parametrize(
    ("section", "values", "message"),
    [
        (
            "register",
            {"date_order": "ymd"},
            "config key register.date_order = 'ymd' is not allowed: expected one of 'dmy', 'mdy'",
        ),
        (
            "register",
            {"source": "csv"},
            "config key register.source = 'csv' is not allowed: "
            "expected one of 'xlsx', 'google_sheets'",
        ),
        (
            "rules",
            {"seats_running_out_at": "two"},
            "config key rules.seats_running_out_at = 'two' is not allowed: "
            "expected a whole number of at least 0",
        ),
        (
            "rules",
            {"seats_running_out_at": -1},
            "config key rules.seats_running_out_at = -1 is not allowed: "
            "expected a whole number of at least 0",
        ),
        (
            "rules",
            {"renewal_reminder_days": []},
            "config key rules.renewal_reminder_days = [] is not allowed: "
            "expected a non-empty list of whole numbers of days, each at least 0",
        ),
        (
            "rules",
            {"renewal_reminder_days": [90, "30"]},
            "config key rules.renewal_reminder_days = [90, '30'] is not allowed: "
            "expected a non-empty list of whole numbers of days, each at least 0",
        ),
        (
            "rules",
            {"allocated_statuses": ["active", "in use"]},
            "config key rules.allocated_statuses = ['active', 'in use'] is not allowed: "
            "expected a non-empty list drawn from active, suspended, available, retired",
        ),
        (
            "tabs",
            {"seats": ""},
            "config key tabs.seats = '' is not allowed: expected a non-empty string",
        ),
        (
            "schedule",
            {"timezone": "Mars/Olympus"},
            "config key schedule.timezone = 'Mars/Olympus' is not allowed: "
            'expected an IANA time zone such as "Europe/London" or "UTC"',
        ),
        (
            "schedule",
            {"summary_time": "9am"},
            "config key schedule.summary_time = '9am' is not allowed: "
            'expected a time of day as "HH:MM", e.g. "09:00"',
        ),
    ],
)
def test_a_wrong_value_names_the_key_the_value_and_what_is_allowed(
    tmp_path, section, values, message
):
    assert parse_error(raw_config(tmp_path / "r.xlsx", **{section: values})) == message


def test_an_xlsx_register_needs_a_path():
    assert parse_error({"register": {"source": "xlsx"}}) == (
        'config key register.path is missing: source "xlsx" needs the path of the .xlsx workbook'
    )


def test_reminder_days_are_deduplicated_and_ordered_furthest_first(tmp_path):
    raw = raw_config(tmp_path / "r.xlsx", rules={"renewal_reminder_days": [7, 30, 7, 90]})

    assert parse(raw).rules.renewal_reminder_days == (90, 30, 7)


def test_aliases_take_one_header_or_a_list(tmp_path):
    raw = raw_config(
        tmp_path / "r.xlsx",
        aliases={"contracts": {"seats": "Seat count"}, "seats": {"seat_id": ["Key", "Code"]}},
    )

    assert parse(raw).aliases == {
        "contracts": {"seats": ("Seat count",)},
        "seats": {"seat_id": ("Key", "Code")},
    }


def test_an_alias_for_a_field_that_does_not_exist_names_the_fields(tmp_path):
    raw = raw_config(tmp_path / "r.xlsx", aliases={"seats": {"licence": ["Key"]}})

    assert parse_error(raw) == (
        "unknown config key aliases.seats.licence; the fields of seats are: seat_id, "
        "contract_id, client, product, assigned_to, email, status, activated_on, expires_on"
    )


def test_aliases_for_a_tab_that_does_not_exist_are_refused(tmp_path):
    raw = raw_config(tmp_path / "r.xlsx", aliases={"clients": {"client": ["Name"]}})

    assert parse_error(raw) == "unknown config key aliases.clients; allowed: contracts, seats"


def test_relative_paths_are_taken_from_the_config_files_folder(tmp_path):
    path = write_config(
        tmp_path / "seatbot.toml",
        {"register": {"path": "data/register.xlsx"}, "state": {"path": "state.sqlite"}},
    )

    config = config_module.load(path)

    assert config.register.path == tmp_path / "data" / "register.xlsx"
    assert config.state.path == tmp_path / "state.sqlite"


def test_a_config_folder_means_paths_are_relative_to_the_project_above_it(tmp_path):
    (tmp_path / "config").mkdir()
    path = write_config(
        tmp_path / "config" / "seatbot.toml", {"register": {"path": "examples/r.xlsx"}}
    )

    assert config_module.load(path).register.path == tmp_path / "examples" / "r.xlsx"


def test_a_file_that_is_not_toml_is_a_config_error(tmp_path):
    path = tmp_path / "seatbot.toml"
    path.write_text("[register\npath = 'x'\n", encoding="utf-8")

    with pytest.raises(ConfigError, match=r"^config file .*seatbot\.toml is not valid TOML: "):
        config_module.load(path)


def test_a_missing_config_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match=r"^cannot read config file .*nowhere\.toml: "):
        config_module.load(Path(tmp_path / "nowhere.toml"))

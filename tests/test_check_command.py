"""`run.py check` as a person or a CI job runs it: output, and the exit codes they act on."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from registers import (
    AS_OF,
    REPO,
    D,
    contract,
    raw_config,
    seat,
    seats_on,
    write_config,
    write_register,
)

RENEWAL_LINE = (
    "  WARNING  renewal_due                      Contracts!F2   C-1 for Acme (10 seats) ends "
    "on 2027-01-01, in 29 days; confirm the renewal with the client."
)


def run(*args: str) -> subprocess.CompletedProcess:
    # No Slack or config from the developer's shell: console delivery, the --config given.
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "SEATBOT_", "GOOGLE_APPLICATION"))
    }
    return subprocess.run(
        [sys.executable, "run.py", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def configured(tmp_path, contracts, seats=(), **sections) -> str:
    """A register and a config for it in tmp_path; returns the config's path."""
    workbook = write_register(tmp_path / "register.xlsx", contracts, seats)
    raw = raw_config(workbook, state={"path": str(tmp_path / "state.sqlite")}, **sections)
    return str(write_config(tmp_path / "seatbot.toml", raw))


@pytest.fixture
def renewal_config(tmp_path) -> str:
    """A register whose only finding is a renewal warning as of AS_OF."""
    return configured(tmp_path, [contract(end_date=D(2027, 1, 1))], seats_on("C-1", 3))


def test_check_prints_the_digest_and_exits_0(renewal_config):
    result = run("--config", renewal_config, "check", "--as-of", AS_OF.isoformat())

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].endswith("register.xlsx, as of 2026-12-03")
    assert lines[2:4] == ["Acme", RENEWAL_LINE]
    assert "1 finding (0 critical, 1 warning, 0 info) across 1 contract and 3 seat rows." in lines


def test_check_json_prints_only_the_report_on_stdout(renewal_config):
    result = run("--config", renewal_config, "check", "--as-of", "2026-12-03", "--json")

    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["as_of"] == "2026-12-03"
    assert [(f["kind"], f["subject"], f["cell"]) for f in report["findings"]] == [
        ("renewal_due", "C-1", "F2")
    ]
    assert [t["contract_id"] for t in report["totals"]] == ["C-1"]


def test_as_of_evaluates_the_register_on_another_day(renewal_config):
    result = run("--config", renewal_config, "check", "--as-of", "2026-06-01", "--json")

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["findings"] == []


@pytest.mark.parametrize(
    ("level", "code"),
    [("critical", 0), ("warning", 1), ("info", 1)],
)
def test_fail_on_exits_1_only_for_findings_at_or_above_the_level(renewal_config, level, code):
    result = run(
        "--config", renewal_config, "check", "--as-of", "2026-12-03", "--json", "--fail-on", level
    )

    assert result.returncode == code, result.stderr


def test_fail_on_info_counts_an_info_finding(tmp_path):
    config = configured(tmp_path, [contract(seats=3)], seats_on("C-1", 2))

    result = run("--config", config, "check", "--as-of", "2026-12-03", "--fail-on", "info")

    assert result.returncode == 1
    assert "seats_running_out" in result.stdout


def test_fail_on_passes_a_quiet_register(tmp_path):
    config = configured(tmp_path, [contract()], [seat()])

    result = run("--config", config, "check", "--as-of", "2026-12-03", "--fail-on", "info")

    assert result.returncode == 0, result.stderr
    assert "Nothing needs attention." in result.stdout


def test_a_bad_row_is_a_finding_not_a_failure(tmp_path):
    config = configured(tmp_path, [contract(seats="twenty"), contract("C-2")], [seat()])

    result = run("--config", config, "check", "--as-of", "2026-12-03", "--json")

    assert result.returncode == 0, result.stderr
    kinds = [(f["kind"], f["subject"]) for f in json.loads(result.stdout)["findings"]]
    assert kinds == [("invalid_value", "C-1")]


def test_an_unknown_config_key_exits_2_naming_the_key_and_the_allowed_keys(tmp_path):
    config = configured(tmp_path, [contract()], rules={"renewal_days": [30]})

    result = run("--config", config, "check")

    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.strip() == (
        "seatbot: unknown config key rules.renewal_days; the keys [rules] allows are: "
        "allocated_statuses, renewal_reminder_days, seats_running_out_at, currency"
    )


def test_a_config_value_of_the_wrong_type_exits_2_naming_what_is_allowed(tmp_path):
    config = configured(tmp_path, [contract()], rules={"seats_running_out_at": "two"})

    result = run("--config", config, "check")

    assert result.returncode == 2
    assert result.stderr.strip() == (
        "seatbot: config key rules.seats_running_out_at = 'two' is not allowed: "
        "expected a whole number of at least 0"
    )


def test_a_config_choice_outside_the_allowed_ones_exits_2(tmp_path):
    config = configured(tmp_path, [contract()], register={"date_order": "ymd"})

    result = run("--config", config, "check")

    assert result.returncode == 2
    assert "register.date_order = 'ymd'" in result.stderr
    assert "expected one of 'dmy', 'mdy'" in result.stderr


def test_a_missing_config_file_exits_2(tmp_path):
    result = run("--config", str(tmp_path / "nowhere.toml"), "check")

    assert result.returncode == 2
    assert "cannot read config file" in result.stderr
    assert "nowhere.toml" in result.stderr


def test_a_missing_workbook_exits_3(tmp_path):
    missing = tmp_path / "gone.xlsx"
    raw = raw_config(missing, state={"path": str(tmp_path / "state.sqlite")})
    config = str(write_config(tmp_path / "seatbot.toml", raw))

    result = run("--config", config, "check", "--as-of", "2026-12-03")

    assert result.returncode == 3
    assert result.stdout == ""
    assert (
        f"seatbot: register workbook {missing} does not exist; check register.path in the config"
    ) in result.stderr


def test_a_missing_tab_exits_3_naming_the_tabs_there_are(tmp_path):
    config = configured(tmp_path, [contract()], tabs={"seats": "Licences"})

    result = run("--config", config, "check", "--as-of", "2026-12-03")

    assert result.returncode == 3
    assert (
        "seatbot: workbook register.xlsx has no tab named 'Licences'; the tabs it has are: "
        "'Contracts', 'Seats'. Rename the tab or set [tabs] in the config."
    ) in result.stderr


@pytest.mark.parametrize("day", ["2026-13-03", "03/12/2026", "tomorrow"])
def test_a_bad_as_of_date_exits_2(renewal_config, day):
    result = run("--config", renewal_config, "check", "--as-of", day)

    assert result.returncode == 2
    assert f"argument --as-of: {day!r} is not a date as YYYY-MM-DD" in result.stderr


def test_an_unknown_fail_on_level_exits_2(renewal_config):
    result = run("--config", renewal_config, "check", "--fail-on", "error")

    assert result.returncode == 2
    assert "argument --fail-on: invalid choice: 'error'" in result.stderr

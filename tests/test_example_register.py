"""The bundled example register says what its builder's comments promise, and nothing more.

The expected findings below are read from the comments in examples/build_register.py,
row by row, not copied from seatbot's output.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import tomllib

import pytest
from openpyxl import load_workbook
from registers import REPO, write_config

EXAMPLE = REPO / "examples" / "register.xlsx"

EXPECTED = {
    # NW-2024-01: "renewal_due in 38 days; 12 seats allocated of 10: over_provisioned"
    ("renewal_due", "NW-2024-01"),
    ("over_provisioned", "NW-2024-01"),
    # GLX-0042: "auto-renews, notice due 2027-01-01" (so no renewal_due)
    ("notice_deadline", "GLX-0042"),
    # ATP-GLX-0006: "filed under the wrong client"
    ("client_mismatch", "ATP-GLX-0006"),
    # INI-7: "ended 2026-10-31 and not renewing, seats still active"
    ("contract_ended_seats_active", "INI-7"),
    # INI-8: "a typo: 'twenty' is not a seat count" (its seat ATC-INI-0001 is held back)
    ("invalid_value", "INI-8"),
    # ATL-INI-0004: "a typo in the email"
    ("invalid_value", "ATL-INI-0004"),
    # UMB-19: "terminated, seats still allocated" (ATP-UMB-0003 expired but retired)
    ("contract_terminated_seats_active", "UMB-19"),
    # STK-300: "two seats free of 20: seats_running_out"; "the same contract id typed twice"
    ("seats_running_out", "STK-300"),
    ("duplicate_key", "STK-300"),
    # ATP-STK-0003 "outlives the contract"; ATP-STK-0004 "expired, still active"
    ("seat_outlives_contract", "ATP-STK-0003"),
    ("seat_expired_active", "ATP-STK-0004"),
    # ATP-STK-0018: "the same person holding a second seat"
    ("duplicate_assignment", "ATP-STK-0018"),
    # ATP-STK-0017: "a copy-pasted licence key"
    ("duplicate_key", "ATP-STK-0017"),
    # ATP-STK-0019: "a typo in the status"
    ("invalid_value", "ATP-STK-0019"),
    # WAY-1: "'sometimes' is not a yes/no: the row and its seats are held back"
    ("invalid_value", "WAY-1"),
    # NW-2025-02: "31 February does not exist"
    ("invalid_value", "NW-2025-02"),
    # ATP-LEX-0001: "a seat on a contract nobody entered"
    ("unknown_contract", "ATP-LEX-0001"),
    # CYB-5 and HOO-1: "healthy contracts: nothing to say"
}
ALL_KINDS = {
    "invalid_value",
    "missing_column",
    "duplicate_key",
    "unknown_contract",
    "client_mismatch",
    "over_provisioned",
    "seats_running_out",
    "renewal_due",
    "notice_deadline",
    "contract_ended_seats_active",
    "contract_terminated_seats_active",
    "seat_outlives_contract",
    "seat_expired_active",
    "duplicate_assignment",
}


def run(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "SEATBOT_"))}
    return subprocess.run(
        [sys.executable, "run.py", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def example_json(tmp_path_factory) -> dict:
    """`check --json --as-of 2026-12-03` with the bundled config, its state kept aside."""
    tmp = tmp_path_factory.mktemp("example")
    raw = tomllib.loads((REPO / "config" / "seatbot.toml").read_text(encoding="utf-8"))
    raw["register"]["path"] = str(EXAMPLE)
    raw["state"]["path"] = str(tmp / "state.sqlite")
    raw.setdefault("summary", {})["output_dir"] = str(tmp / "out")
    config = write_config(tmp / "seatbot.toml", raw)

    result = run("--config", str(config), "check", "--json", "--as-of", "2026-12-03")

    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def finding(report: dict, kind: str, subject: str) -> dict:
    [match] = [f for f in report["findings"] if (f["kind"], f["subject"]) == (kind, subject)]
    return match


def test_the_example_lists_exactly_the_findings_its_comments_promise(example_json):
    found = [(f["kind"], f["subject"]) for f in example_json["findings"]]

    assert sorted(found) == sorted(EXPECTED)


def test_the_example_shows_every_finding_kind_but_missing_column(example_json):
    shown = {f["kind"] for f in example_json["findings"]}

    assert shown == ALL_KINDS - {"missing_column"}


def test_the_example_findings_say_what_the_comments_say(example_json):
    over = finding(example_json, "over_provisioned", "NW-2024-01")
    assert over["message"] == (
        "Northwind Traders has 12 seats allocated on NW-2024-01 but bought 10, 2 over; "
        "invoice the extra seats (a true-up of 90.00 EUR) or retire 2."
    )
    assert finding(example_json, "renewal_due", "NW-2024-01")["facts"]["days_left"] == 38
    notice = finding(example_json, "notice_deadline", "GLX-0042")
    assert notice["facts"]["notice_date"] == "2027-01-01"
    ended = finding(example_json, "contract_ended_seats_active", "INI-7")
    assert ended["facts"] == {"end_date": "2026-10-31", "allocated": 3}
    terminated = finding(example_json, "contract_terminated_seats_active", "UMB-19")
    assert terminated["facts"] == {"allocated": 2}
    assert finding(example_json, "seats_running_out", "STK-300")["facts"] == {"free": 2}
    feb31 = finding(example_json, "invalid_value", "NW-2025-02")
    assert (feb31["column"], feb31["cell"], feb31["value"]) == ("Start", "E12", "31/02/2026")
    sometimes = finding(example_json, "invalid_value", "WAY-1")
    assert (sometimes["column"], sometimes["value"]) == ("Auto-renew?", "sometimes")


def test_the_example_reads_through_its_mess(example_json):
    totals = {t["contract_id"]: t for t in example_json["totals"]}

    # "1,200" as text; rows held back for bad cells have no totals.
    assert totals["GLX-0042"]["purchased"] == 1200
    assert set(totals) == {
        "NW-2024-01",
        "GLX-0042",
        "INI-7",
        "UMB-19",
        "STK-300",
        "CYB-5",
        "HOO-1",
    }
    # Mixed-case statuses with stray spaces all count; a suspended seat is allocated.
    assert {k: totals["NW-2024-01"][k] for k in ("active", "suspended", "available")} == {
        "active": 11,
        "suspended": 1,
        "available": 1,
    }
    # After the blank spacer rows, seats keep their own sheet row numbers.
    lex = finding(example_json, "unknown_contract", "ATP-LEX-0001")
    assert (lex["row"], lex["cell"]) == (65, "B65")


def test_the_bundled_command_runs_with_no_config_given():
    result = run("check", "--as-of", "2026-12-03", "--dry-run")

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"seatbot: {EXAMPLE}, as of 2026-12-03\n")
    assert "18 findings (3 critical, 14 warning, 1 info) across 7 contracts" in result.stdout


def test_the_checked_in_register_is_what_its_builder_writes(tmp_path):
    spec = importlib.util.spec_from_file_location(
        "build_register", REPO / "examples" / "build_register.py"
    )
    builder = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(builder)
    rebuilt = tmp_path / "register.xlsx"

    builder.build(rebuilt)

    for tab in ("Contracts", "Seats"):
        checked_in = load_workbook(EXAMPLE)[tab]
        fresh = load_workbook(rebuilt)[tab]
        assert list(checked_in.values) == list(fresh.values), tab
        assert {str(r) for r in checked_in.merged_cells.ranges} == {
            str(r) for r in fresh.merged_cells.ranges
        }

"""The command line: check, and the commands built around it."""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import sys

from bot import config as config_module
from bot.config import ConfigError
from bot.findings import SEVERITIES, SEVERITY_RANK
from bot.source import RegisterError

log = logging.getLogger("seatbot")

EXIT_OK, EXIT_FINDINGS, EXIT_CONFIG, EXIT_UNREACHABLE = 0, 1, 2, 3


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date as YYYY-MM-DD") from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="run.py",
        description="seatbot keeps a vendor's client licence-seat register honest.",
    )
    parser.add_argument(
        "--config", help="config file (default: config/seatbot.toml, or $SEATBOT_CONFIG)"
    )
    parser.add_argument(
        "--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"]
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    check = commands.add_parser(
        "check",
        help="one poll: read, validate, reconcile, deliver",
        description="Read the register once, validate every row, "
        "reconcile seats with contracts and report what needs a "
        "human. Example: run.py check --as-of 2026-12-03 --json",
    )
    check.add_argument(
        "--as-of",
        type=_day,
        metavar="DATE",
        help="evaluate as of this day (YYYY-MM-DD) instead of today",
    )
    check.add_argument("--json", action="store_true", help="print the report as JSON")
    check.add_argument(
        "--dry-run", action="store_true", help="deliver nothing and change no state"
    )
    check.add_argument(
        "--fail-on",
        choices=SEVERITIES,
        metavar="LEVEL",
        help="exit 1 when a finding is at or above LEVEL (critical, warning or info)",
    )
    return parser


def configure_logging(level: str) -> None:
    logging.basicConfig(
        level=level,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    configure_logging(args.log_level)
    try:
        config = config_module.load(args.config)
    except ConfigError as error:
        print(f"seatbot: {error}", file=sys.stderr)
        return EXIT_CONFIG
    commands = {"check": run_check}
    try:
        return commands[args.command](config, args)
    except ConfigError as error:
        print(f"seatbot: {error}", file=sys.stderr)
        return EXIT_CONFIG
    except RegisterError as error:
        print(f"seatbot: {error}", file=sys.stderr)
        return EXIT_UNREACHABLE


def run_check(config, args) -> int:
    from bot import poll, report

    as_of = args.as_of or dt.date.today()
    source = poll.open_source(config)
    result = poll.check(config, source, as_of)
    if args.json:
        print(report.as_json(result))
    else:
        print(report.digest(result))
    log.info(
        "polled %s in %.2f s: %s", result.register, result.seconds, report.summary_line(result)
    )
    return _exit_code(result.findings, args.fail_on)


def _exit_code(findings, fail_on: str | None) -> int:
    if fail_on is None:
        return EXIT_OK
    bar = SEVERITY_RANK[fail_on]
    return EXIT_FINDINGS if any(SEVERITY_RANK[f.severity] <= bar for f in findings) else EXIT_OK

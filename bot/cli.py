"""The command line: check, and the commands built around it."""

from __future__ import annotations

import argparse
import datetime as dt
import io
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
    from bot import job, poll, report
    from bot.state import Store

    as_of = args.as_of or dt.date.today()
    source = poll.open_source(config)
    # Console alerts are shown after the report; with --json, stdout carries only JSON.
    alert_lines = io.StringIO()
    delivery = job.open_delivery(config, alert_lines)
    store = Store(config.state.path, read_only=args.dry_run)
    try:
        result = job.run_poll(config, source, store, delivery, as_of, dry_run=args.dry_run)
    finally:
        store.close()

    if args.json:
        print(report.as_json(result.report))
    else:
        print(report.digest(result.report))
    out = sys.stderr if args.json else sys.stdout
    if alert_lines.getvalue():
        print("\nAlerts since the last check:\n" + alert_lines.getvalue().rstrip(), file=out)
    if args.dry_run:
        _show_dry_run(result, out)
    outcome = result.outcome
    log.info(
        "polled %s in %.2f s: %s; %d alerts sent in %d messages%s",
        result.report.register,
        result.report.seconds,
        report.summary_line(result.report).rstrip("."),
        outcome.sent,
        outcome.messages,
        ", delivery failed (alerts wait for the next poll)" if outcome.unreachable else "",
    )
    if outcome.unreachable:
        for error in outcome.errors:
            print(f"seatbot: {error}", file=sys.stderr)
        return EXIT_UNREACHABLE
    return _exit_code(result.report.findings, args.fail_on)


def _show_dry_run(result, stream) -> None:
    digests = result.outcome.digests
    if not digests:
        print("\nDry run: no alerts would be sent.", file=stream)
        return
    print(
        f"\nDry run: would send {len(digests)} digest(s); nothing sent, no state changed.",
        file=stream,
    )
    for digest in digests:
        print("\n".join(digest.lines), file=stream)


def _exit_code(findings, fail_on: str | None) -> int:
    if fail_on is None:
        return EXIT_OK
    bar = SEVERITY_RANK[fail_on]
    return EXIT_FINDINGS if any(SEVERITY_RANK[f.severity] <= bar for f in findings) else EXIT_OK

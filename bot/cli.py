"""The command line: check, serve, summary and status.

Logging is configured here and nowhere else. Exit codes: 0 ran; 1 findings at or above
--fail-on (status: unhealthy); 2 usage or configuration error; 3 the register or Slack
could not be reached; 70 an unexpected error (a bug, reported with its traceback).
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import logging
import sys
from zoneinfo import ZoneInfo

from bot import config as config_module
from bot.config import ConfigError
from bot.findings import SEVERITIES, SEVERITY_RANK
from bot.slack import SlackError
from bot.source import RegisterError

log = logging.getLogger("seatbot")

EXIT_OK, EXIT_FINDINGS, EXIT_CONFIG, EXIT_UNREACHABLE = 0, 1, 2, 3
EXIT_UNHEALTHY = 1
EXIT_BUG = 70  # EX_SOFTWARE from sysexits.h


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
    parser.add_argument(
        "--log-format",
        default="text",
        choices=["text", "json"],
        help="json: one JSON object per log line, for log collectors",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    check = commands.add_parser(
        "check",
        help="one poll: read, validate, reconcile, deliver",
        description="Read the register once, validate every row, reconcile seats with "
        "contracts and report what needs a human. "
        "Example: run.py check --as-of 2026-12-03 --json",
    )
    _as_of_and_dry_run(check)
    check.add_argument("--json", action="store_true", help="print the report as JSON")
    check.add_argument(
        "--fail-on",
        choices=SEVERITIES,
        metavar="LEVEL",
        help="exit 1 when a finding is at or above LEVEL (critical, warning or info)",
    )

    serve = commands.add_parser(
        "serve",
        help="poll on a schedule and send the weekly summary",
        description="Poll every [schedule] poll_minutes and send the weekly summary at "
        "summary_weekday summary_time in timezone. Stops cleanly on SIGTERM or SIGINT.",
    )
    serve.add_argument(
        "--once",
        action="store_true",
        help="for cron: poll once, send the weekly summary if one is due and was not "
        "sent yet, then exit",
    )

    summary = commands.add_parser(
        "summary",
        help="send the weekly summary now",
        description="Summarise the register for managers: seats, utilisation, renewals, "
        "true-ups, what changed since last week, with a chart.",
    )
    _as_of_and_dry_run(summary)

    status = commands.add_parser(
        "status",
        help="when the last poll ran and what waits for delivery",
        description="Read the state store. Exit 0 when the last poll succeeded recently, "
        "1 when it failed, is overdue or never ran: usable as a container health check.",
    )
    status.add_argument("--json", action="store_true", help="print the status as JSON")
    return parser


def _as_of_and_dry_run(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--as-of",
        type=_day,
        metavar="DATE",
        help="evaluate as of this day (YYYY-MM-DD) instead of today",
    )
    command.add_argument(
        "--dry-run", action="store_true", help="deliver nothing and change no state"
    )


class JsonLines(logging.Formatter):
    """One JSON object per record, traceback included, for log collectors."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["traceback"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(level: str, form: str = "text") -> None:
    handler = logging.StreamHandler(sys.stderr)
    if form == "json":
        handler.setFormatter(JsonLines())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Third-party chatter (HTTP connection pools, matplotlib's font cache) stays quiet
    # unless something is wrong.
    for noisy in ("urllib3", "matplotlib", "PIL", "slack_sdk", "google"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    configure_logging(args.log_level, args.log_format)
    try:
        config = config_module.load(args.config)
    except ConfigError as error:
        print(f"seatbot: {error}", file=sys.stderr)
        return EXIT_CONFIG
    commands = {
        "check": run_check,
        "serve": run_serve,
        "summary": run_summary,
        "status": run_status,
    }
    try:
        return commands[args.command](config, args)
    except ConfigError as error:
        print(f"seatbot: {error}", file=sys.stderr)
        return EXIT_CONFIG
    except (RegisterError, SlackError) as error:
        print(f"seatbot: {error}", file=sys.stderr)
        return EXIT_UNREACHABLE
    except Exception:
        # Not 1: a crash must never read as "findings at or above --fail-on".
        log.exception(
            "seatbot failed unexpectedly; this is a bug, please report it with the traceback above"
        )
        return EXIT_BUG


def today(config) -> dt.date:
    """Today in the configured time zone: a renewal is due on the team's calendar day."""
    return dt.datetime.now(ZoneInfo(config.schedule.timezone)).date()


def run_check(config, args) -> int:
    from bot import job, poll, report
    from bot.state import Store

    as_of = args.as_of or today(config)
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
    if delivery.name == "console" and not args.dry_run:
        _show_console_alerts(result, config, out)
    if args.dry_run:
        _show_dry_run(result, out)
    job.log_poll(result)
    if result.outcome.unreachable:
        for error in result.outcome.errors:
            print(f"seatbot: {error}", file=sys.stderr)
        return EXIT_UNREACHABLE
    return _exit_code(result.report.findings, args.fail_on)


def _show_console_alerts(result, config, stream) -> None:
    """With no Slack set up, the digest above is the delivery; say what was new in it."""
    from bot.digest import headline

    notices = [n for digest in result.outcome.digests for n in digest.notices]
    news = headline(notices).removeprefix("seatbot: ") if notices else "nothing new"
    print(
        f"\nAlerts since the last check: {news}. Slack is not set up, so nothing was sent: "
        f"set {config.slack.token_env} or {config.slack.webhook_env} to send alerts to Slack "
        "(open alerts are announced there once it is).",
        file=stream,
    )


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


def run_serve(config, args) -> int:
    from bot import job, poll, serve
    from bot.state import Store

    source = poll.open_source(config)  # kept: a Google source caches the sheet's metadata
    store = Store(config.state.path)
    delivery = job.open_delivery(config)
    try:
        if args.once:
            return _serve_once(config, source, store, delivery)
        stop = serve.Stop()
        stop.install()
        base = serve.poll_seconds(config.schedule)
        tell = job.status_reporter(config, delivery)
        poll_guard = serve.Guard(
            "register poll", lambda: _poll(config, source, store, delivery), base, tell
        )
        summary_guard = serve.Guard(
            "weekly summary", lambda: _summary(config, source, store, delivery), 3600, tell
        )
        scheduler = serve.build_scheduler(config.schedule, poll_guard, summary_guard)
        log.info(
            "serving %s: a poll every %d s, the summary on %s at %s %s",
            poll.describe(config),
            base,
            config.schedule.summary_weekday,
            config.schedule.summary_time,
            config.schedule.timezone,
        )
        poll_guard()  # at start, then on schedule; it also catches up a missed summary
        serve.loop(scheduler, stop)
        log.info("stopped cleanly")
        return EXIT_OK
    finally:
        store.close()


def _poll(config, source, store, delivery):
    """One scheduled poll, then the weekly summary if it was missed or failed."""
    from bot import job

    result = job.run_poll(config, source, store, delivery, today(config))
    job.log_poll(result)
    if _summary_missed(config, store):
        log.info("the weekly summary was missed or failed; sending it now")
        _send_summary(config, source, store, delivery, today(config))
    return result


def _summary(config, source, store, delivery) -> None:
    """The weekly job: send the summary unless this week's was already sent."""
    last_sent = _last_summary_sent(store)
    if last_sent is not None and last_sent >= _summary_due(config):
        log.info("weekly summary already sent at %s; not sending it twice", last_sent)
        return
    _send_summary(config, source, store, delivery, today(config))


def _send_summary(config, source, store, delivery, as_of: dt.date) -> None:
    """Send the summary (it records itself in the state store, sent or not)."""
    from bot import summary

    result = summary.run_summary(config, source, store, delivery, as_of)
    if result.unreachable:
        # Raised so the schedule's guard logs it and backs off; the poll retries it.
        raise result.errors[0]


def _summary_due(config) -> dt.datetime:
    from bot import serve

    return serve.last_summary_time(config.schedule, dt.datetime.now(dt.UTC))


def _last_summary_sent(store) -> dt.datetime | None:
    sent = store.db.execute(
        "SELECT MAX(finished_at) FROM polls WHERE kind = 'summary' AND ok = 1"
    ).fetchone()[0]
    return dt.datetime.fromisoformat(sent) if sent else None


def _summary_missed(config, store) -> bool:
    """True when the weekly summary fell due while seatbot was watching (polling, or
    down between polls) and has not been sent since: it was missed, or it failed.

    Before any summary was sent, the first poll marks when seatbot started watching,
    so a first start (or a first cron run) is not a missed week.
    """
    due = _summary_due(config)
    last_sent = _last_summary_sent(store)
    if last_sent is not None:
        return last_sent < due
    first = store.db.execute("SELECT MIN(started_at) FROM polls WHERE kind = 'check'").fetchone()[
        0
    ]
    return first is not None and dt.datetime.fromisoformat(first) < due


def _serve_once(config, source, store, delivery) -> int:
    result = _poll(config, source, store, delivery)
    return EXIT_UNREACHABLE if result.outcome.unreachable else EXIT_OK


def run_summary(config, args) -> int:
    from bot import job, poll, summary
    from bot.state import Store

    as_of = args.as_of or today(config)
    source = poll.open_source(config)
    delivery = job.open_delivery(config)
    store = Store(config.state.path, read_only=args.dry_run)
    try:
        result = summary.run_summary(config, source, store, delivery, as_of, dry_run=args.dry_run)
    finally:
        store.close()
    for error in result.errors:
        print(f"seatbot: {error}", file=sys.stderr)
    return EXIT_UNREACHABLE if result.unreachable else EXIT_OK


def run_status(config, args) -> int:
    from bot import alerts, serve
    from bot.state import Store

    if not config.state.path.exists():
        print("seatbot has not polled yet: no state file at " + str(config.state.path))
        return EXIT_UNHEALTHY
    store = Store(config.state.path)
    try:
        last = store.last_poll("check")
        summary = store.last_poll("summary")
        pending = alerts.pending_count(store)
    finally:
        store.close()

    allowed = dt.timedelta(seconds=3 * serve.poll_seconds(config.schedule) + 60)
    now = dt.datetime.now(dt.UTC)
    finished = dt.datetime.fromisoformat(last["finished_at"]) if last else None
    healthy = bool(last and last["ok"] and now - finished <= allowed)
    status = {
        "healthy": healthy,
        "last_poll": finished.isoformat() if finished else None,
        "last_poll_ok": bool(last["ok"]) if last else None,
        "last_error": last["error"] if last else None,
        "pending_alerts": pending,
        "last_summary": summary["finished_at"] if summary else None,
    }
    if args.json:
        print(json.dumps(status, indent=2))
    else:
        print(_status_text(status, allowed))
    return EXIT_OK if healthy else EXIT_UNHEALTHY


def _status_text(status: dict, allowed: dt.timedelta) -> str:
    if status["last_poll"] is None:
        return "seatbot has not polled yet."
    lines = [
        f"last poll: {status['last_poll']} "
        + ("(ok)" if status["last_poll_ok"] else f"(failed: {status['last_error']})"),
        f"alerts waiting for delivery: {status['pending_alerts']}",
        f"last weekly summary: {status['last_summary'] or 'never'}",
        "healthy"
        if status["healthy"]
        else f"UNHEALTHY: the last poll failed or is older than {int(allowed.total_seconds())} s",
    ]
    return "\n".join(lines)

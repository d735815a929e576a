"""The main job around one poll: check the register, plan alerts, deliver, remember.

``check`` (once) and ``serve`` (on a schedule) both run this; it never re-reads the
sheet after the poll and never writes to the user's tabs.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from dataclasses import dataclass

from bot import alerts, audit, notify, poll, writeback
from bot.config import Config
from bot.console import ConsoleDelivery
from bot.slack import SlackDelivery, SlackTransport, escape
from bot.source import RegisterError, Source
from bot.state import Store, now_utc

log = logging.getLogger(__name__)


@dataclass
class PollResult:
    report: poll.Report
    outcome: notify.Outcome
    dry_run: bool
    written: object = None
    via: str = "console"


def open_delivery(config: Config, console_stream=None):
    """Slack when a token or webhook URL is in the environment, else the console."""
    env = {
        "SLACK_BOT_TOKEN": os.environ.get(config.slack.token_env, ""),
        "SLACK_WEBHOOK_URL": os.environ.get(config.slack.webhook_env, ""),
    }
    transport = SlackTransport.from_environment(env, base_url=config.slack.api_url)
    if transport is None:
        return ConsoleDelivery(console_stream)
    return SlackDelivery(transport)


def run_poll(
    config: Config,
    source: Source,
    store: Store,
    delivery,
    as_of: dt.date,
    *,
    dry_run: bool = False,
) -> PollResult:
    """One poll end to end. Raises RegisterError when the register cannot be read."""
    started = now_utc()
    try:
        report = poll.check(config, source, as_of)
    except RegisterError as error:
        if not dry_run:
            store.record_poll("check", started, ok=False, error=str(error))
        raise

    routing = alerts.Routing.from_totals(report.totals, config.slack)
    context = f"{report.register} · as of {as_of.isoformat()}"
    with store.transaction(rollback=dry_run):
        alerts.plan(
            store,
            report.findings,
            routing,
            reminder_hours=config.slack.reminder_hours,
            via=delivery.name,
        )
        if dry_run:
            outcome = notify.deliver(store, delivery, context, dry_run=True)
    written = None
    if not dry_run:
        outcome = notify.deliver(store, delivery, context)
        written = _keep_the_sheet_informed(config, source, store, report, outcome, delivery)
        error = "; ".join(str(e) for e in outcome.errors) or None
        store.record_poll(
            "check",
            started,
            ok=not outcome.errors,
            error=error,
            contracts=len(report.totals),
            seats=report.seats.rows_read,
            findings=len(report.findings),
            sent=outcome.sent,
            seconds=report.seconds,
        )
    return PollResult(report, outcome, dry_run, written, delivery.name)


def _keep_the_sheet_informed(config, source, store, report, outcome, delivery):
    """The audit trail, the log of alerts said, and the write-back of seatbot's tabs.

    A failure here is logged and retried at the next poll; it never costs the poll its
    alerts, which are already delivered and remembered.
    """
    said = [
        (
            "alert resolved" if n.pending == "resolved" else f"alert {n.pending}",
            n.key,
            n.finding["message"],
        )
        for n in outcome.delivered
    ]
    audit.log_alerts(store, said)
    events = audit.changes(store, report.contracts, report.seats)
    audit.record(store, events, to_slack=config.writeback.audit_to_slack != "off")
    if config.writeback.audit_to_slack != "off":
        audit.deliver(store, delivery, config)

    if not config.writeback.enabled:
        return None
    try:
        return writeback.write_back(config, source, store, report)
    except (RegisterError, OSError) as error:
        log.warning("write-back failed, the next poll tries again: %s", error)
        return writeback.Written([], skipped=str(error))


def log_poll(result: PollResult) -> None:
    """The one line a person reads per poll."""
    report, outcome = result.report, result.outcome
    counts = ", ".join(f"{report.count(s)} {s}" for s in ("critical", "warning", "info"))
    if result.via == "console":
        said = f"{_count(outcome.sent, 'alert')} printed (Slack is not set up)"
    else:
        said = f"{_count(outcome.sent, 'alert')} sent in {_count(outcome.messages, 'message')}"
    if outcome.unreachable:
        said += "; delivery failed, alerts wait for the next poll"
    log.info(
        "polled %s: %s, %s, %s (%s), %s in %.2f s",
        report.register,
        _count(len(report.totals), "contract"),
        _count(report.seats.rows_read, "seat row"),
        _count(len(report.findings), "finding"),
        counts,
        said,
        report.seconds,
    )


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")


def status_reporter(config: Config, delivery):
    """A way to tell the default Slack channel that seatbot itself is in trouble."""
    if not isinstance(delivery, SlackDelivery):
        return None

    def tell(text: str) -> None:
        # Error messages can quote the sheet (tab names, headers): escaped like all of it.
        delivery.transport.post(config.slack.default_channel, escape(text))

    return tell

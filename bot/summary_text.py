"""The weekly summary in words: Block Kit for Slack and Markdown for the output folder.

Both are built from the same lines, so Slack and the Markdown copy never disagree; Slack's
lists stop at a few items ("and N more"), the Markdown copy keeps them all.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from bot.slack import SlackMessage, escape, split_into_messages

if TYPE_CHECKING:
    from bot.summary import Summary

KIND_NAMES = {
    "invalid_value": ("invalid value", "invalid values"),
    "missing_column": ("missing column", "missing columns"),
    "duplicate_key": ("duplicate id", "duplicate ids"),
    "unknown_contract": ("seat on an unknown contract", "seats on unknown contracts"),
    "client_mismatch": ("client mismatch", "client mismatches"),
    "seat_outlives_contract": ("seat outliving its contract", "seats outliving contracts"),
    "seat_expired_active": ("expired seat still active", "expired seats still active"),
    "duplicate_assignment": ("person with two seats", "people with two seats"),
}

# A Slack list longer than this ends in "and N more"; the Markdown copy has them all.
SLACK_LIST_LIMIT = 10


def percent(value: float | None) -> str:
    """12.5% with one decimal: a manager compares weeks, and whole points hide moves."""
    return "n/a" if value is None or pd.isna(value) else f"{value:.1%}"


def _points(before: float | None, now: float | None) -> str:
    if before is None or now is None:
        return f"{percent(before)} → {percent(now)}"
    delta = (now - before) * 100
    if abs(delta) < 0.05:
        return f"unchanged at {percent(now)}"
    word = "up" if delta > 0 else "down"
    return f"{word} {abs(delta):.1f} pts, {percent(before)} → {percent(now)}"


def _plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count:,} {one if count == 1 else (many or one + 's')}"


def _money(amount: float, currency: str) -> str:
    return f"{amount:,.2f} {currency}"


def _day(value) -> str:
    return pd.Timestamp(value).date().isoformat()


def _headline_lines(s: Summary, mark) -> list[str]:
    pending = ""
    if s.pending_contracts:
        pending = (
            f" ({_plural(s.pending_contracts, 'pending contract')} with "
            f"{s.pending_seats:,} seats not counted)"
        )
    return [
        f"{_plural(s.clients, 'client')} · {_plural(s.contracts, 'contract')} in force{pending}",
        f"Purchased {mark(f'{s.purchased:,}')} · allocated {mark(f'{s.allocated:,}')} · "
        f"free {mark(f'{s.free:,}')} · utilisation {mark(percent(s.utilisation))}",
    ]


def _change_lines(s: Summary, text) -> list[str]:
    c = s.changes
    if c is None:
        return ["First summary: week-over-week changes start with the next one."]
    lines = [
        f"Seats: {c.seats_added:,} added, {c.seats_retired:,} retired, "
        f"{c.seats_removed:,} removed from the register",
        f"Utilisation {_points(c.utilisation_before, c.utilisation_now)}",
        f"Alerts: {c.alerts_opened:,} opened, {c.alerts_resolved:,} resolved",
    ]
    for client, before, now in c.client_moves[:SLACK_LIST_LIMIT]:
        lines.append(f"• {text(client)}: {_points(before, now)}")
    if len(c.client_moves) > SLACK_LIST_LIMIT:
        lines.append(f"…and {len(c.client_moves) - SLACK_LIST_LIMIT} more clients moved")
    return lines


def _renewal_lines(s: Summary, text, limit: int | None) -> list[str]:
    lines = []
    for days, contracts, seats in s.renewal_windows:
        if contracts:
            lines.append(
                f"Next {days} days: {_plural(contracts, 'contract')}, {seats:,} seats at stake"
            )
        else:
            lines.append(f"Next {days} days: none")
    for r in _limited(s.renewals, limit):
        auto = ", renews itself" if r.auto_renew else ""
        lines.append(
            f"• {text(r.client)} {text(r.contract_id)}: {_day(r.end_date)} "
            f"(in {r.days_left} days{auto}), {r.allocated:,} of {r.purchased:,} seats used "
            f"({percent(r.utilisation)})"
        )
    lines += _more(s.renewals, limit, "renewals")
    return lines


def _at_risk_lines(s: Summary, text, limit: int | None) -> list[str]:
    at_risk = s.at_risk
    if not len(at_risk):
        return ["None: every contract renewing within 90 days uses enough of its seats."]
    lines = []
    for r in _limited(at_risk, limit):
        lines.append(
            f"• {text(r.client)} {text(r.contract_id)}: renews {_day(r.end_date)} "
            f"(in {r.days_left} days), uses {r.allocated:,} of {r.purchased:,} seats "
            f"({percent(r.utilisation)}); {r.purchased - r.allocated:,} seats may be cut"
        )
    return lines + _more(at_risk, limit, "contracts at risk")


def _true_up_lines(s: Summary, text, limit: int | None) -> list[str]:
    if not len(s.true_ups):
        return ["None: no client uses more seats than it bought."]
    lines = []
    for r in _limited(s.true_ups, limit):
        if pd.isna(r.amount):
            amount = "no price per seat in the register"
        else:
            amount = f"invoice {_money(r.amount, s.currency)}"
        lines.append(
            f"• {text(r.client)} {text(r.contract_id)}: "
            f"{_plural(int(r.excess), 'seat')} over, {amount}"
        )
    lines += _more(s.true_ups, limit, "true-ups")
    priced = int(s.true_ups["amount"].notna().sum())
    if priced:
        lines.append(f"Total to invoice: {_money(s.true_up_total, s.currency)}")
    return lines


def _over_lines(s: Summary, text, limit: int | None) -> list[str]:
    if not len(s.over_provisioned):
        return ["None."]
    lines = [
        f"• {text(r.client)}: {_plural(int(r.excess), 'seat')} over "
        f"({r.allocated:,} allocated of {r.purchased:,} on {text(r.contracts)})"
        for r in _limited(s.over_provisioned, limit)
    ]
    return lines + _more(s.over_provisioned, limit, "clients")


def _out_of_contract_lines(s: Summary, text, limit: int | None) -> list[str]:
    if not len(s.out_of_contract):
        return ["None."]
    lines = []
    for r in _limited(s.out_of_contract, limit):
        why = f"ended {_day(r.end_date)}" if r.reason == "ended" else "terminated"
        lines.append(
            f"• {text(r.client)} {text(r.contract_id)}: {why}, "
            f"{_plural(int(r.allocated), 'seat')} still allocated"
        )
    return lines + _more(s.out_of_contract, limit, "contracts")


def _client_lines(s: Summary, text, limit: int | None) -> list[str]:
    lines = []
    for r in _limited(s.by_client, limit):
        lines.append(
            f"• {text(r.client)}: {r.allocated:,} of {r.purchased:,} ({percent(r.utilisation)})"
        )
    return lines + _more(s.by_client, limit, "clients")


def _quality_lines(s: Summary) -> list[str]:
    if not s.data_quality:
        return ["No problems found in the register's rows."]
    lines = []
    for tab, kinds in s.data_quality.items():
        parts = [
            _plural(count, *KIND_NAMES.get(kind, (kind, kind)))
            for kind, count in sorted(kinds.items(), key=lambda item: (-item[1], item[0]))
        ]
        lines.append(f"{tab}: {_plural(sum(kinds.values()), 'problem')} ({', '.join(parts)})")
    return lines


def _limited(frame: pd.DataFrame, limit: int | None):
    return (frame if limit is None else frame.head(limit)).itertuples(index=False)


def _more(frame: pd.DataFrame, limit: int | None, noun: str) -> list[str]:
    if limit is None or len(frame) <= limit:
        return []
    return [f"…and {len(frame) - limit:,} more {noun} (the Markdown copy lists them all)"]


def title(s: Summary) -> str:
    return f"Weekly seat summary, as of {s.as_of.isoformat()}"


def _sections(s: Summary, text, mark, limit: int | None, client_limit: int | None):
    """(heading, lines) in reading order; the same for Slack and Markdown."""
    since = f" (since {s.changes.since.isoformat()})" if s.changes else ""
    at_risk = f"Renewals at risk (below {percent(s.at_risk_below)} used)"
    return [
        ("Seats", _headline_lines(s, mark)),
        (f"Since last summary{since}", _change_lines(s, text)),
        ("Renewals in the next 90 days", _renewal_lines(s, text, limit)),
        (at_risk, _at_risk_lines(s, text, limit)),
        ("True-up candidates", _true_up_lines(s, text, limit)),
        ("Over-provisioned clients", _over_lines(s, text, limit)),
        ("Ended or terminated, seats still live", _out_of_contract_lines(s, text, limit)),
        ("Utilisation by client", _client_lines(s, text, client_limit)),
        ("Data quality", _quality_lines(s)),
    ]


def fallback_text(s: Summary) -> str:
    return (
        f"{title(s)}: {s.allocated:,} of {s.purchased:,} seats allocated "
        f"({percent(s.utilisation)}), {_plural(len(s.renewals), 'renewal')} in 90 days, "
        f"{len(s.at_risk)} at risk, {_plural(len(s.true_ups), 'true-up')}"
    )


def render_blocks(s: Summary, top_clients: int = 10) -> list[SlackMessage]:
    """Block Kit messages: the first for the channel, any others for its thread."""
    header = [
        {"type": "header", "text": {"type": "plain_text", "text": title(s)[:150]}},
        {
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": escape(s.register)[:2000]}],
        },
    ]
    sections = [
        f"*{heading}*\n" + "\n".join(lines)
        for heading, lines in _sections(
            s, escape, lambda v: f"*{v}*", SLACK_LIST_LIMIT, top_clients
        )
    ]
    return split_into_messages(header, sections, fallback_text(s))


def render_markdown(s: Summary, chart_name: str | None = None) -> str:
    """The whole summary as Markdown, every list complete."""

    def text(value: str) -> str:
        # Sheet text must not turn into Markdown markup or HTML in a viewer.
        return str(value).replace("\\", "\\\\").replace("*", "\\*").replace("_", "\\_")

    lines = [f"# {title(s)}", "", f"Register: `{s.register.replace('`', '')}`", ""]
    if chart_name:
        lines += [f"![Seats and renewals]({chart_name})", ""]
    for heading, body in _sections(s, text, lambda v: f"**{v}**", None, None):
        lines += [f"## {heading}", ""]
        lines += _markdown_body(body)
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _markdown_body(body: list[str]) -> list[str]:
    """Bullets become a list; a line after a list gets a blank line, or it joins the list."""
    lines: list[str] = []
    in_list = False
    for line in body:
        bullet = line.startswith("• ")
        if in_list and not bullet:
            lines.append("")
        # Two trailing spaces: a line break inside a paragraph.
        lines.append("- " + line[2:] if bullet else f"{line}  ")
        in_list = bullet
    return lines

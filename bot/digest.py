"""An alert digest for one channel: Block Kit for Slack, plain lines for a console.

Sheet text is escaped here and nowhere else, so a cell holding ``<!channel>`` reaches
Slack as text; mentions seatbot builds itself (the account owner) are left intact.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.alerts import Notice
from bot.findings import SEVERITY_RANK
from bot.slack import MAX_SECTION_TEXT, SlackMessage, escape, split_into_messages

TITLES = {
    "invalid_value": "Invalid value",
    "missing_column": "Missing column",
    "duplicate_key": "Duplicate id",
    "unknown_contract": "Unknown contract",
    "client_mismatch": "Client mismatch",
    "over_provisioned": "Over-provisioned",
    "seats_running_out": "Seats running out",
    "renewal_due": "Renewal due",
    "notice_deadline": "Notice deadline",
    "contract_ended_seats_active": "Contract ended, seats still live",
    "contract_terminated_seats_active": "Contract terminated, seats still live",
    "seat_outlives_contract": "Seat outlives its contract",
    "seat_expired_active": "Expired seat still active",
    "duplicate_assignment": "One person, two seats",
}
ICONS = {
    "critical": ":red_circle:",
    "warning": ":large_orange_circle:",
    "info": ":large_blue_circle:",
}
LABELS = {
    "new": "new",
    "again": "again",
    "worse": "worse",
    "reminder": "reminder",
    "resolved": "resolved",
}


@dataclass
class Digest:
    channel: str
    notices: list[Notice]
    messages: list[SlackMessage]
    lines: list[str]
    # notices[i] went out in message message_of[i]: lets delivery mark each message's
    # alerts as delivered the moment Slack accepts that message.
    message_of: list[int]


def ordered(notices: list[Notice]) -> list[Notice]:
    """Most urgent first; resolved notes last."""
    return sorted(
        notices,
        key=lambda n: (
            n.pending == "resolved",
            SEVERITY_RANK[n.severity],
            (n.finding.get("client") or "").casefold(),
            n.finding.get("contract_id") or "",
            n.finding["kind"],
            n.key,
        ),
    )


def headline(notices: list[Notice]) -> str:
    counts: dict[str, int] = {}
    for notice in notices:
        counts[notice.pending] = counts.get(notice.pending, 0) + 1
    parts = [f"{counts[label]} {label}" for label in LABELS if counts.get(label)]
    return "seatbot: " + ", ".join(parts)


def _section_text(notice: Notice) -> str:
    finding = notice.finding
    title = TITLES.get(finding["kind"], finding["kind"])
    names = [escape(x) for x in (finding.get("client"), finding.get("contract_id")) if x]
    who = " · ".join(f"*{name}*" for name in names[:1]) + "".join(f" · {n}" for n in names[1:])
    if notice.pending == "resolved":
        subject = escape(str(finding["subject"]))
        return _fit(
            f":white_check_mark: *Resolved: {title}* · {who or subject} — {subject} is no "
            "longer reported."
        )
    label = "" if notice.pending == "new" else f" ({LABELS[notice.pending]})"
    head = f"{ICONS[notice.severity]} *{title}*{label}" + (f" · {who}" if who else "")
    lines = [head, escape(finding["message"])]
    footer = []
    if finding.get("tab") and finding.get("cell"):
        footer.append(escape(f"{finding['tab']}!{finding['cell']}"))
    if notice.mention:
        footer.append(f"owner <@{notice.mention}>")
    return _fit("\n".join(lines), " · ".join(footer))


def _fit(text: str, footer: str = "") -> str:
    """One section's text within Slack's limit, cutting the sheet's text, not the footer.

    Each notice must stay one section: delivery maps sections back to notices, and the
    footer says where the problem is and whom it concerns.
    """
    tail = f"\n{footer}" if footer else ""
    room = MAX_SECTION_TEXT - len(tail)
    if len(text) > room:
        text = text[: room - 1]
        entity = text.rfind("&")
        if entity >= len(text) - 5 and ";" not in text[entity:]:
            text = text[:entity]  # no half an &amp; left behind
        text += "…"
    return (text + tail)[:MAX_SECTION_TEXT]


def _plain_line(notice: Notice) -> str:
    finding = notice.finding
    where = f"{finding['tab']}!{finding['cell']}" if finding.get("cell") else ""
    if notice.pending == "resolved":
        return f"  RESOLVED {finding['kind']:<32} {where:<14} {finding['subject']}"
    return f"  {notice.pending.upper():<8} {finding['kind']:<32} {where:<14} {finding['message']}"


def _context(notices: list[Notice], where: str) -> str:
    """Open alerts by severity, then the register and the day: the header's fine print."""
    open_ones = [n for n in notices if n.pending != "resolved"]
    counts = [
        f"{sum(n.severity == level for n in open_ones)} {level}"
        for level in ("critical", "warning", "info")
        if any(n.severity == level for n in open_ones)
    ]
    return " · ".join([*counts, escape(where)])


def render(channel: str, notices: list[Notice], context: str) -> Digest:
    notices = ordered(notices)
    title = headline(notices)
    header = [
        {"type": "header", "text": {"type": "plain_text", "text": title[:150]}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": _context(notices, context)}]},
    ]
    first = next((n for n in notices if n.pending != "resolved"), None)
    # The fallback is mrkdwn too (and what notifications show): sheet text escaped here
    # as well, or a client named <!channel> would ping the channel from the preview.
    urgent = f". Most urgent: {escape(first.finding['message'])}" if first else ""
    fallback = title + urgent
    messages = split_into_messages(header, [_section_text(n) for n in notices], fallback)

    message_of = []
    for number, message in enumerate(messages):
        sections = sum(1 for block in message.blocks if block["type"] == "section")
        message_of.extend([number] * sections)
    lines = [f"{title} -> {channel}", *(_plain_line(n) for n in notices)]
    return Digest(channel, notices, messages, lines, message_of)

"""The alert lifecycle: which findings deserve a message now, and to which channel.

A finding becomes an alert keyed by its kind and subject. An alert is announced once;
it is announced again only when its edition changes (a renewal crossed another reminder
threshold, or the contract's end date moved), when it gets worse (a higher excess, a
higher severity), or when a reminder for an unresolved critical alert is due. When the
finding goes away, a short "resolved" note follows.

What is to be said waits in the alert's ``pending`` column until Slack answered ok, so
an outage or a crash loses nothing: the next poll delivers whatever still waits.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3
from dataclasses import dataclass

import pandas as pd

from bot.config import SlackConfig
from bot.findings import SEVERITY_RANK, Finding
from bot.state import Store, dumps, now_utc

# Facts that make an alert new again when they change.
EDITION_FACTS = {
    "renewal_due": ("threshold", "end_date"),
    "notice_deadline": ("threshold", "end_date"),
    "contract_ended_seats_active": ("end_date",),
    "seat_outlives_contract": ("expires_on", "end_date"),
}
# The fact whose growth makes an alert worse.
MEASURE_FACT = {
    "over_provisioned": "excess",
    "contract_ended_seats_active": "allocated",
    "contract_terminated_seats_active": "allocated",
}
SLACK_USER_ID = re.compile(r"^[UW][A-Z0-9]{6,}$")
SLACK_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{6,}$")
ANNOUNCING = ("new", "again", "worse", "reminder")


@dataclass
class Notice:
    """One alert waiting to be said in a channel."""

    key: str
    pending: str
    severity: str
    finding: dict
    mention: str | None


def alert_key(finding: Finding) -> str:
    if finding.kind == "invalid_value":
        # The row's own id keeps the key stable when rows are inserted above it.
        return f"invalid_value|{finding.tab}|{finding.subject}|{finding.column}"
    if finding.kind == "duplicate_key":
        return f"duplicate_key|{finding.tab}|{finding.subject}"
    return f"{finding.kind}|{finding.subject}"


def edition(finding: Finding) -> str:
    names = EDITION_FACTS.get(finding.kind, ())
    facts = {name: finding.facts.get(name) for name in names}
    if finding.kind == "invalid_value":
        facts["value"] = finding.value
    return dumps(facts)


def measure(finding: Finding) -> float:
    name = MEASURE_FACT.get(finding.kind)
    return float(finding.facts.get(name, 0)) if name else 0.0


@dataclass
class Routing:
    """Which channel hears about a client, and who to mention."""

    config: SlackConfig
    channels: dict[str, str]
    owners: dict[str, str]

    @classmethod
    def from_totals(cls, totals: pd.DataFrame, config: SlackConfig) -> Routing:
        def column(name: str) -> dict[str, str]:
            if name not in totals.columns or totals.empty:
                return {}
            given = totals[totals[name].notna()]
            return dict(zip(given["contract_id"], given[name].str.strip(), strict=True))

        return cls(config, column("channel"), column("owner"))

    def channel(self, finding: Finding) -> str:
        from_sheet = self.channels.get(finding.contract_id or "")
        if from_sheet:
            return channel_name(from_sheet)
        # People type client names and emails in any case; the sheet's and the config's
        # spellings are matched the way headers are, so a route is not silently missed.
        by_client = {_folded(k): v for k, v in self.config.channels.items()}
        return channel_name(by_client.get(_folded(finding.client), self.config.default_channel))

    def mention(self, finding: Finding) -> str | None:
        owner = self.owners.get(finding.contract_id or "")
        if not owner:
            return None
        if SLACK_USER_ID.match(owner):
            return owner
        return {_folded(k): v for k, v in self.config.owners.items()}.get(_folded(owner))


def channel_name(text: str) -> str:
    """One spelling per channel, so it gets one digest: an id as given, else "#name".

    Slack channel names are lower case; "renewals", "#renewals" and " #Renewals " are one
    channel. (A name and the same channel's id still make two digests: telling them
    apart would take a conversations.list call at planning time.)
    """
    text = text.strip()
    if SLACK_CHANNEL_ID.match(text):
        return text
    return "#" + text.removeprefix("#").strip().lower()


def _folded(text: str | None) -> str:
    return (text or "").strip().casefold()


def plan(
    store: Store,
    findings: list[Finding],
    routing: Routing,
    now: str | None = None,
    reminder_hours: float = 0.0,
    via: str | None = None,
) -> None:
    """Compare this poll's findings with the store and mark what must be said.

    Runs inside the caller's transaction, so a dry run can roll it all back. The stored
    alerts are read in one query and written with executemany: a poll of a million
    seats has tens of thousands of findings, and a statement each took seconds.
    """
    now = now or now_utc()
    by_key: dict[str, Finding] = {}
    for finding in findings:
        by_key.setdefault(alert_key(finding), finding)

    stored = _stored(store.db, list(by_key))
    inserts, updates = [], []
    for key, finding in by_key.items():
        values = _values(key, finding, routing, now)
        row = stored.get(key)
        if row is None or row["resolved_at"] is not None:
            inserts.append({**values, "pending": _reopened(row, values, now, reminder_hours, via)})
            continue
        pending = row["pending"] if row["pending"] in ANNOUNCING else None
        pending = pending or _change(row, values, now, reminder_hours, via)
        updates.append({**values, "pending": pending, "pending_since": now if pending else None})

    store.db.executemany(_INSERT, inserts)
    store.db.executemany(_UPDATE, updates)
    _resolve_missing(store.db, set(by_key), now, via)


def _stored(db: sqlite3.Connection, keys: list[str]) -> dict[str, sqlite3.Row]:
    """The stored alerts with these keys, in one query (json_each: no limit on keys)."""
    rows = db.execute(
        "SELECT * FROM alerts WHERE key IN (SELECT value FROM json_each(?))", (json.dumps(keys),)
    ).fetchall()
    return {row["key"]: row for row in rows}


def _values(key: str, finding: Finding, routing: Routing, now: str) -> dict:
    return {
        "key": key,
        "kind": finding.kind,
        "subject": finding.subject,
        "client": finding.client,
        "contract_id": finding.contract_id,
        "severity": finding.severity,
        "channel": routing.channel(finding),
        "mention": routing.mention(finding),
        "edition": edition(finding),
        "measure": measure(finding),
        "finding": dumps(finding.to_dict()),
        "last_seen": now,
    }


def _reopened(row, values: dict, now: str, reminder_hours: float, via) -> str | None:
    """What a new alert, or one stored as resolved, has to say."""
    if row is None or row["pending"] != "resolved":
        return "new"
    # It came back before its resolution was announced: nothing changed for the
    # channel, unless the alert itself changed since it was last said.
    return _change(row, values, now, reminder_hours, via)


_INSERT = (
    "INSERT INTO alerts (key, kind, subject, client, contract_id, severity, channel,"
    " mention, edition, measure, finding, first_seen, last_seen, pending,"
    " pending_since) VALUES (:key, :kind, :subject, :client, :contract_id,"
    " :severity, :channel, :mention, :edition, :measure, :finding, :last_seen,"
    " :last_seen, :pending, :last_seen)"
    " ON CONFLICT (key) DO UPDATE SET severity = excluded.severity,"
    " channel = excluded.channel, mention = excluded.mention,"
    " edition = excluded.edition, measure = excluded.measure,"
    " finding = excluded.finding, last_seen = excluded.last_seen,"
    " resolved_at = NULL, pending = excluded.pending,"
    " pending_since = excluded.pending_since,"
    " first_seen = CASE WHEN alerts.pending = 'resolved' THEN alerts.first_seen"
    " ELSE excluded.first_seen END,"
    # Back after its resolution was announced: the channel knows of it no more,
    # so it counts as never said (gone again unsaid, it needs no second note).
    " delivered_at = CASE WHEN alerts.pending = 'resolved'"
    " THEN alerts.delivered_at ELSE NULL END,"
    " delivered_edition = CASE WHEN alerts.pending = 'resolved'"
    " THEN alerts.delivered_edition ELSE NULL END,"
    " delivered_measure = CASE WHEN alerts.pending = 'resolved'"
    " THEN alerts.delivered_measure ELSE NULL END"
)
_UPDATE = (
    "UPDATE alerts SET severity = :severity, channel = :channel, mention = :mention,"
    " edition = :edition, measure = :measure, finding = :finding,"
    " last_seen = :last_seen, pending = :pending,"
    " pending_since = COALESCE(pending_since, :pending_since) WHERE key = :key"
)


def _change(
    row: sqlite3.Row, values: dict, now: str, reminder_hours: float, via: str | None = None
) -> str | None:
    """Why a delivered alert must be said again, or None."""
    if row["delivered_at"] is None or not _same_place(row["delivered_via"], via):
        # Shown only on a console so far: Slack has not heard of it yet.
        return "new"
    if values["edition"] != row["delivered_edition"]:
        return "again"
    worse_measure = values["measure"] > (row["delivered_measure"] or 0)
    worse_severity = SEVERITY_RANK[values["severity"]] < SEVERITY_RANK.get(
        row["delivered_severity"] or "info", 2
    )
    if worse_measure or worse_severity:
        return "worse"
    if reminder_hours and values["severity"] == "critical":
        last = dt.datetime.fromisoformat(row["delivered_at"])
        if dt.datetime.fromisoformat(now) - last >= dt.timedelta(hours=reminder_hours):
            return "reminder"
    return None


def _same_place(delivered_via: str | None, via: str | None) -> bool:
    return delivered_via is None or via is None or delivered_via == via


def _resolve_missing(db: sqlite3.Connection, seen: set[str], now: str, via=None) -> None:
    open_alerts = db.execute(
        "SELECT key, delivered_at, delivered_via FROM alerts WHERE resolved_at IS NULL"
    ).fetchall()
    elsewhere, unsaid, resolved = [], [], []
    for row in open_alerts:
        if row["key"] in seen:
            continue
        if not _same_place(row["delivered_via"], via):
            # Announced elsewhere (a console): this channel never heard of it.
            elsewhere.append((now, row["key"]))
        elif row["delivered_at"] is None:
            # Never announced: it came and went between deliveries, nothing to say.
            unsaid.append((row["key"],))
        else:
            resolved.append((now, now, row["key"]))
    db.executemany("UPDATE alerts SET resolved_at = ?, pending = NULL WHERE key = ?", elsewhere)
    db.executemany("DELETE FROM alerts WHERE key = ?", unsaid)
    db.executemany(
        "UPDATE alerts SET resolved_at = ?, pending = 'resolved', pending_since = ? WHERE key = ?",
        resolved,
    )


def pending_by_channel(store: Store) -> dict[str, list[Notice]]:
    rows = store.db.execute(
        "SELECT key, pending, severity, finding, mention, channel FROM alerts"
        " WHERE pending IS NOT NULL"
    ).fetchall()
    by_channel: dict[str, list[Notice]] = {}
    for row in rows:
        notice = Notice(
            row["key"], row["pending"], row["severity"], json.loads(row["finding"]), row["mention"]
        )
        by_channel.setdefault(row["channel"], []).append(notice)
    return by_channel


def mark_delivered(
    store: Store, notices: list[Notice], now: str | None = None, via: str | None = None
) -> None:
    """Slack said ok: these notices are said, and will not be said again."""
    now = now or now_utc()
    with store.transaction() as db:
        for notice in notices:
            db.execute(
                "UPDATE alerts SET delivered_at = :now, pending = NULL, pending_since = NULL,"
                " attempts = 0, last_error = NULL,"
                " delivered_via = COALESCE(:via, delivered_via),"
                " delivered_edition = CASE WHEN :resolved THEN delivered_edition"
                " ELSE edition END,"
                " delivered_measure = CASE WHEN :resolved THEN delivered_measure"
                " ELSE measure END,"
                " delivered_severity = CASE WHEN :resolved THEN delivered_severity"
                " ELSE severity END"
                " WHERE key = :key AND pending = :pending",
                {
                    "now": now,
                    "via": via,
                    "key": notice.key,
                    "pending": notice.pending,
                    "resolved": notice.pending == "resolved",
                },
            )


def mark_failed(store: Store, notices: list[Notice], error: str) -> None:
    with store.transaction() as db:
        for notice in notices:
            db.execute(
                "UPDATE alerts SET attempts = attempts + 1, last_error = ? WHERE key = ?",
                (error, notice.key),
            )


def pending_count(store: Store) -> int:
    return store.db.execute("SELECT COUNT(*) FROM alerts WHERE pending IS NOT NULL").fetchone()[0]

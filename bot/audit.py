"""The audit trail: what changed in the register between two polls.

Each poll's view of every seat and contract is kept in the state store; the next poll
compares whole columns with it and records an event per change. A row that fails
validation this poll keeps its last known state: it is neither removed nor re-added.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import pandas as pd

from bot.ingest import Table
from bot.state import Store, now_utc

SEAT_FIELDS = ("contract_id", "status", "assigned_to", "email")
CONTRACT_FIELDS = ("client", "seats", "end_date", "status")
STATUS_EVENTS = {
    ("suspended", "active"): "reinstated",
    ("retired", "active"): "reactivated",
}
INTO_STATUS = {
    "active": "activated",
    "suspended": "suspended",
    "retired": "retired",
    "available": "released",
}


@dataclass
class Event:
    tab: str
    subject: str
    event: str
    field: str | None = None
    before: str | None = None
    after: str | None = None
    client: str | None = None
    contract_id: str | None = None


def _view(frame: pd.DataFrame, key: str, fields: tuple[str, ...]) -> pd.DataFrame:
    """The fields as plain text (blank for empty), indexed by the row's key."""
    view = frame.set_index(key)[list(fields)].copy()
    for name in fields:
        column = view[name]
        if pd.api.types.is_datetime64_any_dtype(column):
            column = column.dt.strftime("%Y-%m-%d")
        view[name] = column.astype("string").fillna("").astype(object)
    view.index = view.index.astype(str)
    return view


def _previous(store: Store, table: str, key: str, fields: tuple[str, ...]) -> pd.DataFrame:
    columns = ", ".join((key, *fields))
    frame = pd.read_sql(f"SELECT {columns} FROM {table}", store.db, index_col=key)
    return frame.astype("string").fillna("").astype(object)


def changes(store: Store, contracts: Table, seats: Table) -> list[Event]:
    """Compare this poll with the last; update the kept view; return the events."""
    events: list[Event] = []
    if contracts.usable:
        events += _compare(
            store, "contract_rows", contracts, "contract_id", CONTRACT_FIELDS, _contract_events
        )
    if seats.usable:
        events += _compare(store, "seat_rows", seats, "seat_id", SEAT_FIELDS, _seat_events)
    return events


def _compare(store, table_name, table: Table, key, fields, describe) -> list[Event]:
    before = _previous(store, table_name, key, fields)
    now = _view(table.frame, key, fields)
    first_poll = before.empty
    present = now.index.union(pd.Index(sorted(table.held_back), dtype=object))

    added = now.index.difference(before.index)
    removed = before.index.difference(present)
    common = now.index.intersection(before.index)
    old, new = before.loc[common], now.loc[common, list(fields)]
    changed_mask = old.values != new.values
    changed_rows = common[changed_mask.any(axis=1)] if len(common) else common

    events: list[Event] = []
    if not first_poll:
        client_of = now["client"] if "client" in now.columns else None
        for subject in added:
            events.append(
                Event(
                    table.tab,
                    subject,
                    "added",
                    client=_get(client_of, subject),
                    contract_id=_contract(now, subject, key),
                )
            )
        for subject in removed:
            events.append(
                Event(table.tab, subject, "removed", contract_id=_contract(before, subject, key))
            )
        for subject in changed_rows:
            events += describe(table.tab, subject, before.loc[subject], now.loc[subject])

    _save(store, table_name, key, fields, now.loc[added.union(changed_rows)], removed)
    return events


def _get(series, subject):
    if series is None:
        return None
    value = series.get(subject)
    return value or None


def _contract(frame: pd.DataFrame, subject: str, key: str) -> str | None:
    if key == "contract_id":
        return subject
    return frame.at[subject, "contract_id"] or None


def _save(store, table_name, key, fields, upserts: pd.DataFrame, removed) -> None:
    columns = ", ".join((key, *fields))
    marks = ", ".join("?" * (len(fields) + 1))
    with store.transaction() as db:
        db.executemany(
            f"INSERT OR REPLACE INTO {table_name} ({columns}) VALUES ({marks})",
            upserts.reset_index().itertuples(index=False, name=None),
        )
        db.executemany(
            f"DELETE FROM {table_name} WHERE {key} = ?", ((subject,) for subject in removed)
        )


def _seat_events(tab, subject, old, new) -> list[Event]:
    events = []
    contract = new["contract_id"] or None
    if old["status"] != new["status"]:
        name = STATUS_EVENTS.get(
            (old["status"], new["status"]), INTO_STATUS.get(new["status"], "status_changed")
        )
        events.append(
            Event(tab, subject, name, "status", old["status"], new["status"], contract_id=contract)
        )
    for field in ("assigned_to", "email"):
        if old[field] != new[field]:
            events.append(
                Event(
                    tab, subject, "reassigned", field, old[field], new[field], contract_id=contract
                )
            )
    if old["contract_id"] != new["contract_id"]:
        events.append(
            Event(
                tab,
                subject,
                "moved",
                "contract_id",
                old["contract_id"],
                new["contract_id"],
                contract_id=contract,
            )
        )
    return events


def _contract_events(tab, subject, old, new) -> list[Event]:
    events = []
    client = new["client"] or None
    if old["seats"] != new["seats"]:
        events.append(
            Event(
                tab,
                subject,
                "seats_changed",
                "seats",
                old["seats"],
                new["seats"],
                client=client,
                contract_id=subject,
            )
        )
    if old["end_date"] != new["end_date"]:
        name = "renewed" if new["end_date"] > old["end_date"] else "end_date_moved"
        events.append(
            Event(
                tab,
                subject,
                name,
                "end_date",
                old["end_date"],
                new["end_date"],
                client=client,
                contract_id=subject,
            )
        )
    if old["status"] != new["status"]:
        events.append(
            Event(
                tab,
                subject,
                "status_changed",
                "status",
                old["status"],
                new["status"],
                client=client,
                contract_id=subject,
            )
        )
    if old["client"] != new["client"]:
        events.append(
            Event(
                tab,
                subject,
                "client_changed",
                "client",
                old["client"],
                new["client"],
                client=client,
                contract_id=subject,
            )
        )
    return events


def record(store: Store, events: list[Event], *, to_slack: bool) -> None:
    """Keep the events and add them to the log seatbot writes back to the sheet."""
    if not events:
        return
    now = now_utc()
    with store.transaction() as db:
        db.executemany(
            "INSERT INTO audit_events (seen_at, tab, subject, event, field, before, after,"
            " client, contract_id, slack_pending) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    now,
                    e.tab,
                    e.subject,
                    e.event,
                    e.field,
                    e.before,
                    e.after,
                    e.client,
                    e.contract_id,
                    int(to_slack),
                )
                for e in events
            ],
        )
        db.executemany(
            "INSERT INTO log_lines (at, what, subject, field, before, after)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [
                (now, f"{e.tab.lower()} {e.event}", e.subject, e.field, e.before, e.after)
                for e in events
            ],
        )


def log_alerts(store: Store, said: list[tuple[str, str, str]]) -> None:
    """Log alerts that reached their channel: (what, subject, detail) each."""
    if not said:
        return
    now = now_utc()
    with store.transaction() as db:
        db.executemany(
            "INSERT INTO log_lines (at, what, subject, detail) VALUES (?, ?, ?, ?)",
            [(now, what, subject, detail) for what, subject, detail in said],
        )


def pending_for_slack(store: Store) -> list[dict]:
    rows = store.db.execute(
        "SELECT * FROM audit_events WHERE slack_pending = 1 ORDER BY id"
    ).fetchall()
    return [dict(row) for row in rows]


def mark_posted(store: Store, ids: list[int]) -> None:
    with store.transaction() as db:
        db.executemany(
            "UPDATE audit_events SET slack_pending = 0 WHERE id = ?", [(i,) for i in ids]
        )


def deliver(store: Store, delivery, config) -> None:
    """Post pending audit events: to the default channel ("digest") or their own."""
    from bot.digest import Digest
    from bot.slack import SlackError, escape, split_into_messages

    events = pending_for_slack(store)
    if not events:
        return
    settings = config.writeback
    channel = (
        settings.audit_channel
        if settings.audit_to_slack == "channel"
        else (config.slack.default_channel)
    )
    title = f"seatbot: {len(events)} change(s) in the register"
    lines = [
        f"*{escape(e['subject'])}* {escape(e['event'].replace('_', ' '))}"
        + (
            f": {escape(e['before'] or '(blank)')} → {escape(e['after'] or '(blank)')}"
            if e["field"]
            else ""
        )
        for e in events
    ]
    header = [{"type": "header", "text": {"type": "plain_text", "text": title}}]
    sections = ["\n".join(lines[i : i + 20]) for i in range(0, len(lines), 20)]
    messages = split_into_messages(header, sections, title)
    plain = [title, *(f"  {e['tab']} {e['subject']} {e['event']}" for e in events)]
    digest = Digest(channel, [], messages, plain, [])
    try:
        delivery.send(digest)
    except SlackError as error:
        logging.getLogger(__name__).warning(
            "could not post %d audit events to %s, the next poll tries again: %s",
            len(events),
            channel,
            error,
        )
        return
    mark_posted(store, [e["id"] for e in events])

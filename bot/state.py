"""The state store: one SQLite file that remembers alerts, polls and snapshots.

The schema carries a version (SQLite's user_version) and is migrated forward on open,
so an upgraded seatbot keeps what an older one remembered. Transactions are explicit:
the alert lifecycle commits a poll's decisions as one unit, and a dry run rolls back.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

log = logging.getLogger(__name__)

MIGRATIONS = [
    # 1: alerts and polls
    """
    CREATE TABLE alerts (
        key TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        subject TEXT NOT NULL,
        client TEXT,
        contract_id TEXT,
        severity TEXT NOT NULL,
        channel TEXT NOT NULL,
        mention TEXT,
        edition TEXT NOT NULL,
        measure REAL NOT NULL DEFAULT 0,
        finding TEXT NOT NULL,
        first_seen TEXT NOT NULL,
        last_seen TEXT NOT NULL,
        delivered_at TEXT,
        delivered_edition TEXT,
        delivered_measure REAL,
        delivered_severity TEXT,
        resolved_at TEXT,
        pending TEXT,
        pending_since TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT
    );
    CREATE INDEX alerts_pending ON alerts (pending, channel);
    CREATE TABLE polls (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        started_at TEXT NOT NULL,
        finished_at TEXT NOT NULL,
        ok INTEGER NOT NULL,
        error TEXT,
        contracts INTEGER,
        seats INTEGER,
        findings INTEGER,
        sent INTEGER,
        seconds REAL
    );
    """,
    # 2: snapshots, one per weekly summary, for week-over-week changes. seat_states is
    # the zlib-compressed "seat_id<TAB>status" lines of every seat, sorted: counts alone
    # cannot tell ten seats added and ten retired from no change at all.
    """
    CREATE TABLE snapshots (
        id INTEGER PRIMARY KEY,
        taken_at TEXT NOT NULL,
        as_of TEXT NOT NULL,
        contracts INTEGER NOT NULL,
        seats INTEGER NOT NULL,
        purchased INTEGER NOT NULL,
        allocated INTEGER NOT NULL,
        utilisation REAL,
        clients TEXT NOT NULL,
        seat_states BLOB NOT NULL
    );
    CREATE INDEX snapshots_as_of ON snapshots (as_of);
    """,
    # 3: the audit trail. seat_rows and contract_rows hold the last poll's view of each
    # row, so the next poll can say what changed; audit_events is what it said; writes
    # remembers what seatbot last wrote to its own tabs, so an unchanged poll writes
    # nothing.
    """
    CREATE TABLE seat_rows (
        seat_id TEXT PRIMARY KEY,
        contract_id TEXT,
        status TEXT,
        assigned_to TEXT,
        email TEXT
    );
    CREATE TABLE contract_rows (
        contract_id TEXT PRIMARY KEY,
        client TEXT,
        seats TEXT,
        end_date TEXT,
        status TEXT
    );
    CREATE TABLE audit_events (
        id INTEGER PRIMARY KEY,
        seen_at TEXT NOT NULL,
        tab TEXT NOT NULL,
        subject TEXT NOT NULL,
        event TEXT NOT NULL,
        field TEXT,
        before TEXT,
        after TEXT,
        client TEXT,
        contract_id TEXT,
        slack_pending INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE log_lines (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        what TEXT NOT NULL,
        subject TEXT,
        field TEXT,
        before TEXT,
        after TEXT,
        detail TEXT
    );
    CREATE TABLE writes (
        target TEXT PRIMARY KEY,
        digest TEXT NOT NULL,
        rows INTEGER NOT NULL,
        written_at TEXT NOT NULL
    );
    """,
    # 4: where an alert was last said (console or slack), so alerts only ever printed on
    # a console are still announced once Slack is set up.
    """
    ALTER TABLE alerts ADD COLUMN delivered_via TEXT;
    """,
]


def now_utc() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class Store:
    """A connection to the state file, created with its schema on first use."""

    def __init__(self, path: Path | str, *, read_only: bool = False) -> None:
        self.path = Path(path) if path != ":memory:" else path
        try:
            self._open(read_only)
        except (sqlite3.DatabaseError, OSError) as error:
            from bot.config import ConfigError

            raise ConfigError(
                f"state file {self.path} cannot be used ({error}); check [state] path in "
                "the config, and that seatbot may create and write that file"
            ) from None

    def _open(self, read_only: bool) -> None:
        if read_only:
            # A dry run works on a copy in memory: the file is neither created, nor
            # migrated, nor changed, whatever the run does.
            self.db = self._copy_in_memory()
        else:
            if self.path != ":memory:":
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            # isolation_level=None: transactions are begun and ended by this class only.
            self.db = sqlite3.connect(str(self.path), isolation_level=None, timeout=30)
            if self.path != ":memory:":
                self.db.execute("PRAGMA journal_mode = WAL")
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA foreign_keys = ON")
        self._migrate()

    def _copy_in_memory(self) -> sqlite3.Connection:
        memory = sqlite3.connect(":memory:", isolation_level=None)
        if self.path != ":memory:" and Path(self.path).exists():
            source = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=30)
            try:
                source.backup(memory)
            finally:
                source.close()
        return memory

    def _migrate(self) -> None:
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        if version > len(MIGRATIONS):
            from bot.config import ConfigError

            raise ConfigError(
                f"state file {self.path} was written by a newer seatbot (schema "
                f"{version}, this one knows {len(MIGRATIONS)}); upgrade seatbot"
            )
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            with self.transaction():
                for statement in script.split(";"):
                    if statement.strip():
                        self.db.execute(statement)
                self.db.execute(f"PRAGMA user_version = {number}")
            log.debug("state file %s migrated to schema %d", self.path, number)

    @contextmanager
    def transaction(self, *, rollback: bool = False) -> Iterator[sqlite3.Connection]:
        """One unit of work; ``rollback=True`` undoes it at the end (dry runs)."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        if rollback:
            self.db.execute("ROLLBACK")
        else:
            self.db.execute("COMMIT")

    def record_poll(self, kind: str, started_at: str, ok: bool, **counts) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT INTO polls (kind, started_at, finished_at, ok, error, contracts, "
                "seats, findings, sent, seconds) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    kind,
                    started_at,
                    now_utc(),
                    int(ok),
                    counts.get("error"),
                    counts.get("contracts"),
                    counts.get("seats"),
                    counts.get("findings"),
                    counts.get("sent"),
                    counts.get("seconds"),
                ),
            )

    def last_poll(self, kind: str = "check") -> sqlite3.Row | None:
        return self.db.execute(
            "SELECT * FROM polls WHERE kind = ? ORDER BY id DESC LIMIT 1", (kind,)
        ).fetchone()

    def close(self) -> None:
        self.db.close()


def dumps(value: object) -> str:
    return json.dumps(value, sort_keys=True, default=str)

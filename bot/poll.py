"""One poll, as a straight line: read, parse, validate, reconcile."""

from __future__ import annotations

import datetime as dt
import gc
import logging
import time
from contextlib import contextmanager
from dataclasses import dataclass, field

import pandas as pd

from bot.config import Config
from bot.findings import Finding, most_urgent_first
from bot.ingest import Table, read_table
from bot.reconcile import reconcile
from bot.source import Source
from bot.validate import validate
from schemas import contracts as contracts_schema
from schemas import seats as seats_schema

log = logging.getLogger(__name__)


@dataclass
class Report:
    """What one poll found, as of a day."""

    as_of: dt.date
    register: str
    findings: list[Finding]
    totals: pd.DataFrame
    contracts: Table
    seats: Table
    seconds: float = 0.0
    extra: dict = field(default_factory=dict)

    def count(self, severity: str) -> int:
        return sum(1 for f in self.findings if f.severity == severity)


def open_source(config: Config) -> Source:
    """The register source config names; each kind lives in its own module."""
    if config.register.source == "google_sheets":
        from bot.gsheet import GoogleSheetsSource

        return GoogleSheetsSource.from_config(config)
    from bot.workbook import WorkbookSource

    return WorkbookSource(config.register.path)


def describe(config: Config) -> str:
    if config.register.source == "google_sheets":
        return f"Google Sheet {config.register.spreadsheet}"
    return str(config.register.path)


def check(config: Config, source: Source, as_of: dt.date) -> Report:
    """Read the register once and reconcile it as of ``as_of``."""
    started = time.perf_counter()
    tabs = config.tabs
    with collector_paused():
        raw_tabs = source.read([tabs.contracts, tabs.seats])
        contracts = _parsed("contracts", raw_tabs, tabs.contracts, config, contracts_schema)
        seats = _parsed("seats", raw_tabs, tabs.seats, config, seats_schema)
        del raw_tabs
        result = reconcile(contracts, seats, as_of, config.rules)
        findings = most_urgent_first(contracts.findings + seats.findings + result.findings)

    report = Report(
        as_of=as_of,
        register=describe(config),
        findings=findings,
        totals=result.totals,
        contracts=contracts,
        seats=seats,
        seconds=time.perf_counter() - started,
    )
    return report


@contextmanager
def collector_paused():
    """Hold Python's cyclic garbage collector for the length of a poll.

    A decoded register is millions of objects, and every full collection walks them all:
    at a million seats the collector cost more than the parsing. A poll makes no
    reference cycles worth collecting early; they are collected when it resumes.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _parsed(role: str, raw_tabs: dict, tab: str, config: Config, schema) -> Table:
    # The tab is taken out of raw_tabs (unless seats are read from the same tab), so
    # read_table holds its only reference and frees the rows once they are framed: at
    # a million seats the decoded rows are most of a poll's memory.
    shared = role == "contracts" and tab == config.tabs.seats
    table, raw = read_table(
        role,
        raw_tabs[tab] if shared else raw_tabs.pop(tab),
        aliases=config.aliases.get(role, {}),
        date_order=config.register.date_order,
    )
    return validate(table, raw, schema)

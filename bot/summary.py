"""The weekly summary: what a manager reads on Monday morning, with a chart.

It is computed from one poll's report, as of a day, on whole frames (no row loops: a
register of a million seats summarises in seconds). The headline numbers count the
contracts in force: not ended, not terminated and not pending. Seats still live on
ended or terminated contracts have their own section, pending contracts a line.

Each summary that is delivered leaves a snapshot in the state store; the next summary
compares itself with the latest snapshot of an earlier day for its week-over-week
changes. The snapshot keeps every seat's id and status (compressed), not just counts:
ten seats added and ten retired leave the counts unchanged, and a manager wants both.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from bot import chart, poll
from bot.config import Config
from bot.slack import (
    SlackDelivery,
    SlackError,
    SlackTransport,
)
from bot.source import RegisterError, Source
from bot.state import Store, now_utc
from bot.summary_text import _plural, percent, render_blocks, render_markdown

log = logging.getLogger(__name__)

RENEWAL_WINDOWS = (30, 60, 90)
# Findings about the state of the business, not about the sheet's rows; every other kind
# is a data-quality problem someone should correct in the register.
BUSINESS_KINDS = {
    "over_provisioned",
    "seats_running_out",
    "renewal_due",
    "notice_deadline",
    "contract_ended_seats_active",
    "contract_terminated_seats_active",
}
# A client's utilisation must move at least this much to be called up or down.
MOVE_THRESHOLD = 0.005


@dataclass
class Changes:
    """What changed since the last summary of an earlier day."""

    since: dt.date
    seats_added: int
    seats_retired: int
    seats_removed: int
    utilisation_before: float | None
    utilisation_now: float | None
    # (client, utilisation before, utilisation now), largest move first
    client_moves: list[tuple[str, float | None, float | None]]
    alerts_opened: int
    alerts_resolved: int


@dataclass
class Summary:
    """The numbers of one weekly summary; frames keep one row per client or contract."""

    as_of: dt.date
    register: str
    currency: str
    at_risk_below: float
    clients: int
    contracts: int
    pending_contracts: int
    pending_seats: int
    purchased: int
    allocated: int
    free: int
    utilisation: float | None
    by_client: pd.DataFrame
    renewals: pd.DataFrame
    renewal_windows: list[tuple[int, int, int]]
    over_provisioned: pd.DataFrame
    true_ups: pd.DataFrame
    out_of_contract: pd.DataFrame
    data_quality: dict[str, dict[str, int]]
    seat_states: pd.DataFrame
    changes: Changes | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def at_risk(self) -> pd.DataFrame:
        return self.renewals[self.renewals["at_risk"]]

    @property
    def true_up_total(self) -> float:
        return float(self.true_ups["amount"].sum(skipna=True))


# --- computing ------------------------------------------------------------------------


def compute(report: poll.Report, config: Config) -> Summary:
    """The summary's numbers for ``report`` (week-over-week changes are added later)."""
    totals = report.totals if len(report.totals) else _no_totals()
    in_force = totals["in_force"].fillna(False).astype(bool)
    live = totals[in_force & totals["status"].ne("pending").fillna(True)]
    pending = totals[totals["status"].eq("pending").fillna(False)]

    purchased = int(live["purchased"].sum())
    allocated = int(live["allocated"].sum())
    return Summary(
        as_of=report.as_of,
        register=report.register,
        currency=config.rules.currency,
        at_risk_below=config.summary.at_risk_utilisation,
        clients=int(live["client"].nunique()),
        contracts=len(live),
        pending_contracts=len(pending),
        pending_seats=int(pending["purchased"].sum()),
        purchased=purchased,
        allocated=allocated,
        free=int(live["free"].sum()),
        utilisation=_ratio(allocated, purchased),
        by_client=_by_client(live),
        renewals=_renewals(live, config.summary.at_risk_utilisation),
        renewal_windows=_renewal_windows(live),
        over_provisioned=_over_provisioned(live),
        true_ups=_true_ups(live),
        out_of_contract=_out_of_contract(totals),
        data_quality=_data_quality(report),
        seat_states=_seat_states(report),
    )


def _no_totals() -> pd.DataFrame:
    """Typed empty totals, for a register whose Contracts tab could not be used."""
    columns = {
        "contract_id": "object",
        "client": "object",
        "status": "object",
        "end_date": "datetime64[ns]",
        "auto_renew": "bool",
        "price_per_seat": "float64",
        "in_force": "bool",
        "ended": "bool",
        "terminated": "bool",
        **dict.fromkeys(("purchased", "allocated", "free", "excess", "days_left"), "int64"),
    }
    return pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in columns.items()})


def _ratio(part: float, whole: float) -> float | None:
    return float(part) / float(whole) if whole else None


def _utilisation(allocated: pd.Series, purchased: pd.Series) -> pd.Series:
    """allocated / purchased, NaN where nothing was purchased."""
    return allocated.astype("float64") / purchased.astype("float64").where(purchased > 0)


def _by_client(live: pd.DataFrame) -> pd.DataFrame:
    grouped = live.groupby("client", sort=False).agg(
        contracts=("contract_id", "size"),
        purchased=("purchased", "sum"),
        allocated=("allocated", "sum"),
        free=("free", "sum"),
        excess=("excess", "sum"),
    )
    grouped = grouped.reset_index()
    grouped["client"] = grouped["client"].astype(str)
    grouped["utilisation"] = _utilisation(grouped["allocated"], grouped["purchased"])
    return grouped.sort_values(
        ["purchased", "allocated", "client"], ascending=[False, False, True]
    ).reset_index(drop=True)


def _renewals(live: pd.DataFrame, at_risk_below: float) -> pd.DataFrame:
    soon = live[live["days_left"].between(0, max(RENEWAL_WINDOWS))]
    frame = soon[
        ["contract_id", "client", "end_date", "days_left", "purchased", "allocated"]
    ].copy()
    frame["auto_renew"] = soon["auto_renew"].fillna(False).astype(bool)
    frame["utilisation"] = _utilisation(frame["allocated"], frame["purchased"])
    frame["at_risk"] = frame["utilisation"].lt(at_risk_below).fillna(False).astype(bool)
    frame = frame.astype({"contract_id": str, "client": str})
    return frame.sort_values(["days_left", "client", "contract_id"]).reset_index(drop=True)


def _renewal_windows(live: pd.DataFrame) -> list[tuple[int, int, int]]:
    """(days, contracts, purchased seats) renewing within each window from today."""
    days_left = live["days_left"]
    windows = []
    for days in RENEWAL_WINDOWS:
        within = live[days_left.between(0, days)]
        windows.append((days, len(within), int(within["purchased"].sum())))
    return windows


def _over_provisioned(live: pd.DataFrame) -> pd.DataFrame:
    over = live[live["excess"] > 0]
    grouped = over.groupby("client", sort=False).agg(
        excess=("excess", "sum"),
        allocated=("allocated", "sum"),
        purchased=("purchased", "sum"),
        contracts=("contract_id", lambda ids: ", ".join(sorted(map(str, ids)))),
    )
    grouped = grouped.reset_index().astype({"client": str})
    return grouped.sort_values(["excess", "client"], ascending=[False, True]).reset_index(
        drop=True
    )


def _true_ups(live: pd.DataFrame) -> pd.DataFrame:
    over = live[live["excess"] > 0]
    frame = over[["contract_id", "client", "excess"]].copy()
    frame["price_per_seat"] = over["price_per_seat"].astype("float64")
    frame["amount"] = frame["excess"] * frame["price_per_seat"]
    frame = frame.astype({"contract_id": str, "client": str})
    return frame.sort_values(
        ["amount", "excess", "client"], ascending=[False, False, True], na_position="last"
    ).reset_index(drop=True)


def _out_of_contract(totals: pd.DataFrame) -> pd.DataFrame:
    """Contracts that ended (and do not renew themselves) or were terminated, seats live."""
    terminated = totals["terminated"].fillna(False).astype(bool)
    ended = totals["ended"].fillna(False).astype(bool)
    gone = totals[(terminated | ended) & (totals["allocated"] > 0)]
    frame = gone[["contract_id", "client", "end_date", "allocated"]].copy()
    frame["reason"] = terminated[gone.index].map({True: "terminated", False: "ended"})
    frame = frame.astype({"contract_id": str, "client": str})
    return frame.sort_values(["allocated", "client"], ascending=[False, True]).reset_index(
        drop=True
    )


def _data_quality(report: poll.Report) -> dict[str, dict[str, int]]:
    """Problem counts per tab and kind, the tabs in the register's own names."""
    # The Contracts tab first, then Seats, whatever order the findings came in.
    counts: dict[str, dict[str, int]] = {report.contracts.tab: {}, report.seats.tab: {}}
    for finding in report.findings:
        if finding.kind in BUSINESS_KINDS:
            continue
        tab = counts.setdefault(finding.tab or "Register", {})
        tab[finding.kind] = tab.get(finding.kind, 0) + 1
    return {tab: kinds for tab, kinds in counts.items() if kinds}


def _seat_states(report: poll.Report) -> pd.DataFrame:
    frame = report.seats.frame
    if not report.seats.usable or "seat_id" not in frame:
        return pd.DataFrame({"seat_id": [], "status": []}, dtype=str)
    states = frame[["seat_id", "status"]].astype(str)
    return states.drop_duplicates("seat_id").reset_index(drop=True)


# --- snapshots and week-over-week --------------------------------------------------------


def _pack_seats(states: pd.DataFrame) -> bytes:
    # JSON of two lists survives any character a cell can hold (tabs, newlines) and
    # compresses well: ids share prefixes, statuses are four words.
    ordered = states.sort_values("seat_id")
    payload = {"seat_id": ordered["seat_id"].tolist(), "status": ordered["status"].tolist()}
    return zlib.compress(json.dumps(payload, separators=(",", ":")).encode("utf-8"), 6)


def _unpack_seats(blob: bytes) -> pd.DataFrame:
    payload = json.loads(zlib.decompress(blob).decode("utf-8"))
    return pd.DataFrame(payload, dtype=str)


def previous_snapshot(store: Store, as_of: dt.date):
    """The latest snapshot of a day before ``as_of``, or None."""
    return store.db.execute(
        "SELECT * FROM snapshots WHERE as_of < ? ORDER BY as_of DESC, id DESC LIMIT 1",
        (as_of.isoformat(),),
    ).fetchone()


def changes_since(store: Store, summary: Summary, now: str) -> Changes | None:
    """What changed since the previous snapshot; None on the first summary."""
    before = previous_snapshot(store, summary.as_of)
    if before is None:
        return None

    added, retired, removed = _seat_changes(_unpack_seats(before["seat_states"]), summary)
    opened, resolved = _alert_changes(store, before["taken_at"], now)
    return Changes(
        since=dt.date.fromisoformat(before["as_of"]),
        seats_added=added,
        seats_retired=retired,
        seats_removed=removed,
        utilisation_before=before["utilisation"],
        utilisation_now=summary.utilisation,
        client_moves=_client_moves(json.loads(before["clients"]), summary.by_client),
        alerts_opened=opened,
        alerts_resolved=resolved,
    )


def _seat_changes(before: pd.DataFrame, summary: Summary) -> tuple[int, int, int]:
    """Seats added (new ids), retired (now retired, not before) and removed (rows gone)."""
    merged = before.merge(
        summary.seat_states,
        on="seat_id",
        how="outer",
        suffixes=("_before", "_now"),
        indicator=True,
    )
    added = int((merged["_merge"] == "right_only").sum())
    removed = int((merged["_merge"] == "left_only").sum())
    both = merged[merged["_merge"] == "both"]
    retired = int((both["status_now"].eq("retired") & both["status_before"].ne("retired")).sum())
    return added, retired, removed


def _alert_changes(store: Store, since: str, until: str) -> tuple[int, int]:
    # Stamps are whole seconds: an alert stamped in the same second as the last summary
    # counts for the week before, which is right when a poll runs just before it.
    opened = store.db.execute(
        "SELECT COUNT(*) FROM alerts WHERE first_seen > ? AND first_seen <= ?", (since, until)
    ).fetchone()[0]
    resolved = store.db.execute(
        "SELECT COUNT(*) FROM alerts WHERE resolved_at > ? AND resolved_at <= ?",
        (since, until),
    ).fetchone()[0]
    return int(opened), int(resolved)


def _client_moves(before: dict[str, list[int]], by_client: pd.DataFrame):
    old = pd.DataFrame.from_dict(before, orient="index", columns=["purchased", "allocated"])
    old["before"] = _utilisation(old["allocated"], old["purchased"])
    now = by_client.set_index("client")["utilisation"].rename("now")
    both = old[["before"]].join(now, how="inner")
    both["move"] = (both["now"] - both["before"]).abs()
    moved = both[both["move"] >= MOVE_THRESHOLD].sort_values("move", ascending=False)
    return [(str(row.Index), _float(row.before), _float(row.now)) for row in moved.itertuples()]


def _float(value) -> float | None:
    return None if pd.isna(value) else float(value)


def save_snapshot(store: Store, summary: Summary, now: str) -> None:
    """Remember this summary; a second summary on the same day replaces the first."""
    clients = {
        str(c): [int(p), int(a)]
        for c, p, a in zip(
            summary.by_client["client"],
            summary.by_client["purchased"],
            summary.by_client["allocated"],
            strict=True,
        )
    }
    with store.transaction() as db:
        db.execute("DELETE FROM snapshots WHERE as_of = ?", (summary.as_of.isoformat(),))
        db.execute(
            "INSERT INTO snapshots (taken_at, as_of, contracts, seats, purchased, allocated,"
            " utilisation, clients, seat_states) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                now,
                summary.as_of.isoformat(),
                summary.contracts,
                len(summary.seat_states),
                summary.purchased,
                summary.allocated,
                summary.utilisation,
                json.dumps(clients, sort_keys=True),
                _pack_seats(summary.seat_states),
            ),
        )


# --- running ----------------------------------------------------------------------------


@dataclass
class SummaryResult:
    summary: Summary
    markdown_path: Path
    chart_path: Path
    messages: int = 0
    uploaded: bool = False
    errors: list[SlackError] = field(default_factory=list)
    dry_run: bool = False

    @property
    def unreachable(self) -> bool:
        return bool(self.errors)


def run_summary(
    config: Config,
    source: Source,
    store: Store,
    delivery,
    as_of: dt.date,
    *,
    dry_run: bool = False,
    now: str | None = None,
    stream=None,
) -> SummaryResult:
    """The weekly summary end to end: poll, compute, compare, write, deliver, remember.

    ``delivery`` is what ``job.open_delivery`` returns (a SlackDelivery or a
    ConsoleDelivery) or a SlackTransport. The Markdown copy and the chart PNG are always
    written to ``config.summary.output_dir`` and their paths printed to ``stream``: that
    is the console delivery, the archive beside Slack, and the preview of a dry run.
    With a bot token the summary is posted to the summary channel and the chart uploaded
    there; a webhook cannot upload, so only the summary is posted. ``dry_run`` sends
    nothing and leaves the state store as it was. ``now`` stamps the snapshot (UTC ISO
    text, default the clock). Raises RegisterError when the register cannot be read.
    """
    now = now or now_utc()
    stream = stream or sys.stdout
    started = time.perf_counter()
    try:
        report = poll.check(config, source, as_of)
    except RegisterError as error:
        if not dry_run:
            store.record_poll("summary", now, ok=False, error=str(error))
        raise

    summary = compute(report, config)
    summary.changes = changes_since(store, summary, now)
    result = write_files(summary, config)
    print(f"Summary written to {result.markdown_path}", file=stream)
    print(f"Chart written to {result.chart_path}", file=stream)
    result.dry_run = dry_run
    if dry_run:
        print("Dry run: nothing sent, no snapshot kept.", file=stream)
        return result

    transport = _transport_of(delivery)
    if transport is not None:
        _send_to_slack(transport, summary, result, config)
    if not result.messages and transport is not None:
        # Not delivered: keep last week's snapshot so the rerun shows the same changes.
        store.record_poll("summary", now, ok=False, error="; ".join(map(str, result.errors)))
        return result

    save_snapshot(store, summary, now)
    store.record_poll(
        "summary",
        now,
        ok=not result.errors,
        error="; ".join(map(str, result.errors)) or None,
        contracts=summary.contracts,
        seats=len(summary.seat_states),
        findings=len(report.findings),
        sent=result.messages,
        seconds=time.perf_counter() - started,
    )
    log.info(
        "summary as of %s: %s seats allocated of %s (%s), %s within 90 days, %s sent%s",
        as_of.isoformat(),
        f"{summary.allocated:,}",
        f"{summary.purchased:,}",
        percent(summary.utilisation),
        _plural(len(summary.renewals), "renewal"),
        _plural(result.messages, "message"),
        ", chart uploaded" if result.uploaded else "",
    )
    return result


def write_files(summary: Summary, config: Config) -> SummaryResult:
    folder = Path(config.summary.output_dir)
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"summary-{summary.as_of.isoformat()}"
    chart_path = folder / f"{stem}.png"
    chart_path.write_bytes(chart.render(summary, top=config.summary.top_clients))
    markdown_path = folder / f"{stem}.md"
    markdown_path.write_text(render_markdown(summary, chart_path.name), encoding="utf-8")
    return SummaryResult(summary, markdown_path, chart_path)


def _transport_of(delivery) -> SlackTransport | None:
    if isinstance(delivery, SlackTransport):
        return delivery
    if isinstance(delivery, SlackDelivery):
        return delivery.transport
    return None


def summary_channel(config: Config) -> str:
    """[summary] channel when the config has it, else the default alert channel."""
    return getattr(config.summary, "channel", None) or config.slack.default_channel


def _send_to_slack(
    transport: SlackTransport, summary: Summary, result: SummaryResult, config: Config
) -> None:
    channel = summary_channel(config)
    try:
        if not transport.uses_webhook:
            channel = transport.resolve_channel_id(channel)
        thread_ts = None
        for message in render_blocks(summary, config.summary.top_clients):
            ts = transport.post(channel, message.text, message.blocks, thread_ts=thread_ts)
            thread_ts = thread_ts or ts
            result.messages += 1
    except SlackError as error:
        log.error("could not post the weekly summary to %s: %s", channel, error)
        result.errors.append(error)
        return

    if transport.uses_webhook:
        log.warning(
            "an incoming webhook cannot upload files: the chart is in %s (set "
            "SLACK_BOT_TOKEN to post it)",
            result.chart_path,
        )
        return
    try:
        transport.upload_file(
            channel,
            result.chart_path,
            filename=result.chart_path.name,
            title=f"Seats and renewals, as of {summary.as_of.isoformat()}",
        )
    except SlackError as error:
        log.error("could not upload the summary chart to %s: %s", channel, error)
        result.errors.append(error)
        return
    result.uploaded = True

"""seatbot serve: a poll every N minutes and the weekly summary, for months on end.

The ``schedule`` library decides when; this module makes the loop safe to forget
about. A job that raises is logged with its traceback and rescheduled like any other
(schedule itself would neither catch it nor compute its next run). Consecutive poll
failures back off and are told to Slack once, and so is the recovery. SIGTERM and
SIGINT let the poll in progress finish, then the loop exits 0.
"""

from __future__ import annotations

import datetime as dt
import logging
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import schedule

from bot.config import WEEKDAYS, ScheduleConfig

log = logging.getLogger(__name__)

MAX_SLEEP_SECONDS = 60.0
MAX_BACKOFF_SECONDS = 3600.0


def poll_seconds(config: ScheduleConfig) -> int:
    return max(1, round(config.poll_minutes * 60))


def last_summary_time(config: ScheduleConfig, now: dt.datetime) -> dt.datetime:
    """The most recent moment (UTC) the weekly summary was due, at or before ``now``.

    Wall-clock time in the configured zone: 09:00 on Monday stays 09:00 across a DST
    change. A time in a DST gap (it does not exist that day) falls one hour later, the
    way schedule places it; a time in a fold (it happens twice) counts once, the first.
    """
    zone = ZoneInfo(config.timezone)
    local_now = now.astimezone(zone)
    hour, minute = (int(part) for part in config.summary_time.split(":"))
    weekday = WEEKDAYS.index(config.summary_weekday)
    days_back = (local_now.weekday() - weekday) % 7
    for weeks in (0, 1):
        day = local_now.date() - dt.timedelta(days=days_back + 7 * weeks)
        due = _wall_clock(day, hour, minute, zone)
        if due <= now:
            return due.astimezone(dt.UTC)
    raise AssertionError("unreachable: a week ago is always in the past")


def next_summary_time(config: ScheduleConfig, now: dt.datetime) -> dt.datetime:
    """The next moment (UTC) the weekly summary is due, strictly after ``now``."""
    last = last_summary_time(config, now)
    zone = ZoneInfo(config.timezone)
    hour, minute = (int(part) for part in config.summary_time.split(":"))
    day = last.astimezone(zone).date() + dt.timedelta(days=7)
    return _wall_clock(day, hour, minute, zone).astimezone(dt.UTC)


def _wall_clock(day: dt.date, hour: int, minute: int, zone: ZoneInfo) -> dt.datetime:
    local = dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone, fold=0)
    round_trip = local.astimezone(dt.UTC).astimezone(zone)
    if round_trip.replace(tzinfo=None) != local.replace(tzinfo=None):
        # In a gap: the wall-clock time does not exist; run an hour later instead.
        local = (local.replace(tzinfo=None) + dt.timedelta(hours=1)).replace(tzinfo=zone)
    return local


@dataclass
class Guard:
    """Runs one job safely: catches, logs with traceback, backs off, reports once."""

    name: str
    job: Callable[[], None]
    base_seconds: float
    report: Callable[[str], None] | None = None
    failures: int = 0
    not_before: float = 0.0
    reported: bool = False
    clock: Callable[[], float] = field(default=time.monotonic)

    def __call__(self) -> None:
        if self.clock() < self.not_before:
            log.debug("%s skipped: backing off after %d failures", self.name, self.failures)
            return
        try:
            self.job()
        except Exception as error:  # the loop must outlive any one job
            self.failures += 1
            delay = min(self.base_seconds * 2 ** (self.failures - 1), MAX_BACKOFF_SECONDS)
            self.not_before = self.clock() + delay
            log.exception(
                "%s failed (%d in a row); next attempt in %.0f s or later",
                self.name,
                self.failures,
                delay,
            )
            if not self.reported:
                self.reported = self._tell(
                    f"seatbot: the {self.name} is failing: {error}. It keeps retrying, "
                    "backing off; you will hear once more when it works again."
                )
            return
        if self.failures:
            log.info("%s works again after %d failures", self.name, self.failures)
            if self.reported:
                self._tell(
                    f"seatbot: the {self.name} works again after {self.failures} failed attempts."
                )
        self.failures, self.not_before, self.reported = 0, 0.0, False

    def _tell(self, text: str) -> bool:
        if self.report is None:
            return False
        try:
            self.report(text)
        except Exception:
            log.exception("could not report the %s's state to Slack", self.name)
            return False
        return True


class Stop:
    """Set by SIGTERM or SIGINT; the loop notices between jobs."""

    def __init__(self) -> None:
        self.event = threading.Event()

    def install(self) -> None:
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self._handle)

    def _handle(self, signum, _frame) -> None:
        log.info(
            "received %s: finishing the current job, then stopping", signal.Signals(signum).name
        )
        self.event.set()

    @property
    def requested(self) -> bool:
        return self.event.is_set()


def build_scheduler(
    config: ScheduleConfig, poll: Callable[[], None], summary: Callable[[], None]
) -> schedule.Scheduler:
    scheduler = schedule.Scheduler()
    scheduler.every(poll_seconds(config)).seconds.do(poll).tag("poll")
    weekly = getattr(scheduler.every(), config.summary_weekday)
    weekly.at(config.summary_time, config.timezone).do(summary).tag("summary")
    return scheduler


def loop(scheduler: schedule.Scheduler, stop: Stop) -> None:
    """Run due jobs one at a time until asked to stop.

    Jobs run in this thread, one after another, so a poll longer than the interval
    delays the next one instead of overlapping it.
    """
    while not stop.requested:
        scheduler.run_pending()
        idle = scheduler.idle_seconds
        # idle_seconds goes negative when a job is overdue: run it now, do not sleep.
        wait = MAX_SLEEP_SECONDS if idle is None else min(max(idle, 0.0), MAX_SLEEP_SECONDS)
        stop.event.wait(wait)

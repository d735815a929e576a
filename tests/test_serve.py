"""seatbot serve: a long-lived process that polls, survives failures and stops cleanly."""

from __future__ import annotations

import datetime as dt
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import schedule

from bot import serve
from bot.config import ScheduleConfig
from bot.state import Store

ROOT = Path(__file__).resolve().parent.parent
REGISTER = ROOT / "examples" / "register.xlsx"
UTC = dt.UTC


def write_config(tmp_path: Path, register: Path, poll_minutes: float = 1 / 60) -> Path:
    config = tmp_path / "seatbot.toml"
    config.write_text(
        f"""
[register]
source = "xlsx"
path = "{register}"

[state]
path = "{tmp_path / "state.sqlite"}"

[schedule]
poll_minutes = {poll_minutes}
summary_weekday = "monday"
summary_time = "09:00"
timezone = "Europe/London"

[summary]
output_dir = "{tmp_path / "out"}"
""",
        encoding="utf-8",
    )
    return config


def start_serve(config: Path, *extra: str) -> subprocess.Popen:
    env = {"PATH": "/usr/bin:/bin", "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [sys.executable, str(ROOT / "run.py"), "--config", str(config), "serve", *extra],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def polls(state: Path) -> list[tuple[int, str | None]]:
    if not state.exists():
        return []
    with sqlite3.connect(state) as db:
        try:
            return db.execute("SELECT ok, error FROM polls WHERE kind = 'check'").fetchall()
        except sqlite3.OperationalError:
            return []


def wait_for(condition, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError("timed out waiting for the serve process")


def test_serve_polls_every_second_and_stops_cleanly_on_sigterm(tmp_path):
    config = write_config(tmp_path, REGISTER)
    state = tmp_path / "state.sqlite"
    process = start_serve(config)
    try:
        wait_for(lambda: len(polls(state)) >= 3)
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)

    assert process.returncode == 0, stderr
    assert "received SIGTERM" in stderr
    assert "stopped cleanly" in stderr
    assert "polled " in stderr and "18 findings" in stderr
    with sqlite3.connect(state) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert db.execute("SELECT COUNT(*) FROM alerts").fetchone()[0] == 18
        assert db.execute("SELECT COUNT(*) FROM alerts WHERE pending IS NOT NULL").fetchone() == (
            0,
        )
    assert all(ok == 1 for ok, _ in polls(state))


def test_a_failing_poll_is_logged_and_the_next_poll_still_runs(tmp_path):
    register = tmp_path / "register.xlsx"  # missing at first: the poll raises
    config = write_config(tmp_path, register)
    state = tmp_path / "state.sqlite"
    process = start_serve(config)
    try:
        wait_for(lambda: any(ok == 0 for ok, _ in polls(state)))
        shutil.copy(REGISTER, register)
        wait_for(lambda: any(ok == 1 for ok, _ in polls(state)))
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)

    assert process.returncode == 0, stderr
    assert "register poll failed (1 in a row)" in stderr
    assert "Traceback" in stderr and "does not exist" in stderr
    assert "register poll works again" in stderr
    errors = [error for ok, error in polls(state) if not ok]
    assert errors and "register.xlsx does not exist" in errors[0]


def test_status_is_healthy_after_a_poll_and_unhealthy_before(tmp_path):
    config = write_config(tmp_path, REGISTER)
    run = [sys.executable, str(ROOT / "run.py"), "--config", str(config)]

    before = subprocess.run([*run, "status"], cwd=ROOT, capture_output=True, text=True)
    assert before.returncode == 1
    assert "has not polled yet" in before.stdout

    subprocess.run([*run, "check"], cwd=ROOT, capture_output=True, text=True, check=True)
    after = subprocess.run([*run, "status", "--json"], cwd=ROOT, capture_output=True, text=True)
    assert after.returncode == 0, after.stdout
    assert '"healthy": true' in after.stdout
    assert '"pending_alerts": 0' in after.stdout


def test_the_guard_backs_off_reports_once_and_reports_recovery_once():
    said: list[str] = []
    now = [0.0]
    outcomes = iter([RuntimeError("sheet down"), RuntimeError("still down"), None, None])

    def job():
        outcome = next(outcomes)
        if outcome:
            raise outcome

    guard = serve.Guard("register poll", job, 10, said.append, clock=lambda: now[0])
    guard()  # fails: backs off 10 s, told once
    now[0] = 5
    guard()  # inside the back-off: skipped, nothing said
    now[0] = 10
    guard()  # fails again: backs off 20 s, not told again
    assert guard.failures == 2 and guard.not_before == 30
    now[0] = 30
    guard()  # works: recovery told once
    now[0] = 31
    guard()  # keeps working: nothing more

    assert len(said) == 2
    assert "register poll is failing: sheet down" in said[0]
    assert "works again after 2 failed attempts" in said[1]


LONDON_MONDAY_9 = ScheduleConfig(
    poll_minutes=15, summary_weekday="monday", summary_time="09:00", timezone="Europe/London"
)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        # winter: 09:00 GMT is 09:00 UTC
        (dt.datetime(2027, 3, 20, 12, tzinfo=UTC), dt.datetime(2027, 3, 22, 9, tzinfo=UTC)),
        # clocks go forward on Sunday 28 March 2027: 09:00 BST is 08:00 UTC
        (dt.datetime(2027, 3, 27, 12, tzinfo=UTC), dt.datetime(2027, 3, 29, 8, tzinfo=UTC)),
        # clocks go back on Sunday 31 October 2027: 09:00 GMT again
        (dt.datetime(2027, 10, 30, 12, tzinfo=UTC), dt.datetime(2027, 11, 1, 9, tzinfo=UTC)),
    ],
)
def test_weekly_summary_stays_at_nine_local_across_dst(now, expected):
    assert serve.next_summary_time(LONDON_MONDAY_9, now) == expected


def test_a_summary_time_in_the_dst_gap_runs_once_an_hour_later():
    # 01:30 does not exist in London on 28 March 2027 (01:00 GMT jumps to 02:00 BST)
    config = ScheduleConfig(
        summary_weekday="sunday", summary_time="01:30", timezone="Europe/London"
    )
    saturday = dt.datetime(2027, 3, 27, 12, tzinfo=UTC)
    due = serve.next_summary_time(config, saturday)
    assert due == dt.datetime(2027, 3, 28, 1, 30, tzinfo=UTC)  # 02:30 BST
    after = serve.next_summary_time(config, due)
    assert after == dt.datetime(2027, 4, 4, 0, 30, tzinfo=UTC)  # a week on, 01:30 BST


def test_a_summary_time_in_the_dst_fold_runs_once_not_twice():
    # 01:30 happens twice in London on 31 October 2027; the summary runs at the first
    config = ScheduleConfig(
        summary_weekday="sunday", summary_time="01:30", timezone="Europe/London"
    )
    due = serve.next_summary_time(config, dt.datetime(2027, 10, 30, 12, tzinfo=UTC))
    assert due == dt.datetime(2027, 10, 31, 0, 30, tzinfo=UTC)  # 01:30 BST
    following = serve.next_summary_time(config, due)
    assert following == dt.datetime(2027, 11, 7, 1, 30, tzinfo=UTC)  # a week on, GMT


class FrozenClock(dt.datetime):
    """schedule reads the clock through datetime.datetime.now; the test sets it."""

    frozen = dt.datetime(2027, 3, 27, 12, tzinfo=UTC)

    @classmethod
    def now(cls, tz=None):
        moment = cls.frozen
        if tz is None:
            return moment.astimezone().replace(tzinfo=None)
        return moment.astimezone(tz)


def test_schedule_places_the_weekly_job_where_seatbot_expects_across_dst(monkeypatch):
    monkeypatch.setattr(schedule.datetime, "datetime", FrozenClock)
    scheduler = serve.build_scheduler(LONDON_MONDAY_9, lambda: None, lambda: None)
    weekly = next(job for job in scheduler.jobs if "summary" in job.tags)
    expected = serve.next_summary_time(LONDON_MONDAY_9, FrozenClock.frozen)
    assert weekly.next_run == expected.astimezone().replace(tzinfo=None)


def test_a_summary_missed_while_down_is_due_once_on_start(tmp_path):
    from bot.cli import _summary_missed
    from bot.config import parse

    config = parse({"register": {"path": "x.xlsx"}, "state": {"path": str(tmp_path / "s.db")}})
    store = Store(config.state.path)
    try:
        assert not _summary_missed(config, store)  # nothing ever ran
        store.record_poll("check", dt.datetime.now(UTC).isoformat(), ok=True)
        assert not _summary_missed(config, store)  # a first start is not a missed week
        store.record_poll("summary", "2000-01-03T09:00:00+00:00", ok=True)
        store.db.execute("UPDATE polls SET finished_at = '2000-01-03T09:00:00+00:00'")
        assert _summary_missed(config, store)  # last sent weeks ago: due, once
        store.record_poll("summary", "now", ok=False, error="Slack down")
        assert _summary_missed(config, store)  # a failed attempt does not count as sent
        store.record_poll("summary", "now", ok=True)
        assert not _summary_missed(config, store)  # just sent: not again
    finally:
        store.close()


def test_a_cron_install_sends_its_first_summary_once_one_fell_due(tmp_path):
    from bot.cli import _summary_missed
    from bot.config import parse

    config = parse({"register": {"path": "x.xlsx"}, "state": {"path": str(tmp_path / "s.db")}})
    store = Store(config.state.path)
    try:
        store.record_poll("check", "2000-01-01T00:00:00+00:00", ok=True)  # polling since 2000
        assert _summary_missed(config, store)
    finally:
        store.close()


def test_idle_seconds_is_clamped_so_an_overdue_job_runs_without_sleeping():
    ran: list[int] = []
    stop = serve.Stop()
    scheduler = schedule.Scheduler()

    def job():
        ran.append(1)
        stop.event.set()

    scheduler.every(1).hours.do(job)
    scheduler.jobs[0].next_run = dt.datetime.now() - dt.timedelta(hours=2)  # overdue
    assert scheduler.idle_seconds < 0
    started = time.monotonic()
    serve.loop(scheduler, stop)
    assert ran == [1]
    assert time.monotonic() - started < 5


def test_failures_told_to_slack_are_escaped(slack_standin, slack_bot):
    from bot import job
    from bot.config import parse
    from bot.slack import SlackDelivery

    config = parse({"register": {"path": "x.xlsx"}})
    tell = job.status_reporter(config, SlackDelivery(slack_bot))
    guard = serve.Guard("register poll", _raise_missing_tab, 1, tell)

    guard()

    [message] = slack_standin.messages
    assert "&lt;!channel&gt;" in message.text
    assert b"<!channel>" not in slack_standin.requests[-1].raw


def _raise_missing_tab():
    from bot.source import MissingTabError

    raise MissingTabError("Seats", ["Contracts", "<!channel>"], "workbook register.xlsx")

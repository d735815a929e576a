"""The alert lifecycle as a Slack channel sees it: polls of a real workbook, a real SQLite
state file, real slack-sdk over HTTP to the local stand-in; assertions on what it recorded.

Each test edits the register between polls the way the account team would (fix a cell,
renew a contract, add a seat) and moves the poll's day with ``as_of``. Reminders run on
the wall clock, so those tests drive ``alerts.plan(now=...)`` hours ahead instead.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest
from registers import contract, make_config, seats_on, write_register
from slack_fixtures import TEST_BACKOFF
from slack_standin import SlackStandIn

from bot import alerts, job, notify
from bot.config import ConfigError
from bot.slack import SlackDelivery, SlackTransport
from bot.state import MIGRATIONS, Store
from bot.workbook import WorkbookSource

D = dt.date
AS_OF = D(2026, 12, 3)
ALERTS_CHANNEL = "C0SEATALRT"  # #seat-alerts, the default channel


class Bot:
    """seatbot polling one workbook into the stand-in, as ``run.py check`` does.

    The delivery is built the way ``job.open_delivery`` builds it, with a tiny backoff
    so retries stay fast.
    """

    def __init__(self, tmp_path: Path, standin: SlackStandIn, **sections) -> None:
        self.standin = standin
        self.register = tmp_path / "register.xlsx"
        slack = {"api_url": standin.api_url, **sections.pop("slack", {})}
        self.config = make_config(
            self.register,
            state={"path": str(tmp_path / "state" / "seatbot.sqlite")},
            slack=slack,
            **sections,
        )
        self.store = Store(self.config.state.path)
        transport = SlackTransport(
            token=standin.token, base_url=standin.api_url, timeout=5, backoff=TEST_BACKOFF
        )
        self.delivery = SlackDelivery(transport)

    def write(self, contracts, seats=()) -> None:
        write_register(self.register, contracts, seats)

    def poll(self, as_of: dt.date = AS_OF) -> list[dict]:
        """One poll; returns the messages Slack accepted during it."""
        before = len(self.standin.messages)
        job.run_poll(self.config, WorkbookSource(self.register), self.store, self.delivery, as_of)
        return [_shown(m) for m in self.standin.messages[before:]]

    def plan_and_deliver(self, now: dt.datetime, as_of: dt.date = AS_OF) -> list[dict]:
        """A poll whose clock reads ``now``: how reminders are driven without waiting."""
        from bot.poll import check

        before = len(self.standin.messages)
        report = check(self.config, WorkbookSource(self.register), as_of)
        routing = alerts.Routing.from_totals(report.totals, self.config.slack)
        with self.store.transaction():
            alerts.plan(
                self.store,
                report.findings,
                routing,
                now=now.isoformat(timespec="seconds"),
                reminder_hours=self.config.slack.reminder_hours,
            )
        notify.deliver(self.store, self.delivery, "test")
        return [_shown(m) for m in self.standin.messages[before:]]


def _shown(message) -> dict:
    """What a person sees of one message: channel, header, section texts, thread."""
    blocks = message.blocks or []
    return {
        "channel": message.channel,
        "header": next((b["text"]["text"] for b in blocks if b["type"] == "header"), None),
        "sections": [b["text"]["text"] for b in blocks if b["type"] == "section"],
        "thread_ts": message.thread_ts,
    }


@pytest.fixture
def bot(tmp_path, slack_standin) -> Bot:
    bot = Bot(tmp_path, slack_standin)
    yield bot
    bot.store.close()


def over_provisioned(allocated: int, purchased: int = 10) -> tuple[list, list]:
    """Contract C-1 for Acme with ``allocated`` active seats of ``purchased``."""
    return [contract("C-1", seats=purchased)], seats_on("C-1", allocated)


def renewing(end_date: dt.date, **fields) -> list:
    return [contract("C-1", end_date=end_date, **fields)]


def hours_from_now(hours: float) -> dt.datetime:
    return dt.datetime.now(dt.UTC) + dt.timedelta(hours=hours)


# -- sent once, then quiet -------------------------------------------------------------


def test_an_unchanged_register_sends_one_digest_then_nothing(bot):
    bot.write(*over_provisioned(12))

    first = bot.poll()
    second = bot.poll()

    [digest] = first
    assert digest["channel"] == ALERTS_CHANNEL
    assert digest["header"] == "seatbot: 1 new"
    [section] = digest["sections"]
    assert "*Over-provisioned* · *Acme* · C-1" in section
    assert "12 seats allocated on C-1 but bought 10, 2 over" in section
    assert "Contracts!D2" in section
    assert second == []


def test_a_later_day_with_nothing_new_stays_quiet(bot):
    bot.write(*over_provisioned(12))
    bot.poll(AS_OF)

    assert bot.poll(AS_OF + dt.timedelta(days=1)) == []
    assert bot.poll(AS_OF + dt.timedelta(days=2)) == []


def test_a_fixed_problem_gets_exactly_one_resolved_note(bot):
    bot.write(*over_provisioned(12))
    bot.poll()

    bot.write(*over_provisioned(5))
    resolved = bot.poll()
    after = bot.poll()

    [note] = resolved
    assert note["header"] == "seatbot: 1 resolved"
    assert note["sections"] == [
        ":white_check_mark: *Resolved: Over-provisioned* · *Acme* · C-1 — C-1 is no longer "
        "reported."
    ]
    assert after == []


def test_a_problem_that_comes_back_after_its_resolution_is_new_again(bot):
    bot.write(*over_provisioned(12))
    bot.poll()
    bot.write(*over_provisioned(5))
    bot.poll()

    bot.write(*over_provisioned(12))
    [back] = bot.poll()

    assert back["header"] == "seatbot: 1 new"
    assert "2 over" in back["sections"][0]
    assert bot.poll() == []


# -- renewals: thresholds and re-arming ------------------------------------------------


def test_a_renewal_alerts_once_per_threshold_it_crosses(bot):
    bot.write(renewing(D(2027, 1, 10)))

    at_38_days = bot.poll(D(2026, 12, 3))
    at_36_days = bot.poll(D(2026, 12, 5))
    at_30_days = bot.poll(D(2026, 12, 11))
    at_29_days = bot.poll(D(2026, 12, 12))

    assert at_38_days[0]["header"] == "seatbot: 1 new"
    assert "ends on 2027-01-10, in 38 days" in at_38_days[0]["sections"][0]
    assert at_36_days == []
    [again] = at_30_days
    assert again["header"] == "seatbot: 1 again"
    assert "*Renewal due* (again) · *Acme* · C-1" in again["sections"][0]
    assert "in 30 days" in again["sections"][0]
    assert at_29_days == []


def test_a_poll_that_jumps_over_two_thresholds_sends_one_alert(bot):
    bot.write(renewing(D(2027, 1, 10)))
    bot.poll(D(2026, 10, 12))  # 90 days before

    jumped = bot.poll(D(2026, 12, 11))  # 30 days before: past 60 and onto 30

    [digest] = jumped
    assert digest["header"] == "seatbot: 1 again"
    assert len(digest["sections"]) == 1
    assert "in 30 days" in digest["sections"][0]


def test_a_renewed_contract_is_resolved_then_rearms_when_the_new_date_comes_near(bot):
    bot.write(renewing(D(2027, 1, 10)))
    bot.poll(D(2026, 12, 3))

    bot.write(renewing(D(2028, 1, 10)))  # renewed for a year
    renewed = bot.poll(D(2026, 12, 4))
    quiet = bot.poll(D(2027, 10, 11))  # 91 days before the new end date
    rearmed = bot.poll(D(2027, 10, 12))  # 90 days before

    [note] = renewed
    assert note["header"] == "seatbot: 1 resolved"
    assert "*Resolved: Renewal due* · *Acme* · C-1" in note["sections"][0]
    assert quiet == []
    [alert] = rearmed
    assert alert["header"] == "seatbot: 1 new"
    assert "ends on 2028-01-10, in 90 days" in alert["sections"][0]


def test_an_end_date_moved_within_the_window_alerts_again_with_the_new_date(bot):
    bot.write(renewing(D(2027, 1, 10)))
    bot.poll()

    bot.write(renewing(D(2027, 1, 20)))
    [moved] = bot.poll()

    assert moved["header"] == "seatbot: 1 again"
    assert "ends on 2027-01-20" in moved["sections"][0]


def test_an_auto_renewing_contract_counts_down_to_its_notice_date_not_its_end(bot):
    bot.write(renewing(D(2027, 1, 10), auto_renew="yes", notice_days=30))

    [digest] = bot.poll(D(2026, 12, 3))

    [section] = digest["sections"]
    assert "*Notice deadline*" in section
    assert "notice to cancel or change it is due by 2026-12-11, in 8 days" in section
    assert "Renewal due" not in section


# -- worse, and not worse --------------------------------------------------------------


def test_a_higher_excess_alerts_again_as_worse_and_a_lower_one_stays_quiet(bot):
    bot.write(*over_provisioned(12))
    bot.poll()

    bot.write(*over_provisioned(13))
    worse = bot.poll()
    bot.write(*over_provisioned(11))
    lower = bot.poll()

    [digest] = worse
    assert digest["header"] == "seatbot: 1 worse"
    assert "*Over-provisioned* (worse) · *Acme* · C-1" in digest["sections"][0]
    assert "13 seats allocated on C-1 but bought 10, 3 over" in digest["sections"][0]
    assert lower == []


# -- reminders -------------------------------------------------------------------------


def test_unresolved_critical_alerts_are_reminded_only_after_the_cadence(tmp_path, slack_standin):
    bot = Bot(tmp_path, slack_standin, slack={"reminder_hours": 24})
    # A critical over-provisioning and a warning renewal on the same contract.
    bot.write([contract("C-1", seats=10, end_date=D(2027, 1, 10))], seats_on("C-1", 12))
    [first] = bot.poll()

    too_soon = bot.plan_and_deliver(hours_from_now(23))
    due = bot.plan_and_deliver(hours_from_now(25))
    right_after = bot.plan_and_deliver(hours_from_now(23))

    assert first["header"] == "seatbot: 2 new"
    assert too_soon == []
    [reminder] = due
    assert reminder["header"] == "seatbot: 1 reminder"
    [section] = reminder["sections"]
    assert section.startswith(":red_circle: *Over-provisioned* (reminder) · *Acme* · C-1")
    assert right_after == []
    bot.store.close()


def test_without_a_cadence_nothing_is_reminded(bot):
    bot.write(*over_provisioned(12))
    bot.poll()

    assert bot.plan_and_deliver(hours_from_now(24 * 30)) == []


# -- when Slack was down in between ----------------------------------------------------


def test_an_alert_that_came_and_went_while_slack_was_down_is_never_mentioned(bot):
    bot.write(*over_provisioned(12))
    bot.standin.server_error(None)
    bot.poll()

    bot.write(*over_provisioned(5))
    bot.poll()
    bot.standin.clear_faults()

    assert bot.poll() == []


def test_a_problem_that_returned_and_went_again_while_slack_was_down_stays_quiet(bot):
    # Regression: a returning alert kept the delivered_at of its resolution note, so
    # when it went away again before being announced, a second "resolved" note followed.
    bot.write(*over_provisioned(12))
    bot.poll()
    bot.write(*over_provisioned(5))
    bot.poll()  # resolved note delivered

    bot.standin.server_error(None)
    bot.write(*over_provisioned(12))
    bot.poll()  # back, but Slack is down
    bot.write(*over_provisioned(5))
    bot.poll()  # gone again, Slack still down
    bot.standin.clear_faults()

    assert bot.poll() == []


def test_a_fix_made_while_slack_was_down_sends_only_the_resolved_note(bot):
    bot.write(*over_provisioned(12))
    bot.poll()

    bot.standin.server_error(None)
    bot.write(*over_provisioned(13))
    bot.poll()  # worse, but not delivered
    bot.write(*over_provisioned(5))
    bot.poll()  # fixed, still not delivered
    bot.standin.clear_faults()
    delivered = bot.poll()

    [note] = delivered
    assert note["header"] == "seatbot: 1 resolved"
    assert len(note["sections"]) == 1
    assert bot.poll() == []


# -- the state file --------------------------------------------------------------------


def test_the_state_file_is_created_on_first_use_with_its_schema_version(bot):
    bot.write(*over_provisioned(12))
    bot.poll()

    path = bot.config.state.path
    with sqlite3.connect(path) as db:
        version = db.execute("PRAGMA user_version").fetchone()[0]
        row = db.execute(
            "SELECT kind, subject, first_seen, last_seen, delivered_at, resolved_at FROM alerts"
        ).fetchone()
    assert version == len(MIGRATIONS)
    assert row[:2] == ("over_provisioned", "C-1")
    assert row[2] and row[3] and row[4]
    assert row[5] is None


def test_a_state_file_from_a_newer_seatbot_is_refused_with_what_to_do(tmp_path):
    path = tmp_path / "seatbot.sqlite"
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")

    with pytest.raises(ConfigError, match="written by a newer seatbot .* upgrade seatbot"):
        Store(path)

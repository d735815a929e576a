"""Trying seatbot on the console first must not use up the alerts Slack should get."""

from __future__ import annotations

import datetime as dt
import io

from registers import contract, make_config, seats_on, write_register

from bot import job
from bot.console import ConsoleDelivery
from bot.slack import SlackDelivery
from bot.state import Store
from bot.workbook import WorkbookSource

AS_OF = dt.date(2026, 12, 3)


def headers(standin) -> list[str]:
    return [
        next(b["text"]["text"] for b in m.blocks if b["type"] == "header")
        for m in standin.messages
    ]


def test_alerts_shown_only_on_the_console_are_announced_once_slack_is_set_up(
    tmp_path, slack_standin, slack_bot
):
    path = write_register(
        tmp_path / "register.xlsx",
        [contract("C-1", seats=1), contract("C-2", end_date=dt.date(2026, 12, 20))],
        seats_on("C-1", 2),
    )
    config = make_config(path)
    source, store = WorkbookSource(path), Store(tmp_path / "state.sqlite")
    console = ConsoleDelivery(io.StringIO())

    first = job.run_poll(config, source, store, console, AS_OF)
    assert first.outcome.sent == 2  # shown on the console
    job.run_poll(config, source, store, SlackDelivery(slack_bot), AS_OF)
    job.run_poll(config, source, store, SlackDelivery(slack_bot), AS_OF)

    assert headers(slack_standin) == ["seatbot: 2 new"]  # once, not zero, not twice
    [context] = [b for b in slack_standin.messages[0].blocks if b["type"] == "context"]
    expected = f"1 critical · 1 warning · {path} · as of 2026-12-03"
    assert context["elements"][0]["text"] == expected


def test_a_problem_fixed_before_slack_was_set_up_gets_no_resolved_note_in_slack(
    tmp_path, slack_standin, slack_bot
):
    path = write_register(
        tmp_path / "register.xlsx", [contract("C-1", seats=1)], seats_on("C-1", 2)
    )
    config = make_config(path)
    source, store = WorkbookSource(path), Store(tmp_path / "state.sqlite")
    job.run_poll(config, source, store, ConsoleDelivery(io.StringIO()), AS_OF)

    write_register(path, [contract("C-1", seats=5)], seats_on("C-1", 2))  # fixed
    result = job.run_poll(config, source, store, SlackDelivery(slack_bot), AS_OF)

    assert result.outcome.sent == 0
    assert slack_standin.messages == []

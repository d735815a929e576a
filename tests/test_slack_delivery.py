"""Delivery of alert digests to Slack, end to end: real workbooks, a real SQLite state file,
``run.py check`` (in-process through ``bot.cli.main``, or as a real subprocess) and
slack-sdk over HTTP to the local stand-in. Assertions are on what the stand-in recorded.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from registers import contract, raw_config, seat, seats_on, write_config, write_register
from slack_fixtures import TEST_BACKOFF
from slack_standin import MAX_BLOCKS, MAX_SECTION_TEXT, Fault, SlackStandIn, _Handler

from bot import cli, job
from bot.config import parse
from bot.slack import SlackDelivery, SlackTransport
from bot.state import Store
from bot.workbook import WorkbookSource

REPO = Path(__file__).resolve().parent.parent
D = dt.date
AS_OF = D(2026, 12, 3)
IDS = {"#seat-alerts": "C0SEATALRT", "#renewals": "C0RENEWALS", "#managers": "C0MANAGERS"}
IDS["#acme-licences"] = "C0ACMELICS"


# -- running seatbot -------------------------------------------------------------------


def config_file(tmp_path: Path, standin: SlackStandIn, **slack) -> Path:
    raw = raw_config(
        tmp_path / "register.xlsx",
        state={"path": str(tmp_path / "state" / "seatbot.sqlite")},
        slack={"api_url": standin.api_url, **slack},
    )
    return write_config(tmp_path / "seatbot.toml", raw)


def state_file(tmp_path: Path) -> Path:
    return tmp_path / "state" / "seatbot.sqlite"


@pytest.fixture
def slack_env(monkeypatch, slack_standin):
    """The environment of a machine with seatbot's bot token set, and nothing else."""
    for name in ("SLACK_BOT_TOKEN", "SLACK_WEBHOOK_URL", "SEATBOT_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack_standin.token)
    return monkeypatch


def run_check(capsys, config: Path, *args: str) -> tuple[int, str, str]:
    """``run.py check`` in this process: exit code, stdout, stderr."""
    code = cli.main(["--config", str(config), "check", "--as-of", AS_OF.isoformat(), *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def poll(tmp_path: Path, standin: SlackStandIn, **slack) -> None:
    """One poll with a fast-retrying transport: for the outage tests."""
    config = parse(
        raw_config(
            tmp_path / "register.xlsx",
            state={"path": str(state_file(tmp_path))},
            slack={"api_url": standin.api_url, **slack},
        )
    )
    transport = SlackTransport(
        token=standin.token, base_url=standin.api_url, timeout=5, backoff=TEST_BACKOFF
    )
    store = Store(config.state.path)
    try:
        job.run_poll(
            config, WorkbookSource(config.register.path), store, SlackDelivery(transport), AS_OF
        )
    finally:
        store.close()


def sections(message) -> list[str]:
    return [b["text"]["text"] for b in message.blocks or [] if b["type"] == "section"]


def header(message) -> str | None:
    return next((b["text"]["text"] for b in message.blocks or [] if b["type"] == "header"), None)


def by_channel(standin: SlackStandIn) -> dict[str, list[str]]:
    """Every section Slack accepted, per channel id."""
    seen: dict[str, list[str]] = {}
    for message in standin.messages:
        seen.setdefault(message.channel, []).extend(sections(message))
    return seen


def over(contract_id: str, client: str = "Acme", *, allocated: int = 3, **fields) -> tuple:
    """A contract with 2 seats bought and ``allocated`` seats live on it."""
    row = contract(contract_id, client=client, seats=2, **fields)
    return row, seats_on(contract_id, allocated, client=client)


def write(tmp_path: Path, *contracts: tuple) -> None:
    rows = [c for c, _ in contracts]
    seats = [s for _, group in contracts for s in group]
    write_register(tmp_path / "register.xlsx", rows, seats)


# -- routing ---------------------------------------------------------------------------


def test_each_client_hears_in_its_own_channel_with_its_owner_mentioned(
    tmp_path, slack_standin, slack_env, capsys
):
    write(
        tmp_path,
        over("C-1", "Acme", channel="#renewals", owner="U0ACME001"),
        over("C-2", "Globex", owner="dana@vendor.example"),
        over("C-3", "Initech", owner="nobody@vendor.example"),
        over("C-4", "Globex", channel="#acme-licences"),
    )
    config = config_file(
        tmp_path,
        slack_standin,
        channels={"Globex": "#managers"},
        owners={"dana@vendor.example": "U07DANA01"},
    )

    code, _, _ = run_check(capsys, config)

    assert code == 0
    seen = by_channel(slack_standin)
    assert sorted(seen) == ["C0ACMELICS", "C0MANAGERS", "C0RENEWALS", "C0SEATALRT"]
    [acme] = seen["C0RENEWALS"]  # the Contracts tab's channel column
    assert "*Acme* · C-1" in acme
    assert acme.endswith("Contracts!D2 · owner <@U0ACME001>")  # a Slack id in the sheet
    [globex] = seen["C0MANAGERS"]  # [slack.channels] for the client
    assert "*Globex* · C-2" in globex
    assert globex.endswith("owner <@U07DANA01>")  # the sheet's owner mapped by [slack.owners]
    [initech] = seen["C0SEATALRT"]  # neither: the default channel
    assert "*Initech* · C-3" in initech
    assert "<@" not in initech  # an owner Slack cannot be told about is not guessed
    [sheet_wins] = seen["C0ACMELICS"]  # the sheet's column beats the config
    assert "*Globex* · C-4" in sheet_wins


def test_a_seats_problem_goes_to_its_contracts_channel(tmp_path, slack_standin, slack_env, capsys):
    expired = seat("S-9", "C-1", expires_on=D(2026, 11, 1))
    write_register(tmp_path / "register.xlsx", [contract("C-1", channel="#renewals")], [expired])

    code, _, _ = run_check(capsys, config_file(tmp_path, slack_standin))

    assert code == 0
    [message] = slack_standin.messages
    assert message.channel == "C0RENEWALS"
    assert "Seat S-9 expired on 2026-11-01 but is still active" in sections(message)[0]


# -- Slack down, then up ---------------------------------------------------------------


@pytest.mark.parametrize("outage", ["server_error", "drop_connection"])
def test_alerts_held_through_three_polls_of_outage_are_delivered_exactly_once(
    tmp_path, slack_standin, outage
):
    write(tmp_path, over("C-1", "Acme"), over("C-2", "Globex", channel="#renewals"))
    getattr(slack_standin, outage)(None)
    poll(tmp_path, slack_standin)
    # The register moves on while Slack is down: one more problem, one got worse.
    write(
        tmp_path,
        over("C-1", "Acme", allocated=4),
        over("C-2", "Globex", channel="#renewals"),
        over("C-3", "Initech"),
    )
    poll(tmp_path, slack_standin)
    poll(tmp_path, slack_standin)
    tried = len(slack_standin.requests)

    slack_standin.clear_faults()
    poll(tmp_path, slack_standin)
    poll(tmp_path, slack_standin)

    assert tried >= 3 * 2 * 4  # three polls, two channels, each tried and retried 3 times
    assert [m.channel for m in slack_standin.messages] == ["C0RENEWALS", "C0SEATALRT"]
    renewals, alerts = slack_standin.messages
    assert header(renewals) == "seatbot: 1 new"
    assert header(alerts) == "seatbot: 2 new"
    [acme, initech] = sections(alerts)
    assert "*Acme* · C-1" in acme and "4 seats allocated on C-1 but bought 2" in acme
    assert "*Initech* · C-3" in initech
    assert "*Globex* · C-2" in sections(renewals)[0]


def test_a_rate_limit_is_waited_out_within_the_poll(tmp_path, slack_standin):
    write(tmp_path, over("C-1"))
    slack_standin.rate_limit(1, retry_after=0)

    poll(tmp_path, slack_standin)
    poll(tmp_path, slack_standin)

    assert len(slack_standin.calls("chat.postMessage")) == 2
    [message] = slack_standin.messages
    assert header(message) == "seatbot: 1 new"


# -- what a person must fix ------------------------------------------------------------


def test_a_wrong_token_fails_loudly_and_the_alerts_wait_for_the_next_poll(
    tmp_path, slack_standin, slack_env, capsys
):
    write(tmp_path, over("C-1"))
    config = config_file(tmp_path, slack_standin)
    slack_env.setenv("SLACK_BOT_TOKEN", "xoxb-not-the-right-one")

    code, out, err = run_check(capsys, config)
    slack_env.setenv("SLACK_BOT_TOKEN", slack_standin.token)
    fixed, _, _ = run_check(capsys, config)

    assert code == 3
    assert (
        "seatbot: Slack rejected the bot token (invalid_auth): check SLACK_BOT_TOKEN, it "
        "should be the app's Bot User OAuth Token (xoxb-…) of an installed app." in err
    )
    assert "xoxb-not-the-right-one" not in out + err
    assert fixed == 0
    [message] = slack_standin.messages
    assert header(message) == "seatbot: 1 new"


def test_a_missing_channel_fails_loudly_while_other_channels_get_theirs(
    tmp_path, slack_standin, slack_env, capsys
):
    write(tmp_path, over("C-1", "Acme", channel="#renewal"), over("C-2", "Globex"))
    config = config_file(tmp_path, slack_standin)

    code, _, err = run_check(capsys, config)
    delivered_first = [m.channel for m in slack_standin.messages]
    write(tmp_path, over("C-1", "Acme", channel="#renewals"), over("C-2", "Globex"))
    fixed, _, _ = run_check(capsys, config)

    assert code == 3
    assert (
        "seatbot: Slack channel '#renewal' was not found (channel_not_found): the channel "
        "must exist and be spelled as in Slack" in err
    )
    assert delivered_first == ["C0SEATALRT"]
    assert fixed == 0
    assert [m.channel for m in slack_standin.messages] == ["C0SEATALRT", "C0RENEWALS"]
    assert "*Acme* · C-1" in sections(slack_standin.messages[1])[0]


def test_a_channel_without_the_bot_fails_loudly_until_it_is_invited(tmp_path, slack_env, capsys):
    with SlackStandIn(not_member={"seat-alerts"}) as standin:
        slack_env.setenv("SLACK_BOT_TOKEN", standin.token)
        write(tmp_path, over("C-1"))
        config = config_file(tmp_path, standin)

        code, _, err = run_check(capsys, config)
        standin.find_channel("seat-alerts").is_member = True  # /invite @app
        fixed, _, _ = run_check(capsys, config)
        again, _, _ = run_check(capsys, config)

    assert code == 3
    assert (
        "seatbot: The bot is not a member of Slack channel '#seat-alerts' (not_in_channel): "
        "invite it there with /invite @app" in err
    )
    assert (fixed, again) == (0, 0)
    assert len(standin.calls("chat.postMessage")) == 2
    [message] = standin.messages
    assert header(message) == "seatbot: 1 new"


# -- exactly once across a crash -------------------------------------------------------


class HoldingStandIn(SlackStandIn):
    """The stand-in, able to hold the Nth chat.postMessage in flight.

    ``hold="before"``: the request hangs before Slack takes it (nothing is posted).
    ``hold="after"``: Slack posts the message and its ok hangs on the way back, the
    moment between Slack's ok and seatbot's state write. ``in_flight`` is set when the
    request is held; ``release`` lets it go (to a process that is gone by then).
    """

    def __init__(self, hold: str, at: int) -> None:
        super().__init__()
        self.hold, self.at = hold, at
        self.posts = 0
        self.in_flight = threading.Event()
        self.release = threading.Event()

    def start(self) -> HoldingStandIn:
        super().start()
        self._server.RequestHandlerClass = type("Handler", (_HoldingHandler,), {"standin": self})
        return self

    def stop(self) -> None:
        self.release.set()
        super().stop()

    def turn(self, path: str) -> str | None:
        """How to treat this request: "before", "after" or None (answer normally)."""
        if urlsplit(path).path != "/api/chat.postMessage":
            return None
        with self._lock:
            self.posts += 1
            return self.hold if self.posts == self.at else None

    def wait_released(self) -> None:
        self.in_flight.set()
        self.release.wait(60)


class _HoldingHandler(_Handler):
    held = None

    def do_POST(self) -> None:
        self.held = self.standin.turn(self.path)
        if self.held == "before":
            self.standin.wait_released()
            self.close_connection = True
            return
        super().do_POST()

    def _send(self, *args, **kwargs) -> None:
        if self.held == "after":
            self.standin.wait_released()
        # The client may have been killed while its answer was held.
        with contextlib.suppress(OSError):
            super()._send(*args, **kwargs)


def run_py(config: Path, token: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "SEATBOT_"))}
    env["SLACK_BOT_TOKEN"] = token
    return subprocess.Popen(
        [sys.executable, str(REPO / "run.py"), "--config", str(config), "check",
         "--as-of", AS_OF.isoformat()],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip


@pytest.mark.parametrize("hold", ["after", "before"])
def test_a_process_killed_mid_send_loses_nothing_and_repeats_at_most_that_message(tmp_path, hold):
    # Three channels, sent in name order; the second digest is in flight at the kill.
    write(
        tmp_path,
        over("C-1", "Acme", channel="#acme-licences"),
        over("C-2", "Globex", channel="#managers"),
        over("C-3", "Initech", channel="#renewals"),
    )
    with HoldingStandIn(hold, at=2) as standin:
        config = config_file(tmp_path, standin)

        killed = run_py(config, standin.token)
        assert standin.in_flight.wait(60), killed.communicate(timeout=5)
        posted_at_kill = [m.channel for m in standin.messages]
        killed.kill()  # SIGKILL: no handler, no cleanup, no final state write
        killed.wait(10)
        standin.release.set()

        next_run = run_py(config, standin.token)
        next_out, next_err = next_run.communicate(timeout=120)
        last_run = run_py(config, standin.token)
        last_run.communicate(timeout=120)

    assert killed.returncode == -9
    assert next_run.returncode == 0, next_err
    assert last_run.returncode == 0
    channels = [m.channel for m in standin.messages]
    if hold == "after":
        # Slack had taken the second digest when the process died: only it is repeated.
        assert posted_at_kill == ["C0ACMELICS", "C0MANAGERS"]
        assert channels == ["C0ACMELICS", "C0MANAGERS", "C0MANAGERS", "C0RENEWALS"]
        assert sections(standin.messages[1]) == sections(standin.messages[2])
    else:
        assert posted_at_kill == ["C0ACMELICS"]
        assert channels == ["C0ACMELICS", "C0MANAGERS", "C0RENEWALS"]
    seen = by_channel(standin)
    assert "*Acme* · C-1" in seen["C0ACMELICS"][0]
    assert "*Globex* · C-2" in seen["C0MANAGERS"][0]
    assert "*Initech* · C-3" in seen["C0RENEWALS"][0]


# -- Slack's limits, and sheet text that must not ping ---------------------------------


def test_a_digest_of_300_alerts_fits_slacks_limits_with_the_rest_in_its_thread(
    tmp_path, slack_standin, slack_env, capsys
):
    expired = [seat(f"S-{n:03d}", "C-1", expires_on=D(2026, 11, 1)) for n in range(1, 301)]
    write_register(tmp_path / "register.xlsx", [contract("C-1", seats=400)], expired)
    config = config_file(tmp_path, slack_standin)

    code, _, _ = run_check(capsys, config)
    again, _, _ = run_check(capsys, config)

    assert (code, again) == (0, 0)
    posts = slack_standin.calls("chat.postMessage")
    first, *replies = slack_standin.messages
    assert len(posts) == len(slack_standin.messages) > 1  # Slack refused none
    assert first.thread_ts is None
    assert header(first) == "seatbot: 300 new"
    assert replies and all(m.thread_ts == first.ts for m in replies)
    assert all(m.channel == "C0SEATALRT" for m in slack_standin.messages)
    for post in posts:
        blocks = post.body["blocks"]
        assert len(blocks) <= MAX_BLOCKS
        assert all(len(b["text"]["text"]) <= MAX_SECTION_TEXT for b in blocks if "text" in b)
    said = [s for m in slack_standin.messages for s in sections(m)]
    assert len(said) == 300
    for n in range(1, 301):
        assert sum(f"Seat S-{n:03d} expired" in s for s in said) == 1


class OutageMidDigest(SlackStandIn):
    """Takes the first ``ok_posts`` messages, then answers 500 until ``failing`` is off."""

    def __init__(self, ok_posts: int) -> None:
        super().__init__()
        self.ok_posts = ok_posts
        self.failing = True
        self.posts = 0

    def _take_fault(self, path: str) -> Fault | None:
        if path == "/api/chat.postMessage":
            with self._lock:
                self.posts += 1
                if self.failing and self.posts > self.ok_posts:
                    return Fault(500, times=None)
        return super()._take_fault(path)


def test_an_outage_in_the_middle_of_a_long_digest_sends_the_rest_next_poll_unrepeated(
    tmp_path,
):
    expired = [seat(f"S-{n:03d}", "C-1", expires_on=D(2026, 11, 1)) for n in range(1, 301)]
    write_register(tmp_path / "register.xlsx", [contract("C-1", seats=400)], expired)

    with OutageMidDigest(ok_posts=2) as standin:
        poll(tmp_path, standin)
        during = len(standin.messages)
        standin.failing = False
        poll(tmp_path, standin)
        poll(tmp_path, standin)

    assert during == 2  # the first message and its first thread reply
    said = [s for m in standin.messages for s in sections(m)]
    assert len(said) == 300
    for n in range(1, 301):
        assert sum(f"Seat S-{n:03d} expired" in s for s in said) == 1
    rest = standin.messages[during]
    assert rest.thread_ts is None
    assert header(rest) == f"seatbot: {300 - len(sections(standin.messages[0])) - 50} new"


def test_a_sheet_cell_holding_a_channel_ping_reaches_slack_only_as_text(
    tmp_path, slack_standin, slack_env, capsys
):
    client = "<!channel> & Co"
    seats = seats_on("C-1", 3, client=client)
    seats[0]["email"] = "<!channel>"  # not an email: the row is reported with its value
    seats[1]["email"] = seats[2]["email"] = None
    seats[1]["assigned_to"] = seats[2]["assigned_to"] = "<@U0BOSS99>"  # one person twice
    write_register(tmp_path / "register.xlsx", [contract("C-1", client=client, seats=1)], seats)

    code, _, _ = run_check(capsys, config_file(tmp_path, slack_standin))

    assert code == 0
    assert slack_standin.calls("chat.postMessage")
    for request in slack_standin.requests:
        assert b"<!channel>" not in request.raw
        assert b"<@U0BOSS99>" not in request.raw
    said = "\n".join(s for m in slack_standin.messages for s in sections(m))
    assert "*&lt;!channel&gt; &amp; Co* · C-1" in said  # the client, over-provisioned
    assert "= '&lt;!channel&gt;' is not an email address" in said
    assert "&lt;@U0BOSS99&gt; holds more than one allocated seat on C-1" in said
    fallback = slack_standin.calls("chat.postMessage")[0].body["text"]
    assert "&lt;!channel&gt;" in fallback


# -- dry run ---------------------------------------------------------------------------


def test_a_dry_run_shows_the_digest_sends_nothing_and_creates_no_state(
    tmp_path, slack_standin, slack_env, capsys
):
    write(tmp_path, over("C-1"))

    code, out, _ = run_check(capsys, config_file(tmp_path, slack_standin), "--dry-run")

    assert code == 0
    assert "Dry run: would send 1 digest(s); nothing sent, no state changed." in out
    assert "seatbot: 1 new -> #seat-alerts" in out
    assert "NEW      over_provisioned" in out
    assert slack_standin.calls("chat.postMessage") == []
    assert not state_file(tmp_path).exists()


def test_a_dry_run_leaves_the_state_file_as_it_was(tmp_path, slack_standin, slack_env, capsys):
    write(tmp_path, over("C-1"))
    config = config_file(tmp_path, slack_standin)
    run_check(capsys, config)
    before = state_file(tmp_path).read_bytes()
    write(tmp_path, over("C-1"), over("C-2", "Globex"))

    code, out, _ = run_check(capsys, config, "--dry-run")
    after = state_file(tmp_path).read_bytes()
    real, _, _ = run_check(capsys, config)

    assert code == 0
    assert "seatbot: 1 new -> #seat-alerts" in out
    assert after == before
    assert len(slack_standin.calls("chat.postMessage")) == 2  # the first run and the last
    assert "*Globex* · C-2" in sections(slack_standin.messages[-1])[0]
    assert real == 0


# -- the incoming webhook --------------------------------------------------------------


def test_the_webhook_delivers_each_digest_once(tmp_path, slack_standin, slack_env, capsys):
    slack_env.delenv("SLACK_BOT_TOKEN")
    slack_env.setenv("SLACK_WEBHOOK_URL", slack_standin.webhook_url)
    write(tmp_path, over("C-1"), over("C-2", "Globex", channel="#renewals"))
    config = config_file(tmp_path, slack_standin)

    code, _, err = run_check(capsys, config)
    again, _, _ = run_check(capsys, config)

    assert (code, again) == (0, 0)
    assert slack_standin.calls("chat.postMessage") == []
    assert [m.via for m in slack_standin.messages] == ["webhook", "webhook"]
    said = [s for m in slack_standin.messages for s in sections(m)]
    assert len(said) == 2
    assert any("*Acme* · C-1" in s for s in said)
    assert any("*Globex* · C-2" in s for s in said)
    assert "standinwebhooksecret" not in err
    body = json.loads(slack_standin.webhook_calls()[0].raw)
    assert body["blocks"][0]["type"] == "header"


def test_one_channel_spelled_three_ways_gets_one_digest(
    tmp_path, slack_standin, slack_env, capsys
):
    write(
        tmp_path,
        over("C-1", "Acme", channel="#renewals"),
        over("C-2", "Globex", channel="renewals"),
        over("C-3", "Initech", channel=" #Renewals "),
    )

    code, _, _ = run_check(capsys, config_file(tmp_path, slack_standin))

    assert code == 0
    [digest] = slack_standin.messages
    assert digest.channel == "C0RENEWALS"
    assert header(digest) == "seatbot: 3 new"


def test_config_routes_and_owners_match_the_sheet_whatever_the_case(
    tmp_path, slack_standin, slack_env, capsys
):
    write(tmp_path, over("C-1", "Globex Corporation", owner="Dana@Vendor.example"))
    config = config_file(
        tmp_path,
        slack_standin,
        channels={"globex corporation": "#managers"},
        owners={"dana@vendor.example": "U07DANA01"},
    )

    code, _, _ = run_check(capsys, config)

    assert code == 0
    [digest] = slack_standin.messages
    assert digest.channel == "C0MANAGERS"
    assert sections(digest)[0].endswith("owner <@U07DANA01>")


def test_an_overlong_cell_is_cut_to_fit_and_the_owner_is_still_mentioned(
    tmp_path, slack_standin, slack_env, capsys
):
    client = "R&D " * 400  # 1,600 characters that escaping makes 3,200
    write(tmp_path, over("C-1", client.strip(), owner="U0ACME001"))

    code, _, _ = run_check(capsys, config_file(tmp_path, slack_standin))

    assert code == 0
    [message] = slack_standin.messages
    [section] = sections(message)
    assert len(section) <= MAX_SECTION_TEXT
    assert section.startswith(":red_circle: *Over-provisioned* · *R&amp;D R&amp;D")
    assert section.endswith("Contracts!D2 · owner <@U0ACME001>")


def test_an_overlong_client_still_gets_exactly_one_resolved_note(
    tmp_path, slack_standin, slack_env, capsys
):
    client = ("<R&D> " * 700).strip()  # escaped, far beyond one section
    config = config_file(tmp_path, slack_standin)
    row = contract("C-1", client=client, seats=10)
    write_register(tmp_path / "register.xlsx", [row], seats_on("C-1", 12, client=client))
    run_check(capsys, config)

    write_register(tmp_path / "register.xlsx", [row], seats_on("C-1", 5, client=client))
    code, _, err = run_check(capsys, config)
    again, _, _ = run_check(capsys, config)

    assert (code, again) == (0, 0), err
    first, note = slack_standin.messages
    [section] = sections(note)
    assert header(note) == "seatbot: 1 resolved"
    assert section.startswith(":white_check_mark: *Resolved: Over-provisioned* · *&lt;R&amp;D")
    assert len(section) <= MAX_SECTION_TEXT

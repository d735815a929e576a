"""The Slack transport over real HTTP, with slack-sdk's own clients, against the stand-in."""

from __future__ import annotations

import logging
import time

import pytest
from slack_standin import WEBHOOK_PATH, SlackStandIn

from bot.slack import (
    MAX_BLOCKS,
    MAX_SECTION_TEXT,
    SlackError,
    SlackTransport,
    escape,
    section,
    split_into_messages,
)

# Until conftest.py loads it for the whole suite.
pytest_plugins = ["slack_fixtures"]

HEADER = [{"type": "header", "text": {"type": "plain_text", "text": "Seat alerts"}}]


# -- posting through a bot token -------------------------------------------------------


def test_it_sends_the_channel_text_and_blocks_with_the_bot_token(slack_standin, slack_bot):
    blocks = [section("*Acme Ltd* — contract C-001 renews in 30 days")]

    ts = slack_bot.post("C0RENEWALS", "1 renewal due", blocks)

    [request] = slack_standin.requests
    assert request.path == "/api/chat.postMessage"
    assert request.authorization == f"Bearer {slack_standin.token}"
    assert request.body["channel"] == "C0RENEWALS"
    assert request.body["text"] == "1 renewal due"
    assert request.body["blocks"] == blocks
    assert request.body["unfurl_links"] is False
    assert ts == slack_standin.messages[0].ts


def test_it_accepts_a_channel_name_with_or_without_hash(slack_standin, slack_bot):
    slack_bot.post("#renewals", "one", [section("one")])
    slack_bot.post("managers", "two", [section("two")])

    assert [m.channel for m in slack_standin.messages] == ["C0RENEWALS", "C0MANAGERS"]


def test_a_thread_reply_carries_the_parent_ts(slack_standin, slack_bot):
    parent = slack_bot.post("C0RENEWALS", "digest", [section("first part")])

    slack_bot.post("C0RENEWALS", "digest (2/2)", [section("second part")], thread_ts=parent)

    assert slack_standin.calls("chat.postMessage")[1].body["thread_ts"] == parent
    assert slack_standin.messages[1].thread_ts == parent


# -- what is retried -------------------------------------------------------------------


@pytest.mark.parametrize("retry_after", [0, 1])
def test_a_rate_limit_is_waited_out_and_the_message_delivered_once(
    slack_standin, slack_bot, retry_after
):
    slack_standin.rate_limit(1, retry_after=retry_after)
    started = time.monotonic()

    ts = slack_bot.post("C0RENEWALS", "digest", [section("x")])

    assert time.monotonic() - started >= retry_after
    assert ts is not None
    assert len(slack_standin.requests) == 2
    assert len(slack_standin.messages) == 1


def test_a_rate_limit_longer_than_the_poll_can_wait_is_left_to_the_next_poll(slack_standin):
    transport = SlackTransport(
        token=slack_standin.token, base_url=slack_standin.api_url, max_rate_limit_wait=30
    )
    slack_standin.rate_limit(1, retry_after=120)
    started = time.monotonic()

    with pytest.raises(SlackError) as raised:
        transport.post("C0RENEWALS", "digest", [section("x")])

    assert raised.value.retryable is True
    assert time.monotonic() - started < 1
    assert len(slack_standin.requests) == 1


@pytest.mark.parametrize("status", [500, 503])
def test_a_server_error_is_retried(slack_standin, slack_bot, status):
    slack_standin.server_error(1, status=status)

    slack_bot.post("C0RENEWALS", "digest", [section("x")])

    assert len(slack_standin.requests) == 2
    assert len(slack_standin.messages) == 1


def test_a_dropped_connection_is_retried(slack_standin, slack_bot):
    slack_standin.drop_connection(1)

    slack_bot.post("C0RENEWALS", "digest", [section("x")])

    assert len(slack_standin.requests) == 2
    assert len(slack_standin.messages) == 1


def test_an_outage_that_does_not_end_gives_up_in_bounded_time(slack_standin, slack_bot):
    slack_standin.server_error(None)
    started = time.monotonic()

    with pytest.raises(SlackError) as raised:
        slack_bot.post("C0RENEWALS", "digest", [section("x")])

    assert raised.value.retryable is True
    assert "HTTP 500" in str(raised.value)
    assert len(slack_standin.requests) == 4  # the first try and max_retries=3
    assert time.monotonic() - started < 2
    assert slack_standin.messages == []


def test_a_rate_limit_that_does_not_end_is_retryable(slack_standin):
    transport = SlackTransport(
        token=slack_standin.token, base_url=slack_standin.api_url, max_retries=1
    )
    slack_standin.rate_limit(None, retry_after=0)

    with pytest.raises(SlackError) as raised:
        transport.post("C0RENEWALS", "digest", [section("x")])

    assert raised.value.retryable is True
    assert raised.value.code == "ratelimited"
    assert len(slack_standin.requests) == 2


def test_slack_being_unreachable_is_retryable():
    with SlackStandIn() as standin:
        url = standin.api_url
    transport = SlackTransport(token="xoxb-x", base_url=url, max_retries=1, backoff=0.01)

    with pytest.raises(SlackError) as raised:
        transport.post("C0RENEWALS", "digest", [section("x")])

    assert raised.value.retryable is True
    assert "Could not reach Slack" in str(raised.value)


@pytest.mark.parametrize("code", ["internal_error", "fatal_error", "service_unavailable"])
def test_slacks_own_transient_errors_are_retryable(slack_standin, slack_bot, code):
    slack_standin.slack_error(code)

    with pytest.raises(SlackError) as raised:
        slack_bot.post("C0RENEWALS", "digest", [section("x")])

    assert raised.value.retryable is True
    assert raised.value.code == code


# -- what a person must fix ------------------------------------------------------------


def test_a_wrong_token_says_to_check_slack_bot_token(slack_standin, caplog):
    caplog.set_level(logging.DEBUG)
    transport = SlackTransport(token="xoxb-wrong-secret", base_url=slack_standin.api_url)

    with pytest.raises(SlackError) as raised:
        transport.post("C0RENEWALS", "digest", [section("x")])

    assert raised.value.retryable is False
    assert raised.value.code == "invalid_auth"
    assert "check SLACK_BOT_TOKEN" in str(raised.value)
    assert len(slack_standin.requests) == 1
    assert "xoxb-wrong-secret" not in caplog.text


def test_an_unknown_channel_names_the_channel_and_says_it_must_exist(slack_standin, slack_bot):
    with pytest.raises(SlackError) as raised:
        slack_bot.post("#renewal", "digest", [section("x")])

    assert raised.value.retryable is False
    assert str(raised.value).startswith(
        "Slack channel '#renewal' was not found (channel_not_found): the channel must exist"
    )


def test_a_channel_without_the_bot_says_to_invite_it():
    with SlackStandIn(not_member={"managers"}) as standin:
        transport = SlackTransport(token=standin.token, base_url=standin.api_url)
        with pytest.raises(SlackError) as raised:
            transport.post("#managers", "digest", [section("x")])

    assert raised.value.retryable is False
    assert raised.value.code == "not_in_channel"
    assert "/invite @app" in str(raised.value)


def test_a_switched_on_slack_error_is_reported_as_slack_sends_it(slack_standin, slack_bot):
    slack_standin.slack_error("channel_not_found")

    with pytest.raises(SlackError) as raised:
        slack_bot.post("C0RENEWALS", "digest", [section("x")])

    assert raised.value.code == "channel_not_found"
    assert "'C0RENEWALS'" in str(raised.value)


# -- the incoming webhook --------------------------------------------------------------


def test_a_webhook_posts_text_and_blocks_and_has_no_ts(slack_standin, slack_webhook):
    blocks = [section("*Acme Ltd* is 3 seats over")]

    ts = slack_webhook.post("#ignored", "1 alert", blocks, thread_ts="1.2")

    [request] = slack_standin.webhook_calls()
    assert request.body == {
        "text": "1 alert",
        "blocks": blocks,
        "unfurl_links": False,
        "unfurl_media": False,
    }
    assert ts is None
    assert slack_webhook.uses_webhook


def test_a_revoked_webhook_says_to_replace_it(slack_standin, slack_webhook, caplog):
    caplog.set_level(logging.DEBUG)
    slack_standin.webhook_error("no_service", status=404)

    with pytest.raises(SlackError) as raised:
        slack_webhook.post(None, "1 alert", [section("x")])

    assert raised.value.retryable is False
    assert raised.value.code == "no_service"
    assert "update SLACK_WEBHOOK_URL" in str(raised.value)
    assert len(slack_standin.requests) == 1
    assert WEBHOOK_PATH not in caplog.text


def test_a_forbidden_webhook_says_to_replace_it(slack_standin, slack_webhook):
    slack_standin.webhook_error("action_prohibited", status=403)

    with pytest.raises(SlackError, match="revoked or disabled") as raised:
        slack_webhook.post(None, "1 alert", [section("x")])

    assert raised.value.retryable is False


def test_a_webhook_rate_limit_and_a_drop_are_retried_without_logging_the_url(
    slack_standin, slack_webhook, caplog
):
    caplog.set_level(logging.DEBUG)
    slack_standin.rate_limit(1, retry_after=0)
    slack_standin.drop_connection(1)

    slack_webhook.post(None, "1 alert", [section("x")])

    assert len(slack_standin.webhook_calls()) == 3
    assert len(slack_standin.messages) == 1
    assert WEBHOOK_PATH not in caplog.text


def test_a_webhook_cannot_upload_files(slack_webhook):
    with pytest.raises(SlackError, match="files:write"):
        slack_webhook.upload_file("C0MANAGERS", b"png", "chart.png")


# -- channel names and uploads ---------------------------------------------------------


def test_a_channel_name_is_resolved_across_pages_and_remembered(slack_standin, slack_bot):
    assert slack_bot.resolve_channel_id("#acme-licences") == "C0ACMELICS"
    assert [r.body.get("cursor") for r in slack_standin.calls("conversations.list")] == [
        None,
        "2",
        "4",
    ]

    assert slack_bot.resolve_channel_id("renewals") == "C0RENEWALS"
    assert slack_bot.resolve_channel_id("C0SOMEID99") == "C0SOMEID99"
    assert len(slack_standin.requests) == 3


def test_an_unknown_channel_name_asks_for_an_id(slack_standin, slack_bot):
    with pytest.raises(SlackError, match=r"give its id \(C0123…\)") as raised:
        slack_bot.resolve_channel_id("#nowhere")

    assert raised.value.retryable is False
    assert len(slack_standin.calls("conversations.list")) == 3


def test_a_file_is_uploaded_in_slacks_three_steps(slack_standin, slack_bot):
    png = b"\x89PNG\r\n\x1a\n" + b"0" * 100

    file_id = slack_bot.upload_file(
        "#managers",
        png,
        "summary.png",
        title="Seats this week",
        initial_comment="Weekly summary",
        thread_ts="1700000001.000100",
    )

    paths = [r.path for r in slack_standin.requests if r.api_method != "conversations.list"]
    assert paths == [
        "/api/files.getUploadURLExternal",
        f"/upload/v1/{file_id}",
        "/api/files.completeUploadExternal",
    ]
    assert slack_standin.calls("files.getUploadURLExternal")[0].body["length"] == str(len(png))
    upload = slack_standin.uploads[file_id]
    assert upload.data == png
    assert upload.completed == {
        "title": "Seats this week",
        "channel_id": "C0MANAGERS",
        "initial_comment": "Weekly summary",
        "thread_ts": "1700000001.000100",
    }


def test_a_file_is_uploaded_from_a_path(slack_standin, slack_bot, tmp_path):
    chart = tmp_path / "chart.png"
    chart.write_bytes(b"\x89PNG fake")

    file_id = slack_bot.upload_file("C0MANAGERS", chart, "chart.png")

    assert slack_standin.uploads[file_id].data == b"\x89PNG fake"
    assert slack_standin.calls("conversations.list") == []


def test_an_upload_without_channels_read_asks_for_a_channel_id(slack_standin, slack_bot):
    slack_standin.slack_error("missing_scope", only="conversations.list")

    with pytest.raises(SlackError) as raised:
        slack_bot.upload_file("#managers", b"png", "chart.png")

    message = str(raised.value)
    assert raised.value.retryable is False
    assert "needs a Slack channel id" in message
    assert "channels:read" in message
    assert slack_standin.calls("files.getUploadURLExternal") == []


# -- Slack's limits --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("blocks", "text", "code"),
    [
        ([section("x")] * 51, "t", "invalid_blocks"),
        ([section("x" * 3001)], "t", "invalid_blocks"),
        ([section("x")], "t" * 40_001, "msg_too_long"),
        ([section("x" * 3000)] * 5, "t", "msg_blocks_too_long"),
    ],
)
def test_the_stand_in_rejects_what_slack_rejects(slack_standin, slack_bot, blocks, text, code):
    with pytest.raises(SlackError) as raised:
        slack_bot.post("C0RENEWALS", text, blocks)

    assert raised.value.code == code
    assert raised.value.retryable is False
    assert slack_standin.messages == []


def test_a_digest_of_300_alerts_goes_out_within_slacks_limits(slack_standin, slack_bot):
    sections = [
        f"*Client {n:03d}* — contract C-{n:03d} is {n % 7 + 1} seats over. Remove seats "
        "or invoice a true-up." + " Details." * (n % 40)
        for n in range(300)
    ]
    sections[150] = "\n".join(f"• seat K-{n:05d} still active" for n in range(400))
    messages = split_into_messages(HEADER, sections, "300 seat alerts for Acme")

    parent = slack_bot.post("#seat-alerts", messages[0].text, messages[0].blocks)
    for reply in messages[1:]:
        slack_bot.post("#seat-alerts", reply.text, reply.blocks, thread_ts=parent)

    accepted = slack_standin.messages
    assert len(accepted) == len(messages) > 1
    assert accepted[0].blocks[0] == HEADER[0]
    assert all(m.thread_ts == parent for m in accepted[1:])
    assert all(len(m.blocks) <= MAX_BLOCKS for m in accepted)
    sent = "\n".join(b["text"]["text"] for m in accepted for b in m.blocks if "text" in b)
    assert all(s.split(" — ")[0] in sent for s in sections if s.startswith("*"))
    assert all(f"K-{n:05d}" in sent for n in range(400))


def test_a_long_section_is_split_on_line_boundaries():
    lines = [f"line {n:04d} " + "x" * 40 for n in range(200)]

    [message] = split_into_messages([], ["\n".join(lines)], "summary")

    texts = [b["text"]["text"] for b in message.blocks]
    assert len(texts) > 1
    assert all(len(t) <= MAX_SECTION_TEXT for t in texts)
    assert "\n".join(texts).split("\n") == lines


def test_a_line_longer_than_a_section_is_cut_between_words():
    words = " ".join(["word"] * 1500)

    [message] = split_into_messages([], [words], "summary")

    texts = [b["text"]["text"] for b in message.blocks]
    assert all(len(t) <= MAX_SECTION_TEXT for t in texts)
    assert " ".join(texts) == words


def test_the_fallback_text_is_a_short_summary_and_continuations_say_so():
    messages = split_into_messages([], [f"alert {n}" for n in range(120)], "120 alerts " * 500)

    assert all(len(m.text) <= 3000 for m in messages)
    assert messages[1].text.endswith("…")
    short = split_into_messages([], [f"alert {n}" for n in range(120)], "120 alerts")
    assert [m.text for m in short] == ["120 alerts", "120 alerts (2/3)", "120 alerts (3/3)"]


def test_empty_sections_are_left_out():
    [message] = split_into_messages(HEADER, ["", "  ", "real"], "summary")

    assert message.blocks == [HEADER[0], section("real")]


# -- escaping --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "shown"),
    [
        ("<!channel>", "&lt;!channel&gt;"),
        ("<@U123>", "&lt;@U123&gt;"),
        ("a & b", "a &amp; b"),
        ("&lt;", "&amp;lt;"),
    ],
)
def test_escape_makes_sheet_text_harmless(cell, shown):
    assert escape(cell) == shown


def test_a_sheet_cell_never_pings_but_the_owner_mention_does(slack_standin, slack_bot):
    text = f"*{escape('<!channel> Acme & Co')}* renews in 7 days — owner <@U0OWNER>"

    slack_bot.post("C0RENEWALS", "1 renewal", [section(text)])

    sent = slack_standin.requests[0].body["blocks"][0]["text"]["text"]
    assert "<!channel>" not in sent
    assert sent == "*&lt;!channel&gt; Acme &amp; Co* renews in 7 days — owner <@U0OWNER>"


# -- construction ----------------------------------------------------------------------


def test_from_environment_without_slack_settings_is_none():
    assert SlackTransport.from_environment({}) is None
    assert SlackTransport.from_environment({"SLACK_BOT_TOKEN": "  "}) is None


def test_from_environment_prefers_the_token_over_the_webhook():
    both = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_WEBHOOK_URL": "https://hooks.slack.com/x"}

    assert SlackTransport.from_environment(both).uses_webhook is False
    only_webhook = {"SLACK_WEBHOOK_URL": "https://hooks.slack.com/x"}
    assert SlackTransport.from_environment(only_webhook).uses_webhook is True


def test_a_webhook_url_without_a_scheme_is_refused_without_echoing_it():
    with pytest.raises(ValueError) as raised:
        SlackTransport(webhook_url="hooks.slack.com/services/T1/B1/secretpart")

    assert "secretpart" not in str(raised.value)
    assert "SLACK_WEBHOOK_URL" in str(raised.value)


def test_a_transport_needs_exactly_one_credential():
    with pytest.raises(ValueError, match="exactly one"):
        SlackTransport(token="xoxb-1", webhook_url="https://hooks.slack.com/x")
    with pytest.raises(ValueError):
        SlackTransport()

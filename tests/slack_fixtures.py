"""Pytest fixtures for the Slack stand-in; load with ``pytest_plugins = ["slack_fixtures"]``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from slack_standin import SlackStandIn

from bot.slack import SlackTransport

# Short enough that a test of three retries takes well under a second (rate limits still
# wait Retry-After plus up to a second of slack-sdk's jitter).
TEST_BACKOFF = 0.01


@pytest.fixture
def slack_standin() -> Iterator[SlackStandIn]:
    """A started stand-in with five channels (see DEFAULT_CHANNELS), two per page."""
    with SlackStandIn() as standin:
        yield standin


@pytest.fixture
def slack_bot(slack_standin: SlackStandIn) -> SlackTransport:
    """A bot-token transport pointed at the stand-in, with tiny backoff."""
    return SlackTransport(
        token=slack_standin.token,
        base_url=slack_standin.api_url,
        timeout=5,
        max_retries=3,
        backoff=TEST_BACKOFF,
    )


@pytest.fixture
def slack_webhook(slack_standin: SlackStandIn) -> SlackTransport:
    """An incoming-webhook transport pointed at the stand-in, with tiny backoff."""
    return SlackTransport(
        webhook_url=slack_standin.webhook_url, timeout=5, max_retries=3, backoff=TEST_BACKOFF
    )

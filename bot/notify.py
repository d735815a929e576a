"""Tell each channel what waits for it, and remember only what Slack accepted."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from bot import alerts
from bot.alerts import Notice
from bot.digest import Digest, render
from bot.slack import SlackError
from bot.state import Store

log = logging.getLogger(__name__)


@dataclass
class Outcome:
    messages: int = 0
    digests: list[Digest] = field(default_factory=list)
    errors: list[SlackError] = field(default_factory=list)
    # The notices a channel accepted, in the order they went out.
    delivered: list[Notice] = field(default_factory=list)

    @property
    def sent(self) -> int:
        return len(self.delivered)

    @property
    def unreachable(self) -> bool:
        return bool(self.errors)


def deliver(store: Store, delivery, context: str, *, dry_run: bool = False) -> Outcome:
    """Send every channel its pending alerts as one digest (thread replies when long).

    A channel that fails keeps its alerts pending for the next poll; the other channels
    go on. With ``dry_run`` the digests are rendered but nothing is sent or marked.
    """
    outcome = Outcome()
    for channel, notices in sorted(alerts.pending_by_channel(store).items()):
        digest = render(channel, notices, context)
        outcome.digests.append(digest)
        if dry_run:
            continue
        try:
            delivery.send(digest, on_message=_marker(store, digest, outcome, delivery.name))
        except SlackError as error:
            said = {id(n) for n in outcome.delivered}
            undelivered = [n for n in digest.notices if id(n) not in said]
            alerts.mark_failed(store, undelivered, str(error))
            outcome.errors.append(error)
            level = logging.WARNING if error.retryable else logging.ERROR
            log.log(
                level,
                "could not deliver %d alerts to %s (they wait for the next poll): %s",
                len(undelivered),
                channel,
                error,
            )
    return outcome


def _marker(store: Store, digest: Digest, outcome: Outcome, via: str):
    def on_message(number: int) -> None:
        said = [n for n, m in zip(digest.notices, digest.message_of, strict=True) if m == number]
        alerts.mark_delivered(store, said, via=via)
        outcome.delivered.extend(said)
        outcome.messages += 1

    return on_message

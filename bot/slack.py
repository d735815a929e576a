"""How seatbot speaks to Slack: posting messages, uploading files, and fitting a digest
into the limits Slack enforces.

Two ways in, both secrets read by the caller from the environment: a bot token
(``chat.postMessage``, threads, file uploads, channel names resolved to ids) or an
incoming webhook URL (one fixed channel, no threads, no uploads). Rate limits, 5xx
answers and dropped connections are retried by slack-sdk's own retry handlers, a bounded
number of times; whatever is still wrong after that becomes one ``SlackError`` that says
whether waiting can help and, when it cannot, what a person has to fix.

Neither the token nor the webhook URL is ever logged: the webhook URL is a credential
in its own right, anyone holding it can post to the channel.
"""

from __future__ import annotations

import logging
import random
import re
from collections.abc import Mapping
from dataclasses import dataclass
from http.client import HTTPException
from pathlib import Path
from typing import Any
from urllib.error import HTTPError, URLError

from slack_sdk import WebClient, WebhookClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry import RetryHandler
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import BackoffRetryIntervalCalculator
from slack_sdk.http_retry.jitter import Jitter

logger = logging.getLogger(__name__)

# slack-sdk's webhook client logs the request URL at debug level and, after a connection
# error, at info level. Its logger is pinned at WARNING so the URL never reaches a log,
# whatever level the entry point configures.
_sdk_webhook_logger = logging.getLogger(f"{__name__}.webhook_client")
_sdk_webhook_logger.setLevel(logging.WARNING)

SLACK_API_URL = "https://slack.com/api/"

MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
# Slack truncates message text past 40,000 characters; the plain-text fallback is what
# notifications and screen readers show, so it is kept to a summary well below that.
MAX_FALLBACK_TEXT = 3000
# Slack documents no overall cap for block text, but answers msg_blocks_too_long when one
# message carries roughly 13,000 characters of it (slackapi/bolt-js#2509). Stay below.
MAX_MESSAGE_BLOCK_TEXT = 12_000

# Channel ids: C (public), G (private, older), D (direct message), followed by
# upper-case letters and digits.
_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{6,}$")

_RETRYABLE_ERRORS = {
    "ratelimited",
    "rate_limited",
    "internal_error",
    "fatal_error",
    "service_unavailable",
    "request_timeout",
    "rollup_error",
}
_TOKEN_ERRORS = {
    "invalid_auth",
    "not_authed",
    "account_inactive",
    "token_revoked",
    "token_expired",
}
_MESSAGE_SHAPE_ERRORS = {
    "invalid_blocks",
    "invalid_blocks_format",
    "msg_too_long",
    "msg_blocks_too_long",
    "no_text",
    "invalid_payload",
    "missing_text_or_fallback_or_attachments",
}


class SlackError(Exception):
    """Slack did not take the message or file.

    ``retryable`` says whether the next poll may succeed without anyone acting (rate
    limits, Slack's own outages, a dropped connection) or whether a person must fix
    something first (a bad token, a missing channel, a bot not invited). ``code`` is
    Slack's own error string when it gave one.
    """

    def __init__(self, message: str, *, retryable: bool, code: str | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.code = code


@dataclass(frozen=True)
class SlackMessage:
    """One message ready for ``SlackTransport.post``: a fallback text and its blocks."""

    text: str
    blocks: list[dict[str, Any]]


class SlackTransport:
    """Posts messages and uploads files through a bot token or an incoming webhook.

    Give exactly one of ``token`` and ``webhook_url``. ``base_url`` points the Web API
    elsewhere (the test stand-in); ``max_retries`` bounds the retries of one request over
    all causes together; ``backoff`` is the first pause, in seconds, before retrying a 5xx
    or a dropped connection (it doubles each time). Rate limits wait what Slack's
    Retry-After says, unless it asks for more than ``max_rate_limit_wait`` seconds: then
    the request fails at once as retryable and the next poll tries again, rather than the
    poll hanging.
    """

    def __init__(
        self,
        *,
        token: str | None = None,
        webhook_url: str | None = None,
        base_url: str = SLACK_API_URL,
        timeout: float = 10.0,
        max_retries: int = 3,
        backoff: float = 0.5,
        max_rate_limit_wait: int = 30,
    ) -> None:
        if bool(token) == bool(webhook_url):
            raise ValueError("give exactly one of a Slack bot token and an incoming webhook URL")
        if webhook_url and not webhook_url.startswith(("https://", "http://")):
            # Say what is wrong without echoing the value: the URL is the secret.
            raise ValueError("SLACK_WEBHOOK_URL must start with https://hooks.slack.com/")

        handlers = _retry_handlers(max_retries, backoff, max_rate_limit_wait)
        self._channel_ids: dict[str, str] = {}
        self._web: WebClient | None = None
        self._webhook: WebhookClient | None = None
        if token:
            self._web = WebClient(
                token=token, base_url=base_url, timeout=timeout, retry_handlers=handlers
            )
        else:
            self._webhook = WebhookClient(
                webhook_url,
                timeout=timeout,
                retry_handlers=handlers,
                logger=_sdk_webhook_logger,
            )

    @classmethod
    def from_environment(cls, env: Mapping[str, str], **options: Any) -> SlackTransport | None:
        """A transport from SLACK_BOT_TOKEN or SLACK_WEBHOOK_URL; None when neither is set.

        With both set the token wins: it can thread replies and upload the weekly chart,
        which a webhook cannot.
        """
        token = (env.get("SLACK_BOT_TOKEN") or "").strip()
        webhook_url = (env.get("SLACK_WEBHOOK_URL") or "").strip()
        if token:
            if webhook_url:
                logger.info("SLACK_BOT_TOKEN and SLACK_WEBHOOK_URL both set; using the token")
            return cls(token=token, **options)
        if webhook_url:
            return cls(webhook_url=webhook_url, **options)
        return None

    @property
    def uses_webhook(self) -> bool:
        """True for an incoming webhook: one fixed channel, no threads, no uploads."""
        return self._webhook is not None

    def post(
        self,
        channel: str | None,
        text: str,
        blocks: list[dict[str, Any]] | None = None,
        thread_ts: str | None = None,
    ) -> str | None:
        """Post one message and return its ``ts`` (the handle for thread replies).

        ``channel`` is an id (C0123…) or a name (``#renewals`` or ``renewals``). Through an
        incoming webhook the channel is the one the webhook was made for: ``channel`` and
        ``thread_ts`` are ignored and the result is None, so a caller with more to say
        than one message holds sends the rest as further top-level messages.
        """
        if self._webhook is not None:
            self._post_webhook(text, blocks)
            return None

        assert self._web is not None
        try:
            response = self._web.chat_postMessage(
                channel=channel,
                text=text,
                blocks=blocks,
                thread_ts=thread_ts,
                # Digest lines may carry links; previews would bury the alert under cards.
                unfurl_links=False,
                unfurl_media=False,
            )
        except (SlackClientError, URLError, HTTPException, OSError) as exc:
            raise _slack_error(exc, channel) from exc
        return response["ts"]

    def resolve_channel_id(self, name_or_id: str) -> str:
        """The channel id for ``#name``, ``name`` or an id (which passes through unchanged).

        Names are looked up with conversations.list (needs the channels:read scope, and
        groups:read for private channels) and remembered for the life of the transport.
        """
        wanted = name_or_id.strip()
        if _CHANNEL_ID.match(wanted):
            return wanted

        name = wanted.removeprefix("#").lower()
        if name in self._channel_ids:
            return self._channel_ids[name]
        if self._web is None:
            raise SlackError(
                f"Cannot look up Slack channel {name_or_id!r} through an incoming webhook: "
                "set SLACK_BOT_TOKEN, or give the channel's id (C0123…).",
                retryable=False,
            )

        self._load_channels_until(name, name_or_id)
        if name not in self._channel_ids:
            raise SlackError(
                f"Slack channel {name_or_id!r} is not among the channels the bot can see: "
                "the channel must exist (a private one needs the bot invited with "
                "/invite @app), or give its id (C0123…) instead of its name.",
                retryable=False,
                code="channel_not_found",
            )
        return self._channel_ids[name]

    def upload_file(
        self,
        channel: str,
        content: bytes | str | Path,
        filename: str,
        title: str | None = None,
        initial_comment: str | None = None,
        thread_ts: str | None = None,
    ) -> str:
        """Upload a file (bytes, or a path) to a channel and return Slack's file id.

        Uses files_upload_v2 (three requests: files.getUploadURLExternal, the upload
        itself, files.completeUploadExternal), which needs a channel id: a name is
        resolved first.
        """
        if self._web is None:
            raise SlackError(
                "An incoming webhook cannot upload files: set SLACK_BOT_TOKEN to a bot "
                "token with the files:write scope.",
                retryable=False,
            )

        channel_id = self._channel_id_for_upload(channel)
        file = str(content) if isinstance(content, Path) else content
        try:
            response = self._web.files_upload_v2(
                channel=channel_id,
                file=file,
                filename=filename,
                title=title or filename,
                initial_comment=initial_comment,
                thread_ts=thread_ts,
            )
        except (SlackClientError, URLError, HTTPException, OSError) as exc:
            raise _slack_error(exc, channel) from exc
        return response["files"][0]["id"]

    # -- steps -----------------------------------------------------------------------

    def _post_webhook(self, text: str, blocks: list[dict[str, Any]] | None) -> None:
        assert self._webhook is not None
        try:
            response = self._webhook.send(
                text=text, blocks=blocks, unfurl_links=False, unfurl_media=False
            )
        except (SlackClientError, URLError, HTTPException, OSError) as exc:
            raise _slack_error(exc, None) from exc
        if response.status_code == 200 and response.body == "ok":
            return
        raise _webhook_error(response.status_code, response.body)

    def _load_channels_until(self, name: str, asked_for: str) -> None:
        assert self._web is not None
        cursor = None
        while True:
            try:
                page = self._web.conversations_list(
                    types="public_channel,private_channel",
                    exclude_archived=True,
                    limit=200,
                    cursor=cursor,
                )
            except (SlackClientError, URLError, HTTPException, OSError) as exc:
                raise _slack_error(exc, asked_for) from exc

            for channel in page.get("channels", []):
                self._channel_ids[channel["name"].lower()] = channel["id"]
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if name in self._channel_ids or not cursor:
                return

    def _channel_id_for_upload(self, channel: str) -> str:
        try:
            return self.resolve_channel_id(channel)
        except SlackError as exc:
            if exc.retryable:
                raise
            raise SlackError(
                f"Uploading a file needs a Slack channel id, and {channel!r} could not be "
                f"resolved to one ({exc}). Give the channel id (C0123…) in the config, or "
                "grant the bot the channels:read scope (groups:read for private channels).",
                retryable=False,
                code=exc.code,
            ) from exc


def _retry_handlers(max_retries: int, backoff: float, max_wait: int) -> list[RetryHandler]:
    """slack-sdk's handlers for 429, 500/503 and dropped connections, bounded.

    slack-sdk counts attempts once per request across all handlers, so ``max_retries``
    is the total of retries whatever mixture of failures causes them.
    """
    interval = BackoffRetryIntervalCalculator(backoff, _ProportionalJitter(backoff))
    return [
        _BoundedRateLimitRetryHandler(max_wait, max_retry_count=max_retries),
        ServerErrorRetryHandler(max_retry_count=max_retries, interval_calculator=interval),
        ConnectionErrorRetryHandler(max_retry_count=max_retries, interval_calculator=interval),
    ]


class _BoundedRateLimitRetryHandler(RateLimitErrorRetryHandler):
    """slack-sdk's rate-limit handler, declining waits longer than ``max_wait`` seconds."""

    def __init__(self, max_wait: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.max_wait = max_wait

    def _can_retry(self, *, state, request, response=None, error=None) -> bool:
        if not super()._can_retry(state=state, request=request, response=response, error=error):
            return False
        assert response is not None
        for name, values in response.headers.items():
            if name.lower() == "retry-after" and values:
                return str(values[0]).isdigit() and int(values[0]) <= self.max_wait
        return True


class _ProportionalJitter(Jitter):
    """Up to ``amount`` seconds of random extra wait.

    slack-sdk's own jitter adds up to a whole second whatever the backoff, which would
    make the backoff setting meaningless for short waits.
    """

    def __init__(self, amount: float) -> None:
        self.amount = amount

    def recalculate(self, duration: float) -> float:
        return duration + random.uniform(0, self.amount)


def _slack_error(exc: Exception, channel: str | None) -> SlackError:
    """Turn whatever slack-sdk or the network raised into one SlackError."""
    if isinstance(exc, SlackApiError):
        status = exc.response.status_code
        code = exc.response.get("error") if isinstance(exc.response.data, dict) else None
        needed = exc.response.get("needed") if isinstance(exc.response.data, dict) else None
        return _api_error(status, code, channel, needed)
    if isinstance(exc, HTTPError):
        # Only the upload step of files_upload_v2 lets a raw HTTP error through.
        return SlackError(
            f"Slack refused the file upload with HTTP {exc.code}.",
            retryable=exc.code == 429 or exc.code >= 500,
        )
    # URLError (refused, DNS), RemoteDisconnected, timeouts: the request may not have
    # arrived; a later poll can try again. str(exc) names no URL, so no secret leaks.
    return SlackError(
        f"Could not reach Slack ({type(exc).__name__}: {exc}); will retry on the next poll.",
        retryable=True,
    )


def _api_error(
    status: int, code: str | None, channel: str | None, needed: str | None
) -> SlackError:
    where = f" {channel!r}" if channel else ""
    if status == 429 or code in ("ratelimited", "rate_limited"):
        return SlackError(
            "Slack is rate limiting seatbot (HTTP 429) even after waiting its Retry-After; "
            "the messages wait for the next poll.",
            retryable=True,
            code=code or "ratelimited",
        )
    if status >= 500 or code in _RETRYABLE_ERRORS:
        return SlackError(
            f"Slack had an outage (HTTP {status}, {code or 'no error code'}); "
            "the messages wait for the next poll.",
            retryable=True,
            code=code,
        )
    if code in _TOKEN_ERRORS:
        return SlackError(
            f"Slack rejected the bot token ({code}): check SLACK_BOT_TOKEN, it should be the "
            "app's Bot User OAuth Token (xoxb-…) of an installed app.",
            retryable=False,
            code=code,
        )
    if code == "channel_not_found":
        return SlackError(
            f"Slack channel{where} was not found (channel_not_found): the channel must exist "
            "and be spelled as in Slack (#name or its id C0123…); for a private channel, "
            "invite the bot first.",
            retryable=False,
            code=code,
        )
    if code == "not_in_channel":
        return SlackError(
            f"The bot is not a member of Slack channel{where} (not_in_channel): invite it "
            "there with /invite @app (use the app's name).",
            retryable=False,
            code=code,
        )
    if code == "is_archived":
        return SlackError(
            f"Slack channel{where} is archived (is_archived): unarchive it or route these "
            "alerts to another channel in the config.",
            retryable=False,
            code=code,
        )
    if code == "missing_scope":
        return SlackError(
            f"The Slack bot token lacks a scope (missing_scope, needed: {needed or '?'}): "
            "add it to the app's Bot Token Scopes and reinstall the app.",
            retryable=False,
            code=code,
        )
    if code in _MESSAGE_SHAPE_ERRORS:
        return SlackError(
            f"Slack rejected the message's shape ({code}): this is a seatbot bug in how "
            "the message was built, please report it.",
            retryable=False,
            code=code,
        )
    return SlackError(
        f"Slack refused the request (HTTP {status}, {code or 'no error code'}).",
        retryable=False,
        code=code,
    )


def _webhook_error(status: int, body: str | None) -> SlackError:
    """An incoming webhook answers plain text; its errors map to HTTP statuses.

    See https://api.slack.com/changelog/2016-05-17-changes-to-errors-for-incoming-webhooks
    """
    code = (body or "").strip() or None
    if status == 429 or status >= 500:
        return _api_error(status, code, None, None)
    if status in (403, 404) and code != "channel_not_found":
        # no_service, no_team, team_disabled, invalid_token, action_prohibited: the
        # webhook no longer posts anywhere and only a new one helps.
        return SlackError(
            f"The Slack incoming webhook was revoked or disabled (HTTP {status}, {code}): "
            "create a new one for the channel and update SLACK_WEBHOOK_URL.",
            retryable=False,
            code=code,
        )
    if status in (404, 410):
        return SlackError(
            f"The Slack incoming webhook's channel is gone (HTTP {status}, {code}): "
            "create a webhook for an existing channel and update SLACK_WEBHOOK_URL.",
            retryable=False,
            code=code,
        )
    return _api_error(status, code, None, None)


# -- Block Kit -------------------------------------------------------------------------


def escape(text: str) -> str:
    """Make text from the sheet safe for mrkdwn: only &, < and > are special to Slack.

    ``<!channel>`` becomes ``&lt;!channel&gt;``, which Slack shows as typed and which
    pings nobody. Apply it to sheet values only, never to mentions seatbot builds.
    """
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def section(text: str) -> dict[str, Any]:
    """A mrkdwn section block."""
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def split_into_messages(
    header_blocks: list[dict[str, Any]],
    sections: list[str],
    fallback_text: str,
) -> list[SlackMessage]:
    """Pack a digest into messages Slack accepts: the first, then its thread replies.

    ``header_blocks`` open the first message; each entry of ``sections`` (mrkdwn, already
    escaped where it holds sheet text) becomes a section block, split on line boundaries
    when longer than Slack's 3000 characters. A message holds at most 50 blocks and
    about 12,000 characters of block text; what does not fit goes into further messages,
    each with the fallback text marked as a continuation. With a webhook there are no
    threads and the caller posts the rest as plain follow-up messages.
    """
    if len(header_blocks) >= MAX_BLOCKS:
        raise ValueError(f"{len(header_blocks)} header blocks leave no room in a message")

    blocks = [section(chunk) for text in sections for chunk in _section_chunks(text)]
    pages: list[list[dict[str, Any]]] = []
    current = list(header_blocks)
    current_size = sum(_text_size(b) for b in current)
    for block in blocks:
        size = _text_size(block)
        if len(current) >= MAX_BLOCKS or current_size + size > MAX_MESSAGE_BLOCK_TEXT:
            pages.append(current)
            current, current_size = [], 0
        current.append(block)
        current_size += size
    pages.append(current)

    summary = _fallback(fallback_text)
    if len(pages) == 1:
        return [SlackMessage(summary, pages[0])]
    total = len(pages)
    return [
        SlackMessage(summary if n == 1 else _fallback(f"{fallback_text} ({n}/{total})"), page)
        for n, page in enumerate(pages, start=1)
    ]


def _section_chunks(text: str) -> list[str]:
    """Split one section's text at line breaks into pieces of at most 3000 characters."""
    if not text.strip():
        return []
    if len(text) <= MAX_SECTION_TEXT:
        return [text]

    chunks: list[str] = []
    current = ""
    for line in text.split("\n"):
        for piece in _cut_long_line(line):
            candidate = f"{current}\n{piece}" if current else piece
            if len(candidate) <= MAX_SECTION_TEXT:
                current = candidate
                continue
            if current.strip():
                chunks.append(current)
            current = piece
    if current.strip():
        chunks.append(current)
    return chunks


def _cut_long_line(line: str) -> list[str]:
    """A line longer than a section, cut at spaces (or anywhere when it has none)."""
    pieces = []
    while len(line) > MAX_SECTION_TEXT:
        cut = line.rfind(" ", 0, MAX_SECTION_TEXT)
        if cut <= 0:
            cut = MAX_SECTION_TEXT
        # Never cut inside an entity like &amp; or a mention like <@U123>.
        opener = max(line.rfind("&", 0, cut), line.rfind("<", 0, cut))
        if opener > 0 and cut - opener < 32 and not _closed(line[opener:cut]):
            cut = opener
        pieces.append(line[:cut])
        line = line[cut:].lstrip(" ")
    pieces.append(line)
    return pieces


def _closed(fragment: str) -> bool:
    return ";" in fragment if fragment.startswith("&") else ">" in fragment


def _text_size(block: dict[str, Any]) -> int:
    text = (block.get("text") or {}).get("text", "")
    fields = sum(len(f.get("text", "")) for f in block.get("fields", []))
    elements = sum(len(e.get("text", "")) for e in block.get("elements", []))
    return len(text) + fields + elements


def _fallback(text: str) -> str:
    text = text.strip() or "seatbot"
    if len(text) <= MAX_FALLBACK_TEXT:
        return text
    return text[: MAX_FALLBACK_TEXT - 1] + "…"


class SlackDelivery:
    """Delivers alert digests: the first message in the channel, the rest in its thread."""

    name = "slack"

    def __init__(self, transport: SlackTransport) -> None:
        self.transport = transport

    def send(self, digest: Any, on_message: Any = None) -> None:
        """Post ``digest.messages`` in order; ``on_message(n)`` runs once Slack took n.

        Raises SlackError at the first message Slack refuses; what went before stays
        delivered, what follows waits for the next poll.
        """
        thread_ts = None
        for number, message in enumerate(digest.messages):
            ts = self.transport.post(
                digest.channel, message.text, message.blocks, thread_ts=thread_ts
            )
            if number == 0:
                thread_ts = ts
            if on_message:
                on_message(number)

"""A local stand-in of the Slack Web API and of an incoming webhook, over real HTTP.

It listens on 127.0.0.1 on an ephemeral port, records every request it receives (including
the ones it was told to fail) and answers the way Slack does:

- Web API errors come back as HTTP 200 with ``{"ok": false, "error": ...}``; only rate
  limits (429 + Retry-After) and outages (5xx) use the HTTP status.
- The incoming webhook answers plain text: ``ok`` with 200, or an error string with
  400/403/404/410, as listed in Slack's changelog of 2016-05-17, "Improving error
  conditions for Incoming Webhooks".
- The limits Slack enforces are enforced here too, so a test that passes here is not
  rejected there: at most 50 blocks, a section's text at most 3000 characters, a header at
  most 150, message text at most 40,000 characters.

Tests steer it with ``rate_limit``, ``server_error``, ``drop_connection``, ``slack_error``
and ``webhook_error``; each applies to the next N matching requests, or to all of them
when ``times`` is None.
"""

from __future__ import annotations

import itertools
import json
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

BOT_TOKEN = "xoxb-standin-token"
WEBHOOK_PATH = "/services/T0STANDIN/B0STANDIN/standinwebhooksecret"

MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_HEADER_TEXT = 150
MAX_MESSAGE_TEXT = 40_000
# Not in Slack's reference, but observed: around 13,000 characters of block text in one
# message Slack answers msg_blocks_too_long (slackapi/bolt-js#2509).
MAX_BLOCKS_TOTAL_TEXT = 13_000

DEFAULT_CHANNELS = {
    "general": "C0GENERAL1",
    "renewals": "C0RENEWALS",
    "seat-alerts": "C0SEATALRT",
    "managers": "C0MANAGERS",
    "acme-licences": "C0ACMELICS",
}


@dataclass
class RecordedRequest:
    """One request as the stand-in received it."""

    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any] | None
    raw: bytes

    @property
    def api_method(self) -> str | None:
        """``chat.postMessage`` for ``/api/chat.postMessage``; None for other paths."""
        if not self.path.startswith("/api/"):
            return None
        return self.path.removeprefix("/api/")

    @property
    def authorization(self) -> str | None:
        return self.headers.get("Authorization")


@dataclass
class Fault:
    """How to answer the next matching requests instead of answering normally."""

    status: int = 200
    error: str | None = None
    retry_after: int | None = None
    drop: bool = False
    times: int | None = 1
    only: str | None = None

    def matches(self, path: str) -> bool:
        if self.times is not None and self.times <= 0:
            return False
        return self.only is None or self.only in path


@dataclass
class Channel:
    id: str
    name: str
    is_member: bool = True
    is_private: bool = False


@dataclass
class PostedMessage:
    """A message the stand-in accepted, as Slack would store it."""

    channel: str
    ts: str
    text: str | None
    blocks: list[dict[str, Any]] | None
    thread_ts: str | None = None
    via: str = "chat.postMessage"


@dataclass
class Upload:
    file_id: str
    filename: str
    length: int
    data: bytes | None = None
    completed: dict[str, Any] = field(default_factory=dict)


class SlackStandIn:
    """The stand-in server; use as a context manager or call start() and stop()."""

    def __init__(
        self,
        channels: dict[str, str] | None = None,
        *,
        token: str = BOT_TOKEN,
        not_member: set[str] | None = None,
        page_size: int = 2,
    ) -> None:
        self.token = token
        self.page_size = page_size
        self.channels = [
            Channel(id=cid, name=name, is_member=name not in (not_member or set()))
            for name, cid in (channels or DEFAULT_CHANNELS).items()
        ]
        self.requests: list[RecordedRequest] = []
        self.messages: list[PostedMessage] = []
        self.uploads: dict[str, Upload] = {}
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self._ts = itertools.count(1)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------

    def start(self) -> SlackStandIn:
        handler = type("Handler", (_Handler,), {"standin": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            # A short poll interval keeps stop() quick: it waits for one poll to end.
            target=self._server.serve_forever,
            args=(0.02,),
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        self._server = None

    def __enter__(self) -> SlackStandIn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server is not None, "the stand-in is not started"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def api_url(self) -> str:
        """What WebClient takes as base_url (it must end with a slash)."""
        return f"{self.url}/api/"

    @property
    def webhook_url(self) -> str:
        return f"{self.url}{WEBHOOK_PATH}"

    # -- switches --------------------------------------------------------------------

    def rate_limit(self, times: int | None = 1, *, retry_after: int = 1, only=None) -> None:
        """429 with Retry-After, the way Slack throttles a method or a webhook."""
        self._add(Fault(429, "ratelimited", retry_after=retry_after, times=times, only=only))

    def server_error(self, times: int | None = 1, *, status: int = 500, only=None) -> None:
        self._add(Fault(status, times=times, only=only))

    def drop_connection(self, times: int | None = 1, *, only=None) -> None:
        """Close the socket after reading the request, without answering."""
        self._add(Fault(drop=True, times=times, only=only))

    def slack_error(
        self, error: str, times: int | None = 1, *, status: int = 200, only=None
    ) -> None:
        """An ``{"ok": false, "error": error}`` answer; Slack sends most of them with 200."""
        self._add(Fault(status, error, times=times, only=only))

    def webhook_error(self, error: str = "no_service", status: int = 404, times=None) -> None:
        """The webhook's plain-text error; by default for good, as for a revoked webhook."""
        self._add(Fault(status, error, times=times, only=WEBHOOK_PATH))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def _add(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def _take_fault(self, path: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.matches(path):
                    if fault.times is not None:
                        fault.times -= 1
                    return fault
        return None

    # -- what tests read -------------------------------------------------------------

    def calls(self, api_method: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.api_method == api_method]

    def webhook_calls(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path == WEBHOOK_PATH]

    def find_channel(self, name_or_id: str) -> Channel | None:
        wanted = name_or_id.removeprefix("#")
        for channel in self.channels:
            if wanted in (channel.id, channel.name):
                return channel
        return None

    def next_ts(self) -> str:
        return f"{1_700_000_000 + next(self._ts)}.000100"


def block_limit_error(blocks: Any, text: Any) -> str | None:
    """The error Slack gives a message that breaks its limits, or None when it is fine."""
    if text is not None and len(str(text)) > MAX_MESSAGE_TEXT:
        return "msg_too_long"
    if blocks is None:
        return None if text else "no_text"
    if isinstance(blocks, str):
        try:
            blocks = json.loads(blocks)
        except json.JSONDecodeError:
            return "invalid_blocks_format"
    if not isinstance(blocks, list) or len(blocks) > MAX_BLOCKS:
        return "invalid_blocks"

    total = 0
    for block in blocks:
        size = _block_text_size(block)
        if size is None:
            return "invalid_blocks"
        total += size
    if total > MAX_BLOCKS_TOTAL_TEXT:
        return "msg_blocks_too_long"
    return None


def _block_text_size(block: Any) -> int | None:
    """Characters of text in one block, or None when Slack would reject the block."""
    if not isinstance(block, dict) or "type" not in block:
        return None
    kind = block["type"]
    if kind == "section":
        text = (block.get("text") or {}).get("text", "")
        fields = [f.get("text", "") for f in block.get("fields", [])]
        if not text and not fields:
            return None
        if len(text) > MAX_SECTION_TEXT or len(fields) > 10:
            return None
        if any(len(f) > 2000 for f in fields):
            return None
        return len(text) + sum(map(len, fields))
    if kind == "header":
        text = (block.get("text") or {}).get("text", "")
        return len(text) if 0 < len(text) <= MAX_HEADER_TEXT else None
    if kind == "context":
        elements = block.get("elements", [])
        if not 0 < len(elements) <= 10:
            return None
        return sum(len(e.get("text", "")) for e in elements)
    if kind in ("divider", "image", "actions", "rich_text"):
        return 0
    return None


class _Handler(BaseHTTPRequestHandler):
    standin: SlackStandIn
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        # The test output is the place for assertions, not for an access log.
        pass

    def do_GET(self) -> None:
        self.do_POST()

    def do_POST(self) -> None:
        request = self._record()
        fault = self.standin._take_fault(request.path)
        if fault is not None:
            self._answer_fault(request, fault)
            return

        if request.path == WEBHOOK_PATH:
            self._webhook(request)
        elif request.path.startswith("/upload/"):
            self._upload(request)
        elif request.api_method is not None:
            self._api(request)
        else:
            self._send(404, b"not found", "text/plain")

    # -- reading ---------------------------------------------------------------------

    def _record(self) -> RecordedRequest:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        split = urlsplit(self.path)
        request = RecordedRequest(
            method=self.command,
            path=split.path,
            headers=dict(self.headers.items()),
            body=_parse_body(split.path, self.headers.get("Content-Type", ""), raw, split.query),
            raw=raw,
        )
        with self.standin._lock:
            self.standin.requests.append(request)
        return request

    # -- answering -------------------------------------------------------------------

    def _send(self, status: int, body: bytes, content_type: str, headers=None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _json(self, payload: dict[str, Any], status: int = 200, headers=None) -> None:
        body = json.dumps(payload).encode()
        self._send(status, body, "application/json; charset=utf-8", headers)

    def _text(self, text: str, status: int = 200, headers=None) -> None:
        self._send(status, text.encode(), "text/plain; charset=utf-8", headers)

    def _answer_fault(self, request: RecordedRequest, fault: Fault) -> None:
        if fault.drop:
            # A peer that vanishes mid-request: the client sees RemoteDisconnected.
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return

        headers = {}
        if fault.retry_after is not None:
            headers["Retry-After"] = str(fault.retry_after)
        if fault.error is None:
            page = f"<html><body>{fault.status} upstream error</body></html>"
            self._send(fault.status, page.encode(), "text/html", headers)
        elif request.path == WEBHOOK_PATH:
            self._text(fault.error, fault.status, headers)
        else:
            self._json({"ok": False, "error": fault.error}, fault.status, headers)

    def _webhook(self, request: RecordedRequest) -> None:
        body = request.body
        if not isinstance(body, dict):
            self._text("invalid_payload", 400)
            return
        if not body.get("text") and not body.get("blocks"):
            self._text("missing_text_or_fallback_or_attachments", 400)
            return
        error = block_limit_error(body.get("blocks"), body.get("text"))
        if error:
            self._text(error, 400)
            return

        standin = self.standin
        message = PostedMessage(
            channel="webhook",
            ts=standin.next_ts(),
            text=body.get("text"),
            blocks=body.get("blocks"),
            via="webhook",
        )
        with standin._lock:
            standin.messages.append(message)
        self._text("ok")

    def _upload(self, request: RecordedRequest) -> None:
        file_id = request.path.rsplit("/", 1)[-1]
        upload = self.standin.uploads.get(file_id)
        if upload is None:
            self._text("upload url not found", 404)
            return
        upload.data = request.raw
        # Slack's upload endpoint answers a bare 200 "OK - <bytes>".
        self._text(f"OK - {len(request.raw)}")

    def _api(self, request: RecordedRequest) -> None:
        auth = request.authorization
        if not auth:
            self._json({"ok": False, "error": "not_authed"})
            return
        if auth != f"Bearer {self.standin.token}":
            self._json({"ok": False, "error": "invalid_auth"})
            return

        method = request.api_method
        answer = getattr(self, "_api_" + method.replace(".", "_"), None)
        if answer is None:
            self._json({"ok": False, "error": "unknown_method"}, 404)
            return
        answer(request.body or {})

    def _api_auth_test(self, body: dict[str, Any]) -> None:
        self._json(
            {
                "ok": True,
                "url": "https://standin.slack.com/",
                "team": "Stand-in",
                "user": "seatbot",
                "team_id": "T0STANDIN",
                "user_id": "U0SEATBOT",
                "bot_id": "B0SEATBOT",
            }
        )

    def _api_chat_postMessage(self, body: dict[str, Any]) -> None:
        channel = self.standin.find_channel(str(body.get("channel", "")))
        if channel is None:
            self._json({"ok": False, "error": "channel_not_found"})
            return
        if not channel.is_member:
            self._json({"ok": False, "error": "not_in_channel"})
            return

        blocks = body.get("blocks")
        if isinstance(blocks, str):
            blocks = json.loads(blocks)
        error = block_limit_error(blocks, body.get("text"))
        if error:
            self._json({"ok": False, "error": error, "errors": [f"{error} (stand-in)"]})
            return

        standin = self.standin
        message = PostedMessage(
            channel=channel.id,
            ts=standin.next_ts(),
            text=body.get("text"),
            blocks=blocks,
            thread_ts=body.get("thread_ts"),
        )
        with standin._lock:
            standin.messages.append(message)
        stored = {
            "type": "message",
            "user": "U0SEATBOT",
            "bot_id": "B0SEATBOT",
            "text": message.text,
            "ts": message.ts,
        }
        if blocks is not None:
            stored["blocks"] = blocks
        if message.thread_ts:
            stored["thread_ts"] = message.thread_ts
        self._json({"ok": True, "channel": channel.id, "ts": message.ts, "message": stored})

    def _api_conversations_list(self, body: dict[str, Any]) -> None:
        channels = self.standin.channels
        start = int(body.get("cursor") or 0)
        limit = min(int(body.get("limit") or self.standin.page_size), self.standin.page_size)
        page = channels[start : start + limit]
        next_cursor = str(start + limit) if start + limit < len(channels) else ""
        self._json(
            {
                "ok": True,
                "channels": [
                    {
                        "id": c.id,
                        "name": c.name,
                        "is_channel": True,
                        "is_private": c.is_private,
                        "is_member": c.is_member,
                        "is_archived": False,
                    }
                    for c in page
                ],
                "response_metadata": {"next_cursor": next_cursor},
            }
        )

    def _api_files_getUploadURLExternal(self, body: dict[str, Any]) -> None:
        if not body.get("filename") or not str(body.get("length", "")).isdigit():
            self._json({"ok": False, "error": "invalid_arguments"})
            return
        standin = self.standin
        file_id = f"F0{len(standin.uploads) + 1:08d}"
        standin.uploads[file_id] = Upload(file_id, body["filename"], int(body["length"]))
        self._json(
            {
                "ok": True,
                "upload_url": f"{standin.url}/upload/v1/{file_id}",
                "file_id": file_id,
            }
        )

    def _api_files_completeUploadExternal(self, body: dict[str, Any]) -> None:
        files = json.loads(body.get("files") or "[]")
        standin = self.standin
        known = [standin.uploads.get(f.get("id", "")) for f in files]
        if not files or any(u is None or u.data is None for u in known):
            self._json({"ok": False, "error": "file_not_found"})
            return

        channel_id = body.get("channel_id")
        if channel_id:
            channel = standin.find_channel(channel_id)
            # Uploads want an id: a name in channel_id is as unknown to Slack as a typo.
            if channel is None or channel.id != channel_id:
                self._json({"ok": False, "error": "channel_not_found"})
                return
            if not channel.is_member:
                self._json({"ok": False, "error": "not_in_channel"})
                return

        answered = []
        for f, upload in zip(files, known, strict=True):
            upload.completed = {
                "title": f.get("title"),
                "channel_id": channel_id,
                "initial_comment": body.get("initial_comment"),
                "thread_ts": body.get("thread_ts"),
            }
            answered.append({"id": upload.file_id, "title": f.get("title") or upload.filename})
        self._json({"ok": True, "files": answered})


def _parse_body(path: str, content_type: str, raw: bytes, query: str) -> dict[str, Any] | None:
    """JSON or form fields merged with the query string; None for raw uploads."""
    if path.startswith("/upload/"):
        return None
    fields: dict[str, Any] = {k: v[-1] for k, v in parse_qs(query).items()}
    if "json" in content_type:
        try:
            parsed = json.loads(raw or b"null")
        except json.JSONDecodeError:
            return None
        if not isinstance(parsed, dict):
            return None
        return {**fields, **parsed}
    if raw:
        fields.update({k: v[-1] for k, v in parse_qs(raw.decode("utf-8")).items()})
    return fields

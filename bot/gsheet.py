"""The register read from a Google Sheet, through gspread and a service account.

One poll costs one values:batchGet for every tab it reads (plus one spreadsheets.get on
the first poll, whose tab list is kept), because Google allows 60 requests a minute per
user and a batch counts as one. Values come UNFORMATTED_VALUE with SERIAL_NUMBER dates,
so numbers stay numbers and dates arrive as day counts from 1899-12-30, and the raw
grid is handed on as it is: gspread's get_all_records is avoided on purpose because it
rewrites cells ("007" becomes 7).

Every request has a timeout and a bounded retry (urllib3's Retry on the session's
transport, with full jitter) for 429, 5xx and dropped connections. gspread's own
BackOffHTTPClient would retry a 429 forever, which would stall the schedule.
"""

from __future__ import annotations

import json
import logging
import os
import random
import re
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

import google.auth.exceptions
import requests
from google.auth.credentials import Credentials
from google.auth.transport.requests import AuthorizedSession
from google.oauth2 import service_account
from gspread.exceptions import APIError, NoValidUrlKeyFound
from gspread.http_client import HTTPClient
from gspread.utils import extract_id_from_url
from requests.adapters import HTTPAdapter
from urllib3.util import Retry

from bot.source import MissingTabError, RawTab, RegisterError

logger = logging.getLogger(__name__)

SHEETS_API = "https://sheets.googleapis.com/"
READ_ONLY_SCOPE = "https://www.googleapis.com/auth/spreadsheets.readonly"
READ_WRITE_SCOPE = "https://www.googleapis.com/auth/spreadsheets"
DEFAULT_CREDENTIALS_ENV = "GOOGLE_APPLICATION_CREDENTIALS"

# 429 is Google's quota answer (60 requests a minute per user); the 5xx are its own
# hiccups. Both pass on their own, so they are worth another try within the poll.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
# No single wait longer than this: a longer one would run into the next poll.
BACKOFF_MAX = 30.0

_KEY = re.compile(r"[A-Za-z0-9_-]+")
T = TypeVar("T")


def spreadsheet_key(spreadsheet: str) -> str:
    """The key of a sheet given as its key or as the address people copy from the browser."""
    text = spreadsheet.strip()
    if "/" in text or "?" in text:
        try:
            text = extract_id_from_url(text)
        except NoValidUrlKeyFound:
            raise RegisterError(
                f"{spreadsheet!r} is not a Google Sheets address: expected one like "
                "https://docs.google.com/spreadsheets/d/<key>/edit, or the key alone.",
                retryable=False,
            ) from None
    if not _KEY.fullmatch(text):
        raise RegisterError(
            f"{spreadsheet!r} is not a Google Sheets key: a key holds only letters, "
            "digits, '-' and '_' (it is the part of the address between /d/ and /edit).",
            retryable=False,
        )
    return text


def service_account_email(key_file: str | Path) -> str:
    """The service account's address (client_email) from its key file.

    Only that field is read out; nothing else of the file reaches a message or a log.
    """
    path = Path(key_file)
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RegisterError(
            f"The service account key file {path} does not exist.", retryable=False
        ) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        raise RegisterError(
            f"The service account key file {path} could not be read as JSON.",
            retryable=False,
        ) from None
    email = info.get("client_email") if isinstance(info, dict) else None
    if not isinstance(email, str) or not email:
        raise RegisterError(
            f"{path} has no client_email: it is not a service account key file "
            "(create one under IAM > Service accounts > Keys).",
            retryable=False,
        )
    return email


class FullJitterRetry(Retry):
    """urllib3's Retry, waiting a random time up to the exponential ceiling.

    Full jitter keeps several bots that hit the quota together from retrying in step.
    """

    def get_backoff_time(self) -> float:
        failures = len(self.history)
        if failures == 0:
            return 0.0
        ceiling = min(self.backoff_max, self.backoff_factor * 2 ** (failures - 1))
        return random.uniform(0, ceiling)

    def get_retry_after(self, response: Any) -> float | None:
        # A Retry-After longer than our own ceiling would hold the poll too long.
        wait = super().get_retry_after(response)
        return None if wait is None else min(wait, self.backoff_max)


class GoogleSheetsSource:
    """Reads the register's tabs from one Google Sheet (the ``Source`` interface).

    ``spreadsheet``: the sheet's key, or its address as pasted from the browser.
    ``credentials_env``: the environment variable holding the path of the service
    account's JSON key file. ``write``: ask for write access (for write-back); read-only
    otherwise. ``timeout``: seconds for each request. ``attempts``: tries per request
    before the poll gives up. ``backoff``: base seconds of the exponential wait between
    tries. ``credentials`` and ``adapter`` replace the key file's credentials and the
    HTTP transport (tests route the transport to a local stand-in).
    """

    def __init__(
        self,
        spreadsheet: str,
        *,
        credentials_env: str = DEFAULT_CREDENTIALS_ENV,
        write: bool = False,
        timeout: float = 30.0,
        attempts: int = 5,
        backoff: float = 1.0,
        credentials: Credentials | None = None,
        adapter: HTTPAdapter | None = None,
    ) -> None:
        if attempts < 1:
            raise ValueError(f"attempts must be at least 1, not {attempts}")
        if timeout <= 0:
            raise ValueError(f"timeout must be a positive number of seconds, not {timeout}")

        self.key = spreadsheet_key(spreadsheet)
        self.write_enabled = write
        self.attempts = attempts
        self.timeout = timeout
        self.scope = READ_WRITE_SCOPE if write else READ_ONLY_SCOPE

        key_file = os.environ.get(credentials_env, "").strip()
        if credentials is None:
            if not key_file:
                raise RegisterError(
                    f"{credentials_env} is not set: set it to the path of the service "
                    "account's JSON key file to read the register from Google Sheets.",
                    retryable=False,
                )
            self.service_account = service_account_email(key_file)
            credentials = self._load_credentials(key_file)
        else:
            self.service_account = (
                service_account_email(key_file)
                if key_file
                else getattr(credentials, "service_account_email", None)
            )

        session = AuthorizedSession(credentials, refresh_timeout=timeout)
        transport = adapter or HTTPAdapter()
        transport.max_retries = FullJitterRetry(
            total=attempts - 1,
            backoff_factor=backoff,
            backoff_max=BACKOFF_MAX,
            status_forcelist=RETRY_STATUSES,
            # Reads are GETs; POST and PUT carry RAW writes, which land the same way twice.
            allowed_methods=frozenset({"GET", "POST", "PUT"}),
            respect_retry_after_header=True,
            # The last 429 or 503 reaches gspread, whose APIError carries Google's message.
            raise_on_status=False,
        )
        session.mount(SHEETS_API, transport)
        self._http = HTTPClient(auth=credentials, session=session)
        self._http.set_timeout(timeout)

        self._title: str | None = None
        self._tabs: list[str] | None = None

    @classmethod
    def from_config(cls, config: Any) -> GoogleSheetsSource:
        """The source a seatbot config names; a missing or unusable key file is a
        configuration error (exit 2), not an outage."""
        from bot.config import ConfigError

        register = config.register
        try:
            return cls(
                register.spreadsheet,
                credentials_env=register.credentials_env,
                write=config.writeback.enabled,
                timeout=register.timeout_seconds,
                attempts=register.attempts,
                backoff=register.backoff_seconds,
            )
        except (RegisterError, ValueError) as error:
            raise ConfigError(str(error)) from None

    def tab_titles(self) -> list[str]:
        """The sheet's tab titles, read once and kept."""
        return list(self._tab_titles())

    def _load_credentials(self, key_file: str) -> Credentials:
        try:
            return service_account.Credentials.from_service_account_file(
                key_file, scopes=[self.scope]
            )
        except (ValueError, KeyError) as exc:
            # google-auth names the missing fields; it never echoes the key itself.
            raise RegisterError(
                f"{key_file} is not a usable service account key: {exc}", retryable=False
            ) from None

    @property
    def where(self) -> str:
        if self._title:
            return f"Google Sheet {self._title!r}"
        return f"Google Sheet {self.key}"

    # reading

    def read(self, tabs: list[str]) -> dict[str, RawTab]:
        if not tabs:
            return {}
        started = time.monotonic()
        self._check_tabs(tabs)

        ranges = [quote_tab(tab) for tab in tabs]
        params = {
            "valueRenderOption": "UNFORMATTED_VALUE",
            "dateTimeRenderOption": "SERIAL_NUMBER",
            "majorDimension": "ROWS",
        }
        try:
            answer = self._call(
                "Reading the register from",
                lambda: self._http.values_batch_get(self.key, ranges, params),
            )
        except _RangeNotFound:
            # A tab was renamed or deleted since the tab list was read.
            self._tabs = None
            self._check_tabs(tabs)
            raise

        value_ranges = answer.get("valueRanges", [])
        if len(value_ranges) != len(tabs):
            raise RegisterError(
                f"{self.where} answered {len(value_ranges)} ranges for {len(tabs)} tabs; "
                "the next poll will try again.",
                retryable=True,
            )
        # A tab with no data comes back without a "values" key at all.
        read = {
            tab: RawTab(tab, value_range.get("values", []))
            for tab, value_range in zip(tabs, value_ranges, strict=True)
        }
        logger.debug(
            "read %s: %s in %.2f s",
            self.where,
            ", ".join(f"{tab} {len(raw.grid)} rows" for tab, raw in read.items()),
            time.monotonic() - started,
        )
        return read

    def _check_tabs(self, tabs: Iterable[str]) -> None:
        fresh = self._tabs is None
        known = self._tab_titles()
        missing = [tab for tab in tabs if tab not in known]
        if missing and not fresh:
            # The kept list may be stale (a tab added since); read it again once.
            known = self._tab_titles(refresh=True)
            missing = [tab for tab in tabs if tab not in known]
        if missing:
            raise MissingTabError(missing[0], known, self.where)

    def _tab_titles(self, *, refresh: bool = False) -> list[str]:
        if self._tabs is None or refresh:
            metadata = self._call(
                "Reading the tab list of", lambda: self._http.fetch_sheet_metadata(self.key)
            )
            self._title = metadata.get("properties", {}).get("title")
            self._tabs = [sheet["properties"]["title"] for sheet in metadata.get("sheets", [])]
        return self._tabs

    # writing (write-back to the bot's own tabs)

    def write(self, batch: dict[str, list[list[Any]]]) -> int:
        """Write every range in one values:batchUpdate; returns the cells updated.

        Keys are A1 ranges ("'Findings'!A1:F20") or bare tab names (written from A1).
        Values go in RAW, so a cell text that starts with "=" stays text and is never
        run as a formula. A None leaves its cell as it is; cells beyond a shorter grid
        are not cleared (pad with "" to blank them).
        """
        self._require_write("write to")
        if not batch:
            return 0
        data = [
            {"range": name if "!" in name else f"{quote_tab(name)}!A1", "values": values}
            for name, values in batch.items()
        ]
        body = {"valueInputOption": "RAW", "data": data}
        answer = self._call(
            "Writing back to", lambda: self._http.values_batch_update(self.key, body)
        )
        return int(answer.get("totalUpdatedCells", 0))

    def add_tabs(self, names: Iterable[str]) -> list[str]:
        """Add the named tabs that the sheet lacks, in one batchUpdate; returns those added."""
        self._require_write("add tabs to")
        wanted = list(dict.fromkeys(names))
        missing = [name for name in wanted if name not in self._tab_titles(refresh=True)]
        if not missing:
            return []
        body = {"requests": [{"addSheet": {"properties": {"title": name}}} for name in missing]}
        try:
            self._call("Adding tabs to", lambda: self._http.batch_update(self.key, body))
        except RegisterError:
            # A retried addSheet may have landed the first time; if the tabs are there
            # now, the job is done.
            if all(name in self._tab_titles(refresh=True) for name in missing):
                return missing
            raise
        self._tab_titles(refresh=True)
        logger.info("added tabs %s to %s", ", ".join(missing), self.where)
        return missing

    def _require_write(self, action: str) -> None:
        if not self.write_enabled:
            raise RegisterError(
                f"Cannot {action} {self.where}: write-back is off, so the sheet was "
                "opened read-only. Switch write-back on in the config.",
                retryable=False,
            )

    # errors

    def _call(self, action: str, request: Callable[[], T]) -> T:
        """Run one API request; whatever goes wrong becomes a RegisterError.

        ``action`` begins the message: "Reading the register from" + the sheet.
        """
        try:
            return request()
        except APIError as exc:
            raise self._api_error(exc, action) from exc
        except requests.exceptions.JSONDecodeError as exc:
            raise RegisterError(
                f"{action} {self.where} failed: Google answered with something that is "
                "not JSON (a proxy or an outage page?). The next poll will try again.",
                retryable=True,
            ) from exc
        except (
            requests.exceptions.RequestException,
            google.auth.exceptions.TransportError,
        ) as exc:
            raise RegisterError(
                f"{action} {self.where} failed: {_transport_failure(exc, self.timeout)} "
                f"after {self._attempts_text()}. The next poll will try again.",
                retryable=True,
            ) from exc
        except google.auth.exceptions.RefreshError as exc:
            raise RegisterError(
                f"{action} {self.where} failed: Google refused to sign in the service "
                f"account {self.service_account or ''} ({exc}). Check that its key is "
                "still valid.",
                retryable=bool(getattr(exc, "retryable", False)),
            ) from exc

    def _api_error(self, exc: APIError, action: str) -> RegisterError:
        status = exc.response.status_code
        message = str(exc.error.get("message", "")).strip()
        said = f" (Google said: {message})" if message else ""
        if status == 403:
            account = self.service_account or "the service account (client_email in its key file)"
            access = "Editor access, for write-back" if self.write_enabled else "Viewer is enough"
            return RegisterError(
                f"The service account {account} may not open {self.where}. Share the "
                f"sheet with {account} ({access}).{said}",
                retryable=False,
            )
        if status == 404:
            return RegisterError(
                f"There is no Google Sheet with the key {self.key!r}: check the key or "
                "address in the config (the key is the part of the address between /d/ "
                "and /edit).",
                retryable=False,
            )
        if status == 400 and message.startswith("Unable to parse range"):
            return _RangeNotFound(f"{action} {self.where} failed.{said}", retryable=False)
        if status == 401:
            return RegisterError(
                f"{action} {self.where} failed: Google did not accept the service "
                f"account's credentials.{said}",
                retryable=False,
            )
        if status in RETRY_STATUSES:
            return RegisterError(
                f"{action} {self.where} failed: Google answered {status} "
                f"{_status_name(exc)} on all {self._attempts_text()}.{said} "
                "The next poll will try again.",
                retryable=True,
            )
        return RegisterError(
            f"{action} {self.where} failed: Google answered {status} {_status_name(exc)}.{said}",
            retryable=status >= 500,
        )

    def _attempts_text(self) -> str:
        return "1 attempt" if self.attempts == 1 else f"{self.attempts} attempts"


class _RangeNotFound(RegisterError):
    """A batchGet range named a tab the sheet does not have (any more)."""


def quote_tab(tab: str) -> str:
    """A tab name as an A1 range of the whole tab: 'It''s' for It's."""
    return "'" + tab.replace("'", "''") + "'"


def _status_name(exc: APIError) -> str:
    status = exc.error.get("status")
    if isinstance(status, str) and status.isupper():
        return status
    return exc.response.reason or ""


def _transport_failure(exc: Exception, timeout: float) -> str:
    text = str(exc)
    if isinstance(exc, requests.exceptions.Timeout) or "timed out" in text.lower():
        return f"no answer within the {timeout:g} s timeout"
    return "the connection failed"

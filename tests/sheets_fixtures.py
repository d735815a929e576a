"""pytest fixtures for the Google Sheets stand-in, loaded as a plugin.

``tests/conftest.py`` loads them with ``pytest_plugins = ["sheets_fixtures"]``.

- ``sheets_standin``: the running stand-in, emptied before each test.
- ``service_account_key``: a service-account key file in tmp_path (a real RSA key whose
  token_uri is the stand-in), with GOOGLE_APPLICATION_CREDENTIALS pointing at it.
- ``sheets_source``: builds a GoogleSheetsSource that reaches the stand-in.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sheets_standin import SheetsStandin

from bot.gsheet import GoogleSheetsSource

SERVICE_ACCOUNT_EMAIL = "seatbot-reader@seatbot-tests.iam.gserviceaccount.com"


@dataclass(frozen=True)
class ServiceAccountKey:
    path: Path
    email: str


@pytest.fixture(scope="session")
def _sheets_standin_server() -> Iterator[SheetsStandin]:
    with SheetsStandin() as standin:
        yield standin


@pytest.fixture
def sheets_standin(_sheets_standin_server: SheetsStandin) -> SheetsStandin:
    _sheets_standin_server.reset()
    return _sheets_standin_server


@pytest.fixture(scope="session")
def _private_key_pem() -> str:
    # google-auth signs the token request, so the key must be a real RSA key.
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


@pytest.fixture
def service_account_key(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    sheets_standin: SheetsStandin,
    _private_key_pem: str,
) -> ServiceAccountKey:
    path = tmp_path / "service-account.json"
    path.write_text(
        json.dumps(
            {
                "type": "service_account",
                "project_id": "seatbot-tests",
                "private_key_id": "0123456789abcdef",
                "private_key": _private_key_pem,
                "client_email": SERVICE_ACCOUNT_EMAIL,
                "client_id": "100000000000000000000",
                "token_uri": f"{sheets_standin.url}/token",
            }
        )
    )
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(path))
    return ServiceAccountKey(path, SERVICE_ACCOUNT_EMAIL)


@pytest.fixture
def sheets_source(
    sheets_standin: SheetsStandin, service_account_key: ServiceAccountKey
) -> Callable[..., GoogleSheetsSource]:
    """``sheets_source(key_or_url, **options)``: a source that talks to the stand-in.

    It signs in with the key file, as in production; tests pass ``attempts``,
    ``backoff`` and ``timeout`` as they need (backoff defaults to a hundredth of a
    second here so retry tests stay fast).
    """

    def build(spreadsheet: str, **options: Any) -> GoogleSheetsSource:
        options.setdefault("backoff", 0.01)
        return GoogleSheetsSource(spreadsheet, adapter=sheets_standin.adapter(), **options)

    return build

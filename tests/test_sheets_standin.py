"""The stand-in answers what Google answered.

Each cassette in tests/cassettes is a real exchange with the Sheets v4 API, recorded by
gspread's own test suite (MIT, see tests/cassettes/LICENSE.txt). Its requests are sent
again, in order, to the stand-in over HTTP, and every answer must equal the recorded
one, status and JSON, once the spreadsheet and sheet ids are mapped to the stand-in's.
Drive calls (create and delete a spreadsheet) become setup calls on the stand-in.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import requests
from sheets_standin import SheetsStandin

CASSETTES = Path(__file__).parent / "cassettes"
DRIVE_FILES = "https://www.googleapis.com/drive/v3/files"

# The recording account asked for a sheet it had no access to; the stand-in is told so.
UNSHARED = {
    "ClientTest.test_access_private_spreadsheet": ["1jIKzPs8LsiZZdLdeMEP-5ZIHw6RkjiOmj1LrJN706Yc"],
}


class Replay:
    """Sends a cassette's requests to the stand-in, mapping recorded ids to its own."""

    def __init__(self, standin: SheetsStandin) -> None:
        self.standin = standin
        self.session = requests.Session()
        self.session.mount("https://sheets.googleapis.com/", standin.adapter())
        self.keys: dict[str, str] = {}  # recorded spreadsheet id -> stand-in key
        self.sheet_ids: dict[int, int] = {}  # recorded sheetId -> stand-in sheetId

    def drive(self, method: str, uri: str, request: dict, response: dict) -> None:
        if method == "POST":
            recorded_id = json.loads(response["body"]["string"])["id"]
            title = json.loads(request["body"])["name"]
            self.keys[recorded_id] = self.standin.create_spreadsheet(title)
        elif method == "DELETE":
            recorded_id = uri.removeprefix(DRIVE_FILES + "/").split("?")[0]
            self.standin.delete_spreadsheet(self.keys[recorded_id])

    def send(self, method: str, uri: str, body: str | None) -> tuple[int, Any]:
        for recorded_id, key in self.keys.items():
            uri = uri.replace(recorded_id, key)
        payload = self._with_sheet_ids(json.loads(body)) if body else None
        response = self.session.request(method, uri, json=payload, timeout=5)
        text = response.text
        for recorded_id, key in self.keys.items():
            text = text.replace(key, recorded_id)
        return response.status_code, json.loads(text)

    def align_sheet_ids(self, recorded: Any, answered: Any) -> Any:
        """The answer with the stand-in's new sheet ids written as the recorded ones."""
        if isinstance(recorded, dict) and isinstance(answered, dict):
            aligned = {}
            for name, value in answered.items():
                if name == "sheetId" and isinstance(recorded.get(name), int):
                    self.sheet_ids.setdefault(recorded[name], value)
                    if self.sheet_ids[recorded[name]] == value:
                        value = recorded[name]
                aligned[name] = self.align_sheet_ids(recorded.get(name), value)
            return aligned
        if isinstance(recorded, list) and isinstance(answered, list):
            return [
                self.align_sheet_ids(recorded[i] if i < len(recorded) else None, value)
                for i, value in enumerate(answered)
            ]
        return answered

    def _with_sheet_ids(self, payload: Any) -> Any:
        if isinstance(payload, dict):
            return {
                name: self.sheet_ids.get(value, value)
                if name == "sheetId"
                else self._with_sheet_ids(value)
                for name, value in payload.items()
            }
        if isinstance(payload, list):
            return [self._with_sheet_ids(value) for value in payload]
        return payload


def cassette_names() -> list[str]:
    return sorted(path.stem for path in CASSETTES.glob("*.json"))


@pytest.mark.parametrize("cassette", cassette_names())
def test_standin_answers_every_recorded_sheets_request_as_google_did(
    cassette: str, sheets_standin: SheetsStandin
) -> None:
    interactions = json.loads((CASSETTES / f"{cassette}.json").read_text())["interactions"]
    for key in UNSHARED.get(cassette, []):
        sheets_standin.unshare(key)
    replay = Replay(sheets_standin)

    compared = 0
    for number, interaction in enumerate(interactions):
        request, response = interaction["request"], interaction["response"]
        method, uri = request["method"], request["uri"]
        if uri.startswith(DRIVE_FILES):
            replay.drive(method, uri, request, response)
            continue

        status, answered = replay.send(method, uri, request["body"])
        recorded = json.loads(response["body"]["string"])
        answered = replay.align_sheet_ids(recorded, answered)
        assert (status, answered) == (response["status"]["code"], recorded), (
            f"interaction {number}: {method} {uri}"
        )
        compared += 1

    assert compared >= 2  # a cassette that replays no Sheets call proves nothing


def test_every_copied_cassette_is_replayed() -> None:
    assert len(cassette_names()) == 17


def test_standin_reads_quoted_and_percent_encoded_tab_names_and_refuses_unknown_ones(
    sheets_standin: SheetsStandin,
) -> None:
    key = sheets_standin.create_spreadsheet(
        "Register", {"My Tab": [["a", "", ""], [], []], "It's": [["x", "y", "z"]]}
    )
    session = requests.Session()
    session.mount("https://sheets.googleapis.com/", sheets_standin.adapter())
    base = f"https://sheets.googleapis.com/v4/spreadsheets/{key}"

    batch = session.get(
        f"{base}/values:batchGet",
        params={"ranges": ["'My Tab'!A1:Z", "'It''s'!A:B", "'My Tab'!C5:D6"]},
        timeout=5,
    ).json()
    single = session.get(f"{base}/values/%27It%27%27s%27%21B1", timeout=5).json()
    unknown = session.get(f"{base}/values:batchGet", params={"ranges": "Nope!A1"}, timeout=5)

    assert batch["valueRanges"] == [
        {"range": "'My Tab'!A1:Z1000", "majorDimension": "ROWS", "values": [["a"]]},
        {"range": "'It''s'!A1:B1000", "majorDimension": "ROWS", "values": [["x", "y"]]},
        {"range": "'My Tab'!C5:D6", "majorDimension": "ROWS"},
    ]
    assert single == {"range": "'It''s'!B1", "majorDimension": "ROWS", "values": [["y"]]}
    assert (unknown.status_code, unknown.json()) == (
        400,
        {
            "error": {
                "code": 400,
                "message": "Unable to parse range: Nope!A1",
                "status": "INVALID_ARGUMENT",
            }
        },
    )

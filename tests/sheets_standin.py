"""A local stand-in for the Google Sheets v4 API, served over real HTTP on 127.0.0.1.

Tests run gspread's own code against it: a ``StandinAdapter`` mounted on a requests
session rewrites https://sheets.googleapis.com to this server, so nothing below the
adapter knows it is not talking to Google. Spreadsheets live in memory, cells keep
their type (text, number, boolean, date as a serial number, formula) and are rendered
the way Google renders them, which ``test_sheets_standin.py`` checks against
recorded exchanges with the real API.

What it answers: spreadsheets.get, spreadsheets.batchUpdate (addSheet, deleteSheet,
updateSheetProperties, updateSpreadsheetProperties), values.get, values.update,
values.append, values.clear, values.batchGet, values.batchUpdate, values.batchClear,
and an OAuth token endpoint at /token so service-account credentials can sign in.
Drive is not served: tests create and delete spreadsheets with setup calls.

Known simplifications: formulas are evaluated once when written and only for plain
arithmetic; number text follows en_US whatever the locale; values:append finds its
"table" with a simple rule that reproduces the recorded cases, not Google's full one.
"""

from __future__ import annotations

import ast
import base64
import contextlib
import datetime as dt
import json
import operator
import random
import re
import secrets
import threading
from collections import Counter
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit, urlunsplit

from requests.adapters import HTTPAdapter

GOOGLE_HOSTS = ("sheets.googleapis.com",)
SERIAL_EPOCH = dt.date(1899, 12, 30)

# What Google puts in a new spreadsheet's properties; spreadsheets.get returns it verbatim.
DEFAULT_FORMAT: dict[str, Any] = {
    "backgroundColor": {"red": 1, "green": 1, "blue": 1},
    "padding": {"top": 2, "right": 3, "bottom": 2, "left": 3},
    "verticalAlignment": "BOTTOM",
    "wrapStrategy": "OVERFLOW_CELL",
    "textFormat": {
        "foregroundColor": {},
        "fontFamily": "arial,sans,sans-serif",
        "fontSize": 10,
        "bold": False,
        "italic": False,
        "strikethrough": False,
        "underline": False,
        "foregroundColorStyle": {"rgbColor": {}},
    },
    "backgroundColorStyle": {"rgbColor": {"red": 1, "green": 1, "blue": 1}},
}

_THEME_COLOURS = [
    ("TEXT", {}),
    ("BACKGROUND", {"red": 1, "green": 1, "blue": 1}),
    ("ACCENT1", {"red": 0.25882354, "green": 0.52156866, "blue": 0.95686275}),
    ("ACCENT2", {"red": 0.91764706, "green": 0.2627451, "blue": 0.20784314}),
    ("ACCENT3", {"red": 0.9843137, "green": 0.7372549, "blue": 0.015686275}),
    ("ACCENT4", {"red": 0.20392157, "green": 0.65882355, "blue": 0.3254902}),
    ("ACCENT5", {"red": 1, "green": 0.42745098, "blue": 0.003921569}),
    ("ACCENT6", {"red": 0.27450982, "green": 0.7411765, "blue": 0.7764706}),
    ("LINK", {"red": 0.06666667, "green": 0.33333334, "blue": 0.8}),
]
DEFAULT_THEME: dict[str, Any] = {
    "primaryFontFamily": "Arial",
    "themeColors": [
        {"colorType": kind, "color": {"rgbColor": rgb}} for kind, rgb in _THEME_COLOURS
    ],
}

_ERROR_STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    502: "UNAVAILABLE",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
_ERROR_MESSAGE = {
    401: "Request had invalid authentication credentials.",
    403: "The caller does not have permission",
    404: "Requested entity was not found.",
    429: (
        "Quota exceeded for quota metric 'Read requests' and limit 'Read requests per "
        "minute per user' of service 'sheets.googleapis.com' for consumer "
        "'project_number:000000000000'."
    ),
    500: "Internal error encountered.",
    502: "Bad gateway.",
    503: "The service is currently unavailable.",
    504: "Deadline exceeded.",
}

NOT_JSON_BODY = "<html><body><h1>502 Bad Gateway</h1>Please try again.</body></html>"


class ApiError(Exception):
    """Answered as Google's error envelope."""

    def __init__(self, code: int, message: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message or _ERROR_MESSAGE.get(code, HTTPStatus(code).phrase)

    def envelope(self) -> dict[str, Any]:
        status = _ERROR_STATUS.get(self.code, "UNKNOWN")
        return {"error": {"code": self.code, "message": self.message, "status": status}}


# --- cells -------------------------------------------------------------------------


@dataclass(frozen=True)
class SerialDate:
    """A date cell: Google keeps it as a day count from 1899-12-30."""

    serial: float

    @classmethod
    def of(cls, day: dt.date) -> SerialDate:
        if isinstance(day, dt.datetime):
            delta = day - dt.datetime(1899, 12, 30, tzinfo=day.tzinfo)
            return cls(delta.total_seconds() / 86400)
        return cls((day - SERIAL_EPOCH).days)

    def text(self) -> str:
        day = SERIAL_EPOCH + dt.timedelta(days=self.serial)
        return day.isoformat()


@dataclass(frozen=True)
class Formula:
    text: str
    value: Any


_SKIP = object()  # a null in written values: Google leaves that cell as it is

_NUMBER_TEXT = re.compile(r"[+-]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?|[+-]?\.\d+")
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_US_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_ARITHMETIC = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
}


def _number(value: float) -> int | float:
    """Google writes whole numbers without a decimal point."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _evaluate(text: str) -> Any:
    def walk(node: ast.AST) -> float:
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
            return node.value
        if isinstance(node, ast.BinOp) and type(node.op) in _ARITHMETIC:
            return _ARITHMETIC[type(node.op)](walk(node.left), walk(node.right))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            value = walk(node.operand)
            return -value if isinstance(node.op, ast.USub) else value
        raise ValueError(text)

    try:
        return _number(walk(ast.parse(text, mode="eval").body))
    except (SyntaxError, ValueError, ZeroDivisionError):
        return "#ERROR!"


def _user_entered(text: str) -> Any:
    """What Google makes of text typed into a cell (valueInputOption USER_ENTERED)."""
    stripped = text.strip()
    if stripped.startswith("="):
        return Formula(stripped, _evaluate(stripped[1:]))
    if _NUMBER_TEXT.fullmatch(stripped):
        return _number(float(stripped.replace(",", "")))
    if stripped.upper() in ("TRUE", "FALSE"):
        return stripped.upper() == "TRUE"
    for pattern, order in ((_ISO_DATE, (0, 1, 2)), (_US_DATE, (2, 0, 1))):
        match = pattern.fullmatch(stripped)
        if match:
            parts = [int(match.group(i + 1)) for i in order]
            try:
                return SerialDate.of(dt.date(*parts))
            except ValueError:
                return text
    return text


def entered_cell(value: Any, input_option: str) -> Any:
    """The stored cell for one written JSON value; None means the cell is emptied."""
    if value is None:
        return _SKIP
    if value == "" and isinstance(value, str):
        return None
    if isinstance(value, bool | int | float):
        return _number(value) if not isinstance(value, bool) else value
    if isinstance(value, str):
        return _user_entered(value) if input_option == "USER_ENTERED" else value
    raise ApiError(400, f"Invalid value at 'data.values' ({type(value).__name__})")


def stored_cell(value: Any) -> Any:
    """The stored cell for a value handed to the stand-in by a test's setup call."""
    if isinstance(value, dt.date):
        return SerialDate.of(value)
    if value == "" or value is None:
        return None
    if isinstance(value, str) and value.startswith("="):
        return Formula(value, _evaluate(value[1:]))
    return value


def _number_text(value: int | float) -> str:
    # Google's automatic number format shows at most ten decimals.
    return str(_number(round(float(value), 10)))


def rendered(cell: Any, value_option: str, date_option: str) -> Any:
    if isinstance(cell, Formula):
        if value_option == "FORMULA":
            return cell.text
        cell = cell.value
    if isinstance(cell, SerialDate):
        if value_option == "FORMATTED_VALUE" or date_option == "FORMATTED_STRING":
            return cell.text()
        return _number(cell.serial)
    if isinstance(cell, bool):
        return ("TRUE" if cell else "FALSE") if value_option == "FORMATTED_VALUE" else cell
    if isinstance(cell, int | float):
        return _number_text(cell) if value_option == "FORMATTED_VALUE" else _number(cell)
    return cell


# --- A1 notation -------------------------------------------------------------------


def column_letters(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def column_index(letters: str) -> int:
    index = 0
    for letter in letters.upper():
        index = index * 26 + ord(letter) - ord("A") + 1
    return index - 1


def cell_name(row: int, col: int) -> str:
    return f"{column_letters(col)}{row + 1}"


def quoted_title(title: str) -> str:
    """A title as Google writes it in a range: bare when that cannot be misread."""
    bare = re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", title)
    looks_like_cell = re.fullmatch(r"[A-Za-z]{1,3}\d+", title) or re.fullmatch(
        r"[Rr]\d*[Cc]\d*", title
    )
    if bare and not looks_like_cell:
        return title
    return "'" + title.replace("'", "''") + "'"


_CELLS = re.compile(r"([A-Za-z]*)(\d*)(?::([A-Za-z]*)(\d*))?")


class RangeError(ValueError):
    pass


def split_range(text: str) -> tuple[str | None, str | None]:
    """('My Tab', 'A1:B2') from "'My Tab'!A1:B2"; (None, text) when no sheet is named."""
    if text.startswith("'"):
        name, index = [], 1
        while index < len(text):
            char = text[index]
            if char == "'" and text[index + 1 : index + 2] == "'":
                name.append("'")
                index += 2
                continue
            if char == "'":
                rest = text[index + 1 :]
                if rest == "":
                    return "".join(name), None
                if rest.startswith("!"):
                    return "".join(name), rest[1:]
                raise RangeError(text)
            name.append(char)
            index += 1
        raise RangeError(text)
    if "!" in text:
        name, cells = text.split("!", 1)
        return name, cells
    return None, text


def parse_cells(cells: str, rows: int, cols: int) -> tuple[int, int, int, int]:
    """(first row, first col, last row, last col), 0-based and inclusive."""
    match = _CELLS.fullmatch(cells)
    if not match or not (match.group(1) or match.group(2)):
        raise RangeError(cells)
    start_letters, start_digits, end_letters, end_digits = match.groups()
    if end_letters is None:
        if not (start_letters and start_digits):
            raise RangeError(cells)
        end_letters, end_digits = start_letters, start_digits
    elif not (end_letters or end_digits):
        raise RangeError(cells)
    row0 = int(start_digits) - 1 if start_digits else 0
    col0 = column_index(start_letters) if start_letters else 0
    row1 = int(end_digits) - 1 if end_digits else rows - 1
    col1 = column_index(end_letters) if end_letters else cols - 1
    if min(row0, row1) < 0:
        raise RangeError(cells)
    return min(row0, row1), min(col0, col1), max(row0, row1), max(col0, col1)


# --- spreadsheets ------------------------------------------------------------------


@dataclass
class Sheet:
    sheet_id: int
    title: str
    rows: int = 1000
    cols: int = 26
    cells: dict[tuple[int, int], Any] = field(default_factory=dict)

    def a1(self, row0: int, col0: int, row1: int, col1: int) -> str:
        name = f"{quoted_title(self.title)}!{cell_name(row0, col0)}"
        if (row0, col0) != (row1, col1):
            name += f":{cell_name(row1, col1)}"
        return name

    def exceeds(self, text: str) -> ApiError:
        return ApiError(
            400,
            f"Range ({text}) exceeds grid limits. Max rows: {self.rows}, max columns: {self.cols}",
        )

    def used_extent(self) -> tuple[int, int]:
        if not self.cells:
            return 0, 0
        return max(r for r, _ in self.cells) + 1, max(c for _, c in self.cells) + 1


@dataclass
class Target:
    """A resolved range: a sheet and the block of cells it names."""

    sheet: Sheet
    row0: int
    col0: int
    row1: int
    col1: int

    @property
    def name(self) -> str:
        return self.sheet.a1(self.row0, self.col0, self.row1, self.col1)


@dataclass
class Spreadsheet:
    key: str
    title: str
    locale: str = "en_US"
    time_zone: str = "Etc/GMT"
    sheets: list[Sheet] = field(default_factory=list)
    shared: bool = True

    def sheet(self, title: str) -> Sheet | None:
        return next((s for s in self.sheets if s.title == title), None)

    def sheet_by_id(self, sheet_id: int) -> Sheet:
        for sheet in self.sheets:
            if sheet.sheet_id == sheet_id:
                return sheet
        raise ApiError(400, f"No grid with id: {sheet_id}")

    def resolve(self, text: str, *, clip: bool = True) -> Target:
        """The cells a range names, as Google reads it ('Unable to parse range' if not)."""
        try:
            title, cells = split_range(text)
        except RangeError:
            raise ApiError(400, f"Unable to parse range: {text}") from None
        if title is None and self.sheet(text):
            title, cells = text, None
        sheet = self.sheet(title) if title is not None else self.sheets[0]
        if sheet is None:
            raise ApiError(400, f"Unable to parse range: {text}")
        if cells is None:
            return Target(sheet, 0, 0, sheet.rows - 1, sheet.cols - 1)
        try:
            row0, col0, row1, col1 = parse_cells(cells, sheet.rows, sheet.cols)
        except RangeError:
            raise ApiError(400, f"Unable to parse range: {text}") from None
        if row0 >= sheet.rows or col0 >= sheet.cols:
            raise sheet.exceeds(text)
        if clip:
            row1, col1 = min(row1, sheet.rows - 1), min(col1, sheet.cols - 1)
        return Target(sheet, row0, col0, row1, col1)

    def metadata(self) -> dict[str, Any]:
        return {
            "spreadsheetId": self.key,
            "properties": {
                "title": self.title,
                "locale": self.locale,
                "autoRecalc": "ON_CHANGE",
                "timeZone": self.time_zone,
                "defaultFormat": DEFAULT_FORMAT,
                "spreadsheetTheme": DEFAULT_THEME,
            },
            "sheets": [
                {
                    "properties": {
                        "sheetId": sheet.sheet_id,
                        "title": sheet.title,
                        "index": index,
                        "sheetType": "GRID",
                        "gridProperties": {"rowCount": sheet.rows, "columnCount": sheet.cols},
                    }
                }
                for index, sheet in enumerate(self.sheets)
            ],
            "spreadsheetUrl": f"https://docs.google.com/spreadsheets/d/{self.key}/edit",
        }


def read_values(target: Target, query: dict[str, list[str]]) -> dict[str, Any]:
    value_option = _param(query, "valueRenderOption", "FORMATTED_VALUE")
    date_option = _param(query, "dateTimeRenderOption", "SERIAL_NUMBER")
    dimension = _param(query, "majorDimension", "ROWS")
    cells = target.sheet.cells
    grid = [
        [
            rendered(cells.get((row, col)), value_option, date_option)
            for col in range(target.col0, target.col1 + 1)
        ]
        for row in range(target.row0, target.row1 + 1)
    ]
    if dimension == "COLUMNS":
        grid = [list(column) for column in zip(*grid, strict=True)]
    answer: dict[str, Any] = {"range": target.name, "majorDimension": dimension}
    values = _trimmed(grid)
    if values:
        answer["values"] = values
    return answer


def _trimmed(grid: list[list[Any]]) -> list[list[Any]]:
    """Google leaves out trailing empty cells of a row and trailing empty rows."""
    rows = []
    for row in grid:
        while row and row[-1] in (None, ""):
            row.pop()
        rows.append(["" if cell is None else cell for cell in row])
    while rows and not rows[-1]:
        rows.pop()
    return rows


def write_values(
    spreadsheet: Spreadsheet, text: str, values: list[list[Any]], input_option: str
) -> dict[str, Any]:
    if input_option not in ("RAW", "USER_ENTERED"):
        raise ApiError(400, f"Invalid valueInputOption: {input_option!r}")
    start = spreadsheet.resolve(text, clip=False)
    height = len(values)
    width = max((len(row) for row in values), default=0)
    return _write_block(start, values, input_option, height, width, text)


def _write_block(
    start: Target,
    values: list[list[Any]],
    input_option: str,
    height: int,
    width: int,
    text: str,
) -> dict[str, Any]:
    sheet = start.sheet
    row1, col1 = start.row0 + max(height, 1) - 1, start.col0 + max(width, 1) - 1
    if row1 >= sheet.rows or col1 >= sheet.cols:
        raise sheet.exceeds(text)
    touched_rows, touched_cols, touched = set(), set(), 0
    for r, row in enumerate(values):
        for c, value in enumerate(row):
            cell = entered_cell(value, input_option)
            if cell is _SKIP:
                continue
            where = (start.row0 + r, start.col0 + c)
            if cell is None:
                sheet.cells.pop(where, None)
            else:
                sheet.cells[where] = cell
            touched_rows.add(r)
            touched_cols.add(c)
            touched += 1
    answer = {
        "updatedRange": sheet.a1(start.row0, start.col0, row1, col1),
        "updatedRows": len(touched_rows),
        "updatedColumns": len(touched_cols),
        "updatedCells": touched,
    }
    # Google's JSON leaves zero counts out altogether.
    return {key: value for key, value in answer.items() if value != 0}


def append_values(
    spreadsheet: Spreadsheet, text: str, values: list[list[Any]], input_option: str
) -> dict[str, Any]:
    target = spreadsheet.resolve(text)
    sheet = target.sheet
    table = _table_end(target)
    answer: dict[str, Any] = {"spreadsheetId": spreadsheet.key}
    if table is None:
        start_row, start_col = target.row0, target.col0
    else:
        answer["tableRange"] = sheet.a1(*table)
        start_row, start_col = table[2] + 1, table[1]
    needed = start_row + len(values)
    sheet.rows = max(sheet.rows, needed)  # append grows the grid instead of failing
    width = max((len(row) for row in values), default=0)
    start = Target(sheet, start_row, start_col, start_row, start_col)
    updates = _write_block(start, values, input_option, len(values), width, text)
    answer["updates"] = {"spreadsheetId": spreadsheet.key, **updates}
    return answer


def _table_end(target: Target) -> tuple[int, int, int, int] | None:
    """The block of data that an append lands under.

    The run of filled cells that ends at the last filled cell of the last filled row,
    extended upwards while the rows above have data in those columns.
    """
    cells = {
        (r, c)
        for (r, c) in target.sheet.cells
        if target.row0 <= r <= target.row1 and target.col0 <= c <= target.col1
    }
    if not cells:
        return None
    last_row = max(r for r, _ in cells)
    last_col = max(c for r, c in cells if r == last_row)
    first_col = last_col
    while (last_row, first_col - 1) in cells:
        first_col -= 1
    first_row = last_row
    while any((first_row - 1, c) in cells for c in range(first_col, last_col + 1)):
        first_row -= 1
    return first_row, first_col, last_row, last_col


def clear_values(spreadsheet: Spreadsheet, text: str) -> str:
    target = spreadsheet.resolve(text)
    for row, col in list(target.sheet.cells):
        if target.row0 <= row <= target.row1 and target.col0 <= col <= target.col1:
            del target.sheet.cells[(row, col)]
    return target.name


def _param(query: dict[str, list[str]], name: str, default: str) -> str:
    return query.get(name, [default])[0]


# --- switches and the request log --------------------------------------------------


@dataclass
class Fault:
    kind: str  # "status", "delay" or "not_json"
    times: int | None  # None: every request until cleared
    status: int = 200
    seconds: float = 0.0
    only: str | None = None  # apply only to this API call, e.g. "values.batchGet"
    retry_after: str | None = None


@dataclass(frozen=True)
class Call:
    """One request the stand-in received."""

    method: str
    path: str
    query: dict[str, list[str]]
    api: str
    body: Any = None
    bearer: str | None = None


def api_name(method: str, path: str) -> str:
    """Google's name for the call a request makes, e.g. 'values.batchGet'."""
    if path == "/token":
        return "oauth.token"
    match = re.fullmatch(r"/v4/spreadsheets/([^/:]+)(.*)", path)
    if not match:
        return "unknown"
    rest = match.group(2)
    fixed = {
        ("GET", ""): "spreadsheets.get",
        ("POST", ":batchUpdate"): "spreadsheets.batchUpdate",
        ("GET", "/values:batchGet"): "values.batchGet",
        ("POST", "/values:batchUpdate"): "values.batchUpdate",
        ("POST", "/values:batchClear"): "values.batchClear",
    }
    if (method, rest) in fixed:
        return fixed[(method, rest)]
    if rest.startswith("/values/"):
        if method == "POST" and rest.endswith(":append"):
            return "values.append"
        if method == "POST" and rest.endswith(":clear"):
            return "values.clear"
        return {"GET": "values.get", "PUT": "values.update"}.get(method, "unknown")
    return "unknown"


# --- the server ----------------------------------------------------------------------


class SheetsStandin:
    """The in-memory Sheets API. Start it, seed it, point gspread at ``adapter()``."""

    def __init__(self) -> None:
        self.spreadsheets: dict[str, Spreadsheet] = {}
        self.calls: list[Call] = []
        self.tokens: dict[str, dict[str, Any]] = {}  # access token -> JWT claims
        self._faults: list[Fault] = []
        self._lock = threading.RLock()
        self._stopping = threading.Event()
        self._random = random.Random(20240601)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # lifecycle

    def start(self) -> SheetsStandin:
        handler = type("Handler", (_Handler,), {"standin": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="sheets-standin", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes requests that are sleeping on a delay
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> SheetsStandin:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server is not None, "start() the stand-in first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def adapter(self, **kwargs: Any) -> StandinAdapter:
        """A transport adapter that sends Google's Sheets URLs here instead."""
        return StandinAdapter(self.url, **kwargs)

    def reset(self) -> None:
        with self._lock:
            self.spreadsheets.clear()
            self.calls.clear()
            self.tokens.clear()
            self._faults.clear()

    # setup, as a test seeds the sheet (Drive's create/delete stand in here)

    def create_spreadsheet(
        self,
        title: str = "Untitled spreadsheet",
        tabs: dict[str, list[list[Any]]] | None = None,
        *,
        key: str | None = None,
        locale: str = "en_US",
        time_zone: str = "Etc/GMT",
    ) -> str:
        """A new spreadsheet; without tabs it has Google's single empty 'Sheet1'."""
        key = key or "1" + secrets.token_urlsafe(32)[:43]
        with self._lock:
            book = Spreadsheet(key, title, locale=locale, time_zone=time_zone)
            self.spreadsheets[key] = book
            if not tabs:
                book.sheets.append(Sheet(0, "Sheet1"))
            for index, (name, grid) in enumerate((tabs or {}).items()):
                self.add_tab(key, name, grid, sheet_id=0 if index == 0 else None)
        return key

    def add_tab(
        self,
        key: str,
        title: str,
        grid: list[list[Any]] | None = None,
        *,
        rows: int | None = None,
        cols: int | None = None,
        sheet_id: int | None = None,
    ) -> Sheet:
        grid = grid or []
        with self._lock:
            sheet = Sheet(
                self._new_sheet_id() if sheet_id is None else sheet_id,
                title,
                rows=rows or max(1000, len(grid)),
                cols=cols or max(26, max((len(row) for row in grid), default=0)),
            )
            self.spreadsheets[key].sheets.append(sheet)
            self.set_values(key, title, grid)
        return sheet

    def set_values(self, key: str, tab: str, grid: list[list[Any]]) -> None:
        """Replace a tab's cells; dates may be given as datetime.date."""
        with self._lock:
            sheet = self.spreadsheets[key].sheet(tab)
            assert sheet is not None, f"no tab {tab!r}"
            sheet.cells = {
                (r, c): stored_cell(value)
                for r, row in enumerate(grid)
                for c, value in enumerate(row)
                if stored_cell(value) is not None
            }

    def values(self, key: str, tab: str) -> list[list[Any]]:
        """A tab's cells as the API would render them unformatted, for assertions."""
        with self._lock:
            sheet = self.spreadsheets[key].sheet(tab)
            assert sheet is not None, f"no tab {tab!r}"
            rows, cols = sheet.used_extent()
            target = Target(sheet, 0, 0, max(rows, 1) - 1, max(cols, 1) - 1)
            query = {"valueRenderOption": ["UNFORMATTED_VALUE"]}
            return read_values(target, query).get("values", [])

    def remove_tab(self, key: str, tab: str) -> None:
        with self._lock:
            book = self.spreadsheets[key]
            book.sheets = [sheet for sheet in book.sheets if sheet.title != tab]

    def unshare(self, key: str) -> None:
        """The sheet exists but is not shared with the caller: every call gets a 403."""
        with self._lock:
            if key not in self.spreadsheets:
                self.spreadsheets[key] = Spreadsheet(key, "Private")
            self.spreadsheets[key].shared = False

    def delete_spreadsheet(self, key: str) -> None:
        with self._lock:
            self.spreadsheets.pop(key, None)

    # switches

    def fail(
        self,
        status: int = 429,
        *,
        times: int | None = 1,
        only: str | None = None,
        retry_after: str | None = None,
    ) -> None:
        """Answer the next ``times`` requests (None: all of them) with an error status."""
        with self._lock:
            self._faults.append(Fault("status", times, status, only=only, retry_after=retry_after))

    def delay(self, seconds: float, *, times: int | None = 1, only: str | None = None) -> None:
        """Hold the next requests for ``seconds`` before answering them normally."""
        with self._lock:
            self._faults.append(Fault("delay", times, seconds=seconds, only=only))

    def answer_not_json(
        self, *, status: int = 200, times: int | None = 1, only: str | None = None
    ) -> None:
        """Answer with an HTML page, as a proxy or a Google front end sometimes does."""
        with self._lock:
            self._faults.append(Fault("not_json", times, status, only=only))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    # the log

    def api_calls(self) -> list[str]:
        """The API calls received, in order, e.g. ['spreadsheets.get', 'values.batchGet']."""
        with self._lock:
            return [call.api for call in self.calls if call.api != "oauth.token"]

    def count(self, api: str) -> int:
        return Counter(self.api_calls())[api]

    # internals

    def _new_sheet_id(self) -> int:
        return self._random.randint(1, 2**31 - 1)

    def _take_fault(self, api: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.only not in (None, api) or api == "oauth.token":
                    continue
                if fault.times is not None:
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
                return fault
        return None

    def handle(self, call: Call, raw_path: str) -> tuple[int, Any]:
        with self._lock:
            self.calls.append(call)
        fault = self._take_fault(call.api)
        if fault is not None and fault.kind == "delay":
            self._stopping.wait(fault.seconds)
            fault = None
        if fault is not None:
            return fault.status, fault
        with self._lock:
            try:
                return 200, self._answer(call, raw_path)
            except ApiError as error:
                return error.code, error.envelope()

    def _answer(self, call: Call, raw_path: str) -> Any:
        if call.api == "oauth.token":
            return self._issue_token(call.body)
        match = re.fullmatch(r"/v4/spreadsheets/([^/:]+)(.*)", raw_path)
        if not match:
            raise ApiError(404)
        book = self.spreadsheets.get(unquote(match.group(1)))
        if book is None:
            raise ApiError(404)
        if not book.shared:
            raise ApiError(403)
        rest = match.group(2)
        body = call.body if isinstance(call.body, dict) else {}
        query = call.query
        if call.api == "spreadsheets.get":
            return book.metadata()
        if call.api == "spreadsheets.batchUpdate":
            return self._batch_update(book, body)
        if call.api == "values.batchGet":
            ranges = query.get("ranges", [])
            value_ranges = [read_values(book.resolve(text), query) for text in ranges]
            return {"spreadsheetId": book.key, "valueRanges": value_ranges}
        if call.api == "values.batchUpdate":
            return self._values_batch_update(book, body)
        if call.api == "values.batchClear":
            cleared = [clear_values(book, text) for text in body.get("ranges", [])]
            return {"spreadsheetId": book.key, "clearedRanges": cleared}
        text = unquote(rest[len("/values/") :])
        if call.api == "values.get":
            return read_values(book.resolve(text), query)
        if call.api == "values.update":
            option = _param(query, "valueInputOption", "")
            answer = write_values(book, text, body.get("values", []), option)
            return {"spreadsheetId": book.key, **answer}
        if call.api == "values.append":
            option = _param(query, "valueInputOption", "")
            return append_values(book, text.removesuffix(":append"), body["values"], option)
        if call.api == "values.clear":
            cleared = clear_values(book, text.removesuffix(":clear"))
            return {"spreadsheetId": book.key, "clearedRange": cleared}
        raise ApiError(404)

    def _values_batch_update(self, book: Spreadsheet, body: dict[str, Any]) -> dict[str, Any]:
        option = body.get("valueInputOption", "")
        responses = [
            write_values(book, item["range"], item.get("values", []), option)
            for item in body.get("data", [])
        ]
        sheets = {response["updatedRange"].rsplit("!", 1)[0] for response in responses}
        totals = {
            "totalUpdatedRows": sum(r.get("updatedRows", 0) for r in responses),
            "totalUpdatedColumns": max((r.get("updatedColumns", 0) for r in responses), default=0),
            "totalUpdatedCells": sum(r.get("updatedCells", 0) for r in responses),
            "totalUpdatedSheets": len(sheets),
        }
        answer = {"spreadsheetId": book.key, **{k: v for k, v in totals.items() if v}}
        answer["responses"] = [{"spreadsheetId": book.key, **r} for r in responses]
        return answer

    def _batch_update(self, book: Spreadsheet, body: dict[str, Any]) -> dict[str, Any]:
        replies = []
        for number, request in enumerate(body.get("requests", [])):
            (kind, params), *_ = request.items()
            handler = getattr(self, f"_request_{kind}", None)
            if handler is None:
                raise ApiError(400, f"Invalid requests[{number}]: {kind} is not supported")
            replies.append(handler(book, params, number))
        return {"spreadsheetId": book.key, "replies": replies}

    def _request_addSheet(self, book: Spreadsheet, params: dict, number: int) -> dict:
        properties = params.get("properties", {})
        title = properties.get("title") or f"Sheet{len(book.sheets) + 1}"
        if book.sheet(title):
            raise ApiError(
                400,
                f'Invalid requests[{number}].addSheet: A sheet with the name "{title}" '
                "already exists. Please enter another name.",
            )
        grid = properties.get("gridProperties", {})
        sheet = Sheet(
            properties.get("sheetId", self._new_sheet_id()),
            title,
            rows=grid.get("rowCount", 1000),
            cols=grid.get("columnCount", 26),
        )
        index = properties.get("index", len(book.sheets))
        book.sheets.insert(index, sheet)
        described = {
            "sheetId": sheet.sheet_id,
            "title": title,
            "index": book.sheets.index(sheet),
            "sheetType": "GRID",
            "gridProperties": {"rowCount": sheet.rows, "columnCount": sheet.cols},
        }
        return {"addSheet": {"properties": described}}

    def _request_deleteSheet(self, book: Spreadsheet, params: dict, number: int) -> dict:
        book.sheets.remove(book.sheet_by_id(params["sheetId"]))
        return {}

    def _request_updateSheetProperties(  # noqa: N802
        self, book: Spreadsheet, params: dict, number: int
    ) -> dict:
        properties = params["properties"]
        sheet = book.sheet_by_id(properties.get("sheetId", 0))
        fields = params.get("fields", "").split(",")
        grid = properties.get("gridProperties", {})
        if "title" in fields:
            sheet.title = properties["title"]
        if "gridProperties/rowCount" in fields:
            sheet.rows = grid["rowCount"]
        if "gridProperties/columnCount" in fields:
            sheet.cols = grid["columnCount"]
        return {}

    def _request_updateSpreadsheetProperties(  # noqa: N802
        self, book: Spreadsheet, params: dict, number: int
    ) -> dict:
        properties = params["properties"]
        for name in params.get("fields", "").split(","):
            attribute = {"title": "title", "locale": "locale", "timeZone": "time_zone"}[name]
            setattr(book, attribute, properties[name])
        return {}

    def _issue_token(self, form: Any) -> dict[str, Any]:
        assertion = (form or {}).get("assertion", [""])[0]
        try:
            payload = assertion.split(".")[1]
            claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        except (IndexError, ValueError):
            raise ApiError(400, "Invalid JWT assertion") from None
        token = "standin-" + secrets.token_urlsafe(16)
        self.tokens[token] = claims
        return {"access_token": token, "expires_in": 3600, "token_type": "Bearer"}


class _Handler(BaseHTTPRequestHandler):
    standin: SheetsStandin
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # else each answer waits ~40 ms on a delayed ACK

    def do_GET(self) -> None:  # noqa: N802
        self._serve()

    def do_POST(self) -> None:  # noqa: N802
        self._serve()

    def do_PUT(self) -> None:  # noqa: N802
        self._serve()

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the request log on the stand-in says what tests need

    def _serve(self) -> None:
        raw_path, _, raw_query = self.path.partition("?")
        length = int(self.headers.get("Content-Length") or 0)
        raw_body = self.rfile.read(length) if length else b""
        body: Any = None
        if raw_body and self.headers.get("Content-Type", "").startswith("application/json"):
            body = json.loads(raw_body)
        elif raw_body:
            body = parse_qs(raw_body.decode(), keep_blank_values=True)
        authorization = self.headers.get("Authorization", "")
        call = Call(
            method=self.command,
            path=unquote(raw_path),
            query=parse_qs(raw_query, keep_blank_values=True),
            api=api_name(self.command, raw_path),
            body=body,
            bearer=authorization.removeprefix("Bearer ") or None,
        )
        status, answer = self.standin.handle(call, raw_path)
        # A client that gave up waiting (a timeout test) has nothing left to be told.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self._send(status, answer)

    def _send(self, status: int, answer: Any) -> None:
        content_type = "application/json; charset=UTF-8"
        extra: dict[str, str] = {}
        if isinstance(answer, Fault):
            if answer.kind == "not_json":
                body = NOT_JSON_BODY.encode()
                content_type = "text/html; charset=UTF-8"
            else:
                body = json.dumps(ApiError(answer.status).envelope()).encode()
            if answer.retry_after is not None:
                extra["Retry-After"] = answer.retry_after
        else:
            body = json.dumps(answer, ensure_ascii=False, indent=2).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in extra.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


class StandinAdapter(HTTPAdapter):
    """Sends requests for Google's Sheets host to the stand-in; others pass through."""

    def __init__(self, base_url: str, hosts: tuple[str, ...] = GOOGLE_HOSTS, **kwargs: Any):
        super().__init__(**kwargs)
        self._netloc = urlsplit(base_url).netloc
        self._hosts = hosts

    def send(self, request: Any, **kwargs: Any) -> Any:
        parts = urlsplit(request.url)
        if parts.hostname in self._hosts:
            request = request.copy()
            request.url = urlunsplit(("http", self._netloc, parts.path, parts.query, ""))
        return super().send(request, **kwargs)

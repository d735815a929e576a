"""Synthetic seat registers of any size, for the benchmark.

A register has about one contract per twenty seats, a realistic mix of statuses, end
dates spread around the as-of day (some renewing soon, some ended), and a sprinkle of
cells a person got wrong. It is laid out like the bundled example: a title row above
the header, headers that are not seatbot's canonical names, statuses in mixed case with
stray spaces, ISO and day/month text dates beside real date cells, spacer rows.

The grids come in the form the Sheets API answers a values:batchGet with
UNFORMATTED_VALUE and SERIAL_NUMBER dates (what GoogleSheetsSource hands on): numbers
stay numbers, date cells are day counts from 1899-12-30, blank cells inside a row are
"", trailing blanks are left out. ``formatted`` gives the FORMATTED_VALUE form that
gspread's get_all_records asks for by default, ``cells`` the form a test seeds the
Sheets stand-in or openpyxl with (real dates, None for blank).

    python -m benchmarks.generate 10000 --xlsx /tmp/register-10k.xlsx
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from openpyxl import Workbook

from bot.source import RawTab

AS_OF = dt.date(2026, 12, 3)
SERIAL_EPOCH = dt.date(1899, 12, 30)
SEATS_PER_CONTRACT = 20
TABS = ("Contracts", "Seats")
# Above this many seats an .xlsx takes minutes to write and no team keeps one that big.
XLSX_MAX_SEATS = 100_000

CONTRACT_HEADERS = [
    "Contract #",
    "Customer",
    "Product",
    "Seats Purchased",
    "Start",
    "Renewal Date",
    "Auto-renew?",
    "Status",
    "Notice (days)",
    "Unit Price",
    "Account Owner",
    "Slack channel",
]
SEAT_HEADERS = [
    "Licence Key",
    "Contract",
    "Customer",
    "Product",
    "User",
    "E-mail",
    "Seat Status",
    "Activated",
    "Expires",
]
CONTRACT_DATE_COLUMNS = (4, 5)
SEAT_DATE_COLUMNS = (7, 8)

PRODUCTS = ("Atlas Pro", "Atlas Lite", "Atlas Cloud")
COMPANY_FORMS = ("Ltd", "GmbH", "Inc.", "& Co", "S.A.", "plc")
# Channels the Slack stand-in knows; a contract without one goes to the default channel.
CHANNELS = ("#renewals", "#acme-licences", "#general")
OWNERS = tuple(f"owner{n}@vendor.example" for n in range(1, 11)) + ("U024BE7LH", "U07DANA01")
# The same value as people type it: case and stray spaces vary, the meaning does not.
CONTRACT_STATUS_SPELLINGS = {
    "active": ("Active", "active", "ACTIVE", "Active ", " active"),
    "pending": ("Pending", "pending"),
    "terminated": ("Terminated", "TERMINATED", "terminated "),
}
SEAT_STATUS_SPELLINGS = {
    "active": ("Active", "active", "ACTIVE", "Active "),
    "suspended": ("Suspended", "suspended"),
    "available": ("Available", "available", "AVAILABLE"),
    "retired": ("Retired", "retired"),
}
YES = ("yes", "Yes", "Y", True, 1, "TRUE")
NO = ("no", "No", "n", False, 0, "FALSE")


@dataclass
class Register:
    """A generated register: two grids in the Sheets API's unformatted form."""

    as_of: dt.date
    contracts: list[list[Any]]
    seats: list[list[Any]]
    contract_count: int
    seat_count: int

    def raw_tabs(self) -> dict[str, RawTab]:
        """The tabs as a source returns them (``Source.read``)."""
        return {TABS[0]: RawTab(TABS[0], self.contracts), TABS[1]: RawTab(TABS[1], self.seats)}

    def batch_get_body(self, *, formatted: bool = False) -> bytes:
        """The JSON body of the values:batchGet answer that carries both tabs."""
        grids = self.formatted() if formatted else {TABS[0]: self.contracts, TABS[1]: self.seats}
        value_ranges = [
            {"range": f"{tab}!A1:L{len(grid)}", "majorDimension": "ROWS", "values": grid}
            for tab, grid in grids.items()
        ]
        return json.dumps({"spreadsheetId": "benchmark", "valueRanges": value_ranges}).encode()

    def formatted(self) -> dict[str, list[list[str]]]:
        """Every cell as the sheet shows it (FORMATTED_VALUE, en_US), as gspread reads it."""
        return {
            TABS[0]: _formatted(self.contracts, CONTRACT_DATE_COLUMNS),
            TABS[1]: _formatted(self.seats, SEAT_DATE_COLUMNS),
        }

    def cells(self) -> dict[str, list[list[Any]]]:
        """Real dates for date cells and None for blanks: for openpyxl and the stand-in."""
        return {
            TABS[0]: _cells(self.contracts, CONTRACT_DATE_COLUMNS),
            TABS[1]: _cells(self.seats, SEAT_DATE_COLUMNS),
        }


def generate(
    seats: int, *, as_of: dt.date = AS_OF, seed: int = 20261203, invalid_rate: float = 0.002
) -> Register:
    """A register of ``seats`` seat rows and about seats/20 contracts.

    ``invalid_rate`` is the share of rows given one cell a person got wrong (a word in a
    number column, an impossible date, an unknown status, a duplicated or unknown id).
    """
    rng = np.random.default_rng(seed)
    contract_count = max(1, seats // SEATS_PER_CONTRACT)
    owner_of_seat = _seat_contracts(rng, seats, contract_count)
    allocated_share = 0.8  # active + suspended, see _seat_statuses
    in_use = np.bincount(owner_of_seat, minlength=contract_count) * allocated_share
    contracts, ids, clients, products, ends = _contracts(rng, contract_count, in_use, as_of)
    seat_rows = _seats(rng, seats, owner_of_seat, ids, clients, products, ends, as_of)
    _sprinkle_contract_errors(rng, contracts, invalid_rate)
    _sprinkle_seat_errors(rng, seat_rows, invalid_rate)

    contract_grid = _laid_out(
        "Client contracts (Atlas licences) - keep one row per signed contract",
        CONTRACT_HEADERS,
        contracts,
        rng,
        blank_after_title=True,
    )
    seat_grid = _laid_out("Seat assignments", SEAT_HEADERS, seat_rows, rng)
    return Register(as_of, contract_grid, seat_grid, contract_count, seats)


# --- contracts ----------------------------------------------------------------------------


def _seat_contracts(rng: np.random.Generator, seats: int, contracts: int) -> np.ndarray:
    """Which contract each seat belongs to: a few big contracts, many small ones."""
    weights = rng.lognormal(mean=0.0, sigma=1.0, size=contracts)
    owner = rng.choice(contracts, size=seats, p=weights / weights.sum())
    return np.sort(owner)  # seats of one contract sit together, as people keep them


def _contracts(rng, count: int, in_use: np.ndarray, as_of: dt.date):
    today = _serial(as_of)
    ids = [f"C-{2020 + n % 7}-{n:06d}" for n in range(count)]
    client_pool = max(1, count // 3)
    client_of = rng.integers(0, client_pool, size=count)
    forms = rng.integers(0, len(COMPANY_FORMS), size=client_pool)
    client_names = [f"Client {n:06d} {COMPANY_FORMS[f]}" for n, f in enumerate(forms)]
    clients = [client_names[c] for c in client_of]
    products = [PRODUCTS[p] for p in rng.integers(0, len(PRODUCTS), size=count)]

    # Most contracts bought a little more than they use; about one in twenty fewer.
    headroom = rng.uniform(1.1, 1.6, size=count)
    short = rng.random(count) < 0.05
    headroom[short] = rng.uniform(0.7, 0.95, size=short.sum())
    purchased = np.maximum(1, np.round(in_use * headroom)).astype(int)

    # End dates from four months ago to two years ahead: about one in ten renews within
    # the 90-day reminder horizon, about one in six has ended.
    ends = today + rng.integers(-120, 730, size=count)
    terms = rng.choice([365, 730, 1095], size=count)
    starts = ends - terms
    auto = rng.random(count) < 0.3
    status = rng.choice(["active", "pending", "terminated"], p=[0.9, 0.04, 0.06], size=count)
    notice = rng.choice([30, 60, 90, 180, -1], size=count)
    price = np.round(rng.uniform(20, 80, size=count), 2)
    has_price = rng.random(count) < 0.7
    owner = rng.integers(0, len(OWNERS), size=count)
    channel = rng.integers(0, len(CHANNELS) * 5, size=count)
    pick = rng.integers(0, 6, size=count)

    rows = []
    for n in range(count):
        seats = int(purchased[n])
        rows.append(
            [
                ids[n],
                clients[n],
                products[n],
                f"{seats:,}" if seats >= 1000 and pick[n] < 3 else seats,
                _date_cell(int(starts[n]), pick[n]),
                int(ends[n]),
                (YES if auto[n] else NO)[pick[n]],
                _spelling(CONTRACT_STATUS_SPELLINGS[status[n]], pick[n]),
                int(notice[n]) if notice[n] >= 0 else "",
                float(price[n]) if has_price[n] else "",
                OWNERS[owner[n]],
                CHANNELS[channel[n]] if channel[n] < len(CHANNELS) else "",
            ]
        )
    return rows, ids, clients, products, ends


def _date_cell(serial: int, pick: int) -> Any:
    """Mostly a real date cell; now and then ISO text, as pasted from another system."""
    if pick == 5:
        return _day(serial).isoformat()
    return serial


def _spelling(spellings: tuple[str, ...], pick: int) -> str:
    return spellings[pick % len(spellings)]


# --- seats -------------------------------------------------------------------------------


def _seats(rng, count, owner_of_seat, ids, clients, products, ends, as_of):
    today = _serial(as_of)
    status = rng.choice(
        ["active", "suspended", "available", "retired"], p=[0.75, 0.05, 0.15, 0.05], size=count
    )
    pick = rng.integers(0, 12, size=count)
    activated = today - rng.integers(1, 900, size=count)
    expires_kind = rng.integers(0, 100, size=count)
    expiry_shift = rng.integers(-60, 400, size=count)
    mail_domains = [f"client{n}.example" for n in range(len(set(clients)) + 1)]

    rows = []
    for n in range(count):
        contract = int(owner_of_seat[n])
        state = status[n]
        assigned = state in ("active", "suspended")
        p = int(pick[n])
        # Seven in ten seats carry no expiry of their own (the contract's end applies);
        # most of the rest copy the contract's end, a few were typed by hand.
        if expires_kind[n] < 70:
            expires = ""
        elif expires_kind[n] < 97:
            expires = int(ends[contract])
        else:
            expires = today + int(expiry_shift[n])
        rows.append(
            [
                f"LK-{n:08d}",
                ids[contract],
                "" if p == 0 else clients[contract],
                products[contract],
                f"User {n}" if assigned else "",
                f"user{n}@{mail_domains[contract % len(mail_domains)]}" if assigned else "",
                _spelling(SEAT_STATUS_SPELLINGS[state], p),
                int(activated[n]) if state != "available" else "",
                expires,
            ]
        )
    return rows


# --- the cells people get wrong ---------------------------------------------------------


def _sprinkle_contract_errors(rng, rows: list[list[Any]], rate: float) -> None:
    mistakes = [
        (3, "twenty"),
        (3, -3),
        (3, 12.5),
        (5, "31/02/2027"),
        (5, "soon"),
        (6, "maybe"),
        (7, "cancelled"),
        (1, ""),
        (9, "free"),
    ]
    for n in _victims(rng, len(rows), rate):
        kind = int(rng.integers(0, len(mistakes) + 2))
        if kind < len(mistakes):
            column, value = mistakes[kind]
            rows[n][column] = value
        elif kind == len(mistakes):
            rows[n][4] = rows[n][5] + 30  # a start date typed after the end date
        elif n > 0:
            rows[n][0] = rows[n - 1][0]  # a copied row kept its contract id


def _sprinkle_seat_errors(rng, rows: list[list[Any]], rate: float) -> None:
    mistakes = [
        (5, "not-an-email"),
        (5, "someone at example.com"),
        (6, "expired"),
        (6, "lost"),
        (7, "yesterday"),
        (7, "30/02/2026"),
        (8, "31/13/2027"),
        (1, "C-9999-999999"),
        (0, ""),
    ]
    for n in _victims(rng, len(rows), rate):
        kind = int(rng.integers(0, len(mistakes) + 2))
        if kind == len(mistakes) and n > 0:
            rows[n][0] = rows[n - 1][0]  # a licence key pasted twice
        elif kind == len(mistakes) + 1 and n > 0 and rows[n - 1][5] and rows[n][5]:
            # One person holding two seats of a contract.
            rows[n][1], rows[n][4], rows[n][5] = rows[n - 1][1], rows[n - 1][4], rows[n - 1][5]
        elif kind < len(mistakes):
            column, value = mistakes[kind]
            rows[n][column] = value


def _victims(rng, count: int, rate: float) -> np.ndarray:
    wanted = min(count, int(round(count * rate)))
    return rng.choice(count, size=wanted, replace=False) if wanted else np.array([], int)


# --- layout and cell forms ----------------------------------------------------------------


def _laid_out(title, headers, rows, rng, *, blank_after_title: bool = False) -> list[list]:
    """A title row, the header, then the rows with a blank spacer row every so often."""
    grid: list[list[Any]] = [[title]]
    if blank_after_title:
        grid.append([])
    grid.append(list(headers))
    spacers = set(rng.choice(len(rows), size=len(rows) // 5000, replace=False).tolist())
    for n, row in enumerate(rows):
        if n in spacers:
            grid.append([])
        while row and row[-1] == "":
            row.pop()  # the API leaves out a row's trailing blank cells
        grid.append(row)
    return grid


def _serial(day: dt.date) -> int:
    return (day - SERIAL_EPOCH).days


def _day(serial: float) -> dt.date:
    return SERIAL_EPOCH + dt.timedelta(days=int(serial))


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _formatted(grid: list[list[Any]], date_columns: tuple[int, ...]) -> list[list[str]]:
    def shown(column: int, value: Any) -> str:
        if isinstance(value, bool):
            return "TRUE" if value else "FALSE"
        if column in date_columns and _is_number(value):
            day = _day(value)
            return f"{day.month}/{day.day}/{day.year}"
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value)

    return [[shown(c, v) for c, v in enumerate(row)] for row in grid]


def _cells(grid: list[list[Any]], date_columns: tuple[int, ...]) -> list[list[Any]]:
    def cell(column: int, value: Any) -> Any:
        if value == "" and isinstance(value, str):
            return None
        if column in date_columns and _is_number(value):
            return _day(value)
        return value

    return [[cell(c, v) for c, v in enumerate(row)] for row in grid]


def write_xlsx(register: Register, path: Path) -> Path:
    """The register as an .xlsx workbook (openpyxl's write-only mode streams the rows)."""
    if register.seat_count > XLSX_MAX_SEATS:
        raise ValueError(
            f"{register.seat_count} seats is past {XLSX_MAX_SEATS}, the largest register "
            "written as .xlsx; use the raw grids instead"
        )
    workbook = Workbook(write_only=True)
    for tab, grid in register.cells().items():
        sheet = workbook.create_sheet(tab)
        for row in grid:
            sheet.append(row)
    workbook.save(path)
    return path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("seats", type=int, help="seat rows to generate")
    parser.add_argument("--json", type=Path, help="write the values:batchGet body here")
    parser.add_argument("--xlsx", type=Path, help="write an .xlsx workbook here")
    parser.add_argument("--seed", type=int, default=20261203)
    args = parser.parse_args(argv)
    register = generate(args.seats, seed=args.seed)
    if args.json:
        args.json.write_bytes(register.batch_get_body())
    if args.xlsx:
        write_xlsx(register, args.xlsx)
    print(f"{register.seat_count} seats, {register.contract_count} contracts")


if __name__ == "__main__":
    main()

"""Small registers for tests: real .xlsx workbooks written with openpyxl, and configs.

A test describes its rows as dicts of canonical fields (``contract(seats=12)``,
``seat("S-1", status="suspended")``); ``write_register`` lays them out under the
headers a person would type, optionally below a merged title row and with blank spacer
rows (``None``), and ``check`` runs one real poll over the file. Nothing is mocked: the
workbook goes through openpyxl, ingest, the pandera schemas and reconcile as in
production.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from bot import config as config_module
from bot.config import Config
from bot.findings import Finding
from bot.poll import Report
from bot.poll import check as poll_check
from bot.workbook import WorkbookSource

D = dt.date
REPO = Path(__file__).resolve().parent.parent
AS_OF = D(2026, 12, 3)

# The headers a person would type for each canonical field.
CONTRACT_HEADERS = {
    "contract_id": "Contract ID",
    "client": "Client",
    "product": "Product",
    "seats": "Seats",
    "start_date": "Start date",
    "end_date": "End date",
    "auto_renew": "Auto renew",
    "status": "Status",
    "notice_days": "Notice days",
    "price_per_seat": "Price per seat",
    "owner": "Owner",
    "channel": "Channel",
}
SEAT_HEADERS = {
    "seat_id": "Seat ID",
    "contract_id": "Contract ID",
    "client": "Client",
    "product": "Product",
    "assigned_to": "Assigned to",
    "email": "Email",
    "status": "Status",
    "activated_on": "Activated on",
    "expires_on": "Expires on",
}

Row = Mapping[str, Any] | None


def contract(contract_id: str = "C-1", **fields: Any) -> dict[str, Any]:
    """A healthy contract, far from renewal as of AS_OF; ``fields`` override it."""
    row = {
        "contract_id": contract_id,
        "client": "Acme",
        "product": "Atlas Pro",
        "seats": 10,
        "start_date": D(2026, 1, 1),
        "end_date": D(2027, 12, 31),
        "auto_renew": "no",
        "status": "active",
    }
    row.update(fields)
    return row


def seat(seat_id: str = "S-1", contract_id: str = "C-1", **fields: Any) -> dict[str, Any]:
    """An active seat on ``contract_id`` held by a person named after the seat."""
    row = {
        "seat_id": seat_id,
        "contract_id": contract_id,
        "client": "Acme",
        "assigned_to": f"User {seat_id}",
        "email": f"{str(seat_id).lower()}@acme.example",
        "status": "active",
    }
    row.update(fields)
    return row


def seats_on(contract_id: str, count: int, *, client: str = "Acme", **fields: Any) -> list[dict]:
    """``count`` distinct active seats on one contract."""
    return [
        seat(f"{contract_id}-S{n}", contract_id, client=client, **fields)
        for n in range(1, count + 1)
    ]


def write_grid(sheet, grid: Iterable[Iterable[Any] | None], *, first_row: int = 1) -> None:
    """Write rows cell by cell; a ``None`` row is left blank (a spacer row)."""
    for offset, cells in enumerate(grid):
        for col, value in enumerate(cells or [], start=1):
            if value is not None:
                sheet.cell(row=first_row + offset, column=col, value=value)


def tab_grid(
    rows: Iterable[Row], headers: Mapping[str, str], fields: Iterable[str] | None = None
) -> list[list[Any] | None]:
    """The header row and one list per row, in the column order of ``fields``."""
    rows = list(rows)
    if fields is None:
        used = {name for row in rows if row for name in row}
        fields = [name for name in headers if name in used]
    fields = list(fields)
    grid: list[list[Any] | None] = [[headers[name] for name in fields]]
    for row in rows:
        grid.append(None if row is None else [row.get(name) for name in fields])
    return grid


def add_tab(
    workbook: Workbook,
    name: str,
    grid: list[list[Any] | None],
    *,
    title: str | None = None,
    blank_rows_after_title: int = 0,
) -> None:
    """A tab holding ``grid``; with ``title``, a merged title row sits above it."""
    sheet = workbook.create_sheet(name)
    first_row = 1
    if title is not None:
        sheet["A1"] = title
        width = max(len(cells) for cells in grid if cells)
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
        first_row = 2 + blank_rows_after_title
    write_grid(sheet, grid, first_row=first_row)


def write_register(
    path: Path,
    contracts: Iterable[Row] = (),
    seats: Iterable[Row] = (),
    *,
    contract_headers: Mapping[str, str] | None = None,
    seat_headers: Mapping[str, str] | None = None,
    contract_fields: Iterable[str] | None = None,
    seat_fields: Iterable[str] | None = None,
    title: str | None = None,
    tab_names: tuple[str, str] = ("Contracts", "Seats"),
) -> Path:
    """Write a two-tab register to ``path``.

    Headers default to CONTRACT_HEADERS / SEAT_HEADERS; a partial mapping overrides
    only the fields it names. Columns are the fields the rows use, unless given; a tab
    without rows still gets its required headers.
    """
    contract_headers = {**CONTRACT_HEADERS, **(contract_headers or {})}
    seat_headers = {**SEAT_HEADERS, **(seat_headers or {})}
    contracts, seats = list(contracts), list(seats)
    if contract_fields is None and not any(contracts):
        contract_fields = ["contract_id", "client", "seats", "start_date", "end_date"]
    if seat_fields is None and not any(seats):
        seat_fields = ["seat_id", "contract_id", "status"]
    workbook = Workbook()
    workbook.remove(workbook.active)
    add_tab(
        workbook,
        tab_names[0],
        tab_grid(contracts, contract_headers, contract_fields),
        title=title,
    )
    add_tab(workbook, tab_names[1], tab_grid(seats, seat_headers, seat_fields), title=title)
    workbook.save(path)
    return path


def write_workbook(path: Path, tabs: Mapping[str, list[list[Any] | None]]) -> Path:
    """A workbook of raw grids, for layouts write_register does not make."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, grid in tabs.items():
        sheet = workbook.create_sheet(name)
        write_grid(sheet, grid)
    workbook.save(path)
    return path


# --- configuration --------------------------------------------------------------------


def raw_config(workbook: Path, **sections: Mapping[str, Any]) -> dict[str, Any]:
    """The smallest TOML-shaped config for ``workbook``; ``sections`` add or override."""
    raw: dict[str, Any] = {"register": {"source": "xlsx", "path": str(workbook)}}
    for name, values in sections.items():
        raw[name] = {**raw.get(name, {}), **values}
    return raw


def make_config(workbook: Path, **sections: Mapping[str, Any]) -> Config:
    return config_module.parse(raw_config(workbook, **sections))


def toml_text(raw: Mapping[str, Any]) -> str:
    """TOML for a config of tables holding strings, numbers, booleans and lists.

    Nested tables ([aliases.contracts]) are written as their own headers.
    """
    lines: list[str] = []

    def table(prefix: str, values: Mapping[str, Any]) -> None:
        scalars = {k: v for k, v in values.items() if not isinstance(v, Mapping)}
        lines.append(f"[{prefix}]")
        lines.extend(f"{json.dumps(k)} = {_toml_value(v)}" for k, v in scalars.items())
        lines.append("")
        for key, value in values.items():
            if isinstance(value, Mapping):
                table(f"{prefix}.{key}", value)

    for name, values in raw.items():
        table(name, values)
    return "\n".join(lines)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(str(value))


def write_config(path: Path, raw: Mapping[str, Any]) -> Path:
    path.write_text(toml_text(raw), encoding="utf-8")
    return path


# --- running a poll -------------------------------------------------------------------


def check(path: Path, *, as_of: dt.date = AS_OF, **sections: Mapping[str, Any]) -> Report:
    """One real poll of the workbook at ``path``, as of ``as_of``."""
    config = make_config(path, **sections)
    return poll_check(config, WorkbookSource(path), as_of)


def check_rows(
    tmp_path: Path,
    contracts: Iterable[Row],
    seats: Iterable[Row] = (),
    *,
    as_of: dt.date = AS_OF,
    **sections: Mapping[str, Any],
) -> Report:
    path = write_register(tmp_path / "register.xlsx", contracts, seats)
    return check(path, as_of=as_of, **sections)


def of_kind(report: Report, kind: str) -> list[Finding]:
    return [f for f in report.findings if f.kind == kind]


def kinds(report: Report) -> list[tuple[str, str]]:
    """(kind, subject) of every finding, sorted."""
    return sorted((f.kind, f.subject) for f in report.findings)


def totals_of(report: Report, contract_id: str) -> dict[str, Any]:
    rows = report.totals[report.totals["contract_id"] == contract_id]
    assert len(rows) == 1, f"{contract_id} is not (once) in the totals"
    return rows.iloc[0].to_dict()

"""Write what seatbot knows back where the team works: a summary tab and a log tab.

seatbot writes only to its own two tabs, never to Contracts or Seats, and only when
their content changed since it last wrote them. Every value goes in as it is: RAW in
Google Sheets (with USER_ENTERED a cell text starting with "=" would run as a formula)
and as a string cell in a workbook.

For a workbook, the tabs go to a companion file beside the register by default:
openpyxl re-saves only what it models, so charts, images and pivot tables of the
register would be lost. Writing into the register itself is opt-in; then a backup is
kept, the file is replaced atomically, and nothing is written when the file changed
since this poll read it: someone is editing, and the next poll tries again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook, load_workbook

from bot.config import Config
from bot.poll import Report
from bot.state import Store, now_utc
from bot.workbook import WorkbookSource, fingerprint

log = logging.getLogger(__name__)

SUMMARY_HEADER = [
    "Contract",
    "Client",
    "Product",
    "Purchased",
    "Allocated",
    "Active",
    "Suspended",
    "Available",
    "Free",
    "Utilisation",
    "End date",
    "Days left",
    "Open alerts",
]
LOG_HEADER = ["When (UTC)", "What", "Subject", "Field", "Before", "After", "Detail"]


@dataclass
class Written:
    tabs: list[str]
    requests: int = 0
    skipped: str | None = None


# --- what the tabs hold ---------------------------------------------------------------


def summary_grid(report: Report, store: Store) -> list[list[Any]]:
    """One row per contract, most at-risk clients first is not the point here: sorted by
    client and contract so people can find their row."""
    open_alerts = dict(
        store.db.execute(
            "SELECT contract_id, COUNT(*) FROM alerts WHERE resolved_at IS NULL"
            " AND contract_id IS NOT NULL GROUP BY contract_id"
        ).fetchall()
    )
    totals = report.totals.sort_values(["client", "contract_id"])
    purchased = totals["purchased"].astype("float64")
    utilisation = (totals["allocated"] / purchased.where(purchased > 0)).round(3)
    rows = pd.DataFrame(
        {
            "contract": totals["contract_id"],
            "client": totals["client"],
            "product": totals["product"].fillna(""),
            "purchased": totals["purchased"],
            "allocated": totals["allocated"],
            "active": totals["active"],
            "suspended": totals["suspended"],
            "available": totals["available"],
            "free": totals["free"],
            "utilisation": utilisation.astype(object).where(utilisation.notna(), ""),
            "end": totals["end_date"].dt.strftime("%Y-%m-%d"),
            "days_left": totals["days_left"],
            "open": totals["contract_id"].map(open_alerts).fillna(0).astype(int),
        }
    )
    title = (
        f"Written by seatbot from the register as of {report.as_of.isoformat()}; "
        "edits in this tab are replaced at the next poll."
    )
    return [[title], SUMMARY_HEADER, *_plain_rows(rows)]


def log_grid(store: Store, cap: int) -> list[list[Any]]:
    rows = store.db.execute(
        "SELECT at, what, subject, field, before, after, detail FROM"
        " (SELECT * FROM log_lines ORDER BY id DESC LIMIT ?) ORDER BY id",
        (cap,),
    ).fetchall()
    return [LOG_HEADER, *([value if value is not None else "" for value in row] for row in rows)]


def _plain_rows(frame: pd.DataFrame) -> list[list[Any]]:
    """Frame rows as Python values a sheet or a workbook takes (no numpy scalars)."""
    return [[_plain(v) for v in row] for row in frame.itertuples(index=False, name=None)]


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


def _digest(grid: list[list[Any]]) -> str:
    return hashlib.sha256(json.dumps(grid, default=str).encode()).hexdigest()


# --- when to write ----------------------------------------------------------------------


def _changed(store: Store, target: str, grid: list[list[Any]]) -> tuple[bool, int]:
    row = store.db.execute(
        "SELECT digest, rows FROM writes WHERE target = ?", (target,)
    ).fetchone()
    if row is None:
        return True, 0
    return row["digest"] != _digest(grid), row["rows"]


def _remember(store: Store, target: str, grid: list[list[Any]]) -> None:
    with store.transaction() as db:
        db.execute(
            "INSERT OR REPLACE INTO writes (target, digest, rows, written_at) VALUES (?, ?, ?, ?)",
            (target, _digest(grid), len(grid), now_utc()),
        )


def write_back(config: Config, source, store: Store, report: Report) -> Written:
    """Write the summary and log tabs if they changed; returns what was written."""
    settings = config.writeback
    grids = {
        settings.summary_tab: summary_grid(report, store),
        settings.log_tab: log_grid(store, settings.log_max_rows),
    }
    if config.register.source == "google_sheets":
        return _to_sheet(source, store, grids)
    if settings.into_register:
        return _into_register(config, source, store, grids)
    return _to_companion(config, store, grids)


def _to_sheet(source, store: Store, grids: dict[str, list[list[Any]]]) -> Written:
    from bot.gsheet import quote_tab

    batch: dict[str, list[list[Any]]] = {}
    for tab, grid in grids.items():
        changed, previous_rows = _changed(store, f"sheet:{tab}", grid)
        if changed:
            batch[f"{quote_tab(tab)}!A1"] = _padded(grid, previous_rows)
    if not batch:
        return Written([])

    requests = 0
    missing = [tab for tab in grids if tab not in source.tab_titles()]
    if missing:
        source.add_tabs(missing)
        requests += 1
    source.write(batch)
    requests += 1
    written = [tab for tab in grids if f"{quote_tab(tab)}!A1" in batch]
    for tab in written:
        _remember(store, f"sheet:{tab}", grids[tab])
    log.info("wrote %s to %s in %d request(s)", ", ".join(written), source.where, requests)
    return Written(written, requests)


def _padded(grid: list[list[Any]], previous_rows: int) -> list[list[Any]]:
    """The grid, blank-filled to its full width and over the rows written last time, so a
    shorter table leaves no stale rows behind (a RAW write only sets the cells it names).
    """
    width = max(len(row) for row in grid)
    rows = [[*row, *[""] * (width - len(row))] for row in grid]
    rows += [[""] * width for _ in range(previous_rows - len(grid))]
    return rows


def _to_companion(config: Config, store: Store, grids) -> Written:
    path = companion_path(config)
    target = f"companion:{path}"
    grid_key = [[tab, grid] for tab, grid in grids.items()]
    changed, _ = _changed(store, target, grid_key)
    if not changed and path.exists():
        return Written([])
    workbook = Workbook()
    workbook.remove(workbook.active)
    for tab, grid in grids.items():
        _fill(workbook.create_sheet(tab), grid)
    _save_atomically(workbook, path)
    _remember(store, target, grid_key)
    log.info("wrote %s to %s", ", ".join(grids), path)
    return Written(list(grids))


def companion_path(config: Config) -> Path:
    if config.writeback.companion_path:
        return config.writeback.companion_path
    register = config.register.path
    return register.with_name(f"{register.stem}.seatbot.xlsx")


def _into_register(config: Config, source: WorkbookSource, store, grids) -> Written:
    path = config.register.path
    target = f"register:{path}"
    grid_key = [[tab, grid] for tab, grid in grids.items()]
    changed, _ = _changed(store, target, grid_key)
    if not changed:
        return Written([])
    if not _unchanged_since_read(source, path):
        log.warning(
            "not writing back to %s: it changed since this poll read it (someone is "
            "editing); the next poll will try again",
            path,
        )
        return Written([], skipped="register changed since it was read")

    workbook = load_workbook(path)  # formulas kept, as the team wrote them
    for tab, grid in grids.items():
        index = None
        if tab in workbook.sheetnames:
            index = workbook.sheetnames.index(tab)
            workbook.remove(workbook[tab])
        _fill(workbook.create_sheet(tab, index), grid)

    backup = path.with_name(f"{path.stem}.seatbot-backup{path.suffix}")
    shutil.copy2(path, backup)
    if not _unchanged_since_read(source, path):  # a last look just before replacing it
        log.warning(
            "not writing back to %s: it changed while seatbot prepared the write; "
            "the next poll will try again",
            path,
        )
        return Written([], skipped="register changed since it was read")
    _save_atomically(workbook, path)
    source.fingerprint = fingerprint(path.read_bytes())
    _remember(store, target, grid_key)
    log.info("wrote %s into %s (backup at %s)", ", ".join(grids), path, backup)
    return Written(list(grids))


def _unchanged_since_read(source: WorkbookSource, path: Path) -> bool:
    if source.fingerprint is None:
        return False
    try:
        return fingerprint(path.read_bytes()) == source.fingerprint
    except OSError:
        return False


def _fill(sheet, grid: list[list[Any]]) -> None:
    for values in grid:
        sheet.append(values)
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and cell.data_type == "f":
                # openpyxl takes text starting with "=" as a formula; this is data.
                cell.data_type = "s"
    if len(grid) > 1 and grid[1] == SUMMARY_HEADER:
        column = SUMMARY_HEADER.index("Utilisation") + 1
        for (cell,) in sheet.iter_rows(min_row=3, min_col=column, max_col=column):
            cell.number_format = "0.0%"


def _save_atomically(workbook: Workbook, path: Path) -> None:
    """Save to a temporary file beside ``path``, then rename it over ``path``.

    The new file keeps the permissions of the one it replaces (a new file gets the usual
    ones for this process): a register the team shares must stay theirs to edit.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(handle)
    try:
        workbook.save(temporary)
        if path.exists():
            shutil.copymode(path, temporary)
        else:
            os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask

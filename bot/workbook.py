"""The register as a local .xlsx workbook, read with openpyxl."""

from __future__ import annotations

import hashlib
import io
import logging
import zipfile
from pathlib import Path

from openpyxl import load_workbook

from bot.source import MissingTabError, RawTab, RegisterError

log = logging.getLogger(__name__)


class WorkbookSource:
    """Reads tabs from an .xlsx file as raw grids, one row per sheet row."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        # A hash of the bytes last parsed: write-back into the register compares it with
        # the file on disk and stays away when someone saved the file since.
        self.fingerprint: str | None = None

    def read(self, tabs: list[str]) -> dict[str, RawTab]:
        if not self.path.exists():
            raise RegisterError(
                f"register workbook {self.path} does not exist; check register.path in the config",
                retryable=False,
            )
        try:
            # read_only streams rows instead of building every cell object; data_only
            # gives the value a formula last computed, which is what the team sees.
            data = self.path.read_bytes()
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, OSError) as error:
            # A workbook half-written by Excel or a sync client reads as a broken zip;
            # the next poll usually finds it whole.
            raise RegisterError(
                f"register workbook {self.path} could not be opened ({error}); "
                "if someone is saving it, the next poll will try again",
                retryable=True,
            ) from error
        try:
            tabs_read = {tab: self._read_tab(workbook, tab) for tab in tabs}
        finally:
            workbook.close()
        self.fingerprint = fingerprint(data)
        return tabs_read

    def _read_tab(self, workbook, tab: str) -> RawTab:
        if tab not in workbook.sheetnames:
            raise MissingTabError(tab, list(workbook.sheetnames), f"workbook {self.path.name}")
        sheet = workbook[tab]
        grid = [list(row) for row in sheet.iter_rows(values_only=True)]
        log.debug("read %d rows from %s!%s", len(grid), self.path.name, tab)
        return RawTab(name=tab, grid=grid)


def fingerprint(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()

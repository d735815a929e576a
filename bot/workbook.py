"""The register as a local .xlsx workbook, read with openpyxl."""

from __future__ import annotations

import hashlib
import io
import logging
import warnings
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
            data = self.path.read_bytes()
        except OSError as error:
            raise RegisterError(
                f"register workbook {self.path} could not be read: {error.strerror}",
                retryable=False,
            ) from None
        if not data.startswith(b"PK"):
            # Every .xlsx is a zip archive: this is another format under an .xlsx name.
            raise RegisterError(
                f"register workbook {self.path} is not an .xlsx workbook (an old .xls, a CSV "
                "or another file renamed?); save it from Excel as .xlsx",
                retryable=False,
            )
        with warnings.catch_warnings(record=True) as caught:
            # openpyxl warns about what it does not model (data validation, odd date
            # serials); seatbot reads values only, so these are noise for the team.
            warnings.simplefilter("always")
            tabs_read = self._read_tabs(data, tabs)
        for warning in caught:
            log.debug("openpyxl on %s: %s", self.path.name, warning.message)
        self.fingerprint = fingerprint(data)
        return tabs_read

    def _read_tabs(self, data: bytes, tabs: list[str]) -> dict[str, RawTab]:
        try:
            # read_only streams rows instead of building every cell object; data_only
            # gives the value a formula last computed, which is what the team sees.
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
            return {tab: self._read_tab(workbook, tab) for tab in tabs}
        finally:
            workbook.close()

    def _read_tab(self, workbook, tab: str) -> RawTab:
        if tab not in workbook.sheetnames:
            raise MissingTabError(tab, list(workbook.sheetnames), f"workbook {self.path.name}")
        sheet = workbook[tab]
        grid = [list(row) for row in sheet.iter_rows(values_only=True)]
        log.debug("read %d rows from %s!%s", len(grid), self.path.name, tab)
        return RawTab(name=tab, grid=grid)


def fingerprint(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()

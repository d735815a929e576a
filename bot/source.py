"""The interface every register source shares, and the error it raises.

A source returns each tab as its raw grid: ``grid[i]`` is the sheet's row ``i + 1``,
rows may be ragged (trailing empty cells left out) and blank rows are kept as they
are, so every later step can name the sheet's own row number.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


@dataclass
class RawTab:
    name: str
    grid: list[list[Any]]


class RegisterError(Exception):
    """The register could not be read.

    ``retryable`` says whether the next poll may succeed without anyone acting
    (a timeout or a 503) or whether a person must fix something first (a sheet not
    shared with the service account, a wrong key, a missing tab).
    """

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


class MissingTabError(RegisterError):
    def __init__(self, tab: str, existing: list[str], where: str) -> None:
        names = ", ".join(repr(name) for name in existing) or "none"
        super().__init__(
            f"{where} has no tab named {tab!r}; the tabs it has are: {names}. "
            "Rename the tab or set [tabs] in the config.",
            retryable=False,
        )
        self.tab = tab
        self.existing = existing


class Source(Protocol):
    """Where the register is read from (an .xlsx workbook, a Google Sheet)."""

    def read(self, tabs: list[str]) -> dict[str, RawTab]:
        """Read the named tabs in one go; raise RegisterError when that fails."""
        ...

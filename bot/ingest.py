"""From a tab's raw grid to a typed frame: find the header, map it, parse every value.

Parsing is strict and never guesses: a value that cannot be read as its field's type
becomes an ``invalid_value`` finding naming the cell, and its row is set aside. Every
step works on whole columns; a register of a million seats is parsed without a Python
loop over its rows.
"""

from __future__ import annotations

import datetime as dt
import gc
import logging
import operator
import re
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from openpyxl.utils import get_column_letter
from pandas._libs import lib
from pandas.core.internals.construction import convert_object_array

from bot.findings import Finding
from bot.source import RawTab

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FieldSpec:
    kind: str
    required: bool = False
    aliases: tuple[str, ...] = ()


# The canonical fields of each tab and the headers people commonly give them. Config can
# add aliases; these are the spellings seen in real registers and licence exports.
FIELDS: dict[str, dict[str, FieldSpec]] = {
    "contracts": {
        "contract_id": FieldSpec(
            "text",
            True,
            (
                "contract",
                "contract no",
                "contract number",
                "contract ref",
                "agreement",
                "agreement id",
            ),
        ),
        "client": FieldSpec("text", True, ("customer", "company", "account", "client name")),
        "product": FieldSpec("text", False, ("item name", "licence", "license", "sku")),
        "seats": FieldSpec(
            "count",
            True,
            (
                "seats purchased",
                "purchased seats",
                "licensed seats",
                "licences",
                "licenses",
                "quantity",
                "qty",
            ),
        ),
        "start_date": FieldSpec(
            "date", True, ("start", "starts", "effective date", "purchase date", "signed")
        ),
        "end_date": FieldSpec(
            "date",
            True,
            ("end", "ends", "renewal date", "renewal", "expiry", "expiry date", "expiration date"),
        ),
        "auto_renew": FieldSpec(
            "bool", False, ("auto renewal", "autorenew", "renews automatically")
        ),
        "status": FieldSpec("contract_status", False, ("contract status", "state")),
        "notice_days": FieldSpec(
            "count", False, ("notice", "notice period", "notice period days", "notice days")
        ),
        "price_per_seat": FieldSpec(
            "money",
            False,
            (
                "price",
                "seat price",
                "price seat",
                "unit price",
                "price per licence",
                "price per license",
                "purchase cost",
            ),
        ),
        "owner": FieldSpec("text", False, ("account owner", "account manager", "am")),
        "channel": FieldSpec("text", False, ("slack channel", "slack")),
    },
    "seats": {
        "seat_id": FieldSpec(
            "text", True, ("licence key", "license key", "serial", "serial number", "key", "seat")
        ),
        "contract_id": FieldSpec(
            "text", True, ("contract", "contract no", "contract number", "contract ref")
        ),
        "client": FieldSpec("text", False, ("customer", "company", "account")),
        "product": FieldSpec("text", False, ("item name", "licence", "license")),
        "assigned_to": FieldSpec(
            "text",
            False,
            ("user", "assignee", "name", "full name", "licensed to", "licensed to name"),
        ),
        "email": FieldSpec(
            "email",
            False,
            ("e mail", "email address", "user email", "licensed to email"),
        ),
        "status": FieldSpec("seat_status", True, ("seat status", "state")),
        "activated_on": FieldSpec("date", False, ("activated", "activation date", "assigned on")),
        "expires_on": FieldSpec(
            "date", False, ("expires", "expiry", "expiry date", "expiration date")
        ),
    },
}

CONTRACT_STATUSES = ("pending", "active", "terminated")
SEAT_STATUSES = ("active", "suspended", "available", "retired")
TRUE_WORDS = ("yes", "y", "true", "1")
FALSE_WORDS = ("no", "n", "false", "0")
HEADER_SEARCH_ROWS = 30

# re.ASCII: \d means 0-9 only; full-width or Arabic-Indic digits are not read as numbers.
_COUNT = re.compile(r"^[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.0+)?$", re.ASCII)
_MONEY = re.compile(r"^[$€£]?\s*[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$", re.ASCII)
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$", re.ASCII)
_TEXT_DATE = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$", re.ASCII)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_SERIAL_EPOCH = pd.Timestamp("1899-12-30")


def header_key(text: object) -> str:
    """A header as compared: case, spaces and punctuation ignored."""
    return re.sub(r"[^0-9a-z]", "", str(text).casefold())


@dataclass
class Column:
    """Where a canonical field sits in the sheet."""

    field: str
    header: str
    index: int

    @property
    def letter(self) -> str:
        return get_column_letter(self.index + 1)


@dataclass
class Table:
    """One tab, parsed: the rows fit for reconciliation and what was wrong with the rest.

    ``frame`` is indexed by the sheet's own row number. ``held_back`` holds the keys
    of rows set aside as invalid, so rows that depend on them are held back too rather
    than reported as orphans.
    """

    role: str
    tab: str
    frame: pd.DataFrame
    columns: dict[str, Column]
    findings: list[Finding] = field(default_factory=list)
    held_back: set[str] = field(default_factory=set)
    rows_read: int = 0
    usable: bool = True


# --- the header -----------------------------------------------------------------------


def _lookup(role: str, extra_aliases: dict[str, tuple[str, ...]]) -> dict[str, str]:
    lookup: dict[str, str] = {}
    for name, spec in FIELDS[role].items():
        for alias in (*extra_aliases.get(name, ()), name, *spec.aliases):
            lookup.setdefault(header_key(alias), name)
    return lookup


def _map_header(cells: list, lookup: dict[str, str]) -> dict[str, Column]:
    mapped: dict[str, Column] = {}
    for index, cell in enumerate(cells):
        if cell is None or str(cell).strip() == "":
            continue
        name = lookup.get(header_key(cell))
        if name and name not in mapped:
            mapped[name] = Column(name, str(cell).strip(), index)
    return mapped


def _repeated_headers(cells: list, mapped: dict[str, Column], lookup: dict[str, str]):
    """Later columns that read as a field an earlier column already gave."""
    for index, cell in enumerate(cells):
        name = lookup.get(header_key(cell)) if cell is not None else None
        if name and mapped[name].index != index:
            yield mapped[name], Column(name, str(cell).strip(), index)


def find_header(
    role: str, grid: list[list], extra_aliases: dict[str, tuple[str, ...]], tab: str = ""
) -> tuple[int | None, dict[str, Column]]:
    """The first row holding every required header, or the best partial match.

    Returns the row's index in the grid (None when no row qualifies) and its columns.
    """
    lookup = _lookup(role, extra_aliases)
    required = {n for n, spec in FIELDS[role].items() if spec.required}
    best: dict[str, Column] = {}
    for index, cells in enumerate(grid[:HEADER_SEARCH_ROWS]):
        mapped = _map_header(list(cells), lookup)
        if required <= mapped.keys():
            for used, ignored in _repeated_headers(list(cells), mapped, lookup):
                log.warning(
                    "%s tab: columns %s (%r) and %s (%r) both read as %s; using %s, the first",
                    tab or role,
                    used.letter,
                    used.header,
                    ignored.letter,
                    ignored.header,
                    used.field,
                    used.letter,
                )
            return index, mapped
        if len(mapped) > len(best):
            best = mapped
    return None, best


def _missing_columns(role: str, tab: str, grid: list[list], best: dict[str, Column]):
    required = [n for n, spec in FIELDS[role].items() if spec.required]
    # Show the row that looks most like a header: the one holding the best match, else
    # the fullest of the first rows.
    found_row = next(
        (
            row
            for row in grid[:HEADER_SEARCH_ROWS]
            if best and all(_cell(row, c.index) == c.header for c in best.values())
        ),
        None,
    ) or max(grid[:HEADER_SEARCH_ROWS], key=_filled, default=[])
    headers = [str(c).strip() for c in found_row if c is not None and str(c).strip()]
    shown = ", ".join(repr(h) for h in headers) or "none"
    findings = []
    for name in required:
        if name in best:
            continue
        findings.append(
            Finding(
                kind="missing_column",
                severity="critical",
                subject=f"{tab}.{name}",
                tab=tab,
                column=name,
                message=(
                    f"The {tab} tab has no {name} column (headers found: {shown}); add it, "
                    f"or map its header under [aliases.{role}] in the config."
                ),
            )
        )
    return findings


def _cell(row: list, index: int) -> str | None:
    return str(row[index]).strip() if index < len(row) and row[index] is not None else None


def _filled(cells: list) -> int:
    return sum(1 for c in cells if c is not None and str(c).strip() != "")


# --- values -----------------------------------------------------------------------------


def _kinds(cells: np.ndarray, missing: np.ndarray, index: pd.Index) -> pd.Series:
    """Each cell's Python type name, so a column of mixed cells can be split by mask."""
    if lib.infer_dtype(cells, skipna=True) == "string":
        # A text column (infer_dtype runs in C): only its blank cells are looked at.
        codes, categories = _type_codes(cells[missing], ["str"])
        all_codes = np.zeros(len(cells), dtype=np.int16)
        all_codes[missing] = codes
    else:
        all_codes, categories = _type_codes(cells, [])
    kinds = pd.Categorical.from_codes(all_codes, categories=categories)
    return pd.Series(kinds, index=index)


def _type_codes(cells: np.ndarray, categories: list[str]) -> tuple[np.ndarray, list[str]]:
    # type() runs in C across the cells and a column holds only a few types, so each
    # name is looked up once per type; as categories, the masks compare small codes.
    types = list(map(type, cells))
    names = {kind: kind.__name__ for kind in dict.fromkeys(types)}
    categories = list(dict.fromkeys([*categories, *names.values()]))
    code_of = {kind: categories.index(name) for kind, name in names.items()}
    codes = np.fromiter(map(code_of.__getitem__, types), dtype=np.int16, count=len(types))
    return codes, categories


def _prepared(raw: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """A column's cell types, its cells with their text stripped, and its blank cells.

    Text is stripped once here (str.strip mapped in C; pandas' .str.strip calls a
    Python lambda per cell), and every parser reads the stripped cells.
    """
    cells = raw.to_numpy(dtype=object)
    blank = pd.isna(cells)
    kinds = _kinds(cells, blank, raw.index)
    text = kinds.eq("str").to_numpy()
    if text.any():
        given = cells[text]
        stripped = np.fromiter(map(str.strip, given), dtype=object, count=len(given))
        blank[text] = stripped == ""
        # str.strip hands back the very same string when there is nothing to strip, so
        # the column is copied only if some cell changed: at a million rows every copy
        # is memory held until the column is parsed.
        if not all(map(operator.is_, stripped, given)):
            cells = cells.copy()
            cells[text] = stripped
    cleaned = pd.Series(cells, index=raw.index, dtype=object, copy=False)
    return kinds, cleaned, pd.Series(blank, index=raw.index)


def _strings(cells: pd.Series, mask: pd.Series) -> pd.Series:
    chosen = np.asarray(mask, dtype=bool)
    return pd.Series(cells.to_numpy(dtype=object)[chosen], index=cells.index[chosen], dtype=str)


def _numeric_mask(kinds: pd.Series) -> pd.Series:
    return kinds.isin(("int", "float", "int64", "float64", "Decimal"))


def _date_mask(kinds: pd.Series) -> pd.Series:
    return kinds.isin(("datetime", "date", "Timestamp"))


def parse_text(raw: pd.Series, kinds: pd.Series, blank: pd.Series):
    cells = np.full(len(raw), pd.NA, dtype=object)
    text = (kinds.eq("str") & ~blank).to_numpy()
    if text.any():
        cells[text] = raw.to_numpy(dtype=object)[text]
    numbers = (_numeric_mask(kinds) & ~blank).to_numpy()
    if numbers.any():
        # A key typed as 1001 arrives as 1001.0 from some sources; it is still "1001".
        as_float = pd.to_numeric(raw[numbers], errors="coerce")
        whole = as_float.eq(np.floor(as_float))
        rendered = as_float.astype(str)
        rendered[whole] = as_float[whole].astype("int64").astype(str)
        cells[numbers] = rendered.to_numpy(dtype=object)
    other = ~(text | numbers | blank.to_numpy())
    if other.any():
        cells[other] = raw[other].astype(str).to_numpy(dtype=object)
    return pd.Series(pd.array(cells, dtype="string"), index=raw.index), None


def _parse_number(raw, kinds, blank, pattern: re.Pattern, drop: str, reason: str):
    """Number cells as they are; text cells that match ``pattern`` once the characters
    in ``drop`` are removed; anything else is a problem worded as ``reason``."""
    values = pd.Series(np.nan, index=raw.index, dtype="float64")
    problem = pd.Series(pd.NA, index=raw.index, dtype="string")
    numbers = _numeric_mask(kinds) & ~blank
    values[numbers] = pd.to_numeric(raw[numbers], errors="coerce")
    text = kinds.eq("str") & ~blank
    if text.any():
        cleaned = _strings(raw, text)
        readable = cleaned.str.fullmatch(pattern)
        digits = cleaned[readable].str.replace(drop, "", regex=True)
        values[digits.index] = pd.to_numeric(digits)
        problem[readable[~readable].index] = reason
    problem[~(numbers | text | blank)] = reason
    return values, problem


def parse_count(raw: pd.Series, kinds: pd.Series, blank: pd.Series):
    reason = "is not a whole number"
    values, problem = _parse_number(raw, kinds, blank, _COUNT, ",", reason)
    problem[values.notna() & values.ne(np.floor(values))] = reason
    values[problem.notna()] = np.nan
    return values.astype("Int64"), problem


def parse_money(raw: pd.Series, kinds: pd.Series, blank: pd.Series):
    values, problem = _parse_number(raw, kinds, blank, _MONEY, r"[$€£,\s]", "is not an amount")
    return values.astype("Float64"), problem


def parse_bool(raw: pd.Series, kinds: pd.Series, blank: pd.Series):
    values = pd.Series(False, index=raw.index, dtype="boolean")
    problem = pd.Series(pd.NA, index=raw.index, dtype="string")
    flags = kinds.eq("bool")
    values[flags] = raw[flags].astype(bool)
    numbers = _numeric_mask(kinds) & ~blank
    text = kinds.eq("str") & ~blank
    words = pd.Series(pd.NA, index=raw.index, dtype="string")
    words[text] = _strings(raw, text).str.casefold()
    if numbers.any():
        words[numbers] = (
            pd.to_numeric(raw[numbers]).astype(str).str.replace(r"\.0$", "", regex=True)
        )
    truthy = words.isin(TRUE_WORDS).fillna(False)
    falsy = words.isin(FALSE_WORDS).fillna(False)
    values[truthy] = True
    values[falsy] = False
    unreadable = (text | numbers) & ~truthy & ~falsy
    problem[unreadable] = "is not yes or no (use yes/no, true/false, y/n or 1/0)"
    other = ~(flags | numbers | text | blank)
    problem[other] = "is not yes or no (use yes/no, true/false, y/n or 1/0)"
    return values, problem


def make_date_parser(date_order: str):
    """Dates as written: real date cells, serial numbers, ISO text, then d/m/y or m/d/y."""
    hint = "DD/MM/YYYY" if date_order == "dmy" else "MM/DD/YYYY"

    def parse_date(raw: pd.Series, kinds: pd.Series, blank: pd.Series):
        values = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[us]")
        problem = pd.Series(pd.NA, index=raw.index, dtype="string")

        cells = _date_mask(kinds)
        if cells.any():
            values[cells] = pd.to_datetime(raw[cells].astype(object)).dt.normalize()

        numbers = _numeric_mask(kinds) & ~blank
        if numbers.any():
            # Spreadsheet serial numbers count days from 1899-12-30 (Sheets and Excel).
            serial = pd.to_numeric(raw[numbers], errors="coerce")
            in_range = serial.between(1, 2958465)
            days = pd.to_timedelta(np.floor(serial[in_range]), unit="D")
            values[days.index] = _SERIAL_EPOCH + days
            problem[in_range[~in_range].index] = "is not a date"

        text = kinds.eq("str") & ~blank
        if text.any():
            _parse_text_dates(_strings(raw, text), date_order, values, problem, hint)

        other = ~(cells | numbers | text | blank)
        problem[other] = f"is not a date (use YYYY-MM-DD or {hint})"
        return values, problem

    return parse_date


def _parse_text_dates(cleaned, date_order, values, problem, hint):
    iso = cleaned.str.fullmatch(_ISO_DATE)
    if iso.any():
        parsed = pd.to_datetime(cleaned[iso], format="ISO8601", errors="coerce").dt.normalize()
        values[parsed.index] = parsed
        problem[parsed[parsed.isna()].index] = "is not a real calendar date"
    rest = cleaned[~iso]
    parts = rest.str.extract(_TEXT_DATE)
    matched = parts[0].notna()
    problem[matched[~matched].index] = f"is not a date (use YYYY-MM-DD or {hint})"
    if not matched.any():
        return
    parts = parts[matched].astype(int)
    day, month = (parts[0], parts[1]) if date_order == "dmy" else (parts[1], parts[0])
    built = pd.to_datetime(
        pd.DataFrame({"year": parts[2], "month": month, "day": day}), errors="coerce"
    )
    values[built.index] = built
    failed = built.isna()
    problem[failed[failed].index] = "is not a real calendar date"
    # A date that only works the other way round is a hint about the whole column.
    swapped = pd.to_datetime(
        pd.DataFrame({"year": parts[2], "month": day, "day": month})[failed], errors="coerce"
    )
    other_order = "month/day/year" if date_order == "dmy" else "day/month/year"
    setting = "mdy" if date_order == "dmy" else "dmy"
    problem[swapped[swapped.notna()].index] = (
        f"is not a real calendar date (if this column is {other_order}, set "
        f'register.date_order = "{setting}")'
    )


def make_choice_parser(allowed: tuple[str, ...], default: str | None):
    def parse_choice(raw: pd.Series, kinds: pd.Series, blank: pd.Series):
        text, _ = parse_text(raw, kinds, blank)
        # "Active ", "ACTIVE" and "active" are one status; anything else is left for
        # the schema to reject by name.
        values = _casefolded(text)
        if default is not None:
            values = values.fillna(default)
        return values, None

    return parse_choice


def _casefolded(text: pd.Series) -> pd.Series:
    """``text.str.casefold()``, folding each distinct value once.

    A status column holds a handful of spellings; folding a million cells one by one
    made a million new strings.
    """
    codes, distinct = pd.factorize(text.to_numpy(dtype=object))
    folded = np.array([*map(str.casefold, distinct), pd.NA], dtype=object)
    return pd.Series(pd.array(folded[codes], dtype="string"), index=text.index)


def parse_email(raw: pd.Series, kinds: pd.Series, blank: pd.Series):
    return parse_text(raw, kinds, blank)


def parsers(date_order: str) -> dict:
    return {
        "text": parse_text,
        "count": parse_count,
        "money": parse_money,
        "bool": parse_bool,
        "date": make_date_parser(date_order),
        "contract_status": make_choice_parser(CONTRACT_STATUSES, "active"),
        "seat_status": make_choice_parser(SEAT_STATUSES, None),
        "email": parse_email,
    }


# --- the tab --------------------------------------------------------------------------


@contextmanager
def _collector_paused():
    """Hold Python's cyclic garbage collector while rows are copied.

    A million new row lists set off full collections, and each one walks every object
    the decoded sheet holds: that doubled the time of building the raw frame. The rows
    hold no reference cycles, so nothing is left for the collector when it resumes.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _raw_frame(grid: list[list], header_index: int, columns: dict[str, Column]):
    """The mapped columns' cells, as pandas' DataFrame.from_records would type them.

    The parsers depend on from_records' typing (a column of whole and fractional numbers
    reads as floats, missing text as NaN); it is applied to the mapped columns only, and
    the rows are laid into one array by pandas' own C routine, which pads short rows
    (sources leave trailing empty cells out) with None as from_records does.
    """
    body = grid[header_index + 1 :]
    width = max((c.index for c in columns.values()), default=-1) + 1
    index = pd.RangeIndex(header_index + 2, header_index + 2 + len(body))
    if not body:
        return pd.DataFrame({name: pd.Series(dtype=object) for name in columns}, index=index)
    with _collector_paused():
        try:
            content = lib.to_object_array(body, min_width=width)
        except TypeError:  # rows given as tuples
            content = lib.to_object_array([list(row) for row in body], min_width=width)
        cells = {}
        for name, column in columns.items():
            # One column at a time, so only one typed copy is alive at once.
            (typed,) = convert_object_array([content[:, column.index]], None)
            cells[name] = pd.Series(typed, index=index, copy=False).astype(object)
        del content
    return pd.DataFrame(cells, index=index, copy=False)


def read_table(
    role: str,
    raw_tab: RawTab,
    *,
    aliases: dict[str, tuple[str, ...]] | None = None,
    date_order: str = "dmy",
) -> tuple[Table, pd.DataFrame]:
    """Parse one tab. Returns the table and the raw cells (for naming bad values).

    The table's frame holds every non-blank row with typed values; rows whose cells
    could not be parsed are already reported in ``findings`` and left out.
    """
    tab, grid = raw_tab.name, raw_tab.grid
    header_index, columns = find_header(role, grid, aliases or {}, tab)
    if header_index is None:
        findings = _missing_columns(role, tab, grid, columns)
        empty = pd.DataFrame(columns=list(FIELDS[role]))
        return Table(role, tab, empty, columns, findings, usable=False), empty

    raw = _raw_frame(grid, header_index, columns)
    # The rows are not needed any more. When the caller let go of the tab (poll.check
    # does), its million row lists are freed now, and parsing reuses their memory.
    del raw_tab, grid
    kinds, cleaned, blanks = {}, {}, {}
    for name in raw.columns:
        kinds[name], cleaned[name], blanks[name] = _prepared(raw[name])
    keep = ~pd.concat(blanks, axis=1).all(axis=1) if blanks else pd.Series(dtype=bool)
    every_row = bool(keep.all())
    if not every_row:
        raw = raw[keep]

    typed = {}
    problems = {}
    by_kind = parsers(date_order)
    for name, spec in FIELDS[role].items():
        if name not in raw.columns:
            typed[name] = _absent(spec.kind, raw.index)
            continue
        parse = by_kind[spec.kind]
        # Blank rows are dropped and each column's working copies let go one column at
        # a time: at a million rows a column's copies are tens of megabytes, and
        # filtering the finished frame instead cost ~100 MiB more at the peak.
        column = cleaned.pop(name), kinds.pop(name), blanks.pop(name)
        if not every_row:
            column = tuple(part[keep] for part in column)
        values, problem = parse(*column)
        del column
        typed[name] = values
        if problem is not None and problem.notna().any():
            problems[name] = problem

    frame = pd.DataFrame(typed, index=raw.index)
    table = Table(role, tab, frame, columns, rows_read=len(frame))
    table.findings = parse_findings(table, raw, problems)
    return table, raw


def _absent(kind: str, index: pd.Index) -> pd.Series:
    defaults = {
        "count": ("Int64", pd.NA),
        "money": ("Float64", pd.NA),
        "bool": ("boolean", False),
        "date": ("datetime64[us]", pd.NaT),
        "contract_status": ("string", "active"),
    }
    dtype, value = defaults.get(kind, ("string", pd.NA))
    return pd.Series(value, index=index, dtype=dtype)


def parse_findings(table: Table, raw: pd.DataFrame, problems: dict[str, pd.Series]):
    findings = []
    for name, problem in problems.items():
        bad = problem.dropna()
        findings.extend(invalid_findings(table, raw, name, bad))
    return findings


def invalid_findings(table: Table, raw: pd.DataFrame, name: str, reasons: pd.Series):
    """``invalid_value`` findings for the cells of one field, one per row in ``reasons``."""
    column = table.columns[name]
    key = "contract_id" if table.role == "contracts" else "seat_id"
    findings = []
    for row, reason in reasons.items():
        value = raw.at[row, name] if name in raw.columns else None
        own_id = table.frame.at[row, key] if row in table.frame.index else None
        client = table.frame.at[row, "client"] if row in table.frame.index else None
        cell = f"{column.letter}{row}"
        findings.append(
            Finding(
                kind="invalid_value",
                severity="warning",
                subject=own_id if isinstance(own_id, str) else f"{table.tab}!{cell}",
                client=client if isinstance(client, str) else None,
                contract_id=_contract_of(table, row),
                tab=table.tab,
                row=int(row),
                column=column.header,
                cell=cell,
                value=_plain(value),
                message=(
                    f"{table.tab}!{cell} ({column.header}) = {_shown(value)} {reason}; "
                    "correct the cell (the row is left out until then)."
                ),
            )
        )
    return findings


def _contract_of(table: Table, row: int) -> str | None:
    if row not in table.frame.index:
        return None
    value = table.frame.at[row, "contract_id"]
    return value if isinstance(value, str) else None


def _plain(value: object) -> object:
    """A cell value as JSON can carry it."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, dt.datetime) and value.time() == dt.time(0):
        return value.date().isoformat()  # a date cell: openpyxl reads it as midnight
    if isinstance(value, dt.datetime | dt.date | dt.time | dt.timedelta):
        return value.isoformat() if hasattr(value, "isoformat") else str(value)
    if isinstance(value, np.generic):
        return value.item()
    if not isinstance(value, str | int | float | bool):
        return str(value)  # whatever else a cell can hold, JSON carries it as text
    return value


def _shown(value: object) -> str:
    plain = _plain(value)
    if plain is None or (isinstance(plain, str) and not plain.strip()):
        return "(blank)"
    return repr(plain) if isinstance(plain, str) else str(plain)

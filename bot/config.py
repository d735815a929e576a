"""Configuration: one TOML file, checked whole at start.

Every key is known in advance, so a typo fails at start with the key, the value and
what is allowed, instead of being ignored until the day it matters. Secrets never live
here: the file names the environment variables that hold them.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "config" / "seatbot.toml"
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
SEAT_STATUSES = ("active", "suspended", "available", "retired")


class ConfigError(Exception):
    """The configuration cannot be used; the message names the key and what is allowed."""


@dataclass
class RegisterConfig:
    source: str = "xlsx"
    path: Path | None = None
    spreadsheet: str | None = None
    credentials_env: str = "GOOGLE_APPLICATION_CREDENTIALS"
    date_order: str = "dmy"
    timeout_seconds: float = 30.0
    attempts: int = 5
    backoff_seconds: float = 1.0


@dataclass
class TabsConfig:
    contracts: str = "Contracts"
    seats: str = "Seats"


@dataclass
class RulesConfig:
    allocated_statuses: tuple[str, ...] = ("active", "suspended")
    renewal_reminder_days: tuple[int, ...] = (90, 60, 30, 14, 7, 1)
    seats_running_out_at: int = 2
    currency: str = "EUR"


@dataclass
class SlackConfig:
    default_channel: str = "#seat-alerts"
    channels: dict[str, str] = field(default_factory=dict)
    owners: dict[str, str] = field(default_factory=dict)
    reminder_hours: float = 0.0
    token_env: str = "SLACK_BOT_TOKEN"
    webhook_env: str = "SLACK_WEBHOOK_URL"
    api_url: str = "https://slack.com/api/"


@dataclass
class StateConfig:
    path: Path = Path("state/seatbot.sqlite")


@dataclass
class ScheduleConfig:
    poll_minutes: float = 15.0
    summary_weekday: str = "monday"
    summary_time: str = "09:00"
    timezone: str = "UTC"


@dataclass
class SummaryConfig:
    output_dir: Path = Path("out")
    at_risk_utilisation: float = 0.6
    top_clients: int = 10
    channel: str | None = None


@dataclass
class WritebackConfig:
    enabled: bool = False
    summary_tab: str = "seatbot"
    log_tab: str = "seatbot log"
    log_max_rows: int = 5000
    companion_path: Path | None = None
    into_register: bool = False
    audit_to_slack: str = "off"
    audit_channel: str | None = None


@dataclass
class Config:
    register: RegisterConfig
    tabs: TabsConfig
    aliases: dict[str, dict[str, tuple[str, ...]]]
    rules: RulesConfig
    slack: SlackConfig
    state: StateConfig
    schedule: ScheduleConfig
    summary: SummaryConfig
    writeback: WritebackConfig
    source_file: Path | None = None


# --- checks: each returns the parsed value or raises ConfigError ---------------------


def _fail(key: str, value: Any, allowed: str) -> ConfigError:
    return ConfigError(f"config key {key} = {value!r} is not allowed: expected {allowed}")


def _text(key: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _fail(key, value, "a non-empty string")
    return value.strip()


def _choice(*allowed: str):
    def check(key: str, value: Any) -> str:
        if value not in allowed:
            raise _fail(key, value, "one of " + ", ".join(repr(a) for a in allowed))
        return value

    return check


def _number(low: float, high: float | None = None, *, integer: bool = False):
    def check(key: str, value: Any) -> float | int:
        kinds = (int,) if integer else (int, float)
        top = "" if high is None else f" and at most {high}"
        kind = "a whole number" if integer else "a number"
        if isinstance(value, bool) or not isinstance(value, kinds):
            raise _fail(key, value, f"{kind} of at least {low}{top}")
        if value < low or (high is not None and value > high):
            raise _fail(key, value, f"{kind} of at least {low}{top}")
        return value

    return check


def _boolean(key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise _fail(key, value, "true or false")
    return value


def _path(key: str, value: Any) -> Path:
    return Path(_text(key, value))


def _reminder_days(key: str, value: Any) -> tuple[int, ...]:
    allowed = "a non-empty list of whole numbers of days, each at least 0"
    if not isinstance(value, list) or not value:
        raise _fail(key, value, allowed)
    if any(isinstance(d, bool) or not isinstance(d, int) or d < 0 for d in value):
        raise _fail(key, value, allowed)
    return tuple(sorted(set(value), reverse=True))


def _statuses(key: str, value: Any) -> tuple[str, ...]:
    allowed = "a non-empty list drawn from " + ", ".join(SEAT_STATUSES)
    if not isinstance(value, list) or not value or any(s not in SEAT_STATUSES for s in value):
        raise _fail(key, value, allowed)
    return tuple(value)


def _text_map(key: str, value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        raise _fail(key, value, "a table of names to strings")
    return {str(k): _text(f"{key}.{k}", v) for k, v in value.items()}


def _clock(key: str, value: Any) -> str:
    text = _text(key, value)
    hours, _, minutes = text.partition(":")
    if not (hours.isdigit() and minutes.isdigit() and len(minutes) == 2):
        raise _fail(key, value, 'a time of day as "HH:MM", e.g. "09:00"')
    if int(hours) > 23 or int(minutes) > 59:
        raise _fail(key, value, 'a time of day as "HH:MM", e.g. "09:00"')
    return f"{int(hours):02d}:{minutes}"


def _timezone(key: str, value: Any) -> str:
    text = _text(key, value)
    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise _fail(key, value, 'an IANA time zone such as "Europe/London" or "UTC"') from None
    return text


def _optional(check):
    def wrapped(key: str, value: Any):
        return None if value in ("", None) else check(key, value)

    return wrapped


SECTIONS: dict[str, tuple[type, dict[str, Any]]] = {
    "register": (
        RegisterConfig,
        {
            "source": _choice("xlsx", "google_sheets"),
            "path": _path,
            "spreadsheet": _text,
            "credentials_env": _text,
            "date_order": _choice("dmy", "mdy"),
            "timeout_seconds": _number(1, 600),
            "attempts": _number(1, 20, integer=True),
            "backoff_seconds": _number(0, 60),
        },
    ),
    "tabs": (TabsConfig, {"contracts": _text, "seats": _text}),
    "rules": (
        RulesConfig,
        {
            "allocated_statuses": _statuses,
            "renewal_reminder_days": _reminder_days,
            "seats_running_out_at": _number(0, integer=True),
            "currency": _text,
        },
    ),
    "slack": (
        SlackConfig,
        {
            "default_channel": _text,
            "channels": _text_map,
            "owners": _text_map,
            "reminder_hours": _number(0),
            "token_env": _text,
            "webhook_env": _text,
            "api_url": _text,
        },
    ),
    "state": (StateConfig, {"path": _path}),
    "schedule": (
        ScheduleConfig,
        {
            "poll_minutes": _number(0.01, 1440),
            "summary_weekday": _choice(*WEEKDAYS),
            "summary_time": _clock,
            "timezone": _timezone,
        },
    ),
    "summary": (
        SummaryConfig,
        {
            "output_dir": _path,
            "at_risk_utilisation": _number(0, 1),
            "top_clients": _number(1, 50, integer=True),
            "channel": _optional(_text),
        },
    ),
    "writeback": (
        WritebackConfig,
        {
            "enabled": _boolean,
            "summary_tab": _text,
            "log_tab": _text,
            "log_max_rows": _number(10, 1_000_000, integer=True),
            "companion_path": _optional(_path),
            "into_register": _boolean,
            "audit_to_slack": _choice("off", "digest", "channel"),
            "audit_channel": _optional(_text),
        },
    ),
}
ALIAS_TABS = ("contracts", "seats")


def _section(name: str, raw: Any) -> Any:
    cls, checks = SECTIONS[name]
    if not isinstance(raw, dict):
        raise _fail(f"[{name}]", raw, "a table")
    values = {}
    for key, value in raw.items():
        if key not in checks:
            allowed = ", ".join(checks)
            raise ConfigError(
                f"unknown config key {name}.{key}; the keys [{name}] allows are: {allowed}"
            )
        values[key] = checks[key](f"{name}.{key}", value)
    return cls(**values)


def _aliases(raw: Any) -> dict[str, dict[str, tuple[str, ...]]]:
    from bot.ingest import FIELDS  # the canonical fields live with the header mapping

    if not isinstance(raw, dict):
        raise _fail("[aliases]", raw, "a table with [aliases.contracts] and [aliases.seats]")
    result: dict[str, dict[str, tuple[str, ...]]] = {tab: {} for tab in ALIAS_TABS}
    for tab, fields in raw.items():
        if tab not in ALIAS_TABS:
            raise ConfigError(f"unknown config key aliases.{tab}; allowed: contracts, seats")
        if not isinstance(fields, dict):
            raise _fail(f"[aliases.{tab}]", fields, "a table of field = [header, ...]")
        for name, headers in fields.items():
            key = f"aliases.{tab}.{name}"
            if name not in FIELDS[tab]:
                raise ConfigError(
                    f"unknown config key {key}; the fields of {tab} are: " + ", ".join(FIELDS[tab])
                )
            if isinstance(headers, str):
                headers = [headers]
            if not isinstance(headers, list) or not all(isinstance(h, str) for h in headers):
                raise _fail(key, headers, "a header name or a list of header names")
            result[tab][name] = tuple(headers)
    return result


def parse(raw: dict[str, Any], base_dir: Path | None = None) -> Config:
    """Build a Config from parsed TOML; relative paths are taken from ``base_dir``."""
    known = set(SECTIONS) | {"aliases"}
    for name in raw:
        if name not in known:
            raise ConfigError(
                f"unknown config section [{name}]; the sections are: " + ", ".join(sorted(known))
            )
    parts = {name: _section(name, raw.get(name, {})) for name in SECTIONS}
    config = Config(aliases=_aliases(raw.get("aliases", {})), **parts)
    _check_register(config.register)
    _check_writeback(config)
    if base_dir is not None:
        _resolve_paths(config, base_dir)
    return config


def _check_register(register: RegisterConfig) -> None:
    if register.source == "xlsx" and register.path is None:
        raise ConfigError(
            'config key register.path is missing: source "xlsx" needs the '
            "path of the .xlsx workbook"
        )
    if register.source == "google_sheets" and not register.spreadsheet:
        raise ConfigError(
            'config key register.spreadsheet is missing: source "google_sheets" '
            "needs the sheet's key or URL"
        )


def _check_writeback(config: Config) -> None:
    register_tabs = {config.tabs.contracts, config.tabs.seats}
    for key in ("summary_tab", "log_tab"):
        tab = getattr(config.writeback, key)
        if tab in register_tabs:
            raise ConfigError(
                f"config key writeback.{key} = {tab!r} is not allowed: seatbot writes only "
                "to its own tabs, never to the Contracts or Seats tab"
            )
    if config.writeback.summary_tab == config.writeback.log_tab:
        raise ConfigError("config keys writeback.summary_tab and writeback.log_tab must differ")
    if config.writeback.audit_to_slack == "channel" and not config.writeback.audit_channel:
        raise ConfigError(
            "config key writeback.audit_channel is missing: audit_to_slack = "
            '"channel" needs the channel to post audit events to'
        )


def _resolve_paths(config: Config, base_dir: Path) -> None:
    def resolve(path: Path | None) -> Path | None:
        if path is None or path.is_absolute():
            return path
        return (base_dir / path).resolve()

    config.register.path = resolve(config.register.path)
    config.state.path = resolve(config.state.path)
    config.summary.output_dir = resolve(config.summary.output_dir)
    config.writeback.companion_path = resolve(config.writeback.companion_path)


def load(path: Path | str | None = None) -> Config:
    """Read and check the config file; paths inside it are relative to the project root.

    The project root is the folder above ``config/`` when the file sits in one, so the
    bundled example runs from any working directory.
    """
    path = Path(path or os.environ.get("SEATBOT_CONFIG") or DEFAULT_PATH)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError(f"cannot read config file {path}: {error.strerror}") from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"config file {path} is not valid TOML: {error}") from None
    base = path.resolve().parent
    if base.name == "config":
        base = base.parent
    config = parse(raw, base)
    config.source_file = path
    return config

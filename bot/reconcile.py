"""Contracts x seats: the findings and the per-contract totals.

Everything here works on whole frames. Masks pick the rows that deserve a finding, and
only those few rows are turned into Finding records.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from bot.config import RulesConfig
from bot.findings import Finding
from bot.ingest import Table

STATUS_COUNTS = ("active", "suspended", "available", "retired")
# The columns a finding reads: only these are boxed into Python records.
CONTRACT_FACTS = (
    "row",
    "contract_id",
    "client",
    "status",
    "end_date",
    "purchased",
    "allocated",
    "free",
    "excess",
    "days_left",
    "notice_date",
    "days_to_notice",
    "price_per_seat",
)
SEAT_FACTS = (
    "seat_id",
    "contract_id",
    "client",
    "client_of_contract",
    "email",
    "assigned_to",
    "person",
    "expires_on",
    "end_date",
)


@dataclass
class Reconciliation:
    findings: list[Finding]
    totals: pd.DataFrame


def reconcile(
    contracts: Table, seats: Table, as_of: dt.date, rules: RulesConfig
) -> Reconciliation:
    """Compare the seats in use with the contracts that grant them, as of ``as_of``."""
    if not contracts.usable:
        return Reconciliation([], _empty_totals())

    today = pd.Timestamp(as_of)
    frame = contracts.frame
    seat_frame = seats.frame if seats.usable else seats.frame.iloc[0:0]

    known = seat_frame["contract_id"].isin(frame["contract_id"])
    held = seat_frame["contract_id"].isin(list(contracts.held_back))
    findings = _unknown_contracts(seats, seat_frame[~known & ~held])

    # Renamed before the join: pandas 3 deprecates join's rsuffix, and 2.x has no suffixes.
    of_contract = frame.set_index("contract_id")[["client", "end_date"]]
    of_contract = of_contract.rename(columns={"client": "client_of_contract"})
    linked = seat_frame[known].join(of_contract, on="contract_id")
    linked["allocated"] = linked["status"].isin(rules.allocated_statuses)
    findings += _client_mismatches(seats, linked)
    findings += _seat_expiry(seats, linked, today)
    findings += _duplicate_assignments(seats, linked)

    totals = _totals(frame, linked, today)
    findings += _contract_findings(contracts, totals, today, rules)
    return Reconciliation(findings, totals)


# --- per-contract totals ----------------------------------------------------------------


def _empty_totals() -> pd.DataFrame:
    columns = [
        "contract_id",
        "client",
        "product",
        "status",
        "end_date",
        "purchased",
        "allocated",
        *STATUS_COUNTS,
        "free",
        "excess",
        "days_left",
    ]
    return pd.DataFrame(columns=columns)


def _totals(frame: pd.DataFrame, linked: pd.DataFrame, today: pd.Timestamp) -> pd.DataFrame:
    totals = frame.copy()
    totals["row"] = totals.index
    totals = totals.reset_index(drop=True)
    totals["purchased"] = totals["seats"].astype("int64")

    # Seats counted per contract by position: each linked seat's contract id is looked
    # up once, then counted with bincount rather than grouped by string keys.
    codes, ids = pd.factorize(totals["contract_id"])
    position = pd.Index(ids).get_indexer(linked["contract_id"])
    status = linked["status"].to_numpy(dtype=object)
    for name in STATUS_COUNTS:
        totals[name] = _per_contract(position, status == name, codes)
    totals["allocated"] = _per_contract(position, linked["allocated"].to_numpy(bool), codes)
    totals["free"] = (totals["purchased"] - totals["allocated"]).clip(lower=0)
    totals["excess"] = (totals["allocated"] - totals["purchased"]).clip(lower=0)
    totals["days_left"] = (totals["end_date"] - today).dt.days
    notice = totals["end_date"] - pd.to_timedelta(totals["notice_days"].fillna(0), unit="D")
    totals["notice_date"] = notice
    totals["days_to_notice"] = (notice - today).dt.days
    ended = totals["end_date"] < today
    totals["ended"] = ended & ~totals["auto_renew"].astype(bool)
    totals["terminated"] = totals["status"].eq("terminated")
    totals["in_force"] = ~totals["terminated"] & ~totals["ended"]
    return totals


def _per_contract(position: np.ndarray, chosen: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """How many chosen seats each contract row has (0 for a row without an id)."""
    size = int(codes.max()) + 1 if len(codes) else 0
    counted = np.bincount(position[chosen & (position >= 0)], minlength=size)
    return np.append(counted, 0)[codes].astype("int64")


# --- contract-level findings ------------------------------------------------------------


def _contract_findings(contracts: Table, totals: pd.DataFrame, today, rules) -> list[Finding]:
    findings: list[Finding] = []
    facts = totals[list(CONTRACT_FACTS)]
    thresholds = np.array(sorted(rules.renewal_reminder_days))
    horizon = thresholds.max()
    auto = totals["auto_renew"].astype(bool)
    live = ~totals["terminated"]

    over = totals["in_force"] & totals["excess"].gt(0)
    findings += [_over_provisioned(contracts, c, rules) for c in _records(facts[over])]

    running_out = (
        totals["in_force"]
        & totals["status"].eq("active")
        & totals["purchased"].gt(0)
        & totals["excess"].eq(0)
        & totals["free"].le(rules.seats_running_out_at)
    )
    findings += [_running_out(contracts, c) for c in _records(facts[running_out])]

    renewing = live & ~auto & totals["days_left"].between(0, horizon)
    for c in _records(facts[renewing]):
        threshold = int(thresholds[np.searchsorted(thresholds, c["days_left"])])
        findings.append(_renewal_due(contracts, c, threshold))

    noticing = live & auto & totals["days_to_notice"].between(0, horizon)
    for c in _records(facts[noticing]):
        threshold = int(thresholds[np.searchsorted(thresholds, c["days_to_notice"])])
        findings.append(_notice_deadline(contracts, c, threshold))

    ended = totals["ended"] & ~totals["terminated"] & totals["allocated"].gt(0)
    findings += [_ended(contracts, c) for c in _records(facts[ended])]

    terminated = totals["terminated"] & totals["allocated"].gt(0)
    findings += [_terminated(contracts, c) for c in _records(facts[terminated])]
    return findings


def _records(frame: pd.DataFrame) -> list[dict]:
    """``frame.to_dict("records")``, the same values, built a column at a time.

    to_dict("records") boxes one cell at a time through each column's iterator. Here
    numpy columns convert whole (tolist), and the columns pandas boxes (extension and
    object dtypes: NA becomes None) go through to_dict("list"), which boxes them alike.
    """
    if frame.empty:
        return []
    boxed = [
        name
        for name, dtype in frame.dtypes.items()
        if dtype == np.dtype(object) or isinstance(dtype, pd.api.extensions.ExtensionDtype)
    ]
    listed = frame[boxed].to_dict("list") if boxed else {}
    columns = [
        listed[name] if name in listed else column.tolist() for name, column in frame.items()
    ]
    names = list(frame.columns)
    return [dict(zip(names, values, strict=True)) for values in zip(*columns, strict=True)]


@lru_cache(maxsize=65536)
def _day(value) -> str:
    # Cached: thousands of findings share a few hundred end and expiry dates.
    return pd.Timestamp(value).date().isoformat()


def _in_days(days: int) -> str:
    if days == 0:
        return "today"
    return "tomorrow" if days == 1 else f"in {days} days"


def _contract_finding(contracts: Table, c: dict, field: str, **kwargs) -> Finding:
    column = contracts.columns.get(field)
    cell = f"{column.letter}{c['row']}" if column else None
    return Finding(
        subject=c["contract_id"],
        client=c["client"],
        contract_id=c["contract_id"],
        tab=contracts.tab,
        row=int(c["row"]),
        column=column.header if column else None,
        cell=cell,
        **kwargs,
    )


def _over_provisioned(contracts: Table, c: dict, rules: RulesConfig) -> Finding:
    excess = int(c["excess"])
    price = c.get("price_per_seat")
    true_up = ""
    facts = {"excess": excess, "allocated": int(c["allocated"]), "purchased": c["purchased"]}
    if price is not None and not pd.isna(price):
        amount = round(excess * float(price), 2)
        facts["true_up"] = amount
        true_up = f" (a true-up of {amount:,.2f} {rules.currency})"
    return _contract_finding(
        contracts,
        c,
        "seats",
        kind="over_provisioned",
        severity="critical",
        value=int(c["purchased"]),
        facts=facts,
        message=(
            f"{c['client']} has {c['allocated']} seats allocated on {c['contract_id']} but "
            f"bought {c['purchased']}, {excess} over; invoice the extra seats{true_up} "
            f"or retire {excess}."
        ),
    )


def _running_out(contracts: Table, c: dict) -> Finding:
    return _contract_finding(
        contracts,
        c,
        "seats",
        kind="seats_running_out",
        severity="info",
        value=int(c["purchased"]),
        facts={"free": int(c["free"])},
        message=(
            f"{c['client']} has {c['free']} of {c['purchased']} seats free on "
            f"{c['contract_id']}; a good moment to offer more seats."
        ),
    )


def _renewal_due(contracts: Table, c: dict, threshold: int) -> Finding:
    days = int(c["days_left"])
    return _contract_finding(
        contracts,
        c,
        "end_date",
        kind="renewal_due",
        severity="critical" if days <= 7 else "warning",
        value=_day(c["end_date"]),
        facts={"threshold": threshold, "end_date": _day(c["end_date"]), "days_left": days},
        message=(
            f"{c['contract_id']} for {c['client']} ({c['purchased']} seats) ends on "
            f"{_day(c['end_date'])}, {_in_days(days)}; confirm the renewal with the client."
        ),
    )


def _notice_deadline(contracts: Table, c: dict, threshold: int) -> Finding:
    days = int(c["days_to_notice"])
    return _contract_finding(
        contracts,
        c,
        "notice_days" if "notice_days" in contracts.columns else "end_date",
        kind="notice_deadline",
        severity="critical" if days <= 7 else "warning",
        value=_day(c["notice_date"]),
        facts={
            "threshold": threshold,
            "end_date": _day(c["end_date"]),
            "notice_date": _day(c["notice_date"]),
            "days_left": days,
        },
        message=(
            f"{c['contract_id']} for {c['client']} renews itself on {_day(c['end_date'])}; "
            f"notice to cancel or change it is due by {_day(c['notice_date'])}, "
            f"{_in_days(days)}, so decide now."
        ),
    )


def _ended(contracts: Table, c: dict) -> Finding:
    return _contract_finding(
        contracts,
        c,
        "end_date",
        kind="contract_ended_seats_active",
        severity="critical",
        value=_day(c["end_date"]),
        facts={"end_date": _day(c["end_date"]), "allocated": int(c["allocated"])},
        message=(
            f"{c['contract_id']} for {c['client']} ended on {_day(c['end_date'])} but "
            f"{c['allocated']} seats are still allocated; renew it or retire the seats."
        ),
    )


def _terminated(contracts: Table, c: dict) -> Finding:
    return _contract_finding(
        contracts,
        c,
        "status",
        kind="contract_terminated_seats_active",
        severity="critical",
        value=c["status"],
        facts={"allocated": int(c["allocated"])},
        message=(
            f"{c['contract_id']} for {c['client']} is terminated but {c['allocated']} "
            "seats are still allocated; retire them."
        ),
    )


# --- seat-level findings ----------------------------------------------------------------


def _seat_finding(seats: Table, s: dict, field: str, **kwargs) -> Finding:
    column = seats.columns.get(field)
    cell = f"{column.letter}{s['row']}" if column else None
    return Finding(
        subject=s["seat_id"],
        contract_id=s["contract_id"],
        tab=seats.tab,
        row=int(s["row"]),
        column=column.header if column else None,
        cell=cell,
        **kwargs,
    )


def _seat_records(frame: pd.DataFrame) -> list[dict]:
    facts = frame[[name for name in SEAT_FACTS if name in frame.columns]]
    return _records(facts.assign(row=frame.index))


def _unknown_contracts(seats: Table, orphans: pd.DataFrame) -> list[Finding]:
    return [
        _seat_finding(
            seats,
            s,
            "contract_id",
            kind="unknown_contract",
            severity="warning",
            client=s["client"] if isinstance(s["client"], str) else None,
            value=s["contract_id"],
            message=(
                f"Seat {s['seat_id']} names contract {s['contract_id']}, which is not in the "
                "Contracts tab; correct the contract id or add the contract."
            ),
        )
        for s in _seat_records(orphans)
    ]


def _folded(text: pd.Series) -> pd.Series:
    """Text as compared: stripped and casefolded; blanks stay NA.

    The same as ``.str.strip().str.casefold()``, with the string methods mapped in C
    rather than through a Python lambda per cell (a million cells a column).
    """
    present = text.notna().to_numpy()
    cells = np.full(len(text), pd.NA, dtype=object)
    if present.any():
        given = text.to_numpy(dtype=object)[present]
        cells[present] = list(map(str.casefold, map(str.strip, given)))
    return pd.Series(pd.array(cells, dtype="string"), index=text.index)


def _client_mismatches(seats: Table, linked: pd.DataFrame) -> list[Finding]:
    given = linked["client"].notna()
    # Cells equal as written are equal folded: only the rest are stripped and folded.
    maybe = given & linked["client"].ne(linked["client_of_contract"]).fillna(True)
    candidates = linked[maybe]
    folded_apart = _folded(candidates["client"]) != _folded(candidates["client_of_contract"])
    differs = pd.Series(False, index=linked.index)
    differs[maybe] = folded_apart.fillna(False).to_numpy(dtype=bool)
    return [
        _seat_finding(
            seats,
            s,
            "client",
            kind="client_mismatch",
            severity="warning",
            client=s["client_of_contract"],
            value=s["client"],
            message=(
                f"Seat {s['seat_id']} is filed under {s['client']} but its contract "
                f"{s['contract_id']} belongs to {s['client_of_contract']}; correct the "
                "seat's client or move it to the right contract."
            ),
        )
        for s in _seat_records(linked[differs])
    ]


def _seat_expiry(seats: Table, linked: pd.DataFrame, today) -> list[Finding]:
    own_expiry = linked["expires_on"].notna()
    outlives = (
        own_expiry
        & linked["status"].ne("retired")
        & (linked["expires_on"] > linked["end_date"]).fillna(False)
    )
    findings = [
        _seat_finding(
            seats,
            s,
            "expires_on",
            kind="seat_outlives_contract",
            severity="warning",
            client=s["client_of_contract"],
            value=_day(s["expires_on"]),
            facts={"expires_on": _day(s["expires_on"]), "end_date": _day(s["end_date"])},
            message=(
                f"Seat {s['seat_id']} expires on {_day(s['expires_on'])}, after its contract "
                f"{s['contract_id']} ends on {_day(s['end_date'])}; shorten the seat's "
                "expiry or extend the contract."
            ),
        )
        for s in _seat_records(linked[outlives])
    ]
    expired = own_expiry & linked["status"].eq("active") & (linked["expires_on"] < today)
    findings += [
        _seat_finding(
            seats,
            s,
            "expires_on",
            kind="seat_expired_active",
            severity="warning",
            client=s["client_of_contract"],
            value=_day(s["expires_on"]),
            facts={"expires_on": _day(s["expires_on"])},
            message=(
                f"Seat {s['seat_id']} expired on {_day(s['expires_on'])} but is still "
                "active; retire it or extend its expiry."
            ),
        )
        for s in _seat_records(linked[expired])
    ]
    return findings


def _duplicate_assignments(seats: Table, linked: pd.DataFrame) -> list[Finding]:
    # Only the columns a finding reads are copied, for what is nearly every seat.
    holders = linked.loc[
        linked["allocated"],
        ["seat_id", "contract_id", "email", "assigned_to", "client_of_contract"],
    ]
    person = _folded(holders["email"])
    # A name stands in for a missing email; only those names are folded.
    named = holders["assigned_to"].where(person.isna())
    person = person.fillna(_folded(named))
    person = person.replace("", pd.NA)
    holders = holders.assign(person=person)
    holders = holders[holders["person"].notna()]
    sharing = holders.duplicated(["contract_id", "person"], keep=False)
    if not sharing.any():
        return []
    # Only the people who hold more than one seat need their seats listed; grouping every
    # holder joins strings for a million groups to read a handful.
    holders = holders[sharing]
    repeated = holders.duplicated(["contract_id", "person"], keep="first")
    seat_ids = holders.groupby(["contract_id", "person"])["seat_id"].agg(", ".join)
    findings = []
    for s in _seat_records(holders[repeated]):
        who = s["email"] if isinstance(s["email"], str) else s["assigned_to"]
        held = seat_ids[(s["contract_id"], s["person"])]
        findings.append(
            _seat_finding(
                seats,
                s,
                "email" if isinstance(s["email"], str) else "assigned_to",
                kind="duplicate_assignment",
                severity="warning",
                client=s["client_of_contract"],
                value=who,
                facts={"person": s["person"]},
                message=(
                    f"{who} holds more than one allocated seat on {s['contract_id']} "
                    f"({held}); retire or reassign seat {s['seat_id']}."
                ),
            )
        )
    return findings

"""Time each stage of a poll as the register grows, and count what one poll asks of APIs.

    .venv/bin/python -m benchmarks.run                       # 10k, 100k and 1M seats
    .venv/bin/python -m benchmarks.run --sizes 1k,10k --repeat 1 --requests-seats 1000

Each size runs in a fresh subprocess, so its peak memory (``ru_maxrss`` from
getrusage: the largest resident set the process ever had, imports included) belongs to
that size alone. The subprocess starts from the JSON body a values:batchGet answers
with, as a poll does, and times:

- the floor: decoding that JSON, and building a plain DataFrame from the rows;
- parse (header finding, value parsing), validate (pandera), reconcile and render (the
  console digest and every channel's Slack digest), the seatbot stages of the target;
- the weekly summary's render (its numbers, Block Kit, Markdown and chart), on its own:
  it runs once a week, not in every poll;
- the alert diff against the SQLite state store, on the first poll (every finding
  new) and in the steady state (the same findings again);
- the baseline a team would write by hand: gspread's get_all_records on the same rows
  (its value conversion, run on the FORMATTED_VALUE grid it would fetch) and then a
  Python loop over the rows that checks seat counts and renewal dates.

The request count runs one register through the local Sheets and Slack stand-ins over
real HTTP: a first poll, a second with nothing changed, a third after one edit.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pandas as pd

from benchmarks.generate import TABS, generate

REPO = Path(__file__).resolve().parent.parent
# A poll renders alert digests; the weekly summary (timed on its own row) runs once a
# week, and issue 6 asks only that it take seconds.
TARGET_STAGES = ("parse", "validate", "reconcile", "render_digests")
FLOOR_STAGES = ("decode", "frame")
LARGE = 1_000_000
WARM_UP_SEATS = 1000
ALLOCATED = ("active", "suspended")


# --- one size, in its own process --------------------------------------------------------


def measure(seats: int, workdir: Path, repeat: int, baseline: bool) -> dict[str, Any]:
    """Every stage's median time over ``repeat`` passes, peak memory, the baseline."""
    # A poll runs in a long-lived process: pay imports and first-call costs (pandera's
    # schema set-up, matplotlib's fonts) on a small register before the clock starts.
    _one_pass(WARM_UP_SEATS, workdir, 0)
    passes = [_one_pass(seats, workdir, number) for number in range(repeat)]
    result: dict[str, Any] = {
        "seats": seats,
        "repeat": repeat,
        "seconds": {
            stage: statistics.median(p["seconds"][stage] for p in passes)
            for stage in passes[0]["seconds"]
        },
        "counts": passes[0]["counts"],
        "rss_after_decode_mib": passes[0]["rss_after_decode_mib"],
        "peak_rss_by_stage_mib": passes[0]["peak_rss_by_stage_mib"],
        "peak_rss_mib": _peak_rss_mib(),
    }
    if baseline:
        runs = [_baseline(seats, workdir) for _ in range(repeat)]
        result["baseline"] = {
            stage: statistics.median(run[stage] for run in runs) for stage in runs[0]
        }
    return result


def _one_pass(seats: int, workdir: Path, number: int) -> dict[str, Any]:
    from bot import alerts
    from bot import report as report_module
    from bot.digest import render as render_digest
    from bot.findings import most_urgent_first
    from bot.ingest import read_table
    from bot.poll import Report, collector_paused
    from bot.reconcile import reconcile
    from bot.source import RawTab
    from bot.state import Store
    from bot.validate import validate
    from schemas import contracts as contracts_schema
    from schemas import seats as seats_schema

    config = _config()
    as_of = generate_as_of()
    seconds: dict[str, float] = {}
    # ru_maxrss after each stage: the process's peak so far, to tell which stage set it.
    peaks: dict[str, float] = {}
    gc.collect()

    started = time.perf_counter()
    answer = json.loads(_body_path(workdir, seats).read_bytes())
    tabs = {
        tab: RawTab(tab, value_range.get("values", []))
        for tab, value_range in zip(TABS, answer["valueRanges"], strict=True)
    }
    del answer
    seconds["decode"] = time.perf_counter() - started
    peaks["decode"] = _peak_rss_mib()
    rss_after_decode = _current_rss_mib()

    started = time.perf_counter()
    frames = [pd.DataFrame(tab.grid) for tab in tabs.values()]
    seconds["frame"] = time.perf_counter() - started
    peaks["frame"] = _peak_rss_mib()
    del frames

    # As poll.check does: the cyclic collector paused from parse to reconcile, and each
    # grid let go once its frame exists.
    with collector_paused():
        started = time.perf_counter()
        parsed = {
            role: read_table(
                role, tabs.pop(tab), aliases=config.aliases.get(role, {}), date_order="dmy"
            )
            for role, tab in zip(("contracts", "seats"), TABS, strict=True)
        }
        seconds["parse"] = time.perf_counter() - started
        peaks["parse"] = _peak_rss_mib()

        started = time.perf_counter()
        contracts = validate(*parsed["contracts"], contracts_schema)
        seat_table = validate(*parsed["seats"], seats_schema)
        seconds["validate"] = time.perf_counter() - started
        peaks["validate"] = _peak_rss_mib()
        del parsed

        started = time.perf_counter()
        outcome = reconcile(contracts, seat_table, as_of, config.rules)
        findings = most_urgent_first(contracts.findings + seat_table.findings + outcome.findings)
        report = Report(
            as_of, "benchmark register", findings, outcome.totals, contracts, seat_table
        )
        seconds["reconcile"] = time.perf_counter() - started
        peaks["reconcile"] = _peak_rss_mib()

    state = workdir / f"state-{seats}-{number}.sqlite"
    for leftover in workdir.glob(f"{state.name}*"):
        leftover.unlink()
    store = Store(state)
    routing = alerts.Routing.from_totals(report.totals, config.slack)
    started = time.perf_counter()
    with store.transaction():
        alerts.plan(store, findings, routing)
    seconds["alerts_first"] = time.perf_counter() - started
    peaks["alerts_first"] = _peak_rss_mib()
    pending = alerts.pending_by_channel(store)

    started = time.perf_counter()
    text = report_module.digest(report)
    digests = [
        render_digest(channel, notices, f"benchmark register · as of {as_of.isoformat()}")
        for channel, notices in sorted(pending.items())
    ]
    seconds["render_digests"] = time.perf_counter() - started
    peaks["render_digests"] = _peak_rss_mib()
    seconds["render_summary"] = _render_summary(report, config)
    peaks["render_summary"] = _peak_rss_mib()

    for notices in pending.values():
        alerts.mark_delivered(store, notices)
    started = time.perf_counter()
    with store.transaction():
        alerts.plan(store, findings, routing)
    seconds["alerts_steady"] = time.perf_counter() - started
    peaks["alerts_steady"] = _peak_rss_mib()
    store.close()

    counts = {
        "contracts": len(report.totals),
        "seat_rows": seat_table.rows_read,
        "findings": len(findings),
        "channels": len(digests),
        "slack_messages": sum(len(d.messages) for d in digests),
        "digest_lines": text.count("\n") + 1,
    }
    return {
        "seconds": seconds,
        "counts": counts,
        "rss_after_decode_mib": rss_after_decode,
        "peak_rss_by_stage_mib": peaks,
    }


def _render_summary(report, config) -> float:
    """The weekly summary's render stage: its numbers, Block Kit, Markdown and chart."""
    try:
        from bot import chart, summary
    except ImportError:  # a checkout from before the weekly summary
        return 0.0
    started = time.perf_counter()
    weekly = summary.compute(report, config)
    summary.render_blocks(weekly, config.summary.top_clients)
    summary.render_markdown(weekly, "chart.png")
    chart.render(weekly, top=config.summary.top_clients)
    return time.perf_counter() - started


def _config():
    from bot import config

    return config.parse({"register": {"source": "google_sheets", "spreadsheet": "benchmark"}})


def generate_as_of() -> dt.date:
    from benchmarks.generate import AS_OF

    return AS_OF


def _peak_rss_mib() -> float:
    # Linux reports ru_maxrss in KiB.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _current_rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


# --- the hand-written baseline -----------------------------------------------------------


def _baseline(seats: int, workdir: Path) -> dict[str, float]:
    answer = json.loads(_body_path(workdir, seats, formatted=True).read_bytes())
    grids = [value_range["values"] for value_range in answer["valueRanges"]]
    gc.collect()

    started = time.perf_counter()
    # Header rows as people lay them out: Contracts under a title and a blank row.
    contract_rows = _get_all_records(grids[0], head=3)
    seat_rows = _get_all_records(grids[1], head=2)
    convert = time.perf_counter() - started

    started = time.perf_counter()
    lines = hand_written_check(contract_rows, seat_rows, generate_as_of())
    text = "\n".join(lines)
    loop = time.perf_counter() - started
    assert text or not lines
    return {"convert": convert, "loop": loop, "total": convert + loop, "alerts": len(lines)}


def _get_all_records(grid: list[list[str]], head: int) -> list[dict[str, Any]]:
    """gspread's own Worksheet.get_all_records, on values already fetched."""
    from gspread.utils import fill_gaps
    from gspread.worksheet import Worksheet

    class Fetched(Worksheet):
        def __init__(self, values: list[list[str]]) -> None:
            self.values = values

        def get(self, *args: Any, **kwargs: Any) -> list[list[str]]:
            return fill_gaps(self.values)  # what get(pad_values=True) does to the answer

    return Fetched(grid).get_all_records(head=head)


def hand_written_check(contracts: list[dict], seats: list[dict], as_of: dt.date) -> list[str]:
    """What a team writes first: count allocated seats, compare, look at end dates."""
    lines = []
    by_id = {}
    for row in contracts:
        contract_id = str(row["Contract #"]).strip()
        if not contract_id:
            continue
        try:
            purchased = int(str(row["Seats Purchased"]).replace(",", ""))
            end = _day(row["Renewal Date"])
        except ValueError:
            lines.append(f"{contract_id}: cannot read seats or renewal date")
            continue
        by_id[contract_id] = {
            "client": row["Customer"],
            "purchased": purchased,
            "end": end,
            "status": str(row["Status"]).strip().lower(),
            "auto": str(row["Auto-renew?"]).strip().lower() in ("yes", "y", "true", "1"),
        }

    allocated: Counter[str] = Counter()
    for row in seats:
        contract_id = str(row["Contract"]).strip()
        if contract_id and contract_id not in by_id:
            lines.append(f"seat {row['Licence Key']}: unknown contract {contract_id}")
            continue
        if str(row["Seat Status"]).strip().lower() in ALLOCATED:
            allocated[contract_id] += 1

    for contract_id, c in by_id.items():
        used = allocated[contract_id]
        days = (c["end"] - as_of).days
        if used > c["purchased"]:
            lines.append(f"{c['client']} {contract_id}: {used} seats used of {c['purchased']}")
        if c["status"] == "terminated" and used:
            lines.append(f"{c['client']} {contract_id}: terminated, {used} seats live")
        elif days < 0 and not c["auto"] and used:
            lines.append(f"{c['client']} {contract_id}: ended {c['end']}, {used} seats live")
        elif 0 <= days <= 90 and not c["auto"]:
            lines.append(f"{c['client']} {contract_id}: renews in {days} days")
    return lines


def _day(text: Any) -> dt.date:
    text = str(text).strip()
    try:
        return dt.datetime.strptime(text, "%m/%d/%Y").date()
    except ValueError:
        return dt.date.fromisoformat(text)


# --- requests to the stand-ins -----------------------------------------------------------


def count_requests(seats: int, workdir: Path) -> dict[str, Any]:
    """One register through the Sheets and Slack stand-ins: what each poll asked for."""
    sys.path.insert(0, str(REPO / "tests"))
    from google.oauth2.credentials import Credentials
    from sheets_standin import SheetsStandin
    from slack_standin import DEFAULT_CHANNELS, SlackStandIn

    from benchmarks.generate import CHANNELS
    from bot import config as config_module
    from bot import job
    from bot.gsheet import GoogleSheetsSource
    from bot.slack import SlackDelivery, SlackTransport
    from bot.state import Store

    register = generate(seats)
    cells = register.cells()
    channels = {
        **DEFAULT_CHANNELS,
        **{name.lstrip("#"): f"C0BENCH{n}" for n, name in enumerate(CHANNELS)},
    }
    polls = []
    with SheetsStandin() as sheets, SlackStandIn(channels) as slack:
        key = sheets.create_spreadsheet("Seat register", cells)
        config = config_module.parse(
            {
                "register": {"source": "google_sheets", "spreadsheet": key},
                "slack": {"api_url": slack.api_url},
            }
        )
        # A token that is already valid: signing in is not a Sheets API request.
        source = GoogleSheetsSource(
            key, credentials=Credentials(token="benchmark"), adapter=sheets.adapter()
        )
        delivery = SlackDelivery(SlackTransport(token=slack.token, base_url=slack.api_url))
        state = workdir / f"requests-{seats}.sqlite"
        for leftover in workdir.glob(f"{state.name}*"):
            leftover.unlink()
        store = Store(state)

        def poll(label: str) -> None:
            sheets_before, slack_before = len(sheets.api_calls()), len(slack.requests)
            result = job.run_poll(config, source, store, delivery, register.as_of)
            sheet_calls = Counter(sheets.api_calls()[sheets_before:])
            posted = [r for r in slack.requests[slack_before:]]
            polls.append(
                {
                    "poll": label,
                    "sheets": dict(sheet_calls),
                    "sheets_reads": sum(n for api, n in sheet_calls.items() if _is_read(api)),
                    "sheets_writes": sum(n for api, n in sheet_calls.items() if not _is_read(api)),
                    **_slack_counts(posted),
                    "digests": _limits(result.outcome.digests),
                    "errors": [str(e) for e in result.outcome.errors],
                }
            )

        poll("first poll")
        poll("nothing changed")
        # One edit: a contract's purchased seats typed as 0 makes it over-provisioned.
        edited = next(row for row in cells[TABS[0]][3:] if row and row[0])
        edited[3] = 0
        sheets.set_values(key, TABS[0], cells[TABS[0]])
        poll("one cell edited")
        store.close()
    return {"seats": seats, "polls": polls, "baseline": _baseline_requests(register)}


def _is_read(api: str) -> bool:
    return api in ("spreadsheets.get", "values.get", "values.batchGet")


def _slack_counts(requests: list) -> dict[str, Any]:
    posts = [r for r in requests if r.api_method == "chat.postMessage"]
    top = Counter(str(r.body.get("channel")) for r in posts if not r.body.get("thread_ts"))
    replies = Counter(str(r.body.get("channel")) for r in posts if r.body.get("thread_ts"))
    other = Counter(r.api_method or r.path for r in requests if r not in posts)
    return {
        "slack_messages": dict(top),
        "slack_replies": dict(replies),
        "slack_other": dict(other),
    }


def _limits(digests: list) -> dict[str, dict[str, int]]:
    """Per channel: messages sent, and the fewest Slack's limits allow."""
    from bot.slack import MAX_BLOCKS, MAX_MESSAGE_BLOCK_TEXT

    shown = {}
    for digest in digests:
        blocks = [b for m in digest.messages for b in m.blocks]
        chars = sum(_block_chars(b) for b in blocks)
        least = max(-(-len(blocks) // MAX_BLOCKS), -(-chars // MAX_MESSAGE_BLOCK_TEXT), 1)
        shown[digest.channel] = {
            "notices": len(digest.notices),
            "messages": len(digest.messages),
            "fewest_possible": least,
        }
    return shown


def _block_chars(block: dict[str, Any]) -> int:
    text = block.get("text")
    chars = len(text.get("text", "")) if isinstance(text, dict) else 0
    return chars + sum(len(e.get("text", "")) for e in block.get("elements", []))


def _baseline_requests(register) -> dict[str, int]:
    """The hand-written script's requests: open the sheet, get_all_records per tab."""
    from google.auth.transport.requests import AuthorizedSession
    from google.oauth2.credentials import Credentials
    from gspread import Client
    from gspread.http_client import HTTPClient
    from sheets_standin import SheetsStandin

    with SheetsStandin() as sheets:
        key = sheets.create_spreadsheet("Seat register", register.cells())
        credentials = Credentials(token="benchmark")
        session = AuthorizedSession(credentials)
        session.mount("https://", sheets.adapter())
        client = Client(auth=credentials)
        client.http_client = HTTPClient(auth=credentials, session=session)
        spreadsheet = client.open_by_key(key)
        spreadsheet.worksheet(TABS[0]).get_all_records(head=3)
        spreadsheet.worksheet(TABS[1]).get_all_records(head=2)
        return dict(Counter(sheets.api_calls()))


# --- the parent: sizes, subprocesses, the table ------------------------------------------


def _body_path(workdir: Path, seats: int, *, formatted: bool = False) -> Path:
    return workdir / f"register-{seats}{'-formatted' if formatted else ''}.json"


def prepare(seats: int, workdir: Path, baseline: bool) -> None:
    """Write the register's batchGet bodies once; later runs reuse them."""
    raw, formatted = _body_path(workdir, seats), _body_path(workdir, seats, formatted=True)
    if raw.exists() and (formatted.exists() or not baseline):
        return
    register = generate(seats)
    raw.write_bytes(register.batch_get_body())
    if baseline:
        formatted.write_bytes(register.batch_get_body(formatted=True))


def run_size(seats: int, workdir: Path, repeat: int, baseline: bool) -> dict[str, Any]:
    command = [
        sys.executable,
        "-m",
        "benchmarks.run",
        "--child",
        str(seats),
        "--workdir",
        str(workdir),
        "--repeat",
        str(repeat),
    ]
    if not baseline:
        command.append("--no-baseline")
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"benchmark at {seats} seats failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def machine() -> dict[str, Any]:
    import numpy
    import pandera

    memory = "unknown"
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            memory = f"{int(line.split()[1]) / 1024**2:.1f} GiB"
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    return {
        "load_average": [round(load, 2) for load in os.getloadavg()],
        "cpu": model,
        "cores": len(os.sched_getaffinity(0)),
        "memory": memory,
        "python": platform.python_version(),
        "pandas": pd.__version__,
        "pandera": pandera.__version__,
        "numpy": numpy.__version__,
    }


def _size_label(seats: int) -> str:
    if seats >= LARGE and seats % LARGE == 0:
        return f"{seats // LARGE}M"
    if seats >= 1000 and seats % 1000 == 0:
        return f"{seats // 1000}k"
    return str(seats)


def table(results: list[dict[str, Any]]) -> str:
    header = "| | " + " | ".join(f"{_size_label(r['seats'])} seats" for r in results) + " |"
    lines = [header, "|---" * (len(results) + 1) + "|"]

    def row(label: str, values: list[str]) -> None:
        lines.append(f"| {label} | " + " | ".join(values) + " |")

    def seconds(r: dict, stage: str) -> float:
        return r["seconds"][stage]

    row(
        "contracts / findings",
        [f"{r['counts']['contracts']} / {r['counts']['findings']}" for r in results],
    )
    row("floor: JSON decode", [f"{seconds(r, 'decode'):.3f} s" for r in results])
    row("floor: DataFrame from rows", [f"{seconds(r, 'frame'):.3f} s" for r in results])
    for stage, label in (
        ("parse", "parse / normalise"),
        ("validate", "validate (pandera)"),
        ("reconcile", "reconcile"),
        ("render_digests", "render: alert digests (console + Slack)"),
        ("render_summary", "render: weekly summary (numbers, blocks, Markdown, chart)"),
    ):
        row(label, [f"{seconds(r, stage):.3f} s" for r in results])
    row(
        "**parse + validate + reconcile + render (digests)**",
        [f"**{_target_seconds(r):.3f} s**" for r in results],
    )
    row("alert diff, first poll", [f"{seconds(r, 'alerts_first'):.3f} s" for r in results])
    row("alert diff, steady state", [f"{seconds(r, 'alerts_steady'):.3f} s" for r in results])
    row("peak RSS (ru_maxrss)", [f"{r['peak_rss_mib']:.0f} MiB" for r in results])
    row("RSS after JSON decode", [f"{r['rss_after_decode_mib']:.0f} MiB" for r in results])
    for stage, label in (
        ("frame", "peak RSS by the end of the floor's DataFrame"),
        ("reconcile", "peak RSS by the end of reconcile"),
        ("alerts_first", "peak RSS by the end of the first alert diff"),
        ("render_digests", "peak RSS by the end of the digests"),
    ):
        row(label, [f"{r['peak_rss_by_stage_mib'][stage]:.0f} MiB" for r in results])
    if all("baseline" in r for r in results):
        row("baseline: get_all_records", [f"{r['baseline']['convert']:.3f} s" for r in results])
        row("baseline: loop over rows", [f"{r['baseline']['loop']:.3f} s" for r in results])
        row("baseline total", [f"{r['baseline']['total']:.3f} s" for r in results])
        row(
            "**baseline / seatbot**",
            [f"**{r['baseline']['total'] / _target_seconds(r):.1f}×**" for r in results],
        )
    return "\n".join(lines)


def _target_seconds(result: dict[str, Any]) -> float:
    return sum(result["seconds"][stage] for stage in TARGET_STAGES)


def verdicts(results: list[dict[str, Any]]) -> list[str]:
    """Each target of issue 7 that these sizes can judge: met or missed, with numbers."""
    by_size = {r["seats"]: r for r in results}
    said = []

    def mark(met: bool, text: str) -> None:
        said.append(f"- {'met' if met else 'MISSED'}: {text}")

    small, large = by_size.get(100_000), by_size.get(LARGE)
    if small:
        took = _target_seconds(small)
        mark(took <= 1.0, f"100k seats parse+validate+reconcile+digests {took:.2f} s (≤ 1.0 s)")
        floor = small["seconds"]["decode"] + small["seconds"]["frame"]
        mark(
            took - floor <= floor,
            f"seatbot's stages {took:.2f} s vs floor {floor:.2f} s "
            "(aim: what seatbot adds costs no more than the floor)",
        )
        if "baseline" in small:
            ratio = small["baseline"]["total"] / took
            mark(ratio >= 5, f"{ratio:.1f}× faster than the hand-written baseline (≥ 5×)")
    if large:
        took = _target_seconds(large)
        mark(took <= 10, f"1M seats {took:.2f} s (≤ 10 s)")
        peak = large["peak_rss_mib"]
        mark(peak <= 1024, f"1M seats peak memory {peak:.0f} MiB (≤ 1 GiB)")
    if small and large:
        growth = _target_seconds(large) / _target_seconds(small)
        mark(growth <= 12, f"1M / 100k = {growth:.1f}× (≤ 12×)")
    return said


def parse_sizes(text: str) -> list[int]:
    sizes = []
    for part in text.split(","):
        part = part.strip().lower()
        scale = {"k": 1000, "m": LARGE}.get(part[-1:], 1)
        sizes.append(int(float(part.rstrip("km")) * scale))
    return sizes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10k,100k,1M", help="seat counts, e.g. 10k,100k,1M")
    parser.add_argument("--repeat", type=int, default=3, help="passes per size (1M: one)")
    parser.add_argument("--workdir", type=Path, help="where registers and state files go")
    parser.add_argument(
        "--requests-seats",
        type=int,
        default=10_000,
        help="register size for the request count through the stand-ins (0 skips it)",
    )
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    workdir = args.workdir or Path(tempfile.gettempdir()) / "seatbot-benchmark"
    workdir.mkdir(parents=True, exist_ok=True)
    baseline = not args.no_baseline

    if args.child:
        print(json.dumps(measure(args.child, workdir, args.repeat, baseline)))
        return 0

    results = []
    prepare(WARM_UP_SEATS, workdir, baseline=False)
    for seats in parse_sizes(args.sizes):
        prepare(seats, workdir, baseline)
        repeat = 1 if seats >= LARGE else args.repeat
        results.append(run_size(seats, workdir, repeat, baseline))
        print(f"measured {_size_label(seats)} seats", file=sys.stderr)
    requests = count_requests(args.requests_seats, workdir) if args.requests_seats else None

    info = machine()
    print(
        f"{info['cpu']}, {info['cores']} cores, {info['memory']}; Python {info['python']}, "
        f"pandas {info['pandas']}, pandera {info['pandera']}, numpy {info['numpy']}; "
        f"load average at the end {info['load_average']}\n"
    )
    print(table(results))
    print()
    print("\n".join(verdicts(results)))
    if requests:
        print()
        print(requests_text(requests))
    if args.json:
        args.json.write_text(
            json.dumps({"machine": info, "sizes": results, "requests": requests}, indent=2)
        )
    return 0


def requests_text(requests: dict[str, Any]) -> str:
    lines = [f"Requests at {_size_label(requests['seats'])} seats:"]
    for poll in requests["polls"]:
        lines.append(
            f"- {poll['poll']}: Sheets {poll['sheets']} ({poll['sheets_reads']} read, "
            f"{poll['sheets_writes']} write); Slack top-level messages "
            f"{poll['slack_messages']}, thread replies {poll['slack_replies']}, other "
            f"{poll['slack_other']}"
        )
        for channel, shown in poll["digests"].items():
            lines.append(
                f"  - {channel}: {shown['notices']} alerts in {shown['messages']} messages "
                f"(fewest Slack's limits allow: {shown['fewest_possible']})"
            )
        if poll["errors"]:
            lines.append(f"  - errors: {poll['errors']}")
    lines.append(f"- hand-written gspread script: Sheets {requests['baseline']}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())

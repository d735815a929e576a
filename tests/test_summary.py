"""The weekly summary: its numbers, its chart, its week-over-week changes, its delivery.

Registers are real .xlsx files polled end to end; the state store is real SQLite; Slack
is the local stand-in over HTTP. Nothing of seatbot's own is mocked.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
from pathlib import Path

import matplotlib.image
import pytest
from registers import (
    AS_OF,
    REPO,
    D,
    contract,
    make_config,
    seat,
    seats_on,
    write_register,
)
from slack_standin import SlackStandIn, block_limit_error

from bot import alerts, chart, config, notify, summary
from bot.config import Config
from bot.console import ConsoleDelivery
from bot.poll import check
from bot.slack import SlackDelivery, SlackTransport
from bot.state import Store
from bot.workbook import WorkbookSource

BUNDLED = REPO / "examples" / "register.xlsx"


def small_register(path: Path) -> Path:
    """Seven contracts whose summary is worked out in the comments."""
    contracts = [
        # 12 allocated of 10 at 20 a seat: a true-up of 2 x 20 = 40.00
        contract("C-A1", client="Acme", seats=10, price_per_seat=20),
        # renews in 20 days using 5 of 20 seats (25%): at risk
        contract("C-B1", client="Beta", seats=20, end_date=AS_OF + dt.timedelta(days=20)),
        # renews itself in 75 days using 7 of 8 (87.5%): renewing, not at risk
        contract(
            "C-B2",
            client="Beta",
            seats=8,
            end_date=AS_OF + dt.timedelta(days=75),
            auto_renew="yes",
        ),
        # 7 allocated of 5 and no price: a true-up without an amount
        contract("C-G1", client="Gamma", seats=5),
        # ended a month ago, 2 seats still active
        contract(
            "C-E1", client="Delta", seats=3, start_date=D(2025, 11, 1), end_date=D(2026, 11, 1)
        ),
        # terminated, 1 seat still suspended
        contract("C-T1", client="Delta", seats=4, status="terminated"),
        # pending: counted apart
        contract(
            "C-P1",
            client="Epsilon",
            seats=6,
            status="pending",
            start_date=D(2027, 1, 1),
            end_date=D(2028, 1, 1),
        ),
    ]
    seats = [
        *seats_on("C-A1", 12, client="Acme"),
        *seats_on("C-B1", 5, client="Beta"),
        *seats_on("C-B2", 6, client="Beta"),
        seat("C-B2-S7", "C-B2", client="Beta", status="suspended"),
        seat("C-B2-S8", "C-B2", client="Beta", status="available", assigned_to=None),
        *seats_on("C-G1", 7, client="Gamma"),
        *seats_on("C-E1", 2, client="Delta"),
        seat("C-T1-S1", "C-T1", client="Delta", status="suspended"),
        # two data-quality problems on the Seats tab
        seat("S-BAD", "C-A1", status="actve"),
        seat("S-LOST", "C-X", client="Acme"),
    ]
    return write_register(path, contracts, seats)


def summary_of(path: Path, as_of: dt.date = AS_OF, **sections) -> summary.Summary:
    config = make_config(path, **sections)
    return summary.compute(check(config, WorkbookSource(path), as_of), config)


def records(frame, *columns) -> list[tuple]:
    return [tuple(row) for row in frame[list(columns)].itertuples(index=False)]


# --- numbers ----------------------------------------------------------------------------


def test_it_counts_only_contracts_in_force_in_the_headline(tmp_path):
    s = summary_of(small_register(tmp_path / "r.xlsx"))

    assert (s.clients, s.contracts) == (3, 4)
    assert (s.pending_contracts, s.pending_seats) == (1, 6)
    assert (s.purchased, s.allocated, s.free) == (43, 31, 16)
    assert s.utilisation == pytest.approx(31 / 43)


def test_it_gives_each_clients_utilisation(tmp_path):
    s = summary_of(small_register(tmp_path / "r.xlsx"))

    assert records(s.by_client, "client", "purchased", "allocated", "free", "excess") == [
        ("Beta", 28, 12, 16, 0),
        ("Acme", 10, 12, 0, 2),
        ("Gamma", 5, 7, 0, 2),
    ]
    assert s.by_client["utilisation"].tolist() == pytest.approx([12 / 28, 1.2, 1.4])


def test_it_counts_renewals_in_the_next_30_60_and_90_days_with_the_seats_at_stake(tmp_path):
    s = summary_of(small_register(tmp_path / "r.xlsx"))

    assert s.renewal_windows == [(30, 1, 20), (60, 1, 20), (90, 2, 28)]
    assert records(s.renewals, "contract_id", "days_left", "auto_renew", "at_risk") == [
        ("C-B1", 20, False, True),
        ("C-B2", 75, True, False),
    ]


def test_a_renewal_below_the_utilisation_threshold_is_at_risk(tmp_path):
    path = small_register(tmp_path / "r.xlsx")

    assert summary_of(path).at_risk["contract_id"].tolist() == ["C-B1"]
    # At 90% the auto-renewing contract using 87.5% is at risk too.
    raised = summary_of(path, summary={"at_risk_utilisation": 0.9})
    assert raised.at_risk["contract_id"].tolist() == ["C-B1", "C-B2"]


def test_true_ups_are_priced_when_the_contract_has_a_price_per_seat(tmp_path):
    s = summary_of(small_register(tmp_path / "r.xlsx"), rules={"currency": "USD"})

    assert records(s.true_ups, "contract_id", "client", "excess", "price_per_seat")[0] == (
        "C-A1",
        "Acme",
        2,
        20.0,
    )
    assert s.true_ups["amount"].tolist()[0] == 40.0
    assert s.true_ups["contract_id"].tolist() == ["C-A1", "C-G1"]
    assert s.true_ups["amount"].isna().tolist() == [False, True]
    assert s.true_up_total == 40.0
    lines = summary.render_markdown(s)
    assert "- Acme C-A1: 2 seats over, invoice 40.00 USD\n" in lines
    assert "- Gamma C-G1: 2 seats over, no price per seat in the register\n" in lines
    assert "\nTotal to invoice: 40.00 USD  \n" in lines


def test_it_lists_over_provisioned_clients_and_ended_or_terminated_contracts(tmp_path):
    s = summary_of(small_register(tmp_path / "r.xlsx"))

    assert records(s.over_provisioned, "client", "excess", "contracts") == [
        ("Acme", 2, "C-A1"),
        ("Gamma", 2, "C-G1"),
    ]
    assert records(s.out_of_contract, "contract_id", "reason", "allocated") == [
        ("C-E1", "ended", 2),
        ("C-T1", "terminated", 1),
    ]


def test_data_quality_problems_are_counted_by_tab_and_kind(tmp_path):
    s = summary_of(small_register(tmp_path / "r.xlsx"))

    assert s.data_quality == {"Seats": {"invalid_value": 1, "unknown_contract": 1}}
    markdown = summary.render_markdown(s)
    assert "Seats: 2 problems (1 invalid value, 1 seat on an unknown contract)" in markdown


def test_the_bundled_register_as_of_2026_12_03_has_the_right_numbers():
    s = summary_of(BUNDLED, D(2026, 12, 3))

    # In force: NW-2024-01 (10 bought, 12 allocated), GLX-0042 (1,200, 6), STK-300
    # (20, 18), CYB-5 (50, 10). INI-7 ended, UMB-19 terminated, HOO-1 pending; INI-8,
    # WAY-1 and NW-2025-02 are invalid rows and the second STK-300 a duplicate.
    assert (s.clients, s.contracts, s.pending_contracts, s.pending_seats) == (4, 4, 1, 6)
    assert (s.purchased, s.allocated, s.free) == (1280, 46, 1236)
    assert summary.percent(s.utilisation) == "3.6%"
    assert records(s.by_client, "client", "allocated", "purchased") == [
        ("Globex Corporation", 6, 1200),
        ("Cyberdyne Systems", 10, 50),
        ("Stark Logistics", 18, 20),
        ("Northwind Traders", 12, 10),
    ]
    # NW-2024-01 ends 2027-01-10, in 38 days; GLX-0042 (209) and CYB-5 (179) are later.
    assert s.renewal_windows == [(30, 0, 0), (60, 1, 10), (90, 1, 10)]
    assert s.at_risk.empty  # 12 of 10 used
    assert records(s.true_ups, "contract_id", "excess", "amount") == [("NW-2024-01", 2, 90.0)]
    assert records(s.over_provisioned, "client", "excess") == [("Northwind Traders", 2)]
    assert records(s.out_of_contract, "contract_id", "reason", "allocated") == [
        ("INI-7", "ended", 3),
        ("UMB-19", "terminated", 2),
    ]
    assert s.data_quality == {
        "Contracts": {"invalid_value": 3, "duplicate_key": 1},
        "Seats": {
            "client_mismatch": 1,
            "duplicate_assignment": 1,
            "duplicate_key": 1,
            "invalid_value": 2,
            "seat_expired_active": 1,
            "seat_outlives_contract": 1,
            "unknown_contract": 1,
        },
    }
    # 61 seat rows: ATP-STK-0019 and ATL-INI-0004 are invalid, ATP-STK-0017 repeats.
    assert len(s.seat_states) == 58


def test_the_slack_blocks_stay_within_slacks_limits_for_many_clients(tmp_path):
    contracts = [contract(f"C-{n:03d}", client=f"Client {n:03d}", seats=5) for n in range(80)]
    seats = [s for n in range(80) for s in seats_on(f"C-{n:03d}", 6, client=f"Client {n:03d}")]
    s = summary_of(write_register(tmp_path / "r.xlsx", contracts, seats))

    messages = summary.render_blocks(s, top_clients=10)

    for message in messages:
        assert block_limit_error(message.blocks, message.text) is None
    text = "\n".join(b["text"]["text"] for m in messages for b in m.blocks if "text" in b)
    assert "…and 70 more clients (the Markdown copy lists them all)" in text
    assert "…and 70 more true-ups (the Markdown copy lists them all)" in text
    assert summary.render_markdown(s).count("over, no price per seat in the register") == 80


def test_sheet_text_is_escaped_in_the_slack_blocks(tmp_path):
    path = write_register(
        tmp_path / "r.xlsx",
        [contract(client="<!channel> & Co", seats=1)],
        seats_on("C-1", 2, client="<!channel> & Co"),
    )
    text = str(summary.render_blocks(summary_of(path))[0].blocks)

    assert "&lt;!channel&gt; &amp; Co" in text
    assert "<!channel>" not in text


# --- the chart --------------------------------------------------------------------------


def decoded(png: bytes):
    return matplotlib.image.imread(io.BytesIO(png), format="png")


def test_the_chart_is_a_png_that_decodes_at_a_readable_size(tmp_path):
    s = summary_of(small_register(tmp_path / "r.xlsx"))

    png = chart.render(s, top=10)

    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    height, width, _ = decoded(png).shape
    assert width >= 1200 and height >= 600
    assert 10_000 < len(png) < 2_000_000


def test_clients_beyond_the_top_n_are_grouped_as_other(tmp_path):
    contracts = [contract(f"C-{n}", client=f"Client {n}", seats=100 - n) for n in range(14)]
    s = summary_of(write_register(tmp_path / "r.xlsx", contracts))

    grouped = chart.top_clients(s.by_client, 10)

    assert grouped["client"].tolist()[:2] == ["Client 0", "Client 1"]
    assert grouped["client"].tolist()[-1] == "Other (4 clients)"
    assert grouped["purchased"].tolist()[-1] == 90 + 89 + 88 + 87
    assert decoded(chart.render(s, top=10)).shape[1] >= 1200


def test_the_renewal_calendar_sums_seats_by_week(tmp_path):
    s = summary_of(small_register(tmp_path / "r.xlsx"))

    weeks = chart.calendar_weeks(s.renewals, s.as_of)

    assert len(weeks) == 13
    # C-B1 in 20 days (week 2) at risk; C-B2 in 75 days (week 10) renews itself.
    assert weeks.loc[2, ["to_renew", "auto_renew", "at_risk"]].tolist() == [0, 0, 20]
    assert weeks.loc[10, ["to_renew", "auto_renew", "at_risk"]].tolist() == [0, 8, 0]
    assert weeks.loc[2, "contracts"] == "C-B1"
    assert weeks["start"].iloc[0] == AS_OF


def test_a_register_with_nothing_in_force_still_draws_a_chart(tmp_path):
    path = write_register(tmp_path / "r.xlsx", [contract(status="terminated")])

    s = summary_of(path)

    assert (s.contracts, s.purchased, s.utilisation) == (0, 0, None)
    assert decoded(chart.render(s)).shape[1] >= 1200
    assert "utilisation **n/a**" in summary.render_markdown(s)


def test_a_contracts_tab_without_its_seat_counts_gives_an_empty_summary_that_says_why(
    tmp_path,
):
    path = write_register(
        tmp_path / "r.xlsx",
        [contract()],
        [seat()],
        contract_fields=["contract_id", "client", "start_date", "end_date"],
    )

    s = summary_of(path)

    assert (s.contracts, s.purchased, s.renewals.empty, s.out_of_contract.empty) == (
        0,
        0,
        True,
        True,
    )
    assert s.data_quality == {"Contracts": {"missing_column": 1}}
    assert "Contracts: 1 problem (1 missing column)" in summary.render_markdown(s)
    assert decoded(chart.render(s)).shape[1] >= 1200


# --- week over week ---------------------------------------------------------------------

WEEK_1 = "2026-11-26T09:00:00+00:00"
WEEK_2 = "2026-12-03T09:00:00+00:00"


def first_week(path: Path) -> Path:
    contracts = [contract("C-1", seats=10), contract("C-2", client="Beta", seats=5)]
    seats = [
        *seats_on("C-1", 8),
        seat("C-1-S9", "C-1", status="available"),
        *seats_on("C-2", 6, client="Beta"),  # one over: an over_provisioned alert
    ]
    return write_register(path, contracts, seats)


def second_week(path: Path) -> Path:
    contracts = [contract("C-1", seats=10), contract("C-2", client="Beta", seats=5)]
    seats = [
        *seats_on("C-1", 6),
        seat("C-1-S7", "C-1", status="retired"),
        seat("C-1-S8", "C-1", status="retired"),
        # C-1-S9 deleted from the sheet
        seat("C-1-S10", "C-1"),
        seat("C-1-S11", "C-1"),
        *seats_on("C-2", 5, client="Beta"),
        seat("C-2-S6", "C-2", client="Beta", status="retired"),  # over_provisioned resolves
        seat("S-LOST", "C-404"),  # an unknown_contract alert opens
    ]
    return write_register(path, contracts, seats)


def poll_alerts(config: Config, store: Store, path: Path, as_of: dt.date, now: str) -> None:
    """A poll that plans and delivers alerts at ``now``, as run_poll does at the clock."""
    report = check(config, WorkbookSource(path), as_of)
    routing = alerts.Routing.from_totals(report.totals, config.slack)
    with store.transaction():
        alerts.plan(store, report.findings, routing, now=now)
    notify.deliver(store, ConsoleDelivery(io.StringIO()), "test")


def run(config, path, store, as_of, now, delivery=None, **kwargs):
    stream = io.StringIO()
    result = summary.run_summary(
        config,
        WorkbookSource(path),
        store,
        delivery or ConsoleDelivery(stream),
        as_of,
        now=now,
        stream=stream,
        **kwargs,
    )
    return result, stream.getvalue()


@pytest.fixture
def week_config(tmp_path) -> Config:
    path = tmp_path / "register.xlsx"
    return make_config(path, summary={"output_dir": str(tmp_path / "out")})


def test_two_summaries_a_week_apart_show_what_changed(tmp_path, week_config):
    path = week_config.register.path
    store = Store(tmp_path / "state.sqlite")
    first_week(path)
    poll_alerts(week_config, store, path, D(2026, 11, 20), "2026-11-20T09:00:00+00:00")

    first, _ = run(week_config, path, store, D(2026, 11, 26), WEEK_1)
    second_week(path)
    poll_alerts(week_config, store, path, D(2026, 11, 30), "2026-11-30T09:00:00+00:00")
    second, _ = run(week_config, path, store, D(2026, 12, 3), WEEK_2)

    assert first.summary.changes is None
    c = second.summary.changes
    assert c.since == D(2026, 11, 26)
    # Added: C-1-S10, C-1-S11, S-LOST. Retired: C-1-S7, C-1-S8, C-2-S6. Removed: C-1-S9.
    assert (c.seats_added, c.seats_retired, c.seats_removed) == (3, 3, 1)
    # 14 of 15 allocated, then 13 of 15; Beta went from 6 of 5 to 5 of 5.
    assert c.utilisation_before == pytest.approx(14 / 15)
    assert c.utilisation_now == pytest.approx(13 / 15)
    assert c.client_moves == [("Beta", pytest.approx(1.2), pytest.approx(1.0))]
    # Opened after the first summary: unknown_contract for S-LOST and seats_running_out
    # for C-2 (0 of 5 free once it stopped being over); resolved: over_provisioned. The
    # alerts of 20 November came before the first summary and are not counted.
    assert (c.alerts_opened, c.alerts_resolved) == (2, 1)
    markdown = second.markdown_path.read_text(encoding="utf-8")
    assert "## Since last summary (since 2026-11-26)" in markdown
    assert "Seats: 3 added, 3 retired, 1 removed from the register  \n" in markdown
    assert "Utilisation down 6.7 pts, 93.3% → 86.7%  \n" in markdown
    assert "Alerts: 2 opened, 1 resolved  \n" in markdown
    assert "- Beta: down 20.0 pts, 120.0% → 100.0%\n" in markdown


def test_a_second_summary_on_the_same_day_replaces_the_days_snapshot(tmp_path, week_config):
    path = week_config.register.path
    store = Store(tmp_path / "state.sqlite")
    first_week(path)
    run(week_config, path, store, D(2026, 11, 26), WEEK_1)
    second_week(path)
    run(week_config, path, store, D(2026, 12, 3), WEEK_2)

    again, _ = run(week_config, path, store, D(2026, 12, 3), "2026-12-03T10:00:00+00:00")

    assert again.summary.changes.since == D(2026, 11, 26)
    assert again.summary.changes.seats_added == 3
    days = store.db.execute("SELECT as_of FROM snapshots ORDER BY as_of").fetchall()
    assert [row[0] for row in days] == ["2026-11-26", "2026-12-03"]


def test_a_dry_run_writes_the_files_but_keeps_no_snapshot(tmp_path, week_config):
    path = week_config.register.path
    store = Store(tmp_path / "state.sqlite")
    first_week(path)

    result, printed = run(week_config, path, store, D(2026, 11, 26), WEEK_1, dry_run=True)

    assert store.db.execute("SELECT COUNT(*) FROM snapshots").fetchone()[0] == 0
    assert store.db.execute("SELECT COUNT(*) FROM polls").fetchone()[0] == 0
    assert printed.splitlines() == [
        f"Summary written to {result.markdown_path}",
        f"Chart written to {result.chart_path}",
        "Dry run: nothing sent, no snapshot kept.",
    ]
    assert result.chart_path == tmp_path / "out" / "summary-2026-11-26.png"
    assert result.markdown_path.read_text(encoding="utf-8").startswith(
        "# Weekly seat summary, as of 2026-11-26\n"
    )


def test_the_console_summary_prints_where_its_files_are(tmp_path, week_config):
    path = week_config.register.path
    first_week(path)

    result, printed = run(week_config, path, Store(":memory:"), D(2026, 11, 26), WEEK_1)

    assert printed.splitlines() == [
        f"Summary written to {tmp_path / 'out' / 'summary-2026-11-26.md'}",
        f"Chart written to {tmp_path / 'out' / 'summary-2026-11-26.png'}",
    ]
    assert "![Seats and renewals](summary-2026-11-26.png)" in result.markdown_path.read_text()
    assert decoded(result.chart_path.read_bytes()).shape[1] >= 1200


def test_the_state_store_migrates_to_the_snapshots_schema(tmp_path):
    store = Store(tmp_path / "state.sqlite")

    assert store.db.execute("PRAGMA user_version").fetchone()[0] >= 2
    columns = [row[1] for row in store.db.execute("PRAGMA table_info(snapshots)")]
    assert columns[:4] == ["id", "taken_at", "as_of", "contracts"]
    assert "seat_states" in columns


# --- Slack ------------------------------------------------------------------------------


def slack_config(tmp_path: Path, channel: str = "#managers") -> Config:
    path = small_register(tmp_path / "register.xlsx")
    return make_config(
        path,
        slack={"default_channel": channel},
        summary={"output_dir": str(tmp_path / "out")},
    )


def test_slack_gets_the_summary_and_the_chart_uploaded_to_the_resolved_channel_id(
    tmp_path, slack_standin, slack_bot
):
    config = slack_config(tmp_path)
    store = Store(tmp_path / "state.sqlite")

    result, _ = run(
        config, config.register.path, store, AS_OF, WEEK_2, delivery=SlackDelivery(slack_bot)
    )

    assert (result.messages, result.uploaded, result.errors) == (1, True, [])
    steps = [
        r.api_method or "upload"
        for r in slack_standin.requests
        if r.api_method != "conversations.list"
    ]
    assert steps == [
        "chat.postMessage",
        "files.getUploadURLExternal",
        "upload",
        "files.completeUploadExternal",
    ]
    [message] = slack_standin.messages
    assert message.channel == "C0MANAGERS"
    assert [c.body["channel"] for c in slack_standin.calls("chat.postMessage")] == ["C0MANAGERS"]
    assert message.blocks[0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "Weekly seat summary, as of 2026-12-03"},
    }
    assert message.text == (
        "Weekly seat summary, as of 2026-12-03: 31 of 43 seats allocated (72.1%), "
        "2 renewals in 90 days, 1 at risk, 2 true-ups"
    )
    [upload] = slack_standin.uploads.values()
    assert upload.filename == "summary-2026-12-03.png"
    assert upload.data == result.chart_path.read_bytes()
    assert upload.completed["channel_id"] == "C0MANAGERS"
    assert upload.completed["title"] == "Seats and renewals, as of 2026-12-03"
    assert store.db.execute("SELECT COUNT(*) FROM snapshots").fetchone()[0] == 1


def test_a_channel_slack_refuses_keeps_no_snapshot_so_the_rerun_says_the_same(tmp_path):
    config = slack_config(tmp_path)
    store = Store(tmp_path / "state.sqlite")
    with SlackStandIn(not_member={"managers"}) as standin:
        transport = SlackTransport(token=standin.token, base_url=standin.api_url, timeout=5)

        result, _ = run(config, config.register.path, store, AS_OF, WEEK_2, delivery=transport)

    assert result.messages == 0 and not result.uploaded
    assert [e.code for e in result.errors] == ["not_in_channel"]
    assert store.db.execute("SELECT COUNT(*) FROM snapshots").fetchone()[0] == 0
    [poll] = store.db.execute("SELECT kind, ok FROM polls").fetchall()
    assert tuple(poll) == ("summary", 0)
    assert standin.uploads == {}


def test_a_webhook_posts_the_summary_and_says_where_the_chart_is(
    tmp_path, slack_standin, slack_webhook, caplog
):
    config = slack_config(tmp_path)

    with caplog.at_level(logging.WARNING, logger="bot.summary"):
        result, _ = run(
            config, config.register.path, Store(":memory:"), AS_OF, WEEK_2, slack_webhook
        )

    assert (result.messages, result.uploaded, result.errors) == (1, False, [])
    assert len(slack_standin.webhook_calls()) == 1
    assert slack_standin.uploads == {}
    assert caplog.messages == [
        "an incoming webhook cannot upload files: the chart is in "
        f"{result.chart_path} (set SLACK_BOT_TOKEN to post it)"
    ]


def test_a_dry_run_sends_nothing_to_slack(tmp_path, slack_standin, slack_bot):
    config = slack_config(tmp_path)

    result, _ = run(
        config, config.register.path, Store(":memory:"), AS_OF, WEEK_2, slack_bot, dry_run=True
    )

    assert result.dry_run and result.messages == 0
    assert slack_standin.requests == []


def test_the_bundled_config_runs_the_summary_from_any_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    bundled = config.load()
    bundled.summary.output_dir = tmp_path / "out"

    result, _ = run(bundled, bundled.register.path, Store(":memory:"), AS_OF, WEEK_2)

    assert result.markdown_path.exists() and result.chart_path.exists()
    assert "Purchased **1,280** · allocated **46** · free **1,236** · utilisation **3.6%**" in (
        result.markdown_path.read_text(encoding="utf-8")
    )

"""The weekly summary's chart: seats per client, and the renewal calendar, in one PNG.

Drawn headless: the Agg backend is chosen before pyplot is imported, so the chart
renders on a server with no display.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import TYPE_CHECKING

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)
import pandas as pd  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

if TYPE_CHECKING:
    from bot.summary import Summary

PURCHASED = "#c9d6e3"
ALLOCATED = "#2f6690"
OVER = "#c0392b"
TO_RENEW = "#2f6690"
AUTO_RENEW = "#8fb3cf"
AT_RISK = "#e67e22"
OTHER = "Other"
CALENDAR_DAYS = 90
LABEL_WIDTH = 28


def render(summary: Summary, top: int = 10) -> bytes:
    """The chart as PNG bytes."""
    # One panel above the other: each gets the full width, so client names and the
    # calendar's contract labels have room.
    clients = top_clients(summary.by_client, top)
    figure, (clients_ax, calendar_ax) = plt.subplots(
        2, 1, figsize=(13, 5 + 0.32 * len(clients)), gridspec_kw={"height_ratios": [1.25, 1]}
    )
    try:
        _draw_clients(clients_ax, clients)
        _draw_calendar(calendar_ax, calendar_weeks(summary.renewals, summary.as_of))
        figure.suptitle(
            f"Seats and renewals, as of {summary.as_of:%-d %B %Y}",
            fontsize=16,
            fontweight="bold",
        )
        figure.tight_layout(rect=(0, 0, 1, 0.95))
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=110)
        return buffer.getvalue()
    finally:
        plt.close(figure)


def top_clients(by_client: pd.DataFrame, top: int) -> pd.DataFrame:
    """The ``top`` clients by seats purchased, the rest summed into one "Other" row."""
    ranked = by_client.sort_values(["purchased", "allocated"], ascending=False)
    head = ranked.head(top)[["client", "purchased", "allocated"]]
    rest = ranked.iloc[top:]
    if len(rest):
        other = pd.DataFrame(
            {
                "client": [f"{OTHER} ({len(rest)} clients)"],
                "purchased": [int(rest["purchased"].sum())],
                "allocated": [int(rest["allocated"].sum())],
            }
        )
        head = pd.concat([head, other], ignore_index=True)
    return head.reset_index(drop=True)


def calendar_weeks(renewals: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """Seats renewing per week from ``as_of``: at risk, renewing itself, or to renew."""
    weeks = CALENDAR_DAYS // 7 + 1
    starts = [as_of + dt.timedelta(days=7 * n) for n in range(weeks)]
    frame = renewals.copy()
    frame["week"] = frame["days_left"] // 7
    frame["kind"] = "to_renew"
    frame.loc[frame["auto_renew"], "kind"] = "auto_renew"
    frame.loc[frame["at_risk"], "kind"] = "at_risk"
    seats = frame.pivot_table(
        index="week", columns="kind", values="purchased", aggfunc="sum", fill_value=0
    )
    seats = seats.reindex(
        index=range(weeks), columns=["to_renew", "auto_renew", "at_risk"], fill_value=0
    )
    labels = frame.groupby("week")["contract_id"].agg(_contract_label)
    seats["contracts"] = labels.reindex(range(weeks)).fillna("")
    seats["start"] = starts
    return seats


def _contract_label(ids: pd.Series) -> str:
    """The contract's id when a week has one, else how many: a bar's width holds no more."""
    if len(ids) == 1:
        return _short(str(ids.iloc[0]), 14)
    return f"{len(ids)} contracts"


def _share(allocated: int, purchased: int) -> str:
    if not purchased:
        return "n/a"
    share = allocated / purchased
    # Whole percents, except below 1% where "0%" would hide that seats are in use.
    return f"{share:.1%}" if 0 < share < 0.01 else f"{share:.0%}"


def _short(text: str, width: int = LABEL_WIDTH) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _draw_clients(ax, clients: pd.DataFrame) -> None:
    ax.set_title("Seats purchased vs allocated, by client", fontsize=12, loc="left")
    if not len(clients):
        _empty(ax, "No contracts in force")
        return

    # Largest at the top: barh draws from the bottom up.
    clients = clients.iloc[::-1].reset_index(drop=True)
    named = ~clients["client"].str.startswith(OTHER)
    scale = clients[named] if named.any() else clients
    widest = max(int(scale["purchased"].max()), int(scale["allocated"].max()), 1)
    # "Other" can dwarf every named client; its bars are cut at the axis rather than
    # squeezing the others to slivers, and its label says so.
    limit = widest * 1.35
    cap = widest * 1.1
    # A cut row is drawn at a smaller scale, whole: its allocated bar keeps its share.
    shrink = (cap / clients[["purchased", "allocated"]].max(axis=1)).clip(upper=1.0)
    drawn = clients[["purchased", "allocated"]].mul(shrink, axis=0)
    positions = list(range(len(clients)))
    over = clients["allocated"] > clients["purchased"]
    ax.barh(positions, drawn["purchased"], height=0.8, color=PURCHASED)
    ax.barh(
        positions,
        drawn["allocated"],
        height=0.45,
        color=[OVER if o else ALLOCATED for o in over],
    )
    ax.set_yticks(positions, [_short(c) for c in clients["client"]], fontsize=10)
    ax.set_xlim(0, limit)

    for y, row in enumerate(clients.itertuples(index=False)):
        label = f"{row.allocated:,} / {row.purchased:,} ({_share(row.allocated, row.purchased)})"
        if shrink[y] < 1:
            label += ", bar not to scale"
        x = max(drawn["purchased"][y], drawn["allocated"][y]) + widest * 0.01
        colour = OVER if row.allocated > row.purchased else "#333333"
        ax.text(x, y, label, va="center", fontsize=9, color=colour)
    ax.set_xlabel("seats")
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.grid(axis="x", alpha=0.3)
    ax.set_axisbelow(True)
    handles = [
        Patch(color=PURCHASED, label="purchased"),
        Patch(color=ALLOCATED, label="allocated"),
        Patch(color=OVER, label="allocated beyond purchased"),
    ]
    _legend(ax, handles)
    _plain(ax)


def _draw_calendar(ax, weeks: pd.DataFrame) -> None:
    ax.set_title("Seats up for renewal in the next 90 days, by week", fontsize=12, loc="left")
    labels = [f"{start:%-d %b}" for start in weeks["start"]]
    positions = list(range(len(weeks)))
    bottom = pd.Series(0, index=weeks.index)
    handles = []
    parts = [
        ("to_renew", TO_RENEW, "to renew"),
        ("auto_renew", AUTO_RENEW, "renews itself"),
        ("at_risk", AT_RISK, "at risk (low use)"),
    ]
    for column, colour, label in parts:
        ax.bar(positions, weeks[column], bottom=bottom, color=colour, width=0.7)
        handles.append(Patch(color=colour, label=label))
        bottom = bottom + weeks[column]
    ax.set_xticks(positions, labels, fontsize=9)
    ax.set_xlabel("week starting")
    ax.set_ylabel("seats")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.grid(axis="y", alpha=0.3)
    ax.set_axisbelow(True)
    _legend(ax, handles)
    _plain(ax)

    if not bottom.any():
        ax.set_ylim(0, 1)
        ax.set_yticks([])
        _empty(ax, "No renewals in the next 90 days")
        return
    top = float(bottom.max())
    ax.set_ylim(0, top * 1.3)
    for x, (total, contracts) in enumerate(zip(bottom, weeks["contracts"], strict=True)):
        if total:
            ax.text(
                x,
                total + top * 0.02,
                f"{int(total):,}\n{contracts}",
                ha="center",
                va="bottom",
                fontsize=7.5,
            )


def _legend(ax, handles) -> None:
    """Above the panel on the right, level with its title: it never covers a bar."""
    ax.legend(
        handles=handles,
        loc="lower right",
        bbox_to_anchor=(1.0, 1.0),
        ncol=len(handles),
        fontsize=9,
        frameon=False,
    )


def _empty(ax, text: str) -> None:
    ax.text(
        0.5,
        0.5,
        text,
        ha="center",
        va="center",
        fontsize=12,
        color="#666666",
        transform=ax.transAxes,
    )


def _plain(ax) -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)

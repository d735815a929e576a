"""Build examples/register.xlsx, the bundled example register.

It is deliberately messy, as real registers are: a merged title row above the header,
headers that are not seatbot's canonical names, statuses with stray spaces and capitals,
ISO text dates beside real date cells, a blank spacer row, a thousands separator and a
few typos. As of 2026-12-03 it triggers every finding kind seatbot knows, once or more.

Run `python examples/build_register.py` to rebuild it after editing the rows below.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font

D = dt.date
HERE = Path(__file__).resolve().parent

CONTRACT_HEADERS = [
    "Contract #",
    "Customer",
    "Product",
    "Seats Purchased",
    "Start",
    "Renewal Date",
    "Auto-renew?",
    "Status",
    "Notice (days)",
    "Unit Price",
    "Account Owner",
    "Slack channel",
]
CONTRACTS = [
    # renewal_due in 38 days; 12 seats allocated of 10: over_provisioned with a true-up
    [
        "NW-2024-01",
        "Northwind Traders",
        "Atlas Pro",
        10,
        D(2024, 1, 11),
        D(2027, 1, 10),
        "no",
        "Active",
        30,
        45,
        "dana@vendor.example",
        "#acct-northwind",
    ],
    # "1,200" as text, an ISO text start date; auto-renews, notice due 2027-01-01
    [
        "GLX-0042",
        "Globex Corporation",
        "Atlas Pro",
        "1,200",
        "2025-03-01",
        D(2027, 6, 30),
        "Yes",
        "ACTIVE",
        180,
        38.5,
        "U024BE7LH",
        None,
    ],
    # ended 2026-10-31 and not renewing, seats still active
    [
        "INI-7",
        "Initech",
        "Atlas Lite",
        5,
        D(2023, 11, 1),
        D(2026, 10, 31),
        "no",
        "Active ",
        None,
        None,
        "milton@vendor.example",
        None,
    ],
    # a typo: "twenty" is not a seat count
    [
        "INI-8",
        "Initech",
        "Atlas Cloud",
        "twenty",
        D(2026, 9, 1),
        D(2027, 8, 31),
        "n",
        "active",
        None,
        None,
        None,
        None,
    ],
    # terminated, seats still allocated
    [
        "UMB-19",
        "Umbrella Health",
        "Atlas Pro",
        8,
        D(2025, 4, 1),
        D(2027, 3, 31),
        "FALSE",
        "Terminated",
        60,
        52,
        None,
        "#acct-umbrella",
    ],
    # two seats free of 20: seats_running_out
    [
        "STK-300",
        "Stark Logistics",
        "Atlas Pro",
        20,
        "2026-01-01",
        "2027-12-31",
        "N",
        "active",
        90,
        41,
        "pepper@vendor.example",
        None,
    ],
    # the same contract id typed twice
    [
        "STK-300",
        "Stark Logistics",
        "Atlas Lite",
        5,
        "2026-01-01",
        "2027-12-31",
        "N",
        "active",
        None,
        None,
        None,
        None,
    ],
    # "sometimes" is not a yes/no: the row and its seats are held back
    [
        "WAY-1",
        "Wayne Analytics",
        "Atlas Pro",
        15,
        D(2026, 2, 1),
        D(2027, 2, 1),
        "sometimes",
        "active",
        None,
        None,
        None,
        None,
    ],
    # 31 February does not exist
    [
        "NW-2025-02",
        "Northwind Traders",
        "Atlas Cloud",
        4,
        "31/02/2026",
        D(2027, 2, 28),
        "no",
        "pending",
        None,
        None,
        None,
        None,
    ],
    # healthy contracts: nothing to say
    [
        "CYB-5",
        "Cyberdyne Systems",
        "Atlas Pro",
        50,
        D(2026, 6, 1),
        D(2027, 5, 31),
        "yes",
        "active",
        30,
        40,
        None,
        None,
    ],
    [
        "HOO-1",
        "Hooli",
        "Atlas Cloud",
        6,
        D(2027, 1, 1),
        D(2028, 1, 1),
        "",
        "pending",
        None,
        None,
        None,
        None,
    ],
]

SEAT_HEADERS = [
    "Licence Key",
    "Contract",
    "Customer",
    "Product",
    "User",
    "E-mail",
    "Seat Status",
    "Activated",
    "Expires",
]


def _seats() -> list[list | None]:
    rows: list[list | None] = []
    for n in range(1, 13):  # Northwind: 12 allocated on 10 purchased
        status = ["Active ", "ACTIVE", "active"][n % 3] if n != 12 else "Suspended"
        rows.append(
            [
                f"ATP-NW-{n:04d}",
                "NW-2024-01",
                "Northwind Traders",
                "Atlas Pro",
                f"Northwind user {n}",
                f"user{n}@northwind.example",
                status,
                D(2024, 1, 15),
                None,
            ]
        )
    rows.append(
        [
            "ATP-NW-0013",
            "NW-2024-01",
            "Northwind Traders",
            "Atlas Pro",
            None,
            None,
            "available",
            None,
            None,
        ]
    )
    rows.append(None)  # the spacer row people leave between clients
    for n in range(1, 6):
        rows.append(
            [
                f"ATP-GLX-{n:04d}",
                "GLX-0042",
                "Globex Corporation",
                "Atlas Pro",
                f"Globex user {n}",
                f"user{n}@globex.example",
                "active",
                "2025-03-0" + str(n),
                None,
            ]
        )
    # filed under the wrong client
    rows.append(
        [
            "ATP-GLX-0006",
            "GLX-0042",
            "Initech",
            "Atlas Pro",
            "Sam Lowe",
            "sam@globex.example",
            "active",
            "2025-04-01",
            None,
        ]
    )
    for n in range(1, 4):  # Initech: contract ended, three seats still active
        rows.append(
            [
                f"ATL-INI-{n:04d}",
                "INI-7",
                "Initech",
                "Atlas Lite",
                f"Initech user {n}",
                f"user{n}@initech.example",
                "active",
                D(2023, 11, 2),
                None,
            ]
        )
    # a typo in the email
    rows.append(
        [
            "ATL-INI-0004",
            "INI-7",
            "Initech",
            "Atlas Lite",
            "Bob Slydell",
            "bob at initech",
            "retired",
            D(2023, 11, 2),
            None,
        ]
    )
    # seats of INI-8, whose row is invalid: held back, not called orphans
    rows.append(
        [
            "ATC-INI-0001",
            "INI-8",
            "Initech",
            "Atlas Cloud",
            "Peter Gibbons",
            "peter@initech.example",
            "active",
            D(2026, 9, 2),
            None,
        ]
    )
    for n in range(1, 3):  # Umbrella: terminated contract, two seats allocated
        rows.append(
            [
                f"ATP-UMB-{n:04d}",
                "UMB-19",
                "Umbrella Health",
                "Atlas Pro",
                f"Umbrella user {n}",
                f"user{n}@umbrella.example",
                "active" if n == 1 else "suspended",
                D(2025, 4, 2),
                None,
            ]
        )
    rows.append(
        [
            "ATP-UMB-0003",
            "UMB-19",
            "Umbrella Health",
            "Atlas Pro",
            None,
            None,
            "retired",
            D(2025, 4, 2),
            D(2026, 6, 30),
        ]
    )
    rows.append(None)
    for n in range(1, 18):  # Stark: 18 allocated of 20
        expires = None
        if n == 3:
            expires = D(2028, 6, 30)  # outlives the contract
        if n == 4:
            expires = "2026-11-15"  # expired, still active
        rows.append(
            [
                f"ATP-STK-{n:04d}",
                "STK-300",
                "Stark Logistics",
                "Atlas Pro",
                f"Stark user {n}",
                f"user{n}@stark.example",
                "Active",
                D(2026, 1, 5),
                expires,
            ]
        )
    # the same person holding a second seat
    rows.append(
        [
            "ATP-STK-0018",
            "STK-300",
            "Stark Logistics",
            "Atlas Pro",
            "Stark user 1",
            "USER1@stark.example",
            "active",
            D(2026, 2, 1),
            None,
        ]
    )
    # a copy-pasted licence key
    rows.append(
        [
            "ATP-STK-0017",
            "STK-300",
            "Stark Logistics",
            "Atlas Pro",
            "Stark user 99",
            "user99@stark.example",
            "active",
            D(2026, 2, 1),
            None,
        ]
    )
    # a typo in the status
    rows.append(
        [
            "ATP-STK-0019",
            "STK-300",
            "Stark Logistics",
            "Atlas Pro",
            "Happy Hogan",
            "happy@stark.example",
            "actve",
            D(2026, 2, 1),
            None,
        ]
    )
    for n in range(1, 4):  # Wayne: its contract row is invalid, so held back
        rows.append(
            [
                f"ATP-WAY-{n:04d}",
                "WAY-1",
                "Wayne Analytics",
                "Atlas Pro",
                f"Wayne user {n}",
                f"user{n}@wayne.example",
                "active",
                D(2026, 2, 2),
                None,
            ]
        )
    for n in range(1, 11):
        rows.append(
            [
                f"ATP-CYB-{n:04d}",
                "CYB-5",
                "Cyberdyne Systems",
                "Atlas Pro",
                f"Cyberdyne user {n}",
                f"user{n}@cyberdyne.example",
                "active",
                D(2026, 6, 2),
                None,
            ]
        )
    # a seat on a contract nobody entered
    rows.append(
        [
            "ATP-LEX-0001",
            "LEX-2",
            "LexCorp",
            "Atlas Pro",
            "Mercy Graves",
            "mercy@lexcorp.example",
            "active",
            "2026-07-01",
            None,
        ]
    )
    return rows


def build(path: Path) -> None:
    workbook = Workbook()
    contracts = workbook.active
    contracts.title = "Contracts"
    contracts["A1"] = "Client contracts (Atlas licences) - keep one row per signed contract"
    contracts["A1"].font = Font(bold=True, size=14)
    contracts.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(CONTRACT_HEADERS))
    contracts.append([])
    contracts.append(CONTRACT_HEADERS)
    for row in CONTRACTS:
        contracts.append(row)

    seats = workbook.create_sheet("Seats")
    seats["A1"] = "Seat assignments"
    seats["A1"].font = Font(bold=True, size=14)
    seats.append(SEAT_HEADERS)
    for row in _seats():
        seats.append(row or [])

    for sheet in (contracts, seats):
        for cells in sheet.iter_rows():
            for cell in cells:
                if isinstance(cell.value, dt.date):
                    cell.number_format = "yyyy-mm-dd"
    workbook.save(path)


if __name__ == "__main__":
    build(HERE / "register.xlsx")
    print(f"wrote {HERE / 'register.xlsx'}")

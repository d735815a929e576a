"""The benchmark's generator and script still run (at 1k seats, untimed).

The benchmark itself is not part of the suite; this keeps it from rotting, and checks
the request budget it reports: one Sheets read per poll, nothing sent when nothing
changed.
"""

from __future__ import annotations

import json
from collections import Counter

from benchmarks import run
from benchmarks.generate import TABS, generate, write_xlsx
from bot import config as config_module
from bot.poll import check
from bot.workbook import WorkbookSource


class Generated:
    def __init__(self, register) -> None:
        self.register = register

    def read(self, tabs: list[str]):
        return self.register.raw_tabs()


def test_a_generated_register_reads_the_same_from_its_grids_and_its_xlsx(tmp_path):
    register = generate(1000)
    path = write_xlsx(register, tmp_path / "register.xlsx")
    config = config_module.parse({"register": {"source": "xlsx", "path": str(path)}})

    from_grids = check(config, Generated(register), register.as_of)
    from_xlsx = check(config, WorkbookSource(path), register.as_of)

    assert register.contract_count == 50
    assert from_grids.seats.rows_read == 1000
    kinds = Counter(f.kind for f in from_grids.findings)
    assert {"invalid_value", "renewal_due", "over_provisioned"} <= set(kinds)
    assert sorted((f.kind, f.subject) for f in from_xlsx.findings) == sorted(
        (f.kind, f.subject) for f in from_grids.findings
    )
    assert list(register.raw_tabs()) == list(TABS)


def test_the_benchmark_runs_at_1k_seats_and_counts_one_sheets_read_per_poll(tmp_path):
    results = tmp_path / "results.json"

    code = run.main(
        [
            "--sizes",
            "1k",
            "--repeat",
            "1",
            "--requests-seats",
            "1000",
            "--workdir",
            str(tmp_path),
            "--json",
            str(results),
        ]
    )

    assert code == 0
    measured = json.loads(results.read_text())
    (size,) = measured["sizes"]
    assert size["seats"] == 1000
    assert set(run.TARGET_STAGES) <= set(size["seconds"])
    assert size["peak_rss_mib"] > 0
    assert size["baseline"]["alerts"] > 0
    first, unchanged, edited = measured["requests"]["polls"]
    assert [poll["sheets"].get("values.batchGet") for poll in (first, unchanged, edited)] == [
        1,
        1,
        1,
    ]
    assert unchanged["sheets"] == {"values.batchGet": 1}
    assert unchanged["slack_messages"] == {} and unchanged["slack_replies"] == {}
    assert all(n == 1 for n in first["slack_messages"].values())
    assert all(d["messages"] == d["fewest_possible"] for d in first["digests"].values())
    assert sum(edited["slack_messages"].values()) >= 1

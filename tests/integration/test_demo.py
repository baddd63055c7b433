"""`make demo`'s entry point, short: it must end by itself and print non-empty query results."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path


def test_demo_prints_lake_query_results(tmp_path: Path) -> None:
    env = {**os.environ, "TIDE_DATA_DIR": str(tmp_path), "COLUMNS": "160"}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "tide",
            "demo",
            "--clicks",
            "3000",
            "--orders",
            "600",
            "--duration",
            "5",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    out = result.stdout
    assert re.search(r"broker \(Tansu, in-memory\) at 127\.0\.0\.1:\d+", out)
    assert re.search(r"schema clicks-value\s+version 1\s+id \d+", out)
    assert "clicks produced 3000 · counted in windows 3000 · landed in the lake 3000" in out
    paid = re.search(r"payments in revenue windows (\d+) · paid orders in the lake (\d+)", out)
    assert paid is not None and paid.group(1) == paid.group(2) != "0"
    # one line per complete window, per page and per region
    assert re.search(r"clicks\s+\d\d:\d\d-\d\d:\d\d\s+\d+ clicks on \d+ pages", out)
    sagas = re.search(r"all (\d+) sagas ended: (\d+) confirmed, (\d+) cancelled — "
                      r"compensations ran: (\d+) stock releases, (\d+) refunds", out)  # fmt: skip
    assert sagas is not None, out[-3000:]
    total, confirmed, cancelled, released, _refunded = map(int, sagas.groups())
    assert total == confirmed + cancelled and confirmed > 0 and cancelled > 0
    assert released > 0  # the knobs make some fail after their stock was reserved
    assert re.search(r"revenue\s+\d\d:\d\d-\d\d:\d\d\s+\d+ payments: (eu|us|apac|latam)", out)
    # the top-pages table has rows like "│ 12:34 │ / │ 123 │" and the regions table names regions
    assert re.search(r"│ \d\d:\d\d\s+│ /\S*\s+│\s+\d+", out)
    assert re.search(r"│ (eu|us|apac|latam)\s+│\s+\d+", out)

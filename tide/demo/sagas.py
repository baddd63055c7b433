"""The demo's order-fulfilment saga: every OrderPlaced the demo produces runs through inventory,
payment and shipping, with failure knobs on so some compensate; the demo waits until every saga
ended and prints how."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import httpx

from tide.errors import TideError
from tide.stack.ports import free_port
from tide.stack.service_process import ServiceProcess

KNOBS = ["--decline-rate", "0.08", "--stockout-rate", "0.04", "--ship-fail-rate", "0.04",
         "--seed", "7"]  # fmt: skip
COMPENSATIONS = ("InventoryReleased", "PaymentRefunded")


def start_sagas(env: dict[str, str], data_dir: Path) -> ServiceProcess:
    service = ServiceProcess("sagas", ["sagas", "serve", *KNOBS], free_port(), env,
                             data_dir / "logs" / "sagas.log")  # fmt: skip
    service.start()
    return service


def wait_for_outcomes(url: str, sagas: int, timeout_s: float) -> dict[str, int]:
    """How the ``sagas`` sagas ended (outcome → count, and compensation steps), once all did."""
    deadline = time.monotonic() + timeout_s
    while True:
        rows = httpx.get(f"{url}/sagas", timeout=30).json()["sagas"]
        outcomes = Counter(r["outcome"] for r in rows)
        ended = outcomes["CONFIRMED"] + outcomes["CANCELLED"]
        if ended >= sagas:
            steps = Counter(s["type"] for r in rows for s in r["steps"])
            return {**outcomes, **{c: steps[c] for c in COMPENSATIONS}}
        if time.monotonic() > deadline:
            raise TideError(f"{ended} of {sagas} sagas ended after {timeout_s:g} s "
                            f"({dict(outcomes)}; see the sagas log)")  # fmt: skip
        time.sleep(0.5)  # polling interval of the API, not synchronization

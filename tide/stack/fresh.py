"""`tide up --fresh`: a clean start — the broker's records and everything that refers to them."""

from __future__ import annotations

import shutil
from pathlib import Path

# the broker's records (Kafka), the lake and its catalog, the workers' state, the outbox, the job
# history and the registry; logs, the SQL history and DuckDB's extension cache stay
STATE = ("kafka", "warehouse", "catalog.sqlite", "streams", "outbox.sqlite", "jobs.sqlite",
         "registry.sqlite")  # fmt: skip


def fresh_start(data_dir: Path) -> list[str]:
    """Remove the stack's state under ``data_dir``; the names of what was removed."""
    removed = []
    for name in STATE:
        for path in sorted(data_dir.glob(f"{name}*")):
            if path.is_dir():
                shutil.rmtree(path)
                removed.append(f"{path.name}/")
            else:
                path.unlink()
                removed.append(path.name)
    return removed

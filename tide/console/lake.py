"""Lake: tables with rows, files, bytes and snapshots (the SQL box is in ``routes``, through
`tide sql serve`'s own request handling)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from tide.console.context import ConsoleContext
from tide.ops.lake import lake_snapshots, lake_tables


def tables(ctx: ConsoleContext) -> dict[str, Any]:
    return {"tables": [asdict(t) for t in lake_tables(ctx.settings)]}


def snapshots(ctx: ConsoleContext, name: str) -> dict[str, Any]:
    entries = lake_snapshots(ctx.settings, name)
    return {"table": name, "snapshots": [_snapshot(asdict(e)) for e in entries]}


def _snapshot(entry: dict[str, Any]) -> dict[str, Any]:
    """JSON keys are text: offsets' partitions too."""
    offsets = {t: {str(p): o for p, o in parts.items()} for t, parts in entry["offsets"].items()}
    return {**entry, "offsets": offsets}

"""Window results on screen while the demo runs: one line per complete window."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import datetime
from typing import Any

from rich.console import Console

Line = Callable[[list[dict[str, Any]]], str]


def clicks_line(rows: list[dict[str, Any]]) -> str:
    top = max(rows, key=lambda r: (r["clicks"], r["page"]))
    return (
        f"{sum(r['clicks'] for r in rows):>6,} clicks on {len(rows):>2} pages, "
        f"top {top['page']} ({top['clicks']})"
    )


def revenue_line(rows: list[dict[str, Any]]) -> str:
    parts = [
        f"{r['region']} {(r['revenue_cents'] or 0) / 100:,.2f}"
        for r in sorted(rows, key=lambda r: -(r["revenue_cents"] or 0))
    ]
    return f"{sum(r['payments'] for r in rows):>4} payments: " + " · ".join(parts) + " EUR"


class WindowPrinter:
    """Prints a window once a poll brings nothing new for it (its results come together)."""

    def __init__(self, console: Console, label: str, line: Line) -> None:
        self._console, self._label, self._line = console, label, line
        self._open: dict[datetime, list[dict[str, Any]]] = defaultdict(list)

    def add(self, records: list[dict[str, Any]]) -> None:
        touched = {r["window_start"] for r in records}
        self.flush(keep=touched)
        for r in records:
            self._open[r["window_start"]].append(r)

    def flush(self, keep: set[datetime] | None = None) -> None:
        for start in sorted(w for w in self._open if not keep or w not in keep):
            rows = self._open.pop(start)
            end = rows[0]["window_end"]
            self._console.print(
                f"  {self._label:<8} {start:%H:%M}-{end:%H:%M}  {self._line(rows)}",
                highlight=False,
                soft_wrap=True,
            )

"""How a `tide sql` statement runs: its row limit, its timeout and the time it reads, from
the settings and the flags of one call."""

from __future__ import annotations

from dataclasses import dataclass

from lake.time_travel import AsOf
from tide.cli.duration import parse_duration
from tide.settings import TideSettings


@dataclass(frozen=True)
class Limits:
    """How a statement runs: its row limit, its timeout and the point in time it reads."""

    max_rows: int
    timeout_s: float
    as_of: AsOf | None = None


def limits(
    current: TideSettings, max_rows: int | None, timeout: str | None, as_of: str | None = None
) -> Limits:
    """The settings' limits, overridden by the flags given."""
    return Limits(
        current.sql.max_rows if max_rows is None else max_rows,
        current.sql.timeout_seconds if timeout is None else parse_duration(timeout),
        None if as_of is None else AsOf.parse(as_of),
    )

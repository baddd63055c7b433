"""Durations as people type them on the command line: ``30s``, ``500ms``, ``2m``, ``1h``, ``7d``."""

from __future__ import annotations

import re

from tide.errors import TideError

_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$", re.IGNORECASE)


class DurationError(TideError):
    """A duration that does not parse."""


def parse_duration(text: str, option: str = "--timeout") -> float:
    """Seconds in ``text``: a number with an optional unit ms, s (the default), m, h or d."""
    match = _DURATION.match(text)
    if match is None:
        raise DurationError(
            f"{option} {text!r} is not a duration (e.g. 30s, 500ms, 2m, 1h, 7d; 0 for none)"
        )
    return float(match.group(1)) * _UNITS[(match.group(2) or "s").lower()]

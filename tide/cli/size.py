"""Sizes as people type them on the command line: ``128MB``, ``512KB``, ``1GB``, ``4096``."""

from __future__ import annotations

import re

from tide.errors import TideError

_UNITS = {"b": 1, "kb": 1024, "mb": 1024**2, "gb": 1024**3}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)?\s*$", re.IGNORECASE)


class SizeError(TideError):
    """A size that does not parse."""


def parse_size(text: str, option: str) -> int:
    """Bytes in ``text``: a number with an optional unit B (the default), KB, MB or GB (of 1024)."""
    match = _SIZE.match(text)
    if match is None or float(match.group(1)) <= 0:
        raise SizeError(f"{option} {text!r} is not a size (e.g. 128MB, 512KB, 1GB)")
    return int(float(match.group(1)) * _UNITS[(match.group(2) or "b").lower()])

"""Structured log lines (``ts level logger event key=value ...``) for every Tide process."""

from __future__ import annotations

import logging
import sys
import time
from typing import Any

_RESERVED = set(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime"}


class KeyValueFormatter(logging.Formatter):
    """Render a record as one line: timestamp, level, logger, message, then its extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        ts = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
        extras = {k: v for k, v in vars(record).items() if k not in _RESERVED}
        fields = " ".join(f"{k}={_quote(v)}" for k, v in extras.items())
        line = f"{ts}.{int(record.msecs):03d}Z {record.levelname.lower()} {record.name} "
        line += record.getMessage() + (f" {fields}" if fields else "")
        if record.exc_info:
            line += " exc=" + _quote(self.formatException(record.exc_info).splitlines()[-1])
        return line


def _quote(value: Any) -> str:
    text = str(value)
    return f'"{text}"' if (" " in text or not text) else text


def configure(level: str = "INFO") -> None:
    """Send structured lines to stderr (stdout is for the user's results)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(KeyValueFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())

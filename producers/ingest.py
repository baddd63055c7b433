"""Ingest a file of events (one Avro-JSON record per line) through the publisher; refused lines
go to ``<topic>.dlq`` with the reason, the source and the original line."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import fastavro
from fastavro import json_reader

from producers.avro_json_errors import first_mismatch
from producers.errors import ProducerError, SchemaValidationError
from producers.publisher import Publisher

log = logging.getLogger(__name__)

KEY_FIELDS = {"clicks": "user_id", "orders": "order_id"}


SHOWN_REJECTS = 10  # the first refused lines a summary keeps (all go to the DLQ and the sink)
Rejected = Callable[[int, str, str], None]  # line number, reason, the line as read


@dataclass
class IngestSummary:
    lines: int = 0
    accepted: int = 0
    dead_lettered: int = 0
    first_rejects: list[tuple[int, str]] = field(default_factory=list)  # (line number, reason)


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    try:
        with path.open(encoding="utf-8") as handle:
            yield from ((n, line) for n, line in enumerate(handle, 1) if line.strip())
    except OSError as e:
        raise ProducerError(f"cannot read {path}: {e.strerror}") from e
    except UnicodeDecodeError as e:
        raise ProducerError(f"{path} is not UTF-8 text: {e}") from e


def decode_avro_json(line: str, parsed_schema: Any) -> dict[str, Any]:
    """One record in Avro's JSON encoding (unions as {"type": value}), as Avro tools write."""
    try:
        records = list(json_reader(io.StringIO(line), parsed_schema))
    except json.JSONDecodeError as e:
        raise SchemaValidationError(f"not JSON: {e.msg} at column {e.colno}") from e
    except (KeyError, ValueError, TypeError, AttributeError, OverflowError) as e:
        reason = first_mismatch(json.loads(line), parsed_schema) or f"{type(e).__name__}: {e}"
        raise SchemaValidationError(f"does not match the schema: {reason}") from e
    if len(records) != 1 or not isinstance(records[0], dict):
        raise SchemaValidationError("a line must hold exactly one JSON record")
    return records[0]


def ingest_jsonl(
    path: Path,
    topic: str,
    schema: dict[str, Any],
    publisher: Publisher,
    key_field: str | None = None,
    progress: Callable[[int], None] | None = None,
    rejected: Rejected | None = None,
) -> IngestSummary:
    """Publish every valid line of ``path``; dead-letter the rest, telling ``rejected`` of each.
    Returns the counts and the first refused lines."""
    parsed = fastavro.parse_schema(schema)
    field_name = key_field or KEY_FIELDS.get(topic)
    summary = IngestSummary()
    for number, line in _lines(path):
        summary.lines += 1
        try:
            event = decode_avro_json(line, parsed)
            key = str(event[field_name]) if field_name else ""
            publisher.send(topic, key, event)
            summary.accepted += 1
        except (SchemaValidationError, KeyError) as e:
            reason = f"missing key field {e}" if isinstance(e, KeyError) else str(e)
            publisher.dead_letter(topic, f"{path}:{number}", reason, line.rstrip("\n").encode())
            summary.dead_lettered += 1
            if len(summary.first_rejects) < SHOWN_REJECTS:
                summary.first_rejects.append((number, reason))
            if rejected is not None:
                rejected(number, reason, line.rstrip("\n"))
        if progress is not None:
            progress(1)
    return summary

"""The Confluent wire format: magic byte 0, the schema id as 4 big-endian bytes, the Avro body."""

from __future__ import annotations

import struct

from producers.errors import WireFormatError

MAGIC = 0
_HEADER = struct.Struct(">bI")
HEADER_SIZE = _HEADER.size


def header(schema_id: int) -> bytes:
    return _HEADER.pack(MAGIC, schema_id)


def split(message: bytes) -> tuple[int, memoryview]:
    """The schema id and the Avro body of a wire-format message."""
    if len(message) < _HEADER.size:
        raise WireFormatError(f"message of {len(message)} bytes is shorter than the 5-byte header")
    magic, schema_id = _HEADER.unpack_from(message)
    if magic != MAGIC:
        raise WireFormatError(f"unknown magic byte {magic} (expected {MAGIC})")
    return schema_id, memoryview(message)[_HEADER.size :]

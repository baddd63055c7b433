"""An Avro object-container file built in memory from wire-format bodies of one writer schema.

A container block is just the record count, the byte count, the concatenated schemaless bodies
and the sync marker, so a batch of Kafka values (their 5-byte header stripped) becomes a file a
columnar reader (DuckDB's ``read_avro``) decodes in one call.
"""

from __future__ import annotations

import os

_SYNC = os.urandom(16)


def _long(n: int) -> bytes:
    """Avro's zig-zag varint."""
    n = (n << 1) ^ (n >> 63)
    out = bytearray()
    while n & ~0x7F:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def header(schema_json: str) -> bytes:
    meta = {b"avro.schema": schema_json.encode(), b"avro.codec": b"null"}
    out = bytearray(b"Obj\x01") + _long(len(meta))
    for k, v in meta.items():
        out += _long(len(k)) + k + _long(len(v)) + v
    return bytes(out + _long(0) + _SYNC)


def container(head: bytes, bodies: list[bytes]) -> bytes:
    """A one-block file of ``bodies`` after ``head`` (from ``header``)."""
    data = b"".join(bodies)
    return b"".join((head, _long(len(bodies)), _long(len(data)), data, _SYNC))

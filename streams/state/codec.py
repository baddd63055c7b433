"""Framing of internal messages and snapshots: a JSON header and a few Arrow IPC tables.

``magic (4 bytes) | u32 header length | header JSON | (u32 length | Arrow IPC stream)*``; a
zero length stands for an absent table. Arrow keeps the column types exact (int64 window
starts, uint8 register ranks) and costs no per-row Python work.
"""

from __future__ import annotations

import io
import json
import struct
from typing import Any

import pyarrow as pa

from streams.errors import ExchangeError

_LEN = struct.Struct(">I")
_OPTIONS = pa.ipc.IpcWriteOptions(compression="zstd")


def pack(magic: bytes, header: dict[str, Any], tables: list[pa.Table | None]) -> bytes:
    head = json.dumps(header, separators=(",", ":"), sort_keys=True).encode()
    out = io.BytesIO()
    out.write(magic + _LEN.pack(len(head)) + head)
    for table in tables:
        if table is None or table.num_rows == 0:
            out.write(_LEN.pack(0))
            continue
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, table.schema, options=_OPTIONS) as writer:
            writer.write_table(table)
        body = sink.getvalue().to_pybytes()
        out.write(_LEN.pack(len(body)) + body)
    return out.getvalue()


def unpack(magic: bytes, data: bytes, count: int) -> tuple[dict[str, Any], list[pa.Table | None]]:
    """The header and ``count`` tables of a packed message (None where a table was absent)."""
    if not data.startswith(magic):
        raise ExchangeError(f"not a {magic.decode(errors='replace')} message")
    try:
        at = len(magic)
        (size,) = _LEN.unpack_from(data, at)
        header: dict[str, Any] = json.loads(data[at + 4 : at + 4 + size])
        at += 4 + size
        tables: list[pa.Table | None] = []
        for _ in range(count):
            (size,) = _LEN.unpack_from(data, at)
            at += 4
            tables.append(
                None if size == 0 else pa.ipc.open_stream(data[at : at + size]).read_all()
            )
            at += size
    except (struct.error, ValueError, pa.ArrowInvalid) as e:
        raise ExchangeError(f"truncated or corrupt {magic.decode(errors='replace')} message") from e
    return header, tables

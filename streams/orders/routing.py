"""Which partition an order lives in, computed the way Tide's producers place it.

Tide's producers key every event and leave placement to librdkafka's default partitioner,
``consistent_random``: a keyed record goes to ``crc32(key) % partitions``. Knowing it without
asking the broker is what lets a command service tell whether it owns an order (one writer per
order: the member of the command group that holds the order's partition) and, if not, which
partition's owner to send the command to. Java clients (murmur2) place keys elsewhere: a
topic Tide routes by must be written by Tide's producers or with ``partitioner=consistent``.
"""

from __future__ import annotations

import zlib


def partition_for(key: str, partitions: int) -> int:
    """The partition librdkafka's default partitioner gives a non-empty ``key``."""
    if partitions < 1:
        raise ValueError(f"a topic has at least one partition, not {partitions}")
    return zlib.crc32(key.encode()) % partitions

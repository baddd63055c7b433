"""Faust's own figures for bench.windows, each in a process of its own (Faust owns the loop).

    python -m bench.faust_baselines count|window BOOTSTRAP REGISTRY_URL TOPIC EVENTS

``count``: an agent that only counts messages (Faust's ceiling). ``window``: the naive
baseline — decode each event, count it per page in a tumbling windowed Table (changelog on).
Prints one JSON line: events and seconds from the first event to the last.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
import uuid
from typing import Any

import faust

from producers.deserializer import AvroDeserializer
from producers.registry_client import RegistryClient


def main() -> None:
    kind, bootstrap, registry_url, topic, n = sys.argv[1:6]
    total = int(n)
    app = faust.App(
        f"bench-{kind}-{uuid.uuid4().hex[:6]}",
        broker=f"kafka://{bootstrap}",
        store="memory://",
        value_serializer="raw",
        key_serializer="raw",
        web_enabled=False,
        consumer_auto_offset_reset="earliest",
        topic_partitions=4,
        broker_session_timeout=6.0,
        broker_heartbeat_interval=1.5,
        broker_rebalance_timeout=12.0,
        datadir=tempfile.mkdtemp(prefix="tide-bench-faust-"),
    )
    source = app.topic(topic, value_serializer="raw", key_serializer="raw")
    seen = {"n": 0, "first": 0.0}

    def tally() -> None:
        seen["n"] += 1
        if seen["n"] == 1:
            seen["first"] = time.perf_counter()
        if seen["n"] >= total:
            elapsed = time.perf_counter() - seen["first"]
            line = "BENCH " + json.dumps({"events": total, "seconds": elapsed}) + "\n"
            os.write(1, line.encode())  # Faust redirects sys.stdout into its log
            os._exit(0)

    if kind == "count":

        @app.agent(source)
        async def count(stream: Any) -> None:
            async for batch in stream.take(10_000, within=1):  # Faust's fastest path
                for _ in batch:
                    tally()
    else:
        table = app.Table("per_page", default=int).tumbling(60, expires=3600)
        decoder = AvroDeserializer(RegistryClient(registry_url))

        @app.agent(source)
        async def window(stream: Any) -> None:
            async for value in stream:
                click = decoder.decode(value)
                table[click["page"]] += 1
                tally()

    faust.Worker(app, loglevel="WARNING", quiet=True).execute_from_commandline()


if __name__ == "__main__":
    main()

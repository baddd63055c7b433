"""One admin client per broker address, kept for the life of the process.

Creating a librdkafka client starts its threads and connects to every broker; a long-running
reader of metadata, offsets and groups (the console, every refresh) that made one per request
spent more CPU on that than on the requests, on its side and the broker's. The clients are
thread-safe; a broker that went away is reconnected to by the client itself.
"""

from __future__ import annotations

import threading

from confluent_kafka.admin import AdminClient

_BACKOFF_MAX_MS = 1000  # a broker back after an outage is seen within a second (default 10 s)
_CLIENTS: dict[str, AdminClient] = {}
_LOCK = threading.Lock()


def shared_admin(bootstrap_servers: str) -> AdminClient:
    """The process's admin client of ``bootstrap_servers``."""
    with _LOCK:
        client = _CLIENTS.get(bootstrap_servers)
        if client is None:
            client = AdminClient({"bootstrap.servers": bootstrap_servers, "log_level": 0,
                                  "reconnect.backoff.max.ms": _BACKOFF_MAX_MS})  # fmt: skip
            _CLIENTS[bootstrap_servers] = client
        return client

"""Overview: every process of the local stack with its health and address.

The parts of a running `tide up` come from ``<data dir>/stack.json`` (as `tide status` reads
them); the broker and registry the settings name are probed too, so the overview says what it
can also for a stack not started by `tide up`.
"""

from __future__ import annotations

from typing import Any

from tide.console.context import ConsoleContext
from tide.console.topics import broker_answers
from tide.stack.health import child_health
from tide.stack.registry_process import registry_answers
from tide.stack.supervision import read_state


def overview(ctx: ConsoleContext) -> dict[str, Any]:
    """The configured addresses with a health probe each, and `tide up`'s children if it runs."""
    s = ctx.settings
    data_dir = s.data_dir.resolve()
    configured = [
        _part("broker", s.kafka.bootstrap_servers, broker_answers(s.kafka.bootstrap_servers)),
        _part("registry", s.registry.url, registry_answers(s.registry.url)),
        _part("lake catalog", s.catalog_uri, None),
        _part("warehouse", s.warehouse, None),
    ]
    configured += [_part("worker metrics", url, None) for url in ctx.worker_urls]
    state = read_state(data_dir / "stack.json")
    stack = None
    if state is not None:
        stack = {
            "pid": state["pid"],
            "started_at_ms": int(float(state["started_at"]) * 1000),
            "children": [{**child, "health": child_health(child)} for child in state["children"]],
        }
    return {"data_dir": str(data_dir), "configured": configured, "tide_up": stack}


def _part(name: str, address: str, healthy: bool | None) -> dict[str, Any]:
    health = "unknown" if healthy is None else ("healthy" if healthy else "not answering")
    return {"name": name, "address": address, "health": health}

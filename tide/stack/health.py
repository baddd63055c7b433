"""Whether a part of `tide up` answers now, as `tide status` and the console show it."""

from __future__ import annotations

from typing import Any

from tide.stack.broker import metadata_ok
from tide.stack.registry_process import registry_answers
from tide.stack.service_process import service_answers
from tide.stack.supervision import pid_alive


def child_health(child: dict[str, Any]) -> str:
    """healthy, not answering, or down (restarting), for one child of ``stack.json``."""
    if child["state"] != "running" or not pid_alive(int(child["pid"] or 0)):
        return "down (restarting)"
    answers = {
        "broker": lambda: metadata_ok(child["address"], 1.0),
        "registry": lambda: registry_answers(child["address"]),
        "orders": lambda: service_answers(child["address"]),
        "projections": lambda: service_answers(child["address"]),
        "console": lambda: service_answers(child["address"]),
    }.get(child["name"], lambda: True)
    return "healthy" if answers() else "not answering"

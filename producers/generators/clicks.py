"""Realistic clickstream: a few hot pages, users with a home region and device, sessions."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from producers.generators.clock import EventClock

PAGES = ["/", "/search", "/cart", "/checkout", "/account", "/help"] + [
    f"/product/{n}" for n in range(1, 41)
]
# Zipf-like popularity: the home page and search are hot, the long tail of products is not.
PAGE_WEIGHTS = [1 / (rank + 1) ** 1.1 for rank in range(len(PAGES))]
REGIONS = {"eu": 0.40, "us": 0.35, "apac": 0.20, "latam": 0.05}
DEVICES = {"MOBILE": 0.55, "DESKTOP": 0.38, "TABLET": 0.07}


def _user(n: int, rng: random.Random) -> dict[str, str]:
    return {
        "user_id": f"u{n:05d}",
        "region": rng.choices(list(REGIONS), list(REGIONS.values()))[0],
        "device": rng.choices(list(DEVICES), list(DEVICES.values()))[0],
    }


def clicks(
    count: int, clock: EventClock, seed: int | None = None, users: int = 2000
) -> Iterator[tuple[str, dict[str, Any]]]:
    """``count`` clicks as (key, record) pairs, keyed by ``user_id``."""
    rng = random.Random(seed)  # noqa: S311 - synthetic data, not security
    population = [_user(n, rng) for n in range(users)]
    sessions: dict[str, str] = {}
    previous: dict[str, str] = {}
    for i in range(count):
        user = rng.choice(population)
        uid = user["user_id"]
        if uid not in sessions or rng.random() < 0.1:
            sessions[uid] = uuid.UUID(int=rng.getrandbits(128)).hex
            previous.pop(uid, None)
        page = rng.choices(PAGES, PAGE_WEIGHTS)[0]
        record = {
            "event_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "event_time": datetime.fromtimestamp(clock.at(i, rng) / 1000, UTC),
            "user_id": uid,
            "session_id": sessions[uid],
            "page": page,
            "referrer": previous.get(uid),
            "region": user["region"],
            "device": user["device"],
        }
        previous[uid] = page
        yield uid, record

"""Several registry processes sharing one Kafka log, as a multi-host deployment runs them."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import httpx

from registry.server import KafkaStoreOptions
from tide.stack.ports import free_port
from tide.stack.registry_process import RegistryProcess

T = TypeVar("T")


def await_value(probe: Callable[[], T | None], timeout_s: float, what: str) -> T:
    """Poll ``probe`` until it returns a value (the condition), or fail naming ``what``."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            found = probe()
        except httpx.HTTPError:
            found = None
        if found is not None:
            return found
        time.sleep(0.05)  # polling interval of the condition
    raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")


class Cluster:
    def __init__(self, bootstrap_servers: str, root: Path, topic: str = "_schemas") -> None:
        self._options = KafkaStoreOptions(bootstrap_servers, topic, "", lease_s=2.0)
        self._root = root
        self.members: list[RegistryProcess] = []

    def add(self, port: int | None = None) -> RegistryProcess:
        """A new instance (a new instance id), on ``port`` if given: a restart at the same
        address."""
        port = free_port() if port is None else port
        member = RegistryProcess(port, None, self._root / "logs", self._options)
        member.start(timeout_s=60)
        self.members.append(member)
        return member

    @property
    def alive(self) -> list[RegistryProcess]:
        return [m for m in self.members if m.process.running]

    def primary(self, among: list[RegistryProcess] | None = None, not_url: str = "") -> str:
        """The primary's URL once every member in ``among`` agrees on it (and it isn't
        ``not_url``)."""
        members = among if among is not None else self.alive

        def agreed() -> str | None:
            seen = {httpx.get(f"{m.url}/v1/metadata/primary", timeout=2).json()["primary"]
                    for m in members}  # fmt: skip
            url = seen.pop() if len(seen) == 1 else None
            return url if url and url != not_url else None

        return await_value(agreed, 30, "the members to agree on a primary")

    def member(self, url: str) -> RegistryProcess:
        return next(m for m in self.members if m.url == url)

    def stop(self) -> None:
        for member in self.members:
            member.stop()

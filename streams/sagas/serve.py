"""Run saga roles (inventory, payment, shipping, state — any of them, each its own consumer
group) and their HTTP API in one process until stopped; a role's error stops the process."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import uvicorn

from streams.sagas.http_api import create_app
from streams.sagas.inventory import Inventory
from streams.sagas.knobs import Knobs
from streams.sagas.member import PartitionLogic, SagaMember, SagaSettings
from streams.sagas.payment import Payment
from streams.sagas.shipping import Shipping
from streams.sagas.state import RetryPolicy, SagaBook

log = logging.getLogger(__name__)
ROLES = ("inventory", "payment", "shipping", "state")


def member(role: str, settings: SagaSettings, knobs: Knobs, policy: RetryPolicy,
           stop: threading.Event) -> SagaMember:  # fmt: skip
    """The group member of ``role``."""
    makers: dict[str, Callable[[], PartitionLogic]] = {
        "inventory": lambda: Inventory(knobs),
        "payment": lambda: Payment(knobs),
        "shipping": lambda: Shipping(knobs),
        "state": lambda: SagaBook(policy),
    }
    return SagaMember(settings, role, makers[role], role in ("inventory", "state"), stop)


def serve(roles: list[str], settings: SagaSettings, knobs: Knobs, policy: RetryPolicy,
          host: str, port: int, announce: Callable[[str], None]) -> None:  # fmt: skip
    stop = threading.Event()
    members = {r: member(r, settings, knobs, policy, stop) for r in roles}
    server = uvicorn.Server(uvicorn.Config(create_app(members), host=host, port=port,
                                           log_level="warning", access_log=False))  # fmt: skip
    failed: list[BaseException] = []

    def work(m: SagaMember) -> None:
        try:
            m.run()
        except BaseException as e:  # the process stops with the member's error
            failed.append(e)
            log.error("saga member failed", extra={"role": m.role, "error": str(e)})
            server.should_exit = True

    threads = [threading.Thread(target=work, args=(m,), name=r, daemon=True)
               for r, m in members.items()]  # fmt: skip
    for t in threads:
        t.start()
    announce(f"saga roles {', '.join(roles)} serving on http://{host}:{port}")
    try:
        server.run()
    finally:
        stop.set()
        for t in threads:
            t.join(30)
    if failed:
        raise failed[0]

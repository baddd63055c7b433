"""The order command API: `POST /orders`, `POST /orders/{id}/pay|ship|cancel`, `GET /orders/{id}`.

A command names the version it expects in its body (``expected_version``) or in ``If-Match``
(409 with the current version when the order moved on); its idempotency key in
``Idempotency-Key`` (a retry answers with the first result). An order whose partition another
member owns is forwarded there (one hop), and a member that owns nobody's partition for it
answers 421 naming where it was last claimed. Right after a start, a command waits (up to
``OWNERSHIP_WAIT_S``) for the group to hand this member its partitions and for it to read them
to their end. `GET /orders/{id}` answers from the command side's own state: it includes every
event this member accepted, read back or not (read-your-writes without waiting).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from streams.orders.aggregate import CommandRefusedError, Status, VersionConflictError
from streams.orders.commands import (
    InvalidCommandError,
    NotConfirmedError,
    NotOwnedError,
    OrderCommands,
    UnknownOrderError,
    order_id_for,
)
from streams.orders.history import HistoryUnavailableError, OrderHistory, parse_time
from streams.ownership.directory import OwnerDirectory
from streams.ownership.forward import FORWARDED, forward, misdirected
from streams.projections.read_models import order_summary

OWNERSHIP_WAIT_S = 15.0
HOP_WAIT_S = 1.0  # a forwarded request's wait for ownership (its sender goes on waiting)
MAX_BODY_BYTES = 1 << 20


def _error(status: int, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": message, **extra}, status)


def create_app(commands: OrderCommands, owners: OwnerDirectory, history: OrderHistory) -> FastAPI:
    client = httpx.AsyncClient(timeout=30.0)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        await client.aclose()

    app = FastAPI(title="Tide order commands", docs_url=None, redoc_url=None, lifespan=lifespan)

    async def owned_or_routed(request: Request, order_id: str, raw: bytes) -> Response | None:
        """None when this member decides on ``order_id``; else the owner's answer (or 421)."""
        hop = bool(request.headers.get(FORWARDED))  # the sender waits; we answer soon
        deadline = time.monotonic() + (HOP_WAIT_S if hop else OWNERSHIP_WAIT_S)
        while True:
            if await run_in_threadpool(commands.owns, order_id):
                return None
            p = commands.partition(order_id)
            owner = owners.owner(p)
            if owner is not None and owner != owners.me:
                answer = await forward(request, owner, client, raw)
                if answer is not None and answer.status_code != 421:  # 421: a claim moving
                    return answer
            if time.monotonic() >= deadline:
                return misdirected(p, owner, "orders")
            await asyncio.sleep(0.05)

    async def run(
        request: Request, kind: str, order_id: str | None, body: dict[str, Any]
    ) -> Response:
        key = request.headers.get("Idempotency-Key")
        if order_id is None:
            given = body.get("order_id")
            if given is not None and (not isinstance(given, str) or not given):
                return _error(422, "order_id must be a non-empty string")
            order_id = given or order_id_for(key)
        expected = body.get("expected_version", request.headers.get("If-Match"))
        try:
            expected_version = None if expected is None else int(str(expected).strip('"'))
        except ValueError:
            return _error(422, f"expected_version must be an integer, not {expected!r}")
        raw = json.dumps({**body, "order_id": order_id}).encode() if kind == "place" else None
        routed = await owned_or_routed(request, order_id, raw or await request.body())
        if routed is not None:
            return routed
        try:
            done = await run_in_threadpool(commands.handle, kind, order_id, body, key,
                                           expected_version)  # fmt: skip
        except VersionConflictError as e:
            return _error(409, str(e), current_version=e.current)
        except (CommandRefusedError, InvalidCommandError) as e:
            return _error(422, str(e))
        except UnknownOrderError as e:
            return _error(404, str(e))
        except NotOwnedError as e:  # the partition moved away between the check and the command
            return misdirected(e.partition, owners.owner(e.partition), "orders")
        except NotConfirmedError as e:
            return _error(503, str(e))
        status = 200 if done.delivery == "replayed" else (201 if kind == "place" else 200)
        return JSONResponse(done.answer(), status)

    async def body_of(request: Request) -> dict[str, Any] | JSONResponse:
        raw = await request.body()
        if len(raw) > MAX_BODY_BYTES:
            return _error(413, f"request body exceeds {MAX_BODY_BYTES} bytes")
        if not raw.strip():
            return {}
        try:
            body = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            return _error(400, f"malformed JSON body: {e}")
        if not isinstance(body, dict):
            return _error(422, "the body must be a JSON object")
        return body

    @app.post("/orders")
    async def place(request: Request) -> Response:
        body = await body_of(request)
        return body if isinstance(body, Response) else await run(request, "place", None, body)

    @app.post("/orders/{order_id}/{action}")
    async def act(order_id: str, action: str, request: Request) -> Response:
        if action not in ("pay", "ship", "cancel"):
            return _error(404, f"no command {action!r}: use pay, ship or cancel")
        body = await body_of(request)
        return body if isinstance(body, Response) else await run(request, action, order_id, body)

    @app.get("/orders/{order_id}")
    async def show(order_id: str, request: Request, as_of: str | None = None) -> Response:
        when = None
        if as_of is not None:
            try:
                when = parse_time(as_of)
            except ValueError as e:
                return _error(422, str(e))
        routed = await owned_or_routed(request, order_id, b"")
        if routed is not None:
            return routed
        try:
            if when is None:
                state = await run_in_threadpool(commands.state, order_id)
            else:
                found = await run_in_threadpool(history.state, order_id, when)
                if found is None:
                    raise NotOwnedError(order_id, commands.partition(order_id))
                state = found
        except NotOwnedError as e:
            return misdirected(e.partition, owners.owner(e.partition), "orders")
        except HistoryUnavailableError as e:
            return _error(410, str(e))
        if state.status is Status.NEW:
            then = "" if when is None else f" at {when.isoformat()}"
            return _error(404, f"no order {order_id}{then}")
        answer = order_summary(state)
        return JSONResponse(answer if when is None else {**answer, "as_of": when.isoformat()})

    @app.get("/metrics")
    def metrics() -> PlainTextResponse:
        owned = commands.owned()
        lines = ["# TYPE tide_order_history_from_lake_total counter",
                 f"tide_order_history_from_lake_total {history.from_lake}",
                 "# TYPE tide_order_partitions_owned gauge",
                 f"tide_order_partitions_owned {len(owned)}",
                 "# TYPE tide_order_commands_total counter"]  # fmt: skip
        lines += [f'tide_order_commands_total{{outcome="{k}"}} {v}'
                  for k, v in sorted(commands.counts.items())]  # fmt: skip
        return PlainTextResponse("\n".join(lines) + "\n")

    return app

"""The read API over a projection worker's books: `GET /orders/{id}`, `GET /customers/{id}/orders`.

Answers come from memory. ``?min_version=N`` on an order waits (up to ``wait_s``, at most
``MAX_WAIT_S``) until the projection has folded version N — read-your-writes for a command that
answered with N — and answers 504 when it has not. An order whose partition this worker does not
own is forwarded to the member that claimed it (one hop, ``streams.ownership``); with no
reachable owner (after waiting, as a restarted worker waits for the group to hand its
partitions back) it gets 421 naming the partition and its last claimed owner. A customer's orders
spread over partitions: the answer merges this member's partitions with every other member's
and says how many partitions it covers and whether that is all of them (``complete``).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from producers.deserializer import AvroDeserializer
from streams.orders.routing import partition_for
from streams.ownership.directory import OwnerDirectory
from streams.ownership.forward import FORWARDED, forward, misdirected
from streams.projections.read_models import merge_customer_views, order_summary
from streams.projections.rebuild import MODELS, RebuildError, rebuild
from streams.projections.worker import ProjectionWorker

MAX_WAIT_S = 30.0
REBUILD_WITHIN_S = 300.0
HOP_WAIT_S = 1.0  # how long a forwarded request waits for a partition this member lacks


def _error(status: int, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": message, **extra}, status)


def create_app(
    worker: ProjectionWorker, owners: OwnerDirectory, decoder: AvroDeserializer
) -> FastAPI:
    client = httpx.AsyncClient(timeout=REBUILD_WITHIN_S + 30)  # a forwarded rebuild waits too

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        await client.aclose()

    app = FastAPI(title="Tide projections", docs_url=None, redoc_url=None, lifespan=lifespan)

    def summary(order_id: str) -> tuple[int, dict[str, Any] | None]:
        p = partition_for(order_id, worker.partitions)
        with worker.lock:
            book = worker.books.get(p)
            if book is None:
                return p, None
            fold = book.folds.get(order_id)
            return p, {} if fold is None else order_summary(fold.state)

    @app.get("/orders/{order_id}")
    async def order(
        order_id: str,
        request: Request,
        min_version: int = Query(0, ge=0),
        wait_s: float = Query(5.0, ge=0, le=MAX_WAIT_S),
    ) -> Response:
        deadline = time.monotonic() + wait_s
        hop = time.monotonic() + HOP_WAIT_S if request.headers.get(FORWARDED) else deadline
        while True:
            p, found = summary(order_id)
            owner = owners.owner(p)
            if found is None and time.monotonic() >= hop:  # forwarded here: its sender waits
                return misdirected(p, owner, worker.settings.source)
            if found is None and owner is not None and owner != owners.me:
                answer = await forward(request, owner, client)
                if answer is not None and answer.status_code != 421:  # 421: a claim moving
                    return answer
            version = 0 if found is None else found.get("version", 0)
            if found is not None and version >= max(min_version, 1):
                return JSONResponse(found)
            if time.monotonic() >= deadline:
                if found is None:  # after a restart, until the group hands the partition over
                    return misdirected(p, owner, worker.settings.source)
                if min_version:
                    return _error(504, f"order {order_id} is at version {version} here, not "
                                       f"{min_version}, after {wait_s:g} s",
                                  version=version)  # fmt: skip
                return _error(404, f"no order {order_id}")
            await asyncio.sleep(0.01)

    @app.get("/customers/{customer_id}/orders")
    async def customer(customer_id: str, request: Request) -> JSONResponse:
        """A customer's orders spread over partitions: this member's share merged with every
        other member's (unless this request was forwarded: then this member's share only)."""
        with worker.lock:
            answered = len(worker.books)
            parts = [b.customers[customer_id].view() for b in worker.books.values()
                     if customer_id in b.customers]  # fmt: skip
        if not request.headers.get(FORWARDED):
            for other in (m for m in owners.members() if m != owners.me):
                answer = await forward(request, other, client)
                if answer is None or answer.status_code not in (200, 404):
                    continue  # a member gone: its partitions are not in the answer
                body = json.loads(bytes(answer.body))
                answered += int(body.get("partitions", 0))
                if answer.status_code == 200:
                    parts.append(body)
        complete = {"partitions": answered, "complete": answered == worker.partitions}
        if not parts:
            return _error(404, f"no orders of customer {customer_id}", **complete)
        return JSONResponse({**merge_customer_views(parts), **complete})

    @app.post("/rebuild")
    async def rebuild_models(request: Request, model: str = "order_summary") -> JSONResponse:
        """Rebuild the read models of every partition this member owns (and, unless forwarded,
        ask every other member to do the same); answers what each rebuild found."""
        if model not in MODELS:
            return _error(422, f"no read model {model!r}: use {' or '.join(MODELS)}")
        owned = await run_in_threadpool(lambda: sorted(worker.books))
        done = []
        for p in owned:
            try:
                found = await run_in_threadpool(rebuild, worker, p, decoder, REBUILD_WITHIN_S)
            except RebuildError as e:
                return _error(503, str(e))
            done.append(found.answer())
        await run_in_threadpool(worker.checkpoint, [d["partition"] for d in done if d["swapped"]])
        members = [owners.me]
        if not request.headers.get(FORWARDED):
            for other in (m for m in owners.members() if m != owners.me):
                answer = await forward(request, other, client)
                if answer is None or answer.status_code != 200:
                    why = "unreachable" if answer is None else bytes(answer.body).decode()
                    return _error(502, f"the rebuild on {other} failed: {why}")
                done += json.loads(bytes(answer.body))["partitions"]
                members.append(other)
        done.sort(key=lambda d: d["partition"])
        return JSONResponse({"model": model, "members": members, "partitions": done,
                             "different": sum(d["different"] for d in done)})  # fmt: skip

    @app.get("/metrics")
    def metrics() -> PlainTextResponse:
        with worker.lock:
            rows = [(p, b.applied, len(b.folds), b.next_offset)
                    for p, b in sorted(worker.books.items())]  # fmt: skip
        lines = ["# TYPE tide_projection_events_applied_total counter"]
        lines += [f'tide_projection_events_applied_total{{partition="{p}"}} {a}'
                  for p, a, _, _ in rows]  # fmt: skip
        lines += ["# TYPE tide_projection_orders gauge"]
        lines += [f'tide_projection_orders{{partition="{p}"}} {n}' for p, _, n, _ in rows]
        lines += ["# TYPE tide_projection_next_offset gauge"]
        lines += [f'tide_projection_next_offset{{partition="{p}"}} {o}'
                  for p, _, _, o in rows if o is not None]  # fmt: skip
        lines += ["# TYPE tide_projection_skipped_total counter",
                  f"tide_projection_skipped_total {worker.skipped}"]  # fmt: skip
        return PlainTextResponse("\n".join(lines) + "\n")

    return app

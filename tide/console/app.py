"""The console's web app: JSON under /api/..., the one page at /, its own /metrics.

Every section's work is blocking (librdkafka, the registry's HTTP, pyiceberg, DuckDB) and runs
in the threadpool; a section's error is answered by ``http_errors`` alone, so one dependency
that is down fails only the sections that need it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from importlib.resources import files
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool

from tide.console import metrics
from tide.console.context import ConsoleContext
from tide.console.http_errors import classify, error_response, invalid_request
from tide.console.live import SectionCache, events
from tide.console.routes import add_routes

log = logging.getLogger(__name__)
Next = Callable[[Request], Awaitable[Response]]
PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8"


async def answer(work: Callable[..., dict[str, Any]], *args: Any) -> Response:
    """``work(*args)`` in the threadpool, as JSON; its error as ``http_errors`` says."""
    try:
        body = await run_in_threadpool(work, *args)
    except Exception as e:  # every section error becomes an answer, never a blank page
        status, cause = classify(e)
        metrics.ERRORS.labels(cause).inc()
        if status == 500:
            log.exception("console section failed", extra={"section": work.__name__})
        return error_response(e)
    return JSONResponse(body)


def create_app(ctx: ConsoleContext) -> FastAPI:
    cache = SectionCache(ctx, ctx.settings.console.refresh_seconds)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        warming = asyncio.create_task(cache.warm())
        yield
        warming.cancel()
        ctx.close()

    app = FastAPI(
        title="Tide console", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan
    )
    app.middleware("http")(_count)

    @app.exception_handler(RequestValidationError)
    async def bad_parameters(_: Request, error: RequestValidationError) -> Response:
        metrics.ERRORS.labels("bad_parameter").inc()
        return invalid_request(error)

    add_routes(app, ctx, answer)

    @app.get("/api/live")
    async def live(request: Request, job: str | None = None) -> StreamingResponse:
        """Server-sent events: each section when it changed, ``results`` of ``job``."""
        return StreamingResponse(
            events(cache, request, job), media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )  # fmt: skip

    @app.get("/", response_class=HTMLResponse)
    async def index() -> HTMLResponse:
        page = files("tide.console").joinpath("static/index.html").read_text(encoding="utf-8")
        return HTMLResponse(page)

    @app.get("/metrics")
    async def own_metrics() -> Response:
        return Response(metrics.exposition(), media_type=PROMETHEUS_TEXT)

    return app


async def _count(request: Request, call_next: Next) -> Response:
    response = await call_next(request)
    parts = request.url.path.split("/")
    route = "/".join(parts[:3]) if parts[1:2] == ["api"] else request.url.path
    metrics.REQUESTS.labels(route if route in _KNOWN else "other", str(response.status_code)).inc()
    return response


_KNOWN = {"/", "/metrics", "/api/live", "/api/overview", "/api/streams", "/api/topics",
          "/api/groups", "/api/lake", "/api/sql", "/api/jobs", "/api/schemas"}  # fmt: skip

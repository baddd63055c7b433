"""`POST /query`: read-only SQL over the lake through HTTP, under the engine's sandbox, a
statement timeout and a row limit. The only place that knows HTTP status codes:

- 200 with the result: JSON, or an Arrow IPC stream when asked
  (``Accept: application/vnd.apache.arrow.stream``);
- 400 for a body that is not a query, and for SQL DuckDB rejects (with DuckDB's message);
- 401 without valid basic auth (when users are configured);
- 403 for a statement the sandbox refuses (writes, COPY, ATTACH, SET, files outside the lake);
- 408 for a statement stopped at its timeout (not retried blindly by clients, unlike a 503);
- 503 when the lake itself cannot be read (catalog down): the one 5xx, and never for input.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from lake.errors import LakeError, QueryError, QueryRefusedError, QueryTimeoutError
from lake.http.encoding import ARROW_STREAM, TRUNCATED_HEADER, arrow_body, json_body
from lake.http.request import Ceilings, QueryRequest, parse_request
from lake.query import QueryEngine
from lake.result import QueryResult

log = logging.getLogger(__name__)
REALM = 'Basic realm="tide-sql"'
Authorize = Callable[[str | None], bool]  # the Authorization header -> allowed

STATUS: list[tuple[type[LakeError], int, str]] = [
    (QueryTimeoutError, 408, "timeout"),
    (QueryRefusedError, 403, "forbidden"),
    (QueryError, 400, "bad_request"),
    (LakeError, 503, "lake_unavailable"),
]


def error_response(status: int, error: str, message: str) -> JSONResponse:
    return JSONResponse({"error": error, "message": message}, status_code=status)


def create_app(
    engine: QueryEngine, ceilings: Ceilings, authorize: Authorize | None = None
) -> FastAPI:
    """The endpoint over ``engine``; ``authorize``: basic auth check (None: open)."""
    app = FastAPI(title="Tide SQL", docs_url=None, redoc_url=None, openapi_url=None)
    if authorize is not None:
        app.middleware("http")(_basic_auth(authorize))

    @app.post("/query")
    async def query(request: Request) -> Response:
        return await answer_query(engine, ceilings, request)

    return app


async def answer_query(engine: QueryEngine, ceilings: Ceilings, request: Request) -> Response:
    """The answer to one query request (its body, its Accept header); errors as STATUS says.
    Shared by `tide sql serve` and the console's SQL box."""
    started = time.monotonic()
    try:
        asked = parse_request(await request.body())
        result = await run_in_threadpool(_run, engine, ceilings, asked)
    except LakeError as e:
        status, error = next((s, k) for kind, s, k in STATUS if isinstance(e, kind))
        _log(status, started, error=error)
        return error_response(status, error, str(e))
    response = _answer(result, request.headers.get("accept", ""))
    _log(200, started, rows=result.table.num_rows, truncated=result.truncated)
    return response


def _run(engine: QueryEngine, ceilings: Ceilings, asked: QueryRequest) -> QueryResult:
    rows, seconds = ceilings.rows(asked.max_rows), ceilings.seconds(asked.timeout_s)
    return engine.run(asked.sql, rows, seconds, asked.point())


def _answer(result: QueryResult, accept: str) -> Response:
    if ARROW_STREAM in accept:
        headers = {TRUNCATED_HEADER: str(result.truncated).lower()}
        return Response(arrow_body(result), media_type=ARROW_STREAM, headers=headers)
    return Response(json_body(result), media_type="application/json")


def _basic_auth(
    authorize: Authorize,
) -> Callable[[Request, Callable[[Request], Awaitable[Response]]], Awaitable[Response]]:
    async def middleware(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        if authorize(request.headers.get("authorization")):
            return await call_next(request)
        refused = error_response(401, "unauthorized", "valid basic auth credentials required")
        refused.headers["WWW-Authenticate"] = REALM
        return refused

    return middleware


def _log(status: int, started: float, **fields: object) -> None:
    elapsed_ms = round((time.monotonic() - started) * 1000, 1)
    log.info("query answered", extra={"status": status, "ms": elapsed_ms, **fields})

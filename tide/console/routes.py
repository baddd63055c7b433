"""The console's JSON endpoints, one per section and detail; each calls the section's module."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Query, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from lake.http.app import answer_query
from tide.console import (
    job_actions,
    jobs,
    lake,
    overview,
    schemas,
    streams,
    topics,
    window_results,
)
from tide.console import metrics as own
from tide.console.context import ConsoleContext

Answer = Callable[..., Awaitable[Response]]


def add_routes(app: FastAPI, ctx: ConsoleContext, answer: Answer) -> None:
    @app.get("/api/overview")
    async def get_overview() -> Response:
        return await answer(overview.overview, ctx)

    @app.get("/api/streams")
    async def get_streams() -> Response:
        return await answer(streams.streams, ctx)

    @app.get("/api/streams/{job}/results")
    async def get_results(job: str, windows: int = 10) -> Response:
        return await answer(window_results.results, ctx, job, windows)

    @app.get("/api/topics")
    async def get_topics(internal: bool = False) -> Response:
        return await answer(topics.topics, ctx, internal)

    @app.get("/api/topics/{name}")
    async def get_topic(name: str) -> Response:
        return await answer(topics.topic, ctx, name)

    @app.get("/api/topics/{name}/messages")
    async def get_messages(
        name: str,
        start: str = Query("beginning", alias="from"),
        limit: int = 20,
        partition: int | None = None,
    ) -> Response:
        return await answer(topics.messages, ctx, name, start, limit, partition)

    @app.get("/api/groups")
    async def get_groups() -> Response:
        return await answer(topics.groups, ctx)

    @app.get("/api/groups/{name}")
    async def get_group(name: str) -> Response:
        return await answer(topics.group, ctx, name)

    @app.get("/api/lake/tables")
    async def get_tables() -> Response:
        return await answer(lake.tables, ctx)

    @app.get("/api/lake/tables/{name}/snapshots")
    async def get_snapshots(name: str) -> Response:
        return await answer(lake.snapshots, ctx, name)

    @app.post("/api/sql")
    async def post_sql(request: Request) -> Response:
        """`tide sql serve`'s POST /query: same body, limits (the settings' ceilings), codes."""
        try:
            engine = await run_in_threadpool(ctx.engine)
        except Exception as e:  # the lake cannot be opened: the error answer says so
            return await answer(_raise, e)
        response = await answer_query(engine, ctx.ceilings, request)
        if response.status_code >= 400:
            own.ERRORS.labels("sql").inc()
        return response

    @app.get("/api/jobs")
    async def get_jobs(limit: int = 50) -> Response:
        return await answer(jobs.job_list, ctx, limit)

    @app.get("/api/jobs/{job_id}/log")
    async def get_job_log(job_id: int) -> Response:
        return await answer(job_actions.job_log, ctx, job_id)

    @app.post("/api/jobs")
    async def post_job(request: Request) -> Response:
        """Submit a job, detached: 202 with its id, pid and log (basic auth if configured)."""
        refused = _refused(ctx, request)
        if refused is not None:
            return refused
        try:
            body = await request.json()
        except ValueError:
            body = None  # submit names what the body must be
        response = await answer(job_actions.submit, ctx, body)
        if response.status_code == 200:
            response.status_code = 202
        return response

    @app.post("/api/jobs/{job_id}/cancel")
    async def post_cancel(job_id: int, request: Request) -> Response:
        """Cancel a job and wait for its end: 200 with it, 409 if it has ended already."""
        refused = _refused(ctx, request)
        return refused or await answer(job_actions.cancel_job, ctx, job_id)

    @app.get("/api/schemas")
    async def get_schemas() -> Response:
        return await answer(schemas.subjects, ctx)

    @app.get("/api/schemas/diff")
    async def get_diff(subject: str, old: str, new: str = "latest") -> Response:
        return await answer(schemas.diff, ctx, subject, old, new)


def _raise(error: Exception) -> dict[str, Any]:
    raise error


def _refused(ctx: ConsoleContext, request: Request) -> Response | None:
    """401 for an action without valid basic auth, when users are configured."""
    if ctx.authorize is None or ctx.authorize(request.headers.get("authorization")):
        return None
    own.ERRORS.labels("unauthorized").inc()
    return JSONResponse(
        {"error": "unauthorized", "message": "valid basic auth credentials required"},
        status_code=401, headers={"WWW-Authenticate": 'Basic realm="tide"'},
    )  # fmt: skip

"""The page's live updates: server-sent events, one per section whose answer changed.

``GET /api/live[?job=J]`` streams ``event: <section>`` with the section's JSON (as its own
``/api/...`` endpoint answers it, or ``{"error", "message"[, "dependency"]}`` when that one
fails) each time it differs from what this stream sent last, ``results`` for job J's window
results, and a ``tick`` with the server's time every round. A section is computed at most once
per refresh interval however many pages are open (``SectionCache``), and only while one is
(and once at the console's start). A new stream first gets each section's last answer, however
old, so that the page is drawn at once, then the fresh ones that differ.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from functools import partial
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from tide.console import jobs, lake, overview, schemas, streams, topics, window_results
from tide.console import metrics as own
from tide.console.context import ConsoleContext
from tide.console.http_errors import error_body

log = logging.getLogger(__name__)

Section = Callable[[ConsoleContext], dict[str, Any]]
SECTIONS: dict[str, Section] = {
    "overview": overview.overview,
    "streams": streams.streams,
    "topics": topics.topics,
    "groups": topics.groups,
    "lake": lake.tables,
    "jobs": jobs.job_list,
    "schemas": schemas.subjects,
}
RESULTS = "results"


class SectionCache:
    """The latest answer (JSON text) of each section, recomputed once it is older than the
    interval; concurrent streams asking for one section wait for one computation."""

    def __init__(self, ctx: ConsoleContext, interval_s: float) -> None:
        self.ctx = ctx
        self.interval_s = interval_s
        self._answers: dict[str, tuple[float, str]] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def get(self, name: str, work: Callable[[], dict[str, Any]]) -> str:
        lock = self._locks.setdefault(name, asyncio.Lock())
        async with lock:
            at, text = self._answers.get(name, (float("-inf"), ""))
            if time.monotonic() - at < self.interval_s:
                return text
            text = await _computed(name, work)
            self._answers[name] = (time.monotonic(), text)
            return text

    def last(self, name: str) -> str | None:
        """The latest answer of section ``name``, however old (None before the first)."""
        found = self._answers.get(name)
        return None if found is None else found[1]

    async def warm(self) -> None:
        """Compute every section once (at the console's start), so that the first page opened
        is drawn from answers already there while fresh ones are computed."""
        await asyncio.gather(*(self.get(n, partial(s, self.ctx)) for n, s in SECTIONS.items()))


async def _computed(name: str, work: Callable[[], dict[str, Any]]) -> str:
    started = time.perf_counter()
    try:
        body: dict[str, Any] = await run_in_threadpool(work)
    except Exception as e:  # a failing section is an answer naming why, as its endpoint's
        status, error = error_body(e)
        own.ERRORS.labels(str(error["error"])).inc()
        if status == 500:
            log.exception("console section failed", extra={"section": name})
        return json.dumps({**error, "status": status})
    finally:
        own.SECTION_SECONDS.labels(name.split(":", 1)[0]).observe(time.perf_counter() - started)
    return json.dumps(body, default=str)


async def events(cache: SectionCache, request: Request, job: str | None) -> AsyncIterator[str]:
    """The stream of one page until it goes away."""
    ctx = cache.ctx
    works: dict[str, Callable[[], dict[str, Any]]] = {
        name: partial(section, ctx) for name, section in SECTIONS.items()
    }
    if job:
        works[f"{RESULTS}:{job}"] = partial(window_results.results, ctx, job)
    sent: dict[str, str] = {}
    own.LIVE_STREAMS.inc()
    try:
        yield f"retry: {int(cache.interval_s * 1000)}\n\n"
        for name in works:  # a new page is drawn at once from the last answers, then updated
            text = cache.last(name)
            if text is not None:
                sent[name] = text
                yield f"event: {name.split(':', 1)[0]}\ndata: {text}\n\n"
        while not await request.is_disconnected():
            pending = [asyncio.ensure_future(_named(cache, n, w)) for n, w in works.items()]
            for done in asyncio.as_completed(pending):  # a slow section holds up no other
                name, text = await done
                if sent.get(name) != text:
                    sent[name] = text
                    yield f"event: {name.split(':', 1)[0]}\ndata: {text}\n\n"
            now = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
            yield f"event: tick\ndata: {json.dumps({'at': now})}\n\n"
            await asyncio.sleep(cache.interval_s)
    finally:
        own.LIVE_STREAMS.dec()


async def _named(
    cache: SectionCache, name: str, work: Callable[[], dict[str, Any]]
) -> tuple[str, str]:
    return name, await cache.get(name, work)

"""Followers forward writes to the primary and answer once their own replica has caught up."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Protocol

import httpx
from fastapi import Request, Response
from starlette.requests import ClientDisconnect

from registry.api.error_map import error_response

log = logging.getLogger(__name__)

FORWARDED = "X-Tide-Forwarded"
LOG_OFFSET = "X-Tide-Log-Offset"
_REGISTER = re.compile(r"^/subjects/[^/]+/versions/?$")
_READ_YOUR_WRITE_S = 5.0
_FOLLOW_S = 0.05  # how often a waiting forward looks at the log's primary
_RETRY_SAME_S = 1.0  # a primary that did not answer is tried again after this, if still primary


class Replica(Protocol):
    url: str

    def is_primary(self) -> bool: ...

    def primary(self) -> tuple[str, str] | None: ...

    @property
    def applied_offset(self) -> int: ...

    def wait_applied(self, offset: int, timeout_s: float) -> bool: ...


def is_write(method: str, path: str) -> bool:
    """PUT and DELETE change state; of the POSTs only registering does (lookups and
    compatibility tests are reads)."""
    return method in ("PUT", "DELETE") or (method == "POST" and bool(_REGISTER.match(path)))


class Forwarding:
    """A follower forwards a write to the primary, and follows the primary when it changes.

    A forward in flight to a primary that stops answering (crashed, or frozen past its lease)
    is sent again to the primary elected next, as soon as the log names it; so is a write that
    arrives while no primary is known. Sending again is safe: registering a schema that is
    already there answers its id, and a late write of the old primary is fenced by the log.
    """

    def __init__(self, replica: Replica, timeout_s: float = 30.0) -> None:
        self._replica = replica
        self._timeout_s = timeout_s
        self._client = httpx.AsyncClient(timeout=timeout_s)

    async def middleware(
        self, request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        if not is_write(request.method, request.url.path):
            return await call_next(request)
        if self._replica.is_primary():
            response = await call_next(request)
            response.headers[LOG_OFFSET] = str(self._replica.applied_offset)
            return response
        if request.headers.get(FORWARDED):
            primary = self._replica.primary()
            leader = None if primary is None else primary[1]
            return error_response(
                500, 50003, f"forwarded write reached a non-primary instance ({leader} leads)"
            )
        try:
            body = await request.body()
        except ClientDisconnect:
            log.info("client went away mid-request", extra={"path": request.url.path})
            return error_response(400, 400, "the client disconnected before the whole body")
        return await self._forward(request, body)

    def _target(self) -> tuple[str, str] | None:
        """Where a write goes now: (instance, url) of the primary, this instance included."""
        if self._replica.is_primary():
            return "self", self._replica.url
        return self._replica.primary()

    async def _await_target(self, unlike: tuple[str, str] | None, deadline: float) -> bool:
        """Wait until the primary is known and not ``unlike``; False at the deadline."""
        loop = asyncio.get_running_loop()
        while loop.time() < deadline:
            target = self._target()
            if target is not None and target != unlike:
                return True
            await asyncio.sleep(_FOLLOW_S)
        return False

    async def _forward(self, request: Request, body: bytes) -> Response:
        headers = {k: v for k, v in request.headers.items()
                   if k.lower() in ("content-type", "authorization", "accept")}  # fmt: skip
        headers[FORWARDED] = self._replica.url
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._timeout_s
        stale: tuple[str, str] | None = None  # the primary that did not answer
        while True:
            retry_same = min(deadline, loop.time() + _RETRY_SAME_S)
            if not await self._await_target(stale, retry_same):
                if loop.time() < deadline:
                    stale = None  # still the same primary: send to it again
                    continue
                return error_response(
                    500, 50004, "no primary registry instance is known yet; retry"
                    if stale is None else f"the primary {stale[1]} did not answer and no "
                    "other instance took over in time; retry",
                )  # fmt: skip
            target = self._target()
            if target is None:
                continue
            request_to = self._client.request(
                request.method, f"{target[1]}{path}", content=body, headers=headers
            )
            sent = asyncio.ensure_future(request_to)
            while not sent.done() and self._target() == target:
                await asyncio.wait({sent}, timeout=_FOLLOW_S)
            if not sent.done():
                sent.cancel()
                log.info("primary changed, forwarding the write again",
                         extra={"from_primary": target[1], "path": request.url.path})  # fmt: skip
                continue
            try:
                answer = sent.result()
            except httpx.HTTPError as e:
                log.warning("forwarding failed", extra={"primary": target[1], "error": str(e)})
                stale = target  # send again once another instance leads
                continue
            if answer.status_code == 500 and _refused_as_non_primary(answer):
                stale = target  # it lost primacy in between: follow the log
                continue
            break
        offset = answer.headers.get(LOG_OFFSET)
        if offset is not None and offset.lstrip("-").isdigit():
            await asyncio.to_thread(self._replica.wait_applied, int(offset), _READ_YOUR_WRITE_S)
        return Response(
            answer.content,
            answer.status_code,
            media_type=answer.headers.get("content-type"),
        )

    async def close(self) -> None:
        await self._client.aclose()


def _refused_as_non_primary(answer: httpx.Response) -> bool:
    try:
        return int(answer.json().get("error_code", 0)) == 50003
    except (ValueError, AttributeError):
        return False

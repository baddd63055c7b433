"""Request counters in Prometheus text format, and one structured log line per request."""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable

from fastapi import Request, Response
from fastapi.responses import PlainTextResponse

log = logging.getLogger("registry.access")


class RequestMetrics:
    def __init__(self) -> None:
        self.requests: Counter[tuple[str, str, int]] = Counter()

    async def middleware(
        self, request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        route = request.scope.get("route")
        path = getattr(route, "path", "unmatched")
        self.requests[(request.method, path, response.status_code)] += 1
        log.info(
            "request",
            extra={"method": request.method, "path": request.url.path,
                   "status": response.status_code,
                   "ms": round((time.perf_counter() - started) * 1000, 2)},
        )  # fmt: skip
        return response

    def render(self, gauges: dict[str, tuple[str, float]] | None = None) -> PlainTextResponse:
        """The counters, plus ``gauges``: name -> (help text, value)."""
        lines = [
            "# HELP registry_requests_total Requests served, by method, route and status.",
            "# TYPE registry_requests_total counter",
        ]
        for (method, path, status), n in sorted(self.requests.items()):
            lines.append(
                f'registry_requests_total{{method="{method}",route="{path}",status="{status}"}} {n}'
            )
        for name, (text, value) in sorted((gauges or {}).items()):
            lines += [f"# HELP {name} {text}", f"# TYPE {name} gauge", f"{name} {value}"]
        return PlainTextResponse("\n".join(lines) + "\n")

"""Send an HTTP request for a partition this member does not own to the member that does.

One hop at most: a forwarded request carries ``X-Tide-Forwarded``, and a member that does not
own the partition either answers 421 instead of forwarding again (two members may briefly both
believe the other owns it during a rebalance).
"""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import Request
from fastapi.responses import JSONResponse, Response

FORWARDED = "X-Tide-Forwarded"
HOP_HEADERS = {"host", "content-length", "connection", "transfer-encoding"}


def misdirected(partition: int, owner: str | None, what: str) -> JSONResponse:
    """421: this member does not own ``partition``; ``owner`` is where it was last claimed."""
    where = f"; its owner is {owner}" if owner else "; no member has claimed it yet"
    body: dict[str, Any] = {"error": f"partition {partition} of {what} is not owned here{where}",
                            "partition": partition, "owner": owner}  # fmt: skip
    headers = {"Location": owner} if owner else None
    return JSONResponse(body, 421, headers=headers)


async def forward(
    request: Request, owner: str, client: httpx.AsyncClient, body: bytes | None = None
) -> Response | None:
    """The owner's answer to ``request``; None when the owner cannot be reached (or when the
    request was forwarded to us already: no second hop)."""
    if request.headers.get(FORWARDED):
        return None
    headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_HEADERS}
    headers[FORWARDED] = "1"
    url = owner.rstrip("/") + request.url.path
    try:
        answer = await client.request(request.method, url, params=request.query_params,
                                      content=body, headers=headers)  # fmt: skip
    except httpx.HTTPError:
        return None
    kept = {k: v for k, v in answer.headers.items() if k.lower() not in HOP_HEADERS}
    return Response(answer.content, answer.status_code, headers=kept)

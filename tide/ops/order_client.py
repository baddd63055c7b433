"""A client of the order APIs (commands and read models), as `tide orders place|pay|ship|cancel|
show` and `tide projections rebuild` use it."""

from __future__ import annotations

from typing import Any

import httpx

from tide.errors import TideError


class OrderCommandError(TideError):
    """The command API refused a command, or could not be reached; names the status and why."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


def call(
    url: str, method: str, path: str, body: dict[str, Any] | None = None,
    key: str | None = None, timeout_s: float = 30.0,
) -> dict[str, Any]:  # fmt: skip
    """One request to the API at ``url``; a 421 naming the owner is followed once."""
    headers = {"Idempotency-Key": key} if key else {}
    base = url.rstrip("/")
    for _ in range(2):
        try:
            answer = httpx.request(method, base + path, json=body, headers=headers,
                                   timeout=timeout_s)  # fmt: skip
        except httpx.HTTPError as e:
            raise OrderCommandError(f"nothing answers at {base}: {e}") from e
        owner = answer.headers.get("Location")
        if answer.status_code == 421 and owner and owner.rstrip("/") != base:
            base = owner.rstrip("/")
            continue
        break
    try:
        found: dict[str, Any] = answer.json()
    except ValueError:
        found = {"error": answer.text[:200]}
    if answer.status_code >= 400:
        raise OrderCommandError(f"{answer.status_code}: {found.get('error', found)}",
                                answer.status_code)  # fmt: skip
    return found

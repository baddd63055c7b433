"""Read a JSON request body whatever its content type (Confluent's vnd type, JSON, or none)."""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import Request
from starlette.requests import ClientDisconnect

from registry.api.error_map import BadRequestError, PayloadTooLargeError

log = logging.getLogger(__name__)
MAX_BODY_BYTES = 1024 * 1024


async def json_object(request: Request) -> dict[str, Any]:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise PayloadTooLargeError(f"request body exceeds {MAX_BODY_BYTES} bytes")
    try:
        raw = await request.body()
    except ClientDisconnect as e:  # nobody is left to answer: one line in the log, no traceback
        log.info("client went away mid-request", extra={"path": request.url.path})
        raise BadRequestError("the client disconnected before sending the whole body") from e
    if len(raw) > MAX_BODY_BYTES:
        raise PayloadTooLargeError(f"request body exceeds {MAX_BODY_BYTES} bytes")
    try:
        body = json.loads(raw or b"{}")
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise BadRequestError(f"malformed JSON body: {e}") from e
    except RecursionError as e:
        raise BadRequestError("malformed JSON body: nested too deeply") from e
    if not isinstance(body, dict):
        raise BadRequestError("the request body must be a JSON object")
    return body

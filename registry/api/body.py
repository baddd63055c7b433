"""Read a JSON request body whatever its content type (Confluent's vnd type, JSON, or none)."""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import Request
from starlette.requests import ClientDisconnect

from registry.api.error_map import BadRequestError, PayloadTooLargeError
from registry.avro_text import java_double

log = logging.getLogger(__name__)
MAX_BODY_BYTES = 1024 * 1024


async def json_object(request: Request, entity: str = "RegisterSchemaRequest") -> dict[str, Any]:
    """The body as a JSON object; ``entity``: Confluent's request class, named in errors."""
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
        raise BadRequestError(_not_an_object(body, entity))
    return body


def _not_an_object(body: object, entity: str) -> str:
    """What Confluent answers (Jackson's words, class name stripped of its package)."""
    if isinstance(body, list):
        return (
            f"Cannot deserialize value of type `{entity}` from Array value "
            "(token `JsonToken.START_ARRAY`)"
        )
    if body is None:  # Confluent's answer to a null body is not known here
        return "the request body must be a JSON object, not null"
    if isinstance(body, bool):
        kind, shown = "boolean/Boolean", f"boolean value ({str(body).lower()})"
    elif isinstance(body, int):
        kind = (
            "int/Int"
            if -(2**31) <= body < 2**31
            else "long/Long"
            if -(2**63) <= body < 2**63
            else "BigInteger"
        )
        shown = f"Number value ({body})"
    elif isinstance(body, float):
        kind, shown = "double/Double", f"Number value ({java_double(body)})"
    else:
        kind, shown = "String", f"String value ('{body}')"
    return (
        f"Cannot construct instance of `{entity}` (although at least one Creator exists): "
        f"no {kind}-argument constructor/factory method to deserialize from {shown}"
    )

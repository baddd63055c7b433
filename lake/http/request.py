"""The body of `POST /query`, checked, and the limits it may ask for under the server's own."""

from __future__ import annotations

import json
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, ValidationError

from lake.errors import QueryError
from lake.time_travel import AsOf

MAX_BODY_BYTES = 1024 * 1024


class BadRequestError(QueryError):
    """The request body is not a query the endpoint understands."""


class QueryRequest(BaseModel):
    """One statement and how to run it; limits above the server's are lowered to them."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sql: StrictStr = Field(description="One read-only statement.")
    max_rows: StrictInt | None = Field(None, ge=0, description="Rows kept (0: the most allowed).")
    timeout_s: float | None = Field(
        None, ge=0, allow_inf_nan=False, description="Seconds (0: the longest allowed)."
    )
    as_of: StrictInt | StrictStr | None = Field(None, description="Snapshot id or ISO 8601 time.")

    def point(self) -> AsOf | None:
        if self.as_of is None:
            return None
        if isinstance(self.as_of, int):
            return AsOf(snapshot_id=self.as_of)
        return AsOf.parse(self.as_of)


@dataclass(frozen=True)
class Ceilings:
    """The server's limits: the default of a request and the most it may ask (0: none)."""

    max_rows: int
    timeout_s: float

    def rows(self, asked: int | None) -> int:
        return int(_within(asked, self.max_rows))

    def seconds(self, asked: float | None) -> float:
        return _within(asked, self.timeout_s)


def parse_request(raw: bytes) -> QueryRequest:
    """The request in ``raw``; BadRequestError saying what is wrong with it."""
    if len(raw) > MAX_BODY_BYTES:
        raise BadRequestError(f"the request body exceeds {MAX_BODY_BYTES} bytes")
    try:
        body = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise BadRequestError(f"malformed JSON body: {e}") from e
    except RecursionError as e:
        raise BadRequestError("malformed JSON body: nested too deeply") from e
    try:
        return QueryRequest.model_validate(body)
    except ValidationError as e:
        problems = "; ".join(
            f"{'.'.join(map(str, err['loc'])) or 'body'}: {err['msg']}" for err in e.errors()
        )
        raise BadRequestError(f'expected {{"sql": "...", ...}}: {problems}') from e


def _within(asked: float | None, ceiling: float) -> float:
    """What was asked, lowered to the ceiling; unasked (or 0, "no limit"): the ceiling."""
    if not asked:
        return ceiling
    return asked if not ceiling else min(asked, ceiling)

"""The one place that turns the sections' errors into HTTP answers.

4xx names the input that was wrong (an unknown topic, group, table or partition, a bad
parameter); 503 names the dependency that is down (``broker``, ``registry``, ``lake``,
``worker``), so the page shows it in the section that asked, not as a blank screen.
"""

from __future__ import annotations

from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from jobs.errors import JobError, NotCancellableError, UnknownJobError
from lake.errors import LakeError, TableNotFoundError
from producers.errors import (
    BrokerUnavailableError,
    RegistryRequestError,
    RegistryUnavailableError,
    UnknownTopicError,
)
from tide.console.errors import BadParameterError, UnknownWindowJobError, WorkerMetricsError
from tide.ops.errors import (
    BadStartError,
    BrokerQueryError,
    InspectError,
    UnknownGroupError,
    UnknownPartitionError,
)
from tide.ops.schema_admin import SchemaAdminError

# (error, status, cause): the first that matches answers; order from narrow to broad
STATUS: list[tuple[type[Exception], int, str]] = [
    (UnknownTopicError, 404, "unknown_topic"),
    (UnknownPartitionError, 404, "unknown_partition"),
    (UnknownGroupError, 404, "unknown_group"),
    (TableNotFoundError, 404, "unknown_table"),
    (UnknownJobError, 404, "unknown_job"),
    (UnknownWindowJobError, 404, "unknown_window_job"),
    (NotCancellableError, 409, "not_cancellable"),
    (BadStartError, 400, "bad_start"),
    (BadParameterError, 400, "bad_parameter"),
    (SchemaAdminError, 400, "bad_parameter"),
    (BrokerUnavailableError, 503, "broker"),
    (BrokerQueryError, 503, "broker"),
    (InspectError, 503, "broker"),
    (RegistryUnavailableError, 503, "registry"),
    (LakeError, 503, "lake"),
    (JobError, 503, "jobs"),
    (WorkerMetricsError, 503, "worker"),
]


def classify(error: Exception) -> tuple[int, str]:
    """(status, cause) of ``error``; a registry refusal keeps the registry's own status."""
    if isinstance(error, RegistryRequestError):
        code = int(getattr(error, "status_code", 0) or 0)
        return (code if 400 <= code < 500 else 503), "registry"
    for kind, status, cause in STATUS:
        if isinstance(error, kind):
            return status, cause
    return 500, "internal"


def error_body(error: Exception) -> tuple[int, dict[str, object]]:
    """The status of ``error`` and the body naming it: its cause, message and, for a 503, the
    dependency that is down."""
    status, cause = classify(error)
    body: dict[str, object] = {"error": cause, "message": str(error)}
    if status == 503:
        body["dependency"] = cause
    return status, body


def error_response(error: Exception) -> JSONResponse:
    status, body = error_body(error)
    return JSONResponse(body, status_code=status)


def invalid_request(error: RequestValidationError) -> JSONResponse:
    """A query parameter FastAPI could not read (``limit=ten``): 400 naming it, as ours."""
    problems = "; ".join(
        f"{'.'.join(str(part) for part in e['loc'][1:]) or 'request'}: {e['msg']}"
        for e in error.errors()
    )
    return JSONResponse({"error": "bad_parameter", "message": problems}, status_code=400)

"""Domain errors to Confluent's HTTP status and error codes (the only place that knows them)."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import JSONResponse

from registry.errors import (
    FencedError,
    ImportConflictError,
    IncompatibleSchemaError,
    InvalidCompatibilityLevelError,
    InvalidModeError,
    InvalidSchemaError,
    InvalidSubjectError,
    InvalidVersionError,
    OperationNotPermittedError,
    PrimaryUnavailableError,
    ReferenceExistsError,
    RegistryError,
    SchemaNotFoundError,
    StoreError,
    SubjectConfigNotFoundError,
    SubjectModeNotFoundError,
    SubjectNotFoundError,
    SubjectNotSoftDeletedError,
    SubjectSoftDeletedError,
    VersionNotFoundError,
    VersionNotSoftDeletedError,
    VersionSoftDeletedError,
)

MEDIA_TYPE = "application/vnd.schemaregistry.v1+json"

CODES: list[tuple[type[RegistryError], int, int]] = [
    (SubjectNotFoundError, 404, 40401),
    (VersionNotFoundError, 404, 40402),
    (SchemaNotFoundError, 404, 40403),
    (InvalidSchemaError, 422, 42201),
    (InvalidVersionError, 422, 42202),
    (InvalidCompatibilityLevelError, 422, 42203),
    (IncompatibleSchemaError, 409, 40901),
    (InvalidSubjectError, 422, 42208),
    (SubjectConfigNotFoundError, 404, 40408),
    (SubjectSoftDeletedError, 404, 40404),
    (SubjectNotSoftDeletedError, 404, 40405),
    (VersionSoftDeletedError, 404, 40406),
    (VersionNotSoftDeletedError, 404, 40407),
    (SubjectModeNotFoundError, 404, 40409),
    (InvalidModeError, 422, 42204),
    (OperationNotPermittedError, 422, 42205),
    (ReferenceExistsError, 422, 42206),
    (ImportConflictError, 422, 42207),
    (StoreError, 500, 50001),
    (FencedError, 500, 50003),
    (PrimaryUnavailableError, 500, 50004),
]


class BadRequestError(RegistryError):
    """The request body is not the JSON object the endpoint expects."""


class PayloadTooLargeError(RegistryError):
    """The request body exceeds the registry's limit."""


def error_response(status: int, code: int, message: str) -> JSONResponse:
    return JSONResponse(
        {"error_code": code, "message": message}, status_code=status, media_type=MEDIA_TYPE
    )


async def handle_registry_error(_request: Request, exc: Exception) -> JSONResponse:
    if isinstance(exc, BadRequestError):
        return error_response(400, 400, str(exc))
    if isinstance(exc, PayloadTooLargeError):
        # Confluent defines no code for this; 41301 follows its status-prefixed scheme.
        return error_response(413, 41301, str(exc))
    for kind, status, code in CODES:
        if isinstance(exc, kind):
            return error_response(status, code, str(exc))
    return error_response(500, 50001, str(exc))

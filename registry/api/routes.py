"""The Confluent Schema Registry REST endpoints for subjects, versions and schemas."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse

from registry.api import paths  # noqa: F401  (registers the {subject:subject} convertor)
from registry.api.body import json_object
from registry.api.error_map import MEDIA_TYPE
from registry.errors import SubjectNotFoundError
from registry.ids import SchemaId, Subject
from registry.service import Candidate, Registry, VersionedSchema
from registry.storage.base import LIVE, SOFT_DELETED, StoredSchema, SubjectVersion

SCHEMA_TYPES = ["AVRO", "JSON", "PROTOBUF"]


def json_response(content: Any) -> JSONResponse:
    return JSONResponse(content, media_type=MEDIA_TYPE)


def candidate(body: dict[str, Any], normalize: bool = False) -> Candidate:
    return Candidate(body.get("schema"), body.get("schemaType"), body.get("references"), normalize)


def _schema_fields(stored: StoredSchema) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if stored.schema_type != "AVRO":
        fields["schemaType"] = stored.schema_type
    if stored.references:
        fields["references"] = [r.to_json() for r in stored.references]
    return fields


def versioned(registry: Registry, v: VersionedSchema, fmt: str = "") -> dict[str, Any]:
    """A subject version as Confluent's ``Schema`` entity (``fmt``: its ``format``)."""
    body: dict[str, Any] = {"subject": v.subject, "version": v.version, "id": v.schema.id}
    body |= _schema_fields(v.schema) | {"schema": registry.formatted(v.schema, fmt)}
    if v.state == SOFT_DELETED:
        body["deleted"] = True
    return body


def page(items: list[Any], offset: int, limit: int) -> list[Any]:
    """Confluent's ``offset``/``limit``: a limit of 0 or less is no limit."""
    rest = items[max(offset, 0) :]
    return rest[:limit] if limit > 0 else rest


def _used_as(registry: Registry, schema_id: SchemaId, subject: Subject) -> SubjectVersion | None:
    """Confluent's pick for ``/schemas/ids/{id}?subject=``: the subject's version of the id
    (soft-deleted too), else a version of another subject that uses it."""
    try:
        own = [v for v in registry.versions(subject, deleted=True) if v.schema_id == schema_id]
    except SubjectNotFoundError:
        own = []
    if own:
        return own[-1]
    usages = registry.usages(schema_id)
    return usages[0] if usages else None


def build_router(registry: Registry) -> APIRouter:
    router = APIRouter()

    def _versioned(v: VersionedSchema, fmt: str = "") -> dict[str, Any]:
        return versioned(registry, v, fmt)

    @router.get("/")
    def root() -> JSONResponse:
        return json_response({})

    @router.get("/subjects")
    def subjects(
        deleted: bool = False,
        deletedOnly: bool = False,
        subjectPrefix: str = "",
        offset: int = 0,
        limit: int = -1,
    ) -> JSONResponse:
        found = registry.subjects(deleted, subjectPrefix, deletedOnly)
        return json_response(page(found, offset, limit))

    @router.delete("/subjects/{subject:subject}")
    def delete_subject(subject: str, permanent: bool = False) -> JSONResponse:
        return json_response(registry.delete_subject(Subject(subject), permanent))

    @router.delete("/subjects/{subject:subject}/versions/{version}")
    def delete_version(subject: str, version: str, permanent: bool = False) -> JSONResponse:
        return json_response(registry.delete_version(Subject(subject), version, permanent))

    @router.post("/subjects/{subject:subject}/versions")
    async def register(subject: str, request: Request, normalize: bool = False) -> JSONResponse:
        body = await json_object(request)
        done = registry.register(
            Subject(subject), candidate(body, normalize), body.get("id"), body.get("version")
        )
        return json_response({"id": done.schema_id})

    @router.post("/subjects/{subject:subject}")
    async def lookup(
        subject: str, request: Request, normalize: bool = False, deleted: bool = False
    ) -> JSONResponse:
        body = await json_object(request)
        found = registry.lookup(Subject(subject), candidate(body, normalize), deleted)
        return json_response(_versioned(found))

    @router.get("/subjects/{subject:subject}/versions")
    def versions(
        subject: str,
        deleted: bool = False,
        deletedOnly: bool = False,
        deletedAsNegative: bool = False,
        offset: int = 0,
        limit: int = -1,
    ) -> JSONResponse:
        found = registry.versions(Subject(subject), deleted or deletedOnly)  # 40401 if none
        if deletedAsNegative:
            every = registry.versions(Subject(subject), deleted=True)
            numbers = [v.version if v.state == LIVE else -v.version for v in every]
        else:
            numbers = [v.version for v in found if not deletedOnly or v.state != LIVE]
        return json_response(page(numbers, offset, limit))

    @router.get("/subjects/{subject:subject}/versions/{version}")
    def version(
        subject: str, version: str, deleted: bool = False, format: str = ""
    ) -> JSONResponse:
        found = registry.version(Subject(subject), version, deleted)
        return json_response(_versioned(found, format))

    @router.get("/subjects/{subject:subject}/versions/{version}/schema")
    def version_schema(
        subject: str, version: str, deleted: bool = False, format: str = ""
    ) -> PlainTextResponse:
        found = registry.version(Subject(subject), version, deleted)
        return PlainTextResponse(registry.formatted(found.schema, format), media_type=MEDIA_TYPE)

    @router.get("/subjects/{subject:subject}/versions/{version}/referencedby")
    def referenced_by(subject: str, version: str) -> JSONResponse:
        return json_response(registry.referenced_by(Subject(subject), version))

    @router.get("/schemas")
    def schemas(
        subjectPrefix: str = "",
        deleted: bool = False,
        latestOnly: bool = False,
        offset: int = 0,
        limit: int = -1,
    ) -> JSONResponse:
        found = [_versioned(v) for v in registry.schemas(subjectPrefix, deleted, latestOnly)]
        page = found[max(offset, 0) :]
        return json_response(page if limit < 0 else page[:limit])

    @router.get("/schemas/ids/{schema_id}")
    def by_id(
        schema_id: int, subject: str | None = None, fetchMaxId: bool = False, format: str = ""
    ) -> JSONResponse:
        stored = registry.schema_by_id(SchemaId(schema_id))
        body: dict[str, Any] = {}
        used = None if subject is None else _used_as(registry, stored.id, Subject(subject))
        if used is not None:  # as Confluent: with ``subject``, the version the id names
            body = {"subject": used.subject, "version": used.version}
        body |= _schema_fields(stored) | {"schema": registry.formatted(stored, format)}
        if used is not None and used.state == SOFT_DELETED:
            body["deleted"] = True
        if fetchMaxId:
            body["maxId"] = registry.max_schema_id()
        return json_response(body)

    @router.get("/schemas/ids/{schema_id}/schema")
    def raw_by_id(schema_id: int, format: str = "") -> PlainTextResponse:
        stored = registry.schema_by_id(SchemaId(schema_id))
        return PlainTextResponse(registry.formatted(stored, format), media_type=MEDIA_TYPE)

    @router.get("/schemas/ids/{schema_id}/subjects")
    def subjects_of(schema_id: int, offset: int = 0, limit: int = -1) -> JSONResponse:
        usages = registry.usages(SchemaId(schema_id))
        return json_response(page(sorted({u.subject for u in usages}), offset, limit))

    @router.get("/schemas/ids/{schema_id}/versions")
    def versions_of(schema_id: int, offset: int = 0, limit: int = -1) -> JSONResponse:
        usages = registry.usages(SchemaId(schema_id))
        pairs = [{"subject": u.subject, "version": u.version} for u in usages]
        return json_response(page(pairs, offset, limit))

    @router.get("/schemas/types")
    def types() -> JSONResponse:
        return json_response(SCHEMA_TYPES)

    return router

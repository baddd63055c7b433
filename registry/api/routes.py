"""The Confluent Schema Registry REST endpoints this registry serves."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse

from registry.api.body import json_object
from registry.api.error_map import MEDIA_TYPE
from registry.ids import SchemaId, Subject
from registry.service import Registry, VersionedSchema


def _json(content: Any) -> JSONResponse:
    return JSONResponse(content, media_type=MEDIA_TYPE)


def _versioned(v: VersionedSchema) -> dict[str, Any]:
    body: dict[str, Any] = {
        "subject": v.subject, "version": v.version, "id": v.schema.id, "schema": v.schema.text,
    }  # fmt: skip
    if v.schema.schema_type != "AVRO":
        body["schemaType"] = v.schema.schema_type
    return body


def build_router(registry: Registry) -> APIRouter:
    router = APIRouter()

    @router.get("/")
    def root() -> JSONResponse:
        return _json({})

    @router.get("/subjects")
    def subjects() -> JSONResponse:
        return _json(registry.subjects())

    @router.post("/subjects/{subject}/versions")
    async def register(subject: str, request: Request) -> JSONResponse:
        body = await json_object(request)
        done = registry.register(
            Subject(subject), body.get("schema"), body.get("schemaType"), body.get("references")
        )
        return _json({"id": done.schema_id})

    @router.post("/subjects/{subject}")
    async def lookup(subject: str, request: Request) -> JSONResponse:
        body = await json_object(request)
        found = registry.lookup(Subject(subject), body.get("schema"), body.get("schemaType"))
        return _json(_versioned(found))

    @router.get("/subjects/{subject}/versions")
    def versions(subject: str) -> JSONResponse:
        return _json([v.version for v in registry.versions(Subject(subject))])

    @router.get("/subjects/{subject}/versions/{version}")
    def version(subject: str, version: str) -> JSONResponse:
        return _json(_versioned(registry.version(Subject(subject), version)))

    @router.get("/subjects/{subject}/versions/{version}/schema")
    def version_schema(subject: str, version: str) -> PlainTextResponse:
        found = registry.version(Subject(subject), version)
        return PlainTextResponse(found.schema.text, media_type=MEDIA_TYPE)

    @router.get("/schemas/ids/{schema_id}")
    def by_id(schema_id: int) -> JSONResponse:
        stored = registry.schema_by_id(SchemaId(schema_id))
        body: dict[str, Any] = {"schema": stored.text}
        if stored.schema_type != "AVRO":
            body["schemaType"] = stored.schema_type
        return _json(body)

    @router.get("/schemas/ids/{schema_id}/schema")
    def raw_by_id(schema_id: int) -> PlainTextResponse:
        stored = registry.schema_by_id(SchemaId(schema_id))
        return PlainTextResponse(stored.text, media_type=MEDIA_TYPE)

    @router.get("/schemas/types")
    def types() -> JSONResponse:
        return _json(["AVRO"])

    @router.get("/config")
    def config() -> JSONResponse:
        return _json({"compatibilityLevel": "BACKWARD"})

    return router

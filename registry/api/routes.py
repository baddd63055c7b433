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
    def subjects(deleted: bool = False) -> JSONResponse:
        return _json(registry.subjects(deleted))

    @router.delete("/subjects/{subject}")
    def delete_subject(subject: str, permanent: bool = False) -> JSONResponse:
        return _json(registry.delete_subject(Subject(subject), permanent))

    @router.delete("/subjects/{subject}/versions/{version}")
    def delete_version(subject: str, version: str, permanent: bool = False) -> JSONResponse:
        return _json(registry.delete_version(Subject(subject), version, permanent))

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
    def versions(subject: str, deleted: bool = False) -> JSONResponse:
        return _json([v.version for v in registry.versions(Subject(subject), deleted)])

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

    @router.get("/schemas/ids/{schema_id}/subjects")
    def subjects_of(schema_id: int) -> JSONResponse:
        usages = registry.usages(SchemaId(schema_id))
        return _json(sorted({u.subject for u in usages}))

    @router.get("/schemas/ids/{schema_id}/versions")
    def versions_of(schema_id: int) -> JSONResponse:
        usages = registry.usages(SchemaId(schema_id))
        return _json([{"subject": u.subject, "version": u.version} for u in usages])

    @router.get("/schemas/types")
    def types() -> JSONResponse:
        return _json(["AVRO"])

    return router


def build_config_router(registry: Registry) -> APIRouter:
    """Compatibility levels (global and per subject) and compatibility tests."""
    router = APIRouter()

    @router.get("/config")
    def get_global() -> JSONResponse:
        return _json({"compatibilityLevel": registry.compatibility(None)})

    @router.put("/config")
    async def put_global(request: Request) -> JSONResponse:
        body = await json_object(request)
        return _json({"compatibility": registry.set_compatibility(None, body.get("compatibility"))})

    @router.delete("/config")
    def delete_global() -> JSONResponse:
        return _json({"compatibilityLevel": registry.delete_compatibility(None)})

    @router.get("/config/{subject}")
    def get_subject(subject: str, defaultToGlobal: bool = False) -> JSONResponse:
        level = registry.compatibility(Subject(subject), default_to_global=defaultToGlobal)
        return _json({"compatibilityLevel": level})

    @router.put("/config/{subject}")
    async def put_subject(subject: str, request: Request) -> JSONResponse:
        body = await json_object(request)
        level = registry.set_compatibility(Subject(subject), body.get("compatibility"))
        return _json({"compatibility": level})

    @router.delete("/config/{subject}")
    def delete_subject(subject: str) -> JSONResponse:
        return _json({"compatibilityLevel": registry.delete_compatibility(Subject(subject))})

    @router.post("/compatibility/subjects/{subject}/versions/{version}")
    async def against_version(
        subject: str, version: str, request: Request, verbose: bool = False
    ) -> JSONResponse:
        body = await json_object(request)
        reasons = registry.incompatibilities(Subject(subject), body.get("schema"), version)
        return _json(_verdict(reasons, verbose))

    @router.post("/compatibility/subjects/{subject}/versions")
    async def against_all(subject: str, request: Request, verbose: bool = False) -> JSONResponse:
        body = await json_object(request)
        reasons = registry.incompatibilities(Subject(subject), body.get("schema"))
        return _json(_verdict(reasons, verbose))

    return router


def _verdict(reasons: list[str], verbose: bool) -> dict[str, Any]:
    verdict: dict[str, Any] = {"is_compatible": not reasons}
    if verbose:
        verdict["messages"] = reasons
    return verdict

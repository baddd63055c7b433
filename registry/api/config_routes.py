"""Compatibility levels and modes (global and per subject), and compatibility tests."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from registry.api.body import json_object
from registry.api.routes import candidate, json_response
from registry.ids import Subject
from registry.policy import Policy
from registry.service import Registry


def build_config_router(registry: Registry) -> APIRouter:
    router = APIRouter()
    policy = registry.policy

    @router.get("/config")
    def get_global() -> JSONResponse:
        return json_response({"compatibilityLevel": policy.compatibility(None)})

    @router.put("/config")
    async def put_global(request: Request) -> JSONResponse:
        body = await json_object(request, "ConfigUpdateRequest")
        level = policy.set_compatibility(None, body.get("compatibility"))
        return json_response({"compatibility": level})

    @router.delete("/config")
    def delete_global() -> JSONResponse:
        return json_response({"compatibilityLevel": policy.delete_compatibility(None)})

    @router.get("/config/{subject:subject}")
    def get_subject(subject: str, defaultToGlobal: bool = False) -> JSONResponse:
        level = policy.compatibility(Subject(subject), default_to_global=defaultToGlobal)
        return json_response({"compatibilityLevel": level})

    @router.put("/config/{subject:subject}")
    async def put_subject(subject: str, request: Request) -> JSONResponse:
        body = await json_object(request, "ConfigUpdateRequest")
        level = policy.set_compatibility(Subject(subject), body.get("compatibility"))
        return json_response({"compatibility": level})

    @router.delete("/config/{subject:subject}")
    def delete_subject(subject: str) -> JSONResponse:
        previous = policy.delete_compatibility(Subject(subject))
        return json_response({"compatibilityLevel": previous})

    @router.post("/compatibility/subjects/{subject:subject}/versions/{version}")
    async def against_version(
        subject: str, version: str, request: Request, verbose: bool = False
    ) -> JSONResponse:
        body = await json_object(request)
        reasons = registry.incompatibilities(Subject(subject), candidate(body), version)
        return json_response(_verdict(reasons, verbose))

    @router.post("/compatibility/subjects/{subject:subject}/versions")
    async def against_all(subject: str, request: Request, verbose: bool = False) -> JSONResponse:
        body = await json_object(request)
        reasons = registry.incompatibilities(Subject(subject), candidate(body))
        return json_response(_verdict(reasons, verbose))

    return router


def build_mode_router(registry: Registry) -> APIRouter:
    router = APIRouter()
    policy = registry.policy

    @router.get("/mode")
    def get_global() -> JSONResponse:
        return json_response({"mode": policy.mode(None)})

    @router.put("/mode")
    async def put_global(request: Request, force: bool = False) -> JSONResponse:
        body = await json_object(request, "ModeUpdateRequest")
        return json_response({"mode": _set_mode(policy, None, body, force)})

    @router.delete("/mode")
    def delete_global() -> JSONResponse:
        return json_response({"mode": policy.delete_mode(None)})

    @router.get("/mode/{subject:subject}")
    def get_subject(subject: str, defaultToGlobal: bool = False) -> JSONResponse:
        return json_response({"mode": policy.mode(Subject(subject), defaultToGlobal)})

    @router.put("/mode/{subject:subject}")
    async def put_subject(subject: str, request: Request, force: bool = False) -> JSONResponse:
        body = await json_object(request, "ModeUpdateRequest")
        return json_response({"mode": _set_mode(policy, Subject(subject), body, force)})

    @router.delete("/mode/{subject:subject}")
    def delete_subject(subject: str) -> JSONResponse:
        return json_response({"mode": policy.delete_mode(Subject(subject))})

    return router


def _set_mode(policy: Policy, subject: Subject | None, body: dict[str, Any], force: bool) -> Any:
    """The mode set, or None when ``{"mode": null}`` cleared it (Confluent echoes the body)."""
    if "mode" in body and body["mode"] is None:
        policy.clear_mode(subject)
        return None
    return policy.set_mode(subject, body.get("mode"), force)


def _verdict(reasons: list[str], verbose: bool) -> dict[str, Any]:
    verdict: dict[str, Any] = {"is_compatible": not reasons}
    if verbose:
        verdict["messages"] = reasons
    return verdict

"""The registry's ASGI application."""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse
from starlette.exceptions import HTTPException

from registry.api.auth import BasicAuth
from registry.api.config_routes import build_config_router, build_mode_router
from registry.api.error_map import error_response, handle_registry_error
from registry.api.forwarding import Forwarding, Replica
from registry.api.metrics import RequestMetrics
from registry.api.negotiation import ContentNegotiation
from registry.api.paths import EncodedSlashes
from registry.api.routes import build_router, json_response
from registry.errors import RegistryError
from registry.service import Registry

SCHEMA_REGISTRY_CLUSTER = "schema-registry"  # Confluent's default schema.registry.group.id


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    detail = exc.detail if isinstance(exc, HTTPException) else str(exc)
    return error_response(status, status, str(detail))


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    errors = exc.errors() if isinstance(exc, RequestValidationError) else []
    if errors and all(e["loc"][0] in ("path", "query") for e in errors):
        # JAX-RS answers a path or query parameter it cannot convert with a plain 404
        return error_response(404, 404, "HTTP 404 Not Found")
    where = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errors)
    return error_response(422, 42200, f"invalid request: {where or exc}")


def create_app(
    registry: Registry, replica: Replica | None = None, users: Mapping[str, str] | None = None
) -> FastAPI:
    """``replica``: this instance's place among several sharing a Kafka log (None: alone).
    ``users``: user -> password hash; when given, every request needs basic auth."""
    app = FastAPI(title="Tide schema registry", docs_url=None, redoc_url=None)
    metrics = RequestMetrics()
    if replica is not None:
        forwarding = Forwarding(replica)
        app.middleware("http")(forwarding.middleware)
    app.add_middleware(ContentNegotiation)  # 406/415 here, not forwarded
    if users:
        app.middleware("http")(BasicAuth(users).middleware)  # before any forwarding
    app.middleware("http")(metrics.middleware)
    app.add_middleware(EncodedSlashes)  # outermost: every layer sees the subject whole
    app.add_exception_handler(RegistryError, handle_registry_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.include_router(build_router(registry))
    app.include_router(build_config_router(registry))
    app.include_router(build_mode_router(registry))

    @app.get("/metrics", include_in_schema=False)
    def metrics_endpoint() -> PlainTextResponse:
        if replica is None:
            return metrics.render()
        return metrics.render({
            "registry_is_primary": ("1 when this instance is the primary.",
                                    float(replica.is_primary())),
            "registry_log_applied_offset": ("Last offset of the registry log applied here.",
                                            float(replica.applied_offset)),
        })  # fmt: skip

    @app.get("/v1/metadata/id", include_in_schema=False)
    def cluster_id() -> JSONResponse:
        """Confluent's ``ServerClusterId``; the registry cluster is its default group id."""
        clusters = {"kafka-cluster": registry.kafka_cluster_id(),
                    "schema-registry-cluster": SCHEMA_REGISTRY_CLUSTER}  # fmt: skip
        return json_response({"scope": {"path": [], "clusters": clusters}})

    @app.get("/v1/metadata/primary", include_in_schema=False)
    def primary() -> JSONResponse:
        """Which instance leads (Tide's own endpoint; Confluent has no standard one)."""
        if replica is None:
            return json_response({"primary": None, "self": None, "is_primary": True})
        leader = replica.primary()
        return json_response({"primary": None if leader is None else leader[1],
                              "self": replica.url, "is_primary": replica.is_primary()})  # fmt: skip

    return app

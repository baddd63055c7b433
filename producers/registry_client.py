"""A small HTTP client of the schema registry (Confluent REST API), caching what never changes."""

from __future__ import annotations

import json
from typing import Any, Self
from urllib.parse import quote

import httpx

from producers.errors import RegistryRequestError, RegistryUnavailableError
from producers.tls import shared_ssl_context

CONTENT_TYPE = "application/vnd.schemaregistry.v1+json"


class RegistryClient:
    """Register schemas and fetch them by id; ids and schemas are cached (they are immutable)."""

    def __init__(self, url: str, timeout_s: float = 5.0) -> None:
        """``url`` may carry ``user:password@`` for a registry with basic auth."""
        parsed = httpx.URL(url.rstrip("/"))
        auth = (parsed.username, parsed.password) if parsed.username else None
        self.url = str(parsed.copy_with(username=None, password=None))  # never logged with secrets
        self._http = httpx.Client(
            base_url=self.url, timeout=timeout_s, auth=auth, verify=shared_ssl_context()
        )
        self._ids: dict[tuple[str, str], int] = {}
        self._schemas: dict[int, str] = {}

    def register(self, subject: str, schema_str: str, schema_type: str = "AVRO") -> tuple[int, int]:
        """Register (or find) ``schema_str`` under ``subject``: returns (schema id, version)."""
        payload = _schema_payload(schema_str, schema_type)
        body = self._call("POST", f"/subjects/{segment(subject)}/versions", payload)
        schema_id = int(body["id"])
        found = self._call("POST", f"/subjects/{segment(subject)}", payload)
        self._ids[(subject, schema_str)] = schema_id
        return schema_id, int(found["version"])

    def id_for(self, subject: str, schema_str: str) -> int:
        """The id of ``schema_str`` under ``subject``, registering it on first use."""
        key = (subject, schema_str)
        if key not in self._ids:
            path = f"/subjects/{segment(subject)}/versions"
            body = self._call("POST", path, {"schema": schema_str})
            self._ids[key] = int(body["id"])
        return self._ids[key]

    def schema_by_id(self, schema_id: int) -> str:
        if schema_id not in self._schemas:
            body = self._call("GET", f"/schemas/ids/{schema_id}")
            self._schemas[schema_id] = str(body["schema"])
        return self._schemas[schema_id]

    def check(self, subject: str, schema_str: str, schema_type: str = "AVRO") -> list[str]:
        """Why ``schema_str`` would be refused under ``subject`` (empty: compatible)."""
        body = self._call(
            "POST",
            f"/compatibility/subjects/{segment(subject)}/versions?verbose=true",
            _schema_payload(schema_str, schema_type),
        )
        return [] if body.get("is_compatible") else [str(m) for m in body.get("messages", [])]

    def version(self, subject: str, version: str = "latest") -> dict[str, Any]:
        body: dict[str, Any] = self._call("GET", f"/subjects/{segment(subject)}/versions/{version}")
        return body

    def subjects(self) -> list[str]:
        return [str(s) for s in self._call("GET", "/subjects")]

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _call(self, method: str, path: str, payload: dict[str, Any] | None = None) -> Any:
        try:
            response = self._http.request(
                method,
                path,
                content=None if payload is None else json.dumps(payload),
                headers={"Content-Type": CONTENT_TYPE, "Accept": CONTENT_TYPE},
            )
        except httpx.TransportError as e:
            raise RegistryUnavailableError(f"schema registry not reachable at {self.url}") from e
        if response.status_code >= 400:
            raise RegistryRequestError(_error_text(response, method, path), response.status_code)
        return response.json()


def segment(subject: str) -> str:
    """``subject`` as one URL path segment: a ``/`` in it (Protobuf references are named by
    their import path) is sent as ``%2F``, not as a deeper path."""
    return quote(subject, safe="")


def _schema_payload(schema_str: str, schema_type: str) -> dict[str, Any]:
    payload: dict[str, Any] = {"schema": schema_str}
    if schema_type.upper() != "AVRO":
        payload["schemaType"] = schema_type.upper()
    return payload


def _error_text(response: httpx.Response, method: str, path: str) -> str:
    try:
        body = response.json()
        detail = f"{body.get('message')} (error {body.get('error_code')})"
    except (ValueError, AttributeError):
        detail = response.text[:200]
    return f"schema registry refused {method} {path}: {detail}"

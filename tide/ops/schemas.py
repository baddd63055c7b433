"""Register the shipped Avro contracts with the registry."""

from __future__ import annotations

from dataclasses import dataclass

from producers.registry_client import RegistryClient
from schemas.loader import load_all


@dataclass(frozen=True)
class Registered:
    subject: str
    version: int
    schema_id: int


def sync_schemas(registry_url: str) -> list[Registered]:
    """Register every contract of ``schemas/`` under ``<topic>-value`` (idempotent)."""
    client = RegistryClient(registry_url)
    try:
        out = []
        for contract in load_all().values():
            schema_id, version = client.register(contract.subject, contract.schema_str)
            out.append(Registered(contract.subject, version, schema_id))
        return out
    finally:
        client.close()

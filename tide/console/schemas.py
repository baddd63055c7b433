"""Schemas: subjects with versions, latest id, type and compatibility; a diff of two versions."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from tide.console.context import ConsoleContext
from tide.ops import schema_diff
from tide.ops.schema_admin import RegistryAdmin


def subjects(ctx: ConsoleContext) -> dict[str, Any]:
    with RegistryAdmin(ctx.settings.registry.url) as admin:
        return {"subjects": [asdict(s) for s in admin.summaries()]}


def diff(ctx: ConsoleContext, subject: str, old: str, new: str) -> dict[str, Any]:
    """The changes from version ``old`` to ``new`` and both compatibility verdicts."""
    with RegistryAdmin(ctx.settings.registry.url) as admin:
        return schema_diff.compare(admin, subject, old, new).to_json()

"""Schemas: subjects with versions, latest id, type and compatibility; a diff of two versions."""

from __future__ import annotations

import json
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
        before, after = admin.version(subject, old), admin.version(subject, new)
    kind = str(after.get("schemaType", "AVRO"))
    changes = schema_diff.diff(json.loads(before["schema"]), json.loads(after["schema"]), kind)
    backward, forward = schema_diff.verdicts(before["schema"], after["schema"], kind)
    return {
        "subject": subject, "from": before["version"], "to": after["version"],
        "changes": [c.to_json() for c in changes],
        "backward": asdict(backward), "forward": asdict(forward),
    }  # fmt: skip

"""The registry's administration — compatibility levels, modes, deletes and an overview of the
subjects — over its Confluent REST API, as `tide schema config|mode|delete|list` use it."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from producers.errors import RegistryRequestError
from producers.registry_client import RegistryClient, segment
from tide.errors import TideError

LEVELS = ("BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD", "FORWARD_TRANSITIVE", "FULL",
          "FULL_TRANSITIVE", "NONE")  # fmt: skip
_PARALLEL = 8  # subjects asked about at once by summaries()
MODES = ("READWRITE", "READONLY", "READONLY_OVERRIDE", "IMPORT")


class SchemaAdminError(TideError):
    """A registry administration request that cannot be made as given."""


@dataclass(frozen=True)
class SubjectSummary:
    subject: str
    versions: list[int]
    latest_id: int
    schema_type: str
    level: str


def _choice(value: str, allowed: tuple[str, ...], what: str) -> str:
    upper = value.upper()
    if upper not in allowed:
        raise SchemaAdminError(f"unknown {what} {value!r}: use one of {', '.join(allowed)}")
    return upper


def _scoped(root: str, subject: str | None, read: bool = False) -> str:
    """``/config`` or ``/mode``, global or of ``subject`` (read: falling back to the global)."""
    if subject is None:
        return root
    return f"{root}/{segment(subject)}" + ("?defaultToGlobal=true" if read else "")


class RegistryAdmin(RegistryClient):
    def level(self, subject: str | None) -> str:
        """The compatibility level of ``subject`` (its own, else the global one)."""
        return str(self._get(_scoped("/config", subject, read=True))["compatibilityLevel"])

    def set_level(self, subject: str | None, level: str) -> str:
        body = {"compatibility": _choice(level, LEVELS, "compatibility level")}
        return str(self._call("PUT", _scoped("/config", subject), body)["compatibility"])

    def mode(self, subject: str | None) -> str:
        return str(self._get(_scoped("/mode", subject, read=True))["mode"])

    def set_mode(self, subject: str | None, mode: str) -> str:
        body = {"mode": _choice(mode, MODES, "mode")}
        return str(self._call("PUT", _scoped("/mode", subject), body)["mode"])

    def delete(self, subject: str, version: str | None, permanent: bool) -> list[int]:
        """Soft-delete ``subject`` (or one version); ``permanent`` then deletes it for good
        (soft-deleting first when that was not done yet, as the registry requires)."""
        path = f"/subjects/{segment(subject)}" + ("" if version is None else f"/versions/{version}")
        try:
            deleted = self._call("DELETE", path)
        except RegistryRequestError as e:
            if not (permanent and "soft deleted" in str(e)):
                raise
            deleted = None
        if permanent:
            deleted = self._call("DELETE", f"{path}?permanent=true")
        return [int(v) for v in (deleted if isinstance(deleted, list) else [deleted])]

    def summaries(self) -> list[SubjectSummary]:
        """Every subject with its versions, latest id, schema type and compatibility level:
        the versions of all subjects in one ``GET /schemas``, the levels asked for several
        subjects at once (the client's connection pool is shared by its threads)."""
        subjects = self.subjects()
        entries: dict[str, list[dict[str, Any]]] = {}
        for entry in self._call("GET", "/schemas"):
            entries.setdefault(str(entry["subject"]), []).append(entry)
        with ThreadPoolExecutor(max_workers=_PARALLEL, thread_name_prefix="subjects") as pool:
            levels = list(pool.map(self.level, subjects))
        out = []
        for subject, level in zip(subjects, levels, strict=True):
            found = entries.get(subject)
            if not found:  # registered between the two calls
                out.append(self.summary(subject))
                continue
            latest = max(found, key=lambda e: int(e["version"]))
            versions = sorted(int(e["version"]) for e in found)
            kind = str(latest.get("schemaType", "AVRO"))
            out.append(SubjectSummary(subject, versions, int(latest["id"]), kind, level))
        return out

    def summary(self, subject: str) -> SubjectSummary:
        """``subject``'s versions, latest id, schema type and compatibility level."""
        latest = self.version(subject)
        versions = [int(v) for v in self._call("GET", f"/subjects/{segment(subject)}/versions")]
        kind, level = str(latest.get("schemaType", "AVRO")), self.level(subject)
        return SubjectSummary(subject, versions, int(latest["id"]), kind, level)

    def _get(self, path: str) -> dict[str, Any]:
        body: dict[str, Any] = self._call("GET", path)
        return body

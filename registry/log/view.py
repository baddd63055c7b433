"""The registry's state as replayed from its log, and the fencing rules every replica applies.

Each instance applies the same records in the same order with the same rules, so all reach
the same state. The rules:

* a :class:`Claim` for epoch ``current + 1`` makes its instance primary; any other claim (a
  lost duel, a stale epoch) is ignored;
* a :class:`Write` takes effect only if its epoch and instance are the current primary's, and
  it is consistent with the state (an id names one schema, a version one schema). A deposed
  primary's write that lands after a newer claim is therefore ignored by every replica: it
  can never hand out an id.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from registry import references as refs
from registry.errors import ImportConflictError
from registry.ids import SchemaId, Subject
from registry.log.records import (
    Change,
    Claim,
    Heartbeat,
    Record,
    Register,
    SettingChange,
    StateChange,
    Write,
)
from registry.references import Reference
from registry.storage.base import LIVE, NewVersion, StoredSchema, SubjectVersion


class LogView:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self.epoch = 0
        self.primary: Claim | None = None
        self.lease_renewed = clock()  # when the primary was last heard of
        self.applied_offset = -1
        self._schemas: dict[SchemaId, StoredSchema] = {}
        self._ids: dict[tuple[str, str], SchemaId] = {}  # (text, references) -> id
        self._versions: dict[Subject, dict[int, SubjectVersion]] = {}
        self._settings: dict[tuple[str, str], str] = {}
        self.awaiting: set[str] = set()  # ids of this instance's writes not read back yet
        self.outcomes: dict[
            str, str | None
        ] = {}  # of awaited writes: None (took effect) or why not

    # ------------------------------------------------------------------ applying the log

    def apply(self, offset: int, record: Record) -> None:
        self.applied_offset = max(self.applied_offset, offset)
        if isinstance(record, Claim):
            if record.epoch == self.epoch + 1:
                self.epoch, self.primary = record.epoch, record
                self.lease_renewed = self._clock()
        elif isinstance(record, Heartbeat):
            if self._is_primary(record.epoch, record.instance):
                self.lease_renewed = self._clock()
        else:
            refusal = self._refusal(record)
            if refusal is None:
                self._change(record.change)
            if record.write_id in self.awaiting:
                self.outcomes[record.write_id] = refusal

    def _is_primary(self, epoch: int, instance: str) -> bool:
        return self.primary is not None and (epoch, instance) == (
            self.epoch, self.primary.instance
        )  # fmt: skip

    def _refusal(self, write: Write) -> str | None:
        if not self._is_primary(write.epoch, write.instance):
            primary = self.primary.instance if self.primary else None
            return (
                f"fenced: written by {write.instance} as primary of epoch {write.epoch}, but "
                f"the primary is {primary} of epoch {self.epoch}"
            )
        change = write.change
        if isinstance(change, Register):
            return self._register_conflict(change)
        if isinstance(change, StateChange):
            known = self._versions.get(Subject(change.subject), {})
            missing = [v for v in change.versions if v not in known]
            return f"unknown versions {missing} of {change.subject!r}" if missing else None
        return None

    def _register_conflict(self, r: Register) -> str | None:
        schema_id, identity = SchemaId(r.schema_id), (r.text, refs.key(_refs(r.references)))
        if self._ids.get(identity, schema_id) != schema_id:
            return f"the schema already has id {self._ids[identity]}, not {schema_id}"
        held = self._schemas.get(schema_id)
        if held is not None and (held.text, refs.key(held.references)) != identity:
            return f"id {schema_id} already names another schema"
        held_versions = self._versions.get(Subject(r.subject), {})
        if r.version in held_versions:
            return f"version {r.version} of {r.subject!r} already exists"
        if any(v.schema_id == schema_id and v.state == LIVE for v in held_versions.values()):
            return f"{r.subject!r} already has schema {schema_id}"
        return None

    def _change(self, change: Change) -> None:
        if isinstance(change, Register):
            schema_id, subject = SchemaId(change.schema_id), Subject(change.subject)
            if schema_id not in self._schemas:
                references = _refs(change.references)
                self._schemas[schema_id] = StoredSchema(
                    schema_id, change.schema_type, change.text, references
                )
                self._ids[(change.text, refs.key(references))] = schema_id
            self._versions.setdefault(subject, {})[change.version] = SubjectVersion(
                subject, change.version, schema_id
            )
        elif isinstance(change, StateChange):
            held = self._versions[Subject(change.subject)]
            for v in change.versions:
                held[v] = SubjectVersion(held[v].subject, v, held[v].schema_id, change.state)
        elif isinstance(change, SettingChange):
            key = (change.kind, change.subject)
            if change.value is None:
                self._settings.pop(key, None)
            else:
                self._settings[key] = change.value

    # ------------------------------------------------------------------ planning a write

    def plan_register(self, new: NewVersion) -> SubjectVersion | Register:
        """The existing live version of the schema, or the :class:`Register` that adds it."""
        found = self.find(new.subject, new.text, new.references)
        references = [r.to_json() for r in new.references]
        if found is not None and found.state == LIVE:
            return found
        known = self._ids.get((new.text, refs.key(new.references)))
        if new.schema_id is not None:
            if known is not None and known != new.schema_id:
                raise ImportConflictError(f"the schema is already registered with id {known}")
            if known is None and new.schema_id in self._schemas:
                raise ImportConflictError(
                    f"schema id {new.schema_id} is already taken by another schema"
                )
        schema_id = known or new.schema_id or SchemaId((self.max_schema_id() or 0) + 1)
        held = self._versions.get(new.subject, {})
        version = new.version if new.version is not None else max(held, default=0) + 1
        if version in held:
            raise ImportConflictError(
                f"version {version} of subject '{new.subject}' holds another schema"
            )
        return Register(new.subject, version, schema_id, new.schema_type, new.text, references)

    # ------------------------------------------------------------------ reading

    def schema(self, schema_id: SchemaId) -> StoredSchema | None:
        return self._schemas.get(schema_id)

    def max_schema_id(self) -> SchemaId | None:
        return max(self._schemas, default=None)

    def find(
        self, subject: Subject, text: str, references: tuple[Reference, ...] = ()
    ) -> SubjectVersion | None:
        """The live version of the schema, else its latest deleted one."""
        schema_id = self._ids.get((text, refs.key(references)))
        held = [v for v in self._versions.get(subject, {}).values() if v.schema_id == schema_id]
        return min(held, key=lambda v: (v.state != LIVE, -v.version), default=None)

    def versions(self, subject: Subject, max_state: int = LIVE) -> list[SubjectVersion]:
        held = self._versions.get(subject, {})
        return [held[n] for n in sorted(held) if held[n].state <= max_state]

    def subjects(self, max_state: int = LIVE) -> list[Subject]:
        return sorted(s for s in self._versions if self.versions(s, max_state))

    def usages(self, schema_id: SchemaId) -> list[SubjectVersion]:
        return [
            v for s in sorted(self._versions) for v in self.versions(s) if v.schema_id == schema_id
        ]

    def referenced_by(self, subject: Subject, version: int) -> list[SchemaId]:
        users = {
            v.schema_id
            for s in self._versions
            for v in self.versions(s)
            if any((r.subject, r.version) == (subject, version)
                   for r in self._schemas[v.schema_id].references)
        }  # fmt: skip
        return sorted(users)

    def setting(self, kind: str, subject: Subject | None) -> str | None:
        return self._settings.get((kind, subject or ""))


def _refs(raw: list[dict[str, object]]) -> tuple[Reference, ...]:
    return tuple(
        Reference(str(r["name"]), Subject(str(r["subject"])), int(str(r["version"]))) for r in raw
    )

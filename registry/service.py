"""The registry's domain core: register, look up, and read schemas and subject versions."""

from __future__ import annotations

from dataclasses import dataclass

from registry import canonical, compatibility
from registry.compatibility import Level
from registry.errors import (
    IncompatibleSchemaError,
    InvalidVersionError,
    SchemaNotFoundError,
    SubjectConfigNotFoundError,
    SubjectNotFoundError,
    SubjectNotSoftDeletedError,
    SubjectSoftDeletedError,
    VersionNotFoundError,
    VersionNotSoftDeletedError,
    VersionSoftDeletedError,
)
from registry.ids import SchemaId, Subject
from registry.storage.base import (
    DELETED,
    LIVE,
    SOFT_DELETED,
    SchemaStore,
    StoredSchema,
    SubjectVersion,
)


@dataclass(frozen=True)
class VersionedSchema:
    subject: Subject
    version: int
    schema: StoredSchema


class Registry:
    """Same schema, same id (always); ids are global and never reused."""

    def __init__(self, store: SchemaStore) -> None:
        self._store = store

    def register(
        self,
        subject: Subject,
        text: object,
        schema_type: str | None = None,
        references: object = None,
    ) -> SubjectVersion:
        parsed = canonical.parse(text, schema_type, references)
        existing = self._store.find(subject, parsed.canonical)
        if existing is not None and existing.state == LIVE:
            return existing
        self._check_compatible(subject, parsed)
        return self._store.register(subject, parsed.schema_type, parsed.canonical)

    def _check_compatible(self, subject: Subject, parsed: canonical.ParsedSchema) -> None:
        reasons = self.incompatibilities(subject, parsed.canonical)
        if reasons:
            level = self.compatibility(subject)
            raise IncompatibleSchemaError(
                f"Schema being registered is incompatible with an earlier schema for subject "
                f"'{subject}' ({level}): {'; '.join(reasons)}",
                reasons,
            )

    def incompatibilities(
        self, subject: Subject, text: object, version: str | int | None = None
    ) -> list[str]:
        """Why ``text`` breaks the subject's level (against ``version`` only, if given)."""
        new = canonical.parse(text).canonical
        existing = self._store.versions(subject)
        if version is not None:
            chosen = self.version(subject, version)
            pairs = [(chosen.version, chosen.schema.text)]
            level = compatibility.parse_level(
                self.compatibility(subject).removesuffix("_TRANSITIVE")
            )
        else:
            pairs = [(v.version, self.schema_by_id(v.schema_id).text) for v in existing]
            level = self.compatibility(subject)
        return compatibility.incompatibilities(new, pairs, level)

    def compatibility(self, subject: Subject | None, default_to_global: bool = True) -> Level:
        """The level in force for ``subject`` (its own, else the global one, else BACKWARD)."""
        own = self._store.config(subject) if subject else None
        if own is not None:
            return Level(own)
        if subject and not default_to_global:
            raise SubjectConfigNotFoundError(
                f"Subject '{subject}' does not have subject-level compatibility configured"
            )
        found = self._store.config(None)
        return Level(found) if found else compatibility.DEFAULT_LEVEL

    def set_compatibility(self, subject: Subject | None, level: object) -> Level:
        parsed = compatibility.parse_level(level)
        self._store.set_config(subject, parsed.value)
        return parsed

    def delete_compatibility(self, subject: Subject | None) -> Level:
        """Remove the setting; returns the level that was in force."""
        previous = self.compatibility(subject)
        self._store.delete_config(subject)
        return previous

    def lookup(
        self, subject: Subject, text: object, schema_type: str | None = None
    ) -> VersionedSchema:
        parsed = canonical.parse(text, schema_type)
        if not self._store.versions(subject):
            raise SubjectNotFoundError(f"Subject '{subject}' not found.")
        found = self._store.find(subject, parsed.canonical)
        if found is None or found.state != LIVE:
            raise SchemaNotFoundError(f"Schema not found under subject '{subject}'.")
        return VersionedSchema(subject, found.version, self.schema_by_id(found.schema_id))

    def schema_by_id(self, schema_id: SchemaId) -> StoredSchema:
        stored = self._store.schema(schema_id)
        if stored is None:
            raise SchemaNotFoundError(f"Schema {schema_id} not found")
        return stored

    def version(self, subject: Subject, version: str | int) -> VersionedSchema:
        number = _parse_version(version)
        versions = self.versions(subject)
        chosen = (
            versions[-1]
            if number == -1
            else next((v for v in versions if v.version == number), None)
        )
        if chosen is None:
            raise VersionNotFoundError(f"Version {version} not found.")
        return VersionedSchema(subject, chosen.version, self.schema_by_id(chosen.schema_id))

    def versions(self, subject: Subject, deleted: bool = False) -> list[SubjectVersion]:
        versions = self._store.versions(subject, SOFT_DELETED if deleted else LIVE)
        if not versions:
            raise SubjectNotFoundError(f"Subject '{subject}' not found.")
        return versions

    def subjects(self, deleted: bool = False) -> list[Subject]:
        return self._store.subjects(SOFT_DELETED if deleted else LIVE)

    def usages(self, schema_id: SchemaId) -> list[SubjectVersion]:
        self.schema_by_id(schema_id)  # 40403 for an unknown id
        return self._store.usages(schema_id)

    def delete_subject(self, subject: Subject, permanent: bool = False) -> list[int]:
        """Soft-delete every version, or (permanent) remove soft-deleted ones for good."""
        every = self._store.versions(subject, SOFT_DELETED)
        if not every:
            raise SubjectNotFoundError(f"Subject '{subject}' not found.")
        live = [v.version for v in every if v.state == LIVE]
        if permanent:
            if live:
                raise SubjectNotSoftDeletedError(
                    f"Subject '{subject}' was not deleted first before being permanently deleted"
                )
            gone = [v.version for v in every]
            self._store.set_state(subject, gone, DELETED)
            return gone
        if not live:
            raise SubjectSoftDeletedError(
                f"Subject '{subject}' was soft deleted. Set permanent=true to delete permanently"
            )
        self._store.set_state(subject, live, SOFT_DELETED)
        return live

    def delete_version(self, subject: Subject, version: str | int, permanent: bool = False) -> int:
        every = self._store.versions(subject, SOFT_DELETED)
        if not every:
            raise SubjectNotFoundError(f"Subject '{subject}' not found.")
        number = _parse_version(version)
        pool = every if permanent else [v for v in every if v.state == LIVE]
        chosen = (
            (pool[-1] if pool else None)
            if number == -1
            else next((v for v in every if v.version == number), None)
        )
        if chosen is None:
            raise VersionNotFoundError(f"Version {version} not found.")
        if permanent and chosen.state == LIVE:
            raise VersionNotSoftDeletedError(
                f"Subject '{subject}' Version {chosen.version} was not deleted first before "
                "being permanently deleted"
            )
        if not permanent and chosen.state != LIVE:
            raise VersionSoftDeletedError(
                f"Subject '{subject}' Version {chosen.version} was soft deleted. Set "
                "permanent=true to delete permanently"
            )
        self._store.set_state(subject, [chosen.version], DELETED if permanent else SOFT_DELETED)
        return chosen.version


def _parse_version(version: str | int) -> int:
    if version == "latest":
        return -1
    try:
        number = int(version)
    except ValueError as e:
        raise InvalidVersionError(
            f"The specified version '{version}' is not a valid version id. Allowed values are "
            'between [1, 2^31-1] and the string "latest"'
        ) from e
    if number == -1 or 1 <= number < 2**31:
        return number
    raise InvalidVersionError(
        f"The specified version '{version}' is not a valid version id. Allowed values are "
        'between [1, 2^31-1] and the string "latest"'
    )

"""Soft and permanent deletes of subjects and versions, refused while references exist."""

from __future__ import annotations

from registry.errors import (
    ReferenceExistsError,
    SubjectNotFoundError,
    SubjectNotSoftDeletedError,
    SubjectSoftDeletedError,
    VersionNotFoundError,
    VersionNotSoftDeletedError,
    VersionSoftDeletedError,
)
from registry.ids import Subject
from registry.storage.base import DELETED, LIVE, SOFT_DELETED, SchemaStore
from registry.versions import LATEST, parse_version


class Deletion:
    def __init__(self, store: SchemaStore) -> None:
        self._store = store

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
            self._refuse_referenced(subject, gone)
            self._store.set_state(subject, gone, DELETED)
            return gone
        if not live:
            raise SubjectSoftDeletedError(
                f"Subject '{subject}' was soft deleted. Set permanent=true to delete permanently"
            )
        self._refuse_referenced(subject, live)
        self._store.set_state(subject, live, SOFT_DELETED)
        return live

    def delete_version(self, subject: Subject, version: str | int, permanent: bool = False) -> int:
        number = parse_version(version)
        every = self._store.versions(subject, SOFT_DELETED)
        if not every:
            raise SubjectNotFoundError(f"Subject '{subject}' not found.")
        pool = every if permanent else [v for v in every if v.state == LIVE]
        chosen = (
            (pool[-1] if pool else None)
            if number == LATEST
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
        self._refuse_referenced(subject, [chosen.version])
        self._store.set_state(subject, [chosen.version], DELETED if permanent else SOFT_DELETED)
        return chosen.version

    def _refuse_referenced(self, subject: Subject, versions: list[int]) -> None:
        for version in versions:
            users = self._store.referenced_by(subject, version)
            if users:
                raise ReferenceExistsError(
                    f"One or more references exist to the schema "
                    f"{{subject={subject},version={version}}}: schema ids {users}"
                )

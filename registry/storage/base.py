"""What the registry core needs from a store; SQLite now, a Kafka log later."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

from registry.ids import SchemaId, Subject


@dataclass(frozen=True)
class StoredSchema:
    id: SchemaId
    schema_type: str
    text: str


@dataclass(frozen=True)
class SubjectVersion:
    subject: Subject
    version: int
    schema_id: SchemaId


class SchemaStore(ABC):
    """Schemas have global ids that are never reused; subjects hold numbered versions."""

    @abstractmethod
    def register(self, subject: Subject, schema_type: str, text: str) -> SubjectVersion:
        """Atomically: find or allocate the id of ``text``, find or append its version."""

    @abstractmethod
    def schema(self, schema_id: SchemaId) -> StoredSchema | None: ...

    @abstractmethod
    def find(self, subject: Subject, text: str) -> SubjectVersion | None: ...

    @abstractmethod
    def versions(self, subject: Subject) -> list[SubjectVersion]:
        """Versions of ``subject``, oldest first (empty when the subject does not exist)."""

    @abstractmethod
    def subjects(self) -> list[Subject]: ...

    @abstractmethod
    def config(self, subject: Subject | None) -> str | None:
        """The compatibility level set for ``subject`` (None: the global one), if any."""

    @abstractmethod
    def set_config(self, subject: Subject | None, level: str) -> None: ...

    @abstractmethod
    def delete_config(self, subject: Subject | None) -> None: ...

    @abstractmethod
    def close(self) -> None: ...

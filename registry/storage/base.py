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


LIVE, SOFT_DELETED, DELETED = 0, 1, 2  # a version's state; numbers and ids are never reused


@dataclass(frozen=True)
class SubjectVersion:
    subject: Subject
    version: int
    schema_id: SchemaId
    state: int = LIVE


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
    def versions(self, subject: Subject, max_state: int = LIVE) -> list[SubjectVersion]:
        """Versions of ``subject`` in a state up to ``max_state``, oldest first."""

    @abstractmethod
    def subjects(self, max_state: int = LIVE) -> list[Subject]:
        """Subjects with a version in a state up to ``max_state``."""

    @abstractmethod
    def set_state(self, subject: Subject, versions: list[int], state: int) -> None:
        """Soft-delete (1), hard-delete (2) or revive (0) versions."""

    @abstractmethod
    def usages(self, schema_id: SchemaId) -> list[SubjectVersion]:
        """The live subject versions that use ``schema_id``."""

    @abstractmethod
    def config(self, subject: Subject | None) -> str | None:
        """The compatibility level set for ``subject`` (None: the global one), if any."""

    @abstractmethod
    def set_config(self, subject: Subject | None, level: str) -> None: ...

    @abstractmethod
    def delete_config(self, subject: Subject | None) -> None: ...

    @abstractmethod
    def close(self) -> None: ...

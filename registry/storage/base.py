"""What the registry core needs from a store: SQLite embedded, a Kafka log for several hosts."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

from registry.ids import SchemaId, Subject
from registry.references import Reference


@dataclass(frozen=True)
class StoredSchema:
    id: SchemaId
    schema_type: str
    text: str
    references: tuple[Reference, ...] = ()


LIVE, SOFT_DELETED, DELETED = 0, 1, 2  # a version's state; numbers and ids are never reused

COMPATIBILITY, MODE = "compatibility", "mode"  # the kinds of setting, global or per subject


@dataclass(frozen=True)
class SubjectVersion:
    subject: Subject
    version: int
    schema_id: SchemaId
    state: int = LIVE


@dataclass(frozen=True)
class NewVersion:
    """A registration the core has validated; ``schema_id``/``version`` only when importing."""

    subject: Subject
    schema_type: str
    text: str
    references: tuple[Reference, ...] = ()
    schema_id: SchemaId | None = None
    version: int | None = None


class SchemaStore(ABC):
    """Schemas have global ids that are never reused; subjects hold numbered versions."""

    @abstractmethod
    def register(self, new: NewVersion) -> SubjectVersion:
        """Atomically: find or allocate the id of the schema, find or append its version.

        A schema deleted from the subject before gets a new version number (its id stays). An
        imported id or version that is taken by another schema raises ImportConflictError.
        """

    @abstractmethod
    def schema(self, schema_id: SchemaId) -> StoredSchema | None: ...

    @abstractmethod
    def max_schema_id(self) -> SchemaId | None: ...

    @abstractmethod
    def find(
        self, subject: Subject, text: str, references: tuple[Reference, ...] = ()
    ) -> SubjectVersion | None: ...

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
    def referenced_by(self, subject: Subject, version: int) -> list[SchemaId]:
        """Ids of schemas, used by a live version, whose references name this version."""

    @abstractmethod
    def setting(self, kind: str, subject: Subject | None) -> str | None:
        """The ``kind`` setting of ``subject`` (None: the global one), if one is set."""

    @abstractmethod
    def set_setting(self, kind: str, subject: Subject | None, value: str) -> None: ...

    @abstractmethod
    def delete_setting(self, kind: str, subject: Subject | None) -> None: ...

    def kafka_cluster_id(self) -> str | None:
        """The Kafka cluster's id, for a store kept on Kafka."""
        return None

    @abstractmethod
    def close(self) -> None: ...

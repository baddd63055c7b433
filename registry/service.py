"""The registry's domain core: register, look up, and read schemas and subject versions."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import avro.schema

from registry import avro_text, canonical, compatibility, references
from registry.canonical import ParsedSchema
from registry.compatibility import Level
from registry.deletion import Deletion
from registry.errors import (
    ImportConflictError,
    IncompatibleSchemaError,
    InvalidSchemaError,
    InvalidSubjectError,
    OperationNotPermittedError,
    RegistryError,
    SchemaNotFoundError,
    SubjectNotFoundError,
    VersionNotFoundError,
)
from registry.ids import INT32_END, SchemaId, Subject, valid_subject
from registry.modes import Mode, read_only
from registry.policy import Policy
from registry.references import Dependency, Reference
from registry.storage.base import (
    LIVE,
    SOFT_DELETED,
    NewVersion,
    SchemaStore,
    StoredSchema,
    SubjectVersion,
)
from registry.versions import LATEST, parse_version

_PARSED_CACHE = 4096  # parsed schemas kept for compatibility checks (ids are immutable)
_MAX_LOGGED_SCHEMA = 10 * 1024  # Confluent's cut for the old schema in a 409 message


@dataclass(frozen=True)
class VersionedSchema:
    subject: Subject
    version: int
    schema: StoredSchema
    state: int = LIVE


@dataclass(frozen=True)
class Candidate:
    """A schema as a request gives it: text, type and references, to register or compare."""

    text: object
    schema_type: object = None  # as the request gave it; validated on parse
    references: object = None
    normalize: bool = False


class Registry:
    """Same schema, same id (always); ids are global and never reused."""

    def __init__(self, store: SchemaStore) -> None:
        self._store = store
        self.policy = Policy(store)
        self.deletion = Deletion(store)
        self._parsed: dict[SchemaId, ParsedSchema] = {}
        self._strings: dict[SchemaId, str] = {}
        # one registration at a time: a check against the latest version must still hold
        # when the version is appended
        self._registering = threading.Lock()

    def register(
        self,
        subject: Subject,
        candidate: Candidate | str,
        schema_id: object = None,
        version: object = None,
    ) -> SubjectVersion:
        """Register under ``subject``; an explicit id/version only in IMPORT mode."""
        if not valid_subject(subject):
            raise InvalidSubjectError(f"The specified subject '{subject}' is not a valid.")
        mode = self.policy.mode(subject)
        if read_only(mode):
            raise OperationNotPermittedError(f"Subject '{subject}' is in read-only mode")
        explicit = schema_id is not None or version is not None
        if mode is Mode.IMPORT and schema_id is None:  # Confluent's words (context: default)
            raise OperationNotPermittedError(
                f"Subject {subject} in context  is not in read-write mode"
            )
        if explicit and mode is not Mode.IMPORT:
            raise OperationNotPermittedError(
                f"Subject '{subject}' is not in import mode: 'id' and 'version' may only be "
                "given in IMPORT mode"
            )
        given = _candidate(candidate)
        if _empty(given.text) and mode is not Mode.IMPORT:
            given = self._latest_as_candidate(subject, given)
        refs, parsed = self._parse(given)
        wanted_id = _positive("id", schema_id)
        wanted_version = None if version is None else parse_version(_int("version", version))
        with self._registering:
            return self._register(subject, mode, refs, parsed, wanted_id, wanted_version)

    def _register(
        self,
        subject: Subject,
        mode: Mode,
        refs: tuple[Reference, ...],
        parsed: ParsedSchema,
        wanted_id: int | None,
        wanted_version: int | None,
    ) -> SubjectVersion:
        existing = self._store.find(subject, parsed.canonical, refs)
        if (existing is None or existing.state != LIVE) and wanted_id is wanted_version is None:
            existing = self._equivalent(subject, parsed, refs, LIVE)
        if existing is not None and existing.state == LIVE:
            if wanted_id is not None and existing.schema_id != wanted_id:
                raise ImportConflictError(
                    f"the schema is already registered with id {existing.schema_id}"
                )
            return existing
        if mode is not Mode.IMPORT:
            self._check_compatible(subject, parsed)
        elif wanted_version not in (None, LATEST):
            revived = self._revive(subject, wanted_version, refs, parsed)
            if revived is not None:
                return revived
        new = NewVersion(
            subject, parsed.schema_type, parsed.canonical, refs,
            None if wanted_id is None else SchemaId(wanted_id),
            None if wanted_version in (None, LATEST) else wanted_version,
        )  # fmt: skip
        return self._store.register(new)

    def _revive(
        self,
        subject: Subject,
        version: int | None,
        refs: tuple[Reference, ...],
        parsed: ParsedSchema,
    ) -> SubjectVersion | None:
        """Importing a soft-deleted version again, same schema (and so same id): it is live
        again, as Confluent's import overwrites the version with itself."""
        held = next((v for v in self._store.versions(subject, SOFT_DELETED)
                     if v.version == version and v.state == SOFT_DELETED), None)  # fmt: skip
        if held is None:
            return None
        stored = self.schema_by_id(held.schema_id)
        if (stored.text, stored.references) != (parsed.canonical, refs):
            return None
        self._store.set_state(subject, [held.version], LIVE)
        return SubjectVersion(subject, held.version, held.schema_id)

    def _latest_as_candidate(self, subject: Subject, given: Candidate) -> Candidate:
        """No schema given: Confluent registers the latest version's again (else 42201)."""
        live = self._store.versions(subject)
        if not live:
            raise InvalidSchemaError("Empty schema")
        stored = self.schema_by_id(live[-1].schema_id)
        refs = [r.to_json() for r in stored.references]
        return Candidate(stored.text, stored.schema_type, refs or None, given.normalize)

    def _check_compatible(self, subject: Subject, parsed: ParsedSchema) -> None:
        level = self.policy.compatibility(subject)
        found = compatibility.first_break(parsed, self._history(subject), level)
        if found is None:
            return
        version, reasons, named = found
        details = list(reasons)
        if named:
            old = self.version(subject, version).schema
            details += [f"{{oldSchemaVersion: {version}}}", _old_schema(self.schema_string(old))]
        details.append(f"{{validateFields: 'false', compatibility: '{level}'}}")
        raise IncompatibleSchemaError(
            "Schema being registered is incompatible with an earlier schema for subject "
            f'"{subject}", details: [{", ".join(details)}]',
            reasons,
        )

    def _history(self, subject: Subject) -> list[tuple[int, ParsedSchema]]:
        return [(v.version, self._parsed_by_id(v.schema_id)) for v in self._store.versions(subject)]

    def incompatibilities(
        self, subject: Subject, candidate: Candidate | str, version: str | int | None = None
    ) -> list[str]:
        """Why the candidate breaks the subject's level (against ``version`` only, if given).

        As Confluent: a version that does not exist is 40402 (whether the subject does or
        not), except ``latest`` of a subject without versions, which nothing contradicts.
        """
        level = self.policy.compatibility(subject)
        if version is None:
            _, parsed = self._parse(_candidate(candidate))
            return compatibility.check(parsed, self._history(subject), level)
        number = parse_version(version)
        live = self._store.versions(subject)
        chosen = live[-1:] if number == LATEST else [v for v in live if v.version == number]
        if not chosen and number != LATEST:
            raise VersionNotFoundError(f"Version {number} not found.")
        _, parsed = self._parse(_candidate(candidate))
        single = compatibility.parse_level(level.removesuffix("_TRANSITIVE"))
        pair = [(v.version, self._parsed_by_id(v.schema_id)) for v in chosen]
        return compatibility.check(parsed, pair, single)

    def lookup(
        self, subject: Subject, candidate: Candidate | str, deleted: bool = False
    ) -> VersionedSchema:
        refs, parsed = self._parse(_candidate(candidate))
        if not self._store.versions(subject, SOFT_DELETED if deleted else LIVE):
            raise SubjectNotFoundError(f"Subject '{subject}' not found.")
        max_state = SOFT_DELETED if deleted else LIVE
        found = (
            self._store.find(subject, parsed.canonical, refs)
            or self._equivalent(subject, parsed, refs, max_state)
            or self._same_primitive(subject, parsed, deleted)
        )
        if found is None or (found.state != LIVE and not (deleted and found.state == SOFT_DELETED)):
            raise SchemaNotFoundError(f"Schema not found under subject '{subject}'.")
        stored = self.schema_by_id(found.schema_id)
        return VersionedSchema(subject, found.version, stored, found.state)

    def _equivalent(
        self, subject: Subject, parsed: ParsedSchema, refs: tuple[Reference, ...], max_state: int
    ) -> SubjectVersion | None:
        """The newest version that is the same schema spelled otherwise, as Confluent's
        ``canLookup`` finds it: same references and an equivalent schema, or none given and
        the schema written out with the referenced types in full."""
        for version in reversed(self._store.versions(subject, max_state)):
            stored = self.schema_by_id(version.schema_id)
            same_refs = stored.references == refs or (not refs and bool(stored.references))
            if not same_refs or stored.schema_type != parsed.schema_type:
                continue
            if self._parsed_by_id(version.schema_id).resolved == parsed.resolved:
                return version
        return None

    def _same_primitive(
        self, subject: Subject, parsed: ParsedSchema, deleted: bool
    ) -> SubjectVersion | None:
        """For a bare primitive (``{"type": "int"}``), the newest version that is the same
        primitive with extra attributes (``connect.name``, …), as Confluent's lookup finds it;
        never one with a logical type, which changes what the values mean."""
        if parsed.schema_type != "AVRO" or not _bare_primitive(parsed.model):
            return None
        versions = self._store.versions(subject, SOFT_DELETED if deleted else LIVE)
        for version in sorted(versions, key=lambda v: v.version, reverse=True):
            stored = self._parsed_by_id(version.schema_id)
            primitive = stored.schema_type == "AVRO" and _primitive(stored.model)
            if primitive and stored.model.type == parsed.model.type:
                return version
        return None

    def schema_by_id(self, schema_id: SchemaId) -> StoredSchema:
        stored = self._store.schema(schema_id) if 1 <= schema_id < INT32_END else None
        if stored is None:
            raise SchemaNotFoundError(f"Schema {schema_id} not found")
        return stored

    def schema_string(self, stored: StoredSchema) -> str:
        """The schema text as Confluent returns it (its parsed canonical string).

        Identity stays the stored normalized text; this is only how it is spelled on the way
        out. Avro: Avro Java's ``Schema.toString()`` order; JSON Schema: compact JSON.
        """
        found = self._strings.get(stored.id)
        if found is None:
            found = stored.text
            if stored.schema_type == "AVRO":
                try:
                    dependencies = self._dependencies(stored.references, set())
                except RegistryError:  # a reference gone for good: its names stay names
                    dependencies = []
                found = avro_text.confluent_string(stored.text, [d.text for d in dependencies])
            if len(self._strings) >= _PARSED_CACHE:
                self._strings.clear()
            self._strings[stored.id] = found
        return found

    def formatted(self, stored: StoredSchema, fmt: str = "") -> str:
        """:meth:`schema_string`, or the ``format`` Confluent offers for the type
        (``serialized``: a Protobuf schema as a base64 ``FileDescriptorProto``)."""
        if fmt.strip().lower() == "serialized" and stored.schema_type == "PROTOBUF":
            return str(self._parsed_by_id(stored.id).model.serialized())
        return self.schema_string(stored)

    def kafka_cluster_id(self) -> str | None:
        """The id of the Kafka cluster holding the store (None: the store is not on Kafka)."""
        return self._store.kafka_cluster_id()

    def max_schema_id(self) -> SchemaId | None:
        return self._store.max_schema_id()

    def version(
        self, subject: Subject, version: str | int, deleted: bool = False
    ) -> VersionedSchema:
        number = parse_version(version)
        versions = self.versions(subject, deleted)
        chosen = (
            versions[-1]
            if number == LATEST
            else next((v for v in versions if v.version == number), None)
        )
        if chosen is None:
            raise VersionNotFoundError(f"Version {version} not found.")
        stored = self.schema_by_id(chosen.schema_id)
        return VersionedSchema(subject, chosen.version, stored, chosen.state)

    def versions(self, subject: Subject, deleted: bool = False) -> list[SubjectVersion]:
        versions = self._store.versions(subject, SOFT_DELETED if deleted else LIVE)
        if not versions:
            raise SubjectNotFoundError(f"Subject '{subject}' not found.")
        return versions

    def subjects(
        self, deleted: bool = False, prefix: str = "", deleted_only: bool = False
    ) -> list[Subject]:
        """Subjects with a live version; ``deleted``: also those whose every version is
        soft-deleted; ``deleted_only``: only those (Confluent's ``deletedOnly``)."""
        found = self._store.subjects(SOFT_DELETED if deleted or deleted_only else LIVE)
        if deleted_only:
            live = set(self._store.subjects(LIVE))
            found = [s for s in found if s not in live]
        return [s for s in found if s.startswith(prefix)]

    def schemas(
        self, prefix: str = "", deleted: bool = False, latest_only: bool = False
    ) -> list[VersionedSchema]:
        """Every subject version (``GET /schemas``), by subject then version."""
        found: list[VersionedSchema] = []
        for subject in self.subjects(deleted, prefix):
            versions = self._store.versions(subject, SOFT_DELETED if deleted else LIVE)
            for v in versions[-1:] if latest_only else versions:
                found.append(
                    VersionedSchema(subject, v.version, self.schema_by_id(v.schema_id), v.state)
                )
        return found

    def usages(self, schema_id: SchemaId) -> list[SubjectVersion]:
        self.schema_by_id(schema_id)  # 40403 for an unknown id
        return self._store.usages(schema_id)

    def referenced_by(self, subject: Subject, version: str | int) -> list[SchemaId]:
        chosen = self.version(subject, version)
        return self._store.referenced_by(subject, chosen.version)

    def delete_subject(self, subject: Subject, permanent: bool = False) -> list[int]:
        self._refuse_read_only(subject)
        return self.deletion.delete_subject(subject, permanent)

    def delete_version(self, subject: Subject, version: str | int, permanent: bool = False) -> int:
        self._refuse_read_only(subject)
        return self.deletion.delete_version(subject, version, permanent)

    def _refuse_read_only(self, subject: Subject) -> None:
        if read_only(self.policy.mode(subject)):
            raise OperationNotPermittedError(f"Subject '{subject}' is in read-only mode")

    def compatibility(self, subject: Subject | None, default_to_global: bool = True) -> Level:
        return self.policy.compatibility(subject, default_to_global)

    def _parse(self, candidate: Candidate) -> tuple[tuple[Reference, ...], ParsedSchema]:
        """Resolve the references to concrete versions, then validate and canonicalize."""
        kind = canonical.schema_kind(candidate.schema_type)
        refs = tuple(self._concrete(r) for r in references.parse(candidate.references))
        if candidate.normalize:  # Confluent's normalize: by subject then version, once each
            refs = tuple(sorted(dict.fromkeys(refs), key=lambda r: (r.subject, r.version)))
        dependencies = self._dependencies(refs, set())  # refused for JSON by parse
        parsed = canonical.parse(candidate.text, kind, dependencies, candidate.normalize)
        return refs, parsed

    def _concrete(self, ref: Reference) -> Reference:
        try:
            found = self.version(ref.subject, ref.version)
        except (SubjectNotFoundError, VersionNotFoundError, RegistryError) as e:
            raise InvalidSchemaError(
                f"reference '{ref.name}': subject '{ref.subject}' version {ref.version} "
                f"not found ({e})"
            ) from e
        return Reference(ref.name, ref.subject, found.version)

    def _dependencies(self, refs: tuple[Reference, ...], seen: set[SchemaId]) -> list[Dependency]:
        """The referenced schemas, each after what it depends on, each once."""
        texts: list[Dependency] = []
        for ref in refs:
            stored = self.version(ref.subject, ref.version, deleted=True).schema
            if stored.id in seen:
                continue
            seen.add(stored.id)
            texts += self._dependencies(stored.references, seen)
            texts.append(Dependency(ref.name, stored.text))
        return texts

    def _parsed_by_id(self, schema_id: SchemaId) -> ParsedSchema:
        found = self._parsed.get(schema_id)
        if found is None:
            stored = self.schema_by_id(schema_id)
            dependencies = self._dependencies(stored.references, set())
            found = canonical.parse(stored.text, stored.schema_type, dependencies)
            if len(self._parsed) >= _PARSED_CACHE:
                self._parsed.clear()
            self._parsed[schema_id] = found
        return found


def _empty(text: object) -> bool:
    return text is None or (isinstance(text, str) and not text.strip())


def _old_schema(text: str) -> str:
    """Confluent's ``{oldSchema: '...'}``, cut at 10 KiB."""
    if len(text) <= _MAX_LOGGED_SCHEMA:
        return f"{{oldSchema: '{text}'}}"
    return f"{{oldSchema: <truncated> '{text[:_MAX_LOGGED_SCHEMA]}...'}}"


def _candidate(given: Candidate | str) -> Candidate:
    return given if isinstance(given, Candidate) else Candidate(given)


def _int(what: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidSchemaError(f"'{what}' must be an integer, got {value!r}")
    return value


def _positive(what: str, value: object) -> int | None:
    if value is None:
        return None
    number = _int(what, value)
    if not 1 <= number < INT32_END:
        raise InvalidSchemaError(f"'{what}' must be between 1 and 2^31-1, got {number}")
    return number


def _primitive(model: object) -> bool:
    """A primitive without a logical type (avro gives those subclasses of their own)."""
    return type(model) is avro.schema.PrimitiveSchema


def _bare_primitive(model: object) -> bool:
    return _primitive(model) and not getattr(model, "other_props", None)

"""Errors of the registry's domain core (mapped to Confluent's error codes only at the API edge)."""

from tide.errors import TideError


class RegistryError(TideError):
    """The registry refused or failed a request."""


class SubjectNotFoundError(RegistryError):
    """No such subject."""


class VersionNotFoundError(RegistryError):
    """The subject has no such version."""


class SchemaNotFoundError(RegistryError):
    """No schema with that id, or the schema is not registered under the subject."""


class InvalidSchemaError(RegistryError):
    """The schema text is not a valid schema of its type."""


class InvalidSubjectError(RegistryError):
    """The subject name has control characters or is reserved."""


class InvalidVersionError(RegistryError):
    """A version must be a positive integer, -1 or 'latest'."""


class StoreError(RegistryError):
    """The backing store failed."""


class InvalidCompatibilityLevelError(RegistryError):
    """Not one of the seven compatibility levels."""


class IncompatibleSchemaError(RegistryError):
    """The schema breaks the subject's compatibility level (the reasons are in the message)."""

    def __init__(self, message: str, reasons: list[str]) -> None:
        super().__init__(message)
        self.reasons = reasons


class SubjectConfigNotFoundError(RegistryError):
    """The subject has no compatibility level of its own."""


class SubjectSoftDeletedError(RegistryError):
    """The subject is already soft-deleted (only a permanent delete can follow)."""


class SubjectNotSoftDeletedError(RegistryError):
    """A subject must be soft-deleted before it is deleted permanently."""


class VersionSoftDeletedError(RegistryError):
    """The version is already soft-deleted."""


class VersionNotSoftDeletedError(RegistryError):
    """A version must be soft-deleted before it is deleted permanently."""


class ReferenceExistsError(RegistryError):
    """Another live schema references the version being deleted."""


class InvalidModeError(RegistryError):
    """Not one of the modes READWRITE, READONLY, READONLY_OVERRIDE, IMPORT."""


class OperationNotPermittedError(RegistryError):
    """The subject's mode forbids the operation (read-only, or an explicit id outside IMPORT)."""


class ImportConflictError(RegistryError):
    """An imported id or version is already taken by another schema."""


class SubjectModeNotFoundError(RegistryError):
    """The subject has no mode of its own."""


class PrimaryUnavailableError(RegistryError):
    """No primary is known, or forwarding a write to it failed; the client should retry."""


class FencedError(RegistryError):
    """This instance lost its primacy before its write took effect; the write did not happen."""

"""Errors raised by the lake: catalog, tables, offsets and SQL."""

from __future__ import annotations

from tide.errors import TideError


class LakeError(TideError):
    """A lake operation failed."""


class CatalogError(LakeError):
    """The Iceberg catalog could not be opened or answered with an error."""


class UnsupportedSchemaError(LakeError):
    """An Avro schema uses a construct the lake cannot store as Arrow/Iceberg."""


class TableNotFoundError(LakeError):
    """The lake table does not exist."""


class SchemaMismatchError(LakeError):
    """Data or a requested schema does not fit the existing lake table."""


class CommitError(LakeError):
    """An Iceberg write failed to commit."""


class OffsetFencingError(LakeError):
    """The committed offsets changed under us: another writer landed first."""


class OffsetRegressionError(LakeError):
    """New offsets would move a partition backwards, which would re-land data."""


class OffsetHistoryError(LakeError):
    """Committed offsets cannot be read back (corrupt value or expired snapshot)."""


class QueryError(LakeError):
    """DuckDB rejected or failed a query; the message is the engine's own."""


class QueryRefusedError(QueryError):
    """The statement is not read-only and is refused."""


class QueryTimeoutError(QueryError):
    """The statement ran past its timeout and was interrupted."""


class QueryCancelledError(QueryError):
    """The statement was interrupted by the user (Ctrl-C), not by its timeout."""


class AsOfError(QueryError):
    """A time-travel point names no snapshot of a table the statement reads."""


class ExportError(LakeError):
    """A query result could not be written to the file the user named."""


class RecordConversionError(LakeError):
    """A decoded record does not fit the Arrow schema derived from its Avro schema."""


class IncompatibleSchemaError(SchemaMismatchError):
    """A writer schema changes a field in a way the lake table cannot evolve to hold."""

    def __init__(self, message: str, path: str) -> None:
        super().__init__(message)
        self.path = path

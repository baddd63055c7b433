"""Errors of the Parquet landing's file system side."""

from __future__ import annotations

from lake.errors import LakeError


class ParquetSinkError(LakeError):
    """The Parquet root cannot be written (taken by another job, or unreadable state)."""


class LeaseLostError(ParquetSinkError):
    """This job no longer holds the lease on its S3 root: it must stop without committing."""


class S3RequestError(ParquetSinkError):
    """An S3 request failed (refused, or the endpoint could not be reached)."""


class PreconditionFailedError(S3RequestError):
    """An S3 conditional write or delete found the object changed (412, or 409 conflict)."""

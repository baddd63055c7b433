"""Errors of batch jobs."""

from tide.errors import TideError


class JobError(TideError):
    """A batch job failed."""


class UnknownJobError(JobError):
    """No job has that id, or no job kind has that name."""


class OffsetGapError(JobError):
    """The lake's committed offsets cannot be resumed on this topic without a gap or a replay."""


class SchemaEvolutionError(JobError):
    """Records use a writer schema that the lake table cannot evolve to hold."""


class NotCancellableError(JobError):
    """The job has ended already, or runs on another host."""

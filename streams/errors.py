"""Errors of the stream worker."""

from tide.errors import TideError


class StreamError(TideError):
    """Something in the stream worker failed."""


class JobDefinitionError(StreamError):
    """A window job is declared wrongly (names the job and the field at fault)."""


class UnknownJobError(StreamError):
    """A job name that neither the shipped jobs nor the jobs file declare."""


class FieldPathError(StreamError):
    """A job's field path does not exist in the writer schema of a record."""


class CheckpointError(StreamError):
    """A checkpoint could not be written or read back."""


class ExchangeError(StreamError):
    """A message on a job's exchange topic is not a report this version understands."""


class DeliveryFailedError(StreamError):
    """The broker did not acknowledge an output, report or checkpoint."""

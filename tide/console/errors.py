"""Errors of the console's own input checks (the sections' other errors are their packages')."""

from tide.errors import TideError


class ConsoleError(TideError):
    """A console request that cannot be answered as asked."""


class BadParameterError(ConsoleError):
    """A query parameter out of its range or of the wrong kind."""


class WorkerMetricsError(ConsoleError):
    """A window worker's /metrics did not answer."""


class UnknownWindowJobError(ConsoleError):
    """No window job has that name."""

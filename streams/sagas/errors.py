"""Errors of the saga members."""

from streams.errors import StreamError


class SagaTopologyError(StreamError):
    """``saga_events`` and ``orders`` do not have the same number of partitions."""

"""Errors of the durable outbox."""

from producers.errors import ProducerError


class OutboxError(ProducerError):
    """The local outbox could not be read or written."""

"""Errors of the write path: serialization, registry calls, delivery."""

from tide.errors import TideError


class ProducerError(TideError):
    """Something on the write path failed."""


class SchemaValidationError(ProducerError):
    """An event does not match its topic's schema."""


class RegistryUnavailableError(ProducerError):
    """The schema registry did not answer."""


class RegistryRequestError(ProducerError):
    """The schema registry refused a request (its error code and message are kept)."""

    def __init__(self, message: str, status_code: int | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code


class WireFormatError(ProducerError):
    """Bytes are not in the Confluent wire format (magic byte 0, 4-byte schema id, body)."""


class DeliveryError(ProducerError):
    """The broker did not acknowledge some events."""


class UnknownTopicError(ProducerError):
    """The topic does not exist on the broker."""


class BrokerUnavailableError(ProducerError):
    """No Kafka broker answered at the configured bootstrap servers."""

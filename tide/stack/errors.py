"""Errors of the local-stack supervisor."""

from tide.errors import TideError


class StackError(TideError):
    """A server of the local stack could not be started or did not become ready."""


class BrokerBinaryError(StackError):
    """The embedded broker's binary is missing or cannot be executed."""


class KafkaUnavailableError(StackError):
    """Apache Kafka cannot run here: no Java 17+, or its jars are not fetched (`make kafka`)."""

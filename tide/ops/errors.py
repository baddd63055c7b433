"""Errors of the operator tools (topics, consume, lag): each one line naming what is wrong."""

from tide.errors import TideError


class InspectError(TideError):
    """An operator tool could not answer."""


class UnknownPartitionError(InspectError):
    """The topic has no such partition."""


class UnknownGroupError(InspectError):
    """The consumer group does not exist on the broker."""


class BadStartError(InspectError):
    """A --from value that is neither beginning, end, an offset nor an ISO 8601 time."""


class BrokerQueryError(InspectError):
    """The broker did not answer an admin or offset request."""

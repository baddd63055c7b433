"""The root of every error Tide raises on purpose."""


class TideError(Exception):
    """An expected failure with a message meant for the user (one readable line)."""

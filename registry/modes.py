"""Registry modes: whether a subject accepts writes, and whether it takes imported ids."""

from __future__ import annotations

from enum import StrEnum

from registry.errors import InvalidModeError


class Mode(StrEnum):
    READWRITE = "READWRITE"
    READONLY = "READONLY"
    READONLY_OVERRIDE = "READONLY_OVERRIDE"  # read-only, and the global setting cannot lift it
    IMPORT = "IMPORT"  # registrations carry their own id and version; no compatibility checks


DEFAULT_MODE = Mode.READWRITE


def parse_mode(text: object) -> Mode:
    try:
        return Mode(str(text).upper())
    except ValueError as e:
        raise InvalidModeError(f"Invalid mode {text!r}; valid: {', '.join(Mode)}") from e


def read_only(mode: Mode) -> bool:
    return mode in (Mode.READONLY, Mode.READONLY_OVERRIDE)

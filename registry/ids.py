"""Identifiers of the registry."""

from typing import NewType

Subject = NewType("Subject", str)
SchemaId = NewType("SchemaId", int)

# Ids and version numbers are Java ints in Confluent's API: 1 .. 2^31-1.
INT32_END = 2**31

# Subject names Confluent reserves for its global settings.
_RESERVED_SUBJECTS = frozenset({"__GLOBAL", "__EMPTY"})


def valid_subject(subject: str) -> bool:
    """Confluent's ``QualifiedSubject.isValidSubject``: no control characters (Java's
    ``isISOControl``: U+0000-U+001F, U+007F-U+009F) and not a reserved name."""
    if any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in subject):
        return False
    return subject not in _RESERVED_SUBJECTS

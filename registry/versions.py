"""Version numbers as clients write them: 1..2^31-1, -1 and "latest"."""

from __future__ import annotations

from registry.errors import InvalidVersionError
from registry.ids import INT32_END

LATEST = -1


def parse_version(version: str | int) -> int:
    if version == "latest":
        return LATEST
    try:
        number = int(version)
    except (TypeError, ValueError) as e:
        raise _invalid(version) from e
    if number == LATEST or 1 <= number < INT32_END:
        return number
    raise _invalid(version)


def _invalid(version: object) -> InvalidVersionError:
    return InvalidVersionError(
        f"The specified version '{version}' is not a valid version id. Allowed values are "
        'between [1, 2^31-1] and the string "latest"'
    )

"""What every command needs: the settings, read once from the environment."""

from __future__ import annotations

from functools import cache

from pydantic import ValidationError

from tide.errors import TideError
from tide.settings import TideSettings


class SettingsError(TideError):
    """A TIDE_* setting that does not parse."""


@cache
def settings() -> TideSettings:
    """The settings; a bad one is one line naming its variable, the value and what is wrong."""
    try:
        return TideSettings()
    except ValidationError as e:
        problems = "; ".join(
            f"TIDE_{'__'.join(str(part) for part in err['loc']).upper()}={err.get('input')!r}: "
            f"{err['msg']}"
            for err in e.errors()
        )
        raise SettingsError(f"bad setting {problems}") from None

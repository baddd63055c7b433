"""What every command needs: the settings, read once from the environment."""

from __future__ import annotations

from functools import cache

from tide.settings import TideSettings


@cache
def settings() -> TideSettings:
    return TideSettings()

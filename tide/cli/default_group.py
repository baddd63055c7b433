"""A command group that runs its default command when the first word names none of its own:
`tide sql "SELECT 1"` is `tide sql run "SELECT 1"`, while `tide sql serve` stays a command."""

from __future__ import annotations

from typing import TYPE_CHECKING

from typer.core import TyperGroup

if TYPE_CHECKING:  # typer vendors click; its Context type is only reachable privately
    from typer._click.core import Context

DEFAULT_COMMAND = "run"


class DefaultCommandGroup(TyperGroup):
    def parse_args(self, ctx: Context, args: list[str]) -> list[str]:
        if not args or (args[0] not in self.commands and args[0] != "--help"):
            args = [DEFAULT_COMMAND, *args]
        return super().parse_args(ctx, args)

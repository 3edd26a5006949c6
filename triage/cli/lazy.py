"""A command group whose commands are imported only when one runs.

Importing every command costs most of a short command's time (experta, the rule base loader,
multiprocessing, YAML), so ``triage --version`` and ``triage --help`` import none of them:
``--help`` lists each command with a summary kept beside its import path (a test keeps the
summaries equal to the commands' own).
"""

from __future__ import annotations

from importlib import import_module
from typing import Any, NamedTuple

import click

from .writing import Group


class Lazy(NamedTuple):
    """Where a command is (``module:attribute``) and its summary for the group's ``--help``:
    the first sentence of its help, as click shortens it."""

    target: str
    summary: str


class LazyGroup(Group):
    """A group of commands named in ``lazy``, each imported on first use."""

    def __init__(self, *args: Any, lazy: dict[str, Lazy] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.lazy: dict[str, Lazy] = dict(lazy or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Every command's name, sorted (whatever was imported or added, and in what order)."""
        return sorted(set(self.lazy) | set(self.commands))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """The command ``cmd_name``, imported now if it is one of the lazy ones."""
        if cmd_name not in self.commands and cmd_name in self.lazy:
            module, _, attribute = self.lazy[cmd_name].target.partition(":")
            command = getattr(import_module(module), attribute)
            if not isinstance(command, click.Command):  # a wrong table is a bug, not bad input
                raise TypeError(f"{self.lazy[cmd_name].target} is not a click command")
            self.add_command(command, cmd_name)
        return self.commands.get(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The ``Commands`` section of ``--help``, as click writes it, without importing a
        command that is not imported yet."""
        names = self.list_commands(ctx)
        commands = {
            name: self.commands.get(name) or click.Command(name, help=self.lazy[name].summary)
            for name in names
        }
        shown = [name for name in names if not commands[name].hidden]
        if not shown:
            return
        limit = formatter.width - 6 - max(len(name) for name in shown)
        rows = [(name, commands[name].get_short_help_str(limit)) for name in shown]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

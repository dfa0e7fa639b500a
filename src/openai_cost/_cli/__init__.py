"""The ``openai-cost`` command line: a thin click layer over the public API.

Commands live in modules of this package and are imported only when they run (see
``_COMMANDS``), so ``openai-cost price`` does not pay for the ledger or the tokenizer.
"""

from __future__ import annotations

import importlib
from typing import Any

import click

from ..errors import OpenAICostError
from ._common import prices_option

__all__ = ["main"]

# command name -> "module:function" inside this package
_COMMANDS: dict[str, str] = {
    "price": "catalog:price",
    "models": "catalog:models",
    "analyze": "analyze:analyze",
    "catalog": "table:catalog",
    "tokens": "tokens:tokens",
    "estimate": "tokens:estimate",
    "report": "report:report",
    "dashboard": "dashboard:dashboard",
    "org": "org:org",
    "reconcile": "org:reconcile",
    "prices": "prices:prices",
}


class _LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(_COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = _COMMANDS.get(cmd_name)
        if target is None:
            return None
        mod, _, attr = target.partition(":")
        cmd = getattr(importlib.import_module(f"{__name__}.{mod}"), attr)
        assert isinstance(cmd, click.Command)
        return cmd

    def invoke(self, ctx: click.Context) -> Any:
        import warnings

        def show(message: Any, category: Any, *_args: Any, **_kwargs: Any) -> None:
            click.echo(f"Warning: {message}", err=True)

        with warnings.catch_warnings():
            # each distinct warning once, as one line: a dated snapshot priced as its model...
            warnings.simplefilter("default")
            warnings.showwarning = show
            try:
                return super().invoke(ctx)
            except OpenAICostError as e:
                raise click.ClickException(_one_line(str(e))) from e
            except OSError as e:  # a file that cannot be read or written
                where = f"{e.filename}: " if e.filename else ""
                raise click.ClickException(f"{where}{e.strerror or e}") from e


def _one_line(msg: str) -> str:
    return " ".join(msg.split()) if "\n" in msg else msg


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="openai-cost", prog_name="openai-cost")
@prices_option
def main() -> None:
    """Exact, dated cost of OpenAI API calls: price usages, list prices, analyze logs.

    Exit status: 0 on success; 2 for a bad option or argument (click's usage errors); 1 with
    a one-line "Error: ..." on stderr for everything else (and for analyze --strict when
    something could not be priced).

    Every command accepts --prices FILE (also OPENAI_COST_PRICES) to add or override models
    from your own TOML price file, and --json for scripts.
    """

"""``openai-cost catalog``: the price catalog as tables for SQL engines."""

from __future__ import annotations

from datetime import date

import click

from ._common import date_type, get_catalog, prices_option

__all__ = ["catalog"]


@click.group()
def catalog() -> None:
    """The price catalog as tables that DuckDB, Spark or a warehouse can join."""


@catalog.command()
@click.argument("directory", type=click.Path(file_okay=False))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["parquet", "csv", "jsonl"]),
    default="parquet",
    show_default=True,
    help="Parquet (decimal price column; needs openai-cost[arrow]) or CSV / JSON Lines "
    "(decimal strings).",
)
@click.option(
    "--at", type=date_type, default=None, help="Only the rows in force on this day (YYYY-MM-DD)."
)
@prices_option
def export(directory: str, fmt: str, at: date | None) -> None:
    """Write prices.<ext> and aliases.<ext> into DIRECTORY.

    prices: one row per model, period (since inclusive, until exclusive), tier, context band
    and dimension, with the exact rate per unit and where it came from. aliases: every name
    of every model, with the dates a dated alias pointed where.

    \b
    Examples:
      openai-cost catalog export prices/
      openai-cost catalog export prices/ --format csv --at 2025-01-08
    """
    from ..table._catalog import export as export_tables

    if fmt == "parquet":
        try:
            import pyarrow  # noqa: F401
        except ModuleNotFoundError:
            raise click.ClickException(
                'Parquet needs pyarrow: pip install "openai-cost[arrow]" (or use --format csv)'
            ) from None
    for path in export_tables(get_catalog(), directory, fmt, at):
        click.echo(path)

"""``openai-cost catalog``: the price catalog as tables for SQL engines."""

from __future__ import annotations

from datetime import date

import click

from ._common import date_type, echo_json, get_catalog, json_option, prices_option

__all__ = ["catalog"]


@click.group()
def catalog() -> None:
    """The price catalog as tables that DuckDB, Spark or a warehouse can join.

    export writes them as Parquet, CSV or JSON Lines (--json prints the files written).
    """


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
@json_option
@prices_option
def export(directory: str, fmt: str, at: date | None, as_json: bool) -> None:
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
    paths = export_tables(get_catalog(), directory, fmt, at)
    if as_json:
        echo_json({"prices": paths[0], "aliases": paths[1]})
    else:
        for path in paths:
            click.echo(path)

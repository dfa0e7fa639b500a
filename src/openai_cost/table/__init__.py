"""The catalog as Arrow tables, the columnar pricing kernel, and readers into usage tables.

Needs pyarrow (``pip install "openai-cost[arrow]"``); ``import openai_cost`` never imports this
wing. `price` applies `cost_of`'s rules to whole record batches, `from_records` turns files of
responses, logs and Batch output into the usage table it prices, and `catalog_tables` /
`export_catalog` give the price and alias tables that SQL engines join instead.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from ._catalog import ALIAS_COLUMNS, PRICE_COLUMNS, PRICE_SCALE, export
from ._kernel import COST_COLUMNS, TOOL_COLUMNS, Kernel, price
from ._records import USAGE_TABLE_COLUMNS, from_records, iter_usage_batches

if TYPE_CHECKING:
    from ..catalog import Catalog

__all__ = [
    "ALIAS_COLUMNS",
    "COST_COLUMNS",
    "PRICE_COLUMNS",
    "PRICE_SCALE",
    "TOOL_COLUMNS",
    "USAGE_TABLE_COLUMNS",
    "Kernel",
    "catalog_tables",
    "export_catalog",
    "from_records",
    "iter_usage_batches",
    "price",
]


def catalog_tables(prices: Catalog | None = None, *, at: date | None = None) -> tuple[Any, Any]:
    """``(prices, aliases)`` as `pyarrow.Table` objects; see `Catalog.to_arrow`."""
    from ..catalog import catalog
    from ._catalog import arrow_tables

    return arrow_tables(prices if prices is not None else catalog(), at)


def export_catalog(
    directory: str, *, fmt: str = "parquet", at: date | None = None, prices: Catalog | None = None
) -> list[str]:
    """Write ``prices.<fmt>`` and ``aliases.<fmt>`` into ``directory``; return the paths.

    Args:
        directory: created if missing.
        fmt: ``parquet`` (``price_usd`` is a decimal column), ``csv`` or ``jsonl`` (decimal
            strings).
        at: only the rows in force on this day.
        prices: a `Catalog` instead of the shared one.
    """
    from ..catalog import catalog

    return export(prices if prices is not None else catalog(), directory, fmt, at)

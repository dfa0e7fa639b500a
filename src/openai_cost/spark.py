"""Spark: price a DataFrame of usage rows with the columnar kernel, on the executors.

`price` applies `openai_cost.table.price` to each Arrow record batch of the DataFrame with
``mapInArrow`` (Spark 3.4+ / 4.x), so the rules and the numbers are `cost_of`'s, and returns the
DataFrame with the cost columns (``DecimalType(38, 12)``) appended. The executors need
openai-cost with pyarrow installed (``pip install "openai-cost[spark]"`` on every node, or the
wheel shipped with ``--py-files`` / ``spark.archives``); the price data travels inside the
package, and extra price files given to `price` travel with the job as text.

Needs pyspark (``pip install "openai-cost[spark]"``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any

from .catalog import Catalog, to_date

__all__ = ["price"]


def _result_schema(schema: Any) -> Any:
    from pyspark.sql.types import DateType, DecimalType, StringType, StructField, StructType

    from .table import PRICE_SCALE

    money = DecimalType(38, PRICE_SCALE)
    added = [
        StructField("cost_input_usd", money, True),
        StructField("cost_output_usd", money, True),
        StructField("cost_fees_usd", money, True),
        StructField("cost_total_usd", money, True),
        StructField("resolved_model", StringType(), True),
        StructField("price_since", DateType(), True),
        StructField("unpriced_reason", StringType(), True),
    ]
    fields = list(schema.fields)
    names = [f.name for f in fields]
    for f in added:
        if f.name in names:
            fields[names.index(f.name)] = f  # replaced in place, as the kernel does
        else:
            fields.append(f)
    return StructType(fields)


def price(
    df: Any,
    *,
    model: str = "model",
    at: str = "created_at",
    tier: str = "service_tier",
    batch: str = "batch",
    price_files: Sequence[str] = (),
    today: date | None = None,
) -> Any:
    """Price every row of a Spark DataFrame with `cost_of`'s rules, on the executors.

    Args:
        df: a ``pyspark.sql.DataFrame`` with the usage columns of `openai_cost.table.price`
            (``input_tokens``, ``cached_tokens``, ``output_tokens``, ``reasoning_tokens``...,
            integer types; missing columns are zero) and the key columns below.
        model, at, tier, batch: names of the model, time (timestamp, date, ISO string or epoch
            seconds), ``service_tier`` and Batch flag columns.
        price_files: TOML price files (read here, on the driver) to add to the bundled catalog
            on the executors: negotiated prices, custom models. The executors price with the
            bundled data and these files only (not the driver's ``OPENAI_COST_PRICES`` or
            downloaded price files), so every node uses the same prices.
        today: the day undated rows are priced at (default: today on the driver, UTC).

    Returns:
        The DataFrame with ``cost_input_usd``, ``cost_output_usd``, ``cost_fees_usd``,
        ``cost_total_usd`` (``DecimalType(38, 12)``), ``resolved_model``, ``price_since`` and
        ``unpriced_reason`` (null when priced; costs are null when it is not).
    """
    from pathlib import Path

    texts = [(str(p), Path(p).read_text(encoding="utf-8")) for p in price_files]
    if texts:
        Catalog([])._add_text(texts[0][1], texts[0][0], "custom")  # fail here, not on a node
    day = to_date(today)
    keys = {"model": model, "at": at, "tier": tier, "batch": batch}

    def run(batches: Iterator[Any]) -> Iterator[Any]:
        from .table import Kernel

        cat = Catalog.bundled()
        for origin, text in texts:
            cat._add_text(text, origin, "custom")
        kernel = Kernel(prices=cat, today=day, **keys)
        for rb in batches:
            yield kernel.price_batch(rb)

    return df.mapInArrow(run, _result_schema(df.schema))

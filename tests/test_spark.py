"""Spark local mode: the kernel on the executors gives cost_of's numbers.

Needs pyspark and a Java runtime. With CI set (``.ci/run`` installs both), a missing one is a
failure, not a skip.
"""

from __future__ import annotations

import os
import shutil
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest

IN_CI = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _need(ok: bool, what: str) -> None:
    if not ok:
        if IN_CI:
            pytest.fail(f"CI is set but {what} is missing: run .ci/run")
        pytest.skip(f"{what} is missing")


try:
    import pyspark  # noqa: F401

    HAVE_PYSPARK = True
except ModuleNotFoundError:
    HAVE_PYSPARK = False


@pytest.fixture(scope="session")
def spark():
    _need(HAVE_PYSPARK, "pyspark")
    _need(shutil.which("java") is not None or bool(os.environ.get("JAVA_HOME")), "java")
    import sys

    from pyspark.sql import SparkSession

    # the workers run this interpreter, where openai-cost is installed
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    session = (
        SparkSession.builder.master("local[2]")
        .appName("openai-cost-tests")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    yield session
    session.stop()


def test_spark_price_equals_cost_of(spark) -> None:
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    from pyspark.sql.types import (
        BooleanType,
        LongType,
        StringType,
        StructField,
        StructType,
        TimestampType,
    )

    from _table_helpers import expected, random_rows
    from openai_cost.spark import price
    from openai_cost.table import TOOL_COLUMNS
    from openai_cost.types import USAGE_COUNT_FIELDS

    rows = random_rows(3_000, seed=3)
    longs = [*USAGE_COUNT_FIELDS, "audio_seconds", *TOOL_COLUMNS]
    schema = StructType(
        [
            StructField("id", LongType()),
            StructField("model", StringType()),
            StructField("created_at", TimestampType()),
            StructField("service_tier", StringType()),
            StructField("batch", BooleanType()),
            *[StructField(f, LongType()) for f in longs],
            StructField("image_size", StringType()),
            StructField("image_quality", StringType()),
        ]
    )
    data = [
        (
            i,
            r["model"],
            r["created_at"],
            r["service_tier"],
            r["batch"],
            *[r[f] for f in longs],
            r.get("image_size"),
            r.get("image_quality"),
        )
        for i, r in enumerate(rows)
    ]
    df = spark.createDataFrame(data, schema)
    out = price(df)
    assert str(out.schema["cost_total_usd"].dataType) == "DecimalType(38,12)"
    got = {r["id"]: r for r in out.collect()}
    priced = 0
    for i, row in enumerate(rows):
        want = expected(row)
        g = got[i]
        if want[-1] is not None:
            assert g["cost_total_usd"] is None and g["unpriced_reason"] == want[-1], i
        else:
            priced += 1
            assert (g["cost_input_usd"], g["cost_output_usd"], g["cost_fees_usd"]) == want[:3], i
            assert g["cost_total_usd"] == want[3]
            assert (g["resolved_model"], g["price_since"]) == want[4:6]
    assert priced > 1000


def test_spark_price_files_and_hand_computed(spark, tmp_path: Path) -> None:
    from openai_cost.spark import price

    custom = tmp_path / "mine.toml"
    custom.write_text(
        'provider = "custom"\n[[models]]\nid = "my-model"\n[[models.prices]]\n'
        'since = "2024-01-01"\nsource = "our contract"\ninput = "1.00"\noutput = "2.00"\n'
    )
    df = spark.createDataFrame(
        [
            ("gpt-4o", datetime(2025, 1, 8, tzinfo=timezone.utc), 2006, 1920, 300),
            ("my-model", datetime(2025, 1, 8, tzinfo=timezone.utc), 1_000_000, 0, 500_000),
        ],
        "model string, created_at timestamp, input_tokens long, cached_tokens long, "
        "output_tokens long",
    )
    rows = price(df, price_files=[str(custom)]).orderBy("model").collect()
    # gpt-4o-2024-08-06 on 2025-01-08: 86 x $2.50 + 1920 x $1.25 + 300 x $10.00 per 1M
    assert rows[0]["cost_total_usd"] == Decimal("0.005615")
    assert rows[0]["price_since"] == date(2024, 8, 6)
    # the contract file: $1.00 in, $2.00 out per 1M
    assert rows[1]["cost_total_usd"] == Decimal("2")

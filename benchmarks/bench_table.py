"""The columnar kernel, the DuckDB engine and Spark, each against its limit in the same run.

Usage: python benchmarks/bench_table.py [--rows N] [--lines N] [--spark-rows N] [--quick]
                                        [--skip kernel,analyze,spark]

* Kernel: ``openai_cost.table.price`` on N usage rows (default 10,000,000; batches of 1M) with
  five models, a year of dates, cached and reasoning tokens, 10% Batch, 5% flex. Against:
  a per-row ``cost_of(Usage(...), model=, at=, tier=, batch=)`` loop (timed on the first
  200,000 rows, rate extrapolated), and the README's plain DuckDB SQL join of the exported
  table over the same Arrow table (the practical limit of a columnar engine; DuckDB on one
  thread, like the kernel, and on all threads). The kernel and the SQL join must agree on the
  total to the last digit.
* ``analyze --engine duckdb`` against the default engine on the 1,000,000-line Batch output
  file of bench_analyze.py (same generator, reused when present): wall time and peak memory of
  a fresh ``openai-cost analyze --json`` process each, alternating, best of two; the JSON
  totals must be equal.
* Spark local mode: ``openai_cost.spark.price`` on rows generated inside Spark, written to
  the ``noop`` sink, with local[1] and local[2]. Against: an identity ``mapInArrow`` (the same
  batches to a Python worker and back untouched: the limit of any Python code on Spark) and the
  README's SQL join of the exported tables in Spark SQL. Each is warmed up once on a tenth of
  the rows first.

The sides alternate and repeat (best of ``--repeat``, default 2) so a busy machine does not
favour one of them.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

MODELS = ["gpt-4o-mini", "gpt-4o", "gpt-4.1", "o3", "gpt-5-mini"]


def usage_table(rows: int, seed: int = 1) -> Any:
    import numpy as np
    import pyarrow as pa

    rng = np.random.default_rng(seed)
    inp = rng.integers(100, 8000, rows)
    cached = np.where(rng.random(rows) < 0.4, (inp // 2) // 128 * 128, 0)
    out = rng.integers(5, 2000, rows)
    reasoning = np.where(rng.random(rows) < 0.3, out // 2, 0)
    start = np.datetime64("2025-09-01T00:00:00", "s").astype("int64")
    created = start + rng.integers(0, 365 * 86400, rows)
    batch = rng.random(rows) < 0.1
    flex = (rng.random(rows) < 0.05) & ~batch
    model = pa.array(np.array(MODELS, dtype=object)[rng.integers(0, len(MODELS), rows)])
    tier = pa.array(np.where(flex, "flex", None).astype(object), pa.string())
    # flex only for models that offer it: o3 and gpt-5-mini
    flexable = pa.compute.is_in(model, pa.array(["o3", "gpt-5-mini"]))
    tier = pa.compute.if_else(flexable, tier, pa.scalar(None, pa.string()))
    return pa.table(
        {
            "model": model,
            "created_at": pa.array(created, pa.timestamp("s", tz="UTC")),
            "service_tier": tier,
            "batch": pa.array(batch),
            "input_tokens": pa.array(inp, pa.int64()),
            "cached_tokens": pa.array(cached, pa.int64()),
            "output_tokens": pa.array(out, pa.int64()),
            "reasoning_tokens": pa.array(reasoning, pa.int64()),
        }
    )


def _readme_sql() -> str:
    import re

    readme = (HERE.parent / "README.md").read_text()
    m = re.search(r"```sql\n(WITH rates AS.*?)```", readme, re.S)
    assert m is not None
    return m.group(1)


def time_kernel(t: Any) -> tuple[float, Decimal]:
    import pyarrow as pa
    import pyarrow.compute as pc

    from openai_cost import table

    batches = pa.Table.from_batches(t.to_batches(max_chunksize=1_000_000))
    start = time.perf_counter()
    out = table.price(batches)
    elapsed = time.perf_counter() - start
    return elapsed, pc.sum(out.column("cost_total_usd")).as_py()


def time_cost_of(t: Any, n: int) -> float:
    from openai_cost import Usage, cost_of

    rows = t.slice(0, n).to_pylist()
    start = time.perf_counter()
    for r in rows:
        cost_of(
            Usage(
                input_tokens=r["input_tokens"],
                cached_tokens=r["cached_tokens"],
                output_tokens=r["output_tokens"],
                reasoning_tokens=r["reasoning_tokens"],
            ),
            model=r["model"],
            at=r["created_at"],
            tier=r["service_tier"],
            batch=r["batch"],
        )
    return (time.perf_counter() - start) / n


def time_sql(t: Any, prices_dir: str, threads: int) -> tuple[float, Decimal]:
    import duckdb

    con = duckdb.connect()
    con.execute(f"SET threads = {threads}")
    con.execute(f"CREATE TABLE prices AS SELECT * FROM '{prices_dir}/prices.parquet'")
    con.execute(f"CREATE TABLE aliases AS SELECT * FROM '{prices_dir}/aliases.parquet'")
    con.register("usage", t)
    sql = _readme_sql()
    start = time.perf_counter()
    out = con.sql(sql).to_arrow_table()  # per-row results, materialised like the kernel's
    elapsed = time.perf_counter() - start
    import pyarrow.compute as pc

    total = pc.sum(out.column("cost_usd")).as_py()
    return elapsed, total


def bench_kernel(rows: int, repeat: int) -> None:
    import tempfile

    from openai_cost.table import export_catalog

    t0 = time.perf_counter()
    t = usage_table(rows)
    print(f"kernel: {rows:,} usage rows generated in {time.perf_counter() - t0:.1f} s")
    prices_dir = tempfile.mkdtemp()
    export_catalog(prices_dir)
    cost_of_n = min(rows, 200_000)
    per_row = time_cost_of(t, cost_of_n)
    best: dict[str, float] = {}
    totals: dict[str, Decimal] = {}
    for _ in range(repeat):
        for name, fn in (
            ("kernel", lambda: time_kernel(t)),
            ("sql1", lambda: time_sql(t, prices_dir, 1)),
            ("sqlN", lambda: time_sql(t, prices_dir, os.cpu_count() or 1)),
        ):
            s, total = fn()
            best[name] = min(best.get(name, s), s)
            totals[name] = total
    per_row = min(per_row, time_cost_of(t, cost_of_n))
    loop = per_row * rows
    k = best["kernel"]
    print(f"  kernel table.price              {k:8.2f} s  {rows / k / 1e6:6.2f} M rows/s")
    print(
        f"  per-row cost_of loop            {loop:8.2f} s  {1 / per_row / 1e6:6.2f} M rows/s"
        f"  ({per_row * 1e6:.2f} us/row on {cost_of_n:,} rows, extrapolated): kernel "
        f"{loop / k:.0f}x faster"
    )
    for name, label in (("sql1", "1 thread"), ("sqlN", f"{os.cpu_count()} threads")):
        s = best[name]
        print(
            f"  DuckDB SQL join ({label:9})     {s:8.2f} s  {rows / s / 1e6:6.2f} M rows/s"
            f"  kernel takes {k / s:.2f}x its time"
        )
    same = totals["kernel"] == totals["sql1"] == totals["sqlN"]
    print(
        f"  totals: kernel {totals['kernel']} / SQL {totals['sql1']}: {'equal' if same else 'DIFFER'}"
    )


_PEAK = """
import json, resource, subprocess, sys, time
t = time.perf_counter()
out = subprocess.run(sys.argv[1:], check=True, capture_output=True, text=True).stdout
wall = time.perf_counter() - t
kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"wall": wall, "peak_kb": kb, "total": json.loads(out)["total"]}))
"""


def _analyze(path: Path, engine: str) -> dict[str, Any]:
    exe = Path(sys.executable).parent / "openai-cost"
    cmd = [str(exe), "analyze", str(path), "--json", "--engine", engine]
    out = subprocess.run(
        [sys.executable, "-c", _PEAK, *cmd], check=True, capture_output=True, text=True
    ).stdout
    result: dict[str, Any] = json.loads(out)
    return result


def bench_analyze(lines: int, repeat: int) -> None:
    from bench_analyze import dataset

    path = dataset(lines)
    size = path.stat().st_size
    print(f"analyze: {path.name}: {lines:,} lines, {size / 1e6:,.0f} MB")
    runs: dict[str, list[dict[str, Any]]] = {"default": [], "duckdb": []}
    for _ in range(repeat):
        for engine in ("default", "duckdb"):
            runs[engine].append(_analyze(path, engine))
    best = {e: min(r, key=lambda x: x["wall"]) for e, r in runs.items()}
    for e in ("default", "duckdb"):
        b = best[e]
        print(
            f"  --engine {e:8} {b['wall']:8.2f} s  {b['wall'] / lines * 1e6:5.2f} us/line"
            f"  peak {b['peak_kb'] / 1024:6.0f} MB  total ${b['total']['total_usd']}"
        )
    same = best["default"]["total"] == best["duckdb"]["total"]
    print(
        f"  duckdb is {best['default']['wall'] / best['duckdb']['wall']:.2f}x the default "
        f"engine; totals {'equal to the last digit' if same else 'DIFFER'}"
    )


_SPARK = """
import os, sys, time
os.environ["PYSPARK_PYTHON"] = sys.executable
import json
from pyspark.sql import SparkSession, functions as F
from openai_cost.spark import price
rows, cores, MODELS = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3].split(",")
spark = (SparkSession.builder.master(f"local[{cores}]").config("spark.ui.enabled", "false")
         .config("spark.driver.bindAddress", "127.0.0.1").config("spark.driver.host", "127.0.0.1")
         .config("spark.sql.session.timeZone", "UTC").config("spark.driver.memory", "2g")
         .getOrCreate())
spark.sparkContext.setLogLevel("ERROR")
models = F.array(*[F.lit(m) for m in MODELS])
df = (spark.range(rows, numPartitions=8)
      .withColumn("model", F.element_at(models, (F.col("id") % 5 + 1).cast("int")))
      .withColumn("created_at", F.timestamp_seconds(F.lit(1756684800) + F.col("id") % 31536000))
      .withColumn("input_tokens", 100 + F.col("id") * 7919 % 8000)
      .withColumn("cached_tokens", F.when(F.col("id") % 3 == 0, 0).otherwise(64))
      .withColumn("output_tokens", 5 + F.col("id") * 104729 % 2000)
      .withColumn("reasoning_tokens", F.lit(0).cast("long"))
      .withColumn("batch", F.col("id") % 10 == 0))
df.write.format("noop").mode("overwrite").save()  # warm-up: JVM, workers, generator
# each side is warmed up once on a tenth of the rows (Python workers start and import, the
# JVM compiles), then timed on all of them
small = df.where(F.col("id") < rows // 10)
price(small).write.format("noop").mode("overwrite").save()
small.mapInArrow(lambda batches: batches, df.schema).write.format("noop").mode("overwrite").save()
res = {}
t = time.perf_counter()
df.write.format("noop").mode("overwrite").save()
res["gen"] = time.perf_counter() - t
t = time.perf_counter()
price(df).write.format("noop").mode("overwrite").save()
res["price"] = time.perf_counter() - t
# the limit of Python on Spark: the same batches to a Python worker and back, untouched
t = time.perf_counter()
df.mapInArrow(lambda batches: batches, df.schema).write.format("noop").mode("overwrite").save()
res["identity"] = time.perf_counter() - t
# the README's SQL join of the exported tables, in Spark SQL (text tokens only)
spark.read.parquet(sys.argv[4] + "/prices.parquet").createOrReplaceTempView("prices")
spark.read.parquet(sys.argv[4] + "/aliases.parquet").createOrReplaceTempView("aliases")
df.withColumn("service_tier", F.lit(None).cast("string")).createOrReplaceTempView("usage")
spark.sql(sys.argv[5].replace("FROM usage", "FROM usage WHERE id < %d" % (rows // 10))).write.format("noop").mode("overwrite").save()
t = time.perf_counter()
spark.sql(sys.argv[5]).write.format("noop").mode("overwrite").save()
res["sql"] = time.perf_counter() - t
print(json.dumps(res))
spark.stop()
"""


def bench_spark(rows: int, repeat: int) -> None:
    import tempfile

    from openai_cost.table import export_catalog

    print(f"spark: local mode, {rows:,} rows generated in Spark, written to the noop sink")
    prices_dir = tempfile.mkdtemp()
    export_catalog(prices_dir)
    best: dict[int, dict[str, float]] = {}
    for _ in range(repeat):
        for cores in (1, 2):
            out = subprocess.run(
                [sys.executable, "-c", _SPARK, str(rows), str(cores), ",".join(MODELS),
                 prices_dir, _readme_sql()],
                check=True,
                capture_output=True,
                text=True,
            ).stdout.splitlines()  # fmt: skip
            res = json.loads(out[-1])
            prev = best.setdefault(cores, res)
            for k, v in res.items():
                prev[k] = min(prev[k], v)
    for cores, r in sorted(best.items()):
        print(
            f"  local[{cores}]  spark.price {r['price']:7.2f} s  {rows / r['price'] / 1e6:5.2f} M rows/s"
            f"  | identity mapInArrow {r['identity']:6.2f} s | README SQL join {r['sql']:6.2f} s"
            f" | generating alone {r['gen']:.2f} s"
        )
        print(
            f"            price takes {r['price'] / r['identity']:.2f}x the identity mapInArrow, "
            f"{r['price'] / r['sql']:.2f}x the SQL join"
        )
    print(f"  1 -> 2 cores: spark.price {best[1]['price'] / best[2]['price']:.2f}x, identity "
          f"{best[1]['identity'] / best[2]['identity']:.2f}x, SQL {best[1]['sql'] / best[2]['sql']:.2f}x")  # fmt: skip


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--spark-rows", type=int, default=10_000_000)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--quick", action="store_true", help="1M rows, 100k lines, 1M Spark rows")
    ap.add_argument("--skip", default="", help="comma-separated: kernel, analyze, spark")
    args = ap.parse_args()
    if args.quick:
        args.rows, args.lines, args.spark_rows = 1_000_000, 100_000, 1_000_000
    skip = set(filter(None, args.skip.split(",")))
    try:
        import duckdb  # noqa: F401
        import pyarrow  # noqa: F401
    except ModuleNotFoundError:
        print('needs pyarrow and duckdb: pip install "openai-cost[duckdb]"')
        return 0
    if "kernel" not in skip:
        bench_kernel(args.rows, args.repeat)
    if "analyze" not in skip:
        bench_analyze(args.lines, args.repeat)
    if "spark" not in skip:
        try:
            import pyspark  # noqa: F401
        except ModuleNotFoundError:
            print('spark: skipped, pyspark is not installed (pip install "openai-cost[spark]")')
        else:
            bench_spark(args.spark_rows, args.repeat)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Ledger rows per second on SQLite and PostgreSQL, against raw SQLAlchemy inserts.

Usage: python benchmarks/bench_ledger.py [--quick] [--rows N]

For each backend (a SQLite file in a temporary directory; PostgreSQL in a temporary database
on the server named by ``OPENAI_COST_TEST_POSTGRES_URL``, skipped with a message when unset):

* ``Ledger.record``: one synchronous insert (one transaction) per call;
* ``Ledger.submit`` + ``flush``: the background writer, end to end (journal, queue, batched
  inserts); also the time a ``submit`` call takes on the caller's thread (median);
* peer: raw SQLAlchemy Core inserts of the same rows into the same ``calls`` table (SQLite with
  the ledger's WAL and synchronous=FULL settings), one transaction per row, and ``executemany`` in batches of 500, with the rows already built.

The ratios say what the ledger costs over the bare insert (row building, JSON for usage and cost
lines, the tags table, duplicate-safe inserts, the journal). Needs no peer package.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import MappingProxyType
from typing import Any

import sqlalchemy as sa

from openai_cost import Ledger, cost_of
from openai_cost.ledger.migrations import migrate
from openai_cost.ledger.queries import _row_values
from openai_cost.ledger.schema import calls
from openai_cost.types import CallRecord, Usage

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)


def make_records(n: int, tag: str) -> list[CallRecord]:
    """Realistic priced chat calls (gpt-4o with cached input), all distinct."""
    usage = Usage(input_tokens=2006, output_tokens=300, cached_tokens=1920)
    cost = cost_of(usage, model="gpt-4o", at=T0)
    tags = MappingProxyType({"project": "search", "user": "u-42"})
    return [
        CallRecord(
            request_id=f"chatcmpl-{tag}-{i}-{uuid.uuid4().hex[:8]}",
            created_at=T0 + timedelta(milliseconds=i),
            status="ok",
            model_requested="gpt-4o",
            model="gpt-4o-2024-08-06",
            model_resolved=cost.model,
            endpoint="chat.completions",
            tier="default",
            usage=usage,
            cost=cost,
            http_status=200,
            latency_ms=812.5,
            tags=tags,
        )
        for i in range(n)
    ]


def rate(n: int, seconds: float) -> str:
    return f"{n / seconds:>10,.0f} rows/s"


@contextmanager
def sqlite_db(tmp: Path) -> Iterator[Callable[[str], str]]:
    yield lambda name: f"sqlite:///{tmp / (name + '.db')}"


@contextmanager
def postgres_db(admin_url: str) -> Iterator[Callable[[str], str]]:
    import psycopg

    made: list[str] = []
    base = admin_url.rsplit("/", 1)[0]

    def new(name: str) -> str:
        db = f"oc_bench_{name}_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(admin_url, autocommit=True) as c:
            c.execute(f'CREATE DATABASE "{db}"')
        made.append(db)
        return f"{base}/{db}"

    try:
        yield new
    finally:
        with psycopg.connect(admin_url, autocommit=True) as c:
            for db in made:
                c.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')


def bench_backend(name: str, new_db: Callable[[str], str], n_sync: int, n_async: int) -> None:
    print(f"\n{name}: {n_sync:,} rows via record, {n_async:,} via submit+flush")

    # Ledger.record: one transaction per row
    recs = make_records(n_sync, "sync")
    with Ledger(new_db("record")) as led:
        led.migrations()
        t = time.perf_counter()
        for r in recs:
            led.record(r)
        t_record = time.perf_counter() - t

    # Ledger.submit + flush
    recs = make_records(n_async, "async")
    with Ledger(new_db("submit")) as led:
        led.migrations()
        per_call: list[float] = []
        t = time.perf_counter()
        for r in recs:
            t1 = time.perf_counter_ns()
            led.submit(r)
            per_call.append(time.perf_counter_ns() - t1)
        t_submitted = time.perf_counter() - t
        assert led.flush(600)
        t_submit = time.perf_counter() - t
        stored = len(led.records())
        assert stored == n_async, f"{stored} rows stored, expected {n_async}"

    # peer: raw SQLAlchemy Core, rows already built
    url = new_db("raw").replace("postgresql://", "postgresql+psycopg://", 1)
    engine = sa.create_engine(url)
    if url.startswith("sqlite"):

        @sa.event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _rec: Any) -> None:  # the ledger's own settings
            dbapi_conn.execute("PRAGMA journal_mode=WAL")
            dbapi_conn.execute("PRAGMA synchronous=FULL")

    migrate(engine)
    now = datetime.now(timezone.utc)
    rows = [_row_values(r, now) for r in make_records(n_sync, "raw1")]
    t = time.perf_counter()
    for row in rows:
        with engine.begin() as conn:
            conn.execute(calls.insert(), row)
    t_raw_one = time.perf_counter() - t
    rows = [_row_values(r, now) for r in make_records(n_async, "raw2")]
    t = time.perf_counter()
    for i in range(0, len(rows), 500):
        with engine.begin() as conn:
            conn.execute(calls.insert(), rows[i : i + 500])
    t_raw_many = time.perf_counter() - t
    engine.dispose()

    med = statistics.median(per_call) / 1000
    p99 = sorted(per_call)[int(len(per_call) * 0.99)] / 1000
    print(f"  Ledger.record            {rate(n_sync, t_record)}")
    print(f"  raw insert, 1 row/txn    {rate(n_sync, t_raw_one)}")
    print(f"    ratio                  {t_record / t_raw_one:>10.2f}x the raw insert time")
    print(f"  Ledger.submit + flush    {rate(n_async, t_submit)}")
    print(f"  raw executemany (500)    {rate(n_async, t_raw_many)}")
    print(f"    ratio                  {t_submit / t_raw_many:>10.2f}x the raw insert time")
    print(
        f"  submit() on the caller's thread: median {med:.1f} us, p99 {p99:.1f} us "
        f"({n_async / t_submitted:,.0f} calls/s)"
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer rows")
    ap.add_argument("--rows", type=int, default=None, help="rows for submit+flush")
    args = ap.parse_args()
    n_async = args.rows or (5_000 if args.quick else 20_000)
    n_sync = max(200, n_async // 10)

    with tempfile.TemporaryDirectory(prefix="oc-bench-ledger-") as d:
        tmp = Path(d)
        os.environ["OPENAI_COST_HOME"] = str(tmp / "home")
        print(f"python {sys.version.split()[0]}, sqlalchemy {sa.__version__}")
        with sqlite_db(tmp) as new:
            bench_backend("SQLite (WAL, synchronous=FULL)", new, n_sync, n_async)
        pg = os.environ.get("OPENAI_COST_TEST_POSTGRES_URL")
        if not pg:
            print(
                "\nPostgreSQL: skipped (set OPENAI_COST_TEST_POSTGRES_URL, e.g. via "
                '`eval "$(.ci/run --postgres-only)"`)'
            )
            return 0
        try:
            import psycopg  # noqa: F401
        except ImportError:
            print('\nPostgreSQL: skipped (install "openai-cost[postgres]" for psycopg)')
            return 0
        with postgres_db(pg) as new:
            bench_backend("PostgreSQL", new, n_sync, n_async)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

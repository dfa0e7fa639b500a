"""What one budget check (`Budget.reserve` + release) costs as the ledger grows, on SQLite and
PostgreSQL, against the check it replaced (a sum over the whole period).

Usage: python benchmarks/bench_budget.py [--quick] [--rows N] [--repeat R]

For each backend (a SQLite file in a temporary directory; PostgreSQL in a temporary database on
the server named by ``OPENAI_COST_TEST_POSTGRES_URL``, skipped with a message when unset) the
``calls`` table is filled to 10, 100,000 and N rows (default 1,000,000; ``--quick``: 100,000),
every row a priced call of the current day tagged ``project=search``, and at each size:

* **running total** (this version): ``Budget("1000", period="day", tags={"project":
  "search"}).reserve(ledger, $0.01)`` then ``release()``: one locked transaction reading the
  period's running total and the reservations in flight, inserting and then deleting the
  reservation;
* **full sum** (the previous version, rebuilt here from the same queries): the same locked
  transaction, but summing ``cost_usd`` over every call of the period carrying the tags.

After two untimed checks of each (warm-up), the two are interleaved, R times each (default 7;
the full sum is capped at 3 repetitions per size, since it is the slow one), and the median
per check is reported; ratio = full sum / running total. The first use of a
budget with a ledger sums its current period once (that one-off cost is printed too). Filler
rows carry no usage or cost JSON (only what the sum reads), which flatters the full sum.
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
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from openai_cost import Budget, Ledger
from openai_cost.ledger import PG_LOCK_BUDGET, queries
from openai_cost.ledger.schema import call_tags, calls

TAGS = {"project": "search"}
COST = Decimal("0.0058605")  # gpt-4o, 2006 input (1920 cached), 300 output: any fixed amount


def _filler(start: int, n: int, day: datetime) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    now = datetime.now(timezone.utc)
    rows, tags = [], []
    for i in range(start, start + n):
        rid = f"fill-{i}"
        rows.append(
            {
                "request_id": rid,
                "created_at": day + timedelta(microseconds=i),
                "status": "ok",
                "model": "gpt-4o",
                "model_resolved": "gpt-4o",
                "endpoint": "chat.completions",
                "input_tokens": 2006,
                "output_tokens": 300,
                "cost_usd": COST,
                "tags_json": '{"project":"search"}',
                "recorded_at": now,
            }
        )
        tags.append({"request_id": rid, "name": "project", "value": "search"})
    return rows, tags


def fill(url: str, have: int, want: int, day: datetime) -> None:
    """Insert rows `have`..`want` straight into the tables (bypassing the ledger)."""
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    step = 20_000
    try:
        for start in range(have, want, step):
            rows, tags = _filler(start, min(step, want - start), day)
            with engine.begin() as conn:
                conn.execute(calls.insert(), rows)
                conn.execute(call_tags.insert(), tags)
    finally:
        engine.dispose()


def old_check(ledger: Ledger, budget: Budget) -> None:
    """The previous `reserve`: the whole period summed inside the locked transaction."""
    now = datetime.now(timezone.utc)
    since, until = budget.window(now)
    rid = str(uuid.uuid4())
    with ledger.transaction(write=True, lock=PG_LOCK_BUDGET) as conn:
        queries.purge_expired_reservations(conn, now)
        spent = queries.spent_usd(conn, since=since, until=until, tags=budget.tags)
        pending = queries.pending_reservations(conn, now, budget.tags)
        assert spent + pending + Decimal("0.01") <= budget.limit_usd
        queries.add_reservation(
            conn,
            rid=rid,
            amount=Decimal("0.01"),
            tags=budget.tags,
            now=now,
            expires_at=now + timedelta(seconds=600),
        )
    with ledger.transaction(write=True, lock=PG_LOCK_BUDGET) as conn:
        queries.delete_reservation(conn, rid)


def new_check(ledger: Ledger, budget: Budget) -> None:
    """This version: `reserve` + `release`."""
    budget.reserve(ledger, Decimal("0.01")).release()


def timed(fn: Callable[[], None]) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def ms(seconds: float) -> str:
    return f"{seconds * 1000:>10.2f} ms"


def bench_backend(name: str, url: str, sizes: list[int], repeat: int) -> None:
    print(f"\n{name}")
    print(f"  {'rows':>10}  {'running total':>13}  {'full sum':>13}  {'ratio':>8}")
    day = datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    have = 0
    with Ledger(url) as ledger:
        ledger.migrations()
        for n in sizes:
            fill(url, have, n, day)
            have = n
            # forget the budget, so that its first use sums the rows filled behind its back
            with ledger.transaction(write=True) as conn:
                conn.execute(sa.text("DELETE FROM budgets"))
                conn.execute(sa.text("DELETE FROM budget_totals"))
            ledger._budgets.clear()
            budget = Budget("1000000", period="day", tags=TAGS, name="bench")
            first = timed(lambda b=budget: b.check(ledger, Decimal(0)))  # type: ignore[misc]
            assert budget.spent(ledger) == n * COST, "the running total is off"
            for _ in range(2):  # warm up both paths (helper thread, pooled connections)
                new_check(ledger, budget)
                if n <= 100_000:
                    old_check(ledger, budget)
            new: list[float] = []
            old: list[float] = []
            for i in range(repeat):  # interleaved
                new.append(timed(lambda b=budget: new_check(ledger, b)))  # type: ignore[misc]
                if i < 3:
                    old.append(timed(lambda b=budget: old_check(ledger, b)))  # type: ignore[misc]
            m_new, m_old = statistics.median(new), statistics.median(old)
            print(
                f"  {n:>10,}  {ms(m_new):>13}  {ms(m_old):>13}  {m_old / m_new:>7.1f}x"
                f"   (first use: {first * 1000:.0f} ms, once)"
            )


@contextmanager
def postgres_db(admin_url: str) -> Iterator[str]:
    import psycopg

    db = f"oc_bench_budget_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin_url, autocommit=True) as c:
        c.execute(f'CREATE DATABASE "{db}"')
    try:
        yield f"{admin_url.rsplit('/', 1)[0]}/{db}"
    finally:
        with psycopg.connect(admin_url, autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="stop at 100,000 rows")
    ap.add_argument("--rows", type=int, default=None, help="largest size (default 1,000,000)")
    ap.add_argument("--repeat", type=int, default=7, help="checks per size (median)")
    args = ap.parse_args()
    top = args.rows or (100_000 if args.quick else 1_000_000)
    sizes = sorted({10, min(100_000, top), top})
    print(f"python {sys.version.split()[0]}, sqlalchemy {sa.__version__}; median of")
    print(f"{args.repeat} checks (full sum: 3), interleaved; per check = reserve + release")
    with tempfile.TemporaryDirectory(prefix="oc-bench-budget-") as d:
        os.environ["OPENAI_COST_HOME"] = str(Path(d) / "home")
        bench_backend("SQLite (WAL, synchronous=FULL)", f"sqlite:///{d}/b.db", sizes, args.repeat)
        pg = os.environ.get("OPENAI_COST_TEST_POSTGRES_URL")
        if not pg:
            print("\nPostgreSQL: skipped (set OPENAI_COST_TEST_POSTGRES_URL)")
            return 0
        with postgres_db(pg) as url:
            bench_backend("PostgreSQL", url, sizes, args.repeat)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

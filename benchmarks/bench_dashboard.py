"""Dashboard pages on a big ledger (default 1,000,000 calls), SQLite and PostgreSQL.

Usage: python benchmarks/bench_dashboard.py [--rows N] [--rounds R] [--dir DIR] [--backend B]

Builds a ledger of N calls spread over the 365 days before "now" (2026-11-20 12:00 UTC): 8
models, 3 endpoints, 2 tiers, tags ``project`` (6 values) and ``user`` (200 values), 3% failed
and 1% unpriced calls. The SQLite file is kept in ``--dir`` (default: a temporary directory) and
reused by later runs with the same N; PostgreSQL uses a database ``oc_bench_dash_N`` on the
server named by ``OPENAI_COST_TEST_POSTGRES_URL`` (skipped with a message when unset), also
reused.

Each page is requested through the dashboard's ASGI app in-process (Starlette's test client:
routing, the ledger queries, Jinja2 rendering and the response; no socket), once to warm up and
then ``--rounds`` times, the pages interleaved round by round; the median is reported. Pages
are read live (``cache_seconds=0``) unless marked "cached days": the server's default, where
totals over days that have ended are reused for five minutes and only today is read. The
reference ("bare SQL") is the least an exact dashboard must do for the same window: one
``SELECT`` of the exact sum of ``cost_usd`` over the month to date (on SQLite the integer sums of
``cost_pico`` with the decimal aggregate for the rest, PostgreSQL's NUMERIC ``sum``) on the same
connection settings. On SQLite two more references read the same rows: the decimal aggregate on
every row (how SQLite summed money before ``m007``) and an inexact float ``SUM``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import MappingProxyType

import sqlalchemy as sa

from openai_cost import Ledger, cost_of
from openai_cost.catalog import catalog
from openai_cost.types import CallRecord, Usage

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)
MODELS = [
    ("gpt-4o", 30),
    ("gpt-4o-mini", 30),
    ("gpt-4.1", 10),
    ("gpt-4.1-mini", 10),
    ("o3-mini", 8),
    ("gpt-4.1-nano", 6),
    ("text-embedding-3-small", 5),
    ("o4-mini", 1),
]
ENDPOINTS = ["chat.completions", "responses", "embeddings"]
TIERS = ["default", "default", "default", "batch"]
PROJECTS = ["search", "chat", "support", "ingest", "evals", "summaries"]


def _pool() -> list[tuple[str, str, str, Usage, object]]:
    """(model, endpoint, tier, usage, cost) combinations to draw calls from."""
    out = []
    sizes = [(800, 0, 120), (2400, 1536, 300), (12000, 8192, 900), (300, 0, 40)]
    for model, weight in MODELS:
        emb = model.startswith("text-embedding")
        for tier in TIERS:
            for inp, cached, outp in sizes:
                u = (
                    Usage(input_tokens=inp)
                    if emb
                    else Usage(input_tokens=inp, cached_tokens=cached, output_tokens=outp)
                )
                t = "default" if emb else tier
                c = cost_of(
                    u,
                    model=model,
                    at=NOW,
                    batch=t == "batch" or None,
                    tier=t if t not in ("default", "batch") else None,
                )
                ep = "embeddings" if emb else ENDPOINTS[len(out) % 2]
                out.extend([(model, ep, t, u, c)] * weight)
    return out


def records(n: int) -> Iterator[CallRecord]:
    """N reproducible calls, oldest first."""
    import random

    rnd = random.Random(42)
    pool = _pool()
    span = timedelta(days=365).total_seconds()
    start = NOW - timedelta(days=365)
    for i in range(n):
        model, ep, tier, usage, cost = pool[rnd.randrange(len(pool))]
        at = start + timedelta(seconds=span * i / n)
        tags = MappingProxyType(
            {"project": PROJECTS[rnd.randrange(6)], "user": f"user-{rnd.randrange(200):03d}"}
        )
        r = rnd.random()
        if r < 0.03:
            yield CallRecord(
                request_id=f"req-{i}",
                created_at=at,
                status="error",
                model_requested=model,
                endpoint=ep,
                http_status=429,
                tags=tags,
            )
        elif r < 0.04:
            yield CallRecord(
                request_id=f"req-{i}",
                created_at=at,
                status="ok",
                model_requested="my-finetune-x",
                model="my-finetune-x",
                endpoint=ep,
                usage=usage,
                unpriced_reason="unknown model 'my-finetune-x'",
                http_status=200,
                tags=tags,
            )
        else:
            yield CallRecord(
                request_id=f"req-{i}",
                created_at=at,
                status="ok",
                model_requested=model,
                model=model,
                model_resolved=cost.model,  # type: ignore[attr-defined]
                endpoint=ep,
                tier=tier,
                usage=usage,
                cost=cost,  # type: ignore[arg-type]
                http_status=200,
                latency_ms=420.0,
                tags=tags,
            )


def build(url: str, n: int) -> None:
    """Fill the ledger at `url` with `n` calls unless it holds them already."""
    from openai_cost.ledger.queries import insert_records

    with Ledger(url) as ledger:
        have = ledger.count()
        if have == n:
            _analyze(ledger)
            return
        if have:
            raise SystemExit(f"{url} holds {have} calls, not {n}: remove it first")
        engine = ledger._ready()
        t0 = time.perf_counter()
        batch: list[CallRecord] = []
        for rec in records(n):
            batch.append(rec)
            if len(batch) == 20_000:
                with engine.begin() as conn:
                    insert_records(conn, batch)
                batch = []
        if batch:
            with engine.begin() as conn:
                insert_records(conn, batch)
        _analyze(ledger)
        print(f"  built {n:,} calls in {time.perf_counter() - t0:.0f} s")


def _analyze(ledger: Ledger) -> None:
    """Planner statistics (and, on PostgreSQL, the visibility map index-only scans need)."""
    engine = ledger._ready()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql(
            "VACUUM ANALYZE calls" if ledger.dialect == "postgresql" else "ANALYZE"
        )


def bench(url: str, rounds: int) -> None:
    from starlette.testclient import TestClient

    from openai_cost.dashboard.app import create_app

    ledger = Ledger(url, read_only=True)
    live = TestClient(create_app(ledger, clock=lambda: NOW, prices=catalog(), cache_seconds=0))
    cached = TestClient(create_app(ledger, clock=lambda: NOW, prices=catalog()))
    engine = ledger._ready()
    month = datetime(2026, 11, 1, tzinfo=timezone.utc)

    def bare() -> None:
        from openai_cost.ledger.queries import money_sum
        from openai_cost.ledger.schema import calls

        with engine.connect() as conn:
            q = sa.select(money_sum(conn, calls.c.cost_usd)).where(calls.c.created_at >= month)
            conn.execute(q).scalar()

    def page(client: TestClient, path: str) -> Callable[[], None]:
        def get() -> None:
            r = client.get(path)
            assert r.status_code == 200, (path, r.status_code, r.text[:300])

        return get

    def per_row(exact: bool) -> Callable[[], None]:
        from openai_cost.ledger.schema import calls

        def run() -> None:
            col = sa.type_coerce(calls.c.cost_usd, sa.String())
            with engine.connect() as conn:
                agg = sa.func.oc_decimal_sum(col) if exact else sa.func.sum(col)
                conn.execute(sa.select(agg).where(calls.c.created_at >= month)).scalar()

        return run

    year = "/?since=2025-11-20"
    cases: list[tuple[str, Callable[[], None]]] = [
        ("bare SQL: exact sum, month to date", bare),
        ("overview, month to date (default)", page(live, "/")),
        (
            "overview, 30 days, project=search",
            page(live, "/?since=2026-10-22&until=2026-11-20&tag=project%3Dsearch"),
        ),
        ("api/overview, month to date", page(live, "/api/overview")),
        ("calls, page 1 (newest 50 of all)", page(live, "/calls")),
        ("calls, page 1, model=o4-mini (1%)", page(live, "/calls?model=o4-mini")),
        ("calls, page 1, status=error, Nov", page(live, "/calls?status=error&since=2026-11-01")),
        ("calls, page 200 (offset 9,950)", page(live, "/calls?page=200")),
        ("overview, month to date, cached days", page(cached, "/")),
        ("overview, whole year, cached days", page(cached, year)),
    ]
    if ledger.dialect == "sqlite":
        cases[1:1] = [
            ("SQLite: decimal aggregate on every row", per_row(True)),
            ("SQLite: float sum (inexact), same rows", per_row(False)),
        ]
    t0 = time.perf_counter()
    page(live, year)()
    cold_year = time.perf_counter() - t0
    times: dict[str, list[float]] = {name: [] for name, _ in cases}
    for _name, fn in cases:  # warm-up (and fills the cache of `cached`)
        fn()
    for _ in range(rounds):
        for name, fn in cases:
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    base = statistics.median(times[cases[0][0]])
    print(f"  {'page':<40} {'median':>9} {'min':>9}  vs bare SQL")
    for name, _ in cases:
        med = statistics.median(times[name])
        print(
            f"  {name:<40} {med * 1000:7.0f} ms {min(times[name]) * 1000:6.0f} ms"
            f"  {med / base:6.1f}x"
        )
    print(f"  {'overview, whole year, nothing cached':<40} {cold_year * 1000:7.0f} ms (once)")
    ledger.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--dir", type=Path, default=None)
    ap.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    args = ap.parse_args()
    os.environ.setdefault("OPENAI_COST_HOME", tempfile.mkdtemp(prefix="oc-bench-home-"))
    folder = args.dir or Path(tempfile.mkdtemp(prefix="oc-bench-dash-"))
    folder.mkdir(parents=True, exist_ok=True)
    print(f"dashboard pages on a {args.rows:,}-call ledger; median of {args.rounds} rounds")
    if args.backend in ("sqlite", "both"):
        url = f"sqlite:///{folder / f'dash-{args.rows}.db'}"
        print(f"SQLite ({url})")
        build(url, args.rows)
        bench(url, args.rounds)
    if args.backend in ("postgres", "both"):
        pg = os.environ.get("OPENAI_COST_TEST_POSTGRES_URL")
        if not pg:
            print("PostgreSQL: skipped (OPENAI_COST_TEST_POSTGRES_URL is not set)")
            return
        import psycopg

        name = f"oc_bench_dash_{args.rows}"
        with psycopg.connect(pg, autocommit=True) as admin:
            exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            if exists.fetchone() is None:
                admin.execute(f'CREATE DATABASE "{name}"')
        url = pg.rsplit("/", 1)[0] + f"/{name}"
        print(f"PostgreSQL ({url.split('@')[-1]})")
        build(url, args.rows)
        bench(url, args.rounds)


if __name__ == "__main__":
    main()

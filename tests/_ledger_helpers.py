"""Fixtures and helpers shared by the ledger, budget and report tests.

Every test gets its own database: a fresh SQLite file under ``tmp_path``, or a fresh PostgreSQL
database created on the server named by ``OPENAI_COST_TEST_POSTGRES_URL`` and dropped after the
test. Outside CI the PostgreSQL half is skipped when that variable is unset; in CI (``CI`` set)
it must run, and `test_postgres_suite_runs_in_ci` fails otherwise.

Prices used here come from the reference price list (openai-billing.md 3.1):
gpt-4o input $2.50 / cached $1.25 / output $10.00 per 1M tokens; gpt-4o-mini $0.15 / $0.075 /
$0.60 per 1M tokens.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType

import pytest

from openai_cost import cost_of
from openai_cost.catalog import Catalog
from openai_cost.types import CallRecord, Usage

PG_URL = os.environ.get("OPENAI_COST_TEST_POSTGRES_URL", "")
IN_CI = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")

PRICES_TOML = """
provider = "openai"

[[models]]
id = "gpt-4o"
[[models.prices]]
since = "2024-08-06"
source = "openai-billing.md 3.1"
input = "2.50"
cached_input = "1.25"
output = "10.00"

[[models]]
id = "gpt-4o-mini"
[[models.prices]]
since = "2024-07-18"
source = "openai-billing.md 3.1"
input = "0.15"
cached_input = "0.075"
output = "0.60"
"""

_CATALOG: Catalog | None = None


def prices() -> Catalog:
    """A catalog holding only gpt-4o and gpt-4o-mini at the reference prices."""
    global _CATALOG
    if _CATALOG is None:
        path = Path(os.environ.get("TMPDIR", "/tmp")) / f"oc-ledger-prices-{os.getpid()}.toml"
        path.write_text(PRICES_TOML)
        _CATALOG = Catalog([path])
        path.unlink()
    return _CATALOG


T0 = datetime(2026, 11, 2, 9, 30, tzinfo=timezone.utc)


def rec(
    request_id: str | None = None,
    *,
    model: str = "gpt-4o",
    input_tokens: int = 1000,
    cached: int = 0,
    output_tokens: int = 100,
    at: datetime = T0,
    tags: Mapping[str, str] | None = None,
    status: str = "ok",
    endpoint: str = "chat.completions",
    priced: bool = True,
) -> CallRecord:
    """A priced (or unpriced) call record as tracking would write it."""
    rid = request_id or f"req-{uuid.uuid4().hex}"
    usage = Usage(input_tokens=input_tokens, output_tokens=output_tokens, cached_tokens=cached)
    if status == "error":
        return CallRecord(
            request_id=rid,
            created_at=at,
            status="error",
            model_requested=model,
            endpoint=endpoint,
            http_status=429,
            latency_ms=12.5,
            tags=MappingProxyType(dict(tags or {})),
        )
    cost = cost_of(usage, model=model, at=at, prices=prices()) if priced else None
    return CallRecord(
        request_id=rid,
        created_at=at,
        status=status,
        model_requested=model,
        model=model,
        model_resolved=None if cost is None else cost.model,
        endpoint=endpoint,
        tier="default",
        usage=usage,
        cost=cost,
        unpriced_reason=None if priced else f"unknown model {model!r}",
        http_status=200,
        latency_ms=431.25,
        tags=MappingProxyType(dict(tags or {})),
    )


# gpt-4o, 1000 input of which 0 cached, 100 output:
# 1000 x $2.50/1M = $0.0025, 100 x $10.00/1M = $0.001  (openai-billing.md 3.1)
COST_DEFAULT = Decimal("0.0035")


# --- databases -------------------------------------------------------------------------------


def _pg_admin() -> object:
    import psycopg

    return psycopg.connect(PG_URL, autocommit=True)


@contextlib.contextmanager
def pg_database() -> Iterator[str]:
    """A fresh PostgreSQL database; yields its URL and drops it afterwards."""
    import psycopg

    name = f"oc_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base = PG_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(PG_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class Backend:
    """One test database."""

    name: str
    """``sqlite`` or ``postgres``."""
    url: str
    """The ledger URL."""
    fast_url: str
    """The same database with a short lock/connect timeout, for outage tests."""

    @contextlib.contextmanager
    def outage(self) -> Iterator[None]:
        """Make the database refuse the ledger for the duration of the block.

        SQLite: another connection holds an exclusive write lock (writers get "database is
        locked"). PostgreSQL: the database stops accepting connections and every open one is
        terminated (``ALLOW_CONNECTIONS false`` + ``pg_terminate_backend``).
        """
        if self.name == "sqlite":
            path = self.url.removeprefix("sqlite:///")
            con = sqlite3.connect(path, isolation_level=None, timeout=30)
            con.execute("BEGIN EXCLUSIVE")
            try:
                yield
            finally:
                con.execute("ROLLBACK")
                con.close()
            return
        import psycopg

        db = self.url.rsplit("/", 1)[1]
        with psycopg.connect(PG_URL, autocommit=True) as admin:
            admin.execute(f'ALTER DATABASE "{db}" ALLOW_CONNECTIONS false')
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                (db,),
            )
            try:
                yield
            finally:
                admin.execute(f'ALTER DATABASE "{db}" ALLOW_CONNECTIONS true')


def _backend_params() -> list[object]:
    return ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


BACKENDS = _backend_params()


@contextlib.contextmanager
def make_backend(name: str, tmp_path: Path) -> Iterator[Backend]:
    """The database for one test (skipping PostgreSQL only outside CI with no server)."""
    if name == "sqlite":
        path = tmp_path / "ledger.db"
        yield Backend("sqlite", f"sqlite:///{path}", f"sqlite:///{path}?timeout=0.2")
        return
    if not PG_URL:
        if IN_CI:
            pytest.fail("CI is set but OPENAI_COST_TEST_POSTGRES_URL is not: run .ci/run")
        pytest.skip("OPENAI_COST_TEST_POSTGRES_URL is not set")
    with pg_database() as url:
        yield Backend("postgres", url, f"{url}?connect_timeout=2")


def count_rows(url: str) -> tuple[int, int]:
    """(rows in calls, distinct request ids) read without the library."""
    import sqlalchemy as sa

    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as c:
            row = c.execute(sa.text("SELECT count(*), count(DISTINCT request_id) FROM calls"))
            n, d = row.one()
            return int(n), int(d)
    finally:
        engine.dispose()


def spool_lines(spool: Path) -> int:
    """Lines in the journal files of a spool dir."""
    if not spool.is_dir():
        return 0
    return sum(len(p.read_text().splitlines()) for p in spool.rglob("*.jsonl"))


# --- process workers (module level so that ``spawn`` can import them) -----------------------


def _env(home: str) -> None:
    os.environ["OPENAI_COST_HOME"] = home
    os.environ.pop("OPENAI_COST_DB_URL", None)


def worker_submit(url: str, home: str, prefix: str, n: int, shared: int) -> int:
    """Submit `n` records of its own plus `shared` ones every worker also submits."""
    _env(home)
    from openai_cost import Ledger

    with Ledger(url) as ledger:
        for i in range(n):
            ledger.submit(rec(f"{prefix}-{i}"))
            if i < shared:
                ledger.submit(rec(f"shared-{i}"))
        ledger.flush(60)
    return n


def worker_submit_then_hang(url: str, home: str, n: int, conn: object) -> None:
    """Submit `n` records, report how many are journaled, then wait to be killed."""
    _env(home)
    from openai_cost import Ledger

    ledger = Ledger(url)
    for i in range(n):
        ledger.submit(rec(f"killed-{i}"))
    conn.send(spool_lines(ledger.spool_dir))  # type: ignore[attr-defined]
    time.sleep(600)


def worker_budget(url: str, home: str, limit: str, attempts: int, start_at: float) -> int:
    """Try `attempts` reserve + settle cycles of $0.01 against a shared budget; return wins."""
    _env(home)
    from openai_cost import Budget, BudgetExceededError, Ledger

    budget = Budget(limit, period="total", tags={"team": "a"}, check_timeout=120)
    won = 0
    with Ledger(url) as ledger:
        ledger.migrations()  # connect now, so that every process starts racing at once
        while time.time() < start_at:
            time.sleep(0.001)
        for _ in range(attempts):
            r = rec(input_tokens=2000, output_tokens=500, tags={"team": "a"})
            try:
                res = budget.reserve(ledger, Decimal("0.01"))
            except BudgetExceededError:
                continue
            assert res.settle(r)
            won += 1
    return won

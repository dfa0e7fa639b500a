"""Budgets on running totals, their stored definitions, and checks that never hang.

Real SQLite files and a real PostgreSQL server. Costs come from `_ledger_helpers.rec`: gpt-4o
at $2.50 input / $10.00 output per 1M tokens (openai-billing.md 3.1), so the default call (1000
input, 100 output) costs $0.0025 + $0.001 = $0.0035.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import sqlite3
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from _ledger_helpers import (
    COST_DEFAULT,
    PG_URL,
    Backend,
    make_backend,
    rec,
)
from openai_cost import (
    Budget,
    BudgetExceededError,
    BudgetUnavailableError,
    BudgetWarning,
    Ledger,
)
from openai_cost.ledger import PG_LOCK_BUDGET
from openai_cost.ledger.queries import record_to_dict


def _engine(url: str) -> sa.Engine:
    return sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))


def _totals(url: str) -> dict[str, tuple[Decimal, int]]:
    """``budget_totals`` read without the library: period key -> (spent, calls)."""
    engine = _engine(url)
    try:
        with engine.connect() as c:
            rows = c.execute(sa.text("SELECT period_key, spent_usd, calls FROM budget_totals"))
            return {k: (Decimal(str(v)).normalize(), int(n)) for k, v, n in rows}
    finally:
        engine.dispose()


NOW = datetime.now(timezone.utc).replace(microsecond=0)
TODAY = NOW.strftime("%Y-%m-%d")


def test_a_budget_keeps_a_running_total_from_every_write_path(backend: Backend) -> None:
    team = {"team": "a"}
    with Ledger(backend.url) as led:
        # calls stored before the budget is first used: summed once at first use
        led.record(rec("before-1", at=NOW, tags=team))
        led.record(rec("before-2", at=NOW, tags={"team": "b"}))
        budget = Budget("1.00", period="day", tags=team, name="team a")
        assert budget.spent(led) == COST_DEFAULT
        assert _totals(backend.url) == {TODAY: (COST_DEFAULT, 1)}
        # the background writer, a direct record, a settled reservation, a replayed duplicate
        led.submit(rec("writer", at=NOW, tags={"team": "a", "user": "u1"}))
        led.submit(rec("writer", at=NOW, tags={"team": "a", "user": "u1"}))
        assert led.flush(30)
        led.record(rec("direct", at=NOW, tags=team))
        r = budget.reserve(led, Decimal("0.01"))
        assert r.settle(rec("settled", at=NOW, tags=team))
        led.record(rec("other-team", at=NOW, tags={"team": "b"}))
        led.record(rec("yesterday", at=NOW - timedelta(days=1), tags=team))
        # 4 calls of $0.0035 today for team a
        assert budget.spent(led) == 4 * COST_DEFAULT
        assert budget.spent(led) == led.spent(
            since=NOW.replace(hour=0, minute=0, second=0), tags=team, until=NOW + timedelta(days=1)
        )
        # a past period (no running total before the first use) is summed from the calls
        assert budget.spent(led, now=NOW - timedelta(days=1)) == COST_DEFAULT
    totals = _totals(backend.url)
    assert totals[TODAY] == (Decimal("0.014"), 4)


def test_a_check_reads_the_running_total_not_the_calls(backend: Backend) -> None:
    # proof that a check no longer sums the calls: remove them behind the ledger's back and
    # the budget still counts what the running total holds
    with Ledger(backend.url) as led:
        budget = Budget("0.01", period="day")
        budget.check(led, Decimal(0))  # first use: stored, total starts at $0
        for i in range(2):
            led.record(rec(f"c-{i}", at=NOW))
        engine = _engine(backend.url)
        with engine.begin() as c:
            c.execute(sa.text("DELETE FROM calls"))
        engine.dispose()
        assert led.spent() == 0
        assert budget.spent(led) == 2 * COST_DEFAULT
        # $0.007 spent + $0.004 estimate > $0.01
        with pytest.raises(BudgetExceededError, match=r"spent \$0.007"):
            budget.reserve(led, Decimal("0.004"))


def test_budgets_lists_every_budget_used_with_the_ledger(backend: Backend) -> None:
    with Ledger(backend.url) as led:
        daily = Budget("0.50", period="day", tags={"team": "a"}, name="team-a daily")
        total = Budget("100", period="total", mode="warn")
        led.record(rec("a1", at=NOW, tags={"team": "a"}))
        res = daily.reserve(led, Decimal("0.02"))
        total.check(led, Decimal(0))
        rows = {b.name: b for b in led.budgets()}
        assert set(rows) == {"team-a daily", "total"}
        d = rows["team-a daily"]
        assert (d.limit_usd, d.period, dict(d.tags), d.mode) == (
            Decimal("0.50"),
            "day",
            {"team": "a"},
            "raise",
        )
        assert d.period_key == TODAY
        assert d.period_start == NOW.replace(hour=0, minute=0, second=0)
        assert d.period_end == d.period_start + timedelta(days=1)  # type: ignore[operator]
        assert (d.spent_usd, d.calls, d.reserved_usd) == (COST_DEFAULT, 1, Decimal("0.02"))
        assert d.remaining_usd == Decimal("0.50") - COST_DEFAULT - Decimal("0.02")
        t = rows["total"]
        assert (t.period_key, t.period_start, t.mode) == ("total", None, "warn")
        assert json.loads(json.dumps(t.to_dict()))["limit_usd"] == "100"
        res.release()
        # another process (a new Ledger) sees the same definitions; a new limit updates it
        Budget("0.75", period="day", tags={"team": "a"}, name="team-a daily").check(led, Decimal(0))
    with Ledger(backend.url) as other:
        rows = {b.name: b for b in other.budgets()}
        assert rows["team-a daily"].limit_usd == Decimal("0.75")
        assert rows["team-a daily"].reserved_usd == 0


def test_budget_names_and_tags_are_validated() -> None:
    from openai_cost import ConfigError

    with pytest.raises(ConfigError, match=r"tag 'team'.*NUL"):
        Budget("1", tags={"team": "a\x00"})
    with pytest.raises(ConfigError, match="check_timeout"):
        Budget("1", check_timeout=0)
    assert Budget("1", period="month", tags={"b": "2", "a": "1"}).name == "month a=1 b=2"


# --- a check never hangs -------------------------------------------------------------------------


@contextlib.contextmanager
def _budget_lock_held(backend: Backend) -> Iterator[None]:
    """Another connection holds what a reservation needs (SQLite: the write lock;
    PostgreSQL: the budget advisory lock) for the duration of the block."""
    if backend.name == "sqlite":
        con = sqlite3.connect(backend.url.removeprefix("sqlite:///"), isolation_level=None)
        con.execute("BEGIN EXCLUSIVE")
        try:
            yield
        finally:
            con.execute("ROLLBACK")
            con.close()
        return
    import psycopg

    with psycopg.connect(backend.url, autocommit=True) as con:
        con.execute("SELECT pg_advisory_lock(%s)", (PG_LOCK_BUDGET,))
        try:
            yield
        finally:
            con.execute("SELECT pg_advisory_unlock(%s)", (PG_LOCK_BUDGET,))


def _reservations(url: str) -> int:
    engine = _engine(url)
    try:
        with engine.connect() as c:
            return int(c.execute(sa.text("SELECT count(*) FROM budget_reservations")).scalar_one())
    finally:
        engine.dispose()


def test_a_blocked_check_follows_the_mode_in_time(
    backend: Backend, caplog: pytest.LogCaptureFixture
) -> None:
    strict = Budget("1", period="day", check_timeout=1)
    lenient = Budget("1", period="day", check_timeout=1, mode="warn", name="lenient")
    with Ledger(backend.url) as led:
        strict.check(led, Decimal(0))
        lenient.check(led, Decimal(0))
        with _budget_lock_held(backend), caplog.at_level(logging.WARNING, "openai_cost.budget"):
            t0 = time.monotonic()
            with pytest.raises(BudgetUnavailableError, match=r"no answer in 1 s"):
                strict.reserve(led, Decimal("0.01"))
            with pytest.warns(BudgetWarning, match="could not be checked"):
                res = lenient.reserve(led, Decimal("0.01"))
            elapsed = time.monotonic() - t0
            assert res.held is False
            assert res.settle(rec("let-through", at=NOW))
        assert elapsed < 8, elapsed
        assert "the call is refused" in caplog.text
        assert "the call proceeds unchecked" in caplog.text
        assert led.flush(30)
        assert [r.request_id for r in led.records()] == ["let-through"]
        # the given-up checks hold nothing once the lock is free
        deadline = time.monotonic() + 40
        while _reservations(backend.url) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _reservations(backend.url) == 0


@contextlib.contextmanager
def _frozen_backends(url: str) -> Iterator[None]:
    """SIGSTOP the PostgreSQL server processes serving `url`'s database (then SIGCONT)."""
    import psycopg

    db = url.rsplit("/", 1)[1]
    with psycopg.connect(PG_URL, autocommit=True) as admin:
        pids = [
            r[0]
            for r in admin.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s", (db,)
            ).fetchall()
        ]
    assert pids, "the ledger has no open connection to freeze"
    for pid in pids:
        os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        for pid in pids:
            os.kill(pid, signal.SIGCONT)


@pytest.mark.postgres
def test_a_frozen_postgresql_never_blocks_a_budgeted_call(tmp_path: Path) -> None:
    with make_backend("postgres", tmp_path) as backend, Ledger(backend.url) as led:
        budget = Budget("1", period="day", check_timeout=1)
        budget.check(led, Decimal(0))  # first use: stored, connected (the pool holds it)
        budget.reserve(led, Decimal("0.01")).release()
        with _frozen_backends(backend.url):
            t0 = time.monotonic()
            with pytest.raises(BudgetUnavailableError):
                budget.reserve(led, Decimal("0.01"))
            assert time.monotonic() - t0 < 5


@pytest.mark.postgres
def test_a_frozen_postgresql_never_blocks_an_event_loop(tmp_path: Path) -> None:
    import openai

    from fake_openai_server import FakeOpenAI
    from openai_cost import track

    with (
        make_backend("postgres", tmp_path) as backend,
        Ledger(backend.url) as led,
        FakeOpenAI() as server,
    ):
        budget = Budget("1", period="day", check_timeout=1)
        budget.check(led, Decimal(0))  # first use: stored, connected (the pool holds it)
        budget.reserve(led, Decimal("0.01")).release()

        async def main() -> tuple[int, float]:
            client = track(
                openai.AsyncOpenAI(base_url=server.base_url, api_key="test", max_retries=0),
                ledger=led,
                budget=budget,
            )
            ticks = 0

            async def ticker() -> None:
                nonlocal ticks
                while True:
                    await asyncio.sleep(0.01)
                    ticks += 1

            task = asyncio.create_task(ticker())
            t0 = time.monotonic()
            try:
                with _frozen_backends(backend.url), pytest.raises(BudgetUnavailableError):
                    await client.chat.completions.create(
                        model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}]
                    )
            finally:
                task.cancel()
                await client.close()
            return ticks, time.monotonic() - t0

        ticks, elapsed = asyncio.run(main())
        assert elapsed < 5
        # the loop kept running while the check waited: ~100 ticks of 10 ms in 1 s
        assert ticks >= 20, ticks
        assert not server.requests  # refused before it was sent


def test_replayed_rows_count_towards_budgets(backend: Backend) -> None:
    with Ledger(backend.url) as led:
        budget = Budget("1", period="day", tags={"team": "a"})
        assert budget.spent(led) == 0
        spool = led.spool_dir
    spool.mkdir(parents=True, exist_ok=True)
    line = json.dumps(record_to_dict(rec("from-spool", at=NOW, tags={"team": "a"})))
    (spool / "777777-1-dead.jsonl").write_text(line + "\n" + line + "\n")
    with Ledger(backend.url) as again:
        assert budget.spent(again) == COST_DEFAULT


@pytest.fixture(autouse=True)
def _gc_after() -> Iterator[None]:
    # a database connection a given-up check left open would be reported by the test that
    # left it, not by whichever later test the garbage collector happens to run in
    yield
    import gc

    gc.collect()

"""Budgets against a real SQLite file and a real PostgreSQL server, under concurrency too."""

from __future__ import annotations

import multiprocessing as mp
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from _ledger_helpers import Backend, count_rows, rec, worker_budget
from openai_cost import Budget, BudgetExceededError, BudgetWarning, ConfigError, Ledger

NOW = datetime.now(timezone.utc)


def ten_cents(rid: str, *, at: datetime = NOW, tags: dict[str, str] | None = None) -> object:
    # gpt-4o 20000 input x $2.50/1M = $0.05, 5000 output x $10/1M = $0.05: $0.10
    # (openai-billing.md 3.1)
    return rec(rid, input_tokens=20000, output_tokens=5000, at=at, tags=tags)


def test_budget_validates_its_settings() -> None:
    assert Budget("25.00").limit_usd == Decimal("25.00")
    assert Budget(3).limit_usd == Decimal(3)
    with pytest.raises(ConfigError, match="valid: day, month, total"):
        Budget(1, period="week")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="valid: raise, warn"):
        Budget(1, mode="shout")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=">= 0"):
        Budget("-1")
    with pytest.raises(ConfigError, match="number of dollars"):
        Budget("ten")


def test_windows_are_utc_calendar_periods() -> None:
    t = datetime(2026, 12, 31, 23, 0, tzinfo=timezone.utc)
    day = datetime(2026, 12, 31, tzinfo=timezone.utc)
    assert Budget(1, period="day").window(t) == (day, day + timedelta(days=1))
    assert Budget(1, period="month").window(t) == (
        datetime(2026, 12, 1, tzinfo=timezone.utc),
        datetime(2027, 1, 1, tzinfo=timezone.utc),
    )
    assert Budget(1, period="total").window(t) == (None, None)


def test_check_counts_what_the_period_spent(ledger: Ledger) -> None:
    ledger.record(ten_cents("today-1"))
    ledger.record(ten_cents("today-2"))
    ledger.record(ten_cents("last-year", at=NOW - timedelta(days=400)))
    daily = Budget("0.25", period="day")
    daily.check(ledger, Decimal("0.05"))  # 0.20 + 0.05 = 0.25: exactly at the limit is allowed
    with pytest.raises(BudgetExceededError) as e:
        daily.check(ledger, Decimal("0.050001"))
    assert e.value.limit_usd == Decimal("0.25")
    assert e.value.spent_usd == Decimal("0.2")
    assert e.value.estimate_usd == Decimal("0.050001")
    assert "budget of $0.25 per day would be exceeded: spent $0.2" in str(e.value)
    total = Budget("0.25", period="total")
    with pytest.raises(BudgetExceededError, match=r"\$0.25 in total"):
        total.check(ledger, Decimal(0))  # 0.30 already spent in total


def test_tags_limit_what_counts(ledger: Ledger) -> None:
    ledger.record(ten_cents("a", tags={"project": "search"}))
    ledger.record(ten_cents("b", tags={"project": "chat"}))
    search = Budget("0.15", tags={"project": "search"})
    search.check(ledger, Decimal("0.05"))
    with pytest.raises(BudgetExceededError, match="for project=search"):
        search.check(ledger, Decimal("0.06"))
    assert search.spent(ledger) == Decimal("0.1")


def test_warn_mode_warns_and_lets_the_call_through(ledger: Ledger) -> None:
    ledger.record(ten_cents("a"))
    b = Budget("0.10", mode="warn")
    with pytest.warns(BudgetWarning, match="would be exceeded"):
        b.check(ledger, Decimal("0.01"))
    with pytest.warns(BudgetWarning):
        r = b.reserve(ledger, Decimal("0.01"))
    assert r.settle(ten_cents("b"))
    assert ledger.spent() == Decimal("0.2")


def test_reservations_hold_estimates_until_settled(ledger: Ledger) -> None:
    b = Budget("0.25", period="day")
    r1 = b.reserve(ledger, Decimal("0.10"))
    r2 = b.reserve(ledger, Decimal("0.10"))
    with pytest.raises(BudgetExceededError, match=r"in flight \$0.20"):
        b.reserve(ledger, Decimal("0.10"))
    # the real cost replaces the estimate: $0.10 recorded, $0.10 still in flight
    assert r1.settle(ten_cents("one"))
    assert ledger.spent() == Decimal("0.1")
    with pytest.raises(BudgetExceededError):
        b.check(ledger, Decimal("0.06"))
    r2.release()  # that call was not made
    b.check(ledger, Decimal("0.15"))
    assert r1.settle(ten_cents("one")) is True  # settling twice does nothing more
    assert ledger.spent() == Decimal("0.1")


def test_an_unsettled_reservation_expires(ledger: Ledger) -> None:
    # a TTL well above one check's time on a loaded machine, so the reservation is still
    # live at the second check; then wait until it has expired, counted from when reserve()
    # returned: its clock starts inside the call, which can take a while on a busy machine
    b = Budget("0.10", reservation_ttl=2.0)
    b.reserve(ledger, Decimal("0.10"))  # its process "dies": never settled
    made = time.monotonic()
    with pytest.raises(BudgetExceededError):
        b.reserve(ledger, Decimal("0.05"))
    time.sleep(max(0.0, made + 2.1 - time.monotonic()))
    b.reserve(ledger, Decimal("0.05"))


def test_settle_without_the_database_spools_the_record(backend: Backend) -> None:
    with Ledger(backend.fast_url) as led:
        r = Budget("1").reserve(led, Decimal("0.10"))
        with backend.outage():
            assert r.settle(ten_cents("late")) is False  # never raises
        assert led.flush(30)
        assert [x.request_id for x in led.records()] == ["late"]


def test_threads_never_overspend(ledger: Ledger) -> None:
    # 16 threads x 3 attempts at $0.01 against $0.10: exactly 10 calls go through
    # a generous check_timeout: this test is about atomicity, not about a slow machine
    budget = Budget("0.10", period="total", tags={"team": "a"}, check_timeout=120)
    won: list[int] = []
    gate = threading.Barrier(16)

    def worker() -> None:
        gate.wait()
        for _ in range(3):
            # 2000 x $2.50/1M + 500 x $10/1M = $0.01 (gpt-4o, openai-billing.md 3.1)
            r = rec(input_tokens=2000, output_tokens=500, tags={"team": "a"})
            try:
                res = budget.reserve(ledger, Decimal("0.01"))
            except BudgetExceededError:
                continue
            assert res.settle(r)
            won.append(1)

    threads = [threading.Thread(target=worker) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert len(won) == 10
    assert ledger.spent(tags={"team": "a"}) == Decimal("0.10")


def test_processes_never_overspend(backend: Backend, tmp_path: Path) -> None:
    # 4 processes x 8 attempts at $0.01 against one $0.10 budget: exactly 10 go through
    with Ledger(backend.url) as led:
        led.migrations()
    home = str(tmp_path / "openai-cost-home")
    start = time.time() + 3.0
    ctx = mp.get_context("spawn")
    with ProcessPoolExecutor(4, mp_context=ctx) as pool:
        futs = [pool.submit(worker_budget, backend.url, home, "0.10", 8, start) for _ in range(4)]
        wins = [f.result(timeout=120) for f in futs]
    assert sum(wins) == 10
    assert count_rows(backend.url) == (10, 10)
    with Ledger(backend.url) as led:
        assert led.spent() == Decimal("0.10")

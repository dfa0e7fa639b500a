"""`Budget`: a spending limit per day, month or in total, optionally per tag.

```python
from openai_cost import Budget, Ledger

budget = Budget("25.00", period="day", tags={"project": "search"})
with Ledger() as ledger:
    r = budget.reserve(ledger, estimate_usd)   # raises BudgetExceededError when over
    ...                                        # make the call
    r.settle(record)                           # the real cost replaces the estimate
```

`reserve` is atomic: it checks ``spent + pending reservations + estimate <= limit`` and records
its own reservation in one transaction, under a PostgreSQL advisory lock (SQLite:
``BEGIN IMMEDIATE``), so threads, processes and hosts sharing a ledger never overspend
together. A reservation that is never settled (its process died) stops counting after
`Budget.reservation_ttl` seconds.

``spent`` is a running total the ledger keeps per budget scope (period and tags) and period,
updated in the transaction that stores each call, so a check reads one row whether the ledger
holds ten calls or ten million (see `openai_cost.ledger._budgets`). The first use of a budget
with a ledger stores its definition (see `Ledger.budgets`) and sums its current period once.

A check never hangs: it runs on a helper thread and is given up after `Budget.check_timeout`
seconds (a frozen database, a lock held elsewhere). The call then follows the budget's mode:
``raise`` refuses it with `BudgetUnavailableError`, ``warn`` lets it through with a
`BudgetWarning`; both are logged. Async clients wait for the check without blocking their
event loop (`Budget.areserve`).

Only priced calls count towards a budget: a call the catalog cannot price is stored as
unpriced and shown by `Ledger.report`, but adds nothing here.
"""

from __future__ import annotations

import asyncio
import logging
import os
import queue
import threading
import uuid
import warnings
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from types import MappingProxyType, TracebackType
from typing import TYPE_CHECKING, Any, Literal

from ._limits import check_tags
from .errors import (
    BudgetExceededError,
    BudgetUnavailableError,
    BudgetWarning,
    ConfigError,
    LedgerError,
)
from .types import CallRecord

if TYPE_CHECKING:
    from .ledger import Ledger

__all__ = ["Budget", "BudgetPeriod", "Reservation"]

log = logging.getLogger("openai_cost.budget")

BudgetPeriod = Literal["day", "month", "total"]
"""How long a budget's limit lasts: a UTC calendar day, a UTC calendar month, or forever."""

_PERIODS = ("day", "month", "total")
_MODES = ("raise", "warn")
_EMPTY: Mapping[str, str] = MappingProxyType({})


def _money(value: object) -> Decimal:
    if isinstance(value, bool):
        raise ConfigError(f"limit_usd must be a number of dollars, got {value!r}")
    try:
        d = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError) as e:
        raise ConfigError(f"limit_usd must be a number of dollars, got {value!r}") from e
    if not d.is_finite() or d < 0:
        raise ConfigError(f"limit_usd must be a finite amount >= 0, got {value!r}")
    return d


def _fmt(d: Decimal) -> str:
    return f"${d:f}"


@dataclass(frozen=True, slots=True)
class Budget:
    """A spending limit checked before each tracked call.

    Args:
        limit_usd: the limit in USD (Decimal, int or a decimal string such as ``"25.00"``).
        period: ``"day"`` (UTC calendar day), ``"month"`` (UTC calendar month) or ``"total"``.
        tags: count only calls carrying all of these tags (e.g. ``{"project": "search"}``).
        mode: ``"raise"`` refuses an over-budget call with `BudgetExceededError` before it
            reaches the API; ``"warn"`` lets it through with a `BudgetWarning`.
        reservation_ttl: seconds an unsettled reservation keeps counting (a process that dies
            mid-call never settles it).
        name: the name the budget is stored under in the ledger (`Ledger.budgets`); default:
            its period and tags, e.g. ``day project=search``.
        check_timeout: seconds a check may take before it is given up and the call follows
            `mode` (``raise``: `BudgetUnavailableError`; ``warn``: a `BudgetWarning`).

    Raises:
        ConfigError: a value above is invalid.
    """

    limit_usd: Decimal
    """The limit, USD."""
    period: BudgetPeriod = "day"
    """``day``, ``month`` or ``total``."""
    tags: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    """Only calls carrying all of these tags count."""
    mode: Literal["raise", "warn"] = "raise"
    """``raise`` or ``warn``."""
    reservation_ttl: float = 600.0
    """Seconds an unsettled reservation keeps counting."""
    name: str = ""
    """Name stored in the ledger; default: the period and tags."""
    check_timeout: float = 5.0
    """Seconds a check may take before the call follows `mode` without it."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "limit_usd", _money(self.limit_usd))
        if self.period not in _PERIODS:
            raise ConfigError(
                f"unknown budget period {self.period!r}; valid: {', '.join(_PERIODS)}"
            )
        if self.mode not in _MODES:
            raise ConfigError(f"unknown budget mode {self.mode!r}; valid: {', '.join(_MODES)}")
        tags = self.tags if self.tags is not None else {}
        if not isinstance(tags, Mapping):
            raise ConfigError(f"budget tags must be a mapping of str to str, got {tags!r}")
        try:
            check_tags(tags, "budget")
        except (TypeError, ValueError) as e:
            raise ConfigError(str(e)) from None
        object.__setattr__(self, "tags", MappingProxyType(dict(tags)))
        if not self.reservation_ttl > 0:
            raise ConfigError(f"reservation_ttl must be > 0 seconds, got {self.reservation_ttl!r}")
        if not self.check_timeout > 0:
            raise ConfigError(f"check_timeout must be > 0 seconds, got {self.check_timeout!r}")
        if not self.name:
            scope = " ".join(f"{k}={v}" for k, v in sorted(self.tags.items()))
            object.__setattr__(self, "name", f"{self.period} {scope}".strip())
        try:
            check_tags({"budget name": self.name})
        except ValueError as e:
            raise ConfigError(str(e)) from None

    def window(self, now: datetime | None = None) -> tuple[datetime | None, datetime | None]:
        """``(start, end)`` of the period containing `now` (UTC; None = unbounded)."""
        now = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
        if self.period == "total":
            return None, None
        day = now.replace(hour=0, minute=0, second=0, microsecond=0)
        if self.period == "day":
            return day, day + timedelta(days=1)
        start = day.replace(day=1)
        end = (
            start.replace(year=start.year + 1, month=1)
            if start.month == 12
            else (start.replace(month=start.month + 1))
        )
        return start, end

    def _definition(self) -> tuple[object, ...]:
        return (self.limit_usd, self.period, tuple(sorted(self.tags.items())), self.mode)

    def _scope(self, ledger: Ledger) -> str:
        return ledger._register_budget(self.name, self._definition())

    def spent(self, ledger: Ledger, *, now: datetime | None = None) -> Decimal:
        """What the priced calls in the period holding `now` (default: the current period)
        and carrying the budget's tags cost, USD.

        The current period is read from the ledger's running total; another period is summed
        from the calls.
        """
        from .ledger import _budgets as b

        current = datetime.now(timezone.utc)
        scope = self._scope(ledger)
        if now is not None and b.period_key(self.period, now) != b.period_key(self.period, current):
            since, until = self.window(now)
            return ledger.spent(since=since, until=until, tags=self.tags)
        with ledger.transaction() as conn:
            return b.scope_spent(conn, scope, b.period_key(self.period, current))[0]

    def _describe(self) -> str:
        per = {"day": "per day", "month": "per month", "total": "in total"}[self.period]
        tags = ""
        if self.tags:
            tags = " for " + ", ".join(f"{k}={v}" for k, v in sorted(self.tags.items()))
        return f"budget of {_fmt(self.limit_usd)} {per}{tags}"

    def _over(
        self, spent: Decimal, pending: Decimal, estimate: Decimal, stacklevel: int = 4
    ) -> None:
        msg = (
            f"{self._describe()} would be exceeded: spent {_fmt(spent)}"
            + (f" + in flight {_fmt(pending)}" if pending else "")
            + f" + this call's estimate {_fmt(estimate)} > {_fmt(self.limit_usd)}"
        )
        if self.mode == "raise":
            raise BudgetExceededError(
                msg, limit_usd=self.limit_usd, spent_usd=spent + pending, estimate_usd=estimate
            )
        warnings.warn(msg, BudgetWarning, stacklevel=stacklevel)

    def _unavailable(self, ledger: Ledger, estimate: Decimal, why: str) -> Reservation:
        """The check could not be made in time: follow the mode, log it."""
        msg = f"{self._describe()} could not be checked against {ledger.url}: {why}"
        if self.mode == "raise":
            log.error("%s; the call is refused", msg)
            raise BudgetUnavailableError(
                msg + " (mode='raise': the call is refused)",
                limit_usd=self.limit_usd,
                estimate_usd=estimate,
            )
        log.warning("%s; the call proceeds unchecked", msg)
        warnings.warn(msg + " (mode='warn': the call proceeds)", BudgetWarning, stacklevel=3)
        return Reservation("", self, ledger, estimate, held=False)

    def _totals(self, conn: Any, scope: str, now: datetime) -> tuple[Decimal, Decimal]:
        from .ledger import _budgets as b
        from .ledger import queries

        spent = b.scope_spent(conn, scope, b.period_key(self.period, now))[0]
        return spent, queries.pending_reservations(conn, now, self.tags)

    def check(self, ledger: Ledger, estimate_usd: Decimal) -> None:
        """Refuse (or warn about) a call that would take spending past the limit.

        Counts the period's priced calls, the unexpired reservations of calls in flight and
        `estimate_usd`. Not atomic: use `reserve` when several callers share the budget.

        Raises:
            BudgetExceededError: over the limit and ``mode="raise"``.
            LedgerError: the ledger cannot be read.
        """
        estimate = _money(estimate_usd)
        now = datetime.now(timezone.utc)
        scope = self._scope(ledger)
        with ledger.transaction() as conn:
            spent, pending = self._totals(conn, scope, now)
        if spent + pending + estimate > self.limit_usd:
            self._over(spent, pending, estimate, stacklevel=3)

    def _reserve_now(
        self, ledger: Ledger, estimate: Decimal, given_up: threading.Event
    ) -> tuple[Reservation, tuple[Decimal, Decimal] | None]:
        """The check and the reservation, in one transaction (runs on a helper thread)."""
        from .ledger import PG_LOCK_BUDGET, queries

        rid = str(uuid.uuid4())
        scope = self._scope(ledger)
        now = datetime.now(timezone.utc)
        over: tuple[Decimal, Decimal] | None = None
        held = False
        with ledger.transaction(write=True, lock=PG_LOCK_BUDGET) as conn:
            queries.purge_expired_reservations(conn, now)
            spent, pending = self._totals(conn, scope, now)
            if spent + pending + estimate > self.limit_usd:
                over = (spent, pending)
            if (over is None or self.mode == "warn") and not given_up.is_set():
                queries.add_reservation(
                    conn,
                    rid=rid,
                    amount=estimate,
                    tags=self.tags,
                    now=now,
                    expires_at=now + timedelta(seconds=self.reservation_ttl),
                )
                held = True
        res = Reservation(rid, self, ledger, estimate, held=held)
        if given_up.is_set() and held:  # the caller went on without us: hold nothing
            res.release()
        return res, over

    def _finish(
        self, ledger: Ledger, estimate: Decimal, result: tuple[Reservation, Any]
    ) -> Reservation:
        res, over = result
        if over is not None:
            self._over(over[0], over[1], estimate)
        return res

    def reserve(self, ledger: Ledger, estimate_usd: Decimal) -> Reservation:
        """Atomically check the budget and hold `estimate_usd` against it.

        Settle the returned `Reservation` with the call's `CallRecord` once it is known (or
        with None when the call was not made). In ``warn`` mode an over-budget call is still
        reserved, after the warning.

        Raises:
            BudgetExceededError: over the limit and ``mode="raise"`` (nothing is reserved).
            BudgetUnavailableError: the check took longer than `check_timeout` and
                ``mode="raise"`` (in ``warn`` mode a `BudgetWarning` is issued instead).
            LedgerError: the ledger cannot be reached.
        """
        estimate = _money(estimate_usd)
        given_up = threading.Event()
        fut = _run(lambda: self._reserve_now(ledger, estimate, given_up))
        try:
            result = fut.result(self.check_timeout)
        except FutureTimeout:
            given_up.set()
            return self._unavailable(ledger, estimate, f"no answer in {self.check_timeout:g} s")
        return self._finish(ledger, estimate, result)

    async def areserve(self, ledger: Ledger, estimate_usd: Decimal) -> Reservation:
        """`reserve` for async code: waits without blocking the event loop."""
        estimate = _money(estimate_usd)
        given_up = threading.Event()
        fut = _run(lambda: self._reserve_now(ledger, estimate, given_up))
        try:
            result = await asyncio.wait_for(asyncio.wrap_future(fut), self.check_timeout)
        except asyncio.TimeoutError:
            given_up.set()
            return self._unavailable(ledger, estimate, f"no answer in {self.check_timeout:g} s")
        return self._finish(ledger, estimate, result)


class _Helpers:
    """Daemon threads that run budget checks, so a caller can stop waiting for a check (a
    frozen database) and a blocked check never keeps the process from exiting."""

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue[tuple[Callable[[], Any], Future[Any]]] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._idle = 0

    def run(self, fn: Callable[[], Any]) -> Future[Any]:
        fut: Future[Any] = Future()
        with self._lock:
            spawn = self._idle == 0
            if not spawn:
                self._idle -= 1
        self._jobs.put((fn, fut))
        if spawn:
            threading.Thread(target=self._work, name="openai-cost-budget", daemon=True).start()
        return fut

    def _work(self) -> None:
        while True:
            fn, fut = self._jobs.get()
            if fut.set_running_or_notify_cancel():
                try:
                    fut.set_result(fn())
                except BaseException as e:
                    fut.set_exception(e)
            del fn, fut
            with self._lock:
                if self._idle >= 4:
                    return
                self._idle += 1


_HELPERS = [_Helpers()]


def _run(fn: Callable[[], Any]) -> Future[Any]:
    return _HELPERS[0].run(fn)


def _reset_after_fork() -> None:
    _HELPERS[0] = _Helpers()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_after_fork)


@dataclass(eq=False)
class Reservation:
    """An estimate held against a budget while its call is in flight."""

    id: str
    """Row id in ``budget_reservations``."""
    budget: Budget
    """The budget it counts against."""
    ledger: Ledger
    """The ledger that holds it."""
    amount_usd: Decimal
    """The estimate held, USD."""
    settled: bool = False
    """True once `settle` has run."""
    held: bool = True
    """False when nothing is held in the database (the check was given up, see
    `Budget.check_timeout`): `settle` then only stores the record."""

    def settle(self, actual: CallRecord | None) -> bool:
        """Replace the reservation with the call's real record, in one transaction.

        Args:
            actual: the call's record (stored in the ledger), or None to just release the
                reservation (the call was not made).

        Returns:
            True when done in the database. Never raises: if the ledger cannot be reached,
            `actual` goes to the ledger's spool (`Ledger.submit`) and the reservation keeps
            counting until it expires.
        """
        if self.settled:
            return True
        from .ledger import PG_LOCK_BUDGET, queries

        if not self.held:
            self.settled = True
            if actual is not None:
                self.ledger.submit(actual)
            return True
        try:
            if actual is not None:
                queries.check_record(actual)
            with self.ledger.transaction(write=True, lock=PG_LOCK_BUDGET) as conn:
                queries.delete_reservation(conn, self.id)
                if actual is not None:
                    queries.insert_records(conn, [actual])
        except (LedgerError, ValueError) as e:
            log.warning("could not settle budget reservation %s: %s", self.id, e)
            if actual is not None:
                self.ledger.submit(actual)
            self.settled = True
            return False
        self.settled = True
        return True

    def release(self) -> bool:
        """`settle(None)`: the call was not made."""
        return self.settle(None)

    def __enter__(self) -> Reservation:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if not self.settled:
            self.settle(None)

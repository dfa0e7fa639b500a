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

Only priced calls count towards a budget: a call the catalog cannot price is stored as
unpriced and shown by `Ledger.report`, but adds nothing here.
"""

from __future__ import annotations

import logging
import uuid
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from types import MappingProxyType, TracebackType
from typing import TYPE_CHECKING, Literal

from .errors import BudgetExceededError, BudgetWarning, ConfigError, LedgerError
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
        object.__setattr__(
            self, "tags", MappingProxyType({str(k): str(v) for k, v in tags.items()})
        )
        if not self.reservation_ttl > 0:
            raise ConfigError(f"reservation_ttl must be > 0 seconds, got {self.reservation_ttl!r}")

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

    def spent(self, ledger: Ledger, *, now: datetime | None = None) -> Decimal:
        """What the priced calls in the current period (and tags) cost, USD."""
        since, until = self.window(now)
        return ledger.spent(since=since, until=until, tags=self.tags)

    def _describe(self) -> str:
        per = {"day": "per day", "month": "per month", "total": "in total"}[self.period]
        tags = ""
        if self.tags:
            tags = " for " + ", ".join(f"{k}={v}" for k, v in sorted(self.tags.items()))
        return f"budget of {_fmt(self.limit_usd)} {per}{tags}"

    def _over(self, spent: Decimal, pending: Decimal, estimate: Decimal) -> None:
        msg = (
            f"{self._describe()} would be exceeded: spent {_fmt(spent)}"
            + (f" + in flight {_fmt(pending)}" if pending else "")
            + f" + this call's estimate {_fmt(estimate)} > {_fmt(self.limit_usd)}"
        )
        if self.mode == "raise":
            raise BudgetExceededError(
                msg, limit_usd=self.limit_usd, spent_usd=spent + pending, estimate_usd=estimate
            )
        warnings.warn(msg, BudgetWarning, stacklevel=3)

    def check(self, ledger: Ledger, estimate_usd: Decimal) -> None:
        """Refuse (or warn about) a call that would take spending past the limit.

        Counts the period's priced calls, the unexpired reservations of calls in flight and
        `estimate_usd`. Not atomic: use `reserve` when several callers share the budget.

        Raises:
            BudgetExceededError: over the limit and ``mode="raise"``.
            LedgerError: the ledger cannot be read.
        """
        from .ledger import queries

        estimate = _money(estimate_usd)
        now = datetime.now(timezone.utc)
        since, until = self.window(now)
        with ledger.transaction() as conn:
            spent = queries.spent_usd(conn, since=since, until=until, tags=self.tags)
            pending = queries.pending_reservations(conn, now, self.tags)
        if spent + pending + estimate > self.limit_usd:
            self._over(spent, pending, estimate)

    def reserve(self, ledger: Ledger, estimate_usd: Decimal) -> Reservation:
        """Atomically check the budget and hold `estimate_usd` against it.

        Settle the returned `Reservation` with the call's `CallRecord` once it is known (or
        with None when the call was not made). In ``warn`` mode an over-budget call is still
        reserved, after the warning.

        Raises:
            BudgetExceededError: over the limit and ``mode="raise"`` (nothing is reserved).
            LedgerError: the ledger cannot be reached.
        """
        from .ledger import PG_LOCK_BUDGET, queries

        estimate = _money(estimate_usd)
        rid = str(uuid.uuid4())
        now = datetime.now(timezone.utc)
        since, until = self.window(now)
        over: tuple[Decimal, Decimal] | None = None
        with ledger.transaction(write=True, lock=PG_LOCK_BUDGET) as conn:
            queries.purge_expired_reservations(conn, now)
            spent = queries.spent_usd(conn, since=since, until=until, tags=self.tags)
            pending = queries.pending_reservations(conn, now, self.tags)
            if spent + pending + estimate > self.limit_usd:
                over = (spent, pending)
            if over is None or self.mode == "warn":
                queries.add_reservation(
                    conn,
                    rid=rid,
                    amount=estimate,
                    tags=self.tags,
                    now=now,
                    expires_at=now + timedelta(seconds=self.reservation_ttl),
                )
        if over is not None:
            self._over(over[0], over[1], estimate)
        return Reservation(rid, self, ledger, estimate)


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

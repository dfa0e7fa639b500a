"""Budget definitions and running totals, so a budget check reads one row at any ledger size.

Each budget used with a ledger is stored by name in ``budgets``; its *scope* (period kind and
tags) keys a running total per period in ``budget_totals``. Every transaction that stores calls
(`queries.insert_records`: the background writer, `Ledger.record`, a settled reservation) adds
each new priced call to the totals of every scope it belongs to, in that same transaction.

The first time a scope is used its total for the current (and any later) period is computed
once from the ``calls`` table; from then on only the increments are written. On PostgreSQL the
first use takes an exclusive advisory lock that every storing transaction takes in shared mode,
so no call can slip between the one-off sum and the running updates; SQLite serialises writers.
Periods that ended before a scope was first used have no total.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..types import CallRecord
from .schema import budget_totals, budgets, call_tags, calls

__all__ = [
    "PG_LOCK_SCOPES",
    "BudgetRow",
    "add_to_totals",
    "budget_rows",
    "period_bounds",
    "period_key",
    "register_budget",
    "scope_key",
    "scope_spent",
]

PG_LOCK_SCOPES = 0x6F63_0003
"""PostgreSQL advisory lock: exclusive while a new budget scope is summed, shared while calls
are stored."""


def scope_key(period: str, tags: Mapping[str, str]) -> str:
    """The id of what a budget counts: its period kind and its tags."""
    canon = json.dumps([period, sorted(tags.items())], separators=(",", ":"))
    return hashlib.sha256(canon.encode()).hexdigest()[:32]


def period_key(period: str, at: datetime) -> str:
    """The period holding `at`: ``YYYY-MM-DD`` (day), ``YYYY-MM`` (month) or ``total``."""
    if period == "total":
        return "total"
    at = at.astimezone(timezone.utc)
    return at.strftime("%Y-%m-%d") if period == "day" else at.strftime("%Y-%m")


def period_bounds(period: str, at: datetime) -> tuple[datetime | None, datetime | None]:
    """``(start, end)`` of the UTC period holding `at` (None = unbounded)."""
    if period == "total":
        return None, None
    at = at.astimezone(timezone.utc)
    day = at.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "day":
        return day, day + timedelta(days=1)
    start = day.replace(day=1)
    end = (
        start.replace(year=start.year + 1, month=1)
        if start.month == 12
        else start.replace(month=start.month + 1)
    )
    return start, end


def pg_lock(conn: Connection, key: int, *, shared: bool = False) -> None:
    """Take a transaction-scoped PostgreSQL advisory lock (no-op on SQLite)."""
    if conn.dialect.name == "postgresql":
        fn = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
        conn.execute(sa.text(f"SELECT {fn}(:k)"), {"k": key})


def _tagged(tags: Mapping[str, str]) -> list[sa.ColumnElement[bool]]:
    where: list[sa.ColumnElement[bool]] = []
    for name, value in tags.items():
        ct = call_tags.alias()
        where.append(
            sa.exists().where(
                ct.c.request_id == calls.c.request_id, ct.c.name == name, ct.c.value == value
            )
        )
    return where


def _baseline(conn: Connection, scope: str, period: str, tags: Mapping[str, str]) -> None:
    """Sum the calls of the current and later periods of a scope into ``budget_totals``."""
    from .queries import money_sum, trim

    now = datetime.now(timezone.utc)
    conn.execute(budget_totals.delete().where(budget_totals.c.scope == scope))
    start, end = period_bounds(period, now)
    where = _tagged(tags)
    cur: list[sa.ColumnElement[bool]] = [*where, calls.c.cost_usd.is_not(None)]
    if start is not None:
        cur.append(calls.c.created_at >= start)
    if end is not None:
        cur.append(calls.c.created_at < end)
    total, n = conn.execute(
        sa.select(money_sum(conn, calls.c.cost_usd), sa.func.count(calls.c.cost_usd)).where(*cur)
    ).one()
    sums: dict[str, list[Any]] = {
        period_key(period, now): [Decimal(0) if total is None else trim(Decimal(total)), int(n)]
    }
    if end is not None:  # calls dated after this period (clock skew, imports): rare, few
        later = sa.select(calls.c.created_at, calls.c.cost_usd).where(
            *where, calls.c.cost_usd.is_not(None), calls.c.created_at >= end
        )
        for at, cost in conn.execute(later):
            acc = sums.setdefault(period_key(period, at), [Decimal(0), 0])
            acc[0] += cost
            acc[1] += 1
    if sums:
        conn.execute(
            budget_totals.insert(),
            [
                {
                    "scope": scope,
                    "period_key": k,
                    "spent_usd": v[0],
                    "calls": v[1],
                    "updated_at": now,
                }
                for k, v in sums.items()
            ],
        )


def register_budget(
    conn: Connection,
    *,
    name: str,
    period: str,
    tags: Mapping[str, str],
    limit_usd: Decimal,
    mode: str,
) -> str:
    """Store (or update) a budget's definition; start its scope's totals on first use.

    Returns:
        The budget's scope key.
    """
    scope = scope_key(period, tags)
    now = datetime.now(timezone.utc)
    pg_lock(conn, PG_LOCK_SCOPES)
    row = conn.execute(sa.select(budgets).where(budgets.c.name == name)).first()
    known = conn.execute(
        sa.select(sa.literal(1)).select_from(budgets).where(budgets.c.scope == scope).limit(1)
    ).first()
    values = {
        "scope": scope,
        "period": period,
        "tags_json": json.dumps(dict(tags), sort_keys=True),
        "limit_usd": limit_usd,
        "mode": mode,
        "updated_at": now,
    }
    if row is None:
        conn.execute(budgets.insert().values(name=name, created_at=now, **values))
    elif (row.scope, row.limit_usd, row.mode) != (scope, limit_usd, mode):
        conn.execute(budgets.update().where(budgets.c.name == name).values(**values))
    if known is None:
        _baseline(conn, scope, period, tags)
    return scope


def add_to_totals(conn: Connection, records: Sequence[CallRecord]) -> None:
    """Add newly stored priced calls to the running totals of every scope they belong to."""
    priced = [r for r in records if r.cost is not None]
    if not priced:
        return
    scopes = conn.execute(
        sa.select(budgets.c.scope, budgets.c.period, budgets.c.tags_json).distinct()
    ).all()
    if not scopes:
        return
    delta: dict[tuple[str, str], list[Any]] = {}
    for scope, period, tags_json in scopes:
        want = json.loads(tags_json).items()
        for r in priced:
            if all(r.tags.get(k) == v for k, v in want):
                acc = delta.setdefault((scope, period_key(period, r.created_at)), [Decimal(0), 0])
                acc[0] += r.cost.total  # type: ignore[union-attr]
                acc[1] += 1
    if delta:
        _apply(conn, delta)


def _apply(conn: Connection, delta: Mapping[tuple[str, str], list[Any]]) -> None:
    now = datetime.now(timezone.utc)
    rows = [
        {"scope": s, "period_key": p, "spent_usd": v[0], "calls": v[1], "updated_at": now}
        for (s, p), v in sorted(delta.items())  # one order everywhere: no deadlocks
    ]
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        stmt = pg_insert(budget_totals)
        stmt = stmt.on_conflict_do_update(
            index_elements=["scope", "period_key"],
            set_={
                "spent_usd": sa.type_coerce(budget_totals.c.spent_usd, sa.Numeric())
                + sa.type_coerce(stmt.excluded.spent_usd, sa.Numeric()),
                "calls": budget_totals.c.calls + stmt.excluded.calls,
                "updated_at": stmt.excluded.updated_at,
            },
        )
        conn.execute(stmt, rows)
        return
    # SQLite keeps money as decimal strings: add in Python (writers are serialised)
    t = budget_totals
    for row in rows:
        cur = conn.execute(
            sa.select(t.c.spent_usd, t.c.calls).where(
                t.c.scope == row["scope"], t.c.period_key == row["period_key"]
            )
        ).first()
        if cur is None:
            conn.execute(t.insert().values(**row))
        else:
            conn.execute(
                t.update()
                .where(t.c.scope == row["scope"], t.c.period_key == row["period_key"])
                .values(
                    spent_usd=cur.spent_usd + row["spent_usd"],
                    calls=cur.calls + row["calls"],
                    updated_at=now,
                )
            )


def scope_spent(conn: Connection, scope: str, key: str) -> tuple[Decimal, int]:
    """(USD spent, priced calls) of one scope in one period."""
    from .queries import trim

    t = budget_totals
    row = conn.execute(
        sa.select(t.c.spent_usd, t.c.calls).where(t.c.scope == scope, t.c.period_key == key)
    ).first()
    return (Decimal(0), 0) if row is None else (trim(row.spent_usd), int(row.calls))


@dataclass(frozen=True, slots=True)
class BudgetRow:
    """A budget used with a ledger, with its current period's totals (see `Ledger.budgets`)."""

    name: str
    """The budget's name (`Budget.name`)."""
    limit_usd: Decimal
    """The limit, USD."""
    period: str
    """``day``, ``month`` or ``total``."""
    tags: Mapping[str, str]
    """Only calls carrying all of these tags count."""
    mode: str
    """``raise`` or ``warn``: what happens to a call over the limit."""
    period_key: str
    """The current period: ``YYYY-MM-DD``, ``YYYY-MM`` or ``total``."""
    period_start: datetime | None
    """Start of the current period (UTC; None for ``total``)."""
    period_end: datetime | None
    """End of the current period, exclusive (UTC; None for ``total``)."""
    spent_usd: Decimal
    """What the priced calls of the current period cost, USD."""
    calls: int
    """Priced calls counted in `spent_usd`."""
    reserved_usd: Decimal
    """Estimates held by calls in flight (unexpired reservations), USD."""
    remaining_usd: Decimal
    """``limit_usd - spent_usd - reserved_usd`` (negative when over)."""
    created_at: datetime
    """When the budget was first used with this ledger."""
    updated_at: datetime
    """When its definition last changed."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: money as decimal strings, times as ISO 8601."""
        return {
            "name": self.name,
            "limit_usd": str(self.limit_usd),
            "period": self.period,
            "tags": dict(self.tags),
            "mode": self.mode,
            "period_key": self.period_key,
            "period_start": None if self.period_start is None else self.period_start.isoformat(),
            "period_end": None if self.period_end is None else self.period_end.isoformat(),
            "spent_usd": str(self.spent_usd),
            "calls": self.calls,
            "reserved_usd": str(self.reserved_usd),
            "remaining_usd": str(self.remaining_usd),
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
        }


def budget_rows(conn: Connection, now: datetime) -> list[BudgetRow]:
    """Every stored budget with its current period's totals, by name."""
    from types import MappingProxyType

    from .queries import pending_reservations, trim

    out: list[BudgetRow] = []
    for b in conn.execute(sa.select(budgets).order_by(budgets.c.name)):
        tags = MappingProxyType(json.loads(b.tags_json))
        key = period_key(b.period, now)
        spent, n = scope_spent(conn, b.scope, key)
        reserved = pending_reservations(conn, now, tags)
        start, end = period_bounds(b.period, now)
        limit = trim(b.limit_usd)
        out.append(
            BudgetRow(
                name=b.name,
                limit_usd=limit,
                period=b.period,
                tags=tags,
                mode=b.mode,
                period_key=key,
                period_start=start,
                period_end=end,
                spent_usd=spent,
                calls=n,
                reserved_usd=reserved,
                remaining_usd=limit - spent - reserved,
                created_at=b.created_at,
                updated_at=b.updated_at,
            )
        )
    return out

"""Read-side queries for dashboards: filtered breakdowns, pages of calls, tag names.

These extend the query layer `Ledger.report` uses (`queries.report_rows` and its filters), so a
dashboard page, its JSON API and ``openai-cost report`` agree to the cent by construction.

Every aggregate runs in SQL. `breakdown` groups the filtered calls by (UTC day, model, endpoint,
tier, price period) in one pass over the window; totals, daily series and the top models,
endpoints and tiers are sums of those few groups, so a page scans its window once rather than
once per panel. The filters are the same everywhere: `CallFilter`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import Decimal
from types import MappingProxyType
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..types import CallRecord
from .queries import _group_expr, _window, money_sum, record_from_row, trim
from .schema import calls

__all__ = [
    "STATUSES",
    "BreakdownRow",
    "CallFilter",
    "breakdown",
    "breakdown_query",
    "count_calls",
    "filter_clauses",
    "page_of_calls",
    "tag_names",
]

STATUSES = ("ok", "error", "incomplete")
"""The statuses a call can have."""

_EMPTY: Mapping[str, str] = MappingProxyType({})
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


@dataclass(frozen=True, slots=True)
class CallFilter:
    """Which calls a query covers. Every field left None means "any"."""

    since: datetime | None = None
    """First instant included (aware UTC)."""
    until: datetime | None = None
    """First instant excluded (aware UTC)."""
    model: str | None = None
    """A model name: the catalog id that priced the call, the model the response reported or
    the one requested (so ``gpt-4o`` selects calls answered by ``gpt-4o-2024-08-06`` too);
    ``(none)`` selects calls with no model at all."""
    endpoint: str | None = None
    """API shape, e.g. ``chat.completions``."""
    tier: str | None = None
    """Tier priced (``default``, ``batch``, ``flex``...)."""
    status: str | None = None
    """``ok``, ``error`` or ``incomplete``."""
    tags: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    """Only calls carrying every one of these tags."""

    def __post_init__(self) -> None:
        if self.status is not None and self.status not in STATUSES:
            raise ValueError(f"unknown status {self.status!r}; valid: {', '.join(STATUSES)}")
        object.__setattr__(
            self, "tags", MappingProxyType({str(k): str(v) for k, v in self.tags.items()})
        )


_NONE = "(none)"


def _model_expr() -> sa.ColumnElement[Any]:
    return sa.func.coalesce(
        calls.c.model_resolved, calls.c.model, calls.c.model_requested, sa.literal(_NONE)
    )


def filter_clauses(f: CallFilter) -> list[sa.ColumnElement[bool]]:
    """The WHERE clauses selecting the calls `f` describes.

    ``(none)`` as a model, endpoint or tier selects the calls without one, matching the group
    name reports give them.
    """
    where = _window(f.since, f.until, f.tags)
    if f.model is not None:
        if f.model == _NONE:
            where.append(_model_expr() == _NONE)
        else:
            where.append(
                sa.or_(
                    calls.c.model_resolved == f.model,
                    calls.c.model == f.model,
                    calls.c.model_requested == f.model,
                )
            )
    for col, value in ((calls.c.endpoint, f.endpoint), (calls.c.tier, f.tier)):
        if value is not None:
            where.append(col.is_(None) if value == _NONE else col == value)
    if f.status is not None:
        where.append(calls.c.status == f.status)
    return where


@dataclass(frozen=True, slots=True)
class BreakdownRow:
    """Totals of the calls sharing one (day, model, endpoint, tier, price period)."""

    day: date
    """UTC day of the calls."""
    model: str
    """Model as reports group it (``(none)`` when unknown)."""
    endpoint: str
    """Endpoint (``(none)`` when unknown)."""
    tier: str
    """Tier (``(none)`` when unknown)."""
    price_since: date | None
    """First day of the price period the priced calls used (None for unpriced calls)."""
    calls: int
    """Calls (HTTP attempts), whatever their status."""
    cost_usd: Decimal | None
    """Exact sum of the priced calls; None when there is none."""
    priced_calls: int
    """Calls with a cost."""
    unpriced_calls: int
    """Calls with usage the catalog could not price."""
    error_calls: int
    """Calls the API answered with an error."""
    incomplete_calls: int
    """Streams cut before their usage arrived."""
    input_tokens: int
    """Sum of input tokens (cached included)."""
    cached_tokens: int
    """Sum of cached input tokens."""
    priced_cached_tokens: int
    """Cached input tokens of the priced calls (what caching saved money on)."""
    output_tokens: int
    """Sum of output tokens."""


def _day_expr(conn: Connection) -> sa.ColumnElement[Any]:
    if conn.dialect.name == "postgresql":
        # a date groups and sorts faster than report's to_char text, and is the same UTC day
        return sa.cast(sa.func.timezone("UTC", calls.c.created_at), sa.Date)
    expr, _ = _group_expr(conn, "day")
    return expr


def breakdown_query(conn: Connection, f: CallFilter, *, grouped: bool = True) -> sa.Select[Any]:
    """The SELECT behind `breakdown` (public so that its query plan can be checked); with
    ``grouped=False``, one row of totals whose keys are constants."""
    none = sa.literal(_NONE)
    one, zero = sa.literal(1), sa.literal(0)

    def count_if(cond: sa.ColumnElement[bool]) -> sa.ColumnElement[Any]:
        return sa.func.sum(sa.case((cond, one), else_=zero))

    keys: list[sa.ColumnElement[Any]] = [
        _day_expr(conn),
        _model_expr(),
        sa.func.coalesce(calls.c.endpoint, none),
        sa.func.coalesce(calls.c.tier, none),
        calls.c.price_since,
    ]
    if not grouped:
        keys = [sa.literal("0001-01-01"), none, none, none, sa.null()]
    priced = calls.c.cost_usd.is_not(None)
    q = sa.select(
        *keys,
        sa.func.count(),
        money_sum(conn, calls.c.cost_usd),
        sa.func.count(calls.c.cost_usd),
        count_if(sa.and_(calls.c.cost_usd.is_(None), calls.c.unpriced_reason.is_not(None))),
        count_if(calls.c.status == "error"),
        count_if(calls.c.status == "incomplete"),
        sa.func.coalesce(sa.func.sum(calls.c.input_tokens), 0),
        sa.func.coalesce(sa.func.sum(calls.c.cached_tokens), 0),
        sa.func.coalesce(sa.func.sum(sa.case((priced, calls.c.cached_tokens), else_=zero)), 0),
        sa.func.coalesce(sa.func.sum(calls.c.output_tokens), 0),
    ).where(*filter_clauses(f))
    return q.group_by(*keys) if grouped else q


def breakdown(conn: Connection, f: CallFilter, *, grouped: bool = True) -> list[BreakdownRow]:
    """The filtered calls grouped by (day, model, endpoint, tier, price period), in one scan.

    With ``grouped=False``: one row of totals over them all (day ``0001-01-01``, model,
    endpoint and tier ``(none)``, no price period), cheaper when only the totals are needed.
    """
    out = []
    for r in conn.execute(breakdown_query(conn, f, grouped=grouped)):
        ps = r[4]
        if isinstance(ps, str):  # SQLite hands a Date back as text when it is a group key
            ps = date.fromisoformat(ps[:10])
        out.append(
            BreakdownRow(
                day=date.fromisoformat(str(r[0])),
                model=str(r[1]),
                endpoint=str(r[2]),
                tier=str(r[3]),
                price_since=ps,
                calls=int(r[5]),
                cost_usd=None if r[6] is None else trim(Decimal(r[6])),
                priced_calls=int(r[7]),
                unpriced_calls=int(r[8] or 0),
                error_calls=int(r[9] or 0),
                incomplete_calls=int(r[10] or 0),
                input_tokens=int(r[11]),
                cached_tokens=int(r[12]),
                priced_cached_tokens=int(r[13]),
                output_tokens=int(r[14]),
            )
        )
    out.sort(key=lambda b: (b.day, b.model, b.endpoint, b.tier, b.price_since or date.min))
    return out


def page_of_calls(
    conn: Connection, f: CallFilter, *, limit: int, offset: int = 0
) -> list[tuple[int, CallRecord]]:
    """One page of the filtered calls, newest first, as ``(row id, record)`` pairs."""
    if limit < 1 or offset < 0:
        raise ValueError(f"need limit >= 1 and offset >= 0, got {limit} and {offset}")
    q = (
        sa.select(calls)
        .where(*filter_clauses(f))
        .order_by(calls.c.created_at.desc(), calls.c.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return [(int(row._mapping["id"]), record_from_row(row)) for row in conn.execute(q)]


def count_calls(conn: Connection, f: CallFilter, *, cap: int | None = None) -> int:
    """How many calls `f` selects; with `cap`, stop counting past it (returns at most
    ``cap + 1``, meaning "more than `cap`")."""
    where = filter_clauses(f)
    if f.since is None:
        # a bound that holds for every row, so that the planner reads the narrow window index
        # rather than the wide rows of the whole table
        where.append(calls.c.created_at >= _EPOCH)
    inner = sa.select(sa.literal(1)).select_from(calls).where(*where)
    if cap is not None:
        inner = inner.limit(cap + 1)
    q = sa.select(sa.func.count()).select_from(inner.subquery())
    return int(conn.execute(q).scalar() or 0)


def tag_names(conn: Connection) -> list[str]:
    """Every tag name in the ledger, sorted.

    A skip scan of the (name, value) index: one index probe per distinct name, however many
    tagged calls there are.
    """
    q = sa.text(
        "WITH RECURSIVE t(n) AS ("
        " SELECT (SELECT MIN(name) FROM call_tags)"
        " UNION ALL"
        " SELECT (SELECT MIN(name) FROM call_tags WHERE name > t.n) FROM t WHERE t.n IS NOT NULL"
        ") SELECT n FROM t WHERE n IS NOT NULL"
    )
    return [str(r[0]) for r in conn.execute(q)]

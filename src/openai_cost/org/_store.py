"""The SQL behind `openai_cost.org`: replace pulled buckets, and aggregate them (and the
ledger's calls) per day and group on the database, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..ledger.queries import money_sum, trim
from ..ledger.schema import ORG_COUNTS, UTCDateTime, calls, org_costs, org_usage

__all__ = [
    "cost_groups",
    "has_rows",
    "replace_costs",
    "replace_usage",
    "tracked_groups",
    "usage_groups",
]

_CHUNK = 2000


def _scope(
    table: sa.Table, since: date, until: date, projects: Sequence[str]
) -> list[sa.ColumnElement[bool]]:
    where = [table.c.day >= since, table.c.day <= until]
    if projects:
        where.append(table.c.project_id.in_(list(projects)))
    return where


def replace_usage(
    conn: Connection,
    endpoint: str,
    since: date,
    until: date,
    projects: Sequence[str],
    rows: Iterable[Mapping[str, Any]],
) -> int:
    """Delete the stored results of `endpoint` for those days (and projects), insert `rows`."""
    conn.execute(
        org_usage.delete().where(
            org_usage.c.endpoint == endpoint, *_scope(org_usage, since, until, projects)
        )
    )
    return _insert(conn, org_usage, rows)


def replace_costs(
    conn: Connection,
    since: date,
    until: date,
    projects: Sequence[str],
    rows: Iterable[Mapping[str, Any]],
) -> int:
    """Delete the stored costs of those days (and projects), insert `rows`."""
    conn.execute(org_costs.delete().where(*_scope(org_costs, since, until, projects)))
    return _insert(conn, org_costs, rows)


def _insert(conn: Connection, table: sa.Table, rows: Iterable[Mapping[str, Any]]) -> int:
    n = 0
    chunk: list[Mapping[str, Any]] = []
    for r in rows:
        chunk.append(r)
        if len(chunk) >= _CHUNK:
            conn.execute(table.insert(), chunk)
            n += len(chunk)
            chunk = []
    if chunk:
        conn.execute(table.insert(), chunk)
        n += len(chunk)
    return n


def has_rows(conn: Connection, since: date | None, until: date | None) -> bool:
    """True when any usage or cost bucket was pulled (in the window, when given)."""
    for table in (org_usage, org_costs):
        where: list[sa.ColumnElement[bool]] = []
        if since is not None:
            where.append(table.c.day >= since)
        if until is not None:
            where.append(table.c.day <= until)
        if conn.execute(sa.select(table.c.id).where(*where).limit(1)).first() is not None:
            return True
    return False


USAGE_KEYS = ("day", "endpoint", "model", "service_tier", "batch", "size", "source")
"""Columns every usage aggregate is grouped by (what pricing needs)."""


def usage_groups(
    conn: Connection,
    since: date,
    until: date,
    *,
    extra: Sequence[str] = (),
    endpoints: Sequence[str] | None = None,
) -> list[dict[str, Any]]:
    """Sums of requests and every count per day, endpoint, model, tier, batch, image size and
    source (what pricing needs), and per each column in `extra` (``project_id``...)."""
    keys = [org_usage.c[k] for k in (*USAGE_KEYS, *extra)]
    where = [org_usage.c.day >= since, org_usage.c.day <= until]
    if endpoints is not None:
        where.append(org_usage.c.endpoint.in_(list(endpoints)))
    q = (
        sa.select(
            *keys,
            sa.func.sum(org_usage.c.requests).label("requests"),
            *(sa.func.sum(org_usage.c[c]).label(c) for c in ORG_COUNTS),
        )
        .where(*where)
        .group_by(*keys)
    )
    out = []
    for r in conn.execute(q):
        d = dict(r._mapping)
        d["day"] = _as_date(d["day"])
        for c in ("requests", *ORG_COUNTS):
            d[c] = int(d[c] or 0)
        out.append(d)
    return out


def cost_groups(
    conn: Connection, since: date, until: date, *, extra: Sequence[str] = ()
) -> list[dict[str, Any]]:
    """Billed dollars and quantities per day and line item (and each column in `extra`)."""
    keys = [org_costs.c.day, org_costs.c.line_item, *(org_costs.c[k] for k in extra)]
    q = (
        sa.select(
            *keys,
            money_sum(conn, org_costs.c.amount_usd).label("amount_usd"),
            money_sum(conn, org_costs.c.quantity).label("quantity"),
            sa.func.count(org_costs.c.quantity).label("n_quantity"),
            sa.func.count().label("n"),
            sa.func.min(org_costs.c.quantity_unit).label("unit"),
            sa.func.max(org_costs.c.quantity_unit).label("unit_max"),
        )
        .where(org_costs.c.day >= since, org_costs.c.day <= until)
        .group_by(*keys)
    )
    out = []
    for r in conn.execute(q):
        d = dict(r._mapping)
        d["day"] = _as_date(d["day"])
        d["amount_usd"] = trim(Decimal(d["amount_usd"] or 0))
        complete = d["n_quantity"] == d["n"] and d["unit"] == d["unit_max"]
        d["quantity"] = (
            trim(Decimal(d["quantity"])) if complete and d["quantity"] is not None else None
        )
        out.append(d)
    return out


def _day_expr(conn: Connection) -> sa.ColumnElement[Any]:
    if conn.dialect.name == "postgresql":
        return sa.func.to_char(
            sa.func.timezone("UTC", calls.c.created_at), sa.literal("YYYY-MM-DD")
        )
    return sa.func.substr(calls.c.created_at, 1, 10)


def tracked_groups(conn: Connection, since: date, until: date) -> list[dict[str, Any]]:
    """The ledger's calls that reached a model, per UTC day, model and tier: calls, priced
    dollars and tokens."""
    start = datetime.combine(since, time(0), tzinfo=timezone.utc)
    end = datetime.combine(until + timedelta(days=1), time(0), tzinfo=timezone.utc)
    day = _day_expr(conn).label("day")
    model = sa.func.coalesce(calls.c.model_resolved, calls.c.model, calls.c.model_requested)
    created: sa.ColumnElement[Any] = calls.c.created_at
    if conn.dialect.name == "sqlite" and _mostly(conn, start, end):
        # reading most of the table through the created_at index costs a random lookup per
        # row; a plain scan is about twice as fast then (unary + hides the index from SQLite)
        created = sa.type_coerce(sa.literal_column("+calls.created_at"), UTCDateTime())
    q = (
        sa.select(
            day,
            model.label("model"),
            calls.c.tier,
            sa.func.count().label("requests"),
            money_sum(conn, calls.c.cost_usd).label("cost_usd"),
            sa.func.coalesce(sa.func.sum(calls.c.input_tokens), 0).label("input_tokens"),
            sa.func.coalesce(sa.func.sum(calls.c.output_tokens), 0).label("output_tokens"),
        )
        .where(
            created >= start,
            created < end,
            calls.c.status != "error",
        )
        .group_by(day, model, calls.c.tier)
    )
    out = []
    for r in conn.execute(q):
        d = dict(r._mapping)
        d["day"] = date.fromisoformat(str(d["day"]))
        d["cost_usd"] = trim(Decimal(d["cost_usd"] or 0))
        d["input_tokens"] = int(d["input_tokens"])
        d["output_tokens"] = int(d["output_tokens"])
        out.append(d)
    return out


def _mostly(conn: Connection, start: datetime, end: datetime) -> bool:
    """True when [start, end) spans more than a third of the calls' time range (two index
    lookups), as a cheap stand-in for "most rows"."""
    lo, hi = conn.execute(
        sa.select(sa.func.min(calls.c.created_at), sa.func.max(calls.c.created_at))
    ).one()
    if lo is None or hi is None or hi <= lo:
        return False
    covered = min(end, hi) - max(start, lo)
    return bool(covered * 3 > hi - lo)


def _as_date(v: Any) -> date:
    if isinstance(v, datetime):
        return v.date()
    if isinstance(v, date):
        return v
    return date.fromisoformat(str(v)[:10])

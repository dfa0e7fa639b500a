"""Everything the ledger asks its database, on SQLite and PostgreSQL alike.

The JSON form of a `CallRecord` lives in `_codec` (its names are re-exported here).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from decimal import Context, Decimal
from types import MappingProxyType
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..types import CallRecord
from ._codec import (
    MAX_REQUEST_ID,
    check_record,
    cost_from_dict,
    record_from_dict,
    record_to_dict,
    usage_from_dict,
)
from .schema import (
    PICO_USD,
    TOKEN_COLUMNS,
    Money,
    budget_reservations,
    call_tags,
    calls,
    pico_usd,
)

__all__ = [
    "GROUPINGS",
    "ReportRow",
    "as_utc_bound",
    "check_record",
    "insert_records",
    "record_from_dict",
    "record_from_row",
    "record_to_dict",
    "report_rows",
    "select_records",
    "spent_usd",
]

log = logging.getLogger("openai_cost.ledger")

GROUPINGS = ("model", "day", "endpoint", "tier", "tag:NAME")
"""What `report` can group by."""


def _row_values(rec: CallRecord, now: datetime) -> dict[str, Any]:
    u = rec.usage
    c = rec.cost
    row: dict[str, Any] = {
        "request_id": rec.request_id,
        "created_at": rec.created_at,
        "status": rec.status,
        "model_requested": rec.model_requested,
        "model": rec.model,
        "model_resolved": rec.model_resolved,
        "endpoint": rec.endpoint,
        "tier": rec.tier,
        "usage_json": None if u is None else json.dumps(u.to_dict(), separators=(",", ":")),
        "cost_usd": None if c is None else c.total,
        "cost_pico": None if c is None else pico_usd(c.total),
        "cost_json": None if c is None else json.dumps(c.to_dict(), separators=(",", ":")),
        "price_since": None if c is None else c.price_since,
        "unpriced_reason": rec.unpriced_reason,
        "http_status": rec.http_status,
        "latency_ms": rec.latency_ms,
        "tags_json": json.dumps(dict(rec.tags), separators=(",", ":"), sort_keys=True),
        "recorded_at": now,
    }
    for col, fld in TOKEN_COLUMNS:
        row[col] = None if u is None else getattr(u, fld)
    return row


def record_from_row(row: Any) -> CallRecord:
    """Rebuild the `CallRecord` a ``calls`` row was written from."""
    m = row._mapping
    tags = json.loads(m["tags_json"]) if m["tags_json"] else {}
    return CallRecord(
        request_id=m["request_id"],
        created_at=m["created_at"],
        status=m["status"],
        model_requested=m["model_requested"],
        model=m["model"],
        model_resolved=m["model_resolved"],
        endpoint=m["endpoint"],
        tier=m["tier"],
        usage=None if m["usage_json"] is None else usage_from_dict(json.loads(m["usage_json"])),
        cost=None if m["cost_json"] is None else cost_from_dict(json.loads(m["cost_json"])),
        unpriced_reason=m["unpriced_reason"],
        http_status=m["http_status"],
        latency_ms=m["latency_ms"],
        tags=MappingProxyType(tags),
    )


# ---------------------------------------------------------------------------------------------
# writes


def _insert(conn: Connection, table: sa.Table) -> Any:
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table)


def _attempt_dict(rec: CallRecord) -> dict[str, Any]:
    d = record_to_dict(rec)
    del d["request_id"]
    return d


def same_attempt(a: CallRecord, b: CallRecord) -> bool:
    """True when two records describe the same HTTP attempt (everything but the id equal)."""
    return _attempt_dict(a) == _attempt_dict(b)


def derived_request_id(rec: CallRecord) -> str:
    """The key a call is stored under when its request id is already taken by another call:
    the id, ``~`` and a digest of the call's content (so a replay derives the same key)."""
    digest = hashlib.sha256(
        json.dumps(_attempt_dict(rec), sort_keys=True, separators=(",", ":")).encode()
    ).hexdigest()[:13]
    return f"{rec.request_id[: MAX_REQUEST_ID - 14]}~{digest}"


def _insert_new(conn: Connection, records: Sequence[CallRecord], now: datetime) -> set[str]:
    stmt = (
        _insert(conn, calls)
        .on_conflict_do_nothing(index_elements=["request_id"])
        .returning(calls.c.request_id)
    )
    rows = [_row_values(r, now) for r in records]
    return {r[0] for r in conn.execute(stmt, rows if len(rows) > 1 else rows[0])}


def _rekey(rec: CallRecord) -> CallRecord:
    return dataclasses.replace(rec, request_id=derived_request_id(rec))


def insert_records(
    conn: Connection, records: Sequence[CallRecord], *, which: bool = False
) -> set[str]:
    """Store the records that are not stored yet, in the caller's transaction.

    A record whose request id is already stored (or repeated in `records`) is skipped when it
    is the same attempt (a replay of the spool: everything equal), so a call is never counted
    twice. A *different* call under a taken id (a proxy that reuses or invents ids) is stored
    under `derived_request_id` and logged. The running budget totals are updated in the same
    transaction (see `openai_cost.ledger._budgets`).

    Args:
        which: kept for compatibility; the ids stored are always returned.

    Returns:
        The request ids stored (derived ones included).
    """
    if not records:
        return set()
    from ._budgets import PG_LOCK_SCOPES, add_to_totals, pg_lock

    now = datetime.now(timezone.utc)
    pg_lock(conn, PG_LOCK_SCOPES, shared=True)
    new: list[CallRecord] = []
    pending = list(records)
    while pending:  # one round per repeat of an id inside the batch (usually one round)
        this: list[CallRecord] = []
        rest: list[CallRecord] = []
        seen: set[str] = set()
        for r in pending:
            (rest if r.request_id in seen else this).append(r)
            seen.add(r.request_id)
        stored_now = _insert_new(conn, this, now)
        new.extend(r for r in this if r.request_id in stored_now)
        clashes = [r for r in this if r.request_id not in stored_now]
        if clashes:
            q = sa.select(calls).where(calls.c.request_id.in_([r.request_id for r in clashes]))
            stored = {row.request_id: record_from_row(row) for row in conn.execute(q)}
            again = [
                (r.request_id, _rekey(r))
                for r in clashes
                if r.request_id in stored and not same_attempt(stored[r.request_id], r)
            ]
            if again:  # a derived key already stored holds this very call (a replay)
                more = _insert_new(conn, [r for _, r in again], now)
                for old, r in again:
                    if r.request_id in more:
                        new.append(r)
                        log.info(
                            "request id %r is already used by another call; this call is "
                            "stored as %r",
                            old,
                            r.request_id,
                        )
        pending = rest
    tag_rows = [
        {"request_id": r.request_id, "name": k, "value": v} for r in new for k, v in r.tags.items()
    ]
    if tag_rows:
        conn.execute(_insert(conn, call_tags).on_conflict_do_nothing(), tag_rows)
    add_to_totals(conn, new)
    return {r.request_id for r in new}


# ---------------------------------------------------------------------------------------------
# reads


def as_utc_bound(value: date | datetime | str | None, *, end: bool) -> datetime | None:
    """A query bound as an aware UTC datetime.

    A `datetime` is used as is (naive ones are taken as UTC). A `date` (or ``YYYY-MM-DD``)
    means the start of that day for a lower bound, and the end of that day for an upper bound
    (``end=True``), so ``until=date(2026, 1, 31)`` includes all of January 31.
    """
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value) if len(value) == 10 else datetime.fromisoformat(value)
        except ValueError as e:
            raise ValueError(f"{value!r} is not a date (YYYY-MM-DD) or ISO datetime") from e
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)
    start = datetime.combine(value, time(0), tzinfo=timezone.utc)
    if end and value == date.max:
        return None  # the end of 9999-12-31 is after every row: no upper bound
    return start + timedelta(days=1) if end else start


def _window(
    since: datetime | None, until: datetime | None, tags: Mapping[str, str] | None
) -> list[sa.ColumnElement[bool]]:
    where: list[sa.ColumnElement[bool]] = []
    if since is not None:
        where.append(calls.c.created_at >= since)
    if until is not None:
        where.append(calls.c.created_at < until)
    for name, value in (tags or {}).items():
        ct = call_tags.alias()
        where.append(
            sa.exists().where(
                ct.c.request_id == calls.c.request_id,
                ct.c.name == str(name),
                ct.c.value == str(value),
            )
        )
    return where


_SPLIT = 10**6
"""`money_sum` adds ``cost_pico // 10**6`` and ``cost_pico % 10**6`` apart, so that no sum
overflows SQLite's 64-bit integers below 9.2e12 USD per group (it raises, never wraps)."""


def money_sum(conn: Connection, col: sa.ColumnElement[Any]) -> sa.ColumnElement[Decimal]:
    """Exact SUM of the calls' cost: NUMERIC sum in PostgreSQL; in SQLite, integer sums.

    SQLite keeps money as decimal strings, which only a Python aggregate can add exactly (one
    Python call per row). Each call's cost is also stored as an exact integer of 10**-12 USD
    (``cost_pico``, see `schema.pico_usd`), which SQLite sums natively; the few costs that are
    no whole number of those units (``cost_pico`` NULL) still go through the decimal
    aggregate, called for those rows only. ``oc_money_total`` joins the parts once per group.
    `col` must be ``calls.c.cost_usd``.
    """
    if conn.dialect.name == "postgresql":
        return sa.func.sum(col, type_=Money())
    if col is not calls.c.cost_usd:
        return sa.func.oc_decimal_sum(col, type_=Money())
    pico = calls.c.cost_pico
    split: sa.ColumnElement[int] = sa.literal_column(str(_SPLIT), sa.BigInteger)
    return sa.func.oc_money_total(
        sa.func.sum(pico.op("/")(split)),  # integer division: SQLite truncates, and
        sa.func.sum(pico.op("%")(split)),  # its % keeps high * 10**6 + low == cost_pico
        sa.func.oc_decimal_sum(col).filter(sa.and_(pico.is_(None), col.is_not(None))),
        type_=Money(),
    )


def trim(d: Decimal) -> Decimal:
    """`d` without trailing zeros (never in exponent form): the same on both backends."""
    n = d.normalize()
    return n.quantize(Decimal(1)) if n.as_tuple().exponent > 0 else n  # type: ignore[operator]


class DecimalSum:
    """SQLite aggregate ``oc_decimal_sum(text)``: the exact sum as a decimal string.

    One `decimal.Context` with 80 digits of precision is kept for the whole aggregate and its
    C-level ``add`` used per row (no context manager per row: this runs once per row of every
    report, and that was most of a report's time on big ledgers).
    """

    _CTX = Context(prec=80)

    def __init__(self) -> None:
        self.total = Decimal(0)
        self.n = 0

    def step(self, value: Any) -> None:
        if value is not None:
            self.total = self._CTX.add(
                self.total, Decimal(value if isinstance(value, str) else str(value))
            )
            self.n += 1

    def finalize(self) -> str | None:
        return str(self.total) if self.n else None


def money_total(high: Any, low: Any, rest: Any) -> str | None:
    """SQLite scalar ``oc_money_total``: join the parts `money_sum` adds into one exact
    decimal string (None when the group has no cost at all).

    Args:
        high: Sum of ``cost_pico // 10**6`` (None when no row has ``cost_pico``).
        low: Sum of ``cost_pico % 10**6``.
        rest: The decimal aggregate's sum of the costs without ``cost_pico`` (or None).
    """
    if high is None and rest is None:
        return None
    total = Decimal(0)
    if high is not None:
        total = Decimal(f"{int(high) * _SPLIT + int(low)}E-{PICO_USD}")
    if rest is not None:
        total = DecimalSum._CTX.add(total, Decimal(rest))
    return str(total)


def register_sqlite_functions(con: Any) -> None:
    """Register the SQL functions `money_sum` uses on a ``sqlite3`` connection."""
    con.create_aggregate("oc_decimal_sum", 1, DecimalSum)
    con.create_function("oc_money_total", 3, money_total, deterministic=True)


def spent_usd(
    conn: Connection,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    tags: Mapping[str, str] | None = None,
) -> Decimal:
    """Sum of the priced calls in the window carrying every tag in `tags`."""
    q = sa.select(money_sum(conn, calls.c.cost_usd)).where(*_window(since, until, tags))
    total = conn.execute(q).scalar()
    return Decimal(0) if total is None else trim(Decimal(total))


@dataclass(frozen=True, slots=True)
class ReportRow:
    """Totals of one group of calls in a report."""

    group: str
    """The group's key: a model, a ``YYYY-MM-DD`` day (UTC), an endpoint, a tier or a tag
    value (``(none)`` when the calls have no such value)."""
    calls: int
    """Calls (HTTP attempts) in the group, whatever their status."""
    cost_usd: Decimal | None
    """Sum of the priced calls, USD; None when the group has unpriced calls and no priced one
    (never a made-up $0). Also spelt `total_usd`, the package's name for a total."""
    priced_calls: int
    """Calls with a cost."""
    unpriced_calls: int
    """Calls with usage the catalog could not price (see the rows' ``unpriced_reason``)."""
    error_calls: int
    """Calls the API answered with an error (not billed)."""
    incomplete_calls: int
    """Streams abandoned or cut before their usage arrived."""
    input_tokens: int
    """Sum of input tokens."""
    output_tokens: int
    """Sum of output tokens."""

    @property
    def total_usd(self) -> Decimal | None:
        """`cost_usd`: the sum of the priced calls, USD (None when none was priced)."""
        return self.cost_usd

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (money as a decimal string or null)."""
        return {
            "group": self.group,
            "calls": self.calls,
            "cost_usd": None if self.cost_usd is None else str(self.cost_usd),
            "priced_calls": self.priced_calls,
            "unpriced_calls": self.unpriced_calls,
            "error_calls": self.error_calls,
            "incomplete_calls": self.incomplete_calls,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
        }


_NONE = "(none)"


def _group_expr(conn: Connection, by: str) -> tuple[sa.ColumnElement[Any], Any]:
    """(group expression, FROM clause) for a grouping."""
    none = sa.literal(_NONE)
    if by == "model":
        return sa.func.coalesce(
            calls.c.model_resolved, calls.c.model, calls.c.model_requested, none
        ), calls
    if by == "endpoint":
        return sa.func.coalesce(calls.c.endpoint, none), calls
    if by == "tier":
        return sa.func.coalesce(calls.c.tier, none), calls
    if by == "day":
        if conn.dialect.name == "postgresql":
            expr = sa.func.to_char(
                sa.func.timezone("UTC", calls.c.created_at), sa.literal("YYYY-MM-DD")
            )
        else:
            expr = sa.func.substr(calls.c.created_at, 1, 10)
        return expr, calls
    if by.startswith("tag:") and len(by) > 4:
        name = by[4:]
        # the value from the row's own tags JSON (the same tags call_tags holds): read from the
        # window index, no join with call_tags per call
        if conn.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import JSONB

            value = sa.func.jsonb_extract_path_text(sa.cast(calls.c.tags_json, JSONB), name)
            return sa.func.coalesce(value, none), calls
        # SQLite's JSON paths match a key as written in the JSON text, where json.dumps
        # escapes non-ASCII characters: such names (and quotes, backslashes) use the join
        if name.isascii() and name.isprintable() and '"' not in name and "\\" not in name:
            text = sa.cast(sa.func.json_extract(calls.c.tags_json, f'$."{name}"'), sa.String)
            return sa.func.coalesce(text, none), calls
        ct = call_tags.alias("grouptag")
        frm = calls.outerjoin(ct, sa.and_(ct.c.request_id == calls.c.request_id, ct.c.name == name))
        return sa.func.coalesce(ct.c.value, none), frm
    raise ValueError(
        f"cannot group a report by {by!r}; valid: model, day, endpoint, tier, tag:NAME"
    )


def report_rows(
    conn: Connection,
    *,
    by: str = "model",
    since: datetime | None = None,
    until: datetime | None = None,
    tags: Mapping[str, str] | None = None,
    extra: Sequence[sa.ColumnElement[bool]] = (),
) -> list[ReportRow]:
    """Totals per group; days in order, other groups by cost (highest first).

    `extra` adds WHERE clauses (the dashboard's filters, see `views.filter_clauses`).
    """
    group, frm = _group_expr(conn, by)
    one = sa.literal(1)
    zero = sa.literal(0)

    def count_if(cond: sa.ColumnElement[bool]) -> sa.ColumnElement[Any]:
        return sa.func.sum(sa.case((cond, one), else_=zero))

    g = group.label("grp")
    q = (
        sa.select(
            g,
            sa.func.count().label("n"),
            money_sum(conn, calls.c.cost_usd).label("cost"),
            sa.func.count(calls.c.cost_usd).label("priced"),
            count_if(sa.and_(calls.c.cost_usd.is_(None), calls.c.unpriced_reason.is_not(None))),
            count_if(calls.c.status == "error"),
            count_if(calls.c.status == "incomplete"),
            sa.func.coalesce(sa.func.sum(calls.c.input_tokens), 0),
            sa.func.coalesce(sa.func.sum(calls.c.output_tokens), 0),
        )
        .select_from(frm)
        .where(*_window(since, until, tags), *extra)
        .group_by(group)
    )
    out: list[ReportRow] = []
    for r in conn.execute(q):
        cost = None if r[2] is None else trim(Decimal(r[2]))
        unpriced = int(r[4] or 0)
        if cost is None and not unpriced:
            cost = Decimal(0)  # only failed or usage-less calls: genuinely not billed
        out.append(
            ReportRow(
                group=str(r[0]),
                calls=int(r[1]),
                cost_usd=cost,
                priced_calls=int(r[3]),
                unpriced_calls=unpriced,
                error_calls=int(r[5] or 0),
                incomplete_calls=int(r[6] or 0),
                input_tokens=int(r[7]),
                output_tokens=int(r[8]),
            )
        )
    if by == "day":
        out.sort(key=lambda row: row.group)
    else:
        out.sort(key=lambda row: (-(row.cost_usd or 0), -row.calls, row.group))
    return out


def select_records(
    conn: Connection,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    tags: Mapping[str, str] | None = None,
) -> Iterator[CallRecord]:
    """The stored records in time order."""
    q = (
        sa.select(calls)
        .where(*_window(since, until, tags))
        .order_by(calls.c.created_at, calls.c.id)
    )
    for row in conn.execute(q):
        yield record_from_row(row)


# ---------------------------------------------------------------------------------------------
# budget reservations


def pending_reservations(
    conn: Connection, now: datetime, tags: Mapping[str, str] | None
) -> Decimal:
    """Sum of the unexpired reservations whose tags include every tag in `tags`."""
    q = sa.select(budget_reservations.c.amount_usd, budget_reservations.c.tags_json).where(
        budget_reservations.c.expires_at > now
    )
    want = {str(k): str(v) for k, v in (tags or {}).items()}
    total = Decimal(0)
    for amount, tags_json in conn.execute(q):
        have = json.loads(tags_json)
        if all(have.get(k) == v for k, v in want.items()):
            total += amount
    return total


def add_reservation(
    conn: Connection,
    *,
    rid: str,
    amount: Decimal,
    tags: Mapping[str, str] | None,
    now: datetime,
    expires_at: datetime,
) -> None:
    """Insert a pending reservation."""
    conn.execute(
        budget_reservations.insert().values(
            id=rid,
            amount_usd=amount,
            tags_json=json.dumps(dict(tags or {}), sort_keys=True),
            created_at=now,
            expires_at=expires_at,
        )
    )


def delete_reservation(conn: Connection, rid: str) -> bool:
    """Remove a reservation; False when it was already gone."""
    res = conn.execute(budget_reservations.delete().where(budget_reservations.c.id == rid))
    return bool(res.rowcount)


def purge_expired_reservations(conn: Connection, now: datetime) -> int:
    """Delete reservations past their expiry (their process died before settling)."""
    res = conn.execute(budget_reservations.delete().where(budget_reservations.c.expires_at <= now))
    return int(res.rowcount or 0)

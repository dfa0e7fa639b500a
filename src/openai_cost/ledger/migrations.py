"""Ordered, named, append-only schema migrations, recorded in ``_openai_cost_migrations``.

Each migration is a function ``mNNN_what(conn)`` that builds its own table definitions (never
the ones in `schema`, which describe the latest state), so an old migration keeps doing exactly
what it did when it was released. To change the schema, append a new migration and update
`schema` to match; never edit one that has shipped.

`migrate` runs the missing ones in order, in one transaction, under a lock (a PostgreSQL
advisory lock, SQLite ``BEGIN IMMEDIATE``), so several processes opening a new ledger at once
apply each migration exactly once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from decimal import Context, Decimal

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from .schema import MIGRATIONS_TABLE, Money, UTCDateTime

__all__ = ["MIGRATIONS", "PG_LOCK_MIGRATE", "applied_migrations", "migrate"]

PG_LOCK_MIGRATE = 0x6F63_0001
"""PostgreSQL advisory lock key held while migrating."""

_TOKENS = (
    "input_tokens",
    "cached_tokens",
    "cache_write_tokens",
    "output_tokens",
    "reasoning_tokens",
    "audio_input_tokens",
    "audio_output_tokens",
    "image_input_tokens",
    "image_output_tokens",
)

_ORG_DIMENSIONS = (
    "project_id",
    "user_id",
    "api_key_id",
    "model",
    "service_tier",
    "source",
    "size",
    "context_level",
    "vector_store_id",
)
# Spelled out rather than imported from `schema`: a migration must keep creating the same
# table even after `schema` grows.
_ORG_COUNTS = (
    "input_tokens",
    "cached_tokens",
    "cache_write_tokens",
    "cache_write_12h_tokens",
    "audio_input_tokens",
    "cached_audio_tokens",
    "image_input_tokens",
    "cached_image_tokens",
    "output_tokens",
    "audio_output_tokens",
    "image_output_tokens",
    "images",
    "characters",
    "seconds",
    "usage_bytes",
)


def m001_create_calls(conn: Connection) -> None:
    """The ``calls`` table: one row per billed HTTP attempt, unique by request id."""
    md = sa.MetaData()
    t = sa.Table(
        "calls",
        md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("request_id", sa.String(255), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("model_requested", sa.String(255)),
        sa.Column("model", sa.String(255)),
        sa.Column("model_resolved", sa.String(255)),
        sa.Column("endpoint", sa.String(64)),
        sa.Column("tier", sa.String(64)),
        *(sa.Column(col, sa.BigInteger) for col in _TOKENS),
        sa.Column("usage_json", sa.Text),
        sa.Column("cost_usd", Money),
        sa.Column("cost_json", sa.Text),
        sa.Column("price_since", sa.Date),
        sa.Column("unpriced_reason", sa.Text),
        sa.Column("http_status", sa.Integer),
        sa.Column("latency_ms", sa.Float),
        sa.Column("tags_json", sa.Text, nullable=False, server_default="{}"),
        sa.Column("recorded_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint("request_id", name="uq_calls_request_id"),
    )
    sa.Index("ix_calls_created_at", t.c.created_at)
    md.create_all(conn)


def m002_create_call_tags(conn: Connection) -> None:
    """The ``call_tags`` table: one row per (call, tag name), indexed by name and value."""
    md = sa.MetaData()
    t = sa.Table(
        "call_tags",
        md,
        sa.Column("request_id", sa.String(255), primary_key=True),
        sa.Column("name", sa.String(255), primary_key=True),
        sa.Column("value", sa.String(1024), nullable=False),
    )
    sa.Index("ix_call_tags_name_value", t.c.name, t.c.value)
    md.create_all(conn)


def m003_create_budget_reservations(conn: Connection) -> None:
    """The ``budget_reservations`` table: estimates of calls in flight, held against budgets."""
    md = sa.MetaData()
    t = sa.Table(
        "budget_reservations",
        md,
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("amount_usd", Money, nullable=False),
        sa.Column("tags_json", sa.Text, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("expires_at", UTCDateTime, nullable=False),
    )
    sa.Index("ix_budget_reservations_expires_at", t.c.expires_at)
    md.create_all(conn)


def m004_create_budgets_and_totals(conn: Connection) -> None:
    """The ``budgets`` table (each budget used with the ledger: its definition) and
    ``budget_totals`` (running spend per budget scope and period, kept up to date in the
    transaction that stores each call, so a budget check reads one row)."""
    md = sa.MetaData()
    sa.Table(
        "budgets",
        md,
        sa.Column("name", sa.String(255), primary_key=True),
        sa.Column("scope", sa.String(64), nullable=False, index=True),
        sa.Column("period", sa.String(16), nullable=False),
        sa.Column("tags_json", sa.Text, nullable=False),
        sa.Column("limit_usd", Money, nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )
    sa.Table(
        "budget_totals",
        md,
        sa.Column("scope", sa.String(64), primary_key=True),
        sa.Column("period_key", sa.String(16), primary_key=True),
        sa.Column("spent_usd", Money, nullable=False),
        sa.Column("calls", sa.BigInteger, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )
    md.create_all(conn)


def m005_create_org_usage_and_costs(conn: Connection) -> None:
    """``org_usage`` and ``org_costs``: buckets pulled from OpenAI's organisation Usage and
    Costs APIs (see `openai_cost.org`), one row per day and grouped result."""
    md = sa.MetaData()
    u = sa.Table(
        "org_usage",
        md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("endpoint", sa.String(40), nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("start_time", sa.BigInteger, nullable=False),
        sa.Column("end_time", sa.BigInteger, nullable=False),
        *(sa.Column(c, sa.String(255)) for c in _ORG_DIMENSIONS),
        sa.Column("batch", sa.Boolean),
        sa.Column("requests", sa.BigInteger, nullable=False, server_default="0"),
        *(sa.Column(c, sa.BigInteger, nullable=False, server_default="0") for c in _ORG_COUNTS),
        sa.Column("detail_schema", sa.String(16)),
        sa.Column("result_json", sa.Text, nullable=False),
        sa.Column("pulled_at", UTCDateTime, nullable=False),
    )
    sa.Index("ix_org_usage_day_endpoint", u.c.day, u.c.endpoint)
    c = sa.Table(
        "org_costs",
        md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("start_time", sa.BigInteger, nullable=False),
        sa.Column("end_time", sa.BigInteger, nullable=False),
        sa.Column("line_item", sa.String(512)),
        sa.Column("project_id", sa.String(255)),
        sa.Column("api_key_id", sa.String(255)),
        sa.Column("amount_usd", Money, nullable=False),
        sa.Column("currency", sa.String(16), nullable=False),
        sa.Column("quantity", Money),
        sa.Column("quantity_unit", sa.String(32)),
        sa.Column("pulled_at", UTCDateTime, nullable=False),
    )
    sa.Index("ix_org_costs_day", c.c.day)
    md.create_all(conn)


DASHBOARD_INDEX_COLUMNS = (
    "created_at",
    "model_resolved",
    "model",
    "model_requested",
    "endpoint",
    "tier",
    "status",
    "price_since",
    "cost_usd",
    "input_tokens",
    "cached_tokens",
    "output_tokens",
    "request_id",
    "tags_json",
    "unpriced_reason",
)


def m006_create_calls_dashboard_index(conn: Connection) -> None:
    """A covering index for time-window aggregates (reports, the dashboard).

    Every column a report or dashboard panel groups, filters or sums, led by ``created_at``, so
    a month of a big ledger is read from the index alone instead of the wide rows (usage and
    cost-line JSON). PostgreSQL keys it on ``created_at`` and carries the rest as INCLUDE
    columns; SQLite, without INCLUDE, keys it on all of them.
    """
    md = sa.MetaData()
    t = sa.Table(
        "calls",
        md,
        sa.Column("created_at", UTCDateTime),
        *(sa.Column(c, sa.Text) for c in DASHBOARD_INDEX_COLUMNS[1:]),
    )
    if conn.dialect.name == "postgresql":
        ix = sa.Index(
            "ix_calls_m006_window",
            t.c.created_at,
            postgresql_include=list(DASHBOARD_INDEX_COLUMNS[1:]),
        )
    else:
        ix = sa.Index("ix_calls_m006_window", *(t.c[c] for c in DASHBOARD_INDEX_COLUMNS))
    ix.create(conn)


def _pico_m007(value: object) -> int | None:
    # frozen copy of schema.pico_usd as m007 shipped it: 10**-12 USD, signed 64-bit
    if value is None:
        return None
    d = Decimal(str(value))
    if not d.is_finite():
        return None
    scaled = Context(prec=80).scaleb(d, 12)
    if scaled != scaled.to_integral_value() or abs(scaled) > 2**63 - 1:
        return None
    return int(scaled)


def m007_add_calls_cost_pico(conn: Connection) -> None:
    """``calls.cost_pico``: each cost again as an exact integer of 10**-12 USD, so that SQLite
    sums costs natively (its ``cost_usd`` is a decimal string only Python adds exactly).

    Existing rows are filled in; a cost that is no whole number of those units stays NULL (sums
    read its ``cost_usd`` instead). On SQLite, m006's covering index is rebuilt under the same
    name with ``cost_pico`` as its last column; PostgreSQL sums NUMERIC exactly and keeps it.
    """
    conn.execute(sa.text("ALTER TABLE calls ADD COLUMN cost_pico BIGINT"))
    if conn.dialect.name == "postgresql":
        conn.execute(
            sa.text(
                "UPDATE calls SET cost_pico = (cost_usd * 1000000000000)::bigint"
                " WHERE cost_usd * 1000000000000 = trunc(cost_usd * 1000000000000)"
                " AND abs(cost_usd * 1000000000000) <= 9223372036854775807"
            )
        )
        return
    rows = conn.execute(
        sa.text("SELECT id, cost_usd FROM calls WHERE cost_usd IS NOT NULL")
    ).fetchall()
    update = sa.text("UPDATE calls SET cost_pico = :p WHERE id = :i")
    batch: list[dict[str, int]] = []
    for rid, cost in rows:
        pico = _pico_m007(cost)
        if pico is not None:
            batch.append({"i": int(rid), "p": pico})
        if len(batch) >= 50_000:
            conn.execute(update, batch)
            batch = []
    if batch:
        conn.execute(update, batch)
    cols = ", ".join((*DASHBOARD_INDEX_COLUMNS, "cost_pico"))
    conn.execute(sa.text("DROP INDEX ix_calls_m006_window"))
    conn.execute(sa.text(f"CREATE INDEX ix_calls_m006_window ON calls ({cols})"))


MIGRATIONS: tuple[tuple[str, Callable[[Connection], None]], ...] = (
    ("m001_create_calls", m001_create_calls),
    ("m002_create_call_tags", m002_create_call_tags),
    ("m003_create_budget_reservations", m003_create_budget_reservations),
    ("m004_create_budgets_and_totals", m004_create_budgets_and_totals),
    ("m005_create_org_usage_and_costs", m005_create_org_usage_and_costs),
    ("m006_create_calls_dashboard_index", m006_create_calls_dashboard_index),
    ("m007_add_calls_cost_pico", m007_add_calls_cost_pico),
)
"""Every migration, in the order they apply. Append only."""

_md = sa.MetaData()
_migrations = sa.Table(
    MIGRATIONS_TABLE,
    _md,
    sa.Column("name", sa.String(255), primary_key=True),
    sa.Column("applied_at", UTCDateTime, nullable=False),
)


def applied_migrations(conn: Connection) -> list[str]:
    """Names of the migrations already applied, in the order they were applied."""
    if not sa.inspect(conn).has_table(MIGRATIONS_TABLE):
        return []
    rows = conn.execute(
        sa.select(_migrations.c.name).order_by(_migrations.c.applied_at, _migrations.c.name)
    )
    return [r[0] for r in rows]


def migrate(engine: Engine) -> list[str]:
    """Apply the missing migrations in order; return the names applied now."""
    done: list[str] = []
    with engine.connect().execution_options(sqlite_immediate=True) as conn, conn.begin():
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": PG_LOCK_MIGRATE})
        _md.create_all(conn, checkfirst=True)
        applied = {r[0] for r in conn.execute(sa.select(_migrations.c.name))}
        for name, fn in MIGRATIONS:
            if name in applied:
                continue
            fn(conn)
            conn.execute(
                _migrations.insert().values(name=name, applied_at=datetime.now(timezone.utc))
            )
            done.append(name)
    return done

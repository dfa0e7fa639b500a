"""The ledger's tables as they stand after every migration, and the column types they use.

Money is exact on both backends: ``NUMERIC(38, 18)`` in PostgreSQL, a decimal string in SQLite.
A call's cost is also kept as an exact integer of 10**-12 USD (``calls.cost_pico``), which SQLite
sums natively; the costs that are no whole number of those units are summed by an exact decimal
aggregate registered on each SQLite connection. Timestamps are UTC: ``timestamptz`` in
PostgreSQL, ISO text in SQLite.
"""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Context, Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

__all__ = [
    "MIGRATIONS_TABLE",
    "ORG_COUNTS",
    "ORG_DIMENSIONS",
    "PICO_USD",
    "TOKEN_COLUMNS",
    "Money",
    "UTCDateTime",
    "budget_reservations",
    "budget_totals",
    "budgets",
    "call_tags",
    "calls",
    "metadata",
    "org_costs",
    "org_usage",
    "pico_usd",
]

MIGRATIONS_TABLE = "_openai_cost_migrations"

MONEY_SCALE = 18
"""Decimal places PostgreSQL keeps for money (SQLite keeps the exact string)."""


class Money(TypeDecorator[Decimal]):
    """Exact USD: NUMERIC(38, 18) in PostgreSQL, a decimal string elsewhere."""

    impl = sa.String(64)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> sa.types.TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(sa.Numeric(38, MONEY_SCALE, asdecimal=True))
        return dialect.type_descriptor(sa.String(64))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if not isinstance(value, Decimal):
            raise TypeError(f"money must be a Decimal, got {type(value).__name__}")
        if dialect.name == "postgresql":
            return value
        return str(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return value if isinstance(value, Decimal) else Decimal(str(value))


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime (naive values are refused on the way in)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"ledger timestamps must be timezone-aware, got {value!r}")
        value = value.astimezone(timezone.utc)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


TOKEN_COLUMNS: tuple[tuple[str, str], ...] = (
    ("input_tokens", "input_tokens"),
    ("cached_tokens", "cached_tokens"),
    ("cache_write_tokens", "cache_write_tokens"),
    ("output_tokens", "output_tokens"),
    ("reasoning_tokens", "reasoning_tokens"),
    ("audio_input_tokens", "audio_input_tokens"),
    ("audio_output_tokens", "audio_output_tokens"),
    ("image_input_tokens", "image_input_tokens"),
    ("image_output_tokens", "image_output_tokens"),
)
"""(column, `Usage` field) pairs of the usage counts kept in their own columns."""

metadata = sa.MetaData()

calls = sa.Table(
    "calls",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("request_id", sa.String(255), nullable=False, unique=True),
    sa.Column("created_at", UTCDateTime, nullable=False, index=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("model_requested", sa.String(255)),
    sa.Column("model", sa.String(255)),
    sa.Column("model_resolved", sa.String(255)),
    sa.Column("endpoint", sa.String(64)),
    sa.Column("tier", sa.String(64)),
    *(sa.Column(col, sa.BigInteger) for col, _ in TOKEN_COLUMNS),
    sa.Column("usage_json", sa.Text),
    sa.Column("cost_usd", Money),
    sa.Column("cost_json", sa.Text),
    sa.Column("price_since", sa.Date),
    sa.Column("unpriced_reason", sa.Text),
    sa.Column("http_status", sa.Integer),
    sa.Column("latency_ms", sa.Float),
    sa.Column("tags_json", sa.Text, nullable=False, server_default="{}"),
    sa.Column("recorded_at", UTCDateTime, nullable=False),
    sa.Column("cost_pico", sa.BigInteger),
)
"""One row per call (per billed HTTP attempt). Besides the indexes above, migration m006 adds
``ix_calls_m006_window``, a covering index for time-window aggregates (see `migrations`), which
m007 rebuilds with ``cost_pico``: the cost again, as an exact integer of `PICO_USD` units (NULL
when unpriced or not a whole number of them), which SQLite sums natively."""

PICO_USD = 12
"""``cost_pico`` counts units of 10**-12 USD."""

_PICO_CTX = Context(prec=80)
_PICO_MAX = 2**63 - 1


def pico_usd(amount: Decimal | None) -> int | None:
    """`amount` as an exact integer of 10**-12 USD, or None when it is not one (more decimals,
    beyond a signed 64-bit integer, or None)."""
    if amount is None or not amount.is_finite():
        return None
    scaled = _PICO_CTX.scaleb(amount, PICO_USD)
    if scaled != scaled.to_integral_value() or abs(scaled) > _PICO_MAX:
        return None
    return int(scaled)


call_tags = sa.Table(
    "call_tags",
    metadata,
    sa.Column("request_id", sa.String(255), primary_key=True),
    sa.Column("name", sa.String(255), primary_key=True),
    sa.Column("value", sa.String(1024), nullable=False),
    sa.Index("ix_call_tags_name_value", "name", "value"),
)
"""The tags of each call, one row per tag, for filtering and grouping."""

budget_reservations = sa.Table(
    "budget_reservations",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("amount_usd", Money, nullable=False),
    sa.Column("tags_json", sa.Text, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False, index=True),
)
"""Estimated costs of calls in flight, held against budgets until the real cost is recorded."""

budgets = sa.Table(
    "budgets",
    metadata,
    sa.Column("name", sa.String(255), primary_key=True),
    sa.Column("scope", sa.String(64), nullable=False, index=True),
    sa.Column("period", sa.String(16), nullable=False),
    sa.Column("tags_json", sa.Text, nullable=False),
    sa.Column("limit_usd", Money, nullable=False),
    sa.Column("mode", sa.String(16), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)
"""Each budget used with the ledger, by name. ``scope`` identifies what it counts (its period
and tags): budgets with the same scope share one running total."""

budget_totals = sa.Table(
    "budget_totals",
    metadata,
    sa.Column("scope", sa.String(64), primary_key=True),
    sa.Column("period_key", sa.String(16), primary_key=True),
    sa.Column("spent_usd", Money, nullable=False),
    sa.Column("calls", sa.BigInteger, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)
"""Running spend of the priced calls per budget scope and period (``YYYY-MM-DD``, ``YYYY-MM``
or ``total``), updated in the transaction that stores each call."""
ORG_DIMENSIONS: tuple[str, ...] = (
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
"""Grouping fields of the organisation Usage API results kept in their own columns."""

ORG_COUNTS: tuple[str, ...] = (
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
"""Counts of a usage result, in `Usage`'s inclusive convention (see `openai_cost.org`)."""

org_usage = sa.Table(
    "org_usage",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("endpoint", sa.String(40), nullable=False),
    sa.Column("day", sa.Date, nullable=False),
    sa.Column("start_time", sa.BigInteger, nullable=False),
    sa.Column("end_time", sa.BigInteger, nullable=False),
    *(sa.Column(c, sa.String(255)) for c in ORG_DIMENSIONS),
    sa.Column("batch", sa.Boolean),
    sa.Column("requests", sa.BigInteger, nullable=False, server_default="0"),
    *(sa.Column(c, sa.BigInteger, nullable=False, server_default="0") for c in ORG_COUNTS),
    sa.Column("detail_schema", sa.String(16)),
    sa.Column("result_json", sa.Text, nullable=False),
    sa.Column("pulled_at", UTCDateTime, nullable=False),
    sa.Index("ix_org_usage_day_endpoint", "day", "endpoint"),
)
"""One grouped result of a daily bucket of an organisation Usage endpoint."""

org_costs = sa.Table(
    "org_costs",
    metadata,
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
    sa.Index("ix_org_costs_day", "day"),
)
"""One grouped result (line item, project, API key) of a daily bucket of the Costs API."""

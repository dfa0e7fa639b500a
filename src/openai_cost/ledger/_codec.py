"""The JSON form of a `CallRecord`, which round-trips exactly: money as decimal strings,
timestamps as ISO 8601 UTC. The spool journal holds it, the ``calls`` table stores its usage
and cost parts; no SQL here.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date, datetime, timezone
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from .._limits import check_count, check_money, check_tags, check_text
from ..types import CallRecord, Cost, CostLine, Usage

__all__ = [
    "check_record",
    "cost_from_dict",
    "record_from_dict",
    "record_to_dict",
    "usage_from_dict",
]

MAX_REQUEST_ID = 255
"""Longest request id (the ``calls.request_id`` column)."""
_TEXT_FIELDS = (
    ("model_requested", 255),
    ("model", 255),
    ("model_resolved", 255),
    ("endpoint", 64),
    ("tier", 64),
    ("unpriced_reason", 1_000_000),
)


def cost_from_dict(d: Mapping[str, Any]) -> Cost:
    """The inverse of `Cost.to_dict`."""
    lines = tuple(
        CostLine(
            dimension=ln["dimension"],
            units=ln["units"] if isinstance(ln["units"], int) else Decimal(ln["units"]),
            rate=Decimal(ln["rate"]),
            unit=ln["unit"],
            amount=Decimal(ln["amount_usd"]),
            kind=ln["kind"],
            note=ln.get("note"),
        )
        for ln in d["lines"]
    )
    return Cost(
        model=d["model"],
        lines=lines,
        input=Decimal(d["input_usd"]),
        output=Decimal(d["output_usd"]),
        fees=Decimal(d["fees_usd"]),
        price_since=date.fromisoformat(d["price_since"]),
        tier=d.get("tier", "default"),
        source=d.get("source", ""),
    )


def usage_from_dict(d: Mapping[str, Any]) -> Usage:
    """The inverse of `Usage.to_dict`."""
    return Usage(**d)


def check_record(rec: CallRecord) -> None:
    """Raise ValueError when `rec` cannot be stored the same on SQLite and PostgreSQL.

    Checks: a timezone-aware time, a non-empty request id, a known status, text within its
    column and free of NUL and lone surrogates, tags (see `openai_cost._limits`), token counts
    within signed 64 bits, and money finite and within NUMERIC(38, 18).
    """
    if not isinstance(rec, CallRecord):
        raise ValueError(f"expected a CallRecord, got {type(rec).__name__}")
    if not rec.request_id or not isinstance(rec.request_id, str):
        raise ValueError(f"request_id must be a non-empty string, got {rec.request_id!r}")
    rid = rec.request_id[:80]
    if not isinstance(rec.created_at, datetime) or (
        rec.created_at.tzinfo is None or rec.created_at.utcoffset() is None
    ):
        raise ValueError(
            f"created_at must be timezone-aware (UTC), got {rec.created_at!r} for request {rid!r}"
        )
    if rec.status not in ("ok", "error", "incomplete"):
        raise ValueError(
            f"status must be 'ok', 'error' or 'incomplete', got {rec.status!r} for request {rid!r}"
        )
    try:
        check_text("request_id", rec.request_id, MAX_REQUEST_ID)
        for name, limit in _TEXT_FIELDS:
            value = getattr(rec, name)
            if value is not None:
                if not isinstance(value, str):
                    raise ValueError(f"{name} must be a string, got {type(value).__name__}")
                check_text(name, value, limit)
        check_tags(rec.tags)
        u = rec.usage
        if u is not None:
            for k, v in u.to_dict().items():
                check_count(f"usage.{k}", v)
        c = rec.cost
        if c is not None:
            for name in ("input", "output", "fees", "total"):
                check_money(f"cost.{name}", getattr(c, name))
            for ln in c.lines:
                check_money(f"cost line {ln.dimension!r} amount", ln.amount)
                check_money(f"cost line {ln.dimension!r} rate", ln.rate)
                if isinstance(ln.units, Decimal):
                    check_money(f"cost line {ln.dimension!r} units", ln.units)
                else:
                    check_count(f"cost line {ln.dimension!r} units", ln.units)
        hs = rec.http_status
        if hs is not None and not (isinstance(hs, int) and 0 <= hs < 2**31):
            raise ValueError(f"http_status = {hs!r} is not an HTTP status")
        lat = rec.latency_ms
        if lat is not None and not (isinstance(lat, (int, float)) and math.isfinite(lat)):
            raise ValueError(f"latency_ms = {lat!r} is not a finite number")
    except (ValueError, TypeError) as e:
        raise ValueError(f"record {rid!r}: {e}") from None


def record_to_dict(rec: CallRecord) -> dict[str, Any]:
    """A JSON-ready dict that `record_from_dict` turns back into an equal record."""
    return {
        "request_id": rec.request_id,
        "created_at": rec.created_at.astimezone(timezone.utc).isoformat(),
        "status": rec.status,
        "model_requested": rec.model_requested,
        "model": rec.model,
        "model_resolved": rec.model_resolved,
        "endpoint": rec.endpoint,
        "tier": rec.tier,
        "usage": None if rec.usage is None else rec.usage.to_dict(),
        "cost": None if rec.cost is None else rec.cost.to_dict(),
        "unpriced_reason": rec.unpriced_reason,
        "http_status": rec.http_status,
        "latency_ms": rec.latency_ms,
        "tags": dict(rec.tags),
    }


def record_from_dict(d: Mapping[str, Any]) -> CallRecord:
    """The inverse of `record_to_dict`."""
    return CallRecord(
        request_id=d["request_id"],
        created_at=datetime.fromisoformat(d["created_at"]).astimezone(timezone.utc),
        status=d["status"],
        model_requested=d.get("model_requested"),
        model=d.get("model"),
        model_resolved=d.get("model_resolved"),
        endpoint=d.get("endpoint"),
        tier=d.get("tier"),
        usage=None if d.get("usage") is None else usage_from_dict(d["usage"]),
        cost=None if d.get("cost") is None else cost_from_dict(d["cost"]),
        unpriced_reason=d.get("unpriced_reason"),
        http_status=d.get("http_status"),
        latency_ms=d.get("latency_ms"),
        tags=MappingProxyType({str(k): str(v) for k, v in (d.get("tags") or {}).items()}),
    )

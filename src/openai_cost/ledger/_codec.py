"""The JSON form of a `CallRecord`, which round-trips exactly: money as decimal strings,
timestamps as ISO 8601 UTC. The spool journal holds it, the ``calls`` table stores its usage
and cost parts; no SQL here.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timezone
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from ..types import CallRecord, Cost, CostLine, Usage

__all__ = [
    "check_record",
    "cost_from_dict",
    "record_from_dict",
    "record_to_dict",
    "usage_from_dict",
]


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
    """Raise ValueError when `rec` cannot be stored (naive time, empty request id...)."""
    if not isinstance(rec, CallRecord):
        raise ValueError(f"expected a CallRecord, got {type(rec).__name__}")
    if not rec.request_id or not isinstance(rec.request_id, str):
        raise ValueError(f"request_id must be a non-empty string, got {rec.request_id!r}")
    if rec.created_at.tzinfo is None or rec.created_at.utcoffset() is None:
        raise ValueError(
            f"created_at must be timezone-aware (UTC), got {rec.created_at!r} "
            f"for request {rec.request_id!r}"
        )
    if rec.status not in ("ok", "error", "incomplete"):
        raise ValueError(
            f"status must be 'ok', 'error' or 'incomplete', got {rec.status!r} "
            f"for request {rec.request_id!r}"
        )


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

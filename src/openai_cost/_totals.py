"""What `summarize` returns: `Summary`, its `GroupTotal` rows and its `Problem` list."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from .types import Cost

__all__ = ["GroupTotal", "Problem", "Summary"]


@dataclass(frozen=True, slots=True)
class Problem:
    """Something that was not priced, and why."""

    kind: str
    """``malformed`` (unreadable, no usage, contradictory counts), ``unknown_model``,
    ``unpriced`` (no rate for a dimension or tier, no model named) or ``failed`` (the request
    failed: a Batch error line or non-200 line; not billed)."""
    reason: str
    """What was wrong, naming the bad value."""
    location: str | None = None
    """``file:line`` (or ``#n``, the item's position) of the (first) item concerned."""
    count: int = 1
    """How many items share this problem (unknown models and unpriced buckets are grouped)."""
    model: str | None = None
    """The model concerned, when known."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        d: dict[str, Any] = {"kind": self.kind, "reason": self.reason, "count": self.count}
        if self.location:
            d["location"] = self.location
        if self.model:
            d["model"] = self.model
        return d


@dataclass(frozen=True, slots=True)
class GroupTotal:
    """Totals of one group (one model, one day...)."""

    key: Mapping[str, str]
    """The group's values, e.g. ``{"model": "gpt-4o-mini-2024-07-18", "day": "2025-01-08"}``."""
    calls: int
    """Priced calls."""
    usage: Mapping[str, int | Decimal]
    """Summed counts by dimension (`Usage` field names, tool-call names, ``audio_seconds``);
    zeros left out."""
    input_usd: Decimal
    """Input cost, USD."""
    output_usd: Decimal
    """Output cost, USD."""
    fees_usd: Decimal
    """Tool calls, characters, minutes, images, USD."""
    costs: tuple[Cost, ...] = ()
    """The priced buckets behind this group: one `Cost` per (model, day, tier...)."""

    @property
    def total_usd(self) -> Decimal:
        """``input_usd + output_usd + fees_usd``."""
        return self.input_usd + self.output_usd + self.fees_usd

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (decimal strings)."""
        return {**self.key, **_totals(self)}


@dataclass(frozen=True, slots=True)
class Summary:
    """What `summarize` found: priced groups, totals, and everything it could not price."""

    by: tuple[str, ...]
    """The grouping fields."""
    groups: tuple[GroupTotal, ...]
    """One total per group, sorted by key."""
    records: int
    """Items read."""
    calls: int
    """Calls priced."""
    input_usd: Decimal
    """Input cost of every priced call, USD."""
    output_usd: Decimal
    """Output cost, USD."""
    fees_usd: Decimal
    """Fees, USD."""
    usage: Mapping[str, int | Decimal] = field(default_factory=dict)
    """Summed counts of every priced call."""
    unknown_models: Mapping[str, int] = field(default_factory=dict)
    """Models the catalog does not know, with how many calls named them."""
    malformed: int = 0
    """Items that could not be read (bad JSON, wrong types, no usage, contradictory counts)."""
    unpriced: int = 0
    """Calls readable but not priceable: unknown model, no rate, no model named."""
    failed: int = 0
    """Failed requests (Batch error lines, non-200 lines): not billed, not priced."""
    stream_parts: int = 0
    """Stream chunks and events without usage (their stream's usage is counted once)."""
    filtered: int = 0
    """Calls outside ``since`` / ``until`` (undated calls too, when a range is given)."""
    problems: tuple[Problem, ...] = ()
    """What could not be priced, with location and reason (at most ``max_listed`` malformed
    and failed items are listed; the counts above are always complete)."""
    unlisted: int = 0
    """Malformed and failed items left out of `problems` once ``max_listed`` were listed."""

    @property
    def total_usd(self) -> Decimal:
        """Cost of every priced call, USD."""
        return self.input_usd + self.output_usd + self.fees_usd

    @property
    def skipped(self) -> int:
        """Items read but not priced for a reason to look at: malformed + unpriced."""
        return self.malformed + self.unpriced

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (decimal strings)."""
        return {
            "by": list(self.by),
            "groups": [g.to_dict() for g in self.groups],
            "total": _totals(self),
            "records": self.records,
            "malformed": self.malformed,
            "unpriced": self.unpriced,
            "failed": self.failed,
            "stream_parts": self.stream_parts,
            "filtered": self.filtered,
            "unknown_models": dict(self.unknown_models),
            "problems": [p.to_dict() for p in self.problems],
            "problems_not_listed": self.unlisted,
        }


def _totals(t: GroupTotal | Summary) -> dict[str, Any]:
    """Calls, usage and money of a group or of everything, JSON-ready (decimal strings)."""
    return {
        "calls": t.calls,
        "usage": {k: v if isinstance(v, int) else str(v) for k, v in t.usage.items()},
        "input_usd": str(t.input_usd),
        "output_usd": str(t.output_usd),
        "fees_usd": str(t.fees_usd),
        "total_usd": str(t.total_usd),
    }

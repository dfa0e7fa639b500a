"""The typed rows `openai_cost.org` returns: reports, unpriced buckets, reconciliations."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

__all__ = [
    "FINDING_KINDS",
    "REPORT_GROUPINGS",
    "Finding",
    "OrgReport",
    "OrgReportRow",
    "OtherCharge",
    "PullSummary",
    "ReconcileRow",
    "Reconciliation",
    "UnpricedBucket",
]

REPORT_GROUPINGS = ("model", "project", "api_key", "user", "day", "tier", "line_item")
"""What `openai_cost.org.report` can group by."""

FINDING_KINDS = ("untracked", "price_drift", "unknown_model", "unpriced", "not_billed")
"""The causes `openai_cost.org.reconcile` gives a difference."""


def _s(d: Decimal | None) -> str | None:
    return None if d is None else str(d)


@dataclass(frozen=True, slots=True)
class PullSummary:
    """What one `openai_cost.org.pull` stored."""

    since: date
    """First day pulled (UTC)."""
    until: date
    """Last day pulled (UTC, included)."""
    usage_rows: dict[str, int]
    """Grouped results stored per Usage endpoint (``completions``, ``embeddings``...)."""
    cost_rows: int
    """Grouped results stored from the Costs API."""
    requests: int
    """HTTP requests made (pages, retries included)."""
    retries: int
    """Requests answered 429 and retried after ``Retry-After``."""


@dataclass(frozen=True, slots=True)
class OrgReportRow:
    """Totals of one group of pulled usage (and the billed dollars, where they can be grouped
    the same way)."""

    group: str
    """The group's key: a model id, project id, API key id, user id, ``YYYY-MM-DD`` day, tier
    or line item; ``(none)`` when the results have no such value."""
    requests: int
    """Model requests (or calls, sessions) the Usage API counted."""
    input_tokens: int
    """Input tokens (inclusive of cached, cache-write, audio and image input)."""
    output_tokens: int
    """Output tokens (inclusive of audio and image output)."""
    usage_usd: Decimal | None
    """The priced usage at each day's catalog prices; None when nothing in the group could be
    priced (never a made-up $0; see `OrgReport.unpriced`)."""
    unpriced_requests: int
    """Requests in buckets the catalog could not price (not in `usage_usd`)."""
    billed_usd: Decimal | None
    """The Costs API's dollars for the group; None when the Costs API cannot be grouped this
    way (``user``) or no costs were pulled."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (money as decimal strings or null)."""
        return {
            "group": self.group,
            "requests": self.requests,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "usage_usd": _s(self.usage_usd),
            "unpriced_requests": self.unpriced_requests,
            "billed_usd": _s(self.billed_usd),
        }


@dataclass(frozen=True, slots=True)
class UnpricedBucket:
    """Pulled usage the catalog could not price, with the reason."""

    day: date
    """The bucket's UTC day."""
    endpoint: str
    """The Usage endpoint (``completions``, ``images``...)."""
    model: str | None
    """The model the Usage API named (None when the endpoint names none)."""
    tier: str
    """``default``, ``batch``, ``flex``, ``priority`` or the service tier as reported."""
    group: str
    """The report group it belongs to."""
    requests: int
    """Requests (or calls, sessions) in it."""
    reason: str
    """Why it has no price."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "day": self.day.isoformat(),
            "endpoint": self.endpoint,
            "model": self.model,
            "tier": self.tier,
            "group": self.group,
            "requests": self.requests,
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True)
class OrgReport:
    """`openai_cost.org.report`'s answer: rows per group and the buckets left unpriced."""

    since: date
    """First day (UTC)."""
    until: date
    """Last day included (UTC)."""
    by: str
    """The grouping."""
    rows: list[OrgReportRow]
    """One row per group: days in order, other groups by dollars, highest first."""
    unpriced: list[UnpricedBucket]
    """Buckets without a price, each with its reason."""

    @property
    def usage_usd(self) -> Decimal:
        """Sum of the priced usage."""
        return sum((r.usage_usd for r in self.rows if r.usage_usd is not None), Decimal(0))

    @property
    def billed_usd(self) -> Decimal | None:
        """Sum of the billed dollars (None when the grouping has none)."""
        billed = [r.billed_usd for r in self.rows if r.billed_usd is not None]
        return sum(billed, Decimal(0)) if billed else None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "by": self.by,
            "rows": [r.to_dict() for r in self.rows],
            "totals": {
                "requests": sum(r.requests for r in self.rows),
                "input_tokens": sum(r.input_tokens for r in self.rows),
                "output_tokens": sum(r.output_tokens for r in self.rows),
                "usage_usd": str(self.usage_usd),
                "billed_usd": _s(self.billed_usd),
            },
            "unpriced": [u.to_dict() for u in self.unpriced],
        }


@dataclass(frozen=True, slots=True)
class Finding:
    """The cause given to one difference in a reconciliation row."""

    kind: str
    """``untracked``, ``price_drift``, ``unknown_model``, ``unpriced`` (a known model whose tier
    or unit the catalog cannot price) or ``not_billed``."""
    detail: str
    """One readable sentence with the figures."""
    dimension: str | None = None
    """price_drift: the rate key (``input``, ``cached_input``, ``output``...)."""
    catalog_rate: Decimal | None = None
    """price_drift: the catalog's rate for that day, USD per 1M tokens."""
    billed_rate: Decimal | None = None
    """price_drift: amount / quantity of the line item, USD per 1M tokens."""
    projects: tuple[tuple[str, int], ...] = ()
    """untracked: (project id, requests) the Usage API saw for this row, most first."""
    api_keys: tuple[tuple[str, int], ...] = ()
    """untracked: (API key id, requests) the Usage API saw for this row, most first."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: ``kind`` and ``detail`` always, the other fields where they apply."""
        d: dict[str, Any] = {"kind": self.kind}
        if self.dimension is not None:
            d["dimension"] = self.dimension
        if self.catalog_rate is not None:
            d["catalog_rate"] = str(self.catalog_rate)
        if self.billed_rate is not None:
            d["billed_rate"] = str(self.billed_rate)
        if self.projects:
            d["projects"] = [{"project_id": p, "requests": n} for p, n in self.projects]
        if self.api_keys:
            d["api_keys"] = [{"api_key_id": k, "requests": n} for k, n in self.api_keys]
        d["detail"] = self.detail
        return d


@dataclass(frozen=True, slots=True)
class ReconcileRow:
    """One UTC day, model and tier: what we tracked, what the Usage API saw, what was billed."""

    day: date
    """The UTC day."""
    model: str
    """The catalog's model id (the name as reported when the catalog does not know it)."""
    tier: str
    """``default``, ``batch``, ``flex``, ``priority``, ``scale`` or the tier as reported."""
    tracked_usd: Decimal
    """The ledger's cost of the tracked calls (priced ones)."""
    usage_usd: Decimal | None
    """The Usage API's tokens priced with the catalog; None when they cannot be priced."""
    billed_usd: Decimal
    """The Costs API's dollars attributed to this model and tier."""
    tracked_requests: int
    """Tracked calls that reached the model (status ok or incomplete)."""
    usage_requests: int
    """Model requests the Usage API counted."""
    tracked_tokens: int
    """Input + output tokens in the ledger."""
    usage_tokens: int
    """Input + output tokens the Usage API counted."""
    findings: tuple[Finding, ...] = field(default=())
    """Causes of the differences beyond the tolerance."""

    @property
    def difference_usd(self) -> Decimal:
        """The largest gap between any two of tracked, usage and billed."""
        vals = [self.tracked_usd, self.billed_usd]
        if self.usage_usd is not None:
            vals.append(self.usage_usd)
        return max(vals) - min(vals)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (money as decimal strings, usage_usd null when unpriceable)."""
        return {
            "day": self.day.isoformat(),
            "model": self.model,
            "tier": self.tier,
            "tracked_usd": str(self.tracked_usd),
            "usage_usd": _s(self.usage_usd),
            "billed_usd": str(self.billed_usd),
            "tracked_requests": self.tracked_requests,
            "usage_requests": self.usage_requests,
            "tracked_tokens": self.tracked_tokens,
            "usage_tokens": self.usage_tokens,
            "findings": [f.to_dict() for f in self.findings],
        }


@dataclass(frozen=True, slots=True)
class OtherCharge:
    """A billed line item that is not a model's tokens (tool calls, storage...)."""

    day: date
    """The UTC day."""
    line_item: str
    """The line item as the Costs API names it."""
    billed_usd: Decimal
    """Its dollars that day."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "day": self.day.isoformat(),
            "line_item": self.line_item,
            "billed_usd": str(self.billed_usd),
        }


@dataclass(frozen=True, slots=True)
class Reconciliation:
    """`openai_cost.org.reconcile`'s answer."""

    since: date
    """First day (UTC)."""
    until: date
    """Last day included (UTC)."""
    tolerance_pct: Decimal
    """Differences at or under this percentage got no finding."""
    rows: list[ReconcileRow]
    """Per day, model and tier, in day order."""
    other_charges: list[OtherCharge]
    """Billed line items that are not model tokens."""

    @property
    def tracked_usd(self) -> Decimal:
        """Total tracked."""
        return sum((r.tracked_usd for r in self.rows), Decimal(0))

    @property
    def usage_usd(self) -> Decimal:
        """Total priced usage (unpriceable rows left out: see their findings)."""
        return sum((r.usage_usd for r in self.rows if r.usage_usd is not None), Decimal(0))

    @property
    def billed_model_usd(self) -> Decimal:
        """Billed dollars attributed to models."""
        return sum((r.billed_usd for r in self.rows), Decimal(0))

    @property
    def other_charges_usd(self) -> Decimal:
        """Billed dollars that are not model tokens."""
        return sum((c.billed_usd for c in self.other_charges), Decimal(0))

    @property
    def billed_usd(self) -> Decimal:
        """Everything the Costs API billed: model tokens and other charges."""
        return self.billed_model_usd + self.other_charges_usd

    @property
    def difference_pct(self) -> Decimal:
        """|billed to models - priced usage| as a percentage of the billed model dollars
        (of the priced usage when nothing was billed; 0 when both are 0)."""
        billed, usage = self.billed_model_usd, self.usage_usd
        base = billed or usage
        if not base:
            return Decimal(0)
        return abs(billed - usage) / base * 100

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` object: since, until, totals, rows, other_charges."""
        return {
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "tolerance_pct": str(self.tolerance_pct),
            "totals": {
                "tracked_usd": str(self.tracked_usd),
                "usage_usd": str(self.usage_usd),
                "billed_usd": str(self.billed_usd),
                "billed_model_usd": str(self.billed_model_usd),
                "other_charges_usd": str(self.other_charges_usd),
                "difference_pct": str(round(self.difference_pct, 4)),
            },
            "rows": [r.to_dict() for r in self.rows],
            "other_charges": [c.to_dict() for c in self.other_charges],
        }

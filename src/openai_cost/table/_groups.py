"""One resolution per distinct (model, day, tier, batch, image key), and the rate tables.

`_resolve` turns a key into a `_Group`: the price entry, the long-context threshold, and for
both sides of the threshold the rate of every bucket in integer units of 1e-12 USD (with the
rate plans of `pricing.price`), or the error `cost_of` would raise. `_Tables` lays out every
resolved group's values as Arrow arrays that the kernel takes by group or plan id.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ..errors import OpenAICostError, PricingError
from ..pricing import _MTOK, _OWN_TABLE, _plan, normalize_tier
from ..types import BUCKETS, FEE_DIMENSIONS
from ._catalog import PRICE_SCALE

if TYPE_CHECKING:
    from ..catalog import Catalog

_UNIT = Decimal(1).scaleb(-PRICE_SCALE)
_BUCKETS = tuple(b.key for b in BUCKETS)  # pricing order: most specific first, input first
_MS_PER_MINUTE = 60_000
TOOL_COLUMNS: tuple[str, ...] = tuple(
    k for k in FEE_DIMENSIONS if k not in ("characters", "audio_minute")
)
"""Usage columns counting billable built-in tool calls (one per fee dimension)."""


def _units(rate: Decimal, per: Decimal) -> int | None:
    """``rate / per`` in units of 1e-12 USD, or None when that is not a whole number."""
    v = rate / per / _UNIT
    return int(v) if v == v.to_integral_value() else None


def _inexact(model: str, key: str, rate: Decimal, unit: str) -> str:
    return (
        f"model {model!r}: the {key} rate {rate} per {unit} has more than {PRICE_SCALE} "
        "decimal places per unit; the table kernel cannot price it exactly (use cost_of)"
    )


class _Plan:
    """The rates of one group on one side of the long-context threshold."""

    __slots__ = ("buckets", "reason")

    def __init__(self) -> None:
        self.reason: str | None = None
        # bucket -> (units per token, error)
        self.buckets: dict[str, tuple[int | None, str | None]] = {}


class _Group:
    """One distinct (model, day, tier, batch, image key) resolved."""

    __slots__ = (
        "audio",
        "chars",
        "idx",
        "image",
        "model",
        "plans",
        "reason",
        "since",
        "threshold",
        "tools",
    )

    def __init__(self) -> None:
        self.idx = -1  # row in the kernel's rate tables, once registered
        self.reason: str | None = None
        self.model: str | None = None
        self.since: date | None = None
        self.threshold: int | None = None
        self.plans: tuple[_Plan, _Plan] = (_Plan(), _Plan())
        # fees: (units per unit, error prefix, error suffix); error None when priced
        self.chars: tuple[int | None, str | None, str | None] = (None, None, None)
        self.audio: tuple[int | None, str | None, str | None] = (None, None, None)
        self.image: tuple[int | None, str | None] = (None, None)
        self.tools: dict[str, tuple[int | None, str | None, str | None]] = {}


def _failed(reason: str) -> _Group:
    g = _Group()
    g.reason = reason
    return g


def _resolve(
    cat: Catalog,
    model: str | None,
    day: date,
    tier: str | None,
    batch: bool,
    image_key: str | None,
    shared: dict[tuple[Any, ...], tuple[Any, _Group]],
) -> _Group:
    if not model:
        return _failed(
            "model= is required to price a bare usage (the usage object does not name its model)"
        )
    try:
        mp = cat.resolve(model, day)
    except OpenAICostError as e:
        return _failed(str(e))
    try:
        tname = normalize_tier(tier)
        if batch and tname in _OWN_TABLE:
            raise PricingError(
                f"batch=True cannot be combined with tier {tier!r}: Batch API calls have no "
                "service tier"
            )
    except PricingError as e:
        return _failed(str(e))
    # the rates depend on the price entry in force (the catalog shares one `ModelPrice` per
    # stretch of constant rates: its period and the catalog-wide tool fees of the day), the
    # tier and the image key only: share them (the entry is kept, so its id stays its own)
    shared_key = (id(mp), tname, batch, image_key)
    hit = shared.get(shared_key)
    if hit is not None:
        return hit[1]
    g = _Group()
    shared[shared_key] = (mp, g)
    period = mp.period
    g.model = mp.model
    g.since = period.since
    lc = period.long_context
    g.threshold = None if lc is None else lc.threshold
    if lc is None:
        g.plans = (g.plans[0], g.plans[0])  # no long-context side: both plans are the same
    for long_ctx, plan in zip((False, True), g.plans, strict=True):
        if long_ctx and lc is None:
            break
        try:
            rates = _plan(mp, tname, batch, long_ctx)
        except PricingError as e:
            plan.reason = str(e)
            continue
        for key in _BUCKETS:
            try:
                _, per_m, _ = rates.rate(key)
            except PricingError as e:
                plan.buckets[key] = (None, str(e))
                continue
            u = _units(per_m, _MTOK)
            plan.buckets[key] = (
                (u, None) if u is not None else (None, _inexact(mp.model, key, per_m, "1M tokens"))
            )
    std = period.standard

    def fee(
        key: str, per: Decimal, unit: str, what: str
    ) -> tuple[int | None, str | None, str | None]:
        if key not in std:
            return (
                None,
                f"model {mp.model!r} has no {key} rate, so ",
                f"{what} cannot be priced (prices since {period.since})",
            )
        u = _units(std[key], per)
        if u is None:
            return None, _inexact(mp.model, key, std[key], unit), None
        return u, None, None

    g.chars = fee("characters", _MTOK, "1M characters", " characters")
    g.audio = fee("audio_minute", Decimal(_MS_PER_MINUTE), "minute", " s of audio")
    for tool in TOOL_COLUMNS:
        g.tools[tool] = fee(tool, Decimal(1), FEE_DIMENSIONS[tool], f" {tool}(s)")
    if image_key is not None:
        per_image = period.per_image
        if image_key not in per_image:
            known = ", ".join(sorted(per_image)) or "none"
            g.image = (
                None,
                f"model {mp.model!r} has no per-image price for quality/size {image_key!r}; "
                f"known: {known}",
            )
        else:
            u = _units(per_image[image_key], Decimal(1))
            g.image = (
                (u, None)
                if u is not None
                else (None, _inexact(mp.model, "image", per_image[image_key], "image"))
            )
    return g


class _Tables:
    """What the kernel takes by group or plan id: every registered group's columns.

    Built once per registry size (so once per run when the batches bring no new group): the
    resolved model, price date, reasons, long-context threshold, and for every bucket and fee
    its rate in units of 1e-12 USD by plan id (``2 * group + long context``), with the errors
    as Python lists made into Arrow arrays only when a row needs one.
    """

    __slots__ = (
        "buckets",
        "fees",
        "image",
        "peak",
        "plan_reasons",
        "reasons",
        "resolved",
        "since",
        "size",
        "thresholds",
    )

    def __init__(self, pa: Any, groups: list[_Group]) -> None:
        def some(values: list[Any], typ: Any) -> Any:
            return pa.array(values, typ) if any(v is not None for v in values) else None

        self.size = len(groups)
        self.resolved = pa.array([g.model for g in groups], pa.string())
        self.since = pa.array([g.since for g in groups], pa.date32())
        self.reasons = some([g.reason for g in groups], pa.string())
        self.thresholds = some([g.threshold for g in groups], pa.int64())
        plans = [p for g in groups for p in g.plans]
        self.plan_reasons = some([p.reason for p in plans], pa.string())
        self.buckets: dict[str, tuple[Any, list[str | None]]] = {}
        for key in _BUCKETS:
            cells = [p.buckets.get(key, (None, None)) for p in plans]
            self.buckets[key] = (pa.array([u for u, _ in cells], pa.int64()), [e for _, e in cells])
        # fees do not depend on the long-context side: the same cell on both plans
        self.fees: dict[str, tuple[Any, list[str | None], list[str | None]]] = {}
        per_group: dict[str, list[tuple[int | None, str | None, str | None]]] = {
            "characters": [g.chars for g in groups],
            "audio_seconds": [g.audio for g in groups],
        }
        for tool in TOOL_COLUMNS:
            per_group[tool] = [g.tools.get(tool, (None, None, None)) for g in groups]
        for name, fee_cells in per_group.items():
            doubled = [cell for cell in fee_cells for _ in (0, 1)]
            self.fees[name] = (
                pa.array([x[0] for x in doubled], pa.int64()),
                [x[1] for x in doubled],
                [x[2] for x in doubled],
            )
        images = [cell for g in groups for cell in (g.image, g.image)]
        self.image = (pa.array([x[0] for x in images], pa.int64()), [x[1] for x in images])
        # the largest rate of any bucket or fee: bounds every product the kernel forms
        rates = [r for r, _ in self.buckets.values()] + [r for r, _, _ in self.fees.values()]
        self.peak = max(
            [0, *(x for arr in [*rates, self.image[0]] for x in arr.to_pylist() if x is not None)]
        )

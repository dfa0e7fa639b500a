"""Pure Decimal arithmetic: `Usage` x `ModelPrice` -> `Cost`.

Each inclusive total is split into exclusive buckets, most specific first, and each bucket is
priced once:

* input: cached audio, cached image, cached text, 12-hour cache writes, other cache writes,
  uncached audio, uncached image, and the rest as plain text input;
* output: audio, image, reasoning, and the rest as text output (rejected predictions stay in
  it: they bill as output);
* fees: characters, audio minutes, per-image prices, built-in tool calls.

A bucket the model has no rate for falls back to its parent's rate (cached -> uncached of the same
modality, image input -> text input, reasoning and image output -> output, 12-hour cache write ->
cache write -> input), and its line says so. Audio without an audio rate has no parent: that is
a `PricingError`.

Tiers: ``batch`` uses the period's batch table, else 50% of standard (cached tokens bill at the
batch input rate when no batch cached rate is listed: no cache discount in Batch for older
models). ``flex``, ``priority`` (alias ``fast``) and ``ultrafast`` need the model's own table.
A long-context tier replaces every rate for the whole request when input is strictly above its
threshold. Fees never change with the tier.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from .errors import PricingError
from .types import (
    BUCKETS,
    FEE_DIMENSIONS,
    Cost,
    CostLine,
    ModelPrice,
    PricePeriod,
    Rates,
    Usage,
)

__all__ = ["normalize_tier", "price"]

_MTOK = Decimal(1_000_000)
_HALF = Decimal("0.5")
_SIXTY = Decimal(60)

PARENT: Mapping[str, str] = {b.key: b.fallback for b in BUCKETS if b.fallback is not None}
"""Where a bucket without its own rate falls back to (from `BUCKETS`)."""

_CACHED = frozenset(b.key for b in BUCKETS if b.key.startswith("cached_"))

_TIER_NAMES = {
    None: "default",
    "default": "default",
    "auto": "default",
    "standard": "default",
    "flex": "flex",
    "priority": "priority",
    "fast": "priority",
    "ultrafast": "ultrafast",
    "scale": "scale",
}
_OWN_TABLE = frozenset({"flex", "priority", "ultrafast"})


def normalize_tier(tier: str | None) -> str:
    """Map a ``service_tier`` value to the tier priced (default, flex, priority, ultrafast, scale).

    Raises:
        PricingError: an unknown tier.
    """
    try:
        return _TIER_NAMES[tier]
    except (KeyError, TypeError):
        pass
    if isinstance(tier, str) and tier.lower() in _TIER_NAMES:
        return _TIER_NAMES[tier.lower()]
    raise PricingError(
        f"unknown tier {tier!r}; valid: None, 'default', 'auto', 'flex', 'priority', 'fast', "
        "'ultrafast', 'scale' (use batch=True for the Batch API)"
    )


class _Rater:
    """Looks up the rate of a token bucket in one tier of one period."""

    __slots__ = ("cached_discount", "model", "note", "std", "table", "tier")

    def __init__(
        self,
        model: str,
        tier: str,
        std: Rates,
        table: Rates | None,
        note: str | None = None,
        cached_discount: bool = False,
    ) -> None:
        self.model = model
        self.tier = tier
        self.std = std
        self.table = table
        self.note = note
        # batch only: derive cached rates at 50% too (the model lists a batch cached rate)
        self.cached_discount = cached_discount

    def rate(self, key: str) -> tuple[Decimal, str | None]:
        table = self.table
        if table is not None and key in table:
            return table[key], None
        if (
            self.tier == "batch"
            and key in self.std
            and (key not in _CACHED or self.cached_discount)
        ):
            return self.std[key] * _HALF, "batch: 50% of standard"
        parent = PARENT.get(key)
        if parent is not None:
            rate, note = self.rate(parent)
            own = f"no {key} rate: billed at {parent} rate"
            return rate, own if note is None else f"{own}; {note}"
        where = "" if self.tier == "default" else f" {self.tier}"
        raise PricingError(
            f"model {self.model!r} has no{where} rate for {key} tokens"
            + (" and no fallback" if key in ("audio_input", "audio_output") else "")
            + (f"; rates known: {', '.join(sorted(table))}" if table else "")
        )


def _rater(mp: ModelPrice, period: PricePeriod, tier: str, batch: bool, long_ctx: bool) -> _Rater:
    model = mp.model
    if tier in _OWN_TABLE and not batch:
        table = getattr(period, tier)
        if table is None:
            if tier == "ultrafast":
                raise PricingError(
                    f"no public price is known for service_tier 'ultrafast' on model {model!r} "
                    f"(prices since {period.since}); it is priced only where OpenAI publishes it"
                )
            raise PricingError(
                f"model {model!r} has no {tier} price (prices since {period.since}); "
                f"{tier} is only billed for models that offer it"
            )
    else:
        table = period.batch if batch else period.standard
    if not long_ctx:
        return _Rater(model, "batch" if batch else tier, period.standard, table)
    lc = period.long_context
    assert lc is not None
    discount = bool(period.batch and "cached_input" in period.batch)
    if batch:
        return _Rater(model, "batch", lc.standard, lc.batch, cached_discount=discount)
    if tier == "flex":
        if lc.flex is not None:
            return _Rater(model, "flex", lc.standard, lc.flex)
        return _Rater(
            model, "batch", lc.standard, lc.batch, "flex: long-context batch rate", discount
        )
    if tier == "ultrafast":
        if lc.ultrafast is None:
            raise PricingError(
                f"model {model!r} has no long-context ultrafast price: input above "
                f"{lc.threshold:,} tokens with service_tier 'ultrafast' cannot be priced"
            )
        return _Rater(model, "ultrafast", lc.standard, lc.ultrafast)
    if tier == "priority":
        if lc.priority is not None:
            return _Rater(model, "priority", lc.standard, lc.priority)
        return _Rater(
            model,
            "default",
            lc.standard,
            lc.standard,
            "priority prices exclude long context: long-context standard rate",
        )
    return _Rater(model, "default", lc.standard, lc.standard)


_TEXT_BUCKETS = ("cached_input", "input", "reasoning", "output")


class _Plan:
    """Resolved rates of one (price entry, tier, batch, long-context) combination, memoised."""

    __slots__ = ("label", "memo", "mp", "notes", "rater", "text")

    def __init__(self, mp: ModelPrice, rater: _Rater, label: str, notes: tuple[str, ...]) -> None:
        self.mp = mp
        self.rater = rater
        self.label = label
        self.notes = notes
        self.memo: dict[str, tuple[Decimal, Decimal, str | None]] = {}
        # per-token rates of a text-only usage's four buckets (cached, input, reasoning,
        # output), or None when one has no rate (`price` then looks each one up, and raises
        # only for a bucket that has tokens)
        self.text: tuple[Decimal, Decimal, Decimal, Decimal] | None = None
        try:
            c, i, r, o = (self.rate(k)[0] for k in _TEXT_BUCKETS)
        except PricingError:
            return
        self.text = (c, i, r, o)

    def rate(self, key: str) -> tuple[Decimal, Decimal, str | None]:
        """(rate per token, rate per 1M, note) for a token bucket."""
        hit = self.memo.get(key)
        if hit is None:
            rate, note = self.rater.rate(key)
            for extra in self.notes:
                note = extra if note is None else f"{note}; {extra}"
            hit = (rate.scaleb(-6), rate, note)
            self.memo[key] = hit
        return hit


_PLANS: dict[tuple[int, str, bool, bool], _Plan] = {}


def _plan(mp: ModelPrice, tname: str, batch: bool, long_ctx: bool) -> _Plan:
    key = (id(mp), tname, batch, long_ctx)
    plan = _PLANS.get(key)
    if plan is not None and plan.mp is mp:
        return plan
    period = mp.period
    rater = _rater(mp, period, tname, batch, long_ctx)
    notes: list[str] = []
    if rater.note:
        notes.append(rater.note)
    label = "batch" if batch else tname
    if tname == "scale":
        notes.append("scale tier: drawn from prepaid Scale Tier units; standard rate shown")
    if mp.note:
        notes.append(mp.note)
    if long_ctx:
        assert period.long_context is not None
        notes.append(f"input above {period.long_context.threshold:,} tokens: long-context rate")
        label += "+long_context"
    plan = _Plan(mp, rater, label, tuple(notes))
    if len(_PLANS) > 4096:
        _PLANS.clear()
    _PLANS[key] = plan
    return plan


_ZERO = Decimal(0)
_new = object.__new__
_TEXT_FIELDS = 6  # the four counts of a text-only Usage, and image size and quality
_UNIT = "1M tokens"


def price(
    usage: Usage,
    mp: ModelPrice,
    *,
    tier: str | None = None,
    batch: bool = False,
    long_context: bool | None = None,
) -> Cost:
    """Price ``usage`` with the rates of ``mp``.

    Args:
        usage: inclusive counts.
        mp: the resolved price entry (``catalog().resolve(model, at)``).
        tier: ``service_tier`` as the response reported it (None or ``default`` = standard).
        batch: price at Batch API rates.
        long_context: whether the long-context tier applies. None (the default) decides from
            ``usage.input_tokens``; pass True/False when ``usage`` sums several requests that
            were each on the same side of the threshold.

    Returns:
        A `Cost` with one line per non-empty bucket.

    Raises:
        PricingError: a bucket has no rate and no fallback; the tier is unknown or not offered;
            batch was combined with flex or priority.
    """
    tname = _TIER_NAMES.get(tier) if tier is None or type(tier) is str else None
    if tname is None:
        tname = normalize_tier(tier)
    if batch and tname in _OWN_TABLE:
        raise PricingError(
            f"batch=True cannot be combined with tier {tier!r}: Batch API calls have no "
            "service tier"
        )
    period = mp.period
    lc = period.long_context
    u = usage
    if long_context is None:
        long_context = lc is not None and u.input_tokens > lc.threshold
    else:
        long_context = long_context and lc is not None
    plan = _PLANS.get((id(mp), tname, batch, long_context))
    if plan is None or plan.mp is not mp:
        plan = _plan(mp, tname, batch, long_context)
    # the totals now (every rate looked up, so a missing one raises here); the lines are
    # written out from the same buckets and memoised rates when first read (`_lines`)
    total_in = _ZERO
    total_out = _ZERO
    fees = _ZERO
    fee_lines: tuple[CostLine, ...] = ()
    text = plan.text
    # A Usage holding four counts or fewer in its __dict__ is text-only with no fees: every
    # other field is the class-level zero (`Usage.__init__`'s text fast path stores only those
    # counts, and image size/quality; any other Usage stores every field)
    plain = len(u.__dict__) <= _TEXT_FIELDS and type(u) is Usage
    if text is not None and (
        plain
        or not (
            u.cache_write_tokens
            or u.audio_input_tokens
            or u.image_input_tokens
            or u.audio_output_tokens
            or u.image_output_tokens
        )
    ):  # text only, the commonest: `_buckets` unrolled (a test holds the two equal)
        n = u.cached_tokens
        if n:
            total_in += text[0] * n
        n = u.input_tokens - n
        if n:
            total_in += text[1] * n
        n = u.reasoning_tokens
        if n:
            total_out += text[2] * n
        n = u.output_tokens - n
        if n:
            total_out += text[3] * n
    else:
        rate = plan.rate
        memo = plan.memo
        inputs, outputs = _buckets(u)
        for key, n in inputs:
            if n:
                total_in += (memo.get(key) or rate(key))[0] * n
        for key, n in outputs:
            if n:
                total_out += (memo.get(key) or rate(key))[0] * n
    if not plain and (u.characters or u.audio_seconds or u.images or u.tool_calls):
        lines: list[CostLine] = []
        fees = _fees(u, mp, lines)
        fee_lines = tuple(lines)
    # the Cost, its lines deferred (`Cost.lines` writes them out when first read: most
    # callers read the totals only, and the lines were most of the time of a call)
    c: Cost = _new(Cost)
    d = c.__dict__
    d["model"] = mp.model
    d["input"] = total_in
    d["output"] = total_out
    d["fees"] = fees
    d["price_since"] = period.since
    d["tier"] = plan.label
    d["source"] = period.source
    d["_pending"] = (_lines, (u, plan, fee_lines))
    return c


_Buckets = tuple[tuple[str, int], ...]


def _buckets(u: Usage) -> tuple[_Buckets, _Buckets]:
    """The exclusive (bucket, count) pairs of the input and the output side, most specific
    first: `types.BUCKETS`' tree unrolled (a test holds the two equal)."""
    cached = u.cached_tokens
    if u.cache_write_tokens or u.audio_input_tokens or u.image_input_tokens:
        c_audio = u.cached_audio_tokens
        c_image = u.cached_image_tokens
        audio_in = u.audio_input_tokens - c_audio
        image_in = u.image_input_tokens - c_image
        write = u.cache_write_tokens
        write_12h = u.cache_write_12h_tokens
        inputs: _Buckets = (
            ("cached_audio_input", c_audio),
            ("cached_image_input", c_image),
            ("cached_input", cached - c_audio - c_image),
            ("cache_write_12h", write_12h),
            ("cache_write", write - write_12h),
            ("audio_input", audio_in),
            ("image_input", image_in),
            ("input", u.input_tokens - cached - write - audio_in - image_in),
        )
    else:  # the common text-only case
        inputs = (("cached_input", cached), ("input", u.input_tokens - cached))
    audio_out = u.audio_output_tokens
    image_out = u.image_output_tokens
    reasoning = u.reasoning_tokens
    if audio_out or image_out:
        outputs: _Buckets = (
            ("audio_output", audio_out),
            ("image_output", image_out),
            ("reasoning", reasoning),
            ("output", u.output_tokens - audio_out - image_out - reasoning),
        )
    else:
        outputs = (("reasoning", reasoning), ("output", u.output_tokens - reasoning))
    return inputs, outputs


def _lines(u: Usage, plan: _Plan, fee_lines: tuple[CostLine, ...]) -> tuple[CostLine, ...]:
    """One line per non-empty bucket, input then output then fees (`Cost.lines`)."""
    lines: list[CostLine] = []
    for side, buckets in zip(("input", "output"), _buckets(u), strict=True):
        for key, n in buckets:
            if n:
                per_token, r, note = plan.rate(key)
                lines.append(CostLine(key, n, r, _UNIT, per_token * n, side, note))  # type: ignore[arg-type]
    return (*lines, *fee_lines)


def _fee_rate(mp: ModelPrice, key: str, what: str) -> Decimal:
    std = mp.period.standard
    if key not in std:
        raise PricingError(
            f"model {mp.model!r} has no {key} rate, so {what} cannot be priced "
            f"(prices since {mp.period.since})"
        )
    return std[key]


def _fees(u: Usage, mp: ModelPrice, lines: list[CostLine]) -> Decimal:
    fees = Decimal(0)
    if u.characters:
        rate = _fee_rate(mp, "characters", f"{u.characters} characters")
        amount = rate * u.characters / _MTOK
        lines.append(CostLine("characters", u.characters, rate, "1M characters", amount, "fee"))
        fees += amount
    if u.audio_seconds:
        rate = _fee_rate(mp, "audio_minute", f"{u.audio_seconds} s of audio")
        amount = rate * u.audio_seconds / _SIXTY
        lines.append(
            CostLine(
                "audio_minute",
                u.audio_seconds / _SIXTY,
                rate,
                "minute",
                amount,
                "fee",
                f"{u.audio_seconds} s",
            )
        )
        fees += amount
    if u.images:
        key = f"{(u.image_quality or '').lower()}/{(u.image_size or '').lower()}"
        per_image = mp.period.per_image
        if key not in per_image:
            known = ", ".join(sorted(per_image)) or "none"
            raise PricingError(
                f"model {mp.model!r} has no per-image price for quality/size {key!r}; "
                f"known: {known}"
            )
        rate = per_image[key]
        amount = rate * u.images
        lines.append(CostLine("image", u.images, rate, "image", amount, "fee", key))
        fees += amount
    for tool, n in u.tool_calls.items():
        if not n:
            continue
        rate = _fee_rate(mp, tool, f"{n} {tool}(s)")
        amount = rate * n
        unit = FEE_DIMENSIONS.get(tool, "call")
        lines.append(CostLine(tool, n, rate, unit, amount, "fee"))
        fees += amount
    return fees

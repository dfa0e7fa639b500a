"""Pure Decimal arithmetic: `Usage` x `ModelPrice` -> `Cost`.

Each inclusive total is split into exclusive buckets, most specific first, and each bucket is
priced once:

* input: cached audio, cached image, cached text, cache writes, uncached audio, uncached image,
  and the rest as plain text input;
* output: audio, image, reasoning, and the rest as text output (rejected predictions stay in
  it: they bill as output);
* fees: characters, audio minutes, per-image prices, built-in tool calls.

A bucket the model has no rate for falls back to its parent's rate (cached -> uncached of the same
modality, image input -> text input, reasoning and image output -> output, cache write -> input),
and its line says so. Audio without an audio rate has no parent: that is a `PricingError`.

Tiers: ``batch`` uses the period's batch table, else 50% of standard (cached tokens bill at the
batch input rate when no batch cached rate is listed: no cache discount in Batch for older
models). ``flex`` and ``priority`` (alias ``fast``) need the model's own table. A long-context tier
replaces every rate for the whole request when input is strictly above its threshold. Fees never
change with the tier.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from .errors import PricingError, UsageError
from .types import FEE_DIMENSIONS, Cost, CostLine, ModelPrice, PricePeriod, Rates, Usage

__all__ = ["normalize_tier", "price"]

_MTOK = Decimal(1_000_000)
_HALF = Decimal("0.5")
_SIXTY = Decimal(60)

PARENT: Mapping[str, str] = {
    "cached_input": "input",
    "cache_write": "input",
    "cached_audio_input": "audio_input",
    "cached_image_input": "image_input",
    "image_input": "input",
    "reasoning": "output",
    "image_output": "output",
}
"""Where a bucket without its own rate falls back to."""

_CACHED = frozenset({"cached_input", "cached_audio_input", "cached_image_input"})

_TIER_NAMES = {
    None: "default",
    "default": "default",
    "auto": "default",
    "standard": "default",
    "flex": "flex",
    "priority": "priority",
    "fast": "priority",
    "scale": "scale",
}


def normalize_tier(tier: str | None) -> str:
    """Map a ``service_tier`` value to the tier priced: default, flex, priority or scale.

    Raises:
        PricingError: an unknown tier, or ``ultrafast`` (no public price).
    """
    try:
        return _TIER_NAMES[tier]
    except (KeyError, TypeError):
        pass
    if isinstance(tier, str) and tier.lower() in _TIER_NAMES:
        return _TIER_NAMES[tier.lower()]
    if tier == "ultrafast":
        raise PricingError("no public price is known for service_tier 'ultrafast'")
    raise PricingError(
        f"unknown tier {tier!r}; valid: None, 'default', 'auto', 'flex', 'priority', 'fast', "
        "'scale' (use batch=True for the Batch API)"
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
    if tier in ("flex", "priority") and not batch:
        table = period.flex if tier == "flex" else period.priority
        if table is None:
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


def price(
    usage: Usage,
    mp: ModelPrice,
    *,
    tier: str | None = None,
    batch: bool = False,
) -> Cost:
    """Price ``usage`` with the rates of ``mp``.

    Args:
        usage: inclusive counts.
        mp: the resolved price entry (``catalog().resolve(model, at)``).
        tier: ``service_tier`` as the response reported it (None or ``default`` = standard).
        batch: price at Batch API rates.

    Returns:
        A `Cost` with one line per non-empty bucket.

    Raises:
        PricingError: a bucket has no rate and no fallback; the tier is unknown or not offered;
            batch was combined with flex or priority.
    """
    tname = normalize_tier(tier)
    if batch and tname in ("flex", "priority"):
        raise PricingError(
            f"batch=True cannot be combined with tier {tier!r}: Batch API calls have no "
            "service tier"
        )
    period = mp.period
    lc = period.long_context
    long_ctx = lc is not None and usage.input_tokens > lc.threshold
    if tname == "scale":
        tier_label, scale_note = (
            "scale",
            ("scale tier: drawn from prepaid Scale Tier units; standard rate shown"),
        )
    else:
        tier_label, scale_note = ("batch" if batch else tname), None
    if long_ctx:
        tier_label += "+long_context"
    rater = _rater(mp, period, tname, batch, long_ctx)

    lines: list[CostLine] = []
    add = lines.append
    total_in = Decimal(0)
    total_out = Decimal(0)

    def token_line(key: str, units: int, kind: str) -> Decimal:
        rate, note = rater.rate(key)
        if rater.note:
            note = rater.note if note is None else f"{note}; {rater.note}"
        if scale_note:
            note = scale_note if note is None else f"{note}; {scale_note}"
        if long_ctx:
            lc_note = f"input above {lc.threshold:,} tokens: long-context rate"  # type: ignore[union-attr]
            note = lc_note if note is None else f"{note}; {lc_note}"
        amount = rate * units / _MTOK
        add(CostLine(key, units, rate, "1M tokens", amount, kind, note))  # type: ignore[arg-type]
        return amount

    u = usage
    # ---- input buckets, most specific first
    cached = u.cached_tokens
    c_audio = u.cached_audio_tokens
    c_image = u.cached_image_tokens
    audio_in = u.audio_input_tokens - c_audio
    image_in = u.image_input_tokens - c_image
    c_text = cached - c_audio - c_image
    write = u.cache_write_tokens
    text_in = u.input_tokens - cached - write - audio_in - image_in
    if text_in < 0:  # pragma: no cover - Usage validation makes this impossible
        raise UsageError("contradictory usage: input buckets exceed input_tokens")
    if c_audio:
        total_in += token_line("cached_audio_input", c_audio, "input")
    if c_image:
        total_in += token_line("cached_image_input", c_image, "input")
    if c_text:
        total_in += token_line("cached_input", c_text, "input")
    if write:
        total_in += token_line("cache_write", write, "input")
    if audio_in:
        total_in += token_line("audio_input", audio_in, "input")
    if image_in:
        total_in += token_line("image_input", image_in, "input")
    if text_in:
        total_in += token_line("input", text_in, "input")

    # ---- output buckets
    audio_out = u.audio_output_tokens
    image_out = u.image_output_tokens
    reasoning = u.reasoning_tokens
    text_out = u.output_tokens - audio_out - image_out - reasoning
    if audio_out:
        total_out += token_line("audio_output", audio_out, "output")
    if image_out:
        total_out += token_line("image_output", image_out, "output")
    if reasoning:
        total_out += token_line("reasoning", reasoning, "output")
    if text_out:
        total_out += token_line("output", text_out, "output")

    # ---- fees: never tiered
    fees = Decimal(0)
    if u.characters or u.audio_seconds or u.images or u.tool_calls:
        fees = _fees(u, mp, lines)

    return Cost(
        model=mp.model,
        lines=tuple(lines),
        input=total_in,
        output=total_out,
        fees=fees,
        price_since=period.since,
        tier=tier_label,
        source=period.source,
    )


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

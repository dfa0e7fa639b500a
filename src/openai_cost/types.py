"""Shared values: `Usage` (what a call consumed), `ModelPrice` (the rates in force), `Cost`.

Counting convention (OpenAI's own): totals are inclusive, details are subsets. `input_tokens`
includes cached, cache-write, audio and image input tokens; `output_tokens` includes reasoning,
audio and image output tokens and rejected predictions. `Usage` checks that the details fit
inside their totals and raises `UsageError` when they do not; it never clamps.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Literal, NamedTuple

from .errors import UsageError

__all__ = [
    "FEE_DIMENSIONS",
    "TIERS",
    "TOKEN_DIMENSIONS",
    "USAGE_COUNT_FIELDS",
    "Call",
    "CallRecord",
    "Cost",
    "CostLine",
    "LineKind",
    "LongContextTier",
    "ModelPrice",
    "PricePeriod",
    "ProviderID",
    "Rates",
    "Tier",
    "Usage",
]

ProviderID = Literal["openai", "azure", "custom"]
"""Providers whose price data ships with the package; any other string is accepted too."""

Tier = Literal["default", "flex", "priority", "fast", "ultrafast", "scale", "auto"]
"""Values of `service_tier` that can be priced. `fast` is the 2026 name of `priority`;
`ultrafast` is priced only for models whose data lists an Ultrafast table."""

TIERS: tuple[str, ...] = ("default", "auto", "flex", "priority", "fast", "ultrafast", "scale")
"""Every tier name `cost_of(..., tier=...)` accepts (plus `None`)."""

LineKind = Literal["input", "output", "fee"]
"""Which subtotal of a `Cost` a line adds to."""

Rates = Mapping[str, Decimal]
"""Rates of one tier keyed by dimension: per 1M tokens for token dimensions, else per unit."""

TOKEN_DIMENSIONS: tuple[str, ...] = (
    "input",
    "cached_input",
    "cache_write",
    "audio_input",
    "cached_audio_input",
    "image_input",
    "cached_image_input",
    "output",
    "reasoning",
    "audio_output",
    "image_output",
)
"""Rate keys priced per 1M tokens."""

FEE_DIMENSIONS: Mapping[str, str] = MappingProxyType(
    {
        "characters": "1M characters",
        "audio_minute": "minute",
        "web_search_call": "call",
        "web_search_preview_call": "call",
        "file_search_call": "call",
        "code_interpreter_container": "container",
    }
)
"""Rate keys that are not per token, with the unit their rate is quoted in."""

USAGE_COUNT_FIELDS: tuple[str, ...] = (
    "input_tokens",
    "output_tokens",
    "cached_tokens",
    "cache_write_tokens",
    "audio_input_tokens",
    "cached_audio_tokens",
    "image_input_tokens",
    "cached_image_tokens",
    "reasoning_tokens",
    "audio_output_tokens",
    "image_output_tokens",
    "rejected_prediction_tokens",
    "accepted_prediction_tokens",
    "characters",
    "images",
)
"""The whole-number fields of `Usage` (every field but seconds, image size/quality, tools)."""

_EMPTY: Mapping[str, int] = MappingProxyType({})
_ZERO = Decimal(0)
_setattr = object.__setattr__


def _check_count(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise UsageError(f"{name} must be a whole number, got {value!r}")
    if value < 0:
        raise UsageError(f"{name} must be >= 0, got {value!r}")


@dataclass(frozen=True, init=False)
class Usage:
    """What one call consumed, normalised across API shapes (inclusive counts).

    Build it by hand, or let `openai_cost.extract_usage` / `cost_of` read it from a response.
    """

    input_tokens: int = 0
    """All input tokens, including the cached, cache-write, audio and image ones below."""
    output_tokens: int = 0
    """All output tokens, including reasoning, audio and image output tokens."""
    cached_tokens: int = 0
    """Input tokens read from the prompt cache (all modalities). Subset of `input_tokens`."""
    cache_write_tokens: int = 0
    """Input tokens written to the prompt cache (GPT-5.6 and later bill them at 1.25x)."""
    audio_input_tokens: int = 0
    """Audio input tokens, cached ones included. Subset of `input_tokens`."""
    cached_audio_tokens: int = 0
    """Cached audio input tokens. Subset of both `cached_tokens` and `audio_input_tokens`."""
    image_input_tokens: int = 0
    """Image input tokens, cached ones included. Subset of `input_tokens`."""
    cached_image_tokens: int = 0
    """Cached image input tokens. Subset of both `cached_tokens` and `image_input_tokens`."""
    reasoning_tokens: int = 0
    """Reasoning tokens. Subset of `output_tokens`; billed at the output rate."""
    audio_output_tokens: int = 0
    """Audio output tokens. Subset of `output_tokens`."""
    image_output_tokens: int = 0
    """Image output tokens (GPT Image models). Subset of `output_tokens`."""
    rejected_prediction_tokens: int = 0
    """Predicted-output tokens that were rejected. Subset of `output_tokens`, billed as output."""
    accepted_prediction_tokens: int = 0
    """Predicted-output tokens that were accepted (informational; inside `output_tokens`)."""
    characters: int = 0
    """Input characters, for models billed per character (tts-1, tts-1-hd)."""
    audio_seconds: Decimal = _ZERO
    """Seconds of audio, for models billed per minute (whisper-1)."""
    images: int = 0
    """Images generated, for models billed per image (DALL-E 2 and 3)."""
    image_size: str | None = None
    """Size of the images above, e.g. ``"1024x1024"``."""
    image_quality: str | None = None
    """Quality of the images above, e.g. ``"standard"`` or ``"hd"``."""
    tool_calls: Mapping[str, int] = field(default_factory=lambda: _EMPTY)
    """Billable built-in tool calls by fee dimension, e.g. ``{"web_search_call": 2}``."""

    def __init__(
        self,
        input_tokens: int = 0,
        output_tokens: int = 0,
        cached_tokens: int = 0,
        cache_write_tokens: int = 0,
        audio_input_tokens: int = 0,
        cached_audio_tokens: int = 0,
        image_input_tokens: int = 0,
        cached_image_tokens: int = 0,
        reasoning_tokens: int = 0,
        audio_output_tokens: int = 0,
        image_output_tokens: int = 0,
        rejected_prediction_tokens: int = 0,
        accepted_prediction_tokens: int = 0,
        characters: int = 0,
        audio_seconds: Decimal = _ZERO,
        images: int = 0,
        image_size: str | None = None,
        image_quality: str | None = None,
        tool_calls: Mapping[str, int] | None = None,
    ) -> None:
        # Written by hand (not generated) because it is on cost_of's hot path: the common
        # text-only usage is checked in one pass and only its four counts are stored; every
        # other field keeps its class-level default (zero). That is also why Usage has no
        # __slots__: a slot cannot have a class-level default.
        s = _setattr
        if (
            type(input_tokens) is int
            and type(output_tokens) is int
            and type(cached_tokens) is int
            and type(reasoning_tokens) is int
            and 0 <= cached_tokens <= input_tokens
            and 0 <= reasoning_tokens <= output_tokens
            and not (
                cache_write_tokens
                or audio_input_tokens
                or cached_audio_tokens
                or image_input_tokens
                or cached_image_tokens
                or audio_output_tokens
                or image_output_tokens
                or rejected_prediction_tokens
                or accepted_prediction_tokens
                or characters
                or audio_seconds
                or images
                or tool_calls
            )
        ):
            d = self.__dict__
            d["input_tokens"] = input_tokens
            d["output_tokens"] = output_tokens
            d["cached_tokens"] = cached_tokens
            d["reasoning_tokens"] = reasoning_tokens
            if image_size is not None:
                s(self, "image_size", image_size)
            if image_quality is not None:
                s(self, "image_quality", image_quality)
            return
        values = locals()
        for name in _FIELDS:
            s(self, name, values[name])
        if tool_calls is None:
            s(self, "tool_calls", _EMPTY)
        self._validate()

    def _validate(self) -> None:
        for name in USAGE_COUNT_FIELDS:
            _check_count(name, getattr(self, name))
        secs = self.audio_seconds
        if not isinstance(secs, Decimal):
            if isinstance(secs, bool) or not isinstance(secs, (int, float, str)):
                raise UsageError(f"audio_seconds must be a number, got {secs!r}")
            try:
                secs = Decimal(str(secs))
            except ArithmeticError as e:
                raise UsageError(f"audio_seconds must be a number, got {secs!r}") from e
            object.__setattr__(self, "audio_seconds", secs)
        if not secs.is_finite() or secs < 0:
            raise UsageError(f"audio_seconds must be a finite number >= 0, got {secs!r}")
        if not isinstance(self.tool_calls, MappingProxyType):
            object.__setattr__(self, "tool_calls", MappingProxyType(dict(self.tool_calls)))
        for tool, n in self.tool_calls.items():
            _check_count(f"tool_calls[{tool!r}]", n)
        self._check_subsets()

    def _check_subsets(self) -> None:
        def need(small: str, a: int, big: str, b: int) -> None:
            if a > b:
                raise UsageError(
                    f"contradictory usage: {small} ({a}) > {big} ({b}); "
                    f"{small} must be a subset of {big}"
                )

        i, o = self.input_tokens, self.output_tokens
        need("cached_tokens", self.cached_tokens, "input_tokens", i)
        need(
            "cached_tokens + cache_write_tokens",
            self.cached_tokens + self.cache_write_tokens,
            "input_tokens",
            i,
        )
        need("audio_input_tokens", self.audio_input_tokens, "input_tokens", i)
        need("image_input_tokens", self.image_input_tokens, "input_tokens", i)
        need(
            "audio_input_tokens + image_input_tokens",
            self.audio_input_tokens + self.image_input_tokens,
            "input_tokens",
            i,
        )
        need("cached_audio_tokens", self.cached_audio_tokens, "cached_tokens", self.cached_tokens)
        need(
            "cached_audio_tokens",
            self.cached_audio_tokens,
            "audio_input_tokens",
            self.audio_input_tokens,
        )
        need("cached_image_tokens", self.cached_image_tokens, "cached_tokens", self.cached_tokens)
        need(
            "cached_image_tokens",
            self.cached_image_tokens,
            "image_input_tokens",
            self.image_input_tokens,
        )
        need(
            "cached_audio_tokens + cached_image_tokens",
            self.cached_audio_tokens + self.cached_image_tokens,
            "cached_tokens",
            self.cached_tokens,
        )
        # uncached text input must not go negative once every bucket is taken out
        uncached_media = (self.audio_input_tokens - self.cached_audio_tokens) + (
            self.image_input_tokens - self.cached_image_tokens
        )
        need(
            "cached_tokens + cache_write_tokens + uncached audio and image input",
            self.cached_tokens + self.cache_write_tokens + uncached_media,
            "input_tokens",
            i,
        )
        need("reasoning_tokens", self.reasoning_tokens, "output_tokens", o)
        need("audio_output_tokens", self.audio_output_tokens, "output_tokens", o)
        need("image_output_tokens", self.image_output_tokens, "output_tokens", o)
        need(
            "reasoning_tokens + audio_output_tokens + image_output_tokens",
            self.reasoning_tokens + self.audio_output_tokens + self.image_output_tokens,
            "output_tokens",
            o,
        )
        need("rejected_prediction_tokens", self.rejected_prediction_tokens, "output_tokens", o)
        if self.images and (self.image_size is None or self.image_quality is None):
            raise UsageError(
                "images need image_size and image_quality to be priced "
                "(e.g. image_size='1024x1024', image_quality='standard')"
            )

    @property
    def total_tokens(self) -> int:
        """`input_tokens + output_tokens`."""
        return self.input_tokens + self.output_tokens

    def to_dict(self) -> dict[str, Any]:
        """The non-zero fields as a JSON-ready dict (decimals as strings)."""
        out: dict[str, Any] = {}
        for name in self.__dataclass_fields__:
            v = getattr(self, name)
            if name == "tool_calls":
                if v:
                    out[name] = dict(v)
            elif isinstance(v, Decimal):
                if v:
                    out[name] = f"{v:f}"
            elif v:
                out[name] = v
        return out


_FIELDS = tuple(Usage.__dataclass_fields__)
Usage.tool_calls = _EMPTY  # class-level default, see Usage.__init__


@dataclass(frozen=True, slots=True)
class LongContextTier:
    """Rates that replace the standard ones for the whole request above a threshold."""

    threshold: int
    """Input tokens above which (strictly) the tier applies."""
    standard: Rates
    """Long-context standard rates."""
    batch: Rates | None = None
    """Long-context Batch rates; when absent, 50% of `standard`."""
    flex: Rates | None = None
    """Long-context Flex rates; when absent, the batch rates."""
    priority: Rates | None = None
    """Long-context Priority rates; when absent, `standard` (OpenAI publishes none)."""
    ultrafast: Rates | None = None
    """Long-context Ultrafast rates; when absent, long-context Ultrafast is not priced."""


@dataclass(frozen=True, slots=True)
class PricePeriod:
    """The rates of one model from one date on."""

    since: date
    """First day (UTC) these rates apply."""
    standard: Rates
    """Standard-tier rates: per 1M tokens for token dimensions, per unit for fees."""
    source: str
    """Where the figures came from."""
    since_exact: bool = True
    """False when `since` is only the first date the price was observed."""
    confidence: str | None = None
    """H, M or L as in the reference price list; None when not stated."""
    note: str | None = None
    """Anything a reader should know: derived figures, assumptions, promotions."""
    batch: Rates | None = None
    """Batch API rates; keys missing here are 50% of standard (cached: the batch input rate)."""
    flex: Rates | None = None
    """Flex rates (`service_tier="flex"`); None when the model has no Flex price."""
    priority: Rates | None = None
    """Priority / Fast rates; None when the model has no Priority price."""
    ultrafast: Rates | None = None
    """Ultrafast rates (`service_tier="ultrafast"`); None when no public price exists."""
    per_image: Mapping[str, Decimal] = field(default_factory=lambda: MappingProxyType({}))
    """Per-image prices keyed ``"quality/size"`` (DALL-E)."""
    long_context: LongContextTier | None = None
    """Long-context tier, if the model has one."""


@dataclass(frozen=True, slots=True)
class ModelPrice:
    """A model resolved at a date: the entry's identity and the price period in force."""

    model: str
    """Resolved model id (the snapshot an alias pointed to on that date)."""
    provider: str
    """Provider id, e.g. ``"openai"``."""
    period: PricePeriod
    """The price period in force on the requested date."""
    requested: str | None = None
    """The name as asked for, when it differs from `model`."""
    encoding: str | None = None
    """tiktoken encoding name for offline counting."""
    max_output_tokens: int | None = None
    """Largest output the model can produce, when known."""
    context_window: int | None = None
    """Context window in tokens, when known."""
    fine_tuned: bool = False
    """True when this is the fine-tuned inference price of a base model."""
    note: str | None = None
    """An assumption made to price the name, e.g. a dated snapshot the data lacks priced as its
    model; pricing repeats it on every cost line."""

    @property
    def price_since(self) -> date:
        """First day the rates apply (`period.since`)."""
        return self.period.since

    @property
    def rates(self) -> Rates:
        """Standard-tier rates of the period."""
        return self.period.standard


class CostLine(NamedTuple):
    """One priced bucket of a usage.

    A `NamedTuple` rather than a dataclass: `cost_of` builds several per call on its hot path,
    and a tuple is built four times faster. It is immutable all the same.

    Fields: ``dimension`` (bucket name, e.g. ``"input"``, ``"cached_input"``, ``"reasoning"``,
    ``"web_search_call"``); ``units`` (tokens, characters, minutes, calls or images in it);
    ``rate`` (USD per 1M tokens for token buckets, else per `unit`); ``unit`` (what the rate is
    quoted per: ``"1M tokens"``, ``"call"``, ``"minute"``, ``"image"``...); ``amount`` (USD);
    ``kind`` (the subtotal it adds to: input, output or fee); ``note`` (why this rate, when it
    is not the bucket's own: fallbacks, tier derivations).
    """

    dimension: str
    units: int | Decimal
    rate: Decimal
    unit: str
    amount: Decimal
    kind: LineKind
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict with decimal strings."""
        d: dict[str, Any] = {
            "dimension": self.dimension,
            "units": self.units if isinstance(self.units, int) else _dec_str(self.units),
            "rate": f"{self.rate:f}",
            "unit": self.unit,
            "amount_usd": _dec_str(self.amount),
            "kind": self.kind,
        }
        if self.note:
            d["note"] = self.note
        return d


def _dec_str(value: Decimal) -> str:
    """Exact decimal string without exponent or trailing zeros (``0.000215``, ``3``)."""
    return f"{value.normalize():f}" if value else "0"


def _usd(value: Decimal, places: int = 6) -> str:
    q = Decimal(1).scaleb(-places)
    if value and abs(value) < q:
        return f"${value.normalize():f}"
    return f"${value.quantize(q):,f}"


@dataclass(frozen=True, init=False)
class Cost:
    """The price of one usage: exact USD subtotals and one line per bucket."""

    model: str
    """Resolved model id that priced it."""
    lines: tuple[CostLine, ...]
    """One line per non-empty bucket."""
    input: Decimal
    """Sum of the input lines, USD."""
    output: Decimal
    """Sum of the output lines, USD."""
    fees: Decimal
    """Sum of non-token fees (tool calls, images, characters, minutes), USD."""
    price_since: date
    """First day of the price period used."""
    tier: str = "default"
    """Tier priced: ``default``, ``batch``, ``flex``, ``priority``, plus ``+long_context``."""
    source: str = ""
    """Source of the price period used."""

    def __init__(
        self,
        model: str,
        lines: tuple[CostLine, ...],
        input: Decimal,
        output: Decimal,
        fees: Decimal,
        price_since: date,
        tier: str = "default",
        source: str = "",
    ) -> None:
        # by hand, straight into __dict__: `cost_of` builds one per call on its hot path
        d = self.__dict__
        d["model"] = model
        d["lines"] = lines
        d["input"] = input
        d["output"] = output
        d["fees"] = fees
        d["price_since"] = price_since
        d["tier"] = tier
        d["source"] = source

    @property
    def total(self) -> Decimal:
        """`input + output + fees`, USD."""
        return self.input + self.output + self.fees

    @property
    def total_usd(self) -> Decimal:
        """Alias of `total`."""
        return self.input + self.output + self.fees

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: decimal strings, ISO date."""
        return {
            "model": self.model,
            "total_usd": _dec_str(self.total),
            "input_usd": _dec_str(self.input),
            "output_usd": _dec_str(self.output),
            "fees_usd": _dec_str(self.fees),
            "tier": self.tier,
            "price_since": self.price_since.isoformat(),
            "source": self.source,
            "lines": [line.to_dict() for line in self.lines],
        }

    def __str__(self) -> str:
        return _usd(self.total)

    def describe(self) -> str:
        """A multi-line plain-text breakdown."""
        rows = [f"{self.model} ({self.tier}, prices since {self.price_since}): {_usd(self.total)}"]
        for ln in self.lines:
            note = f"  [{ln.note}]" if ln.note else ""
            rows.append(
                f"  {ln.dimension:<22} {ln.units!s:>12} x ${ln.rate}/{ln.unit}"
                f" = {_usd(ln.amount)}{note}"
            )
        return "\n".join(rows)

    def _repr_html_(self) -> str:
        import html

        e = html.escape
        body = "".join(
            f"<tr><td>{e(ln.dimension)}</td><td style='text-align:right'>{e(str(ln.units))}</td>"
            f"<td style='text-align:right'>${e(str(ln.rate))} / {e(ln.unit)}</td>"
            f"<td style='text-align:right'>{e(_usd(ln.amount))}</td>"
            f"<td>{e(ln.note or '')}</td></tr>"
            for ln in self.lines
        )
        return (
            f"<table><caption>{e(self.model)} &middot; {e(self.tier)} &middot; prices since "
            f"{self.price_since}</caption><thead><tr><th>dimension</th><th>units</th>"
            f"<th>rate</th><th>amount</th><th>note</th></tr></thead><tbody>{body}</tbody>"
            f"<tfoot><tr><th colspan='3'>total</th><th style='text-align:right'>"
            f"{e(_usd(self.total))}</th><th></th></tr></tfoot></table>"
        )


@dataclass(frozen=True, slots=True)
class Call:
    """One API call as read from a response: what was used, by which model, when, how."""

    model: str | None
    """Model as the response reported it (None when the data did not say)."""
    usage: Usage
    """Normalised usage."""
    endpoint: str | None = None
    """API shape, e.g. ``"chat.completions"``, ``"responses"``, ``"embeddings"``."""
    service_tier: str | None = None
    """Tier the response reports (``default``, ``flex``, ``priority``...)."""
    created_at: datetime | None = None
    """When the response was created (timezone-aware UTC), from its ``created`` field."""
    batch: bool = False
    """True when the call came from a Batch API output file."""
    request_id: str | None = None
    """Response or request id, when present."""
    custom_id: str | None = None
    """Batch `custom_id`, when present."""


@dataclass(frozen=True, slots=True)
class CallRecord:
    """One row of the ledger: a tracked (or imported) call, priced or not."""

    request_id: str
    """Unique id of the billed attempt (response id or ``x-request-id``); the ledger never
    stores the same id twice."""
    created_at: datetime
    """When the call was made (timezone-aware UTC)."""
    status: str
    """``ok``, ``error`` (the API answered with an error: no cost) or ``incomplete`` (a stream
    abandoned or cut before its usage arrived)."""
    model_requested: str | None = None
    """Model named in the request (an Azure deployment name, an alias...)."""
    model: str | None = None
    """Model as the response reported it."""
    model_resolved: str | None = None
    """Catalog id that priced it (None when unpriced)."""
    endpoint: str | None = None
    """API shape, e.g. ``chat.completions``, ``responses``, ``embeddings``."""
    tier: str | None = None
    """Tier priced (``default``, ``flex``, ``priority``, ``batch``...)."""
    usage: Usage | None = None
    """Normalised usage (None when the response carried none)."""
    cost: Cost | None = None
    """The priced cost (None when unpriced or failed)."""
    unpriced_reason: str | None = None
    """Why there is no cost although usage exists (unknown model, no rate...)."""
    http_status: int | None = None
    """HTTP status of the attempt."""
    latency_ms: float | None = None
    """Wall time of the HTTP attempt in milliseconds."""
    tags: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    """Caller's tags (project, user, feature...)."""

    @property
    def total_usd(self) -> Decimal | None:
        """The cost's total, or None when unpriced."""
        return None if self.cost is None else self.cost.total

    @property
    def price_since(self) -> date | None:
        """First day of the price period used, or None when unpriced."""
        return None if self.cost is None else self.cost.price_since

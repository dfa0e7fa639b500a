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
from decimal import Context, Decimal
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from .errors import UsageError

__all__ = [
    "BUCKETS",
    "BUCKET_INSIDE",
    "FEE_DIMENSIONS",
    "MAX_TIMESTAMP",
    "TOKEN_DIMENSIONS",
    "USAGE_COUNT_FIELDS",
    "Bucket",
    "Call",
    "CallRecord",
    "Cost",
    "CostLine",
    "LineKind",
    "LongContextTier",
    "ModelPrice",
    "PricePeriod",
    "Rates",
    "Usage",
]

"""Every tier name `cost_of(..., tier=...)` accepts (plus `None`)."""

LineKind = Literal["input", "output", "fee"]
"""Which subtotal of a `Cost` a line adds to."""

Rates = Mapping[str, Decimal]
"""Rates of one tier keyed by dimension: per 1M tokens for token dimensions, else per unit."""

TOKEN_DIMENSIONS: tuple[str, ...] = (
    "input",
    "cached_input",
    "cache_write",
    "cache_write_12h",
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

MAX_TIMESTAMP = 253402300799
"""The last Unix second a `datetime` holds (9999-12-31T23:59:59Z): later ``created`` values are
refused as out of range."""

USAGE_COUNT_FIELDS: tuple[str, ...] = (
    "input_tokens",
    "output_tokens",
    "cached_tokens",
    "cache_write_tokens",
    "cache_write_12h_tokens",
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


class Bucket(NamedTuple):
    """One exclusive token bucket of the usage tree (see `BUCKETS`)."""

    key: str
    """Its rate key (a `TOKEN_DIMENSIONS` name) and the name of its cost line."""
    field: str
    """The `Usage` field that counts it, inclusive of the buckets inside it."""
    within: tuple[str, ...]
    """The buckets whose counts include this one (cached audio is cached and audio)."""
    fallback: str | None
    """The bucket whose rate bills it when the model has no rate for it; None: an error."""


BUCKETS: tuple[Bucket, ...] = (
    Bucket(
        "cached_audio_input", "cached_audio_tokens", ("cached_input", "audio_input"), "audio_input"
    ),
    Bucket(
        "cached_image_input", "cached_image_tokens", ("cached_input", "image_input"), "image_input"
    ),
    Bucket("cached_input", "cached_tokens", ("input",), "input"),
    Bucket("cache_write_12h", "cache_write_12h_tokens", ("cache_write",), "cache_write"),
    Bucket("cache_write", "cache_write_tokens", ("input",), "input"),
    Bucket("audio_input", "audio_input_tokens", ("input",), None),
    Bucket("image_input", "image_input_tokens", ("input",), "input"),
    Bucket("input", "input_tokens", (), None),
    Bucket("audio_output", "audio_output_tokens", ("output",), None),
    Bucket("image_output", "image_output_tokens", ("output",), "output"),
    Bucket("reasoning", "reasoning_tokens", ("output",), "output"),
    Bucket("output", "output_tokens", (), None),
)
"""The usage-bucket tree, declared once: each token bucket, the `Usage` field counting it, the
buckets it lies within, and where its rate falls back to. Most specific first on each side
(input, then output), the order `price` bills them in. `Usage` checks its counts against it,
`pricing` takes its fallbacks from it (and a test holds its unrolled buckets to
`exclusive_counts`), the catalog its rule that a cached rate is at most the rate it discounts.
"""

_BY_KEY = {b.key: b for b in BUCKETS}
_FIELD_KEY = {b.field: b.key for b in BUCKETS}


def _closure(key: str) -> frozenset[str]:
    out: set[str] = set()
    todo = list(_BY_KEY[key].within)
    while todo:
        k = todo.pop()
        if k not in out:
            out.add(k)
            todo.extend(_BY_KEY[k].within)
    return frozenset(out)


BUCKET_INSIDE: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {b.key: tuple(c.key for c in BUCKETS if b.key in _closure(c.key)) for b in BUCKETS}
)
"""Bucket -> every bucket strictly inside it, in `BUCKETS` order (derived)."""

# part <= whole for every edge of the tree, and rejected predictions (billed as output, no
# bucket of their own)
_SUBSET_CHECKS: tuple[tuple[str, str], ...] = (
    *((b.field, _BY_KEY[c].field) for b in BUCKETS for c in b.within),
    ("rejected_prediction_tokens", "output_tokens"),
)
# every bucket with buckets inside: the fields of its direct members (named in the error, in
# `Usage` field order), whose exclusive counts together must fit in it
_SUM_CHECKS: tuple[tuple[str, str], ...] = tuple(
    (
        b.field,
        " + ".join(
            sorted((m.field for m in BUCKETS if b.key in m.within), key=USAGE_COUNT_FIELDS.index)
        ),
    )
    for b in BUCKETS
    if BUCKET_INSIDE[b.key]
)


_TREE_FIELDS = tuple(dict.fromkeys(f for pair in _SUBSET_CHECKS for f in pair))
_PLAN = tuple((b.key, b.field, BUCKET_INSIDE[b.key]) for b in BUCKETS)


def _exclusive(v: Mapping[str, int]) -> dict[str, int]:
    excl: dict[str, int] = {}
    for key, field_, inside in _PLAN:
        n = v[field_]
        for k in inside:
            n -= excl[k]
        excl[key] = n
    return excl


def exclusive_counts(u: Usage) -> list[tuple[str, int]]:
    """(bucket, exclusive count) for every bucket of `BUCKETS`, in its order: the count of its
    field less the exclusive counts of the buckets inside it."""
    return list(_exclusive({f: getattr(u, f) for f in _TREE_FIELDS}).items())


def _compile_checks() -> Any:
    """`bucket_problem`'s body written out from the tree (straight-line code: about three
    times faster than looping over the tables on `Usage`'s slow path)."""
    lines = ["def check(u):"]
    lines += [f"    {f} = u.{f}" for f in _TREE_FIELDS]
    for small, big in _SUBSET_CHECKS:
        lines.append(f"    if {small} > {big}: return _part({small!r}, {small}, {big!r}, {big})")
    for key, field_, inside in _PLAN:
        lines.append(f"    x_{key} = {field_}" + "".join(f" - x_{k}" for k in inside))
    for whole, members in _SUM_CHECKS:
        key = _FIELD_KEY[whole]
        lines.append(
            f"    if x_{key} < 0: return _part({members!r}, {whole} - x_{key}, {whole!r}, {whole})"
        )
    lines.append("    return None")
    ns: dict[str, Any] = {"_part": _part}
    exec("\n".join(lines), ns)  # our own constant tables, compiled once at import
    return ns["check"]


def _part(small: str, a: int, big: str, b: int) -> str:
    return f"contradictory usage: {small} ({a}) > {big} ({b}); {small} must be a subset of {big}"


_check_tree = _compile_checks()


def bucket_problem(u: Usage) -> str | None:
    """Why the counts of ``u`` contradict `BUCKETS` (a part larger than its whole, or parts
    that together exceed it), or None when they fit."""
    problem: str | None = _check_tree(u)
    return problem


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
    """Input tokens written to the prompt cache (GPT-5.6 and later bill them at 1.25x), of
    every retention class."""
    cache_write_12h_tokens: int = 0
    """Of `cache_write_tokens`, those written with 12-hour retention (Responses
    ``cache_write_tokens_details.ttl_12h_tokens``); billed at their own rate where a model has
    one, else at the cache-write rate. The rest are 30-minute writes."""
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
        cache_write_12h_tokens: int = 0,
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
                or cache_write_12h_tokens
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
        # the whole tree; `__init__` checks text-only usages in its own shortcut, which a test
        # holds to `bucket_problem`
        problem = bucket_problem(self)
        if problem is not None:
            raise UsageError(problem)
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


def format_usd(value: Decimal, places: int = 6) -> str:
    """``$0.006500``: USD with six decimals (more when a non-zero amount would round to 0).
    The one money formatter: `Cost`'s renderings and the CLI's tables use it."""
    if not value.is_finite():
        return f"${value}"
    q = Decimal(1).scaleb(-places)
    if value and abs(value) < q:
        return f"${value.normalize():f}"
    # enough digits for any amount: the default 28 cannot hold $1e25 to six decimals
    ctx = Context(prec=max(28, value.adjusted() + places + 2))
    return f"${value.quantize(q, context=ctx):,f}"


def format_rate(rate: Decimal) -> str:
    """A rate without trailing zeros beyond two decimals (``2.50``, ``0.075``, ``0.0625``)."""
    s = f"{rate.normalize():f}"
    if "." not in s:
        return s + ".00"
    whole, frac = s.split(".")
    return f"{whole}.{frac.ljust(2, '0')}"


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

    if not TYPE_CHECKING:  # mypy keeps checking every other attribute name

        def __getattr__(self, name: str) -> Any:
            # the lines `pricing.price` defers (its totals and rates were checked then)
            pending = self.__dict__.get("_pending") if name == "lines" else None
            if pending is None:
                raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
            self.__dict__["lines"] = lines = pending[0](*pending[1])
            return lines

    def __getstate__(self) -> dict[str, Any]:  # pickles and copies hold the lines written out
        return {k: v for k, v in self.__dict__.items() if k != "_pending"} | {"lines": self.lines}

    @property
    def total(self) -> Decimal:
        """`input + output + fees`, USD."""
        return self.input + self.output + self.fees

    # Money fields carry their unit in their name across the package (`Summary.total_usd`,
    # `ReportRow.total_usd`, `Estimate.total_max_usd`, `Session.total_usd`); `Cost` keeps its
    # short field names (DESIGN.md's public API) with these as the unit-named spellings.

    @property
    def total_usd(self) -> Decimal:
        """`total`, USD."""
        return self.total

    @property
    def input_usd(self) -> Decimal:
        """`input`, USD."""
        return self.input

    @property
    def output_usd(self) -> Decimal:
        """`output`, USD."""
        return self.output

    @property
    def fees_usd(self) -> Decimal:
        """`fees`, USD."""
        return self.fees

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
        return format_usd(self.total)

    @property
    def title(self) -> str:
        """``gpt-4o · default · prices since 2024-08-06``: what priced it."""
        return f"{self.model} · {self.tier} · prices since {self.price_since}"

    def rows(self) -> list[tuple[str, str, str, str, str]]:
        """(dimension, units, rate, amount, note) of each line, as text: the data that
        `describe`, `_repr_html_` and `__rich__` lay out."""
        return [
            (
                ln.dimension,
                f"{ln.units:,}" if isinstance(ln.units, int) else f"{ln.units:.4f}",
                f"${format_rate(ln.rate)} / {ln.unit}",
                format_usd(ln.amount),
                ln.note or "",
            )
            for ln in self.lines
        ]

    def describe(self) -> str:
        """A multi-line plain-text breakdown."""
        out = [f"{self.title}: {format_usd(self.total)}"]
        for dim, units, rate, amount, note in self.rows():
            out.append(
                f"  {dim:<22} {units:>12} x {rate} = {amount}" + (f"  [{note}]" if note else "")
            )
        return "\n".join(out)

    def _repr_html_(self) -> str:
        import html

        e = html.escape
        right = "<td style='text-align:right'>"
        body = "".join(
            f"<tr><td>{e(dim)}</td>{right}{e(units)}</td>{right}{e(rate)}</td>"
            f"{right}{e(amount)}</td><td>{e(note)}</td></tr>"
            for dim, units, rate, amount, note in self.rows()
        )
        return (
            f"<table><caption>{e(self.title)}</caption><thead><tr><th>dimension</th>"
            f"<th>units</th><th>rate</th><th>amount</th><th>note</th></tr></thead>"
            f"<tbody>{body}</tbody><tfoot><tr><th colspan='3'>total</th>"
            f"<th style='text-align:right'>{e(format_usd(self.total))}</th><th></th></tr>"
            f"</tfoot></table>"
        )

    def __rich__(self) -> Any:
        """A rich ``Table`` of the lines and the total (rich is imported here, when used)."""
        from rich.table import Table

        table = Table(title=self.title, title_justify="left")
        table.add_column("dimension")
        table.add_column("units", justify="right")
        table.add_column("rate", justify="right")
        table.add_column("amount", justify="right")
        table.add_column("note", overflow="fold")
        for row in self.rows():
            table.add_row(*row)
        table.add_section()
        table.add_row("total", "", "", format_usd(self.total), "", style="bold")
        return table


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

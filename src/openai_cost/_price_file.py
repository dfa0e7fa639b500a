"""One price file's text -> validated entries: the price format's only reader.

`openai_cost.catalog` builds catalogs from what this returns; `openai_cost.updates` checks a
downloaded file with it before installing it. A bad file fails with the file, the entry and the
field (`PriceDataError`); a file of a newer `SCHEMA` than this release reads is refused.
"""

from __future__ import annotations

import itertools
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from types import MappingProxyType
from typing import Any

from .errors import PriceDataError
from .types import (
    BUCKETS,
    FEE_DIMENSIONS,
    TOKEN_DIMENSIONS,
    LongContextTier,
    PricePeriod,
    Rates,
)

__all__ = ["SCHEMA", "ModelEntry", "PriceFile"]

SCHEMA = 1
"""The price-file format version this release reads; a file with a higher ``schema`` is refused."""

RATE_KEYS = frozenset(TOKEN_DIMENSIONS) | frozenset(FEE_DIMENSIONS)
_PERIOD_META = frozenset(
    {
        "since",
        "since_exact",
        "source",
        "confidence",
        "note",
        "batch",
        "flex",
        "priority",
        "ultrafast",
        "per_image",
        "long_context",
    }
)
_LC_META = frozenset({"threshold", "batch", "flex", "priority", "ultrafast"})
_ENTRY_KEYS = frozenset(
    {
        "id",
        "aliases",
        "provider",
        "encoding",
        "max_output_tokens",
        "context_window",
        "prices",
        "note",
        "fine_tuned",
        "deprecated",
    }
)


def _toml_loads(text: str, origin: str) -> dict[str, Any]:
    # imported here, not at module level: `import openai_cost` stays cheap
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on 3.10 only
        import tomli as tomllib
    try:
        data: dict[str, Any] = tomllib.loads(text)
        return data
    except tomllib.TOMLDecodeError as e:
        raise PriceDataError(f"{origin}: not valid TOML: {e}") from e


@dataclass(frozen=True, slots=True)
class ModelEntry:
    """One model of the catalog with all its price periods (oldest first)."""

    id: str
    """Canonical id."""
    provider: str
    """Provider id."""
    periods: tuple[PricePeriod, ...]
    """Price periods, oldest first."""
    aliases: tuple[str, ...] = ()
    """Other names that always mean this model."""
    encoding: str | None = None
    """tiktoken encoding name."""
    max_output_tokens: int | None = None
    """Largest output, when known."""
    context_window: int | None = None
    """Context window, when known."""
    fine_tuned: bool = False
    """True for ``ft:<base>`` entries."""
    note: str | None = None
    """Free text about the entry."""
    origin: str = ""
    """File the entry came from."""

    def period_at(self, day: date) -> PricePeriod | None:
        """The newest period whose ``since`` is on or before ``day``, else None."""
        found = None
        for p in self.periods:
            if p.since <= day:
                found = p
            else:
                break
        return found


@dataclass(frozen=True, slots=True)
class PriceFile:
    """One price file a catalog has read, with its version."""

    origin: str
    """Where it came from: a package path, a file path or a URL."""
    kind: str
    """``bundled``, ``downloaded`` (installed by ``prices update``) or ``user``."""
    updated: date | None
    """The file's ``updated`` date (None when the file does not say)."""
    schema: int | None
    """The file's ``schema`` (None when the file does not say)."""
    models: int = 0
    """How many model entries it holds."""


@dataclass(frozen=True, slots=True)
class _Parsed:
    entries: list[ModelEntry]
    aliases: list[_Alias]
    fees: list[_ToolFees]
    updated: date | None
    schema: int | None


@dataclass(frozen=True, slots=True)
class _Alias:
    name: str
    targets: tuple[tuple[date, str], ...]  # (since, model id), oldest first
    source: str
    origin: str

    def target_at(self, day: date) -> str | None:
        found = None
        for since, model in self.targets:
            if since <= day:
                found = model
        return found


@dataclass(frozen=True, slots=True)
class _ToolFees:
    since: date
    rates: Mapping[str, Decimal]
    source: str


# --------------------------------------------------------------------------- parsing


class _Ctx:
    def __init__(self, origin: str) -> None:
        self.origin = origin

    def fail(self, where: str, msg: str) -> PriceDataError:
        return PriceDataError(f"{self.origin}: {where}: {msg}")


def _dec(ctx: _Ctx, where: str, key: str, value: Any) -> Decimal:
    if not isinstance(value, str):
        raise ctx.fail(where, f'{key} must be a decimal string like "2.50", got {value!r}')
    try:
        d = Decimal(value)
    except InvalidOperation as e:
        raise ctx.fail(where, f"{key} is not a decimal: {value!r}") from e
    if not d.is_finite() or d < 0:
        raise ctx.fail(where, f"{key} must be a finite rate >= 0, got {value!r}")
    return d


def _rates(ctx: _Ctx, where: str, table: Mapping[str, Any], skip: frozenset[str]) -> Rates:
    out: dict[str, Decimal] = {}
    for key, value in table.items():
        if key in skip:
            continue
        if key not in RATE_KEYS:
            raise ctx.fail(
                where, f"unknown field {key!r}; rate fields are: {', '.join(sorted(RATE_KEYS))}"
            )
        out[key] = _dec(ctx, where, key, value)
    return MappingProxyType(out)


def _date(ctx: _Ctx, where: str, key: str, value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise ctx.fail(where, f"{key} must be an ISO date (YYYY-MM-DD), got {value!r}")


def _tier(ctx: _Ctx, where: str, table: Any, name: str) -> Rates | None:
    if table is None:
        return None
    if not isinstance(table, dict):
        raise ctx.fail(where, f"{name} must be a table of rates")
    return _rates(ctx, f"{where}.{name}", table, frozenset())


def _period(ctx: _Ctx, where: str, raw: Any) -> PricePeriod:
    if not isinstance(raw, dict):
        raise ctx.fail(where, "a price period must be a table")
    if "since" not in raw:
        raise ctx.fail(where, "missing field 'since'")
    since = _date(ctx, where, "since", raw["since"])
    source = raw.get("source")
    if not isinstance(source, str) or not source.strip():
        raise ctx.fail(where, "missing field 'source' (where the figures came from)")
    exact = raw.get("since_exact", True)
    if not isinstance(exact, bool):
        raise ctx.fail(where, f"since_exact must be true or false, got {exact!r}")
    confidence = raw.get("confidence")
    if confidence is not None and confidence not in ("H", "M", "L", "H/M", "M/L", "L/M"):
        raise ctx.fail(where, f"confidence must be H, M or L, got {confidence!r}")
    note = raw.get("note")
    if note is not None and not isinstance(note, str):
        raise ctx.fail(where, "note must be a string")
    standard = _rates(ctx, where, raw, _PERIOD_META)
    per_image_raw = raw.get("per_image", {})
    if not isinstance(per_image_raw, dict):
        raise ctx.fail(where, 'per_image must be a table of "quality/size" = "price"')
    per_image: dict[str, Decimal] = {}
    for k, v in per_image_raw.items():
        if k.count("/") != 1:
            raise ctx.fail(f"{where}.per_image", f'key {k!r} must look like "quality/size"')
        per_image[k.lower()] = _dec(ctx, f"{where}.per_image", k, v)
    lc_raw = raw.get("long_context")
    long_context = None
    if lc_raw is not None:
        lw = f"{where}.long_context"
        if not isinstance(lc_raw, dict) or "threshold" not in lc_raw:
            raise ctx.fail(lw, "long_context needs a 'threshold' (input tokens) and its rates")
        threshold = lc_raw["threshold"]
        if type(threshold) is not int or threshold <= 0:
            raise ctx.fail(lw, f"threshold must be a positive integer, got {threshold!r}")
        long_context = LongContextTier(
            threshold=threshold,
            standard=_rates(ctx, lw, lc_raw, _LC_META),
            batch=_tier(ctx, lw, lc_raw.get("batch"), "batch"),
            flex=_tier(ctx, lw, lc_raw.get("flex"), "flex"),
            priority=_tier(ctx, lw, lc_raw.get("priority"), "priority"),
            ultrafast=_tier(ctx, lw, lc_raw.get("ultrafast"), "ultrafast"),
        )
    period = PricePeriod(
        since=since,
        standard=standard,
        source=source,
        since_exact=exact,
        confidence=confidence,
        note=note,
        batch=_tier(ctx, where, raw.get("batch"), "batch"),
        flex=_tier(ctx, where, raw.get("flex"), "flex"),
        priority=_tier(ctx, where, raw.get("priority"), "priority"),
        ultrafast=_tier(ctx, where, raw.get("ultrafast"), "ultrafast"),
        per_image=MappingProxyType(per_image),
        long_context=long_context,
    )
    _check_period(ctx, where, period)
    return period


# a cached rate above the rate it discounts is a typo in the data (pairs from the bucket tree)
_CACHED_PARENT = tuple(
    (b.key, b.fallback) for b in BUCKETS if b.key.startswith("cached_") and b.fallback is not None
)


def _check_period(ctx: _Ctx, where: str, p: PricePeriod) -> None:
    if not p.standard and not p.per_image:
        raise ctx.fail(where, "a price period needs at least one rate")
    for name, tbl in (
        ("", p.standard),
        (".batch", p.batch),
        (".flex", p.flex),
        (".priority", p.priority),
        (".ultrafast", p.ultrafast),
    ):
        if not tbl:
            continue
        for cached, parent in _CACHED_PARENT:
            if cached in tbl and parent in tbl and tbl[cached] > tbl[parent]:
                raise ctx.fail(
                    where + name,
                    f"{cached} ({tbl[cached]}) is above {parent} ({tbl[parent]})",
                )


def _int_or_none(ctx: _Ctx, where: str, key: str, value: Any) -> int | None:
    if value is None:
        return None
    if type(value) is not int or value <= 0:
        raise ctx.fail(where, f"{key} must be a positive integer, got {value!r}")
    return value


_TOP = ("models", "aliases", "tool_fees", "provider", "updated", "schema", "meta")


def _parse(data: Mapping[str, Any], origin: str, default_provider: str) -> _Parsed:
    ctx = _Ctx(origin)
    unknown_top = set(data) - set(_TOP)
    if unknown_top:
        raise ctx.fail(
            "top level",
            f"unknown section(s) {sorted(unknown_top)}; expected {', '.join(_TOP)}",
        )
    schema = data.get("schema")
    if schema is not None:
        if type(schema) is not int or schema < 1:
            raise ctx.fail("top level", f"schema must be a positive integer, got {schema!r}")
        if schema > SCHEMA:
            raise ctx.fail(
                "top level",
                f"unknown schema {schema}; this version of openai-cost reads schema {SCHEMA} "
                "(upgrade openai-cost to read this file)",
            )
    updated = None
    if "updated" in data:
        updated = _date(ctx, "top level", "updated", data["updated"])
    provider = data.get("provider", default_provider)
    if not isinstance(provider, str):
        raise ctx.fail("top level", "provider must be a string")
    entries: list[ModelEntry] = []
    for n, raw in enumerate(data.get("models", [])):
        mid = raw.get("id") if isinstance(raw, dict) else None
        where = f"models[{n}]" + (f" ({mid})" if mid else "")
        if not isinstance(raw, dict):
            raise ctx.fail(where, "a model must be a table")
        if not isinstance(mid, str) or not mid:
            raise ctx.fail(where, "missing field 'id'")
        extra = set(raw) - _ENTRY_KEYS
        if extra:
            raise ctx.fail(
                where,
                f"unknown field(s) {sorted(extra)}; allowed: {', '.join(sorted(_ENTRY_KEYS))}",
            )
        aliases = raw.get("aliases", [])
        if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
            raise ctx.fail(where, "aliases must be a list of strings")
        prices = raw.get("prices")
        if not isinstance(prices, list) or not prices:
            raise ctx.fail(where, "needs at least one [[models.prices]] period")
        periods = [_period(ctx, f"{where}.prices[{i}]", p) for i, p in enumerate(prices)]
        periods.sort(key=lambda p: p.since)
        for a, b in itertools.pairwise(periods):
            if a.since == b.since:
                raise ctx.fail(where, f"two price periods start on {a.since}")
        enc = raw.get("encoding")
        if enc is not None and not isinstance(enc, str):
            raise ctx.fail(where, "encoding must be a string")
        entries.append(
            ModelEntry(
                id=mid,
                provider=str(raw.get("provider", provider)),
                periods=tuple(periods),
                aliases=tuple(aliases),
                encoding=enc,
                max_output_tokens=_int_or_none(
                    ctx, where, "max_output_tokens", raw.get("max_output_tokens")
                ),
                context_window=_int_or_none(
                    ctx, where, "context_window", raw.get("context_window")
                ),
                fine_tuned=bool(raw.get("fine_tuned", mid.startswith("ft:"))),
                note=raw.get("note"),
                origin=origin,
            )
        )
    aliases_out: list[_Alias] = []
    for n, raw in enumerate(data.get("aliases", [])):
        name = raw.get("name") if isinstance(raw, dict) else None
        where = f"aliases[{n}]" + (f" ({name})" if name else "")
        if not isinstance(name, str) or not name:
            raise ctx.fail(where, "missing field 'name'")
        targets_raw = raw.get("targets")
        if not isinstance(targets_raw, list) or not targets_raw:
            raise ctx.fail(where, "targets must be a list of {since, model}")
        targets = []
        for i, t in enumerate(targets_raw):
            tw = f"{where}.targets[{i}]"
            if not isinstance(t, dict) or not isinstance(t.get("model"), str):
                raise ctx.fail(tw, "each target needs 'since' and 'model'")
            targets.append((_date(ctx, tw, "since", t.get("since")), t["model"]))
        targets.sort()
        source = raw.get("source")
        if not isinstance(source, str) or not source:
            raise ctx.fail(where, "missing field 'source'")
        aliases_out.append(_Alias(name, tuple(targets), source, origin))
    fees: list[_ToolFees] = []
    for n, raw in enumerate(data.get("tool_fees", [])):
        where = f"tool_fees[{n}]"
        if not isinstance(raw, dict):
            raise ctx.fail(where, "must be a table")
        since = _date(ctx, where, "since", raw.get("since"))
        source = raw.get("source")
        if not isinstance(source, str) or not source:
            raise ctx.fail(where, "missing field 'source'")
        meta = frozenset({"since", "since_exact", "source", "note", "confidence"})
        rates = _rates(ctx, where, raw, meta)
        fees.append(_ToolFees(since, rates, source))
    fees.sort(key=lambda f: f.since)
    return _Parsed(entries, aliases_out, fees, updated, schema)

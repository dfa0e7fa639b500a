"""The price catalog: load and validate price files, resolve a model name at a date.

Data model (one TOML file per provider in ``openai_cost/data/prices/``; users add their own):

* ``[[models]]``: an entry with an ``id``, other names (``aliases``: dated snapshots, alternative
  spellings), metadata (``encoding``, ``max_output_tokens``, ``context_window``) and a list of
  dated price periods ``[[models.prices]]``. A period holds standard rates as decimal strings
  (per 1M tokens for token dimensions, per unit for fees), optional ``batch`` / ``flex`` /
  ``priority`` tables, ``per_image`` prices, a ``long_context`` tier, and its ``source``.
* ``[[aliases]]``: a floating name that pointed at different snapshots over time
  (``targets = [{since = ..., model = ...}, ...]``), resolved by date.
* ``[[tool_fees]]``: dated per-call fees (web search, file search...) every model inherits
  unless its own period sets them.

Resolution of a name at a date: lower-case it, strip provider prefixes (``openai/``, ``azure/``),
map ``ft:<base>:<org>:<suffix>:<id>`` to the ``ft:<base>`` entry, follow a dated alias, then take
the newest period whose ``since`` is on or before the date. Anything else is
`UnknownModelError`, never a zero price.
"""

from __future__ import annotations

import functools
import itertools
import os
import sys
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal, InvalidOperation
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from .errors import PriceDataError, UnknownModelError
from .types import (
    BUCKETS,
    FEE_DIMENSIONS,
    TOKEN_DIMENSIONS,
    LongContextTier,
    ModelPrice,
    PricePeriod,
    Rates,
)

if TYPE_CHECKING:
    from pathlib import Path


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


__all__ = ["Catalog", "ModelEntry", "catalog", "to_date"]

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
        "per_image",
        "long_context",
    }
)
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
PROVIDER_PREFIXES = ("openai/", "openai:", "azure/", "azure_ai/", "openrouter/")
"""Prefixes stripped from a model name before lookup (repeatedly)."""


def strip_provider(model: str) -> str:
    """``model`` lower-cased without its provider prefixes (``openai/``, ``azure/``...),
    stripped repeatedly; a bare prefix stays as it is. The one prefix stripper: the catalog's
    lookup and the tokenizer's encoding rules both read names through it."""
    name = model.strip().lower()
    stripped = True
    while stripped:
        stripped = False
        for p in PROVIDER_PREFIXES:
            if name.startswith(p) and len(name) > len(p):
                name = name[len(p) :]
                stripped = True
    return name


_today_cache: list[Any] = [-1, None]  # [days since epoch, date]


def _today() -> date:
    days = int(time.time() // 86400)
    if days != _today_cache[0]:
        _today_cache[1] = datetime.now(timezone.utc).date()
        _today_cache[0] = days
    return _today_cache[1]  # type: ignore[no-any-return]


def to_date(at: date | datetime | str | None) -> date:
    """Normalise ``at`` to a UTC date; None means today (UTC).

    Naive datetimes are taken as UTC. Strings are ISO dates or datetimes.
    """
    if at is None:
        return _today()
    if type(at) is date:
        return at
    if isinstance(at, datetime):
        if at.tzinfo is not None:
            at = at.astimezone(timezone.utc)
        return at.date()
    if isinstance(at, date):
        return at
    if isinstance(at, str):
        try:
            if len(at) == 10:
                return date.fromisoformat(at)
            return to_date(datetime.fromisoformat(at.replace("Z", "+00:00")))
        except ValueError as e:
            raise ValueError(f"invalid date {at!r}; expected YYYY-MM-DD") from e
    raise TypeError(f"at must be a date, datetime, ISO string or None, got {at!r}")


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
            standard=_rates(ctx, lw, lc_raw, frozenset({"threshold", "batch", "flex", "priority"})),
            batch=_tier(ctx, lw, lc_raw.get("batch"), "batch"),
            flex=_tier(ctx, lw, lc_raw.get("flex"), "flex"),
            priority=_tier(ctx, lw, lc_raw.get("priority"), "priority"),
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


def _parse(
    data: Mapping[str, Any], origin: str, default_provider: str
) -> tuple[list[ModelEntry], list[_Alias], list[_ToolFees]]:
    ctx = _Ctx(origin)
    unknown_top = set(data) - {"models", "aliases", "tool_fees", "provider", "meta"}
    if unknown_top:
        raise ctx.fail(
            "top level",
            f"unknown section(s) {sorted(unknown_top)}; "
            "expected models, aliases, tool_fees, provider, meta",
        )
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
    return entries, aliases_out, fees


# --------------------------------------------------------------------------- catalog


class Catalog:
    """All known models and their dated prices; resolves a name at a date to a `ModelPrice`.

    `openai_cost.catalog()` returns the shared instance with the bundled data and the file named
    by ``OPENAI_COST_PRICES`` (if set); build your own with ``Catalog.bundled()`` or
    ``Catalog([])`` and `load` files into it.
    """

    def __init__(self, files: Iterable[str | Path] = ()) -> None:
        self._entries: dict[str, ModelEntry] = {}
        self._names: dict[str, str] = {}  # lower-case name -> entry id
        self._aliases: dict[str, _Alias] = {}
        self._tool_fees: list[_ToolFees] = []
        self._cache: dict[tuple[str, date], ModelPrice] = {}
        for f in files:
            self.load(f)

    # ----------------------------------------------------------------- loading
    @classmethod
    def bundled(cls) -> Catalog:
        """A new catalog holding only the price data shipped with the package."""
        cat = cls()
        for entries, aliases, fees in _bundled_parts():
            cat._add_parsed(entries, aliases, fees)
        return cat

    def load(self, path: str | Path) -> Catalog:
        """Add or override models from a TOML price file in the bundled format.

        Entries with an id (or alias) already known replace the existing ones.

        Raises:
            PriceDataError: the file is missing or malformed; the message names the file, entry
                and field.
        """
        from pathlib import Path

        p = Path(path)
        try:
            text = p.read_text(encoding="utf-8")
        except OSError as e:
            raise PriceDataError(f"{p}: cannot read price file: {e.strerror or e}") from e
        self._add_text(text, str(p), "custom")
        return self

    def _add_text(self, text: str, origin: str, provider: str) -> None:
        data = _toml_loads(text, origin)
        self._add_parsed(*_parse(data, origin, provider))

    def _add_parsed(
        self, entries: list[ModelEntry], aliases: list[_Alias], fees: list[_ToolFees]
    ) -> None:
        for entry in entries:
            self._add_entry(entry)
        for a in aliases:
            key = a.name.lower()
            self._names.pop(key, None)
            self._aliases[key] = a
        self._tool_fees = sorted([*self._tool_fees, *fees], key=lambda f: f.since)
        self._cache.clear()

    def _add_entry(self, e: ModelEntry) -> None:
        old = self._entries.get(e.id)
        if old is not None:
            for n in (old.id, *old.aliases):
                self._names.pop(n.lower(), None)
        self._entries[e.id] = e
        for n in (e.id, *e.aliases):
            key = n.lower()
            prev = self._names.get(key)
            if prev is not None and prev != e.id and e.origin == self._entries[prev].origin:
                raise PriceDataError(
                    f"{e.origin}: models ({e.id}): name {n!r} is already used by {prev!r}"
                )
            self._names[key] = e.id
            self._aliases.pop(key, None)

    # ----------------------------------------------------------------- lookup
    def entries(self) -> list[ModelEntry]:
        """Every model entry, in id order."""
        return [self._entries[k] for k in sorted(self._entries)]

    def entry(self, model_id: str) -> ModelEntry:
        """The entry with this exact id (no alias or date resolution)."""
        try:
            return self._entries[model_id]
        except KeyError:
            raise UnknownModelError(model_id, self._suggest(model_id)) from None

    def alias_names(self) -> list[str]:
        """Names of the dated aliases."""
        return sorted(a.name for a in self._aliases.values())

    def alias_targets(self, name: str) -> list[tuple[date, str]]:
        """The (since, model id) history of a dated alias."""
        a = self._aliases.get(name.lower())
        return list(a.targets) if a else []

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        try:
            self._entry_for(name, to_date(None))
        except UnknownModelError:
            return False
        return True

    def resolve(self, model: str, at: date | datetime | str | None = None) -> ModelPrice:
        """The price entry in force for ``model`` on ``at`` (default: today, UTC).

        Accepts exact ids, dated snapshots, aliases (followed by date), any case, provider
        prefixes (``openai/gpt-4o``) and fine-tuned names (``ft:gpt-4o-mini-2024-07-18:org::id``,
        priced at the base model's fine-tuned rates).

        Raises:
            UnknownModelError: the name is unknown, or has no price on that date; the message
                names the closest known ids.
        """
        day = to_date(at)
        key = (model, day)
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        entry, requested = self._entry_for(model, day)
        period = entry.period_at(day)
        if period is None:
            first = entry.periods[0].since
            raise UnknownModelError(
                f"{model} (no price before {first.isoformat()}; asked for {day.isoformat()})"
            )
        period = self._with_tool_fees(period, day)
        mp = ModelPrice(
            model=entry.id,
            provider=entry.provider,
            period=period,
            requested=requested if requested != entry.id else None,
            encoding=entry.encoding,
            max_output_tokens=entry.max_output_tokens,
            context_window=entry.context_window,
            fine_tuned=entry.fine_tuned,
        )
        if len(self._cache) > 4096:
            self._cache.clear()
        self._cache[key] = mp
        return mp

    def _with_tool_fees(self, period: PricePeriod, day: date) -> PricePeriod:
        fees: dict[str, Decimal] = {}
        for f in self._tool_fees:
            if f.since <= day:
                fees.update(f.rates)
        missing = {k: v for k, v in fees.items() if k not in period.standard}
        if not missing:
            return period
        merged = MappingProxyType({**period.standard, **missing})
        return PricePeriod(
            since=period.since,
            standard=merged,
            source=period.source,
            since_exact=period.since_exact,
            confidence=period.confidence,
            note=period.note,
            batch=period.batch,
            flex=period.flex,
            priority=period.priority,
            per_image=period.per_image,
            long_context=period.long_context,
        )

    def _entry_for(self, model: str, day: date) -> tuple[ModelEntry, str]:
        if not isinstance(model, str) or not model.strip():
            raise UnknownModelError(repr(model), ())
        name = strip_provider(model)
        found = self._lookup(name, day)
        if found is not None:
            return found, name
        if name.startswith("ft:"):
            base = name.split(":")[1] if name.count(":") >= 1 else ""
            if base:
                ft = self._lookup("ft:" + base, day)
                if ft is None:
                    # ft:<alias> -> resolve the alias to a snapshot, then ft:<snapshot>
                    inner = self._lookup(base, day)
                    if inner is not None:
                        ft = self._lookup("ft:" + inner.id.lower(), day)
                if ft is not None:
                    return ft, name
                raise UnknownModelError(
                    model,
                    ["ft:" + s for s in self._suggest(base, fine_tuned=True)]
                    or self._suggest(name),
                )
        raise UnknownModelError(model, self._suggest(name))

    def _lookup(self, name: str, day: date) -> ModelEntry | None:
        mid = self._names.get(name)
        if mid is not None:
            return self._entries[mid]
        alias = self._aliases.get(name)
        if alias is not None:
            target = alias.target_at(day)
            if target is None:
                target = alias.targets[0][1]
            tid = self._names.get(target.lower())
            if tid is not None:
                return self._entries[tid]
        return None

    def _suggest(self, name: str, *, fine_tuned: bool = False) -> list[str]:
        pool = [n for n in (*self._names, *self._aliases) if n.startswith("ft:") == fine_tuned]
        if fine_tuned:
            pool = [n[3:] for n in pool]
        import difflib

        return difflib.get_close_matches(name.lower(), pool, n=5, cutoff=0.5)

    def models(self, at: date | datetime | str | None = None) -> list[ModelPrice]:
        """Every model and dated alias with a price on ``at`` (default today), sorted by name.

        Dated aliases appear under their own name (``requested``) with their target's prices.
        """
        day = to_date(at)
        out: list[ModelPrice] = []
        for e in self._entries.values():
            if e.period_at(day) is not None:
                out.append(self.resolve(e.id, day))
        for a in self._aliases.values():
            if a.target_at(day) is None:
                continue
            try:
                mp = self.resolve(a.name, day)
            except UnknownModelError:
                continue
            out.append(mp)
        out.sort(key=lambda m: m.requested or m.model)
        return out

    def __iter__(self) -> Iterator[ModelEntry]:
        return iter(self.entries())

    def __len__(self) -> int:
        return len(self._entries)


@functools.cache
def _bundled_parts() -> tuple[tuple[list[ModelEntry], list[_Alias], list[_ToolFees]], ...]:
    """Parse the bundled price files once per process."""
    from importlib import resources

    parts = []
    pkg = resources.files("openai_cost") / "data" / "prices"
    for item in sorted(pkg.iterdir(), key=lambda p: p.name):
        if item.name.endswith(".toml"):
            origin = f"openai_cost/data/prices/{item.name}"
            data = _toml_loads(item.read_text(encoding="utf-8"), origin)
            parts.append(_parse(data, origin, item.name.removesuffix(".toml")))
    return tuple(parts)


_shared: Catalog | None = None


def catalog(*, reload: bool = False) -> Catalog:
    """The shared catalog: bundled prices plus the file(s) in ``OPENAI_COST_PRICES``.

    The catalog is built on first use (not at import) and kept for the life of the process;
    files added with `Catalog.load` stay in it. ``OPENAI_COST_PRICES`` may list several files
    separated by ``os.pathsep``; it is read when the catalog is built, so after changing it call
    ``catalog(reload=True)`` to rebuild from the bundled data and the variable as it is now.
    """
    global _shared
    cat = _shared
    if cat is None or reload:
        cat = Catalog.bundled()
        extra = os.environ.get("OPENAI_COST_PRICES")
        for part in (extra or "").split(os.pathsep):
            if part:
                cat.load(part)
        _shared = cat
    return cat

"""Read the peers' bundled price data into one neutral shape.

Each peer becomes a list of `PeerModel`: the names the peer prices under, how it matches other
names (genai-prices: its clauses, first model wins; litellm: exact keys), and its rates as
`Cell` -> `Decimal` in *our* units (per 1M tokens, per call, per minute, per 1M characters,
per image), dated where the peer dates them.

The readers take the peers' raw data shapes, not their Python objects, so the tests can feed
small fixed copies:

* genai-prices: the provider list of its ``prices/data.json`` (the package ships the same data as
  generated Python in ``genai_prices/data.py``; `installed_genai_prices` turns that back into the
  JSON shape);
* litellm: ``model_prices_and_context_window_backup.json`` as shipped inside the package.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, localcontext
from pathlib import Path
from typing import Any

__all__ = [
    "GENAI_PRICES",
    "LITELLM",
    "Cell",
    "PeerData",
    "PeerModel",
    "cell_name",
    "genai_prices_data",
    "installed_genai_prices",
    "installed_litellm",
    "litellm_data",
]

GENAI_PRICES = "genai-prices"
LITELLM = "litellm"

_MILLION = Decimal(1_000_000)


@dataclass(frozen=True, order=True)
class Cell:
    """One rate: a tier, whether the long-context tier applies, and a dimension (our rate key).

    Dimensions we have no key for keep a descriptive name (``cache_write_12h``, ``video_second``);
    per-image prices are ``per_image.<quality>/<size>``; the long-context threshold is the
    dimension ``long_context_threshold`` of the standard tier.
    """

    tier: str
    """standard, batch, flex, priority, or a tier we do not know (ultrafast...)."""
    long_context: bool
    """True for the rates above the long-context threshold."""
    dimension: str
    """Our rate key, or the name of a dimension we do not have."""


def cell_name(cell: Cell) -> str:
    """The cell as written in reports and in the explanations file: ``lc.batch.input``."""
    parts = []
    if cell.long_context:
        parts.append("lc")
    if cell.tier != "standard":
        parts.append(cell.tier)
    parts.append(cell.dimension)
    return ".".join(parts)


Rates = dict[Cell, Decimal]


@dataclass
class PeerModel:
    """One model as a peer prices it."""

    peer: str
    """Peer name."""
    id: str
    """The peer's id for it."""
    names: tuple[str, ...]
    """Exact names the peer prices under (lower case)."""
    standard: list[tuple[date, Rates]] = field(default_factory=list)
    """Dated base rates, oldest first; at a date the newest started one applies, else the
    first (genai-prices' rule)."""
    variants: list[tuple[date, Rates]] = field(default_factory=list)
    """Dated per-key overrides (tiers); at a date the first active one wins per cell."""
    dated: bool = True
    """False when the peer gives no dates (litellm): its rates are today's."""
    matches: Callable[[str], bool] | None = field(default=None, repr=False)
    """Pattern rules beyond `names` (genai-prices' starts_with / regex clauses)."""

    def rates_at(self, day: date) -> Rates:
        """Every rate the peer states for this model on ``day``."""
        out: Rates = {}
        if self.standard:
            current = self.standard[0][1]
            for since, rates in self.standard:
                if since <= day:
                    current = rates
            out.update(current)
        seen: set[Cell] = set()
        for since, rates in self.variants:
            if since > day:
                continue
            for c, v in rates.items():
                if c not in seen:
                    seen.add(c)
                    out[c] = v
        return out

    def first_date(self) -> date:
        """The first date the peer gives for this model (``date.min`` when undated)."""
        return min((s for s, _ in self.standard), default=date.min)


@dataclass
class PeerData:
    """Every model one peer prices for OpenAI, in the peer's own order."""

    peer: str
    """Peer name."""
    version: str
    """The peer's package version."""
    models: list[PeerModel]
    """Models, in the order the peer searches them."""
    ignored_keys: dict[str, int] = field(default_factory=dict)
    """Peer keys read but not compared (pixels, storage...), with how often they occur."""

    def find(self, name: str) -> PeerModel | None:
        """The model the peer would price ``name`` with, as the peer itself looks it up."""
        low = name.lower()
        for m in self.models:
            if low in m.names:
                return m
        for m in self.models:
            if m.matches is not None and m.matches(low):
                return m
        return None


# --------------------------------------------------------------------------- genai-prices

# price key -> (our dimension, divisor from their unit to ours)
_GP_KEYS: dict[str, tuple[str, Decimal]] = {
    "input_mtok": ("input", Decimal(1)),
    "output_mtok": ("output", Decimal(1)),
    "cache_read_mtok": ("cached_input", Decimal(1)),
    "cache_write_mtok": ("cache_write", Decimal(1)),
    "input_audio_mtok": ("audio_input", Decimal(1)),
    "cache_audio_read_mtok": ("cached_audio_input", Decimal(1)),
    "output_audio_mtok": ("audio_output", Decimal(1)),
    "input_image_mtok": ("image_input", Decimal(1)),
    "cache_image_read_mtok": ("cached_image_input", Decimal(1)),
    "output_image_mtok": ("image_output", Decimal(1)),
    "input_text_mtok": ("input", Decimal(1)),
    "output_text_mtok": ("output", Decimal(1)),
    "cache_text_read_mtok": ("cached_input", Decimal(1)),
    "output_reasoning_mtok": ("reasoning", Decimal(1)),
    "cache_write_1h_mtok": ("cache_write_1h", Decimal(1)),
    "cache_write_12h_mtok": ("cache_write_12h", Decimal(1)),
    "web_searches_kcount": ("web_search_call", Decimal(1000)),
    "storage_searches_kcount": ("file_search_call", Decimal(1000)),
    "audio_hours": ("audio_minute", Decimal(60)),
    "input_audio_hours": ("audio_minute", Decimal(60)),
    "input_mchars": ("characters", Decimal(1)),
}

_GP_TIERS = {
    ("processing", "batch"): "batch",
    ("service_tier", "flex"): "flex",
    ("service_tier", "priority"): "priority",
    ("service_tier", "fast"): "priority",
    ("service_tier", "ultrafast"): "ultrafast",
}


def _gp_clause(raw: Mapping[str, Any]) -> tuple[Callable[[str], bool], list[str]]:
    """A matcher for a genai-prices match clause, and the exact names it lists."""
    if "equals" in raw:
        eq = str(raw["equals"]).lower()
        return (lambda s: s == eq), [eq]
    if "starts_with" in raw:
        sw = str(raw["starts_with"]).lower()
        return (lambda s: s.startswith(sw)), []
    if "ends_with" in raw:
        ew = str(raw["ends_with"]).lower()
        return (lambda s: s.endswith(ew)), []
    if "contains" in raw:
        ct = str(raw["contains"]).lower()
        return (lambda s: ct in s), []
    if "regex" in raw:
        rx = re.compile(str(raw["regex"]))
        return (lambda s: rx.search(s) is not None), []
    if "or" in raw or "and" in raw:
        parts = [_gp_clause(c) for c in raw.get("or", raw.get("and", []))]
        fns = [p[0] for p in parts]
        if "or" in raw:
            return (lambda s: any(f(s) for f in fns)), [n for p in parts for n in p[1]]
        return (lambda s: all(f(s) for f in fns)), []
    raise ValueError(f"genai-prices: unknown match clause {raw!r}")


def _gp_rates(raw: Mapping[str, Any], tier: str, ignored: dict[str, int]) -> Rates:
    out: Rates = {}
    for key, value in raw.items():
        if value is None:
            continue
        mapped = _GP_KEYS.get(key)
        if mapped is None:
            ignored[key] = ignored.get(key, 0) + 1
            continue
        dim, divisor = mapped
        if isinstance(value, Mapping):  # TieredPrices: base + tiers by input tokens
            out[Cell(tier, False, dim)] = Decimal(str(value["base"])) / divisor
            tiers = value.get("tiers") or []
            if tiers:
                top = tiers[-1]
                out[Cell(tier, True, dim)] = Decimal(str(top["price"])) / divisor
                if tier == "standard":
                    threshold = Decimal(int(tiers[0]["start"]))
                    out[Cell("standard", False, "long_context_threshold")] = threshold
        else:
            out[Cell(tier, False, dim)] = Decimal(str(value)) / divisor
    return out


def _gp_start(constraint: Mapping[str, Any] | None) -> date | None:
    """The start date of a constraint; None for no constraint; raises for time-of-day ones."""
    if not constraint:
        return None
    if "start_date" in constraint:
        return date.fromisoformat(str(constraint["start_date"])[:10])
    raise LookupError("time-of-day constraint")


def genai_prices_data(providers: Iterable[Mapping[str, Any]], version: str) -> PeerData:
    """Read the OpenAI provider of genai-prices' data (the ``prices/data.json`` shape)."""
    provider = next((p for p in providers if p.get("id") == "openai"), None)
    if provider is None:
        raise ValueError("genai-prices: no provider with id 'openai' in the data")
    ignored: dict[str, int] = {}
    models: list[PeerModel] = []
    for raw in provider.get("models", []):
        matcher, names = _gp_clause(raw["match"])
        model = PeerModel(
            peer=GENAI_PRICES,
            id=str(raw["id"]),
            names=tuple(dict.fromkeys(names)),
            matches=matcher,
        )
        prices = raw.get("prices")
        if isinstance(prices, Mapping):
            model.standard.append((date.min, _gp_rates(prices, "standard", ignored)))
        else:
            for i, cp in enumerate(prices or []):
                try:
                    start = _gp_start(cp.get("constraint"))
                except LookupError:
                    continue
                # a period with no start applies before the first dated one (their rule)
                since = date.min if start is None or i == 0 else start
                model.standard.append((since, _gp_rates(cp["prices"], "standard", ignored)))
            model.standard.sort(key=lambda p: p[0])
        for v in raw.get("price_variants") or []:
            when = v.get("when") or {}
            if len(when) != 1:
                ignored["price_variants: " + json.dumps(when, sort_keys=True)] = 1
                continue
            ((wk, wv),) = when.items()
            if (wk, wv) == ("service_tier", "default"):
                continue
            tier = _GP_TIERS.get((wk, wv), str(wv))
            try:
                start = _gp_start(v.get("constraint"))
            except LookupError:
                continue
            rates = _gp_rates(v.get("prices") or {}, tier, ignored)
            rates.pop(Cell(tier, False, "long_context_threshold"), None)
            model.variants.append((start or date.min, rates))
        models.append(model)
    return PeerData(GENAI_PRICES, version, models, ignored)


def _gp_to_raw(obj: Any) -> Any:
    """genai-prices' Python data objects -> the JSON shape of its ``data.json``."""
    if isinstance(obj, Decimal):
        return str(obj)
    if isinstance(obj, date):
        return obj.isoformat()
    if isinstance(obj, (list, tuple)):
        return [_gp_to_raw(x) for x in obj]
    if isinstance(obj, dict):
        return {k: _gp_to_raw(v) for k, v in obj.items()}
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        out = {}
        for f in dataclasses.fields(obj):
            value = getattr(obj, f.name)
            if value is None or f.name.startswith("_"):
                continue
            out[f.name.rstrip("_")] = _gp_to_raw(value)  # or_ / and_ are "or" / "and"
        return out
    if hasattr(obj, "__dict__"):  # ModelPrice keeps its rates as attributes
        return {
            k: _gp_to_raw(v)
            for k, v in vars(obj).items()
            if not k.startswith("_") and v is not None
        }
    return obj


def installed_genai_prices() -> PeerData:
    """The data bundled with the installed genai-prices package (no network)."""
    from importlib.metadata import version

    from genai_prices.data import providers  # type: ignore[import-not-found]

    raw = [_gp_to_raw(p) for p in providers if p.id == "openai"]
    return genai_prices_data(raw, version("genai-prices"))


# --------------------------------------------------------------------------- litellm

# base key -> (our dimension, factor to our unit); longest first so prefixes do not shadow
_LL_BASES: dict[str, tuple[str, Decimal]] = {
    "cache_creation_input_audio_token_cost": ("cache_write_audio", _MILLION),
    "cache_read_input_audio_token_cost": ("cached_audio_input", _MILLION),
    "cache_read_input_image_token_cost": ("cached_image_input", _MILLION),
    "cache_creation_input_token_cost": ("cache_write", _MILLION),
    "cache_read_input_token_cost": ("cached_input", _MILLION),
    "output_cost_per_video_per_second": ("video_second", Decimal(1)),
    "output_cost_per_reasoning_token": ("reasoning", _MILLION),
    "code_interpreter_cost_per_session": ("code_interpreter_container", Decimal(1)),
    "file_search_cost_per_1k_calls": ("file_search_call", Decimal("0.001")),
    "input_cost_per_audio_token": ("audio_input", _MILLION),
    "input_cost_per_image_token": ("image_input", _MILLION),
    "output_cost_per_audio_token": ("audio_output", _MILLION),
    "output_cost_per_image_token": ("image_output", _MILLION),
    "input_cost_per_character": ("characters", _MILLION),
    "output_cost_per_second": ("output_second", Decimal(1)),
    "input_cost_per_second": ("audio_minute", Decimal(60)),
    "input_cost_per_image": ("image", Decimal(1)),
    "output_cost_per_token": ("output", _MILLION),
    "input_cost_per_token": ("input", _MILLION),
}
_LL_IGNORED = (
    "input_cost_per_pixel",
    "output_cost_per_pixel",
    "file_search_cost_per_gb_per_day",
    "vector_store_cost_per_gb_per_day",
    "computer_use_input_cost_per_1k_tokens",
    "computer_use_output_cost_per_1k_tokens",
)
_LL_TIERS = {"batches": "batch", "flex": "flex", "priority": "priority"}
_LL_SUFFIX = re.compile(r"^(?P<ttl>_above_12hr)?(?:_above_(?P<k>\d+)k_tokens)?(?:_(?P<tier>\w+))?$")
_LL_SIZE = re.compile(r"^(?:(?P<q>[a-z]+)/)?(?P<w>\d+)-x-(?P<h>\d+)/(?P<model>.+)$")
_LL_PROVIDERS = frozenset({"openai", "text-completion-openai"})


def _dec(value: Any) -> Decimal:
    # repr of a float is the shortest string that round-trips: 2.5e-06 -> Decimal("0.0000025")
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value))


def _converted(value: Any, factor: Decimal) -> Decimal:
    """A litellm float in our unit, to 10 significant digits: a per-second float times 60 is
    0.01699999999998 where the price is 0.017 per minute."""
    with localcontext() as ctx:
        ctx.prec = 10
        return (+(_dec(value) * factor)).normalize()


def _ll_rates(entry: Mapping[str, Any], ignored: dict[str, int]) -> Rates:
    out: Rates = {}
    for key, value in entry.items():
        if key == "search_context_cost_per_query" and isinstance(value, Mapping):
            medium = value.get("search_context_size_medium")
            if medium is not None:
                out[Cell("standard", False, "web_search_call")] = _dec(medium)
            continue
        if "cost" not in key or not isinstance(value, (int, float)) or isinstance(value, bool):
            continue
        if key in _LL_IGNORED:
            ignored[key] = ignored.get(key, 0) + 1
            continue
        for base, (dim, factor) in _LL_BASES.items():
            if not key.startswith(base):
                continue
            m = _LL_SUFFIX.match(key[len(base) :])
            if m is None:
                continue
            if m["ttl"]:
                dim = dim + "_12h"
            tier = m["tier"] or "standard"
            tier = _LL_TIERS.get(tier, tier)
            lc = m["k"] is not None
            out[Cell(tier, lc, dim)] = _converted(value, factor)
            if lc and tier == "standard":
                threshold = Decimal(int(m["k"]) * 1000)
                out[Cell("standard", False, "long_context_threshold")] = threshold
            break
        else:
            ignored[key] = ignored.get(key, 0) + 1
    return out


def litellm_data(prices: Mapping[str, Any], version: str) -> PeerData:
    """Read the OpenAI models of litellm's price map (``model_prices_and_context_window.json``).

    Per-size image entries (``high/1024-x-1024/gpt-image-1``) become ``per_image`` cells of
    their model.
    """
    ignored: dict[str, int] = {}
    models: dict[str, PeerModel] = {}
    sized: list[tuple[str, str, Mapping[str, Any]]] = []
    for key, entry in prices.items():
        if not isinstance(entry, Mapping) or entry.get("litellm_provider") not in _LL_PROVIDERS:
            continue
        name = key.lower()
        m = _LL_SIZE.match(name)
        if m is not None:
            size = f"{m['q'] or 'standard'}/{m['w']}x{m['h']}"
            sized.append((m["model"], size, entry))
            continue
        rates = _ll_rates(entry, ignored)
        if not rates:
            continue
        names = (name, name.removeprefix("openai/")) if name.startswith("openai/") else (name,)
        models[name] = PeerModel(LITELLM, key, names, [(date.min, rates)], dated=False)
    for model, size, entry in sized:
        for key in entry:
            if "cost" in key and key != "input_cost_per_image":
                ignored[key] = ignored.get(key, 0) + 1
        per_image = entry.get("input_cost_per_image")
        if per_image is None:
            continue
        target = models.get(model)
        if target is None:
            target = models[model] = PeerModel(LITELLM, model, (model,), [(date.min, {})])
            target.dated = False
        target.standard[0][1][Cell("standard", False, f"per_image.{size}")] = _dec(per_image)
    return PeerData(LITELLM, version, list(models.values()), ignored)


def installed_litellm() -> PeerData:
    """The price map bundled with the installed litellm package, read without importing it."""
    from importlib.metadata import distribution

    dist = distribution("litellm")
    wanted = "model_prices_and_context_window_backup.json"
    for f in dist.files or ():
        if f.name == wanted and f.parent.name == "litellm":
            path = Path(str(dist.locate_file(f)))
            data = json.loads(path.read_text(encoding="utf-8"))
            return litellm_data(data, dist.version)
    raise FileNotFoundError(f"litellm {dist.version} ships no {wanted}")

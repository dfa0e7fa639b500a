"""Pricing pulled usage with the catalog at each bucket's day: one aggregate at a time."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from ..catalog import Catalog
from ..errors import OpenAICostError, PricingError, UnknownModelError
from ..pricing import price
from ..types import Cost, ModelPrice, Usage

__all__ = [
    "MODEL_ENDPOINTS",
    "catalog_rate",
    "dimension_tokens",
    "price_aggregate",
    "resolve",
    "tier_of",
]

MODEL_ENDPOINTS = (
    "completions",
    "embeddings",
    "moderations",
    "audio_speeches",
    "audio_transcriptions",
    "images",
)
"""Usage endpoints whose results are a model's own usage (reconciled per model)."""

_TIERS = {
    None: "default",
    "": "default",
    "default": "default",
    "auto": "default",
    "standard": "default",
    "flex": "flex",
    "flex-tier": "flex",
    "priority": "priority",
    "fast": "priority",
    "priority-tier": "priority",
    "scale": "scale",
    "scale-tier": "scale",
}


def tier_of(service_tier: str | None, batch: bool | None) -> str:
    """The tier a result is billed at: ``batch`` for Batch API results, else the service tier
    normalised (``flex-tier`` -> ``flex``, ``fast`` -> ``priority``), else as reported."""
    if batch:
        return "batch"
    t = service_tier.lower() if isinstance(service_tier, str) else service_tier
    return _TIERS.get(t, str(service_tier))


def resolve(
    cat: Catalog, names: tuple[str, ...], day: date, memo: dict[Any, Any]
) -> tuple[ModelPrice | None, str | None]:
    """(price entry, None) for the first name the catalog knows at `day`, else (None, reason)."""
    key = (names, day)
    hit = memo.get(key)
    if hit is None:
        err: str | None = None
        mp: ModelPrice | None = None
        for name in names:
            try:
                mp = cat.resolve(name, day)
                break
            except UnknownModelError as e:
                err = err or str(e)
            except OpenAICostError as e:
                err = err or str(e)
        hit = (mp, None if mp is not None else err)
        memo[key] = hit
    return hit


def usage_of(endpoint: str, g: Mapping[str, Any]) -> Usage:
    """The `Usage` of an aggregate of one endpoint's results (counts already inclusive)."""
    if endpoint == "audio_speeches":
        return Usage(characters=g["characters"])
    if endpoint == "audio_transcriptions":
        return Usage(audio_seconds=Decimal(g["seconds"]))
    return Usage(
        input_tokens=g["input_tokens"],
        output_tokens=g["output_tokens"],
        cached_tokens=g["cached_tokens"],
        cache_write_tokens=g["cache_write_tokens"],
        cache_write_12h_tokens=g["cache_write_12h_tokens"],
        audio_input_tokens=g["audio_input_tokens"],
        cached_audio_tokens=g["cached_audio_tokens"],
        image_input_tokens=g["image_input_tokens"],
        cached_image_tokens=g["cached_image_tokens"],
        audio_output_tokens=g["audio_output_tokens"],
        image_output_tokens=g["image_output_tokens"],
    )


_NO_PRICE = {
    "images": "the Usage API does not report image quality, which per-image prices depend on",
    "vector_stores": "vector storage is billed per GB-day; the catalog has no such rate",
    "code_interpreter_sessions": "the Usage API does not report the container size, which "
    "code interpreter prices depend on",
    "file_search_calls": "file search calls name no model, and the catalog keeps tool-call "
    "rates on model entries",
}


def price_aggregate(
    cat: Catalog, g: Mapping[str, Any], memo: dict[Any, Any]
) -> tuple[Cost | None, str | None, str | None]:
    """(cost, None, model id) or (None, reason, model id or None) for one usage aggregate."""
    endpoint = g["endpoint"]
    model = g.get("model")
    reason = _NO_PRICE.get(endpoint)
    if reason is not None:
        mp_id = None
        if model:
            mp, _ = resolve(cat, (model,), g["day"], memo)
            mp_id = None if mp is None else mp.model
        return None, reason, mp_id
    if not model:
        return None, f"{endpoint} results name no model (pulled without group_by=model?)", None
    mp, err = resolve(cat, (model,), g["day"], memo)
    if mp is None:
        return None, err, None
    tier = tier_of(g.get("service_tier"), g.get("batch"))
    try:
        if endpoint == "web_search_calls":
            usage = Usage(tool_calls={"web_search_call": g["requests"]})
        else:
            usage = usage_of(endpoint, g)
        if tier == "batch":
            cost = price(usage, mp, batch=True, long_context=False)
        else:
            cost = price(usage, mp, tier=tier, long_context=False)
    except OpenAICostError as e:
        return None, str(e), mp.model
    return cost, None, mp.model


_PROBES: Mapping[str, Usage] = {
    "input": Usage(input_tokens=1),
    "cached_input": Usage(input_tokens=1, cached_tokens=1),
    "cache_write": Usage(input_tokens=1, cache_write_tokens=1),
    "audio_input": Usage(input_tokens=1, audio_input_tokens=1),
    "cached_audio_input": Usage(
        input_tokens=1, cached_tokens=1, audio_input_tokens=1, cached_audio_tokens=1
    ),
    "image_input": Usage(input_tokens=1, image_input_tokens=1),
    "cached_image_input": Usage(
        input_tokens=1, cached_tokens=1, image_input_tokens=1, cached_image_tokens=1
    ),
    "output": Usage(output_tokens=1),
    "audio_output": Usage(output_tokens=1, audio_output_tokens=1),
    "image_output": Usage(output_tokens=1, image_output_tokens=1),
}


def catalog_rate(mp: ModelPrice, dimension: str, tier: str, long_context: bool) -> Decimal:
    """The catalog's rate per 1M tokens for one dimension (fallbacks included, as billed).

    Raises:
        PricingError: the model has no rate for it in that tier.
    """
    probe = _PROBES.get(dimension)
    if probe is None:
        raise PricingError(f"no token dimension {dimension!r}")
    if tier == "batch":
        cost = price(probe, mp, batch=True, long_context=long_context)
    else:
        cost = price(probe, mp, tier=tier, long_context=long_context)
    return cost.lines[0].rate


def dimension_tokens(g: Mapping[str, Any]) -> dict[str, int]:
    """Tokens of an aggregate in each exclusive billing dimension (what a line item bills)."""
    c_audio, c_image = g["cached_audio_tokens"], g["cached_image_tokens"]
    audio_in = g["audio_input_tokens"] - c_audio
    image_in = g["image_input_tokens"] - c_image
    cached = g["cached_tokens"]
    write = g["cache_write_tokens"]
    out = g["output_tokens"] - g["audio_output_tokens"] - g["image_output_tokens"]
    return {
        "input": g["input_tokens"] - cached - write - audio_in - image_in,
        "cached_input": cached - c_audio - c_image,
        "cache_write": write,
        "audio_input": audio_in,
        "cached_audio_input": c_audio,
        "image_input": image_in,
        "cached_image_input": c_image,
        "output": out,
        "audio_output": g["audio_output_tokens"],
        "image_output": g["image_output_tokens"],
    }

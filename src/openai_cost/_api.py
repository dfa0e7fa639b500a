"""`cost_of`: the one call that prices anything."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from .catalog import Catalog, catalog
from .errors import UsageError
from .pricing import price
from .types import Call, Cost, Usage
from .usage import as_mapping, chat_dict_usage, extract_usage, usage_from_mapping

__all__ = ["cost_of"]

_RESPONSE_KEYS = (
    "usage",
    "model",
    "object",
    "choices",
    "output",
    "response",
    "data",
    "body",
    "custom_id",
    "event_id",
)


def _is_bare_usage(m: Mapping[str, Any]) -> bool:
    for k in _RESPONSE_KEYS:
        if k in m:
            return False
    return "prompt_tokens" in m or "input_tokens" in m or "output_tokens" in m or "seconds" in m


def cost_of(
    obj: Any,
    *,
    model: str | None = None,
    at: date | datetime | str | None = None,
    batch: bool | None = None,
    tier: str | None = None,
    prices: Catalog | None = None,
) -> Cost:
    """Price a usage or a whole response.

    Args:
        obj: a `Usage` or `Call`; a ``usage`` object as the API returns it (dict or ``openai`` SDK
            object, any API shape); or a whole response, stream, event or Batch output line
            (dict, SDK object or JSON text), read with `extract_usage`.
        model: the model to price with. Required for a bare usage; overrides the model a
            response reports.
        at: the date whose prices apply (date, datetime or ISO string). Default: the
            response's ``created`` time, else today (UTC).
        batch: price at Batch API rates. Default: True for Batch output lines, else False.
        tier: ``service_tier`` (``default``, ``flex``, ``priority``, ``fast``...). Default:
            what the response reports, else standard.
        prices: a `Catalog` to use instead of the shared `catalog()`.

    Returns:
        The `Cost`, with exact Decimal subtotals and one line per bucket.

    Raises:
        UnknownModelError: the model is not in the catalog.
        PriceNotInForceError: the model has no price yet at that date.
        UsageError: the usage is unreadable or contradicts itself.
        PricingError: a bucket has no rate, or the tier is unknown or not offered.
    """
    call: Call | None = None
    if type(obj) is dict and (fast := chat_dict_usage(obj)) is not None:
        usage = fast  # a Chat usage dict, the commonest input
    elif isinstance(obj, Usage):
        usage = obj
    elif isinstance(obj, Call):
        call = obj
        usage = obj.usage
    else:
        m = (
            obj
            if type(obj) is dict
            else (None if isinstance(obj, (str, bytes)) else as_mapping(obj))
        )
        if m is not None and _is_bare_usage(m):
            usage = usage_from_mapping(m)
        else:
            call = extract_usage(obj)
            usage = call.usage
    if call is not None:
        if model is None:
            model = call.model
        if at is None:
            at = call.created_at
        if tier is None:
            tier = call.service_tier
        if batch is None:
            batch = call.batch
    if not model:
        raise UsageError(
            "model= is required to price a bare usage (the usage object does not name its model)"
        )
    mp = (prices or catalog()).resolve(model, at)
    return price(usage, mp, tier=tier, batch=bool(batch))

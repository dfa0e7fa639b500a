"""Reading OpenAI's organisation Usage and Costs APIs with the ``openai`` SDK.

Every Usage endpoint is read in daily buckets grouped by every dimension it offers, and the
Costs endpoint grouped by line item, project and API key, page by page. Bodies are read as
JSON with exact decimals (the Costs API's ``amount.value`` is a number with long decimals, or
a string for some clients), and completions results are normalised to `Usage`'s inclusive
convention whichever schema they use:

* before 2026-07-15: ``input_audio_tokens`` includes cached audio; there is no per-modality
  cached split, so cached audio is taken as the least the counts allow
  (``max(0, cached + audio - input)``);
* from 2026-07-15: ``input_audio_tokens`` / ``input_image_tokens`` are uncached only, with
  ``input_cached_audio_tokens`` / ``input_cached_image_tokens`` and
  ``input_cache_write_tokens`` beside them.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from ..errors import ConfigError, OpenAICostError
from ..ledger.schema import ORG_COUNTS, ORG_DIMENSIONS

__all__ = ["ADMIN_KEY_ENV", "ENDPOINTS", "GROUP_BY", "fetch", "normalize_cost", "normalize_usage"]

ADMIN_KEY_ENV = "OPENAI_ADMIN_KEY"
"""The only place the admin key is read from."""

GROUP_BY: Mapping[str, tuple[str, ...]] = {
    "completions": ("project_id", "user_id", "api_key_id", "model", "batch", "service_tier"),
    "embeddings": ("project_id", "user_id", "api_key_id", "model"),
    "moderations": ("project_id", "user_id", "api_key_id", "model"),
    "images": ("project_id", "user_id", "api_key_id", "model", "size", "source"),
    "audio_speeches": ("project_id", "user_id", "api_key_id", "model"),
    "audio_transcriptions": ("project_id", "user_id", "api_key_id", "model"),
    "web_search_calls": ("project_id", "user_id", "api_key_id", "model", "context_level"),
    "file_search_calls": ("project_id", "user_id", "api_key_id", "vector_store_id"),
    "code_interpreter_sessions": ("project_id",),
    "vector_stores": ("project_id",),
}
"""Each Usage endpoint and every dimension it can be grouped by (the SDK's ``group_by``)."""

ENDPOINTS = tuple(GROUP_BY)
"""The Usage endpoints, in the order they are pulled."""

COSTS_GROUP_BY = ("line_item", "project_id", "api_key_id")

_NEW_FIELDS = (
    "input_uncached_tokens",
    "input_text_tokens",
    "input_cache_write_tokens",
    "input_cached_text_tokens",
    "input_cached_audio_tokens",
    "input_cached_image_tokens",
    "input_image_tokens",
    "output_text_tokens",
    "output_image_tokens",
)
_MAX_ATTEMPTS = 8
_MAX_WAIT = 120.0


def _int(r: Mapping[str, Any], key: str) -> int:
    v = r.get(key)
    if v is None:
        return 0
    if isinstance(v, bool) or not isinstance(v, (int, Decimal, str)):
        raise OpenAICostError(f"usage result field {key!r} is not a count: {v!r}")
    return int(v)


def _zero_counts() -> dict[str, int]:
    return dict.fromkeys(ORG_COUNTS, 0)


def normalize_usage(
    endpoint: str, bucket: Mapping[str, Any], result: Mapping[str, Any], now: datetime
) -> dict[str, Any]:
    """One ``org_usage`` row from one result of one bucket."""
    start = int(bucket["start_time"])
    row: dict[str, Any] = {
        "endpoint": endpoint,
        "day": datetime.fromtimestamp(start, timezone.utc).date(),
        "start_time": start,
        "end_time": int(bucket["end_time"]),
        "batch": result.get("batch"),
        "detail_schema": None,
        "result_json": json.dumps(result, default=str, separators=(",", ":"), sort_keys=True),
        "pulled_at": now,
    }
    for d in ORG_DIMENSIONS:
        v = result.get(d)
        row[d] = None if v is None else str(v)
    counts = _zero_counts()
    if endpoint == "completions":
        i, cached = _int(result, "input_tokens"), _int(result, "input_cached_tokens")
        counts["input_tokens"] = i
        counts["cached_tokens"] = cached
        counts["output_tokens"] = _int(result, "output_tokens")
        counts["audio_output_tokens"] = _int(result, "output_audio_tokens")
        counts["image_output_tokens"] = _int(result, "output_image_tokens")
        if any(result.get(f) is not None for f in _NEW_FIELDS):
            row["detail_schema"] = "2026-07-15"
            c_audio = _int(result, "input_cached_audio_tokens")
            c_image = _int(result, "input_cached_image_tokens")
            counts["cache_write_tokens"] = _int(result, "input_cache_write_tokens")
            counts["cache_write_12h_tokens"] = _int(result, "input_cache_write_12h_tokens")
            counts["cached_audio_tokens"] = c_audio
            counts["cached_image_tokens"] = c_image
            counts["audio_input_tokens"] = _int(result, "input_audio_tokens") + c_audio
            counts["image_input_tokens"] = _int(result, "input_image_tokens") + c_image
        else:
            row["detail_schema"] = "legacy"
            audio = _int(result, "input_audio_tokens")
            counts["audio_input_tokens"] = audio
            counts["cached_audio_tokens"] = max(0, min(cached, audio, cached + audio - i))
        row["requests"] = _int(result, "num_model_requests")
    elif endpoint in ("embeddings", "moderations"):
        counts["input_tokens"] = _int(result, "input_tokens")
        row["requests"] = _int(result, "num_model_requests")
    elif endpoint == "images":
        counts["images"] = _int(result, "images")
        row["requests"] = _int(result, "num_model_requests")
    elif endpoint == "audio_speeches":
        counts["characters"] = _int(result, "characters")
        row["requests"] = _int(result, "num_model_requests")
    elif endpoint == "audio_transcriptions":
        counts["seconds"] = _int(result, "seconds")
        row["requests"] = _int(result, "num_model_requests")
    elif endpoint in ("web_search_calls", "file_search_calls"):
        row["requests"] = _int(result, "num_requests")
    elif endpoint == "code_interpreter_sessions":
        row["requests"] = _int(result, "num_sessions")
    elif endpoint == "vector_stores":
        counts["usage_bytes"] = _int(result, "usage_bytes")
        row["requests"] = 0
    row.update(counts)
    return row


def normalize_cost(
    bucket: Mapping[str, Any], result: Mapping[str, Any], now: datetime
) -> dict[str, Any]:
    """One ``org_costs`` row; ``amount.value`` read exactly whether a number or a string."""
    amount = result.get("amount") or {}
    value = amount.get("value")
    try:
        usd = Decimal(str(value)) if value is not None else None
    except ArithmeticError:
        usd = None
    if usd is None or not usd.is_finite():
        raise OpenAICostError(f"Costs API result has no readable amount.value: {result!r}")
    currency = str(amount.get("currency") or "usd").lower()
    if currency != "usd":
        raise OpenAICostError(f"Costs API amount in {currency!r}; only usd is supported")
    q = result.get("quantity")
    start = int(bucket["start_time"])
    return {
        "day": datetime.fromtimestamp(start, timezone.utc).date(),
        "start_time": start,
        "end_time": int(bucket["end_time"]),
        "line_item": result.get("line_item"),
        "project_id": result.get("project_id"),
        "api_key_id": result.get("api_key_id"),
        "amount_usd": usd,
        "currency": currency,
        "quantity": None if q is None else Decimal(str(q)),
        "quantity_unit": result.get("quantity_unit"),
        "pulled_at": now,
    }


def make_client(base_url: str | None) -> Any:
    """An ``openai.OpenAI`` client holding the admin key from ``OPENAI_ADMIN_KEY``.

    Raises:
        ConfigError: the variable is unset, or the ``openai`` package is missing.
    """
    key = os.environ.get(ADMIN_KEY_ENV, "").strip()
    if not key:
        raise ConfigError(
            f"{ADMIN_KEY_ENV} is not set: export an organisation admin key "
            "(platform.openai.com/settings/organization/admin-keys) to pull usage and costs"
        )
    try:
        import openai
    except ModuleNotFoundError as e:
        raise ConfigError(
            'pulling organisation usage needs the openai SDK: pip install "openai-cost[org]"'
        ) from e
    return openai.OpenAI(api_key=key, admin_api_key=key, base_url=base_url, max_retries=0)


def _epoch(d: date) -> int:
    return int(datetime(d.year, d.month, d.day, tzinfo=timezone.utc).timestamp())


class _Stats:
    def __init__(self) -> None:
        self.requests = 0
        self.retries = 0


def fetch(
    client: Any,
    what: str,
    since: date,
    until: date,
    *,
    projects: Sequence[str],
    page_days: int,
    stats: _Stats,
    on_page: Callable[[int], None] | None = None,
    on_wait: Callable[[float], None] | None = None,
) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """(bucket, result) pairs of one endpoint (``costs`` or a Usage endpoint), every page.

    Raises:
        ConfigError: the API refused the admin key (401/403).
        OpenAICostError: any other error answer, or a 429 that did not clear.
    """
    import openai

    usage = client.admin.organization.usage.with_raw_response
    method = getattr(usage, what)
    params: dict[str, Any] = {
        "start_time": _epoch(since),
        "end_time": _epoch(until + timedelta(days=1)),
        "bucket_width": "1d",
        "limit": page_days,
        "group_by": list(COSTS_GROUP_BY if what == "costs" else GROUP_BY[what]),
    }
    if projects:
        params["project_ids"] = list(projects)
    page: str | None = None
    while True:
        if page is not None:
            params["page"] = page
        attempt = 0
        while True:
            stats.requests += 1
            try:
                raw = method(**params)
                break
            except openai.RateLimitError as e:
                attempt += 1
                if attempt >= _MAX_ATTEMPTS:
                    raise OpenAICostError(
                        f"organisation {what} API: still rate limited (429) after {attempt} "
                        "attempts; try again later"
                    ) from e
                wait = _retry_after(e.response.headers, attempt)
                stats.retries += 1
                if on_wait is not None:
                    on_wait(wait)
                time.sleep(wait)
            except (openai.AuthenticationError, openai.PermissionDeniedError) as e:
                raise ConfigError(
                    f"OpenAI refused the admin key (HTTP {e.status_code}): set "
                    f"{ADMIN_KEY_ENV} to an organisation admin key"
                ) from None
            except openai.APIStatusError as e:
                raise OpenAICostError(
                    f"organisation {what} API: HTTP {e.status_code}: {_message(e)}"
                ) from None
            except openai.APIConnectionError as e:
                raise OpenAICostError(
                    f"cannot reach the organisation {what} API at {client.base_url}: {e}"
                ) from None
        body = json.loads(raw.http_response.text, parse_float=Decimal)
        buckets = body.get("data") or []
        for bucket in buckets:
            for result in bucket.get("results") or []:
                yield bucket, result
        if on_page is not None:
            on_page(len(buckets))
        page = body.get("next_page")
        if not body.get("has_more") or not page:
            return


def _retry_after(headers: Mapping[str, str], attempt: int) -> float:
    value = headers.get("retry-after")
    if value is not None:
        try:
            return min(max(float(value), 0.0), _MAX_WAIT)
        except ValueError:
            pass
    return float(min(2**attempt, _MAX_WAIT))


def _message(e: Any) -> str:
    body = getattr(e, "body", None)
    if isinstance(body, Mapping):
        err = body.get("error", body)
        if isinstance(err, Mapping) and err.get("message"):
            return str(err["message"])
    return str(getattr(e, "message", e)).splitlines()[0]

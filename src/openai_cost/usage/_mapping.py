"""Read usage objects, as the API returns them, into `Usage`.

`usage_from_mapping` understands every ``usage`` shape of the OpenAI API, as a dict or an
``openai`` SDK object:

* Chat Completions / legacy Completions / Embeddings / Assistants: ``prompt_tokens``,
  ``completion_tokens``, ``prompt_tokens_details``, ``completion_tokens_details``;
* Responses: ``input_tokens``, ``output_tokens``, ``input_tokens_details``,
  ``output_tokens_details``;
* Realtime ``response.done``: ``input_token_details`` (per modality, cached per modality),
  ``output_token_details``;
* Transcription: ``type: "tokens"`` (with ``input_token_details``) or ``type: "duration"``
  (``seconds``);
* Images (GPT Image): ``input_tokens_details.text_tokens`` / ``image_tokens``; output tokens are
  image tokens unless ``output_tokens_details`` says otherwise.

Whole responses (with ``model``, ``created``, ``service_tier``, tool-call items, streams and
Batch lines) are read by `extract_usage`.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from ..errors import PricingWarning, UsageError
from ..types import Usage

__all__ = [
    "CHAT_COMPLETION_DETAIL_KEYS",
    "CHAT_PROMPT_DETAIL_KEYS",
    "CHAT_USAGE_KEYS",
    "as_mapping",
    "chat_dict_usage",
    "usage_from_mapping",
]

CHAT_USAGE_KEYS = frozenset(
    {
        "prompt_tokens",
        "completion_tokens",
        "total_tokens",
        "prompt_tokens_details",
        "completion_tokens_details",
    }
)
"""Keys of a Chat Completions ``usage``."""
CHAT_PROMPT_DETAIL_KEYS = frozenset(
    {"cached_tokens", "audio_tokens", "text_tokens", "image_tokens", "cache_write_tokens"}
)
"""Keys of ``prompt_tokens_details`` (and of Responses' ``input_tokens_details``)."""
CHAT_COMPLETION_DETAIL_KEYS = frozenset(
    {
        "reasoning_tokens",
        "audio_tokens",
        "accepted_prediction_tokens",
        "rejected_prediction_tokens",
        "text_tokens",
    }
)
"""Keys of ``completion_tokens_details`` (and of Responses' ``output_tokens_details``)."""

_KNOWN_TOP = CHAT_USAGE_KEYS | frozenset(
    {
        "input_tokens",
        "output_tokens",
        "input_tokens_details",
        "output_tokens_details",
        "input_token_details",
        "output_token_details",
        "type",
        "seconds",
    }
)
_KNOWN_IN = CHAT_PROMPT_DETAIL_KEYS | {"cached_tokens_details"}  # Realtime's per modality
_KNOWN_OUT = CHAT_COMPLETION_DETAIL_KEYS | {"image_tokens"}  # GPT Image output
# read on the full path only (the Chat fast path leaves any usage that has it to that path)
_KNOWN_IN_FULL = _KNOWN_IN | {"cache_write_tokens_details"}
_KNOWN_WRITES = frozenset({"ttl_12h_tokens", "ttl_30m_tokens"})


def as_mapping(obj: Any, *, exclude_none: bool = False) -> Mapping[str, Any] | None:
    """``obj`` as a mapping: dicts as they are, pydantic / SDK objects dumped, else None.

    The one "SDK object to dict" reader. ``exclude_none`` leaves out the fields an SDK object
    holds as None (a message's unset ``name``), as the API never saw them.
    """
    if isinstance(obj, Mapping):
        return obj
    dump = getattr(obj, "model_dump", None)
    if callable(dump):
        data = dump(exclude_none=True) if exclude_none else dump()
        if isinstance(data, Mapping):
            return data
    to_dict = getattr(obj, "to_dict", None)
    if callable(to_dict):
        data = to_dict()
        if isinstance(data, Mapping):
            return data
    return None


_NO_DETAILS: dict[str, Any] = {}


def _int(d: Mapping[str, Any] | None, key: str, where: str) -> int:
    if d is None:
        return 0
    v = d.get(key)
    if v is None:
        return 0
    if type(v) is int:
        if v < 0:
            raise UsageError(f"{where}{key} must be >= 0, got {v}")
        return v
    if isinstance(v, float) and math.isfinite(v) and v.is_integer() and v >= 0:
        return int(v)
    raise UsageError(f"{where}{key} must be a whole number of tokens >= 0, got {v!r}")


def _sub(d: Mapping[str, Any], key: str) -> Mapping[str, Any] | None:
    v = d.get(key)
    if v is None:
        return None
    m = as_mapping(v)
    if m is None:
        raise UsageError(f"usage.{key} must be an object, got {type(v).__name__}")
    return m


def _warn_unknown(d: Mapping[str, Any] | None, known: frozenset[str], where: str) -> None:
    if d is None:
        return
    for k, v in d.items():
        if k not in known and v:
            warnings.warn(
                f"unknown usage field {where}{k}={v!r} was not priced; "
                "update openai-cost if it is billable",
                PricingWarning,
                stacklevel=4,
            )


def usage_from_mapping(data: Mapping[str, Any] | Any, *, kind: str | None = None) -> Usage:
    """Normalise one ``usage`` object (dict or SDK object) into `Usage`.

    Args:
        data: the ``usage`` object of a response.
        kind: ``"image"`` when it came from the Images API (output tokens are image tokens);
            otherwise the shape is detected from the keys.

    Raises:
        UsageError: the object is not a usage, a count is negative, fractional or not a number,
            or the details contradict the totals.
    """
    d = as_mapping(data)
    if d is None:
        raise UsageError(f"expected a usage object (mapping), got {type(data).__name__}")
    if "prompt_tokens" in d:
        if "output_tokens" in d or "input_tokens" in d or "output_tokens_details" in d:
            _check_one_scheme(d)
        return _chat_usage(d)
    if "completion_tokens" in d or "completion_tokens_details" in d:
        _check_one_scheme(d)
    if d.get("type") == "duration" or ("seconds" in d and "input_tokens" not in d):
        return _duration_usage(d)
    if "input_tokens" in d or "output_tokens" in d:
        if "input_token_details" in d or "output_token_details" in d:
            return _realtime_usage(d)
        return _responses_usage(d, kind)
    raise UsageError(
        "not a usage object: expected prompt_tokens/completion_tokens (Chat, Embeddings), "
        f"input_tokens/output_tokens (Responses, Realtime, audio, images) or seconds; "
        f"got keys {sorted(d)[:8]}"
    )


def chat_dict_usage(d: dict[str, Any]) -> Usage | None:
    """`usage_from_mapping` of a plain dict holding only Chat Completions usage keys; None for
    any other dict (read it with `usage_from_mapping`).

    `cost_of`'s shortcut for the commonest input: the same reader and the same checks as
    `usage_from_mapping` takes for such a dict, without its shape detection.

    Raises:
        UsageError: as `usage_from_mapping`.
    """
    if "prompt_tokens" not in d or not d.keys() <= CHAT_USAGE_KEYS:
        return None
    pd = d.get("prompt_tokens_details")
    cd = d.get("completion_tokens_details")
    if (pd is None or (type(pd) is dict and pd.keys() <= _KNOWN_IN)) and (
        cd is None or (type(cd) is dict and cd.keys() <= _KNOWN_OUT)
    ):
        if pd is None:
            pd = _NO_DETAILS
        if cd is None:
            cd = _NO_DETAILS
        if not (
            pd.get("cache_write_tokens")
            or pd.get("audio_tokens")
            or pd.get("image_tokens")
            or cd.get("audio_tokens")
            or cd.get("rejected_prediction_tokens")
            or cd.get("accepted_prediction_tokens")
        ):  # text only
            u = _text_usage(
                d.get("prompt_tokens") or 0,
                d.get("completion_tokens") or 0,
                pd.get("cached_tokens") or 0,
                cd.get("reasoning_tokens") or 0,
            )
            if u is not None:
                return u
    return _chat_usage(d)  # anything else, and the errors that name the API's fields


_new_usage = object.__new__


def _text_usage(inp: Any, out: Any, cached: Any, reasoning: Any) -> Usage | None:
    """``Usage(inp, out, cached, reasoning_tokens=reasoning)`` when those are whole numbers
    that fit together, else None (`Usage` then says what is wrong). Built as `Usage.__init__`
    builds a text-only usage, without its call: a test holds the two equal."""
    if (
        type(inp) is int
        and type(out) is int
        and type(cached) is int
        and type(reasoning) is int
        and 0 <= cached <= inp
        and 0 <= reasoning <= out
    ):
        u: Usage = _new_usage(Usage)
        d = u.__dict__
        d["input_tokens"] = inp
        d["output_tokens"] = out
        d["cached_tokens"] = cached
        d["reasoning_tokens"] = reasoning
        return u
    return None


_CHAT_SCHEME = (
    "prompt_tokens",
    "completion_tokens",
    "prompt_tokens_details",
    "completion_tokens_details",
)
_RESPONSES_SCHEME = (
    "input_tokens",
    "output_tokens",
    "input_tokens_details",
    "output_tokens_details",
)


def _check_one_scheme(d: Mapping[str, Any]) -> None:
    """Refuse a usage that mixes the Chat and the Responses field names.

    Reading one scheme would drop the other's counts (``{"prompt_tokens": 1000,
    "output_tokens": 500}`` would be priced at input only). Both schemes are accepted together
    only when they say the same thing.
    """
    chat = {k: d[k] for k in _CHAT_SCHEME if d.get(k) is not None}
    resp = {k: d[k] for k in _RESPONSES_SCHEME if d.get(k) is not None}
    if not chat or not resp:
        return
    same = (
        d.get("prompt_tokens") == d.get("input_tokens")
        and d.get("completion_tokens") == d.get("output_tokens")
        and "prompt_tokens" in chat
        and "completion_tokens" in chat
        and not (d.get("output_tokens_details") or d.get("input_tokens_details"))
    )
    if same:
        return
    raise UsageError(
        "usage mixes two naming schemes: Chat Completions "
        f"({', '.join(sorted(chat))}) and Responses ({', '.join(sorted(resp))}); a usage uses "
        "prompt_tokens/completion_tokens or input_tokens/output_tokens, not both, so no count "
        "is dropped"
    )


def _chat_usage(d: Mapping[str, Any]) -> Usage:
    pd = d.get("prompt_tokens_details")
    cd = d.get("completion_tokens_details")
    # Fast path (cost_of's hot path): plain dicts with only known keys. Usage checks the
    # counts; anything it refuses is re-read below for an error that names the API field.
    if (
        (pd is None or (type(pd) is dict and pd.keys() <= _KNOWN_IN))
        and (cd is None or (type(cd) is dict and cd.keys() <= _KNOWN_OUT))
        and d.keys() <= _KNOWN_TOP
    ):
        if pd is None:
            pd = _NO_DETAILS
        if cd is None:
            cd = _NO_DETAILS
        try:
            # positional, in `Usage.__init__`'s order (a test holds it): a third faster than
            # keywords on this path
            return Usage(
                d.get("prompt_tokens") or 0,  # input_tokens
                d.get("completion_tokens") or 0,  # output_tokens
                pd.get("cached_tokens") or 0,  # cached_tokens
                pd.get("cache_write_tokens") or 0,  # cache_write_tokens
                pd.get("audio_tokens") or 0,  # audio_input_tokens
                0,  # cached_audio_tokens
                pd.get("image_tokens") or 0,  # image_input_tokens
                0,  # cached_image_tokens
                cd.get("reasoning_tokens") or 0,  # reasoning_tokens
                cd.get("audio_tokens") or 0,  # audio_output_tokens
                0,  # image_output_tokens
                cd.get("rejected_prediction_tokens") or 0,  # rejected_prediction_tokens
                cd.get("accepted_prediction_tokens") or 0,  # accepted_prediction_tokens
            )
        except UsageError:
            pass
    _warn_unknown(d, _KNOWN_TOP, "")
    pd = _sub(d, "prompt_tokens_details")
    cd = _sub(d, "completion_tokens_details")
    _warn_unknown(pd, _KNOWN_IN_FULL, "prompt_tokens_details.")
    _warn_unknown(cd, _KNOWN_OUT, "completion_tokens_details.")
    writes, writes_12h = _cache_writes(pd, "prompt_tokens_details.")
    return Usage(
        input_tokens=_int(d, "prompt_tokens", ""),
        output_tokens=_int(d, "completion_tokens", ""),
        cached_tokens=_int(pd, "cached_tokens", "prompt_tokens_details."),
        cache_write_tokens=writes,
        cache_write_12h_tokens=writes_12h,
        audio_input_tokens=_int(pd, "audio_tokens", "prompt_tokens_details."),
        image_input_tokens=_int(pd, "image_tokens", "prompt_tokens_details."),
        reasoning_tokens=_int(cd, "reasoning_tokens", "completion_tokens_details."),
        audio_output_tokens=_int(cd, "audio_tokens", "completion_tokens_details."),
        rejected_prediction_tokens=_int(
            cd, "rejected_prediction_tokens", "completion_tokens_details."
        ),
        accepted_prediction_tokens=_int(
            cd, "accepted_prediction_tokens", "completion_tokens_details."
        ),
    )


def _responses_usage(d: Mapping[str, Any], kind: str | None) -> Usage:
    _warn_unknown(d, _KNOWN_TOP, "")
    idt = _sub(d, "input_tokens_details")
    odt = _sub(d, "output_tokens_details")
    _warn_unknown(idt, _KNOWN_IN_FULL, "input_tokens_details.")
    _warn_unknown(odt, _KNOWN_OUT, "output_tokens_details.")
    output = _int(d, "output_tokens", "")
    image_in = _int(idt, "image_tokens", "input_tokens_details.")
    audio_in = _int(idt, "audio_tokens", "input_tokens_details.")
    is_image = kind == "image" or (
        kind is None
        and idt is not None
        and ("image_tokens" in idt or "text_tokens" in idt)
        and "cached_tokens" not in idt
        and audio_in == 0
    )
    if is_image and odt is None:
        image_out = output  # before gpt-image-1.5 every output token was an image token
    else:
        image_out = _int(odt, "image_tokens", "output_tokens_details.")
    writes, writes_12h = _cache_writes(idt, "input_tokens_details.")
    return Usage(
        input_tokens=_int(d, "input_tokens", ""),
        output_tokens=output,
        cached_tokens=_int(idt, "cached_tokens", "input_tokens_details."),
        cache_write_tokens=writes,
        cache_write_12h_tokens=writes_12h,
        audio_input_tokens=audio_in,
        image_input_tokens=image_in,
        reasoning_tokens=_int(odt, "reasoning_tokens", "output_tokens_details."),
        audio_output_tokens=_int(odt, "audio_tokens", "output_tokens_details."),
        image_output_tokens=image_out,
    )


def _cache_writes(idt: Mapping[str, Any] | None, where: str) -> tuple[int, int]:
    """(all cache writes, 12-hour ones) from ``input_tokens_details`` (Responses; also read in
    Chat's ``prompt_tokens_details``).

    ``cache_write_tokens_details`` splits the writes by retention (``ttl_12h_tokens``,
    ``ttl_30m_tokens``); the two must add up to no more than ``cache_write_tokens`` (when the
    total is missing, their sum is the total).
    """
    writes = _int(idt, "cache_write_tokens", where)
    cwd = _sub(idt, "cache_write_tokens_details") if idt is not None else None
    if cwd is None:
        return writes, 0
    dw = where + "cache_write_tokens_details."
    _warn_unknown(cwd, _KNOWN_WRITES, dw)
    ttl_12h = _int(cwd, "ttl_12h_tokens", dw)
    ttl_30m = _int(cwd, "ttl_30m_tokens", dw)
    if idt is not None and idt.get("cache_write_tokens") is None:
        return ttl_12h + ttl_30m, ttl_12h
    if ttl_12h + ttl_30m > writes:
        raise UsageError(
            f"contradictory usage: {dw}ttl_12h_tokens ({ttl_12h}) + ttl_30m_tokens ({ttl_30m}) "
            f"> {where}cache_write_tokens ({writes}); the retention classes split the writes"
        )
    return writes, ttl_12h


def _realtime_usage(d: Mapping[str, Any]) -> Usage:
    _warn_unknown(d, _KNOWN_TOP, "")
    idt = _sub(d, "input_token_details")
    odt = _sub(d, "output_token_details")
    _warn_unknown(idt, _KNOWN_IN, "input_token_details.")
    _warn_unknown(odt, _KNOWN_OUT, "output_token_details.")
    cdt = _sub(idt, "cached_tokens_details") if idt is not None else None
    where = "input_token_details.cached_tokens_details."
    return Usage(
        input_tokens=_int(d, "input_tokens", ""),
        output_tokens=_int(d, "output_tokens", ""),
        cached_tokens=_int(idt, "cached_tokens", "input_token_details."),
        audio_input_tokens=_int(idt, "audio_tokens", "input_token_details."),
        image_input_tokens=_int(idt, "image_tokens", "input_token_details."),
        cached_audio_tokens=_int(cdt, "audio_tokens", where),
        cached_image_tokens=_int(cdt, "image_tokens", where),
        audio_output_tokens=_int(odt, "audio_tokens", "output_token_details."),
    )


def _duration_usage(d: Mapping[str, Any]) -> Usage:
    secs = d.get("seconds")
    if isinstance(secs, bool) or not isinstance(secs, (int, float, str, Decimal)):
        raise UsageError(f"usage.seconds must be a number of seconds, got {secs!r}")
    try:
        value = Decimal(str(secs))
    except ArithmeticError as e:
        raise UsageError(f"usage.seconds must be a number of seconds, got {secs!r}") from e
    if not value.is_finite() or value < 0:
        raise UsageError(f"usage.seconds must be a finite number >= 0, got {secs!r}")
    return Usage(audio_seconds=value)

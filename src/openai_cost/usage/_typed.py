"""Typed decoders for the two commonest lines of a log: a 200 Batch output line holding a Chat
Completions body, and a Chat Completions body on its own (msgspec, on first use).

They decode only the fields a call is priced from and skip the rest of the line (the choices,
the message text) without building it, which is what makes ``analyze`` faster than parsing the
whole line. They are strict: a value of the wrong JSON type, a negative or non-zero-where-zero
count, an unknown key in the usage or its details, a non-chat body: the decoder refuses the line
and the caller reads it the general way. So a line they accept is one the general reader would
count the same way, and a line they refuse is read exactly as before.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal, NamedTuple

from ..types import MAX_TIMESTAMP
from ._mapping import CHAT_COMPLETION_DETAIL_KEYS, CHAT_PROMPT_DETAIL_KEYS, CHAT_USAGE_KEYS

__all__ = ["TypedDecoders", "typed_decoders"]

_MAX_COUNT = 2**63 - 1  # beyond it the general reader (orjson) reads a float, never priced
# the details' keys the Chat fast path requires to be zero (or absent)
_ZERO_PD = frozenset({"audio_tokens", "image_tokens", "cache_write_tokens"})
_ZERO_CD = frozenset({"audio_tokens"})
_COUNTED_PD = frozenset({"cached_tokens"})
_COUNTED_CD = frozenset(
    {"reasoning_tokens", "rejected_prediction_tokens", "accepted_prediction_tokens"}
)


class TypedDecoders(NamedTuple):
    """What `typed_decoders` returns."""

    batch_line: Callable[[bytes], Any]
    """Decodes a Batch output line: ``.custom_id``, ``.error``, ``.response.status_code``,
    ``.response.body`` (a chat body, below)."""
    chat_body: Callable[[bytes], Any]
    """Decodes a Chat Completions body: ``.model``, ``.created``, ``.service_tier``,
    ``.usage`` (``.prompt_tokens``, ``.completion_tokens``, ``.prompt_tokens_details``,
    ``.completion_tokens_details``; absent details are None), and ``.custom_id`` (UNSET when
    absent: a body with one is a Batch line, not a body)."""
    error: type[Exception]
    """What both raise for a line they refuse."""
    unset: Any
    """msgspec's UNSET."""


_DECODERS: TypedDecoders | None = None
_MISSING_MSGSPEC = False


def typed_decoders() -> TypedDecoders | None:
    """The two decoders, built on first use; None without msgspec (the general reader then
    reads every line)."""
    global _DECODERS, _MISSING_MSGSPEC
    if _DECODERS is None and not _MISSING_MSGSPEC:
        try:
            _DECODERS = _build()
        except ModuleNotFoundError:  # pragma: no cover - msgspec is a dependency
            _MISSING_MSGSPEC = True
    return _DECODERS


def _build() -> TypedDecoders:
    import msgspec
    from msgspec import Meta

    count = Annotated[int, Meta(ge=0, le=_MAX_COUNT)]
    zero = Annotated[int, Meta(ge=0, le=0)]

    def details(name: str, keys: frozenset[str], zeros: frozenset[str]) -> Any:
        # every key the fast path accepts; a count where it is summed, zero where it must be
        # zero, any whole count where it is not read (text_tokens)
        fields = [(k, zero | None if k in zeros else count | None, None) for k in sorted(keys)]
        return msgspec.defstruct(name, fields, forbid_unknown_fields=True)

    pd = details("PromptDetails", CHAT_PROMPT_DETAIL_KEYS, _ZERO_PD)
    cd = details("CompletionDetails", CHAT_COMPLETION_DETAIL_KEYS, _ZERO_CD)
    assert _COUNTED_PD <= CHAT_PROMPT_DETAIL_KEYS and _COUNTED_CD <= CHAT_COMPLETION_DETAIL_KEYS
    usage_fields: list[Any] = [("prompt_tokens", count)]
    for k in sorted(CHAT_USAGE_KEYS - {"prompt_tokens"}):
        if k == "completion_tokens":
            usage_fields.append((k, count, 0))
        elif k == "prompt_tokens_details":
            usage_fields.append((k, pd | None, None))
        elif k == "completion_tokens_details":
            usage_fields.append((k, cd | None, None))
        else:  # total_tokens: not read
            usage_fields.append((k, count | None, None))
    usage = msgspec.defstruct("ChatUsage", usage_fields, forbid_unknown_fields=True)
    body = msgspec.defstruct(
        "ChatBody",
        [
            ("object", Literal["chat.completion"]),
            ("model", str),
            ("created", Annotated[int, Meta(ge=0, le=MAX_TIMESTAMP)]),
            ("usage", usage),
            ("service_tier", str | None, None),
            ("custom_id", Any, msgspec.UNSET),
        ],
    )
    response = msgspec.defstruct("BatchResponse", [("status_code", int), ("body", body)])
    line = msgspec.defstruct(
        "BatchLine",
        [
            ("custom_id", msgspec.Raw),
            ("response", response | None, None),
            ("error", Any, None),
        ],
    )
    return TypedDecoders(
        msgspec.json.Decoder(line).decode,
        msgspec.json.Decoder(body).decode,
        msgspec.DecodeError,
        msgspec.UNSET,
    )

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

from collections.abc import Callable, Iterator
from typing import Annotated, Any, Literal, NamedTuple

from ..types import MAX_TIMESTAMP
from ._mapping import CHAT_COMPLETION_DETAIL_KEYS, CHAT_PROMPT_DETAIL_KEYS, CHAT_USAGE_KEYS

__all__ = ["TypedDecoders", "chat_bodies", "typed_decoders"]

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
    """Decodes a Batch output line: ``.custom_id`` (a string), ``.error``,
    ``.response.status_code``, ``.response.request_id``, ``.response.body`` (a chat body)."""
    chat_body: Callable[[bytes], Any]
    """Decodes a Chat Completions body: ``.id``, ``.model``, ``.created``, ``.service_tier``,
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
            ("id", str | None, None),
            ("custom_id", Any, msgspec.UNSET),
        ],
    )
    response = msgspec.defstruct(
        "BatchResponse",
        [("status_code", int), ("body", body), ("request_id", str | None, None)],
    )
    line = msgspec.defstruct(
        "BatchLine",
        [
            ("custom_id", str),
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


def chat_bodies(
    lines: Iterator[bytes], *, refusals: int = 64
) -> Iterator[tuple[bytes, Any, Any, int, int, int, int, int, int]]:
    """Each line, with its Chat Completions body when the typed decoders read one they can
    count: ``(line, body, batch_line, input, output, cached, reasoning, rejected,
    accepted)``; ``body`` is None (and the rest zero) for a line to read the general way.

    ``batch_line`` is the decoded Batch output line (``.custom_id``, ``.response``), or None
    for a bare body. A body is given only when its counts are consistent (cached within input,
    reasoning and rejected predictions within output). The Batch decoder is tried first; after
    ``refusals`` refusals outnumbering its successes four to one, the chat decoder, then none.
    """
    typed = typed_decoders()
    kinds = [] if typed is None else [(typed.batch_line, True), (typed.chat_body, False)]
    decode, is_batch = kinds.pop(0) if kinds else (None, False)
    refusal = typed.error if typed is not None else ValueError
    unset = typed.unset if typed is not None else None
    refused = ok = 0
    for line in lines:
        if decode is None:
            yield line, None, None, 0, 0, 0, 0, 0, 0
            continue
        try:
            t = decode(line)
        except refusal:
            refused += 1
            if refused > refusals and refused > 4 * ok:
                decode, is_batch = kinds.pop(0) if kinds else (None, False)
                refused = ok = 0
            yield line, None, None, 0, 0, 0, 0, 0, 0
            continue
        ok += 1
        if is_batch:
            r = t.response
            good = t.error is None and r is not None and r.status_code == 200
            body, outer = (r.body, t) if good else (None, None)
        else:
            body, outer = (t, None) if t.custom_id is unset else (None, None)
        if body is not None:
            u = body.usage
            inp, out = u.prompt_tokens, u.completion_tokens
            pd, cd = u.prompt_tokens_details, u.completion_tokens_details
            cached = 0 if pd is None else pd.cached_tokens or 0
            if cd is None:
                reasoning = rejected = accepted = 0
            else:
                reasoning = cd.reasoning_tokens or 0
                rejected = cd.rejected_prediction_tokens or 0
                accepted = cd.accepted_prediction_tokens or 0
            if cached <= inp and reasoning <= out and rejected <= out:
                yield line, body, outer, inp, out, cached, reasoning, rejected, accepted
                continue
        yield line, None, None, 0, 0, 0, 0, 0, 0

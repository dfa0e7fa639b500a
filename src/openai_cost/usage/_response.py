"""Read whole responses, streams, events and Batch output lines into a `Call`.

The shape is detected from the data (``object``, ``type``, ``custom_id`` and the keys present),
with the caller's ``endpoint`` hint breaking ties for bodies that do not name themselves
(transcriptions, speech, images). One normaliser per shape; every one ends in
`usage_from_mapping`, so the counting rules live in one place.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import datetime, timezone
from typing import Any

from ..errors import FailedRequestError, PricingWarning, UsageError
from ..types import MAX_TIMESTAMP, Call, Usage
from . import _mapping as _usage
from ._sse import frames

__all__ = [
    "ENDPOINTS",
    "NO_STREAM_USAGE",
    "RESPONSE_DONE",
    "USAGE_EVENTS",
    "body_payload",
    "endpoint_of",
    "extract_usage",
    "normalize_endpoint",
    "parse_sse",
    "stream_payload",
]

ENDPOINTS: tuple[str, ...] = (
    "chat.completions",
    "completions",
    "responses",
    "embeddings",
    "audio.transcriptions",
    "audio.translations",
    "audio.speech",
    "images.generations",
    "images.edits",
    "images.variations",
    "realtime",
)
"""Endpoint names a `Call` reports and the ``endpoint=`` hint accepts (URL paths work too:
``/v1/chat/completions`` is ``chat.completions``)."""

NO_STREAM_USAGE = (
    "the chat stream has no usage chunk: request it with "
    'stream_options={"include_usage": True} (a stream cut before its last chunk has none either)'
)

RESPONSE_DONE = frozenset({"response.completed", "response.incomplete", "response.failed"})
"""Responses API stream events that carry the finished response (with its usage)."""

USAGE_EVENTS = RESPONSE_DONE | frozenset(
    {
        "response.done",  # Realtime
        "speech.audio.done",
        "transcript.text.done",
        "image_generation.completed",
        "image_edit.completed",
        "conversation.item.input_audio_transcription.completed",
    }
)
"""Every stream or Realtime event type that carries a call's usage (`extract_usage` reads it)."""

# Events that end a stream given as a list. A Realtime transcription item is an event of a
# conversation, not the end of a stream.
_STREAM_FINAL = USAGE_EVENTS - {"conversation.item.input_audio_transcription.completed"}

# URL path suffix -> endpoint name, for tracked HTTP requests: "/chat/completions" comes before
# "/completions" in ENDPOINTS, so the most specific suffix matches first.
_PATHS: tuple[tuple[str, str], ...] = tuple(
    ("/" + e.replace(".", "/"), e) for e in ENDPOINTS if e != "realtime"
)
_TOOL_FEES = {"web_search_call": "web_search_call", "file_search_call": "file_search_call"}
_PREVIEW_TOOLS = frozenset({"web_search_preview", "web_search_preview_2025_03_11"})


def normalize_endpoint(endpoint: str) -> str:
    """``"/v1/chat/completions"``, ``"chat/completions"`` or ``"chat.completions"`` ->
    ``"chat.completions"``.

    Raises:
        UsageError: not an endpoint openai-cost knows; the message lists the valid names.
    """
    e = endpoint.strip().lower().split("?", 1)[0].rstrip("/")
    if e.startswith(("http://", "https://")):
        e = "/" + e.split("://", 1)[1].split("/", 1)[-1]
    for prefix in ("/openai/v1/", "/v1/", "v1/", "/"):
        if e.startswith(prefix):
            e = e[len(prefix) :]
            break
    e = e.replace("/", ".")
    if e in ENDPOINTS:
        return e
    raise UsageError(f"unknown endpoint {endpoint!r}; valid: {', '.join(ENDPOINTS)}")


def endpoint_of(path: str) -> str | None:
    """The endpoint name of an HTTP request path, or None when calls to it are not billed."""
    for suffix, name in _PATHS:
        if path.endswith(suffix):
            return name
    return None


def _ts(value: Any, field: str) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if 0 <= value <= MAX_TIMESTAMP:
            return datetime.fromtimestamp(value, tz=timezone.utc)
        raise UsageError(
            f"{field} {value!r} is out of range: a Unix timestamp in seconds between 0 and "
            f"{MAX_TIMESTAMP} (year 9999)"
        )
    raise UsageError(f"{field} must be a Unix timestamp in seconds, got {value!r}")


def _str(d: Mapping[str, Any], key: str) -> str | None:
    v = d.get(key)
    if v is None or isinstance(v, str):
        return v
    raise UsageError(f"{key} must be a string, got {type(v).__name__} {v!r}")


def _model(d: Mapping[str, Any], req: Mapping[str, Any] | None) -> str | None:
    model = _str(d, "model")
    if model is None and req is not None:
        model = _str(req, "model")
    return model


def _tier(d: Mapping[str, Any]) -> str | None:
    return _str(d, "service_tier")


def parse_sse(text: str) -> list[Mapping[str, Any]]:
    """The JSON events of a Server-Sent Events capture (``data:`` lines; ``event:``, ``id:``,
    comments and ``data: [DONE]`` skipped).

    A last event cut mid-JSON (an interrupted capture) is dropped; the stream is then judged by
    what arrived before it.

    Raises:
        UsageError: a line is not SSE, or an event before the last one is not valid JSON.
    """
    events: list[Mapping[str, Any]] = []
    bad: str | None = None
    for frame in frames(text.splitlines()):
        if frame.data is None:
            stray = (frame.stray or "")[:60]
            raise UsageError(f"not a Server-Sent Events stream: line {frame.line} is {stray!r}")
        if bad is not None:
            raise UsageError(bad)
        try:
            ev = json.loads(frame.data)
        except ValueError as e:
            bad = f"stream event {len(events) + 1} is not valid JSON: {e}"
            continue
        m = _usage.as_mapping(ev)
        if m is None:
            raise UsageError(f"stream event {len(events) + 1} is not a JSON object")
        events.append(m)
    return events


def _str_or_none(v: Any) -> str | None:
    return v if isinstance(v, str) else None


def stream_payload(
    body: bytes, endpoint: str
) -> tuple[Mapping[str, Any] | None, str | None, str | None]:
    """The final usage-bearing object of a captured SSE body, plus the model and id seen in it.

    Lenient, for tracking: only single-line ``data:`` events are read, anything unreadable is
    skipped, and the body is scanned from its end so a long stream costs one parse of its last
    events. `parse_sse` is the strict reader of a whole capture.
    """
    lines = body.decode("utf-8", "replace").splitlines()
    first: dict[str, Any] | None = None
    for line in lines:
        if line.startswith("data:") and "{" in line:
            try:
                obj = json.loads(line[5:])
            except ValueError:
                continue
            if isinstance(obj, dict):
                first = obj.get("response") if isinstance(obj.get("response"), dict) else obj
                break
    model = _str_or_none(first.get("model")) if first else None
    rid = _str_or_none(first.get("id")) if first else None
    for line in reversed(lines):
        if not line.startswith("data:") or "{" not in line:
            continue
        try:
            obj = json.loads(line[5:])
        except ValueError:
            continue
        if not isinstance(obj, dict):
            continue
        if endpoint == "responses":
            if obj.get("type") in RESPONSE_DONE and isinstance(obj.get("response"), dict):
                resp: dict[str, Any] = obj["response"]
                return resp, _str_or_none(resp.get("model")) or model, rid
        elif obj.get("usage"):
            return obj, _str_or_none(obj.get("model")) or model, rid
    return None, model, rid


def body_payload(
    body: bytes | None, endpoint: str, *, stream: bool, model: str | None = None
) -> tuple[Mapping[str, Any] | None, str | None, str | None]:
    """(what to read usage from, model reported, response id) of a successful HTTP body.

    ``model`` is the model requested, reported for a speech body (audio: tts-1 bills the
    request's characters). None to read usage from when the body is empty or a stream carried
    no usage.

    Raises:
        ValueError: the body is not JSON, or not a JSON object.
    """
    if endpoint == "audio.speech":
        return {}, model, None
    if not body:  # a 200 with no body
        return None, None, None
    if stream:
        return stream_payload(body, endpoint)
    d = json.loads(body)
    if not isinstance(d, dict):
        raise ValueError(f"expected a JSON object, got {type(d).__name__}")
    return d, _str_or_none(d.get("model")), _str_or_none(d.get("id"))


def extract_usage(
    obj: Any, *, request: Mapping[str, Any] | Any | None = None, endpoint: str | None = None
) -> Call:
    """Read what a call used, by which model, when and how, from whatever the API returned.

    Args:
        obj: a response as a dict, an ``openai`` SDK object or JSON text (str or bytes); raw
            SSE text (``data:`` lines, ``event:`` lines allowed, ``[DONE]`` ignored); a list of
            stream chunks or events; a Batch output line; a log record
            ``{"request": ..., "response": ..., "endpoint": ...}``. For ``tts-1`` speech the
            audio bytes themselves (or None), with ``request``. Shapes: Chat Completions (audio,
            predicted outputs), legacy Completions, chat streams, Responses and its
            ``response.completed`` / ``.incomplete`` / ``.failed`` events, Embeddings, Realtime
            ``response.done``, transcriptions (tokens or duration), speech, images.
        request: the request body when known: its ``model`` when the response names none
            (transcriptions, speech, images), ``input`` for tts-1 characters, ``size``,
            ``quality`` and ``n`` for DALL-E.
        endpoint: a hint for bodies that do not name their shape: one of `ENDPOINTS`
            (``"audio.speech"``, ``"images.generations"``...) or a URL path
            (``"/v1/audio/speech"``).

    Returns:
        A `Call`: the model as reported, the `Usage` (built-in tool calls in
        ``usage.tool_calls``), endpoint, ``service_tier``, ``created_at`` (UTC), and for Batch
        lines ``batch=True`` and ``custom_id``.

    Raises:
        FailedRequestError: a Batch error line or a non-200 Batch line (the request failed and
            was not billed). A subclass of `UsageError`; `summarize` counts these as failed.
        UsageError: there is no usage (a chat stream without its usage chunk names
            ``stream_options={"include_usage": True}``), the JSON is unreadable, or a count is
            negative, fractional or contradictory.
    """
    ep = normalize_endpoint(endpoint) if endpoint else None
    req = None if request is None else _usage.as_mapping(request)
    if request is not None and req is None:
        raise UsageError(f"request must be the request body (a mapping), got {type(request)}")
    if obj is None or isinstance(obj, (bytes, bytearray, memoryview)):
        if ep == "audio.speech" and (obj is None or not _looks_textual(bytes(obj))):
            return _speech(None, req)
        if obj is None:
            raise UsageError("nothing to read: obj is None")
        try:
            obj = bytes(obj).decode("utf-8")
        except UnicodeDecodeError as e:
            raise UsageError(f"not JSON or SSE text (not UTF-8: {e})") from e
    if isinstance(obj, str):
        s = obj.lstrip()
        if s.startswith(("data:", "event:", ":")):
            return _from_stream(parse_sse(s), req, ep)
        try:
            obj = json.loads(s)
        except ValueError as e:
            raise UsageError(f"not valid JSON (truncated?): {e}") from e
    d = _usage.as_mapping(obj)
    if d is not None:
        return _from_mapping(d, req, ep)
    if isinstance(obj, Iterable):
        events = []
        for i, item in enumerate(obj):
            m = _usage.as_mapping(item)
            if m is None:
                raise UsageError(f"stream item {i} is not an object: {type(item).__name__}")
            events.append(m)
        return _from_stream(events, req, ep)
    raise UsageError(f"cannot read a response from {type(obj).__name__}")


def _looks_textual(b: bytes) -> bool:
    head = b.lstrip()[:6]
    return head.startswith((b"{", b"[", b"data:", b"event:"))


def _from_mapping(d: Mapping[str, Any], req: Mapping[str, Any] | None, ep: str | None) -> Call:
    if "custom_id" in d and ("response" in d or "error" in d):
        return _batch_line(d, req, ep)
    typ = d.get("type")
    if isinstance(typ, str) and "object" not in d:
        return _event(typ, d, req, ep)
    obj = d.get("object")
    if obj == "chat.completion" or obj == "chat.completion.chunk":
        return _chat(d, req, ep or "chat.completions")
    if obj == "text_completion":
        return _chat(d, req, ep or "completions")
    if obj == "response":
        return _responses(d, req)
    if obj == "list" or ep == "embeddings":
        return _chat(d, req, "embeddings")
    if obj == "realtime.response":
        return _realtime(d, req)
    if "response" in d and "usage" not in d and ("request" in d or d["response"] is not None):
        return _log_record(d, req, ep)
    if ep in ("audio.transcriptions", "audio.translations") or (
        "text" in d and ("usage" in d or "duration" in d)
    ):
        return _transcription(d, req, ep or "audio.transcriptions")
    if ep == "audio.speech":
        return _speech(d, req)
    if (ep is not None and ep.startswith("images.")) or (
        "data" in d and "created" in d and "choices" not in d
    ):
        return _images(d, req, ep or "images.generations")
    if "choices" in d or "prompt_tokens" in (_usage.as_mapping(d.get("usage")) or {}):
        return _chat(d, req, ep)
    if "usage" in d:
        return _generic(d, req, ep)
    raise UsageError(
        "no usage found: not a recognised response (keys "
        f"{sorted(d)[:8]}); pass endpoint= for bodies that do not name their shape"
    )


def _log_record(d: Mapping[str, Any], req: Mapping[str, Any] | None, ep: str | None) -> Call:
    """``{"request": ..., "response": <body, chunks, SSE or None>, "endpoint": ...,
    "created_at": ...}``: a logged call. The record's own time is used when the body has none."""
    r = d.get("request")
    hint = d.get("endpoint") or d.get("url")
    call = extract_usage(
        d["response"],
        request=req if r is None else r,
        endpoint=hint if isinstance(hint, str) else ep,
    )
    if call.created_at is None:
        when = d.get("created_at", d.get("created", d.get("timestamp")))
        if isinstance(when, str):
            try:
                t = datetime.fromisoformat(when.replace("Z", "+00:00"))
            except ValueError as e:
                raise UsageError(f"created_at must be a timestamp, got {when!r}") from e
            call = replace(call, created_at=t.replace(tzinfo=t.tzinfo or timezone.utc))
        elif when is not None:
            call = replace(call, created_at=_ts(when, "created_at"))
    return call


def _chat(d: Mapping[str, Any], req: Mapping[str, Any] | None, ep: str | None) -> Call:
    u = d.get("usage")
    if u is None:
        if d.get("object") == "chat.completion.chunk":
            raise UsageError(NO_STREAM_USAGE)
        what = {"text_completion": "completion", "list": "embeddings response"}.get(
            str(d.get("object")), "chat completion"
        )
        raise UsageError(f"the {what} has no usage")
    return Call(
        model=_model(d, req),
        usage=_usage.usage_from_mapping(u),
        endpoint=ep,
        service_tier=_tier(d),
        created_at=_ts(d.get("created"), "created"),
        request_id=_str(d, "id"),
    )


def _generic(d: Mapping[str, Any], req: Mapping[str, Any] | None, ep: str | None) -> Call:
    created = d.get("created", d.get("created_at"))
    return Call(
        model=_model(d, req),
        usage=_usage.usage_from_mapping(d["usage"]),
        endpoint=ep,
        service_tier=_tier(d),
        created_at=_ts(created, "created"),
        request_id=_str(d, "id"),
    )


def _tool_calls(d: Mapping[str, Any]) -> dict[str, int]:
    output = d.get("output")
    if not output:
        return {}
    if not isinstance(output, list):
        raise UsageError(f"output must be a list of items, got {type(output).__name__}")
    preview = False
    tools = d.get("tools")
    if isinstance(tools, list):
        for t in tools:
            tm = _usage.as_mapping(t)
            if tm is not None and tm.get("type") in _PREVIEW_TOOLS:
                preview = True
    counts: dict[str, int] = {}
    containers: set[str] = set()
    images = 0
    for item in output:
        m = _usage.as_mapping(item)
        if m is None:
            continue
        t = m.get("type")
        if t == "web_search_call":
            key = "web_search_preview_call" if preview else "web_search_call"
            counts[key] = counts.get(key, 0) + 1
        elif t in _TOOL_FEES:
            key = _TOOL_FEES[t]
            counts[key] = counts.get(key, 0) + 1
        elif t == "code_interpreter_call":
            cid = m.get("container_id")
            containers.add(cid if isinstance(cid, str) else f"#{len(containers)}")
        elif t == "image_generation_call":
            images += 1
    if containers:
        counts["code_interpreter_container"] = len(containers)
    if images:
        warnings.warn(
            f"{images} image_generation_call item(s) are billed at the image model's rates, "
            "which the response does not report; they are not included in this cost",
            PricingWarning,
            stacklevel=4,
        )
    return counts


def _responses(d: Mapping[str, Any], req: Mapping[str, Any] | None) -> Call:
    u = d.get("usage")
    if u is None:
        status = d.get("status")
        if status in ("queued", "in_progress"):
            raise UsageError(
                f"the response is still {status}: its usage arrives with response.completed"
            )
        raise UsageError(f"the response has no usage (status {status!r})")
    usage = _usage.usage_from_mapping(u)
    tools = _tool_calls(d)
    if tools:
        usage = replace(usage, tool_calls=tools)
    return Call(
        model=_model(d, req),
        usage=usage,
        endpoint="responses",
        service_tier=_tier(d),
        created_at=_ts(d.get("created_at"), "created_at"),
        request_id=_str(d, "id"),
    )


def _realtime(d: Mapping[str, Any], req: Mapping[str, Any] | None) -> Call:
    u = d.get("usage")
    if u is None:
        raise UsageError(
            f"the Realtime response has no usage (status {d.get('status')!r}); usage arrives "
            "with response.done"
        )
    return Call(
        model=_model(d, req),
        usage=_usage.usage_from_mapping(u),
        endpoint="realtime",
        request_id=_str(d, "id"),
    )


def _event(typ: str, d: Mapping[str, Any], req: Mapping[str, Any] | None, ep: str | None) -> Call:
    if typ in RESPONSE_DONE:
        inner = _usage.as_mapping(d.get("response"))
        if inner is None:
            raise UsageError(f"the {typ} event has no response object")
        return _responses(inner, req)
    if typ == "response.done":
        inner = _usage.as_mapping(d.get("response"))
        if inner is None:
            raise UsageError("the response.done event has no response object")
        return _realtime(inner, req)
    if typ == "transcript.text.done" or typ == (
        "conversation.item.input_audio_transcription.completed"
    ):
        return _transcription(d, req, "audio.transcriptions" if ep is None else ep)
    if typ == "speech.audio.done":
        return _speech(d, req)
    if typ in ("image_generation.completed", "image_edit.completed"):
        return _images(
            d, req, "images.edits" if typ.startswith("image_edit") else "images.generations"
        )
    if "usage" in d and d.get("usage") is not None:
        return _generic(d, req, ep)
    if typ.startswith("response."):
        raise UsageError(
            f"a {typ} event carries no usage: usage arrives with response.completed "
            "(or .incomplete / .failed)"
        )
    raise UsageError(f"a {typ!r} event carries no usage")


def _transcription(d: Mapping[str, Any], req: Mapping[str, Any] | None, ep: str) -> Call:
    u = d.get("usage")
    if u is not None:
        usage = _usage.usage_from_mapping(u)
    elif d.get("duration") is not None:  # verbose_json of whisper-1: seconds of audio
        usage = _usage.usage_from_mapping({"type": "duration", "seconds": d["duration"]})
    else:
        raise UsageError("the transcription has no usage and no duration")
    return Call(model=_model(d, req), usage=usage, endpoint=ep)


def _speech(d: Mapping[str, Any] | None, req: Mapping[str, Any] | None) -> Call:
    model = _model(d or {}, req)
    if d is not None and d.get("usage") is not None:
        u = _usage.usage_from_mapping(d["usage"])
        # speech.audio.done: input is text, output is audio (no modality split reported)
        usage = Usage(
            input_tokens=u.input_tokens,
            output_tokens=u.output_tokens,
            audio_output_tokens=u.output_tokens - u.image_output_tokens - u.reasoning_tokens,
        )
        return Call(model=model, usage=usage, endpoint="audio.speech")
    text = None if req is None else req.get("input")
    if model is not None and model.lower().startswith("tts-1") and isinstance(text, str):
        return Call(model=model, usage=Usage(characters=len(text)), endpoint="audio.speech")
    if model is not None and model.lower().startswith("tts-1"):
        raise UsageError(f"{model} is billed per input character: pass request= with 'input'")
    raise UsageError(
        f"speech from {model or 'an unnamed model'} has no usage: token-billed TTS models "
        "report it only with stream_format='sse' (the speech.audio.done event)"
    )


def _images(d: Mapping[str, Any], req: Mapping[str, Any] | None, ep: str) -> Call:
    model = _model(d, req)
    created = _ts(d.get("created", d.get("created_at")), "created")
    u = d.get("usage")
    if u is not None:
        return Call(
            model=model,
            usage=_usage.usage_from_mapping(u, kind="image"),
            endpoint=ep,
            created_at=created,
        )
    # DALL-E: no usage; priced per image by size and quality, given with the request
    if model is None:
        raise UsageError(
            "the images response has no usage and names no model: pass request= with "
            "'model' (and 'size', 'quality', 'n') to price DALL-E images"
        )
    data = d.get("data")
    n = len(data) if isinstance(data, list) else (req or {}).get("n", 1)
    size = d.get("size") or (req or {}).get("size") or "1024x1024"
    quality = d.get("quality") or (req or {}).get("quality") or "standard"
    if quality == "auto":
        quality = "standard"
    if not isinstance(n, int) or isinstance(n, bool) or n < 0:
        raise UsageError(f"n must be a whole number of images, got {n!r}")
    usage = Usage(images=n, image_size=str(size), image_quality=str(quality))
    return Call(model=model, usage=usage, endpoint=ep, created_at=created)


def _batch_line(d: Mapping[str, Any], req: Mapping[str, Any] | None, ep: str | None) -> Call:
    cid = d.get("custom_id")
    cid = cid if isinstance(cid, str) else None
    err = _usage.as_mapping(d.get("error"))
    if err is not None:
        code = err.get("code")
        raise FailedRequestError(
            f"batch request {cid!r} failed ({code}: {err.get('message')}); not billed",
            custom_id=cid,
            code=code if isinstance(code, str) else None,
        )
    resp = _usage.as_mapping(d.get("response"))
    if resp is None:
        raise UsageError(f"batch line {cid!r} has neither a response nor an error")
    status = resp.get("status_code")
    body = _usage.as_mapping(resp.get("body"))
    if status != 200:
        detail = ""
        berr = _usage.as_mapping((body or {}).get("error"))
        if berr is not None:
            detail = f": {berr.get('message')}"
        raise FailedRequestError(
            f"batch request {cid!r} returned HTTP {status}{detail}; not billed",
            custom_id=cid,
            status_code=status if isinstance(status, int) else None,
        )
    if body is None:
        raise UsageError(f"batch line {cid!r} has no response body")
    call = _from_mapping(body, req, ep)
    rid = resp.get("request_id")
    return replace(
        call,
        batch=True,
        custom_id=cid,
        request_id=call.request_id or (rid if isinstance(rid, str) else None),
    )


def _from_stream(
    events: list[Mapping[str, Any]], req: Mapping[str, Any] | None, ep: str | None
) -> Call:
    if not events:
        raise UsageError("the stream is empty: " + NO_STREAM_USAGE)
    final: Mapping[str, Any] | None = None
    usage_chunk: Mapping[str, Any] | None = None
    usage_ids: set[Any] = set()
    chat = False
    responses = False
    for e in events:
        typ = e.get("type")
        if isinstance(typ, str) and "object" not in e:
            if typ in _STREAM_FINAL:
                if final is not None:
                    raise UsageError(
                        "the list holds more than one finished response; price them one by one "
                        "(or use summarize)"
                    )
                final = e
            elif typ.startswith("response."):
                responses = True
            continue
        if e.get("object") in ("chat.completion.chunk", "text_completion"):
            chat = True
            if e.get("usage") is not None:
                usage_chunk = e  # the last usage chunk: never add two up
                usage_ids.add(e.get("id"))
    if final is not None:
        return _from_mapping(final, req, ep)
    if usage_chunk is not None:
        if len(usage_ids) > 1:
            raise UsageError(
                f"the list holds {len(usage_ids)} streams; price them one by one (or use summarize)"
            )
        call = _chat(
            usage_chunk,
            req,
            ep
            or (
                "completions"
                if usage_chunk.get("object") == "text_completion"
                else "chat.completions"
            ),
        )
        if call.model is None:
            for e in events:
                m = e.get("model")
                if isinstance(m, str):
                    return replace(call, model=m)
        return call
    if chat:
        raise UsageError(NO_STREAM_USAGE)
    if responses:
        raise UsageError(
            "the Responses stream ended before response.completed (.incomplete / .failed): "
            "no usage arrived"
        )
    if len(events) == 1:
        return _from_mapping(events[0], req, ep)
    raise UsageError("no usage in the stream: no final usage chunk or completed event")

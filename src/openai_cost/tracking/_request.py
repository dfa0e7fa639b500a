"""Read an outgoing httpx request: endpoint, model, stream flag and JSON body.

`read_request` also asks chat and completions streams for their usage chunk
(``stream_options.include_usage``) by rewriting the request's body, except on Azure API
versions that refuse the option. That is the one change tracking makes to a request: the body
is re-serialised with the option added (same members, same values, compact JSON) and its
``Content-Length`` updated; other headers, the URL and every other request are untouched.
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any, NamedTuple

from ..usage import endpoint_of

__all__ = ["Seen", "httpx_module", "read_request"]

_STREAM_USAGE_ENDPOINTS = frozenset({"chat.completions", "completions"})
_AZURE_DEPLOYMENT = re.compile(r"/openai/deployments/([^/]+)/")
_MULTIPART_MODEL = re.compile(rb'name="model"\r\n(?:[^\r\n]*\r\n)*?\r\n([^\r\n]+)')
_AZURE_STREAM_OPTIONS_SINCE = "2024-08-01"


class Seen(NamedTuple):
    """What a billable request asks for."""

    endpoint: str
    """Endpoint name (``chat.completions``...)."""
    model: str | None
    """Model (Azure: deployment) requested."""
    stream: bool
    """True for a streamed response."""
    body: dict[str, Any] | None
    """The JSON body (as sent), or None for multipart or streamed uploads."""
    raw: bytes | None
    """The body's bytes when in memory."""
    request: Any
    """The request to send (rewritten when usage was added to a stream)."""
    usage_added: bool = False
    """True when tracking added ``stream_options.include_usage``: the usage chunk the stream
    then carries is for tracking only and is kept from the caller."""


def httpx_module(obj: Any) -> Any:
    """The httpx (or httpx2) module an object of it comes from."""
    return sys.modules[type(obj).__module__.partition(".")[0]]


def read_request(request: Any) -> Seen | None:
    """What ``request`` asks for, or None when it is not a POST to a billable endpoint."""
    if request.method != "POST":
        return None
    path: str = request.url.path
    endpoint = endpoint_of(path)
    if endpoint is None:
        return None
    body, raw = _request_body(request)
    m = _AZURE_DEPLOYMENT.search(path)
    model: str | None
    if m is not None:
        model = m.group(1)
    elif body is not None:
        v = body.get("model")
        model = v if isinstance(v, str) else None
    else:
        model = _form_model(request, raw)
    stream = body is not None and body.get("stream") is True
    added = False
    if stream and endpoint in _STREAM_USAGE_ENDPOINTS and _can_ask_usage(request, m):
        assert body is not None
        opts = body.get("stream_options")
        if not (isinstance(opts, dict) and opts.get("include_usage")):
            extra = opts if isinstance(opts, dict) else {}
            body = {**body, "stream_options": {**extra, "include_usage": True}}
            request = _with_json(request, body)
            added = True
    return Seen(endpoint, model, stream, body, raw, request, added)


def _request_body(request: Any) -> tuple[dict[str, Any] | None, bytes | None]:
    try:
        raw: bytes = request.content
    except Exception:  # a streamed upload: not in memory
        return None, None
    if not raw or raw[:1] != b"{":
        return None, raw
    try:
        d = json.loads(raw)
    except ValueError:
        return None, raw
    return (d if isinstance(d, dict) else None), raw


def _can_ask_usage(request: Any, azure: re.Match[str] | None) -> bool:
    """False for Azure API versions that refuse ``stream_options`` with a 400 (before
    2024-08-01-preview): asking for usage there would break the call."""
    if azure is None:
        return True
    version = str(request.url.params.get("api-version") or "")
    return not (version[:4].isdigit() and version[:10] < _AZURE_STREAM_OPTIONS_SINCE)


def _form_model(request: Any, raw: bytes | None) -> str | None:
    """The ``model`` field of a multipart upload (transcriptions, image edits), unread."""
    if raw:
        m = _MULTIPART_MODEL.search(raw)
        return m.group(1).decode("utf-8", "replace") if m else None
    for f in getattr(request.stream, "fields", ()):  # httpx's MultipartStream, not yet sent
        if getattr(f, "name", None) == "model" and not hasattr(f, "filename"):
            v = getattr(f, "value", None)
            return v.decode("utf-8", "replace") if isinstance(v, bytes) else v
    return None


def _with_json(request: Any, body: dict[str, Any]) -> Any:
    """``request`` carrying ``body`` instead (the SDK builds a fresh request per attempt)."""
    content = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()  # as httpx
    mod = httpx_module(request)
    request.headers["Content-Length"] = str(len(content))
    request.stream = mod.ByteStream(content)
    request._content = content  # what Request.read() caches; .content returns it
    return request

"""HTTP-layer instrumentation behind `openai_cost.track`.

A tracked client's httpx transport is wrapped by `SyncTrackingTransport` (or the async twin).
For each POST to a billable endpoint it reads the request (model, ``stream``, ``stream_options``),
adds ``stream_options.include_usage`` to chat streams that did not ask for it, checks the budget,
sends the request, and wraps the response's byte stream in a tap that passes every byte through
unchanged while keeping a copy. When the body has been read (or the caller closes or drops the
response) the copy is parsed, priced and turned into one `CallRecord` per HTTP attempt, which goes
to the active sessions and to the ledger.

Everything here except `BudgetExceededError` is caught and logged on the
``openai_cost.tracking`` logger: tracking never breaks the caller's call.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import json
import logging
import re
import sys
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from .errors import BudgetExceededError, BudgetWarning, OpenAICostError, UsageError
from .types import Call, CallRecord, Cost, Usage

if TYPE_CHECKING:
    from .budget import Budget, Reservation
    from .catalog import Catalog
    from .ledger import Ledger

__all__ = ["AsyncTrackingTransport", "Config", "SyncTrackingTransport"]

_SESSIONS: contextvars.ContextVar[tuple[Any, ...]] = contextvars.ContextVar(
    "openai_cost_sessions", default=()
)
"""The `Session` objects open around the current call, outermost first."""

log = logging.getLogger("openai_cost.tracking")

# Path suffix -> endpoint name, most specific first ("/chat/completions" before "/completions").
_ENDPOINTS: tuple[tuple[str, str], ...] = (
    ("/chat/completions", "chat.completions"),
    ("/completions", "completions"),
    ("/responses", "responses"),
    ("/embeddings", "embeddings"),
    ("/audio/speech", "audio.speech"),
    ("/audio/transcriptions", "audio.transcriptions"),
    ("/audio/translations", "audio.translations"),
    ("/images/generations", "images.generations"),
    ("/images/edits", "images.edits"),
    ("/images/variations", "images.variations"),
)
_STREAM_USAGE_ENDPOINTS = frozenset({"chat.completions", "completions"})
_AZURE_DEPLOYMENT = re.compile(r"/openai/deployments/([^/]+)/")
_MULTIPART_MODEL = re.compile(rb'name="model"\r\n(?:[^\r\n]*\r\n)*?\r\n([^\r\n]+)')
_AZURE_STREAM_OPTIONS_SINCE = "2024-08-01"
_RESPONSE_DONE = frozenset({"response.completed", "response.incomplete", "response.failed"})


def endpoint_of(path: str) -> str | None:
    """The endpoint name of a request path, or None when the path is not billed per call."""
    for suffix, name in _ENDPOINTS:
        if path.endswith(suffix):
            return name
    return None


@dataclass(slots=True)
class Config:
    """What one tracked client records into: its ledger, tags, budget and price catalog."""

    ledger: Ledger | None = None
    """A `Ledger`, or None for the process-wide default ledger (opened on first use)."""
    tags: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    """Tags stored on every row."""
    budget: Budget | None = None
    """Checked (and reserved against) before each call."""
    prices: Catalog | None = None
    """Catalog to price with; None for the shared `catalog()`."""


# --------------------------------------------------------------------------- the attempt


class Attempt:
    """One HTTP attempt of a billable call, from request to record."""

    __slots__ = (
        "budget_input",
        "cfg",
        "created_at",
        "endpoint",
        "finished",
        "model_requested",
        "reservation",
        "sessions",
        "stream",
        "t0",
    )

    def __init__(
        self, cfg: Config, endpoint: str, model_requested: str | None, stream: bool
    ) -> None:
        self.cfg = cfg
        self.endpoint = endpoint
        self.model_requested = model_requested
        self.stream = stream
        self.sessions: tuple[Any, ...] = _SESSIONS.get()
        self.created_at = datetime.now(timezone.utc)
        self.t0 = time.perf_counter()
        self.reservation: Reservation | None = None
        self.budget_input: tuple[dict[str, Any] | None, bytes | None] | None = None
        self.finished = False

    def finish(
        self,
        http_status: int | None,
        headers: Mapping[str, str] | None,
        body: bytes | None,
        *,
        complete: bool,
        request_body: dict[str, Any] | None = None,
    ) -> None:
        """Build the record, hand it to the sessions and the ledger. Never raises."""
        if self.finished:  # pragma: no cover - the taps call it once; a guard for later callers
            return
        self.finished = True
        latency_ms = (time.perf_counter() - self.t0) * 1000.0
        rec: CallRecord | None = None
        try:
            rec = self._record(http_status, headers, body, complete, latency_ms, request_body)
        except Exception:  # pragma: no cover - a bug in reading: logged, the call goes on
            log.warning("openai-cost could not read a %s call", self.endpoint, exc_info=True)
        if rec is not None:  # pragma: no branch - None only after the logged bug above
            for s in self.sessions:
                try:
                    s._add(rec)
                except Exception:  # pragma: no cover - _add only appends under a lock
                    log.warning("openai-cost could not update a session", exc_info=True)
        self._store(rec)

    def _store(self, rec: CallRecord | None) -> None:
        if self.reservation is not None:
            try:
                self.reservation.settle(rec)
                return
            except Exception:  # pragma: no cover - settle() is documented never to raise
                log.warning("openai-cost could not settle a budget reservation", exc_info=True)
        if rec is None:  # pragma: no cover - see finish()
            return
        try:
            ledger = self.cfg.ledger if self.cfg.ledger is not None else default_ledger()
            if ledger is not None:
                ledger.submit(rec)
        except Exception:  # pragma: no cover - submit() is documented never to raise
            log.warning("openai-cost could not queue a ledger row", exc_info=True)

    def _record(
        self,
        http_status: int | None,
        headers: Mapping[str, str] | None,
        body: bytes | None,
        complete: bool,
        latency_ms: float,
        request_body: dict[str, Any] | None,
    ) -> CallRecord:
        request_id = headers.get("x-request-id") if headers is not None else None
        tags = self._tags()
        base: dict[str, Any] = {
            "created_at": self.created_at,
            "model_requested": self.model_requested,
            "endpoint": self.endpoint,
            "http_status": http_status,
            "latency_ms": latency_ms,
            "tags": tags,
        }
        if http_status is None or http_status >= 400:
            return CallRecord(request_id=request_id or _new_id(), status="error", **base)
        try:
            payload, model, body_id = self._payload(body, request_body)
        except ValueError as e:  # not JSON: the SDK will complain to the caller too
            return CallRecord(
                request_id=request_id or _new_id(),
                status="ok" if complete else "incomplete",
                unpriced_reason=f"unreadable response body: {e}",
                **base,
            )
        if self.stream and not complete and body:  # the SDK stops reading at [DONE]
            complete = body.rstrip().endswith(b"data: [DONE]")
        status = "ok" if complete or payload is not None else "incomplete"
        request_id = request_id or body_id or _new_id()
        if payload is None:
            if status == "incomplete":
                reason = "the stream ended before its usage arrived"
            elif self.stream:
                reason = "the stream carried no usage chunk"
            else:
                reason = "the response carried no usage"
            return CallRecord(
                request_id=request_id, status=status, model=model, unpriced_reason=reason, **base
            )
        if request_body is None and self.model_requested:  # a multipart upload
            request_body = {"model": self.model_requested}
        try:
            call = _extract(payload, self.endpoint, request_body)
        except UsageError as e:
            return CallRecord(
                request_id=request_id,
                status=status,
                model=model,
                unpriced_reason=f"unreadable usage: {e}",
                **base,
            )
        cost: Cost | None = None
        reason_: str | None = None
        try:
            from ._api import cost_of

            cost = cost_of(call, prices=self.cfg.prices)
        except OpenAICostError as e:
            reason_ = str(e)
        return CallRecord(
            request_id=request_id,
            status=status,
            model=call.model or model,
            model_resolved=None if cost is None else cost.model,
            tier=(cost.tier if cost is not None else call.service_tier),
            usage=call.usage,
            cost=cost,
            unpriced_reason=reason_,
            **base,
        )

    def _tags(self) -> Mapping[str, str]:
        tags = self.cfg.tags
        if not self.sessions:
            return tags
        merged = dict(tags)
        for s in self.sessions:  # outermost first: inner sessions win
            merged.update(s.tags)
        return MappingProxyType(merged)

    def _payload(
        self, body: bytes | None, request_body: dict[str, Any] | None
    ) -> tuple[Mapping[str, Any] | None, str | None, str | None]:
        """(what to read usage from, model reported, response id) of a successful body."""
        ep = self.endpoint
        if ep == "audio.speech":  # the body is audio: tts-1 bills the request's characters
            return {}, self.model_requested, None
        if not body:  # a 200 with no body
            return None, None, None
        if self.stream:
            return _from_sse(body, ep)
        d = json.loads(body)
        if not isinstance(d, dict):
            raise ValueError(f"expected a JSON object, got {type(d).__name__}")
        return d, _str_or_none(d.get("model")), _str_or_none(d.get("id"))


def _str_or_none(v: Any) -> str | None:
    return v if isinstance(v, str) else None


def _new_id() -> str:
    return f"oc_{uuid.uuid4().hex}"


def _from_sse(
    body: bytes, endpoint: str
) -> tuple[Mapping[str, Any] | None, str | None, str | None]:
    """The final usage-bearing object of an SSE body, plus the model and id seen in it."""
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
            if obj.get("type") in _RESPONSE_DONE and isinstance(obj.get("response"), dict):
                resp: dict[str, Any] = obj["response"]
                return resp, _str_or_none(resp.get("model")) or model, rid
        elif obj.get("usage"):
            return obj, _str_or_none(obj.get("model")) or model, rid
    return None, model, rid


def _extract(payload: Mapping[str, Any], endpoint: str, req: Mapping[str, Any] | None) -> Call:
    from .usage import extract_usage

    if endpoint == "audio.speech":  # the body is audio: the request says what was billed
        return extract_usage(None, request=req, endpoint=endpoint)
    return extract_usage(payload, request=req, endpoint=endpoint)


# --------------------------------------------------------------------------- default ledger

_DEFAULT: list[Ledger] = []
_DEFAULT_FAILED: list[bool] = []
_DEFAULT_LOCK = threading.Lock()


def default_ledger() -> Ledger | None:
    """The process-wide `Ledger()` (SQLite under ``OPENAI_COST_HOME`` unless configured)."""
    if _DEFAULT:
        return _DEFAULT[0]
    if _DEFAULT_FAILED:
        return None
    with _DEFAULT_LOCK:
        if _DEFAULT:  # pragma: no cover - another thread opened it meanwhile
            return _DEFAULT[0]
        try:
            from .ledger import Ledger

            _DEFAULT.append(Ledger())
        except Exception:
            _DEFAULT_FAILED.append(True)
            log.warning("openai-cost could not open the default ledger", exc_info=True)
            return None
    return _DEFAULT[0]


# --------------------------------------------------------------------------- request side


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


def begin(
    cfg: Config, request: Any, *, check_budget: bool = True
) -> tuple[Attempt | None, Any, dict[str, Any] | None]:
    """Look at a request before it is sent.

    Returns the attempt to finish (None when the request is not tracked), the request to send
    (rewritten when usage was added to a stream) and the parsed request body. With
    ``check_budget=False`` the budget is left to the caller (`areserve`, for async clients).

    Raises:
        BudgetExceededError: the budget refuses the call.
    """
    if request.method != "POST":
        return None, request, None
    path: str = request.url.path
    endpoint = endpoint_of(path)
    if endpoint is None:
        return None, request, None
    try:
        body, raw = _request_body(request)
        m = _AZURE_DEPLOYMENT.search(path)
        model_req: str | None
        if m is not None:
            model_req = m.group(1)
        elif body is not None:
            model_req = _str_or_none(body.get("model"))
        else:
            model_req = _form_model(request, raw)
        stream = body is not None and body.get("stream") is True
        if stream and endpoint in _STREAM_USAGE_ENDPOINTS and _can_ask_usage(request, m):
            assert body is not None
            opts = body.get("stream_options")
            if not (isinstance(opts, dict) and opts.get("include_usage")):
                body = {**body, "stream_options": {**(opts or {}), "include_usage": True}}
                request = _with_json(request, body)
        att = Attempt(cfg, endpoint, model_req, stream)
    except Exception:  # pragma: no cover - a bug in reading: logged, the request goes as is
        log.warning("openai-cost could not read a request to %s", path, exc_info=True)
        return None, request, None
    if cfg.budget is not None:
        if check_budget:
            _reserve(att, cfg.budget, body, raw)
        else:
            att.budget_input = (body, raw)
    return att, request, body


def _with_json(request: Any, body: dict[str, Any]) -> Any:
    """``request`` carrying ``body`` instead (the SDK builds a fresh request per attempt)."""
    content = json.dumps(body, separators=(",", ":")).encode()
    mod = _httpx_module(request)
    request.headers["Content-Length"] = str(len(content))
    request.stream = mod.ByteStream(content)
    request._content = content  # what Request.read() caches; .content returns it
    return request


def _budget_ledger(att: Attempt, body: dict[str, Any] | None, raw: bytes | None) -> Any:
    """(estimate, ledger) for a budget check, or None when it cannot be made (logged)."""
    cfg = att.cfg
    try:
        est = estimate_request(att.model_requested, body, raw, cfg.prices)
        ledger = cfg.ledger if cfg.ledger is not None else default_ledger()
    except Exception:  # pragma: no cover - estimate_request catches what it expects
        log.warning("openai-cost could not estimate a call for its budget", exc_info=True)
        return None
    if ledger is None:
        log.warning("openai-cost has no ledger: the budget is not checked")
        return None
    return est, ledger


def _reserve(att: Attempt, budget: Budget, body: dict[str, Any] | None, raw: bytes | None) -> None:
    args = _budget_ledger(att, body, raw)
    if args is None:
        return
    try:
        att.reservation = budget.reserve(args[1], args[0])
    except (BudgetExceededError, BudgetWarning):  # refused, or a warning turned into an error
        raise
    except Exception:
        log.warning("openai-cost could not check the budget; the call proceeds", exc_info=True)


async def areserve(att: Attempt) -> None:
    """The budget check of an async client's attempt, without blocking its event loop."""
    budget = att.cfg.budget
    if budget is None or att.budget_input is None:
        return
    args = _budget_ledger(att, *att.budget_input)
    att.budget_input = None
    if args is None:
        return
    try:
        att.reservation = await budget.areserve(args[1], args[0])
    except (BudgetExceededError, BudgetWarning):  # refused, or a warning turned into an error
        raise
    except Exception:
        log.warning("openai-cost could not check the budget; the call proceeds", exc_info=True)


def estimate_request(
    model: str | None,
    body: Mapping[str, Any] | None,
    raw: bytes | None,
    prices: Catalog | None = None,
) -> Decimal:
    """A conservative (high) cost estimate of a request before it is sent.

    Output is the request's ``max_completion_tokens`` / ``max_tokens`` / ``max_output_tokens``,
    else the model's maximum output from the catalog. Input: chat messages and Responses
    ``input`` are counted with `openai_cost.estimate`; anything else (or anything it cannot
    count) is the request body's length / 4 tokens, which over-counts (JSON syntax counts too).
    A model the catalog does not know estimates to 0 (logged): the budget still refuses calls
    once what was spent reaches the limit.
    """
    names = [n for n in ((body or {}).get("model"), model) if isinstance(n, str) and n]
    if not names:
        return Decimal(0)
    out: int | None = None
    tier: str | None = None
    if body is not None:
        for key in ("max_completion_tokens", "max_tokens", "max_output_tokens"):
            v = body.get(key)
            if type(v) is int and v >= 0:
                out = v
                break
        t = body.get("service_tier")
        tier = t if t in ("flex", "priority") else None
    from .catalog import catalog

    cat = prices or catalog()
    for name in names:
        try:
            mp = cat.resolve(name)
        except OpenAICostError:
            continue
        max_out = out if out is not None else (mp.max_output_tokens or 0)
        prompt = None if body is None else body.get("messages", body.get("input"))
        if isinstance(prompt, (str, list)) and prompt:
            try:
                from .tokens import estimate

                tools = body.get("tools") if body is not None else None
                return estimate(
                    name,
                    prompt,
                    max_output_tokens=max_out,
                    tools=tools if isinstance(tools, list) else None,
                    tier=tier,
                    prices=cat,
                ).total_max
            except Exception as e:  # a shape it cannot count: fall back to the body size
                log.debug("openai-cost counted %r by size: %s", name, e)
        from .pricing import price

        try:
            usage = Usage(input_tokens=len(raw or b"") // 4, output_tokens=max_out)
            return price(usage, mp, tier=tier).total
        except OpenAICostError as e:
            log.info("openai-cost cannot estimate %r for a budget: %s", name, e)
            return Decimal(0)
    log.info("openai-cost cannot estimate %s for a budget (counted as $0)", names[0])
    return Decimal(0)


# --------------------------------------------------------------------------- response side


def _httpx_module(obj: Any) -> Any:
    return sys.modules[type(obj).__module__.partition(".")[0]]


class _SyncTapBase:
    """Passes a response's bytes through unchanged, keeps a copy, finishes the attempt."""

    _inner: Any
    _att: Attempt
    _status: int
    _headers: Any
    _req: dict[str, Any] | None
    _buf: list[bytes]
    _complete: bool

    def _setup(self, inner: Any, att: Attempt, response: Any, req: dict[str, Any] | None) -> None:
        self._inner = inner
        self._att = att
        self._status = response.status_code
        self._headers = response.headers
        self._req = req
        self._buf = []
        self._complete = False

    def _done(self) -> None:
        if not self._att.finished:
            self._att.finish(
                self._status,
                self._headers,
                b"".join(self._buf),
                complete=self._complete,
                request_body=self._req,
            )

    def __del__(self) -> None:  # the caller dropped the response without closing it
        with contextlib.suppress(Exception):  # interpreter shutdown
            self._done()


class _SyncTapMixin(_SyncTapBase):
    def __iter__(self) -> Iterator[bytes]:
        buf = self._buf
        for chunk in self._inner:
            buf.append(chunk)
            yield chunk
        self._complete = True

    def close(self) -> None:
        try:
            self._inner.close()
        finally:
            self._done()


class _AsyncTapMixin(_SyncTapBase):
    async def __aiter__(self) -> AsyncIterator[bytes]:
        buf = self._buf
        async for chunk in self._inner:
            buf.append(chunk)
            yield chunk
        self._complete = True

    async def aclose(self) -> None:
        try:
            await self._inner.aclose()
        finally:
            self._done()


@functools.cache
def _tap_class(base: type, mixin: type) -> type:
    return type(f"Tracking{base.__name__}", (mixin, base), {})


def _tap(response: Any, att: Attempt, req: dict[str, Any] | None, *, is_async: bool) -> Any:
    content = getattr(response, "_content", None)
    if isinstance(content, bytes):  # a transport that read the body already (mock, cache)
        att.finish(response.status_code, response.headers, content, complete=True, request_body=req)
        return response
    mod = _httpx_module(response)
    base = mod.AsyncByteStream if is_async else mod.SyncByteStream
    cls = _tap_class(base, _AsyncTapMixin if is_async else _SyncTapMixin)
    tap: Any = cls()
    tap._setup(response.stream, att, response, req)
    response.stream = tap
    return response


class _TransportBase:
    def __init__(self, inner: Any, cfg: Config) -> None:
        self.inner = inner
        self.cfg = cfg

    def __getattr__(self, name: str) -> Any:  # anything else the client asks of its transport
        return getattr(self.inner, name)


def _watch(response: Any, att: Any, req: Any, *, is_async: bool) -> Any:
    """Hand ``response`` back with its body watched; never let tracking break the call."""
    try:
        return _tap(response, att, req, is_async=is_async)
    except Exception:  # pragma: no cover - a response without the usual httpx shape
        log.warning("openai-cost could not watch a response", exc_info=True)
        att.finish(response.status_code, response.headers, None, complete=False)
        return response


class SyncTrackingTransport(_TransportBase):
    """Wraps a sync httpx (or httpx2) transport; see the module docstring."""

    def handle_request(self, request: Any) -> Any:
        att, request, req = begin(self.cfg, request)
        if att is None:
            return self.inner.handle_request(request)
        try:
            response = self.inner.handle_request(request)
        except BaseException:
            att.finish(None, None, None, complete=False)
            raise
        return _watch(response, att, req, is_async=False)

    def close(self) -> None:
        self.inner.close()

    def __enter__(self) -> SyncTrackingTransport:
        self.inner.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.inner.__exit__(*exc)


class AsyncTrackingTransport(_TransportBase):
    """Wraps an async httpx (or httpx2) transport; see the module docstring."""

    async def handle_async_request(self, request: Any) -> Any:
        att, request, req = begin(self.cfg, request, check_budget=False)
        if att is None:
            return await self.inner.handle_async_request(request)
        await areserve(att)
        try:
            response = await self.inner.handle_async_request(request)
        except BaseException:
            att.finish(None, None, None, complete=False)
            raise
        return _watch(response, att, req, is_async=True)

    async def aclose(self) -> None:
        await self.inner.aclose()

    async def __aenter__(self) -> AsyncTrackingTransport:
        await self.inner.__aenter__()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.inner.__aexit__(*exc)

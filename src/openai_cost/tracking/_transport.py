"""HTTP-layer instrumentation behind `openai_cost.track`.

A tracked client's httpx transport is wrapped by `SyncTrackingTransport` (or the async twin).
For each POST to a billable endpoint it reads the request (model, ``stream``, ``stream_options``),
adds ``stream_options.include_usage`` to chat streams that did not ask for it, checks the budget,
sends the request, and wraps the response's byte stream in a tap that passes every byte through
unchanged while keeping a copy. When the body has been read (or the caller closes or drops the
response) the copy is parsed, priced and turned into one `CallRecord` per HTTP attempt, which goes
to the active sessions and to the ledger.

When tracking added ``include_usage`` to a stream, the tap hands the SDK the stream without what
that option added (`UsageHider`): the caller sees the chunks it would see untracked, while the
copy keeps the usage chunk for pricing. A response still open when the interpreter exits (a
stream the caller broke out of and kept, or one only garbage collection would free) is recorded
by the exit sequence (`openai_cost._exit`) before the ledgers are closed, so its row is stored and
nothing starts a thread while the interpreter finalises.

Everything here except `BudgetExceededError` runs under `never_raise`: tracking never breaks
the caller's call. The request is read by `_request`, the record built by `_attempt`.
"""

from __future__ import annotations

import contextlib
import functools
import os
import weakref
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any

from .. import _exit
from ..errors import BudgetExceededError, BudgetWarning
from ..tokens import estimate_request
from ..usage import UsageHider
from ._attempt import Attempt, Config, ledger_of
from ._guard import log, never_raise
from ._request import Seen, httpx_module, read_request

if TYPE_CHECKING:
    from ..budget import Budget

__all__ = ["AsyncTrackingTransport", "Config", "SyncTrackingTransport"]


def begin(
    cfg: Config, request: Any, *, check_budget: bool = True
) -> tuple[Attempt | None, Any, dict[str, Any] | None]:
    """Look at a request before it is sent.

    Returns the attempt to finish (None when the request is not tracked), the request to send
    (rewritten when usage was added to a stream) and the parsed request body. With
    ``check_budget=False`` the budget check is left to `areserve` (async clients, so that the
    check never blocks their event loop).

    Raises:
        BudgetExceededError: the budget refuses the call.
    """
    seen: Seen | None = None
    att: Attempt | None = None
    with never_raise("read a request to %s", request.url.path):
        seen = read_request(request)
        if seen is not None:
            request = seen.request
            att = Attempt(cfg, seen.endpoint, seen.model, seen.stream)
            att.hide_usage = seen.usage_added
    if seen is None or att is None:  # not billable, or a bug in reading (logged)
        return None, request, None
    if cfg.budget is not None:
        if check_budget:
            _reserve(att, cfg.budget, seen.body, seen.raw)
        else:
            att.budget_input = (seen.body, seen.raw)
    return att, request, seen.body


def _estimate(att: Attempt, body: dict[str, Any] | None, raw: bytes | None) -> Any:
    """(estimate, ledger) for a budget check, or None when it cannot be made (logged)."""
    cfg = att.cfg
    with never_raise("estimate a call for its budget") as guard:
        est = estimate_request(att.model_requested, body, raw, cfg.prices)
        ledger = ledger_of(cfg)
    if guard.failed:  # pragma: no cover - estimate_request catches what it expects
        return None
    if ledger is None:
        log.warning("openai-cost has no ledger: the budget is not checked")
        return None
    return est, ledger


def _reserve(att: Attempt, budget: Budget, body: dict[str, Any] | None, raw: bytes | None) -> None:
    args = _estimate(att, body, raw)
    if args is None:
        return
    # refused, or a warning turned into an error: the one exception tracking lets through
    with never_raise(
        "check the budget; the call proceeds", passing=(BudgetExceededError, BudgetWarning)
    ):
        att.reservation = budget.reserve(args[1], args[0])


async def areserve(att: Attempt) -> None:
    """The budget check of an async client's attempt, awaited without blocking its loop."""
    budget = att.cfg.budget
    if budget is None or att.budget_input is None:
        return
    args = _estimate(att, *att.budget_input)
    att.budget_input = None
    if args is None:
        return
    with never_raise(
        "check the budget; the call proceeds", passing=(BudgetExceededError, BudgetWarning)
    ):
        att.reservation = await budget.areserve(args[1], args[0])


# --------------------------------------------------------------------------- response side


_OPEN: weakref.WeakSet[_SyncTapBase] = weakref.WeakSet()
"""Taps whose attempt is not finished yet: the exit sequence finishes them."""


def _finish_open() -> None:
    for tap in list(_OPEN):
        with contextlib.suppress(Exception):
            tap._done()


_exit.on_exit(_finish_open, stage=_exit.FINISH)
if hasattr(os, "register_at_fork"):  # a forked child does not own its parent's calls
    os.register_at_fork(after_in_child=_OPEN.clear)


class _SyncTapBase:
    """Passes a response's bytes through (without an added usage chunk), keeps a copy,
    finishes the attempt."""

    _inner: Any
    _att: Attempt
    _status: int
    _headers: Any
    _req: dict[str, Any] | None
    _buf: list[bytes]
    _complete: bool
    _hider: UsageHider | None

    def _setup(self, inner: Any, att: Attempt, response: Any, req: dict[str, Any] | None) -> None:
        self._inner = inner
        self._att = att
        self._status = response.status_code
        self._headers = response.headers
        self._req = req
        self._buf = []
        self._complete = False
        self._hider = UsageHider() if att.hide_usage and _hideable(response) else None
        _OPEN.add(self)

    def _done(self) -> None:
        _OPEN.discard(self)
        if not self._att.finished:
            self._att.finish(
                self._status,
                self._headers,
                _decoded(self._headers, b"".join(self._buf)),
                complete=self._complete,
                request_body=self._req,
            )

    def __del__(self) -> None:  # the caller dropped the response without closing it
        # Late in interpreter shutdown, module globals (`_exit`, `contextlib`) may already be
        # None: a plain try/except is the only guard that cannot itself fail there.
        try:
            if _exit.exited():  # finished by the exit sequence; the interpreter is finalising
                return
            self._done()
        except Exception:  # a finaliser must never raise or print
            pass


def _decoded(headers: Any, body: bytes) -> bytes:
    """The body as the SDK reads it: the copy holds the bytes as sent, compressed when the
    server compressed them (api.openai.com compresses the JSON of calls that do not stream)."""
    encoding = headers.get("content-encoding", "identity")
    if not body or encoding in ("", "identity"):
        return body
    try:  # httpx's own decoders, through its public API
        mod = httpx_module(headers)
        out: bytes = mod.Response(200, headers={"content-encoding": encoding}, content=body).read()
    except Exception:  # cut short (an abandoned response) or unknown: the raw bytes, unread
        return body
    return out


def _hideable(response: Any) -> bool:
    """True for an event stream whose bytes are readable as they come (not compressed)."""
    headers = response.headers
    return (
        response.status_code < 400
        and headers.get("content-type", "").startswith("text/event-stream")
        and headers.get("content-encoding", "identity") in ("", "identity")
    )


class _SyncTapMixin(_SyncTapBase):
    def __iter__(self) -> Iterator[bytes]:
        buf = self._buf
        hider = self._hider
        if hider is None:
            for chunk in self._inner:
                buf.append(chunk)
                yield chunk
        else:
            for chunk in self._inner:
                buf.append(chunk)
                out = hider.feed(chunk)
                if out:
                    yield out
            out = hider.end()
            if out:
                yield out
        self._complete = True

    def close(self) -> None:
        try:
            self._inner.close()
        finally:
            self._done()


class _AsyncTapMixin(_SyncTapBase):
    async def __aiter__(self) -> AsyncIterator[bytes]:
        buf = self._buf
        hider = self._hider
        if hider is None:
            async for chunk in self._inner:
                buf.append(chunk)
                yield chunk
        else:
            async for chunk in self._inner:
                buf.append(chunk)
                out = hider.feed(chunk)
                if out:
                    yield out
            out = hider.end()
            if out:
                yield out
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
    mod = httpx_module(response)
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
    with never_raise("watch a response"):
        return _tap(response, att, req, is_async=is_async)
    att.finish(response.status_code, response.headers, None, complete=False)  # pragma: no cover
    return response  # pragma: no cover - a response without the usual httpx shape


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

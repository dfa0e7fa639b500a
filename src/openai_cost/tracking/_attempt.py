"""One HTTP attempt of a tracked call, from its request to its `CallRecord`.

`Attempt.finish` reads the response body through the usage wing, prices it with `cost_of`, and
hands the record to the open sessions and to the ledger (or the budget reservation, which
stores it). It never raises (see `never_raise`).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from .._api import cost_of
from ..errors import OpenAICostError, UsageError
from ..types import Call, CallRecord, Cost
from ..usage import body_payload, extract_usage
from . import _sessions
from ._guard import log, never_raise

if TYPE_CHECKING:
    from ..budget import Budget, Reservation
    from ..catalog import Catalog
    from ..ledger import Ledger

__all__ = ["Attempt", "Config", "ledger_of"]


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


class Attempt:
    """One HTTP attempt of a billable call, from request to record."""

    __slots__ = (
        "budget_input",
        "cfg",
        "created_at",
        "endpoint",
        "finished",
        "hide_usage",
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
        self.sessions: tuple[_sessions.Collector, ...] = _sessions.active()
        self.created_at = datetime.now(timezone.utc)
        self.t0 = time.perf_counter()
        self.reservation: Reservation | None = None
        self.budget_input: tuple[dict[str, Any] | None, bytes | None] | None = None
        self.finished = False
        self.hide_usage = False
        """True when tracking asked the stream for its usage: the caller must not see it."""

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
        with never_raise("read a %s call", self.endpoint):
            rec = self._record(http_status, headers, body, complete, latency_ms, request_body)
        if rec is not None:  # pragma: no branch - None only after a logged bug in reading
            for s in self.sessions:
                with never_raise("update a session"):
                    s.collect(rec)
        self._store(rec)

    def _store(self, rec: CallRecord | None) -> None:
        if self.reservation is not None:
            with never_raise("settle a budget reservation") as guard:
                self.reservation.settle(rec)
            if not guard.failed:
                return
        if rec is None:  # pragma: no cover - see finish()
            return
        with never_raise("queue a ledger row"):
            ledger = ledger_of(self.cfg)
            if ledger is not None:
                ledger.submit(rec)

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
            payload, model, body_id = body_payload(
                body, self.endpoint, stream=self.stream, model=self.model_requested
            )
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


def _str_or_none(v: Any) -> str | None:
    return v if isinstance(v, str) else None


def _new_id() -> str:
    return f"oc_{uuid.uuid4().hex}"


def _extract(payload: Mapping[str, Any], endpoint: str, req: Mapping[str, Any] | None) -> Call:
    if endpoint == "audio.speech":  # the body is audio: the request says what was billed
        return extract_usage(None, request=req, endpoint=endpoint)
    return extract_usage(payload, request=req, endpoint=endpoint)


_WARNED: list[BaseException] = []  # the default ledger's failure, once logged


def ledger_of(cfg: Config) -> Ledger | None:
    """The ledger a tracked client writes to: its own, else the process-wide default one
    (None, logged once, when that cannot be opened)."""
    if cfg.ledger is not None:
        return cfg.ledger
    from ..ledger import default_ledger

    try:
        return default_ledger()
    except Exception as e:
        if not any(w is e for w in _WARNED):
            _WARNED.append(e)
            log.warning("openai-cost could not open the default ledger", exc_info=True)
        return None

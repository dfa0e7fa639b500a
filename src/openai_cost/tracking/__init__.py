"""Instrument an ``openai`` client so every call's cost lands in a ledger: `track`, `session`.

```python
import openai, openai_cost as oc

client = oc.track(openai.OpenAI(), tags={"project": "search"})
with oc.session(tags={"feature": "summaries"}) as s:
    client.chat.completions.create(model="gpt-4o", messages=[...])
print(s.total, s.calls, s.by_model)
```

How it works: `track` wraps the client's httpx transport, so every HTTP attempt is seen without
depending on the SDK's resource classes. One `CallRecord` is written per HTTP attempt to a
billable endpoint (chat completions, completions, responses, embeddings, audio, images):

* a successful attempt is priced from its own body (streams: the final usage chunk, or the
  ``response`` of ``response.completed``); a model the catalog does not know is recorded with
  ``unpriced_reason``, never as $0;
* a failed attempt (HTTP 4xx/5xx, connection error) is recorded with ``status="error"``, its
  ``http_status`` and no cost. SDK retries are separate attempts, so a call retried once after a
  429 leaves two rows: one error, one priced;
* chat and completions streams that did not ask for usage get
  ``stream_options.include_usage = true`` added to the request (the one change tracking makes
  on the wire). The usage chunk this adds, and the ``"usage": null`` members of the other
  chunks, are read at the transport and kept from the SDK, so the caller gets the chunks it
  would get untracked;
* a stream the caller closes, drops or leaves open at exit before its usage arrived is recorded
  with ``status="incomplete"``, the model it reported and no cost (OpenAI still bills the tokens
  generated until then; the API does not say how many). At exit such calls are recorded before
  the ledgers flush, so the row is stored and the process exits promptly.

Tracking never breaks or noticeably slows the call: parsing and pricing take microseconds, the
row is queued with `Ledger.submit` (written by a background thread), and any failure in pricing
or storage is logged on the ``openai_cost.tracking`` logger while the call returns as normal.
The one deliberate exception is a `Budget`: an over-budget call raises `BudgetExceededError`
before the request is sent.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Mapping
from decimal import Decimal
from types import MappingProxyType, TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

from .._limits import check_tags
from ..errors import ConfigError
from . import _sessions
from ._transport import AsyncTrackingTransport, Config, SyncTrackingTransport

if TYPE_CHECKING:
    from ..budget import Budget
    from ..catalog import Catalog
    from ..ledger import Ledger
    from ..types import CallRecord

__all__ = ["Session", "session", "track"]

ClientT = TypeVar("ClientT")


def _tags(tags: Mapping[str, str] | None, where: str) -> Mapping[str, str]:
    if not tags:
        return MappingProxyType({})
    try:
        check_tags(tags, where)
    except ValueError as e:
        raise ConfigError(str(e)) from None
    return MappingProxyType(dict(tags))


def _httpx_client(client: Any) -> Any:
    http = getattr(client, "_client", None)
    if http is not None and hasattr(http, "_transport"):
        return http
    if hasattr(client, "_transport") and hasattr(client, "_mounts"):
        return client  # an httpx / httpx2 Client given directly
    raise TypeError(
        "track() expects an openai.OpenAI, AsyncOpenAI, AzureOpenAI or AsyncAzureOpenAI client "
        f"(or an httpx Client), got {type(client).__name__}"
    )


def track(
    client: ClientT,
    *,
    ledger: Ledger | str | None = None,
    tags: Mapping[str, str] | None = None,
    budget: Budget | None = None,
    prices: Catalog | None = None,
) -> ClientT:
    """Instrument ``client`` in place so each of its calls is priced and recorded.

    Args:
        client: an ``openai.OpenAI``, ``AsyncOpenAI``, ``AzureOpenAI`` or ``AsyncAzureOpenAI``
            client (or the httpx client one uses).
        ledger: the `Ledger` rows go to, or a database URL for one; default: the process-wide
            ``Ledger()`` (SQLite under ``OPENAI_COST_HOME``, or ``OPENAI_COST_DB_URL``), opened
            on the first call.
        tags: tags stored on every row (``{"project": "search"}``); tags of an enclosing
            `session` are merged on top.
        budget: a `Budget` checked before each call: the estimated cost plus what is already
            spent must fit, else `BudgetExceededError` is raised and nothing is sent. The check
            is one short database transaction; async clients run it on the event loop.
        prices: a `Catalog` to price with instead of the shared `catalog()`.

    Returns:
        The same client. Tracking it again replaces its ledger, tags, budget and prices.

    Raises:
        TypeError: ``client`` is not an ``openai`` client, or a tag is not a string.
        ConfigError: ``ledger`` is a URL of an unsupported database, or a tag cannot be
            stored (an empty name, a name over 255 or a value over 1024 characters, a NUL
            character or a lone surrogate).
    """
    http = _httpx_client(client)
    if isinstance(ledger, str):
        from ..ledger import Ledger

        ledger = Ledger(ledger)
    cfg = Config(ledger=ledger, tags=_tags(tags, "track()"), budget=budget, prices=prices)
    is_async = hasattr(http, "aclose")  # httpx.AsyncClient; a Client only has close()
    http._transport = _wrap(http._transport, cfg, is_async)
    mounts = getattr(http, "_mounts", None)
    if isinstance(mounts, dict):  # pragma: no branch - httpx keeps its mounts in a dict
        for pattern, transport in list(mounts.items()):
            if transport is not None:
                mounts[pattern] = _wrap(transport, cfg, is_async)
    return client


def _wrap(transport: Any, cfg: Config, is_async: bool) -> Any:
    if isinstance(transport, (SyncTrackingTransport, AsyncTrackingTransport)):
        transport.cfg = cfg
        return transport
    if is_async:
        return AsyncTrackingTransport(transport, cfg)
    return SyncTrackingTransport(transport, cfg)


class Session:
    """Totals of the calls made inside a ``with session():`` block.

    Calls count in every session open around them: in the same thread, in asyncio tasks started
    inside the block (they copy the context), and in threads that run with a copy of the
    context (``contextvars.copy_context().run(fn)``, or `Session.bind`). A plain
    ``threading.Thread`` or ``ThreadPoolExecutor`` does not copy the context: wrap its target
    with `bind`. Totals are updated under a lock, so threads may finish calls concurrently.
    """

    def __init__(self, tags: Mapping[str, str] | None = None) -> None:
        self.tags: Mapping[str, str] = _tags(tags, "session()")
        """Tags merged onto each row recorded inside the session."""
        self._lock = threading.Lock()
        self._records: list[CallRecord] = []
        self._total = Decimal(0)
        self._by_model: dict[str, Decimal] = {}
        self._unpriced = 0
        self._errors = 0

    # ---------------------------------------------------------------- totals

    @property
    def total(self) -> Decimal:
        """USD spent by the priced calls of the session."""
        return self._total

    @property
    def total_usd(self) -> Decimal:
        """`total`, USD (the package's unit-named spelling)."""
        return self._total

    @property
    def calls(self) -> int:
        """HTTP attempts recorded (priced, unpriced, incomplete and failed)."""
        return len(self._records)

    @property
    def errors(self) -> int:
        """Attempts that failed (``status == "error"``: no cost)."""
        return self._errors

    @property
    def unpriced(self) -> int:
        """Attempts that were not errors but have no cost (unknown model, stream cut early...)."""
        return self._unpriced

    @property
    def by_model(self) -> dict[str, Decimal]:
        """USD per model (the catalog id that priced it)."""
        with self._lock:
            return dict(self._by_model)

    @property
    def records(self) -> tuple[CallRecord, ...]:
        """Every record of the session, in the order the calls finished."""
        with self._lock:
            return tuple(self._records)

    def collect(self, rec: CallRecord) -> None:
        """Count one finished call (the tracking transport calls it; so may tests and tools
        that build records themselves)."""
        with self._lock:
            self._records.append(rec)
            cost = rec.cost
            if cost is not None:
                total = cost.total
                self._total += total
                key = rec.model_resolved or cost.model
                self._by_model[key] = self._by_model.get(key, Decimal(0)) + total
            elif rec.status == "error":
                self._errors += 1
            else:
                self._unpriced += 1

    # ---------------------------------------------------------------- scope

    def bind(self, fn: Any) -> Any:
        """``fn`` wrapped to run inside a copy of the current context (for threads).

        Call it inside the ``with`` block:
        ``threading.Thread(target=s.bind(work)).start()``.
        """
        ctx = contextvars.copy_context()

        def run(*args: Any, **kwargs: Any) -> Any:
            return ctx.copy().run(fn, *args, **kwargs)

        return run

    def __enter__(self) -> Session:
        _sessions.enter(self)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        _sessions.leave(self)

    async def __aenter__(self) -> Session:
        return self.__enter__()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.__exit__(exc_type, exc, tb)

    def __repr__(self) -> str:
        return (
            f"Session(total=${self._total}, calls={self.calls}, errors={self._errors}, "
            f"unpriced={self._unpriced})"
        )


def session(tags: Mapping[str, str] | None = None) -> Session:
    """A context manager collecting the totals of the tracked calls made inside it.

    ``with openai_cost.session(tags={"user": "u1"}) as s: ...`` (or ``async with``), then read
    ``s.total`` (Decimal USD), ``s.calls``, ``s.by_model``, ``s.unpriced``, ``s.records``.
    Its tags are added to every row recorded inside it (inner sessions win over outer ones,
    both over the client's `track` tags). Only tracked clients are seen.

    Args:
        tags: tags for the calls of the block.

    Raises:
        ConfigError: a tag cannot be stored (an empty name, a name over 255 or a value over
            1024 characters, a NUL character or a lone surrogate).
    """
    return Session(tags)

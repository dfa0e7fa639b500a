"""Which sessions are open around the current call: one context variable and its API.

`Session` (in `openai_cost.tracking`) enters and leaves; the transport reads `active` when a
call starts and hands each finished call's record to every session's ``collect``.
"""

from __future__ import annotations

import contextvars
from collections.abc import Mapping
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from ..types import CallRecord

__all__ = ["Collector", "active", "enter", "leave"]


class Collector(Protocol):
    """What the transport needs of a session."""

    @property
    def tags(self) -> Mapping[str, str]:
        """Tags merged onto each row recorded inside it."""
        ...

    def collect(self, record: CallRecord) -> None:
        """Count one finished call."""
        ...


_ACTIVE: contextvars.ContextVar[tuple[Collector, ...]] = contextvars.ContextVar(
    "openai_cost_sessions", default=()
)

active = _ACTIVE.get
"""The sessions open around the current call, outermost first."""


def enter(session: Collector) -> None:
    """Open ``session`` in the current context (innermost)."""
    _ACTIVE.set((*_ACTIVE.get(), session))


def leave(session: Collector) -> None:
    """Close the innermost entry of ``session`` in the current context only, so one session
    may be open in several threads or tasks at once."""
    open_ = _ACTIVE.get()
    for i in range(len(open_) - 1, -1, -1):
        if open_[i] is session:
            _ACTIVE.set(open_[:i] + open_[i + 1 :])
            return

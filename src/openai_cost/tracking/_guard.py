"""The never-raise policy of tracking, stated once.

Tracking must never break the caller's API call. Every step that could fail after the caller
asked for a call (reading the request, pricing the response, updating sessions, settling a
budget, queueing the ledger row, opening the default ledger) runs inside ``never_raise``: an
`Exception` there is logged as a warning with its traceback on the ``openai_cost.tracking``
logger and the call goes on. The one deliberate exception is a budget's refusal
(`BudgetExceededError`, or `BudgetWarning` turned into an error), which the caller asked for.
"""

from __future__ import annotations

import logging
from types import TracebackType

__all__ = ["log", "never_raise"]

log = logging.getLogger("openai_cost.tracking")


class never_raise:
    """``with never_raise("queue a ledger row"):`` runs its block and logs, never raises.

    An `Exception` raised in the block is logged as ``"openai-cost could not <what>"`` (with
    ``args`` interpolated) and swallowed; `failed` is then True. Exceptions of the types in
    ``passing`` go through, as do `BaseException` subclasses (KeyboardInterrupt, cancellation).
    """

    __slots__ = ("args", "failed", "passing", "what")

    def __init__(
        self,
        what: str,
        *args: object,
        passing: tuple[type[BaseException], ...] = (),
    ) -> None:
        self.what = what
        self.args = args
        self.passing = passing
        self.failed = False

    def __enter__(self) -> never_raise:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        if exc_type is None or not issubclass(exc_type, Exception):
            return False
        if self.passing and issubclass(exc_type, self.passing):
            return False
        self.failed = True
        log.warning("openai-cost could not " + self.what, *self.args, exc_info=exc)
        return True

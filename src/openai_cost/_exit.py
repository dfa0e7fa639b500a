"""The package's work at interpreter exit, in one ordered sequence.

Two stages run from one ``atexit`` handler: first `FINISH` (tracking records the calls still in
flight, such as a stream the caller left open), then `CLOSE` (ledgers flush their queued rows
and stop their writer threads). Separate ``atexit`` handlers would run in the reverse order of
their registration, which depends on which module happened to be imported first; here the order
is fixed, and a callback registered while the sequence runs (a ledger first opened to store a
row finished at exit) still runs in its stage.

After the sequence, `exited` is True: nothing may start a thread or open a database then (the
interpreter is finalising; a thread started now would never run and its joiner would hang).
"""

from __future__ import annotations

import atexit
import contextlib
from collections.abc import Callable

__all__ = ["CLOSE", "FINISH", "exited", "on_exit"]

FINISH = 0
"""Stage of the callbacks that finish what is in flight (tracking's open calls)."""
CLOSE = 1
"""Stage of the callbacks that flush and close (ledgers)."""

_STAGES: tuple[list[Callable[[], object]], list[Callable[[], object]]] = ([], [])
_STATE = {"exited": False}


def on_exit(fn: Callable[[], object], *, stage: int) -> None:
    """Run ``fn`` at interpreter exit, in ``stage`` (`FINISH` before `CLOSE`), once."""
    if fn not in _STAGES[stage]:
        _STAGES[stage].append(fn)


def exited() -> bool:
    """True once the exit sequence has run: the interpreter is shutting down."""
    return _STATE["exited"]


def _run() -> None:
    try:
        for stage in _STAGES:
            i = 0
            while i < len(stage):  # callbacks may be added while this runs
                with contextlib.suppress(Exception):
                    stage[i]()
                i += 1
    finally:
        _STATE["exited"] = True


atexit.register(_run)

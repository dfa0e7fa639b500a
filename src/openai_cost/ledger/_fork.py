"""Keeping ``fork`` out of the moments a ledger thread is inside the database driver.

A child forked while another thread holds a lock inside SQLite, libpq or an import would inherit
that lock held forever and hang on its first write. `openai_cost.ledger` runs its database work
inside `ForkGuard.hold` and registers `ForkGuard.before_fork` / `after_fork_in_parent` with
``os.register_at_fork``; the child starts over with a fresh guard, writer and engine.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

__all__ = ["FORK_WAIT", "ForkGuard"]

FORK_WAIT = 10.0
"""Longest a ``fork`` waits for ledger work in progress, in seconds."""


class ForkGuard:
    """Keeps ``fork`` out of the moments a ledger thread is inside the database driver.

    A child forked while another thread holds a lock inside SQLite, libpq or an import would
    inherit that lock held forever and hang on its first write. Ledger work runs inside
    `hold` (any number of threads at once); ``os.fork`` waits (up to ``FORK_WAIT`` seconds)
    until none is inside, and new work waits until the fork is done.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._busy = 0
        self._forking = False
        self._mine = threading.local()

    @contextlib.contextmanager
    def hold(self) -> Iterator[None]:
        depth = getattr(self._mine, "depth", 0)
        if depth == 0:
            with self._cond:
                while self._forking:
                    self._cond.wait()
                self._busy += 1
        self._mine.depth = depth + 1
        try:
            yield
        finally:
            self._mine.depth = depth
            if depth == 0:
                with self._cond:
                    self._busy -= 1
                    if not self._busy:
                        self._cond.notify_all()

    def before_fork(self) -> None:
        """Wait until no ledger work is in progress, and hold new work until the fork."""
        with self._cond:
            self._forking = True
            self._cond.wait_for(lambda: self._busy == 0, timeout=FORK_WAIT)

    def after_fork_in_parent(self) -> None:
        """Let ledger work go on."""
        with self._cond:
            self._forking = False
            self._cond.notify_all()

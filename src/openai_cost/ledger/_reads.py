"""The ledger's read-only side: opening a database without writing to it, and the filtered
reads a dashboard makes (`FilteredReads`, mixed into `Ledger`; the SQL is in `views`)."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.engine.url import URL

from ..errors import LedgerError
from . import queries, views
from .migrations import MIGRATIONS, applied_migrations
from .schema import MIGRATIONS_TABLE
from .views import BreakdownRow, CallFilter

if TYPE_CHECKING:
    from ..types import CallRecord

__all__ = ["FilteredReads", "check_schema", "read_only_engine"]


def _sqlite_connect_ro(uri: str) -> Any:
    import sqlite3

    con = sqlite3.connect(uri, uri=True, check_same_thread=False, timeout=30.0)
    con.isolation_level = None
    queries.register_sqlite_functions(con)
    return con


def read_only_engine(u: URL) -> Engine:
    """An engine that cannot write: a SQLite file opened ``mode=ro`` (a missing file is a
    `LedgerError`, never created), a PostgreSQL session with ``default_transaction_read_only``.
    """
    if u.get_backend_name() == "sqlite":
        assert u.database is not None
        path = Path(u.database).expanduser()
        if not path.is_file():
            raise LedgerError(f"no ledger at {path}: nothing has been recorded there yet")
        uri = f"file:{path.resolve().as_posix()}?mode=ro"
        # a new connection per use: a file replaced or restored while a reader runs is seen at
        # once, and a missing one is an error, not a stale descriptor
        engine = sa.create_engine(
            "sqlite://", creator=lambda: _sqlite_connect_ro(uri), poolclass=sa.pool.NullPool
        )

        @event.listens_for(engine, "begin")
        def _begin(conn: Connection) -> None:
            conn.exec_driver_sql("BEGIN")

        return engine
    args: dict[str, Any] = {} if "connect_timeout" in u.query else {"connect_timeout": 10}
    # read-only, and enough sort/hash memory for a month of calls grouped in one pass
    args["options"] = "-c default_transaction_read_only=on -c work_mem=64MB"
    return sa.create_engine(u, pool_pre_ping=True, connect_args=args)


def check_schema(engine: Engine, url: str) -> bool:
    """A ledger read without writing must already hold every migration this version knows.

    Returns:
        True (it does).

    Raises:
        LedgerError: it is not a ledger, or an older one.
    """
    with engine.connect() as conn:
        if not sa.inspect(conn).has_table(MIGRATIONS_TABLE):
            raise LedgerError(f"{url} is not an openai-cost ledger (no calls recorded)")
        missing = [n for n, _ in MIGRATIONS if n not in set(applied_migrations(conn))]
    if missing:
        raise LedgerError(
            f"ledger {url} predates this version (missing {', '.join(missing)}); open it once "
            "for writing (e.g. `openai-cost report`) to upgrade it"
        )
    return True


class FilteredReads:
    """`Ledger`'s reads by `CallFilter` (dates, model, endpoint, tier, status, tags).

    `Ledger` itself takes ``read_only=True`` to open its database with `read_only_engine`
    (a SQLite file in ``mode=ro``, a PostgreSQL session with ``default_transaction_read_only``,
    nothing created or migrated, writes refused), as the dashboard does.
    """

    if TYPE_CHECKING:

        def _connect(self) -> contextlib.AbstractContextManager[Connection]: ...

    def breakdown(
        self, where: CallFilter | None = None, *, grouped: bool = True
    ) -> list[BreakdownRow]:
        """The calls `where` selects, totalled per (UTC day, model, endpoint, tier, price
        period), in one pass: what a dashboard sums its panels from. ``grouped=False`` gives
        one row of totals instead.

        Raises:
            LedgerError: the database cannot be read.
        """
        with self._connect() as conn:
            return views.breakdown(conn, where or CallFilter(), grouped=grouped)

    def calls(
        self, where: CallFilter | None = None, *, limit: int = 50, offset: int = 0
    ) -> list[tuple[int, CallRecord]]:
        """A page of the calls `where` selects, newest first, as ``(row id, record)`` pairs.

        Raises:
            ValueError: `limit` < 1 or `offset` < 0.
            LedgerError: the database cannot be read.
        """
        with self._connect() as conn:
            return views.page_of_calls(conn, where or CallFilter(), limit=limit, offset=offset)

    def count(self, where: CallFilter | None = None, *, cap: int | None = None) -> int:
        """How many calls `where` selects (all of them by default).

        Args:
            cap: stop counting past this many (the answer is then ``cap + 1``): a pager's
                "1,000+" costs a bounded read on any ledger size.
        """
        with self._connect() as conn:
            return views.count_calls(conn, where or CallFilter(), cap=cap)

    def tag_names(self) -> list[str]:
        """Every tag name used in the ledger, sorted."""
        with self._connect() as conn:
            return views.tag_names(conn)

"""`Ledger`: where tracked calls are stored, queried, budgeted and reported.

```python
from openai_cost import Ledger

with Ledger() as ledger:                      # SQLite file in the user dir
    ledger.submit(record)                     # background write, never raises
    print(ledger.spent(since=date.today()))   # exact Decimal USD
    for row in ledger.report(by="model"):
        print(row.group, row.cost_usd, row.unpriced_calls)
```

A SQLite file by default; PostgreSQL for a team (``Ledger("postgresql://user@host/db")``,
needs the ``postgres`` extra). One code path through SQLAlchemy Core; the schema is created and
upgraded by ordered migrations on first use.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import json
import logging
import os
import threading
import weakref
from collections.abc import Iterator, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.engine.url import URL

from .. import _exit
from ..config import load_settings
from ..errors import ConfigError, LedgerError
from ..types import CallRecord
from . import queries, views
from ._writer import OutageError, Writer, orphan_segments
from .migrations import MIGRATIONS, applied_migrations, migrate
from .queries import GROUPINGS, ReportRow, as_utc_bound, check_record, record_to_dict
from .schema import MIGRATIONS_TABLE, TOKEN_COLUMNS
from .views import BreakdownRow, CallFilter

if TYPE_CHECKING:
    from sqlalchemy.engine.interfaces import DBAPIConnection
    from sqlalchemy.pool import ConnectionPoolEntry

__all__ = ["GROUPINGS", "BreakdownRow", "CallFilter", "Ledger", "ReportRow", "resolve_url"]

log = logging.getLogger("openai_cost.ledger")

PG_LOCK_BUDGET = 0x6F63_0002
"""PostgreSQL advisory lock key held while a budget reservation is checked and taken."""

_OPEN: weakref.WeakSet[Ledger] = weakref.WeakSet()
_EXIT_TIMEOUT = 5.0


def resolve_url(url: str | None = None) -> URL:
    """The SQLAlchemy URL of a ledger: `url`, else the settings (see `load_settings`).

    ``postgresql://`` and ``postgres://`` use psycopg 3; a bare path means a SQLite file.

    Raises:
        ConfigError: the URL names another database, or an in-memory SQLite database.
    """
    raw = load_settings(db_url=url).db_url
    if "://" not in raw:
        raw = f"sqlite:///{Path(raw).expanduser().resolve()}"
    try:
        u = make_url(raw)
    except sa.exc.ArgumentError as e:
        raise ConfigError(f"invalid ledger URL {raw!r}: {e}") from e
    backend = u.get_backend_name()
    if backend in ("postgresql", "postgres"):
        if "+" not in u.drivername or backend == "postgres":
            u = u.set(drivername="postgresql+psycopg")
        return u
    if backend == "sqlite":
        if not u.database or u.database == ":memory:" or u.database.startswith("file::memory"):
            raise ConfigError(
                "an in-memory SQLite ledger cannot be shared with its writer thread; "
                "use a file, e.g. sqlite:///ledger.db"
            )
        return u
    raise ConfigError(
        f"unsupported ledger database {u.render_as_string(hide_password=True)!r}; "
        "valid: sqlite:///PATH, a file path, or postgresql://USER@HOST/DB"
    )


def _is_outage(e: BaseException) -> bool:
    """True for errors that mean 'the database is not reachable now' (retry later)."""
    for err in (e, e.__cause__):
        if isinstance(err, (sa.exc.OperationalError, sa.exc.InterfaceError, OSError)):
            return True
        if isinstance(err, sa.exc.DBAPIError) and err.connection_invalidated:
            return True
    return False


def _is_refusal(e: BaseException) -> bool:
    """True when the database refused this data (a bad row), as opposed to being unreachable;
    anything unexpected counts as unreachable so that the rows stay in the spool."""
    return isinstance(e, sa.exc.StatementError) and not _is_outage(e)


class Ledger:
    """A store of `CallRecord` rows: SQLite by default, PostgreSQL by URL.

    Args:
        url: ``sqlite:///PATH`` (or a bare path), or ``postgresql://USER[:PASS]@HOST[:PORT]/DB``
            (``postgresql+psycopg://`` accepted too). Default: ``OPENAI_COST_DB_URL``, else
            ``db_url`` in ``config.toml``, else ``ledger.db`` in the user dir.
        read_only: only read: the database is opened read-only where the backend allows (a
            SQLite file in ``mode=ro``, a PostgreSQL session with
            ``default_transaction_read_only``), nothing is created or migrated, a missing
            SQLite file is a `LedgerError`, and writes are refused.

    Nothing connects until first used: `submit` never touches the database on the caller's
    thread, and the schema is created or upgraded on first use.

    Raises:
        ConfigError: the URL is not a supported database.
    """

    def __init__(self, url: str | None = None, *, read_only: bool = False) -> None:
        settings = load_settings(db_url=url)
        self._read_only = read_only
        self._url = resolve_url(settings.db_url)
        key = hashlib.sha256(self._url.render_as_string(hide_password=False).encode())
        self._spool = settings.home / "spool" / key.hexdigest()[:16]
        self._engine: Engine | None = None
        self._ready_flag = False
        self._replayed = False
        self._lock = threading.RLock()
        self._writer: Writer | None = None
        self._closing = False
        self._closed = False
        _OPEN.add(self)

    # -- identity -----------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The database URL, password hidden."""
        return self._url.render_as_string(hide_password=True)

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return str(self._url.get_backend_name())

    @property
    def read_only(self) -> bool:
        """True when opened with ``read_only=True``."""
        return self._read_only

    @property
    def spool_dir(self) -> Path:
        """Where records wait when the database cannot take them."""
        return self._spool

    def __repr__(self) -> str:
        return f"Ledger({self.url!r})"

    # -- engine -------------------------------------------------------------------------------

    def _make_read_only_engine(self) -> Engine:
        u = self._url
        if u.get_backend_name() == "sqlite":
            assert u.database is not None
            path = Path(u.database).expanduser()
            if not path.is_file():
                raise LedgerError(f"no ledger at {path}: nothing has been recorded there yet")
            uri = f"file:{path.resolve().as_posix()}?mode=ro"
            # a new connection per use: a file replaced or restored while a reader runs is
            # seen at once, and a missing one is an error, not a stale descriptor
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

    def _check_schema(self, engine: Engine) -> None:
        """A read-only ledger must already hold every migration this version knows."""
        if self._ready_flag:
            return
        with engine.connect() as conn:
            if not sa.inspect(conn).has_table(MIGRATIONS_TABLE):
                raise LedgerError(f"{self.url} is not an openai-cost ledger (no calls recorded)")
            missing = [n for n, _ in MIGRATIONS if n not in set(applied_migrations(conn))]
        if missing:
            raise LedgerError(
                f"ledger {self.url} predates this version (missing {', '.join(missing)}); open "
                "it once for writing (e.g. `openai-cost report`) to upgrade it"
            )
        self._ready_flag = True

    def _make_engine(self) -> Engine:
        u = self._url
        if self._read_only:
            return self._make_read_only_engine()
        if u.get_backend_name() == "sqlite":
            assert u.database is not None
            Path(u.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
            args: dict[str, Any] = {} if "timeout" in u.query else {"timeout": 30.0}
            args["check_same_thread"] = False
            engine = sa.create_engine(u, connect_args=args)

            @event.listens_for(engine, "connect")
            def _connect(dbapi_conn: DBAPIConnection, _rec: ConnectionPoolEntry) -> None:
                dbapi_conn.isolation_level = None
                cur = dbapi_conn.cursor()
                cur.execute("PRAGMA journal_mode=WAL")
                cur.execute("PRAGMA synchronous=FULL")
                cur.close()
                dbapi_conn.create_aggregate("oc_decimal_sum", 1, queries.DecimalSum)

            @event.listens_for(engine, "begin")
            def _begin(conn: Connection) -> None:
                immediate = conn.get_execution_options().get("sqlite_immediate")
                conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

            return engine
        args = {} if "connect_timeout" in u.query else {"connect_timeout": 10}
        return sa.create_engine(u, pool_pre_ping=True, connect_args=args)

    def _ready(self) -> Engine:
        """The engine, with the schema migrated and orphaned spools replayed."""
        if self._ready_flag and self._replayed:
            assert self._engine is not None
            return self._engine
        with self._lock:
            if self._closed:
                raise LedgerError(f"{self!r} is closed")
            try:
                if self._engine is None:
                    self._engine = self._make_engine()
                if self._read_only:
                    self._check_schema(self._engine)
                    return self._engine
                if not self._ready_flag:
                    migrate(self._engine)
                    self._ready_flag = True
                if not self._replayed:
                    orphan_segments(self._spool, self._insert_now)
                    self._replayed = True
            except ModuleNotFoundError as e:
                raise LedgerError(
                    f"cannot open ledger {self.url}: {e}; for PostgreSQL install "
                    '"openai-cost[postgres]"'
                ) from e
            except (sa.exc.SQLAlchemyError, OSError) as e:
                raise LedgerError(f"cannot open ledger {self.url}: {_short(e)}") from e
            return self._engine

    @contextlib.contextmanager
    def _connect(self, *, write: bool = False, lock: int | None = None) -> Iterator[Connection]:
        """A connection in a transaction; errors become `LedgerError`."""
        if self._closed:
            raise LedgerError(f"{self!r} is closed")
        engine = self._ready()
        try:
            with engine.connect() as conn:
                if write:
                    conn = conn.execution_options(sqlite_immediate=True)
                with conn.begin():
                    if lock is not None and conn.dialect.name == "postgresql":
                        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": lock})
                    yield conn
        except sa.exc.SQLAlchemyError as e:
            raise LedgerError(f"ledger {self.url}: {_short(e)}") from e

    def transaction(
        self, *, write: bool = False, lock: int | None = None
    ) -> contextlib.AbstractContextManager[Connection]:
        """One database transaction, for the package's own modules that keep state in the
        ledger's tables (budgets); not part of the public API.

        Args:
            write: take the write lock up front (SQLite ``BEGIN IMMEDIATE``).
            lock: a PostgreSQL advisory lock key held for the transaction (`PG_LOCK_BUDGET`).

        Raises:
            LedgerError: the ledger is closed or the database fails.
        """
        return self._connect(write=write, lock=lock)

    def migrations(self) -> list[str]:
        """Names of the schema migrations applied to this database, in order."""
        with self._connect() as conn:
            return applied_migrations(conn)

    # -- writes ------------------------------------------------------------------------------

    def _insert_now(self, records: Sequence[CallRecord]) -> set[str]:
        engine = self._engine
        assert engine is not None
        with engine.connect().execution_options(sqlite_immediate=True) as conn, conn.begin():
            return queries.insert_records(conn, records)

    def record(self, rec: CallRecord) -> bool:
        """Store one record now, on the caller's thread.

        Returns:
            True when stored; False when a record with the same request id was already there.

        Raises:
            LedgerError: the record is invalid or the database cannot be reached.
        """
        if self._read_only:
            raise LedgerError(f"{self!r} is read-only")
        try:
            check_record(rec)
        except ValueError as e:
            raise LedgerError(str(e)) from e
        with self._connect(write=True) as conn:
            return bool(queries.insert_records(conn, [rec], which=True))

    def _write_batch(self, records: Sequence[CallRecord]) -> None:
        """The writer thread's insert: outages raise `OutageError`; a row the database refuses
        is set aside in ``rejected.ndjson`` in the spool dir and logged, the rest are stored."""
        try:
            self._ready()
            self._insert_now(records)
            return
        except Exception as e:
            if not _is_refusal(e):
                # other processes may have died with rows spooled meanwhile: look again once
                # the database is back
                self._replayed = False
                raise OutageError(_short(e)) from e
            if len(records) == 1:
                self._reject(records[0], e)
                return
        for r in records:
            try:
                self._insert_now([r])
            except Exception as e:
                if not _is_refusal(e):
                    raise OutageError(_short(e)) from e
                self._reject(r, e)

    def _reject(self, rec: CallRecord, err: BaseException) -> None:
        path = self._spool / "rejected.ndjson"  # not *.jsonl: never replayed
        log.error("ledger refused record %r (%s); kept in %s", rec.request_id, _short(err), path)
        with contextlib.suppress(OSError):
            self._spool.mkdir(parents=True, exist_ok=True)
            with path.open("a", encoding="utf-8") as f:
                f.write(json.dumps({"error": _short(err), "record": record_to_dict(rec)}) + "\n")

    def submit(self, rec: CallRecord) -> None:
        """Queue a record for the background writer; returns at once and never raises.

        The record is appended to a spool journal before this returns, so it survives the
        process being killed; it is stored by a writer thread, or replayed later when the
        database is unreachable now. Problems are logged (logger ``openai_cost.ledger``).
        """
        try:
            w = self._writer
            if w is None:
                with self._lock:
                    if self._closed or self._closing:
                        raise LedgerError(f"{self!r} is closed")
                    if self._read_only:
                        raise LedgerError(f"{self!r} is read-only")
                    if _exit.exited():  # a thread started now would never run
                        raise LedgerError("the interpreter is exiting; the row is not stored")
                    if self._writer is None:
                        self._writer = Writer(self._spool, self._write_batch)
                    w = self._writer
            w.submit(rec)
        except Exception:
            log.exception("could not queue ledger record %r", getattr(rec, "request_id", rec))

    @property
    def pending(self) -> int:
        """Records submitted and not yet stored (spooled while the database is unreachable)."""
        w = self._writer
        return 0 if w is None else w.pending

    def flush(self, timeout: float | None = None) -> bool:
        """Wait for the records submitted so far.

        Returns once every one is stored, or once a write attempt made after this call failed
        (the records are then safe in the fsync'd spool and retried in the background), or
        after `timeout` seconds.

        Returns:
            True when every record submitted so far is stored.
        """
        w = self._writer
        return True if w is None else w.flush(timeout)

    def close(self, timeout: float | None = _EXIT_TIMEOUT) -> None:
        """Flush (up to `timeout` seconds), stop the writer and release the connections.

        Records still unsent stay in the spool and are replayed by the next `Ledger` opened on
        this database.
        """
        with self._lock:
            if self._closed or self._closing:
                return
            self._closing = True
            w, self._writer = self._writer, None
        if w is not None and not w.close(timeout):
            log.warning(
                "ledger %s closed with records unsent; they are kept in %s and replayed next time",
                self.url,
                self._spool,
            )
        self._closed = True
        if self._engine is not None:
            self._engine.dispose()
        _OPEN.discard(self)

    def __enter__(self) -> Ledger:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- reads -------------------------------------------------------------------------------

    def spent(
        self,
        *,
        since: date | datetime | None = None,
        until: date | datetime | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> Decimal:
        """Exact USD spent on priced calls in ``[since, until)`` carrying every tag in `tags`.

        A `date` bound means a whole UTC day: ``since`` from its start, ``until`` through its
        end. Unpriced calls are not in this sum (see `report`).
        """
        s, u = as_utc_bound(since, end=False), as_utc_bound(until, end=True)
        with self._connect() as conn:
            return queries.spent_usd(conn, since=s, until=u, tags=tags)

    def report(
        self,
        *,
        by: str = "model",
        since: date | datetime | str | None = None,
        until: date | datetime | str | None = None,
        tags: Mapping[str, str] | None = None,
        where: CallFilter | None = None,
    ) -> list[ReportRow]:
        """Totals per group of calls.

        Args:
            by: ``model``, ``day`` (UTC), ``endpoint``, ``tier`` or ``tag:NAME``.
            since: first date (or datetime) included.
            until: last date included (a datetime is exclusive).
            tags: only calls carrying every one of these tags.
            where: more filters (model, endpoint, tier, status, tags, bounds), ANDed with
                the arguments above.

        Returns:
            One `ReportRow` per group: days in order, other groups by cost, highest first.

        Raises:
            ValueError: `by` is not one of the groupings above.
            LedgerError: the database cannot be read.
        """
        s, u = as_utc_bound(since, end=False), as_utc_bound(until, end=True)
        extra = [] if where is None else views.filter_clauses(where)
        with self._connect() as conn:
            return queries.report_rows(conn, by=by, since=s, until=u, tags=tags, extra=extra)

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

    def records(
        self,
        *,
        since: date | datetime | None = None,
        until: date | datetime | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> list[CallRecord]:
        """The stored records in time order, exactly as they were recorded."""
        s, u = as_utc_bound(since, end=False), as_utc_bound(until, end=True)
        with self._connect() as conn:
            return list(queries.select_records(conn, since=s, until=u, tags=tags))

    def export(
        self,
        path: str | os.PathLike[str],
        *,
        since: date | datetime | None = None,
        until: date | datetime | None = None,
    ) -> int:
        """Write the records to a CSV file (one row per call); return the rows written.

        Money is written as exact decimal strings; an unpriced call has an empty ``cost_usd``
        and its ``unpriced_reason``.
        """
        cols = [
            "created_at",
            "request_id",
            "status",
            "model_requested",
            "model",
            "model_resolved",
            "endpoint",
            "tier",
            *(c for c, _ in TOKEN_COLUMNS),
            "cost_usd",
            "price_since",
            "unpriced_reason",
            "http_status",
            "latency_ms",
            "tags",
        ]
        n = 0
        with Path(path).open("w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(cols)
            for r in self.records(since=since, until=until):
                u = r.usage
                w.writerow(
                    [
                        r.created_at.isoformat(),
                        r.request_id,
                        r.status,
                        r.model_requested or "",
                        r.model or "",
                        r.model_resolved or "",
                        r.endpoint or "",
                        r.tier or "",
                        *(("" if u is None else getattr(u, fld)) for _, fld in TOKEN_COLUMNS),
                        "" if r.cost is None else str(r.cost.total),
                        "" if r.cost is None else r.cost.price_since.isoformat(),
                        r.unpriced_reason or "",
                        "" if r.http_status is None else r.http_status,
                        "" if r.latency_ms is None else r.latency_ms,
                        json.dumps(dict(r.tags), sort_keys=True) if r.tags else "",
                    ]
                )
                n += 1
        return n


def _sqlite_connect_ro(uri: str) -> Any:
    import sqlite3

    con = sqlite3.connect(uri, uri=True, check_same_thread=False, timeout=30.0)
    con.isolation_level = None
    con.create_aggregate("oc_decimal_sum", 1, queries.DecimalSum)  # type: ignore[arg-type]
    return con


def _short(e: BaseException) -> str:
    """The first line of a database error, without SQLAlchemy's background link."""
    orig = getattr(e, "orig", None)
    text = str(orig if orig is not None else e).strip()
    return text.splitlines()[0] if text else type(e).__name__


def _close_all() -> None:
    for ledger in list(_OPEN):
        with contextlib.suppress(Exception):
            ledger.close(_EXIT_TIMEOUT)


# at exit, after tracking has recorded the calls still in flight (see openai_cost._exit)
_exit.on_exit(_close_all, stage=_exit.CLOSE)


def _after_fork_in_child() -> None:
    for ledger in list(_OPEN):
        if ledger._writer is not None:
            ledger._writer.abandon()
            ledger._writer = None
        ledger._lock = threading.RLock()
        if ledger._engine is not None:
            ledger._engine.dispose(close=False)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


_DEFAULT: list[Ledger] = []
_DEFAULT_FAILED: list[BaseException] = []
_DEFAULT_LOCK = threading.Lock()


def default_ledger() -> Ledger:
    """The process-wide `Ledger()` (SQLite under ``OPENAI_COST_HOME`` unless configured),
    opened on first use and shared, as `catalog()` is for `Catalog`.

    Raises:
        LedgerError, ConfigError: it cannot be opened. The failure is remembered: later calls
            raise the same error without trying again.
    """
    if _DEFAULT:
        return _DEFAULT[0]
    with _DEFAULT_LOCK:
        if _DEFAULT:  # pragma: no cover - another thread opened it meanwhile
            return _DEFAULT[0]
        if _DEFAULT_FAILED:
            raise _DEFAULT_FAILED[0]
        try:
            _DEFAULT.append(Ledger())
        except Exception as e:
            _DEFAULT_FAILED.append(e)
            raise
    return _DEFAULT[0]

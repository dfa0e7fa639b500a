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

Faults: only a connection-class error (unreachable, locked, read-only) is an outage, after which
rows wait in the spool and are retried; any other error on a row is that one row refused (kept
in ``rejected.ndjson`` in the spool dir, logged) and the others are stored, both when writing
and when replaying the spool of a dead process. When the spool itself cannot be written (a full
disk) a row goes straight to the database; one that cannot be stored either is listed in
`Ledger.dropped`. Forked children get fresh connections and a fresh writer.
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
from datetime import date, datetime, timezone
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
from ._budgets import BudgetRow, budget_rows, register_budget
from ._fork import ForkGuard
from ._reads import FilteredReads, check_schema, read_only_engine
from ._writer import JournalError, OutageError, Writer, orphan_segments
from .migrations import applied_migrations, migrate
from .queries import GROUPINGS, ReportRow, as_utc_bound, check_record, record_to_dict
from .schema import TOKEN_COLUMNS

if TYPE_CHECKING:
    from sqlalchemy.engine.interfaces import DBAPIConnection
    from sqlalchemy.pool import ConnectionPoolEntry

__all__ = ["GROUPINGS", "BudgetRow", "Ledger", "ReportRow", "resolve_url"]

log = logging.getLogger("openai_cost.ledger")

PG_LOCK_BUDGET = 0x6F63_0002
"""PostgreSQL advisory lock key held while a budget reservation is checked and taken."""

_OPEN: weakref.WeakSet[Ledger] = weakref.WeakSet()
_EXIT_TIMEOUT = 5.0
_GUARD = [ForkGuard()]


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


def _spool_key(url: URL) -> str:
    """The spool folder of a database: named by the database alone (backend, host, port,
    database), without user name, password or connection options, so rows spooled under a
    rotated password or another driver option are replayed."""
    bare = URL.create(
        url.get_backend_name(), host=url.host, port=url.port, database=url.database
    ).render_as_string(hide_password=False)
    return hashlib.sha256(bare.encode()).hexdigest()[:16]


class Ledger(FilteredReads):
    """A store of `CallRecord` rows: SQLite by default, PostgreSQL by URL.

    Args:
        url: ``sqlite:///PATH`` (or a bare path), or ``postgresql://USER[:PASS]@HOST[:PORT]/DB``
            (``postgresql+psycopg://`` accepted too). Default: ``OPENAI_COST_DB_URL``, else
            ``db_url`` in ``config.toml``, else ``ledger.db`` in the user dir.
        read_only: open the database read-only (see `_reads.read_only_engine`): nothing is
            created or migrated, and writes are refused.

    Nothing connects until first used: `submit` never touches the database on the caller's
    thread, and the schema is created or upgraded on first use.

    Raises:
        ConfigError: the URL is not a supported database.
    """

    def __init__(self, url: str | None = None, *, read_only: bool = False) -> None:
        settings = load_settings(db_url=url)
        self._read_only = read_only
        self._url = resolve_url(settings.db_url)
        self._spool = settings.home / "spool" / _spool_key(self._url)
        # before 0.2 the key included the password: replay what such a folder still holds
        legacy = hashlib.sha256(self._url.render_as_string(hide_password=False).encode())
        self._legacy_spool = settings.home / "spool" / legacy.hexdigest()[:16]
        self._engine: Engine | None = None
        self._ready_flag = False
        self._replayed = False
        self._lock = threading.RLock()
        self._writer: Writer | None = None
        self._closing = False
        self._closed = False
        self._dropped: list[str] = []
        self._dropped_seen = 0
        self._budgets: dict[str, tuple[Any, ...]] = {}
        self._idle = threading.Condition(threading.Lock())
        self._in_use = 0
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
    def spool_dir(self) -> Path:
        """Where records wait when the database cannot take them."""
        return self._spool

    def __repr__(self) -> str:
        return f"Ledger({self.url!r})"

    # -- engine -------------------------------------------------------------------------------

    def _make_engine(self) -> Engine:
        u = self._url
        if self._read_only:
            return read_only_engine(u)
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
                queries.register_sqlite_functions(dbapi_conn)

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
                    self._ready_flag = self._ready_flag or check_schema(self._engine, self.url)
                    return self._engine
                if not self._ready_flag:
                    migrate(self._engine)
                    self._ready_flag = True
                if not self._replayed:
                    for spool in dict.fromkeys((self._spool, self._legacy_spool)):
                        orphan_segments(spool, self._store)
                    self._replayed = True
            except ModuleNotFoundError as e:
                raise LedgerError(
                    f"cannot open ledger {self.url}: {e}; for PostgreSQL install "
                    '"openai-cost[postgres]"'
                ) from e
            except OutageError as e:
                raise LedgerError(f"cannot open ledger {self.url}: {e}") from e.__cause__
            except (sa.exc.SQLAlchemyError, OSError) as e:
                self._after_outage(e)
                raise LedgerError(f"cannot open ledger {self.url}: {_short(e)}") from e
            return self._engine

    def _after_outage(self, e: BaseException) -> bool:
        """Let a SQLite ledger that was read-only recover once its file is writable.

        SQLite opens a file it cannot write read-only, and the pool would keep that connection
        for good: drop pooled connections so the next attempt reopens the file. SQLite also
        creates the ``-shm``/``-wal`` files with the database file's mode, so files this
        process created while the database was read-only get the database's mode again.

        Returns:
            True when the database was read-only and is writable now (worth a retry).
        """
        if self._engine is None or self.dialect != "sqlite" or not _is_outage(e):
            return False
        self._engine.dispose()
        if "readonly" not in str(e).lower():
            return False
        db = self._url.database
        assert db is not None
        try:
            if not os.access(db, os.W_OK):
                return False
            mode = os.stat(db).st_mode & 0o777
            for side in (f"{db}-shm", f"{db}-wal"):
                with contextlib.suppress(FileNotFoundError):
                    st = os.stat(side)
                    if st.st_uid == os.geteuid() and not os.access(side, os.W_OK):
                        os.chmod(side, mode)
        except OSError:
            return False
        return True

    @contextlib.contextmanager
    def _connect(self, *, write: bool = False, lock: int | None = None) -> Iterator[Connection]:
        """A connection in a transaction; errors become `LedgerError`."""
        if self._closed:
            raise LedgerError(f"{self!r} is closed")
        with self._idle:
            self._in_use += 1
        try:
            with _GUARD[0].hold(), self._connect_now(write=write, lock=lock) as conn:
                yield conn
        finally:
            with self._idle:
                self._in_use -= 1
                self._idle.notify_all()

    @contextlib.contextmanager
    def _connect_now(self, *, write: bool, lock: int | None) -> Iterator[Connection]:
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
            self._after_outage(e)
            raise LedgerError(f"ledger {self.url}: {_short(e)}") from e

    def transaction(
        self, *, write: bool = False, lock: int | None = None
    ) -> contextlib.AbstractContextManager[Connection]:
        """One database transaction, for the package's own modules that keep state in the
        ledger's tables (budgets, organisation usage); not part of the public API.

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
            True when stored; False when this very call was already stored (same request id,
            every field equal). A different call under a request id already taken is stored
            under a derived id (``<id>~<digest>``) and logged.

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

    def _store(self, records: Sequence[CallRecord]) -> None:
        """Store records now (writer thread, spool replay, a direct write).

        Only an error that means the database is unreachable raises (`OutageError`); any other
        error is one row the database refused: it is set aside in ``rejected.ndjson`` in the
        spool dir and logged, and the other rows are stored.
        """
        try:
            self._insert_now(records)
            return
        except Exception as e:
            if _is_outage(e):
                raise OutageError(_short(e)) from e
            if len(records) == 1:
                self._reject(records[0], e)
                return
        for r in records:
            try:
                self._insert_now([r])
            except Exception as e:
                if _is_outage(e):
                    raise OutageError(_short(e)) from e
                self._reject(r, e)

    def _write_batch(self, records: Sequence[CallRecord]) -> None:
        """The writer thread's insert: outages raise `OutageError` (retried later)."""
        with _GUARD[0].hold():
            self._write_batch_now(records)

    def _write_batch_now(self, records: Sequence[CallRecord]) -> None:
        for retry in (True, False):
            try:
                self._ready()
                self._store(records)
                return
            except (LedgerError, OutageError) as e:
                # other processes may have died with rows spooled meanwhile: look again once
                # the database is back
                self._replayed = False
                if self._after_outage(e.__cause__ or e) and retry:
                    continue
                raise OutageError(str(e)) from e

    def _reject(self, rec: CallRecord, err: BaseException) -> None:
        path = self._spool / "rejected.ndjson"  # not *.jsonl: never replayed
        log.error("ledger refused record %r (%s); kept in %s", rec.request_id, _short(err), path)
        try:
            line = json.dumps({"error": _short(err), "record": record_to_dict(rec)}) + "\n"
            self._spool.mkdir(parents=True, exist_ok=True)
            with path.open("a", encoding="utf-8") as f:
                f.write(line)
        except Exception as e:
            log.error("could not keep refused record %r in %s: %s", rec.request_id, path, e)

    def _store_direct(self, rec: CallRecord, why: BaseException) -> None:
        """The journal cannot be written: store `rec` on the caller's thread, else drop it."""
        log.warning(
            "ledger spool %s cannot be written (%s): writing record %r straight to the database",
            self._spool,
            why,
            rec.request_id,
        )
        try:
            with _GUARD[0].hold():
                self._ready()
                self._store([rec])
        except Exception as e:
            with self._lock:
                self._dropped.append(rec.request_id)
            log.error(
                "ledger record %r lost: the spool cannot be written (%s) and the database "
                "cannot be reached (%s)",
                rec.request_id,
                why,
                _short(e),
            )

    def submit(self, rec: CallRecord) -> None:
        """Queue a record for the background writer; returns at once and never raises.

        The record is appended to a spool journal before this returns, so it survives the
        process being killed; it is stored by a writer thread, or replayed later when the
        database is unreachable now. Problems are logged (logger ``openai_cost.ledger``).
        """
        if not isinstance(rec, CallRecord):
            log.error("ledger.submit() takes a CallRecord, got %s: not stored", type(rec).__name__)
            return
        try:
            check_record(rec)
        except ValueError as e:
            self._reject(rec, e)
            return
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
        except JournalError as e:
            self._store_direct(rec, e)
        except Exception:
            log.exception("could not queue ledger record %r", getattr(rec, "request_id", rec))

    @property
    def pending(self) -> int:
        """Records submitted and not yet stored (spooled while the database is unreachable)."""
        w = self._writer
        return 0 if w is None else w.pending

    @property
    def dropped(self) -> tuple[str, ...]:
        """Request ids of records lost by this `Ledger`: the spool journal could not be
        written (a full disk) and the database could not be reached either."""
        with self._lock:
            return tuple(self._dropped)

    def flush(self, timeout: float | None = None) -> bool:
        """Wait for the records submitted so far.

        Returns once every one is stored, or once a write attempt made after this call failed
        (the records are then safe in the fsync'd spool and retried in the background), or
        after `timeout` seconds. A record the database refuses (see the module docs) counts
        as handled: it is kept in ``rejected.ndjson`` in `spool_dir` and logged.

        Returns:
            True when every record submitted so far is stored; False when some are still
            waiting, or when a record submitted since the previous `flush` was lost (logged,
            and listed in `dropped`).
        """
        w = self._writer
        ok = True if w is None else w.flush(timeout)
        with self._lock:
            lost = len(self._dropped) - self._dropped_seen
            self._dropped_seen = len(self._dropped)
        if lost:
            log.error(
                "ledger %s lost %d record(s) since the last flush: %s",
                self.url,
                lost,
                ", ".join(self._dropped[-lost:][:10]),
            )
        return ok and not lost

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
        with self._idle:  # a budget check given up by its caller may still be running
            self._idle.wait_for(
                lambda: self._in_use == 0, timeout=_EXIT_TIMEOUT if timeout is None else timeout
            )
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

    # -- budgets -----------------------------------------------------------------------------

    def _register_budget(self, name: str, definition: tuple[Any, ...]) -> str:
        """Store a budget's definition on first use (or when it changed); its scope key."""
        cached = self._budgets.get(name)
        if cached is not None and cached[0] == definition:
            return str(cached[1])
        limit_usd, period, tags, mode = definition
        with self._connect(write=True) as conn:
            scope = register_budget(
                conn, name=name, period=period, tags=dict(tags), limit_usd=limit_usd, mode=mode
            )
        self._budgets[name] = (definition, scope)
        return scope

    def budgets(self) -> list[BudgetRow]:
        """Every budget used with this ledger (by any process), with its current period.

        A `Budget` is stored by name the first time it checks a call against this ledger
        (``reserve``, ``check`` or ``spent``); using it again with another limit or mode
        updates the stored definition.

        Returns:
            One `BudgetRow` per budget name, in name order, with these fields: ``name``,
            ``limit_usd`` (Decimal), ``period`` (``day``/``month``/``total``), ``tags``,
            ``mode`` (``raise``/``warn``), ``period_key`` (``YYYY-MM-DD``, ``YYYY-MM`` or
            ``total``), ``period_start`` and ``period_end`` (UTC datetimes, None for
            ``total``), ``spent_usd`` (priced calls of the current period, from the running
            total), ``calls`` (how many), ``reserved_usd`` (estimates of calls in flight),
            ``remaining_usd`` (limit - spent - reserved; negative when over), ``created_at``
            and ``updated_at``.

        Raises:
            LedgerError: the database cannot be read.
        """
        now = datetime.now(timezone.utc)
        with self._connect() as conn:
            return budget_rows(conn, now)

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
        where: views.CallFilter | None = None,
    ) -> list[ReportRow]:
        """Totals per group of calls.

        Args:
            by: ``model``, ``day`` (UTC), ``endpoint``, ``tier`` or ``tag:NAME``.
            since: first date (or datetime) included.
            until: last date included (a datetime is exclusive).
            tags: only calls carrying every one of these tags.
            where: more filters (a `CallFilter`), ANDed with the arguments above.

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


_INHERITED: list[object] = []
"""Engines inherited across ``fork``: kept referenced so that the child never finalises (and
so closes) connections its parent still uses."""


def _after_fork_in_child() -> None:
    """Give each open ledger a fresh writer, lock and engine in a forked child.

    The parent may have been anywhere at the fork: inside the writer thread's start, in a
    transaction, holding the engine's first-connect lock. Nothing of that can be reused.
    """
    _GUARD[0] = ForkGuard()
    for ledger in list(_OPEN):
        if ledger._writer is not None:
            ledger._writer.abandon()
            _INHERITED.append(ledger._writer)
            ledger._writer = None
        ledger._lock = threading.RLock()
        ledger._idle = threading.Condition(threading.Lock())
        ledger._in_use = 0
        if ledger._engine is not None:
            _INHERITED.append(ledger._engine)
            ledger._engine = None
        ledger._ready_flag = False
        ledger._replayed = False
        ledger._budgets = {}


def _before_fork() -> None:
    _GUARD[0].before_fork()
    # SQLite keeps per-file lock state in the process: a child inheriting open connections
    # (even idle ones) finds the file "locked by itself". Close the idle ones first; the
    # parent reopens them on its next use.
    for ledger in list(_OPEN):
        engine = ledger._engine
        if engine is not None and ledger.dialect == "sqlite":
            with contextlib.suppress(Exception):
                engine.dispose()


def _after_fork_in_parent() -> None:
    _GUARD[0].after_fork_in_parent()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(
        before=_before_fork,
        after_in_parent=_after_fork_in_parent,
        after_in_child=_after_fork_in_child,
    )


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

"""The background writer behind `Ledger.submit`, and its spool journal.

Durability guarantee (tested): when `submit` returns, the record has been appended with
``write(2)`` to a journal file under ``$OPENAI_COST_HOME/spool/<ledger>/``. It therefore
survives the process being killed (SIGKILL, OOM killer, a crash): the next `Ledger` opened on
the same database and home replays journals whose owner is gone. The writer thread inserts
queued records in batches and empties the journal once they are committed. When the database
cannot be reached, the records stay in the journal, which is then fsync'd, so rows spooled
during an outage also survive a machine crash; the writer retries with backoff and replays
them when the database is back. Only a machine crash or power loss in the instant between
``submit`` and the writer's next commit or fsync can lose a row. Replays never count a call
twice: the request id is unique in the ledger.

Each journal segment is locked (``flock``) by the process that writes it; a segment nobody
holds a lock on belongs to a process that is gone and is replayed by whoever locks it first.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..types import CallRecord
from ._codec import check_record, record_from_dict, record_to_dict

__all__ = ["JournalError", "OutageError", "Writer", "lock_file", "orphan_segments", "read_segment"]

log = logging.getLogger("openai_cost.ledger")

SEGMENT_BYTES = 4 * 1024 * 1024
"""A journal segment is sealed and a new one started past this size."""
BATCH = 500
"""Most records inserted in one transaction."""

try:
    import fcntl

    def lock_file(fd: int) -> bool:
        """Take an exclusive, non-blocking lock on an open file; False if someone holds it."""
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False
        return True

except ImportError:  # pragma: no cover - Windows
    import msvcrt

    def lock_file(fd: int) -> bool:
        """Take an exclusive, non-blocking lock on an open file; False if someone holds it."""
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]
        except OSError:
            return False
        return True


@dataclass(eq=False)
class _Segment:
    path: Path
    fd: int
    size: int = 0
    written: int = 0
    done: int = 0
    sealed: bool = False
    synced: bool = True


@dataclass(eq=False)
class _Item:
    seg: _Segment
    rec: CallRecord
    seq: int


@dataclass
class _State:
    queue: deque[_Item] = field(default_factory=deque)
    seq: int = 0
    committed_seq: int = 0
    attempts_started: int = 0
    attempts_done: int = 0
    last_ok: bool = True
    retry_now: bool = False
    stop: bool = False


def read_segment(path: Path) -> tuple[list[CallRecord], list[str]]:
    """The records in a journal file, and the lines that could not be read."""
    good: list[CallRecord] = []
    bad: list[str] = []
    with path.open("r", encoding="utf-8", errors="replace") as f:
        for line in f:
            if not line.strip():
                continue
            try:  # never trust the journal: a record must pass the same checks as on submit
                r = record_from_dict(json.loads(line))
                check_record(r)
                good.append(r)
            except Exception:
                bad.append(line if line.endswith("\n") else line + "\n")
    return good, bad


@contextlib.contextmanager
def _locked_orphan(path: Path) -> Iterator[bool]:
    try:
        fd = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        yield False
        return
    try:
        ok = lock_file(fd) and os.fstat(fd).st_nlink > 0
        yield ok
    finally:
        os.close(fd)


def orphan_segments(
    spool: Path, insert: Callable[[Sequence[CallRecord]], object]
) -> tuple[int, int]:
    """Replay every journal in `spool` whose writer is gone; return (records, files) replayed.

    Raises whatever `insert` raises (the journal is then kept for the next attempt).
    """
    if not spool.is_dir():
        return 0, 0
    n_rec = n_files = 0
    for path in sorted(spool.glob("*.jsonl")):
        with _locked_orphan(path) as mine:
            if not mine:
                continue
            good, bad = read_segment(path)
            for i in range(0, len(good), BATCH):
                insert(good[i : i + BATCH])
            if bad:
                rejected = spool / "rejected.txt"
                with rejected.open("a", encoding="utf-8") as f:
                    f.writelines(bad)
                log.error(
                    "%d unreadable line(s) in ledger spool %s were moved to %s",
                    len(bad),
                    path,
                    rejected,
                )
            path.unlink()
            n_rec += len(good)
            n_files += 1
    if n_rec:
        log.info("replayed %d spooled ledger record(s) from %d file(s)", n_rec, n_files)
    return n_rec, n_files


class OutageError(Exception):
    """The database could not be reached; the batch should be retried later."""


class JournalError(OSError):
    """A record could not be appended to the spool journal (full or read-only disk...)."""


class Writer:
    """Journal + queue + one daemon thread that inserts queued records in batches."""

    def __init__(
        self,
        spool: Path,
        insert: Callable[[Sequence[CallRecord]], object],
        *,
        retry_min: float = 0.05,
        retry_max: float = 5.0,
    ) -> None:
        self._spool = spool
        self._insert = insert
        self._retry_min = retry_min
        self._retry_max = retry_max
        self._cond = threading.Condition(threading.Lock())
        self._st = _State()
        self._segments: list[_Segment] = []
        self._current: _Segment | None = None
        self._pid = os.getpid()
        self._thread = threading.Thread(target=self._run, name="openai-cost-ledger", daemon=True)
        self._thread.start()

    # -- caller side ----------------------------------------------------------------------

    def _open_segment(self) -> _Segment:
        self._spool.mkdir(parents=True, exist_ok=True)
        name = f"{self._pid}-{time.time_ns()}-{uuid.uuid4().hex[:8]}.jsonl"
        path = self._spool / name
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        if not lock_file(fd):  # pragma: no cover - a fresh unique name cannot be locked
            os.close(fd)
            raise OSError(f"cannot lock new spool file {path}")
        seg = _Segment(path, fd)
        self._segments.append(seg)
        self._current = seg
        return seg

    def submit(self, rec: CallRecord) -> None:
        """Journal `rec` and queue it (raises only if it cannot be journaled)."""
        check_record(rec)
        line = (json.dumps(record_to_dict(rec), separators=(",", ":")) + "\n").encode()
        with self._cond:
            if self._st.stop:
                raise RuntimeError("the ledger is closed")
            try:
                seg = self._current
                if seg is None or seg.size >= SEGMENT_BYTES:
                    if seg is not None:
                        seg.sealed = True
                    seg = self._open_segment()
                self._append(seg, line)
            except OSError as e:
                raise JournalError(e.errno, f"cannot write the spool journal: {e}") from e
            seg.size += len(line)
            seg.written += 1
            seg.synced = False
            self._st.seq += 1
            self._st.queue.append(_Item(seg, rec, self._st.seq))
            if len(self._st.queue) == 1:
                self._cond.notify_all()

    @staticmethod
    def _append(seg: _Segment, line: bytes) -> None:
        """Append a whole line or nothing (a cut line is taken back)."""
        try:
            n = os.write(seg.fd, line)
            if n != len(line):
                raise OSError(28, "No space left on device (short write)")
        except OSError:
            with contextlib.suppress(OSError):
                os.ftruncate(seg.fd, seg.size)
            raise

    @property
    def pending(self) -> int:
        """Records submitted and not yet stored in the database."""
        with self._cond:
            return len(self._st.queue)

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every record submitted so far is stored, or an attempt made after this
        call failed (they are then safe in the fsync'd journal). True when all are stored."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            st = self._st
            target = st.seq
            if st.committed_seq >= target:
                return True
            first_attempt = st.attempts_started + 1
            st.retry_now = True
            self._cond.notify_all()
            while st.committed_seq < target:
                if st.attempts_done >= first_attempt and not st.last_ok:
                    return False
                if not self._thread.is_alive():
                    return False
                if deadline is None:
                    self._cond.wait(0.5)
                else:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        return False
                    self._cond.wait(min(left, 0.5))
            return True

    def close(self, timeout: float | None = None) -> bool:
        """Flush, stop the thread and close the journal; True when nothing is left unsent.

        Records left unsent stay in the journal, which is unlocked so that the next `Ledger`
        on this database replays them.
        """
        ok = self.flush(timeout)
        with self._cond:
            self._st.stop = True
            self._cond.notify_all()
        self._thread.join(timeout=5.0)
        with self._cond:
            for seg in self._segments:
                if not seg.synced:
                    with contextlib.suppress(OSError):
                        os.fsync(seg.fd)
                with contextlib.suppress(OSError):
                    os.close(seg.fd)
                if seg.done >= seg.written:
                    with contextlib.suppress(OSError):
                        seg.path.unlink()
            self._segments.clear()
            self._current = None
        return ok and not self._st.queue

    def abandon(self) -> None:
        """Forget the thread and files inherited across ``fork`` (the parent owns them)."""
        self._st = _State(stop=True)
        self._segments = []
        self._current = None

    # -- writer thread ----------------------------------------------------------------------

    def _fsync_pending(self, items: list[_Item]) -> None:
        for seg in {id(it.seg): it.seg for it in items}.values():
            if not seg.synced:
                with contextlib.suppress(OSError):
                    os.fsync(seg.fd)
                seg.synced = True

    def _run(self) -> None:
        st = self._st
        delay = self._retry_min
        while True:
            with self._cond:
                while not st.queue and not st.stop:
                    self._cond.wait()
                if not st.queue:
                    return
                batch = list(_take(st.queue, BATCH))
                st.retry_now = False  # a flush() from now on asks for one more attempt
                st.attempts_started += 1
                attempt = st.attempts_started
            ok = self._write(batch)
            with self._cond:
                st.attempts_done = attempt
                st.last_ok = ok
                if ok:
                    for _ in batch:
                        st.queue.popleft()
                    st.committed_seq = batch[-1].seq
                    self._mark_done(batch)
                self._cond.notify_all()
                if ok:
                    delay = self._retry_min
                    continue
                self._fsync_pending(list(st.queue))
                if st.stop:
                    return
                end = time.monotonic() + delay
                while not st.retry_now and not st.stop:
                    left = end - time.monotonic()
                    if left <= 0:
                        break
                    self._cond.wait(left)
                delay = min(delay * 2, self._retry_max)

    def _write(self, batch: list[_Item]) -> bool:
        try:
            self._insert([it.rec for it in batch])
        except OutageError as e:
            if self._st.last_ok:
                log.warning(
                    "ledger database unreachable (%s); %d record(s) kept in the spool %s and "
                    "retried",
                    e,
                    len(self._st.queue),
                    self._spool,
                )
            return False
        except Exception:  # a bug or a row the database refuses: never stop the thread
            log.exception("ledger writer failed; records kept in the spool %s", self._spool)
            return False
        return True

    def _mark_done(self, batch: list[_Item]) -> None:
        for it in batch:
            it.seg.done += 1
        keep: list[_Segment] = []
        for seg in self._segments:
            if seg.done >= seg.written:
                if seg.sealed:
                    with contextlib.suppress(OSError):
                        os.close(seg.fd)
                    with contextlib.suppress(OSError):
                        seg.path.unlink()
                    continue
                if seg.size:
                    with contextlib.suppress(OSError):
                        os.ftruncate(seg.fd, 0)
                    seg.size = seg.written = seg.done = 0
                    seg.synced = True
            keep.append(seg)
        self._segments = keep


def _take(q: deque[_Item], n: int) -> Iterator[_Item]:
    for i, it in enumerate(q):
        if i >= n:
            return
        yield it

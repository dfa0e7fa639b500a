"""A JSON Lines file's raw lines, split as the default reader splits them (on ``\\n``; a line
is blank when ``bytes.strip()`` leaves nothing), without parsing them: how many are not blank,
and the number and text of the k-th non-blank line. For engines that number lines themselves
(DuckDB counts the non-blank ones). Needs numpy.
"""

from __future__ import annotations

import os
from typing import Any

__all__ = ["LineIndex", "gzipped", "scan_lines"]


def gzipped(path: str) -> bool:
    """Whether the default reader reads ``path`` as gzip (by its name or its first bytes)."""
    with open(path, "rb") as f:
        return path.endswith(".gz") or f.read(2) == b"\x1f\x8b"


_BLOCK = 1 << 23  # read at once; a multiple of _SUB
_SUB = 1 << 16  # the index's step: a line asked for is found by reading 64 KiB around it


class LineIndex:
    """Where a plain file's lines start, built by a thread (`join` waits for it).

    Keeps the number of newlines up to the end of each 64 KiB of the file and the numbers of
    its blank lines (as the default reader sees them: ``bytes.strip()`` leaves nothing), not
    the lines; `find` then reads the few lines asked for by offset.
    """

    def __init__(self, path: str) -> None:
        import threading

        self.path = path
        self.size = 0
        self.newlines: Any = None  # cumulative newlines through the end of each 64 KiB
        self.blanks: list[int] = []
        self.last = b"\n"  # the file's last byte
        self.lines = 0
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._build, daemon=True)
        self.thread.start()

    def join(self) -> None:
        """Wait for the index (an error of its pass is raised by `find`)."""
        self.thread.join()

    def _build(self) -> None:
        try:
            self._scan()
        except BaseException as e:  # raised again by find
            self.error = e

    def _scan(self) -> None:
        import numpy as np

        white = np.zeros(256, dtype=bool)
        white[list(_WHITE)] = True
        counts = []
        line = 0  # lines ended so far
        blank_start = True  # the line in progress has only whitespace so far
        buf = bytearray(_BLOCK)
        view = memoryview(buf)
        with open(self.path, "rb") as f:
            while n := f.readinto(view):
                self.size += n
                self.last = bytes(view[n - 1 : n])
                a = np.frombuffer(buf, dtype=np.uint8, count=n)
                nl = np.flatnonzero(a == 10)
                counts.append(np.bincount(nl // _SUB, minlength=(n + _SUB - 1) // _SUB))
                if not len(nl):
                    blank_start = blank_start and not bytes(view[:n]).strip()
                    continue
                # the line that began before this block ends at its first newline
                if blank_start and not bytes(view[: nl[0]]).strip():
                    self.blanks.append(line + 1)
                starts = nl[:-1] + 1  # the lines wholly inside this block
                for c in np.flatnonzero(white[a[starts]]):  # empty, or starts with whitespace
                    if not buf[starts[c] : nl[c + 1]].strip():
                        self.blanks.append(line + 2 + int(c))
                line += len(nl)
                blank_start = not bytes(view[nl[-1] + 1 : n]).strip()
        self.newlines = np.cumsum(np.concatenate(counts)) if counts else np.zeros(0, np.int64)
        self.lines = line + (1 if self.size and self.last != b"\n" else 0)
        if self.lines > line and blank_start:
            self.blanks.append(self.lines)  # a last line without a newline, blank

    def _newline(self, fd: int, j: int) -> int:
        """The offset of the file's j-th newline (1-based)."""
        import numpy as np

        s = int(np.searchsorted(self.newlines, j))
        before = int(self.newlines[s - 1]) if s else 0
        data = os.pread(fd, _SUB, s * _SUB)
        return s * _SUB + int(
            np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 10)[j - before - 1]
        )

    def find(self, ranks: list[int], texts: set[int]) -> tuple[int, dict[int, tuple[int, bytes]]]:
        """As `scan_lines`: the non-blank lines' count, and each rank's line (and text)."""
        from bisect import bisect_right

        if self.error is not None:
            raise self.error
        blanks = self.blanks
        found: dict[int, tuple[int, bytes]] = {}
        fd = os.open(self.path, os.O_RDONLY)
        try:
            for k in ranks:
                line = k  # the k-th non-blank line: k plus the blank lines up to it
                while (m := k + bisect_right(blanks, line)) != line:
                    line = m
                text = b""
                if k in texts:
                    at = 0 if line == 1 else self._newline(fd, line - 1) + 1
                    parts = []
                    while chunk := os.pread(fd, _SUB, at):
                        cut = chunk.find(b"\n")
                        if cut >= 0:
                            parts.append(chunk[: cut + 1])
                            break
                        parts.append(chunk)
                        at += len(chunk)
                    text = b"".join(parts)
                found[k] = (line, text)
        finally:
            os.close(fd)
        return self.lines - len(blanks), found


_WHITE = b" \t\n\r\x0b\x0c"  # what bytes.strip() strips: the default reader's blank lines


def scan_lines(
    path: str, ranks: list[int], texts: set[int]
) -> tuple[int, dict[int, tuple[int, bytes]]]:
    """One pass over a file's raw lines, as the default reader splits them (on ``\\n``).

    Returns the number of non-blank lines and, for each of ``ranks`` (the k-th non-blank
    line, ascending), its line number and, when k is in ``texts``, its bytes (newline
    included, as the default reader reads it). Blocks are scanned with numpy; only lines
    that start with whitespace are looked at one by one.
    """
    import gzip

    import numpy as np

    white = np.zeros(256, dtype=bool)
    white[list(_WHITE)] = True
    found: dict[int, tuple[int, bytes]] = {}
    want = iter(ranks)
    nxt = next(want, None)
    line = 0  # lines seen
    nonblank = 0  # non-blank lines seen
    carry = b""  # the start of a line that continues in the next block
    buf = bytearray(_BLOCK)
    view = memoryview(buf)

    def one(text: bytes) -> None:  # a line met piece by piece (across blocks, or the last)
        nonlocal line, nonblank, nxt
        line += 1
        if text.strip():
            nonblank += 1
            if nonblank == nxt:
                found[nxt] = (line, text if nxt in texts else b"")
                nxt = next(want, None)

    with open(path, "rb") as raw:
        f: Any = gzip.GzipFile(fileobj=raw, mode="rb") if gzipped(path) else raw
        while n := f.readinto(view):
            a = np.frombuffer(buf, dtype=np.uint8, count=n)
            nl = np.flatnonzero(a == 10)
            if not len(nl):
                carry += bytes(view[:n])
                continue
            one(carry + bytes(view[: nl[0] + 1]))
            starts = nl[:-1] + 1  # the lines wholly inside this block
            ends = nl[1:] + 1
            blank = np.zeros(len(starts), dtype=bool)
            for c in np.flatnonzero(white[a[starts]]):  # empty, or starts with whitespace
                blank[c] = not buf[starts[c] : ends[c]].strip()
            count = len(starts) - int(np.count_nonzero(blank))
            while nxt is not None and nxt <= nonblank + count:
                j = nxt - nonblank - 1  # the j-th non-blank line of the block
                i = int(np.flatnonzero(~blank)[j]) if count < len(starts) else j
                text = bytes(view[starts[i] : ends[i]]) if nxt in texts else b""
                found[nxt] = (line + i + 1, text)
                nxt = next(want, None)
            line += len(starts)
            nonblank += count
            carry = bytes(view[nl[-1] + 1 : n])
    if carry:
        one(carry)
    return nonblank, found

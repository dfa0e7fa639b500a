"""Read files of API responses item by item, in constant memory (`iter_records`)."""

from __future__ import annotations

import gzip
import json
import os
import re
import sys
import zlib
from collections.abc import Callable, Iterator
from typing import IO, Any, NamedTuple, Protocol

from ..errors import UsageError
from ._sse import frames

__all__ = ["Item", "LineSink", "Records", "iter_records", "parse_line"]

_MISSING: Any = object()
_MAX_VALUE = 64 * 1024 * 1024  # one JSON value in an array larger than this is an error
_TOO_DEEP = "JSON nested too deeply to read (thousands of levels): not an API response"


class Item(NamedTuple):
    """One item read from a file: where it came from and what it holds."""

    source: str
    """File name (``<stdin>`` for ``-``)."""
    line: int
    """1-based line where the item starts."""
    obj: Any
    """The parsed JSON value, or a `UsageError` saying why the item could not be read."""

    @property
    def location(self) -> str:
        """``file:line``."""
        return f"{self.source}:{self.line}"


class LineSink(Protocol):
    """Takes over the lines of a JSON Lines file (after its first item) in one fused loop."""

    def __call__(
        self,
        name: str,
        n: int,
        lines: Iterator[bytes],
        tell: Callable[[], int] | None,
        on_progress: Callable[[int], None] | None,
    ) -> Iterator[Any] | None:
        """Read ``lines`` (``n``: the line number before the first of them) to the end; or
        return an iterator that does, whose values are passed on among the items."""


class Records:
    """The items of one or more files (what `iter_records` returns): an iterator of `Item`.

    A reader that can do better than one `Item` at a time (``summarize``) hands a `LineSink`
    to `items`: the lines of JSON Lines files then go to it straight from the file, with no
    `Item` built for them; everything else (the first line, JSON arrays, Server-Sent Events,
    stdin) still arrives as items.
    """

    __slots__ = ("_it", "_sources")

    def __init__(self, sources: list[tuple[str | os.PathLike[str] | IO[bytes], Any]]) -> None:
        self._sources = sources
        self._it: Iterator[Item] | None = None

    def __iter__(self) -> Records:
        return self

    def __next__(self) -> Item:
        if self._it is None:
            self._it = self.items(None)
        return next(self._it)

    def then(self, other: Records) -> Records:
        """These items, then ``other``'s (neither read yet)."""
        return Records(self._sources + other._sources)

    def items(self, sink: LineSink | None) -> Iterator[Item]:
        """The items; with ``sink``, the lines of JSON Lines files after the first go to it
        (and what it returns, when it returns an iterator, comes among the items)."""
        for source, on_progress in self._sources:
            yield from _items(source, on_progress, sink)


def iter_records(
    source: str | os.PathLike[str] | IO[bytes],
    *,
    on_progress: Callable[[int], None] | None = None,
) -> Records:
    """Read a file of API responses item by item, in constant memory.

    Formats, detected from the content: JSON Lines (one response, event, Batch output line or
    log record per line), a JSON array or concatenated JSON documents (pretty-printed
    responses), and Server-Sent Events captures (``data:`` lines). ``.gz`` files (or gzip
    content) are decompressed on the fly. ``"-"`` reads stdin.

    Args:
        source: a path, ``"-"`` for stdin, or a binary file object.
        on_progress: called now and then with the bytes read so far (of the file on disk).

    Returns:
        `Records`, an iterator of `Item` (source, line, obj): obj is the parsed value, or a
        `UsageError` saying why the item could not be read (the rest of the file is still
        read). Nothing is read before the first item is asked for.
    """
    return Records([(source, on_progress)])


def _items(
    source: str | os.PathLike[str] | IO[bytes],
    on_progress: Callable[[int], None] | None,
    sink: LineSink | None,
) -> Iterator[Item]:
    if isinstance(source, (str, os.PathLike)) and os.fspath(source) == "-":
        name, raw, close = "<stdin>", sys.stdin.buffer, False
    elif isinstance(source, (str, os.PathLike)):
        name = os.fspath(source)
        raw, close = open(name, "rb"), True  # noqa: SIM115 - closed in finally
    else:
        name, raw, close = str(getattr(source, "name", "<stream>")), source, False
    try:
        f: IO[bytes] = raw
        head = raw.peek(2)[:2] if hasattr(raw, "peek") else b""
        if head == b"\x1f\x8b" or name.endswith(".gz"):
            f = gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[assignment]
            cut: list[tuple[int, BaseException]] = []
            yield from _read(f, raw, name, on_progress, _guarded(f, cut), sink)
            if cut:
                yield _cut_item(name, *cut[0])
        else:
            yield from _read(f, raw, name, on_progress, iter(f), sink)
    finally:
        if close:
            raw.close()


def _guarded(f: IO[bytes], cut: list[tuple[int, BaseException]]) -> Iterator[bytes]:
    """The lines of a gzip stream; a cut or corrupt stream ends them and is noted in ``cut``."""
    n = 0
    try:
        for line in f:
            n += 1
            yield line
    except (EOFError, OSError, zlib.error) as e:
        cut.append((n + 1, e))


def _cut_item(name: str, line: int, e: BaseException) -> Item:
    if isinstance(e, gzip.BadGzipFile) and line == 1:
        why = f"not gzip data ({e}); a .gz file must be gzip-compressed"
    elif isinstance(e, EOFError):
        why = f"the compressed data stops at line {line} (the file was cut short?)"
    else:
        why = f"the compressed data is corrupt at line {line} ({e})"
    if line > 1:
        why += f"; the {line - 1:,} line(s) before it were read"
    return Item(name, line, UsageError(why))


def _read(
    f: IO[bytes],
    raw: IO[bytes],
    name: str,
    on_progress: Callable[[int], None] | None,
    lines: Iterator[bytes],
    sink: LineSink | None,
) -> Iterator[Item]:
    n = 0
    first = b""
    for first in lines:
        n += 1
        if first.strip():
            break
    else:
        return
    first = first.removeprefix(b"\xef\xbb\xbf")  # a UTF-8 byte order mark
    head = first.lstrip()
    if head.startswith((b"data:", b"event:", b":")):
        yield from _read_sse(first, n, lines, name)
        return
    if head.startswith((b"[", b"{")):
        try:
            obj = json.loads(first)
        except RecursionError:
            obj = UsageError(_TOO_DEEP)
        except ValueError:
            obj = _MISSING
        if obj is _MISSING or (head.startswith(b"[") and _only_line(f)):
            # a (pretty-printed) JSON array or concatenated JSON documents
            yield from _read_json_values(first, n, lines, name)
            return
        yield Item(name, n, obj)
    else:
        yield Item(name, n, UsageError(f"line is not JSON: {first[:60]!r}"))
    tell = raw.tell if on_progress is not None and raw.seekable() else None
    if sink is not None:
        more = sink(name, n, lines, tell, on_progress)
        if more is not None:
            yield from more
        if tell is not None:
            on_progress(tell())  # type: ignore[misc]
        return
    fast_loads = _orjson_loads()
    loads = json.loads
    new = tuple.__new__  # Item(...) without the Python-level __new__: this loop is hot
    for line in lines:
        n += 1
        if tell is not None and not n & 0x1FFF:
            on_progress(tell())  # type: ignore[misc]
        try:
            yield new(Item, (name, n, fast_loads(line)))
            continue
        except ValueError:
            pass  # orjson refused it: json decides, so values and messages stay json's
        try:
            # decoding first skips json's encoding sniffing; bad UTF-8 is a ValueError too
            yield new(Item, (name, n, loads(line.decode("utf-8"))))
        except ValueError as e:
            if line.strip():
                yield Item(name, n, UsageError(f"not valid JSON (truncated?): {e}"))
        except RecursionError:
            yield Item(name, n, UsageError(_TOO_DEEP))
    if tell is not None:
        on_progress(tell())  # type: ignore[misc]


BLANK: Any = object()
"""What `parse_line` returns for a blank line (not an item)."""


def parse_line(line: bytes) -> Any:
    """One JSON Lines line orjson refused, read as `iter_records` reads it.

    Returns:
        The value json reads, `BLANK` for a blank line, or a `UsageError` saying why the
        line is not JSON.
    """
    try:
        # decoding first skips json's encoding sniffing; bad UTF-8 is a ValueError too
        return json.loads(line.decode("utf-8"))
    except ValueError as e:
        if line.strip():
            return UsageError(f"not valid JSON (truncated?): {e}")
        return BLANK
    except RecursionError:
        return UsageError(_TOO_DEEP)


def _orjson_loads() -> Callable[[bytes], Any]:
    """orjson's ``loads`` (2-3x faster than json's), imported on first use.

    It accepts a subset of what json accepts (no NaN, no lone surrogates) and gives the same
    values, except integers beyond 64 bits, which it reads as floats (a token count that large
    is then reported as not a whole number, never priced). A line it refuses is read again by
    json, so error messages are json's. Without orjson, json's ``loads`` of the decoded line.
    """
    try:
        import orjson
    except ModuleNotFoundError:  # pragma: no cover - orjson is a dependency

        def decode(line: bytes) -> Any:
            return json.loads(line.decode("utf-8"))

        return decode
    loads: Callable[[bytes], Any] = orjson.loads
    return loads


def _only_line(f: IO[bytes]) -> bool:
    peek = getattr(f, "peek", None)
    if peek is None:
        return False
    try:
        return not bytes(peek(64)).strip()
    except (EOFError, OSError, zlib.error):
        return False  # a cut gzip stream: the guarded line reader reports it


def _read_json_values(first: bytes, n: int, lines: Iterator[bytes], name: str) -> Iterator[Item]:
    decoder = json.JSONDecoder()
    buf = first.decode("utf-8", "replace")
    line0 = n  # line number where buf starts
    pos = 0
    in_array = buf.lstrip().startswith("[")
    if in_array:
        pos = buf.index("[") + 1
    while True:
        while pos < len(buf) and (buf[pos].isspace() or (in_array and buf[pos] in ",]")):
            pos += 1
        if pos >= len(buf):
            nxt = next(lines, None)
            if nxt is None:
                return
            line0 += buf.count("\n", 0, pos)
            buf, pos = nxt.decode("utf-8", "replace"), 0
            continue
        try:
            value, end = decoder.raw_decode(buf, pos)
        except RecursionError:
            yield Item(name, line0 + buf.count("\n", 0, pos), UsageError(_TOO_DEEP))
            return
        except json.JSONDecodeError as e:
            start = line0 + buf.count("\n", 0, pos)
            if e.pos < buf.rfind("\n", 0, len(buf) - 1) + 1:
                # the error is before the last line read: a syntax error, not a cut. Report
                # it, then go on at the next value indented like this one.
                at = line0 + buf.count("\n", 0, e.pos)
                yield Item(name, start, UsageError(f"not valid JSON: {e.msg} (line {at})"))
                indent = pos - (buf.rfind("\n", 0, pos) + 1)
                rx = re.compile(r"\n[ \t]{" + str(indent) + r"}[\[{]")
                m = rx.search(buf, e.pos)
                while m is None:
                    nxt = next(lines, None)
                    if nxt is None:
                        return
                    line0 += buf.count("\n")
                    buf = "\n" + nxt.decode("utf-8", "replace")
                    line0 -= 1  # the "\n" put in front belongs to the previous line
                    m = rx.search(buf)
                pos = m.end() - 1
                continue
            nxt = next(lines, None)
            if nxt is None or len(buf) - pos > _MAX_VALUE:
                yield Item(name, start, UsageError(f"not valid JSON (truncated?): {e}"))
                return
            buf += nxt.decode("utf-8", "replace")
            continue
        yield Item(name, line0 + buf.count("\n", 0, pos), value)
        line0 += buf.count("\n", 0, end)
        buf, pos = buf[end:], 0


def _read_sse(first: bytes, n: int, lines: Iterator[bytes], name: str) -> Iterator[Item]:
    def chain() -> Iterator[str]:
        yield first.decode("utf-8", "replace").rstrip("\r\n")
        for raw_line in lines:
            yield raw_line.decode("utf-8", "replace").rstrip("\r\n")

    for frame in frames(chain(), n):
        if frame.data is None:
            yield Item(
                name,
                frame.line,
                UsageError(f"not a Server-Sent Events line: {(frame.stray or '')[:60]!r}"),
            )
            continue
        try:
            yield Item(name, frame.line, json.loads(frame.data))
        except RecursionError:
            yield Item(name, frame.line, UsageError(_TOO_DEEP))
        except ValueError as e:
            yield Item(name, frame.line, UsageError(f"stream event is not valid JSON (cut?): {e}"))

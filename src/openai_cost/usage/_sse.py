"""The one Server-Sent Events framer: lines in, event payloads out; and the usage hider.

`frames` groups ``data:`` lines into events the way the SSE format does (an empty line ends an
event; ``event:``, ``id:``, ``retry:`` and ``:`` comment lines are skipped) and drops the
``[DONE]`` sentinel. It does not parse JSON: the strict reader of a capture (`parse_sse`) and
the file reader (`iter_records`) each decide what a bad event means for them.

`UsageHider` works on the bytes of a live chat or completions stream that was asked for its
usage on the caller's behalf (``stream_options.include_usage``): it passes every event through
byte for byte except what that option added, the final usage chunk (``"choices": []`` and a
``usage`` object) and the ``"usage": null`` member of the other chunks, so the SDK yields
exactly the chunks the caller asked for.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from typing import NamedTuple

__all__ = ["Frame", "UsageHider", "frames"]

_SKIPPED = ("event:", "id:", "retry:", ":")


class Frame(NamedTuple):
    """One event, or one line that is not SSE."""

    line: int
    """Line number of the event's first ``data:`` line (or of the stray line)."""
    data: str | None
    """The event's data (its ``data:`` lines joined by newlines); None for a stray line."""
    stray: str | None = None
    """The text of a line that is not SSE; None for an event."""


def frames(lines: Iterable[str], first_line: int = 1) -> Iterator[Frame]:
    """The events and stray lines of ``lines`` (without line ends), in order."""
    data: list[str] = []
    start = first_line
    n = first_line - 1
    for line in lines:
        n += 1
        if not line.strip():
            if data:
                payload = "\n".join(data)
                data.clear()
                if payload.strip() != "[DONE]":
                    yield Frame(start, payload)
        elif line.startswith("data:"):
            if not data:
                start = n
            data.append(line[6:] if line.startswith("data: ") else line[5:])
        elif not line.startswith(_SKIPPED):
            yield Frame(n, None, line)
    if data:
        payload = "\n".join(data)
        if payload.strip() != "[DONE]":
            yield Frame(start, payload)


# An event ends with an empty line: two line ends in a row (CRLF, LF or a lone CR each).
_EVENT_END = re.compile(rb"(?:\r\n|\n|\r(?!\n))(?:\r\n|\n|\r(?!\n))")
_KEY = b'"usage"'
_BLANK = b" \t"


class UsageHider:
    """Removes, from the bytes of a chat or completions stream, what asking for its usage added.

    Feed it the stream's bytes as they arrive; it returns the bytes to hand on. Complete events
    are handed on at once (the SDK cannot act on an event before its end either); an unfinished
    one waits for its end. Every byte is handed on unchanged except the usage chunk, dropped
    whole with its ending, and ``"usage": null`` members, cut out of the other chunks.
    """

    __slots__ = ("_rest",)

    def __init__(self) -> None:
        self._rest = b""

    def feed(self, chunk: bytes) -> bytes:
        """The complete events received so far, rewritten; keeps an unfinished tail."""
        data = self._rest + chunk if self._rest else chunk
        cut = _events_end(data)
        self._rest = data[cut:]
        return _rewrite(data[:cut]) if cut else b""

    def end(self) -> bytes:
        """What is left when the stream ends (an event without its ending), rewritten."""
        rest, self._rest = self._rest, b""
        return _rewrite(rest) if rest else b""


def _events_end(data: bytes) -> int:
    """Where the last complete event of ``data`` ends (0: none yet)."""
    if b"\r" not in data:
        i = data.rfind(b"\n\n")
        return i + 2 if i >= 0 else 0
    # a CR at the very end may be the first half of a CRLF: wait for the next byte
    search = data[:-1] if data.endswith(b"\r") else data
    end = 0
    for m in _EVENT_END.finditer(search):
        end = m.end()
    return end


def _rewrite(block: bytes) -> bytes:
    if _KEY not in block:
        return block
    if b"\r" not in block and block.find(b"\n\n") == len(block) - 2:  # one event, LF
        return _rewrite_event(block)
    out: list[bytes] = []
    start = 0
    for m in _EVENT_END.finditer(block):
        out.append(_rewrite_event(block[start : m.end()]))
        start = m.end()
    if start < len(block):
        out.append(_rewrite_event(block[start:]))
    return b"".join(out)


def _rewrite_event(event: bytes) -> bytes:
    """The event without the usage chunk or its ``"usage": null`` member."""
    i = event.find(_KEY)
    while i >= 0:
        # the member's value: after the key, optional blanks, a colon, optional blanks
        j = i + len(_KEY)
        n = len(event)
        while j < n and event[j] in _BLANK:
            j += 1
        if j < n and event[j] == 58:  # ":" - a member, not a string value "usage"
            j += 1
            while j < n and event[j] in _BLANK:
                j += 1
            if event.startswith(b"null", j):
                cut = _null_member(event, i, j + 4)
                if cut is not None:
                    return event[: cut[0]] + event[cut[1] :]
            elif event.startswith(b"{", j) and _is_usage_chunk(event):
                return b""
        i = event.find(_KEY, i + 1)
    return event


def _null_member(event: bytes, key: int, end: int) -> tuple[int, int] | None:
    """The span to cut for the member ``"usage": null`` from ``key`` to ``end``, with one
    separating comma; None when it is not a member of an object."""
    before = key - 1
    while before >= 0 and event[before] in _BLANK:
        before -= 1
    after = end
    while after < len(event) and event[after] in _BLANK:
        after += 1
    if after >= len(event) or event[after] not in b",}":
        return None
    if before >= 0 and event[before] == 44:  # "," before it: cut from that comma
        return before, end
    if before >= 0 and event[before] == 123:  # the first member: cut through the comma after
        return key, after + 1 if event[after] == 44 else end
    return None


def _is_usage_chunk(event: bytes) -> bool:
    """True when the event's data is a chunk with no choices and a usage object."""
    text = event.decode("utf-8", "replace")
    for frame in frames(text.splitlines()):
        if frame.data is None:
            continue
        try:
            obj = json.loads(frame.data)
        except ValueError:
            return False
        return (
            isinstance(obj, dict)
            and obj.get("choices") == []
            and isinstance(obj.get("usage"), dict)
        )
    return False

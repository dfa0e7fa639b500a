"""The one Server-Sent Events framer: lines in, event payloads out.

`frames` groups ``data:`` lines into events the way the SSE format does (an empty line ends an
event; ``event:``, ``id:``, ``retry:`` and ``:`` comment lines are skipped) and drops the
``[DONE]`` sentinel. It does not parse JSON: the strict reader of a capture (`parse_sse`) and
the file reader (`iter_records`) each decide what a bad event means for them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import NamedTuple

__all__ = ["Frame", "frames"]

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

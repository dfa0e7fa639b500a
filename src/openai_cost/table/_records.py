"""Files of responses, logs and Batch output -> the usage table the kernel prices."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from .._limits import MAX_INT64
from ..errors import FailedRequestError, OpenAICostError
from ..types import USAGE_COUNT_FIELDS
from ..usage import USAGE_EVENTS, extract_usage, iter_records
from ..usage._files import BLANK, _orjson_loads, parse_line
from ..usage._typed import chat_bodies
from ._arrow import require_pyarrow
from ._kernel import TOOL_COLUMNS

__all__ = ["USAGE_TABLE_COLUMNS", "from_records", "iter_usage_batches"]

USAGE_TABLE_COLUMNS: tuple[str, ...] = (
    "source",
    "line",
    "model",
    "created_at",
    "service_tier",
    "batch",
    "endpoint",
    "request_id",
    "custom_id",
    *USAGE_COUNT_FIELDS,
    "audio_seconds",
    "image_size",
    "image_quality",
    *TOOL_COLUMNS,
    "unpriced_reason",
)
"""Columns of the table `from_records` builds, in order."""


def _schema() -> Any:
    pa, _ = require_pyarrow()
    fields = [
        ("source", pa.string()),
        ("line", pa.int64()),
        ("model", pa.string()),
        ("created_at", pa.timestamp("us", tz="UTC")),
        ("service_tier", pa.string()),
        ("batch", pa.bool_()),
        ("endpoint", pa.string()),
        ("request_id", pa.string()),
        ("custom_id", pa.string()),
        *[(f, pa.int64()) for f in USAGE_COUNT_FIELDS],
        ("audio_seconds", pa.decimal128(38, 9)),
        ("image_size", pa.string()),
        ("image_quality", pa.string()),
        *[(t, pa.int64()) for t in TOOL_COLUMNS],
        ("unpriced_reason", pa.string()),
    ]
    return pa.schema(fields)


def _is_stream_part(obj: Any) -> bool:
    if type(obj) is not dict or obj.get("usage") is not None:
        return False
    if obj.get("object") == "chat.completion.chunk":
        return True
    typ = obj.get("type")
    return obj.get("object") is None and isinstance(typ, str) and typ not in USAGE_EVENTS


def _row(source: str, line: int, obj: Any) -> dict[str, Any] | None:
    row: dict[str, Any] = {"source": source, "line": line}
    if isinstance(obj, Exception):
        row["unpriced_reason"] = str(obj)
        return row
    if _is_stream_part(obj):
        return None
    try:
        call = extract_usage(obj)
    except FailedRequestError as e:
        row["unpriced_reason"] = f"failed request (not billed): {e}"
        return row
    except OpenAICostError as e:
        row["unpriced_reason"] = str(e)
        return row
    except (TypeError, ValueError, KeyError, AttributeError) as e:
        row["unpriced_reason"] = f"unexpected shape: {type(e).__name__}: {e}"
        return row
    u = call.usage
    created = call.created_at
    row.update(
        model=call.model,
        created_at=None if created is None else created.astimezone(timezone.utc),
        service_tier=call.service_tier,
        batch=call.batch,
        endpoint=call.endpoint,
        request_id=call.request_id,
        custom_id=call.custom_id,
        audio_seconds=u.audio_seconds,
        image_size=u.image_size,
        image_quality=u.image_quality,
    )
    for f in USAGE_COUNT_FIELDS:
        v = getattr(u, f)
        if v > MAX_INT64:  # the table's count columns are int64
            return {
                "source": source,
                "line": line,
                "model": call.model,
                "unpriced_reason": f"{f} = {v} does not fit the usage table's 64-bit column",
            }
        row[f] = v
    for tool, count in u.tool_calls.items():
        if tool not in TOOL_COLUMNS:
            row["unpriced_reason"] = (
                f"tool calls {tool!r} have no column in the usage table; "
                f"known: {', '.join(TOOL_COLUMNS)}"
            )
        row[tool] = count
    return row


_US = timedelta(microseconds=1)
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_I_CREATED = USAGE_TABLE_COLUMNS.index("created_at")
_FLUSH: Any = object()  # from the line reader: the rows make a full batch
_ZERO_SECONDS = Decimal(0)
# a plain Chat call's row: every column after custom_id, as `_row` fills it for such a call
_TAIL = (
    (0,) * (len(USAGE_COUNT_FIELDS) - 14)
    + (_ZERO_SECONDS, None, None)
    + (None,) * (len(TOOL_COLUMNS) + 1)
)
_COUNTS_AT = [USAGE_COUNT_FIELDS.index(f) for f in (
    "input_tokens", "output_tokens", "cached_tokens", "reasoning_tokens",
    "rejected_prediction_tokens", "accepted_prediction_tokens")]  # fmt: skip
assert _COUNTS_AT == [0, 1, 2, 9, 12, 13]  # the order `_typed_row` writes them in


def _as_tuple(row: dict[str, Any]) -> tuple[Any, ...]:
    """A `_row` dict in the table's column order, ``created_at`` in microseconds."""
    out = [row.get(c) for c in USAGE_TABLE_COLUMNS]
    created = out[_I_CREATED]
    if created is not None:
        out[_I_CREATED] = (created - _EPOCH) // _US
    return tuple(out)


def _lines_to_rows(rows: list[tuple[Any, ...]], batch_size: int) -> Callable[..., Iterator[Any]]:
    """The line reader of a JSON Lines file: the common Chat lines straight from the typed
    decoders into rows, every other line through `_row` (what `extract_usage` says)."""

    def read(
        name: str, n: int, lines: Iterator[bytes], tell: Any, on_progress: Any
    ) -> Iterator[Any]:
        loads = _orjson_loads()
        append = rows.append
        for line, body, outer, inp, out, cached, reasoning, rejected, accepted in chat_bodies(
            lines
        ):
            n += 1
            if body is not None:
                if outer is None:
                    rid, cid, batch = body.id, None, False
                else:
                    rid, cid, batch = body.id or outer.response.request_id, outer.custom_id, True
                append(
                    (name, n, body.model, body.created * 1_000_000, body.service_tier, batch,
                     "chat.completions", rid, cid, inp, out, cached, 0, 0, 0, 0, 0, 0,
                     reasoning, 0, 0, rejected, accepted, *_TAIL)
                )  # fmt: skip
            else:
                try:
                    obj = loads(line)
                except ValueError:  # orjson refused it: json decides, as iter_records does
                    obj = parse_line(line)
                    if obj is BLANK:
                        continue
                row = _row(name, n, obj)
                if row is None:
                    continue
                append(_as_tuple(row))
            if len(rows) >= batch_size:
                yield _FLUSH

    return read


def _batch(pa: Any, schema: Any, rows: list[tuple[Any, ...]]) -> Any:
    cols = list(zip(*rows, strict=True))
    n = len(rows)
    arrays = []
    for i, f in enumerate(schema):
        col = cols[i]
        if i == _I_CREATED:
            arrays.append(pa.array(col, pa.int64()).cast(f.type))
        elif col.count(col[0]) == n:  # one value throughout (zeros, nulls): no per-value work
            arrays.append(pa.repeat(pa.scalar(col[0], f.type), n))
        else:
            arrays.append(pa.array(col, f.type))
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def iter_usage_batches(sources: Iterable[Any], *, batch_size: int = 65_536) -> Iterator[Any]:
    """Yield `pyarrow.RecordBatch` objects of at most ``batch_size`` usage rows.

    See `from_records`.
    """
    pa, _ = require_pyarrow()
    schema = _schema()
    rows: list[tuple[Any, ...]] = []
    reader = _lines_to_rows(rows, batch_size)
    n = 0
    for src in sources:
        if isinstance(src, (str, os.PathLike)):
            items: Iterable[Any] = iter_records(src).items(reader)
        else:
            n += 1
            items = (("<objects>", n, src),)
        for item in items:
            if item is not _FLUSH:
                row = _row(*item)
                if row is None:
                    continue
                rows.append(_as_tuple(row))
            if len(rows) >= batch_size:
                yield _batch(pa, schema, rows)
                rows.clear()
    if rows:
        yield _batch(pa, schema, rows)


def from_records(sources: Iterable[Any], *, batch_size: int = 65_536) -> Any:
    """Flatten responses, logs and Batch output files into a usage table, streaming.

    Every shape `analyze` reads works: files are read with the same reader (JSON Lines, JSON
    arrays, SSE captures, ``.gz``) and each item with `extract_usage`; the common lines of a
    JSON Lines file (a Chat Completions body, alone or in a 200 Batch line) go straight from
    `analyze`'s typed decoders into the columns, with the values `extract_usage` gives.

    Args:
        sources: paths (``str`` or ``os.PathLike``; ``"-"`` is stdin) and/or objects
            (responses, Batch output lines, log records as dicts or SDK objects).
        batch_size: rows per record batch.

    Returns:
        A `pyarrow.RecordBatchReader` over the columns `USAGE_TABLE_COLUMNS` (``.read_all()``
        makes a `pyarrow.Table`; `price` accepts it). Items that are not calls (stream
        chunks and events without usage) are left out. Items that cannot be read (bad JSON,
        failed requests, contradictory usage) are rows with their ``unpriced_reason`` set,
        which `price` keeps: nothing is dropped silently.
    """
    pa, _ = require_pyarrow()
    return pa.RecordBatchReader.from_batches(
        _schema(), iter_usage_batches(sources, batch_size=batch_size)
    )

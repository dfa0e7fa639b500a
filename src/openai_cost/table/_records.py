"""Files of responses, logs and Batch output -> the usage table the kernel prices."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from datetime import timezone
from typing import Any

from ..errors import FailedRequestError, OpenAICostError
from ..types import USAGE_COUNT_FIELDS
from ..usage import USAGE_EVENTS, extract_usage, iter_records
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


def _items(sources: Iterable[Any]) -> Iterator[tuple[str, int, Any]]:
    n = 0
    for src in sources:
        if isinstance(src, (str, os.PathLike)):
            for rec in iter_records(src):
                yield rec.source, rec.line, rec.obj
        else:
            n += 1
            yield "<objects>", n, src


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
        row[f] = getattr(u, f)
    for tool, count in u.tool_calls.items():
        if tool not in TOOL_COLUMNS:
            row["unpriced_reason"] = (
                f"tool calls {tool!r} have no column in the usage table; "
                f"known: {', '.join(TOOL_COLUMNS)}"
            )
        row[tool] = count
    return row


def iter_usage_batches(sources: Iterable[Any], *, batch_size: int = 65_536) -> Iterator[Any]:
    """Yield `pyarrow.RecordBatch` objects of at most ``batch_size`` usage rows.

    See `from_records`.
    """
    pa, _ = require_pyarrow()
    schema = _schema()
    rows: list[dict[str, Any]] = []
    for source, line, obj in _items(sources):
        row = _row(source, line, obj)
        if row is None:
            continue
        rows.append(row)
        if len(rows) >= batch_size:
            yield pa.RecordBatch.from_pylist(rows, schema=schema)
            rows = []
    if rows:
        yield pa.RecordBatch.from_pylist(rows, schema=schema)


def from_records(sources: Iterable[Any], *, batch_size: int = 65_536) -> Any:
    """Flatten responses, logs and Batch output files into a usage table, streaming.

    Every shape `analyze` reads works: files are read with the same reader (JSON Lines, JSON
    arrays, SSE captures, ``.gz``) and each item with `extract_usage`.

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

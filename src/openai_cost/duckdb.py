"""DuckDB: the catalog and the pricing kernel inside a DuckDB connection, and a DuckDB engine
for ``analyze``.

`register` puts the price and alias tables and an ``openai_cost_price(...)`` function into a
user's own connection. `summarize_files` is ``openai-cost analyze --engine duckdb``: DuckDB
reads the files (JSON Lines, ``.gz``, Parquet usage tables) and checks the common record shape
in SQL; every other line goes, in file order, through the same aggregator as the default
engine, so the totals, groups and problems are the default engine's.

How a JSON Lines file is read: DuckDB's parallel ``read_json`` is told the few fields a line
is priced from, as text (``JSON`` columns where the type matters: never cast), and the usage
object's counts are read from its text with one ``json_transform``. A line is summed only
when it is a Chat Completions body (alone or in a 200 Batch output line) that the default
engine's own fast path sums the same way: usage keys, counts and details checked on the text
(see `_usage_ok`). DuckDB returns every line in file order; such lines are summed by (model,
day, tier, batch, long-context band) with numpy and priced once per group; the rest
(contradictory counts, other shapes, failed lines) have their text read back through an index
of the file's lines (built by a thread with numpy while DuckDB reads; no parsing) and go one
by one through the default engine's aggregator. A file DuckDB cannot read line for line as
the default reader does (a line that is not a JSON object, a repeated key among the fields
read, a stray carriage return...) is read by the default reader. One difference remains:
DuckDB's JSON parser accepts a trailing comma (``{"a": 1,}``), which the default reader
refuses as malformed, so such a line of the common shape is summed by this engine.

Needs duckdb (``pip install "openai-cost[duckdb]"``).
"""

from __future__ import annotations

import contextlib
import json
import os
import zlib
from collections.abc import Sequence
from datetime import date, datetime, timezone
from typing import TYPE_CHECKING, Any

from ._lines import LineIndex, gzipped, scan_lines
from .catalog import catalog, to_date
from .errors import UsageError
from .types import MAX_TIMESTAMP
from .usage import CHAT_COMPLETION_DETAIL_KEYS, CHAT_PROMPT_DETAIL_KEYS, CHAT_USAGE_KEYS

if TYPE_CHECKING:
    from .catalog import Catalog
    from .summary import Summary

__all__ = ["register", "summarize_files"]


def _duckdb() -> Any:
    try:
        import duckdb
    except ModuleNotFoundError as e:  # pragma: no cover - the test environment has duckdb
        raise ModuleNotFoundError(
            'the DuckDB engine needs duckdb: pip install "openai-cost[duckdb]"'
        ) from e
    return duckdb


# --------------------------------------------------------------------------- register

_ARGS = (
    ("model", "VARCHAR"),
    ("created_at", "TIMESTAMP"),
    ("service_tier", "VARCHAR"),
    ("batch", "BOOLEAN"),
    ("input_tokens", "BIGINT"),
    ("cached_tokens", "BIGINT"),
    ("output_tokens", "BIGINT"),
    ("reasoning_tokens", "BIGINT"),
)


def register(
    con: Any, *, prices: Catalog | None = None, prefix: str = "openai_cost"
) -> tuple[str, str, str]:
    """Make the catalog and the kernel available inside a DuckDB connection.

    Creates (or replaces) the tables ``<prefix>_prices`` and ``<prefix>_aliases`` (the tables
    ``openai-cost catalog export`` writes) and the scalar function
    ``<prefix>_price(model, created_at, service_tier, batch, input_tokens, cached_tokens,
    output_tokens, reasoning_tokens)``, which prices each row with the columnar kernel (one
    call per vector of rows, `cost_of`'s rules) and returns a struct of ``cost_input_usd``,
    ``cost_output_usd``, ``cost_fees_usd``, ``cost_total_usd`` (DECIMAL(38,12)),
    ``resolved_model``, ``price_since`` and ``unpriced_reason`` (costs NULL when unpriced).
    ``created_at`` is a UTC TIMESTAMP; NULL counts are zero.

    Args:
        con: a ``duckdb.DuckDBPyConnection``.
        prices: a `Catalog` instead of the shared one.
        prefix: name prefix of the tables and the function.

    Returns:
        The names of the price table, the alias table and the function.
    """
    duckdb = _duckdb()
    from .table import Kernel, catalog_tables

    cat = prices if prices is not None else catalog()
    price_table, alias_table = catalog_tables(cat)
    names = (f"{prefix}_prices", f"{prefix}_aliases", f"{prefix}_price")
    for name, tbl in zip(names[:2], (price_table, alias_table), strict=True):
        view = f"__{name}_arrow"
        con.register(view, tbl)
        con.execute(f'CREATE OR REPLACE TABLE "{name}" AS SELECT * FROM "{view}"')
        con.unregister(view)
    import pyarrow as pa

    kernel = Kernel(prices=cat)

    # DuckDB reads the function's arity from its signature
    def udf(
        model: Any,
        created_at: Any,
        service_tier: Any,
        batch: Any,
        input_tokens: Any,
        cached_tokens: Any,
        output_tokens: Any,
        reasoning_tokens: Any,
    ) -> Any:
        cols = [
            model,
            created_at,
            service_tier,
            batch,
            input_tokens,
            cached_tokens,
            output_tokens,
            reasoning_tokens,
        ]
        rb = pa.RecordBatch.from_arrays(
            [c.combine_chunks() if isinstance(c, pa.ChunkedArray) else c for c in cols],
            names=[n for n, _ in _ARGS],
        )
        out = kernel.price_batch(rb)
        fields = kernel.result_fields()
        return pa.StructArray.from_arrays([out.column(f.name) for f in fields], fields=fields)

    ret = duckdb.struct_type(
        {
            "cost_input_usd": "DECIMAL(38,12)",
            "cost_output_usd": "DECIMAL(38,12)",
            "cost_fees_usd": "DECIMAL(38,12)",
            "cost_total_usd": "DECIMAL(38,12)",
            "resolved_model": "VARCHAR",
            "price_since": "DATE",
            "unpriced_reason": "VARCHAR",
        }
    )
    with contextlib.suppress(duckdb.InvalidInputException):  # not registered yet
        con.remove_function(names[2])
    con.create_function(
        names[2],
        udf,
        [t for _, t in _ARGS],
        ret,
        type="arrow",
        null_handling="special",
        side_effects=False,
    )
    return names


# --------------------------------------------------------------------------- analyze

# Which lines DuckDB sums: only lines the default engine's fast path sums the same way
# (`summary._Aggregator._fast`), never one it would read otherwise. The usage object is read as
# JSON text, which DuckDB writes minified, numbers as they were parsed (a whole number as its
# digits; a float with its ".0" or exponent; a string with its quotes). Its counts are then
# read from that text as numbers, leniently ("12", 1.5, true and 1e3 all give a number, a
# repeated key its first value), and the line is summed only when the text is exactly as long
# as its entries written back from those numbers (`_usage_ok`): every lenient reading is
# longer than the digits it gives, and so is any other or repeated key, or a null. Anything
# else goes to the default engine's reader.
_KEYS = {
    "": CHAT_USAGE_KEYS,
    "prompt_tokens_details": CHAT_PROMPT_DETAIL_KEYS,
    "completion_tokens_details": CHAT_COMPLETION_DETAIL_KEYS,
}
# every count a usage the fast path accepts may hold, as a path in the usage object
_PATHS = [
    f"{level}.{k}" if level else k
    for level in _KEYS
    for k in sorted(_KEYS[level])
    if k not in _KEYS
]


def _usage_struct() -> str:
    """The `json_transform` structure of a usage: every count of `_PATHS` as UBIGINT."""
    top: dict[str, Any] = {}
    for p in _PATHS:
        level, _, key = p.rpartition(".")
        (top.setdefault(level, {}) if level else top)[key] = "UBIGINT"
    return json.dumps(top, separators=(",", ":"))


def _usage_ok(u: str, s: str) -> str:
    """SQL: the usage text ``u`` is exactly the entries of the counts read from it (``s``,
    the struct of `_usage_struct`), each written as its digits, each below 10**12.

    A minified object with entries ``"key":value`` is 1 + sum(len(key) + 4 + len(value))
    characters long, a details object counting len(key) + 5 more when it holds a count."""
    parts = []
    for p in _PATHS:
        # its digits, for a count below 10**12 (a larger one counts as absent: too short)
        digits = " ".join(f"WHEN {s}.{p} < {10**k} THEN {k}" for k in range(1, 13))
        key = p.rpartition(".")[2]
        parts.append(f"COALESCE(CASE {digits} END + {len(key) + 4}, 0)")
    for d in _KEYS:
        if d:
            inner = " OR ".join(f"{s}.{p} IS NOT NULL" for p in _PATHS if p.startswith(d + "."))
            parts.append(f"CASE WHEN {inner} THEN {len(d) + 5} ELSE 0 END")
    return f"strlen({u}) = 1 + {' + '.join(parts)}"


def _read_json(path: str) -> str:
    """DuckDB's parallel JSON Lines reader, told the few fields a line is priced from.

    Each field is read as text, so its type is checked here exactly as the default engine
    checks it, never cast (DuckDB reads a JSON null as NULL). Blank lines give no row, so the
    ordinality counts the other lines. A line DuckDB cannot read (not JSON, not an object, a
    repeated key among those read) stops the query: errors are not ignored, as DuckDB would
    keep a repeated key's first value where the default reader keeps the last.
    """
    esc = path.replace("'", "''")
    leaves = ", ".join(f"{f} {t}" for f, t in _FIELDS.items())
    cols = (
        "{custom_id: 'VARCHAR', error: 'VARCHAR', "
        f"response: 'STRUCT(status_code JSON, body STRUCT({leaves}))', "
        + ", ".join(f"{f}: '{t}'" for f, t in _FIELDS.items())
        + "}"
    )
    return (
        f"read_json('{esc}', format='newline_delimited', records=true, "
        f"compression='{'gzip' if gzipped(path) else 'none'}', "
        f"columns={cols}) WITH ORDINALITY"
    )


# the body's fields, each read as text: VARCHAR where only one string matters (any other
# value reads as other text), JSON (its type visible) where the type is checked
_FIELDS = {
    "object": "VARCHAR",
    "model": "JSON",
    "created": "JSON",
    "service_tier": "JSON",
    "usage": "JSON",
}


_VALUES = ("inp", "out", "cached", "reasoning", "rejected", "accepted")
_KEY = ("model", "day", "tier", "batch", "band")
_SLICE = 1 << 17  # lines summed at once: 131072 counts of up to 12 digits fit an int64
# lines left to the default reader are held (their text too) until read: past this many, the
# default reader reads the whole file instead
_MAX_OTHERS = 100_000


def _jsonl_sql(path: str, thresholds: Sequence[int], batch_default: bool) -> str:
    """Check every line in SQL: one row per non-blank line, in file order.

    The body's fields come from ``response.body`` on a Batch line (one with a ``custom_id``)
    and from the top otherwise. A line the fast path sums has two hashes of its group (model,
    day, tier, batch, long-context band: ``g``, never 0, and ``h``; `_key` reads the group
    from the group's first line and checks it against both) and its counts; any other line has
    ``g`` = 0 (the default reader reads it). `_groups` sums them.
    """
    pd, cd = "prompt_tokens_details.", "completion_tokens_details."
    # the counts the fast path reads (of up to 12 digits, by `_usage_ok`: the sums over a
    # slice of lines fit an int64), and the ones it wants zero
    used = [
        "prompt_tokens",
        "completion_tokens",
        pd + "cached_tokens",
        cd + "reasoning_tokens",
        cd + "rejected_prediction_tokens",
        cd + "accepted_prediction_tokens",
    ]
    zeros = [
        pd + "audio_tokens",
        pd + "image_tokens",
        pd + "cache_write_tokens",
        cd + "audio_tokens",
    ]
    has_custom = "custom_id IS NOT NULL"

    def pick(f: str) -> str:
        return f"CASE WHEN {has_custom} THEN response.body.{f} ELSE {f} END"

    batch_sql = str(batch_default).lower()
    band = " + ".join(f"(inp > {t})::INTEGER" for t in thresholds) or "0"
    nums = ", ".join(
        f"COALESCE(TRY_CAST(s.{p} AS BIGINT), 0) AS {n}" for p, n in zip(used, _VALUES, strict=True)
    )
    created = "TRY_CAST(cr AS UBIGINT)"  # digits only: as long as the number's own digits
    ok = " AND ".join(
        [
            f"CASE WHEN {has_custom} THEN error IS NULL AND sc = '200' ELSE true END",
            "o = 'chat.completion'",
            "starts_with(m, '\"')",
            f"({has_custom} OR {batch_sql} OR t IS NULL OR starts_with(t, '\"'))",
            f"strlen(cr) = strlen(CAST({created} AS VARCHAR))",
            f"{created} <= {MAX_TIMESTAMP}",
            "s.prompt_tokens IS NOT NULL",
            *(f"COALESCE(s.{p}, 0) = 0" for p in zeros),
            _usage_ok("u", "s"),
        ]
    )
    return f"""
WITH r AS (
    SELECT {has_custom} AS is_batch, custom_id, error, response.status_code AS sc,
        {pick("object")} AS o, {pick("model")} AS m, {pick("created")} AS cr,
        {pick("service_tier")} AS t, {pick("usage")} AS u
    FROM {_read_json(path)}
),
v AS (SELECT *, json_transform(u, '{_usage_struct()}') AS s FROM r),
x AS (SELECT is_batch, m, cr, t, COALESCE({ok}, false) AS fast, {nums} FROM v),
y AS (
    SELECT fast AND cached <= inp AND reasoning <= out AND rejected <= out AS fast,
        is_batch, m, cr, t, inp, out, cached, reasoning, rejected, accepted
    FROM x
),
z AS (
    SELECT fast,
        CASE WHEN fast THEN m ->> '$' END AS model,
        CASE WHEN fast THEN TRY_CAST(cr AS BIGINT) // 86400 END AS day,
        CASE WHEN fast AND NOT (is_batch OR {batch_sql}) THEN t ->> '$' END AS tier,
        CASE WHEN fast THEN (is_batch OR {batch_sql}) END AS batch,
        CASE WHEN fast THEN {band} END AS band,
        inp, out, cached, reasoning, rejected, accepted
    FROM y
)
SELECT CASE WHEN fast THEN hash(model, day, tier, batch, band) | 1 ELSE 0 END AS g,
    CASE WHEN fast THEN hash(band, batch, tier, day, model) ELSE 0 END AS h,
    inp, out, cached, reasoning, rejected, accepted
FROM z
"""


def _groups(con: Any, sql: str) -> list[dict[str, Any]] | None:
    """Run `_jsonl_sql` and sum its rows (in file order) by group; None when the default
    reader should read the file instead (a hash collision, or over `_MAX_OTHERS` lines left).

    DuckDB checks every line in parallel and returns them in file order, so a line's rank
    is its position in the result (a row number would make DuckDB read on one thread). Each
    summed line carries a 64-bit hash of its group and a second hash of it: lines are summed
    by the first (numpy, whole slices at once), and a group whose lines do not all share the
    second hash means two groups met under one hash: the caller then reads the file the
    default way. Returns the groups (with the rank of their first line) and one entry per
    line left to the default reader, in file order.
    """
    import numpy as np

    def ints(col: Any, dtype: Any) -> Any:  # an Arrow column without NULLs, as numpy, no copy
        return np.frombuffer(col.buffers()[1], dtype=dtype, count=len(col), offset=col.offset * 8)

    groups: dict[int, dict[str, Any]] = {}
    others: list[dict[str, Any]] = []
    base = 0  # lines before this slice
    rel = con.sql(sql)
    read = getattr(rel, "to_arrow_reader", None) or rel.fetch_record_batch  # DuckDB < 1.4
    for batch in read(_SLICE):
        names = batch.schema.names
        for lo in range(0, batch.num_rows, _SLICE):
            rb = batch.slice(lo, _SLICE)
            g = ints(rb.column(0), np.uint64)
            h = ints(rb.column(1), np.uint64)
            left = np.flatnonzero(g == 0)
            others += [{"fast": False, "n": 1, "first": int(i) + base + 1} for i in left]
            if len(others) > _MAX_OTHERS:
                return None  # mostly other shapes: the default reader, in constant memory
            rows = np.flatnonzero(g) if len(left) else np.arange(len(g))
            if len(rows):
                order = rows[np.argsort(g[rows], kind="stable")]  # stable: first line first
                gs = g[order]
                starts = np.flatnonzero(np.concatenate(([True], gs[1:] != gs[:-1])))
                ends = np.append(starts[1:], len(gs))
                run = np.repeat(np.arange(len(starts)), ends - starts)
                hs = h[order]
                if not (hs == hs[starts][run]).all():
                    return None  # two groups under one hash
                sums = [
                    np.add.reduceat(ints(rb.column(names.index(v)), np.int64)[order], starts)
                    for v in _VALUES
                ]
                for j, (st, en) in enumerate(zip(starts.tolist(), ends.tolist(), strict=True)):
                    code = int(gs[st])
                    grp = groups.get(code)
                    if grp is None:
                        r = int(order[st])
                        grp = {"g": code, "h": int(hs[st]), "fast": True, "n": 0}
                        grp["first"] = base + r + 1
                        grp.update(dict.fromkeys(_VALUES, 0))
                        groups[code] = grp
                    elif grp["h"] != int(hs[st]):
                        return None  # two groups under one hash, in different slices
                    grp["n"] += en - st
                    for v, sv in zip(_VALUES, sums, strict=True):
                        grp[v] += int(sv[j])
            base += rb.num_rows
    return sorted([*groups.values(), *others], key=lambda r: r["first"])


def _sniff(path: str) -> str:
    """``parquet``, ``jsonl`` (one JSON object per line) or ``other`` (the default reader)."""
    if path == "-":
        return "other"
    import gzip

    with open(path, "rb") as f:
        head = f.read(4)
    if head == b"PAR1":
        return "parquet"
    opener: Any = gzip.open if head[:2] == b"\x1f\x8b" else open
    with opener(path, "rb") as f:
        for line in f:
            if not line.strip():
                continue
            if not line.lstrip().startswith(b"{"):
                return "other"
            try:
                return "jsonl" if type(json.loads(line)) is dict else "other"
            except ValueError:
                return "other"  # pretty-printed JSON documents: the default reader
    return "other"


def _add_fast_group(agg: Any, row: dict[str, Any], where: str, thresholds: list[int]) -> None:
    """Add a group of lines summed in SQL, as the default fast path adds each line."""
    from . import summary as s

    n = row["n"]
    model, day, tier, batch = row["model"], row["day"], row["tier"], row["batch"]
    if agg.ranged and (
        (agg.since is not None and day < agg.since) or (agg.until is not None and day > agg.until)
    ):
        agg.filtered += n
        return
    thr = agg.thresholds.get((model, day), s._MISSING)
    if thr is s._MISSING:
        thr = agg._threshold(model, day)
    if thr is None:
        agg._unknown_model(model, where, day, n)
        return
    # band = how many catalog thresholds the input is above; the model's own decides
    long_ctx = thr != s._NO_LIMIT and row["band"] > thresholds.index(thr)
    key = (model, day, tier, batch, "chat.completions", long_ctx, None)
    b = agg.buckets.get(key)
    if b is None:
        b = agg.buckets[key] = s._new_bucket(where)
    b[0] += n
    b[s._I_IN] += row["inp"]
    b[s._I_OUT] += row["out"]
    b[s._I_CACHED] += row["cached"]
    b[s._I_REASONING] += row["reasoning"]
    b[s._I_REJECTED] += row["rejected"]
    b[s._I_ACCEPTED] += row["accepted"]


def _key(con: Any, row: dict[str, Any], obj: Any, batch: bool, thresholds: list[int]) -> bool:
    """Put a group's (model, day, tier, batch, band) into ``row``, read from its first line
    (parsed), as `_jsonl_sql` reads it; False unless DuckDB hashes it to the group's hashes."""
    try:
        is_batch = obj.get("custom_id") is not None  # a JSON null reads as NULL in DuckDB
        body = obj["response"]["body"] if is_batch else obj
        batch = is_batch or batch
        inp = body["usage"]["prompt_tokens"]
        key = (
            body["model"],
            body["created"] // 86400,
            None if batch else body.get("service_tier"),
            batch,
            sum(inp > t for t in thresholds),
        )
    except (AttributeError, KeyError, TypeError):
        return False
    got = con.execute(
        "SELECT hash($1::VARCHAR, $2::BIGINT, $3::VARCHAR, $4::BOOLEAN, $5::INTEGER) | 1, "
        "hash($5::INTEGER, $4::BOOLEAN, $3::VARCHAR, $2::BIGINT, $1::VARCHAR)",
        list(key),
    ).fetchall()  # all: the connection reads the next file next
    if (int(got[0][0]), int(got[0][1])) != (row["g"], row["h"]):
        return False
    row.update(zip(_KEY, key, strict=True))
    return True


def _read_jsonl(con: Any, agg: Any, path: str, thresholds: list[int]) -> int:
    """Read one JSON Lines file; -1 when DuckDB cannot (the default reader then does)."""
    from .summary import Item
    from .usage._files import _orjson_loads

    duckdb = _duckdb()
    # Line numbers: "first" ranks a line among the non-blank ones. One pass over the raw
    # bytes (no parsing) finds the blank lines, the line number of each rank asked for and
    # the text of each line left to the default reader. For a plain file the pass indexes
    # the lines while DuckDB reads them (a thread; numpy and the reads leave the GIL), and
    # the lines asked for are read back by offset. Both readers must see the same lines (a
    # stray carriage return...), or the default reader reads the file.
    index = None if gzipped(path) else LineIndex(path)
    try:
        try:
            rows = _groups(con, _jsonl_sql(path, thresholds, agg.batch))
        finally:
            if index is not None:
                index.join()
    except duckdb.Error:
        # A line DuckDB cannot read (not JSON, not an object, invalid UTF-8) or one with a
        # repeated key among those read (DuckDB would keep the first, the default reader
        # keeps the last): the default reader reads the file, problems and all.
        return -1
    if rows is None:
        return -1
    records = sum(r["n"] for r in rows)
    ranks = sorted({r["first"] for r in rows})
    try:
        if index is None:
            nonblank, found = scan_lines(path, ranks, set(ranks))
        else:
            nonblank, found = index.find(ranks, set(ranks))
    except (OSError, EOFError, zlib.error):
        return -1  # a cut or corrupt gzip stream: the default reader reports it
    if nonblank != records:
        return -1
    fast_loads = _orjson_loads()
    for r in rows:
        if r["fast"] and not _key(con, r, fast_loads(found[r["first"]][1]), agg.batch, thresholds):
            return -1  # the first line does not give the group DuckDB hashed
    # the groups and the other lines, in file order (as the default engine meets them)
    for r in rows:  # already in file order
        line, text = found[r["first"]]
        if r["fast"]:
            _add_fast_group(agg, r, f"{path}:{line}", thresholds)
            continue
        obj: Any
        try:  # parsed as the default reader parses a line: orjson, then json
            obj = fast_loads(text)
        except ValueError:
            try:
                obj = json.loads(text.decode("utf-8"))
            except ValueError as e:
                obj = UsageError(f"not valid JSON (truncated?): {e}")
            except RecursionError:
                from .usage._files import _TOO_DEEP

                obj = UsageError(_TOO_DEEP)
        agg.add(obj, Item(path, line, obj))
    return int(records)


def _add_call(agg: Any, call: Any, where: str) -> None:
    """Add one call read from a usage table, as the default engine adds an extracted call."""
    model = call.model
    if not model:
        agg.problem("unpriced", "the row names no model", where)
        return
    agg.add_call(call, model, where, where)


def _read_parquet(con: Any, agg: Any, path: str) -> int:
    """A usage table (``openai_cost.table.from_records`` columns): each row is a call."""
    from .table import TOOL_COLUMNS, USAGE_TABLE_COLUMNS
    from .types import USAGE_COUNT_FIELDS, Call, Usage

    esc = path.replace("'", "''")
    rel = con.sql(f"SELECT * FROM read_parquet('{esc}')")
    have = set(rel.columns)
    if "model" not in have:
        raise UsageError(
            f"{path}: a Parquet usage table needs a 'model' column; columns: "
            f"{', '.join(rel.columns)} (expected those of {', '.join(USAGE_TABLE_COLUMNS[:4])}...)"
        )
    # to_arrow_reader in DuckDB >= 1.4, fetch_record_batch before
    read = getattr(rel, "to_arrow_reader", None) or rel.fetch_record_batch
    reader = read(65_536)
    records = 0
    for rb in reader:
        for r in rb.to_pylist():
            records += 1
            line = r.get("line") or records
            reason = r.get("unpriced_reason")
            if reason:
                agg.problem("malformed", reason, f"{path}:{line}")
                continue
            try:
                kw: dict[str, Any] = {f: r[f] or 0 for f in USAGE_COUNT_FIELDS if f in have}
                if r.get("audio_seconds"):
                    kw["audio_seconds"] = r["audio_seconds"]
                tools = {t: r[t] for t in TOOL_COLUMNS if r.get(t)}
                if tools:
                    kw["tool_calls"] = tools
                usage = Usage(
                    **kw, image_size=r.get("image_size"), image_quality=r.get("image_quality")
                )
            except UsageError as e:
                agg.problem("malformed", str(e), f"{path}:{line}")
                continue
            created = r.get("created_at")
            if isinstance(created, datetime) and created.tzinfo is None:
                created = created.replace(tzinfo=timezone.utc)
            call = Call(
                model=r.get("model"),
                usage=usage,
                endpoint=r.get("endpoint"),
                service_tier=r.get("service_tier"),
                created_at=created,
                batch=bool(r.get("batch")),
            )
            _add_call(agg, call, f"{path}:{line}")
    return records


def summarize_files(
    files: Sequence[str | os.PathLike[str]],
    *,
    by: str | Sequence[str] = ("model",),
    batch: bool = False,
    since: date | datetime | str | None = None,
    until: date | datetime | str | None = None,
    prices: Catalog | None = None,
    max_listed: int = 1000,
) -> Summary:
    """`summarize` over files, read by DuckDB: ``openai-cost analyze --engine duckdb``.

    JSON Lines files (plain or ``.gz``) are read and summed by DuckDB where a line has the
    common Chat Completions / Batch shape; every other line is read, in order, by the default
    engine's aggregator. Parquet files are usage tables (the columns of
    `openai_cost.table.from_records`). Other files (JSON arrays, SSE captures, stdin) are read
    by the default reader. The result is the default engine's, problems and all.

    Args:
        files: paths (``"-"`` for stdin).
        by, batch, since, until, prices, max_listed: as for `summarize`.
    """
    from . import summary as s

    fields = (by,) if isinstance(by, str) else tuple(by)
    bad = [f for f in fields if f not in s.GROUP_FIELDS]
    if bad or not fields:
        raise ValueError(f"cannot group by {bad or fields!r}; valid: {', '.join(s.GROUP_FIELDS)}")
    cat = prices if prices is not None else catalog()
    agg = s._Aggregator(
        fields,
        at=None,
        batch=batch,
        since=None if since is None else to_date(since),
        until=None if until is None else to_date(until),
        prices=cat,
        max_listed=max_listed,
    )
    thresholds = sorted(
        {
            p.long_context.threshold
            for e in cat.entries()
            for p in e.periods
            if p.long_context is not None
        }
    )
    duckdb = _duckdb()
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")  # not its bar on analyze's terminal
    records = 0
    try:
        for f in files:
            path = os.fspath(f)
            kind = _sniff(path)
            n = _read_jsonl(con, agg, path, thresholds) if kind == "jsonl" else -1
            if n >= 0:
                records += n
            elif kind == "parquet":
                records += _read_parquet(con, agg, path)
            else:
                for rec in s.iter_records(path):
                    records += 1
                    agg.add(rec[2], rec)
    finally:
        con.close()
    agg.records = records
    result: Summary = agg.finish()
    return result

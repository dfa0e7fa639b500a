"""DuckDB: the catalog and the pricing kernel inside a DuckDB connection, and a DuckDB engine
for ``analyze``.

`register` puts the price and alias tables and an ``openai_cost_price(...)`` function into a
user's own connection. `summarize_files` is ``openai-cost analyze --engine duckdb``: DuckDB
reads the files (JSON Lines, ``.gz``, Parquet usage tables) and sums the common record shape in
SQL, one parse per line; every other line goes, in file order, through the same aggregator as
the default engine, so the totals, groups and problems are the default engine's.

How a JSON Lines file is read: DuckDB's parallel ``read_json`` is told the few fields a line
is priced from, each as JSON text (never cast, so a type is checked exactly as the default
engine checks it), and the usage object's own paths are taken from it with one
``json_extract``. A line is summed in SQL only when it is a Chat Completions body (alone or in
a 200 Batch output line) whose usage has only the plain keys (checked by length: minified JSON
with any other key is longer), whole non-negative counts and details that fit their totals:
exactly the lines the default engine's own fast path sums. Such lines are grouped by (model,
day, tier, batch, long-context band) and priced once per group; the rest (malformed,
contradictory, other shapes) are found by the same filter, fetched by line number from a
scan of the raw lines (no parsing) and read one by one in Python. If the two readers do not
see the same lines (a stray carriage return...), the default reader reads the file.

Needs duckdb (``pip install "openai-cost[duckdb]"``).
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Sequence
from datetime import date, datetime, timezone
from typing import TYPE_CHECKING, Any

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

# the key sets the default engine's fast path accepts: one definition, in the usage wing
_FAST_TOP = tuple(sorted(CHAT_USAGE_KEYS))
_FAST_PD = tuple(sorted(CHAT_PROMPT_DETAIL_KEYS))
_FAST_CD = tuple(sorted(CHAT_COMPLETION_DETAIL_KEYS))
# what a line is priced from: the body's fields (under response.body on a Batch line), then
# every key the fast path accepts in the usage and its two details
_BODY = (
    "object",
    "model",
    "created",
    "service_tier",
    "usage",
    *(f"usage.{k}" for k in _FAST_TOP),
    *(f"usage.prompt_tokens_details.{k}" for k in _FAST_PD),
    *(f"usage.completion_tokens_details.{k}" for k in _FAST_CD),
)


def _branch(base: int) -> dict[str, str]:
    """SQL expressions for the body whose paths start at ``v[base]`` (1-based)."""

    def v(name: str) -> str:
        return f"v[{base + _BODY.index(name)}]"

    # json_extract gives minified JSON text: its first character says its type, and a whole
    # number >= 0 is digits only (checked without parsing the value again)
    def absent(x: str) -> str:
        return f"({x} IS NULL OR {x} = 'null')"

    def count(x: str) -> str:  # whole number >= 0 that fits BIGINT
        return f"regexp_full_match({x}, '[0-9]{{1,18}}')"

    def count_or_absent(x: str) -> str:
        return f"({absent(x)} OR {count(x)})"

    def falsy(x: str) -> str:
        return f"({absent(x)} OR {x} = '0')"

    def val(x: str) -> str:
        return f"COALESCE(TRY_CAST({x} AS BIGINT), 0)"

    def keys_in(x: str, prefix: str, allowed: Sequence[str]) -> str:
        # No other key, checked without parsing again: the object's text is minified JSON,
        # so it is exactly as long as its known entries ("key":value, joined by commas) in
        # braces; any other entry (an unknown or repeated key) makes it longer.
        vals = [v(f"{prefix}{k}") for k in allowed]
        entries = " + ".join(
            f"COALESCE(length({e}) + {len(k) + 3}, 0)" for k, e in zip(allowed, vals, strict=True)
        )
        present = " + ".join(f"({e} IS NOT NULL)::INTEGER" for e in vals)
        return f"(length({x}) = 2 + {entries} + greatest({present} - 1, 0))"

    usage = v("usage")
    pd_keys = keys_in(v("usage.prompt_tokens_details"), "usage.prompt_tokens_details.", _FAST_PD)
    cd_keys = keys_in(
        v("usage.completion_tokens_details"), "usage.completion_tokens_details.", _FAST_CD
    )
    pd = v("usage.prompt_tokens_details")
    cd = v("usage.completion_tokens_details")
    inp = val(v("usage.prompt_tokens"))
    out = val(v("usage.completion_tokens"))
    cached = val(v("usage.prompt_tokens_details.cached_tokens"))
    reasoning = val(v("usage.completion_tokens_details.reasoning_tokens"))
    rejected = val(v("usage.completion_tokens_details.rejected_prediction_tokens"))
    accepted = val(v("usage.completion_tokens_details.accepted_prediction_tokens"))
    ok = " AND ".join(
        [
            f"{v('object')} = '\"chat.completion\"'",
            f"starts_with({v('model')}, '\"')",
            count(v("created")),
            f"TRY_CAST({v('created')} AS BIGINT) <= {MAX_TIMESTAMP}",  # as the default's check
            f"starts_with({usage}, '{{')",
            keys_in(usage, "usage.", _FAST_TOP),
            count(v("usage.prompt_tokens")),
            f"({v('usage.completion_tokens')} IS NULL OR {count(v('usage.completion_tokens'))})",
            f"({absent(pd)} OR (starts_with({pd}, '{{') AND {pd_keys}"
            f" AND {falsy(v('usage.prompt_tokens_details.audio_tokens'))}"
            f" AND {falsy(v('usage.prompt_tokens_details.image_tokens'))}"
            f" AND {falsy(v('usage.prompt_tokens_details.cache_write_tokens'))}"
            f" AND {count_or_absent(v('usage.prompt_tokens_details.cached_tokens'))}))",
            f"({absent(cd)} OR (starts_with({cd}, '{{') AND {cd_keys}"
            f" AND {falsy(v('usage.completion_tokens_details.audio_tokens'))}"
            f" AND {count_or_absent(v('usage.completion_tokens_details.reasoning_tokens'))}"
            " AND "
            + count_or_absent(v("usage.completion_tokens_details.rejected_prediction_tokens"))
            + " AND "
            + count_or_absent(v("usage.completion_tokens_details.accepted_prediction_tokens"))
            + "))",
            f"{cached} <= {inp}",
            f"{reasoning} <= {out}",
            f"{rejected} <= {out}",
        ]
    )
    return {
        "ok": ok,
        "model": f"({v('model')} ->> '$')",
        "created": f"TRY_CAST({v('created')} AS BIGINT)",
        "tier": f"({v('service_tier')} ->> '$')",
        "tier_ok": f"({absent(v('service_tier'))} OR starts_with({v('service_tier')}, '\"'))",
        "inp": inp,
        "out": out,
        "cached": cached,
        "reasoning": reasoning,
        "rejected": rejected,
        "accepted": accepted,
    }


_USAGE_PATHS = [f"$.{p[len('usage.') :]}" for p in _BODY if p.startswith("usage.")]
_FIELDS = ("object", "model", "created", "service_tier", "usage")  # _BODY's first five
_LEAVES = ", ".join(f"{f} JSON" for f in _FIELDS)


def _read_json(path: str) -> str:
    """DuckDB's parallel JSON Lines reader, told the few fields a line is priced from.

    Every field is read as JSON text (``JSON`` columns), so its type is checked here exactly
    as the default engine checks it, never cast. A line that is not an object (or not JSON)
    becomes a row of NULLs and goes to the default reader; blank lines give no row, so the
    ordinality counts the other lines.
    """
    esc = path.replace("'", "''")
    cols = (
        "{custom_id: 'JSON', error: 'JSON', "
        f"response: 'STRUCT(status_code JSON, body STRUCT({_LEAVES}))', "
        + ", ".join(f"{f}: 'JSON'" for f in _FIELDS)
        + "}"
    )
    return (
        f"read_json('{esc}', format='newline_delimited', records=true, ignore_errors=true, "
        f"columns={cols}) WITH ORDINALITY"
    )


def _jsonl_sql(path: str, thresholds: Sequence[int], batch_default: bool) -> str:
    """Sum the common lines in SQL by (model, day, tier, batch, band); list the others.

    The fields of the body (under ``response.body`` on a Batch line, at the top otherwise)
    and the usage's own paths make one list ``v`` laid out as ``_BODY``, so one set of checks
    (`_branch`) serves both shapes. Rows come back with ``k``, the line's rank among the
    non-blank lines: the caller turns it into a line number.
    """
    c = _branch(1)
    has_custom = "custom_id IS NOT NULL"

    def pick(f: str) -> str:
        return f"CASE WHEN {has_custom} THEN response.body.{f} ELSE {f} END"

    batch_ok = "(error IS NULL OR error = 'null') AND response.status_code = '200'"
    paths = ", ".join(f"'{p}'" for p in _USAGE_PATHS)
    band = " + ".join(f"(inp > {t})::INTEGER" for t in thresholds) or "0"
    batch_sql = str(batch_default).lower()
    return f"""
WITH rows AS (
    SELECT ordinality AS k, {has_custom} AS is_batch,
        CASE WHEN {has_custom} THEN {batch_ok} ELSE true END AS shape_ok,
        {pick("object")} AS o, {pick("model")} AS m, {pick("created")} AS c,
        {pick("service_tier")} AS t, {pick("usage")} AS u
    FROM {_read_json(path)}
),
parsed AS (
    SELECT k, is_batch, shape_ok,
        list_concat([o, m, c, t, u], TRY(json_extract(u, [{paths}]))) AS v
    FROM rows
),
x AS (
    SELECT k, is_batch,
        COALESCE(shape_ok AND {c["ok"]} AND (is_batch OR {c["tier_ok"]}), false) AS fast,
        {c["model"]} AS model, {c["created"]} AS created,
        CASE WHEN is_batch OR {batch_sql} THEN NULL ELSE {c["tier"]} END AS tier,
        {c["inp"]} AS inp, {c["out"]} AS out, {c["cached"]} AS cached,
        {c["reasoning"]} AS reasoning, {c["rejected"]} AS rejected, {c["accepted"]} AS accepted
    FROM parsed
),
y AS (
    SELECT *, CASE WHEN fast THEN {band} END AS band FROM x
)
SELECT fast,
    CASE WHEN fast THEN model END AS model,
    CASE WHEN fast THEN created // 86400 END AS day,
    CASE WHEN fast THEN tier END AS tier,
    CASE WHEN fast THEN (is_batch OR {batch_sql}) END AS batch,
    band,
    count(*) AS n, min(k) AS first,
    sum(CASE WHEN fast THEN inp END) AS inp, sum(CASE WHEN fast THEN out END) AS out,
    sum(CASE WHEN fast THEN cached END) AS cached,
    sum(CASE WHEN fast THEN reasoning END) AS reasoning,
    sum(CASE WHEN fast THEN rejected END) AS rejected,
    sum(CASE WHEN fast THEN accepted END) AS accepted,
    CASE WHEN fast THEN NULL ELSE list(k ORDER BY k) END AS ks
FROM y
GROUP BY fast, 2, 3, 4, 5, band
ORDER BY first
"""


def _lines_sql(path: str) -> str:
    """Every line of the file as text, with its number (no JSON parsing)."""
    esc = path.replace("'", "''")
    return (
        f"read_csv('{esc}', columns={{'j': 'VARCHAR'}}, delim='\\x01', quote='', escape='', "
        "header=false, auto_detect=false, strict_mode=false) WITH ORDINALITY"
    )


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


def _read_jsonl(con: Any, agg: Any, path: str, thresholds: list[int]) -> int:
    """Read one JSON Lines file; -1 when DuckDB cannot (the default reader then does)."""
    from bisect import bisect_right

    from .summary import Item
    from .usage._files import _orjson_loads

    duckdb = _duckdb()
    try:
        cur = con.execute(_jsonl_sql(path, thresholds, agg.batch))
        cols = [d[0] for d in cur.description]
        rows = [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]
    except duckdb.Error:
        return -1  # not readable as JSON Lines (invalid UTF-8...): the default reader says
    others = [k for r in rows if not r["fast"] for k in r["ks"]]
    records = sum(r["n"] for r in rows)
    # Line numbers: k counts the non-blank lines. One scan of the raw lines (no parsing)
    # returns the blank ones, the last one and the lines left to Python, by number; when
    # there are blank lines, a second scan fetches the lines left to Python by their line
    # numbers. Both readers must see the same lines, or the default reader reads the file.
    total, ends_with_newline = _count_lines(con, path)
    blank = "j IS NULL OR (length(j) < 64 AND trim(j, chr(32) || chr(9) || chr(13)) = '')"
    import pyarrow as pa

    def fetch(numbers: list[int], extra: str) -> list[tuple[int, str | None]]:
        con.register("__openai_cost_lines", pa.table({"k": pa.array(numbers, pa.int64())}))
        try:
            rows: list[tuple[int, str | None]] = con.execute(
                f"SELECT ordinality, j FROM {_lines_sql(path)} WHERE {extra} "
                "ordinality IN (SELECT k FROM __openai_cost_lines)"
            ).fetchall()
        finally:
            con.unregister("__openai_cost_lines")
        return rows

    try:
        got = fetch(others, f"{blank} OR ordinality >= {total} OR")
    except duckdb.Error:
        return -1
    blanks = sorted(n for n, j in got if j is None or not j.strip())
    if [n for n, _ in got if n >= total] != [total] or total - len(blanks) != records:
        return -1  # DuckDB and the default reader do not see the same lines
    lines_of = dict(got)

    def line_of(k: int) -> int:
        # the k-th non-blank line: k plus the blank lines up to it
        n = k
        while True:
            m = k + bisect_right(blanks, n)
            if m == n:
                return n
            n = m

    if blanks and others:
        try:
            lines_of = dict(fetch([line_of(k) for k in others], ""))
        except duckdb.Error:
            return -1
    fast_loads = _orjson_loads()
    # the groups and the other lines, in file order (as the default engine meets them)
    events: list[tuple[int, Any]] = [(line_of(r["first"]), r) for r in rows if r["fast"]]
    events += [(line_of(k), None) for k in others]
    events.sort(key=lambda e: e[0])
    for line, row in events:
        if row is not None:
            _add_fast_group(agg, row, f"{path}:{line}", thresholds)
            continue
        text = lines_of[line] or ""  # a non-blank line: never NULL
        if line != total or ends_with_newline:
            text += "\n"  # as the default reader reads it: error positions count it
        obj: Any
        try:  # parsed as the default reader parses a line: orjson, then json
            obj = fast_loads(text.encode("utf-8"))
        except ValueError:
            try:
                obj = json.loads(text)
            except ValueError as e:
                obj = UsageError(f"not valid JSON (truncated?): {e}")
        agg.add(obj, Item(path, line, obj))
    return int(records)


def _count_lines(con: Any, path: str) -> tuple[int, bool]:
    """How many lines the file has (the last one may lack its newline), and whether it ends
    with a newline. Plain files are counted here, at memory speed; gzip files by DuckDB."""
    if path.endswith(".gz"):
        n = con.execute(f"SELECT count(*) FROM {_lines_sql(path)}").fetchall()[0][0]
        return int(n), True  # as the default reader reads a gzip file: each line ends in \n
    n = 0
    last = b"\n"
    with open(path, "rb") as f:
        while chunk := f.read(1 << 22):
            n += chunk.count(b"\n")
            last = chunk[-1:]
    if last != b"\n":
        n += 1
    return n, last == b"\n"


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

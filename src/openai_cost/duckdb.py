"""DuckDB: the catalog and the pricing kernel inside a DuckDB connection, and a DuckDB engine
for ``analyze``.

`register` puts the price and alias tables and an ``openai_cost_price(...)`` function into a
user's own connection. `summarize_files` is ``openai-cost analyze --engine duckdb``: DuckDB
reads the files (JSON Lines, ``.gz``, Parquet usage tables) and sums the common record shape in
SQL, one parse per line; every other line goes, in file order, through the same aggregator as
the default engine, so the totals, groups and problems are the default engine's.

How a JSON Lines file is read: each line is one text value (DuckDB's CSV reader with a
delimiter that cannot occur in JSON), parsed once with ``json_extract`` over all the paths the
fast shape needs. A line is summed in SQL only when it is a Chat Completions body (alone or in
a 200 Batch output line) whose usage has only the plain keys, whole non-negative counts and
details that fit their totals: exactly the lines the default engine's own fast path sums. Such
lines are grouped by (model, day, tier, batch, long-context band); the rest keep their line
number and text and are read one by one in Python.

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

# JSON paths read from every line, for a Batch line (body under response.body) and a bare body
_TOP = ("custom_id", "error", "response.status_code")
_BODY = (
    "object",
    "model",
    "created",
    "service_tier",
    "usage",
    "usage.prompt_tokens",
    "usage.completion_tokens",
    "usage.prompt_tokens_details",
    "usage.prompt_tokens_details.cached_tokens",
    "usage.prompt_tokens_details.audio_tokens",
    "usage.prompt_tokens_details.image_tokens",
    "usage.prompt_tokens_details.cache_write_tokens",
    "usage.completion_tokens_details",
    "usage.completion_tokens_details.reasoning_tokens",
    "usage.completion_tokens_details.audio_tokens",
    "usage.completion_tokens_details.accepted_prediction_tokens",
    "usage.completion_tokens_details.rejected_prediction_tokens",
)
# the key sets the default engine's fast path accepts: one definition, in the usage wing
_FAST_TOP = tuple(sorted(CHAT_USAGE_KEYS))
_FAST_PD = tuple(sorted(CHAT_PROMPT_DETAIL_KEYS))
_FAST_CD = tuple(sorted(CHAT_COMPLETION_DETAIL_KEYS))


def _paths() -> list[str]:
    return [f"$.{p}" for p in _TOP] + [
        f"$.{pre}{p}" for pre in ("response.body.", "") for p in _BODY
    ]


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

    def keys_in(x: str, allowed: Sequence[str]) -> str:
        lst = ", ".join(f"'{k}'" for k in allowed)
        return f"list_has_all([{lst}], json_keys({x}))"

    usage = v("usage")
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
            f"starts_with({usage}, '{{')",
            keys_in(usage, _FAST_TOP),
            count(v("usage.prompt_tokens")),
            f"({v('usage.completion_tokens')} IS NULL OR {count(v('usage.completion_tokens'))})",
            f"({absent(pd)} OR (starts_with({pd}, '{{') AND {keys_in(pd, _FAST_PD)}"
            f" AND {falsy(v('usage.prompt_tokens_details.audio_tokens'))}"
            f" AND {falsy(v('usage.prompt_tokens_details.image_tokens'))}"
            f" AND {falsy(v('usage.prompt_tokens_details.cache_write_tokens'))}"
            f" AND {count_or_absent(v('usage.prompt_tokens_details.cached_tokens'))}))",
            f"({absent(cd)} OR (starts_with({cd}, '{{') AND {keys_in(cd, _FAST_CD)}"
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


def _jsonl_sql(path: str, thresholds: Sequence[int], batch_default: bool) -> str:
    b = _branch(1 + len(_TOP))
    c = _branch(1 + len(_TOP) + len(_BODY))
    batch_ok = f"(v[2] IS NULL OR v[2] = 'null') AND v[3] = '200' AND {b['ok']}"
    chat_ok = f"{c['ok']} AND {c['tier_ok']}"
    has_custom = "v[1] IS NOT NULL"

    def pick(name: str) -> str:
        return f"CASE WHEN {has_custom} THEN {b[name]} ELSE {c[name]} END"

    band = " + ".join(f"(inp > {t})::INTEGER" for t in thresholds) or "0"
    paths = ", ".join(f"'{p}'" for p in _paths())
    esc = path.replace("'", "''")
    return f"""
WITH raw AS (
    SELECT row_number() OVER () AS line, j
    FROM read_csv('{esc}', columns={{'j': 'VARCHAR'}}, delim='\\x01', quote='', escape='',
                  header=false, auto_detect=false, strict_mode=false)
),
parsed AS (
    SELECT line, j, TRY(json_extract(j, [{paths}])) AS v
    FROM raw WHERE j IS NOT NULL
),
x AS (
    SELECT line, j,
        COALESCE(CASE WHEN {has_custom} THEN {batch_ok} ELSE {chat_ok} END, false) AS fast,
        {has_custom} AS is_batch,
        {pick("model")} AS model,
        {pick("created")} AS created,
        CASE WHEN {has_custom} OR {str(batch_default).lower()} THEN NULL ELSE {c["tier"]} END
            AS tier,
        {pick("inp")} AS inp, {pick("out")} AS out, {pick("cached")} AS cached,
        {pick("reasoning")} AS reasoning, {pick("rejected")} AS rejected,
        {pick("accepted")} AS accepted
    FROM parsed
),
y AS (
    SELECT *, CASE WHEN fast THEN NULL ELSE line END AS single,
        CASE WHEN fast THEN {band} END AS band
    FROM x
)
SELECT fast,
    CASE WHEN fast THEN model END AS model,
    CASE WHEN fast THEN created // 86400 END AS day,
    CASE WHEN fast THEN tier END AS tier,
    CASE WHEN fast THEN (is_batch OR {str(batch_default).lower()}) END AS batch,
    band, count(*) AS n, min(line) AS first,
    sum(CASE WHEN fast THEN inp END) AS inp, sum(CASE WHEN fast THEN out END) AS out,
    sum(CASE WHEN fast THEN cached END) AS cached,
    sum(CASE WHEN fast THEN reasoning END) AS reasoning,
    sum(CASE WHEN fast THEN rejected END) AS rejected,
    sum(CASE WHEN fast THEN accepted END) AS accepted,
    CASE WHEN fast THEN NULL ELSE any_value(j) END AS j
FROM y
GROUP BY fast, single, 2, 3, 4, 5, band
ORDER BY first
"""


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
    from .summary import Item
    from .usage._files import _orjson_loads

    fast_loads = _orjson_loads()

    records = 0
    duckdb = _duckdb()
    ends_with_newline, last = True, -1
    if not path.endswith(".gz"):
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            if f.tell():
                f.seek(-1, os.SEEK_END)
                ends_with_newline = f.read(1) == b"\n"
    if not ends_with_newline:
        last = con.execute(
            "SELECT count(*) FROM read_csv(?, columns={'j': 'VARCHAR'}, delim='\x01', "
            "quote='', escape='', header=false, auto_detect=false, strict_mode=false)",
            [path],
        ).fetchone()[0]
    try:
        cur = con.execute(_jsonl_sql(path, thresholds, agg.batch))
    except duckdb.Error:
        # not readable as lines of text (invalid UTF-8...): the default reader says where
        return -1
    cols = [d[0] for d in cur.description]
    while True:
        chunk = cur.fetchmany(10_000)
        if not chunk:
            break
        for values in chunk:
            row = dict(zip(cols, values, strict=True))
            if not row["fast"] and not row["j"].strip():
                continue  # a blank line: not an item
            records += row["n"]
            if row["fast"]:
                _add_fast_group(agg, row, f"{path}:{row['first']}", thresholds)
                continue
            text = row["j"]
            if row["first"] != last or ends_with_newline:
                text += "\n"  # as the default reader reads it: error positions count it
            obj: Any
            try:  # parsed as the default reader parses a line: orjson, then json
                obj = fast_loads(text.encode("utf-8"))
            except ValueError:
                try:
                    obj = json.loads(text)
                except ValueError as e:
                    obj = UsageError(f"not valid JSON (truncated?): {e}")
            agg.add(obj, Item(path, row["first"], obj))
    return records


def _add_call(agg: Any, call: Any, where: str) -> None:
    """Add one call read from a usage table, as the default engine adds an extracted call."""
    from . import summary as s

    model = call.model
    if not model:
        agg.problem("unpriced", "the row names no model", where)
        return
    created = call.created_at
    day = None if created is None else int(created.timestamp() // 86400)
    if agg.ranged and (
        day is None
        or (agg.since is not None and day < agg.since)
        or (agg.until is not None and day > agg.until)
    ):
        agg.filtered += 1
        return
    batch = call.batch or agg.batch
    tier = None if batch else call.service_tier
    thr = agg.thresholds.get((model, day), s._MISSING)
    if thr is s._MISSING:
        thr = agg._threshold(model, day)
    if thr is None:
        agg._unknown_model(model, where, day)
        return
    u = call.usage
    image = (u.image_size, u.image_quality) if u.images else None
    key = (model, day, tier, batch, call.endpoint, u.input_tokens > thr, image)
    b = agg.buckets.get(key)
    if b is None:
        b = agg.buckets[key] = s._new_bucket(where)
    b[0] += 1
    for i, name in enumerate(s._COUNT_FIELDS, 1):
        v = getattr(u, name)
        if v:
            b[i] += v
    if u.audio_seconds:
        b[s._I_SECONDS] += u.audio_seconds
    if u.tool_calls:
        tools = b[s._I_TOOLS]
        if tools is None:
            tools = b[s._I_TOOLS] = {}
        for k, v in u.tool_calls.items():
            tools[k] = tools.get(k, 0) + v


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

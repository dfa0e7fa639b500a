"""The columnar pricing kernel: `cost_of`'s rules over whole Arrow record batches.

How a batch is priced, with no Python work per row:

1. The usage columns (named like `Usage`'s fields; a missing column is zero) are checked the
   way `Usage` checks them: a negative count or a detail larger than its total gives the row the
   same reason `cost_of` would raise, and no cost.
2. Each row gets a group id from its (model, day, tier, batch, image quality/size) by
   dictionary-encoding the key columns and combining the codes into one integer. Each distinct
   group is resolved once, in Python, with the same `Catalog.resolve` and the same rate plans as
   `pricing.price`: the price entry, the long-context threshold, and for both sides of the
   threshold the rate of every bucket in integer units of 1e-12 USD, or the error `cost_of`
   would raise.
3. The exclusive buckets are computed with columnar integer arithmetic, each multiplied by its
   rate taken by plan id (group x long-context flag), and summed into input, output and fees.
   Overflow-checked int64 is the fast path; a batch that overflows is redone in 256-bit
   decimals. The sums are exact: the cost columns are ``decimal128(38, 12)`` and a rate that
   cannot be written with 12 decimal places per unit leaves its rows unpriced with a reason.

The first reason in `cost_of`'s own order wins: usage, model, tier, then buckets in pricing order
(input, output, characters, audio, images, tool calls).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ..catalog import catalog, to_date
from ..types import (
    _FIELD_KEY,
    _SUBSET_CHECKS,
    _SUM_CHECKS,
    USAGE_COUNT_FIELDS,
)
from ..types import (
    _PLAN as _TREE_PLAN,
)
from ._arrow import require_numpy, require_pyarrow
from ._catalog import PRICE_SCALE
from ._groups import _BUCKETS, TOOL_COLUMNS, _Tables
from ._keys import KeyIndex

if TYPE_CHECKING:
    from ..catalog import Catalog

__all__ = ["COST_COLUMNS", "TOOL_COLUMNS", "Kernel", "price"]

COST_COLUMNS: tuple[str, ...] = (
    "cost_input_usd",
    "cost_output_usd",
    "cost_fees_usd",
    "cost_total_usd",
    "resolved_model",
    "price_since",
    "unpriced_reason",
)
"""Columns the kernel appends, in order."""

_EPOCH = date(1970, 1, 1)
_INPUT_BUCKETS = frozenset(_BUCKETS[: _BUCKETS.index("input") + 1])


def _contradiction(small: str, a: Any, big: str, b: Any) -> Any:
    """The message `Usage` raises for ``small > big``, row by row (built when called)."""
    pa, pc = require_pyarrow()

    def text(x: Any) -> Any:
        return pa.scalar("0") if x is None else x.cast(pa.string())

    def build() -> Any:
        return pc.binary_join_element_wise(
            pa.scalar(f"contradictory usage: {small} ("),
            text(a),
            pa.scalar(f") > {big} ("),
            text(b),
            pa.scalar(f"); {small} must be a subset of {big}"),
            "",
        )

    return build


class _Overflow(Exception):
    pass


_INT64_MAX = (1 << 63) - 1
_PER_DAY = {"s": 86_400, "ms": 86_400_000, "us": 86_400_000_000, "ns": 86_400_000_000_000}


class Kernel:
    """Prices record batches; remembers resolved groups across the batches of one run.

    Every distinct (model, day, tier, batch, image key) is resolved once per kernel, and the
    rate columns of all groups seen so far are built once and reused by every later batch.

    Args:
        model, at, tier, batch: names of the key columns (see `price`).
        prices: a `Catalog` instead of the shared one.
        today: the day undated rows are priced at (default: today, UTC).
    """

    def __init__(
        self,
        *,
        model: str = "model",
        at: str = "created_at",
        tier: str = "service_tier",
        batch: str = "batch",
        prices: Catalog | None = None,
        today: date | None = None,
    ) -> None:
        self.pa, self.pc = require_pyarrow()
        self.np = require_numpy()
        self.model_col = model
        self.at_col = at
        self.tier_col = tier
        self.batch_col = batch
        self.cat = prices if prices is not None else catalog()
        self.today = today if today is not None else to_date(None)
        self.keys = KeyIndex(self.cat)
        self._tables: _Tables | None = None
        self._zeros: Any = None  # the data of a zero decimal column, shared (it is read-only)
        pa = self.pa
        self.money = pa.decimal128(38, PRICE_SCALE)

    def result_fields(self) -> list[Any]:
        """The Arrow fields the kernel appends."""
        pa = self.pa
        return [
            pa.field("cost_input_usd", self.money),
            pa.field("cost_output_usd", self.money),
            pa.field("cost_fees_usd", self.money),
            pa.field("cost_total_usd", self.money),
            pa.field("resolved_model", pa.string()),
            pa.field("price_since", pa.date32()),
            pa.field("unpriced_reason", pa.string()),
        ]

    # ------------------------------------------------------------------ columns
    def _count(self, rb: Any, name: str) -> Any:
        pa, pc = self.pa, self.pc
        i = rb.schema.get_field_index(name)
        if i < 0:
            return None
        col = rb.column(i)
        t = col.type
        if not (pa.types.is_integer(t) or pa.types.is_null(t)):
            raise TypeError(f"usage column {name!r} must hold whole numbers, got {t}")
        if t != pa.int64():
            col = col.cast(pa.int64())
        return pc.fill_null(col, 0) if col.null_count else col

    def _floor_div(self, v: Any, per: int) -> Any:
        """``v // per`` (floor, as Python divides) of an int64 array; nulls stay null."""
        pa, pc = self.pa, self.pc
        q = pc.divide(v, per)  # truncates toward zero
        lo = pc.min(v).as_py()
        if lo is not None and lo < 0:
            below = pc.and_(pc.less(v, 0), pc.not_equal(pc.multiply(q, per), v))
            q = pc.subtract(q, pc.fill_null(below, False).cast(pa.int64()))
        return q

    def _days(self, rb: Any) -> Any:
        """Days since 1970-01-01 (UTC) of the ``at`` column, int64; undated rows: today."""
        pa, pc = self.pa, self.pc
        n = rb.num_rows
        today = (self.today - _EPOCH).days
        i = rb.schema.get_field_index(self.at_col)
        if i < 0:
            return pc.fill_null(pa.nulls(n, pa.int64()), today)
        col = rb.column(i)
        t = col.type
        if pa.types.is_timestamp(t):
            # the instant's UTC day, as `to_date` takes it (a zone only changes how it is shown)
            days = self._floor_div(col.view(pa.int64()), _PER_DAY[t.unit])
        elif pa.types.is_date(t):
            days = col.cast(pa.date32()).cast(pa.int32()).cast(pa.int64())
        elif pa.types.is_string(t) or pa.types.is_large_string(t):
            short = pc.equal(pc.utf8_length(col), 10)
            as_date = pc.cast(pc.if_else(short, col, None), pa.date32())
            as_ts = pc.cast(
                pc.cast(pc.if_else(short, None, col), pa.timestamp("us", tz="UTC")), pa.date32()
            )
            days = pc.coalesce(as_date, as_ts).cast(pa.int32()).cast(pa.int64())
        elif pa.types.is_integer(t):  # epoch seconds, as the API's `created`
            days = self._floor_div(col.cast(pa.int64()), _PER_DAY["s"])
        else:
            raise TypeError(
                f"column {self.at_col!r} must be a timestamp, date, ISO string or epoch "
                f"seconds, got {t}"
            )
        return pc.fill_null(days, today) if days.null_count else days

    def _bounded(self, counts: list[Any], peak_rate: int) -> bool:
        """Whether the sum over ``counts`` of the largest count (either sign) times the
        largest rate stays within int64: then no product or total can overflow."""
        total = 0
        for x in counts:
            lo, hi = (v.as_py() or 0 for v in self.pc.min_max(x).values())
            total += max(-lo, hi) * peak_rate
        return total < _INT64_MAX

    def _table(self) -> _Tables:
        t = self._tables
        registry = self.keys.registry
        if t is None or t.size != len(registry):
            t = self._tables = _Tables(self.pa, registry)
        return t

    def _money(self, units: Any, valid: Any, n: int) -> Any:
        """int64 units of 1e-12 USD -> ``decimal128(38, 12)``, null where ``valid`` is not set.

        Written straight into the decimal's 16-byte little-endian words (the int64 and its
        sign), which is several times faster than Arrow's cast.
        """
        pa, np = self.pa, self.np
        if units is None:  # no column of this side: zeros, one buffer shared by the batches
            if self._zeros is None or self._zeros.size < 16 * n:
                zeros = np.zeros(2 * n, dtype=np.int64)
                zeros.flags.writeable = False
                self._zeros = pa.py_buffer(zeros)
            return pa.Array.from_buffers(self.money, n, [valid, self._zeros])
        buf = pa.allocate_buffer(16 * n)  # from Arrow's pool, reused batch after batch
        words = np.frombuffer(buf, dtype=np.int64).reshape(n, 2)
        x = np.frombuffer(units.buffers()[1], dtype=np.int64, count=n, offset=units.offset * 8)
        words[:, 0] = x
        np.right_shift(x, 63, out=words[:, 1])  # the sign, in the high word
        return pa.Array.from_buffers(self.money, n, [valid, buf])

    # ------------------------------------------------------------------ pricing
    def price_batch(self, rb: Any) -> Any:
        """Price one `pyarrow.RecordBatch`; returns it with the cost columns appended."""
        try:
            return self._price_batch(rb, wide=False)
        except _Overflow:
            return self._price_batch(rb, wide=True)

    def _price_batch(self, rb: Any, *, wide: bool) -> Any:
        pa, pc = self.pa, self.pc
        n = rb.num_rows
        names = rb.schema.names
        if self.model_col not in names:
            raise KeyError(
                f"no model column {self.model_col!r}; columns: {', '.join(names)} "
                "(pass model=... to name it)"
            )
        counts = {f: self._count(rb, f) for f in USAGE_COUNT_FIELDS}
        tools = {t: self._count(rb, t) for t in TOOL_COLUMNS}
        # a reason the row arrived with (an unreadable record from from_records) is kept
        ri = rb.schema.get_field_index("unpriced_reason")
        reason = rb.column(ri).cast(pa.string()) if ri >= 0 else pa.nulls(n, pa.string())

        def put(mask: Any, msg: Any) -> None:
            """Give rows in ``mask`` without a reason yet ``msg`` (built only if needed)."""
            nonlocal reason
            if reason.null_count != n:
                mask = pc.and_kleene(mask, pc.is_null(reason))
            if pc.any(mask).as_py():
                reason = pc.if_else(mask, msg() if callable(msg) else msg, reason)

        def text(*parts: Any) -> Any:
            return pc.binary_join_element_wise(
                *[p if not isinstance(p, str) else pa.scalar(p) for p in parts], ""
            )

        def negative(c: Any) -> bool:
            low = pc.min(c).as_py()
            return low is not None and low < 0

        # ---- 1. the usage, checked as Usage checks it
        for name in USAGE_COUNT_FIELDS:
            c = counts[name]
            if c is not None and negative(c):
                put(
                    pc.less(c, 0),
                    lambda c=c, name=name: text(f"{name} must be >= 0, got ", c.cast(pa.string())),
                )
        seconds_ms = None
        si = rb.schema.get_field_index("audio_seconds")
        if si >= 0:
            secs = rb.column(si)
            if pa.types.is_floating(secs.type):
                secs = secs.cast(pa.string())
            secs_txt = secs.cast(pa.string())
            dec = secs.cast(pa.decimal128(38, 9))
            dec = pc.fill_null(dec, Decimal(0))
            put(
                pc.less(dec, Decimal(0)),
                lambda: text("audio_seconds must be a finite number >= 0, got ", secs_txt),
            )
            ms = dec.cast(pa.decimal128(38, 3), safe=False)
            put(
                pc.not_equal(ms.cast(pa.decimal128(38, 9)), dec),
                lambda: text(
                    "audio_seconds finer than a millisecond cannot be priced here: ", secs_txt
                ),
            )
            seconds_ms = ms.view(pa.decimal128(38, 0)).cast(pa.int64())
        for tool in TOOL_COLUMNS:
            c = tools[tool]
            if c is not None and negative(c):
                put(
                    pc.less(c, 0),
                    lambda c=c, tool=tool: text(
                        f"tool_calls[{tool!r}] must be >= 0, got ", c.cast(pa.string())
                    ),
                )

        zero = pa.scalar(0, pa.int64())

        def sub(a: Any, *xs: Any) -> Any:
            out = a
            for x in xs:
                if x is not None:
                    out = pc.negate(x) if out is None else pc.subtract(out, x)
            return out

        c = counts
        i_tok = c["input_tokens"]
        # the bucket tree's checks, in Usage's order: every part within its whole, then the
        # exclusive count of every bucket with parts >= 0 (types declares both, once)
        for small, big in _SUBSET_CHECKS:
            a, b = c[small], c[big]
            if a is None:
                continue
            put(pc.greater(a, zero if b is None else b), _contradiction(small, a, big, b))
        excl: dict[str, Any] = {}
        for key, field_, inside in _TREE_PLAN:
            excl[key] = sub(c[field_], *(excl[k] for k in inside))
        for whole, members in _SUM_CHECKS:
            x = excl[_FIELD_KEY[whole]]
            if x is None or not negative(x):
                continue
            w = c[whole]
            put(
                pc.less(x, 0),
                _contradiction(members, sub(w, x), whole, w),
            )
        buckets = excl
        images = c["images"]
        image_key = None
        if images is not None and pc.any(pc.greater(images, 0)).as_py():

            def opt(name: str) -> Any:
                j = rb.schema.get_field_index(name)
                return rb.column(j).cast(pa.string()) if j >= 0 else pa.nulls(n, pa.string())

            size, quality = opt("image_size"), opt("image_quality")
            has = pc.greater(images, 0)
            put(
                pc.and_(has, pc.or_(pc.is_null(size), pc.is_null(quality))),
                pa.scalar(
                    "images need image_size and image_quality to be priced "
                    "(e.g. image_size='1024x1024', image_quality='standard')"
                ),
            )
            key = text(
                pc.utf8_lower(pc.fill_null(quality, "")), "/", pc.utf8_lower(pc.fill_null(size, ""))
            )
            image_key = pc.if_else(has, key, pa.scalar(None, pa.string()))

        # ---- 2. one resolution per distinct group, one row of the rate tables per resolution
        model_col = rb.column(names.index(self.model_col))
        ti = rb.schema.get_field_index(self.tier_col)
        bi = rb.schema.get_field_index(self.batch_col)
        gid, as_given = self.keys.ids(
            model_col,
            self._days(rb),
            rb.column(ti) if ti >= 0 else None,
            pc.fill_null(rb.column(bi).cast(pa.bool_()), False) if bi >= 0 else None,
            image_key,
            n,
        )
        tables = self._table()
        if as_given and pa.types.is_string(model_col.type):
            resolved = model_col  # every name is the catalog's own: no copy
        else:
            resolved = pc.take(tables.resolved, gid)
        since = pc.take(tables.since, gid)
        if tables.reasons is not None:
            why = pc.take(tables.reasons, gid)
            if why.null_count != n:
                put(pc.is_valid(why), why)

        # long context: input strictly above the group's threshold
        plan_id = pc.multiply(gid.cast(pa.int64()), 2)
        if i_tok is not None and tables.thresholds is not None:
            thr = pc.take(tables.thresholds, gid)
            if thr.null_count != n:
                long_ctx = pc.fill_null(pc.greater(i_tok, thr), False)
                plan_id = pc.add(plan_id, long_ctx.cast(pa.int64()))
        if tables.plan_reasons is not None:
            why = pc.take(tables.plan_reasons, plan_id)
            if why.null_count != n:
                put(pc.is_valid(why), why)

        # ---- 3. exclusive buckets x rates, in pricing order
        chars = c["characters"]
        priced_counts = [
            *(buckets[k] for k in _BUCKETS),
            chars,
            seconds_ms,
            images if image_key is not None else None,
            *tools.values(),
        ]
        if wide:
            word, wide_sum = pa.decimal256(19, 0), pa.decimal256(60, 0)

            def mul(x: Any, r: Any) -> Any:
                return pc.multiply(x.cast(word), r.cast(word)).cast(wide_sum)

            def acc(total: Any, x: Any) -> Any:
                return x if total is None else pc.add(total, x).cast(wide_sum)

        elif self._bounded([x for x in priced_counts if x is not None], tables.peak):
            # no count x rate, nor their sum, can leave int64: plain arithmetic
            def mul(x: Any, r: Any) -> Any:
                return pc.multiply(x, r)

            def acc(total: Any, x: Any) -> Any:
                return x if total is None else pc.add(total, x)

        else:

            def mul(x: Any, r: Any) -> Any:
                try:
                    return pc.multiply_checked(x, r)
                except pa.ArrowInvalid as e:
                    raise _Overflow from e

            def acc(total: Any, x: Any) -> Any:
                if total is None:
                    return x
                try:
                    return pc.add_checked(total, x)
                except pa.ArrowInvalid as e:
                    raise _Overflow from e

        def priced(count: Any, rates: Any, errors: Any) -> Any:
            """count x rate by plan; rows with a count and no rate get the error."""
            rate = pc.take(rates, plan_id)
            if rate.null_count:
                put(pc.and_(pc.is_null(rate), pc.not_equal(count, 0)), errors)
                rate = pc.fill_null(rate, 0)
            return mul(count, rate)

        def listed(values: list[str | None]) -> Any:
            return pc.take(pa.array(values, pa.string()), plan_id)

        totals: dict[str, Any] = {"input": None, "output": None, "fees": None}
        for key in _BUCKETS:
            count = buckets[key]
            if count is None:
                continue
            rates, errs = tables.buckets[key]
            amount = priced(count, rates, lambda errs=errs: listed(errs))
            side = "input" if key in _INPUT_BUCKETS else "output"
            totals[side] = acc(totals[side], amount)

        def fee(count: Any, name: str, shown: Any) -> Any:
            rates, pre, post = tables.fees[name]

            def errors() -> Any:
                head = listed(pre)
                return pc.coalesce(text(head, shown, listed(post)), head)

            return priced(count, rates, errors)

        if chars is not None:
            totals["fees"] = acc(totals["fees"], fee(chars, "characters", chars.cast(pa.string())))
        if seconds_ms is not None:
            # the rate per millisecond (per minute / 60 000) is exact, else the group has a reason
            totals["fees"] = acc(totals["fees"], fee(seconds_ms, "audio_seconds", secs_txt))
        if images is not None and image_key is not None:
            rates, errs = tables.image
            amount = priced(images, rates, lambda: listed(errs))
            totals["fees"] = acc(totals["fees"], amount)
        for tool in TOOL_COLUMNS:
            cnt = tools[tool]
            if cnt is not None:
                totals["fees"] = acc(totals["fees"], fee(cnt, tool, cnt.cast(pa.string())))

        # ---- 4. to exact decimals; unpriced rows have no cost
        cin, cout, cfees = totals["input"], totals["output"], totals["fees"]
        ctotal = None
        for part in (cin, cout, cfees):
            if part is not None:
                ctotal = acc(ctotal, part)
        if wide:
            unpriced = pc.is_valid(reason) if reason.null_count != n else None

            def money(units: Any) -> Any:
                if units is None:
                    units = pc.fill_null(pa.nulls(n, pa.int64()), 0)
                dec = units.cast(pa.decimal128(38, 0)).view(self.money)
                if unpriced is None:
                    return dec
                return pc.if_else(unpriced, pa.scalar(None, self.money), dec)

        else:
            valid = None
            if reason.null_count != n:
                ok = pc.is_null(reason)
                if ok.offset:
                    ok = pa.concat_arrays([pa.array([], pa.bool_()), ok])
                valid = ok.buffers()[1]

            def money(units: Any) -> Any:
                return self._money(units, valid, n)

        out = rb
        for field, arr in zip(
            self.result_fields(),
            (money(cin), money(cout), money(cfees), money(ctotal), resolved, since, reason),
            strict=True,
        ):
            j = out.schema.get_field_index(field.name)
            out = out.set_column(j, field, arr) if j >= 0 else out.append_column(field, arr)
        return out

    def price_batches(self, batches: Any) -> Iterator[Any]:
        """Price an iterable of record batches, lazily."""
        for rb in batches:
            yield self.price_batch(rb)


def price(
    table: Any,
    *,
    model: str = "model",
    at: str = "created_at",
    tier: str = "service_tier",
    batch: str = "batch",
    prices: Catalog | None = None,
) -> Any:
    """Price every row of an Arrow table with `cost_of`'s rules, columnar.

    Args:
        table: a `pyarrow.Table` or `pyarrow.RecordBatch`. Usage columns are named like
            `Usage`'s fields (``input_tokens``, ``cached_tokens``, ``reasoning_tokens``...,
            ``audio_seconds``, ``images`` with ``image_size`` / ``image_quality``) and the
            tool-call fee dimensions (``web_search_call``, ``file_search_call``...); a missing
            column is zero, a null count is zero.
        model: the column naming the model (as a response reports it, or any alias).
        at: the column with the call's time: timestamp, date, ISO string or epoch seconds
            (the API's ``created``). Missing or null: today (UTC).
        tier: the column with ``service_tier`` (missing or null: standard).
        batch: the boolean column saying the call went through the Batch API (missing: no).
        prices: a `Catalog` instead of the shared `catalog()`.

    Returns:
        A `pyarrow.Table`: the input columns, then ``cost_input_usd``, ``cost_output_usd``,
        ``cost_fees_usd``, ``cost_total_usd`` (``decimal128(38, 12)``, exact),
        ``resolved_model``, ``price_since`` and ``unpriced_reason``. A row that cannot be
        priced has null costs and the reason `cost_of` would raise; never a zero.

    Raises:
        KeyError: the model column is missing.
        TypeError: a usage column is not of an integer type, or the time column of a type the
            kernel cannot read.
    """
    pa, _ = require_pyarrow()
    kernel = Kernel(model=model, at=at, tier=tier, batch=batch, prices=prices)
    if isinstance(table, pa.RecordBatch):
        return pa.Table.from_batches([kernel.price_batch(table)])
    batches = table.to_batches() or [pa.RecordBatch.from_pylist([], schema=table.schema)]
    return pa.Table.from_batches([kernel.price_batch(rb) for rb in batches])

"""The kernel's fast paths: each one equal to `cost_of`, and each fallback taken when it must be.

The kernel keeps costs in int64 units of 1e-12 USD and writes the decimal columns itself, codes
the days of a batch by offset, combines the key columns into one integer (compacting it when it
would grow too large), and reuses its rate tables across batches. These tests drive each path
with values that force it, and compare with `cost_of` or with a hand-computed figure.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

pa = pytest.importorskip("pyarrow")
pytest.importorskip("numpy")

from _table_helpers import expected, random_rows, rows_table  # noqa: E402
from openai_cost import Usage, cost_of  # noqa: E402
from openai_cost import table as tbl  # noqa: E402
from openai_cost.errors import OpenAICostError  # noqa: E402
from openai_cost.table import COST_COLUMNS, Kernel, _keys  # noqa: E402

MONEY = pa.decimal128(38, 12)


def _same_as_cost_of(rows: list[dict[str, Any]], result: Any) -> None:
    got = result.select(list(COST_COLUMNS)).to_pylist()
    for i, (row, g) in enumerate(zip(rows, got, strict=True)):
        want = expected(row)
        if want[-1] is not None:
            assert g["cost_total_usd"] is None, (i, row, g)
            assert g["unpriced_reason"] == want[-1], (i, row, g)
        else:
            have = tuple(g[c] for c in COST_COLUMNS[:6])
            assert g["unpriced_reason"] is None, (i, row, g)
            assert have == want[:6], (i, row, have, want)


def test_zero_rows_give_the_cost_columns_and_no_row() -> None:
    t = pa.table(
        {
            "model": pa.array([], pa.string()),
            "created_at": pa.array([], pa.timestamp("s", tz="UTC")),
            "input_tokens": pa.array([], pa.int64()),
        }
    )
    out = tbl.price(t)
    assert out.num_rows == 0
    assert out.schema.names == ["model", "created_at", "input_tokens", *COST_COLUMNS]
    assert out.schema.field("cost_total_usd").type == MONEY
    rb = tbl.price(pa.record_batch({"model": pa.array([], pa.string())}))
    assert rb.num_rows == 0


def test_all_null_columns_are_zero_counts_today_and_standard() -> None:
    n = 3
    t = pa.table(
        {
            "model": pa.array(["gpt-4o-mini", None, "gpt-4o-mini"], pa.string()),
            "created_at": pa.nulls(n, pa.timestamp("us", tz="UTC")),
            "service_tier": pa.nulls(n, pa.string()),
            "batch": pa.nulls(n, pa.bool_()),
            "input_tokens": pa.array([None, 5, 1_000_000], pa.int64()),
            "output_tokens": pa.nulls(n, pa.int64()),
            "cached_tokens": pa.nulls(n, pa.int64()),
        }
    )
    today = date(2025, 6, 1)
    out = pa.Table.from_batches(
        [Kernel(today=today).price_batch(rb) for rb in t.to_batches()]
    ).to_pylist()
    # all counts null: a zero usage, priced (at zero) like cost_of prices Usage()
    assert out[0]["cost_total_usd"] == Decimal(0)
    assert out[0]["unpriced_reason"] is None
    assert out[0]["cost_total_usd"] == cost_of(Usage(), model="gpt-4o-mini", at=today).total
    # no model: the reason cost_of gives, no cost
    assert out[1]["cost_total_usd"] is None
    assert out[1]["unpriced_reason"].startswith("model= is required")
    # gpt-4o-mini input $0.15 per 1M (reference price list), undated row priced on `today`
    assert out[2]["cost_input_usd"] == Decimal("0.15")
    assert out[2]["cost_output_usd"] == Decimal(0)
    assert out[2]["price_since"] <= today


def test_all_null_model_column() -> None:
    t = pa.table({"model": pa.nulls(2, pa.string()), "input_tokens": [1, 2]})
    out = tbl.price(t).to_pylist()
    for row in out:
        assert row["cost_total_usd"] is None
        assert row["resolved_model"] is None
        assert row["unpriced_reason"].startswith("model= is required")


def test_huge_counts_overflow_int64_and_are_redone_exactly() -> None:
    big = 2**63 - 1  # the largest count an int64 column holds
    t = pa.table(
        {
            "model": ["gpt-4o-2024-08-06", "gpt-4o-2024-08-06", "gpt-4o-2024-08-06"],
            "created_at": ["2025-01-08"] * 3,
            "input_tokens": [big, 1, 3_000_000_000_000_000],
            "output_tokens": [0, 1, 3_000_000_000_000_000],
        }
    )
    out = tbl.price(t).to_pylist()
    # gpt-4o-2024-08-06 on 2025-01-08: input $2.50, output $10.00 per 1M tokens (reference
    # price list, 2025-01-08 table)
    assert out[0]["cost_input_usd"] == Decimal(big) * Decimal("2.50") / 1_000_000
    assert out[1]["cost_total_usd"] == Decimal("0.0000125")
    # each product fits in int64 units (7.5e21 / 3e22 do not: 3e15 x 2.5e6 units), the sum
    # neither: the whole batch is redone in 256-bit decimals
    assert out[2]["cost_input_usd"] == Decimal("7500000000")
    assert out[2]["cost_output_usd"] == Decimal("30000000000")
    assert out[2]["cost_total_usd"] == Decimal("37500000000")


def test_overflow_in_the_sum_only_falls_back_too() -> None:
    # each bucket's units fit in int64, their sum does not
    # gpt-4o-2024-08-06 on 2025-01-08: input $2.50 = 2,500,000 units of 1e-12 USD a token,
    # output $10.00 = 10,000,000 units: 900e9 x 10e6 = 9e18 < 2**63 (9.22e18), and
    # 100e9 x 2.5e6 = 2.5e17; the total 9.25e18 overflows
    inp, outp = 100_000_000_000, 900_000_000_000
    t = pa.table(
        {
            "model": ["gpt-4o-2024-08-06"],
            "created_at": ["2025-01-08"],
            "input_tokens": [inp],
            "output_tokens": [outp],
        }
    )
    row = tbl.price(t).to_pylist()[0]
    assert row["cost_input_usd"] == Decimal(250_000)
    assert row["cost_output_usd"] == Decimal(9_000_000)
    assert row["cost_total_usd"] == Decimal(9_250_000)


@pytest.mark.parametrize("limit", [2, 4096])
def test_one_batch_with_many_distinct_keys_and_a_wide_day_span(
    monkeypatch: pytest.MonkeyPatch, limit: int
) -> None:
    """Thousands of distinct (model, day, tier, batch) keys in one batch, unknown models by
    the hundred, days over two centuries: every row as cost_of prices it, with stable key
    codes and (past a tiny name limit) with the batch's own codes, where the days span more
    than the offset coding's span and are dictionary-coded."""
    monkeypatch.setattr(_keys, "_KNOWN_LIMIT", limit)
    rng = random.Random(5)
    rows = random_rows(6_000, seed=21)
    for r in rows[:1_500]:  # unknown names: one failure row in the tables per message
        r["model"] = f"no-such-model-{rng.randint(0, 400)}"
    for r in rows[1_500:1_600]:  # far in the past and the future: a span of ~220 years
        year = rng.choice((1900, 2110))
        r["created_at"] = datetime(year, 1, 1, tzinfo=timezone.utc) + timedelta(
            days=rng.randint(0, 300)
        )
    kernel = Kernel()
    t = rows_table(rows)
    out = pa.Table.from_batches([kernel.price_batch(t.combine_chunks().to_batches()[0])])
    _same_as_cost_of(rows, out)
    # failures share rows of the rate tables by message: far fewer than the distinct keys
    assert len(kernel.keys._registry) < len(kernel.keys.groups) / 2


def test_combined_key_codes_are_compacted_when_they_would_grow_too_large(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rows = random_rows(3_000, seed=3)
    want = tbl.price(rows_table(rows))
    # a tiny limit forces a compaction between every two key columns
    monkeypatch.setattr(_keys, "_CODE_LIMIT", 8)
    got = tbl.price(rows_table(rows))
    assert got.equals(want)
    _same_as_cost_of(rows, got)


def test_rate_tables_are_reused_and_grown_across_batches() -> None:
    rows = random_rows(4_000, seed=11)
    t = rows_table(rows)
    kernel = Kernel()
    first = kernel.price_batch(t.slice(0, 2_000).combine_chunks().to_batches()[0])
    size = kernel._table().size
    again = kernel.price_batch(t.slice(0, 2_000).combine_chunks().to_batches()[0])
    assert kernel._table().size == size  # nothing new: the same tables
    assert again.equals(first)
    rest = kernel.price_batch(t.slice(2_000).combine_chunks().to_batches()[0])
    assert kernel._table().size >= size
    _same_as_cost_of(rows, pa.Table.from_batches([first, rest]))


def test_a_timestamp_in_another_zone_is_priced_on_its_utc_day() -> None:
    # 2024-08-06 02:00 UTC is 2024-08-05 22:00 in New York: gpt-4o-2024-08-06 has prices from
    # 2024-08-06 (its release), so the UTC day prices it and the New York day would not
    at = datetime(2024, 8, 6, 2, 0, tzinfo=timezone.utc)
    t = pa.table(
        {
            "model": ["gpt-4o-2024-08-06", "gpt-4o-2024-08-06"],
            "created_at": pa.array(
                [at, at - timedelta(hours=3)], pa.timestamp("s", tz="America/New_York")
            ),
            "input_tokens": [1_000_000, 1_000_000],
        }
    )
    out = tbl.price(t).to_pylist()
    # input $2.50 per 1M tokens (reference price list, gpt-4o-2024-08-06)
    assert out[0]["cost_total_usd"] == Decimal("2.5")
    assert out[0]["price_since"] == date(2024, 8, 6)
    u = Usage(input_tokens=1_000_000)
    assert out[0]["cost_total_usd"] == cost_of(u, model="gpt-4o-2024-08-06", at=at).total
    # 23:00 UTC the day before: not yet priced, with cost_of's own message
    with pytest.raises(OpenAICostError) as e:
        cost_of(u, model="gpt-4o-2024-08-06", at=at - timedelta(hours=3))
    assert out[1]["cost_total_usd"] is None
    assert out[1]["unpriced_reason"] == str(e.value)


@pytest.mark.parametrize("unit", ["s", "ms", "us", "ns"])
def test_times_before_1970_fall_on_the_day_before(unit: str) -> None:
    # one second before the epoch is 1969-12-31 (floor, not truncation toward zero)
    per_second = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}[unit]
    t = pa.table(
        {
            "model": ["gpt-4o", "gpt-4o"],
            "created_at": pa.array([-per_second, -1], pa.timestamp(unit, tz="UTC")),
            "input_tokens": [1, 1],
        }
    )
    epoch = pa.table({"model": ["gpt-4o"], "created_at": [-1], "input_tokens": [1]})
    rows = tbl.price(t).to_pylist() + tbl.price(epoch).to_pylist()
    with pytest.raises(OpenAICostError) as e:
        cost_of(Usage(input_tokens=1), model="gpt-4o", at=date(1969, 12, 31))
    assert "1969-12-31" in str(e.value)
    for row in rows:
        assert row["unpriced_reason"] == str(e.value)


def test_dictionary_model_column_prices_like_a_string_column() -> None:
    rows = random_rows(3_000, seed=17)
    t = rows_table(rows)
    enc = t.set_column(0, "model", t.column("model").dictionary_encode())
    tier = enc.column("service_tier").dictionary_encode()
    enc = enc.set_column(enc.schema.get_field_index("service_tier"), "service_tier", tier)
    got = tbl.price(enc)
    assert got.drop_columns(["model", "service_tier"]).equals(
        tbl.price(t).drop_columns(["model", "service_tier"])
    )
    _same_as_cost_of(rows, got)


def test_resolved_model_is_the_catalog_id_and_null_costs_are_null_not_zero() -> None:
    t = pa.table(
        {
            "model": ["gpt-4o-mini", "GPT-4o-mini", "gpt-4o-mini", "nope"],
            "created_at": ["2025-01-08"] * 4,
            "input_tokens": [10, 10, -1, 10],
        }
    )
    out = tbl.price(t)
    rows = out.to_pylist()
    assert [r["resolved_model"] for r in rows[:3]] == ["gpt-4o-mini-2024-07-18"] * 3
    assert rows[3]["resolved_model"] is None
    # negative count: no cost at all (null), never a zero
    assert rows[2]["cost_input_usd"] is None and rows[2]["cost_total_usd"] is None
    # no fee column: fees are zero where priced (one shared zero buffer), null where not
    assert [r["cost_fees_usd"] for r in rows] == [Decimal(0), Decimal(0), None, None]
    assert rows[2]["unpriced_reason"] == "input_tokens must be >= 0, got -1"
    assert out.column("cost_total_usd").null_count == 2
    # gpt-4o-mini input $0.15 per 1M: 10 tokens = 0.0000015
    assert rows[0]["cost_total_usd"] == rows[1]["cost_total_usd"] == Decimal("0.0000015")


@pytest.mark.parametrize("limit", [2, 4096])
def test_names_seen_in_earlier_batches_are_looked_up(
    monkeypatch: pytest.MonkeyPatch, limit: int
) -> None:
    """Batch after batch, with names new and old (and, with a tiny limit, more names than
    the kernel remembers): every row as cost_of prices it."""
    monkeypatch.setattr(_keys, "_KNOWN_LIMIT", limit)
    monkeypatch.setattr(_keys, "_DENSE_LIMIT", 0)  # the hashed stable codes, here
    rows = random_rows(3_000, seed=29)
    t = rows_table(rows)
    kernel = Kernel()
    out = [kernel.price_batch(rb) for rb in t.to_batches(max_chunksize=500)]
    _same_as_cost_of(rows, pa.Table.from_batches(out))
    known = kernel.keys._known["model"][0] if "model" in kernel.keys._known else [None]
    assert known[0] is None and len(known) <= limit + 1
    if limit > 2:
        assert set(known[1:]) == {r["model"] for r in rows if r["model"] is not None}
        # every distinct key went through the stable codes
        assert len(kernel.keys._by_code) == len(kernel.keys.groups)
    else:
        assert not kernel.keys._by_code  # too many names: every batch coded on its own


def test_large_counts_that_fit_are_priced_in_int64_all_the_same() -> None:
    # the largest count times the largest rate in the batch exceeds int64 (1e12 tokens x
    # gpt-4o's $10.00 per 1M output = 1e7 units a token: 1e19), so the kernel checks each
    # product; none overflows (1e12 x gpt-4o-mini's $0.15 per 1M = 1.5e17 units)
    t = pa.table(
        {
            "model": ["gpt-4o-mini-2024-07-18", "gpt-4o-2024-08-06"],
            "created_at": ["2025-01-08"] * 2,
            "input_tokens": [1_000_000_000_000, 0],
            "output_tokens": [0, 1],
        }
    )
    out = tbl.price(t).to_pylist()
    # gpt-4o-mini input $0.15 per 1M, gpt-4o-2024-08-06 output $10.00 per 1M (reference
    # price list, 2025-01-08 table)
    assert out[0]["cost_total_usd"] == Decimal("150000")
    assert out[1]["cost_total_usd"] == Decimal("0.00001")


def _few_keys(
    n: int, seed: int, models: tuple[str, ...], first: date, days: int
) -> list[dict[str, Any]]:
    """Random rows over a few models and a stretch of days (a small key rectangle)."""
    rng = random.Random(seed)
    rows = random_rows(n, seed=seed)
    for r in rows:
        r["model"] = rng.choice((*models, None))
        day = first + timedelta(days=rng.randrange(days))
        r["created_at"] = datetime(day.year, day.month, day.day, 12, tzinfo=timezone.utc)
        r["service_tier"] = rng.choice((None, None, "flex", "priority", "scale"))
        r["batch"] = r["service_tier"] is None and rng.random() < 0.2
        r.update(images=0, image_size=None, image_quality=None)
    return rows


def test_a_small_key_rectangle_is_looked_up_in_a_table_kept_across_batches(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Few names and a year of days (the common log): each row's key is found by its place
    in a lookup table, not by hashing; the table is kept while batches share their first and
    last day, and rebuilt when they do not. Every row as cost_of prices it."""
    models = ("gpt-4o", "gpt-4o-mini", "o3", "gpt-5-mini", "GPT-4.1", "nope")
    rows = _few_keys(4_000, 31, models, date(2025, 3, 1), 365)
    rows += _few_keys(1_000, 37, models, date(2025, 6, 1), 30)  # another rectangle
    t = rows_table(rows)
    # small batches (DuckDB's 2048-row vectors) keep to the cached codes
    small = Kernel()
    out = [small.price_batch(rb) for rb in t.to_batches(max_chunksize=1_000)]
    _same_as_cost_of(rows, pa.Table.from_batches(out))
    assert small.keys._by_code and small.keys._dense_key == ()
    monkeypatch.setattr(_keys, "_DENSE_MIN_ROWS", 1_000)  # as if these batches were large
    kernel = Kernel()
    dense = [kernel.price_batch(rb) for rb in t.to_batches(max_chunksize=1_000)]
    assert pa.Table.from_batches(dense).equals(pa.Table.from_batches(out))
    assert kernel.keys._dense_key[3] == (date(2025, 6, 1) - date(1970, 1, 1)).days
    assert not kernel.keys._by_code  # never hashed
    # the same rows, each batch too large for a table: the hashed stable codes, same result
    monkeypatch.setattr(_keys, "_DENSE_LIMIT", 10)
    again = Kernel()
    same = [again.price_batch(rb) for rb in t.to_batches(max_chunksize=1_000)]
    assert again.keys._by_code and again.keys._dense_key == ()
    assert pa.Table.from_batches(same).equals(pa.Table.from_batches(out))

"""The columnar kernel and the catalog tables: same numbers as cost_of, to the last digit."""

from __future__ import annotations

import csv
import json
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest

pa = pytest.importorskip("pyarrow")

import openai_cost  # noqa: E402
from _table_helpers import expected, random_rows, rows_table  # noqa: E402
from openai_cost import table  # noqa: E402

ROOT = Path(__file__).parent.parent


def _check(rows: list[dict], result: object) -> int:
    got = result.select(list(table.COST_COLUMNS)).to_pylist()
    unpriced = 0
    for i, (row, g) in enumerate(zip(rows, got, strict=True)):
        want = expected(row)
        if want[-1] is not None:
            unpriced += 1
            assert g["cost_total_usd"] is None, (i, row, g)
            assert g["cost_input_usd"] is None
            assert g["unpriced_reason"] == want[-1], (i, row)
            continue
        assert g["unpriced_reason"] is None, (i, row, g)
        have = (
            g["cost_input_usd"],
            g["cost_output_usd"],
            g["cost_fees_usd"],
            g["cost_total_usd"],
            g["resolved_model"],
            g["price_since"],
        )
        assert have == want[:6], (i, row, have, want)
    return unpriced


def test_kernel_equals_cost_of_on_100k_random_rows() -> None:
    rows = random_rows(100_000, seed=13)
    result = table.price(rows_table(rows))
    unpriced = _check(rows, result)
    # the sample really covers both sides
    assert 20_000 < unpriced < 80_000
    models = set(result.column("resolved_model").drop_null().to_pylist())
    assert len(models) == len(openai_cost.catalog().entries())


@pytest.mark.slow
def test_kernel_equals_cost_of_across_many_small_batches() -> None:
    rows = random_rows(100_000, seed=7)
    t = rows_table(rows)
    batches = t.to_batches(max_chunksize=1000)
    result = table.price(pa.Table.from_batches(batches))
    _check(rows, result)


def test_hand_computed_rows() -> None:
    t = pa.table(
        {
            "model": ["gpt-4o", "gpt-4o", "gpt-4o-mini", "gpt-4o", "nope"],
            "created_at": ["2025-01-08", "2025-01-08T12:00:00Z", "2025-01-08", None, "2025-01-08"],
            "batch": [False, True, False, False, False],
            "input_tokens": [2006, 2006, 1000, 5, 1],
            "cached_tokens": [1920, 1920, 0, 9, 0],
            "output_tokens": [300, 300, 10, 1, 1],
        }
    )
    out = table.price(t).to_pylist()
    # gpt-4o-2024-08-06 on 2025-01-08 (reference price list, 2025-01-08 table): input $2.50,
    # cached $1.25, output $10.00 per 1M: 86 x 2.50 + 1920 x 1.25 = 0.002615, 300 x 10 = 0.003
    assert out[0]["cost_input_usd"] == Decimal("0.002615")
    assert out[0]["cost_output_usd"] == Decimal("0.003")
    assert out[0]["cost_total_usd"] == Decimal("0.005615")
    assert out[0]["resolved_model"] == "gpt-4o-2024-08-06"
    assert out[0]["price_since"] == date(2024, 8, 6)
    # Batch: $1.25 input, $5.00 output; cached tokens at the batch input rate (no batch cached
    # rate listed for gpt-4o on 2025-01-08): 2006 x 1.25 = 0.0025075, 300 x 5 = 0.0015
    assert out[1]["cost_input_usd"] == Decimal("0.0025075")
    assert out[1]["cost_total_usd"] == Decimal("0.0040075")
    # gpt-4o-mini: $0.15 input, $0.60 output per 1M
    assert out[2]["cost_total_usd"] == Decimal("0.000156")
    assert out[3]["cost_total_usd"] is None
    assert out[3]["unpriced_reason"].startswith("contradictory usage: cached_tokens (9)")
    assert out[4]["cost_total_usd"] is None
    assert out[4]["unpriced_reason"].startswith("unknown model 'nope'")


def test_missing_columns_are_zero_and_model_column_is_required() -> None:
    t = pa.table({"m": ["gpt-4o-mini"], "output_tokens": [1_000_000]})
    out = table.price(t, model="m", at="when").to_pylist()[0]
    # gpt-4o-mini output $0.60 per 1M, priced today
    assert out["cost_total_usd"] == Decimal("0.6")
    with pytest.raises(KeyError, match="no model column 'model'"):
        table.price(t)
    with pytest.raises(TypeError, match="input_tokens"):
        table.price(pa.table({"model": ["gpt-4o"], "input_tokens": [1.5]}))


def test_record_batch_and_epoch_seconds_and_overflow() -> None:
    created = int(datetime(2025, 1, 8, tzinfo=timezone.utc).timestamp())
    rb = pa.record_batch(
        {
            "model": ["gpt-4o", "gpt-4o"],
            "created_at": [created, created],
            "input_tokens": [1, 4_000_000_000_000_000],
        }
    )
    out = table.price(rb).to_pylist()
    assert out[0]["cost_input_usd"] == Decimal("0.0000025")
    # 4e15 tokens x $2.50 / 1M = 1e22 units of 1e-12 USD overflows int64: redone in 256-bit
    # decimals, still exact
    assert out[1]["cost_input_usd"] == Decimal("10000000000")


def test_from_records_reads_every_shape_analyze_reads() -> None:
    files = [
        str(ROOT / "examples" / "mixed_log.jsonl"),
        str(ROOT / "examples" / "batch_output.jsonl"),
    ]
    t = table.from_records(files).read_all()
    assert set(table.USAGE_TABLE_COLUMNS) == set(t.column_names)
    priced = table.price(t)
    ok = priced.filter(priced.column("unpriced_reason").is_null())
    total = sum(ok.column("cost_total_usd").to_pylist(), Decimal(0))
    from openai_cost.summary import iter_records, summarize

    def records():
        for f in files:
            yield from iter_records(f)

    s = summarize(records())
    assert total == s.total_usd
    assert ok.num_rows == s.calls


def test_from_records_objects_and_unreadable_lines(tmp_path: Path) -> None:
    p = tmp_path / "log.jsonl"
    p.write_text(
        json.dumps(
            {
                "object": "chat.completion",
                "model": "gpt-4o-mini",
                "created": 1736294400,
                "usage": {"prompt_tokens": 1000, "completion_tokens": 10},
            }
        )
        + "\n{not json\n"
    )
    obj = {
        "object": "chat.completion",
        "model": "gpt-4o",
        "created": 1736294400,
        "usage": {"prompt_tokens": 10, "completion_tokens": 0},
    }
    t = table.price(table.from_records([str(p), obj]).read_all()).to_pylist()
    assert [r["line"] for r in t] == [1, 2, 1]
    assert t[0]["cost_total_usd"] == Decimal("0.000156")  # gpt-4o-mini, 0.15 / 0.60 per 1M
    assert t[1]["cost_total_usd"] is None
    assert "not valid JSON" in t[1]["unpriced_reason"]
    assert t[2]["source"] == "<objects>"
    assert t[2]["cost_total_usd"] == Decimal("0.000025")  # gpt-4o, 10 x 2.50 / 1M


def test_catalog_tables_hold_the_rates_cost_of_uses() -> None:
    prices, aliases = openai_cost.catalog().to_arrow()
    assert prices.column_names == list(table.PRICE_COLUMNS)
    assert aliases.column_names == list(table.ALIAS_COLUMNS)
    assert str(prices.schema.field("price_usd").type) == "decimal128(38, 12)"
    rows = [
        r
        for r in prices.to_pylist()
        if r["model"] == "gpt-4o-2024-08-06"
        and r["since"] <= date(2025, 1, 8)
        and (r["until"] is None or date(2025, 1, 8) < r["until"])
        and r["context"] == "short"
    ]
    by = {(r["tier"], r["dimension"]): (r["price_usd"], r["derived"]) for r in rows}
    # 2025-01-08 table: gpt-4o-2024-08-06 $2.50 / $1.25 cached / $10.00; Batch $1.25 / $5.00
    assert by[("standard", "input")] == (Decimal("2.50"), None)
    assert by[("standard", "cached_input")] == (Decimal("1.25"), None)
    assert by[("standard", "output")] == (Decimal("10.00"), None)
    assert by[("standard", "reasoning")][0] == Decimal("10.00")
    assert "billed at output rate" in by[("standard", "reasoning")][1]
    assert by[("batch", "output")][0] == Decimal("5.00")
    assert ("standard", "audio_input") not in by  # no rate, no fallback: no row, never a zero
    al = {(r["alias"], r["since"]): (r["model"], r["until"]) for r in aliases.to_pylist()}
    # gpt-4o pointed at the 2024-05-13 snapshot until 2024-10-02, then at 2024-08-06
    assert al[("gpt-4o", date(2024, 5, 13))] == ("gpt-4o-2024-05-13", date(2024, 10, 2))
    assert al[("gpt-4o", date(2024, 10, 2))] == ("gpt-4o-2024-08-06", None)


def test_catalog_table_join_prices_like_cost_of() -> None:
    """Joining the exported table by dimension reproduces cost_of for plain chat rows."""
    prices, _aliases = openai_cost.catalog().to_arrow()
    rows = prices.to_pylist()
    day = date(2025, 6, 1)
    for model in ("gpt-4o-mini", "gpt-4.1", "o3", "gpt-4o"):
        mp = openai_cost.catalog().resolve(model, day)
        rate = {
            r["dimension"]: r["price_usd"]
            for r in rows
            if r["model"] == mp.model
            and r["tier"] == "standard"
            and r["context"] == "short"
            and r["since"] <= day
            and (r["until"] is None or day < r["until"])
        }
        usage = {
            "input_tokens": 5000,
            "cached_tokens": 1000,
            "output_tokens": 700,
            "reasoning_tokens": 200,
        }
        want = openai_cost.cost_of(openai_cost.Usage(**usage), model=model, at=day).total
        got = (
            rate["cached_input"] * 1000
            + rate["input"] * 4000
            + rate["reasoning"] * 200
            + rate["output"] * 500
        ) / 1_000_000
        assert got == want, model


@pytest.mark.parametrize("fmt", ["parquet", "csv", "jsonl"])
def test_catalog_export_cli(tmp_path: Path, fmt: str) -> None:
    from click.testing import CliRunner

    from openai_cost._cli import main

    res = CliRunner().invoke(
        main, ["catalog", "export", str(tmp_path), "--format", fmt, "--at", "2025-01-08"]
    )
    assert res.exit_code == 0, res.output
    prices, aliases = tmp_path / f"prices.{fmt}", tmp_path / f"aliases.{fmt}"
    if fmt == "parquet":
        import pyarrow.parquet as pq

        rows = pq.read_table(prices).to_pylist()
        assert isinstance(rows[0]["price_usd"], Decimal)
        assert pq.read_table(aliases).column_names == list(table.ALIAS_COLUMNS)
    elif fmt == "csv":
        with prices.open() as f:
            rows = list(csv.DictReader(f))
        assert list(rows[0]) == list(table.PRICE_COLUMNS)
    else:
        rows = [json.loads(line) for line in prices.read_text().splitlines()]
        assert all(isinstance(r["price_usd"], str) for r in rows)
    mini = [
        r
        for r in rows
        if r["model"] == "gpt-4o-mini-2024-07-18"
        and r["tier"] == "standard"
        and r["dimension"] == "input"
    ]
    assert len(mini) == 1  # --at keeps only the rows in force that day
    assert Decimal(str(mini[0]["price_usd"])) == Decimal("0.15")

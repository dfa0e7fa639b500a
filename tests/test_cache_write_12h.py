"""12-hour cache writes: read from Responses usage, checked, priced at their own rate or the
cache-write rate with a note, in `cost_of`, in `analyze` (`summarize`) and on the command line.

Rates are gpt-6.2-sol's from openai-billing.md 6.1 (the model page: input 2.00, cached 0.10,
cache write 2.50 for 30 minutes, 5.00 for 12 hours, output 10.00; above 272K input, input and
cache rates double and output is 1.5x; Batch 50%; Fast 2x; Ultrafast 3x through 2027-02-28) and
gpt-6.1-terra's (3.4 / 6.1: 1.00 / 0.05 / 1.25 / 5.00, no 12-hour price captured).
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from click.testing import CliRunner

from openai_cost import Catalog, PricingWarning, Usage, UsageError, cost_of, extract_usage
from openai_cost._cli import main
from openai_cost.summary import summarize

D = Decimal


@pytest.fixture(scope="module")
def cat() -> Catalog:
    return Catalog.bundled()


def responses_usage(**details: Any) -> dict[str, Any]:
    """A Responses ``usage``: 100,000 input (20,000 cached, 10,000 written: 4,000 for 12 hours,
    6,000 for 30 minutes), 10,000 output."""
    idt: dict[str, Any] = {
        "cached_tokens": 20_000,
        "cache_write_tokens": 10_000,
        "cache_write_tokens_details": {"ttl_12h_tokens": 4_000, "ttl_30m_tokens": 6_000},
    }
    idt.update(details)
    return {
        "input_tokens": 100_000,
        "input_tokens_details": idt,
        "output_tokens": 10_000,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": 110_000,
    }


def response(created: int = 1_795_600_000, **details: Any) -> dict[str, Any]:
    # 1_795_600_000 = 2026-11-25 08:26:40 UTC
    return {
        "id": f"resp_{created}",
        "object": "response",
        "created_at": created,
        "model": "gpt-6.2-sol",
        "status": "completed",
        "output": [],
        "usage": responses_usage(**details),
    }


# 70,000 x 2.00 + 20,000 x 0.10 + 6,000 x 2.50 + 4,000 x 5.00 + 10,000 x 10.00
STANDARD = D("0.14") + D("0.002") + D("0.015") + D("0.02") + D("0.1")


def test_usage_reads_the_retention_split() -> None:
    u = extract_usage(response()).usage
    assert (u.cache_write_tokens, u.cache_write_12h_tokens) == (10_000, 4_000)


def test_sdk_response_usage_object_is_read_the_same() -> None:
    from openai.types.responses import ResponseUsage

    sdk = ResponseUsage.model_validate(responses_usage())
    u = cost_of(sdk, model="gpt-6.2-sol", at="2026-11-25")
    assert u.total == STANDARD


def test_missing_total_is_the_sum_of_the_classes() -> None:
    data = responses_usage()
    del data["input_tokens_details"]["cache_write_tokens"]
    u = cost_of(data, model="gpt-6.2-sol", at="2026-11-25")
    assert u.total == STANDARD


def test_classes_above_the_total_are_a_usage_error() -> None:
    data = responses_usage(cache_write_tokens=9_000)
    with pytest.raises(UsageError, match=r"ttl_12h_tokens \(4000\) \+ ttl_30m_tokens \(6000\)"):
        cost_of(data, model="gpt-6.2-sol", at="2026-11-25")
    with pytest.raises(UsageError, match="cache_write_12h_tokens"):
        Usage(input_tokens=100, cache_write_tokens=5, cache_write_12h_tokens=6)


def test_an_unknown_retention_class_warns() -> None:
    data = responses_usage()
    data["input_tokens_details"]["cache_write_tokens_details"]["ttl_7d_tokens"] = 5
    with pytest.warns(PricingWarning, match="cache_write_tokens_details.ttl_7d_tokens"):
        cost_of(data, model="gpt-6.2-sol", at="2026-11-25")


@pytest.mark.parametrize(
    ("tier", "batch", "at", "expected"),
    [
        ("default", False, "2026-11-25", STANDARD),
        # Batch 50%: x 1.00, 0.05, 1.25, 2.50 (12h), 5.00
        (None, True, "2026-11-25", STANDARD / 2),
        # Fast 2x: x 4, 0.20, 5, 10 (12h), 20
        ("fast", False, "2026-11-25", STANDARD * 2),
        # Ultrafast 3x through 2027-02-28, 6x from 2027-03-01
        ("ultrafast", False, "2027-02-28", STANDARD * 3),
        ("ultrafast", False, "2027-03-01", STANDARD * 6),
    ],
)
def test_12h_writes_at_their_own_rate_in_every_tier(
    cat: Catalog, tier: str | None, batch: bool, at: str, expected: Decimal
) -> None:
    cost = cost_of(
        responses_usage(), model="gpt-6.2-sol", at=at, tier=tier, batch=batch, prices=cat
    )
    assert cost.total == expected
    line = {ln.dimension: ln for ln in cost.lines}["cache_write_12h"]
    assert line.units == 4_000 and line.note is None


def test_12h_writes_in_long_context(cat: Catalog) -> None:
    # 300,000 input: 100,000 cached, 50,000 written (20,000 for 12 hours), 10,000 output;
    # long-context rates 4 / 0.20 / 5 / 10 (12h, 2x 5.00) / 15:
    # 150,000 x 4 + 100,000 x 0.2 + 30,000 x 5 + 20,000 x 10 + 10,000 x 15
    u = Usage(
        input_tokens=300_000,
        cached_tokens=100_000,
        cache_write_tokens=50_000,
        cache_write_12h_tokens=20_000,
        output_tokens=10_000,
    )
    expected = D("0.6") + D("0.02") + D("0.15") + D("0.2") + D("0.15")
    assert cost_of(u, model="gpt-6.2-sol", at="2026-11-25", prices=cat).total == expected
    # long context + Fast: 2x all of that
    assert cost_of(u, model="gpt-6.2-sol", at="2026-11-25", tier="fast", prices=cat).total == (
        expected * 2
    )


def test_no_12h_rate_falls_back_to_the_cache_write_rate_and_says_so(cat: Catalog) -> None:
    # gpt-6.2-astra (no 12-hour rate): 70,000 x 8 + 20,000 x 0.40 + 10,000 x 10 (all writes at
    # the cache-write rate) + 10,000 x 40
    cost = cost_of(responses_usage(), model="gpt-6.2-astra", at="2026-11-25", prices=cat)
    assert cost.total == D("0.56") + D("0.008") + D("0.1") + D("0.4")
    line = {ln.dimension: ln for ln in cost.lines}["cache_write_12h"]
    assert line.rate == D("10.00")
    assert line.note == "no cache_write_12h rate: billed at cache_write rate"
    # before GPT-5.6 writes are free: 12-hour writes bill as plain input, through cache_write
    # gpt-5.5 (3.4): 80,000 x 5 + 20,000 x 0.50 + 10,000 x 30 (6,000 + 4,000 writes at 5.00)
    cost = cost_of(responses_usage(), model="gpt-5.5", at="2026-11-25", prices=cat)
    assert cost.total == D("0.4") + D("0.01") + D("0.3")
    line = {ln.dimension: ln for ln in cost.lines}["cache_write_12h"]
    assert line.note == (
        "no cache_write_12h rate: billed at cache_write rate; "
        "no cache_write rate: billed at input rate"
    )


def test_data_12h_rates_follow_the_tier_multipliers(cat: Catalog) -> None:
    # 6.1: the 12-hour rate is 5.00 at Standard short context; the other tiers use the stated
    # multipliers of the same model page (Batch 0.5, Fast 2, Ultrafast 3 then 6, long 2, long
    # Fast 4). The GPT-5.6 / 6 / 6.1 models carry litellm's 12-hour rates (found by the price
    # audit): 2x the 30-minute write in every tier, the ratio gpt-6.2-sol's page states.
    seen = set()
    for e in cat.entries():
        for p in e.periods:
            if "cache_write_12h" not in p.standard:
                continue
            seen.add(e.id)
            base = p.standard["cache_write_12h"]
            assert base == p.standard["input"] * D("2.5")  # "about 2.5x input"
            lc = p.long_context
            tables = [p.standard, p.batch, p.flex, p.priority, p.ultrafast]
            if lc is not None:
                tables += [lc.standard, lc.batch, lc.flex, lc.priority]
            for t in tables:
                if t is not None and "cache_write" in t:
                    assert t.get("cache_write_12h") == t["cache_write"] * 2, (e.id, p.since)
            if e.id != "gpt-6.2-sol":
                continue
            ultra = D(3) if p.since.isoformat() < "2027-03-01" else D(6)
            assert p.batch is not None and p.batch["cache_write_12h"] == base / 2
            assert p.priority is not None and p.priority["cache_write_12h"] == base * 2
            assert p.ultrafast is not None and p.ultrafast["cache_write_12h"] == base * ultra
            assert lc is not None and lc.standard["cache_write_12h"] == base * 2
            assert lc.priority is not None and lc.priority["cache_write_12h"] == base * 4
    assert seen == {
        "gpt-5.6-cyber",
        "gpt-5.6-luna",
        "gpt-5.6-sol",
        "gpt-5.6-terra",
        "gpt-6-astra",
        "gpt-6-luna",
        "gpt-6-sol",
        "gpt-6.1-sol",
        "gpt-6.1-terra",
        "gpt-6.2-sol",
    }


def test_analyze_prices_12h_writes_like_cost_of(cat: Catalog) -> None:
    records = [response(), response(created=1_795_600_100)]
    s = summarize(records, by=("model",), prices=cat)
    assert s.total_usd == STANDARD * 2 and s.unpriced == 0
    assert s.usage["cache_write_12h_tokens"] == 8_000


def test_cli_price_cache_write_12h() -> None:
    result = CliRunner().invoke(
        main,
        [
            "price", "gpt-6.2-sol", "-i", "100000", "--cached", "20000", "--cache-write",
            "10000", "--cache-write-12h", "4000", "-o", "10000", "--at", "2026-11-25", "--json",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert D(json.loads(result.stdout)["total_usd"]) == STANDARD

"""The pricing rules themselves, on a small price file written by the test.

These cases do not depend on the bundled data: the rates below are the test's own, so each
expected figure is rate x units / 1M computed by hand from the file in this module.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from pathlib import Path

import pytest

from openai_cost import Catalog, PricingError, Usage, UsageError, cost_of
from openai_cost.pricing import normalize_tier

D = Decimal

PRICES = """
[[tool_fees]]
since = "2025-01-01"
source = "test"
web_search_call = "0.01"

[[models]]
id = "text-model"
[[models.prices]]
since = "2025-01-01"
source = "test"
input = "2.00"
cached_input = "0.50"
output = "8.00"
[models.prices.priority]
input = "4.00"
output = "16.00"
[models.prices.flex]
input = "1.00"
cached_input = "0.25"
output = "4.00"
[models.prices.long_context]
threshold = 1000
input = "4.00"
cached_input = "1.00"
output = "12.00"

[[models.prices]]
since = "2025-06-01"
source = "test: price cut"
input = "1.00"
output = "4.00"

[[models]]
id = "audio-model"
[[models.prices]]
since = "2025-01-01"
source = "test"
input = "2.00"
output = "10.00"
audio_input = "40.00"
audio_output = "80.00"
image_input = "5.00"

[[models]]
id = "unit-model"
[[models.prices]]
since = "2025-01-01"
source = "test"
characters = "15.00"
audio_minute = "0.006"
[models.prices.per_image]
"standard/1024x1024" = "0.04"
"""


@pytest.fixture
def cat(tmp_path: Path) -> Catalog:
    path = tmp_path / "prices.toml"
    path.write_text(PRICES)
    return Catalog([path])


def test_newest_period_on_or_before_the_date_applies(cat: Catalog) -> None:
    u = Usage(input_tokens=1_000, output_tokens=1_000)
    # 2025-05-31: 1000 x 2 + 1000 x 8 = 10000e-6; 2025-06-01: 1000 x 1 + 1000 x 4 = 5000e-6
    assert cost_of(u, model="text-model", at="2025-05-31", prices=cat).total == D("0.01")
    june = cost_of(u, model="text-model", at="2025-06-01", prices=cat)
    assert june.total == D("0.005")
    assert june.price_since.isoformat() == "2025-06-01"
    assert june.source == "test: price cut"


def test_priority_without_cached_rate_falls_back_to_priority_input(cat: Catalog) -> None:
    u = Usage(input_tokens=500, cached_tokens=100, output_tokens=10)
    cost = cost_of(u, model="text-model", at="2025-02-01", tier="priority", prices=cat)
    cached = next(line for line in cost.lines if line.dimension == "cached_input")
    assert cached.rate == D("4.00")
    assert cached.note == "no cached_input rate: billed at input rate"
    # 400 x 4 + 100 x 4 + 10 x 16 = 1600 + 400 + 160 (e-6)
    assert cost.total == D("0.00216")


def test_batch_without_table_is_half_of_standard_with_a_note(cat: Catalog) -> None:
    u = Usage(input_tokens=500, cached_tokens=100, output_tokens=10)
    cost = cost_of(u, model="text-model", at="2025-02-01", batch=True, prices=cat)
    by_dim = {line.dimension: line for line in cost.lines}
    assert by_dim["input"].rate == D("1.00")
    assert by_dim["input"].note == "batch: 50% of standard"
    # no batch cached rate listed: cached tokens bill at the batch input rate (1.00)
    assert by_dim["cached_input"].rate == D("1.00")
    assert by_dim["output"].rate == D("4.00")


def test_long_context_priority_uses_long_context_standard_with_note(cat: Catalog) -> None:
    u = Usage(input_tokens=1_001, output_tokens=100)
    cost = cost_of(u, model="text-model", at="2025-02-01", tier="priority", prices=cat)
    # 1001 x 4.00 + 100 x 12.00 = 4004 + 1200 (e-6)
    assert cost.total == D("0.005204")
    assert all("priority prices exclude long context" in (ln.note or "") for ln in cost.lines)
    assert cost.tier == "priority+long_context"


def test_long_context_flex_is_half_of_long_context(cat: Catalog) -> None:
    u = Usage(input_tokens=2_000, cached_tokens=1_000, output_tokens=100)
    cost = cost_of(u, model="text-model", at="2025-02-01", tier="flex", prices=cat)
    by_dim = {line.dimension: line.rate for line in cost.lines}
    # long-context input 4.00 -> 2.00; cached 1.00 -> the model lists no batch cached rate, so
    # cached bills at the (derived) input rate 2.00; output 12.00 -> 6.00
    assert by_dim == {"input": D("2.00"), "cached_input": D("2.00"), "output": D("6.00")}


def test_scale_tier_is_priced_at_standard_with_a_note(cat: Catalog) -> None:
    u = Usage(input_tokens=100, output_tokens=100)
    cost = cost_of(u, model="text-model", at="2025-02-01", tier="scale", prices=cat)
    assert cost.total == D("0.001")  # 100 x 2 + 100 x 8
    assert all("Scale Tier" in (ln.note or "") for ln in cost.lines)


def test_image_input_falls_back_to_text_input_and_audio_has_no_fallback(cat: Catalog) -> None:
    u = Usage(input_tokens=100, image_input_tokens=60, output_tokens=0)
    cost = cost_of(u, model="text-model", at="2025-02-01", prices=cat)
    img = next(line for line in cost.lines if line.dimension == "image_input")
    assert img.rate == D("2.00") and img.note == "no image_input rate: billed at input rate"
    with pytest.raises(PricingError, match="no rate for audio_output tokens and no fallback"):
        cost_of(
            Usage(output_tokens=10, audio_output_tokens=5),
            model="text-model",
            at="2025-02-01",
            prices=cat,
        )


def test_audio_buckets_are_exclusive(cat: Catalog) -> None:
    u = Usage(
        input_tokens=1000,
        audio_input_tokens=300,
        image_input_tokens=200,
        output_tokens=100,
        audio_output_tokens=60,
    )
    cost = cost_of(u, model="audio-model", at="2025-02-01", prices=cat)
    units = {line.dimension: line.units for line in cost.lines}
    assert units == {
        "audio_input": 300,
        "image_input": 200,
        "input": 500,
        "audio_output": 60,
        "output": 40,
    }
    # 300x40 + 200x5 + 500x2 + 60x80 + 40x10 = 12000+1000+1000+4800+400 (e-6)
    assert cost.total == D("0.0192")


def test_units_characters_minutes_images(cat: Catalog) -> None:
    u = Usage(
        characters=2_000,
        audio_seconds=D("30"),
        images=3,
        image_size="1024x1024",
        image_quality="standard",
    )
    cost = cost_of(u, model="unit-model", at="2025-02-01", prices=cat)
    # 2000 x 15 / 1M = 0.03; 0.5 min x 0.006 = 0.003; 3 x 0.04 = 0.12
    assert cost.fees == D("0.153")
    assert cost.input == 0 and cost.output == 0


def test_unpriced_units_are_errors(cat: Catalog) -> None:
    with pytest.raises(PricingError, match="no characters rate"):
        cost_of(Usage(characters=5), model="text-model", at="2025-02-01", prices=cat)
    with pytest.raises(PricingError, match=r"no per-image price .*'hd/1024x1024'.*standard"):
        cost_of(
            Usage(images=1, image_size="1024x1024", image_quality="hd"),
            model="unit-model",
            at="2025-02-01",
            prices=cat,
        )
    with pytest.raises(PricingError, match="file_search_call"):
        cost_of(
            Usage(tool_calls={"file_search_call": 1}),
            model="text-model",
            at="2025-02-01",
            prices=cat,
        )


def test_tool_fees_are_inherited_and_never_tiered(cat: Catalog) -> None:
    u = Usage(input_tokens=0, output_tokens=0, tool_calls={"web_search_call": 3})
    for kw in ({}, {"batch": True}, {"tier": "flex"}):
        cost = cost_of(u, model="text-model", at="2025-02-01", prices=cat, **kw)  # type: ignore[arg-type]
        assert cost.total == D("0.03")


def test_zero_usage_costs_zero_with_no_lines(cat: Catalog) -> None:
    cost = cost_of(Usage(), model="text-model", at="2025-02-01", prices=cat)
    assert cost.total == 0 and cost.lines == ()


def test_cost_serialisation(cat: Catalog) -> None:
    u = Usage(input_tokens=834, cached_tokens=234, output_tokens=56)
    cost = cost_of(u, model="text-model", at="2025-02-01", prices=cat)
    d = cost.to_dict()
    # 600 x 2 + 234 x 0.5 + 56 x 8 = 1200 + 117 + 448 (e-6)
    assert d["total_usd"] == "0.001765"
    assert d["model"] == "text-model"
    assert d["price_since"] == "2025-01-01"
    assert [ln["dimension"] for ln in d["lines"]] == ["cached_input", "input", "output"]
    assert all(isinstance(ln["amount_usd"], str) for ln in d["lines"])
    assert str(cost) == "$0.001765"
    html = cost._repr_html_()
    assert "<table>" in html and "cached_input" in html and "$0.001765" in html
    assert "text-model" in cost.describe()


def test_cost_renderings_show_the_same_rows(cat: Catalog) -> None:
    """describe(), _repr_html_() and __rich__ (the CLI's table) lay out the same rows."""
    import io

    from rich.console import Console

    u = Usage(input_tokens=834, cached_tokens=234, output_tokens=56)
    cost = cost_of(u, model="text-model", at="2025-02-01", prices=cat)
    # 234 cached x $0.50/1M = $0.000117; 600 x $2/1M = $0.0012; 56 x $8/1M = $0.000448
    expected = [
        ("cached_input", "234", "$0.50 / 1M tokens", "$0.000117"),
        ("input", "600", "$2.00 / 1M tokens", "$0.001200"),
        ("output", "56", "$8.00 / 1M tokens", "$0.000448"),
    ]
    assert [r[:4] for r in cost.rows()] == expected
    console = Console(width=100, file=io.StringIO(), record=True)
    console.print(cost)
    shown = [console.export_text(), cost.describe(), cost._repr_html_()]
    for text in shown:
        assert "text-model · default · prices since 2025-01-01" in text
        assert "$0.001765" in text
        for row in expected:
            assert all(cell in text for cell in row), (row, text)


def test_tiny_amounts_are_not_printed_as_zero(cat: Catalog) -> None:
    cost = cost_of(Usage(input_tokens=1), model="text-model", at="2025-06-01", prices=cat)
    assert cost.total == D("0.000001")
    cost = cost_of(
        Usage(cached_tokens=1, input_tokens=1), model="text-model", at="2025-02-01", prices=cat
    )
    assert str(cost) == "$0.0000005"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (None, "default"),
        ("default", "default"),
        ("auto", "default"),
        ("flex", "flex"),
        ("priority", "priority"),
        ("fast", "priority"),
        ("ultrafast", "ultrafast"),
        ("PRIORITY", "priority"),
        ("scale", "scale"),
    ],
)
def test_normalize_tier(given: str | None, expected: str) -> None:
    assert normalize_tier(given) == expected


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"input_tokens": 5, "cached_tokens": 6}, r"cached_tokens \(6\) > input_tokens \(5\)"),
        (
            {"input_tokens": 5, "audio_input_tokens": 3, "image_input_tokens": 3},
            "audio_input_tokens \\+ image_input_tokens",
        ),
        ({"input_tokens": 5, "cached_tokens": 2, "cached_audio_tokens": 3}, "cached_audio_tokens"),
        (
            {"output_tokens": 5, "reasoning_tokens": 3, "audio_output_tokens": 3},
            "reasoning_tokens \\+ audio_output_tokens",
        ),
        ({"output_tokens": 5, "rejected_prediction_tokens": 6}, "rejected_prediction_tokens"),
        ({"input_tokens": -1}, "input_tokens must be >= 0"),
        ({"input_tokens": 1.0}, "input_tokens must be a whole number"),
        ({"images": 1}, "image_size and image_quality"),
        ({"audio_seconds": "abc"}, "audio_seconds"),
        ({"audio_seconds": float("inf")}, "audio_seconds"),
        ({"audio_seconds": -1}, "audio_seconds"),
        ({"tool_calls": {"web_search_call": -2}}, "tool_calls"),
    ],
)
def test_usage_validation(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        Usage(**kwargs)  # type: ignore[arg-type]


def test_usage_accepts_float_seconds_exactly() -> None:
    u = Usage(audio_seconds=12.5)  # type: ignore[arg-type]
    assert u.audio_seconds == D("12.5")
    assert u.to_dict() == {"audio_seconds": "12.5"}
    assert Usage(input_tokens=3, output_tokens=4).total_tokens == 7


def test_long_context_can_be_forced_for_summed_usages(cat: Catalog) -> None:
    from openai_cost.pricing import price

    mp = cat.resolve("text-model", "2025-02-01")
    # two requests of 600 input tokens each, summed: neither crossed the 1000-token threshold
    summed = Usage(input_tokens=1_200, output_tokens=0)
    assert price(summed, mp).total == D("0.0048")  # decided from the sum: 1200 x 4.00
    assert price(summed, mp, long_context=False).total == D("0.0024")  # 1200 x 2.00
    # and the other way: small usage that came from long-context requests
    assert price(Usage(input_tokens=500), mp, long_context=True).total == D("0.002")  # x 4.00


# ---------------------------------------------------------------- the bucket tree, declared once

# Usage fields that feed a token bucket, with a value for each that fits inside its parents
# when every other field is at its maximum below: input 100 = 10 cached audio + 5 cached image
# + 15 other cached + 7 cache writes (3 of them 12-hour) + 20 other audio + 8 other image + 35
# text; output 60 = 9 audio + 11 image + 13 reasoning + 27 text.
_FULL = {
    "input_tokens": 100,
    "cached_tokens": 30,
    "cached_audio_tokens": 10,
    "cached_image_tokens": 5,
    "cache_write_tokens": 7,
    "cache_write_12h_tokens": 3,
    "audio_input_tokens": 30,
    "image_input_tokens": 13,
    "output_tokens": 60,
    "audio_output_tokens": 9,
    "image_output_tokens": 11,
    "reasoning_tokens": 13,
}
_FULL_BUCKETS = {
    "cached_audio_input": 10,
    "cached_image_input": 5,
    "cached_input": 15,
    "cache_write_12h": 3,
    "cache_write": 4,
    "audio_input": 20,
    "image_input": 8,
    "input": 35,
    "audio_output": 9,
    "image_output": 11,
    "reasoning": 13,
    "output": 27,
}


def _unrolled_buckets(u: Usage) -> dict[str, int]:
    """The token buckets `price` billed (its unrolled hot path), from the cost lines."""
    from openai_cost.catalog import catalog

    # gpt-4o-audio-preview has no image rates and gpt-image-1 no audio ones: price with a
    # made-up entry that has a rate for every bucket, so every bucket shows as a line
    from openai_cost.pricing import price
    from openai_cost.types import TOKEN_DIMENSIONS

    mp = catalog().resolve("gpt-4o", at="2025-01-08")
    period = dataclasses.replace(mp.period, standard=dict.fromkeys(TOKEN_DIMENSIONS, D("1")))
    cost = price(u, dataclasses.replace(mp, period=period))
    return {ln.dimension: int(ln.units) for ln in cost.lines}


def test_the_tree_declares_every_token_dimension_once() -> None:
    from openai_cost.types import BUCKETS, TOKEN_DIMENSIONS

    assert sorted(b.key for b in BUCKETS) == sorted(TOKEN_DIMENSIONS)


def test_fallbacks_and_catalog_rule_come_from_the_tree() -> None:
    from openai_cost.pricing import PARENT

    # DESIGN.md section 2: reasoning bills at the output rate, cached at the input rate, cached
    # audio at the audio-input rate; audio has no fallback (an error names it)
    assert dict(PARENT) == {
        "cached_audio_input": "audio_input",
        "cached_image_input": "image_input",
        "cached_input": "input",
        "cache_write": "input",
        # issue 10: a 12-hour write with no rate of its own bills as a cache write
        "cache_write_12h": "cache_write",
        "image_input": "input",
        "image_output": "output",
        "reasoning": "output",
    }


def test_price_hot_path_bills_the_buckets_the_tree_derives() -> None:
    from openai_cost.types import exclusive_counts

    u = Usage(**_FULL)
    derived = {k: n for k, n in exclusive_counts(u) if n}
    assert derived == _FULL_BUCKETS  # hand-computed above
    assert _unrolled_buckets(u) == _FULL_BUCKETS


@pytest.mark.parametrize("bucket", sorted(_FULL_BUCKETS))
def test_price_hot_path_matches_the_tree_on_every_bucket(bucket: str) -> None:
    """One bucket at a time: only that bucket (and the totals that include it) counted."""
    from openai_cost.types import BUCKETS, exclusive_counts

    b = {x.key: x for x in BUCKETS}[bucket]
    fields = {b.field: 4}
    todo = list(b.within)
    while todo:  # the counts that include it must too
        parent = {x.key: x for x in BUCKETS}[todo.pop()]
        fields[parent.field] = 4
        todo.extend(parent.within)
    u = Usage(**fields)  # type: ignore[arg-type]
    derived = {k: n for k, n in exclusive_counts(u) if n}
    assert derived == {bucket: 4}
    assert _unrolled_buckets(u) == {bucket: 4}


@pytest.mark.parametrize(
    "counts",
    [
        {"input_tokens": i, "cached_tokens": c, "output_tokens": o, "reasoning_tokens": r}
        | ({"rejected_prediction_tokens": x} if x else {})
        for i in (0, 2)
        for c in (0, 1, 3)
        for o in (0, 2)
        for r in (0, 3)
        for x in (0, 3)
    ],
)
def test_usage_text_only_shortcut_agrees_with_the_tree(counts: dict[str, int]) -> None:
    from openai_cost.types import bucket_problem

    fits = (
        counts["cached_tokens"] <= counts["input_tokens"]
        and counts["reasoning_tokens"] <= counts["output_tokens"]
        and counts.get("rejected_prediction_tokens", 0) <= counts["output_tokens"]
    )
    if fits:
        u = Usage(**counts)  # type: ignore[arg-type]
        assert bucket_problem(u) is None
    else:
        with pytest.raises(UsageError, match="contradictory usage"):
            Usage(**counts)  # type: ignore[arg-type]

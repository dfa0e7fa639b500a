"""The pricing rules themselves, on a small price file written by the test.

These cases do not depend on the bundled data: the rates below are the test's own, so each
expected figure is rate x units / 1M computed by hand from the file in this module.
"""

from __future__ import annotations

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

"""Pricing against the bundled catalog: one or more cases per model family, dimension and tier.

Every expected figure is computed by hand from ../shared/reference/openai-billing.md (section
named in the comment) as tokens x rate / 1,000,000, and written out as a literal.
"""

from __future__ import annotations

import warnings
from decimal import Decimal

import pytest

import openai_cost as oc
from openai_cost import PricingError, Usage, UsageError, cost_of

D = Decimal


def amounts(cost: oc.Cost) -> dict[str, Decimal]:
    return {line.dimension: line.amount for line in cost.lines}


# --------------------------------------------------------------------------- text families


def test_gpt4o_cached_prompt_example() -> None:
    # The prompt-caching guide's example: 2006 prompt tokens, 1920 cached, 300 completion.
    # gpt-4o-2024-08-06: input $2.50, cached $1.25, output $10.00 per 1M (3.1)
    usage = {
        "prompt_tokens": 2006,
        "completion_tokens": 300,
        "total_tokens": 2306,
        "prompt_tokens_details": {"cached_tokens": 1920},
    }
    cost = cost_of(usage, model="gpt-4o-2024-08-06", at="2025-06-01")
    # 86 x 2.50 = 215e-6; 1920 x 1.25 = 2400e-6; 300 x 10 = 3000e-6
    assert amounts(cost) == {
        "input": D("0.000215"),
        "cached_input": D("0.0024"),
        "output": D("0.003"),
    }
    assert cost.total == D("0.005615")
    assert cost.input == D("0.002615")
    assert cost.output == D("0.003")
    assert cost.fees == 0
    assert str(cost) == "$0.005615"


def test_gpt4o_alias_resolves_and_prices_like_snapshot() -> None:
    # gpt-4o -> gpt-4o-2024-08-06 in 2025 (3.1, 3.11): 1000 in x 2.50 + 1000 out x 10.00
    cost = cost_of(
        {"prompt_tokens": 1000, "completion_tokens": 1000}, model="gpt-4o", at="2025-06-01"
    )
    assert cost.model == "gpt-4o-2024-08-06"
    assert cost.total == D("0.0125")


def test_gpt4o_mini_batch() -> None:
    # gpt-4o-mini batch $0.075 in / $0.30 out (3.1): 10,000 x 0.075 + 2,000 x 0.30
    cost = cost_of(
        {"prompt_tokens": 10_000, "completion_tokens": 2_000},
        model="gpt-4o-mini",
        at="2025-06-01",
        batch=True,
    )
    assert cost.total == D("0.00075") + D("0.0006")
    assert cost.tier == "batch"


def test_batch_cached_tokens_bill_at_batch_input_rate_for_older_models() -> None:
    # 2.2: "For older models in Batch, bill cached tokens at the batch input rate."
    # gpt-4o batch input $1.25 (3.1): 3000 in (1000 cached) -> 3000 x 1.25; 1000 out x 5.00
    usage = {
        "prompt_tokens": 3000,
        "completion_tokens": 1000,
        "prompt_tokens_details": {"cached_tokens": 1000},
    }
    cost = cost_of(usage, model="gpt-4o-2024-08-06", at="2025-06-01", batch=True)
    assert cost.input == D("0.00375")
    assert cost.output == D("0.005")


def test_gpt4o_priority_tier() -> None:
    # gpt-4o priority $4.25 / $2.125 cached / $17.00 (3.1, 2.5)
    usage = {
        "prompt_tokens": 1000,
        "completion_tokens": 500,
        "prompt_tokens_details": {"cached_tokens": 200},
    }
    cost = cost_of(usage, model="gpt-4o", at="2025-09-01", tier="priority")
    # 800 x 4.25 = 3400e-6; 200 x 2.125 = 425e-6; 500 x 17 = 8500e-6
    assert cost.total == D("0.012325")
    assert cost.tier == "priority"
    # "fast" is priority's 2026 name (1.11); a downgraded request reports "default" = standard
    assert cost_of(usage, model="gpt-4o", at="2025-09-01", tier="fast").total == D("0.012325")
    standard = cost_of(usage, model="gpt-4o", at="2025-09-01", tier="default")
    # 800 x 2.50 + 200 x 1.25 + 500 x 10 = 2000 + 250 + 5000 (e-6)
    assert standard.total == D("0.00725")


def test_gpt4o_2024_05_13_has_no_cached_rate() -> None:
    # 3.1: gpt-4o-2024-05-13 $5 / $15 and no cached price: cached tokens bill at input rate
    usage = {
        "prompt_tokens": 2000,
        "completion_tokens": 0,
        "prompt_tokens_details": {"cached_tokens": 1024},
    }
    cost = cost_of(usage, model="gpt-4o-2024-05-13", at="2025-01-08")
    assert cost.total == D("0.01")  # 2000 x 5.00
    cached = next(line for line in cost.lines if line.dimension == "cached_input")
    assert cached.rate == D("5.00")
    assert cached.note is not None and "input rate" in cached.note


def test_gpt41_family() -> None:
    # gpt-4.1 $2.00 / $0.50 cached / $8.00; gpt-4.1-nano $0.10 / $0.025 / $0.40 (3.1)
    usage = {
        "prompt_tokens": 4000,
        "completion_tokens": 1000,
        "prompt_tokens_details": {"cached_tokens": 2000},
    }
    assert cost_of(usage, model="gpt-4.1", at="2025-06-01").total == D("0.013")
    # 2000 x 2 + 2000 x 0.5 + 1000 x 8 = 4000 + 1000 + 8000 (e-6)
    assert cost_of(usage, model="gpt-4.1-nano", at="2025-06-01").total == D("0.00065")
    # 2000 x 0.10 + 2000 x 0.025 + 1000 x 0.40 = 200 + 50 + 400 (e-6)


def test_legacy_gpt35() -> None:
    # gpt-3.5-turbo-0125 $0.50 / $1.50 (3.10; original table 0.0005 / 0.0015 per 1K)
    cost = cost_of(
        {"prompt_tokens": 1000, "completion_tokens": 1000},
        model="gpt-3.5-turbo-0125",
        at="2025-01-08",
    )
    assert cost.total == D("0.002")


# --------------------------------------------------------------------------- reasoning


def test_o3_flex_with_reasoning() -> None:
    # o3 flex (after the 2025-06-10 cut) $1.00 / $0.25 cached / $4.00 (3.2)
    usage = {
        "input_tokens": 10_000,
        "output_tokens": 5_000,
        "input_tokens_details": {"cached_tokens": 2_000},
        "output_tokens_details": {"reasoning_tokens": 4_000},
    }
    cost = cost_of(usage, model="o3", at="2025-07-01", tier="flex")
    # 8000 x 1.00 = 0.008; 2000 x 0.25 = 0.0005; 4000 x 4 = 0.016 (reasoning); 1000 x 4 = 0.004
    assert amounts(cost) == {
        "input": D("0.008"),
        "cached_input": D("0.0005"),
        "reasoning": D("0.016"),
        "output": D("0.004"),
    }
    assert cost.total == D("0.0285")
    reasoning = next(line for line in cost.lines if line.dimension == "reasoning")
    assert reasoning.note is not None and "output" in reasoning.note


def test_gpt5_reasoning_is_inside_output_never_added() -> None:
    # gpt-5 $1.25 / $0.125 cached / $10.00 (3.3)
    usage = {
        "input_tokens": 5000,
        "output_tokens": 3000,
        "input_tokens_details": {"cached_tokens": 4096},
        "output_tokens_details": {"reasoning_tokens": 2500},
    }
    cost = cost_of(usage, model="gpt-5", at="2025-09-01")
    # 904 x 1.25 = 1130e-6; 4096 x 0.125 = 512e-6; 3000 x 10 = 30000e-6
    assert cost.total == D("0.031642")
    assert sum(line.units for line in cost.lines if line.kind == "output") == 3000


def test_gpt5_batch_has_cached_discount() -> None:
    # gpt-5 batch $0.625 / $0.0625 cached / $5.00 (3.3, 2.2)
    usage = {
        "input_tokens": 5000,
        "output_tokens": 3000,
        "input_tokens_details": {"cached_tokens": 4096},
    }
    cost = cost_of(usage, model="gpt-5", at="2025-09-01", batch=True)
    # 904 x 0.625 = 565e-6; 4096 x 0.0625 = 256e-6; 3000 x 5 = 15000e-6
    assert cost.total == D("0.015821")


def test_gpt5_mini_priority_is_its_own_rate_not_a_multiplier() -> None:
    # gpt-5-mini priority $0.45 / $0.045 / $3.60 (1.8x, 2.5): 1M in + 1M out
    cost = cost_of(
        {"input_tokens": 1_000_000, "output_tokens": 1_000_000},
        model="gpt-5-mini",
        at="2025-09-01",
        tier="priority",
    )
    assert cost.total == D("4.05")


# --------------------------------------------------------------------------- long context


def test_gpt54_long_context_switches_whole_request() -> None:
    # gpt-5.4 above 272K input: $5.00 / $0.50 cached / $22.50 for the whole request (2.6, 3.3)
    usage = {
        "input_tokens": 300_000,
        "output_tokens": 10_000,
        "input_tokens_details": {"cached_tokens": 100_000},
    }
    cost = cost_of(usage, model="gpt-5.4", at="2026-04-01")
    # 200000 x 5 = 1.00; 100000 x 0.50 = 0.05; 10000 x 22.50 = 0.225
    assert cost.total == D("1.275")
    assert cost.tier == "default+long_context"


def test_gpt54_threshold_is_strictly_greater() -> None:
    # exactly 272,000 input tokens stays standard: 272000 x 2.50 + 10000 x 15.00 (3.3)
    cost = cost_of(
        {"input_tokens": 272_000, "output_tokens": 10_000}, model="gpt-5.4", at="2026-04-01"
    )
    assert cost.total == D("0.68") + D("0.15")
    assert cost.tier == "default"


def test_gpt54_long_context_batch_is_half_the_long_context_rate() -> None:
    # 2.6: long-context applies to Batch too; batch = half of the long-context rate (3.3)
    cost = cost_of(
        {"input_tokens": 300_000, "output_tokens": 10_000},
        model="gpt-5.4",
        at="2026-04-01",
        batch=True,
    )
    # 300000 x 2.50 = 0.75; 10000 x 11.25 = 0.1125
    assert cost.total == D("0.8625")


# --------------------------------------------------------------------------- cache writes


def test_gpt56_cache_writes_cost_125_percent() -> None:
    # gpt-5.6-sol before the promo: $5.00 in, $0.50 cached, $6.25 cache write, $30 out (3.4)
    usage = {
        "input_tokens": 10_000,
        "output_tokens": 1_000,
        "input_tokens_details": {"cached_tokens": 3_000, "cache_write_tokens": 4_000},
    }
    cost = cost_of(usage, model="gpt-5.6-sol", at="2026-08-01")
    # 3000 x 5 = 0.015; 3000 x 0.5 = 0.0015; 4000 x 6.25 = 0.025; 1000 x 30 = 0.03
    assert amounts(cost) == {
        "input": D("0.015"),
        "cached_input": D("0.0015"),
        "cache_write": D("0.025"),
        "output": D("0.03"),
    }
    assert cost.total == D("0.0715")


def test_cache_writes_before_gpt56_bill_at_plain_input_rate() -> None:
    # 2.2: cache writes are free (plain input rate) before GPT-5.6; gpt-5 input $1.25 (3.3)
    usage = Usage(input_tokens=4000, cache_write_tokens=3000, output_tokens=0)
    cost = cost_of(usage, model="gpt-5", at="2025-09-01")
    assert cost.total == D("0.005")  # 4000 x 1.25
    write = next(line for line in cost.lines if line.dimension == "cache_write")
    assert write.rate == D("1.25")
    assert write.note is not None


# --------------------------------------------------------------------------- audio and images


def test_audio_preview_text_and_audio_tokens() -> None:
    # gpt-4o-audio-preview-2024-12-17: text $2.50 / $10, audio $40 / $80 (3.5; original table)
    usage = {
        "prompt_tokens": 1000,
        "completion_tokens": 500,
        "prompt_tokens_details": {"audio_tokens": 600},
        "completion_tokens_details": {"audio_tokens": 400},
    }
    cost = cost_of(usage, model="gpt-4o-audio-preview-2024-12-17", at="2025-01-08")
    # text in 400 x 2.5 = 0.001; audio in 600 x 40 = 0.024; audio out 400 x 80 = 0.032;
    # text out 100 x 10 = 0.001
    assert amounts(cost) == {
        "input": D("0.001"),
        "audio_input": D("0.024"),
        "audio_output": D("0.032"),
        "output": D("0.001"),
    }


def test_realtime_cached_per_modality() -> None:
    # Realtime docs example: input 132 = text 119 + audio 13, cached 64 (all text) (1.6).
    # gpt-realtime: text $4 / $0.40 cached / $16, audio $32 / $0.40 cached / $64 (3.5)
    usage = {
        "input_tokens": 132,
        "output_tokens": 50,
        "input_token_details": {
            "text_tokens": 119,
            "audio_tokens": 13,
            "cached_tokens": 64,
            "cached_tokens_details": {"text_tokens": 64, "audio_tokens": 0},
        },
        "output_token_details": {"text_tokens": 10, "audio_tokens": 40},
    }
    cost = cost_of(usage, model="gpt-realtime", at="2025-09-01")
    # cached text 64 x 0.40 = 25.6e-6; text 55 x 4 = 220e-6; audio 13 x 32 = 416e-6;
    # audio out 40 x 64 = 2560e-6; text out 10 x 16 = 160e-6
    assert cost.total == D("0.0033816")


def test_audio_tokens_on_text_model_is_an_error() -> None:
    usage = {
        "prompt_tokens": 100,
        "completion_tokens": 0,
        "prompt_tokens_details": {"audio_tokens": 50},
    }
    with pytest.raises(PricingError, match="audio_input"):
        cost_of(usage, model="gpt-4o-mini", at="2025-06-01")


def test_gpt_image_1_output_is_image_tokens() -> None:
    # gpt-image-1: text in $5.00, image in $10.00, image out $40.00 (3.7). A 1024x1024 high
    # quality image is 4160 output tokens (1.9).
    usage = {
        "input_tokens": 50,
        "output_tokens": 4160,
        "input_tokens_details": {"text_tokens": 50, "image_tokens": 0},
    }
    cost = cost_of(usage, model="gpt-image-1", at="2025-06-01")
    # 50 x 5 = 250e-6; 4160 x 40 = 166400e-6
    assert cost.total == D("0.16665")


def test_dalle3_per_image() -> None:
    # DALL-E 3 HD 1024x1024 $0.08 per image (3.7)
    usage = Usage(images=2, image_size="1024x1024", image_quality="hd")
    cost = cost_of(usage, model="dall-e-3", at="2025-06-01")
    assert cost.total == D("0.16")
    assert cost.fees == D("0.16")


# --------------------------------------------------------------------------- other units


def test_tts1_per_character() -> None:
    # tts-1 $15 per 1M input characters (3.6)
    cost = cost_of(Usage(characters=1000), model="tts-1", at="2025-06-01")
    assert cost.total == D("0.015")


def test_whisper_per_minute() -> None:
    # whisper-1 $0.006 per minute (3.6): 90 s = 1.5 min
    cost = cost_of({"type": "duration", "seconds": 90}, model="whisper-1", at="2025-06-01")
    assert cost.total == D("0.009")


def test_gpt4o_transcribe_audio_tokens() -> None:
    # gpt-4o-transcribe: audio in $6.00, text in $2.50, text out $10.00 (3.6)
    usage = {
        "type": "tokens",
        "input_tokens": 1000,
        "output_tokens": 200,
        "input_token_details": {"audio_tokens": 900, "text_tokens": 100},
    }
    cost = cost_of(usage, model="gpt-4o-transcribe", at="2025-06-01")
    # 900 x 6 = 5400e-6; 100 x 2.5 = 250e-6; 200 x 10 = 2000e-6
    assert cost.total == D("0.00765")


def test_embeddings_standard_and_batch() -> None:
    # text-embedding-3-small $0.02, batch $0.01 (3.8)
    usage = {"prompt_tokens": 1_000_000, "total_tokens": 1_000_000}
    assert cost_of(usage, model="text-embedding-3-small", at="2025-06-01").total == D("0.02")
    assert cost_of(usage, model="text-embedding-3-small", at="2025-06-01", batch=True).total == D(
        "0.01"
    )


def test_fine_tuned_model_prices_at_fine_tuned_rates() -> None:
    # ft gpt-4o-mini-2024-07-18 inference $0.30 / $0.15 cached / $1.20 (3.9)
    cost = cost_of(
        {"prompt_tokens": 10_000, "completion_tokens": 1_000},
        model="ft:gpt-4o-mini-2024-07-18:acme:support:9xYz",
        at="2025-06-01",
    )
    assert cost.total == D("0.0042")  # 10000 x 0.30 + 1000 x 1.20


def test_web_search_fee() -> None:
    # web search $10 / 1K calls = $0.01 per call (2.7); gpt-5 tokens $1.25 / $10 (3.3)
    usage = Usage(input_tokens=1000, output_tokens=100, tool_calls={"web_search_call": 2})
    cost = cost_of(usage, model="gpt-5", at="2025-12-01")
    assert cost.fees == D("0.02")
    assert cost.total == D("0.00125") + D("0.001") + D("0.02")


# --------------------------------------------------------------------------- errors


def test_flex_on_a_model_without_flex_is_an_error() -> None:
    with pytest.raises(PricingError, match="no flex price"):
        cost_of(
            {"prompt_tokens": 1, "completion_tokens": 1},
            model="gpt-4o",
            at="2025-09-01",
            tier="flex",
        )


@pytest.mark.parametrize("tier", ["flex", "priority", "ultrafast"])
def test_batch_with_a_tier_is_an_error(tier: str) -> None:
    with pytest.raises(PricingError, match="batch=True cannot be combined"):
        cost_of(
            {"input_tokens": 1, "output_tokens": 1},
            model="gpt-6.2-sol",
            at="2026-11-20",
            batch=True,
            tier=tier,
        )


@pytest.mark.parametrize("tier", ["turbo", "FLEXX", "", 3])
def test_unknown_tier_is_an_error(tier: object) -> None:
    with pytest.raises(PricingError, match="unknown tier"):
        cost_of({"input_tokens": 1, "output_tokens": 1}, model="gpt-5", at="2025-09-01", tier=tier)  # type: ignore[arg-type]


def test_ultrafast_has_no_public_price() -> None:
    with pytest.raises(PricingError, match="ultrafast"):
        cost_of(
            {"input_tokens": 1, "output_tokens": 1},
            model="gpt-5",
            at="2025-09-01",
            tier="ultrafast",
        )


def test_bare_usage_needs_a_model() -> None:
    with pytest.raises(UsageError, match="model= is required"):
        cost_of({"prompt_tokens": 1, "completion_tokens": 1})


def test_unknown_model_is_never_zero() -> None:
    with pytest.raises(oc.UnknownModelError) as info:
        cost_of({"prompt_tokens": 1, "completion_tokens": 1}, model="gpt-4o-mimi")
    assert "gpt-4o-mini" in str(info.value)
    assert isinstance(info.value, LookupError)


@pytest.mark.parametrize(
    ("usage", "message"),
    [
        (
            {
                "prompt_tokens": 10,
                "completion_tokens": 0,
                "prompt_tokens_details": {"cached_tokens": 11},
            },
            "cached_tokens",
        ),
        (
            {
                "prompt_tokens": 10,
                "completion_tokens": 5,
                "completion_tokens_details": {"reasoning_tokens": 6},
            },
            "reasoning_tokens",
        ),
        ({"prompt_tokens": -1, "completion_tokens": 0}, "prompt_tokens"),
        ({"prompt_tokens": 1.5, "completion_tokens": 0}, "prompt_tokens"),
        ({"prompt_tokens": float("nan"), "completion_tokens": 0}, "prompt_tokens"),
        ({"prompt_tokens": "12", "completion_tokens": 0}, "prompt_tokens"),
        ({"prompt_tokens": True, "completion_tokens": 0}, "prompt_tokens"),
        (
            {
                "input_tokens": 10,
                "output_tokens": 0,
                "input_tokens_details": {"cached_tokens": 6, "cache_write_tokens": 5},
            },
            "cache_write_tokens",
        ),
    ],
)
def test_contradictory_or_malformed_usage_is_a_usage_error(
    usage: dict[str, object], message: str
) -> None:
    with pytest.raises(UsageError, match=message):
        cost_of(usage, model="gpt-5", at="2025-09-01")


def test_sdk_objects_are_read_like_dicts() -> None:
    from openai.types.completion_usage import CompletionUsage, PromptTokensDetails

    usage = CompletionUsage(
        prompt_tokens=2006,
        completion_tokens=300,
        total_tokens=2306,
        prompt_tokens_details=PromptTokensDetails(cached_tokens=1920),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cost = cost_of(usage, model="gpt-4o-2024-08-06", at="2025-06-01")
    assert cost.total == D("0.005615")  # same as the dict case above

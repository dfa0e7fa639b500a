"""`cost_of`'s fast paths: Chat usage dicts read directly, lines written out on first use.

`price` computes the totals (and looks up every rate, so a missing one raises at once) and
leaves the per-bucket lines to be written out when first read. These tests hold the deferred
lines to the same values, the errors to the call itself, and copies, pickles and comparisons to
what an eagerly built `Cost` gives. Expected figures are computed by hand from
../shared/reference/openai-billing.md (section named in the comment).
"""

from __future__ import annotations

import copy
import dataclasses
import pickle
import threading
from decimal import Decimal

import pytest

from openai_cost import Cost, PricingError, Usage, UsageError, cost_of
from openai_cost.types import CostLine
from openai_cost.usage import chat_dict_usage, usage_from_mapping

D = Decimal

# The prompt-caching guide's example usage; gpt-4o-2024-08-06: input $2.50, cached $1.25,
# output $10.00 per 1M tokens (3.1)
USAGE = {
    "prompt_tokens": 2006,
    "completion_tokens": 300,
    "total_tokens": 2306,
    "prompt_tokens_details": {"cached_tokens": 1920},
}
WANT_LINES = (
    CostLine("cached_input", 1920, D("1.25"), "1M tokens", D("0.0024"), "input"),
    CostLine("input", 86, D("2.50"), "1M tokens", D("0.000215"), "input"),
    CostLine("output", 300, D("10.00"), "1M tokens", D("0.003"), "output"),
)


def _cost() -> Cost:
    return cost_of(USAGE, model="gpt-4o-2024-08-06", at="2025-06-01")


def test_deferred_lines_hold_the_hand_computed_buckets() -> None:
    c = _cost()
    assert c.input == D("0.002615") and c.output == D("0.003") and c.total == D("0.005615")
    assert c.lines == WANT_LINES
    assert c.lines is c.lines  # written out once
    assert sum(ln.amount for ln in c.lines) == c.total


def test_a_deferred_cost_equals_copies_pickles_and_an_eager_cost() -> None:
    c = _cost()
    eager = Cost(c.model, WANT_LINES, c.input, c.output, c.fees, c.price_since, c.tier, c.source)
    for other in (
        _cost(),
        copy.copy(_cost()),
        copy.deepcopy(_cost()),
        pickle.loads(pickle.dumps(_cost())),
        dataclasses.replace(_cost()),
    ):
        assert other == c == eager
        assert hash(other) == hash(eager)
        assert other.lines == WANT_LINES
    assert dataclasses.asdict(_cost()) == dataclasses.asdict(eager)
    assert "_pending" not in pickle.loads(pickle.dumps(_cost())).__dict__
    assert "CostLine(dimension='cached_input'" in repr(_cost())
    assert repr(_cost()) == repr(c)
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _cost().nope  # noqa: B018
    with pytest.raises(dataclasses.FrozenInstanceError):
        _cost().lines = ()  # type: ignore[misc]


def test_lines_read_from_many_threads_at_once_are_one_tuple() -> None:
    c = _cost()
    seen: list[tuple[CostLine, ...]] = []
    threads = [threading.Thread(target=lambda: seen.append(c.lines)) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(s == WANT_LINES for s in seen) and len(seen) == 8


def test_a_missing_rate_raises_at_the_call_not_when_the_lines_are_read() -> None:
    # gpt-4o-mini has no audio rate: audio input has no fallback (pricing rules)
    with pytest.raises(PricingError, match="audio_input"):
        cost_of(Usage(input_tokens=10, audio_input_tokens=5), model="gpt-4o-mini", at="2025-06-01")
    # a text model has no per-character rate: the fee raises at the call too
    with pytest.raises(PricingError, match="characters"):
        cost_of(Usage(characters=100), model="gpt-4o-mini", at="2025-06-01")


def test_fee_lines_follow_the_token_lines() -> None:
    # tts-1: $15.00 per 1M characters (reference price list): 2,000 x 15 / 1M = 0.03
    c = cost_of(Usage(characters=2000), model="tts-1", at="2025-06-01")
    assert c.fees == D("0.03")
    assert [(ln.dimension, ln.amount, ln.kind) for ln in c.lines] == [
        ("characters", D("0.03"), "fee")
    ]


def test_every_chat_field_lands_in_its_usage_field() -> None:
    # distinct values for every key the Chat fast path reads (its call is positional)
    d = {
        "prompt_tokens": 1000,
        "completion_tokens": 500,
        "total_tokens": 1500,
        "prompt_tokens_details": {
            "cached_tokens": 100,
            "cache_write_tokens": 50,
            "audio_tokens": 30,
            "image_tokens": 20,
        },
        "completion_tokens_details": {
            "reasoning_tokens": 70,
            "audio_tokens": 40,
            "rejected_prediction_tokens": 10,
            "accepted_prediction_tokens": 5,
        },
    }
    u = chat_dict_usage(d)
    assert u == usage_from_mapping(d)
    assert u == Usage(
        input_tokens=1000,
        output_tokens=500,
        cached_tokens=100,
        cache_write_tokens=50,
        audio_input_tokens=30,
        image_input_tokens=20,
        reasoning_tokens=70,
        audio_output_tokens=40,
        rejected_prediction_tokens=10,
        accepted_prediction_tokens=5,
    )


def test_only_chat_usage_dicts_take_the_shortcut() -> None:
    assert chat_dict_usage({"input_tokens": 5, "output_tokens": 1}) is None
    assert chat_dict_usage({"prompt_tokens": 5, "usage": {}}) is None
    assert chat_dict_usage({"completion_tokens": 5}) is None
    # a contradiction is refused with the API's field names, as usage_from_mapping does
    bad = {"prompt_tokens": 5, "prompt_tokens_details": {"cached_tokens": 9}}
    with pytest.raises(UsageError) as fast:
        chat_dict_usage(bad)
    with pytest.raises(UsageError) as slow:
        usage_from_mapping(bad)
    assert str(fast.value) == str(slow.value)
    with pytest.raises(UsageError):
        cost_of({"prompt_tokens": -1}, model="gpt-4o")


@pytest.mark.parametrize(
    "counts",
    [
        {"input_tokens": 2006, "cached_tokens": 1920, "output_tokens": 300},
        {"input_tokens": 10, "output_tokens": 7, "reasoning_tokens": 7},
        {"output_tokens": 9, "rejected_prediction_tokens": 4},
        {"input_tokens": 50, "cached_tokens": 10, "cache_write_tokens": 20},
        {"input_tokens": 50, "audio_input_tokens": 20, "cached_tokens": 5},
        {
            "input_tokens": 50,
            "image_input_tokens": 20,
            "cached_tokens": 3,
            "cached_image_tokens": 3,
        },
        {"input_tokens": 5, "output_tokens": 50, "audio_output_tokens": 20},
        {"output_tokens": 50, "image_output_tokens": 20, "reasoning_tokens": 10},
        {"input_tokens": 10, "output_tokens": 5, "image_size": "1024x1024", "image_quality": "hd"},
    ],
)
def test_the_totals_are_the_sums_of_the_lines(counts: dict[str, int]) -> None:
    """The totals (text-only shortcut or the general loop) and the deferred lines (always
    the general bucket split) agree, side by side, on usages of every shape."""
    from openai_cost.catalog import catalog
    from openai_cost.pricing import price
    from openai_cost.types import TOKEN_DIMENSIONS

    # a made-up entry with a distinct rate for every bucket, so that a bucket billed at the
    # wrong rate or on the wrong side shows
    mp = catalog().resolve("gpt-4o", at="2025-01-08")
    rates = {k: D(i + 1) for i, k in enumerate(sorted(TOKEN_DIMENSIONS))}
    period = dataclasses.replace(mp.period, standard=rates)
    c = price(Usage(**counts), dataclasses.replace(mp, period=period))  # type: ignore[arg-type]
    assert c.input == sum((ln.amount for ln in c.lines if ln.kind == "input"), D(0))
    assert c.output == sum((ln.amount for ln in c.lines if ln.kind == "output"), D(0))
    for ln in c.lines:
        assert ln.amount == rates[ln.dimension] * ln.units / 1_000_000


@pytest.mark.parametrize(
    "counts",
    [(2006, 300, 1920, 0), (0, 0, 0, 0), (10, 7, 10, 7), (2**70, 1, 0, 1)],
)
def test_the_text_usage_shortcut_builds_what_usage_builds(counts: tuple[int, ...]) -> None:
    from openai_cost.usage._mapping import _text_usage

    inp, out, cached, reasoning = counts
    want = Usage(inp, out, cached, reasoning_tokens=reasoning)
    got = _text_usage(inp, out, cached, reasoning)
    assert got == want and repr(got) == repr(want)
    assert got.to_dict() == want.to_dict() and got.total_tokens == want.total_tokens


@pytest.mark.parametrize(
    "counts",
    [(-1, 0, 0, 0), (5, 0, 6, 0), (5, 3, 0, 4), (True, 0, 0, 0), (5.0, 0, 0, 0), ("5", 0, 0, 0)],
)
def test_the_text_usage_shortcut_leaves_other_counts_to_usage(counts: tuple[object, ...]) -> None:
    from openai_cost.usage._mapping import _text_usage

    assert _text_usage(*counts) is None
    d = {
        "prompt_tokens": counts[0],
        "completion_tokens": counts[1],
        "prompt_tokens_details": {"cached_tokens": counts[2]},
        "completion_tokens_details": {"reasoning_tokens": counts[3]},
    }
    # the dict path reads it as usage_from_mapping does: the same Usage or the same error
    outcomes = []
    for read in (chat_dict_usage, usage_from_mapping):
        try:
            outcomes.append(read(d))
        except UsageError as e:
            outcomes.append(str(e))
    assert outcomes[0] == outcomes[1]
    if counts != (5.0, 0, 0, 0):  # a whole float is read as its integer
        assert isinstance(outcomes[0], str)


def test_a_chat_usage_as_the_api_sends_it() -> None:
    # every detail key present, the non-text ones zero (a chat.completions response's usage)
    d = {
        "prompt_tokens": 2006,
        "completion_tokens": 300,
        "total_tokens": 2306,
        "prompt_tokens_details": {"cached_tokens": 1920, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": 64,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }
    u = chat_dict_usage(d)
    assert u == usage_from_mapping(d)
    assert u == Usage(input_tokens=2006, output_tokens=300, cached_tokens=1920, reasoning_tokens=64)
    # gpt-4o-2024-08-06 (3.1): 86 x 2.50 + 1920 x 1.25 = 0.002615; reasoning bills at the
    # output rate: 300 x 10.00 = 0.003
    assert cost_of(d, model="gpt-4o-2024-08-06", at="2025-06-01").total == D("0.005615")


@pytest.mark.parametrize(
    "extra",
    [{"tool_calls": {"web_search_call": 2}}, {"characters": 5}, {"audio_seconds": D(3)}],
)
def test_a_text_usage_with_a_fee_reaches_the_fees(extra: dict[str, object]) -> None:
    # the made-up entry has token rates only: the fee has no rate, and says so (never $0)
    from openai_cost.catalog import catalog
    from openai_cost.pricing import price
    from openai_cost.types import TOKEN_DIMENSIONS

    mp = catalog().resolve("gpt-4o", at="2025-01-08")
    period = dataclasses.replace(mp.period, standard=dict.fromkeys(TOKEN_DIMENSIONS, D(1)))
    u = Usage(input_tokens=10, output_tokens=5, **extra)  # type: ignore[arg-type]
    with pytest.raises(PricingError, match="cannot be priced"):
        price(u, dataclasses.replace(mp, period=period))


def test_only_text_counts_keep_a_usage_on_the_plain_path() -> None:
    """`price` skips its per-field checks for a Usage holding six fields or fewer (its text
    fast path stores input, output, cached and reasoning counts, and image size / quality).
    Any other count set must make `Usage` store every field."""
    from openai_cost.pricing import _TEXT_FIELDS
    from openai_cost.types import USAGE_COUNT_FIELDS

    text = {"input_tokens", "output_tokens", "cached_tokens", "reasoning_tokens"}
    whole = {"input_tokens": 100, "output_tokens": 100, "cached_tokens": 50}
    for name in (*USAGE_COUNT_FIELDS, "audio_seconds", "tool_calls"):
        if name in text:
            continue
        value: object = {"web_search_call": 1} if name == "tool_calls" else 1
        extra: dict[str, object] = {
            "images": {"image_size": "1024x1024", "image_quality": "hd"},
            "cache_write_12h_tokens": {"cache_write_tokens": 1},
            "cached_audio_tokens": {"audio_input_tokens": 1},
            "cached_image_tokens": {"image_input_tokens": 1},
        }.get(name, {})  # type: ignore[assignment]
        u = Usage(**whole, **{name: value}, **extra)  # type: ignore[arg-type]
        assert len(u.__dict__) > _TEXT_FIELDS, name
    assert len(Usage(**whole, reasoning_tokens=5).__dict__) <= _TEXT_FIELDS

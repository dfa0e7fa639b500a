"""Property-based tests: random usages, model names, dates, response bodies and raw file bytes.

Invariants:
- nothing escapes `cost_of`, `extract_usage`, `iter_records` or `summarize` but the package's
  own exceptions (`OpenAICostError`);
- a usage with billable tokens is never priced at $0;
- `summarize` equals the sum of each call's `cost_of`;
- the command line never prints a traceback: exit 0, 1 or 2, and errors are one line.

Bounded for `make test`: the ``openai-cost`` settings profile caps the examples per test and
turns the deadline off (a shared CI machine has slow moments); set HYPOTHESIS_PROFILE=deep to
explore further by hand.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import os
import tempfile
import warnings
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openai_cost import OpenAICostError, PricingWarning, cost_of, extract_usage
from openai_cost._cli import main
from openai_cost.summary import iter_records, summarize

settings.register_profile(
    "openai-cost",
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("deep", max_examples=2000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "openai-cost"))

# chat models whose every token rate is above zero at every date they are priced
CHAT_MODELS = ("gpt-4o", "gpt-4o-mini", "gpt-4o-2024-08-06", "gpt-4.1", "gpt-5", "o3", "o4-mini")
USAGE_KEYS = (
    "prompt_tokens",
    "completion_tokens",
    "total_tokens",
    "input_tokens",
    "output_tokens",
    "prompt_tokens_details",
    "completion_tokens_details",
    "input_tokens_details",
    "output_tokens_details",
    "input_token_details",
    "cached_tokens",
    "reasoning_tokens",
    "audio_tokens",
    "image_tokens",
    "type",
    "seconds",
)
OBJECTS = (
    "chat.completion",
    "chat.completion.chunk",
    "response",
    "text_completion",
    "embedding",
    "list",
)
EVENTS = ("response.completed", "response.created", "response.done", "response.output_text.delta")

counts = st.one_of(
    st.integers(min_value=0, max_value=10**7),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.none(),
    st.booleans(),
    st.text(max_size=4),
)
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=12), counts
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.sampled_from(USAGE_KEYS) | st.text(max_size=8), inner, max_size=5),
    ),
    max_leaves=16,
)
usages = st.dictionaries(
    st.sampled_from(USAGE_KEYS),
    st.one_of(counts, st.dictionaries(st.sampled_from(USAGE_KEYS), counts, max_size=4)),
    max_size=6,
)
model_names = st.one_of(
    st.sampled_from(CHAT_MODELS),
    st.text(max_size=30),
    st.sampled_from(("ft:gpt-4o-mini-2024-07-18:org::x", "openai/gpt-4o", "gpt-5-2025-08-07")),
)
dates = st.one_of(
    st.none(),
    st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)),
    st.datetimes(timezones=st.just(timezone.utc)),
    st.sampled_from(("2025-01-08", "not-a-date", "")),
)
created = st.one_of(
    st.integers(min_value=1_700_000_000, max_value=1_800_000_000),
    st.integers(),
    st.floats(),
    st.text(max_size=6),
    st.none(),
)
bodies = st.fixed_dictionaries(
    {},
    optional={
        "object": st.sampled_from(OBJECTS) | st.text(max_size=6),
        "type": st.sampled_from(EVENTS),
        "model": model_names,
        "created": created,
        "created_at": created,
        "usage": usages | json_values,
        "service_tier": st.sampled_from(("default", "flex", "priority", "scale", "auto", "x")),
        "response": json_values,
        "custom_id": st.text(max_size=4),
        "choices": json_values,
        "request": json_values,
    },
)


def _quiet(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Call fn; PricingWarning (an unknown usage key) is expected here, other warnings are not."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PricingWarning)
        return fn(*args, **kwargs)


@given(usage=usages, model=model_names, at=dates, tier=st.sampled_from((None, "flex", "batch")))
def test_cost_of_raises_only_its_own_errors(usage: Any, model: str, at: Any, tier: Any) -> None:
    try:
        cost = _quiet(cost_of, usage, model=model, at=at, tier=tier)
    except OpenAICostError:
        return
    assert isinstance(cost.total, Decimal) and cost.total.is_finite()


@given(body=bodies | json_values)
def test_extract_usage_raises_only_its_own_errors(body: Any) -> None:
    try:
        call = _quiet(extract_usage, body)
    except OpenAICostError:
        return
    u = call.usage
    assert isinstance(u.input_tokens, int) and u.input_tokens >= 0
    assert isinstance(u.output_tokens, int) and u.output_tokens >= 0
    with contextlib.suppress(OpenAICostError):
        _quiet(cost_of, body)


@st.composite
def valid_usages(draw: st.DrawFn) -> dict[str, Any]:
    inp = draw(st.integers(min_value=0, max_value=2_000_000))
    out = draw(st.integers(min_value=0, max_value=200_000))
    cached = draw(st.integers(min_value=0, max_value=inp))
    reasoning = draw(st.integers(min_value=0, max_value=out))
    if draw(st.booleans()):
        return {
            "prompt_tokens": inp,
            "completion_tokens": out,
            "prompt_tokens_details": {"cached_tokens": cached},
            "completion_tokens_details": {"reasoning_tokens": reasoning},
        }
    return {
        "input_tokens": inp,
        "output_tokens": out,
        "input_tokens_details": {"cached_tokens": cached},
        "output_tokens_details": {"reasoning_tokens": reasoning},
    }


@given(
    usage=valid_usages(),
    model=st.sampled_from(CHAT_MODELS),
    day=st.dates(min_value=date(2025, 9, 1), max_value=date(2026, 11, 1)),
)
def test_billable_tokens_are_never_priced_at_zero(usage: Any, model: str, day: date) -> None:
    cost = cost_of(usage, model=model, at=day)
    billable = usage.get("prompt_tokens", usage.get("input_tokens")) or usage.get(
        "completion_tokens", usage.get("output_tokens")
    )
    if billable:
        assert cost.total > 0
    else:
        assert cost.total == 0


@st.composite
def chat_bodies(draw: st.DrawFn) -> dict[str, Any]:
    day = draw(st.dates(min_value=date(2024, 1, 1), max_value=date(2026, 11, 1)))
    ts = int(datetime(day.year, day.month, day.day, tzinfo=timezone.utc).timestamp())
    ts += draw(st.integers(min_value=0, max_value=86399))
    usage = draw(valid_usages())
    tier = draw(st.sampled_from((None, "default", "flex", "priority")))
    body: dict[str, Any] = {
        "id": "x",
        "model": draw(st.sampled_from((*CHAT_MODELS, "no-such-model"))),
        "usage": usage,
    }
    if "prompt_tokens" in usage:
        body |= {"object": "chat.completion", "created": ts}
    else:
        body |= {"object": "response", "created_at": ts}
    if tier:
        body["service_tier"] = tier
    return body


@given(calls=st.lists(chat_bodies(), max_size=12))
def test_summarize_equals_the_sum_of_cost_of(calls: list[dict[str, Any]]) -> None:
    total = Decimal(0)
    priced = unpriced = 0
    for body in calls:
        try:
            total += cost_of(body).total
            priced += 1
        except OpenAICostError:
            unpriced += 1
    s = summarize(calls)
    assert s.total_usd == total
    assert (s.calls, s.unpriced + s.malformed) == (priced, unpriced)
    assert s.records == len(calls)


lines = st.one_of(
    json_values.map(json.dumps),
    bodies.map(json.dumps),
    chat_bodies().map(json.dumps),
    st.text(max_size=40),
    st.sampled_from(("data: [DONE]", "data: {", "event: x", "[", "{", "\ufeff{}", "[[[[")),
)
raw_files = st.one_of(
    st.binary(max_size=300),
    st.lists(lines, max_size=8).map(lambda ls: "\n".join(ls).encode("utf-8", "surrogatepass")),
)


@given(data=raw_files, compress=st.sampled_from((None, "whole", "cut")))
def test_any_file_bytes_are_read_or_listed(data: bytes, compress: str | None) -> None:
    if compress is not None:
        data = gzip.compress(data)
        if compress == "cut":
            data = data[: len(data) // 2]
    s = _quiet(summarize, iter_records(io.BytesIO(data)))
    assert s.records >= s.calls + s.skipped + s.failed
    assert s.total_usd.is_finite()


def _no_traceback(args: list[str], stdin: str | None = None) -> None:
    result = _quiet(CliRunner().invoke, main, args, input=stdin)
    assert result.exit_code in (0, 1, 2), (args, result.output)
    exc = result.exception
    assert exc is None or isinstance(exc, SystemExit), (args, repr(exc))
    assert "Traceback" not in result.output
    if result.exit_code == 1 and result.stderr.startswith("Error: "):
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr


@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=20)
@given(
    data=raw_files,
    name=st.sampled_from(("log.jsonl", "log.jsonl.gz", "log.json", "x.sse")),
    command=st.sampled_from(
        (
            ["analyze"],
            ["analyze", "--json"],
            ["analyze", "--strict", "--by", "day"],
            ["tokens", "-m", "gpt-4o"],
            ["estimate", "-m", "gpt-4o", "--compare", "gpt-5,nope"],
        )
    ),
)
def test_the_cli_never_prints_a_traceback_on_any_file(
    data: bytes, name: str, command: list[str]
) -> None:
    with tempfile.TemporaryDirectory() as d:
        f = Path(d) / name
        f.write_bytes(data)
        _no_traceback([*command, str(f)])


@settings(max_examples=25)
@given(
    model=model_names,
    at=st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)),
    n=st.integers(min_value=0, max_value=10**30),
    extra=st.sampled_from(([], ["--json"], ["--tier", "flex"], ["--batch"], ["--cached", "5"])),
)
def test_the_cli_never_prints_a_traceback_on_any_price(
    model: str, at: date, n: int, extra: list[str]
) -> None:
    if model.startswith("-"):
        model = "x" + model
    _no_traceback(["price", model, "-i", str(n), "-o", str(n), "--at", at.isoformat(), *extra])
    _no_traceback(["models", model, "--at", at.isoformat(), *extra[:1]])


@settings(max_examples=8)
@given(
    since=st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)),
    span=st.integers(min_value=0, max_value=10**6),
)
def test_the_cli_never_prints_a_traceback_on_any_report_range(since: date, span: int) -> None:
    with tempfile.TemporaryDirectory() as d:
        from openai_cost import Ledger

        url = f"sqlite:///{Path(d) / 'l.db'}"
        with Ledger(url) as led:
            led.records()
        until = min(since + timedelta(days=min(span, (date.max - since).days)), date.max)
        _no_traceback(["report", "--db", url, "--since", str(since), "--until", str(until)])

"""Tracked streams yield exactly what untracked ones do.

Tracking adds ``stream_options.include_usage`` to chat and completions streams that did not ask
for usage, so that the call can be priced; the usage chunk the server then sends is read at the
transport and kept from the SDK, so the caller sees the stream it asked for. These tests drive
the real ``openai`` SDK against the local server twice, tracked and untracked, and compare what
the caller gets.

Costs: gpt-4o-mini at $0.15 in, $0.60 out per 1M (openai-billing.md 3.1); the server reports 14
prompt and 30 completion tokens for a chat stream, 5 and 7 for a completions stream.
"""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from typing import Any

import openai
import pytest

import openai_cost
from _tracking_helpers import (
    HELLO,
    close_clients,  # noqa: F401  (autouse fixture)
    closing,
    ledger,
    prices,
    rows,
    run_tag,
    server,
)
from fake_openai_server import FakeOpenAI
from openai_cost.catalog import Catalog

__all__ = ["ledger", "prices", "server"]  # fixtures used by name

# 14 x $0.15 + 30 x $0.60 per 1M = 2.1 + 18.0 micro-dollars
MINI_STREAM = Decimal("0.0000201")
# 5 x $0.15 + 7 x $0.60 per 1M = 0.75 + 4.2 micro-dollars
MINI_COMPLETION = Decimal("0.00000495")

# what differs between two calls to the server whatever tracking does
_PER_CALL = {"id", "created", "created_at", "item_id", "sequence_number"}

# stream_options as the caller passes them; None: not passed at all
ASKS = {
    "no-stream-options": None,
    "usage-asked": {"include_usage": True},
    "usage-refused": {"include_usage": False},
    "other-option-only": {"include_obfuscation": False},
}


def _norm(obj: Any) -> Any:
    """A value as the caller sees it (only the fields the server set: ``to_dict()`` drops
    unset ones), without the ids and times that differ between two calls."""
    if hasattr(obj, "to_dict"):
        obj = obj.to_dict()
    if isinstance(obj, dict):
        return {k: _norm(v) for k, v in obj.items() if k not in _PER_CALL}
    if isinstance(obj, list):
        return [_norm(v) for v in obj]
    return obj


def _clients(srv: FakeOpenAI, led: Any, prices: Catalog, tag: str) -> tuple[Any, Any]:
    plain = closing(openai.OpenAI(base_url=srv.base_url, api_key="test"))
    tracked = closing(openai.OpenAI(base_url=srv.base_url, api_key="test"))
    openai_cost.track(tracked, ledger=led, tags={"run": tag}, prices=prices)
    return plain, tracked


def _kwargs(ask: str) -> dict[str, Any]:
    opts = ASKS[ask]
    kw: dict[str, Any] = {"model": "gpt-4o-mini", "messages": HELLO, "stream": True}
    if opts is not None:
        kw["stream_options"] = opts
    return kw


def test_plain_loop_over_a_tracked_stream_reads_choices(
    server: FakeOpenAI, ledger: Any, prices: Catalog
) -> None:
    tag = run_tag()
    _, client = _clients(server, ledger, prices, tag)
    stream = client.chat.completions.create(model="gpt-4o-mini", messages=HELLO, stream=True)
    text = ""
    for ch in stream:  # the loop every tutorial shows: every chunk has a choice
        text += ch.choices[0].delta.content or ""
    assert text == "The weather in"
    [rec] = rows(ledger, tag=tag)
    assert rec.status == "ok" and rec.total_usd == MINI_STREAM  # priced from the hidden chunk


@pytest.mark.parametrize("ask", list(ASKS))
def test_chat_stream_chunks_equal_untracked(
    ask: str, server: FakeOpenAI, ledger: Any, prices: Catalog
) -> None:
    tag = run_tag()
    plain, tracked = _clients(server, ledger, prices, tag)
    want = [_norm(c) for c in plain.chat.completions.create(**_kwargs(ask))]
    got = [_norm(c) for c in tracked.chat.completions.create(**_kwargs(ask))]
    assert got == want
    asked = bool((ASKS[ask] or {}).get("include_usage"))
    assert (got[-1]["choices"] == []) is asked  # the usage chunk only when asked for
    if asked:
        assert got[-1]["usage"]["completion_tokens"] == 30
    [rec] = rows(ledger, tag=tag)
    assert rec.status == "ok" and rec.total_usd == MINI_STREAM


@pytest.mark.parametrize("ask", ["no-stream-options", "usage-asked"])
def test_async_chat_stream_chunks_equal_untracked(
    ask: str, server: FakeOpenAI, ledger: Any, prices: Catalog
) -> None:
    tag = run_tag()

    async def main() -> tuple[list[Any], list[Any]]:
        plain = openai.AsyncOpenAI(base_url=server.base_url, api_key="test")
        tracked = openai_cost.track(
            openai.AsyncOpenAI(base_url=server.base_url, api_key="test"),
            ledger=ledger,
            tags={"run": tag},
            prices=prices,
        )
        want = [_norm(c) async for c in await plain.chat.completions.create(**_kwargs(ask))]
        got = [_norm(c) async for c in await tracked.chat.completions.create(**_kwargs(ask))]
        await plain.close()
        await tracked.close()
        return want, got

    want, got = asyncio.run(main())
    assert got == want
    assert all(c["choices"] for c in got) is (ask == "no-stream-options")
    [rec] = rows(ledger, tag=tag)
    assert rec.total_usd == MINI_STREAM


def _helper_events(client: Any, **kw: Any) -> tuple[list[Any], Any]:
    with client.chat.completions.stream(model="gpt-4o-mini", messages=HELLO, **kw) as s:
        events = [(ev.type, _norm(getattr(ev, "chunk", None))) for ev in s]
        final = s.get_final_completion()
    return events, _norm(final)


@pytest.mark.parametrize("ask", ["no-stream-options", "usage-asked"])
def test_stream_helper_equals_untracked(
    ask: str, server: FakeOpenAI, ledger: Any, prices: Catalog
) -> None:
    tag = run_tag()
    plain, tracked = _clients(server, ledger, prices, tag)
    kw = {} if ASKS[ask] is None else {"stream_options": ASKS[ask]}
    want_events, want_final = _helper_events(plain, **kw)
    got_events, got_final = _helper_events(tracked, **kw)
    assert got_events == want_events
    assert got_final == want_final
    assert (got_final.get("usage") is not None) is (ask == "usage-asked")
    [rec] = rows(ledger, tag=tag)
    assert rec.total_usd == MINI_STREAM


def test_async_stream_helper_equals_untracked(
    server: FakeOpenAI, ledger: Any, prices: Catalog
) -> None:
    tag = run_tag()

    async def events(client: Any) -> tuple[list[Any], Any]:
        async with client.chat.completions.stream(model="gpt-4o-mini", messages=HELLO) as s:
            evs = [(ev.type, _norm(getattr(ev, "chunk", None))) async for ev in s]
            final = await s.get_final_completion()
        await client.close()
        return evs, _norm(final)

    async def main() -> tuple[Any, Any]:
        plain = openai.AsyncOpenAI(base_url=server.base_url, api_key="test")
        tracked = openai_cost.track(
            openai.AsyncOpenAI(base_url=server.base_url, api_key="test"),
            ledger=ledger,
            tags={"run": tag},
            prices=prices,
        )
        return await events(plain), await events(tracked)

    want, got = asyncio.run(main())
    assert got == want
    assert got[1].get("usage") is None  # nothing hidden leaks into the final completion
    [rec] = rows(ledger, tag=tag)
    assert rec.total_usd == MINI_STREAM


@pytest.mark.parametrize("ask", ["no-stream-options", "usage-asked"])
def test_completions_stream_equals_untracked(
    ask: str, server: FakeOpenAI, ledger: Any, prices: Catalog
) -> None:
    tag = run_tag()
    plain, tracked = _clients(server, ledger, prices, tag)
    kw: dict[str, Any] = {"model": "gpt-4o-mini", "prompt": "The weather", "stream": True}
    if ASKS[ask] is not None:
        kw["stream_options"] = ASKS[ask]
    want = [_norm(c) for c in plain.completions.create(**kw)]
    got = [_norm(c) for c in tracked.completions.create(**kw)]
    assert got == want
    assert all(c["choices"] for c in got) is (ask == "no-stream-options")
    [rec] = rows(ledger, tag=tag)
    assert rec.endpoint == "completions" and rec.total_usd == MINI_COMPLETION


def test_responses_stream_is_sent_and_read_unchanged(
    server: FakeOpenAI, ledger: Any, prices: Catalog
) -> None:
    tag = run_tag()
    plain, tracked = _clients(server, ledger, prices, tag)
    kw: dict[str, Any] = {"model": "gpt-4o-mini", "input": "Weather?", "stream": True}
    n = len(server.requests)
    with plain.responses.create(**kw) as s:
        want = [_norm(ev) for ev in s]
    with tracked.responses.create(**kw) as s:
        got = [_norm(ev) for ev in s]
    assert got == want
    # Responses streams always end with their usage: tracking does not touch the request
    sent_plain, sent_tracked = server.requests[n : n + 2]
    assert sent_tracked.body == sent_plain.body
    with tracked.responses.stream(model="gpt-4o-mini", input="Weather?") as s:
        helper = [ev.type for ev in s]
    assert helper[-1] == "response.completed"
    # gpt-4o-mini: 14 x $0.15 + 50 x $0.60 per 1M = 2.1 + 30.0 micro-dollars, twice
    assert [r.total_usd for r in rows(ledger, tag=tag)] == [Decimal("0.0000321")] * 2


def test_request_change_is_only_include_usage(
    server: FakeOpenAI, ledger: Any, prices: Catalog
) -> None:
    """On the wire, tracking adds ``stream_options.include_usage`` and changes nothing else."""
    tag = run_tag()
    plain, tracked = _clients(server, ledger, prices, tag)
    kw = _kwargs("other-option-only")
    n = len(server.requests)
    list(plain.chat.completions.create(**kw))
    list(tracked.chat.completions.create(**kw))
    sent_plain, sent_tracked = server.requests[n : n + 2]
    expected = json.loads(json.dumps(sent_plain.body))
    expected["stream_options"]["include_usage"] = True
    assert sent_tracked.body == expected
    skip = {"content-length", "x-stainless-retry-count", "x-stainless-read-timeout"}
    assert {k: v for k, v in sent_tracked.headers.items() if k not in skip} == {
        k: v for k, v in sent_plain.headers.items() if k not in skip
    }


# --------------------------------------------------------------------------- the bytes


def _event(obj: Any, end: bytes = b"\n\n") -> bytes:
    return b"data: " + json.dumps(obj, separators=(",", ":")).encode() + end


def _chunk(text: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": "c1",
        "object": "chat.completion.chunk",
        "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": None}],
        **extra,
    }


USAGE = {"prompt_tokens": 14, "completion_tokens": 30, "total_tokens": 44}


def _hide(data: bytes, step: int) -> bytes:
    from openai_cost.usage import UsageHider

    h = UsageHider()
    out = [h.feed(data[i : i + step]) for i in range(0, len(data), step)]
    return b"".join([*out, h.end()])


@pytest.mark.parametrize("end", [b"\n\n", b"\r\n\r\n", b"\r\r"], ids=["lf", "crlf", "cr"])
def test_hider_drops_the_usage_chunk_and_null_usage_at_any_split(end: bytes) -> None:
    # a tool call whose arguments mention "usage":null must come through untouched
    args = json.dumps({"usage": None, "choices": []}, separators=(",", ":"))
    tool = _chunk("", usage=None)
    tool["choices"][0]["delta"] = {"tool_calls": [{"index": 0, "function": {"arguments": args}}]}
    sent = (
        b": keep-alive comment" + end[: len(end) // 2]
        + _event(_chunk("The", usage=None), end)
        + _event({"usage": None, **_chunk(" weather")}, end)  # usage first, then the rest
        + _event(tool, end)
        + _event({**_chunk("", usage=USAGE), "choices": []}, end)  # the usage chunk
        + b"data: [DONE]" + end
    )  # fmt: skip
    want = (
        b": keep-alive comment" + end[: len(end) // 2]
        + _event(_chunk("The"), end)
        + _event(_chunk(" weather"), end)
        + _event({**tool, "usage": None}, end).replace(b',"usage":null', b"")
        + b"data: [DONE]" + end
    )  # fmt: skip
    assert b'\\"usage\\":null' in want  # the tool call's own text kept its "usage": null
    for step in (1, 2, 3, 7, 64, len(sent)):
        assert _hide(sent, step) == want, step


def test_hider_keeps_chunks_that_carry_choices_or_no_usage_object() -> None:
    sent = (
        _event({**_chunk("a"), "usage": USAGE})  # usage on a chunk with a choice: kept whole
        + _event({"id": "c1", "choices": [], "prompt_filter_results": []})  # Azure: no usage
        + b'data: {not json, "choices": [], "usage": {}\n\n'  # not a chunk: passed on
        + b"data: [DONE]"  # the last event without its ending still comes out
    )
    assert _hide(sent, 5) == sent

"""`track()`: the real ``openai`` SDK against a local OpenAI-compatible server, a real ledger.

Expected costs are computed by hand from the rates in `_tracking_helpers.PRICES`
(openai-billing.md 3.1 and 3.8) and the usage the server reports (`fake_openai_server`).
"""

from __future__ import annotations

import asyncio
import gc
import json
import logging
from decimal import Decimal
from pathlib import Path
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
from openai_cost import BudgetExceededError
from openai_cost.catalog import Catalog, catalog

__all__ = ["ledger", "prices", "server"]  # fixtures used by name

# gpt-4o-mini: $0.15 in, $0.60 out per 1M (openai-billing.md 3.1)
MINI_CHAT = Decimal("14") * Decimal("0.15") / 10**6 + Decimal("37") * Decimal("0.60") / 10**6
MINI_STREAM = Decimal("14") * Decimal("0.15") / 10**6 + Decimal("30") * Decimal("0.60") / 10**6
MINI_RESPONSES = Decimal("14") * Decimal("0.15") / 10**6 + Decimal("50") * Decimal("0.60") / 10**6


def _client(srv: FakeOpenAI, **kw: Any) -> openai.OpenAI:
    client: openai.OpenAI = closing(openai.OpenAI(base_url=srv.base_url, api_key="test", **kw))
    return client


def test_hand_computed_expectations() -> None:
    # 14 x 0.15 = 2.1 micro-dollars in; 37 x 0.60 = 22.2 out
    assert Decimal("0.0000243") == MINI_CHAT
    assert Decimal("0.0000201") == MINI_STREAM  # 2.1 + 30 x 0.60 = 18.0
    assert Decimal("0.0000321") == MINI_RESPONSES  # 2.1 + 50 x 0.60 = 30.0


def test_chat_completion_is_priced_and_stored(
    server: FakeOpenAI, ledger: Any, prices: Catalog
) -> None:
    tag = run_tag()
    client = openai_cost.track(
        _client(server), ledger=ledger, tags={"run": tag, "project": "p1"}, prices=prices
    )
    resp = client.chat.completions.create(model="gpt-4o-mini", messages=HELLO)
    assert resp.choices[0].message.content  # the caller's response is intact
    [rec] = rows(ledger, tag=tag)
    assert rec.status == "ok"
    assert rec.endpoint == "chat.completions"
    assert rec.model_requested == "gpt-4o-mini"
    assert rec.model == "gpt-4o-mini-2024-07-18"
    assert rec.model_resolved == "gpt-4o-mini-2024-07-18"
    assert rec.http_status == 200
    assert rec.request_id.startswith("req_")
    assert rec.latency_ms is not None and rec.latency_ms > 0
    assert rec.usage.input_tokens == 14 and rec.usage.output_tokens == 37
    assert rec.total_usd == MINI_CHAT
    assert dict(rec.tags) == {"run": tag, "project": "p1"}
    assert rec.tier == "default"
    assert rec.unpriced_reason is None


def test_bundled_catalog_prices_gpt_4o(server: FakeOpenAI, ledger: Any) -> None:
    tag = run_tag()
    client = openai_cost.track(_client(server), ledger=ledger, tags={"run": tag})
    client.chat.completions.create(model="gpt-4o", messages=HELLO)
    [rec] = rows(ledger, tag=tag)
    # gpt-4o-2024-08-06: 14 x $2.50 + 37 x $10.00 per 1M (openai-billing.md 3.1)
    assert rec.total_usd == Decimal("0.000035") + Decimal("0.00037")
    # the row keeps the price period in force when the call was made
    assert rec.price_since == catalog().resolve("gpt-4o").price_since


def test_chat_stream_gets_usage_added(server: FakeOpenAI, ledger: Any, prices: Catalog) -> None:
    tag = run_tag()
    client = openai_cost.track(_client(server), ledger=ledger, tags={"run": tag}, prices=prices)
    n = len(server.requests)
    chunks = list(client.chat.completions.create(model="gpt-4o-mini", messages=HELLO, stream=True))
    sent = server.requests[n].body
    assert sent["stream_options"] == {"include_usage": True}
    # the usage chunk is read by tracking and kept from the caller, who did not ask for it
    assert all(c.choices and c.usage is None for c in chunks)
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert text == "The weather in"
    [rec] = rows(ledger, tag=tag)
    assert rec.status == "ok"
    assert (rec.usage.input_tokens, rec.usage.output_tokens) == (14, 30)
    assert rec.total_usd == MINI_STREAM


def test_chat_stream_that_asked_for_usage_is_sent_unchanged(
    server: FakeOpenAI, ledger: Any, prices: Catalog
) -> None:
    tag = run_tag()
    client = openai_cost.track(_client(server), ledger=ledger, tags={"run": tag}, prices=prices)
    n = len(server.requests)
    opts = {"include_usage": True, "include_obfuscation": False}
    with client.chat.completions.create(
        model="gpt-4o-mini", messages=HELLO, stream=True, stream_options=opts
    ) as stream:
        for _ in stream:
            pass
    assert server.requests[n].body["stream_options"] == opts
    [rec] = rows(ledger, tag=tag)
    assert rec.total_usd == MINI_STREAM


def test_abandoned_stream_is_incomplete(server: FakeOpenAI, ledger: Any, prices: Catalog) -> None:
    tag = run_tag()
    client = openai_cost.track(_client(server), ledger=ledger, tags={"run": tag}, prices=prices)
    stream = client.chat.completions.create(
        model="gpt-4o-mini", messages=HELLO, stream=True, extra_headers={"x-fake-chunks": "500"}
    )
    for i, _ in enumerate(stream):
        if i == 2:
            break
    stream.close()
    [rec] = rows(ledger, tag=tag)
    assert rec.status == "incomplete"
    assert rec.model == "gpt-4o-mini-2024-07-18"  # what is known: the chunks name the model
    assert rec.cost is None and rec.total_usd is None  # never $0
    assert "before its usage" in (rec.unpriced_reason or "")


def test_dropped_stream_is_recorded_when_collected(
    server: FakeOpenAI, ledger: Any, prices: Catalog
) -> None:
    tag = run_tag()
    client = openai_cost.track(_client(server), ledger=ledger, tags={"run": tag}, prices=prices)
    stream = client.chat.completions.create(
        model="gpt-4o-mini", messages=HELLO, stream=True, extra_headers={"x-fake-chunks": "500"}
    )
    next(iter(stream))
    del stream
    gc.collect()
    [rec] = rows(ledger, tag=tag)
    assert rec.status == "incomplete" and rec.cost is None


def test_responses_and_responses_stream(server: FakeOpenAI, ledger: Any, prices: Catalog) -> None:
    tag = run_tag()
    client = openai_cost.track(_client(server), ledger=ledger, tags={"run": tag}, prices=prices)
    r = client.responses.create(model="gpt-4o-mini", input="Weather in San Francisco?")
    assert r.output_text
    with client.responses.create(model="gpt-4o-mini", input="Weather?", stream=True) as s:
        types = [ev.type for ev in s]
    assert types[-1] == "response.completed"
    recs = rows(ledger, tag=tag)
    assert [r.endpoint for r in recs] == ["responses", "responses"]
    assert all(r.status == "ok" for r in recs)
    assert [r.total_usd for r in recs] == [MINI_RESPONSES, MINI_RESPONSES]
    assert recs[0].request_id != recs[1].request_id


def test_embeddings(server: FakeOpenAI, ledger: Any, prices: Catalog) -> None:
    tag = run_tag()
    client = openai_cost.track(_client(server), ledger=ledger, tags={"run": tag}, prices=prices)
    out = client.embeddings.create(model="text-embedding-3-small", input=["a cat", "a dog"])
    assert len(out.data) == 2
    [rec] = rows(ledger, tag=tag)
    assert rec.endpoint == "embeddings"
    assert rec.usage.input_tokens == 8  # 4 per input, as the server reports
    # $0.02 per 1M (openai-billing.md 3.8): 8 x 0.02 / 1M
    assert rec.total_usd == Decimal("0.00000016")


def test_legacy_completions(server: FakeOpenAI, ledger: Any, prices: Catalog) -> None:
    tag = run_tag()
    client = openai_cost.track(_client(server), ledger=ledger, tags={"run": tag}, prices=prices)
    client.completions.create(model="gpt-4o-mini", prompt="The weather is")
    [rec] = rows(ledger, tag=tag)
    assert rec.endpoint == "completions"
    # 5 x 0.15 + 7 x 0.60 micro-dollars = 0.75 + 4.2
    assert rec.total_usd == Decimal("0.00000495")


def test_rate_limited_then_retried(server: FakeOpenAI, ledger: Any, prices: Catalog) -> None:
    tag = run_tag()
    client = openai_cost.track(_client(server), ledger=ledger, tags={"run": tag}, prices=prices)
    resp = client.chat.completions.create(
        model="gpt-4o-mini", messages=HELLO, extra_headers={"x-fake-fail": "429"}
    )
    assert resp.usage is not None
    first, second = rows(ledger, tag=tag)
    assert (first.status, first.http_status, first.cost) == ("error", 429, None)
    assert first.unpriced_reason is None  # an error is not "unpriced": it was not billed
    assert (second.status, second.http_status) == ("ok", 200)
    assert second.total_usd == MINI_CHAT
    assert first.request_id != second.request_id


def test_server_error_every_attempt(server: FakeOpenAI, ledger: Any, prices: Catalog) -> None:
    tag = run_tag()
    client = openai_cost.track(
        _client(server, max_retries=1), ledger=ledger, tags={"run": tag}, prices=prices
    )
    with pytest.raises(openai.InternalServerError):
        client.chat.completions.create(
            model="gpt-4o-mini",
            messages=HELLO,
            extra_headers={"x-fake-fail": "500", "x-fake-fail-times": "all"},
        )
    recs = rows(ledger, tag=tag)
    assert [(r.status, r.http_status, r.total_usd) for r in recs] == [
        ("error", 500, None),
        ("error", 500, None),
    ]


def test_bad_request(server: FakeOpenAI, ledger: Any, prices: Catalog) -> None:
    tag = run_tag()
    client = openai_cost.track(_client(server), ledger=ledger, tags={"run": tag}, prices=prices)
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(
            model="gpt-4o-mini", messages=HELLO, extra_headers={"x-fake-fail": "400"}
        )
    [rec] = rows(ledger, tag=tag)
    assert (rec.status, rec.http_status, rec.model_requested) == ("error", 400, "gpt-4o-mini")


def test_connection_error_is_recorded(ledger: Any, prices: Catalog) -> None:
    tag = run_tag()
    with FakeOpenAI() as srv:
        url = srv.base_url
    client = openai_cost.track(
        closing(openai.OpenAI(base_url=url, api_key="test", max_retries=0)),
        ledger=ledger,
        tags={"run": tag},
        prices=prices,
    )
    with pytest.raises(openai.APIConnectionError):
        client.chat.completions.create(model="gpt-4o-mini", messages=HELLO)
    [rec] = rows(ledger, tag=tag)
    assert (rec.status, rec.http_status, rec.cost) == ("error", None, None)


def test_unknown_model_is_unpriced_not_zero(
    server: FakeOpenAI, ledger: Any, prices: Catalog
) -> None:
    tag = run_tag()
    client = openai_cost.track(_client(server), ledger=ledger, tags={"run": tag}, prices=prices)
    client.chat.completions.create(
        model="gpt-9-preview", messages=HELLO, extra_headers={"x-fake-model": "gpt-9-preview"}
    )
    [rec] = rows(ledger, tag=tag)
    assert rec.status == "ok"
    assert rec.cost is None and rec.total_usd is None
    assert rec.usage.input_tokens == 14
    assert "gpt-9-preview" in (rec.unpriced_reason or "")


def test_contradictory_usage_is_recorded_unpriced(
    server: FakeOpenAI, ledger: Any, prices: Catalog
) -> None:
    tag = run_tag()
    client = openai_cost.track(_client(server), ledger=ledger, tags={"run": tag}, prices=prices)
    bad = '{"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15, ' + (
        '"prompt_tokens_details": {"cached_tokens": 11}}'
    )
    resp = client.chat.completions.create(
        model="gpt-4o-mini", messages=HELLO, extra_headers={"x-fake-usage": bad}
    )
    assert resp.usage is not None and resp.usage.prompt_tokens == 10
    [rec] = rows(ledger, tag=tag)
    assert rec.cost is None
    assert "cached_tokens (11) > input_tokens (10)" in (rec.unpriced_reason or "")


def test_malformed_body_behaves_as_untracked(
    server: FakeOpenAI, ledger: Any, prices: Catalog
) -> None:
    tag = run_tag()
    hdr = {"x-fake-body": "malformed"}

    def outcome(client: openai.OpenAI) -> object:
        try:
            return client.chat.completions.create(
                model="gpt-4o-mini", messages=HELLO, extra_headers=hdr
            )
        except Exception as e:
            return type(e)

    plain = outcome(_client(server, max_retries=0))
    tracked = outcome(
        openai_cost.track(
            _client(server, max_retries=0), ledger=ledger, tags={"run": tag}, prices=prices
        )
    )
    assert tracked == plain  # whatever the SDK makes of it, tracking does not change it
    [rec] = rows(ledger, tag=tag)
    assert rec.cost is None
    assert "unreadable response body" in (rec.unpriced_reason or "")


def test_azure_deployment_priced_with_the_model_the_response_reports(
    server: FakeOpenAI, ledger: Any, prices: Catalog
) -> None:
    tag = run_tag()
    client = openai_cost.track(
        closing(
            openai.AzureOpenAI(
                azure_endpoint=server.azure_endpoint,
                api_key="test",
                api_version="2024-10-21",
                azure_deployment="prod-chat-eu",
            )
        ),
        ledger=ledger,
        tags={"run": tag},
        prices=prices,
    )
    n = len(server.requests)
    client.chat.completions.create(model="prod-chat-eu", messages=HELLO)
    seen = server.requests[n]
    assert seen.path == "/openai/deployments/prod-chat-eu/chat/completions"
    assert "api-version=2024-10-21" in seen.query
    [rec] = rows(ledger, tag=tag)
    assert rec.model_requested == "prod-chat-eu"
    assert rec.model == rec.model_resolved == "gpt-4o-2024-08-06"
    # gpt-4o: 14 x $2.50 + 37 x $10.00 per 1M (openai-billing.md 3.1)
    assert rec.total_usd == Decimal("0.000405")


@pytest.mark.parametrize(
    ("api_version", "asked"),
    [("2024-10-21", True), ("2024-08-01-preview", True), ("2024-06-01", False)],
)
def test_azure_stream_asks_for_usage_only_where_azure_accepts_it(
    api_version: str, asked: bool, server: FakeOpenAI, ledger: Any, prices: Catalog
) -> None:
    # Azure refuses stream_options with a 400 before api-version 2024-08-01-preview
    tag = run_tag()
    client = openai_cost.track(
        closing(
            openai.AzureOpenAI(
                azure_endpoint=server.azure_endpoint, api_key="test", api_version=api_version
            )
        ),
        ledger=ledger,
        tags={"run": tag},
        prices=prices,
    )
    n = len(server.requests)
    for _ in client.chat.completions.create(model="prod-chat-eu", messages=HELLO, stream=True):
        pass
    assert ("stream_options" in server.requests[n].body) is asked
    [rec] = rows(ledger, tag=tag)
    assert (rec.status, rec.model_requested) == ("ok", "prod-chat-eu")
    if asked:  # gpt-4o: 14 x $2.50 + 30 x $10.00 per 1M (openai-billing.md 3.1)
        assert rec.total_usd == Decimal("0.000335")
    else:
        assert rec.cost is None
        assert rec.unpriced_reason == "the stream carried no usage chunk"


def test_async_client(server: FakeOpenAI, ledger: Any, prices: Catalog) -> None:
    tag = run_tag()

    async def main() -> list[str]:
        client = openai_cost.track(
            openai.AsyncOpenAI(base_url=server.base_url, api_key="test"),
            ledger=ledger,
            tags={"run": tag},
            prices=prices,
        )
        await client.chat.completions.create(model="gpt-4o-mini", messages=HELLO)
        stream = await client.chat.completions.create(
            model="gpt-4o-mini", messages=HELLO, stream=True
        )
        texts = [c.choices[0].delta.content or "" async for c in stream if c.choices]
        stream2 = await client.chat.completions.create(
            model="gpt-4o-mini", messages=HELLO, stream=True, extra_headers={"x-fake-chunks": "300"}
        )
        async for _ in stream2:
            break
        await stream2.close()
        await client.close()
        return texts

    texts = asyncio.run(main())
    assert "".join(texts) == "The weather in"
    recs = rows(ledger, tag=tag)
    assert [(r.status, r.total_usd) for r in recs] == [
        ("ok", MINI_CHAT),
        ("ok", MINI_STREAM),
        ("incomplete", None),
    ]


def test_budget_refuses_before_the_request(
    server: FakeOpenAI, ledger: Any, prices: Catalog
) -> None:
    from openai_cost import Budget

    tag = run_tag()
    # max_tokens=1000 at $0.60/1M output alone is $0.0006 (openai-billing.md 3.1)
    budget = Budget(Decimal("0.0005"), period="total", tags={"run": tag})
    client = openai_cost.track(
        _client(server), ledger=ledger, tags={"run": tag}, budget=budget, prices=prices
    )
    n = len(server.requests)
    with pytest.raises(BudgetExceededError):
        client.chat.completions.create(model="gpt-4o-mini", messages=HELLO, max_tokens=1000)
    assert len(server.requests) == n  # nothing reached the server
    assert rows(ledger, tag=tag) == []
    # a small call fits: 100 output tokens are $0.00006, and it is recorded once
    client.chat.completions.create(model="gpt-4o-mini", messages=HELLO, max_tokens=100)
    [rec] = rows(ledger, tag=tag)
    assert rec.total_usd == MINI_CHAT
    assert ledger.spent(tags={"run": tag}) == MINI_CHAT


def test_budget_counts_what_was_spent(server: FakeOpenAI, ledger: Any, prices: Catalog) -> None:
    from openai_cost import Budget

    tag = run_tag()
    # Each call costs MINI_CHAT = $0.0000243; its estimate is the counted prompt (about 20
    # tokens x $0.15/1M = $0.000003) plus max_tokens=37 x $0.60/1M = $0.0000222, so about
    # $0.000025. Call 2: 0.0000243 + 0.000025 fits under $0.00006; call 3: 0.0000486 +
    # 0.000025 does not.
    budget = Budget(Decimal("0.00006"), period="day", tags={"run": tag})
    client = openai_cost.track(
        _client(server), ledger=ledger, tags={"run": tag}, budget=budget, prices=prices
    )
    client.chat.completions.create(model="gpt-4o-mini", messages=HELLO, max_tokens=37)
    client.chat.completions.create(model="gpt-4o-mini", messages=HELLO, max_tokens=37)
    n = len(server.requests)
    with pytest.raises(BudgetExceededError):
        client.chat.completions.create(model="gpt-4o-mini", messages=HELLO, max_tokens=37)
    assert len(server.requests) == n
    assert len(rows(ledger, tag=tag)) == 2


def test_budget_holds_under_concurrent_calls(
    server: FakeOpenAI, ledger: Any, prices: Catalog
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from openai_cost import Budget

    tag = run_tag()
    limit = Decimal("0.0001")
    client = openai_cost.track(
        _client(server),
        ledger=ledger,
        tags={"run": tag},
        budget=Budget(limit, period="total", tags={"run": tag}, check_timeout=120),
        prices=prices,
    )
    n = len(server.requests)

    def call() -> bool:
        try:
            client.chat.completions.create(
                model="gpt-4o-mini",
                messages=HELLO,
                max_tokens=37,
                extra_headers={"x-fake-delay-ms": "50"},  # all eight are in flight together
            )
        except BudgetExceededError:
            return False
        return True

    with ThreadPoolExecutor(8) as pool:
        done = [f.result() for f in [pool.submit(call) for _ in range(8)]]
    made = done.count(True)
    # Each estimate holds at least max_tokens: 37 x $0.60/1M = $0.0000222 (openai-billing.md
    # 3.1), and in-flight estimates count: five would hold $0.000111 > $0.0001, so at most 4.
    assert 1 <= made <= 4
    assert len(server.requests) - n == made  # refused calls never reached the server
    recs = rows(ledger, tag=tag)
    assert len(recs) == made
    assert sum(r.total_usd for r in recs) == MINI_CHAT * made <= limit


def test_budget_in_warn_mode_lets_the_call_through(
    server: FakeOpenAI, ledger: Any, prices: Catalog
) -> None:
    from openai_cost import Budget, BudgetWarning

    tag = run_tag()
    budget = Budget(Decimal("0.0005"), period="total", tags={"run": tag}, mode="warn")
    client = openai_cost.track(
        _client(server), ledger=ledger, tags={"run": tag}, budget=budget, prices=prices
    )
    n = len(server.requests)
    with pytest.warns(BudgetWarning, match="would be exceeded"):
        # max_tokens=1000 x $0.60/1M = $0.0006 > $0.0005 (openai-billing.md 3.1)
        client.chat.completions.create(model="gpt-4o-mini", messages=HELLO, max_tokens=1000)
    assert len(server.requests) == n + 1
    [rec] = rows(ledger, tag=tag)
    assert rec.total_usd == MINI_CHAT


def test_client_built_on_a_plain_httpx_client(
    server: FakeOpenAI, ledger: Any, prices: Catalog
) -> None:
    import httpx

    tag = run_tag()
    with httpx.Client() as http:
        client = openai_cost.track(
            _client(server, http_client=http), ledger=ledger, tags={"run": tag}, prices=prices
        )
        client.chat.completions.create(model="gpt-4o-mini", messages=HELLO)
        for _ in client.chat.completions.create(model="gpt-4o-mini", messages=HELLO, stream=True):
            pass
    assert [r.total_usd for r in rows(ledger, tag=tag)] == [MINI_CHAT, MINI_STREAM]


def test_broken_default_ledger_does_not_break_the_call(
    server: FakeOpenAI,
    prices: Catalog,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from openai_cost import ledger as ledger_mod

    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the ledger's directory should be")
    monkeypatch.setenv("OPENAI_COST_HOME", str(blocker / "home"))
    monkeypatch.setattr(ledger_mod, "_DEFAULT", [])
    monkeypatch.setattr(ledger_mod, "_DEFAULT_FAILED", [])
    from openai_cost import Budget

    client = openai_cost.track(_client(server), prices=prices)
    budgeted = openai_cost.track(
        _client(server), prices=prices, budget=Budget(Decimal("0.000001"), period="day")
    )
    with (
        caplog.at_level(logging.WARNING, logger="openai_cost.tracking"),
        openai_cost.session() as s,
    ):
        resp = client.chat.completions.create(model="gpt-4o-mini", messages=HELLO)
        # a budget cannot be checked without its ledger: said so, and the call still returns
        assert budgeted.chat.completions.create(model="gpt-4o-mini", messages=HELLO).usage
    assert resp.choices[0].message.content
    assert s.total == MINI_CHAT * 2  # the session still saw both calls
    assert any("ledger" in r.getMessage() for r in caplog.records)
    assert any("budget" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("where", ["sqlite-under-a-file", "postgres-nobody-listens"])
def test_unwritable_ledger_does_not_break_the_call(
    where: str,
    server: FakeOpenAI,
    prices: Catalog,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from openai_cost import Budget
    from openai_cost.ledger import Ledger

    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    url = (
        f"sqlite:///{blocker / 'sub' / 'ledger.db'}"
        if where.startswith("sqlite")
        else "postgresql://nobody@127.0.0.1:9/none?connect_timeout=1"
    )
    led = Ledger(url)
    plain = openai_cost.track(_client(server), ledger=led, prices=prices)
    budgeted = openai_cost.track(
        _client(server), ledger=led, prices=prices, budget=Budget(Decimal(1), period="day")
    )
    with caplog.at_level(logging.WARNING), openai_cost.session() as s:
        assert plain.chat.completions.create(model="gpt-4o-mini", messages=HELLO).usage
        # the budget cannot be checked without its ledger: logged, and the call proceeds
        assert budgeted.chat.completions.create(model="gpt-4o-mini", messages=HELLO).usage
        assert led.flush(timeout=10) is False  # nothing could be stored
    assert s.total == MINI_CHAT * 2
    assert any("budget" in r.getMessage() for r in caplog.records)
    assert led.pending == 2  # kept in the spool for a later replay
    led.close(timeout=0)


def test_track_twice_records_once(server: FakeOpenAI, ledger: Any, prices: Catalog) -> None:
    tag = run_tag()
    client = _client(server)
    openai_cost.track(client, ledger=ledger, tags={"run": "other"}, prices=prices)
    assert openai_cost.track(client, ledger=ledger, tags={"run": tag}, prices=prices) is client
    client.chat.completions.create(model="gpt-4o-mini", messages=HELLO)
    [rec] = rows(ledger, tag=tag)
    assert rec.total_usd == MINI_CHAT


def test_untracked_endpoints_pass_through(server: FakeOpenAI, ledger: Any) -> None:
    tag = run_tag()
    client = openai_cost.track(_client(server, max_retries=0), ledger=ledger, tags={"run": tag})
    with pytest.raises(openai.NotFoundError):
        client.models.list()
    assert rows(ledger, tag=tag) == []


def test_track_rejects_other_objects() -> None:
    with pytest.raises(TypeError, match=r"openai\.OpenAI"):
        openai_cost.track(object())
    with pytest.raises(TypeError, match="str to str"):
        openai_cost.track(openai.OpenAI(api_key="x"), tags={"n": 1})  # type: ignore[dict-item]


def test_speech_transcription_and_dall_e(server: FakeOpenAI, ledger: Any, tmp_path: Path) -> None:
    tag = run_tag()
    client = openai_cost.track(_client(server), ledger=ledger, tags={"run": tag})
    text = "The weather in San Francisco is mild today."  # 43 characters
    audio = client.audio.speech.create(model="tts-1", voice="alloy", input=text)
    assert audio.content.startswith(b"ID3")  # the caller's audio is intact
    clip = tmp_path / "clip.mp3"
    clip.write_bytes(audio.content)
    with clip.open("rb") as f:
        out = client.audio.transcriptions.create(model="whisper-1", file=f)
    assert out.text
    client.images.generate(model="dall-e-3", prompt="fog over a bridge", size="1024x1024")
    speech, transcription, image = rows(ledger, tag=tag)
    assert (speech.endpoint, speech.model_requested) == ("audio.speech", "tts-1")
    assert speech.usage.characters == len(text) == 43
    # tts-1: $15 per 1M characters (openai-billing.md 3.6): 43 x 15 / 1M
    assert speech.total_usd == Decimal("0.000645")
    assert transcription.endpoint == "audio.transcriptions"
    assert transcription.model_requested == "whisper-1"  # read from the multipart form
    # whisper-1: $0.006 per minute (3.6); the server reports 42 seconds: 0.7 x 0.006
    assert transcription.total_usd == Decimal("0.0042")
    # dall-e-3 standard 1024x1024: $0.04 per image (3.7)
    assert image.total_usd == Decimal("0.04")


def test_default_ledger_lives_under_openai_cost_home(
    server: FakeOpenAI, prices: Catalog, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from openai_cost import ledger as ledger_mod
    from openai_cost.ledger import Ledger

    home = tmp_path / "home"
    monkeypatch.setenv("OPENAI_COST_HOME", str(home))
    monkeypatch.setattr(ledger_mod, "_DEFAULT", [])
    monkeypatch.setattr(ledger_mod, "_DEFAULT_FAILED", [])
    client = openai_cost.track(_client(server), tags={"run": "default"}, prices=prices)
    client.chat.completions.create(model="gpt-4o-mini", messages=HELLO)
    client.chat.completions.create(model="gpt-4o-mini", messages=HELLO)
    [default] = ledger_mod._DEFAULT  # one ledger for the process, opened on the first call
    default.close()
    with Ledger(f"sqlite:///{home / 'ledger.db'}") as led:
        assert [r.total_usd for r in rows(led, tag="default")] == [MINI_CHAT, MINI_CHAT]


def test_client_as_context_manager(server: FakeOpenAI, ledger: Any, prices: Catalog) -> None:
    tag = run_tag()
    with openai_cost.track(_client(server), ledger=ledger, tags={"run": tag}, prices=prices) as c:
        transport = c._client._transport
        assert transport._pool is transport.inner._pool  # the client may still reach its pool
        c.chat.completions.create(model="gpt-4o-mini", messages=HELLO)
    assert c.is_closed()
    assert [r.total_usd for r in rows(ledger, tag=tag)] == [MINI_CHAT]


def test_transport_that_reads_the_body_itself(ledger: Any, prices: Catalog) -> None:
    import httpx

    body = {
        "id": "chatcmpl-cached",
        "object": "chat.completion",
        "created": 1727346142,
        "model": "gpt-4o-mini-2024-07-18",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "Mild."},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 14, "completion_tokens": 37, "total_tokens": 51},
    }

    def replay(request: httpx.Request) -> httpx.Response:  # e.g. a response cache
        return httpx.Response(200, json=body, headers={"x-request-id": f"req_{run_tag()}"})

    tag = run_tag()
    with httpx.Client(transport=httpx.MockTransport(replay)) as http:
        client = openai_cost.track(
            openai.OpenAI(base_url="http://api.test/v1", api_key="test", http_client=http),
            ledger=ledger,
            tags={"run": tag},
            prices=prices,
        )
        with openai_cost.session() as s:
            client.chat.completions.create(model="gpt-4o-mini", messages=HELLO)
        assert s.total == MINI_CHAT  # recorded when the call returned, not when collected
    assert [r.total_usd for r in rows(ledger, tag=tag)] == [MINI_CHAT]


def test_async_pass_through_and_connection_error(ledger: Any, prices: Catalog) -> None:
    tag = run_tag()

    async def main(url: str, *, up: bool) -> None:
        client = openai_cost.track(
            openai.AsyncOpenAI(base_url=url, api_key="test", max_retries=0),
            ledger=ledger,
            tags={"run": tag},
            prices=prices,
        )
        async with client:
            if up:
                with pytest.raises(openai.NotFoundError):
                    await client.models.list()
            else:
                with pytest.raises(openai.APIConnectionError):
                    await client.chat.completions.create(model="gpt-4o-mini", messages=HELLO)

    with FakeOpenAI() as srv:
        url = srv.base_url
        asyncio.run(main(url, up=True))
    asyncio.run(main(url, up=False))
    [rec] = rows(ledger, tag=tag)
    assert (rec.status, rec.http_status, rec.model_requested) == ("error", None, "gpt-4o-mini")


def test_sse_reading_skips_what_it_cannot_parse() -> None:
    from openai_cost.usage import stream_payload

    usage = {"prompt_tokens": 14, "completion_tokens": 30, "total_tokens": 44}
    body = (
        'data: {"id":"chatcmpl-1","model":"gpt-4o-mini-2024-07-18","choices":[]}\n\n'
        "data: [DONE-ish but not JSON {\n\n"
        'data: ["a list, not a chunk {"]\n\n'
        f'data: {{"id":"chatcmpl-1","choices":[],"usage":{json.dumps(usage)}}}\n\n'
        'data: {"truncated": \n\n'
    ).encode()
    payload, model, rid = stream_payload(b'data: ["a list first"]\n\n' + body, "chat.completions")
    assert payload is not None and payload["usage"] == usage
    assert (model, rid) == ("gpt-4o-mini-2024-07-18", "chatcmpl-1")
    # a Responses stream cut before response.completed has nothing to price
    cut = b'event: response.created\ndata: {"type":"response.created","response":{"id":"r"}}\n\n'
    assert stream_payload(cut, "responses") == (None, None, "r")
    assert stream_payload(b"data: {not json\n\n", "responses") == (None, None, None)
    assert stream_payload(b'data: ["{"]\n\n', "responses") == (None, None, None)


def test_estimates_for_budgets(prices: Catalog) -> None:
    from openai_cost.tokens import estimate_request

    raw = b'{"model":"gpt-4o-mini","input":[{"type":"mystery_obj"}],"max_output_tokens":100}'
    body = json.loads(raw)
    # an input shape the counter refuses: the body's 80 bytes / 4 = 20 tokens at $0.15/1M,
    # plus 100 output tokens at $0.60/1M (openai-billing.md 3.1)
    assert len(raw) == 80
    assert estimate_request("gpt-4o-mini", body, raw, prices) == Decimal("0.000063")
    # no body in memory (an upload): 400 bytes / 4 = 100 input tokens, and with no max_tokens
    # the model's maximum output, 16384 tokens: 100 x 0.15 + 16384 x 0.60 per 1M
    assert estimate_request("gpt-4o-mini", None, b"x" * 400, prices) == Decimal("0.0098454")
    # legacy completions: a prompt, not messages: 28 bytes / 4 = 7 tokens in, 10 out
    raw = b'{"prompt":"hi","max_tokens":10}'[:28]
    assert estimate_request("gpt-4o-mini", {"max_tokens": 10}, raw, prices) == Decimal("0.00000705")
    # speech has no per-token rate to estimate with: counted as $0 and logged
    raw = b'{"model":"tts-1","input":"hello"}'
    assert estimate_request("tts-1", json.loads(raw), raw) == 0
    # nothing to price with: no model, or only names the catalog does not know
    assert estimate_request(None, None, None, prices) == 0
    assert estimate_request("prod-deployment", {"model": "gpt-x"}, b"{}", prices) == 0


def _replayer(calls: list[str]) -> Any:
    """An httpx handler answering like the API, for clients built on httpx directly."""
    import httpx

    chat = {
        "id": "chatcmpl-direct",
        "object": "chat.completion",
        "created": 1727346142,
        "model": "gpt-4o-mini-2024-07-18",
        "choices": [],
        "usage": {"prompt_tokens": 14, "completion_tokens": 37, "total_tokens": 51},
    }

    def handle(request: httpx.Request) -> httpx.Response:
        calls.append(f"{request.method} {request.url.path}")
        rid = {"x-request-id": f"req_{run_tag()}"}
        path = request.url.path
        if path.endswith("/audio/transcriptions"):
            body = {"text": "hi", "usage": {"type": "duration", "seconds": 42}}
            return httpx.Response(200, json=body, headers=rid)
        if path.endswith("/embeddings"):
            return httpx.Response(200, content=b"[]", headers=rid)  # JSON, but not an object
        if path.endswith("/completions") and not path.endswith("/chat/completions"):
            return httpx.Response(200, content=b"", headers=rid)  # a 200 with no body
        return httpx.Response(200, json=chat, headers=rid)

    return handle


def test_httpx_client_tracked_directly(tmp_path: Path, prices: Catalog) -> None:
    import httpx

    calls: list[str] = []
    url = f"sqlite:///{tmp_path / 'direct.db'}"  # track() opens a Ledger from a URL
    handler = _replayer(calls)
    mounted = httpx.MockTransport(handler)
    http = httpx.Client(
        transport=httpx.MockTransport(handler),
        mounts={"http://eu.api.test": mounted, "http://blocked.test": None},
    )
    msg = {"model": "gpt-4o-mini", "messages": HELLO}
    form = (
        b'--b\r\nContent-Disposition: form-data; name="model"\r\n\r\nwhisper-1\r\n'
        b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.mp3"\r\n\r\nID3\r\n'
        b"--b--\r\n"
    )
    with openai_cost.track(http, ledger=url, tags={"run": "direct"}, prices=prices) as c:
        assert c is http
        c.post("http://api.test/v1/chat/completions", json=msg)
        c.post("http://eu.api.test/v1/chat/completions", json=msg)  # through the mount
        c.post(
            "http://api.test/v1/audio/transcriptions",
            content=form,
            headers={"content-type": "multipart/form-data; boundary=b"},
        )
        c.post("http://api.test/v1/embeddings", content=b"not json")
        c.post("http://api.test/v1/embeddings", content=b"{not json either")
        c.post("http://api.test/v1/audio/transcriptions", files={"file": ("a.mp3", b"ID3")})
        c.post("http://api.test/v1/completions", content=b"[1]")
        c.post("http://api.test/v1/moderations", json={"input": "hi"})  # not billed: untracked
    assert len(calls) == 8
    led = http._transport.cfg.ledger  # the Ledger track() opened from the URL
    assert led.url == url
    recs = rows(led, tag="direct")
    led.close()
    assert [r.endpoint for r in recs] == [
        "chat.completions",
        "chat.completions",
        "audio.transcriptions",
        "embeddings",
        "embeddings",
        "audio.transcriptions",
        "completions",
    ]
    chat1, chat2, whisper, emb, _, no_model, comp = recs
    assert no_model.model_requested is None  # a form without a model field
    assert chat1.total_usd == chat2.total_usd == MINI_CHAT
    assert whisper.model_requested == "whisper-1"  # read from the form in memory
    assert whisper.usage.audio_seconds == 42
    assert "'whisper-1'" in (whisper.unpriced_reason or "")  # not in this test's price file
    assert "expected a JSON object" in (emb.unpriced_reason or "")
    assert (comp.model_requested, comp.unpriced_reason) == (None, "the response carried no usage")


def test_async_httpx_client_tracked_directly(ledger: Any, prices: Catalog) -> None:
    import httpx

    tag = run_tag()
    calls: list[str] = []

    async def main() -> None:
        http = httpx.AsyncClient(transport=httpx.MockTransport(_replayer(calls)))
        tracked = openai_cost.track(http, ledger=ledger, tags={"run": tag}, prices=prices)
        async with tracked as c:
            await c.post(
                "http://api.test/v1/chat/completions", json={"model": "gpt-4o-mini", "messages": []}
            )

    asyncio.run(main())
    assert [r.total_usd for r in rows(ledger, tag=tag)] == [MINI_CHAT]


def test_unusable_default_ledger_url(
    server: FakeOpenAI,
    prices: Catalog,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from openai_cost import Budget
    from openai_cost import ledger as ledger_mod

    monkeypatch.setenv("OPENAI_COST_DB_URL", "mysql://db.internal/costs")
    monkeypatch.setattr(ledger_mod, "_DEFAULT", [])
    monkeypatch.setattr(ledger_mod, "_DEFAULT_FAILED", [])
    plain = openai_cost.track(_client(server), prices=prices)
    budgeted = openai_cost.track(
        _client(server), prices=prices, budget=Budget(Decimal(1), period="day")
    )
    with (
        caplog.at_level(logging.WARNING, logger="openai_cost.tracking"),
        openai_cost.session() as s,
    ):
        assert plain.chat.completions.create(model="gpt-4o-mini", messages=HELLO).usage
        assert plain.chat.completions.create(model="gpt-4o-mini", messages=HELLO).usage
        assert budgeted.chat.completions.create(model="gpt-4o-mini", messages=HELLO).usage
    assert s.total == MINI_CHAT * 3
    messages = [r.getMessage() for r in caplog.records]
    assert messages.count("openai-cost could not open the default ledger") == 1  # once
    assert "openai-cost has no ledger: the budget is not checked" in messages


def test_untracked_post_endpoints_pass_through(server: FakeOpenAI, ledger: Any) -> None:
    tag = run_tag()
    client = openai_cost.track(_client(server, max_retries=0), ledger=ledger, tags={"run": tag})
    with pytest.raises(openai.NotFoundError):  # the local server has no moderations
        client.moderations.create(input="hello")
    assert rows(ledger, tag=tag) == []


def test_compressed_bodies_are_priced(server: FakeOpenAI, ledger: Any, prices: Catalog) -> None:
    # api.openai.com compresses the JSON of calls that do not stream; the SDK decodes it, and
    # so must tracking's copy, else every such call would be stored unpriced
    tag = run_tag()
    client = openai_cost.track(
        _client(server, default_headers={"x-fake-encoding": "gzip"}),
        ledger=ledger,
        tags={"run": tag},
        prices=prices,
    )
    raw = client.chat.completions.with_raw_response.create(model="gpt-4o-mini", messages=HELLO)
    assert raw.headers["content-encoding"] == "gzip"
    assert raw.parse().usage is not None
    client.responses.create(model="gpt-4o-mini", input="Weather in San Francisco?")
    client.embeddings.create(model="text-embedding-3-small", input=["a", "b"])
    recs = rows(ledger, tag=tag)
    assert [r.unpriced_reason for r in recs] == [None, None, None]
    # text-embedding-3-small: 2 inputs x 4 tokens at $0.02 per 1M (openai-billing.md 3.8)
    assert [r.total_usd for r in recs] == [MINI_CHAT, MINI_RESPONSES, Decimal("0.00000016")]


def test_budget_estimates_use_every_priced_tier(tmp_path: Path) -> None:
    """A budget's pre-call estimate prices ``fast`` as priority and ``ultrafast`` at its own
    rates; a tier the model has no price for is estimated at standard rates."""
    from openai_cost.tokens import estimate_request

    path = tmp_path / "tiers.toml"
    path.write_text(
        '[[models]]\nid = "tier-test"\n[[models.prices]]\nsince = "2025-01-01"\n'
        'source = "test"\ninput = "1.00"\noutput = "4.00"\n'
        '[models.prices.priority]\ninput = "2.00"\noutput = "8.00"\n'
        '[models.prices.ultrafast]\ninput = "6.00"\noutput = "24.00"\n'
    )
    cat = Catalog([path])

    def est(tier: str | None) -> Decimal:
        body: dict[str, Any] = {"model": "tier-test", "input": [{"type": "mystery_obj"}],
                                "max_output_tokens": 1000}  # fmt: skip
        if tier is not None:
            body["service_tier"] = tier
        raw = json.dumps(body).encode()
        raw += b" " * (400 - len(raw))  # 400 bytes / 4 = 100 input tokens, by size
        return estimate_request("tier-test", body, raw, cat)

    # standard: 100 x $1.00 + 1000 x $4.00 per 1M = 0.0041
    assert est(None) == est("default") == Decimal("0.0041")
    # fast is priority: 100 x 2.00 + 1000 x 8.00 = 0.0082; ultrafast: 100 x 6 + 1000 x 24
    assert est("fast") == est("priority") == est("Priority") == Decimal("0.0082")
    assert est("ultrafast") == Decimal("0.0246")
    # no flex price for this model: estimated at standard rates (logged), not $0
    assert est("flex") == Decimal("0.0041")

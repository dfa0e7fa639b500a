"""`openai_cost.org`: pull the organisation Usage and Costs APIs, price, reconcile.

Driven through the real ``openai`` SDK against `fake_admin_server` on 127.0.0.1, on SQLite and
PostgreSQL. Expected dollars are computed by hand from these rates (USD per 1M tokens), all
from openai-billing.md:

* gpt-4o-2024-08-06: $2.50 input, $1.25 cached, $10.00 output (section 3.1 and the 2025-01-08
  table); Priority $4.25 / $2.125 / $17.00 (section 2.5);
* gpt-4o-mini-2024-07-18: $0.15 / $0.075 / $0.60 (section 3.1); Batch 50%: $0.075 input,
  $0.30 output (section 2.3);
* text-embedding-3-small: $0.02 input (2025-01-08 table).
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from _ledger_helpers import Backend
from fake_admin_server import (
    ADMIN_KEY,
    FakeAdmin,
    Server,
    SynthCall,
    serve,
    synthetic_calls,
)
from openai_cost import Ledger, Usage, org
from openai_cost._cli import main
from openai_cost.errors import ConfigError, OpenAICostError
from openai_cost.org import Finding, parse_line_item
from openai_cost.pricing import price
from openai_cost.types import CallRecord

D14, D15, D16 = date(2026, 7, 14), date(2026, 7, 15), date(2026, 7, 16)
GPT4O, MINI, EMB = "gpt-4o-2024-08-06", "gpt-4o-mini-2024-07-18", "text-embedding-3-small"


def at(d: date, hour: int) -> datetime:
    return datetime(d.year, d.month, d.day, hour, tzinfo=timezone.utc)


# The literal calls the hand computations below are about. 2026-07-14 is served in the old
# completions schema, 2026-07-16 in the new one; 2026-07-15 is an empty bucket.
A = SynthCall("req_a", at(D14, 10), GPT4O, "proj_alpha", "key_a", "user_1",
              input_tokens=2000, cached_tokens=1024, output_tokens=500)  # fmt: skip
B = SynthCall("req_b", at(D14, 11), MINI, "proj_beta", "key_b", "user_2",
              input_tokens=10_000, output_tokens=1000)  # fmt: skip
C = SynthCall("req_c", at(D16, 9), GPT4O, "proj_beta", "key_b", None,
              input_tokens=1000, output_tokens=100, service_tier="priority")  # fmt: skip
D = SynthCall("req_d", at(D16, 12), MINI, "proj_alpha", "key_a", "user_1",
              input_tokens=4000, output_tokens=2000, batch=True)  # fmt: skip
E = SynthCall("req_e", at(D16, 13), EMB, "proj_alpha", "key_c", "user_1",
              endpoint="embeddings", input_tokens=50_000)  # fmt: skip

# A: 976 uncached x $2.50 + 1024 cached x $1.25 + 500 out x $10 = 0.00244 + 0.00128 + 0.005
A_USD = Decimal("0.00872")
# B: 10,000 x $0.15 + 1,000 x $0.60 = 0.0015 + 0.0006
B_USD = Decimal("0.0021")
# C (priority): 1,000 x $4.25 + 100 x $17 = 0.00425 + 0.0017
C_USD = Decimal("0.00595")
# D (batch): 4,000 x $0.075 + 2,000 x $0.30 = 0.0003 + 0.0006
D_USD = Decimal("0.0009")
# E: 50,000 x $0.02
E_USD = Decimal("0.001")
CALLS = [A, B, C, D, E]


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'ledger.db'}"


@pytest.fixture(autouse=True)
def _admin_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_ADMIN_KEY", ADMIN_KEY)


@contextlib.contextmanager
def fake(state: FakeAdmin) -> Iterator[Server]:
    yield from serve(state)


def track(url: str, calls: list[SynthCall]) -> None:
    """Record calls in the ledger the way tracking does (cost priced at the call's time)."""
    from openai_cost import cost_of

    with Ledger(url) as led:
        for c in calls:
            u = Usage(
                input_tokens=c.input_tokens,
                cached_tokens=c.cached_tokens,
                output_tokens=c.output_tokens,
            )
            cost = cost_of(u, model=c.model, at=c.at, tier=c.service_tier, batch=c.batch)
            led.record(
                CallRecord(
                    request_id=c.request_id,
                    created_at=c.at,
                    status="ok",
                    model=c.model,
                    model_resolved=cost.model,
                    endpoint=c.endpoint,
                    tier=c.service_tier,
                    usage=u,
                    cost=cost,
                )
            )


def pulled(url: str, state: FakeAdmin, **kw: object) -> org.PullSummary:
    with fake(state) as srv:
        return org.pull(url, since=D14, until=D16, base_url=srv.base_url, **kw)  # type: ignore[arg-type]


def row(rec: org.Reconciliation, day: date, model: str, tier: str = "default") -> org.ReconcileRow:
    (r,) = [r for r in rec.rows if (r.day, r.model, r.tier) == (day, model, tier)]
    return r


# --- line items ----------------------------------------------------------------------------

G55, AUDIO = "gpt-5.5-2026-04-23", "gpt-audio-mini-2025-12-15"


@pytest.mark.parametrize(
    ("text", "model", "dimension", "tier", "long_context"),
    [
        ("gpt-5.5-2026-04-23, input", G55, "input", "default", False),
        ("gpt-5.5-2026-04-23, cached input", G55, "cached_input", "default", False),
        ("gpt-5.5-2026-04-23, cache writes", G55, "cache_write", "default", False),
        ("priority | gpt-5.6-sol, output, long context", "gpt-5.6-sol", "output", "priority", True),
        ("gpt-audio-mini-2025-12-15 audio, input", AUDIO, "audio_input", "default", False),
        ("gpt-image-1 image, output", "gpt-image-1", "image_output", "default", False),
        ("ft-gpt-4o-2024-08-06, input", "ft-gpt-4o-2024-08-06", "input", "default", False),
        ("gpt-6-astra, input_tokens", "gpt-6-astra", "input", "default", False),
    ],
)  # fmt: skip
def test_model_line_items_parse(
    text: str, model: str, dimension: str, tier: str, long_context: bool
) -> None:
    item = parse_line_item(text)
    assert item is not None
    assert (item.model, item.dimension, item.tier, item.long_context) == (
        model,
        dimension,
        tier,
        long_context,
    )


@pytest.mark.parametrize(
    "text",
    [
        "web search tool calls",
        "assistants api | file search",
        "whisper-1, audio",
        "dall-e 3, standard, 1024x1792, 1792x1024",
        "Vector storage",
        "",
    ],
)
def test_other_line_items_are_not_model_charges(text: str) -> None:
    assert parse_line_item(text) is None


def test_ft_line_item_resolves_to_the_fine_tuned_price(sqlite_url: str) -> None:
    item = parse_line_item("ft-gpt-4o-2024-08-06, input")
    assert item is not None
    assert item.model_candidates == ("ft-gpt-4o-2024-08-06", "ft:gpt-4o-2024-08-06")


# --- the fake is faithful -------------------------------------------------------------------


def _get(srv: Server, path: str, query: str, key: str = ADMIN_KEY) -> httpx.Response:
    return httpx.get(
        f"{srv.base_url}{path}?{query}", headers={"authorization": f"Bearer {key}"}, timeout=10
    )


def test_fake_buckets_group_by_styles_and_bad_parameters() -> None:
    start = int(at(D14, 6).timestamp())  # not midnight: the first bucket starts there
    end = int(at(date(2026, 7, 17), 0).timestamp())
    with fake(FakeAdmin(CALLS)) as srv:
        repeated = _get(
            srv,
            "/organization/usage/completions",
            f"start_time={start}&end_time={end}&group_by=model&group_by=project_id&limit=5",
        )
        brackets = _get(
            srv,
            "/organization/usage/completions",
            f"start_time={start}&end_time={end}&group_by[]=model&group_by[]=project_id&limit=5",
        )
        bad_group = _get(
            srv, "/organization/usage/embeddings", f"start_time={start}&group_by=service_tier"
        )
        bad_limit = _get(srv, "/organization/usage/completions", f"start_time={start}&limit=32")
        bad_param = _get(srv, "/organization/costs", f"start_time={start}&colour=red")
        no_start = _get(srv, "/organization/costs", "limit=3")
        no_key = _get(srv, "/organization/costs", f"start_time={start}", key="sk-wrong")
    assert repeated.status_code == 200
    assert repeated.json() == brackets.json()
    body = repeated.json()
    starts = [b["start_time"] for b in body["data"]]
    assert starts == [start, *(int(at(d, 0).timestamp()) for d in (D15, D16))]
    assert body["data"][1]["results"] == []  # 2026-07-15: no calls, empty bucket kept
    first = body["data"][0]["results"]
    assert {(r["model"], r["project_id"], r["user_id"]) for r in first} == {
        (GPT4O, "proj_alpha", None),
        (MINI, "proj_beta", None),
    }
    assert [r.status_code for r in (bad_group, bad_limit, bad_param, no_start)] == [400] * 4
    assert no_key.status_code == 401


def test_pull_reads_every_endpoint_grouped_by_every_dimension_with_pages(sqlite_url: str) -> None:
    state = FakeAdmin(CALLS)
    summary = pulled(sqlite_url, state, page_days=2)
    # 3 days in pages of 2 buckets: 2 requests per endpoint, 10 usage endpoints + costs
    assert summary.requests == 22
    assert summary.usage_rows["completions"] == 4  # A, B, C, D: each its own group
    assert summary.usage_rows["embeddings"] == 1
    assert summary.usage_rows["images"] == 0
    comp = [r for r in state.requests if r["path"].endswith("/usage/completions")]
    assert len(comp) == 2
    q1 = httpx.QueryParams(comp[0]["query"])
    assert sorted(q1.get_list("group_by[]")) == sorted(
        ["project_id", "user_id", "api_key_id", "model", "batch", "service_tier"]
    )
    assert q1["limit"] == "2" and "page" not in q1
    assert httpx.QueryParams(comp[1]["query"])["page"]  # the cursor the first page returned
    costs = [r for r in state.requests if r["path"].endswith("/costs")]
    assert sorted(httpx.QueryParams(costs[0]["query"]).get_list("group_by[]")) == [
        "api_key_id",
        "line_item",
        "project_id",
    ]
    assert all(r["headers"]["authorization"] == f"Bearer {ADMIN_KEY}" for r in state.requests)


def _count(url: str, table: str) -> int:
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as c:
            return int(c.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one())
    finally:
        engine.dispose()


def test_pulling_again_replaces_the_buckets(backend: Backend) -> None:
    state = FakeAdmin(CALLS)
    pulled(backend.url, state)
    first = (_count(backend.url, "org_usage"), _count(backend.url, "org_costs"))
    before = org.report(backend.url, since=D14, until=D16)
    pulled(backend.url, state)
    assert (_count(backend.url, "org_usage"), _count(backend.url, "org_costs")) == first
    assert org.report(backend.url, since=D14, until=D16) == before
    # a pull of one project replaces that project's rows only
    state.calls = [c for c in CALLS if c is not A]
    pulled(backend.url, state, project_ids=["proj_alpha"])
    rep = org.report(backend.url, since=D14, until=D16, by="project")
    by = {r.group: r for r in rep.rows}
    assert by["proj_alpha"].usage_usd == D_USD + E_USD
    assert by["proj_beta"].usage_usd == B_USD + C_USD


def test_report_prices_each_bucket_at_its_day_tier_and_batch(backend: Backend) -> None:
    pulled(backend.url, FakeAdmin(CALLS))

    def usd(by: str) -> dict[str, Decimal | None]:
        return {
            r.group: r.usage_usd for r in org.report(backend.url, since=D14, until=D16, by=by).rows
        }

    assert usd("model") == {GPT4O: A_USD + C_USD, MINI: B_USD + D_USD, EMB: E_USD}
    assert usd("project") == {"proj_alpha": A_USD + D_USD + E_USD, "proj_beta": B_USD + C_USD}
    assert usd("api_key") == {"key_a": A_USD + D_USD, "key_b": B_USD + C_USD, "key_c": E_USD}
    assert usd("user") == {"user_1": A_USD + D_USD + E_USD, "user_2": B_USD, "(none)": C_USD}
    assert usd("tier") == {"default": A_USD + B_USD + E_USD, "priority": C_USD, "batch": D_USD}
    assert usd("day") == {"2026-07-14": A_USD + B_USD, "2026-07-16": C_USD + D_USD + E_USD}
    rep = org.report(backend.url, since=D14, until=D16, by="model")
    gpt4o = next(r for r in rep.rows if r.group == GPT4O)
    assert (gpt4o.requests, gpt4o.input_tokens, gpt4o.output_tokens) == (2, 3000, 600)
    assert gpt4o.billed_usd == A_USD + C_USD  # billed at the same rates by the fake
    assert rep.unpriced == []
    items = {
        r.group: r.billed_usd
        for r in org.report(backend.url, since=D14, until=D16, by="line_item").rows
    }
    assert items[f"{GPT4O}, cached input"] == Decimal("0.00128")  # 1024 x $1.25
    assert items[f"priority | {GPT4O}, output"] == Decimal("0.0017")  # 100 x $17


def test_unknown_model_is_listed_with_its_reason_never_zero(sqlite_url: str) -> None:
    f = SynthCall("req_f", at(D16, 8), "gpt-9-imaginary", "proj_beta", "key_b", None,
                  input_tokens=1000, output_tokens=10)  # fmt: skip
    state = FakeAdmin([*CALLS, f])
    # the bill's rate for it: $1 input, $2 output -> 0.001 + 0.00002
    state.rates[("gpt-9-imaginary", "default")] = {"input": Decimal(1), "output": Decimal(2)}
    pulled(sqlite_url, state)
    rep = org.report(sqlite_url, since=D14, until=D16, by="project")
    beta = next(r for r in rep.rows if r.group == "proj_beta")
    assert beta.usage_usd == B_USD + C_USD  # F is not in it as $0 ...
    assert beta.unpriced_requests == 1  # ... it is counted apart
    (bucket,) = rep.unpriced
    assert (bucket.day, bucket.model, bucket.group, bucket.requests) == (
        D16,
        "gpt-9-imaginary",
        "proj_beta",
        1,
    )
    assert "unknown model 'gpt-9-imaginary'" in bucket.reason
    rec = org.reconcile(sqlite_url, since=D14, until=D16)
    r = row(rec, D16, "gpt-9-imaginary")
    assert r.usage_usd is None
    assert r.billed_usd == Decimal("0.00102")
    kinds = [x.kind for x in r.findings]
    assert kinds == ["unknown_model", "untracked"]
    assert "gpt-9-imaginary" in r.findings[0].detail


def test_web_search_calls_are_priced_per_call(sqlite_url: str) -> None:
    searches = [
        SynthCall(
            f"ws_{i}", at(D16, 14), GPT4O, "proj_beta", "key_b", None, endpoint="web_search_calls"
        )
        for i in range(3)
    ]
    state = FakeAdmin([*CALLS, *searches])
    state.extra_costs = [
        {"day": D16, "line_item": "web search tool calls", "amount": Decimal("0.03")}
    ]
    pulled(sqlite_url, state)
    rep = org.report(sqlite_url, since=D16, until=D16, by="project")
    # web search: $10.00 per 1K calls (openai-billing.md 2.7): 3 calls = $0.03
    assert {r.group: r.usage_usd for r in rep.rows}["proj_beta"] == C_USD + Decimal("0.03")
    # in reconcile a search is not a model's tokens: its bill is an other charge
    rec = org.reconcile(sqlite_url, since=D16, until=D16)
    assert row(rec, D16, GPT4O, "priority").usage_usd == C_USD
    assert [(c.line_item, c.billed_usd) for c in rec.other_charges] == [
        ("web search tool calls", Decimal("0.03"))
    ]


def test_an_undocumented_tier_is_unpriced_not_zero(sqlite_url: str) -> None:
    tier = "incentivized-tier"  # seen in usage exports, documented nowhere
    g = SynthCall("req_g", at(D16, 7), GPT4O, "proj_alpha", "key_a", None,
                  input_tokens=1000, output_tokens=10, service_tier=tier)  # fmt: skip
    pulled(sqlite_url, FakeAdmin([*CALLS, g]))
    rep = org.report(sqlite_url, since=D14, until=D16, by="tier")
    tiers = {r.group: (r.usage_usd, r.unpriced_requests) for r in rep.rows}
    assert tiers["incentivized-tier"] == (None, 1)
    (bucket,) = rep.unpriced
    assert "unknown tier 'incentivized-tier'" in bucket.reason
    rec = org.reconcile(sqlite_url, since=D14, until=D16)
    r = row(rec, D16, GPT4O, "incentivized-tier")
    assert r.usage_usd is None
    assert [f.kind for f in r.findings] == ["unpriced", "untracked"]
    assert "incentivized-tier" in r.findings[0].detail


# --- schemas and amounts ---------------------------------------------------------------------


def test_old_and_new_completions_schemas_normalise_alike(sqlite_url: str) -> None:
    # the same audio call on each side of 2026-07-15: 3000 input of which 1000 audio, 1280
    # cached of which 256 cached audio
    shape = {"input_tokens": 3000, "cached_tokens": 1280, "output_tokens": 10,
             "audio_input_tokens": 1000, "cached_audio_tokens": 256}  # fmt: skip
    old = SynthCall("old", at(D14, 1), GPT4O, "p", "k", None, **shape)  # type: ignore[arg-type]
    new = SynthCall("new", at(D16, 1), GPT4O, "p", "k", None, **shape)  # type: ignore[arg-type]
    state = FakeAdmin([old, new])
    with fake(state) as srv:
        query = f"start_time={int(at(D14, 0).timestamp())}&limit=3&group_by=model"
        raw = _get(srv, "/organization/usage/completions", query).json()
        org.pull(sqlite_url, since=D14, until=D16, base_url=srv.base_url, endpoints=["completions"])
    old_r, new_r = raw["data"][0]["results"][0], raw["data"][2]["results"][0]
    assert old_r["input_audio_tokens"] == 1000 and "input_cached_audio_tokens" not in old_r
    assert new_r["input_audio_tokens"] == 744 and new_r["input_cached_audio_tokens"] == 256
    engine = sa.create_engine(sqlite_url)
    with engine.connect() as c:
        got = c.execute(
            sa.text(
                "SELECT detail_schema, input_tokens, cached_tokens, audio_input_tokens, "
                "cached_audio_tokens FROM org_usage ORDER BY day"
            )
        ).all()
    engine.dispose()
    # both read as 1000 audio input (inclusive); the old schema has no cached-audio split, so
    # the least the counts allow (1280 + 1000 - 3000 < 0 -> 0) is taken
    assert [tuple(r) for r in got] == [
        ("legacy", 3000, 1280, 1000, 0),
        ("2026-07-15", 3000, 1280, 1000, 256),
    ]


def test_12_hour_cache_writes_price_at_their_own_rate(sqlite_url: str) -> None:
    day = date(2026, 11, 20)
    writes = {"cache_write_tokens": 4000, "cache_write_12h_tokens": 1000}
    call = SynthCall("req_w", at(day, 5), "gpt-6.2-sol", "p", "k", None,
                     input_tokens=10_000, output_tokens=100, **writes)  # fmt: skip
    with fake(FakeAdmin([call])) as srv:
        org.pull(sqlite_url, since=day, until=day, base_url=srv.base_url, endpoints=["completions"])
    (r,) = org.report(sqlite_url, since=day, until=day).rows
    # gpt-6.2-sol (openai-billing.md 6.1): input $2.00, 30-minute cache write $2.50, 12-hour
    # cache write $5.00, output $10.00: 1000 x 5 + 3000 x 2.50 + 6000 x 2 + 100 x 10 per 1M
    assert r.usage_usd == Decimal("0.0255")


def test_amount_value_as_string_or_long_number(sqlite_url: str, tmp_path: Path) -> None:
    pulled(sqlite_url, FakeAdmin(CALLS))
    other = f"sqlite:///{tmp_path / 'other.db'}"
    pulled(other, FakeAdmin(CALLS, amount_as_string=True))
    a = org.reconcile(sqlite_url, since=D14, until=D16)
    b = org.reconcile(other, since=D14, until=D16)
    assert a.billed_usd == b.billed_usd == A_USD + B_USD + C_USD + D_USD + E_USD


# --- errors ----------------------------------------------------------------------------------


def test_401_is_one_line_naming_the_variable(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_ADMIN_KEY", "sk-admin-not-this-one")
    with fake(FakeAdmin(CALLS)) as srv:
        res = CliRunner().invoke(
            main,
            ["org", "pull", "--since", "2026-07-14", "--until", "2026-07-16",
             "--db", sqlite_url, "--base-url", srv.base_url],
        )  # fmt: skip
    assert res.exit_code == 1
    lines = res.output.strip().splitlines()
    assert len(lines) == 1 and "OPENAI_ADMIN_KEY" in lines[0] and "401" in lines[0]
    assert "sk-admin-not-this-one" not in res.output


def test_missing_key_and_bad_parameters(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with fake(FakeAdmin(CALLS)) as srv:
        with pytest.raises(OpenAICostError, match=r"HTTP 400: Invalid value for 'limit'"):
            org.pull(sqlite_url, since=D14, until=D16, base_url=srv.base_url, page_days=40)
        monkeypatch.delenv("OPENAI_ADMIN_KEY")
        with pytest.raises(ConfigError, match="OPENAI_ADMIN_KEY is not set"):
            org.pull(sqlite_url, since=D14, until=D16, base_url=srv.base_url)


def test_429_is_retried_after_retry_after(sqlite_url: str) -> None:
    state = FakeAdmin(CALLS, fail_429=1)
    waits: list[float] = []
    t0 = time.monotonic()
    summary = pulled(sqlite_url, state, on_wait=waits.append)
    assert time.monotonic() - t0 >= 1.0
    assert waits == [1.0] and summary.retries == 1
    assert summary.usage_rows["completions"] == 4


# --- reconcile --------------------------------------------------------------------------------


def test_reconcile_all_agree_but_untracked_batch(backend: Backend) -> None:
    track(backend.url, [A, B, C, E])  # the Batch call D never went through the tracked client
    pulled(backend.url, FakeAdmin(CALLS))
    rec = org.reconcile(backend.url, since=D14, until=D16)
    got = {(r.day, r.model, r.tier): (r.tracked_usd, r.usage_usd, r.billed_usd) for r in rec.rows}
    assert got == {
        (D14, GPT4O, "default"): (A_USD, A_USD, A_USD),
        (D14, MINI, "default"): (B_USD, B_USD, B_USD),
        (D16, GPT4O, "priority"): (C_USD, C_USD, C_USD),
        (D16, MINI, "batch"): (0, D_USD, D_USD),
        (D16, EMB, "default"): (E_USD, E_USD, E_USD),
    }
    assert [f for r in rec.rows if r.tier != "batch" for f in r.findings] == []
    (f,) = row(rec, D16, MINI, "batch").findings
    assert f.kind == "untracked"
    assert f.projects == (("proj_alpha", 1),) and f.api_keys == (("key_a", 1),)
    assert rec.difference_pct == 0
    assert rec.other_charges == []
    # one day of three: the ledger is read through its created_at index
    one = org.reconcile(backend.url, since=D16, until=D16)
    assert {(r.model, r.tier): r.tracked_usd for r in one.rows} == {
        (GPT4O, "priority"): C_USD,
        (MINI, "batch"): 0,
        (EMB, "default"): E_USD,
    }


def test_untracked_names_projects_and_keys(backend: Backend) -> None:
    calls = synthetic_calls(seed=11, start=D14, days=3, per_day=20)
    dropped = {c.request_id for c in calls if c.project_id == "proj_beta" and c.model == GPT4O}
    track(backend.url, [c for c in calls if c.request_id not in dropped and not c.batch])
    pulled(backend.url, FakeAdmin(calls))
    rec = org.reconcile(backend.url, since=D14, until=D16)
    for r in rec.rows:
        if r.model != GPT4O:
            continue
        missing = [
            c for c in calls if c.request_id in dropped and c.day == r.day and c.tier == r.tier
        ]
        untracked = [f for f in r.findings if f.kind == "untracked"]
        if not missing:
            assert untracked == []
            continue
        (f,) = untracked
        assert r.usage_requests - r.tracked_requests == len(missing)
        # every request of the row is named by project: the dropped ones are proj_beta's
        names = dict(f.projects)
        assert names["proj_beta"] == len(missing)
        assert sum(names.values()) == r.usage_requests


def test_price_drift_names_dimension_and_both_rates(backend: Backend) -> None:
    track(backend.url, [A, B, C, E])
    state = FakeAdmin(CALLS)
    state.rates[(GPT4O, "default")]["output"] = Decimal("12.00")  # a price rise we missed
    pulled(backend.url, state)
    rec = org.reconcile(backend.url, since=D14, until=D16)
    r = row(rec, D14, GPT4O)
    # billed: 976 x $2.50 + 1024 x $1.25 + 500 x $12 = 0.00244 + 0.00128 + 0.006
    assert r.billed_usd == Decimal("0.00972")
    assert r.findings == (
        Finding(
            kind="price_drift",
            dimension="output",
            catalog_rate=Decimal("10.00"),
            billed_rate=Decimal(12),
            detail="output billed at $12/1M tokens, the catalog says $10.00/1M (prices since "
            "2025-06-26)",
        ),
    )
    # billed to models 0.01867 + 0.001 more; priced usage 0.01867
    assert rec.billed_model_usd == Decimal("0.01967")
    assert rec.usage_usd == Decimal("0.01867")


def test_price_drift_without_quantity_uses_the_usage_tokens(sqlite_url: str) -> None:
    # before 2026-08-21 line items had no quantity: the billed rate is amount / the usage
    # tokens of that dimension. B billed at $0.20 input: 10,000 x $0.20 = 0.002 -> $0.20/1M
    state = FakeAdmin(CALLS, with_quantity=False)
    state.rates[(MINI, "default")]["input"] = Decimal("0.20")
    pulled(sqlite_url, state)
    rec = org.reconcile(sqlite_url, since=D14, until=D16)
    drift = [f for f in row(rec, D14, MINI).findings if f.kind == "price_drift"]
    assert [(f.dimension, f.catalog_rate, f.billed_rate) for f in drift] == [
        ("input", Decimal("0.15"), Decimal("0.2"))
    ]
    # the batch row of the same model is billed at the catalog's rates: no drift there
    assert [f.kind for f in row(rec, D16, MINI, "batch").findings] == ["untracked"]


def test_reconcile_pull_then_compare(sqlite_url: str) -> None:
    track(sqlite_url, [A, B, C, D, E])
    with fake(FakeAdmin(CALLS)) as srv:
        res = CliRunner().invoke(
            main,
            ["reconcile", "--since", "2026-07-14", "--until", "2026-07-16", "--db", sqlite_url,
             "--pull", "--base-url", srv.base_url, "--json", "--fail-over", "0"],
        )  # fmt: skip
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    total = str(A_USD + B_USD + C_USD + D_USD + E_USD)
    assert data["totals"]["usage_usd"] == data["totals"]["billed_usd"] == total
    # D was tracked without its Batch flag (the ledger has no Batch tier): it shows as tracked
    # at standard rates and not billed there, and untracked in the Batch row
    kinds = {(r["model"], r["tier"]): [f["kind"] for f in r["findings"]] for r in data["rows"]}
    assert kinds[(MINI, "batch")] == ["untracked"]
    assert kinds[(GPT4O, "priority")] == []
    d16 = next(r for r in data["rows"] if r["day"] == "2026-07-16" and r["model"] == MINI
               and r["tier"] == "default")  # fmt: skip
    assert (d16["tracked_usd"], d16["usage_usd"], d16["billed_usd"]) == (str(D_USD), None, "0")
    assert [f["kind"] for f in d16["findings"]] == ["not_billed"]


def test_other_charges_and_not_billed(backend: Backend) -> None:
    track(backend.url, [A, B, C, E])
    state = FakeAdmin(CALLS, unbilled_models={MINI})
    state.extra_costs = [
        {"day": D16, "line_item": "web search tool calls", "amount": Decimal("0.25"),
         "project_id": "proj_alpha", "api_key_id": "key_a"},
        {"day": D16, "line_item": "Vector storage", "amount": Decimal("0.10"),
         "project_id": "proj_beta", "api_key_id": None},
    ]  # fmt: skip
    pulled(backend.url, state)
    rec = org.reconcile(backend.url, since=D14, until=D16)
    assert [(c.day, c.line_item, c.billed_usd) for c in rec.other_charges] == [
        (D16, "web search tool calls", Decimal("0.25")),
        (D16, "Vector storage", Decimal("0.1")),
    ]
    assert rec.billed_usd == A_USD + C_USD + E_USD + Decimal("0.35")
    b = row(rec, D14, MINI)
    assert b.billed_usd == 0
    assert [f.kind for f in b.findings] == ["not_billed"]
    assert "$0.0021 of priced usage" in b.findings[0].detail


def test_reconcile_json_and_fail_over(sqlite_url: str) -> None:
    track(sqlite_url, [A, B, C, E])
    state = FakeAdmin(CALLS)
    state.rates[(GPT4O, "default")]["output"] = Decimal("12.00")
    pulled(sqlite_url, state)
    args = ["reconcile", "--since", "2026-07-14", "--until", "2026-07-16", "--db", sqlite_url]
    res = CliRunner().invoke(main, [*args, "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert set(data) >= {"since", "until", "totals", "rows", "other_charges"}
    assert data["totals"]["tracked_usd"] == str(A_USD + B_USD + C_USD + E_USD)
    assert data["totals"]["usage_usd"] == "0.01867"
    assert data["totals"]["billed_usd"] == "0.01967"
    r = next(x for x in data["rows"] if x["day"] == "2026-07-14" and x["model"] == GPT4O)
    assert r["findings"] == [
        {
            "kind": "price_drift",
            "dimension": "output",
            "catalog_rate": "10.00",
            "billed_rate": "12",
            "detail": r["findings"][0]["detail"],
        }
    ]
    # billed 0.01967 vs usage 0.01867: 0.001 / 0.01967 = 5.08%
    assert CliRunner().invoke(main, [*args, "--fail-over", "6"]).exit_code == 0
    res = CliRunner().invoke(main, [*args, "--fail-over", "5"])
    assert res.exit_code == 1
    assert "differ by 5.08%" in res.output
    assert "price_drift" in res.output  # the table came first


def test_cli_report_csv_and_json(sqlite_url: str) -> None:
    pulled(sqlite_url, FakeAdmin(CALLS))
    args = ["org", "report", "--since", "2026-07-14", "--until", "2026-07-16", "--db", sqlite_url]
    res = CliRunner().invoke(main, [*args, "--by", "tier", "--csv"])
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    assert (
        lines[0]
        == "tier,requests,input_tokens,output_tokens,usage_usd,unpriced_requests,billed_usd"
    )
    assert lines[1] == f"default,3,62000,1500,{A_USD + B_USD + E_USD},0,{A_USD + B_USD + E_USD}"
    res = CliRunner().invoke(main, [*args, "--by", "project", "--json"])
    assert json.loads(res.output)["totals"]["usage_usd"] == "0.01867"
    res = CliRunner().invoke(main, [*args, "--by", "api_key"])
    assert res.exit_code == 0 and "key_b" in res.output
    res = CliRunner().invoke(main, [*args, "--by", "line_item"])
    assert res.exit_code == 0, res.output
    line = next(ln for ln in res.output.splitlines() if f"priority | {GPT4O}, output" in ln)
    assert line.split()[-1] == "$0.0017"  # C: 100 x $17 per 1M


def test_has_data(sqlite_url: str) -> None:
    assert not org.has_data(sqlite_url)
    pulled(sqlite_url, FakeAdmin(CALLS))
    assert org.has_data(sqlite_url)
    assert org.has_data(sqlite_url, since=D16, until=D16)
    assert not org.has_data(sqlite_url, since=date(2026, 8, 1))


def test_org_does_not_load_the_sdk_until_pull() -> None:
    code = (
        "import sys, openai_cost\n"
        "assert 'openai_cost.org' not in sys.modules\n"
        "from openai_cost import org\n"
        "print('openai' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_pricing_matches_the_hand_computed_rates() -> None:
    # guards the test's own arithmetic against the catalog used by every test above
    from openai_cost import catalog

    mp = catalog().resolve(GPT4O, D14)
    assert price(Usage(input_tokens=2000, cached_tokens=1024, output_tokens=500), mp).total == A_USD

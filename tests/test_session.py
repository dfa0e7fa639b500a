"""`session()`: per-block totals across threads and asyncio tasks, tags merged onto rows.

Costs by hand from `_tracking_helpers.PRICES`: gpt-4o-mini $0.15 in / $0.60 out per 1M,
gpt-4o $2.50 / $10.00 per 1M (openai-billing.md 3.1); the server reports 14 prompt and 37
completion tokens per chat completion.
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import Any

import openai
import pytest

import openai_cost
from _tracking_helpers import (  # close_clients: autouse fixture
    HELLO,
    close_clients,  # noqa: F401
    closing,
    prices,
    rows,
    run_tag,
    server,
)
from fake_openai_server import FakeOpenAI
from openai_cost.catalog import Catalog

__all__ = ["prices", "server"]  # fixtures used by name


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Any]:
    """A real SQLite ledger (the backends are covered by test_tracking and the ledger tests)."""
    from openai_cost.ledger import Ledger

    with Ledger(f"sqlite:///{tmp_path / 'ledger.db'}") as led:
        yield led


MINI = Decimal("0.0000021") + Decimal("0.0000222")  # 14 x 0.15 + 37 x 0.60 per 1M
GPT4O = Decimal("0.000035") + Decimal("0.00037")  # 14 x 2.50 + 37 x 10.00 per 1M


def _tracked(srv: FakeOpenAI, led: Any, cat: Catalog, **kw: Any) -> openai.OpenAI:
    return openai_cost.track(
        closing(openai.OpenAI(base_url=srv.base_url, api_key="test")),
        ledger=led,
        prices=cat,
        **kw,
    )


def test_totals_per_model(server: FakeOpenAI, ledger: Any, prices: Catalog) -> None:
    client = _tracked(server, ledger, prices)
    with openai_cost.session() as s:
        client.chat.completions.create(model="gpt-4o-mini", messages=HELLO)
        client.chat.completions.create(model="gpt-4o-mini", messages=HELLO)
        client.chat.completions.create(model="gpt-4o", messages=HELLO)
    assert s.calls == 3
    assert s.total == MINI * 2 + GPT4O
    assert s.by_model == {"gpt-4o-mini-2024-07-18": MINI * 2, "gpt-4o-2024-08-06": GPT4O}
    assert (s.unpriced, s.errors) == (0, 0)
    assert [r.status for r in s.records] == ["ok", "ok", "ok"]
    client.chat.completions.create(model="gpt-4o-mini", messages=HELLO)
    assert s.calls == 3  # after the block, calls no longer count


def test_errors_and_unpriced_are_counted_apart(
    server: FakeOpenAI, ledger: Any, prices: Catalog
) -> None:
    client = _tracked(server, ledger, prices)
    with openai_cost.session() as s:
        client.chat.completions.create(
            model="gpt-4o-mini", messages=HELLO, extra_headers={"x-fake-fail": "429"}
        )
        client.chat.completions.create(
            model="gpt-x", messages=HELLO, extra_headers={"x-fake-model": "gpt-x"}
        )
    assert (s.calls, s.errors, s.unpriced) == (3, 1, 1)
    assert s.total == MINI
    assert s.by_model == {"gpt-4o-mini-2024-07-18": MINI}


def test_tags_merge_inner_wins(server: FakeOpenAI, ledger: Any, prices: Catalog) -> None:
    tag = run_tag()
    client = _tracked(server, ledger, prices, tags={"run": tag, "project": "p", "user": "t"})
    with openai_cost.session(tags={"feature": "f1", "user": "outer"}) as outer:
        with openai_cost.session(tags={"user": "inner"}) as inner:
            client.chat.completions.create(model="gpt-4o-mini", messages=HELLO)
        client.chat.completions.create(model="gpt-4o-mini", messages=HELLO)
    first, second = rows(ledger, tag=tag)
    assert dict(first.tags) == {"run": tag, "project": "p", "user": "inner", "feature": "f1"}
    assert dict(second.tags) == {"run": tag, "project": "p", "user": "outer", "feature": "f1"}
    assert (inner.calls, outer.calls) == (1, 2)
    assert (inner.total, outer.total) == (MINI, MINI * 2)


def test_threads_with_the_context_count(server: FakeOpenAI, ledger: Any, prices: Catalog) -> None:
    client = _tracked(server, ledger, prices)

    def work() -> None:
        for _ in range(3):
            client.chat.completions.create(model="gpt-4o-mini", messages=HELLO)

    with openai_cost.session() as s:
        threads = [threading.Thread(target=s.bind(work)) for _ in range(4)]
        ctx = contextvars.copy_context()
        threads.append(threading.Thread(target=ctx.run, args=(work,)))
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        with ThreadPoolExecutor(4) as pool:
            for f in [pool.submit(s.bind(work)) for _ in range(2)]:
                f.result()
    assert s.calls == 3 * 7
    assert s.total == MINI * 21


def test_plain_threads_do_not_inherit_the_session(
    server: FakeOpenAI, ledger: Any, prices: Catalog
) -> None:
    # Documented: a plain Thread starts with an empty context; wrap its target with s.bind.
    client = _tracked(server, ledger, prices)
    with openai_cost.session() as s:
        t = threading.Thread(
            target=client.chat.completions.create,
            kwargs={"model": "gpt-4o-mini", "messages": HELLO},
        )
        t.start()
        t.join()
    assert s.calls == 0


def test_one_session_entered_from_many_threads(
    server: FakeOpenAI, ledger: Any, prices: Catalog
) -> None:
    client = _tracked(server, ledger, prices)
    shared = openai_cost.session(tags={"batch": "nightly"})
    start = threading.Barrier(4)

    def work() -> None:
        with shared:
            start.wait()  # all four are inside the same session at once
            client.chat.completions.create(model="gpt-4o-mini", messages=HELLO)
        client.chat.completions.create(model="gpt-4o-mini", messages=HELLO)  # outside it

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert (shared.calls, shared.total) == (4, MINI * 4)
    assert all(dict(r.tags) == {"batch": "nightly"} for r in shared.records)


def test_sessions_in_concurrent_threads_are_separate(
    server: FakeOpenAI, ledger: Any, prices: Catalog
) -> None:
    client = _tracked(server, ledger, prices)
    results: dict[int, tuple[int, Decimal]] = {}
    start = threading.Barrier(3)

    def user(i: int) -> None:
        with openai_cost.session(tags={"user": str(i)}) as s:
            start.wait()
            for _ in range(i + 1):
                client.chat.completions.create(model="gpt-4o-mini", messages=HELLO)
        results[i] = (s.calls, s.total)

    threads = [threading.Thread(target=user, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == {0: (1, MINI), 1: (2, MINI * 2), 2: (3, MINI * 3)}


def test_asyncio_tasks(server: FakeOpenAI, ledger: Any, prices: Catalog) -> None:
    async def main() -> tuple[Any, Any, Any]:
        client = openai_cost.track(
            openai.AsyncOpenAI(base_url=server.base_url, api_key="test"),
            ledger=ledger,
            prices=prices,
        )

        async def one(model: str) -> None:
            await client.chat.completions.create(model=model, messages=HELLO)

        async def task_with_own_session() -> Any:
            async with openai_cost.session() as mine:
                await asyncio.gather(one("gpt-4o"), one("gpt-4o"))
            return mine

        async with openai_cost.session() as s:
            mine, _ = await asyncio.gather(
                asyncio.create_task(task_with_own_session()),
                asyncio.gather(*(one("gpt-4o-mini") for _ in range(5))),
            )
        async with openai_cost.session() as other:
            await one("gpt-4o-mini")
        await client.close()
        return s, mine, other

    s, mine, other = asyncio.run(main())
    assert (s.calls, s.total) == (7, MINI * 5 + GPT4O * 2)
    assert (mine.calls, mine.total) == (2, GPT4O * 2)
    assert (other.calls, other.total) == (1, MINI)


def test_stream_finished_after_the_block_still_counts(
    server: FakeOpenAI, ledger: Any, prices: Catalog
) -> None:
    client = _tracked(server, ledger, prices)
    with openai_cost.session() as s:
        stream = client.chat.completions.create(model="gpt-4o-mini", messages=HELLO, stream=True)
    assert s.calls == 0
    for _ in stream:
        pass
    assert s.calls == 1
    # 14 x 0.15 + 30 x 0.60 per 1M
    assert s.total == Decimal("0.0000201")


def test_sessions_closed_out_of_order(server: FakeOpenAI, ledger: Any, prices: Catalog) -> None:
    client = _tracked(server, ledger, prices)
    outer, inner = openai_cost.session(), openai_cost.session()
    outer.__enter__()
    inner.__enter__()
    outer.__exit__(None, None, None)  # the outer one ends first: the inner one stays open
    client.chat.completions.create(model="gpt-4o-mini", messages=HELLO)
    inner.__exit__(None, None, None)
    inner.__exit__(None, None, None)  # a second exit is harmless
    client.chat.completions.create(model="gpt-4o-mini", messages=HELLO)
    assert (outer.calls, inner.calls) == (0, 1)


def test_session_rejects_bad_tags() -> None:
    with pytest.raises(TypeError, match="str to str"):
        openai_cost.session(tags={"n": 1})  # type: ignore[dict-item]
    assert "calls=0" in repr(openai_cost.session())

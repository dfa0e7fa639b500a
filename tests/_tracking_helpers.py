"""Fixtures shared by the tracking and session tests: the local server, a price file, ledgers.

Rates in `PRICES` are the list prices of ``openai-billing.md`` (cited per entry); expected costs in
the tests are computed by hand from them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fake_openai_server import FakeOpenAI
from openai_cost.catalog import Catalog

_OPENED: list[Any] = []


def closing(client: Any) -> Any:
    """Register a sync client (openai or httpx) to be closed when the test ends."""
    _OPENED.append(client)
    return client


@pytest.fixture(autouse=True)
def close_clients() -> Iterator[None]:
    """Close the clients a test opened, so no socket is left for the garbage collector."""
    yield
    while _OPENED:
        _OPENED.pop().close()


PRICES = """
provider = "openai"

[[models]]
id = "gpt-4o-2024-08-06"
aliases = ["gpt-4o"]
encoding = "o200k_base"
max_output_tokens = 16384

[[models.prices]]
since = "2024-08-06"
source = "openai-billing.md 3.1: gpt-4o $2.50 in, $1.25 cached, $10.00 out per 1M"
input = "2.50"
cached_input = "1.25"
output = "10.00"

[[models]]
id = "gpt-4o-mini-2024-07-18"
aliases = ["gpt-4o-mini"]
encoding = "o200k_base"
max_output_tokens = 16384

[[models.prices]]
since = "2024-07-18"
source = "openai-billing.md 3.1: gpt-4o-mini $0.15 in, $0.075 cached, $0.60 out per 1M"
input = "0.15"
cached_input = "0.075"
output = "0.60"

[[models]]
id = "text-embedding-3-small"

[[models.prices]]
since = "2024-01-25"
source = "openai-billing.md 3.8: text-embedding-3-small $0.02 per 1M"
input = "0.02"
"""

HELLO = [{"role": "user", "content": "What is the weather in San Francisco?"}]


@pytest.fixture(scope="module")
def server() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as srv:
        yield srv


@pytest.fixture
def prices(tmp_path: Path) -> Catalog:
    path = tmp_path / "prices.toml"
    path.write_text(PRICES)
    return Catalog([path])


def _postgres_url() -> str | None:
    return os.environ.get("OPENAI_COST_TEST_POSTGRES_URL")


@pytest.fixture(
    params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
)
def ledger(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    """A real `Ledger`: a fresh SQLite file, or PostgreSQL when the test URL is set."""
    from openai_cost.ledger import Ledger

    if request.param == "sqlite":
        led = Ledger(f"sqlite:///{tmp_path / 'ledger.db'}")
    else:
        url = _postgres_url()
        if not url:
            pytest.skip("OPENAI_COST_TEST_POSTGRES_URL is not set")
        led = Ledger(url)
    try:
        yield led
    finally:
        led.close()


def rows(led: Any, *, tag: str) -> list[Any]:
    """The ledger's records carrying ``run=tag``, oldest first (shared PostgreSQL is filtered)."""
    led.flush()
    return sorted(
        (r for r in led.records() if r.tags.get("run") == tag),
        key=lambda r: r.created_at,
    )


def run_tag() -> str:
    return uuid.uuid4().hex

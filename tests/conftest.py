"""Shared fixtures: every test runs with its own OPENAI_COST_HOME and no user price file;
``backend`` (each ledger backend in turn: SQLite, and PostgreSQL when configured) and
``ledger`` (a `Ledger` on it) for the tests that ask for them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from _ledger_helpers import BACKENDS, Backend, make_backend
from openai_cost import Ledger


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "openai-cost-home"
    home.mkdir()
    monkeypatch.setenv("OPENAI_COST_HOME", str(home))
    monkeypatch.delenv("OPENAI_COST_PRICES", raising=False)
    monkeypatch.delenv("OPENAI_COST_DB_URL", raising=False)
    # the shared catalog reads OPENAI_COST_PRICES when built: start every test from the bundle
    from openai_cost.catalog import catalog

    catalog(reload=True)
    return home


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    with make_backend(request.param, tmp_path) as b:
        yield b


@pytest.fixture
def ledger(backend: Backend) -> Iterator[Ledger]:
    with Ledger(backend.url) as led:
        yield led

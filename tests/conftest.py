"""Shared fixtures: every test runs with its own OPENAI_COST_HOME and no user price file."""

from __future__ import annotations

from pathlib import Path

import pytest


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

"""Meta-tests: the public surface, cheap import, docs that mention every command."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import openai_cost

ROOT = Path(__file__).resolve().parent.parent


def test_all_is_sorted_and_every_name_resolves() -> None:
    assert openai_cost.__all__ == sorted(openai_cost.__all__)
    for name in openai_cost.__all__:
        assert getattr(openai_cost, name) is not None, name


def test_all_lists_every_public_name() -> None:
    import types

    public = {
        n
        for n in dir(openai_cost)
        if not n.startswith("_") and not isinstance(getattr(openai_cost, n), types.ModuleType)
    }
    # typing helpers used by __init__ itself are not exports
    assert public - {"TYPE_CHECKING", "Any", "annotations"} - set(openai_cost.__all__) == set()


def test_unknown_attribute_raises_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        openai_cost.nope  # noqa: B018


def test_version_is_the_installed_distribution_version() -> None:
    from importlib.metadata import version

    assert openai_cost.__version__ == version("openai-cost")


HEAVY = (
    "click",
    "rich",
    "tiktoken",
    "sqlalchemy",
    "psycopg",
    "httpx",
    "openai",
    "flask",
    "fastapi",
    "starlette",
    "jinja2",
    "uvicorn",
    "markupsafe",
    "playwright",
    "openai_cost.dashboard",
    "sqlite3",
    "openai_cost.org",
    "pyarrow",
    "numpy",
    "duckdb",
    "pyspark",
    "orjson",
    "msgspec",
    # prices update only: urllib and http.client load when an update runs
    "urllib.request",
    "http.client",
)


def test_import_is_cheap() -> None:
    code = (
        "import sys, openai_cost\n"
        "openai_cost.cost_of({'prompt_tokens': 10, 'completion_tokens': 5}, model='gpt-4o')\n"
        f"heavy = [m for m in {HEAVY!r} if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"imported on the cost_of path: {out.stdout.strip()}"


def test_every_cli_command_has_help_and_is_in_the_readme() -> None:
    from click.testing import CliRunner

    from openai_cost._cli import main

    readme = (ROOT / "README.md").read_text()
    runner = CliRunner()
    import click

    for name in main.list_commands(click.Context(main)):
        result = runner.invoke(main, [name, "--help"])
        assert result.exit_code == 0, (name, result.output)
        assert "--json" in result.output or name in ("serve", "dashboard"), name
        assert f"openai-cost {name}" in readme, f"README does not show `openai-cost {name}`"


def test_money_fields_have_unit_named_spellings(tmp_path: Path) -> None:
    """Every money total can be read as ``*_usd``; the older names give the same value."""
    from decimal import Decimal

    from _ledger_helpers import COST_DEFAULT, prices, rec
    from openai_cost import Ledger, Session, Usage, cost_of, estimate

    # gpt-4o at the reference prices: 1000 x $2.50/1M + 100 x $10.00/1M (openai-billing.md 3.1)
    cost = cost_of(Usage(1000, 100), model="gpt-4o", prices=prices())
    assert (cost.total_usd, cost.input_usd, cost.output_usd, cost.fees_usd) == (
        Decimal("0.0035"),
        Decimal("0.0025"),
        Decimal("0.001"),
        Decimal(0),
    )
    assert (cost.total, cost.input, cost.output, cost.fees) == (
        cost.total_usd,
        cost.input_usd,
        cost.output_usd,
        cost.fees_usd,
    )

    s = Session()
    s.collect(rec("r1"))
    s.collect(rec("r2"))
    assert s.total_usd == s.total == 2 * COST_DEFAULT

    with Ledger(f"sqlite:///{tmp_path / 'l.db'}") as ledger:
        ledger.record(rec("r3"))
        [row] = ledger.report(by="model")
    assert row.total_usd == row.cost_usd == COST_DEFAULT

    est = estimate("gpt-4o", "hi", max_output_tokens=10, prices=prices())
    assert (est.total_min_usd, est.total_max_usd, est.output_max_usd) == (
        est.total_min,
        est.total_max,
        est.output_cost_max,
    )
    # 10 output tokens x $10.00/1M
    assert est.output_max_usd == Decimal("0.0001")

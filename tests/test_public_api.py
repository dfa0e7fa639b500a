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

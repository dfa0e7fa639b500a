"""`openai-cost price` and `openai-cost models`, run through click's runner and as a process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from openai_cost._cli import main


@pytest.fixture
def run() -> object:
    runner = CliRunner()

    def invoke(*args: str) -> tuple[int, str, str]:
        result = runner.invoke(main, list(args))
        return result.exit_code, result.stdout, result.stderr

    return invoke


def test_price_json(run) -> None:  # type: ignore[no-untyped-def]
    # gpt-4o (-> 2024-08-06) $2.50 in / $1.25 cached / $10 out (openai-billing.md 3.1)
    code, out, _ = run(
        "price",
        "gpt-4o",
        "--input",
        "2006",
        "--cached",
        "1920",
        "--output",
        "300",
        "--at",
        "2025-01-08",
        "--json",
    )
    assert code == 0
    data = json.loads(out)
    assert data["model"] == "gpt-4o-2024-08-06"
    assert data["total_usd"] == "0.005615"
    assert {ln["dimension"]: ln["amount_usd"] for ln in data["lines"]} == {
        "cached_input": "0.0024",
        "input": "0.000215",
        "output": "0.003",
    }


def test_price_table(run) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run("price", "gpt-4o", "-i", "1000", "-o", "1000", "--at", "2025-06-01")
    assert code == 0
    assert "gpt-4o-2024-08-06" in out
    assert "$0.012500" in out  # 1000 x 2.50 + 1000 x 10.00 per 1M
    assert "total" in out


def test_price_batch_and_tier(run) -> None:  # type: ignore[no-untyped-def]
    # gpt-5 flex $0.625 in / $5.00 out (3.3): 1M in + 100K out = 0.625 + 0.5
    code, out, _ = run(
        "price",
        "gpt-5",
        "-i",
        "1000000",
        "-o",
        "100000",
        "--tier",
        "flex",
        "--at",
        "2025-09-01",
        "--json",
    )
    assert code == 0 and json.loads(out)["total_usd"] == "1.125"
    code, _, err = run("price", "gpt-5", "-i", "1", "--batch", "--tier", "flex")
    assert code != 0 and "exclude each other" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["price", "gpt-4oo", "-i", "5"], "unknown model 'gpt-4oo'; closest known: gpt-4o"),
        (["price", "gpt-4o", "-i", "5", "--cached", "6"], "cached_tokens (6) > input_tokens (5)"),
        (["price", "gpt-4o", "-i", "-5"], "-5"),
        (["price", "gpt-4o", "--at", "yesterday"], "'yesterday' is not a date"),
        (["price", "gpt-4o", "--audio-in", "5", "-i", "10"], "audio_input"),
        (["price", "gpt-4o", "-i", "5", "--tier", "flex"], "no flex price"),
    ],
)
def test_price_errors_are_one_line(run, args: list[str], message: str) -> None:  # type: ignore[no-untyped-def]
    code, out, err = run(*args)
    assert code != 0
    assert message in err
    assert "Traceback" not in err + out


def test_models_at_original_date_per_1k(run) -> None:  # type: ignore[no-untyped-def]
    # original-price-table-2025-01-08.md: gpt-4o-2024-05-13 0.00500 / batch 0.00250 / no cached
    code, out, _ = run("models", "gpt-4o-2024-05-13", "--at", "2025-01-08", "--per", "1k", "--json")
    assert code == 0
    rows = json.loads(out)
    assert [r["model"] for r in rows] == ["gpt-4o-2024-05-13"]
    row = rows[0]
    assert row["input"] == "0.005" and row["output"] == "0.015"
    assert row["batch_input"] == "0.0025" and row["batch_output"] == "0.0075"
    assert "cached_input" not in row
    assert row["unit"] == "per 1K tokens"


def test_models_glob_and_table(run) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run("models", "o1-mini*", "--at", "2025-01-08", "--per", "1k")
    assert code == 0
    assert "o1-mini" in out and "0.003" in out and "0.012" in out
    code, _, err = run("models", "no-such-model-xyz")
    assert code == 1 and "unknown model 'no-such-model-xyz'" in err
    code, _, err = run("models", "no-such-*")
    assert code == 1 and "no model matches 'no-such-*'" in err


def test_user_price_file_on_the_command(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    prices = tmp_path / "mine.toml"
    prices.write_text(
        '[[models]]\nid = "my-deployment"\n[[models.prices]]\nsince = "2025-01-01"\n'
        'source = "our contract"\ninput = "1.00"\noutput = "2.00"\n'
    )
    code, out, _ = run(
        "price",
        "my-deployment",
        "-i",
        "1000000",
        "-o",
        "1000000",
        "--json",
        "--prices",
        str(prices),
    )
    assert code == 0 and json.loads(out)["total_usd"] == "3"
    code, out, _ = run("--prices", str(prices), "models", "my-deployment", "--json")
    assert code == 0 and json.loads(out)[0]["source"] == "our contract"
    bad = tmp_path / "bad.toml"
    bad.write_text(
        '[[models]]\nid = "x"\n[[models.prices]]\nsince = "2025-01-01"\n'
        'source = "s"\ninptu = "1.00"\n'
    )
    code, _, err = run("price", "x", "--prices", str(bad))
    assert code == 1
    assert str(bad) in err and "models[0] (x)" in err and "'inptu'" in err


def test_module_entry_point_runs() -> None:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "openai_cost",
            "price",
            "gpt-4o-mini",
            "-i",
            "1000000",
            "--at",
            "2025-06-01",
            "--json",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    # gpt-4o-mini $0.15 per 1M input (3.1)
    assert json.loads(out.stdout)["total_usd"] == "0.15"

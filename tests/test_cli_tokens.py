"""`openai-cost tokens` and `openai-cost estimate`, through click's runner and as a process."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from _tokens_helpers import FIXTURES, PRICES, no_network
from openai_cost._cli import main

__all__ = ["no_network"]  # the fixture, imported to be found by pytest
pytestmark = pytest.mark.usefixtures("no_network")

Run = Callable[..., tuple[int, str, str]]
PAIRS = {p["id"]: p for p in json.loads((FIXTURES / "pairs.json").read_text())["pairs"]}
SF = [{"role": "user", "content": "What's the weather like in SF?"}]  # 14 prompt tokens


@pytest.fixture
def run() -> Run:
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None) -> tuple[int, str, str]:
        result = runner.invoke(main, ["--prices", str(PRICES), *args], input=input)
        return result.exit_code, result.stdout, result.stderr

    return invoke


def _write(tmp_path: Path, name: str, data: Any) -> str:
    p = tmp_path / name
    p.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return str(p)


def test_tokens_of_a_text_file(run: Run, tmp_path: Path) -> None:
    f = _write(tmp_path, "notes.txt", "Hello world")
    code, out, _ = run("tokens", f, "--model", "gpt-4o")
    assert (code, out) == (0, "2\n")


def test_tokens_from_stdin(run: Run) -> None:
    code, out, _ = run("tokens", "-", "-m", "gpt-4o", input="Hello world")
    assert (code, out) == (0, "2\n")


def test_tokens_of_messages_and_of_a_request_body(run: Run, tmp_path: Path) -> None:
    code, out, _ = run("tokens", _write(tmp_path, "m.json", SF), "-m", "gpt-4o")
    assert (code, out) == (0, "14\n")
    pair = PAIRS["cookbook-tools-gpt-4o"]
    body = {"model": "gpt-4o", **pair["request"]}
    code, out, _ = run("tokens", _write(tmp_path, "req.json", body), "--json")
    assert code == 0
    assert json.loads(out) == {
        "model": "gpt-4o",
        "encoding": "o200k_base",
        "kind": "messages",
        "tokens": 101,  # API-reported (cookbook section 7)
    }


def test_tokens_text_flag_counts_json_as_text(run: Run, tmp_path: Path) -> None:
    f = _write(tmp_path, "m.json", SF)
    code, out, _ = run("tokens", f, "-m", "gpt-4o", "--text")
    assert code == 0
    assert int(out) != 14  # the JSON characters, not the message


def test_tokens_needs_a_model(run: Run, tmp_path: Path) -> None:
    code, _, err = run("tokens", _write(tmp_path, "t.txt", "hi"))
    assert code == 2
    assert "--model is required" in err


def test_estimate_table(run: Run, tmp_path: Path) -> None:
    f = _write(tmp_path, "m.json", SF)
    code, out, _ = run("estimate", f, "--model", "gpt-4o", "--max-output", "100")
    assert code == 0
    # 14 x $2.50/1M = $0.000035; + 100 x $10/1M = $0.001035 (openai-billing.md 3.1)
    assert "gpt-4o-2024-08-06" in out
    assert "$0.000035 to $0.001035" in out


def test_estimate_json_single(run: Run, tmp_path: Path) -> None:
    body = {"model": "gpt-4o", "messages": SF, "max_tokens": 100}
    code, out, _ = run("estimate", _write(tmp_path, "req.json", body), "--json")
    assert code == 0
    data = json.loads(out)
    assert data["prompt_tokens"] == 14
    assert data["max_output_tokens"] == 100  # taken from the request's max_tokens
    assert Decimal(data["total_max_usd"]) == Decimal("0.001035")


def test_estimate_compare_is_cheapest_first(run: Run, tmp_path: Path) -> None:
    f = _write(tmp_path, "m.json", SF)
    code, out, _ = run(
        "estimate",
        f,
        "-m",
        "gpt-4",
        "--compare",
        "gpt-4o,gpt-4o-mini",
        "--max-output",
        "100",
        "--json",
    )
    assert code == 0
    rows = json.loads(out)
    # per 1M in / out (openai-billing.md 3.1, 3.10):
    # gpt-4o-mini 0.15 / 0.60: 14 x 0.15 + 100 x 0.60 = 62.1 -> $0.0000621
    # gpt-4o 2.50 / 10: 35 + 1000 -> $0.001035
    # gpt-4 30 / 60 on cl100k: "What's the weather like in SF?" is 8 tokens there -> 15 prompt
    #   tokens: 450 + 6000 -> $0.00645
    assert [r["model"] for r in rows] == [
        "gpt-4o-mini-2024-07-18",
        "gpt-4o-2024-08-06",
        "gpt-4-0613",
    ]
    assert [Decimal(r["total_max_usd"]) for r in rows] == [
        Decimal("0.0000621"),
        Decimal("0.001035"),
        Decimal("0.00645"),
    ]
    assert rows[2]["prompt_tokens"] == 15


def test_estimate_compare_without_max_output_sorts_by_prompt_cost(run: Run, tmp_path: Path) -> None:
    f = _write(tmp_path, "m.json", SF)
    code, out, _ = run("estimate", f, "-m", "gpt-4", "--compare", "gpt-4o,o3", "--json")
    assert code == 0
    rows = json.loads(out)
    # prompt: o3 14 x $2 = 28, gpt-4o 14 x $2.50 = 35, gpt-4 15 x $30 = 450 (per 1M)
    assert [r["model"] for r in rows] == ["o3-2025-04-16", "gpt-4o-2024-08-06", "gpt-4-0613"]
    assert [r["max_output_tokens"] for r in rows] == [100000, 16384, 8192]


@pytest.mark.parametrize(
    ("args", "content", "message"),
    [
        (["-m", "nope-model"], SF, "unknown model 'nope-model'"),
        (["-m", "gpt-4o"], [{"content": "no role"}], "messages[0] has no 'role'"),
        (["-m", "gpt-4o"], "this is not json", "not valid JSON"),
        (["-m", "gpt-4o"], {"prompt": "x"}, "expected a JSON list of messages"),
        (
            ["-m", "gpt-4o"],
            [
                {
                    "role": "user",
                    "content": [{"type": "image_url", "image_url": {"url": "https://x/cat.png"}}],
                }
            ],
            "cannot size an image from a remote URL",
        ),
        (["-m", "gpt-4.1-mini"], SF, "pass max_output_tokens"),
        (["-m", "gpt-4.1-mini", "--compare", "gpt-4.1-mini"], SF, "pass max_output_tokens"),
    ],
)
def test_estimate_errors_are_one_line_exit_1(
    run: Run, tmp_path: Path, args: list[str], content: Any, message: str
) -> None:
    code, out, err = run("estimate", _write(tmp_path, "m.json", content), *args)
    assert code == 1
    assert out == ""
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


def test_tokens_image_error_is_one_line(run: Run, tmp_path: Path) -> None:
    msgs = [
        {
            "role": "user",
            "content": [{"type": "image_url", "image_url": {"url": "https://x/cat.png"}}],
        }
    ]
    code, _, err = run("tokens", _write(tmp_path, "m.json", msgs), "-m", "gpt-4o")
    assert code == 1
    assert err.startswith("Error: messages[0].content[0]: cannot size an image")


def test_both_commands_are_listed_with_help(run: Run) -> None:
    code, out, _ = run("--help")
    assert code == 0
    assert "tokens" in out and "estimate" in out
    for cmd in ("tokens", "estimate"):
        code, out, _ = run(cmd, "--help")
        assert code == 0
        assert "Examples:" in out


def test_as_a_process_without_network(tmp_path: Path) -> None:
    f = _write(tmp_path, "m.json", SF)
    empty = tmp_path / "empty-cache"
    empty.mkdir()
    env = {"TIKTOKEN_CACHE_DIR": str(empty), "PATH": "/usr/bin:/bin"}
    proc = subprocess.run(
        [sys.executable, "-m", "openai_cost", "tokens", f, "--model", "gpt-4o"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert (proc.returncode, proc.stdout) == (0, "14\n"), proc.stderr
    assert list(empty.iterdir()) == []

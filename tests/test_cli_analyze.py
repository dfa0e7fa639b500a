"""``openai-cost analyze``: tables, JSON, CSV, stdin, gzip, --strict, and the bundled examples.

Expected costs are hand computations from tests/_usage_helpers.py's rates (openai-billing.md).
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from _usage_helpers import FIXTURES, PRICES_TOML
from openai_cost._cli import main

ROOT = Path(__file__).resolve().parent.parent
BATCH = str(FIXTURES / "batch_output.jsonl")
D = Decimal


@pytest.fixture
def prices(tmp_path: Path) -> str:
    p = tmp_path / "prices.toml"
    p.write_text(PRICES_TOML, encoding="utf-8")
    return str(p)


def run(*args: str, stdin: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), input=stdin)
    return result.exit_code, result.output


def test_table_lists_groups_total_and_what_was_not_priced(prices: str) -> None:
    code, out = run("analyze", BATCH, "--prices", prices)
    assert code == 0, out
    assert "gpt-4o-mini-2024-07-18" in out
    # 0.0000045 + 0.000315 = $0.0003195, shown with six decimals
    assert "$0.000320" in out
    assert "batch_output.jsonl:3" in out
    assert "batch_expired" in out
    assert "2 failed requests (not billed)" in out


def test_json_output(prices: str) -> None:
    code, out = run("analyze", BATCH, "--json", "--prices", prices)
    assert code == 0, out
    data = json.loads(out)
    # gpt-4o-mini Batch (billing 3.1): 4.5 / 1M + 315 / 1M
    assert D(data["total"]["total_usd"]) == D("0.0003195")
    assert data["failed"] == 2
    assert data["groups"][0]["model"] == "gpt-4o-mini-2024-07-18"
    assert data["groups"][0]["calls"] == 2


def test_csv_output_by_model_and_day(prices: str) -> None:
    code, out = run("analyze", BATCH, "--csv", "--by", "model", "--by", "day", "--prices", prices)
    assert code == 0, out
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows[0]["model"] == "gpt-4o-mini-2024-07-18"
    assert rows[0]["day"] == "2024-12-20"
    assert rows[0]["calls"] == "2"
    assert rows[-1]["model"] == "total"
    assert D(rows[-1]["total_usd"]) == D("0.0003195")


def test_stdin_and_gzip(prices: str, tmp_path: Path) -> None:
    text = (FIXTURES / "batch_output.jsonl").read_text()
    code, out = run("analyze", "-", "--json", "--prices", prices, stdin=text)
    assert code == 0, out
    assert D(json.loads(out)["total"]["total_usd"]) == D("0.0003195")
    gz = tmp_path / "out.jsonl.gz"
    with gzip.open(gz, "wt") as f:
        f.write(text)
    code, out = run("analyze", str(gz), "--json", "--prices", prices)
    assert D(json.loads(out)["total"]["total_usd"]) == D("0.0003195")


def test_strict_exits_1_on_anything_unpriced(prices: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text((FIXTURES / "batch_output.jsonl").read_text() + '{"object": "chat.comp\n')
    code, out = run("analyze", str(bad), "--prices", prices)
    assert code == 0
    assert "1 skipped (1 malformed, 0 not priceable)" in out
    assert f"{bad}:5" in out
    code, out = run("analyze", str(bad), "--strict", "--prices", prices)
    assert code == 1
    # failed requests alone are not a reason to fail --strict: they are not billed
    code, _ = run("analyze", BATCH, "--strict", "--prices", prices)
    assert code == 0


def test_since_until(prices: str) -> None:
    code, out = run("analyze", BATCH, "--json", "--since", "2024-12-21", "--prices", prices)
    data = json.loads(out)
    assert (data["total"]["calls"], data["filtered"]) == (0, 2)
    code, out = run("analyze", BATCH, "--since", "2024-12-21", "--until", "2024-12-01")
    assert code == 2
    assert "is after --until" in out


def test_json_and_csv_exclude_each_other() -> None:
    code, out = run("analyze", BATCH, "--json", "--csv")
    assert code == 2
    assert "exclude each other" in out


def test_progress_bar_path(prices: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from openai_cost._cli import analyze as mod

    monkeypatch.setattr(mod, "_PROGRESS_MIN_BYTES", 0)
    recs = list(mod._records((BATCH, BATCH), progress=True))
    assert len(recs) == 8


def test_bundled_examples_are_fully_priced_by_the_catalog() -> None:
    code, out = run(
        "analyze",
        str(ROOT / "examples" / "mixed_log.jsonl"),
        str(ROOT / "examples" / "batch_output.jsonl"),
        "--json",
    )
    assert code == 0, out
    data = json.loads(out)
    assert data["unknown_models"] == {}
    assert data["unpriced"] == 0
    # the one stream logged without include_usage; two expired lines and one HTTP 400
    assert data["malformed"] == 1
    assert data["failed"] == 3
    assert data["total"]["calls"] > 600

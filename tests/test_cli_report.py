"""``openai-cost report`` on a real ledger (SQLite file and PostgreSQL)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from _ledger_helpers import BACKENDS, Backend, make_backend, rec
from openai_cost import Ledger
from openai_cost._cli import main
from openai_cost._cli.report import bar

D1 = datetime(2026, 11, 1, 10, tzinfo=timezone.utc)
D2 = datetime(2026, 11, 2, 10, tzinfo=timezone.utc)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    with make_backend(request.param, tmp_path) as b:
        with Ledger(b.url) as led:
            # gpt-4o 1000 x $2.50/1M + 100 x $10/1M = $0.0035 each (openai-billing.md 3.1)
            led.record(rec("1", at=D1, tags={"project": "a"}))
            led.record(rec("2", at=D2, tags={"project": "a"}))
            # gpt-4o-mini 10000 x $0.15/1M + 1000 x $0.60/1M = $0.0021 (3.1)
            led.record(
                rec(
                    "3",
                    model="gpt-4o-mini",
                    input_tokens=10000,
                    output_tokens=1000,
                    at=D2,
                    tags={"project": "b"},
                )
            )
            led.record(rec("4", model="mystery-model", priced=False, at=D2))
            led.record(rec("5", status="error", at=D2))
        yield b


def run(*args: str) -> str:
    result = CliRunner().invoke(main, ["report", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_table_by_model_with_bars_and_unpriced(backend: Backend) -> None:
    out = run("--db", backend.url)
    lines = out.splitlines()
    row_4o = next(ln for ln in lines if ln.startswith("│ gpt-4o ") or "│ gpt-4o  " in ln)
    assert "$0.007000" in row_4o  # 2 x $0.0035
    assert "█" * 24 in row_4o  # the largest group gets the full bar
    row_mini = next(ln for ln in lines if "gpt-4o-mini" in ln)
    assert "$0.002100" in row_mini
    # 0.0021 / 0.007 x 24 = 7.2 blocks: 7 full and a 2/8 block
    assert "███████▎" in row_mini and "████████" not in row_mini
    row_unpriced = next(ln for ln in lines if "mystery-model" in ln)
    assert "unpriced" in row_unpriced and "$0.000000" not in row_unpriced
    assert "$0.009100" in out  # total of the priced calls
    assert "1 call(s) could not be priced" in out


def test_json_has_decimal_strings(backend: Backend) -> None:
    data = json.loads(run("--db", backend.url, "--by", "day", "--json"))
    assert data["by"] == "day"
    assert [(r["group"], r["cost_usd"], r["calls"]) for r in data["rows"]] == [
        ("2026-11-01", "0.0035", 1),
        ("2026-11-02", "0.0056", 4),
    ]
    assert data["rows"][1]["unpriced_calls"] == 1 and data["rows"][1]["error_calls"] == 1
    assert data["total"]["cost_usd"] == "0.0091"


def test_unpriced_group_is_null_in_json_never_zero(backend: Backend) -> None:
    data = json.loads(run("--db", backend.url, "--json"))
    mystery = next(r for r in data["rows"] if r["group"] == "mystery-model")
    assert mystery["cost_usd"] is None and mystery["unpriced_calls"] == 1


def test_csv_by_tag_with_dates(backend: Backend) -> None:
    out = run("--db", backend.url, "--by", "tag:project", "--since", "2026-11-02", "--csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    got = {r["tag:project"]: (Decimal(r["cost_usd"]) if r["cost_usd"] else None) for r in rows}
    assert got == {"a": Decimal("0.0035"), "b": Decimal("0.0021"), "(none)": None}
    none_row = next(r for r in rows if r["tag:project"] == "(none)")
    assert none_row["unpriced_calls"] == "1" and none_row["error_calls"] == "1"


def test_db_url_from_the_environment(backend: Backend, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_COST_DB_URL", backend.url)
    data = json.loads(run("--by", "endpoint", "--until", "2026-11-01", "--json"))
    assert [(r["group"], r["cost_usd"]) for r in data["rows"]] == [("chat.completions", "0.0035")]


def test_empty_ledger_says_so(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    with Ledger(url) as led:
        assert led.records() == []  # opening and reading creates the (empty) ledger
    out = run("--db", url)
    assert "No calls recorded" in out


def test_bad_options_fail_with_one_line() -> None:
    r = CliRunner().invoke(main, ["report", "--by", "colour"])
    assert r.exit_code == 2 and "valid: model, day, endpoint, tier, tag:NAME" in r.output
    r = CliRunner().invoke(main, ["report", "--json", "--csv"])
    assert r.exit_code == 2 and "exclude each other" in r.output
    r = CliRunner().invoke(main, ["report", "--db", "mysql://x@y/z"])
    assert r.exit_code == 1 and "unsupported ledger database" in r.output


def test_bar_uses_eighth_blocks() -> None:
    assert bar(Decimal(1), Decimal(1), width=4) == "████"
    assert bar(Decimal("0.5"), Decimal(1), width=4) == "██"
    assert bar(Decimal("0.0625"), Decimal(1), width=4) == "▎"  # 2 eighths of one block
    assert bar(Decimal("0.000001"), Decimal(1), width=4) == "▏"  # never invisible
    assert bar(Decimal(0), Decimal(1)) == ""

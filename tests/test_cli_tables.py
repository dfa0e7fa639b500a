"""Tables at 80 and 120 columns: money and counts are never cut, text folds, and the least
important columns give way (abbreviated, then left out and named) before any money does.

The commands run through click's runner with ``COLUMNS`` set (the console of a non-terminal is
that wide); the layout helper is also driven directly with rich's ``Console(width=...)``.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from rich.cells import cell_len
from rich.console import Console

from _ledger_helpers import rec
from openai_cost import Ledger
from openai_cost._cli import main
from openai_cost._cli._console import console
from openai_cost._cli._layout import Column, compact, fit, print_fit

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = [
    str(ROOT / "examples" / "mixed_log.jsonl"),
    str(ROOT / "examples" / "batch_output.jsonl"),
]
MONEY = re.compile(r"\$[\d,]+\.\d+")


@pytest.fixture(autouse=True)
def _fresh_console() -> Iterator[None]:
    console.cache_clear()
    yield
    console.cache_clear()


def run(width: int, *args: str) -> str:
    console.cache_clear()
    r = CliRunner(env={"COLUMNS": str(width)}).invoke(main, list(args))
    assert r.exit_code == 0, r.output
    return r.stdout


def assert_fits(out: str, width: int) -> None:
    assert "…" not in out  # nothing cut with an ellipsis
    for line in out.splitlines():
        assert cell_len(line) <= width, line


def first_column(out: str) -> str:
    """The text of the table's first column, folded lines joined."""
    return "".join(line.split("│")[1].strip() for line in out.splitlines() if line.startswith("│"))


def money_in_json(*args: str) -> list[str]:
    """The money of each group and the total, as the table must print it (six decimals)."""
    data = json.loads(run(200, *args, "--json"))
    amounts = [Decimal(g["total_usd"]) for g in data["groups"]]
    amounts.append(Decimal(data["total"]["total_usd"]))
    return [f"${a.quantize(Decimal('0.000001')):,}" for a in amounts]


@pytest.mark.parametrize("width", [80, 120])
def test_analyze_table_keeps_every_cost_whole(width: int) -> None:
    out = run(width, "analyze", *EXAMPLES)
    assert_fits(out, width)
    for amount in money_in_json("analyze", *EXAMPLES):
        assert amount in out, amount
    assert "$4.062494" in out  # the examples' total
    # long model names fold instead of being cut
    assert "gpt-4o-audio-preview-2024-12-17" in first_column(out)
    assert "Cost" in out and "Fees" in out
    if width == 80:
        assert "not shown at this width: Reasoning" in out
    else:
        assert "Reasoning" in out.splitlines()[2] and "not shown" not in out
        assert "gpt-4o-audio-preview-2024-12-17" in out


@pytest.mark.parametrize("width", [80, 120])
def test_models_table_always_has_the_rates(width: int) -> None:
    out = run(width, "models", "gpt-4o", "--at", "2025-01-08")
    assert_fits(out, width)
    header = out.splitlines()[2]
    assert "Input" in header and "Output" in header and "Cached" in header
    # gpt-4o-2024-08-06: $2.50 in / $1.25 cached / $10.00 out per 1M (billing 3.1)
    rows = [line for line in out.splitlines() if line.startswith("│ gpt-4o-2024-08-06 ")]
    assert any(re.search(r"2\.50 .*1\.25 .*10\.00", row) for row in rows), rows


@pytest.fixture
def ledger_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'l.db'}"
    at = datetime(2026, 11, 2, tzinfo=timezone.utc)
    with Ledger(url) as led:
        for i in range(10):
            # gpt-4o: 1,000,000 x $2.50/1M + 100,000 x $10/1M = $3.50 each (billing 3.1)
            led.record(rec(f"a{i}", input_tokens=10**6, output_tokens=10**5, at=at))
        # gpt-4o-mini 10,000 x $0.15/1M + 1,000 x $0.60/1M = $0.0021 (billing 3.1)
        led.record(rec("b", model="gpt-4o-mini", input_tokens=10**4, output_tokens=10**3, at=at))
        led.record(rec("c", model="a-very-long-unknown-model-name-2026", priced=False, at=at))
    return url


@pytest.mark.parametrize("width", [80, 120])
def test_report_table_keeps_model_names_and_costs(ledger_url: str, width: int) -> None:
    out = run(width, "report", "--db", ledger_url)
    assert_fits(out, width)
    assert "$35.000000" in out and "$0.002100" in out and "$35.002100" in out
    assert "gpt-4o-mini" in out
    assert "a-very-long-unknown-model-name-2026" in first_column(out)  # folded, not cut
    if width == 120:
        assert "10,000,000" in out and "█" in out  # input tokens and the bar


def test_the_layout_never_cuts_money_even_when_it_cannot_fit() -> None:
    columns = [Column("name", "text"), Column("calls", drop=1), Column("cost")]
    rows = [["some-model-name", "1,234,567", "$123,456,789.123456"]]
    for width in (20, 40, 80):
        table, out_width = fit(columns, rows, width=width)
        buf = io.StringIO()
        print_fit(Console(width=width, file=buf, no_color=True), table, out_width)
        out = buf.getvalue()
        assert "$123,456,789.123456" in out and "…" not in out
        assert "some-model-name" in first_column(out)  # the name folds, never vanishes
        if width == 80:
            assert "1,234,567" in out and out_width == 80
    table, _ = fit(columns, rows, width=36)
    buf = io.StringIO()
    print_fit(Console(width=36, file=buf, no_color=True), table, 36)
    assert "1.23M" in buf.getvalue() or "not shown at this width: calls" in buf.getvalue()


def test_price_prints_a_huge_amount_whole_at_80_columns() -> None:
    out = run(80, "price", "gpt-4o", "-i", str(4 * 10**30), "--at", "2025-01-08")
    # 4e30 x $2.50/1M = $1e25 (billing 3.1): wider than 80 columns, so printed wider, not cut
    assert "$10,000,000,000,000,000,000,000,000.000000" in out and "…" not in out
    assert "input" in first_column(out)


def test_counts_are_abbreviated_to_five_characters() -> None:
    cells = ["999", "1,000", "29,340", "999,999", "1,540,000", "12,345,678,901"]
    assert [compact(c) for c in cells] == ["999", "1K", "29.3K", "1M", "1.54M", "12.3B"]
    assert compact("$1,000") == "$1,000"  # money is never abbreviated


@pytest.mark.parametrize("width", [80, 120])
def test_analyze_problems_read_whole_at_any_width(width: int) -> None:
    out = run(width, "analyze", *EXAMPLES)
    assert_fits(out, width)
    batch = EXAMPLES[1]
    # every location whole on one line, whatever the width
    for n in (138, 402, 403):
        assert any(f"{batch}:{n}" in line for line in out.splitlines()), n
    if width == 80:
        reason = " ".join(out.split())  # the wrapped reason, rejoined
        assert "request could not be executed before the completion window expired" in reason
        # a list: each reason indented under its location, as wide as the terminal allows,
        # not squeezed into a table column
        assert "┃ Reason" not in out
        indented = [ln for ln in out.splitlines() if ln.startswith("    batch request")]
        assert len(indented) == 3
        assert max(len(ln) for ln in indented) > 70
    else:
        assert "Reason" in out and "┃ Where" in out and "batch_expired" in out

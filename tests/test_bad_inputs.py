"""Hostile and broken inputs: each is a clean error or a listed problem, never a traceback and
never a silent undercount.

Rates (openai-billing.md 3.1 and 3.3, per 1M tokens): gpt-4o-2024-08-06 $2.50 input / $10.00
output; gpt-5 Flex $0.625 input / $5.00 output.
"""

from __future__ import annotations

import gzip
import json
import random
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from _ledger_helpers import rec
from openai_cost import Ledger, UsageError, cost_of, iter_records, summarize
from openai_cost._cli import main
from openai_cost.catalog import Catalog
from openai_cost.errors import PriceDataError, PriceNotInForceError, PricingError
from openai_cost.types import format_usd

D = Decimal
IN, OUT = D("2.50"), D("10.00")  # gpt-4o-2024-08-06, USD per 1M tokens (billing 3.1)
JAN8 = 1736294400  # 2025-01-08T00:00:00Z


def chat(prompt: int = 1000, completion: int = 500, created: Any = JAN8, n: int = 0) -> str:
    return json.dumps(
        {
            "id": f"chatcmpl-{n}",
            "object": "chat.completion",
            "created": created,
            "model": "gpt-4o-2024-08-06",
            "usage": {"prompt_tokens": prompt, "completion_tokens": completion},
        }
    )


def usd(prompt: int, completion: int) -> Decimal:
    return (prompt * IN + completion * OUT) / 1_000_000


def invoke(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(main, list(args), input=input)


def one_line_error(r: Result, code: int = 1) -> str:
    assert r.exit_code == code, r.output
    assert "Traceback" not in r.output
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), r.stderr
    return lines[0]


def analyze_json(*args: str) -> dict[str, Any]:
    r = invoke("analyze", "--json", *args)
    assert r.exit_code == 0, r.output
    data: dict[str, Any] = json.loads(r.stdout)
    return data


# ----------------------------------------------------------------------------- gzip


def test_a_gz_file_that_is_not_gzip_is_a_listed_problem(tmp_path: Path) -> None:
    f = tmp_path / "log.jsonl.gz"
    f.write_text(chat() + "\n", encoding="utf-8")  # plain text under a .gz name
    data = analyze_json(str(f))
    assert (data["malformed"], data["total"]["calls"]) == (1, 0)
    [p] = data["problems"]
    assert p["location"] == f"{f}:1"
    assert p["reason"].startswith("not gzip data")
    r = invoke("analyze", str(f), "--strict")
    assert r.exit_code == 1 and "Traceback" not in r.output
    assert "not gzip data" in r.stdout


def test_a_truncated_gzip_prices_what_was_read_and_says_where_it_stopped(tmp_path: Path) -> None:
    rng = random.Random(8)
    counts = [(rng.randint(1, 10**6), rng.randint(1, 10**5)) for _ in range(400)]
    text = "".join(chat(p, c, n=i) + "\n" for i, (p, c) in enumerate(counts))
    whole = gzip.compress(text.encode())
    f = tmp_path / "cut.jsonl.gz"
    f.write_bytes(whole[: len(whole) // 2])

    items = list(iter_records(f))
    last = items[-1]
    assert isinstance(last.obj, UsageError)
    read = len(items) - 1
    assert 0 < read < 400
    assert last.line == read + 1
    assert str(last.obj) == (
        f"the compressed data stops at line {read + 1} (the file was cut short?); "
        f"the {read:,} line(s) before it were read"
    )

    data = analyze_json(str(f))
    assert data["total"]["calls"] == read
    assert D(data["total"]["total_usd"]) == sum(usd(p, c) for p, c in counts[:read])
    assert data["malformed"] == 1
    assert data["problems"] == [
        {
            "kind": "malformed",
            "reason": str(last.obj),
            "count": 1,
            "location": f"{f}:{read + 1}",
        }
    ]
    r = invoke("analyze", str(f), "--strict")
    assert r.exit_code == 1
    assert f"cut.jsonl.gz:{read + 1}" in r.stdout and "Aborted" not in r.output


# ------------------------------------------------------------------------ bad lines


@pytest.mark.parametrize("created", [-99999999999, 1e20, float("inf")])
def test_created_out_of_range_is_one_listed_line(tmp_path: Path, created: float) -> None:
    f = tmp_path / "log.jsonl"
    bad = chat(created=created).replace("Infinity", "1e999")  # json's inf, as a number
    f.write_text(f"{chat()}\n{bad}\n{chat(2000, 0)}\n", encoding="utf-8")
    data = analyze_json(str(f))
    assert data["total"]["calls"] == 2
    assert D(data["total"]["total_usd"]) == usd(1000, 500) + usd(2000, 0)
    [p] = data["problems"]
    assert p["location"] == f"{f}:2"
    assert "out of range" in p["reason"] and "Unix timestamp" in p["reason"]


def test_created_out_of_range_in_cost_of_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match=r"created -99999999999 is out of range"):
        cost_of(json.loads(chat(created=-99999999999)))


def test_deeply_nested_json_line_is_listed_and_the_run_goes_on(tmp_path: Path) -> None:
    f = tmp_path / "log.jsonl"
    deep = "[" * 100_000 + "]" * 100_000
    f.write_text(f"{chat()}\n{deep}\n{chat()}\n", encoding="utf-8")
    data = analyze_json(str(f))
    assert data["total"]["calls"] == 2
    [p] = data["problems"]
    assert p["location"] == f"{f}:2" and "nested too deeply" in p["reason"]
    # the same line alone (first line of its file), and as a Server-Sent Event
    f.write_text(deep + "\n", encoding="utf-8")
    assert "nested too deeply" in analyze_json(str(f))["problems"][0]["reason"]
    f.write_text(f"data: {deep}\n\n", encoding="utf-8")
    assert "nested too deeply" in analyze_json(str(f))["problems"][0]["reason"]


def test_a_utf8_bom_is_stripped(tmp_path: Path) -> None:
    f = tmp_path / "log.jsonl"
    f.write_bytes(b"\xef\xbb\xbf" + f"{chat()}\n{chat()}\n".encode())
    data = analyze_json(str(f))
    assert data["problems"] == [] and data["malformed"] == 0
    assert D(data["total"]["total_usd"]) == 2 * usd(1000, 500)  # $0.015
    f.write_bytes(b"\xef\xbb\xbf" + f"[{chat()},\n {chat()}]\n".encode())  # a JSON array
    assert analyze_json(str(f))["total"]["calls"] == 2


# ------------------------------------------------------------------------ usage


@pytest.mark.parametrize(
    ("usage", "chat_keys", "responses_keys"),
    [
        ({"prompt_tokens": 1000, "output_tokens": 500}, "prompt_tokens", "output_tokens"),
        ({"input_tokens": 1000, "completion_tokens": 500}, "completion_tokens", "input_tokens"),
        (
            {"prompt_tokens": 1000, "completion_tokens": 5, "output_tokens": 500},
            "completion_tokens, prompt_tokens",
            "output_tokens",
        ),
    ],
)
def test_mixed_usage_field_names_are_refused(
    tmp_path: Path, usage: dict[str, int], chat_keys: str, responses_keys: str
) -> None:
    body = {"model": "gpt-4o-2024-08-06", "created": JAN8, "usage": usage}
    msg = (
        f"usage mixes two naming schemes: Chat Completions ({chat_keys}) and Responses "
        f"({responses_keys})"
    )
    with pytest.raises(UsageError, match=msg.replace("(", r"\(").replace(")", r"\)")):
        cost_of(body)
    f = tmp_path / "log.jsonl"
    f.write_text(json.dumps({**body, "object": "chat.completion"}) + "\n", encoding="utf-8")
    data = analyze_json(str(f))
    assert (data["total"]["calls"], data["malformed"]) == (0, 1)
    assert data["problems"][0]["reason"].startswith(msg)


def test_both_schemes_saying_the_same_thing_are_read() -> None:
    # some OpenAI-compatible servers send both spellings with equal counts
    usage = {"prompt_tokens": 1000, "completion_tokens": 500}
    usage |= {"input_tokens": 1000, "output_tokens": 500, "total_tokens": 1500}
    cost = cost_of({"model": "gpt-4o-2024-08-06", "usage": usage})
    assert cost.total == usd(1000, 500)


# ----------------------------------------------------------------------- pricing


def test_price_without_counts_names_the_options_that_give_them() -> None:
    r = invoke("price", "gpt-4o")
    assert r.exit_code == 2
    assert "nothing to price" in r.stderr
    for opt in ("--input", "--output", "--characters", "--seconds", "--web-search"):
        assert opt in r.stderr


def test_a_date_before_the_first_price_is_not_an_unknown_model(tmp_path: Path) -> None:
    line = one_line_error(invoke("price", "gpt-4o", "--input", "10", "--at", "2020-01-01"))
    assert line == (
        "Error: 'gpt-4o' has no price on 2020-01-01: its first price is from 2024-05-13 "
        "(price it at that date or later with at=/--at)"
    )
    with pytest.raises(PriceNotInForceError) as info:
        cost_of({"model": "gpt-5", "usage": {"prompt_tokens": 1}}, at="2025-08-06")
    assert isinstance(info.value, PricingError)
    f = tmp_path / "log.jsonl"
    f.write_text(chat(created=JAN8 - 400 * 86400) + "\n", encoding="utf-8")  # 2023-12-05
    data = analyze_json(str(f))
    assert data["unknown_models"] == {} and data["unpriced"] == 1
    [p] = data["problems"]
    assert p["kind"] == "unpriced" and "first price is from 2024-08-06" in p["reason"]


def test_a_price_file_that_is_not_utf8(tmp_path: Path) -> None:
    f = tmp_path / "mine.toml"
    f.write_bytes(b'provider = "openai"\n# caf\xe9 prices\n')
    with pytest.raises(PriceDataError) as info:
        Catalog([]).load(f)
    assert str(info.value).startswith(f"{f}: not UTF-8 text (line 2:")
    line = one_line_error(invoke("price", "gpt-4o", "-i", "1", "--prices", str(f)))
    assert "not UTF-8 text (line 2" in line and "mine.toml" in line


def test_amounts_above_1e25_are_printed_whole() -> None:
    assert format_usd(D("1e25")) == "$10,000,000,000,000,000,000,000,000.000000"
    assert format_usd(D("-123456789012345678901234567890.1234567")) == (
        "-$123,456,789,012,345,678,901,234,567,890.123457"
    ).replace("-$", "$-")


def test_a_huge_usage_in_the_analyze_table(tmp_path: Path) -> None:
    f = tmp_path / "log.jsonl"
    f.write_text(chat(4 * 10**30, 0) + "\n", encoding="utf-8")  # x $2.50/1M = $1e25
    r = invoke("analyze", str(f))
    assert r.exit_code == 0, r.output
    assert "$10,000,000,000,000,000,000,000,000.000000" in r.stdout


# ------------------------------------------------------------------------ report


def test_report_over_the_widest_dates(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'l.db'}"
    with Ledger(url) as led:
        led.record(rec("1", at=datetime(2026, 11, 1, tzinfo=timezone.utc)))
    r = invoke("report", "--db", url, "--since", "1900-01-01", "--until", "9999-12-31", "--json")
    assert r.exit_code == 0, r.output
    # gpt-4o 1000 x $2.50/1M + 100 x $10/1M = $0.0035 (billing 3.1)
    assert json.loads(r.stdout)["total"]["cost_usd"] == "0.0035"
    r = invoke("report", "--db", url, "--since", "0001-01-01", "--until", "9999-12-31")
    assert r.exit_code == 0, r.output


def test_report_on_a_mistyped_path_creates_nothing(tmp_path: Path) -> None:
    missing = tmp_path / "typo" / "ledgr.db"
    line = one_line_error(invoke("report", "--db", f"sqlite:///{missing}"))
    assert line.startswith(f"Error: no ledger at {missing}")
    assert not (tmp_path / "typo").exists()
    line = one_line_error(invoke("report", "--db", str(missing), "--json"))
    assert "no ledger at" in line
    # the default ledger in the user dir is not created either
    line = one_line_error(invoke("report"))
    assert "no ledger at" in line and "ledger.db" in line


# ------------------------------------------------------------------------ analyze --json


def test_analyze_json_says_how_many_problems_it_left_out(tmp_path: Path) -> None:
    f = tmp_path / "log.jsonl"
    f.write_text(chat() + "\n" + "{oops\n" * 1205, encoding="utf-8")
    data = analyze_json(str(f))
    assert data["malformed"] == 1205
    assert len(data["problems"]) == 1000
    assert data["problems_not_listed"] == 205
    r = invoke("analyze", str(f))
    assert "... and 1,155 more (--json lists 1,000 of them; 205 are only counted)" in r.stdout
    s = summarize(iter_records(f), max_listed=10)
    assert (len(s.problems), s.unlisted, s.malformed) == (10, 1195, 1205)


# ------------------------------------------------------------------------ tokens


def test_tokens_refuses_json_that_is_not_messages(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"model": "gpt-4o", "messages": [', encoding="utf-8")
    line = one_line_error(invoke("tokens", str(broken), "-m", "gpt-4o"))
    assert line.startswith(f"Error: {broken}: not valid JSON")
    assert "--text" in line
    foo = tmp_path / "foo.txt"
    foo.write_text('{"foo": "bar"}', encoding="utf-8")  # looks like JSON whatever its name
    line = one_line_error(invoke("tokens", str(foo), "-m", "gpt-4o"))
    assert 'a JSON object without "messages" or "input" (keys: foo)' in line
    num = tmp_path / "n.json"
    num.write_text("42", encoding="utf-8")
    assert "a JSON int" in one_line_error(invoke("tokens", str(num), "-m", "gpt-4o"))
    # --text still counts anything as text
    assert invoke("tokens", str(foo), "-m", "gpt-4o", "--text").exit_code == 0


def test_tokens_reads_a_responses_request_and_its_model(tmp_path: Path) -> None:
    f = tmp_path / "req.json"
    # the message whose prompt_tokens the API reports as 14 (test_cli_tokens.SF)
    sf = [{"role": "user", "content": "What's the weather like in SF?"}]
    f.write_text(json.dumps({"model": "gpt-4o", "input": sf}), encoding="utf-8")
    r = invoke("tokens", str(f), "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout) == {
        "model": "gpt-4o",
        "encoding": "o200k_base",
        "kind": "messages",
        "tokens": 14,
    }
    f.write_text(json.dumps({"model": "gpt-4o", "input": "hello"}), encoding="utf-8")
    r = invoke("tokens", str(f), "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["kind"] == "text"


# ------------------------------------------------------------------------ models, estimate


def test_models_resolves_a_dated_name_like_price_does() -> None:
    r = invoke("models", "gpt-5-2025-08-07", "--at", "2025-09-01")
    assert r.exit_code == 0, r.output
    assert "gpt-5-2025-08-07 → gpt-5" in r.stdout
    r = invoke("models", "gpt-5-2025-08-07", "--at", "2025-09-01", "--json")
    assert r.exit_code == 0, r.output
    [row] = json.loads(r.stdout)
    # gpt-5: $1.25 in / $0.125 cached / $10 out (billing 3.3)
    assert (row["model"], row["resolves_to"]) == ("gpt-5-2025-08-07", "gpt-5")
    assert (row["input"], row["cached_input"], row["output"]) == ("1.25", "0.125", "10.00")
    # nothing matches: the same status and message with and without --json
    for extra in ((), ("--json",)):
        line = one_line_error(invoke("models", "gpt-zz-none", *extra))
        assert "unknown model 'gpt-zz-none'" in line
        line = one_line_error(invoke("models", "zz*", *extra))
        assert line == "Error: no model matches 'zz*'"


def test_estimate_compare_keeps_the_rows_that_have_a_price(tmp_path: Path) -> None:
    f = tmp_path / "m.json"
    f.write_text(json.dumps([{"role": "user", "content": "Hello"}]), encoding="utf-8")
    args = ("estimate", str(f), "-m", "gpt-4o-mini", "--compare", "gpt-5")
    args += ("--tier", "flex", "--max-output", "100", "--at", "2025-09-01")
    r = invoke(*args, "--json")
    assert r.exit_code == 0, r.output
    ok, bad = json.loads(r.stdout)
    assert ok["model"] == "gpt-5"
    # gpt-5 Flex (billing 3.3): prompt x $0.625/1M; 100 output x $5/1M = $0.0005
    prompt_usd = ok["prompt_tokens"] * D("0.625") / 1_000_000
    assert D(ok["total_max_usd"]) == prompt_usd + D("0.0005")
    assert bad["model"] == "gpt-4o-mini" and bad["priced"] is False
    assert "has no flex price" in bad["error"]
    r = invoke(*args)
    assert r.exit_code == 0, r.output
    assert "gpt-5" in r.stdout and "no price" in r.stdout
    assert "gpt-4o-mini: not priced:" in r.stdout
    # when no candidate has a price, it is an error
    line = one_line_error(invoke(*args[:5], "gpt-4o", *args[6:]))
    assert "has no flex price" in line


# ------------------------------------------------------------------------ conventions


def test_usage_errors_exit_2_everything_else_1_with_one_line() -> None:
    r = invoke("analyze", "--by", "colour", "x")
    assert r.exit_code == 2 and "Usage:" in r.stderr
    one_line_error(invoke("price", "no-such-model-zz", "-i", "1"))
    r = invoke("--help")
    assert "2 for a bad option" in r.stdout

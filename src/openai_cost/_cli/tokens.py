"""``openai-cost tokens`` and ``openai-cost estimate``: count and price a prompt before a call."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

import click

from ..errors import OpenAICostError, PricingError, UsageError
from ..tokens import Estimate, count_tokens, request_fields, tokenizer_for
from ..tokens import estimate as estimate_call
from ._common import echo_json, get_catalog, json_option, prices_option, pricing_options
from ._console import console, money
from ._layout import Column, fit, print_fit

__all__ = ["estimate", "tokens"]


@dataclass(frozen=True, slots=True)
class _Prompt:
    text: str | None
    messages: list[Any] | None
    tools: list[Any] | None
    model: str | None
    max_output: int | None


def _read(file: Any) -> str:
    try:
        data: str = file.read()
    except UnicodeDecodeError as e:
        raise click.ClickException(f"{file.name}: not UTF-8 text: {e.reason}") from e
    return data


_AS_TEXT = "pass --text to count it as plain text"


def _request(data: Any, name: str) -> _Prompt:
    """Messages from a JSON list, a Chat Completions request ``{"model", "messages", ...}`` or
    a Responses request ``{"model", "input", ...}``; anything else is an error saying what the
    value is not."""
    if isinstance(data, list):
        return _Prompt(None, data, None, None, None)
    if isinstance(data, dict) and ("messages" in data or "input" in data):
        fields = request_fields(data)
        tools = fields.tools
        if tools is not None and not isinstance(tools, list):
            raise click.ClickException(f'{name}: "tools" must be a list')
        prompt = fields.prompt
        if "messages" not in data and isinstance(prompt, str):
            # a Responses request whose input is a string
            return _Prompt(prompt, None, None, fields.model, fields.max_output_tokens)
        if not isinstance(prompt, list):
            key = "messages" if "messages" in data else "input"
            raise click.ClickException(
                f'{name}: "{key}" must be a list of messages, got {type(prompt).__name__}'
            )
        return _Prompt(None, prompt, tools, fields.model, fields.max_output_tokens)
    if isinstance(data, dict):
        keys = ", ".join(sorted(map(str, data))[:6]) or "none"
        what = f'a JSON object without "messages" or "input" (keys: {keys})'
    else:
        what = f"a JSON {type(data).__name__}"
    raise click.ClickException(
        f"{name}: {what}: expected a JSON list of messages, a Chat Completions request "
        f'("messages") or a Responses request ("input"); {_AS_TEXT}'
    )


def _load(file: Any, *, force_text: bool = False, need_json: bool = False) -> _Prompt:
    raw = _read(file)
    name = "stdin" if file.name == "<stdin>" else file.name
    if force_text:
        return _Prompt(raw, None, None, None, None)
    looks_json = name.endswith(".json") or raw.lstrip().startswith(("{", "["))
    if not need_json and not looks_json:
        return _Prompt(raw, None, None, None, None)
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError) as e:
        hint = f"; {_AS_TEXT}" if not need_json else ""
        raise click.ClickException(f"{name}: not valid JSON: {e}{hint}") from e
    return _request(data, name)


def _model(option: str | None, prompt: _Prompt) -> str:
    model = option or prompt.model
    if not model:
        raise click.UsageError("--model is required (the file does not name a model)")
    return model


@click.command()
@click.argument("file", type=click.File("r", encoding="utf-8"), default="-")
@click.option("--model", "-m", help='Model whose encoding counts (default: the file\'s "model").')
@click.option("--text", "force_text", is_flag=True, help="Count FILE as plain text even if JSON.")
@json_option
@prices_option
def tokens(file: Any, model: str | None, force_text: bool, as_json: bool) -> None:
    """Count the tokens of a text or of chat messages, offline.

    FILE (default: stdin) is plain text, a JSON list of messages, or a Chat Completions request
    body with "messages" (and "tools"). Messages are counted as the API counts prompt_tokens:
    per-message overhead, names, tools and images included.

    \b
    Examples:
      openai-cost tokens notes.txt --model gpt-4o
      echo 'Hello world' | openai-cost tokens --model gpt-4o
      openai-cost tokens request.json --json
    """
    prompt = _load(file, force_text=force_text)
    name = _model(model, prompt)
    cat = get_catalog()
    if prompt.messages is not None:
        n = count_tokens(prompt.messages, name, tools=prompt.tools, prices=cat)
        kind = "messages"
    else:
        n = count_tokens(prompt.text or "", name, prices=cat)
        kind = "text"
    if as_json:
        encoding = tokenizer_for(name, prices=cat).name
        echo_json({"model": name, "encoding": encoding, "kind": kind, "tokens": n})
        return
    click.echo(n)


def _compare_list(value: str | None) -> list[str]:
    if not value:
        return []
    return [m.strip() for m in value.split(",") if m.strip()]


@click.command()
@click.argument("messages_file", metavar="MESSAGES.json", type=click.File("r", encoding="utf-8"))
@click.option("--model", "-m", help='Model to price (default: the file\'s "model").')
@click.option(
    "--max-output",
    type=click.IntRange(min=0),
    default=None,
    help="Upper end of the output range (default: the request's max_tokens, else the "
    "model's maximum output).",
)
@click.option(
    "--compare",
    "compare",
    metavar="M2,M3,...",
    default=None,
    help="Also price these models; one row each, cheapest first.",
)
@click.option(
    "--cached",
    type=click.IntRange(min=0),
    default=0,
    help="Prompt tokens expected from the prompt cache.",
)
@pricing_options
@json_option
@prices_option
def estimate(
    messages_file: Any,
    model: str | None,
    max_output: int | None,
    compare: str | None,
    cached: int,
    batch: bool,
    tier: str | None,
    at: date | None,
    as_json: bool,
) -> None:
    """Estimate what a call will cost before sending it.

    MESSAGES.json is a JSON list of messages or a Chat Completions request body. The prompt is
    counted offline and priced exactly; the output is a range from nothing to --max-output
    tokens. With --compare, rows are sorted cheapest first: by the maximum total when
    --max-output (or the request's max_tokens) fixes the output for every model, else by the
    prompt cost.

    \b
    Examples:
      openai-cost estimate request.json --model gpt-4o --max-output 500
      openai-cost estimate messages.json -m gpt-4o --compare gpt-4.1,gpt-5 --max-output 1000
      openai-cost estimate messages.json -m gpt-4o --json
    """
    prompt = _load(messages_file, need_json=True)
    first = _model(model, prompt)
    names = list(dict.fromkeys([first, *_compare_list(compare)]))
    max_out = max_output if max_output is not None else prompt.max_output
    cat = get_catalog()
    rows: list[Estimate] = []
    failed: list[tuple[str, OpenAICostError]] = []
    for name in names:
        try:
            rows.append(
                estimate_call(
                    name,
                    prompt.messages or [],
                    max_output_tokens=max_out,
                    tools=prompt.tools,
                    batch=batch,
                    tier=tier,
                    cached_tokens=cached,
                    at=at,
                    prices=cat,
                )
            )
        except (UsageError, PricingError) as e:
            if len(names) == 1:
                raise
            # one candidate without a price for this tier or date: show the others
            failed.append((name, e))
    if not rows:
        name, err = failed[0]
        raise type(err)(f"{name}: {err}") if isinstance(err, UsageError) else err
    if len(rows) > 1:
        if max_out is not None:
            rows.sort(key=lambda r: (r.total_max, r.total_min, r.model))
        else:
            rows.sort(key=lambda r: (r.total_min, r.total_max, r.model))
    if as_json:
        if len(names) == 1:
            echo_json(rows[0].to_dict())
        else:
            echo_json(
                [r.to_dict() for r in rows]
                + [{"model": n, "error": str(e), "priced": False} for n, e in failed]
            )
        return
    r0 = rows[0]
    out = console()
    cells = [
        [
            r.model,
            f"{r.prompt_tokens:,}",
            money(r.prompt_cost.total),
            f"{r.max_output_tokens:,}",
            money(r.output_cost_max),
            f"{money(r.total_min)} to {money(r.total_max)}",
        ]
        for r in rows
    ]
    cells += [[n, "", "", "", "", "no price (see below)"] for n, _ in failed]
    table, width = fit(
        [
            Column("model", "text", min_width=20),
            Column("prompt tokens", drop=2),
            Column("prompt"),
            Column("max output", drop=3),
            Column("output (max)", drop=1),
            Column("total"),
        ],
        cells,
        width=out.width,
        title=f"Estimate · {r0.prompt_cost.tier} · prices at {at or 'today'}",
        styles={len(rows) + i: "dim" for i in range(len(failed))},
    )
    print_fit(out, table, width)
    for n, err in failed:
        console().print(f"{n}: not priced: {err}")

"""``openai-cost price`` and ``openai-cost models``."""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

import click

from ..pricing import price as price_usage
from ..types import TOKEN_DIMENSIONS, Cost, ModelPrice, Rates, Usage
from ._common import (
    date_type,
    echo_json,
    get_catalog,
    json_option,
    prices_option,
    pricing_options,
    strict_option,
)
from ._console import console, money
from ._layout import Column, fit, print_fit

if TYPE_CHECKING:
    from rich.table import Table

__all__ = ["models", "price"]


F = TypeVar("F", bound=Callable[..., Any])


def _count(*decls: str, help: str) -> Callable[[F], F]:
    """A whole-number count option (tokens, characters, calls), 0 by default."""
    return click.option(*decls, type=click.IntRange(min=0), default=0, help=help)


@click.command()
@click.argument("model")
@_count(
    "--input",
    "-i",
    "input_tokens",
    help="Input (prompt) tokens, all of them: cached, audio and image included.",
)
@_count(
    "--output",
    "-o",
    "output_tokens",
    help="Output (completion) tokens, reasoning and audio included.",
)
@_count("--cached", help="Cached input tokens (part of --input).")
@_count("--cache-write", help="Input tokens written to the prompt cache (part of --input).")
@_count(
    "--cache-write-12h",
    "cache_write_12h",
    help="Cache writes with 12-hour retention (part of --cache-write).",
)
@_count("--audio-in", help="Audio input tokens (part of --input).")
@_count("--cached-audio", help="Cached audio input tokens (part of --cached and --audio-in).")
@_count("--image-in", help="Image input tokens (part of --input).")
@_count("--audio-out", help="Audio output tokens (part of --output).")
@_count("--image-out", help="Image output tokens (part of --output).")
@_count("--reasoning", help="Reasoning tokens (part of --output; billed as output).")
@_count("--characters", help="Input characters (tts-1, tts-1-hd).")
@click.option(
    "--seconds", type=click.FloatRange(min=0), default=None, help="Seconds of audio (whisper-1)."
)
@_count("--web-search", help="Web search tool calls.")
@_count("--file-search", help="File search tool calls.")
@pricing_options
@strict_option
@json_option
@prices_option
def price(
    model: str,
    input_tokens: int,
    output_tokens: int,
    cached: int,
    cache_write: int,
    cache_write_12h: int,
    audio_in: int,
    cached_audio: int,
    image_in: int,
    audio_out: int,
    image_out: int,
    reasoning: int,
    characters: int,
    seconds: float | None,
    web_search: int,
    file_search: int,
    batch: bool,
    tier: str | None,
    at: date | None,
    strict: bool,
    as_json: bool,
) -> None:
    """Price a usage typed by hand.

    \b
    Examples:
      openai-cost price gpt-4o --input 2006 --cached 1920 --output 300
      openai-cost price gpt-5 --input 10000 --output 2000 --reasoning 1500 --tier flex
      openai-cost price o1-mini --input 1000 --output 500 --at 2025-01-08 --json
    """
    tools = {
        k: v for k, v in (("web_search_call", web_search), ("file_search_call", file_search)) if v
    }
    usage = Usage(
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        cached_tokens=cached,
        cache_write_tokens=cache_write,
        cache_write_12h_tokens=cache_write_12h,
        audio_input_tokens=audio_in,
        cached_audio_tokens=cached_audio,
        image_input_tokens=image_in,
        audio_output_tokens=audio_out,
        image_output_tokens=image_out,
        reasoning_tokens=reasoning,
        characters=characters,
        audio_seconds=Decimal(str(seconds)) if seconds is not None else Decimal(0),
        tool_calls=tools,
    )
    # an assumption (a dated snapshot priced as its model) is said in the output, not warned
    mp = get_catalog(strict=strict).resolve(model, at, warn=False)
    inputs = (input_tokens, cached, cache_write, cache_write_12h, audio_in, cached_audio, image_in)
    others = (output_tokens, audio_out, image_out, reasoning, characters, seconds, web_search)
    if not any(inputs) and not any(others) and not file_search:
        raise click.UsageError(
            "nothing to price: give the counts with --input/-i and --output/-o (tokens), "
            "--characters (tts), --seconds (whisper), --web-search or --file-search (tool calls)"
        )
    cost = price_usage(usage, mp, tier=tier, batch=batch)
    if as_json:
        echo_json(cost.to_dict())
        return
    common = mp.note  # an assumption about the whole call: said once, under the table
    if common:
        cost = Cost(
            cost.model,
            tuple(
                ln._replace(note="; ".join(p for p in (ln.note or "").split("; ") if p != common))
                for ln in cost.lines
            ),
            cost.input,
            cost.output,
            cost.fees,
            cost.price_since,
            cost.tier,
            cost.source,
        )
    title = cost.title
    if mp.requested and mp.requested != mp.model:
        title = f"{mp.requested} → {title}"
    out = console()
    rows = [list(r) for r in cost.rows()]
    rows.append(["total", "", "", money(cost.total), ""])
    table, width = fit(
        [
            Column("dimension", "text"),
            Column("units"),
            Column("rate"),
            Column("amount"),
            Column("note", "text", drop=9),
        ],
        rows,
        width=out.width,
        title=title,
        styles={len(rows) - 1: "bold"},
        sections=[len(rows) - 1],
    )
    print_fit(out, table, width)
    if common:
        out.print(f"Every line: {common}.", highlight=False)


# ---------------------------------------------------------------------------- models

_TIER_COLUMNS = ("input", "cached_input", "cache_write", "output")


def _scaled(rate: Decimal, key: str, per_k: bool) -> Decimal:
    if per_k and key in TOKEN_DIMENSIONS:
        return rate / 1000
    return rate


def model_row(mp: ModelPrice, per_k: bool) -> dict[str, Any]:
    """One model's rates as a flat dict of decimal strings (``models --json``)."""
    p = mp.period
    row: dict[str, Any] = {"model": mp.requested or mp.model}
    if mp.requested and mp.requested != mp.model:
        row["resolves_to"] = mp.model

    def put(prefix: str, rates: Rates | None, keys: Any = None) -> None:
        if not rates:
            return
        for k, v in rates.items():
            if keys is None or k in keys:
                row[prefix + k] = str(_scaled(v, k, per_k))

    put("", p.standard)
    put("batch_", p.batch, TOKEN_DIMENSIONS)
    put("flex_", p.flex, TOKEN_DIMENSIONS)
    put("priority_", p.priority, TOKEN_DIMENSIONS)
    put("ultrafast_", p.ultrafast, TOKEN_DIMENSIONS)
    for k, v in sorted(p.per_image.items()):
        row[f"image:{k}"] = str(v)
    if p.long_context:
        row["long_context_threshold"] = p.long_context.threshold
        put("long_context_", p.long_context.standard, TOKEN_DIMENSIONS)
        put("long_context_priority_", p.long_context.priority, TOKEN_DIMENSIONS)
    row["unit"] = "per 1K tokens" if per_k else "per 1M tokens"
    row["since"] = p.since.isoformat()
    row["since_exact"] = p.since_exact
    if p.confidence:
        row["confidence"] = p.confidence
    row["source"] = p.source
    return row


def _matches(name: str, pattern: str | None) -> bool:
    if not pattern:
        return True
    pattern = pattern.lower()
    if any(c in pattern for c in "*?["):
        return fnmatch.fnmatch(name.lower(), pattern)
    return pattern in name.lower()


# (row key, header, rank: 0 = always shown, else the highest rank gives way first)
_RATE_COLUMNS = (
    ("input", "Input", 0),
    ("batch_input", "Batch in", 4),
    ("cached_input", "Cached in", 2),
    ("output", "Output", 0),
    ("batch_output", "Batch out", 5),
    ("audio_input", "Audio in", 6),
    ("audio_output", "Audio out", 7),
    ("cache_write", "Cache write", 8),
)
_WIDE_COLUMNS = (
    ("cached_audio_input", "Cached audio", 9),
    ("image_input", "Image in", 9),
    ("image_output", "Image out", 9),
    ("flex_input", "Flex in", 9),
    ("flex_output", "Flex out", 9),
    ("priority_input", "Priority in", 9),
    ("priority_output", "Priority out", 9),
    ("long_context_input", "Long in", 9),
    ("long_context_output", "Long out", 9),
)


def models_table(
    rows: list[dict[str, Any]], *, per_k: bool, wide: bool, at: date | None, width: int
) -> tuple[Table, int]:
    """The ``models`` table for a terminal ``width`` wide: the model, input and output rates
    always; the other rates give way (empty ones first) when it does not fit."""
    cols = [*_RATE_COLUMNS, *(_WIDE_COLUMNS if wide else ())]
    unit = "per 1K tokens" if per_k else "per 1M tokens"
    columns = [Column("Model", "text", min_width=20)]
    columns += [Column(label, drop=rank) for _, label, rank in cols]
    columns.append(Column("Since", drop=3, justify="left"))
    cells = [
        [
            r["model"] + (f" → {r['resolves_to']}" if "resolves_to" in r else ""),
            *(r.get(k, "") for k, _, _ in cols),
            r["since"] + ("" if r["since_exact"] else "*"),
        ]
        for r in rows
    ]
    return fit(columns, cells, width=width, title=f"OpenAI prices, USD {unit}, at {at or 'today'}")


@click.command()
@click.argument("pattern", required=False)
@click.option(
    "--at",
    "at",
    type=date_type,
    default=None,
    help="Show the prices in force on this date (YYYY-MM-DD); default today.",
)
@click.option(
    "--per",
    type=click.Choice(["1k", "1m"], case_sensitive=False),
    default="1m",
    show_default=True,
    help="Token rates per 1K or per 1M tokens.",
)
@click.option("--wide", is_flag=True, help="Every column: flex, priority, image, long context.")
@click.option(
    "--history",
    is_flag=True,
    help="Every price period of the model named by PATTERN (and of what its aliases pointed "
    "at), with dates, rates and sources.",
)
@json_option
@prices_option
def models(
    pattern: str | None, at: date | None, per: str, wide: bool, history: bool, as_json: bool
) -> None:
    """List the catalog's models and their rates at a date.

    PATTERN filters by name: a substring (``4o-mini``) or a glob (``gpt-5*``). With --history,
    PATTERN is one model name and every period of its price history is shown.

    \b
    Examples:
      openai-cost models gpt-4o --at 2025-01-08 --per 1k
      openai-cost models 'o3*' --json
      openai-cost models gpt-5.6-sol --history
    """
    per_k = per.lower() == "1k"
    if history:
        if not pattern:
            raise click.UsageError("--history needs a MODEL name")
        from .history import show_history

        show_history(get_catalog(), pattern, per_k, as_json)
        return
    cat = get_catalog()
    rows = [
        model_row(mp, per_k) for mp in cat.models(at) if _matches(mp.requested or mp.model, pattern)
    ]
    if not rows and pattern and not any(c in pattern for c in "*?["):
        # a name `price` and `analyze` accept (a dated snapshot, a fine-tuned or prefixed
        # name): resolve it the same way; an unknown name fails with the closest known ones
        mp = cat.resolve(pattern, at, warn=False)
        rows = [model_row(mp, per_k)]
        if mp.note:  # a new dated snapshot priced as its model: the assumption is shown
            rows[0].setdefault("note", mp.note)
    if not rows:
        raise click.ClickException(f"no model matches {pattern!r}" + (f" on {at}" if at else ""))
    if as_json:
        echo_json(rows)
        return
    out = console()
    table, width = models_table(rows, per_k=per_k, wide=wide, at=at, width=out.width)
    print_fit(out, table, width)
    console().print(
        "[dim]* date not exact (see the period's note in --json); empty cell: no price listed[/dim]"
    )
    for r in rows:
        if r.get("note"):
            out.print(f"{r['model']}: {r['note']}.", highlight=False)

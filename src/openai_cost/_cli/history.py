"""``openai-cost models MODEL --history``: every price period of a model, and of its aliases."""

from __future__ import annotations

import textwrap
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import click

from ..catalog import Catalog, ModelEntry
from ..types import TOKEN_DIMENSIONS, PricePeriod, Rates
from ._common import echo_json

__all__ = ["show_history"]

_SHORT = {
    "input": "in",
    "cached_input": "cached",
    "cache_write": "write",
    "cache_write_12h": "write 12h",
    "output": "out",
    "audio_input": "audio in",
    "cached_audio_input": "cached audio",
    "audio_output": "audio out",
    "image_input": "image in",
    "cached_image_input": "cached image",
    "image_output": "image out",
}
_WIDTH = 78


def _rates(rates: Rates, per_k: bool) -> dict[str, str]:
    out = {}
    for k, v in rates.items():
        if per_k and k in TOKEN_DIMENSIONS:
            v = v / 1000
        out[k] = f"{v:f}" if isinstance(v, Decimal) else str(v)
    return out


def _tables(p: PricePeriod, per_k: bool) -> list[tuple[str, dict[str, str]]]:
    tables: list[tuple[str, dict[str, str]]] = [("standard", _rates(p.standard, per_k))]
    for name, label in (
        ("batch", "batch"),
        ("flex", "flex"),
        ("priority", "fast"),
        ("ultrafast", "ultrafast"),
    ):
        t = getattr(p, name)
        if t is not None:
            tables.append((label, _rates(t, per_k)))
    lc = p.long_context
    if lc is not None:
        tables.append((f"long>{lc.threshold:,}", _rates(lc.standard, per_k)))
        for name, label in (
            ("batch", "long+batch"),
            ("flex", "long+flex"),
            ("priority", "long+fast"),
            ("ultrafast", "long+ultrafast"),
        ):
            t = getattr(lc, name)
            if t is not None:
                tables.append((label, _rates(t, per_k)))
    if p.per_image:
        tables.append(("per image", {k: f"{v:f}" for k, v in p.per_image.items()}))
    return tables


def _periods(
    entry: ModelEntry, start: date | None, end: date | None
) -> list[tuple[PricePeriod, date | None]]:
    """Periods of ``entry`` in force between start and end, each with its last day."""
    out = []
    periods = entry.periods
    for i, p in enumerate(periods):
        last = periods[i + 1].since - timedelta(days=1) if i + 1 < len(periods) else None
        if end is not None and p.since > end:
            continue
        if start is not None and last is not None and last < start:
            continue
        out.append((p, last))
    return out


def _entry_json(
    entry: ModelEntry, start: date | None, end: date | None, per_k: bool
) -> dict[str, Any]:
    return {
        "model": entry.id,
        "aliases": list(entry.aliases),
        "origin": entry.origin,
        "unit": "per 1K tokens" if per_k else "per 1M tokens",
        "periods": [
            {
                "since": p.since,
                "until": last,
                "since_exact": p.since_exact,
                "confidence": p.confidence,
                "source": p.source,
                "note": p.note,
                "rates": dict(_tables(p, per_k)),
            }
            for p, last in _periods(entry, start, end)
        ],
    }


def _wrap(text: str, indent: str) -> list[str]:
    return textwrap.wrap(text, _WIDTH, initial_indent=indent, subsequent_indent=indent + "  ")


def _print_entry(entry: ModelEntry, start: date | None, end: date | None, per_k: bool) -> None:
    for p, last in _periods(entry, start, end):
        # within an alias's window, show the days the alias used this period
        first = max(p.since, start) if start is not None else p.since
        if end is not None and (last is None or last > end):
            last = end
        until = f"to {last}" if last is not None else "onwards"
        star = "" if p.since_exact or first != p.since else "*"
        conf = f", confidence {p.confidence}" if p.confidence else ""
        click.echo(f"  {first}{star} {until}{conf}")
        for label, rates in _tables(p, per_k):
            # a rate and its label stay on one line: wrap between rates only
            parts = [f"{_SHORT.get(k, k)} {v}".replace(" ", "\0") for k, v in rates.items()]
            lines = [
                line.replace("\0", " ")
                for line in textwrap.wrap(" · ".join(parts), _WIDTH - 19, break_long_words=False)
            ]
            for i, line in enumerate(lines):
                head = f"    {label:<15}" if i == 0 else " " * 19
                click.echo(head + line)
        for line in _wrap(f"source: {p.source}", "    "):
            click.echo(line)


def show_history(cat: Catalog, name: str, per_k: bool, as_json: bool) -> None:
    """Print every period of ``name`` (a model, a dated name or a floating alias)."""
    targets = cat.alias_targets(name)
    blocks: list[tuple[str, ModelEntry, date | None, date | None]] = []
    if targets:
        for i, (since, model) in enumerate(targets):
            end = targets[i + 1][0] - timedelta(days=1) if i + 1 < len(targets) else None
            head = f"{name} -> {model} from {since}" + (f" to {end}" if end else " onwards")
            blocks.append((head, cat.entry(model), since, end))
    else:
        entry = cat.lookup(name)
        also = f" (also: {', '.join(entry.aliases)})" if entry.aliases else ""
        head = entry.id + also
        if entry.id.lower() != name.strip().lower() and name.strip().lower() not in {
            a.lower() for a in entry.aliases
        }:
            head = f"{name} -> {head}"
        blocks.append((head, entry, None, None))
    if as_json:
        echo_json(
            {
                "name": name,
                "history": [
                    {"heading": h, "from": s, "to": e, **_entry_json(en, s, e, per_k)}
                    for h, en, s, e in blocks
                ],
            }
        )
        return
    unit = "per 1K tokens" if per_k else "per 1M tokens"
    click.echo(f"Price history, USD {unit} (fees per unit); * = date not exact")
    for head, entry, start, end in blocks:
        for line in _wrap(head, ""):
            click.echo(line)
        _print_entry(entry, start, end, per_k)
    click.echo("Notes on each period (derivations, assumptions): --json")

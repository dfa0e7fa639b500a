"""Random usage rows over the whole catalog, for the kernel's differential tests."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from openai_cost import Usage, catalog, cost_of
from openai_cost.errors import OpenAICostError
from openai_cost.table import TOOL_COLUMNS
from openai_cost.types import USAGE_COUNT_FIELDS

TIERS = (*[None] * 12, "default", "auto", "flex", "priority", "fast", "scale", "ultrafast", "x")
SIZES = ("1024x1024", "1024x1792", "256x256", "512x512", "1792x1024")
QUALITIES = ("standard", "hd", "low", "medium", "high")


def _names_and_days() -> list[tuple[str | None, list[date]]]:
    cat = catalog()
    out: list[tuple[str | None, list[date]]] = []
    fee_days = sorted({f.since for f in cat._tool_fees})
    for e in cat.entries():
        days = set()
        for p in e.periods:
            days |= {p.since - timedelta(days=1), p.since, p.since + timedelta(days=40)}
        days |= {d for d in fee_days}
        names = [e.id, *e.aliases, e.id.upper(), "openai/" + e.id]
        for name in names:
            out.append((name, sorted(days)))
    for name in cat.alias_names():
        days = {s for s, _ in cat.alias_targets(name)}
        days |= {d - timedelta(days=1) for d in days} | {date(2026, 6, 1)}
        out.append((name, sorted(days)))
    out += [
        ("gpt-unknown", [date(2025, 1, 8)]),
        (None, [date(2025, 1, 8)]),
        ("", [date(2025, 1, 8)]),
    ]
    return out


def _count(rng: random.Random, hi: int) -> int:
    return rng.randint(0, hi) if rng.random() < 0.5 else 0


def random_rows(n: int, seed: int) -> list[dict[str, Any]]:
    """``n`` rows: every model name, its period edges, every tier, every dimension, with a few
    contradictory usages and unpriceable combinations on purpose."""
    rng = random.Random(seed)
    names = _names_and_days()
    cat = catalog()
    thresholds = sorted(
        {p.long_context.threshold for e in cat.entries() for p in e.periods if p.long_context}
    )
    rows = []
    for _ in range(n):
        model, days = rng.choice(names)
        day = rng.choice(days)
        at = datetime(day.year, day.month, day.day, rng.randint(0, 23), tzinfo=timezone.utc)
        r = rng.random()
        if r < 0.1 and thresholds:  # around a long-context threshold
            inp = rng.choice(thresholds) + rng.randint(-2, 2)
        else:
            inp = rng.randint(0, 20_000) if r < 0.9 else rng.randint(0, 10**9)
        row: dict[str, Any] = {f: 0 for f in USAGE_COUNT_FIELDS}
        row["input_tokens"] = inp
        # subsets that fit inside their totals (usually)
        a_in = _count(rng, inp // 4) if rng.random() < 0.03 else 0
        im_in = _count(rng, inp // 4) if rng.random() < 0.03 else 0
        c_a = _count(rng, a_in) if a_in else 0
        c_im = _count(rng, im_in) if im_in else 0
        room = inp - a_in - im_in
        cached_text = _count(rng, room // 2)
        write = _count(rng, room // 4) if rng.random() < 0.15 else 0
        out = rng.randint(0, 5_000)
        a_out = _count(rng, out // 3) if rng.random() < 0.03 else 0
        im_out = _count(rng, out // 3) if rng.random() < 0.03 else 0
        reasoning = _count(rng, out - a_out - im_out)
        row.update(
            output_tokens=out,
            cached_tokens=cached_text + c_a + c_im,
            cache_write_tokens=write,
            cache_write_12h_tokens=_count(rng, write) if write else 0,
            audio_input_tokens=a_in,
            cached_audio_tokens=c_a,
            image_input_tokens=im_in,
            cached_image_tokens=c_im,
            reasoning_tokens=reasoning,
            audio_output_tokens=a_out,
            image_output_tokens=im_out,
            rejected_prediction_tokens=_count(rng, out) if rng.random() < 0.05 else 0,
            accepted_prediction_tokens=_count(rng, 100) if rng.random() < 0.05 else 0,
            characters=_count(rng, 4000) if rng.random() < 0.02 else 0,
            audio_seconds=_count(rng, 600) if rng.random() < 0.02 else 0,
        )
        if rng.random() < 0.02:
            row["images"] = rng.randint(1, 4)
            row["image_size"] = rng.choice((*SIZES, None))
            row["image_quality"] = rng.choice((*QUALITIES, "HD", None))
        for tool in TOOL_COLUMNS:
            row[tool] = rng.randint(1, 3) if rng.random() < 0.01 else 0
        if rng.random() < 0.03:  # a contradiction or a negative count
            field = rng.choice(USAGE_COUNT_FIELDS)
            row[field] = rng.choice((-1, inp + out + 1))
        row["model"] = model
        row["created_at"] = at
        row["service_tier"] = rng.choice(TIERS)
        row["batch"] = rng.random() < 0.25 and row["service_tier"] in (None, "default")
        rows.append(row)
    return rows


def expected(row: dict[str, Any]) -> tuple[Any, ...]:
    """(input, output, fees, total, resolved model, price since, reason) by `cost_of`."""
    kw = {f: row[f] for f in USAGE_COUNT_FIELDS}
    tools = {t: row[t] for t in TOOL_COLUMNS if row[t]}
    try:
        usage = Usage(
            **kw,
            audio_seconds=Decimal(row["audio_seconds"]),
            image_size=row.get("image_size"),
            image_quality=row.get("image_quality"),
            tool_calls=tools,
        )
        c = cost_of(
            usage,
            model=row["model"],
            at=row["created_at"],
            tier=row["service_tier"],
            batch=row["batch"],
        )
    except OpenAICostError as e:
        return None, None, None, None, str(e)
    return c.input, c.output, c.fees, c.total, c.model, c.price_since, None


def rows_table(rows: list[dict[str, Any]]) -> Any:
    """The rows (as `random_rows` makes them) as the kernel's input table."""
    import pyarrow as pa

    cols: dict[str, Any] = {
        "model": pa.array([r["model"] for r in rows], pa.string()),
        "created_at": pa.array([r["created_at"] for r in rows], pa.timestamp("us", tz="UTC")),
        "service_tier": pa.array([r["service_tier"] for r in rows], pa.string()),
        "batch": pa.array([r["batch"] for r in rows], pa.bool_()),
    }
    for f in (*USAGE_COUNT_FIELDS, "audio_seconds", *TOOL_COLUMNS):
        cols[f] = pa.array([r[f] for r in rows], pa.int64())
    for f in ("image_size", "image_quality"):
        cols[f] = pa.array([r.get(f) for r in rows], pa.string())
    return pa.table(cols)

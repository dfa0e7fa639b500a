"""The catalog as two long tables that any engine can join: prices and aliases.

``prices`` has one row per (model, period, tier, context band, dimension). A period's rows are
cut where a catalog-wide tool fee starts, so that ``since <= day < until`` (``until`` null for the
current rows) selects exactly the rates `cost_of` uses on that day. Each token dimension holds the
rate its bucket is billed at: the published figure, or the rule that derives it (Batch 50% of
standard, a fallback to the parent's rate), named in ``derived``. Dimensions with neither (audio
on a text model) have no row: a join that finds no rate must not price the bucket at zero.

``aliases`` maps every name a model is known by (its id, snapshots, dated aliases) to the
catalog id, with the dates each dated alias pointed where. Names are lower-case; provider
prefixes and ``ft:`` names are resolved by `Catalog.resolve` only.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ..errors import PricingError
from ..pricing import _plan
from ..types import FEE_DIMENSIONS, TOKEN_DIMENSIONS, ModelPrice
from ._arrow import require_pyarrow

if TYPE_CHECKING:
    from ..catalog import Catalog

__all__ = ["ALIAS_COLUMNS", "PRICE_COLUMNS", "PRICE_SCALE", "alias_rows", "price_rows"]

PRICE_SCALE = 12
"""Decimal places of ``price_usd`` (and of the kernel's cost columns) in Arrow and Parquet."""

PRICE_COLUMNS: tuple[str, ...] = (
    "provider",
    "model",
    "since",
    "until",
    "tier",
    "context",
    "context_threshold_tokens",
    "dimension",
    "unit",
    "price_usd",
    "derived",
    "since_exact",
    "confidence",
    "source",
    "note",
    "catalog_updated",
)
"""Columns of the exported price table, in order."""

ALIAS_COLUMNS: tuple[str, ...] = ("alias", "model", "since", "until")
"""Columns of the exported alias table, in order."""

# (exported tier name, pricing tier, batch)
_TIERS = (
    ("standard", "default", False),
    ("batch", "default", True),
    ("flex", "flex", False),
    ("priority", "priority", False),
    ("ultrafast", "ultrafast", False),
)
_TOKEN_UNIT = "1M tokens"


def _bounds(cat: Catalog) -> list[date]:
    return sorted({f.since for f in cat._tool_fees})


def _updated(cat: Catalog) -> date:
    days = [p.since for e in cat.entries() for p in e.periods]
    days += [since for name in cat.alias_names() for since, _ in cat.alias_targets(name)]
    days += _bounds(cat)
    return max(days)


def _segments(cat: Catalog, at: date | None) -> Iterator[tuple[ModelPrice, date, date | None]]:
    """(resolved entry, since, until) per model and stretch of constant rates."""
    fee_days = _bounds(cat)
    for entry in cat.entries():
        starts = sorted(
            {p.since for p in entry.periods} | {d for d in fee_days if d > entry.periods[0].since}
        )
        for i, since in enumerate(starts):
            until = starts[i + 1] if i + 1 < len(starts) else None
            if at is not None and (at < since or (until is not None and at >= until)):
                continue
            period = entry.period_at(since)
            assert period is not None
            mp = ModelPrice(
                model=entry.id,
                provider=entry.provider,
                period=cat._with_tool_fees(period, since),
            )
            yield mp, since, until


def price_rows(cat: Catalog, at: date | None = None) -> list[dict[str, Any]]:
    """The price table as a list of row dicts (``price_usd`` a `Decimal`).

    Args:
        cat: the catalog to export.
        at: only the rows in force on this day (``since <= at < until``).
    """
    updated = _updated(cat)
    rows: list[dict[str, Any]] = []
    for mp, since, until in _segments(cat, at):
        period = mp.period
        lc = period.long_context
        base = {
            "provider": mp.provider,
            "model": mp.model,
            "since": since,
            "until": until,
            "since_exact": period.since_exact,
            "confidence": period.confidence,
            "source": period.source,
            "note": period.note,
            "catalog_updated": updated,
        }
        bands = [("short", False)] + ([("long", True)] if lc is not None else [])
        for tier_name, tname, batch in _TIERS:
            for band, long_ctx in bands:
                try:
                    plan = _plan(mp, tname, batch, long_ctx)
                except PricingError:
                    continue  # the model has no such tier
                head = {
                    **base,
                    "tier": tier_name,
                    "context": band,
                    "context_threshold_tokens": None if lc is None else lc.threshold,
                }
                for key in TOKEN_DIMENSIONS:
                    try:
                        rate, note = plan.rater.rate(key)
                    except PricingError:
                        continue  # no rate and no fallback: the bucket cannot be priced
                    derived = "; ".join(n for n in (note, plan.rater.note) if n) or None
                    rows.append(
                        {
                            **head,
                            "dimension": key,
                            "unit": _TOKEN_UNIT,
                            "price_usd": rate,
                            "derived": derived,
                        }
                    )
                for key, unit in FEE_DIMENSIONS.items():
                    if key in period.standard:
                        rows.append(
                            {
                                **head,
                                "dimension": key,
                                "unit": unit,
                                "price_usd": period.standard[key],
                                "derived": None,
                            }
                        )
                for key, rate in sorted(period.per_image.items()):
                    rows.append(
                        {
                            **head,
                            "dimension": f"image:{key}",
                            "unit": "image",
                            "price_usd": rate,
                            "derived": None,
                        }
                    )
    return [{c: r[c] for c in PRICE_COLUMNS} for r in rows]


def alias_rows(cat: Catalog, at: date | None = None) -> list[dict[str, Any]]:
    """The alias table as a list of row dicts: every name of every model, with dates.

    A model's own id and fixed aliases map to it for its whole life (``since`` its first price
    date, ``until`` null); a dated alias has one row per target.
    """
    rows: list[dict[str, Any]] = []
    for entry in cat.entries():
        first = entry.periods[0].since
        for name in dict.fromkeys(n.lower() for n in (entry.id, *entry.aliases)):
            rows.append({"alias": name, "model": entry.id, "since": first, "until": None})
    for name in cat.alias_names():
        targets = cat.alias_targets(name)
        for i, (since, target) in enumerate(targets):
            until = targets[i + 1][0] if i + 1 < len(targets) else None
            model = cat._names.get(target.lower())
            if model is None:
                continue  # a target the catalog does not price: resolve() fails on it too
            rows.append({"alias": name.lower(), "model": model, "since": since, "until": until})
    if at is not None:
        rows = [r for r in rows if r["since"] <= at and (r["until"] is None or at < r["until"])]
    return rows


def _schemas() -> tuple[Any, Any]:
    pa, _ = require_pyarrow()
    prices = pa.schema(
        [
            ("provider", pa.string()),
            ("model", pa.string()),
            ("since", pa.date32()),
            ("until", pa.date32()),
            ("tier", pa.string()),
            ("context", pa.string()),
            ("context_threshold_tokens", pa.int64()),
            ("dimension", pa.string()),
            ("unit", pa.string()),
            ("price_usd", pa.decimal128(38, PRICE_SCALE)),
            ("derived", pa.string()),
            ("since_exact", pa.bool_()),
            ("confidence", pa.string()),
            ("source", pa.string()),
            ("note", pa.string()),
            ("catalog_updated", pa.date32()),
        ]
    )
    aliases = pa.schema(
        [
            ("alias", pa.string()),
            ("model", pa.string()),
            ("since", pa.date32()),
            ("until", pa.date32()),
        ]
    )
    return prices, aliases


def arrow_tables(cat: Catalog, at: date | None = None) -> tuple[Any, Any]:
    """``(prices, aliases)`` as `pyarrow.Table` objects (``price_usd`` decimal128(38, 12))."""
    pa, _ = require_pyarrow()
    ps, als = _schemas()
    prices = price_rows(cat, at)
    for r in prices:
        if -r["price_usd"].as_tuple().exponent > PRICE_SCALE:
            raise PricingError(
                f"model {r['model']!r}: {r['dimension']} rate {r['price_usd']} has more than "
                f"{PRICE_SCALE} decimal places; the table cannot hold it exactly"
            )
    return (
        pa.Table.from_pylist(prices, schema=ps),
        pa.Table.from_pylist(alias_rows(cat, at), schema=als),
    )


def _text_row(row: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in row.items():
        if isinstance(v, Decimal):
            out[k] = f"{v:f}"
        elif isinstance(v, date):
            out[k] = v.isoformat()
        else:
            out[k] = v
    return out


def export(cat: Catalog, directory: str, fmt: str = "parquet", at: date | None = None) -> list[str]:
    """Write ``prices.<ext>`` and ``aliases.<ext>`` into ``directory``; return their paths.

    Args:
        cat: the catalog.
        directory: where to write (created if missing).
        fmt: ``parquet`` (decimal column, needs pyarrow), ``csv`` or ``jsonl`` (decimal
            strings, standard library only).
        at: only the rows in force on this day.

    Raises:
        ValueError: an unknown format.
    """
    import os

    if fmt not in ("parquet", "csv", "jsonl"):
        raise ValueError(f"unknown format {fmt!r}; valid: parquet, csv, jsonl")
    os.makedirs(directory, exist_ok=True)
    paths = [os.path.join(directory, f"{n}.{fmt}") for n in ("prices", "aliases")]
    if fmt == "parquet":
        import pyarrow.parquet as pq

        for table, path in zip(arrow_tables(cat, at), paths, strict=True):
            pq.write_table(table, path)
        return paths
    tables = [
        (price_rows(cat, at), PRICE_COLUMNS),
        (alias_rows(cat, at), ALIAS_COLUMNS),
    ]
    for (rows, columns), path in zip(tables, paths, strict=True):
        with open(path, "w", encoding="utf-8", newline="") as f:
            if fmt == "csv":
                import csv

                w = csv.DictWriter(f, fieldnames=columns, lineterminator="\n")
                w.writeheader()
                for r in rows:
                    w.writerow(_text_row(r))
            else:
                import json

                for r in rows:
                    f.write(json.dumps(_text_row(r)) + "\n")
    return paths

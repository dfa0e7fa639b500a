"""Charts drawn on the server as SVG text: no JavaScript, no network, every label escaped.

Each bar or point carries a ``<title>`` (the browser shows it as a tooltip) and ``data-tip``
text for the small optional tooltip script.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from html import escape

__all__ = ["PALETTE", "burn_down_chart", "color_for", "money_short", "stacked_daily_chart"]

PALETTE = (
    "#3b6fd8",
    "#e8833a",
    "#2f9e6e",
    "#c8485b",
    "#8a63c9",
    "#c9a227",
    "#3aa5b8",
    "#b5638d",
)
"""Series colours (readable on white, distinct for the common kinds of colour blindness)."""
OTHER = "#9aa3ad"
"""Colour of the 'other models' series."""


def color_for(i: int) -> str:
    """The colour of the `i`-th series."""
    return PALETTE[i] if i < len(PALETTE) else OTHER


def money_short(d: Decimal) -> str:
    """A compact axis label: ``$0``, ``$0.25``, ``$12``, ``$1.2k``."""
    if d == 0:
        return "$0"
    if d >= 1000:
        return f"${d / 1000:.1f}k"
    if d >= 10:
        return f"${d:.0f}"
    if d >= Decimal("0.1"):
        return f"${d:.2f}"
    return f"${d.normalize():f}"


def _nice_top(v: Decimal) -> Decimal:
    """The smallest 1/2/5 x 10^n at or above `v` (the chart's y-axis top)."""
    if v <= 0:
        return Decimal(1)
    exp = v.adjusted()
    for m in (1, 2, 4, 5, 8, 10):
        top = Decimal(str(m)).scaleb(exp)
        if top >= v:
            return top
    return Decimal(10).scaleb(exp)  # pragma: no cover - the loop always returns


def _fmt_money(d: Decimal) -> str:
    q = d.quantize(Decimal("0.000001"))
    return f"${q:,f}" if d >= Decimal("0.000001") or d == 0 else f"${d.normalize():f}"


def _fmt_limit(d: Decimal) -> str:
    return f"${d:,.2f}" if d >= 1 else f"${d.normalize():f}"


def stacked_daily_chart(
    days: Sequence[date],
    series: Sequence[tuple[str, dict[date, Decimal]]],
    *,
    width: int = 960,
    height: int = 260,
    max_series: int = 8,
) -> str:
    """Daily spend as bars stacked by series (e.g. per model).

    Args:
        days: the x axis, in order.
        series: ``(name, {day: USD})`` pairs, biggest first; past `max_series` they are summed
            into one "other" series.
    """
    shown = list(series[:max_series])
    rest = series[max_series:]
    if rest:
        other: dict[date, Decimal] = {}
        for _, v in rest:
            for d, amt in v.items():
                other[d] = other.get(d, Decimal(0)) + amt
        shown.append((f"{len(rest)} other models", other))
    totals = [sum((v.get(d, Decimal(0)) for _, v in shown), Decimal(0)) for d in days]
    top = _nice_top(max(totals, default=Decimal(0)))
    left, right, top_pad, bottom = 66, 8, 10, 24
    plot_w = width - left - right
    plot_h = height - top_pad - bottom
    n = max(len(days), 1)
    step = plot_w / n
    bar_w = max(step * 0.72, 1.0)
    out = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="Daily spend stacked by model" xmlns="http://www.w3.org/2000/svg">'
    ]
    for i in range(5):
        tick = top * i / 4
        ty = top_pad + plot_h - plot_h * i / 4
        out.append(
            f'<line class="grid" x1="{left}" x2="{width - right}" y1="{ty:.1f}" y2="{ty:.1f}"/>'
            f'<text class="axis" x="{left - 6}" y="{ty + 4:.1f}" text-anchor="end">'
            f"{escape(money_short(tick))}</text>"
        )
    every = max(1, round(n / 10))
    for i, d in enumerate(days):
        x = left + step * i + (step - bar_w) / 2
        base: float = top_pad + plot_h
        for si, (name, v) in enumerate(shown):
            amount = v.get(d)
            if not amount:
                continue
            h = float(amount / top) * plot_h
            base -= h
            color = OTHER if rest and si == len(shown) - 1 else color_for(si)
            tip = f"{d.isoformat()} · {name}: {_fmt_money(amount)}"
            out.append(
                f'<rect x="{x:.1f}" y="{base:.1f}" width="{bar_w:.1f}" height="{max(h, 0.5):.1f}" '
                f'fill="{color}" data-tip="{escape(tip)}"><title>{escape(tip)}</title></rect>'
            )
        if totals[i]:
            tip = f"{d.isoformat()} total: {_fmt_money(totals[i])}"
            out.append(
                f'<rect class="hit" x="{left + step * i:.1f}" y="{top_pad}" width="{step:.1f}" '
                f'height="{max(base - top_pad, 0):.1f}" fill="transparent" '
                f'data-tip="{escape(tip)}"><title>{escape(tip)}</title></rect>'
            )
        if i % every == 0:
            out.append(
                f'<text class="axis" x="{left + step * i + step / 2:.1f}" y="{height - 6}" '
                f'text-anchor="middle">{d.strftime("%b %-d")}</text>'
            )
    out.append(
        f'<line class="baseline" x1="{left}" x2="{width - right}" '
        f'y1="{top_pad + plot_h}" y2="{top_pad + plot_h}"/>'
    )
    out.append("</svg>")
    return "".join(out)


def burn_down_chart(
    days: Sequence[date],
    cumulative: Sequence[Decimal],
    limit: Decimal,
    *,
    today: date,
    run_out: datetime | None,
    width: int = 560,
    height: int = 180,
) -> str:
    """Cumulative spend over a budget period against its limit, with the projection."""
    top = _nice_top(max([limit, *cumulative]) * Decimal("1.05"))
    left, right, top_pad, bottom = 66, 10, 10, 22
    plot_w = width - left - right
    plot_h = height - top_pad - bottom
    n = max(len(days) - 1, 1)

    def xy(i: float, v: Decimal) -> tuple[float, float]:
        return left + plot_w * i / n, top_pad + plot_h - float(v / top) * plot_h

    out = [
        f'<svg class="chart burn" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="Budget burn-down" xmlns="http://www.w3.org/2000/svg">'
    ]
    for i in range(3):
        v = top * i / 2
        _, y = xy(0, v)
        out.append(
            f'<line class="grid" x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}"/>'
            f'<text class="axis" x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">'
            f"{escape(money_short(v))}</text>"
        )
    _, ly = xy(0, limit)
    out.append(
        f'<line class="limit" x1="{left}" x2="{width - right}" y1="{ly:.1f}" y2="{ly:.1f}"/>'
        f'<text class="axis limit-label" x="{width - right}" y="{ly - 4:.1f}" '
        f'text-anchor="end">limit {escape(_fmt_limit(limit))}</text>'
    )
    past = [(i, c) for i, (d, c) in enumerate(zip(days, cumulative, strict=True)) if d <= today]
    if past:
        pts = " ".join(f"{x:.1f},{y:.1f}" for x, y in (xy(i, c) for i, c in past))
        out.append(f'<polyline class="spent" points="{pts}"/>')
        for i, c in past:
            x, y = xy(i, c)
            tip = f"{days[i].isoformat()}: {_fmt_money(c)} spent"
            out.append(
                f'<circle class="pt" cx="{x:.1f}" cy="{y:.1f}" r="3" data-tip="{escape(tip)}">'
                f"<title>{escape(tip)}</title></circle>"
            )
        i0, c0 = past[-1]
        if run_out is not None and days:
            frac = (run_out.date() - days[0]).days + run_out.hour / 24
            x1, y1 = xy(i0, c0)
            x2, y2 = xy(min(frac, n), limit)
            out.append(
                f'<line class="projection" x1="{x1:.1f}" y1="{y1:.1f}" '
                f'x2="{x2:.1f}" y2="{y2:.1f}"/>'
            )
    every = max(1, round(len(days) / 6))
    for i, d in enumerate(days):
        last = i == len(days) - 1
        if (i % every == 0 and len(days) - 1 - i >= every / 2) or last:
            x, _ = xy(i, Decimal(0))
            anchor = "end" if last and i else "start" if i == 0 else "middle"
            out.append(
                f'<text class="axis" x="{x:.1f}" y="{height - 5}" text-anchor="{anchor}">'
                f"{d.strftime('%b %-d')}</text>"
            )
    out.append("</svg>")
    return "".join(out)

"""HTML rendering shared by the dashboard server and ``report --html``: query-string filters,
number formatting, the Jinja2 templates (autoescaped: every ledger value is escaped) and the
overview's template variables. Imports Jinja2, not the web server.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import jinja2
from markupsafe import Markup

from ..ledger import Ledger
from ..ledger.views import STATUSES, CallFilter
from . import data, svg

__all__ = [
    "ENV",
    "BadRequest",
    "ledger_label",
    "num",
    "overview_context",
    "parse_filter",
    "pct",
    "render",
    "render_overview_file",
    "url_with",
    "usd",
]


class BadRequest(ValueError):
    """A query-string value the dashboard cannot use (shown as a 400 page)."""


# -- query string -----------------------------------------------------------------------------


def _day(params: dict[str, str], key: str) -> date | None:
    raw = params.get(key, "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise BadRequest(f"{key}={raw!r} is not a date; use YYYY-MM-DD") from None


def parse_filter(query: Sequence[tuple[str, str]]) -> tuple[CallFilter, dict[str, Any]]:
    """The `CallFilter` a query string asks for, and the raw values to refill the form.

    ``since``/``until`` are whole UTC days, both included.

    Raises:
        BadRequest: a date, status or tag is malformed.
    """
    params = {k: v for k, v in query if k != "tag"}
    since, until = _day(params, "since"), _day(params, "until")
    if since and until and since > until:
        raise BadRequest(f"since {since} is after until {until}")
    tags: dict[str, str] = {}
    raw_tags = [v for k, v in query if k == "tag" and v.strip()]
    for t in raw_tags:
        name, sep, value = t.partition("=")
        if not sep or not name.strip():
            raise BadRequest(f"tag={t!r}: use NAME=VALUE")
        tags[name.strip()] = value
    status = params.get("status") or None
    if status is not None and status not in STATUSES:
        raise BadRequest(f"status={status!r}; valid: {', '.join(STATUSES)}")

    def opt(key: str) -> str | None:
        v = params.get(key, "")
        return v if v.strip() else None

    f = CallFilter(
        since=None if since is None else datetime(*since.timetuple()[:3], tzinfo=timezone.utc),
        until=None
        if until is None
        else datetime(*until.timetuple()[:3], tzinfo=timezone.utc) + timedelta(days=1),
        model=opt("model"),
        endpoint=opt("endpoint"),
        tier=opt("tier"),
        status=status,
        tags=tags,
    )
    form = {
        "since": "" if since is None else since.isoformat(),
        "until": "" if until is None else until.isoformat(),
        "model": f.model or "",
        "endpoint": f.endpoint or "",
        "tier": f.tier or "",
        "status": status or "",
        "tags": raw_tags,
        "tag_name": params.get("tag_name", ""),
    }
    return f, form


# -- formatting -------------------------------------------------------------------------------


def usd(value: Decimal | None, places: int = 2) -> str:
    """``$1,234.57``; amounts too small for `places` keep their significant digits."""
    if value is None:
        return "unpriced"
    q = Decimal(1).scaleb(-places)
    if value and abs(value) < q:
        return f"${value.normalize():f}"
    return f"${value.quantize(q):,f}"


def usd_card(value: Decimal | None) -> str:
    """A headline amount: cents from $1 up, four decimals below (``$0.0626``)."""
    if value is None:
        return "unpriced"
    return usd(value, 2 if abs(value) >= 1 else 4)


def pct(value: Decimal | None) -> str:
    """``42.1%``."""
    return "\u2013" if value is None else f"{value * 100:.1f}%"


def num(value: int) -> str:
    """``1,234,567``."""
    return f"{value:,}"


def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("openai_cost.dashboard", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["usd"] = usd
    env.filters["usd_card"] = usd_card
    env.filters["pct"] = pct
    env.filters["num"] = num
    env.globals["color_for"] = svg.color_for
    return env


ENV = _env()


def url_with(path: str, form: dict[str, Any], **change: Any) -> str:
    """`path` with the current filters, some changed (None removes one)."""
    items: list[tuple[str, str]] = []
    merged = {k: v for k, v in form.items() if k != "tags"}
    merged.update({k: v for k, v in change.items() if k != "tags"})
    for k, v in merged.items():
        if v not in (None, ""):
            items.append((k, str(v)))
    for t in change.get("tags", form.get("tags", [])):
        items.append(("tag", t))
    return path + ("?" + urlencode(items) if items else "")


def render(name: str, **ctx: Any) -> str:
    """Render a template with the shared helpers."""
    return ENV.get_template(name).render(**ctx)


def overview_context(ov: data.Overview, form: dict[str, Any], *, links: bool) -> dict[str, Any]:
    """Template variables of the overview (shared with ``report --html``)."""
    chart = svg.stacked_daily_chart(ov.days, list(ov.daily.items()))
    legend = [(m, svg.color_for(i)) for i, m in enumerate(list(ov.daily)[:8])]
    if len(ov.daily) > 8:
        legend.append((f"{len(ov.daily) - 8} other models", svg.OTHER))
    top_cost = max((g.cost_usd or Decimal(0) for g in ov.models), default=Decimal(0))
    return {
        "ov": ov,
        "chart": Markup(chart),
        "legend": legend,
        "form": form,
        "links": links,
        "top_cost": top_cost,
        "url": lambda path, **kw: url_with(path, form, **kw),
    }


def ledger_label(ledger: Ledger) -> str:
    """How the header names the ledger: a SQLite file by its name, a server by its URL
    (password hidden)."""
    if ledger.dialect == "sqlite":
        return ledger.url.rsplit("/", 1)[-1]
    return ledger.url


def render_overview_file(ov: data.Overview, *, ledger: str) -> str:
    """The overview as one self-contained HTML document (inline CSS and SVG, no script, no
    links to the server), for ``openai-cost report --html``."""
    from importlib.resources import files

    css = (files("openai_cost.dashboard") / "static" / "style.css").read_text(encoding="utf-8")
    form = {"since": ov.since.isoformat(), "until": ov.until.isoformat(), "tags": []}
    ctx = overview_context(ov, form, links=False)
    return render("overview.html", page="overview", ledger=ledger, inline_css=Markup(css), **ctx)

"""The dashboard's Starlette application: read-only pages and a JSON API over one ledger.

Pages (server-rendered HTML, charts as inline SVG, no JavaScript needed): ``/`` overview,
``/calls``, ``/budgets``, ``/org``. The JSON API under ``/api/`` serves the same objects
(`data.Overview`, `data.BudgetStatus`...) with money as decimal strings. Every page and API
route takes ``since``/``until`` (``YYYY-MM-DD``, UTC, both included) and the filters
``model``, ``endpoint``, ``tier``, ``status`` and ``tag`` (``NAME=VALUE``, repeatable) in its
query string.

With a token (``OPENAI_COST_DASHBOARD_TOKEN``; required by the CLI for any address other than
loopback) every route needs ``Authorization: Bearer TOKEN`` or the cookie set by entering it
once on ``/login``. There is no route that writes to the ledger.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any
from urllib.parse import parse_qs

from markupsafe import Markup
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ..catalog import Catalog, catalog
from ..errors import LedgerError
from ..ledger import Ledger
from ..ledger.views import STATUSES, CallFilter
from . import data, org, svg
from .render import (
    BadRequest,
    ledger_label,
    overview_context,
    parse_filter,
    render,
    url_with,
)

__all__ = ["COOKIE", "PAGE_SIZE", "Settings", "create_app"]

log = logging.getLogger("openai_cost.dashboard")

COOKIE = "openai_cost_dashboard"
"""Name of the cookie that carries the token after it was entered on ``/login``."""
PAGE_SIZE = 50
"""Calls per page on ``/calls``."""


@dataclass(frozen=True)
class Settings:
    """How an app was configured."""

    ledger: Ledger
    """The ledger read (opened read-only by the CLI)."""
    token: str | None
    """Required bearer token, or None."""
    budgets: Sequence[data.NamedBudget]
    """Budgets configured for the dashboard (shown with the ledger's own)."""
    catalog: Catalog
    """Prices used to work out what caching saved."""
    clock: Callable[[], datetime]
    """Now, as an aware UTC datetime (injectable for tests)."""
    page_size: int = PAGE_SIZE
    """Calls per page on ``/calls``."""
    cache: data.DayCache | None = None
    """Results over days that have ended, kept a few minutes (None: always read live)."""


# -- pages ------------------------------------------------------------------------------------


def _settings(request: Request) -> Settings:
    s: Settings = request.app.state.settings
    return s


def _today(s: Settings) -> date:
    now: datetime = s.clock()
    return now.astimezone(timezone.utc).date()


def build_overview(s: Settings, f: CallFilter, tag_name: str | None) -> data.Overview:
    """The overview for filter `f` (what ``/`` and ``/api/overview`` show)."""
    return data.overview(
        s.ledger, f, today=_today(s), catalog=s.catalog, tag_name=tag_name, cache=s.cache
    )


async def overview_page(request: Request) -> Response:
    s = _settings(request)
    f, form = parse_filter(list(request.query_params.multi_items()))
    ov = build_overview(s, f, form["tag_name"] or None)
    ctx = overview_context(ov, form, links=True)
    return HTMLResponse(
        render("overview.html", page="overview", ledger=ledger_label(s.ledger), **ctx)
    )


async def api_overview(request: Request) -> Response:
    s = _settings(request)
    f, form = parse_filter(list(request.query_params.multi_items()))
    return JSONResponse(build_overview(s, f, form["tag_name"] or None).to_dict())


def _page(request: Request) -> int:
    raw = request.query_params.get("page", "1")
    try:
        page = int(raw)
    except ValueError:
        raise BadRequest(f"page={raw!r} is not a number") from None
    if page < 1:
        raise BadRequest(f"page={raw!r}: pages start at 1")
    return page


COUNT_CAP = 1_000
"""The calls page counts matches up to this many, then says "1,000+"."""


def _calls(s: Settings, f: CallFilter, page: int) -> tuple[int, list[tuple[int, Any]]]:
    total = s.ledger.count(f, cap=max(COUNT_CAP, page * s.page_size))
    rows = s.ledger.calls(f, limit=s.page_size, offset=(page - 1) * s.page_size)
    return total, rows


async def calls_page(request: Request) -> Response:
    s = _settings(request)
    f, form = parse_filter(list(request.query_params.multi_items()))
    page = _page(request)
    total, rows = _calls(s, f, page)
    cap = max(COUNT_CAP, page * s.page_size)
    more = total > cap
    pages = max(1, -(-min(total, cap) // s.page_size))
    return HTMLResponse(
        render(
            "calls.html",
            page="calls",
            ledger=ledger_label(s.ledger),
            form=form,
            rows=rows,
            total=min(total, cap),
            more=more,
            pageno=page,
            pages=pages,
            first=(page - 1) * s.page_size + 1,
            url=lambda path, **kw: url_with(path, form, **kw),
            statuses=STATUSES,
        )
    )


def call_to_dict(row_id: int, rec: Any) -> dict[str, Any]:
    """A call as the API shows it (the stored record, money as decimal strings)."""
    from ..ledger.queries import record_to_dict

    d = record_to_dict(rec)
    d["id"] = row_id
    return d


async def api_calls(request: Request) -> Response:
    s = _settings(request)
    f, _ = parse_filter(list(request.query_params.multi_items()))
    page = _page(request)
    total, rows = _calls(s, f, page)
    return JSONResponse(
        {
            "total": min(total, max(COUNT_CAP, page * s.page_size)),
            "total_is_lower_bound": total > max(COUNT_CAP, page * s.page_size),
            "page": page,
            "page_size": s.page_size,
            "calls": [call_to_dict(i, r) for i, r in rows],
        }
    )


def _budgets(s: Settings) -> list[data.BudgetStatus]:
    named = [*data.budgets_from_ledger(s.ledger), *s.budgets]
    now = s.clock()
    return [data.budget_status(s.ledger, b, now) for b in named]


async def budgets_page(request: Request) -> Response:
    s = _settings(request)
    statuses = _budgets(s)
    today = _today(s)
    charts = [
        Markup(
            svg.burn_down_chart(
                st.days,
                st.cumulative,
                st.named.budget.limit_usd,
                today=today,
                run_out=st.run_out_at,
            )
        )
        for st in statuses
    ]
    return HTMLResponse(
        render(
            "budgets.html",
            page="budgets",
            ledger=ledger_label(s.ledger),
            items=list(zip(statuses, charts, strict=True)),
            form={},
            url=lambda path, **kw: url_with(path, {}, **kw),
        )
    )


async def api_budgets(request: Request) -> Response:
    return JSONResponse({"budgets": [b.to_dict() for b in _budgets(_settings(request))]})


async def api_report(request: Request) -> Response:
    s = _settings(request)
    f, _ = parse_filter(list(request.query_params.multi_items()))
    by = request.query_params.get("by", "model")
    try:
        rows = s.ledger.report(by=by, where=f)
    except ValueError as e:
        raise BadRequest(str(e)) from None
    return JSONResponse({"by": by, "rows": [r.to_dict() for r in rows]})


async def org_page(request: Request) -> Response:
    s = _settings(request)
    f, form = parse_filter(list(request.query_params.multi_items()))
    view = org.organisation(s.ledger, f, today=_today(s), catalog=s.catalog)
    return HTMLResponse(
        render(
            "org.html",
            page="org",
            ledger=ledger_label(s.ledger),
            view=view,
            form=form,
            url=lambda path, **kw: url_with(path, form, **kw),
        )
    )


async def api_org(request: Request) -> Response:
    s = _settings(request)
    f, _ = parse_filter(list(request.query_params.multi_items()))
    view = org.organisation(s.ledger, f, today=_today(s), catalog=s.catalog)
    return JSONResponse(view.to_dict())


# -- token ------------------------------------------------------------------------------------


async def login_page(request: Request) -> Response:
    s = _settings(request)
    if request.method == "POST":
        body = (await request.body())[:4096].decode("utf-8", "replace")
        given = parse_qs(body).get("token", [""])[0]
        if s.token is not None and hmac.compare_digest(given.encode(), s.token.encode()):
            resp = RedirectResponse("/", status_code=303)
            resp.set_cookie(COOKIE, given, httponly=True, samesite="strict", path="/")
            return resp
        return HTMLResponse(
            render("login.html", page="login", wrong=True, form={}, links=False), 401
        )
    return HTMLResponse(render("login.html", page="login", wrong=False, form={}, links=False))


def _authorised(request: Request, token: str) -> bool:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and hmac.compare_digest(value.strip().encode(), token.encode()):
        return True
    cookie = request.cookies.get(COOKIE, "")
    return bool(cookie) and hmac.compare_digest(cookie.encode(), token.encode())


_CSP = (
    "default-src 'none'; style-src 'self'; style-src-attr 'unsafe-inline'; script-src 'self'; "
    "img-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


class _Guard(BaseHTTPMiddleware):
    """Token check, security headers, and error pages for bad input and database trouble."""

    async def dispatch(
        self, request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        s: Settings = request.app.state.settings
        path = request.url.path
        api = path.startswith("/api/")
        if (
            s.token is not None
            and not path.startswith(("/static/", "/login"))
            and not _authorised(request, s.token)
        ):
            if api:
                resp: Response = JSONResponse(
                    {"error": "missing or wrong token (Authorization: Bearer TOKEN)"}, 401
                )
            else:
                resp = RedirectResponse("/login", status_code=303)
        elif request.method not in ("GET", "HEAD") and path != "/login":
            resp = _error(api, 405, "this dashboard is read-only")
        else:
            try:
                resp = await call_next(request)
            except BadRequest as e:
                resp = _error(api, 400, str(e))
            except LedgerError as e:
                log.warning("dashboard cannot read the ledger: %s", e)
                resp = _error(api, 503, str(e), ledger=ledger_label(s.ledger))
        resp.headers["Content-Security-Policy"] = _CSP
        resp.headers["X-Content-Type-Options"] = "nosniff"
        resp.headers["Referrer-Policy"] = "no-referrer"
        resp.headers["X-Frame-Options"] = "DENY"
        resp.headers.setdefault("Cache-Control", "no-store")
        return resp


def _error(api: bool, status: int, message: str, ledger: str | None = None) -> Response:
    if api:
        return JSONResponse({"error": message}, status)
    return HTMLResponse(
        render(
            "error.html",
            page="error",
            status=status,
            message=message,
            ledger=ledger,
            form={},
        ),
        status,
    )


def create_app(
    ledger: Ledger | str | None = None,
    *,
    token: str | None = None,
    budgets: Sequence[data.NamedBudget] = (),
    prices: Catalog | None = None,
    clock: Callable[[], datetime] | None = None,
    page_size: int = PAGE_SIZE,
    cache_seconds: float = 300.0,
) -> Starlette:
    """The dashboard as an ASGI application.

    Args:
        ledger: a `Ledger`, or a URL (opened read-only); default: the configured ledger.
        token: when set, every route requires it (bearer header or the ``/login`` cookie).
        budgets: budgets to show besides the ones the ledger reports.
        prices: the catalog used to work out what caching saved (default: `catalog()`).
        clock: returns "now" (aware UTC); default: the system clock.
        page_size: calls per page on ``/calls``.
        cache_seconds: how long totals over days that have ended are reused before they are
            read again (0: always read live). Today is always read live.
    """
    if not isinstance(ledger, Ledger):
        ledger = Ledger(ledger, read_only=True)
    settings = Settings(
        ledger=ledger,
        token=token or None,
        budgets=tuple(budgets),
        catalog=prices or catalog(),
        clock=clock or (lambda: datetime.now(timezone.utc)),
        page_size=page_size,
        cache=data.DayCache(cache_seconds) if cache_seconds > 0 else None,
    )
    from importlib.resources import files

    static = StaticFiles(directory=str(files("openai_cost.dashboard") / "static"))
    app = Starlette(
        routes=[
            Route("/", overview_page),
            Route("/calls", calls_page),
            Route("/budgets", budgets_page),
            Route("/org", org_page),
            Route("/login", login_page, methods=["GET", "POST"]),
            Route("/api/overview", api_overview),
            Route("/api/calls", api_calls),
            Route("/api/budgets", api_budgets),
            Route("/api/report", api_report),
            Route("/api/org", api_org),
            Mount("/static", static, name="static"),
        ],
        middleware=[Middleware(_Guard)],
    )
    app.state.settings = settings
    return app

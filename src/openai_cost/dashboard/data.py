"""What the dashboard shows, computed from the ledger's query layer.

Every number here is a sum of rows from `Ledger.breakdown` or `Ledger.report` (the same
queries ``openai-cost report`` reads), done with `Decimal`. The HTML pages and the JSON API
both render these objects, so they cannot disagree. Nothing here imports a web framework.
"""

from __future__ import annotations

import calendar
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ..budget import Budget
from ..errors import OpenAICostError
from ..ledger.queries import trim
from ..types import Usage

if TYPE_CHECKING:
    from ..catalog import Catalog
    from ..ledger import Ledger, ReportRow
    from ..ledger.views import BreakdownRow, CallFilter

__all__ = [
    "BudgetStatus",
    "CacheSavings",
    "Group",
    "NamedBudget",
    "Overview",
    "Totals",
    "budget_status",
    "month_start",
    "overview",
]

ZERO = Decimal(0)


def month_start(d: date) -> date:
    """The first day of `d`'s month."""
    return d.replace(day=1)


def _prev_month_start(d: date) -> date:
    first = month_start(d)
    return month_start(first - timedelta(days=1))


def _utc(d: date) -> datetime:
    return datetime(d.year, d.month, d.day, tzinfo=timezone.utc)


@dataclass(frozen=True, slots=True)
class Totals:
    """Sums over many calls. `cost_usd` covers the priced calls only; the others are counted."""

    calls: int = 0
    """Calls (HTTP attempts), whatever their status."""
    cost_usd: Decimal = ZERO
    """Exact USD of the priced calls."""
    priced_calls: int = 0
    """Calls with a cost."""
    unpriced_calls: int = 0
    """Calls with usage the catalog could not price (not in `cost_usd`)."""
    error_calls: int = 0
    """Calls the API answered with an error (not billed)."""
    incomplete_calls: int = 0
    """Streams cut before their usage arrived (cost unknown)."""
    input_tokens: int = 0
    """Input tokens, cached included."""
    cached_tokens: int = 0
    """Cached input tokens."""
    output_tokens: int = 0
    """Output tokens."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict, money as a decimal string."""
        return {
            "calls": self.calls,
            "cost_usd": str(self.cost_usd),
            "priced_calls": self.priced_calls,
            "unpriced_calls": self.unpriced_calls,
            "error_calls": self.error_calls,
            "incomplete_calls": self.incomplete_calls,
            "input_tokens": self.input_tokens,
            "cached_tokens": self.cached_tokens,
            "output_tokens": self.output_tokens,
        }


def _sum(rows: Iterable[BreakdownRow]) -> Totals:
    calls = priced = unpriced = errors = incomplete = tin = tcached = tout = 0
    cost = ZERO
    for r in rows:
        calls += r.calls
        cost += r.cost_usd or ZERO
        priced += r.priced_calls
        unpriced += r.unpriced_calls
        errors += r.error_calls
        incomplete += r.incomplete_calls
        tin += r.input_tokens
        tcached += r.cached_tokens
        tout += r.output_tokens
    cost = trim(cost)
    return Totals(calls, cost, priced, unpriced, errors, incomplete, tin, tcached, tout)


@dataclass(frozen=True, slots=True)
class Group:
    """One row of a "top" table: a model, endpoint, tier or tag value and its totals."""

    name: str
    """The group (``(none)`` for calls without a value)."""
    cost_usd: Decimal | None
    """USD of its priced calls; None when it has unpriced calls and no priced one."""
    calls: int
    """Calls in the group."""
    unpriced_calls: int
    """Calls that could not be priced."""
    error_calls: int
    """Calls answered with an error."""
    incomplete_calls: int
    """Streams cut before their usage."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict, money as a decimal string (or null when unpriced)."""
        return {
            "group": self.name,
            "cost_usd": None if self.cost_usd is None else str(self.cost_usd),
            "calls": self.calls,
            "unpriced_calls": self.unpriced_calls,
            "error_calls": self.error_calls,
            "incomplete_calls": self.incomplete_calls,
        }


def _group(rows: Sequence[BreakdownRow], key: Callable[[BreakdownRow], str]) -> list[Group]:
    acc: dict[str, list[BreakdownRow]] = defaultdict(list)
    for r in rows:
        acc[key(r)].append(r)
    out = []
    for name, rs in acc.items():
        t = _sum(rs)
        priced = any(r.cost_usd is not None for r in rs)
        cost = t.cost_usd if priced or not t.unpriced_calls else None
        out.append(Group(name, cost, t.calls, t.unpriced_calls, t.error_calls, t.incomplete_calls))
    out.sort(key=lambda g: (-(g.cost_usd or 0), -g.calls, g.name))
    return out


def group_from_report(r: ReportRow) -> Group:
    """A `Group` from a `Ledger.report` row."""
    return Group(r.group, r.cost_usd, r.calls, r.unpriced_calls, r.error_calls, r.incomplete_calls)


@dataclass(frozen=True, slots=True)
class CacheSavings:
    """Cached input tokens and what they saved against the uncached input rate."""

    input_tokens: int
    """Input tokens of the calls (cached included)."""
    cached_tokens: int
    """Cached input tokens."""
    saved_usd: Decimal
    """(input rate - cached rate) x cached tokens of the priced calls, at the rates in force
    for each call's model, tier and price period."""
    unknown_tokens: int
    """Cached tokens whose saving could not be worked out (model no longer in the catalog)."""

    @property
    def share(self) -> Decimal | None:
        """Cached tokens / input tokens (None without input)."""
        if not self.input_tokens:
            return None
        return Decimal(self.cached_tokens) / Decimal(self.input_tokens)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        share = self.share
        return {
            "input_tokens": self.input_tokens,
            "cached_tokens": self.cached_tokens,
            "cached_share": None if share is None else str(round(share, 6)),
            "saved_usd": str(self.saved_usd),
            "saved_unknown_tokens": self.unknown_tokens,
        }


def _saving_per_token(cat: Catalog, model: str, tier: str, at: date) -> Decimal:
    """What one cached input token saves against an uncached one for this model/tier/date."""
    from .._api import cost_of

    kw: dict[str, Any] = {"model": model, "at": at, "prices": cat}
    if tier == "batch":
        kw["batch"] = True
    elif tier not in ("(none)", "default"):
        kw["tier"] = tier
    full = cost_of(Usage(input_tokens=1), **kw).total
    cached = cost_of(Usage(input_tokens=1, cached_tokens=1), **kw).total
    return full - cached


def cache_savings(rows: Sequence[BreakdownRow], cat: Catalog) -> CacheSavings:
    """Cached-token share and money saved over the breakdown rows."""
    per: dict[tuple[str, str, date], int] = defaultdict(int)
    for r in rows:
        if r.priced_cached_tokens and r.price_since is not None:
            per[(r.model, r.tier, r.price_since)] += r.priced_cached_tokens
    saved, unknown = ZERO, 0
    for (model, tier, since), n in per.items():
        try:
            saved += _saving_per_token(cat, model, tier, since) * n
        except OpenAICostError:
            unknown += n
    return CacheSavings(
        input_tokens=sum(r.input_tokens for r in rows),
        cached_tokens=sum(r.cached_tokens for r in rows),
        saved_usd=saved.normalize() if saved else ZERO,
        unknown_tokens=unknown,
    )


@dataclass(frozen=True, slots=True)
class Overview:
    """Everything the overview page shows."""

    today: date
    """The current UTC day."""
    since: date
    """First day of the window shown."""
    until: date
    """Last day of the window shown (included)."""
    totals: Totals
    """Sums over the window."""
    month_to_date: Totals
    """Sums over the current month so far (same filters)."""
    previous_month: Totals
    """Sums over the previous calendar month (same filters)."""
    daily_rate_usd: Decimal
    """Month-to-date spend / days of the month so far (today counted as a whole day)."""
    projected_month_usd: Decimal
    """`daily_rate_usd` x days in the month: where the month ends at this rate."""
    days: list[date]
    """Every day of the window, in order."""
    daily: dict[str, dict[date, Decimal]]
    """model -> day -> USD, for the stacked daily chart (models by total, highest first)."""
    models: list[Group]
    """Top models in the window."""
    endpoints: list[Group]
    """Top endpoints."""
    tiers: list[Group]
    """Top tiers."""
    tag_name: str | None
    """The tag name chosen for `tags` (None when the ledger has no tags)."""
    tag_names: list[str]
    """Every tag name in the ledger."""
    tags: list[Group]
    """Top values of `tag_name`."""
    cache: CacheSavings
    """Cached-token share and savings in the window."""
    problems: list[Group]
    """Models with unpriced, failed or incomplete calls in the window."""

    @property
    def empty(self) -> bool:
        """True when the window holds no call."""
        return self.totals.calls == 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (money as decimal strings)."""
        return {
            "today": self.today.isoformat(),
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "totals": self.totals.to_dict(),
            "month_to_date": self.month_to_date.to_dict(),
            "previous_month": self.previous_month.to_dict(),
            "daily_rate_usd": str(self.daily_rate_usd),
            "projected_month_usd": str(self.projected_month_usd),
            "daily": [
                {
                    "day": d.isoformat(),
                    "models": {m: str(v[d]) for m, v in self.daily.items() if d in v},
                }
                for d in self.days
            ],
            "models": [g.to_dict() for g in self.models],
            "endpoints": [g.to_dict() for g in self.endpoints],
            "tiers": [g.to_dict() for g in self.tiers],
            "tag_name": self.tag_name,
            "tag_names": self.tag_names,
            "tags": [g.to_dict() for g in self.tags],
            "cache": self.cache.to_dict(),
            "problems": [g.to_dict() for g in self.problems],
        }


def _round_rate(d: Decimal) -> Decimal:
    return d.quantize(Decimal("0.000001")) if d else ZERO


class DayCache:
    """Query results over days that have ended, kept for `ttl` seconds.

    A day that is over changes only when a late record arrives (a spool replayed after an
    outage), so the dashboard reads it from here for a few minutes instead of summing the same
    rows again on every page load; today is always read live.
    """

    def __init__(self, ttl: float = 300.0, size: int = 256) -> None:
        self.ttl = ttl
        self.size = size
        self._items: dict[Any, tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def get(self, key: Any, compute: Callable[[], Any]) -> Any:
        """The value for `key`, computed now when absent or expired."""
        now = time.monotonic()
        with self._lock:
            hit = self._items.get(key)
            if hit is not None and hit[0] > now:
                return hit[1]
        value = compute()
        with self._lock:
            if len(self._items) >= self.size:
                for k in sorted(self._items, key=lambda k: self._items[k][0])[: self.size // 4]:
                    del self._items[k]
            self._items[key] = (now + self.ttl, value)
        return value


def _key(f: CallFilter) -> tuple[Any, ...]:
    return (f.since, f.until, f.model, f.endpoint, f.tier, f.status, tuple(sorted(f.tags.items())))


def _cached(cache: DayCache | None, key: Any, compute: Callable[[], Any]) -> Any:
    return compute() if cache is None else cache.get(key, compute)


def _merge_reports(rows: Iterable[ReportRow]) -> list[Group]:
    """Groups from report rows of several windows, summed per group (never a made-up $0)."""
    acc: dict[str, list[ReportRow]] = defaultdict(list)
    for r in rows:
        acc[r.group].append(r)
    out = []
    for name, rs in acc.items():
        costs = [r.cost_usd for r in rs if r.cost_usd is not None]
        out.append(
            Group(
                name,
                trim(sum(costs, ZERO)) if costs else None,
                sum(r.calls for r in rs),
                sum(r.unpriced_calls for r in rs),
                sum(r.error_calls for r in rs),
                sum(r.incomplete_calls for r in rs),
            )
        )
    out.sort(key=lambda g: (-(g.cost_usd or 0), -g.calls, g.name))
    return out


def overview(
    ledger: Ledger,
    where: CallFilter,
    *,
    today: date,
    catalog: Catalog,
    tag_name: str | None = None,
    cache: DayCache | None = None,
) -> Overview:
    """The overview of the calls `where` selects.

    The window is ``where.since``..``where.until`` (default: the month of `today`, to
    `today`). The month-to-date and previous-month figures use the same filters over their
    own months. One `Ledger.breakdown` covers all three; the tag table is `Ledger.report`.
    Each is asked twice at most: for the days before today (kept in `cache` for its TTL when
    one is given) and for today.
    """
    from dataclasses import replace

    since = where.since.date() if where.since else month_start(today)
    last = (where.until - timedelta(microseconds=1)).date() if where.until else today
    if last < since:
        last = since
    prev = _prev_month_start(today)
    this_month = month_start(today)
    lo = min(since, this_month)
    hi = max(last, today) + timedelta(days=1)
    # the previous month's totals need no grouping: one cheaper pass, unless the window has
    # all of it anyway
    prev_in_rows = lo <= prev
    # days before today are closed: their rows come from the cache when given
    split = min(max(today, lo), hi)
    # the queries below are independent: on PostgreSQL they run side by side (the server does
    # the work); SQLite sums money in a Python aggregate, where threads would only contend
    pool = ThreadPoolExecutor(max_workers=4 if ledger.dialect == "postgresql" else 1)
    jobs: list[Future[list[BreakdownRow]]] = []
    if lo < split:
        closed = replace(where, since=_utc(lo), until=_utc(split))
        jobs.append(
            pool.submit(
                _cached, cache, ("breakdown", _key(closed)), lambda: ledger.breakdown(closed)
            )
        )
    if split < hi:
        jobs.append(
            pool.submit(ledger.breakdown, replace(where, since=_utc(split), until=_utc(hi)))
        )
    pm_job: Future[list[BreakdownRow]] | None = None
    if not prev_in_rows:
        pmf = replace(where, since=_utc(prev), until=_utc(this_month))
        pm_job = pool.submit(
            _cached, cache, ("totals", _key(pmf)), lambda: ledger.breakdown(pmf, grouped=False)
        )
    names_job = pool.submit(ledger.tag_names)
    names = names_job.result()
    chosen = tag_name if tag_name in names else (names[0] if names else None)
    tag_jobs: list[Future[list[ReportRow]]] = []
    if chosen is not None:
        by = f"tag:{chosen}"
        end = last + timedelta(days=1)
        cut = min(max(today, since), end)
        if since < cut:
            tclosed = replace(where, since=_utc(since), until=_utc(cut))
            tag_jobs.append(
                pool.submit(
                    _cached, cache, (by, _key(tclosed)), lambda: ledger.report(by=by, where=tclosed)
                )
            )
        if cut < end:
            topen = replace(where, since=_utc(cut), until=_utc(end))
            tag_jobs.append(pool.submit(ledger.report, by=by, where=topen))
    try:
        rows = [r for j in jobs for r in j.result()]
        pm_rows = pm_job.result() if pm_job is not None else None
        tags = _merge_reports([r for j in tag_jobs for r in j.result()])
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    win = [r for r in rows if since <= r.day <= last]
    mtd = [r for r in rows if month_start(today) <= r.day <= today]
    pm = pm_rows if pm_rows is not None else [r for r in rows if prev <= r.day < this_month]

    totals = _sum(win)
    mtd_t = _sum(mtd)
    days_in_month = calendar.monthrange(today.year, today.month)[1]
    rate = mtd_t.cost_usd / today.day
    projected = rate * days_in_month

    days = [since + timedelta(days=i) for i in range((last - since).days + 1)]
    daily: dict[str, dict[date, Decimal]] = defaultdict(dict)
    for r in win:
        if r.cost_usd:
            d = daily[r.model]
            d[r.day] = d.get(r.day, ZERO) + r.cost_usd
    order = sorted(daily, key=lambda m: (-sum(daily[m].values()), m))
    models = _group(win, lambda r: r.model)
    return Overview(
        today=today,
        since=since,
        until=last,
        totals=totals,
        month_to_date=mtd_t,
        previous_month=_sum(pm),
        daily_rate_usd=_round_rate(rate),
        projected_month_usd=_round_rate(projected),
        days=days,
        daily={m: daily[m] for m in order},
        models=models,
        endpoints=_group(win, lambda r: r.endpoint),
        tiers=_group(win, lambda r: r.tier),
        tag_name=chosen,
        tag_names=names,
        tags=tags,
        cache=cache_savings(win, catalog),
        problems=[g for g in models if g.unpriced_calls or g.error_calls or g.incomplete_calls],
    )


# -- budgets ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NamedBudget:
    """A budget shown on the dashboard, with where it came from."""

    name: str
    """Its name."""
    budget: Budget
    """Limit, period, tags and mode."""
    source: str
    """``ledger`` (used with this ledger) or the budgets file it was configured in."""
    reserved_usd: Decimal | None = None
    """Estimates of calls in flight held against it, when the ledger reports them."""


@dataclass(frozen=True, slots=True)
class BudgetStatus:
    """A budget's current period as a burn-down."""

    named: NamedBudget
    """The budget."""
    start: datetime | None
    """Start of the current period (None for a ``total`` budget: from the first call)."""
    end: datetime | None
    """End of the current period (None for ``total``)."""
    spent_usd: Decimal
    """Priced spend in the period so far."""
    remaining_usd: Decimal
    """Limit - spent (negative when over)."""
    days: list[date]
    """Days of the period (so far, for ``total``)."""
    cumulative: list[Decimal]
    """Spend up to the end of each day in `days` (the burn-down's line)."""
    unpriced_calls: int
    """Calls in the period that could not be priced (not in `spent_usd`)."""
    run_out_at: datetime | None
    """When the limit is reached at the period's rate so far; None when not before the
    period ends (or no spend yet)."""
    exhausted: bool
    """Spent >= limit."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        b = self.named.budget
        return {
            "name": self.named.name,
            "source": self.named.source,
            "limit_usd": str(b.limit_usd),
            "period": b.period,
            "mode": b.mode,
            "tags": dict(b.tags),
            "start": None if self.start is None else self.start.isoformat(),
            "end": None if self.end is None else self.end.isoformat(),
            "spent_usd": str(self.spent_usd),
            "remaining_usd": str(self.remaining_usd),
            "reserved_usd": None
            if self.named.reserved_usd is None
            else str(self.named.reserved_usd),
            "unpriced_calls": self.unpriced_calls,
            "run_out_at": None if self.run_out_at is None else self.run_out_at.isoformat(),
            "exhausted": self.exhausted,
            "burn_down": [
                {"day": d.isoformat(), "spent_usd": str(c)}
                for d, c in zip(self.days, self.cumulative, strict=True)
            ],
        }


def budget_status(ledger: Ledger, named: NamedBudget, now: datetime) -> BudgetStatus:
    """The burn-down of `named`'s current period at `now`, from `Ledger.report` by day."""
    b = named.budget
    start, end = b.window(now)
    rows = ledger.report(by="day", since=start, until=end or now, tags=b.tags)
    per_day = {date.fromisoformat(r.group): r for r in rows}
    first = start.date() if start is not None else min(per_day, default=now.date())
    last = (end - timedelta(microseconds=1)).date() if end is not None else now.date()
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    cum, run = [], ZERO
    for d in days:
        r = per_day.get(d)
        if r is not None and r.cost_usd:
            run += r.cost_usd
        cum.append(run)
    spent = run
    unpriced = sum(r.unpriced_calls for r in rows)
    begin = start or _utc(first)
    elapsed = (now - begin).total_seconds()
    run_out: datetime | None = None
    if spent >= b.limit_usd:
        exhausted = True
    else:
        exhausted = False
        if spent > 0 and elapsed > 0:
            per_second = spent / Decimal(repr(elapsed))
            left = (b.limit_usd - spent) / per_second
            at = now + timedelta(seconds=float(left))
            if end is None or at < end:
                run_out = at
    return BudgetStatus(
        named=named,
        start=start,
        end=end,
        spent_usd=spent,
        remaining_usd=b.limit_usd - spent,
        days=days,
        cumulative=cum,
        unpriced_calls=unpriced,
        run_out_at=run_out,
        exhausted=exhausted,
    )


def budgets_from_ledger(ledger: Ledger) -> list[NamedBudget]:
    """The budgets the ledger says were used with it (`Ledger.budgets`, when it has it)."""
    fn = getattr(ledger, "budgets", None)
    if fn is None:
        return []
    out = []
    for i, item in enumerate(fn()):
        get: Callable[[str], Any]
        if isinstance(item, Mapping):
            get = item.get
        else:

            def get(k: str, _it: Any = item) -> Any:
                return getattr(_it, k, None)

        b = get("budget")
        if not isinstance(b, Budget):
            b = Budget(
                Decimal(str(get("limit_usd"))),
                period=get("period") or "day",
                tags=get("tags") or {},
                mode=get("mode") or "raise",
            )
        reserved = get("reserved_usd")
        out.append(
            NamedBudget(
                name=str(get("name") or f"budget {i + 1}"),
                budget=b,
                source="ledger",
                reserved_usd=None if reserved is None else Decimal(str(reserved)),
            )
        )
    return out

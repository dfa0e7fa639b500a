"""OpenAI's organisation Usage and Costs APIs: pull them into the ledger, price, reconcile.

```python
from openai_cost import org

org.pull(since="2026-11-01", until="2026-11-28")      # admin key from OPENAI_ADMIN_KEY
rep = org.report(since="2026-11-01", until="2026-11-28", by="project")
for row in rep.rows:
    print(row.group, row.usage_usd, row.billed_usd)
rec = org.reconcile(since="2026-11-01", until="2026-11-28")
for row in rec.rows:
    print(row.day, row.model, row.tracked_usd, row.usage_usd, row.billed_usd, row.findings)
```

`pull` stores every Usage endpoint's daily buckets (grouped by every dimension the endpoint
offers) and the Costs API's (grouped by line item, project and API key) in the ledger's
``org_usage`` and ``org_costs`` tables; pulling the same days again replaces them. `report`
prices the pulled usage with the catalog at each day's prices; `reconcile` puts the ledger's
tracked calls, the priced usage and the billed dollars side by side per day, model and tier
and gives every difference a cause (a `Finding`). Both aggregate on the database (SQLite or
PostgreSQL) and price the aggregates, so a dashboard can call them on a large ledger.

Needs the ``openai`` SDK for `pull` only (``pip install "openai-cost[org]"``).
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

from ..catalog import Catalog, catalog, to_date
from ..errors import PricingError
from ..ledger import Ledger
from ..ledger.queries import trim
from . import _store
from ._lineitems import LineItem, parse_line_item
from ._price import (
    MODEL_ENDPOINTS,
    catalog_rate,
    dimension_tokens,
    price_aggregate,
    resolve,
    tier_of,
)
from ._pull import ADMIN_KEY_ENV, ENDPOINTS, GROUP_BY
from ._types import (
    FINDING_KINDS,
    REPORT_GROUPINGS,
    Finding,
    OrgReport,
    OrgReportRow,
    OtherCharge,
    PullSummary,
    ReconcileRow,
    Reconciliation,
    UnpricedBucket,
)

__all__ = [
    "ADMIN_KEY_ENV",
    "ENDPOINTS",
    "FINDING_KINDS",
    "GROUP_BY",
    "REPORT_GROUPINGS",
    "Finding",
    "LineItem",
    "OrgReport",
    "OrgReportRow",
    "OtherCharge",
    "PullSummary",
    "ReconcileRow",
    "Reconciliation",
    "UnpricedBucket",
    "has_data",
    "parse_line_item",
    "pull",
    "reconcile",
    "report",
]

LedgerLike = Ledger | str | None
"""A `Ledger`, a database URL, or None for the default ledger."""

_NONE = "(none)"


@contextlib.contextmanager
def _ledger(ledger: LedgerLike) -> Iterator[Ledger]:
    if isinstance(ledger, Ledger):
        yield ledger
        return
    led = Ledger(ledger)
    try:
        yield led
    finally:
        led.close()


def _window(since: date | str, until: date | str) -> tuple[date, date]:
    s, u = to_date(since), to_date(until)
    if s > u:
        raise ValueError(f"since {s} is after until {u}")
    return s, u


def pull(
    ledger: LedgerLike = None,
    *,
    since: date | str,
    until: date | str,
    base_url: str | None = None,
    project_ids: Sequence[str] = (),
    endpoints: Sequence[str] = ENDPOINTS,
    client: Any = None,
    page_days: int = 31,
    on_progress: Callable[[str, int, int], None] | None = None,
    on_wait: Callable[[float], None] | None = None,
) -> PullSummary:
    """Pull the organisation's usage and costs for ``since..until`` (UTC days, inclusive).

    The admin key is read from ``OPENAI_ADMIN_KEY`` (never an argument; never logged or
    stored). Each endpoint's days (and projects, when `project_ids` is given) are replaced in
    one transaction, so pulling again never doubles a bucket. 429 answers are retried after
    their ``Retry-After``.

    Args:
        ledger: where to store them (a `Ledger`, a URL, or None for the default ledger).
        since: first UTC day.
        until: last UTC day, included.
        base_url: the API's base URL (default ``https://api.openai.com/v1``).
        project_ids: only these projects.
        endpoints: the Usage endpoints to read (default: all of `ENDPOINTS`); Costs always.
        client: an ``openai.OpenAI`` client to use instead of one built from the environment.
        page_days: daily buckets asked for per page (the API allows up to 31).
        on_progress: called with (endpoint, buckets read so far, buckets expected).
        on_wait: called with the seconds to wait before retrying a 429.

    Returns:
        A `PullSummary` of what was stored.

    Raises:
        ConfigError: ``OPENAI_ADMIN_KEY`` is unset or refused, or ``openai`` is missing.
        OpenAICostError: the API answered an error (the message says which).
        LedgerError: the ledger cannot be written.
    """
    from ._pull import _Stats, fetch, make_client, normalize_cost, normalize_usage

    s, u = _window(since, until)
    unknown = [e for e in endpoints if e not in GROUP_BY]
    if unknown:
        raise ValueError(f"unknown usage endpoint(s) {unknown}; valid: {', '.join(ENDPOINTS)}")
    if client is None:
        client = make_client(base_url)
    stats = _Stats()
    days = (u - s).days + 1
    projects = tuple(project_ids)
    stored: dict[str, int] = {}
    now = datetime.now(timezone.utc)
    with _ledger(ledger) as led:
        for what in (*endpoints, "costs"):
            done = 0

            def page(n: int, what: str = what) -> None:
                nonlocal done
                done += n
                if on_progress is not None:
                    on_progress(what, min(done, days), days)

            if on_progress is not None:
                on_progress(what, 0, days)
            pairs = fetch(
                client,
                what,
                s,
                u,
                projects=projects,
                page_days=page_days,
                stats=stats,
                on_page=page,
                on_wait=on_wait,
            )
            if what == "costs":
                rows = [normalize_cost(b, r, now) for b, r in pairs]
            else:
                rows = [normalize_usage(what, b, r, now) for b, r in pairs]
            with led.transaction(write=True) as conn:
                if what == "costs":
                    stored["costs"] = _store.replace_costs(conn, s, u, projects, rows)
                else:
                    stored[what] = _store.replace_usage(conn, what, s, u, projects, rows)
    cost_rows = stored.pop("costs", 0)
    return PullSummary(
        since=s,
        until=u,
        usage_rows=stored,
        cost_rows=cost_rows,
        requests=stats.requests,
        retries=stats.retries,
    )


def has_data(
    ledger: LedgerLike = None,
    *,
    since: date | str | None = None,
    until: date | str | None = None,
) -> bool:
    """True when organisation usage or costs were pulled into this ledger (in the window, when
    given): whether a dashboard should show spend by project, API key and user."""
    s = None if since is None else to_date(since)
    u = None if until is None else to_date(until)
    with _ledger(ledger) as led, led.transaction() as conn:
        return _store.has_rows(conn, s, u)


# ---------------------------------------------------------------------------------------------
# report

_USAGE_COLUMN = {"project": "project_id", "api_key": "api_key_id", "user": "user_id"}
_COST_COLUMN = {"project": "project_id", "api_key": "api_key_id"}


def _billed_model(
    cat: Catalog, item: LineItem, day: date, memo: dict[Any, Any]
) -> tuple[str, str | None]:
    """(model id or the name as written, reason when the catalog does not know it)."""
    mp, err = resolve(cat, item.model_candidates, day, memo)
    return (item.model, err) if mp is None else (mp.model, None)


def report(
    ledger: LedgerLike = None,
    *,
    since: date | str,
    until: date | str,
    by: str = "model",
    prices: Catalog | None = None,
) -> OrgReport:
    """The pulled usage priced at each day's catalog prices, per group, with the billed dollars.

    Usage is summed on the database per day, endpoint, model, tier and group, and each sum is
    priced (cached, cache writes, audio, image, Batch and service tier rates). Buckets the
    catalog cannot price are listed in `OrgReport.unpriced` with the reason, never as $0.

    Args:
        ledger: a `Ledger`, a URL, or None for the default ledger.
        since: first UTC day.
        until: last UTC day, included.
        by: ``model``, ``project``, ``api_key``, ``user``, ``day``, ``tier`` or ``line_item``
            (line items come from the Costs API alone, so their rows have billed dollars only).
        prices: a `Catalog` to price with instead of the shared `catalog()`.

    Returns:
        An `OrgReport`.

    Raises:
        ValueError: `by` is not one of the above.
        LedgerError: the ledger cannot be read.
    """
    if by not in REPORT_GROUPINGS:
        raise ValueError(f"cannot group by {by!r}; valid: {', '.join(REPORT_GROUPINGS)}")
    s, u = _window(since, until)
    cat = prices or catalog()
    memo: dict[Any, Any] = {}
    col = _USAGE_COLUMN.get(by)
    extra = (col,) if col else ()
    with _ledger(ledger) as led, led.transaction() as conn:
        usage = [] if by == "line_item" else _store.usage_groups(conn, s, u, extra=extra)
        if by == "user":
            costs: list[dict[str, Any]] = []
        else:
            cextra = (_COST_COLUMN[by],) if by in _COST_COLUMN else ()
            costs = _store.cost_groups(conn, s, u, extra=cextra)
    acc: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"req": 0, "in": 0, "out": 0, "usd": None, "unpriced": 0, "billed": None}
    )
    unpriced: list[UnpricedBucket] = []
    for g in usage:
        cost, reason, model_id = price_aggregate(cat, g, memo)
        tier = tier_of(g["service_tier"], g["batch"])
        if by == "model":
            key = model_id or g["model"] or f"({g['endpoint']})"
        elif by == "day":
            key = g["day"].isoformat()
        elif by == "tier":
            key = tier
        else:
            assert col is not None
            key = g[col] or _NONE
        a = acc[key]
        a["req"] += g["requests"]
        a["in"] += g["input_tokens"]
        a["out"] += g["output_tokens"]
        if cost is None:
            a["unpriced"] += g["requests"]
            unpriced.append(
                UnpricedBucket(
                    day=g["day"],
                    endpoint=g["endpoint"],
                    model=g["model"],
                    tier=tier,
                    group=key,
                    requests=g["requests"],
                    reason=reason or "no price",
                )
            )
        else:
            a["usd"] = (a["usd"] or Decimal(0)) + cost.total
    for c in costs:
        if by == "model" or by == "tier":
            item = parse_line_item(c["line_item"])
            if item is None:
                key = "(other charges)"
            elif by == "tier":
                key = item.tier
            else:
                key = _billed_model(cat, item, c["day"], memo)[0]
        elif by == "day":
            key = c["day"].isoformat()
        elif by == "line_item":
            key = c["line_item"] or _NONE
        else:
            key = c[_COST_COLUMN[by]] or _NONE
        a = acc[key]
        a["billed"] = (a["billed"] or Decimal(0)) + c["amount_usd"]
    rows = [
        OrgReportRow(
            group=k,
            requests=a["req"],
            input_tokens=a["in"],
            output_tokens=a["out"],
            usage_usd=None if a["usd"] is None else trim(a["usd"]),
            unpriced_requests=a["unpriced"],
            billed_usd=None if a["billed"] is None else trim(a["billed"]),
        )
        for k, a in acc.items()
    ]
    if by == "day":
        rows.sort(key=lambda r: r.group)
    else:
        rows.sort(key=lambda r: (-(r.usage_usd or r.billed_usd or 0), -r.requests, r.group))
    unpriced.sort(key=lambda b: (b.day, b.endpoint, b.model or "", b.group))
    return OrgReport(since=s, until=u, by=by, rows=rows, unpriced=unpriced)


# ---------------------------------------------------------------------------------------------
# reconcile


def _pct_over(big: Decimal | int, small: Decimal | int, tolerance: Decimal) -> bool:
    """True when `big` exceeds `small` by more than `tolerance` percent of `big`."""
    if big <= small:
        return False
    return (Decimal(big) - Decimal(small)) * 100 > tolerance * Decimal(big)


def _top(counts: dict[str, int]) -> tuple[tuple[str, int], ...]:
    return tuple(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def reconcile(
    ledger: LedgerLike = None,
    *,
    since: date | str,
    until: date | str,
    tolerance_pct: Decimal | str | float = Decimal(1),
    prices: Catalog | None = None,
) -> Reconciliation:
    """Tracked calls, priced usage and billed dollars per UTC day, model and tier, with a cause
    for every difference beyond `tolerance_pct`.

    * tracked: the ledger's calls (status ok or incomplete) and their recorded cost;
    * usage: the pulled Usage API tokens of model endpoints, priced at that day's prices;
    * billed: the Costs API's dollars, attributed to a model by parsing the line item
      (``[<tier> | ]<model>[ <modality>], <direction>[, long context]``); other line items are
      listed in `Reconciliation.other_charges`.

    Model names are mapped to the catalog's ids, so snapshots of one model meet in one row;
    Batch and each service tier have rows of their own. Everything is summed on the database.

    Findings (`Finding.kind`): ``untracked`` (the Usage API saw more requests or tokens than
    the ledger, with the projects and API keys they came from), ``price_drift`` (a line item's
    rate differs from the catalog's for that dimension, tier and day), ``unknown_model`` (billed
    or used, but not in the catalog), ``unpriced`` (a known model whose tier or unit has no
    price) and ``not_billed`` (tracked or priced, absent from the bill).

    Args:
        ledger: a `Ledger`, a URL, or None for the default ledger.
        since: first UTC day.
        until: last UTC day, included.
        tolerance_pct: differences at or under this percentage get no finding.
        prices: a `Catalog` to price with instead of the shared `catalog()`.

    Returns:
        A `Reconciliation`.

    Raises:
        LedgerError: the ledger cannot be read.
    """
    s, u = _window(since, until)
    tol = Decimal(str(tolerance_pct))
    if tol < 0:
        raise ValueError(f"tolerance_pct must be >= 0, got {tol}")
    cat = prices or catalog()
    memo: dict[Any, Any] = {}
    with _ledger(ledger) as led, led.transaction() as conn:
        usage = _store.usage_groups(conn, s, u, endpoints=MODEL_ENDPOINTS)
        by_project = _store.usage_groups(
            conn, s, u, extra=("project_id",), endpoints=MODEL_ENDPOINTS
        )
        by_key = _store.usage_groups(conn, s, u, extra=("api_key_id",), endpoints=MODEL_ENDPOINTS)
        tracked = _store.tracked_groups(conn, s, u)
        costs = _store.cost_groups(conn, s, u)

    Key = tuple[date, str, str]
    rows: dict[Key, dict[str, Any]] = {}

    def row(key: Key) -> dict[str, Any]:
        r = rows.get(key)
        if r is None:
            r = rows[key] = {
                "tracked": Decimal(0),
                "t_req": 0,
                "t_tok": 0,
                "usage": None,
                "u_req": 0,
                "u_tok": 0,
                "unpriced": [],
                "billed": Decimal(0),
                "billed_any": False,
                "lines": [],
                "groups": [],
                "projects": defaultdict(int),
                "keys": defaultdict(int),
            }
        return r

    def model_key(g: dict[str, Any]) -> Key:
        mp, _ = resolve(cat, (g["model"],), g["day"], memo) if g["model"] else (None, None)
        name = mp.model if mp is not None else (g["model"] or f"({g['endpoint']})")
        return (g["day"], name, tier_of(g["service_tier"], g["batch"]))

    for g in usage:
        r = row(model_key(g))
        cost, reason, _ = price_aggregate(cat, g, memo)
        r["u_req"] += g["requests"]
        r["u_tok"] += g["input_tokens"] + g["output_tokens"]
        r["groups"].append(g)
        if cost is None:
            r["unpriced"].append((g, reason or "no price"))
        else:
            r["usage"] = trim((r["usage"] or Decimal(0)) + cost.total)
    for g in by_project:
        if g["requests"]:
            row(model_key(g))["projects"][g["project_id"] or _NONE] += g["requests"]
    for g in by_key:
        if g["requests"]:
            row(model_key(g))["keys"][g["api_key_id"] or _NONE] += g["requests"]
    for t in tracked:
        name = t["model"] or _NONE
        if t["model"]:
            mp, _ = resolve(cat, (t["model"],), t["day"], memo)
            if mp is not None:
                name = mp.model
        r = row((t["day"], name, tier_of(t["tier"], False)))
        r["tracked"] += t["cost_usd"]
        r["t_req"] += t["requests"]
        r["t_tok"] += t["input_tokens"] + t["output_tokens"]
    other: list[OtherCharge] = []
    cost_days: set[date] = set()
    for c in costs:
        cost_days.add(c["day"])
        item = parse_line_item(c["line_item"])
        if item is None:
            other.append(OtherCharge(c["day"], c["line_item"] or _NONE, c["amount_usd"]))
            continue
        name, err = _billed_model(cat, item, c["day"], memo)
        r = row((c["day"], name, item.tier))
        r["billed"] += c["amount_usd"]
        r["billed_any"] = True
        r["lines"].append((item, c, err))

    out: list[ReconcileRow] = []
    for (day, model, tier), r in rows.items():
        findings = _findings(cat, day, model, tier, r, tol, memo, day in cost_days)
        out.append(
            ReconcileRow(
                day=day,
                model=model,
                tier=tier,
                tracked_usd=trim(r["tracked"]),
                usage_usd=r["usage"],
                billed_usd=trim(r["billed"]),
                tracked_requests=r["t_req"],
                usage_requests=r["u_req"],
                tracked_tokens=r["t_tok"],
                usage_tokens=r["u_tok"],
                findings=tuple(findings),
            )
        )
    out.sort(key=lambda x: (x.day, x.model, x.tier))
    other.sort(key=lambda c: (c.day, -c.billed_usd, c.line_item))
    return Reconciliation(since=s, until=u, tolerance_pct=tol, rows=out, other_charges=other)


def _findings(
    cat: Catalog,
    day: date,
    model: str,
    tier: str,
    r: dict[str, Any],
    tol: Decimal,
    memo: dict[Any, Any],
    day_billed: bool,
) -> list[Finding]:
    found: list[Finding] = []
    # unknown or unpriceable
    unknown_reasons: list[str] = []
    for g, reason in r["unpriced"]:
        mp, _ = resolve(cat, (g["model"],), day, memo) if g["model"] else (None, None)
        n = g["requests"]
        what = f"{n:,} {g['endpoint']} request(s) of {g['model'] or '(no model)'}"
        if mp is None and g["model"]:
            unknown_reasons.append(f"{what}: {reason}")
        else:
            found.append(Finding(kind="unpriced", detail=f"{what} cannot be priced: {reason}"))
    billed_unknown = {(item.model, err) for item, _c, err in r["lines"] if err}
    for name, err in sorted(billed_unknown):
        unknown_reasons.append(f"billed as {name!r}: {err}")
    if unknown_reasons:
        found.append(Finding(kind="unknown_model", detail="; ".join(unknown_reasons)))
    # untracked
    if _pct_over(r["u_req"], r["t_req"], tol) or _pct_over(r["u_tok"], r["t_tok"], tol):
        req = r["u_req"] - r["t_req"]
        tok = r["u_tok"] - r["t_tok"]
        projects = _top(r["projects"])
        keys = _top(r["keys"])
        parts = [
            f"the Usage API counted {r['u_req']:,} request(s) and {r['u_tok']:,} tokens, "
            f"the ledger {r['t_req']:,} and {r['t_tok']:,}"
            + (f" ({max(req, 0):,} request(s), {max(tok, 0):,} tokens untracked)")
        ]
        if projects:
            parts.append("projects: " + ", ".join(f"{p} ({n:,})" for p, n in projects[:5]))
        if keys:
            parts.append("API keys: " + ", ".join(f"{k} ({n:,})" for k, n in keys[:5]))
        found.append(
            Finding(kind="untracked", detail="; ".join(parts), projects=projects, api_keys=keys)
        )
    # price drift, per billed dimension
    mp, _ = resolve(cat, (model,), day, memo)
    if mp is not None:
        found.extend(_drift(mp, tier, r, tol))
    # not billed
    if not r["billed_any"] and (r["tracked"] > 0 or (r["usage"] or 0) > 0):
        what = "priced usage" if (r["usage"] or 0) > 0 else "tracked calls"
        amount = r["usage"] if (r["usage"] or 0) > 0 else r["tracked"]
        detail = f"${amount} of {what} and no billed line item for {model} ({tier})"
        if not day_billed:
            detail += "; the Costs API reported nothing for this day (costs can lag: pull again)"
        found.append(Finding(kind="not_billed", detail=detail))
    return found


_UNIT_TOKENS = {"tokens": Decimal(1), "1000_tokens": Decimal(1000)}


def _drift(mp: Any, tier: str, r: dict[str, Any], tol: Decimal) -> list[Finding]:
    found: list[Finding] = []
    lines: list[tuple[LineItem, dict[str, Any], str | None]] = r["lines"]
    by_dim: dict[tuple[str, bool], list[dict[str, Any]]] = defaultdict(list)
    for item, c, err in lines:
        if err is None:
            by_dim[(item.dimension, item.long_context)].append(c)
    usage_tokens: dict[str, int] = defaultdict(int)
    for g in r["groups"]:
        if g["endpoint"] in ("completions", "embeddings", "moderations"):
            for dim, n in dimension_tokens(g).items():
                usage_tokens[dim] += n
    long_dims = {d for d, lc in by_dim if lc}
    for (dim, long_ctx), cs in sorted(by_dim.items()):
        amount = sum((c["amount_usd"] for c in cs), Decimal(0))
        qty: Decimal | None = Decimal(0)
        for c in cs:
            factor = _UNIT_TOKENS.get(c["unit"] or "")
            if c["quantity"] is None or factor is None or qty is None:
                qty = None
            else:
                qty += c["quantity"] * factor
        if qty is None:
            if dim in long_dims:
                continue  # usage does not say which tokens were long-context
            qty = Decimal(usage_tokens.get(dim, 0))
        if not qty:
            continue
        billed_rate = amount / qty * 1_000_000
        try:
            rate = catalog_rate(mp, dim, tier, long_ctx)
        except PricingError as e:
            found.append(
                Finding(
                    kind="price_drift",
                    dimension=dim,
                    billed_rate=_round_rate(billed_rate),
                    detail=f"billed {dim} at ${_round_rate(billed_rate)}/1M; the catalog has "
                    f"no such rate: {e}",
                )
            )
            continue
        if abs(billed_rate - rate) * 100 > tol * rate or (rate == 0 and billed_rate > 0):
            lc = " (long context)" if long_ctx else ""
            found.append(
                Finding(
                    kind="price_drift",
                    dimension=dim,
                    catalog_rate=rate,
                    billed_rate=_round_rate(billed_rate),
                    detail=f"{dim}{lc} billed at ${_round_rate(billed_rate)}/1M tokens, the "
                    f"catalog says ${rate}/1M (prices since {mp.price_since})",
                )
            )
    return found


def _round_rate(d: Decimal) -> Decimal:
    """A rate per 1M tokens to 6 decimal places, trailing zeros dropped."""
    q = d.quantize(Decimal("0.000001"))
    n = q.normalize()
    return n.quantize(Decimal(1)) if n.as_tuple().exponent > 0 else n  # type: ignore[operator]

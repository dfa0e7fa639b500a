"""``openai-cost org pull|report`` and ``openai-cost reconcile``: OpenAI's organisation Usage
and Costs APIs next to the ledger."""

from __future__ import annotations

import csv
import sys
from datetime import date
from decimal import Decimal
from typing import Any

import click

from ._common import date_type, db_option, echo_json, get_catalog, prices_option
from ._console import console, err_console, money

__all__ = ["org", "reconcile"]


def _window(f: Any) -> Any:
    f = click.option(
        "--until", type=date_type, required=True, help="Last UTC day included (YYYY-MM-DD)."
    )(f)
    return click.option(
        "--since", type=date_type, required=True, help="First UTC day (YYYY-MM-DD)."
    )(f)


def _check(since: date, until: date) -> None:
    if since > until:
        raise click.BadParameter(f"--since {since} is after --until {until}")


def _org_module() -> Any:
    from .. import org as org_module

    return org_module


@click.group()
def org() -> None:
    """OpenAI's organisation Usage and Costs APIs: pull them into the ledger and price them.

    \b
      export OPENAI_ADMIN_KEY=sk-admin-...
      openai-cost org pull --since 2026-11-01 --until 2026-11-28
      openai-cost org report --since 2026-11-01 --until 2026-11-28 --json

    The pulled data is stored in the ledger database (--db); `openai-cost reconcile` compares
    it with the tracked calls.
    """


@org.command()
@_window
@db_option
@click.option(
    "--base-url",
    metavar="URL",
    default=None,
    help="API base URL (default https://api.openai.com/v1).",
)
@click.option(
    "--project",
    "projects",
    multiple=True,
    metavar="ID",
    help="Only this project (repeatable).",
)
def pull(
    since: date, until: date, db_url: str | None, base_url: str | None, projects: tuple[str, ...]
) -> None:
    """Pull daily usage and costs for SINCE..UNTIL into the ledger.

    Reads every Usage endpoint grouped by every dimension it offers, and the Costs API grouped
    by line item, project and API key. The admin key is read from OPENAI_ADMIN_KEY only.
    Pulling the same days again replaces them.
    """
    _check(since, until)
    mod = _org_module()
    from ..ledger import Ledger

    progress: Any = None
    task: Any = None
    if sys.stderr.isatty():
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        progress = Progress(
            TextColumn("{task.description:<26}"),
            BarColumn(bar_width=24),
            MofNCompleteColumn(),
            TextColumn("days"),
            console=err_console(),
            transient=True,
        )

    def on_progress(what: str, done: int, total: int) -> None:
        nonlocal task
        if progress is None:
            return
        if task is None or progress.tasks[task].description != what:
            if task is not None:
                progress.update(task, visible=False)
            task = progress.add_task(what, total=total)
        progress.update(task, completed=done)

    def on_wait(seconds: float) -> None:
        err_console().print(f"rate limited (429): retrying in {seconds:g} s")

    ledger = Ledger(db_url)
    try:
        if progress is not None:
            progress.start()
        try:
            summary = mod.pull(
                ledger,
                since=since,
                until=until,
                base_url=base_url,
                project_ids=projects,
                on_progress=on_progress,
                on_wait=on_wait,
            )
        finally:
            if progress is not None:
                progress.stop()
    finally:
        ledger.close()
    n_usage = sum(summary.usage_rows.values())
    used = ", ".join(f"{k} {v}" for k, v in summary.usage_rows.items() if v) or "none"
    console().print(
        f"Pulled {since} to {until} into {ledger.url}: {n_usage} usage result(s) ({used}), "
        f"{summary.cost_rows} cost result(s); {summary.requests} request(s), "
        f"{summary.retries} retried after 429."
    )


_BY = ("model", "project", "api_key", "user", "day", "tier", "line_item")


@org.command()
@_window
@db_option
@click.option(
    "--by",
    type=click.Choice(_BY),
    default="model",
    show_default=True,
    help="What to total per row.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV.")
@prices_option
def report(
    since: date, until: date, db_url: str | None, by: str, as_json: bool, as_csv: bool
) -> None:
    """Pulled usage priced at each day's catalog prices, next to the billed dollars.

    Buckets the catalog cannot price are listed with the reason, never counted as $0.
    """
    _check(since, until)
    if as_json and as_csv:
        raise click.UsageError("--json and --csv exclude each other")
    mod = _org_module()
    rep = mod.report(db_url, since=since, until=until, by=by, prices=get_catalog())
    if as_json:
        echo_json(rep.to_dict())
        return
    if as_csv:
        w = csv.writer(sys.stdout, lineterminator="\n")
        header = ["group", "requests", "input_tokens", "output_tokens", "usage_usd"]
        header += ["unpriced_requests", "billed_usd"]
        w.writerow([by if h == "group" else h for h in header])
        for r in rep.rows:
            w.writerow(["" if v is None else v for v in r.to_dict().values()])
        return
    from rich.table import Table

    if not rep.rows:
        console().print(f"No organisation usage pulled for {since} to {until}.")
        return
    from rich import box

    table = Table(
        title=f"Organisation {'bill' if by == 'line_item' else 'usage'} by {by}, "
        f"{since} to {until}",
        show_footer=True,
        box=box.SIMPLE_HEAD,
    )
    billed = rep.billed_usd
    if by == "line_item":  # the Costs API alone: dollars, no usage
        table.add_column(by, footer="total", overflow="fold")
        table.add_column("billed", justify="right", footer=_usd(billed or Decimal(0)))
        for r in rep.rows:
            table.add_row(r.group, "" if r.billed_usd is None else _usd(r.billed_usd))
        console().print(table)
        return
    table.add_column(by, footer="total", overflow="fold")
    table.add_column("requests", justify="right", footer=f"{sum(r.requests for r in rep.rows):,}")
    table.add_column("tokens", justify="right")
    table.add_column("usage", justify="right", footer=_usd(rep.usage_usd))
    table.add_column("billed", justify="right", footer="" if billed is None else _usd(billed))
    for r in rep.rows:
        usage = "unpriced" if r.usage_usd is None and r.unpriced_requests else ""
        if r.usage_usd is not None:
            usage = _usd(r.usage_usd) + ("*" if r.unpriced_requests else "")
        table.add_row(
            r.group,
            f"{r.requests:,}",
            _tokens(r.input_tokens + r.output_tokens),
            usage,
            "" if r.billed_usd is None else _usd(r.billed_usd),
        )
    console().print(table)
    if rep.unpriced:
        console().print(f"{len(rep.unpriced)} bucket(s) not priced (* partly), not in 'usage':")
        for b in rep.unpriced[:20]:
            console().print(
                f"  {b.day} {b.endpoint} {b.model or '-'} ({b.tier}, {b.requests:,} req): "
                f"{b.reason}",
                highlight=False,
            )
        if len(rep.unpriced) > 20:
            console().print(f"  ... and {len(rep.unpriced) - 20} more (--json lists all)")


def _tokens(n: int) -> str:
    for unit, size in (("G", 10**9), ("M", 10**6), ("k", 10**3)):
        if n >= size:
            return f"{n / size:.1f}{unit}"
    return str(n)


@click.command()
@_window
@db_option
@click.option(
    "--pull",
    "do_pull",
    is_flag=True,
    help="Pull the window from the API first (OPENAI_ADMIN_KEY).",
)
@click.option("--base-url", metavar="URL", default=None, help="API base URL for --pull.")
@click.option(
    "--tolerance",
    type=click.FloatRange(min=0),
    default=1.0,
    show_default=True,
    metavar="PCT",
    help="Differences up to PCT percent get no finding.",
)
@click.option(
    "--fail-over",
    type=click.FloatRange(min=0),
    default=None,
    metavar="PCT",
    help="Exit 1 when billed model dollars and priced usage differ by more than PCT percent.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@prices_option
def reconcile(
    since: date,
    until: date,
    db_url: str | None,
    do_pull: bool,
    base_url: str | None,
    tolerance: float,
    fail_over: float | None,
    as_json: bool,
) -> None:
    """Tracked calls vs the Usage API (priced) vs the Costs API, per UTC day and model.

    Every difference beyond the tolerance gets a cause: untracked, price_drift, unknown_model,
    unpriced or not_billed. Line items that are not model tokens are listed as other charges.
    """
    _check(since, until)
    mod = _org_module()
    from ..ledger import Ledger

    ledger = Ledger(db_url)
    try:
        if do_pull:
            mod.pull(ledger, since=since, until=until, base_url=base_url)
        rec = mod.reconcile(
            ledger,
            since=since,
            until=until,
            tolerance_pct=Decimal(str(tolerance)),
            prices=get_catalog(),
        )
    finally:
        ledger.close()
    if as_json:
        echo_json(rec.to_dict())
    else:
        _reconcile_table(rec)
    if fail_over is not None and rec.difference_pct > Decimal(str(fail_over)):
        click.echo(
            f"billed {money(rec.billed_model_usd, 2)} and priced usage "
            f"{money(rec.usage_usd, 2)} differ by {rec.difference_pct:.2f}% "
            f"(over {fail_over:g}%)",
            err=True,
        )
        sys.exit(1)


def _usd(d: Decimal) -> str:
    """Dollars to 4 places (``<$0.0001`` for a smaller non-zero amount): table cells."""
    if d and abs(d) < Decimal("0.0001"):
        return "<$0.0001"
    return f"${d:,.4f}"


_SHORT = {"price_drift": "drift", "unknown_model": "unknown", "not_billed": "not billed"}


def _reconcile_table(rec: Any) -> None:
    from rich.table import Table

    out = console()
    if not rec.rows and not rec.other_charges:
        out.print(f"Nothing tracked or pulled for {rec.since} to {rec.until}.")
        return
    from rich import box

    rows = sorted(rec.rows, key=lambda r: (-r.difference_usd, r.day, r.model))
    table = Table(
        title=f"Reconciliation {rec.since} to {rec.until} (largest differences first)",
        show_footer=True,
        box=box.SIMPLE_HEAD,
    )
    table.add_column("day", footer="total", no_wrap=True)
    table.add_column("model", overflow="fold")
    table.add_column("tracked", justify="right", footer=_usd(rec.tracked_usd))
    table.add_column("usage", justify="right", footer=_usd(rec.usage_usd))
    table.add_column("billed", justify="right", footer=_usd(rec.billed_model_usd))
    table.add_column("findings")
    for r in rows:
        model = r.model if r.tier == "default" else f"{r.model} {r.tier}"
        table.add_row(
            r.day.strftime("%m-%d"),
            model,
            _usd(r.tracked_usd),
            "unpriced" if r.usage_usd is None else _usd(r.usage_usd),
            _usd(r.billed_usd),
            ", ".join(dict.fromkeys(_SHORT.get(f.kind, f.kind) for f in r.findings)),
        )
    out.print(table)
    details = [(r, f) for r in rows for f in r.findings]
    for r, f in details[:30]:
        out.print(f"{r.day} {r.model} ({r.tier}) {f.kind}:", highlight=False)
        out.print(f"  {f.detail}", highlight=False)
    if len(details) > 30:
        out.print(f"... and {len(details) - 30} more findings (--json lists all)")
    if rec.other_charges:
        out.print(f"Other charges (not model tokens): {money(rec.other_charges_usd, 2)}")
        for c in rec.other_charges[:20]:
            out.print(f"  {c.day} {c.line_item}: {money(c.billed_usd, 2)}", highlight=False)
    out.print(
        f"Billed to models vs priced usage: {rec.difference_pct:.2f}% apart; "
        f"billed in all {money(rec.billed_usd, 2)}."
    )

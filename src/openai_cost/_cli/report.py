"""``openai-cost report``: totals from the ledger, per model, day, endpoint, tier or tag."""

from __future__ import annotations

import csv
import sys
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import click

from ._common import date_type, db_option, echo_json, prices_option
from ._console import console, money
from ._layout import Column, fit, print_fit

if TYPE_CHECKING:
    from rich.table import Table

__all__ = ["bar", "report"]

_BLOCKS = " ▏▎▍▌▋▊▉█"
BAR_WIDTH = 24


def bar(value: Decimal, top: Decimal, width: int = BAR_WIDTH) -> str:
    """A bar of unicode blocks ``width`` characters long at `top`, in eighths of a character."""
    if top <= 0 or value <= 0:
        return ""
    eighths = int((value / top * width * 8).to_integral_value())
    eighths = max(1, min(eighths, width * 8))
    full, part = divmod(eighths, 8)
    return "█" * full + (_BLOCKS[part] if part else "")


def _check_by(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    if value in ("model", "day", "endpoint", "tier") or (
        value.startswith("tag:") and len(value) > 4
    ):
        return value
    raise click.BadParameter(f"{value!r}; valid: model, day, endpoint, tier, tag:NAME")


def _parse_tags(values: tuple[str, ...]) -> dict[str, str]:
    tags: dict[str, str] = {}
    for v in values:
        name, sep, val = v.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"{v!r}; use NAME=VALUE", param_hint="--tag")
        tags[name] = val
    return tags


@click.command()
@db_option
@click.option(
    "--by",
    default="model",
    show_default=True,
    callback=_check_by,
    metavar="model|day|endpoint|tier|tag:NAME",
    help="What to total per row.",
)
@click.option("--since", type=date_type, help="First day included (YYYY-MM-DD, UTC).")
@click.option("--until", type=date_type, help="Last day included (YYYY-MM-DD, UTC).")
@click.option(
    "--tag",
    "tag_filters",
    multiple=True,
    metavar="NAME=VALUE",
    help="Only calls carrying this tag (repeatable).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV.")
@click.option(
    "--html",
    "html_file",
    type=click.Path(dir_okay=False, writable=True),
    metavar="FILE",
    help="Write the dashboard's overview as one self-contained HTML file.",
)
@click.option(
    "--tag-name",
    metavar="NAME",
    help="With --html: the tag whose values the overview totals (default: the first).",
)
@prices_option
def report(
    db_url: str | None,
    by: str,
    since: date | None,
    until: date | None,
    tag_filters: tuple[str, ...],
    as_json: bool,
    as_csv: bool,
    html_file: str | None,
    tag_name: str | None,
) -> None:
    """Spending recorded in the ledger, totalled per model, day, endpoint, tier or tag.

    Costs are exact; calls the catalog could not price are counted in their own column, never
    as $0. Examples:

    \b
      openai-cost report
      openai-cost report --by day --since 2026-11-01 --until 2026-11-30
      openai-cost report --by tag:project --db postgresql://app@db/costs --json
      openai-cost report --html spend.html --since 2026-11-01
    """
    if sum((as_json, as_csv, html_file is not None)) > 1:
        raise click.UsageError("--json, --csv and --html exclude each other")
    if since and until and since > until:
        raise click.BadParameter(f"--since {since} is after --until {until}")
    tags = _parse_tags(tag_filters)
    if html_file is not None:
        _write_html(html_file, db_url, since, until, tags, tag_name)
        return

    from ..ledger import Ledger

    _must_exist(db_url)
    ledger = Ledger(db_url)
    try:
        rows = ledger.report(by=by, since=since, until=until, tags=tags or None)
    finally:
        ledger.close()

    priced = [r.cost_usd for r in rows if r.cost_usd is not None]
    total_cost = sum(priced, Decimal(0))
    totals = {
        "calls": sum(r.calls for r in rows),
        "cost_usd": str(total_cost),
        "priced_calls": sum(r.priced_calls for r in rows),
        "unpriced_calls": sum(r.unpriced_calls for r in rows),
        "error_calls": sum(r.error_calls for r in rows),
        "incomplete_calls": sum(r.incomplete_calls for r in rows),
        "input_tokens": sum(r.input_tokens for r in rows),
        "output_tokens": sum(r.output_tokens for r in rows),
    }
    if as_json:
        echo_json(
            {
                "db": ledger.url,
                "by": by,
                "since": since,
                "until": until,
                "tags": tags,
                "rows": [r.to_dict() for r in rows],
                "total": totals,
            }
        )
        return
    if as_csv:
        w = csv.writer(sys.stdout, lineterminator="\n")
        header = list(rows[0].to_dict()) if rows else ["group", "calls", "cost_usd"]
        w.writerow([by if h == "group" else h for h in header])
        for r in rows:
            w.writerow(["" if v is None else v for v in r.to_dict().values()])
        return
    _table(rows, by, ledger.url, totals, total_cost, since, until)


def _write_html(
    path: str,
    db_url: str | None,
    since: date | None,
    until: date | None,
    tags: dict[str, str],
    tag_name: str | None,
) -> None:
    from ..dashboard import INSTALL_HINT, missing_requirements

    if missing_requirements(("jinja2",)):
        click.echo(f"report --html needs jinja2: {INSTALL_HINT}", err=True)
        sys.exit(1)
    from datetime import datetime, timedelta, timezone
    from pathlib import Path

    from ..dashboard.data import overview
    from ..dashboard.render import ledger_label, render_overview_file
    from ..ledger import Ledger
    from ..ledger.views import CallFilter
    from ._common import get_catalog

    def bound(d: date | None, days: int = 0) -> datetime | None:
        if d is None:
            return None
        return datetime(d.year, d.month, d.day, tzinfo=timezone.utc) + timedelta(days=days)

    where = CallFilter(since=bound(since), until=bound(until, 1), tags=tags)
    _must_exist(db_url)
    ledger = Ledger(db_url)
    try:
        today = datetime.now(timezone.utc).date()
        ov = overview(ledger, where, today=today, catalog=get_catalog(), tag_name=tag_name)
        html = render_overview_file(ov, ledger=ledger_label(ledger))
    finally:
        ledger.close()
    Path(path).write_text(html, encoding="utf-8")
    click.echo(
        f"Wrote {path}: {ov.since} to {ov.until}, {ov.totals.calls:,} calls, "
        f"{money(ov.totals.cost_usd)}."
    )


def _must_exist(db_url: str | None) -> None:
    """A read-only command never creates a ledger: a SQLite file that is not there is an error."""
    from pathlib import Path

    from ..errors import LedgerError
    from ..ledger import resolve_url

    u = resolve_url(db_url)
    if u.get_backend_name() == "sqlite" and u.database:
        path = Path(u.database).expanduser()
        if not path.exists():
            raise LedgerError(
                f"no ledger at {path} (check --db or OPENAI_COST_DB_URL; tracked calls create it)"
            )


def report_table(
    rows: list[Any],
    by: str,
    url: str,
    totals: dict[str, Any],
    total_cost: Decimal,
    span: str,
    width: int,
) -> tuple[Table, int]:
    """The report table for a terminal ``width`` wide: group, calls and cost always; the bar,
    then token counts, give way when it does not fit."""
    top = max((r.cost_usd for r in rows if r.cost_usd is not None), default=Decimal(0))
    title = by[4:] if by.startswith("tag:") else by
    unpriced = totals["unpriced_calls"]
    errors = totals["error_calls"]
    columns = [
        Column(title, "text", footer="total", min_width=20),
        Column("calls", footer=str(totals["calls"])),
        Column("cost", footer=money(total_cost)),
        Column("", "text", no_wrap=True, drop=9),
        Column("unpriced", footer=str(unpriced) if unpriced else "", drop=3),
        Column("errors", footer=str(errors) if errors else "", drop=4),
        Column("input tok", footer=f"{totals['input_tokens']:,}", drop=5),
        Column("output tok", footer=f"{totals['output_tokens']:,}", drop=6),
    ]
    cells = [
        [
            r.group,
            str(r.calls),
            "unpriced" if r.cost_usd is None else money(r.cost_usd),
            "" if r.cost_usd is None else bar(r.cost_usd, top),
            str(r.unpriced_calls) if r.unpriced_calls else "",
            str(r.error_calls) if r.error_calls else "",
            f"{r.input_tokens:,}",
            f"{r.output_tokens:,}",
        ]
        for r in rows
    ]
    return fit(
        columns,
        cells,
        width=width,
        title=f"Spending by {title}{span}",
        caption=url,
        show_footer=True,
    )


def _table(
    rows: list[Any],
    by: str,
    url: str,
    totals: dict[str, Any],
    total_cost: Decimal,
    since: date | None,
    until: date | None,
) -> None:
    span = f" from {since}" if since else ""
    span += f" to {until}" if until else ""
    if not rows:
        console().print(f"No calls recorded in {url}{span}.")
        return
    out = console()
    table, width = report_table(rows, by, url, totals, total_cost, span, out.width)
    print_fit(out, table, width)
    unpriced = totals["unpriced_calls"]
    if unpriced:
        console().print(
            f"{unpriced} call(s) could not be priced (model or rate not in the catalog) and are "
            "not in the costs above; Ledger.records() gives each one's unpriced_reason."
        )

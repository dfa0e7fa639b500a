"""``openai-cost analyze``: price files of responses, streams, logs and Batch output."""

from __future__ import annotations

import csv
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import TYPE_CHECKING, Any

import click

from ..summary import GROUP_FIELDS, Problem, Summary, iter_records, summarize
from ..usage import Item, Records
from ._common import date_type, echo_json, get_catalog, prices_option
from ._console import console, err_console, money
from ._layout import Column, fit, print_fit

if TYPE_CHECKING:
    from rich.table import Table

__all__ = ["analyze"]

_PROGRESS_MIN_BYTES = 8 * 1024 * 1024
_LISTED = 50
_TOKEN_COLUMNS = (
    ("input_tokens", "Input"),
    ("cached_tokens", "Cached"),
    ("output_tokens", "Output"),
    ("reasoning_tokens", "Reasoning"),
)


def _records(files: tuple[str, ...], progress: bool) -> Iterator[Item]:
    """The files' items one by one (the bar, when shown, stays up while they are read)."""
    with _reading(files, progress) as records:
        yield from records


@contextmanager
def _reading(files: tuple[str, ...], progress: bool) -> Iterator[Records]:
    """The files' items (one `Records`, so summarize reads JSON Lines in its fused loop),
    with a progress bar on stderr while they are read when asked and the files are large."""
    sizes = [0 if f == "-" else os.path.getsize(f) for f in files]
    if not progress or sum(sizes) < _PROGRESS_MIN_BYTES:
        yield _chain(iter_records(f) for f in files)
        return
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        console=err_console(),
        transient=True,
    ) as bar:
        task = bar.add_task("reading", total=sum(sizes))
        bases = [sum(sizes[:i]) for i in range(len(files))]

        def reporter(name: str, base: int) -> Callable[[int], None]:
            def report(n: int) -> None:
                bar.update(task, description=os.path.basename(name), completed=base + n)

            return report

        yield _chain(
            iter_records(f, on_progress=reporter(f, base))
            for f, base in zip(files, bases, strict=True)
        )


def _chain(parts: Iterable[Records]) -> Records:
    out: Records | None = None
    for r in parts:
        out = r if out is None else out.then(r)
    assert out is not None  # click requires at least one file
    return out


@click.command()
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(allow_dash=True, dir_okay=False, exists=True)
)
@click.option(
    "--by",
    "by",
    multiple=True,
    type=click.Choice(GROUP_FIELDS),
    default=("model",),
    show_default=True,
    help="Group by this field (repeat to combine: --by model --by day).",
)
@click.option(
    "--since",
    type=date_type,
    default=None,
    help="Only calls created on or after this day (UTC, YYYY-MM-DD).",
)
@click.option(
    "--until",
    type=date_type,
    default=None,
    help="Only calls created on or before this day (UTC, YYYY-MM-DD).",
)
@click.option(
    "--batch",
    is_flag=True,
    help="Price every call at Batch rates (Batch output files are detected anyway).",
)
@click.option(
    "--engine",
    type=click.Choice(["default", "duckdb"]),
    default="default",
    show_default=True,
    help="duckdb: read JSON Lines (.gz too) and Parquet usage tables with DuckDB "
    "(openai-cost[duckdb]); same output.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option("--csv", "as_csv", is_flag=True, help="Print one CSV row per group, then the total.")
@click.option(
    "--strict",
    is_flag=True,
    help="Exit 1 if anything could not be priced (malformed, unknown model, no rate); a new "
    "dated snapshot of a known model counts as unknown instead of being priced as that model.",
)
@prices_option
def analyze(
    files: tuple[str, ...],
    by: tuple[str, ...],
    since: date | None,
    until: date | None,
    batch: bool,
    engine: str,
    as_json: bool,
    as_csv: bool,
    strict: bool,
) -> None:
    """Price files of API responses: JSONL logs, JSON arrays, SSE captures, Batch output.

    Each FILE may be plain or .gz; '-' reads stdin. Records are responses of any endpoint,
    stream chunks or events, Batch output lines, or log records {"request": ..., "response":
    ...}. Each call is priced at the prices of the day it was created. Files are streamed:
    memory stays flat whatever their size.

    Anything that cannot be priced is listed with file:line and the reason; failed requests
    (Batch error lines, non-200 lines) are counted as failed: they are not billed.

    \b
    Examples:
      openai-cost analyze examples/mixed_log.jsonl examples/batch_output.jsonl
      openai-cost analyze logs/*.jsonl.gz --by model --by day --since 2025-01-01
      openai-cost analyze batch_output.jsonl --json | jq .total
    """
    if as_json and as_csv:
        raise click.UsageError("--json and --csv exclude each other")
    if since and until and since > until:
        raise click.UsageError(f"--since {since} is after --until {until}")
    progress = not (as_json or as_csv) and sys.stderr.isatty()
    if engine == "duckdb":
        try:
            from ..duckdb import summarize_files
        except ModuleNotFoundError as e:
            raise click.ClickException(str(e)) from e
        try:
            summary = summarize_files(
                files,
                by=by,
                batch=batch,
                since=since,
                until=until,
                prices=get_catalog(strict=strict),
            )
        except ModuleNotFoundError as e:
            raise click.ClickException(str(e)) from e
    else:
        prices = get_catalog(strict=strict)
        with _reading(files, progress) as records:
            summary = summarize(
                records, by=by, batch=batch, since=since, until=until, prices=prices
            )
    if as_json:
        echo_json(summary.to_dict())
    elif as_csv:
        _print_csv(summary)
    else:
        _print_table(summary)
    if strict and summary.skipped:
        raise SystemExit(1)


def _print_csv(s: Summary) -> None:
    dims = sorted({k for g in s.groups for k in g.usage})
    w = csv.writer(sys.stdout, lineterminator="\n")
    w.writerow([*s.by, "calls", *dims, "input_usd", "output_usd", "fees_usd", "total_usd"])
    for g in s.groups:
        w.writerow(
            [
                *g.key.values(),
                g.calls,
                *(g.usage.get(d, 0) for d in dims),
                g.input_usd,
                g.output_usd,
                g.fees_usd,
                g.total_usd,
            ]
        )
    w.writerow(
        [
            *(["total"] + [""] * (len(s.by) - 1)),
            s.calls,
            *(s.usage.get(d, 0) for d in dims),
            s.input_usd,
            s.output_usd,
            s.fees_usd,
            s.total_usd,
        ]
    )


def _n(v: Any) -> str:
    return f"{v:,}" if v else ""


def cost_table(s: Summary, width: int) -> tuple[Table, int]:
    """The "Cost by ..." table of a summary, laid out for a terminal ``width`` wide."""
    columns = [Column(f.capitalize(), "text") for f in s.by]
    columns.append(Column("Calls", drop=2))
    # token columns give way first (reasoning, cached, output, input), never the money
    for rank, (_, label) in zip((3, 5, 4, 6), _TOKEN_COLUMNS, strict=True):
        columns.append(Column(label, drop=rank))
    columns += [Column("Fees"), Column("Cost")]
    rows = [
        [
            *g.key.values(),
            _n(g.calls),
            *(_n(g.usage.get(k, 0)) for k, _ in _TOKEN_COLUMNS),
            money(g.fees_usd) if g.fees_usd else "",
            money(g.total_usd),
        ]
        for g in s.groups
    ]
    rows.append(
        [
            "total",
            *[""] * (len(s.by) - 1),
            _n(s.calls),
            *(_n(s.usage.get(k, 0)) for k, _ in _TOKEN_COLUMNS),
            money(s.fees_usd) if s.fees_usd else "",
            money(s.total_usd),
        ]
    )
    if not s.fees_usd:
        columns[-2] = Column("Fees", drop=9)  # empty: it may go
    last = len(rows) - 1
    return fit(
        columns,
        rows,
        width=width,
        title="Cost by " + ", ".join(s.by),
        styles={last: "bold"},
        sections=[last],
    )


_NARROW = 110  # below this many columns, problems are a list: a table squeezes the reasons


def _print_problem_table(out: Any, listed: list[Problem]) -> None:
    nt, width = fit(
        [
            Column("Where", "text", min_width=40),
            Column("Kind", "text", drop=2),
            Column("Count"),
            Column("Reason", "text"),
        ],
        [[p.location or "", p.kind, str(p.count), p.reason] for p in listed],
        width=out.width,
        title="Not priced",
    )
    print_fit(out, nt, width)


def _print_problem_list(out: Any, listed: list[Problem]) -> None:
    """One problem per entry: where, kind and count on a line, the reason indented below it
    at the terminal's full width."""
    from rich.padding import Padding
    from rich.text import Text

    out.print(Text("Not priced", style="italic"), justify="center")
    for p in listed:
        head = Text(p.location or "(no location)", style="bold")
        head.append(f"  {p.kind}", style="yellow" if p.kind == "failed" else "red")
        if p.count > 1:
            head.append(f"  x{p.count:,}")
        out.print(head, overflow="fold")
        out.print(Padding(Text(p.reason), (0, 0, 0, 4)))


def _print_table(s: Summary) -> None:
    out = console()
    table, width = cost_table(s, out.width)
    print_fit(out, table, width)
    shown = [p for p in s.problems if p.kind != "failed"]
    failed = [p for p in s.problems if p.kind == "failed"]
    if shown or failed:
        listed = (shown + failed)[:_LISTED]
        if out.width < _NARROW:
            _print_problem_list(out, listed)
        else:
            _print_problem_table(out, listed)
        more = len(shown) + len(failed) - _LISTED + s.unlisted
        if more > 0:
            where = (
                f"--json lists {len(s.problems):,} of them; {s.unlisted:,} are only counted"
                if s.unlisted
                else "--json lists them all"
            )
            out.print(f"... and {more:,} more ({where})")
    parts = [f"{s.records:,} records read", f"{s.calls:,} calls priced: {money(s.total_usd)}"]
    if s.skipped:
        parts.append(
            f"{s.skipped:,} skipped ({s.malformed:,} malformed, {s.unpriced:,} not priceable)"
        )
    if s.failed:
        parts.append(f"{s.failed:,} failed requests (not billed)")
    if s.stream_parts:
        parts.append(f"{s.stream_parts:,} stream chunks/events without usage")
    if s.filtered:
        parts.append(f"{s.filtered:,} outside --since/--until")
    out.print("; ".join(parts) + ".")

"""Options and helpers shared by the commands."""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

import click

from ..catalog import Catalog, catalog, to_date

__all__ = [
    "date_type",
    "echo_json",
    "get_catalog",
    "json_option",
    "prices_option",
    "pricing_options",
    "strict_option",
]

F = TypeVar("F", bound=Callable[..., Any])

_PRICES_KEY = "openai_cost_prices"


def _remember_prices(ctx: click.Context, _param: click.Parameter, value: tuple[str, ...]) -> None:
    if value:
        root = ctx.find_root()
        root.meta.setdefault(_PRICES_KEY, [])
        root.meta[_PRICES_KEY].extend(value)


def db_option(f: F) -> F:
    """``--db URL``: the ledger database (default: ``OPENAI_COST_DB_URL``, else the user dir's)."""
    return click.option(
        "--db",
        "db_url",
        envvar="OPENAI_COST_DB_URL",
        metavar="URL",
        help="Ledger database: sqlite:///PATH or postgresql://USER@HOST/DB "
        "(default: OPENAI_COST_DB_URL, else ledger.db in the user dir).",
    )(f)


def prices_option(f: F) -> F:
    """``--prices FILE`` (repeatable): extra price files, on the group and on every command."""
    return click.option(
        "--prices",
        "prices",
        multiple=True,
        type=click.Path(dir_okay=False),
        expose_value=False,
        callback=_remember_prices,
        is_eager=True,
        help="A TOML price file to add or override models (repeatable; also OPENAI_COST_PRICES).",
    )(f)


def pricing_options(f: F) -> F:
    """``--batch``, ``--tier`` and ``--at``, shared by the commands that price something."""

    @functools.wraps(f)
    def checked(*args: Any, **kwargs: Any) -> Any:
        if kwargs.get("batch") and kwargs.get("tier") in ("flex", "priority", "fast", "ultrafast"):
            raise click.UsageError("--batch and --tier flex/priority/ultrafast exclude each other")
        return f(*args, **kwargs)

    cmd: Any = click.option(
        "--at",
        "at",
        type=date_type,
        default=None,
        help="Price at this date (YYYY-MM-DD); default today.",
    )(checked)
    cmd = click.option(
        "--tier",
        type=click.Choice(["default", "flex", "priority", "fast", "ultrafast", "scale"]),
        default=None,
        help="service_tier of the call.",
    )(cmd)
    cmd = click.option("--batch", is_flag=True, help="Price at Batch API rates.")(cmd)
    return cmd  # type: ignore[no-any-return]


def strict_option(f: F) -> F:
    """``--strict``: no assumption; a dated name the data does not list is an error."""
    return click.option(
        "--strict",
        is_flag=True,
        help="Price only names the data lists: a new dated snapshot of a known model is an "
        "error instead of being priced as that model.",
    )(f)


def json_option(f: F) -> F:
    """``--json``: machine-readable output."""
    return click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")(f)


def get_catalog(*, strict: bool = False) -> Catalog:
    """The catalog with every --prices file given on the command line loaded.

    ``strict`` turns the dated-snapshot fallback off: a name the data does not list is an
    error even when it is a known model with a new date.
    """
    ctx = click.get_current_context()
    files = ctx.find_root().meta.get(_PRICES_KEY, [])
    if not files and not strict:
        return catalog()
    cat = Catalog.installed()
    cat.snapshot_fallback = not strict
    env = os.environ.get("OPENAI_COST_PRICES")
    for f in [*(env.split(os.pathsep) if env else []), *files]:
        if f:
            cat.load(f)
    return cat


class _DateType(click.ParamType):  # type: ignore[type-arg]  # generic only in newer click
    name = "DATE"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> date:
        if isinstance(value, date):
            return value
        try:
            return to_date(str(value))
        except ValueError:
            self.fail(f"{value!r} is not a date; use YYYY-MM-DD", param, ctx)


date_type = _DateType()


def _default(o: Any) -> Any:
    if isinstance(o, Decimal):
        return str(o)
    if isinstance(o, date):
        return o.isoformat()
    raise TypeError(f"cannot serialise {type(o).__name__}")


def echo_json(data: Any) -> None:
    """Print ``data`` as indented JSON; Decimals become strings, dates ISO strings."""
    click.echo(json.dumps(data, indent=2, default=_default))

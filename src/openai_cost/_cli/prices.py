"""``openai-cost prices update | status | diff``: keep the price data current between releases."""

from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import click

from ._common import echo_json, get_catalog, json_option, prices_option

__all__ = ["prices"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def prices() -> None:
    """Download newer prices, see which price files are in use, compare two files.

    Pricing never downloads anything by itself: the catalog reads the prices bundled with the
    package, then a file installed by `prices update`, then your own files (--prices,
    OPENAI_COST_PRICES); a later file wins. Every subcommand takes --json.

    \b
    Examples:
      openai-cost prices update
      openai-cost prices status
      openai-cost prices diff
    """


def _age(updated: date | None) -> str:
    if updated is None:
        return "no date"
    days = (datetime.now(timezone.utc).date() - updated).days
    if days < 0:
        return f"updated {updated}"
    return f"updated {updated} ({days} day{'s' if days != 1 else ''} ago)"


@prices.command()
@click.option(
    "--url",
    default=None,
    metavar="URL",
    help="Download from this URL (default: OPENAI_COST_PRICES_URL, else the price file on "
    "the project's main branch).",
)
@json_option
def update(url: str | None, as_json: bool) -> None:
    """Download the newest price file and install it for every later run.

    The file is checked with the same parser as the bundled data and refused, with nothing
    installed, when it is invalid, truncated, of an unknown schema or older than the prices in
    use. It is installed atomically under OPENAI_COST_HOME/prices/, keeping the previous one.

    \b
    Examples:
      openai-cost prices update
      openai-cost prices update --url https://example.com/openai.toml
    """
    from ..updates import update_prices

    r = update_prices(url)
    if as_json:
        echo_json(
            {
                "installed": r.installed,
                "path": str(r.path),
                "url": r.url,
                "updated": r.updated,
                "previous_updated": r.previous_updated,
                "models": r.models,
            }
        )
        return
    if not r.installed:
        click.echo(f"Prices are up to date ({_age(r.updated)}); nothing installed.")
        return
    click.echo(f"Installed prices {_age(r.updated)}, {r.models} models,")
    click.echo(f"  from {r.url}")
    click.echo(f"  to   {r.path}")
    if r.previous_updated is not None:
        click.echo(f"  (the prices in use before were updated {r.previous_updated})")
    click.echo("See what changed: openai-cost prices diff")


@prices.command()
@json_option
@prices_option
def status(as_json: bool) -> None:
    """Show which price files are in use, how old they are and where they came from.

    \b
    Examples:
      openai-cost prices status
      openai-cost prices status --json
    """
    from ..catalog import catalog
    from ..updates import FILE_NAME, _bundled, downloaded_origin, prices_dir

    catalog(reload=True)  # the files on disk now, not when this process first priced
    cat = get_catalog()
    rows: list[dict[str, Any]] = []
    in_use = {f.kind for f in cat.files()}
    if "downloaded" in in_use:
        b = _bundled()
        rows.append(
            {
                "kind": "bundled",
                "in_use": False,
                "file": f"openai_cost/data/prices/{FILE_NAME}",
                "updated": b.updated,
                "schema": b.schema,
                "models": len(b.entries),
                "note": "replaced by the downloaded file",
            }
        )
    origin = downloaded_origin()
    for f in cat.files():
        row: dict[str, Any] = {
            "kind": f.kind,
            "in_use": True,
            "file": f.origin,
            "updated": f.updated,
            "schema": f.schema,
            "models": f.models,
        }
        if f.kind == "downloaded" and origin:
            row["url"] = origin.get("url")
            row["downloaded_at"] = origin.get("downloaded_at")
        rows.append(row)
    down = prices_dir() / FILE_NAME
    if down.is_file() and "downloaded" not in in_use:
        rows.append(
            {
                "kind": "downloaded",
                "in_use": False,
                "file": str(down),
                "note": "ignored: older than the bundled prices or unreadable",
            }
        )
    if as_json:
        today = datetime.now(timezone.utc).date()
        for r in rows:
            if r.get("updated") is not None:
                r["age_days"] = (today - r["updated"]).days
        echo_json(rows)
        return
    click.echo("Price files, in the order they are read (a later file wins):")
    for r in rows:
        mark = "" if r["in_use"] else "  (not in use)"
        click.echo(f"  {r['kind']}{mark}")
        click.echo(f"    {r['file']}")
        if "models" in r:
            schema = f", schema {r['schema']}" if r.get("schema") is not None else ""
            click.echo(f"    {_age(r.get('updated'))}{schema}, {r['models']} models")
        if r.get("url"):
            click.echo(f"    from {r['url']}")
            click.echo(f"    downloaded {r.get('downloaded_at')}")
        if r.get("note"):
            click.echo(f"    {r['note']}")


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as e:
        raise click.ClickException(f"{path}: cannot read price file: {e.strerror or e}") from e


@prices.command()
@click.argument("old", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.argument("new", required=False, type=click.Path(dir_okay=False, path_type=Path))
@json_option
def diff(old: Path | None, new: Path | None, as_json: bool) -> None:
    """List every rate that differs between two price files.

    With no file: the bundled prices against the downloaded ones. With OLD only: OLD against
    the prices in use (downloaded, else bundled).

    \b
    Examples:
      openai-cost prices diff
      openai-cost prices diff old-openai.toml new-openai.toml --json
    """
    from importlib import resources

    from ..updates import FILE_NAME, diff_parsed, parse_for_diff, prices_dir

    bundled = (resources.files("openai_cost") / "data" / "prices" / FILE_NAME).read_text("utf-8")
    bundled_name = f"openai_cost/data/prices/{FILE_NAME} (bundled)"
    down = prices_dir() / FILE_NAME
    if old is None:
        if not down.is_file():
            raise click.ClickException(
                f"no downloaded price file in {down.parent}: run `openai-cost prices update`, "
                "or name the files to compare"
            )
        texts = [(bundled, bundled_name), (_read(down), str(down))]
    elif new is None:
        texts = [(_read(old), str(old))]
        texts.append((_read(down), str(down)) if down.is_file() else (bundled, bundled_name))
    else:
        texts = [(_read(old), str(old)), (_read(new), str(new))]
    (a, fa), (b, fb) = (parse_for_diff(t, o) for t, o in texts)
    changes = diff_parsed(a, b)
    if as_json:
        echo_json(
            {
                "old": {"file": fa.origin, "updated": fa.updated},
                "new": {"file": fb.origin, "updated": fb.updated},
                "changes": [c.to_dict() for c in changes],
            }
        )
        return
    click.echo(f"old: {fa.origin}")
    click.echo(f"     {_age(fa.updated)}")
    click.echo(f"new: {fb.origin}")
    click.echo(f"     {_age(fb.updated)}")
    if not changes:
        click.echo("No rate differs.")
        return
    model = None
    for c in changes:
        if c.model != model:
            model = c.model
            click.echo(model)
        old_v = "-" if c.old is None else c.old
        new_v = "-" if c.new is None else c.new
        click.echo(f"  {c.since}  {c.rate:<34} {old_v} -> {new_v}")
    n_models = len({c.model for c in changes})
    click.echo(f"{len(changes)} rate(s) differ in {n_models} model(s) or name(s).")

"""``openai-cost dashboard``: serve the read-only web dashboard over a ledger."""

from __future__ import annotations

import ipaddress
import os
import sys

import click

from ._common import db_option, get_catalog, prices_option

__all__ = ["dashboard", "is_loopback"]

TOKEN_ENV = "OPENAI_COST_DASHBOARD_TOKEN"


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (127.0.0.0/8, ::1)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@click.command()
@db_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", default=8765, show_default=True, type=int, help="Port to listen on.")
@click.option("--open", "open_browser", is_flag=True, help="Open the dashboard in a browser.")
@click.option(
    "--budgets",
    "budgets_file",
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="TOML file of [[budget]] entries to show besides the ledger's own.",
)
@prices_option
def dashboard(
    db_url: str | None, host: str, port: int, open_browser: bool, budgets_file: str | None
) -> None:
    """Serve a read-only web dashboard over the ledger.

    Overview, budgets, calls and organisation pages with a JSON API under /api/. Binds
    127.0.0.1 by default; any other address requires OPENAI_COST_DASHBOARD_TOKEN (sent as
    "Authorization: Bearer TOKEN" or entered once in the page). Examples:

    \b
      openai-cost dashboard --open
      openai-cost dashboard --db postgresql://app@db/costs --budgets budgets.toml
      OPENAI_COST_DASHBOARD_TOKEN=... openai-cost dashboard --host 0.0.0.0
    """
    from ..dashboard import INSTALL_HINT, missing_requirements

    missing = missing_requirements()
    if missing:
        click.echo(f"The dashboard needs {', '.join(missing)}: {INSTALL_HINT}", err=True)
        sys.exit(1)
    token = os.environ.get(TOKEN_ENV) or None
    if not is_loopback(host) and token is None:
        raise click.UsageError(
            f"binding {host} exposes spend per user and key: set {TOKEN_ENV} to a secret "
            "token first (or bind 127.0.0.1)"
        )
    import uvicorn

    from ..dashboard.app import create_app
    from ..dashboard.budgets import load_budgets
    from ..ledger import Ledger

    budgets = load_budgets(budgets_file) if budgets_file else []
    ledger = Ledger(db_url, read_only=True)
    app = create_app(ledger, token=token, budgets=budgets, prices=get_catalog())
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{port}/"
    click.echo(f"openai-cost dashboard on {url} (read-only; {ledger.url})")
    if token:
        click.echo(f"token required ({TOKEN_ENV})")
    click.echo("Ctrl+C to stop.")
    if open_browser:
        import threading
        import webbrowser

        threading.Timer(0.8, webbrowser.open, args=(url,)).start()
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning", server_header=False)
    finally:
        ledger.close()

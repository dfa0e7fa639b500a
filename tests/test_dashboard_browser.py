"""The dashboard in a real browser: Debian's chromium, headless, driven by Playwright's Python
API, against the real uvicorn server on 127.0.0.1.

Outside CI the suite is skipped when chromium or Playwright is missing; in CI (``CI`` set,
where ``.ci/run`` installs chromium) it fails instead. Screenshots go to the test's temporary
directory (and to ``OPENAI_COST_SCREENSHOTS`` when set, to look at them).
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from _dashboard_helpers import GPT4O, MINI, NOV_TOTAL, NOW, OCT_TOTAL, seed
from _ledger_helpers import IN_CI, prices
from openai_cost.dashboard.app import create_app
from openai_cost.dashboard.budgets import load_budgets
from openai_cost.ledger import Ledger

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TOKEN = "browser-test-token"


def _need_browser() -> Any:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if IN_CI:
            pytest.fail("CI is set but playwright is not installed (make install)")
        pytest.skip("playwright is not installed")
    if not os.access(CHROMIUM, os.X_OK):
        if IN_CI:
            pytest.fail(f"CI is set but {CHROMIUM} is missing (.ci/run installs chromium)")
        pytest.skip(f"{CHROMIUM} is missing")
    return sync_playwright


def test_browser_suite_runs_in_ci() -> None:
    # CI must run the browser tests, not skip them
    if IN_CI:
        _need_browser()


class Server:
    """uvicorn serving a dashboard app in a thread, on a free port of 127.0.0.1."""

    def __init__(self, app: Any) -> None:
        import uvicorn

        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        self.port = s.getsockname()[1]
        s.close()
        self.server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> Server:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_playwright = _need_browser()
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def ledger_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    seed(url)
    return url


BUDGETS = """
[[budget]]
name = "search, monthly"
limit_usd = "0.01"
period = "month"
tags = { project = "search" }

[[budget]]
name = "everything, all time"
limit_usd = "0.01"
period = "total"
"""


@pytest.fixture
def server(ledger_url: str, tmp_path: Path) -> Iterator[Server]:
    f = tmp_path / "budgets.toml"
    f.write_text(BUDGETS)
    ledger = Ledger(ledger_url, read_only=True)
    app = create_app(ledger, clock=lambda: NOW, prices=prices(), budgets=load_budgets(f))
    with Server(app) as s:
        yield s
    ledger.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    ctx = browser.new_context(viewport={"width": 1366, "height": 900})
    pg = ctx.new_page()
    pg.set_default_timeout(15000)
    requests: list[str] = []
    dialogs: list[str] = []
    pg.on("request", lambda r: requests.append(r.url))
    pg.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    pg.requests = requests  # type: ignore[attr-defined]
    yield pg
    # nothing ever left 127.0.0.1, and no hostile value ran as script
    assert all(u.startswith("http://127.0.0.1:") for u in requests), requests
    assert dialogs == []
    ctx.close()


def shot(pg: Any, tmp_path: Path, name: str) -> Path:
    path = tmp_path / f"{name}.png"
    pg.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000
    extra = os.environ.get("OPENAI_COST_SCREENSHOTS")
    if extra:
        Path(extra).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(extra) / path.name)
    return path


def usd_attr(pg: Any, selector: str) -> Decimal:
    return Decimal(pg.locator(selector).first.get_attribute("data-usd"))


def test_overview_totals_in_the_dom(page: Any, server: Server, tmp_path: Path) -> None:
    page.goto(server.url("/"))
    assert usd_attr(page, "#card-window .big") == NOV_TOTAL
    assert page.locator("#card-mtd .big").inner_text() == "$0.0121"
    assert usd_attr(page, "#card-prev .big") == OCT_TOTAL
    # 0.0121 / 20 days x 30 days = 0.01815
    assert usd_attr(page, "#card-projection .big") == Decimal("0.01815")
    assert page.locator("#cache-share").inner_text() == "16.7%"
    assert page.locator("#unpriced-total").inner_text() == "1"
    assert page.locator("#error-total").inner_text() == "1"
    # the hostile tag value is shown as text, in full
    assert page.get_by_text("<script>alert(1)</script>").count() >= 1
    assert page.locator("svg.chart rect[data-tip]").count() >= 3
    shot(page, tmp_path, "overview")


def test_clicking_a_model_filters_the_calls(page: Any, server: Server, tmp_path: Path) -> None:
    page.goto(server.url("/"))
    page.locator("#top-models a", has_text="gpt-4o-mini").click()
    page.wait_for_url("**/calls?model=gpt-4o-mini")
    assert page.locator("#calls-total").inner_text() == "2 matching"
    costs = [
        Decimal(x)
        for x in page.locator("td.money[data-usd]").evaluate_all(
            "els => els.map(e => e.dataset.usd)"
        )
    ]
    assert sum(costs) == MINI
    # each call's cost lines open in place (no script needed: <details>)
    first = page.locator("tbody.call").first
    first.locator("summary").click()
    assert first.locator("table.costlines").is_visible()
    shot(page, tmp_path, "calls-filtered")


def test_filter_form_and_tag_chooser(page: Any, server: Server, tmp_path: Path) -> None:
    page.goto(server.url("/"))
    page.fill("input[name=model]", "gpt-4o")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**/?*model=gpt-4o*")
    assert usd_attr(page, "#card-window .big") == GPT4O
    page.select_option("#top-tags select[name=tag_name]", "user")
    page.click("#top-tags button")
    page.wait_for_url("**tag_name=user*")
    assert "model=gpt-4o" in page.url  # the filter is kept
    rows = page.locator("#top-tags tbody tr")
    assert rows.filter(has_text="alice").count() == 1
    shot(page, tmp_path, "overview-filtered")


def test_budgets_and_pages_without_javascript(browser: Any, server: Server, tmp_path: Path) -> None:
    ctx = browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 900})
    pg = ctx.new_page()
    pg.goto(server.url("/budgets"))
    assert usd_attr(pg, "#budget-1 .big") == GPT4O
    assert pg.locator("#budget-1 .runout").inner_text() == "Nov 22, 01:56"
    assert pg.locator("#budget-2 .runout").inner_text() == "exhausted"
    shot(pg, tmp_path, "budgets")
    pg.goto(server.url("/"))
    assert usd_attr(pg, "#card-window .big") == NOV_TOTAL
    pg.goto(server.url("/calls?status=error"))
    assert pg.locator("#calls-total").inner_text() == "1 matching"
    pg.goto(server.url("/org"))
    assert "openai-cost org pull" in pg.content()
    ctx.close()


def test_token_entered_once_in_the_page(browser: Any, ledger_url: str, tmp_path: Path) -> None:
    ledger = Ledger(ledger_url, read_only=True)
    app = create_app(ledger, clock=lambda: NOW, prices=prices(), token=TOKEN)
    with Server(app) as s:
        ctx = browser.new_context()
        pg = ctx.new_page()
        pg.goto(s.url("/"))
        assert pg.url.endswith("/login")
        pg.fill("input[name=token]", "wrong")
        pg.click("button[type=submit]")
        assert "not the right one" in pg.content()
        pg.fill("input[name=token]", TOKEN)
        pg.click("button[type=submit]")
        pg.wait_for_url(s.url("/"))
        assert usd_attr(pg, "#card-window .big") == NOV_TOTAL
        pg.goto(s.url("/calls"))  # the cookie keeps it
        assert pg.locator("#calls-total").inner_text() == "7 matching"
        ctx.close()
    ledger.close()

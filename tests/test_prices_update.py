"""`openai-cost prices update / status / diff` and `models --history`, against a real HTTP server.

The server is a `http.server` on 127.0.0.1 in this process (or serving two child processes for
the concurrency test). Price files served are the bundled ``openai.toml`` with edits made here,
so every expected rate is the bundled one or the edit, named in each comment.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path

import pytest
from click.testing import CliRunner

from openai_cost import Usage, cost_of
from openai_cost._cli import main
from openai_cost.catalog import Catalog, catalog
from openai_cost.errors import PriceDataError, PriceUpdateError, PricingWarning
from openai_cost.updates import DEFAULT_PRICES_URL, prices_url, update_prices

D = Decimal
BUNDLED = (resources.files("openai_cost") / "data" / "prices" / "openai.toml").read_text("utf-8")


def edited(updated: str = "2026-12-15", *, schema: str = "1", extra: str = "") -> str:
    """The bundled file with another `updated` date and schema, and gpt-6.2-sol's input rate
    cut from 2.00 to 1.50 in its first period (a change a diff must show)."""
    text = BUNDLED.replace('updated = "2026-11-29"', f'updated = "{updated}"', 1)
    text = text.replace("schema = 1 ", f"schema = {schema} ", 1)
    head, sep, tail = text.partition('id = "gpt-6.2-sol"')
    assert sep
    tail = tail.replace('input = "2.00"', 'input = "1.50"', 1)
    return head + sep + tail + extra


@dataclass
class Route:
    status: int = 200
    body: bytes = b""
    declared_length: int | None = None  # a Content-Length larger than the body: truncation
    delay: float = 0.0


@dataclass
class Server:
    url: str
    routes: dict[str, Route] = field(default_factory=dict)
    hits: list[str] = field(default_factory=list)

    def serve(self, path: str, text: str | bytes, **kw: object) -> str:
        body = text.encode("utf-8") if isinstance(text, str) else text
        self.routes[path] = Route(body=body, **kw)  # type: ignore[arg-type]
        return self.url + path


@pytest.fixture
def server() -> Iterator[Server]:
    state = Server(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.hits.append(self.path)
            route = state.routes.get(self.path)
            if route is None:
                self.send_error(404, "Not Found")
                return
            time.sleep(route.delay)
            if route.status != 200:
                self.send_error(route.status)
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/toml")
            self.send_header("Content-Length", str(route.declared_length or len(route.body)))
            self.end_headers()
            self.wfile.write(route.body)
            self.wfile.flush()
            if route.declared_length:
                self.close_connection = True

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    t = threading.Thread(target=httpd.serve_forever, daemon=True)
    t.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
        t.join()


@pytest.fixture
def home(_isolated_home: Path) -> Path:
    return _isolated_home


def installed(home: Path) -> list[str]:
    """Files in the download folder, but the lock file."""
    folder = home / "prices"
    return sorted(p.name for p in folder.iterdir() if p.name != ".lock") if folder.is_dir() else []


# below the 272K long-context threshold
CALL = Usage(input_tokens=100_000, output_tokens=0)


def test_default_url_is_defined_once_and_overridable(monkeypatch: pytest.MonkeyPatch) -> None:
    assert DEFAULT_PRICES_URL.endswith("/main/src/openai_cost/data/prices/openai.toml")
    assert prices_url() == DEFAULT_PRICES_URL
    monkeypatch.setenv("OPENAI_COST_PRICES_URL", "http://127.0.0.1:9/x.toml")
    assert prices_url() == "http://127.0.0.1:9/x.toml"
    assert prices_url("http://127.0.0.1:9/y.toml") == "http://127.0.0.1:9/y.toml"
    src = Path(__file__).resolve().parents[1] / "src" / "openai_cost"
    if src.is_dir():  # the URL is written in one place only
        hits = [p for p in src.rglob("*.py") if "raw.githubusercontent.com" in p.read_text("utf-8")]
        assert [p.name for p in hits] == ["updates.py"]


def test_good_update_is_installed_and_used(server: Server, home: Path) -> None:
    # bundled gpt-6.2-sol input 2.00 (openai-billing.md 6.1): 100,000 x 2.00 / 1M = $0.20
    assert cost_of(CALL, model="gpt-6.2-sol", at="2026-11-20").total == D("0.2")
    url = server.serve("/openai.toml", edited())
    r = update_prices(url)
    assert r.installed and r.updated.isoformat() == "2026-12-15"
    assert r.previous_updated is not None and r.previous_updated.isoformat() == "2026-11-29"
    assert installed(home) == ["openai.toml", "openai.toml.origin.json"]
    origin = json.loads((home / "prices" / "openai.toml.origin.json").read_text())
    assert origin["url"] == url and origin["updated"] == "2026-12-15"
    # the next catalog reads it: the edited rate, 1.50: 100,000 x 1.50 / 1M
    cat = catalog(reload=True)
    assert cost_of(CALL, model="gpt-6.2-sol", at="2026-11-20", prices=cat).total == D("0.15")
    kinds = [(f.kind, f.updated.isoformat() if f.updated else None) for f in cat.files()]
    assert kinds == [("downloaded", "2026-12-15")]
    # the same file again: nothing to do
    again = update_prices(url)
    assert not again.installed
    # a newer one: installed, and the one it replaces is kept
    url2 = server.serve("/newer.toml", edited("2026-12-20"))
    assert update_prices(url2).installed
    previous = (home / "prices" / "openai.toml.previous").read_text("utf-8")
    assert 'updated = "2026-12-15"' in previous
    # the env var names the default source
    assert server.hits.count("/openai.toml") == 2


def test_env_var_sets_the_url(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    url = server.serve("/from-env.toml", edited())
    monkeypatch.setenv("OPENAI_COST_PRICES_URL", url)
    assert update_prices().url == url
    assert server.hits == ["/from-env.toml"]


def test_bad_file_names_file_entry_and_field_and_installs_nothing(
    server: Server, home: Path
) -> None:
    # gpt-6.2-sol's output as a TOML float instead of a decimal string
    head, sep, tail = edited().partition('id = "gpt-6.2-sol"')
    bad = head + sep + tail.replace('output = "10.00"', "output = 10.0", 1)
    url = server.serve("/bad.toml", bad)
    with pytest.raises(PriceDataError) as e:
        update_prices(url)
    msg = str(e.value)
    assert url in msg and "(gpt-6.2-sol)" in msg and "output must be a decimal string" in msg
    assert "prices[0]" in msg
    assert installed(home) == []


def test_not_toml_is_refused(server: Server, home: Path) -> None:
    url = server.serve("/page.html", "<html>Not a price file</html>")
    with pytest.raises(PriceDataError, match="not valid TOML"):
        update_prices(url)
    assert installed(home) == []


def test_truncated_download(server: Server, home: Path) -> None:
    body = edited().encode()
    url = server.serve("/cut.toml", body[: len(body) // 2], declared_length=len(body))
    with pytest.raises(PriceUpdateError, match="truncated"):
        update_prices(url)
    assert installed(home) == []


@pytest.mark.parametrize("status", [404, 500])
def test_http_error(server: Server, home: Path, status: int) -> None:
    url = server.serve("/err.toml", "", status=status)
    with pytest.raises(PriceUpdateError, match=f"HTTP {status}"):
        update_prices(url)
    assert installed(home) == []


def test_unreachable_server(home: Path) -> None:
    with pytest.raises(PriceUpdateError, match="download failed"):
        update_prices("http://127.0.0.1:9/openai.toml", timeout=5)
    assert installed(home) == []


def test_older_file_is_refused(server: Server, home: Path) -> None:
    # older than the bundled data (updated 2026-11-29)
    url = server.serve("/old.toml", edited("2026-10-01"))
    with pytest.raises(PriceUpdateError, match=r"older \(updated 2026-10-01\)"):
        update_prices(url)
    assert installed(home) == []
    # and older than a downloaded file in use
    assert update_prices(server.serve("/new.toml", edited("2026-12-20"))).installed
    with pytest.raises(PriceUpdateError, match="updated 2026-12-20"):
        update_prices(server.serve("/mid.toml", edited("2026-12-15")))
    assert 'updated = "2026-12-20"' in (home / "prices" / "openai.toml").read_text()


def test_unknown_schema_is_refused(server: Server, home: Path) -> None:
    url = server.serve("/v2.toml", edited(schema="2"))
    with pytest.raises(PriceDataError, match="unknown schema 2; this version of openai-cost"):
        update_prices(url)
    assert installed(home) == []


def test_a_file_without_version_is_refused(server: Server, home: Path) -> None:
    text = edited().replace('updated = "2026-12-15"', "", 1)
    with pytest.raises(PriceDataError, match=r"missing field.*updated"):
        update_prices(server.serve("/nodate.toml", text))
    assert installed(home) == []


def test_a_downloaded_file_older_than_the_bundle_is_ignored(home: Path) -> None:
    # e.g. after upgrading the package: the bundled data is newer than the old download
    (home / "prices").mkdir()
    (home / "prices" / "openai.toml").write_text(edited("2026-01-01"), encoding="utf-8")
    with pytest.warns(PricingWarning, match="older than the bundled data"):
        cat = Catalog.installed()
    assert [f.kind for f in cat.files()] == ["bundled"]
    assert cost_of(CALL, model="gpt-6.2-sol", at="2026-11-20", prices=cat).total == D("0.2")


CONCURRENT = """
import sys
from openai_cost.updates import update_prices
from openai_cost.errors import PriceUpdateError
try:
    r = update_prices(sys.argv[1])
    print("installed" if r.installed else "same", r.updated)
except PriceUpdateError as e:
    print("refused", e)
"""


def test_concurrent_updates_from_two_processes(server: Server, home: Path) -> None:
    # two processes download at once (the server holds each answer 0.5 s), one file newer
    # than the other; whatever the order, the newest file ends up installed, intact, and no
    # temporary file is left behind
    a = server.serve("/a.toml", edited("2026-12-10"), delay=0.5)
    b = server.serve("/b.toml", edited("2026-12-20"), delay=0.5)
    procs = [
        subprocess.Popen([sys.executable, "-c", CONCURRENT, url], stdout=subprocess.PIPE, text=True)
        for url in (a, b)
    ]
    outs = [p.communicate(timeout=60)[0] for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    assert outs[1].startswith("installed 2026-12-20"), outs
    assert outs[0].startswith(("installed 2026-12-10", "refused")), outs
    final = (home / "prices" / "openai.toml").read_text("utf-8")
    assert final == edited("2026-12-20")
    assert not [n for n in installed(home) if n.endswith(".tmp")]
    cat = Catalog.installed()
    assert [f.updated.isoformat() for f in cat.files() if f.updated] == ["2026-12-20"]


# --------------------------------------------------------------------------- CLI


@pytest.fixture
def run() -> object:
    runner = CliRunner()

    def invoke(*args: str) -> tuple[int, str, str]:
        result = runner.invoke(main, list(args), env={"COLUMNS": "80"})
        return result.exit_code, result.stdout, result.stderr

    return invoke


def narrow(text: str, home: Path | None = None) -> None:
    """Every line fits 80 columns (the test's own long temporary path shortened to ~)."""
    if home is not None:
        text = text.replace(str(home), "~")
    for line in text.splitlines():
        assert len(line) <= 80, line


def test_cli_update_status_diff(run, server: Server, home: Path) -> None:  # type: ignore[no-untyped-def]
    code, out, err = run("prices", "status")
    assert code == 0, err
    assert "bundled" in out and "updated 2026-11-29" in out and "downloaded" not in out
    narrow(out, home)
    code, out, err = run("prices", "diff")
    assert code == 1 and "no downloaded price file" in err

    url = server.serve("/openai.toml", edited())
    code, out, err = run("prices", "update", "--url", url)
    assert code == 0, err
    assert "Installed prices updated 2026-12-15" in out and url in out
    narrow(out, home)

    code, out, err = run("prices", "status")
    assert code == 0, err
    assert "replaced by the downloaded file" in out and url in out
    narrow(out, home)
    code, out, _ = run("prices", "status", "--json")
    rows = json.loads(out)
    assert [(r["kind"], r["in_use"]) for r in rows] == [("bundled", False), ("downloaded", True)]
    assert rows[1]["updated"] == "2026-12-15" and isinstance(rows[1]["age_days"], int)
    assert rows[1]["url"] == url

    # bundled vs downloaded: exactly the edited rate (6.1 gpt-6.2-sol input 2.00 -> 1.50)
    code, out, err = run("prices", "diff")
    assert code == 0, err
    assert re.search(r"gpt-6\.2-sol\n  2026-11-17  standard\.input\s+2\.00 -> 1\.50", out), out
    assert "1 rate(s) differ in 1 model(s)" in out
    narrow(out, home)
    code, out, _ = run("prices", "diff", "--json")
    data = json.loads(out)
    assert data["changes"] == [
        {
            "model": "gpt-6.2-sol",
            "since": "2026-11-17",
            "rate": "standard.input",
            "old": "2.00",
            "new": "1.50",
        }
    ]
    assert data["old"]["updated"] == "2026-11-29" and data["new"]["updated"] == "2026-12-15"

    # a refused update: one line on stderr, exit 1, nothing changed
    code, out, err = run("prices", "update", "--url", server.serve("/o.toml", edited("2026-01-01")))
    assert code == 1 and "older" in err and "Traceback" not in err


def test_cli_diff_of_two_files(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    old = tmp_path / "old.toml"
    new = tmp_path / "new.toml"
    old.write_text(BUNDLED, encoding="utf-8")
    # the new file renames one model
    text = BUNDLED.replace('id = "gpt-live-1"', 'id = "gpt-live-2"', 1)
    new.write_text(text, encoding="utf-8")
    code, out, err = run("prices", "diff", str(old), str(new), "--json")
    assert code == 0, err
    changes = json.loads(out)["changes"]
    # gpt-live-1 ($3.00 / hour = 0.05 / minute, 6.1) renamed: one rate gone, one new
    assert changes == [
        {
            "model": "gpt-live-1",
            "since": "2026-11-29",
            "rate": "standard.audio_minute",
            "old": "0.05",
            "new": None,
        },
        {
            "model": "gpt-live-2",
            "since": "2026-11-29",
            "rate": "standard.audio_minute",
            "old": None,
            "new": "0.05",
        },
    ]
    code, out, _ = run("prices", "diff", str(old), str(old))
    assert code == 0 and "No rate differs." in out


def test_cli_models_history(run) -> None:  # type: ignore[no-untyped-def]
    code, out, err = run("models", "gpt-5.6-sol", "--history")
    assert code == 0, err
    narrow(out)
    # 3.4 and 6.1: two periods, the promo from 2026-08-21 with Fast 8 / 0.80 / 10 / 40
    assert "2026-07-09 to 2026-08-20, confidence M" in out
    assert "2026-08-21 onwards, confidence M" in out
    # (and the 12-hour write, 2x the 30-minute one, added after the price audit)
    assert "fast           in 8.00 · cached 0.80 · write 10.00 · write 12h 20.00 ·" in out
    assert "source: openai-billing.md 3.4" in out
    # a floating alias shows what it pointed at, with the days it did
    code, out, _ = run("models", "gpt-4o", "--history")
    narrow(out)
    assert "gpt-4o -> gpt-4o-2024-05-13 from 2024-05-13 to 2024-10-01" in out
    assert "  2024-05-13 to 2024-10-01, confidence H" in out
    assert "gpt-4o -> gpt-4o-2024-08-06 from 2024-10-02 onwards" in out
    # a dated name from 6.2 and the JSON form, with notes
    code, out, _ = run("models", "gpt-6.2-sol", "--history", "--json")
    data = json.loads(out)
    periods = data["history"][0]["periods"]
    assert [p["since"] for p in periods] == ["2026-11-17", "2027-03-01"]
    assert periods[1]["rates"]["ultrafast"]["input"] == "12.00"  # 6x 2.00 (6.1)
    assert periods[1]["note"].startswith("SCHEDULED")
    code, out, err = run("models", "--history")
    assert code == 2 and "needs a MODEL" in err


def test_cli_price_ultrafast_and_strict(run) -> None:  # type: ignore[no-untyped-def]
    # 6.1 gpt-6-astra Ultrafast 60 / 6 / 75 / 300: 1,000 in x 60 + 1,000 out x 300
    code, out, err = run(
        "price", "gpt-6-astra", "-i", "1000", "-o", "1000", "--tier", "ultrafast",
        "--at", "2026-10-01", "--json",
    )  # fmt: skip
    assert code == 0, err
    assert json.loads(out)["total_usd"] == "0.36"
    # a new dated snapshot: priced as its model, said once under the table; --strict refuses it
    code, out, err = run("price", "gpt-6-astra-2026-12-01", "-i", "1000", "--at", "2026-12-02")
    assert code == 0, err
    assert "Every line: gpt-6-astra-2026-12-01 is not in the price data" in out
    code, out, err = run(
        "price", "gpt-6-astra-2026-12-01", "-i", "1000", "--at", "2026-12-02", "--json"
    )
    lines = json.loads(out)["lines"]
    assert lines and all("priced as gpt-6-astra" in ln["note"] for ln in lines)
    code, out, err = run(
        "price", "gpt-6-astra-2026-12-01", "-i", "1000", "--at", "2026-12-02", "--strict"
    )
    assert code == 1 and "unknown model 'gpt-6-astra-2026-12-01'" in err

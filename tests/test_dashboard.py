"""The dashboard through Starlette's test client, on SQLite and PostgreSQL.

Every figure is checked twice: against the hand-computed values in `_dashboard_helpers` and
against `Ledger.report` on the same data (the query layer ``openai-cost report`` prints).
"""

from __future__ import annotations

import html
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from _dashboard_helpers import (
    DAILY_RATE,
    GPT4O,
    HOSTILE_PROJECT,
    HOSTILE_USER,
    MINI,
    NOV_TOTAL,
    NOW,
    OCT_TOTAL,
    PROJECTED,
    SAVED,
    B,
    C,
    D,
    seed,
)
from _ledger_helpers import Backend, prices, rec
from openai_cost.dashboard.app import create_app
from openai_cost.dashboard.budgets import load_budgets
from openai_cost.errors import ConfigError, LedgerError
from openai_cost.ledger import Ledger
from openai_cost.ledger.views import CallFilter

NOV = {"since": "2026-11-01", "until": "2026-11-20"}


@pytest.fixture
def seeded(backend: Backend) -> Backend:
    seed(backend.url)
    return backend


_OPENED: list[Ledger] = []


@pytest.fixture(autouse=True)
def _close_ledgers() -> Iterator[None]:
    yield
    while _OPENED:
        _OPENED.pop().close()


def client(url: str, **kw: object) -> TestClient:
    """A test client of a dashboard over `url`, "now" being `NOW`; closed after the test."""
    ledger = Ledger(url, read_only=True)
    _OPENED.append(ledger)
    app = create_app(ledger, clock=lambda: NOW, prices=prices(), **kw)  # type: ignore[arg-type]
    return TestClient(app)


def ledger_at(url: str) -> Ledger:
    """A writable ledger, closed after the test."""
    ledger = Ledger(url)
    _OPENED.append(ledger)
    return ledger


def D_(s: str | None) -> Decimal | None:
    return None if s is None else Decimal(s)


# --- overview ---------------------------------------------------------------------------------


def test_overview_api_matches_hand_computed_values_and_ledger_report(seeded: Backend) -> None:
    ov = client(seeded.url).get("/api/overview").json()
    assert (ov["since"], ov["until"]) == ("2026-11-01", "2026-11-20")  # default: month to date
    t = ov["totals"]
    assert D_(t["cost_usd"]) == NOV_TOTAL
    assert (t["calls"], t["priced_calls"], t["unpriced_calls"], t["error_calls"]) == (6, 4, 1, 1)
    assert D_(ov["month_to_date"]["cost_usd"]) == NOV_TOTAL
    assert D_(ov["previous_month"]["cost_usd"]) == OCT_TOTAL
    assert ov["previous_month"]["calls"] == 1
    assert D_(ov["daily_rate_usd"]) == DAILY_RATE
    assert D_(ov["projected_month_usd"]) == PROJECTED

    models = {g["group"]: g for g in ov["models"]}
    assert D_(models["gpt-4o"]["cost_usd"]) == GPT4O
    assert models["gpt-4o"]["error_calls"] == 1
    assert D_(models["gpt-4o-mini"]["cost_usd"]) == MINI
    # unpriced is never $0
    assert models["mystery-model"]["cost_usd"] is None
    assert models["mystery-model"]["unpriced_calls"] == 1
    endpoints = {g["group"]: D_(g["cost_usd"]) for g in ov["endpoints"]}
    assert endpoints == {"chat.completions": GPT4O, "responses": MINI}
    tiers = {g["group"]: (D_(g["cost_usd"]), g["calls"]) for g in ov["tiers"]}
    assert tiers == {"default": (NOV_TOTAL, 5), "(none)": (Decimal(0), 1)}

    # tag table: the first tag name (project) by default
    assert ov["tag_names"] == ["project", "user"]
    assert ov["tag_name"] == "project"
    tags = {g["group"]: D_(g["cost_usd"]) for g in ov["tags"]}
    assert tags == {"search": GPT4O, "chat": C, HOSTILE_PROJECT: D}

    # 18000 input tokens (A 1000, B 2000, C 10000, D 4000, E 1000), 3000 cached (B, D)
    cache = ov["cache"]
    assert (cache["input_tokens"], cache["cached_tokens"]) == (18000, 3000)
    assert Decimal(cache["cached_share"]) == Decimal("0.166667")
    assert D_(cache["saved_usd"]) == SAVED

    daily = {d["day"]: d["models"] for d in ov["daily"]}
    assert len(daily) == 20
    assert D_(daily["2026-11-02"]["gpt-4o"]) == Decimal("0.00925")
    assert D_(daily["2026-11-05"]["gpt-4o-mini"]) == MINI
    assert daily["2026-11-06"] == {}  # only an unpriced and a failed call: no bar, no $0

    # the same numbers as the report command's query layer
    with Ledger(seeded.url) as ledger:
        for by, key in (("model", "models"), ("endpoint", "endpoints"), ("tier", "tiers")):
            rows = ledger.report(by=by, since=date(2026, 11, 1), until=date(2026, 11, 20))
            want = {r.group: (r.cost_usd, r.calls, r.unpriced_calls) for r in rows}
            got = {
                g["group"]: (D_(g["cost_usd"]), g["calls"], g["unpriced_calls"]) for g in ov[key]
            }
            assert got == want, by
        rows = ledger.report(by="tag:project", since=date(2026, 11, 1), until=date(2026, 11, 20))
        assert {r.group: r.cost_usd for r in rows} == tags
        assert ledger.spent(since=date(2026, 10, 1), until=date(2026, 10, 31)) == OCT_TOTAL


def test_overview_page_shows_the_totals_and_escapes_hostile_values(seeded: Backend) -> None:
    c = client(seeded.url)
    page = c.get("/", params={"tag_name": "user"})
    assert page.status_code == 200
    body = page.text
    assert f'data-usd="{NOV_TOTAL}"' in body
    assert "$0.0121" in body  # month to date, four decimals below $1
    assert "$0.0182" in body  # projection 0.01815, rounded half-even to four decimals
    assert "$0.0035" in body  # previous month
    assert "16.7%" in body
    # the hostile tag values come back escaped, whole, in the tag table and nowhere raw
    assert "<script>alert" not in body
    assert "<b>é" not in body
    # Jinja2 escapes &, <, >, both quotes (as &#39; / &#34;); unicode passes through
    escaped = (
        HOSTILE_USER.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("'", "&#39;")
        .replace('"', "&#34;")
    )
    assert escaped in body  # whole, 600+ characters, in the tag table
    assert "mystery-model" in body and "unpriced" in body
    assert page.headers["content-security-policy"].startswith("default-src 'none'")
    proj = c.get("/")
    assert html.escape(HOSTILE_PROJECT) in proj.text or "&lt;script&gt;" in proj.text
    assert "<script>alert" not in proj.text


@pytest.mark.parametrize(
    ("params", "cost", "calls"),
    [
        ({"model": "gpt-4o-mini"}, MINI, 2),
        ({"endpoint": "responses"}, MINI, 2),
        ({"tag": "project=search"}, GPT4O, 3),
        ({"tag": f"project={HOSTILE_PROJECT}"}, D, 1),
        ({"status": "error"}, Decimal(0), 1),
        ({"tier": "(none)"}, Decimal(0), 1),
        ({"since": "2026-11-05", "until": "2026-11-05"}, MINI, 2),
        ({"since": "2026-11-02", "until": "2026-11-02", "model": "gpt-4o"}, GPT4O, 2),
        ({"since": "2026-10-01", "until": "2026-11-20"}, NOV_TOTAL + OCT_TOTAL, 7),
    ],
)
def test_overview_filters(
    seeded: Backend, params: dict[str, str], cost: Decimal, calls: int
) -> None:
    c = client(seeded.url)
    t = c.get("/api/overview", params=params).json()["totals"]
    assert (Decimal(t["cost_usd"]), t["calls"]) == (cost, calls)
    page = c.get("/", params=params)
    assert page.status_code == 200
    assert 'id="card-window"' in page.text
    assert f'data-usd="{cost}"' in page.text
    # the report query layer agrees
    tags = dict([params["tag"].split("=", 1)]) if "tag" in params else None
    rows = ledger_at(seeded.url).report(
        since=params.get("since", "2026-11-01"),
        until=params.get("until", "2026-11-20"),
        tags=tags,
        where=CallFilter(
            model=params.get("model"),
            endpoint=params.get("endpoint"),
            tier=params.get("tier"),
            status=params.get("status"),
        ),
    )
    assert sum((r.cost_usd or Decimal(0) for r in rows), Decimal(0)) == cost
    assert sum(r.calls for r in rows) == calls


def test_api_report_is_ledger_report(seeded: Backend) -> None:
    c = client(seeded.url)
    with Ledger(seeded.url) as ledger:
        for by in ("model", "day", "endpoint", "tier", "tag:user"):
            got = c.get("/api/report", params={"by": by, **NOV}).json()["rows"]
            want = ledger.report(by=by, since="2026-11-01", until="2026-11-20")
            assert got == [r.to_dict() for r in want]
    assert c.get("/api/report", params={"by": "colour"}).status_code == 400


def test_bad_query_values_are_a_400_page(seeded: Backend) -> None:
    c = client(seeded.url)
    for params in (
        {"since": "yesterday"},
        {"since": "2026-11-05", "until": "2026-11-01"},
        {"status": "weird"},
        {"tag": "novalue"},
    ):
        r = c.get("/", params=params)
        assert r.status_code == 400, params
        assert "Bad request" in r.text
        assert c.get("/api/overview", params=params).json()["error"]
    assert c.get("/calls", params={"page": "0"}).status_code == 400


# --- calls ------------------------------------------------------------------------------------


def test_calls_newest_first_with_cost_lines(seeded: Backend) -> None:
    c = client(seeded.url)
    data = c.get("/api/calls").json()
    assert data["total"] == 7
    assert [x["request_id"] for x in data["calls"]] == ["F", "E", "D", "C", "B", "A", "G"]
    b = next(x for x in data["calls"] if x["request_id"] == "B")
    lines = {ln["dimension"]: Decimal(ln["amount_usd"]) for ln in b["cost"]["lines"]}
    assert lines == {
        "input": Decimal("0.0025"),
        "cached_input": Decimal("0.00125"),
        "output": Decimal("0.002"),
    }
    assert Decimal(b["cost"]["total_usd"]) == B
    page = c.get("/calls").text
    assert page.index('id="call-') < page.index("mystery-model")
    assert "$0.00125" in page  # B's cached-input line
    assert "not billed" in page  # F
    assert "unknown model &#39;mystery-model&#39;" in page  # E's reason, escaped
    assert "<script>alert" not in page
    assert html.escape(HOSTILE_PROJECT) in page


@pytest.mark.parametrize(
    ("params", "ids"),
    [
        ({"model": "gpt-4o"}, ["F", "B", "A", "G"]),
        ({"endpoint": "responses"}, ["D", "C"]),
        ({"status": "error"}, ["F"]),
        ({"tier": "default", "since": "2026-11-05"}, ["E", "D", "C"]),
        ({"tag": "project=search"}, ["E", "B", "A"]),
        ({"tag": ["project=search", "user=alice"]}, ["A"]),
        ({"tag": f"user={HOSTILE_USER}"}, ["D"]),
        ({"since": "2026-10-01", "until": "2026-10-31"}, ["G"]),
    ],
)
def test_calls_filters(seeded: Backend, params: dict[str, object], ids: list[str]) -> None:
    c = client(seeded.url)
    data = c.get("/api/calls", params=params).json()  # type: ignore[arg-type]
    assert [x["request_id"] for x in data["calls"]] == ids
    assert data["total"] == len(ids)
    page = c.get("/calls", params=params)  # type: ignore[arg-type]
    assert f"{len(ids)} matching" in page.text


def test_calls_pagination(backend: Backend) -> None:
    with Ledger(backend.url) as ledger:
        for i in range(7):
            ledger.record(rec(f"p{i}", at=datetime(2026, 11, 1 + i, tzinfo=timezone.utc)))
    c = client(backend.url, page_size=3)
    pages = [c.get("/api/calls", params={"page": p}).json() for p in (1, 2, 3, 4)]
    assert [[x["request_id"] for x in p["calls"]] for p in pages] == [
        ["p6", "p5", "p4"],
        ["p3", "p2", "p1"],
        ["p0"],
        [],
    ]
    html_page = c.get("/calls", params={"page": 2, "model": "gpt-4o"}).text
    assert "calls 4\u20136 of 7 \u00b7 page 2 of 3" in html_page
    assert 'href="/calls?model=gpt-4o&amp;page=3"' in html_page


# --- budgets ----------------------------------------------------------------------------------


BUDGETS_TOML = """
[[budget]]
name = "search <monthly>"
limit_usd = "0.01"
period = "month"
tags = { project = "search" }

[[budget]]
name = "everything, daily"
limit_usd = "1.00"
period = "day"

[[budget]]
name = "all time"
limit_usd = "0.01"
period = "total"
"""


def test_budgets_burn_down_and_run_out(seeded: Backend, tmp_path: Path) -> None:
    f = tmp_path / "budgets.toml"
    f.write_text(BUDGETS_TOML)
    c = client(seeded.url, budgets=load_budgets(f))
    got = {b["name"]: b for b in c.get("/api/budgets").json()["budgets"]}
    search = got["search <monthly>"]
    # project=search in November: A + B = 0.00925 (E is unpriced and counted apart)
    assert Decimal(search["spent_usd"]) == GPT4O
    assert Decimal(search["remaining_usd"]) == Decimal("0.00075")
    assert search["unpriced_calls"] == 1
    # 0.00925 over 19.5 days (Nov 1 00:00 to Nov 20 12:00); 0.00075 left lasts
    # 19.5 x 0.00075 / 0.00925 = 1.5811 days = 37 h 56 min -> Nov 22 01:56 UTC
    assert search["run_out_at"].startswith("2026-11-22T01:56")
    assert not search["exhausted"]
    burn = {p["day"]: Decimal(p["spent_usd"]) for p in search["burn_down"]}
    assert len(burn) == 30
    assert burn["2026-11-01"] == 0 and burn["2026-11-02"] == GPT4O == burn["2026-11-30"]
    daily = got["everything, daily"]
    assert Decimal(daily["spent_usd"]) == 0 and daily["run_out_at"] is None
    total = got["all time"]
    # every priced call ever: 0.0121 + 0.0035 = 0.0156 > 0.01
    assert Decimal(total["spent_usd"]) == NOV_TOTAL + OCT_TOTAL
    assert total["exhausted"]
    page = c.get("/budgets").text
    assert "search &lt;monthly&gt;" in page
    assert "Nov 22, 01:56" in page
    assert "exhausted" in page
    assert page.count("<svg") == 3


def test_budgets_page_without_budgets_says_how(seeded: Backend) -> None:
    page = client(seeded.url).get("/budgets").text
    assert "No budgets" in page and "--budgets" in page


def test_budgets_file_errors_name_the_entry(tmp_path: Path) -> None:
    f = tmp_path / "b.toml"
    f.write_text('[[budget]]\nlimit_usd = "5"\n[[budget]]\nlimit_usd = "5"\nperiod = "week"\n')
    with pytest.raises(ConfigError, match=r"budget #2: unknown budget period 'week'"):
        load_budgets(f)
    f.write_text("[[budget]]\nlimit_usd = 5.5\n")
    with pytest.raises(ConfigError, match="must be a string"):
        load_budgets(f)
    f.write_text('[[budget]]\nlimit = "5"\n')
    with pytest.raises(ConfigError, match="unknown field 'limit'"):
        load_budgets(f)


# --- organisation -----------------------------------------------------------------------------


def test_org_page_without_pulled_data_says_how_to_pull(seeded: Backend) -> None:
    c = client(seeded.url)
    page = c.get("/org")
    assert page.status_code == 200
    assert "openai-cost org pull" in page.text
    assert c.get("/api/org").json()["available"] is False


# --- safety -----------------------------------------------------------------------------------


def test_token_required_by_header_or_cookie(seeded: Backend) -> None:
    c = client(seeded.url, token="s3cret-token")
    assert c.get("/api/overview").status_code == 401
    r = c.get("/", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"
    assert c.get("/api/overview", headers={"Authorization": "Bearer nope"}).status_code == 401
    ok = c.get("/api/overview", headers={"Authorization": "Bearer s3cret-token"})
    assert ok.status_code == 200
    assert Decimal(ok.json()["totals"]["cost_usd"]) == NOV_TOTAL
    wrong = c.post("/login", data={"token": "guess"}, follow_redirects=False)
    assert wrong.status_code == 401 and "not the right one" in wrong.text
    assert c.get("/api/overview").status_code == 401
    right = c.post("/login", data={"token": "s3cret-token"}, follow_redirects=False)
    assert right.status_code == 303
    assert "httponly" in right.headers["set-cookie"].lower()
    assert c.get("/").status_code == 200  # the cookie now carries it
    assert c.get("/static/style.css").status_code == 200


def test_no_write_endpoints_and_the_database_is_opened_read_only(seeded: Backend) -> None:
    c = client(seeded.url)
    for path in ("/", "/calls", "/api/overview", "/api/calls"):
        for method in ("post", "put", "delete", "patch"):
            assert getattr(c, method)(path).status_code == 405, (method, path)
    ro = Ledger(seeded.url, read_only=True)
    _OPENED.append(ro)
    with pytest.raises(LedgerError, match="read-only"):
        ro.record(rec("new"))
    assert ro.count() == 7
    # below the library: the connection itself refuses writes
    import sqlalchemy as sa

    engine = ro._ready()
    with pytest.raises(sa.exc.SQLAlchemyError), engine.connect() as conn, conn.begin():
        conn.execute(sa.text("DELETE FROM calls"))
    assert ro.count() == 7


def test_missing_ledger_is_a_clear_page_and_recovers(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'later.db'}"
    c = client(url)
    r = c.get("/")
    assert r.status_code == 503
    assert "no ledger at" in r.text and "Traceback" not in r.text
    assert not (tmp_path / "later.db").exists()  # the dashboard never creates one
    seed(url)
    assert c.get("/").status_code == 200
    assert Decimal(c.get("/api/overview").json()["totals"]["cost_usd"]) == NOV_TOTAL


def test_empty_ledger_is_a_clear_page(backend: Backend) -> None:
    ledger_at(backend.url).migrations()  # creates the schema, records nothing
    c = client(backend.url)
    page = c.get("/")
    assert page.status_code == 200
    assert "No calls recorded in this view" in page.text
    assert "No calls match" in c.get("/calls").text


def test_database_going_away_gives_an_error_page_then_recovers(
    seeded: Backend, tmp_path: Path
) -> None:
    c = client(seeded.url)
    assert c.get("/").status_code == 200
    if seeded.name == "sqlite":
        path = Path(seeded.url.removeprefix("sqlite:///"))
        moved = tmp_path / "away.db"
        shutil.move(path, moved)
        r = c.get("/calls")
        assert r.status_code == 503
        assert "cannot be read right now" in r.text
        shutil.move(moved, path)
    else:
        with seeded.outage():
            r = c.get("/calls")
            assert r.status_code == 503
            assert "cannot be read right now" in r.text
            assert c.get("/api/calls").status_code == 503
    assert c.get("/calls").status_code == 200
    assert c.get("/api/calls").json()["total"] == 7


# --- report --html and the command --------------------------------------------------------------


def test_report_html_writes_one_self_contained_file(seeded: Backend, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from openai_cost._cli import main

    out = tmp_path / "spend.html"
    res = CliRunner().invoke(
        main,
        [
            "report",
            "--db",
            seeded.url,
            "--html",
            str(out),
            "--since",
            "2026-11-01",
            "--until",
            "2026-11-20",
            "--tag-name",
            "user",
        ],
    )
    assert res.exit_code == 0, res.output
    assert "6 calls" in res.output
    text = out.read_text()
    assert f'data-usd="{NOV_TOTAL}"' in text
    assert "<style>" in text and "<svg" in text
    assert "<script" not in text.replace("&lt;script", "")  # no script, hostile values escaped
    assert "http://" not in text.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in text
    assert 'href="/' not in text  # no links back to a server
    assert "alice" in text


def test_dashboard_refuses_a_public_bind_without_a_token(monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from openai_cost._cli import main

    monkeypatch.delenv("OPENAI_COST_DASHBOARD_TOKEN", raising=False)
    res = CliRunner().invoke(main, ["dashboard", "--host", "0.0.0.0", "--db", "x.db"])
    assert res.exit_code == 2
    assert "OPENAI_COST_DASHBOARD_TOKEN" in res.output


def test_missing_extra_prints_the_install_command(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "sys.modules['starlette'] = None\n"  # as if the extra were not installed
        "from openai_cost._cli import main\n"
        "main(['dashboard'])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 1
    assert 'pip install "openai-cost[dashboard]"' in out.stderr


def test_window_aggregates_read_the_covering_index(seeded: Backend) -> None:
    # m006's index holds every column the breakdown reads: the query plan must not touch the
    # wide rows (usage and cost-line JSON) of the calls table
    import sqlalchemy as sa

    from openai_cost.ledger import views

    ledger = ledger_at(seeded.url)
    f = CallFilter(since=datetime(2026, 11, 1, tzinfo=timezone.utc))
    with ledger._connect() as conn:
        q = views.breakdown_query(conn, f)
        if conn.dialect.name == "sqlite":
            sql = str(q.compile(conn, compile_kwargs={"literal_binds": True}))
            plan = " ".join(str(r[-1]) for r in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}"))
            assert "COVERING INDEX ix_calls_m006_window" in plan, plan
        else:
            conn.execute(sa.text("SET LOCAL enable_seqscan = off"))
            conn.execute(sa.text("SET LOCAL enable_bitmapscan = off"))
            sql = str(q.compile(conn, compile_kwargs={"literal_binds": True}))
            plan = " ".join(r[0] for r in conn.exec_driver_sql(f"EXPLAIN {sql}"))
            assert "ix_calls_m006_window" in plan, plan


def test_days_that_ended_are_cached_and_today_is_live(seeded: Backend) -> None:
    c = client(seeded.url, cache_seconds=600)
    assert Decimal(c.get("/api/overview").json()["totals"]["cost_usd"]) == NOV_TOTAL
    with ledger_at(seeded.url) as w:
        # a call today shows at once; a late record for a closed day waits for the cache
        w.record(rec("today", at=NOW))  # gpt-4o 1000 in / 100 out: $0.0035
        w.record(rec("late", at=datetime(2026, 11, 3, tzinfo=timezone.utc)))
    ov = c.get("/api/overview").json()
    assert Decimal(ov["totals"]["cost_usd"]) == NOV_TOTAL + Decimal("0.0035")
    live = client(seeded.url, cache_seconds=0).get("/api/overview").json()
    assert Decimal(live["totals"]["cost_usd"]) == NOV_TOTAL + Decimal("0.0070")
    tags = {g["group"]: g["calls"] for g in live["tags"]}
    assert tags["(none)"] == 2  # today + late carry no tag


def test_calls_count_stops_past_its_cap(seeded: Backend, monkeypatch: pytest.MonkeyPatch) -> None:
    from openai_cost.dashboard import app as app_module

    assert ledger_at(seeded.url).count(cap=4) == 5  # 7 calls: "more than 4"
    assert ledger_at(seeded.url).count(cap=10) == 7
    monkeypatch.setattr(app_module, "COUNT_CAP", 4)
    c = client(seeded.url, page_size=2)
    data = c.get("/api/calls").json()
    assert (data["total"], data["total_is_lower_bound"]) == (4, True)
    assert "4+ matching" in c.get("/calls").text
    # paging on past the cap still works and ends where the calls end
    last = c.get("/api/calls", params={"page": 4}).json()
    assert [x["request_id"] for x in last["calls"]] == ["G"]
    assert (last["total"], last["total_is_lower_bound"]) == (7, False)


@pytest.mark.parametrize("name", ["plain", 'quo"te', "back\\slash", "ünï 中", "a.b[0]"])
def test_tag_grouping_reads_the_same_values_for_any_tag_name(backend: Backend, name: str) -> None:
    ledger = ledger_at(backend.url)
    ledger.record(rec("t1", tags={name: "<v1>"}))  # gpt-4o 1000 / 100: $0.0035
    ledger.record(rec("t2", tags={name: "v'2", "other": "x"}, model="gpt-4o-mini"))
    ledger.record(rec("t3", tags={"other": "y"}))
    # gpt-4o-mini 1000 in / 100 out: 1000 x 0.15/1M + 100 x 0.60/1M = $0.00021
    got = {r.group: (r.cost_usd, r.calls) for r in ledger.report(by=f"tag:{name}")}
    assert got == {
        "<v1>": (Decimal("0.0035"), 1),
        "v'2": (Decimal("0.00021"), 1),
        "(none)": (Decimal("0.0035"), 1),
    }


def test_budgets_used_with_the_ledger_are_shown(seeded: Backend, tmp_path: Path) -> None:
    from openai_cost import Budget

    # a budget checked against this ledger is stored there by name (Ledger.budgets)
    with Ledger(seeded.url) as w:
        b = Budget("0.01", period="total", tags={"project": "search"}, name="search <all time>")
        # A + B on project=search: 0.0035 + 0.00575 (E is unpriced)
        assert b.spent(w) == GPT4O
    f = tmp_path / "budgets.toml"
    f.write_text('[[budget]]\nname = "from the file"\nlimit_usd = "1.00"\nperiod = "day"\n')
    c = client(seeded.url, budgets=load_budgets(f))
    got = {x["name"]: x for x in c.get("/api/budgets").json()["budgets"]}
    assert set(got) == {"search <all time>", "from the file"}
    stored = got["search <all time>"]
    assert stored["source"] == "ledger"
    assert Decimal(stored["spent_usd"]) == GPT4O
    assert Decimal(stored["limit_usd"]) == Decimal("0.01")
    assert Decimal(stored["reserved_usd"]) == 0
    assert not stored["exhausted"]
    page = c.get("/budgets").text
    assert "search &lt;all time&gt;" in page and "from ledger" in page

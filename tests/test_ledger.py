"""The ledger against a real SQLite file and a real PostgreSQL server (same suite, both)."""

from __future__ import annotations

import csv
import json
import logging
import multiprocessing as mp
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from _ledger_helpers import (
    COST_DEFAULT,
    IN_CI,
    PG_URL,
    T0,
    Backend,
    count_rows,
    make_backend,
    rec,
    spool_lines,
    worker_submit,
    worker_submit_then_hang,
)
from openai_cost import ConfigError, Ledger, LedgerError
from openai_cost.config import load_settings
from openai_cost.ledger import resolve_url
from openai_cost.ledger.queries import record_from_dict, record_to_dict


def test_postgres_suite_runs_in_ci() -> None:
    # CI must run the PostgreSQL half of this suite, not skip it.
    if IN_CI:
        assert PG_URL, "CI is set but OPENAI_COST_TEST_POSTGRES_URL is not (run .ci/run)"


# --- storing and reading back ---------------------------------------------------------------


def test_record_round_trips_exactly(ledger: Ledger) -> None:
    priced = rec("r-priced", cached=200, tags={"project": "search", "user": "ana"})
    unpriced = rec("r-unpriced", model="gpt-9-secret", priced=False, at=T0 + timedelta(seconds=1))
    failed = rec("r-failed", status="error", at=T0 + timedelta(seconds=2))
    for r in (priced, unpriced, failed):
        assert ledger.record(r) is True
    assert ledger.records() == [priced, unpriced, failed]
    got = ledger.records()[0]
    assert got.cost is not None and priced.cost is not None
    # gpt-4o: 800 uncached x $2.50/1M = $0.002, 200 cached x $1.25/1M = $0.00025,
    # 100 output x $10/1M = $0.001 (openai-billing.md 3.1)
    assert got.cost.total == Decimal("0.00325")
    assert [ln.amount for ln in got.cost.lines] == [ln.amount for ln in priced.cost.lines]
    assert got.created_at == T0 and got.created_at.tzinfo is not None
    assert dict(got.tags) == {"project": "search", "user": "ana"}
    assert ledger.records()[1].unpriced_reason == "unknown model 'gpt-9-secret'"
    assert ledger.records()[1].cost is None


def test_same_request_id_is_never_stored_twice(ledger: Ledger, backend: Backend) -> None:
    r = rec("dup-1")
    assert ledger.record(r) is True
    assert ledger.record(r) is False
    ledger.submit(r)
    assert ledger.flush(30)
    assert count_rows(backend.url) == (1, 1)


def test_record_refuses_a_naive_time(ledger: Ledger) -> None:
    bad = rec("naive", at=datetime(2026, 1, 1, 12, 0))
    with pytest.raises(LedgerError, match="timezone-aware"):
        ledger.record(bad)


def test_spent_is_exact_over_many_tiny_amounts(ledger: Ledger) -> None:
    # 1 input token of gpt-4o-mini = 1 x $0.15/1M = $0.00000015 (openai-billing.md 3.1);
    # 1000 of them are exactly $0.00015 (a float sum would not be).
    for i in range(1000):
        ledger.submit(rec(f"tiny-{i}", model="gpt-4o-mini", input_tokens=1, output_tokens=0))
    assert ledger.flush(60)
    assert ledger.spent() == Decimal("0.00015")


def test_spent_by_window_and_tags(ledger: Ledger) -> None:
    day1 = datetime(2026, 11, 1, 23, 59, 59, tzinfo=timezone.utc)
    day2 = datetime(2026, 11, 2, 0, 0, 0, tzinfo=timezone.utc)
    # 2000 x $2.50/1M + 500 x $10/1M = $0.005 + $0.005 = $0.01 (gpt-4o, 3.1)
    ledger.record(rec("a", input_tokens=2000, output_tokens=500, at=day1, tags={"p": "x"}))
    # 10000 x $0.15/1M + 1000 x $0.60/1M = $0.0015 + $0.0006 = $0.0021 (gpt-4o-mini, 3.1)
    ledger.record(
        rec(
            "b",
            model="gpt-4o-mini",
            input_tokens=10000,
            output_tokens=1000,
            at=day2,
            tags={"p": "y"},
        )
    )
    ledger.record(rec("c", at=day2, tags={"p": "x", "u": "1"}))  # $0.0035
    ledger.record(rec("d", model="nope", priced=False, at=day2, tags={"p": "x"}))
    assert ledger.spent() == Decimal("0.0156")
    assert ledger.spent(since=date(2026, 11, 2)) == Decimal("0.0056")
    assert ledger.spent(until=date(2026, 11, 1)) == Decimal("0.01")
    assert ledger.spent(until=day2) == Decimal("0.01")  # a datetime bound is exclusive
    assert ledger.spent(tags={"p": "x"}) == Decimal("0.0135")
    assert ledger.spent(tags={"p": "x", "u": "1"}) == COST_DEFAULT
    assert ledger.spent(tags={"p": "zzz"}) == Decimal(0)


# --- reports ----------------------------------------------------------------------------------


def _fill_for_report(ledger: Ledger) -> None:
    d1 = datetime(2026, 11, 1, 10, tzinfo=timezone.utc)
    d2 = datetime(2026, 11, 2, 10, tzinfo=timezone.utc)
    ledger.record(rec("1", at=d1, tags={"project": "a"}))  # gpt-4o $0.0035
    ledger.record(rec("2", at=d2, tags={"project": "a"}, endpoint="responses"))  # $0.0035
    # gpt-4o-mini 10000 x $0.15/1M + 1000 x $0.60/1M = $0.0021
    ledger.record(
        rec(
            "3",
            model="gpt-4o-mini",
            input_tokens=10000,
            output_tokens=1000,
            at=d2,
            tags={"project": "b"},
        )
    )
    ledger.record(rec("4", model="mystery", priced=False, at=d2, tags={"project": "b"}))
    ledger.record(rec("5", status="error", at=d2))


def test_report_by_model(ledger: Ledger) -> None:
    _fill_for_report(ledger)
    rows = {r.group: r for r in ledger.report(by="model")}
    assert [r.group for r in ledger.report(by="model")][:2] == ["gpt-4o", "gpt-4o-mini"]
    assert rows["gpt-4o"].cost_usd == Decimal("0.007")
    assert rows["gpt-4o"].calls == 3 and rows["gpt-4o"].error_calls == 1
    assert rows["gpt-4o"].input_tokens == 2000 and rows["gpt-4o"].output_tokens == 200
    assert rows["gpt-4o-mini"].cost_usd == Decimal("0.0021")
    # an unpriced model is its own count, never $0
    assert rows["mystery"].cost_usd is None
    assert rows["mystery"].unpriced_calls == 1 and rows["mystery"].priced_calls == 0


def test_report_by_day_endpoint_tier_and_tag(ledger: Ledger) -> None:
    _fill_for_report(ledger)
    days = ledger.report(by="day")
    assert [(r.group, r.cost_usd, r.calls) for r in days] == [
        ("2026-11-01", Decimal("0.0035"), 1),
        ("2026-11-02", Decimal("0.0056"), 4),
    ]
    assert days[1].unpriced_calls == 1 and days[1].error_calls == 1
    ends = {r.group: r.cost_usd for r in ledger.report(by="endpoint")}
    assert ends == {"chat.completions": Decimal("0.0056"), "responses": Decimal("0.0035")}
    tiers = {r.group: r.calls for r in ledger.report(by="tier")}
    assert tiers == {"default": 4, "(none)": 1}
    tags = {r.group: (r.cost_usd, r.unpriced_calls) for r in ledger.report(by="tag:project")}
    assert tags == {
        "a": (Decimal("0.007"), 0),
        "b": (Decimal("0.0021"), 1),
        "(none)": (Decimal(0), 0),  # only the failed call: genuinely not billed
    }
    only_d2 = ledger.report(by="model", since=date(2026, 11, 2), until=date(2026, 11, 2))
    assert sum(r.calls for r in only_d2) == 4


def test_report_rejects_an_unknown_grouping(ledger: Ledger) -> None:
    with pytest.raises(ValueError, match=r"valid: model, day, endpoint, tier, tag:NAME"):
        ledger.report(by="colour")


def test_export_writes_every_call_as_csv(ledger: Ledger, tmp_path: Path) -> None:
    _fill_for_report(ledger)
    out = tmp_path / "calls.csv"
    assert ledger.export(out) == 5
    with out.open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["request_id"] for r in rows] == ["1", "2", "3", "4", "5"]
    assert rows[0]["cost_usd"] == "0.0035" and rows[0]["price_since"] == "2024-08-06"
    assert rows[3]["cost_usd"] == "" and rows[3]["unpriced_reason"] == "unknown model 'mystery'"
    assert json.loads(rows[0]["tags"]) == {"project": "a"}
    assert rows[2]["input_tokens"] == "10000"


# --- schema -----------------------------------------------------------------------------------


def test_migrations_are_recorded_in_order_and_applied_once(backend: Backend) -> None:
    names = [
        "m001_create_calls",
        "m002_create_call_tags",
        "m003_create_budget_reservations",
        "m004_create_budgets_and_totals",
        "m005_create_org_usage_and_costs",
        "m006_create_calls_dashboard_index",
        "m007_add_calls_cost_pico",
    ]
    with Ledger(backend.url) as a:
        assert a.migrations() == names
        a.record(rec("kept"))
    with Ledger(backend.url) as b:
        assert b.migrations() == names
        assert [r.request_id for r in b.records()] == ["kept"]


# --- the background writer ----------------------------------------------------------------


def test_submit_then_flush_stores_everything(ledger: Ledger, backend: Backend) -> None:
    for i in range(1200):  # more than one writer batch
        ledger.submit(rec(f"s-{i}", at=T0 + timedelta(microseconds=i)))
    assert ledger.flush(60) is True
    assert ledger.pending == 0
    assert count_rows(backend.url) == (1200, 1200)
    # once stored, the journal is emptied
    assert spool_lines(ledger.spool_dir) == 0


def test_submit_never_raises(ledger: Ledger, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="openai_cost.ledger"):
        ledger.submit(rec("naive", at=datetime(2026, 1, 1)))
        ledger.submit("not a record")  # type: ignore[arg-type]
    assert "naive" in caplog.text
    assert ledger.flush(10)
    assert ledger.records() == []


def test_close_flushes(backend: Backend) -> None:
    led = Ledger(backend.url)
    for i in range(50):
        led.submit(rec(f"c-{i}"))
    led.close()
    assert count_rows(backend.url) == (50, 50)
    led.submit(rec("after-close"))  # logged, not raised
    with pytest.raises(LedgerError, match="closed"):
        led.record(rec("after-close"))


def test_rows_are_flushed_at_exit(backend: Backend, tmp_path: Path) -> None:
    # a script that submits and exits without flush() or close(): atexit writes the rows
    code = (
        "import sys; sys.path.insert(0, sys.argv[1])\n"
        "from _ledger_helpers import rec\n"
        "from openai_cost import Ledger\n"
        "led = Ledger(sys.argv[2])\n"
        "for i in range(300):\n"
        "    led.submit(rec(f'exit-{i}'))\n"
    )
    env = {**os.environ, "OPENAI_COST_HOME": str(tmp_path / "h2")}
    tests_dir = str(Path(__file__).parent)
    subprocess.run([sys.executable, "-c", code, tests_dir, backend.url], env=env, check=True)
    assert count_rows(backend.url) == (300, 300)
    assert spool_lines(tmp_path / "h2" / "spool") == 0


def test_several_processes_write_at_once(backend: Backend, tmp_path: Path) -> None:
    # 4 processes x 200 own rows, each also submitting the same 50 shared rows.
    home = str(tmp_path / "openai-cost-home")
    ctx = mp.get_context("spawn")
    with ProcessPoolExecutor(4, mp_context=ctx) as pool:
        futs = [pool.submit(worker_submit, backend.url, home, f"p{i}", 200, 50) for i in range(4)]
        assert [f.result(timeout=120) for f in futs] == [200] * 4
    assert count_rows(backend.url) == (4 * 200 + 50, 4 * 200 + 50)


# --- outages, spool and replay ------------------------------------------------------------


def test_database_away_mid_run_then_back(backend: Backend) -> None:
    led = Ledger(backend.fast_url)
    try:
        for i in range(20):
            led.submit(rec(f"before-{i}"))
        assert led.flush(30) is True
        with backend.outage():
            for i in range(30):
                led.submit(rec(f"during-{i}"))
            # a write attempt failed: the rows wait in the (fsync'd) journal
            assert led.flush(30) is False
            assert led.pending == 30
            assert spool_lines(led.spool_dir) == 30
            with pytest.raises(LedgerError):
                led.record(rec("sync-during"))
        for i in range(10):
            led.submit(rec(f"after-{i}"))
        assert led.flush(60) is True
        assert led.pending == 0
    finally:
        led.close()
    # nothing lost, nothing doubled
    assert count_rows(backend.url) == (60, 60)
    assert spool_lines(led.spool_dir) == 0


@pytest.mark.postgres
def test_a_row_the_database_refuses_is_set_aside(tmp_path: Path) -> None:
    # PostgreSQL refuses a 300-character request id (varchar(255)); SQLite would store it
    with make_backend("postgres", tmp_path) as backend, Ledger(backend.url) as led:
        led.submit(rec("good-1"))
        led.submit(rec("x" * 300))
        led.submit(rec("good-2"))
        assert led.flush(30) is True
        assert sorted(r.request_id for r in led.records()) == ["good-1", "good-2"]
        kept = (led.spool_dir / "rejected.ndjson").read_text().splitlines()
    assert len(kept) == 1
    assert json.loads(kept[0])["record"]["request_id"] == "x" * 300
    assert "at most 255" in json.loads(kept[0])["error"]


def test_replaying_a_spool_never_doubles(backend: Backend) -> None:
    with Ledger(backend.url) as led:
        rows = [rec(f"r-{i}") for i in range(10)]
        for r in rows[:6]:
            led.record(r)
        spool = led.spool_dir
    # an orphaned journal (its writer is gone) holding rows already stored and new ones, plus
    # a line cut short by a crash
    spool.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps(record_to_dict(r)) + "\n" for r in rows]
    (spool / "999999-1-dead.jsonl").write_text("".join(lines) + '{"request_id": "cut')
    with Ledger(backend.url) as again:
        assert sorted(r.request_id for r in again.records()) == sorted(r.request_id for r in rows)
    assert count_rows(backend.url) == (10, 10)
    assert not list(spool.glob("*.jsonl"))
    assert '"cut' in (spool / "rejected.txt").read_text()


def test_sigkill_loses_nothing_handed_to_submit(backend: Backend, tmp_path: Path) -> None:
    """The guarantee: once `submit` returns, the row is in the journal; if the process is then
    killed (SIGKILL) before the row reached the database, the next Ledger replays it."""
    home = tmp_path / "openai-cost-home"
    with Ledger(backend.url) as led:
        led.migrations()  # create the schema
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    with backend.outage():  # keep the rows queued: the child cannot write them
        proc = ctx.Process(
            target=worker_submit_then_hang, args=(backend.fast_url, str(home), 40, child)
        )
        proc.start()
        assert parent.poll(120), "child did not submit in time"
        assert parent.recv() == 40  # journaled before submit returned
        assert proc.pid is not None
        os.kill(proc.pid, signal.SIGKILL)
        proc.join(30)
        assert proc.exitcode == -signal.SIGKILL
    assert count_rows(backend.url) == (0, 0)
    # the next ledger on this database replays the dead process's journal, once
    with Ledger(backend.fast_url) as led:
        assert len(led.records()) == 40
        assert spool_lines(led.spool_dir) == 0
    with Ledger(backend.fast_url) as led:
        assert len(led.records()) == 40
    assert count_rows(backend.url) == (40, 40)


# --- URLs and settings --------------------------------------------------------------------


def test_default_ledger_is_a_sqlite_file_in_the_home_dir(_isolated_home: Path) -> None:
    with Ledger() as led:
        assert led.url == f"sqlite:///{_isolated_home / 'ledger.db'}"
        led.record(rec("x"))
    assert (_isolated_home / "ledger.db").is_file()


def test_db_url_precedence(_isolated_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings().db_url_source == "default"
    (_isolated_home / "config.toml").write_text('db_url = "sqlite:////tmp/from-config.db"\n')
    assert load_settings().db_url == "sqlite:////tmp/from-config.db"
    monkeypatch.setenv("OPENAI_COST_DB_URL", "sqlite:////tmp/from-env.db")
    assert load_settings().db_url == "sqlite:////tmp/from-env.db"
    s = load_settings(db_url="sqlite:////tmp/from-arg.db")
    assert (s.db_url, s.db_url_source) == ("sqlite:////tmp/from-arg.db", "argument")


def test_bad_config_file_names_the_setting(_isolated_home: Path) -> None:
    (_isolated_home / "config.toml").write_text('db_ulr = "x"\n')
    with pytest.raises(ConfigError, match=r"unknown setting\(s\) 'db_ulr'; valid: db_url"):
        load_settings()


def test_url_spellings() -> None:
    assert resolve_url("postgresql://u@h/db").drivername == "postgresql+psycopg"
    assert resolve_url("postgres://u@h/db").drivername == "postgresql+psycopg"
    assert resolve_url("postgresql+psycopg://u@h/db").drivername == "postgresql+psycopg"
    assert resolve_url("/tmp/x/ledger.db").drivername == "sqlite"
    with pytest.raises(ConfigError, match="valid: sqlite:///PATH"):
        resolve_url("mysql://u@h/db")
    with pytest.raises(ConfigError, match="in-memory"):
        resolve_url("sqlite://")


def test_password_is_hidden() -> None:
    led = Ledger("postgresql://app:s3cret@127.0.0.1:1/costs")
    assert "s3cret" not in led.url and "s3cret" not in repr(led)
    led.close()


def test_record_json_round_trip() -> None:
    r = rec("j", cached=300, tags={"a": "b"})
    assert record_from_dict(json.loads(json.dumps(record_to_dict(r)))) == r


def test_unreachable_database_raises_ledger_error_on_record(tmp_path: Path) -> None:
    led = Ledger("postgresql://nobody@127.0.0.1:9/none?connect_timeout=1")
    t = time.monotonic()
    with pytest.raises(LedgerError, match="cannot open ledger postgresql"):
        led.record(rec("x"))
    assert time.monotonic() - t < 10
    led.submit(rec("y"))  # never raises; spooled
    assert led.flush(10) is False
    assert spool_lines(led.spool_dir) == 1
    led.close(timeout=1)

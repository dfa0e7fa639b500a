"""Exact money sums on SQLite: the integer fast path equals the decimal aggregate, always.

`queries.money_sum` sums each cost's exact integer of 10**-12 USD (``cost_pico``) in SQL and
hands the costs that have none (more decimals, beyond 64 bits) to the per-row decimal
aggregate. These tests put awkward amounts through both paths, on a bare SQLite table and
through a real ledger on both backends, and compare with sums computed here in `Decimal`.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, timezone
from decimal import Context, Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from _ledger_helpers import T0, Backend, rec
from openai_cost import Ledger
from openai_cost.ledger import queries
from openai_cost.ledger.schema import calls, pico_usd


def test_pico_usd_by_hand() -> None:
    assert pico_usd(Decimal("0.0035")) == 3_500_000_000
    assert pico_usd(Decimal("1.5E-7")) == 150_000
    assert pico_usd(Decimal("0E-12")) == 0
    assert pico_usd(Decimal("12500000000.00000000")) is None  # 1.25e22 units: beyond 64 bits
    assert pico_usd(Decimal("-0.5")) == -500_000_000_000
    assert pico_usd(Decimal("0.000000000001")) == 1
    assert pico_usd(Decimal("0.0000000000015")) is None  # 13 decimals: not a whole unit
    assert pico_usd(Decimal("9223372.036854775807")) == 2**63 - 1
    assert pico_usd(Decimal("9223372.036854775808")) is None  # beyond 64 bits
    assert pico_usd(None) is None


def _engine() -> sa.Engine:
    engine = sa.create_engine("sqlite://")

    @sa.event.listens_for(engine, "connect")
    def _connect(con: sqlite3.Connection, _rec: object) -> None:
        queries.register_sqlite_functions(con)

    calls.create(engine)
    return engine


def _sums(engine: sa.Engine, values: list[tuple[int, Decimal | None]]) -> dict[int, Any]:
    """money_sum and the per-row decimal aggregate per group, over rows written as the
    ledger writes them (cost_pico from pico_usd)."""
    now = datetime(2026, 11, 2, tzinfo=timezone.utc)
    with engine.begin() as conn:
        conn.execute(calls.delete())
        conn.execute(
            calls.insert(),
            [
                {
                    "request_id": f"r{i}",
                    "created_at": now,
                    "status": "ok",
                    "tier": str(g),
                    "cost_usd": c,
                    "cost_pico": pico_usd(c),
                    "recorded_at": now,
                }
                for i, (g, c) in enumerate(values)
            ],
        )
        q = sa.select(
            calls.c.tier,
            queries.money_sum(conn, calls.c.cost_usd),
            sa.func.oc_decimal_sum(sa.type_coerce(calls.c.cost_usd, sa.String())),
        ).group_by(calls.c.tier)
        return {int(g): (fast, slow) for g, fast, slow in conn.execute(q)}


def _python_sums(values: list[tuple[int, Decimal | None]]) -> dict[int, Decimal | None]:
    # 80 digits: Python's default 28 would round these sums (the ledger's are exact)
    ctx = Context(prec=80)
    out: dict[int, Decimal | None] = {}
    for g, c in values:
        out.setdefault(g, None)
        if c is not None:
            out[g] = ctx.add(out[g] or Decimal(0), c)
    return out


AWKWARD = [
    "0.00320000",  # a usual amount, with the trailing zeros pricing keeps
    "0",
    "1.5E-7",  # exponent form: what str(Decimal) gives below 1e-6
    "0E-12",
    "0.000000000001",  # 1 unit
    "0.0000000000015",  # 13 decimals: decimal aggregate
    "0.1234567890123456789",  # 19 decimals: decimal aggregate
    "9223372.036854775807",  # the largest cost_pico
    "9223372.036854775808",  # one unit more: decimal aggregate
    "12500000000.00000000",  # beyond 64 bits of units: decimal aggregate
    "-0.5",
    None,  # unpriced call
]


def test_every_awkward_amount_sums_exactly() -> None:
    engine = _engine()
    values = [(i % 3, None if v is None else Decimal(v)) for i, v in enumerate(AWKWARD * 50)]
    values.append((9, None))
    want = _python_sums(values)
    got = _sums(engine, values)
    assert set(got) == {0, 1, 2, 9}
    for g, total in want.items():
        fast, slow = got[g]
        assert (None if fast is None else Decimal(fast)) == total, g
        assert (None if slow is None else Decimal(slow)) == total, g
    assert got[9] == (None, None)  # only unpriced calls: no sum, never a made-up 0


def test_sums_that_need_both_parts_by_hand() -> None:
    engine = _engine()
    # 9223372.036854775807 x 3 = 27670116.110564327421: three maximal cost_pico values add up
    # past 64 bits, which the split into 10**6-unit parts carries
    values = [(0, Decimal("9223372.036854775807"))] * 3
    [(fast, _)] = _sums(engine, values).values()
    assert Decimal(fast) == Decimal("27670116.110564327421")
    # 0.000000000001 (cost_pico 1) + 0.0000000000015 (decimal aggregate) = 0.0000000000025
    values = [(0, Decimal("0.000000000001")), (0, Decimal("0.0000000000015"))]
    [(fast, _)] = _sums(engine, values).values()
    assert Decimal(fast) == Decimal("0.0000000000025")


_amount = st.one_of(
    st.decimals(
        allow_nan=False, allow_infinity=False, places=12, min_value=-(10**6), max_value=10**6
    ),
    st.decimals(allow_nan=False, allow_infinity=False, min_value=-(10**12), max_value=10**12),
    st.none(),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), _amount), min_size=1, max_size=40))
def test_fast_path_equals_decimal_path(values: list[tuple[int, Decimal | None]]) -> None:
    engine = _engine()
    want = _python_sums(values)
    for g, (fast, slow) in _sums(engine, values).items():
        assert (None if fast is None else Decimal(fast)) == want[g]
        assert (None if slow is None else Decimal(slow)) == want[g]


def test_report_and_spent_are_exact_on_awkward_calls(backend: Backend) -> None:
    # Rates (openai-billing.md 3.1): gpt-4o input $2.50, output $10.00 per 1M tokens;
    # gpt-4o-mini input $0.15, cached $0.075 per 1M tokens.
    records = [
        # 1 x 0.15/1M = 0.00000015, stored as "1.5E-7" (decimal aggregate)
        rec("tiny", model="gpt-4o-mini", input_tokens=1, output_tokens=0),
        # 3 cached x 0.075/1M = 0.000000225 ("2.25E-7")
        rec("tiny-cached", model="gpt-4o-mini", input_tokens=3, cached=3, output_tokens=0),
        # 1e15 x 2.50/1M + 1e15 x 10.00/1M = 2,500,000,000 + 10,000,000,000 = 12,500,000,000
        # (11 integer digits: decimal aggregate)
        rec("huge", input_tokens=10**15, output_tokens=10**15),
        # 1e9 x 2.50/1M + 7 x 10.00/1M = 2500 + 0.00007 (fast path)
        rec("big", input_tokens=10**9, output_tokens=7),
        # 1000 x 2.50/1M + 100 x 10.00/1M = 0.0035 (fast path)
        rec("usual"),
        rec("free", input_tokens=0, output_tokens=0),  # "0"
        rec("unpriced", model="gpt-9", priced=False),
        rec("failed", status="error"),
    ]
    with Ledger(backend.url) as ledger:
        for r in records:
            assert ledger.record(r)
        want_4o = Decimal("12500000000") + Decimal("2500.00007") + Decimal("0.0035")
        want_mini = Decimal("0.00000015") + Decimal("0.000000225")
        assert ledger.spent() == want_4o + want_mini
        by_model = {row.group: row for row in ledger.report(by="model")}
        assert by_model["gpt-4o"].cost_usd == want_4o
        assert by_model["gpt-4o-mini"].cost_usd == want_mini
        assert by_model["gpt-9"].cost_usd is None  # unpriced only: never $0
        [day] = ledger.report(by="day")
        assert day.group == T0.date().isoformat()
        assert day.cost_usd == want_4o + want_mini
        assert day.priced_calls == 6 and day.unpriced_calls == 1 and day.error_calls == 1


def test_m007_fills_cost_pico_of_an_older_ledger(tmp_path: Path) -> None:
    # a ledger as m006 left it: calls stored without cost_pico
    from openai_cost.ledger.migrations import MIGRATIONS
    from openai_cost.ledger.schema import MIGRATIONS_TABLE

    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql(
            f"CREATE TABLE {MIGRATIONS_TABLE} (name VARCHAR(255) PRIMARY KEY, applied_at TEXT)"
        )
        for name, fn in MIGRATIONS[:6]:
            fn(conn)
            conn.exec_driver_sql(
                f"INSERT INTO {MIGRATIONS_TABLE} VALUES (?, ?)",
                (name, "2026-01-01 00:00:00.000000"),
            )
        # 0.0035 (rec's default: gpt-4o 1000 in + 100 out), 1.5E-7 and 13 decimals, stored
        # as m006 stored them: cost_usd text only
        for i, cost in enumerate(["0.0035", "1.5E-7", "0.0000000000015", None]):
            conn.exec_driver_sql(
                "INSERT INTO calls (request_id, created_at, status, cost_usd, tags_json,"
                " recorded_at) VALUES (?, ?, 'ok', ?, '{}', ?)",
                (f"old-{i}", "2026-11-02 09:30:00.000000", cost, "2026-11-02 09:30:00.000000"),
            )
    engine.dispose()
    with Ledger(url) as ledger:
        assert ledger.migrations()[-1] == "m007_add_calls_cost_pico"
        assert ledger.spent() == Decimal("0.0035") + Decimal("0.00000015") + Decimal(
            "0.0000000000015"
        )
    con = sqlite3.connect(tmp_path / "old.db")
    got = dict(con.execute("SELECT request_id, cost_pico FROM calls").fetchall())
    con.close()
    assert got == {"old-0": 3_500_000_000, "old-1": 150_000, "old-2": None, "old-3": None}

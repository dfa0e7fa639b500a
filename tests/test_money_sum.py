"""Exact money sums on SQLite: the integer fast path equals the decimal aggregate, always.

`queries.money_sum` sums plain decimal strings as integers in SQL and hands every other string
(exponent form, a sign, too many digits) to the per-row decimal aggregate. These tests put
awkward amounts through both paths, on a bare SQLite table and through a real ledger on both
backends, and compare with sums computed here in Python `Decimal`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from decimal import Context, Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from _ledger_helpers import BACKENDS, T0, Backend, make_backend, rec
from openai_cost import Ledger
from openai_cost.ledger import queries
from openai_cost.ledger.schema import calls

AWKWARD = [
    "0.00320000",  # a usual amount: trailing zeros kept by the catalog's arithmetic
    "0",  # no dot
    "12",  # whole dollars, no dot
    "0.0",
    "1.5E-7",  # exponent form: what str(Decimal) gives below 1e-6
    "2E-8",
    "0E-12",
    "0.000000000000000001",  # 18 decimals: the finest the fast path takes
    "0.1234567890123456789",  # 19 decimals: decimal aggregate
    "999999999.999999999999999999",  # 9 + 18 digits: the largest the fast path takes
    "1234567890.5",  # 10 integer digits: decimal aggregate
    "12500000000.00000000",
    "00001.10",  # leading zeros
    "-0.5",  # a sign: decimal aggregate
    "1e3",
    None,  # unpriced call
]


def _engine() -> sa.Engine:
    engine = sa.create_engine("sqlite://")

    @sa.event.listens_for(engine, "connect")
    def _connect(con: sqlite3.Connection, _rec: object) -> None:
        queries.register_sqlite_functions(con)

    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE calls (id INTEGER PRIMARY KEY, grp INT, cost_usd TEXT)")
    return engine


def _sums(engine: sa.Engine, values: list[tuple[int, str | None]]) -> Iterator[tuple[int, ...]]:
    with engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM calls")
        conn.execute(
            sa.text("INSERT INTO calls (grp, cost_usd) VALUES (:g, :c)"),
            [{"g": g, "c": c} for g, c in values],
        )
        grp = sa.column("grp")
        q = (
            sa.select(
                grp,
                queries.money_sum(conn, calls.c.cost_usd),
                sa.func.oc_decimal_sum(sa.type_coerce(calls.c.cost_usd, sa.String())),
            )
            .select_from(calls)
            .group_by(grp)
        )
        yield from conn.execute(q)


def _python_sums(values: list[tuple[int, str | None]]) -> dict[int, Decimal | None]:
    # 80 digits: Python's default 28 would round these sums (the ledger's are exact)
    ctx = Context(prec=80)
    out: dict[int, Decimal | None] = {}
    for g, c in values:
        out.setdefault(g, None)
        if c is not None:
            out[g] = ctx.add(out[g] or Decimal(0), Decimal(c))
    return out


def test_every_awkward_amount_sums_exactly() -> None:
    engine = _engine()
    values = [(i % 3, v) for i, v in enumerate(AWKWARD * 50)] + [(9, None)]
    want = _python_sums(values)
    got = {g: fast for g, fast, _ in _sums(engine, values)}
    assert set(got) == {0, 1, 2, 9}
    for g, total in want.items():
        assert (None if got[g] is None else Decimal(got[g])) == total, g
    assert got[9] is None  # only unpriced calls: no sum, never a made-up 0


def test_each_amount_alone_and_a_hand_sum() -> None:
    engine = _engine()
    for v in AWKWARD:
        [(_, fast, slow)] = list(_sums(engine, [(0, v)]))
        assert (fast is None) == (v is None)
        if v is not None:
            assert Decimal(fast) == Decimal(v) == Decimal(slow), v
    # by hand: 999999999.999999999999999999 + 0.000000000000000001 = 1000000000 exactly (carries
    # through both 9-digit halves into the whole dollars); + 1.5E-7 from the decimal aggregate
    [(_, fast, _)] = list(
        _sums(engine, [(0, "999999999.999999999999999999"), (0, "0.000000000000000001")])
    )
    assert Decimal(fast) == Decimal("1000000000")
    [(_, fast, _)] = list(
        _sums(
            engine,
            [(0, "999999999.999999999999999999"), (0, "0.000000000000000001"), (0, "1.5E-7")],
        )
    )
    assert Decimal(fast) == Decimal("1000000000.00000015")


_plain = st.builds(
    lambda i, f: f"{i}.{f}" if f else str(i),
    st.integers(0, 10**12),
    st.text("0123456789", max_size=22),
)
_any = st.one_of(
    _plain,
    st.decimals(allow_nan=False, allow_infinity=False, min_value=-(10**12), max_value=10**12).map(
        str
    ),
    st.none(),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), _any), min_size=1, max_size=40))
def test_fast_path_equals_decimal_path(values: list[tuple[int, str | None]]) -> None:
    engine = _engine()
    want = _python_sums(values)
    for g, fast, slow in _sums(engine, values):
        assert (None if fast is None else Decimal(fast)) == want[g]
        assert (None if slow is None else Decimal(slow)) == want[g]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    with make_backend(request.param, tmp_path) as b:
        yield b


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

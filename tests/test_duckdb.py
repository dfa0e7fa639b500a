"""The DuckDB engine gives the default engine's summary; register() prices inside DuckDB."""

from __future__ import annotations

import contextlib
import gzip
import json
import warnings
from decimal import Decimal
from pathlib import Path

import pytest

duckdb = pytest.importorskip("duckdb")
pytest.importorskip("pyarrow")

from openai_cost.duckdb import register, summarize_files  # noqa: E402
from openai_cost.summary import iter_records, summarize  # noqa: E402

ROOT = Path(__file__).parent.parent
EXAMPLES = [
    str(ROOT / "examples" / "mixed_log.jsonl"),
    str(ROOT / "examples" / "batch_output.jsonl"),
]


def _chat(model: str, created: int, p: object, c: int, **extra: object) -> dict:
    usage: dict = {"prompt_tokens": p, "completion_tokens": c}
    usage.update(extra)
    return {"object": "chat.completion", "model": model, "created": created, "usage": usage}


def _batch(i: int, body: dict | None, status: int = 200, error: object = None) -> dict:
    resp = None if body is None else {"status_code": status, "body": body}
    return {"id": f"b{i}", "custom_id": f"r{i}", "response": resp, "error": error}


def _edge_file(tmp_path: Path, malformed: bool = True) -> Path:
    """Lines the SQL fast path must take, and lines it must leave to the default reader
    (``malformed``: with a line that is not JSON, which DuckDB cannot read: the default
    reader then reads the whole file)."""
    t = 1736294400  # 2025-01-08
    t2 = 1758002400  # 2025-09-16
    lines = [
        json.dumps(_batch(1, _chat("gpt-4o-mini", t, 1000, 10))),
        "",
        "   ",
        json.dumps(_chat("gpt-4o", t, 2006, 300, prompt_tokens_details={"cached_tokens": 1920})),
        json.dumps(_chat("gpt-4o", t, 5, 1, prompt_tokens_details={"cached_tokens": 9})),
        json.dumps(_chat("gpt-4o", t, 5.0, 1)),  # a float count: not the fast shape
        json.dumps(_chat("gpt-4o", t, "5", 1)),  # a string count
        json.dumps(_chat("gpt-4o", t, 5, 1, unexpected_key=3)),
        json.dumps(_chat("gpt-unknown", t, 5, 1)),
        json.dumps(_chat("gpt-unknown", t, 7, 1)),
        json.dumps(_batch(2, None, error={"code": "batch_expired", "message": "expired"})),
        json.dumps(_batch(3, _chat("gpt-4o-mini", t, 10, 1), status=500)),
        '{"object": "chat.completion", "model": "gpt-4o", "created": 1736294400, "usage": {'
        if malformed
        else json.dumps({**_chat("gpt-4o", t, 5, 1), "created": "2025-01-08"}),
        json.dumps({**_chat("gpt-4.1", t2, 300_000, 10), "service_tier": "priority"}),
        json.dumps({**_chat("gpt-4o-mini", t, 100, 10), "service_tier": "flex"}),
        json.dumps(
            _chat("gpt-5", t2, 300_000, 10, completion_tokens_details={"reasoning_tokens": 4})
        ),
        json.dumps(_chat("gpt-4o", t - 86400 * 400, 100, 10)),
        json.dumps({"object": "chat.completion.chunk", "id": "c1", "model": "gpt-4o"}),
        json.dumps(
            _chat("gpt-4o-mini", t, 10, 20, completion_tokens_details={"reasoning_tokens": 30})
        ),
    ]
    p = tmp_path / ("edge.jsonl" if malformed else "edge-clean.jsonl")
    p.write_text("\n".join(lines) + "\n")
    return p


def _warned(fn, *args, **kw) -> tuple[dict, list[str]]:
    """The summary as a dict, and the warnings raised on the way (the same for both engines)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = fn(*args, **kw).to_dict()
    return out, [str(w.message) for w in caught]


def _default(files: list[str], **kw: object) -> dict:
    def records():
        for f in files:
            yield from iter_records(f)

    return summarize(records(), **kw)


def _both(files: list[str], **kw: object) -> tuple[dict, dict]:
    want, w1 = _warned(_default, files, **kw)
    got, w2 = _warned(summarize_files, files, **kw)
    assert w1 == w2
    return want, got


@pytest.mark.parametrize("by", [("model",), ("model", "day", "tier", "endpoint")])
def test_same_summary_as_the_default_engine(tmp_path: Path, by: tuple[str, ...]) -> None:
    edge = _edge_file(tmp_path)
    clean = _edge_file(tmp_path, malformed=False)
    gz = tmp_path / "edge.jsonl.gz"
    gz.write_bytes(gzip.compress(clean.read_bytes()))
    files = [*EXAMPLES, str(edge), str(clean), str(gz)]
    want, got = _both(files, by=by)
    assert got == want
    # the edge file really exercises both sides: problems with line numbers, and priced calls
    locations = {p["location"] for p in want["problems"]}
    assert f"{edge}:5" in locations and f"{edge}:13" in locations
    assert f"{clean}:5" in locations and f"{clean}:13" in locations
    # in each copy: gpt-4o dated before its release is not an unknown model but a call
    # with no price in force (one problem per model and day)
    assert want["unknown_models"] == {"gpt-unknown": 6}
    early = [p for p in want["problems"] if p.get("model") == "gpt-4o"]
    assert [(p["kind"], p["count"]) for p in early] == [("unpriced", 3)]
    assert "first price is from 2024-05-13" in early[0]["reason"]


def test_same_summary_with_batch_since_until(tmp_path: Path) -> None:
    files = [*EXAMPLES, str(_edge_file(tmp_path)), str(_edge_file(tmp_path, malformed=False))]
    kw = {"batch": True, "since": "2025-01-01", "until": "2025-12-31"}
    want, got = _both(files, **kw)
    assert got == want


def test_other_formats_fall_back_to_the_default_reader(tmp_path: Path) -> None:
    arr = tmp_path / "arr.json"
    body = _chat("gpt-4o-mini", 1736294400, 1000, 10)
    arr.write_text(json.dumps([body, body], indent=2))
    sse = tmp_path / "s.sse"
    sse.write_text("data: " + json.dumps(body) + "\n\ndata: [DONE]\n\n")
    files = [str(arr), str(sse)]
    want, got = _both(files)
    assert got == want
    assert got["total"]["calls"] == 3


def test_parquet_usage_table(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    from openai_cost import table

    t = table.from_records(EXAMPLES).read_all()
    p = tmp_path / "usage.parquet"
    pq.write_table(t, p)
    got = summarize_files([str(p)])
    want = summarize(r for f in EXAMPLES for r in iter_records(f))
    assert got.total_usd == want.total_usd
    assert got.calls == want.calls


def test_cli_engine_duckdb(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from openai_cost._cli import main

    files = [*EXAMPLES, str(_edge_file(tmp_path))]
    r = CliRunner()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the unknown usage key, checked above
        a = r.invoke(main, ["analyze", "--json", *files])
        b = r.invoke(main, ["analyze", "--engine", "duckdb", "--json", *files])
    assert a.exit_code == b.exit_code == 0, b.output
    assert json.loads(a.stdout) == json.loads(b.stdout)
    assert a.stderr == b.stderr  # the same warning, once


def test_register_prices_inside_a_connection() -> None:
    con = duckdb.connect()
    prices, aliases, fn = register(con)
    n = con.execute(f"SELECT count(*) FROM {prices}").fetchone()[0]
    assert n > 1000
    con.execute(
        "CREATE TABLE calls AS SELECT * FROM (VALUES "
        "('gpt-4o', TIMESTAMP '2025-01-08 10:00:00', NULL, false, 2006, 1920, 300, 0),"
        "('gpt-4o', TIMESTAMP '2025-01-08 10:00:00', NULL, true, 2006, 1920, 300, 0),"
        "('nope', TIMESTAMP '2025-01-08 10:00:00', NULL, false, 1, 0, 1, 0)"
        ") t(model, created_at, tier, batch, i, c, o, r)"
    )
    rows = con.execute(
        f"SELECT p.cost_total_usd, p.resolved_model, p.unpriced_reason FROM "
        f"(SELECT {fn}(model, created_at, tier, batch, i, c, o, r) AS p FROM calls)"
    ).fetchall()
    # gpt-4o-2024-08-06 on 2025-01-08: 86 x $2.50 + 1920 x $1.25 + 300 x $10 per 1M = 0.005615;
    # Batch: 2006 x $1.25 + 300 x $5.00 per 1M = 0.0040075
    assert rows[0][:2] == (Decimal("0.005615"), "gpt-4o-2024-08-06")
    assert rows[1][0] == Decimal("0.0040075")
    assert rows[2][0] is None and rows[2][2].startswith("unknown model 'nope'")
    # the exported table joins: the alias table maps the floating name on that day
    got = con.execute(
        f"SELECT a.model, p.price_usd FROM {aliases} a JOIN {prices} p ON p.model = a.model "
        "WHERE a.alias = 'gpt-4o' AND DATE '2025-01-08' >= a.since "
        "AND (a.until IS NULL OR DATE '2025-01-08' < a.until) "
        "AND DATE '2025-01-08' >= p.since AND (p.until IS NULL OR DATE '2025-01-08' < p.until) "
        "AND p.tier = 'standard' AND p.context = 'short' AND p.dimension = 'input'"
    ).fetchall()
    assert got == [("gpt-4o-2024-08-06", Decimal("2.5"))]


def test_readme_sql_join_prices_like_cost_of(tmp_path: Path) -> None:
    """The README's SQL over the exported Parquet tables gives cost_of's totals."""
    import re

    from openai_cost import Usage, cost_of
    from openai_cost.errors import PricingError
    from openai_cost.table import export_catalog

    readme = (ROOT / "README.md").read_text()
    sql = re.search(r"```sql\n(WITH rates AS.*?)```", readme, re.S).group(1)
    export_catalog(str(tmp_path))
    con = duckdb.connect()
    con.execute(f"CREATE VIEW prices AS SELECT * FROM '{tmp_path}/prices.parquet'")
    con.execute(f"CREATE VIEW aliases AS SELECT * FROM '{tmp_path}/aliases.parquet'")
    calls = [
        ("gpt-4o", "2025-01-08 10:00:00", None, False, 2006, 1920, 300, 0),
        ("gpt-4o", "2025-01-08 10:00:00", None, True, 2006, 1920, 300, 0),
        ("GPT-4o-mini", "2025-06-01 00:00:00", None, False, 1000, 0, 10, 0),
        ("gpt-4o-mini", "2025-06-01 00:00:00", "flex", False, 1000, 0, 10, 0),  # no flex price
        ("gpt-4.1", "2025-06-01 00:00:00", None, False, 5000, 1000, 700, 0),
        ("o3", "2025-06-01 00:00:00", "flex", False, 5000, 1000, 700, 200),
        ("gpt-5.4", "2026-06-01 00:00:00", None, False, 300_000, 0, 2000, 1000),
        ("gpt-5.4", "2026-06-01 00:00:00", "priority", False, 300_000, 0, 2000, 1000),
        ("gpt-5.4", "2026-06-01 00:00:00", "flex", False, 3000, 1000, 2000, 1000),
    ]
    con.execute(
        "CREATE TABLE usage (model VARCHAR, created_at TIMESTAMP, service_tier VARCHAR, "
        "batch BOOLEAN, input_tokens BIGINT, cached_tokens BIGINT, output_tokens BIGINT, "
        "reasoning_tokens BIGINT)"
    )
    con.executemany("INSERT INTO usage VALUES (?, ?, ?, ?, ?, ?, ?, ?)", calls)
    got = con.execute(f"SELECT model, batch, cost_usd FROM ({sql}) ORDER BY ALL").fetchall()
    want = []
    for m, at, tier, batch, i, c, o, r in calls:
        u = Usage(input_tokens=i, cached_tokens=c, output_tokens=o, reasoning_tokens=r)
        # a call cost_of cannot price has no rate row: the inner join drops it, never a zero
        with contextlib.suppress(PricingError):
            want.append((m, batch, cost_of(u, model=m, at=at[:10], tier=tier, batch=batch).total))
    assert len(want) == len(calls) - 1, want
    assert sorted(got) == sorted(want)


def test_json_lines_are_read_by_duckdb_not_handed_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Blank lines, odd shapes, failed lines and gzip: DuckDB still reads the file itself (with
    the default reader's line numbers); the default reader is not asked to read it again.
    A line that is not JSON at all hands the whole file to the default reader."""
    import openai_cost.summary as s

    edge = _edge_file(tmp_path, malformed=False)
    gz = tmp_path / "edge.jsonl.gz"
    gz.write_bytes(gzip.compress(edge.read_bytes()))
    files = [*EXAMPLES, str(edge), str(gz)]
    want, _ = _warned(_default, files)
    bad = str(_edge_file(tmp_path))
    want_bad, _ = _warned(_default, [bad])
    read = s.iter_records
    asked: list[str] = []

    def refuse(path: str, *a: object, **kw: object) -> object:
        asked.append(path)
        if path != bad:
            raise AssertionError(f"the default reader was asked to read {path}")
        return read(path, *a, **kw)

    monkeypatch.setattr(s, "iter_records", refuse)
    got, _ = _warned(summarize_files, files)
    assert got == want
    assert _warned(summarize_files, [bad])[0] == want_bad
    assert asked == [bad]

"""The price audit (tools/price_audit) on small fixed copies of each peer's data shape.

The fixtures under tests/fixtures/peers/ are hand-written in the shape each peer ships:
genai-prices' data.json provider list and litellm's model_prices_and_context_window.json. Our
side is a fixed price file (ours.toml), not the bundled data, so these tests never change
when a peer or our catalog does. Expected figures are worked out by hand from those files.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from openai_cost import Catalog

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

from price_audit import (  # noqa: E402 - tools/ is not an installed package
    Cell,
    as_json,
    cell_name,
    genai_prices_data,
    litellm_data,
    load_explanations,
    render,
    run_audit,
)
from price_audit.audit import family, our_rates  # noqa: E402
from price_audit.peers import _gp_to_raw  # noqa: E402

FIX = ROOT / "tests" / "fixtures" / "peers"
TODAY = date(2026, 11, 29)
D = Decimal


@pytest.fixture(scope="module")
def ours() -> Catalog:
    return Catalog([FIX / "ours.toml"])


@pytest.fixture(scope="module")
def gp():
    return genai_prices_data(json.loads((FIX / "genai_prices.json").read_text()), "0.0.test")


@pytest.fixture(scope="module")
def ll():
    return litellm_data(json.loads((FIX / "litellm_prices.json").read_text()), "0.0.test")


def _explained(tmp_path: Path, body: str) -> Path:
    p = tmp_path / "explained.toml"
    p.write_text(body, encoding="utf-8")
    return p


# --------------------------------------------------------------------------- reading peers


def test_genai_prices_reads_only_openai_and_converts_units(gp):
    assert [m.id for m in gp.models] == ["gpt-4o", "gpt-5.6-sol", "o3", "gpt-oss-120b", "whisper-1"]
    gpt4o = gp.models[0].rates_at(TODAY)
    # web_searches_kcount 50 per 1K calls -> 0.05 per call
    assert gpt4o[Cell("standard", False, "web_search_call")] == D("0.05")
    # the batch variant starts 2026-10-14: absent the day before
    assert gpt4o[Cell("batch", False, "input")] == D("1.25")
    assert Cell("batch", False, "input") not in gp.models[0].rates_at(date(2026, 10, 13))
    # audio_hours 0.36 per hour -> 0.006 per minute, exactly
    assert gp.models[4].rates_at(TODAY) == {Cell("standard", False, "audio_minute"): D("0.006")}


def test_genai_prices_dated_periods_and_tiers(gp):
    sol = gp.models[1]
    before, after = sol.rates_at(date(2026, 8, 20)), sol.rates_at(date(2026, 8, 21))
    assert before[Cell("standard", False, "input")] == 5
    assert before[Cell("standard", True, "output")] == 45
    assert after[Cell("standard", False, "input")] == 4
    assert after[Cell("standard", True, "input")] == 8
    assert after[Cell("standard", False, "long_context_threshold")] == 272000
    # priority variant from 2026-10-12 only
    assert Cell("priority", False, "input") not in after
    today = sol.rates_at(TODAY)
    assert today[Cell("priority", False, "input")] == 8
    assert today[Cell("priority", True, "input")] == 16
    # before its first dated period a model takes its first prices (genai-prices' rule)
    assert sol.rates_at(date(2020, 1, 1))[Cell("standard", False, "input")] == 5


def test_genai_prices_name_matching_follows_its_clauses(gp):
    assert gp.find("GPT-4o-2024-08-06").id == "gpt-4o"
    assert gp.find("o3-2025-04-16").id == "o3"  # regex rule
    assert gp.find("o3-mini") is None  # the regex is anchored on a date
    assert gp.find("gpt-5.6-sol-2026-07-09").id == "gpt-5.6-sol"


def test_litellm_reads_suffixes_sizes_and_floats(ll):
    by_id = {m.id: m for m in ll.models}
    assert sorted(by_id) == [
        "gpt-4o",
        "gpt-5.6-sol",
        "gpt-5.6-sol-2026-12-01",
        "gpt-image-1",
        "gpt-realtime-whisper",
        "sora-2",
        "whisper-1",
    ]  # azure/ and sample_spec are not OpenAI's
    sol = by_id["gpt-5.6-sol"].rates_at(TODAY)
    assert sol == {
        Cell("standard", False, "input"): D("4"),
        Cell("standard", False, "output"): D("20"),
        Cell("standard", True, "input"): D("8"),
        Cell("standard", False, "long_context_threshold"): D("272000"),
        Cell("priority", False, "input"): D("8"),
        Cell("standard", False, "cache_write_12h"): D("10"),
    }
    # 0.000283333333333 per second is 0.017 per minute once the float's noise is dropped
    whisper = by_id["gpt-realtime-whisper"].rates_at(TODAY)
    assert whisper == {Cell("standard", False, "audio_minute"): D("0.017")}
    image = by_id["gpt-image-1"].rates_at(TODAY)
    assert image == {Cell("standard", False, "per_image.high/1024x1024"): D("0.167")}
    assert by_id["gpt-4o"].dated is False
    assert ll.ignored_keys == {"input_cost_per_pixel": 1, "output_cost_per_pixel": 1}


def test_cell_names():
    assert cell_name(Cell("standard", False, "input")) == "input"
    assert cell_name(Cell("batch", True, "cached_input")) == "lc.batch.cached_input"
    assert cell_name(Cell("priority", False, "output")) == "priority.output"


# --------------------------------------------------------------------------- our side


def test_our_rates_are_what_we_bill(ours):
    rates = our_rates(ours.resolve("gpt-4o-2024-08-06", TODAY))
    assert rates[Cell("standard", False, "input")].value == D("2.50")
    assert rates[Cell("standard", False, "input")].derived is None
    # no batch cached rate: cached tokens in Batch bill at the batch input rate
    assert rates[Cell("batch", False, "cached_input")].value == D("1.25")
    # no audio rate and no fallback: not a rate we state
    assert Cell("standard", False, "audio_input") not in rates
    assert Cell("priority", False, "input") not in rates
    sol = our_rates(ours.resolve("gpt-5.6-sol", TODAY))
    # no long-context priority table: we bill the long-context standard rate
    lc_prio = sol[Cell("priority", True, "input")]
    assert lc_prio.value == 8 and "long-context standard rate" in (lc_prio.derived or "")
    assert sol[Cell("batch", True, "input")].value == 4  # 50% of 8
    assert sol[Cell("standard", False, "long_context_threshold")].value == 272000


# --------------------------------------------------------------------------- the audit


def test_audit_today(ours, gp, ll):
    a = run_audit(ours, [gp, ll], TODAY, today=TODAY)
    # genai-prices: gpt-4o-2024-08-06 6 (input, cached, output, web search, batch in/out),
    # gpt-5.6-sol 7 (in, out, lc in, lc out, threshold, priority in, lc priority in),
    # o3-2025-04-16 2 (in, out), whisper-1 1
    # litellm: gpt-4o (our dated alias) 5, gpt-5.6-sol 6 (in, out, lc in, threshold,
    # priority in, 12-hour cache write), whisper-1 1, gpt-realtime-whisper 1
    assert a.compared == {"genai-prices": 16, "litellm": 13}
    rows = [(d.model, d.dimension, dict(d.peers)) for d in a.disagreements]
    assert rows == [
        # web search: ours 0.01 per call, genai-prices 0.05: x5, the largest gap
        ("gpt-4o-2024-08-06", "web_search_call", {"genai-prices": D("0.05")}),
        # no 12-hour cache-write rate of ours: billed at the cache-write rate, 5; litellm 10
        ("gpt-5.6-sol", "cache_write_12h", {"litellm": D("10")}),
        # ours 10 (the pre-cut Fast price), both peers 8
        ("gpt-5.6-sol", "priority.input", {"genai-prices": D("8"), "litellm": D("8")}),
        # ours: long-context standard 8 (no long-context priority table); genai-prices 16
        ("gpt-5.6-sol", "lc.priority.input", {"genai-prices": D("16")}),
    ]
    assert a.triples() == 5 and a.failed
    sol = next(d for d in a.disagreements if d.dimension == "cache_write_12h")
    assert sol.ours.value == 5 and "billed at cache_write rate" in (sol.ours.derived or "")
    assert a.lacking == {
        "gpt-4o": {"priority.input": {"litellm": D("4.25")}},
        "gpt-image-1": {"per_image.high/1024x1024": {"litellm": D("0.167")}},
    }
    # a dated name we only price through the new-snapshot fallback (which warns) is "assumed"
    assert a.unresolved == {
        "gpt-5.6": {"litellm": ["gpt-5.6-sol-2026-12-01 (assumed)"]},
        "gpt-oss": {"genai-prices": ["gpt-oss-120b"]},
        "sora": {"litellm": ["sora-2"]},
    }
    assert a.unknown_to_peers == ["dall-e-3"]
    # names a peer prices under another of its ids (a shared entry, a regex rule)
    assert a.priced_as == {
        "gpt-4o-2024-08-06": {"genai-prices": "gpt-4o"},
        "o3-2025-04-16": {"genai-prices": "o3"},
    }


def test_audit_at_a_past_date(ours, gp, ll):
    a = run_audit(ours, [gp, ll], date(2025, 5, 1), today=TODAY)
    # o3 on 2025-05-01: ours 10 / 40 (before the 2025-06-10 cut); genai-prices states 2 / 8
    rows = {(d.model, d.dimension): d.peers for d in a.disagreements}
    assert rows[("o3-2025-04-16", "input")] == {"genai-prices": D("2")}
    assert rows[("o3-2025-04-16", "output")] == {"genai-prices": D("8")}
    # gpt-5.6-sol did not exist yet: neither compared nor listed as unresolved (only the
    # dated name we price by assumption is)
    assert not any(d.model == "gpt-5.6-sol" for d in a.disagreements)
    assert a.unresolved["gpt-5.6"] == {"litellm": ["gpt-5.6-sol-2026-12-01 (assumed)"]}


def test_undated_peer_is_skipped_where_our_price_changed_since(ours, gp, ll):
    a = run_audit(ours, [gp, ll], date(2026, 8, 1), today=TODAY)
    # litellm states today's prices; gpt-5.6-sol's changed on 2026-08-21, so it is not compared
    assert a.skipped_undated == {"litellm": 1}
    # genai-prices dates its periods: on 2026-08-01 it states 5 / 30, as we do
    assert not any(d.model == "gpt-5.6-sol" for d in a.disagreements)
    # gpt-4o (litellm), whisper-1 and gpt-realtime-whisper did not change: still compared
    assert a.compared["litellm"] == 5 + 1 + 1


def test_explanations_mark_stale_and_partial(ours, gp, ll, tmp_path):
    path = _explained(
        tmp_path,
        """
[[explained]]
model = "gpt-5.6-sol"
dimension = "priority.input"
peer = "genai-prices"
theirs = "8.00"
reason = "judged"

[[explained]]
model = "gpt-4o-2024-08-06"
dimension = "web_search_call"
peer = "genai-prices"
ours = "0.02"
reason = "covers another figure of ours: stale"

[[explained]]
model = "o3-2025-04-16"
dimension = "input"
peer = "litellm"
reason = "no such disagreement: stale"
""",
    )
    ex = load_explanations(path)
    a = run_audit(ours, [gp, ll], TODAY, today=TODAY, explanations=ex)
    sol = next(d for d in a.disagreements if d.dimension == "priority.input")
    assert sol.explained == {"genai-prices": "judged"}
    assert sol.unexplained() == ["litellm"]
    assert a.triples(explained=True) == 1 and a.triples(explained=False) == 4
    assert [(e.model, e.dimension) for e in a.stale] == [
        ("gpt-4o-2024-08-06", "web_search_call"),
        ("o3-2025-04-16", "input"),
    ]
    assert a.failed


def test_every_disagreement_explained_passes(ours, gp, ll, tmp_path):
    body = "".join(
        f'[[explained]]\nmodel = "{m}"\ndimension = "{c}"\npeer = "{p}"\nreason = "r"\n\n'
        for m, c, p in [
            ("gpt-4o-2024-08-06", "web_search_call", "genai-prices"),
            ("gpt-5.6-sol", "cache_write_12h", "litellm"),
            ("gpt-5.6-sol", "priority.input", "genai-prices"),
            ("gpt-5.6-sol", "priority.input", "litellm"),
            ("gpt-5.6-sol", "lc.priority.input", "genai-prices"),
        ]
    )
    a = run_audit(
        ours,
        [gp, ll],
        TODAY,
        today=TODAY,
        explanations=load_explanations(_explained(tmp_path, body)),
    )
    assert not a.failed and a.stale == [] and a.triples(explained=True) == 5
    # explained rows come after unexplained ones; here all are explained, still shown
    assert "Explained disagreements (5)" in render(a)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('[[explained]]\nmodel = "m"\ndimension = "input"\npeer = "litellm"\n', "'reason'"),
        (
            '[[explained]]\nmodel = "m"\ndimension = "input"\npeer = "p"\nreason = "r"\nwhy = 1\n',
            "unknown field(s) ['why']",
        ),
        (
            '[[explained]]\nmodel = "m"\ndimension = "input"\npeer = "p"\nreason = "r"\n'
            "ours = 2.5\n",
            "ours must be a decimal string",
        ),
        (
            '[[explained]]\nmodel = "m"\ndimension = "d"\npeer = "p"\nreason = "r"\n'
            '[[explained]]\nmodel = "m"\ndimension = "d"\npeer = "p"\nreason = "again"\n',
            "same entry as",
        ),
        ('[[explain]]\nmodel = "m"\n', "unknown section(s) ['explain']"),
    ],
)
def test_bad_explanations_name_the_entry_and_field(tmp_path, body, message):
    with pytest.raises(ValueError, match=r"explained\.toml") as e:
        load_explanations(_explained(tmp_path, body))
    assert message in str(e.value)


def test_report_fits_80_columns_and_json_round_trips(ours, gp, ll):
    a = run_audit(ours, [gp, ll], TODAY, today=TODAY)
    text = render(a, verbose=True)
    assert max(len(line) for line in text.splitlines()) <= 80
    assert "29 rates compared (genai-prices 16, litellm 13)" in text.replace("\n", " ")
    line = next(x for x in text.splitlines() if x.startswith("  web_search_call"))
    assert line.split() == ["web_search_call", "0.01", "0.05", "x5", "-"]
    assert text.rstrip().endswith("audit/explained.toml.")
    data = json.loads(json.dumps(as_json(a)))
    first = data["disagreements"][0]
    assert first["model"] == "gpt-4o-2024-08-06"
    assert first["peers"]["genai-prices"] == {"rate": "0.05", "ratio": "5", "explained": None}
    assert data["summary"]["unexplained"] == 5
    assert data["lacking"]["gpt-image-1"] == {"per_image.high/1024x1024": {"litellm": "0.167"}}


def test_family():
    assert family("gpt-6.2-sol-2026-11-17") == "gpt-6.2"
    assert family("gpt-image-2.5-flare") == "gpt-image"
    assert family("openai/sora-2-pro") == "sora"
    assert family("o3-deep-research") == "o3"


def test_genai_prices_python_objects_convert_to_the_json_shape():
    # genai-prices ships its data as Python objects; the converter reads them back into the
    # JSON shape: dataclass fields by name, `or_` as "or", rate objects by attribute
    @dataclass
    class Equals:
        equals: str

    @dataclass
    class Or:
        or_: list[Equals]

    class Price:
        def __init__(self) -> None:
            self.input_mtok = Decimal("2.5")
            self.output_mtok = None

    @dataclass
    class Model:
        id: str
        match: Or
        prices: Price
        price_variants: list[str] = field(default_factory=list)

    raw = _gp_to_raw(Model("x", Or([Equals("x"), Equals("x-1")]), Price()))
    assert raw == {
        "id": "x",
        "match": {"or": [{"equals": "x"}, {"equals": "x-1"}]},
        "prices": {"input_mtok": "2.5"},
        "price_variants": [],
    }


# --------------------------------------------------------------------------- the real file


def test_bundled_explanations_file_is_valid():
    path = ROOT / "src" / "openai_cost" / "data" / "prices" / "audit" / "explained.toml"
    entries = load_explanations(path)
    cat = Catalog.bundled()
    names = {e.id for e in cat.entries()} | set(cat.alias_names())
    for e in entries:
        assert e.model in names, e.where
        assert e.peer in ("genai-prices", "litellm"), e.where
        assert len(e.reason) > 20, e.where


# --------------------------------------------------------------------------- the command


def _main(*args: str) -> int:
    import audit_prices  # tools/audit_prices.py

    return audit_prices.main(
        [
            "--ours",
            str(FIX / "ours.toml"),
            "--genai-prices",
            str(FIX / "genai_prices.json"),
            "--litellm",
            str(FIX / "litellm_prices.json"),
            "--at",
            "2026-11-29",
            *args,
        ]
    )


def test_command_fails_while_a_disagreement_is_unexplained(tmp_path, capsys):
    empty = _explained(tmp_path, "")
    assert _main("--json", "--explained", str(empty)) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["date"] == "2026-11-29"
    assert data["summary"]["compared"] == 29 and data["summary"]["unexplained"] == 5


def test_command_passes_once_everything_is_explained(tmp_path, capsys):
    body = "".join(
        f'[[explained]]\nmodel = "{m}"\ndimension = "{c}"\npeer = "{p}"\nreason = "r"\n\n'
        for m, c, p in [
            ("gpt-4o-2024-08-06", "web_search_call", "genai-prices"),
            ("gpt-5.6-sol", "cache_write_12h", "litellm"),
            ("gpt-5.6-sol", "priority.input", "genai-prices"),
            ("gpt-5.6-sol", "priority.input", "litellm"),
            ("gpt-5.6-sol", "lc.priority.input", "genai-prices"),
        ]
    )
    assert _main("--explained", str(_explained(tmp_path, body))) == 0
    out = capsys.readouterr().out
    assert out.rstrip().endswith("OK: every disagreement is explained.")
    assert max(len(line) for line in out.splitlines()) <= 80


def test_command_rejects_a_bad_explanations_file(tmp_path, capsys):
    bad = _explained(tmp_path, '[[explained]]\nmodel = "m"\n')
    assert _main("--explained", str(bad)) == 2
    assert "explained[0]: missing field 'dimension'" in capsys.readouterr().err
    assert _main("--explained", str(tmp_path / "missing.toml")) == 2

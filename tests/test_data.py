"""The bundled price data itself: it parses, it is consistent, and it says what the sources say.

Expected figures are read from the project's billing reference (``openai-billing.md``, section
named in each comment) and from the original price table of 2025-01-08, never from the code under
test. Costs are worked out by hand as tokens x rate / 1,000,000.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator, Mapping
from datetime import date, timedelta
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from openai_cost import Usage, cost_of
from openai_cost.catalog import Catalog, ModelEntry
from openai_cost.errors import PriceNotInForceError, PricingError
from openai_cost.types import FEE_DIMENSIONS, TOKEN_DIMENSIONS, PricePeriod

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

D = Decimal
MTOK = D(1_000_000)


@pytest.fixture(scope="module")
def cat() -> Catalog:
    return Catalog.bundled()


@pytest.fixture(scope="module")
def raw() -> dict[str, Any]:
    text = (resources.files("openai_cost") / "data" / "prices" / "openai.toml").read_text("utf-8")
    return tomllib.loads(text)


def tables(p: PricePeriod) -> Iterator[tuple[str, Mapping[str, Decimal]]]:
    """Every rate table of a period, named."""
    yield "standard", p.standard
    for name in ("batch", "flex", "priority", "ultrafast"):
        t = getattr(p, name)
        if t is not None:
            yield name, t
    if p.long_context is not None:
        lc = p.long_context
        yield "long_context", lc.standard
        for name in ("batch", "flex", "priority", "ultrafast"):
            t = getattr(lc, name)
            if t is not None:
                yield f"long_context.{name}", t


def all_periods(cat: Catalog) -> Iterator[tuple[ModelEntry, PricePeriod]]:
    for e in cat.entries():
        for p in e.periods:
            yield e, p


# --------------------------------------------------------------------------- structure


def test_every_period_parses(cat: Catalog, raw: dict[str, Any]) -> None:
    raw_models = raw["models"]
    assert len(cat) == len(raw_models)
    assert sum(len(m["prices"]) for m in raw_models) == sum(len(e.periods) for e in cat)
    # the catalog covers every section of the reference's price list (3.1 to 3.10)
    for model in (
        "gpt-4o-2024-08-06",
        "gpt-4.1-2025-04-14",
        "o3-2025-04-16",
        "gpt-5",
        "gpt-5.4-pro",
        "gpt-5.6-sol",
        "gpt-6-astra",
        "gpt-realtime",
        "whisper-1",
        "tts-1",
        "gpt-image-1",
        "dall-e-3",
        "text-embedding-3-small",
        "ft:gpt-4o-mini-2024-07-18",
        "babbage-002",
        "omni-moderation-2024-09-26",
    ):
        assert model in {e.id for e in cat.entries()}, model


def test_every_period_names_its_source_and_confidence(raw: dict[str, Any]) -> None:
    for m in raw["models"]:
        for p in m["prices"]:
            where = f"{m['id']} since {p['since']}"
            assert "openai-billing.md" in p["source"] or "T-2501" in p["source"], where
            assert p.get("confidence") in ("H", "M", "L", "H/M", "M/L", "L/M"), where
            if p.get("since_exact") is False:
                # an inexact date must say what it is (first observation, release, assumption)
                assert p.get("note"), where
    for a in raw["aliases"]:
        assert a["source"], a["name"]
    for f in raw["tool_fees"]:
        assert f["source"]


def test_no_negative_rate(cat: Catalog) -> None:
    for e, p in all_periods(cat):
        for name, t in tables(p):
            for key, rate in t.items():
                assert rate >= 0, (e.id, p.since, name, key)
        for key, rate in p.per_image.items():
            assert rate > 0, (e.id, p.since, key)


def test_only_known_dimensions(cat: Catalog) -> None:
    known = set(TOKEN_DIMENSIONS) | set(FEE_DIMENSIONS)
    for e, p in all_periods(cat):
        for name, t in tables(p):
            assert set(t) <= known, (e.id, p.since, name)


def test_zero_rates_only_for_free_models(cat: Catalog) -> None:
    # moderation is free (2.7); nothing else may carry a zero rate (never a silent zero)
    for e, p in all_periods(cat):
        for name, t in tables(p):
            for key, rate in t.items():
                if rate == 0:
                    assert "moderation" in e.id, (e.id, name, key)


def test_cached_never_above_uncached(cat: Catalog) -> None:
    pairs = (
        ("cached_input", "input"),
        ("cached_audio_input", "audio_input"),
        ("cached_image_input", "image_input"),
    )
    for e, p in all_periods(cat):
        for name, t in tables(p):
            for cached, parent in pairs:
                if cached in t and parent in t:
                    assert t[cached] <= t[parent], (e.id, p.since, name, cached)


# Batch prices that the reference lists at something other than half of standard, and why.
BATCH_AS_LISTED = {
    # 3.10: "gpt-3.5-turbo-1106 | 1.00 | 2.00 | 1.00 / 2.00 (as listed)"
    ("gpt-3.5-turbo-1106", "input"),
    ("gpt-3.5-turbo-1106", "output"),
    # 3.10: "gpt-3.5-turbo-0613, gpt-3.5-0301 | 1.50 | 2.00 | 1.50 / 2.00 (as listed)"
    ("gpt-3.5-turbo-0613", "input"),
    ("gpt-3.5-turbo-0613", "output"),
    ("gpt-3.5-turbo-0301", "input"),
    ("gpt-3.5-turbo-0301", "output"),
    # 3.9: gpt-4.1 fine-tuned Batch "1.50 / 0.50 (sic) / 6.00" against a 0.75 cached price
    ("ft:gpt-4.1-2025-04-14", "cached_input"),
}


def test_batch_is_half_of_standard(cat: Catalog) -> None:
    seen_exceptions = set()
    checked = 0
    for e, p in all_periods(cat):
        if p.batch is None:
            continue
        for key, rate in p.batch.items():
            if key not in p.standard:
                continue
            checked += 1
            if (e.id, key) in BATCH_AS_LISTED:
                seen_exceptions.add((e.id, key))
                assert rate != p.standard[key] / 2, f"{e.id} {key} is half now: drop the exception"
                continue
            assert rate == p.standard[key] / 2, (e.id, p.since, key, rate, p.standard[key])
    assert checked > 200
    assert seen_exceptions == BATCH_AS_LISTED


def test_flex_equals_batch_where_both_are_listed(cat: Catalog) -> None:
    # 2.4: Flex is priced "at Batch API rates"; 3.3 "Batch = Flex"
    for e, p in all_periods(cat):
        if p.flex is not None and p.batch is not None:
            for key, rate in p.flex.items():
                if key in p.batch:
                    assert rate == p.batch[key], (e.id, p.since, key)


def test_batch_cached_rate_only_for_gpt5_and_later(cat: Catalog) -> None:
    # 2.2: the Batch tables list a cached price only for GPT-5-family and later models (and the
    # fine-tuned Batch table of 3.9); older models bill cached tokens at the batch input rate.
    for e, p in all_periods(cat):
        if p.batch is not None and "cached_input" in p.batch:
            # 6.1: image models' Batch cached input is 50% of the cached rate
            assert re.match(r"(gpt-[56]|ft:|gpt-image-)", e.id), e.id
    # and every GPT-5+ model with a cached price and a batch table lists its batch cached price
    for e, p in all_periods(cat):
        if re.match(r"gpt-[56]", e.id) and p.batch is not None and "cached_input" in p.standard:
            assert "cached_input" in p.batch, e.id


def test_cache_write_is_one_and_a_quarter_input_from_gpt56_on(cat: Catalog) -> None:
    # 2.2: cache writes are free before GPT-5.6 and bill at 1.25x input from GPT-5.6 on
    with_writes = set()
    for e, p in all_periods(cat):
        for name, t in tables(p):
            if "cache_write" in t:
                with_writes.add(e.id)
                if name.endswith("batch") and "input" not in t:
                    continue  # long-context batch derived at runtime
                assert t["cache_write"] == t["input"] * D("1.25"), (e.id, p.since, name)
    assert with_writes == {
        "gpt-5.6-sol",
        "gpt-5.6-terra",
        "gpt-5.6-luna",
        "gpt-6-astra",
        "gpt-6-sol",
        "gpt-6-luna",
        "gpt-6.1-sol",
        "gpt-6.1-terra",
        "gpt-6.2-astra",
        "gpt-6.2-sol",  # 6.1
        "gpt-5.6-cyber",  # 6.1: 15.625 = 1.25 x 12.50
    }


def test_long_context_is_2x_input_and_1_5x_output(cat: Catalog) -> None:
    # 2.6: above 272K input, input (and cached input, cache writes) 2x and output 1.5x
    models = set()
    for e, p in all_periods(cat):
        lc = p.long_context
        if lc is None:
            continue
        models.add(e.id)
        assert lc.threshold == 272_000
        for key, rate in lc.standard.items():
            factor = D("1.5") if key == "output" else D(2)
            assert rate == p.standard[key] * factor, (e.id, p.since, key)
    assert models == {
        "gpt-5.4",
        "gpt-5.4-pro",
        "gpt-5.5",
        "gpt-5.5-pro",
        "gpt-5.6-sol",
        "gpt-5.6-terra",
        "gpt-5.6-luna",
        "gpt-6-astra",
        "gpt-6-sol",
        "gpt-6-luna",  # 6.1
        "gpt-6.1-sol",
        "gpt-6.1-terra",  # 6.1
        "gpt-6.2-sol",  # 6.1
    }


def test_periods_are_increasing_and_start_with_the_model(cat: Catalog) -> None:
    for e in cat.entries():
        days = [p.since for p in e.periods]
        assert days == sorted(days) and len(set(days)) == len(days), e.id
        for p in e.periods:
            # nothing after the reference's date (2026-11-29) but a change announced for a date
            if p.since > date(2026, 11, 29):
                assert p.note is not None and p.note.startswith("SCHEDULED"), (e.id, p.since)


def test_every_model_has_an_encoding(cat: Catalog) -> None:
    # cl100k_base: GPT-4, GPT-3.5, the text-embedding-3 / ada-002 family, davinci-002,
    # babbage-002 (and the 2023-era per-unit models, where it only counts prompt text);
    # o200k_base: GPT-4o and everything newer.
    cl100k = re.compile(
        r"(ft:)?(gpt-4-|gpt-4$|gpt-3\.5|text-embedding|davinci|babbage|whisper|tts-1|dall-e|"
        r"text-moderation)"
    )
    for e in cat.entries():
        assert e.encoding in ("o200k_base", "cl100k_base"), e.id
        expected = "cl100k_base" if cl100k.match(e.id) else "o200k_base"
        assert e.encoding == expected, e.id


# --------------------------------------------------------------------------- names


def test_every_name_belongs_to_exactly_one_model(raw: dict[str, Any]) -> None:
    owner: dict[str, str] = {}
    for m in raw["models"]:
        for name in (m["id"], *m.get("aliases", [])):
            key = name.lower()
            assert key not in owner, f"{name} is used by {owner.get(key)} and {m['id']}"
            owner[key] = m["id"]
    for a in raw["aliases"]:
        key = a["name"].lower()
        assert key not in owner, f"floating name {a['name']} is also {owner.get(key)}"
        owner[key] = "alias"


def test_every_alias_resolves_to_one_model(cat: Catalog, raw: dict[str, Any]) -> None:
    ids = {e.id for e in cat.entries()}
    for a in raw["aliases"]:
        targets = sorted((t["since"], t["model"]) for t in a["targets"])
        for i, (since, model) in enumerate(targets):
            assert model in ids, (a["name"], model)
            entry = cat.entry(model)
            first = entry.periods[0].since
            start = max(date.fromisoformat(since), first)
            end = (
                date.fromisoformat(targets[i + 1][0]) - timedelta(days=1)
                if i + 1 < len(targets)
                else date(2026, 11, 28)
            )
            for day in (start, end):
                if day < start:
                    continue
                mp = cat.resolve(a["name"], day)
                assert mp.model == model, (a["name"], day)
                assert mp.requested == a["name"].lower()
    for e in cat.entries():
        for name in (e.id, *e.aliases):
            assert cat.resolve(name, e.periods[-1].since).model == e.id


def test_ft_entries_list_the_other_snapshot_names(cat: Catalog) -> None:
    ft = {e.id: e for e in cat.entries() if e.id.startswith("ft:")}
    assert set(ft) == {
        "ft:gpt-4o-2024-08-06",
        "ft:gpt-4o-mini-2024-07-18",
        "ft:gpt-4.1-2025-04-14",
        "ft:gpt-4.1-mini-2025-04-14",
        "ft:gpt-4.1-nano-2025-04-14",
        "ft:o4-mini-2025-04-16",
        "ft:gpt-3.5-turbo",
        "ft:davinci-002",
        "ft:babbage-002",
    }
    assert set(ft["ft:gpt-3.5-turbo"].aliases) == {
        "ft:gpt-3.5-turbo-0125",
        "ft:gpt-3.5-turbo-1106",
        "ft:gpt-3.5-turbo-0613",
    }
    assert all(e.fine_tuned for e in ft.values())
    # each ft: entry's base exists as a model (or floating name) of the catalog
    for fid in ft:
        assert cat.resolve(fid[3:], "2026-01-01").model


# --------------------------------------------------------------------------- 2025-01-08 table

# The 33 rows of original-price-table-2025-01-08.md (USD per 1K tokens), cell for cell.
# Columns: Input, Batch Input, Cached Input, Output, Batch Output, Text Input, Text Output,
# Audio Input, Audio Output. "" is an empty cell. This copy is the source of truth when the
# shared reference file is not next to the repository.
COLUMNS = (
    "input",
    "batch_input",
    "cached_input",
    "output",
    "batch_output",
    "text_input",
    "text_output",
    "audio_input",
    "audio_output",
)
# fmt: off
TABLE_2025_01_08: tuple[tuple[str, ...], ...] = (
    ("gpt-4o", "0.00250", "0.00125", "0.00125", "0.01000", "0.00500", "", "", "", ""),
    ("gpt-4o-2024-11-20", "0.00250", "0.00125", "0.00125", "0.01000", "0.00500", "", "", "", ""),
    ("gpt-4o-2024-08-06", "0.00250", "0.00125", "0.00125", "0.01000", "0.00500", "", "", "", ""),
    ("gpt-4o-audio-preview", "", "", "", "", "", "0.00250", "0.01000", "0.10000", "0.20000"),
    ("gpt-4o-audio-preview-2024-12-17", "", "", "", "", "", "0.00250", "0.01000", "0.04000",
     "0.08000"),
    ("gpt-4o-audio-preview-2024-10-01", "", "", "", "", "", "0.00250", "0.01000", "0.10000",
     "0.20000"),
    ("gpt-4o-2024-05-13", "0.00500", "0.00250", "", "0.01500", "0.00750", "", "", "", ""),
    ("gpt-4o-mini", "0.000150", "0.000075", "0.000075", "0.000600", "0.000300", "", "", "", ""),
    ("gpt-4o-mini-2024-07-18", "0.000150", "0.000075", "0.000075", "0.000600", "0.000300", "",
     "", "", ""),
    ("gpt-4o-mini-audio-preview", "", "", "", "", "", "0.000150", "0.000600", "0.010000",
     "0.020000"),
    ("gpt-4o-mini-audio-preview-2024-12-17", "", "", "", "", "", "0.000150", "0.000600",
     "0.010000", "0.020000"),
    ("o1", "0.0150", "", "0.0075", "0.0600", "", "", "", "", ""),
    ("o1-2024-12-17", "0.0150", "", "0.0075", "0.0600", "", "", "", "", ""),
    ("o1-preview", "0.0150", "", "0.0075", "0.0600", "", "", "", "", ""),
    ("o1-preview-2024-09-12", "0.0150", "", "0.0075", "0.0600", "", "", "", "", ""),
    ("o1-mini", "0.0030", "", "0.0015", "0.0120", "", "", "", "", ""),
    ("o1-mini-2024-09-12", "0.0030", "", "0.0015", "0.0120", "", "", "", "", ""),
    ("chatgpt-4o-latest", "0.0050", "", "", "0.0150", "", "", "", "", ""),
    ("gpt-4-turbo", "0.0100", "", "", "0.0300", "", "", "", "", ""),
    ("gpt-4-turbo-2024-04-09", "0.0100", "", "", "0.0300", "", "", "", "", ""),
    ("gpt-4", "0.0300", "", "", "0.0600", "", "", "", "", ""),
    ("gpt-4-32k", "0.0600", "", "", "0.1200", "", "", "", "", ""),
    ("gpt-4-0125-preview", "0.0100", "", "", "0.0300", "", "", "", "", ""),
    ("gpt-4-1106-preview", "0.0100", "", "", "0.0300", "", "", "", "", ""),
    ("gpt-4-vision-preview", "0.0100", "", "", "0.0300", "", "", "", "", ""),
    ("gpt-3.5-turbo-0125", "0.0005", "", "", "0.0015", "", "", "", "", ""),
    ("gpt-3.5-turbo-instruct", "0.0015", "", "", "0.0020", "", "", "", "", ""),
    ("gpt-3.5-turbo-1106", "0.0010", "", "", "0.0020", "", "", "", "", ""),
    ("gpt-3.5-turbo-0613", "0.0015", "", "", "0.0020", "", "", "", "", ""),
    ("gpt-3.5-turbo-16k-0613", "0.0030", "", "", "0.0040", "", "", "", "", ""),
    ("gpt-3.5-turbo-0301", "0.0015", "", "", "0.0020", "", "", "", "", ""),
    ("davinci-002", "0.0020", "", "", "0.0020", "", "", "", "", ""),
    ("babbage-002", "0.0004", "", "", "0.0004", "", "", "", "", ""),
)
# fmt: on

SHARED_TABLE = (
    Path(__file__).resolve().parents[2]
    / "shared"
    / "reference"
    / "original-price-table-2025-01-08.md"
)


def parse_markdown_table(text: str) -> tuple[tuple[str, ...], ...]:
    rows = []
    for line in text.splitlines():
        if not line.startswith("|"):
            continue
        cells = tuple(c.strip() for c in line.strip().strip("|").split("|"))
        if cells[0] in ("Model", "") or set(cells[0]) <= {"-", " "}:
            continue
        assert len(cells) == 1 + len(COLUMNS), line
        rows.append(cells)
    return tuple(rows)


def table_rows() -> tuple[tuple[str, ...], ...]:
    if SHARED_TABLE.is_file():
        return parse_markdown_table(SHARED_TABLE.read_text(encoding="utf-8"))
    return TABLE_2025_01_08


def test_inline_table_matches_the_shared_file() -> None:
    assert len(TABLE_2025_01_08) == 33
    if not SHARED_TABLE.is_file():
        pytest.skip("shared reference not next to the repository: the inline copy is used")
    assert parse_markdown_table(SHARED_TABLE.read_text(encoding="utf-8")) == TABLE_2025_01_08


def expected_rates(cells: tuple[str, ...]) -> tuple[dict[str, Decimal], dict[str, Decimal]]:
    """(standard, batch) per 1M tokens from one row's per-1K cells."""
    key_of = {
        "input": ("standard", "input"),
        "text_input": ("standard", "input"),
        "cached_input": ("standard", "cached_input"),
        "output": ("standard", "output"),
        "text_output": ("standard", "output"),
        "audio_input": ("standard", "audio_input"),
        "audio_output": ("standard", "audio_output"),
        "batch_input": ("batch", "input"),
        "batch_output": ("batch", "output"),
    }
    out: dict[str, dict[str, Decimal]] = {"standard": {}, "batch": {}}
    for column, cell in zip(COLUMNS, cells, strict=True):
        if cell:
            table, key = key_of[column]
            assert key not in out[table], (column, cells)
            out[table][key] = D(cell) * 1000
    return out["standard"], out["batch"]


@pytest.mark.parametrize("row", table_rows(), ids=lambda r: r[0])
def test_2025_01_08_table_cell_by_cell(cat: Catalog, row: tuple[str, ...]) -> None:
    name, *cells = row
    standard, batch = expected_rates(tuple(cells))
    mp = cat.resolve(name, at="2025-01-08")
    p = mp.period
    # exactly the listed rates: nothing more (no cached rate where the cell is empty, no audio
    # rate on text models, no tool fee yet), nothing less
    assert dict(p.standard) == standard
    if batch:
        assert p.batch is not None and dict(p.batch) == batch
    else:
        assert p.batch is None, "no batch price was listed on 2025-01-08"
    # no tier the table did not know (Flex launched 2025-04-17, Priority ~2025-06-26)
    assert p.flex is None and p.priority is None and p.long_context is None
    assert not p.per_image


def test_2025_01_08_table_prices_a_call_like_the_original_notebook(cat: Catalog) -> None:
    # The original notebook: input_price * prompt_tokens / 1000 + output_price * completion / 1000
    # gpt-4-32k: 0.0600 / 1K in, 0.1200 / 1K out -> 1500 x 0.06/1000 + 500 x 0.12/1000
    cost = cost_of(
        Usage(input_tokens=1500, output_tokens=500), model="gpt-4-32k", at="2025-01-08", prices=cat
    )
    assert cost.total == D("0.09") + D("0.06")
    # davinci-002 (priced at $0 by the old JSON's mislabelled key): 0.0020 / 1K both ways
    cost = cost_of(
        Usage(input_tokens=1000, output_tokens=1000),
        model="davinci-002",
        at="2025-01-08",
        prices=cat,
    )
    assert cost.total == D("0.004")


# --------------------------------------------------------------------------- history


def price(cat: Catalog, model: str, at: str, usage: Usage, **kw: Any) -> Decimal:
    return cost_of(usage, model=model, at=at, prices=cat, **kw).total


O3_USAGE = Usage(
    input_tokens=1_000_000, cached_tokens=200_000, output_tokens=100_000, reasoning_tokens=60_000
)


@pytest.mark.parametrize(
    ("at", "tier", "expected"),
    [
        # 3.2: o3 launch 2025-04-16 at $10 in / $2.50 cached / $40 out:
        # 800,000 x 10 + 200,000 x 2.50 + 100,000 x 40 (reasoning is output) = 8 + 0.5 + 4
        ("2025-04-16", None, D("12.5")),
        ("2025-06-09", None, D("12.5")),
        # Flex at launch $5 / $20, cached half of $2.50 = $1.25: 4 + 0.25 + 2
        ("2025-06-09", "flex", D("6.25")),
        # 3.2: 80% cut on 2025-06-10 to $2 / $0.50 / $8: 1.6 + 0.1 + 0.8
        ("2025-06-10", None, D("2.5")),
        # Flex after the cut $1 / $0.25 / $4: 0.8 + 0.05 + 0.4
        ("2025-06-10", "flex", D("1.25")),
    ],
)
def test_o3_price_cut(cat: Catalog, at: str, tier: str | None, expected: Decimal) -> None:
    assert price(cat, "o3", at, O3_USAGE, tier=tier) == expected


def test_o3_before_launch_has_no_price_in_force(cat: Catalog) -> None:
    with pytest.raises(PriceNotInForceError, match="first price is from 2025-04-16"):
        cat.resolve("o3", "2025-04-15")


def test_o3_priority_only_after_priority_processing_launched(cat: Catalog) -> None:
    assert cat.resolve("o3", "2025-06-25").period.priority is None
    # 3.2 priority $3.50 / $0.875 / $14: 800,000 x 3.5 + 200,000 x 0.875 + 100,000 x 14
    assert price(cat, "o3", "2025-06-26", O3_USAGE, tier="priority") == D("2.8") + D("0.175") + D(
        "1.4"
    )


def test_o1_mini_launch_then_cut(cat: Catalog) -> None:
    u = Usage(input_tokens=10_000, cached_tokens=2_000, output_tokens=1_000)
    # 3.2 / PC-2410 launch $3 / $1.50 / $12: 8,000 x 3 + 2,000 x 1.5 + 1,000 x 12
    assert price(cat, "o1-mini", "2024-09-12", u) == D("0.024") + D("0.003") + D("0.012")
    assert price(cat, "o1-mini", "2025-01-30", u) == D("0.039")
    # cut to $1.10 / $0.55 / $4.40 (since 2025-01-31, inexact): 8.8e-3 + 1.1e-3 + 4.4e-3
    assert price(cat, "o1-mini", "2025-01-31", u) == D("0.0143")
    p = cat.resolve("o1-mini", "2025-01-31").period
    assert p.since_exact is False and p.confidence == "L"


def test_o1_batch_only_appears_later(cat: Catalog) -> None:
    assert cat.resolve("o1", "2025-01-08").period.batch is None
    # 3.2: o1 batch $7.50 / $30 (first seen P-2507): 1,000 x 7.5 + 1,000 x 30
    u = Usage(input_tokens=1_000, output_tokens=1_000)
    assert price(cat, "o1", "2025-07-01", u, batch=True) == D("0.0375")


AUDIO = Usage(
    input_tokens=1_100, audio_input_tokens=1_000, output_tokens=600, audio_output_tokens=500
)


def test_realtime_preview_audio_cut(cat: Catalog) -> None:
    # 3.5: 2024-10-01 preview text $5 / $20, audio $100 / $200:
    # 100 x 5 + 1,000 x 100 + 100 x 20 + 500 x 200 = 0.0005 + 0.1 + 0.002 + 0.1
    assert price(cat, "gpt-4o-realtime-preview", "2024-12-16", AUDIO) == D("0.2025")
    assert cat.resolve("gpt-4o-realtime-preview", "2024-12-16").model == (
        "gpt-4o-realtime-preview-2024-10-01"
    )
    # 2024-12-17 snapshot: audio $40 / $80: 0.0005 + 0.04 + 0.002 + 0.04
    assert price(cat, "gpt-4o-realtime-preview", "2024-12-17", AUDIO) == D("0.0825")
    assert price(cat, "gpt-4o-realtime-preview-2024-12-17", "2024-12-17", AUDIO) == D("0.0825")


def test_realtime_preview_2024_10_01_cached_audio(cat: Catalog) -> None:
    # cached audio on the 2024-10-01 snapshot is $20 / 1M (the pricing page as quoted in
    # 2024-12), not its $100 audio input rate. 1,100 input: 1,000 audio of which 400 cached:
    # 400 x 20 + 600 x 100 + 100 x 5 = 0.008 + 0.06 + 0.0005
    u = Usage(
        input_tokens=1_100, audio_input_tokens=1_000, cached_tokens=400, cached_audio_tokens=400
    )
    assert price(cat, "gpt-4o-realtime-preview-2024-10-01", "2024-12-16", u) == D("0.0685")


@pytest.mark.parametrize(
    ("model", "tier", "expected"),
    [
        # gpt-6.1-terra: input 1.00, cache write 1.25, 12-hour write 2.50 (2x, litellm; the
        # ratio of gpt-6.2-sol's page). 10,000 input: 4,000 written, 1,000 of them for 12 hours:
        # 1,000 x 2.50 + 3,000 x 1.25 + 6,000 x 1.00 = 0.0025 + 0.00375 + 0.006
        ("gpt-6.1-terra", None, D("0.01225")),
        # Fast: 2x every rate: 1,000 x 5.00 + 3,000 x 2.50 + 6,000 x 2.00
        ("gpt-6.1-terra", "priority", D("0.0245")),
        # gpt-5.6-sol after the 2026-08-21 cut: input 4, write 5, 12-hour write 10:
        # 1,000 x 10 + 3,000 x 5 + 6,000 x 4 = 0.01 + 0.015 + 0.024
        ("gpt-5.6-sol", None, D("0.049")),
    ],
)
def test_twelve_hour_cache_writes_cost_twice_the_cache_write(
    cat: Catalog, model: str, tier: str | None, expected: Decimal
) -> None:
    u = Usage(input_tokens=10_000, cache_write_tokens=4_000, cache_write_12h_tokens=1_000)
    assert price(cat, model, "2026-11-29", u, tier=tier) == expected


def test_audio_preview_alias_moves_after_the_original_table(cat: Catalog) -> None:
    # T-2501: gpt-4o-audio-preview at $2.50 / $10 text, $100 / $200 audio on 2025-01-08
    # 100 x 2.5 + 1,000 x 100 + 100 x 10 + 500 x 200 = 0.00025 + 0.1 + 0.001 + 0.1
    assert price(cat, "gpt-4o-audio-preview", "2025-01-08", AUDIO) == D("0.20125")
    # 3.5: later $40 / $80 (2025-06-03 snapshot): 0.00025 + 0.04 + 0.001 + 0.04
    assert price(cat, "gpt-4o-audio-preview", "2025-07-01", AUDIO) == D("0.08125")
    # the mini audio preview: $0.15 / $0.60 text, $10 / $20 audio (3.5, T-2501):
    # 100 x 0.15 + 1,000 x 10 + 100 x 0.6 + 500 x 20
    assert price(cat, "gpt-4o-mini-audio-preview", "2025-01-08", AUDIO) == D("0.020075")


def test_gpt4o_alias_moved_on_2024_10_02(cat: Catalog) -> None:
    u = Usage(input_tokens=1_000, output_tokens=1_000)
    # 3.1: gpt-4o-2024-05-13 $5 / $15 -> 0.005 + 0.015
    assert cat.resolve("gpt-4o", "2024-10-01").model == "gpt-4o-2024-05-13"
    assert price(cat, "gpt-4o", "2024-10-01", u) == D("0.02")
    # gpt-4o-2024-08-06 $2.50 / $10 -> 0.0025 + 0.01
    assert cat.resolve("gpt-4o", "2024-10-02").model == "gpt-4o-2024-08-06"
    assert price(cat, "gpt-4o", "2024-10-02", u) == D("0.0125")


def test_gpt35_turbo_alias_moved_to_0125(cat: Catalog) -> None:
    u = Usage(input_tokens=1_000, output_tokens=1_000)
    # 3.10: gpt-3.5-turbo-0613 $1.50 / $2.00, gpt-3.5-turbo-0125 $0.50 / $1.50
    assert price(cat, "gpt-3.5-turbo", "2024-02-15", u) == D("0.0035")
    assert price(cat, "gpt-3.5-turbo", "2024-02-16", u) == D("0.002")


# 100,000 input of which 20,000 cached and 10,000 written to the cache, 10,000 output
CW = Usage(
    input_tokens=100_000, cached_tokens=20_000, cache_write_tokens=10_000, output_tokens=10_000
)


@pytest.mark.parametrize(
    ("model", "at", "expected"),
    [
        # 3.4 Terra before the cut: 70,000 x 2.50 + 20,000 x 0.25 + 10,000 x 3.125 + 10,000 x 15
        ("gpt-5.6-terra", "2026-07-29", D("0.175") + D("0.005") + D("0.03125") + D("0.15")),
        # after the 2026-07-30 cut: x 2.00, 0.20, 2.50, 12.00
        ("gpt-5.6-terra", "2026-07-30", D("0.14") + D("0.004") + D("0.025") + D("0.12")),
        # Luna before: x 1.00, 0.10, 1.25, 6.00
        ("gpt-5.6-luna", "2026-07-29", D("0.07") + D("0.002") + D("0.0125") + D("0.06")),
        # Luna after: x 0.20, 0.02, 0.25, 1.20
        ("gpt-5.6-luna", "2026-07-30", D("0.014") + D("0.0004") + D("0.0025") + D("0.012")),
        # Sol before the promo: x 5.00, 0.50, 6.25, 30.00
        ("gpt-5.6-sol", "2026-08-20", D("0.35") + D("0.01") + D("0.0625") + D("0.30")),
        # Sol promo from 2026-08-21: x 4.00, 0.40, 5.00 (presumed), 20.00
        ("gpt-5.6-sol", "2026-08-21", D("0.28") + D("0.008") + D("0.05") + D("0.20")),
        # still the promo on 2026-11-28: the data assumes it lasts until a source ends it
        ("gpt-5.6-sol", "2026-11-28", D("0.538")),
    ],
)
def test_gpt56_price_changes(cat: Catalog, model: str, at: str, expected: Decimal) -> None:
    assert price(cat, model, at, CW) == expected


def test_sol_promo_states_its_end_assumption(cat: Catalog) -> None:
    p = cat.resolve("gpt-5.6-sol", "2026-11-28").period
    assert p.since == date(2026, 8, 21)
    assert p.note is not None and "until a source gives its end" in p.note
    assert "2026-11-21" in p.source


def test_gpt56_fast_after_terra_cut(cat: Catalog) -> None:
    # 3.4: Terra Fast after the cut 4 / 0.40 / 24 (cache write derived 1.25 x 4 = 5):
    # 70,000 x 4 + 20,000 x 0.4 + 10,000 x 5 + 10,000 x 24
    assert price(cat, "gpt-5.6-terra", "2026-07-30", CW, tier="fast") == (
        D("0.28") + D("0.008") + D("0.05") + D("0.24")
    )


def test_cache_writes_are_free_before_gpt56(cat: Catalog) -> None:
    # 2.2: gpt-5.5 has no write price: written tokens bill at the plain input rate $5
    # 80,000 x 5 (70,000 plain + 10,000 written) + 20,000 x 0.50 + 10,000 x 30
    assert price(cat, "gpt-5.5", "2026-05-01", CW) == D("0.4") + D("0.01") + D("0.3")


def test_sol_long_context_applies_to_the_whole_request(cat: Catalog) -> None:
    # 2.6 / 3.4: above 272K input, 2x input and 1.5x output for the whole request:
    # gpt-5.6-sol before the promo: 300,000 x 10 + 10,000 x 45
    u = Usage(input_tokens=300_000, output_tokens=10_000)
    assert price(cat, "gpt-5.6-sol", "2026-07-10", u) == D("3.45")
    # at exactly 272,000 it stays standard: 272,000 x 5 + 10,000 x 30
    u = Usage(input_tokens=272_000, output_tokens=10_000)
    assert price(cat, "gpt-5.6-sol", "2026-07-10", u) == D("1.66")


def test_gpt5_batch_has_a_cached_discount_gpt4o_does_not(cat: Catalog) -> None:
    u = Usage(input_tokens=10_000, cached_tokens=8_000, output_tokens=1_000)
    # 3.3 gpt-5 batch 0.625 / 0.0625 / 5: 2,000 x 0.625 + 8,000 x 0.0625 + 1,000 x 5
    assert price(cat, "gpt-5", "2025-09-01", u, batch=True) == D("0.00675")
    # 3.1 gpt-4o batch 1.25 / 5, cached "—": cached at the batch input rate
    # 10,000 x 1.25 + 1,000 x 5
    assert price(cat, "gpt-4o", "2025-09-01", u, batch=True) == D("0.0175")


def test_legacy_batch_appears_with_p2511(cat: Catalog) -> None:
    assert cat.resolve("gpt-4-turbo", "2025-11-14").period.batch is None
    p = cat.resolve("gpt-4-turbo", "2025-11-15").period
    assert p.batch is not None and p.since_exact is False
    # 3.10: gpt-4-turbo batch $5 / $15: 1,000 x 5 + 1,000 x 15
    u = Usage(input_tokens=1_000, output_tokens=1_000)
    assert price(cat, "gpt-4-turbo", "2025-11-15", u, batch=True) == D("0.02")
    # gpt-3.5-turbo-1106 batch is listed at the standard price (as listed): 1,000 x 1 + 1,000 x 2
    assert price(cat, "gpt-3.5-turbo-1106", "2026-01-01", u, batch=True) == D("0.003")


def test_per_unit_models(cat: Catalog) -> None:
    # 3.6 whisper-1 $0.006 / minute: 90 s = 1.5 min
    assert price(cat, "whisper-1", "2025-01-01", Usage(audio_seconds=D(90))) == D("0.009")
    # 3.6 tts-1 $15 / 1M characters, tts-1-hd $30: 2,000 characters
    assert price(cat, "tts-1", "2025-01-01", Usage(characters=2_000)) == D("0.03")
    assert price(cat, "tts-1-hd", "2025-01-01", Usage(characters=2_000)) == D("0.06")
    # 3.7 DALL-E 3 HD 1024x1792 $0.12 per image, DALL-E 2 1024x1024 $0.020
    hd = Usage(images=2, image_size="1024x1792", image_quality="hd")
    assert price(cat, "dall-e-3", "2025-01-01", hd) == D("0.24")
    small = Usage(images=3, image_size="1024x1024", image_quality="standard")
    assert price(cat, "dall-e-2", "2025-01-01", small) == D("0.06")


def test_moderation_is_free_and_says_so(cat: Catalog) -> None:
    # 2.7: moderation is free
    cost = cost_of(
        Usage(input_tokens=5_000), model="omni-moderation-latest", at="2025-01-01", prices=cat
    )
    assert cost.total == 0
    assert [ln.rate for ln in cost.lines] == [D(0)]


# --------------------------------------------------------------------------- section 6 (2026-11-29)

# a long-context request: 300,000 input of which 100,000 cached and 50,000 written to the
# cache, 10,000 output
LC = Usage(
    input_tokens=300_000, cached_tokens=100_000, cache_write_tokens=50_000, output_tokens=10_000
)


def test_every_file_carries_its_version(raw: dict[str, Any]) -> None:
    from openai_cost.catalog import _bundled_file, _bundled_updated

    assert raw["schema"] == 1
    assert raw["updated"] == "2026-11-29"
    # the shortcut that reads the date without parsing the file agrees with the parser
    assert _bundled_updated("openai.toml") == _bundled_file("openai.toml").updated
    assert str(_bundled_updated("openai.toml")) == raw["updated"]


@pytest.mark.parametrize(
    ("at", "tier", "batch", "expected"),
    [
        # 6.1 gpt-6.2-sol: 70,000 x 2.00 + 20,000 x 0.10 + 10,000 x 2.50 (30-min write)
        # + 10,000 x 10.00 = 0.14 + 0.002 + 0.025 + 0.10
        ("2026-11-17", None, False, D("0.267")),
        # Batch 50%: x 1.00, 0.05, 1.25, 5.00
        ("2026-11-20", None, True, D("0.07") + D("0.001") + D("0.0125") + D("0.05")),
        # Fast 2x: x 4, 0.20, 5, 20
        ("2026-11-20", "fast", False, D("0.28") + D("0.004") + D("0.05") + D("0.2")),
        # Ultrafast 3x through 2027-02-28: x 6, 0.30, 7.50, 30
        ("2027-02-28", "ultrafast", False, D("0.42") + D("0.006") + D("0.075") + D("0.3")),
        # Ultrafast 6x from 2027-03-01: x 12, 0.60, 15, 60
        ("2027-03-01", "ultrafast", False, D("0.84") + D("0.012") + D("0.15") + D("0.6")),
    ],
)
def test_gpt62_sol(cat: Catalog, at: str, tier: str | None, batch: bool, expected: Decimal) -> None:
    assert price(cat, "gpt-6.2-sol", at, CW, tier=tier, batch=batch) == expected


def test_gpt62_sol_long_context(cat: Catalog) -> None:
    # 6.1: above 272K, input and cache rates 2x, output 1.5x for the whole request:
    # 150,000 x 4 + 100,000 x 0.20 + 50,000 x 5 + 10,000 x 15 = 0.6 + 0.02 + 0.25 + 0.15
    assert price(cat, "gpt-6.2-sol", "2026-11-20", LC) == D("1.02")
    # Fast "twice the Standard rate for the same context length": x 8, 0.40, 10, 30
    assert price(cat, "gpt-6.2-sol", "2026-11-20", LC, tier="fast") == D("2.04")
    # no long-context Ultrafast price is published, and no Flex price at all: errors
    with pytest.raises(PricingError, match="long-context ultrafast"):
        price(cat, "gpt-6.2-sol", "2026-11-20", LC, tier="ultrafast")
    with pytest.raises(PricingError, match="no flex price"):
        price(cat, "gpt-6.2-sol", "2026-11-20", CW, tier="flex")


def test_gpt56_sol_fast_follows_the_cut(cat: Catalog) -> None:
    # 3.4: before 2026-08-21 Fast 10 / 1 / 12.50 / 60:
    # 70,000 x 10 + 20,000 x 1 + 10,000 x 12.50 + 10,000 x 60 = 0.7 + 0.02 + 0.125 + 0.6
    assert price(cat, "gpt-5.6-sol", "2026-08-20", CW, tier="fast") == D("1.445")
    # 6.1: from 2026-08-21 Fast 8 / 0.80 / 10 / 40: 0.56 + 0.016 + 0.1 + 0.4
    assert price(cat, "gpt-5.6-sol", "2026-08-21", CW, tier="fast") == D("1.076")
    # 6.1 long context + Fast: 2x the long-context standard (8 / 0.80 / 10 / 30) = 16 / 1.6 /
    # 20 / 60: 150,000 x 16 + 100,000 x 1.6 + 50,000 x 20 + 10,000 x 60 = 2.4 + 0.16 + 1 + 0.6
    assert price(cat, "gpt-5.6-sol", "2026-09-01", LC, tier="fast") == D("4.16")


def test_ultrafast_where_a_price_is_public_and_an_error_elsewhere(cat: Catalog) -> None:
    # 6.1 gpt-6-astra Ultrafast 6x = 60 / 6 / 75 / 300 from its GA on 2026-09-29:
    # 70,000 x 60 + 20,000 x 6 + 10,000 x 75 + 10,000 x 300 = 4.2 + 0.12 + 0.75 + 3
    assert price(cat, "gpt-6-astra", "2026-09-29", CW, tier="ultrafast") == D("8.07")
    with pytest.raises(PricingError, match="ultrafast"):
        price(cat, "gpt-6-astra", "2026-09-28", CW, tier="ultrafast")
    # 6.1: gpt-5.6-sol and gpt-6.1-sol have no public Ultrafast price
    for model in ("gpt-5.6-sol", "gpt-6.1-sol", "gpt-5"):
        with pytest.raises(PricingError, match="ultrafast"):
            price(cat, model, "2026-11-20", CW, tier="ultrafast")
    with_ultrafast = {e.id for e, p in all_periods(cat) if p.ultrafast is not None}
    assert with_ultrafast == {"gpt-6-astra", "gpt-6.2-sol"}


@pytest.mark.parametrize(
    ("model", "usage", "tier", "expected"),
    [
        # 6.1 gpt-6-luna Fast 0.20 / 0.02 / 0.25 / 1.00:
        # 70,000 x 0.2 + 20,000 x 0.02 + 10,000 x 0.25 + 10,000 x 1
        ("gpt-6-luna", CW, "fast", D("0.014") + D("0.0004") + D("0.0025") + D("0.01")),
        # 6.1 gpt-6-luna >272K 0.20 / 0.02 / 0.25 / 0.75:
        # 150,000 x 0.2 + 100,000 x 0.02 + 50,000 x 0.25 + 10,000 x 0.75
        ("gpt-6-luna", LC, None, D("0.03") + D("0.002") + D("0.0125") + D("0.0075")),
        # 6.1 gpt-6-sol Fast 4 / 0.40 / 5 / 20: 0.28 + 0.008 + 0.05 + 0.2
        ("gpt-6-sol", CW, "fast", D("0.538")),
        # 6.1 gpt-6.1-terra Fast 2 / 0.10 / 2.50 / 10: 0.14 + 0.002 + 0.025 + 0.1
        ("gpt-6.1-terra", CW, "fast", D("0.267")),
        # 6.1 gpt-6.1-terra >272K 2 / 0.10 / 2.50 / 7.50, Fast 2x of that = 4 / 0.20 / 5 / 15:
        # 150,000 x 4 + 100,000 x 0.2 + 50,000 x 5 + 10,000 x 15
        ("gpt-6.1-terra", LC, "fast", D("0.6") + D("0.02") + D("0.25") + D("0.15")),
    ],
)
def test_gpt6_fast_and_long_context(
    cat: Catalog, model: str, usage: Usage, tier: str | None, expected: Decimal
) -> None:
    assert price(cat, model, "2026-11-20", usage, tier=tier) == expected


GPT56_AND_LATER = re.compile(r"gpt-(5\.6|6)")


def test_fast_is_twice_standard_from_gpt56_on(cat: Catalog) -> None:
    # 2.5 and 6.1: Fast 2x for GPT-5.6 and GPT-6.x (derived or confirmed figures alike)
    checked = 0
    for e, p in all_periods(cat):
        if GPT56_AND_LATER.match(e.id) and p.priority is not None:
            for key, rate in p.priority.items():
                assert rate == p.standard[key] * 2, (e.id, p.since, key)
                checked += 1
    assert checked >= 40


def test_long_context_fast_is_twice_long_context_standard(cat: Catalog) -> None:
    # 6.1: long context + Fast billed at 2x the long-context standard rate (GP, LL); the data
    # says OpenAI's page does not state it, except gpt-6.2-sol whose page does
    models = set()
    for e, p in all_periods(cat):
        lc = p.long_context
        if lc is None or lc.priority is None:
            continue
        models.add(e.id)
        for key, rate in lc.priority.items():
            assert rate == lc.standard[key] * 2, (e.id, p.since, key)
        assert p.note is not None
        if e.id == "gpt-6.2-sol":
            assert "same context length" in p.note
        else:
            assert "OpenAI's page does not state it" in p.note, e.id
    assert models == {
        "gpt-5.6-sol",
        "gpt-5.6-terra",
        "gpt-5.6-luna",
        "gpt-6-astra",
        "gpt-6-sol",
        "gpt-6-luna",
        "gpt-6.1-sol",
        "gpt-6.1-terra",
        "gpt-6.2-sol",
    }


def test_ultrafast_multipliers(cat: Catalog) -> None:
    # 6.1: gpt-6-astra 6x; gpt-6.2-sol 3x through 2027-02-28, 6x from 2027-03-01
    for model, day, factor in (
        ("gpt-6-astra", "2026-09-29", 6),
        ("gpt-6.2-sol", "2027-02-28", 3),
        ("gpt-6.2-sol", "2027-03-01", 6),
    ):
        p = cat.resolve(model, day).period
        assert p.ultrafast is not None
        assert set(p.ultrafast) == {k for k in p.standard if k in TOKEN_DIMENSIONS}
        for key, rate in p.ultrafast.items():
            assert rate == p.standard[key] * factor, (model, day, key)


def test_image_models_batch_cached_is_half_the_cached_rate(cat: Catalog) -> None:
    # 6.1: image models' Batch cached input is 50% of the standard cached rate
    for e, p in all_periods(cat):
        if e.id.startswith("gpt-image-"):
            assert p.batch is not None, e.id
            assert p.batch["cached_input"] == p.standard["cached_input"] / 2, e.id
            assert p.batch["cached_image_input"] == p.standard["cached_image_input"] / 2, e.id
    u = Usage(
        input_tokens=10_000,
        cached_tokens=4_000,
        image_input_tokens=6_000,
        cached_image_tokens=3_000,
        output_tokens=1_000,
        image_output_tokens=1_000,
    )
    # gpt-image-1 Batch (3.7 halved; cached 6.1): 3,000 cached image x 1.25 + 1,000 cached text
    # x 0.625 + 3,000 image x 5.00 + 3,000 text x 2.50 + 1,000 image out x 20.00
    expected = D("0.00375") + D("0.000625") + D("0.015") + D("0.0075") + D("0.02")
    assert price(cat, "gpt-image-1", "2026-11-20", u, batch=True) == expected


@pytest.mark.parametrize(
    ("name", "model"),
    [
        # 6.2: dated snapshots that real responses and the Usage/Costs APIs carry
        ("gpt-5.5-2026-04-23", "gpt-5.5"),
        ("gpt-5.5-pro-2026-04-23", "gpt-5.5-pro"),
        ("gpt-6.1-sol-2026-09-29", "gpt-6.1-sol"),
        ("gpt-image-2-2026-04-21", "gpt-image-2"),
        ("gpt-5-search-api-2025-10-14", "gpt-5-search-api"),
        ("tts-1-1106", "tts-1"),
        ("tts-1-hd-1106", "tts-1-hd"),
        ("text-embedding-ada-002-v2", "text-embedding-ada-002"),
        # 6.2 aliases
        ("gpt-daybreak-red-latest", "gpt-5.6-cyber"),
        ("gpt-daybreak-blue-latest", "gpt-5.6-sol"),
        ("codex-mini", "codex-mini-latest"),
        ("gpt-5.6", "gpt-5.6-sol"),
        # 6.1 new names
        ("chat-latest", "gpt-chat-latest"),
        ("gpt-4o-search-preview-2025-03-11", "gpt-4o-search-preview"),
        ("gpt-4o-mini-search-preview-2025-03-11", "gpt-4o-mini-search-preview"),
        ("gpt-image-2.5-sunburst-2026-09-08", "gpt-image-2.5-sunburst"),
    ],
)
def test_section_6_names_resolve(cat: Catalog, name: str, model: str) -> None:
    mp = cat.resolve(name, "2026-11-29")
    assert mp.model == model
    assert mp.note is None  # an explicit name: no assumption


@pytest.mark.parametrize(
    ("model", "usage", "expected"),
    [
        # 6.1 gpt-5.6-cyber 12.50 / 1.25 / 15.625 / 75:
        # 70,000 x 12.5 + 20,000 x 1.25 + 10,000 x 15.625 + 10,000 x 75
        ("gpt-5.6-cyber", CW, D("0.875") + D("0.025") + D("0.15625") + D("0.75")),
        # 6.1 gpt-5.5-cyber 12.50 / 1.25 / free writes / 75: writes bill as input
        ("gpt-5.5-cyber", CW, D("1.0") + D("0.025") + D("0.75")),
        # 6.1 gpt-chat-latest 5 / 0.50 / 30: 80,000 x 5 + 20,000 x 0.5 + 10,000 x 30
        ("gpt-chat-latest", CW, D("0.4") + D("0.01") + D("0.3")),
        # 6.1 gpt-4o-mini-search-preview 0.15 / 0.075 / 0.60
        ("gpt-4o-mini-search-preview", CW, D("0.012") + D("0.0015") + D("0.006")),
        # 6.1 gpt-transcribe $0.0045 / minute: 120 s
        ("gpt-transcribe", Usage(audio_seconds=D(120)), D("0.009")),
        # 6.1 gpt-live-transcribe $0.017 / minute: 60 s
        ("gpt-live-transcribe", Usage(audio_seconds=D(60)), D("0.017")),
        # 6.1 gpt-live-1 $3.00 / hour: 30 minutes
        ("gpt-live-1", Usage(audio_seconds=D(1800)), D("1.5")),
        # 6.1 gpt-realtime-translate $2.04 / hour: one hour
        ("gpt-realtime-translate", Usage(audio_seconds=D(3600)), D("2.04")),
        # 6.1 gpt-realtime-2.1-mini as gpt-realtime-mini (3.5): audio 10 in / 20 out, text
        # 0.60 / 2.40: 100 x 0.6 + 1,000 x 10 + 100 x 2.4 + 500 x 20
        ("gpt-realtime-2.1-mini", AUDIO, D("0.00006") + D("0.01") + D("0.00024") + D("0.01")),
    ],
)
def test_section_6_new_models(cat: Catalog, model: str, usage: Usage, expected: Decimal) -> None:
    assert price(cat, model, "2026-11-29", usage) == expected


@pytest.mark.parametrize(
    ("model", "first"),
    [
        # 6.2: the openai-python SDK listed these names before the catalog's first price
        ("gpt-4o-transcribe-diarize", "2025-09-02"),
        ("gpt-realtime-1.5", "2026-02-24"),
        ("gpt-audio-1.5", "2026-02-24"),
        ("gpt-realtime-2", "2026-05-07"),
        ("gpt-realtime-whisper", "2026-05-07"),
        ("gpt-realtime-2.1", "2026-07-09"),
    ],
)
def test_earlier_since_dates(cat: Catalog, model: str, first: str) -> None:
    day = date.fromisoformat(first)
    p = cat.resolve(model, day).period
    assert p.since == day and p.since_exact is False and "6.2" in p.source
    with pytest.raises(PriceNotInForceError, match=f"first price is from {first}"):
        cat.resolve(model, day - timedelta(days=1))


def test_ft_gpt4o_batch_is_low_confidence_with_the_alternative(cat: Catalog) -> None:
    p = cat.resolve("ft:gpt-4o-2024-08-06", "2026-11-29").period
    assert p.confidence == "L"
    assert p.note is not None and "2.225 / 0.90 / 12.50" in p.note
    # MP kept: 1.875 / 7.50
    assert p.batch is not None and p.batch["input"] == D("1.875") and p.batch["output"] == D("7.50")

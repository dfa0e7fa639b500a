"""How the catalog resolves names and dates, and how it loads (and rejects) user price files.

Rates quoted in comments come from the project's billing reference (``openai-billing.md``,
section named); costs are worked out by hand as tokens x rate / 1,000,000.
"""

from __future__ import annotations

import os
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from openai_cost import Usage, cost_of
from openai_cost.catalog import Catalog
from openai_cost.catalog import catalog as shared_catalog
from openai_cost.errors import (
    PriceDataError,
    PriceNotInForceError,
    PricingError,
    PricingWarning,
    UnknownModelError,
)

D = Decimal


@pytest.fixture(scope="module")
def cat() -> Catalog:
    return Catalog.bundled()


def write(tmp_path: Path, text: str, name: str = "mine.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --------------------------------------------------------------------------- names


def test_exact_id(cat: Catalog) -> None:
    mp = cat.resolve("gpt-4o-2024-08-06", "2025-03-01")
    assert mp.model == "gpt-4o-2024-08-06"
    assert mp.requested is None
    assert mp.provider == "openai"
    assert mp.encoding == "o200k_base"
    assert (mp.context_window, mp.max_output_tokens) == (128_000, 16_384)
    # 3.1: gpt-4o-2024-08-06 $2.50 / $1.25 cached / $10
    assert mp.rates["input"] == D("2.50")
    assert mp.rates["cached_input"] == D("1.25")
    assert mp.rates["output"] == D("10.00")


def test_dated_snapshot_resolves_to_its_entry(cat: Catalog) -> None:
    # 3.3: gpt-5 (2025-08-07); responses report the dated snapshot
    mp = cat.resolve("gpt-5-2025-08-07", "2025-09-19")
    assert mp.model == "gpt-5"
    assert mp.requested == "gpt-5-2025-08-07"
    assert mp.rates["input"] == D("1.25")


def test_floating_name_follows_the_date(cat: Catalog) -> None:
    assert cat.resolve("gpt-4o", "2024-10-01").model == "gpt-4o-2024-05-13"
    assert cat.resolve("gpt-4o", "2024-10-02").model == "gpt-4o-2024-08-06"
    assert cat.alias_targets("gpt-4o") == [
        (date(2024, 5, 13), "gpt-4o-2024-05-13"),
        (date(2024, 10, 2), "gpt-4o-2024-08-06"),
    ]
    assert "gpt-4o" in cat.alias_names()


def test_date_forms(cat: Catalog) -> None:
    # a datetime is converted to UTC before its date is taken: 01:00 at +05:00 is 20:00 UTC on
    # the day before, when gpt-4o still meant the 2024-05-13 snapshot
    east = timezone(timedelta(hours=5))
    assert cat.resolve("gpt-4o", datetime(2024, 10, 2, 1, 0, tzinfo=east)).model == (
        "gpt-4o-2024-05-13"
    )
    assert cat.resolve("gpt-4o", datetime(2024, 10, 2, 1, 0)).model == "gpt-4o-2024-08-06"
    assert cat.resolve("gpt-4o", "2024-10-02T01:00:00Z").model == "gpt-4o-2024-08-06"
    assert cat.resolve("gpt-4o", date(2024, 10, 2)).model == "gpt-4o-2024-08-06"
    with pytest.raises(ValueError, match="invalid date '2024-13-01'"):
        cat.resolve("gpt-4o", "2024-13-01")


def test_case_insensitive(cat: Catalog) -> None:
    assert cat.resolve("GPT-4o-Mini", "2025-01-08").model == "gpt-4o-mini-2024-07-18"
    assert cat.resolve("O3", "2025-07-01").model == "o3-2025-04-16"
    assert cat.resolve("  gpt-5.4 ", "2026-04-01").model == "gpt-5.4"


@pytest.mark.parametrize(
    "name",
    [
        "openai/gpt-4o-mini",
        "azure/gpt-4o-mini",
        "OpenAI/GPT-4o-mini",
        "openrouter/openai/gpt-4o-mini",
    ],
)
def test_provider_prefixes_are_stripped(cat: Catalog, name: str) -> None:
    mp = cat.resolve(name, "2025-01-08")
    assert mp.model == "gpt-4o-mini-2024-07-18"
    assert mp.requested == "gpt-4o-mini"


def test_fine_tuned_name_prices_at_ft_rates(cat: Catalog) -> None:
    name = "ft:gpt-4o-mini-2024-07-18:my-org:custom-suffix:9aBcD3"
    mp = cat.resolve(name, "2025-06-01")
    assert mp.model == "ft:gpt-4o-mini-2024-07-18"
    assert mp.fine_tuned is True
    assert mp.requested == name.lower()
    # 3.9 FT gpt-4o-mini $0.30 / $0.15 cached / $1.20 (2x the base model):
    # 800 x 0.30 + 200 x 0.15 + 500 x 1.20 = 0.00024 + 0.00003 + 0.0006
    usage = Usage(input_tokens=1_000, cached_tokens=200, output_tokens=500)
    cost = cost_of(usage, model=name, at="2025-06-01", prices=cat)
    assert cost.model == "ft:gpt-4o-mini-2024-07-18"
    assert cost.total == D("0.00087")
    # the base model is cheaper: 800 x 0.15 + 200 x 0.075 + 500 x 0.60
    base = cost_of(usage, model="gpt-4o-mini-2024-07-18", at="2025-06-01", prices=cat)
    assert base.total == D("0.000435")
    # FT Batch (3.9, P-2511): 0.15 / 0.075 / 0.60 -> 800 x 0.15 + 200 x 0.075 + 500 x 0.60
    assert cost_of(usage, model=name, at="2025-06-01", prices=cat, batch=True).total == D(
        "0.000435"
    )


def test_fine_tuned_name_is_case_insensitive_and_prefixed(cat: Catalog) -> None:
    mp = cat.resolve("openai/FT:GPT-4.1-nano-2025-04-14:Org:Tag:Id1", "2025-06-01")
    assert mp.model == "ft:gpt-4.1-nano-2025-04-14"
    # 3.9 FT gpt-4.1-nano $0.20 / $0.05 / $0.80
    assert (mp.rates["input"], mp.rates["cached_input"], mp.rates["output"]) == (
        D("0.20"),
        D("0.05"),
        D("0.80"),
    )


@pytest.mark.parametrize(
    ("name", "entry"),
    [
        # floating base names listed as aliases of the ft: entry
        ("ft:gpt-4o-mini:acme::abc", "ft:gpt-4o-mini-2024-07-18"),
        ("ft:gpt-4.1:acme:tag:abc", "ft:gpt-4.1-2025-04-14"),
        # other snapshots of gpt-3.5-turbo share one fine-tuned price (3.9)
        ("ft:gpt-3.5-turbo-0125:acme::abc", "ft:gpt-3.5-turbo"),
        ("ft:gpt-3.5-turbo-1106:acme::abc", "ft:gpt-3.5-turbo"),
        ("ft:gpt-3.5-turbo:acme::abc", "ft:gpt-3.5-turbo"),
        ("ft:davinci-002:acme::abc", "ft:davinci-002"),
    ],
)
def test_fine_tuned_alias_names(cat: Catalog, name: str, entry: str) -> None:
    assert cat.resolve(name, "2025-06-01").model == entry


def test_fine_tuned_name_of_a_dated_alias(tmp_path: Path) -> None:
    # ft:<floating name> with no ft: alias of its own: the floating name is resolved at the
    # date, then the ft: entry of that snapshot is used
    path = write(
        tmp_path,
        """
[[models]]
id = "acme-2025-01-01"
[[models.prices]]
since = "2025-01-01"
source = "test"
input = "1.00"
output = "2.00"

[[models]]
id = "acme-2025-06-01"
[[models.prices]]
since = "2025-06-01"
source = "test"
input = "1.50"
output = "3.00"

[[models]]
id = "ft:acme-2025-01-01"
[[models.prices]]
since = "2025-01-01"
source = "test"
input = "4.00"
output = "8.00"

[[aliases]]
name = "acme"
source = "test"
targets = [{ since = "2025-01-01", model = "acme-2025-01-01" },
           { since = "2025-06-01", model = "acme-2025-06-01" }]
""",
    )
    cat = Catalog([path])
    mp = cat.resolve("ft:acme:org::id", "2025-03-01")
    assert mp.model == "ft:acme-2025-01-01"
    assert mp.fine_tuned is True
    # once acme points at a snapshot with no fine-tuned price, the name is unknown
    with pytest.raises(UnknownModelError):
        cat.resolve("ft:acme:org::id", "2025-07-01")


def test_unknown_fine_tuned_base(cat: Catalog) -> None:
    with pytest.raises(UnknownModelError) as info:
        cat.resolve("ft:gpt-4o-mimi-2024-07-18:org::id", "2025-06-01")
    assert "ft:gpt-4o-mini-2024-07-18" in str(info.value)


def test_unknown_model_names_close_ids(cat: Catalog) -> None:
    with pytest.raises(UnknownModelError) as info:
        cat.resolve("gpt-4o-mimi", "2025-01-08")
    err = info.value
    assert isinstance(err, LookupError)
    assert isinstance(err, PricingError)
    msg = str(err)
    assert "unknown model 'gpt-4o-mimi'" in msg
    assert "gpt-4o-mini" in msg
    assert err.suggestions and "gpt-4o-mini" in err.suggestions
    assert "OPENAI_COST_PRICES" in msg


def test_unknown_model_is_a_lookup_error(cat: Catalog) -> None:
    with pytest.raises(LookupError):
        cat.resolve("claude-3-opus", "2025-01-08")
    with pytest.raises(UnknownModelError):
        cat.resolve("", "2025-01-08")
    assert "claude-3-opus" not in cat
    assert "gpt-4o" in cat
    assert 42 not in cat


def test_unpriced_models_are_unknown_not_free(cat: Catalog) -> None:
    # the reference found no price for these (3.4, 3.10): an error, never $0
    for name in ("gpt-daybreak-green-latest", "gpt-4.5", "sora-2"):
        with pytest.raises(UnknownModelError):
            cat.resolve(name, "2026-11-28")


def test_before_first_price_date(cat: Catalog) -> None:
    # 3.3: gpt-5 launched 2025-08-07. A known model asked too early is its own error, naming
    # the model, its first priced date and the date asked; not an unknown model.
    with pytest.raises(PriceNotInForceError) as info:
        cat.resolve("gpt-5", "2025-08-06")
    e = info.value
    assert not isinstance(e, UnknownModelError)
    assert isinstance(e, PricingError) and isinstance(e, LookupError)
    assert (e.model, e.first_priced, e.asked) == ("gpt-5", date(2025, 8, 7), date(2025, 8, 6))
    assert str(e) == (
        "'gpt-5' has no price on 2025-08-06: its first price is from 2025-08-07 "
        "(price it at that date or later with at=/--at)"
    )
    assert cat.resolve("gpt-5", "2025-08-07").price_since == date(2025, 8, 7)
    # a floating name asked for before its first target uses that target, and then fails on
    # the target's first price date
    with pytest.raises(PriceNotInForceError, match=r"first price is from 2024-05-13"):
        cat.resolve("gpt-4o", "2024-05-12")


def test_models_lists_what_is_priced_on_a_date(cat: Catalog) -> None:
    rows = cat.models("2025-01-08")
    names = {m.requested or m.model for m in rows}
    assert {"gpt-4o", "gpt-4o-2024-08-06", "o1", "o1-2024-12-17", "babbage-002"} <= names
    assert "gpt-5" not in names  # released 2025-08-07
    by_name = {m.requested or m.model: m for m in rows}
    assert by_name["gpt-4o"].model == "gpt-4o-2024-08-06"
    assert [m.requested or m.model for m in rows] == sorted(names)


# --------------------------------------------------------------------------- user price files

USER_FILE = """
# Our negotiated price for gpt-4o-mini, and a self-hosted model
[[models]]
id = "gpt-4o-mini-2024-07-18"
[[models.prices]]
since = "2024-07-18"
source = "contract 2025-01"
input = "0.10"
output = "0.40"

[[models]]
id = "our-llama"
aliases = ["our-llama-v2"]
encoding = "cl100k_base"
[[models.prices]]
since = "2025-01-01"
source = "internal cost sheet"
input = "0.05"
output = "0.05"
"""


def test_user_file_overrides_and_adds(tmp_path: Path) -> None:
    path = write(tmp_path, USER_FILE)
    cat = Catalog.bundled().load(path)
    u = Usage(input_tokens=1_000_000, output_tokens=1_000_000)
    # override: $0.10 + $0.40 instead of the list $0.15 + $0.60 (3.1)
    mp = cat.resolve("gpt-4o-mini-2024-07-18", "2025-06-01")
    assert mp.period.source == "contract 2025-01"
    assert cat.entry("gpt-4o-mini-2024-07-18").origin == str(path)
    assert cost_of(u, model="gpt-4o-mini", at="2025-06-01", prices=cat).total == D("0.50")
    # the floating name still points at the (now overridden) snapshot
    assert cat.resolve("gpt-4o-mini", "2025-06-01").period.source == "contract 2025-01"
    # added: $0.05 + $0.05
    assert cost_of(u, model="our-llama-v2", at="2025-06-01", prices=cat).total == D("0.10")
    mp = cat.resolve("our-llama", "2025-06-01")
    assert mp.provider == "custom" and mp.encoding == "cl100k_base"
    # the rest of the bundled data is untouched: gpt-4o $2.50 + $10 (3.1)
    assert cost_of(u, model="gpt-4o", at="2025-06-01", prices=cat).total == D("12.50")
    # and the shared bundled catalog is not changed by loading into a copy
    assert Catalog.bundled().resolve("gpt-4o-mini", "2025-06-01").rates["input"] == D("0.15")


def test_user_file_can_take_over_a_floating_name(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[[models]]\nid = "gpt-4o"\n[[models.prices]]\nsince = "2024-01-01"\n'
        'source = "azure deployment sheet"\ninput = "2.75"\noutput = "11.00"\n',
    )
    cat = Catalog.bundled().load(path)
    mp = cat.resolve("gpt-4o", "2025-06-01")
    assert mp.model == "gpt-4o"
    assert mp.rates["input"] == D("2.75")


def test_env_var_adds_files_to_the_shared_catalog(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = write(tmp_path, USER_FILE)
    second = write(
        tmp_path,
        '[[models]]\nid = "our-embedder"\n[[models.prices]]\nsince = "2025-01-01"\n'
        'source = "internal"\ninput = "0.01"\n',
        "second.toml",
    )
    assert "our-llama" not in shared_catalog()
    monkeypatch.setenv("OPENAI_COST_PRICES", os.pathsep.join([str(first), str(second)]))
    # the variable is read when the shared catalog is built: rebuild it
    shared = shared_catalog(reload=True)
    assert shared_catalog() is shared
    assert "our-llama" in shared and "our-embedder" in shared
    u = Usage(input_tokens=1_000_000, output_tokens=1_000_000)
    assert cost_of(u, model="gpt-4o-mini", at="2025-06-01").total == D("0.50")
    assert cost_of(Usage(input_tokens=1_000_000), model="our-embedder", at="2025-06-01").total == (
        D("0.01")
    )
    monkeypatch.delenv("OPENAI_COST_PRICES")
    assert "our-llama" not in shared_catalog(reload=True)


def test_env_var_naming_a_missing_file_fails_clearly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = tmp_path / "nope.toml"
    monkeypatch.setenv("OPENAI_COST_PRICES", str(missing))
    with pytest.raises(PriceDataError, match="cannot read price file") as info:
        shared_catalog(reload=True)
    assert str(missing) in str(info.value)


GOOD_PERIOD = 'since = "2025-01-01"\nsource = "contract"\n'


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        pytest.param(
            '[[models]]\nid = "m"\n[[models.prices]\n',
            ["not valid TOML", "line 3"],
            id="bad-toml",
        ),
        pytest.param(
            f'[[models]]\nid = "m"\n[[models.prices]]\n{GOOD_PERIOD}inptu = "1.00"\n',
            ["models[0] (m).prices[0]", "unknown field 'inptu'", "input"],
            id="unknown-rate-field",
        ),
        pytest.param(
            f'[[models]]\nid = "m"\ncolour = "red"\n[[models.prices]]\n{GOOD_PERIOD}input = "1"\n',
            ["models[0] (m)", "unknown field(s) ['colour']"],
            id="unknown-model-field",
        ),
        pytest.param(
            f'[[models]]\nid = "m"\n[[models.prices]]\n{GOOD_PERIOD}input = "-1.00"\n',
            ["models[0] (m).prices[0]", "input must be a finite rate >= 0", "'-1.00'"],
            id="negative-rate",
        ),
        pytest.param(
            f'[[models]]\nid = "m"\n[[models.prices]]\n{GOOD_PERIOD}input = 1.5\n',
            ["models[0] (m).prices[0]", "input must be a decimal string"],
            id="float-rate",
        ),
        pytest.param(
            '[[models]]\nid = "m"\n[[models.prices]]\nsince = "2025-01-01"\ninput = "1.00"\n',
            ["models[0] (m).prices[0]", "missing field 'source'"],
            id="missing-source",
        ),
        pytest.param(
            f'[[models]]\nid = "m"\n[[models.prices]]\n{GOOD_PERIOD}'
            'input = "1.00"\ncached_input = "2.00"\n',
            ["models[0] (m).prices[0]", "cached_input (2.00) is above input (1.00)"],
            id="cached-above-input",
        ),
        pytest.param(
            f'[[models]]\nid = "m"\n[[models.prices]]\n{GOOD_PERIOD}input = "1.00"\n'
            '[models.prices.batch]\ninput = "0.50"\ncached_input = "0.60"\n',
            ["models[0] (m).prices[0].batch", "cached_input (0.60) is above input (0.50)"],
            id="cached-above-input-in-batch",
        ),
        pytest.param(
            '[[models]]\nid = "m"\n[[models.prices]]\nsince = "2025-13-01"\nsource = "x"\n'
            'input = "1"\n',
            ["models[0] (m).prices[0]", "since must be an ISO date"],
            id="bad-date",
        ),
        pytest.param(
            '[[models]]\nid = "m"\n',
            ["models[0] (m)", "needs at least one [[models.prices]] period"],
            id="no-period",
        ),
        pytest.param(
            f'[[models]]\nid = "m"\n[[models.prices]]\n{GOOD_PERIOD}input = "1"\n'
            f'[[models.prices]]\n{GOOD_PERIOD}input = "2"\n',
            ["models[0] (m)", "two price periods start on 2025-01-01"],
            id="duplicate-period",
        ),
        pytest.param(
            f'[[models]]\nid = "m"\naliases = ["n"]\n[[models.prices]]\n{GOOD_PERIOD}input = "1"\n'
            f'[[models]]\nid = "n"\n[[models.prices]]\n{GOOD_PERIOD}input = "2"\n',
            ["models (n)", "name 'n' is already used by 'm'"],
            id="duplicate-name",
        ),
        pytest.param(
            '[[aliases]]\nname = "a"\ntargets = [{ since = "2025-01-01", model = "m" }]\n',
            ["aliases[0] (a)", "missing field 'source'"],
            id="alias-without-source",
        ),
    ],
)
def test_bad_user_file(tmp_path: Path, text: str, fragments: list[str]) -> None:
    path = write(tmp_path, text)
    with pytest.raises(PriceDataError) as info:
        Catalog.bundled().load(path)
    msg = str(info.value)
    assert msg.startswith(str(path)), msg
    for fragment in fragments:
        assert fragment in msg, msg
    assert isinstance(info.value, ValueError)


def test_user_file_error_through_the_env_var(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, f'[[models]]\nid = "m"\n[[models.prices]]\n{GOOD_PERIOD}input = "-2"\n')
    monkeypatch.setenv("OPENAI_COST_PRICES", str(path))
    with pytest.raises(PriceDataError, match=r"models\[0\] \(m\)\.prices\[0\]: input must be"):
        shared_catalog(reload=True)


# --------------------------------------------------------------------------- new dated snapshots

SNAP = Usage(input_tokens=10_000, cached_tokens=2_000, output_tokens=1_000)


def test_new_dated_snapshot_prices_as_its_model_with_a_note_and_a_warning(cat: Catalog) -> None:
    # 6.2: gpt-5.5-2026-12-01 is not in the data; gpt-5.5 (3.4: 5.00 / 0.50 / 30.00) prices it:
    # 8,000 x 5 + 2,000 x 0.5 + 1,000 x 30 = 0.04 + 0.001 + 0.03
    with pytest.warns(PricingWarning, match=r"gpt-5\.5-2026-12-01 is not in the price data"):
        cost = cost_of(SNAP, model="gpt-5.5-2026-12-01", at="2026-12-05", prices=cat)
    assert cost.total == D("0.071")
    assert cost.model == "gpt-5.5"
    assert cost.lines and all("priced as gpt-5.5" in (ln.note or "") for ln in cost.lines)
    # the warning repeats for a cached resolution: never silent
    with pytest.warns(PricingWarning):
        cat.resolve("gpt-5.5-2026-12-01", "2026-12-05")
    # with a provider prefix and in capitals too
    with pytest.warns(PricingWarning):
        assert cat.resolve("openai/GPT-5.5-2026-12-01", "2026-12-05").model == "gpt-5.5"


def test_new_dated_snapshot_uses_the_rates_in_force_on_the_call_date(cat: Catalog) -> None:
    # 3.4: gpt-5.6-terra 2.50 / 0.25 / 15 until 2026-07-29, then 2.00 / 0.20 / 12
    with pytest.warns(PricingWarning):
        before = cost_of(SNAP, model="gpt-5.6-terra-2026-07-01", at="2026-07-29", prices=cat)
    with pytest.warns(PricingWarning):
        after = cost_of(SNAP, model="gpt-5.6-terra-2026-07-01", at="2026-07-30", prices=cat)
    # 8,000 x 2.5 + 2,000 x 0.25 + 1,000 x 15 = 0.02 + 0.0005 + 0.015
    assert before.total == D("0.0355")
    # 8,000 x 2 + 2,000 x 0.2 + 1,000 x 12 = 0.016 + 0.0004 + 0.012
    assert after.total == D("0.0284")


def test_an_explicit_entry_always_wins(cat: Catalog, tmp_path: Path) -> None:
    # a listed dated name: no assumption, no warning (filterwarnings = error would fail here)
    assert cat.resolve("gpt-5.5-2026-04-23", "2026-05-01").note is None
    own = Catalog.bundled().load(
        write(
            tmp_path,
            '[[models]]\nid = "gpt-5.5-2026-12-01"\n[[models.prices]]\nsince = "2026-12-01"\n'
            'source = "negotiated"\ninput = "1.00"\noutput = "2.00"\n',
        )
    )
    mp = own.resolve("gpt-5.5-2026-12-01", "2026-12-05")
    assert mp.model == "gpt-5.5-2026-12-01" and mp.note is None


def test_snapshot_fallback_can_be_turned_off(cat: Catalog) -> None:
    strict = Catalog.bundled()
    strict.snapshot_fallback = False
    with pytest.raises(UnknownModelError, match=r"gpt-5\.5-2026-12-01"):
        strict.resolve("gpt-5.5-2026-12-01", "2026-12-05")
    with pytest.raises(UnknownModelError):
        Catalog([], snapshot_fallback=False).resolve("gpt-5.5-2026-12-01", "2026-12-05")


@pytest.mark.parametrize(
    "name",
    [
        "llama-3-2026-12-01",  # unknown base
        "gpt-5.5-2026-13-01",  # not a date
        "gpt-5.5-20261201",  # not the dated form
        "gpt-5.5-2026-12",
    ],
)
def test_only_a_known_model_with_a_real_date_falls_back(cat: Catalog, name: str) -> None:
    with pytest.raises(UnknownModelError):
        cat.resolve(name, "2026-12-05")


def test_new_dated_snapshot_before_its_model_existed_has_no_price(cat: Catalog) -> None:
    # gpt-5.5 has no price before 2026-04-23 (3.4)
    with pytest.raises(PriceNotInForceError, match="first price is from 2026-04-23") as info:
        cat.resolve("gpt-5.5-2026-12-01", "2026-04-01")
    assert info.value.model == "gpt-5.5-2026-12-01"

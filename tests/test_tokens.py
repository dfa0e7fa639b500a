"""count_tokens / estimate: offline encodings, OpenAI's counting rules, recorded API counts."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from _tokens_helpers import (
    FIXTURES,
    PRICES,
    data_url,
    gif_header,
    image_message,
    jpeg_header,
    no_network,
    png,
    webp_vp8,
    webp_vp8l,
    webp_vp8x,
)
from openai_cost import (
    Estimate,
    PricingError,
    TokenizerUnavailableError,
    UnknownModelError,
    UsageError,
    _encodings,
    count_tokens,
    estimate,
    tokens,
)
from openai_cost._images import image_rule, image_tokens, size_from_bytes
from openai_cost.catalog import Catalog

pytestmark = pytest.mark.usefixtures("no_network")
__all__ = ["no_network"]  # the fixture, imported to be found by pytest

ENCODINGS_DIR = Path(_encodings.__file__).parent / "data" / "encodings"

SAMPLES = [
    "Hello world",
    "",
    " leading and trailing spaces  ",
    "Tabs\tand\nnew\r\nlines\n\n\n",
    "antidisestablishmentarianism 1234567890 3.14159",
    "お誕生日おめでとう",
    "Ünïcödé — “quotes” 🎉🎉 emoji ZWJ 👩‍👩‍👧",
    "def f(x):\n    return x ** 2  # comment\n",
    "a literal <|endoftext|> and <|endofprompt|> <|fim_prefix|> in user text",
    "I'm sure they'll say we've done it, don't you think? HE'S RIGHT.",
    "x" * 5000,
]


@pytest.fixture(scope="module")
def cat() -> Catalog:
    return Catalog([]).load(PRICES)


@pytest.fixture
def tiktoken_own(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """tiktoken's own get_encoding, fed from a cache dir seeded with the bundled files."""
    import tiktoken
    import tiktoken.registry

    cache = tmp_path / "seeded-cache"
    _encodings.seed_tiktoken_cache(cache)
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(cache))
    monkeypatch.setattr(tiktoken.registry, "ENCODINGS", {})  # force a load from the cache
    return tiktoken.get_encoding


# ------------------------------------------------------------------- bundled encodings


def _published_hashes() -> dict[str, str]:
    spec = importlib.util.find_spec("tiktoken_ext.openai_public")
    assert spec is not None and spec.origin is not None
    source = Path(spec.origin).read_text()
    found = {}
    for name in ("o200k_base", "cl100k_base"):
        m = re.search(rf"def {name}\(\):.*?expected_hash=\"([0-9a-f]{{64}})\"", source, re.DOTALL)
        assert m is not None, name
        found[name] = m.group(1)
    return found


def test_bundled_files_match_the_hashes_tiktoken_publishes() -> None:
    published = _published_hashes()
    assert published == _encodings.EXPECTED_SHA256
    manifest = {
        fname.removesuffix(".tiktoken"): digest
        for digest, fname in (
            line.split() for line in (ENCODINGS_DIR / "SHA256SUMS").read_text().splitlines()
        )
    }
    assert manifest == published
    for name, digest in published.items():
        data = (ENCODINGS_DIR / f"{name}.tiktoken").read_bytes()
        assert hashlib.sha256(data).hexdigest() == digest


def test_a_tampered_file_is_refused() -> None:
    data = (ENCODINGS_DIR / "cl100k_base.tiktoken").read_bytes()
    assert _encodings.verify("cl100k_base", data) is data
    tampered = data.replace(b"IQ== 0", b"Ig== 0", 1)
    with pytest.raises(TokenizerUnavailableError, match=r"cl100k_base.*corrupt.*sha256"):
        _encodings.verify("cl100k_base", tampered)


def test_encodings_load_offline_with_an_empty_tiktoken_cache(
    no_network: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    _encodings._load.cache_clear()
    _encodings._verified_bytes.cache_clear()
    monkeypatch.setattr(tokens, "_TOKENIZERS", {})
    cache = Path(os.environ["TIKTOKEN_CACHE_DIR"])
    assert count_tokens("Hello world", "gpt-4o") == 2
    assert _encodings.get_encoding("cl100k_base").n_vocab == 100277
    assert _encodings.get_encoding("o200k_base").n_vocab == 200019
    assert list(cache.iterdir()) == []  # tiktoken's download cache was never touched
    assert no_network == []


def test_an_encoding_that_is_not_bundled_is_refused() -> None:
    with pytest.raises(TokenizerUnavailableError, match=r"'r50k_base'.*bundled: o200k_base"):
        _encodings.get_encoding("r50k_base")


def test_the_split_pattern_and_special_tokens_are_tiktokens(tiktoken_own: Any) -> None:
    for name in _encodings.BUNDLED:
        ours, theirs = _encodings.get_encoding(name), tiktoken_own(name)
        assert ours._pat_str == theirs._pat_str
        assert ours._special_tokens == theirs._special_tokens
        assert ours.n_vocab == theirs.n_vocab


@pytest.mark.parametrize(
    ("model", "encoding"), [("gpt-4o", "o200k_base"), ("gpt-4-0613", "cl100k_base")]
)
@pytest.mark.parametrize("text", SAMPLES, ids=range(len(SAMPLES)))
def test_text_counts_equal_tiktokens_own(
    model: str, encoding: str, text: str, cat: Catalog, tiktoken_own: Any
) -> None:
    expected = len(tiktoken_own(encoding).encode_ordinary(text))
    assert count_tokens(text, model, prices=cat) == expected


def test_special_token_markers_in_text_are_plain_characters(cat: Catalog) -> None:
    # as one special token it would be 1; as characters "<", "|", "endo"... it is several
    assert count_tokens("<|endoftext|>", "gpt-4o", prices=cat) > 1
    assert count_tokens("<|endoftext|>", "gpt-4", prices=cat) > 1


def test_importing_the_package_or_the_module_does_not_import_tiktoken() -> None:
    code = (
        "import sys, openai_cost, openai_cost.tokens\n"
        "openai_cost.count_tokens, openai_cost.estimate, openai_cost.Estimate\n"
        "assert 'tiktoken' not in sys.modules, 'tiktoken imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# ------------------------------------------------------------------- model -> encoding


def test_the_catalogs_encoding_field_decides(tmp_path: Path, cat: Catalog) -> None:
    text = "antidisestablishmentarianism お誕生日おめでとう"
    o200k = count_tokens(text, "gpt-4o", prices=cat)
    cl100k = count_tokens(text, "gpt-4", prices=cat)
    assert o200k != cl100k
    # a gpt-4o-looking name whose entry says cl100k_base is counted with cl100k_base
    f = tmp_path / "p.toml"
    f.write_text(
        '[[models]]\nid = "gpt-4o-oddity"\nencoding = "cl100k_base"\n'
        '[[models.prices]]\nsince = "2025-01-01"\nsource = "test"\ninput = "1"\n'
    )
    own = Catalog([]).load(f)
    assert count_tokens(text, "gpt-4o-oddity", prices=own) == cl100k
    assert tokens.tokenizer_for("gpt-4o-oddity", prices=own).name == "cl100k_base"


def test_an_entry_without_encoding_falls_back_to_the_prefix_rule(cat: Catalog) -> None:
    text = "お誕生日おめでとう"
    assert count_tokens(text, "gpt-5-test-no-encoding", prices=cat) == count_tokens(
        text, "gpt-4o", prices=cat
    )


@pytest.mark.parametrize(
    ("model", "encoding"),
    [
        ("gpt-4o-2099-01-01", "o200k_base"),
        ("openai/gpt-4.1-preview", "o200k_base"),
        ("o3-future", "o200k_base"),
        ("gpt-5.9", "o200k_base"),
        ("gpt-6", "o200k_base"),
        ("ft:gpt-4o-mini-2024-07-18:org::abc", "o200k_base"),
        ("gpt-4-32k-0613", "cl100k_base"),
        ("gpt-3.5-turbo-16k", "cl100k_base"),
        ("text-embedding-3-large", "cl100k_base"),
        ("text-embedding-ada-002", "cl100k_base"),
        ("davinci-002", "cl100k_base"),
        ("babbage-002", "cl100k_base"),
    ],
)
def test_prefix_rule_for_models_the_catalog_does_not_know(
    model: str, encoding: str, cat: Catalog
) -> None:
    assert tokens.prefix_encoding(model) == encoding
    assert tokens.tokenizer_for(model, prices=cat).name == encoding


def test_unknown_model_is_an_error_naming_it(cat: Catalog) -> None:
    with pytest.raises(UnknownModelError, match="'llama-3-70b'"):
        count_tokens("hi", "llama-3-70b", prices=cat)


def test_known_model_with_no_encoding_is_tokenizer_unavailable(cat: Catalog) -> None:
    with pytest.raises(TokenizerUnavailableError, match=r"'my-local-llama'.*encoding"):
        count_tokens("hi", "my-local-llama", prices=cat)


def test_an_unbundled_encoding_in_the_catalog_is_refused(tmp_path: Path) -> None:
    f = tmp_path / "p.toml"
    f.write_text(
        '[[models]]\nid = "old-davinci"\nencoding = "p50k_base"\n'
        '[[models.prices]]\nsince = "2022-01-01"\nsource = "test"\ninput = "20"\n'
    )
    with pytest.raises(TokenizerUnavailableError, match="p50k_base"):
        count_tokens("hi", "old-davinci", prices=Catalog([]).load(f))


def test_the_shared_catalog_is_used_by_default() -> None:
    assert count_tokens("Hello world", "gpt-4o") == 2  # bundled catalog: o200k_base
    assert isinstance(tokens.tokenizer_for("gpt-4o"), tokens.Tokenizer)


# ------------------------------------------------------------------- recorded API counts

PAIRS = json.loads((FIXTURES / "pairs.json").read_text())["pairs"]


def test_there_are_enough_recorded_pairs_of_each_kind() -> None:
    assert len(PAIRS) >= 5
    exact = [p for p in PAIRS if not p.get("tolerance")]
    has = {
        "names": any(any("name" in m for m in p["request"]["messages"]) for p in exact),
        "no names": any(all("name" not in m for m in p["request"]["messages"]) for p in exact),
        "tools": any("tools" in p["request"] for p in exact),
        "images": any("image_url" in json.dumps(p["request"]) for p in exact),
    }
    assert all(has.values()), has
    assert all(p["source"] for p in PAIRS)


@pytest.mark.parametrize("pair", PAIRS, ids=[p["id"] for p in PAIRS])
def test_message_counts_equal_what_the_api_reported(pair: dict[str, Any], cat: Catalog) -> None:
    req = pair["request"]
    got = count_tokens(req["messages"], pair["model"], tools=req.get("tools"), prices=cat)
    tolerance = pair.get("tolerance", 0)
    if tolerance:
        # a known, documented gap (see the fixture README); it must not grow
        assert abs(got - pair["prompt_tokens"]) <= tolerance, (got, pair["prompt_tokens"])
    else:
        assert got == pair["prompt_tokens"]


# ------------------------------------------------------------------- message rules


def test_per_message_and_reply_priming_overhead(cat: Catalog) -> None:
    # 3 per message + "user" (1) + "Hi" (1) + 3 reply priming
    assert count_tokens([{"role": "user", "content": "Hi"}], "gpt-4o", prices=cat) == 8
    # a name costs its tokens + 1: "bob" is 1 token
    named = [{"role": "user", "name": "bob", "content": "Hi"}]
    assert count_tokens(named, "gpt-4o", prices=cat) == 10


def test_sdk_message_objects_count_like_dicts(cat: Catalog) -> None:
    from openai.types.chat import ChatCompletionMessage

    history = [
        {"role": "user", "content": "What's the weather like in SF?"},
        ChatCompletionMessage(role="assistant", content="Sunny."),
    ]
    as_dicts = [history[0], {"role": "assistant", "content": "Sunny."}]
    assert count_tokens(history, "gpt-4o", prices=cat) == count_tokens(
        as_dicts, "gpt-4o", prices=cat
    )


def test_text_parts_count_like_a_string(cat: Catalog) -> None:
    as_parts = [{"role": "user", "content": [{"type": "text", "text": "Hello world"}]}]
    as_str = [{"role": "user", "content": "Hello world"}]
    assert count_tokens(as_parts, "gpt-4o", prices=cat) == count_tokens(
        as_str, "gpt-4o", prices=cat
    )


def test_assistant_tool_calls_and_tool_results_are_counted(cat: Catalog) -> None:
    base = [{"role": "user", "content": "weather?"}]
    call = {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": "call_1",
                "type": "function",
                "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'},
            }
        ],
    }
    result = {"role": "tool", "tool_call_id": "call_1", "content": "18C"}
    n0 = count_tokens(base, "gpt-4o", prices=cat)
    n1 = count_tokens([*base, call], "gpt-4o", prices=cat)
    n2 = count_tokens([*base, call, result], "gpt-4o", prices=cat)
    assert n1 > n0 + 3 + 1  # more than an empty assistant message
    assert n2 > n1 + 3 + 1


def test_tools_add_nothing_when_empty(cat: Catalog) -> None:
    msgs = [{"role": "user", "content": "Hi"}]
    assert count_tokens(msgs, "gpt-4o", tools=[], prices=cat) == 8


@pytest.mark.parametrize(
    ("messages", "match"),
    [
        ("just a string", None),  # a str is text, not an error
        ([], "empty"),
        ([{"content": "hi"}], r"messages\[0\] has no 'role'"),
        ([{"role": 3, "content": "hi"}], "role must be a string"),
        ([{"role": "user", "content": 42}], "content must be a string or a list"),
        ([{"role": "user", "content": [{"type": "video"}]}], "unknown content part type"),
        ([{"role": "user", "content": [{"type": "text"}]}], "needs a 'text' string"),
        ([{"role": "user", "name": 5, "content": "x"}], "name must be a string"),
        (["not a dict"], r"messages\[0\] must be an object"),
        (42, "messages must be a list"),
    ],
)
def test_malformed_messages_are_usage_errors(
    messages: Any, match: str | None, cat: Catalog
) -> None:
    if match is None:
        assert count_tokens(messages, "gpt-4o", prices=cat) == 3
        return
    with pytest.raises(UsageError, match=match):
        count_tokens(messages, "gpt-4o", prices=cat)


def test_audio_parts_cannot_be_counted_offline(cat: Catalog) -> None:
    msgs = [
        {
            "role": "user",
            "content": [{"type": "input_audio", "input_audio": {"data": "AAAA", "format": "wav"}}],
        }
    ]
    with pytest.raises(TokenizerUnavailableError, match="input_audio parts cannot be counted"):
        count_tokens(msgs, "gpt-4o", prices=cat)


def test_tools_with_plain_text_are_refused(cat: Catalog) -> None:
    with pytest.raises(UsageError, match="tools= only applies to chat messages"):
        count_tokens("hi", "gpt-4o", tools=[{"type": "function", "function": {"name": "f"}}])


def test_non_function_tools_are_refused(cat: Catalog) -> None:
    with pytest.raises(UsageError, match="only function tools"):
        count_tokens([{"role": "user", "content": "x"}], "gpt-4o", tools=[{"type": "web_search"}])


# ------------------------------------------------------------------- images


@pytest.mark.parametrize(
    ("model", "detail", "size", "expected"),
    [
        # OpenAI vision guide examples: 85 base + 170 per 512 px tile (gpt-4o / 4.1)
        ("gpt-4o-2024-08-06", "high", (1024, 1024), 765),  # 768x768 -> 4 tiles
        ("gpt-4o-2024-08-06", "high", (2048, 4096), 1105),  # 1024x2048 -> 768x1536 -> 6 tiles
        ("gpt-4o-2024-08-06", "low", (4096, 8192), 85),
        ("gpt-4o-2024-08-06", "high", (512, 512), 255),  # 1 tile, no scaling
        ("gpt-4o-2024-08-06", "high", (513, 512), 425),  # 2 tiles
        ("gpt-4o-2024-08-06", "auto", (1024, 1024), 765),  # auto counted as high
        ("gpt-4.1-2025-04-14", "high", (1024, 1024), 765),
        # gpt-4o-mini: 2833 base + 5667 per tile
        ("gpt-4o-mini-2024-07-18", "high", (1024, 1024), 2833 + 4 * 5667),
        ("gpt-4o-mini-2024-07-18", "low", (1024, 1024), 2833),
        # o1 / o3: 75 + 150 per tile; gpt-5: 70 + 140 per tile
        ("o3-2025-04-16", "high", (1024, 1024), 75 + 4 * 150),
        ("gpt-5", "high", (1024, 1024), 70 + 4 * 140),
        # patch families: 32 px patches, cap 1536, x multiplier, rounded up
        ("gpt-4.1-mini-2025-04-14", "high", (1024, 1024), 1659),  # 1024 x 1.62 = 1658.88
        ("gpt-4.1-mini-2025-04-14", "low", (1024, 1024), 1659),  # detail does not matter
        ("gpt-4.1-nano-2025-04-14", "high", (1800, 2400), 3572),  # 1452 (guide) x 2.46
        ("o4-mini-2025-04-16", "high", (1800, 2400), 2498),  # 1452 x 1.72 = 2497.44
    ],
)
def test_image_formula(model: str, detail: str, size: tuple[int, int], expected: int) -> None:
    rule = image_rule(model)
    assert rule is not None
    assert image_tokens(rule, detail, size) == expected


def test_image_in_a_message_uses_the_explicit_size(cat: Catalog) -> None:
    msgs = image_message("https://example.com/cat.jpg", "high", width=1024, height=1024)
    # 3 + "user" 1 + 765 + 3
    assert count_tokens(msgs, "gpt-4o", prices=cat) == 772


@pytest.mark.parametrize(
    ("data", "size"),
    [
        (png(300, 200), (300, 200)),
        (jpeg_header(640, 480), (640, 480)),
        (jpeg_header(4000, 3000, exif=60000), (4000, 3000)),
        (gif_header(17, 33), (17, 33)),
        (webp_vp8x(1920, 1080), (1920, 1080)),
        (webp_vp8l(800, 600), (800, 600)),
        (webp_vp8(1024, 768), (1024, 768)),
        (b"not an image", None),
    ],
)
def test_image_sizes_from_headers(data: bytes, size: tuple[int, int] | None) -> None:
    assert size_from_bytes(data) == size


def test_data_url_is_sized_from_its_header(cat: Catalog) -> None:
    url = data_url(jpeg_header(2048, 4096, exif=70000), "image/jpeg")
    # 3 + 1 + 1105 + 3: the JPEG frame header sits past the first 64 KiB
    assert count_tokens(image_message(url, "high"), "gpt-4o", prices=cat) == 1112


def test_remote_url_low_detail_needs_no_size(cat: Catalog) -> None:
    msgs = image_message("https://example.com/cat.jpg", "low")
    assert count_tokens(msgs, "gpt-4o", prices=cat) == 3 + 1 + 85 + 3


def test_responses_input_image_shape(cat: Catalog) -> None:
    msgs = [
        {
            "type": "message",
            "role": "user",
            "content": [
                {"type": "input_text", "text": "Hi"},
                {"type": "input_image", "image_url": "https://x/y.png", "detail": "low"},
            ],
        }
    ]
    assert count_tokens(msgs, "gpt-4o", prices=cat) == 3 + 1 + 1 + 85 + 3


@pytest.mark.parametrize(
    ("model", "msgs", "exc", "match"),
    [
        (
            "gpt-4o",
            image_message("https://example.com/cat.jpg", "high"),
            UsageError,
            r"content\[0\]: cannot size an image from a remote URL",
        ),
        (
            "gpt-4o",
            image_message("https://example.com/cat.jpg"),
            UsageError,
            "remote URL",
        ),
        (
            "gpt-4.1-mini",
            image_message("https://example.com/cat.jpg", "low"),
            UsageError,
            "counts 32 px patches at any detail",
        ),
        (
            "gpt-4o",
            image_message("data:image/png;base64,!!!!", "high"),
            UsageError,
            "not valid base64",
        ),
        (
            "gpt-4o",
            image_message(data_url(b"BM not supported", "image/bmp"), "high"),
            UsageError,
            r"cannot read the size .*image/bmp",
        ),
        ("gpt-4o", image_message("data:image/png,raw", "high"), UsageError, "must be base64"),
        ("gpt-4o", image_message("https://x", "ultra"), UsageError, "detail must be"),
        (
            "gpt-4o",
            image_message("https://x", "high", width=10),
            UsageError,
            'both "width" and "height"',
        ),
        (
            "gpt-4o",
            image_message("https://x", "high", width=0, height=5),
            UsageError,
            "positive whole number",
        ),
        (
            "gpt-3.5-turbo",
            image_message("https://x", "low"),
            TokenizerUnavailableError,
            "no image token rule",
        ),
    ],
)
def test_image_errors(
    model: str, msgs: Any, exc: type[Exception], match: str, cat: Catalog
) -> None:
    with pytest.raises(exc, match=match):
        count_tokens(msgs, model, prices=cat)


# ------------------------------------------------------------------- estimate

SF = [{"role": "user", "content": "What's the weather like in SF?"}]  # 14 prompt tokens


def test_estimate_prices_the_prompt_and_the_output_range(cat: Catalog) -> None:
    est = estimate("gpt-4o", SF, max_output_tokens=100, prices=cat)
    assert isinstance(est, Estimate)
    assert est.model == "gpt-4o-2024-08-06"
    assert est.prompt_tokens == 14
    # gpt-4o input $2.50/1M, output $10.00/1M (openai-billing.md 3.1)
    assert est.prompt_cost.total == Decimal("0.000035")  # 14 x 2.50 / 1M
    assert est.output_cost_max == Decimal("0.001")  # 100 x 10 / 1M
    assert est.total_min == Decimal("0.000035")
    assert est.total_max == Decimal("0.001035")
    assert est.max_output_tokens == 100
    assert [(ln.dimension, ln.units) for ln in est.lines] == [("input", 14), ("output", 100)]
    assert Decimal(est.to_dict()["total_max_usd"]) == Decimal("0.001035")


def test_estimate_defaults_to_the_models_maximum_output(cat: Catalog) -> None:
    est = estimate("gpt-4o", SF, prices=cat)
    assert est.max_output_tokens == 16384  # prices.toml: gpt-4o max_output_tokens
    assert est.output_cost_max == Decimal("0.16384")  # 16384 x $10.00 / 1M


def test_estimate_with_cached_tokens_batch_and_tools(cat: Catalog) -> None:
    jargon = next(p for p in PAIRS if p["id"] == "cookbook-names-gpt-4o")["request"]["messages"]
    est = estimate("gpt-4o", jargon, max_output_tokens=0, cached_tokens=64, prices=cat)
    assert est.prompt_tokens == 124
    # 60 x $2.50/1M + 64 x $1.25/1M cached (openai-billing.md 3.1)
    assert est.prompt_cost.total == Decimal("0.00023")
    assert est.total_max == est.total_min
    batch = estimate("gpt-4o", SF, max_output_tokens=100, batch=True, prices=cat)
    # no batch table in prices.toml: 50% of standard (openai-billing.md 2.3)
    assert batch.total_max == Decimal("0.0005175")  # 14 x 1.25/1M + 100 x 5/1M
    tool_pair = next(p for p in PAIRS if p["id"] == "cookbook-tools-gpt-4o")
    req = tool_pair["request"]
    with_tools = estimate(
        "gpt-4o", req["messages"], tools=req["tools"], max_output_tokens=1, prices=cat
    )
    assert with_tools.prompt_tokens == 101


def test_estimate_with_cl100k_model(cat: Catalog) -> None:
    jargon = next(p for p in PAIRS if p["id"] == "cookbook-names-gpt-4")["request"]["messages"]
    est = estimate("gpt-4", jargon, max_output_tokens=10, prices=cat)
    assert est.prompt_tokens == 129
    # gpt-4 $30 in / $60 out per 1M (openai-billing.md 3.10): 129 x 30 + 10 x 60 = 4470 / 1M
    assert est.total_max == Decimal("0.00447")
    assert est.encoding == "cl100k_base"


def test_estimate_errors(cat: Catalog) -> None:
    with pytest.raises(UsageError, match=r"no maximum output for 'gpt-4.1-mini-2025-04-14'"):
        estimate("gpt-4.1-mini", SF, prices=cat)
    with pytest.raises(UnknownModelError, match="'gpt-4o-2099'"):
        estimate("gpt-4o-2099", SF, max_output_tokens=1, prices=cat)
    with pytest.raises(UsageError, match="max_output_tokens must be"):
        estimate("gpt-4o", SF, max_output_tokens=-1, prices=cat)
    with pytest.raises(UsageError, match="contradictory usage: cached_tokens"):
        estimate("gpt-4o", SF, max_output_tokens=1, cached_tokens=15, prices=cat)
    with pytest.raises(PricingError, match="no flex price"):
        estimate("gpt-4o", SF, max_output_tokens=1, tier="flex", prices=cat)

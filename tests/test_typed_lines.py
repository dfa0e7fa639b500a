"""The typed line decoders of `analyze` (msgspec): a line they count is counted exactly as the
general reader counts it, and a line they refuse is read the general way.

Each tricky variant follows a plain line of the same model and day (so the fused loop already
has its bucket and the typed path is the one that meets the variant); the file is then
summarised twice: by the fused loop (typed decoders first) and item by item (the general
reader). Everything must agree: totals, groups, problems and their ``file:line``.
"""

from __future__ import annotations

import json
import warnings
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from _usage_helpers import make_catalog
from openai_cost import Catalog
from openai_cost.summary import iter_records, summarize
from openai_cost.usage._files import BLANK, parse_line
from openai_cost.usage._typed import typed_decoders

D = Decimal
JAN8 = 1736330400  # 2025-01-08 10:00 UTC
MINI = "gpt-4o-mini-2024-07-18"
PLAIN = (
    '{"prompt_tokens":1000,"completion_tokens":100,"total_tokens":1100,'
    '"prompt_tokens_details":{"cached_tokens":512,"audio_tokens":0},'
    '"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,'
    '"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}'
)


@pytest.fixture
def cat(tmp_path: Path) -> Catalog:
    return make_catalog(tmp_path)


def body(usage: str = PLAIN, *, model: str = f'"{MINI}"', created: str = str(JAN8),
         extra: str = "", obj: str = '"chat.completion"') -> str:  # fmt: skip
    return (
        f'{{"id":"chatcmpl-1","object":{obj},"created":{created},"model":{model},'
        '"choices":[{"index":0,"message":{"role":"assistant","content":"Hi \\u00e9 \\"there\\""},'
        f'"finish_reason":"stop"}}],"usage":{usage}{extra}}}'
    )


def batch(b: str, *, status: str = "200", error: str = "null", i: int = 1) -> str:
    return (
        f'{{"id":"batch_req_{i}","custom_id":"request-{i}","response":{{"status_code":{status},'
        f'"request_id":"req_{i}","body":{b}}},"error":{error}}}'
    )


# (name, usage text or whole body, accepted by the typed decoder)
USAGES = [
    ("plain", PLAIN, True),
    ("cached null", PLAIN.replace('"cached_tokens":512', '"cached_tokens":null'), True),
    ("details null", '{"prompt_tokens":10,"completion_tokens":5,"prompt_tokens_details":null,'
     '"completion_tokens_details":null}', True),
    ("no details", '{"prompt_tokens":10,"completion_tokens":5}', True),
    ("no completion", '{"prompt_tokens":10}', True),
    ("reasoning", PLAIN.replace('"reasoning_tokens":0', '"reasoning_tokens":60'), True),
    ("predictions", PLAIN.replace('"accepted_prediction_tokens":0',
                                  '"accepted_prediction_tokens":7')
     .replace('"rejected_prediction_tokens":0', '"rejected_prediction_tokens":3'), True),
    ("text tokens", '{"prompt_tokens":10,"completion_tokens":5,'
     '"completion_tokens_details":{"text_tokens":5}}', True),
    ("spaces", '{ "prompt_tokens" : 10 ,\t"completion_tokens": 5 }', True),
    ("duplicate key", '{"prompt_tokens":10,"completion_tokens":5,"prompt_tokens":20}', True),
    ("prompt string", '{"prompt_tokens":"12","completion_tokens":5}', False),
    ("prompt float", '{"prompt_tokens":1.5,"completion_tokens":5}', False),
    ("prompt whole float", '{"prompt_tokens":12.0,"completion_tokens":5}', False),
    ("prompt exponent", '{"prompt_tokens":1e3,"completion_tokens":5}', False),
    ("prompt bool", '{"prompt_tokens":true,"completion_tokens":5}', False),
    ("prompt negative", '{"prompt_tokens":-1,"completion_tokens":5}', False),
    ("prompt null", '{"prompt_tokens":null,"completion_tokens":5}', False),
    ("prompt huge", '{"prompt_tokens":99999999999999999999,"completion_tokens":5}', False),
    ("completion null", '{"prompt_tokens":10,"completion_tokens":null}', False),
    ("total string", '{"prompt_tokens":10,"completion_tokens":5,"total_tokens":"15"}', False),
    ("unknown key", '{"prompt_tokens":10,"completion_tokens":5,"foo_tokens":3}', False),
    ("unknown detail", '{"prompt_tokens":10,"completion_tokens":5,'
     '"prompt_tokens_details":{"cached_tokens":0,"foo":1}}', False),
    ("audio in", '{"prompt_tokens":10,"completion_tokens":5,'
     '"prompt_tokens_details":{"audio_tokens":4}}', False),
    ("audio false", '{"prompt_tokens":10,"completion_tokens":5,'
     '"prompt_tokens_details":{"audio_tokens":false}}', False),
    ("audio out", '{"prompt_tokens":10,"completion_tokens":5,'
     '"completion_tokens_details":{"audio_tokens":4}}', False),
    ("cache writes", '{"prompt_tokens":10,"completion_tokens":5,'
     '"prompt_tokens_details":{"cache_write_tokens":4}}', False),
    ("cached above input", '{"prompt_tokens":10,"completion_tokens":5,'
     '"prompt_tokens_details":{"cached_tokens":11}}', True),
    ("reasoning above output", '{"prompt_tokens":10,"completion_tokens":5,'
     '"completion_tokens_details":{"reasoning_tokens":6}}', True),
    ("usage null", "null", False),
    ("usage list", "[]", False),
]  # fmt: skip
BODIES = [
    ("model escaped", body(model='"\\u0067pt-4o-mini-2024-07-18"'), True),
    ("model number", body(model="4"), False),
    ("model unknown", body(model='"gpt-9-ultra"'), True),
    ("created negative", body(created="-5"), False),
    ("created float", body(created=f"{JAN8}.0"), False),
    ("created too late", body(created="253402300800"), False),
    ("chunk", body(obj='"chat.completion.chunk"'), False),
    ("flex tier", body(extra=',"service_tier":"flex"'), True),
    ("tier number", body(extra=',"service_tier":3'), False),
    ("custom id", body(extra=',"custom_id":"x"'), True),
]


def _variants() -> list[tuple[str, str, bool]]:
    return [(n, body(u), ok) for n, u, ok in USAGES] + BODIES


def _agree(cat: Catalog, path: Path, lines: list[str]) -> None:
    path.write_text("\n".join(lines) + "\n")
    # the same warnings too (an unknown usage key is priced without, with a warning)
    with warnings.catch_warnings(record=True) as w_fused:
        warnings.simplefilter("always")
        fused = summarize(iter_records(path), prices=cat, by=("model", "tier"))
    with warnings.catch_warnings(record=True) as w_general:
        warnings.simplefilter("always")
        general = summarize(list(iter_records(path)), prices=cat, by=("model", "tier"))
    assert fused.to_dict() == general.to_dict()
    assert [str(x.message) for x in w_fused] == [str(x.message) for x in w_general]


@pytest.mark.parametrize(("name", "text", "accepted"), _variants(), ids=[v[0] for v in _variants()])
def test_a_variant_after_a_plain_line_counts_as_the_general_reader_counts_it(
    cat: Catalog, tmp_path: Path, name: str, text: str, accepted: bool
) -> None:
    dec = typed_decoders()
    assert dec is not None
    wrapped = batch(text, i=2)
    for decode, line in ((dec.chat_body, text), (dec.batch_line, wrapped)):
        try:
            decode(line.encode())
            took = True
        except dec.error:
            took = False
        # a bare body with a custom_id decodes, and is then left to the general reader
        assert took is accepted, (name, line)
    # a Batch file, and a log of bare bodies: a plain line first, the variant, a plain line
    _agree(cat, tmp_path / "batch.jsonl", [batch(body(), i=1), wrapped, batch(body(), i=3)])
    _agree(cat, tmp_path / "log.jsonl", [body(), text, body()])


def test_batch_variants_of_the_line_itself(cat: Catalog, tmp_path: Path) -> None:
    lines = [
        batch(body(), i=1),
        batch(body(), status="200.0", i=2),
        batch(body(), status="500", i=3),
        batch(body(), error='{"code":"x","message":"y"}', i=4),
        batch(body(), i=5).replace('"custom_id":"request-5",', ""),
        '{"id":"b6","custom_id":"request-6","response":null,"error":{"code":"batch_expired",'
        '"message":"expired"}}',
        batch(body(), i=7)[:-9],  # cut JSON
        "",
        batch(body(), i=9),
    ]
    _agree(cat, tmp_path / "batch.jsonl", lines)


def test_typed_lines_priced_by_hand(cat: Catalog, tmp_path: Path) -> None:
    path = tmp_path / "batch.jsonl"
    path.write_text("".join(batch(body(), i=i) + "\n" for i in range(1, 4)))
    s = summarize(iter_records(path), prices=cat)
    # gpt-4o-mini Batch (billing 3.1, the test catalog): $0.075 input (cached too, no Batch
    # cached rate), $0.30 output: 3 x (1000 x 0.075 + 100 x 0.30) = 3 x 105 = 315 / 1M
    assert (s.calls, s.total_usd) == (3, D("0.000315"))
    assert s.usage == {"input_tokens": 3000, "cached_tokens": 1536, "output_tokens": 300}


def test_a_log_of_bare_bodies_switches_decoder_and_agrees(cat: Catalog, tmp_path: Path) -> None:
    # the Batch decoder refuses every line; after enough refusals the chat decoder takes over
    lines = [body()] * 150 + [body(extra=',"service_tier":"priority"')] * 3
    _agree(cat, tmp_path / "log.jsonl", lines)
    s = summarize(iter_records(tmp_path / "log.jsonl"), prices=cat)
    # gpt-4o-mini standard (billing 3.1): 488 x $0.15 + 512 cached x $0.075 + 100 x $0.60
    # = 73.2 + 38.4 + 60 = 171.6 / 1M a call; 150 calls = $0.02574. The test catalog has no
    # priority rate for gpt-4o-mini: those 3 calls are listed unpriced, never $0.
    assert (s.calls, s.unpriced, s.total_usd) == (150, 3, D("0.02574"))
    assert [(p.kind, p.count) for p in s.problems] == [("unpriced", 3)]
    assert "has no priority price" in s.problems[0].reason


def test_lines_neither_decoder_reads_agree(cat: Catalog, tmp_path: Path) -> None:
    emb = {"object": "list", "data": [], "model": "text-embedding-3-small",
           "usage": {"prompt_tokens": 8, "total_tokens": 8}}  # fmt: skip
    lines = [json.dumps(emb)] * 200 + [body()] * 3
    _agree(cat, tmp_path / "emb.jsonl", lines)


def _table_rows(sources: list[Any]) -> list[dict[str, Any]]:
    from openai_cost.table import from_records

    rows = from_records(sources, batch_size=7).read_all().to_pylist()
    for r in rows:
        del r["source"], r["line"]
    return rows


def test_from_records_reads_typed_lines_as_extract_usage_does(tmp_path: Path) -> None:
    """``table.from_records`` of a file (typed decoders first) gives the rows it gives for the
    same lines as parsed objects (`extract_usage` on each), every variant included, over
    several record batches."""
    lines = [batch(body(), i=1)]
    for name, text, _ in _variants():
        if name != "prompt huge":  # beyond 64 bits: orjson (files) reads a float, json an int
            lines += [batch(text, i=2), text]
    lines += [batch(body(), i=3), "", batch(body(), status="500", i=4), batch(body(), i=5)[:-9]]
    lines += [body()] * 3
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join(lines) + "\n")
    with warnings.catch_warnings(record=True) as w_file:
        warnings.simplefilter("always")
        from_file = _table_rows([path])
    # each line as the file reader parses it (a cut line is a UsageError, a blank one nothing)
    objs = [parse_line(ln.encode() + b"\n") for ln in lines]
    objs = [o for o in objs if o is not BLANK]
    with warnings.catch_warnings(record=True) as w_objs:
        warnings.simplefilter("always")
        from_objs = _table_rows(objs)
    assert len(from_file) == len(from_objs) > 60
    for i, (a, b) in enumerate(zip(from_file, from_objs, strict=True)):
        assert a == b, (i, a, b)
    assert [str(x.message) for x in w_file] == [str(x.message) for x in w_objs]


def test_from_records_typed_row_by_hand(tmp_path: Path) -> None:
    path = tmp_path / "b.jsonl"
    path.write_text(batch(body(), i=1) + "\n" + batch(body(), i=2) + "\n")
    rows = _table_rows([path])
    assert len(rows) == 2
    r = rows[1]
    assert (r["model"], r["batch"], r["endpoint"], r["custom_id"], r["request_id"]) == (
        MINI, True, "chat.completions", "request-2", "chatcmpl-1")  # fmt: skip
    assert r["created_at"].timestamp() == JAN8
    assert (r["input_tokens"], r["cached_tokens"], r["output_tokens"]) == (1000, 512, 100)
    assert r["reasoning_tokens"] == r["audio_input_tokens"] == 0
    assert r["web_search_call"] is None and r["unpriced_reason"] is None


def test_from_records_a_count_beyond_64_bits_is_a_row_with_its_reason() -> None:
    huge = json.loads(body('{"prompt_tokens":99999999999999999999,"completion_tokens":5}'))
    rows = _table_rows([huge, json.loads(body())])
    assert rows[0]["unpriced_reason"] == (
        "input_tokens = 99999999999999999999 does not fit the usage table's 64-bit column"
    )
    assert rows[0]["input_tokens"] is None and rows[0]["model"] == MINI
    assert rows[1]["input_tokens"] == 1000 and rows[1]["unpriced_reason"] is None

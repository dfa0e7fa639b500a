"""summarize and iter_records: totals per group, nothing dropped, nothing at $0.

Expected costs are the per-fixture hand computations of tests/test_usage.py (rates from
openai-billing.md, copied into tests/_usage_helpers.py), added up.
"""

from __future__ import annotations

import gzip
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import openai_cost as oc
from _usage_helpers import FIXTURES, fixture, fixture_text, make_catalog
from openai_cost import Catalog
from openai_cost.summary import Record, iter_records, summarize

D = Decimal


@pytest.fixture
def cat(tmp_path: Path) -> Catalog:
    return make_catalog(tmp_path)


def _line(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"))


def _chat(model: str, created: int, inp: int, out: int, cached: int = 0, **extra: Any) -> dict:
    return {
        "id": f"chatcmpl-{created}-{inp}",
        "object": "chat.completion",
        "created": created,
        "model": model,
        "choices": [],
        "usage": {
            "prompt_tokens": inp,
            "completion_tokens": out,
            "total_tokens": inp + out,
            "prompt_tokens_details": {"cached_tokens": cached, "audio_tokens": 0},
        },
        **extra,
    }


JAN8 = 1736330400  # 2025-01-08 10:00 UTC
JAN9 = JAN8 + 86400


def test_batch_output_file_priced_at_batch_rates_failed_lines_counted(cat: Catalog) -> None:
    path = FIXTURES / "batch_output.jsonl"
    s = summarize(iter_records(path), prices=cat)
    assert (s.records, s.calls, s.failed, s.malformed, s.unpriced) == (4, 2, 2, 0, 0)
    # gpt-4o-mini Batch (billing 3.1): line 1: 20 x $0.075 + 10 x $0.30 = 4.5 / 1M;
    # line 2: 2200 x $0.075 (cached at the batch input rate) + 500 x $0.30 = 315 / 1M
    assert s.total_usd == D("0.0000045") + D("0.000315")
    assert s.groups[0].key == {"model": "gpt-4o-mini-2024-07-18"}
    assert s.groups[0].usage["input_tokens"] == 2220
    assert s.groups[0].usage["cached_tokens"] == 1024
    failed = [p for p in s.problems if p.kind == "failed"]
    assert [p.location for p in failed] == [f"{path}:3", f"{path}:4"]
    assert "batch_expired" in failed[0].reason
    assert "HTTP 400" in failed[1].reason


def test_every_fixture_shape_in_one_run(cat: Catalog) -> None:
    names = [
        "chat_completion_cached.json",  # 0.005615
        "chat_completion_reasoning_flex.json",  # 0.013928
        "chat_completion_predicted.json",  # 0.00020505
        "chat_completion_audio.json",  # 0.014960
        "completion_legacy.json",  # 0.0000215
        "embeddings.json",  # 0.00000016
        "chat_stream.sse",  # 0.00000885
        "responses_reasoning.json",  # 0.00167625
        "responses_tools.json",  # 0.038
        "responses_web_search_preview.json",  # 0.00438 + 0.025
        "responses_stream.sse",  # 0.00001215
        "responses_incomplete_event.json",  # 0.0000126
        "batch_output.jsonl",  # 0.0003195, 2 failed
    ]
    recs = [r for n in names for r in iter_records(FIXTURES / n)]
    s = summarize(recs, prices=cat)
    expected = sum(
        D(x)
        for x in (
            "0.005615", "0.013928", "0.00020505", "0.014960", "0.0000215", "0.00000016",
            "0.00000885", "0.00167625", "0.038", "0.00438", "0.025", "0.00001215", "0.0000126",
            "0.0000045", "0.000315",
        )
    )  # fmt: skip
    assert s.total_usd == expected
    assert s.calls == 14
    assert (s.malformed, s.unpriced, s.failed) == (0, 0, 2)
    # the 12 chat chunks without usage and 4 Responses events are stream parts, counted once
    assert s.stream_parts == 11 + 4
    assert s.fees_usd == D("0.0225") + D("0.025")
    assert s.usage["web_search_call"] == 2


def test_summary_equals_the_sum_of_cost_of(cat: Catalog) -> None:
    names = ["chat_completion_cached.json", "chat_completion_predicted.json",
             "responses_tools.json", "embeddings.json"]  # fmt: skip
    objs = [fixture(n) for n in names]
    s = summarize(objs, prices=cat)
    assert s.total_usd == sum(oc.cost_of(o, prices=cat).total for o in objs)


def test_fast_path_and_full_path_agree(cat: Catalog) -> None:
    body = fixture("chat_completion_cached.json")
    fast = summarize([body], prices=cat)
    full = summarize([{"request": {"model": "gpt-4o"}, "response": body}], prices=cat)
    assert fast.total_usd == full.total_usd == D("0.005615")
    assert fast.usage == full.usage


def test_group_by_day_tier_and_endpoint(cat: Catalog) -> None:
    objs = [
        _chat("gpt-4o-mini-2024-07-18", JAN8, 1000, 100),
        _chat("gpt-4o-mini-2024-07-18", JAN9, 2000, 200),
        _chat("gpt-4o-2024-08-06", JAN9, 1000, 0, service_tier="priority"),
        fixture("embeddings.json"),
    ]
    s = summarize(objs, by=("day", "tier"), prices=cat)
    rows = {tuple(g.key.values()): g.total_usd for g in s.groups}
    # gpt-4o-mini: 1000 x $0.15 + 100 x $0.60 = 210 / 1M; 2000 x 0.15 + 200 x 0.60 = 420 / 1M
    # gpt-4o priority (billing 3.1): 1000 x $4.25 = 4250 / 1M
    # embeddings have no `created` (today's price, day "undated"): 8 x $0.02 = 0.16 / 1M
    assert rows == {
        ("2025-01-08", "default"): D("0.000210"),
        ("2025-01-09", "default"): D("0.000420"),
        ("2025-01-09", "priority"): D("0.004250"),
        ("undated", "default"): D("0.00000016"),
    }
    by_ep = summarize(objs, by="endpoint", prices=cat)
    assert [g.key["endpoint"] for g in by_ep.groups] == ["chat.completions", "embeddings"]


def test_long_context_decided_per_request_not_per_sum(cat: Catalog) -> None:
    day = 1775044800  # 2026-04-01
    objs = [_chat("gpt-5.4", day, 200_000, 0), _chat("gpt-5.4", day + 60, 200_000, 0),
            _chat("gpt-5.4", day + 120, 300_000, 0)]  # fmt: skip
    s = summarize(objs, prices=cat)
    # gpt-5.4 (billing 3.3, 2.6): two requests below 272K at $2.50: 400,000 x 2.50 = $1.00;
    # one above 272K at the long-context $5.00 for the whole request: 300,000 x 5 = $1.50
    assert s.total_usd == D("2.50")


def test_unknown_models_counted_with_first_location(cat: Catalog, tmp_path: Path) -> None:
    p = tmp_path / "log.jsonl"
    lines = [
        _chat("gpt-4o-mini-2024-07-18", JAN8, 1000, 100),
        _chat("gpt-9-ultra", JAN8, 10, 10),
        _chat("gpt-9-ultra", JAN8, 10, 10),
    ]
    p.write_text("\n".join(_line(x) for x in lines) + "\n")
    s = summarize(iter_records(p), prices=cat)
    assert s.unknown_models == {"gpt-9-ultra": 2}
    assert s.unpriced == 2
    assert s.calls == 1
    (prob,) = [x for x in s.problems if x.kind == "unknown_model"]
    assert (prob.location, prob.count, prob.model) == (f"{p}:2", 2, "gpt-9-ultra")
    assert "unknown model 'gpt-9-ultra'" in prob.reason
    assert s.total_usd == D("0.000210")  # only the known call: 1000 x 0.15 + 100 x 0.60


def test_malformed_lines_each_have_a_reason_and_the_rest_is_priced(
    cat: Catalog, tmp_path: Path
) -> None:
    p = tmp_path / "mixed.jsonl"
    good = _chat("gpt-4o-mini-2024-07-18", JAN8, 1000, 100)
    chunks = [json.loads(x[6:]) for x in fixture_text("chat_stream_no_usage.sse").split("\n\n")
              if x.startswith("data: {")]  # fmt: skip
    lines = [
        _line(good),
        '{"object": "chat.completion", "usage": {"prompt_tok',  # truncated
        _line(_chat("gpt-4o-mini-2024-07-18", JAN8, 1, 1) | {"usage": {"prompt_tokens": "12"}}),
        _line({"object": "chat.completion", "model": "gpt-4o", "created": JAN8}),  # no usage
        _line(_chat("gpt-4o-mini-2024-07-18", JAN8, -5, 1)),  # negative count
        fixture_text("batch_output.jsonl").splitlines()[2],  # batch error line
        *(_line(c) for c in chunks),  # a stream without its usage chunk
        "",
        _line(good),
    ]
    p.write_text("\n".join(lines) + "\n")
    s = summarize(iter_records(p), prices=cat)
    assert s.calls == 2
    assert s.total_usd == 2 * D("0.000210")
    assert s.failed == 1
    assert s.malformed == 5
    where = {x.location: x.reason for x in s.problems}
    assert "not valid JSON" in where[f"{p}:2"]
    assert "prompt_tokens must be a whole number" in where[f"{p}:3"]
    assert "has no usage" in where[f"{p}:4"]
    assert "must be >= 0" in where[f"{p}:5"]
    assert "batch_expired" in where[f"{p}:6"]
    assert 'stream_options={"include_usage": True}' in where[f"{p}:7"]


def test_json_array_pretty_printed_and_gzip_files(cat: Catalog, tmp_path: Path) -> None:
    a = _chat("gpt-4o-mini-2024-07-18", JAN8, 1000, 100)
    arr = tmp_path / "calls.json"
    arr.write_text(json.dumps([a, a, a], indent=2))
    recs = list(iter_records(arr))
    starts = [n for n, ln in enumerate(arr.read_text().splitlines(), 1) if ln == "  {"]
    assert [r.line for r in recs] == starts
    assert summarize(recs, prices=cat).total_usd == 3 * D("0.000210")
    one = tmp_path / "one.json"
    one.write_text(json.dumps(a, indent=2) + "\n" + json.dumps(a, indent=2))
    assert summarize(iter_records(one), prices=cat).calls == 2
    gz = tmp_path / "log.jsonl.gz"
    with gzip.open(gz, "wt") as f:
        f.write(_line(a) + "\n" + _line(a) + "\n")
    assert summarize(iter_records(gz), prices=cat).total_usd == 2 * D("0.000210")
    single = tmp_path / "single_line_array.json"
    single.write_text(json.dumps([a, a]))
    assert summarize(iter_records(single), prices=cat).calls == 2


def test_truncated_json_array_reports_the_cut(cat: Catalog, tmp_path: Path) -> None:
    a = _chat("gpt-4o-mini-2024-07-18", JAN8, 1000, 100)
    arr = tmp_path / "cut.json"
    text = json.dumps([a, a], indent=2)
    arr.write_text(text[: len(text) - 40])
    s = summarize(iter_records(arr), prices=cat)
    assert s.calls == 1
    assert s.malformed == 1
    assert "not valid JSON (truncated?)" in s.problems[0].reason


def test_sse_capture_file_stream_cut_before_usage(cat: Catalog, tmp_path: Path) -> None:
    p = tmp_path / "capture.sse"
    p.write_text(fixture_text("chat_stream.sse") + fixture_text("chat_stream_cut.sse").replace(
        "chatcmpl-fx007", "chatcmpl-cut"))  # fmt: skip
    s = summarize(iter_records(p), prices=cat)
    assert s.calls == 1
    assert s.total_usd == D("0.00000885")
    reasons = [x.reason for x in s.problems]
    assert any("not valid JSON (cut?)" in r for r in reasons)
    assert any("'chatcmpl-cut'" in r and "include_usage" in r for r in reasons)


def test_since_until_and_at(cat: Catalog) -> None:
    objs = [
        _chat("o3-2025-04-16", JAN8 + 86400 * 160, 1000, 0),  # 2025-06-17
        _chat("o3-2025-04-16", JAN8 + 86400 * 110, 1000, 0),
    ]  # 2025-04-28, fmt: skip
    s = summarize(objs, prices=cat)
    # o3: $2.00 after 2025-06-10, $10.00 before (billing 3.2): 2000 + 10000 per 1M
    assert s.total_usd == D("0.012")
    later = summarize(objs, prices=cat, since="2025-06-01")
    assert (later.calls, later.filtered, later.total_usd) == (1, 1, D("0.002"))
    early = summarize(objs, prices=cat, until="2025-06-01")
    assert early.total_usd == D("0.010")
    at = summarize(objs, prices=cat, at="2025-07-01")
    assert at.total_usd == D("0.004")


def test_calls_without_a_model_or_rate_are_unpriced_never_zero(cat: Catalog) -> None:
    objs = [
        fixture("transcription_tokens.json"),  # transcriptions do not name their model
        _chat("gpt-4o-mini-2024-07-18", JAN8, 10, 10, service_tier="flex"),  # no flex price
    ]
    s = summarize(objs, prices=cat)
    assert s.calls == 0
    assert s.total_usd == 0
    assert s.unpriced == 2
    reasons = " | ".join(x.reason for x in s.problems)
    assert "names no model" in reasons
    assert "no flex price" in reasons


def test_batch_flag_prices_plain_responses_at_batch_rates(cat: Catalog) -> None:
    s = summarize([_chat("gpt-4o-mini-2024-07-18", JAN8, 1000, 100)], prices=cat, batch=True)
    # Batch 0.075 / 0.30: 75 + 30 = 105 / 1M
    assert s.total_usd == D("0.000105")
    assert s.groups[0].costs[0].tier == "batch"


def test_max_listed_caps_the_list_not_the_count(cat: Catalog) -> None:
    s = summarize(["{bad"] * 5, prices=cat, max_listed=2)
    assert s.malformed == 5
    assert len(s.problems) == 2
    assert s.problems[0].location == "#1"


def test_bad_group_field() -> None:
    with pytest.raises(ValueError, match="cannot group by"):
        summarize([], by="user")


def test_summary_to_dict_is_json_ready(cat: Catalog) -> None:
    s = summarize([fixture("responses_tools.json")], prices=cat)
    d = json.loads(json.dumps(s.to_dict()))
    assert D(d["total"]["total_usd"]) == D("0.038")
    assert d["groups"][0]["usage"]["file_search_call"] == 1


def test_record_location() -> None:
    assert Record("a.jsonl", 3, {}).location == "a.jsonl:3"


def test_model_without_a_price_on_its_day_names_the_first_priced_day(cat: Catalog) -> None:
    s = summarize([_chat("o3-2025-04-16", JAN8, 10, 10)] * 2, prices=cat)  # 2025-01-08
    # a known model before its first price is not an unknown model: it is unpriced
    assert s.unknown_models == {}
    assert (s.unpriced, s.calls) == (2, 0)
    [p] = s.problems
    assert (p.kind, p.count, p.model, p.location) == ("unpriced", 2, "o3-2025-04-16", "#1")
    assert p.reason.startswith(
        "'o3-2025-04-16' has no price on 2025-01-08: its first price is from 2025-04-16"
    )


def test_an_empty_catalog_is_used_not_replaced_by_the_shared_one() -> None:
    s = summarize([fixture("chat_completion_cached.json")], prices=Catalog([]))
    assert s.unknown_models == {"gpt-4o-2024-08-06": 1}


def test_invalid_utf8_line_is_malformed_and_the_rest_priced(cat: Catalog, tmp_path: Path) -> None:
    p = tmp_path / "log.jsonl"
    good = _line(_chat("gpt-4o-mini-2024-07-18", JAN8, 1000, 100)).encode()
    p.write_bytes(good + b"\n" + b'{"object": "\xff\xfe"}\n' + good + b"\n")
    s = summarize(iter_records(p), prices=cat)
    assert (s.calls, s.malformed) == (2, 1)
    assert s.problems[0].location == f"{p}:2"


def test_syntax_error_inside_a_json_array_skips_that_element_only(
    cat: Catalog, tmp_path: Path
) -> None:
    a = _chat("gpt-4o-mini-2024-07-18", JAN8, 1000, 100)
    text = json.dumps([a, a, a], indent=2)
    lines = text.splitlines()
    starts = [n for n, ln in enumerate(lines, 1) if ln == "  {"]
    bad_line = starts[1] + 3  # inside the second element
    lines[bad_line - 1] = lines[bad_line - 1].replace(":", " =", 1)
    arr = tmp_path / "broken.json"
    arr.write_text("\n".join(lines))
    s = summarize(iter_records(arr), prices=cat)
    assert (s.calls, s.malformed) == (2, 1)
    assert s.total_usd == 2 * D("0.000210")
    assert s.problems[0].location == f"{arr}:{starts[1]}"
    assert f"(line {bad_line})" in s.problems[0].reason


def test_sdk_objects_and_json_text_are_summarized_too(cat: Catalog) -> None:
    from openai.types.chat import ChatCompletion

    text = fixture_text("chat_completion_cached.json")
    s = summarize([ChatCompletion.model_validate_json(text), text], prices=cat)
    # twice the prompt-caching example: 2 x 5615 / 1M (see test_usage.py)
    assert s.total_usd == 2 * D("0.005615")


def test_lines_orjson_refuses_are_read_by_json(tmp_path: Path) -> None:
    """orjson parses the common line; json decides the rest, so nothing changes for them."""
    import json as stdjson

    from openai_cost.usage import iter_records

    lines = [
        '{"a": 1, "b": [1.5, "x"]}',
        '{"a": NaN}',  # json reads NaN, orjson refuses it
        '{"a": 123456789012345678901234567890}',  # beyond 64 bits: orjson reads a float
        '{"a": 1,',  # broken: json's message
    ]
    p = tmp_path / "f.jsonl"
    p.write_text("\n".join(lines) + "\n")
    items = list(iter_records(p))
    assert items[0].obj == {"a": 1, "b": [1.5, "x"]}
    assert str(items[1].obj["a"]) == "nan"
    # a count that large is not a whole number of tokens to summarize: reported, never priced
    assert items[2].obj == {"a": 1.2345678901234568e29}
    try:
        stdjson.loads(lines[3] + "\n")
    except ValueError as e:
        assert str(items[3].obj) == f"not valid JSON (truncated?): {e}"


DEC5 = 1796464800  # 2026-12-05 10:00 UTC


def test_new_dated_snapshot_in_a_log_is_priced_as_its_model_with_a_warning() -> None:
    # gpt-5.5 (openai-billing.md 3.4): 5.00 in / 0.50 cached / 30.00 out;
    # 10,000 in of which 2,000 cached, 1,000 out: 8,000 x 5 + 2,000 x 0.5 + 1,000 x 30
    records = [_chat("gpt-5.5-2026-12-01", DEC5, 10_000, 1_000, cached=2_000)]
    with pytest.warns(oc.PricingWarning, match="priced as gpt-5.5"):
        s = summarize(records, by=("model",), prices=Catalog.bundled())
    assert s.total_usd == D("0.071") and s.unpriced == 0
    assert all("priced as gpt-5.5" in (ln.note or "") for ln in s.groups[0].costs[0].lines)
    # with the fallback off it is an unknown model, counted and listed, never $0
    strict = Catalog.bundled()
    strict.snapshot_fallback = False
    s = summarize(records, by=("model",), prices=strict)
    assert s.total_usd == 0 and s.unknown_models == {"gpt-5.5-2026-12-01": 1}


def _batch_line(i: int, body: dict[str, Any] | None, status: int = 200) -> str:
    resp = None if body is None else {"status_code": status, "body": body}
    err = {"code": "batch_expired", "message": "expired"} if body is None else None
    return _line({"id": f"b{i}", "custom_id": f"r{i}", "response": resp, "error": err})


def test_fused_batch_reader_agrees_with_the_item_path_line_for_line(
    cat: Catalog, tmp_path: Path
) -> None:
    """summarize(iter_records(file)) reads Batch lines in one fused loop; summarize over the
    same items one by one takes the general path. Every shape the fused loop hands back
    (contradictory counts, extra keys, long context, bad JSON, blank lines) must come out the
    same, problems and file:line included."""
    day = 1775044800  # 2026-04-01
    odd_details = _chat("gpt-4o-mini-2024-07-18", JAN8, 100, 10)
    odd_details["usage"]["completion_tokens_details"] = {"reasoning_tokens": 4}
    too_much_reasoning = _chat("gpt-4o-mini-2024-07-18", JAN8, 100, 10)
    too_much_reasoning["usage"]["completion_tokens_details"] = {"reasoning_tokens": 11}
    text_detail = _chat("gpt-4o-mini-2024-07-18", JAN8, 100, 10)
    text_detail["usage"]["prompt_tokens_details"]["text_tokens"] = 100
    lines = [
        _batch_line(1, _chat("gpt-4o-mini-2024-07-18", JAN8, 1000, 100, cached=512)),
        _batch_line(2, _chat("gpt-4o-mini-2024-07-18", JAN8, 2000, 50)),
        _batch_line(3, _chat("gpt-4o-mini-2024-07-18", JAN8, 10, 5, cached=11)),  # cached > input
        "",
        _batch_line(5, None),
        '{"custom_id": "r6", "response": {"status_code": 200, "body": {"object": "chat.comp',
        _batch_line(7, odd_details),
        _batch_line(8, too_much_reasoning),
        _batch_line(9, text_detail),
        _batch_line(10, _chat("gpt-5.4", day, 200_000, 0)),
        _batch_line(11, _chat("gpt-5.4", day + 60, 300_000, 0)),  # above 272K: its own group
        _batch_line(12, _chat("gpt-9-ultra", JAN8, 10, 10)),
        _line(_chat("gpt-4o-mini-2024-07-18", JAN9, 1000, 100)),  # a bare body: not Batch
        "[1, 2]",
        _batch_line(15, _chat("gpt-4o-mini-2024-07-18", JAN8, 300, 30), status=500),
    ]
    p = tmp_path / "batch.jsonl"
    p.write_text("\n".join(lines) + "\n")
    fused = summarize(iter_records(p), prices=cat, by=("model", "day"))
    one_by_one = summarize(list(iter_records(p)), prices=cat, by=("model", "day"))
    assert fused.to_dict() == one_by_one.to_dict()
    assert (fused.records, fused.malformed, fused.failed, fused.unpriced) == (14, 4, 2, 1)
    assert [(x.kind, x.location) for x in fused.problems] == [
        ("malformed", f"{p}:3"),  # cached 11 > input 10
        ("failed", f"{p}:5"),
        ("malformed", f"{p}:6"),  # cut JSON
        ("malformed", f"{p}:8"),  # reasoning 11 > output 10
        ("malformed", f"{p}:14"),  # not an object
        ("failed", f"{p}:15"),  # HTTP 500
        ("unknown_model", f"{p}:12"),
    ]
    mini = {g.key["day"]: g.total_usd for g in fused.groups if g.key["model"].startswith("gpt-4o")}
    # gpt-4o-mini Batch (billing 3.1, the test catalog): $0.075 input (cached too, no Batch
    # cached rate), $0.30 output; lines 1, 2, 7, 9: (1000 + 2000 + 100 + 100) x 0.075
    # + (100 + 50 + 10 + 10) x 0.30 = 240 + 51 = 291 / 1M
    # the bare body of line 13 at standard rates (3.1): 1000 x 0.15 + 100 x 0.60 = 210 / 1M
    assert mini == {"2025-01-08": D("0.000291"), "2025-01-09": D("0.000210")}
    lc = [c for g in fused.groups if g.key["model"] == "gpt-5.4" for c in g.costs]
    assert len(lc) == 2  # the request above 272K is priced in a bucket of its own


def test_a_call_with_an_unpriced_dimension_leaves_the_plain_calls_priced(
    cat: Catalog, tmp_path: Path
) -> None:
    """A call whose audio input has no rate is unpriced on its own: the plain calls of the
    same model and day, counted before and after it, stay priced."""
    audio = _chat("gpt-4o-mini-2024-07-18", JAN8, 1000, 100)
    audio["usage"]["prompt_tokens_details"]["audio_tokens"] = 40
    p = tmp_path / "log.jsonl"
    lines = [_chat("gpt-4o-mini-2024-07-18", JAN8, 1000, 100), audio,
             _chat("gpt-4o-mini-2024-07-18", JAN8 + 60, 2000, 200)]  # fmt: skip
    p.write_text("\n".join(_line(x) for x in lines) + "\n")
    for s in (summarize(iter_records(p), prices=cat), summarize(list(iter_records(p)), prices=cat)):
        # gpt-4o-mini (billing 3.1): 1000 x $0.15 + 100 x $0.60 = 210 / 1M;
        # 2000 x 0.15 + 200 x 0.60 = 420 / 1M. The test catalog has no audio rate for it.
        assert (s.calls, s.unpriced, s.total_usd) == (2, 1, D("0.000630"))
        (prob,) = s.problems
        assert (prob.kind, prob.location, prob.count) == ("unpriced", f"{p}:2", 1)
        assert "no rate for audio_input tokens" in prob.reason

"""extract_usage / cost_of on whole responses: one or more tests per API shape.

Fixtures: tests/fixtures/responses/openai (README.md there names each body's SDK type and
source). Expected costs are computed by hand from the rates in tests/_usage_helpers.py, which
are openai-billing.md's; each comment names the rate.
"""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import openai_cost as oc
from _usage_helpers import fixture, fixture_text, make_catalog
from openai_cost import Catalog, FailedRequestError, PricingWarning, UsageError
from openai_cost.usage._response import normalize_endpoint

D = Decimal


@pytest.fixture
def cat(tmp_path: Path) -> Catalog:
    return make_catalog(tmp_path)


# ----------------------------------------------------------------- fixtures match the SDK types


@pytest.mark.parametrize(
    ("name", "sdk_type"),
    [
        ("chat_completion_cached.json", "openai.types.chat:ChatCompletion"),
        ("chat_completion_reasoning_flex.json", "openai.types.chat:ChatCompletion"),
        ("chat_completion_predicted.json", "openai.types.chat:ChatCompletion"),
        ("chat_completion_audio.json", "openai.types.chat:ChatCompletion"),
        ("completion_legacy.json", "openai.types:Completion"),
        ("embeddings.json", "openai.types:CreateEmbeddingResponse"),
        ("responses_reasoning.json", "openai.types.responses:Response"),
        ("responses_tools.json", "openai.types.responses:Response"),
        ("responses_web_search_preview.json", "openai.types.responses:Response"),
        ("responses_incomplete_event.json", "openai.types.responses:ResponseIncompleteEvent"),
        ("realtime_response_done.json", "openai.types.realtime:ResponseDoneEvent"),
        ("transcription_tokens.json", "openai.types.audio:Transcription"),
        ("transcription_duration.json", "openai.types.audio:TranscriptionVerbose"),
        ("images_gpt_image.json", "openai.types:ImagesResponse"),
        ("images_dalle3.json", "openai.types:ImagesResponse"),
    ],
)
def test_fixture_validates_against_the_sdk_type(name: str, sdk_type: str) -> None:
    import importlib

    mod, _, cls = sdk_type.partition(":")
    model = getattr(importlib.import_module(mod), cls)
    data = fixture(name)
    obj = model.model_validate(data)
    # nothing in the fixture is outside the type (strict round-trip of the usage)
    assert obj.model_dump(exclude_unset=True).keys() == data.keys()


# ----------------------------------------------------------------- Chat Completions


def test_chat_completion_cached_prompt_caching_guide_example(cat: Catalog) -> None:
    call = oc.extract_usage(fixture("chat_completion_cached.json"))
    assert call.model == "gpt-4o-2024-08-06"
    assert call.endpoint == "chat.completions"
    assert call.service_tier == "default"
    assert call.created_at == datetime(2025, 1, 8, 10, 0, tzinfo=timezone.utc)
    assert (call.usage.input_tokens, call.usage.cached_tokens, call.usage.output_tokens) == (
        2006,
        1920,
        300,
    )
    cost = oc.cost_of(fixture("chat_completion_cached.json"), prices=cat)
    # gpt-4o: cached 1920 x $1.25/1M + uncached 86 x $2.50/1M + 300 x $10/1M (billing 3.1)
    # = 2400 + 215 + 3000 = 5615 / 1M
    assert cost.total == D("0.005615")


def test_chat_from_the_sdk_object_json_text_and_bytes_agree(cat: Catalog) -> None:
    from openai.types.chat import ChatCompletion

    text = fixture_text("chat_completion_cached.json")
    sdk = ChatCompletion.model_validate_json(text)
    for obj in (sdk, text, text.encode()):
        assert oc.cost_of(obj, prices=cat).total == D("0.005615")


def test_reasoning_flex_priced_at_flex_and_at_the_response_date(cat: Catalog) -> None:
    obj = fixture("chat_completion_reasoning_flex.json")
    call = oc.extract_usage(obj)
    assert call.service_tier == "flex"
    assert call.usage.reasoning_tokens == 2500
    cost = oc.cost_of(obj, prices=cat)
    # o3 flex after 2025-06-10: cached 4096 x $0.25 + 904 x $1.00 + 3000 x $4.00 (billing 3.2;
    # reasoning is inside the 3000 output tokens, never added on top) = 13928 / 1M
    assert cost.total == D("0.013928")
    assert cost.tier == "flex"
    # at= overrides the created date: launch prices $10 / $2.50 / $40, standard tier
    early = oc.cost_of(obj, prices=cat, at="2025-05-01", tier="default")
    # 4096 x 2.50 + 904 x 10 + 3000 x 40 = 10240 + 9040 + 120000 = 139280 / 1M
    assert early.total == D("0.139280")


def test_predicted_outputs_rejected_tokens_are_inside_output(cat: Catalog) -> None:
    call = oc.extract_usage(fixture("chat_completion_predicted.json"))
    assert call.usage.accepted_prediction_tokens == 18
    assert call.usage.rejected_prediction_tokens == 10
    # gpt-4o-mini: 315 x $0.15 + 263 x $0.60 (billing 3.1) = 47.25 + 157.8 = 205.05 / 1M
    assert oc.cost_of(call, prices=cat).total == D("0.00020505")


def test_chat_audio_in_and_out(cat: Catalog) -> None:
    call = oc.extract_usage(fixture("chat_completion_audio.json"))
    assert call.usage.audio_input_tokens == 69
    assert call.usage.audio_output_tokens == 148
    # gpt-4o-audio-preview (billing 3.5): audio in 69 x $40 + text in 12 x $2.50
    # + audio out 148 x $80 + text out 33 x $10 = 2760 + 30 + 11840 + 330 = 14960 / 1M
    assert oc.cost_of(call, prices=cat).total == D("0.014960")


def test_legacy_completion(cat: Catalog) -> None:
    call = oc.extract_usage(fixture("completion_legacy.json"))
    assert call.endpoint == "completions"
    # gpt-3.5-turbo-instruct (billing 3.10): 5 x $1.50 + 7 x $2.00 = 21.5 / 1M
    assert oc.cost_of(call, prices=cat).total == D("0.0000215")


def test_embeddings(cat: Catalog) -> None:
    call = oc.extract_usage(fixture("embeddings.json"))
    assert call.endpoint == "embeddings"
    assert call.created_at is None
    # text-embedding-3-small (billing 3.8): 8 x $0.02 / 1M
    assert oc.cost_of(call, prices=cat).total == D("0.00000016")
    # Batch: $0.01
    assert oc.cost_of(call, prices=cat, batch=True).total == D("0.00000008")


# ----------------------------------------------------------------- chat streams


def test_chat_stream_sse_priced_from_its_final_usage_chunk(cat: Catalog) -> None:
    text = fixture_text("chat_stream.sse")
    call = oc.extract_usage(text)
    assert call.model == "gpt-4o-mini-2024-07-18"
    assert (call.usage.input_tokens, call.usage.output_tokens) == (19, 10)
    # gpt-4o-mini: 19 x $0.15 + 10 x $0.60 = 2.85 + 6 = 8.85 / 1M
    assert oc.cost_of(text, prices=cat).total == D("0.00000885")
    assert oc.cost_of(text.encode(), prices=cat).total == D("0.00000885")


def test_chat_stream_as_a_list_of_chunks_and_sdk_chunks(cat: Catalog) -> None:
    from openai.types.chat import ChatCompletionChunk

    from openai_cost.usage._response import parse_sse

    chunks = parse_sse(fixture_text("chat_stream.sse"))
    assert len(chunks) == 12
    assert oc.cost_of(chunks, prices=cat).total == D("0.00000885")
    sdk = [ChatCompletionChunk.model_validate(c) for c in chunks]
    assert oc.extract_usage(sdk).usage.input_tokens == 19


def test_usage_chunk_repeated_by_a_proxy_is_counted_once(cat: Catalog) -> None:
    from openai_cost.usage._response import parse_sse

    chunks = list(parse_sse(fixture_text("chat_stream.sse")))
    chunks.append(chunks[-1])  # the same usage chunk twice
    assert oc.extract_usage(chunks).usage.input_tokens == 19


@pytest.mark.parametrize("name", ["chat_stream_no_usage.sse", "chat_stream_cut.sse"])
def test_chat_stream_without_usage_says_to_set_include_usage(name: str) -> None:
    with pytest.raises(UsageError, match=r'stream_options=\{"include_usage": True\}'):
        oc.extract_usage(fixture_text(name))


def test_single_chunk_without_usage_says_to_set_include_usage() -> None:
    from openai_cost.usage._response import parse_sse

    first = parse_sse(fixture_text("chat_stream.sse"))[0]
    with pytest.raises(UsageError, match="include_usage"):
        oc.extract_usage(first)


def test_two_streams_in_one_list_are_refused() -> None:
    from openai_cost.usage._response import parse_sse

    a = parse_sse(fixture_text("chat_stream.sse"))
    b = [dict(c, id="chatcmpl-other") for c in a]
    with pytest.raises(UsageError, match="2 streams"):
        oc.extract_usage(a + b)


# ----------------------------------------------------------------- Responses API


def test_responses_reasoning_and_cached(cat: Catalog) -> None:
    obj = fixture("responses_reasoning.json")
    call = oc.extract_usage(obj)
    assert call.endpoint == "responses"
    assert call.created_at == datetime(2025, 9, 20, 12, 0, tzinfo=timezone.utc)
    assert call.usage.reasoning_tokens == 64
    assert call.usage.tool_calls == {}
    # gpt-5 (billing 3.3): cached 1280 x $0.125 + 213 x $1.25 + 125 x $10
    # = 160 + 266.25 + 1250 = 1676.25 / 1M
    assert oc.cost_of(obj, prices=cat).total == D("0.00167625")


def test_responses_tool_calls_are_fees_and_priority_tier(cat: Catalog) -> None:
    obj = fixture("responses_tools.json")
    call = oc.extract_usage(obj)
    assert dict(call.usage.tool_calls) == {"web_search_call": 2, "file_search_call": 1}
    cost = oc.cost_of(obj, prices=cat)
    assert cost.tier == "priority"
    # gpt-5 priority (billing 3.3): 3000 x $2.50 + 400 x $20 = 7500 + 8000 = 15500 / 1M
    assert cost.input + cost.output == D("0.0155")
    # fees never tiered (billing 2.7): 2 x $0.01 web search + 1 x $0.0025 file search
    assert cost.fees == D("0.0225")
    assert cost.total == D("0.038")


def test_responses_web_search_preview_tool_on_gpt_4o(cat: Catalog) -> None:
    obj = fixture("responses_web_search_preview.json")
    call = oc.extract_usage(obj)
    assert dict(call.usage.tool_calls) == {"web_search_preview_call": 1}
    cost = oc.cost_of(obj, prices=cat)
    # gpt-4o: 328 x $2.50 + 356 x $10 = 820 + 3560 = 4380 / 1M; preview search on a
    # non-reasoning model $25 / 1K calls (billing 2.7) = $0.025
    assert cost.total == D("0.00438") + D("0.025")


def test_code_interpreter_containers_counted_once_per_container(cat: Catalog) -> None:
    obj = fixture("responses_reasoning.json")
    obj["output"] = [
        {
            "id": "ci_1",
            "type": "code_interpreter_call",
            "container_id": "cntr_a",
            "code": "1",
            "outputs": None,
            "status": "completed",
        },
        {
            "id": "ci_2",
            "type": "code_interpreter_call",
            "container_id": "cntr_a",
            "code": "2",
            "outputs": None,
            "status": "completed",
        },
        *obj["output"],
    ]
    call = oc.extract_usage(obj)
    assert dict(call.usage.tool_calls) == {"code_interpreter_container": 1}
    # $0.03 per container (billing 2.7) on top of the 1676.25 / 1M tokens
    assert oc.cost_of(call, prices=cat).total == D("0.00167625") + D("0.03")


def test_image_generation_tool_call_warns_that_it_is_not_included() -> None:
    obj = fixture("responses_reasoning.json")
    obj["output"].append(
        {"id": "ig_1", "type": "image_generation_call", "status": "completed", "result": None}
    )
    with pytest.warns(PricingWarning, match="image_generation_call"):
        oc.extract_usage(obj)


def test_responses_stream_sse_uses_response_completed(cat: Catalog) -> None:
    text = fixture_text("responses_stream.sse")
    call = oc.extract_usage(text)
    assert call.service_tier == "default"
    assert call.request_id == "resp_fx013"
    # gpt-4o-mini: 37 x $0.15 + 11 x $0.60 = 5.55 + 6.6 = 12.15 / 1M
    assert oc.cost_of(text, prices=cat).total == D("0.00001215")


def test_responses_stream_cut_before_completed() -> None:
    text = fixture_text("responses_stream.sse")
    cut = text[: text.index("event: response.completed")]
    with pytest.raises(UsageError, match=r"ended before response\.completed"):
        oc.extract_usage(cut)


def test_response_incomplete_event(cat: Catalog) -> None:
    obj = fixture("responses_incomplete_event.json")
    # gpt-4o-mini: 20 x $0.15 + 16 x $0.60 = 3 + 9.6 = 12.6 / 1M
    assert oc.cost_of(obj, prices=cat).total == D("0.0000126")
    from openai.types.responses import ResponseIncompleteEvent

    sdk = ResponseIncompleteEvent.model_validate(obj)
    assert oc.cost_of(sdk, prices=cat).total == D("0.0000126")


def test_intermediate_response_event_has_no_usage() -> None:
    with pytest.raises(UsageError, match=r"response\.created event carries no usage"):
        oc.extract_usage({"type": "response.created", "response": {"id": "r"}})


# ----------------------------------------------------------------- Realtime, audio, images


def test_realtime_response_done_per_modality_and_cached(cat: Catalog) -> None:
    obj = fixture("realtime_response_done.json")
    call = oc.extract_usage(obj, request={"model": "gpt-realtime"})
    u = call.usage
    assert (u.input_tokens, u.cached_tokens, u.audio_input_tokens, u.cached_audio_tokens) == (
        132,
        64,
        13,
        0,
    )
    assert call.endpoint == "realtime"
    cost = oc.cost_of(call, prices=cat, at="2025-09-01")
    # gpt-realtime (billing 3.5): cached text 64 x $0.40 + audio 13 x $32 + text 55 x $4
    # + audio out 91 x $64 + text out 30 x $16 = 25.6 + 416 + 220 + 5824 + 480 = 6965.6 / 1M
    assert cost.total == D("0.0069656")


def test_transcription_tokens_needs_the_model_from_the_request(cat: Catalog) -> None:
    obj = fixture("transcription_tokens.json")
    with pytest.raises(UsageError, match="model= is required"):
        oc.cost_of(obj, prices=cat)
    call = oc.extract_usage(
        obj, request={"model": "gpt-4o-transcribe"}, endpoint="/v1/audio/transcriptions"
    )
    assert call.endpoint == "audio.transcriptions"
    # gpt-4o-transcribe (billing 3.6): audio in 14 x $6 + text out 45 x $10 = 534 / 1M
    assert oc.cost_of(call, prices=cat, at="2025-06-01").total == D("0.000534")


def test_transcription_duration_whisper(cat: Catalog) -> None:
    call = oc.extract_usage(fixture("transcription_duration.json"), request={"model": "whisper-1"})
    assert call.usage.audio_seconds == D(9)
    # whisper-1: $0.006 / minute (billing 3.6) x 9 s / 60 = $0.0009
    assert oc.cost_of(call, prices=cat).total == D("0.0009")


def test_speech_sse_usage_output_is_audio(cat: Catalog) -> None:
    call = oc.extract_usage(fixture_text("speech_stream.sse"), request={"model": "gpt-4o-mini-tts"})
    assert call.usage.audio_output_tokens == 101
    # gpt-4o-mini-tts (billing 3.6): text in 14 x $0.60 + audio out 101 x $12
    # = 8.4 + 1212 = 1220.4 / 1M
    assert oc.cost_of(call, prices=cat).total == D("0.0012204")


def test_tts_1_priced_by_characters_of_the_request(cat: Catalog) -> None:
    req = {
        "model": "tts-1",
        "input": "Today is a wonderful day to build something people love!",
        "voice": "alloy",
    }
    call = oc.extract_usage(b"ID3\x04\x00\x00audio", request=req, endpoint="audio.speech")
    assert call.usage.characters == 56
    # tts-1: $15 / 1M characters (billing 3.6): 56 x 15 = 840 / 1M
    assert oc.cost_of(call, prices=cat).total == D("0.00084")
    with pytest.raises(UsageError, match="per input character"):
        oc.extract_usage(None, request={"model": "tts-1"}, endpoint="audio.speech")


def test_images_gpt_image_usage(cat: Catalog) -> None:
    call = oc.extract_usage(fixture("images_gpt_image.json"), request={"model": "gpt-image-1"})
    assert call.usage.image_output_tokens == 1056
    # gpt-image-1 (billing 3.7): text in 50 x $5 + image out 1056 x $40 = 250 + 42240 / 1M
    assert oc.cost_of(call, prices=cat).total == D("0.04249")


def test_dalle_3_per_image_from_the_request(cat: Catalog) -> None:
    req = {"model": "dall-e-3", "prompt": "otter", "size": "1024x1792", "quality": "hd"}
    call = oc.extract_usage(fixture("images_dalle3.json"), request=req)
    assert call.usage.images == 1
    # DALL-E 3 HD 1024x1792: $0.12 per image (billing 3.7)
    assert oc.cost_of(call, prices=cat).total == D("0.12")
    with pytest.raises(UsageError, match="pass request= with 'model'"):
        oc.extract_usage(fixture("images_dalle3.json"))


# ----------------------------------------------------------------- Batch output lines


def _batch_lines() -> list[dict[str, Any]]:
    import json

    return [json.loads(x) for x in fixture_text("batch_output.jsonl").splitlines()]


def test_batch_line_priced_at_batch_rates(cat: Catalog) -> None:
    line = _batch_lines()[1]
    call = oc.extract_usage(line)
    assert call.batch is True
    assert call.custom_id == "request-2"
    assert call.created_at == datetime(2024, 12, 20, 8, 0, 1, tzinfo=timezone.utc)
    cost = oc.cost_of(line, prices=cat)
    assert cost.tier == "batch"
    # gpt-4o-mini Batch (billing 3.1, 2.2): no batch cached rate, so the 1024 cached tokens
    # bill at the batch input rate: 2200 x $0.075 + 500 x $0.30 = 165 + 150 = 315 / 1M
    assert cost.total == D("0.000315")


def test_batch_error_and_non_200_lines_are_failed_requests() -> None:
    lines = _batch_lines()
    with pytest.raises(FailedRequestError, match="batch_expired") as e:
        oc.extract_usage(lines[2])
    assert e.value.custom_id == "request-3"
    assert e.value.code == "batch_expired"
    with pytest.raises(FailedRequestError, match=r"HTTP 400: Invalid 'messages\[0\]\.role'") as e:
        oc.extract_usage(lines[3])
    assert e.value.status_code == 400
    assert isinstance(e.value, UsageError)


# ----------------------------------------------------------------- log records and hints


def test_log_record_with_request_and_response(cat: Catalog) -> None:
    rec = {
        "endpoint": "/v1/audio/transcriptions",
        "request": {"model": "whisper-1"},
        "response": fixture("transcription_duration.json"),
    }
    call = oc.extract_usage(rec)
    assert call.model == "whisper-1"
    assert call.endpoint == "audio.transcriptions"


@pytest.mark.parametrize(
    ("hint", "expected"),
    [
        ("/v1/chat/completions", "chat.completions"),
        ("https://api.openai.com/v1/audio/speech", "audio.speech"),
        ("images/generations", "images.generations"),
        ("embeddings", "embeddings"),
    ],
)
def test_endpoint_hints(hint: str, expected: str) -> None:
    assert normalize_endpoint(hint) == expected


def test_unknown_endpoint_lists_the_valid_ones() -> None:
    with pytest.raises(UsageError, match=r"unknown endpoint 'chat'; valid: chat\.completions"):
        oc.extract_usage({}, endpoint="chat")


# ----------------------------------------------------------------- malformed input


@pytest.mark.parametrize(
    ("obj", "match"),
    [
        ('{"object": "chat.completion", "usage": {"prompt_tokens": 1', "not valid JSON"),
        ({"object": "chat.completion", "model": "gpt-4o"}, "chat completion has no usage"),
        (
            {"object": "chat.completion", "usage": {"prompt_tokens": "12"}},
            "prompt_tokens must be a whole number",
        ),
        ({"object": "chat.completion", "usage": {"prompt_tokens": -3}}, "must be >= 0"),
        (
            {
                "object": "chat.completion",
                "usage": {
                    "prompt_tokens": 10,
                    "completion_tokens": 1,
                    "prompt_tokens_details": {"cached_tokens": 11},
                },
            },
            "contradictory usage",
        ),
        (
            {"object": "chat.completion", "model": 4, "usage": {"prompt_tokens": 1}},
            "model must be a string",
        ),
        (
            {"object": "chat.completion", "created": "yesterday", "usage": {"prompt_tokens": 1}},
            "created must be a Unix timestamp",
        ),
        ({"object": "response", "status": "in_progress"}, "still in_progress"),
        ({"hello": "world"}, "no usage found"),
        (42, "cannot read a response from int"),
        ('data: {"a": 1}\nnot sse\n', "not a Server-Sent Events stream"),
        ({"custom_id": "x", "response": None, "error": None}, "neither a response nor an error"),
    ],
)
def test_malformed_input_has_a_clear_reason(obj: Any, match: str) -> None:
    with pytest.raises(UsageError, match=match):
        oc.extract_usage(obj)


def test_log_record_time_and_speech_without_body(cat: Catalog) -> None:
    rec = {
        "endpoint": "/v1/audio/speech",
        "request": {"model": "tts-1", "input": "Your order has shipped."},
        "response": None,
        "created_at": "2025-09-15T08:36:25Z",
    }
    call = oc.extract_usage(rec)
    assert call.created_at == datetime(2025, 9, 15, 8, 36, 25, tzinfo=timezone.utc)
    assert call.usage.characters == 23
    # tts-1: 23 characters x $15 / 1M (billing 3.6) = 345 / 1M
    assert oc.cost_of(call, prices=cat).total == D("0.000345")
    with pytest.raises(UsageError, match="created_at must be a timestamp"):
        oc.extract_usage(rec | {"created_at": "last tuesday"})

"""A small OpenAI-compatible HTTP server on 127.0.0.1 for driving the real ``openai`` SDK.

Bodies follow the shapes of OpenAI's API reference and the SDK's types: chat completions (JSON and
SSE, with the final usage chunk only when the request set ``stream_options.include_usage``),
Responses (JSON and its SSE events ending in ``response.completed``), embeddings (floats or
base64), legacy completions, speech (audio bytes), whisper transcriptions (``usage`` of type
``duration``), DALL-E image generations (no usage: billed per image), Azure's
``/openai/deployments/{name}/...`` paths (the body reports the underlying model), and error
bodies (400, 429, 500) with ``x-request-id`` and retry headers.

Tests steer a request with headers (``extra_headers=`` in the SDK):

* ``x-fake-fail: 429`` answer that status to the first ``x-fake-fail-times`` attempts (default 1,
  ``all`` for every attempt) of a call (the SDK numbers attempts in ``x-stainless-retry-count``);
* ``x-fake-usage: {...}`` the usage object to report (JSON);
* ``x-fake-model: name`` the model the body reports;
* ``x-fake-chunks: N`` content chunks of a stream (default 3);
* ``x-fake-body: malformed`` a 200 whose body is not JSON;
* ``x-fake-delay-ms: N`` wait N milliseconds before answering;
* ``x-fake-encoding: gzip`` compress a JSON or audio body (``Content-Encoding: gzip``), as
  api.openai.com does for the bodies of calls that do not stream.

Every request is kept in `FakeOpenAI.requests` (path, headers, parsed JSON body).
"""

from __future__ import annotations

import base64
import gzip
import json
import struct
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

# The models a response reports when the request names an alias (as the API does).
SNAPSHOTS = {
    "gpt-4o": "gpt-4o-2024-08-06",
    "gpt-4o-mini": "gpt-4o-mini-2024-07-18",
}

CHAT_USAGE = {
    "prompt_tokens": 14,
    "completion_tokens": 37,
    "total_tokens": 51,
    "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
    "completion_tokens_details": {
        "reasoning_tokens": 0,
        "audio_tokens": 0,
        "accepted_prediction_tokens": 0,
        "rejected_prediction_tokens": 0,
    },
}
CHAT_STREAM_USAGE = {
    "prompt_tokens": 14,
    "completion_tokens": 30,
    "total_tokens": 44,
    "completion_tokens_details": {"reasoning_tokens": 0},
}
RESPONSES_USAGE = {
    "input_tokens": 14,
    "input_tokens_details": {"cached_tokens": 0},
    "output_tokens": 50,
    "output_tokens_details": {"reasoning_tokens": 0},
    "total_tokens": 64,
}
COMPLETION_USAGE = {"prompt_tokens": 5, "completion_tokens": 7, "total_tokens": 12}
EMBEDDING_TOKENS_PER_INPUT = 4
TRANSCRIPTION_SECONDS = 42
SPEECH_BYTES = b"ID3\x04\x00\x00\x00\x00\x00\x00" + bytes(2048)  # an MP3 header, then silence

_WORDS = ("The", " weather", " in", " San", " Francisco", " is", " mild", " today", ".")


@dataclass(frozen=True)
class SeenRequest:
    """One request as the server received it."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: Any


class FakeOpenAI:
    """The server, started in a background thread. Use as a context manager."""

    def __init__(self) -> None:
        self.requests: list[SeenRequest] = []
        self._lock = threading.Lock()
        fake = self

        class Handler(_Handler):
            server_state = fake

        self._httpd = _Server(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        """``base_url`` for ``openai.OpenAI``."""
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def azure_endpoint(self) -> str:
        """``azure_endpoint`` for ``openai.AzureOpenAI``."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FakeOpenAI:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        import sys

        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)  # a client hanging up is normal


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server_state: FakeOpenAI

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    # ------------------------------------------------------------------ plumbing

    def _send_json(self, status: int, obj: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(obj).encode()
        self._send_raw(status, data, "application/json", headers)

    def _send_raw(
        self, status: int, data: bytes, ctype: str, headers: dict[str, str] | None = None
    ) -> None:
        if self.headers.get("x-fake-encoding") == "gzip":  # as api.openai.com compresses JSON
            data = gzip.compress(data)
            headers = {**(headers or {}), "Content-Encoding": "gzip"}
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-request-id", f"req_{uuid.uuid4().hex}")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _send_sse(self, events: Iterator[str]) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("x-request-id", f"req_{uuid.uuid4().hex}")
        self.end_headers()
        try:
            for ev in events:
                data = ev.encode()
                self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
                self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def do_GET(self) -> None:
        self._send_json(404, _error(404, "not found", "invalid_request_error"))

    def do_POST(self) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        ctype = self.headers.get("Content-Type", "")
        body: Any = raw
        if ctype.startswith("application/json") and raw:
            body = json.loads(raw)
        headers = {k.lower(): v for k, v in self.headers.items()}
        st = self.server_state
        with st._lock:
            st.requests.append(SeenRequest("POST", url.path, url.query, headers, body))
        fail = headers.get("x-fake-fail")
        if fail:
            times = headers.get("x-fake-fail-times", "1")
            n = int(headers.get("x-stainless-retry-count", "0")) + 1  # the SDK's attempt count
            if times == "all" or n <= int(times):
                return self._fail(int(fail))
        if "x-fake-delay-ms" in headers:  # an upstream that takes its time, as the API does
            time.sleep(int(headers["x-fake-delay-ms"]) / 1000)
        if headers.get("x-fake-body") == "malformed":
            return self._send_raw(200, b"<html>upstream proxy error</html>", "application/json")
        path = url.path
        if path.endswith("/chat/completions"):
            return self._chat(body, headers)
        if path.endswith("/completions"):
            return self._completion(body, headers)
        if path.endswith("/responses"):
            return self._responses(body, headers)
        if path.endswith("/embeddings"):
            return self._embeddings(body, headers)
        if path.endswith("/audio/speech"):
            return self._send_raw(200, SPEECH_BYTES, "audio/mpeg")
        if path.endswith("/audio/transcriptions"):
            return self._send_json(
                200,
                {
                    "text": "The weather in San Francisco is mild today.",
                    "usage": {"type": "duration", "seconds": TRANSCRIPTION_SECONDS},
                },
            )
        if path.endswith("/images/generations"):
            return self._images(body)
        return self._send_json(404, _error(404, f"unknown path {path}", "invalid_request_error"))

    def _fail(self, status: int) -> None:
        kinds = {400: "invalid_request_error", 429: "rate_limit_exceeded", 500: "server_error"}
        extra = {"retry-after-ms": "5", "retry-after": "1"} if status in (429, 500) else {}
        msg = {
            400: "Invalid value for 'messages'.",
            429: "Rate limit reached for requests",
            500: "The server had an error while processing your request.",
        }.get(status, "error")
        self._send_json(status, _error(status, msg, kinds.get(status, "api_error")), extra)

    # ------------------------------------------------------------------ endpoints

    def _model(self, body: Any, headers: dict[str, str]) -> str:
        forced = headers.get("x-fake-model")
        if forced:
            return forced
        if "/openai/deployments/" in self.path:
            return "gpt-4o-2024-08-06"  # Azure reports the underlying model, not the deployment
        m = str(body.get("model", "gpt-4o"))
        return SNAPSHOTS.get(m, m)

    def _chat(self, body: Any, headers: dict[str, str]) -> None:
        model = self._model(body, headers)
        cid = f"chatcmpl-{uuid.uuid4().hex[:29]}"
        created = int(time.time())
        asked = body.get("service_tier")
        tier = asked if asked in ("flex", "priority") else "default"
        if not body.get("stream"):
            usage = _usage(headers, CHAT_USAGE)
            return self._send_json(
                200,
                {
                    "id": cid,
                    "object": "chat.completion",
                    "created": created,
                    "model": model,
                    "choices": [
                        {
                            "index": 0,
                            "message": {
                                "role": "assistant",
                                "content": "".join(_WORDS),
                                "refusal": None,
                                "annotations": [],
                            },
                            "logprobs": None,
                            "finish_reason": "stop",
                        }
                    ],
                    "usage": usage,
                    "service_tier": tier,
                    "system_fingerprint": "fp_b40fb1c6fb",
                },
            )
        include = bool((body.get("stream_options") or {}).get("include_usage"))
        usage = _usage(headers, CHAT_STREAM_USAGE)
        n = int(headers.get("x-fake-chunks", "3"))

        def chunk(delta: dict[str, Any], finish: str | None) -> str:
            c: dict[str, Any] = {
                "id": cid,
                "object": "chat.completion.chunk",
                "created": created,
                "model": model,
                "service_tier": tier,
                "system_fingerprint": "fp_5050236cbd",
                "choices": [
                    {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
                ],
            }
            if include:
                c["usage"] = None
            return f"data: {json.dumps(c)}\n\n"

        def events() -> Iterator[str]:
            yield chunk({"role": "assistant", "content": "", "refusal": None}, None)
            for i in range(n):
                yield chunk({"content": _WORDS[i % len(_WORDS)]}, None)
            yield chunk({}, "stop")
            if include:
                final = {
                    "id": cid,
                    "object": "chat.completion.chunk",
                    "created": created,
                    "model": model,
                    "service_tier": tier,
                    "system_fingerprint": "fp_5050236cbd",
                    "choices": [],
                    "usage": usage,
                }
                yield f"data: {json.dumps(final)}\n\n"
            yield "data: [DONE]\n\n"

        self._send_sse(events())

    def _completion(self, body: Any, headers: dict[str, str]) -> None:
        model = self._model(body, headers)
        usage = _usage(headers, COMPLETION_USAGE)
        if body.get("stream"):
            return self._completion_stream(body, headers, model, usage)
        self._send_json(
            200,
            {
                "id": f"cmpl-{uuid.uuid4().hex[:29]}",
                "object": "text_completion",
                "created": int(time.time()),
                "model": model,
                "choices": [
                    {"text": " mild today.", "index": 0, "logprobs": None, "finish_reason": "stop"}
                ],
                "usage": usage,
            },
        )

    def _completion_stream(
        self, body: Any, headers: dict[str, str], model: str, usage: Any
    ) -> None:
        """A legacy completions stream: text chunks, then (when asked) a usage chunk whose
        ``choices`` is empty, as chat streams do."""
        include = bool((body.get("stream_options") or {}).get("include_usage"))
        cid = f"cmpl-{uuid.uuid4().hex[:29]}"
        created = int(time.time())
        n = int(headers.get("x-fake-chunks", "3"))

        def chunk(choices: list[Any], **extra: Any) -> str:
            c = {
                "id": cid,
                "object": "text_completion",
                "created": created,
                "model": model,
                "choices": choices,
                "system_fingerprint": None,
                **extra,
            }
            return f"data: {json.dumps(c)}\n\n"

        def events() -> Iterator[str]:
            null_usage = {"usage": None} if include else {}
            for i in range(n):
                text = _WORDS[i % len(_WORDS)]
                finish = "length" if i == n - 1 else None
                choice = {"text": text, "index": 0, "logprobs": None, "finish_reason": finish}
                yield chunk([choice], **null_usage)
            if include:
                yield chunk([], usage=usage)
            yield "data: [DONE]\n\n"

        self._send_sse(events())

    def _response_obj(
        self, body: Any, headers: dict[str, str], rid: str, status: str, text: str
    ) -> dict[str, Any]:
        done = status == "completed"
        usage = _usage(headers, RESPONSES_USAGE)
        return {
            "id": rid,
            "object": "response",
            "created_at": int(time.time()),
            "status": status,
            "background": False,
            "error": None,
            "incomplete_details": None,
            "instructions": None,
            "max_output_tokens": body.get("max_output_tokens"),
            "model": self._model(body, headers),
            "output": [
                {
                    "id": f"msg_{rid[5:]}",
                    "type": "message",
                    "status": "completed",
                    "role": "assistant",
                    "content": [
                        {"type": "output_text", "annotations": [], "logprobs": [], "text": text}
                    ],
                }
            ]
            if done
            else [],
            "parallel_tool_calls": True,
            "previous_response_id": None,
            "reasoning": {"effort": None, "summary": None},
            "service_tier": "default",
            "store": True,
            "temperature": 1.0,
            "text": {"format": {"type": "text"}, "verbosity": "medium"},
            "tool_choice": "auto",
            "tools": [],
            "top_p": 1.0,
            "truncation": "disabled",
            "usage": usage if done else None,
            "user": None,
            "metadata": {},
        }

    def _responses(self, body: Any, headers: dict[str, str]) -> None:
        rid = f"resp_{uuid.uuid4().hex}"
        text = "".join(_WORDS)
        if not body.get("stream"):
            return self._send_json(200, self._response_obj(body, headers, rid, "completed", text))
        n = int(headers.get("x-fake-chunks", "3"))

        def ev(seq: int, typ: str, **kw: Any) -> str:
            data = json.dumps({"type": typ, "sequence_number": seq, **kw})
            return f"event: {typ}\ndata: {data}\n\n"

        def events() -> Iterator[str]:
            seq = 0
            start = self._response_obj(body, headers, rid, "in_progress", "")
            yield ev(seq, "response.created", response=start)
            seq += 1
            yield ev(seq, "response.in_progress", response=start)
            item = f"msg_{rid[5:]}"
            seq += 1
            yield ev(
                seq,
                "response.output_item.added",
                output_index=0,
                item={
                    "id": item,
                    "type": "message",
                    "status": "in_progress",
                    "role": "assistant",
                    "content": [],
                },
            )
            part = {"type": "output_text", "annotations": [], "logprobs": [], "text": ""}
            seq += 1
            yield ev(
                seq,
                "response.content_part.added",
                item_id=item,
                output_index=0,
                content_index=0,
                part=part,
            )
            for i in range(n):
                seq += 1
                yield ev(
                    seq,
                    "response.output_text.delta",
                    item_id=item,
                    output_index=0,
                    content_index=0,
                    delta=_WORDS[i % len(_WORDS)],
                    logprobs=[],
                )
            seq += 1
            yield ev(
                seq,
                "response.output_text.done",
                item_id=item,
                output_index=0,
                content_index=0,
                text=text,
                logprobs=[],
            )
            seq += 1
            yield ev(
                seq,
                "response.content_part.done",
                item_id=item,
                output_index=0,
                content_index=0,
                part={**part, "text": text},
            )
            done = self._response_obj(body, headers, rid, "completed", text)
            seq += 1
            yield ev(seq, "response.output_item.done", output_index=0, item=done["output"][0])
            seq += 1
            yield ev(
                seq,
                "response.completed",
                response=self._response_obj(body, headers, rid, "completed", text),
            )

        self._send_sse(events())

    def _images(self, body: Any) -> None:
        n = int(body.get("n") or 1)
        self._send_json(
            200,
            {
                "created": int(time.time()),
                "data": [
                    {
                        "url": f"https://images.example/{uuid.uuid4().hex}.png",
                        "revised_prompt": body.get("prompt"),
                    }
                    for _ in range(n)
                ],
            },
        )

    def _embeddings(self, body: Any, headers: dict[str, str]) -> None:
        inputs = body.get("input")
        items = inputs if isinstance(inputs, list) else [inputs]
        vec = [0.0123, -0.0456, 0.0789, 0.0]
        data = []
        for i, _ in enumerate(items):
            emb: Any = vec
            if body.get("encoding_format") == "base64":
                emb = base64.b64encode(struct.pack(f"<{len(vec)}f", *vec)).decode()
            data.append({"object": "embedding", "index": i, "embedding": emb})
        tokens = EMBEDDING_TOKENS_PER_INPUT * len(items)
        self._send_json(
            200,
            {
                "object": "list",
                "data": data,
                "model": self._model(body, headers),
                "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
            },
        )


def _usage(headers: dict[str, str], default: dict[str, Any]) -> Any:
    return json.loads(headers["x-fake-usage"]) if "x-fake-usage" in headers else default


def _error(status: int, message: str, kind: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": None, "code": str(status)}}


if __name__ == "__main__":  # serve from a process of its own (benchmarks): prints the port
    import sys

    srv = FakeOpenAI()
    print(srv.port, flush=True)
    try:
        srv._httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        srv._httpd.server_close()
        sys.exit(0)

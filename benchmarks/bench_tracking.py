"""Overhead `track()` adds to each call, against an untracked client, in the same run.

Usage: python benchmarks/bench_tracking.py [--quick] [--calls N]

1. End to end: the real ``openai`` SDK against the local OpenAI-compatible server of the test
   suite (127.0.0.1, in a process of its own), one untracked and one tracked client, calls interleaved (alternating which
   goes first) so both see the same machine state. The tracked client records every call into a
   real SQLite `Ledger` (``submit`` in the loop, its writer thread running). Reported: the
   median of each, their difference, and the median of the per-pair differences.
   The server answers in about a millisecond, so the ledger's writer thread inserts while
   the next calls run and competes with them for the GIL; with a real API's latency it works
   while the caller waits on its socket. On a busy machine these figures move by tens of
   microseconds from run to run: the transport-only figures below are the stable ones.
2. Transport only: the same request and response through an httpx client on an in-memory
   transport, with and without the tracking wrapper, so the network and the server's noise
   are out of the figure: what remains is reading the request, watching the body, pricing it,
   building the record and ``Ledger.submit``. Measured with the real ledger and with a ledger
   whose ``submit`` does nothing, which splits tracking's own cost from the ledger's.
3. The usage hider alone: the bytes of a 500-chunk stream fed through `UsageHider` one event at
   a time, against ``json.loads`` of each chunk (what the SDK does to every chunk anyway).

Target: under 100 microseconds at the median.
"""

from __future__ import annotations

import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

QUICK = "--quick" in sys.argv
CALLS = 300 if QUICK else 2000
if "--calls" in sys.argv:
    CALLS = int(sys.argv[sys.argv.index("--calls") + 1])

MESSAGES = [{"role": "user", "content": "What is the weather in San Francisco?"}]


def _us(seconds: float) -> str:
    return f"{seconds * 1e6:8.1f} us"


def interleaved(
    a: Callable[[], object], b: Callable[[], object], n: int
) -> tuple[list[float], list[float]]:
    ta: list[float] = []
    tb: list[float] = []
    clock = time.perf_counter
    for i in range(n):
        order = ((a, ta), (b, tb)) if i % 2 == 0 else ((b, tb), (a, ta))
        for fn, out in order:
            t = clock()
            fn()
            out.append(clock() - t)
    return ta, tb


def report(name: str, plain: list[float], tracked: list[float]) -> float:
    mp, mt = statistics.median(plain), statistics.median(tracked)
    pairs = statistics.median(t - p for p, t in zip(plain, tracked, strict=True))
    print(f"{name} ({len(plain)} calls each, interleaved)")
    print(f"  untracked median {_us(mp)}")
    print(f"  tracked   median {_us(mt)}   ratio {mt / mp:.3f}")
    print(
        f"  overhead: difference of medians {_us(mt - mp)}, median of pair differences {_us(pairs)}"
    )
    return mt - mp


class NullLedger:
    """Takes records and drops them: isolates tracking's own cost from the ledger's."""

    def submit(self, rec: object) -> None:
        pass


@contextlib.contextmanager
def served() -> Iterator[str]:
    """The test suite's local server in a process of its own, so it does not share our GIL."""
    proc = subprocess.Popen(
        [sys.executable, str(HERE.parent / "tests" / "fake_openai_server.py")],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        port = int(proc.stdout.readline())
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def end_to_end(led: object) -> float:
    import openai

    import openai_cost

    with served() as base_url:
        plain = openai.OpenAI(base_url=base_url, api_key="bench", max_retries=0)
        tracked = openai_cost.track(
            openai.OpenAI(base_url=base_url, api_key="bench", max_retries=0),
            ledger=led,
            tags={"bench": "tracking"},
        )

        def call_plain() -> object:
            return plain.chat.completions.create(model="gpt-4o", messages=MESSAGES)

        def call_tracked() -> object:
            return tracked.chat.completions.create(model="gpt-4o", messages=MESSAGES)

        interleaved(call_plain, call_tracked, 200)  # warm up: connections, caches, pydantic
        p, t = interleaved(call_plain, call_tracked, CALLS)
        over = report("chat.completions, openai SDK -> local server", p, t)

        def stream_plain() -> object:  # asks for the usage chunk itself: the same bytes
            return list(
                plain.chat.completions.create(
                    model="gpt-4o",
                    messages=MESSAGES,
                    stream=True,
                    stream_options={"include_usage": True},
                )
            )

        def stream_tracked() -> object:  # tracking adds include_usage, then hides the chunk
            return list(
                tracked.chat.completions.create(model="gpt-4o", messages=MESSAGES, stream=True)
            )

        def stream_tracked_asking() -> object:  # asked by the caller: passed through
            return list(
                tracked.chat.completions.create(
                    model="gpt-4o",
                    messages=MESSAGES,
                    stream=True,
                    stream_options={"include_usage": True},
                )
            )

        def stream_plain_unasked() -> object:  # what an untracked caller runs
            return list(
                plain.chat.completions.create(model="gpt-4o", messages=MESSAGES, stream=True)
            )

        n = max(CALLS // 4, 100)
        p, t = interleaved(stream_plain, stream_tracked, n)
        report("stream: untracked asking for usage vs tracked not asking (usage hidden)", p, t)
        p, t = interleaved(stream_plain, stream_tracked_asking, n)
        report("stream: both asking for usage (passed through)", p, t)
        p, t = interleaved(stream_plain_unasked, stream_tracked, n)
        report("stream: neither asking for usage (what the caller pays)", p, t)

    return over


def transport_only(led: object, label: str) -> float:
    import httpx

    from fake_openai_server import CHAT_USAGE
    from openai_cost.tracking._transport import Config, SyncTrackingTransport

    body = json.dumps(
        {
            "id": "chatcmpl-bench",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": "gpt-4o-2024-08-06",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": "Mild and foggy."},
                    "finish_reason": "stop",
                }
            ],
            "usage": CHAT_USAGE,
            "service_tier": "default",
        }
    ).encode()
    counter = [0]

    def handler(request: httpx.Request) -> httpx.Response:
        counter[0] += 1
        return httpx.Response(
            200,
            content=body,
            headers={"content-type": "application/json", "x-request-id": f"req_bench_{counter[0]}"},
        )

    plain = httpx.Client(transport=httpx.MockTransport(handler), base_url="http://api.test/v1")
    tracked = httpx.Client(
        transport=SyncTrackingTransport(httpx.MockTransport(handler), Config(ledger=led)),
        base_url="http://api.test/v1",
    )
    req = {"model": "gpt-4o", "messages": MESSAGES}

    def call(client: httpx.Client) -> Callable[[], object]:
        def run() -> object:
            return client.post("/chat/completions", json=req).json()

        return run

    interleaved(call(plain), call(tracked), 500)
    n = CALLS * 5
    p, t = interleaved(call(plain), call(tracked), n)
    return report(f"transport only: httpx in-memory transport, same body, {label}", p, t)


def hider_only() -> None:
    """The cost of keeping an added usage chunk from the caller, per chunk, against the
    ``json.loads`` the SDK runs on every chunk anyway (its floor, before pydantic)."""
    from openai_cost.usage import UsageHider

    def event(i: int, **extra: object) -> bytes:
        chunk = {
            "id": "chatcmpl-bench",
            "object": "chat.completion.chunk",
            "created": 1727346168,
            "model": "gpt-4o-2024-08-06",
            "system_fingerprint": "fp_5050236cbd",
            "choices": [
                {
                    "index": 0,
                    "delta": {"content": f" word{i}"},
                    "logprobs": None,
                    "finish_reason": None,
                }
            ],
            **extra,
        }
        return b"data: " + json.dumps(chunk, separators=(",", ":")).encode() + b"\n\n"

    usage = {"prompt_tokens": 14, "completion_tokens": 500, "total_tokens": 514}
    pieces = [event(i, usage=None) for i in range(500)]
    final = json.loads(event(500, usage=usage)[6:])
    final["choices"] = []  # the usage chunk: no choices, the usage of the whole call
    pieces.append(b"data: " + json.dumps(final, separators=(",", ":")).encode() + b"\n\n")
    pieces.append(b"data: [DONE]\n\n")

    def hide() -> None:
        h = UsageHider()
        for piece in pieces:
            h.feed(piece)
        h.end()

    def parse() -> None:
        for piece in pieces[:-1]:  # not the [DONE] sentinel
            json.loads(piece[6:])

    hide(), parse()
    p, t = interleaved(parse, hide, 20 if QUICK else 100)
    per = len(pieces)
    print(f"usage hider, a {per}-chunk stream, one event per network read ({len(p)} runs)")
    print(
        f"  json.loads of each chunk (the SDK's floor) {_us(statistics.median(p) / per)} per chunk"
    )
    print(f"  UsageHider.feed of each chunk            {_us(statistics.median(t) / per)} per chunk")


def main() -> int:
    with tempfile.TemporaryDirectory() as home:
        os.environ["OPENAI_COST_HOME"] = home
        from openai_cost.ledger import Ledger

        led = Ledger(f"sqlite:///{Path(home) / 'ledger.db'}")
        t0 = time.perf_counter()
        e2e = end_to_end(led)
        tr = transport_only(led, "real SQLite ledger")
        own = transport_only(NullLedger(), "ledger.submit a no-op")
        hider_only()
        led.flush()
        stored = len(led.records())
        led.close()
        print(
            f"ledger: {stored} rows stored by the background writer ({time.perf_counter() - t0:.1f} s total)"
        )
    print(f"tracking's own share (no-op ledger): {own * 1e6:.1f} us per call")
    verdict = "OK" if tr < 100e-6 else "OVER"
    print(
        f"target < 100 us at the median: {verdict} (transport {tr * 1e6:.1f} us; "
        f"end to end {e2e * 1e6:.1f} us)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

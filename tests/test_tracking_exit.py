"""A stream left unfinished never hangs the process and never loses its row.

Each case runs a small program in a subprocess (the real ``openai`` SDK against the local
server) that abandons a tracked stream: breaks out of it and closes it, drops it inside a
function (garbage-collected), raises inside the loop (uncaught), or keeps it open in a global
until the interpreter exits. The program must exit on its own within the timeout, and the ledger
must then hold the stream's ``status="incomplete"`` row, with nothing logged about a closed
ledger or a row that could not be queued.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path
from typing import Any

import pytest

from _ledger_helpers import IN_CI
from _tracking_helpers import server
from fake_openai_server import FakeOpenAI

__all__ = ["server"]  # fixture used by name

EXIT_TIMEOUT_S = 30  # a hang, not a slow machine: the program itself runs in about a second

_SYNC = """
def start(how):
    with openai_cost.session(tags={"how": how}):
        return client.chat.completions.create(model="gpt-4o-mini", messages=HELLO, stream=True,
                                              extra_headers={"x-fake-chunks": "500"})

def collected():  # the stream is garbage once this returns (the SDK's stream is a cycle)
    for _ in start("collected"):
        break

closed = start("closed")
for _ in closed:
    break
closed.close()
collected()
kept_open = start("open")
for _ in kept_open:
    break
print("program done", flush=True)
if ENDING == "exception":
    for ch in start("exception"):
        raise RuntimeError("the caller's own bug")
"""

_ASYNC = """
import asyncio
kept = []

async def start(how):
    with openai_cost.session(tags={"how": how}):
        return await client.chat.completions.create(model="gpt-4o-mini", messages=HELLO,
                                                    stream=True,
                                                    extra_headers={"x-fake-chunks": "500"})

async def main():
    closed = await start("closed")
    async for _ in closed:
        break
    await closed.close()
    async for _ in await start("collected"):  # dropped when main() returns
        break
    kept.append(await start("open"))
    async for _ in kept[0]:
        break
    print("program done", flush=True)
    if ENDING == "exception":
        async for ch in await start("exception"):
            raise RuntimeError("the caller's own bug")

asyncio.run(main())
"""

_HEAD = """
import os, openai, openai_cost
ENDING = {ending!r}
HELLO = [{{"role": "user", "content": "Weather?"}}]
kw = {{}}
if {url!r}:
    kw["ledger"] = openai_cost.Ledger({url!r})
client = openai_cost.track(openai.{cls}(base_url={base_url!r}, api_key="test"),
                           tags={{"run": {tag!r}}}, **kw)
"""


def _run(tmp_path: Path, srv: FakeOpenAI, *, ending: str, store: str, is_async: bool) -> Any:
    home = tmp_path / "home"
    url = {
        "default-ledger": "",
        "sqlite-ledger": f"sqlite:///{tmp_path / 'explicit.db'}",
        "postgres-ledger": os.environ.get("OPENAI_COST_TEST_POSTGRES_URL", ""),
    }[store]
    if store == "postgres-ledger" and not url:
        if IN_CI:
            pytest.fail("OPENAI_COST_TEST_POSTGRES_URL must be set in CI")
        pytest.skip("OPENAI_COST_TEST_POSTGRES_URL is not set")
    tag = uuid.uuid4().hex
    head = _HEAD.format(
        ending=ending,
        url=url,
        tag=tag,
        cls="AsyncOpenAI" if is_async else "OpenAI",
        base_url=srv.base_url,
    )
    program = textwrap.dedent(head) + textwrap.dedent(_ASYNC if is_async else _SYNC)
    env = {"OPENAI_COST_HOME": str(home), "PATH": "/usr/bin:/bin", "PYTHONUNBUFFERED": "1"}
    try:
        done = subprocess.run(
            [sys.executable, "-c", program],
            env=env,
            capture_output=True,
            text=True,
            timeout=EXIT_TIMEOUT_S,
        )
    except subprocess.TimeoutExpired as e:
        pytest.fail(f"the program did not exit within {EXIT_TIMEOUT_S} s: {e.stderr!r}")
    from openai_cost.ledger import Ledger

    led = Ledger(url or f"sqlite:///{home / 'ledger.db'}")
    try:
        records = [r for r in led.records() if r.tags.get("run") == tag]
    finally:
        led.close()
    return done, records


@pytest.mark.slow
@pytest.mark.parametrize(
    ("store", "is_async"),
    [
        ("default-ledger", False),
        ("default-ledger", True),
        ("sqlite-ledger", False),
        ("sqlite-ledger", True),
        pytest.param("postgres-ledger", False, marks=pytest.mark.postgres),
    ],
    ids=lambda v: {False: "sync", True: "async"}.get(v, v),
)
@pytest.mark.parametrize("ending", ["normal", "exception"])
def test_abandoned_streams_exit_promptly_with_their_rows(
    ending: str, store: str, is_async: bool, server: FakeOpenAI, tmp_path: Path
) -> None:
    done, records = _run(tmp_path, server, ending=ending, store=store, is_async=is_async)
    assert "program done" in done.stdout, done.stderr
    if ending == "exception":
        assert done.returncode == 1 and "the caller's own bug" in done.stderr
    else:
        assert done.returncode == 0, done.stderr
    # file paths in a traceback may contain anything (a checkout in a folder named "ledger")
    said = done.stderr.replace(sys.prefix, "").replace(str(Path(__file__).parents[1]), "")
    assert "openai-cost" not in said and "ledger" not in said.lower(), done.stderr
    hows = ["closed", "collected", "open"] + (["exception"] if ending == "exception" else [])
    assert sorted(r.tags["how"] for r in records) == sorted(hows), done.stderr
    for rec in records:
        assert rec.status == "incomplete", rec
        assert rec.model == "gpt-4o-mini-2024-07-18"
        assert rec.cost is None and "before its usage" in (rec.unpriced_reason or "")


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork is POSIX")
def test_forked_child_does_not_record_its_parents_open_streams(
    server: FakeOpenAI, tmp_path: Path
) -> None:
    # the parent keeps a stream open and forks; the child exits normally (its exit sequence
    # runs): the row is the parent's to write, once, not the child's too
    tag = uuid.uuid4().hex
    url = f"sqlite:///{tmp_path / 'fork.db'}"
    program = textwrap.dedent(
        _HEAD.format(ending="normal", url=url, tag=tag, cls="OpenAI", base_url=server.base_url)
    ) + textwrap.dedent(
        """
        import sys
        from openai_cost.tracking import _transport
        kept = client.chat.completions.create(model="gpt-4o-mini", messages=HELLO, stream=True,
                                              extra_headers={"x-fake-chunks": "500"})
        for _ in kept:
            break
        pid = os.fork()
        if pid == 0:
            print("child sees", len(_transport._OPEN), "open call(s)", flush=True)
            sys.exit(0)
        os.waitpid(pid, 0)
        print("parent sees", len(_transport._OPEN), "open call(s)", flush=True)
        """
    )
    env = {"OPENAI_COST_HOME": str(tmp_path / "home"), "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-c", program],
        env=env,
        capture_output=True,
        text=True,
        timeout=EXIT_TIMEOUT_S,
    )
    assert done.returncode == 0, done.stderr
    assert "child sees 0 open call(s)" in done.stdout
    assert "parent sees 1 open call(s)" in done.stdout
    from openai_cost.ledger import Ledger

    led = Ledger(url)
    try:
        [rec] = [r for r in led.records() if r.tags.get("run") == tag]
    finally:
        led.close()
    assert rec.status == "incomplete"

"""The ledger under faults: unstorable rows, hostile tags, full disks, forks, shared request ids,
rotated passwords and a database that was read-only when first opened.

Every test runs against a real SQLite file and, where marked, a real PostgreSQL server.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from _ledger_helpers import (
    COST_DEFAULT,
    T0,
    Backend,
    count_rows,
    make_backend,
    rec,
    spool_lines,
)
from openai_cost import ConfigError, Ledger, LedgerError, session
from openai_cost.ledger.queries import record_to_dict

TESTS_DIR = str(Path(__file__).parent)


def _rejected(spool: Path) -> list[dict[str, object]]:
    path = spool / "rejected.ndjson"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]


# --- one unstorable row is one refused row ----------------------------------------------------


def test_a_token_count_past_64_bits_is_one_refused_row(backend: Backend) -> None:
    # 2**63 does not fit a signed 64-bit column (SQLite raises OverflowError, PostgreSQL
    # refuses the bigint): it is set aside and the rows after it are stored
    with Ledger(backend.url) as led:
        led.submit(rec("before"))
        led.submit(rec("huge", input_tokens=2**63))
        led.submit(rec("after"))
        assert led.flush(30) is True
        assert sorted(r.request_id for r in led.records()) == ["after", "before"]
        kept = _rejected(led.spool_dir)
    assert [k["record"]["request_id"] for k in kept] == ["huge"]  # type: ignore[index]
    assert "64-bit" in str(kept[0]["error"])


def test_a_tag_with_a_lone_surrogate_is_one_refused_row(backend: Backend) -> None:
    with Ledger(backend.url) as led:
        led.submit(rec("before"))
        led.submit(rec("surrogate", tags={"team": "a\ud800b"}))
        led.submit(rec("after", tags={"team": "a"}))
        assert led.flush(30) is True
        assert sorted(r.request_id for r in led.records()) == ["after", "before"]
        kept = _rejected(led.spool_dir)
    assert [k["record"]["request_id"] for k in kept] == ["surrogate"]  # type: ignore[index]
    assert "surrogate" in str(kept[0]["error"])


def test_record_refuses_unstorable_values_with_a_clear_error(backend: Backend) -> None:
    with Ledger(backend.url) as led:
        with pytest.raises(LedgerError, match=r"input_tokens.*64-bit"):
            led.record(rec("huge", input_tokens=2**63))
        with pytest.raises(LedgerError, match=r"tag 'team'.*NUL"):
            led.record(rec("nul", tags={"team": "a\x00b"}))
        assert led.record(rec("fine", input_tokens=2**63 - 1, output_tokens=0))
        assert [r.usage.input_tokens for r in led.records()] == [2**63 - 1]  # type: ignore[union-attr]


def test_tags_follow_one_rule_on_both_backends(backend: Backend) -> None:
    # the longest name (255 characters) and value (1024) are stored and read back the same
    # on SQLite and PostgreSQL; one character more is refused before it is journaled
    name, value = "n" * 255, "é" * 1024
    with Ledger(backend.url) as led:
        assert led.record(rec("longest", tags={name: value}))
        assert dict(led.records()[0].tags) == {name: value}
        assert led.spent(tags={name: value}) == COST_DEFAULT
        with pytest.raises(LedgerError, match=r"1025 characters.*at most 1024"):
            led.record(rec("too-long-value", tags={"k": "v" * 1025}))
        with pytest.raises(LedgerError, match=r"256 characters.*at most 255"):
            led.record(rec("too-long-name", tags={"n" * 256: "v"}))
        with pytest.raises(LedgerError, match="empty"):
            led.record(rec("empty-name", tags={"": "v"}))


def test_track_and_session_refuse_bad_tags_up_front() -> None:
    import openai

    from openai_cost import track

    with pytest.raises(ConfigError, match=r"tag 'team'.*NUL"):
        session(tags={"team": "a\x00"})
    with pytest.raises(ConfigError, match=r"tag 'x+'.*at most 255"):
        session(tags={"x" * 256: "v"})
    client = openai.OpenAI(api_key="sk-test", base_url="http://127.0.0.1:9/v1")
    try:
        with pytest.raises(ConfigError, match=r"tag 'user'.*surrogate"):
            track(client, tags={"user": "\udc80"})
    finally:
        client.close()


def test_a_non_finite_cost_is_refused(backend: Backend) -> None:
    import dataclasses

    good = rec("nan")
    assert good.cost is not None
    bad = dataclasses.replace(good, cost=dataclasses.replace(good.cost, input=Decimal("NaN")))
    with Ledger(backend.url) as led:
        with pytest.raises(LedgerError, match="finite"):
            led.record(bad)
        led.submit(bad)
        assert led.flush(10) is True
        assert led.records() == []
        assert [k["record"]["request_id"] for k in _rejected(led.spool_dir)] == ["nan"]  # type: ignore[index]


def _orphan(spool: Path, lines: list[str]) -> None:
    spool.mkdir(parents=True, exist_ok=True)
    (spool / "424242-1-dead.jsonl").write_text("".join(line + "\n" for line in lines))


def test_replay_never_trusts_the_spool(backend: Backend) -> None:
    # an orphaned journal (its process is gone) with a good row, a row carrying a NaN cost, a
    # tag no database should take and a token count past 64 bits: opening the ledger works,
    # the good row is stored, the others are set aside, and reads and budgets keep working
    with Ledger(backend.url) as led:
        spool = led.spool_dir
    good = record_to_dict(rec("good"))
    nan = record_to_dict(rec("nan-cost"))
    nan["cost"]["total_usd"] = "NaN"
    nan["cost"]["input_usd"] = "NaN"
    long_tag = record_to_dict(rec("long-tag", tags={"team": "t" * 2000}))
    nul_tag = record_to_dict(rec("nul-tag", tags={"team": "a\x00b"}))
    huge = record_to_dict(rec("huge"))
    huge["usage"]["input_tokens"] = 2**64
    _orphan(spool, [json.dumps(d) for d in (nan, long_tag, good, nul_tag, huge)])

    with Ledger(backend.url) as again:
        assert [r.request_id for r in again.records()] == ["good"]
        assert again.spent() == COST_DEFAULT
        assert again.report()[0].cost_usd == COST_DEFAULT
    assert not list(spool.glob("*.jsonl"))
    refused = spool / "rejected.txt"
    assert refused.read_text().count("\n") == 4
    for rid in ("nan-cost", "long-tag", "nul-tag", "huge"):
        assert rid in refused.read_text()


def test_replay_of_a_row_the_database_refuses_does_not_block_the_ledger(
    backend: Backend,
) -> None:
    # a row that passes our checks but the database still refuses (here a rule its operator
    # added): one refused row, never an error on open, and the rows after it are stored
    with Ledger(backend.url) as led:
        spool = led.spool_dir
        led.migrations()
    import sqlalchemy as sa

    engine = sa.create_engine(backend.url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as c:
        if backend.name == "postgres":
            c.execute(sa.text("ALTER TABLE calls ADD CONSTRAINT no_banned CHECK (model <> 'x')"))
        else:
            c.execute(
                sa.text(
                    "CREATE TRIGGER no_banned BEFORE INSERT ON calls WHEN NEW.model = 'x' "
                    "BEGIN SELECT RAISE(ABORT, 'model x is banned'); END"
                )
            )
    engine.dispose()
    bad = record_to_dict(rec("banned"))
    bad["model"] = "x"
    rows = [record_to_dict(rec("good-1")), bad, record_to_dict(rec("good-2"))]
    _orphan(spool, [json.dumps(d) for d in rows])
    with Ledger(backend.url) as again:
        assert sorted(r.request_id for r in again.records()) == ["good-1", "good-2"]
        assert again.spent() == 2 * COST_DEFAULT
    kept = _rejected(spool)
    assert [k["record"]["request_id"] for k in kept] == ["banned"]  # type: ignore[index]
    assert not list(spool.glob("*.jsonl"))


# --- full spool disk -----------------------------------------------------------------------------


@contextlib.contextmanager
def _full_filesystem(where: Path) -> Iterator[Path]:
    """A 64 KiB tmpfs mounted at `where`, filled up to the last byte (needs root)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tiny tmpfs needs root")
    where.mkdir(parents=True)
    r = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(where)],
        capture_output=True,
        text=True,
    )
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {r.stderr.strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def _fill(fs: Path) -> None:
    fd = os.open(fs / "filler", os.O_WRONLY | os.O_CREAT)
    try:
        with contextlib.suppress(OSError):
            while True:
                os.write(fd, b"x" * 512)
    finally:
        os.close(fd)


def test_a_full_spool_disk_writes_straight_to_the_database(
    backend: Backend,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with _full_filesystem(tmp_path / "fs") as fs:
        monkeypatch.setenv("OPENAI_COST_HOME", str(fs / "home"))
        led = Ledger(backend.url)
        try:
            led.spool_dir.mkdir(parents=True)
            _fill(fs)
            with caplog.at_level(logging.WARNING, logger="openai_cost.ledger"):
                led.submit(rec("no-room-1"))
                led.submit(rec("no-room-2"))
            assert "straight to the database" in caplog.text
            assert led.flush(10) is True
            assert sorted(r.request_id for r in led.records()) == ["no-room-1", "no-room-2"]
        finally:
            led.close()
    assert count_rows(backend.url) == (2, 2)


def test_flush_says_what_a_full_disk_and_an_outage_dropped(
    backend: Backend,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with _full_filesystem(tmp_path / "fs") as fs:
        monkeypatch.setenv("OPENAI_COST_HOME", str(fs / "home"))
        led = Ledger(backend.fast_url)
        try:
            led.record(rec("stored-first"))
            led.spool_dir.mkdir(parents=True, exist_ok=True)
            _fill(fs)
            with backend.outage(), caplog.at_level(logging.ERROR, logger="openai_cost.ledger"):
                led.submit(rec("lost"))
            assert "lost" in caplog.text
            assert led.flush(10) is False
            assert led.dropped == ("lost",)
            led.submit(rec("after"))  # the database is back: stored straight away
            assert led.flush(10) is True  # nothing lost since the previous flush
            assert led.dropped == ("lost",)
        finally:
            led.close()
    assert count_rows(backend.url) == (2, 2)


# --- spool folder keyed without credentials -----------------------------------------------------


def test_the_spool_folder_does_not_depend_on_the_password() -> None:
    a = Ledger("postgresql://app:old-secret@db.example:5432/costs")
    b = Ledger("postgresql://app:rotated@db.example:5432/costs")
    c = Ledger("postgresql://app@db.example:5432/other")
    assert a.spool_dir == b.spool_dir
    assert a.spool_dir != c.spool_dir
    for led in (a, b, c):
        led.close()


@pytest.mark.postgres
def test_rows_spooled_under_an_old_password_are_replayed(tmp_path: Path) -> None:
    with make_backend("postgres", tmp_path) as backend:
        user_url = backend.url.replace("postgresql://postgres@", "postgresql://postgres:old@", 1)
        fast = f"{user_url}?connect_timeout=2"
        led = Ledger(fast)
        with backend.outage():
            led.submit(rec("spooled-1"))
            led.submit(rec("spooled-2"))
            assert led.flush(10) is False
            led.close(timeout=1)
        assert spool_lines(led.spool_dir) == 2
        rotated = backend.url.replace("postgresql://postgres@", "postgresql://postgres:new@", 1)
        with Ledger(rotated) as again:
            assert sorted(r.request_id for r in again.records()) == ["spooled-1", "spooled-2"]


def test_a_spool_folder_named_the_old_way_is_replayed(backend: Backend) -> None:
    # before, the folder was named by a hash of the whole URL, password included
    import hashlib

    from openai_cost.ledger import resolve_url

    with Ledger(backend.url) as led:
        home = led.spool_dir.parent
    full = resolve_url(backend.url).render_as_string(hide_password=False)
    old = home / hashlib.sha256(full.encode()).hexdigest()[:16]
    _orphan(old, [json.dumps(record_to_dict(rec("from-old-folder")))])
    with Ledger(backend.url) as again:
        assert [r.request_id for r in again.records()] == ["from-old-folder"]
    assert not list(old.glob("*.jsonl"))


# --- calls sharing a request id -----------------------------------------------------------------


def test_a_shared_request_id_keeps_every_call(
    backend: Backend, caplog: pytest.LogCaptureFixture
) -> None:
    # a proxy that answers every call with the same id: three different calls, each stored
    first = rec("chatcmpl-proxy", at=T0)
    second = rec("chatcmpl-proxy", at=T0 + timedelta(seconds=1), input_tokens=2000)
    third = rec("chatcmpl-proxy", at=T0 + timedelta(seconds=2), input_tokens=3000)
    with Ledger(backend.url) as led, caplog.at_level(logging.INFO, logger="openai_cost.ledger"):
        assert led.record(first) is True
        assert led.record(second) is True
        led.submit(third)
        led.submit(first)  # a repeat of the same attempt (a replay): not stored again
        led.submit(second)
        assert led.flush(30) is True
        stored = led.records()
        # 1000 + 2000 + 3000 input tokens at $2.50/1M and 100 output each at $10/1M
        # (openai-billing.md 3.1): 0.015 + 0.003 = 0.018
        assert led.spent() == Decimal("0.018")
    assert len(stored) == 3
    assert stored[0].request_id == "chatcmpl-proxy"
    assert all(r.request_id.startswith("chatcmpl-proxy~") for r in stored[1:])
    assert len({r.request_id for r in stored}) == 3
    assert [r.usage.input_tokens for r in stored] == [1000, 2000, 3000]  # type: ignore[union-attr]
    assert caplog.text.count("already used by another call") == 2


def test_a_shared_request_id_inside_one_batch(backend: Backend) -> None:
    with Ledger(backend.url) as led:
        for i in range(5):
            led.submit(rec("same", at=T0 + timedelta(seconds=i)))
        led.submit(rec("same", at=T0))  # the first again: a duplicate
        assert led.flush(30) is True
        assert len(led.records()) == 5
    assert count_rows(backend.url) == (5, 5)


# --- fork safety --------------------------------------------------------------------------------

_FORK_SCRIPT = r"""
import os, sys, threading, time
sys.path.insert(0, sys.argv[1])
from _ledger_helpers import rec
from openai_cost import Ledger

url, rounds = sys.argv[2], int(sys.argv[3])
failed = 0


def stored(led, within=20.0):
    # flush() answers False as soon as one attempt fails; SQLite can refuse a connection at
    # once while another process checkpoints its WAL. What matters is that the rows get
    # stored: flush again until they are, or until the deadline.
    deadline = time.monotonic() + within
    while True:
        if led.flush(max(0.1, deadline - time.monotonic())):
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.2)


for n in range(rounds):
    led = Ledger(url)
    if n % 2:
        led.record(rec(f"parent-open-{n}"))  # the parent has live connections
    t = threading.Thread(target=led.submit, args=(rec(f"parent-{n}"),))
    t.start()  # the writer thread starts (and connects, on even rounds) while we fork
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            for i in range(3):
                led.submit(rec(f"child-{n}-{i}"))
            code = 0 if stored(led) else 2
            led.close(5)
        finally:
            os._exit(code)
    t.join()
    _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        failed += 1
    assert stored(led)
    led.close()
print(failed)
"""


def test_a_process_forked_while_the_writer_starts_can_write(
    backend: Backend, tmp_path: Path
) -> None:
    env = {**os.environ, "OPENAI_COST_HOME": str(tmp_path / "fork-home")}
    rounds = 5
    out = subprocess.run(
        [sys.executable, "-c", _FORK_SCRIPT, TESTS_DIR, backend.url, str(rounds)],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "0", out.stderr
    n = rounds * (1 + 3) + rounds // 2
    assert count_rows(backend.url) == (n, n)


# --- read-only SQLite that becomes writable -----------------------------------------------------

_READONLY_SCRIPT = r"""
import os, sys
sys.path.insert(0, sys.argv[1])
from _ledger_helpers import rec
from openai_cost import Ledger

db = sys.argv[2]
led = Ledger(f"sqlite:///{db}?timeout=0.2")
assert [r.request_id for r in led.records()] == ["setup"]  # reads work
led.submit(rec("while-read-only"))
assert led.flush(5) is False, "a read-only database took a write"
os.chmod(db, 0o644)
assert led.flush(30) is True, "the ledger did not recover once the file became writable"
led.record(rec("sync-after"))
print(sorted(r.request_id for r in led.records()))
led.close()
"""


def test_a_read_only_sqlite_ledger_recovers_once_writable(tmp_path: Path) -> None:
    db = tmp_path / "ledger.db"
    with Ledger(f"sqlite:///{db}") as led:
        led.record(rec("setup"))
    os.chmod(db, 0o444)
    cmd = [sys.executable, "-c", _READONLY_SCRIPT, TESTS_DIR, str(db)]
    if os.geteuid() == 0:  # root ignores file modes: drop the capability that lets it
        if shutil.which("setpriv") is None:
            pytest.skip("running as root without setpriv: cannot make a file read-only")
        cmd = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search", *cmd]
    env = {**os.environ, "OPENAI_COST_HOME": str(tmp_path / "home")}
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "['setup', 'sync-after', 'while-read-only']"

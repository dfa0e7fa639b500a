"""Price files that stay current between releases: download, check, install, compare.

``openai-cost prices update`` fetches the newest ``openai.toml`` (by default from
`DEFAULT_PRICES_URL`, overridable with ``OPENAI_COST_PRICES_URL`` or an argument), validates it
with the parser every price file goes through, refuses a file older than the data in use or of an
unknown ``schema``, and installs it under ``<user dir>/prices/``:

* the new file is written to a temporary file in that folder and renamed over ``openai.toml``
  (an atomic rename: a reader sees the old file or the new one, never half of one);
* the file it replaces is kept as ``openai.toml.previous``;
* ``openai.toml.origin.json`` records where and when it was downloaded (for ``prices status``);
* a lock file (``.lock``, an exclusive ``flock`` / ``msvcrt`` lock) serialises concurrent
  updates from several processes: each decides and installs while holding it.

Nothing here runs implicitly: the catalog only ever reads files already on disk
(`openai_cost.catalog.Catalog.installed`), so pricing works offline. Only the standard library
is used (``urllib``), and only when an update runs.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

from ._price_file import SCHEMA, PriceFile, _parse, _Parsed, _toml_loads
from .catalog import _bundled_parts, _bundled_updated, parse_price_text
from .errors import PriceDataError, PriceUpdateError

__all__ = [
    "DEFAULT_PRICES_URL",
    "PRICES_URL_ENV",
    "RateChange",
    "UpdateResult",
    "diff_price_texts",
    "downloaded_origin",
    "prices_dir",
    "prices_url",
    "update_prices",
]

DEFAULT_PRICES_URL = (
    "https://raw.githubusercontent.com/openai-cost/openai-cost/main/"
    "src/openai_cost/data/prices/openai.toml"
)
"""Where ``prices update`` downloads by default: the price file on the project's main branch."""

PRICES_URL_ENV = "OPENAI_COST_PRICES_URL"
"""Environment variable that replaces `DEFAULT_PRICES_URL`."""

FILE_NAME = "openai.toml"
_MAX_BYTES = 16 * 1024 * 1024  # a price file is ~150 KB; anything this large is not one


def prices_url(url: str | None = None) -> str:
    """The URL an update reads: ``url``, else ``OPENAI_COST_PRICES_URL``, else the default."""
    return url or os.environ.get(PRICES_URL_ENV) or DEFAULT_PRICES_URL


def prices_dir(home: str | Path | None = None) -> Path:
    """The folder downloaded price files live in: ``<user dir>/prices``."""
    from .config import user_dir

    return Path(home if home is not None else user_dir()) / "prices"


@dataclass(frozen=True, slots=True)
class UpdateResult:
    """What `update_prices` did."""

    installed: bool
    """True when a new file was installed; False when the data in use was already as new."""
    path: Path
    """The installed file (``<user dir>/prices/openai.toml``)."""
    url: str
    """Where the file was downloaded from."""
    updated: date
    """The downloaded file's ``updated`` date."""
    previous_updated: date | None
    """``updated`` of the data in use before (downloaded file, else the bundled one)."""
    models: int
    """Model entries in the downloaded file."""


def _download(url: str, timeout: float) -> bytes:
    import http.client
    import urllib.error
    import urllib.request

    req = urllib.request.Request(url, headers={"User-Agent": "openai-cost prices update"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            expected = resp.headers.get("Content-Length")
            chunks: list[bytes] = []
            size = 0
            while True:
                chunk = resp.read(65536)
                if not chunk:
                    break
                size += len(chunk)
                if size > _MAX_BYTES:
                    raise PriceUpdateError(
                        f"{url}: download is larger than {_MAX_BYTES:,} bytes: not a price file"
                    )
                chunks.append(chunk)
    except urllib.error.HTTPError as e:
        raise PriceUpdateError(f"{url}: HTTP {e.code} {e.reason}; nothing installed") from e
    except http.client.IncompleteRead as e:
        raise PriceUpdateError(
            f"{url}: download truncated ({len(e.partial):,} bytes received, "
            f"{e.expected if e.expected is not None else 'more'} missing); nothing installed"
        ) from e
    except (urllib.error.URLError, OSError, http.client.HTTPException) as e:
        reason = getattr(e, "reason", None) or e
        raise PriceUpdateError(f"{url}: download failed: {reason}; nothing installed") from e
    body = b"".join(chunks)
    if expected is not None and expected.isdigit() and int(expected) != len(body):
        raise PriceUpdateError(
            f"{url}: download truncated ({len(body):,} of {int(expected):,} bytes); "
            "nothing installed"
        )
    return body


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``folder/.lock`` (blocks until other updates finish)."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "a+b") as f:
        if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
            import msvcrt

            f.seek(0)
            msvcrt.locking(f.fileno(), msvcrt.LK_LOCK, 1)  # retries for 10 s, then raises
            try:
                yield
            finally:
                f.seek(0)
                msvcrt.locking(f.fileno(), msvcrt.LK_UNLCK, 1)
        else:
            import fcntl

            fcntl.flock(f.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(f.fileno(), fcntl.LOCK_UN)


def _write_atomic(path: Path, data: bytes) -> None:
    import tempfile

    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _bundled(name: str = FILE_NAME) -> _Parsed:
    for n, parsed in _bundled_parts():
        if n == name:
            return parsed
    raise PriceDataError(f"no bundled price file {name}")  # pragma: no cover - package broken


def _read_downloaded(path: Path) -> _Parsed | None:
    if not path.is_file():
        return None
    try:
        return _parse(_toml_loads(path.read_text(encoding="utf-8"), str(path)), str(path), "openai")
    except (OSError, PriceDataError):
        return None  # a broken file is replaced, never trusted


def update_prices(
    url: str | None = None, *, home: str | Path | None = None, timeout: float = 30.0
) -> UpdateResult:
    """Download the newest price file and install it for the catalog to use.

    Args:
        url: where to download from; default `prices_url` (``OPENAI_COST_PRICES_URL``, else
            `DEFAULT_PRICES_URL`).
        home: the user dir to install into (default ``OPENAI_COST_HOME`` / the platform's).
        timeout: seconds to wait for the server.

    The shared catalog of a running process keeps the data it was built with; call
    ``openai_cost.catalog(reload=True)`` to read the new file (a new process reads it anyway).

    Returns:
        An `UpdateResult`; ``installed`` is False when the data in use is already as new and
        identical.

    Raises:
        PriceUpdateError: the download failed (HTTP error, truncated, unreachable) or the file is
            older than the data in use. Nothing is installed.
        PriceDataError: the file is not a valid price file (the message names the URL, entry
            and field) or has an unknown ``schema``. Nothing is installed.
    """
    src = prices_url(url)
    body = _download(src, timeout)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as e:
        raise PriceDataError(f"{src}: not UTF-8 text: {e}") from e
    info = parse_price_text(text, src, "openai")
    missing = [k for k, v in (("updated", info.updated), ("schema", info.schema)) if v is None]
    if missing:
        raise PriceDataError(
            f"{src}: top level: missing field(s) {', '.join(missing)} "
            f"(a downloadable price file states its date and schema {SCHEMA})"
        )
    assert info.updated is not None
    folder = prices_dir(home)
    target = folder / FILE_NAME
    with _locked(folder):
        current = _read_downloaded(target)
        bundled_updated = _bundled_updated(FILE_NAME)
        in_use = current.updated if current is not None else bundled_updated
        if in_use is not None and info.updated < in_use:
            raise PriceUpdateError(
                f"{src}: the file is older (updated {info.updated}) than the prices in use "
                f"(updated {in_use}); nothing installed"
            )
        old_bytes = target.read_bytes() if current is not None else None
        same = old_bytes == body if old_bytes is not None else False
        if same or (current is None and info.updated == bundled_updated and _is_bundled(body)):
            return UpdateResult(False, target, src, info.updated, in_use, info.models)
        if old_bytes is not None:
            _write_atomic(folder / (FILE_NAME + ".previous"), old_bytes)
        _write_atomic(target, body)
        origin = {
            "url": src,
            "downloaded_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "sha256": hashlib.sha256(body).hexdigest(),
            "updated": info.updated.isoformat(),
            "schema": info.schema,
        }
        _write_atomic(
            folder / (FILE_NAME + ".origin.json"), json.dumps(origin, indent=2).encode("utf-8")
        )
    return UpdateResult(True, target, src, info.updated, in_use, info.models)


def _is_bundled(body: bytes) -> bool:
    from importlib import resources

    pkg = resources.files("openai_cost") / "data" / "prices" / FILE_NAME
    return pkg.read_bytes() == body


def downloaded_origin(home: str | Path | None = None) -> Mapping[str, Any] | None:
    """Where the installed price file came from (``url``, ``downloaded_at``...), if recorded."""
    path = prices_dir(home) / (FILE_NAME + ".origin.json")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


# --------------------------------------------------------------------------- diff


@dataclass(frozen=True, slots=True)
class RateChange:
    """One rate that differs between two price files (None: absent on that side)."""

    model: str
    """Model id, or ``alias:<name>`` for a floating name's target."""
    since: date
    """``since`` of the price period (or alias target)."""
    rate: str
    """``<tier>.<key>``, e.g. ``standard.input``, ``priority.output``,
    ``long_context.priority.input``, ``per_image.hd/1024x1024``; ``target`` for aliases."""
    old: str | None
    """Value in the old file (a decimal string, or a model id for ``target``)."""
    new: str | None
    """Value in the new file."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "model": self.model,
            "since": self.since.isoformat(),
            "rate": self.rate,
            "old": self.old,
            "new": self.new,
        }


def _flat(parsed: _Parsed) -> dict[tuple[str, date, str], str]:
    out: dict[tuple[str, date, str], str] = {}

    def put(mid: str, since: date, prefix: str, rates: Mapping[str, Decimal] | None) -> None:
        for k, v in (rates or {}).items():
            out[(mid, since, f"{prefix}.{k}")] = str(v)

    for e in parsed.entries:
        for p in e.periods:
            put(e.id, p.since, "standard", p.standard)
            for tier in ("batch", "flex", "priority", "ultrafast"):
                put(e.id, p.since, tier, getattr(p, tier))
            put(e.id, p.since, "per_image", p.per_image)
            lc = p.long_context
            if lc is not None:
                out[(e.id, p.since, "long_context.threshold")] = str(lc.threshold)
                put(e.id, p.since, "long_context", lc.standard)
                for tier in ("batch", "flex", "priority", "ultrafast"):
                    put(e.id, p.since, f"long_context.{tier}", getattr(lc, tier))
    for a in parsed.aliases:
        for since, model in a.targets:
            out[(f"alias:{a.name}", since, "target")] = model
    for f in parsed.fees:
        put("tool_fees", f.since, "fee", f.rates)
    return out


def parse_for_diff(text: str, origin: str) -> tuple[_Parsed, PriceFile]:
    """Parse a price file's text for `diff_price_texts` (validated like any price file)."""
    parsed = _parse(_toml_loads(text, origin), origin, "openai")
    return parsed, PriceFile(origin, "user", parsed.updated, parsed.schema, len(parsed.entries))


def diff_parsed(old: _Parsed, new: _Parsed) -> list[RateChange]:
    """Every rate that differs between two parsed price files, sorted by model, date, rate."""
    a, b = _flat(old), _flat(new)
    changes = [
        RateChange(k[0], k[1], k[2], a.get(k), b.get(k))
        for k in sorted(set(a) | set(b))
        if a.get(k) != b.get(k)
    ]
    return changes


def diff_price_texts(
    old: str, new: str, *, old_origin: str = "old", new_origin: str = "new"
) -> list[RateChange]:
    """Every rate that differs between two price files given as text.

    Raises:
        PriceDataError: either text is not a valid price file.
    """
    return diff_parsed(parse_for_diff(old, old_origin)[0], parse_for_diff(new, new_origin)[0])
